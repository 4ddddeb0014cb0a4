# Shared by bench/serve.sh and bench/rpc-cluster.sh (sourced, POSIX sh):
# servers started on loopback and always stopped, `teai load` runs, and the
# comparison table read from the runs' serving.csv.
#
# The sourcing script sets SL_NAME (its name, for messages) and TEAI, then
# calls sl_init; every process started with sl_spawn is stopped on exit,
# Ctrl-C or SIGTERM.

sl_say() { echo "$SL_NAME: $*"; }
sl_die() {
    echo "$SL_NAME: error: $*" >&2
    exit 1
}

SL_PIDS=
SL_WORK=

SL_LOAD_PID=

# sl_stop PID [SIGNAL]: stops PID: SIGNAL (default TERM), then SIGKILL after 10 s.
sl_stop() {
    kill -0 "$1" 2>/dev/null || {
        wait "$1" 2>/dev/null || true
        return 0
    }
    kill -"${2:-TERM}" "$1" 2>/dev/null || true
    _sl_w=0
    while kill -0 "$1" 2>/dev/null && [ $_sl_w -lt 100 ]; do
        sleep 0.1
        _sl_w=$((_sl_w + 1))
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

sl_cleanup() {
    # a running teai load first, with SIGINT: it writes what it measured
    # and ends its log as interrupted
    if [ -n "$SL_LOAD_PID" ]; then sl_stop "$SL_LOAD_PID" INT; fi
    SL_LOAD_PID=
    # the last started first: llama-server before its RPC workers
    _sl_rev=
    for _sl_p in $SL_PIDS; do _sl_rev="$_sl_p $_sl_rev"; done
    for _sl_p in $_sl_rev; do sl_stop "$_sl_p"; done
    SL_PIDS=
    if [ -n "$SL_WORK" ] && [ "${SL_KEEP:-0}" != 1 ]; then rm -rf "$SL_WORK"; fi
}

# Makes the work folder ($SL_WORK: server logs) and sets the traps.
sl_init() {
    SL_WORK=$(mktemp -d "${TMPDIR:-/tmp}/teai-$SL_NAME.XXXXXX")
    trap sl_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    # output into a closed pipe (bench/serve.sh | head) must stop the servers too
    trap 'exit 141' PIPE
}

# sl_spawn LOG CMD ARGS...: starts CMD in the background, output to LOG;
# SL_PID gets its process id (stopped at exit).
sl_spawn() {
    _sl_log=$1
    shift
    : >"$_sl_log" # there before the child's own redirection, for the waits that read it
    "$@" >"$_sl_log" 2>&1 </dev/null &
    SL_PID=$!
    SL_PIDS="$SL_PIDS $SL_PID"
}

# sl_forget PID: stops PID now and takes it off the exit list.
sl_forget() {
    sl_stop "$1"
    _sl_keep=
    for _sl_p in $SL_PIDS; do [ "$_sl_p" = "$1" ] || _sl_keep="$_sl_keep $_sl_p"; done
    SL_PIDS=$_sl_keep
}

# sl_health URL: 0 when URL/health answers 200.
sl_health() {
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1/health" 2>/dev/null)" = 200 ]
}

