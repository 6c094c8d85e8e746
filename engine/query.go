package engine

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// Snapshot returns the snapshot the graph was compiled from.
func (g *Graph) Snapshot() *model.Snapshot { return g.snap }

// Options returns the semantic options the graph was compiled with.
func (g *Graph) Options() evaluator.Options { return g.opts }

// Enforced reports whether NetworkPolicy is considered enforced (§2.13).
func (g *Graph) Enforced() bool { return g.enforced }

// Classes returns the number of pod equivalence classes.
func (g *Graph) Classes() int { return len(g.classes) }

// PeerSets returns the number of distinct (hash-consed) rule peer sets.
func (g *Graph) PeerSets() int { return len(g.peerSets) }

// Endpoint is a compiled endpoint: a pod (by index) or an address.
type Endpoint struct {
	pod int32 // -1 for an address
	ip  netip.Addr
}

// PodEndpoint returns the endpoint of a pod of the snapshot, or false when the
// pod is not in it.
func (g *Graph) PodEndpoint(p *model.Pod) (Endpoint, bool) {
	i, ok := g.podIndex[p]
	return Endpoint{pod: i}, ok
}

// IPEndpoint returns the endpoint of an address outside the pods.
func (g *Graph) IPEndpoint(ip netip.Addr) Endpoint { return Endpoint{pod: -1, ip: ip.Unmap()} }

// FromEvaluator converts an evaluator endpoint.
func (g *Graph) FromEvaluator(e evaluator.Endpoint) (Endpoint, bool) {
	if e.Pod != nil {
		return g.PodEndpoint(e.Pod)
	}
	return g.IPEndpoint(e.IP), true
}

// CanReach reports whether src may open a connection to dst on proto/port.
func (g *Graph) CanReach(src, dst Endpoint, proto corev1.Protocol, port int32) bool {
	ok, decided := g.special(src, dst)
	if decided {
		return ok
	}
	if !g.enforced {
		return true
	}
	return g.egressAllows(src, dst, proto, port) && g.ingressAllows(src, dst, proto, port)
}

// special decides the cases that do not depend on rules: finished pods (§2.12),
// loopback (§2.10), two addresses.
func (g *Graph) special(src, dst Endpoint) (allowed, decided bool) {
	if src.pod >= 0 && g.podClass[src.pod] < 0 || dst.pod >= 0 && g.podClass[dst.pod] < 0 {
		return false, true
	}
	if src.pod >= 0 && src.pod == dst.pod {
		return true, true
	}
	if src.pod < 0 && dst.pod < 0 {
		return false, true // not a question about the cluster
	}
	return false, false
}

func (g *Graph) egressAllows(src, dst Endpoint, proto corev1.Protocol, port int32) bool {
	if src.pod < 0 {
		return true // §2.4: traffic from outside meets only the destination's ingress
	}
	cs := &g.classes[g.podClass[src.pod]]
	if cs.hostNetwork || !cs.isolatedEg {
		return true
	}
	for _, r := range cs.egRules {
		ps := &g.peerSets[r.peers]
		spec := &g.portSpecs[r.ports]
		if dst.pod < 0 {
			// Named ports never match an address outside the pods.
			if ps.matchesIP(dst.ip) && spec.numeric.Contains(proto, port) {
				return true
			}
			continue
		}
		cd := g.podClass[dst.pod]
		if g.inPeerSet(ps, cd) && spec.allows(g.classes[cd].namedPorts, proto, port) {
			return true
		}
	}
	return false
}

func (g *Graph) ingressAllows(src, dst Endpoint, proto corev1.Protocol, port int32) bool {
	if dst.pod < 0 {
		return true // §2.4: traffic to outside meets only the source's egress
	}
	cdID := g.podClass[dst.pod]
	cd := &g.classes[cdID]
	if cd.hostNetwork || !cd.isolatedIn {
		return true
	}
	if g.fromOwnNode(src, g.pods[dst.pod]) {
		return true // §2.10
	}
	for _, r := range cd.inRules {
		ps := &g.peerSets[r.peers]
		if !g.portSpecs[r.ports].allows(cd.namedPorts, proto, port) {
			continue
		}
		if src.pod < 0 {
			if ps.matchesIP(src.ip) {
				return true
			}
			continue
		}
		if g.inPeerSet(ps, g.podClass[src.pod]) {
			return true
		}
	}
	return false
}

