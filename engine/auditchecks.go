package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// auditor holds what the audit rules share: the class graph with its reverse
// edges, the workloads, and the findings found so far.
type auditor struct {
	g          *Graph
	catalog    []*model.Network
	findings   []Finding
	activePods int
	workloads  []*auditWorkload
	byID       map[string]*auditWorkload
	cg         *classGraph
	dns        []int32 // pods of the cluster DNS service
	dnsNS      string
	// reasons caches the evaluator's explanations of example connections.
	reasons map[reasonKey]string
	// controlPlaneNets holds, per workload, the evidence of its connections to
	// control-plane networks (found by networks, reported by controlPlane).
	controlPlaneNets map[string][]string
	restrictedMemo   map[restrictKey]bool
}

// auditWorkload is a workload (or bare pod) with its active pods.
type auditWorkload struct {
	id        string
	namespace string
	pods      []int32 // active pods, host-network ones included
	res       Resource
}

func newAuditor(g *Graph, catalog []*model.Network) *auditor {
	a := &auditor{g: g, catalog: catalog, byID: map[string]*auditWorkload{}, reasons: map[reasonKey]string{}, restrictedMemo: map[restrictKey]bool{}}
	for i, p := range g.pods {
		if g.podClass[i] < 0 {
			continue
		}
		a.activePods++
		id := podWorkloadID(p)
		w := a.byID[id]
		if w == nil {
			w = &auditWorkload{id: id, namespace: p.Namespace, res: workloadResource(p)}
			a.byID[id] = w
			a.workloads = append(a.workloads, w)
		}
		w.pods = append(w.pods, int32(i))
	}
	sort.Slice(a.workloads, func(i, j int) bool { return a.workloads[i].id < a.workloads[j].id })
	a.cg = newClassGraph(g)
	a.dnsNS, a.dns = dnsPods(g)
	return a
}

// podWorkloadID is the workload id of a pod: ns/Kind/name, or ns/Pod/name for a
// bare pod.
func podWorkloadID(p *model.Pod) string {
	if p.Workload != nil {
		return p.Workload.ID()
	}
	return p.Namespace + "/Pod/" + p.Name
}

func workloadResource(p *model.Pod) Resource {
	if w := p.Workload; w != nil {
		src := w.Source
		if src.File == "" {
			src = p.Source // known only from its pods' ownerReferences
		}
		return Resource{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, ID: w.ID(), Source: src}
	}
	return Resource{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, ID: podWorkloadID(p), Source: p.Source}
}

func namespaceResource(s *model.Snapshot, name string) Resource {
	r := Resource{Kind: "Namespace", Name: name, ID: name}
	if ns := s.Namespace(name); ns != nil {
		r.Source = ns.Source
	}
	return r
}

func policyResource(p *model.NetworkPolicy) Resource {
	return Resource{Kind: "NetworkPolicy", Namespace: p.Namespace(), Name: p.Name(), ID: p.ID(), Source: p.Source}
}

func (a *auditor) add(rule, key, msg string, evidence []string, res ...Resource) {
	r, _ := RuleByID(rule)
	a.findings = append(a.findings, Finding{RuleID: rule, Severity: r.Severity, Key: key, Resources: res, Message: msg, Evidence: evidence})
}

// isolated reports whether a class is isolated in a direction in effect: a
// policy selects it, it is not a host-network class, and policies are enforced.
func (a *auditor) isolated(c int32, dir networkingv1.PolicyType) bool {
	cl := &a.g.classes[c]
	if !a.g.enforced || cl.hostNetwork {
		return false
	}
	if dir == networkingv1.PolicyTypeIngress {
		return cl.isolatedIn
	}
	return cl.isolatedEg
}

// restricted reports whether a class is restricted in a direction in effect:
// isolated (see isolated) and its rules do not admit everything
// (Graph.restricted). Memoised per class and direction.
func (a *auditor) restricted(c int32, dir networkingv1.PolicyType) bool {
	k := restrictKey{c, dir == networkingv1.PolicyTypeEgress}
	r, ok := a.restrictedMemo[k]
	if !ok {
		r = a.g.restricted(c, dir)
		a.restrictedMemo[k] = r
	}
	return r
}

type restrictKey struct {
	c      int32
	egress bool
}

// enforcement: NR013.
func (a *auditor) enforcement() {
	if a.g.enforced {
		return
	}
	a.add(RuleNotEnforced, "cluster", "NetworkPolicy is not enforced ("+a.g.EnforcementReason+"): every connection between pods is allowed.",
		[]string{fmt.Sprintf("%s in the snapshot have no effect", plural(len(a.g.snap.Policies), "NetworkPolicy")),
			fmt.Sprintf("every one of the %s may open connections to every other, on every port", plural(a.activePods, "active pod"))},
		Resource{Kind: "Cluster", Name: "cluster", ID: "cluster"})
}

