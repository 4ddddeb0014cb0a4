/* The transformer forward pass (llama / qwen2) over a KV cache.
 *
 * Per layer, for a batch of B tokens at positions pos..pos+B-1:
 *   xb = rmsnorm(x) * attn_norm
 *   q, k, v = xb @ Wq^T (+bq), xb @ Wk^T (+bk), xb @ Wv^T (+bv); rope(q, k)
 *   x += softmax(q k^T / sqrt(head_dim), causal) v @ Wo^T
 *   xb = rmsnorm(x) * ffn_norm
 *   x += (silu(xb @ Wgate^T) * (xb @ Wup^T)) @ Wdown^T
 * then logits = rmsnorm(x_last) * out_norm @ Wout^T.
 * All scratch is allocated when the context is made: no allocation per token.
 *
 * A context holds n_seq sequences, each with its own KV cache region and
 * position. A batch (teai_context_eval_batch) is rows (sequence, token): the
 * matmuls run all rows at once (the weights read once per batch); rope and
 * attention use each row's own position and its own sequence's cache. Every
 * row's numbers are those of a single-sequence run: the kernels give each
 * row's result independently of the others, except that where the decode
 * matvec sums in another order than the prefill matmul (F16 on AVX-512; Q8_0
 * and Q4_0 on AVX2 alone), the rows alone of their sequence in the batch go
 * through the matvec (teai__matvec_q_multi), as teai_context_eval's one-token
 * steps do. */
#include "attention.h"
#include "cpu_features.h"
#include "model.h"
#include "quant.h"
#include "base/threadpool.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEAI_BATCH     TEAI_EVAL_CHUNK /* tokens per forward chunk during prefill */
#define TEAI_MAX_GROUP 128             /* query heads per KV head that attention handles */
#define TEAI_ATTN_ROWS 8               /* prefill rows of one KV head a thread takes together */

struct teai_context {
    const teai_model *m;
    teai__pool *pool;
    int n_ctx; /* positions per sequence */
    int n_seq, n_threads;
    int *pos; /* (n_seq) tokens in each sequence's cache */
    int q_dim, kv_dim;
    teai_cache_type cache_type;
    teai_type kv_type;          /* the cache's element type (F32, F16, Q8_0) */
    size_t kv_row;              /* bytes of one cached position: kv_dim elements of kv_type */
    size_t kv_head;             /* bytes of one KV head's part of it (head_dim elements) */
    uint8_t *k_cache, *v_cache; /* (n_layers, n_seq, n_ctx, kv_row bytes) */
    teai__attn_kernels attn;    /* attention kernels for kv_type, picked once */
    uint8_t *qq;                /* (B, n_heads, qq_stride) queries in kv_type's activation form */
    size_t qq_stride;
    float *attn_scratch; /* (n_threads, attn_per_thread) scores, block partial and states */
    size_t attn_per_thread;
    float *attn_part;       /* (n_threads, n_blocks, group * (head_dim + 2)) block partials
                               when rows x KV heads are fewer than threads */
    int n_blocks;           /* TEAI__ATTN_BLOCK blocks in n_ctx */
    int rows;               /* rows a forward pass takes: TEAI_BATCH (+ n_seq when n_seq > 1) */
    int32_t *row_tok;       /* (rows) each row's token */
    int *row_seq, *row_pos; /* (rows) each row's sequence and position */
    uint8_t *row_single;    /* (rows) 1: the row is its sequence's only row in the batch */
    uint8_t *ones;          /* (rows) all 1 (the output rows: one per sequence) */
    int *seq_rows;          /* (n_seq) scratch: rows per sequence in a batch */
    /* activations for up to `rows` tokens */
    float *x;                /* (B, dim) residual stream */
    float *xb;               /* (B, max(dim, q_dim)) normed input / attention output */
    float *q;                /* (B, q_dim) */
    float *k, *v;            /* (B, kv_dim) */
    float *hb, *hb2;         /* (B, ffn_dim) */
    uint8_t *xq;             /* (B, 4 * max width + 64) activations in a weight type's vec form */
    size_t xq_cap;           /* bytes of xq */
    float *rope_cs;          /* (B, head_dim) cos/sin pairs per position */
    teai_decode_shape shape; /* what a decode step moves (teai_context_step_bytes) */
    uint64_t t_compute_ns;   /* when the last eval ran its first kernel */
};

teai_context_params teai_context_default_params(void) {
    teai_context_params p = {0, 0, 0, TEAI_CACHE_F16};
    return p;
}

