package gen

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// This file writes the NetworkPolicies. Policies are made namespace by
// namespace, each namespace getting an even share of the shape's count, in
// the style of the shape's profile.

func (g *generator) makePolicies() {
	for i := range g.nss {
		ns := &g.nss[i]
		count := share(g.s.Policies, len(g.nss), i)
		if count == 0 {
			continue
		}
		clear(g.policyNames)
		switch g.s.profile() {
		case ProfileSmallNamespaces:
			g.smallPolicies(ns, count)
		case ProfileClusterPeers:
			g.clusterPeerPolicies(ns, count)
		case ProfileFull:
			g.everydayPolicies(ns, count, true)
		case ProfileSelectAll:
			for k := range count {
				g.richPolicy(ns, ns.target(k), false, true)
			}
		case ProfilePerPod:
			g.perPodPolicies(ns, count)
		case ProfileWide:
			g.widePolicies(ns, count)
		case ProfilePortHeavy:
			g.portHeavyPolicies(ns, count)
		case ProfileIPBlockHeavy:
			g.ipBlockHeavyPolicies(ns, count)
		default:
			g.everydayPolicies(ns, count, false)
		}
	}
}

// target returns the workload the k-th application policy of a namespace
// is about, cycling through the namespace's deployments, or nil when the
// namespace has none.
func (ns *nsInfo) target(k int) *workload {
	if len(ns.workloads) == 0 {
		return nil
	}
	return &ns.workloads[k%len(ns.workloads)]
}

// workloadOf returns the deployment that owns the pod with index idx.
func (ns *nsInfo) workloadOf(idx int) *workload {
	i := sort.Search(len(ns.workloads), func(i int) bool {
		w := &ns.workloads[i]
		return w.firstPod+w.pods > idx
	})
	return &ns.workloads[i]
}

// other returns a random deployment of ns other than not when there is
// one, not itself when it is the only one, and nil when ns has none.
func (g *generator) other(ns *nsInfo, not *workload) *workload {
	n := len(ns.workloads)
	if n == 0 {
		return nil
	}
	i := g.rng.IntN(n)
	if &ns.workloads[i] == not && n > 1 {
		i = (i + 1) % n
	}
	return &ns.workloads[i]
}

func (g *generator) newPolicy(ns *nsInfo, base string) *networkingv1.NetworkPolicy {
	p := &g.policies.take(1)[0]
	p.TypeMeta = policyType
	p.Namespace = ns.name
	p.Name = g.uniqueName(base)
	g.c.Policies = append(g.c.Policies, p)
	g.policySeq++
	return p
}

// uniqueName returns base, or base with the first free numeric suffix when
// the namespace already has a policy called base.
func (g *generator) uniqueName(base string) string {
	n, used := g.policyNames[base]
	if !used {
		g.policyNames[base] = 2
		return base
	}
	for {
		name := base + "-" + strconv.Itoa(n)
		n++
		if _, taken := g.policyNames[name]; !taken {
			g.policyNames[base] = n
			g.policyNames[name] = 2
			return name
		}
	}
}

func policyTypes(ingress, egress bool) []networkingv1.PolicyType {
	switch {
	case ingress && egress:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	case egress:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	default:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	}
}

// --- selectors ---

// matchLabels returns a selector matching the given key/value pairs.
func matchLabels(kv ...string) *metav1.LabelSelector {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func req(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
}

func exprs(rs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: rs}
}

func all() *metav1.LabelSelector { return &metav1.LabelSelector{} }

func (g *generator) otherTier(not string) string {
	for {
		t := roles[g.rng.IntN(len(roles))].tier
		if t != not {
			return t
		}
	}
}

func (g *generator) otherVersion(not string) string {
	for {
		v := versions[g.rng.IntN(len(versions))]
		if v != not {
			return v
		}
	}
}

