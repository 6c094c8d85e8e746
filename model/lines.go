package model

import (
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// locateErrors sets the line of each error to the line of its field in the unit's
// document. It parses the document a second time with a YAML parser that keeps
// positions (JSON is YAML too), so it costs nothing unless there are errors.
func locateErrors(u unit, errs []*InputError) {
	if u.src.Line <= 0 {
		return
	}
	var root yamlv3.Node
	if yamlv3.Unmarshal(u.data, &root) != nil || len(root.Content) == 0 {
		return
	}
	doc := root.Content[0]
	for _, e := range errs {
		line := 0
		switch {
		case e.unknownField != "":
			if n, path := findKey(doc, e.unknownField, ""); n != nil {
				line = n.Line
				if e.Field == "" {
					e.Field = path
				}
			}
		case e.Field != "":
			line = lineAt(doc, e.Field)
		}
		if line > 0 {
			e.Source.Line = u.src.Line + line - 1
		}
	}
}

// lineAt follows a field path such as spec.ingress[0].from[1].ipBlock.cidr and
// returns the line of the deepest part of it that the document has: the line of
// the field's key, or of the list item.
func lineAt(n *yamlv3.Node, path string) int {
	line := n.Line
	for _, seg := range splitPath(path) {
		var next *yamlv3.Node
		switch {
		case n.Kind == yamlv3.MappingNode:
			// seg.index on a mapping is a map entry named in brackets: labels[key].
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg.key {
					next, line = n.Content[i+1], n.Content[i].Line
					break
				}
			}
		case n.Kind == yamlv3.SequenceNode && seg.index:
			if seg.n < len(n.Content) {
				next = n.Content[seg.n]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// findKey finds the first mapping key named name, depth first, and returns its
// node and field path.
func findKey(n *yamlv3.Node, name, path string) (*yamlv3.Node, string) {
	switch n.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			if k.Value == name {
				return k, child
			}
			if found, p := findKey(n.Content[i+1], name, child); found != nil {
				return found, p
			}
		}
	case yamlv3.SequenceNode:
		for i, c := range n.Content {
			if found, p := findKey(c, name, path+"["+strconv.Itoa(i)+"]"); found != nil {
				return found, p
			}
		}
	}
	return nil, ""
}

type pathSeg struct {
	key   string
	n     int
	index bool
}

func splitPath(path string) []pathSeg {
	var out []pathSeg
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, pathSeg{key: name})
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				break
			}
			if n, err := strconv.Atoi(idx); err == nil {
				out = append(out, pathSeg{n: n, index: true})
			} else {
				out = append(out, pathSeg{key: idx, index: true})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}
