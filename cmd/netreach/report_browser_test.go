package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserPath finds the headless browser `make test` installs (Debian's
// chromium, testdata/browser/deps.sh). Without one the test skips, or fails
// under CI=true.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on the PATH: run `make browser-deps` (as root it installs Debian's chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: failing)")
	}
	t.Skip(msg)
	return ""
}

// TestReportInBrowser opens the demo report in headless Chromium: no console
// errors or exceptions, no request beyond the file itself, the graph drawn,
// every finding listed, the filter narrowing the table as one types, sorting,
// and zoom changing the graph's view.
func TestReportInBrowser(t *testing.T) {
	exe := browserPath(t)
	r := runCLI(t, "", "report", "-o", "html")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	audit := runCLI(t, "", "audit", "-o", "json", "--fail-on", "none")
	var doc struct {
		Findings []struct{ ID, Key string }
	}
	if err := json.Unmarshal([]byte(audit.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	nr001 := 0
	for _, f := range doc.Findings {
		if f.ID == "NR001" {
			nr001++
		}
	}
	if len(doc.Findings) == 0 || nr001 == 0 {
		t.Fatalf("the demo should have findings, NR001 among them: %d, %d", len(doc.Findings), nr001)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	// The whole session, browser start included, is bounded: the browser is
	// killed when the limit passes, and every step then fails.
	limit, cancelLimit := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelLimit()
	alloc, cancelAlloc := chromedp.NewExecAllocator(limit, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("cannot start %s: %v", exe, err)
	}

	// Collect every console message, exception and browser log entry
	// until the page is closed.
	var problems []string
	var wg sync.WaitGroup
	listen, stopListening := context.WithCancel(ctx)
	messages := chromedp.Console(listen)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				problems = append(problems, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m, m.URL, m.Line+1))
			}
		}
	}()

	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		step(expr, err)
		return n
	}
	step("open the report", chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS("#graph-view svg g.node"))))
	if os.Getenv("NETREACH_SCREENSHOT") != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		step("screenshot", err)
		step("write the screenshot", os.WriteFile(os.Getenv("NETREACH_SCREENSHOT"), shot, 0o644))
	}
	// Nothing but the file itself may be loaded: no script, style, font or image.
	resources, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name)`))
	step("resources", err)
	for _, r := range resources {
		t.Errorf("the page loaded %s; it must be self-contained", r)
	}
	if n := eval(`document.querySelectorAll("#graph-view svg g.node").length`); n < 30 {
		t.Errorf("the graph shows %d nodes; the demo's workload graph has more than 30", n)
	}
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#graph-view svg g.node > title"), t => t.textContent)`))
	step("node titles", err)
	for _, want := range []string{"shop/Deployment/frontend", "net:internet"} {
		if !contains(titles, want) {
			t.Errorf("the graph has no node %s", want)
		}
	}
	const visibleRows = `Array.from(document.querySelectorAll("#findings-table tbody tr")).filter(r => !r.hidden)`
	if n := eval(visibleRows + `.length`); n != len(doc.Findings) {
		t.Errorf("the findings table shows %d rows, the audit has %d findings", n, len(doc.Findings))
	}

	// Typing in the filter narrows the table to the matching findings.
	step("type in the filter", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#filter"), "nr001")))
	visible := eval(visibleRows + `.length`)
	matching := eval(visibleRows + `.filter(r => r.cells[1].textContent.includes("NR001")).length`)
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#shown")))
	step("counter", err)
	if visible != nr001 || matching != nr001 || shown != fmt.Sprint(nr001) {
		t.Errorf("after typing nr001: %d rows visible, %d of them NR001, counter %q; want %d NR001 rows", visible, matching, shown, nr001)
	}

	// With the filter cleared, a click on the resource header sorts every
	// row by resource (as the page compares text: localeCompare). The table
	// starts ordered by severity, so the check can fail.
	step("clear the filter", chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input", {bubbles: true}));
	})()`)))
	const outOfOrder = visibleRows + `.map(r => r.cells[2].textContent.trim()).filter((k, i, a) => i > 0 && a[i-1].localeCompare(k) > 0).length`
	if n := eval(outOfOrder); n == 0 {
		t.Errorf("before sorting, the rows are already in resource order: the sort check would prove nothing")
	}
	step("sort", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#findings-table th:nth-child(3)"))))
	if n, rows := eval(outOfOrder), eval(visibleRows+`.length`); n != 0 || rows != len(doc.Findings) {
		t.Errorf("after sorting by resource: %d of %d rows out of order (want 0 of %d)", n, rows, len(doc.Findings))
	}

	// The zoom button shrinks the graph's viewBox (zooming in).
	const width = `Math.round(document.querySelector("#graph-view svg").viewBox.baseVal.width)`
	before := eval(width)
	step("zoom in", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#zoom-in"))))
	if after := eval(width); before == 0 || float64(after) > 0.85*float64(before) {
		t.Errorf("zoom in: viewBox width %d → %d, want it to shrink by a fifth", before, after)
	}

	// Clicking a node fades every edge that does not touch it.
	step("click a node", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#zoom-reset")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("graph").scrollIntoView()`)))
	const node = `Array.from(document.querySelectorAll("#graph-view svg g.node")).find(g => g.querySelector("title").textContent === "data/StatefulSet/postgres")`
	step("click postgres", chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const r = `+node+`.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
		const target = document.elementFromPoint(x, y);
		for (const type of ["pointerdown", "pointerup"]) {
			target.dispatchEvent(new PointerEvent(type, {bubbles: true, clientX: x, clientY: y, pointerId: 1}));
		}
	})()`)))
	edges := eval(`document.querySelectorAll("#graph-view svg g.edge").length`)
	faded := eval(`document.querySelectorAll("#graph-view svg g.edge.faded").length`)
	kept := eval(`Array.from(document.querySelectorAll("#graph-view svg g.edge:not(.faded) > title")).filter(t => t.textContent.split("->").includes("data/StatefulSet/postgres")).length`)
	if faded == 0 || kept == 0 || faded+kept != edges {
		t.Errorf("after clicking postgres: %d of %d edges faded, %d kept touching it; want every other edge faded", faded, edges, kept)
	}

	stopListening()
	wg.Wait()
	for _, p := range problems {
		t.Errorf("%s", p)
	}
}
