package model

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation mirrors what the API server checks for the fields the analysis
// reads, and defaulting mirrors what it fills in. Each check names the field
// path; decodeObject fills in the file, document and object.

func fieldErr(path *field.Path, format string, args ...any) *InputError {
	return &InputError{Field: path.String(), Msg: fmt.Sprintf(format, args...)}
}

func fromFieldErrors(list field.ErrorList) []*InputError {
	out := make([]*InputError, 0, len(list))
	for _, e := range list {
		out = append(out, &InputError{Field: e.Field, Msg: e.ErrorBody()})
	}
	return out
}

// nameRule is a validation of object names from apimachinery.
type nameRule func(string) []string

func validateMeta(m *objectMeta, namespaced bool, rule nameRule) []*InputError {
	var errs []*InputError
	path := field.NewPath("metadata")
	if m.Name == "" {
		errs = append(errs, fieldErr(path.Child("name"), "required"))
	} else if msgs := rule(m.Name); len(msgs) > 0 {
		errs = append(errs, fieldErr(path.Child("name"), "invalid name %q: %s", m.Name, strings.Join(msgs, "; ")))
	}
	if namespaced {
		if msgs := validation.IsDNS1123Label(m.Namespace); len(msgs) > 0 {
			errs = append(errs, fieldErr(path.Child("namespace"), "invalid namespace %q: %s", m.Namespace, strings.Join(msgs, "; ")))
		}
	}
	errs = append(errs, fromFieldErrors(metav1validation.ValidateLabels(m.Labels, path.Child("labels")))...)
	return errs
}

func metaOf(m *metav1.ObjectMeta) objectMeta {
	return objectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, OwnerReferences: m.OwnerReferences}
}

func parseIP(s string, path *field.Path, errs *[]*InputError) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		*errs = append(*errs, fieldErr(path, "invalid IP address %q", s))
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseCIDR parses a CIDR. Addresses with host bits set ("10.0.0.1/8") are
// accepted and masked, as the API server accepts them, with a warning.
func parseCIDR(s string, path *field.Path, errs *[]*InputError, warns *[]string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		*errs = append(*errs, fieldErr(path, "invalid CIDR %q", s))
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() {
		*errs = append(*errs, fieldErr(path, "invalid CIDR %q: IPv4-mapped IPv6 addresses are not allowed", s))
		return netip.Prefix{}, false
	}
	if m := p.Masked(); m != p {
		*warns = append(*warns, fmt.Sprintf("%s: %q has host bits set; it means %s", path, s, m))
		p = m
	}
	return p, true
}

// collectPorts gathers the ports of a pod's containers and of its restartable
// init containers (sidecars), defaulting each protocol to TCP as the API server does.
func collectPorts(spec *podSpec, path *field.Path) ([]ContainerPort, []*InputError) {
	var out []ContainerPort
	var errs []*InputError
	add := func(list []container, p *field.Path, sidecarsOnly bool) {
		for i := range list {
			c := &list[i]
			if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
				continue
			}
			for j, cp := range c.Ports {
				pp := p.Index(i).Child("ports").Index(j)
				if cp.ContainerPort < 1 || cp.ContainerPort > 65535 {
					errs = append(errs, fieldErr(pp.Child("containerPort"), "port %d is outside 1-65535", cp.ContainerPort))
				}
				if cp.Name != "" {
					if msgs := validation.IsValidPortName(cp.Name); len(msgs) > 0 {
						errs = append(errs, fieldErr(pp.Child("name"), "invalid port name %q: %s", cp.Name, strings.Join(msgs, "; ")))
					}
				}
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				if !validProtocol(proto) {
					errs = append(errs, fieldErr(pp.Child("protocol"), "unsupported protocol %q: must be TCP, UDP or SCTP", cp.Protocol))
				}
				out = append(out, ContainerPort{Name: cp.Name, Port: cp.ContainerPort, Protocol: proto})
			}
		}
	}
	add(spec.Containers, path.Child("containers"), false)
	add(spec.InitContainers, path.Child("initContainers"), true)
	return out, errs
}

