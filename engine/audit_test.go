package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// manifest helpers for small audit scenarios.

func nsDoc(name string, labels ...string) string {
	l := ""
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		l += fmt.Sprintf(", %s: %q", k, v)
	}
	if l != "" {
		l = ", labels: {" + l[2:] + "}"
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s%s}\n", name, l)
}

// podDoc is a running pod; extra is YAML added to its spec (e.g. "hostNetwork: true").
func podDoc(ns, name, labels, ip, node, extra string) string {
	spec := "containers: [{name: c, ports: [{name: dns, containerPort: 53, protocol: UDP}]}], nodeName: " + node
	if extra != "" {
		spec += ", " + extra
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: {%s}}\nspec: {%s}\nstatus: {phase: Running, podIP: %s, hostIP: 10.0.1.1}\n",
		name, ns, labels, spec, ip)
}

// corednsTemplate is a DNS Deployment without pods: its template pod has no IP.
const corednsTemplate = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: coredns, namespace: kube-system}\nspec: {selector: {matchLabels: {k8s-app: kube-dns}}, template: {metadata: {labels: {k8s-app: kube-dns}}, spec: {containers: [{name: c, ports: [{name: dns, containerPort: 53, protocol: UDP}]}]}}}\n"

func policyDoc(ns, name, spec string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec: %s\n", name, ns, spec)
}

const nodeDoc = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 10.0.1.1}]}\n"

func auditOf(t *testing.T, opts evaluator.Options, catalog []*model.Network, docs ...string) (*Audit, *Graph) {
	t.Helper()
	g := graphOf(t, opts, docs...)
	return g.Audit(append(g.snap.Catalog(), catalog...), AuditOptions{}), g
}

