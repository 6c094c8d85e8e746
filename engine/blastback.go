package engine

import (
	"slices"

	"github.com/netreach/netreach/evaluator"
)

// This file finds the edges of the shortest-path graph backwards, for the
// classes that lead to the targets only, on a walk that kept no paths. An
// edge into class c, every pod of which is reached at hop h, comes from a
// class of hop h-1; those sources come in the same groups the walk with
// paths records (edgeGroup), so targets reads them alike. Whether a group
// has an edge into c is decided from the rules alone: every member of it
// has one, or none does.

// backEdgeBudget bounds the peer-set tests the backward search makes before
// it leaves the targets to a second walk that keeps every edge (0: always
// the second walk; a variable so that tests can drive both ways).
var backEdgeBudget = 20_000_000

// backEdges is the backward search's state, per walk.
type backEdges struct {
	index map[edgeGroup]int32 // groups made so far, by what they are
	// Per hop h, made on first use: the egress rules of the sources of hop
	// h-1 with isolated egress (each once, in frontier order), the sources
	// of each, and the sources with open egress.
	rules  map[int32][]ruleRef
	bySrc  map[int32]map[ruleRef][]int32
	open   map[int32][]int32
	groups map[int32][]int32 // class → its groups
	// onNode caches the host-network sources of a hop on a node.
	onNode  map[nodeHop][]int32
	tests   int  // peer-set tests made
	overrun bool // more than backEdgeBudget tests were needed
}

// startBack readies a walk without paths for targets: its groups are found
// when asked for (predGroupsOf, podPredsOf).
func (w *walk) startBack() {
	w.back = &backEdges{index: map[edgeGroup]int32{}, rules: map[int32][]ruleRef{}, bySrc: map[int32]map[ruleRef][]int32{},
		open: map[int32][]int32{}, groups: map[int32][]int32{}, onNode: map[nodeHop][]int32{}}
	w.groupMembers = map[int32][]int32{}
}

// predGroupsOf returns the groups of sources at hop h-1 with an edge into
// every pod of class c, h being the hop every pod of c is reached at.
func (w *walk) predGroupsOf(c int32) []int32 {
	if w.back == nil {
		return w.predGroups[c]
	}
	if gs, ok := w.back.groups[c]; ok {
		return gs
	}
	gs := w.findGroups(c)
	w.back.groups[c] = gs
	return gs
}

