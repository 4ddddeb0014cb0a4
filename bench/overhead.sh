#!/bin/sh
# teai's own per-token overhead in `teai bench` on the native backend: the time
# spent handling each token event (writing its log line, progress) beside the
# decode step it follows, on a synthesized Llama-3.2-1B-shaped model. The
# target is under 1% of the step time. Prints figures; passes nothing.
#   bench/overhead.sh [THREADS]
set -eu
cd "$(dirname "$0")/.."
TEAI=${TEAI:-build/teai}
T=${1:-2}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$TEAI" bench --backend native --size 1B --synthetic -t "$T" -n 64 --repetitions 3 --warmup 1 \
    --output-dir "$OUT" | grep -E "decode|token latency|overhead"
