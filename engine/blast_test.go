package engine

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
	"github.com/netreach/netreach/model/modeltest"
)

// TestBlastRadiusEqualsNaiveClosure compares the class-level walk with a
// breadth-first search over pods using pair queries, on generated snapshots.
func TestBlastRadiusEqualsNaiveClosure(t *testing.T) {
	checkBlastClosure(t, 0, 120)
}

// TestBlastRadiusInEveryRepresentation repeats the closure check with every
// selector peer kept lazy and every member list stored as a bitmap, so that
// the walk meets lazy terms and bitmaps among the sets that admit its sources;
// then with selector peers resolved into bitmaps, which the rules expanded
// through their peers walk in one lane and in three.
func TestBlastRadiusInEveryRepresentation(t *testing.T) {
	defer func(l, b, w int) { lazyNamespaces, bitmapMinUniverse, walkLanes = l, b, w }(lazyNamespaces, bitmapMinUniverse, walkLanes)
	lazyNamespaces, bitmapMinUniverse = 0, 0
	checkBlastClosure(t, 2000, 2080)
	lazyNamespaces = 16
	for _, lanes := range []int{1, 3} {
		walkLanes = lanes
		checkBlastClosure(t, 2100, 2180)
	}
}

// TestBlastRadiusFromAdmitters repeats the closure and path checks with every
// egress rule expanded from the ingress side, the way a rule naming most of a
// large cluster is.
func TestBlastRadiusFromAdmitters(t *testing.T) {
	defer func(n, l int) { reverseMinPeers, lazyNamespaces = n, l }(reverseMinPeers, lazyNamespaces)
	reverseMinPeers = -1
	checkBlastClosure(t, 3000, 3100)
	checkBlastPaths(t, 3000, 3060)
	lazyNamespaces = 0
	checkBlastClosure(t, 4000, 4060)
}

// TestBlastRadiusPathsFromSecondWalk repeats the path checks with the
// backward search for target paths given no budget (the paths come from a
// second walk that keeps every edge) and a budget that runs out part way
// (what the search found is dropped).
func TestBlastRadiusPathsFromSecondWalk(t *testing.T) {
	defer func(n int) { backEdgeBudget = n }(backEdgeBudget)
	backEdgeBudget = 0
	checkBlastPaths(t, 6000, 6040)
	backEdgeBudget = 1 // runs out in 24 of these 160 walks
	checkBlastPaths(t, 6040, 6200)
}

// TestBlastRadiusNamedPortsThroughMap repeats the closure check with the
// table of resolved port specs turned off, so that every spec naming a port
// is resolved through the map that a graph with many such specs uses.
func TestBlastRadiusNamedPortsThroughMap(t *testing.T) {
	defer func(n int) { maxDenseSpecPorts = n }(maxDenseSpecPorts)
	maxDenseSpecPorts = 0
	checkBlastClosure(t, 0, 120)
}

// TestBlastRadiusInLanes repeats the closure check with the isolated rows
// shared out between one lane and three lanes (the default is one per
// processor), forward and from the ingress side.
func TestBlastRadiusInLanes(t *testing.T) {
	defer func(l, n int) { walkLanes, reverseMinPeers = l, n }(walkLanes, reverseMinPeers)
	for _, lanes := range []int{1, 3} {
		walkLanes = lanes
		reverseMinPeers = 4096
		checkBlastClosure(t, 5000, 5040)
		reverseMinPeers = -1
		checkBlastClosure(t, 5040, 5080)
	}
}

// TestBlastRadiusBothWaysInOneWalk repeats the closure and path checks with
// a low peer count for expanding a rule from the ingress side, so that one
// walk expands small rules through their peers and larger ones from the
// admitting sets, as a large cluster does, in one lane and in several.
func TestBlastRadiusBothWaysInOneWalk(t *testing.T) {
	defer func(l, n int) { walkLanes, reverseMinPeers = l, n }(walkLanes, reverseMinPeers)
	seed := uint64(7000)
	for _, lanes := range []int{1, 2, 3} {
		for _, peers := range []int{1, 3, 6} {
			walkLanes, reverseMinPeers = lanes, peers
			checkBlastClosure(t, seed, seed+30)
			checkBlastPaths(t, seed, seed+10)
			seed += 30
		}
	}
}

func checkBlastClosure(t *testing.T, from, to uint64) {
	t.Helper()
	checkBlastClosureOf(t, from, to, compiled)
}