# sl_wait_url PID LOG SECONDS: waits until LOG names the server's address
# ("listening on http://127.0.0.1:PORT", as llama-server and teai serve say it)
# and /health answers 200 (llama-server answers 503 while it loads the
# model). Sets SL_URL; fails (with the log's tail) when PID exits or time runs out.
sl_wait_url() {
    _sl_n=0
    SL_URL=
    while [ $_sl_n -lt $(($3 * 10)) ]; do
        if ! kill -0 "$1" 2>/dev/null; then
            tail -n 15 "$2" >&2
            sl_die "the server exited before it was ready (log above)"
        fi
        if [ -z "$SL_URL" ]; then
            SL_URL=$(sed -n 's|.*listening on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$2" | head -n 1)
        fi
        if [ -n "$SL_URL" ] && sl_health "$SL_URL"; then return 0; fi
        sleep 0.1
        _sl_n=$((_sl_n + 1))
    done
    tail -n 15 "$2" >&2
    sl_die "the server was not ready within $3 s (log above)"
}

# sl_listening PORT: 0 when something listens on 127.0.0.1:PORT (or any
# address) over TCP, read from /proc/net/tcp (state 0A). Connecting instead
# would take one of ggml-rpc-server's connections (it serves one at a time).
sl_listening() {
    _sl_hex=$(printf '%04X' "$1")
    awk -v p=":$_sl_hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
        /proc/net/tcp 2>/dev/null
}

# sl_rpc_worker BIN THREADS LOG: starts a ggml-rpc-server on a free loopback
# port (it cannot choose one itself: up to 20 tries). Sets SL_PID, SL_PORT.
sl_rpc_worker() {
    _sl_try=0
    while [ $_sl_try -lt 20 ]; do
        _sl_try=$((_sl_try + 1))
        _sl_ns=$(date +%N | sed 's/^0*//;s/^$/0/')
        SL_PORT=$((20000 + ($$ * 31 + _sl_try * 997 + _sl_ns / 1000) % 40000))
        sl_listening "$SL_PORT" && continue
        sl_spawn "$3" "$1" -H 127.0.0.1 -p "$SL_PORT" -t "$2"
        _sl_n=0
        while [ $_sl_n -lt 100 ] && kill -0 "$SL_PID" 2>/dev/null && ! sl_listening "$SL_PORT"; do
            sleep 0.1
            _sl_n=$((_sl_n + 1))
        done
        if kill -0 "$SL_PID" 2>/dev/null && sl_listening "$SL_PORT"; then return 0; fi
        sl_forget "$SL_PID"
        grep -q "Failed to create server socket" "$3" || {
            tail -n 15 "$3" >&2
            sl_die "$1 did not start (log above)"
        }
    done
    sl_die "no free port for $1 in 20 tries"
}

# sl_load LABEL URL MODEL_NAME ARGS...: one `teai load` run into $SL_OUT;
# its summary lines are shown as they come. It runs in the background and
# is waited for, so that a signal to this script stops it and the servers
# at once (a foreground child would delay the trap until it ended).
sl_load() {
    _sl_label=$1 _sl_url=$2 _sl_model=$3
    shift 3
    sl_say "teai load against $_sl_label ($_sl_url)"
    "$TEAI" load --base-url "$_sl_url" --model-name "$_sl_model" --label "$_sl_label" \
        --out "$SL_OUT" "$@" </dev/null &
    SL_LOAD_PID=$!
    _sl_rc=0
    wait "$SL_LOAD_PID" || _sl_rc=$?
    SL_LOAD_PID=
    [ "$_sl_rc" -eq 0 ] || sl_die "teai load against $_sl_label failed (exit $_sl_rc)"
}

# sl_table LABEL...: collates $SL_OUT's load logs into $SL_OUT/serving.csv
# (teai collate: the one definition of every figure) and prints one row per
# label and level, in the order the labels are given.
sl_table() {
    "$TEAI" collate --dir "$SL_OUT" >"$SL_WORK/collate.log" 2>&1 || {
        cat "$SL_WORK/collate.log" >&2
        sl_die "teai collate --dir $SL_OUT failed"
    }
    [ -s "$SL_OUT/serving.csv" ] || sl_die "teai collate wrote no $SL_OUT/serving.csv"
    sl_csv_rows "$SL_OUT/serving.csv" >"$SL_WORK/rows"
    printf '%-14s %5s %5s %9s %10s %10s %10s %10s\n' server conc ok/req "req/s" "out tok/s" \
        "TTFT p50" "TTFT p99" "TPOT p50"
    printf '%-14s %5s %5s %9s %10s %10s %10s %10s\n' "" "" "" "" "" ms ms ms
    for _sl_l in "$@"; do
        awk -F '\t' -v l="$_sl_l" '$1 == l' "$SL_WORK/rows" | sort -t "$(printf '\t')" -k2,2n |
            awk -F '\t' '{ printf "%-14s %5s %5s %9s %10s %10s %10s %10s\n", $1, $2, $3 "/" $4,
                           $5, $6, $7, $8, $9 }'
    done
}

