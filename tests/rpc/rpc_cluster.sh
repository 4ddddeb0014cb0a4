#!/bin/sh
# bench/rpc-cluster.sh at small scale (tests/rpc/CMakeLists.txt): a tiny
# model, 4 requests per level at concurrency 1 and 2, 8 output tokens each;
# every request must succeed with exactly 8 tokens, on both servers, the
# workers must have served the front llama-server, and every process the
# script started must be gone when it ends. Loopback only; the script is
# bounded by `timeout` (its TERM trap stops the servers).
set -u
NAME=rpc_cluster
. "$(dirname "$0")/../lib_cli.sh"

# skip_or_fail REASON: SKIP (77), or a failure under TEAI_REQUIRE_LLAMA=1
# (.ci/run provisions llama.cpp with --build: the cluster must run there).
skip_or_fail() {
    if [ "${TEAI_REQUIRE_LLAMA:-}" = 1 ]; then
        echo "FAIL: $NAME: $1; TEAI_REQUIRE_LLAMA=1 requires it"
        exit 1
    fi
    skip_test "$NAME: $1"
}

has_feature curl || skip_test "$NAME: teai was built without libcurl (libcurl4-openssl-dev): no teai load"
bin=${LLAMA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/build/bin}
[ -x "$bin/llama-server" ] ||
    skip_or_fail "llama-server not built in $bin (run scripts/provision-llama.sh --build)"
[ -x "$bin/ggml-rpc-server" ] || [ -x "$bin/rpc-server" ] ||
    skip_or_fail "ggml-rpc-server not built in $bin (llama.cpp without GGML_RPC: run scripts/provision-llama.sh --build)"
command -v curl >/dev/null 2>&1 || skip_test "$NAME: the curl program is missing (the script polls /health with it)"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
mkdir -p "$D/work"
TMPDIR=$D/work SL_KEEP=1 LLAMA_BIN=$bin TEAI=$T TEAI_BENCH_DIR=$D \
    timeout -k 10 300 sh "$TEAI_SOURCE_DIR/bench/rpc-cluster.sh" --model "$M" --requests 4 --warmup 1 \
    --concurrency 1,2 --parallel 2 --input-len 16 --output-len 8 --threads 1 --timeout 60 \
    --out "$D/logs" >"$D/run.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "bench/rpc-cluster.sh exited $rc: $(tail -n 30 "$D/run.log")"

# every process it started is gone
pids=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' "$D/run.log")
[ "$(echo "$pids" | wc -w)" -eq 4 ] || fail "wanted 4 pids (2 workers, front, single node): $(cat "$D/run.log")"
for p in $pids; do
    ! kill -0 "$p" 2>/dev/null || {
        fail "process $p is still running after the script"
        kill "$p" 2>/dev/null
    }
done

# the table: both servers, both levels, 4 of 4 requests
for l in rpc-2-workers single-node; do
    for c in 1 2; do
        grep -q "^$l  *$c  *4/4 " "$D/run.log" || fail "no '$l $c 4/4' row: $(cat "$D/run.log")"
    done
done
[ -s "$D/logs/serving.csv" ] || fail "no serving.csv in $D/logs"

# the load logs: complete, 8 completion tokens in every measured request
for l in rpc-2-workers single-node; do
    set -- "$D"/logs/load-$l-*.jsonl
    if [ $# -ne 1 ] || [ ! -f "$1" ]; then
        fail "wanted one load log for $l in $D/logs: $*"
        continue
    fi
    tail -n 1 "$1" | grep -q '"type":"end","status":"complete"' || fail "$1 does not end complete: $(tail -n 1 "$1")"
    n=$(grep '"type":"request"' "$1" | grep -c '"warmup":false')
    [ "$n" -eq 8 ] || fail "$1: $n measured requests (wanted 8)"
    n8=$(grep '"type":"request"' "$1" | grep '"warmup":false' | grep '"ok":true' | grep -c '"completion_tokens":8[,}]')
    [ "$n8" -eq 8 ] || fail "$1: $n8 ok requests with 8 completion tokens (wanted 8): $(grep '"warmup":false' "$1" | head -n 2)"
done

# the workers served the front: each accepted a connection from it
n=0
for w in "$D"/work/*/worker1.log "$D"/work/*/worker2.log; do
    [ -f "$w" ] || continue
    n=$((n + 1))
    grep -q "Accepted client connection" "$w" || fail "$(basename "$w"): the front never connected: $(tail -n 5 "$w")"
done
[ $n -eq 2 ] || fail "wanted the two workers' logs under $D/work, found $n"

[ "$fails" -eq 0 ] || tail -n 20 "$D"/work/*/front.log 2>/dev/null
finish
