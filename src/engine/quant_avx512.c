/* AVX-512 VNNI register-tile kernels for prefill: Q8_0 and Q4_0 weight rows
 * against Q8_0 activations, two blocks (64 weights) per 512-bit register.
 * Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni on
 * x86_64 only and called only when the CPU (and the OS) has them
 * (teai__dotq_rows_best); the AVX2 kernels serve every other case.
 *
 * Per pair of blocks and (row, vector): the activations take the signs of the
 * weights (a masked subtract), vpdpbusd sums |w| * y in four-byte groups into
 * 16 int32 lanes (lanes 0-7 the first block, 8-15 the second), and one FMA
 * adds them times dw * dy of their block. One FMA chain per (row, vector) over
 * the block pairs in order, so every (nr, nt) gives each product bit for bit
 * the (1, 1) value. */
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE float fp16(const void *p) {
    return _cvtsh_ss(teai__load_u16(p));
}

static ALWAYS_INLINE __m256i loadu256(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* a in lanes 0-7, b in lanes 8-15. */
static ALWAYS_INLINE __m512 halves(float a, float b) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(a)), _mm256_set1_ps(b), 1);
}

/* two 32-byte halves in one register */
static ALWAYS_INLINE __m512i join(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* The 64 weights of blocks i and i+1 (only i when last: the rest zero) and
 * their scales. */
static ALWAYS_INLINE __m512i q8_0_pair(const teai__block_q8_0 *b, int64_t i, int last, __m512 *dw) {
    if (last) {
        *dw = halves(fp16(&b[i].d), 0.0f);
        return join(loadu256(b[i].qs), _mm256_setzero_si256());
    }
    *dw = halves(fp16(&b[i].d), fp16(&b[i + 1].d));
    return join(loadu256(b[i].qs), loadu256(b[i + 1].qs));
}

/* Q4_0 byte j holds element j (low nibble) and j + 16 (high), minus 8. */
static ALWAYS_INLINE __m512i q4_0_pair(const teai__block_q4_0 *b, int64_t i, int last, __m512 *dw) {
    __m128i q0 = _mm_loadu_si128((const __m128i *)b[i].qs);
    __m128i q1 = last ? _mm_set1_epi8(0x08 | 0x80) : _mm_loadu_si128((const __m128i *)b[i + 1].qs);
    *dw = halves(fp16(&b[i].d), last ? 0.0f : fp16(&b[i + 1].d));
    __m256i v = _mm256_set_m128i(q1, q0);
    const __m256i m15 = _mm256_set1_epi8(15);
    __m256i lo = _mm256_and_si256(v, m15), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m15);
    /* [lo0 lo1 hi0 hi1] -> [lo0 hi0 lo1 hi1] (128-bit lanes) */
    __m512i w = _mm512_shuffle_i64x2(join(lo, hi), join(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
    return _mm512_sub_epi8(w, _mm512_set1_epi8(8)); /* a padded last block: 8 - 8 = 0 */
}

/* 64 activations of blocks i and i+1 of a Q8_0 vector (zero past the last)
 * and their scales. */
static ALWAYS_INLINE __m512i act_pair(const uint8_t *y, int64_t i, int last, __m512 *dy) {
    const uint8_t *b0 = y + 34 * i;
    if (last) {
        *dy = halves(fp16(b0), 0.0f);
        return join(loadu256(b0 + 2), _mm256_setzero_si256());
    }
    *dy = halves(fp16(b0), fp16(b0 + 34));
    return join(loadu256(b0 + 2), loadu256(b0 + 36));
}

#define NR TEAI__ROWS_NR
#define NT TEAI__ROWS_NT

#define ROWS_BODY(pair, wtype, n, W, rb, xq, st, nr, nt, out)                                      \
    do {                                                                                           \
        __m512 acc_[NR][NT];                                                                       \
        for (int r_ = 0; r_ < (nr); r_++)                                                          \
            for (int k_ = 0; k_ < (nt); k_++) acc_[r_][k_] = _mm512_setzero_ps();                  \
        int64_t nb_ = (n) / 32;                                                                    \
        for (int64_t i_ = 0; i_ < nb_; i_ += 2) {                                                  \
            int last_ = i_ + 1 == nb_;                                                             \
            __m512i aw_[NR];                                                                       \
            __mmask64 neg_[NR];                                                                    \
            __m512 dw_[NR];                                                                        \
            for (int r_ = 0; r_ < (nr); r_++) {                                                    \
                __m512i w_ = pair((const wtype *)((const uint8_t *)(W) + (size_t)r_ * (rb)), i_,   \
                                  last_, &dw_[r_]);                                                \
                neg_[r_] = _mm512_movepi8_mask(w_);                                                \
                aw_[r_] = _mm512_abs_epi8(w_);                                                     \
            }                                                                                      \
            for (int k_ = 0; k_ < (nt); k_++) {                                                    \
                __m512 dy_;                                                                        \
                __m512i y_ = act_pair((xq) + (size_t)k_ * (st), i_, last_, &dy_);                  \
                for (int r_ = 0; r_ < (nr); r_++) {                                                \
                    __m512i ys_ = _mm512_mask_sub_epi8(y_, neg_[r_], _mm512_setzero_si512(), y_);  \
                    __m512i s_ = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aw_[r_], ys_);        \
                    acc_[r_][k_] = _mm512_fmadd_ps(_mm512_mul_ps(dw_[r_], dy_),                    \
                                                   _mm512_cvtepi32_ps(s_), acc_[r_][k_]);          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int r_ = 0; r_ < (nr); r_++)                                                          \
            for (int k_ = 0; k_ < (nt); k_++)                                                      \
                (out)[r_ * (nt) + k_] = _mm512_reduce_add_ps(acc_[r_][k_]);                        \
    } while (0)

/* rows_<name>(n, W, rb, nr, xq, st, nt, out) with nr and nt fixed per case. */
#define CASE(name, r, t)                                                                           \
    case r * 8 + t:                                                                                \
        rows_##name##_body(n, W, rb, x, st, r, t, out);                                            \
        break;
#define ROWS_FNS(name, pair, wtype)                                                                \
    static ALWAYS_INLINE void rows_##name##_body(int64_t n, const void *W, size_t rb,              \
                                                 const uint8_t *xq, size_t st, int nr, int nt,     \
                                                 float *out) {                                     \
        ROWS_BODY(pair, wtype, n, W, rb, xq, st, nr, nt, out);                                     \
    }                                                                                              \
    static void rows_##name(int64_t n, const void *W, size_t rb, int nr, const void *xq,           \
                            size_t st, int nt, float *out) {                                       \
        const uint8_t *x = xq;                                                                     \
        switch (nr * 8 + nt) {                                                                     \
            CASE(name, 4, 4)                                                                       \
            CASE(name, 4, 3) CASE(name, 4, 2) CASE(name, 4, 1) CASE(name, 3, 4) CASE(name, 3, 3)   \
                CASE(name, 3, 2) CASE(name, 3, 1) CASE(name, 2, 4) CASE(name, 2, 3)                \
                    CASE(name, 2, 2) CASE(name, 2, 1) CASE(name, 1, 4) CASE(name, 1, 3)            \
                        CASE(name, 1, 2) default : rows_##name##_body(n, W, rb, x, st, 1, 1, out); \
            break;                                                                                 \
        }                                                                                          \
    }

ROWS_FNS(q8_0, q8_0_pair, teai__block_q8_0)
ROWS_FNS(q4_0, q4_0_pair, teai__block_q4_0)

teai__dotq_rows_fn teai__dotq_rows_avx512(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_Q8_0:
            return rows_q8_0;
        case TEAI_TYPE_Q4_0:
            return rows_q4_0;
        default:
            return NULL;
    }
}
