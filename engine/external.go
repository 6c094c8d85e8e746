package engine

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

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
type external struct {
	g      *Graph
	pieces []netipx.IPRange
	v6     int // index of the first IPv6 piece
	// lists caches the runs of each rule list (by its first rule and length)
	// and named-port signature.
	lists map[listKey][]run
	// allRuns is every piece with every port, shared by every open class.
	allRuns []run
	// own caches ownPieces per node and host address.
	own map[ownKey][]int
	// canon holds one copy of each distinct run list (canonical).
	canon map[string][]run
}

// listKey identifies a rule list and, for ingress lists with named ports, the
// destination's named ports they resolve against.
type listKey struct {
	rules   *ruleRef
	n       int
	ingress bool
	named   string
}

// run is a stretch of pieces [lo, hi) with the same allowed ports.
type run struct {
	lo, hi int
	ports  evaluator.PortSet
}

// newExternal cuts the address space at every ipBlock boundary, node address
// and pod host address, so that each piece is treated alike by every rule and
// by the node-local admission of §2.10.
func (g *Graph) newExternal() *external {
	x := &external{g: g, pieces: g.rawPieces(), lists: map[listKey][]run{}, own: map[ownKey][]int{}, canon: map[string][]run{}}
	x.v6 = sort.Search(len(x.pieces), func(i int) bool { return x.pieces[i].From().Is6() })
	x.all()
	return x
}

