package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

	"sigs.k8s.io/yaml"
)

// Output formats and layouts Write accepts.
const (
	// FormatJSON writes JSON.
	FormatJSON = "json"
	// FormatYAML writes YAML.
	FormatYAML = "yaml"
	// LayoutList writes a single kubectl-style List holding every object.
	LayoutList = "list"
	// LayoutDocuments writes one document per object: YAML documents
	// separated by "---" lines, or one JSON object per line.
	LayoutDocuments = "documents"
)

// WriteOptions tunes Write.
type WriteOptions struct {
	// Realistic pads every pod, as it is written, with what a real
	// `kubectl get -o` returns besides the analysis fields: annotations,
	// a managedFields entry, uid, resourceVersion, creationTimestamp,
	// image pull policy, environment, resources, volumes and mounts,
	// tolerations, status conditions and container statuses: about 3.5 to
	// 4 KB of JSON per pod (a lean pod is about 0.8 KB). Other kinds get
	// uid, resourceVersion and creationTimestamp. Padding is derived from
	// each object's namespace and name, so output stays reproducible, and
	// the Cluster itself is never changed.
	Realistic bool
	// Layout is LayoutList (the default when empty) or LayoutDocuments.
	Layout string
}

// Write streams c to w as Kubernetes manifests: namespaces, then nodes,
// pods and policies, every object with its apiVersion and kind. format is
// FormatJSON or FormatYAML. Objects are marshalled one at a time (with
// encoding/json and sigs.k8s.io/yaml) and written through a buffered
// writer, so memory use does not grow with the cluster; to keep large YAML
// output tolerable, batches of objects are marshalled on all CPUs while the
// output keeps the cluster's order exactly.
//
// In the list layout JSON output is one object,
// {"apiVersion":"v1","items":[...],"kind":"List","metadata":{"resourceVersion":""}},
// with one item per line, and YAML output is what `kubectl get -o yaml`
// prints for several objects: a List whose items start at column 0 with
// "- " and whose bodies are indented by two spaces.
//
// Write never modifies c, and reads it from several goroutines, so c must
// not change while Write runs.
func Write(w io.Writer, c *Cluster, format string, opts WriteOptions) error {
	if format != FormatJSON && format != FormatYAML {
		return fmt.Errorf("gen: unknown format %q (want %q or %q)", format, FormatJSON, FormatYAML)
	}
	layout := opts.Layout
	if layout == "" {
		layout = LayoutList
	}
	if layout != LayoutList && layout != LayoutDocuments {
		return fmt.Errorf("gen: unknown layout %q (want %q or %q)", opts.Layout, LayoutList, LayoutDocuments)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	s := &stream{bw: bw, yaml: format == FormatYAML, list: layout == LayoutList}
	s.begin()
	if err := encodeAll(c, format, opts.Realistic, s.item); err != nil {
		return err
	}
	s.end()
	if s.err != nil {
		return s.err
	}
	return bw.Flush()
}

// Object kinds in output order.
const (
	kindNamespace = iota
	kindNode
	kindPod
	kindPolicy
	kindCount
)

func (c *Cluster) count(kind int) int {
	switch kind {
	case kindNamespace:
		return len(c.Namespaces)
	case kindNode:
		return len(c.Nodes)
	case kindPod:
		return len(c.Pods)
	default:
		return len(c.Policies)
	}
}

// batchSize is how many objects one worker marshals in a go.
const batchSize = 128

// batch is a run of objects of one kind, c's items lo to hi, and their
// encodings back to back in data (item i ends at ends[i-lo]).
type batch struct {
	kind, lo, hi int
	data         []byte
	ends         []int
	err          error
	done         chan struct{}
}

// encodeAll marshals every object of c, in order, and hands each encoding
// to emit, stopping at emit's first error. Workers marshal batches
// concurrently; a bounded queue keeps them at most a few batches ahead of
// emit.
func encodeAll(c *Cluster, format string, realistic bool, emit func([]byte) error) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *batch)
	queue := make(chan *batch, 2*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := newEncoder(format, realistic)
			for b := range work {
				e.encode(c, b)
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(queue)
		defer close(work)
		for kind := range kindCount {
			n := c.count(kind)
			for lo := 0; lo < n; lo += batchSize {
				b := &batch{kind: kind, lo: lo, hi: min(n, lo+batchSize), done: make(chan struct{})}
				// Queue first, so emit sees batches in order.
				select {
				case queue <- b:
				case <-stop:
					return
				}
				select {
				case work <- b:
				case <-stop:
					return
				}
			}
		}
	}()
	var err error
loop:
	for b := range queue {
		<-b.done
		if b.err != nil {
			err = b.err
			break
		}
		start := 0
		for _, end := range b.ends {
			if err = emit(b.data[start:end]); err != nil {
				break loop
			}
			start = end
		}
	}
	close(stop)
	wg.Wait()
	return err
}

