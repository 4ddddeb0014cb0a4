#!/bin/sh
# teai load against real servers on loopback: teai serve (the request and
# token counts of the load log against the server's own log lines) and
# llama-server (against its /metrics counters; with ignore_eos each request
# gets exactly its max_tokens). llama-server missing: a skip of that part,
# a failure under TEAI_REQUIRE_LLAMA=1.
set -u
NAME=load_servers
. "$(dirname "$0")/../lib_cli.sh"

has_feature curl || skip_test "libcurl missing: teai was built without it (libcurl4-openssl-dev)"
has_feature cjson || skip_test "cJSON missing: teai was built without it (libcjson-dev)"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny --layers 1 -o "$M"

# sum KEY FILE: the sum of "KEY":N over the ok request lines of a load log
sum() {
    grep '"type":"request"' "$2" | grep '"ok":true' | grep -o "\"$1\":[0-9]*" |
        awk -F: '{s += $2} END {print s + 0}'
}
# wait_for PATTERN FILE: up to 60 s
wait_for() {
    _i=0
    while [ $_i -lt 600 ] && ! grep -q "$1" "$2" 2>/dev/null; do
        sleep 0.1
        _i=$((_i + 1))
    done
    grep -q "$1" "$2" 2>/dev/null
}

# ---- teai serve --------------------------------------------------------------
if has_feature server || has_feature microhttpd; then
    "$T" serve -m "$M" --port 0 -t 1 --queue 16 2>"$D/serve.err" &
    spid=$!
    if wait_for "listening on" "$D/serve.err"; then
        port=$(grep "listening on" "$D/serve.err" | sed 's/.*127.0.0.1:\([0-9]*\).*/\1/')
        expect 0 "$T" load --base-url "http://127.0.0.1:$port" --concurrency 1,3 --requests 6 \
            --warmup 1 --input-len 12 --output-len 6 --timeout 120 --out "$D/serve-logs"
        log=$(sed -n 's/^teai load: log //p' "$D/out")
        [ -f "$log" ] || fail "teai serve: no log ($(cat "$D/out"))"
        kill -INT $spid
        wait $spid
        # every request, warm-up ones included, is a line of the server's log
        n_load=$(grep '"type":"request"' "$log" | grep -c '"ok":true')
        n_srv=$(grep -c ' 200 stream .*prompt + ' "$D/serve.err")
        [ "$n_load" -eq 14 ] || fail "teai serve: $n_load requests ok, wanted 14: $(grep '"ok":false' "$log" | head -3)"
        [ "$n_load" -eq "$n_srv" ] || fail "teai serve: $n_load requests in the load log, $n_srv in the server's"
        srv_p=$(sed -n 's/.*: \([0-9]*\) prompt + [0-9]* tokens.*/\1/p' "$D/serve.err" | awk '{s += $1} END {print s + 0}')
        srv_c=$(sed -n 's/.*: [0-9]* prompt + \([0-9]*\) tokens.*/\1/p' "$D/serve.err" | awk '{s += $1} END {print s + 0}')
        [ "$(sum prompt_tokens "$log")" -eq "$srv_p" ] || fail "teai serve: prompt tokens $(sum prompt_tokens "$log") against the server's $srv_p"
        [ "$(sum completion_tokens "$log")" -eq "$srv_c" ] || fail "teai serve: completion tokens $(sum completion_tokens "$log") against the server's $srv_c"
        [ "$srv_c" -gt 0 ] || fail "teai serve: no tokens generated"
        tail -n 1 "$log" | grep -q '"status":"complete"' || fail "teai serve: log does not end complete"
    else
        fail "teai serve did not start: $(cat "$D/serve.err")"
        kill $spid 2>/dev/null
    fi
else
    echo "skip: teai serve: teai was built without its server"
fi

# ---- llama-server --------------------------------------------------------------
LS=${TEAI_LLAMA_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/build/bin/llama-server}
if [ ! -x "$LS" ]; then
    if [ "${TEAI_REQUIRE_LLAMA:-}" = 1 ]; then
        fail "llama-server: $LS not found (TEAI_REQUIRE_LLAMA=1; scripts/provision-llama.sh --build)"
    else
        echo "skip: llama-server: $LS not found (scripts/provision-llama.sh --build makes it)"
    fi
    finish
fi
command -v curl >/dev/null || skip_test "curl (the program) is missing: it reads llama-server's /metrics"
started=0
for try in 1 2 3 4 5; do # a free port: llama-server has no port 0
    port=$((20000 + ($$ * 7 + try * 131) % 20000))
    "$LS" -m "$M" -c 1024 -np 2 -t 2 --host 127.0.0.1 --port $port --metrics >"$D/ls.log" 2>&1 &
    lpid=$!
    i=0
    while [ $i -lt 300 ] && kill -0 $lpid 2>/dev/null; do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && started=1 && break
        sleep 0.1
        i=$((i + 1))
    done
    [ $started -eq 1 ] && break
    kill $lpid 2>/dev/null
    wait $lpid 2>/dev/null
done
if [ $started -ne 1 ]; then
    fail "llama-server did not start: $(tail -5 "$D/ls.log")"
    finish
fi
# --concurrency with --rate is refused: run the levels in two calls
expect 2 "$T" load --base-url "http://127.0.0.1:$port" --concurrency 2 --rate 8
expect 0 "$T" load --base-url "http://127.0.0.1:$port/v1" --concurrency 2 --requests 8 \
    --input-len 16 --output-len 8 --timeout 120 --out "$D/ls-logs"
expect 0 "$T" load --base-url "http://127.0.0.1:$port" --endpoint chat --rate 8 --requests 8 \
    --input-len 16 --output-len 8 --timeout 120 --out "$D/ls-logs"
curl -sf "http://127.0.0.1:$port/metrics" >"$D/metrics" || fail "llama-server: no /metrics"
kill $lpid
wait $lpid 2>/dev/null
metric() { sed -n "s/^llamacpp:$1 \([0-9.]*\)\$/\1/p" "$D/metrics" | cut -d. -f1; }
n_ok=0
c_sum=0
p_sum=0
for log in "$D"/ls-logs/load-*.jsonl; do
    n_ok=$((n_ok + $(grep '"type":"request"' "$log" | grep -c '"ok":true')))
    c_sum=$((c_sum + $(sum completion_tokens "$log")))
    p_sum=$((p_sum + $(sum prompt_tokens "$log")))
    tail -n 1 "$log" | grep -q '"status":"complete"' || fail "llama-server: $log does not end complete"
    ! grep '"type":"request"' "$log" | grep -v -q '"completion_tokens":8,' ||
        fail "llama-server: a request without exactly 8 tokens (ignore_eos): $(grep -v '"completion_tokens":8,' "$log" | head -2)"
done
[ "$n_ok" -eq 16 ] || fail "llama-server: $n_ok requests ok, wanted 16"
[ "$c_sum" -eq "$(metric tokens_predicted_total)" ] ||
    fail "llama-server: $c_sum completion tokens in the logs, $(metric tokens_predicted_total) by /metrics"
# prompt tokens: those it processed plus those its cache held
cached=$(metric prompt_tokens_cached_total)
srv_p=$(($(metric prompt_tokens_total) + ${cached:-0}))
[ "$p_sum" -eq "$srv_p" ] || fail "llama-server: $p_sum prompt tokens in the logs, $srv_p by /metrics"
finish
