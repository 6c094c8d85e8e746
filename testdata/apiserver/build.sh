#!/usr/bin/env bash
# Builds kube-apiserver from the Go module k8s.io/kubernetes (at the version this
# directory's go.mod requires, matching the k8s.io/api that netreach uses) for the
# live-cluster end-to-end test, and caches it under the user's cache directory.
# Idempotent: a cached binary is reused. Prints the binary's path on stdout;
# everything else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"
version=$(go list -m -f "{{.Version}}" k8s.io/kubernetes)
cache=${XDG_CACHE_HOME:-$HOME/.cache}
out="$cache/netreach/kube-apiserver-$version/kube-apiserver"
if [ -x "$out" ]; then
	echo "apiserver: reusing $out" >&2
	echo "$out"
	exit 0
fi
echo "apiserver: building kube-apiserver $version into $out (about 10 minutes cold on 2 cores)" >&2
mkdir -p "$(dirname "$out")"
start=$(date +%s)
CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$out.tmp" \
	-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitVersion=$version" \
	k8s.io/kubernetes/cmd/kube-apiserver
mv "$out.tmp" "$out"
echo "apiserver: built in $(( $(date +%s) - start ))s" >&2
echo "$out"
