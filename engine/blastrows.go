package engine

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/netreach/netreach/evaluator"
)

// This file holds the isolated rows of a blast-radius hop: the sources with
// isolated egress towards the destinations with isolated ingress, where an
// egress rule of the source and an ingress rule of the destination must both
// allow (§2.4). The work is shared out by destination class between lanes
// that run side by side: a lane owns the per-class state of its destinations,
// so lanes never write the same entry.

// walkLanes is the number of lanes a walk without paths uses (0: one per
// processor, at most maxLanes); a variable so that tests can drive it.
var walkLanes = 0

const maxLanes = 4

// reverseMinPeers is the peer count above which an egress rule is expanded
// from the ingress side (a variable so that tests can drive both ways).
var reverseMinPeers = 4096

// lane is the state of one share of the isolated rows: the destination
// classes lo <= cd < hi. A share is a range of class ids, not every n-th
// class, so that a lane walks only its part of a rule's runs of classes and
// of a peer set's admissions (both sorted by class) instead of passing over
// the other lanes' classes one by one.
type lane struct {
	w      *walk
	lo, hi int32
	layer  []int32 // classes of this lane first reached at the hop
	// left marks, per index in the hop's rules, the forward rules that
	// named a class of this lane not yet reached at all.
	left []bool
	// stamp marks the peer sets met while one egress rule is expanded
	// (stamp[ps] == stampNow), with the first source each holds.
	stamp, stampSrc []int32
	stampNow        int32
	// psDead is, per ingress peer set, the hop at which none of its
	// admissions to this lane's classes can add anything (-1: at no later
	// hop either).
	psDead []int32
	order  []int32    // ruleFromAdmitters' buffer of the sets met
	dead   *deadTerms // blocks, lazy terms and tree nodes with only dead sets
	// chains pass over the classes and the positions of Graph.addrs the
	// lane need never visit again (eachLivePeer).
	chains chains
	// specs resolves port specs towards the lane's destinations (portsFor).
	specs *specPorts
	// holders finds which of one rule's sources an admitting set holds.
	holders holders
	// selList holds, per class c, the admitting sets whose selected part
	// holds c and that admit a class of the lane:
	// selList[selStart[c]:selStart[c+1]] (selOf). The lane never asks
	// about another set, and at T5 a class's list is about half as long.
	selList, selStart []int32
	// admitAt holds, per peer set ps, where the lane's part of its
	// admissions lies in Graph.admitList: [admitAt[2ps], admitAt[2ps+1]),
	// found on first use (admitAt[2ps] < 0: not yet). The graph does not
	// change under a kept lane, so it holds for every walk.
	admitAt []int32
}

// selOf returns the admitting sets whose selected part holds class c and
// that admit one of the lane's classes, made on first use (a lane that holds
// every class, when it is the only one, reads termIndex.selMember itself).
func (l *lane) selOf(c int32) []int32 {
	g := l.w.g
	t := g.termIdx()
	if l.lo == 0 && int(l.hi) == len(g.classes) {
		return t.selMember[c]
	}
	if l.selStart == nil {
		mine := make([]bool, len(g.peerSets))
		for ps := range g.peerSets {
			mine[ps] = len(l.admissions(int32(ps))) > 0
		}
		// Counted first, then filled: one allocation of the exact size.
		l.selStart = make([]int32, len(g.classes)+1)
		for c, sets := range t.selMember {
			n := l.selStart[c]
			for _, ps := range sets {
				if mine[ps] {
					n++
				}
			}
			l.selStart[c+1] = n
		}
		l.selList = make([]int32, 0, l.selStart[len(g.classes)])
		for _, sets := range t.selMember {
			for _, ps := range sets {
				if mine[ps] {
					l.selList = append(l.selList, ps)
				}
			}
		}
	}
	return l.selList[l.selStart[c]:l.selStart[c+1]]
}

