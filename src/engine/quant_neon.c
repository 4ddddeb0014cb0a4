/* NEON kernels (AArch64), each the twin of a scalar reference in quant_ref.c
 * (same formula, other order of summation): dot(row, x) with x in f32 for
 * every weight format, and a matvec for Q4_K; dotq with quantized
 * activations for every format, as a tile of 1..4 vectors for F16, Q8_0,
 * Q4_0, Q4_K, Q6_K and int8; axpy. Load-time quantization is scalar here.
 * Compiled on aarch64 only, where NEON is always there.
 *
 * In dot, quantized weights are handled 16 bytes at a time: split or combine the
 * bit fields on bytes, widen int8 -> int16 -> int32 -> f32 (4 vectors of 4),
 * FMA with 16 elements of x into 4 independent accumulators. */
#include "cpu_features.h"
#include "quant_simd.h"

#include <arm_neon.h>
#include <math.h>
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

void teai__axpy_neon(int64_t n, float a, const float *x, float *y) {
    float32x4_t va = vdupq_n_f32(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), va, vld1q_f32(x + i)));
        vst1q_f32(y + i + 4, vfmaq_f32(vld1q_f32(y + i + 4), va, vld1q_f32(x + i + 4)));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), va, vld1q_f32(x + i)));
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
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

/* ==== quantized activations (teai__dotq_*) ==================================
 * Integer dot products per block, as llama.cpp's ARM kernels: sdot (4 int8
 * products summed into each int32 lane) where the CPU has it, else vmull_s8 +
 * vpadalq_s16. Both give exact int32 sums; only the lanes the products land
 * in differ, and each vector below is scaled as a whole, so the two forms may
 * differ in the last bits: every kernel takes dp (a constant) and is built in
 * both forms, and one process uses one (teai__cpu_has_dotprod, asked at run
 * time, so a plain ARMv8-A build uses sdot where the CPU has it).
 *
 * Each kernel is written once for nt (1..4) activation vectors sharing one
 * unpacked weight row (the tile, for teai__matmul_q); the per-vector
 * arithmetic does not depend on nt, so every nt gives the nt = 1 result bit
 * for bit. */

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* acc + the products a[i]*b[i], summed in groups into 4 int32 lanes: dp,
 * with sdot (lane j: products 4j..4j+3), else with vmull_s8 + vpadalq_s16.
 * A build for a target without the extension writes the sdot instruction's
 * word itself (sdot v0.4s, v1.16b, v2.16b; the assembler would refuse the
 * mnemonic), run only where the CPU has it. */
static ALWAYS_INLINE int32x4_t dot_s8(int dp, int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    (void)dp;
    return vdotq_s32(acc, a, b);
#else
    if (dp) {
        register int32x4_t d __asm__("v0") = acc;
        register int8x16_t x __asm__("v1") = a;
        register int8x16_t y __asm__("v2") = b;
        __asm__(".inst 0x4e829420" : "+w"(d) : "w"(x), "w"(y));
        return d;
    }
    int16x8_t p0 = vmull_s8(vget_low_s8(a), vget_low_s8(b)); /* |p| <= 128*128: fits */
    int16x8_t p1 = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, p0), p1);
#endif
}

/* 16 int8 at any address. */
static ALWAYS_INLINE int8x16_t ld_s8(const void *p) {
    return vreinterpretq_s8_u8(vld1q_u8((const uint8_t *)p));
}

/* 32 signed weights (w.val[0]: elements 0..15, w.val[1]: 16..31) of one block
 * against Q8_0 activation blocks: acc[k] += (dw * dy_k) * sum(w * y_k). y
 * points at that block of vector 0. */
static ALWAYS_INLINE void q8_block(int dp, int8x16x2_t w, float dw, const uint8_t *y, size_t st,
                                   int nt, float32x4_t *acc) {
    for (int k = 0; k < nt; k++) {
        const uint8_t *yb = y + (size_t)k * st;
        int32x4_t s = dot_s8(dp, dot_s8(dp, vdupq_n_s32(0), w.val[0], ld_s8(yb + 2)), w.val[1],
                             ld_s8(yb + 18));
        acc[k] = vfmaq_n_f32(acc[k], vcvtq_f32_s32(s), dw * fp16(yb));
    }
}

