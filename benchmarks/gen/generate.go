package gen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Cluster is a generated cluster: the objects a NetworkPolicy analysis
// needs, each with apiVersion and kind set.
//
// No two objects share a map, slice or pointer, so each can be changed on
// its own; but they are carved from a few large blocks, so holding on to
// any one of them keeps its whole block in memory.
type Cluster struct {
	// Namespaces come first in output; about half carry the
	// kubernetes.io/metadata.name label.
	Namespaces []*corev1.Namespace
	// Nodes, one per 110 pods, each with an InternalIP in 172.16.0.0/12
	// and a /24 pod range in 10.0.0.0/8.
	Nodes []*corev1.Node
	// Pods, grouped by namespace and ReplicaSet, all Running.
	Pods []*corev1.Pod
	// Policies, grouped by namespace.
	Policies []*networkingv1.NetworkPolicy
}

const (
	// podsPerNode is the kubelet's default pod limit; the cluster gets one
	// node per podsPerNode pods.
	podsPerNode = 110
	// maxNodes is how many /24 pod ranges 10.0.0.0/8 holds.
	maxNodes = 1 << 16

	// Label keys the generator writes and its selectors read.
	labelApp       = "app"
	labelTier      = "tier"
	labelVersion   = "version"
	labelCanary    = "canary"
	labelTeam      = "team"
	labelEnv       = "env"
	labelHash      = "pod-template-hash"
	labelMetaName  = "kubernetes.io/metadata.name"
	labelDNS       = "k8s-app"
	labelPromName  = "app.kubernetes.io/name"
	labelPodName   = "statefulset.kubernetes.io/pod-name"
	labelDeployed  = "deployed-at"
	nsKubeSystem   = "kube-system"
	nsMonitoring   = "monitoring"
	dnsLabelValue  = "kube-dns"
	promLabelValue = "prometheus"
)

var (
	namespaceType = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	nodeType      = metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}
	podType       = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	policyType    = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}

	// podNet is where pod ranges are carved, one /24 per node.
	podNet = netip.MustParsePrefix("10.0.0.0/8")
	// nodeNet holds the nodes' InternalIP addresses.
	nodeNet = netip.MustParsePrefix("172.16.0.0/12")
	// nodeInfo is what every node reports about itself.
	nodeInfo = corev1.NodeSystemInfo{
		KernelVersion:           "6.8.0-1031-aws",
		OSImage:                 "Ubuntu 24.04.3 LTS",
		ContainerRuntimeVersion: "containerd://2.1.4",
		KubeletVersion:          "v1.37.2",
		OperatingSystem:         "linux",
		Architecture:            "amd64",
	}
	// deployEpoch anchors every timestamp the generator invents.
	deployEpoch = time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
)

// portDef is a container port a role may expose: a name and the numbers it
// may take, one of which a deployment picks.
type portDef struct {
	name    string
	proto   corev1.Protocol
	numbers []int32
}

// role is the kind of application a deployment runs.
type role struct {
	name  string
	tier  string
	ports []portDef
	// weight is the relative chance a deployment gets this role.
	weight int
}

