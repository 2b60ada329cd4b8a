#!/usr/bin/env bash
# The S3-compatible server the blob tests run against: s3rver (tests/s3, installed by ensure-deps.sh) on a free
# loopback port with a temporary data directory, its address exported as RENDITION_TEST_S3_ENDPOINT.
#   source scripts/test-s3.sh; s3_start; ...; s3_stop     (as scripts/test.sh does)
#   scripts/test-s3.sh dotnet test tests/Rendition.Blobs.Tests   (one command with the server around it)
s3_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

s3_start() {
  S3_TMP=$(mktemp -d -t rendition-s3-XXXXXX)
  mkdir -p "$S3_TMP/data"
  node "$s3_root/tests/s3/server.js" "$S3_TMP/data" "$S3_TMP/port" >"$S3_TMP/log" 2>&1 &
  S3_PID=$!
  for _ in $(seq 1 150); do
    [ -s "$S3_TMP/port" ] && break
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$S3_TMP/port" ]; then
    # The S3 tests then fail on the missing endpoint (they never skip), so say why here.
    echo "The test S3 server did not start (run scripts/ensure-deps.sh test):" >&2
    cat "$S3_TMP/log" >&2
    s3_stop
    return 1
  fi
  export RENDITION_TEST_S3_ENDPOINT="http://127.0.0.1:$(cat "$S3_TMP/port")"
}

s3_stop() {
  if [ -n "${S3_PID:-}" ]; then
    kill "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null
    S3_PID=
  fi
  [ -n "${S3_TMP:-}" ] && rm -rf "$S3_TMP"
  S3_TMP=
  unset RENDITION_TEST_S3_ENDPOINT
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  s3_start || exit 1
  trap s3_stop EXIT
  "$@"
fi