static void *xalloc(size_t n) {
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 64) == 0 ? p : NULL;
}

void teai_context_free(teai_context *c) {
    if (!c) return;
    teai__pool_free(c->pool);
    free(c->pos);
    free(c->row_tok);
    free(c->row_seq);
    free(c->row_pos);
    free(c->row_single);
    free(c->ones);
    free(c->seq_rows);
    free(c->k_cache);
    free(c->v_cache);
    free(c->x);
    free(c->xb);
    free(c->q);
    free(c->k);
    free(c->v);
    free(c->hb);
    free(c->hb2);
    free(c->qq);
    free(c->attn_scratch);
    free(c->attn_part);
    free(c->rope_cs);
    free(c->xq);
    free(c);
}

int teai_context_new(const teai_model *m, const teai_context_params *params, teai_context **out,
                     teai_error *err) {
    *out = NULL;
    const teai_hparams *hp = &m->hp;
    if (!m->layers) return teai__fail(err, TEAI_EINVAL, "model has no weights (vocabulary only)");
    teai_context_params p = params ? *params : teai_context_default_params();
    int n_ctx = p.n_ctx > 0 ? p.n_ctx : (hp->ctx_len < 4096 ? hp->ctx_len : 4096);
    int n_seq = p.n_seq > 0 ? p.n_seq : 1;
    if (n_ctx > (1 << 22))
        return teai__fail(err, TEAI_EINVAL, "context of %d tokens is too large", n_ctx);
    if (n_seq > 4096 || n_ctx / n_seq < 1)
        return teai__fail(err, TEAI_EINVAL, "a context of %d tokens cannot hold %d sequences",
                          n_ctx, n_seq);
    n_ctx /= n_seq;
    if (hp->n_heads / hp->n_kv_heads > TEAI_MAX_GROUP)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%d query heads per KV head (at most %d)",
                          hp->n_heads / hp->n_kv_heads, TEAI_MAX_GROUP);
    teai_cache_type ct =
        p.cache_type == TEAI_CACHE_DEFAULT ? TEAI_CACHE_F16 : (teai_cache_type)p.cache_type;
    if (ct != TEAI_CACHE_F16 && ct != TEAI_CACHE_F32 && ct != TEAI_CACHE_Q8_0)
        return teai__fail(err, TEAI_EINVAL, "unknown KV cache type %d", p.cache_type);
    teai_type kvt = (teai_type)teai_cache_type_ggml(ct);
    if (kvt == TEAI_TYPE_Q8_0 && hp->head_dim % 32 != 0)
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "a q8_0 KV cache needs a head size that is a multiple of 32 (it is %d)",
                          hp->head_dim);
    teai_context *c = calloc(1, sizeof *c);
    if (!c) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    c->cache_type = ct;
    c->kv_type = kvt;
    c->m = m;
    c->n_ctx = n_ctx;
    c->n_seq = n_seq;
    c->rows = TEAI_BATCH + (n_seq > 1 ? n_seq : 0);
    c->q_dim = hp->n_heads * hp->head_dim;
    c->kv_dim = hp->n_kv_heads * hp->head_dim;
    c->pool = teai__pool_new(p.n_threads);
    c->n_threads = teai__pool_size(c->pool);
    c->kv_head = teai_type_row_size(kvt, hp->head_dim);
    c->kv_row = c->kv_head * (size_t)hp->n_kv_heads;
    size_t B = (size_t)c->rows,
           cache = (size_t)hp->n_layers * (size_t)n_seq * (size_t)n_ctx * c->kv_row;
    c->pos = calloc((size_t)n_seq, sizeof *c->pos);
    c->seq_rows = calloc((size_t)n_seq, sizeof *c->seq_rows);
    c->row_tok = calloc(B, sizeof *c->row_tok);
    c->row_seq = calloc(B, sizeof *c->row_seq);
    c->row_pos = calloc(B, sizeof *c->row_pos);
    c->row_single = calloc(B, 1);
    c->ones = malloc(B);
    if (c->ones) memset(c->ones, 1, B);
    size_t wide = (size_t)(hp->dim > c->q_dim ? hp->dim : c->q_dim);
    c->k_cache = xalloc(cache);
    c->v_cache = xalloc(cache);
    c->x = xalloc(sizeof(float) * B * (size_t)hp->dim);
    c->xb = xalloc(sizeof(float) * B * wide);
    c->q = xalloc(sizeof(float) * B * wide); /* also holds the Wo output (B, dim) */
    c->k = xalloc(sizeof(float) * B * (size_t)c->kv_dim);
    c->v = xalloc(sizeof(float) * B * (size_t)c->kv_dim);
    c->hb = xalloc(sizeof(float) * B * (size_t)hp->ffn_dim);
    c->hb2 = xalloc(sizeof(float) * B * (size_t)hp->ffn_dim);
    size_t group = (size_t)(hp->n_heads / hp->n_kv_heads), hd = (size_t)hp->head_dim;
    c->qq_stride = (teai__vec_size(kvt, hp->head_dim) + 63) / 64 * 64;
    c->qq = xalloc(B * (size_t)hp->n_heads * c->qq_stride);
    /* per thread: scores (group, block), one block partial, TEAI_ATTN_ROWS states */
    c->attn_per_thread = group * TEAI__ATTN_BLOCK + (TEAI_ATTN_ROWS + 1) * group * (hd + 2);
    c->attn_scratch = xalloc(sizeof(float) * (size_t)c->n_threads * c->attn_per_thread);
    c->n_blocks = (n_ctx + TEAI__ATTN_BLOCK - 1) / TEAI__ATTN_BLOCK;
    c->attn_part =
        xalloc(sizeof(float) * (size_t)c->n_threads * (size_t)c->n_blocks * group * (hd + 2));
    c->rope_cs = xalloc(sizeof(float) * B * (size_t)hp->head_dim);
    /* the widest activation form is f32: 4 bytes per element */
    size_t widest = wide > (size_t)hp->ffn_dim ? wide : (size_t)hp->ffn_dim;
    c->xq_cap = B * (sizeof(float) * widest + 64);
    c->xq = xalloc(c->xq_cap);
    teai__attn_kernels_best(kvt, kvt, &c->attn);
    teai_decode_shape_from_model(m, &c->shape);
    if (!c->pool || !c->pos || !c->seq_rows || !c->row_tok || !c->row_seq || !c->row_pos ||
        !c->row_single || !c->ones || !c->k_cache || !c->v_cache || !c->x || !c->xb || !c->q ||
        !c->k || !c->v || !c->hb || !c->hb2 || !c->qq || !c->attn_scratch || !c->attn_part ||
        !c->rope_cs || !c->xq) {
        teai_context_free(c);
        return teai__fail(err, TEAI_ENOMEM, "out of memory for a context of %d tokens", n_ctx);
    }
    *out = c;
    return TEAI_OK;
}

