#!/bin/sh
# teai analyze and teai viz end to end on collated CSVs written by hand, so
# that every figure they print is known: the statistics of each group (n,
# mean, median, sd, min, max, p90, p99 as NumPy's type 7), warm-up rows left
# out, chunk rows counted per token, --group-by, the default backend
# comparison and --compare, the device columns, flags, --exclude-flagged and
# sustained runs (samples.csv), the bars and speedups of teai viz, bad input.
set -u
NAME=cli_analyze
. "$(dirname "$0")/lib_cli.sh"

# native int8: decode 10,20,30,40 tok/s; latency 100,50,40 (a chunk of 2
# tokens in 80 ms),25 ms; memory 1..4 GB/s; TTFT 50,70 ms, prefill 200,100
# tok/s; and a warm-up repetition (1000 tok/s, 999 ms) that must not count.
# native default: 50 tok/s x4. llamacpp int8: 5,10,15,20 tok/s.
C=$D/csv
mkdir -p "$C"
H=step,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,tokens_in_chunk,ttft_ms,prefill_tokens_per_sec,warmup,backend,hostname,size,quantize
cat >"$C/native.csv" <<EOF
$H
0,,,,,,999,9999,1,native,h1,1B,int8
1,1,1000,9,9,1,,,1,native,h1,1B,int8
0,,,,,,50,200,0,native,h1,1B,int8
1,100,10,1,0.5,1,,,0,native,h1,1B,int8
2,50,20,2,1,1,,,0,native,h1,1B,int8
0,,,,,,70,100,0,native,h1,1B,int8
1,80,30,3,1.5,2,,,0,native,h1,1B,int8
3,25,40,4,2,1,,,0,native,h1,1B,int8
0,,,,,,40,300,0,native,h1,1B,default
1,20,50,5,2.5,1,,,0,native,h1,1B,default
2,20,50,5,2.5,1,,,0,native,h1,1B,default
3,20,50,5,2.5,1,,,0,native,h1,1B,default
4,20,50,5,2.5,1,,,0,native,h1,1B,default
EOF
cat >"$C/llamacpp.csv" <<EOF
$H
1,200,5,1,1,1,,,0,llamacpp,h1,1B,int8
2,100,10,1,1,1,,,0,llamacpp,h1,1B,int8
3,66.6,15,1,1,1,,,0,llamacpp,h1,1B,int8
4,50,20,1,1,1,,,0,llamacpp,h1,1B,int8
EOF
# accuracy.csv has its own schema: never read as speed data
echo "backend,size,quantization,environment,metric,value" >"$C/accuracy.csv"

# has LINE: analyze's output holds the line (a regular expression; the
# columns are separated by runs of spaces)
has() { grep -Eq "$1" "$D/out" || fail "no line /$1/ in: $(cat "$D/out")"; }
S=' +'

