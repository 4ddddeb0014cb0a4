/* Weight formats: the type table, reference (scalar) quantizers and
 * dequantizers, scalar reference dot kernels, and the dispatch to the SIMD
 * kernels of quant_avx2.c / quant_neon.c. Block layouts: quant_simd.h. */
#include "quant.h"

#include "quant_simd.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* SIMD levels compiled in (CMake builds *_avx2.c on x86_64 only and *_neon.c
 * on aarch64 only; define TEAI_NO_SIMD to build the scalar kernels alone). */
#if !defined(TEAI_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64))
#define TEAI_QUANT_AVX2 1
#include <cpuid.h>
#include <stdatomic.h>
#elif !defined(TEAI_NO_SIMD) && defined(__aarch64__)
#define TEAI_QUANT_NEON 1
#endif

const float teai__nf4_values[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

/* ---- type table ----------------------------------------------------------- */

static const struct type_info {
    teai_type type;
    const char *name;
    int64_t block; /* elements per block */
    size_t bytes;  /* bytes per block; I8: per element, plus a 4-byte row header */
} type_table[] = {
    {TEAI_TYPE_F32, "f32", 1, 4},
    {TEAI_TYPE_F16, "f16", 1, 2},
    {TEAI_TYPE_BF16, "bf16", 1, 2},
    {TEAI_TYPE_Q8_0, "q8_0", TEAI_QK8_0, sizeof(teai__block_q8_0)},
    {TEAI_TYPE_Q4_0, "q4_0", TEAI_QK4_0, sizeof(teai__block_q4_0)},
    {TEAI_TYPE_Q4_K, "q4_k", TEAI_QK_K, sizeof(teai__block_q4_k)},
    {TEAI_TYPE_Q6_K, "q6_k", TEAI_QK_K, sizeof(teai__block_q6_k)},
    {TEAI_TYPE_I8, "int8", 1, 1},
    {TEAI_TYPE_NF4, "nf4", TEAI_QKNF4, sizeof(teai__block_nf4)},
};

static const struct type_info *type_find(uint32_t t) {
    for (size_t i = 0; i < sizeof type_table / sizeof *type_table; i++)
        if ((uint32_t)type_table[i].type == t) return &type_table[i];
    return NULL;
}

const char *teai_type_name(teai_type t) {
    const struct type_info *ti = type_find((uint32_t)t);
    return ti ? ti->name : NULL;
}

static int ascii_lower(int c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int teai_type_from_name(const char *name, teai_type *out) {
    if (!name) return TEAI_ENOTFOUND;
    for (size_t i = 0; i < sizeof type_table / sizeof *type_table; i++) {
        const char *a = name, *b = type_table[i].name;
        while (*a && ascii_lower((unsigned char)*a) == *b) a++, b++;
        if (!*a && !*b) {
            if (out) *out = type_table[i].type;
            return TEAI_OK;
        }
    }
    return TEAI_ENOTFOUND;
}

/* Every type in the table has kernels, including teai's own I8 and NF4 (which
 * never appear in files, so a reader may reject them separately). */
int teai_type_is_known(uint32_t t) {
    return type_find(t) != NULL;
}

int64_t teai_type_block_size(teai_type t) {
    const struct type_info *ti = type_find((uint32_t)t);
    return ti ? ti->block : 0;
}

/* 0 for an unknown type, a negative n, an n that is not a whole number of
 * blocks, or a size that does not fit in size_t. */
size_t teai_type_row_size(teai_type t, int64_t n) {
    const struct type_info *ti = type_find((uint32_t)t);
    if (!ti || n < 0 || n % ti->block != 0) return 0;
    uint64_t bytes;
    if (!teai__mul_ok((uint64_t)(n / ti->block), ti->bytes, &bytes)) return 0;
    if (t == TEAI_TYPE_I8) {
        if (bytes > UINT64_MAX - TEAI_I8_HDR) return 0;
        bytes += TEAI_I8_HDR;
    }
    if (bytes > SIZE_MAX) return 0;
    return (size_t)bytes;
}

/* ---- helpers for the quantizers ---------------------------------------- */

/* Nearest integer to v (ties to even), clamped to [lo, hi]; NaN gives lo.
 * After the clamp |v| < 2^22, where adding 1.5 * 2^23 leaves round(v) in the
 * low mantissa bits: no libm call in loops over billions of weights. */
#if TEAI_QUANT_AVX2
static int cpu_has_avx2(void);
#endif

static inline int round_clamp(float v, int lo, int hi) {
    if (!(v > (float)lo)) return lo;
    if (v >= (float)hi) return hi;
    float f = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &f, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/* fp16 of v, saturated to the largest finite half (a scale never becomes inf). */
static uint16_t fp16_sat(float v) {
    if (v > 65504.0f) v = 65504.0f;
    if (v < -65504.0f) v = -65504.0f;
    return teai__f32_to_fp16(v);
}

static float fp16(const void *p) {
    return teai__fp16_to_f32(teai__load_u16(p));
}

static float absmax(const float *x, int64_t n) {
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > m) m = a;
    }
    return m;
}

/* ---- Q8_0 -------------------------------------------------------------- */

/* d = absmax/127 (rounded to fp16 first, then q = round(x/d) with that d). */
static void quantize_q8_0(const float *x, teai__block_q8_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += TEAI_QK8_0) {
        uint16_t dh = fp16_sat(absmax(x, TEAI_QK8_0) / 127.0f);
        float d = teai__fp16_to_f32(dh);
        float id = d > 0.0f ? 1.0f / d : 0.0f;
        y[i].d = dh;
        for (int j = 0; j < TEAI_QK8_0; j++) y[i].qs[j] = (int8_t)round_clamp(x[j] * id, -127, 127);
    }
}

static void dequantize_q8_0(const teai__block_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += TEAI_QK8_0) {
        float d = fp16(&b[i].d);
        for (int j = 0; j < TEAI_QK8_0; j++) y[j] = d * (float)b[i].qs[j];
    }
}

/* ---- Q4_0 -------------------------------------------------------------- */

/* d = v/-8 for the element v of largest magnitude (so v itself is exact at
 * q = 0), q = round(x/d) + 8 clamped to 0..15. */
