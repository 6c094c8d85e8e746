package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/netreach/netreach/model"
)

// Severity ranks a finding. Higher is worse; the zero value is no severity.
type Severity int

// The severities, lowest first.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// Severities lists every severity, worst first (the order of reports).
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// String is the severity's name as flags and documents spell it.
func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	case SeverityCritical:
		return "critical"
	}
	return "none"
}

// ParseSeverity parses a severity name; "none" is the zero Severity, which no
// finding reaches (for --fail-on none).
func ParseSeverity(s string) (Severity, error) {
	for _, v := range Severities {
		if strings.EqualFold(s, v.String()) {
			return v, nil
		}
	}
	if strings.EqualFold(s, "none") {
		return 0, nil
	}
	return 0, fmt.Errorf("invalid severity %q: use critical, high, medium, low or none", s)
}

// Rule describes one kind of finding: its stable id and the advice that goes
// with it. docs/findings.md explains each rule at length.
type Rule struct {
	// ID is stable across releases ("NR001"); baselines match on it.
	ID string
	// Name is a short kebab-case name ("namespace-without-policy").
	Name string
	// Title is one line for headings.
	Title string
	// Severity is the rule's severity; every finding of the rule has it.
	Severity Severity
	// Description says what the rule detects and why it matters.
	Description string
	// Remediation says how to close a finding.
	Remediation string
	// References are the benchmarks and guides the rule relates to.
	References []string
}

// The rule ids.
const (
	RuleNoPolicy            = "NR001"
	RuleNoDefaultDenyIn     = "NR002"
	RuleNoDefaultDenyEg     = "NR003"
	RuleOpenIngress         = "NR004"
	RuleOpenEgress          = "NR005"
	RuleHostNetwork         = "NR006"
	RuleCloudMetadata       = "NR007"
	RuleControlPlane        = "NR008"
	RulePeering             = "NR009"
	RuleTransit             = "NR010"
	RuleInternetEgress      = "NR011"
	RuleInternetIngress     = "NR012"
	RuleNotEnforced         = "NR013"
	RuleEmptyPolicy         = "NR014"
	RuleEmptyPeer           = "NR015"
	RuleNoDNS               = "NR016"
	RuleLargeBlastRadius    = "NR017"
	refCIS                  = "CIS Kubernetes Benchmark 5.3.2 (all namespaces have NetworkPolicies defined)"
	refOWASP                = "OWASP Kubernetes Top 10 (2025) K05: missing network segmentation controls"
	refK8sDocs              = "Kubernetes documentation: Network Policies, default policies"
	refMITREMetadata        = "MITRE ATT&CK T1552.005: unsecured credentials, cloud instance metadata API"
	refMITRELateralMovement = "MITRE ATT&CK TA0008: lateral movement"
)

