package engine

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"sync"

	"go4.org/netipx"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// external answers, for whole rule lists at once, which ports a list allows
// with every address outside the pods. The address space is cut into pieces
// that every ipBlock and the node-local rule treat alike; a rule list's answer
// is a short list of runs of pieces with equal ports, computed from the
// ipBlocks' boundaries rather than by asking address after address. Exposure
// and the networks of a blast radius both read it.
//
// Only two things about a rule matter for addresses: the pieces its peers
// match (the same for every rule naming the same ipBlocks, whatever pod peers
// it also names) and its ports. Both are numbered once (span sets and port
// sets), so that rule lists are compared, and their answers cached, as short
// lists of (span set, port set) pairs.
type external struct {
	g      *Graph
	pieces []netipx.IPRange
	v6     int // index of the first IPv6 piece
	// starts4 holds the first address of each IPv4 piece, for pieceOf (IPv6
	// pieces, fewer asked about, are searched as they are).
	starts4 []uint32
	// window, when not nil, is the only part of the space asked about, as
	// sorted piece spans, and as address ranges per family (win4, win6).
	window []span
	win4   [][2]uint32
	win6   [][2]u128

	ports portTable

	// peerSpans numbers the pieces each peer set matches: an index into
	// spanSets, noSpans when it matches no address outside the pods, or
	// spansUnknown before it is first needed.
	peerSpans []int32
	spanSets  [][]span
	spanIDs   hashIntern
	// blocks are the pieces of each distinct ipBlock within the window.
	blocks *blockCuts
	// specPorts numbers the numeric ports of each port spec (-1: not yet);
	// specNamed tells which specs have named ports.
	specPorts []int32
	specNamed []bool
	// named numbers the ports of a spec with named ports resolved on a
	// destination, by spec (high half) and the destination's named-port set
	// (low half, Graph.namedPortSets).
	named map[uint64]int32
	// byNamed caches the answer of a rule list whose named ports took part,
	// per named-port set of the destination.
	byNamed map[namedList]int32

	// answers caches the run list number of each distinct list of (span set,
	// ports) pairs.
	answers map[string]int32
	// byList caches the answer of each rule list (classes with the same
	// policies share one), unless it depends on a class's named ports.
	byList map[*ruleRef]listAnswer
	// lastFirst and lastList are the last list answered without named
	// ports: neighbouring classes often share their rule list.
	lastFirst *ruleRef
	lastList  listAnswer
	// canon numbers each distinct run list; lists holds one copy of each (the
	// open answer allRuns is list 0).
	canon hashIntern
	lists [][]run
	// allRuns is every piece with every port, shared by every open class.
	allRuns []run

	// Scratch space reused by every answer.
	pairs   []pair
	key     []byte
	events  []event
	count   []int32
	cuts    []int32
	union   []run
	holes   []span
	spanBuf []span
	spanOut []span
	found   []found
	clipped []clipRange
	sums    []int32
	meet    []int8
}

// listAnswer is the run list number of a rule list, cached by its first
// rule; the list's length and direction tell which list it belongs to, and
// perClass is true when named ports resolved on the class (§2.9) took part,
// so that the runs hold only for destinations with the same named ports.
// The three are packed in one word (8 bytes a value: the map holds one per
// distinct list, about 40,000 a side at T5).
type listAnswer struct {
	id   int32
	kind uint32 // length<<2 | ingress<<1 | perClass
}

func newListAnswer(id, n int32, ingress, perClass bool) listAnswer {
	k := uint32(n) << 2
	if ingress {
		k |= 2
	}
	if perClass {
		k |= 1
	}
	return listAnswer{id: id, kind: k}
}

// of reports whether a is the answer of the list of length n in that direction.
func (a listAnswer) of(n int32, ingress bool) bool {
	return a.kind>>2 == uint32(n) && (a.kind&2 != 0) == ingress
}

func (a listAnswer) perClass() bool { return a.kind&1 != 0 }

// namedList is a rule list (by its first rule and length) answered for
// destinations with one set of named container ports.
type namedList struct {
	first *ruleRef
	n     int32
	named int32
}

// span is a stretch of pieces [lo, hi).
type span struct{ lo, hi int32 }

// run is a stretch of pieces [lo, hi) with the same allowed ports (an index
// into the port table).
type run struct {
	lo, hi int32
	ports  int32
}

// pair is what one rule allows with addresses: the ports of a port-set id
// with the pieces of a span set.
type pair struct{ spans, ports int32 }

// event opens (rule ≥ 0) or closes (^rule) a pair's span at a piece; rule
// boundary marks a place where runs must break (the IPv6 pieces start).
type event struct{ pos, rule int32 }

const (
	spansUnknown = -2
	noSpans      = -1
	boundary     = int32(-1 << 31)
)

