package engine

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// NodeIsolation counts, for one node of a matrix (a pod, a workload or a
// namespace), how many of its pods are restricted in each direction.
type NodeIsolation struct {
	// Pods counts the node's pods that take part (finished pods excluded).
	Pods int
	// Ingress and Egress count the pods restricted in that direction: isolated
	// by a policy, and not admitting every peer on every port (see Restricted).
	Ingress, Egress int
}

// Isolation returns, index for index with m.Nodes, how many pods of each node
// are restricted for ingress and egress. Network nodes have no pods. A pod
// counts as restricted in a direction when some policy of its namespace
// selects it with that type (DESIGN.md §2.1) and its rules do not admit
// everything (see AllowAllRules): a pod selected only by an allow-all policy
// is isolated in the API's sense but communicates without restriction, and is
// counted as open, as the audit (NR004, NR005) does. Host-network pods are
// never isolated (§2.11); when the cluster does not enforce NetworkPolicy
// (§2.13) no pod is.
func (m *Matrix) Isolation() []NodeIsolation {
	g := m.g
	out := make([]NodeIsolation, len(m.Nodes))
	memo := map[int32][2]bool{}
	for pi, node := range m.groupOf {
		if node < 0 {
			continue
		}
		c := g.podClass[pi]
		r, ok := memo[c]
		if !ok {
			r = [2]bool{g.restricted(c, networkingv1.PolicyTypeIngress), g.restricted(c, networkingv1.PolicyTypeEgress)}
			memo[c] = r
		}
		n := &out[node]
		n.Pods++
		if r[0] {
			n.Ingress++
		}
		if r[1] {
			n.Egress++
		}
	}
	return out
}

// restricted reports whether the pods of a class are restricted in a
// direction: policies are enforced (§2.13), the class is not on the host
// network (§2.11), a policy isolates it (§2.1), and its rules do not admit
// every peer on every port.
func (g *Graph) restricted(c int32, dir networkingv1.PolicyType) bool {
	cl := &g.classes[c]
	if !g.enforced || cl.hostNetwork {
		return false
	}
	isolated := cl.isolatedIn
	if dir == networkingv1.PolicyTypeEgress {
		isolated = cl.isolatedEg
	}
	return isolated && len(allowAllRules(g.snap.PoliciesIn(cl.namespace), cl.rep.Labels, dir)) == 0
}

// allowAllRules returns the rules ("ns/name ingress[0]") of the policies that
// select pods with the given labels for a direction, when those rules, taken
// together, admit every peer on every port: the rules without from/to (which
// match every pod and every address, §2.5) whose ports cover every port of
// every protocol (no ports means all of them, §2.5). It returns nil when the
// rules restrict something. Rules with peers are not considered, so a rule
// that lists every namespace and 0.0.0.0/0 does not count: the check errs
// towards "restricted", never towards a false finding.
func allowAllRules(policies []*model.NetworkPolicy, podLabels labels.Set, dir networkingv1.PolicyType) []string {
	var names []string
	ports := evaluator.PortSet{}
	for _, p := range policies {
		// §2.1: a policy applies to a pod when its podSelector selects it and
		// its (defaulted, §2.2) policyTypes contain the direction.
		if !p.HasType(dir) || !p.PodSelector.Matches(podLabels) {
			continue
		}
		side, rules := "ingress", p.Ingress
		if dir == networkingv1.PolicyTypeEgress {
			side, rules = "egress", p.Egress
		}
		for i, r := range rules {
			if len(r.Peers) > 0 {
				continue
			}
			ports = ports.Union(newPortSpec(r.Ports).numeric)
			names = append(names, fmt.Sprintf("%s %s[%d]", p.ID(), side, i))
		}
	}
	if !ports.Equal(evaluator.AllPorts(evaluator.Protocols...)) {
		return nil
	}
	return names
}
