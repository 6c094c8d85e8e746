package evaluator

import (
	"fmt"
	"strings"
)

// IPBlockPods says whether ipBlock peers match pod addresses (DESIGN.md §2.8).
type IPBlockPods string

const (
	// IPBlockPodsMatch lets ipBlocks match pod IPs, as Calico and the upstream
	// conformance tests do. It is the default.
	IPBlockPodsMatch IPBlockPods = "match"
	// IPBlockPodsIgnore never matches pod IPs with ipBlocks, as Cilium does by default.
	IPBlockPodsIgnore IPBlockPods = "ignore"
)

// Enforcement says whether the cluster's network plugin enforces NetworkPolicy
// (DESIGN.md §2.13).
type Enforcement string

const (
	// EnforcementAuto decides from the snapshot's kube-system DaemonSets.
	EnforcementAuto Enforcement = "auto"
	// EnforcementEnforced assumes policies are enforced.
	EnforcementEnforced Enforcement = "enforced"
	// EnforcementNone assumes policies are ignored: every connection is allowed.
	EnforcementNone Enforcement = "none"
)

// Options are the semantic choices that depend on the cluster's network plugin.
// The evaluator and the engine share this one value so that both implement the
// same semantics; CNI profiles (generic, calico, cilium) will be presets of it.
type Options struct {
	IPBlockPods IPBlockPods
	Enforcement Enforcement
}

// DefaultOptions returns the options used when no flag says otherwise.
func DefaultOptions() Options {
	return Options{IPBlockPods: IPBlockPodsMatch, Enforcement: EnforcementAuto}
}

// ParseIPBlockPods parses the value of --ipblock-pods.
func ParseIPBlockPods(s string) (IPBlockPods, error) {
	switch v := IPBlockPods(strings.ToLower(s)); v {
	case IPBlockPodsMatch, IPBlockPodsIgnore:
		return v, nil
	}
	return "", fmt.Errorf("invalid --ipblock-pods %q: use match or ignore", s)
}

// ParseEnforcement parses the value of --enforcement.
func ParseEnforcement(s string) (Enforcement, error) {
	switch v := Enforcement(strings.ToLower(s)); v {
	case EnforcementAuto, EnforcementEnforced, EnforcementNone:
		return v, nil
	}
	return "", fmt.Errorf("invalid --enforcement %q: use auto, enforced or none", s)
}
