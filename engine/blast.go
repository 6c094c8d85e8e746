package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"go4.org/netipx"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// BlastOptions shape a blast-radius walk.
type BlastOptions struct {
	// MaxHops stops the walk after this many hops; 0 walks to the end.
	MaxHops int
	// Protocol and Port restrict hops to connections on that port (Port 0:
	// any port; Protocol empty: any protocol).
	Protocol corev1.Protocol
	Port     int32
	// Target marks crown-jewel pods whose every shortest attack path is wanted.
	Target func(*model.Pod) bool
	// MaxPaths lists at most this many paths per crown jewel, the first in
	// path order (0: every one). The shortest paths to a pod can number in
	// the millions in a large cluster.
	MaxPaths int
}

// Blast is what an attacker holding the source pods reaches, hop by hop: a hop
// A → B means A may open a connection to B on some allowed port.
type Blast struct {
	// Sources are the pods the walk starts from.
	Sources []*model.Pod
	// Hops lists, per hop (1, 2, ...), the workloads first reached then.
	Hops [][]ReachedWorkload
	// Networks are the catalogue networks reached, with the hop.
	Networks []ReachedNetwork
	// ReachedPods counts the pods reached (sources excluded); TotalPods the
	// pods that take part.
	ReachedPods, TotalPods int
	// Namespaces are the namespaces with reached pods.
	Namespaces []string
	// Targets are the crown-jewel pods, reached or not, with their paths.
	Targets []TargetPaths
}

// ReachedWorkload is a workload some of whose pods are first reached at a hop.
type ReachedWorkload struct {
	Workload string
	// Pods are the ids of the pods, in id order. When they are every pod
	// of the workload the slice is shared with the graph: read it, do not
	// write to it.
	Pods []string
	// Ports are the ports by which the previous hop reaches these pods.
	Ports evaluator.PortSet
	// Path is one shortest path from the source, as workload ids, ending here.
	Path []string
}

// ReachedNetwork is a network reached from a pod reached at Hop-1.
type ReachedNetwork struct {
	Network string
	Hop     int
	Ports   evaluator.PortSet
}

// TargetPaths are the shortest attack paths to one crown-jewel pod.
type TargetPaths struct {
	Pod     string
	Reached bool
	Hops    int
	// Paths are every shortest path, as workload ids, in order (at most
	// BlastOptions.MaxPaths of them).
	Paths [][]string
	// More reports that there are more shortest paths than Paths lists.
	More bool
	// Ports gives, for each path, the ports of each step: Ports[i][j] is what
	// Paths[i][j] may use towards Paths[i][j+1] on that path.
	Ports [][]evaluator.PortSet
}

// BlastRadius walks the class graph breadth first from the source pods. Every
// pod of a class reaches the same classes (node-local traffic aside, and
// host-network classes live on one node), and classes with the same egress
// rule list and the same memberships in ingress peer sets reach the same
// destinations with the same ports, so each such group is expanded once per
// walk, at the first hop it appears: later members of a group lie on no
// shortest path.
func (g *Graph) BlastRadius(sources []*model.Pod, catalog []*model.Network, opts BlastOptions) *Blast {
	// The hops come from a walk that keeps no paths; the part of the
	// shortest-path graph that leads to the targets, when asked for, is
	// found afterwards (targets).
	reach := opts
	reach.Target = nil
	// The first walk after compile also numbers the workloads and lists
	// the pods in id order, which collect needs at the end; that goes on
	// beside the walk.
	var numbering sync.WaitGroup
	numbering.Go(func() { g.podRoster() })
	defer numbering.Wait()
	w := g.walkFrom(sources, reach)
	b := &Blast{Sources: sources}
	// The networks reached and the pods reached are found side by side: both
	// only read the walk.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if len(catalog) > 0 {
			w.networks(b, catalog)
		}
	}()
	w.collect(b)
	<-done
	if opts.Target != nil {
		w.targets(b, sources, opts)
	}
	w.release() // nothing in b refers to the walk's tables
	return b
}

// walkFrom walks breadth first from the source pods, keeping every edge of
// the shortest-path graph when opts has targets.
func (g *Graph) walkFrom(sources []*model.Pod, opts BlastOptions) *walk {
	w := newWalk(g, opts)
	w.start(sources)
	for hop := int32(1); len(w.layers[hop-1]) > 0 && (opts.MaxHops == 0 || int(hop) <= opts.MaxHops); hop++ {
		w.expand(hop)
	}
	return w
}

// walk is the state of one blast-radius walk.
type walk struct {
	g      *Graph
	opts   BlastOptions
	filter func(evaluator.PortSet) evaluator.PortSet // nil: every port (hopFilter)

	// Per class: the first hop any of its pods is reached (-1: not reached)
	// and the class that reached it first; the hop at which every pod of it is
	// reached, with the ports and the first class that did so.
	hop, pred           []int32
	firstPod            []int32 // the pod reached by pred's first visit
	wholeHop, wholePred []int32
	wholeSeq            []int32
	wholePorts          []evaluator.PortSet
	pods                []podReach // per pod: reached on its own (sources, node-local); podAt
	podsOn              []int32    // the pods with an entry in pods
	ownCount            []int32    // per class: how many of its pods pods holds
	ownAll              []int32    // per class: 1 + the hop the last of its pods entered pods (0: not all have)
	full                []bool     // per class: reached at wholeHop on every port it admits
	layers              [][]int32  // classes first reached at each hop
	seq                 int32      // position of the source being expanded in its layer
	pos, predSeq        []int32    // per class: position in its layer; pred's position
	openDone            bool       // the open-ingress classes were reached from open egress
	ruleDone            []bool     // per egress rule number (termIndex.egIDs): expanded towards open ingress
	openLeft            []int32    // the open-ingress classes not yet done (made on first use)
	exhausted           []int32    // per egress rule number: the hop by which its isolated destinations were all reached (0: none)
	rulesMet            []int32    // the egress rule numbers with an entry in ruleDone or exhausted (some twice)
	paths               bool
	predGroups          [][]int32         // class → groups reaching all its pods at its first hop
	podPreds            map[int32][]int32 // pod → host-network classes reaching it alone at its hop
	groups              []edgeGroup       // the groups of sources edges start from
	groupMembers        map[int32][]int32 // group → its member classes, found when asked
	back                *backEdges        // groups found backwards, for targets (blastback.go)
	psDone              []bool            // ingress peer sets whose admissions were expanded
	lazyDone, blockDone []bool            // lazy terms and blocks found holding an open-egress source
	curGroup            int32
	// lanes share out the isolated rows of each hop by destination class
	// (blastrows.go), made on first use.
	lanes []*lane
	// scratch holds the per-class tables, given back to the graph's pool
	// when the walk is done.
	scratch *walkScratch
}

