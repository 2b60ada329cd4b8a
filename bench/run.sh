#!/usr/bin/env bash
# make bench: builds Rendition (Release), starts it on 127.0.0.1 with a throwaway data directory, and measures it
# against raw ffmpeg on the same machine, in one run. Prints a Markdown table and writes it into bench/results.md.
#
# Settings (environment):
#   BENCH_SRC        tree whose server is measured (default: this repository)
#   BENCH_OUT        results file (default bench/results.md; "-" prints only)
#   BENCH_N=30       sequential tiny jobs (overhead)        BENCH_BURST=200    jobs submitted at once (throughput)
#   BENCH_WARMUP=60  jobs run first (JIT tier-up)           BENCH_HEAVY_REPS=5 heavy transcodes, each side
#   BENCH_WRK_SECONDS=10  BENCH_WRK_CONNECTIONS=64          BENCH_BIG_MB=2048  BENCH_POLL_MS=5  BENCH_HEAVY_POLL_MS=1000
#   BENCH_SECTIONS=overhead,throughput,heavy,api,memory,metadata,scaleout    BENCH_JSON=FILE    headline numbers as JSON too
#   BENCH_METADATA_MB=100  size of the ;FFMETADATA1 upload (metadata: RSS while a hostile upload is probed)
#   BENCH_WRK_WARMUP=10  BENCH_SCALE_BURST=60 (scale-out: jobs at once with 1, then 2 worker processes on PostgreSQL)
#   RENDITION_WORKERS (default: CPU count)  RENDITION_SANDBOX (passed on when set)  BENCH_KEEP=1 keeps the work dir
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${BENCH_SRC:-$here/..}" && pwd)
out=${BENCH_OUT:-$here/results.md}
[ "$out" = "-" ] && out=""
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for tool in ffmpeg ffprobe bwrap wrk dotnet; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make bench installs it: scripts/ensure-deps.sh bench)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rendition-bench.XXXXXX")
cleanup() {
  # The driver stops the server it started; this is the fallback if the driver itself was killed.
  if [ -s "$work/server.pid" ]; then kill "$(cat "$work/server.pid")" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: work directory kept: $work" >&2; else rm -rf "$work"; fi
}
# The scale-out part runs worker processes on PostgreSQL: a private throwaway cluster, as for the tests.
case "${BENCH_SECTIONS:-scaleout}" in
  *scaleout*)
    source "$here/../scripts/test-postgres.sh"
    pg_start_test_cluster >&2 || { echo "bench: could not start PostgreSQL for the scale-out part" >&2; exit 1; } ;;
esac
cleanup_all() { cleanup; if declare -F pg_stop_test_cluster >/dev/null; then pg_stop_test_cluster; fi; }
trap cleanup_all EXIT
trap 'exit 130' INT TERM

started=$SECONDS
echo "bench: building the server (Release) from $src and the bench driver..." >&2
dotnet publish "$src/src/Rendition.Server" -c Release -o "$work/server" --nologo -v quiet >&2
dotnet build "$here/Bench/Bench.csproj" -c Release -o "$work/driver" --nologo -v quiet >&2

commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$src" status --porcelain -- src 2>/dev/null)" ]; then commit="$commit + uncommitted changes in src/"; fi

echo "bench: built in $((SECONDS - started)) s; measuring (about 5 minutes on 2 cores)..." >&2
BENCH_SERVER_DLL="$work/server/rendition.dll" BENCH_WORK="$work" BENCH_OUT="$out" BENCH_COMMIT="$commit" BENCH_SRC="$src" \
  BENCH_LOOP_SCRIPT="$here/raw-loop.sh" BENCH_BUILD_SECONDS=$((SECONDS - started)) \
  timeout --kill-after=10 900 dotnet "$work/driver/rendition-bench.dll"
echo "bench: done in $((SECONDS - started)) s" >&2
