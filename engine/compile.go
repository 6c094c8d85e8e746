package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go4.org/netipx"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// Graph is a compiled snapshot: pods collapsed into equivalence classes, each
// class with the (deduplicated) rules that apply to it, and the rules' peers as
// shared, hash-consed class sets. Every query of the package runs on it.
type Graph struct {
	snap     *model.Snapshot
	opts     evaluator.Options
	enforced bool
	// EnforcementReason says why policies are (or are not) considered enforced.
	EnforcementReason string

	pods     []*model.Pod
	podIndex map[*model.Pod]int32
	podClass []int32 // -1 for a pod that takes no part (finished)

	classes   []class
	peerSets  []peerSet
	portSpecs []portSpec

	// blocks and lazyTerms are the distinct ipBlock peers and lazy selector
	// peers of every rule, which peer sets refer to by index (peerSet.blockIDs,
	// peerSet.lazyIDs) so that indexes can work per peer rather than per list.
	blocks    []*model.IPBlock
	lazyTerms []lazyTerm
	// lazyCache holds the member classes of the lazy terms walked so far.
	lazyMu    sync.Mutex
	lazyCache map[int32][]int32

	// atoms cut the address space at every ipBlock boundary of the snapshot, so
	// that all addresses of one atom match exactly the same ipBlocks.
	atoms atomTable

	// The peer-term index of blast radius, built on first use (blastindex.go).
	termOnce sync.Once
	terms    *termIndex
	// walkPool keeps the per-class tables of finished blast-radius walks.
	walkPool sync.Pool

	// The inverse index, built on first use by whole-cluster queries.
	inverseOnce sync.Once
	admitOnce   sync.Once
	openIn      []int32   // classes whose ingress is open
	admittedVia [][]int32 // peer set → isolated classes with an ingress rule naming it
	memberOf    [][]int32 // class → peer sets (used by some ingress rule) containing it
	memberHash  []uint64  // class → hash of the set memberOf lists
	allSets     []int32   // peer sets containing every class
	// admitList holds, per peer set ps, the isolated classes with an ingress
	// rule naming it and that rule's ports, numbered in admitPorts (tens of
	// thousands of distinct sets for hundreds of thousands of admissions), at
	// admitList[admitStart[ps]:admitStart[ps+1]] (Graph.admissions).
	admitList  []admitRule
	admitStart []int32
	admitPorts []evaluator.PortSet

	// Workloads, numbered on first use: the workload of each pod (a bare pod
	// is its own) and each workload's id.
	workloadsOnce sync.Once
	podWorkload   []int32
	workloadIDs   []string
	workloadRank  []int32 // per workload, its position in id order
	podIDsOnce    sync.Once
	podIDList     []string
	// The pods that take part, by workload rank and then by id: those of
	// the workload of rank r are roster[rosterStart[r]:rosterStart[r+1]].
	rosterOnce  sync.Once
	roster      []int32
	rosterStart []int32
	// rosterNS is, per workload rank, the index of its namespace (-1: the
	// workload has no pod in the roster).
	rosterNS []int32
	// rosterIDs are the ids of the roster's pods, in its order: a blast
	// radius row holding every pod of its workload shares its part.
	rosterIDs []string
	// Each class's set of named container ports, numbered on first use.
	namedOnce sync.Once
	namedSet  []int32

	// pieces cut the address space for questions about addresses outside the
	// pods (rawPieces), built on first use.
	piecesOnce sync.Once
	pieces     []netipx.IPRange
	// blockCuts holds the pieces of every distinct ipBlock within the last
	// window asked about (blockPieces).
	blockMu   sync.Mutex
	blockCuts *blockCuts

	// addrs is the sorted index of the pod addresses ipBlocks can match.
	addrs []addrEntry
	// nsClasses lists the classes of each namespace, by namespace index.
	nsClasses [][]int32

	// isolatedByNode lists the ingress-isolated pods of each node, built on
	// first use by blast radius (node-local traffic, §2.10).
	nodeOnce       sync.Once
	isolatedByNode map[string][]int32

	// Ingress tables for destinations with long rule lists, built on demand.
	tableMu  sync.Mutex
	inTables map[tableKey]map[int32]*admitted
	egTables map[tableKey]map[int32]evaluator.PortSet
}

