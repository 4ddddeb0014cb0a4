/* One training step of the llama model: the forward pass over B sequences of
 * T tokens (N = B*T rows), the mean cross-entropy, and, with grads, the
 * backward pass (tmodel_bwd.c). Per layer, on all N rows at once:
 *   xn1 = rmsnorm(x) * attn_norm
 *   q, k, v = xn1 Wq^T, xn1 Wk^T, xn1 Wv^T; rope(q, k)
 *   h = x + attn(q, k, v) Wo^T                 (causal, grouped-query)
 *   xn2 = rmsnorm(h) * ffn_norm
 *   x' = h + (silu(xn2 Wgate^T) * (xn2 Wup^T)) Wdown^T
 * then logits = (rmsnorm(x) * output_norm) Wout^T, Wout = token_embd when
 * tied: the engine's and llama.cpp's llama, on GGUF-ordered tensors.
 * Each projection is one GEMM over all N rows. */
#include "train/gemm.h"
#include "train/tmodel_impl.h"
#include "train/tops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Room for teai__attn_scratch per pool thread; 0, or -1 when out of memory. */
static int attn_scratch_for(teai__tws *ws, teai__pool *pool) {
    int nth = pool ? teai__pool_size(pool) : 1;
    if (ws->attn_scratch && ws->attn_threads >= nth) return 0;
    size_t per = (size_t)teai__attn_scratch(ws->T, ws->head_dim);
    float *p = realloc(ws->attn_scratch, sizeof(float) * per * (size_t)nth);
    if (!p) return -1;
    ws->attn_scratch = p;
    ws->attn_threads = nth;
    return 0;
}

/* Returns NAN (and computes nothing) when B or T exceed the workspace's, a
 * token id is outside the vocabulary, or scratch cannot be allocated. The
 * logits stay readable (teai__tws_logits) after a step without grads; a step
 * with grads leaves d(loss)/d(logits) there instead (computed in place, to
 * spare a second (N, n_vocab) array). */
double teai__tmodel_step(const teai__tshape *s, const float *params, float *grads,
                         const int32_t *tokens, int B, int T, teai__tws *ws, teai__pool *pool) {
    if (B <= 0 || T <= 0 || B > ws->B || T > ws->T) return NAN;
    long N = (long)B * T;
    for (long n = 0; n < N; n++) {
        long b = n / T, t = n % T;
        int32_t id = tokens[b * (T + 1) + t], next = tokens[b * (T + 1) + t + 1];
        if (id < 0 || id >= s->n_vocab || next < 0 || next >= s->n_vocab) return NAN;
        ws->ids[n] = id;
        ws->targets[n] = next;
    }
    if (attn_scratch_for(ws, pool) != 0) return NAN;
    teai__toff o;
    teai__tmodel_offsets(s, &o);
    long D = s->dim, qd = ws->q_dim, kvd = ws->kv_dim, F = s->hidden, V = s->n_vocab;
    int hd = ws->head_dim;
    size_t Nc = (size_t)ws->B * (size_t)ws->T; /* rows of capacity: the layer stride */
    const float *cs = ws->rope_cs;

    teai__embed_fwd(pool, (int)N, (int)D, ws->ids, params + o.tok_embd, ws->x);
    for (int l = 0; l < s->n_layers; l++) {
        const float *pl = params + (size_t)l * o.layer_stride;
        const teai__tlayer_off *L = &o.layer0;
        float *x = ws->x + (size_t)l * Nc * (size_t)D, *xo = x + Nc * (size_t)D;
        float *h = ws->h + (size_t)l * Nc * (size_t)D;
        float *xn1 = ws->xn1 + (size_t)l * Nc * (size_t)D,
              *xn2 = ws->xn2 + (size_t)l * Nc * (size_t)D;
        float *rstd1 = ws->rstd1 + (size_t)l * Nc, *rstd2 = ws->rstd2 + (size_t)l * Nc;
        float *q = ws->q + (size_t)l * Nc * (size_t)qd, *ao = ws->ao + (size_t)l * Nc * (size_t)qd;
        float *k = ws->k + (size_t)l * Nc * (size_t)kvd, *v = ws->v + (size_t)l * Nc * (size_t)kvd;
        float *P = ws->P + (size_t)l * Nc * (size_t)s->n_heads * (size_t)ws->T;
        float *g = ws->g + (size_t)l * Nc * (size_t)F, *u = ws->u + (size_t)l * Nc * (size_t)F;

        teai__rmsnorm_fwd(pool, (int)N, (int)D, x, pl + L->attn_norm, s->norm_eps, xn1, rstd1);
        teai__sgemm(0, 1, N, qd, D, xn1, D, pl + L->wq, D, 0, q, qd, pool);
        teai__sgemm(0, 1, N, kvd, D, xn1, D, pl + L->wk, D, 0, k, kvd, pool);
        teai__sgemm(0, 1, N, kvd, D, xn1, D, pl + L->wv, D, 0, v, kvd, pool);
        teai__rope_fwd(pool, (int)N, T, s->n_heads, hd, cs, q);
        teai__rope_fwd(pool, (int)N, T, s->n_kv_heads, hd, cs, k);
        teai__attn_fwd(pool, B, T, s->n_heads, s->n_kv_heads, hd, q, k, v, P, ao, ws->attn_scratch);
        memcpy(h, x, sizeof(float) * (size_t)N * (size_t)D); /* h = x + ao Wo^T */
        teai__sgemm(0, 1, N, D, qd, ao, qd, pl + L->wo, qd, 1, h, D, pool);

        teai__rmsnorm_fwd(pool, (int)N, (int)D, h, pl + L->ffn_norm, s->norm_eps, xn2, rstd2);
        teai__sgemm(0, 1, N, F, D, xn2, D, pl + L->w_gate, D, 0, g, F, pool);
        teai__sgemm(0, 1, N, F, D, xn2, D, pl + L->w_up, D, 0, u, F, pool);
        teai__swiglu_fwd(pool, N * F, g, u, ws->act);
        memcpy(xo, h, sizeof(float) * (size_t)N * (size_t)D); /* x' = h + act Wdown^T */
        teai__sgemm(0, 1, N, D, F, ws->act, F, pl + L->w_down, F, 1, xo, D, pool);
    }
    const float *xl = ws->x + (size_t)s->n_layers * Nc * (size_t)D;
    teai__rmsnorm_fwd(pool, (int)N, (int)D, xl, params + o.output_norm, s->norm_eps, ws->xnf,
                      ws->rstdf);
    teai__sgemm(0, 1, N, V, D, ws->xnf, D, params + o.output, D, 0, ws->logits, V, pool);
    double loss =
        teai__xent(pool, (int)N, (int)V, ws->logits, ws->targets, grads != NULL, ws->row_loss);
    if (grads) teai__tmodel_backward(s, params, grads, B, T, ws, pool);
    return loss;
}
