package engine

import (
	"math/bits"

	"github.com/netreach/netreach/evaluator"
	"slices"
	"sort"
	"sync"
)

// termIndex answers "which admitting ingress peer sets contain any of these
// classes" one peer at a time instead of one peer list at a time. A peer set
// is the union of its selected classes, its lazy selector terms and its
// ipBlocks; only the selected part is inverted class by class. Lazy terms and
// ipBlocks are few and shared by many sets, and an ipBlock over the pod
// network holds almost every class, so they are tested against the sources
// instead: a lazy term by its selector, an ipBlock by the address positions it
// spans in Graph.addrs.
type termIndex struct {
	// selMember lists, per class, the admitting peer sets whose selected part
	// (not all, lazy terms or blocks) holds it.
	selMember [][]int32
	// lazySets and blockSets list the admitting peer sets naming each lazy
	// term and each block; lazyUsed and blockUsed are the terms with any.
	lazySets, blockSets [][]int32
	lazyUsed, blockUsed []int32
	// blockSpan lists, per block, the intervals [lo, hi) of positions in
	// Graph.addrs whose addresses it matches.
	blockSpan [][][2]int32
	// posStart and posList give, per class, its positions in Graph.addrs
	// (posList[posStart[c]:posStart[c+1]]).
	posStart, posList []int32
	// stab is a segment tree over positions in Graph.addrs: the admitting
	// blocks spanning a position are in the nodes on its leaf's path to the
	// root (leaf of position p: stabLeaves+p).
	stab       [][]int32
	stabLeaves int
	// blockNodes lists, per block, the tree nodes its spans are stored in.
	blockNodes [][]int32
	// nodeStart and nodeList give, per class, the tree nodes on its
	// positions' paths to the root that hold a block, each once
	// (nodeList[nodeStart[c]:nodeStart[c+1]]): most nodes on a path hold
	// none, and reading each of them took 8% of a T5c walk's CPU.
	nodeStart, nodeList []int32
	// lazySet holds the members of each lazy term, for fast membership tests.
	lazySet []peerSet
	// setSize is, per peer set, about how many classes it holds (lazy terms
	// counted by the classes of their namespaces).
	setSize []int32
	// selRuns lists, per peer set, its selected classes (when kept as a
	// list) as runs [lo, hi) of consecutive ids:
	// selRuns[selRunStart[ps]:selRunStart[ps+1]]. Classes are numbered in pod
	// order, so a namespace's classes are mostly consecutive.
	selRunStart []int32
	selRuns     [][2]int32
	// inMaxID numbers, per class, the union of the ports its ingress rules
	// allow (every port when its ingress is open or policies are not
	// enforced) in inMaxSets.
	inMaxID   []int32
	inMaxSets []evaluator.PortSet
	// isolatedDst is, per class, whether it is isolated for ingress and not
	// on the host network: a destination that only ingress rules admit.
	isolatedDst []bool
	// inList holds the ingress rules of the isolated destinations class by
	// class, inList[inStart[c]:inStart[c+1]] for class c (inRulesOf): the
	// lanes read them for classes in id order, which one array keeps close
	// together where the classes' own lists are scattered.
	inList  []ruleRef
	inStart []int32
	// holdKind says, per peer set, which kinds of term can hold a class
	// (holdAll, holdLazy, holdBlocks), and podBlocks lists, per set, its
	// blocks that span some class address (podBlocksOf): the walk asks
	// many sets whether they hold a source, and most are answered from
	// these small tables without reading the set.
	holdKind                 []uint8
	podBlocks, podBlockStart []int32
	// egIDs numbers, per class, its egress rules (in egRules order) among
	// the nEg distinct egress rules of the graph, so that a walk keeps its
	// per-rule state in tables rather than maps. Classes sharing a rule list
	// share its numbers.
	egIDs [][]int32
	nEg   int32
}

// termIdx builds the term index on first use. Its parts are built side by
// side where they do not depend on each other: the admissions and the
// inverted selected parts, the blocks' spans and the sets' sizes, the lazy
// terms' members and the sets' runs, the per-class tables; then the
// segment tree, which needs both the blocks' spans and their sets.
func (g *Graph) termIdx() *termIndex {
	g.termOnce.Do(func() {
		t := &termIndex{}
		var wg sync.WaitGroup
		for _, part := range [][]func(*Graph){
			{(*Graph).buildAdmit, t.invertSets},
			{t.spanBlocks, t.sizeSets},
			{t.memberSets, t.runSets},
			{t.maxIngress, t.numberEgress, t.classTables},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, f := range part {
					f(g)
				}
			}()
		}
		wg.Wait()
		t.buildStab(g)
		g.terms = t
	})
	return g.terms
}

