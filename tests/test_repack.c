/* Repacked Q4_0 / Q4_K copies (src/engine/repack.h): the kernels the CPU
 * runs (AVX-512 VNNI, or the scalar twin under TEAI_SIMD=avx2/scalar) equal
 * the scalar twin bit for bit for every shape: ragged row counts (not a
 * multiple of the 16-row groups), odd block counts, row ranges split as
 * threads split them, any number of vectors, decode (one vector) and prefill
 * (many) alike; the twin agrees with the file layout's reference dot product
 * within rounding; a model loads repacked only where the CPU has the kernels,
 * and its logits match the in-place path's within rounding. */
#include "model.h"
#include "quant.h"
#include "repack.h"
#include "cpu_features.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static float rng_normal(void) {
    float s = 0.0f;
    for (int i = 0; i < 4; i++) {
        rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
        s += (float)(rng_state >> 40) / (float)(1u << 24) - 0.5f;
    }
    return s;
}

static int has_avx512(void) {
#if TEAI_QUANT_AVX2
    return teai__cpu_has_avx512();
#else
    return 0;
#endif
}

static void fill(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = scale * rng_normal();
}

/* One shape: rows x cols of type t against B vectors. */
static void check_shape(teai_type t, int64_t rows, int64_t cols, int B) {
    teai_type rt = t == TEAI_TYPE_Q4_0 ? TEAI__TYPE_Q4_0_R16 : TEAI__TYPE_Q4_K_R16;
    size_t rb = teai_type_row_size(t, cols);
    size_t xs = (teai__vec_size(t, cols) + 63) / 64 * 64;
    float *f = malloc(sizeof(float) * (size_t)cols);
    uint8_t *W = malloc(rb * (size_t)rows);
    size_t pb = teai__repack_bytes(rt, rows, cols);
    uint8_t *P = malloc(pb);
    uint8_t *X = malloc(xs * (size_t)B);
    size_t ny = (size_t)B * (size_t)rows;
    float *y_ref = malloc(sizeof(float) * ny), *y = malloc(sizeof(float) * ny);
    float *y_dec = malloc(sizeof(float) * ny), *y_split = malloc(sizeof(float) * ny);
    ASSERT_TRUE(f && W && P && X && y_ref && y && y_dec && y_split);
    for (int64_t r = 0; r < rows; r++) {
        fill(f, cols, 0.05f * (float)(1 + r % 7));
        teai__quantize_row(t, f, W + (size_t)r * rb, cols);
    }
    for (int b = 0; b < B; b++) {
        fill(f, cols, 1.0f + (float)b);
        teai__quantize_vec(t, f, X + (size_t)b * xs, cols);
    }
    ASSERT_EQ(pb, (size_t)((rows + 15) / 16) *
                      (t == TEAI_TYPE_Q4_0 ? (size_t)((cols / 32 + 1) / 2) * TEAI__RP_Q4_0_PAIR
                                           : (size_t)(cols / 256) * TEAI__RP_Q4_K_SB));
    int64_t groups = (rows + 15) / 16;
    teai__repack_groups(t, W, rb, rows, cols, 0, groups / 2, P); /* two pieces, as threads */
    teai__repack_groups(t, W, rb, rows, cols, groups / 2, groups, P);

    teai__repack_matmul_ref(rt, P, cols, 0, rows, X, xs, B, y_ref, (size_t)rows);
    /* the twin is the layout's product: close to the file layout's reference */
    teai__dotq_fn dq = teai__dotq_ref(t);
    for (int b = 0; b < B; b++)
        for (int64_t r = 0; r < rows; r++) {
            float want = dq(cols, W + (size_t)r * rb, X + (size_t)b * xs);
            float got = y_ref[(size_t)b * (size_t)rows + (size_t)r];
            ASSERT_NEAR(got, want, 1e-4 * (fabs(want) + 1.0));
        }
    /* prefill (the dispatch: AVX-512 where the CPU runs it) */
    teai__matmul_q(rt, P, rb, cols, 0, rows, X, xs, B, y, (size_t)rows);
    ASSERT_TRUE(memcmp(y, y_ref, sizeof(float) * ny) == 0);
    /* decode: one vector at a time, the same bits */
    for (int b = 0; b < B; b++)
        teai__matvec_q(rt, P, rb, cols, 0, rows, X + (size_t)b * xs, y_dec + (size_t)b * rows);
    ASSERT_TRUE(memcmp(y_dec, y_ref, sizeof(float) * ny) == 0);
    teai__matvec_q_multi(rt, P, rb, cols, 0, rows, X, xs, B, y_dec, (size_t)rows);
    ASSERT_TRUE(memcmp(y_dec, y_ref, sizeof(float) * ny) == 0);
    /* row ranges split anywhere (not on group bounds), as 3 threads would */
    memset(y_split, 0xff, sizeof(float) * ny);
    int64_t cut1 = rows / 3, cut2 = rows - rows / 5;
    teai__matmul_q(rt, P, rb, cols, 0, cut1, X, xs, B, y_split, (size_t)rows);
    teai__matmul_q(rt, P, rb, cols, cut1, cut2, X, xs, B, y_split, (size_t)rows);
    teai__matmul_q(rt, P, rb, cols, cut2, rows, X, xs, B, y_split, (size_t)rows);
    ASSERT_TRUE(memcmp(y_split, y_ref, sizeof(float) * ny) == 0);
    /* a range touches only its rows */
    if (rows > 2) {
        memset(y_split, 0, sizeof(float) * ny);
        teai__matvec_q(rt, P, rb, cols, 1, rows - 1, X, y_split);
        ASSERT_TRUE(y_split[0] == 0.0f && y_split[rows - 1] == 0.0f);
        ASSERT_TRUE(memcmp(y_split + 1, y_ref + 1, sizeof(float) * (size_t)(rows - 2)) == 0);
    }
    free(f), free(W), free(P), free(X), free(y_ref), free(y), free(y_dec), free(y_split);
}

