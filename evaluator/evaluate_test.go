package evaluator

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/model"
)

// cluster is a small snapshot for explanation tests: namespaces shop and data,
// a node, and pods with named ports.
const cluster = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: data, labels: {team: db}}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.1.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 10.0.1.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data, labels: {app: db}}
spec: {nodeName: n1, containers: [{name: c, ports: [{name: pg, containerPort: 5432}, {name: dns, containerPort: 53, protocol: UDP}]}]}
status: {phase: Running, podIP: 10.244.0.20}
---
apiVersion: v1
kind: Pod
metadata: {name: exporter, namespace: data, labels: {app: db}}
spec: {nodeName: n2, hostNetwork: true, containers: [{name: c}]}
status: {phase: Running, podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: shop, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c}]}
status: {phase: Succeeded, podIP: 10.244.0.30}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: future, namespace: shop}
spec:
  template:
    metadata: {labels: {app: future}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 9090}]}]}
`

func load(t *testing.T, manifests ...string) *model.Snapshot {
	t.Helper()
	fsys := fstest.MapFS{}
	for i, m := range manifests {
		fsys[string(rune('a'+i))+".yaml"] = &fstest.MapFile{Data: []byte(m)}
	}
	s, err := model.Load([]string{"."}, model.LoadOptions{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pod(t *testing.T, s *model.Snapshot, id string) Endpoint {
	t.Helper()
	p := s.Pod(id)
	if p == nil {
		t.Fatalf("no pod %s", id)
	}
	return PodEndpoint(p)
}

// summary flattens a verdict into what a user reads from it.
type summary struct {
	Allowed bool
	Ports   string
	Egress  string
	Ingress string
	Notes   []string
}

func sideSummary(s Side) string {
	switch {
	case !s.Policed:
		return "unpoliced"
	case !s.Isolated:
		return "open"
	}
	var parts []string
	for _, m := range s.Allowing {
		parts = append(parts, "allow "+m.Policy.ID()+"#"+itoa(m.Rule)+" "+m.Ports.String())
	}
	if len(s.Allowing) == 0 {
		for _, m := range s.Misses {
			parts = append(parts, "miss "+m.Policy.ID()+"#"+itoa(m.Rule)+" "+string(m.Reason))
		}
	}
	if len(parts) == 0 {
		return "isolated, no rules"
	}
	return strings.Join(parts, "; ")
}

func itoa(i int) string { return string(rune('0' + i)) }

func summarize(v *Verdict) summary {
	s := summary{Allowed: v.Allowed, Ports: v.Ports.String(), Egress: sideSummary(v.Egress), Ingress: sideSummary(v.Ingress)}
	for _, n := range v.Notes {
		s.Notes = append(s.Notes, n.Code)
	}
	return s
}

func TestEvaluateExplains(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		opts     Options
		src, dst string
		q        Query
		want     summary
	}{
		{
			name: "no policies: everything allowed, all ports listed",
			src:  "shop/web", dst: "data/db",
			want: summary{Allowed: true, Ports: "all", Egress: "open", Ingress: "open"},
		},
		{
			name: "default deny ingress without rules",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}}`,
			src: "shop/web", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Ports: "none", Egress: "open", Ingress: "isolated, no rules"},
		},
		{
			name: "namespace selector admits on a named port resolved at the destination",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pg, namespace: data}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: web}}}]
    ports: [{port: pg}]`,
			src: "shop/web", dst: "data/db",
			want: summary{Allowed: true, Ports: "TCP 5432", Egress: "open", Ingress: "allow data/pg#0 TCP 5432"},
		},
		{
			name: "podSelector alone selects only the policy's namespace",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pg, namespace: data}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]`,
			src: "shop/web", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Ports: "none", Egress: "open", Ingress: "miss data/pg#0 peer-mismatch"},
		},
		{
			name: "named port with the wrong protocol does not resolve",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: data}