expect 0 "$T" analyze --dir "$C"
has "^backend=native hostname=h1 size=1B quantize=int8 \(8 rows\)$"
has "^  decode tokens/s${S}tokens/s${S}4${S}25${S}25${S}12.91${S}10${S}40${S}37${S}39.7  [0-9.]+-[0-9.]+$"
has "^  per-token latency${S}ms${S}4${S}53.75${S}45${S}32.5${S}25${S}100${S}85${S}98.5  "
has "^  time to first token${S}ms${S}2${S}60${S}60${S}14.14${S}50${S}70${S}68${S}69.8  "
has "^  prefill tokens/s${S}tokens/s${S}2${S}150${S}150${S}70.71${S}100${S}200${S}190${S}199  "
has "^  memory throughput${S}GB/s${S}4${S}2.5${S}2.5${S}1.291${S}1${S}4${S}3.7${S}3.97  "
has "^  parameter throughput${S}GB/s${S}4${S}1.25${S}1.25${S}0.6455${S}0.5${S}2${S}1.85${S}1.985  "
has "^backend=native hostname=h1 size=1B quantize=default \(5 rows\)$"
has "^  decode tokens/s${S}tokens/s${S}4${S}50${S}50${S}0${S}50${S}50${S}50${S}50  "
has "^  time to first token${S}ms${S}1${S}40${S}40${S}-${S}40${S}40${S}40${S}40  - \(n < 2\)$"
has "^backend=llamacpp hostname=h1 size=1B quantize=int8 \(4 rows\)$"
has "^  decode tokens/s${S}tokens/s${S}4${S}12.5${S}12.5${S}6.455${S}5${S}20${S}18.5${S}19.85  "
grep -q "1000\|999" "$D/out" && fail "a warm-up value entered the statistics: $(cat "$D/out")"
[ "$(grep -c ' rows)$' "$D/out")" -eq 3 ] || fail "wanted 3 groups: $(cat "$D/out")"
# every pair of backends, the faster first, where both measured: int8 only
has "^Speedups \(ratio of mean decode tokens/s\)$"
has "^native is 2x llamacpp at hostname=h1 size=1B quantize=int8 \(decode tokens/s; 95% CI [0-9.]+-[0-9.]+\), Mann-Whitney p = [0-9.]+"
[ "$(grep -c ' is [0-9.]*x ' "$D/out")" -eq 1 ] || fail "wanted one comparison: $(cat "$D/out")"
# the same seed: the same output, CIs included
cp "$D/out" "$D/text1"
expect 0 "$T" analyze --dir "$C"
cmp -s "$D/out" "$D/text1" || fail "two runs with the default seed differ"

# --group-by: the groups are the distinct values of those columns only
expect 0 "$T" analyze --dir "$C" --group-by quantize
has "^quantize=default \(5 rows\)$"
has "^quantize=int8 \(12 rows\)$"
has "^  decode tokens/s${S}tokens/s${S}8${S}18.75${S}17.5${S}11.57${S}5${S}40${S}33${S}39.3  "
[ "$(grep -c ' rows)$' "$D/out")" -eq 2 ] || fail "--group-by quantize: wanted 2 groups"
grep -q "Speedups" "$D/out" && fail "a backend comparison without a backend column"
expect 0 "$T" analyze --dir "$C" --group-by backend
has "^backend=llamacpp \(4 rows\)$"
has "^backend=native \(13 rows\)$"
has "^  decode tokens/s${S}tokens/s${S}8${S}37.5${S}45${S}15.81${S}10${S}50${S}50${S}50  "
has "^native is 3x llamacpp at the same settings "

# --compare COL=A,B: A over B where the other group columns are equal
expect 0 "$T" analyze --dir "$C" --compare quantize=int8,default
has "^int8 is 0.5x default at backend=native hostname=h1 size=1B \(decode tokens/s; 95% CI [0-9.]+-[0-9.]+\), Mann-Whitney p = [0-9.]+"
[ "$(grep -c ' is [0-9.]*x ' "$D/out")" -eq 1 ] || fail "--compare quantize: wanted native only: $(cat "$D/out")"
expect 0 "$T" analyze --dir "$C" --compare backend=llamacpp,native --compare quantize=default,int8
has "^llamacpp is 0.5x native at hostname=h1 size=1B quantize=int8 "
has "^default is 2x int8 at backend=native hostname=h1 size=1B "
[ "$(grep -c ' is [0-9.]*x ' "$D/out")" -eq 2 ] || fail "two --compare: wanted 2 lines: $(cat "$D/out")"
expect 0 "$T" analyze --dir "$C" --compare backend=native,mlc
grep -q " is [0-9.]*x " "$D/out" && fail "a comparison with a backend that has no data: $(cat "$D/out")"
expect 2 "$T" analyze --dir "$C" --compare quantize=int8
expect 2 "$T" analyze --dir "$C" --compare nosuchcolumn=a,b
expect 2 "$T" analyze --dir "$C" --group-by backend --compare quantize=int8,default
expect 2 "$T" analyze --dir "$C" --group-by nosuchcolumn
grep -q "unknown column 'nosuchcolumn'" "$D/err" || fail "unknown --group-by column not named: $(cat "$D/err")"

