// Command gencluster writes one of netreach's synthetic benchmark clusters
// as Kubernetes manifests.
//
// Usage:
//
//	gencluster [-shape T0] [-seed 1] [-format yaml|json] [-layout list|documents]
//	           [-realistic] [-scale 1] [-o FILE|-] [-v]
//	gencluster -list
//
// The cluster is built by package benchmarks/gen. With -o FILE the
// manifests go to a temporary file in FILE's directory that is renamed to
// FILE only once everything is written, so a failed or interrupted run
// never leaves a partial FILE behind. Without -o, or with -o -, they go to
// standard output. Bad flags print a message on standard error and exit
// with status 2; failures while writing exit with status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/netreach/netreach/benchmarks/gen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shapeName := fs.String("shape", "T0", "cluster shape to generate (see -list)")
	seed := fs.Uint64("seed", 1, "random seed; the same shape and seed always give the same cluster")
	format := fs.String("format", gen.FormatYAML, "output format: yaml or json")
	layout := fs.String("layout", gen.LayoutList, "list (one kubectl-style List) or documents (one document per object)")
	realistic := fs.Bool("realistic", false, "pad pods with the fields a real kubectl get -o returns (about 3-4 KB of JSON each)")
	scale := fs.Float64("scale", 1, "multiply the shape's counts by this factor (each at least 1)")
	out := fs.String("o", "", "output file; empty or - writes to standard output")
	list := fs.Bool("list", false, "print the available shapes and exit")
	verbose := fs.Bool("v", false, "report generation time and output size on standard error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gencluster [flags]\n\nWrites a synthetic Kubernetes cluster (namespaces, nodes, pods, NetworkPolicies) as manifests.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "gencluster: "+format+"\n", a...)
		fmt.Fprintf(stderr, "run 'gencluster -h' for usage\n")
		return 2
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if *list {
		printShapes(stdout)
		return 0
	}
	shape, ok := gen.ShapeByName(*shapeName)
	if !ok {
		return usageError("unknown shape %q (run 'gencluster -list' to see the shapes)", *shapeName)
	}
	if *format != gen.FormatJSON && *format != gen.FormatYAML {
		return usageError("unknown format %q: want %s or %s", *format, gen.FormatYAML, gen.FormatJSON)
	}
	if *layout != gen.LayoutList && *layout != gen.LayoutDocuments {
		return usageError("unknown layout %q: want %s or %s", *layout, gen.LayoutList, gen.LayoutDocuments)
	}
	if !(*scale > 0) || math.IsInf(*scale, 0) {
		return usageError("-scale must be a positive number, not %v", *scale)
	}
	if *scale != 1 {
		shape = gen.Scaled(shape, *scale)
	}
	if err := shape.Validate(); err != nil {
		return usageError("%v", err)
	}

	start := time.Now()
	c := gen.Generate(shape, *seed)
	generated := time.Since(start)

	start = time.Now()
	cw := &countingWriter{}
	write := func(w io.Writer) error {
		cw.w = w
		return gen.Write(cw, c, *format, gen.WriteOptions{Realistic: *realistic, Layout: *layout})
	}
	var err error
	if *out == "" || *out == "-" {
		err = write(stdout)
	} else if err = writeFileAtomic(*out, write); err != nil {
		err = fmt.Errorf("writing %s: %w", *out, err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gencluster: %v\n", err)
		return 1
	}
	if *verbose {
		perPod := 0.0
		if len(c.Pods) > 0 {
			perPod = float64(cw.n) / float64(len(c.Pods))
		}
		fmt.Fprintf(stderr, "gencluster: %s seed %d: %d namespaces, %d nodes, %d pods, %d policies generated in %v; wrote %d bytes (%.1f MB, %.0f bytes per pod) in %v\n",
			shape.Name, *seed, len(c.Namespaces), len(c.Nodes), len(c.Pods), len(c.Policies),
			generated.Round(time.Millisecond), cw.n, float64(cw.n)/1e6, perPod, time.Since(start).Round(time.Millisecond))
	}
	return 0
}

func printShapes(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SHAPE\tPODS\tNAMESPACES\tPOLICIES\tPROFILE\tNOTES")
	for _, s := range gen.Shapes() {
		profile := string(s.Profile)
		if profile == "" {
			profile = string(gen.ProfileMixed)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", s.Name, s.Pods, s.Namespaces, s.Policies, profile, s.Notes)
	}
	tw.Flush()
}

// countingWriter counts the bytes that pass through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write counts the bytes it passes on.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// pending is the temporary file being written, removed if the process is
// interrupted before it is renamed into place.
var pending struct {
	sync.Mutex
	path string
	once sync.Once
}

func watchSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		pending.Lock()
		if pending.path != "" {
			os.Remove(pending.path)
		}
		// Keep holding the lock so no rename can happen after the
		// removal; the process ends here.
		fmt.Fprintf(os.Stderr, "gencluster: %v: stopped, nothing written\n", sig)
		os.Exit(1)
	}()
}

// writeFileAtomic creates path with the bytes write produces. It writes to
// a temporary file in the same directory, syncs it and renames it over
// path, so path is either untouched or complete.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	pending.once.Do(watchSignals)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	pending.Lock()
	pending.path = tmp
	pending.Unlock()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
		pending.Lock()
		pending.path = ""
		pending.Unlock()
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	pending.Lock()
	defer pending.Unlock()
	return os.Rename(tmp, path)
}
