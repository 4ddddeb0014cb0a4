#!/bin/sh
# Trains the model teai ships (`make model`): the "tiny" preset of
# `teai model train` on the King James Bible (scripts/kjv-text.sh), from a
# fixed seed. The result replaces assets/kjv-tiny.gguf (f32), the model every
# accuracy figure of the demo and the tests is measured on; the run's other
# files (f16 GGUF, Hugging Face folder, loss curve, checkpoint) stay in
# models/kjv-tiny/. Training is deterministic: the same package text, seed and
# build give the same weights whatever the number of threads.
#
#   scripts/train-model.sh [teai model train options...]   e.g. --resume
set -eu
cd "$(dirname "$0")/.."
TEAI=${TEAI:-build/teai}
DIR=${TEAI_MODEL_DIR:-models/kjv-tiny}
mkdir -p "$DIR" assets
sh scripts/kjv-text.sh "$DIR/kjv-train.txt" "$DIR/kjv-heldout.txt"
"$TEAI" model train --preset tiny --data "$DIR/kjv-train.txt" --heldout "$DIR/kjv-heldout.txt" \
    --name "teai kjv-tiny" --out "$DIR" "$@"
cp "$DIR/model-f32.gguf" assets/kjv-tiny.gguf.part
mv assets/kjv-tiny.gguf.part assets/kjv-tiny.gguf
echo "train-model: assets/kjv-tiny.gguf ($(wc -c <assets/kjv-tiny.gguf) bytes); the run's files are in $DIR/"
