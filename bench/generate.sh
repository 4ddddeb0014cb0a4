#!/bin/sh
# Decode and prefill speed of `teai generate` on a synthesized model with the
# Llama-3.2-1B shapes, at every load-time quantization and 1 and 2 threads,
# with llama.cpp's llama-bench on the same file in the same run when it is
# built (scripts/provision-llama.sh --build). Prints figures; passes nothing.
#   bench/generate.sh [REPS]     (default 3 repetitions; medians are printed)
# Environment: TEAI (default build/teai), TEAI_BENCH_DIR (default bench-data),
# TEAI_BENCH_SHAPE (default llama-3.2-1b), TEAI_BENCH_TYPE (default q8_0).
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-3}
TEAI=${TEAI:-build/teai}
DIR=${TEAI_BENCH_DIR:-bench-data}
SHAPE=${TEAI_BENCH_SHAPE:-llama-3.2-1b}
TYPE=${TEAI_BENCH_TYPE:-q8_0}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp
mkdir -p "$DIR"
model=$DIR/$SHAPE-$TYPE.gguf
vocab=$CACHE/src/models/ggml-vocab-llama-bpe.gguf
if [ ! -f "$model" ]; then
    if [ -f "$vocab" ]; then
        "$TEAI" model synth --shape "$SHAPE" --type "$TYPE" --vocab-from "$vocab" -o "$model"
    else
        "$TEAI" model synth --shape "$SHAPE" --type "$TYPE" -o "$model"
    fi
fi
prompt="The quick brown fox jumps over the lazy dog and keeps running far away"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "model: $model ($(du -h "$model" | cut -f1)), $(nproc) CPUs, $REPS repetitions, medians"
printf '%-10s %-8s %7s %14s %14s %10s\n' engine quantize threads "prefill tok/s" "decode tok/s" "load ms"
for t in 1 2; do
    for q in default float16 int8 nf4; do
        : >"$DIR/pp" && : >"$DIR/tg" && : >"$DIR/ld"
        r=0
        while [ $r -lt "$REPS" ]; do
            "$TEAI" generate -m "$model" --quantize $q -t $t -n 33 --ignore-eos --temp 0 --timing \
                -p "$prompt" 2>"$DIR/err" >/dev/null
            sed -n 's/^prefill .* \([0-9.]*\) tok\/s.*/\1/p' "$DIR/err" >>"$DIR/pp"
            sed -n 's/^decode .* \([0-9.]*\) tok\/s$/\1/p' "$DIR/err" >>"$DIR/tg"
            sed -n 's/.* loaded in \([0-9]*\) ms$/\1/p' "$DIR/err" >>"$DIR/ld"
            r=$((r + 1))
        done
        printf '%-10s %-8s %7s %14s %14s %10s\n' teai $q $t "$(median <"$DIR/pp")" \
            "$(median <"$DIR/tg")" "$(median <"$DIR/ld")"
    done
done
bench=$CACHE/build/bin/llama-bench
if [ -x "$bench" ]; then
    "$bench" -m "$model" -p 14 -n 32 -t 1,2 -r "$REPS" -o csv 2>/dev/null |
        awk -F, 'NR > 1 { gsub(/"/, ""); for (i = 1; i <= NF; i++) h[i] = $i }
                 NR == 1 { gsub(/"/, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
                 { t = $col["n_threads"]; ts = $col["avg_ts"]
                   if ($col["n_prompt"] > 0) pp[t] = ts; else tg[t] = ts }
                 END { for (t = 1; t <= 2; t++)
                         printf "%-10s %-8s %7s %14.2f %14.2f %10s\n", "llama.cpp", "(file)", t, pp[t], tg[t], "-" }'
else
    echo "llama.cpp: $bench not built (scripts/provision-llama.sh --build); no comparison"
fi
