package peers

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/np-guard/netpol-analyzer/pkg/netpol/connlist"

	"github.com/netreach/netreach/benchmarks/gen"
	"github.com/netreach/netreach/evaluator"
)

// Case is one cluster of the comparison: a benchmarks/gen shape, possibly
// scaled, and the seed it is generated with.
type Case struct {
	// Name is how the case was asked for: "T1", "T2@0.3" or "T5@0.005/nohost".
	Name  string
	Shape gen.Shape
	Seed  uint64
	// Bare removes every pod's ownerReferences after generation, so that
	// both tools report each pod as a workload of its own ("ns/Pod/name"):
	// the comparison then runs pod by pod.
	Bare bool
}

// DefaultCases are the clusters the comparison runs when none are named:
// from about 25 to about 1,100 workloads (4 pods per workload on average).
// T5 is the "full semantics" profile (named ports, port ranges, UDP and SCTP,
// ipBlocks, set-based selectors, about 1% hostNetwork pods), once as it is
// and once without hostNetwork pods. T1/bare compares pod by pod.
const DefaultCases = "T0,T1,T2@0.1,T2@0.3,T2@0.4,T5@0.005,T5@0.005/nohost,T1/bare"

// ExtraCases are the adversarial shapes of benchmarks/gen at sizes
// netpol-analyzer can handle. A1 (200 policies that all select all pods)
// takes netpol-analyzer about five minutes; A2 selects single pods by a
// unique label, which netpol-analyzer's per-owner grouping cannot represent,
// so it runs pod by pod; A3 gives the pods of one workload different labels,
// on which netpol-analyzer v1.4.4 crashes.
const ExtraCases = "A1@0.02,A2@0.02/bare,A3@0.05,A4@0.05,A5@0.05,A6@0.05"

// ParseCases reads a comma-separated list of NAME[@FACTOR][/MODIFIER...],
// where NAME is a benchmarks/gen shape, FACTOR scales its pod, namespace and
// policy counts (gen.Scaled), and each MODIFIER is one of
//
//   - nohost: no hostNetwork pods (HostNetworkFraction 0);
//   - bare: pods without ownerReferences, compared pod by pod (Case.Bare).
func ParseCases(list string, seed uint64) ([]Case, error) {
	var out []Case
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		spec, mods, _ := strings.Cut(item, "/")
		c := Case{Name: item, Seed: seed}
		name, factor, scaled := strings.Cut(spec, "@")
		s, ok := gen.ShapeByName(name)
		if !ok {
			return nil, fmt.Errorf("case %q: no shape %q in benchmarks/gen", item, name)
		}
		if scaled {
			f, err := strconv.ParseFloat(factor, 64)
			if err != nil || !(f > 0) {
				return nil, fmt.Errorf("case %q: bad scale factor %q", item, factor)
			}
			s = gen.Scaled(s, f)
		}
		for _, m := range strings.Split(mods, "/") {
			switch m {
			case "":
			case "nohost":
				s.HostNetworkFraction = 0
			case "bare":
				c.Bare = true
			default:
				return nil, fmt.Errorf("case %q: unknown modifier %q (use nohost or bare)", item, m)
			}
		}
		c.Shape = s
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no cases in %q", list)
	}
	return out, nil
}

// WorkloadNamer maps netpol-analyzer's workload names to netreach's workload
// ids, and knows the facts about each workload that explain the known
// differences between the tools.
//
// netpol-analyzer names a pod's workload after the pod's controller as the
// pod's ownerReference gives it, "ns/name[Kind]": a Deployment's pods appear
// as their ReplicaSet, "ns/web-5d8f7c9b4c[ReplicaSet]". netreach resolves a
// ReplicaSet that the input does not hold to the Deployment that the
// Deployment controller's naming rule implies (ReplicaSet "<deployment>-<hash>"
// whose pods carry pod-template-hash=<hash>) and names it
// "ns/Deployment/web". The namer applies the same rule to netpol-analyzer's
// ReplicaSets; as each Deployment of a generated cluster has exactly one
// ReplicaSet, both tools group the same pods into each workload. Pods without
// a controller are "ns/name[Pod]" and "ns/Pod/name".
type WorkloadNamer struct {
	rsDeployment map[string]string   // "ns/replicaset" → deployment name
	hostNetwork  map[string]bool     // workload id → some pod uses hostNetwork
	nodes        map[string][]string // workload id → nodes of its pods
}

