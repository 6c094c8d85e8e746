package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// classEdge is an edge of the class graph: the other class and the ports.
type classEdge struct {
	c     int32
	ports evaluator.PortSet
}

// classGraph is the one-hop reachability between pod classes, built once per
// audit from the class rows (every pod of a class reaches what its class row
// says). Classes whose rows are equal by construction (same egress rules, or
// open egress, and membership in the same ingress peer sets) share one row, so
// an open cluster stores a handful of rows, not classes squared edges. Node-
// local reach (§2.10) is added: a host-network class reaches the pods of its
// node that ingress isolation would refuse; those pods are not whole classes,
// so each (node, class) share reached that way is a vertex of its own, which
// goes on to reach what its class reaches.
type classGraph struct {
	rowOf []int32       // class → row
	rows  [][]classEdge // distinct rows, sorted by class (a class's own class included)
	// rowSrc lists the classes of each row.
	rowSrc [][]int32
	// virt are the node-local vertices; hostVirt lists those of each
	// host-network class.
	virt     []virtVertex
	hostVirt [][]int32
	// Per class: pod count and the workloads of its pods (indexes in wlIDs,
	// the sorted workload ids of the active pods).
	npods     []int
	workloads [][]int32
	wlIDs     []string
	// inRows lists, per class, the rows that contain it (the reverse edges,
	// by row rather than by source class).
	inRows [][]int32
	// Scratch stamps for sum, by workload and by namespace index.
	wlStamp, nsStamp []int
	stamp            int
	wlPorts          []evaluator.PortSet
}

// virtVertex is the pods of one class on one node.
type virtVertex struct {
	class int32
	pods  []int32
}

func newClassGraph(g *Graph) *classGraph {
	n := len(g.classes)
	cg := &classGraph{rowOf: make([]int32, n), hostVirt: make([][]int32, n), npods: make([]int, n), workloads: make([][]int32, n),
		inRows: make([][]int32, n), nsStamp: make([]int, len(g.snap.Namespaces))}
	wlIndex := map[string]int32{}
	for i, p := range g.pods {
		if g.podClass[i] >= 0 {
			wlIndex[podWorkloadID(p)] = 0
		}
	}
	for id := range wlIndex {
		cg.wlIDs = append(cg.wlIDs, id)
	}
	sort.Strings(cg.wlIDs)
	for i, id := range cg.wlIDs {
		wlIndex[id] = int32(i)
	}
	cg.wlStamp, cg.wlPorts = make([]int, len(cg.wlIDs)), make([]evaluator.PortSet, len(cg.wlIDs))
	g.buildInverse()
	rowIDs := map[string]int32{}
	var key []byte
	for cs := range g.classes {
		cl := &g.classes[cs]
		cg.npods[cs] = len(cl.pods)
		for _, pi := range cl.pods {
			w := wlIndex[podWorkloadID(g.pods[pi])]
			if !slices.Contains(cg.workloads[cs], w) {
				cg.workloads[cs] = append(cg.workloads[cs], w)
			}
		}
		slices.Sort(cg.workloads[cs])
		key = rowKeyOf(g, int32(cs), key[:0])
		id, ok := rowIDs[string(key)]
		if !ok {
			id = int32(len(cg.rows))
			rowIDs[string(key)] = id
			var row []classEdge
			for cd, p := range g.row(int32(cs)) {
				if !p.Empty() {
					row = append(row, classEdge{cd, p})
				}
			}
			sort.Slice(row, func(i, j int) bool { return row[i].c < row[j].c })
			for _, e := range row {
				cg.inRows[e.c] = append(cg.inRows[e.c], id)
			}
			cg.rows = append(cg.rows, row)
			cg.rowSrc = append(cg.rowSrc, nil)
		}
		cg.rowOf[cs] = id
		cg.rowSrc[id] = append(cg.rowSrc[id], int32(cs))
	}
	if !g.enforced {
		return cg // every class reaches every class already
	}
	byNode := map[string]map[int32][]int32{} // node → isolated class → pods
	for i, p := range g.pods {
		c := g.podClass[i]
		if c < 0 || p.NodeName == "" || !g.classes[c].isolatedIn || g.classes[c].hostNetwork {
			continue
		}
		if byNode[p.NodeName] == nil {
			byNode[p.NodeName] = map[int32][]int32{}
		}
		byNode[p.NodeName][c] = append(byNode[p.NodeName][c], int32(i))
	}
	// One vertex per (node, class), shared by the host-network classes of the
	// node: their pods are the same.
	vertexOf := map[string]map[int32]int32{}
	for h := range g.classes {
		cl := &g.classes[h]
		if !cl.hostNetwork || cl.rep.NodeName == "" {
			continue
		}
		if vertexOf[cl.rep.NodeName] == nil {
			vertexOf[cl.rep.NodeName] = map[int32]int32{}
		}
		var classes []int32
		for c := range byNode[cl.rep.NodeName] {
			if _, inRow := cg.edge(int32(h), c); !inRow {
				classes = append(classes, c)
			}
		}
		sort.Slice(classes, func(i, j int) bool { return classes[i] < classes[j] })
		for _, c := range classes {
			v, ok := vertexOf[cl.rep.NodeName][c]
			if !ok {
				v = int32(len(cg.virt))
				vertexOf[cl.rep.NodeName][c] = v
				cg.virt = append(cg.virt, virtVertex{class: c, pods: byNode[cl.rep.NodeName][c]})
			}
			cg.hostVirt[h] = append(cg.hostVirt[h], v)
		}
	}
	return cg
}

