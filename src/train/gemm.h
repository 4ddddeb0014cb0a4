/* Blocked f32 matrix products for training: one entry point, a scalar
 * reference and SIMD kernels (AVX2, AVX-512, NEON) behind it. Internal to
 * src/train. */
#ifndef TEAI_TRAIN_GEMM_H
#define TEAI_TRAIN_GEMM_H

#include "base/threadpool.h"

/* C (m,n) = op(A) (m,k) @ op(B) (k,n) + beta * C, all row-major.
 * op(A) is A (m rows, lda >= k) or, when ta, A^T with A stored (k rows,
 * lda >= m); op(B) likewise with tb. beta 0 overwrites C (NaN in C does not
 * leak through). The work is split over the pool's threads by blocks of C
 * only, so every element is summed in the same order whatever the number of
 * threads: results do not depend on it. pool may be NULL (one thread).
 * Must be called from outside the pool's jobs. */
void teai__sgemm(int ta, int tb, long m, long n, long k, const float *A, long lda, const float *B,
                 long ldb, float beta, float *C, long ldc, teai__pool *pool);

/* The scalar reference (one thread, plain loops), for tests. */
void teai__sgemm_ref(int ta, int tb, long m, long n, long k, const float *A, long lda,
                     const float *B, long ldb, float beta, float *C, long ldc);

typedef enum teai__gemm_kernel {
    TEAI__GEMM_AUTO = 0, /* the best this CPU runs (TEAI_SIMD=scalar|avx2 caps it) */
    TEAI__GEMM_SCALAR,
    TEAI__GEMM_AVX2,
    TEAI__GEMM_AVX512,
    TEAI__GEMM_NEON,
} teai__gemm_kernel;

/* Forces the kernel teai__sgemm uses (tests, benchmarks). Returns 0 when this
 * build and CPU can run it, -1 otherwise (nothing changes then). */
int teai__sgemm_use(teai__gemm_kernel k);
const char *teai__sgemm_kernel_name(void); /* the one in use: "avx512", ... */

#endif
