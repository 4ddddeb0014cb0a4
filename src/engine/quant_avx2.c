/* AVX2 + FMA + F16C dot kernels: dot(row, x) with x in f32, one per weight
 * format, each the twin of a scalar reference in quant.c (same formula, other
 * order of summation). Compiled with -mavx2 -mfma -mf16c on x86_64 only and
 * called only when the CPU has all three (teai__dot_best).
 *
 * Quantized weights are widened 8 at a time: vpmovzx/sx from 8 bytes of
 * memory to 8 int32 lanes, then to f32, then FMA with 8 elements of x. A
 * 4-bit format splits the nibbles in the int32 lanes, so one 8-byte load
 * gives the two groups of 8 elements that share those bytes. */
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float fp16(const void *p) {
    return _cvtsh_ss(teai__load_u16(p));
}

/* 8 bytes at p in the low half of a vector. */
static inline __m128i load8(const void *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return _mm_cvtsi64_si128(v);
}

/* 8 int8 at p as 8 f32. */
static inline __m256 i8x8(const void *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(load8(p)));
}

/* 8 uint8 at p as 8 int32 lanes. */
static inline __m256i u8x8(const void *p) {
    return _mm256_cvtepu8_epi32(load8(p));
}

static inline __m256 f32(__m256i v) {
    return _mm256_cvtepi32_ps(v);
}

/* ---- plain formats: 4 accumulators of 8, then 8 at a time, then scalar ---- */

static float dot_f32(int64_t n, const void *row, const float *x) {
    const float *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += w[i] * x[i];
    return s;
}

