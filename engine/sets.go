package engine

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// peerSet is the set of endpoints a rule's from/to list matches: classes of pods,
// and addresses outside the pods. Sets are shared by every class whose rules
// name the same peers.
type peerSet struct {
	// all is true when every class matches (an empty from/to).
	all bool
	// classes is the sorted member list when the set is small; bits is a bitmap
	// over class ids when it is large. Exactly one is used.
	classes []int32
	bits    []uint64
	// allExternal is true when every address outside the pods matches;
	// otherwise blocks lists the ipBlocks that external addresses may match.
	allExternal bool
	blocks      []*model.IPBlock
	// lazy are selector peers over many namespaces, tested on demand.
	lazy []lazyTerm
	// blockIDs and lazyIDs index blocks and lazy in Graph.blocks and
	// Graph.lazyTerms.
	blockIDs, lazyIDs []int32
}

// lazyTerm is a selector peer kept unexpanded: the pods its pod selector
// matches in the namespaces of a bitmap (never host-network pods, §2.11).
type lazyTerm struct {
	ns         []uint64 // bitmap over namespace indexes
	nsList     []int32
	sel        labels.Selector
	everything bool
}

func (t *lazyTerm) has(cl *class) bool {
	return t.ns[cl.nsID/64]&(1<<(uint(cl.nsID)%64)) != 0 && !cl.hostNetwork && (t.everything || t.sel.Matches(cl.rep.Labels))
}

// bitmapMinUniverse is the class count below which member lists are never
// bitmaps (a variable so that tests can drive sets through both forms).
var bitmapMinUniverse = 256

// setClasses stores a member list, choosing the list or the bitmap form.
func (p *peerSet) setClasses(ids []int32, universe int) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 && len(ids) == universe {
		p.all = true
		return
	}
	// A bitmap costs universe/8 bytes, a list 4 bytes per member.
	if len(ids)*32 > universe && universe > bitmapMinUniverse {
		p.bits = make([]uint64, (universe+63)/64)
		for _, id := range ids {
			p.bits[id/64] |= 1 << (uint(id) % 64)
		}
		return
	}
	p.classes = slices.Clip(ids)
}

// hasSelected reports whether a class is among the selector-matched members.
func (p *peerSet) hasSelected(id int32) bool {
	switch {
	case p.all:
		return true
	case p.bits != nil:
		return p.bits[id/64]&(1<<(uint(id)%64)) != 0
	}
	i := sort.Search(len(p.classes), func(i int) bool { return p.classes[i] >= id })
	return i < len(p.classes) && p.classes[i] == id
}

// inPeerSet reports whether class id is a peer: selected, or with an address
// in one of the set's ipBlocks.
func (g *Graph) inPeerSet(p *peerSet, id int32) bool {
	if p.hasSelected(id) {
		return true
	}
	cl := &g.classes[id]
	for i := range p.lazy {
		if p.lazy[i].has(cl) {
			return true
		}
	}
	return p.blocksHold(cl)
}

// blocksHold reports whether one of the set's ipBlocks matches an address of
// the class (§2.8).
func (p *peerSet) blocksHold(cl *class) bool {
	for _, b := range p.blocks {
		for _, ip := range cl.blockIPs {
			if inBlock(b, ip) {
				return true
			}
		}
	}
	return false
}

// eachPeerClass calls f for every member class of a peer set. A class may be
// visited more than once (selected and in a block, or in two blocks).
func (g *Graph) eachPeerClass(p *peerSet, f func(int32)) {
	universe := len(g.classes)
	switch {
	case p.all:
		for i := 0; i < universe; i++ {
			f(int32(i))
		}
		return
	case p.bits != nil:
		eachBit(p.bits, f)
	default:
		for _, id := range p.classes {
			f(id)
		}
	}
	for _, id := range p.lazyIDs {
		for _, c := range g.lazyMembers(id) {
			f(c)
		}
	}
	if len(p.blockIDs) > 0 {
		t := g.termIdx()
		for _, id := range p.blockIDs {
			for _, span := range t.blockSpan[id] {
				for _, a := range g.addrs[span[0]:span[1]] {
					f(a.class)
				}
			}
		}
	}
}

// lazyMembers returns the classes of a lazy term, found on first use and kept:
// distinct lazy terms are few, but each is named by many rules.
func (g *Graph) lazyMembers(id int32) []int32 {
	g.lazyMu.Lock()
	defer g.lazyMu.Unlock()
	if m, ok := g.lazyCache[id]; ok {
		return m
	}
	t := &g.lazyTerms[id]
	var out []int32
	for _, ns := range t.nsList {
		for _, c := range g.nsClasses[ns] {
			if t.has(&g.classes[c]) {
				out = append(out, c)
			}
		}
	}
	if g.lazyCache == nil {
		g.lazyCache = map[int32][]int32{}
	}
	g.lazyCache[id] = out
	return out
}

// matchesIP reports whether an address outside the pods is a peer.
func (p *peerSet) matchesIP(ip netip.Addr) bool {
	if p.allExternal {
		return true
	}
	for _, b := range p.blocks {
		if inBlock(b, ip) {
			return true
		}
	}
	return false
}

