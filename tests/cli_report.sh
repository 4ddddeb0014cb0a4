#!/bin/sh
# teai report: a PDF presentation of the collated CSVs (docs/plots.md). Checks
# the page count and size with pdfinfo and the headings and the decode
# tokens/s mean of teai analyze with pdftotext; then the accuracy slides
# (pareto figure, a table per environment) from verifiers results.
NAME=cli_report
. "$(dirname "$0")/lib_cli.sh"

has_feature cairo || skip_test "cairo missing: teai was built without it (libcairo2-dev)"
command -v pdfinfo >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 ||
    skip_test "pdfinfo/pdftotext missing (install poppler-utils)"
expect 0 "$T" report --help

# missing or empty folder: exit 3, a message, no file
expect 3 "$T" report --dir "$D/nope" -o "$D/x.pdf"
[ -s "$D/err" ] || fail "missing dir: no message"
mkdir -p "$D/empty"
expect 3 "$T" report --dir "$D/empty" -o "$D/x.pdf"
grep -q "no measured decode rows" "$D/err" || fail "empty dir: message: $(cat "$D/err")"
[ -e "$D/x.pdf" ] && fail "a PDF was written for an empty folder"

# data from the real CLI
expect 0 "$T" model synth --shape tiny -o "$D/M.gguf"
for Q in default int8; do
    expect 0 "$T" bench --backend native -m "$D/M.gguf" -n 6 --repetitions 2 --warmup 1 \
        --quantize "$Q" --output-dir "$D/bo"
done
expect 0 "$T" collate --dir "$D/bo"

# figures teai plot writes and skips on the same data
expect 0 "$T" plot --dir "$D/bo" --output-dir "$D/plots"
nfig=$(grep -c '^wrote ' "$D/out")
nskip=$(grep -c '^skipped ' "$D/out")
# title, setup, summary, energy and heat, devices, best per device,
# methodology + figures
npages=$((7 + nfig))
[ "$nskip" -gt 0 ] && npages=$((npages + 1))

expect 0 "$T" report --dir "$D/bo" -o "$D/R.pdf"
[ -s "$D/R.pdf" ] || fail "no PDF"
[ -s "$D/R.typ" ] || fail "no typst source"
[ -s "$D/R_figures/backend_comparison.png" ] || fail "no figure PNG next to the typst source"
grep -q 'R_figures/backend_comparison.png' "$D/R.typ" 2>/dev/null || fail "typst does not use the PNG"
ls "$D" | grep -q 'tmp' && fail "temporary files left: $(ls "$D")"

pdfinfo "$D/R.pdf" >"$D/info" 2>&1 || fail "pdfinfo: $(cat "$D/info")"
pages=$(sed -n 's/^Pages: *//p' "$D/info")
[ "$pages" = "$npages" ] || fail "pages $pages, wanted $npages ($nfig figures, $nskip skipped)"
grep -q 'Page size: *960 x 540 pts' "$D/info" || fail "not 16:9: $(grep 'Page size' "$D/info")"

pdftotext "$D/R.pdf" "$D/R.txt" || fail "pdftotext failed"
for h in "teai benchmark report" "Setup" "Backend comparison" "Summary: decode throughput" \
    "Energy and heat" "Devices" "read bandwidth" "Best configuration per device" \
    "Methodology and limitations" "Warm-up" "synthetic" "M.gguf" "int8"; do
    grep -qi "$h" "$D/R.txt" || fail "PDF text lacks '$h'"
done
[ "$nskip" -gt 0 ] && { grep -q "could not support" "$D/R.txt" || fail "no skipped-figures slide"; }
# the energy slide: a table of J/token where a sensor was read, else it says
# plainly that none was (or that the CSVs have no energy columns)
grep -q "J/token (95% CI)\|No energy sensor was available\|no energy columns\|no measured repetition" "$D/R.txt" ||
    fail "the energy and heat slide says nothing about energy: $(grep -A3 'Energy and heat' "$D/R.txt")"
grep -q "Energy and heat" "$D/R.typ" || fail "typst lacks the energy and heat slide"
# the decode tokens/s mean of teai analyze, to one decimal, is in the table
"$T" analyze --dir "$D/bo" --format csv >"$D/an.csv" 2>/dev/null || fail "analyze failed"
for q in default int8; do
    m=$(awk -F, -v q="$q" '$4 == q && $5 == "decode_tokens_per_sec" { printf "%.1f", $8 }' "$D/an.csv")
    [ -n "$m" ] || fail "analyze has no $q mean"
    grep -q "$m" "$D/R.txt" || fail "PDF lacks the $q decode mean $m"
done

# --paper: US letter portrait, same pages
expect 0 "$T" report --dir "$D/bo" -o "$D/P.pdf" --paper
pdfinfo "$D/P.pdf" >"$D/info" 2>&1
grep -q 'Page size: *612 x 792 pts' "$D/info" || fail "--paper: $(grep 'Page size' "$D/info")"
[ "$(sed -n 's/^Pages: *//p' "$D/info")" = "$npages" ] || fail "--paper: page count"

