/* The load-time step that gives a model's Q4_0 and Q4_K matrices repacked
 * copies (repack.h) where this CPU has kernels for them, and
 * teai_model_repack_info. The token embedding (also when tied to the output)
 * stays in the file's layout for the per-token lookup; the output matrix gets
 * its own copy. Each copy replaces its tensor for the products, so the file's
 * pages of that tensor are given back once copied (a tied embedding's rows are
 * read back from the file as tokens need them), and a weight converted at
 * load is freed. */
#include "model.h"
#include "model_load.h"
#include "repack.h"
#include "base/base.h"
#include "base/threadpool.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct repack_job {
    teai_type t;
    const teai__weight *w;
    void *out;
} repack_job;

static void repack_task(void *arg, int ith, int nth) {
    const repack_job *j = arg;
    long groups = (long)((j->w->rows + TEAI__RP_ROWS - 1) / TEAI__RP_ROWS), lo, hi;
    teai__split(groups, ith, nth, &lo, &hi);
    teai__repack_groups(j->t, j->w->data, j->w->row_bytes, j->w->rows, j->w->cols, lo, hi, j->out);
}

/* The slot of m->owned holding data (a buffer made at load: a weight
 * converted at load), or -1 for the file's mapping. */
static int owned(const teai_model *m, const void *data) {
    for (int i = 0; i < m->n_owned; i++)
        if (m->owned[i] == data) return i;
    return -1;
}

static int repack_one(teai_model *m, teai__pool *pool, teai__weight *w) {
    teai_type rt = w->data ? teai__repack_pick(w->type, w->cols) : (teai_type)0;
    if (!rt) return TEAI_OK;
    size_t bytes = teai__repack_bytes(rt, w->rows, w->cols);
    void *out = teai__model_alloc(m, bytes);
    if (!out) return TEAI_ENOMEM;
    repack_job j = {w->type, w, out};
    if (pool)
        teai__pool_run(pool, repack_task, &j);
    else
        repack_task(&j, 0, 1);
    /* the file's pages: not needed again (a tied embedding's rows come back
     * from the file as tokens are looked up) */
    int slot = owned(m, w->data);
    if (slot < 0) {
        teai__drop_pages(w->data, w->row_bytes * (size_t)w->rows);
    } else if (w->data != m->tok_embd.data) { /* a converted weight: the copy replaces it */
        free(m->owned[slot]);
        m->owned[slot] = NULL;
    }
    w->type = rt;
    w->data = out;
    m->repack_bytes += bytes;
    m->n_repacked++;
    return TEAI_OK;
}

int teai__model_repack(teai_model *m, int n_threads, teai_error *err) {
    uint64_t t0 = teai__now_ns();
    teai__pool *pool = teai__pool_new(n_threads);
    int rc = TEAI_OK;
    for (int l = 0; l < m->hp.n_layers && !rc; l++) {
        teai__layer *L = &m->layers[l];
        teai__weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof ws / sizeof *ws && !rc; i++) rc = repack_one(m, pool, ws[i]);
    }
    if (!rc) rc = repack_one(m, pool, &m->output);
    teai__pool_free(pool);
    m->repack_ms = (double)(teai__now_ns() - t0) / 1e6;
    if (rc) return teai__fail(err, rc, "out of memory repacking weights");
    return TEAI_OK;
}

int teai_model_repack_info(const teai_model *m, uint64_t *bytes, double *ms) {
    if (bytes) *bytes = m ? m->repack_bytes : 0;
    if (ms) *ms = m ? m->repack_ms : 0.0;
    return m ? m->n_repacked : 0;
}