// checkBlastClosureOf is checkBlastClosure on the snapshots gen makes.
func checkBlastClosureOf(t *testing.T, from, to uint64, gen func(*testing.T, uint64) (*modeltest.Random, *Graph)) {
	t.Helper()
	for seed := from; seed < to; seed++ {
		r, g := gen(t, seed)
		active := activePods(r.Snapshot)
		if len(active) == 0 {
			continue
		}
		for _, port := range []int32{0, 80} {
			src := active[int(seed)%len(active)]
			want := map[string]int{}
			dist := map[*model.Pod]int{src: 0}
			queue := []*model.Pod{src}
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				ep, _ := g.PodEndpoint(p)
				for _, q := range active {
					if _, seen := dist[q]; seen {
						continue
					}
					eq, _ := g.PodEndpoint(q)
					ok := !g.AllowedPorts(ep, eq).Empty()
					if port != 0 {
						ok = g.CanReach(ep, eq, "TCP", port)
					}
					if ok {
						dist[q] = dist[p] + 1
						want[q.ID()] = dist[q]
						queue = append(queue, q)
					}
				}
			}
			opts := BlastOptions{}
			if port != 0 {
				opts = BlastOptions{Protocol: "TCP", Port: port}
			}
			b := g.BlastRadius([]*model.Pod{src}, nil, opts)
			got := map[string]int{}
			for h, hop := range b.Hops {
				for i, w := range hop {
					for _, p := range w.Pods {
						got[p] = h + 1
					}
					if len(w.Path) != h+2 { // the source, then one workload per hop
						t.Fatalf("seed %d: path %v for hop %d", seed, w.Path, h+1)
					}
					if w.Path[0] != workloadID(src) || w.Path[h+1] != w.Workload {
						t.Fatalf("seed %d: path %v of %s does not run from %s to it", seed, w.Path, w.Workload, src.ID())
					}
					// Rows come in workload id order, once per hop, their pods in id order.
					if i > 0 && hop[i-1].Workload >= w.Workload {
						t.Fatalf("seed %d hop %d: row %s after %s", seed, h+1, w.Workload, hop[i-1].Workload)
					}
					if !slices.IsSorted(w.Pods) || len(slices.Compact(slices.Clone(w.Pods))) != len(w.Pods) {
						t.Fatalf("seed %d hop %d: pods of %s not in id order: %v", seed, h+1, w.Workload, w.Pods)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d port %d from %s (-naive +walk):\n%s\n%s", seed, port, src.ID(), diff, r.Manifests)
			}
			wantNS := map[string]bool{}
			for id := range want {
				wantNS[r.Snapshot.Pod(id).Namespace] = true
			}
			if diff := cmp.Diff(slices.Sorted(maps.Keys(wantNS)), b.Namespaces, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d port %d: namespaces (-naive +walk):\n%s", seed, port, diff)
			}
			if b.TotalPods != len(active) {
				t.Fatalf("seed %d: TotalPods %d, want %d", seed, b.TotalPods, len(active))
			}
			// The ports of each reached workload: what the pods of the previous
			// hop may use towards its pods.
			wantPorts, gotPorts := map[string]string{}, map[string]string{}
			for _, hop := range b.Hops {
				for _, w := range hop {
					var ports evaluator.PortSet
					for _, id := range w.Pods {
						q := r.Snapshot.Pod(id)
						for p, d := range dist {
							if d != dist[q]-1 {
								continue
							}
							ep, _ := g.PodEndpoint(p)
							eq, _ := g.PodEndpoint(q)
							got := g.AllowedPorts(ep, eq)
							if port != 0 {
								if !got.Contains("TCP", port) {
									continue
								}
								got = evaluator.SinglePort("TCP", port, port)
							}
							ports = ports.Union(got)
						}
					}
					wantPorts[fmt.Sprint(w.Workload, "@", len(w.Path))] = ports.String()
					gotPorts[fmt.Sprint(w.Workload, "@", len(w.Path))] = w.Ports.String()
				}
			}
			if diff := cmp.Diff(wantPorts, gotPorts); diff != "" {
				t.Fatalf("seed %d port %d from %s: ports (-naive +walk):\n%s\n%s", seed, port, src.ID(), diff, r.Manifests)
			}
			if b.ReachedPods != len(want) {
				t.Fatalf("seed %d: ReachedPods %d, want %d", seed, b.ReachedPods, len(want))
			}
		}
	}
}

func TestBlastRadiusChain(t *testing.T) {
	manifests := `apiVersion: v1
kind: Namespace
metadata: {name: x}
`
	for i, name := range []string{"a", "b", "c", "d"} {
		manifests += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: x, labels: {role: " + name + "}}\n" +
			"spec: {containers: [{name: c}]}\nstatus: {phase: Running, podIP: 10.0.0." + string(rune('1'+i)) + "}\n"
	}
	for _, pair := range [][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}, {"a", "x"}} {
		manifests += "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: to-" + pair[1] + ", namespace: x}\n" +
			"spec: {podSelector: {matchLabels: {role: " + pair[1] + "}}, ingress: [{from: [{podSelector: {matchLabels: {role: " + pair[0] + "}}}], ports: [{port: 8080}]}]}\n"
	}
	// a itself is isolated for ingress (nothing may reach it).
	manifests += "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: to-a, namespace: x}\nspec: {podSelector: {matchLabels: {role: a}}}\n"
	s, err := model.Load([]string{"m.yaml"}, model.LoadOptions{FS: fstest.MapFS{"m.yaml": {Data: []byte(manifests)}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Compile(s, evaluator.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b := g.BlastRadius([]*model.Pod{s.Pod("x/a")}, nil, BlastOptions{Target: func(p *model.Pod) bool { return p.Name == "d" || p.Name == "a" }})
	var hops []string
	for h, hop := range b.Hops {
		for _, w := range hop {
			hops = append(hops, string(rune('1'+h))+":"+w.Workload+":"+w.Ports.String()+":"+join(w.Path))
		}
	}
	want := []string{
		"1:x/Pod/b:TCP 8080:x/Pod/a → x/Pod/b",
		"2:x/Pod/c:TCP 8080:x/Pod/a → x/Pod/b → x/Pod/c",
		"3:x/Pod/d:TCP 8080:x/Pod/a → x/Pod/b → x/Pod/c → x/Pod/d",
	}
	if diff := cmp.Diff(want, hops); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
	tcp8080 := evaluator.SinglePort("TCP", 8080, 8080)
	wantTargets := []TargetPaths{
		{Pod: "x/a", Reached: true, Hops: 0, Paths: [][]string{{"x/Pod/a"}}, Ports: [][]evaluator.PortSet{{}}},
		{Pod: "x/d", Reached: true, Hops: 3, Paths: [][]string{{"x/Pod/a", "x/Pod/b", "x/Pod/c", "x/Pod/d"}},
			Ports: [][]evaluator.PortSet{{tcp8080, tcp8080, tcp8080}}},
	}
	if diff := cmp.Diff(wantTargets, b.Targets, cmp.Comparer(func(a, b evaluator.PortSet) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if b.ReachedPods != 3 || b.TotalPods != 4 {
		t.Errorf("reached %d of %d", b.ReachedPods, b.TotalPods)
	}
	// With at most two hops, d is out of reach.
	b = g.BlastRadius([]*model.Pod{s.Pod("x/a")}, nil, BlastOptions{MaxHops: 2, Target: func(p *model.Pod) bool { return p.Name == "d" }})
	if len(b.Hops) != 2 || b.Targets[0].Reached {
		t.Errorf("MaxHops 2: %d hops, target %+v", len(b.Hops), b.Targets)
	}
	// On port 443 nothing is reachable.
	if b := g.BlastRadius([]*model.Pod{s.Pod("x/a")}, nil, BlastOptions{Protocol: "TCP", Port: 443}); b.ReachedPods != 0 {
		t.Errorf("port 443 reached %d pods", b.ReachedPods)
	}
}

// TestBlastRadiusPathsAndNetworksEqualNaive checks, on generated snapshots,
// every shortest attack path to every pod and the networks reached (hop and
// ports) against a pod-level search built from pair queries, with and without
// a hop limit and a port filter.
func TestBlastRadiusPathsAndNetworksEqualNaive(t *testing.T) {
	checkBlastPaths(t, 0, 80)
}

func checkBlastPaths(t *testing.T, from, to uint64) {
	t.Helper()
	checkBlastPathsOf(t, from, to, compiled)
}

// checkBlastPathsOf is checkBlastPaths on the snapshots gen makes.
func checkBlastPathsOf(t *testing.T, from, to uint64, gen func(*testing.T, uint64) (*modeltest.Random, *Graph)) {
	t.Helper()
	for seed := from; seed < to; seed++ {
		r, g := gen(t, seed)
		active := activePods(r.Snapshot)
		if len(active) == 0 {
			continue
		}
		catalog := append(r.Snapshot.Catalog(),
			&model.Network{Name: "inner", Type: model.NetworkPeering, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/23"), netip.MustParsePrefix("fd00::/64")}})
		effective := mostSpecific(catalog)
		pieces := g.rawPieces()
		for _, tc := range []struct {
			port    int32
			maxHops int
		}{{0, 0}, {80, 0}, {0, 2}} {
			filter := func(ports evaluator.PortSet) bool {
				if tc.port != 0 {
					return ports.Contains("TCP", tc.port)
				}
				return !ports.Empty()
			}
			src := active[int(seed*7)%len(active)]
			// Pod-level breadth-first search.
			reach := func(p, q *model.Pod) bool {
				ep, _ := g.PodEndpoint(p)
				eq, _ := g.PodEndpoint(q)
				return filter(g.AllowedPorts(ep, eq))
			}
			dist := map[*model.Pod]int{src: 0}
			queue := []*model.Pod{src}
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				if tc.maxHops != 0 && dist[p] == tc.maxHops {
					continue
				}
				for _, q := range active {
					if _, seen := dist[q]; !seen && reach(p, q) {
						dist[q] = dist[p] + 1
						queue = append(queue, q)
					}
				}
			}
			// Every shortest path to each pod, as workload ids, with the ports
			// of each step (pod paths with the same workloads add up).
			type wlPath struct {
				path  []string
				ports []evaluator.PortSet
			}
			var pathsTo func(q *model.Pod) []wlPath
			pathsTo = func(q *model.Pod) []wlPath {
				if dist[q] == 0 {
					return []wlPath{{path: []string{workloadID(q)}}}
				}
				var out []wlPath
				for _, p := range active {
					if d, ok := dist[p]; ok && d == dist[q]-1 && reach(p, q) {
						ep, _ := g.PodEndpoint(p)
						eq, _ := g.PodEndpoint(q)
						step := g.AllowedPorts(ep, eq)
						if tc.port != 0 {
							step = evaluator.SinglePort("TCP", tc.port, tc.port)
						}
						for _, wp := range pathsTo(p) {
							out = append(out, wlPath{append(slices.Clone(wp.path), workloadID(q)), append(slices.Clone(wp.ports), step)})
						}
					}
				}
				return out
			}
			want := map[string]TargetPaths{}
			for _, q := range active {
				tp := TargetPaths{Pod: q.ID()}
				if d, ok := dist[q]; ok {
					tp.Reached, tp.Hops = true, d
					index := map[string]int{}
					for _, wp := range pathsTo(q) {
						if i, ok := index[join(wp.path)]; ok {
							for j := range wp.ports {
								tp.Ports[i][j] = tp.Ports[i][j].Union(wp.ports[j])
							}
							continue
						}
						index[join(wp.path)] = len(tp.Paths)
						tp.Paths = append(tp.Paths, wp.path)
						tp.Ports = append(tp.Ports, wp.ports)
					}
					order := make([]int, len(tp.Paths))
					for i := range order {
						order[i] = i
					}
					slices.SortFunc(order, func(a, b int) int { return strings.Compare(join(tp.Paths[a]), join(tp.Paths[b])) })
					paths, ports := make([][]string, len(order)), make([][]evaluator.PortSet, len(order))
					for i, o := range order {
						paths[i], ports[i] = tp.Paths[o], tp.Ports[o]
						if ports[i] == nil {
							ports[i] = []evaluator.PortSet{}
						}
					}
					tp.Paths, tp.Ports = paths, ports
				}
				want[q.ID()] = tp
			}
			// Networks: the first hop at which a pod reaches some address of the
			// network (the pod's hop plus one), and the ports over every pod.
			var wantNets []ReachedNetwork
			for i, n := range catalog {
				best, ports := 0, evaluator.PortSet{}
				for _, piece := range pieces {
					for _, rg := range effective[i].Ranges() {
						from, to := maxAddr(piece.From(), rg.From()), minAddr(piece.To(), rg.To())
						if from.BitLen() != to.BitLen() || to.Less(from) || from.Is4In6() {
							continue
						}
						for p, d := range dist {
							if tc.maxHops != 0 && d+1 > tc.maxHops {
								continue
							}
							ep, _ := g.PodEndpoint(p)
							got := g.AllowedPorts(ep, g.IPEndpoint(from))
							if tc.port != 0 {
								if !got.Contains("TCP", tc.port) {
									continue
								}
								got = evaluator.SinglePort("TCP", tc.port, tc.port)
							}
							if got.Empty() {
								continue
							}
							if best == 0 || d+1 < best {
								best = d + 1
							}
							ports = ports.Union(got)
						}
					}
				}
				if best > 0 {
					wantNets = append(wantNets, ReachedNetwork{Network: n.ID(), Hop: best, Ports: ports})
				}
			}

			opts := BlastOptions{MaxHops: tc.maxHops, Target: func(*model.Pod) bool { return true }}
			if tc.port != 0 {
				opts.Protocol, opts.Port = "TCP", tc.port
			}
			b := g.BlastRadius([]*model.Pod{src}, catalog, opts)
			portsEqual := cmp.Comparer(func(a, b evaluator.PortSet) bool { return a.Equal(b) })
			got := map[string]TargetPaths{}
			for _, tp := range b.Targets {
				got[tp.Pod] = tp
			}
			if diff := cmp.Diff(want, got, portsEqual, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d %+v from %s: paths and their step ports (-naive +walk):\n%s\n%s", seed, tc, src.ID(), diff, r.Manifests)
			}
			// Each reached workload's path is a shortest path to one of its pods.
			for _, hop := range b.Hops {
				for _, rw := range hop {
					found := false
					for _, pod := range rw.Pods {
						for _, path := range want[pod].Paths {
							found = found || slices.Equal(path, rw.Path)
						}
					}
					if !found {
						t.Fatalf("seed %d %+v from %s: path %v of %s is no shortest path to its pods", seed, tc, src.ID(), rw.Path, rw.Workload)
					}
				}
			}
			if diff := cmp.Diff(wantNets, b.Networks, portsEqual); diff != "" {
				t.Fatalf("seed %d %+v from %s: networks (-naive +walk):\n%s\n%s", seed, tc, src.ID(), diff, r.Manifests)
			}
			// With at most two paths a pod: the first two, and whether more exist.
			opts.MaxPaths = 2
			b = g.BlastRadius([]*model.Pod{src}, catalog, opts)
			for _, tp := range b.Targets {
				w := want[tp.Pod]
				if len(w.Paths) > 2 {
					w.Paths, w.Ports, w.More = w.Paths[:2], w.Ports[:2], true
				}
				if diff := cmp.Diff(w, tp, portsEqual, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("seed %d %+v from %s: two paths (-naive +walk):\n%s", seed, tc, src.ID(), diff)
				}
			}
		}
	}
}

// activePods are the pods that take part (not finished).
func activePods(s *model.Snapshot) []*model.Pod {
	var out []*model.Pod
	for _, p := range s.Pods {
		if !p.Terminated() {
			out = append(out, p)
		}
	}
	return out
}

// hopLines lists the workloads a blast radius reaches as "hop:workload",
// followed by ":" and detail(w) when detail is given.
func hopLines(b *Blast, detail func(ReachedWorkload) string) []string {
	var out []string
	for h, hop := range b.Hops {
		for _, w := range hop {
			line := fmt.Sprint(h+1, ":", w.Workload)
			if detail != nil {
				line += ":" + detail(w)
			}
			out = append(out, line)
		}
	}
	return out
}

func portsOf(w ReachedWorkload) string { return w.Ports.String() }

// rolePods are running pods of namespace ns on node n1, labelled role=<name>
// unless roles gives another role, with addresses 10.0.0.1, 10.0.0.2, ...
func rolePods(ns string, roles map[string]string, names ...string) []string {
	var out []string
	for i, name := range names {
		role := name
		if r, ok := roles[name]; ok {
			role = r
		}
		out = append(out, podDoc(ns, name, "role: "+role, fmt.Sprint("10.0.0.", i+1), "n1", ""))
	}
	return out
}

// TestBlastRadiusSharedLazyTerm covers a lazy selector term named by two
// admitting peer sets, one of which has nothing left to admit at hop 2 while
// the other still has: the term must stay live for every source of the hop,
// so that w gets the ports of both x's and z's egress rules.
func TestBlastRadiusSharedLazyTerm(t *testing.T) {
	defer func(n, l int) { reverseMinPeers, lazyNamespaces = n, l }(reverseMinPeers, lazyNamespaces)
	reverseMinPeers, lazyNamespaces = -1, 0
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "x", "z", "w")...)
	// Egress: s on port 80, x on 443, z on 8443, each to anywhere.
	for role, port := range map[string]string{"s": "80", "x": "443", "z": "8443"} {
		docs = append(docs, policyDoc("lat", "egress-"+role, "{podSelector: {matchLabels: {role: "+role+"}}, policyTypes: [Egress], egress: [{ports: [{port: "+port+"}]}]}"))
	}
	// x and z admit the whole namespace (a set holding only the lazy term);
	// w admits it too on 443 and 8443, through a set that also names an
	// address block none of the pods is in.
	docs = append(docs,
		policyDoc("lat", "ingress-xz", "{podSelector: {matchExpressions: [{key: role, operator: In, values: [x, z]}]}, ingress: [{from: [{podSelector: {}}]}]}"),
		policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 192.0.2.1/32}}], ports: [{port: 443}, {port: 8443}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{})
	want := []string{"1:lat/Pod/x:TCP 80", "1:lat/Pod/z:TCP 80", "2:lat/Pod/w:TCP 443,8443"}
	if diff := cmp.Diff(want, hopLines(b, portsOf)); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
}

// TestBlastRadiusTermOutlivesOneSet covers a term (a lazy selector, or
// address blocks) named by two admitting sets, one of which dies during a hop
// while the other still has something to admit from a later rule of the
// same hop: the term must stay live until every set naming it is dead. Three
// sources each have one egress rule on 443 and a port of their own; v admits
// them on 443 (done by the first rule, after which its set dies) and w on
// the three own ports (one from each rule).
func TestBlastRadiusTermOutlivesOneSet(t *testing.T) {
	defer func(l, n, z int) { walkLanes, reverseMinPeers, lazyNamespaces = l, n, z }(walkLanes, reverseMinPeers, lazyNamespaces)
	reverseMinPeers, lazyNamespaces = -1, 0
	terms := map[string]string{
		"lazy selector": "{podSelector: {matchExpressions: [{key: role, operator: In, values: [x, u, z]}]}}",
		"address block": "{ipBlock: {cidr: 10.0.0.2/31}}, {ipBlock: {cidr: 10.0.0.4/32}}",
	}
	for name, term := range terms {
		docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "x", "u", "z", "v", "w")...)
		docs = append(docs, ownPortEgress("lat")...)
		docs = append(docs,
			policyDoc("lat", "ingress-v", "{podSelector: {matchLabels: {role: v}}, ingress: [{from: ["+term+"], ports: [{port: 443}]}]}"),
			policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: ["+term+", {ipBlock: {cidr: 192.0.2.1/32}}], ports: [{port: 7070}, {port: 8080}, {port: 9090}]}]}"))
		g := graphOf(t, evaluator.DefaultOptions(), docs...)
		for _, lanes := range []int{1, 2} {
			walkLanes = lanes
			b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{})
			want := []string{"1:lat/Pod/u:all", "1:lat/Pod/x:all", "1:lat/Pod/z:all", "2:lat/Pod/v:TCP 443", "2:lat/Pod/w:TCP 7070,8080,9090"}
			if diff := cmp.Diff(want, hopLines(b, portsOf)); diff != "" {
				t.Errorf("%s, %d lanes: hops (-want +got):\n%s", name, lanes, diff)
			}
		}
	}
}

