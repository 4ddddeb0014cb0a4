/* The fastest kernel this CPU runs for a weight type (teai__*_best), and the
 * products the forward pass calls: W @ x with f32 activations
 * (teai__matvec), with quantized activations for one vector (teai__matvec_q,
 * decode) and for many (teai__matmul_q, prefill), and axpy. Where no SIMD
 * kernel serves a type, the scalar reference does (teai__dot_ref,
 * teai__dotq_ref).
 *
 * Which kernels serve what (NULL in a level's table falls through to the next):
 *   x86_64, AVX-512 VNNI (quant_avx512.c): dotq and the register tile (rows)
 *     for F16, Q8_0, Q4_0, I8, Q4_K, Q6_K, NF4 (both paths); the whole decode
 *     matvec for F16, Q8_0, Q4_0, I8, NF4, the whole prefill matmul for Q8_0,
 *     Q4_0, I8, NF4 (NF4's integer path: quant_nf4_avx512.c), and the decode
 *     of several vectors at once (teai__matvec_q_multi) for F16.
 *   x86_64, AVX2 + FMA + F16C (quant_avx2.c): dot and dotq for every type,
 *     the f32 matvec for Q4_K, the tile of 1..4 vectors for F16, Q8_0, Q4_0,
 *     Q4_K, Q6_K, I8, the register tile (rows) for Q8_0, Q4_0; axpy.
 *   aarch64, NEON (quant_neon.c): the same as AVX2 but the register tile.
 * TEAI_SIMD caps the x86_64 level (cpu_features.h). Repacked copies made at
 * load (TEAI__TYPE_Q4_0_R16, TEAI__TYPE_Q4_K_R16) go to repack.h's kernels,
 * decode and prefill alike. */
#include "quant_impl.h"
#include "repack.h"

#include <stddef.h>
#include <stdint.h>

teai__dot_fn teai__dot_best(teai_type t) {
    teai__dot_fn f = NULL;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx2()) f = teai__dot_avx2(t);
#elif TEAI_QUANT_NEON
    f = teai__dot_neon(t); /* NEON is part of every AArch64 CPU */
#endif
    return f ? f : teai__dot_ref(t);
}

void teai__matvec(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                  int64_t r1, const float *x, float *y) {
    teai__matvec_fn mv = NULL;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx2()) mv = teai__matvec_avx2(t);
#elif TEAI_QUANT_NEON
    mv = teai__matvec_neon(t);
#endif
    if (mv) {
        mv(W, row_bytes, cols, r0, r1, x, y);
        return;
    }
    teai__dot_fn dot = teai__dot_best(t);
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
    for (int64_t r = r0; r < r1; r++, w += row_bytes) y[r] = dot ? dot(cols, w, x) : 0.0f;
}

teai__dotq_fn teai__dotq_best(teai_type wtype) {
    teai__dotq_fn f = NULL;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) f = teai__dotq_avx512(wtype);
    if (!f && teai__cpu_has_avx2()) f = teai__dotq_avx2(wtype);
#elif TEAI_QUANT_NEON
    f = teai__dotq_neon(wtype);
#endif
    return f ? f : teai__dotq_ref(wtype);
}

static teai__dotq_tile_fn dotq_tile_best(teai_type wtype) {
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx2()) return teai__dotq_tile_avx2(wtype);
#elif TEAI_QUANT_NEON
    return teai__dotq_tile_neon(wtype);
#endif
    return NULL;
}

teai__dotq_rows_fn teai__dotq_rows_best(teai_type wtype) {
#if TEAI_QUANT_AVX2
    teai__dotq_rows_fn f = teai__cpu_has_avx512() ? teai__dotq_rows_avx512(wtype) : NULL;
    if (f) return f;
    if (teai__cpu_has_avx2()) return teai__dotq_rows_avx2(wtype);
#endif
    (void)wtype;
    return NULL;
}

