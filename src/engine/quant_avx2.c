/* AVX2 + FMA + F16C kernels, each the twin of a scalar reference in
 * quant_ref.c (same formula, other order of summation): dot(row, x) with x
 * in f32 for every weight format, and a matvec for Q4_K; dotq with quantized
 * activations for every format, as a tile of 1..4 vectors for F16, Q8_0,
 * Q4_0, Q4_K, Q6_K and int8, and as a register tile of rows for Q8_0 and
 * Q4_0; axpy; and the per-element parts of load-time quantization (int8,
 * NF4, F16, Q8_0 activations) for quant_codec.c. Compiled with -mavx2 -mfma
 * -mf16c on x86_64 only and called only when the CPU has all three
 * (quant_dispatch.c, quant_codec.c).
 *
 * In dot, quantized weights are widened 8 at a time: vpmovzx/sx from 8 bytes of
 * memory to 8 int32 lanes, then to f32, then FMA with 8 elements of x. A
 * 4-bit format splits the nibbles in the int32 lanes, so one 8-byte load
 * gives the two groups of 8 elements that share those bytes. */
#include "quant_simd.h"
#include "util.h"

#include <immintrin.h>
#include <math.h>
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

void teai__axpy_avx2(int64_t n, float a, const float *x, float *y) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 y0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        __m256 y1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i,
                         _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
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

/* ==== quantized activations (teai__dotq_*) ==================================
 * Integer dot products per block, as llama.cpp's x86 kernels: maddubs
 * (unsigned x signed bytes -> pairs summed in int16) then madd (-> int32).
 * maddubs needs one unsigned operand: signed x signed uses |w| and y with
 * w's sign (_mm256_sign_epi8); K-quants keep their codes unsigned (Q6_K's
 * -32 offset comes back through the activation block sums, bsums).
 *
 * Each kernel is written once for nt (1..4) activation vectors sharing one
 * unpacked weight row (the tile, for teai__matmul_q); the per-vector
 * arithmetic does not depend on nt, so every nt gives the nt = 1 result bit
 * for bit. ALWAYS_INLINE with a constant nt lets the compiler keep the
 * per-vector accumulators in registers. */

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* sum of |a| * sign(b) pairs and quads: 8 int32 lanes of a signed dot. */
static ALWAYS_INLINE __m256i dot_us8(__m256i ua, __m256i sb) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ua, sb), _mm256_set1_epi16(1));
}

static ALWAYS_INLINE __m256i loadu256(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* 32 signed weights w of one block against Q8_0 activation blocks: acc[k] +=
 * (dw * dy_k) * sum(w * y_k). y points at that block of vector 0. */
static ALWAYS_INLINE void q8_block(__m256i w, float dw, const uint8_t *y, size_t st, int nt,
                                   __m256 *acc) {
    __m256i aw = _mm256_sign_epi8(w, w); /* |w|; -128 stays 0x80 = 128 unsigned */
    for (int k = 0; k < nt; k++) {
        const uint8_t *yb = y + (size_t)k * st;
        __m256i s = dot_us8(aw, _mm256_sign_epi8(loadu256(yb + 2), w));
        acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * fp16(yb)), _mm256_cvtepi32_ps(s), acc[k]);
    }
}

/* The 32 weights of block i: Q8_0 as they are; Q4_0 byte j holds element j
 * (low nibble) and j + 16 (high), minus 8; I8 (the data after the row
 * header, no block scale: dw = 1). */
static ALWAYS_INLINE __m256i q8_0_weights(const teai__block_q8_0 *b, int64_t i, float *dw) {
    *dw = fp16(&b[i].d);
    return loadu256(b[i].qs);
}

static ALWAYS_INLINE __m256i q4_0_weights(const teai__block_q4_0 *b, int64_t i, float *dw) {
    const __m128i m15 = _mm_set1_epi8(15);
    __m128i v = _mm_loadu_si128((const __m128i *)b[i].qs);
    __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m15), _mm_and_si128(v, m15));
    *dw = fp16(&b[i].d);
    return _mm256_sub_epi8(w, _mm256_set1_epi8(8));
}

static ALWAYS_INLINE __m256i i8_weights(const int8_t *q, int64_t i, float *dw) {
    *dw = 1.0f;
    return loadu256(q + 32 * i);
}

