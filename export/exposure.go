package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
)

// ExposureDoc is the JSON document of `netreach exposure -o json`
// (schema: docs/schema/exposure.schema.json).
type ExposureDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Networks   []NetworkExposure `json:"networks"`
}

// NetworkExposure is one network's exposure.
type NetworkExposure struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	CIDRs []string `json:"cidrs"`
	// Effective lists the ranges that belong to this network once more specific
	// networks of the catalogue have taken theirs.
	Effective []string           `json:"effective"`
	Outbound  []WorkloadExposure `json:"outbound"`
	Inbound   []WorkloadExposure `json:"inbound"`
}

// WorkloadExposure is one workload's connectivity with a network.
type WorkloadExposure struct {
	Workload string   `json:"workload"`
	Pods     int      `json:"pods"`
	Ports    PortsDoc `json:"ports"`
	// All is true when every address of the network is allowed the same ports.
	All    bool         `json:"all"`
	Ranges []RangeEntry `json:"ranges"`
}

// RangeEntry is a part of a network with its allowed ports.
type RangeEntry struct {
	Range string   `json:"range"`
	Ports PortsDoc `json:"ports"`
}

// NewExposureDoc converts the engine's exposures.
func NewExposureDoc(list []engine.Exposure) *ExposureDoc {
	d := &ExposureDoc{APIVersion: APIVersion, Kind: "Exposure", Networks: []NetworkExposure{}}
	for _, e := range list {
		n := NetworkExposure{ID: e.Network.ID(), Name: e.Network.Name, Type: string(e.Network.Type),
			CIDRs: []string{}, Effective: []string{}, Outbound: workloads(e.Outbound), Inbound: workloads(e.Inbound)}
		for _, c := range e.Network.CIDRs {
			n.CIDRs = append(n.CIDRs, c.String())
		}
		for _, r := range e.Effective {
			n.Effective = append(n.Effective, "ip:"+r.From().String()+"-"+r.To().String())
		}
		d.Networks = append(d.Networks, n)
	}
	return d
}

func workloads(list []engine.WorkloadExposure) []WorkloadExposure {
	out := []WorkloadExposure{}
	for _, w := range list {
		we := WorkloadExposure{Workload: w.Workload, Pods: w.Pods, Ports: NewPortsDoc(w.Ports()), All: w.All(), Ranges: []RangeEntry{}}
		for _, r := range w.Ranges() {
			we.Ranges = append(we.Ranges, RangeEntry{Range: "ip:" + r.Range.From().String() + "-" + r.Range.To().String(), Ports: NewPortsDoc(r.Ports)})
		}
		out = append(out, we)
	}
	return out
}

// WriteExposure writes the exposure report as text, md, csv, json, or a
// picture (dot, svg: see ExposureDrawing).
func WriteExposure(w io.Writer, list []engine.Exposure, f Format) error {
	doc := NewExposureDoc(list)
	switch f {
	case JSON:
		return WriteJSON(w, doc)
	case DOT, SVG:
		return ExposureDrawing(doc).Write(w, f)
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"network", "direction", "workload", "pods", "tcp", "udp", "sctp", "range"}); err != nil {
			return err
		}
		for _, e := range list {
			for _, side := range []struct {
				dir  string
				list []engine.WorkloadExposure
			}{{"outbound", e.Outbound}, {"inbound", e.Inbound}} {
				for _, we := range side.list {
					for _, r := range we.Ranges() {
						row := []string{e.Network.ID(), side.dir, we.Workload, fmt.Sprint(we.Pods)}
						for _, p := range evaluator.Protocols {
							row = append(row, rangesText(r.Ports.Ranges(p)))
						}
						row = append(row, "ip:"+r.Range.From().String()+"-"+r.Range.To().String())
						if err := cw.Write(row); err != nil {
							return err
						}
					}
				}
			}
		}
		cw.Flush()
		return cw.Error()
	}
	bw := bufio.NewWriter(w)
	for i, e := range list {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		cidrs := make([]string, len(e.Network.CIDRs))
		for j, c := range e.Network.CIDRs {
			cidrs[j] = c.String()
		}
		summary := strings.Join(cidrs, ", ")
		if len(cidrs) > 4 {
			summary = fmt.Sprintf("%d prefixes", len(cidrs))
		}
		if f == MD {
			fmt.Fprintf(bw, "## `%s` (%s: %s)\n\n", e.Network.ID(), e.Network.Type, summary)
		} else {
			fmt.Fprintf(bw, "%s (%s: %s)\n", e.Network.ID(), e.Network.Type, summary)
		}
		writeExposureSide(bw, "workloads that may open connections to it", e.Outbound, f == MD)
		writeExposureSide(bw, "workloads it may open connections to", e.Inbound, f == MD)
	}
	return bw.Flush()
}

func writeExposureSide(w *bufio.Writer, title string, list []engine.WorkloadExposure, md bool) {
	if md {
		fmt.Fprintf(w, "%s%s:\n\n", strings.ToUpper(title[:1]), title[1:])
		if len(list) == 0 {
			fmt.Fprint(w, "*none*\n\n")
			return
		}
		fmt.Fprint(w, "| workload | pods | ports | addresses |\n|---|---|---|---|\n")
		for _, we := range list {
			fmt.Fprintf(w, "| `%s` | %d | %s | %s |\n", we.Workload, we.Pods, we.Ports(), rangesSummary(we))
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	if len(list) == 0 {
		fmt.Fprintln(w, "    none")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, we := range list {
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", we.Workload, plural(we.Pods, "pod"), we.Ports(), rangesSummary(we))
	}
	tw.Flush()
}

// rangesSummary says which addresses: all of the network, or the parts.
func rangesSummary(we engine.WorkloadExposure) string {
	if we.All() {
		return "every address"
	}
	ranges := we.Ranges()
	parts := make([]string, 0, len(ranges))
	for i, r := range ranges {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more ranges", len(ranges)-4))
			break
		}
		parts = append(parts, r.Range.From().String()+"-"+r.Range.To().String()+" ("+r.Ports.String()+")")
	}
	return "only " + strings.Join(parts, ", ")
}
