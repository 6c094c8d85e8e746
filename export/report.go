package export

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/model"
)

// ReportDoc is what `netreach report -o html` shows: one self-contained page.
type ReportDoc struct {
	// Source says what was analysed ("the bundled demo snapshot", files, a context).
	Source      string
	ToolVersion string
	Enforcement EnforcementDoc
	Summary     ReportSummary
	Audit       *AuditDoc
	// Graph is the workload graph as inline SVG; GraphNote says when a coarser
	// level was drawn because the workload picture would be unreadable, or
	// that no graph is shown because even the namespace one would be.
	Graph      template.HTML
	GraphLevel engine.Level
	GraphNote  string
	Namespaces []NamespaceIsolation
	Exposure   *ExposureDoc
}

// ReportSummary holds the headline figures.
type ReportSummary struct {
	Pods, Namespaces, Workloads, Policies, Networks int
	IsolatedIngress, IsolatedEgress                 int
	// ReachablePairs counts ordered pod pairs with some allowed port, of
	// PossiblePairs (every ordered pair of distinct pods).
	ReachablePairs, PossiblePairs int64
}

// Percent is part of whole in percent, one decimal.
func Percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
}

// NamespaceIsolation is one namespace's row of the isolation table.
// IngressPods and EgressPods count the pods restricted in that direction
// (engine.Matrix.Isolation: isolated, and no allow-all rule).
type NamespaceIsolation struct {
	Name                    string
	Pods, Policies          int
	IngressPods, EgressPods int
}

// NewReportDoc gathers the report from the compiled graph and the audit:
// the summary from engine.Stats, isolation per namespace from
// Matrix.Isolation, the workload graph (or the namespace graph when the
// workload one exceeds MaxDrawnNodes or MaxDrawnEdges) and the exposure.
func NewReportDoc(g *engine.Graph, audit *AuditDoc, catalog []*model.Network) (*ReportDoc, error) {
	snap := g.Snapshot()
	st := g.Stats()
	d := &ReportDoc{Enforcement: audit.Enforcement, Audit: audit,
		Summary: ReportSummary{Pods: st.Pods, Namespaces: len(snap.Namespaces), Workloads: len(snap.Workloads),
			Policies: len(snap.Policies), Networks: len(catalog), IsolatedIngress: st.IsolatedIngress, IsolatedEgress: st.IsolatedEgress,
			ReachablePairs: st.ReachablePairs, PossiblePairs: int64(st.Pods) * int64(st.Pods-1)}}

	nsm := g.Matrix(engine.LevelNamespace, nil)
	iso := nsm.Isolation()
	for i, n := range nsm.Nodes {
		d.Namespaces = append(d.Namespaces, NamespaceIsolation{Name: n.ID, Pods: iso[i].Pods, Policies: len(snap.PoliciesIn(n.ID)),
			IngressPods: iso[i].Ingress, EgressPods: iso[i].Egress})
	}
	sort.Slice(d.Namespaces, func(i, j int) bool { return d.Namespaces[i].Name < d.Namespaces[j].Name })

	for _, level := range []engine.Level{engine.LevelWorkload, engine.LevelNamespace} {
		gd, err := NewGraphDoc(g.Matrix(level, catalog), level, "", nil)
		if err != nil {
			return nil, err
		}
		dr := gd.Drawing()
		if err := dr.CheckSize(); err != nil {
			var big *TooBigError
			errors.As(err, &big)
			if level == engine.LevelWorkload {
				d.GraphNote = fmt.Sprintf("The workload graph would have %d nodes and %d edges, too many to read; this is the namespace graph.", big.Nodes, big.Edges)
				continue
			}
			d.GraphLevel = level
			d.GraphNote = fmt.Sprintf("The namespace graph would have %d nodes and %d edges, too many to read: draw parts of it with netreach graph --focus.", big.Nodes, big.Edges)
			break
		}
		var svg bytes.Buffer
		if err := dr.Write(&svg, SVG); err != nil {
			return nil, err
		}
		d.Graph, d.GraphLevel = template.HTML(inlineSVG(svg.Bytes())), level
		break
	}
	d.Exposure = NewExposureDoc(g.Exposures(catalog))
	return d, nil
}

// svgProlog matches what precedes the <svg> element in Graphviz output: the
// XML declaration, the doctype and comments, none of which belong in HTML.
var svgProlog = regexp.MustCompile(`(?s)^.*?(<svg\b)`)

// inlineSVG prepares Graphviz SVG for inlining in HTML.
func inlineSVG(svg []byte) string {
	return svgProlog.ReplaceAllString(string(svg), "$1")
}

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"percent": func(part, whole any) string { return Percent(toInt64(part), toInt64(whole)) },
	"ports":   portsText,
	"join":    strings.Join,
	"sevrank": func(s string) int {
		for i, sev := range engine.Severities {
			if sev.String() == s {
				return len(engine.Severities) - i
			}
		}
		return 0
	},
	"addresses": func(w WorkloadExposure) string {
		if w.All {
			return "every address"
		}
		parts := make([]string, len(w.Ranges))
		for i, r := range w.Ranges {
			parts[i] = strings.TrimPrefix(r.Range, "ip:")
		}
		return strings.Join(parts, ", ")
	},
}).Parse(reportTemplate))

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	return 0
}

// WriteReport writes the report as one self-contained HTML page: styles,
// script and the graph are inline, and nothing is fetched when it is viewed.
// The page is built whole before anything is written.
func WriteReport(w io.Writer, d *ReportDoc) error {
	var b bytes.Buffer
	if err := reportTmpl.Execute(&b, d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if b.Len() == 0 {
		return errors.New("report: empty page")
	}
	_, err := w.Write(b.Bytes())
	return err
}