# the machine-readable forms carry the same figures
expect 0 "$T" analyze --dir "$C" --format csv
grep -Eq "^native,h1,1B,int8,decode_tokens_per_sec,tokens/s,4,25,25,12.9099444873580[0-9]*,10,40,37,39.(7|69999)[0-9]*," "$D/out" ||
    fail "csv row: $(grep '^native,h1,1B,int8,decode' "$D/out")"
if command -v python3 >/dev/null 2>&1; then
    "$T" analyze --dir "$C" --format json >"$D/an.json" 2>"$D/err" || fail "--format json: $(cat "$D/err")"
    python3 - "$D/an.json" <<'PY' || fail "--format json does not carry the figures"
import json, sys
d = json.load(open(sys.argv[1]))
g = [x for x in d["groups"] if x["backend"] == "native" and x["quantize"] == "int8"
     and x["metric"] == "token_latency_ms"][0]
assert g["n"] == 4 and g["mean"] == 53.75 and abs(g["sd"] - 32.5) < 1e-12, g
c = d["comparisons"]
assert len(c) == 1 and c[0]["a"] == "native" and c[0]["b"] == "llamacpp" and c[0]["speedup"] == 2, c
PY
else
    echo "skip: analyze --format json parse check: python3 missing"
fi

# the device columns: J/token, decode W and max °C per repetition (step-0
# rows), % of the measured bandwidth per decode row (10 of 40 GB/s: 25 %),
# the flags counted per group; rep 1 is throttled, rep 2 noisy: with
# --exclude-flagged their rows go (J/token 2 remains, decode 20 tok/s) and the
# output says so. samples.csv: a sustained run at 10 tokens/s for 60 s, then
# 5 tokens/s: first 30 s against last 60 s.
E=$D/device
mkdir -p "$E"
{
    echo "step,repetition,warmup,log_file,tokens_per_sec,memory_throughput_gb_s,joules_per_token,decode_power_w,temp_max_c,throttled,noisy,charging,membw_gb_s,sensors,energy_source,duration_s,backend,hostname,size,quantize"
    for r in 0 1 2; do
        echo "0,$r,0,s.txt,,,$((r + 2)),$((10 + 2 * r)),$((60 + 5 * r)),$([ $r = 1 ] && echo 1 || echo 0),$([ $r = 2 ] && echo 1 || echo 0),0,40,battery temp cpufreq,battery,120,native,h1,1B,int8"
        echo "1,$r,0,s.txt,$((20 + r)),10,,,,,,,40,battery temp cpufreq,battery,120,native,h1,1B,int8"
    done
} >"$E/native.csv"
{
    echo "log_file,backend,hostname,size,quantize,duration_s,repetition,warmup,phase,t_ms,tokens"
    t=0
    while [ $t -le 120 ]; do
        if [ $t -le 60 ]; then k=$((10 * t)); else k=$((600 + 5 * (t - 60))); fi
        echo "s.txt,native,h1,1B,int8,120,0,0,decode,$((t * 1000)),$k"
        t=$((t + 1))
    done
} >"$E/samples.csv"
expect 0 "$T" analyze --dir "$E"
has "^  energy per token${S}J/token${S}3${S}3${S}3${S}1${S}2${S}4${S}"
has "^  decode power${S}W${S}3${S}12${S}"
has "^  max temperature${S}°C${S}3${S}65${S}"
has "^  of measured bandwidth${S}%${S}3${S}25${S}25${S}0${S}"
has "^  flags: 1 of 3 repetitions throttled, 1 noisy, 0 charging$"
has "^  device: measured read bandwidth 40 GB/s; energy from battery; sensors: battery temp cpufreq$"
has "^  sustained run s.txt \(120 s\): first 30 s: 10 tok/s, last 60 s: 5 tok/s \(−50.0 %\)$"
grep -q "left out" "$D/out" && fail "repetitions left out without --exclude-flagged"
expect 0 "$T" analyze --dir "$E" --exclude-flagged
has "^left out 2 flagged repetitions \(1 noisy, 1 throttled\)$"
has "^  energy per token${S}J/token${S}1${S}2${S}"
has "^  decode tokens/s${S}tokens/s${S}1${S}20${S}"
has "^  flags: 1 of 3 repetitions throttled, 1 noisy, 0 charging; 2 left out \(--exclude-flagged\)$"
if command -v python3 >/dev/null 2>&1; then
    "$T" analyze --dir "$E" --exclude-flagged --format json >"$D/dev.json" 2>"$D/err" || fail "--format json: $(cat "$D/err")"
    python3 - "$D/dev.json" <<'PY' || fail "--format json lacks the device fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["excluded"] == {"repetitions": 2, "throttled": 1, "noisy": 1, "charging": 0}, d["excluded"]
