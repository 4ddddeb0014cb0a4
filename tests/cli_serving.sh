#!/bin/sh
# Serving benchmarks after the run (docs/serving-analysis.md): teai load logs
# written here (no server), with a garbage line, a torn last line and another
# program's JSON Lines beside them -> teai collate writes serving.csv (read
# back with Python's csv module; percentiles and throughputs recomputed in
# Python from the same records), teai plot draws serving_curve and
# latency_breakdown (valid PNGs), teai report has the "Serving under load"
# slide and table (pdftotext), and teai analyze compares two labels at one
# level (text and JSON).
NAME=cli_serving
. "$(dirname "$0")/lib_cli.sh"

command -v python3 >/dev/null 2>&1 || skip_test "python3 missing"

BO="$D/bo"
mkdir -p "$BO/logs/sub"
# two servers, three concurrency levels, 40 requests each (2 warm-up, every
# 13th an HTTP 503); a third run in rate mode; latencies from a seeded RNG
python3 - "$BO/logs" <<'EOF' || fail "fixture generator"
import json, random, sys
out = sys.argv[1]
def run(label, path, slow, mode="concurrency", levels=(1, 2, 4), n=40, torn=False):
    rnd = random.Random(label)
    with open(path, "w") as f:
        f.write(json.dumps({"type": "run", "schema": 1, "teai_version": "0.1.0", "label": label,
            "base_url": "http://127.0.0.1:8080", "model_name": "tiny", "endpoint": "completions",
            "arrival": "poisson" if mode == "rate" else "", "burstiness": None,
            "started": "2026-12-03T16:00:00Z", "host": "h", "seed": 1, "input_len": "32",
            "output_len": "16", "dataset": None,
            "slo": {"ttft_ms": 200, "tpot_ms": 30, "e2el_ms": None}}) + "\n")
        t = 0.0
        for c in levels:
            for i in range(n):
                ttft = round(rnd.uniform(20, 60) * c * slow, 3)
                tpot = round(rnd.uniform(8, 12) * (1 + 0.3 * c) * slow, 3)
                k = 16
                e2el = round(ttft + tpot * (k - 1), 3)
                ok = i % 13 != 5
                rec = {"type": "request", "mode": mode,
                       "concurrency": c if mode == "concurrency" else None,
                       "rate": c if mode == "rate" else None, "index": i, "warmup": i < 2,
                       "start_s": round(t, 6), "ttft_ms": ttft if ok else None,
                       "tpot_ms": tpot if ok else None, "e2el_ms": e2el if ok else 3.0,
                       "itl_ms": [tpot] * (k - 1) if ok else [], "prompt_tokens": 32,
                       "completion_tokens": k if ok else None, "http_status": 200 if ok else 503,
                       "ok": ok, "error": "" if ok else "HTTP 503: server_busy"}
                f.write(json.dumps(rec) + "\n")
                if i == 3:
                    f.write("garbage, not JSON\n")
                t += e2el / 1000 / c
            f.write(json.dumps({"type": "level", "mode": mode,
                                "concurrency": c if mode == "concurrency" else None,
                                "rate": c if mode == "rate" else None, "requests": n,
                                "saturated": False, "stopped": ""}) + "\n")
        if torn:
            f.write('{"type":"request","mode":"conc')
        else:
            f.write('{"type":"end","status":"complete"}\n')
run("teai", out + "/load-teai-20261203T160000.jsonl", 1.0)
run("llama-server", out + "/sub/load-llama-server-20261203T160100.jsonl", 1.3, torn=True)
run("teai", out + "/load-teai-20261203T170000.jsonl", 1.0, mode="rate", levels=(2,), n=10)
with open(out + "/llama-bench.jsonl", "w") as f:
    f.write('{"build_commit":"abc","n_prompt":512}\n')
EOF

# no load logs: no serving.csv
mkdir -p "$D/plain"
expect 0 "$T" collate --dir "$D/plain"
[ -e "$D/plain/serving.csv" ] && fail "serving.csv written without load logs"