int teai_context_pos(const teai_context *c) {
    return c->pos[0];
}
teai_cache_type teai_context_cache_type(const teai_context *c) {
    return c->cache_type;
}
int teai_context_n_ctx(const teai_context *c) {
    return c->n_ctx;
}
void teai_context_reset(teai_context *c) {
    memset(c->pos, 0, sizeof(int) * (size_t)c->n_seq);
}
int teai_context_n_seq(const teai_context *c) {
    return c->n_seq;
}
int teai_context_batch_max(const teai_context *c) {
    return c->rows;
}
int teai_context_seq_pos(const teai_context *c, int seq) {
    return seq >= 0 && seq < c->n_seq ? c->pos[seq] : -1;
}
void teai_context_seq_reset(teai_context *c, int seq) {
    if (seq >= 0 && seq < c->n_seq) c->pos[seq] = 0;
}

/* ---- parallel pieces ---------------------------------------------------- */

/* Activations in the form a weight type's dot product takes (Q8_0, Q8_K,
 * f16 or f32: teai__vec_type), as llama.cpp feeds them. The quantized copy is
 * kept until the input changes, so q/k/v (and gate/up) share one. */
typedef struct acts {
    const float *x; /* source (B, cols); NULL = nothing cached */
    int cols, B;
    const uint8_t *single; /* (B) rows that take the decode matvec's order; NULL = none
                              (see matvec_is_matmul) */
    teai_type vt;
    size_t stride; /* bytes per token in c->xq */
} acts;

static void prepare_acts(teai_context *c, acts *a, const float *x, int cols, teai_type wtype,
                         int B) {
    teai_type vt = teai__vec_type(wtype);
    if (a->x == x && a->cols == cols && a->B == B && a->vt == vt) return;
    a->x = x, a->cols = cols, a->B = B, a->vt = vt;
    a->stride = (teai__vec_size(wtype, cols) + 63) / 64 * 64;
    for (int t = 0; t < B; t++)
        teai__quantize_vec(wtype, x + (size_t)t * (size_t)cols, c->xq + (size_t)t * a->stride,
                           cols);
}

