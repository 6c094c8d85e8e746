// Package live reads a snapshot from a running cluster's API server. It is the
// only package that uses client-go: it lists the kinds the analysis reads
// (paginated, the kinds in parallel, in one namespace or all), reduces every
// object to the fields the analysis reads (model.StripObject), and hands the
// result to model.Load as one in-memory List, so that a live cluster and the
// same objects read from files give the same snapshot by construction.
//
// Only the get and list verbs are used. Forbidden lists of optional kinds
// become warnings that say what the analysis loses; see Resources.
package live