// invertSets fills selMember, lazySets, lazyUsed and blockSets from the
// admitting peer sets (buildAdmit first).
func (t *termIndex) invertSets(g *Graph) {
	t.selMember = make([][]int32, len(g.classes))
	t.lazySets = make([][]int32, len(g.lazyTerms))
	t.blockSets = make([][]int32, len(g.blocks))
	for ps := range g.peerSets {
		set := &g.peerSets[ps]
		if len(g.admittedVia[ps]) == 0 || set.all {
			continue
		}
		add := func(c int32) { t.selMember[c] = append(t.selMember[c], int32(ps)) }
		if set.bits != nil {
			eachBit(set.bits, add)
		} else {
			for _, c := range set.classes {
				add(c)
			}
		}
		for _, id := range set.lazyIDs {
			if l := t.lazySets[id]; len(l) == 0 || l[len(l)-1] != int32(ps) {
				t.lazySets[id] = append(l, int32(ps))
			}
		}
		for _, id := range set.blockIDs {
			if l := t.blockSets[id]; len(l) == 0 || l[len(l)-1] != int32(ps) {
				t.blockSets[id] = append(l, int32(ps))
			}
		}
	}
	for id, sets := range t.lazySets {
		if len(sets) > 0 {
			t.lazyUsed = append(t.lazyUsed, int32(id))
		}
	}
}

// spanBlocks fills blockSpan.
func (t *termIndex) spanBlocks(g *Graph) {
	t.blockSpan = make([][][2]int32, len(g.blocks))
	for id, b := range g.blocks {
		for _, r := range blockSet(b).Ranges() {
			lo := sort.Search(len(g.addrs), func(i int) bool { return g.addrs[i].ip.Compare(r.From()) >= 0 })
			hi := sort.Search(len(g.addrs), func(i int) bool { return g.addrs[i].ip.Compare(r.To()) > 0 })
			if lo < hi {
				t.blockSpan[id] = append(t.blockSpan[id], [2]int32{int32(lo), int32(hi)})
			}
		}
	}
}

// buildStab fills stab, blockNodes and blockUsed (invertSets and
// spanBlocks first).
func (t *termIndex) buildStab(g *Graph) {
	t.stabLeaves = 1
	for t.stabLeaves < len(g.addrs) {
		t.stabLeaves *= 2
	}
	t.stab = make([][]int32, 2*t.stabLeaves)
	t.blockNodes = make([][]int32, len(g.blocks))
	for id, sets := range t.blockSets {
		if len(sets) == 0 {
			continue
		}
		t.blockUsed = append(t.blockUsed, int32(id))
		for _, span := range t.blockSpan[id] {
			// The canonical cover of [lo, hi) by tree nodes.
			for lo, hi := int(span[0])+t.stabLeaves, int(span[1])+t.stabLeaves; lo < hi; lo, hi = lo/2, hi/2 {
				if lo&1 == 1 {
					t.stab[lo] = append(t.stab[lo], int32(id))
					t.blockNodes[id] = append(t.blockNodes[id], int32(lo))
					lo++
				}
				if hi&1 == 1 {
					hi--
					t.stab[hi] = append(t.stab[hi], int32(id))
					t.blockNodes[id] = append(t.blockNodes[id], int32(hi))
				}
			}
		}
	}
	t.nodeStart = make([]int32, len(g.classes)+1)
	seen := make([]int32, len(t.stab)) // per node: the last class listing it, plus one
	for c := range g.classes {
		for _, p := range t.posList[t.posStart[c]:t.posStart[c+1]] {
			for i := int(p) + t.stabLeaves; i >= 1 && seen[i] != int32(c+1); i /= 2 {
				// A node seen for this class has its ancestors seen too.
				seen[i] = int32(c + 1)
				if len(t.stab[i]) > 0 {
					t.nodeList = append(t.nodeList, int32(i))
				}
			}
		}
		t.nodeStart[c+1] = int32(len(t.nodeList))
	}
}

