/* The seed's MLC logs (docs/log-format.md §2): the header (with "framework: mlc_llm"),
 * "=== Results ===", one JSON object per run
 *   {"run": 1, "tokens": 20, "time_s": 0.81, "tok_per_sec": 24.6}
 * and "avg_tok_per_sec: <x>" at the end. A run was one whole chat request
 * (prefill included). Each run is a repetition with two rows, as a
 * llama-bench generation sample is:
 *   step 0: run_ms = time_s, e2e_tokens_per_sec = tok_per_sec,
 *           tokens_in_chunk = tokens (the summary);
 *   step 1: one chunk of `tokens` decoded tokens (tokens_in_chunk = tokens,
 *           total_latency_ms = time_s, tokens_per_sec = tok_per_sec): a
 *           per-run rate, so MLC enters the decode statistics and figures
 *           with n = runs. Its time includes the prompt's prefill, which MLC
 *           did not report apart (docs/log-format.md says so). */
#include "results/results_impl.h"

#include <math.h>

#if TEAI_HAVE_CJSON

static int run_row(teai__reader *rd, const cJSON *o, long long index) {
    teai_log_rows *r = rd->rows;
    int ok;
    long long run = teai__jint(o, "run", 1, 1000000000, &ok);
    long long rep = ok ? run - 1 : index;
    long row = teai__rows_add(r, rep, 0);
    if (row < 0) return TEAI_ENOMEM;
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, 0);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, rep);
    long long tokens = teai__jint(o, "tokens", 0, 1000000000, &ok);
    if (rc == TEAI_OK && ok) rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, tokens);
    double ms = teai__jnum(o, "time_s") * 1e3, rate = teai__jnum(o, "tok_per_sec");
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_RUN_MS, ms);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_E2E_TOK_S, rate);
    if (isnan(rate) && ms > 0 && ok) rate = (double)tokens * 1e3 / ms;
    if (rc != TEAI_OK || !ok || tokens < 1 || !(rate > 0)) return rc;
    long chunk = teai__rows_add(r, rep, 1); /* the run as one chunk of decoded tokens */
    if (chunk < 0) return TEAI_ENOMEM;
    rc = teai__rows_setint(r, chunk, TEAI_COL_STEP, 1);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, chunk, TEAI_COL_REPETITION, rep);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, chunk, TEAI_COL_TOKENS_IN_CHUNK, tokens);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, chunk, TEAI_COL_TOTAL_MS, ms);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, chunk, TEAI_COL_TOK_S, rate);
    return rc;
}

int teai__read_mlc(teai__reader *rd, teai_error *err) {
    size_t pos = rd->body;
    int no = rd->body_line, rc = TEAI_OK, done = 0;
    long long index = 0;
    teai__line ln;
    while (rc == TEAI_OK && teai__next_line(rd, &pos, &no, &ln)) {
        const char *p = ln.p;
        size_t n = ln.n;
        teai__trim(&p, &n);
        double x;
        if (teai__scan(p, n, "avg_tok_per_sec: #", &x, 1) == 1 && ln.terminated) {
            done = 1;
            continue;
        }
        if (!n || p[0] != '{') continue;
        cJSON *o = teai__json_line(p, n);
        if (!o) {
            teai__bad_line(rd, &ln, "bad JSON");
            continue;
        }
        rc = run_row(rd, o, index++);
        cJSON_Delete(o);
    }
    /* the seed wrote the average last: without it the run did not finish */
    if (rc == TEAI_OK)
        rc = teai__rows_setstr(rd->rows, TEAI__META, TEAI_COL_STATUS, done ? "ok" : "incomplete");
    (void)err;
    return rc;
}

#else

int teai__read_mlc(teai__reader *rd, teai_error *err) {
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON", rd->name);
}

#endif
