#!/usr/bin/env bash
# Starts the published server on the embedded default and prints a working API key and a curl line.
set -euo pipefail
out=${1:-out/rendition}
export RENDITION_DATA_DIR=${RENDITION_DATA_DIR:-./data}
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://localhost:8080}
mkdir -p "$RENDITION_DATA_DIR"
# A development key kept beside the data so every `make run` can print one that works.
keyfile="$RENDITION_DATA_DIR/dev-api-key"
if [ -z "${RENDITION_BOOTSTRAP_API_KEY:-}" ]; then
  if [ ! -s "$keyfile" ]; then
    (umask 077; echo "ffsk_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$keyfile")
  fi
  export RENDITION_BOOTSTRAP_API_KEY=$(cat "$keyfile")
fi
base=${RENDITION_PUBLIC_URL:-${ASPNETCORE_URLS%%;*}}
cat <<MSG

  Rendition is starting on $base (data in $RENDITION_DATA_DIR)
  API key: $RENDITION_BOOTSTRAP_API_KEY

  Try it (a generated test video, so it works offline; use "input_files" with your URLs for real work):
    curl -s -X POST $base/api/v1/run-ffmpeg-command \\
      -H "X-API-KEY: $RENDITION_BOOTSTRAP_API_KEY" -H "Content-Type: application/json" \\
      -d '{"input_files":{},"output_files":{"out_video":"hello.webm"},"ffmpeg_command":"-f lavfi -i testsrc2=s=640x360:d=3 -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}"}'
  then poll with the command_id it answers:
    curl -s $base/api/v1/commands/COMMAND_ID -H "X-API-KEY: $RENDITION_BOOTSTRAP_API_KEY"

MSG
exec dotnet "$out/rendition.dll" serve
