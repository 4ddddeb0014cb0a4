#!/bin/sh
# What teai load itself costs, against tests/load/timing_server on loopback:
#  1. a server that streams instantly (no delays): every request at 1 and at
#     256 streams is pure overhead (client, kernel, test server), and the
#     rate the client reaches at 256 streams is the most it can absorb;
#  2. a paced server (first token at once, then one every 10 ms) at 256
#     streams: TTFT and inter-token gaps beyond the script (0 ms, 10 ms) are
#     the latency the client adds under that load.
# For each run: the client's CPU time (user + system of the child, the
# shell's `times`, i.e. getrusage), per request and per token sent (warm-up
# included) and as a share of one core over the process's wall time; the
# test server's CPU time (from /proc) beside it.
#   bench/load-client.sh [BUILD_DIR] [REQUESTS] [TOKENS]
# (default: build, 2560 requests of 128 tokens.)
set -eu
B=${1:-build}
N=${2:-2560}
TOK=${3:-128}
cmake --build "$B" --target teai timing_server >/dev/null
T=$B/teai
S=$B/tests/load/timing_server
W=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$W"' EXIT
tck=$(getconf CLK_TCK)
start_server() { # start_server ARGS...
    [ -n "$spid" ] && kill $spid 2>/dev/null && wait $spid 2>/dev/null || true
    rm -f "$W/port"
    "$S" "$@" --lifetime 600 >"$W/port" 2>/dev/null &
    spid=$!
    i=0
    while [ $i -lt 100 ] && ! grep -q port "$W/port" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    port=$(sed -n 's/port //p' "$W/port")
}
srv_cpu() { awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$spid/stat"; }
secs() { echo "$1" | awk -Fm '{sub("s", "", $2); print $1 * 60 + $2}'; } # 1m2.5s -> 62.5
run() { # run TITLE CONCURRENCY REQUESTS TOKENS [WARMUP]
    s0=$(srv_cpu)
    t0=$(date +%s.%N)
    (
        "$T" load --base-url "http://127.0.0.1:$port" --concurrency "$2" --requests "$3" \
            --output-len "$4" --input-len 64 --warmup "${5:-0}" --out "$W/logs" >"$W/out"
        times >"$W/times"
    )
    t1=$(date +%s.%N)
    u=$(secs "$(sed -n 2p "$W/times" | cut -d' ' -f1)")
    s=$(secs "$(sed -n 2p "$W/times" | cut -d' ' -f2)")
    line=$(grep "concurrency $2:" "$W/out")
    wall=$(echo "$line" | sed 's/.* in \([0-9.]*\) s:.*/\1/')
    echo "$1, $2 streams: $3 requests x $4 tokens in $wall s" \
        "($(echo "$line" | sed 's/.* s: \([0-9.]* req\/s, [0-9.]* tok\/s\).*/\1/'))"
    # per request sent (warm-up included) and over the whole process's wall time
    echo "  client CPU ${u} s user + ${s} s system = $(awk -v u="$u" -v s="$s" -v n="$(($3 + ${5:-0}))" \
        -v t="$4" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
        'BEGIN {printf "%.0f us/request, %.2f us/token, %.0f%% of one core over %.2f s", 1e6*(u+s)/n, 1e6*(u+s)/(n*t), 100*(u+s)/w, w}');" \
        "server CPU $(awk -v a="$s0" -v b="$(srv_cpu)" 'BEGIN {printf "%.2f", b - a}') s"
    echo "  seen by the client: $(echo "$line" | sed 's/.*out; //')"
}
start_server --ttft-ms 0 --itl-ms 0
run "instant server" 1 $((N / 20)) "$TOK"
run "instant server" 256 "$N" "$TOK"
start_server --ttft-ms 0 --itl-ms 10
# a first round of 256 warm-up requests opens the connections (and the
# server's threads): left out, as a long-running client would see it
run "paced server (TTFT 0, ITL 10 ms), after 256 warm-up requests" 256 $((N * 2 / 5)) \
    $((TOK / 4)) 256
