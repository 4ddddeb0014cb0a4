#!/bin/sh
# teai bench on the device's sensors, end to end: fake sysfs trees under
# TEAI_SYSFS_ROOT (a phone battery discharging and charging, a board that
# heats up and throttles while the bench runs, a machine with nothing, files
# that vanish mid-run), and on this machine a competing busy process that
# flags the repetitions noisy. The joules and flags are worked out here by
# hand from the log and compared with the collated CSV.
set -u
NAME=cli_bench_sensors
. "$(dirname "$0")/lib_cli.sh"
command -v python3 >/dev/null 2>&1 || skip_test "python3 (reads the log and CSV for the hand computations)"
count() { grep -c "$1" "$2" 2>/dev/null || true; }
# log_in DIR: the one log in DIR
log_in() {
    set -- "$1"/*.txt
    [ -f "$1" ] && echo "$1"
}
# wait_for DIR PATTERN: until (up to 60 s) a log in DIR holds PATTERN
wait_for() {
    i=0
    while [ $i -lt 3000 ]; do
        for f in "$1"/*.txt; do
            [ -f "$f" ] && grep -q "$2" "$f" && return 0
        done
        sleep 0.02
        i=$((i + 1))
    done
    return 1
}
# put ROOT PATH VALUE: writes VALUE into ROOT/PATH in place (the same file:
# sensors are kept open and read again)
put() {
    mkdir -p "$(dirname "$1$2")"
    printf '%s\n' "$3" >"$1$2"
}
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
BENCH="bench --backend native -m $M --prompt-tokens 4 --warmup 1"

# (a) a phone battery, discharging: current_now -400000 uA (negative, as some
# phones report it) x voltage_now 3850000 uV = 1.54 W, constant; every
# measured repetition's J/token is 1.54 W x its decode window / its tokens
PHONE=$D/phone
PS=/sys/class/power_supply/battery
put "$PHONE" $PS/type Battery
put "$PHONE" $PS/status Discharging
put "$PHONE" $PS/current_now -400000
put "$PHONE" $PS/voltage_now 3850000
O=$D/a
expect 0 env TEAI_SYSFS_ROOT=$PHONE "$T" $BENCH -n 8 --repetitions 3 --output-dir "$O"
grep -q "energy: .* J/token, decode 1.54 W (battery:battery)" "$D/out" || fail "(a) summary lacks the energy line: $(cat "$D/out")"
L=$(log_in "$O") || fail "(a) no log in $O"
grep -q '^energy_source: battery:battery$' "$L" || fail "(a) header energy_source: $(grep energy_source "$L")"
expect 0 "$T" collate --dir "$O"
python3 - "$L" "$O/native.csv" >"$D/check" 2>&1 <<'EOF' || fail "(a) hand computation: $(cat "$D/check")"
import csv, json, sys
log, path = sys.argv[1], sys.argv[2]
tokens, reps = {}, {}
for line in open(log):
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e["event"] == "token":
        tokens[e["rep"]] = tokens.get(e["rep"], 0) + e["n_tokens"]
    elif e["event"] == "rep_sensors":
        reps[e["rep"]] = e
measured = [r for r in reps.values() if r["warmup"] == 0]
assert len(measured) == 3, "wanted 3 measured rep_sensors events, got %d" % len(measured)
rows = {int(r["repetition"]): r for r in csv.DictReader(open(path)) if r["step"] == "0"}
def close(a, b):
    return abs(a - b) <= 1e-9 * abs(b)
for r in measured:
    n = tokens[r["rep"]]
    want = 1.54 * r["decode_s"] / n  # J/token by hand
    row = rows[r["rep"]]
    got = float(row["joules_per_token"])
    assert close(got, want), "rep %d: joules_per_token %r, by hand %r" % (r["rep"], got, want)
    assert close(float(row["decode_power_w"]), 1.54), "rep %d: decode_power_w %s" % (r["rep"], row["decode_power_w"])
    assert close(float(row["decode_energy_j"]), 1.54 * r["decode_s"]), "rep %d: decode_energy_j" % r["rep"]
    assert close(float(row["tokens_per_joule"]), 1 / want), "rep %d: tokens_per_joule" % r["rep"]
    assert close(float(row["prefill_power_w"]), 1.54), "rep %d: prefill_power_w" % r["rep"]
    assert row["charging"] == "0", "rep %d: charging %r" % (r["rep"], row["charging"])
    assert row["energy_source"] == "battery:battery"
    print("rep %d: %d tokens in %.6f s: %.9g J/token (by hand %.9g)" % (r["rep"], n, r["decode_s"], got, want))
EOF
cat "$D/check"
# the repetition's own peak memory, where the kernel lets it be reset
if [ -w /proc/self/clear_refs ]; then
    [ "$(count '"event":"rep_sensors".*"peak_rss_mb":[0-9]' "$L")" -eq 4 ] || fail "(a) rep_sensors lack peak_rss_mb"
fi

# (b) the same battery charging: its reading is not the device's draw, so
# no energy, and the repetitions are flagged charging
put "$PHONE" $PS/status Charging
O=$D/b
expect 0 env TEAI_SYSFS_ROOT=$PHONE "$T" $BENCH -n 6 --repetitions 2 --output-dir "$O"
grep -q "2 of 2 on a charging battery" "$D/out" || fail "(b) summary does not flag charging: $(cat "$D/out")"
expect 0 "$T" collate --dir "$O"
python3 - "$O/native.csv" >"$D/check" 2>&1 <<'EOF' || fail "(b) $(cat "$D/check")"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["step"] == "0"]
assert len(rows) == 3, "wanted 3 step-0 rows, got %d" % len(rows)
for r in rows:
    assert r["charging"] == "1", "charging %r" % r["charging"]
    for k in ("prefill_energy_j", "decode_energy_j", "decode_power_w", "joules_per_token", "tokens_per_joule"):
        assert r[k] == "", "%s is %r while charging" % (k, r[k])
EOF

# (c) a board that heats up and throttles mid-run: two CPUs at 1.8 GHz and a
# zone at 45 C; once the warm-up is over a helper drops the clocks to 600 MHz
# and heats the zone to 88 C, during the 1.5 s cool-down before the first
# measured repetition (--cooldown 1.5s: time for the helper on a loaded
# machine), so every measured repetition is throttled (600 < 0.85 x 1800,
# the highest clock of the run) at 88 C
BOARD=$D/board
CPU=/sys/devices/system/cpu
put "$BOARD" /sys/class/thermal/thermal_zone0/type cpu-thermal
put "$BOARD" /sys/class/thermal/thermal_zone0/temp 45000
put "$BOARD" $CPU/online 0-1
for c in 0 1; do
    put "$BOARD" $CPU/cpu$c/cpufreq/scaling_cur_freq 1800000
    put "$BOARD" $CPU/cpu$c/cpufreq/scaling_governor schedutil
done
O=$D/c
mkdir -p "$O"
(
    wait_for "$O" '"event":"rep_sensors"' || exit 1
    for c in 0 1; do printf '600000\n' >"$BOARD$CPU/cpu$c/cpufreq/scaling_cur_freq"; done
    printf '88000\n' >"$BOARD/sys/class/thermal/thermal_zone0/temp"
) &
helper=$!
expect 0 env TEAI_SYSFS_ROOT=$BOARD "$T" $BENCH -n 8 --repetitions 3 --cooldown 1.5s --output-dir "$O"
wait $helper || fail "(c) the helper never saw the warm-up end"
L=$(log_in "$O") || fail "(c) no log"
grep -q '^sensors: .*temperature=thermal:cpu-thermal .*clock=cpufreq(2' "$L" || fail "(c) header sensors: $(grep '^sensors:' "$L")"
grep -q "3 of 3 throttled" "$D/out" || fail "(c) summary does not flag throttling: $(cat "$D/out")"
expect 0 "$T" collate --dir "$O"
python3 - "$L" "$O/native.csv" >"$D/check" 2>&1 <<'EOF' || fail "(c) $(cat "$D/check")"
import csv, json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
reps = [e for e in events if e["event"] == "rep_sensors"]
assert len(reps) == 4, "wanted 4 rep_sensors events, got %d" % len(reps)
w = reps[0]
assert w["warmup"] == 1 and w["throttled"] == 0 and w["temp_max_c"] == 45 and w["clock_min_mhz"] == 1800, "warm-up: %r" % w
for r in reps[1:]:
    assert r["throttled"] == 1 and r["temp_max_c"] == 88 and r["clock_min_mhz"] == 600, "not throttled at 88 C: %r" % r
# a fixed delay before every repetition, logged
cool = [e for e in events if e["event"] == "cooldown"]
assert [c["rep"] for c in cool] == [0, 1, 2, 3], "cooldown events: %r" % cool
for c in cool:
    assert c["mode"] == "seconds" and c["reached"] == 1 and c["waited_ms"] >= 1500 and c["target_c"] is None, "cooldown: %r" % c
assert cool[0]["temp_start_c"] == 45 and cool[-1]["temp_end_c"] == 88, "cooldown temperatures: %r" % cool
rows = {int(r["repetition"]): r for r in csv.DictReader(open(sys.argv[2])) if r["step"] == "0"}
for r in reps[1:]:
    row = rows[r["rep"]]
    assert row["throttled"] == "1" and float(row["temp_max_c"]) == 88, "row: %r" % row
    assert float(row["clock_min_mhz"]) == 600 and float(row["cooldown_ms"]) >= 1500, "row: %r" % row
EOF

# (d) a machine with nothing: no energy, no sensors at all, no crash
EMPTY=$D/empty
mkdir -p "$EMPTY"
O=$D/d
expect 0 env TEAI_SYSFS_ROOT=$EMPTY "$T" $BENCH -n 6 --repetitions 2 --output-dir "$O"
grep -q "energy: *unknown (no energy sensor)" "$D/out" || fail "(d) summary: $(cat "$D/out")"
L=$(log_in "$O") || fail "(d) no log"
grep -q '^sensors: energy=none power=none battery=none temperature=none clock=none throttle=none load=none$' "$L" ||
    fail "(d) header sensors: $(grep '^sensors:' "$L")"
grep -q '^energy_source: *$' "$L" || fail "(d) header energy_source: $(grep energy_source "$L")"
[ "$(count '"event":"rep_sensors".*"decode_j":null.*"noisy":null' "$L")" -eq 3 ] || fail "(d) rep_sensors: $(grep rep_sensors "$L")"
expect 0 "$T" collate --dir "$O"
python3 - "$O/native.csv" >"$D/check" 2>&1 <<'EOF' || fail "(d) $(cat "$D/check")"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["step"] == "0"]
assert len(rows) == 3
for r in rows:
    for k in ("prefill_energy_j", "decode_energy_j", "joules_per_token", "temp_max_c", "throttled", "noisy", "charging", "energy_source"):
        assert r[k] == "", "%s is %r with no sensors" % (k, r[k])
EOF

# (e) the files vanish mid-run (a battery, a zone and the clocks, all
# removed once the warm-up is over): the run goes on and ends ok
GONE=$D/gone
cp -R "$BOARD" "$GONE"
put "$GONE" $PS/type Battery
put "$GONE" $PS/status Discharging
put "$GONE" $PS/power_now 2000000
O=$D/e
mkdir -p "$O"
(wait_for "$O" '"event":"rep_sensors"' && rm -rf "$GONE/sys") &
helper=$!
expect 0 env TEAI_SYSFS_ROOT=$GONE "$T" $BENCH -n 10 --repetitions 3 --output-dir "$O"
wait $helper || fail "(e) the helper never saw the warm-up end"
[ ! -e "$GONE/sys" ] || fail "(e) the files were not removed"
L=$(log_in "$O") || fail "(e) no log"
[ "$(count '"event":"rep_sensors"' "$L")" -eq 4 ] || fail "(e) wanted 4 rep_sensors events"
tail -n 1 "$L" | grep -q '"status":"ok"' || fail "(e) log does not end ok: $(tail -n 1 "$L")"

# (f) this machine, with other processes keeping every CPU busy while the
# bench runs on 2 threads: the repetitions are flagged noisy
if [ -r /proc/stat ]; then
    n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
    busy=""
    i=0
    while [ $i -lt "$n" ]; do
        timeout 120 sh -c 'while :; do :; done' &
        busy="$busy $!"
        i=$((i + 1))
    done
    O=$D/f
    # (long enough repetitions: the share is judged over half a CPU-second or more)
    expect 0 "$T" $BENCH -t 2 -n 900 --repetitions 2 --output-dir "$O"
    for p in $busy; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    grep -q "flags: *[12] of 2 repetitions noisy (other processes took [0-9]*% of the CPUs)" "$D/out" ||
        fail "(f) a bench beside $n busy processes is not flagged noisy: $(cat "$D/out")"
    L=$(log_in "$O") || fail "(f) no log"
    grep '"event":"rep_sensors"' "$L" | grep '"warmup":0' | grep -q '"noisy":1' || fail "(f) rep_sensors: $(grep rep_sensors "$L")"
else
    echo "skip: (f) no /proc/stat here to measure other processes' CPU time"
fi
finish
