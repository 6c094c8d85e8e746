package model

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// loadString loads manifests given as file name → content.
func loadString(t *testing.T, files map[string]string, opts LoadOptions) (*Snapshot, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	var names []string
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
		names = append(names, name)
	}
	opts.FS = fsys
	if len(names) == 1 {
		return Load(names, opts)
	}
	return Load([]string{"."}, opts)
}

func mustLoad(t *testing.T, files map[string]string) *Snapshot {
	t.Helper()
	s, err := loadString(t, files, LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// inventory summarises a snapshot in a form that is easy to compare.
type inventory struct {
	Namespaces []string
	Pods       []string // id|workload|template|ips
	Workloads  []string
	Nodes      []string
	Services   []string
	Endpoints  []string
	Policies   []string // id|types
	Skipped    []string
}

func inventoryOf(s *Snapshot) inventory {
	var inv inventory
	for _, ns := range s.Namespaces {
		name := ns.Name
		if ns.Synthesized {
			name += "(synthesized)"
		}
		inv.Namespaces = append(inv.Namespaces, name)
	}
	for _, p := range s.Pods {
		wl := "-"
		if p.Workload != nil {
			wl = p.Workload.ID()
		}
		var ips []string
		for _, ip := range p.IPs {
			ips = append(ips, ip.String())
		}
		tmpl := ""
		if p.Template {
			tmpl = "|template"
		}
		inv.Pods = append(inv.Pods, p.ID()+"|"+wl+tmpl+"|"+strings.Join(ips, ","))
	}
	for _, w := range s.Workloads {
		inv.Workloads = append(inv.Workloads, w.ID())
	}
	for _, n := range s.Nodes {
		var ips []string
		for _, ip := range n.IPs() {
			ips = append(ips, ip.String())
		}
		inv.Nodes = append(inv.Nodes, n.Name+"|"+strings.Join(ips, ","))
	}
	for _, svc := range s.Services {
		inv.Services = append(inv.Services, svc.Namespace+"/"+svc.Name)
	}
	for _, e := range s.Endpoints {
		var ips []string
		for _, ip := range e.Addresses {
			ips = append(ips, ip.String())
		}
		inv.Endpoints = append(inv.Endpoints, e.Kind+" "+e.Namespace+"/"+e.Name+"|"+e.Service+"|"+strings.Join(ips, ","))
	}
	for _, p := range s.Policies {
		var types []string
		for _, t := range p.Object.Spec.PolicyTypes {
			types = append(types, string(t))
		}
		inv.Policies = append(inv.Policies, p.ID()+"|"+strings.Join(types, ","))
	}
	for _, sk := range s.Skipped {
		for _, o := range sk.Objects {
			inv.Skipped = append(inv.Skipped, sk.Kind+" "+o.String())
		}
	}
	return inv
}

const podYAML = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web}
spec:
  containers:
  - name: c
    ports:
    - {name: http, containerPort: 8080}
status:
  phase: Running
  podIP: 10.244.0.5
`

func TestLoadContainerFormats(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  inventory
	}{
		{
			name:  "single YAML document",
			files: map[string]string{"pod.yaml": podYAML},
			want:  inventory{Namespaces: []string{"shop(synthesized)"}, Pods: []string{"shop/web-1|-|10.244.0.5"}},
		},
		{
			name: "multi-document YAML with comments, empty documents and a leading separator",
			files: map[string]string{"all.yaml": "# cluster\n---\n" + podYAML + "---\n# nothing here\n---\n" +
				"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\n"},
			want: inventory{Namespaces: []string{"shop"}, Pods: []string{"shop/web-1|-|10.244.0.5"},
				Skipped: []string{"v1/ConfigMap ConfigMap shop/cfg"}},
		},
		{
			name:  "JSON object",
			files: map[string]string{"ns.json": `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}`},
			want:  inventory{Namespaces: []string{"a"}},
		},
		{
			name: "stream of JSON objects",
			files: map[string]string{"ns.json": `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}`},
			want: inventory{Namespaces: []string{"a", "b"}},
		},
		{
			name: "JSON kind List as kubectl prints it",
			files: map[string]string{"list.json": `{
  "apiVersion": "v1",
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}, "status": {"podIP": "10.0.0.1"}}
  ],
  "kind": "List",
  "metadata": {"resourceVersion": ""}
}`},
			want: inventory{Namespaces: []string{"x"}, Pods: []string{"x/p|-|10.0.0.1"}},
		},
		{
			name: "typed JSON list whose items carry no kind",
			files: map[string]string{"pods.json": `{"apiVersion":"v1","kind":"PodList","items":[
				{"metadata":{"name":"a","namespace":"x"}},{"metadata":{"name":"b","namespace":"x"}}]}`},
			want: inventory{Namespaces: []string{"x(synthesized)"}, Pods: []string{"x/a|-|", "x/b|-|"}},
		},
		{
			name: "YAML kind List as kubectl prints it",
			files: map[string]string{"list.yaml": `apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: n1
  status:
    addresses:
    - {type: InternalIP, address: 10.0.1.1}
    - {type: Hostname, address: n1}