// TestBlastRadiusTermOfSetHoldingEveryClass covers a lazy term named by a
// set whose other peers select every class: such a set is not among the
// term's sets, so its death must not count towards the term's. Here v's set
// holds every class and dies during hop 2 (v is done after the first rule),
// while w's set, which names only the lazy term, still admits the later
// rules' ports.
func TestBlastRadiusTermOfSetHoldingEveryClass(t *testing.T) {
	defer func(l, n, z int) { walkLanes, reverseMinPeers, lazyNamespaces = l, n, z }(walkLanes, reverseMinPeers, lazyNamespaces)
	reverseMinPeers, lazyNamespaces = -1, 1
	const lazy = "{namespaceSelector: {}, podSelector: {matchExpressions: [{key: role, operator: In, values: [x, u, z]}]}}"
	docs := append([]string{nsDoc("a", "n=a"), nsDoc("b", "n=b"), podDoc("b", "q", "role: q", "10.0.0.9", "n1", "")},
		rolePods("a", nil, "s", "x", "u", "z", "v", "w")...)
	docs = append(docs, policyDoc("a", "egress-s", "{podSelector: {matchLabels: {role: s}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [x, u, z]}]}}]}]}"))
	docs = append(docs, ownPortEgress("a")...)
	docs = append(docs,
		policyDoc("a", "ingress-v", "{podSelector: {matchLabels: {role: v}}, ingress: [{from: [{namespaceSelector: {matchLabels: {n: a}}}, {namespaceSelector: {matchLabels: {n: b}}}, "+lazy+"], ports: [{port: 443}]}]}"),
		policyDoc("a", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: ["+lazy+"], ports: [{port: 7070}, {port: 8080}, {port: 9090}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	for _, lanes := range []int{1, 2} {
		walkLanes = lanes
		b := g.BlastRadius([]*model.Pod{g.snap.Pod("a/s")}, nil, BlastOptions{})
		want := []string{"1:a/Pod/u:all", "1:a/Pod/x:all", "1:a/Pod/z:all",
			"2:a/Pod/v:TCP 443", "2:a/Pod/w:TCP 7070,8080,9090", "2:b/Pod/q:TCP 443,7070,8080,9090"}
		if diff := cmp.Diff(want, hopLines(b, portsOf)); diff != "" {
			t.Errorf("%d lanes: hops (-want +got):\n%s", lanes, diff)
		}
	}
}

// ownPortEgress are egress policies in namespace ns letting the pods of role
// x, u and z open connections anywhere on port 443 and on a port of their
// own: 8080, 9090 and 7070.
func ownPortEgress(ns string) []string {
	var out []string
	for _, rp := range [][2]string{{"x", "8080"}, {"u", "9090"}, {"z", "7070"}} {
		out = append(out, policyDoc(ns, "egress-"+rp[0], "{podSelector: {matchLabels: {role: "+rp[0]+"}}, policyTypes: [Egress], egress: [{ports: [{port: 443}, {port: "+rp[1]+"}]}]}"))
	}
	return out
}

// TestBlastRadiusBitmapPeers covers rules expanded through peer sets kept as
// bitmaps. From s, a is reached at hop 1; a's rule names the even ones of
// 100 isolated classes (reached at hop 2) and b and c (open, reached at hop
// 2); b's rule (port 80) and then c's (port 81) name all 100, so b's walk at
// hop 3 passes over the even ones for good, and both must still reach the
// odd ones beside them in the same words. In one lane and in three (lanes
// split the words), twice on one graph (the second walk starts from the
// tables the first gave back).
func TestBlastRadiusBitmapPeers(t *testing.T) {
	defer func(b, w int) { bitmapMinUniverse, walkLanes = b, w }(bitmapMinUniverse, walkLanes)
	bitmapMinUniverse = 0
	docs := []string{nsDoc("bm")}
	var even, all []string
	want := []string{"1:bm/Pod/a:all", "2:bm/Pod/b:all", "2:bm/Pod/c:all"}
	for i := range 100 {
		docs = append(docs, podDoc("bm", fmt.Sprintf("d%02d", i), fmt.Sprintf("role: d, k: v%02d", i), fmt.Sprintf("10.0.1.%d", i+1), "n1", ""))
		all = append(all, fmt.Sprintf("v%02d", i))
		if i%2 == 0 {
			even = append(even, fmt.Sprintf("v%02d", i))
		}
		want = append(want, fmt.Sprintf("%d:bm/Pod/d%02d:TCP 80-81", 2+i%2, i))
	}
	slices.Sort(want)
	docs = append(docs, rolePods("bm", nil, "s", "a", "b", "c")...)
	egress := func(role string, ks []string, ports string) string {
		return policyDoc("bm", "egress-"+role, "{podSelector: {matchLabels: {role: "+role+"}}, policyTypes: [Egress], egress: [{to: ["+
			"{podSelector: {matchExpressions: [{key: k, operator: In, values: ["+strings.Join(ks, ", ")+"]}]}}, "+
			"{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b, c]}]}}]"+ports+"}]}")
	}
	docs = append(docs, egress("a", even, ""), egress("b", all, ", ports: [{port: 80}]"), egress("c", all, ", ports: [{port: 81}]"),
		policyDoc("bm", "egress-s", "{podSelector: {matchLabels: {role: s}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: a}}}]}]}"),
		policyDoc("bm", "ingress-d", "{podSelector: {matchLabels: {role: d}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b, c]}]}}], ports: [{port: 80}, {port: 81}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	for _, lanes := range []int{1, 3} {
		walkLanes = lanes
		for walk := range 2 {
			b := g.BlastRadius([]*model.Pod{g.snap.Pod("bm/s")}, nil, BlastOptions{})
			if diff := cmp.Diff(want, hopLines(b, portsOf)); diff != "" {
				t.Errorf("%d lanes, walk %d: hops (-want +got):\n%s", lanes, walk+1, diff)
			}
		}
	}
}

// TestBlastRadiusPortsOfEveryRule checks that a class reached at a hop by one
// egress rule is still met by the hop's other rules, whether they name it by
// selector or by address, so that its ports are those of all of them.
func TestBlastRadiusPortsOfEveryRule(t *testing.T) {
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "w")...)
	docs = append(docs,
		policyDoc("lat", "egress-s", "{podSelector: {matchLabels: {role: s}}, policyTypes: [Egress], egress: ["+
			"{to: [{ipBlock: {cidr: 10.0.0.0/24}}], ports: [{port: 443}]}, "+
			"{to: [{podSelector: {matchLabels: {role: w}}}], ports: [{port: 80}]}, "+
			"{to: [{ipBlock: {cidr: 10.0.0.2/32}}], ports: [{port: 8080}]}]}"),
		policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: [{podSelector: {matchLabels: {role: s}}}], ports: [{port: 80}, {port: 443}, {port: 8080}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	// Twice: the second walk reuses the first one's tables.
	for range 2 {
		b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{})
		if diff := cmp.Diff([]string{"1:lat/Pod/w:TCP 80,443,8080"}, hopLines(b, portsOf)); diff != "" {
			t.Errorf("hops (-want +got):\n%s", diff)
		}
	}
}

// TestBlastRadiusPathThroughFirstSource checks that the one path shown for
// a workload goes through the first of the previous hop's pods that reach
// it (in the walk's order, here the pod order), when several share the same
// egress rule and ingress peer set.
func TestBlastRadiusPathThroughFirstSource(t *testing.T) {
	// a1 and a2 are two classes sharing one egress rule to w, and w admits
	// them by one set.
	docs := append(sharedRuleDocs("s", "w"),
		policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b]}]}}], ports: [{port: 80}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{})
	want := []string{
		"1:lat/Pod/a1:lat/Pod/s → lat/Pod/a1",
		"1:lat/Pod/a2:lat/Pod/s → lat/Pod/a2",
		"2:lat/Pod/w:lat/Pod/s → lat/Pod/a1 → lat/Pod/w",
	}
	if diff := cmp.Diff(want, hopLines(b, func(w ReachedWorkload) string { return join(w.Path) })); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
}

