/* Quantizers and dequantizers (the scalar reference, with the SIMD parts of
 * quant_avx2.c where the CPU runs them): the weight formats, rows of n
 * elements, and the activation forms of llama.cpp (Q8_0 as its x86 backend,
 * Q8_K), vectors of n elements. The type table (quant_types.c) names them
 * per type; block layouts: quant_simd.h. The SIMD parts are x86_64 only
 * (int8: absmax and codes; NF4: codes; F16: F16C conversion; Q8_0
 * activations: whole blocks) and equal the scalar code bit for bit; simd 0
 * runs the scalar code alone. */
#include "quant_impl.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- helpers for the quantizers ---------------------------------------- */

/* Nearest integer to v (ties to even), clamped to [lo, hi]; NaN gives lo.
 * After the clamp |v| < 2^22, where adding 1.5 * 2^23 leaves round(v) in the
 * low mantissa bits: no libm call in loops over billions of weights. */
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

/* ---- F32, F16, BF16 (also the F32 and F16 activation forms) --------------- */

void teai__quantize_f32(const float *x, void *row, int64_t n, int simd) {
    memcpy(row, x, (size_t)n * sizeof(float));
}

void teai__dequantize_f32(const void *row, float *y, int64_t n) {
    memcpy(y, row, (size_t)n * sizeof(float));
}

/* Round to nearest even (F16C's conversion gives the same bits); row at any
 * alignment. */
void teai__quantize_f16(const float *x, void *row, int64_t n, int simd) {
#if TEAI_QUANT_AVX2
    if (simd && teai__cpu_has_avx2()) {
        teai__f32_to_f16_row_avx2(x, row, n);
        return;
    }
#endif
    uint8_t *y = row;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = teai__f32_to_fp16(x[i]);
        memcpy(y + 2 * i, &h, 2);
    }
}