static inline __m256 f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static float dot_f16(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(f16x8(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(f16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(f16x8(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(f16x8(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(f16x8(w + i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += _cvtsh_ss(w[i]) * x[i];
    return s;
}

/* bf16 is the top half of an f32: widen to 32 bits and shift left 16. */
static inline __m256 bf16x8(const uint16_t *p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

static float dot_bf16(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(bf16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(bf16x8(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(bf16x8(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
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
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(i8x8(q + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(i8x8(q + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(i8x8(q + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(i8x8(q + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(i8x8(q + i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += (float)q[i] * x[i];
    return fp16(row) * s;
}

/* ---- 32-element blocks: acc += d * (sum over the block of q*x) ----------- */

static inline __m256 q8_0_block(const teai__block_q8_0 *b, const float *x, __m256 acc) {
    __m256 t = _mm256_mul_ps(i8x8(b->qs), _mm256_loadu_ps(x));
    t = _mm256_fmadd_ps(i8x8(b->qs + 8), _mm256_loadu_ps(x + 8), t);
    t = _mm256_fmadd_ps(i8x8(b->qs + 16), _mm256_loadu_ps(x + 16), t);
    t = _mm256_fmadd_ps(i8x8(b->qs + 24), _mm256_loadu_ps(x + 24), t);
    return _mm256_fmadd_ps(_mm256_set1_ps(fp16(&b->d)), t, acc);
}

static float dot_q8_0(int64_t n, const void *row, const float *x) {
    const teai__block_q8_0 *b = row;
    int64_t nb = n / TEAI_QK8_0, i = 0;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    for (; i + 2 <= nb; i += 2) {
        a0 = q8_0_block(b + i, x + TEAI_QK8_0 * i, a0);
        a1 = q8_0_block(b + i + 1, x + TEAI_QK8_0 * (i + 1), a1);
    }
    if (i < nb) a0 = q8_0_block(b + i, x + TEAI_QK8_0 * i, a0);
    return hsum(_mm256_add_ps(a0, a1));
}

/* Bytes 0..7 give elements 0..7 (low nibbles) and 16..23 (high); bytes 8..15
 * give 8..15 and 24..31. */
static inline __m256 q4_0_block(const teai__block_q4_0 *b, const float *x, __m256 acc) {
    const __m256i m15 = _mm256_set1_epi32(15), k8 = _mm256_set1_epi32(8);
    __m256i v0 = u8x8(b->qs), v1 = u8x8(b->qs + 8);
    __m256 t =
        _mm256_mul_ps(f32(_mm256_sub_epi32(_mm256_and_si256(v0, m15), k8)), _mm256_loadu_ps(x));
    t = _mm256_fmadd_ps(f32(_mm256_sub_epi32(_mm256_and_si256(v1, m15), k8)),
                        _mm256_loadu_ps(x + 8), t);
    t = _mm256_fmadd_ps(f32(_mm256_sub_epi32(_mm256_srli_epi32(v0, 4), k8)),
                        _mm256_loadu_ps(x + 16), t);
    t = _mm256_fmadd_ps(f32(_mm256_sub_epi32(_mm256_srli_epi32(v1, 4), k8)),
                        _mm256_loadu_ps(x + 24), t);
    return _mm256_fmadd_ps(_mm256_set1_ps(fp16(&b->d)), t, acc);
}

static float dot_q4_0(int64_t n, const void *row, const float *x) {
    const teai__block_q4_0 *b = row;
    int64_t nb = n / TEAI_QK4_0, i = 0;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    for (; i + 2 <= nb; i += 2) {
        a0 = q4_0_block(b + i, x + TEAI_QK4_0 * i, a0);
        a1 = q4_0_block(b + i + 1, x + TEAI_QK4_0 * (i + 1), a1);
    }
    if (i < nb) a0 = q4_0_block(b + i, x + TEAI_QK4_0 * i, a0);
    return hsum(_mm256_add_ps(a0, a1));
}

/* ---- NF4: codebook lookup with two 8-entry permutes ---------------------- */

/* teai__nf4_values[idx] for 8 codes 0..15: permute within each half of the
 * codebook, pick the half by bit 3 (moved to the sign bit for blendv). */
static inline __m256 nf4_lookup(__m256i idx, __m256 lo, __m256 hi) {
    __m256 a = _mm256_permutevar8x32_ps(lo, idx), b = _mm256_permutevar8x32_ps(hi, idx);
    return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

static float dot_nf4(int64_t n, const void *row, const float *x) {
    const teai__block_nf4 *b = row;
    const __m256 lo = _mm256_loadu_ps(teai__nf4_values), hi = _mm256_loadu_ps(teai__nf4_values + 8);
    const __m256i m15 = _mm256_set1_epi32(15);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++, x += TEAI_QKNF4) {
        __m256 t0 = _mm256_setzero_ps(), t1 = t0;
        for (int c = 0; c < 4; c++) { /* bytes 8c..8c+7: elements 8c.. and 32+8c.. */
            __m256i v = u8x8(b[i].qs + 8 * c);
            t0 = _mm256_fmadd_ps(nf4_lookup(_mm256_and_si256(v, m15), lo, hi),
                                 _mm256_loadu_ps(x + 8 * c), t0);
            t1 = _mm256_fmadd_ps(nf4_lookup(_mm256_srli_epi32(v, 4), lo, hi),
                                 _mm256_loadu_ps(x + 32 + 8 * c), t1);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(&b[i].absmax)), _mm256_add_ps(t0, t1), acc);
    }
    return hsum(acc);
}

/* ---- Q4_K ------------------------------------------------------------------
 * dot = sum_j d*sc_j * sum(q*x) - dmin*m_j * sum(x) over sub-blocks j of 32.
 * The sums of x do not depend on the row: the matvec computes them once
 * (xsum[j], one per sub-block of x) and the row loop skips them. */

static inline __attribute__((always_inline)) float q4_k_row(int64_t n, const teai__block_q4_k *b,
                                                            const float *x, const float *xsum) {
    const __m256i m15 = _mm256_set1_epi32(15);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, macc = acc0;
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
            __m256 t0 = _mm256_setzero_ps(), t1 = t0, s0 = t0, s1 = t0;
            for (int c = 0; c < 4; c++) {
                __m256i v = u8x8(q + 8 * c);
                __m256 xa = _mm256_loadu_ps(x0 + 8 * c), xb = _mm256_loadu_ps(x1 + 8 * c);
                t0 = _mm256_fmadd_ps(f32(_mm256_and_si256(v, m15)), xa, t0);
                t1 = _mm256_fmadd_ps(f32(_mm256_srli_epi32(v, 4)), xb, t1);
                if (!xsum) {
                    s0 = _mm256_add_ps(s0, xa);
                    s1 = _mm256_add_ps(s1, xb);
                }
            }
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[2 * p]), t0, acc0);
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[2 * p + 1]), t1, acc1);
            if (!xsum) {
                macc = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)m[2 * p]), s0, macc);
                macc = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)m[2 * p + 1]), s1, macc);
            }
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1)) - (xsum ? mins : hsum(macc));
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
    for (int64_t j = 0; j < nsub; j++) {
        const float *xs = x + 32 * j;
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(xs), _mm256_loadu_ps(xs + 8)),
                                 _mm256_add_ps(_mm256_loadu_ps(xs + 16), _mm256_loadu_ps(xs + 24)));
        xsum[j] = hsum(s);
    }
    for (int64_t r = r0; r < r1; r++, w += row_bytes)
        y[r] = q4_k_row(cols, (const void *)w, x, xsum);
}

/* ---- Q6_K ------------------------------------------------------------------
 * Per half of 128 (quant_simd.h), the 6-bit codes are put together on bytes,
 * 32 at a time, minus 32 as int8, in element order in a stack buffer; then
 * widened 8 at a time from there. Element e of the half has scale sc[e/16]. */

static float dot_q6_k(int64_t n, const void *row, const float *x) {
    const teai__block_q6_k *b = row;
    const __m256i m15 = _mm256_set1_epi8(15), m48 = _mm256_set1_epi8(48);
    const __m256i k32 = _mm256_set1_epi8(32);
    _Alignas(32) int8_t q[128];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        float d = fp16(&b[i].d);
        for (int h = 0; h < 2; h++, x += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i hb = _mm256_loadu_si256((const __m256i *)qh);
            /* 16-bit shifts move bits across bytes; the masks keep each byte's own */
            __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, m15),
                                         _mm256_and_si256(_mm256_slli_epi16(hb, 4), m48));
            __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, m15),
                                         _mm256_and_si256(_mm256_slli_epi16(hb, 2), m48));
            __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m15),
                                         _mm256_and_si256(hb, m48));
            __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m15),
                                         _mm256_and_si256(_mm256_srli_epi16(hb, 2), m48));
            _mm256_store_si256((__m256i *)q, _mm256_sub_epi8(q1, k32));
            _mm256_store_si256((__m256i *)(q + 32), _mm256_sub_epi8(q2, k32));
            _mm256_store_si256((__m256i *)(q + 64), _mm256_sub_epi8(q3, k32));
            _mm256_store_si256((__m256i *)(q + 96), _mm256_sub_epi8(q4, k32));
            for (int g = 0; g < 8; g += 2) {
                __m256 t0 = _mm256_mul_ps(i8x8(q + 16 * g), _mm256_loadu_ps(x + 16 * g));
                __m256 t1 = _mm256_mul_ps(i8x8(q + 16 * g + 16), _mm256_loadu_ps(x + 16 * g + 16));
                t0 = _mm256_fmadd_ps(i8x8(q + 16 * g + 8), _mm256_loadu_ps(x + 16 * g + 8), t0);
                t1 = _mm256_fmadd_ps(i8x8(q + 16 * g + 24), _mm256_loadu_ps(x + 16 * g + 24), t1);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[g]), t0, acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[g + 1]), t1, acc1);
            }
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

/* ---- tables ---------------------------------------------------------------- */

teai__dot_fn teai__dot_avx2(teai_type t) {
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

teai__matvec_fn teai__matvec_avx2(teai_type t) {
    return t == TEAI_TYPE_Q4_K ? matvec_q4_k : NULL;
}
