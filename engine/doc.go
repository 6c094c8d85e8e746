// Package engine compiles a snapshot into netreach's reachability graph (pod
// equivalence classes, shared peer sets, port interval sets) and answers every
// whole-cluster query against it: can-reach, the connectivity matrix, blast
// radius, exposure to external networks and the audit findings. It computes
// answers; the export package formats them.
package engine