/* The 32 weights of block i: Q8_0 as they are; Q4_0 byte j holds element j
 * (low nibble) and j + 16 (high), minus 8; I8 (the data after the row
 * header, no block scale: dw = 1). */
static ALWAYS_INLINE int8x16x2_t q8_0_weights(const teai__block_q8_0 *b, int64_t i, float *dw) {
    int8x16x2_t w = {{ld_s8(b[i].qs), ld_s8(b[i].qs + 16)}};
    *dw = fp16(&b[i].d);
    return w;
}

static ALWAYS_INLINE int8x16x2_t q4_0_weights(const teai__block_q4_0 *b, int64_t i, float *dw) {
    uint8x16_t v = vld1q_u8(b[i].qs);
    const int8x16_t k8 = vdupq_n_s8(8);
    int8x16x2_t w = {{vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15))), k8),
                      vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), k8)}};
    *dw = fp16(&b[i].d);
    return w;
}

static ALWAYS_INLINE int8x16x2_t i8_weights(const int8_t *q, int64_t i, float *dw) {
    int8x16x2_t w = {{ld_s8(q + 32 * i), ld_s8(q + 32 * i + 16)}};
    *dw = 1.0f;
    return w;
}

/* sum over blocks 0..nb-1 of (dw * dy_k) * sum(w * y_k) into out[k], with two
 * accumulators per vector (even and odd blocks). */
#define Q8_BLOCKS(dp, weights, b, nb, xq, st, nt, out)                                             \
    do {                                                                                           \
        float32x4_t a0_[4], a1_[4];                                                                \
        for (int k_ = 0; k_ < (nt); k_++) a0_[k_] = a1_[k_] = vdupq_n_f32(0.0f);                   \
        int64_t i_ = 0;                                                                            \
        float d0_, d1_;                                                                            \
        for (; i_ + 2 <= (nb); i_ += 2) {                                                          \
            int8x16x2_t w0_ = weights(b, i_, &d0_), w1_ = weights(b, i_ + 1, &d1_);                \
            q8_block(dp, w0_, d0_, (xq) + 34 * i_, st, nt, a0_);                                   \
            q8_block(dp, w1_, d1_, (xq) + 34 * (i_ + 1), st, nt, a1_);                             \
        }                                                                                          \
        if (i_ < (nb)) {                                                                           \
            int8x16x2_t w0_ = weights(b, i_, &d0_);                                                \
            q8_block(dp, w0_, d0_, (xq) + 34 * i_, st, nt, a0_);                                   \
        }                                                                                          \
        for (int k_ = 0; k_ < (nt); k_++) (out)[k_] = vaddvq_f32(vaddq_f32(a0_[k_], a1_[k_]));     \
    } while (0)

static ALWAYS_INLINE void q8_0_tile(int dp, int64_t n, const teai__block_q8_0 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    Q8_BLOCKS(dp, q8_0_weights, b, n / TEAI_QK8_0, xq, st, nt, out);
}

static ALWAYS_INLINE void q4_0_tile(int dp, int64_t n, const teai__block_q4_0 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    Q8_BLOCKS(dp, q4_0_weights, b, n / TEAI_QK4_0, xq, st, nt, out);
}

/* I8 row (scale, 2 pad bytes, n int8) against Q8_0 blocks; the last block of
 * x may be partial (zero-padded), and the row ends at element n. */
static ALWAYS_INLINE void i8_tile(int dp, int64_t n, const uint8_t *row, const uint8_t *xq,
                                  size_t st, int nt, float *out) {
    const int8_t *q = (const int8_t *)(row + TEAI_I8_HDR);
    int64_t nb = n / TEAI_QK8_0;
    Q8_BLOCKS(dp, i8_weights, q, nb, xq, st, nt, out);
    for (int k = 0; k < nt; k++) {
        float s = out[k];
        if (n % TEAI_QK8_0) {
            const uint8_t *yb = xq + (size_t)k * st + 34 * nb;
            const int8_t *q8 = (const int8_t *)(yb + 2);
            int sumi = 0;
            for (int j = 0; j < (int)(n % TEAI_QK8_0); j++) sumi += q[32 * nb + j] * q8[j];
            s += fp16(yb) * (float)sumi;
        }
        out[k] = fp16(row) * s;
    }
}

