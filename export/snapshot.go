package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"text/tabwriter"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/model"
)

// SnapshotDoc is the JSON document `netreach snapshot -o json` writes: an
// inventory of what was read (schema: docs/schema/snapshot.schema.json).
type SnapshotDoc struct {
	APIVersion      string             `json:"apiVersion"`
	Kind            string             `json:"kind"`
	Counts          SnapshotCounts     `json:"counts"`
	Namespaces      []SnapshotNS       `json:"namespaces"`
	Nodes           []SnapshotNode     `json:"nodes"`
	Workloads       []SnapshotWorkload `json:"workloads"`
	Pods            []SnapshotPod      `json:"pods"`
	Services        []SnapshotService  `json:"services"`
	NetworkPolicies []SnapshotPolicy   `json:"networkPolicies"`
	Networks        []SnapshotNetwork  `json:"networks"`
	Skipped         []SnapshotSkipped  `json:"skipped"`
}

// SnapshotCounts counts the objects per kind.
type SnapshotCounts struct {
	Namespaces      int `json:"namespaces"`
	Nodes           int `json:"nodes"`
	Workloads       int `json:"workloads"`
	Pods            int `json:"pods"`
	TemplatePods    int `json:"templatePods"`
	Services        int `json:"services"`
	Endpoints       int `json:"endpoints"`
	NetworkPolicies int `json:"networkPolicies"`
	Networks        int `json:"networks"`
	Skipped         int `json:"skipped"`
}

// SnapshotNS is a namespace in the inventory.
type SnapshotNS struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Synthesized bool              `json:"synthesized,omitempty"`
	Pods        int               `json:"pods"`
	Policies    int               `json:"networkPolicies"`
}

// SnapshotNode is a node in the inventory.
type SnapshotNode struct {
	Name      string            `json:"name"`
	Addresses []SnapshotAddress `json:"addresses"`
}

// SnapshotAddress is one node address.
type SnapshotAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

// SnapshotWorkload is a workload in the inventory.
type SnapshotWorkload struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Pods      int    `json:"pods"`
	// FromTemplate is true when its only pod is the representative template pod.
	FromTemplate bool `json:"fromTemplate,omitempty"`
	// InInput is false for a workload known only from its pods' ownerReferences.
	InInput bool `json:"inInput"`
}

// SnapshotPod is a pod in the inventory.
type SnapshotPod struct {
	ID          string            `json:"id"`
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	IPs         []string          `json:"ips"`
	Node        string            `json:"node,omitempty"`
	HostNetwork bool              `json:"hostNetwork,omitempty"`
	Phase       string            `json:"phase,omitempty"`
	Template    bool              `json:"template,omitempty"`
	Workload    string            `json:"workload,omitempty"`
	Labels      map[string]string `json:"labels"`
	Ports       []SnapshotPort    `json:"ports"`
}