/* sum over blocks 0..nb-1 of (dw * dy_k) * sum(w * y_k) into out[k], with two
 * accumulators per vector (even and odd blocks: one FMA chain would bound the
 * loop). */
#define Q8_BLOCKS(weights, b, nb, xq, st, nt, out)                                                 \
    do {                                                                                           \
        __m256 a0_[4], a1_[4];                                                                     \
        for (int k_ = 0; k_ < (nt); k_++) a0_[k_] = a1_[k_] = _mm256_setzero_ps();                 \
        int64_t i_ = 0;                                                                            \
        float d0_, d1_;                                                                            \
        for (; i_ + 2 <= (nb); i_ += 2) {                                                          \
            __m256i w0_ = weights(b, i_, &d0_), w1_ = weights(b, i_ + 1, &d1_);                    \
            q8_block(w0_, d0_, (xq) + 34 * i_, st, nt, a0_);                                       \
            q8_block(w1_, d1_, (xq) + 34 * (i_ + 1), st, nt, a1_);                                 \
        }                                                                                          \
        if (i_ < (nb)) {                                                                           \
            __m256i w0_ = weights(b, i_, &d0_);                                                    \
            q8_block(w0_, d0_, (xq) + 34 * i_, st, nt, a0_);                                       \
        }                                                                                          \
        for (int k_ = 0; k_ < (nt); k_++) (out)[k_] = hsum(_mm256_add_ps(a0_[k_], a1_[k_]));       \
    } while (0)

static ALWAYS_INLINE void q8_0_tile(int64_t n, const teai__block_q8_0 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    Q8_BLOCKS(q8_0_weights, b, n / TEAI_QK8_0, xq, st, nt, out);
}
static ALWAYS_INLINE void q4_0_tile(int64_t n, const teai__block_q4_0 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    Q8_BLOCKS(q4_0_weights, b, n / TEAI_QK4_0, xq, st, nt, out);
}

/* Q8_0 and Q4_0 rows against Q8_0 activations, nr rows (1..ROWS_NR,
 * row_bytes apart) by nt vectors (1..ROWS_NT, st apart) at once:
 * out[r * nt + k]. 2 x 4 keeps the 8 accumulators, the weights and their
 * absolute values in the 16 AVX2 registers. Prefill only: decode streams
 * one row at a time (tile_q8_0), which the hardware prefetcher follows
 * best, with two chains per row; the two sum in different orders. One FMA
 * chain per (row, vector) over the blocks in order, so every (nr, nt) gives
 * each product bit for bit the value of (1, 1); the weights of a block are
 * unpacked once for all vectors and each activation block is loaded once for
 * all rows (the register tile llama.cpp's tinyBLAS uses for prefill). */
