#!/bin/sh
# teai report: a PDF presentation of the collated CSVs (DESIGN §8). Checks
# the page count and size with pdfinfo and the headings and the decode
# tokens/s mean of teai analyze with pdftotext.
NAME=cli_report
. "$(dirname "$0")/lib_cli.sh"

command -v pdfinfo >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || {
    echo "SKIP: pdfinfo/pdftotext missing (install poppler-utils)"
    exit 77
}
"$T" report --help >"$D/out" 2>"$D/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown command" "$D/err"; then
    echo "SKIP: teai report is not registered in main.c yet"
    exit 77
fi
if [ "$rc" -eq 1 ] && grep -q "built without cairo" "$D/err"; then
    echo "SKIP: built without cairo"
    exit 77
fi

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
npages=$((4 + nfig))
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
    "Methodology and limitations" "Warm-up" "synthetic" "M.gguf" "int8"; do
    grep -qi "$h" "$D/R.txt" || fail "PDF text lacks '$h'"
done
[ "$nskip" -gt 0 ] && { grep -q "could not support" "$D/R.txt" || fail "no skipped-figures slide"; }
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

# bad argument
expect 2 "$T" report --bogus
finish
