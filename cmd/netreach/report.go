package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/export"
)

func newReportCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, maxReach string
	supported := []export.Format{export.HTML}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "One self-contained HTML page: summary, findings, graph, isolation, exposure",
		Long: `report writes one HTML file that needs nothing else to be viewed (styles,
script and pictures are inline; nothing is fetched): the summary figures
(pods, namespaces, workloads, policies, the shares of pods isolated for
ingress and egress, reachable pod pairs, findings per severity), the audit
findings in a table you can sort by any column and filter as you type, the
workload graph (the namespace graph when the workload one would be too big)
with pan and zoom, isolation per namespace, and the exposure to every network
of the catalogue. The page is written in one piece once it is complete.`,
		Example: `  netreach report -o html > report.html
  netreach report -f cluster/ --networks vpcs.yaml -o html > cluster.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := checkOutput("report", output, supported...); err != nil {
				return err
			}
			reach, err := parsePercent(maxReach)
			if err != nil {
				return usageError(err)
			}
			graph, err := g.compile(s)
			if err != nil {
				return err
			}
			catalog := graph.Snapshot().Catalog()
			audit := export.NewAuditDoc(graph.Audit(catalog, engine.AuditOptions{MaxReach: reach}), engine.SeverityHigh, nil)
			doc, err := export.NewReportDoc(graph, audit, catalog)
			if err != nil {
				return err
			}
			doc.ToolVersion, doc.Source = buildVersion(), g.sourceName()
			return writeWhole(s, func(w *strings.Builder) error { return export.WriteReport(w, doc) })
		},
	}
	outputFlag(cmd, &output, export.HTML, supported...)
	cmd.Flags().StringVar(&maxReach, "max-reach", "50%", "large blast radius finding: a workload from which more than this share of the pods is reachable")
	return cmd
}

// sourceName says what was analysed, for reports.
func (g *globalOptions) sourceName() string {
	switch {
	case g.demo:
		return "the bundled demo snapshot"
	case g.context != "":
		return "the live cluster of context " + g.context
	case g.live || g.kubeconfig != "" || len(g.files) == 0:
		return "the live cluster of the current context"
	}
	return strings.Join(g.files, ", ")
}
