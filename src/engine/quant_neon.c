/* NEON dot kernels (AArch64): dot(row, x) with x in f32, one per weight
 * format, each the twin of a scalar reference in quant.c (same formula, other
 * order of summation). Compiled on aarch64 only, where NEON is always there.
 *
 * Quantized weights are handled 16 bytes at a time: split or combine the
 * bit fields on bytes, widen int8 -> int16 -> int32 -> f32 (4 vectors of 4),
 * FMA with 16 elements of x into 4 independent accumulators. */
#include "quant_simd.h"

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

static inline float fp16(const void *p) {
    uint16x4_t h = vdup_n_u16(teai__load_u16(p));
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(h)), 0);
}

/* Four partial sums of 4 lanes; kept in registers once inlined. */
typedef struct acc4 {
    float32x4_t v[4];
} acc4;

static inline acc4 acc4_zero(void) {
    acc4 a;
    for (int k = 0; k < 4; k++) a.v[k] = vdupq_n_f32(0.0f);
    return a;
}

static inline float32x4_t acc4_sum(acc4 a) {
    return vaddq_f32(vaddq_f32(a.v[0], a.v[1]), vaddq_f32(a.v[2], a.v[3]));
}

/* a += q[0..15] * x[0..15], q int8. */
static inline acc4 fma_s8(acc4 a, int8x16_t q, const float *x) {
    int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_high_s8(q);
    a.v[0] = vfmaq_f32(a.v[0], vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), vld1q_f32(x));
    a.v[1] = vfmaq_f32(a.v[1], vcvtq_f32_s32(vmovl_high_s16(lo)), vld1q_f32(x + 4));
    a.v[2] = vfmaq_f32(a.v[2], vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), vld1q_f32(x + 8));
    a.v[3] = vfmaq_f32(a.v[3], vcvtq_f32_s32(vmovl_high_s16(hi)), vld1q_f32(x + 12));
    return a;
}

/* a += q[0..15] * x[0..15], q uint8. */
static inline acc4 fma_u8(acc4 a, uint8x16_t q, const float *x) {
    uint16x8_t lo = vmovl_u8(vget_low_u8(q)), hi = vmovl_high_u8(q);
    a.v[0] = vfmaq_f32(a.v[0], vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo))), vld1q_f32(x));
    a.v[1] = vfmaq_f32(a.v[1], vcvtq_f32_u32(vmovl_high_u16(lo)), vld1q_f32(x + 4));
    a.v[2] = vfmaq_f32(a.v[2], vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi))), vld1q_f32(x + 8));
    a.v[3] = vfmaq_f32(a.v[3], vcvtq_f32_u32(vmovl_high_u16(hi)), vld1q_f32(x + 12));
    return a;
}

/* Sum of x[0..15] into a. */
static inline float32x4_t add16(float32x4_t a, const float *x) {
    return vaddq_f32(a, vaddq_f32(vaddq_f32(vld1q_f32(x), vld1q_f32(x + 4)),
                                  vaddq_f32(vld1q_f32(x + 8), vld1q_f32(x + 12))));
}

/* ---- plain formats: 16 at a time, then 4, then scalar ---------------------- */

static float dot_f32(int64_t n, const void *row, const float *x) {
    const float *w = row;
    acc4 a = acc4_zero();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++)
            a.v[k] = vfmaq_f32(a.v[k], vld1q_f32(w + i + 4 * k), vld1q_f32(x + i + 4 * k));
    for (; i + 4 <= n; i += 4) a.v[0] = vfmaq_f32(a.v[0], vld1q_f32(w + i), vld1q_f32(x + i));
    float s = vaddvq_f32(acc4_sum(a));
    for (; i < n; i++) s += w[i] * x[i];
    return s;
}

static inline float32x4_t f16x4(const uint16_t *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

static float dot_f16(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    acc4 a = acc4_zero();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++)
            a.v[k] = vfmaq_f32(a.v[k], f16x4(w + i + 4 * k), vld1q_f32(x + i + 4 * k));
    for (; i + 4 <= n; i += 4) a.v[0] = vfmaq_f32(a.v[0], f16x4(w + i), vld1q_f32(x + i));
    float s = vaddvq_f32(acc4_sum(a));
    for (; i < n; i++) s += fp16(w + i) * x[i];
    return s;
}

