package gen

import (
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func mustShape(t testing.TB, name string) Shape {
	t.Helper()
	s, ok := ShapeByName(name)
	if !ok {
		t.Fatalf("no shape %q", name)
	}
	return s
}

// countShapes are the shapes whose counts and determinism are checked at
// their real size (T5 scaled down).
func countShapes(t testing.TB) []Shape {
	return []Shape{
		mustShape(t, "T0"),
		mustShape(t, "T1"),
		mustShape(t, "A1"),
		mustShape(t, "A2"),
		Scaled(mustShape(t, "T5"), 0.01),
	}
}

func TestGenerateCounts(t *testing.T) {
	for _, s := range countShapes(t) {
		t.Run(s.Name, func(t *testing.T) {
			c := Generate(s, 1)
			type counts struct{ Namespaces, Nodes, Pods, Policies int }
			want := counts{s.Namespaces, max(1, s.Pods/110), s.Pods, s.Policies}
			got := counts{len(c.Namespaces), len(c.Nodes), len(c.Pods), len(c.Policies)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, s := range countShapes(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			if raceEnabled && s.Pods > 2000 {
				t.Skip("too slow under the race detector")
			}
			a, b := Generate(s, 42), Generate(s, 42)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("two runs with seed 42 differ (-first +second):\n%s", diff)
			}
			// A different seed gives a different cluster. (Only the start is
			// compared: go-cmp is slow at diffing long unequal slices.)
			other := Generate(s, 43)
			n := min(20, len(a.Pods))
			if cmp.Equal(a.Pods[:n], other.Pods[:n]) {
				t.Error("seeds 42 and 43 gave the same pods")
			}
		})
	}
}

func TestGenerateEdgeShapes(t *testing.T) {
	tests := []Shape{
		{Name: "empty"},
		{Name: "no-pods", Namespaces: 3, Policies: 7},
		{Name: "more-namespaces-than-pods", Pods: 3, Namespaces: 10, Policies: 10},
		{Name: "no-policies", Pods: 50, Namespaces: 2},
	}
	for _, p := range []Profile{ProfileMixed, ProfileFull, ProfileSmallNamespaces, ProfileClusterPeers, ProfileSelectAll, ProfilePerPod, ProfileWide, ProfilePortHeavy, ProfileIPBlockHeavy} {
		for _, s := range tests {
			s.Profile = p
			s.HostNetworkFraction = 0.5
			t.Run(string(p)+"/"+s.Name, func(t *testing.T) {
				c := Generate(s, 1)
				if len(c.Pods) != s.Pods || len(c.Namespaces) != s.Namespaces || len(c.Policies) != s.Policies {
					t.Fatalf("got %d pods, %d namespaces, %d policies", len(c.Pods), len(c.Namespaces), len(c.Policies))
				}
				for _, e := range validateCluster(c) {
					t.Error(e)
				}
			})
		}
	}
}

func TestGeneratePanicsOnBadShapes(t *testing.T) {
	for _, s := range []Shape{
		{Name: "negative", Pods: -1, Namespaces: 1},
		{Name: "pods without namespaces", Pods: 5},
		{Name: "too many nodes", Pods: 110 * (1<<16 + 1), Namespaces: 1},
	} {
		t.Run(s.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Generate did not panic")
				}
			}()
			Generate(s, 1)
		})
	}
}

// TestPoliciesAreRealistic checks that most pods are selected by some
// policy and most selector peers admit some pod, while a few admit none.
func TestPoliciesAreRealistic(t *testing.T) {
	for _, s := range Shapes() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			// Big enough for shares to mean something, small enough to be
			// quick: about 2,000 pods, never under the small scale.
			c := Generate(Scaled(s, min(1, max(smallFactor, 2000/float64(s.Pods)))), 1)
			ix := newIndex(c)
			selected := map[*corev1.Pod]bool{}
			var peers, empty int
			for _, p := range c.Policies {
				for _, pod := range ix.selected(t, p) {
					selected[pod] = true
				}
				forEachPeer(p, func(peer networkingv1.NetworkPolicyPeer) {
					if peer.IPBlock != nil {
						return
					}
					peers++
					if ix.peerPods(t, p.Namespace, peer, 1) == 0 {
						empty++
					}
				})
			}
			if frac := float64(len(selected)) / float64(len(c.Pods)); frac < 0.7 {
				t.Errorf("only %.0f%% of pods are selected by a policy", 100*frac)
			}
			if peers == 0 {
				if s.Profile != ProfileIPBlockHeavy {
					t.Error("no selector peers at all")
				}
				return
			}
			frac := float64(empty) / float64(peers)
			t.Logf("%d pods, %d selected; %d selector peers, %d select nothing", len(c.Pods), len(selected), peers, empty)
			if frac > 0.15 {
				t.Errorf("%.0f%% of selector peers select nothing", 100*frac)
			}
			if len(c.Policies) >= 200 && empty == 0 && s.Profile != ProfileWide {
				t.Error("no peer selects nothing; a few should")
			}
		})
	}
}