// targetSelector picks the podSelector of a policy about w.
func (g *generator) targetSelector(w *workload, full bool) metav1.LabelSelector {
	r := g.rng.Float64()
	if !full {
		switch {
		case r < 0.85:
			return *matchLabels(labelApp, w.app)
		case r < 0.95:
			return *matchLabels(labelTier, w.tier)
		default:
			return metav1.LabelSelector{}
		}
	}
	switch {
	case r < 0.58:
		return *matchLabels(labelApp, w.app)
	case r < 0.70:
		s := exprs(req(labelTier, metav1.LabelSelectorOpIn, w.tier, g.otherTier(w.tier)))
		if !w.canary {
			s.MatchExpressions = append(s.MatchExpressions, req(labelCanary, metav1.LabelSelectorOpDoesNotExist))
		}
		return *s
	case r < 0.80:
		s := matchLabels(labelApp, w.app)
		s.MatchExpressions = []metav1.LabelSelectorRequirement{req(labelVersion, metav1.LabelSelectorOpNotIn, g.otherVersion(w.version))}
		return *s
	case r < 0.88:
		return *matchLabels(labelTier, w.tier)
	case r < 0.93:
		return *exprs(req(labelApp, metav1.LabelSelectorOpExists), req(labelCanary, metav1.LabelSelectorOpExists))
	default:
		return *exprs(req(labelApp, metav1.LabelSelectorOpIn, w.app, w.app+"-legacy"))
	}
}

// --- peers ---

func podPeer(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: s}
}

func nsPeer(ns, pod *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pod}
}

func dnsPeer() networkingv1.NetworkPolicyPeer {
	return nsPeer(matchLabels(labelMetaName, nsKubeSystem), matchLabels(labelDNS, dnsLabelValue))
}

func monitoringPeer() networkingv1.NetworkPolicyPeer {
	return nsPeer(matchLabels(labelMetaName, nsMonitoring), matchLabels(labelPromName, promLabelValue))
}

func widePeer() networkingv1.NetworkPolicyPeer { return nsPeer(all(), all()) }

func (g *generator) appPeer(ns *nsInfo, not *workload) (networkingv1.NetworkPolicyPeer, *workload) {
	w := g.other(ns, not)
	if w == nil {
		return podPeer(all()), nil
	}
	return podPeer(matchLabels(labelApp, w.app)), w
}

func (g *generator) team(ns *nsInfo) string {
	if g.chance(0.4) {
		return ns.team
	}
	return g.teams[g.rng.IntN(len(g.teams))]
}

// teamPeer matches a whole team's namespaces, optionally narrowed to one
// tier of pods in them.
func (g *generator) teamPeer(ns *nsInfo, and float64) networkingv1.NetworkPolicyPeer {
	p := nsPeer(matchLabels(labelTeam, g.team(ns)), nil)
	if g.chance(and) {
		p.PodSelector = matchLabels(labelTier, roles[g.rng.IntN(len(roles))].tier)
	}
	return p
}

// namePeer names one namespace through kubernetes.io/metadata.name. Only
// half the namespaces carry that label, so about half of these peers match
// nothing.
func (g *generator) namePeer() networkingv1.NetworkPolicyPeer {
	ns := &g.nss[g.rng.IntN(len(g.nss))]
	return nsPeer(matchLabels(labelMetaName, ns.name), nil)
}

// danglingPeer selects pods or namespaces that do not exist.
func (g *generator) danglingPeer() networkingv1.NetworkPolicyPeer {
	if g.chance(0.5) {
		return podPeer(matchLabels(labelApp, "retired-"+g.pick(appWords)))
	}
	return nsPeer(matchLabels(labelTeam, "disbanded-"+g.pick(teamWords)), nil)
}

// exprPeer selects pods of the namespace through set-based requirements.
func (g *generator) exprPeer(ns *nsInfo, not *workload) networkingv1.NetworkPolicyPeer {
	w := g.other(ns, not)
	switch {
	case w == nil:
		return podPeer(exprs(req(labelApp, metav1.LabelSelectorOpExists)))
	case g.chance(0.3):
		o := g.other(ns, w)
		return podPeer(exprs(req(labelApp, metav1.LabelSelectorOpIn, w.app, o.app)))
	case g.chance(0.4):
		return podPeer(exprs(req(labelTier, metav1.LabelSelectorOpIn, w.tier), req(labelVersion, metav1.LabelSelectorOpNotIn, g.otherVersion(w.version))))
	case g.chance(0.5):
		return podPeer(exprs(req(labelTier, metav1.LabelSelectorOpNotIn, "data", "platform"), req(labelCanary, metav1.LabelSelectorOpDoesNotExist)))
	default:
		return podPeer(exprs(req(labelApp, metav1.LabelSelectorOpExists), req(labelCanary, metav1.LabelSelectorOpExists)))
	}
}

