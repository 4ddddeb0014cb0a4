/* Attention's V accumulation (attention.h) with AVX-512F: 16 lanes of
 * one head's elements, up to 4 query heads in registers, positions in order
 * with one fused multiply-add each, so the bits equal the scalar twin's. */
#include "attention.h"
#include "quant_simd.h"
#include "util.h"

#include <immintrin.h>
#include <math.h>

#define GB 4 /* query heads per register group */

static inline __m512 load_v(teai_type vt, const uint8_t *v, int i) {
    if (vt == TEAI_TYPE_F32) return _mm512_loadu_ps((const float *)v + i);
    if (vt == TEAI_TYPE_F16)
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + 2 * i)));
    /* Q8_0: the int8 values of elements i..i+15 (their block's scale goes into the weight) */
    const uint8_t *b = v + (size_t)(i / TEAI_QK8_0) * sizeof(teai__block_q8_0) + 2 + i % TEAI_QK8_0;
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)b)));
}

static inline void vacc(teai_type vt, int hd, int ng, int np, const float *w, size_t w_stride,
                        const void *V, size_t v_stride, float *acc) {
    int i = 0;
    for (; i + 16 <= hd; i += 16)
        for (int g0 = 0; g0 < ng; g0 += GB) {
            int n = ng - g0 < GB ? ng - g0 : GB;
            __m512 a[GB];
            for (int g = 0; g < n; g++) a[g] = _mm512_loadu_ps(acc + (size_t)(g0 + g) * hd + i);
            for (int p = 0; p < np; p++) {
                const uint8_t *v = (const uint8_t *)V + (size_t)p * v_stride;
                __m512 x = load_v(vt, v, i);
                float d = 1.0f;
                if (vt == TEAI_TYPE_Q8_0)
                    d = teai__fp16_to_f32(
                        teai__load_u16(v + (size_t)(i / TEAI_QK8_0) * sizeof(teai__block_q8_0)));
                for (int g = 0; g < n; g++) {
                    float wg = w[(size_t)(g0 + g) * w_stride + (size_t)p];
                    if (vt == TEAI_TYPE_Q8_0) wg *= d;
                    a[g] = _mm512_fmadd_ps(_mm512_set1_ps(wg), x, a[g]);
                }
            }
            for (int g = 0; g < n; g++) _mm512_storeu_ps(acc + (size_t)(g0 + g) * hd + i, a[g]);
        }
    for (; i < hd; i++) /* f32 and f16 heads of a width not a multiple of 16 */
        for (int g = 0; g < ng; g++) {
            float *a = acc + (size_t)g * hd + i;
            for (int p = 0; p < np; p++) {
                const uint8_t *v = (const uint8_t *)V + (size_t)p * v_stride;
                float x = vt == TEAI_TYPE_F32 ? teai__load_f32(v + 4 * i)
                                              : teai__fp16_to_f32(teai__load_u16(v + 2 * i));
                *a = fmaf(w[(size_t)g * w_stride + (size_t)p], x, *a);
            }
        }
}

static void vacc_f32(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                     size_t v_stride, float *acc) {
    vacc(TEAI_TYPE_F32, hd, ng, np, w, w_stride, V, v_stride, acc);
}
static void vacc_f16(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                     size_t v_stride, float *acc) {
    vacc(TEAI_TYPE_F16, hd, ng, np, w, w_stride, V, v_stride, acc);
}
static void vacc_q8_0(int hd, int ng, int np, const float *w, size_t w_stride, const void *V,
                      size_t v_stride, float *acc) {
    vacc(TEAI_TYPE_Q8_0, hd, ng, np, w, w_stride, V, v_stride, acc);
}

teai__attn_vacc_fn teai__attn_vacc_avx512(teai_type vt) {
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