// podReach is how a pod was reached on its own.
type podReach struct {
	on             bool // the pod was reached on its own
	hop, pred, seq int32
	ports          evaluator.PortSet
}

// podAt returns how pod pi was reached on its own, or nil.
func (w *walk) podAt(pi int32) *podReach {
	if r := &w.pods[pi]; r.on {
		return r
	}
	return nil
}

// reachPod records that pod pi was reached on its own.
func (w *walk) reachPod(pi int32, r podReach) {
	r.on = true
	w.pods[pi] = r
	w.podsOn = append(w.podsOn, pi)
	c := w.g.podClass[pi]
	if w.ownCount[c]++; int(w.ownCount[c]) == len(w.g.classes[c].pods) {
		w.ownAll[c] = r.hop + 1
	}
}

// walkScratch holds the per-class tables of a walk, kept in Graph.walkPool
// between walks: at 150k classes they weigh tens of megabytes, which every
// walk would otherwise leave to the garbage collector.
type walkScratch struct {
	hop, pred, firstPod, predSeq  []int32
	wholeHop, wholePred, wholeSeq []int32
	pos, ownCount, ownAll         []int32
	full                          []bool
	wholePorts                    []evaluator.PortSet
	pods                          []podReach // per pod
	podsOn                        []int32
	ruleDone                      []bool  // per egress rule number
	exhausted                     []int32 // per egress rule number
	ruleSlot                      []mark  // per egress rule number: its index in a hop's rules
	round                         int32   // the current round of ruleSlot and setFirst
	// A hop's isolated rules and their sources (isolatedRows), kept for
	// the next hop and walk.
	rows hopRules
	// setFirst holds, per ingress peer set, the first source with open
	// egress it admits at a hop (openAdmitters), made on first use.
	setFirst []mark
	// rosterHops holds collect's hop per entry of Graph.podRoster.
	rosterHops []int32
	lanes      []*lane
	// open walks egress rules' peers towards classes with open ingress.
	open chains
}

// scratch returns per-class tables for a walk in their starting state (no
// class reached), reused when the pool has some.
func (g *Graph) scratch() *walkScratch {
	n := len(g.classes)
	if s, ok := g.walkPool.Get().(*walkScratch); ok {
		return s
	}
	s := &walkScratch{hop: make([]int32, n), pred: make([]int32, n), firstPod: make([]int32, n), predSeq: make([]int32, n),
		wholeHop: make([]int32, n), wholePred: make([]int32, n), wholeSeq: make([]int32, n), pos: make([]int32, n), ownCount: make([]int32, n), ownAll: make([]int32, n),
		full: make([]bool, n), wholePorts: make([]evaluator.PortSet, n), pods: make([]podReach, len(g.pods))}
	for i := range s.hop {
		s.hop[i], s.wholeHop[i] = -1, -1
	}
	return s
}

// release puts the walk's tables back in their starting state and in the
// pool. A walk writes the entries of the classes it reaches and of no
// other, and every class it reaches is in one of its layers, so only those
// entries are reset: a walk that reaches little costs little, however large
// the graph.
func (w *walk) release() {
	s := w.scratch
	for _, layer := range w.layers {
		for _, c := range layer {
			s.hop[c], s.wholeHop[c] = -1, -1
			s.pred[c], s.firstPod[c], s.predSeq[c], s.wholePred[c], s.wholeSeq[c], s.pos[c] = 0, 0, 0, 0, 0, 0
			s.ownCount[c], s.ownAll[c] = 0, 0
			s.full[c], s.wholePorts[c] = false, evaluator.PortSet{}
		}
	}
	for _, pi := range w.podsOn {
		s.pods[pi] = podReach{}
	}
	for _, id := range w.rulesMet {
		s.ruleDone[id], s.exhausted[id] = false, 0
	}
	s.podsOn = w.podsOn[:0]
	s.open.reset()
	w.g.walkPool.Put(s)
}

func newWalk(g *Graph, opts BlastOptions) *walk {
	s := g.scratch()
	w := &walk{g: g, opts: opts, scratch: s, hop: s.hop, pred: s.pred, firstPod: s.firstPod, predSeq: s.predSeq,
		wholeHop: s.wholeHop, wholePred: s.wholePred, wholeSeq: s.wholeSeq, pos: s.pos, ownCount: s.ownCount, ownAll: s.ownAll, full: s.full, wholePorts: s.wholePorts,
		pods: s.pods, podsOn: s.podsOn,
		paths: opts.Target != nil}
	if w.paths {
		w.predGroups, w.podPreds, w.groupMembers = make([][]int32, len(g.classes)), map[int32][]int32{}, map[int32][]int32{}
	}
	w.filter = hopFilter(opts)
	return w
}

// ruleTables readies the walk's per-rule tables, made on first use in the
// graph's pool (a walk where policies are not enforced needs none, nor the
// term index that numbers the rules).
func (w *walk) ruleTables() {
	s := w.scratch
	if s.ruleDone == nil {
		n := w.g.termIdx().nEg
		s.ruleDone, s.exhausted, s.ruleSlot = make([]bool, n), make([]int32, n), make([]mark, n)
	}
	w.ruleDone, w.exhausted = s.ruleDone, s.exhausted
}

// filtered keeps the ports a hop may use (hopFilter); without --port and
// --protocol it is every port, and the call is inlined away.
func (w *walk) filtered(ports evaluator.PortSet) evaluator.PortSet {
	if w.filter == nil {
		return ports
	}
	return w.filter(ports)
}

