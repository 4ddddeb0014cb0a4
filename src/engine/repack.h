/* Interleaved ("repacked") copies of Q4_0 and Q4_K weight matrices, made at
 * load where the CPU has kernels for them, and their products. Internal to
 * src/engine.
 *
 * A repacked matrix holds its rows in groups of TEAI__RP_ROWS (16) rows,
 * the last group padded with zero rows; within a group, per block, the 16
 * rows' codes are interleaved four bytes at a time, so that one 512-bit
 * register holds four elements of each of the 16 rows (one row per 32-bit
 * lane) and one vpdpbusd against four broadcast activation bytes serves all
 * 16 rows; the 16 rows' scales sit together, so that one multiply per block
 * scales them all. Each row's result is computed in its own lane, so it does
 * not depend on which other rows or vectors are in the call.
 *
 * Q4_0 (TEAI__TYPE_Q4_0_R16), per group, blocks in pairs of 576 bytes (an
 * odd last block is padded to a pair):
 *   [d of block b: 16 fp16][d of b+1: 16 fp16][codes of b: 256][codes of b+1: 256]
 * codes of a block: 4 chunks of 64 bytes; chunk j, bytes 4r..4r+3 = bytes
 * 4j..4j+3 of row r's qs (low nibbles: elements 4j..4j+3, high nibbles:
 * elements 16+4j..16+4j+3).
 * Per (row, vector) the product is, over the blocks b in order,
 *   isum_b = -8 * sum(y_b) + sum(q * y_b)          (exact, int32)
 *   acc    = fmaf((float)isum_b, d_b * dy_b, acc)   (acc starts at 0)
 *
 * Q4_K (TEAI__TYPE_Q4_K_R16), per group, per super-block 2496 bytes:
 *   [d: 16 fp16][dmin: 16 fp16][sc: 8 sub-blocks x 16 rows, uint8]
 *   [mins: 4 pairs i x 16 rows x (m_2i, m_2i+1) as int16]
 *   [codes: 4 pairs p x 8 chunks t x 64]
 * chunk (p, t), bytes 4r..4r+3 = bytes 32p+4t..32p+4t+3 of row r's qs (low
 * nibbles: sub-block 2p elements 4t..4t+3, high: sub-block 2p+1).
 * Per (row, vector), over the super-blocks s in order, with the activation
 * block's d = dy and bsum_j = bsums[2j] + bsums[2j+1]:
 *   isum = sum_j sc_j * sum(q_j * y_j), msum = sum_j m_j * bsum_j  (exact, int32)
 *   acc  = fmaf((float)isum, d * dy, acc); acc = fmaf((float)msum, -(dmin * dy), acc)
 *
 * These chains differ from the in-place kernels' order of sums, so a
 * repacked model's logits may differ from --no-repack's in the last bits;
 * the AVX-512 kernels equal the scalar twin (teai__repack_matmul_ref) bit for
 * bit, for every row range and any number of vectors. */
#ifndef TEAI_REPACK_H
#define TEAI_REPACK_H

#include "quant.h"

#include <stddef.h>
#include <stdint.h>

#define TEAI__TYPE_Q4_0_R16 ((teai_type)1010) /* clear of quant.h's internal types */
#define TEAI__TYPE_Q4_K_R16 ((teai_type)1011)
#define TEAI__RP_ROWS       16
_Static_assert((int)TEAI__TYPE_Q4_0_R16 != (int)TEAI__TYPE_Q8_K &&
                   (int)TEAI__TYPE_Q4_0_R16 != (int)TEAI__TYPE_NF4_EXACT &&
                   (int)TEAI__TYPE_Q4_K_R16 != (int)TEAI__TYPE_Q8_K &&
                   (int)TEAI__TYPE_Q4_K_R16 != (int)TEAI__TYPE_NF4_EXACT,
               "repacked types clear of quant.h's internal types");

/* The file type a repacked type holds (Q4_0, Q4_K); t itself for any other. */
teai_type teai__repack_base(teai_type t);
/* 1 for the repacked types. */
int teai__repack_is(teai_type t);
/* The repacked type for file type t where this CPU has kernels for it
 * (AVX-512 VNNI, not capped by TEAI_SIMD) and cols fits the layout; 0 where
 * the matrix stays in place. */
teai_type teai__repack_pick(teai_type t, int64_t cols);
/* Bytes of the repacked copy of a (rows, cols) matrix of file type t. */
size_t teai__repack_bytes(teai_type t, int64_t rows, int64_t cols);
/* Writes groups g0..g1 of the repacked copy of W (rows rows of row_bytes,
 * file type t) into out (teai__repack_bytes bytes, the whole copy). */
void teai__repack_groups(teai_type t, const void *W, size_t row_bytes, int64_t rows, int64_t cols,
                         int64_t g0, int64_t g1, void *out);

/* y[b * y_stride + r] = dot(row r, X_b) for rows r0..r1 and B vectors at
 * xq + b * xq_stride (teai__quantize_vec of the base type), rt a repacked
 * type: the AVX-512 kernel where the CPU runs it, else the scalar twin. B = 1
 * is decode; the results are the same bit for bit either way. */
void teai__repack_matmul(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                         const void *xq, size_t xq_stride, int B, float *y, size_t y_stride);
/* The scalar twin (the chains above, written out). */
void teai__repack_matmul_ref(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                             const void *xq, size_t xq_stride, int B, float *y, size_t y_stride);
/* The AVX-512 VNNI kernels (repack_avx512.c); call only where the CPU runs them. */
void teai__repack_matmul_avx512(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                                const void *xq, size_t xq_stride, int B, float *y, size_t y_stride);

/* Bytes of one group's block pair (Q4_0) and super-block (Q4_K). */
#define TEAI__RP_Q4_0_PAIR 576
#define TEAI__RP_Q4_K_SB   2496

#endif