// class is a set of pods that every policy treats alike: same namespace, same
// values of every label some selector reads, same named ports that policies
// use, same ipBlock atoms, same host-network node, same template status.
type class struct {
	namespace   string
	nsID        int32      // index of the namespace in the snapshot
	rep         *model.Pod // any pod of the class; selectors see only projected labels
	pods        []int32
	hostNetwork bool
	noIP        bool
	// namedPorts are the rep's container ports whose names policies use.
	namedPorts []model.ContainerPort
	// blockIPs are the addresses ipBlocks are tested against (empty when
	// ipBlocks cannot match the class's pods). All pods of a class match the
	// same ipBlocks, so the representative's addresses stand for all.
	blockIPs []netip.Addr

	isolatedIn, isolatedEg bool
	inRules, egRules       []ruleRef
}

// ruleRef is one rule as it applies to a class: who the peers are and which ports.
type ruleRef struct {
	peers int32 // index in Graph.peerSets
	ports int32 // index in Graph.portSpecs
}

// Compile builds the reachability graph of a snapshot.
func Compile(s *model.Snapshot, opts evaluator.Options) (*Graph, error) {
	if opts.IPBlockPods == "" {
		opts.IPBlockPods = evaluator.IPBlockPodsMatch
	}
	if opts.Enforcement == "" {
		opts.Enforcement = evaluator.EnforcementAuto
	}
	g := &Graph{snap: s, opts: opts}
	g.enforced, g.EnforcementReason = evaluator.ResolveEnforcement(s, opts)
	c := &compiler{g: g, peerKeys: map[string]int32{}, specKeys: map[string]int32{}, blockIDs: map[string]int32{}, lazyIDs: map[string]int32{},
		nsSelCache: map[string][]string{}, podSelCache: map[string][]int32{}, nsSetCache: map[string]map[string]bool{}}
	c.collectSelectorInputs()
	c.buildClasses()
	c.buildAddrIndex()
	c.indexNamespaces()
	if err := c.applyPolicies(); err != nil {
		return nil, err
	}
	return g, nil
}

type compiler struct {
	g *Graph
	// readKeys are the label keys some pod selector reads.
	readKeys []string
	// usedNames are the named ports some policy uses.
	usedNames map[string]bool

	classByNS map[string][]int32
	// nsLabelIndex maps "key=value" to the namespaces carrying it.
	nsLabelIndex map[string][]string
	nsNames      []string

	peerKeys   map[string]int32
	specKeys   map[string]int32
	nsSelCache map[string][]string
	// podSelCache maps "namespace|selector" to the matching classes.
	podSelCache map[string][]int32
	// classLabelIndex maps "key=value" to the classes carrying it.
	classLabelIndex map[string][]int32
	nsSetCache      map[string]map[string]bool
	nsIDs           map[string]int32
	// nsBitsCache holds the namespace bitmaps of lazy peer terms, per selector.
	nsBitsCache map[string]nsBits
	// blockIDs and lazyIDs intern the distinct ipBlock and lazy selector peers.
	blockIDs, lazyIDs map[string]int32
}

// collectSelectorInputs finds what class keys must distinguish: the label keys
// pod selectors read, the port names policies use, the ipBlock boundaries.
func (c *compiler) collectSelectorInputs() {
	keys := map[string]bool{}
	c.usedNames = map[string]bool{}
	addSel := func(sel labels.Selector) {
		if sel == nil {
			return
		}
		reqs, _ := sel.Requirements()
		for _, r := range reqs {
			keys[r.Key()] = true
		}
	}
	var blocks []*model.IPBlock
	for _, p := range c.g.snap.Policies {
		addSel(p.PodSelector)
		for _, rules := range [][]model.Rule{p.Ingress, p.Egress} {
			for _, r := range rules {
				for _, peer := range r.Peers {
					addSel(peer.PodSelector)
					if peer.IPBlock != nil {
						blocks = append(blocks, peer.IPBlock)
					}
				}
				for _, port := range r.Ports {
					if port.Port != nil && port.Port.Type == intstr.String {
						c.usedNames[port.Port.StrVal] = true
					}
				}
			}
		}
	}
	for k := range keys {
		c.readKeys = append(c.readKeys, k)
	}
	sort.Strings(c.readKeys)
	c.g.atoms = newAtomTable(blocks)
}

