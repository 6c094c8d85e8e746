package gen

import "math"

// Profile names the way a shape writes its NetworkPolicies. Each profile
// stresses a different part of a reachability analyzer.
type Profile string

const (
	// ProfileMixed writes everyday policies: a default deny per namespace,
	// allowances between applications, team-wide namespace peers, DNS and
	// monitoring allowances, and the odd ipBlock.
	ProfileMixed Profile = "mixed"
	// ProfileSmallNamespaces writes tiny policies (one rule with one peer)
	// for clusters made of many small namespaces.
	ProfileSmallNamespaces Profile = "small-namespaces"
	// ProfileClusterPeers writes rules whose peers are namespaceSelectors
	// matching a whole team, that is NamespacesPerTeam namespaces.
	ProfileClusterPeers Profile = "cluster-peers"
	// ProfileFull uses every NetworkPolicy feature: numeric, named and
	// ranged ports, UDP and SCTP, ipBlocks with exceptions in both address
	// families, all label selector operators, namespace-and-pod peers and
	// both policy types.
	ProfileFull Profile = "full"
	// ProfileSelectAll makes every policy select every pod of its namespace
	// (an empty podSelector).
	ProfileSelectAll Profile = "select-all"
	// ProfilePerPod writes one policy per pod, selecting that pod alone
	// through its unique pod-id label.
	ProfilePerPod Profile = "per-pod"
	// ProfileWide writes peers that match every pod of every namespace
	// (an empty namespaceSelector together with an empty podSelector).
	ProfileWide Profile = "wide"
	// ProfilePortHeavy gives every policy its own block of ports, numeric
	// ports and ranges disjoint from every other policy's, plus named ports.
	ProfilePortHeavy Profile = "port-heavy"
	// ProfileIPBlockHeavy writes rules of ten ipBlock peers, each with
	// exceptions.
	ProfileIPBlockHeavy Profile = "ipblock-heavy"
)

// Shape describes one benchmark cluster: how many objects of each kind it
// holds and how its policies and pods are written. The zero value of every
// knob picks a sensible default.
type Shape struct {
	// Name is the shape's short name, such as "T5" or "A2".
	Name string
	// Pods, Namespaces and Policies are the exact numbers of pods,
	// namespaces and NetworkPolicies Generate produces.
	Pods, Namespaces, Policies int
	// Notes is a one-line description for listings.
	Notes string
	// Profile decides how policies are written; empty means ProfileMixed.
	Profile Profile
	// PodsPerWorkload is the mean number of replicas of a deployment;
	// zero means 4.
	PodsPerWorkload int
	// NamespacesPerTeam is how many namespaces share one value of the
	// namespace label "team", and so how many namespaces a team peer
	// matches; zero means 5.
	NamespacesPerTeam int
	// HostNetworkFraction is the share of deployments (and so, roughly, of
	// pods) that run with hostNetwork and take their node's IP.
	HostNetworkFraction float64
	// HighCardinalityLabels adds labels that differ on every pod
	// (statefulset.kubernetes.io/pod-name and a timestamp) and that no
	// selector reads.
	HighCardinalityLabels bool
	// UniquePodLabel gives every pod a label "pod-id" whose value no other
	// pod has.
	UniquePodLabel bool
}

// UniquePodLabelKey is the key of the label that tells pods apart when
// Shape.UniquePodLabel is set.
const UniquePodLabelKey = "pod-id"

