package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/export"
)

func newAuditCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, failOn, baseline, fixDir, maxReach string
	var force bool
	supported := []export.Format{export.Text, export.JSON, export.MD, export.SARIF}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Posture findings with evidence, remediation and CI gating (CIS 5.3.2, OWASP K05)",
		Long: `audit computes the posture findings of the snapshot from its real
reachability: namespaces without policies or default deny, workloads not
isolated, host-network pods, pods that reach the cloud metadata service, the
control plane, peered or transit networks or the internet, policies and rule
peers that select nothing, egress-isolated pods without DNS, a network plugin
that does not enforce policies, and workloads with a large blast radius. Each
finding has a stable id (docs/findings.md), a severity, the resources, the
evidence, remediation advice and references.

Exit 1 when a finding at or above --fail-on exists (with --baseline, only
findings not in the baseline count); --fail-on none never fails.

--fix-dir DIR writes one file per namespace (DIR/NAMESPACE.yaml) with a
default deny for ingress and egress and a DNS allowance, then compiles the
snapshot plus those files and reports the findings they close and every
connection allowed today that they would cut.`,
		Example: `  netreach audit -f cluster.yaml --fail-on critical
  netreach audit -f cluster.yaml -o json > baseline.json
  netreach audit -f cluster.yaml --baseline baseline.json -o sarif > netreach.sarif
  netreach audit --fix-dir remediation/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("audit", output, supported...)
			if err != nil {
				return err
			}
			gate, err := engine.ParseSeverity(failOn)
			if err != nil {
				return usageError(fmt.Errorf("--fail-on: %w", err))
			}
			reach, err := parsePercent(maxReach)
			if err != nil {
				return usageError(err)
			}
			var base *export.Baseline
			if baseline != "" {
				data, err := os.ReadFile(baseline)
				if err != nil {
					var pe *os.PathError
					if errors.As(err, &pe) {
						err = pe.Err
					}
					return usageError(fmt.Errorf("--baseline %s: cannot read: %v", baseline, err))
				}
				if base, err = export.ReadBaseline(baseline, data); err != nil {
					return usageError(fmt.Errorf("--baseline %w", err))
				}
			}
			graph, err := g.compile(s)
			if err != nil {
				return err
			}
			catalog := graph.Snapshot().Catalog()
			audit := graph.Audit(catalog, engine.AuditOptions{MaxReach: reach})
			doc := export.NewAuditDoc(audit, gate, base)
			doc.ToolVersion, doc.Demo = buildVersion(), g.demo
			if fixDir != "" {
				if doc.Fix, err = g.fix(s, graph, audit, fixDir, force, reach); err != nil {
					return err
				}
			}
			if err := export.WriteAudit(s.out, doc, f, f == export.Text && colorOK(s)); err != nil {
				return err
			}
			if doc.Summary.Failing > 0 {
				return &exitError{code: exitNegative, err: fmt.Errorf("%s at or above --fail-on %s", countNoun(doc.Summary.Failing, "new finding"), gate)}
			}
			return nil
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding at or above this severity exists: critical, high, medium, low or none")
	cmd.Flags().StringVar(&baseline, "baseline", "", "a previous `audit -o json`: only findings not in it count for --fail-on")
	cmd.Flags().StringVar(&fixDir, "fix-dir", "", "write default-deny remediation policies here (one file per namespace) and report what they would cut")
	cmd.Flags().BoolVar(&force, "force", false, "with --fix-dir: overwrite files of the same names")
	cmd.Flags().StringVar(&maxReach, "max-reach", "50%", "large blast radius: a workload from which more than this percentage of the pods is reachable (\"50%\" or \"50\"; a bare number is a percentage)")
	return cmd
}

// parsePercent parses --max-reach, a percentage: "50%" or "50" (a bare number
// is a percentage too, so "1" is 1%, never 100%). It returns a fraction.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v <= 0 || v > 100 {
		return 0, fmt.Errorf("invalid --max-reach %q: give a percentage above 0 and at most 100, such as 50%%", s)
	}
	return v / 100, nil
}

// fix writes the remediation policies, compiles the snapshot with them, and
// reports the findings they close and the connections they cut.
func (g *globalOptions) fix(s *streams, before *engine.Graph, audit *engine.Audit, dir string, force bool, reach float64) (*export.FixDoc, error) {
	fixes := engine.FixPolicies(before.Snapshot(), audit)
	files, err := export.WriteFixDir(dir, fixes, force)
	if err != nil {
		return nil, usageError(err)
	}
	doc := &export.FixDoc{Dir: dir, Files: files, Cut: []export.MatrixEdge{}, Closed: []export.FindingRef{}, Remaining: []export.FindingRef{}}
	if doc.Files == nil {
		doc.Files = []export.FixFileDoc{}
	}
	var paths []string
	for _, f := range files {
		if !g.readsPath(f.Path) {
			paths = append(paths, f.Path)
		}
	}
	after := before
	if len(files) > 0 {
		// The second load repeats the first one's warnings and notes (and, when
		// the fix directory lies inside an input directory, paths is nil and
		// the load would not know it is a second one): it runs with stderr
		// discarded. Errors are still returned.
		quiet := &streams{in: s.in, out: s.out, err: io.Discard, plugin: s.plugin}
		if after, err = g.compileWith(quiet, paths); err != nil {
			return nil, err
		}
	}
	again := after.Audit(after.Snapshot().Catalog(), engine.AuditOptions{MaxReach: reach})
	closed, remaining := engine.FixOutcome(audit, again)
	for _, k := range closed {
		doc.Closed = append(doc.Closed, export.FindingRef{ID: k.RuleID, Key: k.Key})
	}
	for _, k := range remaining {
		doc.Remaining = append(doc.Remaining, export.FindingRef{ID: k.RuleID, Key: k.Key})
	}
	cut, err := engine.CutConnections(before, after)
	if err != nil {
		return nil, err
	}
	for _, e := range cut {
		doc.Cut = append(doc.Cut, export.MatrixEdge{Src: e.Src, Dst: e.Dst, Ports: export.NewPortsDoc(e.Ports)})
	}
	return doc, nil
}

// readsPath reports whether the -f inputs already read a file (it lies in an
// input directory): the second load then finds it without being told.
func (g *globalOptions) readsPath(file string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	for _, in := range g.files {
		dir, err := filepath.Abs(in)
		if err != nil || in == "-" {
			continue
		}
		if rel, err := filepath.Rel(dir, abs); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
			return true
		}
	}
	return false
}

// colorOK reports whether text output may be coloured: stdout is a terminal
// and NO_COLOR is unset (DESIGN.md §4).
func colorOK(s *streams) bool {
	return colorAllowed(os.LookupEnv, isTerminal(s.out))
}

// colorAllowed is the colour decision with its inputs given: the environment
// lookup and whether the output is a terminal. NO_COLOR set to anything, even
// empty, turns colour off.
func colorAllowed(lookupEnv func(string) (string, bool), terminal bool) bool {
	if _, set := lookupEnv("NO_COLOR"); set {
		return false
	}
	return terminal
}

// isTerminal reports whether a writer is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
