package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/netreach/netreach/export"
	"github.com/netreach/netreach/model/live"
	"github.com/netreach/netreach/model/live/livetest"
)

// aliceToken belongs to a user whom only a Role in namespace shop lets read.
var aliceToken = livetest.Token{Token: "netreach-e2e-alice-token", User: "alice"}

// extraManifests are applied and analysed offline besides the demo: the
// namespaces the API server makes on its own (read live from the server), and
// a pod with what a saved snapshot must never hold (an environment value, a
// command, a volume, annotations).
const extraManifests = `apiVersion: v1
kind: Namespace
metadata: {name: kube-public}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-node-lease}
---
apiVersion: v1
kind: Pod
metadata:
  name: leaky
  namespace: kube-public
  labels: {app: leaky}
  annotations: {note: do-not-save}
spec:
  nodeName: node-a
  containers:
  - name: app
    image: example.com/leaky:1
    command: [/bin/leaky, --verbose]
    env: [{name: DB_PASSWORD, value: s3cret-value}]
    ports: [{name: http, containerPort: 8080}]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
status:
  phase: Running
  podIP: 10.244.1.200
  podIPs: [{ip: 10.244.1.200}]
  hostIP: 10.0.1.11
`

// TestLiveCluster applies the demo snapshot to a real kube-apiserver and
// checks that every command gives, read live, what it gives on the same files.
func TestLiveCluster(t *testing.T) {
	start := time.Now()
	srv := livetest.Start(t, aliceToken)
	demo := filepath.Join("..", "..", "testdata", "demo")
	extra := filepath.Join(t.TempDir(), "extra.yaml")
	if err := os.WriteFile(extra, []byte(extraManifests), 0o644); err != nil {
		t.Fatal(err)
	}
	skipped := srv.Apply(demo, extra)
	if diff := cmp.Diff([]string{"netreach/v1/NetworkCatalog"}, skipped); diff != "" {
		t.Errorf("only netreach's own NetworkCatalog should be left out of the cluster (-want +got):\n%s", diff)
	}
	srv.Create(shopReaderRole()...)
	srv.Create(&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "db", "namespace": "shop"}, "stringData": map[string]any{"password": "s3cret-value"}}})
	kubeconfig := srv.WriteKubeconfig(map[string]livetest.Token{"e2e-admin": livetest.AdminToken, "e2e-alice": aliceToken,
		"e2e-bad-token": {Token: "not-a-token"}})
	t.Logf("live e2e: cluster ready and filled after %s", time.Since(start).Round(100*time.Millisecond))

	liveArgs := []string{"--kubeconfig", kubeconfig, "--context", "e2e-admin", "--networks", filepath.Join(demo, "networks.yaml")}
	offlineArgs := []string{"-f", demo, "-f", extra}

	// Every command: live and offline agree byte for byte. To check one more
	// command (issue 6: audit), add its arguments here.
	commands := [][]string{
		{"snapshot", "-o", "json"},
		{"matrix", "-o", "json"},
		{"matrix", "--level", "workload", "-o", "json"},
		{"matrix", "--level", "namespace", "--ip-ranges"},
		{"can-reach", "shop/checkout-787cc64887-f2nzm", "shop/cart-7ff8f9d975-jhmfr", "--port", "7070", "-o", "json"},
		{"exposure", "-o", "json"},
		{"blast-radius", "default/debug-shell", "-o", "json"},
		// The posture audit exits 1 on its findings, live as offline; the text
		// report names objects, not the files they were read from.
		{"audit"},
		// Pictures: the DOT of the namespace graph (issue 7).
		{"graph", "--level", "namespace"},
	}
	for _, c := range commands {
		t.Run("live equals offline: "+strings.Join(c, " "), func(t *testing.T) {
			want := runCLI(t, "", append(offlineArgs, c...)...)
			got := runCLI(t, "", append(liveArgs, c...)...)
			// The API server defaults policyTypes when it stores a policy, so a
			// live read cannot tell that the manifest left them out.
			want.stdout = strings.ReplaceAll(want.stdout, "\n      \"policyTypesDefaulted\": true,", "")
			if got.code != want.code {
				t.Fatalf("exit %d live, %d offline; live stderr:\n%s", got.code, want.code, got.stderr)
			}
			if want.stdout == "" {
				t.Fatalf("no output offline; stderr:\n%s", want.stderr)
			}
			if diff := cmp.Diff(want.stdout, got.stdout); diff != "" {
				t.Errorf("live output differs from the offline analysis of the same files (-offline +live):\n%s", diff)
			}
			if !strings.Contains(got.stderr, `netreach: read context "e2e-admin" (`+srv.URL+"), all namespaces") {
				t.Errorf("stderr should say which cluster was read:\n%s", got.stderr)
			}
		})
	}

	t.Run("the saved snapshot round-trips exactly", func(t *testing.T) {
		saved := runCLI(t, "", append(liveArgs, "snapshot", "-o", "yaml")...)
		if saved.code != 0 {
			t.Fatalf("exit %d: %s", saved.code, saved.stderr)
		}
		if !strings.Contains(saved.stdout, "name: leaky") {
			t.Fatalf("the saved snapshot lacks the pod kube-public/leaky")
		}
		for _, banned := range []string{"s3cret-value", "kind: Secret", "DB_PASSWORD", "annotations:", "do-not-save", "managedFields", "command:", "args:", "volumes:", "resourceVersion"} {
			if strings.Contains(saved.stdout, banned) {
				t.Errorf("the saved snapshot holds %q, which the analysis does not need", banned)
			}
		}
		file := filepath.Join(t.TempDir(), "cluster.yaml")
		if err := os.WriteFile(file, []byte(saved.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][]string{{"snapshot", "-o", "json"}, {"matrix", "-o", "json"}, {"snapshot", "-o", "yaml"}} {
			want := runCLI(t, "", append(liveArgs, c...)...)
			got := runCLI(t, "", append([]string{"-f", file}, c...)...)
			if got.code != 0 || want.code != 0 {
				t.Fatalf("%v: exit %d saved, %d live: %s %s", c, got.code, want.code, got.stderr, want.stderr)
			}
			if diff := cmp.Diff(want.stdout, got.stdout); diff != "" {
				t.Errorf("%v of the saved file differs from the live read (-live +saved):\n%s", c, diff)
			}
		}
	})

	t.Run("small pages give the same snapshot", func(t *testing.T) {
		var progress bytes.Buffer
		snapshotJSON := func(opts live.Options) string {
			opts.Kubeconfig, opts.Context = kubeconfig, "e2e-admin"
			snap, _, err := live.Read(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := export.WriteSnapshot(&b, snap, export.JSON); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		whole := snapshotJSON(live.Options{})
		paged := snapshotJSON(live.Options{PageSize: 4, Progress: &progress, ProgressDelay: time.Nanosecond})
		if diff := cmp.Diff(whole, paged); diff != "" {
			t.Errorf("pages of 4 objects read a different snapshot (-one page +pages of 4):\n%s", diff)
		}
		if p := progress.String(); !strings.Contains(p, "\rnetreach: reading e2e-admin: ") || !strings.HasSuffix(p, "\r\033[K") {
			t.Errorf("progress line not shown and erased: %q", p)
		}
	})

	t.Run("kubectl plugin reads the current context of KUBECONFIG", func(t *testing.T) {
		t.Setenv("KUBECONFIG", kubeconfig)
		var out, errb bytes.Buffer
		code := runAs("kubectl-netreach", []string{"--networks", filepath.Join(demo, "networks.yaml"), "matrix", "-o", "json"}, strings.NewReader(""), &out, &errb)
		want := runCLI(t, "", append(offlineArgs, "matrix", "-o", "json")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if diff := cmp.Diff(want.stdout, out.String()); diff != "" {
			t.Errorf("kubectl netreach differs from the offline analysis (-offline +plugin):\n%s", diff)
		}
	})

	t.Run("namespace-scoped Role: precise RBAC messages", func(t *testing.T) {
		r := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-alice", "snapshot")
		want := `netreach: forbidden: cannot list pods in all namespaces with the credentials of context "e2e-alice", and without pods there is nothing to analyse: ` +
			`grant get and list on it (docs/rbac.yaml is the minimal read-only ClusterRole), or pass -n NAMESPACE to read one namespace you may list ` +
			`(the API server said: pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope)` + "\n" +
			`forbidden: cannot list networkpolicies.networking.k8s.io in all namespaces with the credentials of context "e2e-alice", and without networkpolicies there is nothing to analyse: ` +
			`grant get and list on it (docs/rbac.yaml is the minimal read-only ClusterRole), or pass -n NAMESPACE to read one namespace you may list ` +
			`(the API server said: networkpolicies.networking.k8s.io is forbidden: User "alice" cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope)` + "\n"
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("exit %d, stdout %q; want exit 2 and no output", r.code, r.stdout)
		}
		if diff := cmp.Diff(want, r.stderr); diff != "" {
			t.Errorf("RBAC message (-want +got):\n%s", diff)
		}

		r = runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-alice", "-n", "shop", "snapshot", "-o", "json")
		if r.code != 0 {
			t.Fatalf("-n shop: exit %d: %s", r.code, r.stderr)
		}
		for _, w := range []string{
			`warning: forbidden: cannot list namespaces with the credentials of context "e2e-alice", so namespace labels are unknown and namespaceSelectors match namespaces only by kubernetes.io/metadata.name` + "\n",
			`warning: forbidden: cannot list nodes with the credentials of context "e2e-alice", so node addresses are unknown: hostNetwork pods without a podIP get no address, ipBlocks cannot match nodes, and the net:nodes network is missing` + "\n",
		} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("missing warning %q in:\n%s", w, r.stderr)
			}
		}
		want2 := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-admin", "-n", "shop", "matrix", "-o", "json")
		got2 := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-alice", "-n", "shop", "matrix", "-o", "json")
		if want2.code != 0 || got2.code != 0 {
			t.Fatalf("exit %d admin, %d alice: %s %s", want2.code, got2.code, want2.stderr, got2.stderr)
		}
		if !strings.Contains(got2.stdout, `"shop/frontend-`) || strings.Contains(got2.stdout, `"payments/`) {
			t.Errorf("-n shop should read shop's pods and no others:\n%.400s", got2.stdout)
		}
	})

	t.Run("-n naming a missing namespace is an input error", func(t *testing.T) {
		r := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-admin", "-n", "shpo", "audit", "--fail-on", "low")
		want := `netreach: namespace "shpo" (-n) does not exist in the cluster of context "e2e-admin"; its namespaces are: ` +
			"batch, ci, data, default, ingress-nginx, kube-node-lease, kube-public, kube-system, legacy, logging, and 3 more\n"
		if r.code != exitUsage || r.stdout != "" || r.stderr != want {
			t.Errorf("exit %d, stdout %.200q, stderr:\n%s\nwant exit 2 and:\n%s", r.code, r.stdout, r.stderr, want)
		}
	})

	t.Run("live audit findings point at no file", func(t *testing.T) {
		r := runCLI(t, "", append(liveArgs, "audit", "-o", "sarif")...)
		if r.code != 1 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var log export.SARIFLog
		if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, res := range log.Runs[0].Results {
			for _, loc := range res.Locations {
				n++
				if loc.PhysicalLocation != nil || len(loc.LogicalLocations) == 0 {
					t.Errorf("%s: a live object should have a logical location only: %+v", res.RuleID, loc)
				}
			}
		}
		if n == 0 {
			t.Fatalf("no located result in:\n%.400s", r.stdout)
		}
		r = runCLI(t, "", append(liveArgs, "audit", "-o", "json")...)
		if r.code != 1 || strings.Contains(r.stdout, `"file":`) || strings.Contains(r.stdout, `"line":`) {
			t.Errorf("exit %d; the live audit JSON should name no file or line:\n%.600s", r.code, r.stdout)
		}
	})

	t.Run("an audit of one namespace says it is partial and reports nothing about the rest", func(t *testing.T) {
		type auditJSON struct {
			Enforcement    struct{ Reason string }
			ReadNamespaces []string
			Findings       []struct{ ID, Key string }
		}
		parse := func(r result) auditJSON {
			t.Helper()
			var a auditJSON
			if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
				t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
			}
			return a
		}
		whole := parse(runCLI(t, "", append(liveArgs, "audit", "-o", "json")...))
		shop := parse(runCLI(t, "", append(liveArgs, "-n", "shop", "audit", "-o", "json")...))
		if diff := cmp.Diff([]string{"shop"}, shop.ReadNamespaces); diff != "" {
			t.Errorf("readNamespaces (-want +got):\n%s", diff)
		}
		// kube-system's DaemonSets are read for plugin detection even with -n.
		if shop.Enforcement.Reason != whole.Enforcement.Reason || !strings.HasPrefix(shop.Enforcement.Reason, "enforced by ") {
			t.Errorf("enforcement with -n shop: %q, want the whole cluster's %q", shop.Enforcement.Reason, whole.Enforcement.Reason)
		}
		known := map[string]bool{}
		for _, f := range whole.Findings {
			known[f.ID+" "+f.Key] = true
		}
		for _, f := range shop.Findings {
			if f.ID == "NR015" && !known[f.ID+" "+f.Key] {
				t.Errorf("-n shop reports %s %s, which the whole cluster's audit does not: the peer's pods were not read", f.ID, f.Key)
			}
		}
		text := runCLI(t, "", append(liveArgs, "-n", "shop", "audit")...)
		if want := "\nPartial audit: it covers only namespace shop (-n); "; !strings.Contains(text.stdout, want) {
			t.Errorf("the text audit should say it is partial (%q):\n%.400s", want, text.stdout)
		}
		// alice may not list kube-system's DaemonSets: today's warning.
		r := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-alice", "-n", "shop", "audit", "-o", "json")
		if want := `with the credentials of context "e2e-alice", so the network plugin cannot be detected from its DaemonSet, so --enforcement=auto assumes policies are enforced`; !strings.Contains(r.stderr, "cannot list daemonsets") || !strings.Contains(r.stderr, want) {
			t.Errorf("alice's read should warn that kube-system's DaemonSets are forbidden:\n%s", r.stderr)
		}
	})

	t.Run("bad credentials and an unreachable server", func(t *testing.T) {
		r := runCLI(t, "", "--kubeconfig", kubeconfig, "--context", "e2e-bad-token", "snapshot")
		want := fmt.Sprintf("netreach: the API server at %s rejected the credentials of context \"e2e-bad-token\" (401 Unauthorized): "+
			"the token or client certificate is missing, invalid or expired; log in again or refresh the kubeconfig\n", srv.URL)
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and:\n%s", r.code, r.stderr, want)
		}

		// A kubeconfig whose credential plugin cannot run.
		cfgExec, err := clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		cfgExec.AuthInfos["e2e-exec"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: filepath.Join(t.TempDir(), "no-such-helper"), InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
		cfgExec.Contexts["e2e-exec"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e-exec"}
		execConfig := filepath.Join(t.TempDir(), "exec.kubeconfig")
		if err := clientcmd.WriteToFile(*cfgExec, execConfig); err != nil {
			t.Fatal(err)
		}
		r = runCLI(t, "", "--kubeconfig", execConfig, "--context", "e2e-exec", "snapshot")
		if prefix := `netreach: cannot get credentials for context "e2e-exec": getting credentials: exec: `; r.code != exitUsage || !strings.HasPrefix(r.stderr, prefix) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and one line starting %q", r.code, r.stderr, prefix)
		}

		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := l.Addr().String()
		l.Close()
		cfg := strings.Replace(mustRead(t, kubeconfig), srv.URL, "https://"+closed, 1)
		down := filepath.Join(t.TempDir(), "down.kubeconfig")
		if err := os.WriteFile(down, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		r = runCLI(t, "", "--kubeconfig", down, "--context", "e2e-admin", "--request-timeout", "5s", "snapshot")
		want = fmt.Sprintf("netreach: cannot reach the API server at https://%s (context \"e2e-admin\"): dial tcp %s: connect: connection refused; "+
			"check that the cluster is running and that the kubeconfig names the right server\n", closed, closed)
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and:\n%s", r.code, r.stderr, want)
		}

		// A server that accepts connections and never answers.
		silent, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		go func() {
			for {
				c, err := silent.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		cfg = strings.Replace(mustRead(t, kubeconfig), srv.URL, "https://"+silent.Addr().String(), 1)
		if err := os.WriteFile(down, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		r = runCLI(t, "", "--kubeconfig", down, "--context", "e2e-admin", "--request-timeout", "1s", "snapshot")
		want = fmt.Sprintf("netreach: the API server at https://%s (context \"e2e-admin\") did not answer within --request-timeout 1s; "+
			"check that the kubeconfig names the right server, or allow more time\n", silent.Addr())
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and:\n%s", r.code, r.stderr, want)
		}
		if took := time.Since(began); took > 20*time.Second {
			t.Errorf("a 1s request timeout took %s to give up", took)
		}
	})
	t.Logf("live e2e: done after %s", time.Since(start).Round(100*time.Millisecond))
}

// shopReaderRole lets alice get and list everything netreach reads, but only
// in namespace shop.
func shopReaderRole() []*unstructured.Unstructured {
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
		"metadata": map[string]any{"name": "netreach-reader", "namespace": "shop"},
		"rules": []any{map[string]any{
			"apiGroups": []any{"", "apps", "batch", "networking.k8s.io", "discovery.k8s.io"},
			"resources": []any{"pods", "services", "endpoints", "endpointslices", "networkpolicies", "deployments", "statefulsets", "daemonsets", "replicasets", "replicationcontrollers", "jobs", "cronjobs"},
			"verbs":     []any{"get", "list"},
		}},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]any{"name": "alice-reads-shop", "namespace": "shop"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "netreach-reader"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}},
	}}
	return []*unstructured.Unstructured{role, binding}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
