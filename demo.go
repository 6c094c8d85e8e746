// Package netreach holds the bundled demo snapshot. The analysis itself lives in
// the model, evaluator, engine and export packages, and the command line in
// cmd/netreach.
package netreach

import (
	"embed"
	"io/fs"
)

//go:embed testdata/demo/*.yaml
var demo embed.FS

// DemoFS returns the demo snapshot's manifests (testdata/demo), which commands
// analyse when no input is given.
func DemoFS() fs.FS {
	sub, err := fs.Sub(demo, "testdata/demo")
	if err != nil {
		// fs.Sub fails only for an invalid path, and this one is a constant.
		return demo
	}
	return sub
}
