package evaluator_test

// The NetworkPolicy conformance suite: truth tables in testdata/conformance
// (see its README.md), checked cell by cell against the evaluator.

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// conformanceRoot is the suite's directory, relative to this package.
const conformanceRoot = "../testdata/conformance"

// conformanceGroups are the folders of cases under conformanceRoot.
var conformanceGroups = []string{"upstream", "extra"}

// expectFile is the content of an expect.yaml.
type expectFile struct {
	Description string `json:"description"`
	// Upstream is the title of the upstream e2e case this one restates.
	Upstream string `json:"upstream,omitempty"`
	// Standalone cases do not start from base/.
	Standalone bool            `json:"standalone,omitempty"`
	Options    *expectOptions  `json:"options,omitempty"`
	Probes     []expectedProbe `json:"probes"`
}

type expectOptions struct {
	IPBlockPods string `json:"ipBlockPods,omitempty"`
	Enforcement string `json:"enforcement,omitempty"`
}

type expectedProbe struct {
	Protocol corev1.Protocol `json:"protocol"`
	Port     int32           `json:"port"`
	// Note says what the probe shows when that is not obvious.
	Note  string `json:"note,omitempty"`
	Table string `json:"table"`
}

// truthTable is a parsed table: rows are sources, columns destinations.
type truthTable struct {
	rows, cols []string
	// cells[i][j] is ".", "X" or "-" (not checked).
	cells [][]string
}

// conformanceCase is one directory to evaluate: a case, or a step of one.
type conformanceCase struct {
	name   string   // e.g. "upstream/15-stacked-policies/step2"
	layers []string // directories whose manifests make the snapshot, later ones winning
	expect expectFile
}

func TestConformance(t *testing.T) {
	cases := findConformanceCases(t)
	if len(cases) == 0 {
		t.Fatalf("no conformance cases under %s", conformanceRoot)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runConformanceCase(t, c) })
	}
}

// findConformanceCases lists every case and step directory, in order.
func findConformanceCases(t *testing.T) []conformanceCase {
	t.Helper()
	var out []conformanceCase
	for _, group := range conformanceGroups {
		entries, err := os.ReadDir(filepath.Join(conformanceRoot, group))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			caseDir := filepath.Join(conformanceRoot, group, e.Name())
			name := group + "/" + e.Name()
			steps := stepDirs(t, caseDir)
			_, err := os.Stat(filepath.Join(caseDir, "expect.yaml"))
			hasExpect := err == nil
			switch {
			case hasExpect && len(steps) > 0:
				t.Errorf("%s: has both expect.yaml and step directories; put expect.yaml in each step", name)
			case !hasExpect && len(steps) == 0:
				t.Errorf("%s: has neither expect.yaml nor step directories", name)
			case hasExpect:
				out = append(out, conformanceCase{name: name, layers: []string{caseDir}, expect: readExpect(t, caseDir)})
			default:
				for _, s := range steps {
					dir := filepath.Join(caseDir, s)
					out = append(out, conformanceCase{name: name + "/" + s, layers: []string{caseDir, dir}, expect: readExpect(t, dir)})
				}
			}
		}
	}
	return out
}

var stepName = regexp.MustCompile(`^step([1-9][0-9]*)$`)

// stepDirs returns the step subdirectories of a case (step1, step2, ...) in
// numeric order, and complains about any other subdirectory or a gap.
func stepDirs(t *testing.T, caseDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m := stepName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s: unexpected directory %s (only step1, step2, ... are allowed)", caseDir, e.Name())
			continue
		}
		n, _ := strconv.Atoi(m[1]) // the pattern guarantees digits
		nums = append(nums, n)
	}
	sort.Ints(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		if n != i+1 {
			t.Errorf("%s: steps must be numbered step1, step2, ... without gaps", caseDir)
		}
		out[i] = fmt.Sprintf("step%d", n)
	}
	return out
}

func readExpect(t *testing.T, dir string) expectFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectFile
	if err := yaml.UnmarshalStrict(data, &e); err != nil {
		t.Fatalf("%s/expect.yaml: %v", dir, err)
	}
	return e
}