gi = d["group_info"][0]
assert gi["repetitions"] == 3 and gi["excluded"] == 2 and gi["membw_gb_s"] == 40, gi
su = d["sustained"][0]
assert su["log_file"] == "s.txt" and su["first_tok_s"] == 10 and su["last_tok_s"] == 5, su
assert abs(su["change_pct"] + 50) < 1e-9, su
j = [x for x in d["groups"] if x["metric"] == "joules_per_token"][0]
assert j["n"] == 1 and j["mean"] == 2 and j["unit"] == "J/token", j
PY
fi

# bad input: a missing folder, no CSV, a CSV without the group columns
expect 3 "$T" analyze --dir "$D/nope"
mkdir -p "$D/empty"
expect 3 "$T" analyze --dir "$D/empty"
grep -q "no readable \*.csv" "$D/err" || fail "empty folder: $(cat "$D/err")"
mkdir -p "$D/bad"
printf 'step,tokens_per_sec\n1,10\n' >"$D/bad/x.csv"
expect 3 "$T" analyze --dir "$D/bad"
expect 2 "$T" analyze --format yaml

# teai viz: the same data as a table, bars and speedups in the terminal (it
# writes no file); no colour when stdout is not a terminal
expect 0 "$T" viz --dir "$C" --ascii --width 100
has "^Decode tokens/s \(measured repetitions, step >= 1\)$"
has "^h1${S}1B${S}int8${S}native${S}4${S}25${S}25${S}12.91${S}unknown$"
has "^h1${S}1B${S}int8${S}llamacpp${S}4${S}12.5${S}12.5${S}6.455${S}unknown$"
has "^h1${S}1B${S}default${S}native${S}4${S}50${S}50${S}0${S}unknown$"
has "^h1, 1B \(bars: mean decode tokens/s; \[95% CI\]\)$"
has "^native is 2x llamacpp at h1 1B int8 \(95% CI [0-9.]+-[0-9.]+\), Mann-Whitney "
grep -q "$(printf '\033')" "$D/out" && fail "colour escapes on a pipe"
# bar lengths are proportional to the means: default 50, native int8 25, llamacpp int8 12.5
bars() { grep "^$1 *|" "$D/out" | sed 's/^[^|]*|\(#*\).*/\1/' | tr -d '\n' | wc -c; }
bd=$(bars "default native") bn=$(bars "int8 native") bl=$(bars "int8 llamacpp")
[ "$bd" -gt 0 ] && [ "$((bn * 2 - bd))" -ge -1 ] && [ "$((bn * 2 - bd))" -le 1 ] &&
    [ "$((bl * 2 - bn))" -ge -1 ] && [ "$((bl * 2 - bn))" -le 1 ] ||
    fail "bars not proportional to the means: default $bd, native int8 $bn, llamacpp int8 $bl"
[ "$(awk '/ \|/ { if (length($0) > m) m = length($0) } END { print m + 0 }' "$D/out")" -le 100 ] ||
    fail "a bar line wider than --width 100"
expect 0 "$T" viz --dir "$C"
grep -q "█" "$D/out" || fail "no block bars without --ascii"
# the flags of the device data set: rep 1 throttled, rep 2 noisy
expect 0 "$T" viz --dir "$E" --ascii
has "^h1${S}1B${S}int8${S}native${S}3${S}21${S}21${S}1${S}2 of 3 \(1 noisy, 1 throttled\)$"
expect 3 "$T" viz --dir "$D/nope"
expect 3 "$T" viz --dir "$D/empty"
expect 2 "$T" viz --dir "$C" --width 10
finish
