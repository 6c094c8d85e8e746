package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/engine"
)

// AuditDoc is the JSON document of `netreach audit -o json`
// (schema: docs/schema/audit.schema.json).
type AuditDoc struct {
	APIVersion  string         `json:"apiVersion"`
	Kind        string         `json:"kind"`
	Enforcement EnforcementDoc `json:"enforcement"`
	// Pods and Namespaces count what was audited.
	Pods       int `json:"pods"`
	Namespaces int `json:"namespaces"`
	// MaxReach is the blast-radius threshold, in percent.
	MaxReach float64 `json:"maxReach"`
	// FailOn is the --fail-on severity ("none" never fails).
	FailOn string `json:"failOn"`
	// ReadNamespaces is set when the audit is partial: only these namespaces'
	// objects were read (a live read with -n), so findings about what lies
	// elsewhere cannot be made.
	ReadNamespaces []string `json:"readNamespaces,omitempty"`
	// Baseline is the --baseline file, when one was given.
	Baseline string       `json:"baseline,omitempty"`
	Summary  AuditSummary `json:"summary"`
	Findings []FindingDoc `json:"findings"`
	Fix      *FixDoc      `json:"fix,omitempty"`

	// ToolVersion goes into SARIF output.
	ToolVersion string `json:"-"`
	// Demo is true when the snapshot is the bundled demo, whose files SARIF
	// names by their path in the repository.
	Demo bool `json:"-"`
}

// AuditSummary counts the findings.
type AuditSummary struct {
	Total int `json:"total"`
	// BySeverity has every severity, zero counts included.
	BySeverity map[string]int `json:"bySeverity"`
	// New counts the findings not in the baseline (all of them without one).
	New int `json:"new"`
	// Failing counts the new findings at or above failOn: exit 1 when non-zero.
	Failing int `json:"failing"`
}

// FindingDoc is one finding.
type FindingDoc struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Title       string        `json:"title"`
	Severity    string        `json:"severity"`
	Key         string        `json:"key"`
	Resources   []ResourceDoc `json:"resources"`
	Message     string        `json:"message"`
	Evidence    []string      `json:"evidence"`
	Remediation string        `json:"remediation"`
	References  []string      `json:"references"`
	// InBaseline is true when the baseline holds the same id and key.
	InBaseline bool `json:"inBaseline,omitempty"`
}

