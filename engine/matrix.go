package engine

import (
	"fmt"
	"slices"
	"sort"

	"go4.org/netipx"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// Level is the granularity of the connectivity matrix.
type Level string

// The matrix levels.
const (
	LevelPod       Level = "pod"
	LevelWorkload  Level = "workload"
	LevelNamespace Level = "namespace"
)

// ParseLevel parses --level.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case LevelPod, LevelWorkload, LevelNamespace:
		return l, nil
	}
	return "", fmt.Errorf("invalid --level %q: use pod, workload or namespace", s)
}

// Node is a vertex of the matrix: a pod, a workload, a namespace or a network.
type Node struct {
	ID        string
	Kind      string // Pod, a workload kind, Namespace, Network
	Namespace string
	Name      string
	Workload  string
	IP        string
	// Network nodes only.
	Type  model.NetworkType
	CIDRs []string
}

// Edge says that Src may open connections to Dst on Ports.
type Edge struct {
	Src, Dst string
	Ports    evaluator.PortSet
}

// Matrix lists the nodes of a level and streams its edges.
type Matrix struct {
	g     *Graph
	level Level
	Nodes []Node
	// groupOf maps a pod index to its node index at this level (-1: none).
	groupOf []int32
	nets    []*model.Network
	netIDs  []string // node ids of nets: net:NAME, or ip:FIRST-LAST for ranges
}