// Rules are every audit rule, in id order.
var Rules = []Rule{
	{RuleNoPolicy, "namespace-without-policy", "Namespace without any NetworkPolicy", SeverityHigh,
		"No NetworkPolicy exists in a namespace that runs pods, so every pod there accepts and opens connections to anything.",
		"Add a default-deny policy for ingress and egress to the namespace (podSelector: {}, both policyTypes, no rules), then allow the flows the workloads need; `netreach audit --fix-dir DIR` writes a starting point.",
		[]string{refCIS, refOWASP, refK8sDocs}},
	{RuleNoDefaultDenyIn, "namespace-without-default-deny-ingress", "Namespace without a default deny for ingress", SeverityMedium,
		"The namespace has policies, but no policy with podSelector: {} restricts ingress for every pod: either none selects every pod for ingress, so a pod that no other policy selects accepts every connection, or the ones that do admit every source on every port.",
		"Add a policy with podSelector: {}, policyTypes: [Ingress] and no ingress rules; keep the specific allow policies.",
		[]string{refCIS, refOWASP, refK8sDocs}},
	{RuleNoDefaultDenyEg, "namespace-without-default-deny-egress", "Namespace without a default deny for egress", SeverityMedium,
		"The namespace has policies, but no policy with podSelector: {} restricts egress for every pod: either none selects every pod for egress, so a pod that no egress policy selects may connect anywhere, or the ones that do allow every destination on every port.",
		"Add a policy with podSelector: {}, policyTypes: [Egress] and no egress rules, plus an egress allowance for DNS to the cluster DNS pods (UDP and TCP 53).",
		[]string{refOWASP, refK8sDocs}},
	{RuleOpenIngress, "workload-not-isolated-ingress", "Workload not isolated for ingress", SeverityHigh,
		"The workload's pods are unrestricted for ingress: no policy selects them for ingress, or the policies that do admit every source on every port, so every pod allowed to send (and every outside address) may connect to them on any port: unrestricted pod communication and a path for lateral movement.",
		"Select the workload with an ingress policy (a namespace default deny does it for every pod), remove or narrow rules that admit everything, and allow only its real clients and ports.",
		[]string{refOWASP, refCIS, refMITRELateralMovement}},
	{RuleOpenEgress, "workload-not-isolated-egress", "Workload not isolated for egress", SeverityMedium,
		"The workload's pods are unrestricted for egress: no policy selects them for egress, or the policies that do allow every destination on every port, so a compromised pod may connect to every pod that admits it and to any address outside the cluster.",
		"Select the workload with an egress policy (a namespace default deny does it), remove or narrow rules that allow everything, and allow DNS plus the destinations it needs.",
		[]string{refOWASP, refMITRELateralMovement}},
	{RuleHostNetwork, "host-network-pod", "Host-network pods are outside NetworkPolicy", SeverityMedium,
		"Pods with hostNetwork: true use their node's address: no NetworkPolicy selects or isolates them, and traffic from a pod's own node is always admitted, so they reach every pod on their node.",
		"Run only trusted node agents with hostNetwork; protect them with host firewalling or CNI host policies (NetworkPolicy cannot), and do not count on the policies that select their labels.",
		[]string{refOWASP, "Kubernetes documentation: Network Policies, behaviour with hostNetwork pods"}},
	{RuleCloudMetadata, "reaches-cloud-metadata", "Pods can reach the cloud metadata service", SeverityHigh,
		"The workload may open connections to the instance metadata address (169.254.169.254 or fd00:ec2::254), where node credentials and instance data are served.",
		"Isolate the workload for egress and do not allow 169.254.169.254/32 (use ipBlock except when allowing 0.0.0.0/0); also require IMDSv2 with a hop limit of 1 on the nodes.",
		[]string{refMITREMetadata, refOWASP}},
	{RuleControlPlane, "reaches-control-plane", "Pods can reach the control plane or kube-system beyond DNS", SeverityMedium,
		"The workload may open connections to the API server endpoints, or to kube-system pods on ports other than DNS.",
		"Allow the API server only to workloads that call it, and kube-system only for DNS (UDP and TCP 53 to the DNS pods).",
		[]string{refOWASP, refMITRELateralMovement}},
	{RulePeering, "egress-to-peering", "Cross-peering connectivity allowed by pod", SeverityMedium,
		"The workload may open connections into a peered network (type peering in the catalogue), so the peering extends the pod's reach beyond the cluster.",
		"Isolate the workload for egress and allow only the peered ranges and ports it needs, with ipBlock rules.",
		[]string{refOWASP}},
	{RuleTransit, "egress-to-transit", "Cross-transit connectivity allowed by pod", SeverityMedium,
		"The workload may open connections into networks behind a transit gateway or cloud router (type transit in the catalogue).",
		"Isolate the workload for egress and allow only the transit ranges and ports it needs, with ipBlock rules.",
		[]string{refOWASP}},
	{RuleInternetEgress, "internet-egress", "Pods can open connections to the internet", SeverityMedium,
		"The workload may open connections to public addresses, the usual way data leaves and command-and-control comes in.",
		"Isolate the workload for egress; allow public destinations only through an egress gateway or proxy, or as narrow ipBlocks.",
		[]string{refOWASP}},
	{RuleInternetIngress, "internet-ingress", "Pods accept connections from the internet", SeverityMedium,
		"Public addresses may open connections to the workload (a rule without from, or an ipBlock covering public space). Expected for ingress controllers, a finding elsewhere.",
		"Admit public traffic only at the ingress controller or load balancer pods, and only on their serving ports.",
		[]string{refOWASP}},
	{RuleNotEnforced, "policy-not-enforced", "NetworkPolicy is not enforced", SeverityCritical,
		"The cluster's network plugin does not enforce NetworkPolicy, so every policy is a document, not a control: every connection is allowed.",
		"Run a network plugin or policy agent that enforces NetworkPolicy (Calico, Cilium, Antrea, the cloud provider's policy agent, ...).",
		[]string{"CIS Kubernetes Benchmark 5.3.1 (the CNI in use supports NetworkPolicies)", refOWASP, refCIS}},
	{RuleEmptyPolicy, "policy-selects-no-pod", "Policy selects no pod", SeverityLow,
		"The policy's podSelector matches no pod of its namespace (or only host-network pods, which policies never select): it protects nothing, often because of a typo in a label.",
		"Fix the selector to match the intended pods' labels, or delete the policy.",
		[]string{refK8sDocs}},
	{RuleEmptyPeer, "rule-peer-selects-nothing", "Rule peer selects no pod", SeverityLow,
		"A from/to entry of a rule matches no pod in the snapshot, so the rule admits nothing through it; usually a label or namespace typo that breaks an intended flow.",
		"Fix the peer's podSelector or namespaceSelector (namespaces carry kubernetes.io/metadata.name), or remove the entry.",
		[]string{refK8sDocs}},
	{RuleNoDNS, "egress-isolated-without-dns", "Egress-isolated pods cannot reach cluster DNS", SeverityMedium,
		"The workload is isolated for egress and no rule lets it reach the cluster DNS pods on UDP 53, so name resolution fails.",
		"Add an egress rule to the DNS pods (namespaceSelector kubernetes.io/metadata.name: kube-system, podSelector k8s-app: kube-dns) on UDP and TCP 53.",
		[]string{refK8sDocs}},
	{RuleLargeBlastRadius, "large-blast-radius", "Large blast radius", SeverityHigh,
		"From one pod of the workload, more than the --max-reach share of the cluster's pods is reachable transitively, hop by hop.",
		"Cut the paths: default deny in every namespace, allow only needed flows, and isolate the workloads through which the walk spreads (see netreach blast-radius).",
		[]string{refOWASP, refMITRELateralMovement}},
}