// hopFilter keeps the ports a hop may use under --port and --protocol, or
// is nil when neither is given (every port; walk.filtered).
func hopFilter(opts BlastOptions) func(evaluator.PortSet) evaluator.PortSet {
	switch {
	case opts.Port != 0 && opts.Protocol != "":
		return func(ports evaluator.PortSet) evaluator.PortSet {
			if ports.Contains(opts.Protocol, opts.Port) {
				return evaluator.SinglePort(opts.Protocol, opts.Port, opts.Port)
			}
			return evaluator.PortSet{}
		}
	case opts.Port != 0:
		return func(ports evaluator.PortSet) evaluator.PortSet {
			out := evaluator.PortSet{}
			for _, pr := range evaluator.Protocols {
				if ports.Contains(pr, opts.Port) {
					out = out.Union(evaluator.SinglePort(pr, opts.Port, opts.Port))
				}
			}
			return out
		}
	case opts.Protocol != "":
		only := evaluator.AllPorts(opts.Protocol)
		return func(ports evaluator.PortSet) evaluator.PortSet { return ports.Intersect(only) }
	}
	return nil
}

// start places the source pods at hop 0.
func (w *walk) start(sources []*model.Pod) {
	w.layers = [][]int32{nil}
	for _, p := range sources {
		pi, ok := w.g.podIndex[p]
		if !ok || w.g.podClass[pi] < 0 {
			continue
		}
		w.reachPod(pi, podReach{hop: 0, pred: -1})
		if c := w.g.podClass[pi]; w.hop[c] < 0 {
			w.hop[c], w.pred[c], w.firstPod[c] = 0, -1, pi
			w.layers[0] = append(w.layers[0], c)
		}
	}
	slices.Sort(w.layers[0])
}

// expand reaches, from the classes first reached at hop-1, everything they
// reach that was not reached before.
//
// The destinations split in two (buildAdmit): those with open ingress (or
// on the host network), reached by egress rules alone (openSide), and the
// isolated ones, reached through ingress rules (the rest). No step of one
// side reads or writes a class of the other, so without paths the open side
// runs on a goroutine beside the isolated side's single-threaded steps, and
// each side visits its classes in the same order as one after the other
// would.
func (w *walk) expand(hop int32) {
	g := w.g
	w.layers = append(w.layers, nil)
	frontier := w.layers[hop-1]
	for i, cs := range frontier {
		w.pos[cs] = int32(i + 1)
	}
	if g.enforced && w.ruleDone == nil {
		w.ruleTables()
	}
	if !g.enforced || w.paths {
		// Paths number their edge groups in the order the walk makes them.
		w.openSide(frontier, hop, &w.layers[hop], &w.rulesMet)
		if g.enforced {
			w.isolatedSide(frontier, hop, nil)
		}
	} else {
		var side sync.WaitGroup
		var layer, met []int32
		side.Go(func() { w.openSide(frontier, hop, &layer, &met) })
		w.isolatedSide(frontier, hop, &side)
		side.Wait()
		w.layers[hop] = append(w.layers[hop], layer...)
		w.rulesMet = append(w.rulesMet, met...)
	}
	slices.Sort(w.layers[hop])
}

// openSide reaches from the frontier the classes with open ingress or on
// the host network, adding those first reached to layer and the egress rule
// numbers it marks to met.
func (w *walk) openSide(frontier []int32, hop int32, layer, met *[]int32) {
	g := w.g
	all := evaluator.AllPorts(evaluator.Protocols...)
	for _, cs := range frontier {
		seq := w.pos[cs]
		visit := func(cd int32, ports evaluator.PortSet) {
			w.visitClassFrom(cs, cd, hop, seq, ports, layer)
		}
		if w.openEgress(cs) {
			if !w.openDone {
				// §2.1: open egress reaches every class whose ingress is open
				// (§2.13: every class when policies are not enforced).
				w.openDone = true
				w.group(edgeGroup{kind: groupOpen, hop: hop})
				if ports := w.filtered(all); !ports.Empty() {
					if g.enforced {
						g.buildAdmit()
						for _, cd := range g.openIn {
							visit(cd, ports)
						}
					} else {
						for cd := range g.classes {
							visit(int32(cd), ports)
						}
					}
				}
			}
			continue
		}
		src := &g.classes[cs]
		if len(src.egRules) == 0 {
			continue
		}
		// Destinations with open ingress: the egress rules alone decide,
		// whoever the source is, so each rule is expanded once per walk.
		t := g.termIdx() // not before: a walk without enforcement needs none
		ids := t.egIDs[cs]
		for k, r := range src.egRules {
			id := ids[k]
			if w.ruleDone[id] {
				continue
			}
			w.ruleDone[id] = true
			*met = append(*met, id)
			w.group(edgeGroup{kind: groupRule, hop: hop, rule: r})
			spec := &g.portSpecs[r.ports]
			towards := func(cd int32) {
				if ports := w.filtered(spec.portsFor(g.classes[cd].namedPorts)); !ports.Empty() {
					visit(cd, ports)
				}
			}
			if int(t.setSize[r.peers]) > 4*len(g.openIn) {
				// Most of the cluster: test the few open classes instead.
				// Classes done stay done for the rest of the walk, so they
				// leave the list for later rules.
				full := w.filtered(all)
				if w.openLeft == nil {
					w.openLeft = slices.Clone(g.openIn)
				}
				left := w.openLeft[:0]
				for _, cd := range w.openLeft {
					if w.done(cd, hop) {
						continue
					}
					left = append(left, cd)
					if !w.settled(cd, hop, full) && g.holds(t, &g.peerSets[r.peers], cd) {
						towards(cd)
					}
				}
				w.openLeft = left
				continue
			}
			// §2.3: only classes with open ingress (or on the host network,
			// §2.11) are reached by the egress rule alone.
			w.scratch.open.eachLive(g, r.peers, 0, int32(len(g.classes)), func(cd int32) bool {
				return !t.isolatedDst[cd] && !w.done(cd, hop)
			}, towards)
		}
	}
}

