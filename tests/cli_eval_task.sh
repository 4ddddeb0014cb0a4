#!/bin/sh
# teai eval task and teai sweep --eval end to end on a tiny synthesized model
# (native backend: random weights answer garbage, so this checks the files
# and their shape, not the rewards, which tests/test_eval_task.c checks
# against a scripted server): the seed-shaped JSON list, one JSONL line per
# rollout, bad input, and the sweep's evaluation with its resume.
set -u
NAME=cli_eval_task
. "$(dirname "$0")/lib_cli.sh"
count() { grep -c "$1" "$2" 2>/dev/null || true; }
PY=1
command -v python3 >/dev/null 2>&1 || { PY=0 && echo "skip: JSON parse checks: python3 missing"; }
# check_json FILE N: FILE is a JSON list of N records with the seed's fields
check_json() {
    for k in quantization size environment num_examples max_tokens metrics reward avg std \
        stderr ci95 eval_time_seconds elapsed_seconds returncode timestamp backend \
        weight_format model rollouts temperature seed examples_file; do
        grep -q "\"$k\":" "$1" || fail "$1 lacks \"$k\""
    done
    [ "$(head -c 1 "$1")" = "[" ] || fail "$1 is not a JSON list"
    if [ $PY = 1 ]; then
        python3 - "$1" "$2" <<'EOF' || fail "$1 does not parse as the records wanted"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == int(sys.argv[2]), len(d)
for r in d:
    assert list(r["metrics"])[0] in ("reward", "ppl"), list(r["metrics"])
    for line in open(r["examples_file"]) if r["examples_file"] else []:
        json.loads(line)
EOF
    fi
}

# light runs (sanitizers: a rollout's prefill takes seconds there) do less
ROLL=2 EN=2
[ -z "${TEAI_TEST_LIGHT:-}" ] || ROLL=1 EN=1
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
printf '%s\n' \
    '{"question": "Tom has 3 apples and buys 4 more. How many apples?", "answer": "3 + 4 = 7\n#### 7"}' \
    '' \
    '{"question": "A book costs $12. What do 3 books cost?", "answer": "#### 36"}' \
    '{"question": "never read with -n 2", "answer": "#### 1"}' >"$D/gsm8k.jsonl"

# gsm8k: 2 examples x 2 rollouts (x 1 in light runs)
R=$D/vr
expect 0 "$T" eval task --env gsm8k --dataset "$D/gsm8k.jsonl" --backend native -m "$M" \
    -n 2 --rollouts $ROLL --max-tokens 6 --results-dir "$R" -t 2
grep -q "reward" "$D/out" || fail "no reward in the summary: $(cat "$D/out")"
set -- "$R"/native_sweep_gsm8k_1B_*.json
[ -f "$1" ] || fail "no native_sweep_gsm8k_1B_<timestamp>.json in $R: $(ls "$R")"
J=$1
check_json "$J" 1
grep -q '"num_examples":[[:space:]]*2' "$J" || fail "num_examples is not 2"
grep -q "\"rollouts\":[[:space:]]*$ROLL" "$J" || fail "rollouts is not $ROLL"
set -- "$R"/native_sweep_gsm8k_1B_*_default.jsonl
[ -f "$1" ] || fail "no per-example JSONL next to the results"
[ "$(wc -l <"$1")" -eq $((2 * ROLL)) ] || fail "wanted $((2 * ROLL)) JSONL lines (2 examples x $ROLL rollouts), got $(wc -l <"$1")"
for k in example rollout prompt completion extracted reference reward tokens seconds; do
    [ "$(count "\"$k\":" "$1")" -eq $((2 * ROLL)) ] || fail "JSONL lines lack \"$k\""
done
grep -q '"reference":"36"' "$1" || fail "the second example's reference is not 36"