expect 0 "$T" collate --dir "$BO"
grep -q "7 serving rows in $BO/serving.csv" "$D/err" || fail "collate: row count: $(cat "$D/err")"
grep -q "torn last line, skipped" "$D/err" || fail "collate: no note on the torn line"
grep -q "not a JSON object, skipped" "$D/err" || fail "collate: no note on the garbage lines"
grep -q "llama-bench.jsonl" "$D/err" && fail "collate: noted another program's JSONL"
expect 0 "$T" collate --dir "$D/plain" --load-dir "$BO/logs"
[ -s "$D/plain/serving.csv" ] || fail "collate --load-dir: no serving.csv"
expect 3 "$T" collate --dir "$D/plain" --load-dir "$D/nope"

# serving.csv read back with Python's csv module; the statistics recomputed
python3 - "$BO/serving.csv" "$BO" <<'EOF' || fail "serving.csv check"
import csv, glob, json, math, os, sys
path, logs = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
assert raw.endswith(b"\r\n"), "rows end in CRLF (RFC 4180)"
rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
cols = next(csv.reader(open(path, newline="", encoding="utf-8")))
want = ("label base_url model_name endpoint mode concurrency rate arrival burstiness host "
        "started teai_version log_file status saturated requests ok errors error_rate "
        "duration_s request_throughput output_throughput input_throughput goodput "
        "slo_attainment slo_ttft_ms slo_tpot_ms slo_e2el_ms").split()
for m in ("ttft", "tpot", "itl", "e2el"):
    want += [f"{m}_{s}_ms" for s in ("mean", "p50", "p50_lo", "p50_hi", "p90", "p95", "p99",
                                     "p99_lo", "p99_hi")]
assert cols == want, f"columns {cols}"
assert len(rows) == 7, len(rows)
def pct(x, p):  # type 7
    x = sorted(x); h = (len(x) - 1) * p; lo = math.floor(h)
    return x[lo] if lo + 1 >= len(x) else x[lo] + (h - lo) * (x[lo + 1] - x[lo])
def records(f):
    for line in open(f):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") == "request":
            yield o
for r in rows:
    f = os.path.join(logs, r["log_file"])
    key = "rate" if r["mode"] == "rate" else "concurrency"
    recs = [o for o in records(f) if o["mode"] == r["mode"] and
            float(o[key]) == float(r[key]) and not o["warmup"]]
    ok = [o for o in recs if o["ok"]]
    assert int(r["requests"]) == len(recs) and int(r["ok"]) == len(ok), (r["log_file"], r[key])
    assert int(r["errors"]) == len(recs) - len(ok)
    t0 = min(o["start_s"] for o in recs)
    t1 = max(o["start_s"] + o["e2el_ms"] / 1000 for o in recs)
    dur = t1 - t0
    assert abs(float(r["duration_s"]) - dur) < 1e-9 * dur
    assert abs(float(r["output_throughput"]) - sum(o["completion_tokens"] for o in ok) / dur) < 1e-6
    for m in ("ttft", "tpot", "e2el"):
        for q, c in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
            v = pct([o[m + "_ms"] for o in ok], q)
            assert abs(float(r[f"{m}_{c}_ms"]) - v) < 1e-9 * v, (m, c, r[f"{m}_{c}_ms"], v)
    good = sum(1 for o in ok if o["ttft_ms"] <= 200 and o["tpot_ms"] <= 30)
    assert abs(float(r["goodput"]) - good / dur) < 1e-9 * (good / dur + 1)
    # not measured is empty, never 0
    assert r["slo_e2el_ms"] == "" and r[("concurrency" if key == "rate" else "rate")] == ""
    # the p99 of 38 requests has no 95% interval; the median of 35 has one
    assert r["ttft_p99_lo_ms"] == "" and (len(ok) < 6 or r["ttft_p50_lo_ms"] != "")
    if r["ttft_p50_lo_ms"]:
        assert float(r["ttft_p50_lo_ms"]) <= float(r["ttft_p50_ms"]) <= float(r["ttft_p50_hi_ms"])
st = {(r["label"], r["log_file"].startswith("logs/sub/")): r["status"] for r in rows}
assert st[("llama-server", True)] == "" and st[("teai", False)] == "complete", st
EOF

