/* Flash-style attention: the scalar references, the dispatch and the block
 * and merge steps every SIMD level shares (attention.h). */
#include "attention.h"

#include "cpu_features.h"
#include "quant_simd.h"
#include "util.h"

#include <math.h>
#include <string.h>

static void vacc_f32(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                     size_t v_stride, float *acc) {
    for (int g = 0; g < ng; g++) {
        float *a = acc + (size_t)g * (size_t)hd;
        const float *wg = w + (size_t)g * w_stride;
        for (int p = 0; p < np; p++) {
            const uint8_t *v = (const uint8_t *)V + (size_t)p * v_stride; /* any alignment */
            for (int i = 0; i < hd; i++) a[i] = fmaf(wg[p], teai__load_f32(v + 4 * i), a[i]);
        }
    }
}

static void vacc_f16(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                     size_t v_stride, float *acc) {
    for (int g = 0; g < ng; g++) {
        float *a = acc + (size_t)g * (size_t)hd;
        const float *wg = w + (size_t)g * w_stride;
        for (int p = 0; p < np; p++) {
            const uint8_t *v = (const uint8_t *)V + (size_t)p * v_stride;
            for (int i = 0; i < hd; i++)
                a[i] = fmaf(wg[p], teai__fp16_to_f32(teai__load_u16(v + 2 * i)), a[i]);
        }
    }
}

static void vacc_q8_0(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                      size_t v_stride, float *acc) {
    for (int g = 0; g < ng; g++) {
        float *a = acc + (size_t)g * (size_t)hd;
        const float *wg = w + (size_t)g * w_stride;
        for (int p = 0; p < np; p++) {
            const uint8_t *v = (const uint8_t *)V + (size_t)p * v_stride;
            for (int b = 0; b < hd / TEAI_QK8_0; b++, v += sizeof(teai__block_q8_0)) {
                float wd = wg[p] * teai__fp16_to_f32(teai__load_u16(v));
                const int8_t *qs = (const int8_t *)(v + 2);
                for (int i = 0; i < TEAI_QK8_0; i++)
                    a[b * TEAI_QK8_0 + i] = fmaf(wd, (float)qs[i], a[b * TEAI_QK8_0 + i]);
            }
        }
    }
}

teai__attn_vacc_fn teai__attn_vacc_ref(teai_type vt) {
    switch (vt) {
        case TEAI_TYPE_F32:
            return vacc_f32;
        case TEAI_TYPE_F16:
            return vacc_f16;
        case TEAI_TYPE_Q8_0:
            return vacc_q8_0;
        default:
            return NULL;
    }
}

static int known(teai_type t) {
    return t == TEAI_TYPE_F32 || t == TEAI_TYPE_F16 || t == TEAI_TYPE_Q8_0;
}

int teai__attn_kernels_ref(teai_type kt, teai_type vt, teai__attn_kernels *k) {
    if (!known(kt) || !known(vt)) return TEAI_EUNSUPPORTED;
    k->kt = kt, k->vt = vt;
    k->kdot = teai__dotq_ref(kt);
    k->vacc = teai__attn_vacc_ref(vt);
    return k->kdot && k->vacc ? TEAI_OK : TEAI_EUNSUPPORTED;
}

int teai__attn_kernels_best(teai_type kt, teai_type vt, teai__attn_kernels *k) {
    int rc = teai__attn_kernels_ref(kt, vt, k);
    if (rc) return rc;
    k->kdot = teai__dotq_best(kt);
    teai__attn_vacc_fn f = NULL;
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) f = teai__attn_vacc_avx512(vt);
    if (!f && teai__cpu_has_avx2()) f = teai__attn_vacc_avx2(vt);
#elif TEAI_QUANT_NEON
    f = teai__attn_vacc_neon(vt);
#endif
    if (f) k->vacc = f;
    return TEAI_OK;
}

void teai__attn_block(const teai__attn_kernels *k, int hd, int ng, const void *qq, size_t q_stride,
                      const uint8_t *K, const uint8_t *V, size_t row_bytes, int np, float scale,
                      float *scores, float *m, float *l, float *acc) {
    const size_t S = TEAI__ATTN_BLOCK;
    for (int g = 0; g < ng; g++) m[g] = -INFINITY;
    for (int p = 0; p < np; p++) {
        const uint8_t *kp = K + (size_t)p * row_bytes;
        for (int g = 0; g < ng; g++) {
            float s = k->kdot(hd, kp, (const uint8_t *)qq + (size_t)g * q_stride) * scale;
            scores[(size_t)g * S + (size_t)p] = s;
            if (s > m[g]) m[g] = s;
        }
    }
    for (int g = 0; g < ng; g++) {
        float *sg = scores + (size_t)g * S, sum = 0;
        for (int p = 0; p < np; p++) {
            sg[p] = expf(sg[p] - m[g]);
            sum += sg[p];
        }
        l[g] = sum;
    }
    memset(acc, 0, sizeof(float) * (size_t)ng * (size_t)hd);
    k->vacc(hd, ng, np, scores, S, V, row_bytes, acc);
}

void teai__attn_merge(int hd, int ng, float *M, float *L, float *A, const float *m, const float *l,
                      const float *acc) {
    for (int g = 0; g < ng; g++) {
        float mx = M[g] > m[g] ? M[g] : m[g];
        float a = expf(M[g] - mx), b = expf(m[g] - mx);
        float *Ag = A + (size_t)g * (size_t)hd;
        const float *ag = acc + (size_t)g * (size_t)hd;
        for (int i = 0; i < hd; i++) Ag[i] = Ag[i] * a + ag[i] * b;
        L[g] = L[g] * a + l[g] * b;
        M[g] = mx;
    }
}

void teai__attn_run(const teai__attn_kernels *k, int hd, int ng, const void *qq, size_t q_stride,
                    const uint8_t *K, const uint8_t *V, size_t row_bytes, int n, float scale,
                    float *state, float *part, float *scores, float *out) {
    float *M = state, *L = state + ng, *A = state + 2 * ng;
    float *m = part, *l = part + ng, *acc = part + 2 * ng;
    for (int p0 = 0; p0 < n; p0 += TEAI__ATTN_BLOCK) {
        int np = n - p0 < TEAI__ATTN_BLOCK ? n - p0 : TEAI__ATTN_BLOCK;
        size_t off = (size_t)p0 * row_bytes;
        if (p0 == 0) {
            teai__attn_block(k, hd, ng, qq, q_stride, K, V, row_bytes, np, scale, scores, M, L, A);
        } else {
            teai__attn_block(k, hd, ng, qq, q_stride, K + off, V + off, row_bytes, np, scale,
                             scores, m, l, acc);
            teai__attn_merge(hd, ng, M, L, A, m, l, acc);
        }
    }
    for (int g = 0; g < ng; g++) {
        float inv = 1.0f / L[g];
        for (int i = 0; i < hd; i++)
            out[(size_t)g * (size_t)hd + i] = A[(size_t)g * (size_t)hd + i] * inv;
    }
}