/* Y_i (B, rows_i) = X (B, cols) @ W_i^T for up to 3 matrices that take the
 * same activations (q/k/v, gate/up): their rows are split across threads as
 * one range, so one parallel job (one barrier) does them all. */
typedef struct matmul_job {
    int n;
    const teai__weight *w[3];
    float *y[3];
    const acts *a;
    const uint8_t *xq;
} matmul_job;

/* 1 when teai__matvec_q gives teai__matmul_q's row results bit for bit
 * (quant.h): every type but those whose prefill kernel sums in another order
 * than the decode matvec: F16 under AVX-512, Q8_0 and Q4_0 under AVX2 alone. */
static int matvec_is_matmul(teai_type t) {
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) return t != TEAI_TYPE_F16;
    if (teai__cpu_has_avx2()) return t != TEAI_TYPE_Q8_0 && t != TEAI_TYPE_Q4_0;
#endif
    (void)t;
    return 1;
}

static void matmul_rows(const matmul_job *j, const teai__weight *w, float *y, long lo, long hi) {
    const acts *a = j->a;
    if (lo >= hi) return;
    if (a->B == 1) {
        teai__matvec_q(w->type, w->data, w->row_bytes, w->cols, lo, hi, j->xq, y);
    } else if (!a->single || matvec_is_matmul(w->type)) {
        teai__matmul_q(w->type, w->data, w->row_bytes, w->cols, lo, hi, j->xq, a->stride, a->B, y,
                       (size_t)w->rows);
    } else { /* runs of single rows in the matvec's order, runs of the others in the matmul's */
        for (int t = 0; t < a->B;) {
            const uint8_t *xq = j->xq + (size_t)t * a->stride;
            float *yt = y + (size_t)t * (size_t)w->rows;
            int t0 = t, single = a->single[t];
            while (t < a->B && a->single[t] == single) t++;
            if (single)
                teai__matvec_q_multi(w->type, w->data, w->row_bytes, w->cols, lo, hi, xq, a->stride,
                                     t - t0, yt, (size_t)w->rows);
            else
                teai__matmul_q(w->type, w->data, w->row_bytes, w->cols, lo, hi, xq, a->stride,
                               t - t0, yt, (size_t)w->rows);
        }
    }
}

static void matmul_task(void *arg, int ith, int nth) {
    const matmul_job *j = arg;
    long total = 0;
    for (int i = 0; i < j->n; i++) total += (long)j->w[i]->rows;
    long lo, hi, base = 0;
    teai__split(total, ith, nth, &lo, &hi);
    for (int i = 0; i < j->n && lo < hi; i++) {
        long rows = (long)j->w[i]->rows;
        long a = lo - base, b = hi - base;
        if (a < rows && b > 0) matmul_rows(j, j->w[i], j->y[i], a < 0 ? 0 : a, b > rows ? rows : b);
        base += rows;
    }
}

/* y_i = x @ W_i^T for B tokens (n = 1..3 matrices); a caches the activation
 * form of x. Runs of matrices that take one activation form share a job. */
static void matmul_n(teai_context *c, acts *a, int n, const teai__weight *const *w, float *const *y,
                     const float *x, int B) {
    int i = 0;
    while (i < n) {
        matmul_job j = {0, {NULL}, {NULL}, a, c->xq};
        teai_type vt = teai__vec_type(w[i]->type);
        do { /* all take x, so all have its width */
            j.w[j.n] = w[i], j.y[j.n] = y[i];
            j.n++, i++;
        } while (i < n && teai__vec_type(w[i]->type) == vt);
        prepare_acts(c, a, x, (int)j.w[0]->cols, j.w[0]->type, B);
        teai__pool_run(c->pool, matmul_task, &j);
    }
}

static void matmul(teai_context *c, acts *a, const teai__weight *w, const float *x, float *y,
                   int B) {
    matmul_n(c, a, 1, &w, &y, x, B);
}

typedef struct attn_job {
    teai_context *c;
    int layer, B;
    int split; /* 1: items are (row, KV head, block) partials, merged by attn_merge_task */
} attn_job;

/* The cache of sequence seq in layer l, at KV head kvh's part of position 0. */
static const uint8_t *cache_at(const teai_context *c, const uint8_t *cache, int l, int seq,
                               int kvh) {
    size_t seq_bytes = (size_t)c->n_ctx * c->kv_row;
    return cache + ((size_t)l * (size_t)c->n_seq + (size_t)seq) * seq_bytes +
           (size_t)kvh * c->kv_head;
}

