package model

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Source says where an object was read.
type Source struct {
	// Cluster is the kubeconfig context of the live cluster the object was
	// read from; File, Doc, Item and Line are then empty, since there is no
	// file a user could open.
	Cluster string
	// File is the path as the user gave it, "<stdin>" for standard input, or
	// "demo/NAME" for the bundled demo snapshot.
	File string
	// Doc is the 1-based number of the document in the file.
	Doc int
	// Item is the 1-based position in a List document, 0 for a document that is
	// the object itself.
	Item int
	// Line is the 1-based line where the object starts, 0 when unknown.
	Line int
}

// String renders the source as "FILE:LINE: document D, item I", or as
// `cluster context "NAME"` for an object read from a live cluster.
func (s Source) String() string {
	if s.Cluster != "" {
		return fmt.Sprintf("cluster context %q", s.Cluster)
	}
	var b strings.Builder
	b.WriteString(s.File)
	if s.Line > 0 {
		fmt.Fprintf(&b, ":%d", s.Line)
	}
	if s.Doc > 0 {
		fmt.Fprintf(&b, ": document %d", s.Doc)
		if s.Item > 0 {
			fmt.Fprintf(&b, ", item %d", s.Item)
		}
	}
	return b.String()
}

// ObjectRef names an object as "Kind namespace/name" (or "Kind name" when it is
// not namespaced).
type ObjectRef struct {
	Kind      string
	Namespace string
	Name      string
}

// String renders the reference as users read it in kubectl output.
func (r ObjectRef) String() string {
	switch {
	case r.Namespace != "":
		return r.Kind + " " + r.Namespace + "/" + r.Name
	case r.Name != "":
		return r.Kind + " " + r.Name
	default:
		return r.Kind
	}
}

// Namespace is a namespace of the snapshot.
type Namespace struct {
	Name string
	// Labels always include kubernetes.io/metadata.name, as the API server sets it.
	Labels labels.Set
	// Synthesized is true when the input had no such Namespace object and it was
	// created because pods, workloads or policies live in it.
	Synthesized bool
	Source      Source
}

// ContainerPort is a port that one of a pod's containers declares; named ports
// in NetworkPolicies resolve against these.
type ContainerPort struct {
	Name string
	Port int32
	// Protocol is TCP when the manifest leaves it out, as the API server defaults it.
	Protocol corev1.Protocol
}

// Pod is a pod of the snapshot: a live pod, or a representative pod made from the
// template of a workload that has no live pods in the snapshot.
type Pod struct {
	Namespace string
	Name      string
	Labels    labels.Set
	NodeName  string
	// HostNetwork pods use their node's network namespace and address.
	HostNetwork bool
	Phase       corev1.PodPhase
	// IPs are the pod's addresses, the primary one first; empty when it has none
	// (template pods, pending pods).
	IPs []netip.Addr
	// HostIP is the address of the pod's node as the pod status reports it.
	HostIP netip.Addr
	// Ports are the ports declared by its containers (and restartable init containers).
	Ports []ContainerPort
	// Workload is the controller the pod belongs to, nil for a bare pod.
	Workload *Workload
	// Template is true for a representative pod made from a workload's template.
	Template bool
	Source   Source
}

// ID is the pod's endpoint id, "namespace/name".
func (p *Pod) ID() string { return p.Namespace + "/" + p.Name }

// Terminated reports whether the pod has finished (phase Succeeded or Failed)
// and so takes no part in networking.
func (p *Pod) Terminated() bool {
	return p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed
}

// Workload is a pod controller: Deployment, StatefulSet, DaemonSet, ReplicaSet
// (when no Deployment owns it), ReplicationController, Job (when no CronJob owns
// it), CronJob, or any other owner kind named by pods' ownerReferences.
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	// Replicas is spec.replicas where the kind has it (nil otherwise).
	Replicas *int32
	// Images are the container images of the pod template, for recognising
	// well-known system components such as CNI agents.
	Images []string
	// Pods are the workload's pods in the snapshot: live pods, or one template
	// pod when it has none.
	Pods []*Pod
	// InInput is false for a workload known only from pods' ownerReferences.
	InInput bool
	Source  Source
}

// ID is the workload's endpoint id, "namespace/Kind/name".
func (w *Workload) ID() string { return w.Namespace + "/" + w.Kind + "/" + w.Name }

// NodeAddress is one address of a Node.
type NodeAddress struct {
	Type    corev1.NodeAddressType
	Address netip.Addr
}

