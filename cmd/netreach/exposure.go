package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/export"
)

func newExposureCmd(g *globalOptions, s *streams) *cobra.Command {
	var output string
	var networks []string
	supported := []export.Format{export.Text, export.JSON, export.MD, export.CSV, export.DOT, export.SVG}
	cmd := &cobra.Command{
		Use:   "exposure",
		Short: "Which workloads reach each external network, and which ones each network reaches",
		Long: `exposure reports, for every network of the catalogue (the built-in internet,
cloud-metadata, nodes and control-plane, and those of --networks), the
workloads that may open connections to it and the workloads it may open
connections to, with pod counts, port sets and, when a policy allows only part
of the network, the exact address ranges. An address belongs to the most
specific network of the catalogue that contains it.

-o dot and -o svg draw it: the networks, the workloads boxed by namespace,
blue edges out to networks and red edges in from them with their ports ("part
of it" when only some addresses are concerned); exposure to the internet and
reach into the cloud metadata service or the control plane are drawn thick.`,
		Example: `  netreach exposure --network cloud-metadata
  netreach exposure -f cluster.yaml --networks vpcs.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("exposure", output, supported...)
			if err != nil {
				return err
			}
			graph, err := g.compile(s)
			if err != nil {
				return err
			}
			catalog := graph.Snapshot().Catalog()
			known := map[string]bool{}
			for _, n := range catalog {
				known[n.Name] = true
			}
			for _, n := range networks {
				if !known[n] {
					names := make([]string, 0, len(catalog))
					for _, c := range catalog {
						names = append(names, c.Name)
					}
					return usageError(fmt.Errorf("--network %q is not in the catalogue; it has %v", n, names))
				}
			}
			return writeWhole(s, func(w *strings.Builder) error {
				return export.WriteExposure(w, graph.Exposures(catalog, networks...), f)
			})
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	cmd.Flags().StringArrayVar(&networks, "network", nil, "report only this network (repeatable)")
	return cmd
}