/* bf16 is the top half of an f32: widen with a left shift of 16. */
static inline float32x4_t bf16x4(const uint16_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

static float dot_bf16(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    acc4 a = acc4_zero();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++)
            a.v[k] = vfmaq_f32(a.v[k], bf16x4(w + i + 4 * k), vld1q_f32(x + i + 4 * k));
    for (; i + 4 <= n; i += 4) a.v[0] = vfmaq_f32(a.v[0], bf16x4(w + i), vld1q_f32(x + i));
    float s = vaddvq_f32(acc4_sum(a));
    for (; i < n; i++) {
        uint32_t u = (uint32_t)w[i] << 16;
        float f;
        memcpy(&f, &u, 4);
        s += f * x[i];
    }
    return s;
}

/* I8: scale * sum(q * x); the int8 data start 4 bytes into the row. */
static float dot_i8(int64_t n, const void *row, const float *x) {
    const int8_t *q = (const int8_t *)row + TEAI_I8_HDR;
    acc4 a = acc4_zero();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) a = fma_s8(a, vld1q_s8(q + i), x + i);
    float s = vaddvq_f32(acc4_sum(a));
    for (; i < n; i++) s += (float)q[i] * x[i];
    return fp16(row) * s;
}

/* ---- 32-element blocks: acc += d * (sum over the block of q*x) ------------- */

static float dot_q8_0(int64_t n, const void *row, const float *x) {
    const teai__block_q8_0 *b = row;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
    for (int64_t i = 0; i < n / TEAI_QK8_0; i++, x += TEAI_QK8_0) {
        acc4 t = fma_s8(acc4_zero(), vld1q_s8(b[i].qs), x);
        t = fma_s8(t, vld1q_s8(b[i].qs + 16), x + 16);
        if (i & 1)
            acc1 = vfmaq_n_f32(acc1, acc4_sum(t), fp16(&b[i].d));
        else
            acc0 = vfmaq_n_f32(acc0, acc4_sum(t), fp16(&b[i].d));
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/* Byte j: element j (low nibble) and j + 16 (high), both minus 8. */
static float dot_q4_0(int64_t n, const void *row, const float *x) {
    const teai__block_q4_0 *b = row;
    const uint8x16_t m15 = vdupq_n_u8(15);
    const int8x16_t k8 = vdupq_n_s8(8);
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
    for (int64_t i = 0; i < n / TEAI_QK4_0; i++, x += TEAI_QK4_0) {
        uint8x16_t v = vld1q_u8(b[i].qs);
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, m15)), k8);
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), k8);
        acc4 t = fma_s8(fma_s8(acc4_zero(), lo, x), hi, x + 16);
        if (i & 1)
            acc1 = vfmaq_n_f32(acc1, acc4_sum(t), fp16(&b[i].d));
        else
            acc0 = vfmaq_n_f32(acc0, acc4_sum(t), fp16(&b[i].d));
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/* ---- NF4: codebook lookup on byte planes ----------------------------------
 * vld4q_u8 over the 64 bytes of the codebook gives 4 tables, table k holding
 * byte k of each of the 16 floats; a vqtbl1q_u8 lookup per table and two rounds
 * of zips put the bytes of 16 floats back together (little-endian). */

static inline acc4 fma_nf4(acc4 a, uint8x16x4_t cb, uint8x16_t idx, const float *x) {
    uint8x16_t b0 = vqtbl1q_u8(cb.val[0], idx), b1 = vqtbl1q_u8(cb.val[1], idx);
    uint8x16_t b2 = vqtbl1q_u8(cb.val[2], idx), b3 = vqtbl1q_u8(cb.val[3], idx);
    uint8x16x2_t z01 = vzipq_u8(b0, b1), z23 = vzipq_u8(b2, b3);
    uint16x8x2_t w0 = vzipq_u16(vreinterpretq_u16_u8(z01.val[0]), vreinterpretq_u16_u8(z23.val[0]));
    uint16x8x2_t w1 = vzipq_u16(vreinterpretq_u16_u8(z01.val[1]), vreinterpretq_u16_u8(z23.val[1]));
    a.v[0] = vfmaq_f32(a.v[0], vreinterpretq_f32_u16(w0.val[0]), vld1q_f32(x));
    a.v[1] = vfmaq_f32(a.v[1], vreinterpretq_f32_u16(w0.val[1]), vld1q_f32(x + 4));
    a.v[2] = vfmaq_f32(a.v[2], vreinterpretq_f32_u16(w1.val[0]), vld1q_f32(x + 8));
    a.v[3] = vfmaq_f32(a.v[3], vreinterpretq_f32_u16(w1.val[1]), vld1q_f32(x + 12));
    return a;
}