// snapshotFS gathers the manifests of the case: base/ (unless standalone),
// then each layer. A file replaces an earlier one of the same name, which is
// how a case changes a base object (base/pod-x-a.yaml → pod-x-a.yaml).
func snapshotFS(t *testing.T, c conformanceCase) fstest.MapFS {
	t.Helper()
	dirs := c.layers
	if !c.expect.Standalone {
		dirs = append([]string{filepath.Join(conformanceRoot, "base")}, dirs...)
	}
	mfs := fstest.MapFS{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || e.Name() == "expect.yaml" || !isManifest(e.Name()) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			mfs[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	return mfs
}

func isManifest(name string) bool {
	switch path.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func runConformanceCase(t *testing.T, c conformanceCase) {
	mfs := snapshotFS(t, c)
	if len(mfs) == 0 {
		t.Fatal("the case has no manifests")
	}
	snap, err := model.Load([]string{"."}, model.LoadOptions{FS: mfs, FSName: c.name})
	if err != nil {
		t.Fatalf("loading the snapshot: %v", err)
	}
	for _, w := range snap.Warnings {
		t.Logf("snapshot warning: %s", w)
	}
	opts, err := caseOptions(c.expect.Options)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.expect.Probes) == 0 {
		t.Fatal("expect.yaml has no probes")
	}
	seen := map[string]int{}
	for _, p := range c.expect.Probes {
		name := fmt.Sprintf("%s-%d", p.Protocol, p.Port)
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s#%d", name, n)
		}
		t.Run(name, func(t *testing.T) { runProbe(t, c, snap, opts, p) })
	}
}

// caseOptions turns the options of expect.yaml into evaluator options; the
// suite defaults to ipBlockPods match and enforcement enforced.
func caseOptions(o *expectOptions) (evaluator.Options, error) {
	opts := evaluator.Options{IPBlockPods: evaluator.IPBlockPodsMatch, Enforcement: evaluator.EnforcementEnforced}
	if o == nil {
		return opts, nil
	}
	var err error
	if o.IPBlockPods != "" {
		if opts.IPBlockPods, err = evaluator.ParseIPBlockPods(o.IPBlockPods); err != nil {
			return opts, err
		}
	}
	if o.Enforcement != "" {
		if opts.Enforcement, err = evaluator.ParseEnforcement(o.Enforcement); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

func runProbe(t *testing.T, c conformanceCase, snap *model.Snapshot, opts evaluator.Options, p expectedProbe) {
	switch p.Protocol {
	case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
	default:
		t.Fatalf("protocol %q: use TCP, UDP or SCTP", p.Protocol)
	}
	if p.Port < 1 || p.Port > 65535 {
		t.Fatalf("port %d: probes use a port number 1-65535", p.Port)
	}
	want, err := parseTruthTable(p.Table)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := func(id string) evaluator.Endpoint {
		if strings.Contains(id, "/") {
			pod := snap.Pod(id)
			if pod == nil {
				t.Fatalf("table names pod %s, which is not in the snapshot", id)
			}
			return evaluator.PodEndpoint(pod)
		}
		ip, err := netip.ParseAddr(id)
		if err != nil {
			t.Fatalf("table id %q is neither namespace/pod nor an IP address", id)
		}
		return evaluator.IPEndpoint(ip)
	}
	srcs := make([]evaluator.Endpoint, len(want.rows))
	for i, id := range want.rows {
		srcs[i] = endpoint(id)
	}
	dsts := make([]evaluator.Endpoint, len(want.cols))
	for j, id := range want.cols {
		dsts[j] = endpoint(id)
	}

	q := evaluator.Query{Protocol: p.Protocol, Port: p.Port}
	got := truthTable{rows: want.rows, cols: want.cols, cells: make([][]string, len(want.rows))}
	wrong := truthTable{rows: want.rows, cols: want.cols, cells: make([][]string, len(want.rows))}
	nWrong := 0
	var first *evaluator.Verdict
	for i := range want.rows {
		got.cells[i] = make([]string, len(want.cols))
		wrong.cells[i] = make([]string, len(want.cols))
		for j := range want.cols {
			w := want.cells[i][j]
			if w == "-" {
				got.cells[i][j], wrong.cells[i][j] = "-", "-"
				continue
			}
			v := evaluator.Evaluate(snap, opts, srcs[i], dsts[j], q)
			g := "X"
			if v.Allowed {
				g = "."
			}
			got.cells[i][j], wrong.cells[i][j] = g, "."
			if g != w {
				wrong.cells[i][j] = "X"
				nWrong++
				if first == nil {
					first = v
				}
			}
		}
	}
	if nWrong == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s %d: %d wrong cell(s)\n", c.name, p.Protocol, p.Port, nWrong)
	fmt.Fprintf(&b, "case: %s\n", c.expect.Description)
	if p.Note != "" {
		fmt.Fprintf(&b, "probe: %s\n", p.Note)
	}
	fmt.Fprintf(&b, "\nexpected:\n%s\ngot:\n%s\nwrong (X marks a cell that differs):\n%s", want, got, wrong)
	fmt.Fprintf(&b, "\ndiff of the cells (-expected +got):\n%s", cmp.Diff(want.cellMap(), got.cellMap()))
	fmt.Fprintf(&b, "\nfirst wrong cell: %s -> %s: expected %s, got %s\n%s", first.Src, first.Dst,
		allowedWord(!first.Allowed), allowedWord(first.Allowed), describeVerdict(first))
	t.Error(b.String())
}

func allowedWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// describeVerdict renders what the evaluator said about one connection.
func describeVerdict(v *evaluator.Verdict) string {
	var b strings.Builder
	if len(v.Notes) == 0 {
		b.WriteString("  notes: none\n")
	}
	for _, n := range v.Notes {
		fmt.Fprintf(&b, "  note %s: %s\n", n.Code, n.Text)
	}
	for _, s := range []evaluator.Side{v.Egress, v.Ingress} {
		fmt.Fprintf(&b, "  %s: policed=%v isolated=%v allowed=%v ports=%s", s.Direction, s.Policed, s.Isolated, s.Allowed, s.Ports)
		if len(s.Isolating) > 0 {
			ids := make([]string, len(s.Isolating))
			for i, p := range s.Isolating {
				ids[i] = p.ID()
			}
			fmt.Fprintf(&b, " isolating=[%s]", strings.Join(ids, " "))
		}
		b.WriteString("\n")
		for _, m := range s.Allowing {
			fmt.Fprintf(&b, "    allowed by %s rule %d peer %d: %s\n", m.Policy.ID(), m.Rule, m.Peer, m.Ports)
		}
		for _, m := range s.Misses {
			fmt.Fprintf(&b, "    missed %s rule %d: %s %s\n", m.Policy.ID(), m.Rule, m.Reason, m.Detail)
		}
	}
	return b.String()
}

// parseTruthTable reads a table: a header line "-" followed by destination
// ids, then one line per source: its id and one cell per destination.
func parseTruthTable(text string) (truthTable, error) {
	var tt truthTable
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if tt.cols == nil {
			if f[0] != "-" || len(f) < 2 {
				return tt, fmt.Errorf("table line %d: the header is \"-\" followed by the destination ids", n+1)
			}
			tt.cols = f[1:]
			if err := checkUnique("column", tt.cols); err != nil {
				return tt, err
			}
			continue
		}
		if len(f) != len(tt.cols)+1 {
			return tt, fmt.Errorf("table line %d: %d cells for %d columns", n+1, len(f)-1, len(tt.cols))
		}
		for _, c := range f[1:] {
			if c != "." && c != "X" && c != "-" {
				return tt, fmt.Errorf("table line %d: cell %q: use . (allowed), X (denied) or - (not checked)", n+1, c)
			}
		}
		tt.rows = append(tt.rows, f[0])
		tt.cells = append(tt.cells, f[1:])
	}
	if len(tt.rows) == 0 {
		return tt, fmt.Errorf("the table has no rows")
	}
	return tt, checkUnique("row", tt.rows)
}

func checkUnique(what string, ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return fmt.Errorf("table: %s %s appears twice", what, id)
		}
		seen[id] = true
	}
	return nil
}

