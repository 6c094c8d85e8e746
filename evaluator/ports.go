package evaluator

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Protocols are the protocols NetworkPolicy distinguishes, in output order.
var Protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

// PortRange is an inclusive range of port numbers.
type PortRange struct {
	From, To int32
}

// PortSet is a set of ports per protocol: sorted, merged, non-overlapping
// ranges. The zero value is the empty set. Port sets are values that are never
// modified in place, so operations may share range slices between results.
type PortSet struct {
	r [3][]PortRange // TCP, UDP, SCTP
}

// protoIndex maps a protocol to its slot (-1 for an unknown protocol).
func protoIndex(p corev1.Protocol) int {
	switch p {
	case corev1.ProtocolTCP:
		return 0
	case corev1.ProtocolUDP:
		return 1
	case corev1.ProtocolSCTP:
		return 2
	}
	return -1
}

var fullRange = []PortRange{{1, 65535}}

// AllPorts is every port (1-65535) of each protocol.
func AllPorts(protocols ...corev1.Protocol) PortSet {
	var s PortSet
	for _, p := range protocols {
		if i := protoIndex(p); i >= 0 {
			s.r[i] = fullRange
		}
	}
	return s
}

// SinglePort is the range from-to of one protocol.
func SinglePort(p corev1.Protocol, from, to int32) PortSet {
	var s PortSet
	if i := protoIndex(p); i >= 0 {
		s.r[i] = []PortRange{{from, to}}
	}
	return s
}

// Ranges returns the ranges of one protocol (nil when it has none). The slice
// must not be modified.
func (s PortSet) Ranges(p corev1.Protocol) []PortRange {
	if i := protoIndex(p); i >= 0 {
		return s.r[i]
	}
	return nil
}

// Empty reports whether the set has no port.
func (s PortSet) Empty() bool {
	return len(s.r[0]) == 0 && len(s.r[1]) == 0 && len(s.r[2]) == 0
}

// Contains reports whether port of protocol p is in the set.
func (s PortSet) Contains(p corev1.Protocol, port int32) bool {
	for _, r := range s.Ranges(p) {
		if port >= r.From && port <= r.To {
			return true
		}
	}
	return false
}

func isFull(rs []PortRange) bool { return len(rs) == 1 && rs[0] == PortRange{1, 65535} }

// Union returns the ports in s or o.
func (s PortSet) Union(o PortSet) PortSet {
	var out PortSet
	for i := range s.r {
		a, b := s.r[i], o.r[i]
		switch {
		case len(b) == 0 || isFull(a):
			out.r[i] = a
		case len(a) == 0 || isFull(b):
			out.r[i] = b
		case covers(a, b):
			// The result is one of the two: no new slice (blast radius
			// unions the ports of each edge into what a class already has).
			out.r[i] = a
		case covers(b, a):
			out.r[i] = b
		default:
			out.r[i] = unionSorted(a, b)
		}
	}
	return out
}

// Intersect returns the ports in both s and o.
func (s PortSet) Intersect(o PortSet) PortSet {
	var out PortSet
	for i := range s.r {
		a, b := s.r[i], o.r[i]
		switch {
		case len(a) == 0 || len(b) == 0:
		case isFull(a):
			out.r[i] = b
		case isFull(b):
			out.r[i] = a
		case covers(a, b):
			out.r[i] = b
		case covers(b, a):
			out.r[i] = a
		default:
			var rs []PortRange
			for _, x := range a {
				for _, y := range b {
					from, to := max(x.From, y.From), min(x.To, y.To)
					if from <= to {
						rs = append(rs, PortRange{from, to})
					}
				}
			}
			out.r[i] = mergeRanges(rs)
		}
	}
	return out
}

// Intersects reports whether s and o share a port, without building the intersection.
func (s PortSet) Intersects(o PortSet) bool {
	for i := range s.r {
		for _, x := range s.r[i] {
			for _, y := range o.r[i] {
				if max(x.From, y.From) <= min(x.To, y.To) {
					return true
				}
			}
		}
	}
	return false
}

// Covers reports whether every port of o is in s.
func (s PortSet) Covers(o PortSet) bool {
	for i := range s.r {
		if !covers(s.r[i], o.r[i]) {
			return false
		}
	}
	return true
}

// covers reports whether the ranges a hold every port of the ranges b, both
// sorted and merged.
func covers(a, b []PortRange) bool {
	if isFull(a) {
		return true
	}
	j := 0
	for _, y := range b {
		// y lies within one range of a or is not covered.
		for j < len(a) && a[j].To < y.From {
			j++
		}
		if j == len(a) || a[j].From > y.From || a[j].To < y.To {
			return false
		}
	}
	return true
}

// Equal reports whether both sets hold the same ports.
func (s PortSet) Equal(o PortSet) bool {
	for i := range s.r {
		a, b := s.r[i], o.r[i]
		if len(a) != len(b) {
			return false
		}
		for j := range a {
			if a[j] != b[j] {
				return false
			}
		}
	}
	return true
}

// unionSorted merges two sorted, merged range lists in one pass (Union is
// called for every new pair of port sets when answering exposure at scale,
// where sorting the concatenation cost an allocation per call of sort.Slice).
func unionSorted(a, b []PortRange) []PortRange {
	out := make([]PortRange, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var r PortRange
		if j == len(b) || i < len(a) && a[i].From <= b[j].From {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

func mergeRanges(rs []PortRange) []PortRange {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].From < rs[j].From })
	out := []PortRange{rs[0]}
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.From <= last.To+1 {
			last.To = max(last.To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// String renders the set compactly: "all", "none", or e.g. "TCP 80,443,8000-8080 · UDP 53".
func (s PortSet) String() string {
	if s.Empty() {
		return "none"
	}
	if isFull(s.r[0]) && isFull(s.r[1]) && isFull(s.r[2]) {
		return "all"
	}
	var parts []string
	for i, p := range Protocols {
		rs := s.r[i]
		if len(rs) == 0 {
			continue
		}
		if isFull(rs) {
			parts = append(parts, string(p)+" all")
			continue
		}
		nums := make([]string, len(rs))
		for i, r := range rs {
			if r.From == r.To {
				nums[i] = fmt.Sprint(r.From)
			} else {
				nums[i] = fmt.Sprintf("%d-%d", r.From, r.To)
			}
		}
		parts = append(parts, string(p)+" "+strings.Join(nums, ","))
	}
	return strings.Join(parts, " · ")
}
