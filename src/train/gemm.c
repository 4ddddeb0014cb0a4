/* Blocked f32 GEMM (gemm.h), laid out as in GotoBLAS / BLIS:
 *
 *   for jc over n in blocks of nc        B block (kc, nc) packed, stays in L2
 *     for pc over k in blocks of kc      (C accumulates over these in order)
 *       pack op(B)[pc:pc+kc, jc:jc+nc] into nr-wide panels
 *       for ic over m in blocks of mc
 *         pack op(A)[ic:ic+mc, pc:pc+kc] into mr-tall panels
 *         for ir over the block's rows by mr     A panel (mr, kc) stays in L1
 *           for jr over the block's columns by nr
 *             microkernel: C tile (mr, nr) += A panel @ B panel
 *
 * Packing reads op(A) and op(B) through ta / tb, so all four transpose
 * combinations run the same microkernel. Threads each take a rectangle of C
 * whose edges lie on the global grid of mr x nr tiles and run the loops
 * above on it with their own packing buffers; every C element is summed over
 * the same kc blocks in the same order by the same microkernel whatever the
 * rectangle, so results are bit-identical for any number of threads. */
#include "train/gemm.h"

#include "gemm_impl.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define GEMM_X86 1
#else
#define GEMM_X86 0
#endif
#if defined(__aarch64__)
#define GEMM_NEON 1
#else
#define GEMM_NEON 0
#endif

/* Largest tile of any kernel (edge-tile scratch, the no-memory fallback). */
#define MAX_MR 14
#define MAX_NR 32
#define MAX_KC 256

/* ---- the scalar reference -------------------------------------------------- */

static float op_at(const float *X, long ldx, int t, long r, long c) {
    return t ? X[c * ldx + r] : X[r * ldx + c];
}

/* Plain loops summed in double: the yardstick the tests hold the blocked
 * kernels to. */
void teai__sgemm_ref(int ta, int tb, long m, long n, long k, const float *A, long lda,
                     const float *B, long ldb, float beta, float *C, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            double s = 0.0;
            for (long p = 0; p < k; p++)
                s += (double)op_at(A, lda, ta, i, p) * (double)op_at(B, ldb, tb, p, j);
            float *c = C + i * ldc + j;
            *c = beta == 0.0f ? (float)s : (float)(s + (double)beta * (double)*c);
        }
    }
}

/* ---- the scalar blocked kernel ------------------------------------------- */

#define SCALAR_MR 4
#define SCALAR_NR 8

/* c (4, 8) = a (4, kc) @ b (kc, 8) + beta * c (contract in gemm_impl.h). */
static void ukr_scalar(long kc, const float *a, const float *b, float *c, long ldc, float beta) {
    float acc[SCALAR_MR][SCALAR_NR] = {{0}};
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < SCALAR_MR; i++) {
            float ai = a[i];
            for (int j = 0; j < SCALAR_NR; j++) acc[i][j] += ai * b[j];
        }
        a += SCALAR_MR;
        b += SCALAR_NR;
    }
    for (int i = 0; i < SCALAR_MR; i++) {
        float *ci = c + i * ldc;
        for (int j = 0; j < SCALAR_NR; j++) {
            if (beta == 0.0f)
                ci[j] = acc[i][j];
            else if (beta == 1.0f)
                ci[j] = acc[i][j] + ci[j];
            else
                ci[j] = acc[i][j] + beta * ci[j];
        }
    }
}

/* ---- kernels and dispatch -------------------------------------------------- */

/* kc 256: an A panel (mr, 256) is 14 KiB at mr 14, half of Zen 4's L1d.
 * nc 512: the packed B block (256, 512) is 512 KiB, half of its L2.
 * mc: the A block (mc, 256) is ~170-340 KiB, L2 or L3. */
static const teai__sgemm_kernel_info kernel_scalar = {"scalar", SCALAR_MR, SCALAR_NR, MAX_KC,
                                                      64,       256,       ukr_scalar};
#if GEMM_X86
static const teai__sgemm_kernel_info kernel_avx2 = {
    "avx2", TEAI__SGEMM_AVX2_MR, TEAI__SGEMM_AVX2_NR, MAX_KC, 6 * 32, 512, teai__sgemm_ukr_avx2};
