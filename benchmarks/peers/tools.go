package peers

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/np-guard/netpol-analyzer/pkg/manifests/fsscanner"
	"github.com/np-guard/netpol-analyzer/pkg/netpol/connlist"

	"github.com/netreach/netreach/engine"
	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
)

// Pair is a directed workload pair in netreach's id form, "ns/Kind/name".
type Pair struct{ Src, Dst string }

// Answer is what one tool says about a cluster, normalised to workload ids
// and netreach port sets, with the time the tool took.
type Answer struct {
	// Read is the time spent reading the manifests from disk and decoding
	// them; Analyze the time from decoded objects to the complete list of
	// connections (for netreach: compile plus the workload matrix).
	Read, Analyze time.Duration
	// Workloads are the workload ids the tool reports (sorted).
	Workloads []string
	// Edges are the allowed workload-to-workload connections; connections
	// to or from IP ranges are not included (see External).
	Edges map[Pair]evaluator.PortSet
	// External counts the connections the tool reported to or from address
	// ranges, which the comparison leaves out on both sides.
	External int
	// Problems are the tool's own warnings and errors, and normalisation
	// failures (a connection string that did not parse).
	Problems []string

	// npaNames maps a workload id to netpol-analyzer's "ns/name" (the form
	// its focus options take).
	npaNames map[string]string
}

// Total is Read plus Analyze.
func (a *Answer) Total() time.Duration { return a.Read + a.Analyze }

// NetreachOptions are the semantics used on the netreach side: ipBlocks never
// match pod addresses (netpol-analyzer never matches a pod with an ipBlock),
// and policies are enforced (netpol-analyzer assumes they are).
var NetreachOptions = evaluator.Options{
	IPBlockPods: evaluator.IPBlockPodsIgnore,
	Enforcement: evaluator.EnforcementEnforced,
}

// RunNetreach loads every manifest under dir, compiles it and lists the
// workload-level matrix, as `netreach matrix --level workload
// --ipblock-pods=ignore --enforcement=enforced -f dir` does.
func RunNetreach(dir string) (*Answer, error) {
	runtime.GC()
	start := time.Now()
	snap, err := model.Load([]string{dir}, model.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("netreach load: %w", err)
	}
	read := time.Since(start)

	start = time.Now()
	g, err := engine.Compile(snap, NetreachOptions)
	if err != nil {
		return nil, fmt.Errorf("netreach compile: %w", err)
	}
	m := g.Matrix(engine.LevelWorkload, nil)
	a := &Answer{Edges: map[Pair]evaluator.PortSet{}}
	err = m.Edges(func(e engine.Edge) error {
		if isAddress(e.Src) || isAddress(e.Dst) {
			a.External++
			return nil
		}
		p := Pair{e.Src, e.Dst}
		if old, ok := a.Edges[p]; ok {
			e.Ports = old.Union(e.Ports)
		}
		a.Edges[p] = e.Ports
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netreach matrix: %w", err)
	}
	a.Read, a.Analyze = read, time.Since(start)

	for _, n := range m.Nodes {
		if n.Kind != "Network" {
			a.Workloads = append(a.Workloads, n.ID)
		}
	}
	for _, w := range snap.Warnings {
		a.Problems = append(a.Problems, "warning: "+w)
	}
	sortStrings(a.Workloads)
	return a, nil
}

// isAddress reports whether a netreach node id names an address range or a
// catalogue network rather than a workload.
func isAddress(id string) bool {
	return strings.HasPrefix(id, "net:") || strings.HasPrefix(id, "ip:")
}

// NPAConnection is one raw answer of netpol-analyzer, kept for reports.
type NPAConnection struct {
	Src, Dst, Conn string
}

// RunNetpolAnalyzer runs netpol-analyzer's connectivity list in-process on the
// manifests under dir: its file scanner reads them, then its connlist
// analyzer computes the allowed connections. ids maps each netpol-analyzer
// workload to netreach's workload id (see WorkloadNamer).
func RunNetpolAnalyzer(dir string, ids *WorkloadNamer) (a *Answer, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, fmt.Errorf("netpol-analyzer panicked: %v", p)
		}
	}()
	runtime.GC()
	start := time.Now()
	infos, errs := fsscanner.GetResourceInfosFromDirPath([]string{dir}, true, false)
	read := time.Since(start)
	if len(infos) == 0 {
		return nil, fmt.Errorf("netpol-analyzer read nothing from %s: %w", dir, errors.Join(errs...))
	}
	a = &Answer{Edges: map[Pair]evaluator.PortSet{}, Read: read, npaNames: map[string]string{}}
	for _, e := range errs {
		a.Problems = append(a.Problems, "read: "+e.Error())
	}

	log := &collectLogger{}
	ca := connlist.NewConnlistAnalyzer(connlist.WithMuteErrsAndWarns(), connlist.WithLogger(log))
	start = time.Now()
	conns, peers, err := ca.ConnlistFromResourceInfos(infos)
	a.Analyze = time.Since(start)
	for _, e := range ca.Errors() {
		level := "warning"
		switch {
		case e.IsFatal():
			level = "fatal"
		case e.IsSevere():
			level = "error"
		}
		msg := fmt.Sprint(e.Error())
		if loc := e.Location(); loc != "" {
			msg += " (" + loc + ")"
		}
		a.Problems = append(a.Problems, level+": "+msg)
	}
	a.Problems = append(a.Problems, log.msgs...)
	if err != nil {
		return nil, fmt.Errorf("netpol-analyzer connlist: %w", err)
	}

	// Normalisation happens after the clock stopped: it is this harness's
	// work, not the tool's.
	for _, p := range peers {
		if id, ok := ids.NPA(p); ok {
			a.Workloads = append(a.Workloads, id)
			a.npaNames[id] = p.Namespace() + "/" + p.Name()
		}
	}
	sortStrings(a.Workloads)
	for _, c := range conns {
		src, okSrc := ids.NPA(c.Src())
		dst, okDst := ids.NPA(c.Dst())
		if !okSrc || !okDst {
			a.External++
			continue
		}
		str := connlist.GetConnectionSetFromP2PConnection(c).String()
		ports, err := ParseConnString(str)
		if err != nil {
			a.Problems = append(a.Problems, fmt.Sprintf("unparsed connection %s => %s: %v", c.Src(), c.Dst(), err))
			continue
		}
		p := Pair{src, dst}
		if old, ok := a.Edges[p]; ok {
			// Two netpol-analyzer workloads mapped to one netreach workload
			// (see WorkloadNamer); record it, it would hide a difference.
			a.Problems = append(a.Problems, fmt.Sprintf("two connections map to %s => %s", src, dst))
			ports = old.Union(ports)
		}
		if !ports.Empty() {
			a.Edges[p] = ports
		}
	}
	return a, nil
}