/* Attention, flash-style (attention.h): each row's query group of one KV
 * head runs over its positions in fixed blocks merged in block order, so the
 * result is the same whoever computes it. Unsplit (rows x KV heads >= threads):
 * an item is up to TEAI_ATTN_ROWS consecutive rows of one KV head, block-outer
 * and rows-inner, so a K/V block stays in cache while the rows read it. Split
 * (decode with few heads): an item is one (row, KV head, block) partial,
 * merged afterwards by attn_merge_task in block order. */
static void attn_task(void *arg, int ith, int nth) {
    attn_job *j = arg;
    teai_context *c = j->c;
    const teai_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, group = hp->n_heads / hp->n_kv_heads, nkv = hp->n_kv_heads;
    float scale = 1.0f / sqrtf((float)hd);
    size_t st = (size_t)group * (size_t)(hd + 2); /* floats of one (m, l, acc) */
    float *scores = c->attn_scratch + (size_t)ith * c->attn_per_thread;
    float *part = scores + (size_t)group * TEAI__ATTN_BLOCK, *states = part + st;
    const teai__attn_kernels *k = &c->attn;
    if (j->split) {
        int units = j->B * nkv, items = units * c->n_blocks;
        for (int it = ith; it < items; it += nth) {
            int u = it / c->n_blocks, b = it % c->n_blocks;
            int t = u / nkv, kvh = u % nkv;
            int n = c->row_pos[t] + 1, p0 = b * TEAI__ATTN_BLOCK;
            if (p0 >= n) continue;
            int np = n - p0 < TEAI__ATTN_BLOCK ? n - p0 : TEAI__ATTN_BLOCK;
            size_t off = (size_t)p0 * c->kv_row;
            const uint8_t *K = cache_at(c, c->k_cache, j->layer, c->row_seq[t], kvh) + off;
            const uint8_t *V = cache_at(c, c->v_cache, j->layer, c->row_seq[t], kvh) + off;
            const uint8_t *qq =
                c->qq +
                ((size_t)t * (size_t)hp->n_heads + (size_t)kvh * (size_t)group) * c->qq_stride;
            float *pm = c->attn_part + ((size_t)u * (size_t)c->n_blocks + (size_t)b) * st;
            teai__attn_block(k, hd, group, qq, c->qq_stride, K, V, c->kv_row, np, scale, scores, pm,
                             pm + group, pm + 2 * group);
        }
        return;
    }
    int chunks = (j->B + TEAI_ATTN_ROWS - 1) / TEAI_ATTN_ROWS, items = chunks * nkv;
    for (int it = ith; it < items; it += nth) {
        int kvh = it / chunks, t0 = (it % chunks) * TEAI_ATTN_ROWS;
        int t1 = t0 + TEAI_ATTN_ROWS < j->B ? t0 + TEAI_ATTN_ROWS : j->B;
        int nmax = 0;
        for (int t = t0; t < t1; t++)
            if (c->row_pos[t] + 1 > nmax) nmax = c->row_pos[t] + 1;
        for (int p0 = 0; p0 < nmax; p0 += TEAI__ATTN_BLOCK)
            for (int t = t0; t < t1; t++) {
                int n = c->row_pos[t] + 1;
                if (p0 >= n) continue;
                int np = n - p0 < TEAI__ATTN_BLOCK ? n - p0 : TEAI__ATTN_BLOCK;
                size_t off = (size_t)p0 * c->kv_row;
                const uint8_t *K = cache_at(c, c->k_cache, j->layer, c->row_seq[t], kvh) + off;
                const uint8_t *V = cache_at(c, c->v_cache, j->layer, c->row_seq[t], kvh) + off;
                const uint8_t *qq =
                    c->qq +
                    ((size_t)t * (size_t)hp->n_heads + (size_t)kvh * (size_t)group) * c->qq_stride;
                float *S = states + (size_t)(t - t0) * st;
                if (p0 == 0) {
                    teai__attn_block(k, hd, group, qq, c->qq_stride, K, V, c->kv_row, np, scale,
                                     scores, S, S + group, S + 2 * group);
                } else {
                    teai__attn_block(k, hd, group, qq, c->qq_stride, K, V, c->kv_row, np, scale,
                                     scores, part, part + group, part + 2 * group);
                    teai__attn_merge(hd, group, S, S + group, S + 2 * group, part, part + group,
                                     part + 2 * group);
                }
            }
        for (int t = t0; t < t1; t++) {
            const float *S = states + (size_t)(t - t0) * st;
            float *o = c->xb + (size_t)t * (size_t)c->q_dim + (size_t)kvh * (size_t)group * hd;
            for (int g = 0; g < group; g++) {
                float inv = 1.0f / S[group + g];
                const float *A = S + 2 * group + (size_t)g * hd;
                for (int i = 0; i < hd; i++) o[(size_t)g * hd + i] = A[i] * inv;
            }
        }
    }
}