/* Q4_K: per super-block, int32 lanes of sum_j sc_j * sum(q * q8) and of
 * sum_j m_j * (bsum pairs), then acc += d*dy * first - dmin*dy * second. */
static ALWAYS_INLINE void q4_k_tile(int dp, int64_t n, const teai__block_q4_k *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const uint8x16_t m15 = vdupq_n_u8(15);
    float32x4_t acc[4];
    for (int k = 0; k < nt; k++) acc[k] = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        const uint8_t *y = xq + (size_t)TEAI__Q8K_BYTES * (size_t)i;
        uint8_t sm[16];
        teai__q4k_scales_mins(b[i].scales, sm);
        int32x4_t sumi[4];
        for (int k = 0; k < nt; k++) sumi[k] = vdupq_n_s32(0);
        for (int p = 0; p < 4; p++) { /* 32 bytes: sub-blocks 2p (low) and 2p+1 (high) */
            uint8x16_t v0 = vld1q_u8(b[i].qs + 32 * p), v1 = vld1q_u8(b[i].qs + 32 * p + 16);
            int8x16_t l0 = vreinterpretq_s8_u8(vandq_u8(v0, m15));
            int8x16_t l1 = vreinterpretq_s8_u8(vandq_u8(v1, m15));
            int8x16_t h0 = vreinterpretq_s8_u8(vshrq_n_u8(v0, 4));
            int8x16_t h1 = vreinterpretq_s8_u8(vshrq_n_u8(v1, 4));
            for (int k = 0; k < nt; k++) {
                const uint8_t *q8 = y + (size_t)k * st + TEAI__Q8K_QS + 64 * p;
                int32x4_t tl =
                    dot_s8(dp, dot_s8(dp, vdupq_n_s32(0), l0, ld_s8(q8)), l1, ld_s8(q8 + 16));
                int32x4_t th =
                    dot_s8(dp, dot_s8(dp, vdupq_n_s32(0), h0, ld_s8(q8 + 32)), h1, ld_s8(q8 + 48));
                sumi[k] = vmlaq_n_s32(sumi[k], tl, sm[2 * p]);
                sumi[k] = vmlaq_n_s32(sumi[k], th, sm[2 * p + 1]);
            }
        }
        int16x8_t mins = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sm + 8)));
        float dw = fp16(&b[i].d), dmw = fp16(&b[i].dmin);
        for (int k = 0; k < nt; k++) {
            const uint8_t *yk = y + (size_t)k * st;
            int16x8_t bs0 = vreinterpretq_s16_u8(vld1q_u8(yk + TEAI__Q8K_BSUMS));
            int16x8_t bs1 = vreinterpretq_s16_u8(vld1q_u8(yk + TEAI__Q8K_BSUMS + 16));
            int16x8_t bsp = vpaddq_s16(bs0, bs1); /* lane j: bsums 2j + 2j+1 (|.| <= 4064) */
            int32x4_t mm =
                vmlal_high_s16(vmull_s16(vget_low_s16(bsp), vget_low_s16(mins)), bsp, mins);
            float dy = teai__load_f32(yk + TEAI__Q8K_D);
            acc[k] = vfmaq_n_f32(acc[k], vcvtq_f32_s32(sumi[k]), dw * dy);
            acc[k] = vfmaq_n_f32(acc[k], vcvtq_f32_s32(mm), -(dmw * dy));
        }
    }
    for (int k = 0; k < nt; k++) out[k] = vaddvq_f32(acc[k]);
}

/* Q6_K: codes minus 32 as int8 (quant_simd.h layout); bytes l..l+15 of ql,
 * ql + 32 and qh give elements l, l + 32, l + 64, l + 96 of a half, in
 * sub-blocks c, c + 2, c + 4, c + 6 of that half (l = 16c). */
