/* The element-wise pieces of the trained model (tops.h). Every op is a task
 * over a fixed partition of its rows (or, for sums over rows, of its
 * columns); each output element is summed in one order by one thread.
 * Inner loops run along contiguous memory as axpy's (y += a * x) so the
 * compiler vectorises them without reordering any sum. */
#include "train/tops.h"

#include <math.h>
#include <string.h>

static void run(teai__pool *pool, teai__task_fn fn, void *arg) {
    if (pool)
        teai__pool_run(pool, fn, arg);
    else
        fn(arg, 0, 1);
}

/* ---- embedding -------------------------------------------------------- */

typedef struct embed_job {
    int N, D;
    const int32_t *ids;
    const float *src; /* E (fwd) or dx (bwd) */
    float *dst;       /* x (fwd) or dE (bwd) */
} embed_job;

static void embed_fwd_task(void *arg, int ith, int nth) {
    const embed_job *j = arg;
    long lo, hi;
    teai__split(j->N, ith, nth, &lo, &hi);
    for (long n = lo; n < hi; n++)
        memcpy(j->dst + n * j->D, j->src + (size_t)j->ids[n] * (size_t)j->D,
               sizeof(float) * (size_t)j->D);
}

void teai__embed_fwd(teai__pool *pool, int N, int D, const int32_t *ids, const float *E, float *x) {
    embed_job j = {N, D, ids, E, x};
    run(pool, embed_fwd_task, &j);
}

/* split by columns: rows with the same id add up in row order on one thread */
static void embed_bwd_task(void *arg, int ith, int nth) {
    const embed_job *j = arg;
    long lo, hi;
    teai__split(j->D, ith, nth, &lo, &hi);
    for (long n = 0; n < j->N; n++) {
        const float *g = j->src + n * j->D;
        float *d = j->dst + (size_t)j->ids[n] * (size_t)j->D;
        for (long c = lo; c < hi; c++) d[c] += g[c];
    }
}

void teai__embed_bwd(teai__pool *pool, int N, int D, const int32_t *ids, const float *dx,
                     float *dE) {
    embed_job j = {N, D, ids, dx, dE};
    run(pool, embed_bwd_task, &j);
}

/* ---- RMSNorm ----------------------------------------------------------- */

typedef struct norm_job {
    int N, D;
    const float *x, *w, *rstd_in, *dy;
    float eps;
    float *y, *rstd, *dx, *dw;
} norm_job;

static void rmsnorm_fwd_task(void *arg, int ith, int nth) {
    const norm_job *j = arg;
    long lo, hi;
    teai__split(j->N, ith, nth, &lo, &hi);
    int D = j->D;
    for (long n = lo; n < hi; n++) {
        const float *x = j->x + n * D;
        float *y = j->y + n * D;
        double ss = 0;
        for (int i = 0; i < D; i++) ss += (double)x[i] * x[i];
        float r = 1.0f / sqrtf((float)(ss / D) + j->eps);
        j->rstd[n] = r;
        for (int i = 0; i < D; i++) y[i] = x[i] * r * j->w[i];
    }
}

void teai__rmsnorm_fwd(teai__pool *pool, int N, int D, const float *x, const float *w, float eps,
                       float *y, float *rstd) {
    norm_job j = {N, D, x, w, NULL, NULL, eps, y, rstd, NULL, NULL};
    run(pool, rmsnorm_fwd_task, &j);
}

/* y_i = x_i r w_i with r = (mean(x^2) + eps)^-1/2, dr/dx_i = -r^3 x_i / D:
 *   dx_i = r w_i dy_i - (r^3 / D) x_i sum_j dy_j w_j x_j
 *   dw_i = sum_n dy_ni x_ni r_n
 * Rows of dx split by row, dw by column: they touch different outputs. */
