package engine

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"go4.org/netipx"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// Exposure is, for one catalogue network, who may open connections to it and
// whom it may open connections to, at workload level.
type Exposure struct {
	Network *model.Network
	// Effective is the part of the network's addresses that belongs to it: an
	// address belongs to the most specific network of the catalogue that
	// contains it.
	Effective []netipx.IPRange
	// Outbound are the workloads that may open connections to the network.
	Outbound []WorkloadExposure
	// Inbound are the workloads the network may open connections to.
	Inbound []WorkloadExposure
}

// WorkloadExposure is one workload's connectivity with a network. Workloads
// with the same connectivity share one answer, kept compactly: Ports, All and
// Ranges read it.
type WorkloadExposure struct {
	// Workload is the workload id (ns/Kind/name; ns/Pod/name for a bare pod).
	Workload string
	// Pods is the number of the workload's pods that have the connectivity.
	Pods   int
	answer answerRef
}

// Ports is the union of the allowed ports over the network's addresses.
func (w WorkloadExposure) Ports() evaluator.PortSet {
	if w.answer.t == nil {
		return evaluator.PortSet{}
	}
	return w.answer.t.ports[w.answer.t.entry(w.answer.id).ports]
}

// All is true when every address of the network is allowed the same Ports.
func (w WorkloadExposure) All() bool {
	return w.answer.t != nil && w.answer.t.entry(w.answer.id).all
}

// Ranges are the parts of the network with their allowed ports, sorted and
// disjoint; neighbours with equal ports are merged. Each call builds a new
// slice.
func (w WorkloadExposure) Ranges() []RangePorts {
	t := w.answer.t
	if t == nil {
		return nil
	}
	a := t.entry(w.answer.id)
	out := make([]RangePorts, 0, a.to-a.from)
	for _, c := range t.chunks[a.chunk][a.from:a.to] {
		net := t.net[c.k]
		out = append(out, RangePorts{
			Range: netipx.IPRangeFrom(maxAddr(t.pieces[c.lo].From(), net.From()), minAddr(t.pieces[c.hi-1].To(), net.To())),
			Ports: t.ports[c.ports],
		})
	}
	return out
}

// RangePorts is an address range and the ports allowed with it.
type RangePorts struct {
	Range netipx.IPRange
	Ports evaluator.PortSet
}

// answerRef is one answer of an answer table.
type answerRef struct {
	t  *answerTable
	id int32
}

// answerTable holds the distinct answers of one side of one network, without
// pointers but for the shared tables they are read with: at T5 the answers
// are ~20,000 lists of up to ~21 ranges each, which as RangePorts values
// (120 bytes, five pointers) were a third of what a call allocated.
type answerTable struct {
	pieces []netipx.IPRange    // the pieces of the address space
	net    []netipx.IPRange    // the network's own (effective) ranges
	ports  []evaluator.PortSet // the port sets, by number
	// answers are numbered in chunks of answerChunk, and chunks hold the
	// answers' ranges, each answer's in one chunk: chunks of a fixed size
	// are allocated as they fill, instead of growing one slice (which at T5
	// allocated about five times what it kept).
	answers [][]answerEntry
	chunks  [][]clipRange
}

// rangeChunk is the size of a chunk of clipped ranges (an answer with more
// gets a chunk of its own); answerChunk the number of answers in a chunk.
// Tests make them small.
var (
	rangeChunk  = 8192
	answerChunk = int32(1024)
)

// entry returns an answer by number.
func (t *answerTable) entry(id int32) *answerEntry {
	return &t.answers[id/answerChunk][id%answerChunk]
}

// answerEntry is an answer: chunks[chunk][from:to], the union of their
// ports, and whether they are the whole network with the same ports.
type answerEntry struct {
	chunk, from, to int32
	ports           int32
	all             bool
}

