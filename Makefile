# netreach build, test and benchmark targets. Everything a target needs comes from
# the Go module proxy through go.mod (staticcheck is a Go tool there), except
# what the live-cluster e2e test runs: etcd (Debian's etcd-server, installed by
# e2e-deps) and a kube-apiserver built from the k8s.io/kubernetes module; and
# the headless browser of the report's browser test (Debian's chromium,
# installed by browser-deps).

GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 20s
BENCHTIME ?= 1s
BIN       := bin/netreach

.PHONY: all build test lint fmt-check vet staticcheck unit e2e-deps browser-deps fuzz bench demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/netreach

## test: everything CI runs: formatting, vet, staticcheck, and the race-enabled
## tests, the live-cluster e2e test (after e2e-deps) and the report's browser
## test (after browser-deps) included.
test: lint e2e-deps browser-deps unit

lint: fmt-check vet staticcheck

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

## e2e-deps: etcd (apt-get install etcd-server when missing, as root) and
## kube-apiserver (built once, about 10 minutes on 2 cores, then cached under
## the user cache directory) for the live-cluster e2e test. Idempotent.
e2e-deps:
	@testdata/apiserver/deps.sh

## browser-deps: headless Chromium for the report's browser test (apt-get
## install chromium when missing, as root, after apt-get update). Idempotent.
browser-deps:
	@testdata/browser/deps.sh

## fuzz: thousands of engine/evaluator agreement seeds, then a short run of
## every fuzz target (FUZZTIME each).
fuzz:
	$(GO) test -count=1 -run '^TestEngineAgreesWithEvaluator$$' ./engine -seeds 3000
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

## bench: the benchmark ladder (benchmarks/); results go to benchmarks/RESULTS.md by hand.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -timeout=60m ./benchmarks/...

## demo: the main job on the bundled demo snapshot.
demo:
	$(GO) run ./cmd/netreach matrix --level namespace

clean:
	rm -rf bin
