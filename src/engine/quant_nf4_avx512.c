/* NF4's integer path on AVX-512 VNNI (the formula: quant_simd.h; the scalar
 * twin: teai__dotq_nf4i_ref): the register tile (up to 4 rows by 4
 * vectors), the decode matvec and the prefill matmul, all with the same
 * chain of operations per (row, vector), so decode and prefill agree bit for
 * bit.
 *
 * One NF4 block (64 weights) fills a 512-bit register: its 32 code bytes are
 * broadcast to both halves, the upper half shifted right by 4, masked to the
 * codes 0..15 (elements 0..31, then 32..63, the activation order), and
 * vpshufb looks them up in the int8 codebook plus 128 (1..255, unsigned, as
 * vpdpbusd takes its first operand). The sums start at -128 * sum(y) (per
 * four-byte group, once per vector), so one vpdpbusd gives the exact
 * sum(c * y) in 16 int32 lanes: lanes 0-7 against activation block 2i, 8-15
 * against 2i + 1. Compiled with the AVX-512 flags (CMake's *_avx512.c), called
 * only where the CPU runs them (quant_dispatch.c). */
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NR            TEAI__ROWS_NR
#define NT            TEAI__ROWS_NT

static ALWAYS_INLINE __m256i loadu256(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* The codebook plus 128 in each 128-bit lane (vpshufb looks up per lane). */
static ALWAYS_INLINE __m512i codebook_u8(void) {
    __m128i c = _mm_loadu_si128((const __m128i *)teai__nf4_i8);
    return _mm512_broadcast_i32x4(_mm_xor_si128(c, _mm_set1_epi8((char)0x80)));
}

/* The 64 weights of block b as codebook + 128, and its absmax in every lane. */
static ALWAYS_INLINE __m512i nf4_w(const teai__block_nf4 *b, __m512i table, __m512 *dw) {
    const __m512i shift =
        _mm512_set_epi64(4 * 0x0001000100010001ll, 4 * 0x0001000100010001ll,
                         4 * 0x0001000100010001ll, 4 * 0x0001000100010001ll, 0, 0, 0, 0);
    __m512i q = _mm512_broadcast_i64x4(loadu256(b->qs));
    __m512i idx = _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(15));
    *dw = _mm512_set1_ps(_cvtsh_ss(teai__load_u16(&b->absmax)));
    return _mm512_shuffle_epi8(table, idx);
}

/* One NF4 block's part of an activation vector: the two Q8_0 blocks' 64
 * bytes, the sums' start -128 * sum(y) per lane, and the scales dy / 127
 * (lanes 0-7 block 2i, 8-15 block 2i + 1). */
typedef struct nf4_act {
    __m512i y, yi;
    __m512 dy;
} nf4_act;

static ALWAYS_INLINE void nf4_act_prep(const uint8_t *x, int64_t i, nf4_act *a) {
    const uint8_t *b = x + 2 * sizeof(teai__block_q8_0) * (size_t)i;
    const __m512i zero = _mm512_setzero_si512();
    a->y = _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(b + 2)), loadu256(b + 36), 1);
    a->yi = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8((char)0x80), a->y));
    uint32_t h = (uint32_t)teai__load_u16(b) | (uint32_t)teai__load_u16(b + 34) << 16;
    __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)h));
    const __m512i sel = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    a->dy = _mm512_mul_ps(_mm512_permutexvar_ps(sel, _mm512_castps128_ps512(f)),
                          _mm512_set1_ps(1.0f / 127.0f));
}

/* The chain per (row, vector), over pairs of blocks (i, i + 1):
 *   acc += fma(dw_i dy_i, s_i, dw_{i+1} dy_{i+1} * s_{i+1})
 * (the add on acc once per pair, so decode's one chain per row waits on one
 * add latency per 128 weights), and a last odd block acc = fma(dw dy, s, acc). */
static ALWAYS_INLINE __m512 term(__m512 dw, const nf4_act *a) {
    return _mm512_mul_ps(dw, a->dy);
}
static ALWAYS_INLINE __m512i isum(__m512i w, const nf4_act *a) {
    return _mm512_dpbusd_epi32(a->yi, w, a->y);
}
static ALWAYS_INLINE __m512 pair_step(__m512 acc, __m512i w0, __m512 dw0, const nf4_act *a0,
                                      __m512i w1, __m512 dw1, const nf4_act *a1) {
    __m512 t = _mm512_mul_ps(term(dw1, a1), _mm512_cvtepi32_ps(isum(w1, a1)));
    return _mm512_add_ps(acc, _mm512_fmadd_ps(term(dw0, a0), _mm512_cvtepi32_ps(isum(w0, a0)), t));
}
static ALWAYS_INLINE __m512 last_step(__m512 acc, __m512i w, __m512 dw, const nf4_act *a) {
    return _mm512_fmadd_ps(term(dw, a), _mm512_cvtepi32_ps(isum(w, a)), acc);
}