// graphOf loads YAML documents as one file and compiles them.
func graphOf(t *testing.T, opts evaluator.Options, docs ...string) *Graph {
	t.Helper()
	data := strings.Join(docs, "---\n")
	s, err := model.Load([]string{"m.yaml"}, model.LoadOptions{FS: fstest.MapFS{"m.yaml": {Data: []byte(data)}}})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	g, err := Compile(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func findingSet(a *Audit) map[string]*Finding {
	out := map[string]*Finding{}
	for i := range a.Findings {
		f := &a.Findings[i]
		out[f.RuleID+" "+f.Key] = f
	}
	return out
}

// TestAuditFindings has, per rule, scenarios that must raise a finding and
// scenarios that must not, among them the traps presence checkers fall into:
// podSelector {} is scoped to its own namespace, matchExpressions select,
// policyTypes default from the rules, a rule-less policy denies, an
// egress-only policy leaves ingress open.
func TestAuditFindings(t *testing.T) {
	enforced := evaluator.Options{Enforcement: evaluator.EnforcementEnforced}
	peering := &model.Network{Name: "vpc", Type: model.NetworkPeering, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	transit := &model.Network{Name: "tgw", Type: model.NetworkTransit, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.64.0.0/14")}}
	apiServer := &model.Network{Name: "control-plane", Type: model.NetworkControlPlane, CIDRs: []netip.Prefix{netip.MustParsePrefix("172.20.0.10/32")}}
	dns := []string{nsDoc("kube-system"), podDoc("kube-system", "coredns", "k8s-app: kube-dns", "10.244.0.53", "n1", "")}
	web := podDoc("a", "web", "app: web", "10.244.0.10", "n1", "")
	denyAll := policyDoc("a", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}")
	allowDNS := policyDoc("a", "dns", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}")
	tests := []struct {
		name     string
		opts     evaluator.Options
		docs     []string
		want     []string // "ID key" that must be found
		notWant  []string // "ID key" that must not
		evidence map[string]string
	}{
		{name: "namespace without policy", docs: []string{nsDoc("a"), web},
			want:    []string{"NR001 namespace:a", "NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web"},
			notWant: []string{"NR002 namespace:a", "NR003 namespace:a"}},
		{name: "a namespace without pods is not reported", docs: []string{nsDoc("a"), nsDoc("b"), web},
			notWant: []string{"NR001 namespace:b"}},
		{name: "podSelector {} in another namespace does not cover this one",
			docs:    []string{nsDoc("a"), nsDoc("b"), web, policyDoc("b", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}")},
			want:    []string{"NR001 namespace:a", "NR004 workload:a/Pod/web"},
			notWant: []string{"NR001 namespace:b"}},
		{name: "default deny without policyTypes denies ingress (defaulting)",
			docs:    []string{nsDoc("a"), web, policyDoc("a", "deny", "{podSelector: {}}")},
			want:    []string{"NR003 namespace:a", "NR005 workload:a/Pod/web"},
			notWant: []string{"NR001 namespace:a", "NR002 namespace:a", "NR004 workload:a/Pod/web"}},
		{name: "egress rules default the types to both: a select-all egress baseline that restricts",
			docs:    []string{nsDoc("a"), web, policyDoc("a", "p", "{podSelector: {}, egress: [{to: [{podSelector: {}}]}]}")},
			notWant: []string{"NR002 namespace:a", "NR003 namespace:a", "NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web"}},
		{name: "select-all egress with an allow-all rule: open, with the rule as evidence",
			docs:     []string{nsDoc("a"), web, policyDoc("a", "p", "{podSelector: {}, egress: [{}]}")},
			want:     []string{"NR003 namespace:a", "NR005 workload:a/Pod/web"},
			notWant:  []string{"NR002 namespace:a", "NR004 workload:a/Pod/web"},
			evidence: map[string]string{"NR005 workload:a/Pod/web": "rules without to admit every destination (pod or address) on every port: a/p egress[0]"}},
		{name: "deny all but DNS in one policy is a default deny for both directions",
			docs:    append([]string{nsDoc("a"), web, policyDoc("a", "base", "{podSelector: {}, policyTypes: [Ingress, Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}")}, dns...),
			notWant: []string{"NR002 namespace:a", "NR003 namespace:a", "NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web", "NR016 workload:a/Pod/web"}},
		{name: "allow-all both ways in one namespace with two pods",
			docs: []string{nsDoc("a"), web, podDoc("a", "db", "app: db", "10.244.0.12", "n1", ""),
				policyDoc("a", "all", "{podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}]}")},
			want:     []string{"NR002 namespace:a", "NR003 namespace:a", "NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web", "NR004 workload:a/Pod/db", "NR005 workload:a/Pod/db"},
			evidence: map[string]string{"NR004 workload:a/Pod/db": "a/all ingress[0]", "NR003 namespace:a": "whose rules admit every destination (pod or address) on every port: a/all egress[0]"}},
		{name: "a default deny next to an allow-all policy is defeated",
			docs:    []string{nsDoc("a"), web, denyAll, policyDoc("a", "all", "{podSelector: {}, ingress: [{}]}")},
			want:    []string{"NR002 namespace:a", "NR004 workload:a/Pod/web"},
			notWant: []string{"NR003 namespace:a", "NR005 workload:a/Pod/web"}},
		{name: "allow-all split over protocols still admits everything; one protocol short does not",
			docs: []string{nsDoc("a"), nsDoc("b"), web, podDoc("b", "api", "app: api", "10.244.0.11", "n1", ""),
				policyDoc("a", "all", "{podSelector: {}, ingress: [{ports: [{protocol: TCP}]}, {ports: [{protocol: UDP}]}, {ports: [{protocol: SCTP}]}]}"),
				policyDoc("b", "most", "{podSelector: {}, ingress: [{ports: [{protocol: TCP}]}, {ports: [{protocol: UDP}]}]}")},
			want:    []string{"NR002 namespace:a", "NR004 workload:a/Pod/web"},
			notWant: []string{"NR002 namespace:b", "NR004 workload:b/Pod/api"}},
		{name: "egress-only default deny leaves ingress open",
			docs:    []string{nsDoc("a"), web, policyDoc("a", "deny", "{podSelector: {}, policyTypes: [Egress]}")},
			want:    []string{"NR002 namespace:a", "NR004 workload:a/Pod/web"},
			notWant: []string{"NR003 namespace:a", "NR005 workload:a/Pod/web"}},
		{name: "select-all with an allow-all rule is no default deny, and its pods are open",
			docs:     []string{nsDoc("a"), web, policyDoc("a", "all", "{podSelector: {}, ingress: [{}]}")},
			want:     []string{"NR002 namespace:a", "NR004 workload:a/Pod/web"},
			evidence: map[string]string{"NR002 namespace:a": "is selected by a policy with podSelector: {} whose rules admit every source (pod or address) on every port: a/all ingress[0]"}},
		{name: "matchExpressions isolate the pod, but are no default deny",
			docs:     []string{nsDoc("a"), web, policyDoc("a", "p", "{podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}, policyTypes: [Ingress, Egress]}")},
			want:     []string{"NR002 namespace:a", "NR003 namespace:a"},
			notWant:  []string{"NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web", "NR014 policy:a/p"},
			evidence: map[string]string{"NR002 namespace:a": "its 1 pod is restricted for ingress by specific policies today, but a new pod that none selects would be open"}},
		{name: "full default deny with DNS closes namespace and workload findings",
			docs:    append([]string{nsDoc("a"), web, denyAll, allowDNS}, dns...),
			notWant: []string{"NR001 namespace:a", "NR002 namespace:a", "NR003 namespace:a", "NR004 workload:a/Pod/web", "NR005 workload:a/Pod/web", "NR007 workload:a/Pod/web", "NR011 workload:a/Pod/web", "NR012 workload:a/Pod/web", "NR016 workload:a/Pod/web"}},
		{name: "host-network pod, selected in vain",
			docs: []string{nodeDoc, nsDoc("a"), podDoc("a", "agent", "app: agent", "10.0.1.1", "n1", "hostNetwork: true"), web,
				policyDoc("a", "agent", "{podSelector: {matchLabels: {app: agent}}}"), policyDoc("a", "web", "{podSelector: {matchLabels: {app: web}}}")},
			want:     []string{"NR006 workload:a/Pod/agent", "NR014 policy:a/agent"},
			notWant:  []string{"NR006 workload:a/Pod/web", "NR004 workload:a/Pod/agent", "NR014 policy:a/web"},
			evidence: map[string]string{"NR006 workload:a/Pod/agent": "policies that select their labels in vain: a/agent"}},
		{name: "metadata, peering, transit and internet reached by open egress",
			docs: []string{nsDoc("a"), web},
			want: []string{"NR007 workload:a/Pod/web", "NR009 workload:a/Pod/web", "NR010 workload:a/Pod/web", "NR011 workload:a/Pod/web", "NR012 workload:a/Pod/web"}},
		{name: "egress to 0.0.0.0/0 except metadata and private ranges",
			docs:     []string{nsDoc("a"), web, policyDoc("a", "out", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32, 10.0.0.0/8]}}], ports: [{port: 443}]}]}")},
			want:     []string{"NR011 workload:a/Pod/web"},
			notWant:  []string{"NR007 workload:a/Pod/web", "NR009 workload:a/Pod/web", "NR010 workload:a/Pod/web", "NR005 workload:a/Pod/web"},
			evidence: map[string]string{"NR011 workload:a/Pod/web": "allowed by a/out egress[0]"}},
		{name: "kube-system beyond DNS",
			docs:     append([]string{nsDoc("a"), web, podDoc("kube-system", "metrics", "app: metrics", "10.244.0.77", "n1", "")}, dns...),
			want:     []string{"NR008 workload:a/Pod/web"},
			evidence: map[string]string{"NR008 workload:a/Pod/web": "kube-system/Pod/metrics: all"}},
		{name: "API server endpoints reached by open egress (net:control-plane)",
			docs:     []string{nsDoc("a"), web},
			want:     []string{"NR008 workload:a/Pod/web"},
			evidence: map[string]string{"NR008 workload:a/Pod/web": "net:control-plane (control-plane): all, every address"}},
		{name: "egress that excludes the API server does not reach the control plane",
			docs:    []string{nsDoc("a"), web, policyDoc("a", "out", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [172.20.0.0/16]}}]}]}")},
			want:    []string{"NR011 workload:a/Pod/web"},
			notWant: []string{"NR008 workload:a/Pod/web"}},
		{name: "NR015 on egress to peers",
			docs: []string{nsDoc("a"), web, podDoc("a", "db", "app: db", "10.244.0.12", "n1", ""),
				policyDoc("a", "out", "{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: dbb}}}, {podSelector: {matchLabels: {app: db}}}]}]}")},
			want:     []string{"NR015 peer:a/out#egress[0].to[0]"},
			notWant:  []string{"NR015 peer:a/out#egress[0].to[1]"},
			evidence: map[string]string{"NR015 peer:a/out#egress[0].to[0]": "pods there carry app=db, app=web"}},
		{name: "DNS alone is not beyond DNS",
			docs:    append([]string{nsDoc("a"), web, policyDoc("a", "deny", "{podSelector: {}, policyTypes: [Egress]}"), allowDNS}, dns...),
			notWant: []string{"NR008 workload:a/Pod/web", "NR016 workload:a/Pod/web"}},
		{name: "NR016: DNS pods from a template (no IP) behind an egress ipBlock is unknown, not broken",
			docs: []string{nsDoc("a"), nsDoc("kube-system"), web, corednsTemplate, denyAll,
				policyDoc("a", "out", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 53, protocol: UDP}]}]}")},
			notWant: []string{"NR016 workload:a/Pod/web"}},
		{name: "NR016: DNS pods from a template with no egress rule at all is still broken",
			docs:     []string{nsDoc("a"), nsDoc("kube-system"), web, corednsTemplate, denyAll},
			want:     []string{"NR016 workload:a/Pod/web"},
			evidence: map[string]string{"NR016 workload:a/Pod/web": "no egress rule allows it"}},
		{name: "egress-isolated without DNS",
			docs:     append([]string{nsDoc("a"), web, denyAll}, dns...),
			want:     []string{"NR016 workload:a/Pod/web"},
			evidence: map[string]string{"NR016 workload:a/Pod/web": "isolated for egress by a/deny"}},
		{name: "DNS egress allowed but the DNS pods refuse it",
			docs:     append([]string{nsDoc("a"), web, denyAll, allowDNS, policyDoc("kube-system", "deny", "{podSelector: {}}")}, dns...),
			want:     []string{"NR016 workload:a/Pod/web"},
			evidence: map[string]string{"NR016 workload:a/Pod/web": "the DNS pods' ingress policies do not admit it"}},
		{name: "policy not enforced", opts: evaluator.Options{Enforcement: evaluator.EnforcementNone},
			docs:    []string{nsDoc("a"), web, denyAll},
			want:    []string{"NR013 cluster", "NR004 workload:a/Pod/web"},
			notWant: []string{"NR016 workload:a/Pod/web"}},
		{name: "enforced: no NR013", docs: []string{nsDoc("a"), web}, notWant: []string{"NR013 cluster"}},
		{name: "peer typos select nothing; NotIn matches namespaces without the key",
			docs: []string{nsDoc("a"), nsDoc("b", "env=prod"), web, podDoc("b", "api", "app: api", "10.244.0.11", "n1", ""),
				policyDoc("a", "in", "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {env: prdo}}}, {podSelector: {matchLabels: {app: wbe}}}, {namespaceSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [x]}]}}]}]}")},
			want:     []string{"NR015 peer:a/in#ingress[0].from[0]", "NR015 peer:a/in#ingress[0].from[1]"},
			notWant:  []string{"NR015 peer:a/in#ingress[0].from[2]"},
			evidence: map[string]string{"NR015 peer:a/in#ingress[0].from[1]": "pods there carry app=web"}},
		{name: "NR014: no finding in a namespace without pods, nor for an empty selector",
			docs: []string{nsDoc("a"), nsDoc("empty"), nsDoc("hosts"), web, nodeDoc,
				podDoc("hosts", "agent", "app: agent", "10.0.1.1", "n1", "hostNetwork: true"),
				policyDoc("empty", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
				policyDoc("empty", "api", "{podSelector: {matchLabels: {app: api}}}"),
				policyDoc("hosts", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
				policyDoc("a", "typo", "{podSelector: {matchLabels: {app: wbe}}}")},
			want:     []string{"NR014 policy:a/typo"},
			notWant:  []string{"NR014 policy:empty/deny", "NR014 policy:empty/api", "NR014 policy:hosts/deny"},
			evidence: map[string]string{"NR014 policy:a/typo": "pods there carry app=web"}},
		{name: "large blast radius in an open cluster",
			docs: []string{nsDoc("a"), web, podDoc("a", "db", "app: db", "10.244.0.12", "n1", ""), podDoc("a", "api", "app: api", "10.244.0.13", "n1", "")},
			want: []string{"NR017 workload:a/Pod/web", "NR017 workload:a/Pod/db"}},
		{name: "no large blast radius when isolated",
			docs:    []string{nsDoc("a"), web, podDoc("a", "db", "app: db", "10.244.0.12", "n1", ""), podDoc("a", "api", "app: api", "10.244.0.13", "n1", ""), denyAll},
			notWant: []string{"NR017 workload:a/Pod/web", "NR017 workload:a/Pod/db"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts.Enforcement == "" {
				opts = enforced
			}
			a, _ := auditOf(t, opts, []*model.Network{peering, transit, apiServer}, tc.docs...)
			got := findingSet(a)
			var ids []string
			for k := range got {
				ids = append(ids, k)
			}
			slices.Sort(ids)
			for _, w := range tc.want {
				if got[w] == nil {
					t.Errorf("missing finding %q; got %v", w, ids)
				}
			}
			for _, w := range tc.notWant {
				if f := got[w]; f != nil {
					t.Errorf("false positive %q: %s %v", w, f.Message, f.Evidence)
				}
			}
			for k, want := range tc.evidence {
				f := got[k]
				if f == nil {
					continue
				}
				if !strings.Contains(strings.Join(f.Evidence, "\n"), want) {
					t.Errorf("%s evidence lacks %q:\n%s", k, want, strings.Join(f.Evidence, "\n"))
				}
			}
		})
	}
}

