/* Flash-style attention over the KV cache (internal to src/engine).
 *
 * The cache holds, per layer and sequence, n_ctx rows of kv_dim elements of
 * the cache type (f32, f16 or ggml's Q8_0 blocks of 32 along the row); KV
 * head h's part of a row starts at byte h * teai_type_row_size(type, head_dim).
 *
 * One work item is a query row's group of ng query heads over one KV head.
 * Its positions 0..last are cut into FIXED blocks of TEAI__ATTN_BLOCK
 * positions; each block gives a partial (m, l, acc):
 *   s_p = dotq_k(K_p, q) * scale,  m = max_p s_p,  w_p = exp(s_p - m),
 *   l = sum_p w_p,  acc = sum_p w_p V_p     (p in the block, in order)
 * and the blocks are merged in block order (teai__attn_merge), output
 * acc / l. The queries are in the K type's activation form
 * (teai__quantize_vec(k_type, ...)): f16 for an f16 cache, Q8_0 for a q8_0
 * one (integer dots as llama.cpp), f32 for f32. So a row's result depends
 * only on its queries and its positions, never on how the blocks were spread
 * over threads or on the other rows of a batch. */
#ifndef TEAI_ATTENTION_H
#define TEAI_ATTENTION_H

#include "quant.h"

#include <stddef.h>
#include <stdint.h>

#define TEAI__ATTN_BLOCK 256 /* positions per block (fixed: results never depend on threads) */

/* acc[g*hd + i] += sum_{p < np} w[g*w_stride + p] * V_p[i] for g < ng, i < hd,
 * summed over p in order with one fused multiply-add per term (so every SIMD
 * level gives the scalar twin's bits); V_p at (const uint8_t *)V + p*v_stride
 * holds hd elements of the V type (Q8_0: hd/32 blocks; element i's weight is
 * w * d of its block, formed once per (g, p, block)). */
typedef void (*teai__attn_vacc_fn)(int hd, int ng, int np, const float *w, size_t w_stride,
                                   const void *V, size_t v_stride, float *acc);

typedef struct teai__attn_kernels {
    teai_type kt, vt;   /* cache types (TEAI_TYPE_F32, TEAI_TYPE_F16, TEAI_TYPE_Q8_0) */
    teai__dotq_fn kdot; /* K row . query in kt's activation form */
    teai__attn_vacc_fn vacc;
} teai__attn_kernels;

/* The scalar references, or the fastest this CPU runs; 0 on success,
 * TEAI_EUNSUPPORTED for an unknown type. */
int teai__attn_kernels_ref(teai_type kt, teai_type vt, teai__attn_kernels *k);
int teai__attn_kernels_best(teai_type kt, teai_type vt, teai__attn_kernels *k);

teai__attn_vacc_fn teai__attn_vacc_ref(teai_type vt);
#if defined(__x86_64__) || defined(_M_X64)
teai__attn_vacc_fn teai__attn_vacc_avx2(teai_type vt);   /* NULL: none */
teai__attn_vacc_fn teai__attn_vacc_avx512(teai_type vt); /* NULL: none */
#elif defined(__aarch64__)
teai__attn_vacc_fn teai__attn_vacc_neon(teai_type vt);
#endif

/* One block's partial for ng query heads: qq holds ng queries in kt's
 * activation form, q_stride bytes apart; K and V point at the KV head's part
 * of the block's first row, rows row_bytes apart; np (1..TEAI__ATTN_BLOCK)
 * positions. scores: ng * TEAI__ATTN_BLOCK floats of scratch. Writes m[ng],
 * l[ng], acc[ng * hd]. */
void teai__attn_block(const teai__attn_kernels *k, int hd, int ng, const void *qq, size_t q_stride,
                      const uint8_t *K, const uint8_t *V, size_t row_bytes, int np, float scale,
                      float *scores, float *m, float *l, float *acc);

/* Folds a block's partial (m, l, acc) into the running state (M, L, A) of ng
 * heads: the block order is the caller's, always the same. */
void teai__attn_merge(int hd, int ng, float *M, float *L, float *A, const float *m, const float *l,
                      const float *acc);

/* The whole of one item: positions 0..n-1 (n >= 1) in blocks, merged in
 * order, output out[g*hd + i] = A / L. state: ng * (hd + 2) floats, part:
 * ng * (hd + 2) floats, scores: ng * TEAI__ATTN_BLOCK floats of scratch. */
void teai__attn_run(const teai__attn_kernels *k, int hd, int ng, const void *qq, size_t q_stride,
                    const uint8_t *K, const uint8_t *V, size_t row_bytes, int n, float scale,
                    float *state, float *part, float *scores, float *out);

#endif
