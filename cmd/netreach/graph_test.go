package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGraphGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"graph-namespace.dot", []string{"graph", "--level", "namespace"}},
		{"graph-workload.dot", []string{"graph"}},
		{"graph-focus-frontend.dot", []string{"graph", "--focus", "shop/deploy/frontend"}},
		{"graph-focus-pod.dot", []string{"graph", "--level", "pod", "--focus", "data/postgres-0"}},
		{"graph-focus-metadata.dot", []string{"graph", "--level", "namespace", "--focus", "net:cloud-metadata"}},
		{"graph-focus-payments.json", []string{"graph", "--focus", "payments", "-o", "json"}},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, 0, tc.args...)
	}
}

// svgDoc is what the tests read of an SVG: the text of every element, and the
// titles of node groups (Graphviz writes a node's id as its <title>).
type svgDoc struct {
	texts, titles []string
}

// parseSVG checks that data is well-formed XML with an <svg> root and
// collects its texts and titles.
func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	var doc svgDoc
	var stack []string
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			s := strings.TrimSpace(string(el))
			switch stack[len(stack)-1] {
			case "text":
				doc.texts = append(doc.texts, s)
			case "title":
				doc.titles = append(doc.titles, s)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return doc
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestGraphSVGAndPNG(t *testing.T) {
	r := runCLI(t, "", "graph", "-o", "svg")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	doc := parseSVG(t, []byte(r.stdout))
	// Node ids are titles; labels are texts: the workload's name and kind, the
	// namespace boxes, the networks and the legend.
	for _, title := range []string{"shop/Deployment/frontend", "data/StatefulSet/postgres", "net:internet", "net:cloud-metadata", "cluster_shop"} {
		if !contains(doc.titles, title) {
			t.Errorf("the SVG has no element titled %q", title)
		}
	}
	for _, text := range []string{"frontend", "Deployment", "postgres", "shop", "external networks", "internet", "legend", "every pod restricted for ingress", "TCP 5432"} {
		if !contains(doc.texts, text) {
			t.Errorf("the SVG shows no text %q", text)
		}
	}

	// A small picture keeps the race-enabled run short: rasterising is slow there.
	r = runCLI(t, "", "graph", "--level", "namespace", "--focus", "net:cloud-metadata", "-o", "png")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	img, err := png.Decode(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 800 || b.Dy() < 800 {
		t.Errorf("the PNG is %dx%d, too small to hold the namespaces that reach the metadata service and the legend", b.Dx(), b.Dy())
	}
	// Not a blank page: a good share of the pixels is not white (fills, lines, text).
	inked, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			total++
			if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
		}
	}
	if inked*100 < total {
		t.Errorf("only %d of %d sampled pixels are not white: the PNG looks empty", inked, total)
	}
}

// bigSnapshot writes 160 bare pods in namespace big, without policies: too
// many nodes for a readable picture at pod or workload level.
func bigSnapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < 160; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%03d, namespace: big, labels: {app: a%03d}}\nspec: {nodeName: n1, containers: [{name: c, image: x}]}\nstatus: {phase: Running, podIP: 10.1.%d.%d}\n", i, i, i/200, i%200+1)
	}
	file := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestGraphTooBigAndErrors(t *testing.T) {
	file := bigSnapshot(t)
	r := runCLI(t, "", "graph", "-f", file, "--level", "pod", "-o", "svg")
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("too big: exit %d (want 2), stdout %d bytes (want none)", r.code, len(r.stdout))
	}
	if want := "netreach: the picture would have 162 nodes and"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--level namespace, or one workload's neighbourhood with --focus") {
		t.Errorf("stderr lacks the size and the hint:\n%s", r.stderr)
	}
	// The namespace level of the same snapshot is small; --force draws the big one.
	if r := runCLI(t, "", "graph", "-f", file, "--level", "namespace"); r.code != 0 || !strings.Contains(r.stdout, `"big" [label="big\n160 pods"`) {
		t.Errorf("namespace level: exit %d, stderr %s\n%s", r.code, r.stderr, r.stdout)
	}
	if r := runCLI(t, "", "graph", "-f", file, "--level", "pod", "--force"); r.code != 0 || strings.Count(r.stdout, "tooltip=\"big/p") != 160 {
		t.Errorf("--force: exit %d, stderr %s", r.code, r.stderr)
	}
	// JSON is data, not a picture: no size limit.
	if r := runCLI(t, "", "graph", "-f", file, "--level", "pod", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"kind": "Matrix"`) {
		t.Errorf("json: exit %d, stderr %s", r.code, r.stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"graph", "-o", "text"}, `graph does not support output format "text": use one of dot, svg, png, json`},
		{[]string{"graph", "--level", "cluster"}, `invalid --level "cluster"`},
		{[]string{"graph", "--focus", "shop/nope"}, `--focus: no pod "shop/nope"`},
		{[]string{"graph", "--focus", "nowhere"}, `--focus: no namespace "nowhere" with pods in the snapshot`},
		{[]string{"graph", "--focus", "net:intranet"}, `--focus: `},
		{[]string{"graph", "--focus", "8.8.8.8"}, `--focus: 8.8.8.8 is an address; focus on a pod, workload, namespace or net:NAME`},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %s", tc.args, r.code, len(r.stdout), r.stderr)
		}
	}
}

func TestExposureAndBlastPictures(t *testing.T) {
	goldenRun(t, "exposure-metadata.dot", 0, "exposure", "--network", "cloud-metadata", "--network", "internet", "-o", "dot")
	for _, tc := range []struct {
		name   string
		args   []string
		titles []string
		texts  []string
		// hot is an attribute that the highlighted edges carry.
		hot string
	}{
		{"exposure", []string{"exposure", "-o", "svg"},
			[]string{"net:internet", "net:cloud-metadata", "ingress-nginx/Deployment/ingress-nginx-controller"},
			[]string{"ingress-nginx-controller", "external networks", "legend"}, `stroke-width="2.5"`},
		{"blast-radius", []string{"blast-radius", "default/debug-shell", "--hops", "2", "--target", "app.kubernetes.io/name=payments-api", "-o", "svg"},
			[]string{"default/debug-shell", "payments/Deployment/payments-api"},
			[]string{"(source)", "hop 2"}, `stroke="#d62728"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			doc := parseSVG(t, []byte(r.stdout))
			for _, title := range tc.titles {
				if !contains(doc.titles, title) {
					t.Errorf("no element titled %q", title)
				}
			}
			for _, text := range tc.texts {
				found := false
				for _, x := range doc.texts {
					found = found || strings.Contains(x, text)
				}
				if !found {
					t.Errorf("no text %q", text)
				}
			}
			if !strings.Contains(r.stdout, tc.hot) {
				t.Errorf("no highlighted edge (%s)", tc.hot)
			}
		})
	}
	for _, args := range [][]string{{"exposure", "-o", "png"}, {"blast-radius", "default/debug-shell", "-o", "png"}} {
		if r := runCLI(t, "", args...); r.code != 2 || !strings.Contains(r.stderr, "dot, svg") || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %s", args, r.code, r.stderr)
		}
	}
}