spec:
  podSelector: {}
  ingress: [{ports: [{port: dns, protocol: TCP}]}]`,
			src: "shop/web", dst: "data/db", q: Query{Protocol: "TCP", Port: 53},
			want: summary{Ports: "none", Egress: "open", Ingress: "miss data/dns#0 named-port-unresolved"},
		},
		{
			name: "egress needs both sides: egress allowed, ingress denied",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  egress: [{ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}, policyTypes: [Ingress]}`,
			src: "shop/web", dst: "data/db",
			want: summary{Ports: "none", Egress: "allow shop/out#0 TCP 5432", Ingress: "isolated, no rules"},
		},
		{
			name: "0.0.0.0/0 egress reaches the metadata address on the allowed port only",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]`,
			src: "shop/web", dst: "169.254.169.254",
			want: summary{Allowed: true, Ports: "TCP 443", Egress: "allow shop/out#0 TCP 443", Ingress: "unpoliced", Notes: []string{NoteExternal}},
		},
		{
			name: "ipBlock matches pod addresses by default",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cidr, namespace: data}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.0.128/25]}}]}]`,
			src: "shop/web", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Allowed: true, Ports: "TCP 5432", Egress: "open", Ingress: "allow data/cidr#0 TCP 5432", Notes: []string{NoteIPBlockPodsMatch}},
		},
		{
			name: "ipBlock ignores pod addresses with --ipblock-pods=ignore",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cidr, namespace: data}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/16}}]}]`,
			opts: Options{IPBlockPods: IPBlockPodsIgnore, Enforcement: EnforcementAuto},
			src:  "shop/web", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Ports: "none", Egress: "open", Ingress: "miss data/cidr#0 ipblock-ignores-pods"},
		},
		{
			name: "a template pod has no IP, so ipBlocks never match it",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cidr, namespace: data}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]`,
			src: "shop/future-deployment-template", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Ports: "none", Egress: "open", Ingress: "miss data/cidr#0 pod-has-no-ip", Notes: []string{NoteTemplate}},
		},
		{
			name: "hostNetwork pods are never selected by podSelector but match ipBlocks with the node address",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: sel, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: 80}]
  - from: [{ipBlock: {cidr: 10.0.0.0/16}}]
    ports: [{port: 8080}]`,
			src: "data/exporter", dst: "shop/web",
			want: summary{Allowed: true, Ports: "TCP 8080", Egress: "unpoliced", Ingress: "allow shop/sel#1 TCP 8080", Notes: []string{NoteHostNetwork}},
		},
		{
			name: "a hostNetwork pod is never isolated",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`,
			src: "shop/web", dst: "data/exporter", q: Query{Protocol: "TCP", Port: 9100},
			want: summary{Allowed: true, Ports: "TCP 9100", Egress: "open", Ingress: "unpoliced", Notes: []string{NoteHostNetwork}},
		},
		{
			name: "traffic from the pod's own node is always allowed in",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}}`,
			src: "10.0.1.1", dst: "data/db", q: Query{Protocol: "TCP", Port: 5432},
			want: summary{Allowed: true, Ports: "TCP 5432", Egress: "unpoliced", Ingress: "isolated, no rules", Notes: []string{NoteExternal, NoteNodeLocal}},
		},
		{
			name: "loopback is never policed",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`,
			src: "data/db", dst: "data/db", q: Query{Protocol: "UDP", Port: 53},
			want: summary{Allowed: true, Ports: "UDP 53", Egress: "unpoliced", Ingress: "unpoliced", Notes: []string{NoteLoopback}},
		},
		{
			name: "a finished pod takes no part",
			src:  "shop/done", dst: "data/db",
			want: summary{Ports: "none", Egress: "unpoliced", Ingress: "unpoliced", Notes: []string{NoteTerminated}},
		},
		{
			name: "enforcement off allows everything",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: data}
spec: {podSelector: {}}`,
			opts: Options{IPBlockPods: IPBlockPodsMatch, Enforcement: EnforcementNone},
			src:  "shop/web", dst: "data/db", q: Query{Protocol: "SCTP"},
			want: summary{Allowed: true, Ports: "SCTP all", Egress: "open", Ingress: "isolated, no rules", Notes: []string{NoteEnforcementOff}},
		},
		{
			name: "endPort ranges are inclusive",
			policies: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: range, namespace: data}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 5000, endPort: 5432}, {port: 53, protocol: UDP}]}]`,
			src: "shop/web", dst: "data/db",
			want: summary{Allowed: true, Ports: "TCP 5000-5432 · UDP 53", Egress: "open", Ingress: "allow data/range#0 TCP 5000-5432 · UDP 53"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			manifests := []string{cluster}
			if tc.policies != "" {
				manifests = append(manifests, tc.policies)
			}
			s := load(t, manifests...)
			opts := tc.opts
			if opts == (Options{}) {
				opts = DefaultOptions()
			}
			resolve := func(id string) Endpoint {
				if a, err := netip.ParseAddr(id); err == nil {
					return IPEndpoint(a)
				}
				return pod(t, s, id)
			}
			v := Evaluate(s, opts, resolve(tc.src), resolve(tc.dst), tc.q)
			if diff := cmp.Diff(tc.want, summarize(v)); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissDetailsSayWhatTheRuleAdmits(t *testing.T) {
	s := load(t, cluster, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pg, namespace: data}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [billing]}]}
      podSelector: {matchLabels: {app: api}}
    - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