// isolatedRows reaches the ingress-isolated destinations of the frontier's
// sources: first those that the sets in open admit (the sources with open
// egress), then those of the sources with isolated egress. The latter works
// per egress rule for all the sources that have it: a destination the rule
// names is reached when one of its ingress rules names a peer set holding
// one of those sources, on the ports both rules allow. The work grows with
// the rules and peer sets met, not with sources times destinations. When
// side is not nil, the lanes start once it is done (the open side of the
// hop, which holds a core until then).
func (w *walk) isolatedRows(frontier []int32, hop int32, side *sync.WaitGroup, open openSets) {
	g := w.g
	// The rules in the order the frontier meets them, and each rule's
	// sources in frontier order: srcs[start[i]:start[i+1]] for rules[i].
	hr := &w.scratch.rows
	rules, ids, pairs := hr.rules[:0], hr.ids[:0], hr.pairs[:0]
	t := g.termIdx()
	slot := w.scratch.ruleSlot
	w.scratch.round++
	round := w.scratch.round
	for _, cs := range frontier {
		cl := &g.classes[cs]
		if cl.hostNetwork || !cl.isolatedEg {
			continue
		}
		for k, id := range t.egIDs[cs] {
			if h := w.exhausted[id]; h > 0 && h < hop {
				continue // every destination of the rule was reached before
			}
			m := &slot[id]
			if m.now != round {
				m.now, m.val = round, int32(len(rules))
				rules = append(rules, cl.egRules[k])
				ids = append(ids, id)
			}
			pairs = append(pairs, rulePair{m.val, cs})
		}
	}
	hr.rules, hr.ids, hr.pairs = rules, ids, pairs
	if len(rules) == 0 && len(open.sets) == 0 {
		return
	}
	start := slices.Grow(hr.start[:0], len(rules)+1)[:len(rules)+1]
	clear(start)
	for _, p := range pairs {
		start[p.rule+1]++
	}
	for i := range rules {
		start[i+1] += start[i]
	}
	srcs := slices.Grow(hr.srcs[:0], len(pairs))[:len(pairs)]
	next := append(hr.next[:0], start[:len(rules)]...)
	for _, p := range pairs {
		srcs[next[p.rule]] = p.src
		next[p.rule]++
	}
	hr.start, hr.srcs, hr.next = start, srcs, next
	sources := func(i int) []int32 { return srcs[start[i]:start[i+1]] }
	if w.lanes == nil {
		n := walkLanes
		if n <= 0 {
			n = min(runtime.GOMAXPROCS(0), maxLanes)
		}
		if w.paths {
			n = 1 // the groups of the shortest-path graph are kept in order
		}
		if len(w.scratch.lanes) == n {
			w.lanes = w.scratch.lanes
			for _, l := range w.lanes {
				l.reset(w)
			}
		} else {
			for i := range n {
				w.lanes = append(w.lanes, w.newLane(int32(i), int32(n)))
			}
			w.scratch.lanes = w.lanes
		}
	}
	run := func(l *lane) {
		l.layer = l.layer[:0]
		l.openAdmissions(open, hop)
		l.left = slices.Grow(l.left[:0], len(rules))[:len(rules)]
		clear(l.left)
		for i, r := range rules {
			if int(g.peerSetSize(r.peers)) > reverseMinPeers {
				l.ruleFromAdmitters(r, sources(i), hop)
			} else {
				l.left[i] = l.ruleToPeers(r, sources(i), hop)
			}
		}
	}
	if side != nil {
		side.Wait()
	}
	if len(w.lanes) == 1 {
		run(w.lanes[0])
	} else {
		var wg sync.WaitGroup
		for _, l := range w.lanes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(l)
			}()
		}
		wg.Wait()
	}
	for _, l := range w.lanes {
		w.layers[hop] = append(w.layers[hop], l.layer...)
	}
	for i, r := range rules {
		if int(g.peerSetSize(r.peers)) > reverseMinPeers {
			continue
		}
		left := false
		for _, l := range w.lanes {
			left = left || l.left[i]
		}
		if !left {
			// Sources of later hops find nothing new through this rule
			// (which is then skipped, so this happens once per rule).
			w.exhausted[ids[i]] = hop
			w.rulesMet = append(w.rulesMet, ids[i])
		}
	}
}

