package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/export"
)

func TestAuditGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
		code   int
	}{
		{"audit.txt", []string{"audit"}, 1},
		{"audit.json", []string{"audit", "-o", "json"}, 1},
		{"audit.md", []string{"audit", "-o", "md", "--fail-on", "none"}, 0},
		{"audit.sarif", []string{"audit", "-o", "sarif", "--fail-on", "critical"}, 0},
	}
	for _, tc := range tests {
		goldenRun(t, tc.golden, tc.code, tc.args...)
	}
}

// TestAuditSARIFMatchesSchema validates the golden SARIF against the SARIF
// 2.1.0 JSON schema vendored in testdata/sarif, and checks what code-scanning
// UIs need: rule metadata, and results placed in the demo's manifests.
func TestAuditSARIFMatchesSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "audit.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(filepath.Join("..", "..", "testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("audit.sarif is not valid SARIF 2.1.0:\n%v", err)
	}
	var log export.SARIFLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(engine.Rules) {
		t.Errorf("%d rules in SARIF, want %d", len(run.Tool.Driver.Rules), len(engine.Rules))
	}
	found := false
	for _, r := range run.Results {
		if r.RuleID == "NR001" {
			found = true
			loc := r.Locations[0].PhysicalLocation
			if loc == nil || loc.ArtifactLocation.URI != "testdata/demo/00-namespaces.yaml" || loc.Region == nil || loc.Region.StartLine < 1 {
				t.Errorf("NR001 location = %+v, want the legacy Namespace in testdata/demo/00-namespaces.yaml", loc)
			}
		}
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d", r.RuleID, r.RuleIndex)
		}
	}
	if !found {
		t.Error("no NR001 result on the demo")
	}
}

