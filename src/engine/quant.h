/* Weight formats: the type table, reference quantizers and dequantizers, and
 * the dot-product kernels the forward pass runs on: a scalar reference for
 * every type, and SIMD kernels for AVX2 and AVX-512 VNNI (x86_64) and NEON
 * (aarch64); which SIMD kernel serves which type: quant_dispatch.c. Every
 * SIMD kernel has a scalar twin it is tested against. The module's files:
 * quant_impl.h.
 *
 * Matrix layout (GGUF): a weight of shape (rows, cols) is rows contiguous rows
 * of cols elements; a row of type t takes teai_type_row_size(t, cols) bytes and
 * cols is a multiple of teai_type_block_size(t). */
#ifndef TEAI_QUANT_H
#define TEAI_QUANT_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

/* Dequantizes one row of n elements to f32. */
void teai__dequantize_row(teai_type t, const void *src, float *dst, int64_t n);
/* Quantizes one row of n elements from f32 (reference quantizer: the files it
 * writes load in llama.cpp for the GGUF types). */
void teai__quantize_row(teai_type t, const float *src, void *dst, int64_t n);
/* The same with the scalar code only (f16, int8 and nf4 have SIMD parts on
 * x86_64 with AVX2; the results are equal bit for bit, which the tests
 * check). */
void teai__quantize_row_ref(teai_type t, const float *src, void *dst, int64_t n);

/* dot(row, x) for one row of n elements, x f32 (n,). */
typedef float (*teai__dot_fn)(int64_t n, const void *row, const float *x);

teai__dot_fn teai__dot_ref(teai_type t);  /* scalar reference; NULL if t unknown */
teai__dot_fn teai__dot_best(teai_type t); /* fastest kernel this CPU runs */

/* W (rows, cols) @ x (cols,) -> y, for rows r0..r1 only: y[r] = dot(W[r], x).
 * row_bytes = teai_type_row_size(t, cols). */
void teai__matvec(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                  int64_t r1, const float *x, float *y);

/* ---- quantized activations (llama.cpp's vec_dot_type) ----------------------
 * llama.cpp does not dot quantized weights with f32 activations: once per
 * matrix product it converts x into the weight type's "vec_dot_type" and
 * takes integer dot products per block, scaled by both block scales. teai
 * does the same, so that its logits match llama.cpp's on the same GGUF file
 * (and because integer SIMD is the fast way).
 *
 * The form activations take for a weight type (teai__vec_type):
 *   Q8_0, Q4_0, I8 weights -> TEAI_TYPE_Q8_0 (blocks of 32: fp16 d, int8 qs[32])
 *   Q4_K, Q6_K weights     -> TEAI__TYPE_Q8_K (blocks of 256: f32 d, int8
 *                             qs[256], int16 bsums[16]; ggml's block_q8_K)
 *   NF4 weights            -> TEAI_TYPE_Q8_0 (the integer path: an int8 codebook,
 *                             quant_nf4.c)
 *   F16 weights            -> TEAI_TYPE_F16 (x rounded to fp16, stored as fp16)
 *   F32, BF16 weights and  -> TEAI_TYPE_F32 (x unchanged)
 *   TEAI__TYPE_NF4_EXACT
 * teai__quantize_vec gives ggml's bytes exactly: Q8_0 as llama.cpp's x86
 * AVX2/AVX-512 CPU backend quantizes (ggml-cpu/arch/x86/quants.c
 * quantize_row_q8_0: d = amax/127, q = round-half-even(x * (127/amax)); it can
 * differ by one step from quantize_row_q8_0_ref, which divides by fp32 d and
 * rounds half away from zero), Q8_K as quantize_row_q8_K_ref (what every ggml
 * CPU backend uses). teai quantizes the same way on every CPU. I8 weights of
 * a length n that is not a multiple of 32 get a last, zero-padded block. */

