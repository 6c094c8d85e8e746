package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFor maps a JSON document kind to its published schema in docs/schema.
var schemaFor = map[string]string{
	"Snapshot":    "snapshot.schema.json",
	"Verdict":     "verdict.schema.json",
	"Matrix":      "matrix.schema.json",
	"Exposure":    "exposure.schema.json",
	"BlastRadius": "blastradius.schema.json",
	"Audit":       "audit.schema.json",
}

// TestGoldenJSONMatchesSchemas validates every golden JSON output against the
// schema the docs publish for its kind, so that docs and output cannot drift.
func TestGoldenJSONMatchesSchemas(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden JSON files: %v", err)
	}
	c := jsonschema.NewCompiler()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			var head struct{ APIVersion, Kind string }
			if err := json.Unmarshal(data, &head); err != nil {
				t.Fatal(err)
			}
			if head.APIVersion != "netreach/v1" {
				t.Errorf("apiVersion = %q", head.APIVersion)
			}
			name, ok := schemaFor[head.Kind]
			if !ok {
				t.Fatalf("no schema registered for kind %q", head.Kind)
			}
			schema, err := c.Compile(filepath.Join("..", "..", "docs", "schema", name))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("%s does not match %s:\n%v", filepath.Base(f), name, err)
			}
		})
	}
}
