/* Multi-sequence contexts and teai_context_eval_batch: sequences with mixed
 * prompt lengths, their prompts in 128-token chunks beside the other
 * sequences' decode steps, give logits bit for bit equal to single-sequence
 * runs (teai_context_eval on the prompt, then one token at a time), for every
 * weight type. On x86_64 the test runs itself again with TEAI_SIMD=avx2 so
 * that both kernel levels are checked. */
#include "teai/engine.h"
#include "test_util.h"

#include <stdint.h>

#define N_SEQ    4
#define N_DECODE 5
#define MAX_LEN  300

static int light(void) {
    const char *v = getenv("TEAI_TEST_LIGHT");
    return v && v[0] == '1';
}

static int32_t decode_token(int seq, int step, int n_vocab) {
    return (int32_t)((seq * 31 + step * 7 + 5) % n_vocab);
}

static void make_prompt(int32_t *ids, int n, int n_vocab, unsigned seed) {
    uint32_t x = seed * 2654435761u + 7;
    for (int i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        ids[i] = (int32_t)((x >> 8) % (uint32_t)n_vocab);
    }
}

/* Reference logits of one sequence: (1 + N_DECODE, n_vocab): after the
 * prompt, then after each decode token. */
static int single_run(const teai_model *m, int n_ctx, const int32_t *ids, int n, int seq,
                      float *out) {
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = 2;
    teai_context *c = NULL;
    teai_error err = {0};
    if (teai_context_new(m, &cp, &c, &err)) return -1;
    int n_vocab = teai_model_hparams(m)->n_vocab;
    int rc = teai_context_eval(c, ids, n, out, &err);
    for (int s = 0; !rc && s < N_DECODE; s++) {
        int32_t t = decode_token(seq, s, n_vocab);
        rc = teai_context_eval(c, &t, 1, out + (size_t)(s + 1) * (size_t)n_vocab, &err);
    }
    teai_context_free(c);
    return rc;
}