var (
	metricsPorts = []int32{9090, 9100, 9102, 9113, 8081}
	roles        = []role{
		{name: "web", tier: "frontend", weight: 20, ports: []portDef{
			{name: "http", proto: corev1.ProtocolTCP, numbers: []int32{80, 8080, 3000, 8000, 4200}},
			{name: "metrics", proto: corev1.ProtocolTCP, numbers: metricsPorts},
		}},
		{name: "api", tier: "backend", weight: 35, ports: []portDef{
			{name: "http", proto: corev1.ProtocolTCP, numbers: []int32{8080, 8000, 5000, 9080, 8888}},
			{name: "grpc", proto: corev1.ProtocolTCP, numbers: []int32{50051, 9000, 8443, 7070}},
			{name: "metrics", proto: corev1.ProtocolTCP, numbers: metricsPorts},
		}},
		{name: "worker", tier: "worker", weight: 20, ports: []portDef{
			{name: "metrics", proto: corev1.ProtocolTCP, numbers: metricsPorts},
		}},
		{name: "db", tier: "data", weight: 15, ports: []portDef{
			{name: "db", proto: corev1.ProtocolTCP, numbers: []int32{5432, 3306, 27017, 26257}},
			{name: "metrics", proto: corev1.ProtocolTCP, numbers: []int32{9187, 9104, 9216}},
		}},
		{name: "cache", tier: "data", weight: 10, ports: []portDef{
			{name: "cache", proto: corev1.ProtocolTCP, numbers: []int32{6379, 11211}},
			{name: "metrics", proto: corev1.ProtocolTCP, numbers: []int32{9121, 9150}},
		}},
	}
	roleWeightSum = func() int {
		n := 0
		for _, r := range roles {
			n += r.weight
		}
		return n
	}()

	// Extra ports only the full profile hands out, so UDP and SCTP rules
	// have pods to match.
	sigPort    = portDef{name: "sig", proto: corev1.ProtocolSCTP, numbers: []int32{3868, 2905, 36412, 38412}}
	statsdPort = portDef{name: "statsd", proto: corev1.ProtocolUDP, numbers: []int32{8125, 9125}}
	proxyPort  = portDef{name: "proxy-admin", proto: corev1.ProtocolTCP, numbers: []int32{15000, 15090, 9901}}

	dnsRole = role{name: "coredns", tier: "platform", ports: []portDef{
		{name: "dns", proto: corev1.ProtocolUDP, numbers: []int32{53}},
		{name: "dns-tcp", proto: corev1.ProtocolTCP, numbers: []int32{53}},
		{name: "metrics", proto: corev1.ProtocolTCP, numbers: []int32{9153}},
	}}
	promRole = role{name: "prometheus", tier: "platform", ports: []portDef{
		{name: "web", proto: corev1.ProtocolTCP, numbers: []int32{9090}},
	}}

	appWords = []string{
		"checkout", "cart", "catalog", "payments", "search", "auth", "orders",
		"inventory", "shipping", "email", "recommend", "ads", "reviews",
		"profile", "gateway", "billing", "ledger", "notify", "media", "session",
	}
	teamWords = []string{
		"payments", "identity", "growth", "discovery", "data", "platform",
		"mobile", "storefront", "infra", "security", "billing", "logistics",
		"catalog", "checkout", "ml", "analytics", "support", "media", "ads", "core",
	}
	envs     = []string{"prod", "prod", "staging", "dev", "qa"}
	nsTiers  = []string{"frontend", "backend", "data", "platform"}
	versions = []string{"v1", "v1", "v2", "v3"}
	zones    = []string{"zone-a", "zone-b", "zone-c"}
)

// hashAlphabet is the alphabet Kubernetes uses for generated name suffixes
// (no vowels, no look-alike digits).
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// workload is one deployment: a ReplicaSet's worth of identical pods.
type workload struct {
	app     string
	role    *role
	tier    string
	version string
	canary  bool
	hostNet bool
	image   string
	rsName  string
	hash    string
	rsUID   string
	// extra holds additional label key/value pairs (system workloads).
	extra      []string
	containers []containerDef
	firstPod   int
	pods       int
}

type containerDef struct {
	name  string
	ports []corev1.ContainerPort
}

