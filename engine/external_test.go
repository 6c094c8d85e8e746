package engine

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCutSpace checks the pieces the address space is cut into: at every
// boundary and around every single address, both families from their first
// to their last address, whether the boundaries come sorted (as the atom
// table gives them) or not, and without changing the caller's boundaries.
func TestCutSpace(t *testing.T) {
	addrs := func(ss ...string) []netip.Addr {
		out := make([]netip.Addr, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParseAddr(s)
		}
		return out
	}
	want := []string{
		"0.0.0.0-9.255.255.255",
		"10.0.0.0-10.0.0.4",
		"10.0.0.5-10.0.0.5",
		"10.0.0.6-10.0.0.255",
		"10.0.1.0-255.255.255.254",
		"255.255.255.255-255.255.255.255",
		"::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fd00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	}
	singles := addrs("255.255.255.255", "10.0.0.5", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "10.0.0.5")
	for _, tc := range []struct {
		name   string
		bounds []netip.Addr
	}{
		{"sorted", addrs("10.0.0.0", "10.0.1.0", "fd00::")},
		{"unsorted with repeats", addrs("fd00::", "10.0.1.0", "10.0.0.0", "10.0.1.0", "0.0.0.0")},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.bounds)
			var got []string
			for _, p := range cutSpace(tc.bounds, singles) {
				got = append(got, p.String())
			}
			w := want
			if tc.bounds == nil {
				w = []string{
					"0.0.0.0-10.0.0.4",
					"10.0.0.5-10.0.0.5",
					"10.0.0.6-255.255.255.254",
					"255.255.255.255-255.255.255.255",
					"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
					"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				}
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("pieces (-want +got):\n%s", diff)
			}
			if !slices.Equal(before, tc.bounds) {
				t.Errorf("cutSpace changed the boundaries: %v, was %v", tc.bounds, before)
			}
		})
	}
}
