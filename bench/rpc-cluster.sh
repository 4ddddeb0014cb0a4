#!/bin/sh
# A llama.cpp RPC cluster on one machine, under load: two ggml-rpc-server
# workers on loopback (free ports), `llama-server --rpc` in front of them
# (the model's layers split between the workers), and a single-node
# llama-server on the same GGUF file; `teai load` against each, one after the
# other, in the same run. Prints request and output-token throughput, TTFT
# p50/p99 and TPOT p50 for both. On one machine the workers share its cores,
# so this measures what the RPC hops cost, not what a cluster gains;
# docs/distributed.md says how to run the same across hosts.
# Needs llama-server and ggml-rpc-server (scripts/provision-llama.sh --build).
#
#   bench/rpc-cluster.sh [options]
#     --shape S          teai model synth shape (default tiny, widened to about
#                        40M parameters with Llama 2's tokenizer from the
#                        provisioned llama.cpp sources; see teai model synth --help)
#     --type T           weight type (default q8_0)
#     --model FILE       use FILE instead of a synthesized model
#     --requests N       measured requests per level (default 16)
#     --warmup N         warm-up requests per level (default 1)
#     --concurrency L    levels (default 1,4)
#     --parallel N       slots of each llama-server (default 4)
#     --input-len N      prompt tokens (default 64)
#     --output-len N     completion tokens (default 32)
#     --threads N        threads of each worker and of the front (default: cores / 2,
#                        at least 1)
#     --single-threads N threads of the single node (default: twice --threads,
#                        the workers' cores together)
#     --ctx N            total context of each llama-server (default
#                        parallel x (4 x (input + output) + 256))
#     --out DIR          load logs and serving.csv (default bench-data/rpc-cluster-<UTC time>)
#     --timeout S        seconds a server may take to start (default 120)
# Environment: TEAI (default build/teai), TEAI_BENCH_DIR (default bench-data),
# LLAMA_BIN (a folder with llama-server and ggml-rpc-server or rpc-server;
# default the provisioned build), SL_KEEP=1 keeps the servers' logs.
set -eu
cd "$(dirname "$0")/.."
SL_NAME='rpc-cluster'
. bench/serving-lib.sh

TEAI=${TEAI:-build/teai}
DIR=${TEAI_BENCH_DIR:-bench-data}
shape=tiny type=q8_0 model='' requests=16 warmup=1 levels=1,4 parallel=4
in_len=64 out_len=32 out='' start_timeout=120 ctx='' single_threads=''
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
threads=$((ncpu / 2))
[ "$threads" -ge 1 ] || threads=1
need() { [ $# -ge 2 ] || sl_die "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
    --shape) need "$@"; shape=$2; shift ;;
    --type) need "$@"; type=$2; shift ;;
    --model) need "$@"; model=$2; shift ;;
    --requests) need "$@"; requests=$2; shift ;;
    --warmup) need "$@"; warmup=$2; shift ;;
    --concurrency) need "$@"; levels=$2; shift ;;
    --parallel) need "$@"; parallel=$2; shift ;;
    --input-len) need "$@"; in_len=$2; shift ;;
    --output-len) need "$@"; out_len=$2; shift ;;
    --threads) need "$@"; threads=$2; shift ;;
    --out) need "$@"; out=$2; shift ;;
    --timeout) need "$@"; start_timeout=$2; shift ;;
    --ctx) need "$@"; ctx=$2; shift ;;
    --single-threads) need "$@"; single_threads=$2; shift ;;
    -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0
        ;;
    *) echo "rpc-cluster: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$single_threads" ] || single_threads=$((threads * 2))
# Room for each slot: a byte-level tokenizer (teai model synth's own) makes
# more tokens of a prompt than the --input-len the client aimed at.
[ -n "$ctx" ] || ctx=$((parallel * (4 * (in_len + out_len) + 256)))

[ -x "$TEAI" ] || sl_die "$TEAI not found (build teai, or set TEAI)"
server=$(sl_llama_bin llama-server)
rpc=$(sl_llama_bin ggml-rpc-server)
[ -n "$rpc" ] || rpc=$(sl_llama_bin rpc-server)
[ -n "$server" ] || sl_die "llama-server not built (scripts/provision-llama.sh --build, or set LLAMA_BIN)"
[ -n "$rpc" ] || sl_die "ggml-rpc-server not built (scripts/provision-llama.sh --build builds it with GGML_RPC=ON, or set LLAMA_BIN)"

if [ -z "$model" ]; then
    vocab=$(sl_vocab "$shape")
    tok=bytes
    [ -z "$vocab" ] || tok=$(basename "$vocab" .gguf | sed 's/^ggml-vocab-//')
    sizes=
    [ "$shape" = tiny ] && sizes="--dim 512 --layers 8 --heads 8 --kv-heads 4 --ffn 1536"
    model=$DIR/rpc-$shape-$tok-$type.gguf
    [ -z "$sizes" ] || model=$DIR/rpc-$shape-d512-l8-$tok-$type.gguf
    # shellcheck disable=SC2086
    sl_synth "$model" "$shape" "$type" "$vocab" $sizes
fi
[ -f "$model" ] || sl_die "$model: no such file"
[ -n "$out" ] || out=$DIR/rpc-cluster-$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$out"
SL_OUT=$out
sl_init

name=bench-model
load_args="--concurrency $levels --requests $requests --warmup $warmup --input-len $in_len
           --output-len $out_len --seed 1 --timeout 120 -q"
sl_say "model $model ($(du -h "$model" | cut -f1)), $parallel slots, -c $ctx;"
sl_say "  $threads threads per worker, $single_threads on the single node"

sl_machine
# The cluster: two workers, the front llama-server offloading every layer
# (-ngl 99) to them; ggml splits the layers in proportion to the memory each
# worker reports (equal here).
sl_rpc_worker "$rpc" "$threads" "$SL_WORK/worker1.log"
w1=$SL_PID p1=$SL_PORT
sl_say "worker 1: $rpc on 127.0.0.1:$p1 (pid $w1)"
sl_rpc_worker "$rpc" "$threads" "$SL_WORK/worker2.log"
w2=$SL_PID p2=$SL_PORT
sl_say "worker 2: $rpc on 127.0.0.1:$p2 (pid $w2)"
sl_spawn "$SL_WORK/front.log" "$server" -m "$model" --rpc "127.0.0.1:$p1,127.0.0.1:$p2" -ngl 99 \
    -np "$parallel" -c "$ctx" -t "$threads" --host 127.0.0.1 --port 0 --alias "$name"
front=$SL_PID
sl_say "front: llama-server --rpc 127.0.0.1:$p1,127.0.0.1:$p2 (pid $front)"
sl_wait_url "$front" "$SL_WORK/front.log" "$start_timeout"
# shellcheck disable=SC2086
sl_load rpc-2-workers "$SL_URL" "$name" $load_args
sl_forget "$front"
sl_forget "$w2"
sl_forget "$w1"

# The same file on one llama-server, no RPC.
sl_spawn "$SL_WORK/single.log" "$server" -m "$model" -np "$parallel" -c "$ctx" -t "$single_threads" \
    --host 127.0.0.1 --port 0 --alias "$name"
single=$SL_PID
sl_say "single node: llama-server (pid $single)"
sl_wait_url "$single" "$SL_WORK/single.log" "$start_timeout"
# shellcheck disable=SC2086
sl_load single-node "$SL_URL" "$name" $load_args
sl_forget "$single"

echo
sl_table rpc-2-workers single-node
echo
sl_machine
sl_say "logs and serving.csv in $out"
