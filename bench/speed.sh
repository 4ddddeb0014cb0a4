#!/bin/sh
# teai's engine against llama.cpp on the same files, in one run: for each GGUF
# type and thread count, pp (prompt processing) and tg (generation) speed,
# teai and llama-bench alternating repetition by repetition, medians; the read
# bandwidth of the machine measured in the same run; then tg and pp at depth
# (after a long context, llama-bench's -d); then teai's load-time int8/nf4
# against the GGUF types of the same bits, with load time and peak RSS.
# With OLD_SPEED, an older build's teai-speed runs in the same alternation, in
# a column of its own. Prints figures; passes nothing.
#   bench/speed.sh [REPS]          (default 5 alternating repetitions per cell)
# Environment:
#   TYPES    GGUF types to synthesize (default "f16 q8_0 q4_0 q4_k_m q6_k")
#   THREADS  thread counts (default "1 2")
#   PP       prompt lengths (default "128 512"); PP_THREADS: threads for them
#            (default: the largest of THREADS)
#   TG       generated tokens (default 32)
#   CACHE_TYPE  KV cache type of both sides: f16 (default), f32 or q8_0
#            (teai-speed --cache-type, llama-bench -ctk/-ctv)
#   LLAMA_FA llama-bench's flash attention (-fa; default 1, on)
#   DEPTH_TYPES  types of the depth table (default "q8_0 q4_0"; "" skips it)
#   DEPTHS   context depths for tg (default "512 2048 8192")
#   DEPTH_PP prompt length for pp at depth (default 512), at the depths
#            DEPTH_PP_AT (default 2048); DEPTH_THREADS (default PP_THREADS)
#   OLD_SPEED  an older build's teai-speed (e.g. the baseline's
#            build/bench/teai-speed): a column with its figures, run in the
#            same alternation; options it does not know are left out (an old
#            binary without --cache-type runs its own cache type; without -d
#            it has no depth figures)
#   TEAI_ARGS  more teai-speed options for the new build (e.g. --no-repack)
#   SHAPE    synth shape (default llama-3.2-1b, with the Llama 3 vocabulary)
#   TEAI_BENCH_DIR  where models and raw figures go (default bench-data)
# Needs build/teai, build/bench/teai-speed, build/bench/teai-membw (make) and
# llama-bench (scripts/provision-llama.sh --build); without llama-bench only
# teai's figures are printed.
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-5}
TYPES=${TYPES-"f16 q8_0 q4_0 q4_k_m q6_k"}
THREADS=${THREADS:-"1 2"}
PP=${PP-"128 512"}
TG=${TG:-32}
CACHE_TYPE=${CACHE_TYPE:-f16}
LLAMA_FA=${LLAMA_FA:-1}
DEPTH_TYPES=${DEPTH_TYPES-"q8_0 q4_0"}
DEPTHS=${DEPTHS:-"512 2048 8192"}
DEPTH_PP=${DEPTH_PP:-512}
DEPTH_PP_AT=${DEPTH_PP_AT-2048}
OLD_SPEED=${OLD_SPEED:-}
TEAI_ARGS=${TEAI_ARGS:-}
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
DEPTH_THREADS=${DEPTH_THREADS:-$PP_THREADS}
case $CACHE_TYPE in f16 | f32 | q8_0) ;; *) echo "speed.sh: CACHE_TYPE is f16, f32 or q8_0" >&2 && exit 2 ;; esac
mkdir -p "$DIR"
RAW=$DIR/speed-raw.txt
: >"$RAW"
: >"$DIR/repack"
[ -x "$LB" ] || { echo "note: no llama-bench at $LB: teai only"; LB=; }
# what the old binary understands (its usage line names its options)
OLD_CT=; OLD_D=
if [ -n "$OLD_SPEED" ]; then
    [ -x "$OLD_SPEED" ] || { echo "speed.sh: OLD_SPEED $OLD_SPEED is not an executable" >&2 && exit 2; }
    u=$("$OLD_SPEED" 2>&1 || true)
    case $u in *--cache-type*) OLD_CT="--cache-type $CACHE_TYPE" ;; esac
    case $u in *"-d DEPTH"*) OLD_D=1 ;; esac
