#!/bin/sh
# The main job on the built-in defaults (run by `make demo`): synthesize a
# model with the exact Llama-3.2-1B shapes, inspect it, and generate with the
# built-in engine at every load-time quantization, with the seed's per-token
# timing lines. Everything lands in demo/ (reused on the next run).
set -eu
cd "$(dirname "$0")/.."
TEAI=${TEAI:-build/teai}
OUT=${TEAI_DEMO_DIR:-demo}
SHAPE=${TEAI_DEMO_SHAPE:-llama-3.2-1b}
N=${TEAI_DEMO_TOKENS:-16}
mkdir -p "$OUT"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/src/models
vocab=""
if [ -f "$cache/ggml-vocab-llama-bpe.gguf" ]; then
    vocab="--vocab-from $cache/ggml-vocab-llama-bpe.gguf"
else
    echo "demo: llama.cpp vocabularies not provisioned (scripts/provision-llama.sh); using a byte-level vocabulary"
fi
model="$OUT/$SHAPE-q8_0.gguf"
if [ ! -f "$model" ]; then
    echo "== synthesizing $model"
    # shellcheck disable=SC2086
    "$TEAI" model synth --shape "$SHAPE" --type q8_0 $vocab -o "$model"
fi
echo "== teai model info $model"
"$TEAI" model info "$model"
for q in default float16 int8 nf4; do
    echo
    echo "== teai generate --quantize $q (greedy, $N tokens)"
    "$TEAI" generate -m "$model" --quantize "$q" --temp 0 -n "$N" -p "The quick brown fox" --timing
done
echo
echo "demo: done; the model is $model"
