/* AdamW with decoupled weight decay, the warm-up + cosine schedule and the
 * global gradient-norm clip. */
#include "optim.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

double teai__lr_at(int step, int steps, int warmup, double lr, double min_lr) {
    if (step < warmup) return lr * (double)(step + 1) / (double)warmup;
    if (step >= steps || steps <= warmup) return step >= steps ? min_lr : lr;
    double progress = (double)(step - warmup) / (double)(steps - warmup); /* [0, 1) */
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + cos(M_PI * progress));
}

void teai__adamw_update(const teai__adamw *a, int decay, float *p, const float *g, float *m,
                        float *v, size_t n) {
    /* bias corrections in double, applied as one factor each */
    float c1 = (float)(1.0 / (1.0 - pow((double)a->beta1, a->t)));
    float c2 = (float)(1.0 / (1.0 - pow((double)a->beta2, a->t)));
    float b1 = a->beta1, b2 = a->beta2, lr = a->lr, eps = a->eps, gs = a->gscale;
    float wd = decay ? a->weight_decay : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gs;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi, v[i] = vi;
        float upd = (mi * c1) / (sqrtf(vi * c2) + eps);
        p[i] -= lr * (upd + wd * p[i]);
    }
}

typedef struct step_job {
    const teai__adamw *a;
    const teai__pseg *segs;
    int n_segs;
    size_t total;
    float *p, *m, *v;
    const float *g;
} step_job;

static void step_task(void *arg, int ith, int nth) {
    step_job *j = arg;
    long lo, hi;
    teai__split((long)j->total, ith, nth, &lo, &hi);
    size_t pos = 0; /* the segments tile [0, total) in their order */
    for (int s = 0; s < j->n_segs; s++) {
        const teai__pseg *sg = &j->segs[s];
        size_t a0 = pos, a1 = pos + sg->n;
        pos = a1;
        size_t b0 = a0 > (size_t)lo ? a0 : (size_t)lo, b1 = a1 < (size_t)hi ? a1 : (size_t)hi;
        if (b0 >= b1) continue;
        size_t off = sg->offset + (b0 - a0);
        teai__adamw_update(j->a, sg->decay, j->p + off, j->g + off, j->m + off, j->v + off,
                           b1 - b0);
    }
}

void teai__adamw_step(const teai__adamw *a, const teai__pseg *segs, int n_segs, float *p,
                      const float *g, float *m, float *v, teai__pool *pool) {
    step_job j = {a, segs, n_segs, 0, p, m, v, g};
    for (int s = 0; s < n_segs; s++) j.total += segs[s].n;
    if (pool)
        teai__pool_run(pool, step_task, &j);
    else
        step_task(&j, 0, 1);
}

enum { NORM_CHUNK = 1 << 14 };

typedef struct norm_job {
    const float *g;
    size_t n, n_chunks;
    double *partial; /* one sum per chunk */
} norm_job;

static void norm_task(void *arg, int ith, int nth) {
    norm_job *j = arg;
    long lo, hi;
    teai__split((long)j->n_chunks, ith, nth, &lo, &hi);
    for (long c = lo; c < hi; c++) {
        size_t a = (size_t)c * NORM_CHUNK, b = a + NORM_CHUNK < j->n ? a + NORM_CHUNK : j->n;
        double s = 0;
        for (size_t i = a; i < b; i++) s += (double)j->g[i] * (double)j->g[i];
        j->partial[c] = s;
    }
}

double teai__grad_norm(const float *g, size_t n, teai__pool *pool) {
    norm_job j = {g, n, (n + NORM_CHUNK - 1) / NORM_CHUNK, NULL};
    double stack[64];
    j.partial = j.n_chunks <= 64 ? stack : malloc(j.n_chunks * sizeof(double));
    double s = 0;
    if (!j.partial) { /* out of memory: the same sums, one thread, in order */
        for (size_t c = 0; c < j.n_chunks; c++) {
            size_t a = c * NORM_CHUNK, b = a + NORM_CHUNK < n ? a + NORM_CHUNK : n;
            double cs = 0;
            for (size_t i = a; i < b; i++) cs += (double)g[i] * (double)g[i];
            s += cs;
        }
        return sqrt(s);
    }
    if (pool)
        teai__pool_run(pool, norm_task, &j);
    else
        norm_task(&j, 0, 1);
    for (size_t c = 0; c < j.n_chunks; c++) s += j.partial[c];
    if (j.partial != stack) free(j.partial);
    return sqrt(s);
}

float teai__clip_scale(double norm, double clip) {
    if (clip > 0 && norm > clip) return (float)(clip / norm);
    return 1.0f;
}
