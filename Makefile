# carpvm — see README.md. Two set-up commands on a fresh machine:
#   make run    build carpvm and run preflight against the embedded simulator
#   make test   install what the tests need (when missing) and run every test
GO      ?= go
# ip, bridge and ucarp live in /usr/sbin, which a non-login PATH may lack.
export PATH := $(PATH):/usr/sbin:/sbin
BIN     := bin/carpvm
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Release builds: no local paths in the binary, no symbol or DWARF tables.
RELEASEFLAGS := -trimpath -ldflags "-s -w $(LDFLAGS)"
# Every other build here (test binaries, tests, vet, the release build of
# TestNodeMetricsBuildInfo) is -trimpath too, so that one compiled package
# serves them all: the flag is part of each package's build key, and a mix
# compiles everything twice.
export GOFLAGS := -trimpath $(filter-out -trimpath,$(GOFLAGS))
# Fuzz budgets are counts, not durations: a -fuzztime duration races Go's fuzz
# coordinator at the deadline (golang/go#75804, unfixed in Go 1.26) and fails a
# run that found nothing. Minimization is bounded the same way. make test
# runs each target briefly (FUZZSHORT), make fuzz at full budget.
FUZZEXECS ?= 200000
FUZZSHORT ?= 20000
FUZZMINIMIZE ?= 1000x
BENCHTIME ?= 1x

.PHONY: all build run test test-deps test-bins unit cross cross-vet lint-linux fuzz fuzz-short slowest bench lint docs man clean faultwalk

all: build

build:
	$(GO) build $(RELEASEFLAGS) -o $(BIN) ./cmd/carpvm

# Exit 1 means "a check failed": expected on the default simulated topology.
run: build
	@./$(BIN) preflight --sim; rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "(exit 1: checks failed, as expected on the default simulated topology)" >&2; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

# lint's darwin/windows half (cross-vet) runs alongside the tests, in unit.
test: test-deps lint-linux unit fuzz-short slowest

# One carpvm and one govc for every package's tests (internal/testbin): the
# labs, wire, docs and CLI tests run them as child processes.
TESTBIN_DIR := $(CURDIR)/bin/test
TESTTIMES   := $(TESTBIN_DIR)/testtimes
test-bins:
	$(GO) build -o $(TESTBIN_DIR)/carpvm ./cmd/carpvm
	$(GO) build -o $(TESTBIN_DIR)/govc ./vsphere/sim/govc
	$(GO) build -o $(TESTTIMES) ./scripts/testtimes

# The vSphere commands, render, sim and watch --read run on an operator's
# macOS or Windows laptop; the node, live watch and the lab say they need
# Linux. Both builds must stay green.
cross:
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/carpvm
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/carpvm

# vet for the operator's platforms too: tests of Linux-only code live in
# *_linux_test.go files (internal/netns is Linux-only).
cross-vet:
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...

# Real CARP peers and a decoder for the wire tests, installed when missing.
test-deps:
	@./scripts/install-test-deps

# The deploy checks are a module of their own (internal/deploycheck), so
# that Kubernetes' API types are no dependency of carpvm's.
DEPLOYCHECK := internal/deploycheck
TEST_EVENTS := $(TESTBIN_DIR)/events.json

# Most of the tests wait on real timers (CARP adverts, lab drills), so the
# two CPUs are mostly idle: the darwin/windows vet and builds run meanwhile,
# at the lowest priority so that no timer of a test waits on them. -p 2
# test processes, each running at most 2 parallel tests: more made lab
# drill timings and packet-link tests flaky on 2 CPUs.
TESTFLAGS ?= -count=1 -timeout 30m -p 2 -parallel 2
unit: test-bins
	@rm -f $(TEST_EVENTS); mkdir -p $(TESTBIN_DIR); \
	nice -n 19 $(MAKE) --no-print-directory cross-vet cross >$(TESTBIN_DIR)/cross.log 2>&1 & cross=$$!; \
	export CARPVM_TEST_BIN=$(TESTBIN_DIR)/carpvm GOVC_TEST_BIN=$(TESTBIN_DIR)/govc; \
	$(TESTTIMES) run -events $(TEST_EVENTS) -- $(GO) test -json $(TESTFLAGS) ./...; rc=$$?; \
	(cd $(DEPLOYCHECK) && $(TESTTIMES) run -events $(TEST_EVENTS) -- $(GO) test -json $(TESTFLAGS) ./...) || rc=1; \
	if ! wait $$cross; then cat $(TESTBIN_DIR)/cross.log; echo "cross-platform vet or build failed"; rc=1; fi; \
	exit $$rc

