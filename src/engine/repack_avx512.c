/* AVX-512 VNNI kernels on the repacked Q4_0 / Q4_K layouts (repack.h): one
 * 32-bit lane per row of a 16-row group, activations broadcast four bytes at
 * a time, so one vpdpbusd serves 16 rows and one multiply scales them. Each
 * group's unpacked codes serve up to NT0 (Q4_0) or NTK (Q4_K) vectors; decode
 * is the same body with one vector. Per (row, vector) the operations are the
 * chain repack.h writes out (integer sums are exact, so how they are split
 * across registers does not change them): the scalar twin's results bit for
 * bit. Compiled with AVX-512 F/BW/VL/DQ/VNNI flags, called only where the CPU
 * runs them (repack.c). */
#include "repack.h"
#include "quant_simd.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

#define NT0        8            /* vectors per Q4_0 tile */
#define NTK        4            /* vectors per Q4_K tile */
#define TILE_BYTES (256 * 1024) /* weight bytes one tile keeps in L2 */

static ALWAYS_INLINE __m512i bcast32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

static ALWAYS_INLINE __m512 half16(const uint8_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/* ---- Q4_0 ------------------------------------------------------------------ */

/* One group (16 rows) against nt vectors at x0 + k * st; init, dx: [k * nb + b]
 * (-8 * sum(y_b) and dy_b of vector k). */
static ALWAYS_INLINE void q4_0_body(const uint8_t *g, int64_t nb, const uint8_t *x0, size_t st,
                                    const int32_t *init, const float *dx, int nt, __m512 *acc) {
    const __m512i m15 = _mm512_set1_epi8(15);
    for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pair = g + (size_t)(b >> 1) * TEAI__RP_Q4_0_PAIR;
        __m512 dw = half16(pair + (b & 1) * 32);
        const uint8_t *c = pair + 64 + (b & 1) * 256;
        __m512i q[8];
        for (int j = 0; j < 4; j++) {
            __m512i p = _mm512_loadu_si512((const void *)(c + 64 * j));
            q[j] = _mm512_and_si512(p, m15);
            q[j + 4] = _mm512_and_si512(_mm512_srli_epi16(p, 4), m15);
        }
        for (int k = 0; k < nt; k++) {
            const uint8_t *y = x0 + (size_t)k * st + 34 * (size_t)b + 2;
            __m512i s0 = _mm512_set1_epi32(init[(size_t)k * (size_t)nb + (size_t)b]);
            __m512i s1 = _mm512_setzero_si512();
            s0 = _mm512_dpbusd_epi32(s0, q[0], bcast32(y + 0));
            s1 = _mm512_dpbusd_epi32(s1, q[1], bcast32(y + 4));
            s0 = _mm512_dpbusd_epi32(s0, q[2], bcast32(y + 8));
            s1 = _mm512_dpbusd_epi32(s1, q[3], bcast32(y + 12));
            s0 = _mm512_dpbusd_epi32(s0, q[4], bcast32(y + 16));
            s1 = _mm512_dpbusd_epi32(s1, q[5], bcast32(y + 20));
            s0 = _mm512_dpbusd_epi32(s0, q[6], bcast32(y + 24));
            s1 = _mm512_dpbusd_epi32(s1, q[7], bcast32(y + 28));
            __m512 s = _mm512_mul_ps(dw, _mm512_set1_ps(dx[(size_t)k * (size_t)nb + (size_t)b]));
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), s, acc[k]);
        }
    }
}

/* ---- Q4_K ------------------------------------------------------------------ */

/* One group against nt vectors; bp: [(k * ns + s) * 4 + i] the int16 pair
 * (bsum_2i, bsum_2i+1) of super-block s of vector k; dy: [k * ns + s]. */
