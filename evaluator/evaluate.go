package evaluator

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/model"
)

// Evaluate decides whether the cluster lets src open connections to dst for the
// traffic of q, and explains why. It follows DESIGN.md §2 one rule at a time.
func Evaluate(s *model.Snapshot, opts Options, src, dst Endpoint, q Query) *Verdict {
	v := &Verdict{Src: src, Dst: dst, Query: q}
	want := queryPorts(q)
	v.Egress.Direction, v.Ingress.Direction = "egress", "ingress"

	// NetworkPolicy governs traffic from or to pods; between two addresses
	// outside the pods it has nothing to say, and netreach answers "not allowed".
	if src.Pod == nil && dst.Pod == nil {
		v.note(NoteExternal, "%s and %s are both outside the pods: no NetworkPolicy governs traffic between them", src, dst)
		v.Ports = PortSet{}
		return v
	}

	// §2.12: pods in phase Succeeded or Failed take no part.
	for _, e := range []Endpoint{src, dst} {
		if e.Pod != nil && e.Pod.Terminated() {
			v.note(NoteTerminated, "%s is %s: a finished pod takes no part in networking", e, e.Pod.Phase)
			v.Ports = PortSet{}
			return v
		}
	}
	for _, e := range []Endpoint{src, dst} {
		if e.Pod != nil && e.Pod.Template {
			v.note(NoteTemplate, "%s is a template pod standing for %s, which has no live pods; it has no IP yet", e, e.Pod.Workload.ID())
		}
	}

	// §2.10: a pod always reaches itself; loopback is not policed.
	if src.Pod != nil && src.Pod == dst.Pod {
		v.note(NoteLoopback, "a pod always reaches itself: loopback traffic is not policed")
		v.Egress = Side{Direction: "egress", Allowed: true, Ports: want}
		v.Ingress = Side{Direction: "ingress", Allowed: true, Ports: want}
		v.Ports, v.Allowed = want, true
		return v
	}

	v.Egress = evalSide(s, opts, v, networkingv1.PolicyTypeEgress, src, dst, dst, want)
	v.Ingress = evalSide(s, opts, v, networkingv1.PolicyTypeIngress, dst, src, dst, want)
	// §2.4: a connection needs the source's egress and the destination's ingress.
	v.Ports = v.Egress.Ports.Intersect(v.Ingress.Ports)

	// §2.13: a CNI that does not enforce NetworkPolicy lets everything through.
	if enforced, why := ResolveEnforcement(s, opts); !enforced {
		v.note(NoteEnforcementOff, "NetworkPolicy is not enforced (%s): every connection is allowed whatever the policies say", why)
		v.Ports = want
	}
	v.Allowed = !v.Ports.Empty()
	return v
}

func (v *Verdict) note(code, format string, args ...any) {
	for _, n := range v.Notes {
		if n.Code == code {
			return
		}
	}
	v.Notes = append(v.Notes, Note{Code: code, Text: fmt.Sprintf(format, args...)})
}

// queryPorts is the port set a query asks about.
func queryPorts(q Query) PortSet {
	protos := Protocols
	if q.Protocol != "" {
		protos = []corev1.Protocol{q.Protocol}
	}
	if q.Port == 0 {
		return AllPorts(protos...)
	}
	out := PortSet{}
	for _, p := range protos {
		out = out.Union(SinglePort(p, q.Port, q.Port))
	}
	return out
}

