/* NF4's two paths (src/engine/quant_nf4*.c, quant_simd.h): the integer path
 * (int8 codebook against Q8_0 activations, TEAI_TYPE_NF4) and the exact one
 * (f32 codebook against f32 activations, TEAI__TYPE_NF4_EXACT). Each SIMD
 * kernel of the level this CPU runs (TEAI_SIMD caps it; NEON under qemu via
 * scripts/test-neon.sh) against its scalar twin; decode (matvec_q, one and
 * many vectors) and prefill (matmul_q) giving each (row, vector) bit for bit
 * the same value; the integer path close to the exact one.
 *
 * Tolerance: the integer sums are exact, only the float scaling and the
 * order of the sums differ, so a kernel and its twin agree within
 * 1e-6 * sum_i |w_i x_i| + 1e-6 (test_quant's DOTQ_RTOL). */
#include "quant.h"
#include "quant_simd.h"
#include "test_util.h"
#include "util.h"

#include <stdint.h>

static uint64_t rng = 0x243f6a8885a308d3ull;

static float uniform(void) { /* [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 0x2545f4914f6cdd1dull) >> 40) / 8388608.0f - 1.0f;
}

/* weight- or activation-like values: per-64 magnitudes over two decades */
static void fill(float *x, int64_t n) {
    float mag = 1.0f;
    for (int64_t i = 0; i < n; i++) {
        if (i % 64 == 0) mag = powf(10.0f, -1.0f + 2.0f * (uniform() + 1.0f) / 2.0f);
        x[i] = mag * (uniform() + uniform() + uniform());
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

static const teai_type types[] = {TEAI_TYPE_NF4, TEAI__TYPE_NF4_EXACT};

static void test_types(void) {
    for (int c = 0; c < 16; c++) ASSERT_EQ(teai__nf4_i8[c], lrintf(127.0f * teai__nf4_values[c]));
    ASSERT_STREQ(teai_type_name(TEAI__TYPE_NF4_EXACT), "nf4");
    ASSERT_TRUE(teai_type_is_known((uint32_t)TEAI_TYPE_NF4));
    ASSERT_TRUE(!teai_type_is_known((uint32_t)TEAI__TYPE_NF4_EXACT)); /* never in a file */
    teai_type t;
    ASSERT_EQ(teai_type_from_name("nf4", &t), TEAI_OK);
    ASSERT_EQ(t, TEAI_TYPE_NF4);
    ASSERT_EQ(teai_type_row_size(TEAI__TYPE_NF4_EXACT, 128), 68);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_NF4), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__vec_type(TEAI__TYPE_NF4_EXACT), TEAI_TYPE_F32);
}

/* sum_i |w_i x_i| with the exact dequantized weights */
static double magnitude(const uint8_t *row, const float *x, int64_t n) {
    float *w = xmalloc((size_t)n * sizeof(float));
    teai__dequantize_row(TEAI_TYPE_NF4, row, w, n);
    double m = 0.0;
    for (int64_t i = 0; i < n; i++) m += fabs((double)w[i] * x[i]);
    free(w);
    return m;
}

/* dotq_best against dotq_ref for both paths, and the integer path against
 * the exact one: within the codebook's int8 rounding (|c/127 - v| <= 1/254)
 * and Q8_0's (half a step of 1/127 of each block's largest), far below
 * nf4's own steps. */
static void test_best_vs_ref(void) {
    static const int64_t lens[] = {64, 128, 192, 1024, 4096, 64 * 257};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        int64_t n = lens[li];
        float *src = xmalloc((size_t)n * sizeof(float)), *x = xmalloc((size_t)n * sizeof(float));
        uint8_t *row = xmalloc(teai_type_row_size(TEAI_TYPE_NF4, n));
        fill(src, n);
        fill(x, n);
        teai__quantize_row(TEAI_TYPE_NF4, src, row, n);
        double mag = magnitude(row, x, n), got[2];
        for (int k = 0; k < 2; k++) {
            teai_type t = types[k];
            uint8_t *xq = xmalloc(teai__vec_size(t, n));
            teai__quantize_vec(t, x, xq, n);
            double b = teai__dotq_best(t)(n, row, xq), r = teai__dotq_ref(t)(n, row, xq);
            free(xq);
            got[k] = r;
            if (!(fabs(b - r) <= 1e-6 * mag + 1e-6)) {
                TEST_FAIL_AT("%s n=%lld: best %.9g vs ref %.9g (mag %.3g)", k ? "exact" : "integer",
                             (long long)n, b, r, mag);
                break;
            }
        }
        free(src), free(x), free(row);
        if (teai_test_failures) return;
        ASSERT_TRUE(fabs(got[0] - got[1]) <= 0.01 * mag);
        ASSERT_TRUE(got[0] != got[1]); /* the integer path really ran */
    }
}

/* Decode (matvec_q per vector, matvec_q_multi) and prefill (matmul_q) give
 * each (row, vector) the same bits as dotq_best, for both paths: an odd
 * number of blocks, more blocks than the AVX-512 decode kernel's stack
 * buffer, more rows and vectors than one register tile. */
