package model

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// This file cuts input files into documents and List items without decoding them,
// so that the expensive typed decoding can run in parallel, one unit per object.
// The JSON scanner below only finds where values start and end; encoding/json
// still does all real decoding and validation of the bytes.

// rawDoc is one YAML document of a file, before decoding.
type rawDoc struct {
	data []byte
	line int // 1-based line of the document's first byte in its file
}

// firstSignificant returns the first byte that is not white space, skipping YAML
// comment lines, or 0.
func firstSignificant(data []byte) byte {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case ' ', '\t', '\r', '\n':
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		default:
			return c
		}
	}
	return 0
}

// splitYAMLDocuments cuts YAML at "---" separator lines. Documents holding
// only comments and blank lines are dropped, so document numbers count the
// documents a reader sees.
func splitYAMLDocuments(data []byte) []rawDoc {
	var docs []rawDoc
	start, startLine := 0, 1
	line := 1
	flush := func(end int) {
		chunk := data[start:end]
		if hasYAMLContent(chunk) {
			docs = append(docs, rawDoc{data: chunk, line: startLine})
		}
	}
	for pos := 0; pos < len(data); {
		eol := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if eol >= 0 {
			next = pos + eol + 1
		}
		l := data[pos:next]
		if isDocumentMarker(l, "---") {
			flush(pos)
			// Content may follow the marker on the same line ("--- {a: b}"); keep it.
			rest := bytes.TrimLeft(l[3:], " \t")
			if len(bytes.TrimSpace(rest)) > 0 && rest[0] != '#' {
				start, startLine = pos+3, line
			} else {
				start, startLine = next, line+1
			}
		} else if isDocumentMarker(l, "...") {
			flush(pos)
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	flush(len(data))
	return docs
}

// isDocumentMarker reports whether line is the YAML marker m ("---" or "...")
// alone or followed by white space.
func isDocumentMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r'
}

func hasYAMLContent(chunk []byte) bool {
	for _, l := range bytes.Split(chunk, []byte{'\n'}) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.HasPrefix(t, []byte("%")) {
			return true
		}
	}
	return false
}

// yamlListItem is one item of a kubectl-style YAML List, dedented.
type yamlListItem struct {
	data []byte
	line int
}

// splitKubectlYAMLList recognises the layout that `kubectl get -o yaml` prints for
// a List: top-level keys at column 0 and the items as "- " entries at column 0
// under "items:". It returns the kind and the items, each dedented by two columns
// so that it is a document of its own. ok is false for any other layout; the
// caller then decodes the document whole.
func splitKubectlYAMLList(doc []byte, firstLine int) (kind string, items []yamlListItem, ok bool) {
	var cur []byte
	curLine := 0
	inItems := false
	sawItems := false
	line := firstLine - 1
	finish := func() {
		if cur != nil {
			items = append(items, yamlListItem{data: cur, line: curLine})
			cur = nil
		}
	}
	for pos := 0; pos < len(doc); {
		eol := bytes.IndexByte(doc[pos:], '\n')
		next := len(doc)
		if eol >= 0 {
			next = pos + eol + 1
		}
		l := doc[pos:next]
		pos = next
		line++
		trimmed := bytes.TrimRight(l, "\r\n")
		switch {
		case len(bytes.TrimSpace(trimmed)) == 0:
			if cur != nil {
				cur = append(cur, '\n')
			}
		case trimmed[0] == '#':
			// A comment at column 0; keep line numbering by adding a blank line.
			if cur != nil {
				cur = append(cur, '\n')
			}
		case trimmed[0] == ' ':
			if !inItems {
				continue // nested content of another top-level key (metadata:)
			}
			if cur == nil || !bytes.HasPrefix(trimmed, []byte("  ")) {
				return "", nil, false
			}
			cur = append(cur, trimmed[2:]...)
			cur = append(cur, '\n')
		case trimmed[0] == '-':
			if !inItems || !(len(trimmed) == 1 || trimmed[1] == ' ') {
				return "", nil, false
			}
			finish()
			cur = make([]byte, 0, 2048)
			curLine = line
			if len(trimmed) > 2 {
				cur = append(cur, trimmed[2:]...)
			}
			cur = append(cur, '\n')
		default:
			finish()
			inItems = false
			key, value, found := bytes.Cut(trimmed, []byte(":"))
			if !found {
				return "", nil, false
			}
			value = bytes.TrimSpace(value)
			switch string(key) {
			case "items":
				if sawItems {
					return "", nil, false
				}
				sawItems = true
				if len(value) == 0 {
					inItems = true
				} else if string(value) != "[]" {
					return "", nil, false
				}
			case "kind":
				kind = string(bytes.Trim(value, `"'`))
			}
		}
	}
	finish()
	if !sawItems || !strings.HasSuffix(kind, "List") {
		return "", nil, false // an object with an items field that is not a List
	}
	return kind, items, true
}

