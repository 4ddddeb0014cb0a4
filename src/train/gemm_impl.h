/* Private to the GEMM (gemm.c and its SIMD microkernels): the microkernel
 * contract and the blocking each kernel runs with.
 *
 * gemm.c packs op(A) into panels of mr rows and op(B) into panels of nr
 * columns, both stored k-major and zero-padded to a whole panel:
 *   a[p * mr + i] = op(A)(i0 + i, p0 + p),  b[p * nr + j] = op(B)(p0 + p, j0 + j).
 * A microkernel then updates one full mr x nr tile of C over kc steps:
 *   c (mr, nr; row stride ldc) = a (mr, kc) @ b (kc, nr) + beta * c
 * summing p = 0, 1, ..., kc-1 in that order into accumulators that start at 0,
 * then adding the old tile. beta 0 stores without reading c (NaN there does
 * not leak through); beta 1 adds; any other beta scales. Edge tiles go through
 * a full scratch tile in gemm.c, so every tile takes the same arithmetic. */
#ifndef TEAI_TRAIN_GEMM_IMPL_H
#define TEAI_TRAIN_GEMM_IMPL_H

typedef void (*teai__sgemm_ukr)(long kc, const float *a, const float *b, float *c, long ldc,
                                float beta);

/* A kernel and its blocking: mr x nr the register tile; kc the depth of one
 * packed block (one A micro-panel, mr x kc, stays in L1 while the B
 * micro-panels stream by); nc the width of the packed B block (kc x nc, in
 * L2); mc the height of the packed A block (mc x kc, in L2/L3). mc and nc
 * are multiples of mr and nr. */
typedef struct teai__sgemm_kernel_info {
    const char *name;
    int mr, nr;
    long kc, mc, nc;
    teai__sgemm_ukr ukr;
} teai__sgemm_kernel_info;

/* The SIMD microkernels (gemm_avx2.c, gemm_avx512.c, gemm_neon.c), called
 * only when the CPU has the instructions. */
#define TEAI__SGEMM_AVX2_MR   6
#define TEAI__SGEMM_AVX2_NR   16
#define TEAI__SGEMM_AVX512_MR 14
#define TEAI__SGEMM_AVX512_NR 32
#define TEAI__SGEMM_NEON_MR   8
#define TEAI__SGEMM_NEON_NR   12
void teai__sgemm_ukr_avx2(long kc, const float *a, const float *b, float *c, long ldc, float beta);
void teai__sgemm_ukr_avx512(long kc, const float *a, const float *b, float *c, long ldc,
                            float beta);
void teai__sgemm_ukr_neon(long kc, const float *a, const float *b, float *c, long ldc, float beta);

#endif
