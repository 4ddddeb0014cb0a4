#!/bin/sh
# teai model train end to end on a few KB of generated text: the micro preset
# writes the models, tokenizer, loss.csv and checkpoint; loss.csv and the
# recipe parse; the GGUF loads in teai; Ctrl-C (SIGINT) checkpoints and exits
# 130, --resume finishes; bad input (missing file, text that is not UTF-8, a
# damaged checkpoint, bad options) fails with one line naming the problem.
set -u
NAME=cli_train
. "$(dirname "$0")/lib_cli.sh"
command -v python3 >/dev/null 2>&1 || skip_test "python3 missing (Debian package python3)"

python3 - "$D/text.txt" <<'PY'
import random, sys
random.seed(1)
subj = ["the cat", "a dog", "the old man", "my sister", "the bird", "a child"]
verb = ["sees", "likes", "finds", "keeps", "watches", "follows"]
obj = ["the red ball", "a small house", "the green tree", "the river", "some bread"]
with open(sys.argv[1], "w") as f:
    for i in range(300):
        f.write("%s %s %s." % (random.choice(subj), random.choice(verb), random.choice(obj)))
        f.write("\n" if i % 4 == 3 else " ")
PY

# the last stderr line is the one error line, naming what
err_names() {
    tail -n 1 "$D/err" | grep -q "^teai model train: .*$1" ||
        fail "the error does not name $1: $(tail -c 300 "$D/err")"
}

R=$D/run
expect 0 "$T" model train --preset micro --steps 30 --eval-every 10 --eval-batches 2 -t 2 \
    --data "$D/text.txt" --out "$R"
for f in model-f32.gguf model-f16.gguf tokenizer.gguf loss.csv checkpoint.bin; do
    [ -s "$R/$f" ] || fail "no $R/$f"
done
grep -q "^held-out: .*bits/byte" "$D/out" || fail "no held-out line in the summary: $(cat "$D/out")"
grep -q "GFLOP/s" "$D/out" || fail "no GFLOP/s in the summary"
grep -q "^step 30/30 loss .* held-out .* bpb) .* tok/s ETA" "$D/err" ||
    fail "no progress line for step 30: $(tail -c 400 "$D/err")"
python3 - "$R/loss.csv" <<'PY' || fail "loss.csv: $(cat "$D/py" 2>/dev/null)"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == 30, len(rows)
assert list(rows[0].keys()) == ["step", "lr", "loss", "heldout_loss", "heldout_bpb", "tokens_per_s"]
assert [int(r["step"]) for r in rows] == list(range(1, 31))
ev = [r for r in rows if r["heldout_loss"]]
assert [int(r["step"]) for r in ev] == [10, 20, 30], [r["step"] for r in ev]
for r in rows:
    assert math.isfinite(float(r["loss"])) and float(r["lr"]) > 0
assert float(ev[-1]["heldout_bpb"]) > 0
PY
# the recipe: valid JSON in the safetensors header's metadata (and the GGUF's)
if [ -f "$R/hf/model.safetensors" ]; then
    python3 - "$R/hf/model.safetensors" <<'PY' || fail "the recipe in hf/model.safetensors"
import json, struct, sys
f = open(sys.argv[1], "rb")
n = struct.unpack("<Q", f.read(8))[0]
meta = json.loads(f.read(n))["__metadata__"]
r = json.loads(meta["teai.trained.recipe"])
assert r["data"][0]["file"] == "text.txt" and len(r["data"][0]["sha256"]) == 64
assert r["shape"]["dim"] == 64 and r["shape"]["tied"] is True and r["steps"] == 30
assert r["tokenizer"]["n_vocab"] > 256 and len(r["tokenizer"]["sha256"]) == 64
assert r["heldout_bpb"] > 0 and r["heldout_loss"] > 0 and r["seed"] == 42
PY
fi
grep -q "teai.trained.recipe" "$R/model-f32.gguf" || fail "no recipe in model-f32.gguf"
expect 0 "$T" model info "$R/model-f32.gguf"
grep -q "dim 64, 2 layers" "$D/out" || fail "model info: $(head -c 400 "$D/out")"
expect 0 "$T" generate -m "$R/model-f16.gguf" -p "the cat" -n 8 -t 1 --temp 0
if has_feature cjson; then
    expect 0 "$T" generate -m "$R/hf" -p "the cat" -n 8 -t 1 --temp 0