// auditJSON runs the audit with -o json and decodes the document.
func auditJSON(t *testing.T, wantCode int, args ...string) (*export.AuditDoc, result) {
	t.Helper()
	r := runCLI(t, "", append([]string{"audit", "-o", "json"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("audit %v: exit %d, want %d; stderr:\n%s", args, r.code, wantCode, r.stderr)
	}
	var doc export.AuditDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return &doc, r
}

// TestAuditFixDirRoundTrip writes the remediation for the demo, checks that the
// audit says findings 1-3 (NR001-NR005) close, and that an audit of the demo
// plus the written files indeed has none of them left.
func TestAuditFixDirRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fix")
	before, _ := auditJSON(t, 0, "--fail-on", "none")
	doc, _ := auditJSON(t, 0, "--fail-on", "none", "--fix-dir", dir)
	fx := doc.Fix
	if fx == nil {
		t.Fatal("no fix section")
	}
	// The demo's two allow-all policies (default/allow-all-ingress selects every
	// pod of default, monitoring/prometheus-egress-all selects prometheus) leave
	// their pods open whatever default deny is added: policies are additive, so
	// those findings remain and the fix says so.
	remaining := []export.FindingRef{{ID: "NR004", Key: "workload:default/Deployment/whoami"}, {ID: "NR004", Key: "workload:default/Pod/debug-shell"},
		{ID: "NR002", Key: "namespace:default"}, {ID: "NR005", Key: "workload:monitoring/StatefulSet/prometheus"}}
	if diff := cmp.Diff(remaining, fx.Remaining); diff != "" {
		t.Errorf("findings left after the fix (-want +got):\n%s", diff)
	}
	var closable []export.FindingRef
	for _, f := range before.Findings {
		ref := export.FindingRef{ID: f.ID, Key: f.Key}
		if slices.Contains(engine.FixClosable, f.ID) && !slices.Contains(remaining, ref) {
			closable = append(closable, ref)
		}
	}
	if len(closable) == 0 || !slices.Equal(closable, fx.Closed) {
		t.Errorf("closed %v, want every NR001-NR005 finding %v", fx.Closed, closable)
	}
	if len(fx.Cut) == 0 {
		t.Error("a default deny on the demo must cut connections, and say which")
	}
	var legacy *export.MatrixEdge
	for i, e := range fx.Cut {
		if e.Src == "default/Pod/debug-shell" && e.Dst == "legacy/Deployment/ftp-gateway" {
			legacy = &fx.Cut[i]
		}
		if e.Dst == "kube-system/Deployment/coredns" && e.Src == "shop/Deployment/frontend" {
			t.Errorf("DNS must stay allowed, but the fix cuts %v", e)
		}
	}
	if legacy == nil {
		t.Error("the fix must report the cut debug-shell → ftp-gateway connection")
	}
	// The written files, loaded with the demo, leave no finding 1-3.
	after, _ := auditJSON(t, 0, "--fail-on", "none", "-f", filepath.Join("..", "..", "testdata", "demo"), "-f", dir)
	for _, f := range after.Findings {
		if slices.Contains(engine.FixClosable, f.ID) && !slices.Contains(remaining, export.FindingRef{ID: f.ID, Key: f.Key}) {
			t.Errorf("after the fix: %s %s", f.ID, f.Key)
		}
	}
	// Files are not overwritten without --force.
	r := runCLI(t, "", "audit", "--fix-dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "already exists; remove it, choose another directory, or add --force") || r.stdout != "" {
		t.Errorf("second run without --force: exit %d, stderr %s, stdout %d bytes", r.code, r.stderr, len(r.stdout))
	}
	auditJSON(t, 0, "--fail-on", "none", "--fix-dir", dir, "--force")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestAuditFixText(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fix")
	r := runCLI(t, "", "audit", "--fix-dir", dir, "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The findings are audit.txt's; the golden file keeps the remediation part.
	out := strings.ReplaceAll(r.stdout, dir, "FIXDIR")
	i := strings.Index(out, "\nRemediation written to FIXDIR\n")
	if i < 0 {
		t.Fatalf("no remediation section:\n%s", out)
	}
	golden(t, "audit-fix.txt", out[i+1:])
}

func TestAuditBaselineAndGate(t *testing.T) {
	dir := t.TempDir()
	full := runCLI(t, "", "audit", "-o", "json")
	base := filepath.Join(dir, "base.json")
	if err := os.WriteFile(base, []byte(full.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	// Everything is in the baseline: nothing new fails the gate.
	doc, _ := auditJSON(t, 0, "--baseline", base)
	if doc.Summary.New != 0 || doc.Summary.Failing != 0 || doc.Baseline != base {
		t.Errorf("summary %+v with a complete baseline", doc.Summary)
	}
	// Drop one high finding from the baseline: it is new and fails.
	var raw map[string]any
	if err := json.Unmarshal([]byte(full.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	findings := raw["findings"].([]any)
	first := findings[0].(map[string]any)
	raw["findings"] = findings[1:]
	data, _ := json.Marshal(raw)
	if err := os.WriteFile(base, data, 0o644); err != nil {
		t.Fatal(err)
	}
	doc, _ = auditJSON(t, 1, "--baseline", base)
	if doc.Summary.New != 1 || doc.Summary.Failing != 1 {
		t.Errorf("summary %+v, want 1 new failing finding (%v %v)", doc.Summary, first["id"], first["key"])
	}
	for _, f := range doc.Findings {
		if f.InBaseline == (f.ID == first["id"] && f.Key == first["key"]) {
			t.Errorf("%s %s: inBaseline %v", f.ID, f.Key, f.InBaseline)
		}
	}
	// SARIF says the same per result: the dropped finding is new, the others
	// unchanged; without a baseline no result has a state.
	sarif := runCLI(t, "", "audit", "--baseline", base, "-o", "sarif")
	var log export.SARIFLog
	if err := json.Unmarshal([]byte(sarif.stdout), &log); err != nil {
		t.Fatalf("sarif: %v\n%s", err, sarif.stderr)
	}
	states := map[string]int{}
	for _, r := range log.Runs[0].Results {
		states[r.BaselineState]++
		if key := first["id"].(string) + ":" + first["key"].(string); (r.PartialFingerprints["netreachFinding/v1"] == key) != (r.BaselineState == "new") {
			t.Errorf("%s: baselineState %q", r.PartialFingerprints["netreachFinding/v1"], r.BaselineState)
		}
	}
	if states["new"] != 1 || states["unchanged"] != len(log.Runs[0].Results)-1 {
		t.Errorf("baseline states %v", states)
	}
	if plain := runCLI(t, "", "audit", "-o", "sarif"); strings.Contains(plain.stdout, "baselineState") {
		t.Errorf("a SARIF log without --baseline has baseline states")
	}
	// The demo has no critical finding; none never fails.
	auditJSON(t, 0, "--fail-on", "critical")
	auditJSON(t, 0, "--fail-on", "none")
	auditJSON(t, 1, "--fail-on", "low")

	bad := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--baseline", bad("junk.json", "{")}, "junk.json: not a netreach audit JSON document"},
		{[]string{"--baseline", bad("kind.json", `{"apiVersion":"netreach/v1","kind":"Matrix","findings":[]}`)}, `kind.json: kind: want "Audit"`},
		{[]string{"--baseline", bad("key.json", `{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":"NR001"}]}`)}, "key.json: findings[0].key: missing"},
		{[]string{"--baseline", filepath.Join(dir, "absent.json")}, "absent.json: cannot read: no such file or directory"},
		{[]string{"--fail-on", "urgent"}, `--fail-on: invalid severity "urgent"`},
		{[]string{"--max-reach", "150%"}, `invalid --max-reach "150%"`},
		{[]string{"-o", "csv"}, "audit does not support output format \"csv\": use one of text, json, md, sarif"},
	} {
		r := runCLI(t, "", append([]string{"audit"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit 2 and %q", tc.args, r.code, r.stderr, len(r.stdout), tc.want)
		}
	}
}

func TestAuditMaxReachAndColor(t *testing.T) {
	high, _ := auditJSON(t, 0, "--fail-on", "none", "--max-reach", "99%")
	low, _ := auditJSON(t, 0, "--fail-on", "none", "--max-reach", "50")
	count := func(d *export.AuditDoc) int {
		n := 0
		for _, f := range d.Findings {
			if f.ID == engine.RuleLargeBlastRadius {
				n++
			}
		}
		return n
	}
	if count(high) >= count(low) || count(low) == 0 {
		t.Errorf("NR017 findings: %d at 99%%, %d at 50%%", count(high), count(low))
	}
	// Output to a buffer is never coloured; the writer colours only on request.
	r := runCLI(t, "", "audit")
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour escapes in output that is not a terminal")
	}
	var b strings.Builder
	if err := export.WriteAudit(&b, high, export.Text, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[31mHIGH\x1b[0m") {
		t.Errorf("coloured text lacks the red HIGH heading:\n%.300s", b.String())
	}
}

// TestColorAllowed checks the colour decision both ways: a terminal gets
// colour unless NO_COLOR is set (even to ""), anything else never does.
func TestColorAllowed(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		terminal bool
		want     bool
	}{
		{"terminal", nil, true, true},
		{"terminal, NO_COLOR=1", map[string]string{"NO_COLOR": "1"}, true, false},
		{"terminal, NO_COLOR empty", map[string]string{"NO_COLOR": ""}, true, false},
		{"not a terminal", nil, false, false},
		{"not a terminal, NO_COLOR=1", map[string]string{"NO_COLOR": "1"}, false, false},
	} {
		if got := colorAllowed(env(tc.vars), tc.terminal); got != tc.want {
			t.Errorf("%s: colour %v, want %v", tc.name, got, tc.want)
		}
	}
	if isTerminal(&strings.Builder{}) {
		t.Error("a buffer counts as a terminal")
	}
}

// TestParsePercent checks that --max-reach reads every bare number as a
// percentage, like "N%", and rejects values outside (0, 100].
func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{in: "50%", want: 0.5}, {in: "50", want: 0.5}, {in: "1", want: 0.01}, {in: "2", want: 0.02},
		{in: "0.5", want: 0.005}, {in: "100", want: 1}, {in: " 25% ", want: 0.25},
		{in: "0", err: true}, {in: "101", err: true}, {in: "-5%", err: true}, {in: "half", err: true}, {in: "", err: true},
	} {
		got, err := parsePercent(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("parsePercent(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestAuditFixDirInputs covers the second load with other inputs: standard
// input (read once, kept for the second load), and a fix directory inside an
// input directory (found by the directory walk, not read twice).
func TestAuditFixDirInputs(t *testing.T) {
	manifests := nsYAML("a") + "---\n" + "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a}\nspec: {containers: [{name: c}]}\nstatus: {phase: Running, podIP: 10.244.0.10}\n"
	dir := t.TempDir()
	r := runCLI(t, manifests, "audit", "-f", "-", "-o", "json", "--fail-on", "none", "--fix-dir", filepath.Join(dir, "fix"))
	if r.code != 0 {
		t.Fatalf("stdin: exit %d: %s", r.code, r.stderr)
	}
	var doc export.AuditDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Fix == nil || len(doc.Fix.Closed) == 0 || len(doc.Fix.Remaining) != 0 {
		t.Errorf("stdin: fix %+v", doc.Fix)
	}
	in := filepath.Join(dir, "cluster")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "a.yaml"), []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "audit", "-f", in, "--fail-on", "none", "--fix-dir", filepath.Join(in, "fix"))
	if r.code != 0 || !strings.Contains(r.stdout, "findings NR001-NR005 left after it: 0") {
		t.Errorf("fix dir inside the input: exit %d, stderr %s", r.code, r.stderr)
	}
	// The written files now belong to the input: no high finding is left.
	r = runCLI(t, "", "audit", "-f", in)
	if r.code != 0 || strings.Contains(r.stdout, "no NetworkPolicy") || strings.Contains(r.stdout, "not isolated") {
		t.Errorf("with the fix in the input: exit %d, stderr %s\n%s", r.code, r.stderr, r.stdout)
	}
	// And the gate says why it fails on stderr.
	r = runCLI(t, "", "audit", "-f", in, "--fail-on", "low")
	if r.code != 1 || !strings.Contains(r.stderr, "at or above --fail-on low") {
		t.Errorf("gate: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestAuditFixDirWarnsOnce checks that the second load of --fix-dir does not
// repeat the first one's warnings, also when the fix directory lies inside an
// input directory (where the second load reads no extra path).
func TestAuditFixDirWarnsOnce(t *testing.T) {
	// A pod whose namespace is missing makes the load warn (DESIGN.md §2.7).
	manifests := "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: lost}\nspec: {containers: [{name: c}]}\nstatus: {phase: Running, podIP: 10.244.0.10}\n"
	for _, inside := range []bool{false, true} {
		dir := t.TempDir()
		in := filepath.Join(dir, "cluster")
		if err := os.MkdirAll(in, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, "a.yaml"), []byte(manifests), 0o644); err != nil {
			t.Fatal(err)
		}
		fix := filepath.Join(dir, "fix")
		if inside {
			fix = filepath.Join(in, "fix")
		}
		r := runCLI(t, "", "audit", "-f", in, "--fail-on", "none", "--fix-dir", fix)
		if r.code != 0 {
			t.Fatalf("inside %v: exit %d: %s", inside, r.code, r.stderr)
		}
		if n := strings.Count(r.stderr, `namespace "lost" is not in the input`); n != 1 {
			t.Errorf("fix dir inside the input %v: the namespace warning appears %d times on stderr:\n%s", inside, n, r.stderr)
		}
	}
}

func nsYAML(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"
}
