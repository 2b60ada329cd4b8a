#!/usr/bin/env bash
# Installs the system packages a target needs when they are missing: with apt as root, else says what to install.
set -euo pipefail
target=${1:-run}

need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# bubblewrap is the OS sandbox around every ffmpeg run, and libseccomp2 compiles the seccomp filter it loads;
# taskset (util-linux) bounds a job's CPUs.
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libseccomp\.so\.2' || need+=(libseccomp2)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
# System fonts for drawtext fontfile= and subtitles fontsdir= (the policy allows /usr/share/fonts, read-only in the sandbox).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "$target" = test ] || [ "$target" = bench ]; then
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v jq >/dev/null 2>&1 || need+=(jq)
fi
if [ "$target" = test ]; then
  # The RenderIO quick-start examples are run unchanged in five languages.
  command -v python3 >/dev/null 2>&1 && python3 -c 'import requests' >/dev/null 2>&1 || need+=(python3 python3-requests)
  command -v php >/dev/null 2>&1 && php -r 'exit(function_exists("curl_init") ? 0 : 1);' >/dev/null 2>&1 || need+=(php-cli php-curl)
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  # npm installs s3rver, the S3-compatible server the blob tests run against (tests/s3).
  command -v npm >/dev/null 2>&1 || need+=(npm)
  command -v tsc >/dev/null 2>&1 || need+=(node-typescript)
  # The seccomp tests make denied calls inside the sandbox with perl's syscall() and util-linux's unshare (no compiler).
  command -v perl >/dev/null 2>&1 || need+=(perl-base)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  # The store suite runs against a private PostgreSQL cluster that scripts/test-postgres.sh starts from these binaries.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ "$target" = bench ]; then
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v jq >/dev/null 2>&1 || need+=(jq)
fi
command -v dotnet >/dev/null 2>&1 || { echo "The .NET SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2; exit 1; }

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need[*]} with apt-get..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing: ${need[*]}. Install them first, e.g.: sudo apt-get install ${need[*]}" >&2
    # Without bubblewrap or libseccomp2 the server starts only with RENDITION_SANDBOX=off (trusted tenants only);
    # without ffmpeg it cannot run at all.
    for p in "${need[@]}"; do [ "$p" = bubblewrap ] || [ "$p" = libseccomp2 ] || exit 1; done
  fi
fi

if [ "$target" = test ]; then
  # The locked version of s3rver, installed once into tests/s3/node_modules (not committed).
  s3dir=$(cd "$(dirname "$0")/.." && pwd)/tests/s3
  if [ ! -f "$s3dir/node_modules/s3rver/package.json" ] || [ "$s3dir/package-lock.json" -nt "$s3dir/node_modules/.package-lock.json" ]; then
    echo "Installing the test S3 server (s3rver) with npm..."
    npm ci --prefix "$s3dir" --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