static void test_q4_0_shapes(void) {
    const int64_t rows[] = {1, 5, 16, 17, 33, 64, 100};
    const int64_t cols[] = {32, 64, 96, 256, 544, 2048};
    const int Bs[] = {1, 3, 8, 9, 20};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        for (size_t j = 0; j < sizeof cols / sizeof *cols; j++)
            for (size_t k = 0; k < sizeof Bs / sizeof *Bs; k++)
                check_shape(TEAI_TYPE_Q4_0, rows[i], cols[j], Bs[k]);
}

static void test_q4_k_shapes(void) {
    const int64_t rows[] = {1, 7, 16, 31, 48, 70};
    const int64_t cols[] = {256, 512, 768, 2048};
    const int Bs[] = {1, 2, 4, 5, 11};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        for (size_t j = 0; j < sizeof cols / sizeof *cols; j++)
            for (size_t k = 0; k < sizeof Bs / sizeof *Bs; k++)
                check_shape(TEAI_TYPE_Q4_K, rows[i], cols[j], Bs[k]);
}

/* Large activations: the integer sums near their bounds (codes 15, y +-127). */
static void test_extremes(void) {
    int64_t cols = 512;
    for (int q4k = 0; q4k < 2; q4k++) {
        teai_type t = q4k ? TEAI_TYPE_Q4_K : TEAI_TYPE_Q4_0;
        teai_type rt = q4k ? TEAI__TYPE_Q4_K_R16 : TEAI__TYPE_Q4_0_R16;
        size_t rb = teai_type_row_size(t, cols), xs = teai__vec_size(t, cols);
        uint8_t W[16 * 288 * 2], X[2 * 292 * 2], P[4 * TEAI__RP_Q4_K_SB];
        float f[512], y[16], yr[16];
        for (int r = 0; r < 16; r++) {
            for (int i = 0; i < cols; i++) f[i] = (i + r) % 3 ? 1000.0f : -1000.0f;
            teai__quantize_row(t, f, W + (size_t)r * rb, cols);
        }
        for (int i = 0; i < cols; i++) f[i] = i % 2 ? 50.0f : -50.0f;
        teai__quantize_vec(t, f, X, cols);
        ASSERT_TRUE(teai__repack_bytes(rt, 16, cols) <= sizeof P && xs <= sizeof X);
        teai__repack_groups(t, W, rb, 16, cols, 0, 1, P);
        teai__repack_matmul_ref(rt, P, cols, 0, 16, X, xs, 1, yr, 16);
        teai__matvec_q(rt, P, rb, cols, 0, 16, X, y);
        ASSERT_TRUE(memcmp(y, yr, sizeof y) == 0);
        for (int r = 0; r < 16; r++) {
            float want = teai__dotq_ref(t)(cols, W + (size_t)r * rb, X);
            /* relative to the size of the terms (they cancel) */
            ASSERT_NEAR(yr[r], want, 1e-6 * (double)cols * 1000.0 * 50.0);
        }
    }
}