func TestFullSemantics(t *testing.T) {
	c := Generate(Scaled(mustShape(t, "T5"), 0.02), 5)
	ix := newIndex(c)
	seen := map[string]int{}
	note := func(feature string) { seen[feature]++ }
	// A named port is interesting when the pods a policy selects resolve
	// it to more than one number.
	resolves := func(pods []*corev1.Pod, name string) map[int32]bool {
		nums := map[int32]bool{}
		for _, pod := range pods {
			for _, ctr := range pod.Spec.Containers {
				for _, cp := range ctr.Ports {
					if cp.Name == name {
						nums[cp.ContainerPort] = true
					}
				}
			}
		}
		return nums
	}
	for _, p := range c.Policies {
		switch {
		case p.Spec.PolicyTypes == nil:
			note("policyTypes omitted")
		case slices.Equal(p.Spec.PolicyTypes, []networkingv1.PolicyType{"Ingress"}):
			note("Ingress only")
		case slices.Equal(p.Spec.PolicyTypes, []networkingv1.PolicyType{"Egress"}):
			note("Egress only")
		case len(p.Spec.PolicyTypes) == 2:
			note("Ingress and Egress")
		}
		forEachSelector(p, func(s *metav1.LabelSelector) {
			for _, r := range s.MatchExpressions {
				note("operator " + string(r.Operator))
			}
		})
		forEachPort(p, func(np networkingv1.NetworkPolicyPort) {
			note("protocol " + string(*np.Protocol))
			switch {
			case np.Port == nil:
			case np.EndPort != nil:
				note("endPort")
			case np.Port.Type == intstr.String:
				note("named port")
			default:
				note("numeric port")
			}
		})
		targets := ix.selected(t, p)
		for _, r := range p.Spec.Ingress {
			for _, np := range r.Ports {
				if np.Port != nil && np.Port.Type == intstr.String && len(resolves(targets, np.Port.StrVal)) > 1 {
					note("named port with several numbers")
				}
			}
		}
		forEachPeer(p, func(peer networkingv1.NetworkPolicyPeer) {
			switch {
			case peer.IPBlock != nil:
				b := peer.IPBlock
				pfx := netip.MustParsePrefix(b.CIDR)
				switch {
				case pfx.Addr().Is6():
					note("ipBlock IPv6")
				case netip.MustParsePrefix("10.0.0.0/8").Overlaps(pfx) && pfx.Bits() >= 8:
					note("ipBlock over pod IPs")
				default:
					note("ipBlock external IPv4")
				}
				if len(b.Except) > 0 {
					note("ipBlock except")
				}
			case peer.NamespaceSelector != nil && peer.PodSelector != nil:
				note("namespace AND pod peer")
			}
			if peer.NamespaceSelector != nil {
				if _, ok := peer.NamespaceSelector.MatchLabels[labelTeam]; ok {
					note("team peer")
				}
				switch peer.NamespaceSelector.MatchLabels[labelMetaName] {
				case nsKubeSystem:
					note("DNS peer")
				case nsMonitoring:
					note("monitoring peer")
				}
			}
		})
	}
	hostNet := 0
	for _, pod := range c.Pods {
		if pod.Spec.HostNetwork {
			hostNet++
		}
	}
	want := []string{
		"policyTypes omitted", "Ingress only", "Egress only", "Ingress and Egress",
		"operator In", "operator NotIn", "operator Exists", "operator DoesNotExist",
		"protocol TCP", "protocol UDP", "protocol SCTP",
		"endPort", "named port", "numeric port", "named port with several numbers",
		"ipBlock IPv6", "ipBlock over pod IPs", "ipBlock external IPv4", "ipBlock except",
		"namespace AND pod peer", "team peer", "DNS peer", "monitoring peer",
	}
	for _, f := range want {
		if seen[f] == 0 {
			t.Errorf("T5 uses no %s", f)
		}
	}
	if frac := float64(hostNet) / float64(len(c.Pods)); hostNet == 0 || frac > 0.05 {
		t.Errorf("%d of %d pods use hostNetwork, want about 1%%", hostNet, len(c.Pods))
	}
	t.Logf("features: %v; hostNetwork pods: %d of %d", seen, hostNet, len(c.Pods))
}