// envPeer selects, by expressions, the pods of one tier in every production
// or staging namespace of some teams.
func (g *generator) envPeer(ns *nsInfo) networkingv1.NetworkPolicyPeer {
	nsSel := exprs(req(labelEnv, metav1.LabelSelectorOpIn, "prod", "staging"))
	if g.chance(0.5) {
		nsSel.MatchExpressions = append(nsSel.MatchExpressions, req(labelTeam, metav1.LabelSelectorOpIn, ns.team, g.teams[g.rng.IntN(len(g.teams))]))
	} else {
		nsSel.MatchExpressions = append(nsSel.MatchExpressions, req(labelTier, metav1.LabelSelectorOpNotIn, "data"))
	}
	return nsPeer(nsSel, matchLabels(labelTier, "frontend"))
}

// --- ipBlocks ---

func ipPeer(b *networkingv1.IPBlock) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: b}
}

// subnet returns the idx-th sub-prefix of length bits inside parent.
func subnet(parent netip.Prefix, bits int, idx uint64) netip.Prefix {
	a := parent.Masked().Addr()
	shift := a.BitLen() - bits
	if a.Is4() {
		b := a.As4()
		v := binary.BigEndian.Uint32(b[:]) | uint32(idx)<<shift
		binary.BigEndian.PutUint32(b[:], v)
		return netip.PrefixFrom(netip.AddrFrom4(b), bits)
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if shift >= 64 {
		hi |= idx << (shift - 64)
	} else {
		lo |= idx << shift
		hi |= idx >> (64 - shift) // a shift of 64 yields 0, as wanted
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.PrefixFrom(netip.AddrFrom16(b), bits)
}

// block returns an ipBlock over parent with n distinct exceptions of length
// bits, their indices drawn by pick.
func block(parent netip.Prefix, bits, n int, pick func() uint64) *networkingv1.IPBlock {
	b := &networkingv1.IPBlock{CIDR: parent.Masked().String()}
	if n == 0 {
		return b
	}
	idx := make([]uint64, 0, n)
	for tries := 0; len(idx) < n && tries < 8*n; tries++ {
		if i := pick(); !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	b.Except = make([]string, len(idx))
	for i, v := range idx {
		b.Except[i] = subnet(parent, bits, v).String()
	}
	return b
}

func (g *generator) below(n uint64) func() uint64 {
	return func() uint64 { return g.rng.Uint64N(n) }
}

// podRangeBlock covers pod IPs: a node's /24 minus single pods, the /16
// around a node minus some node ranges, or the whole pod network minus
// some node ranges.
func (g *generator) podRangeBlock(n int) *networkingv1.IPBlock {
	nodes := len(g.c.Nodes)
	k := g.rng.IntN(nodes)
	switch g.rng.IntN(3) {
	case 0:
		slots := uint64(max(1, (g.s.Pods+nodes-1)/nodes))
		return block(nodePodRange(k), 32, n, func() uint64 { return 2 + g.rng.Uint64N(slots) })
	case 1:
		return block(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(k >> 8), 0, 0}), 16), 24, n, g.below(256))
	default:
		return block(podNet, 24, n, g.below(uint64(nodes)))
	}
}

var (
	privateV4  = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
	publicV4   = []byte{13, 18, 20, 34, 35, 40, 44, 52, 54, 64, 66, 74, 104, 142, 151, 185}
	docNetsV4  = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}
	internetV6 = []string{"fc00::/7", "fe80::/10"}
)

// externalBlock covers addresses outside the cluster: the internet minus
// private ranges, a public /16 minus some /24s, or a documentation /24
// minus some /28s.
func (g *generator) externalBlock(n int) *networkingv1.IPBlock {
	switch g.rng.IntN(3) {
	case 0:
		return &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: slices.Clone(privateV4[:min(max(n, 1), len(privateV4))])}
	case 1:
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{publicV4[g.rng.IntN(len(publicV4))], byte(g.rng.IntN(256)), 0, 0}), 16)
		return block(p, 24, n, g.below(256))
	default:
		return block(docNetsV4[g.rng.IntN(len(docNetsV4))], 28, n, g.below(16))
	}
}

// v6Block covers IPv6 space: everything but unique-local and link-local
// addresses, a documentation /48 minus some /64s, or a unique-local /48
// minus some /56s.
func (g *generator) v6Block(n int) *networkingv1.IPBlock {
	switch g.rng.IntN(3) {
	case 0:
		return &networkingv1.IPBlock{CIDR: "::/0", Except: slices.Clone(internetV6[:min(max(n, 1), len(internetV6))])}
	case 1:
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[4], b[5] = byte(g.rng.IntN(256)), byte(g.rng.IntN(256))
		return block(netip.PrefixFrom(netip.AddrFrom16(b), 48), 64, n, g.below(1<<16))
	default:
		var b [16]byte
		b[0] = 0xfd
		for i := 1; i < 6; i++ {
			b[i] = byte(g.rng.IntN(256))
		}
		return block(netip.PrefixFrom(netip.AddrFrom16(b), 48), 56, n, g.below(256))
	}
}