// portSpec is a rule's port list, split into the numeric part (the same for
// every destination) and named ports (resolved per destination class, §2.9).
type portSpec struct {
	numeric evaluator.PortSet
	named   []namedPort
}

type namedPort struct {
	name  string
	proto corev1.Protocol
}

func newPortSpec(ports []networkingv1.NetworkPolicyPort) portSpec {
	// §2.5: no ports means every port of every protocol.
	if len(ports) == 0 {
		return portSpec{numeric: evaluator.AllPorts(evaluator.Protocols...)}
	}
	s := portSpec{numeric: evaluator.PortSet{}}
	for _, pp := range ports {
		proto := corev1.ProtocolTCP
		if pp.Protocol != nil {
			proto = *pp.Protocol
		}
		switch {
		case pp.Port == nil:
			s.numeric = s.numeric.Union(evaluator.AllPorts(proto))
		case pp.Port.Type == intstr.Int:
			end := pp.Port.IntVal
			if pp.EndPort != nil {
				end = *pp.EndPort
			}
			s.numeric = s.numeric.Union(evaluator.SinglePort(proto, pp.Port.IntVal, end))
		default:
			s.named = append(s.named, namedPort{name: pp.Port.StrVal, proto: proto})
		}
	}
	return s
}

// allows reports whether the spec admits proto/port towards a destination whose
// named ports are dst (nil for an address outside the pods).
func (s *portSpec) allows(dst []model.ContainerPort, proto corev1.Protocol, port int32) bool {
	if s.numeric.Contains(proto, port) {
		return true
	}
	for _, n := range s.named {
		if n.proto != proto {
			continue
		}
		for _, cp := range dst {
			if cp.Name == n.name && cp.Protocol == proto && cp.Port == port {
				return true
			}
		}
	}
	return false
}

// nonEmptyFor reports whether the spec admits any port towards a destination.
func (s *portSpec) nonEmptyFor(dst []model.ContainerPort) bool {
	if !s.numeric.Empty() {
		return true
	}
	for _, n := range s.named {
		for _, cp := range dst {
			if cp.Name == n.name && cp.Protocol == n.proto {
				return true
			}
		}
	}
	return false
}

// specPorts numbers what port specs admit towards classes: per spec that
// names no port, and per (spec, named-port set of the destination) for one
// that does (§2.9: a named port resolves on the destination's containers),
// so that each is resolved once. Not safe for concurrent use.
type specPorts struct {
	g       *Graph
	np      []int32          // Graph.namedPortSets
	numeric []int32          // per spec naming no port: its number (-1: none yet)
	named   map[uint64]int32 // per (spec, named-port set): its number
	sets    []evaluator.PortSet
	// When the specs naming ports times the named-port sets are few, a
	// table replaces the map: dense[row[spec]*nSets+set] is the number
	// plus one (0: none yet). A blast-radius walk resolves a named spec
	// for each edge it tries, and at T5c the map lookup took 3 ms a walk.
	row   []int32
	dense []int32
	nSets int32
}

// maxDenseSpecPorts bounds specPorts' table (4 MiB of entries); tests set
// it to 0 to resolve every named spec through the map.
var maxDenseSpecPorts = 1 << 20

func newSpecPorts(g *Graph) *specPorts {
	s := &specPorts{g: g, np: g.namedPortSets(), numeric: make([]int32, len(g.portSpecs)), named: map[uint64]int32{}}
	for i := range s.numeric {
		s.numeric[i] = -1
	}
	for _, set := range s.np {
		s.nSets = max(s.nSets, set+1)
	}
	named := 0
	for i := range g.portSpecs {
		if len(g.portSpecs[i].named) > 0 {
			named++
		}
	}
	if named > 0 && named*int(s.nSets) <= maxDenseSpecPorts {
		s.row = make([]int32, len(g.portSpecs))
		n := int32(0)
		for i := range g.portSpecs {
			if len(g.portSpecs[i].named) > 0 {
				s.row[i], n = n, n+1
			}
		}
		s.dense = make([]int32, named*int(s.nSets))
	}
	return s
}

// id returns the number of what port spec spec admits towards class c.
func (s *specPorts) id(spec, c int32) int32 {
	ps := &s.g.portSpecs[spec]
	if len(ps.named) == 0 {
		if s.numeric[spec] < 0 {
			s.numeric[spec] = int32(len(s.sets))
			s.sets = append(s.sets, ps.numeric)
		}
		return s.numeric[spec]
	}
	if s.dense != nil {
		slot := &s.dense[s.row[spec]*s.nSets+s.np[c]]
		if *slot == 0 {
			s.sets = append(s.sets, ps.portsFor(s.g.classes[c].namedPorts))
			*slot = int32(len(s.sets))
		}
		return *slot - 1
	}
	key := uint64(spec)<<32 | uint64(s.np[c])
	id, ok := s.named[key]
	if !ok {
		id = int32(len(s.sets))
		s.named[key] = id
		s.sets = append(s.sets, ps.portsFor(s.g.classes[c].namedPorts))
	}
	return id
}

