// Package benchmarks holds netreach's benchmark ladder (DESIGN.md §5): loading
// manifests of generated clusters, compiling snapshots of every shape of
// benchmarks/gen, can-reach latency and whole-cluster aggregates. Results, with
// the command that produced them, are recorded in benchmarks/RESULTS.md. The
// benchmarks run with `make bench`, never in `make test`.
package benchmarks
