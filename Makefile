# Build and test entry points. `make test` is the one command CI runs
# (through .ci/run) and the README tells newcomers to run; `make help` lists
# the targets and what each leaves out.

GO        ?= go
BINARY    ?= codearts_check_exporter
PKG       := github.com/prometheus/common/version
VERSION   ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)

# The release build, static. The Dockerfile runs `make release` with VERSION,
# REVISION and BRANCH from its build arguments, so a binary built here is the
# binary in the image.
RELEASE_ENV   := CGO_ENABLED=0
RELEASE_FLAGS := -trimpath -buildvcs=false -ldflags "-s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) -X $(PKG).BuildUser=codearts_check_exporter -X $(PKG).BuildDate=unknown"

FUZZTIME ?= 10s

# Tools the tests install (helm, the manifest validator) go here, and the
# tests find them on PATH.
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

.PHONY: all help build release test vet fmt-check unit fuzz tools deploy-check clean

all: build

help:
	@echo 'make build         the exporter, with version information (the default target)'
	@echo 'make release       the static build the Dockerfile runs (CGO_ENABLED=0)'
	@echo 'make unit          go test -race ./... only (fast): installs nothing, and without promtool,'
	@echo '                   prometheus, amtool or helm on PATH the deploy/ tests that need them are'
	@echo '                   skipped (each says so); no chart lint, no manifest validation'
	@echo 'make test          what CI runs: tools, fmt-check, vet, unit, deploy-check. Deterministic:'
	@echo '                   every fuzz target runs its committed corpus (testdata/fuzz/ and f.Add)'
	@echo '                   as ordinary tests inside unit; no random search'
	@echo 'make tools         installs what is missing, saying what and where first: promtool,'
	@echo '                   prometheus, amtool (Debian packages) and helm (go install into bin/)'
	@echo 'make fmt-check     fails on any file gofmt would change'
	@echo 'make vet           go vet, for the exporter and the deploy/validate module'
	@echo 'make deploy-check  helm lint/template of deploy/helm and offline validation of every'
	@echo '                   manifest (deploy/validate)'
	@echo 'make fuzz          the random search, for developers, never in the gate: every fuzz target'
	@echo '                   for FUZZTIME ($(FUZZTIME)); commit what it finds as a seed with the fix'
	@echo 'make clean         removes the binary'

build:
	$(GO) build $(RELEASE_FLAGS) -o $(BINARY) .

release:
	$(RELEASE_ENV) $(GO) build $(RELEASE_FLAGS) -o $(BINARY) .

tools:
	./scripts/install-prometheus.sh
	./scripts/install-helm.sh

vet:
	$(GO) vet ./...
	cd deploy/validate && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# The fast target: see `make help` for what it leaves out.
unit:
	$(GO) test -race -count=1 ./...

deploy-check:
	./scripts/validate-deploy.sh

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# The gate is deterministic: the fuzz targets' committed corpora run inside
# `unit` (go test runs every seed of testdata/fuzz/ and f.Add); a random
# search (`make fuzz`) could fail one day on a bug nobody touched.
test: tools fmt-check vet unit deploy-check

clean:
	rm -f $(BINARY)