static ALWAYS_INLINE void q4_k_body(const uint8_t *g, int64_t ns, const uint8_t *x0, size_t st,
                                    const int32_t *bp, const float *dy, int nt, __m512 *acc) {
    const __m512i m15 = _mm512_set1_epi8(15);
    for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *sb = g + (size_t)s * TEAI__RP_Q4_K_SB;
        /* the mins' part first: the super-block's bytes are then read in
         * ascending order, which the hardware prefetcher follows best */
        __m512 dw = half16(sb), dm = half16(sb + 32), msf[NTK];
        for (int k = 0; k < nt; k++) {
            const int32_t *bk = bp + ((size_t)k * (size_t)ns + (size_t)s) * 4;
            __m512i ms = _mm512_setzero_si512();
            for (int i = 0; i < 4; i++)
                ms = _mm512_dpwssd_epi32(ms, _mm512_loadu_si512((const void *)(sb + 192 + 64 * i)),
                                         _mm512_set1_epi32(bk[i]));
            msf[k] = _mm512_cvtepi32_ps(ms);
        }
        __m512i isum[NTK];
        for (int k = 0; k < nt; k++) isum[k] = _mm512_setzero_si512();
        for (int p = 0; p < 4; p++) {
            __m512i sc0 =
                _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(sb + 64 + 32 * p)));
            __m512i sc1 =
                _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(sb + 64 + 32 * p + 16)));
            __m512i lo[8], hi[8];
            for (int t = 0; t < 8; t++) {
                __m512i v = _mm512_loadu_si512((const void *)(sb + 448 + 64 * (8 * p + t)));
                lo[t] = _mm512_and_si512(v, m15);
                hi[t] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m15);
            }
            for (int k = 0; k < nt; k++) {
                const uint8_t *y =
                    x0 + (size_t)k * st + (size_t)s * TEAI__Q8K_BYTES + TEAI__Q8K_QS + 64 * p;
                __m512i a0 = _mm512_setzero_si512(), a1 = a0, b0 = a0, b1 = a0;
                for (int t = 0; t < 8; t += 2) {
                    a0 = _mm512_dpbusd_epi32(a0, lo[t], bcast32(y + 4 * t));
                    a1 = _mm512_dpbusd_epi32(a1, lo[t + 1], bcast32(y + 4 * t + 4));
                    b0 = _mm512_dpbusd_epi32(b0, hi[t], bcast32(y + 32 + 4 * t));
                    b1 = _mm512_dpbusd_epi32(b1, hi[t + 1], bcast32(y + 32 + 4 * t + 4));
                }
                __m512i a = _mm512_mullo_epi32(_mm512_add_epi32(a0, a1), sc0);
                __m512i b = _mm512_mullo_epi32(_mm512_add_epi32(b0, b1), sc1);
                isum[k] = _mm512_add_epi32(isum[k], _mm512_add_epi32(a, b));
            }
        }
        for (int k = 0; k < nt; k++) {
            __m512 d = _mm512_set1_ps(dy[(size_t)k * (size_t)ns + (size_t)s]);
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[k]), _mm512_mul_ps(dw, d), acc[k]);
            acc[k] = _mm512_fnmadd_ps(msf[k], _mm512_mul_ps(dm, d), acc[k]);
        }
    }
}

/* ---- the driver --------------------------------------------------------------- */

/* The rows of group g inside r0..r1 from the lanes of acc[0..nt). */
static void store_rows(const __m512 *acc, int nt, int64_t g, int64_t r0, int64_t r1, float *y,
                       size_t ys) {
    int64_t lo = g * TEAI__RP_ROWS, hi = lo + TEAI__RP_ROWS;
    if (lo < r0) lo = r0;
    if (hi > r1) hi = r1;
    for (int k = 0; k < nt; k++) {
        float o[TEAI__RP_ROWS];
        _mm512_storeu_ps(o, acc[k]);
        float *yk = y + (size_t)k * ys;
        for (int64_t r = lo; r < hi; r++) yk[r] = o[r - g * TEAI__RP_ROWS];
    }
}

#define BODY_CASES(body, NTMAX)                                                                    \
    switch (nt) {                                                                                  \
        case 1:                                                                                    \
            body(gp, nblk, xb, st, pa + (size_t)b * nper, pf + (size_t)b * nblk, 1, acc);          \
            break;                                                                                 \
        case 2:                                                                                    \
            body(gp, nblk, xb, st, pa + (size_t)b * nper, pf + (size_t)b * nblk, 2, acc);          \
            break;                                                                                 \
        case 3:                                                                                    \
            body(gp, nblk, xb, st, pa + (size_t)b * nper, pf + (size_t)b * nblk, 3, acc);          \
            break;                                                                                 \
        default:                                                                                   \
            body(gp, nblk, xb, st, pa + (size_t)b * nper, pf + (size_t)b * nblk, NTMAX, acc);      \
            break;                                                                                 \
    }