void teai__dequantize_f16(const void *row, float *y, int64_t n) {
    const uint16_t *h = row;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx2()) {
        teai__f16_to_f32_row_avx2(h, y, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = teai__fp16_to_f32(h[i]);
}

void teai__quantize_bf16(const float *x, void *row, int64_t n, int simd) {
    uint16_t *h = row;
    for (int64_t i = 0; i < n; i++) h[i] = teai__f32_to_bf16(x[i]);
}

void teai__dequantize_bf16(const void *row, float *y, int64_t n) {
    const uint16_t *h = row;
    for (int64_t i = 0; i < n; i++) y[i] = teai__bf16_to_f32(h[i]);
}

/* ---- Q8_0 -------------------------------------------------------------- */

/* d = absmax/127 (rounded to fp16 first, then q = round(x/d) with that d). */
void teai__quantize_q8_0(const float *x, void *row, int64_t n, int simd) {
    teai__block_q8_0 *y = row;
    int64_t nb = n / TEAI_QK8_0;
    for (int64_t i = 0; i < nb; i++, x += TEAI_QK8_0) {
        uint16_t dh = fp16_sat(absmax(x, TEAI_QK8_0) / 127.0f);
        float d = teai__fp16_to_f32(dh);
        float id = d > 0.0f ? 1.0f / d : 0.0f;
        y[i].d = dh;
        for (int j = 0; j < TEAI_QK8_0; j++) y[i].qs[j] = (int8_t)round_clamp(x[j] * id, -127, 127);
    }
}

void teai__dequantize_q8_0(const void *row, float *y, int64_t n) {
    const teai__block_q8_0 *b = row;
    int64_t nb = n / TEAI_QK8_0;
    for (int64_t i = 0; i < nb; i++, y += TEAI_QK8_0) {
        float d = fp16(&b[i].d);
        for (int j = 0; j < TEAI_QK8_0; j++) y[j] = d * (float)b[i].qs[j];
    }
}

/* ---- Q4_0 -------------------------------------------------------------- */

/* d = v/-8 for the element v of largest magnitude (so v itself is exact at
 * q = 0), q = round(x/d) + 8 clamped to 0..15. */
void teai__quantize_q4_0(const float *x, void *row, int64_t n, int simd) {
    teai__block_q4_0 *y = row;
    int64_t nb = n / TEAI_QK4_0;
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

void teai__dequantize_q4_0(const void *row, float *y, int64_t n) {
    const teai__block_q4_0 *b = row;
    int64_t nb = n / TEAI_QK4_0;
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
void teai__quantize_q4_k(const float *x, void *row, int64_t n, int simd) {
    teai__block_q4_k *y = row;
    int64_t nb = n / TEAI_QK_K;
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

void teai__dequantize_q4_k(const void *row, float *y, int64_t n) {
    const teai__block_q4_k *b = row;
    int64_t nb = n / TEAI_QK_K;
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

void teai__quantize_q6_k(const float *x, void *row, int64_t n, int simd) {
    teai__block_q6_k *y = row;
    int64_t nb = n / TEAI_QK_K;
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

void teai__dequantize_q6_k(const void *row, float *y, int64_t n) {
    const teai__block_q6_k *b = row;
    int64_t nb = n / TEAI_QK_K;
    for (int64_t i = 0; i < nb; i++) {
        float d = fp16(&b[i].d);
        for (int h = 0; h < 2; h++, y += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q[4];
                teai__q6_k_quad(ql, qh, l, q);
                for (int k = 0; k < 4; k++) y[l + 32 * k] = d * (float)sc[is + 2 * k] * (float)q[k];
            }
        }
    }
}

/* ---- I8 (per-row absmax) ---------------------------------------------- */

void teai__quantize_i8(const float *x, void *dst, int64_t n, int simd) {
    uint8_t *row = dst;
#if TEAI_QUANT_AVX2
    simd = simd && teai__cpu_has_avx2();
    float amax = simd ? teai__absmax_avx2(x, n) : absmax(x, n);
#else
    float amax = absmax(x, n); /* no SIMD part on this architecture */
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

void teai__dequantize_i8(const void *src, float *y, int64_t n) {
    const uint8_t *row = src;
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

void teai__quantize_nf4(const float *x, void *row, int64_t n, int simd) {
    teai__block_nf4 *y = row;
    int64_t nb = n / TEAI_QKNF4;
#if TEAI_QUANT_AVX2
    simd = simd && teai__cpu_has_avx2();
    float mids[15];
    for (int k = 0; k < 15; k++) mids[k] = 0.5f * (teai__nf4_values[k] + teai__nf4_values[k + 1]);
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

void teai__dequantize_nf4(const void *row, float *y, int64_t n) {
    const teai__block_nf4 *b = row;
    int64_t nb = n / TEAI_QKNF4;
    for (int64_t i = 0; i < nb; i++, y += TEAI_QKNF4) {
        float a = fp16(&b[i].absmax);
        for (int j = 0; j < TEAI_QKNF4 / 2; j++) {
            y[j] = a * teai__nf4_values[b[i].qs[j] & 15];
            y[j + TEAI_QKNF4 / 2] = a * teai__nf4_values[b[i].qs[j] >> 4];
        }
    }
}

/* ---- activations (llama.cpp's vec_dot_type) ------------------------------- */

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

/* Whole blocks with AVX2 where the CPU has it, the partial last one scalar. */
void teai__quantize_vec_q8_0(const float *x, void *xq, int64_t n, int simd) {
    uint8_t *y = xq;
#if TEAI_QUANT_AVX2
    if (simd && teai__cpu_has_avx2()) {
        int64_t nb = n / TEAI_QK8_0;
        teai__quantize_vec_q8_0_avx2(x, y, nb);
        if (n % TEAI_QK8_0)
            quantize_vec_q8_0(x + nb * TEAI_QK8_0, y + nb * sizeof(teai__block_q8_0),
                              n % TEAI_QK8_0);
        return;
    }
#endif
    quantize_vec_q8_0(x, y, n);
}

/* Q8_K as ggml's quantize_row_q8_K_ref: the first element of largest
 * magnitude, max, maps to -127 (iscale = -127/max), d = 1/iscale; an all-zero
 * block is d = 0, every q = 0. */
void teai__quantize_vec_q8_k(const float *x, void *xq, int64_t n, int simd) {
    uint8_t *y = xq;
    n -= n % TEAI_QK_K;
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