// add appends an answer made of ranges (copied) and returns its number.
func (t *answerTable) add(ranges []clipRange, ports int32, all bool) int32 {
	n := len(t.chunks) - 1
	if n < 0 || cap(t.chunks[n])-len(t.chunks[n]) < len(ranges) {
		t.chunks = append(t.chunks, make([]clipRange, 0, max(rangeChunk, len(ranges))))
		n++
	}
	from := len(t.chunks[n])
	t.chunks[n] = append(t.chunks[n], ranges...)
	last := len(t.answers) - 1
	if last < 0 || len(t.answers[last]) == int(answerChunk) {
		t.answers = append(t.answers, make([]answerEntry, 0, answerChunk))
		last++
	}
	t.answers[last] = append(t.answers[last], answerEntry{chunk: int32(n), from: int32(from), to: int32(len(t.chunks[n])), ports: ports, all: all})
	return int32(last)*answerChunk + int32(len(t.answers[last])-1)
}

// clipRange is the part of the network's range k that lies in pieces
// [lo, hi), with a port set's number.
type clipRange struct {
	lo, hi, k, ports int32
}

// Exposures computes the exposure of every network of the catalogue (all of
// them when names is empty). Classes whose rules name the same addresses with
// the same ports get the same answer, computed once for the whole address
// space from the ipBlocks' boundaries; a workload's answer is its classes'
// answers combined, plus, on the inbound side, the addresses of each pod's own
// node (§2.10).
func (g *Graph) Exposures(catalog []*model.Network, names ...string) []Exposure {
	effective := mostSpecific(catalog)
	var out []Exposure
	for i, n := range catalog {
		if len(names) == 0 || slices.Contains(names, n.Name) {
			out = append(out, Exposure{Network: n, Effective: effective[i].Ranges()})
		}
	}
	// Only the networks' addresses are asked about.
	sets := make([][]netipx.IPRange, len(out))
	for k, e := range out {
		sets[k] = e.Effective
	}
	ranges := windowOf(sets)
	var wg sync.WaitGroup
	// The first call after compile also numbers the workloads and the named
	// port sets, which the sides need later; that goes on beside cutting the
	// address space.
	wg.Go(func() {
		g.workloads()
		g.namedPortSets()
	})
	// Both sides only read the graph once the pieces and span sets exist;
	// each has its own port and answer tables, so they run side by side.
	x := g.newExternalWithin(ranges)
	y := x.forAllClasses()
	// The inbound side has more to do (named ports, own-node addresses), so
	// the outbound goroutine also lists the workloads and groups pods by
	// their own node for it.
	wlsOf := make(chan []workloadPods, 1)
	owns := make(chan *ownNodes, 1)
	wg.Go(func() {
		wls := g.workloadPods()
		wlsOf <- wls
		owns <- y.ownNodes()
		egress := make([]int32, len(g.classes))
		for c := range g.classes {
			egress[c] = y.egressList(int32(c))
		}
		for k := range out {
			out[k].Outbound = y.exposureSide(wls, y.netSet(out[k].Effective), egress, nil)
		}
	})
	ingress := make([]int32, len(g.classes))
	for c := range g.classes {
		ingress[c] = x.ingressList(int32(c))
	}
	wls, own := <-wlsOf, <-owns
	inbound := make([][]WorkloadExposure, len(out))
	for k := range out {
		inbound[k] = x.exposureSide(wls, x.netSet(out[k].Effective), ingress, own)
	}
	wg.Wait()
	for k := range out {
		out[k].Inbound = inbound[k]
	}
	return out
}

// workloadPods are the active pods of each workload (a bare pod is its own
// workload), sorted by workload id.
type workloadPods struct {
	id   string
	pods []int32
}

