package main

import (
	"github.com/spf13/cobra"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/export"
)

func newMatrixCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, level string
	var ipRanges bool
	supported := []export.Format{export.Text, export.JSON, export.CSV, export.MD}
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "List every allowed connection with its ports, at pod, workload or namespace level",
		Long: `matrix compiles the snapshot and lists every allowed connection: source →
destination with the allowed ports per protocol (named ports already resolved).
At workload and namespace level the ports of all pod pairs are merged. Edges to
and from the network catalogue are included: the built-in networks (internet,
cloud-metadata, nodes, control-plane) and those of the input (--networks, or
NetworkCatalog documents, which replace a built-in one of the same name); --ip-ranges adds the address space itself as ranges
(ip:FIRST-LAST) with identical connectivity. Self-edges are omitted; output is
sorted by id.

Formats: text (aligned "src → dst : ports" lines), md (a Markdown table), csv
(src,dst,tcp,udp,sctp) and json (the Matrix document of docs/schema).`,
		Example: `  netreach matrix --level namespace
  netreach matrix -f cluster.yaml --level workload -o json > matrix.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("matrix", output, supported...)
			if err != nil {
				return err
			}
			_, m, lvl, err := g.matrixAt(s, level)
			if err != nil {
				return err
			}
			if ipRanges {
				m = m.WithIPRanges()
			}
			return export.WriteMatrix(s.out, m, lvl, f)
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	cmd.Flags().StringVar(&level, "level", string(engine.LevelPod), "pod, workload or namespace")
	cmd.Flags().BoolVar(&ipRanges, "ip-ranges", false, "add the exact address ranges outside the pods (ip:FIRST-LAST), cut at every ipBlock boundary and node address and merged where connectivity is identical")
	return cmd
}
