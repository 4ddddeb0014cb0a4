/* The seed's MLC logs (DESIGN §7): the header (with "framework: mlc_llm"),
 * "=== Results ===", one JSON object per run
 *   {"run": 1, "tokens": 20, "time_s": 0.81, "tok_per_sec": 24.6}
 * and "avg_tok_per_sec: <x>" at the end. A run was one whole chat request
 * (prefill included), so its rate is end-to-end: it goes to
 * e2e_tokens_per_sec, never to tokens_per_sec (decode only). One step-0 row
 * per run; there are no per-token rows. */
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
    if (rc == TEAI_OK)
        rc = teai__rows_setnum(r, row, TEAI_COL_RUN_MS, teai__jnum(o, "time_s") * 1e3);
    if (rc == TEAI_OK)
        rc = teai__rows_setnum(r, row, TEAI_COL_E2E_TOK_S, teai__jnum(o, "tok_per_sec"));
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
