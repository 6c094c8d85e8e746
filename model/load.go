package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// LoadOptions control how a snapshot is read.
type LoadOptions struct {
	// DefaultNamespace is given to namespaced objects that have none; "default"
	// when empty, as kubectl does.
	DefaultNamespace string
	// Lenient skips invalid objects with a warning instead of failing.
	Lenient bool
	// Stdin is read for the path "-"; os.Stdin when nil.
	Stdin io.Reader
	// FS, when set, is where paths are looked up (the embedded demo snapshot);
	// otherwise they are paths of the local file system.
	FS fs.FS
	// FSName prefixes the names of files read from FS in messages ("demo").
	FSName string
	// Workers is the number of decoding goroutines; GOMAXPROCS when 0.
	Workers int
	// VPCID is the cluster's VPC, for importing VPC peerings (--vpc-id).
	VPCID string
	// KeepObjects fills Snapshot.Saved with every object read, reduced to the
	// fields the analysis reads (for `netreach snapshot -o yaml`).
	KeepObjects bool
	// Cluster, when set, says that the files read from FS hold what was read
	// from the live cluster of this kubeconfig context: their objects get a
	// Source naming the context instead of a file and line (model/live).
	Cluster string
	// ExtraPaths are read after the paths, always from the local file system
	// even when FS is set (remediation manifests added to the demo snapshot).
	ExtraPaths []string

	// catalogOnly rejects every document that is not a NetworkCatalog.
	catalogOnly bool
}

// LoadNetworks reads a network catalogue file (--networks): one or more
// netreach/v1 NetworkCatalog documents and nothing else, or the JSON that
// `aws ec2 describe-vpc-peering-connections` prints (each active peering of
// opts.VPCID becomes a peering network with the other side's CIDR blocks) or
// `aws ec2 search-transit-gateway-routes` prints (each attachment becomes a
// transit network with the destinations of its active routes). It returns the
// networks and warnings about what an importer skipped.
func LoadNetworks(file string, opts LoadOptions) ([]*Network, []string, error) {
	data, err := readInput(file, &opts)
	if err != nil {
		name := file
		if file == "-" {
			name = "<stdin>"
		}
		return nil, nil, &LoadError{Errors: []*InputError{{Source: Source{File: name}, Msg: "cannot read: " + describeFSError(err)}}}
	}
	if nets, warns, err, ok := importAWS(file, data, opts.VPCID); ok {
		return nets, warns, err
	}
	if file == "-" {
		opts.Stdin = bytes.NewReader(data)
	}
	opts.catalogOnly = true
	opts.Lenient = false
	s, err := Load([]string{file}, opts)
	if err != nil {
		return nil, nil, err
	}
	return s.Networks, s.Warnings, nil
}

// manifestExtensions are the file name endings read from directories.
var manifestExtensions = []string{".yaml", ".yml", ".json"}

// Load reads manifests from files, directories (recursively, *.yaml, *.yml and
// *.json, skipping hidden entries) and "-" (standard input), and builds the
// snapshot. Multi-document YAML, streams of JSON objects, `kind: List` and typed
// lists (PodList, ...) are all accepted.
//
// Every problem is reported: the returned error is a *LoadError listing each one
// with its file, document, object and field. With opts.Lenient, invalid objects
// are skipped and their problems become warnings in the snapshot instead.
func Load(paths []string, opts LoadOptions) (*Snapshot, error) {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files, errs := expandPaths(paths, &opts)
	if len(opts.ExtraPaths) > 0 {
		local := opts
		local.FS = nil
		local.Cluster = ""
		more, moreErrs := expandPaths(opts.ExtraPaths, &local)
		files, errs = append(files, more...), append(errs, moreErrs...)
	}
	if len(errs) > 0 {
		return nil, &LoadError{Errors: errs}
	}

	type job struct {
		seq int
		u   unit
		pre []decoded // already decoded (file-level problems); u is unused
	}
	jobs := make(chan job, 4*workers)
	results := make(chan struct {
		seq int
		ds  []decoded
	}, 4*workers)

	// Produce units: cut each file into documents and List items.
	go func() {
		defer close(jobs)
		seq := 0
		for _, f := range files {
			cutFile(f, func(u unit, pre []decoded) {
				jobs <- job{seq: seq, u: u, pre: pre}
				seq++
			})
		}
	}()

	// Decode in parallel.
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ds := j.pre
				if ds == nil {
					ds = decodeUnit(j.u, &opts)
				}
				results <- struct {
					seq int
					ds  []decoded
				}{j.seq, ds}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var ordered [][]decoded
	for r := range results {
		for len(ordered) <= r.seq {
			ordered = append(ordered, nil)
		}
		ordered[r.seq] = r.ds
	}

	b := newBuilder(&opts)
	for _, ds := range ordered {
		for i := range ds {
			b.add(&ds[i])
		}
	}
	return b.finish()
}

