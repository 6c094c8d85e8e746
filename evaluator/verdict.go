package evaluator

import (
	"net/netip"

	"go4.org/netipx"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/model"
)

// Endpoint is one end of a connection: a pod of the snapshot, or an IP address
// that belongs to no pod (a node, or something outside the cluster).
type Endpoint struct {
	// Pod is the pod, or nil for an address endpoint.
	Pod *model.Pod
	// IP is the address of an address endpoint; unused for pods.
	IP netip.Addr
	// Range, when valid, is the address range IP stands for: every address of it
	// is treated alike by every policy (a piece of a named network).
	Range netipx.IPRange
}

// PodEndpoint returns the endpoint for a pod.
func PodEndpoint(p *model.Pod) Endpoint { return Endpoint{Pod: p} }

// IPEndpoint returns the endpoint for an address outside the snapshot's pods.
func IPEndpoint(ip netip.Addr) Endpoint { return Endpoint{IP: ip.Unmap()} }

// String is the endpoint's id: "namespace/pod" or the address.
func (e Endpoint) String() string {
	switch {
	case e.Pod != nil:
		return e.Pod.ID()
	case e.Range.IsValid():
		return "ip:" + e.Range.From().String() + "-" + e.Range.To().String()
	}
	return e.IP.String()
}

// Query says which traffic to evaluate.
type Query struct {
	// Protocol is TCP, UDP or SCTP; empty means all three.
	Protocol corev1.Protocol
	// Port is the destination port; 0 means every port, and the verdict then
	// carries the allowed port set.
	Port int32
}

// Verdict is the answer for one connection, with the reasons for it.
type Verdict struct {
	Src, Dst Endpoint
	Query    Query
	// Allowed is true when the traffic of the query is allowed; for a query
	// without a port, when at least one port is.
	Allowed bool
	// Ports is the allowed port set (all protocols of the query).
	Ports PortSet
	// Egress is the decision at the source, Ingress the one at the destination.
	Egress, Ingress Side
	// Notes explain special cases: loopback, node-local traffic, hostNetwork
	// pods, enforcement off, the ipBlock mode, terminated pods, pods without IPs.
	Notes []Note
}

// Side is the decision of one direction: egress at the source pod, or ingress
// at the destination pod.
type Side struct {
	// Direction is "egress" or "ingress".
	Direction string
	// Policed is false when no NetworkPolicy can apply to this side: the endpoint
	// is an address outside the pods, or a hostNetwork pod.
	Policed bool
	// Isolated is true when at least one policy selects the pod for this direction.
	Isolated bool
	// Isolating are the policies that select the pod for this direction.
	Isolating []*model.NetworkPolicy
	// Allowed is true when this side lets the traffic of the query through.
	Allowed bool
	// Ports is what this side allows of the query.
	Ports PortSet
	// NodeLocal is true when the ingress side admits the traffic because it comes
	// from the destination pod's own node (§2.10), whatever the rules say.
	NodeLocal bool
	// Allowing are the rules that admit the traffic (some of the query's ports).
	Allowing []RuleMatch
	// Misses are, for rules that admit none of it, why not.
	Misses []RuleMatch
}

// RuleMatch names a rule of a policy and how it treats the traffic.
type RuleMatch struct {
	Policy *model.NetworkPolicy
	// Rule is the index in spec.ingress or spec.egress.
	Rule int
	// Peer is the index of the matching from/to entry, -1 when the rule has no
	// peers (it matches every peer).
	Peer int
	// Ports is what the rule admits for this peer (all of the query when the
	// rule lists no ports).
	Ports PortSet
	// Reason says why a rule does not admit the traffic (for misses).
	Reason MissReason
	// Detail is a readable explanation of the reason.
	Detail string
}

// MissReason classifies why a rule does not admit a connection.
type MissReason string

// The reasons a rule can miss.
const (
	MissPeer           MissReason = "peer-mismatch"
	MissPort           MissReason = "port-mismatch"
	MissNamedPort      MissReason = "named-port-unresolved"
	MissNoIP           MissReason = "pod-has-no-ip"
	MissIPBlockPodsOff MissReason = "ipblock-ignores-pods"
)

// Note is a remark on a verdict.
type Note struct {
	// Code is a stable identifier (see the constants).
	Code string
	// Text says it in words.
	Text string
}

// Note codes.
const (
	NoteLoopback         = "loopback"
	NoteNodeLocal        = "node-local"
	NoteHostNetwork      = "host-network"
	NoteEnforcementOff   = "enforcement-off"
	NoteTerminated       = "terminated"
	NoteTemplate         = "template"
	NoteExternal         = "external"
	NoteIPBlockPodsMatch = "ipblock-pods-match"
)