// RecheckNPA asks netpol-analyzer up to runs times, each time afresh, for the
// connection from src to dst alone (netreach workload ids; npa is an earlier
// answer, which knows netpol-analyzer's names for them), and returns the
// distinct answers it gave, as netreach port-set strings. It stops as soon as
// it has seen two answers. netpol-analyzer v1.4.4 does not always give the
// same answer for the same input (see README.md); more than one answer here
// is that.
func RecheckNPA(dir string, npa *Answer, src, dst string, runs int) (answers []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("netpol-analyzer panicked: %v", p)
		}
	}()
	s, okS := npa.npaNames[src]
	d, okD := npa.npaNames[dst]
	if !okS || !okD {
		return nil, fmt.Errorf("netpol-analyzer does not know %s or %s", src, dst)
	}
	seen := map[string]bool{}
	for range runs {
		infos, errs := fsscanner.GetResourceInfosFromDirPath([]string{dir}, true, false)
		if len(infos) == 0 {
			return nil, errors.Join(errs...)
		}
		ca := connlist.NewConnlistAnalyzer(connlist.WithMuteErrsAndWarns(), connlist.WithLogger(&collectLogger{}),
			connlist.WithFocusWorkloadList([]string{s}), connlist.WithFocusWorkloadPeerList([]string{d}),
			connlist.WithFocusDirection("egress"))
		conns, _, err := ca.ConnlistFromResourceInfos(infos)
		if err != nil {
			return nil, err
		}
		got := evaluator.PortSet{}
		for _, c := range conns {
			if c.Src().IsPeerIPType() || c.Dst().IsPeerIPType() ||
				c.Src().Namespace()+"/"+c.Src().Name() != s || c.Dst().Namespace()+"/"+c.Dst().Name() != d {
				continue
			}
			ports, err := ParseConnString(connlist.GetConnectionSetFromP2PConnection(c).String())
			if err != nil {
				return nil, err
			}
			got = got.Union(ports)
		}
		if str := got.String(); !seen[str] {
			seen[str] = true
			answers = append(answers, str)
		}
		if len(answers) > 1 {
			break
		}
	}
	return answers, nil
}
