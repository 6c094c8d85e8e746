package engine

import (
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// NamespaceFix is the remediation of one namespace: the NetworkPolicies that
// close its findings NR001–NR003 (and so NR004–NR005 for its pods).
type NamespaceFix struct {
	Namespace string
	Policies  []networkingv1.NetworkPolicy
}

// FixClosable are the rules a namespace default deny closes.
var FixClosable = []string{RuleNoPolicy, RuleNoDefaultDenyIn, RuleNoDefaultDenyEg, RuleOpenIngress, RuleOpenEgress}

// FindingKey identifies a finding across audits: its rule and key.
type FindingKey struct{ RuleID, Key string }

// FixOutcome compares the audit before the remediation manifests with the
// audit after them: of the findings of the FixClosable rules, those the fix
// closes and those still present.
func FixOutcome(before, after *Audit) (closed, remaining []FindingKey) {
	still := map[FindingKey]bool{}
	for _, f := range after.Findings {
		if slices.Contains(FixClosable, f.RuleID) {
			k := FindingKey{f.RuleID, f.Key}
			still[k] = true
			remaining = append(remaining, k)
		}
	}
	for _, f := range before.Findings {
		if k := (FindingKey{f.RuleID, f.Key}); slices.Contains(FixClosable, f.RuleID) && !still[k] {
			closed = append(closed, k)
		}
	}
	return closed, remaining
}

// FixPolicies returns, per namespace with a finding NR001, NR002 or NR003, the
// policies that close it (none when a policy selecting every pod admits
// everything: added policies cannot take that away): a default deny for each missing direction, an egress
// allowance for DNS to the cluster DNS pods (UDP and TCP on DNSPort, 53 unless
// the kube-dns Service says otherwise) when egress is
// denied, and, in the DNS pods' own namespace, an ingress allowance for DNS
// from every namespace when ingress is denied there. Sorted by namespace.
func FixPolicies(s *model.Snapshot, a *Audit) []NamespaceFix {
	missing := map[string]map[networkingv1.PolicyType]bool{}
	need := func(ns string, dirs ...networkingv1.PolicyType) {
		if missing[ns] == nil {
			missing[ns] = map[networkingv1.PolicyType]bool{}
		}
		for _, d := range dirs {
			missing[ns][d] = true
		}
	}
	for _, f := range a.Findings {
		ns := ""
		for _, r := range f.Resources {
			if r.Kind == "Namespace" {
				ns = r.Name
			}
		}
		switch f.RuleID {
		case RuleNoPolicy:
			need(ns, networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)
		case RuleNoDefaultDenyIn:
			if !hasSelectAll(s, ns, networkingv1.PolicyTypeIngress) {
				need(ns, networkingv1.PolicyTypeIngress)
			}
		case RuleNoDefaultDenyEg:
			if !hasSelectAll(s, ns, networkingv1.PolicyTypeEgress) {
				need(ns, networkingv1.PolicyTypeEgress)
			}
		}
	}
	dnsNS, dnsSel := DNSSelector(s)
	dnsPorts := func() []networkingv1.NetworkPolicyPort {
		var out []networkingv1.NetworkPolicyPort
		for _, p := range []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP} {
			proto, port := p, intstr.FromInt32(DNSPort(s, p))
			out = append(out, networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port})
		}
		return out
	}
	var out []NamespaceFix
	for ns, dirs := range missing {
		if ns == "" {
			continue
		}
		fix := NamespaceFix{Namespace: ns}
		var types []networkingv1.PolicyType
		name := "netreach-default-deny"
		switch {
		case dirs[networkingv1.PolicyTypeIngress] && dirs[networkingv1.PolicyTypeEgress]:
			types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		case dirs[networkingv1.PolicyTypeIngress]:
			types, name = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, name+"-ingress"
		default:
			types, name = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, name+"-egress"
		}
		// A policy with an empty pod selector, the types and no rules: every pod
		// of the namespace is isolated and nothing is admitted (§2.1, §2.5, §2.6).
		fix.Policies = append(fix.Policies, newPolicy(ns, name, types, metav1.LabelSelector{}))
		if dirs[networkingv1.PolicyTypeEgress] {
			p := newPolicy(ns, "netreach-allow-dns-egress", []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, metav1.LabelSelector{})
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": dnsNS}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: dnsSel},
				}},
				Ports: dnsPorts(),
			}}
			fix.Policies = append(fix.Policies, p)
		}
		if ns == dnsNS && dirs[networkingv1.PolicyTypeIngress] {
			p := newPolicy(ns, "netreach-allow-dns-ingress", []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, metav1.LabelSelector{MatchLabels: dnsSel})
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
				Ports: dnsPorts(),
			}}
			fix.Policies = append(fix.Policies, p)
		}
		out = append(out, fix)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

// hasSelectAll reports whether a policy of the namespace selects every pod
// for a direction. Then NR002/NR003 is there because such policies admit
// everything, which no added policy can undo (policies are additive, §2.3):
// the fix is to narrow or delete them, so no default deny is written.
func hasSelectAll(s *model.Snapshot, ns string, dir networkingv1.PolicyType) bool {
	for _, p := range s.PoliciesIn(ns) {
		if p.PodSelector.Empty() && p.HasType(dir) {
			return true
		}
	}
	return false
}

func newPolicy(ns, name string, types []networkingv1.PolicyType, sel metav1.LabelSelector) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "netreach"}},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: sel, PolicyTypes: types},
	}
}

// CutConnections compares the workload-level connectivity (networks of the
// catalogue included) of two graphs and returns, for every pair, the ports
// allowed before and not after: what a change of policies would cut.
func CutConnections(before, after *Graph) ([]Edge, error) {
	edges := func(g *Graph) (map[[2]string]evaluator.PortSet, error) {
		out := map[[2]string]evaluator.PortSet{}
		err := g.Matrix(LevelWorkload, g.snap.Catalog()).Edges(func(e Edge) error {
			out[[2]string{e.Src, e.Dst}] = e.Ports
			return nil
		})
		return out, err
	}
	b, err := edges(before)
	if err != nil {
		return nil, err
	}
	a, err := edges(after)
	if err != nil {
		return nil, err
	}
	var cut []Edge
	for k, p := range b {
		if lost := portsMinus(p, a[k]); !lost.Empty() {
			cut = append(cut, Edge{Src: k[0], Dst: k[1], Ports: lost})
		}
	}
	sort.Slice(cut, func(i, j int) bool {
		if cut[i].Src != cut[j].Src {
			return cut[i].Src < cut[j].Src
		}
		return cut[i].Dst < cut[j].Dst
	})
	return cut, nil
}