func validProtocol(p corev1.Protocol) bool {
	return p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

func buildNamespace(doc *namespaceDoc, src Source) (*Namespace, []*InputError) {
	errs := validateMeta(&doc.Metadata, false, validation.IsDNS1123Label)
	l := make(labels.Set, len(doc.Metadata.Labels)+1)
	for k, v := range doc.Metadata.Labels {
		l[k] = v
	}
	// The API server always sets this label to the namespace's name.
	l[corev1.LabelMetadataName] = doc.Metadata.Name
	return &Namespace{Name: doc.Metadata.Name, Labels: l, Source: src}, errs
}

func buildPod(doc *podDoc, src Source) (*podRecord, []*InputError) {
	errs := validateMeta(&doc.Metadata, true, validation.IsDNS1123Subdomain)
	p := &Pod{
		Namespace:   doc.Metadata.Namespace,
		Name:        doc.Metadata.Name,
		Labels:      labels.Set(doc.Metadata.Labels),
		NodeName:    doc.Spec.NodeName,
		HostNetwork: doc.Spec.HostNetwork,
		Phase:       doc.Status.Phase,
		Source:      src,
	}
	status := field.NewPath("status")
	if len(doc.Status.PodIPs) > 0 {
		for i, ip := range doc.Status.PodIPs {
			if a, ok := parseIP(ip.IP, status.Child("podIPs").Index(i).Child("ip"), &errs); ok {
				p.IPs = append(p.IPs, a)
			}
		}
	} else if doc.Status.PodIP != "" {
		if a, ok := parseIP(doc.Status.PodIP, status.Child("podIP"), &errs); ok {
			p.IPs = append(p.IPs, a)
		}
	}
	if doc.Status.HostIP != "" {
		p.HostIP, _ = parseIP(doc.Status.HostIP, status.Child("hostIP"), &errs)
	}
	ports, perrs := collectPorts(&doc.Spec, field.NewPath("spec"))
	p.Ports = ports
	errs = append(errs, perrs...)
	return &podRecord{pod: p, owners: doc.Metadata.OwnerReferences}, errs
}

func buildWorkload(kind string, doc *workloadDoc, src Source) (*workloadRecord, []*InputError) {
	errs := validateMeta(&doc.Metadata, true, validation.IsDNS1123Subdomain)
	w := &Workload{Kind: kind, Namespace: doc.Metadata.Namespace, Name: doc.Metadata.Name,
		Replicas: doc.Spec.Replicas, InInput: true, Source: src}
	tmpl := doc.Spec.Template
	path := field.NewPath("spec", "template")
	if kind == "CronJob" {
		path = field.NewPath("spec", "jobTemplate", "spec", "template")
		tmpl = nil
		if doc.Spec.JobTemplate != nil {
			tmpl = doc.Spec.JobTemplate.Spec.Template
		}
	}
	if tmpl == nil {
		errs = append(errs, fieldErr(path, "required: a %s needs a pod template", kind))
		return &workloadRecord{w: w, owners: doc.Metadata.OwnerReferences}, errs
	}
	errs = append(errs, fromFieldErrors(metav1validation.ValidateLabels(tmpl.Metadata.Labels, path.Child("metadata", "labels")))...)
	_, perrs := collectPorts(&tmpl.Spec, path.Child("spec"))
	errs = append(errs, perrs...)
	for _, c := range tmpl.Spec.Containers {
		w.Images = append(w.Images, c.Image)
	}
	for _, c := range tmpl.Spec.InitContainers {
		w.Images = append(w.Images, c.Image)
	}
	return &workloadRecord{w: w, owners: doc.Metadata.OwnerReferences, template: tmpl}, errs
}

func buildNode(doc *nodeDoc, src Source) (*Node, []*InputError, []string) {
	errs := validateMeta(&doc.Metadata, false, validation.IsDNS1123Subdomain)
	n := &Node{Name: doc.Metadata.Name, Labels: labels.Set(doc.Metadata.Labels), Source: src}
	for i, a := range doc.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue // Hostname, InternalDNS and ExternalDNS hold names, not addresses
		}
		if ip, ok := parseIP(a.Address, field.NewPath("status", "addresses").Index(i).Child("address"), &errs); ok {
			n.Addresses = append(n.Addresses, NodeAddress{Type: a.Type, Address: ip})
		}
	}
	cidrs := doc.Spec.PodCIDRs
	if len(cidrs) == 0 && doc.Spec.PodCIDR != "" {
		cidrs = []string{doc.Spec.PodCIDR}
	}
	var warns []string
	for i, c := range cidrs {
		if p, ok := parseCIDR(c, field.NewPath("spec", "podCIDRs").Index(i), &errs, &warns); ok {
			n.PodCIDRs = append(n.PodCIDRs, p)
		}
	}
	return n, errs, warns
}

