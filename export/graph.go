package export

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/model"
)

// The size above which a drawing is refused as unreadable (drawn nodes and
// drawn edges, after merging); `graph --force` draws it anyway.
const (
	MaxDrawnNodes = 150
	MaxDrawnEdges = 600
)

// GraphDoc is the drawing model of `netreach graph`: the nodes of a matrix
// level (or of one node's neighbourhood) with their isolation, and the matrix
// edges between them.
type GraphDoc struct {
	Level engine.Level
	// Focus is the --focus endpoint as given, empty for the whole graph.
	Focus string
	// Nodes are sorted by id; Edges by source then destination.
	Nodes []GraphNode
	Edges []MatrixEdge
}

// GraphNode is a node to draw.
type GraphNode struct {
	MatrixNode
	// Isolation counts the node's pods and those isolated per direction.
	Isolation engine.NodeIsolation
	// Focused marks the nodes --focus names.
	Focused bool
}

// NewGraphDoc builds the drawing model from a matrix. With focus ids (node
// ids at the matrix level), only those nodes, the nodes they have an edge
// with, and the edges touching the focus are kept.
func NewGraphDoc(m *engine.Matrix, level engine.Level, focusName string, focus []string) (*GraphDoc, error) {
	d := &GraphDoc{Level: level, Focus: focusName, Edges: []MatrixEdge{}}
	focused := map[string]bool{}
	for _, id := range focus {
		focused[id] = true
	}
	keep := map[string]bool{}
	err := m.Edges(func(e engine.Edge) error {
		if len(focus) > 0 && !focused[e.Src] && !focused[e.Dst] {
			return nil
		}
		keep[e.Src], keep[e.Dst] = true, true
		d.Edges = append(d.Edges, MatrixEdge{Src: e.Src, Dst: e.Dst, Ports: NewPortsDoc(e.Ports)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	iso := m.Isolation()
	for i, n := range m.Nodes {
		if len(focus) > 0 && !keep[n.ID] && !focused[n.ID] {
			continue
		}
		d.Nodes = append(d.Nodes, GraphNode{MatrixNode: MatrixNode{ID: n.ID, Kind: n.Kind, Namespace: n.Namespace, Name: n.Name,
			Workload: n.Workload, IP: n.IP, Type: string(n.Type), CIDRs: n.CIDRs}, Isolation: iso[i], Focused: focused[n.ID]})
	}
	sort.Slice(d.Nodes, func(i, j int) bool { return d.Nodes[i].ID < d.Nodes[j].ID })
	return d, nil
}

// WriteGraph writes the graph as DOT, SVG, PNG or a Matrix JSON document of
// the drawn nodes and edges. Pictures larger than MaxDrawnNodes or
// MaxDrawnEdges are refused with a hint unless force is set.
func WriteGraph(w io.Writer, d *GraphDoc, f Format, force bool) error {
	if f == JSON {
		nodes := make([]MatrixNode, len(d.Nodes))
		for i, n := range d.Nodes {
			nodes[i] = n.MatrixNode
		}
		return WriteJSON(w, struct {
			APIVersion string       `json:"apiVersion"`
			Kind       string       `json:"kind"`
			Level      engine.Level `json:"level"`
			Nodes      []MatrixNode `json:"nodes"`
			Edges      []MatrixEdge `json:"edges"`
		}{APIVersion, "Matrix", d.Level, nodes, d.Edges})
	}
	dr := d.Drawing()
	if !force {
		if err := dr.CheckSize(); err != nil {
			return err
		}
	}
	return dr.Write(w, f)
}

// TooBigError says that a drawing would be unreadable, and what to do.
type TooBigError struct {
	Nodes, Edges int
	Hint         string
}

// Error returns the message with the hint.
func (e *TooBigError) Error() string {
	return fmt.Sprintf("the picture would have %d nodes and %d edges (readable up to %d and %d): %s", e.Nodes, e.Edges, MaxDrawnNodes, MaxDrawnEdges, e.Hint)
}

// Drawing is a picture ready for Graphviz: nodes grouped into namespace
// clusters, edges merged, styles chosen, a legend.
type Drawing struct {
	// Name is the DOT graph name, Title its caption.
	Name, Title string
	// Hint says how to get a smaller picture when this one is too big.
	Hint  string
	Nodes []DrawNode
	Edges []DrawEdge
	// Legend holds nodes that explain the styles, drawn in their own box.
	Legend []DrawNode
}

// DrawNode is a node of a drawing.
type DrawNode struct {
	ID, Label, Tooltip string
	// Cluster is the namespace box the node is drawn in ("" for none).
	Cluster string
	// Attrs are further Graphviz attributes (shape, style, colours).
	Attrs [][2]string
}

// DrawEdge is an edge of a drawing. Tail and Head, when set, are clusters the
// edge stands for: every node of the cluster has this edge.
type DrawEdge struct {
	Src, Dst   string
	Tail, Head string
	Label      string
	// Both marks an edge drawn once for both directions.
	Both  bool
	Attrs [][2]string
}

// Colours of the pictures.
const (
	colourIsolated = "#c8e6c9" // every pod restricted for ingress
	colourPartial  = "#ffe9a8" // some pods restricted for ingress
	colourOpen     = "#f6c1c1" // no pod restricted for ingress
	colourNetwork  = "#d6e4f5"
	colourInbound  = "#c62828" // a network may connect in
	colourOutbound = "#1f5fa8" // connections out to a network
	colourEdge     = "#6b6b6b"
)

// networksCluster is the cluster key of the external networks' box; no
// namespace can have this name.
const networksCluster = "net:"

// legendCluster is the cluster key of the legend.
const legendCluster = "legend:"

// clusterLabel is the caption of a cluster's box.
func clusterLabel(key string) string {
	switch key {
	case networksCluster:
		return "external networks"
	case legendCluster:
		return "legend"
	}
	return key
}

// networkShapes gives each network type its own shape.
var networkShapes = map[model.NetworkType]string{
	model.NetworkInternet:      "doubleoctagon",
	model.NetworkCloudMetadata: "cylinder",
	model.NetworkControlPlane:  "house",
	model.NetworkNodes:         "box3d",
}

// networkNode draws a catalogue network.
func networkNode(id, name, typ string) DrawNode {
	shape := networkShapes[model.NetworkType(typ)]
	if shape == "" {
		shape = "hexagon"
	}
	label := name
	if typ != name {
		label += "\n(" + typ + ")"
	}
	return DrawNode{ID: id, Label: label, Tooltip: id + " (" + typ + " network)", Cluster: networksCluster,
		Attrs: [][2]string{{"shape", shape}, {"style", "filled"}, {"fillcolor", colourNetwork}}}
}

// isolationStyle colours a node by its ingress isolation and dashes its border
// when some pod's egress is open.
func isolationStyle(iso engine.NodeIsolation) [][2]string {
	fill := colourPartial
	switch iso.Ingress {
	case iso.Pods:
		fill = colourIsolated
	case 0:
		fill = colourOpen
	}
	style := "rounded,filled"
	if iso.Egress < iso.Pods {
		style += ",dashed"
	}
	return [][2]string{{"shape", "box"}, {"style", style}, {"fillcolor", fill}}
}

// isolationLegend explains isolationStyle, the network shapes and the edges,
// each row drawn in the style it explains.
func isolationLegend() []DrawNode {
	row := func(id, label string, attrs ...[2]string) DrawNode {
		return DrawNode{ID: "legend:" + id, Label: label, Cluster: legendCluster, Attrs: attrs}
	}
	text := func(id, label, colour string) DrawNode {
		return row(id, label, [2]string{"shape", "plaintext"}, [2]string{"fontcolor", colour})
	}
	// Graphviz stacks the rows of one rank bottom-up in a left-to-right
	// layout: the last row declared is drawn at the top.
	return []DrawNode{
		text("box", "edge at a box's frame: every node in the box", "#444444"),
		text("ports", "edge without label: every port", "#444444"),
		text("out", "blue edge: connections out to a network", colourOutbound),
		text("in", "red edge: a network may connect in", colourInbound),
		row("network", "external network (shape by type)", [2]string{"shape", "hexagon"}, [2]string{"style", "filled"}, [2]string{"fillcolor", colourNetwork}),
		row("egress", "dashed: egress open for some pod", [2]string{"shape", "box"}, [2]string{"style", "rounded,dashed"}),
		row("open", "no pod restricted for ingress", isolationStyle(engine.NodeIsolation{Pods: 2, Egress: 2})...),
		row("partial", "some pods restricted for ingress", isolationStyle(engine.NodeIsolation{Pods: 2, Ingress: 1, Egress: 2})...),
		row("isolated", "every pod restricted for ingress", isolationStyle(engine.NodeIsolation{Pods: 2, Ingress: 2, Egress: 2})...),
	}
}

// Drawing turns the graph into a picture.
func (d *GraphDoc) Drawing() *Drawing {
	dr := &Drawing{Name: "netreach", Legend: isolationLegend(),
		Title: fmt.Sprintf("netreach: allowed connections, %s level", d.Level),
		Hint:  "draw --level namespace, or one workload's neighbourhood with --focus NS/KIND/NAME (or --force to draw it anyway)"}
	if d.Focus != "" {
		dr.Title += ", around " + d.Focus
		dr.Hint = "draw it at a coarser --level (or --force to draw it anyway)"
	}
	if d.Level == engine.LevelNamespace {
		dr.Hint = "draw one namespace's neighbourhood with --focus NAMESPACE (or --force to draw it anyway)"
	}
	isNet := map[string]bool{}
	for _, n := range d.Nodes {
		if n.Kind == "Network" {
			isNet[n.ID] = true
			dr.Nodes = append(dr.Nodes, networkNode(n.ID, n.Name, n.Type))
			continue
		}
		dn := DrawNode{ID: n.ID, Attrs: isolationStyle(n.Isolation)}
		switch d.Level {
		case engine.LevelNamespace:
			dn.Label = fmt.Sprintf("%s\n%s", n.Name, plural(n.Isolation.Pods, "pod"))
		case engine.LevelWorkload:
			dn.Label, dn.Cluster = n.Name+"\n"+n.Kind, n.Namespace
		default:
			dn.Label, dn.Cluster = n.Name, n.Namespace
		}
		dn.Tooltip = fmt.Sprintf("%s: %s, ingress restricted %d, egress restricted %d", n.ID, plural(n.Isolation.Pods, "pod"), n.Isolation.Ingress, n.Isolation.Egress)
		if n.Focused {
			dn.Attrs = append(dn.Attrs, [2]string{"penwidth", "3"})
		}
		dr.Nodes = append(dr.Nodes, dn)
	}
	for _, e := range d.Edges {
		de := DrawEdge{Src: e.Src, Dst: e.Dst, Label: compactPorts(e.Ports)}
		switch {
		case isNet[e.Src]:
			de.Attrs = [][2]string{{"color", colourInbound}, {"fontcolor", colourInbound}}
		case isNet[e.Dst]:
			de.Attrs = [][2]string{{"color", colourOutbound}, {"fontcolor", colourOutbound}}
		}
		dr.Edges = append(dr.Edges, de)
	}
	dr.mergeEdges()
	return dr
}

// compactPorts is a short edge label: empty for every port, or per protocol at most three
// ports or ranges and how many more ("TCP 80,443,8080-8090 +2 · UDP 53").
func compactPorts(p PortsDoc) string {
	var parts []string
	full := 0
	for _, proto := range []string{"TCP", "UDP", "SCTP"} {
		rs := p[proto]
		if len(rs) == 0 {
			continue
		}
		if len(rs) == 1 && rs[0] == [2]int32{1, 65535} {
			full++
			parts = append(parts, proto+" all")
			continue
		}
		var nums []string
		for _, r := range rs[:min(len(rs), 3)] {
			if r[0] == r[1] {
				nums = append(nums, fmt.Sprint(r[0]))
			} else {
				nums = append(nums, fmt.Sprintf("%d-%d", r[0], r[1]))
			}
		}
		more := ""
		if len(rs) > 3 {
			more = fmt.Sprintf(" +%d", len(rs)-3)
		}
		parts = append(parts, proto+" "+strings.Join(nums, ",")+more)
	}
	if full == 3 {
		return ""
	}
	return strings.Join(parts, " · ")
}

// mergeEdges draws fewer lines for the same facts: when every node of a
// namespace cluster has the same edge (same other end, same ports), one edge
// from or to the cluster's box replaces them; then two opposite edges with the
// same ports become one edge with arrows at both ends. The result is sorted.
func (dr *Drawing) mergeEdges() {
	members := map[string][]string{}
	clusterOf := map[string]string{}
	for _, n := range dr.Nodes {
		if n.Cluster != "" {
			members[n.Cluster] = append(members[n.Cluster], n.ID)
			clusterOf[n.ID] = n.Cluster
		}
	}
	// collapse merges the edges whose `near` end covers a whole cluster, among
	// edges that agree on everything else.
	collapse := func(edges []DrawEdge, tail bool) []DrawEdge {
		near := func(e *DrawEdge) string {
			if tail {
				return e.Src
			}
			return e.Dst
		}
		type key struct{ far, farBox, label, cluster, attrs string }
		keyOf := func(e *DrawEdge) key {
			k := key{label: e.Label, cluster: clusterOf[near(e)], attrs: fmt.Sprint(e.Attrs)}
			if tail {
				k.far, k.farBox = e.Dst, e.Head
			} else {
				k.far, k.farBox = e.Src, e.Tail
			}
			return k
		}
		groups := map[key]map[string]bool{}
		for i := range edges {
			e := &edges[i]
			k := keyOf(e)
			if k.cluster == "" || (tail && e.Tail != "") || (!tail && e.Head != "") {
				continue
			}
			if groups[k] == nil {
				groups[k] = map[string]bool{}
			}
			groups[k][near(e)] = true
		}
		var out []DrawEdge
		done := map[key]bool{}
		for _, e := range edges {
			k := keyOf(&e)
			g := groups[k]
			all := k.cluster != "" && len(members[k.cluster]) > 1 && len(g) == len(members[k.cluster]) && clusterOf[k.far] != k.cluster
			if !all || (tail && e.Tail != "") || (!tail && e.Head != "") {
				out = append(out, e)
				continue
			}
			if done[k] {
				continue
			}
			done[k] = true
			rep := members[k.cluster][0]
			if tail {
				e.Src, e.Tail = rep, k.cluster
			} else {
				e.Dst, e.Head = rep, k.cluster
			}
			out = append(out, e)
		}
		return out
	}
	edges := collapse(collapse(dr.Edges, true), false)
	sortDrawEdges(edges)
	// Opposite edges with the same label and attributes become one.
	type end struct{ node, box string }
	type key struct {
		a, b         end
		label, attrs string
	}
	index := map[key]int{}
	var out []DrawEdge
	for _, e := range edges {
		k := key{end{e.Src, e.Tail}, end{e.Dst, e.Head}, e.Label, fmt.Sprint(e.Attrs)}
		rev := key{k.b, k.a, k.label, k.attrs}
		if i, ok := index[rev]; ok && !out[i].Both {
			out[i].Both = true
			continue
		}
		index[k] = len(out)
		out = append(out, e)
	}
	dr.Edges = out
}

func sortDrawEdges(edges []DrawEdge) {
	sort.SliceStable(edges, func(i, j int) bool {
		a, b := edges[i], edges[j]
		if a.Src != b.Src {
			return a.Src < b.Src
		}
		if a.Dst != b.Dst {
			return a.Dst < b.Dst
		}
		if a.Tail != b.Tail {
			return a.Tail < b.Tail
		}
		return a.Head < b.Head
	})
}

// CheckSize returns a *TooBigError when the drawing is too big to read.
func (dr *Drawing) CheckSize() error {
	if len(dr.Nodes) > MaxDrawnNodes || len(dr.Edges) > MaxDrawnEdges {
		return &TooBigError{Nodes: len(dr.Nodes), Edges: len(dr.Edges), Hint: dr.Hint}
	}
	return nil
}

// Write writes the drawing as DOT, or renders it as SVG or PNG.
func (dr *Drawing) Write(w io.Writer, f Format) error {
	if f == DOT {
		return dr.WriteDOT(w)
	}
	var dot bytes.Buffer
	if err := dr.WriteDOT(&dot); err != nil {
		return err
	}
	return Render(w, dot.Bytes(), f)
}

// WriteDOT writes the drawing as a Graphviz digraph. Output is deterministic:
// clusters, nodes and edges in id order.
func (dr *Drawing) WriteDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotID(dr.Name))
	fmt.Fprintf(bw, "  graph [label=%s, labelloc=t, fontname=\"Helvetica\", fontsize=16, rankdir=LR, compound=true, nodesep=0.25, ranksep=0.9, newrank=true];\n", dotID(dr.Title))
	fmt.Fprintln(bw, `  node [fontname="Helvetica", fontsize=11, penwidth=1.2];`)
	fmt.Fprintf(bw, "  edge [fontname=\"Helvetica\", fontsize=9, color=%q, fontcolor=\"#444444\", arrowsize=0.7];\n", colourEdge)
	byCluster := map[string][]DrawNode{}
	var clusters []string
	for _, n := range append(append([]DrawNode{}, dr.Nodes...), dr.Legend...) {
		if _, ok := byCluster[n.Cluster]; !ok && n.Cluster != "" {
			clusters = append(clusters, n.Cluster)
		}
		byCluster[n.Cluster] = append(byCluster[n.Cluster], n)
	}
	sort.Strings(clusters)
	writeNode := func(indent string, n DrawNode) {
		attrs := append([][2]string{{"label", n.Label}, {"tooltip", n.Tooltip}}, n.Attrs...)
		fmt.Fprintf(bw, "%s%s [%s];\n", indent, dotID(n.ID), dotAttrs(attrs))
	}
	for _, c := range clusters {
		fmt.Fprintf(bw, "  subgraph %s {\n", dotID("cluster_"+c))
		tooltip := "namespace " + c
		switch c {
		case networksCluster:
			tooltip = "the networks of the catalogue"
		case legendCluster:
			tooltip = "what the styles mean"
		}
		fmt.Fprintf(bw, "    graph [label=%s, style=\"rounded\", color=\"#9e9e9e\", fontsize=13, tooltip=%s];\n", dotID(clusterLabel(c)), dotID(tooltip))
		for _, n := range byCluster[c] {
			writeNode("    ", n)
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, n := range byCluster[""] {
		writeNode("  ", n)
	}
	for _, e := range dr.Edges {
		attrs := [][2]string{{"label", e.Label}}
		if e.Tail != "" {
			tail := "box"
			if e.Both {
				tail = "normalbox"
			}
			attrs = append(attrs, [2]string{"ltail", "cluster_" + e.Tail}, [2]string{"arrowtail", tail})
		}
		if e.Head != "" {
			attrs = append(attrs, [2]string{"lhead", "cluster_" + e.Head}, [2]string{"arrowhead", "normalbox"})
		}
		if e.Both || e.Tail != "" {
			attrs = append(attrs, [2]string{"dir", "both"})
		}
		attrs = append(attrs, e.Attrs...)
		fmt.Fprintf(bw, "  %s -> %s [%s];\n", dotID(e.Src), dotID(e.Dst), dotAttrs(attrs))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotID quotes a DOT identifier or string.
func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func dotAttrs(attrs [][2]string) string {
	parts := make([]string, 0, len(attrs))
	for _, a := range attrs {
		if a[1] == "" && (a[0] == "label" || a[0] == "tooltip") {
			continue
		}
		parts = append(parts, a[0]+"="+dotID(a[1]))
	}
	return strings.Join(parts, ", ")
}