// NewWorkloadNamer indexes the pods of a generated cluster.
func NewWorkloadNamer(c *gen.Cluster) *WorkloadNamer {
	n := &WorkloadNamer{rsDeployment: map[string]string{}, hostNetwork: map[string]bool{}, nodes: map[string][]string{}}
	for _, p := range c.Pods {
		id := n.PodWorkload(p)
		if p.Spec.HostNetwork {
			n.hostNetwork[id] = true
		}
		n.nodes[id] = append(n.nodes[id], p.Spec.NodeName)
	}
	return n
}

// PodWorkload is the netreach workload id of a pod (and records the
// ReplicaSet → Deployment link it implies).
func (n *WorkloadNamer) PodWorkload(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		if h := p.Labels["pod-template-hash"]; o.Kind == "ReplicaSet" && h != "" && strings.HasSuffix(o.Name, "-"+h) {
			d := strings.TrimSuffix(o.Name, "-"+h)
			n.rsDeployment[p.Namespace+"/"+o.Name] = d
			return p.Namespace + "/Deployment/" + d
		}
		return p.Namespace + "/" + o.Kind + "/" + o.Name
	}
	return p.Namespace + "/Pod/" + p.Name
}

// NPA maps a netpol-analyzer peer to a netreach workload id; ok is false for
// IP-range peers.
func (n *WorkloadNamer) NPA(p connlist.Peer) (id string, ok bool) {
	if p.IsPeerIPType() {
		return "", false
	}
	ns, name, kind := p.Namespace(), p.Name(), p.Kind()
	if kind == "ReplicaSet" {
		if d, found := n.rsDeployment[ns+"/"+name]; found {
			return ns + "/Deployment/" + d, true
		}
	}
	return ns + "/" + kind + "/" + name, true
}

// Difference kinds.
const (
	OnlyNetreach = "only netreach allows"
	OnlyNPA      = "only netpol-analyzer allows"
	PortsDiffer  = "ports differ"
)

// Reasons a difference is expected: a modelling gap or a bug of
// netpol-analyzer, each analysed against DESIGN.md §2 in README.md.
const (
	// ReasonHostNetwork: an end of the pair runs with hostNetwork.
	// netpol-analyzer treats such a pod as an ordinary pod (selected by pod
	// selectors, isolated by policies). A hostNetwork pod shares its node's
	// network namespace; netreach (DESIGN.md §2.10, §2.11) lets no selector
	// select it and no policy isolate it, and admits its traffic to pods on
	// its own node.
	ReasonHostNetwork = "hostNetwork endpoint"
	// ReasonNPAUnstable: asked again about this pair alone (RecheckNPA),
	// netpol-analyzer gave a different answer. netpol-analyzer v1.4.4 is
	// not deterministic when a destination's ingress rules mix a named port
	// with port ranges (see README.md for a two-pod reproduction).
	ReasonNPAUnstable = "netpol-analyzer answer varies between runs"
	// ReasonUnexplained: none of the above; to be investigated.
	ReasonUnexplained = "unexplained"
)

// Difference is one pair on which the tools disagree.
type Difference struct {
	Pair
	Kind             string
	Netreach, NPA    evaluator.PortSet
	Reason           string
	SrcHost, DstHost bool
	// NPAAnswers are the distinct answers netpol-analyzer gave when asked
	// again (ReasonNPAUnstable).
	NPAAnswers []string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s => %s: netreach %s, netpol-analyzer %s [%s]", d.Src, d.Dst, d.Netreach, d.NPA, d.Reason)
}