`)
	v := Evaluate(s, DefaultOptions(), pod(t, s, "shop/web"), pod(t, s, "data/db"), Query{Protocol: corev1.ProtocolTCP, Port: 5432})
	if len(v.Ingress.Misses) != 1 {
		t.Fatalf("misses: %+v", v.Ingress.Misses)
	}
	want := "its peers are pods with app=api in namespaces with team in (billing); or addresses in 192.168.0.0/16 except 192.168.1.0/24"
	if diff := cmp.Diff(want, v.Ingress.Misses[0].Detail); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
}

func TestResolveEnforcement(t *testing.T) {
	ds := func(name, image string) string {
		return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ` + name + `, namespace: kube-system}
spec:
  template:
    metadata: {labels: {app: ` + name + `}}
    spec: {containers: [{name: c, image: "` + image + `"}]}
`
	}
	tests := []struct {
		name     string
		objects  []string
		opts     Options
		enforced bool
		reason   string
	}{
		{"flannel alone", []string{ds("kube-flannel-ds", "docker.io/flannel/flannel:v0.25")}, DefaultOptions(), false,
			"the only network plugin found is flannel (kube-system/DaemonSet/kube-flannel-ds), which does not enforce NetworkPolicy"},
		{"flannel with calico (canal)", []string{ds("kube-flannel-ds", "flannel:v1"), ds("calico-node", "calico/node:v3")}, DefaultOptions(), true,
			"enforced by Calico (kube-system/DaemonSet/calico-node)"},
		{"cilium recognised by image", []string{ds("agent", "quay.io/cilium/cilium:v1.16")}, DefaultOptions(), true,
			"enforced by Cilium (kube-system/DaemonSet/agent)"},
		{"nothing known", nil, DefaultOptions(), true,
			"no network plugin DaemonSet in the snapshot; enforcement assumed (set --enforcement to be explicit)"},
		{"flag wins", []string{ds("calico-node", "calico/node:v3")}, Options{Enforcement: EnforcementNone}, false, "--enforcement=none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, append([]string{cluster}, tc.objects...)...)
			enforced, reason := ResolveEnforcement(s, tc.opts)
			if enforced != tc.enforced || reason != tc.reason {
				t.Errorf("got (%v, %q), want (%v, %q)", enforced, reason, tc.enforced, tc.reason)
			}
			// A partial live read keeps kube-system's DaemonSets apart from
			// the workloads analysed; detection gives the same answer.
			plugins := load(t, append([]string{cluster}, tc.objects...)...)
			apart := load(t, cluster)
			for _, w := range plugins.Workloads {
				if w.Kind == "DaemonSet" {
					apart.KubeSystemDaemonSets = append(apart.KubeSystemDaemonSets, w)
				}
			}
			if e, r := ResolveEnforcement(apart, tc.opts); e != tc.enforced || r != tc.reason {
				t.Errorf("from KubeSystemDaemonSets: got (%v, %q), want (%v, %q)", e, r, tc.enforced, tc.reason)
			}
		})
	}
}

