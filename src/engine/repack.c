/* Repacked Q4_0 / Q4_K copies (repack.h): the layout, the copy, the scalar
 * twin of the kernels and their dispatch. */
#include "repack.h"
#include "cpu_features.h"
#include "quant_simd.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

teai_type teai__repack_base(teai_type t) {
    if (t == TEAI__TYPE_Q4_0_R16) return TEAI_TYPE_Q4_0;
    if (t == TEAI__TYPE_Q4_K_R16) return TEAI_TYPE_Q4_K;
    return t;
}

int teai__repack_is(teai_type t) {
    return t == TEAI__TYPE_Q4_0_R16 || t == TEAI__TYPE_Q4_K_R16;
}

teai_type teai__repack_pick(teai_type t, int64_t cols) {
#if TEAI_QUANT_AVX2
    if (!teai__cpu_has_avx512() || cols <= 0) return (teai_type)0;
    if (t == TEAI_TYPE_Q4_0 && cols % TEAI_QK4_0 == 0) return TEAI__TYPE_Q4_0_R16;
    if (t == TEAI_TYPE_Q4_K && cols % TEAI_QK_K == 0) return TEAI__TYPE_Q4_K_R16;
#endif
    (void)t, (void)cols;
    return (teai_type)0;
}

/* Bytes of one group of 16 rows. */
static size_t group_bytes(teai_type base, int64_t cols) {
    if (base == TEAI_TYPE_Q4_0) return (size_t)((cols / TEAI_QK4_0 + 1) / 2) * TEAI__RP_Q4_0_PAIR;
    if (base == TEAI_TYPE_Q4_K) return (size_t)(cols / TEAI_QK_K) * TEAI__RP_Q4_K_SB;
    return 0;
}

size_t teai__repack_bytes(teai_type t, int64_t rows, int64_t cols) {
    int64_t groups = (rows + TEAI__RP_ROWS - 1) / TEAI__RP_ROWS;
    return (size_t)groups * group_bytes(teai__repack_base(t), cols);
}

static void repack_q4_0_group(const uint8_t *W, size_t rb, int nrows, int64_t nb, uint8_t *g) {
    memset(g, 0, (size_t)((nb + 1) / 2) * TEAI__RP_Q4_0_PAIR);
    for (int r = 0; r < nrows; r++) {
        const teai__block_q4_0 *row = (const teai__block_q4_0 *)(W + (size_t)r * rb);
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *pair = g + (size_t)(b / 2) * TEAI__RP_Q4_0_PAIR;
            memcpy(pair + (b & 1) * 32 + 2 * r, &row[b].d, 2);
            uint8_t *codes = pair + 64 + (b & 1) * 256;
            for (int j = 0; j < 4; j++) memcpy(codes + 64 * j + 4 * r, row[b].qs + 4 * j, 4);
        }
    }
}

static void repack_q4_k_group(const uint8_t *W, size_t rb, int nrows, int64_t ns, uint8_t *g) {
    memset(g, 0, (size_t)ns * TEAI__RP_Q4_K_SB);
    for (int r = 0; r < nrows; r++) {
        const teai__block_q4_k *row = (const teai__block_q4_k *)(W + (size_t)r * rb);
        for (int64_t s = 0; s < ns; s++) {
            uint8_t *sb = g + (size_t)s * TEAI__RP_Q4_K_SB;
            memcpy(sb + 2 * r, &row[s].d, 2);
            memcpy(sb + 32 + 2 * r, &row[s].dmin, 2);
            uint8_t sm[16];
            teai__q4k_scales_mins(row[s].scales, sm);
            for (int j = 0; j < 8; j++) sb[64 + 16 * j + r] = sm[j];
            for (int i = 0; i < 4; i++) {
                int16_t m2[2] = {sm[8 + 2 * i], sm[9 + 2 * i]};
                memcpy(sb + 192 + 64 * i + 4 * r, m2, 4);
            }
            uint8_t *codes = sb + 448;
            for (int p = 0; p < 4; p++)
                for (int t = 0; t < 8; t++)
                    memcpy(codes + 64 * (8 * p + t) + 4 * r, row[s].qs + 32 * p + 4 * t, 4);
        }
    }
}

void teai__repack_groups(teai_type t, const void *W, size_t row_bytes, int64_t rows, int64_t cols,
                         int64_t g0, int64_t g1, void *out) {
    teai_type base = teai__repack_base(t);
    size_t gb = group_bytes(base, cols);
    for (int64_t g = g0; g < g1; g++) {
        int64_t r = g * TEAI__RP_ROWS;
        int nrows = rows - r < TEAI__RP_ROWS ? (int)(rows - r) : TEAI__RP_ROWS;
        const uint8_t *src = (const uint8_t *)W + (size_t)r * row_bytes;
        uint8_t *dst = (uint8_t *)out + (size_t)g * gb;
        if (base == TEAI_TYPE_Q4_0)
            repack_q4_0_group(src, row_bytes, nrows, cols / TEAI_QK4_0, dst);
        else if (base == TEAI_TYPE_Q4_K)
            repack_q4_k_group(src, row_bytes, nrows, cols / TEAI_QK_K, dst);
    }
}