static float dot_nf4(int64_t n, const void *row, const float *x) {
    const teai__block_nf4 *b = row;
    const uint8x16x4_t cb = vld4q_u8((const uint8_t *)teai__nf4_values);
    const uint8x16_t m15 = vdupq_n_u8(15);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++, x += TEAI_QKNF4) {
        acc4 t = acc4_zero();
        for (int c = 0; c < 2; c++) { /* bytes 16c..16c+15: elements 16c.. and 32+16c.. */
            uint8x16_t v = vld1q_u8(b[i].qs + 16 * c);
            t = fma_nf4(t, cb, vandq_u8(v, m15), x + 16 * c);
            t = fma_nf4(t, cb, vshrq_n_u8(v, 4), x + 32 + 16 * c);
        }
        acc = vfmaq_n_f32(acc, acc4_sum(t), fp16(&b[i].absmax));
    }
    return vaddvq_f32(acc);
}

/* ---- Q4_K ------------------------------------------------------------------
 * dot = sum_j d*sc_j * sum(q*x) - dmin*m_j * sum(x) over sub-blocks j of 32;
 * the matvec computes the sums of x once (xsum[j]) for all rows. */

static inline __attribute__((always_inline)) float q4_k_row(int64_t n, const teai__block_q4_k *b,
                                                            const float *x, const float *xsum) {
    const uint8x16_t m15 = vdupq_n_u8(15);
    float32x4_t acc = vdupq_n_f32(0.0f), macc = acc;
    float mins = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++, x += TEAI_QK_K) {
        float d = fp16(&b[i].d), dmin = fp16(&b[i].dmin);
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) teai__q4k_scale_min(j, b[i].scales, &sc[j], &m[j]);
        if (xsum) {
            const float *xs = xsum + 8 * i;
            float s = 0.0f;
            for (int j = 0; j < 8; j++) s += (float)m[j] * xs[j];
            mins += dmin * s;
        }
        for (int p = 0; p < 4; p++) { /* 32 bytes: sub-blocks 2p (low) and 2p+1 (high) */
            const uint8_t *q = b[i].qs + 32 * p;
            const float *x0 = x + 64 * p, *x1 = x0 + 32;
            uint8x16_t v0 = vld1q_u8(q), v1 = vld1q_u8(q + 16);
            acc4 t0 =
                fma_u8(fma_u8(acc4_zero(), vandq_u8(v0, m15), x0), vandq_u8(v1, m15), x0 + 16);
            acc4 t1 =
                fma_u8(fma_u8(acc4_zero(), vshrq_n_u8(v0, 4), x1), vshrq_n_u8(v1, 4), x1 + 16);
            acc = vfmaq_n_f32(acc, acc4_sum(t0), d * (float)sc[2 * p]);
            acc = vfmaq_n_f32(acc, acc4_sum(t1), d * (float)sc[2 * p + 1]);
            if (!xsum) {
                float32x4_t s0 = add16(add16(vdupq_n_f32(0.0f), x0), x0 + 16);
                float32x4_t s1 = add16(add16(vdupq_n_f32(0.0f), x1), x1 + 16);
                macc = vfmaq_n_f32(macc, s0, dmin * (float)m[2 * p]);
                macc = vfmaq_n_f32(macc, s1, dmin * (float)m[2 * p + 1]);
            }
        }
    }
    return vaddvq_f32(acc) - (xsum ? mins : vaddvq_f32(macc));
}

static float dot_q4_k(int64_t n, const void *row, const float *x) {
    return q4_k_row(n, row, x, NULL);
}

/* Sub-blocks of x a stack buffer of xsum covers (128K columns). */
#define Q4K_XSUM_MAX 4096