// TestBlastRadiusRuleMetAgain covers an egress rule whose destination is not
// admitted from the first source that has it and is from a later one: the
// rule must not be taken as spent after the first hop, in any lane, whether
// it is expanded through its peers or from the admitting sets (its one peer
// is then at, or above, the peer count that decides the way).
func TestBlastRadiusRuleMetAgain(t *testing.T) {
	defer func(l, n int) { walkLanes, reverseMinPeers = l, n }(walkLanes, reverseMinPeers)
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "a", "b", "d")...)
	// a and b share the rule towards d, which admits only b; a also reaches b.
	docs = append(docs,
		policyDoc("lat", "egress-ab", "{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b]}]}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: d}}}]}]}"),
		policyDoc("lat", "egress-a", "{podSelector: {matchLabels: {role: a}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: b}}}]}]}"),
		policyDoc("lat", "ingress-b", "{podSelector: {matchLabels: {role: b}}, ingress: [{from: [{podSelector: {matchLabels: {role: a}}}]}]}"),
		policyDoc("lat", "ingress-d", "{podSelector: {matchLabels: {role: d}}, ingress: [{from: [{podSelector: {matchLabels: {role: b}}}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	for _, lanes := range []int{1, 2, 3} {
		for _, peers := range []int{4096, 1, 0} {
			walkLanes, reverseMinPeers = lanes, peers
			b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{})
			if diff := cmp.Diff([]string{"1:lat/Pod/a", "2:lat/Pod/b", "3:lat/Pod/d"}, hopLines(b, nil)); diff != "" {
				t.Errorf("%d lanes, reverseMinPeers %d: hops (-want +got):\n%s", lanes, peers, diff)
			}
		}
	}
}

