package benchmarks

import (
	"testing"

	"github.com/netreach/netreach/benchmarks/gen"
	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// BenchmarkAudit runs every audit rule on a compiled snapshot of each shape
// (compile excluded). The rules on networks use the exposure query, so this
// includes BenchmarkExposure's work.
func BenchmarkAudit(b *testing.B) {
	for _, s := range benchShapes(b, "T2,A4") {
		b.Run(s.Name, func(b *testing.B) {
			snap, g := compiledShape(b, s.Name)
			var a *engine.Audit
			b.ResetTimer()
			for b.Loop() {
				a = g.Audit(snap.Catalog(), engine.AuditOptions{})
			}
			b.ReportMetric(float64(len(a.Findings)), "findings")
		})
	}
}

// compiledShape loads a shape (once per process) and compiles it.
func compiledShape(b *testing.B, name string) (*model.Snapshot, *engine.Graph) {
	s, ok := gen.ShapeByName(name)
	if !ok {
		b.Fatalf("no shape %s", name)
	}
	snap := snapshotOf(b, s)
	g, err := engine.Compile(snap, evaluator.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return snap, g
}
