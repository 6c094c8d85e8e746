package evaluator

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/model"
)

// Target is an endpoint named on the command line: one pod, the pods of a
// workload, or an address.
type Target struct {
	// ID is the canonical id: "ns/pod", "ns/Kind/name" or the address.
	ID string
	// Kind is "Pod", the workload kind, "IP", or "Network".
	Kind string
	// Endpoints are what the target stands for: one for a pod or an address,
	// every pod of a workload, and for a network one address per piece of it
	// that every policy treats alike (Endpoint.Range).
	Endpoints []Endpoint
	// Note explains a resolution the user may not expect (an address that is a
	// node, a pod found by its address).
	Note string
}

// workloadAliases maps kind names as users type them to workload kinds.
var workloadAliases = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"replicationcontroller": "ReplicationController", "rc": "ReplicationController",
	"job": "Job", "jobs": "Job", "cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
}

// ResolveTarget parses an endpoint id: "ns/pod", "ns/kind/name" (kinds as
// kubectl spells them: Deployment, deploy, sts, ...), or an IPv4/IPv6 address.
// An unknown name is an error that suggests the nearest existing ids.
func ResolveTarget(s *model.Snapshot, id string) (*Target, error) {
	if name, ok := strings.CutPrefix(id, "net:"); ok {
		return resolveNetwork(s, name)
	}
	if ip, err := netip.ParseAddr(id); err == nil {
		return resolveIP(s, ip.Unmap())
	}
	parts := strings.Split(id, "/")
	switch len(parts) {
	case 2:
		if p := s.Pod(id); p != nil {
			return &Target{ID: p.ID(), Kind: "Pod", Endpoints: []Endpoint{PodEndpoint(p)}}, nil
		}
		var ids, named []string
		for _, p := range s.Pods {
			ids = append(ids, p.ID())
		}
		for _, w := range s.Workloads {
			ids = append(ids, w.ID())
			if w.Namespace == parts[0] && w.Name == parts[1] {
				named = append(named, w.ID())
			}
		}
		if len(named) > 0 {
			return nil, fmt.Errorf("no pod %q in the snapshot; for the workload use %s", id, strings.Join(named, " or "))
		}
		return nil, notFound("pod", id, ids)
	case 3:
		kind, ok := workloadAliases[strings.ToLower(parts[1])]
		if !ok {
			kind = parts[1]
		}
		wid := parts[0] + "/" + kind + "/" + parts[2]
		if w := s.Workload(wid); w != nil {
			t := &Target{ID: w.ID(), Kind: w.Kind}
			for _, p := range w.Pods {
				t.Endpoints = append(t.Endpoints, PodEndpoint(p))
			}
			return t, nil
		}
		var ids []string
		for _, w := range s.Workloads {
			ids = append(ids, w.ID())
		}
		return nil, notFound("workload", wid, ids)
	}
	return nil, fmt.Errorf("%q is not an endpoint: use namespace/pod, namespace/Kind/name (a workload) or an IP address", id)
}

func resolveIP(s *model.Snapshot, ip netip.Addr) (*Target, error) {
	var pods []*model.Pod
	for _, p := range s.PodsWithIP(ip) {
		if !p.HostNetwork && !p.Terminated() {
			pods = append(pods, p)
		}
	}
	if len(pods) == 1 {
		p := pods[0]
		return &Target{ID: p.ID(), Kind: "Pod", Endpoints: []Endpoint{PodEndpoint(p)},
			Note: fmt.Sprintf("%s is the address of pod %s", ip, p.ID())}, nil
	}
	for _, svc := range s.Services {
		for _, c := range svc.ClusterIPs {
			if c == ip {
				return nil, fmt.Errorf("%s is the ClusterIP of Service %s/%s; NetworkPolicy applies after the Service address is translated to a pod's, so name a pod or workload behind it instead",
					ip, svc.Namespace, svc.Name)
			}
		}
	}
	t := &Target{ID: ip.String(), Kind: "IP", Endpoints: []Endpoint{IPEndpoint(ip)}}
	for _, n := range s.Nodes {
		for _, a := range n.IPs() {
			if a == ip {
				t.Note = fmt.Sprintf("%s is an address of node %s", ip, n.Name)
			}
		}
	}
	return t, nil
}

// notFound builds an error for an unknown id, suggesting up to three ids at the
// smallest edit distance.
func notFound(what, id string, candidates []string) error {
	type scored struct {
		id string
		d  int
	}
	var best []scored
	for _, c := range candidates {
		best = append(best, scored{c, editDistance(strings.ToLower(id), strings.ToLower(c))})
	}
	sort.SliceStable(best, func(i, j int) bool {
		if best[i].d != best[j].d {
			return best[i].d < best[j].d
		}
		return best[i].id < best[j].id
	})
	var sugg []string
	for i := 0; i < len(best) && i < 3; i++ {
		if best[i].d <= max(3, len(id)/2) {
			sugg = append(sugg, best[i].id)
		}
	}
	if len(sugg) == 0 {
		return fmt.Errorf("no %s %q in the snapshot", what, id)
	}
	return fmt.Errorf("no %s %q in the snapshot; did you mean %s?", what, id, strings.Join(sugg, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// resolveNetwork makes a catalogue network an endpoint: its address space cut at
// every ipBlock boundary of the snapshot and at every node address, so that
// each piece is treated alike by every policy and one address answers for it.
func resolveNetwork(s *model.Snapshot, name string) (*Target, error) {
	var net *model.Network
	var names []string
	for _, n := range s.Catalog() {
		names = append(names, n.ID())
		if n.Name == name {
			net = n
		}
	}
	if net == nil {
		return nil, notFound("network", "net:"+name, names)
	}
	var nb netipx.IPSetBuilder
	for _, p := range net.CIDRs {
		nb.AddPrefix(p)
	}
	set, err := nb.IPSet()
	if err != nil {
		return nil, fmt.Errorf("net:%s: %v", name, err)
	}
	// Boundaries: where any ipBlock (or except) starts or ends, and node addresses.
	var cuts []netip.Addr
	addPrefix := func(p netip.Prefix) {
		r := netipx.RangeOfPrefix(p)
		cuts = append(cuts, r.From())
		if next := r.To().Next(); next.IsValid() {
			cuts = append(cuts, next)
		}
	}
	for _, p := range s.Policies {
		for _, rules := range [][]model.Rule{p.Ingress, p.Egress} {
			for _, r := range rules {
				for _, peer := range r.Peers {
					if peer.IPBlock != nil {
						addPrefix(peer.IPBlock.CIDR)
						for _, e := range peer.IPBlock.Except {
							addPrefix(e)
						}
					}
				}
			}
		}
	}
	for _, n := range s.Nodes {
		for _, a := range n.IPs() {
			addPrefix(netip.PrefixFrom(a, a.BitLen()))
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Less(cuts[j]) })
	t := &Target{ID: net.ID(), Kind: "Network"}
	for _, r := range set.Ranges() {
		from := r.From()
		i := sort.Search(len(cuts), func(i int) bool { return from.Less(cuts[i]) })
		for ; i < len(cuts) && !r.To().Less(cuts[i]); i++ {
			if cuts[i] != from {
				piece := netipx.IPRangeFrom(from, cuts[i].Prev())
				t.Endpoints = append(t.Endpoints, Endpoint{IP: from, Range: piece})
				from = cuts[i]
			}
		}
		t.Endpoints = append(t.Endpoints, Endpoint{IP: from, Range: netipx.IPRangeFrom(from, r.To())})
	}
	return t, nil
}
