#!/bin/sh
# --cache-type, --no-repack and --nf4-exact on the engine's commands: a bad
# cache type is a one-line usage error (exit 2) on each command; good ones run
# (generate with each type, the f32 and f16 caches agreeing on a greedy
# continuation of a tiny model is not required, only that each runs); every
# command's help names the three options; the native bench log names its KV
# cache type in backend_version.
set -u
NAME=cli_cache_type
. "$(dirname "$0")/lib_cli.sh"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny --seed 5 -o "$M"

for c in generate serve bench sweep; do
    expect 0 "$T" $c --help
    for o in --cache-type --no-repack --nf4-exact; do
        grep -q -- "$o" "$D/out" || fail "teai $c --help does not name $o"
    done
done
for c in ppl task; do
    expect 0 "$T" eval $c --help
    for o in --cache-type --no-repack --nf4-exact; do
        grep -q -- "$o" "$D/out" || fail "teai eval $c --help does not name $o"
    done
done

# a bad value: one line on stderr, exit 2, on every command
for args in "generate -m $M" "serve -m $M" "bench --backend native -m $M" \
    "eval ppl -m $M --text $M" "eval task --env gsm8k --dataset $M -m $M" \
    "sweep -m $M --dry-run"; do
    # shellcheck disable=SC2086
    expect 2 "$T" $args --cache-type q4_0
    [ "$(wc -l <"$D/err")" -eq 1 ] || fail "$args --cache-type q4_0: not one line: $(cat "$D/err")"
    grep -q "unknown KV cache type 'q4_0'" "$D/err" || fail "$args --cache-type q4_0: $(cat "$D/err")"
done
expect 2 "$T" generate -m "$M" --cache-type
grep -q "cache-type" "$D/err" || fail "--cache-type without a value: $(cat "$D/err")"

for ct in f16 f32 q8_0 default; do
    expect 0 "$T" generate -m "$M" -n 6 --temp 0 --ids --ignore-eos --cache-type $ct \
        --no-repack --nf4-exact
    n=$(wc -w <"$D/out")
    [ "$n" -eq 6 ] || fail "generate --cache-type $ct gave $n ids, wanted 6"
done

O=$D/bench_out
expect 0 "$T" bench --backend native -m "$M" --size tiny -n 4 --repetitions 1 --warmup 0 \
    --cache-type q8_0 --output-dir "$O" -q --sample-hz 0
grep -q "^backend_version: .*KV cache q8_0" "$O"/native_*.txt ||
    fail "the bench log does not name the q8_0 cache: $(grep backend_version "$O"/native_*.txt)"
finish
