#!/bin/sh
# teai's engine against llama.cpp on the same files, in one run: for each GGUF
# type and thread count, pp (prompt processing) and tg (generation) speed,
# teai and llama-bench alternating repetition by repetition, medians; the read
# bandwidth of the machine measured in the same run; then teai's load-time
# int8/nf4 against the GGUF types of the same bits, with load time and peak
# RSS. Prints figures; passes nothing.
#   bench/speed.sh [REPS]          (default 5 alternating repetitions per cell)
# Environment:
#   TYPES    GGUF types to synthesize (default "f16 q8_0 q4_0 q4_k_m q6_k")
#   THREADS  thread counts (default "1 2")
#   PP       prompt lengths (default "128 512"); PP_THREADS: threads for them
#            (default: the largest of THREADS)
#   TG       generated tokens (default 32)
#   SHAPE    synth shape (default llama-3.2-1b, with the Llama 3 vocabulary)
#   TEAI_BENCH_DIR  where models and raw figures go (default bench-data)
# Needs build/teai, build/bench/teai-speed, build/bench/teai-membw (make) and
# llama-bench (scripts/provision-llama.sh --build); without llama-bench only
# teai's figures are printed.
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-5}
TYPES=${TYPES:-"f16 q8_0 q4_0 q4_k_m q6_k"}
THREADS=${THREADS:-"1 2"}
PP=${PP:-"128 512"}
TG=${TG:-32}
SHAPE=${SHAPE:-llama-3.2-1b}
DIR=${TEAI_BENCH_DIR:-bench-data}
TEAI=${TEAI:-build/teai}
SPEED=build/bench/teai-speed
MEMBW=build/bench/teai-membw
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp
LB=${LLAMA_BENCH:-$CACHE/build/bin/llama-bench}
VOCAB=$CACHE/src/models/ggml-vocab-llama-bpe.gguf
max_t=1
for t in $THREADS; do [ "$t" -gt "$max_t" ] && max_t=$t; done
PP_THREADS=${PP_THREADS:-$max_t}
mkdir -p "$DIR"
RAW=$DIR/speed-raw.txt
: >"$RAW"
[ -x "$LB" ] || { echo "note: no llama-bench at $LB: teai only"; LB=; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# one figure: teai-speed or llama-bench, one repetition (each with its warm-up)
teai_run() { # model quantize threads test(pp128|tg32)
    case $4 in pp*) a="-p ${4#pp}" ;; *) a="-n ${4#tg}" ;; esac
    "$SPEED" -m "$1" --quantize "$2" -t "$3" $a -r 1 | sed -n "s/^$4 t\/s //p"
}
llama_run() { # model threads test
    case $3 in pp*) a="-p ${3#pp} -n 0" ;; *) a="-p 0 -n ${3#tg}" ;; esac
    "$LB" -m "$1" -t "$2" $a -r 1 -o csv 2>/dev/null |
        awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "avg_ts") c = i} NR == 2 {gsub(/"/, "", $c); print $c}'
}
membw() { "$MEMBW" "$1" 1024 9 | sed 's/.*best \([0-9.]*\) GB\/s.*/\1/'; }
model_of() {
    f=$DIR/$SHAPE-$1.gguf
    if [ ! -f "$f" ]; then
        v=; [ -f "$VOCAB" ] && v="--vocab-from $VOCAB"
        "$TEAI" model synth --shape "$SHAPE" --type "$1" $v -o "$f" >&2
    fi
    echo "$f"
}

echo "teai speed benchmark: $SHAPE, $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $REPS alternating repetitions per cell, medians"
echo "llama.cpp: ${LB:-absent} (its defaults: f16 KV cache, flash attention auto, CPU repacking)"
for t in $THREADS; do
    echo "read bandwidth, $t thread(s): best of 9 passes $(membw "$t") GB/s" | tee -a "$RAW"
done
echo
printf '%-7s %3s %-6s %10s %10s %7s %8s %8s\n' type thr test "teai t/s" "llama t/s" ratio "teai %bw" "llama %bw"
for type in $TYPES; do
    m=$(model_of "$type")
    bytes=$(stat -c %s "$m")
    for t in $THREADS; do
        tests="tg$TG"
        [ "$t" = "$PP_THREADS" ] && for p in $PP; do tests="$tests pp$p"; done
        bw=$(membw "$t")
        for test in $tests; do
            : >"$DIR/a" && : >"$DIR/b"
            r=0
            while [ $r -lt "$REPS" ]; do
                teai_run "$m" default "$t" "$test" >>"$DIR/a"
                [ -n "$LB" ] && llama_run "$m" "$t" "$test" >>"$DIR/b"
                r=$((r + 1))
            done
            echo "$type t=$t $test teai $(tr '\n' ' ' <"$DIR/a") llama $(tr '\n' ' ' <"$DIR/b") bw $bw" >>"$RAW"
            a=$(median <"$DIR/a") b=$(median <"$DIR/b")
            ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {print (b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b)}')
            pa=-; pb=-
            case $test in tg*)
                pa=$(awk -v x="$a" -v s="$bytes" -v w="$bw" 'BEGIN {printf "%.0f%%", 100 * x * s / 1e9 / w}')
                [ "$b" != "-" ] && pb=$(awk -v x="$b" -v s="$bytes" -v w="$bw" 'BEGIN {printf "%.0f%%", 100 * x * s / 1e9 / w}') ;;
            esac
            printf '%-7s %3s %-6s %10s %10s %7s %8s %8s\n' "$type" "$t" "$test" "$a" "$b" "$ratio" "$pa" "$pb"
        done
    done
done

# teai's load-time quantizations against the GGUF types of the same bits
if echo "$TYPES" | grep -q f16; then
    src=$(model_of f16)
    echo
    echo "load-time quantization from $src (tg$TG medians; peak RSS against weights + KV cache)"
    printf '%-8s %3s %10s %10s %12s %10s %10s\n' quantize thr "tg t/s" "load ms" "peak RSS MB" "weights MB" "RSS ratio"
    for q in int8 nf4; do
        for t in $THREADS; do
            : >"$DIR/a" && : >"$DIR/l"
            r=0
            while [ $r -lt "$REPS" ]; do
                "$SPEED" -m "$src" --quantize $q -t "$t" -n "$TG" -r 1 >"$DIR/out"
                sed -n "s/^tg$TG t\/s //p" "$DIR/out" >>"$DIR/a"
                sed -n 's/^load ms //p' "$DIR/out" >>"$DIR/l"
                r=$((r + 1))
            done
            rss=$(sed -n 's/^peak_rss_mb //p' "$DIR/out")
            w=$(sed -n 's/^weight_mb //p' "$DIR/out")
            kv=$(sed -n 's/^kv_mb //p' "$DIR/out")
            printf '%-8s %3s %10s %10s %12s %10s %10s\n' $q "$t" "$(median <"$DIR/a")" "$(median <"$DIR/l")" \
                "$rss" "$w" "$(awk -v r="$rss" -v w="$w" -v k="$kv" 'BEGIN {printf "%.3f", r / (w + k)}')"
        done
    done
fi
echo
echo "raw figures: $RAW"