// encoder marshals objects for one worker.
type encoder struct {
	marshal func(any) ([]byte, error)
	pad     *padder
}

func newEncoder(format string, realistic bool) *encoder {
	e := &encoder{marshal: yaml.Marshal}
	if format == FormatJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		e.marshal = func(v any) ([]byte, error) {
			buf.Reset()
			if err := enc.Encode(v); err != nil {
				return nil, err
			}
			return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
		}
	}
	if realistic {
		e.pad = newPadder()
	}
	return e
}

// encode marshals b's objects into b, giving each its apiVersion and kind
// if it lacks them and padding it in realistic mode (always on a copy).
func (e *encoder) encode(c *Cluster, b *batch) {
	for i := b.lo; i < b.hi; i++ {
		var obj any
		switch b.kind {
		case kindNamespace:
			o := c.Namespaces[i]
			if o.Kind == "" {
				cp := *o
				cp.TypeMeta = namespaceType
				o = &cp
			}
			if e.pad != nil {
				o = e.pad.namespace(o)
			}
			obj = o
		case kindNode:
			o := c.Nodes[i]
			if o.Kind == "" {
				cp := *o
				cp.TypeMeta = nodeType
				o = &cp
			}
			if e.pad != nil {
				o = e.pad.node(o)
			}
			obj = o
		case kindPod:
			o := c.Pods[i]
			if o.Kind == "" {
				cp := *o
				cp.TypeMeta = podType
				o = &cp
			}
			if e.pad != nil {
				o = e.pad.pod(o)
			}
			obj = o
		default:
			o := c.Policies[i]
			if o.Kind == "" {
				cp := *o
				cp.TypeMeta = policyType
				o = &cp
			}
			if e.pad != nil {
				o = e.pad.policy(o)
			}
			obj = o
		}
		out, err := e.marshal(obj)
		if err != nil {
			b.err = fmt.Errorf("gen: marshal: %w", err)
			return
		}
		b.data = append(b.data, out...)
		b.ends = append(b.ends, len(b.data))
	}
}

// stream writes objects one by one in the chosen format and layout.
type stream struct {
	bw   *bufio.Writer
	yaml bool
	list bool
	n    int
	err  error
}

func (s *stream) write(b []byte) {
	if s.err == nil {
		_, s.err = s.bw.Write(b)
	}
}

func (s *stream) writeString(str string) {
	if s.err == nil {
		_, s.err = s.bw.WriteString(str)
	}
}

func (s *stream) begin() {
	if !s.list {
		return
	}
	if s.yaml {
		// The newline after "items:" waits for the first item, since an
		// empty list is written "items: []".
		s.writeString("apiVersion: v1\nitems:")
	} else {
		s.writeString(`{"apiVersion":"v1","items":[`)
	}
}

// item writes one encoded object and returns the first write error.
func (s *stream) item(b []byte) error {
	switch {
	case s.yaml && s.list:
		if s.n == 0 {
			s.writeString("\n")
		}
		s.indentItem(b)
	case s.yaml:
		if s.n > 0 {
			s.writeString("---\n")
		}
		s.write(b)
	case s.list:
		if s.n > 0 {
			s.writeString(",\n")
		} else {
			s.writeString("\n")
		}
		s.write(b)
	default:
		s.write(b)
		s.writeString("\n")
	}
	s.n++
	return s.err
}

// indentItem writes a YAML mapping as an item of the list's sequence: "- "
// before its first line and two spaces before each further non-empty line.
func (s *stream) indentItem(b []byte) {
	first := true
	for len(b) > 0 && s.err == nil {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		switch {
		case first:
			s.writeString("- ")
			first = false
		case len(line) > 1:
			s.writeString("  ")
		}
		s.write(line)
		if i < 0 {
			s.writeString("\n")
		}
	}
}

func (s *stream) end() {
	if !s.list {
		return
	}
	if s.yaml {
		if s.n == 0 {
			s.writeString(" []\n")
		}
		s.writeString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
		return
	}
	if s.n > 0 {
		s.writeString("\n")
	}
	s.writeString(`],"kind":"List","metadata":{"resourceVersion":""}}` + "\n")
}