// fromOwnNode reports whether src is the node dst runs on: a host-network pod
// of that node, or one of the node's addresses.
func (g *Graph) fromOwnNode(src Endpoint, dst *model.Pod) bool {
	if dst.NodeName == "" {
		return false
	}
	if src.pod >= 0 {
		s := g.pods[src.pod]
		return s.HostNetwork && s.NodeName == dst.NodeName
	}
	// As ownNodeAddrs, without building the list: this is on the can-reach path.
	if dst.HostIP == src.ip {
		return true
	}
	if n := g.snap.Node(dst.NodeName); n != nil {
		return slices.Contains(n.IPs(), src.ip)
	}
	return false
}

// ownNodeAddrs returns the addresses of a pod's node, from which traffic to the
// pod is always admitted (§2.10): the pod's host address and the addresses of
// its Node object. A pod not bound to a node has none.
func (g *Graph) ownNodeAddrs(p *model.Pod) []netip.Addr {
	if p.NodeName == "" {
		return nil
	}
	var out []netip.Addr
	if p.HostIP.IsValid() {
		out = append(out, p.HostIP)
	}
	if n := g.snap.Node(p.NodeName); n != nil {
		out = append(out, n.IPs()...)
	}
	return out
}

// AllowedPorts returns every port src may use towards dst.
func (g *Graph) AllowedPorts(src, dst Endpoint) evaluator.PortSet {
	all := evaluator.AllPorts(evaluator.Protocols...)
	ok, decided := g.special(src, dst)
	if decided {
		if ok {
			return all
		}
		return evaluator.PortSet{}
	}
	if !g.enforced {
		return all
	}
	eg := g.egressPorts(src, dst)
	if eg.Empty() {
		return eg
	}
	return eg.Intersect(g.ingressPorts(src, dst))
}

func (g *Graph) egressPorts(src, dst Endpoint) evaluator.PortSet {
	all := evaluator.AllPorts(evaluator.Protocols...)
	if src.pod < 0 {
		return all
	}
	cs := &g.classes[g.podClass[src.pod]]
	if cs.hostNetwork || !cs.isolatedEg {
		return all
	}
	out := evaluator.PortSet{}
	var dstPorts []model.ContainerPort
	cd := int32(-1)
	if dst.pod >= 0 {
		cd = g.podClass[dst.pod]
		dstPorts = g.classes[cd].namedPorts
	}
	for _, r := range cs.egRules {
		ps := &g.peerSets[r.peers]
		if cd >= 0 && g.inPeerSet(ps, cd) || cd < 0 && ps.matchesIP(dst.ip) {
			out = out.Union(g.portSpecs[r.ports].portsFor(dstPorts))
		}
	}
	return out
}

func (g *Graph) ingressPorts(src, dst Endpoint) evaluator.PortSet {
	all := evaluator.AllPorts(evaluator.Protocols...)
	if dst.pod < 0 {
		return all
	}
	cd := &g.classes[g.podClass[dst.pod]]
	if cd.hostNetwork || !cd.isolatedIn || g.fromOwnNode(src, g.pods[dst.pod]) {
		return all
	}
	out := evaluator.PortSet{}
	for _, r := range cd.inRules {
		ps := &g.peerSets[r.peers]
		if src.pod >= 0 && g.inPeerSet(ps, g.podClass[src.pod]) || src.pod < 0 && ps.matchesIP(src.ip) {
			out = out.Union(g.portSpecs[r.ports].portsFor(cd.namedPorts))
		}
	}
	return out
}
