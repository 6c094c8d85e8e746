package peers

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteTable writes the results as a Markdown table, one row per case.
func WriteTable(w io.Writer, rs []*Result) {
	fmt.Fprintln(w, "| case | pods | workloads | namespaces | policies | hostNetwork pods | netpol-analyzer (read + connlist) | netreach (load + compile + matrix) | ratio | pairs netpol-analyzer | pairs netreach | agreement |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rs {
		if r.NPA == nil {
			fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | failed | %s (%s + %s) | – | – | %d | %s |\n",
				r.Case.Name, r.Pods, r.Workloads(), r.Namespaces, r.Policies, r.HostNetworkPods,
				dur(r.Netreach.Total()), dur(r.Netreach.Read), dur(r.Netreach.Analyze), len(r.Netreach.Edges), r.Agreement())
			continue
		}
		ratio := float64(r.NPA.Total()) / float64(r.Netreach.Total())
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %s (%s + %s) | %s (%s + %s) | %s | %d | %d | %s |\n",
			r.Case.Name, r.Pods, r.Workloads(), r.Namespaces, r.Policies, r.HostNetworkPods,
			dur(r.NPA.Total()), dur(r.NPA.Read), dur(r.NPA.Analyze),
			dur(r.Netreach.Total()), dur(r.Netreach.Read), dur(r.Netreach.Analyze),
			fmtRatio(ratio), len(r.NPA.Edges), len(r.Netreach.Edges), r.Agreement())
	}
}

func fmtRatio(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f×", x)
	case x >= 10:
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// dur renders a duration with three significant digits.
func dur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return fmt.Sprintf("%.1f min", d.Minutes())
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// WriteDetails writes, per case, every kind of difference with up to
// examples examples, the workloads only one tool sees, and each tool's
// problems (warnings, errors, connections that did not parse).
func WriteDetails(w io.Writer, rs []*Result, examples int) {
	for _, r := range rs {
		fmt.Fprintf(w, "### %s (seed %d)\n\n", r.Case.Name, r.Case.Seed)
		fmt.Fprintf(w, "- manifests: %.1f MB of YAML in %s\n", float64(r.ManifestBytes)/1e6, r.ManifestDir)
		fmt.Fprintf(w, "- netreach runs: %s; netpol-analyzer runs: %s\n", durs(r.NetreachTimes), durs(r.NPATimes))
		fmt.Fprintf(w, "- agreement: %s\n", r.Agreement())
		if r.NPA == nil {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "- connections to or from address ranges, left out: netreach %d, netpol-analyzer %d\n",
			r.Netreach.External, r.NPA.External)
		fmt.Fprintf(w, "- egress rules split for netpol-analyzer (named port with ipBlock or no peer): %d; pairs where netreach's answer changed by the split: %d\n",
			r.SplitRules, len(r.RewriteChanges))
		for _, d := range head(r.RewriteChanges, examples) {
			fmt.Fprintf(w, "  - `%s` → `%s`: original `%s`, rewritten `%s` [%s]\n", d.Src, d.Dst, d.Netreach, d.NPA, d.Reason)
		}
		list := func(title string, ws []string) {
			if len(ws) == 0 {
				return
			}
			fmt.Fprintf(w, "- %s (%d): %s\n", title, len(ws), strings.Join(head(ws, examples), ", "))
		}
		list("workloads only netreach reports", r.OnlyNetreachWL)
		list("workloads only netpol-analyzer reports", r.OnlyNPAWL)
		groups := map[[2]string][]Difference{}
		var keys [][2]string
		for _, d := range r.Differences {
			k := [2]string{d.Kind, d.Reason}
			if groups[k] == nil {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], d)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
		for _, k := range keys {
			fmt.Fprintf(w, "- %s, %s: %d pairs, e.g.\n", k[0], k[1], len(groups[k]))
			for _, d := range head(groups[k], examples) {
				fmt.Fprintf(w, "  - `%s` → `%s`: netreach `%s`, netpol-analyzer `%s`", d.Src, d.Dst, d.Netreach, d.NPA)
				if len(d.NPAAnswers) > 0 {
					fmt.Fprintf(w, " (asked again: `%s`)", strings.Join(d.NPAAnswers, "` or `"))
				}
				fmt.Fprintln(w)
			}
		}
		for _, side := range []struct {
			name string
			a    *Answer
		}{{"netreach", r.Netreach}, {"netpol-analyzer", r.NPA}} {
			if len(side.a.Problems) == 0 {
				continue
			}
			fmt.Fprintf(w, "- %s reported %d problems, e.g.\n", side.name, len(side.a.Problems))
			for _, p := range head(side.a.Problems, examples) {
				fmt.Fprintf(w, "  - %s\n", p)
			}
		}
		fmt.Fprintln(w)
	}
}

func durs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = dur(d)
	}
	return strings.Join(s, ", ")
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// WriteDifferences writes every difference of every case as tab-separated
// values: case, source, destination, kind, reason, netreach's ports,
// netpol-analyzer's ports.
func WriteDifferences(w io.Writer, rs []*Result) {
	fmt.Fprintln(w, "case\tsrc\tdst\tkind\treason\tnetreach\tnetpol-analyzer")
	for _, r := range rs {
		if r.NPA == nil {
			continue
		}
		for _, d := range r.Differences {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Case.Name, d.Src, d.Dst, d.Kind, d.Reason, d.Netreach, d.NPA)
		}
	}
}