// hopRules are a hop's egress rules met by sources with isolated egress
// (rules, with their numbers in ids) and each rule's sources in frontier
// order, srcs[start[i]:start[i+1]] for rules[i], found through pairs.
type hopRules struct {
	rules            []ruleRef
	ids, start, srcs []int32
	next             []int32
	pairs            []rulePair
}

// rulePair is a source and the index of one of its rules in hopRules.rules.
type rulePair struct{ rule, src int32 }

// openAdmissions reaches the lane's classes that the sets in open admit,
// from each set's first source (§2.3, §2.4).
func (l *lane) openAdmissions(open openSets, hop int32) {
	w := l.w
	g := w.g
	for i, ps := range open.sets {
		cs := open.from[i]
		w.group(edgeGroup{kind: groupPeerSet, hop: hop, ps: ps})
		for _, a := range l.admissions(ps) {
			if w.done(a.class, hop) {
				continue
			}
			if ports := w.filtered(g.admitPorts[a.ports]); !ports.Empty() {
				w.visitClassFrom(cs, a.class, hop, w.pos[cs], ports, &l.layer)
			}
		}
	}
}

// newLane makes lane part of parts for walk w.
func (w *walk) newLane(part, parts int32) *lane {
	n := len(w.g.peerSets)
	k := int64(len(w.g.classes))
	lo, hi := int32(int64(part)*k/int64(parts)), int32(int64(part+1)*k/int64(parts))
	l := &lane{w: w, lo: lo, hi: hi, stamp: make([]int32, n), stampSrc: make([]int32, n), psDead: make([]int32, n),
		specs: newSpecPorts(w.g), admitAt: make([]int32, 2*n)}
	for i := range l.admitAt {
		l.admitAt[i] = -1
	}
	l.holders = holders{g: w.g, t: w.g.termIdx(), sel: l.selOf}
	return l
}

// reset readies a lane kept from an earlier walk for walk w. The stamps
// and holders need no clearing: their round numbers only grow.
func (l *lane) reset(w *walk) {
	l.w = w
	clear(l.psDead)
	if l.dead != nil {
		l.dead.reset()
	}
	l.chains.reset()
}

// portsFor returns the ports port spec number spec allows towards class cd
// (§2.9: named ports resolve on the destination's containers).
func (l *lane) portsFor(spec, cd int32) evaluator.PortSet { return l.specs.ports(spec, cd) }

// mine reports whether destination class cd belongs to the lane.
func (l *lane) mine(cd int32) bool { return l.lo <= cd && cd < l.hi }

// admit reaches cd at hop from src through egress rule r and an ingress rule
// of cd naming peer set ps that allows the ports in (already filtered), on
// the ports both rules allow (§2.4).
func (l *lane) admit(r ruleRef, ps int32, in evaluator.PortSet, src, cd, hop int32, groups map[int32]int32) {
	w := l.w
	// §2.4: both sides allow; §2.9: named ports resolve on the destination.
	ports := l.portsFor(r.ports, cd).Intersect(in)
	if ports.Empty() {
		return
	}
	if w.paths {
		gid, ok := groups[ps]
		if !ok {
			w.group(edgeGroup{kind: groupRuleIn, hop: hop, rule: r, ps: ps})
			gid = w.curGroup
			groups[ps] = gid
		}
		w.curGroup = gid
	}
	w.visitClassFrom(src, cd, hop, w.pos[src], ports, &l.layer)
}

// settled reports whether an edge into cd at hop allowing at most the ports
// in would change nothing: cd is already reached at this hop on all of them.
// Paths need every edge, so nothing is settled when they are wanted.
func (w *walk) settled(cd, hop int32, in evaluator.PortSet) bool {
	return !w.paths && w.wholeHop[cd] == hop && w.wholePorts[cd].Covers(in)
}