// --- ports ---

func policyPort(proto corev1.Protocol, port intstr.IntOrString, end int32) networkingv1.NetworkPolicyPort {
	pr, pt := proto, port
	p := networkingv1.NetworkPolicyPort{Protocol: &pr, Port: &pt}
	if end > 0 {
		e := end
		p.EndPort = &e
	}
	return p
}

func numPort(proto corev1.Protocol, n int32) networkingv1.NetworkPolicyPort {
	return policyPort(proto, intstr.FromInt32(n), 0)
}

func namedPort(proto corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	return policyPort(proto, intstr.FromString(name), 0)
}

func rangePort(proto corev1.Protocol, from, to int32) networkingv1.NetworkPolicyPort {
	return policyPort(proto, intstr.FromInt32(from), to)
}

var (
	commonNamed   = []string{"http", "metrics", "grpc", "db", "cache"}
	commonNumbers = []int32{443, 80, 8080, 8443, 5432, 6379, 9092, 27017}
	udpNumbers    = []int32{53, 123, 514, 4789, 5004, 8125}
	sctpNumbers   = []int32{3868, 2905, 36412, 38412, 9899}
)

// anyPort returns a random port of w's first container.
func (g *generator) anyPort(w *workload) corev1.ContainerPort {
	ps := w.containers[0].ports
	return ps[g.rng.IntN(len(ps))]
}

// port picks a port for a rule whose traffic ends at w (nil when the
// destination is not a known deployment).
func (g *generator) port(w *workload, full bool) networkingv1.NetworkPolicyPort {
	r := g.rng.Float64()
	if w == nil || len(w.containers[0].ports) == 0 {
		switch {
		case r < 0.4:
			return namedPort(corev1.ProtocolTCP, g.pick(commonNamed))
		case !full || r < 0.85:
			return numPort(corev1.ProtocolTCP, commonNumbers[g.rng.IntN(len(commonNumbers))])
		default:
			from := int32(1024 + g.rng.IntN(60000))
			return rangePort(corev1.ProtocolTCP, from, from+int32(1+g.rng.IntN(1000)))
		}
	}
	if !full {
		cp := g.anyPort(w)
		if r < 0.5 {
			return namedPort(cp.Protocol, cp.Name)
		}
		return numPort(cp.Protocol, cp.ContainerPort)
	}
	switch {
	case r < 0.30:
		cp := g.anyPort(w)
		return namedPort(cp.Protocol, cp.Name)
	case r < 0.50:
		cp := g.anyPort(w)
		return numPort(cp.Protocol, cp.ContainerPort)
	case r < 0.65:
		from := g.anyPort(w).ContainerPort
		if g.chance(0.5) {
			from = int32(1024 + g.rng.IntN(60000))
		}
		return rangePort(corev1.ProtocolTCP, from, min(65535, from+int32(g.rng.IntN(1000))))
	case r < 0.75:
		if cp, ok := w.port(statsdPort.name); ok {
			return numPort(corev1.ProtocolUDP, cp.ContainerPort)
		}
		return numPort(corev1.ProtocolUDP, udpNumbers[g.rng.IntN(len(udpNumbers))])
	case r < 0.82:
		if _, ok := w.port(sigPort.name); ok && g.chance(0.5) {
			return namedPort(corev1.ProtocolSCTP, sigPort.name)
		}
		return numPort(corev1.ProtocolSCTP, sctpNumbers[g.rng.IntN(len(sctpNumbers))])
	case r < 0.92:
		return namedPort(corev1.ProtocolTCP, g.pick(commonNamed))
	default:
		return numPort(corev1.ProtocolTCP, commonNumbers[g.rng.IntN(len(commonNumbers))])
	}
}

func dnsPorts(named bool) []networkingv1.NetworkPolicyPort {
	if named {
		return []networkingv1.NetworkPolicyPort{namedPort(corev1.ProtocolUDP, "dns"), namedPort(corev1.ProtocolTCP, "dns-tcp")}
	}
	return []networkingv1.NetworkPolicyPort{numPort(corev1.ProtocolUDP, 53), numPort(corev1.ProtocolTCP, 53)}
}

// --- everyday policies (mixed and full profiles) ---

