package evaluator

import (
	"fmt"
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
// ranges. A protocol without ranges has no port in the set.
type PortSet map[corev1.Protocol][]PortRange

// AllPorts is every port (1-65535) of each protocol.
func AllPorts(protocols ...corev1.Protocol) PortSet {
	s := PortSet{}
	for _, p := range protocols {
		s[p] = []PortRange{{1, 65535}}
	}
	return s
}

// SinglePort is one port of one protocol.
func SinglePort(p corev1.Protocol, from, to int32) PortSet {
	return PortSet{p: {{from, to}}}
}

// Empty reports whether the set has no port.
func (s PortSet) Empty() bool {
	for _, r := range s {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// Contains reports whether port of protocol p is in the set.
func (s PortSet) Contains(p corev1.Protocol, port int32) bool {
	for _, r := range s[p] {
		if port >= r.From && port <= r.To {
			return true
		}
	}
	return false
}

// Union returns the ports in s or o.
func (s PortSet) Union(o PortSet) PortSet {
	out := PortSet{}
	for _, p := range Protocols {
		if rs := mergeRanges(append(append([]PortRange{}, s[p]...), o[p]...)); len(rs) > 0 {
			out[p] = rs
		}
	}
	return out
}

// Intersect returns the ports in both s and o.
func (s PortSet) Intersect(o PortSet) PortSet {
	out := PortSet{}
	for _, p := range Protocols {
		var rs []PortRange
		for _, a := range s[p] {
			for _, b := range o[p] {
				from, to := max(a.From, b.From), min(a.To, b.To)
				if from <= to {
					rs = append(rs, PortRange{from, to})
				}
			}
		}
		if rs = mergeRanges(rs); len(rs) > 0 {
			out[p] = rs
		}
	}
	return out
}

// Equal reports whether both sets hold the same ports.
func (s PortSet) Equal(o PortSet) bool {
	for _, p := range Protocols {
		a, b := s[p], o[p]
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
	}
	return true
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
	if s.Equal(AllPorts(Protocols...)) {
		return "all"
	}
	var parts []string
	for _, p := range Protocols {
		rs := s[p]
		if len(rs) == 0 {
			continue
		}
		if len(rs) == 1 && rs[0] == (PortRange{1, 65535}) {
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
