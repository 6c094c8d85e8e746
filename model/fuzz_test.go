package model

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"
)

// FuzzLoad feeds arbitrary bytes to the loader as a YAML file and as a JSON
// file: it must never panic or hang (no input of a few kilobytes may take
// seconds), and it must either build a snapshot or return a *LoadError whose
// messages name the file. Seeds are kept small: the fuzzer minimises every
// interesting input, which is slow for whole demo files.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		podYAML,
		policy("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n    ports: [{port: 80, endPort: 90}]\n"),
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}]}`,
		"apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\nkind: List\n",
		"--- {a: b}\n...\n---\n",
		"apiVersion: netreach/v1\nkind: NetworkCatalog\nnetworks: [{name: x, type: custom, cidrs: ['::/0']}]\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"in.yaml", "in.json"} {
			fsys := fstest.MapFS{name: {Data: data}}
			start := time.Now()
			s, err := Load([]string{name}, LoadOptions{FS: fsys, Workers: 2})
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("loading %d bytes took %v", len(data), d)
			}
			if err != nil {
				var le *LoadError
				if !errors.As(err, &le) || len(le.Errors) == 0 {
					t.Fatalf("error of type %T: %v", err, err)
				}
				for _, e := range le.Errors {
					if e.Source.File != name {
						t.Fatalf("error does not name the file: %v", e)
					}
				}
				continue
			}
			if s == nil {
				t.Fatal("nil snapshot without an error")
			}
			if _, err := Load([]string{name}, LoadOptions{FS: fsys, Lenient: true}); err != nil {
				t.Fatalf("lenient loading failed where strict loading succeeded: %v", err)
			}
		}
	})
}

// FuzzLoadNetworks feeds arbitrary bytes to the network file reader (a
// NetworkCatalog or AWS CLI JSON): no panic, and an error is a *LoadError.
func FuzzLoadNetworks(f *testing.F) {
	f.Add([]byte("apiVersion: netreach/v1\nkind: NetworkCatalog\nnetworks: [{name: a, type: peering, cidrs: [10.0.0.0/8]}]\n"), "")
	f.Add([]byte(`{"VpcPeeringConnections":[{"VpcPeeringConnectionId":"pcx-1","Status":{"Code":"active"},
		"RequesterVpcInfo":{"VpcId":"vpc-a"},"AccepterVpcInfo":{"VpcId":"vpc-b","CidrBlockSet":[{"CidrBlock":"10.1.0.0/16"}],
		"Ipv6CidrBlockSet":[{"Ipv6CidrBlock":"2600::/56"}]}}]}`), "vpc-a")
	f.Add([]byte(`{"Routes":[{"DestinationCidrBlock":"10.0.0.0/8","State":"active","TransitGatewayAttachments":[{"TransitGatewayAttachmentId":"tgw-attach-1"}]}]}`), "")
	f.Fuzz(func(t *testing.T, data []byte, vpc string) {
		nets, _, err := LoadNetworks("n.json", LoadOptions{FS: fstest.MapFS{"n.json": {Data: data}}, VPCID: vpc})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, n := range nets {
			if n.Name == "" || len(n.CIDRs) == 0 {
				t.Fatalf("network without a name or CIDRs: %+v", n)
			}
		}
	})
}