// ports returns what port spec spec admits towards class c.
func (s *specPorts) ports(spec, c int32) evaluator.PortSet {
	if ps := &s.g.portSpecs[spec]; len(ps.named) == 0 {
		return ps.numeric
	}
	return s.sets[s.id(spec, c)]
}

// portsFor is the port set the spec admits towards a destination.
func (s *portSpec) portsFor(dst []model.ContainerPort) evaluator.PortSet {
	if len(s.named) == 0 {
		return s.numeric
	}
	out := s.numeric
	for _, n := range s.named {
		for _, cp := range dst {
			if cp.Name == n.name && cp.Protocol == n.proto {
				out = out.Union(evaluator.SinglePort(n.proto, cp.Port, cp.Port))
			}
		}
	}
	return out
}

// atomTable cuts the address space at the boundaries of every ipBlock, so that
// two addresses in one atom match the same ipBlocks. Atoms matched by exactly
// the same set of ipBlocks share a signature, and pod classes are keyed by
// signature rather than by atom: an ipBlock boundary only splits pods when it
// actually puts them in different blocks.
type atomTable struct {
	bounds []netip.Addr // sorted; atom i is [bounds[i], bounds[i+1])
	// sig is, per atom, a 128-bit hash of the set of distinct ipBlocks that
	// contain it: the sum of random weights of those blocks (0 for none).
	sig [][2]uint64
}

func newAtomTable(blocks []*model.IPBlock) atomTable {
	var b []netip.Addr
	add := func(p netip.Prefix) {
		b = append(b, p.Masked().Addr())
		if next := lastAddr(p).Next(); next.IsValid() {
			b = append(b, next)
		}
	}
	seen := map[string]bool{}
	var distinct []*model.IPBlock
	for _, blk := range blocks {
		if key := blockString(blk); !seen[key] {
			seen[key] = true
			distinct = append(distinct, blk)
		}
		add(blk.CIDR)
		for _, e := range blk.Except {
			add(e)
		}
	}
	slices.SortFunc(b, func(x, y netip.Addr) int { return x.Compare(y) })
	t := atomTable{bounds: slices.Compact(b)}
	// Difference arrays over atom indexes: a block adds its weight to the atoms
	// of its cidr and takes it back from the atoms of each except.
	diff := make([][2]uint64, len(t.bounds)+1)
	r := rand.New(rand.NewPCG(0x6e657472, 0x65616368)) // fixed seed: deterministic classes
	span := func(p netip.Prefix, w [2]uint64, sign uint64) {
		lo := t.atomOf(p.Masked().Addr())
		hi := t.atomOf(lastAddr(p)) + 1
		diff[lo][0] += sign * w[0]
		diff[lo][1] += sign * w[1]
		diff[hi][0] -= sign * w[0]
		diff[hi][1] -= sign * w[1]
	}
	for _, blk := range distinct {
		w := [2]uint64{r.Uint64() | 1, r.Uint64() | 1}
		span(blk.CIDR, w, 1)
		for _, e := range blk.Except {
			span(e, w, ^uint64(0)) // minus one: subtract the weight
		}
	}
	t.sig = make([][2]uint64, len(t.bounds))
	var acc [2]uint64
	for i := range t.sig {
		acc[0] += diff[i][0]
		acc[1] += diff[i][1]
		t.sig[i] = acc
	}
	return t
}

// atomOf returns the index of the atom holding ip (-1 below every boundary).
func (t *atomTable) atomOf(ip netip.Addr) int {
	i := sort.Search(len(t.bounds), func(i int) bool { return t.bounds[i].Compare(ip) > 0 })
	return i - 1
}

// signature returns the ipBlock-membership signature of an address.
func (t *atomTable) signature(ip netip.Addr) [2]uint64 {
	i := t.atomOf(ip)
	if i < 0 {
		return [2]uint64{}
	}
	return t.sig[i]
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	bitsLen := len(b) * 8
	for i := p.Bits(); i < bitsLen; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	out, _ := netip.AddrFromSlice(b)
	if a.Is4() {
		return out.Unmap()
	}
	return out
}

// namedPortSets numbers, once per graph, each class's set of named container
// ports that policies use (0: none), so that a port spec naming ports is
// resolved once per set rather than once per class (§2.9).
func (g *Graph) namedPortSets() []int32 {
	g.namedOnce.Do(func() {
		g.namedSet = make([]int32, len(g.classes))
		ids := map[string]int32{"": 0}
		var key []byte
		for c := range g.classes {
			key = key[:0]
			for _, cp := range g.classes[c].namedPorts {
				key = binary.LittleEndian.AppendUint32(key, uint32(len(cp.Name)))
				key = append(key, cp.Name...)
				key = append(append(key, byte(len(cp.Protocol))), cp.Protocol...)
				key = binary.LittleEndian.AppendUint32(key, uint32(cp.Port))
			}
			id, ok := ids[string(key)]
			if !ok {
				id = int32(len(ids))
				ids[string(key)] = id
			}
			g.namedSet[c] = id
		}
	})
	return g.namedSet
}