# figures
if has_feature cairo; then
    expect 0 "$T" plot --dir "$BO" --output-dir "$D/plots"
    for f in serving_curve latency_breakdown; do
        grep -q "^wrote $D/plots/$f.png: " "$D/out" || fail "plot: $f not written: $(cat "$D/out")"
        python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(not (d[:8]==b'\x89PNG\r\n\x1a\n' and d[12:16]==b'IHDR' and d.endswith(b'IEND\xaeB\x60\x82')))" \
            "$D/plots/$f.png" || fail "$f.png is not a whole PNG"
    done
    grep -q "skipped the speed figures" "$D/out" || fail "plot: speed figures not said skipped"

    if command -v pdftotext >/dev/null 2>&1; then
        expect 0 "$T" report --dir "$BO" -o "$D/S.pdf"
        pdftotext "$D/S.pdf" "$D/S.txt" || fail "pdftotext failed"
        for h in "Serving under load" "per label and level" "TTFT p99 (ms)" "llama-server" \
            "c=4" "2 req/s" "how it was measured" "distribution-free"; do
            grep -q "$h" "$D/S.txt" || fail "report lacks '$h'"
        done
        grep -q 'serving_curve.png' "$D/S.typ" && grep -q 'latency_breakdown.png' "$D/S.typ" ||
            fail "typst source lacks the serving figures"
        # beside speed rows: the serving slides join the usual report
        expect 0 "$T" model synth --shape tiny -o "$D/M.gguf"
        expect 0 "$T" bench --backend native -m "$D/M.gguf" -n 4 --repetitions 2 --warmup 0 \
            --output-dir "$BO"
        expect 0 "$T" collate --dir "$BO"
        expect 0 "$T" report --dir "$BO" -o "$D/R.pdf"
        pdftotext "$D/R.pdf" "$D/R.txt" || fail "pdftotext failed"
        for h in "Summary: decode throughput" "Serving under load" "per label and level"; do
            grep -q "$h" "$D/R.txt" || fail "report with speed rows lacks '$h'"
        done
        # analyze: the serving section follows the speed statistics
        expect 0 "$T" analyze --dir "$BO"
        grep -q "decode tokens/s" "$D/out" && grep -q "Serving under load" "$D/out" ||
            fail "analyze with speed rows: $(cat "$D/out")"
        expect 0 "$T" analyze --dir "$BO" --format json
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['groups'] and len(d['serving']) == 9))" \
            "$D/out" || fail "analyze json with speed rows"
        expect 3 "$T" analyze --dir "$BO" --serving teai,nobody
    else
        echo "skip: report checks: pdftotext missing (poppler-utils)"
    fi
else
    echo "skip: figures and report: teai was built without cairo"
fi

# analyze: two labels at one level
expect 0 "$T" analyze --dir "$BO" --load-dir "$BO/logs" --serving teai,llama-server --level 4
grep -q "teai (A) against llama-server (B) at c=4" "$D/out" || fail "analyze: $(head -5 "$D/out")"
grep -q "TTFT .*teai lower" "$D/out" || fail "analyze: no verdict on TTFT: $(cat "$D/out")"
grep -q "c=2" "$D/out" && fail "analyze --level 4 shows c=2"
expect 0 "$T" analyze --dir "$BO/logs" --format json
python3 - "$D/out" <<'EOF' || fail "analyze json"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["serving"]
# three common levels x three metrics (the rate run has no partner)
assert len(s) == 9, len(s)
for o in s:
    assert o["a"] == "llama-server" and o["b"] == "teai", o
    assert o["metric"] in ("ttft_ms", "tpot_ms", "e2el_ms")
    assert o["a_median_lo"] <= o["a_median"] <= o["a_median_hi"]
    assert o["a_p99_lo"] is None  # 35 requests: no interval for p99
    assert 0 <= o["p"] <= 1 and o["significant"] == (o["p"] < 0.05)
    assert abs(o["median_ratio"] - o["a_median"] / o["b_median"]) < 1e-12
EOF
expect 3 "$T" analyze --dir "$BO/logs" --serving teai,nobody
grep -q "no level in common" "$D/out" || fail "analyze: unknown label: $(cat "$D/out")"
expect 2 "$T" analyze --dir "$BO" --serving teai
expect 2 "$T" analyze --dir "$BO" --level zero
expect 3 "$T" analyze --dir "$D/plain/nope" --serving a,b
finish
