// Package gen owns the synthetic clusters that netreach's benchmarks run on.
//
// It defines the benchmark shapes (named sizes such as T0, T5 or A2, each a
// count of pods, namespaces and NetworkPolicies plus the knobs that decide
// what the policies look like), builds a deterministic in-memory cluster for
// a shape and a seed with Generate, and streams a cluster out as Kubernetes
// manifests with Write.
//
// Generated objects are deliberately lean: they carry only the fields a
// NetworkPolicy analysis reads (names, namespaces, labels, owners, node
// placement, container ports, pod and host IPs), so that the largest shape,
// a million pods, fits comfortably in memory. Write can add the bulk a real
// API server would return (managed fields, status conditions, volumes and so
// on) while it streams, without ever storing it.
//
// Every object Generate returns is meant to pass the Kubernetes API server's
// validation: names are DNS-1123, label keys and values are well formed,
// ports and protocols are in range, ipBlock exceptions are strict subsets of
// their CIDR, and selectors are well formed.
package gen