// ruleToPeers expands egress rule r from the frontier sources srcs that have
// it towards the lane's isolated destinations among its peers: a destination
// is reached when one of its ingress rules names a peer set holding one of
// srcs. It reports whether the rule named a class of the lane not reached
// at all yet.
func (l *lane) ruleToPeers(r ruleRef, srcs []int32, hop int32) bool {
	w := l.w
	g := w.g
	t := g.termIdx()
	l.stampNow++
	// Per ingress peer set ps met: the first source (in frontier order) it
	// holds, or -1 (l.stampSrc[ps], valid when l.stamp[ps] == l.stampNow).
	var groups map[int32]int32
	if w.paths {
		groups = map[int32]int32{}
	}
	started, left := false, false
	l.eachLivePeer(r.peers, hop, func(cd int32) {
		if !started {
			// Most rules of a late hop have no live peer left: their
			// sources' sets are marked only when one is met.
			l.holders.start(srcs)
			started = true
		}
		if w.wholeHop[cd] < 0 {
			left = true
		}
		for _, q := range t.inRulesOf(cd) {
			if l.stamp[q.peers] != l.stampNow {
				l.stamp[q.peers], l.stampSrc[q.peers] = l.stampNow, -1
				if i := l.holders.first(q.peers); i >= 0 {
					l.stampSrc[q.peers] = srcs[i]
				}
			}
			src := l.stampSrc[q.peers]
			if src < 0 {
				continue
			}
			in := w.filtered(l.portsFor(q.ports, cd))
			if in.Empty() || w.settled(cd, hop, in) {
				continue
			}
			l.admit(r, q.peers, in, src, cd, hop, groups)
		}
	})
	return left
}

// eachLivePeer calls f for the lane's classes of peer set ps that an
// isolated rule can still reach at hop: isolated for ingress, not on the
// host network, and not done (reached before this hop, or at this hop on
// every port they admit).
func (l *lane) eachLivePeer(ps, hop int32, f func(int32)) {
	w := l.w
	t := w.g.termIdx()
	l.chains.eachLive(w.g, ps, l.lo, l.hi, func(cd int32) bool {
		return l.mine(cd) && t.isolatedDst[cd] && !w.done(cd, hop)
	}, f)
}

// chains are skip chains over class ids and over positions in Graph.addrs,
// through which the peers of many rules are walked in one walk, and the
// same for peer sets kept as bitmaps: a bitmap of the classes that may
// still count.
type chains struct {
	class, pos skipChain
	live       []uint64
}

// reset makes every class and position count again (nothing to do when the
// chains were never made).
func (c *chains) reset() {
	if c.class != nil {
		c.class.reset()
		c.pos.reset()
		fillBits(c.live)
	}
}

// fillBits sets every bit of a bitmap.
func fillBits(bitmap []uint64) {
	for i := range bitmap {
		bitmap[i] = ^uint64(0)
	}
}

// eachLive calls f for the classes of peer set ps that live accepts, of
// those with ids in [lo, hi) when they are walked by id. The selected
// classes are walked run by run of consecutive ids and the addresses an
// ipBlock spans position by position, both through the chains, which drop
// what live rejects: live must go on rejecting a class for the rest of the
// walk once it has, so that a later rule naming it does not visit it, and
// must reject the classes outside [lo, hi).
func (c *chains) eachLive(g *Graph, ps, lo, hi int32, live func(int32) bool, f func(int32)) {
	t := g.termIdx()
	p := &g.peerSets[ps]
	if c.class == nil {
		c.class, c.pos = newSkipChain(len(g.classes)), newSkipChain(len(g.addrs))
		c.live = make([]uint64, (len(g.classes)+63)/64)
		fillBits(c.live)
	}
	// walk calls f for the live entries in [lo, hi) of a chain, class(i)
	// being the class at entry i, and drops the others from the chain.
	walk := func(chain skipChain, lo, hi int32, class func(int32) int32) {
		for i := chain.next(lo); i < hi; i = chain.next(i + 1) {
			if cd := class(i); live(cd) {
				f(cd)
			} else {
				chain[i] = i + 1 // never live again in this walk
			}
		}
	}
	itself := func(i int32) int32 { return i }
	switch {
	case p.all:
		walk(c.class, lo, hi, itself)
	case p.bits != nil && lo < hi:
		// The words that hold [lo, hi), their bits outside it masked off.
		for wi := lo / 64; wi <= (hi-1)/64; wi++ {
			word := p.bits[wi] & c.live[wi]
			if wi == lo/64 {
				word &= ^uint64(0) << (lo % 64)
			}
			if wi == (hi-1)/64 {
				word &= ^uint64(0) >> (63 - (hi-1)%64)
			}
			for ; word != 0; word &= word - 1 {
				bit := bits.TrailingZeros64(word)
				if cd := wi*64 + int32(bit); live(cd) {
					f(cd)
				} else {
					c.live[wi] &^= 1 << bit // never live again in this walk
				}
			}
		}
	default:
		runs := t.selRuns[t.selRunStart[ps]:t.selRunStart[ps+1]]
		// The runs are in id order: those ending after lo, up to hi.
		first, _ := slices.BinarySearchFunc(runs, lo, func(run [2]int32, lo int32) int { return cmp.Compare(run[1], lo+1) })
		for _, run := range runs[first:] {
			if run[0] >= hi {
				break
			}
			walk(c.class, max(run[0], lo), min(run[1], hi), itself)
		}
	}
	for _, id := range p.lazyIDs {
		for _, cd := range g.lazyMembers(id) {
			if live(cd) {
				f(cd)
			}
		}
	}
	at := func(i int32) int32 { return g.addrs[i].class }
	for _, id := range p.blockIDs {
		for _, span := range t.blockSpan[id] {
			walk(c.pos, span[0], span[1], at)
		}
	}
}