/* nr rows (rb apart) by nt vectors (st apart), activations prepared on the
 * fly: out[r * nt + k]. */
static ALWAYS_INLINE void rows_body(int64_t n, const uint8_t *W, size_t rb, const uint8_t *xq,
                                    size_t st, int nr, int nt, float *out) {
    const __m512i table = codebook_u8();
    __m512 acc[NR][NT];
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) acc[r][k] = _mm512_setzero_ps();
    int64_t nb = n / TEAI_QKNF4, i = 0;
    for (; i + 2 <= nb; i += 2) {
        __m512i w0[NR], w1[NR];
        __m512 d0[NR], d1[NR];
        for (int r = 0; r < nr; r++) {
            const teai__block_nf4 *b = (const teai__block_nf4 *)(W + (size_t)r * rb) + i;
            w0[r] = nf4_w(b, table, &d0[r]);
            w1[r] = nf4_w(b + 1, table, &d1[r]);
        }
        for (int k = 0; k < nt; k++) {
            nf4_act a0, a1;
            nf4_act_prep(xq + (size_t)k * st, i, &a0);
            nf4_act_prep(xq + (size_t)k * st, i + 1, &a1);
            for (int r = 0; r < nr; r++)
                acc[r][k] = pair_step(acc[r][k], w0[r], d0[r], &a0, w1[r], d1[r], &a1);
        }
    }
    if (i < nb) {
        __m512i w0[NR];
        __m512 d0[NR];
        for (int r = 0; r < nr; r++)
            w0[r] = nf4_w((const teai__block_nf4 *)(W + (size_t)r * rb) + i, table, &d0[r]);
        for (int k = 0; k < nt; k++) {
            nf4_act a0;
            nf4_act_prep(xq + (size_t)k * st, i, &a0);
            for (int r = 0; r < nr; r++) acc[r][k] = last_step(acc[r][k], w0[r], d0[r], &a0);
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) out[r * nt + k] = _mm512_reduce_add_ps(acc[r][k]);
}

float teai__dotq_nf4i_avx512(int64_t n, const void *row, const void *xq) {
    float out;
    rows_body(n, row, 0, xq, 0, 1, 1, &out);
    return out;
}

#define CASE(r, t)                                                                                 \
    case r * 8 + t:                                                                                \
        rows_body(n, w, rb, x, st, r, t, out);                                                     \
        break

void teai__rows_nf4i_avx512(int64_t n, const void *W, size_t rb, int nr, const void *xq, size_t st,
                            int nt, float *out) {
    const uint8_t *w = W, *x = xq;
    switch (nr * 8 + nt) {
        CASE(4, 4);
        CASE(4, 3);
        CASE(4, 2);
        CASE(4, 1);
        CASE(3, 4);
        CASE(3, 3);
        CASE(3, 2);
        CASE(3, 1);
        CASE(2, 4);
        CASE(2, 3);
        CASE(2, 2);
        CASE(2, 1);
        CASE(1, 4);
        CASE(1, 3);
        CASE(1, 2);
        default:
            rows_body(n, w, rb, x, st, 1, 1, out);
            break;
    }
}

/* nr rows by nt vectors against prepared activations (a[k * nb + i]): the
 * same operations as rows_body. */
