#!/bin/sh
# Times `teai analyze`, `teai plot` and `teai report` on a 1,000,000-row CSV in the collate format (57
# columns, docs/log-format.md): 4 backends x 2 quantizations, 10 repetitions
# each (1 warm-up), quoted generated_text with commas, quotes and newlines.
# usage: bench/analyze_1m.sh [TEAI_BINARY] [ROWS]   (default build/teai, 1000000)
set -eu
TEAI=${1:-${TEAI_BIN:-build/teai}}
ROWS=${2:-1000000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/teai_an1m.XXXXXX")
trap 'rm -rf "$DIR"' EXIT INT TERM
start=$(date +%s.%N)
awk -v rows="$ROWS" 'BEGIN {
    srand(1);
    printf "step,enqueue_latency_ms,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,generated_text,platform,release,device,username,hostname,size,quantize,seed,uuid,backend,backend_version,model,model_bytes,model_sha256,synthetic,weight_format,bits_per_weight,threads,repetition,warmup,n_prompt,n_gen,token_id,tokens_in_chunk,t_ms,prefill_tokens,prefill_ms,prefill_tokens_per_sec,ttft_ms,run_ms,e2e_tokens_per_sec,tokens_per_sec_stddev,p50_latency_ms,p90_latency_ms,p99_latency_ms,load_ms,peak_rss_mb,cpu,cpu_features,n_cpus,ram_bytes,gpu,teai_version,teai_commit,compiler,start_time,status,error,source_format,log_file\r\n";
    split("native llamacpp openai tinygrad", be, " "); split("int8 default", qz, " ");
    per = int(rows / 80); if (per < 2) per = 2;
    for (i = 0; i < rows; i++) {
        grp = int(i / (rows / 8 + 1)); b = be[grp % 4 + 1]; q = qz[int(grp / 4) + 1];
        k = i % per; rep = int(k * 10 / per); step = k - int(rep * per / 10);
        base = (b == "native" ? 40 : b == "llamacpp" ? 33 : 20) * (q == "int8" ? 1.6 : 1);
        ms = 1000 / (base * (0.9 + 0.2 * rand()));
        sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        if (step == 0)
            printf "0,0.01,%.6g,%.6g,,,\"Hello, \"\"world\"\"\nline two\",Linux,6.8.0-45-generic,AMD EPYC 7763,bench,host1,1B,%s,42,uuid1234abcd,%s,b1234,/models/llama-1b-%s.gguf,1234567890,%s,0,gguf,8.5,16,%d,%d,32,128,,128,,32,40.5,790.1,45.2,3400.5,37.6,1.2,25.1,27.9,31.2,812.4,1432.75,AMD EPYC 7763 64-Core Processor,avx2 fma f16c avx512f,16,134217728000,,0.1.0,abcdef0123456789abcdef0123456789abcdef01,GNU 13.2.0,2026-11-27T03:10:00Z,ok,,teai-log 1,%s_host1_1B_%s_seed42_uuid1234abcd.txt\r\n", ms, 1000 / ms, q, b, q, sha, rep, rep == 0, b, q;
        else
            printf "%d,0.012,%.6g,%.6g,%.5g,%.5g,\" tok%d\",Linux,6.8.0-45-generic,AMD EPYC 7763,bench,host1,1B,%s,42,uuid1234abcd,%s,b1234,/models/llama-1b-%s.gguf,1234567890,%s,0,gguf,8.5,16,%d,%d,32,128,%d,1,%.6g,,,,,,,,,,,812.4,1432.75,AMD EPYC 7763 64-Core Processor,avx2 fma f16c avx512f,16,134217728000,,0.1.0,abcdef0123456789abcdef0123456789abcdef01,GNU 13.2.0,2026-11-27T03:10:00Z,ok,,teai-log 1,%s_host1_1B_%s_seed42_uuid1234abcd.txt\r\n", step, ms, 1000 / ms, 1.2 * 1000 / ms / 40, 1.1 * 1000 / ms / 40, step, q, b, q, sha, rep, rep == 0, step % 32000, step * ms, b, q;
    }
}' > "$DIR/all.csv"
gen=$(date +%s.%N)
bytes=$(wc -c < "$DIR/all.csv")
"$TEAI" analyze --dir "$DIR" > "$DIR/out.txt"
end=$(date +%s.%N)
"$TEAI" plot --dir "$DIR" --output-dir "$DIR/plots" > "$DIR/plot.txt" 2>&1 || echo "plot: failed or built without cairo"
pend=$(date +%s.%N)
"$TEAI" report --dir "$DIR" -o "$DIR/report.pdf" > "$DIR/report.txt" 2>&1 || echo "report: failed or built without cairo"
rend=$(date +%s.%N)
tail -n 20 "$DIR/out.txt"
awk -v s="$start" -v g="$gen" -v e="$end" -v p="$pend" -v q="$rend" -v r="$ROWS" -v b="$bytes" 'BEGIN {
    printf "\nrows: %d (%.1f MB CSV); generate: %.2f s\n", r, b / 1e6, g - s
    printf "teai analyze: %.3f s (%.0f rows/s); teai plot: %.3f s; teai report: %.3f s; together %.3f s\n",
        e - g, r / (e - g), p - e, q - p, q - g }'