static const teai__sgemm_kernel_info kernel_avx512 = {
    "avx512", TEAI__SGEMM_AVX512_MR, TEAI__SGEMM_AVX512_NR, MAX_KC, 14 * 24,
    512,      teai__sgemm_ukr_avx512};
#endif
#if GEMM_NEON
static const teai__sgemm_kernel_info kernel_neon = {
    "neon", TEAI__SGEMM_NEON_MR, TEAI__SGEMM_NEON_NR, MAX_KC, 8 * 24, 384, teai__sgemm_ukr_neon};
#endif

/* Whether this build and CPU run kernel k (TEAI_SIMD not applied). */
static int kernel_available(teai__gemm_kernel k) {
    switch (k) {
        case TEAI__GEMM_SCALAR:
            return 1;
#if GEMM_X86
        case TEAI__GEMM_AVX2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case TEAI__GEMM_AVX512:
            /* gemm_avx512.c is compiled with F, VL, DQ, BW (and AVX2, FMA) */
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if GEMM_NEON
        case TEAI__GEMM_NEON:
            return 1;
#endif
        default:
            return 0;
    }
}

/* The best kernel the CPU runs, capped by TEAI_SIMD=scalar|avx2 as the
 * engine's kernels are. */
static teai__gemm_kernel kernel_auto(void) {
    const char *cap = getenv("TEAI_SIMD");
    if (cap && strcmp(cap, "scalar") == 0) return TEAI__GEMM_SCALAR;
    int cap_avx2 = cap && strcmp(cap, "avx2") == 0;
    if (!cap_avx2 && kernel_available(TEAI__GEMM_AVX512)) return TEAI__GEMM_AVX512;
    if (kernel_available(TEAI__GEMM_AVX2)) return TEAI__GEMM_AVX2;
    if (kernel_available(TEAI__GEMM_NEON)) return TEAI__GEMM_NEON;
    return TEAI__GEMM_SCALAR;
}

static atomic_int forced_kernel; /* 0 (AUTO): kernel_auto() */
static atomic_int auto_kernel;   /* kernel_auto(), asked once; 0 until then */

static const teai__sgemm_kernel_info *kernel_info(void) {
    int k = atomic_load_explicit(&forced_kernel, memory_order_relaxed);
    if (!k) {
        k = atomic_load_explicit(&auto_kernel, memory_order_relaxed);
        if (!k) {
            k = (int)kernel_auto();
            atomic_store_explicit(&auto_kernel, k, memory_order_relaxed);
        }
    }
    switch ((teai__gemm_kernel)k) {
#if GEMM_X86
        case TEAI__GEMM_AVX2:
            return &kernel_avx2;
        case TEAI__GEMM_AVX512:
            return &kernel_avx512;
#endif
#if GEMM_NEON
        case TEAI__GEMM_NEON:
            return &kernel_neon;
#endif
        default:
            return &kernel_scalar;
    }
}

/* A forced kernel is taken whatever TEAI_SIMD says (that caps AUTO only);
 * one this CPU cannot run is refused. */
int teai__sgemm_use(teai__gemm_kernel k) {
    if (k != TEAI__GEMM_AUTO && !kernel_available(k)) return -1;
    atomic_store_explicit(&forced_kernel, (int)k, memory_order_relaxed);
    return 0;
}

const char *teai__sgemm_kernel_name(void) {
    return kernel_info()->name;
}

/* ---- packing ------------------------------------------------------------- */

/* dst (mr-tall panels, each (kc, mr) k-major) <- op(A)[i0:i0+mc, p0:p0+kc],
 * rows past mc zero. */
static void pack_a(int ta, const float *A, long lda, long i0, long mc, long p0, long kc, int mr,
                   float *dst) {
    for (long ir = 0; ir < mc; ir += mr, dst += mr * kc) {
        long rows = mc - ir < mr ? mc - ir : mr;
        if (ta) {
            /* A stored (k, m): each k step's mr values are contiguous */
            for (long p = 0; p < kc; p++) {
                const float *src = A + (p0 + p) * lda + i0 + ir;
                float *d = dst + p * mr;
                long i = 0;
                for (; i < rows; i++) d[i] = src[i];
                for (; i < mr; i++) d[i] = 0.0f;
            }
        } else {
            for (long i = 0; i < rows; i++) {
                const float *src = A + (i0 + ir + i) * lda + p0;
                for (long p = 0; p < kc; p++) dst[p * mr + i] = src[p];
            }
            for (long i = rows; i < mr; i++)
                for (long p = 0; p < kc; p++) dst[p * mr + i] = 0.0f;
        }
    }
}

