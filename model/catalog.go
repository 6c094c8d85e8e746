package model

import (
	"net/netip"
	"sort"

	"go4.org/netipx"
)

// Special-purpose address ranges that are not the public internet (IANA's
// special-purpose registries): private, shared, loopback, link-local,
// documentation, benchmarking, multicast, reserved; and their IPv6
// counterparts.
var notInternet = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
	"fc00::/7", "fe80::/10", "ff00::/8",
}

// cloudMetadata are the addresses of the cloud instance metadata services
// (AWS, GCP, Azure, ...: 169.254.169.254; AWS over IPv6: fd00:ec2::254).
var cloudMetadata = []string{"169.254.169.254/32", "fd00:ec2::254/128"}

// BuiltinNetworks returns the networks every analysis knows (DESIGN.md §3):
// internet (the public address space), cloud-metadata, and, when the snapshot
// has them, nodes (the Node addresses) and control-plane (the addresses behind
// the default/kubernetes Service).
func BuiltinNetworks(s *Snapshot) []*Network {
	var b netipx.IPSetBuilder
	b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
	b.AddPrefix(netip.MustParsePrefix("::/0"))
	for _, p := range notInternet {
		b.RemovePrefix(netip.MustParsePrefix(p))
	}
	internet, _ := b.IPSet()
	nets := []*Network{
		{Name: "internet", Type: NetworkInternet, CIDRs: internet.Prefixes(),
			Description: "the public address space: everything but private, shared, loopback, link-local, documentation, multicast and reserved ranges"},
		{Name: "cloud-metadata", Type: NetworkCloudMetadata, CIDRs: prefixes(cloudMetadata),
			Description: "the cloud instance metadata service"},
	}
	var nodes []netip.Prefix
	for _, n := range s.Nodes {
		for _, a := range n.IPs() {
			nodes = append(nodes, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	if len(nodes) > 0 {
		nets = append(nets, &Network{Name: "nodes", Type: NetworkNodes, CIDRs: dedupePrefixes(nodes),
			Description: "the addresses of the snapshot's Nodes"})
	}
	var cp []netip.Prefix
	for _, e := range s.Endpoints {
		if e.Namespace == "default" && e.Service == "kubernetes" {
			for _, a := range e.Addresses {
				cp = append(cp, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	if len(cp) > 0 {
		nets = append(nets, &Network{Name: "control-plane", Type: NetworkControlPlane, CIDRs: dedupePrefixes(cp),
			Description: "the API server endpoints behind the default/kubernetes Service"})
	}
	return nets
}

// Catalog returns the network catalogue of the snapshot: the built-in networks,
// with the networks of the input (NetworkCatalog documents, --networks) added
// or, for the same name, replacing them. Sorted by name.
func (s *Snapshot) Catalog() []*Network {
	byName := map[string]*Network{}
	for _, n := range BuiltinNetworks(s) {
		byName[n.Name] = n
	}
	for _, n := range s.Networks {
		byName[n.Name] = n
	}
	out := make([]*Network, 0, len(byName))
	for _, n := range byName {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func prefixes(list []string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, p := range list {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

func dedupePrefixes(ps []netip.Prefix) []netip.Prefix {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Addr().Less(ps[j].Addr()) })
	var out []netip.Prefix
	for _, p := range ps {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}
