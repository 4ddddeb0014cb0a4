/* AVX-512 kernels for quantized activations (dotq): per type a register
 * tile of up to 4 rows by 4 vectors (teai__dotq_rows_fn) and a dotq (the
 * tile's (1, 1) case; F16: the decode matvec's sum for one row). Q8_0, Q4_0
 * and int8 weight rows against Q8_0 activations (VNNI), two blocks (64
 * weights) per 512-bit register; Q4_K and Q6_K against Q8_K (VNNI); F16 rows
 * against f16 activations; NF4 against f32. Q8_0, Q4_0, int8 and F16 also
 * have a whole decode matvec, and Q8_0, Q4_0 and int8 a whole prefill matmul
 * (the table at the end). F32 and BF16 have none.
 * Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni on
 * x86_64 only and called only when the CPU (and the OS) has them
 * (quant_dispatch.c); the AVX2 kernels serve every other case.
 *
 * Per pair of blocks and (row, vector): one vpdpbusd sums w * y in four-byte
 * groups into 16 int32 lanes (lanes 0-7 the first block, 8-15 the second;
 * ROWS_BODY says how the signs are handled), and one FMA adds them times
 * dw * dy of their block. One FMA chain per (row, vector) over the block
 * pairs in order, so every (nr, nt) gives each product bit for bit the (1, 1)
 * value; decode uses the same kernel one row at a time. */
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE __m256i loadu256(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* The fp16 scales at a and b as f32: a in lanes 0-7, b in lanes 8-15. */
static ALWAYS_INLINE __m512 scales2(const void *a, const void *b) {
    uint32_t h = (uint32_t)teai__load_u16(a) | (uint32_t)teai__load_u16(b) << 16;
    __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)h));
    const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(f));
}

static const uint16_t zero_half = 0; /* the scale of the block past a row's last */