static void quantize_q4_0(const float *x, teai__block_q4_0 *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += TEAI_QK4_0) {
        float amax = 0.0f, vmax = 0.0f;
        for (int j = 0; j < TEAI_QK4_0; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                vmax = x[j];
            }
        }
        uint16_t dh = fp16_sat(vmax / -8.0f);
        float d = teai__fp16_to_f32(dh);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = dh;
        for (int j = 0; j < TEAI_QK4_0 / 2; j++) {
            int q0 = round_clamp(x[j] * id, -8, 7) + 8;
            int q1 = round_clamp(x[j + TEAI_QK4_0 / 2] * id, -8, 7) + 8;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void dequantize_q4_0(const teai__block_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += TEAI_QK4_0) {
        float d = fp16(&b[i].d);
        for (int j = 0; j < TEAI_QK4_0 / 2; j++) {
            y[j] = d * (float)((b[i].qs[j] & 15) - 8);
            y[j + TEAI_QK4_0 / 2] = d * (float)((b[i].qs[j] >> 4) - 8);
        }
    }
}

/* ---- Q4_K -------------------------------------------------------------- */

/* Fits x[0..n) ~ scale*L - min with L in 0..nmax, scale >= 0, min >= 0,
 * minimizing sum w*(scale*L - min - x)^2: for a sweep of step sizes around
 * range/nmax, round to a grid, then solve the 2x2 least-squares problem for
 * (scale, min) given those L; keep the best (the idea of ggml's
 * make_qkx2_quants). Returns scale, writes *min_out and L. */
static float fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
                           float *min_out) {
    float lo = x[0], hi = x[0], sw = 0.0f, swx = 0.0f;
    for (int i = 0; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
        sw += w[i];
        swx += w[i] * x[i];
    }
    if (lo > 0.0f) lo = 0.0f; /* the min is subtracted, never added */
    if (!(hi > lo)) {         /* constant block (<= 0): scale 0, min = -x */
        memset(L, 0, (size_t)n);
        *min_out = -lo;
        return 0.0f;
    }
    float best_scale = (hi - lo) / (float)nmax, best_off = lo; /* x ~ scale*L + off */
    float inv = (float)nmax / (hi - lo), best_err = 0.0f;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)round_clamp(inv * (x[i] - lo), 0, nmax);
        float e = best_scale * (float)L[i] + lo - x[i];
        best_err += w[i] * e * e;
    }
    uint8_t aux[TEAI_QK_K];
    for (int k = 0; k <= 20; k++) {
        inv = ((float)nmax - 1.0f + 0.1f * (float)k) / (hi - lo);
        float sl = 0.0f, sl2 = 0.0f, sxl = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = round_clamp(inv * (x[i] - lo), 0, nmax);
            aux[i] = (uint8_t)l;
            sl += w[i] * (float)l;
            sl2 += w[i] * (float)(l * l);
            sxl += w[i] * (float)l * x[i];
        }
        float D = sw * sl2 - sl * sl;
        if (!(D > 0.0f)) continue;
        float scale = (sw * sxl - swx * sl) / D;
        float off = (sl2 * swx - sl * sxl) / D;
        if (off > 0.0f) {
            off = 0.0f;
            scale = sxl / sl2;
        }
        float err = 0.0f;
        for (int i = 0; i < n; i++) {
            float e = scale * (float)aux[i] + off - x[i];
            err += w[i] * e * e;
        }
        if (err < best_err) {
            memcpy(L, aux, (size_t)n);
            best_err = err;
            best_scale = scale;
            best_off = off;
        }
    }
    *min_out = -best_off;
    return best_scale;
}

/* Per sub-block of 32: weighted (scale, min) fit, weights |x| + rms(x) so that
 * large weights count more; then the 8 scales and 8 mins are quantized to 6
 * bits against their maxima (d = max scale/63, dmin = max min/63) and the
 * elements requantized with the scales actually stored. */
static void quantize_q4_k(const float *x, teai__block_q4_k *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += TEAI_QK_K) {
        uint8_t L[TEAI_QK_K];
        float scales[8], mins[8], w[32];
        float max_scale = 0.0f, max_min = 0.0f;
        for (int j = 0; j < 8; j++) {
            const float *xs = x + 32 * j;
            float ss = 0.0f;
            for (int l = 0; l < 32; l++) ss += xs[l] * xs[l];
            float av = sqrtf(ss / 32.0f);
            for (int l = 0; l < 32; l++) w[l] = av + fabsf(xs[l]);
            scales[j] = fit_scale_min(32, 15, xs, w, L + 32 * j, &mins[j]);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
        float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
        uint8_t *s = y[i].scales;
        for (int j = 0; j < 8; j++) {
            int ls = round_clamp(inv_scale * scales[j], 0, 63);
            int lm = round_clamp(inv_min * mins[j], 0, 63);
            if (j < 4) {
                s[j] = (uint8_t)ls;
                s[j + 4] = (uint8_t)lm;
            } else {
                s[j + 4] = (uint8_t)((ls & 15) | ((lm & 15) << 4));
                s[j - 4] |= (uint8_t)((ls >> 4) << 6);
                s[j] |= (uint8_t)((lm >> 4) << 6);
            }
        }
        y[i].d = fp16_sat(max_scale / 63.0f);
        y[i].dmin = fp16_sat(max_min / 63.0f);
        float d = fp16(&y[i].d), dmin = fp16(&y[i].dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            teai__q4k_scale_min(j, s, &sc, &m);
            float ds = d * (float)sc, dm = dmin * (float)m;
            float ids = ds > 0.0f ? 1.0f / ds : 0.0f;
            for (int l = 0; l < 32; l++)
                L[32 * j + l] = (uint8_t)round_clamp((x[32 * j + l] + dm) * ids, 0, 15);
        }
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++)
                y[i].qs[32 * p + l] = (uint8_t)(L[64 * p + l] | (L[64 * p + 32 + l] << 4));
    }
}

static void dequantize_q4_k(const teai__block_q4_k *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += TEAI_QK_K) {
        float d = fp16(&b[i].d), dmin = fp16(&b[i].dmin);
        for (int p = 0; p < 4; p++) {
            uint8_t sc0, m0, sc1, m1;
            teai__q4k_scale_min(2 * p, b[i].scales, &sc0, &m0);
            teai__q4k_scale_min(2 * p + 1, b[i].scales, &sc1, &m1);
            float d0 = d * (float)sc0, o0 = dmin * (float)m0;
            float d1 = d * (float)sc1, o1 = dmin * (float)m1;
            const uint8_t *q = b[i].qs + 32 * p;
            for (int l = 0; l < 32; l++) {
                y[64 * p + l] = d0 * (float)(q[l] & 15) - o0;
                y[64 * p + 32 + l] = d1 * (float)(q[l] >> 4) - o1;
            }
        }
    }
}