void teai__repack_matmul_avx512(teai_type rt, const void *P, int64_t cols, int64_t r0, int64_t r1,
                                const void *xq, size_t st, int B, float *y, size_t ys) {
    int q4k = teai__repack_base(rt) == TEAI_TYPE_Q4_K;
    /* blocks per row, ints per vector in pa, group bytes */
    int64_t nblk = q4k ? cols / TEAI_QK_K : cols / TEAI_QK4_0;
    int64_t nper = q4k ? 4 * nblk : nblk;
    size_t gb =
        q4k ? (size_t)nblk * TEAI__RP_Q4_K_SB : (size_t)((nblk + 1) / 2) * TEAI__RP_Q4_0_PAIR;
    if (nblk <= 0 || r0 >= r1 || B <= 0) return;
    /* the activations' part of each block, once per call: Q4_0 -8 * sum(y)
     * and dy; Q4_K the bsum pairs and dy */
    int32_t stack_a[2048];
    float stack_f[1024];
    int32_t *pa = stack_a;
    float *pf = stack_f;
    size_t na = (size_t)B * (size_t)nper, nf = (size_t)B * (size_t)nblk;
    if (na > 2048 || nf > 1024) {
        pa = malloc(sizeof *pa * na);
        pf = malloc(sizeof *pf * nf);
        if (!pa || !pf) {
            free(pa), free(pf);
            teai__repack_matmul_ref(rt, P, cols, r0, r1, xq, st, B, y, ys);
            return;
        }
    }
    for (int b = 0; b < B; b++) {
        const uint8_t *x = (const uint8_t *)xq + (size_t)b * st;
        for (int64_t i = 0; i < nblk; i++) {
            if (q4k) {
                const uint8_t *xs = x + (size_t)i * TEAI__Q8K_BYTES;
                int16_t bs[16];
                memcpy(bs, xs + TEAI__Q8K_BSUMS, sizeof bs);
                for (int j = 0; j < 4; j++) {
                    int16_t pr[2] = {(int16_t)(bs[4 * j] + bs[4 * j + 1]),
                                     (int16_t)(bs[4 * j + 2] + bs[4 * j + 3])};
                    memcpy(&pa[(size_t)b * (size_t)nper + (size_t)i * 4 + (size_t)j], pr, 4);
                }
                pf[(size_t)b * (size_t)nblk + (size_t)i] = teai__load_f32(xs + TEAI__Q8K_D);
            } else {
                const uint8_t *xb = x + 34 * (size_t)i;
                __m256i v = _mm256_loadu_si256((const __m256i *)(xb + 2));
                __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), v);
                __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
                __m128i h =
                    _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
                h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
                h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
                pa[(size_t)b * (size_t)nper + (size_t)i] = -8 * _mm_cvtsi128_si32(h);
                pf[(size_t)b * (size_t)nblk + (size_t)i] = _cvtsh_ss(teai__load_u16(xb));
            }
        }
    }
    int64_t g0 = r0 / TEAI__RP_ROWS, g1 = (r1 + TEAI__RP_ROWS - 1) / TEAI__RP_ROWS;
    int64_t gt = (int64_t)(TILE_BYTES / gb);
    if (gt < 1) gt = 1;
    int ntmax = q4k ? NTK : NT0;
    for (int64_t ga = g0; ga < g1; ga += gt) {
        int64_t ge = g1 - ga < gt ? g1 : ga + gt;
        for (int b = 0; b < B; b += ntmax) {
            int nt = B - b < ntmax ? B - b : ntmax;
            const uint8_t *xb = (const uint8_t *)xq + (size_t)b * st;
            for (int64_t g = ga; g < ge; g++) {
                const uint8_t *gp = (const uint8_t *)P + (size_t)g * gb;
                __m512 acc[NT0];
                if (q4k) {
                    BODY_CASES(q4_k_body, NTK)
                } else if (nt > 4) {
                    switch (nt) {
                        case 5:
                            q4_0_body(gp, nblk, xb, st, pa + (size_t)b * nper,
                                      pf + (size_t)b * nblk, 5, acc);
                            break;
                        case 6:
                            q4_0_body(gp, nblk, xb, st, pa + (size_t)b * nper,
                                      pf + (size_t)b * nblk, 6, acc);
                            break;
                        case 7:
                            q4_0_body(gp, nblk, xb, st, pa + (size_t)b * nper,
                                      pf + (size_t)b * nblk, 7, acc);
                            break;
                        default:
                            q4_0_body(gp, nblk, xb, st, pa + (size_t)b * nper,
                                      pf + (size_t)b * nblk, 8, acc);
                            break;
                    }
                } else {
                    BODY_CASES(q4_0_body, 4)
                }
                store_rows(acc, nt, g, r0, r1, y + (size_t)b * ys, ys);
            }
        }
    }
    if (pa != stack_a) free(pa), free(pf);
}
