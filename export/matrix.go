package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
)

// MatrixNode is a node of the Matrix JSON document (DESIGN.md §4; schema:
// docs/schema/matrix.schema.json).
type MatrixNode struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Workload  string   `json:"workload,omitempty"`
	IP        string   `json:"ip,omitempty"`
	Type      string   `json:"type,omitempty"`
	CIDRs     []string `json:"cidrs,omitempty"`
}

// MatrixEdge is an edge of the Matrix JSON document.
type MatrixEdge struct {
	Src   string   `json:"src"`
	Dst   string   `json:"dst"`
	Ports PortsDoc `json:"ports"`
}

// WriteMatrix streams a connectivity matrix as text, md, csv or json. Edges are
// written as the engine produces them, so a large matrix is never built as one
// string in memory.
func WriteMatrix(w io.Writer, m *engine.Matrix, level engine.Level, f Format) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var err error
	switch f {
	case JSON:
		err = writeMatrixJSON(bw, m, level)
	case CSV:
		err = writeMatrixCSV(bw, m)
	case MD:
		err = writeMatrixTable(bw, m, true)
	default:
		err = writeMatrixTable(bw, m, false)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func matrixNodes(m *engine.Matrix) []MatrixNode {
	nodes := make([]MatrixNode, 0, len(m.Nodes))
	for _, n := range m.Nodes {
		nodes = append(nodes, MatrixNode{ID: n.ID, Kind: n.Kind, Namespace: n.Namespace, Name: n.Name,
			Workload: n.Workload, IP: n.IP, Type: string(n.Type), CIDRs: n.CIDRs})
	}
	sortNodes(nodes)
	return nodes
}

// sortNodes sorts by id, as every netreach document is.
func sortNodes(nodes []MatrixNode) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
}

func writeMatrixJSON(w *bufio.Writer, m *engine.Matrix, level engine.Level) error {
	fmt.Fprintf(w, "{\n  \"apiVersion\": %q,\n  \"kind\": \"Matrix\",\n  \"level\": %q,\n  \"nodes\": [", APIVersion, level)
	for i, n := range matrixNodes(m) {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n    ")
		w.Write(b)
	}
	w.WriteString("\n  ],\n  \"edges\": [")
	first := true
	err := m.Edges(func(e engine.Edge) error {
		b, err := json.Marshal(MatrixEdge{Src: e.Src, Dst: e.Dst, Ports: NewPortsDoc(e.Ports)})
		if err != nil {
			return err
		}
		if !first {
			w.WriteString(",")
		}
		first = false
		w.WriteString("\n    ")
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if !first {
		w.WriteString("\n  ")
	}
	w.WriteString("]\n}\n")
	return nil
}

func writeMatrixCSV(w *bufio.Writer, m *engine.Matrix) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"src", "dst", "tcp", "udp", "sctp"}); err != nil {
		return err
	}
	err := m.Edges(func(e engine.Edge) error {
		row := []string{e.Src, e.Dst}
		for _, p := range evaluator.Protocols {
			row = append(row, rangesText(e.Ports.Ranges(p)))
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// rangesText renders ranges as "80,443,8000-8080", "all" for 1-65535, "" for none.
func rangesText(rs []evaluator.PortRange) string {
	if len(rs) == 1 && rs[0] == (evaluator.PortRange{From: 1, To: 65535}) {
		return "all"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.From == r.To {
			parts[i] = fmt.Sprint(r.From)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.From, r.To)
		}
	}
	return strings.Join(parts, ",")
}

// writeMatrixTable writes "src → dst : ports" lines aligned on the longest node
// id, or a Markdown table.
func writeMatrixTable(w *bufio.Writer, m *engine.Matrix, md bool) error {
	width := 0
	for _, n := range m.Nodes {
		width = max(width, len(n.ID))
	}
	if md {
		w.WriteString("| source | destination | ports |\n|---|---|---|\n")
	}
	count := 0
	err := m.Edges(func(e engine.Edge) error {
		count++
		if md {
			_, err := fmt.Fprintf(w, "| `%s` | `%s` | %s |\n", e.Src, e.Dst, e.Ports)
			return err
		}
		_, err := fmt.Fprintf(w, "%-*s → %-*s : %s\n", width, e.Src, width, e.Dst, e.Ports)
		return err
	})
	if err != nil {
		return err
	}
	if count == 0 {
		if md {
			w.WriteString("| *(no allowed connections)* | | |\n")
		} else {
			w.WriteString("no allowed connections\n")
		}
	}
	return nil
}