// inputFile is a file to read.
type inputFile struct {
	name string
	data []byte
	// cluster is LoadOptions.Cluster for the files read from a live cluster.
	cluster string
}

// expandPaths reads every file named by paths, walking directories.
func expandPaths(paths []string, opts *LoadOptions) ([]inputFile, []*InputError) {
	var files []inputFile
	var errs []*InputError
	fail := func(name, format string, args ...any) {
		errs = append(errs, &InputError{Source: Source{File: name}, Msg: fmt.Sprintf(format, args...)})
	}
	stdinRead := false
	for _, p := range paths {
		if p == "-" {
			if stdinRead {
				fail("<stdin>", "standard input given more than once")
				continue
			}
			stdinRead = true
			r := opts.Stdin
			if r == nil {
				r = os.Stdin
			}
			data, err := io.ReadAll(r)
			if err != nil {
				fail("<stdin>", "cannot read: %v", err)
				continue
			}
			files = append(files, inputFile{name: "<stdin>", data: data})
			continue
		}
		fsys, name, display := resolveFS(p, opts)
		info, err := fs.Stat(fsys, name)
		if err != nil {
			fail(display, "cannot read: %s", describeFSError(err))
			continue
		}
		if !info.IsDir() {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				fail(display, "cannot read: %s", describeFSError(err))
				continue
			}
			files = append(files, inputFile{name: display, data: data, cluster: clusterOf(opts)})
			continue
		}
		var found []string
		err = fs.WalkDir(fsys, name, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if q != name && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && hasManifestExtension(d.Name()) {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			fail(display, "cannot read directory: %s", describeFSError(err))
			continue
		}
		if len(found) == 0 {
			fail(display, "no manifests found: the directory has no %s files", strings.Join(manifestExtensions, ", "))
			continue
		}
		sort.Strings(found)
		for _, q := range found {
			data, err := fs.ReadFile(fsys, q)
			shown := joinDisplay(display, name, q, opts)
			if err != nil {
				fail(shown, "cannot read: %s", describeFSError(err))
				continue
			}
			files = append(files, inputFile{name: shown, data: data, cluster: clusterOf(opts)})
		}
	}
	return files, errs
}

// clusterOf is the live cluster context the files of FS were read from, if any.
func clusterOf(opts *LoadOptions) string {
	if opts.FS == nil {
		return ""
	}
	return opts.Cluster
}

