package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// result is what one run of the command line produced.
type result struct {
	code   int
	stdout string
	stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// golden compares got with testdata/golden/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./cmd/netreach -update` to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func TestSnapshotGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"text on the bundled demo", []string{"snapshot"}, "snapshot.txt"},
		{"json on the bundled demo", []string{"snapshot", "-o", "json"}, "snapshot.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
			if !strings.Contains(r.stderr, "analysing the bundled demo snapshot") {
				t.Errorf("the demo note belongs on stderr; stderr:\n%s", r.stderr)
			}
		})
	}
}

func TestDemoFromDirectoryMatchesEmbedded(t *testing.T) {
	embedded := runCLI(t, "", "snapshot", "-o", "json")
	fromDir := runCLI(t, "", "snapshot", "-o", "json", "-f", filepath.Join("..", "..", "testdata", "demo"))
	if embedded.code != 0 || fromDir.code != 0 {
		t.Fatalf("exit codes %d and %d: %s %s", embedded.code, fromDir.code, embedded.stderr, fromDir.stderr)
	}
	if diff := cmp.Diff(embedded.stdout, fromDir.stdout); diff != "" {
		t.Errorf("-f testdata/demo must read the same snapshot as the embedded demo (-embedded +dir):\n%s", diff)
	}
	if strings.Contains(fromDir.stderr, "bundled demo") {
		t.Errorf("no demo note when input is given: %s", fromDir.stderr)
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "policies.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/33}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(good, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStderr []string // substrings, in order
		wantStdout string   // substring
	}{
		{
			name:     "invalid input names file, line, document, object and field",
			args:     []string{"snapshot", "-f", bad},
			wantCode: 2,
			wantStderr: []string{
				bad + `:8: document 1 (NetworkPolicy shop/allow-web): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33"`,
				"netreach: 1 error in the input",
			},
		},
		{
			name:       "lenient skips the invalid object with a warning",
			args:       []string{"snapshot", "--lenient", "-f", bad},
			wantCode:   0,
			wantStderr: []string{"warning: skipped: " + bad + ":8: document 1 (NetworkPolicy shop/allow-web)"},
			wantStdout: "0 network policies",
		},
		{
			name:       "skipped kinds are counted on stderr",
			args:       []string{"snapshot", "-f", good},
			wantCode:   0,
			wantStderr: []string{"skipped 1 object of kinds the analysis does not read: v1/ConfigMap (1) (-v lists them)"},
			wantStdout: "Skipped: 1 object of other kinds (v1/ConfigMap 1)",
		},
		{
			name:       "-v lists skipped objects",
			args:       []string{"snapshot", "-v", "-f", good},
			wantCode:   0,
			wantStderr: []string{"  v1/ConfigMap shop/settings"},
		},
		{
			name:       "stdin",
			stdin:      "apiVersion: v1\nkind: Namespace\nmetadata: {name: from-stdin}\n",
			args:       []string{"snapshot", "-f", "-"},
			wantCode:   0,
			wantStdout: "from-stdin",
		},
		{
			name:       "missing file",
			args:       []string{"snapshot", "-f", filepath.Join(dir, "nope.yaml")},
			wantCode:   2,
			wantStderr: []string{filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory"},
		},
		{
			name:       "unsupported output format lists the supported ones",
			args:       []string{"snapshot", "-o", "csv"},
			wantCode:   2,
			wantStderr: []string{`netreach: snapshot does not support output format "csv": use one of text, json`},
		},
		{
			name:       "unknown flag",
			args:       []string{"snapshot", "--bogus"},
			wantCode:   2,
			wantStderr: []string{"unknown flag: --bogus"},
		},
		{
			name:       "unknown command",
			args:       []string{"bogus"},
			wantCode:   2,
			wantStderr: []string{`unknown command "bogus"`},
		},
		{
			name:       "invalid semantics flag",
			args:       []string{"snapshot", "--ipblock-pods", "sometimes"},
			wantCode:   2,
			wantStderr: []string{`invalid --ipblock-pods "sometimes": use match or ignore`},
		},
		{
			name:       "version",
			args:       []string{"version"},
			wantCode:   0,
			wantStdout: "netreach ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			rest := r.stderr
			for _, w := range tc.wantStderr {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stderr lacks %q; stderr:\n%s", w, r.stderr)
					break
				}
				rest = rest[i+len(w):]
			}
			if !strings.Contains(r.stdout, tc.wantStdout) {
				t.Errorf("stdout lacks %q; stdout:\n%s", tc.wantStdout, r.stdout)
			}
			if tc.wantCode == 2 && r.stdout != "" {
				t.Errorf("a failed run writes nothing to stdout, got:\n%s", r.stdout)
			}
		})
	}
}