func (g *Graph) workloadPods() []workloadPods {
	podWL, ids, _ := g.workloads()
	// Every workload's pods in one array: count, then fill.
	at := make([]int32, len(ids)+1)
	for pi, wl := range podWL {
		if g.podClass[pi] >= 0 {
			at[wl+1]++
		}
	}
	for i := range ids {
		at[i+1] += at[i]
	}
	all := make([]int32, at[len(ids)])
	out := make([]workloadPods, len(ids))
	for i, id := range ids {
		out[i] = workloadPods{id: id, pods: all[at[i]:at[i]:at[i+1]]}
	}
	for pi, wl := range podWL {
		if g.podClass[pi] >= 0 {
			out[wl].pods = append(out[wl].pods, int32(pi))
		}
	}
	out = slices.DeleteFunc(out, func(w workloadPods) bool { return len(w.pods) == 0 })
	slices.SortFunc(out, func(a, b workloadPods) int { return strings.Compare(a.id, b.id) })
	return out
}

// workloads numbers the workloads once: the workload of each pod (a bare pod
// is a workload of its own, ns/Pod/name) and each workload's id.
func (g *Graph) workloads() (podWorkload []int32, ids []string, rank []int32) {
	g.workloadsOnce.Do(func() {
		index := make(map[*model.Workload]int32)
		g.podWorkload = make([]int32, len(g.pods))
		for pi, p := range g.pods {
			if p.Workload == nil {
				g.podWorkload[pi] = int32(len(g.workloadIDs))
				g.workloadIDs = append(g.workloadIDs, workloadID(p))
				continue
			}
			i, ok := index[p.Workload]
			if !ok {
				i = int32(len(g.workloadIDs))
				index[p.Workload] = i
				g.workloadIDs = append(g.workloadIDs, p.Workload.ID())
			}
			g.podWorkload[pi] = i
		}
		order := make([]int32, len(g.workloadIDs))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return strings.Compare(g.workloadIDs[a], g.workloadIDs[b]) })
		g.workloadRank = make([]int32, len(order))
		for r, i := range order {
			g.workloadRank[i] = int32(r)
		}
	})
	return g.podWorkload, g.workloadIDs, g.workloadRank
}

// podIDs returns the id (namespace/name) of every pod, made on first use.
func (g *Graph) podIDs() []string {
	g.podIDsOnce.Do(func() {
		g.podIDList = make([]string, len(g.pods))
		for i, p := range g.pods {
			g.podIDList[i] = p.ID()
		}
	})
	return g.podIDList
}

// podRoster returns the pods that take part in workload id order and, within a
// workload, in pod id order, with where each workload's pods start (indexed
// by rank; the last entry is the end), made on first use: a blast radius
// lists its rows in this order, so it sorts nothing per walk.
func (g *Graph) podRoster() (pods, start []int32) {
	g.rosterOnce.Do(func() {
		podWL, ids, rank := g.workloads()
		podIDs := g.podIDs()
		start := make([]int32, len(ids)+1)
		for pi, wl := range podWL {
			if g.podClass[pi] >= 0 {
				start[rank[wl]+1]++
			}
		}
		for r := range ids {
			start[r+1] += start[r]
		}
		pods := make([]int32, start[len(ids)])
		next := slices.Clone(start[:len(ids)])
		for pi, wl := range podWL {
			if g.podClass[pi] >= 0 {
				pods[next[rank[wl]]] = int32(pi)
				next[rank[wl]]++
			}
		}
		for r := range ids {
			if wl := pods[start[r]:start[r+1]]; len(wl) > 1 {
				slices.SortFunc(wl, func(a, b int32) int { return strings.Compare(podIDs[a], podIDs[b]) })
			}
		}
		g.rosterNS = make([]int32, len(ids))
		for r := range ids {
			g.rosterNS[r] = -1
			if start[r] < start[r+1] {
				g.rosterNS[r] = g.classes[g.podClass[pods[start[r]]]].nsID
			}
		}
		g.rosterIDs = make([]string, len(pods))
		for i, pi := range pods {
			g.rosterIDs[i] = podIDs[pi]
		}
		g.roster, g.rosterStart = pods, start
	})
	return g.roster, g.rosterStart
}

