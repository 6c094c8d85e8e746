package main

import (
	"github.com/spf13/cobra"

	"github.com/netreach/netreach/export"
)

func newSnapshotCmd(g *globalOptions, s *streams) *cobra.Command {
	var output string
	supported := []export.Format{export.Text, export.JSON}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Print what was read: counts per kind, namespaces, pods, policies",
		Long: `snapshot prints the inventory netreach built from its input: counts per
kind, namespaces with their labels, pods with IP, node, labels and owning
workload (template pods stand for workloads without live pods), and the
NetworkPolicies with their (defaulted) policy types and pod selectors.`,
		Example: `  netreach snapshot                      # the bundled demo
  netreach snapshot -f manifests/ -o json
  kubectl get pods,networkpolicies -A -o yaml | netreach snapshot -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("snapshot", output, supported...)
			if err != nil {
				return err
			}
			snap, err := g.load(s)
			if err != nil {
				return err
			}
			return export.WriteSnapshot(s.out, snap, f)
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	return cmd
}