#define ROWS_NR 2 /* at most TEAI__ROWS_NR: rows_<type> takes up to that in pairs */
#define ROWS_NT TEAI__ROWS_NT
#define Q8_ROWS(weights, wtype, n, W, rb, xq, st, nr, nt, out)                                     \
    do {                                                                                           \
        __m256 acc_[ROWS_NR][ROWS_NT];                                                             \
        for (int r_ = 0; r_ < (nr); r_++)                                                          \
            for (int k_ = 0; k_ < (nt); k_++) acc_[r_][k_] = _mm256_setzero_ps();                  \
        int64_t nb_ = (n) / 32;                                                                    \
        for (int64_t i_ = 0; i_ < nb_; i_++) {                                                     \
            __m256i w_[ROWS_NR], aw_[ROWS_NR];                                                     \
            float dw_[ROWS_NR];                                                                    \
            for (int r_ = 0; r_ < (nr); r_++) {                                                    \
                w_[r_] = weights((const wtype *)((const uint8_t *)(W) + (size_t)r_ * (rb)), i_,    \
                                 &dw_[r_]);                                                        \
                aw_[r_] = _mm256_sign_epi8(w_[r_], w_[r_]);                                        \
            }                                                                                      \
            for (int k_ = 0; k_ < (nt); k_++) {                                                    \
                const uint8_t *yb_ = (xq) + (size_t)k_ * (st) + 34 * i_;                           \
                __m256i y_ = loadu256(yb_ + 2);                                                    \
                float dy_ = fp16(yb_);                                                             \
                for (int r_ = 0; r_ < (nr); r_++) {                                                \
                    __m256i s_ = dot_us8(aw_[r_], _mm256_sign_epi8(y_, w_[r_]));                   \
                    acc_[r_][k_] = _mm256_fmadd_ps(_mm256_set1_ps(dw_[r_] * dy_),                  \
                                                   _mm256_cvtepi32_ps(s_), acc_[r_][k_]);          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int r_ = 0; r_ < (nr); r_++)                                                          \
            for (int k_ = 0; k_ < (nt); k_++) (out)[r_ * (nt) + k_] = hsum(acc_[r_][k_]);          \
    } while (0)

#define ROWS_FNS(name, weights, wtype)                                                             \
    static ALWAYS_INLINE void rows_##name##_body(int64_t n, const void *W, size_t rb,              \
                                                 const uint8_t *xq, size_t st, int nr, int nt,     \
                                                 float *out) {                                     \
        Q8_ROWS(weights, wtype, n, W, rb, xq, st, nr, nt, out);                                    \
    }                                                                                              \
    static void rows2_##name(int64_t n, const void *W, size_t rb, int nr, const void *xq,          \
                             size_t st, int nt, float *out) {                                      \
        const uint8_t *x = xq;                                                                     \
        switch (nr * 8 + nt) {                                                                     \
            case 2 * 8 + 4:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 2, 4, out);                                    \
                break;                                                                             \
            case 2 * 8 + 3:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 2, 3, out);                                    \
                break;                                                                             \
            case 2 * 8 + 2:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 2, 2, out);                                    \
                break;                                                                             \
            case 2 * 8 + 1:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 2, 1, out);                                    \
                break;                                                                             \
            case 1 * 8 + 4:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 1, 4, out);                                    \
                break;                                                                             \
            case 1 * 8 + 3:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 1, 3, out);                                    \
                break;                                                                             \
            case 1 * 8 + 2:                                                                        \
                rows_##name##_body(n, W, rb, x, st, 1, 2, out);                                    \
                break;                                                                             \
            default:                                                                               \
                rows_##name##_body(n, W, rb, x, st, 1, 1, out);                                    \
                break;                                                                             \
        }                                                                                          \
    }                                                                                              \
    static void rows_##name(int64_t n, const void *W, size_t rb, int nr, const void *xq,           \
                            size_t st, int nt, float *out) {                                       \
        for (int r = 0; r < nr; r += ROWS_NR)                                                      \
            rows2_##name(n, (const uint8_t *)W + (size_t)r * rb, rb,                               \
                         nr - r < ROWS_NR ? nr - r : ROWS_NR, xq, st, nt, out + r * nt);           \
    }

TILE_FNS(q8_0, q8_0_tile, teai__block_q8_0)
TILE_FNS(q4_0, q4_0_tile, teai__block_q4_0)
ROWS_FNS(q8_0, q8_0_weights, teai__block_q8_0)
ROWS_FNS(q4_0, q4_0_weights, teai__block_q4_0)

teai__dotq_rows_fn teai__dotq_rows_avx2(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_Q8_0:
            return rows_q8_0;
        case TEAI_TYPE_Q4_0:
            return rows_q4_0;
        default:
            return NULL;
    }
}

/* I8 row (scale, 2 pad bytes, n int8) against Q8_0 blocks; the last block of
 * x may be partial (zero-padded), and the row ends at element n. */