// port returns the workload's container port with the given name.
func (w *workload) port(name string) (corev1.ContainerPort, bool) {
	for _, c := range w.containers {
		for _, p := range c.ports {
			if p.Name == name {
				return p, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// nsInfo is what the policy writers know about a namespace.
type nsInfo struct {
	name      string
	team      string
	env       string
	tier      string
	workloads []workload
	firstPod  int
	pods      int
}

// arena hands out slices carved from large shared blocks, which keeps a
// million-pod cluster to a few thousand allocations. Every slice it returns
// has its capacity capped at its length, so appending to one never spills
// into a neighbour.
type arena[T any] struct{ buf []T }

func (a *arena[T]) take(n int) []T {
	if n > cap(a.buf)-len(a.buf) {
		a.buf = make([]T, 0, max(n, 4096))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

// generator holds the state of one Generate call.
type generator struct {
	s     Shape
	rng   *rand.Rand
	c     *Cluster
	nss   []nsInfo
	teams []string
	// nodeIPs holds each node's InternalIP, in node order.
	nodeIPs []string

	ports      arena[corev1.ContainerPort]
	containers arena[corev1.Container]
	owners     arena[metav1.OwnerReference]
	bools      arena[bool]
	podIPs     arena[corev1.PodIP]
	hostIPs    arena[corev1.HostIP]
	policies   arena[networkingv1.NetworkPolicy]
	podObjs    []corev1.Pod

	// policyNames maps every policy name used so far in the namespace
	// being written to the next numeric suffix to try after it.
	policyNames map[string]int
	// policySeq counts policies over the whole cluster.
	policySeq int
}

// relaxGCAbove is the object count from which Generate relaxes the
// garbage collector while it runs.
const relaxGCAbove = 100_000

// relaxedGCPercent is the collector target Generate uses for big shapes.
const relaxedGCPercent = 400

// gcState counts the Generate calls that have relaxed the collector and
// remembers the setting to restore when the last of them returns.
var gcState struct {
	sync.Mutex
	users    int
	previous int
}

// relaxGC raises the collector's target (see debug.SetGCPercent) unless it
// is already higher or collection is off. Almost everything Generate
// allocates stays live, so collecting while the cluster grows only rescans
// it: for a million pods that doubles the run time on two cores.
func relaxGC() {
	gcState.Lock()
	defer gcState.Unlock()
	if gcState.users == 0 {
		gcState.previous = debug.SetGCPercent(relaxedGCPercent)
		if gcState.previous < 0 || gcState.previous > relaxedGCPercent {
			debug.SetGCPercent(gcState.previous)
		}
	}
	gcState.users++
}

// restoreGC undoes relaxGC once no Generate call needs it any more.
func restoreGC() {
	gcState.Lock()
	defer gcState.Unlock()
	if gcState.users--; gcState.users == 0 {
		debug.SetGCPercent(gcState.previous)
	}
}

// Generate builds the cluster a shape describes. The same shape and seed
// always give the same cluster, object for object. Pods, namespaces and
// policies come out in exactly the numbers the shape asks for; nodes number
// one per 110 pods, at least one.
//
// For big shapes (100,000 objects and up) Generate raises the garbage
// collector's target percentage to 400 while it runs, restoring the
// previous setting before it returns; a higher setting, or collection
// turned off, is left alone. The process's memory limit, if any, still
// applies.
//
// Generate panics on a shape that Validate rejects.
func Generate(s Shape, seed uint64) *Cluster {
	if err := s.Validate(); err != nil {
		panic(err.Error()) // a programming error: callers with user input call Validate first
	}
	nodes := max(1, s.Pods/podsPerNode)
	if s.Pods+s.Policies >= relaxGCAbove {
		relaxGC()
		defer restoreGC()
	}
	g := &generator{
		s:   s,
		rng: rand.New(rand.NewPCG(seed, 0x6e657472656163)),
		c: &Cluster{
			Namespaces: make([]*corev1.Namespace, 0, s.Namespaces),
			Nodes:      make([]*corev1.Node, 0, nodes),
			Pods:       make([]*corev1.Pod, 0, s.Pods),
			Policies:   make([]*networkingv1.NetworkPolicy, 0, s.Policies),
		},
		policyNames: make(map[string]int),
	}
	g.makeNamespaces()
	g.makeNodes(nodes)
	g.makeWorkloads()
	g.reserve()
	g.makePods()
	g.makePolicies()
	return g.c
}

// share returns how many of total items the i-th of n buckets gets when the
// items are spread as evenly as possible.
func share(total, n, i int) int {
	return int(int64(i+1)*int64(total)/int64(n) - int64(i)*int64(total)/int64(n))
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// token returns n random characters of hashAlphabet.
func (g *generator) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hashAlphabet[g.rng.IntN(len(hashAlphabet))]
	}
	return string(b)
}

// uid returns a random version-4 UUID.
func (g *generator) uid() string {
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *generator) makeNamespaces() {
	n := g.s.Namespaces
	// Small clusters still get a few teams, so team peers differ.
	nTeams := max(1, (n+g.s.namespacesPerTeam()-1)/g.s.namespacesPerTeam(), min(n, 4))
	g.teams = make([]string, nTeams)
	for t := range g.teams {
		w := teamWords[t%len(teamWords)]
		if t >= len(teamWords) {
			w += strconv.Itoa(t / len(teamWords))
		}
		g.teams[t] = w
	}
	g.nss = make([]nsInfo, n)
	objs := make([]corev1.Namespace, n)
	for i := range g.nss {
		ns := &g.nss[i]
		ns.team = g.teams[i%nTeams]
		ns.env = g.pick(envs)
		ns.tier = g.pick(nsTiers)
		switch {
		case i == 0 && n >= 2:
			ns.name, ns.env, ns.tier = nsKubeSystem, "prod", "platform"
		case i == 2 && n >= 3:
			ns.name, ns.env, ns.tier = nsMonitoring, "prod", "platform"
		default:
			ns.name = ns.team + "-" + ns.env + "-" + strconv.Itoa(i)
		}
		o := &objs[i]
		o.TypeMeta = namespaceType
		o.Name = ns.name
		// Half the namespaces (the even ones, kube-system and monitoring
		// among them) carry the name label the API server normally adds,
		// so analyzers cannot count on it being there.
		if i%2 == 0 {
			o.Labels = map[string]string{labelTeam: ns.team, labelEnv: ns.env, labelTier: ns.tier, labelMetaName: ns.name}
		} else {
			o.Labels = map[string]string{labelTeam: ns.team, labelEnv: ns.env, labelTier: ns.tier}
		}
		o.Status.Phase = corev1.NamespaceActive
		g.c.Namespaces = append(g.c.Namespaces, o)
	}
}

// nodeAddr returns the InternalIP of node k.
func nodeAddr(k int) netip.Addr {
	b := nodeNet.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(k) + 10
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// nodePodRange returns the /24 node k's pods take their IPs from.
func nodePodRange(k int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(k >> 8), byte(k), 0}), 24)
}

// podAddr returns the IP of the pod in slot j of node k's range.
func podAddr(k, j int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(k >> 8), byte(k), byte(j + 2)})
}

func (g *generator) makeNodes(n int) {
	objs := make([]corev1.Node, n)
	addrs := make([]corev1.NodeAddress, 2*n)
	cidrs := make([]string, n)
	g.nodeIPs = make([]string, n)
	for k := range objs {
		o := &objs[k]
		o.TypeMeta = nodeType
		o.Name = fmt.Sprintf("node-%05d", k)
		ip := nodeAddr(k).String()
		g.nodeIPs[k] = ip
		o.Labels = map[string]string{
			"kubernetes.io/hostname":           o.Name,
			"kubernetes.io/os":                 "linux",
			"topology.kubernetes.io/zone":      zones[k%len(zones)],
			"node.kubernetes.io/instance-type": "m6i.4xlarge",
		}
		cidrs[k] = nodePodRange(k).String()
		o.Spec.PodCIDR = cidrs[k]
		o.Spec.PodCIDRs = cidrs[k : k+1 : k+1]
		a := addrs[2*k : 2*k+2 : 2*k+2]
		a[0] = corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
		a[1] = corev1.NodeAddress{Type: corev1.NodeHostName, Address: o.Name}
		o.Status.Addresses = a
		o.Status.NodeInfo = nodeInfo
		g.c.Nodes = append(g.c.Nodes, o)
	}
}

func (g *generator) pickRole() *role {
	r := g.rng.IntN(roleWeightSum)
	for i := range roles {
		if r < roles[i].weight {
			return &roles[i]
		}
		r -= roles[i].weight
	}
	return &roles[len(roles)-1]
}

func (g *generator) makeWorkloads() {
	full := g.s.profile() == ProfileFull
	avg := g.s.podsPerWorkload()
	next := 0
	for i := range g.nss {
		ns := &g.nss[i]
		ns.firstPod = next
		ns.pods = share(g.s.Pods, g.s.Namespaces, i)
		next += ns.pods
		wordOff := g.rng.IntN(len(appWords))
		left := ns.pods
		first := ns.firstPod
		for j := 0; left > 0; j++ {
			size := min(left, 1+g.rng.IntN(2*avg-1))
			w := workload{firstPod: first, pods: size, version: g.pick(versions)}
			first += size
			left -= size
			switch {
			case j == 0 && ns.name == nsKubeSystem:
				w.role, w.app = &dnsRole, "coredns"
				w.extra = []string{labelDNS, dnsLabelValue}
			case j == 0 && ns.name == nsMonitoring:
				w.role, w.app = &promRole, "prometheus"
				w.extra = []string{labelPromName, promLabelValue}
			default:
				w.role = g.pickRole()
				w.app = appWords[(j+wordOff)%len(appWords)] + "-" + w.role.name
				if j >= len(appWords) {
					w.app += "-" + strconv.Itoa(j/len(appWords))
				}
				w.canary = g.chance(0.1)
				w.hostNet = g.s.HostNetworkFraction > 0 && g.chance(g.s.HostNetworkFraction)
			}
			w.tier = w.role.tier
			w.hash = g.token(10)
			w.rsName = w.app + "-" + w.hash
			w.rsUID = g.uid()
			w.image = "registry.example.com/" + ns.team + "/" + w.app + ":" + w.version + "." + strconv.Itoa(g.rng.IntN(20)) + ".0"
			var used []corev1.ContainerPort
			main := containerDef{name: w.role.name}
			for _, d := range w.role.ports {
				used = g.addPort(used, d, w.hostNet)
			}
			if full && w.role.name == "api" && g.chance(0.3) {
				used = g.addPort(used, sigPort, w.hostNet)
			}
			if full && w.role.name == "worker" && g.chance(0.5) {
				used = g.addPort(used, statsdPort, w.hostNet)
			}
			main.ports = used
			w.containers = append(w.containers, main)
			if full && !w.hostNet && g.chance(0.2) {
				side := g.addPort(used[len(used):len(used):len(used)], proxyPort, false)
				w.containers = append(w.containers, containerDef{name: "proxy", ports: side})
			}
			ns.workloads = append(ns.workloads, w)
		}
	}
}

// addPort appends to ports a port of kind d whose number no port of the
// pod already uses with the same protocol.
func (g *generator) addPort(ports []corev1.ContainerPort, d portDef, hostNet bool) []corev1.ContainerPort {
	start := g.rng.IntN(len(d.numbers))
	n := d.numbers[start]
	for i := range d.numbers {
		n = d.numbers[(start+i)%len(d.numbers)]
		if !slices.ContainsFunc(ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == n && p.Protocol == d.proto }) {
			break
		}
	}
	p := corev1.ContainerPort{Name: d.name, Protocol: d.proto, ContainerPort: n}
	if hostNet {
		// The API server requires hostPort to equal containerPort on a
		// hostNetwork pod (and defaults it so).
		p.HostPort = p.ContainerPort
	}
	return append(ports, p)
}

