/* The scalar reference kernels: what every SIMD kernel (quant_avx2.c,
 * quant_avx512.c, quant_neon.c) is tested against, and what runs where no
 * SIMD kernel does. dot takes f32 activations, dotq the activations in the
 * weight type's form (teai__quantize_vec); the type table (quant_types.c)
 * names them per type. */
#include "quant_impl.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

static float fp16(const void *p) {
    return teai__fp16_to_f32(teai__load_u16(p));
}

/* ---- scalar reference dot kernels --------------------------------------
 * dot(row, x) = sum_i w_i x_i, each as the format's formula: the per-block
 * sum of q*x in f32, times the block's scale. */

float teai__dot_f32_ref(int64_t n, const void *row, const float *x) {
    const float *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += w[i] * x[i];
    return s;
}

float teai__dot_f16_ref(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += teai__fp16_to_f32(w[i]) * x[i];
    return s;
}

float teai__dot_bf16_ref(int64_t n, const void *row, const float *x) {
    const uint16_t *w = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += teai__bf16_to_f32(w[i]) * x[i];
    return s;
}

float teai__dot_q8_0_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q8_0 *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK8_0; i++, x += TEAI_QK8_0) {
        float bs = 0.0f;
        for (int j = 0; j < TEAI_QK8_0; j++) bs += (float)b[i].qs[j] * x[j];
        s += fp16(&b[i].d) * bs;
    }
    return s;
}

float teai__dot_q4_0_ref(int64_t n, const void *row, const float *x) {
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
float teai__dot_q4_k_ref(int64_t n, const void *row, const float *x) {
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
float teai__dot_q6_k_ref(int64_t n, const void *row, const float *x) {
    const teai__block_q6_k *b = row;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QK_K; i++) {
        float sub[16] = {0};
        for (int h = 0; h < 2; h++, x += 128) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            float *sh = sub + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q[4];
                teai__q6_k_quad(ql, qh, l, q);
                for (int k = 0; k < 4; k++) sh[is + 2 * k] += (float)q[k] * x[l + 32 * k];
            }
        }
        float bs = 0.0f;
        for (int k = 0; k < 16; k++) bs += (float)b[i].scales[k] * sub[k];
        s += fp16(&b[i].d) * bs;
    }
    return s;
}

float teai__dot_i8_ref(int64_t n, const void *row, const float *x) {
    const int8_t *q = (const int8_t *)row + TEAI_I8_HDR;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += (float)q[i] * x[i];
    return fp16(row) * s;
}

float teai__dot_nf4_ref(int64_t n, const void *row, const float *x) {
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

/* ---- scalar reference dotq kernels --------------------------------------
 * Integer sums per block as ggml's generic vec_dot_*_q8_0 / *_q8_K; the
 * activation blocks are read through byte offsets (any alignment). */

float teai__dotq_q8_0_ref(int64_t n, const void *row, const void *xq) {
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

float teai__dotq_q4_0_ref(int64_t n, const void *row, const void *xq) {
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
float teai__dotq_i8_ref(int64_t n, const void *row, const void *xq) {
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
float teai__dotq_q4_k_ref(int64_t n, const void *row, const void *xq) {
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
float teai__dotq_q6_k_ref(int64_t n, const void *row, const void *xq) {
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
float teai__dotq_f16_ref(int64_t n, const void *row, const void *xq) {
    const uint8_t *w = row, *x = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += fp16(w + 2 * i) * fp16(x + 2 * i);
    return s;
}

/* Weight types whose activations stay f32: the f32 dot kernels. */
float teai__dotq_f32_ref(int64_t n, const void *row, const void *xq) {
    return teai__dot_f32_ref(n, row, xq);
}
float teai__dotq_bf16_ref(int64_t n, const void *row, const void *xq) {
    return teai__dot_bf16_ref(n, row, xq);
}
float teai__dotq_nf4_ref(int64_t n, const void *row, const void *xq) {
    return teai__dot_nf4_ref(n, row, xq);
}

/* ---- axpy ------------------------------------------------------------------ */

static void axpy_ref(int64_t n, float a, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

teai__axpy_fn teai__axpy_ref(void) {
    return axpy_ref;
}