func TestCanReachGolden(t *testing.T) {
	tests := []struct {
		golden   string
		args     []string
		wantCode int
	}{
		{"can-reach-allowed.txt", []string{"can-reach", "shop/frontend-7d69f66b9b-9vprt", "shop/cart-7ff8f9d975-jhmfr", "--port", "grpc"}, 0},
		{"can-reach-denied.txt", []string{"can-reach", "shop/checkout-787cc64887-f2nzm", "shop/cart-7ff8f9d975-jhmfr", "--port", "7070"}, 1},
		{"can-reach-denied.json", []string{"can-reach", "shop/checkout-787cc64887-f2nzm", "shop/cart-7ff8f9d975-jhmfr", "--port", "7070", "-o", "json"}, 1},
		{"can-reach-metadata.txt", []string{"can-reach", "shop/checkout-787cc64887-f2nzm", "169.254.169.254"}, 0},
		{"can-reach-internet-ingress.json", []string{"can-reach", "203.0.113.7", "ingress-nginx/deploy/ingress-nginx-controller", "--port", "443", "-o", "json"}, 0},
		{"can-reach-hostnetwork-other-node.txt", []string{"can-reach", "monitoring/node-exporter-nb9h8", "shop/cart-7ff8f9d975-jhmfr", "--port", "7070"}, 1},
		{"can-reach-hostnetwork-same-node.txt", []string{"can-reach", "monitoring/node-exporter-bmddd", "shop/cart-7ff8f9d975-jhmfr", "--port", "7070"}, 0},
		{"can-reach-template.txt", []string{"can-reach", "shop/deploy/recommendations", "data/sts/redis", "--protocol", "TCP"}, 1},
		{"can-reach-network.txt", []string{"can-reach", "payments/deploy/payments-api", "net:partner-sftp", "--port", "443"}, 0},
		{"can-reach-network.json", []string{"can-reach", "shop/checkout-787cc64887-f2nzm", "net:cloud-metadata", "-o", "json"}, 0},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, tc.wantCode, tc.args...)
	}
}

func TestCanReachErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown pod with suggestion", []string{"can-reach", "shop/frontend", "shop/cart"},
			"netreach: source: no pod \"shop/frontend\" in the snapshot; for the workload use shop/Deployment/frontend"},
		{"named port missing on the destination", []string{"can-reach", "shop/deploy/frontend", "data/sts/redis", "--port", "http"},
			"declares no such named port"},
		{"bad protocol", []string{"can-reach", "a/b", "c/d", "--protocol", "ICMP"}, `invalid --protocol "ICMP": use TCP, UDP or SCTP`},
		{"bad port", []string{"can-reach", "a/b", "c/d", "--port", "0"}, "invalid --port 0: ports are 1-65535"},
		{"one argument", []string{"can-reach", "a/b"}, "accepts 2 arg(s), received 1"},
		{"service address", []string{"can-reach", "shop/deploy/frontend", "10.96.0.10"}, "is the ClusterIP of Service kube-system/kube-dns"},
		{"two addresses", []string{"can-reach", "8.8.8.8", "net:internet"}, "are both outside the pods"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != 2 {
				t.Errorf("exit code %d, want 2", r.code)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout must stay empty on errors, got:\n%s", r.stdout)
			}
		})
	}
}

func TestMatrixGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"matrix-namespace.txt", []string{"matrix", "--level", "namespace"}},
		{"matrix-workload.md", []string{"matrix", "--level", "workload", "-o", "md"}},
		{"matrix-workload.csv", []string{"matrix", "--level", "workload", "-o", "csv"}},
		{"matrix-namespace.json", []string{"matrix", "--level", "namespace", "-o", "json"}},
		{"matrix-pod.json", []string{"matrix", "-o", "json"}},
		{"matrix-namespace-ip-ranges.txt", []string{"matrix", "--level", "namespace", "--ip-ranges"}},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, 0, tc.args...)
	}
	if r := runCLI(t, "", "matrix", "--level", "cluster"); r.code != 2 || !strings.Contains(r.stderr, `invalid --level "cluster": use pod, workload or namespace`) {
		t.Errorf("bad level: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestExposureGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"exposure.txt", []string{"exposure"}},
		{"exposure-metadata-partner.json", []string{"exposure", "--network", "cloud-metadata", "--network", "partner-sftp", "-o", "json"}},
		{"exposure-internet.md", []string{"exposure", "--network", "internet", "-o", "md"}},
		{"exposure-aws-peering.txt", []string{"exposure", "--networks", filepath.Join("..", "..", "testdata", "aws", "vpc-peering-connections.json"),
			"--vpc-id", "vpc-0a0000000000cluster", "--network", "billing-vpc", "--network", "pcx-0fedcba9876543210"}},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, 0, tc.args...)
	}
	if r := runCLI(t, "", "exposure", "--network", "intranet"); r.code != 2 || !strings.Contains(r.stderr, `--network "intranet" is not in the catalogue`) {
		t.Errorf("unknown network: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestBlastRadiusGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"blast-radius-frontend.txt", []string{"blast-radius", "shop/deploy/frontend", "--target", "app.kubernetes.io/name=postgres"}},
		{"blast-radius-checkout-5432.json", []string{"blast-radius", "shop/checkout-787cc64887-f2nzm", "--port", "5432", "--target", "data/postgres-0", "-o", "json"}},
		{"blast-radius-ci-hops.txt", []string{"blast-radius", "ci/sts/buildkitd", "--hops", "1"}},
		{"blast-radius-debug-shell.dot", []string{"blast-radius", "default/debug-shell", "--hops", "2", "--target", "app.kubernetes.io/name=payments-api", "-o", "dot"}},
		// Four shortest paths to each target pod, two listed.
		{"blast-radius-debug-shell-max-paths.txt", []string{"blast-radius", "default/debug-shell", "--hops", "2", "--target", "app.kubernetes.io/name=payments-api", "--max-paths", "2"}},
		{"blast-radius-debug-shell-max-paths.json", []string{"blast-radius", "default/debug-shell", "--hops", "2", "--target", "app.kubernetes.io/name=payments-api", "--max-paths", "2", "-o", "json"}},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, 0, tc.args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"blast-radius", "203.0.113.9"}, "is not a pod or workload"},
		{[]string{"blast-radius", "shop/deploy/frontend", "--port", "x"}, `invalid --port "x"`},
		{[]string{"blast-radius", "shop/deploy/frontend", "--target", "app=x", "--max-paths", "-1"}, `invalid --max-paths -1`},
		{[]string{"blast-radius", "shop/deploy/frontend", "--max-paths", "3"}, `--max-paths limits the paths to --target`},
		{[]string{"blast-radius", "shop/deploy/frontend", "--target", "shop/nope"}, `--target: no pod "shop/nope"`},
		{[]string{"blast-radius", "shop/deploy/frontend", "--target", "payments/deploy/nope"}, `--target: no workload "payments/Deployment/nope"`},
	} {
		if r := runCLI(t, "", tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %s", tc.args, r.code, r.stderr)
		}
	}
	// A workload id names every pod of the workload, like the selector of its pods.
	byWorkload := runCLI(t, "", "blast-radius", "default/debug-shell", "--target", "payments/deploy/payments-api", "-o", "json")
	bySelector := runCLI(t, "", "blast-radius", "default/debug-shell", "--target", "app.kubernetes.io/name=payments-api", "-o", "json")
	if byWorkload.code != 0 || !strings.Contains(byWorkload.stdout, `"pod": "payments/payments-api-`) {
		t.Fatalf("--target payments/deploy/payments-api: exit %d, stdout:\n%s\nstderr: %s", byWorkload.code, byWorkload.stdout, byWorkload.stderr)
	}
	if diff := cmp.Diff(bySelector.stdout, byWorkload.stdout); diff != "" {
		t.Errorf("--target by workload id differs from the selector of its pods (-selector +workload):\n%s", diff)
	}
}

// goldenRun runs the command line and compares its stdout with a golden file.
func goldenRun(t *testing.T, name string, wantCode int, args ...string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		r := runCLI(t, "", args...)
		if r.code != wantCode {
			t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, wantCode, r.stderr)
		}
		golden(t, name, r.stdout)
	})
}