// targetPreds returns the classes of hop h-1 that reach pod pi, first
// reached at hop h: the members of the groups with an edge into its class,
// and the host-network classes of its node (§2.10).
func (w *walk) targetPreds(pi, h int32) []int32 {
	var out []int32
	if c := w.g.podClass[pi]; w.wholeHop[c] == h {
		for _, gid := range w.predGroupsOf(c) {
			out = append(out, w.members(gid)...)
		}
	}
	if r := w.podAt(pi); r != nil && r.hop == h {
		out = append(out, w.podPredsOf(pi)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// podPredsOf returns the host-network classes of the hop before pod pi's
// that reach it on their own (§2.10).
func (w *walk) podPredsOf(pi int32) []int32 {
	if w.back == nil {
		return w.podPreds[pi]
	}
	g := w.g
	r := w.podAt(pi)
	if r == nil || r.hop <= 0 || !g.enforced || w.filtered(evaluator.AllPorts(evaluator.Protocols...)).Empty() {
		return nil
	}
	key := nodeHop{g.pods[pi].NodeName, r.hop}
	if out, ok := w.back.onNode[key]; ok {
		return out
	}
	var out []int32
	for _, cs := range w.layers[r.hop-1] {
		// §2.10: a host-network pod reaches every pod of its own node.
		if cl := &g.classes[cs]; cl.hostNetwork && cl.rep.NodeName == key.node {
			out = append(out, cs)
		}
	}
	w.back.onNode[key] = out
	return out
}

// nodeHop is a node at a hop.
type nodeHop struct {
	node string
	hop  int32
}

// backGroup numbers a group of sources, once per walk, and finds its
// members (what walk.members finds by scanning the hop): -1 when it has
// none, as the walk with paths makes no such group.
func (w *walk) backGroup(e edgeGroup) int32 {
	if id, ok := w.back.index[e]; ok {
		return id
	}
	g := w.g
	var members []int32
	switch e.kind {
	case groupOpen:
		members = w.back.open[e.hop]
	case groupPeerSet:
		for _, c := range w.back.open[e.hop] {
			if g.inPeerSet(&g.peerSets[e.ps], c) {
				members = append(members, c)
			}
		}
	case groupRule:
		members = w.back.bySrc[e.hop][e.rule]
	case groupRuleIn:
		for _, c := range w.back.bySrc[e.hop][e.rule] {
			if g.inPeerSet(&g.peerSets[e.ps], c) {
				members = append(members, c)
			}
		}
	}
	id := int32(-1)
	if len(members) > 0 {
		id = int32(len(w.groups))
		w.groups = append(w.groups, e)
		w.groupMembers[id] = members
	}
	w.back.index[e] = id
	return id
}

// sourcesAt returns, for hop h, the egress rules of hop h-1's sources with
// isolated egress and whether one of its sources has open egress.
func (w *walk) sourcesAt(h int32) ([]ruleRef, bool) {
	b := w.back
	if rules, ok := b.rules[h]; ok {
		return rules, len(b.open[h]) > 0
	}
	bySrc := map[ruleRef][]int32{}
	var rules []ruleRef
	var open []int32
	for _, cs := range w.layers[h-1] {
		if w.openEgress(cs) {
			open = append(open, cs)
			continue
		}
		for _, r := range w.g.classes[cs].egRules {
			if _, ok := bySrc[r]; !ok {
				rules = append(rules, r)
			}
			bySrc[r] = append(bySrc[r], cs)
		}
	}
	b.rules[h], b.bySrc[h], b.open[h] = rules, bySrc, open
	return rules, len(open) > 0
}

// findGroups finds the groups with an edge into class c at the hop every
// pod of it is reached at, as the walk with paths records them (expand,
// lane.openAdmissions, isolatedRows) when that is c's first hop.
func (w *walk) findGroups(c int32) []int32 {
	g := w.g
	h := w.wholeHop[c]
	if h <= 0 {
		return nil
	}
	rules, open := w.sourcesAt(h)
	all := w.filtered(evaluator.AllPorts(evaluator.Protocols...))
	var out []int32
	add := func(e edgeGroup) {
		id := w.backGroup(e)
		if id < 0 {
			return
		}
		for _, x := range out {
			if x == id {
				return
			}
		}
		out = append(out, id)
	}
	if !g.enforced {
		// §2.13: every source reaches every class.
		if open && !all.Empty() {
			add(edgeGroup{kind: groupOpen, hop: h})
		}
		return out
	}
	t := g.termIdx()
	dst := &g.classes[c]
	isolated := t.isolatedDst[c]
	// Sources with open egress (§2.1): every open class, and the isolated
	// ones an ingress rule admits them to (§2.3, §2.4).
	if open && !isolated && !all.Empty() {
		add(edgeGroup{kind: groupOpen, hop: h})
	}
	if open && isolated {
		for _, q := range dst.inRules {
			if !w.filtered(g.portSpecs[q.ports].portsFor(dst.namedPorts)).Empty() {
				add(edgeGroup{kind: groupPeerSet, hop: h, ps: q.peers})
			}
		}
	}
	// Sources with isolated egress: an egress rule naming c (§2.3), and for
	// an isolated c an ingress rule admitting the source on a port both allow
	// (§2.4; §2.9: named ports resolve on c).
	for _, r := range rules {
		if w.back.overrun {
			return nil
		}
		if w.back.tests++; w.back.tests > backEdgeBudget {
			w.back.overrun = true
			return nil
		}
		if !g.holds(t, &g.peerSets[r.peers], c) {
			continue
		}
		eg := g.portSpecs[r.ports].portsFor(dst.namedPorts)
		if !isolated {
			if !w.filtered(eg).Empty() {
				add(edgeGroup{kind: groupRule, hop: h, rule: r})
			}
			continue
		}
		for _, q := range dst.inRules {
			in := w.filtered(g.portSpecs[q.ports].portsFor(dst.namedPorts))
			if !in.Empty() && !eg.Intersect(in).Empty() {
				add(edgeGroup{kind: groupRuleIn, hop: h, rule: r, ps: q.peers})
			}
		}
	}
	return out
}