fi

# Ctrl-C mid-run: a checkpoint, exit 130, then --resume finishes
S=$D/stopped
"$T" model train --preset micro --steps 100000 --eval-every 2 --eval-batches 1 -t 2 \
    --data "$D/text.txt" --out "$S" >"$D/sout" 2>"$D/serr" &
pid=$!
i=0
while ! grep -q "^step " "$D/serr" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, wanted 130: $(tail -c 300 "$D/serr")"
grep -q "stopped at step [0-9]*; resume with --resume" "$D/serr" ||
    fail "no stop message: $(tail -c 300 "$D/serr")"
[ -s "$S/checkpoint.bin" ] || fail "no checkpoint after SIGINT"
n=$(sed -n 's/.*stopped at step \([0-9]*\);.*/\1/p' "$D/serr")
expect 0 "$T" model train --preset micro --steps $((n + 5)) --eval-every 2 --eval-batches 1 -t 2 \
    --data "$D/text.txt" --out "$S" --resume
[ -s "$S/model-f32.gguf" ] || fail "no model after --resume"
rows=$(($(wc -l <"$S/loss.csv") - 1))
[ "$rows" -eq $((n + 5)) ] || fail "loss.csv after resume has $rows rows, wanted $((n + 5))"
# another seed does not take this checkpoint
expect 2 "$T" model train --preset micro --steps 40 -t 2 --seed 7 --data "$D/text.txt" \
    --out "$S" --resume
err_names "checkpoint.bin.*seed"

# a damaged checkpoint: one line, no crash
head -c 1000 "$S/checkpoint.bin" >"$D/c" && cp "$D/c" "$S/checkpoint.bin"
expect 3 "$T" model train --preset micro --steps 40 -t 2 --data "$D/text.txt" --out "$S" --resume
err_names "checkpoint.bin"

# bad input
expect 3 "$T" model train --preset micro --steps 5 --data "$D/nothere.txt" --out "$D/x"
err_names "nothere.txt"
printf 'caf\351 au lait\n' >"$D/latin1.txt"
expect 3 "$T" model train --preset micro --steps 5 --data "$D/text.txt,$D/latin1.txt" --out "$D/x"
err_names "latin1.txt.*UTF-8"
: >"$D/empty.txt"
expect 3 "$T" model train --preset micro --steps 5 --data "$D/empty.txt" --out "$D/x"
err_names "empty.txt"
expect 2 "$T" model train --preset micro --steps 0 --data "$D/text.txt" --out "$D/x"
expect 2 "$T" model train --preset huge --data "$D/text.txt" --out "$D/x"
expect 2 "$T" model train --preset micro --bogus --data "$D/text.txt" --out "$D/x"
expect 2 "$T" model train --preset micro --out "$D/x"
expect 2 "$T" model train --preset micro --data "$D/text.txt"
expect 0 "$T" model train --help
grep -q -- "--resume" "$D/out" || fail "model train --help has no --resume"
expect 0 "$T" model --help
grep -q "train-tokenizer" "$D/out" || fail "model --help has no train-tokenizer"

# a tokenizer trained on its own, then used
expect 0 "$T" model train-tokenizer --data "$D/text.txt" --vocab 300 --out "$D/tok.gguf"
[ -s "$D/tok.gguf" ] || fail "train-tokenizer wrote nothing"
expect 0 "$T" model train --preset micro --steps 5 --eval-every 5 -t 2 --tokenizer "$D/tok.gguf" \
    --data "$D/text.txt" --out "$D/withtok"
expect 0 "$T" model info "$D/withtok/model-f32.gguf"
grep -q "vocab 300" "$D/out" || fail "the model does not have the given tokenizer's 300 tokens"
expect 3 "$T" model train-tokenizer --data "$D/latin1.txt" --out "$D/tok2.gguf"
expect 2 "$T" model train-tokenizer --data "$D/text.txt" --vocab 5 --out "$D/tok2.gguf"
finish