/* ---- Q6_K -------------------------------------------------------------- */

/* Fits x[0..n) ~ scale*l, l in -32..31, maximizing the explained
 * sum (x.l)^2/(l.l) with weights x^2 over 19 step sizes around amax/32 (the
 * idea of ggml's make_qx_quants). The sign of scale makes the element of
 * largest magnitude land on -32, the end of the range that has one more step. */
static float fit_scale_sym(int n, const float *x) {
    float amax = 0.0f, vmax = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            vmax = x[i];
        }
    }
    if (amax < 1e-15f) return 0.0f;
    float best = -1.0f, best_scale = 0.0f;
    for (int k = -9; k <= 9; k++) {
        float inv = -(32.0f + 0.1f * (float)k) / vmax;
        float sxl = 0.0f, sl2 = 0.0f;
        for (int i = 0; i < n; i++) {
            float l = (float)round_clamp(inv * x[i], -32, 31);
            float w = x[i] * x[i];
            sxl += w * x[i] * l;
            sl2 += w * l * l;
        }
        if (sl2 > 0.0f && sxl * sxl > best * sl2) {
            best = sxl * sxl / sl2;
            best_scale = sxl / sl2;
        }
    }
    return best_scale;
}

static void quantize_q6_k(const float *x, teai__block_q6_k *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, x += TEAI_QK_K) {
        float scales[16], max_scale = 0.0f, max_abs = 0.0f;
        for (int j = 0; j < 16; j++) {
            scales[j] = fit_scale_sym(16, x + 16 * j);
            if (fabsf(scales[j]) > max_abs) {
                max_abs = fabsf(scales[j]);
                max_scale = scales[j];
            }
        }
        memset(&y[i], 0, sizeof y[i]);
        if (max_abs < 1e-15f) continue; /* all zero: d = 0, every q = 0 */
        float iscale = -128.0f / max_scale;
        y[i].d = fp16_sat(1.0f / iscale);
        float d = fp16(&y[i].d);
        uint8_t L[TEAI_QK_K];
        for (int j = 0; j < 16; j++) {
            y[i].scales[j] = (int8_t)round_clamp(iscale * scales[j], -128, 127);
            float ds = d * (float)y[i].scales[j];
            float ids = ds != 0.0f ? 1.0f / ds : 0.0f;
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (uint8_t)(round_clamp(x[16 * j + l] * ids, -32, 31) + 32);
        }
        for (int h = 0; h < 2; h++) {
            uint8_t *ql = y[i].ql + 64 * h, *qh = y[i].qh + 32 * h;
            const uint8_t *Lh = L + 128 * h;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((Lh[l] & 15) | ((Lh[l + 64] & 15) << 4));
                ql[l + 32] = (uint8_t)((Lh[l + 32] & 15) | ((Lh[l + 96] & 15) << 4));
                qh[l] = (uint8_t)((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) |
                                  ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
            }
        }
    }
}

