package export

import (
	"sort"
	"strings"

	"github.com/netreach/netreach/model"
)

// sensitiveInbound and sensitiveOutbound are the network types whose exposure
// edges are drawn thick: what the internet may open connections to, and pods
// that may reach the cloud metadata service or the control plane.
var (
	sensitiveInbound  = map[string]bool{string(model.NetworkInternet): true}
	sensitiveOutbound = map[string]bool{string(model.NetworkCloudMetadata): true, string(model.NetworkControlPlane): true}
)

// ExposureDrawing draws the exposure report: each network, the workloads
// (boxed by namespace) that may open connections to it (blue edges) and those
// it may open connections to (red edges), labelled with the ports, "part of"
// when only some of its addresses are concerned. Exposure to the internet and
// reach into the cloud metadata service or the control plane are drawn thick.
func ExposureDrawing(d *ExposureDoc) *Drawing {
	dr := &Drawing{Name: "exposure", Title: "netreach: exposure to external networks", Legend: exposureLegend()}
	seen := map[string]bool{}
	addWorkload := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		ns, kind, name := splitWorkloadID(id)
		dr.Nodes = append(dr.Nodes, DrawNode{ID: id, Label: name + "\n" + kind, Tooltip: id, Cluster: ns,
			Attrs: [][2]string{{"shape", "box"}, {"style", "rounded,filled"}, {"fillcolor", "#f5f5f5"}}})
	}
	label := func(w WorkloadExposure) string {
		l := compactPorts(w.Ports)
		switch {
		case w.All:
			return l
		case l == "":
			return "part of it"
		}
		return "part of it: " + l
	}
	for _, n := range d.Networks {
		dr.Nodes = append(dr.Nodes, networkNode(n.ID, n.Name, n.Type))
		for _, side := range []struct {
			list      []WorkloadExposure
			out       bool
			colour    string
			sensitive map[string]bool
		}{{n.Outbound, true, colourOutbound, sensitiveOutbound}, {n.Inbound, false, colourInbound, sensitiveInbound}} {
			for _, w := range side.list {
				addWorkload(w.Workload)
				e := DrawEdge{Src: n.ID, Dst: w.Workload, Label: label(w), Attrs: [][2]string{{"color", side.colour}, {"fontcolor", side.colour}}}
				if side.out {
					e.Src, e.Dst = w.Workload, n.ID
				}
				if side.sensitive[n.Type] {
					e.Attrs = append(e.Attrs, [2]string{"penwidth", "2.5"})
				}
				dr.Edges = append(dr.Edges, e)
			}
		}
	}
	sortDrawNodes(dr.Nodes)
	dr.mergeEdges()
	return dr
}

// splitWorkloadID splits ns/Kind/name (a bare pod is ns/Pod/name).
func splitWorkloadID(id string) (ns, kind, name string) {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) != 3 {
		return "", "", id
	}
	return parts[0], parts[1], parts[2]
}

// exposureLegend explains the exposure picture, each row in its style.
func exposureLegend() []DrawNode {
	text := func(id, label, colour string) DrawNode {
		return DrawNode{ID: "legend:" + id, Label: label, Cluster: legendCluster,
			Attrs: [][2]string{{"shape", "plaintext"}, {"fontcolor", colour}}}
	}
	// Rows are declared bottom-up (see isolationLegend).
	return []DrawNode{
		text("box", "edge at a box's frame: every node in the box", "#444444"),
		text("part", "\"part of it\": only some addresses of the network", "#444444"),
		text("thick", "thick: internet in, metadata or control plane out", "#444444"),
		text("out", "blue edge: connections out to a network", colourOutbound),
		text("in", "red edge: a network may connect in", colourInbound),
		{ID: "legend:network", Label: "external network (shape by type)", Cluster: legendCluster,
			Attrs: [][2]string{{"shape", "hexagon"}, {"style", "filled"}, {"fillcolor", colourNetwork}}},
	}
}

func sortDrawNodes(nodes []DrawNode) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
}