# a comment between items
- apiVersion: v1
  kind: Node
  metadata:
    name: n2
kind: List
metadata:
  resourceVersion: ""
`},
			want: inventory{Nodes: []string{"n1|10.0.1.1", "n2|"}},
		},
		{
			name: "typed YAML list in another layout",
			files: map[string]string{"list.yaml": `kind: NetworkPolicyList
apiVersion: networking.k8s.io/v1
items:
  - metadata: {name: deny, namespace: a}
    spec: {podSelector: {}}
`},
			want: inventory{Namespaces: []string{"a(synthesized)"}, Policies: []string{"a/deny|Ingress"}},
		},
		{
			name: "every kind the analysis reads",
			files: map[string]string{"all.yaml": `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.20
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: kubernetes, namespace: default}
subsets:
- addresses: [{ip: 10.0.0.5}, {ip: 10.0.0.6}]
  ports: [{name: https, port: 6443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes}
addressType: IPv4
endpoints:
- addresses: [10.0.0.5]
ports: [{name: https, port: 6443, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  egress: [{}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: agent:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: batch}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec:
          containers: [{name: a, image: job:1}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: old, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: a, image: old:1}]
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: calico, namespace: shop}
spec: {}
`},
			want: inventory{
				Namespaces: []string{"batch(synthesized)", "default(synthesized)", "kube-system(synthesized)", "legacy(synthesized)", "shop(synthesized)"},
				Pods: []string{"batch/nightly-cronjob-template|batch/CronJob/nightly|template|",
					"kube-system/agent-daemonset-template|kube-system/DaemonSet/agent|template|",
					"legacy/old-replicationcontroller-template|legacy/ReplicationController/old|template|"},
				Workloads: []string{"batch/CronJob/nightly", "kube-system/DaemonSet/agent", "legacy/ReplicationController/old"},
				Services:  []string{"shop/web"},
				Endpoints: []string{"EndpointSlice default/kubernetes|kubernetes|10.0.0.5", "Endpoints default/kubernetes|kubernetes|10.0.0.5,10.0.0.6"},
				Policies:  []string{"shop/np|Ingress,Egress"},
				Skipped:   []string{"crd.projectcalico.org/v1/NetworkPolicy NetworkPolicy shop/calico"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustLoad(t, tc.files)
			if diff := cmp.Diff(tc.want, inventoryOf(s)); diff != "" {
				t.Errorf("inventory mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadWorkloadResolution(t *testing.T) {
	files := map[string]string{"w.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: web:1}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5d8f7c9b6a
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: api:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f8b6c5d-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 7d9f8b6c5d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f8b6c5d, uid: u2, controller: true}]
status: {podIP: 10.244.0.7}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5d8f7c9b6a-xyz12
  namespace: shop
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d8f7c9b6a, uid: u3, controller: true}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-29000000
  namespace: shop
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: u4, controller: true}]
spec:
  template:
    metadata: {labels: {app: nightly}}
    spec: {containers: [{name: c, image: n:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-29000000-q2w3e
  namespace: shop
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: nightly-29000000, uid: u5, controller: true}]
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata:
  name: standalone-rs-pod
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: standalone, uid: u6, controller: true}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: db:1, ports: [{name: pg, containerPort: 5432}]}]}
`}
	s := mustLoad(t, files)
	want := inventory{
		Namespaces: []string{"shop(synthesized)"},
		Pods: []string{
			"shop/api-5d8f7c9b6a-xyz12|shop/Deployment/api|",
			"shop/db-statefulset-template|shop/StatefulSet/db|template|",
			"shop/nightly-29000000-q2w3e|shop/CronJob/nightly|",
			"shop/standalone-rs-pod|shop/ReplicaSet/standalone|",
			"shop/web-7d9f8b6c5d-abcde|shop/Deployment/web|10.244.0.7",
		},
		Workloads: []string{"shop/CronJob/nightly", "shop/Deployment/api", "shop/Deployment/web", "shop/ReplicaSet/standalone", "shop/StatefulSet/db"},
	}
	if diff := cmp.Diff(want, inventoryOf(s)); diff != "" {
		t.Errorf("inventory mismatch (-want +got):\n%s", diff)
	}
	if w := s.Workload("shop/Deployment/web"); w == nil || !w.InInput || w.Replicas == nil || *w.Replicas != 2 {
		t.Errorf("Deployment web should come from the input with 2 replicas, got %+v", w)
	}
	if w := s.Workload("shop/Deployment/api"); w == nil || w.InInput {
		t.Errorf("Deployment api is known only through its ReplicaSet, got %+v", w)
	}
	db := s.Pod("shop/db-statefulset-template")
	if db == nil || !db.Template || len(db.IPs) != 0 {
		t.Fatalf("template pod of StatefulSet db: %+v", db)
	}
	if diff := cmp.Diff([]ContainerPort{{Name: "pg", Port: 5432, Protocol: "TCP"}}, db.Ports); diff != "" {
		t.Errorf("template pod ports (-want +got):\n%s", diff)
	}
	if p := s.Pod("shop/nightly-29000000-q2w3e"); !p.Terminated() {
		t.Errorf("a Succeeded pod is terminated")
	}
}

