#!/usr/bin/env bash
# Provides what the report's browser test (cmd/netreach/report_browser_test.go)
# needs: a headless Chromium from Debian's chromium package. Idempotent and
# logged: a browser already on the PATH is reused. Outside CI a browser that
# cannot be had is a warning (the test then skips); with CI=true it is an error.
set -euo pipefail

fail() {
	if [ "${CI:-}" = true ]; then
		echo "browser-deps: $1 (CI=true: failing)" >&2
		exit 1
	fi
	echo "browser-deps: $1; the browser test will skip" >&2
}

for name in chromium chromium-browser google-chrome; do
	if path=$(command -v "$name" 2>/dev/null); then
		echo "browser-deps: browser found: $path ($("$path" --version 2>/dev/null | head -1))"
		exit 0
	fi
done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "browser-deps: no browser; installing Debian's chromium with apt-get"
	start=$(date +%s)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
	echo "browser-deps: installed $(chromium --version 2>/dev/null | head -1) in $(($(date +%s) - start))s"
else
	fail "no chromium and it cannot be installed here (needs root and apt-get: apt-get install chromium)"
fi