// TestBlastRadiusWalksLeaveNothingBehind checks that a walk's record of
// the egress rules it has spent does not carry over to the next walk on the
// same graph: a walk from a spends the rule towards b at hop 2, and a walk
// from s meets that rule at hop 3 and still needs it.
func TestBlastRadiusWalksLeaveNothingBehind(t *testing.T) {
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "x", "a", "c", "b")...)
	docs = append(docs,
		policyDoc("lat", "egress-s", "{podSelector: {matchLabels: {role: s}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: x}}}]}]}"),
		policyDoc("lat", "egress-ac", "{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, c]}]}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: b}}}]}]}"),
		policyDoc("lat", "egress-a", "{podSelector: {matchLabels: {role: a}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: c}}}]}]}"),
		policyDoc("lat", "ingress-b", "{podSelector: {matchLabels: {role: b}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, c]}]}}]}]}"),
		policyDoc("lat", "ingress-c", "{podSelector: {matchLabels: {role: c}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, x]}]}}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	walks := []struct {
		from string
		want []string
	}{
		{"lat/a", []string{"1:lat/Pod/b", "1:lat/Pod/c", "2:lat/Pod/s", "2:lat/Pod/x"}},
		{"lat/s", []string{"1:lat/Pod/x", "2:lat/Pod/a", "2:lat/Pod/c", "3:lat/Pod/b"}},
	}
	for _, w := range walks {
		b := g.BlastRadius([]*model.Pod{g.snap.Pod(w.from)}, nil, BlastOptions{})
		if diff := cmp.Diff(w.want, hopLines(b, nil)); diff != "" {
			t.Errorf("from %s: hops (-want +got):\n%s", w.from, diff)
		}
	}
}