static ALWAYS_INLINE void q6_k_tile(int dp, int64_t n, const teai__block_q6_k *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const uint8x16_t m15 = vdupq_n_u8(15), m48 = vdupq_n_u8(48);
    const int8x16_t k32 = vdupq_n_s8(32);
    float32x4_t acc[4];
    for (int k = 0; k < nt; k++) acc[k] = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        const uint8_t *y = xq + (size_t)TEAI__Q8K_BYTES * (size_t)i;
        int32x4_t sumi[4];
        for (int k = 0; k < nt; k++) sumi[k] = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            for (int c = 0; c < 2; c++) {
                int l = 16 * c;
                uint8x16_t a = vld1q_u8(ql + l), bb = vld1q_u8(ql + l + 32), hb = vld1q_u8(qh + l);
                uint8x16_t u1 = vorrq_u8(vandq_u8(a, m15), vandq_u8(vshlq_n_u8(hb, 4), m48));
                uint8x16_t u2 = vorrq_u8(vandq_u8(bb, m15), vandq_u8(vshlq_n_u8(hb, 2), m48));
                uint8x16_t u3 = vorrq_u8(vshrq_n_u8(a, 4), vandq_u8(hb, m48));
                uint8x16_t u4 = vorrq_u8(vshrq_n_u8(bb, 4), vandq_u8(vshrq_n_u8(hb, 2), m48));
                int8x16_t q1 = vsubq_s8(vreinterpretq_s8_u8(u1), k32);
                int8x16_t q2 = vsubq_s8(vreinterpretq_s8_u8(u2), k32);
                int8x16_t q3 = vsubq_s8(vreinterpretq_s8_u8(u3), k32);
                int8x16_t q4 = vsubq_s8(vreinterpretq_s8_u8(u4), k32);
                for (int k = 0; k < nt; k++) {
                    const uint8_t *q8 = y + (size_t)k * st + TEAI__Q8K_QS + 128 * h + l;
                    const int32x4_t z = vdupq_n_s32(0);
                    sumi[k] = vmlaq_n_s32(sumi[k], dot_s8(dp, z, q1, ld_s8(q8)), sc[c]);
                    sumi[k] = vmlaq_n_s32(sumi[k], dot_s8(dp, z, q2, ld_s8(q8 + 32)), sc[c + 2]);
                    sumi[k] = vmlaq_n_s32(sumi[k], dot_s8(dp, z, q3, ld_s8(q8 + 64)), sc[c + 4]);
                    sumi[k] = vmlaq_n_s32(sumi[k], dot_s8(dp, z, q4, ld_s8(q8 + 96)), sc[c + 6]);
                }
            }
        }
        float dw = fp16(&b[i].d);
        for (int k = 0; k < nt; k++) {
            float dy = teai__load_f32(y + (size_t)k * st + TEAI__Q8K_D);
            acc[k] = vfmaq_n_f32(acc[k], vcvtq_f32_s32(sumi[k]), dw * dy);
        }
    }
    for (int k = 0; k < nt; k++) out[k] = vaddvq_f32(acc[k]);
}

/* F16 weights, fp16 activations: widen both, FMA in f32, 4 accumulators per
 * vector. */
static ALWAYS_INLINE void f16_tile(int64_t n, const uint8_t *row, const uint8_t *xq, size_t st,
                                   int nt, float *out) {
    const uint16_t *w = (const uint16_t *)row;
    float32x4_t a[4][4];
    for (int k = 0; k < nt; k++)
        for (int u = 0; u < 4; u++) a[k][u] = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t wv[4];
        for (int u = 0; u < 4; u++) wv[u] = f16x4(w + i + 4 * u);
        for (int k = 0; k < nt; k++) {
            const uint16_t *x = (const uint16_t *)(xq + (size_t)k * st) + i;
            for (int u = 0; u < 4; u++) a[k][u] = vfmaq_f32(a[k][u], wv[u], f16x4(x + 4 * u));
        }
    }
    for (int u = 0; i + 4 <= n; i += 4, u++) {
        float32x4_t wv = f16x4(w + i);
        for (int k = 0; k < nt; k++)
            a[k][u] = vfmaq_f32(a[k][u], wv, f16x4((const uint16_t *)(xq + (size_t)k * st) + i));
    }
    for (int k = 0; k < nt; k++) {
        const uint8_t *x = xq + (size_t)k * st;
        float s = vaddvq_f32(vaddq_f32(vaddq_f32(a[k][0], a[k][1]), vaddq_f32(a[k][2], a[k][3])));
        for (int64_t j = i; j < n; j++) s += fp16(row + 2 * j) * fp16(x + 2 * j);
        out[k] = s;
    }
}