static void rmsnorm_bwd_task(void *arg, int ith, int nth) {
    const norm_job *j = arg;
    int D = j->D;
    long lo, hi;
    teai__split(j->N, ith, nth, &lo, &hi);
    for (long n = lo; n < hi; n++) {
        const float *x = j->x + n * D, *dy = j->dy + n * D;
        float *dx = j->dx + n * D;
        double dot = 0;
        for (int i = 0; i < D; i++) dot += (double)dy[i] * j->w[i] * x[i];
        float r = j->rstd_in[n];
        float c = (float)((double)r * r * r * dot / D);
        for (int i = 0; i < D; i++) dx[i] += r * j->w[i] * dy[i] - c * x[i];
    }
    teai__split(D, ith, nth, &lo, &hi);
    enum { BLK = 64 };
    for (long c0 = lo; c0 < hi; c0 += BLK) {
        long nc = hi - c0 < BLK ? hi - c0 : BLK;
        double acc[BLK] = {0};
        for (long n = 0; n < j->N; n++) {
            const float *x = j->x + n * D + c0, *dy = j->dy + n * D + c0;
            double r = j->rstd_in[n];
            for (long c = 0; c < nc; c++) acc[c] += (double)dy[c] * x[c] * r;
        }
        for (long c = 0; c < nc; c++) j->dw[c0 + c] += (float)acc[c];
    }
}

void teai__rmsnorm_bwd(teai__pool *pool, int N, int D, const float *x, const float *w,
                       const float *rstd, const float *dy, float *dx, float *dw) {
    norm_job j = {N, D, x, w, rstd, dy, 0, NULL, NULL, dx, dw};
    run(pool, rmsnorm_bwd_task, &j);
}

/* ---- RoPE -------------------------------------------------------------- */

void teai__rope_table(int T, int hd, float theta, float *cs) {
    for (int i = 0; i < hd / 2; i++) {
        float inv_freq = (float)pow((double)theta, -2.0 * i / hd);
        for (int p = 0; p < T; p++) {
            float a = (float)p * inv_freq;
            cs[(size_t)p * (size_t)hd + 2 * (size_t)i] = cosf(a);
            cs[(size_t)p * (size_t)hd + 2 * (size_t)i + 1] = sinf(a);
        }
    }
}

typedef struct rope_job {
    int N, T, n_heads, hd, inverse;
    const float *cs;
    float *x;
} rope_job;

static void rope_task(void *arg, int ith, int nth) {
    const rope_job *j = arg;
    long lo, hi;
    teai__split(j->N, ith, nth, &lo, &hi);
    int width = j->n_heads * j->hd;
    float sign = j->inverse ? -1.0f : 1.0f; /* the transpose turns by minus the angle */
    for (long n = lo; n < hi; n++) {
        const float *cs = j->cs + (n % j->T) * j->hd;
        float *row = j->x + n * width;
        for (int h = 0; h < j->n_heads; h++) {
            float *v = row + h * j->hd;
            for (int i = 0; i < j->hd / 2; i++) {
                float co = cs[2 * i], si = sign * cs[2 * i + 1];
                float x0 = v[2 * i], x1 = v[2 * i + 1];
                v[2 * i] = x0 * co - x1 * si;
                v[2 * i + 1] = x0 * si + x1 * co;
            }
        }
    }
}

void teai__rope_fwd(teai__pool *pool, int N, int T, int n_heads, int hd, const float *cs,
                    float *x) {
    rope_job j = {N, T, n_heads, hd, 0, cs, x};
    run(pool, rope_task, &j);
}

void teai__rope_bwd(teai__pool *pool, int N, int T, int n_heads, int hd, const float *cs,
                    float *dx) {
    rope_job j = {N, T, n_heads, hd, 1, cs, dx};
    run(pool, rope_task, &j);
}

/* ---- attention --------------------------------------------------------- */

long teai__attn_scratch(int T, int hd) {
    return (long)(hd + 1) * T;
}

typedef struct attn_job {
    int B, T, H, KV, hd;
    const float *q, *k, *v, *P_in, *o_in, *d_o;
    float *P, *o, *dq, *dk, *dv, *scratch;
} attn_job;

/* One (sequence, query head) per work item. The scores of row i are
 * s_j = sum_d q_i[d] K^T[d][j], j <= i, formed along j from a transposed
 * copy of the head's keys (hd, T) in the thread's scratch. */
