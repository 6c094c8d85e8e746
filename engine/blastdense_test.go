package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/netreach/netreach/evaluator"
	"github.com/netreach/netreach/model"
	"github.com/netreach/netreach/model/modeltest"
)

// TestBlastRadiusDenseSnapshots repeats the closure and path checks on snapshots made to
// drive the walk's shortcuts (denseRandom), with every way of keeping peer
// sets and of expanding rules, in one lane and in three. The general random
// snapshots rarely reach them: no closure check on them failed when a dead
// term or a rejected bitmap class took its neighbours with it.
func TestBlastRadiusDenseSnapshots(t *testing.T) {
	defer func(l, r, z, b int) { walkLanes, reverseMinPeers, lazyNamespaces, bitmapMinUniverse = l, r, z, b }(walkLanes, reverseMinPeers, lazyNamespaces, bitmapMinUniverse)
	seed := uint64(0)
	for _, lanes := range []int{1, 3} {
		for _, rev := range []int{-1, 3, 4096} {
			for _, repr := range [][2]int{{16, 256}, {16, 0}, {1, 0}, {0, 0}} {
				walkLanes, reverseMinPeers = lanes, rev
				lazyNamespaces, bitmapMinUniverse = repr[0], repr[1]
				checkBlastClosureOf(t, seed, seed+6, denseRandom)
				checkBlastPathsOf(t, seed, seed+2, denseRandom)
				seed += 6
			}
		}
	}
}

// denseRandom makes a snapshot of two or three namespaces of 8 to 20 pods
// each, most of them isolated both ways by rules that name overlapping sets
// of roles, whole namespaces, namespaces by label (with and without a pod
// selector) and address blocks, so that peer sets share terms, the sources of
// a hop meet many rules, and sets are large enough to be kept as bitmaps.
func denseRandom(t *testing.T, seed uint64) (*modeltest.Random, *Graph) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	roles := []string{"r0", "r1", "r2", "r3", "r4", "r5"}
	someRoles := func() string {
		var out []string
		for _, role := range roles {
			if r.IntN(3) == 0 {
				out = append(out, role)
			}
		}
		if len(out) == 0 {
			out = append(out, roles[r.IntN(len(roles))])
		}
		return "{matchExpressions: [{key: role, operator: In, values: [" + strings.Join(out, ", ") + "]}]}"
	}
	nsN := 2 + r.IntN(2)
	peer := func() string {
		switch r.IntN(6) {
		case 0:
			return "{podSelector: " + someRoles() + "}"
		case 1:
			return fmt.Sprintf("{namespaceSelector: {matchLabels: {team: t%d}}}", r.IntN(2))
		case 2:
			return "{namespaceSelector: {}, podSelector: " + someRoles() + "}"
		case 3:
			return fmt.Sprintf("{ipBlock: {cidr: 10.1.%d.0/%d}}", r.IntN(nsN), 28+r.IntN(3))
		case 4:
			return fmt.Sprintf("{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.%d.0/29]}}", r.IntN(nsN))
		}
		return "{podSelector: {}}"
	}
	rules := func(dir string) string {
		var out []string
		for range 1 + r.IntN(2) {
			var peers []string
			for range 1 + r.IntN(3) {
				peers = append(peers, peer())
			}
			rule := "{" + dir + ": [" + strings.Join(peers, ", ") + "]"
			switch r.IntN(4) {
			case 1:
				rule += ", ports: [{port: 80}]"
			case 2:
				rule += ", ports: [{port: 80}, {port: 443}]"
			case 3:
				rule += ", ports: [{port: 81}]"
			}
			out = append(out, rule+"}")
		}
		return strings.Join(out, ", ")
	}
	var docs []string
	for i := range nsN {
		ns := fmt.Sprintf("d%d", i)
		docs = append(docs, nsDoc(ns, fmt.Sprintf("team=t%d", i%2)))
		for j := range 8 + r.IntN(13) {
			labels := fmt.Sprintf("role: %s, tier: t%d", roles[r.IntN(len(roles))], r.IntN(2))
			docs = append(docs, podDoc(ns, fmt.Sprintf("p%d", j), labels, fmt.Sprintf("10.1.%d.%d", i, j+1), fmt.Sprintf("n%d", 1+r.IntN(2)), ""))
		}
		for _, role := range roles {
			sel := "{matchLabels: {role: " + role + "}}"
			if r.IntN(5) < 3 {
				docs = append(docs, policyDoc(ns, "in-"+role, "{podSelector: "+sel+", ingress: ["+rules("from")+"]}"))
			}
			if r.IntN(2) == 0 {
				docs = append(docs, policyDoc(ns, "out-"+role, "{podSelector: "+sel+", policyTypes: [Egress], egress: ["+rules("to")+"]}"))
			}
		}
	}
	manifests := strings.Join(docs, "---\n")
	s, err := model.Load([]string{"m.yaml"}, model.LoadOptions{FS: fstest.MapFS{"m.yaml": {Data: []byte(manifests)}}})
	if err != nil {
		t.Fatalf("seed %d: %v\n%s", seed, err, manifests)
	}
	g, err := Compile(s, evaluator.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return &modeltest.Random{Snapshot: s, Manifests: manifests}, g
}
