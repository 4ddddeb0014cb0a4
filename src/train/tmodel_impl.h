/* Private to the trained model (tmodel.c, tmodel_fwd.c, tmodel_bwd.c): where
 * each tensor lies in the flat parameter array, and the workspace. */
#ifndef TEAI_TRAIN_TMODEL_IMPL_H
#define TEAI_TRAIN_TMODEL_IMPL_H

#include "train/tmodel.h"

/* Offsets in floats into the parameter (or gradient) array. Layer l's
 * tensors lie at layer0.x + l * layer_stride. output == tok_embd when tied. */
typedef struct teai__tlayer_off {
    size_t attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
} teai__tlayer_off;

typedef struct teai__toff {
    size_t tok_embd, output_norm, output;
    teai__tlayer_off layer0;
    size_t layer_stride;
} teai__toff;

void teai__tmodel_offsets(const teai__tshape *s, teai__toff *o);

/* Activations of the last forward pass, kept for the backward pass, for up
 * to B sequences of T tokens (N = B*T rows; arrays sized for the capacity,
 * filled for the batch of the last step). Per layer l (stride given):
 *   x    (L+1, N, dim)  residual stream entering layer l; x[L] the last
 *   h    (L, N, dim)    after the attention block
 *   xn1, xn2 (L, N, dim), rstd1, rstd2 (L, N)  normed inputs of the blocks
 *   q (L, N, q_dim), k, v (L, N, kv_dim)  after RoPE
 *   P    (L, B, n_heads, T, T)  attention probabilities
 *   ao   (L, N, q_dim)  attention output, before attn_output
 *   g, u (L, N, hidden) gate and up projections, before SwiGLU */
struct teai__tws {
    teai__tshape s;
    int B, T; /* capacity */
    int q_dim, kv_dim, head_dim;
    int32_t *ids, *targets; /* (N) */
    float *rope_cs;         /* (T, head_dim) cos/sin pairs */
    float *x, *h, *xn1, *xn2, *rstd1, *rstd2, *q, *k, *v, *P, *ao, *g, *u;
    float *xnf, *rstdf; /* final norm: (N, dim), (N) */
    float *logits;      /* (N, n_vocab); d(loss)/d(logits) after a step with grads */
    double *row_loss;   /* (N) */
    float *act;         /* (N, hidden) SwiGLU output (recomputed in backward) */
    /* backward scratch */
    float *dx, *dxn;       /* (N, dim) */
    float *dq, *dao;       /* (N, q_dim) */
    float *dk, *dv;        /* (N, kv_dim) */
    float *dact, *dg, *du; /* (N, hidden) */
    float *attn_scratch;   /* per thread: teai__attn_scratch floats */
    int attn_threads;      /* threads attn_scratch has room for */
    void *block;           /* the one allocation the arrays above lie in */
};

/* The backward pass of the forward pass the workspace holds (tmodel_bwd.c);
 * ws->logits must hold d(loss)/d(logits). Adds into grads. */
void teai__tmodel_backward(const teai__tshape *s, const float *params, float *grads, int B, int T,
                           teai__tws *ws, teai__pool *pool);

#endif
