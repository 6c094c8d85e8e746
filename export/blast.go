package export

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/netreach/netreach/engine"
)

// BlastDoc is the JSON document of `netreach blast-radius -o json`
// (schema: docs/schema/blastradius.schema.json).
type BlastDoc struct {
	APIVersion  string         `json:"apiVersion"`
	Kind        string         `json:"kind"`
	Source      string         `json:"source"`
	SourcePods  []string       `json:"sourcePods"`
	ReachedPods int            `json:"reachedPods"`
	TotalPods   int            `json:"totalPods"`
	Percent     float64        `json:"percent"`
	Namespaces  []string       `json:"namespaces"`
	Hops        []BlastHop     `json:"hops"`
	Networks    []BlastNetwork `json:"networks"`
	Targets     []BlastTarget  `json:"targets,omitempty"`
}

// BlastHop lists the workloads first reached at one hop.
type BlastHop struct {
	Hop       int             `json:"hop"`
	Workloads []BlastWorkload `json:"workloads"`
}

// BlastWorkload is a reached workload.
type BlastWorkload struct {
	Workload string   `json:"workload"`
	Pods     []string `json:"pods"`
	Ports    PortsDoc `json:"ports"`
	Path     []string `json:"path"`
}

// BlastNetwork is a reached network.
type BlastNetwork struct {
	Network string   `json:"network"`
	Hop     int      `json:"hop"`
	Ports   PortsDoc `json:"ports"`
}

// BlastTarget is a crown-jewel pod and every shortest path to it.
type BlastTarget struct {
	Pod     string     `json:"pod"`
	Reached bool       `json:"reached"`
	Hops    int        `json:"hops,omitempty"`
	Paths   [][]string `json:"paths"`
	// PathPorts gives, for each path, the ports of each of its steps.
	PathPorts [][]PortsDoc `json:"pathPorts"`
	// MorePaths reports that there are more shortest paths than Paths
	// lists (blast-radius --max-paths).
	MorePaths bool `json:"morePaths,omitempty"`
}

// NewBlastDoc converts a blast radius.
func NewBlastDoc(source string, b *engine.Blast) *BlastDoc {
	d := &BlastDoc{APIVersion: APIVersion, Kind: "BlastRadius", Source: source, SourcePods: []string{},
		ReachedPods: b.ReachedPods, TotalPods: b.TotalPods, Namespaces: append([]string{}, b.Namespaces...),
		Hops: []BlastHop{}, Networks: []BlastNetwork{}}
	for _, p := range b.Sources {
		d.SourcePods = append(d.SourcePods, p.ID())
	}
	if b.TotalPods > 0 {
		d.Percent = float64(int(1000*float64(b.ReachedPods)/float64(b.TotalPods)+0.5)) / 10
	}
	for i, hop := range b.Hops {
		h := BlastHop{Hop: i + 1, Workloads: []BlastWorkload{}}
		for _, w := range hop {
			h.Workloads = append(h.Workloads, BlastWorkload{Workload: w.Workload, Pods: w.Pods, Ports: NewPortsDoc(w.Ports), Path: w.Path})
		}
		d.Hops = append(d.Hops, h)
	}
	for _, n := range b.Networks {
		d.Networks = append(d.Networks, BlastNetwork{Network: n.Network, Hop: n.Hop, Ports: NewPortsDoc(n.Ports)})
	}
	for _, t := range b.Targets {
		bt := BlastTarget{Pod: t.Pod, Reached: t.Reached, Hops: t.Hops, Paths: t.Paths, PathPorts: [][]PortsDoc{}, MorePaths: t.More}
		if bt.Paths == nil {
			bt.Paths = [][]string{}
		}
		for _, steps := range t.Ports {
			docs := []PortsDoc{}
			for _, p := range steps {
				docs = append(docs, NewPortsDoc(p))
			}
			bt.PathPorts = append(bt.PathPorts, docs)
		}
		d.Targets = append(d.Targets, bt)
	}
	return d
}