/* Each integer kernel without sdot (<name>_p, the table's) and with
 * (<name>_dp, teai__dotq_neon and teai__dotq_tile_neon below). */
#define DP_FORMS(name, wtype)                                                                      \
    static ALWAYS_INLINE void name##_p(int64_t n, const wtype *w, const uint8_t *x, size_t st,     \
                                       int nt, float *out) {                                       \
        name(0, n, w, x, st, nt, out);                                                             \
    }                                                                                              \
    static ALWAYS_INLINE void name##_dp(int64_t n, const wtype *w, const uint8_t *x, size_t st,    \
                                        int nt, float *out) {                                      \
        name(1, n, w, x, st, nt, out);                                                             \
    }
DP_FORMS(q8_0_tile, teai__block_q8_0)
DP_FORMS(q4_0_tile, teai__block_q4_0)
DP_FORMS(i8_tile, uint8_t)
DP_FORMS(q4_k_tile, teai__block_q4_k)
DP_FORMS(q6_k_tile, teai__block_q6_k)

TILE_FNS(q8_0, q8_0_tile_p, teai__block_q8_0)
TILE_FNS(q4_0, q4_0_tile_p, teai__block_q4_0)
TILE_FNS(i8, i8_tile_p, uint8_t)
TILE_FNS(q4_k, q4_k_tile_p, teai__block_q4_k)
TILE_FNS(q6_k, q6_k_tile_p, teai__block_q6_k)
TILE_FNS(f16, f16_tile, uint8_t)
TILE_FNS(q8_0_dp, q8_0_tile_dp, teai__block_q8_0)
TILE_FNS(q4_0_dp, q4_0_tile_dp, teai__block_q4_0)
TILE_FNS(i8_dp, i8_tile_dp, uint8_t)
TILE_FNS(q4_k_dp, q4_k_tile_dp, teai__block_q4_k)
TILE_FNS(q6_k_dp, q6_k_tile_dp, teai__block_q6_k)

/* The shared table, named teai__*_neon_base; the sdot forms where the CPU has it. */
teai__dot_fn teai__dot_neon_base(teai_type t);
teai__matvec_fn teai__matvec_neon_base(teai_type t);
teai__dotq_fn teai__dotq_neon_base(teai_type wtype);
teai__dotq_tile_fn teai__dotq_tile_neon_base(teai_type wtype);
#define TEAI__SIMD_LEVEL neon_base
#include "quant_simd_tables.h"

static const struct dp_kernels {
    teai_type type;
    teai__dotq_fn dotq;
    teai__dotq_tile_fn tile;
} dp_kernels[] = {
    {TEAI_TYPE_Q8_0, dotq_q8_0_dp, tile_q8_0_dp},
    {TEAI_TYPE_Q4_0, dotq_q4_0_dp, tile_q4_0_dp},
    {TEAI_TYPE_I8, dotq_i8_dp, tile_i8_dp},
    {TEAI_TYPE_Q4_K, dotq_q4_k_dp, tile_q4_k_dp},
    {TEAI_TYPE_Q6_K, dotq_q6_k_dp, tile_q6_k_dp},
    {TEAI_TYPE_NF4, teai__dotq_nf4i_neon_dp, teai__tile_nf4i_neon_dp}, /* quant_nf4_neon.c */
};

static const struct dp_kernels *dp_find(teai_type t) {
    if (!teai__cpu_has_dotprod()) return NULL;
    for (size_t i = 0; i < sizeof dp_kernels / sizeof *dp_kernels; i++)
        if (dp_kernels[i].type == t) return &dp_kernels[i];
    return NULL;
}

teai__dot_fn teai__dot_neon(teai_type t) {
    return teai__dot_neon_base(t);
}

teai__matvec_fn teai__matvec_neon(teai_type t) {
    return teai__matvec_neon_base(t);
}

teai__dotq_fn teai__dotq_neon(teai_type wtype) {
    const struct dp_kernels *k = dp_find(wtype);
    return k ? k->dotq : teai__dotq_neon_base(wtype);
}

teai__dotq_tile_fn teai__dotq_tile_neon(teai_type wtype) {
    const struct dp_kernels *k = dp_find(wtype);
    return k ? k->tile : teai__dotq_tile_neon_base(wtype);
}