func buildService(svc *corev1.Service, src Source) (*Service, []*InputError) {
	meta := metaOf(&svc.ObjectMeta)
	errs := validateMeta(&meta, true, validation.IsDNS1035Label)
	s := &Service{Namespace: svc.Namespace, Name: svc.Name, Type: svc.Spec.Type, Source: src}
	if s.Type == "" {
		s.Type = corev1.ServiceTypeClusterIP
	}
	if svc.Spec.Selector != nil {
		s.Selector = labels.Set(svc.Spec.Selector)
	}
	ips := svc.Spec.ClusterIPs
	path := field.NewPath("spec", "clusterIPs")
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips, path = []string{svc.Spec.ClusterIP}, field.NewPath("spec", "clusterIP")
	}
	for i, ip := range ips {
		if ip == corev1.ClusterIPNone || ip == "" {
			continue
		}
		p := path
		if len(svc.Spec.ClusterIPs) > 0 {
			p = path.Index(i)
		}
		if a, ok := parseIP(ip, p, &errs); ok {
			s.ClusterIPs = append(s.ClusterIPs, a)
		}
	}
	for i, sp := range svc.Spec.Ports {
		if sp.Protocol == "" {
			sp.Protocol = corev1.ProtocolTCP
		}
		pp := field.NewPath("spec", "ports").Index(i)
		if !validProtocol(sp.Protocol) {
			errs = append(errs, fieldErr(pp.Child("protocol"), "unsupported protocol %q: must be TCP, UDP or SCTP", sp.Protocol))
		}
		if sp.Port < 1 || sp.Port > 65535 {
			errs = append(errs, fieldErr(pp.Child("port"), "port %d is outside 1-65535", sp.Port))
		}
		s.Ports = append(s.Ports, sp)
	}
	return s, errs
}

//lint:ignore SA1019 v1 Endpoints is deprecated but still served, and older snapshots carry it.
func buildEndpoints(ep *corev1.Endpoints, src Source) (*Endpoints, []*InputError) {
	meta := metaOf(&ep.ObjectMeta)
	errs := validateMeta(&meta, true, validation.IsDNS1123Subdomain)
	e := &Endpoints{Kind: "Endpoints", Namespace: ep.Namespace, Name: ep.Name, Service: ep.Name, Source: src}
	for i, ss := range ep.Subsets {
		sp := field.NewPath("subsets").Index(i)
		for j, a := range ss.Addresses {
			if ip, ok := parseIP(a.IP, sp.Child("addresses").Index(j).Child("ip"), &errs); ok {
				e.Addresses = append(e.Addresses, ip)
			}
		}
		for _, p := range ss.Ports {
			if p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
			e.Ports = append(e.Ports, EndpointPort{Name: p.Name, Port: p.Port, Protocol: p.Protocol})
		}
	}
	return e, errs
}

func buildEndpointSlice(es *discoveryv1.EndpointSlice, src Source) (*Endpoints, []*InputError) {
	meta := metaOf(&es.ObjectMeta)
	errs := validateMeta(&meta, true, validation.IsDNS1123Subdomain)
	e := &Endpoints{Kind: "EndpointSlice", Namespace: es.Namespace, Name: es.Name,
		Service: es.Labels[discoveryv1.LabelServiceName], Source: src}
	if es.AddressType == discoveryv1.AddressTypeIPv4 || es.AddressType == discoveryv1.AddressTypeIPv6 {
		for i, ep := range es.Endpoints {
			for j, a := range ep.Addresses {
				if ip, ok := parseIP(a, field.NewPath("endpoints").Index(i).Child("addresses").Index(j), &errs); ok {
					e.Addresses = append(e.Addresses, ip)
				}
			}
		}
	}
	for _, p := range es.Ports {
		ep := EndpointPort{Protocol: corev1.ProtocolTCP}
		if p.Name != nil {
			ep.Name = *p.Name
		}
		if p.Port != nil {
			ep.Port = *p.Port
		}
		if p.Protocol != nil {
			ep.Protocol = *p.Protocol
		}
		e.Ports = append(e.Ports, ep)
	}
	return e, errs
}

