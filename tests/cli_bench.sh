#!/bin/sh
# teai bench and teai sweep end to end on the native backend (and llamacpp
# when llama.cpp is here; those parts say "skip: ..." otherwise): log name and
# header, repetitions and warm-up marks, --make-missing, sweep
# plan/resume/force, Ctrl-C, a full disk, and a killed run.
set -u
NAME=cli_bench
. "$(dirname "$0")/lib_cli.sh"
count() { grep -c "$1" "$2" 2>/dev/null || true; }
# waits (up to 120 s) until some log in folder $1 holds a token event
wait_for_token() {
    i=0
    while [ $i -lt 1200 ]; do
        for f in "$1"/*.txt; do
            [ -f "$f" ] && grep -q '"event":"token"' "$f" && return 0
        done
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"

# one configuration: 1 warm-up + 2 repetitions of 6 decode steps
O=$D/out1
expect 0 "$T" bench --backend native -m "$M" -n 6 --repetitions 2 --warmup 1 --output-dir "$O"
grep -q "decode:" "$D/out" || fail "bench prints no summary"
grep -q "p50" "$D/out" || fail "bench summary lacks latency percentiles"
set -- "$O"/native_*_1B_default_seed42_uuid*.txt
[ -f "$1" ] || fail "no log named native_<host>_1B_default_seed42_uuid<id>.txt in $O: $(ls "$O")"
L=$1
for k in platform release device username hostname size quantize seed uuid backend \
    model_sha256 weight_format threads teai_version start_time; do
    grep -q "^$k: " "$L" || fail "log header lacks $k"
done
grep -q '^synthetic: 1' "$L" || fail "a synthesized model is not marked synthetic"
[ "$(count '"event":"token"' "$L")" -eq 18 ] || fail "wanted 18 token events, got $(count '"event":"token"' "$L")"
[ "$(count '"warmup":1' "$L")" -ge 6 ] || fail "warm-up events are not marked"
[ "$(count '"event":"prefill"' "$L")" -eq 3 ] || fail "wanted 3 prefill events"
tail -n 1 "$L" | grep -q '"event":"end"' && tail -n 1 "$L" | grep -q '"status":"ok"' || fail "log does not end ok: $(tail -n 1 "$L")"
# the device: its header keys after start_time, a rep_sensors event after
# each summary, the sampler's lines (tests/cli_bench_sensors.sh checks values)
sed -n '/^start_time: /,/^format: /p' "$L" | cut -d: -f1 | tr '\n' ' ' | grep -q '^start_time membw_gb_s energy_source sensors sample_hz cooldown duration_s machine device_name format $' ||
    fail "device header keys: $(sed -n '/^start_time: /,/^format: /p' "$L")"
grep -q '^sample_hz: 10$' "$L" || fail "header sample_hz: $(grep sample_hz "$L")"
[ "$(count '"event":"rep_sensors"' "$L")" -eq 3 ] || fail "wanted 3 rep_sensors events"
[ "$(grep -A1 '"event":"summary"' "$L" | grep -c '"event":"rep_sensors"')" -eq 3 ] || fail "a rep_sensors event does not follow its summary"
[ "$(count '"event":"sample"' "$L")" -ge 10 ] || fail "wanted the boundary readings at least as sample lines: $(count '"event":"sample"' "$L")"
grep -q "flags:" "$D/out" || fail "bench summary lacks the flags line"

# llamacpp on the same file, when llama.cpp is here: the same kind of log,
# and after collation CSV rows whose columns mean the same thing
if need_llama "llamacpp bench"; then
    expect 0 "$T" bench --backend llamacpp -m "$M" -n 6 --repetitions 1 --warmup 0 --output-dir "$O"
    set -- "$O"/llamacpp_*_1B_default_seed42_uuid*.txt
    [ -f "$1" ] || fail "no llamacpp_ log"
    [ "$(count '"event":"token"' "$1")" -eq 6 ] || fail "llamacpp: wanted 6 token events"
    grep -q '^backend_version: llama.cpp' "$1" || fail "llamacpp log lacks the llama.cpp version"
    expect 0 "$T" collate --dir "$O"
    [ -f "$O/native.csv" ] && [ -f "$O/llamacpp.csv" ] || fail "collate: $(ls "$O")"
    [ "$(head -n 1 "$O/native.csv")" = "$(head -n 1 "$O/llamacpp.csv")" ] || fail "native and llamacpp CSV columns differ"
    head -n 1 "$O/native.csv" | grep -q '^step,enqueue_latency_ms,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,generated_text,platform,release,device,username,hostname,size,quantize,seed,uuid,' || fail "CSV does not start with the seed's 16 columns"
    # a decoded-token row of each: latency, tokens/s and both throughputs filled
    for f in native llamacpp; do
        awk -F, 'NR > 1 && $1 == "1" { ok = ($3 != "" && $4 != "" && $5 != "" && $6 != ""); exit !ok }' "$O/$f.csv" || fail "$f.csv step-1 row lacks a metric"
    done
fi

# the seed's GGUF file made from a higher-precision one when asked: the
# model lookup (exit 3 naming --make-missing) runs before the backend is
# opened, so it is checked everywhere; the run on the file made, with llamacpp
mkdir -p "$D/seed/models"
expect 0 "$T" model synth --shape tiny --type f16 -o "$D/seed/models/Llama-3.2-1B-Instruct-F16.gguf"
(cd "$D/seed" && "$T" bench --backend llamacpp --quantize int8 -n 2 --repetitions 1 --warmup 0 --output-dir out >"$D/out" 2>"$D/err")
rc=$?
[ "$rc" -eq 3 ] && grep -q -- "--make-missing" "$D/err" || fail "missing seed file: exit $rc, $(cat "$D/err")"
[ ! -e "$D/seed/models/Llama-3.2-1B-Instruct-Q8_0.gguf" ] || fail "a file was made without --make-missing"
if need_llama "bench --make-missing"; then
    (cd "$D/seed" && "$T" bench --backend llamacpp --quantize int8 --make-missing -n 2 --repetitions 1 --warmup 0 --output-dir out >"$D/out" 2>"$D/err") || fail "--make-missing: $(cat "$D/err")"
    [ -f "$D/seed/models/Llama-3.2-1B-Instruct-Q8_0.gguf" ] || fail "--make-missing did not make the Q8_0 file"
    grep -q "making models/Llama-3.2-1B-Instruct-Q8_0.gguf from models/Llama-3.2-1B-Instruct-F16.gguf" "$D/err" ||
        fail "--make-missing does not say what it made: $(cat "$D/err")"
    set -- "$D"/seed/out/llamacpp_*_1B_int8_seed42_uuid*.txt
    [ -f "$1" ] && [ "$(count '"event":"token"' "$1")" -eq 2 ] || fail "--make-missing run: $(ls "$D/seed/out")"
fi

# no model given and none found: an error that lists where it looked
(cd "$D" && "$T" bench --backend native --size 3B -n 2 --output-dir "$D/x" >"$D/out" 2>"$D/err")
[ $? -eq 3 ] || fail "missing model: wanted exit 3"
grep -q "looked in" "$D/err" && grep -q -- "--synthetic" "$D/err" || fail "missing model message: $(cat "$D/err")"

# sweep: plan, run, resume, force
S=$D/sweep
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 3 --repetitions 1 --warmup 0 --output-dir "$S" --dry-run
[ "$(count '^run: teai bench' "$D/out")" -eq 2 ] || fail "dry run plan: $(cat "$D/out")"
[ ! -d "$S" ] || [ -z "$(ls "$S")" ] || fail "a dry run wrote logs"
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 3 --repetitions 1 --warmup 0 --output-dir "$S"
[ "$(ls "$S" | wc -l)" -eq 2 ] || fail "sweep wrote $(ls "$S" | wc -l) logs, wanted 2"
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 3 --repetitions 1 --warmup 0 --output-dir "$S"
[ "$(ls "$S" | wc -l)" -eq 2 ] || fail "resumed sweep re-ran complete configurations"
grep -q "2 skipped" "$D/out" || fail "resume summary: $(cat "$D/out")"
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 3 --repetitions 1 --warmup 0 --output-dir "$S" --force
[ "$(ls "$S" | wc -l)" -eq 4 ] || fail "--force did not re-run"
expect 2 "$T" sweep -m "$M" --quantize default,int9 --output-dir "$S"

# a failing configuration does not stop the sweep
expect 1 "$T" sweep -m "$M" --backends native,tinygrad --quantize default -n 2 --repetitions 1 --warmup 0 --output-dir "$D/sf"
grep -q "failed: tinygrad" "$D/out" || fail "sweep does not list the failure: $(cat "$D/out")"

# Ctrl-C: the log is closed as interrupted, exit 130
B=$D/slow.gguf
expect 0 "$T" model synth --shape tiny --dim 512 --ffn 2048 --layers 8 -o "$B"
"$T" bench -m "$B" -n 3000 -c 4096 --repetitions 1 --warmup 0 --output-dir "$D/int" -q >"$D/out" 2>"$D/err" &
pid=$!
wait_for_token "$D/int" || fail "no token within 120 s"
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, wanted 130"
set -- "$D"/int/*.txt
tail -n 1 "$1" | grep -q '"status":"interrupted"' || fail "interrupted log ends with $(tail -n 1 "$1")"
[ "$(count '"event":"token"' "$1")" -ge 1 ] || fail "the interrupted log lost its tokens"

# kill -9: complete lines stay
"$T" bench -m "$B" -n 3000 -c 4096 --repetitions 1 --warmup 0 --output-dir "$D/k9" -q >/dev/null 2>&1 &
pid=$!
wait_for_token "$D/k9" || fail "no token within 120 s"
kill -9 $pid
wait $pid 2>/dev/null
set -- "$D"/k9/*.txt
[ "$(count '"event":"token"' "$1")" -ge 1 ] || fail "kill -9 lost the measured tokens"

# a full disk (a file-size limit): an error, not a crash
(ulimit -f 4 && exec "$T" bench -m "$M" -n 200 --repetitions 1 --warmup 0 --output-dir "$D/full" -q) >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "full disk: exit $rc"
grep -q "$D/full/native_.*\.txt: write: File too large" "$D/err" || fail "full disk message does not name the log and the reason: $(cat "$D/err")"

finish