void teai__matvec_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, float *y) {
    if (teai__repack_is(t)) { /* a repacked copy (repack.h): its own kernels */
        teai__repack_matmul(t, W, cols, r0, r1, xq, 0, 1, y, 0);
        return;
    }
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
#if TEAI_QUANT_AVX2
    /* AVX-512: one row at a time, in file order, which the hardware
     * prefetcher follows best (interleaving rows made decode 2-3x slower).
     * Q8_0, Q4_0, int8, Q4_K, Q6_K and nf4 give the prefill tile's results
     * bit for bit; F16 sums in another order (four chains per row). */
    teai__matvec_q_fn mv = teai__cpu_has_avx512() ? teai__matvec_q_avx512(t) : NULL;
    if (mv) {
        mv(W, row_bytes, cols, r0, r1, xq, y);
        return;
    }
    teai__dotq_rows_fn rows = teai__cpu_has_avx512() ? teai__dotq_rows_avx512(t) : NULL;
    if (rows) {
        for (int64_t r = r0; r < r1; r++, w += row_bytes)
            rows(cols, w, row_bytes, 1, xq, 0, 1, &y[r]);
        return;
    }
#endif
    teai__dotq_tile_fn tile = dotq_tile_best(t);
    if (tile) {
        for (int64_t r = r0; r < r1; r++, w += row_bytes) tile(cols, w, xq, 0, 1, &y[r]);
        return;
    }
    teai__dotq_fn dot = teai__dotq_best(t);
    for (int64_t r = r0; r < r1; r++, w += row_bytes) y[r] = dot ? dot(cols, w, xq) : 0.0f;
}

void teai__matvec_q_multi(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                          int64_t r1, const void *xq, size_t xq_stride, int B, float *y,
                          size_t y_stride) {
    if (teai__repack_is(t)) { /* the same kernel for any number of vectors */
        teai__repack_matmul(t, W, cols, r0, r1, xq, xq_stride, B, y, y_stride);
        return;
    }
    const uint8_t *X = xq;
    teai__dotq_tile_fn tile = dotq_tile_best(t);
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) {
        /* each row read once for several vectors (quant_avx512.c) */
        teai__matmul_q_fn multi = teai__matvec_q_multi_avx512(t);
        if (!multi) multi = teai__matmul_q_avx512(t); /* Q8_0, Q4_0, I8: decode's results */
        if (multi) {
            multi(W, row_bytes, cols, r0, r1, xq, xq_stride, B, y, y_stride);
            return;
        }
        /* where decode runs the rows kernel's (1, 1) case per row, its (1, nt)
         * tile gives each vector the same result */
        teai__dotq_rows_fn rows = teai__matvec_q_avx512(t) ? NULL : teai__dotq_rows_avx512(t);
        if (rows) {
            const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
            for (int64_t r = r0; r < r1; r++, w += row_bytes)
                for (int b = 0; b < B; b += TEAI__ROWS_NT) {
                    int nt = B - b < TEAI__ROWS_NT ? B - b : TEAI__ROWS_NT;
                    float out[TEAI__ROWS_NT];
                    rows(cols, w, row_bytes, 1, X + (size_t)b * xq_stride, xq_stride, nt, out);
                    for (int k = 0; k < nt; k++) y[(size_t)(b + k) * y_stride + (size_t)r] = out[k];
                }
            return;
        }
        tile = NULL; /* teai__matvec_q takes the AVX-512 kernels vector by vector */
    }
#endif
    if (!tile) {
        for (int b = 0; b < B; b++)
            teai__matvec_q(t, W, row_bytes, cols, r0, r1, X + (size_t)b * xq_stride,
                           y + (size_t)b * y_stride);
        return;
    }
    /* the tile's nt = 1..4 results equal its nt = 1 result, which is teai__matvec_q's */
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
    for (int64_t r = r0; r < r1; r++, w += row_bytes)
        for (int b = 0; b < B; b += 4) {
            int nt = B - b < 4 ? B - b : 4;
            float out[4];
            tile(cols, w, X + (size_t)b * xq_stride, xq_stride, nt, out);
            for (int k = 0; k < nt; k++) y[(size_t)(b + k) * y_stride + (size_t)r] = out[k];
        }
}

/* Bytes of weight rows, and of activation vectors, that one tile of
 * teai__matmul_q keeps in L2 (each about a quarter of a 1 MiB L2). */
#define MATMUL_TILE_BYTES (256 * 1024)

/* Y rows [r0, r1) for B vectors with a register-tiled kernel: blocks of
 * TEAI__ROWS_NR rows by TEAI__ROWS_NT vectors. */
