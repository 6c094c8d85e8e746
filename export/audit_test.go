package export

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/model"
)

func TestReadBaseline(t *testing.T) {
	good := `{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":"NR001","key":"namespace:legacy","severity":"high"},{"id":"NR004","key":"workload:a/Pod/x"}]}`
	b, err := ReadBaseline("base.json", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Has("NR001", "namespace:legacy") || !b.Has("NR004", "workload:a/Pod/x") || b.Has("NR001", "namespace:shop") || b.Len() != 2 {
		t.Errorf("baseline %+v", b)
	}
	var none *Baseline
	if none.Has("NR001", "namespace:legacy") || none.Len() != 0 {
		t.Error("a nil baseline holds nothing")
	}
	for _, tc := range []struct{ data, want string }{
		{``, "base.json: not a netreach audit JSON document"},
		{`[]`, "base.json: not a netreach audit JSON document"},
		{`{"kind":"Audit","findings":[]}`, `base.json: apiVersion: want "netreach/v1"`},
		{`{"apiVersion":"netreach/v1","kind":"Matrix"}`, `base.json: kind: want "Audit"`},
		{`{"apiVersion":"netreach/v1","kind":"Audit"}`, "base.json: findings: missing"},
		{`{"apiVersion":"netreach/v1","kind":"Audit","findings":[7]}`, "base.json: findings[0]: not an object with string id and key"},
		{`{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"key":"k"}]}`, "base.json: findings[0].id: missing"},
		{`{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":"NR001","key":"a"},{"id":"NR002","key":""}]}`, "base.json: findings[1].key: missing"},
		{`{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":1,"key":"a"}]}`, "base.json: findings[0]: not an object with string id and key"},
	} {
		_, err := ReadBaseline("base.json", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.data, err, tc.want)
		}
	}
}

// FuzzReadBaseline: any input gives a baseline or an error naming the file,
// never a panic; a baseline holds exactly the id and key pairs it read.
func FuzzReadBaseline(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":"NR001","key":"namespace:legacy"}]}`))
	f.Add([]byte(`{"apiVersion":"netreach/v1","kind":"Audit","findings":[]}`))
	f.Add([]byte(`{"apiVersion":"netreach/v1","kind":"Audit","findings":[{"id":"NR001"}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBaseline("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for k := range b.keys {
			if k[0] == "" || k[1] == "" || !b.Has(k[0], k[1]) {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

func TestSARIFURI(t *testing.T) {
	got := []string{
		sarifURI("demo/legacy.yaml", true),
		sarifURI("demo/legacy.yaml", false),
		sarifURI("./k8s/my app.yaml", false),
		sarifURI("/srv/k8s/app.yaml", false),
		sarifURI("<stdin>", false),
		sarifURI("", true),
	}
	want := []string{"testdata/demo/legacy.yaml", "demo/legacy.yaml", "k8s/my%20app.yaml", "file:///srv/k8s/app.yaml", "", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sarifURI (-want +got):\n%s", diff)
	}
}

// TestAuditLocations: an object read from a file gets its file and line in the
// JSON and a physical location in SARIF; one read from a live cluster gets
// neither (there is no file to open), and SARIF still names it logically.
func TestAuditLocations(t *testing.T) {
	a := &engine.Audit{Findings: []engine.Finding{{RuleID: "NR001", Severity: engine.SeverityHigh, Key: "namespace:x", Message: "m",
		Resources: []engine.Resource{
			{Kind: "Namespace", Name: "x", ID: "x", Source: model.Source{File: "k8s/x.yaml", Doc: 1, Line: 3}},
			{Kind: "Namespace", Name: "y", ID: "y", Source: model.Source{Cluster: "prod"}},
		}}}}
	d := NewAuditDoc(a, engine.SeverityHigh, nil)
	var buf strings.Builder
	if err := WriteAudit(&buf, d, JSON, false); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct{ Resources []map[string]any }
	}
	if err := json.Unmarshal([]byte(buf.String()), &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"kind": "Namespace", "name": "x", "id": "x", "file": "k8s/x.yaml", "line": 3.0},
		{"kind": "Namespace", "name": "y", "id": "y"},
	}
	if diff := cmp.Diff(want, doc.Findings[0].Resources); diff != "" {
		t.Errorf("JSON resources (-want +got):\n%s", diff)
	}
	locs := NewSARIF(d).Runs[0].Results[0].Locations
	if len(locs) != 2 || locs[0].PhysicalLocation == nil || locs[0].PhysicalLocation.ArtifactLocation.URI != "k8s/x.yaml" {
		t.Errorf("the file's object should have a physical location: %+v", locs)
	}
	if len(locs) == 2 && (locs[1].PhysicalLocation != nil || len(locs[1].LogicalLocations) != 1 || locs[1].LogicalLocations[0].FullyQualifiedName != "Namespace/y") {
		t.Errorf("the live object should have only a logical location: %+v", locs[1])
	}
}

// TestPartialAudit: an audit of some namespaces says so in every format.
func TestPartialAudit(t *testing.T) {
	d := NewAuditDoc(&engine.Audit{ReadNamespaces: []string{"shop"}}, engine.SeverityHigh, nil)
	var text, js strings.Builder
	if err := WriteAudit(&text, d, Text, false); err != nil {
		t.Fatal(err)
	}
	want := "Partial audit: it covers only namespace shop (-n); pods and policies elsewhere were not read, so rule peers that select them are not checked\n"
	if lines := strings.SplitAfter(text.String(), "\n"); len(lines) < 2 || lines[1] != want {
		t.Errorf("second line of the text audit:\n%q\nwant:\n%q", lines, want)
	}
	if err := WriteAudit(&js, d, JSON, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"readNamespaces": [`) {
		t.Errorf("JSON lacks readNamespaces:\n%s", js.String())
	}
	props := NewSARIF(d).Runs[0].Properties
	if props == nil || !props.Partial || !cmp.Equal(props.ReadNamespaces, []string{"shop"}) {
		t.Errorf("SARIF run properties %+v", props)
	}
	whole := NewAuditDoc(&engine.Audit{}, engine.SeverityHigh, nil)
	if NewSARIF(whole).Runs[0].Properties != nil {
		t.Error("a whole audit should have no partial properties")
	}
}