static void matvec_q4_k(const void *W, size_t row_bytes, int64_t cols, int64_t r0, int64_t r1,
                        const float *x, float *y) {
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
    int64_t nsub = cols / 32;
    if (nsub > Q4K_XSUM_MAX) {
        for (int64_t r = r0; r < r1; r++, w += row_bytes)
            y[r] = q4_k_row(cols, (const void *)w, x, NULL);
        return;
    }
    float xsum[Q4K_XSUM_MAX];
    for (int64_t j = 0; j < nsub; j++)
        xsum[j] = vaddvq_f32(add16(add16(vdupq_n_f32(0.0f), x + 32 * j), x + 32 * j + 16));
    for (int64_t r = r0; r < r1; r++, w += row_bytes)
        y[r] = q4_k_row(cols, (const void *)w, x, xsum);
}

/* ---- Q6_K ------------------------------------------------------------------
 * Per half of 128 and l in 0..31 (quant_simd.h): bytes ql[l], ql[l+32], qh[l]
 * give elements l, l+32, l+64, l+96. Elements 16c..16c+15 of each quarter
 * share one scale: sc[c], sc[c+2], sc[c+4], sc[c+6]. */

static float dot_q6_k(int64_t n, const void *row, const float *x) {
    const teai__block_q6_k *b = row;
    const uint8x16_t m15 = vdupq_n_u8(15), m48 = vdupq_n_u8(48);
    const int8x16_t k32 = vdupq_n_s8(32);
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        float d = fp16(&b[i].d);
        for (int h = 0; h < 2; h++, x += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            for (int c = 0; c < 2; c++) {
                int l = 16 * c;
                uint8x16_t a = vld1q_u8(ql + l), bb = vld1q_u8(ql + l + 32), hb = vld1q_u8(qh + l);
                uint8x16_t q1 = vorrq_u8(vandq_u8(a, m15), vandq_u8(vshlq_n_u8(hb, 4), m48));
                uint8x16_t q2 = vorrq_u8(vandq_u8(bb, m15), vandq_u8(vshlq_n_u8(hb, 2), m48));
                uint8x16_t q3 = vorrq_u8(vshrq_n_u8(a, 4), vandq_u8(hb, m48));
                uint8x16_t q4 = vorrq_u8(vshrq_n_u8(bb, 4), vandq_u8(vshrq_n_u8(hb, 2), m48));
                acc4 t1 = fma_s8(acc4_zero(), vsubq_s8(vreinterpretq_s8_u8(q1), k32), x + l);
                acc4 t2 = fma_s8(acc4_zero(), vsubq_s8(vreinterpretq_s8_u8(q2), k32), x + l + 32);
                acc4 t3 = fma_s8(acc4_zero(), vsubq_s8(vreinterpretq_s8_u8(q3), k32), x + l + 64);
                acc4 t4 = fma_s8(acc4_zero(), vsubq_s8(vreinterpretq_s8_u8(q4), k32), x + l + 96);
                acc0 = vfmaq_n_f32(acc0, acc4_sum(t1), d * (float)sc[c]);
                acc1 = vfmaq_n_f32(acc1, acc4_sum(t2), d * (float)sc[c + 2]);
                acc0 = vfmaq_n_f32(acc0, acc4_sum(t3), d * (float)sc[c + 4]);
                acc1 = vfmaq_n_f32(acc1, acc4_sum(t4), d * (float)sc[c + 6]);
            }
        }
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/* ---- tables ---------------------------------------------------------------- */

teai__dot_fn teai__dot_neon(teai_type t) {
    switch (t) {
        case TEAI_TYPE_F32:
            return dot_f32;
        case TEAI_TYPE_F16:
            return dot_f16;
        case TEAI_TYPE_BF16:
            return dot_bf16;
        case TEAI_TYPE_Q8_0:
            return dot_q8_0;
        case TEAI_TYPE_Q4_0:
            return dot_q4_0;
        case TEAI_TYPE_Q4_K:
            return dot_q4_k;
        case TEAI_TYPE_Q6_K:
            return dot_q6_k;
        case TEAI_TYPE_I8:
            return dot_i8;
        case TEAI_TYPE_NF4:
            return dot_nf4;
    }
    return NULL;
}

teai__matvec_fn teai__matvec_neon(teai_type t) {
    return t == TEAI_TYPE_Q4_K ? matvec_q4_k : NULL;
}