func TestSmallNamespacesShape(t *testing.T) {
	c := small(mustShape(t, "T4a"))
	pods, policies := map[string]int{}, map[string]int{}
	for _, p := range c.Pods {
		pods[p.Namespace]++
	}
	for _, p := range c.Policies {
		policies[p.Namespace]++
		rules, peers := len(p.Spec.Ingress)+len(p.Spec.Egress), 0
		forEachPeer(p, func(networkingv1.NetworkPolicyPeer) { peers++ })
		if rules != 1 || peers != 1 {
			t.Errorf("policy %s/%s has %d rules and %d peers, want 1 and 1", p.Namespace, p.Name, rules, peers)
		}
	}
	for _, ns := range c.Namespaces {
		if pods[ns.Name] != 4 || policies[ns.Name] != 3 {
			t.Errorf("namespace %s has %d pods and %d policies, want 4 and 3", ns.Name, pods[ns.Name], policies[ns.Name])
		}
	}
}

func TestClusterPeersShape(t *testing.T) {
	c := Generate(Scaled(mustShape(t, "T4b"), 0.1), 1)
	ix := newIndex(c)
	teamPeers := 0
	for _, p := range c.Policies {
		forEachPeer(p, func(peer networkingv1.NetworkPolicyPeer) {
			if peer.NamespaceSelector == nil {
				return
			}
			team, ok := peer.NamespaceSelector.MatchLabels[labelTeam]
			if !ok || strings.HasPrefix(team, "disbanded-") {
				return
			}
			teamPeers++
			n := 0
			for _, ns := range ix.c.Namespaces {
				if ns.Labels[labelTeam] == team {
					n++
				}
			}
			if n < 8 || n > 12 {
				t.Errorf("policy %s/%s: team %s has %d namespaces, want about 10", p.Namespace, p.Name, team, n)
			}
		})
	}
	if teamPeers < len(c.Policies) {
		t.Errorf("only %d team peers in %d policies", teamPeers, len(c.Policies))
	}
}

func TestSelectAllShape(t *testing.T) {
	c := small(mustShape(t, "A1"))
	for _, p := range c.Policies {
		if !isEmptySelector(&p.Spec.PodSelector) {
			t.Fatalf("policy %s has podSelector %v, want {}", p.Name, p.Spec.PodSelector)
		}
	}
}

func TestPerPodShape(t *testing.T) {
	c := small(mustShape(t, "A2"))
	ix := newIndex(c)
	owner := map[*corev1.Pod]string{}
	for _, p := range c.Policies {
		sel := ix.selected(t, p)
		if len(sel) != 1 {
			t.Fatalf("policy %s selects %d pods, want 1", p.Name, len(sel))
		}
		if prev, dup := owner[sel[0]]; dup {
			t.Fatalf("pod %s is selected by %s and %s", sel[0].Name, prev, p.Name)
		}
		owner[sel[0]] = p.Name
	}
	if len(owner) != len(c.Pods) {
		t.Errorf("%d of %d pods have their own policy", len(owner), len(c.Pods))
	}
}

func TestHighCardinalityShape(t *testing.T) {
	c := small(mustShape(t, "A3"))
	noisy := []string{labelPodName, labelDeployed, labelHash}
	values := map[string]map[string]bool{}
	for _, k := range noisy {
		values[k] = map[string]bool{}
	}
	for _, p := range c.Pods {
		for _, k := range noisy {
			v, ok := p.Labels[k]
			if !ok {
				t.Fatalf("pod %s has no %s label", p.Name, k)
			}
			values[k][v] = true
		}
	}
	for _, k := range []string{labelPodName, labelDeployed} {
		if len(values[k]) != len(c.Pods) {
			t.Errorf("label %s has %d values over %d pods, want one per pod", k, len(values[k]), len(c.Pods))
		}
	}
	for _, p := range c.Policies {
		forEachSelector(p, func(s *metav1.LabelSelector) {
			for _, k := range noisy {
				_, inLabels := s.MatchLabels[k]
				if inLabels || slices.ContainsFunc(s.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool { return r.Key == k }) {
					t.Errorf("policy %s/%s reads %s", p.Namespace, p.Name, k)
				}
			}
		})
	}
}

