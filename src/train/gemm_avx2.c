/* The AVX2 + FMA GEMM microkernel: one 6 x 16 tile of C in 12 ymm
 * accumulators (two vectors of 8 per row), per k step two loads of b and six
 * broadcasts of a feeding 12 FMAs. Contract in gemm_impl.h. */
#include "gemm_impl.h"

#include <immintrin.h>

#define MR TEAI__SGEMM_AVX2_MR

/* c (6, 16) = a (6, kc) @ b (kc, 16) + beta * c; a, b packed k-major. */
void teai__sgemm_ukr_avx2(long kc, const float *a, const float *b, float *c, long ldc, float beta) {
    __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
    }
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
        }
        a += MR;
        b += 16;
    }
    if (beta == 0.0f) {
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            _mm256_storeu_ps(c + i * ldc, acc0[i]);
            _mm256_storeu_ps(c + i * ldc + 8, acc1[i]);
        }
    } else if (beta == 1.0f) {
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            _mm256_storeu_ps(ci, _mm256_add_ps(acc0[i], _mm256_loadu_ps(ci)));
            _mm256_storeu_ps(ci + 8, _mm256_add_ps(acc1[i], _mm256_loadu_ps(ci + 8)));
        }
    } else {
        __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            _mm256_storeu_ps(ci, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), acc0[i]));
            _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), acc1[i]));
        }
    }
}