// isolatedSide reaches from the frontier the classes with isolated ingress:
// the pods of a host-network source's node, what the sources with open
// egress are admitted to, and the isolated rows. When side is not nil, the
// open side runs meanwhile and the lanes of the rows wait for it, so that
// both cores are theirs.
func (w *walk) isolatedSide(frontier []int32, hop int32, side *sync.WaitGroup) {
	g := w.g
	all := evaluator.AllPorts(evaluator.Protocols...)
	var openSrcs []int32
	for _, cs := range frontier {
		if !w.openEgress(cs) {
			continue
		}
		openSrcs = append(openSrcs, cs)
		// §2.10: a host-network pod reaches every pod of its own node.
		if cl := &g.classes[cs]; cl.hostNetwork {
			if ports := w.filtered(all); !ports.Empty() {
				w.seq = w.pos[cs]
				for _, pi := range g.isolatedOnNode(cl.rep.NodeName) {
					w.visitPod(cs, pi, hop, ports)
				}
			}
		}
	}
	var open openSets
	if len(openSrcs) > 0 {
		open = w.openAdmitters(openSrcs)
	}
	w.isolatedRows(frontier, hop, side, open)
}

// openEgress reports whether class cs has open egress: every destination
// whose ingress admits it is reached (§2.1, §2.13).
func (w *walk) openEgress(cs int32) bool {
	cl := &w.g.classes[cs]
	return !w.g.enforced || cl.hostNetwork || !cl.isolatedEg
}

// openSets are the ingress peer sets that admit one of a hop's sources
// with open egress, each with the first such source in frontier order.
type openSets struct{ sets, from []int32 }

// openAdmitters finds the ingress peer sets whose rules admit one of the
// frontier's sources with open egress (§2.3, §2.4), in set order, and marks
// them expanded: what a set's rules admit does not depend on the source, so
// each set is expanded once per walk (by the lanes, lane.openAdmissions),
// from the first of its sources in frontier order.
func (w *walk) openAdmitters(sources []int32) openSets {
	g := w.g
	if w.psDone == nil {
		w.psDone = make([]bool, len(g.peerSets))
		w.lazyDone = make([]bool, len(g.lazyTerms))
		w.blockDone = make([]bool, len(g.blocks))
	}
	s := w.scratch
	if s.setFirst == nil {
		s.setFirst = make([]mark, len(g.peerSets))
	}
	s.round++
	from, round := s.setFirst, s.round
	var open openSets
	g.admittingSets(sources, w.lazyDone, w.blockDone, func(ps, cs int32) {
		if w.psDone[ps] {
			return
		}
		if m := &from[ps]; m.now != round {
			open.sets = append(open.sets, ps)
			m.now, m.val = round, cs
		} else if w.pos[cs] < w.pos[m.val] {
			m.val = cs
		}
	})
	slices.Sort(open.sets)
	open.from = make([]int32, len(open.sets))
	for i, ps := range open.sets {
		w.psDone[ps] = true
		open.from[i] = from[ps].val
	}
	return open
}

// edgeGroup is a group of sources at hop-1 that share the edges made while
// it was expanded: the members are found when paths ask for them.
type edgeGroup struct {
	kind groupKind
	hop  int32
	ps   int32   // groupPeerSet
	rule ruleRef // groupRule
}

type groupKind uint8

const (
	groupOpen    groupKind = iota // every source with open egress
	groupPeerSet                  // the sources with open egress in one ingress peer set
	groupRule                     // the sources with isolated egress and one egress rule
	groupRuleIn                   // those of them in one ingress peer set
)

// group starts the edges of a group of sources, remembered when paths are wanted.
func (w *walk) group(e edgeGroup) {
	if !w.paths {
		return
	}
	w.curGroup = int32(len(w.groups))
	w.groups = append(w.groups, e)
}

// members returns the classes of a group.
func (w *walk) members(gid int32) []int32 {
	if m, ok := w.groupMembers[gid]; ok {
		return m
	}
	g := w.g
	e := w.groups[gid]
	var out []int32
	for _, c := range w.layers[e.hop-1] {
		open := w.openEgress(c)
		var in bool
		switch e.kind {
		case groupOpen:
			in = open
		case groupPeerSet:
			in = open && g.inPeerSet(&g.peerSets[e.ps], c)
		case groupRule:
			in = !open && slices.Contains(g.classes[c].egRules, e.rule)
		case groupRuleIn:
			in = !open && slices.Contains(g.classes[c].egRules, e.rule) && g.inPeerSet(&g.peerSets[e.ps], c)
		}
		if in {
			out = append(out, c)
		}
	}
	w.groupMembers[gid] = out
	return out
}

// reached records that class cd has pods reached at hop, first by cs reaching
// pod pi (-1: the class's first pod) from position seq of the previous hop's
// layer, and appends cd to the hop's layer the first time.
func (w *walk) reached(cs, cd, pi, hop, seq int32, layer *[]int32) {
	// The class's pods are read only when the pod is kept: most edges into
	// a class reached at this hop come from later sources.
	switch {
	case w.hop[cd] < 0:
		w.hop[cd], w.pred[cd], w.firstPod[cd], w.predSeq[cd] = hop, cs, w.podOr(cd, pi), seq
		*layer = append(*layer, cd)
	case w.hop[cd] == hop && seq < w.predSeq[cd]:
		// Of the edges the walk makes (it skips those that add nothing), the
		// one from the earliest source of the previous hop gives the path.
		w.pred[cd], w.firstPod[cd], w.predSeq[cd] = cs, w.podOr(cd, pi), seq
	}
}

// podOr returns pi, or the first pod of class cd when pi is -1.
func (w *walk) podOr(cd, pi int32) int32 {
	if pi < 0 {
		return w.g.classes[cd].pods[0]
	}
	return pi
}

// visitClassFrom reaches every pod of class cd at hop from cs, at position
// seq of the previous layer, adding cd to layer when it is new. Lanes call it
// at the same time for disjoint destination classes.
func (w *walk) visitClassFrom(cs, cd, hop, seq int32, ports evaluator.PortSet, layer *[]int32) {
	grew := true
	switch h := w.wholeHop[cd]; {
	case h >= 0 && h < hop:
		return // every pod was reached earlier
	case h == hop:
		if grew = !w.wholePorts[cd].Covers(ports); grew {
			w.wholePorts[cd] = w.wholePorts[cd].Union(ports)
		}
		if seq < w.wholeSeq[cd] {
			w.wholePred[cd], w.wholeSeq[cd] = cs, seq
		}
	default:
		w.wholeHop[cd], w.wholePred[cd], w.wholeSeq[cd], w.wholePorts[cd] = hop, cs, seq, ports
	}
	if grew && !w.paths && !w.full[cd] {
		// §2.2, §2.4: no edge gives more than the ingress rules allow.
		w.full[cd] = w.wholePorts[cd].Covers(w.filtered(w.g.termIdx().inMax(cd)))
	}
	w.reached(cs, cd, -1, hop, seq, layer)
	if w.paths && w.hop[cd] == hop {
		// An edge of the shortest-path graph from the current group.
		if l := w.predGroups[cd]; len(l) == 0 || l[len(l)-1] != w.curGroup {
			w.predGroups[cd] = append(l, w.curGroup)
		}
	}
}

