package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/export"
	"github.com/netreach/netreach/model"
)

func newBlastCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, port, protocol, target string
	var hops, maxPaths int
	supported := []export.Format{export.Text, export.JSON, export.DOT, export.SVG}
	cmd := &cobra.Command{
		Use:   "blast-radius SRC",
		Short: "What an attacker holding SRC reaches, hop by hop, with ports and paths",
		Long: `blast-radius walks the reachability graph breadth first from SRC (a pod, or
every pod of a workload): hop 1 is what SRC may open connections to, hop 2 what
those may open connections to, and so on. For each workload first reached at a
hop it prints the pods, the ports by which the previous hop reaches them, and
one shortest path from SRC; then the networks of the catalogue reached, and
totals. --port (and --protocol) restrict hops to that port; --hops stops the
walk; --target names crown jewels (a label selector such as app=postgres,
namespace/pod, or namespace/Kind/name for every pod of a workload) and prints
the shortest attack paths to each, or says that none exists: the first
--max-paths of them in path order (default 10; 0 lists every one, which in a
large cluster can be millions), and a line saying when there are more.

-o dot and -o svg draw it: the source, the workloads reached (boxed by
namespace, with their hop), the hop edges with their ports, the networks
reached, and the attack paths to --target in red.`,
		Example: `  netreach blast-radius shop/deploy/frontend --target app.kubernetes.io/name=postgres
  netreach blast-radius default/debug-shell --port 5432 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("blast-radius", output, supported...)
			if err != nil {
				return err
			}
			opts := engine.BlastOptions{MaxHops: hops, MaxPaths: maxPaths}
			if hops < 0 {
				return usageError(fmt.Errorf("invalid --hops %d: use 0 (no limit) or more", hops))
			}
			if maxPaths < 0 {
				return usageError(fmt.Errorf("invalid --max-paths %d: use 0 (no limit) or more", maxPaths))
			}
			if cmd.Flags().Changed("max-paths") && target == "" {
				return usageError(fmt.Errorf("--max-paths limits the paths to --target: give --target too"))
			}
			if protocol != "" {
				opts.Protocol = corev1.Protocol(strings.ToUpper(protocol))
				if opts.Protocol != corev1.ProtocolTCP && opts.Protocol != corev1.ProtocolUDP && opts.Protocol != corev1.ProtocolSCTP {
					return usageError(fmt.Errorf("invalid --protocol %q: use TCP, UDP or SCTP", protocol))
				}
			}
			if port != "" {
				n, err := strconv.Atoi(port)
				if err != nil || n < 1 || n > 65535 {
					return usageError(fmt.Errorf("invalid --port %q: give a number 1-65535", port))
				}
				opts.Port = int32(n)
				if opts.Protocol == "" {
					opts.Protocol = corev1.ProtocolTCP
				}
			}
			graph, err := g.compile(s)
			if err != nil {
				return err
			}
			snap := graph.Snapshot()
			src, err := evaluator.ResolveTarget(snap, args[0])
			if err != nil {
				return usageError(fmt.Errorf("source: %w", err))
			}
			var sources []*model.Pod
			for _, e := range src.Endpoints {
				if e.Pod == nil {
					return usageError(fmt.Errorf("source: %s is not a pod or workload; blast radius starts from pods", src.ID))
				}
				sources = append(sources, e.Pod)
			}
			if target != "" {
				match, err := targetMatcher(snap, target)
				if err != nil {
					return usageError(err)
				}
				opts.Target = match
			}
			b := graph.BlastRadius(sources, snap.Catalog(), opts)
			return writeWhole(s, func(w *strings.Builder) error { return export.WriteBlast(w, export.NewBlastDoc(src.ID, b), f, target) })
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	cmd.Flags().IntVar(&hops, "hops", 0, "stop after this many hops (0: walk to the end)")
	cmd.Flags().StringVar(&port, "port", "", "only hops on this destination port")
	cmd.Flags().StringVar(&protocol, "protocol", "", "with --port: TCP (default), UDP or SCTP; alone: only hops on that protocol")
	cmd.Flags().StringVar(&target, "target", "", "crown jewels: a label selector (app=postgres), namespace/pod, or namespace/Kind/name for every pod of a workload")
	cmd.Flags().IntVar(&maxPaths, "max-paths", 10, "with --target: list at most this many shortest paths per crown jewel, the first in path order (0: every one)")
	return cmd
}

// targetMatcher parses --target: namespace/pod names one pod,
// namespace/Kind/name every pod of a workload, anything else is a label
// selector.
func targetMatcher(snap *model.Snapshot, target string) (func(*model.Pod) bool, error) {
	if p := snap.Pod(target); p != nil {
		return func(q *model.Pod) bool { return q == p }, nil
	}
	if n := strings.Count(target, "/"); (n == 1 || n == 2) && !strings.ContainsAny(target, "=!(") {
		// An endpoint id, as everywhere else: namespace/pod or a workload
		// (namespace/Kind/name), whose pods are all crown jewels.
		t, err := evaluator.ResolveTarget(snap, target)
		if err != nil {
			return nil, fmt.Errorf("--target: %w", err)
		}
		pods := map[*model.Pod]bool{}
		for _, e := range t.Endpoints {
			if e.Pod == nil {
				return nil, fmt.Errorf("--target: %s is not a pod or workload", t.ID)
			}
			pods[e.Pod] = true
		}
		return func(q *model.Pod) bool { return pods[q] }, nil
	}
	sel, err := labels.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("--target %q is neither namespace/pod, namespace/Kind/name nor a label selector: %v", target, err)
	}
	return func(p *model.Pod) bool { return sel.Matches(p.Labels) }, nil
}