/* One model: the batched schedule against the single runs. */
static void check_model(const char *what, const teai_model *m) {
    int n_vocab = teai_model_hparams(m)->n_vocab;
    static const int lens_full[N_SEQ] = {129, 1, 300, 2};
    static const int lens_light[N_SEQ] = {129, 1, 40, 2};
    const int *lens = light() ? lens_light : lens_full;
    int per_seq = MAX_LEN + N_DECODE + 4;
    static int32_t ids[N_SEQ][MAX_LEN];
    size_t per = (size_t)(1 + N_DECODE) * (size_t)n_vocab;
    float *ref = malloc(sizeof(float) * N_SEQ * per), *got = malloc(sizeof(float) * N_SEQ * per);
    float *logits = malloc(sizeof(float) * N_SEQ * (size_t)n_vocab);
    ASSERT_TRUE(ref && got && logits);
    for (int q = 0; q < N_SEQ; q++) {
        make_prompt(ids[q], lens[q], n_vocab, (unsigned)q + 11);
        ASSERT_EQ(single_run(m, per_seq, ids[q], lens[q], q, ref + (size_t)q * per), 0);
    }

    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = N_SEQ * per_seq;
    cp.n_threads = 2;
    cp.n_seq = N_SEQ;
    teai_context *c = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_context_new(m, &cp, &c, &err), TEAI_OK);
    ASSERT_EQ(teai_context_n_seq(c), N_SEQ);
    ASSERT_EQ(teai_context_n_ctx(c), per_seq);
    ASSERT_EQ(teai_context_batch_max(c), 128 + N_SEQ);
    /* a schedule as the server's: sequence q starts at step 2q (staggered
     * arrivals); each step takes every decoding sequence's next token and one
     * 128-aligned prompt chunk of the earliest sequence still reading */
    int done[N_SEQ] = {0}, steps[N_SEQ] = {0}, finished = 0;
    teai_batch_row rows[128 + N_SEQ];
    for (int step = 0; finished < N_SEQ && step < 1000; step++) {
        int n = 0, who[N_SEQ], n_who = 0, prompt = -1;
        /* decode rows first for even steps, last for odd ones: order must not matter */
        for (int pass = 0; pass < 2; pass++) {
            int decode_pass = (step % 2 == 0) == (pass == 0);
            for (int q = 0; q < N_SEQ; q++) {
                if (step < 2 * q || steps[q] > N_DECODE) continue;
                if (decode_pass && done[q] == lens[q] && steps[q] >= 1) {
                    rows[n++] = (teai_batch_row){decode_token(q, steps[q] - 1, n_vocab), q, 1};
                    who[n_who++] = q;
                } else if (!decode_pass && done[q] < lens[q] && prompt < 0) {
                    prompt = q;
                    int k = lens[q] - done[q] < 128 ? lens[q] - done[q] : 128;
                    for (int i = 0; i < k; i++)
                        rows[n++] = (teai_batch_row){ids[q][done[q] + i], q, 0};
                    done[q] += k;
                    if (done[q] == lens[q]) {
                        rows[n - 1].logits = 1;
                        who[n_who++] = q;
                    }
                }
            }
        }
        if (!n) continue;
        ASSERT_EQ(teai_context_eval_batch(c, rows, n, logits, &err), TEAI_OK);
        for (int k = 0; k < n_who; k++) {
            int q = who[k];
            memcpy(got + (size_t)q * per + (size_t)steps[q] * (size_t)n_vocab,
                   logits + (size_t)k * (size_t)n_vocab, sizeof(float) * (size_t)n_vocab);
            if (++steps[q] > N_DECODE) finished++;
        }
    }
    ASSERT_EQ(finished, N_SEQ);
    for (int q = 0; q < N_SEQ; q++) {
        ASSERT_EQ(teai_context_seq_pos(c, q), lens[q] + N_DECODE);
        for (int s = 0; s <= N_DECODE; s++) {
            const float *a = got + (size_t)q * per + (size_t)s * (size_t)n_vocab;
            const float *b = ref + (size_t)q * per + (size_t)s * (size_t)n_vocab;
            for (int i = 0; i < n_vocab; i++)
                if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
                    TEST_FAIL_AT("%s: sequence %d (prompt %d) step %d logit %d: %.9g, single "
                                 "run %.9g",
                                 what, q, lens[q], s, i, (double)a[i], (double)b[i]);
                    goto out;
                }
        }
    }
    /* a sequence emptied alone runs again from position 0 */
    teai_context_seq_reset(c, 1);
    ASSERT_EQ(teai_context_seq_pos(c, 1), 0);
    ASSERT_EQ(teai_context_seq_pos(c, 2), lens[2] + N_DECODE);
    rows[0] = (teai_batch_row){ids[1][0], 1, 1};
    ASSERT_EQ(teai_context_eval_batch(c, rows, 1, logits, &err), TEAI_OK);
    ASSERT_TRUE(memcmp(logits, ref + 1 * per, sizeof(float) * (size_t)n_vocab) == 0);
out:
    teai_context_free(c);
    free(ref);
    free(got);
    free(logits);
}

static teai_model *synth(const char *type, teai_quantize qz, char *path, size_t cap) {
    char name[64];
    snprintf(name, sizeof name, "batch-%s.gguf", type);
    test_tmp_path(path, cap, name);
    teai_synth_params sp = teai_synth_default_params();
    if (teai_synth_shape("tiny", &sp.hp)) return NULL;
    sp.hp.n_layers = 2;
    sp.type = type;
    sp.n_threads = 2;
    teai_error err = {0};
    if (teai_model_synth(&sp, path, &err)) {
        fprintf(stderr, "synth %s: %s\n", type, err.msg);
        return NULL;
    }
    teai_model *m = NULL;
    teai_model_params mp = teai_model_default_params();
    mp.quantize = qz;
    mp.n_threads = 2;
    if (teai_model_load(path, &mp, &m, &err)) {
        fprintf(stderr, "load %s: %s\n", path, err.msg);
        return NULL;
    }
    return m;
}