// TestTransitiveReachMatchesBlastRadius checks the audit's per-class reach
// counts against the blast-radius walk from each class's representative pod,
// on generated snapshots (host-network pods and node-local traffic included).
func TestTransitiveReachMatchesBlastRadius(t *testing.T) {
	demo, err := model.Load([]string{"."}, model.LoadOptions{FS: netreach.DemoFS(), FSName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	demoGraph, err := Compile(demo, evaluator.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(0); seed < 81; seed++ {
		g := demoGraph
		if seed < 80 {
			_, g = compiled(t, seed)
		}
		cg := newClassGraph(g)
		count, _ := cg.transitiveReach(g)
		for c := range g.classes {
			rep := g.classes[c].rep
			b := g.BlastRadius([]*model.Pod{rep}, nil, BlastOptions{})
			if b.ReachedPods != count[c] {
				t.Fatalf("seed %d: class of %s: audit counts %d reached pods, blast-radius %d", seed, rep.ID(), count[c], b.ReachedPods)
			}
		}
	}
}

func TestParseSeverityAndCount(t *testing.T) {
	for _, s := range []string{"critical", "HIGH", "medium", "low", "none"} {
		if _, err := ParseSeverity(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil || !strings.Contains(err.Error(), "use critical, high, medium, low or none") {
		t.Errorf("urgent: %v", err)
	}
	fs := []Finding{{Severity: SeverityLow}, {Severity: SeverityHigh}, {Severity: SeverityCritical}}
	for _, tc := range []struct {
		s    Severity
		want int
	}{{0, 0}, {SeverityLow, 3}, {SeverityMedium, 2}, {SeverityHigh, 2}, {SeverityCritical, 1}} {
		if got := Count(fs, tc.s); got != tc.want {
			t.Errorf("Count(%s) = %d, want %d", tc.s, got, tc.want)
		}
	}
	for _, r := range Rules {
		if r.Severity == 0 || r.Title == "" || r.Remediation == "" || len(r.References) == 0 {
			t.Errorf("rule %s is incomplete", r.ID)
		}
	}
}

func TestPortsMinus(t *testing.T) {
	tcp := func(from, to int32) evaluator.PortSet { return evaluator.SinglePort("TCP", from, to) }
	all := evaluator.AllPorts(evaluator.Protocols...)
	dns := evaluator.SinglePort("UDP", 53, 53).Union(tcp(53, 53))
	for _, tc := range []struct {
		a, b evaluator.PortSet
		want string
	}{
		{all, dns, "TCP 1-52,54-65535 · UDP 1-52,54-65535 · SCTP all"},
		{tcp(80, 90), tcp(85, 85), "TCP 80-84,86-90"},
		{tcp(80, 90), tcp(1, 100), "none"},
		{tcp(80, 90), evaluator.SinglePort("UDP", 80, 90), "TCP 80-90"},
		{tcp(80, 90).Union(tcp(100, 110)), tcp(85, 105), "TCP 80-84,106-110"},
		{evaluator.PortSet{}, tcp(1, 2), "none"},
	} {
		if got := portsMinus(tc.a, tc.b).String(); got != tc.want {
			t.Errorf("%s minus %s = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestSharedRowsEqualClassRows checks that classes sharing a row in the audit's
// class graph really have equal rows.
func TestSharedRowsEqualClassRows(t *testing.T) {
	for seed := uint64(0); seed < 80; seed++ {
		_, g := compiled(t, seed)
		cg := newClassGraph(g)
		for c := range g.classes {
			want := map[int32]string{}
			for cd, p := range g.row(int32(c)) {
				if !p.Empty() {
					want[cd] = p.String()
				}
			}
			got := map[int32]string{}
			for _, e := range cg.out(int32(c)) {
				got[e.c] = e.ports.String()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d class %d: shared row differs (-want +got):\n%s", seed, c, diff)
			}
		}
	}
}

// dnsService is Service kube-system/kube-dns with the given ports (YAML flow list).
func dnsService(ports string) string {
	return "apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\nspec: {selector: {k8s-app: kube-dns}, ports: " + ports + "}\n"
}

// TestDNSPort checks where the DNS port comes from: the kube-dns Service's
// targetPort (a number, or a name resolved on the DNS pods), its port when
// targetPort is unset, and 53 without the Service.
func TestDNSPort(t *testing.T) {
	coredns := "apiVersion: v1\nkind: Pod\nmetadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}\nspec: {containers: [{name: c, ports: [{name: dns, containerPort: 1053, protocol: UDP}, {name: dns-tcp, containerPort: 1054, protocol: TCP}]}]}\nstatus: {phase: Running, podIP: 10.244.0.53}\n"
	for _, tc := range []struct {
		name     string
		docs     []string
		udp, tcp int32
	}{
		{"no Service", []string{nsDoc("kube-system"), coredns}, 53, 53},
		{"numeric targetPort", []string{nsDoc("kube-system"), coredns, dnsService("[{name: dns, port: 53, protocol: UDP, targetPort: 5353}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 5354}]")}, 5353, 5354},
		{"named targetPort", []string{nsDoc("kube-system"), coredns, dnsService("[{name: dns, port: 53, protocol: UDP, targetPort: dns}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns-tcp}]")}, 1053, 1054},
		{"no targetPort", []string{nsDoc("kube-system"), coredns, dnsService("[{name: dns, port: 54, protocol: UDP}]")}, 54, 53},
	} {
		_, g := auditOf(t, evaluator.Options{Enforcement: evaluator.EnforcementEnforced}, nil, tc.docs...)
		if udp, tcp := DNSPort(g.Snapshot(), corev1.ProtocolUDP), DNSPort(g.Snapshot(), corev1.ProtocolTCP); udp != tc.udp || tcp != tc.tcp {
			t.Errorf("%s: DNS ports UDP %d, TCP %d; want %d, %d", tc.name, udp, tcp, tc.udp, tc.tcp)
		}
	}
}

// TestDNSOnTargetPort checks that NR016 and the fix use the DNS pods' real
// port: an allowance for 53 does not reach DNS pods serving on 5353.
func TestDNSOnTargetPort(t *testing.T) {
	enforced := evaluator.Options{Enforcement: evaluator.EnforcementEnforced}
	coredns := podDoc("kube-system", "coredns", "k8s-app: kube-dns", "10.244.0.53", "n1", "")
	svc := dnsService("[{name: dns, port: 53, protocol: UDP, targetPort: 5353}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 5353}]")
	web := podDoc("a", "web", "app: web", "10.244.0.10", "n1", "")
	deny := policyDoc("a", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}")
	allow := func(port int) string {
		return policyDoc("a", "dns", fmt.Sprintf("{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: %d, protocol: UDP}]}]}", port))
	}
	a, _ := auditOf(t, enforced, nil, nsDoc("a"), nsDoc("kube-system"), web, coredns, svc, deny, allow(53))
	f := findingSet(a)["NR016 workload:a/Pod/web"]
	if f == nil || !strings.Contains(f.Message, "on UDP 5353") {
		t.Errorf("egress on 53 to DNS pods serving 5353: NR016 = %+v, want a finding on UDP 5353", f)
	}
	a, _ = auditOf(t, enforced, nil, nsDoc("a"), nsDoc("kube-system"), web, coredns, svc, deny, allow(5353))
	if f := findingSet(a)["NR016 workload:a/Pod/web"]; f != nil {
		t.Errorf("egress on 5353 to DNS pods serving 5353: false NR016 %s", f.Message)
	}
	// The remediation allows the DNS pods' port.
	a, g := auditOf(t, enforced, nil, nsDoc("a"), nsDoc("kube-system"), web, coredns, svc)
	var ports []string
	for _, fx := range FixPolicies(g.Snapshot(), a) {
		if fx.Namespace != "a" {
			continue
		}
		for _, p := range fx.Policies {
			for _, r := range p.Spec.Egress {
				for _, pp := range r.Ports {
					ports = append(ports, fmt.Sprintf("%s %s/%s", p.Namespace, *pp.Protocol, pp.Port.String()))
				}
			}
		}
	}
	if want := []string{"a UDP/5353", "a TCP/5353"}; !slices.Equal(ports, want) {
		t.Errorf("fix DNS egress ports %v, want %v", ports, want)
	}
}

func TestFixOutcome(t *testing.T) {
	f := func(rule, key string) Finding { return Finding{RuleID: rule, Key: key} }
	before := &Audit{Findings: []Finding{f(RuleNoPolicy, "namespace:a"), f(RuleOpenIngress, "workload:a/Deployment/x"), f(RuleNoPolicy, "namespace:b")}}
	after := &Audit{Findings: []Finding{f(RuleNoPolicy, "namespace:b"), f(RuleOpenIngress, "workload:c/Deployment/y")}}
	closed, remaining := FixOutcome(before, after)
	wantClosed := []FindingKey{{RuleNoPolicy, "namespace:a"}, {RuleOpenIngress, "workload:a/Deployment/x"}}
	wantRemaining := []FindingKey{{RuleNoPolicy, "namespace:b"}, {RuleOpenIngress, "workload:c/Deployment/y"}}
	if diff := cmp.Diff(wantClosed, closed); diff != "" {
		t.Errorf("closed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRemaining, remaining); diff != "" {
		t.Errorf("remaining (-want +got):\n%s", diff)
	}
}