/* two 32-byte halves in one register */
static ALWAYS_INLINE __m512i join(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* The 64 signed weights of blocks i and i+1 (only i when last: the rest
 * zero) and their scales. */
static ALWAYS_INLINE __m512i q8_0_pair(const teai__block_q8_0 *b, int64_t i, int last, __m512 *dw) {
    if (last) {
        *dw = scales2(&b[i].d, &zero_half);
        return join(loadu256(b[i].qs), _mm256_setzero_si256());
    }
    *dw = scales2(&b[i].d, &b[i + 1].d);
    return join(loadu256(b[i].qs), loadu256(b[i + 1].qs));
}

/* The 64 Q4_0 codes of blocks i and i+1 as unsigned bytes 0..15 (the weight
 * is the code minus 8: the kernel subtracts 8 * sum(y) once per vector).
 * Byte j of a block holds element j (low nibble) and j + 16 (high): the
 * 16 bytes go to two 128-bit lanes, the second shifted right by 4. Past the
 * last block the codes are 0 against zero activations: they add nothing. */
static ALWAYS_INLINE __m512i q4_0_pair(const teai__block_q4_0 *b, int64_t i, int last, __m512 *dw) {
    __m128i q0 = _mm_loadu_si128((const __m128i *)b[i].qs);
    __m128i q1 = last ? _mm_setzero_si128() : _mm_loadu_si128((const __m128i *)b[i + 1].qs);
    *dw = scales2(&b[i].d, last ? &zero_half : &b[i + 1].d);
    __m512i t = _mm512_castsi128_si512(q0);
    t = _mm512_inserti32x4(t, q0, 1);
    t = _mm512_inserti32x4(t, q1, 2);
    t = _mm512_inserti32x4(t, q1, 3);
    const __m512i shift =
        _mm512_set_epi64(4 * 0x0001000100010001ll, 4 * 0x0001000100010001ll, 0, 0,
                         4 * 0x0001000100010001ll, 4 * 0x0001000100010001ll, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi16(t, shift), _mm512_set1_epi8(15));
}

/* I8 (teai's int8): 64 signed weights of a row's data at element 32 * i
 * (32 when last), no block scale: the row scale multiplies the sum at the
 * end (i8_finish). */
static ALWAYS_INLINE __m512i i8_pair(const int8_t *row, int64_t i, int last, __m512 *dw) {
    const int8_t *q = row + TEAI_I8_HDR + 32 * i;
    *dw = _mm512_set1_ps(1.0f);
    return last ? join(loadu256(q), _mm256_setzero_si256()) : _mm512_loadu_si512((const void *)q);
}

/* 64 activations of blocks i and i+1 of a Q8_0 vector (zero past the last)
 * and their scales. */
static ALWAYS_INLINE __m512i act_pair(const uint8_t *y, int64_t i, int last, __m512 *dy) {
    const uint8_t *b0 = y + 34 * i;
    if (last) {
        *dy = scales2(b0, &zero_half);
        return join(loadu256(b0 + 2), _mm256_setzero_si256());
    }
    *dy = scales2(b0, b0 + 34);
    return join(loadu256(b0 + 2), loadu256(b0 + 36));
}

#define NR TEAI__ROWS_NR
#define NT TEAI__ROWS_NT

/* vpdpbusd multiplies unsigned bytes by signed ones. signed (Q8_0): the
 * activations are made unsigned, y + 128 (y ^ 0x80), and the sums start at
 * -128 * sum(w), once per row; otherwise (Q4_0) the weights are the codes
 * 0..15 meaning code - 8, and the sums start at -8 * sum(y), once per
 * vector. Either way one vpdpbusd per (row, vector) gives sum(w * y) exactly. */
#define ROWS_BODY(pair, wtype, signed, n, W, rb, xq, st, nr, nt, out)                              \
    do {                                                                                           \
        __m512 acc_[NR][NT];                                                                       \
        for (int r_ = 0; r_ < (nr); r_++)                                                          \
            for (int k_ = 0; k_ < (nt); k_++) acc_[r_][k_] = _mm512_setzero_ps();                  \
        const __m512i zero_ = _mm512_setzero_si512();                                              \
        const __m512i bias_ = _mm512_set1_epi8(signed ? (char)0x80 : 8);                           \
        int64_t nb_ = (n) / 32;                                                                    \
        for (int64_t i_ = 0; i_ < nb_; i_ += 2) {                                                  \
            int last_ = i_ + 1 == nb_;                                                             \
            __m512i w_[NR], wi_[NR];                                                               \
            __m512 dw_[NR];                                                                        \
            for (int r_ = 0; r_ < (nr); r_++) {                                                    \
                w_[r_] = pair((const wtype *)((const uint8_t *)(W) + (size_t)r_ * (rb)), i_,       \
                              last_, &dw_[r_]);                                                    \
                if (signed)                                                                        \
                    wi_[r_] = _mm512_sub_epi32(zero_, _mm512_dpbusd_epi32(zero_, bias_, w_[r_]));  \
            }                                                                                      \
            for (int k_ = 0; k_ < (nt); k_++) {                                                    \
                __m512 dy_;                                                                        \
                __m512i y_ = act_pair((xq) + (size_t)k_ * (st), i_, last_, &dy_), yi_ = zero_;     \
                if (signed)                                                                        \
                    y_ = _mm512_xor_si512(y_, bias_);                                              \
                else                                                                               \
                    yi_ = _mm512_sub_epi32(zero_, _mm512_dpbusd_epi32(zero_, bias_, y_));          \
                for (int r_ = 0; r_ < (nr); r_++) {                                                \
                    __m512i s_ = signed ? _mm512_dpbusd_epi32(wi_[r_], y_, w_[r_])                 \
                                        : _mm512_dpbusd_epi32(yi_, w_[r_], y_);                    \
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
#define ROWS_FNS(name, pair, wtype, signed, finish)                                                \
    static ALWAYS_INLINE void rows_##name##_body(int64_t n, const void *W, size_t rb,              \
                                                 const uint8_t *xq, size_t st, int nr, int nt,     \
                                                 float *out) {                                     \
        ROWS_BODY(pair, wtype, signed, n, W, rb, xq, st, nr, nt, out);                             \
        finish(n, W, rb, xq, st, nr, nt, out);                                                     \
    }                                                                                              \
    static float dotq_##name(int64_t n, const void *row, const void *xq) {                         \
        float out;                                                                                 \
        rows_##name##_body(n, row, 0, xq, 0, 1, 1, &out);                                          \
        return out;                                                                                \
    }                                                                                              \
    static void rows_##name(int64_t n, const void *W, size_t rb, int nr, const void *xq,           \
                            size_t st, int nt, float *out) {                                       \
        const uint8_t *x = xq;                                                                     \
        switch (nr * 8 + nt) {                                                                     \
            CASE(name, 4, 4)                                                                       \
            CASE(name, 4, 3)                                                                       \
            CASE(name, 4, 2)                                                                       \
            CASE(name, 4, 1)                                                                       \
            CASE(name, 3, 4)                                                                       \
            CASE(name, 3, 3)                                                                       \
            CASE(name, 3, 2)                                                                       \
            CASE(name, 3, 1)                                                                       \
            CASE(name, 2, 4)                                                                       \
            CASE(name, 2, 3)                                                                       \
            CASE(name, 2, 2)                                                                       \
            CASE(name, 2, 1)                                                                       \
            CASE(name, 1, 4)                                                                       \
            CASE(name, 1, 3)                                                                       \
            CASE(name, 1, 2) default : rows_##name##_body(n, W, rb, x, st, 1, 1, out);             \
            break;                                                                                 \
        }                                                                                          \
    }

/* After the blocks: nothing for Q8_0 and Q4_0; for I8 the partial last
 * block (n not a multiple of 32) and the row scale, as dotq_i8_ref. */
static ALWAYS_INLINE void no_finish(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                    size_t st, int nr, int nt, float *out) {
    (void)n, (void)W, (void)rb, (void)xq, (void)st, (void)nr, (void)nt, (void)out;
}

static ALWAYS_INLINE void i8_finish(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                    size_t st, int nr, int nt, float *out) {
    int64_t nb = n / 32;
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = (const uint8_t *)W + (size_t)r * rb;
        const int8_t *q = (const int8_t *)(row + TEAI_I8_HDR);
        for (int k = 0; k < nt; k++) {
            float s = out[r * nt + k];
            if (n % 32) {
                const uint8_t *yb = xq + (size_t)k * st + 34 * nb;
                const int8_t *q8 = (const int8_t *)(yb + 2);
                int sumi = 0;
                for (int j = 0; j < (int)(n % 32); j++) sumi += q[32 * nb + j] * q8[j];
                s += _cvtsh_ss(teai__load_u16(yb)) * (float)sumi;
            }
            out[r * nt + k] = _cvtsh_ss(teai__load_u16(row)) * s;
        }
    }
}

/* Decode: one activation vector against many rows. Its part of every block
 * pair (the bytes in the form vpdpbusd takes, the offset, the scales) is
 * prepared once per call instead of once per row; each row then does the
 * same operations as the tile's (1, 1) case, so the results are the same bit
 * for bit. */
typedef struct act_prep {
    __m512i y;  /* activations: y ^ 0x80 (signed weights) or y */
    __m512i yi; /* the sums' start: -8 * sum(y) (Q4_0 codes), else 0 */
    __m512 dy;  /* scales of the two blocks */
} act_prep;

/* Block pair p of the Q8_0 vector x (nb blocks) in the form the kernels take. */
static ALWAYS_INLINE void prep_act(const uint8_t *x, int64_t p, int64_t nb, int signed_w,
                                   act_prep *ap) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i bias = _mm512_set1_epi8(signed_w ? (char)0x80 : 8);
    ap->y = act_pair(x, 2 * p, 2 * p + 1 == nb, &ap->dy);
    if (signed_w) {
        ap->y = _mm512_xor_si512(ap->y, bias);
        ap->yi = zero;
    } else {
        ap->yi = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, ap->y));
    }
}

