// Package modeltest generates small random snapshots for property tests and
// fuzzing: the evaluator's self-consistency fuzz target and the check that the
// engine and the evaluator agree. The snapshots are built as manifests and read
// with model.Load, so they pass the same validation and defaulting as user input.
//
// The vocabulary is deliberately small (a few labels, ports and names) so that
// selectors match often, named ports clash across pods, ipBlocks cut through
// pod addresses, and every semantic corner of DESIGN.md §2 is exercised.
package modeltest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/netreach/netreach/model"
)

// Random is a generated snapshot with the addresses worth probing.
type Random struct {
	Snapshot *model.Snapshot
	// Manifests is the YAML the snapshot was read from, for failure reports.
	Manifests string
	// External are addresses outside the pods (and node addresses) to probe.
	External []string
	// Ports are port numbers worth probing: every number the snapshot mentions
	// and the edges of every range.
	Ports []int32
}

var (
	nsLabels  = []string{"team", "env"}
	nsValues  = []string{"a", "b", ""}
	podLabels = []string{"app", "tier", "role"}
	podValues = []string{"web", "db", "x", ""}
	portNames = []string{"http", "dns", "metrics"}
	protocols = []string{"TCP", "UDP", "SCTP"}
	numbers   = []int32{53, 80, 81, 443, 8080, 9090}
)

// Generate makes a random snapshot from seed.
func Generate(seed uint64) (*Random, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &gen{r: r}
	return g.build()
}

type gen struct {
	r     *rand.Rand
	b     strings.Builder
	ports map[int32]bool
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *gen) chance(p float64) bool     { return g.r.Float64() < p }

func (g *gen) doc(format string, args ...any) {
	g.b.WriteString("---\n")
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteString("\n")
}