// policedPods returns the active pods of a namespace that policies can select.
func (a *auditor) policedPods(ns string) []int32 {
	var out []int32
	for _, p := range a.g.snap.PodsIn(ns) {
		if i := a.g.podIndex[p]; a.g.podClass[i] >= 0 && !p.HostNetwork {
			out = append(out, i)
		}
	}
	return out
}

// namespaces: NR001, NR002, NR003.
func (a *auditor) namespaces() {
	s := a.g.snap
	for _, ns := range s.Namespaces {
		pods := a.policedPods(ns.Name)
		if len(pods) == 0 {
			continue // nothing a policy could protect
		}
		policies := s.PoliciesIn(ns.Name)
		res := namespaceResource(s, ns.Name)
		classes := a.classesOf(pods)
		if len(policies) == 0 {
			in := a.cg.reachers(a.g, classes)
			out := a.cg.reached(a.g, classes)
			ev := []string{
				fmt.Sprintf("%s of %s run there and no NetworkPolicy exists in the namespace", plural(len(pods), "pod"), plural(len(a.workloadsIn(ns.Name)), "workload")),
				fmt.Sprintf("%s in %s may open connections to them", plural(in.pods, "pod"), plural(in.namespaces, "namespace")),
				fmt.Sprintf("they may open connections to %s in %s", plural(out.pods, "pod"), plural(out.namespaces, "namespace")),
			}
			ev = append(ev, examples("e.g. ", in.examples)...)
			a.add(RuleNoPolicy, "namespace:"+ns.Name, fmt.Sprintf("Namespace %s has %s and no NetworkPolicy: every pod in it is open both ways.", ns.Name, plural(len(pods), "pod")), ev, res)
			continue
		}
		for _, dir := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
			word := strings.ToLower(string(dir))
			// A policy with podSelector: {} and the direction isolates every pod of
			// the namespace, new ones included (§2.1, §2.6); the namespace has a
			// default deny unless such policies together admit everything.
			var selectAll []*model.NetworkPolicy
			for _, p := range policies {
				if p.PodSelector.Empty() && p.HasType(dir) {
					selectAll = append(selectAll, p)
				}
			}
			allowAll := allowAllRules(selectAll, nil, dir)
			if len(selectAll) > 0 && len(allowAll) == 0 {
				continue
			}
			var open []int32
			for _, pi := range pods {
				if !a.restricted(a.g.podClass[pi], dir) {
					open = append(open, pi)
				}
			}
			ids := make([]string, len(policies))
			for i, p := range policies {
				ids[i] = p.ID()
			}
			var ev []string
			var state string
			if len(allowAll) > 0 {
				ev = append(ev, fmt.Sprintf("policies of the namespace: %s", strings.Join(ids, ", ")),
					fmt.Sprintf("every pod of the namespace, new ones included, is selected by a policy with podSelector: {} whose rules admit every %s on every port: %s",
						peerWord(dir), strings.Join(allowAll, ", ")))
				state = fmt.Sprintf("%s of its %d %s %s open for %s", fmt.Sprint(len(open)), len(pods), pluralNoun(len(pods), "pod"), isAre(len(open)), word)
				if len(open) == len(pods) {
					state = fmt.Sprintf("a policy that selects every pod admits everything, so its %s %s open for %s", plural(len(pods), "pod"), isAre(len(pods)), word)
				}
				ev = append(ev, state+": "+strings.Join(a.workloadIDs(open), ", "))
			} else {
				ev = append(ev, fmt.Sprintf("policies of the namespace: %s; none selects every pod (podSelector: {}) for %s", strings.Join(ids, ", "), word))
				state = fmt.Sprintf("%s of its %d %s %s not restricted for %s", fmt.Sprint(len(open)), len(pods), pluralNoun(len(pods), "pod"), isAre(len(open)), word)
				if len(open) == 0 {
					state = fmt.Sprintf("its %s %s restricted for %s by specific policies today, but a new pod that none selects would be open", plural(len(pods), "pod"), isAre(len(pods)), word)
					ev = append(ev, state)
				} else {
					ev = append(ev, state+": "+strings.Join(a.workloadIDs(open), ", "))
				}
			}
			rule, key := RuleNoDefaultDenyIn, "namespace:"+ns.Name
			if dir == networkingv1.PolicyTypeEgress {
				rule = RuleNoDefaultDenyEg
			}
			a.add(rule, key, fmt.Sprintf("Namespace %s has no effective default-deny %s policy; %s.", ns.Name, word, state), ev, res)
		}
	}
}