// mostSpecific gives each network the addresses for which it holds the longest
// containing prefix of the catalogue (ties go to the network listed first).
func mostSpecific(catalog []*model.Network) []*netipx.IPSet {
	type entry struct {
		p    netip.Prefix
		net  int
		rank int // position in the claiming order: longer prefixes first, then catalogue order
	}
	var all []entry
	for i, n := range catalog {
		for _, p := range n.CIDRs {
			all = append(all, entry{p: p.Masked(), net: i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].p.Bits() > all[j].p.Bits() })
	for k := range all {
		all[k].rank = k
	}
	// By address, so that the prefixes inside a prefix are found by binary search.
	byAddr := slices.Clone(all)
	slices.SortFunc(byAddr, func(a, b entry) int { return a.p.Addr().Compare(b.p.Addr()) })
	builders := make([]netipx.IPSetBuilder, len(catalog))
	for _, e := range all {
		// The prefix minus every prefix that claims first: those of them that
		// overlap it lie inside it (they are at least as long).
		var b netipx.IPSetBuilder
		b.AddPrefix(e.p)
		first, last := e.p.Addr(), lastAddr(e.p)
		i := sort.Search(len(byAddr), func(i int) bool { return byAddr[i].p.Addr().Compare(first) >= 0 })
		for ; i < len(byAddr) && byAddr[i].p.Addr().Compare(last) <= 0; i++ {
			if prev := byAddr[i]; prev.rank < e.rank && prev.p.Overlaps(e.p) {
				b.RemovePrefix(prev.p)
			}
		}
		s, _ := b.IPSet()
		builders[e.net].AddSet(s)
	}
	out := make([]*netipx.IPSet, len(catalog))
	for i := range builders {
		out[i], _ = builders[i].IPSet()
	}
	return out
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return b
	}
	return a
}

func minAddr(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return a
	}
	return b
}

// ownNodes groups the active pods by the pieces of their
// own node's addresses, from which ingress is always admitted (§2.10).
type ownNodes struct {
	group  []int32   // per pod: index into pieces, -1 for none
	pieces [][]int32 // sorted piece indexes of each group
}

// ownNodes finds the own-node pieces of every active pod. Pods are grouped
// by node and host address, on which ownNodeAddrs depends.
func (x *external) ownNodes() *ownNodes {
	g := x.g
	o := &ownNodes{group: make([]int32, len(g.pods))}
	type hostGroup struct {
		host  netip.Addr
		group int32
	}
	byNode := map[string][]hostGroup{}
	for pi, c := range g.podClass {
		o.group[pi] = -1
		p := g.pods[pi]
		if c < 0 || p.NodeName == "" {
			continue
		}
		hosts := byNode[p.NodeName]
		id := int32(-1)
		for _, h := range hosts {
			if h.host == p.HostIP {
				id = h.group
				break
			}
		}
		if id < 0 {
			id = int32(len(o.pieces))
			byNode[p.NodeName] = append(hosts, hostGroup{p.HostIP, id})
			o.pieces = append(o.pieces, x.ownPieces(p))
		}
		o.group[pi] = id
	}
	return o
}

// found is a workload's answer on one side, before it is reported.
type found struct {
	wl     int32 // index in the workload list
	pods   int32
	answer int32
}

