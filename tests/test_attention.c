/* Flash-style attention (src/engine/attention.c):
 *  - every SIMD level's V accumulation equals the scalar twin bit for bit
 *    (same order, one fused multiply-add per term), for every cache type;
 *  - a whole item (blocks of 256 positions merged in order) with the best
 *    kernels against the scalar kernels, and against a naive two-pass softmax
 *    in double over the same (dequantized) cache and queries: within 2e-5 of
 *    the output's scale (the only difference is the order of the sums), and
 *    against the unrounded f32 inputs within the cache type's rounding;
 *  - contexts: a decode step at depth gives the same logits bit for bit with
 *    1 thread, with 8 (the split into KV blocks) and inside a batch, for
 *    every cache type; f16 and q8_0 caches stay near the f32 one; a q8_0
 *    cache with a head size not a multiple of 32 is refused.
 * On x86_64 the test runs itself again with TEAI_SIMD=avx2. */
#include "attention.h"
#include "cpu_features.h"
#include "quant.h"
#include "util.h"
#include "teai/engine.h"
#include "test_util.h"

#include <stdint.h>

static const teai_type types[3] = {TEAI_TYPE_F32, TEAI_TYPE_F16, TEAI_TYPE_Q8_0};

static uint32_t rng = 12345;
static float frand(void) { /* -1..1 */
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}

/* Fills a cache of n rows of kv_dim elements of type t from f32 values x (n, kv_dim). */
static void fill(teai_type t, const float *x, uint8_t *cache, int n, int kv_dim) {
    size_t rb = teai_type_row_size(t, kv_dim);
    for (int p = 0; p < n; p++)
        teai__quantize_vec(t, x + (size_t)p * (size_t)kv_dim, cache + (size_t)p * rb, kv_dim);
}

typedef teai__attn_vacc_fn (*level_fn)(teai_type);

static void test_vacc_levels(void) {
    static const int hds[] = {32, 64, 80, 128, 40};
    static const int ngs[] = {1, 3, 4, 8};
    static const int nps[] = {1, 7, 256};
    level_fn levels[3] = {NULL, NULL, NULL};
    const char *names[3] = {"avx2", "avx512", "neon"};
#if defined(__x86_64__)
    if (teai__cpu_has_avx2()) levels[0] = teai__attn_vacc_avx2;
    if (teai__cpu_has_avx512()) levels[1] = teai__attn_vacc_avx512;
#elif defined(__aarch64__)
    levels[2] = teai__attn_vacc_neon;
#endif
    int checked = 0;
    for (int ti = 0; ti < 3; ti++)
        for (size_t hi = 0; hi < sizeof hds / sizeof *hds; hi++) {
            int hd = hds[hi];
            teai_type t = types[ti];
            if (t == TEAI_TYPE_Q8_0 && hd % 32) continue;
            for (size_t gi = 0; gi < sizeof ngs / sizeof *ngs; gi++)
                for (size_t pi = 0; pi < sizeof nps / sizeof *nps; pi++) {
                    int ng = ngs[gi], np = nps[pi];
                    size_t rb = teai_type_row_size(t, hd) + 6; /* rows not packed: any stride */
                    uint8_t *V = calloc((size_t)np, rb);
                    float *x = malloc(sizeof(float) * (size_t)hd);
                    float *w = malloc(sizeof(float) * (size_t)ng * TEAI__ATTN_BLOCK);
                    float *a0 = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
                    float *a1 = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
                    for (int p = 0; p < np; p++) {
                        for (int i = 0; i < hd; i++) x[i] = frand() * 3;
                        teai__quantize_vec(t, x, V + (size_t)p * rb, hd);
                    }
                    for (int i = 0; i < ng * TEAI__ATTN_BLOCK; i++) w[i] = frand() * 0.5f + 0.5f;
                    for (int i = 0; i < ng * hd; i++) a0[i] = frand();
                    memcpy(a1, a0, sizeof(float) * (size_t)ng * (size_t)hd);
                    teai__attn_vacc_ref(t)(hd, ng, np, w, TEAI__ATTN_BLOCK, V, rb, a0);
                    for (int l = 0; l < 3; l++) {
                        if (!levels[l] || !levels[l](t)) continue;
                        float *a2 = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
                        memcpy(a2, a1, sizeof(float) * (size_t)ng * (size_t)hd);
                        levels[l](t)(hd, ng, np, w, TEAI__ATTN_BLOCK, V, rb, a2);
                        for (int i = 0; i < ng * hd; i++)
                            if (memcmp(&a0[i], &a2[i], sizeof(float))) {
                                TEST_FAIL_AT("vacc %s type %d hd %d ng %d np %d [%d]: %.9g vs %.9g",
                                             names[l], (int)t, hd, ng, np, i, a2[i], a0[i]);
                                break;
                            }
                        checked++;
                        free(a2);
                    }
                    free(V), free(x), free(w), free(a0), free(a1);
                }
        }
    printf("  %d SIMD comparisons (%s)\n", checked, teai__simd_name());
}

