/* NF4's integer path on NEON (the formula: quant_simd.h; the scalar twin:
 * teai__dotq_nf4i_ref): a tile of one row against 1..4 Q8_0 vectors, which
 * teai__matvec_q, teai__matvec_q_multi and teai__matmul_q all run, so decode
 * and prefill agree bit for bit. Per block the low and high nibbles index
 * the int8 codebook with tbl (vqtbl1q_s8), and sdot (vdotq_s32; the _dp
 * forms, which quant_neon.c picks where the CPU has it) or vmull_s8 +
 * vpadalq_s16 (_base) sums c * y exactly. Two FMA chains per vector (the halves), added at the end.
 */
#include "quant_simd.h"

#include <arm_neon.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE float fp16(const void *p) {
    uint16x4_t h = vdup_n_u16(teai__load_u16(p));
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(h)), 0);
}

/* acc + the products a[i]*b[i], summed in groups into 4 int32 lanes: dp,
 * with sdot, else with vmull_s8 + vpadalq_s16 (quant_neon.c's dot_s8: a
 * build for a target without the extension writes sdot's instruction word,
 * run only where the CPU has it). */
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
    int16x8_t p0 = vmull_s8(vget_low_s8(a), vget_low_s8(b)); /* |p| <= 127*128: fits */
    int16x8_t p1 = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, p0), p1);
#endif
}

static ALWAYS_INLINE int8x16_t ld_s8(const void *p) {
    return vreinterpretq_s8_u8(vld1q_u8((const uint8_t *)p));
}

static ALWAYS_INLINE void tile_body(int dp, int64_t n, const teai__block_nf4 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const int8x16_t table = vld1q_s8(teai__nf4_i8);
    const uint8x16_t m15 = vdupq_n_u8(15);
    float32x4_t a0[4], a1[4];
    for (int k = 0; k < nt; k++) a0[k] = a1[k] = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++) {
        uint8x16_t q0 = vld1q_u8(b[i].qs), q1 = vld1q_u8(b[i].qs + 16);
        /* elements 0..15, 16..31 (low nibbles), 32..47, 48..63 (high) */
        int8x16_t c0 = vqtbl1q_s8(table, vandq_u8(q0, m15));
        int8x16_t c1 = vqtbl1q_s8(table, vandq_u8(q1, m15));
        int8x16_t c2 = vqtbl1q_s8(table, vshrq_n_u8(q0, 4));
        int8x16_t c3 = vqtbl1q_s8(table, vshrq_n_u8(q1, 4));
        float a = fp16(&b[i].absmax);
        for (int k = 0; k < nt; k++) {
            const uint8_t *y = xq + (size_t)k * st + 2 * sizeof(teai__block_q8_0) * (size_t)i;
            float d0 = fp16(y) * (1.0f / 127.0f), d1 = fp16(y + 34) * (1.0f / 127.0f);
            int32x4_t s0 =
                dot_s8(dp, dot_s8(dp, vdupq_n_s32(0), c0, ld_s8(y + 2)), c1, ld_s8(y + 18));
            int32x4_t s1 =
                dot_s8(dp, dot_s8(dp, vdupq_n_s32(0), c2, ld_s8(y + 36)), c3, ld_s8(y + 52));
            a0[k] = vfmaq_n_f32(a0[k], vcvtq_f32_s32(s0), a * d0);
            a1[k] = vfmaq_n_f32(a1[k], vcvtq_f32_s32(s1), a * d1);
        }
    }
    for (int k = 0; k < nt; k++) out[k] = vaddvq_f32(vaddq_f32(a0[k], a1[k]));
}

/* The entry points with and without sdot, nt fixed per case. */
#define NF4_FNS(suffix, dp)                                                                        \
    float teai__dotq_nf4i_neon_##suffix(int64_t n, const void *row, const void *xq) {              \
        float out;                                                                                 \
        tile_body(dp, n, row, xq, 0, 1, &out);                                                     \
        return out;                                                                                \
    }                                                                                              \
    void teai__tile_nf4i_neon_##suffix(int64_t n, const void *row, const void *xq, size_t st,      \
                                       int nt, float *out) {                                       \
        switch (nt) {                                                                              \
            case 1:                                                                                \
                tile_body(dp, n, row, xq, st, 1, out);                                             \
                break;                                                                             \
            case 2:                                                                                \
                tile_body(dp, n, row, xq, st, 2, out);                                             \
                break;                                                                             \
            case 3:                                                                                \
                tile_body(dp, n, row, xq, st, 3, out);                                             \
                break;                                                                             \
            default:                                                                               \
                tile_body(dp, n, row, xq, st, 4, out);                                             \
                break;                                                                             \
        }                                                                                          \
    }

NF4_FNS(base, 0)
NF4_FNS(dp, 1)
