/* Speed of the training GEMM (src/train/gemm.c): GFLOP/s of every kernel this
 * machine runs on the trainer's shapes, with 1 and 2 threads, and the share
 * of the FMA peak. The peak is measured here, on one core, by a loop of
 * independent register-only FMAs (12 chains, no loads) at each vector width
 * the CPU has; the best of them is "peak", and the 2-thread figures are held
 * to twice it. A figure is the best of repetitions lasting >= 0.3 s in all.
 *   teai-train-gemm [KERNEL]   (scalar, avx2, avx512 or neon; default: all) */
#include "base/base.h"
#include "base/threadpool.h"
#include "train/gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define FMA_ITERS 5000000L

/* 12 independent FMA chains of 8 floats: 2 * 8 * 12 flops per iteration. */
__attribute__((target("avx2,fma"))) static double fma_loop_avx2(void) {
    __m256 a[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    uint64_t t0 = teai__now_ns();
    for (long it = 0; it < FMA_ITERS; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    }
    uint64_t t1 = teai__now_ns();
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 2.0 * 8 * 12 * FMA_ITERS / (double)(t1 - t0); /* GFLOP/s */
}

/* The same with 16-float vectors. */
__attribute__((target("avx512f"))) static double fma_loop_avx512(void) {
    __m512 a[12], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    uint64_t t0 = teai__now_ns();
    for (long it = 0; it < FMA_ITERS; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    }
    uint64_t t1 = teai__now_ns();
    __m512 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 2.0 * 16 * 12 * FMA_ITERS / (double)(t1 - t0);
}
#endif

/* The single-core FMA peak in GFLOP/s, best of seven short runs per width
 * (best, not mean: other processes only ever lower the figure), 0 where no
 * vector FMA is known to this program. */
static double fma_peak(void) {
    double best256 = 0, best512 = 0;
#if defined(__x86_64__)
    for (int r = 0; r < 7; r++) {
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            double g = fma_loop_avx2();
            if (g > best256) best256 = g;
        }
        if (__builtin_cpu_supports("avx512f")) {
            double g = fma_loop_avx512();
            if (g > best512) best512 = g;
        }
    }
    if (best256 > 0) printf("  256-bit FMA loop: %.1f GFLOP/s\n", best256);
    if (best512 > 0) printf("  512-bit FMA loop: %.1f GFLOP/s\n", best512);
#endif
    return best256 > best512 ? best256 : best512;
}

typedef struct shape {
    int ta, tb;
    long m, n, k;
    const char *what;
} shape;

static const shape shapes[] = {
    {0, 0, 512, 512, 512, "square"},
    {0, 0, 2048, 768, 256, "x @ W (dim 256 -> hidden 768)"},
    {0, 1, 2048, 768, 256, "x @ W^T"},
    {0, 0, 2048, 256, 768, "h @ W (hidden 768 -> dim 256)"},
    {1, 0, 256, 768, 2048, "dW = x^T @ dy"},
};

static float *random_floats(long n) {
    float *p = malloc((size_t)n * sizeof(float));
    if (!p) {
        fprintf(stderr, "teai-train-gemm: out of memory\n");
        exit(1);
    }
    uint32_t s = 12345;
    for (long i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    return p;
}

/* Best GFLOP/s of repeated products. */
static double time_product(const shape *s, const float *A, const float *B, float *C,
                           teai__pool *pool) {
    double flops = 2.0 * s->m * s->n * s->k, best = 1e30, total = 0;
    long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    teai__sgemm(s->ta, s->tb, s->m, s->n, s->k, A, lda, B, ldb, 0.0f, C, s->n, pool); /* warm */
    for (int r = 0; r < 1000 && (r < 3 || total < 0.3); r++) {
        uint64_t t0 = teai__now_ns();
        teai__sgemm(s->ta, s->tb, s->m, s->n, s->k, A, lda, B, ldb, 0.0f, C, s->n, pool);
        double dt = (double)(teai__now_ns() - t0) * 1e-9;
        total += dt;
        if (dt < best) best = dt;
    }
    return flops / best * 1e-9;
}

int main(int argc, char **argv) {
    static const struct {
        teai__gemm_kernel k;
        const char *name;
    } kernels[] = {{TEAI__GEMM_SCALAR, "scalar"},
                   {TEAI__GEMM_AVX2, "avx2"},
                   {TEAI__GEMM_AVX512, "avx512"},
                   {TEAI__GEMM_NEON, "neon"}};
    const char *only = argc > 1 ? argv[1] : NULL;
    printf("single-core FMA peak, measured by a register-only FMA loop in this program:\n");
    double peak = fma_peak();
    if (peak > 0)
        printf("  peak %.1f GFLOP/s per core (2 threads: held to %.1f)\n", peak, 2 * peak);
    else
        printf("  unknown on this CPU (no %% of peak below)\n");

    teai__pool *pools[2] = {teai__pool_new(1), teai__pool_new(2)};
    if (!pools[0] || !pools[1]) {
        fprintf(stderr, "teai-train-gemm: cannot start threads\n");
        return 1;
    }
    long most = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        long a = shapes[i].m * shapes[i].k, b = shapes[i].k * shapes[i].n;
        long c = shapes[i].m * shapes[i].n;
        if (a > most) most = a;
        if (b > most) most = b;
        if (c > most) most = c;
    }
    float *A = random_floats(most), *B = random_floats(most), *C = random_floats(most);

    printf("\n%-7s %-24s %-32s %9s %7s %9s %7s\n", "kernel", "shape (m x n x k)", "", "1 thread",
           "%peak", "2 threads", "%peak");
    for (size_t q = 0; q < sizeof kernels / sizeof *kernels; q++) {
        if (only && strcmp(only, kernels[q].name) != 0) continue;
        if (teai__sgemm_use(kernels[q].k) != 0) continue;
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            const shape *s = &shapes[i];
            char dims[64];
            snprintf(dims, sizeof dims, "%ldx%ldx%ld%s%s", s->m, s->n, s->k, s->ta ? " ta" : "",
                     s->tb ? " tb" : "");
            double g1 = time_product(s, A, B, C, pools[0]);
            double g2 = time_product(s, A, B, C, pools[1]);
            printf("%-7s %-24s %-32s %9.1f %6.0f%% %9.1f %6.0f%%\n", kernels[q].name, dims, s->what,
                   g1, peak > 0 ? 100 * g1 / peak : 0.0, g2,
                   peak > 0 ? 100 * g2 / (2 * peak) : 0.0);
            fflush(stdout);
        }
    }
    teai__sgemm_use(TEAI__GEMM_AUTO);
    free(A), free(B), free(C);
    teai__pool_free(pools[0]);
    teai__pool_free(pools[1]);
    return 0;
}