// WriteBlast writes a blast radius as text (a tree by hop), JSON, DOT or SVG.
func WriteBlast(w io.Writer, doc *BlastDoc, f Format, targetDesc string) error {
	switch f {
	case JSON:
		return WriteJSON(w, doc)
	case DOT:
		return writeBlastDOT(w, doc)
	case SVG:
		var dot bytes.Buffer
		if err := writeBlastDOT(&dot, doc); err != nil {
			return err
		}
		return Render(w, dot.Bytes(), SVG)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Blast radius of %s (%s): reaches %s of %d (%.1f%%) in %s, and %s\n",
		doc.Source, plural(len(doc.SourcePods), "pod"), plural(doc.ReachedPods, "pod"), doc.TotalPods, doc.Percent,
		plural(len(doc.Namespaces), "namespace"), plural(len(doc.Networks), "network"))
	for _, h := range doc.Hops {
		fmt.Fprintf(bw, "\nhop %d:\n", h.Hop)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		for _, wl := range h.Workloads {
			fmt.Fprintf(tw, "  %s\t%s\t%s\tvia %s\n", wl.Workload, plural(len(wl.Pods), "pod"), portsText(wl.Ports), strings.Join(wl.Path, " → "))
		}
		tw.Flush()
	}
	if len(doc.Networks) > 0 {
		fmt.Fprintln(bw, "\nnetworks:")
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		for _, n := range doc.Networks {
			fmt.Fprintf(tw, "  %s\thop %d\t%s\n", n.Network, n.Hop, portsText(n.Ports))
		}
		tw.Flush()
	}
	if targetDesc != "" {
		fmt.Fprintf(bw, "\ntargets (%s):\n", targetDesc)
		if len(doc.Targets) == 0 {
			fmt.Fprintln(bw, "  no pod matches")
		}
		for _, t := range doc.Targets {
			if !t.Reached {
				fmt.Fprintf(bw, "  %s: no path\n", t.Pod)
				continue
			}
			fmt.Fprintf(bw, "  %s: %s\n", t.Pod, plural(t.Hops, "hop"))
			for _, p := range t.Paths {
				fmt.Fprintf(bw, "    %s\n", strings.Join(p, " → "))
			}
			if t.MorePaths {
				fmt.Fprintf(bw, "    … and more shortest paths, not listed\n")
			}
		}
	}
	return bw.Flush()
}

// writeBlastDOT draws the blast radius as a Graphviz digraph: the source, every
// reached workload grouped by namespace, the hop edges of the shown shortest
// paths labelled with their ports, and the paths to --target highlighted.
func writeBlastDOT(w io.Writer, doc *BlastDoc) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph blast_radius {")
	fmt.Fprintln(bw, `  rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];`)
	fmt.Fprintf(bw, "  %q [fillcolor=\"#ffcccc\", penwidth=2, label=%q];\n", doc.Source, doc.Source+"\n(source)")
	byNS := map[string][]string{}
	var nsOrder []string
	hopOf := map[string]int{}
	for _, h := range doc.Hops {
		for _, wl := range h.Workloads {
			if _, seen := hopOf[wl.Workload]; seen {
				continue
			}
			hopOf[wl.Workload] = h.Hop
			ns := strings.SplitN(wl.Workload, "/", 2)[0]
			if _, ok := byNS[ns]; !ok {
				nsOrder = append(nsOrder, ns)
			}
			byNS[ns] = append(byNS[ns], wl.Workload)
		}
	}
	sort.Strings(nsOrder)
	for i, ns := range nsOrder {
		fmt.Fprintf(bw, "  subgraph cluster_%d {\n    label=%q; style=dashed;\n", i, ns)
		for _, wl := range byNS[ns] {
			if wl == doc.Source {
				continue
			}
			fmt.Fprintf(bw, "    %q [label=%q];\n", wl, fmt.Sprintf("%s\nhop %d", wl, hopOf[wl]))
		}
		fmt.Fprintln(bw, "  }")
	}
	// Paths start at the source workload; draw them from the source node.
	fromSource := func(p []string) []string { return append([]string{doc.Source}, p[1:]...) }
	hot := map[[2]string]bool{}
	for _, t := range doc.Targets {
		for _, p := range t.Paths {
			p = fromSource(p)
			for i := 1; i < len(p); i++ {
				hot[[2]string{p[i-1], p[i]}] = true
			}
		}
	}
	edges := map[[2]string]string{}
	var order [][2]string
	for _, h := range doc.Hops {
		for _, wl := range h.Workloads {
			p := fromSource(wl.Path)
			for i := 1; i < len(p); i++ {
				k := [2]string{p[i-1], p[i]}
				if _, ok := edges[k]; !ok {
					order = append(order, k)
					edges[k] = ""
				}
				if i == len(p)-1 {
					edges[k] = portsText(wl.Ports)
				}
			}
		}
	}
	// Attack-path steps are labelled with their own ports (the union over
	// the paths that share the step).
	stepPorts := map[[2]string]PortsDoc{}
	for _, t := range doc.Targets {
		for pi, p := range t.Paths {
			p = fromSource(p)
			for i := 1; i < len(p); i++ {
				k := [2]string{p[i-1], p[i]}
				if _, ok := edges[k]; !ok {
					order = append(order, k)
					edges[k] = ""
				}
				if pi < len(t.PathPorts) && i-1 < len(t.PathPorts[pi]) {
					stepPorts[k] = stepPorts[k].union(t.PathPorts[pi][i-1])
				}
			}
		}
	}
	for k, p := range stepPorts {
		edges[k] = portsText(p)
	}
	for _, k := range order {
		attrs := fmt.Sprintf("label=%q", edges[k])
		if hot[k] {
			attrs += `, color="#d62728", penwidth=2.5, fontcolor="#d62728"`
		}
		fmt.Fprintf(bw, "  %q -> %q [%s];\n", k[0], k[1], attrs)
	}
	for _, n := range doc.Networks {
		fmt.Fprintf(bw, "  %q [shape=ellipse, fillcolor=\"#dde8f7\", label=%q];\n", n.Network, fmt.Sprintf("%s\nhop %d", n.Network, n.Hop))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