// exposureSide computes, per workload, the ports allowed towards (outbound) or
// from (inbound) the addresses of a network. Every pod of a class is treated
// alike, except that traffic from a pod's own node is always admitted (§2.10):
// own gives each pod the pieces of its node's addresses (nil outbound).
// listOf gives each class its answer (a run list number, -1 for none).
func (x *external) exposureSide(wls []workloadPods, set netSet, listOf []int32, own *ownNodes) []WorkloadExposure {
	g := x.g
	t := &answerTable{pieces: x.pieces, net: set.ranges}
	// Whether each run list meets the network is found once, and the list is
	// clipped to the network once, both when first needed: workloads that
	// merge answers (inbound, most of them merge their own node's addresses)
	// need only the first.
	if cap(x.sums) < len(x.lists) {
		x.sums = make([]int32, len(x.lists))
	}
	sums := x.sums[:len(x.lists)] // answer number + 1; 0 not yet clipped
	clear(sums)
	if cap(x.meet) < len(x.lists) {
		x.meet = make([]int8, len(x.lists))
	}
	meets := x.meet[:len(x.lists)] // 0 unknown, 1 no, 2 yes
	clear(meets)
	meetsNet := func(id int32) bool {
		if meets[id] == 0 {
			meets[id] = 1
			if x.meets(x.lists[id], set) {
				meets[id] = 2
			}
		}
		return meets[id] == 2
	}
	answerOf := func(id int32) int32 {
		if sums[id] == 0 {
			sums[id] = x.clip(t, x.lists[id], set) + 1
		}
		return sums[id] - 1
	}
	// The own-node pieces of each group that lie in the network.
	var ownIn [][]int32
	if own != nil {
		ownIn = make([][]int32, len(own.pieces))
		for gi, pieces := range own.pieces {
			for _, p := range pieces {
				if rangesContain(set.ranges, x.pieces[p].From()) {
					ownIn[gi] = append(ownIn[gi], p)
				}
			}
		}
	}
	// Workloads whose classes have several answers, by those answers.
	multi := map[string]int32{}
	var (
		ids     []int32
		singles []int32
		key     []byte
	)
	if cap(x.found) < len(wls) {
		x.found = make([]found, 0, len(wls))
	}
	results := x.found[:0]
	for wi, wl := range wls {
		ids, singles = ids[:0], singles[:0]
		pods := 0
		for _, pi := range wl.pods {
			id := listOf[g.podClass[pi]]
			has := false
			if id >= 0 && meetsNet(id) {
				has = true
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			if own != nil && id != allListID {
				if gi := own.group[pi]; gi >= 0 && len(ownIn[gi]) > 0 {
					singles = append(singles, ownIn[gi]...)
					has = true
				}
			}
			if has {
				pods++
			}
		}
		if pods == 0 {
			continue
		}
		var a int32
		switch {
		case len(singles) == 0 && len(ids) == 1:
			a = answerOf(ids[0])
		case len(singles) == 0:
			slices.Sort(ids)
			key = key[:0]
			for _, id := range ids {
				key = binary.LittleEndian.AppendUint32(key, uint32(id))
			}
			var ok bool
			if a, ok = multi[string(key)]; !ok {
				a = x.clip(t, x.unionRuns(ids, nil), set)
				multi[string(key)] = a
			}
		default:
			a = x.clip(t, x.unionRuns(ids, singles), set)
		}
		results = append(results, found{int32(wi), int32(pods), a})
	}
	x.found = results
	// Port sets numbered so far cover every answer of t.
	t.ports = x.ports.sets
	if len(results) == 0 {
		return nil
	}
	out := make([]WorkloadExposure, len(results))
	for i, f := range results {
		out[i] = WorkloadExposure{Workload: wls[f.wl].id, Pods: int(f.pods), answer: answerRef{t, f.answer}}
	}
	return out
}

// rangesContain reports whether sorted, disjoint ranges hold an address.
func rangesContain(set []netipx.IPRange, a netip.Addr) bool {
	i := sort.Search(len(set), func(i int) bool { return !set[i].To().Less(a) })
	return i < len(set) && !a.Less(set[i].From())
}

func workloadID(p *model.Pod) string {
	if p.Workload != nil {
		return p.Workload.ID()
	}
	return p.Namespace + "/Pod/" + p.Name
}

func samePorts(rs []RangePorts) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs[1:] {
		if !r.Ports.Equal(rs[0].Ports) {
			return false
		}
	}
	return true
}