#define MATVEC_FNS(name, pair, wtype, signed, finish)                                              \
    static void matvec_##name(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1,         \
                              const void *xq, float *y) {                                          \
        const __m512i zero = _mm512_setzero_si512();                                               \
        const __m512i bias = _mm512_set1_epi8(signed ? (char)0x80 : 8);                            \
        int64_t nb = n / 32, np = (nb + 1) / 2;                                                    \
        act_prep stack[256], *a = stack;                                                           \
        if (np > 256 && !(a = aligned_alloc(64, sizeof *a * (size_t)np))) {                        \
            for (int64_t r = r0; r < r1; r++)                                                      \
                rows_##name(n, (const uint8_t *)W + (size_t)r * rb, rb, 1, xq, 0, 1, &y[r]);       \
            return;                                                                                \
        }                                                                                          \
        for (int64_t p = 0; p < np; p++) {                                                         \
            prep_act(xq, p, nb, signed, &a[p]);                                                    \
        }                                                                                          \
        for (int64_t r = r0; r < r1; r++) {                                                        \
            const uint8_t *row = (const uint8_t *)W + (size_t)r * rb;                              \
            __m512 acc = _mm512_setzero_ps();                                                      \
            for (int64_t p = 0; p < np; p++) {                                                     \
                __m512 dw;                                                                         \
                __m512i w = pair((const wtype *)row, 2 * p, 2 * p + 1 == nb, &dw), s;              \
                if (signed) {                                                                      \
                    __m512i wi = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, w));       \
                    s = _mm512_dpbusd_epi32(wi, a[p].y, w);                                        \
                } else {                                                                           \
                    s = _mm512_dpbusd_epi32(a[p].yi, w, a[p].y);                                   \
                }                                                                                  \
                acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, a[p].dy), _mm512_cvtepi32_ps(s), acc);     \
            }                                                                                      \
            y[r] = _mm512_reduce_add_ps(acc);                                                      \
            finish(n, row, 0, xq, 0, 1, 1, &y[r]);                                                 \
        }                                                                                          \
        if (a != stack) free(a);                                                                   \
    }

/* Prefill: rows r0..r1 of W against B vectors, in tiles of about 256 KiB of
 * rows (kept in L2) by NT vectors whose block-pair parts are prepared once
 * per tile (act_prep), then NR rows by NT vectors at a time with the same
 * operations per (row, vector) as the tile's (1, 1) case: the same results
 * bit for bit as decode. */
