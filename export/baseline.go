package export

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Baseline is a previous audit (`netreach audit -o json`): the findings it
// held, by rule id and key. A nil *Baseline holds nothing.
type Baseline struct {
	// File is the name the baseline was read from.
	File string
	keys map[[2]string]bool
}

// Has reports whether the baseline holds a finding with this id and key.
func (b *Baseline) Has(id, key string) bool {
	return b != nil && b.keys[[2]string{id, key}]
}

// Len is the number of findings in the baseline.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.keys)
}

// ReadBaseline parses a baseline: a netreach/v1 Audit JSON document. Errors
// name the file and the field at fault.
func ReadBaseline(file string, data []byte) (*Baseline, error) {
	var doc struct {
		APIVersion *string           `json:"apiVersion"`
		Kind       *string           `json:"kind"`
		Findings   []json.RawMessage `json:"findings"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a netreach audit JSON document: %v", file, err)
	}
	switch {
	case doc.APIVersion == nil || *doc.APIVersion != APIVersion:
		return nil, fmt.Errorf("%s: apiVersion: want %q (the output of netreach audit -o json)", file, APIVersion)
	case doc.Kind == nil || *doc.Kind != "Audit":
		return nil, fmt.Errorf("%s: kind: want \"Audit\" (the output of netreach audit -o json)", file)
	case doc.Findings == nil:
		return nil, fmt.Errorf("%s: findings: missing", file)
	}
	b := &Baseline{File: file, keys: map[[2]string]bool{}}
	for i, raw := range doc.Findings {
		var f struct {
			ID  *string `json:"id"`
			Key *string `json:"key"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%s: findings[%d]: not an object with string id and key: %v", file, i, err)
		}
		if f.ID == nil || *f.ID == "" {
			return nil, fmt.Errorf("%s: findings[%d].id: missing", file, i)
		}
		if f.Key == nil || *f.Key == "" {
			return nil, fmt.Errorf("%s: findings[%d].key: missing", file, i)
		}
		b.keys[[2]string{*f.ID, *f.Key}] = true
	}
	return b, nil
}