// ResourceDoc is an object a finding is about, with where it was read.
type ResourceDoc struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	ID        string `json:"id"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
}

// FixDoc reports what --fix-dir wrote and what the written policies change.
type FixDoc struct {
	Dir       string       `json:"dir"`
	Files     []FixFileDoc `json:"files"`
	Cut       []MatrixEdge `json:"cut"`
	Closed    []FindingRef `json:"closed"`
	Remaining []FindingRef `json:"remaining"`
}

// FixFileDoc is one written file.
type FixFileDoc struct {
	Path      string   `json:"path"`
	Namespace string   `json:"namespace"`
	Policies  []string `json:"policies"`
}

// FindingRef names a finding by rule id and key.
type FindingRef struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// NewAuditDoc converts an audit. Findings present in the baseline (nil: none)
// do not count towards failing.
func NewAuditDoc(a *engine.Audit, failOn engine.Severity, baseline *Baseline) *AuditDoc {
	d := &AuditDoc{APIVersion: APIVersion, Kind: "Audit", Enforcement: EnforcementDoc{Enforced: a.Enforced, Reason: a.EnforcementReason},
		Pods: a.Pods, Namespaces: a.Namespaces, MaxReach: a.MaxReach * 100, FailOn: failOn.String(),
		ReadNamespaces: a.ReadNamespaces, Summary: AuditSummary{BySeverity: map[string]int{}}, Findings: []FindingDoc{}}
	if baseline != nil {
		d.Baseline = baseline.File
	}
	for _, s := range engine.Severities {
		d.Summary.BySeverity[s.String()] = 0
	}
	for _, f := range a.Findings {
		r := f.Rule()
		fd := FindingDoc{ID: f.RuleID, Name: r.Name, Title: r.Title, Severity: f.Severity.String(), Key: f.Key,
			Resources: []ResourceDoc{}, Message: f.Message, Evidence: append([]string{}, f.Evidence...),
			Remediation: r.Remediation, References: append([]string{}, r.References...)}
		for _, res := range f.Resources {
			fd.Resources = append(fd.Resources, ResourceDoc{Kind: res.Kind, Namespace: res.Namespace, Name: res.Name, ID: res.ID,
				File: res.Source.File, Line: res.Source.Line})
		}
		fd.InBaseline = baseline.Has(f.RuleID, f.Key)
		d.Summary.Total++
		d.Summary.BySeverity[fd.Severity]++
		if !fd.InBaseline {
			d.Summary.New++
			if failOn != 0 && f.Severity >= failOn {
				d.Summary.Failing++
			}
		}
		d.Findings = append(d.Findings, fd)
	}
	return d
}

// WriteAudit writes an audit as text (grouped by severity, coloured when
// color is set), md, json or sarif.
func WriteAudit(w io.Writer, d *AuditDoc, f Format, color bool) error {
	switch f {
	case JSON:
		return WriteJSON(w, d)
	case SARIF:
		return WriteJSON(w, NewSARIF(d))
	}
	bw := bufio.NewWriter(w)
	md := f == MD
	counts := make([]string, 0, 4)
	for _, s := range engine.Severities {
		counts = append(counts, fmt.Sprintf("%s %d", s, d.Summary.BySeverity[s.String()]))
	}
	enf := "policy enforcement: " + d.Enforcement.Reason
	if !d.Enforcement.Enforced {
		enf = "NetworkPolicy NOT ENFORCED: " + d.Enforcement.Reason
	}
	if md {
		fmt.Fprintf(bw, "# netreach audit\n\n")
	}
	fmt.Fprintf(bw, "Audit of %s in %s: %s (%s); %s\n", plural(d.Pods, "pod"), plural(d.Namespaces, "namespace"),
		plural(d.Summary.Total, "finding"), strings.Join(counts, ", "), enf)
	if len(d.ReadNamespaces) > 0 {
		fmt.Fprintf(bw, "%sPartial audit: %s\n", head(md), partialText(d.ReadNamespaces))
	}
	gate := fmt.Sprintf("--fail-on %s: %s", d.FailOn, plural(d.Summary.Failing, "failing finding"))
	if d.Baseline != "" {
		gate += fmt.Sprintf(" (%d new since the baseline %s)", d.Summary.New, d.Baseline)
	}
	if md {
		fmt.Fprintf(bw, "\n%s\n", gate)
	} else {
		fmt.Fprintln(bw, gate)
	}
	for _, sev := range engine.Severities {
		var list []FindingDoc
		for _, fd := range d.Findings {
			if fd.Severity == sev.String() {
				list = append(list, fd)
			}
		}
		if len(list) == 0 {
			continue
		}
		head := strings.ToUpper(sev.String())
		if md {
			fmt.Fprintf(bw, "\n## %s (%d)\n", head, len(list))
		} else {
			fmt.Fprintf(bw, "\n%s (%d)\n", paint(head, sev, color), len(list))
		}
		for i := 0; i < len(list); {
			j := i
			for j < len(list) && list[j].ID == list[i].ID {
				j++
			}
			writeRuleGroup(bw, list[i:j], md)
			i = j
		}
	}
	if d.Fix != nil {
		writeFixText(bw, d.Fix, md)
	}
	return bw.Flush()
}

func writeRuleGroup(w *bufio.Writer, list []FindingDoc, md bool) {
	r := list[0]
	if md {
		fmt.Fprintf(w, "\n### %s %s (%s)\n\n", r.ID, r.Title, plural(len(list), "finding"))
		fmt.Fprintf(w, "*Fix:* %s\n\n*References:* %s\n\n", r.Remediation, strings.Join(r.References, "; "))
		for _, f := range list {
			fmt.Fprintf(w, "- %s%s\n", f.Message, baselineMark(f))
			for _, e := range f.Evidence {
				fmt.Fprintf(w, "  - %s\n", e)
			}
		}
		return
	}
	fmt.Fprintf(w, "  %s %s (%s)\n", r.ID, r.Title, plural(len(list), "finding"))
	fmt.Fprintf(w, "    fix: %s\n", r.Remediation)
	fmt.Fprintf(w, "    refs: %s\n", strings.Join(r.References, "; "))
	for _, f := range list {
		fmt.Fprintf(w, "    * %s%s\n", f.Message, baselineMark(f))
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "        - %s\n", e)
		}
	}
}

func baselineMark(f FindingDoc) string {
	if f.InBaseline {
		return " [in baseline]"
	}
	return ""
}

func writeFixText(w *bufio.Writer, fx *FixDoc, md bool) {
	title := "Remediation written to " + fx.Dir
	if md {
		fmt.Fprintf(w, "\n## %s\n\n", title)
	} else {
		fmt.Fprintf(w, "\n%s\n", title)
	}
	item := "  "
	if md {
		item = "- "
	}
	for _, f := range fx.Files {
		fmt.Fprintf(w, "%s%s: %s\n", item, f.Path, strings.Join(f.Policies, ", "))
	}
	fmt.Fprintf(w, "%sfindings it closes: %d", head(md), len(fx.Closed))
	fmt.Fprintf(w, "; findings NR001-NR005 left after it: %d\n", len(fx.Remaining))
	for _, r := range fx.Remaining {
		fmt.Fprintf(w, "%s%s %s\n", item, r.ID, r.Key)
	}
	fmt.Fprintf(w, "%sconnections allowed today that it would cut: %d\n", head(md), len(fx.Cut))
	for _, e := range fx.Cut {
		fmt.Fprintf(w, "%s%s → %s : %s\n", item, e.Src, e.Dst, portsText(e.Ports))
	}
}

func head(md bool) string {
	if md {
		return "\n"
	}
	return ""
}

// paint colours a severity heading with ANSI escapes when color is set.
func paint(s string, sev engine.Severity, color bool) string {
	if !color {
		return s
	}
	code := map[engine.Severity]string{engine.SeverityCritical: "1;31", engine.SeverityHigh: "31", engine.SeverityMedium: "33", engine.SeverityLow: "36"}[sev]
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// partialText says what a partial audit covers.
func partialText(namespaces []string) string {
	return fmt.Sprintf("it covers only %s %s (-n); pods and policies elsewhere were not read, so rule peers that select them are not checked",
		map[bool]string{true: "namespace", false: "namespaces"}[len(namespaces) == 1], strings.Join(namespaces, ", "))
}