// Matrix prepares the connectivity matrix at a level. Networks are the
// catalogue networks to include as nodes.
func (g *Graph) Matrix(level Level, networks []*model.Network) *Matrix {
	m := &Matrix{g: g, level: level, groupOf: make([]int32, len(g.pods)), nets: networks}
	index := map[string]int32{}
	for i, p := range g.pods {
		m.groupOf[i] = -1
		if g.podClass[i] < 0 {
			continue // finished pods take no part
		}
		var n Node
		switch level {
		case LevelPod:
			n = Node{ID: p.ID(), Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
			if p.Workload != nil {
				n.Workload = p.Workload.ID()
			}
			if len(p.IPs) > 0 {
				n.IP = p.IPs[0].String()
			}
		case LevelWorkload:
			if w := p.Workload; w != nil {
				n = Node{ID: w.ID(), Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}
			} else {
				n = Node{ID: p.Namespace + "/Pod/" + p.Name, Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
			}
		case LevelNamespace:
			n = Node{ID: p.Namespace, Kind: "Namespace", Name: p.Namespace}
		}
		id, ok := index[n.ID]
		if !ok {
			id = int32(len(m.Nodes))
			index[n.ID] = id
			m.Nodes = append(m.Nodes, n)
		}
		m.groupOf[i] = id
	}
	for _, net := range networks {
		m.netIDs = append(m.netIDs, net.ID())
		n := Node{ID: net.ID(), Kind: "Network", Name: net.Name, Type: net.Type}
		for _, c := range net.CIDRs {
			n.CIDRs = append(n.CIDRs, c.String())
		}
		m.Nodes = append(m.Nodes, n)
	}
	return m
}

// classRow is the allowed ports from one source class to each destination class.
type classRow map[int32]evaluator.PortSet

// row computes what class cs reaches: for every destination class, egress at
// cs intersected with ingress at the destination. Node-local traffic (§2.10) is
// pod-specific and added by the caller.
func (g *Graph) row(cs int32) classRow {
	out := classRow{}
	all := evaluator.AllPorts(evaluator.Protocols...)
	src := &g.classes[cs]
	if !g.enforced {
		for cd := range g.classes {
			out[int32(cd)] = all
		}
		return out
	}
	if src.hostNetwork || !src.isolatedEg {
		// Open egress: every class with open ingress, and the isolated classes
		// whose ingress rules name cs.
		g.buildInverse()
		for _, cd := range g.openIn {
			out[cd] = all
		}
		for _, cd := range g.admitters(cs) {
			if in := g.ingressFromClass(cd, cs); !in.Empty() {
				out[cd] = in
			}
		}
		return out
	}
	var candidates map[int32]evaluator.PortSet
	if len(src.egRules) > longRuleList {
		candidates = g.egressTable(src)
	} else {
		candidates = g.egressCandidates(src.egRules)
	}
	for cd, eg := range candidates {
		if eg.Empty() {
			continue
		}
		dst := &g.classes[cd]
		if dst.hostNetwork || !dst.isolatedIn {
			out[cd] = eg
			continue
		}
		if p := eg.Intersect(g.ingressFromClass(cd, cs)); !p.Empty() {
			out[cd] = p
		}
	}
	return out
}

// ingressFromClass is what isolated class cd admits from class cs.
func (g *Graph) ingressFromClass(cd, cs int32) evaluator.PortSet {
	dst := &g.classes[cd]
	if len(dst.inRules) > longRuleList {
		return g.admittedFrom(dst, cs).resolve(dst.namedPorts)
	}
	in := evaluator.PortSet{}
	for _, r := range dst.inRules {
		if g.inPeerSet(&g.peerSets[r.peers], cs) {
			in = in.Union(g.portSpecs[r.ports].portsFor(dst.namedPorts))
		}
	}
	return in
}

// longRuleList is the rule count above which a destination's ingress is
// answered from a per-rule-list cache instead of by testing every rule.
var longRuleList = 64

// tableKey identifies a shared rule list.
type tableKey struct {
	rules *ruleRef
	n     int
}

// admitted is what a rule list admits from one source class, before the
// destination's named ports are resolved.
type admitted struct {
	numeric evaluator.PortSet
	named   []namedPort
}

func (a *admitted) resolve(dst []model.ContainerPort) evaluator.PortSet {
	s := portSpec{numeric: a.numeric, named: a.named}
	return s.portsFor(dst)
}

// admittedFrom returns what dst's ingress rule list admits from class cs,
// computed once per (rule list, source class): classes selected by the same
// policies share the list, so a destination selected by thousands of policies
// tests each source against the rules once, not once per destination class.
func (g *Graph) admittedFrom(dst *class, cs int32) *admitted {
	key := tableKey{rules: &dst.inRules[0], n: len(dst.inRules)}
	g.tableMu.Lock()
	defer g.tableMu.Unlock()
	t := g.inTables[key]
	if t == nil {
		t = map[int32]*admitted{}
		if g.inTables == nil {
			g.inTables = map[tableKey]map[int32]*admitted{}
		}
		g.inTables[key] = t
	}
	if a, ok := t[cs]; ok {
		return a
	}
	a := &admitted{}
	for _, r := range dst.inRules {
		if !g.inPeerSet(&g.peerSets[r.peers], cs) {
			continue
		}
		spec := &g.portSpecs[r.ports]
		a.numeric = a.numeric.Union(spec.numeric)
		for _, n := range spec.named {
			if !slices.Contains(a.named, n) {
				a.named = append(a.named, n)
			}
		}
	}
	t[cs] = a
	return a
}

// egressCandidates maps every class an egress rule list names to the ports the
// rules allow towards it (named ports resolved on that class).
func (g *Graph) egressCandidates(rules []ruleRef) map[int32]evaluator.PortSet {
	candidates := map[int32]evaluator.PortSet{}
	for _, r := range rules {
		spec := &g.portSpecs[r.ports]
		g.eachPeerClass(&g.peerSets[r.peers], func(cd int32) {
			candidates[cd] = candidates[cd].Union(spec.portsFor(g.classes[cd].namedPorts))
		})
	}
	return candidates
}

// egressTable is egressCandidates cached per (shared) egress rule list.
func (g *Graph) egressTable(src *class) map[int32]evaluator.PortSet {
	key := tableKey{rules: &src.egRules[0], n: len(src.egRules)}
	g.tableMu.Lock()
	defer g.tableMu.Unlock()
	if t, ok := g.egTables[key]; ok {
		return t
	}
	t := g.egressCandidates(src.egRules)
	if g.egTables == nil {
		g.egTables = map[tableKey]map[int32]evaluator.PortSet{}
	}
	g.egTables[key] = t
	return t
}

// buildAdmit indexes, once, which isolated classes each peer set admits into
// (with the ports of each admitting rule), the classes whose ingress is open,
// and the admitting peer sets that contain every class.
func (g *Graph) buildAdmit() {
	g.admitOnce.Do(func() {
		g.admittedVia = make([][]int32, len(g.peerSets))
		// The ports of a rule depend on its port spec and, when the spec
		// names ports, on the class's named ports (§2.9): numbered per spec,
		// or per (spec, named-port set).
		ports := newSpecPorts(g)
		// The admissions of all sets live in one array, set by set
		// (admissions): counted first, then filled.
		g.admitStart = make([]int32, len(g.peerSets)+1)
		for cd := range g.classes {
			cl := &g.classes[cd]
			if cl.hostNetwork || !cl.isolatedIn {
				g.openIn = append(g.openIn, int32(cd))
				continue
			}
			for _, r := range cl.inRules {
				if l := g.admittedVia[r.peers]; len(l) == 0 || l[len(l)-1] != int32(cd) {
					g.admittedVia[r.peers] = append(l, int32(cd))
				}
				g.admitStart[r.peers+1]++
			}
		}
		for ps := range g.peerSets {
			g.admitStart[ps+1] += g.admitStart[ps]
		}
		g.admitList = make([]admitRule, g.admitStart[len(g.peerSets)])
		next := slices.Clone(g.admitStart[:len(g.peerSets)])
		for cd := range g.classes {
			cl := &g.classes[cd]
			if cl.hostNetwork || !cl.isolatedIn {
				continue
			}
			for _, r := range cl.inRules {
				g.admitList[next[r.peers]] = admitRule{class: int32(cd), ports: ports.id(r.ports, int32(cd))}
				next[r.peers]++
			}
		}
		g.admitPorts = ports.sets
		for ps := range g.peerSets {
			if len(g.admittedVia[ps]) > 0 && g.peerSets[ps].all {
				g.allSets = append(g.allSets, int32(ps))
			}
		}
	})
}

// buildInverse adds to buildAdmit, once, which peer sets each class belongs
// to, so that "who admits class cs" costs the size of the answer rather than a
// scan of every class.
func (g *Graph) buildInverse() {
	g.buildAdmit()
	g.inverseOnce.Do(func() {
		g.memberOf = make([][]int32, len(g.classes))
		for ps := range g.peerSets {
			set := &g.peerSets[ps]
			if len(g.admittedVia[ps]) == 0 || set.all {
				continue
			}
			g.eachPeerClass(set, func(c int32) {
				// A class can be visited twice for one set: keep it once.
				if l := g.memberOf[c]; len(l) == 0 || l[len(l)-1] != int32(ps) {
					g.memberOf[c] = append(l, int32(ps))
				}
			})
		}
		// memberOf lists are sorted (sets are visited in order): hash them.
		g.memberHash = make([]uint64, len(g.classes))
		for c, ids := range g.memberOf {
			h := uint64(len(ids)) + 1
			for _, id := range ids {
				h = splitmix(h ^ uint64(id))
			}
			g.memberHash[c] = h
		}
	})
}

// admissions returns the isolated classes with an ingress rule naming peer
// set ps, with that rule's ports (buildAdmit first).
func (g *Graph) admissions(ps int32) []admitRule {
	return g.admitList[g.admitStart[ps]:g.admitStart[ps+1]]
}

// admitRule is an ingress rule of an isolated class: its ports.
type admitRule struct {
	class int32
	ports int32 // index in Graph.admitPorts: the rule's ports towards the class (named ports resolved)
}

// admitters returns the isolated classes that have an ingress rule whose peers
// include class cs (ports not yet considered), without duplicates.
func (g *Graph) admitters(cs int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	add := func(ps int32) {
		for _, cd := range g.admittedVia[ps] {
			if !seen[cd] {
				seen[cd] = true
				out = append(out, cd)
			}
		}
	}
	for _, ps := range g.allSets {
		add(ps)
	}
	for _, ps := range g.memberOf[cs] {
		add(ps)
	}
	return out
}

// Edges calls f for every edge of the matrix, sorted by source then destination
// id; self-edges are omitted. Pod-level edges are produced one source pod at a
// time, so the whole matrix is never held in memory.
func (m *Matrix) Edges(f func(Edge) error) error {
	g := m.g
	netEdges := m.networkEdges()
	if m.level == LevelPod {
		return m.podEdges(netEdges, f)
	}
	// Workload and namespace levels: aggregate class rows into node pairs.
	agg := map[[2]int32]evaluator.PortSet{}
	add := func(a, b int32, p evaluator.PortSet) {
		if a == b || a < 0 || b < 0 {
			return
		}
		k := [2]int32{a, b}
		if cur, ok := agg[k]; ok {
			p = cur.Union(p)
		}
		agg[k] = p
	}
	groupsOfClass := make([][]int32, len(g.classes))
	for i, cl := range g.classes {
		seen := map[int32]bool{}
		for _, pi := range cl.pods {
			if gid := m.groupOf[pi]; !seen[gid] {
				seen[gid] = true
				groupsOfClass[i] = append(groupsOfClass[i], gid)
			}
		}
	}
	for cs := range g.classes {
		for cd, ports := range g.row(int32(cs)) {
			for _, a := range groupsOfClass[cs] {
				for _, b := range groupsOfClass[cd] {
					add(a, b, ports)
				}
			}
		}
	}
	m.forNodeLocal(func(src, dst int32) { add(m.groupOf[src], m.groupOf[dst], evaluator.AllPorts(evaluator.Protocols...)) })
	var edges []Edge
	for k, p := range agg {
		edges = append(edges, Edge{Src: m.Nodes[k[0]].ID, Dst: m.Nodes[k[1]].ID, Ports: p})
	}
	for _, e := range netEdges {
		for _, ne := range e {
			edges = append(edges, Edge{Src: m.nodeID(ne.src), Dst: m.nodeID(ne.dst), Ports: ne.ports})
		}
	}
	edges = mergeEdges(edges)
	for _, e := range edges {
		if err := f(e); err != nil {
			return err
		}
	}
	return nil
}

// nodeID maps an edge end (a pod index, or -1-n for network n) to a node id at
// the matrix level.
func (m *Matrix) nodeID(end int32) string {
	if end < 0 {
		return m.netIDs[-1-end]
	}
	return m.Nodes[m.groupOf[end]].ID
}

func mergeEdges(edges []Edge) []Edge {
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].Src != edges[j].Src {
			return edges[i].Src < edges[j].Src
		}
		return edges[i].Dst < edges[j].Dst
	})
	var out []Edge
	for _, e := range edges {
		if e.Src == e.Dst {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Src == e.Src && out[n-1].Dst == e.Dst {
			out[n-1].Ports = out[n-1].Ports.Union(e.Ports)
			continue
		}
		out = append(out, e)
	}
	return out
}

