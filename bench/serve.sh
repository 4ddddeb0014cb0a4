#!/bin/sh
# teai serve against llama-server on the same GGUF file, under load: `teai
# serve --parallel 8` and `llama-server -np 8` (same total context -c, same
# threads), one after the other, each measured with `teai load` at
# concurrency 1, 4 and 8 in the same run. Prints aggregate output tokens/s,
# TTFT p50/p99 and TPOT p50 for both, and the ratio teai / llama-server.
# Prints figures; passes nothing. Needs llama-server
# (scripts/provision-llama.sh --build).
#
#   bench/serve.sh [options]
#     --shape S          teai model synth shape (default tiny, widened by the
#                        options below; see teai model synth --help)
#     --type T           weight type (default q8_0)
#     --dim N --layers N --heads N --kv-heads N --ffn N --vocab-size N
#                        override the shape's sizes; with --shape tiny and none
#                        of them given: 768, 12, 12, 4, 2048 and Llama 2's
#                        tokenizer (32000 tokens) from the provisioned llama.cpp
#                        sources: about 100M parameters, 103 MB in q8_0
#     --model FILE       use FILE instead of a synthesized model
#     --requests N       measured requests per level (default 16)
#     --warmup N         warm-up requests per level (default 2)
#     --concurrency L    levels (default 1,4,8)
#     --parallel N       slots of each server (default 8)
#     --input-len N      prompt tokens (default 128)
#     --output-len N     completion tokens (default 64)
#     --threads N        threads of each server (default: all cores)
#     --ctx N            total context of each server (default parallel x 512)
#     --out DIR          load logs and serving.csv (default bench-data/serve-<UTC time>)
# Environment: TEAI (default build/teai), TEAI_BENCH_DIR (default bench-data),
# LLAMA_BIN (a folder with llama-server; default the provisioned build).
# With the defaults it takes 1 minute on 2 quiet cores (4 when other work shares them).
set -eu
cd "$(dirname "$0")/.."
SL_NAME=serve
. bench/serving-lib.sh

TEAI=${TEAI:-build/teai}
DIR=${TEAI_BENCH_DIR:-bench-data}
shape=tiny type=q8_0 model='' requests=16 warmup=2 levels=1,4,8 parallel=8
in_len=128 out_len=64 threads=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2) ctx='' out=''
sizes=
need() { [ $# -ge 2 ] || sl_die "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
    --shape) need "$@"; shape=$2; shift ;;
    --type) need "$@"; type=$2; shift ;;
    --dim | --layers | --heads | --kv-heads | --ffn | --vocab-size)
        need "$@"; sizes="$sizes $1 $2"; shift ;;
    --model) need "$@"; model=$2; shift ;;
    --requests) need "$@"; requests=$2; shift ;;
    --warmup) need "$@"; warmup=$2; shift ;;
    --concurrency) need "$@"; levels=$2; shift ;;
    --parallel) need "$@"; parallel=$2; shift ;;
    --input-len) need "$@"; in_len=$2; shift ;;
    --output-len) need "$@"; out_len=$2; shift ;;
    --threads) need "$@"; threads=$2; shift ;;
    --ctx) need "$@"; ctx=$2; shift ;;
    --out) need "$@"; out=$2; shift ;;
    -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0
        ;;
    *) echo "serve: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$ctx" ] || ctx=$((parallel * 512))
[ $((in_len + out_len + 16)) -le $((ctx / parallel)) ] ||
    sl_die "--input-len + --output-len do not fit a slot's context ($ctx / $parallel tokens)"

[ -x "$TEAI" ] || sl_die "$TEAI not found (build teai, or set TEAI)"
server=$(sl_llama_bin llama-server)
[ -n "$server" ] || sl_die "llama-server not built (scripts/provision-llama.sh --build, or set LLAMA_BIN)"

