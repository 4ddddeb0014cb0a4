/* teai__matvec_q_multi (decode of several sequences at once, continuous
 * batching): for every type, B = 1..17 vectors and ragged row ranges, each
 * (row, vector) result equals teai__matvec_q's for that vector bit for bit,
 * and rows outside r0..r1 stay untouched. At every SIMD level the machine
 * runs (ctest runs it once more with TEAI_SIMD=avx2).
 *
 * Not a test:
 *   test_quant_multi --bench TYPE ROWS COLS B [REPS]
 * times B vectors against a ROWS x COLS matrix: the multi kernel, B one-vector
 * matvecs and the prefill matmul, alternating (CPU ms per call, min and median). */
#include "quant.h"
#include "quant_simd.h"
#include "test_util.h"
#include "util.h"

#include <stdint.h>
#include <time.h>

static const teai_type all_types[] = {
    TEAI_TYPE_F32,  TEAI_TYPE_F16,  TEAI_TYPE_BF16, TEAI_TYPE_Q8_0, TEAI_TYPE_Q4_0,
    TEAI_TYPE_Q4_K, TEAI_TYPE_Q6_K, TEAI_TYPE_I8,   TEAI_TYPE_NF4,
};
#define N_TYPES ((int)(sizeof all_types / sizeof *all_types))

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static float rng_sym(void) { /* [-1, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint32_t u = (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
    return (float)(u >> 8) / 8388608.0f - 1.0f;
}

/* values of varying magnitude per 64 (the block scales differ), a few large */
static void fill(float *x, int64_t n) {
    float mag = 1.0f;
    for (int64_t i = 0; i < n; i++) {
        if (i % 64 == 0) mag = 0.05f + 2.0f * (rng_sym() + 1.0f);
        x[i] = mag * rng_sym();
        if (i % 211 == 7) x[i] *= 6.0f;
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

typedef struct mats {
    size_t rs, xs, ys;
    uint8_t *W, *X;
    float *Y, *want;
} mats;

/* rows x cols weights of type t, B activation vectors xs bytes apart (when
 * pad, by a stride that is not a multiple of 64: 4-byte aligned, as f32
 * vectors must be), outputs ys = rows + 3 floats apart. */
static void mats_make(mats *m, teai_type t, int64_t rows, int64_t cols, int B, int pad) {
    m->rs = teai_type_row_size(t, cols);
    m->xs = (teai__vec_size(t, cols) + 63) / 64 * 64 + (pad ? 64 + 4 : 0);
    m->ys = (size_t)rows + 3;
    m->W = xmalloc(m->rs * (size_t)rows);
    m->X = xmalloc(m->xs * (size_t)B);
    m->Y = xmalloc(m->ys * (size_t)B * sizeof(float));
    m->want = xmalloc(m->ys * (size_t)B * sizeof(float));
    float *src = xmalloc((size_t)cols * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        fill(src, cols);
        teai__quantize_row(t, src, m->W + (size_t)r * m->rs, cols);
    }
    for (int b = 0; b < B; b++) {
        fill(src, cols);
        teai__quantize_vec(t, src, m->X + (size_t)b * m->xs, cols);
    }
    free(src);
}

static void mats_free(mats *m) {
    free(m->W);
    free(m->X);
    free(m->Y);
    free(m->want);
}

static void test_multi_equals_matvec(void) {
    static const struct {
        int64_t rows, cols, r0, r1;
    } shapes[] = {
        {11, 96, 2, 9},    /* three 32-blocks: a last half pair */
        {9, 2048, 0, 9},   /* a model's width */
        {13, 512, 5, 6},   /* one row */
        {6, 256, 3, 3},    /* no rows */
        {7, 768, 1, 7},    /* 3 K-quant super-blocks */
        {5, 100, 0, 5},    /* int8: a partial last block; f16: a tail */
        {4, 20, 1, 4},     /* int8: no whole block */
        {3, 16416, 0, 3},  /* wider than the kernels' stack buffers */
        {37, 1056, 4, 35}, /* 33 blocks */
    };
    for (int ti = 0; ti < N_TYPES; ti++) {
        teai_type t = all_types[ti];
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int64_t rows = shapes[s].rows, cols = shapes[s].cols;
            int64_t r0 = shapes[s].r0, r1 = shapes[s].r1;
            if (t != TEAI_TYPE_I8 && cols % teai_type_block_size(t) != 0) continue;
            for (int B = 1; B <= 17; B++) {
                mats m;
                mats_make(&m, t, rows, cols, B, (B + (int)s) % 2);
                size_t ny = m.ys * (size_t)B;
                for (size_t i = 0; i < ny; i++) m.Y[i] = m.want[i] = -12345.0f;
                for (int b = 0; b < B; b++)
                    teai__matvec_q(t, m.W, m.rs, cols, r0, r1, m.X + (size_t)b * m.xs,
                                   m.want + (size_t)b * m.ys);
                teai__matvec_q_multi(t, m.W, m.rs, cols, r0, r1, m.X, m.xs, B, m.Y, m.ys);
                int ok = 1;
                for (size_t i = 0; i < ny && ok; i++) {
                    if (memcmp(&m.Y[i], &m.want[i], sizeof(float)) != 0) {
                        TEST_FAIL_AT("%s %lldx%lld rows %lld..%lld B=%d: y[%zu][%zu] = %.9g, "
                                     "matvec_q %.9g",
                                     teai_type_name(t), (long long)rows, (long long)cols,
                                     (long long)r0, (long long)r1, B, i / m.ys, i % m.ys,
                                     (double)m.Y[i], (double)m.want[i]);
                        ok = 0;
                    }
                }
                /* the one-vector results are real products, not a shared mistake */
                teai__dotq_fn ref = teai__dotq_ref(t);
                for (int64_t r = r0; r < r1 && ok; r++) {
                    float want = ref(cols, m.W + (size_t)r * m.rs, m.X);
                    float got = m.Y[r];
                    if (!(fabsf(got - want) <= 1e-3f * (1.0f + fabsf(want)))) {
                        TEST_FAIL_AT("%s %lld cols row %lld: %.9g, scalar reference %.9g",
                                     teai_type_name(t), (long long)cols, (long long)r, (double)got,
                                     (double)want);
                        ok = 0;
                    }
                }
                mats_free(&m);
                if (!ok) return;
            }
        }
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine may be shared */
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench(int argc, char **argv) {
    teai_type t = TEAI_TYPE_Q8_0;
    if (argc < 6 || teai_type_from_name(argv[2], &t) != 0) {
        fprintf(stderr, "usage: test_quant_multi --bench TYPE ROWS COLS B [REPS]\n");
        return 2;
    }
    int64_t rows = strtol(argv[3], NULL, 10), cols = strtol(argv[4], NULL, 10);
    int B = (int)strtol(argv[5], NULL, 10), reps = argc > 6 ? (int)strtol(argv[6], NULL, 10) : 9;
    if (rows < 1 || cols < 1 || B < 1 || B > 64 || reps < 1 || reps > 1000) return 2;
    mats m;
    mats_make(&m, t, rows, cols, B, 0);
    /* per repetition, alternating: the multi kernel, B matvecs, the prefill matmul */
    double *tm[3];
    for (int j = 0; j < 3; j++) tm[j] = xmalloc(sizeof(double) * (size_t)reps);
    for (int i = 0; i < reps; i++) {
        for (int j = 0; j < 3; j++) {
            double t0 = now_ms();
            if (j == 0)
                teai__matvec_q_multi(t, m.W, m.rs, cols, 0, rows, m.X, m.xs, B, m.Y, m.ys);
            else if (j == 1)
                for (int b = 0; b < B; b++)
                    teai__matvec_q(t, m.W, m.rs, cols, 0, rows, m.X + (size_t)b * m.xs,
                                   m.want + (size_t)b * m.ys);
            else
                teai__matmul_q(t, m.W, m.rs, cols, 0, rows, m.X, m.xs, B, m.Y, m.ys);
            tm[j][i] = now_ms() - t0;
        }
    }
    for (int j = 0; j < 3; j++) qsort(tm[j], (size_t)reps, sizeof(double), cmp_double);
    double mb = (double)m.rs * (double)rows / 1e6;
    printf("%s %lldx%lld (%.1f MB) B=%d, ms min/median: multi %.3f/%.3f, %d matvecs %.3f/%.3f, "
           "matmul %.3f/%.3f\n",
           teai_type_name(t), (long long)rows, (long long)cols, mb, B, tm[0][0], tm[0][reps / 2], B,
           tm[1][0], tm[1][reps / 2], tm[2][0], tm[2][reps / 2]);
    for (int j = 0; j < 3; j++) free(tm[j]);
    mats_free(&m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--bench") == 0) return bench(argc, argv);
    RUN_TEST(test_multi_equals_matvec);
    TEST_MAIN_END();
}