// rowKeyOf appends to b what a class's row depends on: open egress or its
// egress rule list (shared by classes that the same policies select), and the
// ingress peer sets that contain it (ingress admission tests only those).
func rowKeyOf(g *Graph, c int32, b []byte) []byte {
	if !g.enforced {
		return append(b, '*')
	}
	cl := &g.classes[c]
	switch {
	case cl.hostNetwork || !cl.isolatedEg:
		b = append(b, 'o')
	case len(cl.egRules) == 0:
		return append(b, 'd') // egress denied: an empty row
	default:
		b = fmt.Appendf(b, "r%p/%d", &cl.egRules[0], len(cl.egRules))
	}
	ids := slices.Clone(g.memberOf[c])
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		b = fmt.Appendf(b, ",%d", id)
	}
	return b
}

// out returns the row of a class.
func (cg *classGraph) out(c int32) []classEdge { return cg.rows[cg.rowOf[c]] }

// edge returns the ports from class a to class b, and whether a reaches b.
func (cg *classGraph) edge(a, b int32) (evaluator.PortSet, bool) {
	return cg.edgeInRow(cg.rowOf[a], b)
}

// nodeLocalPods counts the pods a host-network class reaches only as their node.
func (cg *classGraph) nodeLocalPods(h int32) int {
	n := 0
	for _, v := range cg.hostVirt[h] {
		n += len(cg.virt[v].pods)
	}
	return n
}

// reach sums up a set of classes reached (or reaching) in one hop.
type reach struct {
	pods, namespaces int
	// examples are a few workloads with the ports, other namespaces first.
	examples []string
}

// reachers sums up the pods that may open connections to some pod of the
// classes (pods of the classes themselves excluded), by rules, through the
// rows that contain the classes.
func (cg *classGraph) reachers(g *Graph, classes []int32) reach {
	mine := map[int32]bool{}
	for _, c := range classes {
		mine[c] = true
	}
	var edges []classEdge // source class, ports towards one of the classes
	for _, t := range classes {
		for _, r := range cg.inRows[t] {
			ports, _ := cg.edgeInRow(r, t)
			for _, src := range cg.rowSrc[r] {
				if !mine[src] {
					edges = append(edges, classEdge{src, ports})
				}
			}
		}
	}
	return cg.sum(g, classes, edges, "from ")
}

// edgeInRow returns the ports a row has towards class c.
func (cg *classGraph) edgeInRow(r, c int32) (evaluator.PortSet, bool) {
	row := cg.rows[r]
	i := sort.Search(len(row), func(i int) bool { return row[i].c >= c })
	if i < len(row) && row[i].c == c {
		return row[i].ports, true
	}
	return evaluator.PortSet{}, false
}

// reached sums up the pods that some pod of the classes may open connections
// to (pods of the classes themselves excluded), node-local reach included.
func (cg *classGraph) reached(g *Graph, classes []int32) reach {
	mine := map[int32]bool{}
	for _, c := range classes {
		mine[c] = true
	}
	var edges []classEdge
	reachedClass := map[int32]bool{}
	rowsSeen := map[int32]bool{}
	for _, c := range classes {
		if rowsSeen[cg.rowOf[c]] {
			continue
		}
		rowsSeen[cg.rowOf[c]] = true
		for _, e := range cg.out(c) {
			if !mine[e.c] {
				edges = append(edges, e)
				reachedClass[e.c] = true
			}
		}
	}
	r := cg.sum(g, classes, edges, "to ")
	seenVirt := map[int32]bool{}
	for _, c := range classes {
		for _, v := range cg.hostVirt[c] {
			if vc := cg.virt[v].class; !reachedClass[vc] && !mine[vc] && !seenVirt[v] {
				seenVirt[v] = true
				r.pods += len(cg.virt[v].pods)
			}
		}
	}
	return r
}