// everydayPolicies writes what most namespaces have: a default deny, a DNS
// allowance when egress is denied, a monitoring allowance, then
// application policies cycling through the namespace's deployments.
func (g *generator) everydayPolicies(ns *nsInfo, count int, full bool) {
	k := 0
	if count >= 2 {
		denyEgress := g.chance(0.3)
		if full {
			denyEgress = g.chance(0.5)
		}
		g.defaultDeny(ns, denyEgress)
		k++
		if denyEgress {
			g.allowDNS(ns, full && g.chance(0.3))
			k++
		}
		if k < count && (full || g.chance(0.5)) {
			g.allowMonitoring(ns)
			k++
		}
	}
	for t := 0; k < count; k, t = k+1, t+1 {
		g.richPolicy(ns, ns.target(t), full, false)
	}
}

func (g *generator) defaultDeny(ns *nsInfo, egress bool) {
	name := "default-deny-ingress"
	if egress {
		name = "default-deny-all"
	}
	p := g.newPolicy(ns, name)
	p.Spec.PolicyTypes = policyTypes(true, egress)
}

func (g *generator) allowDNS(ns *nsInfo, named bool) {
	p := g.newPolicy(ns, "allow-dns-egress")
	p.Spec.PolicyTypes = policyTypes(false, true)
	p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{dnsPeer()}, Ports: dnsPorts(named)}}
}

func (g *generator) allowMonitoring(ns *nsInfo) {
	p := g.newPolicy(ns, "allow-monitoring-scrape")
	p.Spec.PolicyTypes = policyTypes(true, false)
	p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{monitoringPeer()},
		Ports: []networkingv1.NetworkPolicyPort{namedPort(corev1.ProtocolTCP, "metrics")},
	}}
}

// richPolicy writes an application policy about w: a target selector, then
// ingress and/or egress rules of several peers and ports. selectAll forces
// an empty podSelector.
func (g *generator) richPolicy(ns *nsInfo, w *workload, full, selectAll bool) {
	r := g.rng.Float64()
	var ingress, egress bool
	if full {
		ingress, egress = r < 0.45 || r >= 0.65, r >= 0.45
	} else {
		ingress, egress = r < 0.75 || r >= 0.85, r >= 0.75
	}
	base := "all-pods"
	if !selectAll && w != nil {
		base = "allow-" + w.app
	}
	switch {
	case ingress && egress:
		base += "-traffic"
	case egress:
		base += "-egress"
	default:
		base += "-ingress"
	}
	p := g.newPolicy(ns, base)
	if !selectAll && w != nil {
		p.Spec.PodSelector = g.targetSelector(w, full)
	}
	maxRules, maxPeers, maxPorts := 2, 2, 2
	if full {
		maxRules, maxPeers, maxPorts = 3, 3, 4
	}
	if ingress {
		p.Spec.Ingress = make([]networkingv1.NetworkPolicyIngressRule, 1+g.rng.IntN(maxRules))
		for i := range p.Spec.Ingress {
			rule := &p.Spec.Ingress[i]
			if !g.chance(0.05) {
				rule.From = make([]networkingv1.NetworkPolicyPeer, 1+g.rng.IntN(maxPeers))
				for j := range rule.From {
					rule.From[j] = g.ingressPeer(ns, w, full)
				}
			}
			if !g.chance(0.2) {
				rule.Ports = make([]networkingv1.NetworkPolicyPort, 1+g.rng.IntN(maxPorts))
				for j := range rule.Ports {
					rule.Ports[j] = g.port(w, full)
				}
			}
		}
	}
	if egress {
		p.Spec.Egress = make([]networkingv1.NetworkPolicyEgressRule, 1+g.rng.IntN(maxRules))
		for i := range p.Spec.Egress {
			rule := &p.Spec.Egress[i]
			var dest *workload
			dns := false
			if !g.chance(0.05) {
				rule.To = make([]networkingv1.NetworkPolicyPeer, 1+g.rng.IntN(maxPeers))
				for j := range rule.To {
					var d *workload
					var isDNS bool
					rule.To[j], d, isDNS = g.egressPeer(ns, w, full)
					if j == 0 {
						dest, dns = d, isDNS
					}
				}
			}
			switch {
			case dns:
				rule.Ports = dnsPorts(full && g.chance(0.3))
			case !g.chance(0.2):
				rule.Ports = make([]networkingv1.NetworkPolicyPort, 1+g.rng.IntN(maxPorts))
				for j := range rule.Ports {
					rule.Ports[j] = g.port(dest, full)
				}
			}
		}
	}
	// policyTypes may be left out when defaulting gives the same answer:
	// Ingress always, Egress exactly when there are egress rules.
	if !(full && ingress && g.chance(0.1)) {
		p.Spec.PolicyTypes = policyTypes(ingress, egress)
	}
}

