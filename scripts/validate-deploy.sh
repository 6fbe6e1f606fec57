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

# The plain manifests: what kubectl apply -k builds (the validator runs
# kustomize's own library, so the configMapGenerator's ConfigMap and the
# references to its hashed name are checked), then the same with the
# sharded StatefulSet in place of the Deployment, as its header says to do.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$validate" -k deploy/kubernetes
cp -R deploy/kubernetes "$tmp/sharded"
sed -i 's/^  - deployment.yml$/  - statefulset-sharded.yaml/' "$tmp/sharded/kustomization.yml"
grep -q '^  - statefulset-sharded.yaml$' "$tmp/sharded/kustomization.yml" ||
  { echo "validate-deploy: kustomization.yml lists no deployment.yml to swap for statefulset-sharded.yaml" >&2; exit 1; }
"$validate" -k "$tmp/sharded"

# The chart, with the default values and with each CI values file.
for values in "" "$chart"/ci/*.yaml; do
  args=()
  [ -n "$values" ] && args=(-f "$values")
  echo "validate-deploy: helm lint --strict and helm template ${values:-(default values)}" >&2
  "$helm" lint --strict "$chart" "${args[@]}" >"$tmp/lint" || { cat "$tmp/lint"; exit 1; }
  out="$tmp/$(basename "${values:-default-values.yaml}")"
  "$helm" template cce "$chart" "${args[@]}" >"$out"
  (cd "$tmp" && "$validate" "$(basename "$out")")
done
