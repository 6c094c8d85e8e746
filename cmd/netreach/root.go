package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netreach/netreach"
	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/export"
	"github.com/netreach/netreach/model"
	"github.com/netreach/netreach/model/live"
)

// streams are the command's standard streams, replaceable in tests.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// plugin is true when the binary runs as the kubectl plugin kubectl-netreach.
	plugin bool
}

// displayName is how usage and messages name the program.
func (s *streams) displayName() string {
	if s.plugin {
		return "kubectl netreach"
	}
	return "netreach"
}

// progressWriter is stderr when it is a terminal, where a progress line that
// rewrites itself reads well; nil otherwise, so that logs get no progress.
func (s *streams) progressWriter() io.Writer {
	if f, ok := s.err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

// globalOptions are the flags every command shares (DESIGN.md §4).
type globalOptions struct {
	files       []string
	namespace   string
	kubeconfig  string
	context     string
	live        bool
	timeout     string
	networks    string
	vpcID       string
	ipblockPods string
	enforcement string
	lenient     bool
	verbose     bool
	// keepObjects asks the loader for the reduced objects (snapshot -o yaml).
	keepObjects bool
	// namespaceSet is true when -n was given: a live read is then limited to
	// that namespace.
	namespaceSet bool
	// requestTimeout is --request-timeout parsed.
	requestTimeout time.Duration

	// semantics is filled from ipblockPods and enforcement before a command runs.
	semantics evaluator.Options
	// demo is set once the bundled demo was loaded; stdinData keeps standard
	// input for a second load (audit --fix-dir).
	demo      bool
	stdinData []byte
}

func newRootCmd(s *streams) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "netreach",
		Short: "Kubernetes network reachability: which traffic do the NetworkPolicies allow?",
		Long: `netreach compiles a cluster snapshot (manifests or a live cluster) into a
reachability graph with exact NetworkPolicy semantics and answers questions
about it: can A reach B, what an attacker in a pod reaches, which pods reach
external networks, and which posture findings the cluster has.

With no input flag, commands analyse the bundled demo snapshot.

A live cluster is read with --live (the current kubeconfig context, or the
pod's service account in a pod), --context or --kubeconfig; installed as
kubectl-netreach, "kubectl netreach" reads the current context by default.

Exit codes: 0 success (can-reach: allowed), 1 a negative answer
(can-reach: denied; audit: findings at or above --fail-on), 2 usage or input error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if g.semantics.IPBlockPods, err = evaluator.ParseIPBlockPods(g.ipblockPods); err != nil {
				return usageError(err)
			}
			if g.semantics.Enforcement, err = evaluator.ParseEnforcement(g.enforcement); err != nil {
				return usageError(err)
			}
			if g.requestTimeout, err = parseRequestTimeout(g.timeout); err != nil {
				return usageError(err)
			}
			g.namespaceSet = cmd.Flags().Changed("namespace")
			return nil
		},
	}
	if s.plugin {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: s.displayName()}
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })

	f := root.PersistentFlags()
	f.StringArrayVarP(&g.files, "filename", "f", nil, "manifest file, directory (read recursively) or - for stdin; repeatable")
	f.StringVarP(&g.namespace, "namespace", "n", "default", "namespace for objects that do not name one; with a live cluster, read only this namespace (Namespaces and Nodes are always read whole)")
	f.StringVar(&g.kubeconfig, "kubeconfig", "", "read a live cluster with this kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&g.context, "context", "", "read the live cluster of this kubeconfig context")
	f.BoolVar(&g.live, "live", false, "read the live cluster of the current kubeconfig context, or of the pod's service account when running in a pod")
	f.StringVar(&g.timeout, "request-timeout", "30s", "how long to wait for each request to the API server (e.g. 10s, 2m; 0 waits forever)")
	f.StringVar(&g.networks, "networks", "", "network catalogue file adding or overriding named networks: a netreach/v1 NetworkCatalog, or the JSON of `aws ec2 describe-vpc-peering-connections` (with --vpc-id) or `aws ec2 search-transit-gateway-routes`")
	f.StringVar(&g.vpcID, "vpc-id", "", "the cluster's VPC, whose peerings --networks imports from describe-vpc-peering-connections JSON")
	f.StringVar(&g.ipblockPods, "ipblock-pods", string(evaluator.IPBlockPodsMatch), "whether ipBlocks match pod IPs: match (Calico, upstream tests) or ignore (Cilium)")
	f.StringVar(&g.enforcement, "enforcement", string(evaluator.EnforcementAuto), "whether the CNI enforces NetworkPolicy: auto, enforced or none")
	f.BoolVar(&g.lenient, "lenient", false, "skip invalid objects with a warning instead of failing")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "say more on stderr (for example, list skipped objects)")

	root.AddCommand(newSnapshotCmd(g, s), newCanReachCmd(g, s), newMatrixCmd(g, s), newExposureCmd(g, s), newBlastCmd(g, s), newAuditCmd(g, s), newGraphCmd(g, s), newReportCmd(g, s), newVersionCmd(s))
	return root
}

// load reads the snapshot the global flags ask for: the files given with -f,
// a live cluster, or the bundled demo when there is no input at all.
func (g *globalOptions) load(s *streams) (*model.Snapshot, error) { return g.loadWith(s, nil) }

// loadWith reads the snapshot plus extra local files (remediation manifests).
// A second load (extra given) reads the same input again (standard input is
// kept from the first; a live cluster is listed again) and repeats no note or
// warning on stderr.
func (g *globalOptions) loadWith(s *streams, extra []string) (*model.Snapshot, error) {
	quiet := extra != nil
	var snap *model.Snapshot
	var err error
	opts := model.LoadOptions{DefaultNamespace: g.namespace, Lenient: g.lenient, Stdin: s.in, KeepObjects: g.keepObjects, ExtraPaths: extra}
	if slices.Contains(g.files, "-") {
		if g.stdinData == nil {
			data, err := io.ReadAll(s.in)
			if err != nil {
				return nil, usageError(fmt.Errorf("<stdin>: cannot read: %v", err))
			}
			g.stdinData = data
		}
		opts.Stdin = bytes.NewReader(g.stdinData)
	}
	switch liveFlags := g.live || g.kubeconfig != "" || g.context != ""; {
	case liveFlags && len(g.files) > 0:
		return nil, usageError(errors.New("-f reads manifest files and --live, --kubeconfig and --context read a live cluster: give one or the other"))
	case liveFlags || (s.plugin && len(g.files) == 0):
		snap, err = g.readLive(s, opts)
	case len(g.files) == 0:
		opts.FS, opts.FSName = netreach.DemoFS(), "demo"
		g.demo = true
		if !quiet {
			fmt.Fprintf(s.err, "netreach: no input given (-f, --live, --context); analysing the bundled demo snapshot\n")
		}
		snap, err = model.Load([]string{"."}, opts)
	default:
		snap, err = model.Load(g.files, opts)
	}
	if err != nil {
		return nil, usageError(err)
	}
	if g.networks != "" {
		nets, warns, err := model.LoadNetworks(g.networks, model.LoadOptions{Stdin: s.in, VPCID: g.vpcID})
		if err != nil {
			return nil, usageError(err)
		}
		snap.Warnings = append(snap.Warnings, warns...)
		snap.SetNetworks(nets)
	}
	if quiet {
		return snap, nil
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(s.err, "warning: %s\n", w)
	}
	g.reportSkipped(s, snap)
	return snap, nil
}

func (g *globalOptions) reportSkipped(s *streams, snap *model.Snapshot) {
	n := 0
	var kinds []string
	for _, sk := range snap.Skipped {
		n += len(sk.Objects)
		kinds = append(kinds, fmt.Sprintf("%s (%d)", sk.Kind, len(sk.Objects)))
	}
	if n == 0 {
		return
	}
	if !g.verbose {
		fmt.Fprintf(s.err, "netreach: skipped %s of kinds the analysis does not read: %s (-v lists them)\n", countNoun(n, "object"), strings.Join(kinds, ", "))
		return
	}
	fmt.Fprintf(s.err, "netreach: skipped %s of kinds the analysis does not read:\n", countNoun(n, "object"))
	for _, sk := range snap.Skipped {
		for _, o := range sk.Objects {
			name := o.Name
			if o.Namespace != "" {
				name = o.Namespace + "/" + o.Name
			}
			fmt.Fprintf(s.err, "  %s %s\n", sk.Kind, name)
		}
	}
}

// readLive reads the cluster that --kubeconfig, --context or the environment
// name, in the namespace -n names or in all of them.
func (g *globalOptions) readLive(s *streams, load model.LoadOptions) (*model.Snapshot, error) {
	opts := live.Options{Kubeconfig: g.kubeconfig, Context: g.context, RequestTimeout: g.requestTimeout,
		Progress: s.progressWriter(), UserAgent: "netreach/" + buildVersion(), Load: load}
	if g.namespaceSet {
		opts.Namespace = g.namespace
	}
	snap, cluster, err := live.Read(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	where := "all namespaces"
	if opts.Namespace != "" {
		where = "namespace " + opts.Namespace
	}
	fmt.Fprintf(s.err, "netreach: read context %q (%s), %s\n", cluster.Context, cluster.Server, where)
	return snap, nil
}

// parseRequestTimeout reads --request-timeout as kubectl does: a duration with
// a unit, or a bare number of seconds; 0 means no timeout.
func parseRequestTimeout(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid --request-timeout %q: give a duration such as 30s or 2m, or 0 for none", v)
	}
	return d, nil
}

// compile loads the snapshot and compiles it into the reachability graph,
// warning on stderr when NetworkPolicy is found not to be enforced.
func (g *globalOptions) compile(s *streams) (*engine.Graph, error) { return g.compileWith(s, nil) }

// compileWith compiles the snapshot plus extra local files (see loadWith).
func (g *globalOptions) compileWith(s *streams, extra []string) (*engine.Graph, error) {
	snap, err := g.loadWith(s, extra)
	if err != nil {
		return nil, err
	}
	graph, err := engine.Compile(snap, g.semantics)
	if err != nil {
		return nil, err
	}
	if !graph.Enforced() && g.semantics.Enforcement == evaluator.EnforcementAuto && extra == nil {
		fmt.Fprintf(s.err, "warning: NetworkPolicy is not enforced in this cluster (%s): every connection is allowed\n", graph.EnforcementReason)
	}
	return graph, nil
}

// outputFlag adds -o to a command with its default and supported formats.
func outputFlag(cmd *cobra.Command, target *string, def export.Format, supported ...export.Format) {
	names := make([]string, len(supported))
	for i, f := range supported {
		names[i] = string(f)
	}
	cmd.Flags().StringVarP(target, "output", "o", string(def), "output format: "+strings.Join(names, ", "))
}

// checkOutput validates -o for a command.
func checkOutput(command, value string, supported ...export.Format) (export.Format, error) {
	f := export.Format(strings.ToLower(value))
	if err := export.CheckFormat(command, f, supported...); err != nil {
		return "", usageError(err)
	}
	return f, nil
}