static void dequantize_q6_k(const teai__block_q6_k *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = fp16(&b[i].d);
        for (int h = 0; h < 2; h++, y += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 15) | ((qh[l] >> 0 & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 15) | ((qh[l] >> 2 & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                y[l] = d * (float)sc[is + 0] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

/* ---- I8 (per-row absmax) ---------------------------------------------- */

static void quantize_i8(const float *x, uint8_t *row, int64_t n, int simd) {
#if TEAI_QUANT_AVX2
    simd = simd && cpu_has_avx2();
#else
    (void)simd; /* no SIMD part on this architecture */
#endif
#if TEAI_QUANT_AVX2
    float amax = simd ? teai__absmax_avx2(x, n) : absmax(x, n);
#else
    float amax = absmax(x, n);
#endif
    uint16_t dh = fp16_sat(amax / 127.0f);
    float d = teai__fp16_to_f32(dh);
    float id = d > 0.0f ? 1.0f / d : 0.0f;
    memcpy(row, &dh, 2);
    row[2] = row[3] = 0;
    int8_t *q = (int8_t *)(row + TEAI_I8_HDR);
#if TEAI_QUANT_AVX2
    if (simd) {
        teai__i8_codes_avx2(x, id, q, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) q[i] = (int8_t)round_clamp(x[i] * id, -127, 127);
}

static void dequantize_i8(const uint8_t *row, float *y, int64_t n) {
    float d = fp16(row);
    const int8_t *q = (const int8_t *)(row + TEAI_I8_HDR);
    for (int64_t i = 0; i < n; i++) y[i] = d * (float)q[i];
}

/* ---- NF4 --------------------------------------------------------------- */

/* Code of the codebook value nearest to v (v in [-1, 1]): the number of
 * midpoints between neighbouring values that v lies above. */
static int nf4_code(float v) {
    int c = 0;
    for (int k = 0; k < 15; k++) c += v > 0.5f * (teai__nf4_values[k] + teai__nf4_values[k + 1]);
    return c;
}

static void quantize_nf4(const float *x, teai__block_nf4 *y, int64_t nb, int simd) {
#if TEAI_QUANT_AVX2
    simd = simd && cpu_has_avx2();
    float mids[15];
    for (int k = 0; k < 15; k++) mids[k] = 0.5f * (teai__nf4_values[k] + teai__nf4_values[k + 1]);
#else
    (void)simd;            /* no SIMD part on this architecture */
#endif
    for (int64_t i = 0; i < nb; i++, x += TEAI_QKNF4) {
        uint16_t ah = fp16_sat(absmax(x, TEAI_QKNF4));
        float a = teai__fp16_to_f32(ah);
        float ia = a > 0.0f ? 1.0f / a : 0.0f;
        y[i].absmax = ah;
#if TEAI_QUANT_AVX2
        if (simd) {
            teai__nf4_codes_avx2(x, ia, mids, y[i].qs);
            continue;
        }
#endif
        for (int j = 0; j < TEAI_QKNF4 / 2; j++) {
            int c0 = nf4_code(x[j] * ia), c1 = nf4_code(x[j + TEAI_QKNF4 / 2] * ia);
            y[i].qs[j] = (uint8_t)(c0 | (c1 << 4));
        }
    }
}

static void dequantize_nf4(const teai__block_nf4 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += TEAI_QKNF4) {
        float a = fp16(&b[i].absmax);
        for (int j = 0; j < TEAI_QKNF4 / 2; j++) {
            y[j] = a * teai__nf4_values[b[i].qs[j] & 15];
            y[j + TEAI_QKNF4 / 2] = a * teai__nf4_values[b[i].qs[j] >> 4];
        }
    }
}

/* ---- row entry points -------------------------------------------------- */

#if TEAI_QUANT_AVX2
#endif

static void f16_to_f32_row(const uint16_t *h, float *dst, int64_t n) {
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) {
        teai__f16_to_f32_row_avx2(h, dst, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) dst[i] = teai__fp16_to_f32(h[i]);
}

static void f32_to_f16_row(const float *src, uint16_t *h, int64_t n) {
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) {
        teai__f32_to_f16_row_avx2(src, h, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) h[i] = teai__f32_to_fp16(src[i]);
}

void teai__dequantize_row(teai_type t, const void *src, float *dst, int64_t n) {
    const uint16_t *h = src;
    switch (t) {
        case TEAI_TYPE_F32:
            memcpy(dst, src, (size_t)n * sizeof(float));
            break;
        case TEAI_TYPE_F16:
            f16_to_f32_row(h, dst, n);
            break;
        case TEAI_TYPE_BF16:
            for (int64_t i = 0; i < n; i++) dst[i] = teai__bf16_to_f32(h[i]);
            break;
        case TEAI_TYPE_Q8_0:
            dequantize_q8_0(src, dst, n / TEAI_QK8_0);
            break;
        case TEAI_TYPE_Q4_0:
            dequantize_q4_0(src, dst, n / TEAI_QK4_0);
            break;
        case TEAI_TYPE_Q4_K:
            dequantize_q4_k(src, dst, n / TEAI_QK_K);
            break;
        case TEAI_TYPE_Q6_K:
            dequantize_q6_k(src, dst, n / TEAI_QK_K);
            break;
        case TEAI_TYPE_I8:
            dequantize_i8(src, dst, n);
            break;
        case TEAI_TYPE_NF4:
            dequantize_nf4(src, dst, n / TEAI_QKNF4);
            break;
    }
}

static void quantize_row(teai_type t, const float *src, void *dst, int64_t n, int simd) {
    uint16_t *h = dst;
    switch (t) {
        case TEAI_TYPE_F32:
            memcpy(dst, src, (size_t)n * sizeof(float));
            break;
        case TEAI_TYPE_F16:
            f32_to_f16_row(src, h, n);
            break;
        case TEAI_TYPE_BF16:
            for (int64_t i = 0; i < n; i++) h[i] = teai__f32_to_bf16(src[i]);
            break;
        case TEAI_TYPE_Q8_0:
            quantize_q8_0(src, dst, n / TEAI_QK8_0);
            break;
        case TEAI_TYPE_Q4_0:
            quantize_q4_0(src, dst, n / TEAI_QK4_0);
            break;
        case TEAI_TYPE_Q4_K:
            quantize_q4_k(src, dst, n / TEAI_QK_K);
            break;
        case TEAI_TYPE_Q6_K:
            quantize_q6_k(src, dst, n / TEAI_QK_K);
            break;
        case TEAI_TYPE_I8:
            quantize_i8(src, dst, n, simd);
            break;
        case TEAI_TYPE_NF4:
            quantize_nf4(src, dst, n / TEAI_QKNF4, simd);
            break;
    }
}

void teai__quantize_row(teai_type t, const float *src, void *dst, int64_t n) {
    quantize_row(t, src, dst, n, 1);
}

void teai__quantize_row_ref(teai_type t, const float *src, void *dst, int64_t n) {
    quantize_row(t, src, dst, n, 0);
}

/* ---- scalar reference dot kernels --------------------------------------
 * dot(row, x) = sum_i w_i x_i, each as the format's formula: the per-block
 * sum of q*x in f32, times the block's scale. */

static float dot_f32_ref(int64_t n, const void *row, const float *x) {
    const float *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += w[i] * x[i];
    return s;
}

static float dot_f16_ref(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += teai__fp16_to_f32(w[i]) * x[i];
    return s;
}

static float dot_bf16_ref(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += teai__bf16_to_f32(w[i]) * x[i];
    return s;
}

static float dot_q8_0_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q8_0 *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK8_0; i++, x += TEAI_QK8_0) {
        float bs = 0.0f;
        for (int j = 0; j < TEAI_QK8_0; j++) bs += (float)b[i].qs[j] * x[j];
        s += fp16(&b[i].d) * bs;
    }
    return s;
}

static float dot_q4_0_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q4_0 *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK4_0; i++, x += TEAI_QK4_0) {
        float bs = 0.0f;
        for (int j = 0; j < TEAI_QK4_0 / 2; j++) {
            bs += (float)((b[i].qs[j] & 15) - 8) * x[j];
            bs += (float)((b[i].qs[j] >> 4) - 8) * x[j + TEAI_QK4_0 / 2];
        }
        s += fp16(&b[i].d) * bs;
    }
    return s;
}

/* sum_j d*sc_j * sum(q*x) - dmin*m_j * sum(x) over the 8 sub-blocks j. */
static float dot_q4_k_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q4_k *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++, x += TEAI_QK_K) {
        float d = fp16(&b[i].d), dmin = fp16(&b[i].dmin);
        for (int p = 0; p < 4; p++) {
            const uint8_t *q = b[i].qs + 32 * p;
            const float *x0 = x + 64 * p, *x1 = x0 + 32;
            float qx0 = 0.0f, qx1 = 0.0f, sx0 = 0.0f, sx1 = 0.0f;
            for (int l = 0; l < 32; l++) {
                qx0 += (float)(q[l] & 15) * x0[l];
                qx1 += (float)(q[l] >> 4) * x1[l];
                sx0 += x0[l];
                sx1 += x1[l];
            }
            uint8_t sc0, m0, sc1, m1;
            teai__q4k_scale_min(2 * p, b[i].scales, &sc0, &m0);
            teai__q4k_scale_min(2 * p + 1, b[i].scales, &sc1, &m1);
            s += d * ((float)sc0 * qx0 + (float)sc1 * qx1) -
                 dmin * ((float)m0 * sx0 + (float)m1 * sx1);
        }
    }
    return s;
}