func TestWideShape(t *testing.T) {
	c := small(mustShape(t, "A4"))
	for _, p := range c.Policies {
		wide := 0
		forEachPeer(p, func(peer networkingv1.NetworkPolicyPeer) {
			if isEmptySelector(peer.NamespaceSelector) && isEmptySelector(peer.PodSelector) {
				wide++
			}
		})
		if wide == 0 {
			t.Errorf("policy %s/%s has no namespaceSelector {} + podSelector {} peer", p.Namespace, p.Name)
		}
	}
}

func TestPortHeavyShape(t *testing.T) {
	c := Generate(mustShape(t, "A5"), 1)
	type span struct {
		lo, hi int32
		owner  string
	}
	var spans []span
	ranges, named := 0, 0
	for _, p := range c.Policies {
		id := p.Namespace + "/" + p.Name
		forEachPort(p, func(np networkingv1.NetworkPolicyPort) {
			switch {
			case np.Port.Type == intstr.String:
				named++
			case np.EndPort != nil:
				ranges++
				spans = append(spans, span{np.Port.IntVal, *np.EndPort, id})
			default:
				spans = append(spans, span{np.Port.IntVal, np.Port.IntVal, id})
			}
		})
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo - b.lo) })
	for i := 1; i < len(spans); i++ {
		if a, b := spans[i-1], spans[i]; a.owner != b.owner && b.lo <= a.hi {
			t.Errorf("ports %d-%d of %s overlap %d-%d of %s", a.lo, a.hi, a.owner, b.lo, b.hi, b.owner)
		}
	}
	if ranges == 0 || named == 0 || len(spans) < 5*len(c.Policies) {
		t.Errorf("%d policies have %d numeric ports, %d ranges and %d named ports", len(c.Policies), len(spans), ranges, named)
	}
}

func TestIPBlockHeavyShape(t *testing.T) {
	c := small(mustShape(t, "A6"))
	for _, p := range c.Policies {
		check := func(peers []networkingv1.NetworkPolicyPeer) {
			if len(peers) != 10 {
				t.Errorf("policy %s/%s: rule has %d peers, want 10", p.Namespace, p.Name, len(peers))
			}
			for _, peer := range peers {
				if peer.IPBlock == nil || len(peer.IPBlock.Except) == 0 {
					t.Errorf("policy %s/%s: peer %+v is not an ipBlock with except", p.Namespace, p.Name, peer)
				}
			}
		}
		for _, r := range p.Spec.Ingress {
			check(r.From)
		}
		for _, r := range p.Spec.Egress {
			check(r.To)
		}
	}
}

// TestValidatorCatchesMistakes makes sure the validity test can fail.
func TestValidatorCatchesMistakes(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(c *Cluster)
		want    string
	}{
		{"bad namespace name", func(c *Cluster) { c.Namespaces[1].Name = "Bad_Name" }, "namespace Bad_Name"},
		{"bad label value", func(c *Cluster) { c.Pods[0].Labels["app"] = "-x-" }, "labels"},
		{"duplicate pod IP", func(c *Cluster) {
			c.Pods[1].Status.PodIP = c.Pods[0].Status.PodIP
			c.Pods[1].Status.PodIPs = c.Pods[0].Status.PodIPs
		}, "already used"},
		{"except outside cidr", func(c *Cluster) {
			c.Policies[0].Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"10.1.0.0/24"}}}}}}
			c.Policies[0].Spec.PolicyTypes = nil
		}, "strict subset"},
		{"except of the other family", func(c *Cluster) {
			c.Policies[0].Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"fd00::/64"}}}}}}
			c.Policies[0].Spec.PolicyTypes = nil
		}, "family"},
		{"ipBlock with selector", func(c *Cluster) {
			c.Policies[0].Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16"}, PodSelector: &metav1.LabelSelector{}}}}}
			c.Policies[0].Spec.PolicyTypes = nil
		}, "combined"},
		{"endPort below port", func(c *Cluster) {
			p := rangePort(corev1.ProtocolTCP, 80, 79)
			c.Policies[0].Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{p}}}
			c.Policies[0].Spec.PolicyTypes = nil
		}, "endPort"},
		{"In without values", func(c *Cluster) {
			c.Policies[0].Spec.PodSelector = *exprs(req("app", metav1.LabelSelectorOpIn))
		}, "podSelector"},
		{"Exists with values", func(c *Cluster) {
			c.Policies[0].Spec.PodSelector = *exprs(req("app", metav1.LabelSelectorOpExists, "x"))
		}, "podSelector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Generate(mustShape(t, "T0"), 1)
			tc.breakIt(c)
			errs := validateCluster(c)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("no error mentioning %q; got %q", tc.want, errs)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, name := range []string{"T1", "T2", "T5"} {
		s := mustShape(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Generate(s, 1)
			}
		})
	}
}

