# redis-follower — what CI and people run.
GO        ?= go
BIN       := bin/redis-follower
PKGS      := ./...
FUZZTIME  ?= 30s
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: all build test test-long bench bench-e2e fuzz lint demo clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/redis-follower

# Unit and integration tests (real redis-server processes on free loopback
# ports; they fail, not skip, when redis-server is missing).
test:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 14m $(PKGS)

# Exhaustive variants: 1000 corruptions/truncations per RDB fixture, the
# 60-iteration SIGKILL loop, and the long differential runs (20 seeds x
# 100k commands through the follower beside a stock replica). Hours.
test-long:
	$(GO) test -timeout 60m ./internal/rdbload ./internal/follower -args -long
	$(GO) test -timeout 120m ./internal/apply -run TestRandomized -args -apply.seeds=20 -apply.ops=20000
	$(GO) test -timeout 6h ./internal/e2e -run Randomized -args -e2e.seeds=20 -e2e.ops=100000 -e2e.every=10000

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

# End-to-end scenarios side by side with a stock replica; writes
# BENCHMARKS.md and profiles in bench-profiles/ (takes several minutes).
bench-e2e: build
	$(GO) run ./tools/benche2e -out BENCHMARKS.md -profiles bench-profiles

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
	  done; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$$(command -v staticcheck || echo $$($(GO) env GOPATH)/bin/staticcheck) $(PKGS)

# A throwaway master (redis-server on a free port, installed with apt-get
# if missing), sample data of every type, the follower against it while
# writes go on, then the follower's snapshot compared with the master.
demo: build
	./scripts/demo.sh

clean:
	rm -rf bin
