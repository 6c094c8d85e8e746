// Command netreach answers which traffic a Kubernetes cluster's NetworkPolicies
// allow. It reads a snapshot (manifests, standard input, or the bundled demo),
// compiles it and answers queries; see `netreach --help` and README.md.
//
// Exit codes: 0 success (and, for can-reach, allowed); 1 a negative answer;
// 2 a usage or input error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/netreach/netreach/model"
)

// Exit codes of DESIGN.md §4.
const (
	exitOK       = 0
	exitNegative = 1
	exitUsage    = 2
)

// exitError carries the exit code for an error.
type exitError struct {
	code int
	err  error
}

// Error returns the wrapped error's message.
func (e *exitError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a usage or input problem (exit code 2).
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

func main() {
	os.Exit(runAs(filepath.Base(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line as netreach and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runAs("netreach", args, stdin, stdout, stderr)
}

// pluginName is the binary name kubectl looks for to run `kubectl netreach`.
const pluginName = "kubectl-netreach"

// runAs executes the command line for a program called program (the base name
// of os.Args[0]): installed as kubectl-netreach, it is the kubectl plugin
// `kubectl netreach`, which reads the current kubectl context by default.
func runAs(program string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	program = strings.TrimSuffix(program, ".exe")
	s := &streams{in: stdin, out: stdout, err: stderr, plugin: program == pluginName}
	cmd := newRootCmd(s)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		var le *model.LoadError
		switch {
		case errors.As(ee.err, &le):
			// One line per problem, each starting with FILE:LINE so that editors
			// and CI annotations can jump to it.
			for _, e := range le.Errors {
				fmt.Fprintln(stderr, e)
			}
			fmt.Fprintf(stderr, "netreach: %s in the input\n", countNoun(len(le.Errors), "error"))
		case ee.err != nil && ee.err.Error() != "":
			fmt.Fprintf(stderr, "netreach: %s\n", ee.err)
		}
		return ee.code
	}
	// Anything else comes from cobra's own argument and flag parsing.
	fmt.Fprintf(stderr, "netreach: %s\nRun '%s --help' for usage.\n", err, s.displayName())
	return exitUsage
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