// buildPolicy validates a NetworkPolicy as the API server does, applies the API
// server's defaults and parses its selectors and CIDRs.
func buildPolicy(np *networkingv1.NetworkPolicy, src Source) (*NetworkPolicy, []*InputError, []string) {
	meta := metaOf(&np.ObjectMeta)
	errs := validateMeta(&meta, true, validation.IsDNS1123Subdomain)
	var warns []string
	p := &NetworkPolicy{Source: src}
	spec := field.NewPath("spec")

	p.PodSelector = parseSelector(&np.Spec.PodSelector, spec.Child("podSelector"), &errs)

	// policyTypes: only Ingress and Egress, at most two.
	if len(np.Spec.PolicyTypes) > 2 {
		errs = append(errs, fieldErr(spec.Child("policyTypes"), "may not specify more than two policyTypes"))
	}
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, fieldErr(spec.Child("policyTypes").Index(i), "unsupported value %q: must be Ingress or Egress", t))
		}
	}
	// Defaulting (NetworkPolicySpec.policyTypes): when absent, Ingress always, and
	// Egress only when the policy has at least one egress rule.
	if len(np.Spec.PolicyTypes) == 0 {
		p.PolicyTypesDefaulted = true
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}

	for i := range np.Spec.Ingress {
		r := &np.Spec.Ingress[i]
		path := spec.Child("ingress").Index(i)
		p.Ingress = append(p.Ingress, Rule{
			Peers: parsePeers(r.From, path.Child("from"), &errs, &warns),
			Ports: parsePorts(r.Ports, path.Child("ports"), &errs),
		})
	}
	for i := range np.Spec.Egress {
		r := &np.Spec.Egress[i]
		path := spec.Child("egress").Index(i)
		p.Egress = append(p.Egress, Rule{
			Peers: parsePeers(r.To, path.Child("to"), &errs, &warns),
			Ports: parsePorts(r.Ports, path.Child("ports"), &errs),
		})
	}
	p.Object = *np
	return p, errs, warns
}

func parseSelector(s *metav1.LabelSelector, path *field.Path, errs *[]*InputError) labels.Selector {
	list := metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, path)
	if len(list) > 0 {
		*errs = append(*errs, fromFieldErrors(list)...)
		return labels.Nothing()
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		*errs = append(*errs, fieldErr(path, "invalid label selector: %v", err))
		return labels.Nothing()
	}
	return sel
}

func parsePeers(peers []networkingv1.NetworkPolicyPeer, path *field.Path, errs *[]*InputError, warns *[]string) []Peer {
	out := make([]Peer, 0, len(peers))
	for i := range peers {
		peer := &peers[i]
		pp := path.Index(i)
		var q Peer
		n := 0
		if peer.PodSelector != nil {
			n++
			q.PodSelector = parseSelector(peer.PodSelector, pp.Child("podSelector"), errs)
		}
		if peer.NamespaceSelector != nil {
			n++
			q.NamespaceSelector = parseSelector(peer.NamespaceSelector, pp.Child("namespaceSelector"), errs)
		}
		if peer.IPBlock != nil {
			n++
			q.IPBlock = parseIPBlock(peer.IPBlock, pp.Child("ipBlock"), errs, warns)
		}
		switch {
		case n == 0:
			*errs = append(*errs, fieldErr(pp, "must specify a peer: podSelector, namespaceSelector or ipBlock"))
		case n > 1 && peer.IPBlock != nil:
			*errs = append(*errs, fieldErr(pp, "an ipBlock may not be combined with podSelector or namespaceSelector in the same peer"))
		}
		out = append(out, q)
	}
	return out
}

func parseIPBlock(b *networkingv1.IPBlock, path *field.Path, errs *[]*InputError, warns *[]string) *IPBlock {
	out := &IPBlock{}
	if b.CIDR == "" {
		*errs = append(*errs, fieldErr(path.Child("cidr"), "required"))
		return out
	}
	cidr, ok := parseCIDR(b.CIDR, path.Child("cidr"), errs, warns)
	if !ok {
		return out
	}
	out.CIDR = cidr
	for i, e := range b.Except {
		ep := path.Child("except").Index(i)
		ex, ok := parseCIDR(e, ep, errs, warns)
		if !ok {
			continue
		}
		// The API server requires every except entry to be a strict subset of cidr.
		if ex.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(ex.Addr()) || ex.Bits() <= cidr.Bits() {
			*errs = append(*errs, fieldErr(ep, "%q must be a strict subset of cidr %q", e, b.CIDR))
			continue
		}
		out.Except = append(out.Except, ex)
	}
	return out
}