/* sum over the 16 sub-blocks k of d * scales[k] * sum((q - 32) * x). */
static float dot_q6_k_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q6_k *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        float sub[16] = {0};
        for (int h = 0; h < 2; h++, x += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            float *sh = sub + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 15) | ((qh[l] >> 0 & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 15) | ((qh[l] >> 2 & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                sh[is + 0] += (float)q1 * x[l];
                sh[is + 2] += (float)q2 * x[l + 32];
                sh[is + 4] += (float)q3 * x[l + 64];
                sh[is + 6] += (float)q4 * x[l + 96];
            }
        }
        float bs = 0.0f;
        for (int k = 0; k < 16; k++) bs += (float)b[i].scales[k] * sub[k];
        s += fp16(&b[i].d) * bs;
    }
    return s;
}

static float dot_i8_ref(int64_t n, const void *row, const float *x) {
    const int8_t *q = (const int8_t *)row + TEAI_I8_HDR;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += (float)q[i] * x[i];
    return fp16(row) * s;
}

static float dot_nf4_ref(int64_t n, const void *row, const float *x) {
    const teai__block_nf4 *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++, x += TEAI_QKNF4) {
        float bs = 0.0f;
        for (int j = 0; j < TEAI_QKNF4 / 2; j++) {
            bs += teai__nf4_values[b[i].qs[j] & 15] * x[j];
            bs += teai__nf4_values[b[i].qs[j] >> 4] * x[j + TEAI_QKNF4 / 2];
        }
        s += fp16(&b[i].absmax) * bs;
    }
    return s;
}

/* ---- activations in the weight type's vec_dot_type ---------------------- */

teai_type teai__vec_type(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_Q8_0:
        case TEAI_TYPE_Q4_0:
        case TEAI_TYPE_I8:
            return TEAI_TYPE_Q8_0;
        case TEAI_TYPE_Q4_K:
        case TEAI_TYPE_Q6_K:
            return TEAI__TYPE_Q8_K;
        case TEAI_TYPE_F16:
            return TEAI_TYPE_F16;
        case TEAI_TYPE_F32:
        case TEAI_TYPE_BF16:
        case TEAI_TYPE_NF4:
            return TEAI_TYPE_F32;
    }
    return (teai_type)-1;
}

size_t teai__vec_size(teai_type wtype, int64_t n) {
    if (n < 0) return 0;
    uint64_t bytes;
    int ok;
    switch ((int)teai__vec_type(wtype)) { /* int: Q8_K is not in the enum */
        case TEAI_TYPE_Q8_0:              /* I8 rows of any length: a last, zero-padded block */
            if (wtype != TEAI_TYPE_I8 && n % TEAI_QK8_0 != 0) return 0;
            ok = teai__mul_ok((uint64_t)(n / TEAI_QK8_0 + (n % TEAI_QK8_0 != 0)),
                              sizeof(teai__block_q8_0), &bytes);
            break;
        case (int)TEAI__TYPE_Q8_K:
            if (n % TEAI_QK_K != 0) return 0;
            ok = teai__mul_ok((uint64_t)(n / TEAI_QK_K), TEAI__Q8K_BYTES, &bytes);
            break;
        case TEAI_TYPE_F16:
            ok = teai__mul_ok((uint64_t)n, 2, &bytes);
            break;
        case TEAI_TYPE_F32:
            ok = teai__mul_ok((uint64_t)n, 4, &bytes);
            break;
        default:
            return 0;
    }
    return ok && bytes <= SIZE_MAX ? (size_t)bytes : 0;
}

/* Nearest integer to v, ties to even (as _mm256_round_ps, vcvtnq_s32_f32 and
 * ggml's nearest_int), clamped to [-128, 127]; NaN gives -128 (what
 * cvtps_epi32 + packs give). v is a separate parameter so that no compiler
 * fuses the caller's multiply into the add below. */
static int8_t nearest_i8(float v) {
    if (!(v >= -128.0f)) return -128;
    if (v > 127.0f) return 127;
    float f = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &f, 4);
    return (int8_t)((i & 0x007fffff) - 0x00400000);
}

/* Q8_0 as llama.cpp's x86 CPU backend (quantize_row_q8_0, AVX/AVX2/AVX-512):
 * d = amax/127 stored as fp16, q = round-half-even(x * (127/amax)). n may end
 * in a partial block (I8 weights); its missing elements are 0. */
static void quantize_vec_q8_0(const float *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i += TEAI_QK8_0, y += sizeof(teai__block_q8_0)) {
        float v[TEAI_QK8_0] = {0};
        int len = n - i < TEAI_QK8_0 ? (int)(n - i) : TEAI_QK8_0;
        memcpy(v, x + i, (size_t)len * sizeof(float));
        float amax = absmax(v, TEAI_QK8_0);
        uint16_t dh = teai__f32_to_fp16(amax / 127.0f);
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        memcpy(y, &dh, 2);
        for (int j = 0; j < TEAI_QK8_0; j++) y[2 + j] = (uint8_t)nearest_i8(v[j] * id);
    }
}

/* Q8_K as ggml's quantize_row_q8_K_ref: the first element of largest
 * magnitude, max, maps to -127 (iscale = -127/max), d = 1/iscale; an all-zero
 * block is d = 0, every q = 0. */
static void quantize_vec_q8_k(const float *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i += TEAI_QK_K, x += TEAI_QK_K, y += TEAI__Q8K_BYTES) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < TEAI_QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        float d = 0.0f;
        int8_t q[TEAI_QK_K] = {0};
        int16_t bsums[TEAI_QK_K / 16] = {0};
        if (amax != 0.0f) {
            float iscale = -127.0f / max;
            for (int j = 0; j < TEAI_QK_K; j++) q[j] = nearest_i8(iscale * x[j]);
            for (int k = 0; k < TEAI_QK_K / 16; k++) {
                int sum = 0;
                for (int l = 0; l < 16; l++) sum += q[16 * k + l];
                bsums[k] = (int16_t)sum;
            }
            d = 1.0f / iscale;
        }
        memcpy(y + TEAI__Q8K_D, &d, 4);
        memcpy(y + TEAI__Q8K_QS, q, sizeof q);
        memcpy(y + TEAI__Q8K_BSUMS, bsums, sizeof bsums);
    }
}

