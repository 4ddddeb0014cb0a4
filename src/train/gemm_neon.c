/* The NEON GEMM microkernel: one 8 x 12 tile of C in 24 q-register
 * accumulators (three vectors of 4 per row), per k step two loads of a and
 * three of b feeding 24 FMAs by lane (vfmaq_laneq_f32). Contract in
 * gemm_impl.h. */
#include "gemm_impl.h"

#include <arm_neon.h>

/* c (8, 12) = a (8, kc) @ b (kc, 12) + beta * c; a, b packed k-major. */
void teai__sgemm_ukr_neon(long kc, const float *a, const float *b, float *c, long ldc, float beta) {
    float32x4_t acc[8][3];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 3; j++) acc[i][j] = vdupq_n_f32(0.0f);
    for (long p = 0; p < kc; p++) {
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
#define ROW(i, av, lane)                                                                           \
    acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);                                          \
    acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);                                          \
    acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, av, lane);
        ROW(0, a0, 0)
        ROW(1, a0, 1)
        ROW(2, a0, 2)
        ROW(3, a0, 3)
        ROW(4, a1, 0)
        ROW(5, a1, 1)
        ROW(6, a1, 2)
        ROW(7, a1, 3)
#undef ROW
        a += 8;
        b += 12;
    }
    for (int i = 0; i < 8; i++) {
        float *ci = c + i * ldc;
        for (int j = 0; j < 3; j++) {
            float32x4_t v = acc[i][j];
            if (beta == 1.0f)
                v = vaddq_f32(v, vld1q_f32(ci + 4 * j));
            else if (beta != 0.0f)
                v = vfmaq_n_f32(v, vld1q_f32(ci + 4 * j), beta);
            vst1q_f32(ci + 4 * j, v);
        }
    }
}
