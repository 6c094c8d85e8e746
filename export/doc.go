// Package export owns every output format of netreach: text tables, JSON
// documents with stable, versioned schemas (docs/schema), and later CSV,
// Markdown, DOT, SVG, SARIF and HTML. It formats what the model, evaluator and
// engine computed; it never computes reachability itself.
package export
