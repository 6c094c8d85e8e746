// Package export owns every output format of netreach: text tables, JSON
// documents with stable, versioned schemas (docs/schema), CSV, Markdown,
// SARIF, Graphviz DOT with SVG and PNG rendered in-process, and the
// self-contained HTML report. It formats what the model, evaluator and engine
// computed; it never computes reachability itself.
package export