// evalSide evaluates one direction. subject is the pod whose policies apply
// (the source for egress, the destination for ingress), peer the other end, and
// dst the destination, against which named ports resolve.
func evalSide(s *model.Snapshot, opts Options, v *Verdict, dir networkingv1.PolicyType, subject, peer, dst Endpoint, want PortSet) Side {
	side := Side{Direction: strings.ToLower(string(dir))}
	// §2.4: traffic from outside the cluster only meets the destination's ingress,
	// traffic to outside only the source's egress.
	if subject.Pod == nil {
		v.note(NoteExternal, "%s is not a pod of the snapshot: only the other side's policies apply", subject)
		side.Allowed, side.Ports = true, want
		return side
	}
	// §2.11: no policy isolates a hostNetwork pod.
	if subject.Pod.HostNetwork {
		v.note(NoteHostNetwork, "%s uses the host network: no NetworkPolicy selects or isolates it", subject)
		side.Allowed, side.Ports = true, want
		return side
	}
	side.Policed = true
	// §2.1: isolated when a policy of its namespace selects it with this type.
	for _, p := range s.PoliciesIn(subject.Pod.Namespace) {
		if p.HasType(dir) && p.PodSelector.Matches(subject.Pod.Labels) {
			side.Isolating = append(side.Isolating, p)
		}
	}
	if len(side.Isolating) == 0 {
		side.Allowed, side.Ports = true, want
		return side
	}
	side.Isolated = true
	side.Ports = PortSet{}

	// §2.10: traffic from the pod's own node (kubelet probes) is always allowed in.
	if dir == networkingv1.PolicyTypeIngress && fromOwnNode(s, peer, subject.Pod) {
		v.note(NoteNodeLocal, "%s comes from node %s, where %s runs: traffic from a pod's own node is always allowed in", peer, subject.Pod.NodeName, subject)
		side.Allowed, side.Ports, side.NodeLocal = true, want, true
		return side
	}

	// §2.3: policies are additive; any rule of any isolating policy may admit.
	for _, p := range side.Isolating {
		rules := p.Ingress
		if dir == networkingv1.PolicyTypeEgress {
			rules = p.Egress
		}
		for i, r := range rules {
			m := RuleMatch{Policy: p, Rule: i, Peer: -1}
			peerIdx, reason, detail := matchPeers(s, opts, p, r.Peers, peer)
			if reason != "" {
				m.Reason, m.Detail = reason, detail
				side.Misses = append(side.Misses, m)
				continue
			}
			m.Peer = peerIdx
			ports, reason, detail := rulePorts(r.Ports, dst)
			ports = ports.Intersect(want)
			if ports.Empty() {
				if reason == "" {
					reason, detail = MissPort, "its ports ("+describePorts(r.Ports)+") do not include "+want.String()
				}
				m.Reason, m.Detail = reason, detail
				side.Misses = append(side.Misses, m)
				continue
			}
			m.Ports = ports
			if peerIdx >= 0 && r.Peers[peerIdx].IPBlock != nil && peer.Pod != nil && !peer.Pod.HostNetwork {
				v.note(NoteIPBlockPodsMatch, "an ipBlock admits %s by its pod address (--ipblock-pods=match, as Calico does; Cilium would not)", peer)
			}
			field := "from"
			if dir == networkingv1.PolicyTypeEgress {
				field = "to"
			}
			if peerIdx < 0 {
				m.Detail = "no " + field + ": every peer"
			} else {
				m.Detail = fmt.Sprintf("%s[%d]: %s", field, peerIdx, describePeer(p, r.Peers[peerIdx]))
			}
			side.Allowing = append(side.Allowing, m)
			side.Ports = side.Ports.Union(ports)
		}
	}
	side.Allowed = !side.Ports.Empty()
	return side
}

// fromOwnNode reports whether peer is the node that pod runs on: one of the
// node's addresses, or a hostNetwork pod on the same node.
func fromOwnNode(s *model.Snapshot, peer Endpoint, pod *model.Pod) bool {
	if pod.NodeName == "" {
		return false
	}
	if peer.Pod != nil {
		return peer.Pod.HostNetwork && peer.Pod.NodeName == pod.NodeName
	}
	if pod.HostIP.IsValid() && pod.HostIP == peer.IP {
		return true
	}
	if n := s.Node(pod.NodeName); n != nil {
		for _, ip := range n.IPs() {
			if ip == peer.IP {
				return true
			}
		}
	}
	return false
}

// matchPeers finds the first peer of a rule that matches the endpoint. It
// returns the peer index (-1 when the rule has no peers) or, when none matches,
// the reason and a description of what the rule admits.
func matchPeers(s *model.Snapshot, opts Options, p *model.NetworkPolicy, peers []model.Peer, e Endpoint) (int, MissReason, string) {
	// §2.5: an empty or missing from/to matches every peer, external IPs included.
	if len(peers) == 0 {
		return -1, "", ""
	}
	reason := MissPeer
	var admits []string
	for i, peer := range peers {
		admits = append(admits, describePeer(p, peer))
		if peer.IPBlock != nil {
			ok, why := ipBlockMatches(opts, peer.IPBlock, e)
			if ok {
				return i, "", ""
			}
			if why != "" {
				reason = why
			}
			continue
		}
		if selectorsMatch(s, p, peer, e) {
			return i, "", ""
		}
	}
	detail := "its peers are " + strings.Join(admits, "; or ")
	switch reason {
	case MissNoIP:
		detail = e.String() + " has no IP, so no ipBlock can match it; " + detail
	case MissIPBlockPodsOff:
		detail = "ipBlocks do not match pod addresses (--ipblock-pods=ignore); " + detail
	}
	return -1, reason, detail
}

// selectorsMatch applies a selector peer (§2.6) to an endpoint. Only pods are
// selected, and never hostNetwork pods (§2.11).
func selectorsMatch(s *model.Snapshot, p *model.NetworkPolicy, peer model.Peer, e Endpoint) bool {
	if e.Pod == nil || e.Pod.HostNetwork {
		return false
	}
	if peer.NamespaceSelector != nil {
		ns := s.Namespace(e.Pod.Namespace)
		if ns == nil || !peer.NamespaceSelector.Matches(ns.Labels) {
			return false
		}
	} else if e.Pod.Namespace != p.Namespace() {
		// §2.6: a podSelector alone selects pods in the policy's own namespace.
		return false
	}
	return peer.PodSelector == nil || peer.PodSelector.Matches(e.Pod.Labels)
}