// Node is a cluster node.
type Node struct {
	Name      string
	Labels    labels.Set
	Addresses []NodeAddress
	PodCIDRs  []netip.Prefix
	Source    Source
}

// IPs returns the node's IP addresses, internal ones first.
func (n *Node) IPs() []netip.Addr {
	var out []netip.Addr
	for _, t := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP} {
		for _, a := range n.Addresses {
			if a.Type == t {
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// Service is a Service of the snapshot.
type Service struct {
	Namespace  string
	Name       string
	Type       corev1.ServiceType
	ClusterIPs []netip.Addr
	// Selector is nil for a Service without a selector.
	Selector labels.Set
	Ports    []corev1.ServicePort
	Source   Source
}

// Endpoints holds the addresses behind a Service, from a v1 Endpoints object or a
// discovery.k8s.io/v1 EndpointSlice.
type Endpoints struct {
	// Kind is "Endpoints" or "EndpointSlice".
	Kind      string
	Namespace string
	Name      string
	// Service is the name of the Service the addresses belong to.
	Service   string
	Addresses []netip.Addr
	Ports     []EndpointPort
	Source    Source
}

// EndpointPort is a port of an Endpoints object.
type EndpointPort struct {
	Name     string
	Port     int32
	Protocol corev1.Protocol
}

// NetworkPolicy is a validated, defaulted networking.k8s.io/v1 NetworkPolicy with
// its selectors and CIDRs already parsed.
type NetworkPolicy struct {
	// Object is the policy as read, after the API server's defaults were applied
	// (policyTypes, port protocols).
	Object networkingv1.NetworkPolicy
	// PolicyTypesDefaulted is true when the manifest had no policyTypes and they
	// were derived from the rules.
	PolicyTypesDefaulted bool
	// PodSelector is spec.podSelector parsed.
	PodSelector labels.Selector
	// Ingress and Egress are the parsed rules, in the manifest's order.
	Ingress []Rule
	Egress  []Rule
	Source  Source
}

// Namespace returns the policy's namespace.
func (p *NetworkPolicy) Namespace() string { return p.Object.Namespace }

// Name returns the policy's name.
func (p *NetworkPolicy) Name() string { return p.Object.Name }

// ID returns "namespace/name".
func (p *NetworkPolicy) ID() string { return p.Object.Namespace + "/" + p.Object.Name }

// HasType reports whether the policy's (defaulted) policyTypes contain t.
func (p *NetworkPolicy) HasType(t networkingv1.PolicyType) bool {
	for _, x := range p.Object.Spec.PolicyTypes {
		if x == t {
			return true
		}
	}
	return false
}

// Rule is one ingress or egress rule with parsed peers.
type Rule struct {
	// Peers are the from/to entries; nil or empty means every peer.
	Peers []Peer
	// Ports are the rule's ports with protocols defaulted; empty means every port.
	Ports []networkingv1.NetworkPolicyPort
}

// Peer is one from/to entry of a rule.
type Peer struct {
	// PodSelector and NamespaceSelector are nil when the peer leaves them out.
	PodSelector       labels.Selector
	NamespaceSelector labels.Selector
	// IPBlock is nil unless the peer is an ipBlock.
	IPBlock *IPBlock
}

// IPBlock is a parsed ipBlock: the addresses in CIDR and in none of Except.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// NetworkType classifies a network of the catalogue.
type NetworkType string

// The network types of DESIGN.md §3.
const (
	NetworkInternet      NetworkType = "internet"
	NetworkCloudMetadata NetworkType = "cloud-metadata"
	NetworkControlPlane  NetworkType = "control-plane"
	NetworkNodes         NetworkType = "nodes"
	NetworkPeering       NetworkType = "peering"
	NetworkTransit       NetworkType = "transit"
	NetworkOnPrem        NetworkType = "onprem"
	NetworkPartner       NetworkType = "partner"
	NetworkCustom        NetworkType = "custom"
)

// NetworkTypes lists every valid network type.
var NetworkTypes = []NetworkType{NetworkInternet, NetworkCloudMetadata, NetworkControlPlane, NetworkNodes,
	NetworkPeering, NetworkTransit, NetworkOnPrem, NetworkPartner, NetworkCustom}

// Network is a named address range outside the pod network.
type Network struct {
	Name        string
	Type        NetworkType
	CIDRs       []netip.Prefix
	Description string
	Source      Source
}

// ID is the network's endpoint id, "net:NAME".
func (n *Network) ID() string { return "net:" + n.Name }
