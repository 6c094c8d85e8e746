package peers

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/evaluator"
)

// netpol-analyzer renders a connection set as one of these two words, or as
// protocol groups: "SCTP 1-65535,TCP 80,8080-8090,UDP 53". Inside a group the
// ports are separated by commas too, so a token that starts with a protocol
// name opens a new group and a bare number or range continues the last one.
const (
	npaAllConnections = "All Connections"
	npaNoConnections  = "No Connections"
)

// ParseConnString turns netpol-analyzer's connection string into a netreach
// port set, so both tools' answers can be compared with PortSet.Equal.
// "All Connections" is every port of TCP, UDP and SCTP, which is what
// netreach's evaluator.AllPorts(evaluator.Protocols...) holds. A token that is
// neither a number nor a range (an unresolved named port, say) is an error:
// the caller reports it rather than guessing.
func ParseConnString(s string) (evaluator.PortSet, error) {
	s = strings.TrimSpace(s)
	switch s {
	case npaAllConnections:
		return evaluator.AllPorts(evaluator.Protocols...), nil
	case npaNoConnections, "":
		return evaluator.PortSet{}, nil
	}
	out := evaluator.PortSet{}
	var proto corev1.Protocol
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if p, rest, ok := strings.Cut(tok, " "); ok {
			switch pp := corev1.Protocol(strings.ToUpper(p)); pp {
			case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
				proto = pp
			default:
				return nil, fmt.Errorf("connection %q: unknown protocol %q", s, p)
			}
			tok = strings.TrimSpace(rest)
		}
		if proto == "" {
			return nil, fmt.Errorf("connection %q: ports %q before any protocol", s, tok)
		}
		from, to, err := parseRange(tok)
		if err != nil {
			return nil, fmt.Errorf("connection %q: %w", s, err)
		}
		out = out.Union(evaluator.SinglePort(proto, from, to))
	}
	return out, nil
}

// parseRange reads "N" or "N-M" (inclusive), each a port number 1-65535.
func parseRange(tok string) (int32, int32, error) {
	a, b, isRange := strings.Cut(tok, "-")
	from, err := parsePort(a)
	if err != nil {
		return 0, 0, fmt.Errorf("port %q: %w", tok, err)
	}
	to := from
	if isRange {
		if to, err = parsePort(b); err != nil {
			return 0, 0, fmt.Errorf("port %q: %w", tok, err)
		}
	}
	if to < from {
		return 0, 0, fmt.Errorf("port range %q is reversed", tok)
	}
	return from, to, nil
}

func parsePort(s string) (int32, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("not a port number (a named port left unresolved?)")
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d out of range 1-65535", n)
	}
	return int32(n), nil
}
