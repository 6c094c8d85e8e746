package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func networkSummary(nets []*Network) []string {
	var out []string
	for _, n := range nets {
		var cidrs []string
		for _, c := range n.CIDRs {
			cidrs = append(cidrs, c.String())
		}
		out = append(out, fmt.Sprintf("%s %s %s", n.ID(), n.Type, strings.Join(cidrs, ",")))
	}
	return out
}

func TestImportAWS(t *testing.T) {
	dir := filepath.Join("..", "testdata", "aws")
	tests := []struct {
		file, vpc string
		want      []string
		warnings  int
		wantErr   string
	}{
		{
			file: "vpc-peering-connections.json", vpc: "vpc-0a0000000000cluster",
			want: []string{
				"net:billing-vpc peering 10.20.0.0/16,10.21.0.0/16,2600:1f18:abcd::/56",
				"net:pcx-0fedcba9876543210 peering 172.31.0.0/16",
			},
			warnings: 2, // the deleted peering, the peering of two other VPCs
		},
		{
			file:    "vpc-peering-connections.json",
			wantErr: "vpc-peering-connections.json:1: document 1 (VpcPeeringConnections): importing VPC peerings needs --vpc-id: the VPC of the cluster, whose peers become networks",
		},
		{
			file: "transit-gateway-routes.json",
			want: []string{
				"net:tgw-attach-0shared0000000001 transit 10.64.0.0/14",
				"net:tgw-attach-0vpn00000000000002 transit 172.16.0.0/20,192.168.0.0/16",
			},
			warnings: 2, // the blackhole route, the prefix-list route
		},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.vpc, func(t *testing.T) {
			nets, warns, err := LoadNetworks(filepath.Join(dir, tc.file), LoadOptions{VPCID: tc.vpc})
			if tc.wantErr != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one ending in %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, networkSummary(nets)); diff != "" {
				t.Errorf("networks (-want +got):\n%s", diff)
			}
			if len(warns) != tc.warnings {
				t.Errorf("warnings %q, want %d", warns, tc.warnings)
			}
		})
	}
}

func TestImportAWSErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "aws", "vpc-peering-connections.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), `"10.21.0.0/16"`, `"10.21.0.0/33"`, 1)
	_, _, err = LoadNetworks("p.json", LoadOptions{FS: fstest.MapFS{"p.json": {Data: []byte(bad)}}, VPCID: "vpc-0a0000000000cluster"})
	want := `p.json:1: document 1 (VpcPeeringConnection pcx-0123456789abcdef0): VpcPeeringConnections[0].AccepterVpcInfo.CidrBlockSet[1].CidrBlock: invalid CIDR "10.21.0.0/33"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}