// podEdges streams pod-level edges: for each source pod in id order, its
// destinations in id order, then its network edges.
func (m *Matrix) podEdges(netEdges map[int32][]netEdge, f func(Edge) error) error {
	g := m.g
	rows := map[int32]classRow{}
	nodeLocal := map[int32][]int32{}
	m.forNodeLocal(func(src, dst int32) { nodeLocal[src] = append(nodeLocal[src], dst) })
	all := evaluator.AllPorts(evaluator.Protocols...)
	// Every network edge is emitted with the pod it starts from; edges into pods
	// from networks are sorted in by their source id.
	var pending []Edge
	for src, list := range netEdges {
		if src < 0 {
			for _, ne := range list {
				pending = append(pending, Edge{Src: m.nodeID(ne.src), Dst: m.nodeID(ne.dst), Ports: ne.ports})
			}
		}
	}
	pending = mergeEdges(pending)
	emitPending := func(before string) error {
		for len(pending) > 0 && (before == "" || pending[0].Src < before) {
			if err := f(pending[0]); err != nil {
				return err
			}
			pending = pending[1:]
		}
		return nil
	}
	for pi := range g.pods {
		cs := g.podClass[pi]
		if cs < 0 {
			continue
		}
		srcID := g.pods[pi].ID()
		if err := emitPending(srcID); err != nil {
			return err
		}
		row, ok := rows[cs]
		if !ok {
			row = g.row(cs)
			if len(g.classes[cs].pods) > 1 {
				rows[cs] = row
			}
		}
		var dsts []int32
		ports := map[int32]evaluator.PortSet{}
		for cd, p := range row {
			for _, di := range g.classes[cd].pods {
				if di != int32(pi) {
					dsts = append(dsts, di)
					ports[di] = p
				}
			}
		}
		for _, di := range nodeLocal[int32(pi)] {
			if _, ok := ports[di]; !ok {
				dsts = append(dsts, di)
			}
			ports[di] = all
		}
		sort.Slice(dsts, func(i, j int) bool { return dsts[i] < dsts[j] })
		var edges []Edge
		for _, di := range dsts {
			edges = append(edges, Edge{Src: srcID, Dst: g.pods[di].ID(), Ports: ports[di]})
		}
		for _, ne := range netEdges[int32(pi)] {
			edges = append(edges, Edge{Src: srcID, Dst: m.nodeID(ne.dst), Ports: ne.ports})
		}
		sort.SliceStable(edges, func(i, j int) bool { return edges[i].Dst < edges[j].Dst })
		for _, e := range edges {
			if err := f(e); err != nil {
				return err
			}
		}
	}
	return emitPending("")
}

