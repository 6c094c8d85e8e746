package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var (
	formats = []string{FormatJSON, FormatYAML}
	layouts = []string{LayoutList, LayoutDocuments}
)

// decode reads Write's output back with sigs.k8s.io/yaml (which reads
// JSON too), checking the envelope on the way.
func decode(t *testing.T, data []byte, format, layout string) *Cluster {
	t.Helper()
	var items [][]byte
	switch {
	case layout == LayoutList:
		var list struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
			Metadata   struct {
				ResourceVersion *string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(data, &list); err != nil {
			t.Fatalf("decoding the list: %v", err)
		}
		if list.APIVersion != "v1" || list.Kind != "List" || list.Metadata.ResourceVersion == nil || *list.Metadata.ResourceVersion != "" {
			t.Fatalf("list envelope: apiVersion %q, kind %q, resourceVersion %v", list.APIVersion, list.Kind, list.Metadata.ResourceVersion)
		}
		for _, it := range list.Items {
			items = append(items, it)
		}
	case format == FormatYAML:
		if len(data) > 0 {
			items = bytes.Split(data, []byte("\n---\n"))
		}
	default:
		items = bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(data) == 0 {
			items = nil
		}
	}
	c := &Cluster{}
	rank := map[string]int{"Namespace": 0, "Node": 1, "Pod": 2, "NetworkPolicy": 3}
	last := 0
	for i, it := range items {
		// Convert once, as yaml.Unmarshal would, then decode rejecting
		// unknown fields. List items were converted with the list. (The
		// conversion is told nothing about the target type, so a string
		// written as an unquoted YAML number or boolean would fail to
		// decode: the output must quote such strings, as other YAML
		// readers need.)
		js := it
		if layout != LayoutList {
			var err error
			if js, err = yaml.YAMLToJSON(it); err != nil {
				t.Fatalf("item %d: %v", i, err)
			}
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(js, &tm); err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		r, ok := rank[tm.Kind]
		if !ok {
			t.Fatalf("item %d has kind %q", i, tm.Kind)
		}
		if r < last {
			t.Fatalf("item %d (%s) comes after a later kind", i, tm.Kind)
		}
		last = r
		var obj any
		var wantAPI string
		switch tm.Kind {
		case "Namespace":
			o := &corev1.Namespace{}
			c.Namespaces, obj, wantAPI = append(c.Namespaces, o), o, "v1"
		case "Node":
			o := &corev1.Node{}
			c.Nodes, obj, wantAPI = append(c.Nodes, o), o, "v1"
		case "Pod":
			o := &corev1.Pod{}
			c.Pods, obj, wantAPI = append(c.Pods, o), o, "v1"
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			c.Policies, obj, wantAPI = append(c.Policies, o), o, "networking.k8s.io/v1"
		}
		if tm.APIVersion != wantAPI {
			t.Fatalf("item %d: %s has apiVersion %q", i, tm.Kind, tm.APIVersion)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(obj); err != nil {
			t.Fatalf("item %d (%s): %v", i, tm.Kind, err)
		}
	}
	return c
}

// summary is what must survive any write: kinds, names and labels.
type summary struct {
	Kind, Namespace, Name string
	Labels                map[string]string
}

func summarize(c *Cluster) []summary {
	var out []summary
	add := func(tm metav1.TypeMeta, om metav1.ObjectMeta) {
		out = append(out, summary{tm.Kind, om.Namespace, om.Name, om.Labels})
	}
	for _, o := range c.Namespaces {
		add(o.TypeMeta, o.ObjectMeta)
	}
	for _, o := range c.Nodes {
		add(o.TypeMeta, o.ObjectMeta)
	}
	for _, o := range c.Pods {
		add(o.TypeMeta, o.ObjectMeta)
	}
	for _, o := range c.Policies {
		add(o.TypeMeta, o.ObjectMeta)
	}
	return out
}

// sameObjects checks that every object came back whole. It compares JSON
// encodings, which is much quicker than go-cmp over thousands of objects,
// and shows a go-cmp diff of the first few that differ.
func sameObjects(t *testing.T, want, got *Cluster) {
	t.Helper()
	failures := 0
	check := func(w, g any) {
		wj, err1 := json.Marshal(w)
		gj, err2 := json.Marshal(g)
		if err1 != nil || err2 != nil {
			t.Fatalf("marshal: %v, %v", err1, err2)
		}
		if !bytes.Equal(wj, gj) {
			if failures++; failures <= 3 {
				t.Errorf("object changed in the round trip (-want +got):\n%s", cmp.Diff(w, g))
			}
		}
	}
	for i := range want.Namespaces {
		check(want.Namespaces[i], got.Namespaces[i])
	}
	for i := range want.Nodes {
		check(want.Nodes[i], got.Nodes[i])
	}
	for i := range want.Pods {
		check(want.Pods[i], got.Pods[i])
	}
	for i := range want.Policies {
		check(want.Policies[i], got.Policies[i])
	}
}

// checkPadding checks that realistic output carries the promised noise and
// still the analysis fields.
func checkPadding(t *testing.T, want, got *Cluster) {
	t.Helper()
	for i, p := range got.Pods {
		orig := want.Pods[i]
		var missing []string
		need := func(ok bool, what string) {
			if !ok {
				missing = append(missing, what)
			}
		}
		need(p.UID != "", "uid")
		need(p.ResourceVersion != "", "resourceVersion")
		need(!p.CreationTimestamp.IsZero(), "creationTimestamp")
		need(len(p.Annotations) > 0, "annotations")
		need(len(p.ManagedFields) == 1 && p.ManagedFields[0].FieldsV1 != nil, "managedFields")
		need(len(p.Spec.Volumes) > 0, "volumes")
		need(len(p.Spec.Tolerations) > 0, "tolerations")
		need(len(p.Status.Conditions) > 0, "conditions")
		need(len(p.Status.ContainerStatuses) == len(p.Spec.Containers), "containerStatuses")
		for _, ctr := range p.Spec.Containers {
			need(ctr.Image != "" && ctr.ImagePullPolicy != "", "image")
			need(len(ctr.Env) > 0, "env")
			need(len(ctr.Resources.Requests) > 0, "resources")
			need(len(ctr.VolumeMounts) > 0, "volumeMounts")
		}
		if len(missing) > 0 {
			t.Fatalf("pod %s/%s lacks %v", p.Namespace, p.Name, missing)
		}
		type analysis struct {
			Owners      []metav1.OwnerReference
			Node        string
			HostNetwork bool
			PodIP       string
			PodIPs      []corev1.PodIP
			HostIP      string
			Ports       [][]corev1.ContainerPort
		}
		view := func(p *corev1.Pod) analysis {
			a := analysis{p.OwnerReferences, p.Spec.NodeName, p.Spec.HostNetwork, p.Status.PodIP, p.Status.PodIPs, p.Status.HostIP, nil}
			for _, ctr := range p.Spec.Containers {
				a.Ports = append(a.Ports, ctr.Ports)
			}
			return a
		}
		if diff := cmp.Diff(view(orig), view(p)); diff != "" {
			t.Fatalf("pod %s/%s: analysis fields changed (-want +got):\n%s", p.Namespace, p.Name, diff)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	// Realistic output is slower to write and read; it is round-tripped
	// here for two small shapes, and for T5 in TestRealisticPodSize.
	realistic := map[string]bool{"T0": true, "A3": true}
	// Biggest first, so the slowest subtests do not start last.
	shapes := Shapes()
	slices.SortStableFunc(shapes, func(a, b Shape) int { return b.Pods - a.Pods })
	for _, s := range shapes {
		for _, format := range formats {
			for _, layout := range layouts {
				for _, real := range []bool{false, true} {
					if real && !realistic[s.Name] {
						continue
					}
					name := fmt.Sprintf("%s/%s/%s", s.Name, format, layout)
					if real {
						name += "/realistic"
					}
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						c := small(s)
						if raceEnabled && len(c.Pods) > 200 {
							t.Skip("too slow under the race detector")
						}
						var buf bytes.Buffer
						if err := Write(&buf, c, format, WriteOptions{Realistic: real, Layout: layout}); err != nil {
							t.Fatal(err)
						}
						got := decode(t, buf.Bytes(), format, layout)
						if diff := cmp.Diff(summarize(c), summarize(got)); diff != "" {
							t.Fatalf("names or labels changed (-want +got):\n%s", diff)
						}
						if real {
							checkPadding(t, c, got)
						} else {
							sameObjects(t, c, got)
						}
					})
				}
			}
		}
	}
}

func TestRealisticPodSize(t *testing.T) {
	c := small(mustShape(t, "T5"))
	if raceEnabled {
		c = Generate(Scaled(mustShape(t, "T5"), 0.001), 1)
	}
	var buf bytes.Buffer
	if err := Write(&buf, c, FormatJSON, WriteOptions{Realistic: true, Layout: LayoutDocuments}); err != nil {
		t.Fatal(err)
	}
	got := decode(t, buf.Bytes(), FormatJSON, LayoutDocuments)
	if diff := cmp.Diff(summarize(c), summarize(got)); diff != "" {
		t.Fatalf("names or labels changed (-want +got):\n%s", diff)
	}
	checkPadding(t, c, got)
	var podBytes int
	for line := range strings.SplitSeq(buf.String(), "\n") {
		if strings.HasPrefix(line, `{"kind":"Pod"`) {
			podBytes += len(line)
		}
	}
	mean := podBytes / len(c.Pods)
	t.Logf("realistic pods average %d bytes of JSON", mean)
	if mean < 2500 || mean > 5000 {
		t.Errorf("realistic pods average %d bytes of JSON, want about 3-4 KB", mean)
	}
}

func TestWriteYAMLListIsKubectlStyle(t *testing.T) {
	c := small(mustShape(t, "T0"))
	var buf bytes.Buffer
	if err := Write(&buf, c, FormatYAML, WriteOptions{Realistic: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	head, tail := lines[:2], lines[len(lines)-3:]
	if diff := cmp.Diff([]string{"apiVersion: v1", "items:"}, head); diff != "" {
		t.Errorf("head (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kind: List", "metadata:", `  resourceVersion: ""`}, tail); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
	items := 0
	for i, l := range lines[2 : len(lines)-3] {
		switch {
		case strings.HasPrefix(l, "- "):
			items++
			if l != "- apiVersion: v1" && l != "- apiVersion: networking.k8s.io/v1" {
				t.Errorf("line %d: item starts with %q, want its apiVersion", i+3, l)
			}
		case strings.HasPrefix(l, "  "):
		default:
			t.Fatalf("line %d: %q is neither an item start nor indented", i+3, l)
		}
	}
	if want := len(summarize(c)); items != want {
		t.Errorf("%d items, want %d", items, want)
	}
}

func TestWriteLayouts(t *testing.T) {
	c := small(mustShape(t, "T1"))
	n := len(summarize(c))
	for _, format := range formats {
		for _, layout := range layouts {
			t.Run(format+"/"+layout, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, c, format, WriteOptions{Layout: layout}); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				switch {
				case format == FormatJSON && layout == LayoutList:
					if !json.Valid(buf.Bytes()) {
						t.Error("output is not one JSON value")
					}
					if !strings.HasPrefix(out, `{"apiVersion":"v1","items":[`) || !strings.HasSuffix(out, `],"kind":"List","metadata":{"resourceVersion":""}}`+"\n") {
						t.Errorf("unexpected envelope: %.60q ... %.60q", out, out[len(out)-60:])
					}
				case format == FormatJSON:
					lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
					if len(lines) != n {
						t.Errorf("%d lines, want one per object (%d)", len(lines), n)
					}
					for i, l := range lines {
						if !json.Valid([]byte(l)) {
							t.Fatalf("line %d is not JSON: %.80q", i, l)
						}
					}
				case layout == LayoutList:
					if !strings.HasPrefix(out, "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n") {
						t.Errorf("unexpected start: %.80q", out)
					}
				default:
					if got := strings.Count(out, "\n---\n"); got != n-1 {
						t.Errorf("%d separators, want %d", got, n-1)
					}
					if !strings.HasPrefix(out, "apiVersion: v1\nkind: Namespace\n") {
						t.Errorf("unexpected start: %.80q", out)
					}
				}
			})
		}
	}
}

func TestWriteEmptyCluster(t *testing.T) {
	tests := []struct {
		format, layout, want string
	}{
		{FormatJSON, LayoutList, `{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}` + "\n"},
		{FormatYAML, LayoutList, "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"},
		{FormatJSON, LayoutDocuments, ""},
		{FormatYAML, LayoutDocuments, ""},
		{FormatYAML, "", "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, &Cluster{}, tc.format, WriteOptions{Layout: tc.layout}); err != nil {
			t.Fatalf("%s/%s: %v", tc.format, tc.layout, err)
		}
		if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
			t.Errorf("%s/%q (-want +got):\n%s", tc.format, tc.layout, diff)
		}
	}
}

func TestWriteRejectsBadOptions(t *testing.T) {
	c := small(mustShape(t, "T0"))
	tests := []struct {
		format string
		opts   WriteOptions
	}{
		{"xml", WriteOptions{}},
		{"", WriteOptions{}},
		{"JSON", WriteOptions{}},
		{FormatJSON, WriteOptions{Layout: "stream"}},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, c, tc.format, tc.opts); err == nil {
			t.Errorf("Write(%q, %+v) succeeded", tc.format, tc.opts)
		}
		if buf.Len() != 0 {
			t.Errorf("Write(%q, %+v) wrote %d bytes before failing", tc.format, tc.opts, buf.Len())
		}
	}
}

var errBroken = errors.New("broken pipe")

// failingWriter accepts limit bytes, then fails.
type failingWriter struct{ limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errBroken
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWriteReportsWriterErrors(t *testing.T) {
	c := small(mustShape(t, "T2"))
	for _, format := range formats {
		for _, limit := range []int{0, 1000, 200_000} {
			err := Write(&failingWriter{limit: limit}, c, format, WriteOptions{Realistic: true})
			if !errors.Is(err, errBroken) {
				t.Errorf("%s, failing after %d bytes: got %v, want %v", format, limit, err, errBroken)
			}
		}
	}
}

// maxWriteRecorder remembers the largest single write.
type maxWriteRecorder struct{ total, largest, calls int }

func (w *maxWriteRecorder) Write(p []byte) (int, error) {
	w.total += len(p)
	w.largest = max(w.largest, len(p))
	w.calls++
	return len(p), nil
}

func TestWriteStreams(t *testing.T) {
	c := small(mustShape(t, "T4a"))
	for _, format := range formats {
		var w maxWriteRecorder
		if err := Write(&w, c, format, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The output is passed on in buffer-sized pieces, not built whole.
		if w.total < 1<<20 || w.largest > 256<<10 || w.calls < w.total/(256<<10) {
			t.Errorf("%s: %d bytes in %d writes, the largest %d bytes", format, w.total, w.calls, w.largest)
		}
	}
}

func TestWriteLeavesClusterAlone(t *testing.T) {
	s := Scaled(mustShape(t, "T5"), 0.005)
	if raceEnabled {
		s = Scaled(s, 0.2)
	}
	c, pristine := Generate(s, 9), Generate(s, 9)
	for _, format := range formats {
		if err := Write(&bytes.Buffer{}, c, format, WriteOptions{Realistic: true}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(pristine, c); diff != "" {
		t.Errorf("Write changed the cluster (-before +after):\n%s", diff)
	}
}

func TestWriteFillsInMissingTypes(t *testing.T) {
	c := &Cluster{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}},
		Nodes:      []*corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n"}}},
		Pods:       []*corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "a"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}},
		Policies:   []*networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "a"}}},
	}
	for _, real := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, c, FormatYAML, WriteOptions{Realistic: real, Layout: LayoutDocuments}); err != nil {
			t.Fatal(err)
		}
		got := decode(t, buf.Bytes(), FormatYAML, LayoutDocuments)
		kinds := slices.Collect(func(yield func(string) bool) {
			for _, s := range summarize(got) {
				if !yield(s.Kind) {
					return
				}
			}
		})
		if diff := cmp.Diff([]string{"Namespace", "Node", "Pod", "NetworkPolicy"}, kinds); diff != "" {
			t.Errorf("realistic=%v: kinds (-want +got):\n%s", real, diff)
		}
	}
	if c.Namespaces[0].Kind != "" || c.Pods[0].Kind != "" {
		t.Error("Write set the kind on the caller's objects")
	}
}