func (g *generator) ingressPeer(ns *nsInfo, w *workload, full bool) networkingv1.NetworkPolicyPeer {
	r := g.rng.Float64()
	if !full {
		switch {
		case r < 0.50:
			p, _ := g.appPeer(ns, w)
			return p
		case r < 0.65:
			return g.teamPeer(ns, 0.4)
		case r < 0.73:
			return podPeer(all())
		case r < 0.78:
			return monitoringPeer()
		case r < 0.83:
			return g.namePeer()
		case r < 0.90:
			return ipPeer(g.externalBlock(1))
		case r < 0.97:
			return podPeer(matchLabels(labelTier, g.otherTier("")))
		default:
			return g.danglingPeer()
		}
	}
	switch {
	case r < 0.28:
		p, _ := g.appPeer(ns, w)
		return p
	case r < 0.36:
		return g.exprPeer(ns, w)
	case r < 0.50:
		return g.teamPeer(ns, 0.5)
	case r < 0.55:
		return g.envPeer(ns)
	case r < 0.62:
		return ipPeer(g.podRangeBlock(1 + g.rng.IntN(2)))
	case r < 0.70:
		return ipPeer(g.externalBlock(1 + g.rng.IntN(2)))
	case r < 0.75:
		return ipPeer(g.v6Block(1 + g.rng.IntN(2)))
	case r < 0.80:
		return monitoringPeer()
	case r < 0.86:
		return podPeer(all())
	case r < 0.90:
		return nsPeer(exprs(req(labelTeam, metav1.LabelSelectorOpIn, ns.team, g.teams[g.rng.IntN(len(g.teams))])), nil)
	case r < 0.95:
		return g.namePeer()
	default:
		return g.danglingPeer()
	}
}

// egressPeer returns a destination peer, the deployment it reaches when
// that is known, and whether it is the cluster DNS.
func (g *generator) egressPeer(ns *nsInfo, w *workload, full bool) (networkingv1.NetworkPolicyPeer, *workload, bool) {
	r := g.rng.Float64()
	if !full {
		switch {
		case r < 0.55:
			p, d := g.appPeer(ns, w)
			return p, d, false
		case r < 0.75:
			return g.teamPeer(ns, 0.6), nil, false
		case r < 0.90:
			return ipPeer(g.externalBlock(1)), nil, false
		case r < 0.95:
			return dnsPeer(), nil, true
		default:
			return g.danglingPeer(), nil, false
		}
	}
	switch {
	case r < 0.30:
		p, d := g.appPeer(ns, w)
		return p, d, false
	case r < 0.42:
		return g.teamPeer(ns, 0.7), nil, false
	case r < 0.50:
		return dnsPeer(), nil, true
	case r < 0.62:
		return ipPeer(g.externalBlock(1 + g.rng.IntN(2))), nil, false
	case r < 0.70:
		return ipPeer(g.v6Block(1 + g.rng.IntN(2))), nil, false
	case r < 0.76:
		return ipPeer(g.podRangeBlock(1 + g.rng.IntN(2))), nil, false
	case r < 0.82:
		return g.exprPeer(ns, w), nil, false
	case r < 0.88:
		return nsPeer(all(), exprs(req(labelTier, metav1.LabelSelectorOpIn, "data"))), nil, false
	case r < 0.94:
		return g.namePeer(), nil, false
	default:
		return g.danglingPeer(), nil, false
	}
}

// --- profile-specific writers ---

// smallPolicies (T4a) writes, over and over, an allow-within-namespace
// policy, a team allowance for one deployment and a DNS egress allowance,
// each a single rule with a single peer.
func (g *generator) smallPolicies(ns *nsInfo, count int) {
	for k := range count {
		switch k % 3 {
		case 0:
			p := g.newPolicy(ns, "allow-same-namespace")
			p.Spec.PolicyTypes = policyTypes(true, false)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{podPeer(all())}}}
		case 1:
			w := ns.target(k / 3)
			base := "allow-from-team"
			if w != nil {
				base = "allow-" + w.app + "-from-team"
			}
			p := g.newPolicy(ns, base)
			p.Spec.PolicyTypes = policyTypes(true, false)
			from := g.teamPeer(ns, 0)
			if g.chance(0.1) {
				from = g.namePeer()
			}
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{from}}
			if w != nil {
				p.Spec.PodSelector = *matchLabels(labelApp, w.app)
				cp := g.anyPort(w)
				rule.Ports = []networkingv1.NetworkPolicyPort{namedPort(cp.Protocol, cp.Name)}
			}
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
		default:
			p := g.newPolicy(ns, "allow-dns-egress")
			p.Spec.PolicyTypes = policyTypes(false, true)
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{dnsPeer()},
				Ports: []networkingv1.NetworkPolicyPort{numPort(corev1.ProtocolUDP, 53)},
			}}
		}
	}
}