static ALWAYS_INLINE void prep_body(int64_t n, const uint8_t *W, size_t rb, const nf4_act *a,
                                    int nr, int nt, float *out) {
    const __m512i table = codebook_u8();
    __m512 acc[NR][NT];
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) acc[r][k] = _mm512_setzero_ps();
    int64_t nb = n / TEAI_QKNF4, i = 0;
    for (; i + 2 <= nb; i += 2) {
        __m512i w0[NR], w1[NR];
        __m512 d0[NR], d1[NR];
        for (int r = 0; r < nr; r++) {
            const teai__block_nf4 *b = (const teai__block_nf4 *)(W + (size_t)r * rb) + i;
            w0[r] = nf4_w(b, table, &d0[r]);
            w1[r] = nf4_w(b + 1, table, &d1[r]);
        }
        for (int k = 0; k < nt; k++) {
            const nf4_act *ak = a + (size_t)k * (size_t)nb + (size_t)i;
            for (int r = 0; r < nr; r++)
                acc[r][k] = pair_step(acc[r][k], w0[r], d0[r], ak, w1[r], d1[r], ak + 1);
        }
    }
    if (i < nb) {
        __m512i w0[NR];
        __m512 d0[NR];
        for (int r = 0; r < nr; r++)
            w0[r] = nf4_w((const teai__block_nf4 *)(W + (size_t)r * rb) + i, table, &d0[r]);
        for (int k = 0; k < nt; k++) {
            const nf4_act *ak = a + (size_t)k * (size_t)nb + (size_t)i;
            for (int r = 0; r < nr; r++) acc[r][k] = last_step(acc[r][k], w0[r], d0[r], ak);
        }
    }
    for (int r = 0; r < nr; r++)
        for (int k = 0; k < nt; k++) out[r * nt + k] = _mm512_reduce_add_ps(acc[r][k]);
}

/* Decode: the vector's part of every block prepared once per call, then one
 * row at a time in file order (the hardware prefetcher follows it best). */
void teai__matvec_nf4i_avx512(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1,
                              const void *xq, float *y) {
    int64_t nb = n / TEAI_QKNF4;
    nf4_act stack[128], *a = stack;
    if (nb > 128 && !(a = aligned_alloc(64, sizeof *a * (size_t)nb))) {
        for (int64_t r = r0; r < r1; r++)
            rows_body(n, (const uint8_t *)W + (size_t)r * rb, rb, xq, 0, 1, 1, &y[r]);
        return;
    }
    for (int64_t i = 0; i < nb; i++) nf4_act_prep(xq, i, &a[i]);
    for (int64_t r = r0; r < r1; r++)
        prep_body(n, (const uint8_t *)W + (size_t)r * rb, rb, a, 1, 1, &y[r]);
    if (a != stack) free(a);
}

/* Prefill: tiles of about 256 KiB of rows (kept in L2) by NT vectors whose
 * parts are prepared once per tile, then NR rows by NT vectors at a time. */
void teai__matmul_nf4i_avx512(const void *W, size_t rb, int64_t n, int64_t r0, int64_t r1,
                              const void *xq, size_t st, int B, float *y, size_t ys) {
    int64_t nb = n / TEAI_QKNF4;
    nf4_act *a = aligned_alloc(64, sizeof *a * (size_t)(nb ? nb : 1) * NT);
    if (!a) { /* no memory for the prepared form: the plain tile */
        for (int b = 0; b < B; b++)
            for (int64_t r = r0; r < r1; r++)
                rows_body(n, (const uint8_t *)W + (size_t)r * rb, rb,
                          (const uint8_t *)xq + (size_t)b * st, st, 1, 1,
                          &y[(size_t)b * ys + (size_t)r]);
        return;
    }
    int64_t rt = (int64_t)((256 << 10) / rb) / NR * NR;
    if (rt < NR) rt = NR;
    for (int64_t ra = r0; ra < r1; ra += rt) {
        int64_t re = r1 - ra < rt ? r1 : ra + rt;
        for (int b = 0; b < B; b += NT) {
            int nt = B - b < NT ? B - b : NT;
            for (int k = 0; k < nt; k++) {
                const uint8_t *x = (const uint8_t *)xq + (size_t)(b + k) * st;
                for (int64_t i = 0; i < nb; i++) nf4_act_prep(x, i, &a[(size_t)k * nb + i]);
            }
            for (int64_t r = ra; r < re; r += NR) {
                int nr = re - r < NR ? (int)(re - r) : NR;
                const uint8_t *w = (const uint8_t *)W + (size_t)r * rb;
                float out[NR * NT];
                if (nr == NR && nt == NT)
                    prep_body(n, w, rb, a, NR, NT, out);
                else
                    for (int i = 0; i < nr; i++)
                        for (int k = 0; k < nt; k++)
                            prep_body(n, w + (size_t)i * rb, rb, a + (size_t)k * nb, 1, 1,
                                      &out[i * nt + k]);
                for (int i = 0; i < nr; i++)
                    for (int k = 0; k < nt; k++)
                        y[(size_t)(b + k) * ys + (size_t)(r + i)] = out[i * nt + k];
            }
        }
    }
    free(a);
}
