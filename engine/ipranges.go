package engine

import (
	"net/netip"
	"sort"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/model"
)

// IPRange is a range of addresses outside the pods that every policy treats
// alike (DESIGN.md §3): the address space is cut at every ipBlock boundary and
// at every node address, and adjacent pieces with identical connectivity are
// merged. Its node id is "ip:FIRST-LAST".
type IPRange struct {
	Range netipx.IPRange
}

// ID is the range's node id.
func (r IPRange) ID() string { return "ip:" + r.Range.From().String() + "-" + r.Range.To().String() }

// IPRanges returns the address ranges of the snapshot, IPv4 then IPv6, merged
// where the pods' connectivity to and from them is identical. Addresses of
// pods are treated like any other address here; pods appear as themselves.
func (g *Graph) IPRanges() []IPRange {
	pieces := g.rawPieces()
	return g.mergePieces(pieces)
}

// rawPieces cuts both address families at every ipBlock boundary and around
// every address of a node (the Node objects' addresses and the pods' host
// addresses, from which node-local traffic comes, §2.10): every piece is
// treated alike by every policy, but neighbours are not merged.
func (g *Graph) rawPieces() []netipx.IPRange {
	g.piecesOnce.Do(func() { g.pieces = g.cutPieces() })
	return g.pieces
}

// cutPieces computes rawPieces.
func (g *Graph) cutPieces() []netipx.IPRange {
	var singles []netip.Addr
	for _, n := range g.snap.Nodes {
		singles = append(singles, n.IPs()...)
	}
	seen := map[netip.Addr]bool{}
	for _, p := range g.pods {
		if p.NodeName != "" && p.HostIP.IsValid() && !seen[p.HostIP] {
			seen[p.HostIP] = true
			singles = append(singles, p.HostIP)
		}
	}
	return cutSpace(g.atoms.bounds, singles)
}

// mergePieces merges neighbouring pieces whose connectivity with every pod is
// the same.
func (g *Graph) mergePieces(pieces []netipx.IPRange) []IPRange {
	// Connectivity signature of each piece: the edges a network of just that
	// piece would have.
	nets := make([]*model.Network, len(pieces))
	for i, p := range pieces {
		nets[i] = &model.Network{Name: p.String(), Type: model.NetworkCustom, CIDRs: p.Prefixes()}
	}
	m := &Matrix{g: g, nets: nets}
	sig := make([]strings.Builder, len(pieces))
	edges := m.networkEdges()
	keys := make([]int32, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		for _, e := range edges[k] {
			piece, pod, dir := -1-e.dst, e.src, ">"
			if e.src < 0 {
				piece, pod, dir = -1-e.src, e.dst, "<"
			}
			sb := &sig[piece]
			sb.WriteString(dir)
			sb.WriteString(g.pods[pod].ID())
			sb.WriteString(" ")
			sb.WriteString(e.ports.String())
			sb.WriteString(";")
		}
	}
	var out []IPRange
	prevSig := ""
	for i, p := range pieces {
		s := sig[i].String()
		if n := len(out); n > 0 && s == prevSig && out[n-1].Range.To().Next() == p.From() {
			out[n-1].Range = netipx.IPRangeFrom(out[n-1].Range.From(), p.To())
			continue
		}
		out = append(out, IPRange{Range: p})
		prevSig = s
	}
	return out
}

// WithIPRanges adds the snapshot's IP ranges to a matrix as nodes of kind
// IPRange, with their edges.
func (m *Matrix) WithIPRanges() *Matrix {
	for _, r := range m.g.IPRanges() {
		net := &model.Network{Name: strings.TrimPrefix(r.ID(), "ip:"), Type: model.NetworkCustom, CIDRs: r.Range.Prefixes()}
		m.nets = append(m.nets, net)
		m.netIDs = append(m.netIDs, r.ID())
		m.Nodes = append(m.Nodes, Node{ID: r.ID(), Kind: "IPRange", Name: r.ID(), CIDRs: prefixStrings(r.Range.Prefixes())})
	}
	return m
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
