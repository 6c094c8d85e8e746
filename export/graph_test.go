package export

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMergeEdges checks when edges collapse into one at a box's frame and
// when opposite edges become one double-headed edge.
func TestMergeEdges(t *testing.T) {
	nodes := func() []DrawNode {
		return []DrawNode{{ID: "a/1", Cluster: "a"}, {ID: "a/2", Cluster: "a"}, {ID: "b/1", Cluster: "b"}, {ID: "b/2", Cluster: "b"}, {ID: "n", Cluster: networksCluster}}
	}
	tcp := func(src, dst, label string) DrawEdge { return DrawEdge{Src: src, Dst: dst, Label: label} }
	tests := []struct {
		name  string
		edges []DrawEdge
		want  []DrawEdge
	}{
		{"every node of a reaches b/1 alike: one edge from a's frame",
			[]DrawEdge{tcp("a/1", "b/1", "TCP 80"), tcp("a/2", "b/1", "TCP 80")},
			[]DrawEdge{{Src: "a/1", Dst: "b/1", Tail: "a", Label: "TCP 80"}}},
		{"different ports: no merge",
			[]DrawEdge{tcp("a/1", "b/1", "TCP 80"), tcp("a/2", "b/1", "TCP 81")},
			[]DrawEdge{tcp("a/1", "b/1", "TCP 80"), tcp("a/2", "b/1", "TCP 81")}},
		{"not every node of a: no merge",
			[]DrawEdge{tcp("a/1", "b/1", "TCP 80")},
			[]DrawEdge{tcp("a/1", "b/1", "TCP 80")}},
		{"box to box",
			[]DrawEdge{tcp("a/1", "b/1", ""), tcp("a/2", "b/1", ""), tcp("a/1", "b/2", ""), tcp("a/2", "b/2", "")},
			[]DrawEdge{{Src: "a/1", Dst: "b/1", Tail: "a", Head: "b"}}},
		{"inside one box: never merged to its own frame",
			[]DrawEdge{tcp("a/1", "a/2", ""), tcp("a/2", "a/1", "")},
			[]DrawEdge{{Src: "a/1", Dst: "a/2", Both: true}}},
		{"opposite edges with different ports stay two",
			[]DrawEdge{tcp("a/1", "n", "TCP 1"), tcp("n", "a/1", "TCP 2")},
			[]DrawEdge{tcp("a/1", "n", "TCP 1"), tcp("n", "a/1", "TCP 2")}},
		{"a network box of one node is not a frame",
			[]DrawEdge{tcp("n", "b/1", ""), tcp("n", "b/2", "")},
			[]DrawEdge{{Src: "n", Dst: "b/1", Head: "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dr := &Drawing{Nodes: nodes(), Edges: tc.edges}
			dr.mergeEdges()
			if diff := cmp.Diff(tc.want, dr.Edges); diff != "" {
				t.Errorf("merged edges (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompactPorts(t *testing.T) {
	tests := []struct {
		ports PortsDoc
		want  string
	}{
		{PortsDoc{"TCP": {{1, 65535}}, "UDP": {{1, 65535}}, "SCTP": {{1, 65535}}}, ""},
		{PortsDoc{"TCP": {{1, 65535}}}, "TCP all"},
		{PortsDoc{"TCP": {{80, 80}, {443, 443}}, "UDP": {{53, 53}}}, "TCP 80,443 · UDP 53"},
		{PortsDoc{"TCP": {{1, 1}, {3, 3}, {5, 9}, {11, 11}, {13, 13}}}, "TCP 1,3,5-9 +2"},
	}
	for _, tc := range tests {
		if got := compactPorts(tc.ports); got != tc.want {
			t.Errorf("compactPorts(%v) = %q, want %q", tc.ports, got, tc.want)
		}
	}
}