// buildClasses assigns every pod to its class.
func (c *compiler) buildClasses() {
	g := c.g
	g.pods = g.snap.Pods
	g.podIndex = make(map[*model.Pod]int32, len(g.pods))
	g.podClass = make([]int32, len(g.pods))
	byKey := make(map[string]int32)
	c.classByNS = map[string][]int32{}
	g.nsClasses = make([][]int32, len(g.snap.Namespaces))
	var key []byte
	for i, p := range g.pods {
		g.podIndex[p] = int32(i)
		if p.Terminated() {
			// §2.12: finished pods take no part.
			g.podClass[i] = -1
			continue
		}
		key = c.classKey(key[:0], p)
		id, ok := byKey[string(key)]
		if !ok {
			id = int32(len(g.classes))
			byKey[string(key)] = id
			cl := class{namespace: p.Namespace, nsID: c.nsIndex(p.Namespace), rep: p, hostNetwork: p.HostNetwork, noIP: len(p.IPs) == 0}
			for _, cp := range p.Ports {
				if c.usedNames[cp.Name] {
					cl.namedPorts = append(cl.namedPorts, cp)
				}
			}
			g.classes = append(g.classes, cl)
			c.classByNS[p.Namespace] = append(c.classByNS[p.Namespace], id)
			g.nsClasses[cl.nsID] = append(g.nsClasses[cl.nsID], id)
		}
		g.podClass[i] = id
		g.classes[id].pods = append(g.classes[id].pods, int32(i))
	}
}

// nsIndex returns the index of a namespace in the snapshot (every pod's
// namespace is there: the loader synthesizes missing ones).
func (c *compiler) nsIndex(name string) int32 {
	if c.nsIDs == nil {
		c.nsIDs = make(map[string]int32, len(c.g.snap.Namespaces))
		for i, ns := range c.g.snap.Namespaces {
			c.nsIDs[ns.Name] = int32(i)
		}
	}
	return c.nsIDs[name]
}

// classKey encodes everything that can make two pods be treated differently.
func (c *compiler) classKey(b []byte, p *model.Pod) []byte {
	b = append(b, p.Namespace...)
	b = append(b, 0)
	for _, k := range c.readKeys {
		if v, ok := p.Labels[k]; ok {
			b = append(b, k...)
			b = append(b, '=')
			b = append(b, v...)
		}
		b = append(b, 1)
	}
	b = append(b, 0)
	for _, cp := range p.Ports {
		if c.usedNames[cp.Name] {
			b = append(b, cp.Name...)
			b = append(b, '/')
			b = append(b, cp.Protocol...)
			b = strconv.AppendInt(b, int64(cp.Port), 10)
			b = append(b, ',')
		}
	}
	b = append(b, 0)
	if p.HostNetwork {
		// Host-network pods are their node: they differ per node (node-local
		// traffic, node addresses in ipBlocks).
		b = append(b, 'H')
		b = append(b, p.NodeName...)
	}
	if p.Template {
		b = append(b, 'T')
	}
	b = append(b, 0)
	if c.g.ipBlocksSee(p) {
		if len(p.IPs) == 0 {
			b = append(b, 'N')
		}
		for _, ip := range p.IPs {
			sig := c.g.atoms.signature(ip)
			b = strconv.AppendUint(b, sig[0], 36)
			b = append(b, '.')
			b = strconv.AppendUint(b, sig[1], 36)
			b = append(b, ',')
		}
	}
	return b
}