/* dst (nr-wide panels, each (kc, nr) k-major) <- op(B)[p0:p0+kc, j0:j0+nc],
 * columns past nc zero. */
static void pack_b(int tb, const float *B, long ldb, long p0, long kc, long j0, long nc, int nr,
                   float *dst) {
    for (long jr = 0; jr < nc; jr += nr, dst += nr * kc) {
        long cols = nc - jr < nr ? nc - jr : nr;
        if (!tb) {
            /* B stored (k, n): each k step's nr values are contiguous */
            for (long p = 0; p < kc; p++) {
                const float *src = B + (p0 + p) * ldb + j0 + jr;
                float *d = dst + p * nr;
                long j = 0;
                for (; j < cols; j++) d[j] = src[j];
                for (; j < nr; j++) d[j] = 0.0f;
            }
        } else {
            for (long j = 0; j < cols; j++) {
                const float *src = B + (j0 + jr + j) * ldb + p0;
                for (long p = 0; p < kc; p++) dst[p * nr + j] = src[p];
            }
            for (long j = cols; j < nr; j++)
                for (long p = 0; p < kc; p++) dst[p * nr + j] = 0.0f;
        }
    }
}

/* ---- the blocked product on one rectangle of C ----------------------------- */

typedef struct gemm_job {
    const teai__sgemm_kernel_info *ki;
    int ta, tb;
    long m, n, k;
    const float *A, *B;
    long lda, ldb, ldc;
    float beta;
    float *C;
    int gm, gn; /* thread grid: gm row bands x gn column bands of tiles */
} gemm_job;

/* One tile at C (rows x cols of it are real): full tiles go straight to the
 * microkernel, edge tiles through a full scratch tile so that they take the
 * same arithmetic. */
static void run_tile(const teai__sgemm_kernel_info *ki, long kc, const float *a, const float *b,
                     float *C, long ldc, long rows, long cols, float beta) {
    if (rows == ki->mr && cols == ki->nr) {
        ki->ukr(kc, a, b, C, ldc, beta);
        return;
    }
    _Alignas(64) float tile[MAX_MR * MAX_NR] = {0};
    int nr = ki->nr;
    if (beta != 0.0f)
        for (long i = 0; i < rows; i++) memcpy(tile + i * nr, C + i * ldc, cols * sizeof(float));
    ki->ukr(kc, a, b, tile, nr, beta);
    for (long i = 0; i < rows; i++) memcpy(C + i * ldc, tile + i * nr, cols * sizeof(float));
}

/* The loops of the file comment over rows [m0, m1) and columns [n0, n1) of
 * C, with blocks of at most mc x kc (A) and kc x nc (B) packed into ap, bp. */
static void gemm_rect(const gemm_job *g, long m0, long m1, long n0, long n1, long mc, long nc,
                      float *ap, float *bp) {
    const teai__sgemm_kernel_info *ki = g->ki;
    for (long jc = n0; jc < n1; jc += nc) {
        long ncur = n1 - jc < nc ? n1 - jc : nc;
        for (long pc = 0; pc < g->k; pc += ki->kc) {
            long kcur = g->k - pc < ki->kc ? g->k - pc : ki->kc;
            float beta = pc == 0 ? g->beta : 1.0f;
            pack_b(g->tb, g->B, g->ldb, pc, kcur, jc, ncur, ki->nr, bp);
            for (long ic = m0; ic < m1; ic += mc) {
                long mcur = m1 - ic < mc ? m1 - ic : mc;
                pack_a(g->ta, g->A, g->lda, ic, mcur, pc, kcur, ki->mr, ap);
                for (long ir = 0; ir < mcur; ir += ki->mr) {
                    long rows = mcur - ir < ki->mr ? mcur - ir : ki->mr;
                    for (long jr = 0; jr < ncur; jr += ki->nr) {
                        long cols = ncur - jr < ki->nr ? ncur - jr : ki->nr;
                        run_tile(ki, kcur, ap + ir * kcur, bp + jr * kcur,
                                 g->C + (ic + ir) * g->ldc + jc + jr, g->ldc, rows, cols, beta);
                    }
                }
            }
        }
    }
}

