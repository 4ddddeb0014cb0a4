/* Weight formats: block layouts, reference quantizers and dequantizers, and
 * the dot-product kernels the forward pass runs on (scalar reference, AVX2,
 * NEON). Every SIMD kernel has a scalar twin it is tested against.
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

/* dot(row, x) for one row of n elements, x f32 (n,). */
typedef float (*teai__dot_fn)(int64_t n, const void *row, const float *x);

teai__dot_fn teai__dot_ref(teai_type t);  /* scalar reference; NULL if t unknown */
teai__dot_fn teai__dot_best(teai_type t); /* fastest kernel this CPU runs */

/* W (rows, cols) @ x (cols,) -> y, for rows r0..r1 only: y[r] = dot(W[r], x).
 * row_bytes = teai_type_row_size(t, cols). */
void teai__matvec(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                  int64_t r1, const float *x, float *y);

/* Name of the SIMD level the kernels use ("avx2", "neon", "scalar"). */
const char *teai__simd_name(void);

#endif
