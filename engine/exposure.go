package engine

import (
	"fmt"
	"net/netip"
	"sort"
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
// them when names is empty).
func (g *Graph) Exposures(catalog []*model.Network, names ...string) []Exposure {
	effective := mostSpecific(catalog)
	pieces := g.rawPieces()
	var out []Exposure
	for i, n := range catalog {
		if len(names) > 0 && !contains(names, n.Name) {
			continue
		}
		e := Exposure{Network: n, Effective: effective[i].Ranges()}
		parts := intersectRanges(pieces, effective[i])
		e.Outbound = g.exposureSide(parts, true)
		e.Inbound = g.exposureSide(parts, false)
		out = append(out, e)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mostSpecific gives each network the addresses for which it holds the longest
// containing prefix of the catalogue (ties go to the network listed first).
func mostSpecific(catalog []*model.Network) []*netipx.IPSet {
	type entry struct {
		p   netip.Prefix
		net int
	}
	var all []entry
	for i, n := range catalog {
		for _, p := range n.CIDRs {
			all = append(all, entry{p.Masked(), i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].p.Bits() > all[j].p.Bits() })
	var claimed netipx.IPSetBuilder
	builders := make([]netipx.IPSetBuilder, len(catalog))
	for _, e := range all {
		var b netipx.IPSetBuilder
		b.AddPrefix(e.p)
		c, _ := claimed.IPSet()
		b.RemoveSet(c)
		s, _ := b.IPSet()
		builders[e.net].AddSet(s)
		claimed.AddPrefix(e.p)
	}
	out := make([]*netipx.IPSet, len(catalog))
	for i := range builders {
		out[i], _ = builders[i].IPSet()
	}
	return out
}

// intersectRanges cuts the uniform pieces of the address space down to a set.
func intersectRanges(pieces []netipx.IPRange, set *netipx.IPSet) []netipx.IPRange {
	var out []netipx.IPRange
	for _, r := range set.Ranges() {
		for _, p := range pieces {
			from, to := maxAddr(r.From(), p.From()), minAddr(r.To(), p.To())
			if from.BitLen() == to.BitLen() && !to.Less(from) {
				out = append(out, netipx.IPRangeFrom(from, to))
			}
		}
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
// from (inbound) each part of a network. Parts are uniform for every policy, so
// one address answers for each, and every pod of a class is treated alike,
// except that traffic from a pod's own node is always allowed in (§2.10); node
// addresses are parts of their own, answered pod by pod.
func (g *Graph) exposureSide(parts []netipx.IPRange, outbound bool) []WorkloadExposure {
	type acc struct {
		pods   map[int32]bool
		ports  evaluator.PortSet
		ranges []RangePorts
	}
	nodeIPs := map[netip.Addr]bool{}
	for _, n := range g.snap.Nodes {
		for _, a := range n.IPs() {
			nodeIPs[a] = true
		}
	}
	byWorkload := map[string]*acc{}
	add := func(pi int32, part netipx.IPRange, ports evaluator.PortSet) {
		id := workloadID(g.pods[pi])
		a := byWorkload[id]
		if a == nil {
			a = &acc{pods: map[int32]bool{}}
			byWorkload[id] = a
		}
		a.pods[pi] = true
		a.ports = a.ports.Union(ports)
		if n := len(a.ranges); n > 0 && a.ranges[n-1].Range == part {
			a.ranges[n-1].Ports = a.ranges[n-1].Ports.Union(ports)
			return
		}
		a.ranges = append(a.ranges, RangePorts{Range: part, Ports: ports})
	}
	// Classes with the same rule list (and, inbound, the same named ports) get
	// the same answers: compute them once per group.
	type groupKey struct {
		open  bool
		rules *ruleRef
		n     int
		named string
	}
	cache := map[groupKey][]evaluator.PortSet{}
	for c := range g.classes {
		cl := &g.classes[c]
		rep := Endpoint{pod: g.podIndex[cl.rep]}
		var key groupKey
		if outbound {
			key = groupKey{open: cl.hostNetwork || !cl.isolatedEg, n: len(cl.egRules)}
			if !key.open && key.n > 0 {
				key.rules = &cl.egRules[0]
			}
		} else {
			key = groupKey{open: cl.hostNetwork || !cl.isolatedIn, n: len(cl.inRules), named: namedSignature(cl)}
			if !key.open && key.n > 0 {
				key.rules = &cl.inRules[0]
			}
		}
		answers, ok := cache[key]
		if !ok {
			answers = make([]evaluator.PortSet, len(parts))
			for i, part := range parts {
				ip := g.IPEndpoint(part.From())
				if outbound {
					answers[i] = g.AllowedPorts(rep, ip)
				} else if !nodeIPs[part.From()] {
					answers[i] = g.AllowedPorts(ip, rep)
				}
			}
			cache[key] = answers
		}
		for i, part := range parts {
			if !outbound && nodeIPs[part.From()] {
				for _, pi := range cl.pods {
					if ports := g.AllowedPorts(g.IPEndpoint(part.From()), Endpoint{pod: pi}); !ports.Empty() {
						add(pi, part, ports)
					}
				}
				continue
			}
			if answers[i].Empty() {
				continue
			}
			for _, pi := range cl.pods {
				add(pi, part, answers[i])
			}
		}
	}
	var out []WorkloadExposure
	for id, a := range byWorkload {
		we := WorkloadExposure{Workload: id, Pods: len(a.pods), Ports: a.ports, Ranges: mergeRangePorts(a.ranges)}
		we.All = coversParts(we.Ranges, parts) && samePorts(we.Ranges)
		out = append(out, we)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Workload < out[j].Workload })
	return out
}

func workloadID(p *model.Pod) string {
	if p.Workload != nil {
		return p.Workload.ID()
	}
	return p.Namespace + "/Pod/" + p.Name
}

// mergeRangePorts unions the ports of repeated ranges (pods of several classes
// of one workload), sorts them, and merges adjacent ranges with equal ports.
// Ranges are parts of one partition: identical or disjoint, never overlapping.
func mergeRangePorts(rs []RangePorts) []RangePorts {
	byRange := map[netipx.IPRange]evaluator.PortSet{}
	var order []netipx.IPRange
	for _, r := range rs {
		if _, ok := byRange[r.Range]; !ok {
			order = append(order, r.Range)
		}
		byRange[r.Range] = byRange[r.Range].Union(r.Ports)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].From().Less(order[j].From()) })
	var out []RangePorts
	for _, rg := range order {
		ports := byRange[rg]
		if n := len(out); n > 0 && out[n-1].Range.To().Next() == rg.From() && out[n-1].Ports.Equal(ports) {
			out[n-1].Range = netipx.IPRangeFrom(out[n-1].Range.From(), rg.To())
			continue
		}
		out = append(out, RangePorts{Range: rg, Ports: ports})
	}
	return out
}

// coversParts reports whether the ranges cover every part.
func coversParts(rs []RangePorts, parts []netipx.IPRange) bool {
	var b netipx.IPSetBuilder
	for _, r := range rs {
		b.AddRange(r.Range)
	}
	set, _ := b.IPSet()
	for _, p := range parts {
		if !set.ContainsRange(p) {
			return false
		}
	}
	return true
}

func samePorts(rs []RangePorts) bool {
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
	var b strings.Builder
	for _, p := range cl.namedPorts {
		fmt.Fprintf(&b, "%s/%s/%d,", p.Name, p.Protocol, p.Port)
	}
	return b.String()
}
