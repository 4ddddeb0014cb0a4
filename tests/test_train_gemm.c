/* The training GEMM (src/train/gemm.c and its microkernels): every kernel
 * this machine runs (scalar blocked, AVX2, AVX-512, NEON) against exact sums.
 *
 * Tolerance (stated once): an element c of C agrees with the exact value e
 * (summed in double here) within RTOL * sqrt(k + 1) * s + ATOL, where
 * s = sum_p |a_ip b_pj| + |beta c_old|: the bound scales with the magnitude
 * of the terms, not with the (possibly cancelling) result. One wrong term
 * moves c by ~1/k of s, far above the bound.
 * Also: C outside its (m, n) window (the ldc padding) is never written; beta
 * 0 overwrites NaN; results are bit-identical for 1, 2 and 3 threads. */
#include "base/threadpool.h"
#include "test_util.h"
#include "train/gemm.h"

#include <stdint.h>

#define RTOL 1e-5
#define ATOL 1e-6

static const struct {
    teai__gemm_kernel k;
    const char *name;
} kernels[] = {
    {TEAI__GEMM_SCALAR, "scalar"},
    {TEAI__GEMM_AVX2, "avx2"},
    {TEAI__GEMM_AVX512, "avx512"},
    {TEAI__GEMM_NEON, "neon"},
};
#define N_KERNELS ((int)(sizeof kernels / sizeof *kernels))

static int light(void) {
    const char *v = getenv("TEAI_TEST_LIGHT");
    return v && *v && strcmp(v, "0") != 0;
}

/* ---- deterministic data ------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng_u32(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static float rng_sym(void) { /* [-1, 1) */
    return (float)(rng_u32() >> 8) / 8388608.0f - 1.0f;
}

static float *xmalloc_floats(long n) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!p) abort();
    return p;
}

static float *random_floats(long n) {
    float *p = xmalloc_floats(n);
    for (long i = 0; i < n; i++) p[i] = rng_sym();
    return p;
}

static float op_at(const float *X, long ldx, int t, long r, long c) {
    return t ? X[c * ldx + r] : X[r * ldx + c];
}

/* One product of the given shape and strides on the kernel in use: C is
 * filled with NaN (beta 0) or random values, its padding with a sentinel;
 * every element (or, with stride > 1, every stride-th row and column plus the
 * last ones) is checked against exact sums. 0 when it agrees. */
static int check_product(int ta, int tb, long m, long n, long k, long pad_a, long pad_b, long pad_c,
                         float beta, long stride) {
    long lda = (ta ? m : k) + pad_a, ldb = (tb ? k : n) + pad_b, ldc = n + pad_c;
    long a_rows = ta ? k : m, b_rows = tb ? n : k;
    float *A = random_floats(a_rows * lda), *B = random_floats(b_rows * ldb);
    float *C = xmalloc_floats(m * ldc), *C0 = xmalloc_floats(m * ldc);
    for (long i = 0; i < m * ldc; i++) {
        long j = i % ldc;
        C[i] = j >= n ? -12345.0f : beta == 0.0f ? NAN : rng_sym();
    }
    memcpy(C0, C, (size_t)(m * ldc) * sizeof(float));
    teai__sgemm(ta, tb, m, n, k, A, lda, B, ldb, beta, C, ldc, NULL);

    int bad = 0;
    for (long i = 0; i < m && !bad; i++) {
        for (long j = 0; j < ldc && !bad; j++) {
            float c = C[i * ldc + j];
            if (j >= n) {
                if (c != -12345.0f) {
                    TEST_FAIL_AT("%s ta=%d tb=%d m=%ld n=%ld k=%ld: padding C[%ld][%ld] written",
                                 teai__sgemm_kernel_name(), ta, tb, m, n, k, i, j);
                    bad = 1;
                }
                continue;
            }
            if (stride > 1 && i % stride && j % stride && i != m - 1 && j != n - 1) continue;
            double e = 0.0, s = 0.0;
            for (long p = 0; p < k; p++) {
                double t = (double)op_at(A, lda, ta, i, p) * (double)op_at(B, ldb, tb, p, j);
                e += t;
                s += fabs(t);
            }
            if (beta != 0.0f) {
                e += (double)beta * C0[i * ldc + j];
                s += fabs((double)beta * C0[i * ldc + j]);
            }
            double tol = RTOL * sqrt((double)k + 1.0) * s + ATOL;
            if (!(fabs((double)c - e) <= tol)) {
                TEST_FAIL_AT("%s ta=%d tb=%d m=%ld n=%ld k=%ld lda=%ld ldb=%ld ldc=%ld beta=%g: "
                             "C[%ld][%ld] = %.9g, exact %.9g (tol %.3g)",
                             teai__sgemm_kernel_name(), ta, tb, m, n, k, lda, ldb, ldc,
                             (double)beta, i, j, (double)c, e, tol);
                bad = 1;
            }
        }
    }
    free(A), free(B), free(C), free(C0);
    return bad;
}