/* Naive attention in double over the values as the kernels see them:
 * the cache dequantized, the queries in the K type's activation form. */
static void naive(teai_type t, int hd, int ng, const float *q /* (ng, hd) */, const float *K,
                  const float *V, int kv_dim, int n, float scale, double *out) {
    double *s = malloc(sizeof(double) * (size_t)n);
    for (int g = 0; g < ng; g++) {
        double mx = -1e300, sum = 0;
        for (int p = 0; p < n; p++) {
            double d = 0;
            for (int i = 0; i < hd; i++)
                d += (double)q[g * hd + i] * K[(size_t)p * (size_t)kv_dim + (size_t)i];
            s[p] = d * scale;
            if (s[p] > mx) mx = s[p];
        }
        for (int p = 0; p < n; p++) sum += s[p] = exp(s[p] - mx);
        for (int i = 0; i < hd; i++) {
            double o = 0;
            for (int p = 0; p < n; p++) o += s[p] * V[(size_t)p * (size_t)kv_dim + (size_t)i];
            out[g * hd + i] = o / sum;
        }
    }
    (void)t;
    free(s);
}

static void check_run(teai_type t, int hd, int ng, int n_kv, int n) {
    int kv_dim = hd * n_kv, kvh = n_kv - 1; /* the last head: offsets into the row matter */
    size_t rb = teai_type_row_size(t, kv_dim), head = teai_type_row_size(t, hd);
    size_t qs = teai__vec_size(t, hd);
    float *kx = malloc(sizeof(float) * (size_t)n * (size_t)kv_dim);
    float *vx = malloc(sizeof(float) * (size_t)n * (size_t)kv_dim);
    float *q = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
    for (size_t i = 0; i < (size_t)n * (size_t)kv_dim; i++) kx[i] = frand() * 2, vx[i] = frand();
    /* a few positions the queries like much more than the rest */
    for (int p = 5; p < n; p += 97)
        for (int i = 0; i < kv_dim; i++) kx[(size_t)p * (size_t)kv_dim + (size_t)i] *= 3;
    for (int i = 0; i < ng * hd; i++) q[i] = frand() * 2;
    uint8_t *K = malloc((size_t)n * rb), *V = malloc((size_t)n * rb), *qq = malloc((size_t)ng * qs);
    fill(t, kx, K, n, kv_dim);
    fill(t, vx, V, n, kv_dim);
    for (int g = 0; g < ng; g++) teai__quantize_vec(t, q + g * hd, qq + (size_t)g * qs, hd);
    /* what the kernels see, as f32 */
    float *kd = malloc(sizeof(float) * (size_t)n * (size_t)kv_dim);
    float *vd = malloc(sizeof(float) * (size_t)n * (size_t)kv_dim);
    float *qd = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
    for (int p = 0; p < n; p++) {
        teai__dequantize_row(t, K + (size_t)p * rb, kd + (size_t)p * (size_t)kv_dim, kv_dim);
        teai__dequantize_row(t, V + (size_t)p * rb, vd + (size_t)p * (size_t)kv_dim, kv_dim);
    }
    for (int g = 0; g < ng; g++) teai__dequantize_row(t, qq + (size_t)g * qs, qd + g * hd, hd);
    float scale = 1.0f / sqrtf((float)hd);
    float *state = malloc(sizeof(float) * (size_t)ng * (size_t)(hd + 2));
    float *part = malloc(sizeof(float) * (size_t)ng * (size_t)(hd + 2));
    float *scores = malloc(sizeof(float) * (size_t)ng * TEAI__ATTN_BLOCK);
    float *o_ref = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
    float *o_best = malloc(sizeof(float) * (size_t)ng * (size_t)hd);
    double *o_naive = malloc(sizeof(double) * (size_t)ng * (size_t)hd);
    double *o_exact = malloc(sizeof(double) * (size_t)ng * (size_t)hd);
    teai__attn_kernels kr, kb;
    ASSERT_EQ(teai__attn_kernels_ref(t, t, &kr), TEAI_OK);
    ASSERT_EQ(teai__attn_kernels_best(t, t, &kb), TEAI_OK);
    teai__attn_run(&kr, hd, ng, qq, qs, K + (size_t)kvh * head, V + (size_t)kvh * head, rb, n,
                   scale, state, part, scores, o_ref);
    teai__attn_run(&kb, hd, ng, qq, qs, K + (size_t)kvh * head, V + (size_t)kvh * head, rb, n,
                   scale, state, part, scores, o_best);
    naive(t, hd, ng, qd, kd + (size_t)kvh * (size_t)hd, vd + (size_t)kvh * (size_t)hd, kv_dim, n,
          scale, o_naive);
    naive(t, hd, ng, q, kx + (size_t)kvh * (size_t)hd, vx + (size_t)kvh * (size_t)hd, kv_dim, n,
          scale, o_exact);
    /* V values are within 1 (q8_0's rounding may exceed it by a step): outputs too */
    double tol_exact = t == TEAI_TYPE_F32 ? 2e-5 : t == TEAI_TYPE_F16 ? 3e-3 : 3e-2;
    double worst_ref = 0, worst_naive = 0, worst_exact = 0;
    for (int i = 0; i < ng * hd; i++) {
        double e1 = fabs((double)o_best[i] - o_ref[i]), e2 = fabs((double)o_ref[i] - o_naive[i]),
               e3 = fabs((double)o_ref[i] - o_exact[i]);
        if (e1 > worst_ref) worst_ref = e1;
        if (e2 > worst_naive) worst_naive = e2;
        if (e3 > worst_exact) worst_exact = e3;
    }
    if (!(worst_ref <= 2e-5 && worst_naive <= 2e-5 && worst_exact <= tol_exact))
        TEST_FAIL_AT("type %d hd %d ng %d n %d: best-ref %.3g, ref-naive %.3g (<= 2e-5), "
                     "ref-f32 %.3g (<= %g)",
                     (int)t, hd, ng, n, worst_ref, worst_naive, worst_exact, tol_exact);
    free(kx), free(vx), free(q), free(K), free(V), free(qq), free(kd), free(vd), free(qd);
    free(state), free(part), free(scores), free(o_ref), free(o_best), free(o_naive), free(o_exact);
}