static ALWAYS_INLINE void i8_tile(int64_t n, const uint8_t *row, const uint8_t *xq, size_t st,
                                  int nt, float *out) {
    const int8_t *q = (const int8_t *)(row + TEAI_I8_HDR);
    int64_t nb = n / TEAI_QK8_0;
    Q8_BLOCKS(i8_weights, q, nb, xq, st, nt, out);
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

/* int16 lanes of a vector holding 8 int16 (twice): byte pair (2j, 2j+1)
 * everywhere, i.e. lane j broadcast (ggml's get_scale_shuffle_k4). */
static const uint8_t k4_bcast[8][32] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
     0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
    {2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
     4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5},
    {6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
     6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
     8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9},
    {10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11,
     10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13,
     12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13},
    {14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
     14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

/* int16 lanes m0 m0 m1 m1 m2 m2 m3 m3 | m4 m4 ... m7 m7 from m0..m7 in both
 * halves: each min next to the two bsums of its sub-block of 32. */
static const uint8_t k4_mins_dup[32] = {0, 1, 0, 1, 2,  3,  2,  3,  4,  5,  4,  5,  6,  7,  6,  7,
                                        8, 9, 8, 9, 10, 11, 10, 11, 12, 13, 12, 13, 14, 15, 14, 15};

/* Q4_K: per super-block, int32 lanes of sum_j sc_j * sum(q * q8) and of
 * sum_j m_j * (bsum pairs), then acc += d*dy * first - dmin*dy * second. */
static ALWAYS_INLINE void q4_k_tile(int64_t n, const teai__block_q4_k *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const __m256i m15 = _mm256_set1_epi8(15);
    const __m256i mdup = loadu256(k4_mins_dup);
    __m256 acc[4];
    for (int k = 0; k < nt; k++) acc[k] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        const uint8_t *y = xq + (size_t)TEAI__Q8K_BYTES * (size_t)i;
        uint8_t sm[16];
        teai__q4k_scales_mins(b[i].scales, sm);
        __m256i ms = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)sm));
        __m256i sc = _mm256_permute4x64_epi64(ms, 0x44); /* scales, both halves */
        __m256i mins = _mm256_shuffle_epi8(_mm256_permute4x64_epi64(ms, 0xee), mdup);
        __m256i sumi[4];
        for (int k = 0; k < nt; k++) sumi[k] = _mm256_setzero_si256();
        for (int p = 0; p < 4; p++) { /* 32 bytes: sub-blocks 2p (low) and 2p+1 (high) */
            __m256i v = loadu256(b[i].qs + 32 * p);
            __m256i ql = _mm256_and_si256(v, m15);
            __m256i qh = _mm256_and_si256(_mm256_srli_epi16(v, 4), m15);
            __m256i sl = _mm256_shuffle_epi8(sc, loadu256(k4_bcast[2 * p]));
            __m256i sh = _mm256_shuffle_epi8(sc, loadu256(k4_bcast[2 * p + 1]));
            for (int k = 0; k < nt; k++) {
                const uint8_t *q8 = y + (size_t)k * st + TEAI__Q8K_QS + 64 * p;
                __m256i pl = _mm256_madd_epi16(sl, _mm256_maddubs_epi16(ql, loadu256(q8)));
                __m256i ph = _mm256_madd_epi16(sh, _mm256_maddubs_epi16(qh, loadu256(q8 + 32)));
                sumi[k] = _mm256_add_epi32(sumi[k], _mm256_add_epi32(pl, ph));
            }
        }
        float dw = fp16(&b[i].d), dmw = fp16(&b[i].dmin);
        for (int k = 0; k < nt; k++) {
            const uint8_t *yk = y + (size_t)k * st;
            float dy = teai__load_f32(yk + TEAI__Q8K_D);
            __m256i mm = _mm256_madd_epi16(loadu256(yk + TEAI__Q8K_BSUMS), mins);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dy), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            acc[k] = _mm256_fnmadd_ps(_mm256_set1_ps(dmw * dy), _mm256_cvtepi32_ps(mm), acc[k]);
        }
    }
    for (int k = 0; k < nt; k++) out[k] = hsum(acc[k]);
}

/* Bytes 2i x 8 then 2i+1 x 8: after sign extension, int16 lanes 0..7 hold
 * scale 2i and 8..15 scale 2i+1 (ggml's get_scale_shuffle). */
static const uint8_t k6_scale_pair[8][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5},
    {6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9},
    {10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13},
    {14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15},
};

/* Q6_K: codes q in 0..63 (unsigned for maddubs); sum (q - 32)*q8*sc =
 * sum q*q8*sc - 32 * sum_k sc_k * bsums_k. */