static void test_decode_prefill_bits(void) {
    static const struct {
        int64_t rows, cols, r0, r1;
        int B;
    } shapes[] = {
        {9, 192, 0, 9, 6}, {5, 64 * 257, 1, 5, 5}, {37, 2048, 3, 37, 9}, {4, 64, 0, 4, 1}};
    for (int k = 0; k < 2; k++) {
        teai_type t = types[k];
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int64_t rows = shapes[s].rows, cols = shapes[s].cols, r0 = shapes[s].r0,
                    r1 = shapes[s].r1;
            int B = shapes[s].B;
            size_t rs = teai_type_row_size(t, cols), xs = (teai__vec_size(t, cols) + 63) / 64 * 64;
            size_t ys = (size_t)rows + 1;
            uint8_t *W = xmalloc(rs * (size_t)rows), *X = xmalloc(xs * (size_t)B);
            float *src = xmalloc((size_t)cols * sizeof(float));
            float *Y[3];
            for (int p = 0; p < 3; p++) {
                Y[p] = xmalloc(ys * (size_t)B * sizeof(float));
                for (size_t i = 0; i < ys * (size_t)B; i++) Y[p][i] = -1.0f;
            }
            for (int64_t r = 0; r < rows; r++) {
                fill(src, cols);
                teai__quantize_row(t, src, W + (size_t)r * rs, cols);
            }
            for (int b = 0; b < B; b++) {
                fill(src, cols);
                teai__quantize_vec(t, src, X + (size_t)b * xs, cols);
                teai__matvec_q(t, W, rs, cols, r0, r1, X + (size_t)b * xs, Y[0] + (size_t)b * ys);
            }
            teai__matvec_q_multi(t, W, rs, cols, r0, r1, X, xs, B, Y[1], ys);
            teai__matmul_q(t, W, rs, cols, r0, r1, X, xs, B, Y[2], ys);
            int bad = 0;
            for (int b = 0; b < B && !bad; b++)
                for (int64_t r = 0; r < (int64_t)ys && !bad; r++) {
                    int inside = r >= r0 && r < r1;
                    float want =
                        inside ? teai__dotq_best(t)(cols, W + (size_t)r * rs, X + (size_t)b * xs)
                               : -1.0f;
                    for (int p = 0; p < 3 && !bad; p++) {
                        float got = Y[p][(size_t)b * ys + (size_t)r];
                        if (memcmp(&got, &want, sizeof got) != 0) {
                            TEST_FAIL_AT("%s %s cols %lld: y[%d][%lld] = %.9g, want %.9g",
                                         k ? "exact" : "integer",
                                         p == 0   ? "matvec_q"
                                         : p == 1 ? "matvec_q_multi"
                                                  : "matmul_q",
                                         (long long)cols, b, (long long)r, (double)got,
                                         (double)want);
                            bad = 1;
                        }
                    }
                }
            free(W), free(X), free(src);
            for (int p = 0; p < 3; p++) free(Y[p]);
            if (bad) return;
        }
    }
}

/* The largest codes against activations at +-127: no int16 step saturates
 * (AVX2's vpmaddubsw), the +128 offset of the AVX-512 kernel cancels. */
static void test_extreme(void) {
    enum { N = 256 };
    static float x[N];
    static uint8_t row[N], xq[N * 2];
    for (int pat = 0; pat < 4; pat++) {
        for (int i = 0; i < N; i++) x[i] = pat & 1 ? (i % 2 ? -1.0f : 1.0f) : pat ? -1.0f : 1.0f;
        size_t rs = teai_type_row_size(TEAI_TYPE_NF4, N);
        memset(row, pat < 2 ? 0xff : 0x00, rs); /* codes 15 (+127) or 0 (-127) */
        for (size_t b = 0; b < rs / 34; b++) row[34 * b] = 0x00, row[34 * b + 1] = 0x3c; /* 1.0 */
        teai__quantize_vec(TEAI_TYPE_NF4, x, xq, N);
        double want = 0.0;
        for (int i = 0; i < N; i++)
            want += (pat < 2 ? 127.0 : -127.0) / 127.0 * (x[i] > 0 ? 1.0 : -1.0);
        double b = teai__dotq_best(TEAI_TYPE_NF4)(N, row, xq),
               r = teai__dotq_ref(TEAI_TYPE_NF4)(N, row, xq);
        /* the activations' fp16 scale 1/127 is off by up to 2^-11 */
        ASSERT_NEAR(b, want, 1e-3 * N);
        ASSERT_NEAR(r, want, 1e-3 * N);
        ASSERT_TRUE(fabs(b - r) <= 1e-6 * N);
    }
}

int main(void) {
    printf("simd: %s\n", teai__simd_name());
    RUN_TEST(test_types);
    RUN_TEST(test_best_vs_ref);
    RUN_TEST(test_decode_prefill_bits);
    RUN_TEST(test_extreme);
    TEST_MAIN_END();
}
