#!/usr/bin/env bash
# Runs every Fuzz* target in the module for a short, fixed time each
# (`go test -fuzz` takes one target at a time, so find them and loop).
#
# The seed corpora (testdata/fuzz/<Target>/ and f.Add) are not this script's
# job: `go test ./...` runs them as ordinary tests on every run. This pass
# explores, and its verdict is:
#   - a target that wrote a new reproducer under testdata/fuzz/<Target>/
#     found a real crasher: fail, and print the file (commit it: it becomes
#     a seed, so the fixed bug stays fixed);
#   - a target whose only failure is the bare line "context deadline
#     exceeded", with no reproducer, hit a race in Go's fuzzing coordinator
#     at the end of -fuzztime (go.dev/issue/75804, fixed in Go 1.27): it is
#     reported loudly, but does not fail the run, as it says nothing about
#     the code under test;
#   - any other failure (a build error, a failing seed, a panic that wrote
#     nothing): fail.
# GO names the go command (default: go).
set -uo pipefail
go_cmd=${GO:-go}
fuzztime=${1:-10s}
failed=() faults=()

# corpus lists the files of a target's corpus directory, one per line.
corpus() { ls -1 "$1" 2>/dev/null | LC_ALL=C sort; }

# only_deadline_fault succeeds if the log's failure report is exactly the
# toolchain fault: a "--- FAIL: Fuzz..." line followed by the bare error,
# then the end of the test binary's output.
only_deadline_fault() {
  awk '
    /^--- FAIL: Fuzz/ { inreport = 1; fails++; next }
    inreport && /^FAIL$/ { inreport = 0; next }
    inreport { lines++; if ($0 ~ /^[ \t]+context deadline exceeded$/) deadline++ }
    END { exit !(fails == 1 && lines == 1 && deadline == 1) }
  ' "$1"
}

# The targets as the go command sees them ("<package> FuzzA FuzzB" lines):
# a search of the sources would also find fuzz functions inside strings.
if ! listing=$("$go_cmd" test -list '^Fuzz' ./...); then
  echo "fuzz: FAIL: cannot list the fuzz targets (see above)" >&2
  exit 1
fi
targets=$(awk '/^Fuzz/ { names = names " " $1; next }
               /^ok/ { if (names != "") print $2 names; names = "" }' <<<"$listing")
if [ -z "$targets" ]; then
  echo "fuzz: FAIL: no fuzz targets found" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r pkg names; do
  dir=$("$go_cmd" list -f '{{.Dir}}' "$pkg") || { failed+=("$pkg"); continue; }
  for name in $names; do
    testdata="$dir/testdata/fuzz/$name"
    echo "fuzz: $pkg $name for $fuzztime"
    before=$(corpus "$testdata")
    if "$go_cmd" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" 2>&1 | tee "$log"; then
      continue
    fi
    new=$(LC_ALL=C comm -13 <(echo "$before") <(corpus "$testdata") | sed '/^$/d')
    if [ -n "$new" ]; then
      echo "fuzz: FAIL: $name found a crasher. Reproducer(s), to commit as seeds once fixed:" >&2
      while IFS= read -r f; do
        echo "--- $testdata/$f" >&2
        cat "$testdata/$f" >&2
        echo "    re-run: go test -run='^$name/$f\$' $pkg" >&2
      done <<<"$new"
      failed+=("$name")
    elif only_deadline_fault "$log"; then
      faults+=("$name")
    else
      echo "fuzz: FAIL: $name failed without writing a reproducer (see above)" >&2
      failed+=("$name")
    fi
  done
done <<<"$targets"

for name in "${faults[@]}"; do
  cat >&2 <<MSG
fuzz: WARNING: $name ended with "context deadline exceeded" and wrote no
      reproducer: Go's fuzzing coordinator lost a race with -fuzztime
      (go.dev/issue/75804), not a finding. Not counted as a failure.
MSG
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAIL: ${failed[*]}" >&2
  exit 1
fi
if [ ${#faults[@]} -gt 0 ]; then
  echo "fuzz: ok, but ${#faults[@]} target(s) hit the toolchain fault (see the warnings above)"
else
  echo "fuzz: ok"
fi
