#!/bin/sh
# teai plot end to end: figures from real bench runs (native default and
# int8, plus llamacpp when this build has it), PNG validity and size,
# device_comparison skipped on one host, exit 3 on missing or bad data.
set -u
NAME=cli_plot
. "$(dirname "$0")/lib_cli.sh"
"$T" plot --help >"$D/h" 2>&1
if ! grep -q "output-dir" "$D/h"; then
    echo "SKIP: teai plot is not available in this build: $(head -c 200 "$D/h")"
    exit 77
fi
# u32 big-endian at byte offset $2 of file $1
be32() { od -An -tu1 -j "$2" -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'; }

M=$D/m.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
B=$D/bench
for q in default int8; do
    expect 0 "$T" bench --backend native -m "$M" -n 6 --repetitions 2 --warmup 1 --quantize $q --output-dir "$B"
    "$T" bench --backend llamacpp -m "$M" -n 6 --repetitions 2 --warmup 1 --quantize $q \
        --output-dir "$B" >/dev/null 2>&1 || echo "note: llamacpp $q not run"
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
grep -q "^skipped device_comparison: one device only" "$D/out" || fail "device_comparison not skipped: $(cat "$D/out")"
[ -f "$P/device_comparison.png" ] && fail "device_comparison.png written from one host"
ls "$P" | grep -q tmp && fail "temporary files left in $P"
grep -q "95% CI" "$D/out" || fail "findings carry no confidence interval"

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