static void test_run_vs_naive(void) {
    static const int hds[] = {32, 64, 128};
    static const int ngs[] = {1, 4, 5};
    static const int ns[] = {1, 2, 255, 256, 257, 700};
    for (int ti = 0; ti < 3; ti++)
        for (size_t hi = 0; hi < 3; hi++)
            for (size_t gi = 0; gi < 3; gi++)
                for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                    check_run(types[ti], hds[hi], ngs[gi], 2, ns[ni]);
    check_run(TEAI_TYPE_F16, 40, 3, 3, 300); /* a head size no SIMD width divides */
    check_run(TEAI_TYPE_F32, 40, 3, 3, 300);
}

static teai_model *synth(int head_dim_16, char *path, size_t cap) {
    test_tmp_path(path, cap, head_dim_16 ? "attn-hd16.gguf" : "attn.gguf");
    teai_synth_params sp = teai_synth_default_params();
    if (teai_synth_shape("tiny", &sp.hp)) return NULL;
    sp.hp.n_layers = 2;
    if (head_dim_16) sp.hp.n_heads = 16, sp.hp.n_kv_heads = 4, sp.hp.head_dim = 16;
    sp.type = "f32";
    sp.n_threads = 2;
    teai_error err = {0};
    if (teai_model_synth(&sp, path, &err)) return NULL;
    teai_model *m = NULL;
    teai_model_params mp = teai_model_default_params();
    mp.n_threads = 2;
    if (teai_model_load(path, &mp, &m, &err)) return NULL;
    return m;
}

#define DEPTH 600

/* Logits of one decode step after a prompt of DEPTH tokens, n_threads threads;
 * batch: the step inside a batch beside another sequence's prompt chunk. */