#define MATMUL_FNS(name, pair, wtype, signed, finish)                                              \
    static ALWAYS_INLINE void mm_##name##_body(int64_t n, const uint8_t *W, size_t rb,             \
                                               const act_prep *a, int64_t np, int nr, int nt,      \
                                               float *out) {                                       \
        const __m512i zero = _mm512_setzero_si512();                                               \
        const __m512i bias = _mm512_set1_epi8(signed ? (char)0x80 : 8);                            \
        int64_t nb = n / 32;                                                                       \
        __m512 acc[NR][NT];                                                                        \
        for (int r = 0; r < nr; r++)                                                               \
            for (int k = 0; k < nt; k++) acc[r][k] = _mm512_setzero_ps();                          \
        for (int64_t p = 0; p < np; p++) {                                                         \
            __m512i w[NR], wi[NR];                                                                 \
            __m512 dw[NR];                                                                         \
            for (int r = 0; r < nr; r++) {                                                         \
                w[r] = pair((const wtype *)(W + (size_t)r * rb), 2 * p, 2 * p + 1 == nb, &dw[r]);  \
                if (signed) wi[r] = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, w[r])); \
            }                                                                                      \
            for (int k = 0; k < nt; k++) {                                                         \
                const act_prep *ak = a + (size_t)k * (size_t)np + (size_t)p;                       \
                for (int r = 0; r < nr; r++) {                                                     \
                    __m512i s_ = signed ? _mm512_dpbusd_epi32(wi[r], ak->y, w[r])                  \
                                        : _mm512_dpbusd_epi32(ak->yi, w[r], ak->y);                \
                    acc[r][k] = _mm512_fmadd_ps(_mm512_mul_ps(dw[r], ak->dy),                      \
                                                _mm512_cvtepi32_ps(s_), acc[r][k]);                \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < nr; r++)                                                               \
            for (int k = 0; k < nt; k++) out[r * nt + k] = _mm512_reduce_add_ps(acc[r][k]);        \
    }                                                                                              \
    static void matmul_##name(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1,         \
                              const void *xq, size_t st, int B, float *y, size_t ys) {             \
        int64_t nb = n / 32, np = (nb + 1) / 2;                                                    \
        act_prep *a = aligned_alloc(64, sizeof *a * (size_t)np * NT);                              \
        if (!a) { /* no memory for the prepared form: the plain tile */                            \
            for (int b = 0; b < B; b++)                                                            \
                for (int64_t r = r0; r < r1; r++)                                                  \
                    rows_##name(n, (const uint8_t *)W + (size_t)r * rb, rb, 1,                     \
                                (const uint8_t *)xq + (size_t)b * st, st, 1,                       \
                                &y[(size_t)b * ys + (size_t)r]);                                   \
            return;                                                                                \
        }                                                                                          \
        int64_t rt = (int64_t)((256 << 10) / rb) / NR * NR;                                        \
        if (rt < NR) rt = NR;                                                                      \
        for (int64_t ra = r0; ra < r1; ra += rt) {                                                 \
            int64_t re = r1 - ra < rt ? r1 : ra + rt;                                              \
            for (int b = 0; b < B; b += NT) {                                                      \
                int nt = B - b < NT ? B - b : NT;                                                  \
                for (int k = 0; k < nt; k++) {                                                     \
                    const uint8_t *x = (const uint8_t *)xq + (size_t)(b + k) * st;                 \
                    for (int64_t p = 0; p < np; p++) {                                             \
                        act_prep *ap = a + (size_t)k * (size_t)np + (size_t)p;                     \
                        prep_act(x, p, nb, signed, ap);                                            \
                    }                                                                              \
                }                                                                                  \
                for (int64_t r = ra; r < re; r += NR) {                                            \
                    int nr = re - r < NR ? (int)(re - r) : NR;                                     \
                    const uint8_t *w = (const uint8_t *)W + (size_t)r * rb;                        \
                    float out[NR * NT];                                                            \
                    if (nr == NR && nt == NT)                                                      \
                        mm_##name##_body(n, w, rb, a, np, NR, NT, out);                            \
                    else                                                                           \
                        for (int i = 0; i < nr; i++)                                               \
                            for (int k = 0; k < nt; k++)                                           \
                                mm_##name##_body(n, w + (size_t)i * rb, rb, a + (size_t)k * np,    \
                                                 np, 1, 1, &out[i * nt + k]);                      \
                    for (int i = 0; i < nr; i++) {                                                 \
                        for (int k = 0; k < nt; k++) {                                             \
                            float *o = &out[i * nt + k];                                           \
                            finish(n, w + (size_t)i * rb, 0,                                       \
                                   (const uint8_t *)xq + (size_t)(b + k) * st, 0, 1, 1, o);        \
                            y[(size_t)(b + k) * ys + (size_t)(r + i)] = *o;                        \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        free(a);                                                                                   \
    }

ROWS_FNS(q8_0, q8_0_pair, teai__block_q8_0, 1, no_finish)
ROWS_FNS(q4_0, q4_0_pair, teai__block_q4_0, 0, no_finish)
ROWS_FNS(i8, i8_pair, int8_t, 1, i8_finish)
MATVEC_FNS(q8_0, q8_0_pair, teai__block_q8_0, 1, no_finish)
MATVEC_FNS(q4_0, q4_0_pair, teai__block_q4_0, 0, no_finish)
MATVEC_FNS(i8, i8_pair, int8_t, 1, i8_finish)
MATMUL_FNS(q8_0, q8_0_pair, teai__block_q8_0, 1, no_finish)
MATMUL_FNS(q4_0, q4_0_pair, teai__block_q4_0, 0, no_finish)
MATMUL_FNS(i8, i8_pair, int8_t, 1, i8_finish)

/* ---- F16 weights against f16 activations ----------------------------------
 * 16 elements per step: both converted with vcvtph2ps, one FMA chain of 16
 * f32 lanes per (row, vector); a masked step takes the last n % 16. */
static ALWAYS_INLINE __m512 f16x16(const uint8_t *p, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 2 * i)));
}

static ALWAYS_INLINE __m512 f16x16_tail(const uint8_t *p, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
}

static ALWAYS_INLINE void rows_f16_body(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                        size_t st, int nr, int nt, float *out) {
    __m512 acc[NR][NT];
    const uint8_t *w0 = W;
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) acc[r][k] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 w[NR];
        for (int r = 0; r < nr; r++) w[r] = f16x16(w0 + (size_t)r * rb, i);
        for (int k = 0; k < nt; k++) {
            __m512 x = f16x16(xq + (size_t)k * st, i);
            for (int r = 0; r < nr; r++) acc[r][k] = _mm512_fmadd_ps(w[r], x, acc[r][k]);
        }
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 w[NR];
        for (int r = 0; r < nr; r++) w[r] = f16x16_tail(w0 + (size_t)r * rb, i, m);
        for (int k = 0; k < nt; k++) {
            __m512 x = f16x16_tail(xq + (size_t)k * st, i, m);
            for (int r = 0; r < nr; r++) acc[r][k] = _mm512_fmadd_ps(w[r], x, acc[r][k]);
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) out[r * nt + k] = _mm512_reduce_add_ps(acc[r][k]);
}

/* Decode: the f16 activations converted once per matrix, then per row four
 * FMA chains over groups of 64 (one chain would wait on the FMA latency at
 * every step). Its sums run in another order than the prefill tile's. */
