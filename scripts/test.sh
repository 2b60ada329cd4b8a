#!/usr/bin/env bash
# Runs every test project and ends with one line: "N passed, M failed" over all of them.
set -uo pipefail
config=${1:-Release}
results=TestResults
rm -rf "$results"
dotnet build Rendition.slnx -c "$config" --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }
# The S3-compatible server for the blob and S3 end-to-end tests; if it cannot start, those tests fail (never skip).
source "$(dirname "$0")/test-s3.sh"
s3_start
status=0
# The store suite runs on SQLite and on a real PostgreSQL; without one its PostgreSQL tests fail (they never skip).
source "$(dirname "$0")/test-postgres.sh"
# One trap for both: a second `trap ... EXIT` would replace the first and leave a server running.
trap 's3_stop; pg_stop_test_cluster' EXIT
pg_start_test_cluster || { echo "Could not start PostgreSQL for the tests." >&2; status=1; }
# One run per test project, each with its own TRX file, so the counts below add up every project. Projects not marked
# IsTestProject (the shared test host, tests/Rendition.Testing) hold no tests and are only built.
projects=()
for proj in tests/*/*.csproj; do
  grep -q '<IsTestProject>true</IsTestProject>' "$proj" && projects+=("$proj")
done
for proj in "${projects[@]}"; do
  name=$(basename "$proj" .csproj)
  dotnet test "$proj" -c "$config" --no-build --nologo --results-directory "$results" --logger "trx;LogFileName=$name.trx" 2>&1 | grep -vE '^\s*$'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
passed=0; failed=0
summary=()
for proj in "${projects[@]}"; do
  name=$(basename "$proj" .csproj)
  trx="$results/$name.trx"
  # A project that wrote no results (it crashed, or found no tests) counts as a failure, never as zero tests passed.
  if [ ! -f "$trx" ]; then failed=$((failed + 1)); summary+=("$name: no results"); continue; fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  short=${name#Rendition.}; summary+=("${short%.Tests} ${p:-0}")
done
echo "Per project: $(IFS=,; echo "${summary[*]}" | sed 's/,/, /g')"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "No test ran." >&2; fi
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
