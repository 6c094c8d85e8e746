package peers

import (
	"fmt"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/benchmarks/gen"
)

// SplitNamedPortEgress returns a copy of c in which every egress rule that
// names a port and may reach addresses outside the pod network (it has an
// ipBlock peer, or no peer at all) is split in two rules:
//
//   - the rule's pod peers (podSelector/namespaceSelector; when the rule had
//     no peers, `namespaceSelector: {}`, every pod) with all its ports, and
//   - the rule's ipBlock peers (when the rule had no peers, 0.0.0.0/0 and
//     ::/0) with only its numbered ports; this rule is left out when every
//     port is named.
//
// netpol-analyzer (v1.4.4) stops the whole analysis with the fatal error
// "named port error: cannot convert named port for an IP destination" on any
// such rule, although the API server accepts it. The split keeps the
// meaning when ipBlocks never match pods (--ipblock-pods=ignore, the
// semantics of this comparison): a named port resolves on the destination
// pod and never matches an address outside the cluster (DESIGN.md §2.9), so
// the ipBlock half loses nothing by dropping its named ports. One difference
// remains: `namespaceSelector: {}` selects no hostNetwork pod, while "no
// peer" lets traffic reach them too; Run checks netreach's answer on the
// original cluster against the rewritten one and reports any change.
//
// The second result counts the rules split. Policies that need no change are
// shared with c, not copied.
func SplitNamedPortEgress(c *gen.Cluster) (*gen.Cluster, int) {
	out := *c
	out.Policies = make([]*networkingv1.NetworkPolicy, len(c.Policies))
	split := 0
	for i, p := range c.Policies {
		out.Policies[i] = p
		var rules []networkingv1.NetworkPolicyEgressRule
		changed := false
		for _, r := range p.Spec.Egress {
			a, b, ok := splitRule(r)
			if !ok {
				rules = append(rules, r)
				continue
			}
			changed = true
			split++
			if a != nil {
				rules = append(rules, *a)
			}
			if b != nil {
				rules = append(rules, *b)
			}
		}
		if !changed {
			continue
		}
		cp := p.DeepCopy()
		// Egress stays in policyTypes (explicitly, or through defaulting,
		// since at least one rule always remains), so isolation is kept.
		if len(cp.Spec.PolicyTypes) == 0 {
			cp.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		}
		cp.Spec.Egress = rules
		out.Policies[i] = cp
	}
	return &out, split
}

// splitRule splits one egress rule as SplitNamedPortEgress describes; ok is
// false when the rule needs no change.
func splitRule(r networkingv1.NetworkPolicyEgressRule) (pods, ips *networkingv1.NetworkPolicyEgressRule, ok bool) {
	named := false
	var numbered []networkingv1.NetworkPolicyPort
	for _, p := range r.Ports {
		if p.Port != nil && p.Port.Type == intstr.String {
			named = true
			continue
		}
		numbered = append(numbered, p)
	}
	if !named {
		return nil, nil, false
	}
	var podPeers, ipPeers []networkingv1.NetworkPolicyPeer
	if len(r.To) == 0 {
		podPeers = []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}
		ipPeers = []networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
			{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
		}
	} else {
		for _, peer := range r.To {
			if peer.IPBlock != nil {
				ipPeers = append(ipPeers, peer)
			} else {
				podPeers = append(podPeers, peer)
			}
		}
	}
	if len(ipPeers) == 0 {
		return nil, nil, false
	}
	if len(podPeers) > 0 {
		pods = &networkingv1.NetworkPolicyEgressRule{Ports: r.Ports, To: podPeers}
	}
	if len(numbered) > 0 {
		ips = &networkingv1.NetworkPolicyEgressRule{Ports: numbered, To: ipPeers}
	}
	return pods, ips, true
}

// collectLogger is a netpol-analyzer logger that keeps its messages instead
// of writing them to the standard logger.
type collectLogger struct {
	mu   sync.Mutex
	msgs []string
}

func (l *collectLogger) add(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, msg)
}

func (l *collectLogger) Debugf(format string, o ...any) {}
func (l *collectLogger) Infof(format string, o ...any)  {}
func (l *collectLogger) Warnf(format string, o ...any) {
	l.add("warning: " + fmt.Sprintf(format, o...))
}
func (l *collectLogger) Errorf(err error, format string, o ...any) {
	l.add("error: " + fmt.Sprintf(format, o...) + ": " + err.Error())
}