static void matmul_rows(teai__dotq_rows_fn rows, const void *W, size_t row_bytes, int64_t cols,
                        int64_t r0, int64_t r1, const uint8_t *X, size_t xq_stride, int B, float *y,
                        size_t y_stride) {
    int64_t rt = (int64_t)(MATMUL_TILE_BYTES / row_bytes) / TEAI__ROWS_NR * TEAI__ROWS_NR;
    if (rt < TEAI__ROWS_NR) rt = TEAI__ROWS_NR;
    for (int64_t ra = r0; ra < r1; ra += rt) {
        int64_t re = r1 - ra < rt ? r1 : ra + rt;
        for (int b = 0; b < B; b += TEAI__ROWS_NT) {
            int nt = B - b < TEAI__ROWS_NT ? B - b : TEAI__ROWS_NT;
            const uint8_t *xb = X + (size_t)b * xq_stride;
            for (int64_t r = ra; r < re; r += TEAI__ROWS_NR) {
                int nr = re - r < TEAI__ROWS_NR ? (int)(re - r) : TEAI__ROWS_NR;
                float out[TEAI__ROWS_NR * TEAI__ROWS_NT];
                rows(cols, (const uint8_t *)W + (size_t)r * row_bytes, row_bytes, nr, xb, xq_stride,
                     nt, out);
                for (int i = 0; i < nr; i++)
                    for (int k = 0; k < nt; k++)
                        y[(size_t)(b + k) * y_stride + (size_t)(r + i)] = out[i * nt + k];
            }
        }
    }
}

void teai__matmul_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, size_t xq_stride, int B, float *y,
                    size_t y_stride) {
    if (teai__repack_is(t)) { /* decode's results bit for bit (repack.h) */
        teai__repack_matmul(t, W, cols, r0, r1, xq, xq_stride, B, y, y_stride);
        return;
    }
    teai__dotq_tile_fn tile = dotq_tile_best(t);
    teai__dotq_fn dot = teai__dotq_best(t);
    if (!dot || r0 >= r1 || B <= 0) return;
    const uint8_t *X = xq;
#if TEAI_QUANT_AVX2
    teai__matmul_q_fn mm = teai__cpu_has_avx512() ? teai__matmul_q_avx512(t) : NULL;
    if (mm && row_bytes) {
        mm(W, row_bytes, cols, r0, r1, xq, xq_stride, B, y, y_stride);
        return;
    }
#endif
    teai__dotq_rows_fn rows = teai__dotq_rows_best(t);
    if (rows && row_bytes) {
        matmul_rows(rows, W, row_bytes, cols, r0, r1, X, xq_stride, B, y, y_stride);
        return;
    }
    int64_t rt = row_bytes ? (int64_t)(MATMUL_TILE_BYTES / row_bytes) : 1;
    if (rt < 1) rt = 1;
    int bt = xq_stride ? (int)(MATMUL_TILE_BYTES / xq_stride) / 4 * 4 : B;
    if (bt < 4) bt = 4;
    for (int64_t ra = r0; ra < r1; ra += rt) {
        int64_t re = r1 - ra < rt ? r1 : ra + rt;
        for (int ba = 0; ba < B; ba += bt) {
            int be = B - ba < bt ? B : ba + bt;
            for (int64_t r = ra; r < re; r++) {
                const uint8_t *w = (const uint8_t *)W + (size_t)r * row_bytes;
                for (int b = ba; b < be; b += 4) {
                    int nt = be - b < 4 ? be - b : 4;
                    const uint8_t *xb = X + (size_t)b * xq_stride;
                    float out[4];
                    if (tile)
                        tile(cols, w, xb, xq_stride, nt, out);
                    else
                        for (int k = 0; k < nt; k++) out[k] = dot(cols, w, xb + k * xq_stride);
                    for (int k = 0; k < nt; k++) y[(size_t)(b + k) * y_stride + (size_t)r] = out[k];
                }
            }
        }
    }
}

teai__axpy_fn teai__axpy_best(void) {
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx2()) return teai__axpy_avx2;
#elif TEAI_QUANT_NEON
    return teai__axpy_neon;
#endif
    return teai__axpy_ref();
}