// TestObjectsShareNothingMutable changes every other pod and policy and
// checks that the rest did not change with them.
func TestObjectsShareNothingMutable(t *testing.T) {
	s := Scaled(mustShape(t, "T5"), 0.005)
	c, pristine := Generate(s, 1), Generate(s, 1)
	for i := 0; i < len(c.Pods); i += 2 {
		p := c.Pods[i]
		p.Labels["extra"] = "x"
		p.OwnerReferences[0].Name = "changed"
		*p.OwnerReferences[0].Controller = false
		for _, ctr := range p.Spec.Containers {
			ctr.Ports[0].ContainerPort = 1
		}
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "more"})
		p.Status.PodIPs[0].IP = "192.0.2.1"
		p.Status.HostIPs[0].IP = "192.0.2.2"
	}
	for i := 0; i < len(c.Policies); i += 2 {
		np := c.Policies[i]
		forEachSelector(np, func(s *metav1.LabelSelector) {
			if s.MatchLabels != nil {
				s.MatchLabels["extra"] = "x"
			}
			for j := range s.MatchExpressions {
				s.MatchExpressions[j].Values = append(s.MatchExpressions[j].Values, "x")
			}
		})
		forEachPort(np, func(port networkingv1.NetworkPolicyPort) {
			*port.Protocol = "changed"
			if port.EndPort != nil {
				*port.EndPort = 1
			}
			if port.Port != nil {
				port.Port.IntVal = 1
			}
		})
		forEachPeer(np, func(peer networkingv1.NetworkPolicyPeer) {
			if peer.IPBlock != nil && len(peer.IPBlock.Except) > 0 {
				peer.IPBlock.Except[0] = "changed"
			}
		})
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes[:0], "changed")
	}
	for i := 1; i < len(c.Pods); i += 2 {
		if diff := cmp.Diff(pristine.Pods[i], c.Pods[i]); diff != "" {
			t.Fatalf("pod %d changed with its neighbours (-want +got):\n%s", i, diff)
		}
	}
	for i := 1; i < len(c.Policies); i += 2 {
		if diff := cmp.Diff(pristine.Policies[i], c.Policies[i]); diff != "" {
			t.Fatalf("policy %d changed with its neighbours (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(pristine.Nodes, c.Nodes); diff != "" {
		t.Errorf("nodes changed (-want +got):\n%s", diff)
	}
}

func TestRelaxGCRestoresTheSetting(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		before, during int
	}{
		{100, relaxedGCPercent},
		{50, relaxedGCPercent},
		{1000, 1000},
		{-1, -1},
	}
	current := func() int {
		v := debug.SetGCPercent(0)
		debug.SetGCPercent(v)
		return v
	}
	for _, tc := range tests {
		debug.SetGCPercent(tc.before)
		relaxGC()
		relaxGC() // nested calls, as from concurrent Generates
		if got := current(); got != tc.during {
			t.Errorf("from %d: %d while relaxed, want %d", tc.before, got, tc.during)
		}
		restoreGC()
		if got := current(); got != tc.during {
			t.Errorf("from %d: %d with one caller left, want %d", tc.before, got, tc.during)
		}
		restoreGC()
		if got := current(); got != tc.before {
			t.Errorf("from %d: %d after restoring", tc.before, got)
		}
	}
}