// clusterPeerPolicies (T4b) writes a default deny, then per deployment an
// ingress allowance from whole teams of namespaces.
func (g *generator) clusterPeerPolicies(ns *nsInfo, count int) {
	k := 0
	if count >= 2 {
		g.defaultDeny(ns, false)
		k++
	}
	for t := 0; k < count; k, t = k+1, t+1 {
		w := ns.target(t)
		base := "allow-teams"
		if w != nil {
			base = "allow-" + w.app + "-from-teams"
		}
		p := g.newPolicy(ns, base)
		p.Spec.PolicyTypes = policyTypes(true, false)
		if w != nil {
			p.Spec.PodSelector = *matchLabels(labelApp, w.app)
		}
		p.Spec.Ingress = make([]networkingv1.NetworkPolicyIngressRule, 1+g.rng.IntN(2))
		for i := range p.Spec.Ingress {
			rule := &p.Spec.Ingress[i]
			rule.From = make([]networkingv1.NetworkPolicyPeer, 1+g.rng.IntN(2))
			for j := range rule.From {
				if g.chance(0.03) {
					rule.From[j] = g.danglingPeer()
				} else {
					rule.From[j] = g.teamPeer(ns, 0.4)
				}
			}
			if w != nil && g.chance(0.6) {
				cp := g.anyPort(w)
				rule.Ports = []networkingv1.NetworkPolicyPort{namedPort(cp.Protocol, cp.Name)}
			}
		}
	}
}

// perPodPolicies (A2) writes one policy per pod, selecting it through its
// unique pod-id label.
func (g *generator) perPodPolicies(ns *nsInfo, count int) {
	for k := range count {
		if ns.pods == 0 {
			g.richPolicy(ns, nil, false, true)
			continue
		}
		idx := ns.firstPod + k%ns.pods
		w := ns.workloadOf(idx)
		p := g.newPolicy(ns, "allow-"+g.c.Pods[idx].Name)
		p.Spec.PodSelector = *matchLabels(UniquePodLabelKey, podIDValue(idx))
		from, _ := g.appPeer(ns, w)
		if g.chance(0.02) {
			from = g.danglingPeer()
		}
		cp := g.anyPort(w)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{from},
			Ports: []networkingv1.NetworkPolicyPort{namedPort(cp.Protocol, cp.Name)},
		}}
		egress := g.chance(0.2)
		if egress {
			to, d := g.appPeer(ns, w)
			rule := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{to}}
			if d != nil {
				rule.Ports = []networkingv1.NetworkPolicyPort{g.port(d, false)}
			}
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{rule}
		}
		p.Spec.PolicyTypes = policyTypes(true, egress)
	}
}

// widePolicies (A4) writes rules whose peers match every pod of every
// namespace.
func (g *generator) widePolicies(ns *nsInfo, count int) {
	for k := range count {
		var w *workload
		base := "allow-cluster-wide"
		if k > 0 {
			w = ns.target(k - 1)
			if w != nil {
				base = "allow-" + w.app + "-cluster-wide"
			}
		}
		p := g.newPolicy(ns, base)
		if w != nil {
			p.Spec.PodSelector = *matchLabels(labelApp, w.app)
		}
		rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{widePeer()}}
		if w != nil {
			rule.Ports = []networkingv1.NetworkPolicyPort{g.port(w, false)}
		}
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
		egress := g.chance(0.3)
		if egress {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{widePeer()},
				Ports: []networkingv1.NetworkPolicyPort{g.port(nil, false)},
			}}
		}
		p.Spec.PolicyTypes = policyTypes(true, egress)
	}
}

