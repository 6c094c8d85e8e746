package gen

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// smallFactor scales every shape down for the tests that cover them all.
const smallFactor = 0.01

var (
	smallMu       sync.Mutex
	smallClusters = map[string]*Cluster{}
)

// small returns Generate(Scaled(s, smallFactor), 1), built once per test
// binary; callers must not modify it.
func small(s Shape) *Cluster {
	smallMu.Lock()
	defer smallMu.Unlock()
	if c, ok := smallClusters[s.Name]; ok {
		return c
	}
	c := Generate(Scaled(s, smallFactor), 1)
	smallClusters[s.Name] = c
	return c
}

// index answers selector questions about a cluster: which pods a policy
// selects and which pods a peer admits.
type index struct {
	c      *Cluster
	nsPods map[string][]*corev1.Pod
	nsObj  map[string]*corev1.Namespace
}

func newIndex(c *Cluster) *index {
	ix := &index{c: c, nsPods: map[string][]*corev1.Pod{}, nsObj: map[string]*corev1.Namespace{}}
	for _, ns := range c.Namespaces {
		ix.nsObj[ns.Name] = ns
	}
	for _, p := range c.Pods {
		ix.nsPods[p.Namespace] = append(ix.nsPods[p.Namespace], p)
	}
	return ix
}

func mustSelector(t testing.TB, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatalf("selector %v: %v", s, err)
	}
	return sel
}

// selected returns the pods of the policy's namespace its podSelector picks.
func (ix *index) selected(t testing.TB, p *networkingv1.NetworkPolicy) []*corev1.Pod {
	sel := mustSelector(t, &p.Spec.PodSelector)
	var out []*corev1.Pod
	for _, pod := range ix.nsPods[p.Namespace] {
		if sel.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}

// peerPods returns how many pods a selector peer (not an ipBlock) admits,
// stopping once it has found limit of them (limit <= 0: no limit).
func (ix *index) peerPods(t testing.TB, policyNS string, peer networkingv1.NetworkPolicyPeer, limit int) int {
	podSel := labels.Everything()
	if peer.PodSelector != nil {
		podSel = mustSelector(t, peer.PodSelector)
	}
	var namespaces []string
	if peer.NamespaceSelector == nil {
		namespaces = []string{policyNS}
	} else {
		nsSel := mustSelector(t, peer.NamespaceSelector)
		for _, ns := range ix.c.Namespaces {
			if nsSel.Matches(labels.Set(ns.Labels)) {
				namespaces = append(namespaces, ns.Name)
			}
		}
	}
	n := 0
	for _, ns := range namespaces {
		for _, pod := range ix.nsPods[ns] {
			if podSel.Matches(labels.Set(pod.Labels)) {
				n++
				if limit > 0 && n >= limit {
					return n
				}
			}
		}
	}
	return n
}

// forEachPeer calls f for every peer of every rule of p.
func forEachPeer(p *networkingv1.NetworkPolicy, f func(networkingv1.NetworkPolicyPeer)) {
	for _, r := range p.Spec.Ingress {
		for _, peer := range r.From {
			f(peer)
		}
	}
	for _, r := range p.Spec.Egress {
		for _, peer := range r.To {
			f(peer)
		}
	}
}

// forEachPort calls f for every port of every rule of p.
func forEachPort(p *networkingv1.NetworkPolicy, f func(networkingv1.NetworkPolicyPort)) {
	for _, r := range p.Spec.Ingress {
		for _, port := range r.Ports {
			f(port)
		}
	}
	for _, r := range p.Spec.Egress {
		for _, port := range r.Ports {
			f(port)
		}
	}
}

// forEachSelector calls f for every label selector in p.
func forEachSelector(p *networkingv1.NetworkPolicy, f func(*metav1.LabelSelector)) {
	f(&p.Spec.PodSelector)
	forEachPeer(p, func(peer networkingv1.NetworkPolicyPeer) {
		if peer.PodSelector != nil {
			f(peer.PodSelector)
		}
		if peer.NamespaceSelector != nil {
			f(peer.NamespaceSelector)
		}
	})
}

func isEmptySelector(s *metav1.LabelSelector) bool {
	return s != nil && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// strictSubnet reports whether except lies inside cidr, is smaller and is
// in the same family.
func strictSubnet(cidr, except string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return err
	}
	e, err := netip.ParsePrefix(except)
	if err != nil {
		return err
	}
	switch {
	case p.Addr().Is4() != e.Addr().Is4():
		return fmt.Errorf("except %s is not in the family of %s", except, cidr)
	case e.Bits() <= p.Bits() || !p.Contains(e.Addr()):
		return fmt.Errorf("except %s is not a strict subset of %s", except, cidr)
	}
	return nil
}