// TestBlastRadiusHostNetworkPortsBeyondItsPolicy checks that a host-network
// destination gets the ports of every rule that reaches it, although a policy
// selecting it would allow fewer: policies do not protect such pods (§2.11).
func TestBlastRadiusHostNetworkPortsBeyondItsPolicy(t *testing.T) {
	g := graphOf(t, evaluator.DefaultOptions(), nodeDoc, nsDoc("a"),
		podDoc("a", "s", "app: s", "10.0.0.1", "n1", ""),
		podDoc("a", "h", "app: h", "10.0.1.1", "n1", "hostNetwork: true"),
		policyDoc("a", "egress-s", "{podSelector: {matchLabels: {app: s}}, policyTypes: [Egress], egress: ["+
			"{to: [{ipBlock: {cidr: 10.0.1.0/24}}], ports: [{port: 80}]}, {to: [{ipBlock: {cidr: 10.0.1.1/32}}], ports: [{port: 443}]}]}"),
		policyDoc("a", "ingress-h", "{podSelector: {matchLabels: {app: h}}, ingress: [{from: [{podSelector: {matchLabels: {app: s}}}], ports: [{port: 80}]}]}"))
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("a/s")}, nil, BlastOptions{})
	if diff := cmp.Diff([]string{"1:a/Pod/h:TCP 80,443"}, hopLines(b, portsOf)); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
}

// TestBlastRadiusNamedPortsPerDestination checks that a rule naming a port
// resolves it on each destination's own containers (§2.9), also when several
// destinations of one walk name it differently (in one lane, which caches
// the resolved ports).
func TestBlastRadiusNamedPortsPerDestination(t *testing.T) {
	defer func(l int) { walkLanes = l }(walkLanes)
	walkLanes = 1
	pod := func(name, ip, port string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: a, labels: {app: " + name + ", role: web}}\n" +
			"spec: {nodeName: n1, containers: [{name: c, ports: [{name: http, containerPort: " + port + "}]}]}\n" +
			"status: {phase: Running, podIP: " + ip + "}\n"
	}
	g := graphOf(t, evaluator.DefaultOptions(), nodeDoc, nsDoc("a"),
		podDoc("a", "s", "app: s", "10.0.0.1", "n1", ""),
		pod("w1", "10.0.0.2", "8080"), pod("w2", "10.0.0.3", "9090"),
		policyDoc("a", "egress-s", "{podSelector: {matchLabels: {app: s}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: web}}}], ports: [{port: http}]}]}"),
		policyDoc("a", "ingress-web", "{podSelector: {matchLabels: {role: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: s}}}], ports: [{port: http}]}]}"))
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("a/s")}, nil, BlastOptions{})
	if diff := cmp.Diff([]string{"1:a/Pod/w1:TCP 8080", "1:a/Pod/w2:TCP 9090"}, hopLines(b, portsOf)); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
}

