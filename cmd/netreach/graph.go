package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/export"
)

func newGraphCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, level, focus string
	var force bool
	supported := []export.Format{export.DOT, export.SVG, export.PNG, export.JSON}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the reachability graph: DOT, SVG, PNG, or the drawn part as JSON",
		Long: fmt.Sprintf(`graph draws which connections the policies allow, as Graphviz DOT (default)
or rendered in-process to SVG or PNG (no dot binary needed). Namespaces are
boxes (clusters), catalogue networks have their own shapes, edges carry
compact port sets, and nodes are coloured by ingress isolation (green: every
pod isolated, amber: some, red: none; a dashed border: egress open for some
pod). When every node of a namespace has the same edge, one edge from or to
the namespace box stands for them, and opposite edges with the same ports are
drawn once with two arrows. A legend explains the styles.

--level picks pods, workloads (default) or namespaces. --focus draws the
neighbourhood of one endpoint: a pod (ns/pod), a workload (ns/Kind/name), a
namespace (ns) or a network (net:NAME): it, everything it has an edge with,
and those edges.

A picture with more than %d nodes or %d edges is not drawn: the command
says so on stderr with what to draw instead and exits 2; --force draws it
anyway. -o json writes the drawn nodes and edges as a Matrix document.`, export.MaxDrawnNodes, export.MaxDrawnEdges),
		Example: `  netreach graph --level namespace -o svg > namespaces.svg
  netreach graph --focus shop/Deployment/frontend -o png > frontend.png
  netreach graph -f cluster/ --level workload | dot -Tpdf > cluster.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("graph", output, supported...)
			if err != nil {
				return err
			}
			graph, m, lvl, err := g.matrixAt(s, level)
			if err != nil {
				return err
			}
			var ids []string
			name := focus
			if focus != "" {
				if ids, name, err = focusIDs(graph, m, lvl, focus); err != nil {
					return usageError(fmt.Errorf("--focus: %w", err))
				}
			}
			doc, err := export.NewGraphDoc(m, lvl, name, ids)
			if err != nil {
				return err
			}
			return writeWhole(s, func(w *strings.Builder) error { return export.WriteGraph(w, doc, f, force) })
		},
	}
	outputFlag(cmd, &output, export.DOT, supported...)
	cmd.Flags().StringVar(&level, "level", string(engine.LevelWorkload), "pod, workload or namespace")
	cmd.Flags().StringVar(&focus, "focus", "", "draw only the neighbourhood of a pod (ns/pod), workload (ns/Kind/name), namespace or network (net:NAME)")
	cmd.Flags().BoolVar(&force, "force", false, fmt.Sprintf("draw even when the picture exceeds %d nodes or %d edges", export.MaxDrawnNodes, export.MaxDrawnEdges))
	return cmd
}

// matrixAt parses --level, compiles the snapshot and prepares its matrix at
// that level with the catalogue networks.
func (g *globalOptions) matrixAt(s *streams, level string) (*engine.Graph, *engine.Matrix, engine.Level, error) {
	lvl, err := engine.ParseLevel(level)
	if err != nil {
		return nil, nil, "", usageError(err)
	}
	graph, err := g.compile(s)
	if err != nil {
		return nil, nil, "", err
	}
	return graph, graph.Matrix(lvl, graph.Snapshot().Catalog()), lvl, nil
}

// writeWhole builds an output completely before writing it in one piece, so
// that a failure leaves stdout empty rather than half written; a picture too
// big to read is a usage error (exit 2) with its hint.
func writeWhole(s *streams, build func(w *strings.Builder) error) error {
	var b strings.Builder
	if err := build(&b); err != nil {
		var big *export.TooBigError
		if errors.As(err, &big) {
			return usageError(err)
		}
		return err
	}
	_, err := io.WriteString(s.out, b.String())
	return err
}

// focusIDs maps --focus to node ids of the matrix level: the node of a pod or
// workload (at pod level, a workload's pods), the nodes of a namespace, or a
// network node; and the canonical name of the focus (ns/Kind/name for a
// workload given as ns/deploy/name).
func focusIDs(graph *engine.Graph, m *engine.Matrix, lvl engine.Level, focus string) ([]string, string, error) {
	snap := graph.Snapshot()
	if _, err := netip.ParseAddr(focus); err == nil {
		return nil, "", fmt.Errorf("%s is an address; focus on a pod, workload, namespace or net:NAME", focus)
	}
	var ids []string
	if strings.HasPrefix(focus, "net:") || !strings.Contains(focus, "/") {
		for _, n := range m.Nodes {
			if n.ID == focus || (n.Kind != "Network" && n.Namespace == focus) {
				ids = append(ids, n.ID)
			}
		}
		if len(ids) == 0 {
			if strings.HasPrefix(focus, "net:") {
				_, err := evaluator.ResolveTarget(snap, focus)
				if err == nil {
					err = fmt.Errorf("%s is not a network of the catalogue", focus)
				}
				return nil, "", err
			}
			return nil, "", fmt.Errorf("no namespace %q with pods in the snapshot", focus)
		}
		return ids, focus, nil
	}
	t, err := evaluator.ResolveTarget(snap, focus)
	if err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for _, e := range t.Endpoints {
		p := e.Pod
		if p == nil {
			return nil, "", fmt.Errorf("%s is an address; focus on a pod, workload, namespace or net:NAME", t.ID)
		}
		id := p.ID()
		switch {
		case lvl == engine.LevelNamespace:
			id = p.Namespace
		case lvl == engine.LevelWorkload && p.Workload != nil:
			id = p.Workload.ID()
		case lvl == engine.LevelWorkload:
			id = p.Namespace + "/Pod/" + p.Name
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, t.ID, nil
}
