package benchmarks

import (
	"testing"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
)

// BenchmarkAudit runs every audit rule on a compiled snapshot of each shape
// (compile excluded). The rules on networks use the exposure query, so this
// includes BenchmarkExposure's work.
func BenchmarkAudit(b *testing.B) {
	for _, s := range benchShapes(b, "T2,A4") {
		b.Run(s.Name, func(b *testing.B) {
			snap := snapshotOf(b, s)
			g, err := engine.Compile(snap, evaluator.DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			catalog := snap.Catalog()
			var a *engine.Audit
			b.ResetTimer()
			for b.Loop() {
				a = g.Audit(catalog, engine.AuditOptions{})
			}
			b.ReportMetric(float64(len(a.Findings)), "findings")
		})
	}
}
