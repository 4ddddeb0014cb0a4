/* The seed's llama.cpp logs (docs/log-format.md §2): the header, then `llama-bench -o
 * jsonl` output, one JSON object per test; other lines (the "STDERR:" part)
 * are not data. The same objects appear in teai logs as "raw" events.
 *
 * A test that generates (n_gen > 0, n_prompt = 0) gives one row per sample
 * (step 1, 2, ...: one repetition of n_gen tokens each) and a step-0 summary
 * row; a prompt test (n_prompt > 0, n_gen = 0) gives one step-0 row of
 * prefill figures per sample (the mean's row when it has none), so each
 * sample is a prefill measurement; a mixed test (both > 0) a step-0 row with
 * its end-to-end rate. */
#include "results/results_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if TEAI_HAVE_CJSON

int teai__is_llamabench(const cJSON *o) {
    return cJSON_GetObjectItemCaseSensitive(o, "avg_ts") ||
           cJSON_GetObjectItemCaseSensitive(o, "samples_ns") ||
           cJSON_GetObjectItemCaseSensitive(o, "avg_ns");
}

/* Sets (row, col) from a JSON string or number, unless the header said it
 * (the log-level cell is set): the header describes the run authoritatively. */
static int fill(teai_log_rows *r, long row, int col, const cJSON *o, const char *key) {
    if (teai__rows_has(r, TEAI__META, col)) return TEAI_OK;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v) && v->valuestring) return teai__rows_setstr(r, row, col, v->valuestring);
    if (cJSON_IsNumber(v)) return teai__rows_setnum(r, row, col, v->valuedouble);
    return TEAI_OK;
}

/* The fields every row of the test carries. */
static int test_cells(teai_log_rows *r, long row, const cJSON *o, long long index, long long step,
                      double n_prompt, double n_gen) {
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, step);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, index);
    /* llama-bench runs its own warm-up and keeps it out of the samples */
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_WARMUP, 0);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_N_PROMPT, n_prompt);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_N_GEN, n_gen);
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_BACKEND_VERSION, o, "build_commit");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_CPU, o, "cpu_info");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_GPU, o, "gpu_info");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_DEVICE, o, "backends");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_MODEL, o, "model_type");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_MODEL_BYTES, o, "model_size");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_THREADS, o, "n_threads");
    if (rc == TEAI_OK) rc = fill(r, row, TEAI_COL_START_TIME, o, "test_time");
    double size = teai__jnum(o, "model_size"), params = teai__jnum(o, "model_n_params");
    if (rc == TEAI_OK && size > 0 && params > 0 &&
        !teai__rows_has(r, TEAI__META, TEAI_COL_BITS_PER_WEIGHT))
        rc = teai__rows_setnum(r, row, TEAI_COL_BITS_PER_WEIGHT, size * 8.0 / params);
    return rc;
}

/* samples_ns / samples_ts element i, NAN when absent. */
static double sample(const cJSON *arr, int i) {
    const cJSON *v = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, i) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}

int teai__llamabench_rows(teai__reader *rd, const cJSON *o, long long index) {
    teai_log_rows *r = rd->rows;
    int okp, okg;
    long long np = teai__jint(o, "n_prompt", 0, 1000000000, &okp);
    long long ng = teai__jint(o, "n_gen", 0, 1000000000, &okg);
    double n_prompt = okp ? (double)np : (double)NAN, n_gen = okg ? (double)ng : (double)NAN;
    double avg_ns = teai__jnum(o, "avg_ns"), avg_ts = teai__jnum(o, "avg_ts");
    int rc = TEAI_OK;

    long row0 = teai__rows_add(r, index, 0);
    if (row0 < 0) return TEAI_ENOMEM;
    rc = test_cells(r, row0, o, index, 0, n_prompt, n_gen);
    if (okp && okg && np == 0 && ng > 0) { /* generation */
        if (rc == TEAI_OK) rc = teai__rows_setnum(r, row0, TEAI_COL_TOK_S, avg_ts);
        if (rc == TEAI_OK)
            rc = teai__rows_setnum(r, row0, TEAI_COL_TOK_S_STDDEV, teai__jnum(o, "stddev_ts"));
        if (rc == TEAI_OK) rc = teai__rows_setnum(r, row0, TEAI_COL_TOTAL_MS, avg_ns / 1e6 / n_gen);
        if (rc == TEAI_OK) rc = teai__rows_setnum(r, row0, TEAI_COL_RUN_MS, avg_ns / 1e6);
        if (rc == TEAI_OK) rc = teai__rows_setint(r, row0, TEAI_COL_TOKENS_IN_CHUNK, ng);
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "samples_ns");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "samples_ts");
        int n = cJSON_IsArray(ns) ? cJSON_GetArraySize(ns) : 0;
        for (int i = 0; i < n && rc == TEAI_OK; i++) {
            long row = teai__rows_add(r, index, i + 1);
            if (row < 0) return TEAI_ENOMEM;
            double t = sample(ns, i), rate = sample(ts, i);
            if (isnan(rate) && t > 0) rate = n_gen * 1e9 / t;
            rc = test_cells(r, row, o, index, i + 1, n_prompt, n_gen);
            if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOTAL_MS, t / 1e6);
            if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOK_S, rate);
            if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, ng);
        }
    } else if (okp && okg && np > 0 && ng == 0) { /* prompt processing */
        /* each sample is one prefill measurement (a step-0 row of its own,
         * so n = samples); without samples, the mean is the one measurement */
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "samples_ns");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "samples_ts");
        int n = cJSON_IsArray(ns) ? cJSON_GetArraySize(ns) : 0;
        for (int i = 0; i < n || i == 0; i++) {
            double t = n ? sample(ns, i) : avg_ns, rate = n ? sample(ts, i) : avg_ts;
            if (isnan(rate) && t > 0) rate = n_prompt * 1e9 / t;
            long row = row0;
            if (i > 0 && (row = teai__rows_add(r, index, 0)) < 0) return TEAI_ENOMEM;
            if (rc == TEAI_OK && i > 0) rc = test_cells(r, row, o, index, 0, n_prompt, n_gen);
            if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_PREFILL_TOKENS, np);
            if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_PREFILL_MS, t / 1e6);
            if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_PREFILL_TOK_S, rate);
            if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_RUN_MS, t / 1e6);
        }
    } else { /* prompt and generation together (or counts unknown) */
        if (rc == TEAI_OK) rc = teai__rows_setnum(r, row0, TEAI_COL_RUN_MS, avg_ns / 1e6);
        if (rc == TEAI_OK) rc = teai__rows_setnum(r, row0, TEAI_COL_E2E_TOK_S, avg_ts);
    }
    return rc;
}

int teai__read_llamabench(teai__reader *rd, teai_error *err) {
    size_t pos = rd->body;
    int no = rd->body_line, rc = TEAI_OK;
    long long index = 0;
    teai__line ln;
    while (rc == TEAI_OK && teai__next_line(rd, &pos, &no, &ln)) {
        const char *p = ln.p;
        size_t n = ln.n;
        teai__trim(&p, &n);
        if (!n || p[0] != '{') continue; /* not data: llama-bench's stderr, blank lines */
        cJSON *o = teai__json_line(p, n);
        if (!o) {
            teai__bad_line(rd, &ln, "bad JSON");
            continue;
        }
        if (teai__is_llamabench(o)) rc = teai__llamabench_rows(rd, o, index++);
        cJSON_Delete(o);
    }
    (void)err;
    return rc;
}

#else

int teai__read_llamabench(teai__reader *rd, teai_error *err) {
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON", rd->name);
}

#endif
