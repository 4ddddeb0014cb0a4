/* The element-wise pieces of the trained llama model, forward and backward,
 * over the N = B*T rows of a batch (row n is position n % T of sequence
 * n / T): the embedding lookup, RMSNorm, RoPE, causal attention, SwiGLU and
 * softmax cross-entropy. The matrix products are teai__sgemm's (gemm.h).
 *
 * Each op splits its work over the pool's threads so that every output
 * element is computed by one thread, in an order that does not depend on the
 * number of threads: results are the same for any pool. Reductions over rows
 * (norm weight and embedding gradients) are split by columns for that reason.
 * pool may be NULL (one thread). Backward ops ADD into parameter gradients and
 * into dx where they say "+=". Internal to src/train. */
#ifndef TEAI_TRAIN_TOPS_H
#define TEAI_TRAIN_TOPS_H

#include "base/threadpool.h"

#include <stdint.h>

/* x (N, D) = E[ids[n]] with E (n_vocab, D). */
void teai__embed_fwd(teai__pool *pool, int N, int D, const int32_t *ids, const float *E, float *x);
/* dE[ids[n]] += dx[n] for n = 0..N-1 in that order. */
void teai__embed_bwd(teai__pool *pool, int N, int D, const int32_t *ids, const float *dx,
                     float *dE);

/* y (N, D) = x * rstd * w with rstd (N) = 1 / sqrt(mean(x^2) + eps), the
 * sum of squares taken in double as the engine does. */
void teai__rmsnorm_fwd(teai__pool *pool, int N, int D, const float *x, const float *w, float eps,
                       float *y, float *rstd);
/* dx += d(y)/d(x)^T dy, dw += sum_n dy * x * rstd. */
void teai__rmsnorm_bwd(teai__pool *pool, int N, int D, const float *x, const float *w,
                       const float *rstd, const float *dy, float *dx, float *dw);

/* cs (T, hd): cos and sin pairs of position p, pair i turning by
 * p * theta^(-2i/hd) (computed as the engine does: the frequency in double,
 * the angle and its cos/sin in float). */
void teai__rope_table(int T, int hd, float theta, float *cs);
/* Rotates each of the n_heads heads (hd wide) of x (N, n_heads*hd) in place,
 * pair (2i, 2i+1) by the angle of row n's position n % T (llama.cpp's "norm"
 * RoPE); bwd rotates dx back (the transpose). */
void teai__rope_fwd(teai__pool *pool, int N, int T, int n_heads, int hd, const float *cs, float *x);
void teai__rope_bwd(teai__pool *pool, int N, int T, int n_heads, int hd, const float *cs,
                    float *dx);

/* Per-thread scratch attention needs, in floats: (hd + 1) * T. */
long teai__attn_scratch(int T, int hd);
/* Causal grouped-query attention over B sequences of T rows: query head h
 * (of H) reads key/value head h / (H / KV). q (N, H*hd), k and v
 * (N, KV*hd), after RoPE. P (B, H, T, T) receives the softmax of
 * q k^T / sqrt(hd) (zero above the diagonal), o (N, H*hd) the output.
 * scratch: teai__attn_scratch floats per pool thread. */
void teai__attn_fwd(teai__pool *pool, int B, int T, int H, int KV, int hd, const float *q,
                    const float *k, const float *v, float *P, float *o, float *scratch);
/* Given do (N, H*hd), writes dq (N, H*hd), dk and dv (N, KV*hd) (overwritten,
 * not added). Needs the forward's q, k, v, P and o. */
void teai__attn_bwd(teai__pool *pool, int B, int T, int H, int KV, int hd, const float *q,
                    const float *k, const float *v, const float *P, const float *o,
                    const float *d_o, float *dq, float *dk, float *dv, float *scratch);

/* a (n) = silu(g) * u, silu(g) = g / (1 + exp(-g)). */
void teai__swiglu_fwd(teai__pool *pool, long n, const float *g, const float *u, float *a);
/* dg, du (n) from da (overwritten). */
void teai__swiglu_bwd(teai__pool *pool, long n, const float *g, const float *u, const float *da,
                      float *dg, float *du);

/* Mean over the N rows of -log softmax(logits[n])[targets[n]], in nats;
 * row_loss (N) is scratch. With grad 0 the logits (N, V) are left as they
 * are; with grad 1 they are overwritten, in place, by d(mean loss)/d(logits)
 * = (softmax - onehot(target)) / N. */
double teai__xent(teai__pool *pool, int N, int V, float *logits, const int32_t *targets, int grad,
                  double *row_loss);

#endif
