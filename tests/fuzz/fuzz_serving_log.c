/* Fuzz target: the load-log reader (analysis/serving.h) over arbitrary bytes,
 * as they are and behind a run line (so that the request, level and end lines
 * are reached), then each level's summary: counts add up, percentiles are in
 * order and inside their intervals, nothing is read out of bounds. */
#include "analysis/serving.h"
#include "fuzz_tmp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ud, const char *line) {
    if (!line || !*line) abort(); /* notes are one non-empty line */
    (void)ud;
}

static void check_dist(const teai_serving_dist *d) {
    if (d->n == 0) {
        if (!isnan(d->mean) || !isnan(d->p[0])) abort();
        return;
    }
    for (int i = 1; i < 4; i++)
        if (d->p[i] < d->p[i - 1]) abort();
    for (int i = 0; i < 4; i++) {
        if (!isnan(d->lo[i]) && d->lo[i] > d->p[i]) abort();
        if (!isnan(d->hi[i]) && d->hi[i] < d->p[i]) abort();
    }
}

static void check(const char *path, const char *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n && fwrite(bytes, 1, n, f) != n) abort();
    fclose(f);
    teai_serving_run *r = NULL;
    teai_error err = {0};
    int rc = teai_serving_run_read(path, ignore, NULL, &r, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || r || err.status != rc || !err.msg[0]) abort();
        return;
    }
    for (size_t i = 0; i < r->n_levels; i++) {
        const teai_serving_level *l = &r->levels[i];
        for (size_t k = 0; k < l->n_req; k++) /* every gap readable (ASan) */
            for (size_t g = 0; g < l->req[k].n_itl; g++)
                if (l->req[k].itl_ms[g] == 12345.678) abort();
        teai_serving_summary s;
        if (teai_serving_summarize(l->req, l->n_req, &r->slo, &s, &err) != TEAI_OK) abort();
        if (s.requests != s.ok + s.errors || s.good > s.ok || s.requests > (long)l->n_req) abort();
        check_dist(&s.ttft);
        check_dist(&s.tpot);
        check_dist(&s.itl);
        check_dist(&s.e2el);
        double *v;
        size_t nv;
        if (teai_serving_values(l, TEAI_SERVING_ITL, &v, &nv, &err) != TEAI_OK) abort();
        if ((long)nv != s.itl.n) abort();
        free(v);
    }
    teai_serving_run_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const first[] = {
        "",
        "{\"type\":\"run\",\"label\":\"x\",\"slo\":{\"ttft_ms\":100,\"tpot_ms\":10}}\n",
        ("{\"type\":\"run\"}\n{\"type\":\"request\",\"mode\":\"concurrency\",\"concurrency\":2,"
         "\"ok\":true,\"ttft_ms\":1,\"e2el_ms\":3,\"itl_ms\":[1,1]}\n"),
    };
    const char *path = fuzz_tmp_path("fuzz_serving_log", ".jsonl");
    for (size_t i = 0; i < sizeof first / sizeof *first; i++) {
        size_t k = strlen(first[i]);
        char *buf = malloc(k + size ? k + size : 1);
        if (!buf) return 0;
        memcpy(buf, first[i], k);
        if (size) memcpy(buf + k, data, size);
        check(path, buf, k + size);
        free(buf);
    }
    return 0;
}
