package export

import (
	"fmt"
	"strings"
)

// Format is an output format name, the same for every command (-o).
type Format string

// The output formats of DESIGN.md §4.
const (
	Text  Format = "text"
	JSON  Format = "json"
	YAML  Format = "yaml"
	CSV   Format = "csv"
	MD    Format = "md"
	DOT   Format = "dot"
	SVG   Format = "svg"
	PNG   Format = "png"
	SARIF Format = "sarif"
	HTML  Format = "html"
)

// APIVersion is the apiVersion of every JSON document netreach writes.
const APIVersion = "netreach/v1"

// CheckFormat returns an error naming the supported formats when f is not one of them.
func CheckFormat(command string, f Format, supported ...Format) error {
	for _, s := range supported {
		if f == s {
			return nil
		}
	}
	names := make([]string, len(supported))
	for i, s := range supported {
		names[i] = string(s)
	}
	return fmt.Errorf("%s does not support output format %q: use one of %s", command, f, strings.Join(names, ", "))
}
