#!/bin/sh
# The main job on the built-in defaults (run by `make demo`): the original
# workflow's Steps 1-3 on this machine with nothing downloaded.
#   1. a model with the exact Llama-3.2-1B shapes, synthesized once (cached in
#      ~/.cache/teai/models; with llama.cpp's real Llama 3 vocabulary when
#      scripts/provision-llama.sh has fetched it);
#   2. a sweep of the native backend over the four quantizations (default,
#      int8, nf4, float16), one raw log per configuration, each followed by
#      its perplexity on a text (this README, 2 chunks of 512 tokens);
#   3. collation of the logs into the seed's CSV schema, and of the accuracy
#      results into accuracy.csv;
#   4. the terminal comparison, the figures (plots/, pareto.png included) and
#      the presentation PDF.
# Re-running resumes: configurations with complete logs are skipped.
set -eu
cd "$(dirname "$0")/.."
TEAI=${TEAI:-build/teai}
OUT=${TEAI_DEMO_DIR:-demo}/benchmark_output
N=${TEAI_DEMO_TOKENS:-20}
mkdir -p "$OUT"

echo "== teai sweep: native backend, Llama-3.2-1B shape (synthesized), 4 quantizations, with perplexity"
"$TEAI" sweep --backends native --sizes 1B --quantize default,int8,nf4,float16 \
    --synthetic -n "$N" --repetitions 3 --warmup 1 --output-dir "$OUT" \
    --eval ppl --eval-text README.md --eval-n 2
echo
echo "== teai collate --dir $OUT"
"$TEAI" collate --dir "$OUT"
echo
echo "== teai viz --dir $OUT"
"$TEAI" viz --dir "$OUT"
echo
PLOTS=${TEAI_DEMO_DIR:-demo}/plots
echo "== teai plot --dir $OUT --output-dir $PLOTS"
"$TEAI" plot --dir "$OUT" --output-dir "$PLOTS" || echo "demo: plots skipped (teai built without cairo?)"
echo
REPORT=${TEAI_DEMO_DIR:-demo}/presentation.pdf
echo "== teai report --dir $OUT -o $REPORT"
"$TEAI" report --dir "$OUT" -o "$REPORT" || echo "demo: report skipped (teai built without cairo?)"
echo
echo "demo: raw logs and CSVs are in $OUT/, figures in $PLOTS/, the presentation is $REPORT"
ls -1 "$OUT"/*.csv