/* The split form's second step: each (row, KV head) merges its blocks in order. */
static void attn_merge_task(void *arg, int ith, int nth) {
    attn_job *j = arg;
    teai_context *c = j->c;
    const teai_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, group = hp->n_heads / hp->n_kv_heads, nkv = hp->n_kv_heads;
    size_t st = (size_t)group * (size_t)(hd + 2);
    for (int u = ith; u < j->B * nkv; u += nth) {
        int t = u / nkv, kvh = u % nkv;
        int nb = (c->row_pos[t] + TEAI__ATTN_BLOCK) / TEAI__ATTN_BLOCK;
        float *S = c->attn_part + (size_t)u * (size_t)c->n_blocks * st; /* block 0: the state */
        for (int b = 1; b < nb; b++) {
            const float *pm = S + (size_t)b * st;
            teai__attn_merge(hd, group, S, S + group, S + 2 * group, pm, pm + group,
                             pm + 2 * group);
        }
        float *o = c->xb + (size_t)t * (size_t)c->q_dim + (size_t)kvh * (size_t)group * hd;
        for (int g = 0; g < group; g++) {
            float inv = 1.0f / S[group + g];
            const float *A = S + 2 * group + (size_t)g * hd;
            for (int i = 0; i < hd; i++) o[(size_t)g * hd + i] = A[i] * inv;
        }
    }
}

/* ---- element-wise pieces ------------------------------------------------ */

static void rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float inv = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++) out[i] = x[i] * inv * w[i];
}

/* Rotates each head of vec (n_head heads of hd) by the angles in cs. */
static void rope(float *vec, int n_head, int hd, const float *cs, teai_rope_style style) {
    for (int h = 0; h < n_head; h++) {
        float *v = vec + (size_t)h * (size_t)hd;
        for (int i = 0; i < hd / 2; i++) {
            float co = cs[2 * i], si = cs[2 * i + 1];
            int a = style == TEAI_ROPE_NORM ? 2 * i : i;
            int b = style == TEAI_ROPE_NORM ? 2 * i + 1 : i + hd / 2;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * co - x1 * si;
            v[b] = x0 * si + x1 * co;
        }
    }
}

static void add_bias(float *y, const float *b, int n, int B) {
    if (!b) return;
    for (int t = 0; t < B; t++)
        for (int i = 0; i < n; i++) y[(size_t)t * (size_t)n + (size_t)i] += b[i];
}

/* Runs B rows (token t of sequence c->row_seq[t] at position c->row_pos[t])
 * through all layers, single: NULL or c->row_single (acts.single); leaves
 * the final residual stream in c->x. Positions are advanced by the caller. */
