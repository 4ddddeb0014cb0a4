/* The backward pass of the trained llama model (the forward is in
 * tmodel_fwd.c), layer by layer from the top, on all N = B*T rows at once.
 * dx carries d(loss)/d(residual stream). For a linear layer y = x W^T with W
 * (out, in): dx = dy W and dW += dy^T x, each one GEMM. SwiGLU's output is
 * recomputed from the saved gate and up projections rather than stored per
 * layer. Gradients are added into grads. */
#include "train/gemm.h"
#include "train/tmodel_impl.h"
#include "train/tops.h"

#include <string.h>

void teai__tmodel_backward(const teai__tshape *s, const float *params, float *grads, int B, int T,
                           teai__tws *ws, teai__pool *pool) {
    teai__toff o;
    teai__tmodel_offsets(s, &o);
    long N = (long)B * T, D = s->dim, qd = ws->q_dim, kvd = ws->kv_dim, F = s->hidden;
    long V = s->n_vocab;
    int hd = ws->head_dim;
    size_t Nc = (size_t)ws->B * (size_t)ws->T;
    const float *cs = ws->rope_cs;
    float *dx = ws->dx, *dxn = ws->dxn;

    /* output layer and final norm; ws->logits holds d(loss)/d(logits) */
    teai__sgemm(0, 0, N, D, V, ws->logits, V, params + o.output, D, 0, dxn, D, pool);
    teai__sgemm(1, 0, V, D, N, ws->logits, V, ws->xnf, D, 1, grads + o.output, D, pool);
    const float *xl = ws->x + (size_t)s->n_layers * Nc * (size_t)D;
    memset(dx, 0, sizeof(float) * (size_t)N * (size_t)D);
    teai__rmsnorm_bwd(pool, (int)N, (int)D, xl, params + o.output_norm, ws->rstdf, dxn, dx,
                      grads + o.output_norm);

    for (int l = s->n_layers - 1; l >= 0; l--) {
        const float *pl = params + (size_t)l * o.layer_stride;
        float *gl = grads + (size_t)l * o.layer_stride;
        const teai__tlayer_off *L = &o.layer0;
        const float *x = ws->x + (size_t)l * Nc * (size_t)D;
        const float *h = ws->h + (size_t)l * Nc * (size_t)D;
        const float *xn1 = ws->xn1 + (size_t)l * Nc * (size_t)D;
        const float *xn2 = ws->xn2 + (size_t)l * Nc * (size_t)D;
        const float *rstd1 = ws->rstd1 + (size_t)l * Nc, *rstd2 = ws->rstd2 + (size_t)l * Nc;
        const float *q = ws->q + (size_t)l * Nc * (size_t)qd;
        const float *ao = ws->ao + (size_t)l * Nc * (size_t)qd;
        const float *k = ws->k + (size_t)l * Nc * (size_t)kvd;
        const float *v = ws->v + (size_t)l * Nc * (size_t)kvd;
        const float *P = ws->P + (size_t)l * Nc * (size_t)s->n_heads * (size_t)ws->T;
        const float *g = ws->g + (size_t)l * Nc * (size_t)F,
                    *u = ws->u + (size_t)l * Nc * (size_t)F;

        /* feed-forward block: x' = h + act Wdown^T, act = silu(xn2 Wg^T) * (xn2 Wu^T) */
        teai__swiglu_fwd(pool, N * F, g, u, ws->act);
        teai__sgemm(1, 0, D, F, N, dx, D, ws->act, F, 1, gl + L->w_down, F, pool);
        teai__sgemm(0, 0, N, F, D, dx, D, pl + L->w_down, F, 0, ws->dact, F, pool);
        teai__swiglu_bwd(pool, N * F, g, u, ws->dact, ws->dg, ws->du);
        teai__sgemm(0, 0, N, D, F, ws->dg, F, pl + L->w_gate, D, 0, dxn, D, pool);
        teai__sgemm(0, 0, N, D, F, ws->du, F, pl + L->w_up, D, 1, dxn, D, pool);
        teai__sgemm(1, 0, F, D, N, ws->dg, F, xn2, D, 1, gl + L->w_gate, D, pool);
        teai__sgemm(1, 0, F, D, N, ws->du, F, xn2, D, 1, gl + L->w_up, D, pool);
        /* dx becomes d(loss)/dh: the residual path plus the norm's */
        teai__rmsnorm_bwd(pool, (int)N, (int)D, h, pl + L->ffn_norm, rstd2, dxn, dx,
                          gl + L->ffn_norm);

        /* attention block: h = x + ao Wo^T */
        teai__sgemm(1, 0, D, qd, N, dx, D, ao, qd, 1, gl + L->wo, qd, pool);
        teai__sgemm(0, 0, N, qd, D, dx, D, pl + L->wo, qd, 0, ws->dao, qd, pool);
        teai__attn_bwd(pool, B, T, s->n_heads, s->n_kv_heads, hd, q, k, v, P, ao, ws->dao, ws->dq,
                       ws->dk, ws->dv, ws->attn_scratch);
        teai__rope_bwd(pool, (int)N, T, s->n_heads, hd, cs, ws->dq);
        teai__rope_bwd(pool, (int)N, T, s->n_kv_heads, hd, cs, ws->dk);
        teai__sgemm(0, 0, N, D, qd, ws->dq, qd, pl + L->wq, D, 0, dxn, D, pool);
        teai__sgemm(0, 0, N, D, kvd, ws->dk, kvd, pl + L->wk, D, 1, dxn, D, pool);
        teai__sgemm(0, 0, N, D, kvd, ws->dv, kvd, pl + L->wv, D, 1, dxn, D, pool);
        teai__sgemm(1, 0, qd, D, N, ws->dq, qd, xn1, D, 1, gl + L->wq, D, pool);
        teai__sgemm(1, 0, kvd, D, N, ws->dk, kvd, xn1, D, 1, gl + L->wk, D, pool);
        teai__sgemm(1, 0, kvd, D, N, ws->dv, kvd, xn1, D, 1, gl + L->wv, D, pool);
        /* dx becomes d(loss)/dx of this layer's input */
        teai__rmsnorm_bwd(pool, (int)N, (int)D, x, pl + L->attn_norm, rstd1, dxn, dx,
                          gl + L->attn_norm);
    }
    teai__embed_bwd(pool, (int)N, (int)D, ws->ids, dx, grads + o.tok_embd);
}
