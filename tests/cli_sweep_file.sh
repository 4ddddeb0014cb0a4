#!/bin/sh
# teai sweep --sweep-file: the lists read from a file (comments, blank lines,
# spaces), the plan and the runs it makes (one log per configuration, each
# with its settings and its number of tokens), resume, and the file's errors
# (file:line). teai bench --synthetic: the cached stand-in model is found and
# marked synthetic, and a synthesis that cannot be written fails cleanly and
# leaves nothing in the cache (the real 1B synthesis writes 2.5 GB: too big
# for a test, so the cache is prepared with a tiny model at the same path).
set -u
NAME=cli_sweep_file
. "$(dirname "$0")/lib_cli.sh"
count() { grep -c "$1" "$2" 2>/dev/null || true; }
# hdr KEY LOG: the value of header line "KEY: value"
hdr() { sed -n "s/^$1: //p" "$2"; }

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
F=$D/plan.txt
cat >"$F" <<'EOF'
# 2 quantizations x 2 lengths, one seed
backends = native

quantize = default, int8   # spaces around items are dropped
	n_gen=3,5
seeds = 7
EOF
S=$D/sweep
expect 0 "$T" sweep -m "$M" --sweep-file "$F" --repetitions 1 --warmup 0 --output-dir "$S" --dry-run
[ "$(count '^run: teai bench' "$D/out")" -eq 4 ] || fail "dry run: wanted 4 runs: $(cat "$D/out")"
for q in default int8; do
    for n in 3 5; do
        # the whole command, as it would run: model, repetitions and warm-up too
        grep -Eq "^run: teai bench --backend native --size 1B --quantize $q --seed 7 -t [0-9]+ -n $n -m $M --repetitions 1 --warmup 0 --output-dir $S\$" "$D/out" ||
            fail "dry run lacks $q n=$n: $(cat "$D/out")"
    done
done
[ ! -d "$S" ] || [ -z "$(ls "$S")" ] || fail "a dry run wrote logs"

expect 0 "$T" sweep -m "$M" --sweep-file "$F" --repetitions 1 --warmup 0 --output-dir "$S"
grep -q "^sweep: 4 configurations: 4 run, 0 skipped (complete logs), 0 failed$" "$D/out" ||
    fail "sweep summary: $(cat "$D/out")"
[ "$(ls "$S" | wc -l)" -eq 4 ] || fail "wanted 4 logs: $(ls "$S")"
seen=
for L in "$S"/*.txt; do
    case $(basename "$L") in
    native_*_1B_default_seed7_uuid*.txt | native_*_1B_int8_seed7_uuid*.txt) ;;
    *) fail "log name $(basename "$L")" ;;
    esac
    q=$(hdr quantize "$L") n=$(hdr n_gen "$L")
    [ "$(hdr seed "$L")" = 7 ] && [ "$(hdr backend "$L")" = native ] || fail "$L: seed/backend"
    [ "$(count '"event":"token"' "$L")" = "$n" ] || fail "$L: n_gen $n but $(count '"event":"token"' "$L") tokens"
    tail -n 1 "$L" | grep -q '"status":"ok"' || fail "$L does not end ok"
    seen="$seen $q/$n"
done
for c in default/3 default/5 int8/3 int8/5; do
    case "$seen " in *" $c "*) ;; *) fail "no run of $c (ran:$seen)" ;; esac
done
# again: every configuration has its complete log
expect 0 "$T" sweep -m "$M" --sweep-file "$F" --repetitions 1 --warmup 0 --output-dir "$S"
grep -q "4 skipped" "$D/out" && [ "$(ls "$S" | wc -l)" -eq 4 ] || fail "resume: $(cat "$D/out")"

# the file's errors: file:line and exit 3 (bad input), nothing run
printf 'backends = native\nquantise = int8\n' >"$D/bad1.txt"
expect 3 "$T" sweep -m "$M" --sweep-file "$D/bad1.txt" --output-dir "$D/b1"
grep -q "bad1.txt:2: unknown key 'quantise'" "$D/err" || fail "unknown key: $(cat "$D/err")"
printf 'n_gen 3\n' >"$D/bad2.txt"
expect 3 "$T" sweep -m "$M" --sweep-file "$D/bad2.txt" --output-dir "$D/b2"
grep -q "bad2.txt:1: expected 'key = a,b,c'" "$D/err" || fail "no '=': $(cat "$D/err")"
expect 3 "$T" sweep -m "$M" --sweep-file "$D/missing.txt" --output-dir "$D/b3"
grep -q "missing.txt" "$D/err" || fail "missing file: $(cat "$D/err")"
printf 'quantize = default,int9\n' >"$D/bad4.txt"
expect 2 "$T" sweep -m "$M" --sweep-file "$D/bad4.txt" --output-dir "$D/b4"
grep -q "int9" "$D/err" || fail "bad quantization: $(cat "$D/err")"
printf 'n_gen =\n' >"$D/bad5.txt"
expect 2 "$T" sweep -m "$M" --sweep-file "$D/bad5.txt" --output-dir "$D/b5"
for b in b1 b2 b3 b4 b5; do
    [ ! -d "$D/$b" ] || fail "a bad sweep file ran benchmarks into $b"
done

# bench --synthetic: the stand-in of the seed's 1B in the cache (here: a tiny
# model put where teai looks), used as is and marked synthetic; a file-size
# limit stops a synthesis that was not meant to happen here
CACHE=$D/cache
SM=$CACHE/teai/models/synthetic-llama-3.2-1b-f16-bytevocab.gguf
mkdir -p "$CACHE/teai/models"
cp "$M" "$SM"
(ulimit -f 20000 && XDG_CACHE_HOME=$CACHE exec "$T" bench --synthetic -n 2 --repetitions 1 --warmup 0 \
    --output-dir "$D/syn") >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 0 ] || fail "bench --synthetic: exit $rc: $(cat "$D/err")"
grep -q "synthesizing" "$D/err" && fail "the cached synthetic model was made again: $(cat "$D/err")"
set -- "$D"/syn/native_*_1B_default_seed42_uuid*.txt
[ -f "$1" ] || fail "bench --synthetic wrote no native_<host>_1B_default log: $(ls "$D/syn")"
[ "$(hdr synthetic "$1")" = 1 ] || fail "bench --synthetic: the log is not marked synthetic"
[ "$(hdr model "$1")" = "$SM" ] || fail "bench --synthetic used $(hdr model "$1"), wanted $SM"
[ "$(count '"event":"token"' "$1")" -eq 2 ] || fail "bench --synthetic: wanted 2 tokens"
# no cached model: the synthesis starts, says where, and a write error (the
# file-size limit) is an error naming the file, with no partial file left
rm -f "$SM"
(ulimit -f 2000 && XDG_CACHE_HOME=$CACHE exec "$T" bench --synthetic -n 2 --repetitions 1 --warmup 0 \
    --output-dir "$D/syn2") >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 1 ] || fail "synthesis on a full disk: exit $rc (wanted 1): $(cat "$D/err")"
grep -q "^teai bench: synthesizing llama-3.2-1b (f16) once, into $SM$" "$D/err" &&
    grep -q "$SM: write: File too large" "$D/err" || fail "synthesis on a full disk: $(cat "$D/err")"
[ -z "$(ls "$CACHE/teai/models")" ] || fail "a partial synthetic model was left: $(ls "$CACHE/teai/models")"
expect 2 "$T" bench --synthetic --size 70B -n 2 --output-dir "$D/syn3"
grep -q "no synthesized shape for 70B" "$D/err" || fail "--synthetic --size 70B: $(cat "$D/err")"
finish