static void forward_rows(teai_context *c, const int32_t *tokens, int B, const uint8_t *single) {
    const teai_model *m = c->m;
    const teai_hparams *hp = &m->hp;
    int dim = hp->dim, hd = hp->head_dim, ffn = hp->ffn_dim;
    for (int t = 0; t < B; t++) {
        const uint8_t *row =
            (const uint8_t *)m->tok_embd.data + (size_t)tokens[t] * m->tok_embd.row_bytes;
        teai__dequantize_row(m->tok_embd.type, row, c->x + (size_t)t * (size_t)dim, dim);
        float *cs = c->rope_cs + (size_t)t * (size_t)hd;
        float p = (float)c->row_pos[t];
        for (int i = 0; i < hd / 2; i++) {
            float theta = p * m->rope_inv_freq[i];
            cs[2 * i] = cosf(theta);
            cs[2 * i + 1] = sinf(theta);
        }
    }
    acts a = {0};
    a.single = single;
    size_t seq_bytes = (size_t)c->n_ctx * c->kv_row;
    for (int l = 0; l < hp->n_layers; l++) {
        const teai__layer *L = &m->layers[l];
        for (int t = 0; t < B; t++)
            rmsnorm(c->xb + (size_t)t * (size_t)dim, c->x + (size_t)t * (size_t)dim, L->attn_norm,
                    dim, hp->norm_eps);
        a.x = NULL; /* xb changed */
        const teai__weight *qkv[3] = {&L->wq, &L->wk, &L->wv};
        float *qkv_out[3] = {c->q, c->k, c->v};
        matmul_n(c, &a, 3, qkv, qkv_out, c->xb, B);
        add_bias(c->q, L->bq, c->q_dim, B);
        add_bias(c->k, L->bk, c->kv_dim, B);
        add_bias(c->v, L->bv, c->kv_dim, B);
        size_t layer_off = (size_t)l * (size_t)c->n_seq * seq_bytes;
        for (int t = 0; t < B; t++) {
            const float *cs = c->rope_cs + (size_t)t * (size_t)hd;
            float *qt = c->q + (size_t)t * (size_t)c->q_dim;
            rope(qt, hp->n_heads, hd, cs, hp->rope_style);
            rope(c->k + (size_t)t * (size_t)c->kv_dim, hp->n_kv_heads, hd, cs, hp->rope_style);
            /* the cache takes K and V in its type (f16: F16C's rounding; q8_0:
             * ggml's Q8_0 blocks), the queries the K type's activation form */
            size_t at =
                layer_off + (size_t)c->row_seq[t] * seq_bytes + (size_t)c->row_pos[t] * c->kv_row;
            teai__quantize_vec(c->kv_type, c->k + (size_t)t * (size_t)c->kv_dim, c->k_cache + at,
                               c->kv_dim);
            teai__quantize_vec(c->kv_type, c->v + (size_t)t * (size_t)c->kv_dim, c->v_cache + at,
                               c->kv_dim);
            for (int h = 0; h < hp->n_heads; h++)
                teai__quantize_vec(
                    c->kv_type, qt + (size_t)h * (size_t)hd,
                    c->qq + ((size_t)t * (size_t)hp->n_heads + (size_t)h) * c->qq_stride, hd);
        }
        attn_job aj = {c, l, B, B * hp->n_kv_heads < c->n_threads};
        teai__pool_run(c->pool, attn_task, &aj);
        if (aj.split) teai__pool_run(c->pool, attn_merge_task, &aj);
        /* attention output (in xb, B x q_dim) through Wo, into q as scratch */
        a.x = NULL; /* xb now holds the attention output */
        matmul(c, &a, &L->wo, c->xb, c->q, B);
        for (size_t i = 0; i < (size_t)B * (size_t)dim; i++) c->x[i] += c->q[i];

        for (int t = 0; t < B; t++)
            rmsnorm(c->xb + (size_t)t * (size_t)dim, c->x + (size_t)t * (size_t)dim, L->ffn_norm,
                    dim, hp->norm_eps);
        a.x = NULL;
        const teai__weight *gu[2] = {&L->w_gate, &L->w_up};
        float *gu_out[2] = {c->hb, c->hb2};
        matmul_n(c, &a, 2, gu, gu_out, c->xb, B);
        for (size_t i = 0; i < (size_t)B * (size_t)ffn; i++) {
            float g = c->hb[i];
            c->hb[i] = g / (1.0f + expf(-g)) * c->hb2[i];
        }
        matmul(c, &a, &L->w_down, c->hb, c->xb, B);
        for (size_t i = 0; i < (size_t)B * (size_t)dim; i++) c->x[i] += c->xb[i];
    }
}

/* Runs tokens through the model; logits of the last token (all == 0) or of
 * every token (all == 1, (n, n_vocab) rows) when logits is non-NULL. */