fi

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else printf "%.2f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# one figure of a teai-speed build, one repetition (with its warm-up); its
# whole output stays in $DIR/out
speed_run() { # binary "options" model threads test(pp128|tg32) depth
    case $5 in pp*) _a="-p ${5#pp}" ;; *) _a="-n ${5#tg}" ;; esac
    _d=
    [ "$6" -gt 0 ] && _d="-d $6"
    "$1" -m "$3" $2 -t "$4" $_a $_d -r 1 >"$DIR/out"
    sed -n "s/^$5 t\/s //p" "$DIR/out"
}
teai_run() { # its whole output stays in $DIR/teai-out
    speed_run "$SPEED" "--cache-type $CACHE_TYPE $TEAI_ARGS" "$@"
    cp "$DIR/out" "$DIR/teai-out"
}
old_run() { speed_run "$OLD_SPEED" "$OLD_CT" "$@"; }
llama_run() { # model threads test depth
    case $3 in pp*) _a="-p ${3#pp} -n 0" ;; *) _a="-p 0 -n ${3#tg}" ;; esac
    "$LB" -m "$1" -t "$2" $_a -d "$4" -fa "$LLAMA_FA" -ctk "$CACHE_TYPE" -ctv "$CACHE_TYPE" -r 1 -o csv 2>/dev/null |
        awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "avg_ts") c = i} NR == 2 {gsub(/"/, "", $c); print $c}'
}
membw() { "$MEMBW" "$1" 1024 9 | sed 's/.*best \([0-9.]*\) GB\/s.*/\1/'; }
model_of() {
    _f=$DIR/$SHAPE-$1.gguf
    if [ ! -f "$_f" ]; then
        _v=
        [ -f "$VOCAB" ] && _v="--vocab-from $VOCAB"
        "$TEAI" model synth --shape "$SHAPE" --type "$1" $_v -o "$_f" >&2
    fi
    echo "$_f"
}
# bytes of a file; wc -c reads through symbolic links (stat -c %s sized the
# link itself)
size_of() { wc -c <"$1" | tr -d ' '; }
pct() { # tokens/s bytes-per-token GB/s
    [ "$1" = "-" ] && echo - && return
    awk -v x="$1" -v s="$2" -v w="$3" 'BEGIN {printf "%.0f%%", 100 * x * s / 1e9 / w}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b)}'; }
# one cell: REPS repetitions of teai, llama-bench and the old build in turn;
# sets a, b, o (medians) and kvpos (teai's KV cache bytes per position)
cell() { # label model threads test depth
    : >"$DIR/a" && : >"$DIR/b" && : >"$DIR/o"
    _r=0
    while [ $_r -lt "$REPS" ]; do
        teai_run "$2" "$3" "$4" "$5" >>"$DIR/a"
        kvpos=$(awk -v d="$5" -v t="$4" '/^kv_mb / {sub(/^[pt][pg]/, "", t); printf "%.0f", $2 * 1048576 / (d + t + 16)}' "$DIR/teai-out")
        [ -n "$LB" ] && llama_run "$2" "$3" "$4" "$5" >>"$DIR/b"
        if [ -n "$OLD_SPEED" ] && { [ "$5" = 0 ] || [ -n "$OLD_D" ]; }; then
            old_run "$2" "$3" "$4" "$5" >>"$DIR/o"
        fi
        _r=$((_r + 1))
    done
    echo "$1 t=$3 $4 d=$5 teai $(tr '\n' ' ' <"$DIR/a") llama $(tr '\n' ' ' <"$DIR/b") old $(tr '\n' ' ' <"$DIR/o") bw $bw$(sed -n 's/^repack tensors \([^ ]*\) mb \([^ ]*\) ms \([^ ]*\)/ repack_tensors \1 repack_mb \2 repack_ms \3/p' "$DIR/teai-out")" >>"$RAW"
    a=$(median <"$DIR/a") b=$(median <"$DIR/b") o=$(median <"$DIR/o")
}
OLDH=; [ -n "$OLD_SPEED" ] && OLDH=1
head_row() { # format, first columns' names
    _f=$1
    shift
    printf "$_f" "$@"
    [ -n "$OLDH" ] && printf ' %10s %7s' "old t/s" "new/old"
    echo
}
old_cols() { [ -n "$OLDH" ] && printf ' %10s %7s' "$o" "$(ratio "$a" "$o")"; echo; }

echo "teai speed benchmark: $SHAPE, $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $REPS alternating repetitions per cell, medians"
echo "teai: $SPEED, KV cache $CACHE_TYPE (--cache-type), attention the engine's own (no on/off switch)${TEAI_ARGS:+, $TEAI_ARGS}"
echo "llama.cpp: ${LB:-absent}${LB:+, KV cache $CACHE_TYPE (-ctk $CACHE_TYPE -ctv $CACHE_TYPE), flash attention -fa $LLAMA_FA, CPU repacking (its default)}"
if [ -n "$OLD_SPEED" ]; then
    oc="KV cache $CACHE_TYPE"; [ -z "$OLD_CT" ] && oc="its own KV cache type (no --cache-type)"
    od=; [ -z "$OLD_D" ] && od=", no depth (-d) figures"
    echo "old teai: $OLD_SPEED, $oc$od"
fi
for t in $THREADS; do
    echo "read bandwidth, $t thread(s): best of 9 passes $(membw "$t") GB/s" | tee -a "$RAW"
done
F='%-7s %3s %-6s %10s %10s %7s %8s %8s'
[ -n "$TYPES" ] && echo && head_row "$F" type thr test "teai t/s" "llama t/s" ratio "teai %bw" "llama %bw"
for type in $TYPES; do
    m=$(model_of "$type")
    bytes=$(size_of "$m")
    for t in $THREADS; do
        tests="tg$TG"
        [ "$t" = "$PP_THREADS" ] && for p in $PP; do tests="$tests pp$p"; done
        bw=$(membw "$t")
        for test in $tests; do
            cell "$type" "$m" "$t" "$test" 0
            pa=-; pb=-
            case $test in tg*) pa=$(pct "$a" "$bytes" "$bw") pb=$(pct "$b" "$bytes" "$bw") ;; esac
            printf "$F" "$type" "$t" "$test" "$a" "$b" "$(ratio "$a" "$b")" "$pa" "$pb"
            old_cols
        done
    done
    # the interleaved copies teai made at load (teai-speed's last load)
    rp=$(awk '/^repack tensors / && $3 > 0 {printf "%s matrices, %s MiB in %s ms", $3, $5, $7}' "$DIR/teai-out")
    [ -n "$rp" ] && echo "$type: teai's repacked copies at load: $rp" >>"$DIR/repack"