static void check_type(const char *type, teai_quantize qz) {
    char path[512];
    teai_model *m = synth(type, qz, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    char what[64];
    snprintf(what, sizeof what, "%s%s%s", type, qz ? " as " : "", qz ? teai_quantize_name(qz) : "");
    check_model(what, m);
    teai_model_free(m);
    remove(path);
}

static void test_f32(void) {
    check_type("f32", TEAI_QUANTIZE_DEFAULT);
}
static void test_f16(void) {
    check_type("f16", TEAI_QUANTIZE_DEFAULT);
}
static void test_bf16(void) {
    check_type("bf16", TEAI_QUANTIZE_DEFAULT);
}
static void test_q8_0(void) {
    check_type("q8_0", TEAI_QUANTIZE_DEFAULT);
}
static void test_q4_0(void) {
    check_type("q4_0", TEAI_QUANTIZE_DEFAULT);
}
static void test_q4_k(void) {
    check_type("q4_k", TEAI_QUANTIZE_DEFAULT);
}
static void test_q6_k(void) {
    check_type("q6_k", TEAI_QUANTIZE_DEFAULT);
}
static void test_int8(void) {
    check_type("f32", TEAI_QUANTIZE_INT8);
}
static void test_nf4(void) {
    check_type("f32", TEAI_QUANTIZE_NF4);
}

/* Bad rows and a full sequence: refused before anything runs. */
static void test_errors(void) {
    char path[512];
    teai_model *m = synth("f32", TEAI_QUANTIZE_DEFAULT, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 10;
    cp.n_seq = 3; /* 3 positions each */
    cp.n_threads = 1;
    teai_context *c = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_context_new(m, &cp, &c, &err), TEAI_OK);
    ASSERT_EQ(teai_context_n_ctx(c), 3);
    teai_batch_row r[5] = {{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 1}, {5, 1, 1}};
    ASSERT_EQ(teai_context_eval_batch(c, r, 5, NULL, &err), TEAI_ERANGE);
    ASSERT_EQ(teai_context_seq_pos(c, 0), 0);
    r[3].seq = 3;
    ASSERT_EQ(teai_context_eval_batch(c, r, 5, NULL, &err), TEAI_EINVAL);
    r[3].seq = 2;
    r[4].token = 512;
    ASSERT_EQ(teai_context_eval_batch(c, r, 5, NULL, &err), TEAI_EINVAL);
    r[4].token = 5;
    ASSERT_EQ(teai_context_eval_batch(c, r, 0, NULL, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_context_eval_batch(c, r, 5, NULL, &err), TEAI_OK);
    ASSERT_EQ(teai_context_seq_pos(c, 0), 3);
    ASSERT_EQ(teai_context_seq_pos(c, 1), 1);
    ASSERT_EQ(teai_context_seq_pos(c, 2), 1);
    ASSERT_EQ(teai_context_seq_pos(c, 3), -1);
    ASSERT_EQ(teai_context_pos(c), 3);
    teai_context_reset(c);
    ASSERT_EQ(teai_context_seq_pos(c, 2), 0);
    teai_context_free(c);
    cp.n_ctx = 2; /* fewer positions than sequences */
    ASSERT_EQ(teai_context_new(m, &cp, &c, &err), TEAI_EINVAL);
    teai_model_free(m);
    remove(path);
}

int main(int argc, char **argv) {
    (void)argc;
    RUN_TEST(test_errors);
    RUN_TEST(test_f32);
    RUN_TEST(test_f16);
    RUN_TEST(test_q8_0);
    RUN_TEST(test_q4_0);
    RUN_TEST(test_q4_k);
    if (!light()) {
        RUN_TEST(test_bf16);
        RUN_TEST(test_q6_k);
        RUN_TEST(test_int8);
        RUN_TEST(test_nf4);
    }
#if defined(__x86_64__)
    if (!getenv("TEAI_SIMD")) { /* the AVX2 kernels as well, on a machine with AVX-512 */
        printf("again with TEAI_SIMD=avx2:\n");
        fflush(stdout);
        int rc = test_system("TEAI_SIMD=avx2 '%s'", argv[0]);
        if (rc != 0) TEST_FAIL_AT("the run with TEAI_SIMD=avx2 failed (%d)", rc);
    }
#endif
    TEST_MAIN_END();
}
