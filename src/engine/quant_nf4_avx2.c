/* NF4's integer path on AVX2 (the formula: quant_simd.h; the scalar twin:
 * teai__dotq_nf4i_ref): a tile of one row against 1..4 Q8_0 vectors, which
 * teai__matvec_q, teai__matvec_q_multi and teai__matmul_q all run, so decode
 * and prefill agree bit for bit. Per block the low and high nibbles (elements
 * 0..31 and 32..63) index the int8 codebook with vpshufb; vpmaddubsw takes
 * |c| against y with c's sign, as llama.cpp's AVX2 Q8_0 kernel does
 * (|c| <= 127 and |y| <= 127: no pair saturates int16). Two FMA chains per
 * vector (the halves), added at the end; every nt gives the nt = 1 result. */
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE __m256i loadu256(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

static ALWAYS_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 8 int32 lanes of sum(c * y) for 32 signed codebook values c. */
static ALWAYS_INLINE __m256i dot_c8(__m256i c, const uint8_t *y) {
    __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(c, c), _mm256_sign_epi8(loadu256(y), c));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

static ALWAYS_INLINE void tile_body(int64_t n, const teai__block_nf4 *b, const uint8_t *xq,
                                    size_t st, int nt, float *out) {
    const __m256i table =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)teai__nf4_i8));
    const __m256i m15 = _mm256_set1_epi8(15);
    __m256 a0[4], a1[4];
    for (int k = 0; k < nt; k++) a0[k] = a1[k] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++) {
        __m256i q = loadu256(b[i].qs);
        __m256i c0 = _mm256_shuffle_epi8(table, _mm256_and_si256(q, m15));
        __m256i c1 = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(q, 4), m15));
        float a = _cvtsh_ss(teai__load_u16(&b[i].absmax));
        for (int k = 0; k < nt; k++) {
            const uint8_t *y = xq + (size_t)k * st + 2 * sizeof(teai__block_q8_0) * (size_t)i;
            float d0 = _cvtsh_ss(teai__load_u16(y)) * (1.0f / 127.0f);
            float d1 = _cvtsh_ss(teai__load_u16(y + 34)) * (1.0f / 127.0f);
            a0[k] = _mm256_fmadd_ps(_mm256_set1_ps(a * d0), _mm256_cvtepi32_ps(dot_c8(c0, y + 2)),
                                    a0[k]);
            a1[k] = _mm256_fmadd_ps(_mm256_set1_ps(a * d1), _mm256_cvtepi32_ps(dot_c8(c1, y + 36)),
                                    a1[k]);
        }
    }
    for (int k = 0; k < nt; k++) out[k] = hsum8(_mm256_add_ps(a0[k], a1[k]));
}

float teai__dotq_nf4i_avx2(int64_t n, const void *row, const void *xq) {
    float out;
    tile_body(n, row, xq, 0, 1, &out);
    return out;
}

void teai__tile_nf4i_avx2(int64_t n, const void *row, const void *xq, size_t st, int nt,
                          float *out) {
    switch (nt) {
        case 1:
            tile_body(n, row, xq, st, 1, out);
            break;
        case 2:
            tile_body(n, row, xq, st, 2, out);
            break;
        case 3:
            tile_body(n, row, xq, st, 3, out);
            break;
        default:
            tile_body(n, row, xq, st, 4, out);
            break;
    }
}