// Compare lists every pair on which the two answers differ, sorted.
func Compare(nr, npa *Answer, names *WorkloadNamer) []Difference {
	var out []Difference
	add := func(p Pair, kind string, a, b evaluator.PortSet) {
		d := Difference{Pair: p, Kind: kind, Netreach: a, NPA: b,
			SrcHost: names.hostNetwork[p.Src], DstHost: names.hostNetwork[p.Dst]}
		d.Reason = ReasonUnexplained
		if d.SrcHost || d.DstHost {
			d.Reason = ReasonHostNetwork
		}
		out = append(out, d)
	}
	for p, a := range nr.Edges {
		b, ok := npa.Edges[p]
		switch {
		case !ok:
			add(p, OnlyNetreach, a, evaluator.PortSet{})
		case !a.Equal(b):
			add(p, PortsDiffer, a, b)
		}
	}
	for p, b := range npa.Edges {
		if _, ok := nr.Edges[p]; !ok {
			add(p, OnlyNPA, evaluator.PortSet{}, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Src != out[j].Src {
			return out[i].Src < out[j].Src
		}
		return out[i].Dst < out[j].Dst
	})
	return out
}

// Result is the comparison on one case.
type Result struct {
	Case                       Case
	Pods, Namespaces, Policies int
	HostNetworkPods            int
	// Netreach and NPA are each tool's fastest run.
	Netreach, NPA *Answer
	// OnlyNetreachWL and OnlyNPAWL are the workloads one tool reports and
	// the other does not.
	OnlyNetreachWL, OnlyNPAWL []string
	Differences               []Difference
	NetreachRuns, NPARuns     int
	GenerateTime, WriteTime   time.Duration
	ManifestBytes             int64
	ManifestDir               string
	// NPAErr is set when netpol-analyzer failed (an error or a panic); the
	// answers are then not compared.
	NPAErr string
	// NetreachTimes and NPATimes are the totals of every run.
	NetreachTimes, NPATimes []time.Duration
	// SplitRules counts the egress rules SplitNamedPortEgress rewrote;
	// RewriteChanges are the pairs on which netreach's answer for the
	// original cluster differs from its answer for the rewritten one
	// (in these Differences "netreach" is the original, "netpol-analyzer"
	// the rewritten cluster).
	SplitRules     int
	RewriteChanges []Difference
}

// Unexplained differences are rechecked one pair at a time (RecheckNPA), for
// at most maxRechecks pairs of a case, each with up to recheckRuns runs.
const (
	maxRechecks = 20
	recheckRuns = 20
)

// RunOptions tune Run.
type RunOptions struct {
	// Dir receives the manifests: original/cluster.yaml as generated, and
	// compared/cluster.yaml, the one both tools read (see
	// SplitNamedPortEgress).
	Dir string
	// NetreachRuns and NPARuns are how many times each tool runs; the
	// fastest run is reported. Zero means 1.
	NetreachRuns, NPARuns int
	// Log, when set, receives progress lines.
	Log func(format string, args ...any)
}

// Run generates the case's cluster, writes it as YAML, runs both tools on it
// and compares their answers.
func Run(c Case, opts RunOptions) (*Result, error) {
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	r := &Result{Case: c, ManifestDir: opts.Dir, NetreachRuns: max(opts.NetreachRuns, 1), NPARuns: max(opts.NPARuns, 1)}
	start := time.Now()
	cl := gen.Generate(c.Shape, c.Seed)
	if c.Bare {
		for _, p := range cl.Pods {
			p.OwnerReferences = nil
		}
	}
	r.GenerateTime = time.Since(start)
	r.Pods, r.Namespaces, r.Policies = len(cl.Pods), len(cl.Namespaces), len(cl.Policies)
	for _, p := range cl.Pods {
		if p.Spec.HostNetwork {
			r.HostNetworkPods++
		}
	}
	names := NewWorkloadNamer(cl)
	cmp, split := SplitNamedPortEgress(cl)
	r.SplitRules = split

	// The tools compare on the rewritten cluster (see SplitNamedPortEgress);
	// the original is kept beside it for netreach's check of the rewrite.
	start = time.Now()
	origDir := filepath.Join(opts.Dir, "original")
	cmpDir := filepath.Join(opts.Dir, "compared")
	for _, d := range []string{origDir, cmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	file := filepath.Join(cmpDir, "cluster.yaml")
	if err := writeManifests(file, cmp); err != nil {
		return nil, err
	}
	r.WriteTime = time.Since(start)
	if st, err := os.Stat(file); err == nil {
		r.ManifestBytes = st.Size()
	}
	r.ManifestDir = cmpDir
	if err := writeManifests(filepath.Join(origDir, "cluster.yaml"), cl); err != nil {
		return nil, err
	}
	logf("%s: %d pods, %d namespaces, %d policies, %d hostNetwork pods, %d egress rules split, %.1f MB of YAML",
		c.Name, r.Pods, r.Namespaces, r.Policies, r.HostNetworkPods, split, float64(r.ManifestBytes)/1e6)

	for i := range r.NetreachRuns {
		a, err := RunNetreach(cmpDir)
		if err != nil {
			return nil, err
		}
		r.NetreachTimes = append(r.NetreachTimes, a.Total())
		logf("%s: netreach run %d: read %v, compile+matrix %v, %d pairs", c.Name, i+1, a.Read, a.Analyze, len(a.Edges))
		if r.Netreach == nil || a.Total() < r.Netreach.Total() {
			r.Netreach = a
		}
	}
	if split > 0 {
		orig, err := RunNetreach(origDir)
		if err != nil {
			return nil, err
		}
		r.RewriteChanges = Compare(orig, r.Netreach, names)
		logf("%s: netreach on the original cluster: %d pairs, %d differ from the rewritten one", c.Name, len(orig.Edges), len(r.RewriteChanges))
	}
	for i := range r.NPARuns {
		a, err := RunNetpolAnalyzer(cmpDir, names)
		if err != nil {
			// A peer that fails is a result, not a reason to stop.
			r.NPAErr = strings.Join(strings.Fields(err.Error()), " ")
			logf("%s: netpol-analyzer failed: %v", c.Name, err)
			return r, nil
		}
		r.NPATimes = append(r.NPATimes, a.Total())
		logf("%s: netpol-analyzer run %d: read %v, connlist %v, %d pairs", c.Name, i+1, a.Read, a.Analyze, len(a.Edges))
		if r.NPA == nil || a.Total() < r.NPA.Total() {
			r.NPA = a
		}
	}
	r.OnlyNetreachWL, r.OnlyNPAWL = setDiff(r.Netreach.Workloads, r.NPA.Workloads)
	r.Differences = Compare(r.Netreach, r.NPA, names)
	checked := 0
	for i := range r.Differences {
		d := &r.Differences[i]
		if d.Reason != ReasonUnexplained || checked >= maxRechecks {
			continue
		}
		checked++
		answers, err := RecheckNPA(cmpDir, r.NPA, d.Src, d.Dst, recheckRuns)
		if err != nil {
			logf("%s: recheck of %s => %s: %v", c.Name, d.Src, d.Dst, err)
			continue
		}
		d.NPAAnswers = answers
		// Unstable if the answers differ among themselves or from the
		// first one.
		if len(answers) > 1 || (len(answers) == 1 && answers[0] != d.NPA.String()) {
			d.Reason = ReasonNPAUnstable
		}
		logf("%s: netpol-analyzer asked again about %s => %s: %s", c.Name, d.Src, d.Dst, strings.Join(answers, " | "))
	}
	return r, nil
}

func writeManifests(file string, cl *gen.Cluster) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gen.Write(w, cl, gen.FormatYAML, gen.WriteOptions{Layout: gen.LayoutDocuments}); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setDiff returns the strings only in a and only in b (both sorted).
func setDiff(a, b []string) (onlyA, onlyB []string) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, s := range a {
		inA[s] = true
	}
	for _, s := range b {
		inB[s] = true
	}
	for _, s := range a {
		if !inB[s] {
			onlyA = append(onlyA, s)
		}
	}
	for _, s := range b {
		if !inA[s] {
			onlyB = append(onlyB, s)
		}
	}
	return onlyA, onlyB
}

func sortStrings(s []string) { sort.Strings(s) }

// CountBy groups the differences by kind and reason.
func (r *Result) CountBy() map[[2]string]int {
	m := map[[2]string]int{}
	for _, d := range r.Differences {
		m[[2]string{d.Kind, d.Reason}]++
	}
	return m
}

// Unexplained counts the differences no known reason accounts for, plus
// workloads only one tool sees, plus changes of netreach's own answer by the
// rewrite that no known reason accounts for.
func (r *Result) Unexplained() int {
	if r.NPAErr != "" {
		return 0
	}
	n := len(r.OnlyNetreachWL) + len(r.OnlyNPAWL)
	for _, ds := range [][]Difference{r.Differences, r.RewriteChanges} {
		for _, d := range ds {
			if d.Reason == ReasonUnexplained {
				n++
			}
		}
	}
	return n
}

// Agreement is the table's verdict: "exact", or the number of differing
// pairs with their kinds.
func (r *Result) Agreement() string {
	if r.NPAErr != "" {
		return "not compared: netpol-analyzer failed: " + r.NPAErr
	}
	if len(r.Differences) == 0 && len(r.OnlyNetreachWL) == 0 && len(r.OnlyNPAWL) == 0 {
		return "exact"
	}
	var parts []string
	counts := r.CountBy()
	keys := make([][2]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", counts[k], k[0], k[1]))
	}
	if n := len(r.OnlyNetreachWL) + len(r.OnlyNPAWL); n > 0 {
		parts = append(parts, fmt.Sprintf("%d workloads seen by one tool only", n))
	}
	return fmt.Sprintf("%d differences: %s", len(r.Differences), strings.Join(parts, "; "))
}

// Workloads is the number of workloads netreach reports.
func (r *Result) Workloads() int { return len(r.Netreach.Workloads) }
