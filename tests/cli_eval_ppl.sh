#!/bin/sh
# teai eval ppl end to end: the Final estimate line and per-chunk estimates,
# a KL base written and compared (against itself: exactly 0 and 100 % top-1
# agreement; nf4 against float16: KL > 0), the results record, the errors
# (text too short, base corrupt or for another context: one line, exit 3)
# and Ctrl-C (the estimate so far, exit 130); teai sweep --eval ppl
# --eval-kl-base: every configuration's record compared against one base.
set -u
NAME=cli_eval_ppl
. "$(dirname "$0")/lib_cli.sh"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
# a text of ~3000 tokens, and one of a few
awk 'BEGIN { split("the cat sat on a mat and then it slept while dogs ran around the house", w, " ");
  s = 7; for (i = 0; i < 3000; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%s ", w[1 + int(s / 65536) % 16] } print "" }' >"$D/text.txt"
echo "a short text" >"$D/short.txt"

expect 0 "$T" eval ppl -m "$M" --text "$D/text.txt" --ctx 64 --chunks 5 -t 2
grep -Eq '^Final estimate: PPL = [0-9]+\.[0-9]{4} \+/- [0-9]+\.[0-9]{5}$' "$D/out" || fail "no Final estimate line: $(tail -n 3 "$D/out")"
grep -q '^\[1\][0-9.]*,\[2\][0-9.]*,\[3\][0-9.]*,\[4\][0-9.]*,\[5\][0-9.]*,$' "$D/out" || fail "per-chunk estimates: $(grep '^\[1\]' "$D/out")"
grep -q '5 chunks of n_ctx=64, 155 tokens scored' "$D/out" || fail "wanted 5 chunks x 31 scored tokens: $(grep chunks "$D/out")"
PPL=$(sed -n 's/^Final estimate: PPL = \([0-9.]*\) .*/\1/p' "$D/out")

# a base from the float16 run; the same run against it
B=$D/f16.kl
expect 0 "$T" eval ppl -m "$M" --quantize float16 --text "$D/text.txt" --ctx 64 --chunks 5 -t 2 --kl-base "$B"
[ -s "$B" ] && [ ! -e "$B.part" ] || fail "no base file (or a .part left)"
expect 0 "$T" eval ppl -m "$M" --quantize float16 --text "$D/text.txt" -t 2 --kl "$B" --results-dir "$D/res" --size 1B
grep -q '^Mean    KLD:   0.000000 ±   0.000000$' "$D/out" || fail "self KL is not 0: $(grep 'Mean    KLD' "$D/out")"
grep -q '^Maximum KLD:   0.000000$' "$D/out" || fail "self max KL is not 0"
grep -q '^Same top p: 100.000 ± 0.000 %$' "$D/out" || fail "self top-1 agreement is not 100 %: $(grep 'Same top' "$D/out")"
grep -q "^Final estimate: PPL = $PPL " "$D/out" || fail "the KL run's estimate differs from the plain run's ($PPL)"
set -- "$D"/res/native_sweep_perplexity_1B_*.json
[ -f "$1" ] || fail "no results record in $D/res: $(ls "$D/res" 2>&1)"
for k in '"environment":' '"perplexity"' '"ppl"' '"kl_divergence"' '"top1_agreement"' '"delta_p"' '"weight_format"' '"eval_time_seconds"'; do
    grep -q "$k" "$1" || fail "record lacks $k"
done

# nf4 against the float16 base: a positive divergence, percentiles in order
expect 0 "$T" eval ppl -m "$M" --quantize nf4 -t 2 --kl "$B"
KLD=$(sed -n 's/^Mean    KLD: *\([0-9.]*\) .*/\1/p' "$D/out")
awk -v k="$KLD" 'BEGIN { exit !(k > 0) }' || fail "nf4 KL is not > 0: '$KLD'"
grep -q '^99.9%   KLD:' "$D/out" && grep -q '^Median  Δp:' "$D/out" && grep -q '^Mean ln(PPL(Q)/PPL(base))' "$D/out" || fail "KL section incomplete"
[ "$(grep -c '^   [1-5]  ' "$D/out")" -eq 5 ] || fail "wanted 5 rows in the KL table"

# errors: one line each, exit 3 (bad input) or 2 (bad command line)
expect 3 "$T" eval ppl -m "$M" --text "$D/short.txt" --ctx 64
[ "$(wc -l <"$D/err")" -eq 1 ] && grep -q 'needs at least 128' "$D/err" || fail "short text: $(cat "$D/err")"
expect 3 "$T" eval ppl -m "$M" --text "$D/text.txt" --ctx 32 --kl "$B"
[ "$(wc -l <"$D/err")" -eq 1 ] && grep -q 'computed with --ctx 64' "$D/err" || fail "ctx mismatch: $(cat "$D/err")"
head -c 3000 "$B" >"$D/cut.kl"
expect 3 "$T" eval ppl -m "$M" --kl "$D/cut.kl"
[ "$(wc -l <"$D/err")" -eq 1 ] && grep -q 'truncated' "$D/err" || fail "truncated base: $(cat "$D/err")"
printf 'not a base file at all, not even close' >"$D/junk.kl"
expect 3 "$T" eval ppl -m "$M" --kl "$D/junk.kl"
[ "$(wc -l <"$D/err")" -eq 1 ] || fail "junk base: $(cat "$D/err")"
expect 3 "$T" eval ppl -m "$M" --kl "$D/missing.kl"
expect 2 "$T" eval ppl -m "$M" --text "$D/text.txt" --kl "$B" --kl-base "$D/x.kl"
expect 2 "$T" eval ppl -m "$M"

# teai sweep --eval ppl --eval-kl-base: each configuration against one base
# (the text is the base's); default is the base's own weights: KL 0
K=$D/default.kl
expect 0 "$T" eval ppl -m "$M" --text "$D/text.txt" --ctx 64 --chunks 3 -t 2 --kl-base "$K"
expect 0 "$T" sweep --backends native -m "$M" --quantize default,int8 -n 2 --repetitions 1 --warmup 0 \
    -t 2 --output-dir "$D/sweep" --eval ppl --eval-kl-base "$K" --dry-run
[ "$(grep -c "^eval: teai eval ppl -m MODEL --quantize [a-z0-9]* --kl $K " "$D/out")" -eq 2 ] ||
    fail "sweep dry run does not name the base: $(grep eval "$D/out")"
expect 0 "$T" sweep --backends native -m "$M" --quantize default,int8 -n 2 --repetitions 1 --warmup 0 \
    -t 2 --output-dir "$D/sweep" --eval ppl --eval-kl-base "$K"
set -- "$D"/sweep/verifiers_results/native_sweep_perplexity_1B_*.json
[ -f "$1" ] || fail "sweep: no perplexity record: $(ls "$D/sweep/verifiers_results" 2>&1)"
# "quantization KL" per record, from the JSON with its white space removed
tr -d ' \t\r\n' <"$1" | awk '{ n = split($0, r, "\"quantization\":");
  for (i = 2; i <= n; i++) { q = r[i]; sub(/,.*/, "", q); gsub(/"/, "", q); k = r[i];
    if (sub(/.*"kl_divergence":\{"avg":/, "", k)) sub(/[,}].*/, "", k); else k = "none"; print q, k } }' >"$D/kl.txt"
awk '$1 == "default" && $2 != "none" && $2 + 0 >= 0 && $2 + 0 < 1e-6 { d++ }
     $1 == "int8" && $2 != "none" && $2 + 0 > 0 { i++ } END { exit !(d == 1 && i == 1) }' "$D/kl.txt" ||
    fail "sweep KL: wanted ~0 for default and > 0 for int8: $(cat "$D/kl.txt")"
for k in '"top1_agreement"' '"delta_p"'; do
    [ "$(grep -c "$k" "$1")" -eq 2 ] || fail "sweep records lack $k"
done
# a missing base: one line naming it, exit 3, before any benchmark
expect 3 "$T" sweep --backends native -m "$M" --quantize default -n 2 --output-dir "$D/sweep2" \
    --eval ppl --eval-kl-base "$D/missing.kl"
[ "$(wc -l <"$D/err")" -eq 1 ] && grep -q "missing.kl" "$D/err" || fail "sweep, missing base: $(cat "$D/err")"
[ ! -d "$D/sweep2" ] || fail "the sweep ran benchmarks with a missing base"
expect 2 "$T" sweep --backends native -m "$M" --output-dir "$D/sweep2" --eval-kl-base "$K"

# Ctrl-C at a chunk boundary: the estimate so far, exit 130
for i in 1 2 3 4 5 6 7 8; do cat "$D/text.txt"; done >"$D/long.txt"
"$T" eval ppl -m "$M" --text "$D/long.txt" --ctx 512 -t 1 >"$D/out" 2>"$D/err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '\[1\]' "$D/out"; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "Ctrl-C: exit $rc (wanted 130): $(cat "$D/err")"
grep -q '^interrupted after [0-9]* of [0-9]* chunks' "$D/out" || fail "Ctrl-C: no 'interrupted' line"
grep -q '^Final estimate: PPL = ' "$D/out" || fail "Ctrl-C: no estimate so far"
finish