func parsePorts(ports []networkingv1.NetworkPolicyPort, path *field.Path, errs *[]*InputError) []networkingv1.NetworkPolicyPort {
	for i := range ports {
		port := &ports[i]
		pp := path.Index(i)
		// Defaulting (NetworkPolicyPort.protocol): TCP when absent.
		if port.Protocol == nil {
			tcp := corev1.ProtocolTCP
			port.Protocol = &tcp
		} else if !validProtocol(*port.Protocol) {
			*errs = append(*errs, fieldErr(pp.Child("protocol"), "unsupported protocol %q: must be TCP, UDP or SCTP", *port.Protocol))
		}
		if port.Port != nil {
			switch port.Port.Type {
			case intstr.Int:
				if port.Port.IntVal < 1 || port.Port.IntVal > 65535 {
					*errs = append(*errs, fieldErr(pp.Child("port"), "port %d is outside 1-65535", port.Port.IntVal))
				}
			case intstr.String:
				if msgs := validation.IsValidPortName(port.Port.StrVal); len(msgs) > 0 {
					*errs = append(*errs, fieldErr(pp.Child("port"), "invalid port name %q: %s", port.Port.StrVal, strings.Join(msgs, "; ")))
				}
			}
		}
		if port.EndPort != nil {
			ep := pp.Child("endPort")
			switch {
			case port.Port == nil:
				*errs = append(*errs, fieldErr(ep, "endPort requires a port"))
			case port.Port.Type == intstr.String:
				*errs = append(*errs, fieldErr(ep, "endPort may not be used with the named port %q", port.Port.StrVal))
			case *port.EndPort < 1 || *port.EndPort > 65535:
				*errs = append(*errs, fieldErr(ep, "port %d is outside 1-65535", *port.EndPort))
			case *port.EndPort < port.Port.IntVal:
				*errs = append(*errs, fieldErr(ep, "endPort %d is below port %d", *port.EndPort, port.Port.IntVal))
			}
		}
	}
	return ports
}

func buildCatalog(doc *catalogDoc, src Source) ([]*Network, []*InputError, []string) {
	var errs []*InputError
	var warns []string
	if doc.APIVersion != "netreach/v1" {
		errs = append(errs, fieldErr(field.NewPath("apiVersion"), "unsupported version %q: must be netreach/v1", doc.APIVersion))
	}
	seen := map[string]int{}
	var out []*Network
	for i, e := range doc.Networks {
		path := field.NewPath("networks").Index(i)
		n := &Network{Name: e.Name, Type: NetworkType(e.Type), Description: e.Description, Source: src}
		switch {
		case e.Name == "":
			errs = append(errs, fieldErr(path.Child("name"), "required"))
		case len(validation.IsDNS1123Label(e.Name)) > 0:
			errs = append(errs, fieldErr(path.Child("name"), "invalid name %q: use lower-case letters, digits and '-'", e.Name))
		default:
			if j, dup := seen[e.Name]; dup {
				errs = append(errs, fieldErr(path.Child("name"), "duplicate network %q (also networks[%d])", e.Name, j))
			}
			seen[e.Name] = i
		}
		if !validNetworkType(n.Type) {
			errs = append(errs, fieldErr(path.Child("type"), "unsupported type %q: must be one of %s", e.Type, networkTypeList()))
		}
		if len(e.CIDRs) == 0 {
			errs = append(errs, fieldErr(path.Child("cidrs"), "required: at least one CIDR"))
		}
		for j, c := range e.CIDRs {
			if p, ok := parseCIDR(c, path.Child("cidrs").Index(j), &errs, &warns); ok {
				n.CIDRs = append(n.CIDRs, p)
			}
		}
		out = append(out, n)
	}
	return out, errs, warns
}

func validNetworkType(t NetworkType) bool {
	for _, x := range NetworkTypes {
		if x == t {
			return true
		}
	}
	return false
}

func networkTypeList() string {
	s := make([]string, len(NetworkTypes))
	for i, t := range NetworkTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