// nodesOf returns the tree nodes holding blocks on the paths of class c's
// positions, each once.
func (t *termIndex) nodesOf(c int32) []int32 { return t.nodeList[t.nodeStart[c]:t.nodeStart[c+1]] }

// memberSets fills lazySet.
func (t *termIndex) memberSets(g *Graph) {
	t.lazySet = make([]peerSet, len(g.lazyTerms))
	for id := range g.lazyTerms {
		t.lazySet[id].setClasses(slices.Clone(g.lazyMembers(int32(id))), len(g.classes))
	}
}

// The kinds of term of a peer set that can hold a class (termIndex.holdKind).
const (
	holdAll    = 1 << iota // the set holds every class (§2.5)
	holdLazy               // lazy selector terms
	holdBlocks             // blocks spanning some class address
)

// sizeSets fills setSize, holdKind, podBlocks and podBlockStart
// (spanBlocks first).
func (t *termIndex) sizeSets(g *Graph) {
	t.setSize = make([]int32, len(g.peerSets))
	t.holdKind = make([]uint8, len(g.peerSets))
	t.podBlockStart = make([]int32, len(g.peerSets)+1)
	for ps := range g.peerSets {
		set := &g.peerSets[ps]
		if set.all {
			t.holdKind[ps] |= holdAll
		}
		if len(set.lazyIDs) > 0 {
			t.holdKind[ps] |= holdLazy
		}
		for _, id := range set.blockIDs {
			if len(t.blockSpan[id]) > 0 {
				t.holdKind[ps] |= holdBlocks
				t.podBlocks = append(t.podBlocks, id)
			}
		}
		t.podBlockStart[ps+1] = int32(len(t.podBlocks))
		n := len(set.classes)
		switch {
		case set.all:
			n = len(g.classes)
		case set.bits != nil:
			n = 0
			for _, word := range set.bits {
				n += bits.OnesCount64(word)
			}
		}
		for _, id := range set.lazyIDs {
			for _, ns := range g.lazyTerms[id].nsList {
				n += len(g.nsClasses[ns])
			}
		}
		for _, id := range set.blockIDs {
			for _, span := range t.blockSpan[id] {
				n += int(span[1] - span[0])
			}
		}
		t.setSize[ps] = int32(min(n, len(g.classes)))
	}
}

// runSets fills selRunStart and selRuns.
func (t *termIndex) runSets(g *Graph) {
	t.selRunStart = make([]int32, len(g.peerSets)+1)
	for ps := range g.peerSets {
		set := &g.peerSets[ps]
		if !set.all && set.bits == nil {
			for i, c := range set.classes {
				if i == 0 || c != set.classes[i-1]+1 {
					t.selRuns = append(t.selRuns, [2]int32{c, c + 1})
				} else {
					t.selRuns[len(t.selRuns)-1][1] = c + 1
				}
			}
		}
		t.selRunStart[ps+1] = int32(len(t.selRuns))
	}
}

// maxIngress fills inMaxID and inMaxSets.
func (t *termIndex) maxIngress(g *Graph) {
	np := g.namedPortSets()
	// Classes share their rule lists, so the union is made once per
	// (rule list, named-port set), and a port spec naming ports is
	// resolved once per named-port set.
	specs := newSpecPorts(g)
	t.inMaxID = make([]int32, len(g.classes))
	type listKey struct {
		rules tableKey
		np    int32
	}
	perList := map[listKey]int32{}
	t.inMaxSets = []evaluator.PortSet{evaluator.AllPorts(evaluator.Protocols...)} // 0: every port
	for c := range g.classes {
		cl := &g.classes[c]
		if !g.enforced || !cl.isolatedIn || cl.hostNetwork {
			continue // every port (id 0)
		}
		lk := listKey{np: np[c]}
		lk.rules.n = len(cl.inRules)
		if lk.rules.n > 0 {
			lk.rules.rules = &cl.inRules[0]
		}
		id, ok := perList[lk]
		if !ok {
			var ports evaluator.PortSet
			for _, q := range cl.inRules {
				ports = ports.Union(specs.ports(q.ports, int32(c)))
			}
			id = int32(len(t.inMaxSets))
			perList[lk] = id
			t.inMaxSets = append(t.inMaxSets, ports)
		}
		t.inMaxID[c] = id
	}
}

