package engine

import (
	"flag"
	"net/netip"
	"testing"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model/modeltest"
)

var seeds = flag.Int("seeds", 300, "number of generated snapshots the agreement test checks")

// TestEngineAgreesWithEvaluator is the engine's proof of correctness: on
// generated snapshots it must give the evaluator's answer for every ordered pair
// of endpoints (pods and external addresses), both as a port set and for every
// probe port of every protocol, under both ipBlock modes.
func TestEngineAgreesWithEvaluator(t *testing.T) {
	for seed := uint64(0); seed < uint64(*seeds); seed++ {
		checkAgreement(t, seed, seed%3 == 2)
	}
}

// TestEngineAgreesInEveryRepresentation repeats the agreement check with every
// selector peer kept lazy and every member list stored as a bitmap, forms that
// the small generated snapshots would otherwise never reach.
func TestEngineAgreesInEveryRepresentation(t *testing.T) {
	defer func(l, b int) { lazyNamespaces, bitmapMinUniverse = l, b }(lazyNamespaces, bitmapMinUniverse)
	lazyNamespaces, bitmapMinUniverse = 0, 0
	for seed := uint64(1000); seed < 1100; seed++ {
		checkAgreement(t, seed, seed%3 == 2)
	}
}

// FuzzEngineAgreesWithEvaluator runs the same check on seeds chosen by the fuzzer.
func FuzzEngineAgreesWithEvaluator(f *testing.F) {
	f.Add(uint64(1), false)
	f.Add(uint64(2), true)
	f.Fuzz(func(t *testing.T, seed uint64, ignore bool) {
		checkAgreement(t, seed, ignore)
	})
}

func checkAgreement(t *testing.T, seed uint64, ignore bool) {
	t.Helper()
	r, err := modeltest.Generate(seed)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	opts := evaluator.DefaultOptions()
	if ignore {
		opts.IPBlockPods = evaluator.IPBlockPodsIgnore
	}
	g, err := Compile(r.Snapshot, opts)
	if err != nil {
		t.Fatalf("seed %d: compile: %v", seed, err)
	}
	var eps []evaluator.Endpoint
	for _, p := range r.Snapshot.Pods {
		eps = append(eps, evaluator.PodEndpoint(p))
	}
	for _, a := range r.External {
		eps = append(eps, evaluator.IPEndpoint(netip.MustParseAddr(a)))
	}
	for _, src := range eps {
		for _, dst := range eps {
			if src.Pod == nil && dst.Pod == nil {
				continue
			}
			gs, _ := g.FromEvaluator(src)
			gd, _ := g.FromEvaluator(dst)
			want := evaluator.Evaluate(r.Snapshot, opts, src, dst, evaluator.Query{})
			got := g.AllowedPorts(gs, gd)
			if !got.Equal(want.Ports) {
				t.Fatalf("seed %d (ipblock-pods=%s) %s → %s: engine allows %s, evaluator %s\nmanifests:\n%s",
					seed, opts.IPBlockPods, src, dst, got, want.Ports, r.Manifests)
			}
			for _, proto := range evaluator.Protocols {
				for _, port := range r.Ports {
					if g.CanReach(gs, gd, proto, port) != want.Ports.Contains(proto, port) {
						t.Fatalf("seed %d (ipblock-pods=%s) %s → %s %s/%d: engine says %v, evaluator %v\nmanifests:\n%s",
							seed, opts.IPBlockPods, src, dst, proto, port, !want.Ports.Contains(proto, port), want.Ports.Contains(proto, port), r.Manifests)
					}
				}
			}
		}
	}
}

// compiled generates the snapshot of a seed and compiles it with the default
// options.
func compiled(t *testing.T, seed uint64) (*modeltest.Random, *Graph) {
	t.Helper()
	r, err := modeltest.Generate(seed)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Compile(r.Snapshot, evaluator.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return r, g
}