// ipBlockMatches applies an ipBlock (§2.8) to an endpoint.
func ipBlockMatches(opts Options, b *model.IPBlock, e Endpoint) (bool, MissReason) {
	var addrs []netip.Addr
	switch {
	case e.Pod == nil:
		addrs = []netip.Addr{e.IP}
	case e.Pod.HostNetwork:
		// §2.11: a hostNetwork pod is its node's address.
		addrs = e.Pod.IPs
	case opts.IPBlockPods == IPBlockPodsIgnore:
		return false, MissIPBlockPodsOff
	case len(e.Pod.IPs) == 0:
		// §2.12: a pod without an IP never matches an ipBlock.
		return false, MissNoIP
	default:
		addrs = e.Pod.IPs
	}
	for _, a := range addrs {
		if inBlock(b, a) {
			return true, ""
		}
	}
	return false, ""
}

func inBlock(b *model.IPBlock, a netip.Addr) bool {
	if !b.CIDR.Contains(a) {
		return false
	}
	for _, ex := range b.Except {
		if ex.Contains(a) {
			return false
		}
	}
	return true
}

// rulePorts is the port set a rule's ports admit towards dst (§2.9). Named ports
// resolve on the destination pod against its containers' ports of the same name
// and protocol; they never match an address outside the pods.
func rulePorts(ports []networkingv1.NetworkPolicyPort, dst Endpoint) (PortSet, MissReason, string) {
	// §2.5: no ports means every port of every protocol.
	if len(ports) == 0 {
		return AllPorts(Protocols...), "", ""
	}
	out := PortSet{}
	var unresolved []string
	for _, pp := range ports {
		proto := corev1.ProtocolTCP
		if pp.Protocol != nil {
			proto = *pp.Protocol
		}
		switch {
		case pp.Port == nil:
			out = out.Union(AllPorts(proto))
		case pp.Port.Type == intstr.Int:
			end := pp.Port.IntVal
			if pp.EndPort != nil {
				end = *pp.EndPort
			}
			out = out.Union(SinglePort(proto, pp.Port.IntVal, end))
		default:
			found := false
			if dst.Pod != nil {
				for _, cp := range dst.Pod.Ports {
					if cp.Name == pp.Port.StrVal && cp.Protocol == proto {
						out = out.Union(SinglePort(proto, cp.Port, cp.Port))
						found = true
					}
				}
			}
			if !found {
				unresolved = append(unresolved, fmt.Sprintf("%s/%s", pp.Port.StrVal, proto))
			}
		}
	}
	if len(unresolved) > 0 && out.Empty() {
		where := "is an address outside the pods, where named ports never match"
		if dst.Pod != nil {
			where = "declares no container port of that name and protocol"
		}
		return out, MissNamedPort, fmt.Sprintf("named port %s does not resolve: %s %s", strings.Join(unresolved, ", "), dst, where)
	}
	return out, "", ""
}

// describePeer says in words which endpoints a peer admits.
func describePeer(p *model.NetworkPolicy, peer model.Peer) string {
	if peer.IPBlock != nil {
		s := "addresses in " + peer.IPBlock.CIDR.String()
		if len(peer.IPBlock.Except) > 0 {
			ex := make([]string, len(peer.IPBlock.Except))
			for i, e := range peer.IPBlock.Except {
				ex[i] = e.String()
			}
			s += " except " + strings.Join(ex, ", ")
		}
		return s
	}
	pods := "every pod"
	if peer.PodSelector != nil && !peer.PodSelector.Empty() {
		pods = "pods with " + peer.PodSelector.String()
	}
	switch {
	case peer.NamespaceSelector == nil:
		return pods + " in namespace " + p.Namespace()
	case peer.NamespaceSelector.Empty():
		return pods + " in every namespace"
	default:
		return pods + " in namespaces with " + peer.NamespaceSelector.String()
	}
}

// describePorts renders a rule's port list.
func describePorts(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return "all"
	}
	parts := make([]string, len(ports))
	for i, pp := range ports {
		proto := "TCP"
		if pp.Protocol != nil {
			proto = string(*pp.Protocol)
		}
		switch {
		case pp.Port == nil:
			parts[i] = proto + " all"
		case pp.EndPort != nil:
			parts[i] = fmt.Sprintf("%s %d-%d", proto, pp.Port.IntVal, *pp.EndPort)
		default:
			parts[i] = proto + " " + pp.Port.String()
		}
	}
	return strings.Join(parts, ", ")
}