/* Which CPUs repack: exactly those with the AVX-512 kernels (TEAI_SIMD=avx2 or
 * scalar: none); never other types or shapes the layout does not take. */
static void test_pick(void) {
    int want = has_avx512();
    ASSERT_EQ(teai__repack_pick(TEAI_TYPE_Q4_0, 2048) != 0, want);
    ASSERT_EQ(teai__repack_pick(TEAI_TYPE_Q4_K, 2048) != 0, want);
    ASSERT_EQ(teai__repack_pick(TEAI_TYPE_Q6_K, 2048), 0);
    ASSERT_EQ(teai__repack_pick(TEAI_TYPE_Q8_0, 2048), 0);
    ASSERT_EQ(teai__repack_pick(TEAI_TYPE_Q4_K, 200), 0);
    ASSERT_EQ(teai__repack_base(TEAI__TYPE_Q4_K_R16), TEAI_TYPE_Q4_K);
    ASSERT_EQ(teai__vec_type(TEAI__TYPE_Q4_0_R16), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__vec_size(TEAI__TYPE_Q4_K_R16, 512), teai__vec_size(TEAI_TYPE_Q4_K, 512));
}

/* A tiny model, repacked and in place: repack_info, and the logits. */
static void check_model(const char *type) {
    char path[4096];
    test_tmp_path(path, sizeof path, "repack.gguf");
    teai_synth_params sp = teai_synth_default_params();
    ASSERT_EQ(teai_synth_shape("tiny", &sp.hp), 0);
    sp.type = type;
    sp.n_threads = 2;
    teai_error err = {0};
    ASSERT_EQ(teai_model_synth(&sp, path, &err), TEAI_OK);
    teai_model *m[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        teai_model_params p = teai_model_default_params();
        p.no_repack = i;
        p.n_threads = 2;
        ASSERT_EQ(teai_model_load(path, &p, &m[i], &err), TEAI_OK);
    }
    uint64_t bytes = 1;
    double ms = -1;
    int n = teai_model_repack_info(m[0], &bytes, &ms);
    int n_off = teai_model_repack_info(m[1], NULL, NULL);
    ASSERT_EQ(n_off, 0);
    if (has_avx512()) {
        ASSERT_TRUE(n > 0 && bytes > 0 && ms >= 0.0);
    } else {
        ASSERT_EQ(n, 0);
        ASSERT_EQ(bytes, 0);
    }
    const teai_hparams *hp = teai_model_hparams(m[0]);
    int32_t toks[5] = {1, 7, 42, 3, 9};
    float *lg[2];
    for (int i = 0; i < 2; i++) {
        teai_context_params cp = teai_context_default_params();
        cp.n_ctx = 32;
        cp.n_threads = 2;
        teai_context *c = NULL;
        ASSERT_EQ(teai_context_new(m[i], &cp, &c, &err), TEAI_OK);
        lg[i] = malloc(sizeof(float) * (size_t)hp->n_vocab);
        ASSERT_EQ(teai_context_eval(c, toks, 5, lg[i], &err), TEAI_OK);
        teai_context_free(c);
    }
    double maxd = 0, maxv = 0;
    for (int v = 0; v < hp->n_vocab; v++) {
        double d = fabs((double)lg[0][v] - lg[1][v]);
        if (d > maxd) maxd = d;
        if (fabs(lg[1][v]) > maxv) maxv = fabs(lg[1][v]);
    }
    ASSERT_TRUE(maxd <= 1e-3 * (maxv + 1.0));
    free(lg[0]), free(lg[1]);
    teai_model_free(m[0]), teai_model_free(m[1]);
    remove(path);
}

static void test_model_q4_0(void) {
    check_model("q4_0");
}

static void test_model_q4_k(void) {
    check_model("q4_k");
}

int main(void) {
    RUN_TEST(test_pick);
    RUN_TEST(test_extremes);
    RUN_TEST(test_q4_0_shapes);
    RUN_TEST(test_q4_k_shapes);
    RUN_TEST(test_model_q4_0);
    RUN_TEST(test_model_q4_k);
    TEST_MAIN_END();
}