static int step_logits(const teai_model *m, int cache_type, int n_threads, int batch, float *out) {
    int n_vocab = teai_model_hparams(m)->n_vocab;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 2 * (DEPTH + 8);
    cp.n_seq = 2;
    cp.n_threads = n_threads;
    cp.cache_type = cache_type;
    teai_context *c = NULL;
    teai_error err = {0};
    if (teai_context_new(m, &cp, &c, &err)) return -1;
    int32_t ids[DEPTH];
    for (int i = 0; i < DEPTH; i++) ids[i] = (int32_t)((i * 37 + 11) % n_vocab);
    int rc = teai_context_eval(c, ids, DEPTH, NULL, &err);
    int32_t next = 17;
    if (!rc && !batch) {
        rc = teai_context_eval(c, &next, 1, out, &err);
    } else if (!rc) {
        teai_batch_row rows[9];
        rows[0] = (teai_batch_row){next, 0, 1};
        for (int i = 1; i < 9; i++) rows[i] = (teai_batch_row){ids[i], 1, 0};
        rc = teai_context_eval_batch(c, rows, 9, out, &err);
    }
    if (!rc && (int)teai_context_cache_type(c) != (cache_type ? cache_type : (int)TEAI_CACHE_F16))
        rc = -2;
    teai_context_free(c);
    (void)n_vocab;
    return rc;
}

static void test_context_threads_and_types(void) {
    char path[512];
    teai_model *m = synth(0, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    float *ref = malloc(sizeof(float) * (size_t)n_vocab);
    float *got = malloc(sizeof(float) * (size_t)n_vocab);
    float *f32 = malloc(sizeof(float) * (size_t)n_vocab);
    static const int cts[] = {TEAI_CACHE_F32, TEAI_CACHE_DEFAULT, TEAI_CACHE_F16, TEAI_CACHE_Q8_0};
    for (int ci = 0; ci < 4; ci++) {
        ASSERT_EQ(step_logits(m, cts[ci], 1, 0, ref), 0);
        if (ci == 0) memcpy(f32, ref, sizeof(float) * (size_t)n_vocab);
        static const int threads[] = {2, 3, 8};
        for (int k = 0; k < 3; k++)
            for (int batch = 0; batch < 2; batch++) {
                ASSERT_EQ(step_logits(m, cts[ci], threads[k], batch, got), 0);
                if (memcmp(ref, got, sizeof(float) * (size_t)n_vocab)) {
                    TEST_FAIL_AT("cache %s, %d threads%s: logits differ from 1 thread's",
                                 teai_cache_type_name(cts[ci]), threads[k],
                                 batch ? " in a batch" : "");
                    goto out;
                }
            }
        double worst = 0, amax = 0;
        for (int i = 0; i < n_vocab; i++) {
            double e = fabs((double)ref[i] - f32[i]);
            if (e > worst) worst = e;
            if (fabs(f32[i]) > amax) amax = fabs(f32[i]);
        }
        double tol = cts[ci] == TEAI_CACHE_Q8_0 ? 0.05 : 0.01;
        printf("  cache %s: max |logit - f32 cache's| %.3g (of %.3g)\n",
               teai_cache_type_name(cts[ci]), worst, amax);
        if (!(worst <= tol * amax)) {
            TEST_FAIL_AT("cache %s: logits %.3g from the f32 cache's (max %.3g)",
                         teai_cache_type_name(cts[ci]), worst, tol * amax);
            goto out;
        }
    }
out:
    free(ref), free(got), free(f32);
    teai_model_free(m);
    remove(path);
}

static void test_q8_0_head_size(void) {
    char path[512];
    teai_model *m = synth(1, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 64;
    cp.cache_type = TEAI_CACHE_Q8_0;
    teai_context *c = NULL;
    teai_error err = {0};
    int rc = teai_context_new(m, &cp, &c, &err);
    teai_context_free(c);
    cp.cache_type = TEAI_CACHE_F16;
    int rc16 = teai_context_new(m, &cp, &c, NULL);
    teai_context_free(c);
    teai_model_free(m);
    remove(path);
    ASSERT_EQ(rc, TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "multiple of 32") != NULL);
    ASSERT_EQ(rc16, TEAI_OK);
}

int main(int argc, char **argv) {
    (void)argc;
    RUN_TEST(test_vacc_levels);
    RUN_TEST(test_run_vs_naive);
#ifndef TEST_ATTENTION_KERNELS_ONLY /* scripts/test-neon.sh: the kernels alone under qemu */
    RUN_TEST(test_context_threads_and_types);
    RUN_TEST(test_q8_0_head_size);
#endif
#if defined(__x86_64__)
    if (!getenv("TEAI_SIMD")) {
        printf("again with TEAI_SIMD=avx2:\n");
        fflush(stdout);
        int rc = test_system("TEAI_SIMD=avx2 '%s'", argv[0]);
        if (rc != 0) TEST_FAIL_AT("the run with TEAI_SIMD=avx2 failed (%d)", rc);
    }
#endif
    TEST_MAIN_END();
}