func TestLoadDefaulting(t *testing.T) {
	s := mustLoad(t, map[string]string{"d.yaml": `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: web, kubernetes.io/metadata.name: wrong}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: with-egress}
spec:
  podSelector: {}
  egress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-egress-list}
spec:
  podSelector: {}
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: explicit}
spec:
  podSelector: {}
  policyTypes: [Egress]
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, ports: [{containerPort: 53, protocol: UDP}, {name: web, containerPort: 80}]}]
`})
	ns := s.Namespace("shop")
	if diff := cmp.Diff(map[string]string{"team": "web", "kubernetes.io/metadata.name": "shop"}, map[string]string(ns.Labels)); diff != "" {
		t.Errorf("namespace labels (-want +got):\n%s", diff)
	}
	if got := s.Namespace("default"); got == nil || got.Labels["kubernetes.io/metadata.name"] != "default" {
		t.Errorf("objects without a namespace go to default, which gets its name label: %+v", got)
	}
	types := map[string]string{}
	defaulted := map[string]bool{}
	for _, p := range s.Policies {
		var ts []string
		for _, t := range p.Object.Spec.PolicyTypes {
			ts = append(ts, string(t))
		}
		types[p.Name()] = strings.Join(ts, ",")
		defaulted[p.Name()] = p.PolicyTypesDefaulted
	}
	wantTypes := map[string]string{"ingress-only": "Ingress", "with-egress": "Ingress,Egress", "empty-egress-list": "Ingress", "explicit": "Egress"}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("policyTypes defaulting (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"ingress-only": true, "with-egress": true, "empty-egress-list": true, "explicit": false}, defaulted); diff != "" {
		t.Errorf("PolicyTypesDefaulted (-want +got):\n%s", diff)
	}
	for _, p := range s.Policies {
		for _, r := range p.Ingress {
			for _, port := range r.Ports {
				if port.Protocol == nil || *port.Protocol != "TCP" {
					t.Errorf("%s: port protocol should default to TCP, got %v", p.ID(), port.Protocol)
				}
			}
		}
	}
	want := []ContainerPort{{Port: 53, Protocol: "UDP"}, {Name: "web", Port: 80, Protocol: "TCP"}}
	if diff := cmp.Diff(want, s.Pod("default/p").Ports); diff != "" {
		t.Errorf("container ports (-want +got):\n%s", diff)
	}
}