static void quantize_vec(teai_type wtype, const float *x, void *xq, int64_t n, int simd) {
    uint8_t *y = xq;
#if TEAI_QUANT_AVX2
    simd = simd && cpu_has_avx2();
#else
    (void)simd;            /* the scalar code serves this architecture */
#endif
    switch ((int)teai__vec_type(wtype)) {
        case TEAI_TYPE_Q8_0:
#if TEAI_QUANT_AVX2
            if (simd) {
                int64_t nb = n / TEAI_QK8_0;
                teai__quantize_vec_q8_0_avx2(x, y, nb);
                if (n % TEAI_QK8_0)
                    quantize_vec_q8_0(x + nb * TEAI_QK8_0, y + nb * sizeof(teai__block_q8_0),
                                      n % TEAI_QK8_0);
                break;
            }
#endif
            quantize_vec_q8_0(x, y, n);
            break;
        case (int)TEAI__TYPE_Q8_K:
            quantize_vec_q8_k(x, y, n - n % TEAI_QK_K);
            break;
        case TEAI_TYPE_F16:
            if (simd) {
                f32_to_f16_row(x, xq, n); /* F16C where the CPU has it: the same bits */
                break;
            }
            for (int64_t i = 0; i < n; i++) {
                uint16_t h = teai__f32_to_fp16(x[i]);
                memcpy(y + 2 * i, &h, 2);
            }
            break;
        case TEAI_TYPE_F32:
            memcpy(xq, x, (size_t)n * sizeof(float));
            break;
        default:
            break;
    }
}

void teai__quantize_vec(teai_type wtype, const float *x, void *xq, int64_t n) {
    quantize_vec(wtype, x, xq, n, 1);
}

void teai__quantize_vec_ref(teai_type wtype, const float *x, void *xq, int64_t n) {
    quantize_vec(wtype, x, xq, n, 0);
}

/* ---- scalar reference dotq kernels --------------------------------------
 * Integer sums per block as ggml's generic vec_dot_*_q8_0 / *_q8_K; the
 * activation blocks are read through byte offsets (any alignment). */

static float dotq_q8_0_ref(int64_t n, const void *row, const void *xq) {
    const teai__block_q8_0 *b = row;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK8_0; i++, y += sizeof(teai__block_q8_0)) {
        const int8_t *q8 = (const int8_t *)(y + 2);
        int sumi = 0;
        for (int j = 0; j < TEAI_QK8_0; j++) sumi += b[i].qs[j] * q8[j];
        s += (float)sumi * (fp16(&b[i].d) * fp16(y));
    }
    return s;
}

static float dotq_q4_0_ref(int64_t n, const void *row, const void *xq) {
    const teai__block_q4_0 *b = row;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK4_0; i++, y += sizeof(teai__block_q8_0)) {
        const int8_t *q8 = (const int8_t *)(y + 2);
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < TEAI_QK4_0 / 2; j++) {
            sumi0 += ((b[i].qs[j] & 15) - 8) * q8[j];
            sumi1 += ((b[i].qs[j] >> 4) - 8) * q8[j + TEAI_QK4_0 / 2];
        }
        s += (float)(sumi0 + sumi1) * fp16(&b[i].d) * fp16(y);
    }
    return s;
}

/* I8 (teai's own) with Q8_0 activations: per block of 32, the integer sum
 * times the activation block's scale; times the row scale at the end. */
static float dotq_i8_ref(int64_t n, const void *row, const void *xq) {
    const int8_t *q = (const int8_t *)row + TEAI_I8_HDR;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i += TEAI_QK8_0, y += sizeof(teai__block_q8_0)) {
        const int8_t *q8 = (const int8_t *)(y + 2);
        int len = n - i < TEAI_QK8_0 ? (int)(n - i) : TEAI_QK8_0;
        int sumi = 0;
        for (int j = 0; j < len; j++) sumi += q[i + j] * q8[j];
        s += fp16(y) * (float)sumi;
    }
    return fp16(row) * s;
}

/* Per super-block: d*dy * sum_j sc_j * sum(q*q8) - dmin*dy * sum_j m_j *
 * (bsums[2j] + bsums[2j+1]), both sums exact integers. */
static float dotq_q4_k_ref(int64_t n, const void *row, const void *xq) {
    const teai__block_q4_k *b = row;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++, y += TEAI__Q8K_BYTES) {
        const int8_t *q8 = (const int8_t *)(y + TEAI__Q8K_QS);
        int16_t bsums[16];
        memcpy(bsums, y + TEAI__Q8K_BSUMS, sizeof bsums);
        uint8_t sm[16]; /* scales 0..7, mins 8..15 */
        teai__q4k_scales_mins(b[i].scales, sm);
        int summ = 0, sumi = 0;
        for (int k = 0; k < 16; k++) summ += bsums[k] * sm[8 + k / 2];
        for (int p = 0; p < 4; p++) {
            const uint8_t *q = b[i].qs + 32 * p;
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; l++) {
                s0 += (q[l] & 15) * q8[64 * p + l];
                s1 += (q[l] >> 4) * q8[64 * p + 32 + l];
            }
            sumi += sm[2 * p] * s0 + sm[2 * p + 1] * s1;
        }
        float dy = teai__load_f32(y + TEAI__Q8K_D);
        s += fp16(&b[i].d) * dy * (float)sumi - fp16(&b[i].dmin) * dy * (float)summ;
    }
    return s;
}

/* Per super-block: d*dy * sum over the 16 sub-blocks k of scales[k] *
 * sum((q - 32) * q8), an exact integer. */
