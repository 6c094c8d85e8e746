package gen

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateCluster applies the API server's rules for the fields the
// generator sets (the real validators live in k8s.io/kubernetes, which this
// module does not depend on, so the rules are restated here on top of
// apimachinery's building blocks) plus the generator's own promises:
// unique pod IPs carved from the node's range, hostNetwork pods on their
// node's IP, and so on. It returns one message per problem.
func validateCluster(c *Cluster) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	list := func(where string, msgs []string) {
		for _, m := range msgs {
			bad("%s: %s", where, m)
		}
	}
	fieldErrs := func(where string, fe field.ErrorList) {
		for _, e := range fe {
			bad("%s: %v", where, e)
		}
	}

	namespaces := map[string]bool{}
	for _, ns := range c.Namespaces {
		where := "namespace " + ns.Name
		if ns.APIVersion != "v1" || ns.Kind != "Namespace" {
			bad("%s: type %v", where, ns.TypeMeta)
		}
		list(where, validation.IsDNS1123Label(ns.Name))
		fieldErrs(where, metav1validation.ValidateLabels(ns.Labels, field.NewPath("labels")))
		if namespaces[ns.Name] {
			bad("%s: duplicate", where)
		}
		namespaces[ns.Name] = true
		for _, k := range []string{labelTeam, labelEnv, labelTier} {
			if ns.Labels[k] == "" {
				bad("%s: no %s label", where, k)
			}
		}
		if v, ok := ns.Labels[labelMetaName]; ok && v != ns.Name {
			bad("%s: %s=%s", where, labelMetaName, v)
		}
	}

	nodeNet := netip.MustParsePrefix("172.16.0.0/12")
	nodes := map[string]*corev1.Node{}
	nodeIP := map[string]string{}
	for _, n := range c.Nodes {
		where := "node " + n.Name
		if n.APIVersion != "v1" || n.Kind != "Node" {
			bad("%s: type %v", where, n.TypeMeta)
		}
		list(where, validation.IsDNS1123Subdomain(n.Name))
		fieldErrs(where, metav1validation.ValidateLabels(n.Labels, field.NewPath("labels")))
		if nodes[n.Name] != nil {
			bad("%s: duplicate", where)
		}
		nodes[n.Name] = n
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				ip, err := netip.ParseAddr(a.Address)
				if err != nil || !nodeNet.Contains(ip) {
					bad("%s: InternalIP %q outside %s", where, a.Address, nodeNet)
				}
				nodeIP[n.Name] = a.Address
			}
		}
		if nodeIP[n.Name] == "" {
			bad("%s: no InternalIP", where)
		}
		fieldErrs(where, validation.IsValidCIDR(field.NewPath("spec", "podCIDR"), n.Spec.PodCIDR))
	}

	podIPs := map[string]string{}
	podNames := map[string]bool{}
	for _, p := range c.Pods {
		where := "pod " + p.Namespace + "/" + p.Name
		if p.APIVersion != "v1" || p.Kind != "Pod" {
			bad("%s: type %v", where, p.TypeMeta)
		}
		list(where, validation.IsDNS1123Subdomain(p.Name))
		if !namespaces[p.Namespace] {
			bad("%s: unknown namespace", where)
		}
		if podNames[p.Namespace+"/"+p.Name] {
			bad("%s: duplicate", where)
		}
		podNames[p.Namespace+"/"+p.Name] = true
		fieldErrs(where, metav1validation.ValidateLabels(p.Labels, field.NewPath("labels")))
		if len(p.OwnerReferences) != 1 {
			bad("%s: %d owners", where, len(p.OwnerReferences))
		} else {
			o := p.OwnerReferences[0]
			if o.APIVersion != "apps/v1" || o.Kind != "ReplicaSet" || o.UID == "" || o.Controller == nil || !*o.Controller {
				bad("%s: owner %+v", where, o)
			}
			if hash := p.Labels[labelHash]; hash == "" || !strings.HasSuffix(o.Name, "-"+hash) || !strings.HasPrefix(p.Name, o.Name+"-") {
				bad("%s: owner %s does not match pod-template-hash %q", where, o.Name, hash)
			}
			list(where, validation.IsDNS1123Subdomain(o.Name))
		}
		node := nodes[p.Spec.NodeName]
		if node == nil {
			bad("%s: unknown node %q", where, p.Spec.NodeName)
			continue
		}
		if len(p.Spec.Containers) == 0 {
			bad("%s: no containers", where)
		}
		portNames := map[string]bool{}
		portNums := map[string]bool{}
		containerNames := map[string]bool{}
		for _, ctr := range p.Spec.Containers {
			list(where, validation.IsDNS1123Label(ctr.Name))
			if containerNames[ctr.Name] {
				bad("%s: duplicate container %s", where, ctr.Name)
			}
			containerNames[ctr.Name] = true
			if ctr.Image == "" {
				bad("%s: container %s has no image", where, ctr.Name)
			}
			for _, port := range ctr.Ports {
				list(where, validation.IsValidPortNum(int(port.ContainerPort)))
				if port.Name != "" {
					list(where, validation.IsValidPortName(port.Name))
					if portNames[port.Name] {
						bad("%s: duplicate port name %s", where, port.Name)
					}
					portNames[port.Name] = true
				}
				key := fmt.Sprint(port.ContainerPort, port.Protocol)
				if portNums[key] {
					bad("%s: duplicate port %s", where, key)
				}
				portNums[key] = true
				switch port.Protocol {
				case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
				default:
					bad("%s: protocol %q", where, port.Protocol)
				}
				if p.Spec.HostNetwork && port.HostPort != port.ContainerPort {
					bad("%s: hostNetwork port %d has hostPort %d", where, port.ContainerPort, port.HostPort)
				}
				if !p.Spec.HostNetwork && port.HostPort != 0 {
					bad("%s: hostPort %d", where, port.HostPort)
				}
			}
		}
		if p.Status.Phase != corev1.PodRunning {
			bad("%s: phase %s", where, p.Status.Phase)
		}
		if p.Status.HostIP != nodeIP[p.Spec.NodeName] || len(p.Status.HostIPs) != 1 || p.Status.HostIPs[0].IP != p.Status.HostIP {
			bad("%s: hostIP %q on node %s (%s)", where, p.Status.HostIP, p.Spec.NodeName, nodeIP[p.Spec.NodeName])
		}
		if len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != p.Status.PodIP {
			bad("%s: podIPs %v do not match podIP %s", where, p.Status.PodIPs, p.Status.PodIP)
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !ip.Is4() {
			bad("%s: podIP %q", where, p.Status.PodIP)
			continue
		}
		if p.Spec.HostNetwork {
			if p.Status.PodIP != p.Status.HostIP {
				bad("%s: hostNetwork pod has IP %s, node has %s", where, p.Status.PodIP, p.Status.HostIP)
			}
			continue
		}
		if r := netip.MustParsePrefix(node.Spec.PodCIDR); !r.Contains(ip) {
			bad("%s: IP %s outside its node's range %s", where, ip, r)
		}
		if other, dup := podIPs[p.Status.PodIP]; dup {
			bad("%s: IP %s already used by %s", where, ip, other)
		}
		podIPs[p.Status.PodIP] = where
	}

	policyNames := map[string]bool{}
	for _, p := range c.Policies {
		where := "policy " + p.Namespace + "/" + p.Name
		if p.APIVersion != "networking.k8s.io/v1" || p.Kind != "NetworkPolicy" {
			bad("%s: type %v", where, p.TypeMeta)
		}
		list(where, validation.IsDNS1123Subdomain(p.Name))
		if !namespaces[p.Namespace] {
			bad("%s: unknown namespace", where)
		}
		if policyNames[p.Namespace+"/"+p.Name] {
			bad("%s: duplicate", where)
		}
		policyNames[p.Namespace+"/"+p.Name] = true
		errs = append(errs, validatePolicySpec(where, &p.Spec)...)
	}
	return errs
}

