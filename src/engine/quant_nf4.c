/* NF4's integer path, the scalar reference (quant_simd.h says the formula):
 * the codebook held as int8 and the activations in Q8_0, as Q4_0 takes them,
 * so the SIMD kernels (quant_nf4_avx512.c, quant_nf4_avx2.c,
 * quant_nf4_neon.c) run integer dot products instead of an f32 lookup per
 * weight. The exact path (f32 codebook, f32 activations) stays as
 * TEAI__TYPE_NF4_EXACT (quant_ref.c's teai__dot_nf4_ref). */
#include "quant_impl.h"
#include "util.h"

#include <stdint.h>

/* round(127 * teai__nf4_values[c]); test_nf4 checks it against the f32 table. */
const int8_t teai__nf4_i8[16] = {-127, -88, -67, -50, -36, -23, -12, 0,
                                 10,   20,  31,  43,  56,  71,  92,  127};

/* Per NF4 block of 64: the two exact integer sums against its two Q8_0
 * activation blocks, each times absmax * (dy / 127). */
float teai__dotq_nf4i_ref(int64_t n, const void *row, const void *xq) {
    const teai__block_nf4 *b = row;
    const uint8_t *y = xq;
    float s = 0.0f;
    for (int64_t i = 0; i < n / TEAI_QKNF4; i++, y += 2 * sizeof(teai__block_q8_0)) {
        const int8_t *q0 = (const int8_t *)(y + 2), *q1 = (const int8_t *)(y + 36);
        int s0 = 0, s1 = 0;
        for (int j = 0; j < TEAI_QKNF4 / 2; j++) {
            s0 += teai__nf4_i8[b[i].qs[j] & 15] * q0[j];
            s1 += teai__nf4_i8[b[i].qs[j] >> 4] * q1[j];
        }
        float a = teai__fp16_to_f32(teai__load_u16(&b[i].absmax));
        float d0 = teai__fp16_to_f32(teai__load_u16(y)) * (1.0f / 127.0f);
        float d1 = teai__fp16_to_f32(teai__load_u16(y + 34)) * (1.0f / 127.0f);
        s += a * d0 * (float)s0 + a * d1 * (float)s1;
    }
    return s;
}