static int eval_tokens(teai_context *c, const int32_t *tokens, int n, float *logits, int all,
                       teai_error *err) {
    const teai_hparams *hp = &c->m->hp;
    if (n <= 0) return teai__fail(err, TEAI_EINVAL, "no tokens to evaluate");
    if (n > c->n_ctx - c->pos[0])
        return teai__fail(err, TEAI_ERANGE,
                          "%d tokens do not fit in the context (%d of %d positions used)", n,
                          c->pos[0], c->n_ctx);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return teai__fail(err, TEAI_EINVAL, "token id %d out of range (vocabulary of %d)",
                              tokens[i], hp->n_vocab);
    int last_B = 0;
    c->t_compute_ns = teai__now_ns(); /* the first kernel, the embedding lookup, follows */
    for (int done = 0; done < n; done += last_B) {
        last_B = n - done < TEAI_BATCH ? n - done : TEAI_BATCH;
        for (int t = 0; t < last_B; t++) c->row_seq[t] = 0, c->row_pos[t] = c->pos[0] + t;
        forward_rows(c, tokens + done, last_B, NULL);
        c->pos[0] += last_B;
        if (logits && all) {
            /* final norm and output projection of every row: (B, dim) -> (B, n_vocab) */
            for (int t = 0; t < last_B; t++)
                rmsnorm(c->xb + (size_t)t * (size_t)hp->dim, c->x + (size_t)t * (size_t)hp->dim,
                        c->m->out_norm, hp->dim, hp->norm_eps);
            acts a = {0};
            matmul(c, &a, &c->m->output, c->xb, logits + (size_t)done * (size_t)hp->n_vocab,
                   last_B);
        }
    }
    if (logits && !all) {
        float *xl = c->x + (size_t)(last_B - 1) * (size_t)hp->dim;
        rmsnorm(c->xb, xl, c->m->out_norm, hp->dim, hp->norm_eps);
        acts a = {0};
        matmul(c, &a, &c->m->output, c->xb, logits, 1);
    }
    return TEAI_OK;
}

int teai_context_eval(teai_context *c, const int32_t *tokens, int n, float *logits,
                      teai_error *err) {
    return eval_tokens(c, tokens, n, logits, 0, err);
}

int teai_context_eval_all(teai_context *c, const int32_t *tokens, int n, float *logits,
                          teai_error *err) {
    return eval_tokens(c, tokens, n, logits, 1, err);
}

int teai_context_eval_batch(teai_context *c, const teai_batch_row *rows, int n, float *logits,
                            teai_error *err) {
    const teai_hparams *hp = &c->m->hp;
    if (n <= 0) return teai__fail(err, TEAI_EINVAL, "no tokens to evaluate");
    if (n > c->rows)
        return teai__fail(err, TEAI_EINVAL, "a batch of %d rows (at most %d)", n, c->rows);
    memset(c->seq_rows, 0, sizeof(int) * (size_t)c->n_seq);
    for (int i = 0; i < n; i++) {
        if (rows[i].seq < 0 || rows[i].seq >= c->n_seq)
            return teai__fail(err, TEAI_EINVAL, "batch row %d: sequence %d (the context has %d)", i,
                              rows[i].seq, c->n_seq);
        if (rows[i].token < 0 || rows[i].token >= hp->n_vocab)
            return teai__fail(err, TEAI_EINVAL,
                              "batch row %d: token id %d out of range "
                              "(vocabulary of %d)",
                              i, rows[i].token, hp->n_vocab);
        c->seq_rows[rows[i].seq]++;
    }
    for (int q = 0; q < c->n_seq; q++)
        if (c->seq_rows[q] > c->n_ctx - c->pos[q])
            return teai__fail(err, TEAI_ERANGE,
                              "sequence %d: %d tokens do not fit in its context (%d of %d "
                              "positions used)",
                              q, c->seq_rows[q], c->pos[q], c->n_ctx);
    c->t_compute_ns = teai__now_ns();
    int32_t *tok = c->row_tok; /* positions in row order */
    for (int i = 0; i < n; i++) {
        int q = rows[i].seq;
        tok[i] = rows[i].token;
        c->row_seq[i] = q;
        c->row_single[i] = c->seq_rows[q] == 1;
        c->row_pos[i] = c->pos[q]++;
    }
    forward_rows(c, tok, n, c->row_single);
    if (!logits) return TEAI_OK;
    /* the rows that want logits, gathered: (n_out, dim) -> (n_out, n_vocab), each
     * alone of its kind, so in the order of teai_context_eval's last token */
    int n_out = 0;
    for (int i = 0; i < n; i++) {
        if (!rows[i].logits) continue;
        rmsnorm(c->xb + (size_t)n_out * (size_t)hp->dim, c->x + (size_t)i * (size_t)hp->dim,
                c->m->out_norm, hp->dim, hp->norm_eps);
        n_out++;
    }
    if (n_out) {
        acts a = {0};
        a.single = c->ones;
        matmul(c, &a, &c->m->output, c->xb, logits, n_out);
    }
    return TEAI_OK;
}

uint64_t teai_context_step_bytes(const teai_context *c, int pos) {
    uint32_t t = teai_cache_type_ggml(c->cache_type);
    return teai_decode_bytes_per_step(&c->shape, t, t, pos);
}

uint64_t teai_context_compute_start_ns(const teai_context *c) {
    return c->t_compute_ns;
}