// JSON scanning.

var errUnexpectedEnd = errors.New("unexpected end of JSON input")

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just after the JSON value starting at b[i].
// It checks structure (brackets, strings, separators) but not number or literal
// syntax, which encoding/json checks when the value is decoded.
func skipValue(b []byte, i int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, errUnexpectedEnd
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{':
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		for {
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errUnexpectedEnd
			}
			if b[i] != '"' {
				return i, fmt.Errorf("invalid character %q looking for beginning of object key string", b[i])
			}
			var err error
			if i, err = skipString(b, i); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errUnexpectedEnd
			}
			if b[i] != ':' {
				return i, fmt.Errorf("invalid character %q after object key", b[i])
			}
			if i, err = skipValue(b, i+1); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errUnexpectedEnd
			}
			switch b[i] {
			case ',':
				i++
			case '}':
				return i + 1, nil
			default:
				return i, fmt.Errorf("invalid character %q after object key:value pair", b[i])
			}
		}
	case '[':
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = skipValue(b, i); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errUnexpectedEnd
			}
			switch b[i] {
			case ',':
				i++
			case ']':
				return i + 1, nil
			default:
				return i, fmt.Errorf("invalid character %q after array element", b[i])
			}
		}
	default:
		start := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if i == start {
					return i, fmt.Errorf("invalid character %q looking for beginning of value", b[i])
				}
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

func skipString(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1, nil
		case '\\':
			i++ // the escaped byte
		}
	}
	return len(b), errUnexpectedEnd
}

// jsonHeader holds the top-level fields of an object that decide how to decode it.
type jsonHeader struct {
	apiVersion, kind string
	items            [][]byte // elements of "items" when it is an array
	hasItems         bool
}

// scanHeader reads the top-level "apiVersion", "kind" and "items" of a JSON object
// without decoding anything else. It stops as soon as it knows the object is
// not a List, so that peeking at the kind of a large object costs little.
func scanHeader(b []byte) (jsonHeader, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return jsonHeader{}, errors.New("expected a JSON object")
	}
	h, _, err := scanObject(b, i, true)
	return h, err
}

// scanObject scans the object starting at b[i] and returns its header and end.
// With stopEarly it returns (end unknown, 0) once apiVersion and a kind that
// is not a List are both known.
func scanObject(b []byte, i int, stopEarly bool) (jsonHeader, int, error) {
	var h jsonHeader
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return h, i + 1, nil
	}
	haveAPI, haveKind := false, false
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return h, i, errors.New("malformed JSON object")
		}
		ks := i
		ke, err := skipString(b, i)
		if err != nil {
			return h, ke, err
		}
		key := b[ks+1 : ke-1]
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return h, i, errors.New("malformed JSON object")
		}
		vs := skipSpace(b, i+1)
		ve, err := skipValue(b, vs)
		if err != nil {
			return h, ve, err
		}
		switch string(key) {
		case "kind":
			h.kind, haveKind = unquoteSimple(b[vs:ve]), true
		case "apiVersion":
			h.apiVersion, haveAPI = unquoteSimple(b[vs:ve]), true
		case "items":
			if vs < len(b) && b[vs] == '[' {
				h.hasItems = true
				h.items, err = splitArray(b[vs:ve])
				if err != nil {
					return h, ve, err
				}
			}
		}
		if stopEarly && haveAPI && haveKind && !strings.HasSuffix(h.kind, "List") {
			return h, 0, nil
		}
		i = skipSpace(b, ve)
		if i >= len(b) {
			return h, i, errUnexpectedEnd
		}
		if b[i] == '}' {
			return h, i + 1, nil
		}
		if b[i] != ',' {
			return h, i, errors.New("malformed JSON object")
		}
		i++
	}
}

// splitArray returns the elements of a JSON array.
func splitArray(b []byte) ([][]byte, error) {
	var out [][]byte
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	for {
		s := skipSpace(b, i)
		e, err := skipValue(b, s)
		if err != nil {
			return nil, err
		}
		out = append(out, b[s:e])
		i = skipSpace(b, e)
		if i >= len(b) {
			return nil, errUnexpectedEnd
		}
		if b[i] == ']' {
			return out, nil
		}
		i++
	}
}

// unquoteSimple returns the contents of a JSON string without escapes, which is
// all that apiVersion and kind ever hold; anything else yields "".
func unquoteSimple(v []byte) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return ""
	}
	return string(v[1 : len(v)-1])
}
