package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"unknown shape", []string{"-shape", "T9"}, `unknown shape "T9"`},
		{"unknown format", []string{"-format", "xml"}, `unknown format "xml"`},
		{"unknown layout", []string{"-layout", "stream"}, `unknown layout "stream"`},
		{"bad seed", []string{"-seed", "minus-one"}, "invalid value"},
		{"zero scale", []string{"-scale", "0"}, "-scale must be a positive number"},
		{"NaN scale", []string{"-scale", "NaN"}, "-scale must be a positive number"},
		{"stray argument", []string{"-shape", "T0", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.yaml")
			var stdout, stderr bytes.Buffer
			code := run(append(tc.args, "-o", out), &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("wrote %d bytes to stdout", stdout.Len())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left files behind: %v", entries)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "-shape") {
		t.Errorf("usage does not list the flags: %q", stderr.String())
	}
}

func TestRunList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d; stderr %q", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var names []string
	for _, l := range lines[1:] {
		names = append(names, strings.Fields(l)[0])
	}
	want := []string{"T0", "T1", "T2", "T4a", "T4b", "T4c", "T5c", "T5", "T6", "A1", "A2", "A3", "A4", "A5", "A6"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("shapes listed (-want +got):\n%s", diff)
	}
	if !strings.Contains(lines[0], "PODS") || !strings.Contains(stdout.String(), "150000") {
		t.Errorf("listing lacks counts:\n%s", stdout.String())
	}
}

type list struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

func TestRunWritesFile(t *testing.T) {
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "t0."+format)
			// An existing file is replaced whole.
			if err := os.WriteFile(out, []byte("old contents that are longer than nothing"), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run([]string{"-shape", "T0", "-seed", "3", "-format", format, "-realistic", "-v", "-o", out}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit status %d; stderr %q", code, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("wrote %d bytes to stdout", stdout.Len())
			}
			if !strings.Contains(stderr.String(), "100 pods") {
				t.Errorf("-v report %q lacks the pod count", stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var l list
			if err := yaml.Unmarshal(data, &l); err != nil {
				t.Fatal(err)
			}
			// 5 namespaces, 1 node, 100 pods, 20 policies.
			if l.APIVersion != "v1" || l.Kind != "List" || len(l.Items) != 126 {
				t.Errorf("got a %s %s of %d items, want a v1 List of 126", l.APIVersion, l.Kind, len(l.Items))
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %v, want only the output", entries)
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("output mode %v (%v), want 0644", fi.Mode(), err)
			}
		})
	}
}

func TestRunWritesStdout(t *testing.T) {
	for _, args := range [][]string{{"-shape", "T0", "-layout", "documents"}, {"-shape", "T0", "-layout", "documents", "-o", "-"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit status %d; stderr %q", args, code, stderr.String())
		}
		if n := strings.Count(stdout.String(), "\n---\n"); n != 125 {
			t.Errorf("%v: %d document separators, want 125", args, n)
		}
	}
}

func TestRunIsDeterministic(t *testing.T) {
	out := func(seed string) string {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-shape", "A5", "-scale", "0.05", "-seed", seed, "-format", "json", "-realistic"}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit status %d; stderr %q", code, stderr.String())
		}
		return stdout.String()
	}
	a, b, other := out("7"), out("7"), out("8")
	if a != b {
		t.Error("two runs with the same seed wrote different output")
	}
	if a == other {
		t.Error("different seeds wrote the same output")
	}
}

func TestRunReportsUnwritableOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing", "t0.yaml")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-shape", "T0", "-o", out}, &stdout, &stderr); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), out) {
		t.Errorf("stderr %q does not name the output", stderr.String())
	}
}

func TestWriteFileAtomicLeavesNothingOnFailure(t *testing.T) {
	boom := errors.New("boom")
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out.json")
		if existing {
			if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := writeFileAtomic(path, func(w io.Writer) error {
			if _, err := w.Write([]byte(`{"apiVersion":"v1","items":[`)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want %v", err, boom)
		}
		entries, _ := os.ReadDir(dir)
		switch {
		case !existing && len(entries) != 0:
			t.Errorf("failed write left %v", entries)
		case existing:
			data, _ := os.ReadFile(path)
			if len(entries) != 1 || string(data) != "previous" {
				t.Errorf("failed write left %v, with %q in the target", entries, data)
			}
		}
	}
}