static long round_up(long x, long to) {
    return (x + to - 1) / to * to;
}

static void gemm_task(void *arg, int ith, int nth) {
    const gemm_job *g = arg;
    const teai__sgemm_kernel_info *ki = g->ki;
    if (ith >= g->gm * g->gn) return;
    /* this thread's band of tile rows and of tile columns */
    long tm = (g->m + ki->mr - 1) / ki->mr, tn = (g->n + ki->nr - 1) / ki->nr;
    long r0, r1, c0, c1;
    teai__split(tm, ith / g->gn, g->gm, &r0, &r1);
    teai__split(tn, ith % g->gn, g->gn, &c0, &c1);
    long m0 = r0 * ki->mr, m1 = r1 * ki->mr < g->m ? r1 * ki->mr : g->m;
    long n0 = c0 * ki->nr, n1 = c1 * ki->nr < g->n ? c1 * ki->nr : g->n;
    if (m0 >= m1 || n0 >= n1) return;

    long kc = g->k < ki->kc ? g->k : ki->kc;
    long mc = round_up(m1 - m0, ki->mr), nc = round_up(n1 - n0, ki->nr);
    if (mc > ki->mc) mc = ki->mc;
    if (nc > ki->nc) nc = ki->nc;
    size_t a_len = (size_t)round_up(mc * kc, 16), b_len = (size_t)round_up(nc * kc, 16);
    /* posix_memalign, not aligned_alloc: Android's C library has the latter
     * only from API level 28 (docs/device.md) */
    void *mem = NULL;
    float *buf = posix_memalign(&mem, 64, (a_len + b_len) * sizeof(float)) == 0 ? mem : NULL;
    if (buf) {
        gemm_rect(g, m0, m1, n0, n1, mc, nc, buf, buf + a_len);
        free(buf);
    } else {
        /* Out of memory: one tile per block, on the stack. The sums run over
         * the same kc blocks in the same order, so the result is the same. */
        _Alignas(64) float ap[MAX_MR * MAX_KC], bp[MAX_KC * MAX_NR];
        gemm_rect(g, m0, m1, n0, n1, ki->mr, ki->nr, ap, bp);
    }
}

/* The thread grid gm x gn (<= nth) giving the fewest tiles to the busiest
 * thread; ties go to more threads, then to splitting n (each thread then
 * packs all of op(A) but only its columns of op(B)). */
static void pick_grid(long tm, long tn, int nth, int *gm, int *gn) {
    long best = -1;
    int best_used = 0;
    *gm = *gn = 1;
    for (int r = 1; r <= nth; r++) {
        int c = nth / r;
        long cost = ((tm + r - 1) / r) * ((tn + c - 1) / c);
        if (best < 0 || cost < best || (cost == best && r * c > best_used)) {
            best = cost;
            best_used = r * c;
            *gm = r;
            *gn = c;
        }
    }
}

void teai__sgemm(int ta, int tb, long m, long n, long k, const float *A, long lda, const float *B,
                 long ldb, float beta, float *C, long ldc, teai__pool *pool) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    gemm_job g = {kernel_info(), ta, tb, m, n, k, A, B, lda, ldb, ldc, beta, C, 1, 1};
    long tm = (m + g.ki->mr - 1) / g.ki->mr, tn = (n + g.ki->nr - 1) / g.ki->nr;
    int nth = pool ? teai__pool_size(pool) : 1;
    /* below ~2 MFLOP a thread's start costs more than it saves */
    if (nth > 1 && (double)m * (double)n * (double)k >= 1e6) pick_grid(tm, tn, nth, &g.gm, &g.gn);
    if (g.gm * g.gn > 1)
        teai__pool_run(pool, gemm_task, &g);
    else
        gemm_task(&g, 0, 1);
}
