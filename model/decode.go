package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The decoding structs below are typed mirrors of the Kubernetes objects that keep
// only the fields the analysis reads. Pods and workloads dominate large inputs;
// decoding them into these small structs skips the bulk of a pod (env, volumes,
// status conditions, managed fields) instead of allocating it.

type objectMeta struct {
	Name            string                  `json:"name"`
	Namespace       string                  `json:"namespace"`
	Labels          map[string]string       `json:"labels"`
	OwnerReferences []metav1.OwnerReference `json:"ownerReferences"`
}

type container struct {
	Name          string                         `json:"name"`
	Image         string                         `json:"image"`
	Ports         []corev1.ContainerPort         `json:"ports"`
	RestartPolicy *corev1.ContainerRestartPolicy `json:"restartPolicy"`
}

type podSpec struct {
	NodeName       string      `json:"nodeName"`
	HostNetwork    bool        `json:"hostNetwork"`
	Containers     []container `json:"containers"`
	InitContainers []container `json:"initContainers"`
}

type podDoc struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
	Status   struct {
		Phase  corev1.PodPhase `json:"phase"`
		PodIP  string          `json:"podIP"`
		PodIPs []corev1.PodIP  `json:"podIPs"`
		HostIP string          `json:"hostIP"`
	} `json:"status"`
}

type podTemplate struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
}

type workloadDoc struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Replicas    *int32       `json:"replicas"`
		Template    *podTemplate `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *podTemplate `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

type namespaceDoc struct {
	Metadata objectMeta `json:"metadata"`
}

type nodeDoc struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		PodCIDR  string   `json:"podCIDR"`
		PodCIDRs []string `json:"podCIDRs"`
	} `json:"spec"`
	Status struct {
		Addresses []corev1.NodeAddress `json:"addresses"`
	} `json:"status"`
}

// catalogDoc is the netreach/v1 NetworkCatalog document of DESIGN.md §3.
type catalogDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   *struct {
		Name string `json:"name,omitempty"`
	} `json:"metadata,omitempty"`
	Networks []catalogEntry `json:"networks"`
}

type catalogEntry struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	CIDRs       []string `json:"cidrs"`
	Description string   `json:"description,omitempty"`
}

// kindKey identifies how an object is decoded.
type kindKey int

const (
	kindUnknown kindKey = iota
	kindNamespace
	kindPod
	kindNode
	kindService
	kindEndpoints
	kindEndpointSlice
	kindNetworkPolicy
	kindWorkload
	kindCatalog
)

// classify maps apiVersion and kind to a decoder. Objects of the same kind name
// from other API groups (Calico's or Cilium's NetworkPolicy, say) are not
// NetworkPolicies of networking.k8s.io and are skipped.
func classify(apiVersion, kind string) kindKey {
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	core := apiVersion == "v1" || apiVersion == ""
	switch kind {
	case "Namespace":
		if core {
			return kindNamespace
		}
	case "Pod":
		if core {
			return kindPod
		}
	case "Node":
		if core {
			return kindNode
		}
	case "Service":
		if core {
			return kindService
		}
	case "Endpoints":
		if core {
			return kindEndpoints
		}
	case "EndpointSlice":
		if group == "discovery.k8s.io" || apiVersion == "" {
			return kindEndpointSlice
		}
	case "NetworkPolicy":
		if group == "networking.k8s.io" || group == "extensions" || apiVersion == "" {
			return kindNetworkPolicy
		}
	case "ReplicationController":
		if core {
			return kindWorkload
		}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		if group == "apps" || group == "extensions" || apiVersion == "" {
			return kindWorkload
		}
	case "Job", "CronJob":
		if group == "batch" || apiVersion == "" {
			return kindWorkload
		}
	case "NetworkCatalog":
		if group == "netreach" {
			return kindCatalog
		}
	}
	return kindUnknown
}

// unit is one object (or one document that may turn out to be a List) waiting to
// be decoded.
type unit struct {
	src  Source
	data []byte
	yaml bool
	// kindHint and apiVersionHint come from a typed list (PodList → Pod) for items
	// that do not carry their own kind.
	kindHint       string
	apiVersionHint string
}

// decoded is what decoding one object produced.
type decoded struct {
	src  Source
	ref  ObjectRef
	key  kindKey
	errs []*InputError
	// warns are problems that do not stop the object from being used.
	warns []string
	// skipped is "apiVersion/kind" of an object of a kind the analysis does not read.
	skipped string

	namespace *Namespace
	pod       *podRecord
	workload  *workloadRecord
	node      *Node
	service   *Service
	endpoints *Endpoints
	policy    *NetworkPolicy
	networks  []*Network
	// saved is the object reduced to what the analysis reads (KeepObjects).
	saved *SavedObject
}