# llamacpp on the same file, when llama.cpp is here: the same files, its prefix
if need_llama "llamacpp eval task"; then
    expect 0 "$T" eval task --env gsm8k --dataset "$D/gsm8k.jsonl" --backend llamacpp -m "$M" -n 1 \
        --max-tokens 4 --results-dir "$R" -t 2
    set -- "$R"/llamacpp_sweep_gsm8k_1B_*.json
    [ -f "$1" ] && check_json "$1" 1 || fail "llamacpp results: $(ls "$R")"
fi

# reverse_text and wordle, int8, one example each
printf '{"text": "hello"}\n' >"$D/rev.jsonl"
expect 0 "$T" eval task --env reverse_text --dataset "$D/rev.jsonl" -m "$M" --quantize int8 \
    --max-tokens 4 --results-dir "$R" -t 2
set -- "$R"/native_sweep_reverse_text_1B_*.json
[ -f "$1" ] && check_json "$1" 1 && grep -q '"exact_match"' "$1" && grep -q '"quantization":[[:space:]]*"int8"' "$1" ||
    fail "reverse_text results: $(ls "$R")"
printf '{"answer": "crane"}\n' >"$D/wordle.jsonl"
# (six turns of a ~600-token prompt: slow under the sanitizers, so not in light runs)
[ -n "${TEAI_TEST_LIGHT:-}" ] || expect 0 "$T" eval task --env wordle --dataset "$D/wordle.jsonl" -m "$M" --max-tokens 3 \
    --results-dir "$R" -t 2
set -- "$R"/native_sweep_wordle_1B_*.jsonl
# garbage guesses are invalid: a lost game of six turns
[ -n "${TEAI_TEST_LIGHT:-}" ] || { [ -f "$1" ] && grep -q '"turns":6' "$1" && grep -q '"reward":0' "$1" ||
    fail "wordle JSONL: $(head -c 300 "$1" 2>/dev/null)"; }

# bad input: one-line errors, non-zero exits, nothing written
printf '{"question": "ok", "answer": "#### 1"}\n{"question": "no answer"}\n' >"$D/bad.jsonl"
expect 3 "$T" eval task --env gsm8k --dataset "$D/bad.jsonl" -m "$M" --results-dir "$D/bad"
grep -q "bad.jsonl:2: " "$D/err" || fail "no file:line in the error: $(cat "$D/err")"
[ "$(wc -l <"$D/err")" -eq 1 ] || fail "the error is not one line: $(cat "$D/err")"
[ ! -d "$D/bad" ] || fail "a failed load wrote results"
printf 'not json\n' >"$D/bad2.jsonl"
expect 3 "$T" eval task --env wordle --dataset "$D/bad2.jsonl" -m "$M" --results-dir "$D/bad"
expect 3 "$T" eval task --env wordle --dataset "$D/missing.jsonl" -m "$M"
expect 2 "$T" eval task --env chess --dataset "$D/wordle.jsonl" -m "$M"
expect 2 "$T" eval task --dataset "$D/wordle.jsonl" -m "$M"
expect 2 "$T" eval task --env wordle --dataset "$D/wordle.jsonl" -m "$M" --concurrency 2
grep -q "openai" "$D/err" || fail "--concurrency with native: $(cat "$D/err")"
expect 2 "$T" eval task --env wordle --dataset "$D/wordle.jsonl" --backend openai
expect 2 "$T" eval task --env wordle --dataset "$D/wordle.jsonl" --backend llama-bench -m "$M"
expect 2 "$T" eval task --env wordle --dataset "$D/wordle.jsonl" -m "$M" --max-tokens 0
expect 0 "$T" eval task --help
grep -q -- "--rollouts" "$D/out" || fail "help lacks --rollouts"

# sweep --eval: benchmarks, then one evaluation per quantization into ONE file
O=$D/sweep
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 2 --repetitions 1 --warmup 0 -t 2 \
    --output-dir "$O" --eval gsm8k --eval-dataset "$D/gsm8k.jsonl" --eval-n $EN --eval-max-tokens 4