// done reports whether no edge into class cd at hop can change anything:
// every pod of it was reached at an earlier hop, as a class or each on its
// own (node-local traffic), or at this hop on every port its ingress admits
// (never when paths are wanted, which need every edge).
func (w *walk) done(cd, hop int32) bool {
	if h := w.wholeHop[cd]; h >= 0 && (h < hop || w.full[cd]) {
		return true
	}
	// A pod keeps the first hop it was reached at (podHop), and a class
	// enters a layer once: a later edge adds nothing to any of its pods.
	a := w.ownAll[cd]
	return a > 0 && a <= hop
}

// visitPod reaches one pod at hop from cs (node-local traffic).
func (w *walk) visitPod(cs, pi, hop int32, ports evaluator.PortSet) {
	cd := w.g.podClass[pi]
	if h := w.wholeHop[cd]; h >= 0 && h < hop {
		return
	}
	r := w.podAt(pi)
	switch {
	case r == nil:
		w.reachPod(pi, podReach{hop: hop, pred: cs, seq: w.seq, ports: ports})
	case r.hop < hop:
		return
	case r.hop == hop:
		r.ports = r.ports.Union(ports)
		if w.seq < r.seq {
			r.pred, r.seq = cs, w.seq
		}
	}
	w.reached(cs, cd, pi, hop, w.seq, &w.layers[hop])
	if w.paths {
		w.podPreds[pi] = append(w.podPreds[pi], cs)
	}
}

// podHop returns the hop at which a pod is first reached (-1: never), the
// ports by which the previous hop reaches it, and the class that reached it
// first.
func (w *walk) podHop(pi int32) (hop int32, ports evaluator.PortSet, pred int32) {
	c := w.g.podClass[pi]
	hop, pred = w.wholeHop[c], w.wholePred[c]
	seq := w.wholeSeq[c]
	if hop >= 0 {
		ports = w.wholePorts[c]
	}
	if w.ownCount[c] == 0 {
		return hop, ports, pred
	}
	if r := w.podAt(pi); r != nil {
		switch {
		case hop < 0 || r.hop < hop:
			return r.hop, r.ports, r.pred
		case r.hop == hop:
			ports = ports.Union(r.ports)
			if r.seq < seq {
				pred = r.pred
			}
		}
	}
	return hop, ports, pred
}

// pathTo is one shortest path to a pod: each class's first predecessor back to
// a source, as workload ids. It is made at the start of buf when buf is long
// enough (else in a slice of its own), and rest is what is left of buf.
func (w *walk) pathTo(pi, pred int32, buf []string) (path, rest []string) {
	podWL, ids, _ := w.g.workloads()
	n := 1
	for c := pred; c >= 0; c = w.pred[c] {
		n++
	}
	if len(buf) < n {
		buf = make([]string, n)
	}
	path = buf[:n:n]
	path[n-1] = ids[podWL[pi]]
	for c := pred; c >= 0; c = w.pred[c] {
		n--
		path[n-1] = ids[podWL[w.firstPod[c]]]
	}
	return path, buf[len(path):]
}

// collect groups the reached pods by hop and workload, workloads in id
// order and pods in id order within each. It reads the pods in that order
// (Graph.podRoster), so nothing is sorted per walk; the two halves of the
// roster are read side by side, once to count each hop's rows and once to
// fill them, so that every slice is made at its exact size.
func (w *walk) collect(b *Blast) {
	g := w.g
	roster, start := g.podRoster()
	// The halves split the workloads where the roster is halved.
	mid := sort.Search(len(start)-1, func(r int) bool { return 2*int(start[r]) >= len(roster) })
	spans := [2][2]int{{0, mid}, {mid, len(start) - 1}}
	// Per roster entry: the pod's hop, or 0.
	hops := slices.Grow(w.scratch.rosterHops[:0], len(roster))[:len(roster)]
	clear(hops)
	w.scratch.rosterHops = hops
	var counts [2]rowCount
	var both sync.WaitGroup
	for h, span := range spans {
		both.Go(func() { counts[h] = w.countRows(hops, span[0], span[1]) })
	}
	both.Wait()
	// Each hop's rows are those of the first half, then of the second.
	nHops := max(len(counts[0].rows), len(counts[1].rows))
	total := 0
	for _, c := range counts {
		b.ReachedPods += c.pods
		for _, n := range c.rows {
			total += n
		}
	}
	rws := make([]ReachedWorkload, total)
	b.Hops = make([][]ReachedWorkload, nHops)
	var next [2][]int // per half and hop, where its next row goes
	off := 0
	for hop := range nHops {
		from := off
		for h, c := range counts {
			next[h] = append(next[h], off)
			if hop < len(c.rows) {
				off += c.rows[hop]
			}
		}
		if off > from {
			b.Hops[hop] = rws[from:off:off]
		}
	}
	var namespaces [2][]bool
	for h, span := range spans {
		both.Go(func() { namespaces[h] = w.fillRows(rws, hops, next[h], counts[h], span[0], span[1]) })
	}
	both.Wait()
	n := 0
	for i, in := range namespaces[0] {
		if in = in || namespaces[1][i]; in {
			namespaces[0][i] = true
			n++
		}
	}
	if n > 0 {
		b.Namespaces = make([]string, 0, n)
	}
	for i, in := range namespaces[0] {
		if in {
			b.Namespaces = append(b.Namespaces, g.snap.Namespaces[i].Name)
		}
	}
	sort.Strings(b.Namespaces)
	b.TotalPods = len(roster)
}

// rowCount counts the rows of a range of workloads per hop (1, 2, ...), and
// their pods: all of them, those of rows that do not hold every pod of
// their workload (own), and the workload ids of the rows' paths.
type rowCount struct {
	rows            []int
	pods, own, path int
}