// forNodeLocal calls f(src, dst) for every host-network pod and every other pod
// on its node whose ingress isolation would otherwise refuse it (§2.10).
func (m *Matrix) forNodeLocal(f func(src, dst int32)) {
	g := m.g
	byNode := map[string][]int32{}
	var hostPods []int32
	for i, p := range g.pods {
		if g.podClass[i] < 0 || p.NodeName == "" {
			continue
		}
		byNode[p.NodeName] = append(byNode[p.NodeName], int32(i))
		if p.HostNetwork {
			hostPods = append(hostPods, int32(i))
		}
	}
	for _, hp := range hostPods {
		for _, d := range byNode[g.pods[hp].NodeName] {
			if d != hp && g.classes[g.podClass[d]].isolatedIn {
				f(hp, d)
			}
		}
	}
}

// netEdge is an edge between a pod (index ≥ 0) and a network (-1-n).
type netEdge struct {
	src, dst int32
	ports    evaluator.PortSet
}

// networkEdges computes the edges between pods and catalogue networks, keyed by
// source (pods by index, networks by -1-n). A pod reaches a network when its
// egress admits some address of it (named ports never match an address); a
// network reaches a pod when the pod's ingress admits some address of it.
func (m *Matrix) networkEdges() map[int32][]netEdge {
	g := m.g
	out := map[int32][]netEdge{}
	if len(m.nets) == 0 {
		return out
	}
	all := evaluator.AllPorts(evaluator.Protocols...)
	netSets := make([]*netipx.IPSet, len(m.nets))
	for i, n := range m.nets {
		var b netipx.IPSetBuilder
		for _, c := range n.CIDRs {
			b.AddPrefix(c)
		}
		netSets[i], _ = b.IPSet()
	}
	overlap := map[[2]int32]bool{}
	peerReaches := func(ps int32, n int) bool {
		k := [2]int32{ps, int32(n)}
		if v, ok := overlap[k]; ok {
			return v
		}
		set := &g.peerSets[ps]
		v := set.allExternal
		for _, b := range set.blocks {
			if v {
				break
			}
			v = blockSet(b).Overlaps(netSets[n])
		}
		overlap[k] = v
		return v
	}
	egressTo := func(cs int32, n int) evaluator.PortSet {
		cl := &g.classes[cs]
		if !g.enforced || cl.hostNetwork || !cl.isolatedEg {
			return all
		}
		p := evaluator.PortSet{}
		for _, r := range cl.egRules {
			if peerReaches(r.peers, n) {
				p = p.Union(g.portSpecs[r.ports].numeric)
			}
		}
		return p
	}
	ingressFrom := func(pi int32, n int) evaluator.PortSet {
		cl := &g.classes[g.podClass[pi]]
		if !g.enforced || cl.hostNetwork || !cl.isolatedIn {
			return all
		}
		for _, a := range g.ownNodeAddrs(g.pods[pi]) {
			if netSets[n].Contains(a) {
				return all // §2.10: the pod's own node is in the network
			}
		}
		p := evaluator.PortSet{}
		for _, r := range cl.inRules {
			if peerReaches(r.peers, n) {
				// The pod is the destination: its named ports resolve (§2.9).
				p = p.Union(g.portSpecs[r.ports].portsFor(cl.namedPorts))
			}
		}
		return p
	}
	egCache := map[[2]int32]evaluator.PortSet{}
	for pi := range g.pods {
		cs := g.podClass[pi]
		if cs < 0 {
			continue
		}
		for n := range m.nets {
			k := [2]int32{cs, int32(n)}
			p, ok := egCache[k]
			if !ok {
				p = egressTo(cs, n)
				egCache[k] = p
			}
			if !p.Empty() {
				out[int32(pi)] = append(out[int32(pi)], netEdge{src: int32(pi), dst: -1 - int32(n), ports: p})
			}
			if in := ingressFrom(int32(pi), n); !in.Empty() {
				out[-1-int32(n)] = append(out[-1-int32(n)], netEdge{src: -1 - int32(n), dst: int32(pi), ports: in})
			}
		}
	}
	return out
}

// blockSet is the address set of an ipBlock: cidr minus every except.
func blockSet(b *model.IPBlock) *netipx.IPSet {
	var sb netipx.IPSetBuilder
	sb.AddPrefix(b.CIDR)
	for _, e := range b.Except {
		sb.RemovePrefix(e)
	}
	s, _ := sb.IPSet()
	return s
}