type podRecord struct {
	pod    *Pod
	owners []metav1.OwnerReference
}

type workloadRecord struct {
	w        *Workload
	owners   []metav1.OwnerReference
	template *podTemplate
}

// decodeUnit decodes one unit; a List expands into one result per item.
func decodeUnit(u unit, opts *LoadOptions) []decoded {
	data := u.data
	if u.yaml {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return []decoded{{src: u.src, errs: []*InputError{yamlSyntaxError(u, err)}}}
		}
		data = j
	}
	h, err := scanHeader(data)
	if err != nil {
		if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			return nil
		}
		return []decoded{{src: u.src, errs: []*InputError{{Source: u.src, Msg: "not a Kubernetes object: " + err.Error()}}}}
	}
	apiVersion, kind := h.apiVersion, h.kind
	if kind == "" {
		kind, apiVersion = u.kindHint, u.apiVersionHint
	}
	if kind == "" {
		return []decoded{{src: u.src, errs: []*InputError{{Source: u.src, Field: "kind", Msg: "required: every object needs apiVersion and kind"}}}}
	}
	if h.hasItems && strings.HasSuffix(kind, "List") {
		var out []decoded
		itemKind, itemAPI := "", ""
		if kind != "List" {
			itemKind, itemAPI = strings.TrimSuffix(kind, "List"), apiVersion
		}
		for i, item := range h.items {
			src := u.src
			src.Item = i + 1
			src.Line = 0
			if !u.yaml && u.src.Line > 0 {
				src.Line = u.src.Line + lineOffset(u.data, item)
			}
			out = append(out, decodeUnit(unit{src: src, data: item, kindHint: itemKind, apiVersionHint: itemAPI}, opts)...)
		}
		return out
	}
	d := decodeObject(data, apiVersion, kind, u.src, opts)
	if len(d.errs) > 0 {
		locateErrors(u, d.errs)
	}
	return []decoded{d}
}

// lineOffset returns how many lines into whole the sub-slice part starts.
func lineOffset(whole, part []byte) int {
	if len(part) == 0 || len(whole) == 0 {
		return 0
	}
	off := cap(whole) - cap(part)
	if off < 0 || off > len(whole) {
		return 0
	}
	return bytes.Count(whole[:off], []byte{'\n'})
}

func yamlSyntaxError(u unit, err error) *InputError {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	src := u.src
	// go-yaml reports "line N: ..." relative to the document.
	var n int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr == nil && n > 0 && src.Line > 0 {
		src.Line += n - 1
		msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
	}
	return &InputError{Source: src, Msg: "invalid YAML: " + msg}
}