// countRows writes the hop of each reached pod of the workloads of rank lo
// to hi-1 into hops (by roster entry) and counts their rows: one per
// workload and hop at which some of its pods are first reached.
func (w *walk) countRows(hops []int32, lo, hi int) rowCount {
	g := w.g
	roster, start := g.podRoster()
	var c rowCount
	var seen []int32 // the hops of the workload's rows so far
	for r := lo; r < hi; r++ {
		seen = seen[:0]
		pods := 0
		for i := start[r]; i < start[r+1]; i++ {
			if w.hop[g.podClass[roster[i]]] < 0 {
				continue // no pod of its class was reached
			}
			hop, _, _ := w.podHop(roster[i])
			if hop <= 0 {
				continue
			}
			hops[i] = hop
			pods++
			if slices.Contains(seen, hop) {
				continue
			}
			seen = append(seen, hop)
			c.path += int(hop) + 1 // a path to hop h names h+1 workloads
			for len(c.rows) < int(hop) {
				c.rows = append(c.rows, 0)
			}
			c.rows[hop-1]++
		}
		c.pods += pods
		if !wholeRow(hops[start[r]:start[r+1]]) {
			c.own += pods
		}
	}
	return c
}

// wholeRow reports whether a workload's pods, by their hops (0: not
// reached), make one row of all of them: every pod first reached at one hop.
func wholeRow(hops []int32) bool {
	return !slices.ContainsFunc(hops, func(h int32) bool { return h == 0 || h != hops[0] })
}

// pathChunk is how many workload ids fillRows makes room for at a time for
// the rows' paths (32 KB): one allocation serves hundreds of rows, where
// each row's path used to be one of its own.
const pathChunk = 2048

// fillRows makes the rows of the workloads of rank lo to hi-1 at next (per
// hop, where the next row goes), from the hops countRows found (c): each row
// holds its pods in id order, the ports by which the previous hop reaches
// them and the path to the first of them in pod order. A row that holds
// every pod of its workload shares them with Graph.rosterIDs; the other
// rows' pods are made in one slice, and the paths a chunk at a time. It
// returns the namespaces of the reached pods.
func (w *walk) fillRows(rws []ReachedWorkload, hops []int32, next []int, c rowCount, lo, hi int) (namespaces []bool) {
	g := w.g
	roster, start := g.podRoster()
	podWL, ids, _ := g.workloads()
	podIDs := g.podIDs()
	var names, paths []string
	if c.own > 0 {
		names = make([]string, 0, c.own)
	}
	pathsLeft := c.path
	namespaces = make([]bool, len(g.snap.Namespaces))
	var seen []int32 // the hops of the workload's rows so far
	for r := lo; r < hi; r++ {
		wl := hops[start[r]:start[r+1]]
		whole := wholeRow(wl)
		seen = seen[:0]
		for k, hop := range wl {
			if hop == 0 || slices.Contains(seen, hop) {
				continue // not reached, or this hop's row is made
			}
			seen = append(seen, hop)
			rw := &rws[next[hop-1]]
			next[hop-1]++
			first, firstPred := int32(-1), int32(-1)
			off := len(names)
			// Pods of a class none of whose pods was reached on its own
			// share its ports and predecessor: consecutive ones are read once.
			last, pred := int32(-1), int32(-1)
			for j := k; j < len(wl); j++ {
				if wl[j] != hop {
					continue
				}
				pi := roster[int(start[r])+j]
				if !whole {
					names = append(names, podIDs[pi])
				}
				if cl := g.podClass[pi]; cl != last {
					last = cl
					if w.ownCount[cl] > 0 {
						last = -1
					}
					var ports evaluator.PortSet
					_, ports, pred = w.podHop(pi)
					if !ports.Equal(rw.Ports) {
						rw.Ports = rw.Ports.Union(ports)
					}
				}
				if first < 0 {
					first, firstPred = pi, pred // pods are numbered in id order
				}
			}
			rw.Workload = ids[podWL[first]]
			if whole {
				rw.Pods = g.rosterIDs[start[r]:start[r+1]:start[r+1]]
			} else {
				rw.Pods = names[off:len(names):len(names)]
			}
			if n := int(hop) + 1; len(paths) < n {
				paths = make([]string, max(n, min(pathsLeft, pathChunk)))
			}
			rw.Path, paths = w.pathTo(first, firstPred, paths)
			pathsLeft -= len(rw.Path)
			namespaces[g.rosterNS[r]] = true
		}
	}
	return namespaces
}

// networks adds the catalogue networks reached from any reached class
// (sources included), one hop after the class: classes with the same egress
// rule list reach the same addresses, so each list is answered once.
func (w *walk) networks(b *Blast, catalog []*model.Network) {
	g := w.g
	effective := mostSpecific(catalog)
	sets := make([][]netipx.IPRange, len(catalog))
	for i := range catalog {
		sets[i] = effective[i].Ranges()
	}
	// Only the catalogue's addresses are asked about.
	x := g.newExternalWithin(windowOf(sets))
	type answer struct {
		best  int32
		ports evaluator.PortSet
	}
	out := make([]answer, len(catalog))
	// A network is settled once it is reached (layers come in hop order) on
	// every port a hop may use: no later class changes its answer, so its
	// ports are no longer worked out, and the walk stops when all are.
	full := w.filtered(evaluator.AllPorts(evaluator.Protocols...))
	settled := make([]bool, len(catalog))
	left := len(catalog)
	perList := map[*run][]evaluator.PortSet{}
layers:
	for hop, layer := range w.layers {
		if w.opts.MaxHops != 0 && hop+1 > w.opts.MaxHops {
			break
		}
		for _, c := range layer {
			if left == 0 {
				break layers
			}
			runs := x.egressRuns(c)
			if len(runs) == 0 {
				continue
			}
			// A cached answer holds the networks unsettled when it was made,
			// which include those unsettled now.
			ports, ok := perList[&runs[0]]
			if !ok {
				ports = make([]evaluator.PortSet, len(catalog))
				for i := range catalog {
					if !settled[i] {
						ports[i] = w.filtered(x.portsIn(runs, sets[i]))
					}
				}
				perList[&runs[0]] = ports
			}
			for i, p := range ports {
				if settled[i] || p.Empty() {
					continue
				}
				if out[i].best == 0 {
					out[i].best = int32(hop) + 1
				}
				out[i].ports = out[i].ports.Union(p)
				if out[i].ports.Covers(full) {
					settled[i] = true
					left--
				}
			}
		}
	}
	for i, n := range catalog {
		if out[i].best > 0 {
			b.Networks = append(b.Networks, ReachedNetwork{Network: n.ID(), Hop: int(out[i].best), Ports: out[i].ports})
		}
	}
}

