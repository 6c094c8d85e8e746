package model

import (
	"strings"
)

// InputError is one problem with the input, pinned to the file, document, object
// and field it concerns. Its message reads, for example:
//
//	policies.yaml:14: document 3 (NetworkPolicy shop/allow-web): spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0.0/33"
type InputError struct {
	Source Source
	// Object is the object concerned; zero when the document could not be read
	// far enough to name it.
	Object ObjectRef
	// Field is the field path, e.g. spec.ingress[0].from[1].ipBlock.cidr; empty
	// when the problem concerns the whole object or document.
	Field string
	// Msg says what is wrong.
	Msg string

	// unknownField names a field the decoder did not know, so that its line can
	// be found in the document.
	unknownField string
}

// Error renders the problem as FILE:LINE: document D (Kind ns/name): field: message.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source.String())
	if e.Object.Kind != "" {
		b.WriteString(" (")
		b.WriteString(e.Object.String())
		b.WriteString(")")
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadError carries every problem found in the input; loading reports all of
// them, not only the first.
type LoadError struct {
	Errors []*InputError
}

// Error lists every problem, one per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, err := range e.Errors {
		out[i] = err
	}
	return out
}