// TestBlastRadiusTargetsLeaveHopsAlone checks that asking for targets
// changes neither the hops nor the one path shown per workload, where the
// walk without paths skips an edge that adds no port (w is reached from a2
// on every port it admits before a1's edge is met).
func TestBlastRadiusTargetsLeaveHopsAlone(t *testing.T) {
	docs := append(sharedRuleDocs("s", "w"),
		policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: [{podSelector: {matchLabels: {role: b}}}], ports: [{port: 80}]}, {from: [{podSelector: {matchLabels: {role: a}}}], ports: [{port: 80}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	src := []*model.Pod{g.snap.Pod("lat/s")}
	path := func(w ReachedWorkload) string { return join(w.Path) }
	plain := hopLines(g.BlastRadius(src, nil, BlastOptions{}), path)
	b := g.BlastRadius(src, nil, BlastOptions{Target: func(p *model.Pod) bool { return p.Name == "w" }})
	if diff := cmp.Diff(plain, hopLines(b, path)); diff != "" {
		t.Errorf("hops with a target (-without +with):\n%s", diff)
	}
	checkTargetPaths(t, g, "w", [][]string{{"lat/Pod/s", "lat/Pod/a1", "lat/Pod/w"}, {"lat/Pod/s", "lat/Pod/a2", "lat/Pod/w"}})
}

// sharedRuleDocs are namespace lat with pods a1 (role a), a2 (role b) and
// then the named pods (each its own role), where a1 and a2 are two classes
// sharing one egress rule to role w.
func sharedRuleDocs(names ...string) []string {
	docs := append([]string{nsDoc("lat")}, rolePods("lat", map[string]string{"a1": "a", "a2": "b"}, append([]string{"a1", "a2"}, names...)...)...)
	return append(docs, policyDoc("lat", "egress-a", "{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b]}]}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: w}}}]}]}"))
}

// checkTargetPaths checks every shortest path from lat/s to the pod
// lat/target, with the edges found backwards and by a second walk.
func checkTargetPaths(t *testing.T, g *Graph, target string, want [][]string) {
	t.Helper()
	defer func(n int) { backEdgeBudget = n }(backEdgeBudget)
	for _, budget := range []int{backEdgeBudget, 0} {
		backEdgeBudget = budget
		b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{Target: func(p *model.Pod) bool { return p.Name == target }})
		if len(b.Targets) != 1 || !cmp.Equal(want, b.Targets[0].Paths) {
			t.Errorf("budget %d: target paths %+v, want %v", budget, b.Targets, want)
		}
	}
}

// TestBlastRadiusTargetPathsNeedBothRules checks the edges into an
// ingress-isolated class on the way to a target (d, which only c may reach):
// p1 (open egress) is not admitted by c, p3's egress rule allows no port c's
// ingress rule does, and only p2 has an edge into c, whether the edges are
// found backwards or by a second walk.
func TestBlastRadiusTargetPathsNeedBothRules(t *testing.T) {
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "p1", "p2", "p3", "c", "d")...)
	docs = append(docs,
		policyDoc("lat", "egress-p2", "{podSelector: {matchLabels: {role: p2}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: c}}}], ports: [{port: 80}]}]}"),
		policyDoc("lat", "egress-p3", "{podSelector: {matchLabels: {role: p3}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {role: c}}}], ports: [{port: 443}]}]}"),
		policyDoc("lat", "ingress-c", "{podSelector: {matchLabels: {role: c}}, ingress: [{from: [{podSelector: {matchLabels: {role: p2}}}], ports: [{port: 80}]}, {from: [{podSelector: {matchLabels: {role: p3}}}], ports: [{port: 80}]}]}"),
		policyDoc("lat", "ingress-d", "{podSelector: {matchLabels: {role: d}}, ingress: [{from: [{podSelector: {matchLabels: {role: c}}}]}]}"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	checkTargetPaths(t, g, "d", [][]string{{"lat/Pod/s", "lat/Pod/p2", "lat/Pod/c", "lat/Pod/d"}})
}

// TestBlastRadiusTargetPathsThroughSharedRule checks that every source
// sharing an egress rule gets its edge on the way to a target, whether the
// next class admits them by one ingress rule or has open ingress (s may only
// reach a1 and a2).
func TestBlastRadiusTargetPathsThroughSharedRule(t *testing.T) {
	docs := append(sharedRuleDocs("s", "w", "x"),
		policyDoc("lat", "ingress-x", "{podSelector: {matchLabels: {role: x}}, ingress: [{from: [{podSelector: {matchLabels: {role: w}}}]}]}"),
		policyDoc("lat", "egress-s", "{podSelector: {matchLabels: {role: s}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b]}]}}]}]}"))
	ingressW := policyDoc("lat", "ingress-w", "{podSelector: {matchLabels: {role: w}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [a, b]}]}}], ports: [{port: 80}]}]}")
	want := [][]string{{"lat/Pod/s", "lat/Pod/a1", "lat/Pod/w", "lat/Pod/x"}, {"lat/Pod/s", "lat/Pod/a2", "lat/Pod/w", "lat/Pod/x"}}
	for _, tc := range []struct {
		name string
		docs []string
	}{{"w isolated", append(slices.Clone(docs), ingressW)}, {"w open", docs}} {
		t.Run(tc.name, func(t *testing.T) {
			checkTargetPaths(t, graphOf(t, evaluator.DefaultOptions(), tc.docs...), "x", want)
		})
	}
}

// TestBlastRadiusMaxPaths checks that MaxPaths lists the first paths to a
// crown jewel in path order, with their ports, and says when there are more:
// x is reached through a or b, then v or w (four shortest paths).
func TestBlastRadiusMaxPaths(t *testing.T) {
	admit := func(to string, from ...string) string {
		return policyDoc("lat", "ingress-"+to, "{podSelector: {matchLabels: {role: "+to+"}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: ["+strings.Join(from, ", ")+"]}]}}], ports: [{port: 80}]}]}")
	}
	docs := append([]string{nsDoc("lat")}, rolePods("lat", nil, "s", "a", "b", "v", "w", "x")...)
	docs = append(docs, admit("s", "nobody"), admit("a", "s"), admit("b", "s"), admit("v", "a", "b"), admit("w", "a", "b"), admit("x", "v", "w"))
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	all := [][]string{
		{"lat/Pod/s", "lat/Pod/a", "lat/Pod/v", "lat/Pod/x"},
		{"lat/Pod/s", "lat/Pod/a", "lat/Pod/w", "lat/Pod/x"},
		{"lat/Pod/s", "lat/Pod/b", "lat/Pod/v", "lat/Pod/x"},
		{"lat/Pod/s", "lat/Pod/b", "lat/Pod/w", "lat/Pod/x"},
	}
	for _, tc := range []struct {
		max  int
		want [][]string
		more bool
	}{{0, all, false}, {1, all[:1], true}, {3, all[:3], true}, {4, all, false}, {5, all, false}} {
		b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{MaxPaths: tc.max, Target: func(p *model.Pod) bool { return p.Name == "x" }})
		if len(b.Targets) != 1 {
			t.Fatalf("max %d: targets %+v", tc.max, b.Targets)
		}
		got := b.Targets[0]
		if diff := cmp.Diff(tc.want, got.Paths); diff != "" || got.More != tc.more {
			t.Errorf("max %d: more %v, want %v; paths (-want +got):\n%s", tc.max, got.More, tc.more, diff)
		}
		for i, ports := range got.Ports {
			var steps []string
			for _, p := range ports {
				steps = append(steps, p.String())
			}
			if diff := cmp.Diff([]string{"TCP 80", "TCP 80", "TCP 80"}, steps); diff != "" {
				t.Errorf("max %d, path %d: ports (-want +got):\n%s", tc.max, i, diff)
			}
		}
	}
}

// TestBlastRadiusTargetPathPortsOverClasses checks the ports of a path's
// steps when the workloads on it have pods in several classes: w's two pods
// (roles a and b) reach x on 80 and on 81, and s reaches them on 8080 and
// 8081, so the one path s → w → x has both ports on each step.
func TestBlastRadiusTargetPathPortsOverClasses(t *testing.T) {
	pod := func(name, role, ip, owner string) string { return ownedPod("lat", name, role, ip, owner) }
	admit := func(to, from, port string) string {
		return policyDoc("lat", "ingress-"+to+"-"+from, "{podSelector: {matchLabels: {role: "+to+"}}, ingress: [{from: [{podSelector: {matchLabels: {role: "+from+"}}}], ports: [{port: "+port+"}]}]}")
	}
	g := graphOf(t, evaluator.DefaultOptions(), nsDoc("lat"),
		pod("s", "s", "10.0.0.1", ""), pod("w-0", "a", "10.0.0.2", "w"), pod("w-1", "b", "10.0.0.3", "w"), pod("x", "x", "10.0.0.4", ""),
		admit("s", "nobody", "1"), admit("a", "s", "8080"), admit("b", "s", "8081"), admit("x", "a", "80"), admit("x", "b", "81"))
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("lat/s")}, nil, BlastOptions{Target: func(p *model.Pod) bool { return p.Name == "x" }})
	if len(b.Targets) != 1 {
		t.Fatalf("targets %+v", b.Targets)
	}
	tp := b.Targets[0]
	var ports []string
	for _, p := range tp.Ports[0] {
		ports = append(ports, p.String())
	}
	if diff := cmp.Diff([][]string{{"lat/Pod/s", "lat/StatefulSet/w", "lat/Pod/x"}}, tp.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"TCP 8080-8081", "TCP 80-81"}, ports); diff != "" {
		t.Errorf("step ports (-want +got):\n%s", diff)
	}
}

