#!/usr/bin/env bash
# Makes the pinned helm available in the project's bin/ for `make test`,
# which lints and renders deploy/helm/codearts-check-exporter with it.
#
# helm is built from source with `go install`: the Go module proxy is the one
# source that every developer machine and CI can reach, and a pinned module
# version is the same binary everywhere. Nothing is installed when bin/helm
# already is that version. HELM_VERSION overrides the pin.
set -euo pipefail

cd "$(dirname "$0")/.."
version="${HELM_VERSION:-v3.22.0}"
bin="$PWD/bin"
helm="$bin/helm"

if [ -x "$helm" ] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
  exit 0
fi

echo "install-helm: building helm $version with 'go install helm.sh/helm/v3/cmd/helm@$version' into $bin (from the Go module proxy; a few minutes the first time)" >&2
mkdir -p "$bin"
# -ldflags: helm reports its version from these variables; without them a
# `go install` build says v3.x-dev, and the check above would rebuild it.
GOBIN="$bin" GOFLAGS=-buildvcs=false go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
  "helm.sh/helm/v3/cmd/helm@$version"
echo "install-helm: installed $("$helm" version --short)" >&2
