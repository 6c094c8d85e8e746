package engine

import (
	"fmt"
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
// says), with reverse edges, plus node-local reach (§2.10): a host-network
// class reaches the pods of its node that ingress isolation would refuse. Those
// pods are not whole classes, so each (node, class) share reached that way is a
// vertex of its own, which goes on to reach what its class reaches.
type classGraph struct {
	out, in [][]classEdge
	self    []bool // the class's pods reach one another
	// virt are the node-local vertices; hostVirt lists those of each
	// host-network class.
	virt     []virtVertex
	hostVirt [][]int32
	// Per class: pod count and the workloads of its pods.
	npods     []int
	workloads [][]string
}

// virtVertex is the pods of one class on one node.
type virtVertex struct {
	class int32
	pods  []int32
}

func newClassGraph(g *Graph) *classGraph {
	n := len(g.classes)
	cg := &classGraph{out: make([][]classEdge, n), in: make([][]classEdge, n), self: make([]bool, n),
		hostVirt: make([][]int32, n), npods: make([]int, n), workloads: make([][]string, n)}
	for cs := range g.classes {
		cl := &g.classes[cs]
		cg.npods[cs] = len(cl.pods)
		seen := map[string]bool{}
		for _, pi := range cl.pods {
			if id := podWorkloadID(g.pods[pi]); !seen[id] {
				seen[id] = true
				cg.workloads[cs] = append(cg.workloads[cs], id)
			}
		}
		sort.Strings(cg.workloads[cs])
		for cd, p := range g.row(int32(cs)) {
			switch {
			case p.Empty():
			case cd == int32(cs):
				cg.self[cs] = true
			default:
				cg.out[cs] = append(cg.out[cs], classEdge{cd, p})
				cg.in[cd] = append(cg.in[cd], classEdge{int32(cs), p})
			}
		}
	}
	for c := range cg.out {
		sort.Slice(cg.out[c], func(i, j int) bool { return cg.out[c][i].c < cg.out[c][j].c })
		sort.Slice(cg.in[c], func(i, j int) bool { return cg.in[c][i].c < cg.in[c][j].c })
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
		inRow := map[int32]bool{}
		for _, e := range cg.out[h] {
			inRow[e.c] = true
		}
		var classes []int32
		for c := range byNode[cl.rep.NodeName] {
			if !inRow[c] {
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

// nodeLocalPods counts the pods a host-network class reaches only as their node.
func (cg *classGraph) nodeLocalPods(g *Graph, h int32) int {
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
// classes (pods of the classes themselves excluded).
func (cg *classGraph) reachers(g *Graph, classes []int32) reach {
	return cg.sum(g, classes, cg.in, "from ")
}

// reached sums up the pods that some pod of the classes may open connections
// to (pods of the classes themselves excluded), node-local reach included.
func (cg *classGraph) reached(g *Graph, classes []int32) reach {
	r := cg.sum(g, classes, cg.out, "to ")
	mine := map[int32]bool{}
	for _, c := range classes {
		mine[c] = true
	}
	reachedClass := map[int32]bool{}
	for _, c := range classes {
		for _, e := range cg.out[c] {
			reachedClass[e.c] = true
		}
	}
	for _, c := range classes {
		for _, v := range cg.hostVirt[c] {
			if vc := cg.virt[v].class; !reachedClass[vc] && !mine[vc] {
				r.pods += len(cg.virt[v].pods)
			}
		}
	}
	return r
}

func (cg *classGraph) sum(g *Graph, classes []int32, edges [][]classEdge, dir string) reach {
	mine := map[int32]bool{}
	myNS := map[string]bool{}
	for _, c := range classes {
		mine[c] = true
		myNS[g.classes[c].namespace] = true
	}
	seen := map[int32]bool{}
	namespaces := map[string]bool{}
	ports := map[string]evaluator.PortSet{}
	var r reach
	for _, c := range classes {
		for _, e := range edges[c] {
			if mine[e.c] {
				continue
			}
			for _, w := range cg.workloads[e.c] {
				ports[w] = ports[w].Union(e.ports)
			}
			if seen[e.c] {
				continue
			}
			seen[e.c] = true
			r.pods += cg.npods[e.c]
			namespaces[g.classes[e.c].namespace] = true
		}
	}
	r.namespaces = len(namespaces)
	ids := make([]string, 0, len(ports))
	for id := range ports {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		oi, oj := !myNS[nsOf(ids[i])], !myNS[nsOf(ids[j])]
		if oi != oj {
			return oi
		}
		return ids[i] < ids[j]
	})
	for i, id := range ids {
		if i == 3 {
			r.examples = append(r.examples, fmt.Sprintf("and %d more workloads", len(ids)-3))
			break
		}
		r.examples = append(r.examples, fmt.Sprintf("%s%s (%s)", dir, id, ports[id]))
	}
	return r
}

func nsOf(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}

// transitiveReach returns, for every class, how many pods its representative
// pod reaches transitively (itself excluded) and in how many namespaces: the
// count `netreach blast-radius` reports for that pod. It walks once per
// strongly connected component of the class graph (every vertex of a
// component reaches the same vertices), so the cost grows with components
// times graph size, never with pods squared.
func (cg *classGraph) transitiveReach(g *Graph) (count, namespaces []int) {
	n := len(g.classes)
	total := n + len(cg.virt)
	succ := func(v int, f func(int)) {
		c := v
		if v >= n {
			c = int(cg.virt[v-n].class)
		}
		if cg.self[c] {
			f(c)
		}
		for _, e := range cg.out[c] {
			f(int(e.c))
		}
		if v < n {
			for _, x := range cg.hostVirt[v] {
				f(n + int(x))
			}
		}
	}
	// gonum's Tarjan reads the graph through Nodes and From only: an adapter
	// over the class graph avoids copying its edges (quadratic in classes in an
	// open cluster) into a map-based graph.
	dg := succGraph{n: total, succ: succ}
	count, namespaces = make([]int, n), make([]int, n)
	stamp := make([]int, total)
	var queue []int
	for i, comp := range topo.TarjanSCC(dg) {
		mark := i + 1
		queue = queue[:0]
		start := int(comp[0].ID())
		succ(start, func(w int) {
			if stamp[w] != mark {
				stamp[w] = mark
				queue = append(queue, w)
			}
		})
		for k := 0; k < len(queue); k++ {
			succ(queue[k], func(w int) {
				if stamp[w] != mark {
					stamp[w] = mark
					queue = append(queue, w)
				}
			})
		}
		pods := 0
		nsSet := map[string]bool{}
		virtOnNode := map[int32]map[string]bool{} // class → nodes whose share is reached
		for _, v := range queue {
			if v < n {
				pods += cg.npods[v]
				nsSet[g.classes[v].namespace] = true
				continue
			}
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
const maxBlastWalks = 8

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
