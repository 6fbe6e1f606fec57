#!/usr/bin/env bash
# Runs every Fuzz* target in the module for a short, fixed time each.
# `go test -fuzz` takes one target at a time, so find them and loop.
set -euo pipefail
fuzztime=${1:-10s}
status=0
while IFS= read -r line; do
  file=${line%%:*}
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")
  pkg=./$(dirname "$file")
  echo "fuzz: $pkg $name for $fuzztime"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" || status=1
done < <(git ls-files '*_test.go' | xargs -r grep -H -E '^func Fuzz[A-Za-z0-9_]*\(' || true)
exit $status