// decodeObject decodes a single (non-List) object and validates it.
func decodeObject(data []byte, apiVersion, kind string, src Source, opts *LoadOptions) decoded {
	d := decoded{src: src, key: classify(apiVersion, kind)}
	d.ref.Kind = kind
	switch d.key {
	case kindUnknown:
		if apiVersion == "" {
			d.skipped = kind
		} else {
			d.skipped = apiVersion + "/" + kind
		}
		var meta struct {
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if json.Unmarshal(data, &meta) == nil {
			d.ref.Namespace, d.ref.Name = meta.Metadata.Namespace, meta.Metadata.Name
		}
		return d
	case kindNamespace:
		var doc namespaceDoc
		if d.fail(json.Unmarshal(data, &doc), data, opts) {
			return d
		}
		d.ref.Name = doc.Metadata.Name
		d.namespace, d.errs = buildNamespace(&doc, src)
	case kindPod:
		var doc podDoc
		if d.fail(json.Unmarshal(data, &doc), data, opts) {
			return d
		}
		defaultNamespace(&doc.Metadata, opts)
		d.ref.Namespace, d.ref.Name = doc.Metadata.Namespace, doc.Metadata.Name
		d.pod, d.errs = buildPod(&doc, src)
	case kindWorkload:
		var doc workloadDoc
		if d.fail(json.Unmarshal(data, &doc), data, opts) {
			return d
		}
		defaultNamespace(&doc.Metadata, opts)
		d.ref.Namespace, d.ref.Name = doc.Metadata.Namespace, doc.Metadata.Name
		d.workload, d.errs = buildWorkload(kind, &doc, src)
	case kindNode:
		var doc nodeDoc
		if d.fail(json.Unmarshal(data, &doc), data, opts) {
			return d
		}
		d.ref.Name = doc.Metadata.Name
		d.node, d.errs, d.warns = buildNode(&doc, src)
	case kindService:
		var svc corev1.Service
		if d.fail(json.Unmarshal(data, &svc), data, opts) {
			return d
		}
		defaultObjectMeta(&svc.ObjectMeta, opts)
		d.ref.Namespace, d.ref.Name = svc.Namespace, svc.Name
		d.service, d.errs = buildService(&svc, src)
	case kindEndpoints:
		//lint:ignore SA1019 v1 Endpoints is deprecated but still served, and older snapshots carry it.
		var ep corev1.Endpoints
		if d.fail(json.Unmarshal(data, &ep), data, opts) {
			return d
		}
		defaultObjectMeta(&ep.ObjectMeta, opts)
		d.ref.Namespace, d.ref.Name = ep.Namespace, ep.Name
		d.endpoints, d.errs = buildEndpoints(&ep, src)
	case kindEndpointSlice:
		var es discoveryv1.EndpointSlice
		if d.fail(json.Unmarshal(data, &es), data, opts) {
			return d
		}
		defaultObjectMeta(&es.ObjectMeta, opts)
		d.ref.Namespace, d.ref.Name = es.Namespace, es.Name
		d.endpoints, d.errs = buildEndpointSlice(&es, src)
	case kindNetworkPolicy:
		var np networkingv1.NetworkPolicy
		// Unknown fields are errors here, as with kubectl's strict validation: a
		// misspelt "podSelecter" or "ports" would silently widen what a policy allows.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if d.fail(dec.Decode(&np), data, opts) {
			return d
		}
		defaultObjectMeta(&np.ObjectMeta, opts)
		d.ref.Namespace, d.ref.Name = np.Namespace, np.Name
		d.policy, d.errs, d.warns = buildPolicy(&np, src)
	case kindCatalog:
		var doc catalogDoc
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if d.fail(dec.Decode(&doc), data, opts) {
			return d
		}
		if doc.Metadata != nil {
			d.ref.Name = doc.Metadata.Name
		}
		d.networks, d.errs, d.warns = buildCatalog(&doc, src)
	}
	for _, e := range d.errs {
		e.Source, e.Object = src, d.ref
	}
	if opts.KeepObjects && len(d.errs) == 0 && d.key != kindCatalog {
		saved, _, err := StripObject(data, apiVersion, kind, opts.DefaultNamespace)
		if err != nil {
			// The object was just decoded from the same bytes, so this cannot
			// happen; say so rather than drop the object silently.
			d.errs = append(d.errs, &InputError{Source: src, Object: d.ref, Msg: "cannot keep the object: " + err.Error()})
		}
		d.saved = saved
	}
	return d
}

// fail records a decoding error, naming the field where encoding/json says which,
// and the object as far as its metadata can still be read.
func (d *decoded) fail(err error, data []byte, opts *LoadOptions) bool {
	if err == nil {
		return false
	}
	var meta struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if json.Unmarshal(data, &meta) == nil {
		d.ref.Name = meta.Metadata.Name
		if d.key != kindNamespace && d.key != kindNode && d.key != kindCatalog {
			d.ref.Namespace = meta.Metadata.Namespace
			if d.ref.Namespace == "" {
				d.ref.Namespace = opts.DefaultNamespace
			}
		}
	}
	e := &InputError{Source: d.src, Object: d.ref}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		e.Field = typeErr.Field
		e.Msg = fmt.Sprintf("cannot use a JSON %s as %s", typeErr.Value, goTypeName(typeErr.Type.String()))
	case errors.As(err, &syntaxErr):
		e.Msg = "invalid JSON: " + syntaxErr.Error()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		e.Msg = "unknown field " + name
		e.Field = "" // located from the document below when possible
		e.unknownField = strings.Trim(name, `"`)
	default:
		e.Msg = strings.TrimPrefix(err.Error(), "json: ")
	}
	d.errs = append(d.errs, e)
	return true
}

func goTypeName(t string) string {
	switch {
	case strings.Contains(t, "intstr.IntOrString"):
		return "a port (number or name)"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"), strings.Contains(t, "."):
		return "an object"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a number"
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	}
	return t
}

func defaultNamespace(m *objectMeta, opts *LoadOptions) {
	if m.Namespace == "" {
		m.Namespace = opts.DefaultNamespace
	}
}

func defaultObjectMeta(m *metav1.ObjectMeta, opts *LoadOptions) {
	if m.Namespace == "" {
		m.Namespace = opts.DefaultNamespace
	}
}