// targetWant is a crown-jewel pod, the hop it is first reached at (-1:
// never) and the classes of the hop before that reach it.
type targetWant struct {
	pi    int32
	hop   int32
	preds []int32
}

// targets lists every shortest attack path to each crown-jewel pod, w being
// the walk from sources that found the hops. The shortest-path graph has a
// node per class and workload of the pods reached at the class's first hop;
// its edges come in groups of sources, found backwards from the targets for
// the classes that lead to them (blastback.go) or, when that would test
// too many peer sets, kept by a second walk.
func (w *walk) targets(b *Blast, sources []*model.Pod, opts BlastOptions) {
	g := w.g
	var wants []targetWant
	deepest := int32(0)
	for pi, p := range g.pods {
		if g.podClass[pi] < 0 || !opts.Target(p) {
			continue
		}
		hop, _, _ := w.podHop(int32(pi))
		wants = append(wants, targetWant{pi: int32(pi), hop: hop})
		deepest = max(deepest, hop)
	}
	if deepest < 2 {
		// Only the sources come before the targets: there are no edges to find.
		w.targetPaths(b, wants)
		return
	}
	if backEdgeBudget > 0 {
		w.startBack()
		if w.targetPaths(b, wants) {
			return
		}
	}
	// Every class on a shortest path to a target at hop h is first reached
	// before h, and its edges were made by then: the second walk, which
	// keeps every edge, stops at the hop before the deepest target. The
	// hops beyond, often the costliest, are walked once, without edges.
	o := opts
	o.MaxHops = int(deepest - 1)
	pw := g.walkFrom(sources, o)
	defer pw.release()
	pw.targetPaths(b, wants)
}

// targetPaths adds the paths to the wanted pods to b, through a gonum graph
// of the part of the shortest-path graph that leads to them. It reports
// false, and adds nothing, when the backward search ran over its budget.
func (w *walk) targetPaths(b *Blast, wants []targetWant) bool {
	g := w.g
	const origin = int64(-1)
	dg := simple.NewDirectedGraph()
	dg.AddNode(simple.Node(origin))
	type wlNode struct {
		class int32
		wl    string
	}
	ids := map[wlNode]int64{}
	var labels []string
	var nodes []wlNode
	node := func(n wlNode) graph.Node {
		if id, ok := ids[n]; ok {
			return dg.Node(id)
		}
		id := int64(len(labels))
		ids[n] = id
		labels = append(labels, n.wl)
		nodes = append(nodes, n)
		gn := simple.Node(id)
		dg.AddNode(gn)
		return gn
	}
	// hopPods are the pods of a class reached at the class's first hop, by
	// workload.
	hopCache := map[int32]map[string][]int32{}
	hopPods := func(c int32) map[string][]int32 {
		if out, ok := hopCache[c]; ok {
			return out
		}
		out := map[string][]int32{}
		defer func() { hopCache[c] = out }()
		whole := w.wholeHop[c] == w.hop[c]
		for _, pi := range g.classes[c].pods {
			if r := w.podAt(pi); whole || r != nil && r.hop == w.hop[c] {
				id := workloadID(g.pods[pi])
				out[id] = append(out[id], pi)
			}
		}
		return out
	}
	// Walk the recorded edges backwards from the classes that lead to targets.
	added := map[int32]bool{}
	var addBack func(c int32)
	addBack = func(c int32) {
		if added[c] {
			return
		}
		added[c] = true
		from := func(p int32, to graph.Node) {
			if w.hop[p] != w.hop[c]-1 {
				return
			}
			addBack(p)
			for wl := range hopPods(p) {
				dg.SetEdge(dg.NewEdge(node(wlNode{p, wl}), to))
			}
		}
		for wl, pods := range hopPods(c) {
			to := node(wlNode{c, wl})
			if w.hop[c] == 0 {
				dg.SetEdge(dg.NewEdge(dg.Node(origin), to))
				continue
			}
			if w.wholeHop[c] == w.hop[c] {
				for _, gid := range w.predGroupsOf(c) {
					for _, p := range w.members(gid) {
						from(p, to)
					}
				}
			}
			for _, pi := range pods {
				for _, p := range w.podPredsOf(pi) {
					if r := w.podAt(pi); r != nil && r.hop == w.hop[c] {
						from(p, to)
					}
				}
			}
		}
	}
	for i := range wants {
		wt := &wants[i]
		wt.preds = nil
		switch {
		case wt.hop <= 0:
		case w.back != nil:
			wt.preds = w.targetPreds(wt.pi, wt.hop)
		default:
			// The classes of the previous hop that reach the pod itself.
			for _, c := range w.layers[wt.hop-1] {
				if g.reachesPod(c, wt.pi, w.filtered) {
					wt.preds = append(wt.preds, c)
				}
			}
		}
		for _, c := range wt.preds {
			addBack(c)
		}
	}
	if w.back != nil && w.back.overrun {
		return false
	}
	// The ports of one step, from a pod to a pod (the class stands for its
	// pods; node-local admission, §2.10, depends on the destination pod).
	all := evaluator.AllPorts(evaluator.Protocols...)
	stepPorts := func(src int32, dsts []int32) evaluator.PortSet {
		var out evaluator.PortSet
		for _, dst := range dsts {
			if !g.enforced {
				return w.filtered(all)
			}
			s, d := Endpoint{pod: src}, Endpoint{pod: dst}
			out = out.Union(w.filtered(g.egressPorts(s, d).Intersect(g.ingressPorts(s, d))))
		}
		return out
	}
	podsOf := func(id int64) []int32 { n := nodes[id]; return hopPods(n.class)[n.wl] }
	// The paths to the nodes before a target, by those nodes.
	type endPaths struct {
		paths [][]string
		lasts [][]int64 // per path, the nodes of its last step
		ports [][]evaluator.PortSet
		more  bool
	}
	pathsFrom := map[string]*endPaths{}
	for _, wt := range wants {
		p := g.pods[wt.pi]
		tp := TargetPaths{Pod: p.ID()}
		switch {
		case wt.hop == 0:
			tp.Reached, tp.Paths, tp.Ports = true, [][]string{{workloadID(p)}}, [][]evaluator.PortSet{{}}
		case wt.hop > 0:
			tp.Reached, tp.Hops = true, int(wt.hop)
			var ends []int64 // the nodes of the hop before the pod that reach it
			for _, c := range wt.preds {
				for wl := range hopPods(c) {
					ends = append(ends, ids[wlNode{c, wl}])
				}
			}
			// Pods reached from the same nodes share their paths and every
			// step's ports but the last.
			slices.Sort(ends)
			key := fmt.Sprint(ends)
			found, ok := pathsFrom[key]
			if !ok {
				found = &endPaths{}
				found.more = eachShortestPath(dg, origin, ends, labels, w.opts.MaxPaths, func(path []string, steps [][]int64) {
					ports := make([]evaluator.PortSet, len(steps)-1)
					for i := range ports {
						for _, u := range steps[i] {
							for _, v := range steps[i+1] {
								if dg.HasEdgeFromTo(u, v) {
									ports[i] = ports[i].Union(stepPorts(podsOf(u)[0], podsOf(v)))
								}
							}
						}
					}
					found.paths, found.lasts, found.ports = append(found.paths, path), append(found.lasts, steps[len(steps)-1]), append(found.ports, ports)
				})
				pathsFrom[key] = found
			}
			tp.More = found.more
			for i, path := range found.paths {
				// The last step, towards the pod itself.
				var last evaluator.PortSet
				for _, u := range found.lasts[i] {
					last = last.Union(stepPorts(podsOf(u)[0], []int32{wt.pi}))
				}
				tp.Paths = append(tp.Paths, append(slices.Clip(path), workloadID(p)))
				tp.Ports = append(tp.Ports, append(slices.Clip(found.ports[i]), last))
			}
		}
		b.Targets = append(b.Targets, tp)
	}
	return true
}