// RuleByID returns the rule with an id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Resource is an object a finding is about.
type Resource struct {
	// Kind is Namespace, NetworkPolicy, Cluster, Pod or a workload kind.
	Kind      string
	Namespace string
	Name      string
	// ID is the resource's id: an endpoint id for workloads (ns/Kind/name) and
	// pods, namespace/name for policies, the name for namespaces.
	ID string
	// Source is where the object was read (empty when it was synthesized).
	Source model.Source
}

// Finding is one posture problem with its evidence.
type Finding struct {
	// RuleID is the rule's stable id.
	RuleID   string
	Severity Severity
	// Key identifies the finding within its rule, stably across runs: with the
	// rule id it is what a baseline matches ("namespace:legacy",
	// "workload:shop/Deployment/cart", "policy:logging/fluentbit-egress",
	// "peer:data/x#ingress[0].from[1]", "cluster").
	Key string
	// Resources are the objects concerned, the main one first.
	Resources []Resource
	// Message says what is wrong, in one sentence.
	Message string
	// Evidence lists the facts behind it: policies (or their absence), counts
	// and example connections.
	Evidence []string
}

// Rule returns the finding's rule.
func (f *Finding) Rule() Rule {
	r, _ := RuleByID(f.RuleID)
	return r
}

// AuditOptions shape an audit.
type AuditOptions struct {
	// MaxReach is the share of the cluster's pods (0 to 1) above which a
	// workload's transitive reach is a finding; 0.5 when zero.
	MaxReach float64
}

// Audit is the result of an audit: the findings, sorted by severity (worst
// first), rule id and key.
type Audit struct {
	Findings []Finding
	// Pods and Namespaces count what was audited (active pods only).
	Pods, Namespaces int
	// Enforced and EnforcementReason repeat the graph's enforcement decision.
	Enforced          bool
	EnforcementReason string
	// MaxReach is the threshold used for the blast-radius rule.
	MaxReach float64
	// ReadNamespaces, when not empty, says the audit is partial: only these
	// namespaces were read (model.Snapshot.ReadNamespaces).
	ReadNamespaces []string
}

// Audit computes the posture findings of the compiled snapshot. Every finding
// is derived from the graph's reachability, never from the mere presence or
// absence of policies; catalog is the network catalogue (for the metadata,
// control-plane, peering, transit and internet rules).
func (g *Graph) Audit(catalog []*model.Network, opts AuditOptions) *Audit {
	if opts.MaxReach <= 0 {
		opts.MaxReach = 0.5
	}
	a := newAuditor(g, catalog)
	out := &Audit{Enforced: g.enforced, EnforcementReason: g.EnforcementReason, MaxReach: opts.MaxReach,
		Pods: a.activePods, Namespaces: len(g.snap.Namespaces), ReadNamespaces: slices.Clone(g.snap.ReadNamespaces)}
	a.enforcement()
	a.namespaces()
	a.isolation()
	a.hostNetwork()
	a.networks()
	a.controlPlane()
	a.emptyPolicies()
	a.emptyPeers()
	a.dnsReach()
	a.blastRadius(opts.MaxReach)
	out.Findings = a.findings
	SortFindings(out.Findings)
	return out
}

// SortFindings orders findings worst first, then by rule id and key.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Severity != fs[j].Severity {
			return fs[i].Severity > fs[j].Severity
		}
		if fs[i].RuleID != fs[j].RuleID {
			return fs[i].RuleID < fs[j].RuleID
		}
		return fs[i].Key < fs[j].Key
	})
}

// Count returns how many findings have at least the given severity (0 counts
// none: --fail-on none never fails).
func Count(fs []Finding, atLeast Severity) int {
	if atLeast == 0 {
		return 0
	}
	n := 0
	for _, f := range fs {
		if f.Severity >= atLeast {
			n++
		}
	}
	return n
}