func validatePolicySpec(where string, spec *networkingv1.NetworkPolicySpec) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(where+": "+format, args...)) }
	opts := metav1validation.LabelSelectorValidationOptions{}
	for _, e := range metav1validation.ValidateLabelSelector(&spec.PodSelector, opts, field.NewPath("spec", "podSelector")) {
		bad("%v", e)
	}
	seen := map[networkingv1.PolicyType]bool{}
	for _, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			bad("policyType %q", t)
		}
		if seen[t] {
			bad("duplicate policyType %q", t)
		}
		seen[t] = true
	}
	if len(spec.PolicyTypes) > 0 && !seen[networkingv1.PolicyTypeEgress] && len(spec.Egress) > 0 {
		bad("egress rules in a policy not of type Egress")
	}
	if len(spec.PolicyTypes) > 0 && !seen[networkingv1.PolicyTypeIngress] && len(spec.Ingress) > 0 {
		bad("ingress rules in a policy not of type Ingress")
	}
	port := func(path *field.Path, np networkingv1.NetworkPolicyPort) {
		if np.Protocol == nil {
			bad("%s: no protocol", path)
		} else {
			switch *np.Protocol {
			case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
			default:
				bad("%s: protocol %q", path, *np.Protocol)
			}
		}
		if np.Port == nil {
			if np.EndPort != nil {
				bad("%s: endPort without port", path)
			}
			return
		}
		if np.Port.Type == intstr.Int {
			for _, m := range validation.IsValidPortNum(int(np.Port.IntVal)) {
				bad("%s: %s", path, m)
			}
		} else {
			for _, m := range validation.IsValidPortName(np.Port.StrVal) {
				bad("%s: %s", path, m)
			}
		}
		if np.EndPort != nil {
			if np.Port.Type != intstr.Int {
				bad("%s: endPort with named port", path)
			} else if *np.EndPort < np.Port.IntVal || *np.EndPort > 65535 {
				bad("%s: endPort %d with port %d", path, *np.EndPort, np.Port.IntVal)
			}
		}
	}
	peer := func(path *field.Path, p networkingv1.NetworkPolicyPeer) {
		selectors := p.PodSelector != nil || p.NamespaceSelector != nil
		switch {
		case p.IPBlock != nil && selectors:
			bad("%s: ipBlock combined with a selector", path)
		case p.IPBlock == nil && !selectors:
			bad("%s: empty peer", path)
		}
		if p.PodSelector != nil {
			for _, e := range metav1validation.ValidateLabelSelector(p.PodSelector, opts, path.Child("podSelector")) {
				bad("%v", e)
			}
		}
		if p.NamespaceSelector != nil {
			for _, e := range metav1validation.ValidateLabelSelector(p.NamespaceSelector, opts, path.Child("namespaceSelector")) {
				bad("%v", e)
			}
		}
		if b := p.IPBlock; b != nil {
			for _, e := range validation.IsValidCIDR(path.Child("ipBlock", "cidr"), b.CIDR) {
				bad("%v", e)
			}
			for i, ex := range b.Except {
				for _, e := range validation.IsValidCIDR(path.Child("ipBlock", "except").Index(i), ex) {
					bad("%v", e)
				}
				if err := strictSubnet(b.CIDR, ex); err != nil {
					bad("%s: %v", path, err)
				}
			}
		}
	}
	for i, r := range spec.Ingress {
		path := field.NewPath("spec", "ingress").Index(i)
		for j, np := range r.Ports {
			port(path.Child("ports").Index(j), np)
		}
		for j, p := range r.From {
			peer(path.Child("from").Index(j), p)
		}
	}
	for i, r := range spec.Egress {
		path := field.NewPath("spec", "egress").Index(i)
		for j, np := range r.Ports {
			port(path.Child("ports").Index(j), np)
		}
		for j, p := range r.To {
			peer(path.Child("to").Index(j), p)
		}
	}
	return errs
}

func TestGeneratedObjectsAreValid(t *testing.T) {
	type testCase struct {
		name  string
		shape Shape
	}
	var cases []testCase
	for _, s := range Shapes() {
		cases = append(cases, testCase{s.Name + "/small", Scaled(s, smallFactor)})
	}
	for _, name := range []string{"T0", "T1"} {
		s, _ := ShapeByName(name)
		cases = append(cases, testCase{name + "/full", s})
	}
	t5, _ := ShapeByName("T5")
	cases = append(cases, testCase{"T5/tenth", Scaled(t5, 0.1)})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if raceEnabled && tc.shape.Pods > 2000 {
				t.Skip("too slow under the race detector")
			}
			errs := validateCluster(Generate(tc.shape, 3))
			for i, e := range errs {
				if i == 20 {
					t.Errorf("... and %d more", len(errs)-20)
					break
				}
				t.Error(e)
			}
		})
	}
}