var shapeTable = []Shape{
	{Name: "T0", Pods: 100, Namespaces: 5, Policies: 20, Notes: "smoke"},
	{Name: "T1", Pods: 1_000, Namespaces: 20, Policies: 100},
	{Name: "T2", Pods: 10_000, Namespaces: 500, Policies: 2_000},
	{Name: "T4a", Pods: 100_000, Namespaces: 25_000, Policies: 75_000,
		Notes:   "many small namespaces: 4 pods and 3 policies each, 1 rule x 1 peer",
		Profile: ProfileSmallNamespaces, PodsPerWorkload: 2},
	{Name: "T4b", Pods: 100_000, Namespaces: 1_000, Policies: 10_000,
		Notes:   "cluster-scoped peers: namespaceSelectors matching ~10 namespaces",
		Profile: ProfileClusterPeers, NamespacesPerTeam: 10},
	{Name: "T4c", Pods: 100_000, Namespaces: 100, Policies: 10_100, Notes: "big namespaces"},
	{Name: "T5c", Pods: 150_000, Namespaces: 150, Policies: 15_150,
		Notes: "big namespaces at T5's size: T4c's profile, pods share classes"},
	{Name: "T5", Pods: 150_000, Namespaces: 10_000, Policies: 100_000,
		Notes:   "full semantics: ranges, named ports, SCTP/UDP, ipBlocks v4/v6, expressions, ~1% hostNetwork",
		Profile: ProfileFull, HostNetworkFraction: 0.01},
	{Name: "T6", Pods: 1_000_000, Namespaces: 100_000, Policies: 500_000, Notes: "mega"},
	{Name: "A1", Pods: 10_000, Namespaces: 1, Policies: 10_000,
		Notes: "one namespace, every policy selects every pod", Profile: ProfileSelectAll},
	{Name: "A2", Pods: 10_000, Namespaces: 1, Policies: 10_000,
		Notes: "one policy per pod, selected by a unique label", Profile: ProfilePerPod, UniquePodLabel: true},
	{Name: "A3", Pods: 10_000, Namespaces: 100, Policies: 2_000,
		Notes: "high-cardinality pod labels that no selector reads", HighCardinalityLabels: true},
	{Name: "A4", Pods: 10_000, Namespaces: 100, Policies: 250,
		Notes: "wide peers: namespaceSelector {} with podSelector {}", Profile: ProfileWide},
	{Name: "A5", Pods: 10_000, Namespaces: 100, Policies: 250,
		Notes: "port-heavy: disjoint port sets, ranges, named ports", Profile: ProfilePortHeavy},
	{Name: "A6", Pods: 10_000, Namespaces: 100, Policies: 1_000,
		Notes: "ipBlock-heavy: 10 CIDRs per rule, each with except", Profile: ProfileIPBlockHeavy},
}

// Shapes returns every predefined shape, smallest test tiers first and the
// adversarial A shapes last. The slice is a fresh copy.
func Shapes() []Shape {
	return append([]Shape(nil), shapeTable...)
}

// ShapeByName returns the predefined shape with the given name (exact,
// case-sensitive match) and whether there is one.
func ShapeByName(name string) (Shape, bool) {
	for _, s := range shapeTable {
		if s.Name == name {
			return s, true
		}
	}
	return Shape{}, false
}

// Scaled returns s with its pod, namespace and policy counts multiplied by
// factor and rounded, each at least 1. The knobs and the name stay, so a
// scaled shape keeps its character at a size that suits quick tests.
func Scaled(s Shape, factor float64) Shape {
	scale := func(n int) int {
		v := math.Round(float64(n) * factor)
		if !(v >= 1) { // also catches NaN
			return 1
		}
		if v > math.MaxInt32 {
			return math.MaxInt32
		}
		return int(v)
	}
	s.Pods = scale(s.Pods)
	s.Namespaces = scale(s.Namespaces)
	s.Policies = scale(s.Policies)
	return s
}

func (s Shape) profile() Profile {
	if s.Profile == "" {
		return ProfileMixed
	}
	return s.Profile
}

func (s Shape) podsPerWorkload() int {
	if s.PodsPerWorkload <= 0 {
		return 4
	}
	return s.PodsPerWorkload
}

func (s Shape) namespacesPerTeam() int {
	if s.NamespacesPerTeam <= 0 {
		return 5
	}
	return s.NamespacesPerTeam
}
