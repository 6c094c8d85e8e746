package main

import (
	"github.com/spf13/cobra"

	"github.com/netreach/netreach/export"
)

func newSnapshotCmd(g *globalOptions, s *streams) *cobra.Command {
	var output string
	supported := []export.Format{export.Text, export.JSON, export.YAML}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Print what was read: counts per kind, namespaces, pods, policies",
		Long: `snapshot prints the inventory netreach built from its input: counts per
kind, namespaces with their labels, pods with IP, node, labels and owning
workload (template pods stand for workloads without live pods), and the
NetworkPolicies with their (defaulted) policy types and pod selectors.

-o yaml saves the snapshot itself instead: a kind: List of the objects read,
reduced to the fields the analysis reads (no Secrets, environment values,
commands, volumes or annotations), plus the catalogue networks. Analysing the
saved file with -f gives the same results as analysing the input, which makes
it the way to take a live cluster offline or hand it to a colleague.`,
		Example: `  netreach snapshot                      # the bundled demo
  netreach snapshot -f manifests/ -o json
  kubectl get pods,networkpolicies -A -o yaml | netreach snapshot -f -
  netreach snapshot --context prod -o yaml > prod.yaml && netreach -f prod.yaml matrix`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("snapshot", output, supported...)
			if err != nil {
				return err
			}
			g.keepObjects = f == export.YAML
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
