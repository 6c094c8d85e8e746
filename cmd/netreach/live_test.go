package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestSavedSnapshotRoundTrip: `snapshot -o yaml` of the demo, read back with
// -f, analyses exactly as the demo does.
func TestSavedSnapshotRoundTrip(t *testing.T) {
	saved := runCLI(t, "", "snapshot", "-o", "yaml")
	if saved.code != 0 {
		t.Fatalf("exit %d: %s", saved.code, saved.stderr)
	}
	if !strings.HasPrefix(saved.stdout, "# A cluster snapshot saved by `netreach snapshot -o yaml`") {
		t.Errorf("the saved file should say what it is; it starts %.100q", saved.stdout)
	}
	file := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(file, []byte(saved.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"snapshot", "-o", "json"},
		{"snapshot", "-o", "yaml"},
		{"matrix", "-o", "json"},
		{"exposure", "-o", "json"},
		{"blast-radius", "default/debug-shell", "-o", "json"},
	} {
		want := runCLI(t, "", c...)
		got := runCLI(t, "", append([]string{"-f", file}, c...)...)
		if got.code != want.code {
			t.Fatalf("%v: exit %d saved, %d demo: %s", c, got.code, want.code, got.stderr)
		}
		if diff := cmp.Diff(want.stdout, got.stdout); diff != "" {
			t.Errorf("%v of the saved demo differs (-demo +saved):\n%s", c, diff)
		}
	}
}

func TestLiveInputUsage(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"files and a cluster at once", []string{"-f", "x.yaml", "--context", "prod", "snapshot"},
			"netreach: -f reads manifest files and --live, --kubeconfig and --context read a live cluster: give one or the other\n"},
		{"--live and files", []string{"--live", "-f", "x.yaml", "matrix"},
			"netreach: -f reads manifest files and --live, --kubeconfig and --context read a live cluster: give one or the other\n"},
		{"unknown context", []string{"--kubeconfig", kubeconfig, "--context", "prod", "snapshot"},
			"netreach: cannot use the kubeconfig: context \"prod\" does not exist\n"},
		{"missing kubeconfig file", []string{"--kubeconfig", filepath.Join(t.TempDir(), "nope"), "snapshot"},
			""}, // checked below: the message names a temporary path
		{"bad timeout", []string{"--request-timeout", "soon", "snapshot"},
			"netreach: invalid --request-timeout \"soon\": give a duration such as 30s or 2m, or 0 for none\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != exitUsage || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			if tc.name == "missing kubeconfig file" {
				if !strings.HasPrefix(r.stderr, "netreach: cannot read the kubeconfig: ") || !strings.Contains(r.stderr, "no such file or directory") {
					t.Errorf("stderr %q", r.stderr)
				}
				return
			}
			if diff := cmp.Diff(tc.wantStderr, r.stderr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestTimeoutParsing(t *testing.T) {
	for in, want := range map[string]string{"0": "0s", "45": "45s", "1m30s": "1m30s", "250ms": "250ms"} {
		d, err := parseRequestTimeout(in)
		if err != nil || d.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"-1", "-2s", "soon", ""} {
		if _, err := parseRequestTimeout(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestKubectlPlugin: installed as kubectl-netreach, usage names `kubectl netreach`.
func TestKubectlPlugin(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runAs("kubectl-netreach", []string{"matrix", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "kubectl netreach matrix [flags]") {
		t.Errorf("usage should name `kubectl netreach`:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := runAs("kubectl-netreach", []string{"no-such-command"}, strings.NewReader(""), &out, &errb); code != exitUsage {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "Run 'kubectl netreach --help' for usage.") {
		t.Errorf("stderr %q", errb.String())
	}
	out.Reset()
	if code := runAs("netreach", []string{"matrix", "--help"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(out.String(), "\n  netreach matrix [flags]") {
		t.Errorf("as netreach: exit %d:\n%s", code, out.String())
	}
}

// TestKrewManifest: the krew template names the plugin and its binary.
func TestKrewManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "krew", "netreach.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Platforms []struct {
				Bin string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != "Plugin" || m.Metadata.Name != "netreach" || len(m.Spec.Platforms) == 0 {
		t.Fatalf("manifest: %+v", m)
	}
	for _, p := range m.Spec.Platforms {
		if p.Bin != pluginName && p.Bin != pluginName+".exe" {
			t.Errorf("platform binary %q: kubectl finds the plugin only as %s", p.Bin, pluginName)
		}
	}
}