// newExternalWithin cuts the address space at every ipBlock boundary, node
// address and pod host address, so that each piece is treated alike by every
// rule and by the node-local admission of §2.10. Answers are for the
// addresses of within only (sorted ranges; nil for every address): they leave
// out the pieces outside it, which makes them shorter and lets more rule
// lists share them.
func (g *Graph) newExternalWithin(within []netipx.IPRange) *external {
	x := g.pieceIndex()
	x.spanIDs = newHashIntern(0)
	x.peerSpans = make([]int32, len(g.peerSets))
	for i := range x.peerSpans {
		x.peerSpans[i] = spansUnknown
	}
	if within != nil {
		x.setWindow(within)
	}
	x.blocks = g.blockPieces(x)
	x.initAnswers(0)
	return x
}

// pieceIndex returns an external that knows the graph's pieces and nothing
// else: enough to find the pieces of an address or a prefix.
func (g *Graph) pieceIndex() *external {
	x := &external{g: g, pieces: g.rawPieces()}
	x.v6 = sort.Search(len(x.pieces), func(i int) bool { return x.pieces[i].From().Is6() })
	x.starts4 = make([]uint32, x.v6)
	for i := range x.starts4 {
		x.starts4[i] = v4Uint(x.pieces[i].From())
	}
	return x
}

// initAnswers gives x empty port and answer tables, sized for about hint
// distinct rule lists.
func (x *external) initAnswers(hint int) {
	x.ports = newPortTable(hint / 4)
	x.named = map[uint64]int32{}
	x.byNamed = map[namedList]int32{}
	// T5 has 12,733 and 8,538 distinct pair lists, 12,003 and 8,030 distinct
	// run lists, for hint 75,000: room for hint/6 holds them.
	x.answers = make(map[string]int32, hint/6)
	// At T5, 150,000 classes share 40,559 ingress and 33,524 egress lists:
	// room for two thirds of hint (a third of the classes) holds them
	// without growing, in half the memory of room for hint.
	x.byList = make(map[*ruleRef]listAnswer, hint*2/3)
	x.canon = newHashIntern(hint / 6)
	x.specPorts = make([]int32, len(x.g.portSpecs))
	for i := range x.specPorts {
		x.specPorts[i] = -1
	}
	x.specNamed = make([]bool, len(x.g.portSpecs))
	x.allRuns, x.lists = nil, make([][]run, 0, hint/4)
	x.all()
}

// allSpans numbers the pieces of every peer set, in the order the graph
// holds them (which visits the ipBlocks close to the order they were read).
// The second half is numbered by a goroutine with tables of its own, whose
// numbers are then translated.
func (x *external) allSpans() {
	n := len(x.g.peerSets)
	half := n / 2
	z := &external{g: x.g, pieces: x.pieces, v6: x.v6, starts4: x.starts4,
		window: x.window, win4: x.win4, win6: x.win6, blocks: x.blocks, peerSpans: x.peerSpans, spanIDs: newHashIntern(0)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ps := half; ps < n; ps++ {
			z.spansOf(int32(ps))
		}
	})
	for ps := range half {
		x.spansOf(int32(ps))
	}
	wg.Wait()
	ids := make([]int32, len(z.spanSets))
	for i, spans := range z.spanSets {
		ids[i] = x.internSpans(spans, false) // z's copy is kept as it is
	}
	for ps := half; ps < n; ps++ {
		if id := x.peerSpans[ps]; id >= 0 {
			x.peerSpans[ps] = ids[id]
		}
	}
}

// forAllClasses readies x's tables for answering every class (sized for
// about half as many distinct rule lists as classes) and returns a sibling
// for the other direction: tables of its own sharing x's pieces, window and
// span sets, which after allSpans are only read, so that x and the sibling
// may be used by two goroutines at once.
func (x *external) forAllClasses() *external {
	hint := len(x.g.classes) / 2
	x.initAnswers(hint)
	x.allSpans()
	y := &external{g: x.g, pieces: x.pieces, v6: x.v6, starts4: x.starts4,
		window: x.window, win4: x.win4, win6: x.win6, blocks: x.blocks, peerSpans: x.peerSpans, spanSets: x.spanSets}
	y.initAnswers(hint)
	return y
}

// windowOf is the union of address sets, as a window for newExternalWithin:
// empty (not nil) when the sets hold no address, so that no address is asked
// about rather than every one.
func windowOf(sets [][]netipx.IPRange) []netipx.IPRange {
	var b netipx.IPSetBuilder
	for _, set := range sets {
		for _, r := range set {
			b.AddRange(r)
		}
	}
	union, _ := b.IPSet()
	if ranges := union.Ranges(); ranges != nil {
		return ranges
	}
	return []netipx.IPRange{}
}

// setWindow keeps answers to the pieces that meet the given ranges.
func (x *external) setWindow(within []netipx.IPRange) {
	x.window = []span{}
	for _, r := range within {
		if r.From().Is4() {
			x.win4 = append(x.win4, [2]uint32{v4Uint(r.From()), v4Uint(r.To())})
		} else {
			x.win6 = append(x.win6, [2]u128{v6Uint(r.From()), v6Uint(r.To())})
		}
		s := span{int32(x.pieceOf(r.From())), int32(x.pieceOf(r.To()) + 1)}
		// Ranges within one piece share it; spans that touch merge within a
		// family.
		if n := len(x.window); n > 0 && (x.window[n-1].hi > s.lo || x.window[n-1].hi == s.lo && s.lo != int32(x.v6)) {
			x.window[n-1].hi = max(x.window[n-1].hi, s.hi)
			continue
		}
		x.window = append(x.window, s)
	}
}

