#!/bin/sh
# teai plot end to end: figures from real bench runs (native default and
# int8, plus llamacpp when this build has it), PNG validity and size,
# speedup_comparison drawn with llamacpp (skipped, naming the one backend,
# without), no "nan" in a finding, device_comparison skipped on one host,
# exit 3 on missing or bad data;
# energy_per_token and thermal_timeline drawn or skipped with the reason,
# pareto skipped without accuracy.csv, then drawn from verifiers results
# collated by teai collate (byte-identical on a re-run).
set -u
NAME=cli_plot
. "$(dirname "$0")/lib_cli.sh"
has_feature cairo || skip_test "cairo missing: teai was built without it (libcairo2-dev)"
# u32 big-endian at byte offset $2 of file $1
be32() { od -An -tu1 -j "$2" -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'; }

M=$D/m.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
B=$D/bench
LL=0
need_llama "llamacpp runs in the figures" && LL=1
for q in default int8; do
    expect 0 "$T" bench --backend native -m "$M" -n 6 --repetitions 2 --warmup 1 --quantize $q --output-dir "$B"
    [ $LL = 0 ] || expect 0 "$T" bench --backend llamacpp -m "$M" -n 6 --repetitions 2 --warmup 1 \
        --quantize $q --output-dir "$B"
done
expect 0 "$T" collate --dir "$B"

P=$D/plots
expect 0 "$T" plot --dir "$B" --output-dir "$P" --dpi 150
for f in backend_comparison summary_stats quantization_impact latency_distribution \
    memory_throughput param_throughput roofline; do
    F=$P/$f.png
    if [ ! -f "$F" ]; then
        fail "no $f.png"
        continue
    fi
    sig=$(od -An -tx1 -N8 "$F" | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || fail "$f.png has no PNG signature ($sig)"
    [ "$(od -An -c -j12 -N4 "$F" | tr -d ' \n')" = IHDR ] || fail "$f.png: no IHDR chunk"
    [ "$(be32 "$F" 16)" -eq 1500 ] || fail "$f.png width $(be32 "$F" 16), wanted 1500"
    [ "$(be32 "$F" 20)" -eq 900 ] || fail "$f.png height $(be32 "$F" 20), wanted 900"
    grep -q "wrote $F" "$D/out" || fail "no line for $f.png"
done
# speedup_comparison: drawn when llamacpp ran next to native; without
# llama.cpp the one backend is named in the skip line
F=$P/speedup_comparison.png
if [ $LL = 1 ]; then
    if [ -f "$F" ]; then
        [ "$(od -An -tx1 -N8 "$F" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "speedup_comparison.png is not a PNG"
        [ "$(be32 "$F" 16)" -eq 1500 ] && [ "$(be32 "$F" 20)" -eq 900 ] || fail "speedup_comparison.png size"
    else
        fail "no speedup_comparison.png with native and llamacpp: $(grep speedup "$D/out")"
    fi
    grep -q "^skipped speedup_comparison" "$D/out" && fail "speedup_comparison skipped: $(grep speedup "$D/out")"
    grep -q "^wrote $F: .* than llamacpp at " "$D/out" || fail "speedup finding: $(grep speedup "$D/out")"
else
    grep -q "^skipped speedup_comparison: only one backend (native)" "$D/out" ||
        fail "speedup_comparison not skipped with its reason: $(grep speedup "$D/out")"
    [ -f "$F" ] && fail "speedup_comparison.png written from one backend"
fi
grep -qw nan "$D/out" && fail "a finding prints nan: $(grep -w nan "$D/out")"
grep -q "^skipped device_comparison: one device only" "$D/out" || fail "device_comparison not skipped: $(cat "$D/out")"
[ -f "$P/device_comparison.png" ] && fail "device_comparison.png written from one host"
ls "$P" | grep -q tmp && fail "temporary files left in $P"
grep -q "95% CI" "$D/out" || fail "findings carry no confidence interval"
grep -q "^skipped pareto: no accuracy.csv" "$D/out" || fail "pareto not skipped without accuracy.csv"
[ -f "$P/pareto.png" ] && fail "pareto.png written without accuracy data"
# the device figures: drawn where the machine has the sensor, else skipped
# with the reason (a machine without an energy sensor: "no energy sensor was
# available"; no samples.csv: thermal_timeline says so), never a file then
for f in energy_per_token thermal_timeline; do
    if grep -q "^skipped $f: " "$D/out"; then
        [ -f "$P/$f.png" ] && fail "$f.png written although skipped"
    else
        grep -q "^wrote $P/$f.png: " "$D/out" || fail "$f neither written nor skipped: $(cat "$D/out")"
        [ "$(od -An -tx1 -N8 "$P/$f.png" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f.png is not a PNG"
    fi
done
grep -q "^skipped energy_per_token: no energy sensor was available (teai probe lists the sensors)$\|^skipped energy_per_token: no repetition has a joules_per_token\|^wrote $P/energy_per_token.png" "$D/out" ||
    fail "energy_per_token: $(grep energy_per_token "$D/out")"

# accuracy: teai-shaped results for native default and int8, a seed-shaped
# file for a configuration with no speed data, a broken file
V=$B/verifiers_results
mkdir -p "$V"
cat >"$V/native_sweep_gsm8k_1B_20250102_030405.json" <<'JSON'
[{"quantization": "default", "size": "1B", "environment": "gsm8k", "num_examples": 50,
  "max_tokens": 256, "metrics": {"reward": {"avg": 0.62, "std": 0.49, "stderr": 0.069,
  "ci95": [0.48, 0.76], "n": 50}, "eval_time_seconds": 20}, "elapsed_seconds": 21,
  "returncode": 0, "timestamp": "2025-01-02T03:04:05Z", "backend": "native"},
 {"quantization": "int8", "size": "1B", "environment": "gsm8k", "num_examples": 50,
  "max_tokens": 256, "metrics": {"reward": {"avg": 0.58, "std": 0.5, "stderr": 0.07,
  "ci95": [0.44, 0.72], "n": 50}, "eval_time_seconds": 15}, "elapsed_seconds": 16,
  "returncode": 0, "timestamp": "2025-01-02T03:05:05Z", "backend": "native"}]
JSON
cat >"$V/native_sweep_perplexity_1B_20250102_030405.json" <<'JSON'
[{"quantization": "int8", "size": "1B", "environment": "perplexity", "num_examples": 4,
  "max_tokens": 512, "metrics": {"ppl": {"avg": 12.5, "ci95": [11.9, 13.1], "n": 2044},
  "kl_divergence": {"avg": 0.012, "stderr": 0.001, "n": 2044}}, "returncode": 0,
  "timestamp": "2025-01-02T03:04:05Z", "backend": "native"}]
JSON
echo '[{"quantization": "int8", "size": "8B", "environment": "wordle", "metrics": {"reward": {"avg": 0.1, "std": 0.3}, "eval_time_seconds": 9}}]' \
    >"$V/llamacpp_sweep_wordle_8B_20240101_000000.json"
echo '[{"metrics":' >"$V/broken.json"
expect 0 "$T" collate --dir "$B"
A=$B/accuracy.csv
[ -s "$A" ] || fail "collate wrote no accuracy.csv"
grep -q "broken.json: not JSON, skipped" "$D/err" || fail "broken results file not reported: $(cat "$D/err")"
head -1 "$A" | grep -q '^backend,size,quantization,weight_format,environment,metric,value,std,stderr,ci_low,ci_high,n,' ||
    fail "accuracy.csv header: $(head -1 "$A")"
grep -q '^llamacpp,8B,int8,,wordle,reward,0.1,0.3,,,,,,,9,,,,llamacpp_sweep_wordle' "$A" ||
    fail "seed-shaped row: $(grep wordle "$A")"
cp "$A" "$D/acc1"
expect 0 "$T" collate --dir "$B" --eval-dir "$V"
cmp -s "$A" "$D/acc1" || fail "accuracy.csv differs on a re-run"
expect 3 "$T" collate --dir "$B" --eval-dir "$D/none"

expect 0 "$T" plot --dir "$B" --output-dir "$P" --dpi 150
grep -q "accuracy.csv" "$D/err" && fail "accuracy.csv read as a speed CSV: $(cat "$D/err")"
F=$P/pareto.png
if [ -f "$F" ]; then
    [ "$(od -An -tx1 -N8 "$F" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "pareto.png is not a PNG"
    [ "$(be32 "$F" 16)" -eq 1500 ] && [ "$(be32 "$F" 20)" -eq 900 ] || fail "pareto.png size"
else
    fail "no pareto.png: $(grep pareto "$D/out")"
fi
grep -q "^wrote $F: native .* on the frontier\|^wrote $F: native .* dominates" "$D/out" ||
    fail "pareto finding: $(grep pareto "$D/out")"
grep "^wrote $F" "$D/out" | grep -q "reward" || fail "pareto did not default to gsm8k reward"
expect 0 "$T" plot --dir "$B" --output-dir "$D/kl" --accuracy-metric perplexity:kl_divergence
grep -q "^wrote $D/kl/pareto.png: .*kl_divergence" "$D/out" || fail "KL pareto: $(grep pareto "$D/out")"
expect 0 "$T" plot --dir "$B" --output-dir "$D/wordle" --accuracy-metric wordle:reward
grep -q "^skipped pareto: no wordle:reward result joins with the speed data" "$D/out" ||
    fail "wordle pareto not skipped: $(grep pareto "$D/out")"
[ -f "$D/wordle/pareto.png" ] && fail "pareto.png written for a metric with no join"
expect 2 "$T" plot --dir "$B" --accuracy-metric reward

# SVG on request, with a copy
expect 0 "$T" plot --dir "$B" --output-dir "$D/svg" --format svg --copy-to "$D/copy"
[ -s "$D/svg/backend_comparison.svg" ] || fail "no SVG written"
[ -s "$D/copy/backend_comparison.svg" ] || fail "--copy-to wrote nothing"

# missing, empty and malformed data: exit 3, no files
expect 3 "$T" plot --dir "$D/nope" --output-dir "$D/p3"
mkdir -p "$D/empty"
expect 3 "$T" plot --dir "$D/empty" --output-dir "$D/p4"
mkdir -p "$D/bad"
printf 'this,is\nnot"a,"collated\ncsv\n' >"$D/bad/x.csv"
expect 3 "$T" plot --dir "$D/bad" --output-dir "$D/p5"
for o in p3 p4 p5; do
    [ -n "$(ls "$D/$o" 2>/dev/null)" ] && fail "files written for bad data in $o"
done
expect 2 "$T" plot --format gif
finish