// classTables fills isolatedDst, inList, inStart, posStart and posList.
func (t *termIndex) classTables(g *Graph) {
	t.isolatedDst = make([]bool, len(g.classes))
	t.inStart = make([]int32, len(g.classes)+1)
	for c := range g.classes {
		cl := &g.classes[c]
		t.isolatedDst[c] = cl.isolatedIn && !cl.hostNetwork
		t.inStart[c+1] = t.inStart[c]
		if t.isolatedDst[c] {
			t.inStart[c+1] += int32(len(cl.inRules))
		}
	}
	t.inList = make([]ruleRef, 0, t.inStart[len(g.classes)])
	for c := range g.classes {
		if t.isolatedDst[c] {
			t.inList = append(t.inList, g.classes[c].inRules...)
		}
	}
	t.posStart = make([]int32, len(g.classes)+1)
	for _, a := range g.addrs {
		t.posStart[a.class+1]++
	}
	for c := range g.classes {
		t.posStart[c+1] += t.posStart[c]
	}
	t.posList = make([]int32, len(g.addrs))
	next := slices.Clone(t.posStart[:len(g.classes)])
	for i, a := range g.addrs {
		t.posList[next[a.class]] = int32(i)
		next[a.class]++
	}
}

// inRulesOf returns the ingress rules of class c when it is an isolated
// destination (isolatedDst), and none otherwise.
func (t *termIndex) inRulesOf(c int32) []ruleRef { return t.inList[t.inStart[c]:t.inStart[c+1]] }

// podBlocksOf returns the blocks of peer set ps that span some class address.
func (t *termIndex) podBlocksOf(ps int32) []int32 {
	return t.podBlocks[t.podBlockStart[ps]:t.podBlockStart[ps+1]]
}

// numberEgress fills egIDs and nEg.
func (t *termIndex) numberEgress(g *Graph) {
	ids := map[ruleRef]int32{}
	lists := map[tableKey][]int32{}
	t.egIDs = make([][]int32, len(g.classes))
	for c := range g.classes {
		rules := g.classes[c].egRules
		if len(rules) == 0 {
			continue
		}
		key := tableKey{rules: &rules[0], n: len(rules)}
		l, ok := lists[key]
		if !ok {
			l = make([]int32, len(rules))
			for i, r := range rules {
				id, ok := ids[r]
				if !ok {
					id = int32(len(ids))
					ids[r] = id
				}
				l[i] = id
			}
			lists[key] = l
		}
		t.egIDs[c] = l
	}
	t.nEg = int32(len(ids))
}

// inMax returns the union of the ports class c's ingress rules allow.
func (t *termIndex) inMax(c int32) evaluator.PortSet { return t.inMaxSets[t.inMaxID[c]] }

