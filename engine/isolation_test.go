package engine

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model/modeltest"
)

// TestIsolationMatchesEvaluator checks Matrix.Isolation at every level against
// the evaluator's verdicts: a pod counts as restricted for egress when the
// evaluator's egress side of a connection from it to an outside address is
// policed and isolated, and the rules that allow it without naming peers do
// not cover every port of every protocol; likewise for ingress from that
// address.
func TestIsolationMatchesEvaluator(t *testing.T) {
	outside := evaluator.Endpoint{IP: netip.MustParseAddr("203.0.113.1")}
	for seed := uint64(0); seed < 60; seed++ {
		r, err := modeltest.Generate(seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []evaluator.Options{evaluator.DefaultOptions(), {Enforcement: evaluator.EnforcementNone}} {
			g, err := Compile(r.Snapshot, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, level := range []Level{LevelPod, LevelWorkload, LevelNamespace} {
				m := g.Matrix(level, r.Snapshot.Catalog())
				want := make([]NodeIsolation, len(m.Nodes))
				index := map[string]int{}
				for i, n := range m.Nodes {
					index[n.ID] = i
				}
				for _, p := range r.Snapshot.Pods {
					if p.Terminated() {
						continue
					}
					id := p.ID()
					switch {
					case level == LevelNamespace:
						id = p.Namespace
					case level == LevelWorkload && p.Workload != nil:
						id = p.Workload.ID()
					case level == LevelWorkload:
						id = p.Namespace + "/Pod/" + p.Name
					}
					n := &want[index[id]]
					n.Pods++
					pe := evaluator.PodEndpoint(p)
					enforced := g.Enforced()
					if eg := evaluator.Evaluate(r.Snapshot, opts, pe, outside, evaluator.Query{}).Egress; enforced && eg.Policed && eg.Isolated && !admitsAll(eg, true) {
						n.Egress++
					}
					if in := evaluator.Evaluate(r.Snapshot, opts, outside, pe, evaluator.Query{}).Ingress; enforced && in.Policed && in.Isolated && !admitsAll(in, false) {
						n.Ingress++
					}
				}
				if diff := cmp.Diff(want, m.Isolation()); diff != "" {
					t.Fatalf("seed %d, %s, level %s: isolation differs from the evaluator (-want +got):\n%s\n%s", seed, opts.Enforcement, level, diff, r.Manifests)
				}
			}
		}
	}
}

// admitsAll reports whether the allowing rules of a verdict side that have no
// peers (they match every source or destination) together cover every port of
// every protocol.
func admitsAll(s evaluator.Side, egress bool) bool {
	ports := evaluator.PortSet{}
	for _, m := range s.Allowing {
		r := m.Policy.Ingress
		if egress {
			r = m.Policy.Egress
		}
		if m.Peer >= 0 || len(r[m.Rule].Peers) > 0 {
			continue
		}
		ports = ports.Union(newPortSpec(r[m.Rule].Ports).numeric)
	}
	return ports.Equal(evaluator.AllPorts(evaluator.Protocols...))
}