// cellMap keys the checked cells by "source -> destination", for go-cmp to
// list exactly the connections that differ.
func (tt truthTable) cellMap() map[string]string {
	m := map[string]string{}
	for i, r := range tt.rows {
		for j, c := range tt.cols {
			if v := tt.cells[i][j]; v != "-" {
				m[r+" -> "+c] = v
			}
		}
	}
	return m
}

// String renders the table aligned, as in expect.yaml.
func (tt truthTable) String() string {
	w0 := 1
	for _, r := range tt.rows {
		w0 = max(w0, len(r))
	}
	var b strings.Builder
	line := func(first string, cells []string, widths []int) {
		var l strings.Builder
		fmt.Fprintf(&l, "%-*s", w0, first)
		for j, c := range cells {
			fmt.Fprintf(&l, "  %-*s", widths[j], c)
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	widths := make([]int, len(tt.cols))
	for j, c := range tt.cols {
		widths[j] = len(c)
	}
	line("-", tt.cols, widths)
	for i, r := range tt.rows {
		line(r, tt.cells[i], widths)
	}
	return b.String()
}

// TestConformanceREADME checks that README.md lists every case directory, so
// that the map from upstream cases to directories stays complete.
func TestConformanceREADME(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(conformanceRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, group := range conformanceGroups {
		err := fs.WalkDir(os.DirFS(conformanceRoot), group, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path.Dir(p) == group && !strings.Contains(readme, p) {
				t.Errorf("README.md does not mention %s", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
