package export

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/engine"
)

// WriteFixDir writes one YAML file per namespace (DIR/NAMESPACE.yaml, every
// policy of the namespace a document of it) and returns what it wrote. It
// creates dir when missing and refuses, before writing anything, to replace an
// existing file unless force is set. Each file is written to a temporary file
// in dir and renamed into place, so no reader ever sees half a file.
func WriteFixDir(dir string, fixes []engine.NamespaceFix, force bool) ([]FixFileDoc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--fix-dir %s: %v", dir, err)
	}
	var out []FixFileDoc
	var bodies [][]byte
	for _, fx := range fixes {
		path := filepath.Join(dir, fx.Namespace+".yaml")
		if _, err := os.Stat(path); err == nil && !force {
			return nil, fmt.Errorf("--fix-dir: %s already exists; remove it, choose another directory, or add --force to overwrite", path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--fix-dir: %s: %v", path, err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# Written by netreach audit --fix-dir: default deny for namespace %s, with DNS allowed.\n", fx.Namespace)
		b.WriteString("# Review the connections the audit says these policies cut before applying them.\n")
		doc := FixFileDoc{Path: path, Namespace: fx.Namespace}
		for _, p := range fx.Policies {
			y, err := yaml.Marshal(p)
			if err != nil {
				return nil, fmt.Errorf("--fix-dir: %s: %v", path, err)
			}
			b.WriteString("---\n")
			b.Write(y)
			doc.Policies = append(doc.Policies, p.Namespace+"/"+p.Name)
		}
		out = append(out, doc)
		bodies = append(bodies, b.Bytes())
	}
	for i, doc := range out {
		if err := writeAtomic(dir, doc.Path, bodies[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeAtomic writes data to path through a temporary file in dir.
func writeAtomic(dir, path string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".netreach-fix-*.tmp")
	if err != nil {
		return fmt.Errorf("--fix-dir: %v", err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, 0o644)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return fmt.Errorf("--fix-dir: writing %s: %v", path, werr)
	}
	return nil
}