// ipBlocksSee reports whether ipBlocks can match the pod's addresses (§2.8,
// §2.11): host-network pods always (their address is the node's), other pods
// unless --ipblock-pods=ignore.
func (g *Graph) ipBlocksSee(p *model.Pod) bool {
	return p.HostNetwork || g.opts.IPBlockPods != evaluator.IPBlockPodsIgnore
}

func (c *compiler) indexNamespaces() {
	c.nsLabelIndex = map[string][]string{}
	for _, ns := range c.g.snap.Namespaces {
		c.nsNames = append(c.nsNames, ns.Name)
		for k, v := range ns.Labels {
			c.nsLabelIndex[k+"="+v] = append(c.nsLabelIndex[k+"="+v], ns.Name)
		}
	}
}

// applyPolicies marks isolated classes and gives them their rules. Classes
// selected by exactly the same policies share one deduplicated rule list: when
// thousands of policies select every pod (the OneNamespace shape), the rules
// are gathered once for the group instead of once per class.
func (c *compiler) applyPolicies() error {
	g := c.g
	// Policies with the same namespace and pod selector select the same classes;
	// work per distinct selection, not per policy.
	selIndex := map[string]int32{}
	var selections [][]int32
	selOf := make([]int32, len(g.snap.Policies))
	for i, p := range g.snap.Policies {
		key := p.Namespace() + "|" + p.PodSelector.String()
		id, ok := selIndex[key]
		if !ok {
			id = int32(len(selections))
			selIndex[key] = id
			selections = append(selections, c.selectPods(p.Namespace(), p.PodSelector, p.PodSelector.String()))
		}
		selOf[i] = id
	}
	for _, dir := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
		// Pass 1: a signature of the set of policies selecting each class: the
		// sum of the policies' hashes, added through each distinct selection.
		selHash := make([]uint64, len(selections))
		for i, p := range g.snap.Policies {
			if p.HasType(dir) {
				selHash[selOf[i]] += splitmix(uint64(i) + 1)
			}
		}
		sig := make([]uint64, len(g.classes))
		selected := make([]bool, len(g.classes))
		for sid, sel := range selections {
			if selHash[sid] == 0 {
				continue
			}
			for _, cl := range sel {
				sig[cl] += selHash[sid]
				selected[cl] = true
			}
		}
		group := make([]int32, len(g.classes))
		isRep := make([]bool, len(g.classes))
		groupOf := map[uint64]int32{}
		for cl := range sig {
			if !selected[cl] {
				group[cl] = -1
				continue
			}
			gid, ok := groupOf[sig[cl]]
			if !ok {
				gid = int32(len(groupOf))
				groupOf[sig[cl]] = gid
				isRep[cl] = true
			}
			group[cl] = gid
		}
		// Pass 2: gather the rules of each group through its first class.
		repsOf := make([][]int32, len(selections))
		for sid, sel := range selections {
			if selHash[sid] == 0 {
				continue
			}
			for _, cl := range sel {
				if isRep[cl] {
					repsOf[sid] = append(repsOf[sid], cl)
				}
			}
		}
		rules := make([][]ruleRef, len(groupOf))
		for i, p := range g.snap.Policies {
			reps := repsOf[selOf[i]]
			if !p.HasType(dir) || len(reps) == 0 {
				continue
			}
			list := p.Ingress
			if dir == networkingv1.PolicyTypeEgress {
				list = p.Egress
			}
			refs := make([]ruleRef, 0, len(list))
			for _, r := range list {
				refs = append(refs, ruleRef{peers: c.peerSetOf(p, r.Peers), ports: c.portSpecOf(r.Ports)})
			}
			for _, cl := range reps {
				rules[group[cl]] = append(rules[group[cl]], refs...)
			}
		}
		for i := range rules {
			rules[i] = slices.Clip(dedupeRules(rules[i]))
		}
		for cl := range g.classes {
			if group[cl] < 0 {
				continue
			}
			k := &g.classes[cl]
			// §2.1: selected by a policy with this type ⇒ isolated in this direction.
			if dir == networkingv1.PolicyTypeIngress {
				k.isolatedIn, k.inRules = true, rules[group[cl]]
			} else {
				k.isolatedEg, k.egRules = true, rules[group[cl]]
			}
		}
	}
	return nil
}

