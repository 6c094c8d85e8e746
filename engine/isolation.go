package engine

// NodeIsolation counts, for one node of a matrix (a pod, a workload or a
// namespace), how many of its pods a NetworkPolicy isolates in each direction.
type NodeIsolation struct {
	// Pods counts the node's pods that take part (finished pods excluded).
	Pods int
	// Ingress and Egress count the pods isolated in that direction.
	Ingress, Egress int
}

// Isolation returns, index for index with m.Nodes, how many pods of each node
// policies isolate for ingress and egress. Network nodes have no pods. A pod
// counts as isolated in a direction when some policy of its namespace selects
// it with that type (DESIGN.md §2.1); host-network pods are never isolated
// (§2.11); when the cluster does not enforce NetworkPolicy (§2.13) no pod is.
func (m *Matrix) Isolation() []NodeIsolation {
	g := m.g
	out := make([]NodeIsolation, len(m.Nodes))
	for pi, node := range m.groupOf {
		if node < 0 {
			continue
		}
		cl := &g.classes[g.podClass[pi]]
		n := &out[node]
		n.Pods++
		if !g.enforced || cl.hostNetwork {
			continue
		}
		if cl.isolatedIn {
			n.Ingress++
		}
		if cl.isolatedEg {
			n.Egress++
		}
	}
	return out
}