static float dotq_q6_k_ref(int64_t n, const void *row, const void *xq) {
    const teai__block_q6_k *b = row;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++, y += TEAI__Q8K_BYTES) {
        const int8_t *q8 = (const int8_t *)(y + TEAI__Q8K_QS);
        int8_t a[TEAI_QK_K];
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            int8_t *ah = a + 128 * h;
            for (int l = 0; l < 32; l++) {
                ah[l] = (int8_t)(((ql[l] & 15) | ((qh[l] >> 0 & 3) << 4)) - 32);
                ah[l + 32] = (int8_t)(((ql[l + 32] & 15) | ((qh[l] >> 2 & 3) << 4)) - 32);
                ah[l + 64] = (int8_t)(((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32);
                ah[l + 96] = (int8_t)(((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32);
            }
        }
        int sumi = 0;
        for (int k = 0; k < 16; k++) {
            int sk = 0;
            for (int l = 0; l < 16; l++) sk += a[16 * k + l] * q8[16 * k + l];
            sumi += b[i].scales[k] * sk;
        }
        s += fp16(&b[i].d) * teai__load_f32(y + TEAI__Q8K_D) * (float)sumi;
    }
    return s;
}

/* F16 weights, x rounded to fp16: sum of fp16(w) * fp16(x) in f32. */
static float dotq_f16_ref(int64_t n, const void *row, const void *xq) {
    const uint8_t *w = row, *x = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += fp16(w + 2 * i) * fp16(x + 2 * i);
    return s;
}

/* Weight types whose activations stay f32: the f32 dot kernels. */
static float dotq_f32_ref(int64_t n, const void *row, const void *xq) {
    return dot_f32_ref(n, row, xq);
}
static float dotq_bf16_ref(int64_t n, const void *row, const void *xq) {
    return dot_bf16_ref(n, row, xq);
}
static float dotq_nf4_ref(int64_t n, const void *row, const void *xq) {
    return dot_nf4_ref(n, row, xq);
}

teai__dotq_fn teai__dotq_ref(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_F32:
            return dotq_f32_ref;
        case TEAI_TYPE_F16:
            return dotq_f16_ref;
        case TEAI_TYPE_BF16:
            return dotq_bf16_ref;
        case TEAI_TYPE_Q8_0:
            return dotq_q8_0_ref;
        case TEAI_TYPE_Q4_0:
            return dotq_q4_0_ref;
        case TEAI_TYPE_Q4_K:
            return dotq_q4_k_ref;
        case TEAI_TYPE_Q6_K:
            return dotq_q6_k_ref;
        case TEAI_TYPE_I8:
            return dotq_i8_ref;
        case TEAI_TYPE_NF4:
            return dotq_nf4_ref;
    }
    return NULL;
}

/* ---- dispatch ---------------------------------------------------------- */

teai__dot_fn teai__dot_ref(teai_type t) {
    switch (t) {
        case TEAI_TYPE_F32:
            return dot_f32_ref;
        case TEAI_TYPE_F16:
            return dot_f16_ref;
        case TEAI_TYPE_BF16:
            return dot_bf16_ref;
        case TEAI_TYPE_Q8_0:
            return dot_q8_0_ref;
        case TEAI_TYPE_Q4_0:
            return dot_q4_0_ref;
        case TEAI_TYPE_Q4_K:
            return dot_q4_k_ref;
        case TEAI_TYPE_Q6_K:
            return dot_q6_k_ref;
        case TEAI_TYPE_I8:
            return dot_i8_ref;
        case TEAI_TYPE_NF4:
            return dot_nf4_ref;
    }
    return NULL;
}

#if TEAI_QUANT_AVX2
/* The environment variable TEAI_SIMD caps the kernels teai uses on x86_64:
 * "scalar" (the references only), "avx2" (no AVX-512), anything else or
 * unset: the best the CPU runs. The tests use it to check every level on a
 * machine that has them all. 0 scalar, 1 avx2, 2 avx512. */
static int simd_cap(void) {
    const char *v = getenv("TEAI_SIMD");
    if (v && strcmp(v, "scalar") == 0) return 0;
    if (v && strcmp(v, "avx2") == 0) return 1;
    return 2;
}

/* AVX2 + FMA + F16C. __builtin_cpu_supports("avx2") also checks that the OS
 * saves the AVX state; F16C comes from CPUID leaf 1 (ECX bit 29) because not
 * every compiler's builtin knows "f16c". */
static int detect_avx2(void) {
    unsigned a, b, c, d;
    if (simd_cap() < 1 || !__get_cpuid(1, &a, &b, &c, &d) || !(c >> 29 & 1)) return 0;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* AVX-512 F/BW/VL/DQ + VNNI (the builtin checks that the OS saves the
 * 512-bit state too). */
static int detect_avx512(void) {
    return simd_cap() >= 2 && detect_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
}

/* Detected once: CPUID can trap to the hypervisor, and the matvec asks on
 * every call. */
static int cached_flag(atomic_int *cached, int (*detect)(void)) {
    int v = atomic_load_explicit(cached, memory_order_relaxed); /* 0 unknown, 1 no, 2 yes */
    if (!v) {
        v = detect() ? 2 : 1;
        atomic_store_explicit(cached, v, memory_order_relaxed);
    }
    return v == 2;
}

static int cpu_has_avx2(void) {
    static atomic_int cached;
    return cached_flag(&cached, detect_avx2);
}

static int cpu_has_avx512(void) {
    static atomic_int cached;
    return cached_flag(&cached, detect_avx512);
}
#endif

teai__dot_fn teai__dot_best(teai_type t) {
    teai__dot_fn f = NULL;
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) f = teai__dot_avx2(t);
#elif TEAI_QUANT_NEON
    f = teai__dot_neon(t); /* NEON is part of every AArch64 CPU */
#endif
    return f ? f : teai__dot_ref(t);
}

void teai__matvec(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                  int64_t r1, const float *x, float *y) {
    teai__matvec_fn mv = NULL;
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) mv = teai__matvec_avx2(t);
#elif TEAI_QUANT_NEON
    mv = teai__matvec_neon(t);
#endif
    if (mv) {
        mv(W, row_bytes, cols, r0, r1, x, y);
        return;
    }
    teai__dot_fn dot = teai__dot_best(t);
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
    for (int64_t r = r0; r < r1; r++, w += row_bytes) y[r] = dot ? dot(cols, w, x) : 0.0f;
}

teai__dotq_fn teai__dotq_best(teai_type wtype) {
    teai__dotq_fn f = NULL;
#if TEAI_QUANT_AVX2
    if (cpu_has_avx512()) f = teai__dotq_avx512(wtype);
    if (!f && cpu_has_avx2()) f = teai__dotq_avx2(wtype);
#elif TEAI_QUANT_NEON
    f = teai__dotq_neon(wtype);
#endif
    return f ? f : teai__dotq_ref(wtype);
}

static teai__dotq_tile_fn dotq_tile_best(teai_type wtype) {
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) return teai__dotq_tile_avx2(wtype);
#elif TEAI_QUANT_NEON
    return teai__dotq_tile_neon(wtype);
#endif
    return NULL;
}

teai__dotq_rows_fn teai__dotq_rows_best(teai_type wtype) {
#if TEAI_QUANT_AVX2
    teai__dotq_rows_fn f = cpu_has_avx512() ? teai__dotq_rows_avx512(wtype) : NULL;
    if (f) return f;
    if (cpu_has_avx2()) return teai__dotq_rows_avx2(wtype);
#endif
    (void)wtype;
    return NULL;
}