static ALWAYS_INLINE void q6_k_tile(int64_t n, const teai__block_q6_k *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const __m256i m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12);
    const __m256i m15 = _mm256_set1_epi8(15), m48 = _mm256_set1_epi8(48);
    const __m256i m192 = _mm256_set1_epi8((char)0xc0);
    __m256 acc[4];
    for (int k = 0; k < nt; k++) acc[k] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        const uint8_t *y = xq + (size_t)TEAI__Q8K_BYTES * (size_t)i;
        __m128i sc = _mm_loadu_si128((const __m128i *)b[i].scales);
        __m256i sumi[4];
        for (int k = 0; k < nt; k++) sumi[k] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i l0 = loadu256(b[i].ql + 64 * h), l1 = loadu256(b[i].ql + 64 * h + 32);
            __m256i hb = loadu256(b[i].qh + 32 * h);
            for (int j = 0; j < 4; j++) { /* elements 128h + 32j .. +31 */
                __m256i q;
                if (j == 0)
                    q = _mm256_or_si256(_mm256_and_si256(l0, m15),
                                        _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
                else if (j == 1)
                    q = _mm256_or_si256(_mm256_and_si256(l1, m15),
                                        _mm256_slli_epi16(_mm256_and_si256(hb, m12), 2));
                else if (j == 2)
                    q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m15),
                                        _mm256_and_si256(hb, m48));
                else
                    q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m15),
                                        _mm256_srli_epi16(_mm256_and_si256(hb, m192), 2));
                __m256i s = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(
                    sc, _mm_loadu_si128((const __m128i *)k6_scale_pair[4 * h + j])));
                for (int k = 0; k < nt; k++) {
                    const uint8_t *q8 = y + (size_t)k * st + TEAI__Q8K_QS + 128 * h + 32 * j;
                    __m256i p = _mm256_madd_epi16(s, _mm256_maddubs_epi16(q, loadu256(q8)));
                    sumi[k] = _mm256_add_epi32(sumi[k], p);
                }
            }
        }
        __m256i sc16 = _mm256_cvtepi8_epi16(sc);
        float dw = fp16(&b[i].d);
        for (int k = 0; k < nt; k++) {
            const uint8_t *yk = y + (size_t)k * st;
            __m256i corr = _mm256_madd_epi16(loadu256(yk + TEAI__Q8K_BSUMS), sc16);
            __m256i si = _mm256_sub_epi32(sumi[k], _mm256_slli_epi32(corr, 5));
            float d = dw * teai__load_f32(yk + TEAI__Q8K_D);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(si), acc[k]);
        }
    }
    for (int k = 0; k < nt; k++) out[k] = hsum(acc[k]);
}

/* F16 weights, fp16 activations: widen both, FMA in f32, 4 accumulators
 * per vector. Register budget: nt <= 2 here; tile_f16 runs larger tiles in
 * passes of 2 (widening the weights again is cheap). */
static ALWAYS_INLINE void f16_tile(int64_t n, const uint8_t *row, const uint8_t *xq, size_t st,
                                   int nt, float *out) {
    const uint16_t *w = (const uint16_t *)row;
    __m256 a[2][4];
    for (int k = 0; k < nt; k++)
        for (int u = 0; u < 4; u++) a[k][u] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 wv[4];
        for (int u = 0; u < 4; u++) wv[u] = f16x8(w + i + 8 * u);
        for (int k = 0; k < nt; k++) {
            const uint16_t *x = (const uint16_t *)(xq + (size_t)k * st) + i;
            for (int u = 0; u < 4; u++) a[k][u] = _mm256_fmadd_ps(wv[u], f16x8(x + 8 * u), a[k][u]);
        }
    }
    for (int u = 0; i + 8 <= n; i += 8, u++) {
        __m256 wv = f16x8(w + i);
        for (int k = 0; k < nt; k++)
            a[k][u] =
                _mm256_fmadd_ps(wv, f16x8((const uint16_t *)(xq + (size_t)k * st) + i), a[k][u]);
    }
    for (int k = 0; k < nt; k++) {
        const uint8_t *x = xq + (size_t)k * st;
        float s =
            hsum(_mm256_add_ps(_mm256_add_ps(a[k][0], a[k][1]), _mm256_add_ps(a[k][2], a[k][3])));
        for (int64_t j = i; j < n; j++) s += fp16(row + 2 * j) * fp16(x + 2 * j);
        out[k] = s;
    }
}

static ALWAYS_INLINE void f16_tile_passes(int64_t n, const uint8_t *row, const uint8_t *xq,
                                          size_t st, int nt, float *out) {
    if (nt <= 2) {
        f16_tile(n, row, xq, st, nt, out);
    } else {
        f16_tile(n, row, xq, st, 2, out);
        f16_tile(n, row, xq + 2 * st, st, nt - 2, out + 2);
    }
}