// resolveFS returns the file system, the name within it and the name to show.
func resolveFS(p string, opts *LoadOptions) (fs.FS, string, string) {
	if opts.FS != nil {
		return opts.FS, path.Clean(p), path.Join(opts.FSName, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	root := filepath.VolumeName(abs) + string(filepath.Separator)
	rel := strings.TrimPrefix(filepath.ToSlash(abs), filepath.ToSlash(root))
	if rel == "" {
		rel = "."
	}
	return os.DirFS(root), rel, p
}

func joinDisplay(display, root, q string, opts *LoadOptions) string {
	if opts.FS != nil {
		return path.Join(opts.FSName, q)
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(q, root), "/")
	return filepath.Join(display, filepath.FromSlash(rel))
}

// describeFSError drops the path from a file system error: messages name the
// file themselves.
func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func hasManifestExtension(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range manifestExtensions {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// cutFile splits a file into decoding units and hands each to emit. Problems
// found while cutting (malformed JSON) are handed over already decoded.
func cutFile(f inputFile, emit func(unit, []decoded)) {
	if f.cluster != "" {
		// Objects read from a live cluster have no file or line to show.
		inner, src := emit, Source{Cluster: f.cluster}
		emit = func(u unit, pre []decoded) {
			u.src = src
			for i := range pre {
				pre[i].src = src
				for _, e := range pre[i].errs {
					e.Source = src
				}
			}
			inner(u, pre)
		}
	}
	data := bytes.TrimPrefix(f.data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if first := firstSignificant(data); first == '{' || first == '[' {
		cutJSONStream(f.name, data, emit)
		return
	}
	for i, d := range splitYAMLDocuments(data) {
		src := Source{File: f.name, Doc: i + 1, Line: d.line}
		if looksLikeYAMLList(d.data) {
			if kind, items, ok := splitKubectlYAMLList(d.data, d.line); ok {
				hint := ""
				if kind != "List" && strings.HasSuffix(kind, "List") {
					hint = strings.TrimSuffix(kind, "List")
				}
				for k, it := range items {
					s := src
					s.Item, s.Line = k+1, it.line
					emit(unit{src: s, data: it.data, yaml: true, kindHint: hint}, nil)
				}
				continue
			}
		}
		emit(unit{src: src, data: d.data, yaml: true}, nil)
	}
}

// cutJSONStream cuts a stream of JSON values into units. The items of a List
// are emitted as soon as the scanner passes them, so decoding starts while the
// rest of a large file is still being cut.
func cutJSONStream(name string, data []byte, emit func(unit, []decoded)) {
	line, pos := 1, 0
	for doc := 1; ; doc++ {
		start := skipSpace(data, pos)
		line += bytes.Count(data[pos:start], []byte{'\n'})
		if start >= len(data) {
			return
		}
		src := Source{File: name, Doc: doc, Line: line}
		var end int
		var err error
		if data[start] == '{' {
			end, err = streamObject(data, start, src, emit)
		} else {
			end, err = skipValue(data, start)
			if err == nil {
				emit(unit{src: src, data: data[start:end]}, nil)
			}
		}
		if err != nil {
			errSrc := src
			errSrc.Line = line + bytes.Count(data[start:min(len(data), max(start, end))], []byte{'\n'})
			emit(unit{}, []decoded{{src: errSrc, errs: []*InputError{{Source: errSrc, Msg: "invalid JSON: " + err.Error()}}}})
			return
		}
		line += bytes.Count(data[start:end], []byte{'\n'})
		pos = end
	}
}

// streamObject scans the JSON object at b[i]. When it is a List (its kind ends in
// "List", or kubectl's apiVersion v1 with the kind still to come), each item is
// emitted as a unit while scanning; otherwise the whole object is one unit.
func streamObject(b []byte, i int, src Source, emit func(unit, []decoded)) (int, error) {
	start := i
	apiVersion, kind := "", ""
	emitted := false
	lineAt, linePos := src.Line, start // incremental line counting for items
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		emit(unit{src: src, data: b[start : i+1]}, nil)
		return i + 1, nil
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return i, errors.New("malformed JSON object")
		}
		ks := i
		ke, err := skipString(b, i)
		if err != nil {
			return ke, err
		}
		key := string(b[ks+1 : ke-1])
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return i, errors.New("malformed JSON object")
		}
		vs := skipSpace(b, i+1)
		var ve int
		listLike := strings.HasSuffix(kind, "List") || (kind == "" && apiVersion == "v1")
		if key == "items" && listLike && vs < len(b) && b[vs] == '[' {
			hint, hintAPI := "", ""
			if kind != "" && kind != "List" {
				hint, hintAPI = strings.TrimSuffix(kind, "List"), apiVersion
			}
			j := skipSpace(b, vs+1)
			for n := 1; j < len(b) && b[j] != ']'; n++ {
				e, err := skipValue(b, j)
				if err != nil {
					return e, err
				}
				lineAt += bytes.Count(b[linePos:j], []byte{'\n'})
				linePos = j
				s := src
				s.Item, s.Line = n, lineAt
				emit(unit{src: s, data: b[j:e], kindHint: hint, apiVersionHint: hintAPI}, nil)
				j = skipSpace(b, e)
				if j < len(b) && b[j] == ',' {
					j = skipSpace(b, j+1)
				}
			}
			if j >= len(b) {
				return j, errUnexpectedEnd
			}
			ve = j + 1
			emitted = true
		} else {
			ve, err = skipValue(b, vs)
			if err != nil {
				return ve, err
			}
			switch key {
			case "kind":
				kind = unquoteSimple(b[vs:ve])
			case "apiVersion":
				apiVersion = unquoteSimple(b[vs:ve])
			}
		}
		i = skipSpace(b, ve)
		if i >= len(b) {
			return i, errUnexpectedEnd
		}
		if b[i] == '}' {
			if !emitted {
				emit(unit{src: src, data: b[start : i+1]}, nil)
			}
			return i + 1, nil
		}
		if b[i] != ',' {
			return i, errors.New("malformed JSON object")
		}
		i++
	}
}

// looksLikeYAMLList is a cheap test for a top-level "items:" key.
func looksLikeYAMLList(doc []byte) bool {
	return bytes.HasPrefix(doc, []byte("items:")) || bytes.Contains(doc, []byte("\nitems:"))
}