// SnapshotPort is a container port.
type SnapshotPort struct {
	Name     string `json:"name,omitempty"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// SnapshotService is a Service in the inventory.
type SnapshotService struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	ClusterIPs []string          `json:"clusterIPs"`
	Selector   map[string]string `json:"selector,omitempty"`
}

// SnapshotPolicy is a NetworkPolicy in the inventory.
type SnapshotPolicy struct {
	ID                   string   `json:"id"`
	Namespace            string   `json:"namespace"`
	Name                 string   `json:"name"`
	PolicyTypes          []string `json:"policyTypes"`
	PolicyTypesDefaulted bool     `json:"policyTypesDefaulted,omitempty"`
	PodSelector          string   `json:"podSelector"`
	IngressRules         int      `json:"ingressRules"`
	EgressRules          int      `json:"egressRules"`
	SelectedPods         int      `json:"selectedPods"`
}

// SnapshotNetwork is a catalogue network found in the input.
type SnapshotNetwork struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	CIDRs       []string `json:"cidrs"`
	Description string   `json:"description,omitempty"`
}

// SnapshotSkipped counts skipped objects of one kind.
type SnapshotSkipped struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// NewSnapshotDoc builds the inventory document of a snapshot.
func NewSnapshotDoc(s *model.Snapshot) *SnapshotDoc {
	d := &SnapshotDoc{APIVersion: APIVersion, Kind: "Snapshot",
		Namespaces: []SnapshotNS{}, Nodes: []SnapshotNode{}, Workloads: []SnapshotWorkload{}, Pods: []SnapshotPod{},
		Services: []SnapshotService{}, NetworkPolicies: []SnapshotPolicy{}, Networks: []SnapshotNetwork{}, Skipped: []SnapshotSkipped{}}
	for _, ns := range s.Namespaces {
		d.Namespaces = append(d.Namespaces, SnapshotNS{Name: ns.Name, Labels: ns.Labels, Synthesized: ns.Synthesized,
			Pods: len(s.PodsIn(ns.Name)), Policies: len(s.PoliciesIn(ns.Name))})
	}
	for _, n := range s.Nodes {
		sn := SnapshotNode{Name: n.Name, Addresses: []SnapshotAddress{}}
		for _, a := range n.Addresses {
			sn.Addresses = append(sn.Addresses, SnapshotAddress{Type: string(a.Type), Address: a.Address.String()})
		}
		d.Nodes = append(d.Nodes, sn)
	}
	for _, w := range s.Workloads {
		d.Workloads = append(d.Workloads, SnapshotWorkload{ID: w.ID(), Kind: w.Kind, Namespace: w.Namespace, Name: w.Name,
			Pods: len(w.Pods), FromTemplate: len(w.Pods) == 1 && w.Pods[0].Template, InInput: w.InInput})
	}
	for _, p := range s.Pods {
		sp := SnapshotPod{ID: p.ID(), Namespace: p.Namespace, Name: p.Name, IPs: addrs(p.IPs), Node: p.NodeName,
			HostNetwork: p.HostNetwork, Phase: string(p.Phase), Template: p.Template, Labels: nonNil(p.Labels), Ports: []SnapshotPort{}}
		if p.Workload != nil {
			sp.Workload = p.Workload.ID()
		}
		for _, cp := range p.Ports {
			sp.Ports = append(sp.Ports, SnapshotPort{Name: cp.Name, Port: cp.Port, Protocol: string(cp.Protocol)})
		}
		d.Pods = append(d.Pods, sp)
	}
	for _, svc := range s.Services {
		ss := SnapshotService{ID: svc.Namespace + "/" + svc.Name, Type: string(svc.Type), ClusterIPs: addrs(svc.ClusterIPs)}
		if svc.Selector != nil {
			ss.Selector = svc.Selector
		}
		d.Services = append(d.Services, ss)
	}
	for _, p := range s.Policies {
		sp := SnapshotPolicy{ID: p.ID(), Namespace: p.Namespace(), Name: p.Name(), PolicyTypes: []string{},
			PolicyTypesDefaulted: p.PolicyTypesDefaulted, PodSelector: p.PodSelector.String(),
			IngressRules: len(p.Ingress), EgressRules: len(p.Egress), SelectedPods: countSelected(s, p)}
		for _, t := range p.Object.Spec.PolicyTypes {
			sp.PolicyTypes = append(sp.PolicyTypes, string(t))
		}
		d.NetworkPolicies = append(d.NetworkPolicies, sp)
	}
	for _, n := range s.Networks {
		sn := SnapshotNetwork{Name: n.Name, Type: string(n.Type), Description: n.Description, CIDRs: []string{}}
		for _, c := range n.CIDRs {
			sn.CIDRs = append(sn.CIDRs, c.String())
		}
		d.Networks = append(d.Networks, sn)
	}
	for _, sk := range s.Skipped {
		d.Skipped = append(d.Skipped, SnapshotSkipped{Kind: sk.Kind, Count: len(sk.Objects)})
		d.Counts.Skipped += len(sk.Objects)
	}
	d.Counts.Namespaces = len(s.Namespaces)
	d.Counts.Nodes = len(s.Nodes)
	d.Counts.Workloads = len(s.Workloads)
	d.Counts.Pods = len(s.Pods)
	for _, p := range s.Pods {
		if p.Template {
			d.Counts.TemplatePods++
		}
	}
	d.Counts.Services = len(s.Services)
	d.Counts.Endpoints = len(s.Endpoints)
	d.Counts.NetworkPolicies = len(s.Policies)
	d.Counts.Networks = len(s.Networks)
	return d
}

// countSelected counts the pods of the policy's namespace that its podSelector
// matches, hostNetwork pods included: this is an inventory of selectors, not of
// what the policy enforces.
func countSelected(s *model.Snapshot, p *model.NetworkPolicy) int {
	n := 0
	for _, pod := range s.PodsIn(p.Namespace()) {
		if p.PodSelector.Matches(pod.Labels) {
			n++
		}
	}
	return n
}

func addrs(list []netip.Addr) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.String()
	}
	return out
}

func nonNil(l labels.Set) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteSnapshot writes the inventory of a snapshot as text or JSON.
func WriteSnapshot(w io.Writer, s *model.Snapshot, f Format) error {
	if f == YAML {
		return WriteSavedSnapshot(w, s)
	}
	doc := NewSnapshotDoc(s)
	if f == JSON {
		return WriteJSON(w, doc)
	}
	bw := bufio.NewWriter(w)
	writeSnapshotText(bw, s, doc)
	return bw.Flush()
}

func writeSnapshotText(w *bufio.Writer, s *model.Snapshot, d *SnapshotDoc) {
	c := d.Counts
	fmt.Fprintf(w, "Snapshot: %s, %s (%d from workload templates), %s, %s, %s, %s, %s, %s\n",
		plural(c.Namespaces, "namespace"), plural(c.Pods, "pod"), c.TemplatePods, plural(c.Workloads, "workload"),
		plural(c.Nodes, "node"), plural(c.Services, "service"), plural(c.Endpoints, "endpoints object"),
		plural(c.NetworkPolicies, "network policy"), plural(c.Networks, "catalogue network"))
	if c.Skipped > 0 {
		parts := make([]string, len(d.Skipped))
		for i, sk := range d.Skipped {
			parts[i] = fmt.Sprintf("%s %d", sk.Kind, sk.Count)
		}
		fmt.Fprintf(w, "Skipped: %s of other kinds (%s)\n", plural(c.Skipped, "object"), strings.Join(parts, ", "))
	}

	section(w, "NAMESPACES")
	tw := table(w, "NAME", "PODS", "POLICIES", "LABELS")
	for _, ns := range d.Namespaces {
		name := ns.Name
		if ns.Synthesized {
			name += " (not in input)"
		}
		row(tw, name, ns.Pods, ns.Policies, labelString(ns.Labels))
	}
	tw.Flush()

	if len(d.Nodes) > 0 {
		section(w, "NODES")
		tw = table(w, "NAME", "ADDRESSES")
		for _, n := range d.Nodes {
			parts := make([]string, len(n.Addresses))
			for i, a := range n.Addresses {
				parts[i] = a.Type + " " + a.Address
			}
			row(tw, n.Name, dash(strings.Join(parts, ", ")))
		}
		tw.Flush()
	}

	section(w, "PODS")
	tw = table(w, "POD", "IP", "NODE", "WORKLOAD", "LABELS")
	for _, p := range s.Pods {
		ip := "-"
		if len(p.IPs) > 0 {
			ip = strings.Join(addrs(p.IPs), ",")
		}
		var notes []string
		if p.HostNetwork {
			notes = append(notes, "hostNetwork")
		}
		if p.Template {
			notes = append(notes, "template")
		}
		if p.Terminated() {
			notes = append(notes, string(p.Phase))
		}
		if len(notes) > 0 {
			ip += " (" + strings.Join(notes, ", ") + ")"
		}
		wl := "-"
		if p.Workload != nil {
			wl = p.Workload.Kind + "/" + p.Workload.Name
		}
		row(tw, p.ID(), ip, dash(p.NodeName), wl, labelString(p.Labels))
	}
	tw.Flush()

	if len(d.NetworkPolicies) > 0 {
		section(w, "NETWORK POLICIES")
		tw = table(w, "POLICY", "TYPES", "POD SELECTOR", "SELECTS", "RULES")
		for i, p := range s.Policies {
			types := strings.Join(d.NetworkPolicies[i].PolicyTypes, ",")
			if p.PolicyTypesDefaulted {
				types += " (defaulted)"
			}
			row(tw, p.ID(), types, selectorString(p.PodSelector.String()), plural(d.NetworkPolicies[i].SelectedPods, "pod"),
				ruleSummary(p))
		}
		tw.Flush()
	}

	if len(d.Networks) > 0 {
		section(w, "NETWORKS")
		tw = table(w, "NETWORK", "TYPE", "CIDRS", "DESCRIPTION")
		for _, n := range d.Networks {
			row(tw, "net:"+n.Name, n.Type, strings.Join(n.CIDRs, ","), dash(n.Description))
		}
		tw.Flush()
	}
}

func ruleSummary(p *model.NetworkPolicy) string {
	var parts []string
	if p.HasType(networkingv1.PolicyTypeIngress) {
		if len(p.Ingress) == 0 {
			parts = append(parts, "ingress: none (deny all)")
		} else {
			parts = append(parts, "ingress: "+plural(len(p.Ingress), "rule"))
		}
	}
	if p.HasType(networkingv1.PolicyTypeEgress) {
		if len(p.Egress) == 0 {
			parts = append(parts, "egress: none (deny all)")
		} else {
			parts = append(parts, "egress: "+plural(len(p.Egress), "rule"))
		}
	}
	return strings.Join(parts, "; ")
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n%s\n", title)
}

func table(w io.Writer, headers ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	return tw
}

func row(tw *tabwriter.Writer, cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(tw, strings.Join(s, "\t"))
}

func labelString(l map[string]string) string {
	if len(l) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

func selectorString(s string) string {
	if s == "" {
		return "{} (all pods)"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "policy") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// WriteSavedSnapshot writes the snapshot as netreach reads it back (`snapshot -o
// yaml`): a kubectl-style `kind: List` of the objects read, reduced to the
// fields the analysis reads (model.LoadOptions.KeepObjects), followed by the
// catalogue networks of the input as one NetworkCatalog. Reading the file with
// -f gives the same snapshot. The whole document is built before anything is
// written, so a failure leaves no partial output.
func WriteSavedSnapshot(w io.Writer, s *model.Snapshot) error {
	items := make([]any, 0, len(s.Saved)+1)
	for _, o := range s.Saved {
		items = append(items, o.Object)
	}
	if c := model.CatalogObject(s.Networks); c != nil {
		items = append(items, c)
	}
	out, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return err
	}
	header := "# A cluster snapshot saved by `netreach snapshot -o yaml`: only the fields the\n" +
		"# analysis reads. Analyse it with `netreach -f FILE COMMAND`.\n"
	_, err = io.WriteString(w, header+string(out))
	return err
}
