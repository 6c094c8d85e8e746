package model

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go4.org/netipx"
)

func TestBuiltinNetworks(t *testing.T) {
	s := mustLoad(t, map[string]string{"c.yaml": `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.1.11}, {type: ExternalIP, address: 203.0.113.11}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}
addressType: IPv4
endpoints: [{addresses: [10.0.1.5]}, {addresses: [10.0.1.6]}]
---
apiVersion: netreach/v1
kind: NetworkCatalog
networks:
- {name: billing-vpc, type: peering, cidrs: [10.20.0.0/16]}
- {name: cloud-metadata, type: cloud-metadata, cidrs: [169.254.169.254/32]}
`})
	byName := map[string]*Network{}
	var names []string
	for _, n := range s.Catalog() {
		byName[n.Name] = n
		names = append(names, n.Name)
	}
	if diff := cmp.Diff([]string{"billing-vpc", "cloud-metadata", "control-plane", "internet", "nodes"}, names); diff != "" {
		t.Errorf("catalogue (-want +got):\n%s", diff)
	}
	contains := func(n *Network, addr string) bool {
		var b netipx.IPSetBuilder
		for _, p := range n.CIDRs {
			b.AddPrefix(p)
		}
		set, _ := b.IPSet()
		return set.Contains(netip.MustParseAddr(addr))
	}
	tests := []struct {
		network string
		in, out []string
	}{
		{"internet", []string{"8.8.8.8", "1.1.1.1", "2606:4700::1111", "100.63.255.255", "172.32.0.1"},
			[]string{"10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.169.254", "203.0.113.5", "224.0.0.1", "2001:db8::1", "fd00:ec2::254", "fe80::1", "::1"}},
		{"cloud-metadata", []string{"169.254.169.254"}, []string{"fd00:ec2::254", "169.254.169.253"}},
		{"nodes", []string{"10.0.1.11", "203.0.113.11"}, []string{"10.0.1.12"}},
		{"control-plane", []string{"10.0.1.5", "10.0.1.6"}, []string{"10.0.1.7"}},
		{"billing-vpc", []string{"10.20.3.4"}, []string{"10.21.0.0"}},
	}
	for _, tc := range tests {
		n := byName[tc.network]
		for _, a := range tc.in {
			if !contains(n, a) {
				t.Errorf("%s should contain %s", tc.network, a)
			}
		}
		for _, a := range tc.out {
			if contains(n, a) {
				t.Errorf("%s should not contain %s", tc.network, a)
			}
		}
	}
	if !strings.Contains(byName["cloud-metadata"].Source.File, "c.yaml") {
		t.Errorf("a catalogue entry of the input replaces the built-in one of the same name")
	}
}