/* ---- the scalar twin ---------------------------------------------------------- */

static float half(const uint8_t *p) {
    return teai__fp16_to_f32(teai__load_u16(p));
}

/* Row r (0..15) of a Q4_0 group against one Q8_0 vector. */
static float ref_q4_0(const uint8_t *g, int r, int64_t nb, const uint8_t *x) {
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pair = g + (size_t)(b / 2) * TEAI__RP_Q4_0_PAIR;
        const uint8_t *codes = pair + 64 + (b & 1) * 256;
        const uint8_t *xb = x + 34 * (size_t)b;
        const int8_t *y = (const int8_t *)(xb + 2);
        int32_t isum = 0;
        for (int i = 0; i < 32; i++) isum -= 8 * y[i];
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 4; i++) {
                uint8_t c = codes[64 * j + 4 * r + i];
                isum += (c & 15) * y[4 * j + i] + (c >> 4) * y[16 + 4 * j + i];
            }
        acc = fmaf((float)isum, half(pair + (b & 1) * 32 + 2 * r) * half(xb), acc);
    }
    return acc;
}

/* Row r (0..15) of a Q4_K group against one Q8_K vector. */
static float ref_q4_k(const uint8_t *g, int r, int64_t ns, const uint8_t *x) {
    float acc = 0.0f;
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *sb = g + (size_t)s * TEAI__RP_Q4_K_SB;
        const uint8_t *xs = x + (size_t)s * TEAI__Q8K_BYTES;
        const int8_t *y = (const int8_t *)(xs + TEAI__Q8K_QS);
        int16_t bsums[16];
        memcpy(bsums, xs + TEAI__Q8K_BSUMS, sizeof bsums);
        int32_t isum = 0, msum = 0;
        for (int p = 0; p < 4; p++) {
            int32_t lo = 0, hi = 0;
            for (int t = 0; t < 8; t++)
                for (int i = 0; i < 4; i++) {
                    uint8_t c = sb[448 + 64 * (8 * p + t) + 4 * r + i];
                    lo += (c & 15) * y[64 * p + 4 * t + i];
                    hi += (c >> 4) * y[64 * p + 32 + 4 * t + i];
                }
            isum += sb[64 + 16 * (2 * p) + r] * lo + sb[64 + 16 * (2 * p + 1) + r] * hi;
        }
        for (int i = 0; i < 4; i++) {
            int16_t m2[2];
            memcpy(m2, sb + 192 + 64 * i + 4 * r, 4);
            msum += m2[0] * (bsums[4 * i] + bsums[4 * i + 1]) +
                    m2[1] * (bsums[4 * i + 2] + bsums[4 * i + 3]);
        }
        float dy = teai__load_f32(xs + TEAI__Q8K_D);
        acc = fmaf((float)isum, half(sb + 2 * r) * dy, acc);
        acc = fmaf((float)msum, -(half(sb + 32 + 2 * r) * dy), acc);
    }
    return acc;
}

void teai__repack_matmul_ref(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                             const void *xq, size_t xq_stride, int B, float *y, size_t y_stride) {
    teai_type base = teai__repack_base(rt);
    size_t gb = group_bytes(base, cols);
    if (!gb) return;
    for (int b = 0; b < B; b++) {
        const uint8_t *x = (const uint8_t *)xq + (size_t)b * xq_stride;
        for (int64_t r = r0; r < r1; r++) {
            const uint8_t *g = (const uint8_t *)P + (size_t)(r / TEAI__RP_ROWS) * gb;
            int lane = (int)(r % TEAI__RP_ROWS);
            y[(size_t)b * y_stride + (size_t)r] = base == TEAI_TYPE_Q4_0
                                                      ? ref_q4_0(g, lane, cols / TEAI_QK4_0, x)
                                                      : ref_q4_k(g, lane, cols / TEAI_QK_K, x);
        }
    }
}

void teai__repack_matmul(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                         const void *xq, size_t xq_stride, int B, float *y, size_t y_stride) {
    if (r0 >= r1 || B <= 0) return;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) {
        teai__repack_matmul_avx512(rt, P, cols, r0, r1, xq, xq_stride, B, y, y_stride);
        return;
    }
#endif
    teai__repack_matmul_ref(rt, P, cols, r0, r1, xq, xq_stride, B, y, y_stride);
}