[ "$(ls "$O"/native_*.txt 2>/dev/null | wc -l)" -eq 2 ] || fail "sweep logs: $(ls "$O")"
set -- "$O"/verifiers_results/native_sweep_gsm8k_1B_*.json
[ "$#" -eq 1 ] && [ -f "$1" ] || fail "wanted one results file: $(ls "$O"/verifiers_results)"
SJ=$1
check_json "$SJ" 2
grep -q '"quantization":[[:space:]]*"default"' "$SJ" && grep -q '"quantization":[[:space:]]*"int8"' "$SJ" ||
    fail "sweep results lack a quantization"
[ "$(ls "$O"/verifiers_results/*.jsonl | wc -l)" -eq 2 ] || fail "wanted 2 JSONL files"
# dry run and resume: recorded evaluations are skipped, the file keeps 2 records
expect 0 "$T" sweep -m "$M" --quantize default,int8 -n 2 --repetitions 1 --warmup 0 -t 2 \
    --output-dir "$O" --eval gsm8k --eval-dataset "$D/gsm8k.jsonl" --eval-n $EN --eval-max-tokens 4 \
    --dry-run
[ "$(count '^skip (recorded): teai eval task --env gsm8k' "$D/out")" -eq 2 ] || fail "dry run: $(cat "$D/out")"
expect 0 "$T" sweep -m "$M" --quantize default,int8,nf4 -n 2 --repetitions 1 --warmup 0 -t 2 \
    --output-dir "$O" --eval gsm8k --eval-dataset "$D/gsm8k.jsonl" --eval-n $EN --eval-max-tokens 4
grep -q "eval gsm8k: 1 run, 2 skipped" "$D/out" || fail "resume: $(cat "$D/out")"
check_json "$SJ" 3
# the whole chain: the sweep's logs and results -> CSVs with accuracy.csv -> pareto.png
expect 0 "$T" collate --dir "$O"
[ -f "$O/accuracy.csv" ] || fail "collate wrote no accuracy.csv: $(ls "$O")"
for q in default int8 nf4; do
    grep -q "^native,1B,$q,.*,gsm8k,reward," "$O/accuracy.csv" ||
        fail "accuracy.csv lacks the gsm8k reward of $q: $(cat "$O/accuracy.csv")"
done
if has_feature cairo; then
    expect 0 "$T" plot --dir "$O" --output-dir "$D/plots"
    [ -s "$D/plots/pareto.png" ] || fail "no pareto.png: $(cat "$D/out" "$D/err")"
else
    echo "skip: pareto.png: cairo missing (teai was built without it)"
fi
# a bad data set fails before any benchmark runs
expect 3 "$T" sweep -m "$M" --quantize default -n 2 --output-dir "$D/sweep2" --eval gsm8k --eval-dataset "$D/bad.jsonl"
[ ! -d "$D/sweep2" ] || fail "the sweep ran benchmarks with a bad data set"
expect 2 "$T" sweep -m "$M" --eval gsm8k --output-dir "$D/sweep2"
# perplexity after the benchmarks (native)
i=0
while [ $i -lt 40 ]; do
    echo "The quick brown fox jumps over the lazy dog while the cat sleeps on the mat." >>"$D/text.txt"
    i=$((i + 1))
done
if [ -n "${TEAI_TEST_LIGHT:-}" ]; then
    echo "skip: sweep --eval ppl (light run)"
elif "$T" sweep -m "$M" --quantize default -n 2 --repetitions 1 --warmup 0 -t 2 --output-dir "$D/ppl" \
    --eval ppl --eval-text "$D/text.txt" --eval-n 1 >"$D/out" 2>"$D/err"; then
    set -- "$D/ppl"/verifiers_results/native_sweep_perplexity_1B_*.json
    [ -f "$1" ] && grep -q '"ppl":' "$1" || fail "no perplexity record: $(ls "$D/ppl"/verifiers_results)"
else
    fail "sweep --eval ppl: $(cat "$D/err")"
fi
finish
