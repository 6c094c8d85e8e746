package engine

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// TestEmptyPeersInAPartialSnapshot: NR015 cannot tell that a peer selects
// nothing when the pods it looks at were not read (a live read with -n), and
// still reports a peer of the namespaces that were read.
func TestEmptyPeersInAPartialSnapshot(t *testing.T) {
	docs := []string{nsDoc("a"), nsDoc("monitoring"),
		podDoc("a", "web", "app: web", "10.244.0.10", "n1", ""),
		policyDoc("a", "in", "{podSelector: {}, ingress: [{from: ["+
			"{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels: {app: prometheus}}}, "+
			"{podSelector: {matchLabels: {app: wbe}}}]}]}")}
	tests := []struct {
		name string
		read []string
		want []string
	}{
		{"everything read", nil, []string{"peer:a/in#ingress[0].from[0]", "peer:a/in#ingress[0].from[1]"}},
		{"only a read", []string{"a"}, []string{"peer:a/in#ingress[0].from[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := model.Load([]string{"m.yaml"}, model.LoadOptions{FS: fstest.MapFS{"m.yaml": {Data: []byte(strings.Join(docs, "---\n"))}}})
			if err != nil {
				t.Fatal(err)
			}
			s.ReadNamespaces = tc.read
			g, err := Compile(s, evaluator.Options{Enforcement: evaluator.EnforcementEnforced})
			if err != nil {
				t.Fatal(err)
			}
			a := g.Audit(s.Catalog(), AuditOptions{})
			var got []string
			for _, f := range a.Findings {
				if f.RuleID == RuleEmptyPeer {
					got = append(got, f.Key)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NR015 findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.read, a.ReadNamespaces); diff != "" {
				t.Errorf("Audit.ReadNamespaces (-want +got):\n%s", diff)
			}
		})
	}
}