# accuracy results: the pareto figure, a table per environment and the
# methodology line
mkdir -p "$D/bo/verifiers_results"
cat >"$D/bo/verifiers_results/native_sweep_gsm8k_1B_20250102_030405.json" <<'JSON'
[{"quantization": "default", "size": "1B", "environment": "gsm8k", "num_examples": 50,
  "max_tokens": 256, "metrics": {"reward": {"avg": 0.62, "ci95": [0.48, 0.76], "n": 50}},
  "returncode": 0, "timestamp": "2025-01-02T03:04:05Z", "backend": "native"},
 {"quantization": "int8", "size": "1B", "environment": "gsm8k", "num_examples": 50,
  "max_tokens": 256, "metrics": {"reward": {"avg": 0.58, "ci95": [0.44, 0.72], "n": 50}},
  "returncode": 0, "timestamp": "2025-01-02T03:05:05Z", "backend": "native"}]
JSON
echo '[{"quantization": "int8", "size": "1B", "environment": "perplexity", "metrics": {"kl_divergence": {"avg": 0.012, "stderr": 0.001, "n": 2044}}}]' \
    >"$D/bo/verifiers_results/native_sweep_perplexity_1B_20250102_030405.json"
expect 0 "$T" collate --dir "$D/bo"
expect 0 "$T" plot --dir "$D/bo" --output-dir "$D/plots2"
grep -q '^wrote .*pareto.png' "$D/out" || fail "no pareto figure from the accuracy data"
nfig=$(grep -c '^wrote ' "$D/out")
nskip=$(grep -c '^skipped ' "$D/out")
npages=$((7 + nfig + 2)) # + a table for gsm8k and one for perplexity
[ "$nskip" -gt 0 ] && npages=$((npages + 1))
expect 0 "$T" report --dir "$D/bo" -o "$D/A.pdf"
grep -q "accuracy.csv" "$D/err" && fail "accuracy.csv read as a speed CSV: $(cat "$D/err")"
pdfinfo "$D/A.pdf" >"$D/info" 2>&1 || fail "pdfinfo: $(cat "$D/info")"
pages=$(sed -n 's/^Pages: *//p' "$D/info")
[ "$pages" = "$npages" ] || fail "accuracy report: pages $pages, wanted $npages"
[ -s "$D/A_figures/pareto.png" ] || fail "no pareto.png next to the typst source"
pdftotext "$D/A.pdf" "$D/A.txt" || fail "pdftotext failed"
tr '\n' ' ' <"$D/A.txt" >"$D/A1.txt" # wrapped lines joined
for h in "Accuracy against speed (pareto)" "Accuracy: gsm8k" "Accuracy: perplexity" \
    "0.48 - 0.76" "0.44 - 0.72" "kl_divergence" "Accuracy (accuracy.csv" "50 examples"; do
    grep -q "$h" "$D/A1.txt" || fail "accuracy report lacks '$h'"
done
# the finding: int8 either trades reward for speed or (if slower) is dominated
grep -q "native int8 is on the frontier\|native default dominates" "$D/A1.txt" ||
    fail "no pareto finding in the report"
# +-1.96 standard errors when a result has no CI: 0.012 +- 0.00196
grep -q "0.01004 - 0.01396" "$D/A.txt" || fail "no CI from the standard error"

# two devices on this host: one named as teai remote names a device
# (TEAI_DEVICE_NAME, the device_name column), one local. The report shows
# device_comparison, a device table row and best configurations for each.
for N in "" board; do
    if [ -n "$N" ]; then export TEAI_DEVICE_NAME="$N"; else unset TEAI_DEVICE_NAME; fi
    expect 0 "$T" bench --backend native -m "$D/M.gguf" -n 6 --repetitions 2 --warmup 1 \
        --output-dir "$D/two"
done
unset TEAI_DEVICE_NAME
expect 0 "$T" collate --dir "$D/two"
expect 0 "$T" plot --dir "$D/two" --output-dir "$D/plots3"
grep -q '^wrote .*device_comparison.png: fastest device: ' "$D/out" ||
    fail "no device_comparison over two devices: $(grep device_comparison "$D/out" "$D/err")"
expect 0 "$T" report --dir "$D/two" -o "$D/D.pdf"
pdftotext -layout "$D/D.pdf" "$D/D.txt" || fail "pdftotext failed"
grep -q "Device comparison" "$D/D.txt" || fail "no device_comparison slide"
grep -q "machine *read bandwidth" "$D/D.txt" || fail "no device table"
[ "$(grep -c '^ *board (.*decode speed' "$D/D.txt")" = 1 ] || fail "no best speed row for board"
[ "$(grep -c 'decode speed (highest)' "$D/D.txt")" = 2 ] ||
    fail "best speed rows: $(grep -c 'decode speed (highest)' "$D/D.txt"), wanted 2"
# teai analyze ends with the same per-device best configurations
expect 0 "$T" analyze --dir "$D/two"
grep -A3 "Best configuration per device" "$D/out" | grep -q "^  board (.*: decode native 1B default" ||
    fail "analyze: no best configuration for board: $(tail -4 "$D/out")"
# teai viz keeps the two devices apart: a row and a bar section each
expect 0 "$T" viz --dir "$D/two" --ascii
[ "$(grep -c '^board  *1B  *default  *native ' "$D/out")" = 1 ] || fail "viz: no row for board"
[ "$(grep -c '1B (bars: mean decode tokens/s' "$D/out")" = 2 ] || fail "viz: devices pooled"
# a device without an energy sensor says so, never 0 J
if ! grep -q "J/token (95% CI)" "$D/D.txt"; then
    grep -q "energy (lowest) *not measured" "$D/D.txt" || fail "energy not said to be not measured"
fi

# bad argument
expect 2 "$T" report --bogus
expect 2 "$T" report --dir "$D/bo" --accuracy-metric nocolon
finish