// skipChain passes over entries of an index range that are done with:
// chain[i] leads to the next entry that may still count (chain[i] == i: entry
// i itself); the last entry is a sentinel.
type skipChain []int32

func newSkipChain(n int) skipChain {
	c := make(skipChain, n+1)
	c.reset()
	return c
}

// reset makes every entry count again.
func (c skipChain) reset() {
	for i := range c {
		c[i] = int32(i)
	}
}

// next returns the first entry from i on that the chain has not passed
// over, shortening the links it follows.
func (c skipChain) next(i int32) int32 {
	for c[i] != i {
		n := c[c[i]]
		c[i] = n
		i = n
	}
	return i
}

// ruleFromAdmitters expands egress rule r from the ingress side: the peer sets
// holding one of srcs, then the lane's isolated classes those sets admit,
// kept when the rule's peers include them. For a rule naming most of the
// cluster (an ipBlock over the pod network) this costs what the sources'
// admitters hold rather than every class of the cluster.
func (l *lane) ruleFromAdmitters(r ruleRef, srcs []int32, hop int32) {
	w := l.w
	g := w.g
	t := g.termIdx()
	peers := &g.peerSets[r.peers]
	l.stampNow++
	if l.dead == nil {
		l.dead = t.newDeadTerms(l.psDead)
	}
	l.dead.hop = hop
	order := l.order[:0]
	for _, cs := range srcs {
		g.setsHolding(cs, l.selOf(cs), l.dead, func(ps int32) {
			if d := l.psDead[ps]; d == hop || d < 0 {
				return // nothing to add through it
			}
			if l.stamp[ps] != l.stampNow {
				l.stamp[ps], l.stampSrc[ps] = l.stampNow, cs
				order = append(order, ps)
			}
		})
	}
	l.order = order // reused by the next rule: at T5 each rule meets ~16k sets
	var groups map[int32]int32
	if w.paths {
		groups = map[int32]int32{}
	}
	for _, ps := range order {
		// A set none of whose admissions can change anything at this hop
		// (or at any later hop) is not looked at again.
		live, later := false, false
		for _, a := range l.admissions(ps) {
			cd := a.class
			if w.done(cd, hop) {
				continue
			}
			in := w.filtered(g.admitPorts[a.ports])
			if in.Empty() {
				continue
			}
			later = true
			if w.settled(cd, hop, in) {
				continue
			}
			live = true
			if g.holds(t, peers, cd) {
				l.admit(r, ps, in, l.stampSrc[ps], cd, hop, groups)
			}
		}
		switch {
		case !later:
			l.psDead[ps] = -1
		case !live:
			l.psDead[ps] = hop
		default:
			continue
		}
		l.dead.setDied(g, ps, l.psDead[ps] < 0)
	}
}

