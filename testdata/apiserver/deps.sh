#!/usr/bin/env bash
# Provides what the live-cluster end-to-end test (cmd/netreach/live_e2e_test.go)
# needs: etcd from Debian's etcd-server package, and kube-apiserver built by
# build.sh into the user's cache directory. Idempotent and logged: what is
# already there is reused. Outside CI a missing piece that cannot be had is a
# warning (the test then skips); with CI=true it is an error.
set -euo pipefail
cd "$(dirname "$0")"

fail() {
	if [ "${CI:-}" = true ]; then
		echo "e2e-deps: $1 (CI=true: failing)" >&2
		exit 1
	fi
	echo "e2e-deps: $1; the live e2e test will skip" >&2
}

if command -v etcd >/dev/null 2>&1; then
	echo "e2e-deps: etcd found: $(command -v etcd) ($(etcd --version | head -1))"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "e2e-deps: etcd missing; installing Debian's etcd-server with apt-get"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
	echo "e2e-deps: installed $(etcd --version | head -1)"
else
	fail "etcd is missing and cannot be installed here (needs root and apt-get: apt-get install etcd-server)"
fi

if path=$(./build.sh); then
	echo "e2e-deps: kube-apiserver: $path"
else
	fail "kube-apiserver could not be built (testdata/apiserver/build.sh)"
fi