// cutSpace cuts both address families at the given boundaries and around each
// single address, without merging neighbours.
func cutSpace(bounds []netip.Addr, singles []netip.Addr) []netipx.IPRange {
	bounds = slices.Clone(bounds)
	for _, a := range singles {
		bounds = append(bounds, a)
		if next := a.Next(); next.IsValid() {
			bounds = append(bounds, next)
		}
	}
	bounds = append(bounds, netip.IPv4Unspecified(), netip.IPv6Unspecified())
	slices.SortFunc(bounds, func(x, y netip.Addr) int { return x.Compare(y) })
	bounds = slices.Compact(bounds)
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

// pieceOf returns the index of the piece holding an address.
func (x *external) pieceOf(a netip.Addr) int {
	return sort.Search(len(x.pieces), func(i int) bool { return x.pieces[i].From().Compare(a) > 0 }) - 1
}

// span returns the pieces [lo, hi) that make up a prefix; prefixes of ipBlocks
// start and end on piece boundaries.
func (x *external) span(p netip.Prefix) (int, int) {
	lo := x.pieceOf(p.Masked().Addr())
	hi := x.pieceOf(lastAddr(p)) + 1
	return lo, hi
}

// blockSpans returns the pieces an ipBlock matches: its cidr minus every
// except (§2.8), as sorted, disjoint [lo, hi) intervals.
func (x *external) blockSpans(b *model.IPBlock) [][2]int {
	lo, hi := x.span(b.CIDR)
	var holes [][2]int
	for _, e := range b.Except {
		elo, ehi := x.span(e)
		elo, ehi = max(elo, lo), min(ehi, hi)
		if elo < ehi {
			holes = append(holes, [2]int{elo, ehi})
		}
	}
	slices.SortFunc(holes, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	at := lo
	for _, h := range holes {
		if h[0] > at {
			out = append(out, [2]int{at, h[0]})
		}
		at = max(at, h[1])
	}
	if at < hi {
		out = append(out, [2]int{at, hi})
	}
	return out
}

// all is every piece with every port: what open egress or ingress allows.
func (x *external) all() []run {
	if x.allRuns == nil {
		full := evaluator.AllPorts(evaluator.Protocols...)
		if x.v6 > 0 {
			x.allRuns = append(x.allRuns, run{0, x.v6, full})
		}
		if x.v6 < len(x.pieces) {
			x.allRuns = append(x.allRuns, run{x.v6, len(x.pieces), full})
		}
	}
	return x.allRuns
}

// isAll reports whether runs are the shared every-piece-every-port answer.
func (x *external) isAll(runs []run) bool { return len(runs) > 0 && &runs[0] == &x.allRuns[0] }

// ruleRuns computes what a rule list allows with each piece: the union, over
// the rules whose peers match the piece (an empty from/to, §2.5, or an ipBlock,
// §2.8), of portsOf(rule). Named ports never match an address (§2.9), so for
// egress portsOf is the numeric part.
func (x *external) ruleRuns(rules []ruleRef, portsOf func(ruleRef) evaluator.PortSet) []run {
	type event struct{ pos, rule, delta int }
	events := []event{{pos: x.v6}} // runs never span both families
	for k, r := range rules {
		ps := &x.g.peerSets[r.peers]
		if ps.allExternal {
			events = append(events, event{0, k, 1}, event{len(x.pieces), k, -1})
			continue
		}
		for _, b := range ps.blocks {
			for _, s := range x.blockSpans(b) {
				events = append(events, event{s[0], k, 1}, event{s[1], k, -1})
			}
		}
	}
	slices.SortFunc(events, func(a, b event) int { return a.pos - b.pos })
	count := make([]int, len(rules))
	active := 0
	memo := map[string]evaluator.PortSet{}
	var out []run
	for i := 0; i < len(events); {
		pos := events[i].pos
		for ; i < len(events) && events[i].pos == pos; i++ {
			e := events[i]
			if e.delta == 0 {
				continue
			}
			if count[e.rule] == 0 {
				active++
			}
			count[e.rule] += e.delta
			if count[e.rule] == 0 {
				active--
			}
		}
		if active == 0 || i == len(events) {
			continue
		}
		end := events[i].pos
		if end == pos {
			continue
		}
		var key strings.Builder
		for k, c := range count {
			if c > 0 {
				key.WriteString(strconv.Itoa(k))
				key.WriteByte(',')
			}
		}
		ports, ok := memo[key.String()]
		if !ok {
			for k, c := range count {
				if c > 0 {
					ports = ports.Union(portsOf(rules[k]))
				}
			}
			memo[key.String()] = ports
		}
		if ports.Empty() {
			continue
		}
		out = x.appendRun(out, run{pos, end, ports})
	}
	return out
}

// appendRun appends a run, merging it into the previous one when they touch
// within one address family and allow the same ports.
func (x *external) appendRun(out []run, r run) []run {
	if n := len(out); n > 0 && out[n-1].hi == r.lo && r.lo != x.v6 && out[n-1].ports.Equal(r.ports) {
		out[n-1].hi = r.hi
		return out
	}
	return append(out, r)
}

// egressRuns is what a class may open connections to outside the pods.
func (x *external) egressRuns(c int32) []run {
	cl := &x.g.classes[c]
	if !x.g.enforced || cl.hostNetwork || !cl.isolatedEg {
		return x.all() // §2.1: egress not isolated (§2.13: or not enforced)
	}
	key := listKey{n: len(cl.egRules)}
	if key.n > 0 {
		key.rules = &cl.egRules[0]
	}
	if r, ok := x.lists[key]; ok {
		return r
	}
	r := x.canonical(x.ruleRuns(cl.egRules, func(r ruleRef) evaluator.PortSet { return x.g.portSpecs[r.ports].numeric }))
	x.lists[key] = r
	return r
}

// ingressRuns is what a class admits from outside the pods, before the
// node-local admission of §2.10, which depends on the pod's node.
func (x *external) ingressRuns(c int32) []run {
	cl := &x.g.classes[c]
	if !x.g.enforced || cl.hostNetwork || !cl.isolatedIn {
		return x.all()
	}
	key := listKey{n: len(cl.inRules), ingress: true}
	for _, r := range cl.inRules {
		if len(x.g.portSpecs[r.ports].named) > 0 {
			// Named ports resolve on the class (§2.9): only classes with the
			// same named ports share the answer.
			key.named = namedSignature(cl)
			break
		}
	}
	if key.n > 0 {
		key.rules = &cl.inRules[0]
	}
	if r, ok := x.lists[key]; ok {
		return r
	}
	// The pod is the destination: named ports resolve on it (§2.9).
	r := x.canonical(x.ruleRuns(cl.inRules, func(r ruleRef) evaluator.PortSet { return x.g.portSpecs[r.ports].portsFor(cl.namedPorts) }))
	x.lists[key] = r
	return r
}

// canonical returns the one stored copy of a run list: rule lists that differ
// only in their pod peers answer alike for addresses, and callers cache their
// work per copy.
func (x *external) canonical(runs []run) []run {
	if len(runs) == 0 {
		return nil
	}
	var key []byte
	for _, r := range runs {
		key = strconv.AppendInt(key, int64(r.lo), 36)
		key = append(key, '-')
		key = strconv.AppendInt(key, int64(r.hi), 36)
		for _, p := range evaluator.Protocols {
			key = append(key, ':')
			for _, pr := range r.ports.Ranges(p) {
				key = strconv.AppendInt(key, int64(pr.From), 36)
				key = append(key, '.')
				key = strconv.AppendInt(key, int64(pr.To), 36)
				key = append(key, ',')
			}
		}
		key = append(key, ';')
	}
	if c, ok := x.canon[string(key)]; ok {
		return c
	}
	x.canon[string(key)] = runs
	return runs
}

// ownPieces returns the pieces of the addresses a pod's own node uses, from
// which ingress is always admitted (§2.10): the node's addresses and the
// pod's host address.
func (x *external) ownPieces(p *model.Pod) []int {
	key := ownKey{p.NodeName, p.HostIP}
	if out, ok := x.own[key]; ok {
		return out
	}
	var out []int
	for _, a := range x.g.ownNodeAddrs(p) {
		out = append(out, x.pieceOf(a))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	x.own[key] = out
	return out
}

// ownKey is what a pod's own-node addresses depend on.
type ownKey struct {
	node string
	host netip.Addr
}

// unionRuns combines run lists (each sorted and disjoint) and single pieces
// allowed every port into one sorted, disjoint, merged list.
func (x *external) unionRuns(lists [][]run, singles []int) []run {
	if len(lists) == 1 && len(singles) == 0 {
		return lists[0]
	}
	full := evaluator.AllPorts(evaluator.Protocols...)
	var cuts []int
	for _, l := range lists {
		for _, r := range l {
			cuts = append(cuts, r.lo, r.hi)
		}
	}
	for _, s := range singles {
		cuts = append(cuts, s, s+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	at := make([]int, len(lists))
	si := 0
	slices.Sort(singles)
	var out []run
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := cuts[i], cuts[i+1]
		var ports evaluator.PortSet
		for li, l := range lists {
			for at[li] < len(l) && l[at[li]].hi <= lo {
				at[li]++
			}
			if at[li] < len(l) && l[at[li]].lo <= lo {
				ports = ports.Union(l[at[li]].ports)
			}
		}
		for si < len(singles) && singles[si] < lo {
			si++
		}
		if si < len(singles) && singles[si] == lo {
			ports = full
		}
		if !ports.Empty() {
			out = x.appendRun(out, run{lo, hi, ports})
		}
	}
	return out
}

// clip turns runs into address ranges inside a set (sorted ranges), merging
// neighbours with equal ports.
func (x *external) clip(runs []run, set []netipx.IPRange) []RangePorts {
	var out []RangePorts
	j := 0
	for _, r := range runs {
		from, to := x.pieces[r.lo].From(), x.pieces[r.hi-1].To()
		for j < len(set) && set[j].To().Less(from) {
			j++
		}
		for k := j; k < len(set) && !to.Less(set[k].From()); k++ {
			lo, hi := maxAddr(from, set[k].From()), minAddr(to, set[k].To())
			if hi.Less(lo) {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Range.To().Next() == lo && out[n-1].Ports.Equal(r.ports) {
				out[n-1].Range = netipx.IPRangeFrom(out[n-1].Range.From(), hi)
				continue
			}
			out = append(out, RangePorts{Range: netipx.IPRangeFrom(lo, hi), Ports: r.ports})
		}
	}
	return out
}

// portsIn is the union of the ports of the runs that meet a set.
func (x *external) portsIn(runs []run, set []netipx.IPRange) evaluator.PortSet {
	var out evaluator.PortSet
	for _, rp := range x.clip(runs, set) {
		out = out.Union(rp.Ports)
	}
	return out
}

// covers reports whether ranges (sorted, inside set) cover all of set, whose
// ranges are maximal.
func covers(ranges []RangePorts, set []netipx.IPRange) bool {
	var merged []netipx.IPRange
	for _, r := range ranges {
		if n := len(merged); n > 0 && merged[n-1].To().Next() == r.Range.From() {
			merged[n-1] = netipx.IPRangeFrom(merged[n-1].From(), r.Range.To())
			continue
		}
		merged = append(merged, r.Range)
	}
	return slices.Equal(merged, set)
}