static ALWAYS_INLINE float f16_row_dot(int64_t n, const uint8_t *row, const float *x) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(f16x16(row, i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(f16x16(row, i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(f16x16(row, i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(f16x16(row, i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        a0 = _mm512_fmadd_ps(f16x16_tail(row, i, m), _mm512_maskz_loadu_ps(m, x + i), a0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/* xq (n fp16) as f32 into buf (64-byte aligned) or a new buffer; NULL when
 * out of memory. */
static float *f16_acts(const void *xq, int64_t n, float *buf, int64_t cap) {
    float *x = n <= cap ? buf : aligned_alloc(64, sizeof(float) * (size_t)((n + 15) / 16 * 16));
    if (!x) return NULL;
    const uint8_t *h = xq;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, f16x16(h, i));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, f16x16_tail(h, i, m));
    }
    return x;
}

static void matvec_f16(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                       float *y) {
    float stack[16384] __attribute__((aligned(64))); /* 64 KiB: rows up to 16384 wide */
    float *x = f16_acts(xq, n, stack, 16384);
    for (int64_t r = r0; r < r1; r++)
        y[r] = x ? f16_row_dot(n, (const uint8_t *)W + (size_t)r * rb, x)
                 : (rows_f16_body(n, (const uint8_t *)W + (size_t)r * rb, 0, xq, 0, 1, 1, &y[r]),
                    y[r]);
    if (x != stack) free(x);
}

static float dotq_f16(int64_t n, const void *row, const void *xq) {
    float y = 0.0f;
    matvec_f16(row, 0, n, 0, 1, xq, &y);
    return y;
}

#define F16_CASE(r, t)                                                                             \
    case r * 8 + t:                                                                                \
        rows_f16_body(n, W, rb, x, st, r, t, out);                                                 \
        break
static void rows_f16(int64_t n, const void *W, size_t rb, int nr, const void *xq, size_t st, int nt,
                     float *out) {
    const uint8_t *x = xq;
    switch (nr * 8 + nt) {
        F16_CASE(4, 4);
        F16_CASE(4, 3);
        F16_CASE(4, 2);
        F16_CASE(4, 1);
        F16_CASE(3, 4);
        F16_CASE(3, 3);
        F16_CASE(3, 2);
        F16_CASE(3, 1);
        F16_CASE(2, 4);
        F16_CASE(2, 3);
        F16_CASE(2, 2);
        F16_CASE(2, 1);
        F16_CASE(1, 4);
        F16_CASE(1, 3);
        F16_CASE(1, 2);
        default:
            rows_f16_body(n, W, rb, x, st, 1, 1, out);
            break;
    }
}

/* ---- K-quants against Q8_K activations (256 per super-block) ----------------
 * The weights become 64 unsigned codes per register, in the activations'
 * order, so one 64-byte load of the activations and one vpdpbusd give 16
 * lanes of four-element sums; the sub-block scales multiply those lanes
 * (vpmulld, exact), and once per super-block one FMA adds the integer lanes
 * times d * dy. Q4_K's mins (dmin * sum(m_j * bsums)) take a second FMA into
 * the same accumulator; Q6_K's -32 offset is -32 * sum(scale_k * bsums_k),
 * folded into its integer lanes. The unpacked block of a row takes 8
 * registers, so these tiles are one row by up to 4 vectors: rows_<type>
 * runs the rows one after another. */

/* Lanes 0-7 = v[a], lanes 8-15 = v[b] of a 16 x int32 vector. */
static ALWAYS_INLINE __m512i pick2(__m512i v, int a, int b) {
    return _mm512_permutexvar_epi32(
        _mm512_set_epi32(b, b, b, b, b, b, b, b, a, a, a, a, a, a, a, a), v);
}

/* Lanes 4g..4g+3 = v[4q + g], g = 0..3. */
static ALWAYS_INLINE __m512i pick4(__m512i v, int q) {
    int a = 4 * q;
    return _mm512_permutexvar_epi32(_mm512_set_epi32(a + 3, a + 3, a + 3, a + 3, a + 2, a + 2,
                                                     a + 2, a + 2, a + 1, a + 1, a + 1, a + 1, a, a,
                                                     a, a),
                                    v);
}

typedef struct kq_w { /* one K-quant super-block of one row, unpacked */
    __m512i w[4];     /* codes of elements 64p .. 64p + 63 */
    __m512i sc[4];    /* their scales: Q4_K lanes 0-7 sub-block 2p, 8-15 2p + 1;
                         Q6_K each 16-element group on 4 lanes */
    __m256i v16;      /* against bsums: Q4_K mins, each twice (m0 m0 m1 m1 ...);
                         Q6_K the 16 scales as int16 */
    float d, dmin;    /* dmin: Q4_K only */
} kq_w;

static ALWAYS_INLINE void q4k_unpack(const teai__block_q4_k *b, kq_w *u) {
    const __m256i m15 = _mm256_set1_epi8(15);
    for (int p = 0; p < 4; p++) {
        __m256i q = loadu256(b->qs + 32 * p);
        u->w[p] = join(_mm256_and_si256(q, m15), _mm256_and_si256(_mm256_srli_epi16(q, 4), m15));
    }
    uint8_t sm[16];
    teai__q4k_scales_mins(b->scales, sm);
    __m128i smv = _mm_loadu_si128((const __m128i *)sm);
    __m512i s32 = _mm512_cvtepu8_epi32(smv);
    for (int p = 0; p < 4; p++) u->sc[p] = pick2(s32, 2 * p, 2 * p + 1);
    __m128i m16 = _mm_cvtepu8_epi16(_mm_srli_si128(smv, 8));
    u->v16 = _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
    u->d = _cvtsh_ss(teai__load_u16(&b->d));
    u->dmin = _cvtsh_ss(teai__load_u16(&b->dmin));
}

static ALWAYS_INLINE void q6k_unpack(const teai__block_q6_k *b, kq_w *u) {
    const __m512i m15 = _mm512_set1_epi8(15), m3 = _mm512_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        __m512i ll = join(loadu256(b->ql + 64 * h), loadu256(b->ql + 64 * h + 32));
        __m256i hq = loadu256(b->qh + 32 * h);
        __m512i hh = join(hq, _mm256_srli_epi16(hq, 2));
        /* elements 128h + 0..63: low nibbles, high bits 0-1 (and 2-3) */
        u->w[2 * h] = _mm512_or_si512(_mm512_and_si512(ll, m15),
                                      _mm512_slli_epi16(_mm512_and_si512(hh, m3), 4));
        /* elements 128h + 64..127: high nibbles, high bits 4-5 (and 6-7) */
        u->w[2 * h + 1] =
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ll, 4), m15),
                            _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hh, 4), m3), 4));
    }
    __m128i s8 = _mm_loadu_si128((const __m128i *)b->scales);
    __m512i s32 = _mm512_cvtepi8_epi32(s8);
    for (int q = 0; q < 4; q++) u->sc[q] = pick4(s32, q);
    u->v16 = _mm256_cvtepi8_epi16(s8);
    u->d = _cvtsh_ss(teai__load_u16(&b->d));
    u->dmin = 0.0f;
}

