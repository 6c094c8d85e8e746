package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/export"
)

func newCanReachCmd(g *globalOptions, s *streams) *cobra.Command {
	var output, port, protocol string
	supported := []export.Format{export.Text, export.JSON}
	cmd := &cobra.Command{
		Use:   "can-reach SRC DST",
		Short: "Say whether SRC may open connections to DST, and which policies and rules decide it",
		Long: `can-reach evaluates one connection with exact NetworkPolicy semantics and
explains the verdict: for each direction (egress at the source, ingress at the
destination) which policies isolate the pod and which rule admits the traffic,
or, when none does, what each rule admits instead.

SRC and DST are namespace/pod, namespace/Kind/name (a workload: every pod of it
is evaluated and the answer summarised; kinds as kubectl spells them, e.g.
deploy, sts, ds), an IPv4/IPv6 address (a pod's address names that pod), or
net:NAME, a network of the catalogue (net:internet, net:cloud-metadata,
net:nodes, net:control-plane, or one of --networks). A network is evaluated
per address range that every policy treats alike, and is reachable when some
address of it is; a workload only when every pod pair is.

Without --port the answer lists the allowed ports. --port takes a number or a
named port, which resolves on each destination pod. The protocol defaults to
TCP when a port is given, and to all protocols otherwise.

Exit code: 0 when allowed, 1 when denied, 2 on error.`,
		Example: `  netreach can-reach shop/Deployment/frontend shop/Deployment/cart --port http
  netreach can-reach shop/deploy/checkout net:cloud-metadata --port 80
  netreach can-reach 203.0.113.7 ingress-nginx/deploy/ingress-nginx-controller --port 443 -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := checkOutput("can-reach", output, supported...)
			if err != nil {
				return err
			}
			var proto corev1.Protocol
			if protocol != "" {
				proto = corev1.Protocol(strings.ToUpper(protocol))
				if proto != corev1.ProtocolTCP && proto != corev1.ProtocolUDP && proto != corev1.ProtocolSCTP {
					return usageError(fmt.Errorf("invalid --protocol %q: use TCP, UDP or SCTP", protocol))
				}
			}
			var portNum int32
			portName := ""
			if port != "" {
				if n, err := strconv.Atoi(port); err == nil {
					if n < 1 || n > 65535 {
						return usageError(fmt.Errorf("invalid --port %d: ports are 1-65535", n))
					}
					portNum = int32(n)
				} else {
					portName = port
				}
				if proto == "" && portName == "" {
					proto = corev1.ProtocolTCP
				}
			}
			graph, err := g.compile(s)
			if err != nil {
				return err
			}
			snap := graph.Snapshot()
			src, err := evaluator.ResolveTarget(snap, args[0])
			if err != nil {
				return usageError(fmt.Errorf("source: %w", err))
			}
			dst, err := evaluator.ResolveTarget(snap, args[1])
			if err != nil {
				return usageError(fmt.Errorf("destination: %w", err))
			}
			if (src.Kind == "IP" || src.Kind == "Network") && (dst.Kind == "IP" || dst.Kind == "Network") {
				return usageError(fmt.Errorf("%s and %s are both outside the pods: NetworkPolicy only governs traffic from or to pods, so name a pod or workload at one end", src.ID, dst.ID))
			}
			for _, t := range []*evaluator.Target{src, dst} {
				if t.Note != "" {
					fmt.Fprintf(s.err, "netreach: %s\n", t.Note)
				}
			}
			enforced, why := graph.Enforced(), graph.EnforcementReason
			doc := &export.VerdictDoc{APIVersion: export.APIVersion, Kind: "Verdict", Source: src.ID, Destination: dst.ID,
				Protocol: string(proto), Port: portNum, Enforcement: export.EnforcementDoc{Enforced: enforced, Reason: why}}
			for _, se := range src.Endpoints {
				for _, de := range dst.Endpoints {
					q := evaluator.Query{Protocol: proto, Port: portNum}
					if portName != "" {
						q, err = resolveNamedPort(de, portName, proto)
						if err != nil {
							return usageError(err)
						}
						doc.Protocol, doc.Port = string(q.Protocol), q.Port
					}
					// The compiled engine gives the verdict; the evaluator, the
					// executable specification, explains it. They must agree.
					v := evaluator.Evaluate(snap, g.semantics, se, de, q)
					if err := checkAgreement(graph, se, de, q, v); err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					doc.Verdicts = append(doc.Verdicts, export.NewPairDoc(v, se.String(), de.String()))
					doc.Pairs++
					if v.Allowed {
						doc.AllowedPairs++
					}
				}
			}
			if doc.Pairs == 0 {
				return usageError(errors.New("the source or destination has no pods to evaluate"))
			}
			// A network is reachable when some address of it is; pods and
			// workloads only when every pod pair is.
			doc.Allowed = doc.AllowedPairs == doc.Pairs
			if src.Kind == "Network" || dst.Kind == "Network" {
				doc.Allowed = doc.AllowedPairs > 0
			}
			if err := export.WriteVerdict(s.out, doc, f); err != nil {
				return err
			}
			if !doc.Allowed {
				return &exitError{code: exitNegative, err: errors.New("")}
			}
			return nil
		},
	}
	outputFlag(cmd, &output, export.Text, supported...)
	cmd.Flags().StringVar(&port, "port", "", "destination port: a number, or a named port resolved on the destination pod")
	cmd.Flags().StringVar(&protocol, "protocol", "", "TCP, UDP or SCTP (default TCP when --port is given, else all)")
	return cmd
}

// resolveNamedPort turns a named port into a number on the destination pod,
// as NetworkPolicy does (§2.9).
func resolveNamedPort(dst evaluator.Endpoint, name string, proto corev1.Protocol) (evaluator.Query, error) {
	if dst.Pod == nil {
		return evaluator.Query{}, fmt.Errorf("--port %s: a named port needs a pod as destination, and %s is an address", name, dst)
	}
	for _, cp := range dst.Pod.Ports {
		if cp.Name == name && (proto == "" || cp.Protocol == proto) {
			return evaluator.Query{Protocol: cp.Protocol, Port: cp.Port}, nil
		}
	}
	var names []string
	for _, cp := range dst.Pod.Ports {
		if cp.Name != "" {
			names = append(names, fmt.Sprintf("%s (%s %d)", cp.Name, cp.Protocol, cp.Port))
		}
	}
	have := "it declares no named ports"
	if len(names) > 0 {
		have = "it declares " + strings.Join(names, ", ")
	}
	return evaluator.Query{}, fmt.Errorf("--port %s: %s declares no such named port; %s", name, dst, have)
}

// checkAgreement compares the engine's answer with the evaluator's verdict; a
// difference is a bug in one of them, and neither answer can be trusted.
func checkAgreement(graph *engine.Graph, src, dst evaluator.Endpoint, q evaluator.Query, v *evaluator.Verdict) error {
	gs, ok1 := graph.FromEvaluator(src)
	gd, ok2 := graph.FromEvaluator(dst)
	if !ok1 || !ok2 {
		return fmt.Errorf("internal error: %s or %s is not in the compiled graph", src, dst)
	}
	want := evaluator.AllPorts(evaluator.Protocols...)
	if q.Protocol != "" {
		want = evaluator.AllPorts(q.Protocol)
	}
	if q.Port != 0 {
		one := evaluator.PortSet{}
		for _, p := range evaluator.Protocols {
			one = one.Union(evaluator.SinglePort(p, q.Port, q.Port))
		}
		want = want.Intersect(one)
	}
	got := graph.AllowedPorts(gs, gd).Intersect(want)
	if !got.Equal(v.Ports) {
		return fmt.Errorf("internal error: the engine allows %s from %s to %s but the evaluator %s; please report this with the input", got, src, dst, v.Ports)
	}
	return nil
}
