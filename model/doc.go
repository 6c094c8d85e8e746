// Package model owns the cluster snapshot that every other netreach package reads.
//
// It turns manifests (files, directories, standard input, the bundled demo) into a
// Snapshot: Namespaces, Pods (live ones, and representative template pods for
// workloads that have none), Nodes, Services, Endpoints, NetworkPolicies and the
// network catalogue. It validates every object the way the Kubernetes API server
// would, applies the API server's defaults, and reports each problem with the
// file, document, object and field it concerns.
//
// It also reduces objects to the fields the analysis reads (StripObject,
// LoadOptions.KeepObjects), which is what a saved snapshot holds and what the
// live-cluster reader in model/live hands to Load, so that files, live
// clusters and saved snapshots all go through the same decoding.
//
// The package knows nothing about what a NetworkPolicy allows: that is the
// evaluator's and the engine's job. It only guarantees that what it hands them is
// well formed, defaulted and indexed.
package model