static const long sizes[] = {1, 2, 3, 7, 16, 17, 31, 33, 64, 100, 257};
#define N_SIZES ((int)(sizeof sizes / sizeof *sizes))

/* Shapes mixing every size for m and n with a size for k that rotates, all
 * four transpose combinations, tight and padded strides, beta 0 / 1 / 0.5. */
static int sweep_shapes(void) {
    int step = light() ? 3 : 1, bad = 0;
    for (int t = 0; t < 4 && !bad; t++) {
        int ta = t & 1, tb = t >> 1;
        for (int i = 0; i < N_SIZES && !bad; i += step) {
            for (int j = 0; j < N_SIZES && !bad; j += step) {
                long k = sizes[(i + 2 * j + 3 * t) % N_SIZES];
                int v = i + j + t;
                float beta = v % 3 == 0 ? 0.0f : v % 3 == 1 ? 1.0f : 0.5f;
                long pad_a = v % 2 ? 0 : 3, pad_b = v % 4 < 2 ? 5 : 0, pad_c = v % 5 ? 7 : 0;
                bad = check_product(ta, tb, sizes[i], sizes[j], k, pad_a, pad_b, pad_c, beta, 1);
            }
        }
    }
    return bad;
}

/* Shapes past every block size (kc 256, mc up to 336, nc 512), elements
 * sampled. */
static int big_shapes(void) {
    long m = light() ? 350 : 700, n = light() ? 530 : 1100, k = light() ? 300 : 600;
    int bad = 0;
    for (int t = 0; t < 4 && !bad; t++)
        bad = check_product(t & 1, t >> 1, m, n, k, 1, 2, 3, t == 3 ? 0.0f : 0.75f, 7);
    return bad;
}

static void test_kernels_vs_exact(void) {
    char tested[128] = "";
    for (int q = 0; q < N_KERNELS; q++) {
        if (teai__sgemm_use(kernels[q].k) != 0) continue;
        ASSERT_STREQ(teai__sgemm_kernel_name(), kernels[q].name);
        int bad = sweep_shapes() || big_shapes();
        size_t len = strlen(tested);
        snprintf(tested + len, sizeof tested - len, " %s", kernels[q].name);
        if (bad) break;
    }
    teai__sgemm_use(TEAI__GEMM_AUTO);
    printf("kernels tested:%s\n", tested);
    ASSERT_TRUE(strstr(tested, "scalar") != NULL);
}

/* teai__sgemm_ref (summed in double) against the exact sums too. */
static void test_ref_vs_exact(void) {
    long m = 17, n = 33, k = 100, ldc = n + 2;
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        long lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 4;
        float *A = random_floats((ta ? k : m) * lda), *B = random_floats((tb ? n : k) * ldb);
        float *C = random_floats(m * ldc), *C0 = xmalloc_floats(m * ldc);
        memcpy(C0, C, (size_t)(m * ldc) * sizeof(float));
        teai__sgemm_ref(ta, tb, m, n, k, A, lda, B, ldb, 0.5f, C, ldc);
        int bad = 0;
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
                double e = 0.5 * C0[i * ldc + j];
                for (long p = 0; p < k; p++)
                    e += (double)op_at(A, lda, ta, i, p) * (double)op_at(B, ldb, tb, p, j);
                if (fabs(C[i * ldc + j] - e) > 1e-6 * (1.0 + fabs(e))) bad = 1;
            }
        }
        free(A), free(B), free(C), free(C0);
        ASSERT_TRUE(!bad);
    }
}

/* k 0: C = beta C (beta 0: zeros, NaN gone); m or n 0: nothing written;
 * NaN and Inf in A stay in their row of C. */
static void test_edges(void) {
    for (int q = 0; q < N_KERNELS; q++) {
        if (teai__sgemm_use(kernels[q].k) != 0) continue;
        float A[40 * 40], B[40 * 40], C[40 * 40];
        for (int i = 0; i < 40 * 40; i++) A[i] = B[i] = 0.25f, C[i] = NAN;
        teai__sgemm(0, 0, 5, 6, 0, A, 40, B, 40, 0.0f, C, 40, NULL);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 6; j++) ASSERT_TRUE(C[i * 40 + j] == 0.0f);
        ASSERT_TRUE(isnan(C[6]) && isnan(C[5 * 40]));
        for (int i = 0; i < 40 * 40; i++) C[i] = 3.0f;
        teai__sgemm(1, 1, 5, 6, 0, A, 40, B, 40, 2.0f, C, 40, NULL);
        ASSERT_TRUE(C[0] == 6.0f && C[4 * 40 + 5] == 6.0f && C[6] == 3.0f);
        teai__sgemm(0, 0, 0, 6, 3, A, 40, B, 40, 0.0f, C, 40, NULL);
        teai__sgemm(0, 0, 5, 0, 3, A, 40, B, 40, 0.0f, C, 40, NULL);
        ASSERT_TRUE(C[0] == 6.0f && C[1] == 6.0f);

        /* beta 0 over NaN, k 1 */
        for (int i = 0; i < 40 * 40; i++) C[i] = NAN;
        teai__sgemm(0, 1, 3, 2, 1, A, 40, B, 40, 0.0f, C, 40, NULL);
        ASSERT_TRUE(C[0] == 0.0625f && C[2 * 40 + 1] == 0.0625f);

        /* NaN at op(A)(3, 7), Inf at op(A)(20, 0): rows 3 and 20 only */
        for (int i = 0; i < 40 * 40; i++) C[i] = NAN;
        A[3 * 40 + 7] = NAN;
        A[20 * 40] = INFINITY;
        teai__sgemm(0, 0, 37, 35, 33, A, 40, B, 40, 0.0f, C, 40, NULL);
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 35; j++) {
                float c = C[i * 40 + j];
                if (i == 3)
                    ASSERT_TRUE(isnan(c));
                else if (i == 20)
                    ASSERT_TRUE(isinf(c) && c > 0);
                else
                    ASSERT_TRUE(c == 33 * 0.0625f);
            }
        }
    }
    teai__sgemm_use(TEAI__GEMM_AUTO);
}