# sl_csv_rows FILE: serving.csv (RFC 4180) -> tab-separated label,
# concurrency, ok, requests, request_throughput, output_throughput,
# ttft_p50_ms, ttft_p99_ms, tpot_p50_ms, tpot_p99_ms (numbers rounded).
sl_csv_rows() {
    awk '
    # splits one CSV record (no newlines inside fields in serving.csv) into f[]
    function split_csv(line, f,    n, i, c, q, cur) {
        n = 0; cur = ""; q = 0
        for (i = 1; i <= length(line); i++) {
            c = substr(line, i, 1)
            if (q) {
                if (c == "\"") {
                    if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0
                } else cur = cur c
            } else if (c == "\"") q = 1
            else if (c == ",") { f[++n] = cur; cur = "" }
            else cur = cur c
        }
        f[++n] = cur
        return n
    }
    function num(x, d) { return x == "" ? "-" : sprintf("%." d "f", x) }
    function int_or_dash(x) { return x == "" ? "-" : x + 0 }
    { sub(/\r$/, "") }
    NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; next }
    {
        split_csv($0, f)
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f[col["label"]], int_or_dash(f[col["concurrency"]]),
            f[col["ok"]], f[col["requests"]], num(f[col["request_throughput"]], 2),
            num(f[col["output_throughput"]], 1), num(f[col["ttft_p50_ms"]], 1),
            num(f[col["ttft_p99_ms"]], 1), num(f[col["tpot_p50_ms"]], 2), num(f[col["tpot_p99_ms"]], 2)
    }' "$1"
}

# sl_vocab SHAPE: the tokenizer a synthesized model of SHAPE borrows from the
# provisioned llama.cpp sources (teai model synth --vocab-from): Llama 2's
# SentencePiece vocabulary (32000 tokens) for tiny, Llama 3's BPE one for the
# others; empty when the sources are not there. A real tokenizer matters:
# teai load's prompts are common words, one token each in these vocabularies,
# but 4 to 5 tokens each in synth's own byte-level tokenizer.
sl_vocab() {
    _sl_m=${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/src/models
    _sl_v=$_sl_m/ggml-vocab-llama-bpe.gguf
    [ "$1" != tiny ] || _sl_v=$_sl_m/ggml-vocab-llama-spm.gguf
    [ ! -f "$_sl_v" ] || echo "$_sl_v"
}

# sl_synth OUT SHAPE TYPE VOCAB [SIZE OPTIONS...]: writes OUT with teai model
# synth unless it exists (VOCAB: a GGUF whose tokenizer it takes, or "").
sl_synth() {
    _sl_out=$1 _sl_shape=$2 _sl_type=$3 _sl_vocab=$4
    shift 4
    [ ! -f "$_sl_out" ] || return 0
    sl_say "synthesizing $_sl_out"
    mkdir -p "$(dirname "$_sl_out")"
    if [ -n "$_sl_vocab" ]; then set -- "$@" --vocab-from "$_sl_vocab"; fi
    "$TEAI" model synth --shape "$_sl_shape" --type "$_sl_type" -o "$_sl_out" "$@" >/dev/null ||
        sl_die "teai model synth failed"
}

# sl_machine: one line on the machine's CPUs and load average (other work
# on the cores distorts every figure; threads that spin-wait suffer most).
sl_machine() {
    _sl_la=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || true)
    sl_say "machine: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs${_sl_la:+, load average $_sl_la}"
}

# sl_llama_bin NAME: the path of a llama.cpp tool: $LLAMA_BIN/NAME, else
# the one scripts/provision-llama.sh --build made; empty when neither exists.
sl_llama_bin() {
    for _sl_d in ${LLAMA_BIN:-} "${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/build/bin"; do
        if [ -x "$_sl_d/$1" ]; then
            echo "$_sl_d/$1"
            return 0
        fi
    done
    return 0
}