/* Both K-quants: q6 (a constant) picks the layout and how bsums enter. */
static ALWAYS_INLINE void rows_kq_body(int q6, int64_t n, const void *W, size_t rb,
                                       const uint8_t *xq, size_t st, int nr, int nt, float *out) {
    __m512 acc[NR][NT];
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) acc[r][k] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n / 256; i++) {
        kq_w u[NR];
        for (int r = 0; r < nr; r++) {
            const uint8_t *row = (const uint8_t *)W + (size_t)r * rb;
            if (q6)
                q6k_unpack((const teai__block_q6_k *)row + i, &u[r]);
            else
                q4k_unpack((const teai__block_q4_k *)row + i, &u[r]);
        }
        for (int k = 0; k < nt; k++) {
            const uint8_t *y = xq + (size_t)k * st + (size_t)i * TEAI__Q8K_BYTES;
            float dy = teai__load_f32(y + TEAI__Q8K_D);
            __m512i yv[4];
            for (int p = 0; p < 4; p++) yv[p] = _mm512_loadu_si512(y + TEAI__Q8K_QS + 64 * p);
            __m256i bs = loadu256(y + TEAI__Q8K_BSUMS);
            for (int r = 0; r < nr; r++) {
                __m256i b8 = _mm256_madd_epi16(bs, u[r].v16);
                /* Q6_K: -32 * sum(scale_k * bsums_k) on lanes 0-7, then the codes */
                __m512i isum = q6 ? _mm512_zextsi256_si512(_mm256_sub_epi32(
                                        _mm256_setzero_si256(), _mm256_slli_epi32(b8, 5)))
                                  : _mm512_setzero_si512();
                for (int p = 0; p < 4; p++)
                    isum = _mm512_add_epi32(
                        isum, _mm512_mullo_epi32(
                                  _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[r].w[p], yv[p]),
                                  u[r].sc[p]));
                acc[r][k] = _mm512_fmadd_ps(_mm512_set1_ps(u[r].d * dy), _mm512_cvtepi32_ps(isum),
                                            acc[r][k]);
                if (!q6) /* Q4_K: - dmin * dy * sum(m_j * bsums) */
                    acc[r][k] =
                        _mm512_fmadd_ps(_mm512_set1_ps(-(u[r].dmin * dy)),
                                        _mm512_cvtepi32_ps(_mm512_zextsi256_si512(b8)), acc[r][k]);
            }
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) out[r * nt + k] = _mm512_reduce_add_ps(acc[r][k]);
}

static ALWAYS_INLINE void rows_q4_k_body(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                         size_t st, int nr, int nt, float *out) {
    rows_kq_body(0, n, W, rb, xq, st, nr, nt, out);
}

static ALWAYS_INLINE void rows_q6_k_body(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                         size_t st, int nr, int nt, float *out) {
    rows_kq_body(1, n, W, rb, xq, st, nr, nt, out);
}

#define KQ_FNS(name)                                                                               \
    static float dotq_##name(int64_t n, const void *row, const void *xq) {                         \
        float out;                                                                                 \
        rows_##name##_body(n, row, 0, xq, 0, 1, 1, &out);                                          \
        return out;                                                                                \
    }                                                                                              \
    static void rows_##name(int64_t n, const void *W, size_t rb, int nr, const void *xq,           \
                            size_t st, int nt, float *out) {                                       \
        const uint8_t *x = xq;                                                                     \
        for (int r = 0; r < nr; r++) {                                                             \
            const uint8_t *w = (const uint8_t *)W + (size_t)r * rb;                                \
            float *o = out + r * nt;                                                               \
            switch (nt) {                                                                          \
                case 4:                                                                            \
                    rows_##name##_body(n, w, 0, x, st, 1, 4, o);                                   \
                    break;                                                                         \
                case 3:                                                                            \
                    rows_##name##_body(n, w, 0, x, st, 1, 3, o);                                   \
                    break;                                                                         \
                case 2:                                                                            \
                    rows_##name##_body(n, w, 0, x, st, 1, 2, o);                                   \
                    break;                                                                         \
                default:                                                                           \
                    rows_##name##_body(n, w, 0, x, st, 1, 1, o);                                   \
                    break;                                                                         \
            }                                                                                      \
        }                                                                                          \
    }