TILE_FNS(i8, i8_tile, uint8_t)
TILE_FNS(q4_k, q4_k_tile, teai__block_q4_k)
TILE_FNS(q6_k, q6_k_tile, teai__block_q6_k)
TILE_FNS(f16, f16_tile_passes, uint8_t)

#define TEAI__SIMD_LEVEL avx2
#include "quant_simd_tables.h"

/* ---- load-time quantization: the per-element parts, equal bit for bit to
 * the scalar code of quant_codec.c ------------------------------------------ */

float teai__absmax_avx2(const float *x, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) /* max(a, m) keeps m when a is NaN, as the scalar loop */
        m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)), m);
    float lanes[8], r = 0.0f;
    _mm256_storeu_ps(lanes, m);
    for (int k = 0; k < 8; k++)
        if (lanes[k] > r) r = lanes[k];
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > r) r = a;
    }
    return r;
}

/* q[i] = x[i] * id rounded to nearest even, clamped to [-127, 127] (NaN: -127). */
void teai__i8_codes_avx2(const float *x, float id, int8_t *q, int64_t n) {
    const __m256 vid = _mm256_set1_ps(id), lo = _mm256_set1_ps(-127.0f),
                 hi = _mm256_set1_ps(127.0f);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v[4];
        for (int k = 0; k < 4; k++) {
            __m256 f = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), vid);
            f = _mm256_min_ps(_mm256_max_ps(f, lo), hi); /* max(f, lo) is lo for NaN */
            v[k] = _mm256_cvtps_epi32(f);                /* nearest even */
        }
        __m256i a = _mm256_packs_epi32(v[0], v[1]), b = _mm256_packs_epi32(v[2], v[3]);
        __m256i c = _mm256_packs_epi16(a, b);
        /* the packs work per 128-bit lane: put the 4-byte groups back in order */
        c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + i), c);
    }
    for (; i < n; i++) {
        float v = x[i] * id;
        q[i] = (int8_t)(!(v > -127.0f) ? -127 : v >= 127.0f ? 127 : (int)lrintf(v));
    }
}

/* Q8_0 activations (teai__quantize_vec_q8_0 in quant_codec.c, bit for bit) for the whole
 * blocks of x: d = fp16(amax / 127), q = nearest-even(x * (127 / amax)),
 * saturated to [-128, 127] (NaN: -128), which is what cvtps_epi32 and the
 * saturating packs give. */
void teai__quantize_vec_q8_0_avx2(const float *x, uint8_t *y, int64_t nb) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < nb; b++, x += 32, y += 34) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            m = _mm256_max_ps(_mm256_andnot_ps(sign, v[k]), m); /* NaN leaves m */
        }
        float lanes[8], amax = 0.0f;
        _mm256_storeu_ps(lanes, m);
        for (int k = 0; k < 8; k++)
            if (lanes[k] > amax) amax = lanes[k];
        uint16_t dh = teai__f32_to_fp16(amax / 127.0f);
        memcpy(y, &dh, 2);
        __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        __m256i q[4];
        for (int k = 0; k < 4; k++) q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], id));
        __m256i c =
            _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(y + 2), c);
    }
}

/* The NF4 codes of one block of 64: code = number of midpoints below x * ia. */
void teai__nf4_codes_avx2(const float *x, float ia, const float *mids, uint8_t *qs) {
    const __m256 via = _mm256_set1_ps(ia);
    uint8_t codes[64];
    for (int j = 0; j < 64; j += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j), via);
        __m256i c = _mm256_setzero_si256();
        for (int k = 0; k < 15; k++) /* the compare gives -1 where v > mid */
            c = _mm256_sub_epi32(
                c, _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_set1_ps(mids[k]), _CMP_GT_OQ)));
        int32_t lanes[8];
        _mm256_storeu_si256((__m256i *)lanes, c);
        for (int k = 0; k < 8; k++) codes[j + k] = (uint8_t)lanes[k];
    }
    for (int j = 0; j < 32; j++) qs[j] = (uint8_t)(codes[j] | (codes[j + 32] << 4));
}

void teai__f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = teai__f32_to_fp16(x[i]);
}

void teai__f16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = teai__fp16_to_f32(x[i]);
}
