# Build and test entry points. `make test` is the one command CI runs
# (through .ci/run) and the README tells newcomers to run.

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

.PHONY: all build release test vet fmt-check unit fuzz tools clean

all: build

build:
	$(GO) build $(RELEASE_FLAGS) -o $(BINARY) .

release:
	$(RELEASE_ENV) $(GO) build $(RELEASE_FLAGS) -o $(BINARY) .

tools:
	./scripts/install-prometheus.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

test: tools fmt-check vet unit fuzz

clean:
	rm -f $(BINARY)