// cutSpace cuts both address families at the given boundaries and around each
// single address, without merging neighbours.
func cutSpace(bounds []netip.Addr, singles []netip.Addr) []netipx.IPRange {
	// The extra cuts are few; the boundaries usually come sorted (the atom
	// table's), so the two are merged rather than sorted together.
	extra := make([]netip.Addr, 0, 2*len(singles)+2)
	for _, a := range singles {
		extra = append(extra, a)
		if next := a.Next(); next.IsValid() {
			extra = append(extra, next)
		}
	}
	extra = append(extra, netip.IPv4Unspecified(), netip.IPv6Unspecified())
	byAddr := func(x, y netip.Addr) int { return x.Compare(y) }
	slices.SortFunc(extra, byAddr)
	if !slices.IsSortedFunc(bounds, byAddr) {
		bounds = slices.Clone(bounds)
		slices.SortFunc(bounds, byAddr)
	}
	all := make([]netip.Addr, 0, len(bounds)+len(extra))
	i, j := 0, 0
	for i < len(bounds) || j < len(extra) {
		var a netip.Addr
		if j == len(extra) || i < len(bounds) && bounds[i].Less(extra[j]) {
			a, i = bounds[i], i+1
		} else {
			a, j = extra[j], j+1
		}
		if n := len(all); n == 0 || all[n-1] != a {
			all = append(all, a)
		}
	}
	bounds = all
	pieces := make([]netipx.IPRange, 0, len(bounds))
	for i, b := range bounds {
		var end netip.Addr
		switch {
		case i+1 < len(bounds) && bounds[i+1].Is4() == b.Is4():
			end = bounds[i+1].Prev()
		case b.Is4():
			end = netip.AddrFrom4([4]byte{255, 255, 255, 255})
		default:
			end = netip.AddrFrom16([16]byte{255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255})
		}
		pieces = append(pieces, netipx.IPRangeFrom(b, end))
	}
	return pieces
}

