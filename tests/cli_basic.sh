#!/bin/sh
# The teai program end to end: help and exit codes, synth -> info -> generate
# (every quantization, greedy reproducibility, the seed's timing lines),
# tokenize (hand-worked ids, --bos, --no-special, the ids generate consumes,
# llama.cpp's vectors), convert, quantize, bad input and Ctrl-C.
set -u
NAME=cli_basic
. "$(dirname "$0")/lib_cli.sh"

expect 0 "$T" --help
grep -q "exit codes" "$D/out" || fail "teai --help lacks the exit codes"
expect 2 "$T"
expect 2 "$T" frobnicate
for c in model generate tokenize; do
    expect 0 "$T" $c --help
    grep -q "usage: teai $c" "$D/out" || fail "teai $c --help"
done
expect 2 "$T" generate -m x --temp banana

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny --seed 5 -o "$M"
expect 0 "$T" model info "$M"
grep -q "architecture:  llama" "$D/out" || fail "model info: architecture"
grep -q "synthetic:     yes" "$D/out" || fail "model info: synthetic"
grep -q "vocab 512" "$D/out" || fail "model info: vocab"

for q in default float16 int8 nf4; do
    expect 0 "$T" generate -m "$M" --quantize $q -n 12 --temp 0 --ids --ignore-eos
    n=$(wc -w <"$D/out")
    [ "$n" -eq 12 ] || fail "generate --quantize $q gave $n ids, wanted 12"
done
expect 0 "$T" generate -m "$M" -n 16 --temp 0 --ids --ignore-eos
cp "$D/out" "$D/greedy1"
expect 0 "$T" generate -m "$M" -n 16 --temp 0 --ids --ignore-eos -t 1
cmp -s "$D/out" "$D/greedy1" || fail "greedy output differs between runs/thread counts"
expect 0 "$T" generate -m "$M" -n 16 --temp 1.0 --seed 9 --ids --ignore-eos
cp "$D/out" "$D/s1"
expect 0 "$T" generate -m "$M" -n 16 --temp 1.0 --seed 9 --ids --ignore-eos
cmp -s "$D/out" "$D/s1" || fail "the same --seed gave different samples"

expect 0 "$T" generate -m "$M" -n 6 --temp 0 --timing --ignore-eos
e=$(grep -cE '^enqueue in [0-9]+\.[0-9]+ ms$' "$D/err")
t=$(grep -cE '^total [0-9]+\.[0-9]+ ms, [0-9]+\.[0-9]+ tok/s, [0-9]+\.[0-9]+ GB/s, param [0-9]+\.[0-9]+ GB/s$' "$D/err")
[ "$e" -eq 5 ] && [ "$t" -eq 5 ] || fail "--timing: $e enqueue and $t total lines, wanted 5 each"
grep -q "^prefill " "$D/err" || fail "--timing: no prefill line"

# a prompt longer than the context is an error, not a crash
expect 2 "$T" generate -m "$M" -c 8 -p "this prompt is certainly longer than eight tokens of bytes"
grep -q "exceed the context" "$D/err" || fail "context overflow message"

# tokenize: the ids of the synthesized byte-level vocabulary, worked out by
# hand from its definition (src/engine/tokenizer_bytes.c: ids 0-255 are the
# bytes, then the merges in rank order: 257 "he", 266 "or", 268 " w", ...,
# then the specials: 272 <|begin_of_text|>, 274 <|eot_id|>)
# tok WANT TEXT ARGS...: teai tokenize ARGS on TEXT prints exactly WANT
tok() {
    _want=$1 _text=$2
    shift 2
    printf '%s' "$_text" | "$T" tokenize "$@" >"$D/ids" 2>"$D/err" || fail "tokenize $*: exit $? $(cat "$D/err")"
    [ "$(cat "$D/ids")" = "$_want" ] || fail "tokenize $* '$_text': '$(cat "$D/ids")', wanted '$_want'"
}
HW="257 108 108 111 268 266 108 100" # he l l o " w" or l d
tok "$HW" "hello world" -m "$M"
tok "272 $HW" "hello world" -m "$M" --bos
# specials are recognized in the text unless --no-special (then: its bytes)
tok "97 274 98" "a<|eot_id|>b" -m "$M"
tok "97 60 124 101 111 116 95 105 100 124 62 98" "a<|eot_id|>b" -m "$M" --no-special
tok "272 97 274" "a<|eot_id|>" -m "$M" --bos
tok "" "" -m "$M"
# ... and they are what the engine consumes: teai generate's prompt (BOS, no
# special tokens parsed) is tokenize --bos --no-special's
expect 0 "$T" generate -m "$M" -p "hello world<|eot_id|>" -n 2 --temp 0 --ids
grep -q "^prompt ids: 272 $HW 60 124 101 111 116 95 105 100 124 62\$" "$D/err" ||
    fail "generate consumed $(grep '^prompt ids' "$D/err"), wanted 272 $HW and the bytes of <|eot_id|>"