// sum counts the pods and namespaces of the classes that edges lead to (or
// come from), and names a few workloads with their ports: those of other
// namespaces first, in id order. It runs in time linear in the edges, with
// stamps instead of maps: it is called once per workload and namespace.
func (cg *classGraph) sum(g *Graph, classes []int32, edges []classEdge, dir string) reach {
	myNS := map[string]bool{}
	for _, c := range classes {
		myNS[g.classes[c].namespace] = true
	}
	cg.stamp++
	mark := cg.stamp
	classSeen := map[int32]bool{}
	var r reach
	nworkloads := 0
	const want = 3
	var other, same []int32 // the smallest workload indexes seen, by namespace side
	keep := func(list []int32, w int32) []int32 {
		list = append(list, w)
		slices.Sort(list)
		if len(list) > want {
			list = list[:want]
		}
		return list
	}
	for _, e := range edges {
		for _, w := range cg.workloads[e.c] {
			if cg.wlStamp[w] != mark {
				cg.wlStamp[w] = mark
				cg.wlPorts[w] = evaluator.PortSet{}
				nworkloads++
				if myNS[nsOf(cg.wlIDs[w])] {
					same = keep(same, w)
				} else {
					other = keep(other, w)
				}
			}
			cg.wlPorts[w] = cg.wlPorts[w].Union(e.ports)
		}
		if classSeen[e.c] {
			continue
		}
		classSeen[e.c] = true
		r.pods += cg.npods[e.c]
		if ns := g.classes[e.c].nsID; cg.nsStamp[ns] != mark {
			cg.nsStamp[ns] = mark
			r.namespaces++
		}
	}
	picked := append(other, same...)
	if len(picked) > want {
		picked = picked[:want]
	}
	for _, w := range picked {
		r.examples = append(r.examples, fmt.Sprintf("%s%s (%s)", dir, cg.wlIDs[w], cg.wlPorts[w]))
	}
	if nworkloads > want {
		r.examples = append(r.examples, fmt.Sprintf("and %d more workloads", nworkloads-want))
	}
	return r
}

func nsOf(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}

// transitiveReach returns, for every class, how many pods its representative
// pod reaches transitively (itself excluded) and in how many namespaces: the
// count `netreach blast-radius` reports for that pod. The graph it walks has
// the classes, the node-local vertices and one vertex per distinct row (class
// → its row → the row's classes), so its size is classes plus distinct rows'
// lengths, not classes squared. It walks once per strongly connected
// component holding a class (every vertex of a component reaches the same
// vertices), so the cost grows with components times graph size, never with
// pods squared.
func (cg *classGraph) transitiveReach(g *Graph) (count, namespaces []int) {
	n, nv := len(g.classes), len(cg.virt)
	total := n + nv + len(cg.rows)
	succ := func(v int, f func(int)) {
		switch {
		case v < n:
			f(n + nv + int(cg.rowOf[v]))
			for _, x := range cg.hostVirt[v] {
				f(n + int(x))
			}
		case v < n+nv:
			f(n + nv + int(cg.rowOf[cg.virt[v-n].class]))
		default:
			for _, e := range cg.rows[v-n-nv] {
				f(int(e.c))
			}
		}
	}
	// gonum's Tarjan reads the graph through Nodes and From only: an adapter
	// over the class graph avoids copying it into a map-based graph.
	dg := succGraph{n: total, succ: succ}
	count, namespaces = make([]int, n), make([]int, n)
	stamp := make([]int, total)
	var queue []int
	for i, comp := range topo.TarjanSCC(dg) {
		start := -1
		for _, node := range comp {
			if int(node.ID()) < n {
				start = int(node.ID())
				break
			}
		}
		if start < 0 {
			continue // no class in it
		}
		mark := i + 1
		queue = queue[:0]
		visit := func(w int) {
			if stamp[w] != mark {
				stamp[w] = mark
				queue = append(queue, w)
			}
		}
		succ(start, visit)
		for k := 0; k < len(queue); k++ {
			succ(queue[k], visit)
		}
		pods := 0
		nsSet := map[string]bool{}
		virtOnNode := map[int32]map[string]bool{} // class → nodes whose share is reached
		for _, v := range queue {
			switch {
			case v < n:
				pods += cg.npods[v]
				nsSet[g.classes[v].namespace] = true
			case v < n+nv:
				vv := cg.virt[v-n]
				if stamp[vv.class] == mark {
					continue
				}
				pods += len(vv.pods)
				nsSet[g.classes[vv.class].namespace] = true
				if virtOnNode[vv.class] == nil {
					virtOnNode[vv.class] = map[string]bool{}
				}
				virtOnNode[vv.class][g.pods[vv.pods[0]].NodeName] = true
			}
		}
		for _, node := range comp {
			c := int(node.ID())
			if c >= n {
				continue
			}
			cnt := pods
			// The walk starts from the representative pod, which it does not count.
			if stamp[c] == mark || virtOnNode[int32(c)][g.classes[c].rep.NodeName] {
				cnt--
			}
			count[c], namespaces[c] = cnt, len(nsSet)
		}
	}
	return count, namespaces
}

