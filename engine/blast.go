package engine

import (
	"slices"
	"sort"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"
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
	Pods     []string
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
	// Paths are every shortest path, as workload ids.
	Paths [][]string
}

// BlastRadius walks the class graph breadth first from the source pods.
func (g *Graph) BlastRadius(sources []*model.Pod, catalog []*model.Network, opts BlastOptions) *Blast {
	b := &Blast{Sources: sources}
	const origin = int64(-1)
	dg := simple.NewDirectedGraph()
	dg.AddNode(simple.Node(origin))
	node := func(c int32) graph.Node {
		if n := dg.Node(int64(c)); n != nil {
			return n
		}
		n := simple.Node(int64(c))
		dg.AddNode(n)
		return n
	}
	podHop := map[int32]int{}
	podPorts := map[int32]evaluator.PortSet{}
	classHop := map[int32]int{}
	classPred := map[int32]int32{} // class → the class of the previous hop that first reached it
	full := map[int32]bool{}       // classes all of whose pods are reached
	var frontier []int32
	for _, p := range sources {
		pi, ok := g.podIndex[p]
		if !ok || g.podClass[pi] < 0 {
			continue
		}
		podHop[pi] = 0
		c := g.podClass[pi]
		if _, seen := classHop[c]; !seen {
			classHop[c] = 0
			classPred[c] = -1
			frontier = append(frontier, c)
			dg.SetEdge(dg.NewEdge(dg.Node(origin), node(c)))
		}
	}
	byNode := map[string][]int32{}
	for i, p := range g.pods {
		if g.podClass[i] >= 0 && p.NodeName != "" {
			byNode[p.NodeName] = append(byNode[p.NodeName], int32(i))
		}
	}
	hopOK := func(ports evaluator.PortSet) evaluator.PortSet {
		switch {
		case opts.Port != 0 && opts.Protocol != "":
			if ports.Contains(opts.Protocol, opts.Port) {
				return evaluator.SinglePort(opts.Protocol, opts.Port, opts.Port)
			}
			return evaluator.PortSet{}
		case opts.Port != 0:
			out := evaluator.PortSet{}
			for _, pr := range evaluator.Protocols {
				if ports.Contains(pr, opts.Port) {
					out = out.Union(evaluator.SinglePort(pr, opts.Port, opts.Port))
				}
			}
			return out
		case opts.Protocol != "":
			return ports.Intersect(evaluator.AllPorts(opts.Protocol))
		}
		return ports
	}
	pred := map[int32]int32{} // pod → a class of the previous hop that reaches it
	reach := func(pi int32, hop int, ports evaluator.PortSet, from int32) {
		if h, ok := podHop[pi]; ok && h < hop {
			return
		}
		if _, ok := podHop[pi]; !ok {
			pred[pi] = from
		}
		podHop[pi] = hop
		podPorts[pi] = podPorts[pi].Union(ports)
	}
	rows := map[rowKey]classRow{}
	for hop := 1; len(frontier) > 0 && (opts.MaxHops == 0 || hop <= opts.MaxHops); hop++ {
		var next []int32
		visit := func(cs, cd int32, ports evaluator.PortSet, pods []int32, wholeClass bool) {
			h, seen := classHop[cd]
			if seen && h < hop && full[cd] {
				return // nothing new: every pod of cd was reached earlier
			}
			// Only edges into the next layer can lie on a shortest path; gonum
			// graphs have no self-loops, and a self-loop adds no path.
			if cs != cd && (!seen || h == hop) {
				dg.SetEdge(dg.NewEdge(node(cs), node(cd)))
			}
			for _, pi := range pods {
				reach(pi, hop, ports, cs)
			}
			if wholeClass {
				full[cd] = true
			}
			if !seen {
				classHop[cd] = hop
				classPred[cd] = cs
				next = append(next, cd)
			}
		}
		for _, cs := range frontier {
			row := g.sharedRow(cs, rows)
			targets := make([]int32, 0, len(row))
			for cd := range row {
				targets = append(targets, cd)
			}
			sort.Slice(targets, func(i, j int) bool { return targets[i] < targets[j] }) // deterministic paths
			for _, cd := range targets {
				if ports := hopOK(row[cd]); !ports.Empty() {
					visit(cs, cd, ports, g.classes[cd].pods, true)
				}
			}
			// §2.10: a host-network pod reaches every pod of its own node.
			if cl := &g.classes[cs]; cl.hostNetwork {
				if ports := hopOK(evaluator.AllPorts(evaluator.Protocols...)); !ports.Empty() {
					for _, pi := range byNode[cl.rep.NodeName] {
						if g.pods[pi] != cl.rep && g.classes[g.podClass[pi]].isolatedIn {
							visit(cs, g.podClass[pi], ports, []int32{pi}, false)
						}
					}
				}
			}
		}
		sort.Slice(next, func(i, j int) bool { return next[i] < next[j] })
		frontier = next
	}

	tree := path.DijkstraAllFrom(dg.Node(origin), dg)
	label := func(n graph.Node) string {
		return workloadID(g.classes[n.ID()].rep)
	}
	// A pod's path: a shortest path to the class that first reached it, then
	// the pod's own workload.
	// A pod's path follows, from the class that first reached it, each class's
	// first predecessor back to a source: one shortest path, always the same.
	pathTo := func(pi int32) []string {
		out := []string{workloadID(g.pods[pi])}
		for c := pred[pi]; c >= 0; c = classPred[c] {
			out = append(out, workloadID(g.classes[c].rep))
		}
		slices.Reverse(out)
		return out
	}

	// Group the reached pods by hop and workload.
	type key struct {
		hop int
		wl  string
	}
	groups := map[key]*ReachedWorkload{}
	namespaces := map[string]bool{}
	order := make([]int32, 0, len(podHop))
	for pi := range podHop {
		order = append(order, pi)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, pi := range order {
		hop := podHop[pi]
		if hop == 0 {
			continue
		}
		p := g.pods[pi]
		b.ReachedPods++
		namespaces[p.Namespace] = true
		k := key{hop, workloadID(p)}
		rw := groups[k]
		if rw == nil {
			rw = &ReachedWorkload{Workload: k.wl, Path: pathTo(pi)}
			groups[k] = rw
		}
		rw.Pods = append(rw.Pods, p.ID())
		rw.Ports = rw.Ports.Union(podPorts[pi])
	}
	for k, rw := range groups {
		for len(b.Hops) < k.hop {
			b.Hops = append(b.Hops, nil)
		}
		sort.Strings(rw.Pods)
		b.Hops[k.hop-1] = append(b.Hops[k.hop-1], *rw)
	}
	for _, h := range b.Hops {
		sort.Slice(h, func(i, j int) bool { return h[i].Workload < h[j].Workload })
	}
	for ns := range namespaces {
		b.Namespaces = append(b.Namespaces, ns)
	}
	sort.Strings(b.Namespaces)
	for i := range g.pods {
		if g.podClass[i] >= 0 {
			b.TotalPods++
		}
	}

	// Networks reached from any reached class (sources included).
	if len(catalog) > 0 {
		effective := mostSpecific(catalog)
		pieces := g.rawPieces()
		for ni, n := range catalog {
			parts := intersectRanges(pieces, effective[ni])
			best, ports := -1, evaluator.PortSet{}
			for c, hop := range classHop {
				if opts.MaxHops != 0 && hop+1 > opts.MaxHops {
					continue
				}
				pe := Endpoint{pod: g.podIndex[g.classes[c].rep]}
				for _, part := range parts {
					if p := hopOK(g.AllowedPorts(pe, g.IPEndpoint(part.From()))); !p.Empty() {
						if best < 0 || hop+1 < best {
							best = hop + 1
						}
						ports = ports.Union(p)
					}
				}
			}
			if best > 0 {
				b.Networks = append(b.Networks, ReachedNetwork{Network: n.ID(), Hop: best, Ports: ports})
			}
		}
	}

	// Crown jewels: every shortest path.
	if opts.Target != nil {
		for pi, p := range g.pods {
			if g.podClass[pi] < 0 || !opts.Target(p) {
				continue
			}
			tp := TargetPaths{Pod: p.ID()}
			if hop, ok := podHop[int32(pi)]; ok {
				tp.Reached, tp.Hops = true, hop
				if hop == 0 {
					tp.Paths = [][]string{{workloadID(p)}}
				} else {
					// Every shortest path to a class of the previous hop that reaches
					// the pod, then the pod's workload.
					seen := map[string]bool{}
					for c, h := range classHop {
						if h != hop-1 || !g.reachesPod(c, int32(pi), opts, hopOK) {
							continue
						}
						all, _ := tree.AllTo(int64(c))
						for _, nodes := range all {
							var labels []string
							for _, n := range nodes[1:] {
								labels = append(labels, label(n))
							}
							labels = append(labels, workloadID(p))
							if k := join(labels); !seen[k] {
								seen[k] = true
								tp.Paths = append(tp.Paths, labels)
							}
						}
					}
				}
				sort.Slice(tp.Paths, func(i, j int) bool { return join(tp.Paths[i]) < join(tp.Paths[j]) })
			}
			b.Targets = append(b.Targets, tp)
		}
	}
	return b
}

// reachesPod reports whether class c may open a connection to pod pi in one hop
// (a rule edge of its row, or node-local traffic from a host-network class).
func (g *Graph) reachesPod(c, pi int32, opts BlastOptions, filter func(evaluator.PortSet) evaluator.PortSet) bool {
	if ports, ok := g.row(c)[g.podClass[pi]]; ok && !filter(ports).Empty() {
		return true
	}
	cl := &g.classes[c]
	p := g.pods[pi]
	return cl.hostNetwork && p.NodeName == cl.rep.NodeName && p != cl.rep && g.classes[g.podClass[pi]].isolatedIn &&
		!filter(evaluator.AllPorts(evaluator.Protocols...)).Empty()
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " → "
		}
		out += x
	}
	return out
}