// TestBlastRadiusTargetPathsThroughOwnNode checks the node-local step of a
// path (§2.10): p, isolated for ingress, is reached only from the
// host-network pod of its own node, and so is the target x behind it.
func TestBlastRadiusTargetPathsThroughOwnNode(t *testing.T) {
	docs := []string{nsDoc("lat"),
		podDoc("lat", "s", "role: s", "10.0.0.1", "n1", ""),
		podDoc("lat", "h1", "role: h1", "10.0.1.1", "n1", "hostNetwork: true"),
		podDoc("lat", "h2", "role: h2", "10.0.1.2", "n2", "hostNetwork: true"),
		podDoc("lat", "p", "role: p", "10.0.0.2", "n1", ""),
		podDoc("lat", "x", "role: x", "10.0.0.3", "n3", ""),
		policyDoc("lat", "ingress-p", "{podSelector: {matchLabels: {role: p}}, policyTypes: [Ingress]}"),
		policyDoc("lat", "ingress-x", "{podSelector: {matchLabels: {role: x}}, ingress: [{from: [{podSelector: {matchLabels: {role: p}}}]}]}"),
	}
	g := graphOf(t, evaluator.DefaultOptions(), docs...)
	checkTargetPaths(t, g, "x", [][]string{{"lat/Pod/s", "lat/Pod/h1", "lat/Pod/p", "lat/Pod/x"}})
}

// TestBlastRadiusRowsByWorkloadAndHop covers how reached pods become rows: one
// row per workload and hop, rows in workload id order, pods in id order
// ("db-10" before "db-2"), and a workload whose pods are first reached at two
// hops, with the later hop's path running through the workload itself.
func TestBlastRadiusRowsByWorkloadAndHop(t *testing.T) {
	pod := func(name, role, ip, owner string) string { return ownedPod("x", name, role, ip, owner) }
	admit := func(name, to, from string) string {
		return policyDoc("x", name, "{podSelector: {matchLabels: {role: "+to+"}}, ingress: [{from: [{podSelector: {matchLabels: {role: "+from+"}}}]}]}")
	}
	g := graphOf(t, evaluator.DefaultOptions(),
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
		pod("a", "a", "10.0.0.1", ""), pod("b", "b", "10.0.0.2", ""),
		pod("db-2", "db", "10.0.0.3", "db"), pod("db-10", "db", "10.0.0.4", "db"), pod("db-0", "db", "10.0.0.5", "db"),
		pod("db-9", "late", "10.0.0.6", "db"), pod("z", "z", "10.0.0.7", ""),
		admit("to-a", "a", "nobody"), admit("to-b", "b", "a"), admit("to-db", "db", "a"), admit("to-late", "late", "db"), admit("to-z", "z", "late"))
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("x/a")}, nil, BlastOptions{})
	type row struct {
		Workload string
		Pods     []string
		Path     string
	}
	var got [][]row
	for _, hop := range b.Hops {
		var rows []row
		for _, w := range hop {
			rows = append(rows, row{w.Workload, w.Pods, join(w.Path)})
		}
		got = append(got, rows)
	}
	want := [][]row{
		{
			{"x/Pod/b", []string{"x/b"}, "x/Pod/a → x/Pod/b"},
			{"x/StatefulSet/db", []string{"x/db-0", "x/db-10", "x/db-2"}, "x/Pod/a → x/StatefulSet/db"},
		},
		{{"x/StatefulSet/db", []string{"x/db-9"}, "x/Pod/a → x/StatefulSet/db → x/StatefulSet/db"}},
		{{"x/Pod/z", []string{"x/z"}, "x/Pod/a → x/StatefulSet/db → x/StatefulSet/db → x/Pod/z"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if b.ReachedPods != 6 || b.TotalPods != 7 {
		t.Errorf("reached %d of %d pods, want 6 of 7", b.ReachedPods, b.TotalPods)
	}
}

// ownedPod is a running pod of namespace ns on node n1, labelled role=<role>,
// owned by the StatefulSet owner (none when owner is empty).
func ownedPod(ns, name, role, ip, owner string) string {
	meta := fmt.Sprintf("name: %s, namespace: %s, labels: {role: %s}", name, ns, role)
	if owner != "" {
		meta += ", ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: " + owner + ", uid: u1, controller: true}]"
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {%s}\nspec: {containers: [{name: c}], nodeName: n1}\nstatus: {phase: Running, podIP: %s}\n", meta, ip)
}

// TestBlastRadiusRowPortsAndPathOverPods covers a row whose pods were not
// all reached alike. Ports: web-0 and web-1 share a class, but only web-1,
// on the host-network source's node, is also reached on its own (§2.10),
// on every port; the row has the union. Path: db-a and db-b are reached at
// hop 2 through different pods (gw-y and gw-x), and the row's path is that
// of its first pod in id order, db-a, listed last in the input.
func TestBlastRadiusRowPortsAndPathOverPods(t *testing.T) {
	pod := func(name, role, ip, node, owner, extra string) string {
		meta := fmt.Sprintf("name: %s, namespace: r, labels: {role: %s}", name, role)
		if owner != "" {
			meta += ", ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: " + owner + ", uid: u-" + owner + ", controller: true}]"
		}
		return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {%s}\nspec: {containers: [{name: c}], nodeName: %s%s}\nstatus: {phase: Running, podIP: %s}\n", meta, node, extra, ip)
	}
	admit := func(name, to, from string) string {
		return policyDoc("r", name, "{podSelector: {matchLabels: {role: "+to+"}}, ingress: [{from: [{podSelector: {matchLabels: {role: "+from+"}}}]}]}")
	}
	g := graphOf(t, evaluator.DefaultOptions(), nodeDoc, nsDoc("r"),
		pod("h", "h", "10.0.1.1", "n1", "", ", hostNetwork: true"),
		pod("web-0", "web", "10.0.0.2", "n2", "web", ""), pod("web-1", "web", "10.0.0.3", "n1", "web", ""),
		pod("gw-x", "via-x", "10.0.0.4", "n2", "", ""), pod("gw-y", "via-y", "10.0.0.5", "n2", "", ""),
		pod("db-b", "db-b", "10.0.0.6", "n2", "db", ""), pod("db-a", "db-a", "10.0.0.7", "n2", "db", ""),
		policyDoc("r", "to-web", "{podSelector: {matchLabels: {role: web}}, ingress: [{from: [{ipBlock: {cidr: 10.0.1.1/32}}], ports: [{port: 80}]}]}"),
		admit("to-db-a", "db-a", "via-y"), admit("to-db-b", "db-b", "via-x"))
	b := g.BlastRadius([]*model.Pod{g.snap.Pod("r/h")}, nil, BlastOptions{})
	got := hopLines(b, func(w ReachedWorkload) string { return fmt.Sprint(w.Pods, " ", w.Ports, " via ", join(w.Path)) })
	all := evaluator.AllPorts(evaluator.Protocols...)
	want := []string{
		"1:r/Pod/gw-x:[r/gw-x] " + all.String() + " via r/Pod/h → r/Pod/gw-x",
		"1:r/Pod/gw-y:[r/gw-y] " + all.String() + " via r/Pod/h → r/Pod/gw-y",
		"1:r/StatefulSet/web:[r/web-0 r/web-1] " + all.String() + " via r/Pod/h → r/StatefulSet/web",
		"2:r/StatefulSet/db:[r/db-a r/db-b] " + all.String() + " via r/Pod/h → r/Pod/gw-y → r/StatefulSet/db",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
