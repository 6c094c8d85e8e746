// Package peers compares netreach with other NetworkPolicy analyzers on the
// same generated clusters: the answers (which workload may open connections to
// which, on which ports) and the time each tool takes.
//
// It is a Go module of its own so that netreach itself never depends on a peer
// tool. The only peer so far is np-guard/netpol-analyzer, driven in-process
// through its connlist package. See README.md for the commands and the
// measured results.
package peers