static void test_dispatch(void) {
    ASSERT_EQ(teai__sgemm_use(TEAI__GEMM_SCALAR), 0);
    ASSERT_STREQ(teai__sgemm_kernel_name(), "scalar");
    ASSERT_EQ(teai__sgemm_use((teai__gemm_kernel)99), -1);
    ASSERT_STREQ(teai__sgemm_kernel_name(), "scalar"); /* a refusal changes nothing */
#if defined(__x86_64__)
    ASSERT_EQ(teai__sgemm_use(TEAI__GEMM_NEON), -1);
#else
    ASSERT_EQ(teai__sgemm_use(TEAI__GEMM_AVX2), -1);
#endif
    ASSERT_EQ(teai__sgemm_use(TEAI__GEMM_AUTO), 0);
    const char *auto_name = teai__sgemm_kernel_name();
    const char *simd = getenv("TEAI_SIMD");
    if (simd && strcmp(simd, "scalar") == 0) ASSERT_STREQ(auto_name, "scalar");
    if (simd && strcmp(simd, "avx2") == 0) ASSERT_TRUE(strcmp(auto_name, "avx512") != 0);
    /* AUTO takes the best kernel this machine runs */
    if (!simd && teai__sgemm_use(TEAI__GEMM_AVX512) == 0) ASSERT_STREQ(auto_name, "avx512");
    if (!simd && teai__sgemm_use(TEAI__GEMM_NEON) == 0) ASSERT_STREQ(auto_name, "neon");
    teai__sgemm_use(TEAI__GEMM_AUTO);
    printf("auto kernel: %s\n", auto_name);
}

/* The same product with no pool and pools of 1, 2 and 3 threads: the same
 * bits. Shapes with several kc blocks, edge tiles, and either split. */
static void test_thread_invariance(void) {
    static const long shapes[][3] = {
        {300, 200, 600}, {45, 700, 520}, {257, 33, 1000}, {64, 64, 64}};
    teai__pool *pools[3] = {teai__pool_new(1), teai__pool_new(2), teai__pool_new(3)};
    ASSERT_TRUE(pools[0] && pools[1] && pools[2]);
    ASSERT_EQ(teai__pool_size(pools[1]), 2);
    int bad = 0;
    for (int q = 0; q < N_KERNELS && !bad; q++) {
        if (teai__sgemm_use(kernels[q].k) != 0) continue;
        for (int s = 0; s < 4 && !bad; s++) {
            int ta = s & 1, tb = s == 1 || s == 2;
            long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            if (light()) k = k / 2 + 1;
            long lda = ta ? m : k, ldb = tb ? k : n;
            float *A = random_floats(m * k), *B = random_floats(k * n);
            float *C0 = random_floats(m * n), *C[4];
            for (int p = 0; p < 4; p++) {
                C[p] = xmalloc_floats(m * n);
                memcpy(C[p], C0, (size_t)(m * n) * sizeof(float));
                teai__sgemm(ta, tb, m, n, k, A, lda, B, ldb, 0.5f, C[p], n,
                            p ? pools[p - 1] : NULL);
            }
            for (int p = 1; p < 4; p++) {
                if (memcmp(C[0], C[p], (size_t)(m * n) * sizeof(float)) != 0) {
                    TEST_FAIL_AT("%s %ldx%ldx%ld: %d threads differ from 1", kernels[q].name, m, n,
                                 k, teai__pool_size(pools[p - 1]));
                    bad = 1;
                }
            }
            free(A), free(B), free(C0);
            for (int p = 0; p < 4; p++) free(C[p]);
        }
    }
    teai__sgemm_use(TEAI__GEMM_AUTO);
    for (int p = 0; p < 3; p++) teai__pool_free(pools[p]);
}

int main(void) {
    RUN_TEST(test_dispatch);
    RUN_TEST(test_ref_vs_exact);
    RUN_TEST(test_edges);
    RUN_TEST(test_kernels_vs_exact);
    RUN_TEST(test_thread_invariance);
    TEST_MAIN_END();
}
