/* Private to the weight-format module (quant*.c); the rest of the engine
 * uses quant.h. The module, by file:
 *   quant_types.c     the type table (one row per weight type: name, block,
 *                     bytes, (de)quantizer, reference kernels, activation
 *                     form), teai_type_*, and the row and activation entry
 *                     points that look a type up in it
 *   quant_codec.c     the quantizers and dequantizers of every weight format
 *                     and of the activation forms (Q8_0, Q8_K, F16, F32)
 *   quant_ref.c       the scalar reference kernels: dot (f32 activations),
 *                     dotq (quantized activations), axpy
 *   quant_dispatch.c  the fastest kernel the CPU runs for a type, and the
 *                     matrix-vector and matrix-matrix products built on them
 *   cpu_features.c    which SIMD level the CPU runs (cpu_features.h)
 *   quant_avx2.c, quant_avx512.c, quant_neon.c: the SIMD kernels and
 *                     their tables (quant_simd.h, quant_simd_tables.h) */
#ifndef TEAI_QUANT_IMPL_H
#define TEAI_QUANT_IMPL_H

#include "cpu_features.h"
#include "quant.h"
#include "quant_simd.h"

#include <stddef.h>
#include <stdint.h>

/* The four 6-bit values of Q6_K half-block position l (0..31), minus 32: at
 * l, l + 32, l + 64 and l + 96 of the 128 the half block holds (ql: its 64
 * low-nibble bytes, qh: its 32 high-bit bytes). */
static inline void teai__q6_k_quad(const uint8_t *ql, const uint8_t *qh, int l, int q[4]) {
    q[0] = ((ql[l] & 15) | ((qh[l] >> 0 & 3) << 4)) - 32;
    q[1] = ((ql[l + 32] & 15) | ((qh[l] >> 2 & 3) << 4)) - 32;
    q[2] = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
    q[3] = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
}

/* ---- quant_codec.c --------------------------------------------------------- */

void teai__dequantize_f32(const void *row, float *y, int64_t n);
void teai__dequantize_f16(const void *row, float *y, int64_t n);
void teai__dequantize_bf16(const void *row, float *y, int64_t n);
void teai__dequantize_q8_0(const void *row, float *y, int64_t n);
void teai__dequantize_q4_0(const void *row, float *y, int64_t n);
void teai__dequantize_q4_k(const void *row, float *y, int64_t n);
void teai__dequantize_q6_k(const void *row, float *y, int64_t n);
void teai__dequantize_i8(const void *row, float *y, int64_t n);
void teai__dequantize_nf4(const void *row, float *y, int64_t n);

/* F32 and F16 serve as activation forms as well (xq at any alignment). */
void teai__quantize_f32(const float *x, void *row, int64_t n, int simd);
void teai__quantize_f16(const float *x, void *row, int64_t n, int simd);
void teai__quantize_bf16(const float *x, void *row, int64_t n, int simd);
void teai__quantize_q8_0(const float *x, void *row, int64_t n, int simd);
void teai__quantize_q4_0(const float *x, void *row, int64_t n, int simd);
void teai__quantize_q4_k(const float *x, void *row, int64_t n, int simd);
void teai__quantize_q6_k(const float *x, void *row, int64_t n, int simd);
void teai__quantize_i8(const float *x, void *row, int64_t n, int simd);
void teai__quantize_nf4(const float *x, void *row, int64_t n, int simd);

/* Activations as llama.cpp quantizes them (quant.h says how). Q8_0: n may
 * end in a partial block (I8 weights), zero-padded; Q8_K: whole blocks only
 * (a partial last block is not written). */
void teai__quantize_vec_q8_0(const float *x, void *xq, int64_t n, int simd);
void teai__quantize_vec_q8_k(const float *x, void *xq, int64_t n, int simd);

/* ---- quant_ref.c: the scalar reference kernels ----------------------------- */

float teai__dot_f32_ref(int64_t n, const void *row, const float *x);
float teai__dot_f16_ref(int64_t n, const void *row, const float *x);
float teai__dot_bf16_ref(int64_t n, const void *row, const float *x);
float teai__dot_q8_0_ref(int64_t n, const void *row, const float *x);
float teai__dot_q4_0_ref(int64_t n, const void *row, const float *x);
float teai__dot_q4_k_ref(int64_t n, const void *row, const float *x);
float teai__dot_q6_k_ref(int64_t n, const void *row, const float *x);
float teai__dot_i8_ref(int64_t n, const void *row, const float *x);
float teai__dot_nf4_ref(int64_t n, const void *row, const float *x);

float teai__dotq_f32_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_f16_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_bf16_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_q8_0_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_q4_0_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_q4_k_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_q6_k_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_i8_ref(int64_t n, const void *row, const void *xq);
float teai__dotq_nf4_ref(int64_t n, const void *row, const void *xq); /* exact: f32 activations */
/* quant_nf4.c: NF4's integer path, Q8_0 activations (quant_simd.h) */
float teai__dotq_nf4i_ref(int64_t n, const void *row, const void *xq);

#endif