func TestLoadDefaultNamespaceOption(t *testing.T) {
	s, err := loadString(t, map[string]string{"p.yaml": podYAML + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\n"},
		LoadOptions{DefaultNamespace: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Pod("team-a/q") == nil || s.Pod("shop/web-1") == nil {
		t.Errorf("-n sets the namespace of objects without one only; pods: %v", inventoryOf(s).Pods)
	}
}

func TestLoadHostNetworkPodGetsNodeAddress(t *testing.T) {
	s := mustLoad(t, map[string]string{"h.yaml": `apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  addresses: [{type: ExternalIP, address: 203.0.113.1}, {type: InternalIP, address: 10.0.1.1}]
---
apiVersion: v1
kind: Pod
metadata: {name: exporter, namespace: mon}
spec: {nodeName: n1, hostNetwork: true, containers: [{name: c}]}
`})
	p := s.Pod("mon/exporter")
	want := []netip.Addr{netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("203.0.113.1")}
	if diff := cmp.Diff(want, p.IPs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("hostNetwork pod without podIP takes its node's addresses (-want +got):\n%s", diff)
	}
	if got := s.PodsWithIP(netip.MustParseAddr("10.0.1.1")); len(got) != 1 {
		t.Errorf("PodsWithIP: %d pods", len(got))
	}
}

func TestLoadDirectoryAndStdin(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	write("a/b/ns.yml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
	write("c.json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"c"}}`)
	write("notes.txt", "not a manifest")
	write(".git/config.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: hidden}\n")

	stdin := strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n")
	s, err := Load([]string{dir, "-"}, LoadOptions{Stdin: stdin})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, inventoryOf(s).Namespaces); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	if got := s.Namespace("d").Source.File; got != "<stdin>" {
		t.Errorf("stdin source = %q", got)
	}
	if got, want := s.Namespace("b").Source.File, filepath.Join(dir, "a", "b", "ns.yml"); got != want {
		t.Errorf("source file = %q, want %q", got, want)
	}

	// An explicitly named file is read whatever its extension.
	s, err = Load([]string{filepath.Join(dir, "c.json")}, LoadOptions{})
	if err != nil || len(s.Namespaces) != 1 {
		t.Errorf("single file: %v, %v", err, s)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory"},
		{"directory without manifests", []string{filepath.Join(dir, "empty")}, filepath.Join(dir, "empty") + ": no manifests found: the directory has no .yaml, .yml, .json files"},
		{"stdin twice", []string{"-", "-"}, "<stdin>: standard input given more than once"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.paths, LoadOptions{Stdin: strings.NewReader("")})
			if err == nil {
				t.Fatal("expected an error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadLenient(t *testing.T) {
	files := map[string]string{"p.yaml": `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: a}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: a}
spec: {podSelector: {}}
`}
	if _, err := loadString(t, files, LoadOptions{}); err == nil {
		t.Fatal("strict loading must fail")
	}
	s, err := loadString(t, files, LoadOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/good|Ingress"}, inventoryOf(s).Policies); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	want := `skipped: p.yaml:6: document 1 (NetworkPolicy a/bad): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33"`
	if len(s.Warnings) == 0 || s.Warnings[0] != want {
		t.Errorf("warnings = %q, want first %q", s.Warnings, want)
	}
}

func TestLoadNetworks(t *testing.T) {
	fsys := fstest.MapFS{
		"nets.yaml": {Data: []byte(`apiVersion: netreach/v1
kind: NetworkCatalog
networks:
- {name: billing-vpc, type: peering, cidrs: [10.20.0.0/16, "2600:1f18:abcd::/56"], description: peer}
- {name: dc, type: onprem, cidrs: [192.168.0.0/16]}
`)},
		"bad.yaml": {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")},
	}
	nets, _, err := LoadNetworks("nets.yaml", LoadOptions{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nets {
		got = append(got, n.ID()+"|"+string(n.Type)+"|"+strings.Trim(strings.Join(strings.Fields(strings.Trim(fmtPrefixes(n.CIDRs), "[]")), ","), ","))
	}
	want := []string{"net:billing-vpc|peering|10.20.0.0/16,2600:1f18:abcd::/56", "net:dc|onprem|192.168.0.0/16"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	_, _, err = LoadNetworks("bad.yaml", LoadOptions{FS: fsys})
	wantErr := "bad.yaml:1: document 1 (Namespace a): a network catalogue file may only hold apiVersion netreach/v1, kind NetworkCatalog documents"
	if err == nil || err.Error() != wantErr {
		t.Errorf("error = %v, want %q", err, wantErr)
	}

	s := mustLoad(t, map[string]string{"n.yaml": string(fsys["nets.yaml"].Data)})
	s.SetNetworks([]*Network{{Name: "dc", Type: NetworkOnPrem, CIDRs: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}}})
	if len(s.Networks) != 2 || s.Networks[1].CIDRs[0].String() != "172.16.0.0/12" {
		t.Errorf("SetNetworks must replace a network of the same name: %+v", s.Networks)
	}
}

func fmtPrefixes(ps []netip.Prefix) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + " ")
	}
	return b.String()
}

func TestLoadErrorListsEveryProblem(t *testing.T) {
	_, err := loadString(t, map[string]string{"x.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: UPPER}\n"}, LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want *LoadError, got %v", err)
	}
	if len(le.Errors) != 2 {
		t.Errorf("want 2 errors, got %d:\n%v", len(le.Errors), err)
	}
	var ie *InputError
	if !errors.As(err, &ie) || ie.Object.Kind != "Pod" {
		t.Errorf("errors.As should reach the InputError: %v", ie)
	}
}

func TestObjectsAreSortedByID(t *testing.T) {
	s := mustLoad(t, map[string]string{"p.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: yy, namespace: a-b}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: a}\n"})
	var ids []string
	for _, p := range s.Pods {
		ids = append(ids, p.ID())
	}
	if diff := cmp.Diff([]string{"a-b/yy", "a/b", "a/x"}, ids); diff != "" {
		t.Errorf("pods must be sorted by id string (-want +got):\n%s", diff)
	}
}

// TestLoadClusterSources: objects read from a live cluster (LoadOptions.Cluster)
// carry the context instead of a file and line, errors still name the object,
// and the extra local files keep their own file names.
func TestLoadClusterSources(t *testing.T) {
	list := `{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a"},"spec":{"containers":[{"name":"c"}]}},
{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bad","namespace":"a"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]}]}}
]}
`
	extra := filepath.Join(t.TempDir(), "fix.yaml")
	if err := os.WriteFile(extra, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := LoadOptions{FS: fstest.MapFS{"prod.json": {Data: []byte(list)}}, FSName: "cluster", Cluster: "prod", Lenient: true, ExtraPaths: []string{extra}}
	s, err := Load([]string{"prod.json"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Source{Cluster: "prod"}, s.Pod("a/web").Source); diff != "" {
		t.Errorf("pod source (-want +got):\n%s", diff)
	}
	if got := s.Namespace("b").Source; got.File != extra || got.Cluster != "" {
		t.Errorf("the extra file's namespace has source %+v, want file %s", got, extra)
	}
	want := []string{`skipped: cluster context "prod" (NetworkPolicy a/bad): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33"`}
	if diff := cmp.Diff(want, s.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
