package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestReportHTML checks the page without a browser: one self-contained
// document with every section, as many finding rows as the audit has
// findings, the graph inline, nothing that would be fetched, and the same
// bytes on every run.
func TestReportHTML(t *testing.T) {
	r := runCLI(t, "", "report")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	page := r.stdout
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Errorf("not one whole HTML document: starts %q", page[:min(40, len(page))])
	}
	for _, id := range []string{`id="summary"`, `id="findings-table"`, `id="graph-view"`, `id="namespaces-table"`, `id="exposure-table"`, `id="filter"`} {
		if !strings.Contains(page, id) {
			t.Errorf("the page lacks %s", id)
		}
	}
	audit := runCLI(t, "", "audit", "--fail-on", "none", "-o", "json")
	findings := strings.Count(audit.stdout, `"remediation":`)
	if rows := strings.Count(page, "<tr data-severity="); rows != findings || rows == 0 {
		t.Errorf("%d finding rows, the audit has %d findings", rows, findings)
	}
	// The SVG is inline, without its XML prolog, and carries the workload nodes.
	if strings.Contains(page, "<?xml") || strings.Contains(page, "<!DOCTYPE svg") || !strings.Contains(page, "<title>shop/Deployment/frontend</title>") {
		t.Errorf("the workload graph is not inlined as plain SVG")
	}
	// Nothing to fetch: no external script, style sheet, font or image. (SVG
	// namespace declarations name URLs but fetch nothing.)
	for _, re := range []string{`<script[^>]+src=`, `<link\b`, `@import`, `url\(`, `<img\b`, `src="http`, `href="http`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page refers to something outside it: %q", m)
		}
	}
	if again := runCLI(t, "", "report"); again.stdout != page {
		t.Errorf("two runs give different pages")
	}
	// A workload graph too big to read gives way to the namespace graph.
	file := bigSnapshot(t)
	big := runCLI(t, "", "report", "-f", file)
	if big.code != 0 || !strings.Contains(big.stdout, "The workload graph would have 162 nodes and") || !strings.Contains(big.stdout, "<h2>Graph (namespace level)</h2>") ||
		!strings.Contains(big.stdout, "<title>big</title>") {
		t.Errorf("report on 160 bare pods: exit %d, stderr %s", big.code, big.stderr)
	}
	if r := runCLI(t, "", "report", "-o", "json"); r.code != 2 || !strings.Contains(r.stderr, `report does not support output format "json": use one of html`) || r.stdout != "" {
		t.Errorf("-o json: exit %d, stderr %s", r.code, r.stderr)
	}
}
