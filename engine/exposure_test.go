package engine

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go4.org/netipx"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
	"github.com/netreach/netreach/model/modeltest"
)

// TestExposuresEqualPerAddressAnswers checks every network's exposure, both
// directions, against pod-by-pod queries at one address of every piece of the
// address space that the network holds (pieces are uniform for every policy and
// every node-local admission, so one address answers for the piece): the
// ports per workload and address, the pod counts, and the All flag. Answers
// are computed only within the networks asked about, so the catalogue is
// asked whole (with a network over everything, and without) and in part,
// down to a network left with no address of its own.
func TestExposuresEqualPerAddressAnswers(t *testing.T) {
	wide := &model.Network{Name: "wide", Type: model.NetworkCustom, CIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}
	inner := &model.Network{Name: "inner", Type: model.NetworkPeering, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/23"), netip.MustParsePrefix("198.51.100.0/24")}}
	shadowed := &model.Network{Name: "shadowed", Type: model.NetworkCustom, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/23")}}
	for seed := uint64(0); seed < 80; seed++ {
		r, g := compiled(t, seed)
		builtin := r.Snapshot.Catalog()
		for _, tc := range []struct {
			catalog []*model.Network
			names   []string
		}{
			{catalog: append(slices.Clone(builtin), wide, inner)},
			{catalog: append(slices.Clone(builtin), inner)},
			{catalog: append(slices.Clone(builtin), inner), names: []string{"cloud-metadata", "inner"}},
			// A network whose addresses all belong to a more specific one: no
			// address is asked about.
			{catalog: append(slices.Clone(builtin), inner, shadowed), names: []string{"shadowed"}},
		} {
			checkExposures(t, seed, r, g, tc.catalog, tc.names)
		}
	}
}

// TestExposuresInSmallChunks drives the answer tables' chunking (answers
// spread over many chunks, answers with more ranges than a chunk holds) by
// making the chunks tiny.
func TestExposuresInSmallChunks(t *testing.T) {
	defer func(r int, a int32) { rangeChunk, answerChunk = r, a }(rangeChunk, answerChunk)
	rangeChunk, answerChunk = 3, 2
	for seed := uint64(0); seed < 20; seed++ {
		r, g := compiled(t, seed)
		checkExposures(t, seed, r, g, r.Snapshot.Catalog(), nil)
	}
}

// TestExposuresWithCollidingHashes drives the numbering of run lists and
// span lists when their keys' hashes collide (every key hashes alike), which
// keeps all but the first whole.
func TestExposuresWithCollidingHashes(t *testing.T) {
	defer func(h func(maphash.Seed, []byte) uint64) { internHash = h }(internHash)
	internHash = func(maphash.Seed, []byte) uint64 { return 7 }
	for seed := uint64(0); seed < 20; seed++ {
		r, g := compiled(t, seed)
		checkExposures(t, seed, r, g, r.Snapshot.Catalog(), nil)
	}
}

// TestHashInternNumbersEachItemOnce checks that an item keeps its number
// when its key's hash is shared, whether it came first or not.
func TestHashInternNumbersEachItemOnce(t *testing.T) {
	defer func(h func(maphash.Seed, []byte) uint64) { internHash = h }(internHash)
	for _, collide := range []bool{false, true} {
		internHash = maphash.Bytes
		if collide {
			internHash = func(maphash.Seed, []byte) uint64 { return 7 }
		}
		tab := newHashIntern(0)
		var items []string
		number := func(item string) int32 {
			id, h := tab.find([]byte(item), func(id int32) bool { return items[id] == item })
			if id < 0 {
				id = int32(len(items))
				items = append(items, item)
				tab.add([]byte(item), h, id)
			}
			return id
		}
		var got []int32
		for _, item := range []string{"a", "b", "c", "a", "c", "b", "d", "a"} {
			got = append(got, number(item))
		}
		if want := []int32{0, 1, 2, 0, 2, 1, 3, 0}; !slices.Equal(got, want) {
			t.Errorf("collide=%v: numbers %v, want %v", collide, got, want)
		}
	}
}

// checkExposures compares the exposures of the named networks of a catalogue
// (all when names is empty) with pod-by-pod queries.
func checkExposures(t *testing.T, seed uint64, r *modeltest.Random, g *Graph, catalog []*model.Network, names []string) {
	t.Helper()
	exps := g.Exposures(catalog, names...)
	want := len(catalog)
	if len(names) > 0 {
		want = len(names)
	}
	if len(exps) != want {
		t.Fatalf("seed %d: %d exposures for %d networks", seed, len(exps), want)
	}
	pieces := g.rawPieces()
	for _, e := range exps {
		var b netipx.IPSetBuilder
		for _, rg := range e.Effective {
			b.AddRange(rg)
		}
		set, _ := b.IPSet()
		// One address of every piece the network holds, and where a piece is
		// only partly in the network, an address of that part.
		var samples []netip.Addr
		for _, p := range pieces {
			for _, rg := range set.Ranges() {
				from, to := maxAddr(p.From(), rg.From()), minAddr(p.To(), rg.To())
				if from.BitLen() == to.BitLen() && !to.Less(from) {
					samples = append(samples, from, to)
				}
			}
		}
		// Queries read an IPv4-mapped IPv6 address as the IPv4 address
		// (IPEndpoint unmaps it); ipBlocks and networks keep the families
		// apart, so those samples ask a different question.
		kept := samples[:0]
		for _, a := range samples {
			if !a.Is4In6() {
				kept = append(kept, a)
			}
		}
		samples = kept
		for _, outbound := range []bool{true, false} {
			got := e.Inbound
			if outbound {
				got = e.Outbound
			}
			wantPorts := map[[2]string]evaluator.PortSet{}
			wantPods := map[string]map[string]bool{}
			for _, a := range samples {
				for _, p := range r.Snapshot.Pods {
					if p.Terminated() {
						continue
					}
					ep, _ := g.PodEndpoint(p)
					var ports evaluator.PortSet
					if outbound {
						ports = g.AllowedPorts(ep, g.IPEndpoint(a))
					} else {
						ports = g.AllowedPorts(g.IPEndpoint(a), ep)
					}
					if ports.Empty() {
						continue
					}
					k := [2]string{workloadID(p), a.String()}
					wantPorts[k] = wantPorts[k].Union(ports)
					if wantPods[workloadID(p)] == nil {
						wantPods[workloadID(p)] = map[string]bool{}
					}
					wantPods[workloadID(p)][p.ID()] = true
				}
			}
			gotPorts := map[[2]string]evaluator.PortSet{}
			gotPods := map[string]int{}
			for _, we := range got {
				gotPods[we.Workload] = we.Pods
				union := evaluator.PortSet{}
				ranges := we.Ranges()
				for i, rp := range ranges {
					if i > 0 && !ranges[i-1].Range.To().Less(rp.Range.From()) {
						t.Fatalf("seed %d %s: %s ranges overlap or are out of order: %v", seed, e.Network.Name, we.Workload, ranges)
					}
					if i > 0 && ranges[i-1].Range.To().Next() == rp.Range.From() && ranges[i-1].Ports.Equal(rp.Ports) {
						t.Fatalf("seed %d %s: %s touching ranges with the same ports are not merged: %v", seed, e.Network.Name, we.Workload, ranges)
					}
					if !set.ContainsRange(rp.Range) {
						t.Fatalf("seed %d %s: %s range %s is outside the network", seed, e.Network.Name, we.Workload, rp.Range)
					}
					union = union.Union(rp.Ports)
				}
				if !union.Equal(we.Ports()) {
					t.Fatalf("seed %d %s: %s ports %s, ranges say %s", seed, e.Network.Name, we.Workload, we.Ports(), union)
				}
				wantAll := len(ranges) > 0 && samePorts(ranges) && covers(ranges, set.Ranges())
				if we.All() != wantAll {
					t.Fatalf("seed %d %s: %s All=%v, want %v", seed, e.Network.Name, we.Workload, we.All(), wantAll)
				}
				for _, a := range samples {
					for _, rp := range ranges {
						if rp.Range.Contains(a) {
							gotPorts[[2]string{we.Workload, a.String()}] = rp.Ports
						}
					}
				}
			}
			wantCounts := map[string]int{}
			for w, pods := range wantPods {
				wantCounts[w] = len(pods)
			}
			portsEqual := cmp.Comparer(func(a, b evaluator.PortSet) bool { return a.Equal(b) })
			if diff := cmp.Diff(wantPorts, gotPorts, portsEqual); diff != "" {
				t.Fatalf("seed %d %s outbound=%v: ports per workload and address (-pair queries +exposure):\n%s\n%s", seed, e.Network.Name, outbound, diff, r.Manifests)
			}
			if diff := cmp.Diff(wantCounts, gotPods); diff != "" {
				t.Fatalf("seed %d %s outbound=%v: pod counts (-pair queries +exposure):\n%s", seed, e.Network.Name, outbound, diff)
			}
		}
	}
}

// TestExposuresNamedPortsPerDestination drives the answers shared by
// destinations with the same named container ports (§2.9): classes with the
// same ingress rules and named ports share one answer, a port spec met again
// in another rule list is resolved once per named-port set, and a pod whose
// named port has another number gets its own answer.
func TestExposuresNamedPortsPerDestination(t *testing.T) {
	pod := func(name, team string, port int) string {
		return "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: x, labels: {role: a, team: " + team + "}}\n" +
			"spec: {containers: [{name: c, ports: [{name: web, containerPort: " + strconv.Itoa(port) + ", protocol: TCP}]}]}\n" +
			"status: {phase: Running, podIP: 10.0.0." + strconv.Itoa(len(name)+int(name[len(name)-1])) + "}\n"
	}
	manifests := "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n" +
		pod("a1", "t1", 8080) + pod("a2", "t2", 8080) + pod("b1", "t5", 8080) + pod("b2", "t6", 8080) + pod("c1", "t6", 9090) +
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: x}\n" +
		"spec: {podSelector: {matchLabels: {role: a}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: web}]}]}\n" +
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: t2, namespace: x}\n" +
		"spec: {podSelector: {matchLabels: {team: t2}}, ingress: [{from: [{ipBlock: {cidr: 8.8.8.0/24}}], ports: [{port: web}, {port: 9000}]}]}\n"
	g := graphOf(t, evaluator.DefaultOptions(), manifests)
	s := g.snap
	checkExposures(t, 0, &modeltest.Random{Snapshot: s, Manifests: manifests}, g, s.Catalog(), nil)
	got := map[string]string{}
	for _, e := range g.Exposures(s.Catalog(), "internet") {
		for _, w := range e.Inbound {
			got[w.Workload] = w.Ports().String()
		}
	}
	want := map[string]string{
		"x/Pod/a1": "TCP 8080", "x/Pod/a2": "TCP 8080,9000", "x/Pod/b1": "TCP 8080", "x/Pod/b2": "TCP 8080", "x/Pod/c1": "TCP 9090",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inbound ports from the internet (-want +got):\n%s", diff)
	}
}