void teai__matvec_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, float *y) {
    const uint8_t *w = (const uint8_t *)W + (size_t)r0 * row_bytes;
#if TEAI_QUANT_AVX2
    /* AVX-512: one row at a time, in file order, which the hardware
     * prefetcher follows best (interleaving rows made decode 2-3x slower).
     * Q8_0, Q4_0, int8, Q4_K, Q6_K and nf4 give the prefill tile's results
     * bit for bit; F16 sums in another order (four chains per row) */
    teai__matvec_q_fn mv = cpu_has_avx512() ? teai__matvec_q_avx512(t) : NULL;
    if (mv) {
        mv(W, row_bytes, cols, r0, r1, xq, y);
        return;
    }
    teai__dotq_rows_fn rows = cpu_has_avx512() ? teai__dotq_rows_avx512(t) : NULL;
    if (rows) {
        for (int64_t r = r0; r < r1; r++, w += row_bytes)
            rows(cols, w, row_bytes, 1, xq, 0, 1, &y[r]);
        return;
    }
#endif
    teai__dotq_tile_fn tile = dotq_tile_best(t);
    if (tile) {
        for (int64_t r = r0; r < r1; r++, w += row_bytes) tile(cols, w, xq, 0, 1, &y[r]);
        return;
    }
    teai__dotq_fn dot = teai__dotq_best(t);
    for (int64_t r = r0; r < r1; r++, w += row_bytes) y[r] = dot ? dot(cols, w, xq) : 0.0f;
}

/* Bytes of weight rows, and of activation vectors, that one tile of
 * teai__matmul_q keeps in L2 (each about a quarter of a 1 MiB L2). */
#define MATMUL_TILE_BYTES (256 * 1024)

/* Y rows [r0, r1) for B vectors with a register-tiled kernel: blocks of
 * TEAI__ROWS_NR rows by TEAI__ROWS_NT vectors. */
static void matmul_rows(teai__dotq_rows_fn rows, const void *W, size_t row_bytes, int64_t cols,
                        int64_t r0, int64_t r1, const uint8_t *X, size_t xq_stride, int B, float *y,
                        size_t y_stride) {
    int64_t rt = (int64_t)(MATMUL_TILE_BYTES / row_bytes) / TEAI__ROWS_NR * TEAI__ROWS_NR;
    if (rt < TEAI__ROWS_NR) rt = TEAI__ROWS_NR;
    for (int64_t ra = r0; ra < r1; ra += rt) {
        int64_t re = r1 - ra < rt ? r1 : ra + rt;
        for (int b = 0; b < B; b += TEAI__ROWS_NT) {
            int nt = B - b < TEAI__ROWS_NT ? B - b : TEAI__ROWS_NT;
            const uint8_t *xb = X + (size_t)b * xq_stride;
            for (int64_t r = ra; r < re; r += TEAI__ROWS_NR) {
                int nr = re - r < TEAI__ROWS_NR ? (int)(re - r) : TEAI__ROWS_NR;
                float out[TEAI__ROWS_NR * TEAI__ROWS_NT];
                rows(cols, (const uint8_t *)W + (size_t)r * row_bytes, row_bytes, nr, xb, xq_stride,
                     nt, out);
                for (int i = 0; i < nr; i++)
                    for (int k = 0; k < nt; k++)
                        y[(size_t)(b + k) * y_stride + (size_t)(r + i)] = out[i * nt + k];
            }
        }
    }
}

void teai__matmul_q(teai_type t, const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                    int64_t r1, const void *xq, size_t xq_stride, int B, float *y,
                    size_t y_stride) {
    teai__dotq_tile_fn tile = dotq_tile_best(t);
    teai__dotq_fn dot = teai__dotq_best(t);
    if (!dot || r0 >= r1 || B <= 0) return;
    const uint8_t *X = xq;
#if TEAI_QUANT_AVX2
    teai__matmul_q_fn mm = cpu_has_avx512() ? teai__matmul_q_avx512(t) : NULL;
    if (mm && row_bytes) {
        mm(W, row_bytes, cols, r0, r1, xq, xq_stride, B, y, y_stride);
        return;
    }
#endif
    teai__dotq_rows_fn rows = teai__dotq_rows_best(t);
    if (rows && row_bytes) {
        matmul_rows(rows, W, row_bytes, cols, r0, r1, X, xq_stride, B, y, y_stride);
        return;
    }
    int64_t rt = row_bytes ? (int64_t)(MATMUL_TILE_BYTES / row_bytes) : 1;
    if (rt < 1) rt = 1;
    int bt = xq_stride ? (int)(MATMUL_TILE_BYTES / xq_stride) / 4 * 4 : B;
    if (bt < 4) bt = 4;
    for (int64_t ra = r0; ra < r1; ra += rt) {
        int64_t re = r1 - ra < rt ? r1 : ra + rt;
        for (int ba = 0; ba < B; ba += bt) {
            int be = B - ba < bt ? B : ba + bt;
            for (int64_t r = ra; r < re; r++) {
                const uint8_t *w = (const uint8_t *)W + (size_t)r * row_bytes;
                for (int b = ba; b < be; b += 4) {
                    int nt = be - b < 4 ? be - b : 4;
                    const uint8_t *xb = X + (size_t)b * xq_stride;
                    float out[4];
                    if (tile)
                        tile(cols, w, xb, xq_stride, nt, out);
                    else
                        for (int k = 0; k < nt; k++) out[k] = dot(cols, w, xb + k * xq_stride);
                    for (int k = 0; k < nt; k++) y[(size_t)(b + k) * y_stride + (size_t)r] = out[k];
                }
            }
        }
    }
}

static void axpy_ref(int64_t n, float a, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

teai__axpy_fn teai__axpy_ref(void) {
    return axpy_ref;
}

teai__axpy_fn teai__axpy_best(void) {
#if TEAI_QUANT_AVX2
    if (cpu_has_avx2()) return teai__axpy_avx2;
#elif TEAI_QUANT_NEON
    return teai__axpy_neon;
#endif
    return axpy_ref;
}

const char *teai__simd_name(void) {
#if TEAI_QUANT_AVX2
    if (cpu_has_avx512()) return "avx512-vnni"; /* prefill tiles; the rest AVX2 */
    if (cpu_has_avx2()) return "avx2";
#elif TEAI_QUANT_NEON && defined(__ARM_FEATURE_DOTPROD)
    return "neon-dotprod"; /* the integer kernels use sdot */
#elif TEAI_QUANT_NEON
    return "neon";
#endif
    return "scalar";
}