// eachBit calls f for every set bit of a bitmap.
func eachBit(bitmap []uint64, f func(int32)) {
	for w, word := range bitmap {
		for word != 0 {
			f(int32(w*64 + bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
}

// admittingSets calls f(ps, cs) for every admitting ingress peer set ps that
// holds one of the sources (all with open egress, in frontier order) and has
// not been expanded, with cs a source it holds: the first in frontier order
// for selected and lazy members and the lowest address for ipBlocks. Lazy
// terms and blocks found are not tested again in later hops (done).
func (g *Graph) admittingSets(sources []int32, lazyDone, blockDone []bool, f func(ps, cs int32)) {
	t := g.termIdx()
	for _, ps := range g.allSets {
		f(ps, sources[0])
	}
	for _, cs := range sources {
		for _, ps := range t.selMember[cs] {
			f(ps, cs)
		}
	}
	for _, id := range t.lazyUsed {
		if lazyDone[id] {
			continue
		}
		lt := &t.lazySet[id]
		for _, cs := range sources {
			if lt.hasSelected(cs) {
				lazyDone[id] = true
				for _, ps := range t.lazySets[id] {
					f(ps, cs)
				}
				break
			}
		}
	}
	var pos []int32
	for _, cs := range sources {
		pos = append(pos, t.posList[t.posStart[cs]:t.posStart[cs+1]]...)
	}
	if len(pos) == 0 {
		return
	}
	slices.Sort(pos)
	for _, id := range t.blockUsed {
		if blockDone[id] {
			continue
		}
		for _, span := range t.blockSpan[id] {
			i, _ := slices.BinarySearch(pos, span[0])
			if i < len(pos) && pos[i] < span[1] {
				blockDone[id] = true
				cs := g.addrs[pos[i]].class
				for _, ps := range t.blockSets[id] {
					f(ps, cs)
				}
				break
			}
		}
	}
}

// peerSetSize is about how many classes peer set ps holds.
func (g *Graph) peerSetSize(ps int32) int32 { return g.termIdx().setSize[ps] }

// setsHolding calls f for every admitting ingress peer set that holds class
// cs, passing over the blocks and tree nodes dead reports dead; a set may
// come more than once. sel lists the sets whose selected part holds cs
// (termIndex.selMember, or the part of it a lane asks about).
func (g *Graph) setsHolding(cs int32, sel []int32, dead *deadTerms, f func(ps int32)) {
	t := g.termIdx()
	for _, ps := range g.allSets { // §2.5: an empty from holds every class
		f(ps)
	}
	for _, ps := range sel {
		f(ps)
	}
	for _, id := range t.lazyUsed {
		if !dead.lazy(id) && t.lazySet[id].hasSelected(cs) {
			for _, ps := range t.lazySets[id] {
				f(ps)
			}
		}
	}
	// §2.8: the blocks spanning one of the class's addresses.
	for _, i := range t.nodesOf(cs) {
		if dead.nodeAllDead(i, len(t.stab[i])) {
			continue
		}
		for _, id := range t.stab[i] {
			if dead.block(id) {
				continue
			}
			for _, ps := range t.blockSets[id] {
				f(ps)
			}
		}
	}
}

// deadTerms tracks, during one hop of a walk, the blocks none of whose
// admitting sets can add anything any more, and per segment tree node how
// many of its blocks are dead, so that whole nodes are passed over.
type deadTerms struct {
	t                   *termIndex
	hop                 int32
	blockHop            []int32 // hop at which the block died (-1: for good)
	nodeHop, nodeCount  []int32 // per tree node: the hop nodeCount counts for
	nodeForever         []int32 // per tree node: its blocks dead for good
	setHop              []int32 // per peer set: the hop it died at (0: alive, -1: for good)
	blockSets, blockNds [][]int32
	// Per block: how many of its admitting sets are dead at blockCountHop
	// and for good.
	blockCountHop, blockCount, blockForever []int32
	// Per lazy term: the hop it died at (-1: for good), and how many of its
	// admitting sets are dead at lazyCountHop and for good.
	lazyHop, lazyCountHop  []int32
	lazyCount, lazyForever []int32
	lazySets               [][]int32
}

// lazy reports whether every admitting set of lazy term id is dead.
func (d *deadTerms) lazy(id int32) bool {
	h := d.lazyHop[id]
	return h < 0 || h == d.hop
}

func (d *deadTerms) block(id int32) bool {
	h := d.blockHop[id]
	return h < 0 || h == d.hop
}

func (d *deadTerms) nodeAllDead(node int32, size int) bool {
	n := d.nodeForever[node]
	if d.nodeHop[node] == d.hop {
		n = d.nodeCount[node]
	}
	return int(n) == size
}

// newDeadTerms starts the dead-term tracking of a walk; setHop holds, per
// peer set, the hop at which it died (0: alive, -1: for good).
func (t *termIndex) newDeadTerms(setHop []int32) *deadTerms {
	nodes := len(t.stab)
	lazies := len(t.lazySets)
	blocks := len(t.blockSets)
	return &deadTerms{t: t, blockHop: make([]int32, blocks), nodeHop: make([]int32, nodes), nodeCount: make([]int32, nodes),
		blockCountHop: make([]int32, blocks), blockCount: make([]int32, blocks), blockForever: make([]int32, blocks),
		nodeForever: make([]int32, nodes), setHop: setHop, blockSets: t.blockSets, blockNds: t.blockNodes,
		lazyHop: make([]int32, lazies), lazyCountHop: make([]int32, lazies), lazyCount: make([]int32, lazies),
		lazyForever: make([]int32, lazies), lazySets: t.lazySets}
}

// reset clears the tracking for a new walk.
func (d *deadTerms) reset() {
	d.hop = 0
	for _, a := range [][]int32{d.blockHop, d.blockCountHop, d.blockCount, d.blockForever, d.nodeHop, d.nodeCount, d.nodeForever,
		d.lazyHop, d.lazyCountHop, d.lazyCount, d.lazyForever} {
		clear(a)
	}
}

// setDied is told that peer set ps died (for good when forever); blocks
// and lazy terms all of whose sets are dead die with it. Each set is told
// at most once per hop, and not again once it died for good: the counts
// rely on it.
func (d *deadTerms) setDied(g *Graph, ps int32, forever bool) {
	// Most sets have neither lazy terms nor blocks, which the byte per set
	// tells without reading the set.
	kind := d.t.holdKind[ps]
	if kind&holdAll != 0 || kind&(holdLazy|holdBlocks) == 0 {
		return // not among the sets of its terms (termIndex.invertSets)
	}
	if kind&holdLazy != 0 {
		lazyIDs := g.peerSets[ps].lazyIDs
		for i, id := range lazyIDs {
			if !slices.Contains(lazyIDs[:i], id) {
				d.termSetDied(id, int32(len(d.lazySets[id])), forever, d.lazyHop, d.lazyCountHop, d.lazyCount, d.lazyForever)
			}
		}
	}
	// Only the blocks spanning a class address are asked about (through
	// the segment tree), so only they are counted.
	blocks := d.t.podBlocksOf(ps)
	for i, id := range blocks {
		if slices.Contains(blocks[:i], id) {
			continue
		}
		was := d.blockHop[id]
		now := d.termSetDied(id, int32(len(d.blockSets[id])), forever, d.blockHop, d.blockCountHop, d.blockCount, d.blockForever)
		if now == was {
			continue
		}
		// The tree nodes count the block among their dead ones at this hop
		// from its first death in the hop on, and for good once it is.
		for _, n := range d.blockNds[id] {
			if d.nodeHop[n] != d.hop {
				d.nodeHop[n], d.nodeCount[n] = d.hop, d.nodeForever[n]
			}
			if was != d.hop {
				d.nodeCount[n]++
			}
			if now < 0 {
				d.nodeForever[n]++
			}
		}
	}
}

// termSetDied counts one more dead set of term id, which has n sets, in the
// term tables given (the hop the term died at, -1 for good; the hop count
// counts for; the sets dead at that hop and for good), and returns the hop
// the term is now dead at (-1: for good; anything but the current hop:
// alive). A set that dies for good while its term is already dead for the
// hop still counts, so that the term can die for good.
func (d *deadTerms) termSetDied(id, n int32, forever bool, died, countHop, count, forGood []int32) int32 {
	if died[id] < 0 {
		return -1
	}
	if countHop[id] != d.hop {
		countHop[id], count[id] = d.hop, forGood[id]
	}
	count[id]++
	if forever {
		forGood[id]++
	}
	switch {
	case forGood[id] == n:
		died[id] = -1
	case count[id] == n:
		died[id] = d.hop
	}
	return died[id]
}

// holds reports whether class c is a peer of set p, like inPeerSet, with lazy
// terms looked up in their member sets instead of matched label by label.
func (g *Graph) holds(t *termIndex, p *peerSet, c int32) bool {
	// §2.6: the peer list is an OR of its items; §2.8: an ipBlock matches the
	// addresses it covers minus its excepts (hostNetwork pods by node IP, §2.11).
	if p.hasSelected(c) {
		return true
	}
	for _, id := range p.lazyIDs {
		if t.lazySet[id].hasSelected(c) {
			return true
		}
	}
	for _, id := range p.blockIDs {
		if t.blockHolds(id, c) {
			return true
		}
	}
	return false
}

// blockHolds reports whether block id matches an address of class c (§2.8):
// whether one of the class's positions in Graph.addrs lies in the block's
// spans.
func (t *termIndex) blockHolds(id, c int32) bool {
	spans := t.blockSpan[id]
	for _, pos := range t.posList[t.posStart[c]:t.posStart[c+1]] {
		i := sort.Search(len(spans), func(i int) bool { return spans[i][1] > pos })
		if i < len(spans) && spans[i][0] <= pos {
			return true
		}
	}
	return false
}
