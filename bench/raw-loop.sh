#!/usr/bin/env bash
# The throughput baseline: COUNT tiny `-c copy` runs, PARALLEL at a time, by a plain shell loop.
# usage: raw-loop.sh MODE PARALLEL COUNT DIR [ARGSDIR]   (DIR holds in_v.mp4; outputs are written there and removed)
#   MODE ffmpeg          ffmpeg alone, with the arguments Rendition gives it
#        ffmpeg+ffprobe  ffmpeg, then the ffprobe Rendition runs on every output
#        bwrap           both, each wrapped the way the server wraps them (prlimit + bubblewrap); the driver writes
#                        those prefixes to ARGSDIR/sandbox-ffmpeg.args and sandbox-ffprobe.args, one argument per line
set -euo pipefail
mode=$1 par=$2 count=$3 dir=$4 argsdir=${5:-}
ffmpeg=$(command -v ffmpeg) ffprobe=$(command -v ffprobe)
cd "$dir"

bw_ff=() bw_probe=()
if [ "$mode" = bwrap ]; then
  mapfile -t bw_ff <"$argsdir/sandbox-ffmpeg.args"
  mapfile -t bw_probe <"$argsdir/sandbox-ffprobe.args"
fi

ff() { "$@" -hide_banner -nostdin -nostats -loglevel error -y -protocol_whitelist file -i in_v.mp4 -c copy "$out" </dev/null; }
# The entries are ProbeMapper.Entries (what the server asks ffprobe for).
entries='format=format_name,duration:stream=index,codec_type,codec_name,pix_fmt,width,height,avg_frame_rate,r_frame_rate,bit_rate,duration,nb_frames,sample_rate,channels:stream_disposition=attached_pic:stream_tags=BPS'
probe() { "$@" -v error -protocol_whitelist file -show_entries "$entries" -print_format json -i "$out" >/dev/null </dev/null; }

one() {
  local out="o$1.mp4"
  case $mode in
    ffmpeg) ff "$ffmpeg" ;;
    ffmpeg+ffprobe) ff "$ffmpeg" && probe "$ffprobe" ;;
    bwrap) ff "${bw_ff[@]}" "$ffmpeg" && probe "${bw_probe[@]}" "$ffprobe" ;;
    *) echo "unknown mode $mode" >&2; return 2 ;;
  esac
  rm -f "$out"
}

failed=0 running=0
for ((i = 0; i < count; i++)); do
  if ((running >= par)); then
    wait -n || failed=$((failed + 1))
    running=$((running - 1))
  fi
  one "$i" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=$((failed + 1))
  running=$((running - 1))
done
[ "$failed" -eq 0 ] || { echo "$failed of $count runs failed" >&2; exit 1; }
