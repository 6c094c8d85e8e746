package engine

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
	"github.com/netreach/netreach/model/modeltest"
)

// TestMatrixMatchesPairQueries checks the streamed matrix at every level against
// AllowedPorts on every pod pair (which the agreement test ties to the
// evaluator): pod edges exactly, workload and namespace edges as unions.
func TestMatrixMatchesPairQueries(t *testing.T) {
	defer func(n int) { longRuleList = n }(longRuleList)
	for _, long := range []int{64, 0} {
		longRuleList = long // 0: every destination answers from its ingress table
		checkMatrix(t)
	}
}

func checkMatrix(t *testing.T) {
	for seed := uint64(0); seed < 150; seed++ {
		r, g := compiled(t, seed)
		for _, level := range []Level{LevelPod, LevelWorkload, LevelNamespace} {
			m := g.Matrix(level, nil)
			got := map[[2]string]evaluator.PortSet{}
			prev := [2]string{}
			if err := m.Edges(func(e Edge) error {
				k := [2]string{e.Src, e.Dst}
				if k[0] < prev[0] || k[0] == prev[0] && k[1] <= prev[1] {
					t.Fatalf("seed %d %s: edges out of order: %v after %v", seed, level, k, prev)
				}
				prev = k
				if e.Ports.Empty() {
					t.Fatalf("seed %d %s: empty edge %v", seed, level, k)
				}
				got[k] = e.Ports
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := map[[2]string]evaluator.PortSet{}
			id := func(p *model.Pod) string {
				switch level {
				case LevelWorkload:
					if p.Workload != nil {
						return p.Workload.ID()
					}
					return p.Namespace + "/Pod/" + p.Name
				case LevelNamespace:
					return p.Namespace
				}
				return p.ID()
			}
			for _, a := range r.Snapshot.Pods {
				for _, b := range r.Snapshot.Pods {
					if a == b || a.Terminated() || b.Terminated() || id(a) == id(b) {
						continue
					}
					ea, _ := g.PodEndpoint(a)
					eb, _ := g.PodEndpoint(b)
					p := g.AllowedPorts(ea, eb)
					if p.Empty() {
						continue
					}
					k := [2]string{id(a), id(b)}
					if cur, ok := want[k]; ok {
						p = cur.Union(p)
					}
					want[k] = p
				}
			}
			if len(got) != len(want) {
				t.Fatalf("seed %d %s: %d edges, want %d\n%s", seed, level, len(got), len(want), r.Manifests)
			}
			for k, w := range want {
				if !got[k].Equal(w) {
					t.Fatalf("seed %d %s: edge %v has %s, want %s\n%s", seed, level, k, got[k], w, r.Manifests)
				}
			}
		}
	}
}

// TestNetworkEdgesMatchAddressQueries checks edges to and from single-address
// networks against AllowedPorts for that address.
func TestNetworkEdgesMatchAddressQueries(t *testing.T) {
	for seed := uint64(0); seed < 150; seed++ {
		r, g := compiled(t, seed)
		var nets []*model.Network
		for i, a := range r.External {
			ip := netip.MustParseAddr(a)
			nets = append(nets, &model.Network{Name: fmt.Sprintf("n%d", i), Type: model.NetworkCustom,
				CIDRs: []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}})
		}
		got := edgesTouching(t, g.Matrix(LevelPod, nets), "net:")
		for _, p := range r.Snapshot.Pods {
			if p.Terminated() {
				continue
			}
			ep, _ := g.PodEndpoint(p)
			for i, n := range nets {
				ip := g.IPEndpoint(netip.MustParseAddr(r.External[i]))
				out, in := g.AllowedPorts(ep, ip), g.AllowedPorts(ip, ep)
				if k := [2]string{p.ID(), n.ID()}; !got[k].Equal(out) {
					t.Fatalf("seed %d: %v has %s, want %s\n%s", seed, k, got[k], out, r.Manifests)
				}
				if k := [2]string{n.ID(), p.ID()}; !got[k].Equal(in) {
					t.Fatalf("seed %d: %v has %s, want %s\n%s", seed, k, got[k], in, r.Manifests)
				}
			}
		}
	}
}

func TestStatsMatchPairCounts(t *testing.T) {
	for seed := uint64(0); seed < 150; seed++ {
		r, err := modeltest.Generate(seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []evaluator.Options{evaluator.DefaultOptions(), {Enforcement: evaluator.EnforcementNone}} {
			g, err := Compile(r.Snapshot, opts)
			if err != nil {
				t.Fatal(err)
			}
			var pairs int64
			var isoIn, isoEg int
			for _, a := range r.Snapshot.Pods {
				if a.Terminated() {
					continue
				}
				ea, _ := g.PodEndpoint(a)
				for _, b := range r.Snapshot.Pods {
					if a == b || b.Terminated() {
						continue
					}
					eb, _ := g.PodEndpoint(b)
					if !g.AllowedPorts(ea, eb).Empty() {
						pairs++
					}
				}
				cl := g.classes[g.podClass[g.podIndex[a]]]
				if cl.isolatedIn && !cl.hostNetwork {
					isoIn++
				}
				if cl.isolatedEg && !cl.hostNetwork {
					isoEg++
				}
			}
			st := g.Stats()
			if st.ReachablePairs != pairs || st.IsolatedIngress != isoIn || st.IsolatedEgress != isoEg {
				t.Fatalf("seed %d (%s): stats %+v, want pairs %d, isolated %d/%d\n%s", seed, opts.Enforcement, st, pairs, isoIn, isoEg, r.Manifests)
			}
		}
	}
}

// TestIPRanges checks that the ranges tile both address spaces, that every
// address of a range is treated alike (its first and last address give the same
// answers), and that range edges equal the answers for those addresses.
func TestIPRanges(t *testing.T) {
	for seed := uint64(0); seed < 60; seed++ {
		r, g := compiled(t, seed)
		ranges := g.IPRanges()
		next := netip.IPv4Unspecified()
		for i, rg := range ranges {
			if rg.Range.From() != next {
				t.Fatalf("seed %d: range %d starts at %s, want %s", seed, i, rg.Range.From(), next)
			}
			next = rg.Range.To().Next()
			if rg.Range.To() == netip.MustParseAddr("255.255.255.255") {
				next = netip.IPv6Unspecified()
			}
		}
		if next.IsValid() {
			t.Fatalf("seed %d: ranges end before the end of IPv6 (next %s)", seed, next)
		}
		got := edgesTouching(t, g.Matrix(LevelPod, nil).WithIPRanges(), "ip:")
		for _, p := range r.Snapshot.Pods {
			if p.Terminated() {
				continue
			}
			ep, _ := g.PodEndpoint(p)
			for _, rg := range ranges {
				first, last := g.IPEndpoint(rg.Range.From()), g.IPEndpoint(rg.Range.To())
				out, in := g.AllowedPorts(ep, first), g.AllowedPorts(first, ep)
				if !out.Equal(g.AllowedPorts(ep, last)) || !in.Equal(g.AllowedPorts(last, ep)) {
					t.Fatalf("seed %d: %s is not uniform for %s", seed, rg.ID(), p.ID())
				}
				if k := [2]string{p.ID(), rg.ID()}; !got[k].Equal(out) {
					t.Fatalf("seed %d: %v has %s, want %s", seed, k, got[k], out)
				}
				if k := [2]string{rg.ID(), p.ID()}; !got[k].Equal(in) {
					t.Fatalf("seed %d: %v has %s, want %s", seed, k, got[k], in)
				}
			}
		}
	}
}

// TestExposuresMatchAddressQueries checks exposure against per-address queries
// on networks of a few single addresses and ranges, and that an address belongs
// to the most specific network.
func TestExposuresMatchAddressQueries(t *testing.T) {
	for seed := uint64(0); seed < 60; seed++ {
		r, g := compiled(t, seed)
		catalog := []*model.Network{
			{Name: "wide", Type: model.NetworkCustom, CIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}},
			{Name: "inner", Type: model.NetworkCustom, CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("169.254.169.254/32")}},
		}
		exps := g.Exposures(catalog)
		if len(exps) != 2 {
			t.Fatalf("%d exposures", len(exps))
		}
		// 203.0.113.5 belongs to inner, 10.9.0.1 to wide.
		for _, tc := range []struct {
			exp  Exposure
			addr string
		}{{exps[1], "203.0.113.5"}, {exps[0], "10.9.0.1"}} {
			ip := netip.MustParseAddr(tc.addr)
			out := map[string]evaluator.PortSet{}
			for _, p := range r.Snapshot.Pods {
				if p.Terminated() {
					continue
				}
				ep, _ := g.PodEndpoint(p)
				if ports := g.AllowedPorts(ep, g.IPEndpoint(ip)); !ports.Empty() {
					out[workloadID(p)] = out[workloadID(p)].Union(ports)
				}
			}
			got := map[string]evaluator.PortSet{}
			for _, we := range tc.exp.Outbound {
				ranges := we.Ranges()
				for i := 1; i < len(ranges); i++ {
					if !ranges[i-1].Range.To().Less(ranges[i].Range.From()) {
						t.Fatalf("seed %d: %s ranges overlap or are out of order: %v", seed, we.Workload, ranges)
					}
				}
				for _, rp := range ranges {
					if rp.Range.Contains(ip) {
						got[we.Workload] = rp.Ports
					}
				}
			}
			if len(got) != len(out) {
				t.Fatalf("seed %d %s %s: %d workloads, want %d", seed, tc.exp.Network.Name, tc.addr, len(got), len(out))
			}
			for w, p := range out {
				if !got[w].Equal(p) {
					t.Fatalf("seed %d %s %s: %s has %s, want %s", seed, tc.exp.Network.Name, tc.addr, w, got[w], p)
				}
			}
		}
		for _, rg := range exps[0].Effective {
			if rg.Contains(netip.MustParseAddr("203.0.113.5")) {
				t.Fatalf("203.0.113.5 must belong to the more specific network")
			}
		}
	}
}

// edgesTouching collects the edges of a matrix with an end whose id starts with prefix.
func edgesTouching(t *testing.T, m *Matrix, prefix string) map[[2]string]evaluator.PortSet {
	t.Helper()
	got := map[[2]string]evaluator.PortSet{}
	if err := m.Edges(func(e Edge) error {
		if strings.HasPrefix(e.Src, prefix) || strings.HasPrefix(e.Dst, prefix) {
			got[[2]string{e.Src, e.Dst}] = e.Ports
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