# The 10 slowest tests (and packages) of the last make unit.
slowest:
	@$(TESTTIMES) slowest -n 10 $(TEST_EVENTS)

# Every fuzz target briefly (make test), or at full budget (make fuzz);
# crashers land in testdata/fuzz.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZEXECS=$(FUZZSHORT)

fuzz:
	@for spec in $$($(GO) run ./scripts/fuzztargets); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZEXECS) inputs)"; \
		$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZEXECS)x \
			-fuzzminimizetime=$(FUZZMINIMIZE) $$pkg || exit 1; \
	done

# The fault walks in full (docs/architecture.md, "Safety promises"): every
# fault kind at every call of each writing workflow's clean run (--fix,
# rollback, a fleet's --fix, each drill trigger and drill restore, and the
# walks of --fix and a drill through a carpvm process behind a dropping
# proxy). make test runs a deterministic sample of them that still breaks
# every call and meets every kind.
FAULTWALK_LOG := $(TESTBIN_DIR)/faultwalk.log
faultwalk: test-bins
	@CARPVM_FAULT_WALK=full CARPVM_TEST_BIN=$(TESTBIN_DIR)/carpvm GOVC_TEST_BIN=$(TESTBIN_DIR)/govc \
		$(GO) test -count=1 -timeout 60m -run 'FaultWalk' -v ./cmd/carpvm/ >$(FAULTWALK_LOG) 2>&1; rc=$$?; \
	grep -E '^--- |cases \(|^(ok|FAIL)' $(FAULTWALK_LOG); \
	if [ $$rc -ne 0 ]; then grep -E -- '--- FAIL|_test.go:' $(FAULTWALK_LOG) | head -100; fi; exit $$rc

# Pure cores: the usual benchtime, so per-op figures mean something.
# Systems (simulated vCenters of up to 40,000 VMs, namespace labs, drills):
# one iteration each, reporting their own metrics.
PURE_PKGS   := ./carp/ ./carp/witness/ ./preflight/... ./audit/ ./render/ ./config/ ./internal/table/ ./internal/capture/ ./explain/ ./internal/transition/
SYSTEM_PKGS := ./carp/node/ ./vsphere/... ./failover/... ./workflow/

# Ends with issue 21's table: preflight at 5k/20k/40k VMs and the fleet.
BENCH_OUT := $(TESTBIN_DIR)/bench.txt
bench: test-bins
	$(GO) test -run='^$$' -bench=. -benchmem $(PURE_PKGS)
	@export CARPVM_TEST_BIN=$(TESTBIN_DIR)/carpvm GOVC_TEST_BIN=$(TESTBIN_DIR)/govc; \
	{ $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -timeout 60m $(SYSTEM_PKGS); echo $$? >$(BENCH_OUT).rc; } | tee $(BENCH_OUT); \
	echo; $(TESTTIMES) bench $(BENCH_OUT) || true; exit $$(cat $(BENCH_OUT).rc)

lint: lint-linux cross-vet

lint-linux:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files -o --exclude-standard '*.go' 2>/dev/null)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd $(DEPLOYCHECK) && $(GO) vet ./...

# Rewrite every example output in docs/*.md from the commands themselves;
# TestDocsExamples fails when one differs.
docs:
	$(GO) test -count=1 -run '^TestDocsExamples$$' ./cmd/carpvm -update-docs

# Section 1 pages under docs/man/man1, with EXIT STATUS and ENVIRONMENT:
# MANPATH=docs/man man carpvm-preflight
man: build
	./$(BIN) gen-man --dir docs/man

clean:
	rm -rf bin