/* Internal activation type Q8_K: a teai_type value no file or weight uses. */
#define TEAI__TYPE_Q8_K ((teai_type)1002)
/* NF4 weights on the exact path (teai_model_params.nf4_exact): the same bytes
 * as TEAI_TYPE_NF4 and the same name, but f32 activations and the f32
 * codebook. Internal: teai_type_is_known says no, so no file carries it. */
#define TEAI__TYPE_NF4_EXACT ((teai_type)1003)

/* Activation type for weights of type wtype; (teai_type)-1 if wtype unknown. */
teai_type teai__vec_type(teai_type wtype);
/* Bytes of one activation vector of n elements for wtype; 0 if wtype is
 * unknown or n is not a whole number of the activation type's blocks. */
size_t teai__vec_size(teai_type wtype, int64_t n);
/* x (n,) f32 -> xq (teai__vec_size(wtype, n) bytes, any alignment). */
void teai__quantize_vec(teai_type wtype, const float *x, void *xq, int64_t n);
/* The same with the scalar code only (the tests check they agree bit for bit). */
void teai__quantize_vec_ref(teai_type wtype, const float *x, void *xq, int64_t n);

/* dot(row, x) for one row of n elements of type wtype and xq = x in the
 * form teai__quantize_vec(wtype, x, xq, n) wrote. */
typedef float (*teai__dotq_fn)(int64_t n, const void *row, const void *xq);

/* Scalar reference: per block integer sums exactly as ggml's generic
 * vec_dot_{q8_0,q4_0}_q8_0 / vec_dot_{q4_K,q6_K}_q8_K (float accumulation
 * order may differ). NULL if wtype is unknown. */
teai__dotq_fn teai__dotq_ref(teai_type wtype);
teai__dotq_fn teai__dotq_best(teai_type wtype); /* fastest kernel this CPU runs */

/* W (rows, cols) @ x -> y for rows r0..r1: y[r] = dotq(W[r], xq), xq from
 * teai__quantize_vec(t, x, xq, cols). Equal bit for bit to teai__dotq_best. */
void teai__matvec_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, float *y);
/* teai__matvec_q for B vectors at xq + b*xq_stride: y[b*y_stride + r] is
 * teai__matvec_q's result for vector b, bit for bit (the decode order, where
 * it differs from teai__matmul_q's). Each weight row is read once per group of
 * up to 4 vectors where the decode kernel has a multi-vector form (the AVX2
 * and NEON tiles, AVX-512 F16 and the AVX-512 rows kernels), and on AVX-512
 * Q8_0, Q4_0 and int8 take teai__matmul_q (the same results). */
void teai__matvec_q_multi(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                          int64_t r1, const void *xq, size_t xq_stride, int B, float *y,
                          size_t y_stride);

/* Batched (prefill): for B activation vectors X_b at xq + b*xq_stride (each
 * teai__vec_size(t, cols) bytes, xq_stride >= that), rows r0..r1:
 * y[b*y_stride + r] = dotq(W[r], X_b). Each weight row is unpacked once per
 * group of up to 4 vectors, rows and vectors tiled to stay in L2. Equal bit
 * for bit per (row, vector) to teai__dotq_best, or, for a type with a
 * register-tile kernel (teai__dotq_rows_best), to that kernel's one-row
 * one-vector result (which may sum in another order than teai__dotq_best:
 * AVX2 Q8_0 and Q4_0, AVX-512 F16). */
void teai__matmul_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, size_t xq_stride, int B, float *y, size_t y_stride);

/* Name of the SIMD level the kernels use: "avx512-vnni" (the AVX-512 dotq
 * kernels, the rest AVX2), "avx2", "neon", "neon-dotprod" where the integer
 * kernels use sdot, "scalar". */
const char *teai__simd_name(void);

/* y[0..n) += a * x[0..n) (attention's weighted sum of values). The SIMD
 * kernels fuse the multiply and add, so they may differ from the reference
 * in the last bit. */
typedef void (*teai__axpy_fn)(int64_t n, float a, const float *x, float *y);
teai__axpy_fn teai__axpy_ref(void);
teai__axpy_fn teai__axpy_best(void);

#endif
