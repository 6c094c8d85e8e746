package benchmarks

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/netreach/netreach/benchmarks/gen"
	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// benchShapes returns the shapes named by NETREACH_BENCH_SHAPES (comma
// separated), or def. T6 (1M pods) runs only when named there.
func benchShapes(tb testing.TB, def string) []gen.Shape {
	names := os.Getenv("NETREACH_BENCH_SHAPES")
	if names == "" {
		names = def
	}
	var out []gen.Shape
	for _, n := range strings.Split(names, ",") {
		s, ok := gen.ShapeByName(strings.TrimSpace(n))
		if !ok {
			tb.Fatalf("NETREACH_BENCH_SHAPES: unknown shape %q (go run ./benchmarks/cmd/gencluster -list shows them)", n)
		}
		out = append(out, s)
	}
	return out
}

var (
	snapMu    sync.Mutex
	snapCache = map[string]*model.Snapshot{}
)

// snapshotOf generates a shape and loads it, once per process.
func snapshotOf(tb testing.TB, s gen.Shape) *model.Snapshot {
	snapMu.Lock()
	defer snapMu.Unlock()
	if snap, ok := snapCache[s.Name]; ok {
		return snap
	}
	c := gen.Generate(s, 1)
	var buf bytes.Buffer
	if err := gen.Write(&buf, c, gen.FormatJSON, gen.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	snap, err := model.Load([]string{"c.json"}, model.LoadOptions{FS: fstest.MapFS{"c.json": {Data: buf.Bytes()}}})
	if err != nil {
		tb.Fatal(err)
	}
	snapCache[s.Name] = snap
	return snap
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCompile compiles snapshots of each shape (from typed objects: the
// snapshot is loaded before the timer starts) and reports the graph's size and
// the heap it retains.
func BenchmarkCompile(b *testing.B) {
	for _, s := range benchShapes(b, "T2,A1,A2,A3,A4,A5,A6,T4a,T4b,T4c,T5") {
		b.Run(s.Name, func(b *testing.B) {
			snap := snapshotOf(b, s)
			before := heapInUse()
			var g *engine.Graph
			b.ResetTimer()
			for b.Loop() {
				var err error
				g, err = engine.Compile(snap, evaluator.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			retained := heapInUse() - before
			b.ReportMetric(float64(g.Classes()), "classes")
			b.ReportMetric(float64(g.PeerSets()), "peersets")
			b.ReportMetric(float64(retained)/1e6, "retained-MB")
			b.ReportMetric(float64(len(snap.Pods)), "pods")
			runtime.KeepAlive(g)
		})
	}
}

// BenchmarkCanReach measures one can-reach query on a compiled graph between
// random pods, on random ports, and reports the p50 and p99 latency.
func BenchmarkCanReach(b *testing.B) {
	for _, s := range benchShapes(b, "T2,T5") {
		b.Run(s.Name, func(b *testing.B) {
			snap := snapshotOf(b, s)
			g, err := engine.Compile(snap, evaluator.DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			const n = 4096
			src, dst := make([]engine.Endpoint, n), make([]engine.Endpoint, n)
			ports := make([]int32, n)
			for i := range n {
				src[i], _ = g.PodEndpoint(snap.Pods[r.IntN(len(snap.Pods))])
				dst[i], _ = g.PodEndpoint(snap.Pods[r.IntN(len(snap.Pods))])
				ports[i] = []int32{53, 80, 443, 5432, 8080, 9090}[r.IntN(6)]
			}
			lat := make([]time.Duration, 0, 1<<16)
			allowed := 0
			i := 0
			b.ResetTimer()
			for b.Loop() {
				k := i % n
				i++
				if len(lat) < cap(lat) && i%16 == 0 {
					t0 := time.Now()
					if g.CanReach(src[k], dst[k], "TCP", ports[k]) {
						allowed++
					}
					lat = append(lat, time.Since(t0))
					continue
				}
				if g.CanReach(src[k], dst[k], "TCP", ports[k]) {
					allowed++
				}
			}
			b.StopTimer()
			if len(lat) > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
			_ = allowed
		})
	}
}

// BenchmarkStats computes the whole-cluster aggregates (reachable pod pairs,
// isolation counts) after compile.
func BenchmarkStats(b *testing.B) {
	// T4c and T5 take minutes (see RESULTS.md); name them in NETREACH_BENCH_SHAPES.
	for _, s := range benchShapes(b, "T2,T4a") {
		b.Run(s.Name, func(b *testing.B) {
			snap := snapshotOf(b, s)
			var st engine.Stats
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				g, err := engine.Compile(snap, evaluator.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st = g.Stats()
			}
			b.ReportMetric(float64(st.ReachablePairs), "pairs")
		})
	}
}

// manifestFile writes (once, cached in the temp directory) a realistic
// kubectl-style List of a shape and returns its path.
func manifestFile(tb testing.TB, s gen.Shape, format string) string {
	dir := filepath.Join(os.TempDir(), "netreach-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-seed1-realistic.%s", s.Name, format))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		tb.Fatal(err)
	}
	if err := gen.Write(f, gen.Generate(s, 1), format, gen.WriteOptions{Realistic: true}); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkLoad reads realistic `kubectl get -o json|yaml` Lists of a shape
// from disk into a snapshot; MB/s is the input size over the time.
func BenchmarkLoad(b *testing.B) {
	for _, s := range benchShapes(b, "T2,T5") {
		for _, format := range []string{gen.FormatJSON, gen.FormatYAML} {
			b.Run(s.Name+"/"+format, func(b *testing.B) {
				path := manifestFile(b, s, format)
				info, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(info.Size())
				b.ResetTimer()
				for b.Loop() {
					snap, err := model.Load([]string{path}, model.LoadOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if len(snap.Pods) < s.Pods/2 {
						b.Fatalf("read %d pods", len(snap.Pods))
					}
				}
				b.ReportMetric(float64(s.Pods), "pods")
			})
		}
	}
}

// BenchmarkBlastRadius walks the transitive blast radius of one pod (no hop
// limit) on a compiled graph, with the networks of the built-in catalogue, as
// `netreach blast-radius` does. "cold" is the first walk on a freshly
// compiled graph (which also numbers the workloads and cuts the address
// space, kept for later queries); "targets" also asks for the shortest paths
// to the pods of one namespace, the first 10 a pod as the command lists. Walks start after a collection, so that the
// unfinished collection of the compile's garbage is not counted.
func BenchmarkBlastRadius(b *testing.B) {
	for _, s := range benchShapes(b, "T2,T4a") {
		snap := snapshotOf(b, s)
		src := snap.Pods[len(snap.Pods)/2]
		catalog := snap.Catalog()
		target := snap.Pods[len(snap.Pods)/3].Namespace
		for _, variant := range []string{"", "/targets", "/cold"} {
			b.Run(s.Name+variant, func(b *testing.B) {
				opts := engine.BlastOptions{}
				if variant == "/targets" {
					// As netreach blast-radius --target does by default.
					opts.Target, opts.MaxPaths = func(p *model.Pod) bool { return p.Namespace == target }, 10
				}
				var br *engine.Blast
				queryLoop(b, snap, variant == "/cold", func(g *engine.Graph) {
					br = g.BlastRadius([]*model.Pod{src}, catalog, opts)
				})
				b.ReportMetric(float64(br.ReachedPods), "reached")
				b.ReportMetric(float64(len(br.Networks)), "networks")
			})
		}
	}
}

// BenchmarkExposure computes the exposure of every built-in network, as
// `netreach exposure` does. The plain variant asks again on a graph that has
// already answered once; "cold" is the first call on a freshly compiled
// graph, which also numbers the workloads and cuts the address space (kept
// for later queries): what the command costs after compile. Both start after
// a collection, so that the unfinished collection of the compile's garbage
// is not counted; the calls' own garbage is.
func BenchmarkExposure(b *testing.B) {
	for _, s := range benchShapes(b, "T2,T4a") {
		snap := snapshotOf(b, s)
		catalog := snap.Catalog()
		for _, variant := range []string{"", "/cold"} {
			b.Run(s.Name+variant, func(b *testing.B) {
				queryLoop(b, snap, variant == "/cold", func(g *engine.Graph) { g.Exposures(catalog) })
			})
		}
	}
}

// queryLoop times query on a graph compiled from snap: warm, on a graph that
// has answered once (once-per-graph work, such as numbering the workloads and
// cutting the address space, belongs to the cold variant), or cold, on a
// freshly compiled graph each time. The timed calls start after a
// collection: the compile's garbage is the compile's cost. Besides the mean
// (ns/op), it reports the median and the 90th percentile of the calls
// (p50-ns, p90-ns).
func queryLoop(b *testing.B, snap *model.Snapshot, cold bool, query func(*engine.Graph)) {
	compile := func() *engine.Graph {
		g, err := engine.Compile(snap, evaluator.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		return g
	}
	var g *engine.Graph
	if !cold {
		g = compile()
		query(g)
		runtime.GC()
	}
	// Each call is also timed on its own: on a shared 2-core machine a few
	// calls overlap a garbage collection of the compiled graph (or another
	// process) and take two or three times as long, which moves the mean
	// but not the median.
	lat := make([]time.Duration, 0, 64)
	for b.Loop() {
		if cold {
			b.StopTimer()
			g = compile()
			b.StartTimer()
		}
		t0 := time.Now()
		query(g)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds()), "p90-ns")
}