expect 0 "$T" generate -m "$M" -p "hello world" -n 2 --temp 0 --ids --no-bos
grep -q "^prompt ids: $HW\$" "$D/err" || fail "generate --no-bos consumed $(grep '^prompt ids' "$D/err")"
expect 2 "$T" tokenize -m "$M" --bogus
expect 2 "$T" tokenize
# a real vocabulary against llama.cpp's own test vectors (its
# models/ggml-vocab-*.gguf.inp/.out, as test-tokenizer-0 reads them: no BOS,
# no special tokens), when the provisioned llama.cpp sources are here
V=${TEAI_LLAMA_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/src}/models/ggml-vocab-llama-bpe.gguf
if [ -f "$V" ] && [ -f "$V.inp" ] && [ -f "$V.out" ]; then
    for text in "Hello world" " Hello, world!" " this is 🦙.cpp" "w048 7tuijk dsdfhu"; do
        k=$(awk -v want="$text" '$0 == "__ggml_vocab_test__" { if (cur == want && !k) { print i + 1; k = 1 } i++; cur = ""; n = 0; next }
            { cur = n++ ? cur "\n" $0 : $0 }' "$V.inp")
        [ -n "$k" ] || {
            fail "'$text' is not among llama.cpp's vectors in $V.inp"
            continue
        }
        tok "$(sed -n "${k}s/^ //p" "$V.out")" "$text" -m "$V" --no-special
    done
elif [ "${TEAI_REQUIRE_LLAMA:-}" = 1 ]; then
    fail "llama.cpp's vocabulary test vectors are missing ($V): TEAI_REQUIRE_LLAMA=1 requires them"
else
    echo "skip: tokenize against llama.cpp's vectors: $V missing (scripts/provision-llama.sh)"
fi

# convert and quantize
H=$D/hf
expect 0 "$T" model synth --shape tiny --seed 5 --type f32 -o "$H"
[ -f "$H/config.json" ] && [ -f "$H/model.safetensors" ] && [ -f "$H/tokenizer.json" ] || fail "synth folder files"
expect 0 "$T" model info "$H"
grep -q "Hugging Face" "$D/out" || fail "model info on a folder"
expect 0 "$T" model convert "$H" -o "$D/conv.gguf" --type f32
expect 0 "$T" generate -m "$D/conv.gguf" -n 16 --temp 0 --ids --ignore-eos
cp "$D/out" "$D/g_conv"
expect 0 "$T" generate -m "$H" -n 16 --temp 0 --ids --ignore-eos
cmp -s "$D/out" "$D/g_conv" || fail "folder and converted GGUF generate different tokens"
expect 0 "$T" model quantize "$D/conv.gguf" "$D/q.gguf" Q4_K_M
expect 0 "$T" model info "$D/q.gguf"
grep -q "q4_k" "$D/out" && grep -q "q6_k" "$D/out" || fail "q4_k_m mixes q4_k and q6_k"
expect 2 "$T" model quantize "$D/conv.gguf" "$D/q2.gguf" q3_k
[ ! -e "$D/q2.gguf" ] || fail "a failed quantize left a file"

# bad input: one line, exit 3, never a crash
expect 3 "$T" generate -m "$D/missing.gguf"
grep -q "missing.gguf" "$D/err" || fail "missing model message"
head -c 100000 "$M" >"$D/trunc.gguf"
expect 3 "$T" generate -m "$D/trunc.gguf"
[ "$(wc -l <"$D/err")" -eq 1 ] && grep -q "trunc.gguf" "$D/err" || fail "truncated model: $(cat "$D/err")"
head -c 5000 /dev/urandom >"$D/noise.gguf"
expect 3 "$T" model info "$D/noise.gguf"
printf '{"architectures": ["MambaForCausalLM"]}' >"$H/config.json"
expect 3 "$T" model info "$H"
grep -q "unsupported architecture" "$D/err" || fail "unsupported architecture message: $(cat "$D/err")"

# Ctrl-C: stops cleanly with what was generated, exit 130 (a model big enough
# that 2000 tokens take seconds)
expect 0 "$T" model synth --shape tiny --dim 512 --ffn 2048 --layers 8 -o "$D/slow.gguf"
"$T" generate -m "$D/slow.gguf" -n 2000 -c 2048 --ignore-eos --temp 0 >"$D/out" 2>"$D/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, wanted 130"
grep -q "interrupted after" "$D/err" || fail "SIGINT message: $(cat "$D/err")"

finish