KQ_FNS(q4_k)
KQ_FNS(q6_k)

/* ---- NF4 against f32 activations ---------------------------------------------
 * Per block of 64: the codes index the 16-value codebook with vpermps, 16 at
 * a time, times the block's absmax (once per row), then FMA with the f32
 * activations. */
static ALWAYS_INLINE void nf4_unpack(const teai__block_nf4 *b, __m512 table, __m512 w[4]) {
    const __m256i m15 = _mm256_set1_epi8(15);
    __m256i q = loadu256(b->qs);
    __m256i lo = _mm256_and_si256(q, m15), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m15);
    __m512 a = _mm512_set1_ps(_cvtsh_ss(teai__load_u16(&b->absmax)));
    __m128i g[4] = {_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1),
                    _mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1)};
    for (int c = 0; c < 4; c++) /* elements 16c .. 16c + 15 */
        w[c] = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(g[c]), table), a);
}

static ALWAYS_INLINE void rows_nf4_body(int64_t n, const void *W, size_t rb, const uint8_t *xq,
                                        size_t st, int nr, int nt, float *out) {
    const __m512 table = _mm512_loadu_ps(teai__nf4_values);
    /* two FMA chains per (row, vector), even and odd groups of 16: one chain
     * would wait on the FMA latency four times per block */
    __m512 acc[4][NT][2];
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) acc[r][k][0] = acc[r][k][1] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n / 64; i++) {
        __m512 w[4][4];
        for (int r = 0; r < nr; r++)
            nf4_unpack((const teai__block_nf4 *)((const uint8_t *)W + (size_t)r * rb) + i, table,
                       w[r]);
        for (int k = 0; k < nt; k++) {
            const float *x = (const float *)(xq + (size_t)k * st) + 64 * i;
            for (int c = 0; c < 4; c++) {
                __m512 xv = _mm512_loadu_ps(x + 16 * c);
                for (int r = 0; r < nr; r++)
                    acc[r][k][c & 1] = _mm512_fmadd_ps(w[r][c], xv, acc[r][k][c & 1]);
            }
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++)
            out[r * nt + k] = _mm512_reduce_add_ps(_mm512_add_ps(acc[r][k][0], acc[r][k][1]));
}

static float dotq_nf4(int64_t n, const void *row, const void *xq) {
    float out;
    rows_nf4_body(n, row, 0, xq, 0, 1, 1, &out);
    return out;
}

#define NF4_CASE(r, t)                                                                             \
    case r * 8 + t:                                                                                \
        rows_nf4_body(n, w, rb, x, st, r, t, o);                                                   \
        break
/* Tiles of up to 4 rows by 1 vector or 2 rows by up to 4 vectors (the
 * registers hold 4 x 4 unpacked weights or 2 x 4 x 2 accumulators). */
static void rows_nf4(int64_t n, const void *W, size_t rb, int nr, const void *xq, size_t st, int nt,
                     float *out) {
    const uint8_t *x = xq;
    int step = nt == 1 ? 4 : 2;
    for (int r0 = 0; r0 < nr; r0 += step) {
        const uint8_t *w = (const uint8_t *)W + (size_t)r0 * rb;
        float *o = out + r0 * nt;
        switch ((nr - r0 < step ? nr - r0 : step) * 8 + nt) {
            NF4_CASE(4, 1);
            NF4_CASE(3, 1);
            NF4_CASE(2, 1);
            NF4_CASE(2, 4);
            NF4_CASE(2, 3);
            NF4_CASE(2, 2);
            NF4_CASE(1, 4);
            NF4_CASE(1, 3);
            NF4_CASE(1, 2);
            default:
                rows_nf4_body(n, w, rb, x, st, 1, 1, o);
                break;
        }
    }
}

/* ---- decode of a few sequences at once (teai__matvec_q_multi) --------------
 * Continuous batching decodes B sequences per step, each of whose products
 * must be teai__matvec_q's bit for bit. Q8_0, Q4_0 and I8 take the prefill
 * matmul (the same results, and its 4 x 4 register tile was as fast or
 * faster than a kernel streaming one or two rows against 8 vectors: at B = 8
 * both spend the same four operations per (row, vector, 64 weights), and one
 * row against 8 vectors reads 8 x 128 bytes of prepared activations per 64
 * weights, more than L1 holds at 2048 columns). K-quants and NF4 take their
 * rows kernel's one-row tile (quant_dispatch.c). F16, whose prefill tile sums
 * in another order than decode, has its own. */

/* F16: the vectors converted to f32 once per call (xs floats apart), then
 * f16_row_dot's four chains per (row, vector), for nr adjacent rows (rb
 * bytes apart) by nt vectors at a time, nr * nt <= 4 (16 accumulators):
 * 1 row by 4 vectors where 4 converted vectors fit in half of L1 (up to 1024
 * columns), else 2 rows by 2 vectors, which reads the vectors half as often
 * (1.4x faster at 2048 and 8192 columns, 8 vectors, Zen 4). */