// splitmix is the SplitMix64 finaliser, a fast, well-mixing 64-bit hash.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func dedupeRules(rs []ruleRef) []ruleRef {
	if len(rs) < 2 {
		return rs
	}
	slices.SortFunc(rs, func(a, b ruleRef) int {
		if a.peers != b.peers {
			return int(a.peers - b.peers)
		}
		return int(a.ports - b.ports)
	})
	return slices.Compact(rs)
}

// selectPods returns the classes of a namespace that a pod selector matches.
// Host-network pods are never selected (§2.11).
func (c *compiler) selectPods(ns string, sel labels.Selector, selKey string) []int32 {
	key := ns + "|" + selKey
	if got, ok := c.podSelCache[key]; ok {
		return got
	}
	candidates := c.classByNS[ns]
	if k, v, ok := equalityRequirement(sel); ok {
		// Start from the classes carrying the required label when they are fewer.
		if withLabel := c.classesWithLabel(k, v); len(withLabel) < len(candidates) {
			candidates = withLabel
		}
	}
	var out []int32
	for _, id := range candidates {
		cl := &c.g.classes[id]
		if cl.namespace == ns && !cl.hostNetwork && sel.Matches(cl.rep.Labels) {
			out = append(out, id)
		}
	}
	c.podSelCache[key] = out
	return out
}

// lazyNamespaces is the number of namespaces above which a selector peer is
// kept as a lazy term rather than a class list (a variable so that tests can
// drive every peer through either form).
var lazyNamespaces = 16

// namespaceBits returns the namespaces a namespace selector matched as a bitmap
// over namespace indexes and as a list of indexes, both cached per selector so
// that every lazy term of that selector shares them.
func (c *compiler) namespaceBits(sel labels.Selector, namespaces []string) ([]uint64, []int32) {
	key := "own:" + strings.Join(namespaces, ",") // a podSelector alone: the policy's namespace
	if sel != nil {
		key = sel.String()
	}
	if e, ok := c.nsBitsCache[key]; ok {
		return e.bits, e.ids
	}
	b := make([]uint64, (len(c.g.snap.Namespaces)+63)/64)
	ids := make([]int32, len(namespaces))
	for i, ns := range namespaces {
		id := c.nsIndex(ns)
		ids[i] = id
		b[id/64] |= 1 << (uint(id) % 64)
	}
	if c.nsBitsCache == nil {
		c.nsBitsCache = map[string]nsBits{}
	}
	c.nsBitsCache[key] = nsBits{bits: b, ids: ids}
	return b, ids
}

// nsBits is a cached namespace set of a lazy term.
type nsBits struct {
	bits []uint64
	ids  []int32
}

// namespaceSet returns the namespaces a namespace selector matched, as a set,
// cached per selector.
func (c *compiler) namespaceSet(sel labels.Selector, namespaces []string) map[string]bool {
	key := sel.String()
	if set, ok := c.nsSetCache[key]; ok {
		return set
	}
	set := make(map[string]bool, len(namespaces))
	for _, ns := range namespaces {
		set[ns] = true
	}
	c.nsSetCache[key] = set
	return set
}

// equalityRequirement returns a key=value that every object the selector
// matches must carry, when there is one.
func equalityRequirement(sel labels.Selector) (string, string, bool) {
	reqs, ok := sel.Requirements()
	if !ok {
		return "", "", false
	}
	for _, r := range reqs {
		op := r.Operator()
		if (op == selection.Equals || op == selection.DoubleEquals || op == selection.In) && r.Values().Len() == 1 {
			return r.Key(), r.Values().UnsortedList()[0], true
		}
	}
	return "", "", false
}

