package evaluator

import (
	"net/netip"
	"testing"

	"github.com/netreach/netreach/model/modeltest"
)

// FuzzEvaluate evaluates every pair of endpoints of generated snapshots and
// checks that the evaluator never panics and agrees with itself: the verdict for
// one port equals membership of that port in the port-less verdict's set, the
// allowed set is the intersection of both sides, and a side that is not
// isolated allows everything.
func FuzzEvaluate(f *testing.F) {
	for seed := uint64(0); seed < 8; seed++ {
		f.Add(seed, false)
	}
	f.Add(uint64(99), true)
	f.Fuzz(func(t *testing.T, seed uint64, ignore bool) {
		r, err := modeltest.Generate(seed)
		if err != nil {
			t.Fatal(err)
		}
		opts := DefaultOptions()
		if ignore {
			opts.IPBlockPods = IPBlockPodsIgnore
		}
		var eps []Endpoint
		for _, p := range r.Snapshot.Pods {
			eps = append(eps, PodEndpoint(p))
		}
		for _, a := range r.External {
			eps = append(eps, IPEndpoint(netip.MustParseAddr(a)))
		}
		for _, src := range eps {
			for _, dst := range eps {
				if src.Pod == nil && dst.Pod == nil {
					continue
				}
				all := Evaluate(r.Snapshot, opts, src, dst, Query{})
				if all.Allowed == all.Ports.Empty() {
					t.Fatalf("seed %d %s→%s: Allowed=%v but ports %s", seed, src, dst, all.Allowed, all.Ports)
				}
				if enforced, _ := ResolveEnforcement(r.Snapshot, opts); enforced && !all.Ports.Equal(all.Egress.Ports.Intersect(all.Ingress.Ports)) {
					t.Fatalf("seed %d %s→%s: ports %s are not egress %s ∩ ingress %s", seed, src, dst, all.Ports, all.Egress.Ports, all.Ingress.Ports)
				}
				for _, side := range []Side{all.Egress, all.Ingress} {
					if side.Policed && !side.Isolated && !side.Ports.Equal(AllPorts(Protocols...)) {
						t.Fatalf("seed %d %s→%s: %s side not isolated but allows only %s", seed, src, dst, side.Direction, side.Ports)
					}
				}
				for _, proto := range Protocols {
					for _, port := range r.Ports {
						one := Evaluate(r.Snapshot, opts, src, dst, Query{Protocol: proto, Port: port})
						if one.Allowed != all.Ports.Contains(proto, port) {
							t.Fatalf("seed %d %s→%s %s/%d: single-port verdict %v, but the port set is %s\n%s",
								seed, src, dst, proto, port, one.Allowed, all.Ports, r.Manifests)
						}
					}
				}
			}
		}
	})
}

// FuzzResolveTarget feeds arbitrary endpoint ids to the command-line endpoint
// parser: no panic, and either an error or endpoints.
func FuzzResolveTarget(f *testing.F) {
	for _, id := range []string{"shop/web", "shop/deploy/future", "10.244.0.20", "2001:db8::1", "net:internet", "net:", "a/b/c/d", "", "/", "x//"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s := load(t, cluster)
		target, err := ResolveTarget(s, id)
		if err != nil {
			return
		}
		if target.ID == "" {
			t.Fatalf("%q resolved to a target without an id", id)
		}
	})
}