func TestResolveTarget(t *testing.T) {
	s := load(t, cluster, `apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {clusterIP: 10.96.0.30, selector: {app: db}, ports: [{port: 5432}]}`)
	tests := []struct {
		id      string
		want    string // Kind:ID:endpoints, or the error
		wantErr bool
	}{
		{id: "shop/web", want: "Pod:shop/web:shop/web"},
		{id: "10.244.0.20", want: "Pod:data/db:data/db"},
		{id: "shop/deploy/future", want: "Deployment:shop/Deployment/future:shop/future-deployment-template"},
		{id: "203.0.113.9", want: "IP:203.0.113.9:203.0.113.9"},
		{id: "2001:db8::1", want: "IP:2001:db8::1:2001:db8::1"},
		{id: "10.0.1.1", want: "IP:10.0.1.1:10.0.1.1"},
		{id: "shop/wbe", wantErr: true, want: `no pod "shop/wbe" in the snapshot; did you mean shop/web, shop/done?`},
		{id: "shop/future", wantErr: true, want: `no pod "shop/future" in the snapshot; for the workload use shop/Deployment/future`},
		{id: "shop/sts/futur", wantErr: true, want: `no workload "shop/StatefulSet/futur" in the snapshot; did you mean shop/Deployment/future?`},
		{id: "10.96.0.30", wantErr: true, want: "10.96.0.30 is the ClusterIP of Service data/db; NetworkPolicy applies after the Service address is translated to a pod's, so name a pod or workload behind it instead"},
		{id: "net:cloud-metadata", want: "Network:net:cloud-metadata:ip:169.254.169.254-169.254.169.254,ip:fd00:ec2::254-fd00:ec2::254"},
		{id: "net:nodes", want: "Network:net:nodes:ip:10.0.1.1-10.0.1.1,ip:10.0.1.2-10.0.1.2"},
		{id: "net:intrenet", wantErr: true, want: `no network "net:intrenet" in the snapshot; did you mean net:internet, net:nodes?`},
		{id: "a/b/c/d", wantErr: true, want: `"a/b/c/d" is not an endpoint: use namespace/pod, namespace/Kind/name (a workload) or an IP address`},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			target, err := ResolveTarget(s, tc.id)
			if tc.wantErr {
				if err == nil || err.Error() != tc.want {
					t.Errorf("error = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var eps []string
			for _, e := range target.Endpoints {
				eps = append(eps, e.String())
			}
			if got := target.Kind + ":" + target.ID + ":" + strings.Join(eps, ","); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPortSet(t *testing.T) {
	a := SinglePort("TCP", 80, 90).Union(SinglePort("TCP", 91, 100)).Union(SinglePort("UDP", 53, 53))
	if got := a.String(); got != "TCP 80-100 · UDP 53" {
		t.Errorf("union/merge: %s", got)
	}
	b := a.Intersect(SinglePort("TCP", 95, 200))
	if got := b.String(); got != "TCP 95-100" {
		t.Errorf("intersect: %s", got)
	}
	if !a.Contains("TCP", 100) || a.Contains("TCP", 101) || a.Contains("SCTP", 80) {
		t.Error("Contains")
	}
	if AllPorts(Protocols...).String() != "all" || (PortSet{}).String() != "none" {
		t.Error("all/none")
	}
	covers := []struct {
		s, o PortSet
		want bool
	}{
		{a, SinglePort("TCP", 85, 100), true},
		{a, SinglePort("TCP", 85, 101), false},
		{a, SinglePort("TCP", 79, 80), false},
		{a, SinglePort("UDP", 53, 53).Union(SinglePort("TCP", 80, 80)), true},
		{a, SinglePort("SCTP", 80, 80), false},
		{a, PortSet{}, true},
		{PortSet{}, SinglePort("TCP", 1, 1), false},
		{SinglePort("TCP", 1, 10).Union(SinglePort("TCP", 20, 30)), SinglePort("TCP", 5, 25), false},
		{SinglePort("TCP", 1, 10).Union(SinglePort("TCP", 20, 30)), SinglePort("TCP", 2, 3).Union(SinglePort("TCP", 21, 30)), true},
		{AllPorts("TCP"), a, false},
		{AllPorts(Protocols...), a, true},
	}
	for i, c := range covers {
		if got := c.s.Covers(c.o); got != c.want {
			t.Errorf("covers %d: %s ⊇ %s = %v, want %v", i, c.s, c.o, got, c.want)
		}
	}
}

func TestNetworkTargetsAreCutAtIPBlockBoundaries(t *testing.T) {
	s := load(t, cluster, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 198.51.100.0/24, except: [198.51.100.128/25]}}]}]
---
apiVersion: netreach/v1
kind: NetworkCatalog
networks:
- {name: partner, type: partner, cidrs: [198.51.100.0/23]}
`)
	target, err := ResolveTarget(s, "net:partner")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range target.Endpoints {
		v := Evaluate(s, DefaultOptions(), pod(t, s, "shop/web"), e, Query{Protocol: "TCP", Port: 443})
		got = append(got, fmt.Sprintf("%s %v", e, v.Allowed))
	}
	want := []string{
		"ip:198.51.100.0-198.51.100.127 true",
		"ip:198.51.100.128-198.51.100.255 false",
		"ip:198.51.101.0-198.51.101.255 false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pieces (-want +got):\n%s", diff)
	}
}

// TestPortSetUnionPerPort checks Union and Intersect against port-by-port
// membership on random sets of ranges that overlap, touch, nest and repeat,
// small enough (ports 1-40) to check every port.
func TestPortSetUnionPerPort(t *testing.T) {
	state := uint64(1)
	next := func(n int) int32 {
		state = state*6364136223846793005 + 1442695040888963407
		return int32((state >> 33) % uint64(n))
	}
	random := func() PortSet {
		var s PortSet
		for range next(5) {
			from := 1 + next(35)
			s = s.Union(SinglePort(Protocols[next(2)], from, from+next(6)))
		}
		return s
	}
	for i := range 2000 {
		a, b := random(), random()
		if i%3 == 0 {
			b = a.Intersect(b) // nested: one side holds the other
		}
		u, x := a.Union(b), a.Intersect(b)
		for _, p := range Protocols[:2] {
			for _, rs := range [][]PortRange{u.Ranges(p), x.Ranges(p)} {
				for k := 1; k < len(rs); k++ {
					if rs[k].From <= rs[k-1].To+1 {
						t.Fatalf("case %d: %s, %s: %s ranges %v not merged or not sorted", i, a, b, p, rs)
					}
				}
			}
			for port := int32(1); port <= 45; port++ {
				if want := a.Contains(p, port) || b.Contains(p, port); u.Contains(p, port) != want {
					t.Fatalf("case %d: %s ∪ %s = %s: %s %d in union is %v, want %v", i, a, b, u, p, port, !want, want)
				}
				if want := a.Contains(p, port) && b.Contains(p, port); x.Contains(p, port) != want {
					t.Fatalf("case %d: %s ∩ %s = %s: %s %d in intersection is %v, want %v", i, a, b, x, p, port, !want, want)
				}
			}
		}
	}
}

// TestPortSetNestedMakesNothing checks that the union and the intersection
// of two sets one of which holds the other are built without allocating:
// a blast-radius walk makes such unions for most edges it follows.
func TestPortSetNestedMakesNothing(t *testing.T) {
	tcp := func(from, to int32) PortSet { return SinglePort("TCP", from, to) }
	wide := tcp(80, 80).Union(tcp(8000, 8100)).Union(SinglePort("UDP", 53, 53))
	narrow := tcp(8010, 8020)
	var sink PortSet
	allocs := testing.AllocsPerRun(100, func() {
		sink = wide.Union(narrow)
		sink = narrow.Union(wide)
		sink = wide.Intersect(narrow)
		sink = narrow.Intersect(wide)
		sink = wide.Union(wide)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of nested unions and intersections, want 0", allocs)
	}
	if diff := cmp.Diff("TCP 80,8000-8100 · UDP 53", wide.Union(narrow).String()); diff != "" {
		t.Errorf("union (-want +got):\n%s", diff)
	}
	_ = sink
}

// TestPortSetIntersect checks the intersection when one side holds the
// other (returned as is), when they overlap in part, and when they are
// disjoint, both ways round.
func TestPortSetIntersect(t *testing.T) {
	tcp := func(from, to int32) PortSet { return SinglePort("TCP", from, to) }
	web := tcp(80, 80).Union(tcp(443, 443)).Union(tcp(8000, 8100))
	tests := []struct {
		name string
		a, b PortSet
		want string
	}{
		{"equal", web, web, "TCP 80,443,8000-8100"},
		{"inside", web, tcp(443, 443), "TCP 443"},
		{"inside a range", web, tcp(8010, 8020), "TCP 8010-8020"},
		{"holds all of it", tcp(1, 9000), web, "TCP 80,443,8000-8100"},
		{"part", web, tcp(440, 8050), "TCP 443,8000-8050"},
		{"disjoint", web, tcp(81, 442), "none"},
		{"other protocol", web, SinglePort("UDP", 80, 80), "none"},
		{"all", AllPorts(Protocols...), web.Union(SinglePort("UDP", 53, 53)), "TCP 80,443,8000-8100 · UDP 53"},
		{"empty", web, PortSet{}, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, got := range []PortSet{tc.a.Intersect(tc.b), tc.b.Intersect(tc.a)} {
				if diff := cmp.Diff(tc.want, got.String()); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}