// reserve allocates, in one go, the blocks every pod and policy will be
// carved from. Taking the memory up front, while the heap is still small,
// lets the collector size its next goal from it, so it does not keep
// rescanning the growing cluster.
func (g *generator) reserve() {
	var containers, ports int
	for i := range g.nss {
		for _, w := range g.nss[i].workloads {
			containers += w.pods * len(w.containers)
			for _, c := range w.containers {
				ports += w.pods * len(c.ports)
			}
		}
	}
	n := g.s.Pods
	g.containers.buf = make([]corev1.Container, 0, containers)
	g.ports.buf = make([]corev1.ContainerPort, 0, ports)
	g.owners.buf = make([]metav1.OwnerReference, 0, n)
	g.bools.buf = make([]bool, 0, 2*n)
	g.podIPs.buf = make([]corev1.PodIP, 0, n)
	g.hostIPs.buf = make([]corev1.HostIP, 0, n)
	g.policies.buf = make([]networkingv1.NetworkPolicy, 0, g.s.Policies)
	g.podObjs = make([]corev1.Pod, n)
}

func (g *generator) makePods() {
	objs := g.podObjs
	nNodes := len(g.c.Nodes)
	hc := g.s.HighCardinalityLabels
	var seq int
	for i := range g.nss {
		ns := &g.nss[i]
		for wi := range ns.workloads {
			w := &ns.workloads[wi]
			// Pod name suffixes are a bijection of the replica number,
			// so they never collide within the ReplicaSet.
			mult := uint64(g.rng.IntN(1<<20))*3 + 1 // not divisible by 3, so coprime to 27^5
			off := g.rng.Uint64N(14348907)
			for r := range w.pods {
				idx := w.firstPod + r
				p := &objs[idx]
				p.TypeMeta = podType
				p.Name = w.rsName + "-" + suffix5((uint64(r)*mult+off)%14348907)
				p.Namespace = ns.name
				p.Labels = g.podLabels(w, p.Name, idx, hc)
				own := g.owners.take(1)
				flags := g.bools.take(2)
				flags[0], flags[1] = true, true
				own[0] = metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: w.rsName, UID: types.UID(w.rsUID), Controller: &flags[0], BlockOwnerDeletion: &flags[1]}
				p.OwnerReferences = own
				k := seq % nNodes
				slot := seq / nNodes
				seq++
				p.Spec.NodeName = g.c.Nodes[k].Name
				p.Spec.HostNetwork = w.hostNet
				cs := g.containers.take(len(w.containers))
				for ci, d := range w.containers {
					cs[ci].Name = d.name
					cs[ci].Image = w.image
					if len(d.ports) > 0 {
						ps := g.ports.take(len(d.ports))
						copy(ps, d.ports)
						cs[ci].Ports = ps
					}
				}
				p.Spec.Containers = cs
				p.Status.Phase = corev1.PodRunning
				hostIP := g.nodeIPs[k]
				ip := hostIP
				if !w.hostNet {
					ip = podAddr(k, slot).String()
				}
				p.Status.PodIP = ip
				pi := g.podIPs.take(1)
				pi[0].IP = ip
				p.Status.PodIPs = pi
				p.Status.HostIP = hostIP
				hi := g.hostIPs.take(1)
				hi[0].IP = hostIP
				p.Status.HostIPs = hi
				g.c.Pods = append(g.c.Pods, p)
			}
		}
	}
}