func (g *gen) labels(keys, values []string, n int) string {
	parts := []string{}
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		k := g.pick(keys)
		if used[k] {
			continue
		}
		used[k] = true
		parts = append(parts, fmt.Sprintf("%s: %q", k, g.pick(values)))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (g *gen) port(n int32) int32 {
	g.ports[n] = true
	return n
}

func (g *gen) build() (*Random, error) {
	g.ports = map[int32]bool{}
	nsCount := 2 + g.r.IntN(2)
	out := &Random{External: []string{"203.0.113.5", "169.254.169.254", "10.9.0.1", "2001:db8::5"}}
	for n := 1; n <= 2; n++ {
		g.doc("apiVersion: v1\nkind: Node\nmetadata: {name: n%d}\nstatus: {addresses: [{type: InternalIP, address: 172.16.0.%d}]}", n, n)
	}
	out.External = append(out.External, "172.16.0.1", "172.16.0.2", "198.51.100.1", "198.51.100.2")
	var namespaces []string
	for i := 0; i < nsCount; i++ {
		ns := fmt.Sprintf("ns%d", i)
		namespaces = append(namespaces, ns)
		g.doc("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: %s}", ns, g.labels(nsLabels, nsValues, g.r.IntN(3)))
	}
	ipv4 := 1
	for i, ns := range namespaces {
		for j := 0; j < 2+g.r.IntN(3); j++ {
			var spec, status strings.Builder
			node := 1 + g.r.IntN(2)
			host := g.chance(0.1)
			fmt.Fprintf(&spec, "nodeName: n%d, hostNetwork: %v, containers: [{name: c, ports: [", node, host)
			var cps []string
			for k := 0; k < g.r.IntN(3); k++ {
				num := g.port(numbers[g.r.IntN(len(numbers))] + int32(g.r.IntN(2)))
				name := ""
				if g.chance(0.7) {
					name = fmt.Sprintf("name: %s, ", g.pick(portNames))
				}
				cps = append(cps, fmt.Sprintf("{%scontainerPort: %d, protocol: %s}", name, num, g.pick(protocols)))
			}
			spec.WriteString(strings.Join(dedupePorts(cps), ", ") + "]}]")
			phase := "Running"
			if g.chance(0.05) {
				phase = "Succeeded"
			}
			switch {
			case host:
				fmt.Fprintf(&status, "phase: %s, podIP: 172.16.0.%d", phase, node)
			case g.chance(0.1):
				fmt.Fprintf(&status, "phase: Pending")
			case g.chance(0.15):
				fmt.Fprintf(&status, "phase: %s, podIPs: [{ip: 10.0.%d.%d}, {ip: 'fd00::%x'}]", phase, i, ipv4, ipv4)
			default:
				fmt.Fprintf(&status, "phase: %s, podIP: 10.0.%d.%d", phase, i, ipv4)
			}
			if !strings.Contains(status.String(), "Pending") && g.chance(0.3) {
				// The kubelet reports the node's address; sometimes one that no
				// Node object lists (the Node was not captured).
				if g.chance(0.5) {
					fmt.Fprintf(&status, ", hostIP: 172.16.0.%d", node)
				} else {
					fmt.Fprintf(&status, ", hostIP: 198.51.100.%d", node)
				}
			}
			ipv4++
			g.doc("apiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: %s, labels: %s}\nspec: {%s}\nstatus: {%s}",
				j, ns, g.labels(podLabels, podValues, g.r.IntN(4)), spec.String(), status.String())
		}
		for k := 0; k < g.r.IntN(4); k++ {
			g.policy(ns, k)
		}
	}
	seen := map[int32]bool{}
	for p := range g.ports {
		for _, q := range []int32{p - 1, p, p + 1} {
			if q >= 1 && q <= 65535 && !seen[q] {
				seen[q] = true
				out.Ports = append(out.Ports, q)
			}
		}
	}
	out.Ports = append(out.Ports, 1, 65535)
	slices.Sort(out.Ports)
	out.Manifests = g.b.String()
	snap, err := model.Load([]string{"gen.yaml"}, model.LoadOptions{FS: fstest.MapFS{"gen.yaml": {Data: []byte(out.Manifests)}}})
	if err != nil {
		return nil, fmt.Errorf("generated manifests do not load: %w\n%s", err, out.Manifests)
	}
	out.Snapshot = snap
	return out, nil
}

// dedupePorts drops container ports that repeat a port number and protocol,
// which the API server rejects.
func dedupePorts(cps []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cps {
		key := c[strings.Index(c, "containerPort"):]
		if !seen[key] {
			seen[key] = true
			out = append(out, c)
		}
	}
	return out
}

func (g *gen) selector(keys, values []string) string {
	switch g.r.IntN(5) {
	case 0:
		return "{}"
	case 1, 2:
		return "{matchLabels: " + g.labels(keys, values, 1+g.r.IntN(2)) + "}"
	default:
		ops := []string{"In", "NotIn", "Exists", "DoesNotExist"}
		op := g.pick(ops)
		vals := ""
		if op == "In" || op == "NotIn" {
			vals = fmt.Sprintf(", values: [%q, %q]", g.pick(values), g.pick(values))
		}
		return fmt.Sprintf("{matchExpressions: [{key: %s, operator: %s%s}]}", g.pick(keys), op, vals)
	}
}

func (g *gen) peers() string {
	switch g.r.IntN(6) {
	case 0:
		return "" // no from/to: every peer
	case 1:
		return "[]"
	}
	var out []string
	for i := 0; i < 1+g.r.IntN(2); i++ {
		switch g.r.IntN(5) {
		case 0:
			out = append(out, "{podSelector: "+g.selector(podLabels, podValues)+"}")
		case 1:
			out = append(out, "{namespaceSelector: "+g.selector(nsLabels, nsValues)+"}")
		case 2:
			out = append(out, "{podSelector: "+g.selector(podLabels, podValues)+", namespaceSelector: "+g.selector(nsLabels, nsValues)+"}")
		default:
			blocks := []string{
				"{cidr: 10.0.0.0/16, except: [10.0.1.0/24]}",
				"{cidr: 10.0.0.0/8}",
				"{cidr: 0.0.0.0/0, except: [169.254.169.254/32]}",
				"{cidr: 0.0.0.0/0}",
				"{cidr: 172.16.0.1/32}",
				"{cidr: 'fd00::/64', except: ['fd00::4/127']}",
				"{cidr: '::/0'}",
				"{cidr: 10.0.0.0/24, except: [10.0.0.2/31, 10.0.0.8/29]}",
			}
			out = append(out, "{ipBlock: "+g.pick(blocks)+"}")
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func (g *gen) portList() string {
	switch g.r.IntN(4) {
	case 0:
		return ""
	case 1:
		return "[{}]"
	}
	var out []string
	for i := 0; i < 1+g.r.IntN(2); i++ {
		proto := ""
		if g.chance(0.5) {
			proto = ", protocol: " + g.pick(protocols)
		}
		switch g.r.IntN(4) {
		case 0:
			out = append(out, fmt.Sprintf("{port: %s%s}", g.pick(portNames), proto))
		case 1:
			start := g.port(numbers[g.r.IntN(len(numbers))])
			end := g.port(start + int32(g.r.IntN(30)))
			out = append(out, fmt.Sprintf("{port: %d, endPort: %d%s}", start, end, proto))
		case 2:
			out = append(out, "{protocol: "+g.pick(protocols)+"}")
		default:
			out = append(out, fmt.Sprintf("{port: %d%s}", g.port(numbers[g.r.IntN(len(numbers))]), proto))
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func (g *gen) rules(field string) string {
	switch g.r.IntN(4) {
	case 0:
		return "" // absent
	case 1:
		return "[]"
	}
	var out []string
	for i := 0; i < 1+g.r.IntN(2); i++ {
		var parts []string
		if p := g.peers(); p != "" {
			parts = append(parts, field+": "+p)
		}
		if p := g.portList(); p != "" {
			parts = append(parts, "ports: "+p)
		}
		out = append(out, "{"+strings.Join(parts, ", ")+"}")
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func (g *gen) policy(ns string, k int) {
	var spec []string
	spec = append(spec, "podSelector: "+g.selector(podLabels, podValues))
	switch g.r.IntN(4) {
	case 1:
		spec = append(spec, "policyTypes: [Ingress]")
	case 2:
		spec = append(spec, "policyTypes: [Egress]")
	case 3:
		spec = append(spec, "policyTypes: [Ingress, Egress]")
	}
	if r := g.rules("from"); r != "" {
		spec = append(spec, "ingress: "+r)
	}
	if r := g.rules("to"); r != "" {
		spec = append(spec, "egress: "+r)
	}
	g.doc("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np%d, namespace: %s}\nspec: {%s}", k, ns, strings.Join(spec, ", "))
}
