// Package evaluator is netreach's executable specification of NetworkPolicy
// semantics (DESIGN.md §2): for one connection (source, destination, protocol,
// port) it decides whether the cluster allows it and explains why, naming the
// policies that isolate each side and the rules that admit or miss the traffic.
// It favours being obviously right over being fast; the engine package is the
// fast implementation and is tested against this one.
package evaluator