#define FR 2
#define FT 4
static ALWAYS_INLINE void f16_rows_dot_multi(int64_t n, const uint8_t *W, size_t rb, int nr,
                                             const float *x, size_t xs, int nt, float *out) {
    __m512 a[FR][FT][4]; /* nr x nt of them */
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++)
            a[r][k][0] = a[r][k][1] = a[r][k][2] = a[r][k][3] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int r = 0; r < nr; r++) {
            __m512 w[4];
            for (int c = 0; c < 4; c++) w[c] = f16x16(W + (size_t)r * rb, i + 16 * c);
            for (int k = 0; k < nt; k++)
                for (int c = 0; c < 4; c++)
                    a[r][k][c] = _mm512_fmadd_ps(
                        w[c], _mm512_loadu_ps(x + (size_t)k * xs + i + 16 * c), a[r][k][c]);
        }
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        for (int r = 0; r < nr; r++) {
            __m512 w = f16x16_tail(W + (size_t)r * rb, i, m);
            for (int k = 0; k < nt; k++)
                a[r][k][0] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m, x + (size_t)k * xs + i),
                                             a[r][k][0]);
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++)
            out[r * nt + k] = _mm512_reduce_add_ps(_mm512_add_ps(
                _mm512_add_ps(a[r][k][0], a[r][k][1]), _mm512_add_ps(a[r][k][2], a[r][k][3])));
}

static void multi_f16(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                      size_t st, int B, float *y, size_t ys) {
    size_t xs = (size_t)(n + 15) / 16 * 16;
    const uint8_t *X = xq;
    float *x = n > 0 ? aligned_alloc(64, sizeof(float) * xs * (size_t)B) : NULL;
    if (!x) { /* vector by vector */
        for (int b = 0; b < B; b++)
            matvec_f16(W, rb, n, r0, r1, X + (size_t)b * st, y + (size_t)b * ys);
        return;
    }
    for (int b = 0; b < B; b++) f16_acts(X + (size_t)b * st, n, x + (size_t)b * xs, n);
    int fr = n <= 1024 ? 1 : 2, ft = 4 / fr; /* the tile */
    for (int64_t r = r0; r < r1; r += fr) {
        int nr = r1 - r < fr ? (int)(r1 - r) : fr;
        const uint8_t *w = (const uint8_t *)W + (size_t)r * rb;
        for (int b = 0; b < B; b += ft) {
            int nt = B - b < ft ? B - b : ft;
            const float *xb = x + (size_t)b * xs;
            float out[4] = {0};
            if (nr == 1 && nt == 4)
                f16_rows_dot_multi(n, w, rb, 1, xb, xs, 4, out);
            else if (nr == 2 && nt == 2)
                f16_rows_dot_multi(n, w, rb, 2, xb, xs, 2, out);
            else
                for (int i = 0; i < nr; i++)
                    for (int k = 0; k < nt; k++)
                        f16_rows_dot_multi(n, w + (size_t)i * rb, rb, 1, xb + (size_t)k * xs, xs, 1,
                                           &out[i * nt + k]);
            for (int i = 0; i < nr; i++)
                for (int k = 0; k < nt; k++)
                    y[(size_t)(b + k) * ys + (size_t)(r + i)] = out[i * nt + k];
        }
    }
    free(x);
}

teai__matmul_q_fn teai__matvec_q_multi_avx512(teai_type wtype) {
    return wtype == TEAI_TYPE_F16 ? multi_f16 : NULL;
}

/* ---- the table -------------------------------------------------------------- */

static const struct avx512_kernels {
    teai_type type;
    teai__dotq_fn dotq;
    teai__dotq_rows_fn rows;
    teai__matvec_q_fn matvec_q; /* NULL: teai__matvec_q runs the rows kernel per row */
    teai__matmul_q_fn matmul_q; /* NULL: teai__matmul_q tiles the rows kernel */
} avx512_kernels[] = {
    {TEAI_TYPE_F16, dotq_f16, rows_f16, matvec_f16, NULL},
    {TEAI_TYPE_Q8_0, dotq_q8_0, rows_q8_0, matvec_q8_0, matmul_q8_0},
    {TEAI_TYPE_Q4_0, dotq_q4_0, rows_q4_0, matvec_q4_0, matmul_q4_0},
    {TEAI_TYPE_I8, dotq_i8, rows_i8, matvec_i8, matmul_i8},
    {TEAI_TYPE_Q4_K, dotq_q4_k, rows_q4_k, NULL, NULL},
    {TEAI_TYPE_Q6_K, dotq_q6_k, rows_q6_k, NULL, NULL},
    {TEAI_TYPE_NF4, teai__dotq_nf4i_avx512, teai__rows_nf4i_avx512, teai__matvec_nf4i_avx512,
     teai__matmul_nf4i_avx512}, /* the integer path: quant_nf4_avx512.c */
    {TEAI__TYPE_NF4_EXACT, dotq_nf4, rows_nf4, NULL, NULL},
};

/* The entry for type t; an entry of NULLs for a type the table lacks. */
static const struct avx512_kernels *avx512_find(teai_type t) {
    static const struct avx512_kernels none;
    for (size_t i = 0; i < sizeof avx512_kernels / sizeof *avx512_kernels; i++)
        if (avx512_kernels[i].type == t) return &avx512_kernels[i];
    return &none;
}

teai__dotq_fn teai__dotq_avx512(teai_type wtype) {
    return avx512_find(wtype)->dotq;
}

teai__dotq_rows_fn teai__dotq_rows_avx512(teai_type wtype) {
    return avx512_find(wtype)->rows;
}

teai__matvec_q_fn teai__matvec_q_avx512(teai_type wtype) {
    return avx512_find(wtype)->matvec_q;
}

teai__matmul_q_fn teai__matmul_q_avx512(teai_type wtype) {
    return avx512_find(wtype)->matmul_q;
}
