package evaluator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/model"
)

// cniAgent describes a network plugin recognisable from its DaemonSet.
type cniAgent struct {
	name     string
	enforces bool
	// match is a substring of the DaemonSet name or of a container image.
	match []string
}

// cniAgents are the network plugins (and policy agents) netreach recognises.
// Order matters only for the wording of the reason.
var cniAgents = []cniAgent{
	{"Calico", true, []string{"calico-node", "calico/node"}},
	{"Cilium", true, []string{"cilium"}},
	{"Antrea", true, []string{"antrea-agent", "antrea/antrea"}},
	{"Weave Net", true, []string{"weave-net", "weaveworks/weave-kube"}},
	{"kube-router", true, []string{"kube-router"}},
	{"Canal", true, []string{"canal"}},
	{"OVN-Kubernetes", true, []string{"ovnkube-node"}},
	{"kube-network-policies", true, []string{"kube-network-policies"}},
	{"Azure NPM", true, []string{"azure-npm"}},
	{"AWS network policy agent", true, []string{"aws-network-policy-agent"}},
	{"flannel", false, []string{"flannel"}},
	{"AWS VPC CNI", false, []string{"aws-node", "amazon-k8s-cni"}},
}

// ResolveEnforcement decides whether the cluster enforces NetworkPolicy
// (§2.13). With --enforcement=auto it looks at the snapshot's DaemonSets: an
// enforcing plugin (Calico, Cilium, ...) means enforced; only non-enforcing ones
// (flannel alone, the AWS VPC CNI without its policy agent) mean none; no
// recognisable plugin means enforced is assumed, since manifests of a few
// namespaces rarely include the CNI.
func ResolveEnforcement(s *model.Snapshot, opts Options) (bool, string) {
	switch opts.Enforcement {
	case EnforcementNone:
		return false, "--enforcement=none"
	case EnforcementEnforced:
		return true, "--enforcement=enforced"
	}
	var enforcing, other []string
	// A partial live read also lists kube-system's DaemonSets, for this only.
	for _, w := range slices.Concat(s.Workloads, s.KubeSystemDaemonSets) {
		if w.Kind != "DaemonSet" {
			continue
		}
		for _, a := range cniAgents {
			if !a.recognises(w) {
				continue
			}
			label := fmt.Sprintf("%s (%s)", a.name, w.ID())
			if a.enforces {
				enforcing = append(enforcing, label)
			} else {
				other = append(other, label)
			}
			break
		}
	}
	switch {
	case len(enforcing) > 0:
		return true, "enforced by " + strings.Join(enforcing, ", ")
	case len(other) > 0:
		return false, "the only network plugin found is " + strings.Join(other, ", ") + ", which does not enforce NetworkPolicy"
	}
	return true, "no network plugin DaemonSet in the snapshot; enforcement assumed (set --enforcement to be explicit)"
}

func (a cniAgent) recognises(w *model.Workload) bool {
	for _, m := range a.match {
		if strings.Contains(w.Name, m) {
			return true
		}
		for _, img := range w.Images {
			if strings.Contains(img, m) {
				return true
			}
		}
	}
	return false
}
