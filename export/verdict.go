package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/evaluator"
)

// VerdictDoc is the JSON document of `netreach can-reach -o json`
// (schema: docs/schema/verdict.schema.json).
type VerdictDoc struct {
	APIVersion  string `json:"apiVersion"`
	Kind        string `json:"kind"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// Protocol is empty when the query covers every protocol.
	Protocol string `json:"protocol,omitempty"`
	// Port is 0 (omitted) when the query covers every port.
	Port int32 `json:"port,omitempty"`
	// Allowed is true when every pod pair is allowed, or, when an end is a
	// network, when some pair is (some address of the network).
	Allowed      bool           `json:"allowed"`
	Pairs        int            `json:"pairs"`
	AllowedPairs int            `json:"allowedPairs"`
	Enforcement  EnforcementDoc `json:"enforcement"`
	Verdicts     []PairDoc      `json:"verdicts"`
}

// EnforcementDoc says whether NetworkPolicy is enforced and why netreach thinks so.
type EnforcementDoc struct {
	Enforced bool   `json:"enforced"`
	Reason   string `json:"reason"`
}

// PairDoc is the verdict for one source and destination pair.
type PairDoc struct {
	Source      EndpointDoc `json:"source"`
	Destination EndpointDoc `json:"destination"`
	Allowed     bool        `json:"allowed"`
	Ports       PortsDoc    `json:"ports"`
	Egress      SideDoc     `json:"egress"`
	Ingress     SideDoc     `json:"ingress"`
	Notes       []NoteDoc   `json:"notes"`
}

// EndpointDoc names an endpoint.
type EndpointDoc struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	IP   string `json:"ip,omitempty"`
}

// SideDoc is the decision of one direction.
type SideDoc struct {
	Policed           bool      `json:"policed"`
	Isolated          bool      `json:"isolated"`
	IsolatingPolicies []string  `json:"isolatingPolicies"`
	Allowed           bool      `json:"allowed"`
	NodeLocal         bool      `json:"nodeLocal,omitempty"`
	Ports             PortsDoc  `json:"ports"`
	AllowingRules     []RuleDoc `json:"allowingRules"`
	Misses            []RuleDoc `json:"misses"`
}

// RuleDoc names a rule: policy, direction and index, and the matching peer.
type RuleDoc struct {
	Policy string `json:"policy"`
	Rule   int    `json:"rule"`
	// Peer is the index of the matching from/to entry, absent when the rule
	// has no peers or did not match.
	Peer   *int     `json:"peer,omitempty"`
	Ports  PortsDoc `json:"ports,omitempty"`
	Reason string   `json:"reason,omitempty"`
	Detail string   `json:"detail"`
}

// NoteDoc is a remark on a verdict.
type NoteDoc struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// PortsDoc is a port set as JSON: protocol → inclusive [from, to] ranges,
// sorted and merged (the format of DESIGN.md §4).
type PortsDoc map[string][][2]int32

// NewPortsDoc converts a port set.
func NewPortsDoc(s evaluator.PortSet) PortsDoc {
	out := PortsDoc{}
	for _, p := range evaluator.Protocols {
		for _, r := range s.Ranges(p) {
			out[string(p)] = append(out[string(p)], [2]int32{r.From, r.To})
		}
	}
	return out
}

// NewPairDoc converts one evaluator verdict.
func NewPairDoc(v *evaluator.Verdict, src, dst string) PairDoc {
	d := PairDoc{Source: endpointDoc(v.Src), Destination: endpointDoc(v.Dst), Allowed: v.Allowed,
		Ports: NewPortsDoc(v.Ports), Egress: sideDoc(v.Egress), Ingress: sideDoc(v.Ingress), Notes: []NoteDoc{}}
	for _, n := range v.Notes {
		d.Notes = append(d.Notes, NoteDoc{Code: n.Code, Text: n.Text})
	}
	return d
}

func endpointDoc(e evaluator.Endpoint) EndpointDoc {
	if e.Pod != nil {
		d := EndpointDoc{ID: e.Pod.ID(), Kind: "Pod"}
		if len(e.Pod.IPs) > 0 {
			d.IP = e.Pod.IPs[0].String()
		}
		return d
	}
	if e.Range.IsValid() {
		return EndpointDoc{ID: e.String(), Kind: "IPRange", IP: e.IP.String()}
	}
	return EndpointDoc{ID: e.IP.String(), Kind: "IP", IP: e.IP.String()}
}

func sideDoc(s evaluator.Side) SideDoc {
	d := SideDoc{Policed: s.Policed, Isolated: s.Isolated, Allowed: s.Allowed, NodeLocal: s.NodeLocal, Ports: NewPortsDoc(s.Ports),
		IsolatingPolicies: []string{}, AllowingRules: []RuleDoc{}, Misses: []RuleDoc{}}
	for _, p := range s.Isolating {
		d.IsolatingPolicies = append(d.IsolatingPolicies, p.ID())
	}
	for _, m := range s.Allowing {
		d.AllowingRules = append(d.AllowingRules, ruleDoc(m))
	}
	for _, m := range s.Misses {
		d.Misses = append(d.Misses, ruleDoc(m))
	}
	return d
}

func ruleDoc(m evaluator.RuleMatch) RuleDoc {
	d := RuleDoc{Policy: m.Policy.ID(), Rule: m.Rule, Reason: string(m.Reason), Detail: m.Detail}
	if m.Peer >= 0 {
		peer := m.Peer
		d.Peer = &peer
	}
	if m.Reason == "" {
		d.Ports = NewPortsDoc(m.Ports)
	}
	return d
}

// WriteVerdict writes a can-reach answer as text or JSON.
func WriteVerdict(w io.Writer, doc *VerdictDoc, f Format) error {
	if f == JSON {
		return WriteJSON(w, doc)
	}
	bw := bufio.NewWriter(w)
	what := "all traffic"
	switch {
	case doc.Protocol != "" && doc.Port != 0:
		what = fmt.Sprintf("%s %d", doc.Protocol, doc.Port)
	case doc.Protocol != "":
		what = "all " + doc.Protocol + " ports"
	case doc.Port != 0:
		what = fmt.Sprintf("port %d (TCP, UDP, SCTP)", doc.Port)
	}
	for i, p := range doc.Verdicts {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		writePairText(bw, &p, what, doc.Port == 0)
	}
	if doc.Pairs > 1 {
		word := "ALLOWED"
		switch {
		case doc.AllowedPairs == 0:
			word = "DENIED"
		case doc.AllowedPairs < doc.Pairs && !doc.Allowed:
			word = "PARTLY ALLOWED"
		}
		unit := "pod pairs"
		if strings.HasPrefix(doc.Source, "net:") || strings.HasPrefix(doc.Destination, "net:") {
			unit = "pairs of pod and address range"
		}
		fmt.Fprintf(bw, "\n%s: %s → %s (%s): allowed for %d of %d %s\n", word, doc.Source, doc.Destination, what, doc.AllowedPairs, doc.Pairs, unit)
	}
	return bw.Flush()
}

func writePairText(w *bufio.Writer, p *PairDoc, what string, showPorts bool) {
	word := "DENIED"
	if p.Allowed {
		word = "ALLOWED"
	}
	fmt.Fprintf(w, "%s: %s → %s (%s)", word, p.Source.ID, p.Destination.ID, what)
	if showPorts && p.Allowed {
		fmt.Fprintf(w, ": allowed ports %s", portsText(p.Ports))
	}
	fmt.Fprintln(w)
	writeSideText(w, "egress from", p.Source.ID, p.Egress)
	writeSideText(w, "ingress to", p.Destination.ID, p.Ingress)
	for _, n := range p.Notes {
		fmt.Fprintf(w, "  note: %s\n", n.Text)
	}
}

func writeSideText(w *bufio.Writer, dir, id string, s SideDoc) {
	fmt.Fprintf(w, "  %s %s: ", dir, id)
	switch {
	case !s.Policed:
		fmt.Fprintln(w, "not policed (no NetworkPolicy applies here)")
		return
	case !s.Isolated:
		fmt.Fprintln(w, "not isolated (no NetworkPolicy selects it for this direction): allowed")
		return
	}
	fmt.Fprintf(w, "isolated by %s\n", strings.Join(s.IsolatingPolicies, ", "))
	if s.NodeLocal {
		fmt.Fprintln(w, "    allowed: the traffic comes from the pod's own node, which is always admitted (kubelet probes)")
		return
	}
	for _, r := range s.AllowingRules {
		fmt.Fprintf(w, "    allowed by %s %s (%s) for %s\n", r.Policy, ruleName(dir, r.Rule), r.Detail, portsText(r.Ports))
	}
	if len(s.AllowingRules) == 0 {
		if len(s.Misses) == 0 {
			fmt.Fprintln(w, "    denied: the isolating policies have no rules for this direction (deny all)")
			return
		}
		fmt.Fprintln(w, "    denied: no rule admits the traffic")
	}
	for _, r := range s.Misses {
		if len(s.AllowingRules) > 0 {
			continue // the misses matter only when nothing admits the traffic
		}
		fmt.Fprintf(w, "    - %s %s does not match: %s\n", r.Policy, ruleName(dir, r.Rule), r.Detail)
	}
}

func ruleName(dir string, i int) string {
	if strings.HasPrefix(dir, "egress") {
		return fmt.Sprintf("egress[%d]", i)
	}
	return fmt.Sprintf("ingress[%d]", i)
}

// portsText renders a PortsDoc like evaluator.PortSet.String.
func portsText(p PortsDoc) string { return p.set().String() }

// set converts the document back to a port set.
func (p PortsDoc) set() evaluator.PortSet {
	s := evaluator.PortSet{}
	for _, proto := range evaluator.Protocols {
		for _, r := range p[string(proto)] {
			s = s.Union(evaluator.SinglePort(proto, r[0], r[1]))
		}
	}
	return s
}

// union is the ports in either document.
func (p PortsDoc) union(o PortsDoc) PortsDoc { return NewPortsDoc(p.set().Union(o.set())) }