done
[ -s "$DIR/repack" ] && cat "$DIR/repack"

# at depth: the context holds DEPTH tokens before the timed test; decode reads
# the weights and the KV cache up to its position, so "% bw" counts the file
# and the cache at the test's middle position (its cache type's bytes, as
# teai-speed's kv_mb gives them)
if [ -n "$DEPTH_TYPES" ]; then
    t=$DEPTH_THREADS
    echo
    echo "at depth, $t thread(s): tg$TG after DEPTH tokens (DEPTHS \"$DEPTHS\"), pp$DEPTH_PP after $DEPTH_PP_AT; KV cache $CACHE_TYPE on both sides"
    D='%-7s %3s %-6s %6s %10s %10s %7s %8s %8s'
    head_row "$D" type thr test depth "teai t/s" "llama t/s" ratio "teai %bw" "llama %bw"
    for type in $DEPTH_TYPES; do
        m=$(model_of "$type")
        bytes=$(size_of "$m")
        bw=$(membw "$t")
        for d in $DEPTHS; do
            cell "$type" "$m" "$t" "tg$TG" "$d"
            per=$(awk -v s="$bytes" -v k="$kvpos" -v d="$d" -v n="$TG" 'BEGIN {printf "%.0f", s + k * (d + n / 2)}')
            printf "$D" "$type" "$t" "tg$TG" "$d" "$a" "$b" "$(ratio "$a" "$b")" "$(pct "$a" "$per" "$bw")" "$(pct "$b" "$per" "$bw")"
            old_cols
        done
        for d in $DEPTH_PP_AT; do
            cell "$type" "$m" "$t" "pp$DEPTH_PP" "$d"
            printf "$D" "$type" "$t" "pp$DEPTH_PP" "$d" "$a" "$b" "$(ratio "$a" "$b")" - -
            old_cols
        done
    done
fi

# teai's load-time quantizations against the GGUF types of the same bits
if echo "$TYPES" | grep -q f16; then
    src=$(model_of f16)
    echo
    echo "load-time quantization from $src (tg$TG medians; peak RSS against weights + KV cache)"
    L='%-8s %3s %10s %10s %12s %10s %10s'
    head_row "$L" quantize thr "tg t/s" "load ms" "peak RSS MB" "weights MB" "RSS ratio"
    for q in int8 nf4; do
        for t in $THREADS; do
            : >"$DIR/a" && : >"$DIR/l" && : >"$DIR/o"
            r=0
            while [ $r -lt "$REPS" ]; do
                "$SPEED" -m "$src" --quantize $q --cache-type "$CACHE_TYPE" $TEAI_ARGS -t "$t" -n "$TG" -r 1 >"$DIR/out"
                sed -n "s/^tg$TG t\/s //p" "$DIR/out" >>"$DIR/a"
                sed -n 's/^load ms //p' "$DIR/out" >>"$DIR/l"
                cp "$DIR/out" "$DIR/new"
                [ -n "$OLD_SPEED" ] && "$OLD_SPEED" -m "$src" --quantize $q $OLD_CT -t "$t" -n "$TG" -r 1 |
                    sed -n "s/^tg$TG t\/s //p" >>"$DIR/o"
                r=$((r + 1))
            done
            echo "$q t=$t tg$TG teai $(tr '\n' ' ' <"$DIR/a") load_ms $(tr '\n' ' ' <"$DIR/l") old $(tr '\n' ' ' <"$DIR/o")" >>"$RAW"
            rss=$(sed -n 's/^peak_rss_mb //p' "$DIR/new")
            w=$(sed -n 's/^weight_mb //p' "$DIR/new")
            kv=$(sed -n 's/^kv_mb //p' "$DIR/new")
            a=$(median <"$DIR/a") o=$(median <"$DIR/o")
            printf "$L" $q "$t" "$a" "$(median <"$DIR/l")" \
                "$rss" "$w" "$(awk -v r="$rss" -v w="$w" -v k="$kv" 'BEGIN {printf "%.3f", r / (w + k)}')"
            old_cols
        done
    done
fi
echo
echo "raw figures: $RAW"