# The model: synthesized once into $DIR, named after its shape.
if [ -z "$model" ]; then
    vocab=$(sl_vocab "$shape")
    if [ "$shape" = tiny ] && [ -z "$sizes" ]; then
        sizes="--dim 768 --layers 12 --heads 12 --kv-heads 4 --ffn 2048"
        [ -n "$vocab" ] || sizes="$sizes --vocab-size 32000"
    fi
    tok=bytes
    [ -z "$vocab" ] || tok=$(basename "$vocab" .gguf | sed 's/^ggml-vocab-//')
    [ -n "$vocab" ] || sl_say "warning: no llama.cpp vocabulary (scripts/provision-llama.sh): synth's byte-level tokenizer makes prompts 4 to 5 times --input-len"
    model=$DIR/serve-$shape$(echo "$sizes" | tr -d ' -' | sed 's/dim/-d/;s/layers/-l/;s/kvheads/-kv/;s/heads/-h/;s/ffn/-f/;s/vocabsize/-v/')-$tok-$type.gguf
    # shellcheck disable=SC2086
    sl_synth "$model" "$shape" "$type" "$vocab" $sizes
fi
[ -f "$model" ] || sl_die "$model: no such file"
[ -n "$out" ] || out=$DIR/serve-$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$out"
SL_OUT=$out
sl_init

name=bench-model
load_args="--concurrency $levels --requests $requests --warmup $warmup --input-len $in_len
           --output-len $out_len --seed 1 --timeout 300 -q"
sl_say "model $model ($(du -h "$model" | cut -f1)), $threads threads, $parallel slots, -c $ctx,"
sl_say "  concurrency $levels, $requests requests per level ($warmup warm-up), $in_len prompt + $out_len output tokens"

sl_machine
# teai serve first, then llama-server: never both at once (they share the cores).
sl_spawn "$SL_WORK/teai.log" "$TEAI" serve -m "$model" --parallel "$parallel" -c "$ctx" -t "$threads" \
    --host 127.0.0.1 --port 0 --alias "$name" --queue 64 -q
teai_pid=$SL_PID
sl_wait_url "$teai_pid" "$SL_WORK/teai.log" 120
# shellcheck disable=SC2086
sl_load teai "$SL_URL" "$name" $load_args
sl_forget "$teai_pid"

sl_spawn "$SL_WORK/llama.log" "$server" -m "$model" -np "$parallel" -c "$ctx" -t "$threads" -tb "$threads" \
    --host 127.0.0.1 --port 0 --alias "$name"
llama_pid=$SL_PID
sl_wait_url "$llama_pid" "$SL_WORK/llama.log" 120
# shellcheck disable=SC2086
sl_load llama-server "$SL_URL" "$name" $load_args
sl_forget "$llama_pid"

echo
sl_table teai llama-server
echo
# teai / llama-server, level by level: output tokens/s (the goal is >= 1) and TTFT p99
awk -F '\t' '{ k = $2; if ($1 == "teai") { t[k] = $6; tt[k] = $8 } else if ($1 == "llama-server") { l[k] = $6; lt[k] = $8 }
               ks[k] = 1 }
     END { printf "%-14s %5s %16s %16s\n", "teai/llama", "conc", "out tok/s ratio", "TTFT p99 ratio"
           n = 0; for (k in ks) keys[++n] = k + 0
           for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (keys[j] < keys[i]) { x = keys[i]; keys[i] = keys[j]; keys[j] = x }
           for (i = 1; i <= n; i++) { k = keys[i]
             r = (l[k] + 0 > 0 && t[k] != "-") ? sprintf("%.2f", t[k] / l[k]) : "-"
             q = (lt[k] + 0 > 0 && tt[k] != "-") ? sprintf("%.2f", tt[k] / lt[k]) : "-"
             printf "%-14s %5s %16s %16s\n", "", k, r, q } }' "$SL_WORK/rows"
echo
sl_machine
sl_say "logs and serving.csv in $out"
