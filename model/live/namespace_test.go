package live

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/model"
)

// TestCheckNamespace: -n naming a namespace the full list lacks is an error;
// when the list was forbidden, an empty read is warned about instead.
func TestCheckNamespace(t *testing.T) {
	cluster := Cluster{Context: "prod"}
	nsAt, ns := resourceByKind(t, "Namespace")
	podsAt, _ := resourceByKind(t, "Pod")
	results := func(nsErr error, namespaces []string, pods int) []listResult {
		r := make([]listResult, len(Resources))
		r[nsAt].err = nsErr
		for _, n := range namespaces {
			r[nsAt].objs = append(r[nsAt].objs, &model.SavedObject{Kind: "Namespace", Name: n})
		}
		for range pods {
			r[podsAt].objs = append(r[podsAt].objs, &model.SavedObject{Kind: "Pod", Name: "p"})
		}
		return r
	}
	tests := []struct {
		name      string
		namespace string
		results   []listResult
		wantErr   string
		wantWarns []string
	}{
		{"all namespaces", "", results(nil, []string{"a"}, 0), "", nil},
		{"exists, no pods", "a", results(nil, []string{"a", "b"}, 0), "", nil},
		{"missing", "shpo", results(nil, []string{"shop", "default"}, 0),
			`namespace "shpo" (-n) does not exist in the cluster of context "prod"; its namespaces are: default, shop`, nil},
		{"list forbidden, pods read", "shop", results(forbidden(ns, "alice"), nil, 2), "", nil},
		{"list forbidden, no pods", "shpo", results(forbidden(ns, "alice"), nil, 0), "",
			[]string{`no pod was read in namespace "shpo" of context "prod", and listing namespaces is forbidden, so netreach cannot tell whether the namespace exists: check the name given to -n`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var warns []string
			err := checkNamespace(tc.results, cluster, Options{Namespace: tc.namespace}, &warns)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("error %q, want %q", got, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantWarns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