func suffix5(v uint64) string {
	var b [5]byte
	for i := range b {
		b[i] = hashAlphabet[v%27]
		v /= 27
	}
	return string(b[:])
}

func (g *generator) podLabels(w *workload, podName string, idx int, highCard bool) map[string]string {
	n := 4 + len(w.extra)/2
	if w.canary {
		n++
	}
	if g.s.UniquePodLabel {
		n++
	}
	if highCard {
		n += 2
	}
	m := make(map[string]string, n)
	m[labelApp] = w.app
	m[labelTier] = w.tier
	m[labelVersion] = w.version
	m[labelHash] = w.hash
	for i := 0; i+1 < len(w.extra); i += 2 {
		m[w.extra[i]] = w.extra[i+1]
	}
	if w.canary {
		m[labelCanary] = "true"
	}
	if g.s.UniquePodLabel {
		m[UniquePodLabelKey] = podIDValue(idx)
	}
	if highCard {
		m[labelPodName] = podName
		t := deployEpoch.Add(time.Duration(idx)*7*time.Second + time.Duration(g.rng.IntN(7000))*time.Millisecond)
		m[labelDeployed] = t.Format("20060102T150405.000Z")
	}
	return m
}

// podIDValue is the value of the unique pod-id label of the idx-th pod.
func podIDValue(idx int) string { return "p" + strconv.Itoa(idx) }

// Validate reports a shape Generate cannot build: a negative count, pods or
// policies without namespaces, or more than 65,536 nodes (about 7.2 million
// pods, the number of /24 pod ranges in 10.0.0.0/8).
func (s Shape) Validate() error {
	if s.Pods < 0 || s.Namespaces < 0 || s.Policies < 0 {
		return fmt.Errorf("gen: shape %q has a negative count", s.Name)
	}
	if s.Namespaces == 0 && (s.Pods > 0 || s.Policies > 0) {
		return fmt.Errorf("gen: shape %q has pods or policies but no namespace", s.Name)
	}
	if nodes := max(1, s.Pods/podsPerNode); nodes > maxNodes {
		return fmt.Errorf("gen: shape %q needs %d nodes, more than the %d pod ranges of %s", s.Name, nodes, maxNodes, podNet)
	}
	return nil
}