// portHeavyPolicies (A5) gives the n-th policy of the cluster its own block
// of port numbers, so numeric ports and ranges of different policies never
// overlap, and adds a couple of named ports.
func (g *generator) portHeavyPolicies(ns *nsInfo, count int) {
	const low = 1024
	width := max(1, min(240, (65535-low+1)/max(1, g.s.Policies)))
	for k := range count {
		start := low + (g.policySeq%((65535-low+1)/width))*width
		var w *workload
		base := "ports-all-pods"
		if k > 0 {
			w = ns.target(k - 1)
			if w != nil {
				base = "ports-" + w.tier
			}
		}
		p := g.newPolicy(ns, base)
		if w != nil {
			p.Spec.PodSelector = *matchLabels(labelTier, w.tier)
		}
		ports := g.portBlock(int32(start), int32(width))
		from := podPeer(all())
		if w != nil && g.chance(0.5) {
			from, _ = g.appPeer(ns, w)
		}
		egress := g.chance(0.3)
		if !egress {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{from}, Ports: ports}}
		} else {
			half := len(ports) / 2
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{from}, Ports: ports[:half:half]}}
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{podPeer(all())}, Ports: ports[half:]}}
		}
		p.Spec.PolicyTypes = policyTypes(true, egress)
	}
}

// portBlock returns single ports and ranges inside [start, start+width),
// plus two named ports.
func (g *generator) portBlock(start, width int32) []networkingv1.NetworkPolicyPort {
	proto := func() corev1.Protocol {
		switch r := g.rng.IntN(10); {
		case r < 7:
			return corev1.ProtocolTCP
		case r < 9:
			return corev1.ProtocolUDP
		default:
			return corev1.ProtocolSCTP
		}
	}
	var out []networkingv1.NetworkPolicyPort
	singles, rangeSpan := width, int32(0)
	if width >= 16 {
		singles = width / 2
		rangeSpan = width - singles
	}
	// Single ports: up to six distinct offsets in the first part.
	var offs []int32
	for tries := 0; len(offs) < int(min(6, singles)) && tries < 32; tries++ {
		if o := int32(g.rng.IntN(int(singles))); !slices.Contains(offs, o) {
			offs = append(offs, o)
		}
	}
	slices.Sort(offs)
	for _, o := range offs {
		out = append(out, numPort(proto(), start+o))
	}
	// Ranges: three in the second part, each inside its own third.
	if part := rangeSpan / 3; part >= 2 {
		for i := range int32(3) {
			lo := start + singles + i*part
			from := lo + int32(g.rng.IntN(int(part/2)))
			to := from + int32(g.rng.IntN(int(part/2)))
			out = append(out, rangePort(proto(), from, to))
		}
	}
	a := g.rng.IntN(len(commonNamed))
	b := (a + 1 + g.rng.IntN(len(commonNamed)-1)) % len(commonNamed)
	out = append(out, namedPort(corev1.ProtocolTCP, commonNamed[a]), namedPort(corev1.ProtocolTCP, commonNamed[b]))
	return out
}

// ipBlockHeavyPolicies (A6) writes rules of ten ipBlock peers, each with
// one to three exceptions.
func (g *generator) ipBlockHeavyPolicies(ns *nsInfo, count int) {
	peers := func() []networkingv1.NetworkPolicyPeer {
		out := make([]networkingv1.NetworkPolicyPeer, 10)
		for i := range out {
			n := 1 + g.rng.IntN(3)
			switch r := g.rng.IntN(20); {
			case r < 8:
				out[i] = ipPeer(g.podRangeBlock(n))
			case r < 17:
				out[i] = ipPeer(g.externalBlock(n))
			default:
				out[i] = ipPeer(g.v6Block(n))
			}
		}
		return out
	}
	for k := range count {
		var w *workload
		base := "cidrs-all-pods"
		if k > 0 {
			w = ns.target(k - 1)
			if w != nil {
				base = "cidrs-" + w.app
			}
		}
		p := g.newPolicy(ns, base)
		if w != nil {
			p.Spec.PodSelector = *matchLabels(labelApp, w.app)
		}
		r := g.rng.IntN(4)
		ingress, egress := r != 2, r >= 2
		if ingress {
			rule := networkingv1.NetworkPolicyIngressRule{From: peers()}
			if w != nil && g.chance(0.5) {
				rule.Ports = []networkingv1.NetworkPolicyPort{g.port(w, false)}
			}
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
		}
		if egress {
			rule := networkingv1.NetworkPolicyEgressRule{To: peers()}
			if g.chance(0.5) {
				rule.Ports = []networkingv1.NetworkPolicyPort{numPort(corev1.ProtocolTCP, 443)}
			}
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{rule}
		}
		p.Spec.PolicyTypes = policyTypes(ingress, egress)
	}
}
