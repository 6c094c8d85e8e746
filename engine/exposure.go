package engine

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

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

// WorkloadExposure is one workload's connectivity with a network.
type WorkloadExposure struct {
	// Workload is the workload id (ns/Kind/name; ns/Pod/name for a bare pod).
	Workload string
	// Pods is the number of the workload's pods that have the connectivity.
	Pods int
	// Ports is the union of the allowed ports over the network's addresses.
	Ports evaluator.PortSet
	// Ranges are the parts of the network with their allowed ports; All is true
	// when every address of the network is allowed the same Ports.
	Ranges []RangePorts
	All    bool
}

// RangePorts is an address range and the ports allowed with it.
type RangePorts struct {
	Range netipx.IPRange
	Ports evaluator.PortSet
}

// Exposures computes the exposure of every network of the catalogue (all of
// them when names is empty). Classes with the same rule list get the same
// answer, computed once for the whole address space from the ipBlocks'
// boundaries; a workload's answer is its classes' answers combined, plus, on
// the inbound side, the addresses of each pod's own node (§2.10).
func (g *Graph) Exposures(catalog []*model.Network, names ...string) []Exposure {
	effective := mostSpecific(catalog)
	x := g.newExternal()
	wls := g.workloadPods()
	// Each class's answers, once: classes with the same rule list share them.
	egress, ingress := make([][]run, len(g.classes)), make([][]run, len(g.classes))
	for c := range g.classes {
		egress[c], ingress[c] = x.egressRuns(int32(c)), x.ingressRuns(int32(c))
	}
	// The pieces of each pod's own node, for the pods whose ingress is not
	// open anyway.
	own := make([][]int, len(g.pods))
	for pi, c := range g.podClass {
		if c >= 0 && !x.isAll(ingress[c]) {
			own[pi] = x.ownPieces(g.pods[pi])
		}
	}
	var out []Exposure
	for i, n := range catalog {
		if len(names) > 0 && !slices.Contains(names, n.Name) {
			continue
		}
		set := effective[i].Ranges()
		e := Exposure{Network: n, Effective: set}
		e.Outbound = x.exposureSide(wls, set, egress, nil)
		e.Inbound = x.exposureSide(wls, set, ingress, own)
		out = append(out, e)
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
	podWL, ids := g.workloads()
	out := make([]workloadPods, len(ids))
	for i, id := range ids {
		out[i].id = id
	}
	for pi, wl := range podWL {
		if g.podClass[pi] >= 0 {
			out[wl].pods = append(out[wl].pods, int32(pi))
		}
	}
	out = slices.DeleteFunc(out, func(w workloadPods) bool { return len(w.pods) == 0 })
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// workloads numbers the workloads once: the workload of each pod (a bare pod
// is a workload of its own, ns/Pod/name) and each workload's id.
func (g *Graph) workloads() (podWorkload []int32, ids []string) {
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
	})
	return g.podWorkload, g.workloadIDs
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

// exposureSide computes, per workload, the ports allowed towards (outbound) or
// from (inbound) the addresses of a network. Every pod of a class is treated
// alike, except that traffic from a pod's own node is always admitted (§2.10):
// own gives each pod the pieces of its node's addresses (nil outbound).
func (x *external) exposureSide(wls []workloadPods, set []netipx.IPRange, runsOf [][]run, own [][]int) []WorkloadExposure {
	g := x.g
	var sb netipx.IPSetBuilder
	for _, r := range set {
		sb.AddRange(r)
	}
	inSet, _ := sb.IPSet()
	var out []WorkloadExposure
	var lists [][]run
	// Most workloads have the answer of one rule list, shared with others:
	// clip each list once.
	type summary struct {
		ranges []RangePorts
		ports  evaluator.PortSet
		all    bool
	}
	summaries := map[*run]summary{}
	summarize := func(runs []run, singles []int) summary {
		shared := len(singles) == 0 && len(runs) > 0
		if shared {
			if s, ok := summaries[&runs[0]]; ok {
				return s
			}
		}
		var s summary
		s.ranges = x.clip(runs, set)
		for _, r := range s.ranges {
			s.ports = s.ports.Union(r.Ports)
		}
		s.all = samePorts(s.ranges) && covers(s.ranges, set)
		if shared {
			summaries[&runs[0]] = s
		}
		return s
	}
	for _, wl := range wls {
		lists = lists[:0]
		var singles []int
		pods := 0
		lastClass := int32(-1)
		var classRuns []run
		classHas, classAll := false, false
		for _, pi := range wl.pods {
			c := g.podClass[pi]
			if c != lastClass {
				lastClass, classRuns = c, runsOf[c]
				if !slicesContainRuns(lists, classRuns) {
					lists = append(lists, classRuns)
				}
				classHas = len(classRuns) > 0 && len(summarize(classRuns, nil).ranges) > 0
				classAll = x.isAll(classRuns)
			}
			has := classHas
			if own != nil && !classAll {
				for _, piece := range own[pi] {
					if inSet.Contains(x.pieces[piece].From()) {
						singles = append(singles, piece)
						has = true
					}
				}
			}
			if has {
				pods++
			}
		}
		if pods == 0 {
			continue
		}
		sum := summarize(x.unionRuns(lists, singles), singles)
		out = append(out, WorkloadExposure{Workload: wl.id, Pods: pods, Ranges: sum.ranges, Ports: sum.ports, All: sum.all})
	}
	return out
}

// slicesContainRuns reports whether lists already holds the very same run list.
func slicesContainRuns(lists [][]run, r []run) bool {
	for _, l := range lists {
		if len(l) == len(r) && (len(l) == 0 || &l[0] == &r[0]) {
			return true
		}
	}
	return false
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

// namedSignature identifies a class's named ports, on which the named ports of
// its ingress rules resolve.
func namedSignature(cl *class) string {
	if len(cl.namedPorts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range cl.namedPorts {
		b.WriteString(p.Name)
		b.WriteByte('/')
		b.WriteString(string(p.Protocol))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(int(p.Port)))
		b.WriteByte(',')
	}
	return b.String()
}