// admissions returns the admissions of peer set ps to the lane's classes:
// its part of the set's list, which is in class order.
func (l *lane) admissions(ps int32) []admitRule {
	g := l.w.g
	if at := l.admitAt[2*ps]; at >= 0 {
		return g.admitList[at:l.admitAt[2*ps+1]]
	}
	all := g.admissions(ps)
	byClass := func(a admitRule, c int32) int { return cmp.Compare(a.class, c) }
	i, _ := slices.BinarySearchFunc(all, l.lo, byClass)
	j, _ := slices.BinarySearchFunc(all[i:], l.hi, byClass)
	from := g.admitStart[ps] + int32(i)
	l.admitAt[2*ps], l.admitAt[2*ps+1] = from, from+int32(j)
	return all[i : i+j]
}

// holders answers, for the sources of one egress rule, which of them an
// admitting peer set holds first (in frontier order), sharing the work
// between the sets: the sets selecting each source are marked once, and
// each lazy term and block is tested once against the sources. Its tables
// are made on the first round.
type holders struct {
	g    *Graph
	t    *termIndex
	srcs []int32
	now  int32
	// marked is a copy of the sources the round's marks are for (srcs
	// lies in a buffer that later hops overwrite).
	marked []int32
	// sel lists the sets whose selected part holds a class (lane.selOf).
	sel func(c int32) []int32
	// Per peer set, lazy term and block: the round (now) the entry is for
	// and the index in srcs of the first source held (-1: none).
	selNow, selIdx     []int32
	lazyNow, lazyIdx   []int32
	blockNow, blockIdx []int32
}

// start begins a round for the sources srcs of one rule.
func (h *holders) start(srcs []int32) {
	if h.selNow == nil {
		g := h.g
		h.selNow, h.selIdx = make([]int32, len(g.peerSets)), make([]int32, len(g.peerSets))
		h.lazyNow, h.lazyIdx = make([]int32, len(g.lazyTerms)), make([]int32, len(g.lazyTerms))
		h.blockNow, h.blockIdx = make([]int32, len(g.blocks)), make([]int32, len(g.blocks))
	}
	if h.now > 0 && slices.Equal(srcs, h.marked) {
		// Consecutive rules often have the same sources (those of one
		// policy): the round's marks still hold.
		h.srcs = srcs
		return
	}
	h.marked = append(h.marked[:0], srcs...)
	h.now++
	h.srcs = srcs
	// Later sources first, so that the first source holding a set is kept.
	for i := len(srcs) - 1; i >= 0; i-- {
		for _, ps := range h.sel(srcs[i]) {
			h.selNow[ps], h.selIdx[ps] = h.now, int32(i)
		}
	}
}

// first returns the index in the round's sources of the first one that
// peer set ps holds, or -1.
func (h *holders) first(ps int32) int32 {
	kind := h.t.holdKind[ps]
	// §2.5: an empty from holds every source.
	if kind&holdAll != 0 {
		return 0
	}
	// §2.6: the set holds a source when any of its peers does.
	best := int32(-1)
	if h.selNow[ps] == h.now {
		best = h.selIdx[ps]
	}
	if kind&(holdLazy|holdBlocks) == 0 {
		return best
	}
	for _, id := range h.g.peerSets[ps].lazyIDs {
		if h.lazyNow[id] != h.now {
			h.lazyNow[id], h.lazyIdx[id] = h.now, -1
			for i, cs := range h.srcs {
				if h.t.lazySet[id].hasSelected(cs) {
					h.lazyIdx[id] = int32(i)
					break
				}
			}
		}
		if i := h.lazyIdx[id]; i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	// §2.8: a block holds a source whose address position it spans.
	for _, id := range h.t.podBlocksOf(ps) {
		if best == 0 {
			break
		}
		if h.blockNow[id] != h.now {
			h.blockNow[id], h.blockIdx[id] = h.now, -1
			for i, cs := range h.srcs {
				if h.t.blockHolds(id, cs) {
					h.blockIdx[id] = int32(i)
					break
				}
			}
		}
		if i := h.blockIdx[id]; i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// mark is a table entry that counts only in round now, holding val.
type mark struct{ now, val int32 }