static void attn_fwd_task(void *arg, int ith, int nth) {
    const attn_job *j = arg;
    int T = j->T, hd = j->hd, group = j->H / j->KV;
    long qd = (long)j->H * hd, kvd = (long)j->KV * hd;
    float scale = 1.0f / sqrtf((float)hd);
    float *kt = j->scratch + ith * teai__attn_scratch(T, hd); /* (hd, T) */
    float *s = kt + (long)hd * T;                             /* (T) */
    long lo, hi;
    teai__split((long)j->B * j->H, ith, nth, &lo, &hi);
    for (long u = lo; u < hi; u++) {
        long b = u / j->H;
        int h = (int)(u % j->H), kvh = h / group;
        const float *k0 = j->k + b * T * kvd + (long)kvh * hd;
        const float *v0 = j->v + b * T * kvd + (long)kvh * hd;
        for (int t = 0; t < T; t++)
            for (int d = 0; d < hd; d++) kt[(long)d * T + t] = k0[t * kvd + d];
        for (int i = 0; i < T; i++) {
            const float *qi = j->q + (b * T + i) * qd + (long)h * hd;
            float *prow = j->P + (u * T + i) * T;
            for (int t = 0; t <= i; t++) s[t] = 0;
            for (int d = 0; d < hd; d++) {
                float a = qi[d];
                const float *kd = kt + (long)d * T;
                for (int t = 0; t <= i; t++) s[t] += a * kd[t];
            }
            float mx = -INFINITY;
            for (int t = 0; t <= i; t++) {
                s[t] *= scale;
                if (s[t] > mx) mx = s[t];
            }
            float sum = 0;
            for (int t = 0; t <= i; t++) {
                s[t] = expf(s[t] - mx);
                sum += s[t];
            }
            float inv = 1.0f / sum;
            for (int t = 0; t <= i; t++) prow[t] = s[t] * inv;
            for (int t = i + 1; t < T; t++) prow[t] = 0;
            float *oi = j->o + (b * T + i) * qd + (long)h * hd;
            for (int d = 0; d < hd; d++) oi[d] = 0;
            for (int t = 0; t <= i; t++) {
                float p = prow[t];
                const float *vt = v0 + t * kvd;
                for (int d = 0; d < hd; d++) oi[d] += p * vt[d];
            }
        }
    }
}

void teai__attn_fwd(teai__pool *pool, int B, int T, int H, int KV, int hd, const float *q,
                    const float *k, const float *v, float *P, float *o, float *scratch) {
    attn_job j = {B, T, H, KV, hd, q, k, v, NULL, NULL, NULL, P, o, NULL, NULL, NULL, scratch};
    run(pool, attn_fwd_task, &j);
}

/* One (sequence, KV head) per work item, with the query heads that share it
 * in order, so dk and dv add up on one thread. Row i of head h:
 *   dp_j = do_i . v_j,  ds_j = P_ij (dp_j - do_i . o_i)   (softmax backward;
 *   sum_j P_ij dp_j = do_i . o_i), then dq_i = scale sum_j ds_j k_j,
 *   dk_j += scale ds_j q_i, dv_j += P_ij do_i. */
static void attn_bwd_task(void *arg, int ith, int nth) {
    const attn_job *j = arg;
    int T = j->T, hd = j->hd, group = j->H / j->KV;
    long qd = (long)j->H * hd, kvd = (long)j->KV * hd;
    float scale = 1.0f / sqrtf((float)hd);
    float *vt = j->scratch + ith * teai__attn_scratch(T, hd); /* (hd, T) */
    float *dp = vt + (long)hd * T;                            /* (T) */
    long lo, hi;
    teai__split((long)j->B * j->KV, ith, nth, &lo, &hi);
    for (long u = lo; u < hi; u++) {
        long b = u / j->KV;
        int kvh = (int)(u % j->KV);
        const float *k0 = j->k + b * T * kvd + (long)kvh * hd;
        const float *v0 = j->v + b * T * kvd + (long)kvh * hd;
        float *dk0 = j->dk + b * T * kvd + (long)kvh * hd;
        float *dv0 = j->dv + b * T * kvd + (long)kvh * hd;
        for (int t = 0; t < T; t++) {
            memset(dk0 + t * kvd, 0, sizeof(float) * (size_t)hd);
            memset(dv0 + t * kvd, 0, sizeof(float) * (size_t)hd);
            for (int d = 0; d < hd; d++) vt[(long)d * T + t] = v0[t * kvd + d];
        }
        for (int g = 0; g < group; g++) {
            int h = kvh * group + g;
            for (int i = 0; i < T; i++) {
                long row = (b * T + i) * qd + (long)h * hd;
                const float *qi = j->q + row, *oi = j->o_in + row, *doi = j->d_o + row;
                const float *prow = j->P_in + ((b * j->H + h) * T + i) * T;
                float *dqi = j->dq + row;
                double so = 0;
                for (int d = 0; d < hd; d++) so += (double)doi[d] * oi[d];
                float si = (float)so;
                for (int t = 0; t <= i; t++) dp[t] = 0;
                for (int d = 0; d < hd; d++) {
                    float a = doi[d];
                    const float *vd = vt + (long)d * T;
                    for (int t = 0; t <= i; t++) dp[t] += a * vd[t];
                }
                for (int d = 0; d < hd; d++) dqi[d] = 0;
                for (int t = 0; t <= i; t++) {
                    float p = prow[t], ds = p * (dp[t] - si) * scale;
                    const float *kt = k0 + t * kvd;
                    float *dkt = dk0 + t * kvd, *dvt = dv0 + t * kvd;
                    for (int d = 0; d < hd; d++) {
                        dqi[d] += ds * kt[d];
                        dkt[d] += ds * qi[d];
                        dvt[d] += p * doi[d];
                    }
                }
            }
        }
    }
}