func peerWord(dir networkingv1.PolicyType) string {
	if dir == networkingv1.PolicyTypeEgress {
		return "destination (pod or address)"
	}
	return "source (pod or address)"
}

func (a *auditor) workloadsIn(ns string) []*auditWorkload {
	var out []*auditWorkload
	for _, w := range a.workloads {
		if w.namespace == ns {
			out = append(out, w)
		}
	}
	return out
}

// workloadIDs names the workloads of some pods, sorted and deduplicated.
func (a *auditor) workloadIDs(pods []int32) []string {
	seen := map[string]bool{}
	var out []string
	for _, pi := range pods {
		if id := podWorkloadID(a.g.pods[pi]); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// classesOf returns the distinct classes of some active pods.
func (a *auditor) classesOf(pods []int32) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, pi := range pods {
		if c := a.g.podClass[pi]; c >= 0 && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// isolation: NR004, NR005 (host-network pods are NR006's).
func (a *auditor) isolation() {
	for _, w := range a.workloads {
		var policed []int32
		for _, pi := range w.pods {
			if !a.g.pods[pi].HostNetwork {
				policed = append(policed, pi)
			}
		}
		if len(policed) == 0 {
			continue
		}
		for _, dir := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
			var open []int32
			for _, pi := range policed {
				if !a.restricted(a.g.podClass[pi], dir) {
					open = append(open, pi)
				}
			}
			if len(open) == 0 {
				continue
			}
			classes := a.classesOf(open)
			why := a.whyOpen(a.g.pods[open[0]], dir)
			if dir == networkingv1.PolicyTypeIngress {
				in := a.cg.reachers(a.g, classes)
				ev := append([]string{why}, examples("e.g. ", in.examples)...)
				a.add(RuleOpenIngress, "workload:"+w.id, fmt.Sprintf("%s: %s unrestricted for ingress; %s in %s may open connections to them.",
					w.id, countOf(len(open), len(policed), "pod"), plural(in.pods, "pod"), plural(in.namespaces, "namespace")), ev, w.res)
				continue
			}
			out := a.cg.reached(a.g, classes)
			ev := append([]string{why}, examples("e.g. ", out.examples)...)
			a.add(RuleOpenEgress, "workload:"+w.id, fmt.Sprintf("%s: %s unrestricted for egress; they may open connections to %s in %s and beyond the cluster.",
				w.id, countOf(len(open), len(policed), "pod"), plural(out.pods, "pod"), plural(out.namespaces, "namespace")), ev, w.res)
		}
	}
}

// whyOpen says why a pod is unrestricted in a direction: not isolated, or
// isolated by policies whose rules admit everything.
func (a *auditor) whyOpen(p *model.Pod, dir networkingv1.PolicyType) string {
	word := strings.ToLower(string(dir))
	if !a.g.enforced {
		return "NetworkPolicy is not enforced, so no pod is isolated"
	}
	if rules := allowAllRules(a.g.snap.PoliciesIn(p.Namespace), p.Labels, dir); len(rules) > 0 {
		return fmt.Sprintf("isolated for %s, but rules without %s admit every %s on every port: %s",
			word, map[bool]string{true: "to", false: "from"}[dir == networkingv1.PolicyTypeEgress], peerWord(dir), strings.Join(rules, ", "))
	}
	var typed []string
	for _, pol := range a.g.snap.PoliciesIn(p.Namespace) {
		if pol.HasType(dir) {
			typed = append(typed, pol.ID())
		}
	}
	if len(typed) == 0 {
		return fmt.Sprintf("no NetworkPolicy of namespace %s has policyTypes %s", p.Namespace, dir)
	}
	return fmt.Sprintf("none of the %s policies of namespace %s (%s) selects its labels %s", word, p.Namespace, strings.Join(typed, ", "), labels.Set(p.Labels).String())
}

// countOf phrases n pods out of total: "1 pod", "all 3 pods", "2 of 3 pods".
func countOf(n, total int, noun string) string {
	switch {
	case n == total && total == 1:
		return "1 " + noun
	case n == total:
		return fmt.Sprintf("all %d %ss", total, noun)
	}
	return fmt.Sprintf("%d of %d %ss", n, total, noun)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// pluralNoun is the noun alone, singular or plural for n.
func pluralNoun(n int, noun string) string {
	_, w, _ := strings.Cut(plural(n, noun), " ")
	return w
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func examples(prefix string, list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return []string{prefix + strings.Join(list, "; ")}
}

// hostNetwork: NR006.
func (a *auditor) hostNetwork() {
	for _, w := range a.workloads {
		var host []int32
		nodes := map[string]bool{}
		for _, pi := range w.pods {
			if p := a.g.pods[pi]; p.HostNetwork {
				host = append(host, pi)
				nodes[p.NodeName] = true
			}
		}
		if len(host) == 0 {
			continue
		}
		rep := a.g.pods[host[0]]
		var vain []string
		for _, p := range a.g.snap.PoliciesIn(rep.Namespace) {
			if p.PodSelector.Matches(rep.Labels) {
				vain = append(vain, p.ID())
			}
		}
		classes := a.classesOf(host)
		out := a.cg.reached(a.g, classes)
		local := 0
		for _, h := range classes {
			local += a.cg.nodeLocalPods(h)
		}
		ev := []string{fmt.Sprintf("%s on %s use the node's address", plural(len(host), "host-network pod"), plural(len(nodes), "node"))}
		if len(vain) > 0 {
			ev = append(ev, "policies that select their labels in vain: "+strings.Join(vain, ", "))
		} else {
			ev = append(ev, "no policy selects their labels, and none could isolate them")
		}
		ev = append(ev, fmt.Sprintf("they may open connections to %s in %s", plural(out.pods, "pod"), plural(out.namespaces, "namespace")))
		if local > 0 {
			ev = append(ev, fmt.Sprintf("as their node, they also reach %s on their nodes that are isolated for ingress: traffic from a pod's own node is always admitted", plural(local, "pod")))
		}
		a.add(RuleHostNetwork, "workload:"+w.id, fmt.Sprintf("%s: %s on the host network, which no NetworkPolicy can isolate.", w.id, countOf(len(host), len(w.pods), "pod")), ev, w.res)
	}
}

// networkRule maps a network type and direction to the rule it feeds.
type networkRule struct {
	typ      model.NetworkType
	outbound bool
	rule     string
	verb     string
}

// networkRules maps a network type and direction to the rule it feeds.
var networkRules = []networkRule{
	{model.NetworkCloudMetadata, true, RuleCloudMetadata, "may open connections to the cloud metadata service"},
	{model.NetworkPeering, true, RulePeering, "may open connections into peered networks"},
	{model.NetworkTransit, true, RuleTransit, "may open connections into transit networks"},
	{model.NetworkInternet, true, RuleInternetEgress, "may open connections to the internet"},
	{model.NetworkInternet, false, RuleInternetIngress, "may accept connections from the internet"},
}

// networks: NR007, NR009, NR010, NR011, NR012, and the control-plane half of
// NR008 (kept for controlPlane), from the exposure query.
func (a *auditor) networks() {
	type acc struct {
		pods int
		ev   []string
	}
	got := map[string]map[string]*acc{} // rule → workload → evidence
	for _, e := range a.g.Exposures(a.catalog) {
		for _, nr := range append(slices.Clone(networkRules), networkRule{model.NetworkControlPlane, true, RuleControlPlane, ""}) {
			if e.Network.Type != nr.typ {
				continue
			}
			list := e.Inbound
			if nr.outbound {
				list = e.Outbound
			}
			for _, we := range list {
				m := got[nr.rule]
				if m == nil {
					m = map[string]*acc{}
					got[nr.rule] = m
				}
				x := m[we.Workload]
				if x == nil {
					x = &acc{}
					m[we.Workload] = x
				}
				x.pods = max(x.pods, we.Pods)
				x.ev = append(x.ev, a.networkEvidence(e.Network, we, nr.outbound))
			}
		}
	}
	a.controlPlaneNets = map[string][]string{}
	for id, x := range got[RuleControlPlane] {
		a.controlPlaneNets[id] = x.ev
	}
	for _, nr := range networkRules {
		ids := make([]string, 0, len(got[nr.rule]))
		for id := range got[nr.rule] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			w := a.byID[id]
			if w == nil {
				continue
			}
			x := got[nr.rule][id]
			a.add(nr.rule, "workload:"+id, fmt.Sprintf("%s: %s %s.", id, countOf(x.pods, len(w.pods), "pod"), nr.verb), x.ev, w.res)
		}
	}
}

// networkEvidence describes one workload's connectivity with one network, with
// the evaluator's reason for one example connection.
func (a *auditor) networkEvidence(n *model.Network, we WorkloadExposure, outbound bool) string {
	where := "every address"
	ranges := we.Ranges()
	if !we.All() {
		parts := make([]string, 0, len(ranges))
		for i, r := range ranges {
			if i == 3 {
				parts = append(parts, fmt.Sprintf("%d more ranges", len(ranges)-3))
				break
			}
			parts = append(parts, r.Range.From().String()+"-"+r.Range.To().String())
		}
		where = "only " + strings.Join(parts, ", ")
	}
	text := fmt.Sprintf("%s (%s): %s, %s", n.ID(), n.Type, we.Ports(), where)
	w := a.byID[we.Workload]
	if w == nil || len(ranges) == 0 {
		return text
	}
	pi := w.pods[0]
	pod := evaluator.PodEndpoint(a.g.pods[pi])
	addr := evaluator.IPEndpoint(ranges[0].Range.From())
	src, dst, side := pod, addr, "egress"
	if !outbound {
		src, dst, side = addr, pod, "ingress"
	}
	// Classes selected by the same policies share one rule list (compile.go:
	// applyPolicies), so the explanation is the same for all of them: explain
	// once per rule list (and named ports, on which ingress ports resolve).
	cl := &a.g.classes[a.g.podClass[pi]]
	rules := cl.egRules
	key := reasonKey{open: cl.hostNetwork || !cl.isolatedEg, host: cl.hostNetwork, addr: addr.IP, outbound: outbound}
	if !outbound {
		rules, key.open = cl.inRules, cl.hostNetwork || !cl.isolatedIn
		for _, p := range cl.namedPorts {
			key.named += fmt.Sprintf("%s/%s/%d,", p.Name, p.Protocol, p.Port)
		}
	}
	if len(rules) > 0 {
		key.rules, key.n = &rules[0], len(rules)
	}
	reason, ok := a.reasons[key]
	if !ok {
		v := evaluator.Evaluate(a.g.snap, a.g.opts, src, dst, evaluator.Query{})
		s := v.Egress
		if !outbound {
			s = v.Ingress
		}
		reason = sideReason(s, side)
		a.reasons[key] = reason
	}
	return fmt.Sprintf("%s; e.g. %s → %s: %s", text, src, dst, reason)
}

// reasonKey identifies an explained example connection with a network.
type reasonKey struct {
	rules      *ruleRef
	n          int
	open, host bool
	named      string
	addr       netip.Addr
	outbound   bool
}

// sideReason says in words why one side of a verdict lets traffic through.
func sideReason(s evaluator.Side, dir string) string {
	switch {
	case !s.Policed:
		return fmt.Sprintf("no policy applies to the %s side", dir)
	case !s.Isolated:
		return "not isolated for " + dir
	case len(s.Allowing) > 0:
		var rules []string
		for _, m := range s.Allowing {
			rules = append(rules, fmt.Sprintf("%s %s[%d]", m.Policy.ID(), dir, m.Rule))
		}
		return "allowed by " + strings.Join(rules, ", ")
	}
	return "allowed"
}

// controlPlane: NR008, reaching the API server (from the exposure query) or
// kube-system pods on ports other than DNS.
func (a *auditor) controlPlane() {
	udp, tcp := DNSPort(a.g.snap, corev1.ProtocolUDP), DNSPort(a.g.snap, corev1.ProtocolTCP)
	dnsPorts := evaluator.SinglePort(corev1.ProtocolUDP, udp, udp).Union(evaluator.SinglePort(corev1.ProtocolTCP, tcp, tcp))
	isDNS := map[int32]bool{}
	for _, pi := range a.dns {
		isDNS[pi] = true
	}
	for _, w := range a.workloads {
		ev := append([]string(nil), a.controlPlaneNets[w.id]...)
		if w.namespace != controlNamespace {
			beyond := map[string]evaluator.PortSet{}
			for _, c := range a.classesOf(w.pods) {
				for _, e := range a.cg.out(c) {
					cl := &a.g.classes[e.c]
					if cl.namespace != controlNamespace {
						continue
					}
					for _, pi := range cl.pods {
						ports := e.ports
						if isDNS[pi] {
							ports = portsMinus(ports, dnsPorts)
						}
						if !ports.Empty() {
							id := podWorkloadID(a.g.pods[pi])
							beyond[id] = beyond[id].Union(ports)
						}
					}
				}
			}
			ids := make([]string, 0, len(beyond))
			for id := range beyond {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for i, id := range ids {
				if i == 4 {
					ev = append(ev, fmt.Sprintf("and %d more kube-system workloads", len(ids)-4))
					break
				}
				ev = append(ev, fmt.Sprintf("%s: %s", id, beyond[id]))
			}
		}
		if len(ev) == 0 {
			continue
		}
		a.add(RuleControlPlane, "workload:"+w.id, fmt.Sprintf("%s may open connections to the control plane or to kube-system beyond DNS.", w.id), ev, w.res)
	}
}

// controlNamespace is the namespace of the cluster's own components.
const controlNamespace = "kube-system"

// portsMinus returns the ports of a that are not in b.
func portsMinus(a, b evaluator.PortSet) evaluator.PortSet {
	out := evaluator.PortSet{}
	for _, proto := range evaluator.Protocols {
		for _, r := range a.Ranges(proto) {
			from := r.From
			for _, x := range b.Ranges(proto) {
				if x.To < from || x.From > r.To {
					continue
				}
				if x.From > from {
					out = out.Union(evaluator.SinglePort(proto, from, x.From-1))
				}
				from = x.To + 1
			}
			if from <= r.To {
				out = out.Union(evaluator.SinglePort(proto, from, r.To))
			}
		}
	}
	return out
}

// dnsPods finds the pods of the cluster DNS service: those the kube-system/
// kube-dns Service selects, or, without that Service, the kube-system pods
// labelled k8s-app=kube-dns.
func dnsPods(g *Graph) (string, []int32) {
	ns, sel := DNSSelector(g.snap)
	var out []int32
	for _, p := range g.snap.PodsIn(ns) {
		if i := g.podIndex[p]; g.podClass[i] >= 0 && !p.HostNetwork && labels.SelectorFromSet(sel).Matches(p.Labels) {
			out = append(out, i)
		}
	}
	return ns, out
}

// DNSPort returns the port the cluster DNS pods serve on for a protocol: the
// targetPort of the kube-system/kube-dns Service's port of that protocol (the
// one with port 53 first), a named targetPort resolved on the DNS pods'
// containers with that name and protocol, or the Service port when targetPort
// is unset; 53 when the Service or the port is not in the snapshot.
func DNSPort(s *model.Snapshot, proto corev1.Protocol) int32 {
	for _, svc := range s.Services {
		if svc.Namespace != controlNamespace || svc.Name != "kube-dns" {
			continue
		}
		var port *corev1.ServicePort
		for i := range svc.Ports {
			p := &svc.Ports[i]
			pp := p.Protocol
			if pp == "" {
				pp = corev1.ProtocolTCP
			}
			if pp == proto && (port == nil || p.Port == 53) {
				port = p
			}
		}
		if port == nil {
			return 53
		}
		switch t := port.TargetPort; {
		case t.Type == intstr.String && t.StrVal != "":
			ns, sel := DNSSelector(s)
			for _, pod := range s.PodsIn(ns) {
				if !labels.SelectorFromSet(sel).Matches(pod.Labels) {
					continue
				}
				for _, cp := range pod.Ports {
					if cp.Name == t.StrVal && cp.Protocol == proto {
						return cp.Port
					}
				}
			}
			return 53
		case t.Type == intstr.Int && t.IntVal > 0:
			return t.IntVal
		case port.Port > 0:
			return port.Port
		}
	}
	return 53
}

// DNSSelector returns the namespace and pod labels of the cluster DNS pods:
// the selector of Service kube-system/kube-dns, or k8s-app=kube-dns.
func DNSSelector(s *model.Snapshot) (string, map[string]string) {
	for _, svc := range s.Services {
		if svc.Namespace == controlNamespace && svc.Name == "kube-dns" && len(svc.Selector) > 0 {
			return controlNamespace, svc.Selector
		}
	}
	return controlNamespace, map[string]string{"k8s-app": "kube-dns"}
}

// emptyPolicies: NR014.
func (a *auditor) emptyPolicies() {
	type result struct {
		selected int
		host     []string
		all      []*model.Pod
	}
	memo := map[string]*result{} // namespace|selector: many policies share a selector
	for _, p := range a.g.snap.Policies {
		key := p.Namespace() + "|" + p.PodSelector.String()
		if r := memo[key]; r != nil && r.selected > 0 {
			continue
		}
		selected, host := 0, []string{}
		var all []*model.Pod
		for _, pod := range a.g.snap.PodsIn(p.Namespace()) {
			if pod.Terminated() {
				continue
			}
			all = append(all, pod)
			if !p.PodSelector.Matches(pod.Labels) {
				continue
			}
			if pod.HostNetwork {
				host = append(host, pod.ID())
			} else {
				selected++
			}
		}
		memo[key] = &result{selected: selected, host: host, all: all}
		// An empty selector selects every pod the namespace will run (§2.6),
		// so it is never a typo; in a namespace without active pods there is
		// nothing to have mistyped against (a default deny laid down ahead of
		// the workloads is good practice).
		if selected > 0 || p.PodSelector.Empty() || len(all) == 0 {
			continue
		}
		ev := []string{fmt.Sprintf("podSelector %s matches none of the %s of namespace %s that policies can select", selectorText(p.PodSelector), plural(len(all)-len(host), "pod"), p.Namespace())}
		if len(host) > 0 {
			ev = append(ev, "it matches only host-network pods, which no policy selects: "+strings.Join(host, ", "))
		}
		if hint := labelHint(p.PodSelector, all); hint != "" {
			ev = append(ev, hint)
		}
		a.add(RuleEmptyPolicy, "policy:"+p.ID(), fmt.Sprintf("NetworkPolicy %s selects no pod, so it has no effect.", p.ID()), ev, policyResource(p))
	}
}

func selectorText(sel labels.Selector) string {
	if sel == nil || sel.Empty() {
		return "{}"
	}
	return sel.String()
}

// labelHint lists the values that pods carry for the keys a selector requires,
// to make a typo visible.
func labelHint(sel labels.Selector, pods []*model.Pod) string {
	reqs, _ := sel.Requirements()
	var parts []string
	for _, r := range reqs {
		vals := map[string]bool{}
		for _, p := range pods {
			if v, ok := p.Labels[r.Key()]; ok && !p.HostNetwork {
				vals[r.Key()+"="+v] = true
			}
		}
		list := make([]string, 0, len(vals))
		for v := range vals {
			list = append(list, v)
		}
		sort.Strings(list)
		if len(list) > 5 {
			list = append(list[:5], "...")
		}
		if len(list) > 0 {
			parts = append(parts, strings.Join(list, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "pods there carry " + strings.Join(parts, "; ")
}

// emptyPeers: NR015. A peer selects pods by its pod selector in the policy's
// namespace, or in the namespaces its namespace selector matches (§2.6); host-
// network pods never match a selector (§2.11).
func (a *auditor) emptyPeers() {
	s := a.g.snap
	selects := map[string]bool{} // scope|selector → some pod matches: peers repeat across policies
	nsMemo := map[string][]string{}
	for _, p := range s.Policies {
		for _, side := range []struct {
			name, list string
			rules      []model.Rule
		}{{"ingress", "from", p.Ingress}, {"egress", "to", p.Egress}} {
			for ri, r := range side.rules {
				for pi, peer := range r.Peers {
					if peer.IPBlock != nil {
						continue
					}
					namespaces := []string{p.Namespace()}
					if peer.NamespaceSelector != nil {
						nsKey := peer.NamespaceSelector.String()
						matched, ok := nsMemo[nsKey]
						if !ok {
							for _, ns := range s.Namespaces {
								if peer.NamespaceSelector.Matches(ns.Labels) {
									matched = append(matched, ns.Name)
								}
							}
							nsMemo[nsKey] = matched
						}
						namespaces = matched
					}
					sel := peer.PodSelector
					if sel == nil {
						sel = labels.Everything()
					}
					memoKey := strings.Join(namespaces, ",") + "|" + sel.String()
					if selects[memoKey] {
						continue
					}
					var candidates []*model.Pod
					found := false
					for _, ns := range namespaces {
						for _, pod := range s.PodsIn(ns) {
							if pod.Terminated() || pod.HostNetwork {
								continue
							}
							candidates = append(candidates, pod)
							if sel.Matches(pod.Labels) {
								found = true
								break
							}
						}
						if found {
							break
						}
					}
					if found {
						selects[memoKey] = true
						continue
					}
					if slices.ContainsFunc(namespaces, func(ns string) bool { return !s.WasRead(ns) }) {
						continue // a partial read: the pods there are unknown
					}
					path := fmt.Sprintf("%s[%d].%s[%d]", side.name, ri, side.list, pi)
					var ev []string
					if peer.NamespaceSelector != nil {
						if len(namespaces) == 0 {
							ev = append(ev, fmt.Sprintf("namespaceSelector %s matches no namespace", selectorText(peer.NamespaceSelector)))
						} else {
							ev = append(ev, fmt.Sprintf("namespaceSelector %s matches %s", selectorText(peer.NamespaceSelector), strings.Join(namespaces, ", ")))
						}
					} else {
						ev = append(ev, "without a namespaceSelector the peer looks only in the policy's namespace, "+p.Namespace())
					}
					if len(namespaces) > 0 {
						ev = append(ev, fmt.Sprintf("podSelector %s matches none of their %s", selectorText(sel), plural(len(candidates), "pod")))
						if hint := labelHint(sel, candidates); hint != "" {
							ev = append(ev, hint)
						}
					}
					a.add(RuleEmptyPeer, "peer:"+p.ID()+"#"+path, fmt.Sprintf("NetworkPolicy %s %s matches no pod, so the rule admits nothing through it.", p.ID(), path), ev, policyResource(p))
				}
			}
		}
	}
}

// dnsWithoutIP reports whether every cluster DNS pod lacks an IP address
// (the snapshot has only their workload's template).
func (a *auditor) dnsWithoutIP() bool {
	for _, d := range a.dns {
		if !a.g.classes[a.g.podClass[d]].noIP {
			return false
		}
	}
	return true
}

// ipBlockMayAllowDNS reports whether an egress rule of a policy selecting the
// pod has an ipBlock peer and admits the DNS port on UDP (§2.8, §2.9).
func (a *auditor) ipBlockMayAllowDNS(p *model.Pod, port int32) bool {
	for _, pol := range a.g.snap.PoliciesIn(p.Namespace) {
		if !pol.HasType(networkingv1.PolicyTypeEgress) || !pol.PodSelector.Matches(p.Labels) {
			continue
		}
		for _, r := range pol.Egress {
			if !newPortSpec(r.Ports).numeric.Contains(corev1.ProtocolUDP, port) {
				continue
			}
			for _, peer := range r.Peers {
				if peer.IPBlock != nil {
					return true
				}
			}
		}
	}
	return false
}

// dnsReach: NR016.
func (a *auditor) dnsReach() {
	if len(a.dns) == 0 || !a.g.enforced {
		return // no DNS pods in the snapshot: nothing to check against
	}
	udp, tcp := DNSPort(a.g.snap, corev1.ProtocolUDP), DNSPort(a.g.snap, corev1.ProtocolTCP)
	reaches := map[int32]bool{}
	canResolve := func(c int32) bool {
		if ok, seen := reaches[c]; seen {
			return ok
		}
		src := Endpoint{pod: a.g.podIndex[a.g.classes[c].rep]}
		ok := false
		for _, d := range a.dns {
			if a.g.CanReach(src, Endpoint{pod: d}, corev1.ProtocolUDP, udp) {
				ok = true
				break
			}
		}
		if !ok && a.dnsWithoutIP() && a.ipBlockMayAllowDNS(a.g.classes[c].rep, udp) {
			// §2.12: pods without an IP (expanded from a workload template) never
			// match ipBlocks, but their real pods will have addresses that an
			// egress ipBlock on the DNS port may well cover: the answer is
			// unknown, and a finding would most likely be false.
			ok = true
		}
		reaches[c] = ok
		return ok
	}
	for _, w := range a.workloads {
		var broken []int32
		policed := 0
		for _, pi := range w.pods {
			c := a.g.podClass[pi]
			if !a.isolated(c, networkingv1.PolicyTypeEgress) {
				continue
			}
			policed++
			if !canResolve(c) {
				broken = append(broken, pi)
			}
		}
		if len(broken) == 0 {
			continue
		}
		pod := a.g.pods[broken[0]]
		dnsPod := a.g.pods[a.dns[0]]
		v := evaluator.Evaluate(a.g.snap, a.g.opts, evaluator.PodEndpoint(pod), evaluator.PodEndpoint(dnsPod), evaluator.Query{Protocol: corev1.ProtocolUDP, Port: udp})
		var iso []string
		for _, p := range v.Egress.Isolating {
			iso = append(iso, p.ID())
		}
		ev := []string{fmt.Sprintf("isolated for egress by %s", strings.Join(iso, ", "))}
		conn := fmt.Sprintf("%s → %s UDP %d", pod.ID(), dnsPod.ID(), udp)
		switch {
		case !v.Egress.Allowed:
			ev = append(ev, fmt.Sprintf("%s: no egress rule allows it", conn))
		case !v.Ingress.Allowed:
			ev = append(ev, fmt.Sprintf("%s: egress allows it, but the DNS pods' ingress policies do not admit it", conn))
		}
		tcpOK := a.g.CanReach(Endpoint{pod: broken[0]}, Endpoint{pod: a.dns[0]}, corev1.ProtocolTCP, tcp)
		ev = append(ev, fmt.Sprintf("TCP %d to the DNS pods: %s", tcp, map[bool]string{true: "allowed", false: "denied too"}[tcpOK]))
		a.add(RuleNoDNS, "workload:"+w.id, fmt.Sprintf("%s: %s cannot reach the cluster DNS pods in %s on UDP %d, so name resolution fails.", w.id, countOf(len(broken), policed, "egress-isolated pod"), a.dnsNS, udp), ev, w.res)
	}
}
