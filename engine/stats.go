package engine

// Stats are whole-cluster aggregates, computed from the classes without
// enumerating pod pairs.
type Stats struct {
	// Pods counts the pods that take part (finished pods excluded).
	Pods int
	// Classes counts the pod equivalence classes.
	Classes int
	// PeerSets counts the distinct rule peer sets.
	PeerSets int
	// IsolatedIngress and IsolatedEgress count the pods some policy isolates.
	IsolatedIngress, IsolatedEgress int
	// ReachablePairs counts ordered pairs of distinct pods where the first may
	// open a connection to the second on at least one port.
	ReachablePairs int64
}

// Stats computes the aggregates. Sources with open egress cost the number of
// isolated classes that admit them (through the inverse index), not a scan of
// every class; sources with isolated egress cost the size of their peer sets.
func (g *Graph) Stats() Stats {
	st := Stats{Classes: len(g.classes), PeerSets: len(g.peerSets)}
	g.buildInverse()
	openPods := int64(0)
	for _, cd := range g.openIn {
		openPods += int64(len(g.classes[cd].pods))
	}
	rows := map[rowKey]classRow{}
	for cs := range g.classes {
		cl := &g.classes[cs]
		n := int64(len(cl.pods))
		st.Pods += int(n)
		if cl.isolatedIn && !cl.hostNetwork {
			st.IsolatedIngress += int(n)
		}
		if cl.isolatedEg && !cl.hostNetwork {
			st.IsolatedEgress += int(n)
		}
		var reach int64
		self := false
		switch {
		case !g.enforced:
			continue // counted below
		case cl.hostNetwork || !cl.isolatedEg:
			reach = openPods
			self = !cl.isolatedIn || cl.hostNetwork
			for _, cd := range g.admitters(int32(cs)) {
				if g.ingressAdmits(cd, int32(cs)) {
					reach += int64(len(g.classes[cd].pods))
					if cd == int32(cs) {
						self = true
					}
				}
			}
		default:
			// Classes with the same egress rule list and the same memberships in
			// ingress peer sets have the same row: compute it once per group.
			for cd := range g.sharedRow(int32(cs), rows) {
				reach += int64(len(g.classes[cd].pods))
				if cd == int32(cs) {
					self = true
				}
			}
		}
		st.ReachablePairs += n * reach
		if self {
			st.ReachablePairs -= n // a pod and itself is not a pair
		}
	}
	if !g.enforced {
		// Every ordered pair of active pods.
		p := int64(st.Pods)
		st.ReachablePairs = p * (p - 1)
		return st
	}
	// §2.10: host-network pods reach the isolated pods of their own node even
	// when no rule admits them.
	m := &Matrix{g: g}
	hostRows := map[int32]classRow{}
	m.forNodeLocal(func(src, dst int32) {
		cs := g.podClass[src]
		row, ok := hostRows[cs]
		if !ok {
			row = g.row(cs)
			hostRows[cs] = row
		}
		if _, allowed := row[g.podClass[dst]]; !allowed {
			st.ReachablePairs++
		}
	})
	return st
}

// ingressAdmits reports whether isolated class cd admits class cs on some port,
// without building port sets.
func (g *Graph) ingressAdmits(cd, cs int32) bool {
	dst := &g.classes[cd]
	for _, r := range dst.inRules {
		if g.inPeerSet(&g.peerSets[r.peers], cs) && g.portSpecs[r.ports].nonEmptyFor(dst.namedPorts) {
			return true
		}
	}
	return false
}

// rowKey identifies the sources that share a row: egress open, or the same
// egress rule list; and membership in the same ingress peer sets. Rows of
// sources with equal keys are equal: egress depends only on the rule list,
// ingress admission only on which peer sets contain the source.
type rowKey struct {
	open    bool
	rules   *ruleRef
	n       int
	members uint64
}

// sharedRow returns the row of class cs, computed once per rowKey in cache.
func (g *Graph) sharedRow(cs int32, cache map[rowKey]classRow) classRow {
	if !g.enforced {
		return g.row(cs)
	}
	g.buildInverse()
	cl := &g.classes[cs]
	key := rowKey{open: cl.hostNetwork || !cl.isolatedEg, n: len(cl.egRules), members: g.membershipHash(cs)}
	if !key.open && key.n > 0 {
		key.rules = &cl.egRules[0]
	}
	if row, ok := cache[key]; ok {
		return row
	}
	row := g.row(cs)
	cache[key] = row
	return row
}

// membershipHash hashes the set of ingress peer sets class c belongs to
// (after buildInverse).
func (g *Graph) membershipHash(c int32) uint64 { return g.memberHash[c] }