// classesWithLabel returns the classes whose pods carry key=value, from an
// index over the label keys selectors read, built on first use.
func (c *compiler) classesWithLabel(key, value string) []int32 {
	if c.classLabelIndex == nil {
		c.classLabelIndex = map[string][]int32{}
		for id := range c.g.classes {
			for _, k := range c.readKeys {
				if v, ok := c.g.classes[id].rep.Labels[k]; ok {
					c.classLabelIndex[k+"="+v] = append(c.classLabelIndex[k+"="+v], int32(id))
				}
			}
		}
	}
	return c.classLabelIndex[key+"="+value]
}

// selectNamespaces returns the namespaces a namespace selector matches, using
// the label index for an equality requirement when there is one.
func (c *compiler) selectNamespaces(sel labels.Selector) []string {
	key := sel.String()
	if got, ok := c.nsSelCache[key]; ok {
		return got
	}
	candidates := c.nsNames
	// Start from the namespaces carrying one of the values that some Equals or
	// In requirement demands, choosing the requirement with the fewest.
	if reqs, ok := sel.Requirements(); ok {
		for _, r := range reqs {
			op := r.Operator()
			if op != selection.Equals && op != selection.DoubleEquals && op != selection.In {
				continue
			}
			var union []string
			for _, v := range r.Values().UnsortedList() {
				union = append(union, c.nsLabelIndex[r.Key()+"="+v]...)
			}
			if len(union) < len(candidates) {
				candidates = union
			}
		}
	}
	var out []string
	for _, name := range candidates {
		if sel.Matches(c.g.snap.Namespace(name).Labels) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	out = slices.Compact(out) // a namespace can carry two of an In's values only once, but keep it safe
	c.nsSelCache[key] = out
	return out
}

// peerSetOf returns the hash-consed peer set of a rule's from/to list.
func (c *compiler) peerSetOf(p *model.NetworkPolicy, peers []model.Peer) int32 {
	// §2.5: an empty from/to matches every peer.
	if len(peers) == 0 {
		return c.internPeerSet("*", func() peerSet { return peerSet{all: true, allExternal: true} })
	}
	parts := make([]string, len(peers))
	for i, peer := range peers {
		parts[i] = peerKey(p, peer)
	}
	sort.Strings(parts)
	parts = slices.Compact(parts)
	return c.internPeerSet(strings.Join(parts, "\n"), func() peerSet {
		var ps peerSet
		var classes []int32
		for _, peer := range peers {
			if peer.IPBlock != nil {
				// Pods in the block are found when asked (inPeerSet, eachPeerClass):
				// materialising them would copy most classes into every such set.
				ps.blocks = append(ps.blocks, peer.IPBlock)
				ps.blockIDs = append(ps.blockIDs, c.blockID(peer.IPBlock))
				continue
			}
			// §2.6: podSelector alone → the policy's namespace; namespaceSelector → the
			// matching namespaces; both → AND.
			namespaces := []string{p.Namespace()}
			if peer.NamespaceSelector != nil {
				namespaces = c.selectNamespaces(peer.NamespaceSelector)
			}
			sel := peer.PodSelector
			if sel == nil {
				sel = labels.Everything()
			}
			selKey := sel.String()
			if len(namespaces) > lazyNamespaces {
				// A peer over many namespaces is kept as (namespaces, selector) and
				// tested on demand: materialised, every such distinct peer would copy
				// a large share of all classes.
				bits, ids := c.namespaceBits(peer.NamespaceSelector, namespaces)
				t := lazyTerm{ns: bits, nsList: ids, sel: sel, everything: sel.Empty()}
				ps.lazy = append(ps.lazy, t)
				ps.lazyIDs = append(ps.lazyIDs, c.lazyID(peerKey(p, peer), t))
				continue
			}
			inNamespaces := 0
			for _, ns := range namespaces {
				inNamespaces += len(c.classByNS[ns])
			}
			if k, v, ok := equalityRequirement(sel); ok && len(namespaces) > 1 && len(c.classesWithLabel(k, v)) < inNamespaces {
				// Fewer classes carry the required label than live in the namespaces:
				// start from those.
				in := c.namespaceSet(peer.NamespaceSelector, namespaces)
				for _, id := range c.classesWithLabel(k, v) {
					cl := &c.g.classes[id]
					if in[cl.namespace] && !cl.hostNetwork && sel.Matches(cl.rep.Labels) {
						classes = append(classes, id)
					}
				}
				continue
			}
			for _, ns := range namespaces {
				classes = append(classes, c.selectPods(ns, sel, selKey)...)
			}
		}
		ps.setClasses(classes, len(c.g.classes))
		return ps
	})
}

// blockID interns an ipBlock peer.
func (c *compiler) blockID(b *model.IPBlock) int32 {
	return intern(c.blockIDs, &c.g.blocks, blockString(b), func() *model.IPBlock { return b })
}

// lazyID interns a lazy selector peer under its peer key.
func (c *compiler) lazyID(key string, t lazyTerm) int32 {
	return intern(c.lazyIDs, &c.g.lazyTerms, key, func() lazyTerm { return t })
}

func peerKey(p *model.NetworkPolicy, peer model.Peer) string {
	if peer.IPBlock != nil {
		return "ip:" + blockString(peer.IPBlock)
	}
	ns := "ns=" + p.Namespace()
	if peer.NamespaceSelector != nil {
		ns = "nssel=" + peer.NamespaceSelector.String()
	}
	pod := "*"
	if peer.PodSelector != nil {
		pod = peer.PodSelector.String()
	}
	return "sel:" + ns + "|" + pod
}

func blockString(b *model.IPBlock) string {
	var sb strings.Builder
	sb.WriteString(b.CIDR.String())
	for _, e := range b.Except {
		sb.WriteString("-")
		sb.WriteString(e.String())
	}
	return sb.String()
}

func (c *compiler) internPeerSet(key string, build func() peerSet) int32 {
	return intern(c.peerKeys, &c.g.peerSets, key, build)
}

// intern returns the index in list of the value stored under key, appending
// build() the first time the key is seen.
func intern[T any](ids map[string]int32, list *[]T, key string, build func() T) int32 {
	if id, ok := ids[key]; ok {
		return id
	}
	id := int32(len(*list))
	*list = append(*list, build())
	ids[key] = id
	return id
}

// addrEntry is one pod address and the class of its pod.
type addrEntry struct {
	ip    netip.Addr
	class int32
}

// buildAddrIndex sorts the addresses that ipBlocks can match (§2.8, §2.11, §2.12:
// none for pods without IPs, none for ordinary pods under --ipblock-pods=ignore)
// and gives each class the addresses ipBlocks are tested against.
func (c *compiler) buildAddrIndex() {
	g := c.g
	for i, p := range g.pods {
		cl := g.podClass[i]
		if cl < 0 || !g.ipBlocksSee(p) {
			continue
		}
		for _, ip := range p.IPs {
			g.addrs = append(g.addrs, addrEntry{ip: ip, class: cl})
		}
	}
	sort.Slice(g.addrs, func(i, j int) bool { return g.addrs[i].ip.Less(g.addrs[j].ip) })
	for id := range g.classes {
		cl := &g.classes[id]
		if g.ipBlocksSee(cl.rep) {
			cl.blockIPs = cl.rep.IPs
		}
	}
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

// portSpecOf returns the hash-consed port spec of a rule's ports.
func (c *compiler) portSpecOf(ports []networkingv1.NetworkPolicyPort) int32 {
	key := "*"
	if len(ports) > 0 {
		parts := make([]string, len(ports))
		for i, pp := range ports {
			proto := "TCP"
			if pp.Protocol != nil {
				proto = string(*pp.Protocol)
			}
			end := ""
			if pp.EndPort != nil {
				end = fmt.Sprintf("-%d", *pp.EndPort)
			}
			port := "*"
			if pp.Port != nil {
				port = pp.Port.String()
			}
			parts[i] = proto + "/" + port + end
		}
		sort.Strings(parts)
		key = strings.Join(parts, ",")
	}
	return intern(c.specKeys, &c.g.portSpecs, key, func() portSpec { return newPortSpec(ports) })
}
