#!/usr/bin/env bash
# Lints and renders the Helm chart and validates every Kubernetes manifest
# under deploy/ offline against the Kubernetes and prometheus-operator API
# types (deploy/validate, its own Go module so that the exporter's go.mod
# does not carry k8s.io/api). Needs bin/helm: scripts/install-helm.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/bin"
helm="$bin/helm"
chart=deploy/helm/codearts-check-exporter

echo "validate-deploy: testing and building the validator (deploy/validate) into $bin/k8s-validate" >&2
(cd deploy/validate && go test -count=1 ./... && go build -o "$bin/k8s-validate" .)
validate="$bin/k8s-validate"

# The plain manifests: what kubectl apply -k applies, then the sharded
# alternative in its place.
resources=$(sed -n '/^resources:/,/^[^ -]/s/^  - //p' deploy/kubernetes/kustomization.yml)
(cd deploy/kubernetes && "$validate" $resources)
(cd deploy/kubernetes && "$validate" $(echo "$resources" | sed 's/^deployment.yml$/statefulset-sharded.yaml/'))

# The chart, with the default values and with each CI values file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for values in "" "$chart"/ci/*.yaml; do
  args=()
  [ -n "$values" ] && args=(-f "$values")
  echo "validate-deploy: helm lint --strict and helm template ${values:-(default values)}" >&2
  "$helm" lint --strict "$chart" "${args[@]}" >"$tmp/lint" || { cat "$tmp/lint"; exit 1; }
  out="$tmp/$(basename "${values:-default-values.yaml}")"
  "$helm" template cce "$chart" "${args[@]}" >"$out"
  (cd "$tmp" && "$validate" "$(basename "$out")")
done