void teai__attn_bwd(teai__pool *pool, int B, int T, int H, int KV, int hd, const float *q,
                    const float *k, const float *v, const float *P, const float *o,
                    const float *d_o, float *dq, float *dk, float *dv, float *scratch) {
    attn_job j = {B, T, H, KV, hd, q, k, v, P, o, d_o, NULL, NULL, dq, dk, dv, scratch};
    run(pool, attn_bwd_task, &j);
}

/* ---- SwiGLU ------------------------------------------------------------ */

typedef struct swiglu_job {
    long n;
    const float *g, *u, *da;
    float *a, *dg, *du;
} swiglu_job;

static void swiglu_fwd_task(void *arg, int ith, int nth) {
    const swiglu_job *j = arg;
    long lo, hi;
    teai__split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        float g = j->g[i];
        j->a[i] = g / (1.0f + expf(-g)) * j->u[i];
    }
}

void teai__swiglu_fwd(teai__pool *pool, long n, const float *g, const float *u, float *a) {
    swiglu_job j = {n, g, u, NULL, a, NULL, NULL};
    run(pool, swiglu_fwd_task, &j);
}

/* silu'(g) = sig(g) (1 + g (1 - sig(g))) */
static void swiglu_bwd_task(void *arg, int ith, int nth) {
    const swiglu_job *j = arg;
    long lo, hi;
    teai__split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        float g = j->g[i], u = j->u[i], da = j->da[i];
        float sig = 1.0f / (1.0f + expf(-g));
        j->du[i] = da * g * sig;
        j->dg[i] = da * u * sig * (1.0f + g * (1.0f - sig));
    }
}

void teai__swiglu_bwd(teai__pool *pool, long n, const float *g, const float *u, const float *da,
                      float *dg, float *du) {
    swiglu_job j = {n, g, u, da, NULL, dg, du};
    run(pool, swiglu_bwd_task, &j);
}

/* ---- softmax cross-entropy -------------------------------------------- */

typedef struct xent_job {
    int N, V, grad;
    float *logits;
    const int32_t *targets;
    double *row_loss;
} xent_job;

/* loss_n = logsumexp(l) - l[target], with the row's max taken out first; the
 * gradient row holds exp(l - max) / sum / N, less 1/N at the target. */
static void xent_task(void *arg, int ith, int nth) {
    const xent_job *j = arg;
    long lo, hi;
    teai__split(j->N, ith, nth, &lo, &hi);
    int V = j->V;
    for (long n = lo; n < hi; n++) {
        float *l = j->logits + n * V;
        int32_t tg = j->targets[n];
        float mx = -INFINITY, lt = l[tg];
        for (int c = 0; c < V; c++)
            if (l[c] > mx) mx = l[c];
        double sum = 0;
        if (j->grad) {
            for (int c = 0; c < V; c++) {
                l[c] = expf(l[c] - mx);
                sum += l[c];
            }
            float sc = (float)(1.0 / (sum * j->N));
            for (int c = 0; c < V; c++) l[c] *= sc;
            l[tg] -= 1.0f / (float)j->N;
        } else {
            for (int c = 0; c < V; c++) sum += expf(l[c] - mx);
        }
        j->row_loss[n] = (double)mx + log(sum) - (double)lt;
    }
}

double teai__xent(teai__pool *pool, int N, int V, float *logits, const int32_t *targets, int grad,
                  double *row_loss) {
    xent_job j = {N, V, grad, logits, targets, row_loss};
    run(pool, xent_task, &j);
    double total = 0;
    for (int n = 0; n < N; n++) total += row_loss[n]; /* in row order: thread-independent */
    return total / N;
}
