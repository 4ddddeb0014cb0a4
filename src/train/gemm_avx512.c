/* The AVX-512 GEMM microkernel: one 14 x 32 tile of C in 28 zmm accumulators
 * (two vectors of 16 per row), per k step two loads of b and 14 broadcasts
 * of a feeding 28 FMAs. Contract in gemm_impl.h. */
#include "gemm_impl.h"

#include <immintrin.h>

#define MR TEAI__SGEMM_AVX512_MR

/* c (14, 32) = a (14, kc) @ b (kc, 32) + beta * c; a, b packed k-major. */
void teai__sgemm_ukr_avx512(long kc, const float *a, const float *b, float *c, long ldc,
                            float beta) {
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
        }
        a += MR;
        b += 32;
    }
    if (beta == 0.0f) {
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(c + i * ldc, acc0[i]);
            _mm512_storeu_ps(c + i * ldc + 16, acc1[i]);
        }
    } else if (beta == 1.0f) {
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            _mm512_storeu_ps(ci, _mm512_add_ps(acc0[i], _mm512_loadu_ps(ci)));
            _mm512_storeu_ps(ci + 16, _mm512_add_ps(acc1[i], _mm512_loadu_ps(ci + 16)));
        }
    } else {
        __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            _mm512_storeu_ps(ci, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), acc0[i]));
            _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), acc1[i]));
        }
    }
}