// succGraph is a directed graph over vertices 0..n-1 given by a successor
// function; it implements what topo.TarjanSCC reads (the rest answers from
// the same function).
type succGraph struct {
	n    int
	succ func(v int, f func(int))
}

func (g succGraph) Node(id int64) graph.Node {
	if id < 0 || id >= int64(g.n) {
		return nil
	}
	return simple.Node(id)
}

func (g succGraph) Nodes() graph.Nodes {
	nodes := make([]graph.Node, g.n)
	for i := range nodes {
		nodes[i] = simple.Node(int64(i))
	}
	return iterator.NewOrderedNodes(nodes)
}

func (g succGraph) From(id int64) graph.Nodes {
	var out []graph.Node
	seen := map[int]bool{}
	g.succ(int(id), func(w int) {
		if w != int(id) && !seen[w] {
			seen[w] = true
			out = append(out, simple.Node(int64(w)))
		}
	})
	if len(out) == 0 {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(out)
}

func (g succGraph) HasEdgeFromTo(u, v int64) bool {
	found := false
	g.succ(int(u), func(w int) { found = found || int64(w) == v })
	return found && u != v
}

func (g succGraph) HasEdgeBetween(x, y int64) bool {
	return g.HasEdgeFromTo(x, y) || g.HasEdgeFromTo(y, x)
}

func (g succGraph) Edge(u, v int64) graph.Edge {
	if !g.HasEdgeFromTo(u, v) {
		return nil
	}
	return simple.Edge{F: simple.Node(u), T: simple.Node(v)}
}

func (g succGraph) To(id int64) graph.Nodes {
	var out []graph.Node
	for u := 0; u < g.n; u++ {
		if g.HasEdgeFromTo(int64(u), id) {
			out = append(out, simple.Node(int64(u)))
		}
	}
	if len(out) == 0 {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(out)
}

// maxBlastWalks bounds the blast-radius walks run for evidence: each costs a
// pass over the pods, so only the workloads with the largest reach get one.
const maxBlastWalks = 3

// blastRadius: NR017.
func (a *auditor) blastRadius(maxReach float64) {
	if a.activePods == 0 {
		return
	}
	count, namespaces := a.cg.transitiveReach(a.g)
	type hit struct {
		w          *auditWorkload
		pod        *model.Pod
		count, nss int
	}
	var hits []hit
	for _, w := range a.workloads {
		best := hit{w: w, count: -1}
		for _, pi := range w.pods {
			c := a.g.podClass[pi]
			if count[c] > best.count {
				// The count is the class representative's; name it when it is the
				// workload's own pod (the usual case), else this pod of the class.
				best.count, best.nss, best.pod = count[c], namespaces[c], a.g.classes[c].rep
				if podWorkloadID(best.pod) != w.id {
					best.pod = a.g.pods[pi]
				}
			}
		}
		if float64(best.count) > maxReach*float64(a.activePods) {
			hits = append(hits, best)
		}
	}
	// Walks for evidence, largest reach first, one per class: pods of a class
	// have the same row, so the walk from the class's representative is the
	// walk from any of its pods, but for the first element of each path.
	walks := map[int32]*Blast{}
	order := make([]int, len(hits))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return hits[order[i]].count > hits[order[j]].count })
	for _, i := range order {
		c := a.g.podClass[a.g.podIndex[hits[i].pod]]
		if _, done := walks[c]; !done && len(walks) < maxBlastWalks {
			walks[c] = a.g.BlastRadius([]*model.Pod{a.g.classes[c].rep}, nil, BlastOptions{})
		}
	}
	for _, h := range hits {
		pct := float64(int(1000*float64(h.count)/float64(a.activePods)+0.5)) / 10
		ev := []string{fmt.Sprintf("from %s, %d of the cluster's %d pods (%.1f%%) in %s are reachable hop by hop; the threshold is %.0f%%",
			h.pod.ID(), h.count, a.activePods, pct, plural(h.nss, "namespace"), maxReach*100)}
		if b, ok := walks[a.g.podClass[a.g.podIndex[h.pod]]]; ok {
			if n := len(b.Hops); n > 0 && len(b.Hops[n-1]) > 0 {
				path := append([]string{h.w.id}, b.Hops[n-1][0].Path[1:]...)
				ev = append(ev, fmt.Sprintf("the walk takes %s; a deepest path: %s", plural(n, "hop"), strings.Join(path, " → ")))
			}
		} else {
			ev = append(ev, "netreach blast-radius "+h.w.id+" shows the hops and paths")
		}
		a.add(RuleLargeBlastRadius, "workload:"+h.w.id, fmt.Sprintf("A pod of %s reaches %.1f%% of the cluster's pods transitively (more than %.0f%%).", h.w.id, pct, maxReach*100), ev, h.w.res)
	}
}