// eachShortestPath calls f with the workload ids of every path from origin
// to one of the nodes ends (all at the same depth) in dg, a graph of
// shortest-path edges whose nodes are labelled, in the order of the ids;
// paths through different nodes with the same labels are one path. With
// it, f gets, per step, the nodes of the class paths with those labels
// (steps[i] for path[i]; every edge from steps[i] to steps[i+1] lies on
// one). It stops after limit paths (0: no limit) and reports whether more
// were left.
func eachShortestPath(dg *simple.DirectedGraph, origin int64, ends []int64, labels []string, limit int, f func(path []string, steps [][]int64)) bool {
	// Only the nodes that lead to an end are walked.
	leads := map[int64]bool{}
	var back func(id int64)
	back = func(id int64) {
		if leads[id] || id == origin {
			return
		}
		leads[id] = true
		for to := dg.To(id); to.Next(); {
			back(to.Node().ID())
		}
	}
	isEnd := map[int64]bool{}
	for _, id := range ends {
		back(id)
		isEnd[id] = true
	}
	var path []string
	var steps [][]int64
	found, more := 0, false
	// walk extends the paths whose last nodes are set: the successors of
	// the set that lead to an end, a group per label, in label order.
	var walk func(set []int64) bool
	walk = func(set []int64) bool {
		if isEnd[set[0]] {
			if limit > 0 && found == limit {
				more = true
				return false
			}
			found++
			// Keep, at each step, the nodes that go on to the end with
			// these labels.
			kept := make([][]int64, len(steps))
			kept[len(steps)-1] = set
			for i := len(steps) - 2; i >= 0; i-- {
				for _, u := range steps[i] {
					if slices.ContainsFunc(kept[i+1], func(v int64) bool { return dg.HasEdgeFromTo(u, v) }) {
						kept[i] = append(kept[i], u)
					}
				}
			}
			f(slices.Clone(path), kept)
			return true
		}
		next := map[string][]int64{}
		for _, u := range set {
			for to := dg.From(u); to.Next(); {
				if v := to.Node().ID(); leads[v] && !slices.Contains(next[labels[v]], v) {
					next[labels[v]] = append(next[labels[v]], v)
				}
			}
		}
		for _, label := range slices.Sorted(maps.Keys(next)) {
			path, steps = append(path, label), append(steps, next[label])
			ok := walk(next[label])
			path, steps = path[:len(path)-1], steps[:len(steps)-1]
			if !ok {
				return false
			}
		}
		return true
	}
	walk([]int64{origin})
	return more
}

// reachesPod reports whether class c may open a connection to pod pi in one hop
// (a rule edge of its row, or node-local traffic from a host-network class).
func (g *Graph) reachesPod(c, pi int32, filter func(evaluator.PortSet) evaluator.PortSet) bool {
	src, dst := Endpoint{pod: g.podIndex[g.classes[c].rep]}, Endpoint{pod: pi}
	if !g.enforced {
		return !filter(evaluator.AllPorts(evaluator.Protocols...)).Empty()
	}
	// The class's ports towards the pod, leaving out loopback: the rep may be
	// the pod itself, but the class stands for all its pods.
	eg := g.egressPorts(src, dst)
	return !filter(eg.Intersect(g.ingressPorts(src, dst))).Empty()
}

// isolatedOnNode returns the active pods of a node that are isolated for
// ingress: the pods that node-local traffic reaches beyond the rules (§2.10).
func (g *Graph) isolatedOnNode(node string) []int32 {
	g.nodeOnce.Do(func() {
		g.isolatedByNode = map[string][]int32{}
		for i, p := range g.pods {
			if c := g.podClass[i]; c >= 0 && p.NodeName != "" && g.classes[c].isolatedIn && !p.HostNetwork {
				g.isolatedByNode[p.NodeName] = append(g.isolatedByNode[p.NodeName], int32(i))
			}
		}
	})
	return g.isolatedByNode[node]
}

func join(s []string) string {
	return strings.Join(s, " → ")
}
