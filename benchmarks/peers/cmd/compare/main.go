// Command compare runs netreach and np-guard/netpol-analyzer on the same
// generated clusters, times both, and compares their workload-level answers.
// It prints a Markdown table, then the details of every difference.
//
//	cd benchmarks/peers && GONOSUMDB=github.com/np-guard go run ./cmd/compare -cases T0,T1,T2@0.1
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netreach/netreach/benchmarks/peers"
)

func main() {
	cases := flag.String("cases", peers.DefaultCases, "comma-separated benchmarks/gen shapes, each NAME or NAME@SCALE")
	seed := flag.Uint64("seed", 1, "generator seed")
	nrRuns := flag.Int("netreach-runs", 3, "runs of netreach per case (the fastest is reported)")
	npaRuns := flag.Int("npa-runs", 1, "runs of netpol-analyzer per case (the fastest is reported)")
	examples := flag.Int("examples", 5, "examples shown per kind of difference")
	diffs := flag.String("diffs", "", "write every difference to this file as tab-separated values")
	keep := flag.String("keep", "", "write each case's manifests under this directory and keep them (default: a temporary directory, removed)")
	flag.Parse()

	cs, err := peers.ParseCases(*cases, *seed)
	if err != nil {
		fail(err)
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	var results []*peers.Result
	unexplained := 0
	for _, c := range cs {
		dir, cleanup, err := caseDir(*keep, c.Name)
		if err != nil {
			fail(err)
		}
		r, err := peers.Run(c, peers.RunOptions{Dir: dir, NetreachRuns: *nrRuns, NPARuns: *npaRuns, Log: logf})
		cleanup()
		if err != nil {
			fail(fmt.Errorf("%s: %w", c.Name, err))
		}
		logf("%s: %s", c.Name, r.Agreement())
		unexplained += r.Unexplained()
		results = append(results, r)
	}
	peers.WriteTable(os.Stdout, results)
	fmt.Println()
	peers.WriteDetails(os.Stdout, results, *examples)
	if *diffs != "" {
		f, err := os.Create(*diffs)
		if err != nil {
			fail(err)
		}
		peers.WriteDifferences(f, results)
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
	if unexplained > 0 {
		fmt.Fprintf(os.Stderr, "%d differences that no documented reason explains\n", unexplained)
		os.Exit(1)
	}
}

func caseDir(keep, name string) (string, func(), error) {
	if keep != "" {
		dir := filepath.Join(keep, strings.ReplaceAll(name, "/", "_"))
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "netreach-peers-")
	return dir, func() { os.RemoveAll(dir) }, err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(2)
}
