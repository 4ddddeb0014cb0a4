#!/bin/sh
# teai bench's device options end to end: bad values (exit 2, one line),
# sustained mode (--duration: repetitions that fill the context, back to
# back, stopped cleanly by the deadline), the cool-downs (auto without a
# temperature sensor, auto and a temperature on a fake board, the time
# limit, Ctrl-C while waiting), and the sampler's cost: the mean decode step
# with the sampler off and at 10 Hz, printed (the figure varies with the
# machine's load, so it is not a pass/fail check; missing samples are).
set -u
NAME=cli_bench_sustained
. "$(dirname "$0")/lib_cli.sh"
command -v python3 >/dev/null 2>&1 || skip_test "python3 (reads the logs)"
count() { grep -c -e "$1" "$2" 2>/dev/null || true; }
log_in() {
    set -- "$1"/*.txt
    [ -f "$1" ] && echo "$1"
}
put() {
    mkdir -p "$(dirname "$1$2")"
    printf '%s\n' "$3" >"$1$2"
}
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
BENCH="bench --backend native -m $M --prompt-tokens 4"

# bad values: exit 2 and one line naming the option
for bad in "--sample-hz -1" "--sample-hz fast" "--cooldown hot" "--cooldown 200C" "--cooldown 5x" \
    "--duration 0" "--duration 5x" "--duration -3s" "--cooldown-max 0" "--cooldown-margin warm" \
    "--noise-threshold 101"; do
    opt=${bad%% *}
    expect 2 "$T" $BENCH --output-dir "$D/bad" $bad
    [ "$(wc -l <"$D/err")" -eq 1 ] && grep -q -- "$opt" "$D/err" || fail "$bad: wanted one line naming $opt: $(cat "$D/err")"
done
expect 2 "$T" sweep -m "$M" --quantize default --cooldown hot --output-dir "$D/bad"
grep -q -- "--cooldown" "$D/err" || fail "sweep --cooldown hot: $(cat "$D/err")"
[ ! -e "$D/bad" ] || fail "a bad option still made the output folder"
"$T" bench --help | grep -q -- "--duration T" || fail "bench --help lacks --duration"
# sweep passes them on: its plan shows them in each bench command
expect 0 "$T" sweep --dry-run -m "$M" --quantize default,int8 --cooldown 45C --duration 5m --sample-hz 2 --output-dir "$D/plan"
[ "$(count "--sample-hz 2 --cooldown 45C --duration 300s --output-dir" "$D/out")" -eq 2 ] || fail "sweep plan: $(cat "$D/out")"

# sustained mode: a 64-token context and a 4-token prompt leave 44 tokens per
# repetition; they run back to back for 3 s and the deadline ends the last
O=$D/sus
expect 0 "$T" $BENCH -c 64 -n 8 --warmup 1 --duration 3s --output-dir "$O"
grep -q "sustained for 3 s" "$D/out" || fail "sustained: summary title: $(head -n 1 "$D/out")"
grep -q "sustained: .*first [0-9.]* s: [0-9.]* tok/s, last [0-9.]* s: [0-9.]* tok/s" "$D/out" || fail "sustained: no rates in the summary: $(cat "$D/out")"
L=$(log_in "$O") || fail "sustained: no log"
grep -q '^duration_s: 3$' "$L" || fail "sustained: header duration_s: $(grep duration_s "$L")"
python3 - "$L" >"$D/check" 2>&1 <<'EOF' || fail "sustained: $(cat "$D/check")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
tokens = {}
for e in ev:
    if e["event"] == "token":
        tokens[e["rep"]] = tokens.get(e["rep"], 0) + e["n_tokens"]
sums = [e for e in ev if e["event"] == "summary"]
measured = [e for e in sums if e["warmup"] == 0]
assert sums[0]["warmup"] == 1 and tokens[0] == 8, "warm-up: %r, %d tokens" % (sums[0], tokens[0])
assert len(measured) >= 1, "no measured repetition"
for e in measured[:-1]:
    assert tokens[e["rep"]] == 44, "rep %d decoded %d tokens, not the context's 44" % (e["rep"], tokens[e["rep"]])
assert 1 <= tokens[measured[-1]["rep"]] <= 44
assert len([e for e in ev if e["event"] == "rep_sensors"]) == len(sums)
s = [e for e in ev if e["event"] == "sustained"]
assert len(s) == 1, "wanted one sustained event"
s = s[0]
assert 2.9 <= s["duration_s"] <= 4, "duration_s %r" % s["duration_s"]
assert s["first_s"] <= 30 and s["last_s"] <= 60 and s["first_tok_s"] > 0 and s["last_tok_s"] > 0, "%r" % s
assert ev[-1]["event"] == "end" and ev[-1]["status"] == "ok", "end: %r" % ev[-1]
print("%d measured repetitions in %.2f s" % (len(measured), s["duration_s"]))
EOF
cat "$D/check"

# --cooldown auto with no temperature sensor: said once, no wait
mkdir -p "$D/empty"
O=$D/cool0
expect 0 env TEAI_SYSFS_ROOT="$D/empty" "$T" $BENCH -n 2 --repetitions 2 --cooldown auto --output-dir "$O"
[ "$(count "cooldown auto: no temperature reading" "$D/err")" -eq 1 ] || fail "cooldown auto without a sensor: $(cat "$D/err")"
L=$(log_in "$O") || fail "cooldown auto: no log"
grep -q '^cooldown: auto$' "$L" || fail "cooldown: header: $(grep '^cooldown' "$L")"
[ "$(count '"event":"cooldown"' "$L")" -eq 0 ] || fail "cooldown events without a sensor"

# on a board at 45 C: auto waits for 45 + the 3-degree margin (met at once);
# at 88 C a 50 C target is not met within --cooldown-max 0.6 s
BOARD=$D/board
put "$BOARD" /sys/class/thermal/thermal_zone0/type cpu-thermal
put "$BOARD" /sys/class/thermal/thermal_zone0/temp 45000
O=$D/cool1
expect 0 env TEAI_SYSFS_ROOT="$BOARD" "$T" $BENCH -n 2 --repetitions 1 --cooldown auto --cooldown-margin 3 --output-dir "$O"
L=$(log_in "$O") || fail "cooldown auto: no log"
[ "$(count '"event":"cooldown","rep":[01],"mode":"auto","target_c":48,.*"temp_start_c":45,"temp_end_c":45,"reached":1' "$L")" -eq 2 ] ||
    fail "cooldown auto on a board at 45 C: $(grep '"cooldown"' "$L")"
put "$BOARD" /sys/class/thermal/thermal_zone0/temp 88000
O=$D/cool2
expect 0 env TEAI_SYSFS_ROOT="$BOARD" "$T" $BENCH -n 2 --repetitions 1 --warmup 0 --cooldown 50C --cooldown-max 0.6 --output-dir "$O"
L=$(log_in "$O") || fail "cooldown 50C: no log"
grep -q '^cooldown: 50C$' "$L" || fail "cooldown: header: $(grep '^cooldown' "$L")"
python3 - "$L" >"$D/check" 2>&1 <<'EOF' || fail "cooldown 50C: $(cat "$D/check")"
import json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"event":"cooldown"' in l]
assert len(c) == 1, "wanted one cooldown event: %r" % c
c = c[0]
assert c["mode"] == "temp" and c["target_c"] == 50 and c["reached"] == 0, "%r" % c
assert 600 <= c["waited_ms"] < 5000 and c["temp_start_c"] == 88 and c["temp_end_c"] == 88, "%r" % c
EOF

# Ctrl-C while it waits out a 30 s cool-down: it stops at once, the log
# ends "interrupted"
O=$D/coolint
"$T" $BENCH -n 2 --repetitions 1 --warmup 0 --cooldown 30s --output-dir "$O" >"$D/out" 2>"$D/err" &
pid=$!
i=0
until grep -qs '"phase":"cooldown"' "$O"/*.txt || [ $i -ge 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -INT $pid
t0=$(date +%s)
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "Ctrl-C in a cool-down: exit $rc: $(cat "$D/err")"
[ $(($(date +%s) - t0)) -lt 10 ] || fail "Ctrl-C in a cool-down took more than 10 s"
L=$(log_in "$O") || fail "Ctrl-C in a cool-down: no log"
tail -n 1 "$L" | grep -q '"status":"interrupted"' || fail "Ctrl-C in a cool-down: log ends $(tail -n 1 "$L")"
grep -q '"event":"cooldown","rep":0,"mode":"seconds",.*"reached":0' "$L" || fail "Ctrl-C in a cool-down: $(grep '"cooldown"' "$L")"

# the sampler's cost: the decode steps without it and at 10 Hz, on this
# machine (the real sensors), two runs of each, in both orders (on a busy
# machine the second run of a pair is often the slower); the 10 Hz logs must
# hold the thread's samples
O=$D/hz
for run in 1 2; do
    order="0 10"
    [ $run -eq 2 ] && order="10 0"
    for hz in $order; do
        expect 0 "$T" $BENCH -t 1 -n 48 --repetitions 2 --warmup 1 --sample-hz $hz --output-dir "$O/$hz.$run"
    done
done
python3 - "$O" >"$D/check" 2>&1 <<'EOF' || fail "sampler: $(cat "$D/check")"
import glob, json, statistics, sys
def read(path):
    ev = [json.loads(l) for l in open(path) if l.startswith("{")]
    steps = [e["total_ms"] for e in ev if e["event"] == "token" and e["warmup"] == 0]
    samples = [e for e in ev if e["event"] == "sample"]
    reps = len([e for e in ev if e["event"] == "summary"])
    return steps, samples, reps
off, on, n_samples, span_all = [], [], 0, 0.0
for run in (1, 2):
    (log0,) = glob.glob("%s/0.%d/*.txt" % (sys.argv[1], run))
    (log10,) = glob.glob("%s/10.%d/*.txt" % (sys.argv[1], run))
    steps, s0, _ = read(log0)
    off += steps
    assert not s0, "%d sample lines with --sample-hz 0" % len(s0)
    steps, s10, reps = read(log10)
    on += steps
    # the boundary readings: one at the start and three per repetition; the thread's on top
    span = (s10[-1]["t_ms"] - s10[0]["t_ms"]) / 1e3
    assert len(s10) >= 1 + 3 * reps + int(span * 10 * 0.5), "%d sample lines over %.2f s at 10 Hz" % (len(s10), span)
    assert [e["t_ms"] for e in s10] == sorted(e["t_ms"] for e in s10), "sample lines out of order"
    assert {e["phase"] for e in s10} >= {"idle", "prefill", "decode"}, "phases: %r" % {e["phase"] for e in s10}
    n_samples += len(s10)
    span_all += span
m0, m1 = statistics.mean(off), statistics.mean(on)
d0, d1 = statistics.median(off), statistics.median(on)
print("sampler: decode step mean %.4f ms off, %.4f ms at 10 Hz (%+.2f%%); median %.4f ms off, %.4f ms at 10 Hz (%+.2f%%); "
      "%d steps each; %d samples over %.2f s" % (m0, m1, 100 * (m1 - m0) / m0, d0, d1, 100 * (d1 - d0) / d0,
      len(off), n_samples, span_all))
EOF
cat "$D/check"
finish