func v4Uint(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// u128 is an IPv6 address as a number.
type u128 struct{ hi, lo uint64 }

func v6Uint(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (u u128) less(v u128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

// v6Bounds returns the first and last address of a masked IPv6 prefix.
func v6Bounds(m netip.Prefix) (first, last u128) {
	first = v6Uint(m.Addr())
	last = first
	if host := 128 - m.Bits(); host >= 64 {
		last.lo = ^uint64(0)
		last.hi |= uint64(1)<<(host-64) - 1
	} else {
		last.lo |= uint64(1)<<host - 1
	}
	return first, last
}

// pieceOf returns the index of the piece holding an address.
func (x *external) pieceOf(a netip.Addr) int {
	if a.Is4() {
		return x.piece4(v4Uint(a))
	}
	return x.piece6(v6Uint(a))
}

// piece6 returns the index of the IPv6 piece holding an address.
func (x *external) piece6(u u128) int {
	return x.v6 + sort.Search(len(x.pieces)-x.v6, func(i int) bool { return u.less(v6Uint(x.pieces[x.v6+i].From())) }) - 1
}

// piece4 returns the index of the IPv4 piece holding an address: the last
// one starting at or below it (piece 0 starts at 0.0.0.0).
func (x *external) piece4(u uint32) int {
	i, found := slices.BinarySearch(x.starts4, u)
	if !found {
		i--
	}
	return i
}

// span returns the pieces [lo, hi) that make up a prefix; prefixes of ipBlocks
// start and end on piece boundaries.
func (x *external) span(p netip.Prefix) (int32, int32) {
	m := p.Masked()
	var s span
	if m.Addr().Is4() {
		first := v4Uint(m.Addr())
		last := first | uint32(uint64(1)<<(32-m.Bits())-1)
		s = span{int32(x.piece4(first)), int32(x.piece4(last) + 1)}
	} else {
		first, last := v6Bounds(m)
		s = span{int32(x.piece6(first)), int32(x.piece6(last) + 1)}
	}
	return s.lo, s.hi
}

// appendBlockSpans appends the pieces an ipBlock matches: its cidr minus every
// except (§2.8), as sorted, disjoint [lo, hi) intervals.
func (x *external) appendBlockSpans(out []span, b *model.IPBlock) []span {
	lo, hi := x.span(b.CIDR)
	if len(b.Except) == 0 {
		return append(out, span{lo, hi})
	}
	holes := x.holes[:0]
	defer func() { x.holes = holes }()
	for _, e := range b.Except {
		if !x.inWindow(e) {
			continue // it only takes away addresses outside the window
		}
		elo, ehi := x.span(e)
		elo, ehi = max(elo, lo), min(ehi, hi)
		if elo < ehi {
			holes = append(holes, span{elo, ehi})
		}
	}
	slices.SortFunc(holes, func(a, b span) int { return int(a.lo - b.lo) })
	at := lo
	for _, h := range holes {
		if h.lo > at {
			out = append(out, span{at, h.lo})
		}
		at = max(at, h.hi)
	}
	if at < hi {
		out = append(out, span{at, hi})
	}
	return out
}

// spansOf numbers the pieces a peer set matches outside the pods, within the
// window: an empty from/to matches every address (§2.5), an ipBlock its cidr
// minus its excepts (§2.8); pod selectors match no address outside the pods.
func (x *external) spansOf(ps int32) int32 {
	if id := x.peerSpans[ps]; id != spansUnknown {
		return id
	}
	set := &x.g.peerSets[ps]
	spans := x.spanBuf[:0]
	if set.allExternal {
		spans = append(spans, span{0, int32(x.v6)}, span{int32(x.v6), int32(len(x.pieces))})
	} else {
		for _, b := range set.blockIDs {
			spans = append(spans, x.blockSpans(b)...)
		}
		if len(set.blocks) > 1 {
			slices.SortFunc(spans, func(a, b span) int { return int(a.lo - b.lo) })
			// Merge overlapping spans, and touching ones within one family.
			merged := spans[:0]
			for _, s := range spans {
				if n := len(merged); n > 0 && (s.lo < merged[n-1].hi || s.lo == merged[n-1].hi && s.lo != int32(x.v6)) {
					merged[n-1].hi = max(merged[n-1].hi, s.hi)
					continue
				}
				merged = append(merged, s)
			}
			spans = merged
		}
	}
	x.spanBuf = spans
	id := x.internSpans(x.restrict(spans), true)
	x.peerSpans[ps] = id
	return id
}

// blockSpans returns the pieces a distinct ipBlock (an index into
// Graph.blocks) matches, empty when it lies outside the window.
func (x *external) blockSpans(id int32) []span {
	at := x.blocks.at[id]
	return x.blocks.cut[at.lo:at.hi]
}

// blockCuts are the pieces of every distinct ipBlock within a window: cut
// holds them all, at[id] the stretch of block id.
type blockCuts struct {
	window  []span
	cut, at []span
}

// blockPieces returns the pieces of every distinct ipBlock within x's
// window. They are cut once per graph and window (T5: 46,677 blocks, named
// 76,484 times by 160,919 peer sets): exposure and the networks of every
// blast radius ask about the same catalogue.
func (g *Graph) blockPieces(x *external) *blockCuts {
	g.blockMu.Lock()
	defer g.blockMu.Unlock()
	if b := g.blockCuts; b != nil && (b.window == nil) == (x.window == nil) && slices.Equal(b.window, x.window) {
		return b
	}
	// The blocks are cut in parts, one per processor, each with scratch
	// space of its own; the parts' pieces are then put end to end.
	b := &blockCuts{window: x.window, at: make([]span, len(g.blocks))}
	parts := min(runtime.GOMAXPROCS(0), max(1, len(g.blocks)/1024))
	part := func(k int) (lo, hi int) { return k * len(g.blocks) / parts, (k + 1) * len(g.blocks) / parts }
	cuts := make([][]span, parts)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Go(func() {
			y := *x
			y.holes = nil
			lo, hi := part(k)
			for id := lo; id < hi; id++ {
				start := int32(len(cuts[k]))
				if blk := g.blocks[id]; y.inWindow(blk.CIDR) {
					cuts[k] = y.appendBlockSpans(cuts[k], blk)
				}
				b.at[id] = span{start, int32(len(cuts[k]))}
			}
		})
	}
	wg.Wait()
	b.cut = slices.Concat(cuts...)
	offset := int32(0)
	for k := range parts {
		lo, hi := part(k)
		for id := lo; id < hi; id++ {
			b.at[id].lo += offset
			b.at[id].hi += offset
		}
		offset += int32(len(cuts[k]))
	}
	g.blockCuts = b
	return b
}

// internSpans numbers a span list (noSpans for the empty one), keeping a
// copy of it when it is new and scratch is true (else the list itself).
func (x *external) internSpans(spans []span, scratch bool) int32 {
	if len(spans) == 0 {
		return noSpans
	}
	key := x.key[:0]
	for _, s := range spans {
		key = binary.LittleEndian.AppendUint32(key, uint32(s.lo))
		key = binary.LittleEndian.AppendUint32(key, uint32(s.hi))
	}
	x.key = key
	id, h := x.spanIDs.find(key, func(id int32) bool { return slices.Equal(x.spanSets[id], spans) })
	if id < 0 {
		id = int32(len(x.spanSets))
		if scratch {
			spans = slices.Clone(spans)
		}
		x.spanSets = append(x.spanSets, spans)
		x.spanIDs.add(key, h, id)
	}
	return id
}

// hashIntern numbers items by the hash of their byte key, keeping no copy
// of the key (the keys of run lists and span lists were about 3 MB a call at
// T5): a hit is checked against the numbered item by the caller, and keys
// whose hash is taken by another item are kept whole in other.
type hashIntern struct {
	seed  maphash.Seed
	ids   map[uint64]int32
	other map[string]int32
}

// internHash hashes a key; tests replace it to make every key collide.
var internHash = maphash.Bytes

func newHashIntern(hint int) hashIntern {
	return hashIntern{seed: maphash.MakeSeed(), ids: make(map[uint64]int32, hint)}
}

// find returns the number of key's item (-1 when it has none) and the key's
// hash, for add; same reports whether a number is key's item.
func (t *hashIntern) find(key []byte, same func(int32) bool) (int32, uint64) {
	h := internHash(t.seed, key)
	id, ok := t.ids[h]
	switch {
	case !ok:
		return -1, h
	case same(id):
		return id, h
	}
	if id, ok := t.other[string(key)]; ok {
		return id, h
	}
	return -1, h
}

// add numbers key's item (which find did not know) as id.
func (t *hashIntern) add(key []byte, h uint64, id int32) {
	if _, taken := t.ids[h]; !taken {
		t.ids[h] = id
		return
	}
	if t.other == nil {
		t.other = map[string]int32{}
	}
	t.other[string(key)] = id
}

// restrict intersects sorted, disjoint spans with the window (in scratch
// space), dropping empty ones.
func (x *external) restrict(spans []span) []span {
	out := x.spanOut[:0]
	if x.window == nil {
		for _, s := range spans {
			if s.lo < s.hi {
				out = append(out, s)
			}
		}
		x.spanOut = out
		return out
	}
	w := x.window
	j := 0
	for _, s := range spans {
		for j < len(w) && w[j].hi <= s.lo {
			j++
		}
		for k := j; k < len(w) && w[k].lo < s.hi; k++ {
			if lo, hi := max(s.lo, w[k].lo), min(s.hi, w[k].hi); lo < hi {
				out = append(out, span{lo, hi})
			}
		}
	}
	x.spanOut = out
	return out
}

// inWindow reports whether a prefix meets the window's addresses; a prefix
// that does not can be left out of every span within the window.
func (x *external) inWindow(p netip.Prefix) bool {
	if x.window == nil {
		return true
	}
	m := p.Masked()
	if m.Addr().Is4() {
		first := v4Uint(m.Addr())
		last := first | uint32(uint64(1)<<(32-m.Bits())-1)
		i := sort.Search(len(x.win4), func(i int) bool { return x.win4[i][1] >= first })
		return i < len(x.win4) && x.win4[i][0] <= last
	}
	first, last := v6Bounds(m)
	i := sort.Search(len(x.win6), func(i int) bool { return !x.win6[i][1].less(first) })
	return i < len(x.win6) && !last.less(x.win6[i][0])
}

// numericPorts numbers the numeric ports of a port spec.
func (x *external) numericPorts(spec int32) int32 {
	if id := x.specPorts[spec]; id >= 0 {
		return id
	}
	s := &x.g.portSpecs[spec]
	id := x.ports.id(s.numeric)
	x.specPorts[spec] = id
	x.specNamed[spec] = len(s.named) > 0
	return id
}

// namedOf is the number of a class's set of named container ports (0 for
// none): classes with equal sets share resolved ports and answers.
func (x *external) namedOf(c int32) int32 { return x.g.namedPortSets()[c] }

// portsFor numbers what a port spec admits towards a destination class
// (§2.9: a named port admits the destination's container port of that name
// and protocol), once per spec and named-port set of the destination.
func (x *external) portsFor(spec int32, c int32) int32 {
	if id := x.numericPorts(spec); !x.specNamed[spec] {
		return id
	}
	nid := x.namedOf(c)
	if nid == 0 {
		return x.numericPorts(spec)
	}
	k := uint64(spec)<<32 | uint64(nid)
	if id, ok := x.named[k]; ok {
		return id
	}
	ps, dst := &x.g.portSpecs[spec], x.g.classes[c].namedPorts
	id := x.numericPorts(spec)
	if namesMatch(ps, dst) {
		id = x.ports.id(ps.portsFor(dst))
	}
	x.named[k] = id
	return id
}

// namesMatch reports whether a named port of a spec names a container port
// of the destination (§2.9): only then does it admit more than its numeric
// ports.
func namesMatch(s *portSpec, dst []model.ContainerPort) bool {
	for _, n := range s.named {
		for _, cp := range dst {
			if cp.Name == n.name && cp.Protocol == n.proto {
				return true
			}
		}
	}
	return false
}

// all is every piece with every port: what open egress or ingress allows.
func (x *external) all() []run {
	if x.allRuns == nil {
		if x.v6 > 0 {
			x.allRuns = append(x.allRuns, run{0, int32(x.v6), allPortsID})
		}
		if x.v6 < len(x.pieces) {
			x.allRuns = append(x.allRuns, run{int32(x.v6), int32(len(x.pieces)), allPortsID})
		}
		x.lists = append(x.lists, x.allRuns)
	}
	return x.allRuns
}

// allListID is the number of allRuns among the run lists.
const allListID = 0

// noList is the number of the empty run list: nothing allowed.
const noList = -1

// runsOf returns a numbered run list (nil for noList).
func (x *external) runsOf(id int32) []run {
	if id == noList {
		return nil
	}
	return x.lists[id]
}

// answer computes what a rule list allows with each piece, given the pairs
// of its rules that match addresses: the union, over the pairs whose spans
// hold the piece, of their ports. Lists with the same pairs share the answer.
func (x *external) answer(pairs []pair) int32 {
	if len(pairs) == 0 {
		return noList
	}
	if len(pairs) > 1 {
		slices.SortFunc(pairs, func(a, b pair) int {
			if a.spans != b.spans {
				return int(a.spans - b.spans)
			}
			return int(a.ports - b.ports)
		})
		// One pair per span set, with the union of its ports.
		out := pairs[:1]
		for _, p := range pairs[1:] {
			if last := &out[len(out)-1]; last.spans == p.spans {
				last.ports = x.ports.union(last.ports, p.ports)
				continue
			}
			out = append(out, p)
		}
		pairs = out
	}
	key := x.key[:0]
	for _, p := range pairs {
		key = binary.LittleEndian.AppendUint32(key, uint32(p.spans))
		key = binary.LittleEndian.AppendUint32(key, uint32(p.ports))
	}
	x.key = key
	if id, ok := x.answers[string(key)]; ok {
		return id
	}
	k := string(key)
	var runs []run
	if len(pairs) == 1 {
		spans := x.spanSets[pairs[0].spans]
		runs = make([]run, 0, len(spans))
		for _, s := range spans {
			runs = x.appendRun(runs, run{s.lo, s.hi, pairs[0].ports})
		}
	} else {
		runs = x.sweep(pairs)
	}
	id := x.canonical(runs)
	x.answers[k] = id
	return id
}

// sweep computes the runs of several pairs by walking their span boundaries
// in order.
func (x *external) sweep(pairs []pair) []run {
	ev := x.events[:0]
	ev = append(ev, event{int32(x.v6), boundary}) // runs never span both families
	for i, p := range pairs {
		for _, s := range x.spanSets[p.spans] {
			ev = append(ev, event{s.lo, int32(i)}, event{s.hi, ^int32(i)})
		}
	}
	slices.SortFunc(ev, func(a, b event) int { return int(a.pos - b.pos) })
	x.events = ev
	count := x.count[:0]
	for range pairs {
		count = append(count, 0)
	}
	x.count = count
	active := 0
	var out []run
	for i := 0; i < len(ev); {
		pos := ev[i].pos
		for ; i < len(ev) && ev[i].pos == pos; i++ {
			e := ev[i]
			switch {
			case e.rule == boundary:
			case e.rule >= 0:
				if count[e.rule] == 0 {
					active++
				}
				count[e.rule]++
			default:
				count[^e.rule]--
				if count[^e.rule] == 0 {
					active--
				}
			}
		}
		if active == 0 || i == len(ev) {
			continue
		}
		end := ev[i].pos
		ports := int32(noPortsID)
		for k, c := range count {
			if c > 0 {
				ports = x.ports.union(ports, pairs[k].ports)
			}
		}
		if ports == noPortsID {
			continue
		}
		out = x.appendRun(out, run{pos, end, ports})
	}
	return out
}

// appendRun appends a run, merging it into the previous one when they touch
// within one address family and allow the same ports.
func (x *external) appendRun(out []run, r run) []run {
	if n := len(out); n > 0 && out[n-1].hi == r.lo && r.lo != int32(x.v6) && out[n-1].ports == r.ports {
		out[n-1].hi = r.hi
		return out
	}
	return append(out, r)
}

// egressRuns is what a class may open connections to outside the pods.
func (x *external) egressRuns(c int32) []run { return x.runsOf(x.egressList(c)) }

// egressList is the number of egressRuns's answer.
func (x *external) egressList(c int32) int32 {
	cl := &x.g.classes[c]
	if !x.g.enforced || cl.hostNetwork || !cl.isolatedEg {
		return allListID // §2.1: egress not isolated (§2.13: or not enforced)
	}
	if len(cl.egRules) == 0 {
		return noList
	}
	first, n := &cl.egRules[0], int32(len(cl.egRules))
	if first == x.lastFirst && x.lastList.of(n, false) {
		return x.lastList.id
	}
	a, ok := x.byList[first]
	if ok && a.of(n, false) {
		x.lastFirst, x.lastList = first, a
		return a.id
	}
	pairs := x.pairs[:0]
	for _, r := range cl.egRules {
		s := x.spansOf(r.peers)
		if s == noSpans {
			continue
		}
		// Named ports never match an address (§2.9): only the numeric part.
		if p := x.numericPorts(r.ports); p != noPortsID {
			pairs = append(pairs, pair{s, p})
		}
	}
	x.pairs = pairs
	id := x.answer(pairs)
	if !ok {
		x.byList[first] = newListAnswer(id, n, false, false)
	}
	x.lastFirst, x.lastList = first, newListAnswer(id, n, false, false)
	return id
}

// ingressList numbers what a class admits from outside the pods, before the
// node-local admission of §2.10, which depends on the pod's node.
func (x *external) ingressList(c int32) int32 {
	cl := &x.g.classes[c]
	if !x.g.enforced || cl.hostNetwork || !cl.isolatedIn {
		return allListID
	}
	if len(cl.inRules) == 0 {
		return noList
	}
	first, n := &cl.inRules[0], int32(len(cl.inRules))
	if first == x.lastFirst && x.lastList.of(n, true) {
		return x.lastList.id
	}
	a, ok := x.byList[first]
	if ok && a.of(n, true) {
		if !a.perClass() {
			x.lastFirst, x.lastList = first, a
			return a.id
		}
		// Named ports took part: the answer holds for destinations with the
		// same named ports.
		if id, ok := x.byNamed[namedList{first, n, x.namedOf(c)}]; ok {
			return id
		}
	}
	pairs := x.pairs[:0]
	perClass := false
	for _, r := range cl.inRules {
		s := x.spansOf(r.peers)
		if s == noSpans {
			continue
		}
		// The pod is the destination: named ports resolve on it (§2.9).
		if p := x.portsFor(r.ports, c); p != noPortsID {
			pairs = append(pairs, pair{s, p})
		}
		perClass = perClass || x.specNamed[r.ports]
	}
	x.pairs = pairs
	id := x.answer(pairs)
	if !ok {
		x.byList[first] = newListAnswer(id, n, true, perClass)
	}
	if !perClass {
		x.lastFirst, x.lastList = first, newListAnswer(id, n, true, false)
	}
	if perClass {
		x.byNamed[namedList{first, n, x.namedOf(c)}] = id
	}
	return id
}

// canonical numbers a run list, storing one copy of each: different pair
// lists may answer alike, and callers cache their work per number.
func (x *external) canonical(runs []run) int32 {
	if len(runs) == 0 {
		return noList
	}
	key := x.key[:0]
	for _, r := range runs {
		key = binary.LittleEndian.AppendUint32(key, uint32(r.lo))
		key = binary.LittleEndian.AppendUint32(key, uint32(r.hi))
		key = binary.LittleEndian.AppendUint32(key, uint32(r.ports))
	}
	x.key = key
	id, h := x.canon.find(key, func(id int32) bool { return slices.Equal(x.lists[id], runs) })
	if id >= 0 {
		return id
	}
	id = int32(len(x.lists))
	x.canon.add(key, h, id)
	x.lists = append(x.lists, slices.Clip(runs))
	return id
}

// ownPieces returns the pieces of the addresses a pod's own node uses, from
// which ingress is always admitted (§2.10): the node's addresses and the
// pod's host address.
func (x *external) ownPieces(p *model.Pod) []int32 {
	var out []int32
	for _, a := range x.g.ownNodeAddrs(p) {
		out = append(out, int32(x.pieceOf(a)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unionRuns combines numbered run lists and single pieces allowed every port
// into one sorted, disjoint, merged list (in scratch space: valid until the
// next call).
func (x *external) unionRuns(ids []int32, singles []int32) []run {
	slices.Sort(singles)
	singles = slices.Compact(singles)
	cuts := x.cuts[:0]
	for _, id := range ids {
		for _, r := range x.lists[id] {
			cuts = append(cuts, r.lo, r.hi)
		}
	}
	for _, s := range singles {
		cuts = append(cuts, s, s+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	x.cuts = cuts
	at := x.count[:0]
	for range ids {
		at = append(at, 0)
	}
	x.count = at
	si := 0
	out := x.union[:0]
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := cuts[i], cuts[i+1]
		ports := int32(noPortsID)
		for k, id := range ids {
			l := x.lists[id]
			for int(at[k]) < len(l) && l[at[k]].hi <= lo {
				at[k]++
			}
			if int(at[k]) < len(l) && l[at[k]].lo <= lo {
				ports = x.ports.union(ports, l[at[k]].ports)
			}
		}
		for si < len(singles) && singles[si] < lo {
			si++
		}
		if si < len(singles) && singles[si] == lo {
			ports = allPortsID
		}
		if ports != noPortsID {
			out = x.appendRun(out, run{lo, hi, ports})
		}
	}
	x.union = out
	return out
}

// netSet is a network's addresses (sorted, maximal ranges) with, for each
// range, the first and last piece it meets.
type netSet struct {
	ranges []netipx.IPRange
	lo, hi []int32
}

func (x *external) netSet(ranges []netipx.IPRange) netSet {
	s := netSet{ranges: ranges, lo: make([]int32, len(ranges)), hi: make([]int32, len(ranges))}
	for k, r := range ranges {
		s.lo[k], s.hi[k] = int32(x.pieceOf(r.From())), int32(x.pieceOf(r.To()))
	}
	return s
}

// clip adds to t the answer made of runs clipped to a set's addresses (t's
// network), merging neighbours with equal ports, and returns its number. The
// ranges are kept as pieces and network ranges (see clipRange): the addresses
// are only built when they are asked for.
func (x *external) clip(t *answerTable, runs []run, set netSet) int32 {
	out := x.clipped[:0]
	union := int32(noPortsID)
	lastPorts := int32(noPortsID)
	var lastTo netip.Addr
	same := true
	j := 0
	for _, r := range runs {
		for j < len(set.ranges) && set.hi[j] < r.lo {
			j++
		}
		if j == len(set.ranges) {
			break
		}
		if set.lo[j] >= r.hi {
			continue
		}
		from, to := x.pieces[r.lo].From(), x.pieces[r.hi-1].To()
		for k := j; k < len(set.ranges) && set.lo[k] < r.hi; k++ {
			lo, hi := maxAddr(from, set.ranges[k].From()), minAddr(to, set.ranges[k].To())
			if hi.Less(lo) {
				continue
			}
			// Touching ranges lie in one range of the network, whose ranges
			// are maximal.
			if n := len(out); n > 0 && lastPorts == r.ports && out[n-1].k == int32(k) && lastTo.Next() == lo {
				out[n-1].hi = r.hi
				lastTo = hi
				continue
			}
			if len(out) > 0 && r.ports != lastPorts {
				same = false
			}
			union = x.ports.union(union, r.ports)
			out = append(out, clipRange{lo: r.lo, hi: r.hi, k: int32(k), ports: r.ports})
			lastPorts, lastTo = r.ports, hi
		}
	}
	x.clipped = out
	// Every address of the network with the same ports: one range per range
	// of the network, each the whole of it.
	all := len(out) > 0 && same && len(out) == len(set.ranges)
	for i := 0; all && i < len(out); i++ {
		c := out[i]
		net := set.ranges[c.k]
		all = int(c.k) == i && !net.From().Less(x.pieces[c.lo].From()) && !x.pieces[c.hi-1].To().Less(net.To())
	}
	return t.add(out, union, all)
}

// meets reports whether runs hold an address of a set (whether clip would
// return any range).
func (x *external) meets(runs []run, set netSet) bool {
	j := 0
	for _, r := range runs {
		for j < len(set.ranges) && set.hi[j] < r.lo {
			j++
		}
		if j == len(set.ranges) {
			return false
		}
		if set.lo[j] >= r.hi {
			continue
		}
		from, to := x.pieces[r.lo].From(), x.pieces[r.hi-1].To()
		for k := j; k < len(set.ranges) && set.lo[k] < r.hi; k++ {
			if !minAddr(to, set.ranges[k].To()).Less(maxAddr(from, set.ranges[k].From())) {
				return true
			}
		}
	}
	return false
}

// portsIn is the union of the ports of the runs that meet a set.
func (x *external) portsIn(runs []run, set []netipx.IPRange) evaluator.PortSet {
	union := int32(noPortsID)
	j := 0
	for _, r := range runs {
		from, to := x.pieces[r.lo].From(), x.pieces[r.hi-1].To()
		for j < len(set) && set[j].To().Less(from) {
			j++
		}
		if j < len(set) && !to.Less(set[j].From()) {
			union = x.ports.union(union, r.ports)
		}
	}
	return x.ports.sets[union]
}

// covers reports whether ranges (sorted, inside set) cover all of set, whose
// ranges are maximal.
func covers(ranges []RangePorts, set []netipx.IPRange) bool {
	k := 0
	for i := 0; i < len(ranges); {
		// The maximal stretch of touching ranges starting at i.
		from, to := ranges[i].Range.From(), ranges[i].Range.To()
		for i++; i < len(ranges) && to.Next() == ranges[i].Range.From(); i++ {
			to = ranges[i].Range.To()
		}
		if k == len(set) || set[k] != netipx.IPRangeFrom(from, to) {
			return false
		}
		k++
	}
	return k == len(set)
}

// portTable numbers distinct port sets, so that run lists compare and merge
// by number, and caches the union of two numbered sets.
type portTable struct {
	sets   []evaluator.PortSet
	ids    map[string]int32
	unions map[uint64]int32
	key    []byte
}

// The numbers of the empty set and of every port of every protocol.
const (
	noPortsID  = 0
	allPortsID = 1
)

// newPortTable returns a table holding the empty set and every port, with
// room for about hint more.
func newPortTable(hint int) portTable {
	t := portTable{sets: make([]evaluator.PortSet, 0, 2+hint), ids: make(map[string]int32, 2+hint), unions: map[uint64]int32{}}
	t.id(evaluator.PortSet{})
	t.id(evaluator.AllPorts(evaluator.Protocols...))
	return t
}

// id numbers a port set.
func (t *portTable) id(p evaluator.PortSet) int32 {
	key := t.key[:0]
	for _, proto := range evaluator.Protocols {
		for _, r := range p.Ranges(proto) {
			key = binary.LittleEndian.AppendUint32(key, uint32(r.From))
			key = binary.LittleEndian.AppendUint32(key, uint32(r.To))
		}
		key = binary.LittleEndian.AppendUint32(key, ^uint32(0)) // no range starts at -1: a separator
	}
	t.key = key
	if id, ok := t.ids[string(key)]; ok {
		return id
	}
	id := int32(len(t.sets))
	t.sets = append(t.sets, p)
	t.ids[string(key)] = id
	return id
}

// union numbers the union of two numbered sets.
func (t *portTable) union(a, b int32) int32 {
	switch {
	case a == b || b == noPortsID || a == allPortsID:
		return a
	case a == noPortsID || b == allPortsID:
		return b
	}
	if a > b {
		a, b = b, a
	}
	k := uint64(a)<<32 | uint64(b)
	if id, ok := t.unions[k]; ok {
		return id
	}
	id := t.id(t.sets[a].Union(t.sets[b]))
	t.unions[k] = id
	return id
}
