/* Perplexity and KL divergence (src/eval/ppl.h): the per-position formulas
 * against hand-computed values, llama-perplexity's chunking against an
 * independent token-by-token evaluation, the base file (round trip, a run
 * against its own base gives exactly 0, an interrupted write stays valid),
 * and the errors (text too short, base for another context/text, corrupt). */
#include "eval/ppl.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int light(void) {
    const char *e = getenv("TEAI_TEST_LIGHT");
    return e && *e && strcmp(e, "0") != 0;
}

/* ---- arithmetic ---------------------------------------------------------- */

static void test_nll_by_hand(void) {
    /* logits 0, 1, 2: p(2) = 1 / (1 + e^-1 + e^-2) */
    const float lg[3] = {0, 1, 2};
    ASSERT_NEAR(teai_ppl_nll(lg, 3, 2), log(1 + exp(-1.0) + exp(-2.0)), 1e-6);
    ASSERT_NEAR(teai_ppl_nll(lg, 3, 0), 2 + log(1 + exp(-1.0) + exp(-2.0)), 1e-6);
    /* uniform over 4: nll = ln 4 for every token */
    const float u[4] = {3, 3, 3, 3};
    ASSERT_NEAR(teai_ppl_nll(u, 4, 1), log(4.0), 1e-7);
    /* the writer's variant agrees */
    uint16_t row[4 + 4];
    ASSERT_NEAR(teai_kl_quantize_row(lg, 3, 2, row), log(1 + exp(-1.0) + exp(-2.0)), 1e-6);
}

static void test_estimate_by_hand(void) {
    /* nll values 1, 2, 3, 4: mean 2.5, population variance 1.25 */
    double ppl, err;
    teai_ppl_estimate(10, 30, 4, &ppl, &err);
    ASSERT_NEAR(ppl, exp(2.5), 1e-9);
    ASSERT_NEAR(err, sqrt(1.25 / 3) * exp(2.5), 1e-9);
    /* a perfectly flat run has no estimate of its uncertainty */
    teai_ppl_estimate(4 * log(4.0), 4 * log(4.0) * log(4.0), 4, &ppl, &err);
    ASSERT_NEAR(ppl, 4.0, 1e-12);
    ASSERT_TRUE(isnan(err));
    double m, e;
    teai_ppl_mean_err(10, 30, 4, &m, &e);
    ASSERT_NEAR(m, 2.5, 1e-12);
    ASSERT_NEAR(e, 0.0, 0); /* llama.cpp: no uncertainty for 10 values or fewer */
}

static void test_percentiles(void) {
    const float v[5] = {1, 2, 3, 4, 10};
    ASSERT_NEAR(teai_kl_percentile(v, 5, 0), 1, 0);
    ASSERT_NEAR(teai_kl_percentile(v, 5, 1), 10, 0);
    ASSERT_NEAR(teai_kl_percentile(v, 5, 0.5f), 3, 1e-6);
    ASSERT_NEAR(teai_kl_percentile(v, 5, 0.9f), 4 + 0.6 * 6, 1e-5);
    ASSERT_NEAR(teai_kl_median(v, 5), 3, 0);
    ASSERT_NEAR(teai_kl_median(v, 4), 2.5, 0);
}

static uint64_t rng_state = 88172645463325252ull;
static float frand(void) { /* xorshift, uniform [-1, 1) */
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

/* Exact KL(p || q) of two logit vectors, in double. */
static double kl_exact(const float *a, const float *b, int n) {
    double ma = -1e30, mb = -1e30, sa = 0, sb = 0, kl = 0;
    for (int i = 0; i < n; i++) ma = fmax(ma, a[i]), mb = fmax(mb, b[i]);
    for (int i = 0; i < n; i++) sa += exp(a[i] - ma), sb += exp(b[i] - mb);
    for (int i = 0; i < n; i++) {
        double la = a[i] - ma - log(sa), lb = b[i] - mb - log(sb);
        kl += exp(la) * (la - lb);
    }
    return kl;
}

static void test_kl_positions(void) {
    enum { NV = 1001, NP = 64 };
    int64_t units = teai_kl_row_units(NV);
    float *lg = malloc(sizeof(float) * NV), *lq = malloc(sizeof(float) * NV);
    uint16_t *row = malloc(sizeof(uint16_t) * (size_t)units);
    void *scratch = malloc(teai_kl_scratch_bytes(NV));
    ASSERT_TRUE(lg && lq && row && scratch);
    ASSERT_EQ(units, 1006);
    teai_kl_acc self, other;
    memset(&self, 0, sizeof self);
    memset(&other, 0, sizeof other);
    double worst = 0;
    for (int p = 0; p < NP; p++) {
        /* a spread of 24 in the logits: some fall below the stored floor */
        for (int i = 0; i < NV; i++) lg[i] = 12 * frand(), lq[i] = lg[i] + 0.3f * frand();
        int tok = p * 13 % NV;
        teai_kl_quantize_row(lg, NV, tok, row);
        float pd;
        double k = teai_kl_position(lg, NV, row, tok, &self, &pd, scratch);
        /* the correct token's probability is exact below the stored floor
         * (llama.cpp's), so only above it is the change exactly 0 */
        if (k != 0 || (row[4 + tok] != 0 && pd != 0) || pd > 0) {
            TEST_FAIL_AT("position %d against its own row: KL %g, dp %g (wanted exactly 0)", p, k,
                         (double)pd);
            break;
        }
        double kq = teai_kl_position(lq, NV, row, tok, &other, &pd, scratch);
        double ke = kl_exact(lg, lq, NV);
        worst = fmax(worst, fabs(kq - ke));
    }
    ASSERT_EQ(self.count, NP);
    ASSERT_EQ(self.n_same_top, NP);
    ASSERT_TRUE(self.sum_kld == 0 && self.sum_p_diff <= 0 && self.sum_nll >= self.sum_nll_base);
    teai_kl_summary s;
    teai_kl_summarize(&other, NULL, NULL, 0, &s);
    ASSERT_TRUE(s.kld > 0.01);
    /* the stored grid (16/65535 nats at most) bounds the error against exact KL */
    if (worst > 2e-4) TEST_FAIL_AT("KL off the exact value by %g", worst);
    free(lg);
    free(lq);
    free(row);
    free(scratch);
}

/* ---- end to end on a tiny synthesized model ------------------------------ */

static char g_model[512], g_text[512], g_short[512];

static int setup_files(void) {
    test_tmp_path(g_model, sizeof g_model, "ppl-tiny.gguf");
    test_tmp_path(g_text, sizeof g_text, "ppl-text.txt");
    test_tmp_path(g_short, sizeof g_short, "ppl-short.txt");
    teai_synth_params sp = teai_synth_default_params();
    teai_synth_shape("tiny", &sp.hp);
    sp.hp.dim = 64, sp.hp.n_layers = 2, sp.hp.n_heads = 4, sp.hp.n_kv_heads = 2;
    sp.hp.head_dim = 16, sp.hp.ffn_dim = 128;
    sp.type = "f32";
    teai_error err = {0};
    if (teai_model_synth(&sp, g_model, &err) != TEAI_OK) {
        fprintf(stderr, "synth: %s\n", err.msg);
        return -1;
    }
    FILE *f = fopen(g_text, "w"), *s = fopen(g_short, "w");
    if (!f || !s) return -1;
    static const char *words[] = {"the", "cat",   "sat",   "on",   "a",   "mat",    "and",  "then",
                                  "it",  "slept", "while", "dogs", "ran", "around", "house"};
    for (int i = 0; i < 600; i++)
        fprintf(f, "%s%s", words[(i * 7 + i / 5) % 15], i % 11 ? " " : ".\n");
    fprintf(s, "too short for two chunks\n");
    fclose(f);
    fclose(s);
    return 0;
}

/* Sum of -log p over the scored positions of n_chunk chunks, each position
 * computed from an empty cache with one batched call: an evaluation that
 * shares nothing with teai_ppl_run's chunk loop. */
static double reference_nll(const teai_model *m, const int32_t *tokens, int n_ctx, int n_chunk,
                            long *count) {
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n_ctx;
    teai_context *ctx = NULL;
    teai_error err = {0};
    if (teai_context_new(m, &cp, &ctx, &err) != TEAI_OK) return NAN;
    int n_vocab = teai_model_hparams(m)->n_vocab;
    const teai_tokenizer *tok = teai_model_tokenizer(m);
    float *lg = malloc(sizeof(float) * (size_t)n_vocab);
    int32_t *buf = malloc(sizeof(int32_t) * (size_t)n_ctx);
    double sum = 0;
    *count = 0;
    for (int c = 0; c < n_chunk; c++) {
        memcpy(buf, tokens + c * n_ctx, sizeof(int32_t) * (size_t)n_ctx);
        buf[0] = teai_tokenizer_bos(tok);
        for (int p = n_ctx / 2; p < n_ctx - 1; p++) {
            teai_context_reset(ctx);
            teai_context_eval(ctx, buf, p + 1, lg, &err);
            double mx = lg[0], se = 0;
            for (int i = 0; i < n_vocab; i++) mx = fmax(mx, lg[i]);
            for (int i = 0; i < n_vocab; i++) se += exp(lg[i] - mx);
            sum += -(lg[buf[p + 1]] - mx - log(se));
            ++*count;
        }
    }
    free(lg);
    free(buf);
    teai_context_free(ctx);
    return sum;
}

static int count_chunks(void *user, const teai_ppl_progress *p) {
    int *n = user;
    ++*n;
    return p->chunk == 2 && n[1]; /* n[1]: stop after the second chunk */
}

static void test_chunking(void) {
    teai_model *m = NULL;
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    ASSERT_EQ(teai_model_load(g_model, &mp, &m, &err), TEAI_OK);
    char *text = NULL;
    FILE *f = fopen(g_text, "rb");
    ASSERT_TRUE(f);
    static char tb[1 << 16];
    size_t len = fread(tb, 1, sizeof tb - 1, f);
    fclose(f);
    tb[len] = 0;
    text = tb;
    int32_t *ids = malloc(sizeof(int32_t) * (len + 8));
    int n_ids = 0;
    /* llama-perplexity drops one trailing newline and adds BOS */
    size_t tlen = len && text[len - 1] == '\n' ? len - 1 : len;
    ASSERT_EQ(teai_tokenize(teai_model_tokenizer(m), text, tlen, 1, 0, ids, (int)len + 8, &n_ids),
              TEAI_OK);
    ASSERT_EQ(ids[0], teai_tokenizer_bos(teai_model_tokenizer(m)));

    const int n_ctx = 16;
    teai_ppl_params p = teai_ppl_default_params();
    p.model = m;
    p.text_file = g_text;
    p.n_ctx = n_ctx;
    p.n_chunks = light() ? 3 : 6;
    int seen[2] = {0, 0};
    p.progress = count_chunks;
    p.user = seen;
    teai_ppl_result r;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    ASSERT_TRUE(n_ids / n_ctx >= p.n_chunks);
    ASSERT_EQ(r.n_text_tokens, n_ids);
    ASSERT_EQ(r.n_chunks, p.n_chunks);
    ASSERT_EQ(seen[0], p.n_chunks);
    ASSERT_EQ(r.n_scored, (long)p.n_chunks * (n_ctx - 1 - n_ctx / 2)); /* 7 per chunk */
    long count = 0;
    double ref = reference_nll(m, ids, n_ctx, p.n_chunks, &count);
    ASSERT_EQ(count, r.n_scored);
    ASSERT_NEAR(r.nll / (double)r.n_scored, ref / (double)count, 1e-4);
    ASSERT_NEAR(r.ppl, exp(r.nll / (double)r.n_scored), 1e-9 * r.ppl);

    /* all chunks the text holds */
    p.n_chunks = 0;
    p.progress = NULL;
    if (!light()) {
        ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
        ASSERT_EQ(r.n_chunks, n_ids / n_ctx);
    }
    /* stopped by the callback after chunk 2: the estimate of 2 chunks */
    p.n_chunks = 4;
    p.progress = count_chunks;
    seen[0] = 0, seen[1] = 1;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EINTR);
    ASSERT_EQ(r.n_chunks, 2);
    ASSERT_TRUE(r.interrupted);
    ASSERT_EQ(r.n_scored, 14);
    ASSERT_TRUE(isfinite(r.ppl));
    free(ids);
    teai_model_free(m);
}

static void test_base_round_trip(void) {
    char base[512], part[600];
    test_tmp_path(base, sizeof base, "ppl-base.kl");
    teai_model *m = NULL, *nf4 = NULL;
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    ASSERT_EQ(teai_model_load(g_model, &mp, &m, &err), TEAI_OK);
    mp.quantize = TEAI_QUANTIZE_NF4;
    ASSERT_EQ(teai_model_load(g_model, &mp, &nf4, &err), TEAI_OK);
    teai_ppl_params p = teai_ppl_default_params();
    p.model = m;
    p.model_path = g_model;
    p.text_file = g_text;
    p.n_ctx = 32;
    p.n_chunks = 3;
    p.kl_base_out = base;
    teai_ppl_result w, r;
    ASSERT_EQ(teai_ppl_run(&p, &w, &err), TEAI_OK);
    snprintf(part, sizeof part, "%s.part", base);
    FILE *pf = fopen(part, "rb");
    ASSERT_TRUE(!pf);

    teai_kl_base b;
    ASSERT_EQ(teai_kl_base_open(base, &b, &err), TEAI_OK);
    ASSERT_EQ(b.n_ctx, 32);
    ASSERT_EQ(b.n_chunk, 3);
    ASSERT_EQ(b.n_vocab, teai_model_hparams(m)->n_vocab);
    char v[256];
    teai_kl_base_meta(&b, "model", v, sizeof v);
    ASSERT_STREQ(v, g_model);
    teai_kl_base_meta(&b, "n_ctx", v, sizeof v);
    ASSERT_STREQ(v, "32");
    teai_kl_base_close(&b);

    /* the same run against its own base: exactly 0 */
    p.kl_base_out = NULL;
    p.kl_base = base;
    p.n_ctx = 0; /* from the base */
    p.n_chunks = 0;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    ASSERT_TRUE(r.has_kl);
    ASSERT_EQ(r.n_chunks, 3);
    ASSERT_EQ(r.kl.n, 3 * 15);
    ASSERT_TRUE(r.kl.kld == 0 && r.kl.kld_pct[0] == 0 && r.kl.kld_pct[10] == 0);
    ASSERT_TRUE(r.kl.same_top == 1.0);
    /* the same probability of the correct token, up to tokens below the
     * stored floor of max - 16 (exact here, floored in the base) */
    ASSERT_TRUE(r.kl.dp <= 0 && r.kl.ln_ratio >= 0);
    /* the plain estimate is the one a run without a base gives */
    ASSERT_NEAR(r.ppl, w.ppl, 1e-4 * w.ppl);
    /* and without the text: the base's tokens */
    p.text_file = NULL;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    ASSERT_TRUE(r.kl.kld == 0 && r.n_chunks == 3);

    /* nf4 against the f32 base: a positive divergence */
    p.model = nf4;
    p.text_file = g_text;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    ASSERT_TRUE(r.kl.kld > 0);
    ASSERT_TRUE(r.kl.kld_pct[0] >= r.kl.kld_pct[5] && r.kl.kld_pct[5] >= r.kl.kld_pct[10]);
    ASSERT_TRUE(r.kl.same_top < 1.0 + 1e-12 && r.kl.same_top > 0);
    printf("  nf4 vs f32 (tiny, ctx 32, 3 chunks): KLD %.6f +/- %.6f, same top %.1f%%\n", r.kl.kld,
           r.kl.kld_err, 100 * r.kl.same_top);

    /* a base for another context, another text, or more chunks than it has */
    p.model = m;
    p.n_ctx = 16;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "--ctx 32") != NULL);
    p.n_ctx = 0;
    p.n_chunks = 5;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EFORMAT);
    p.n_chunks = 0;
    char other[512];
    test_tmp_path(other, sizeof other, "ppl-other.txt");
    FILE *o = fopen(other, "w");
    ASSERT_TRUE(o);
    for (int i = 0; i < 400; i++) fprintf(o, "%d apples, ", i);
    fclose(o);
    p.text_file = other;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "another text") != NULL);
    teai_model_free(m);
    teai_model_free(nf4);
}

static int stop_after_two(void *user, const teai_ppl_progress *p) {
    (void)user;
    return p->chunk == 2;
}

static void test_interrupted_base(void) {
    char base[512];
    test_tmp_path(base, sizeof base, "ppl-cut.kl");
    teai_error err = {0};
    teai_ppl_params p = teai_ppl_default_params();
    p.model_path = g_model;
    p.text_file = g_text;
    p.n_ctx = 16;
    p.n_chunks = 5;
    p.kl_base_out = base;
    p.progress = stop_after_two;
    teai_ppl_result r;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EINTR);
    teai_kl_base b;
    ASSERT_EQ(teai_kl_base_open(base, &b, &err), TEAI_OK);
    ASSERT_EQ(b.n_chunk, 2);
    teai_kl_base_close(&b);
    /* the shrunk file compares cleanly: 2 chunks, exactly 0 */
    p.kl_base_out = NULL;
    p.kl_base = base;
    p.progress = NULL;
    p.n_chunks = 0;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    ASSERT_EQ(r.n_chunks, 2);
    ASSERT_TRUE(r.kl.kld == 0);
}

/* Writes bytes to path. */
static int put(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static void test_bad_inputs(void) {
    teai_error err = {0};
    teai_ppl_params p = teai_ppl_default_params();
    p.model_path = g_model;
    p.text_file = g_short;
    p.n_ctx = 16;
    teai_ppl_result r;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "needs at least 32") != NULL);
    ASSERT_TRUE(strchr(err.msg, '\n') == NULL);

    /* corrupt base files: each a one-line TEAI_EFORMAT */
    char base[512], bad[512];
    test_tmp_path(base, sizeof base, "ppl-good.kl");
    test_tmp_path(bad, sizeof bad, "ppl-bad.kl");
    p.text_file = g_text;
    p.n_chunks = 2;
    p.kl_base_out = base;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_OK);
    static uint8_t d[1 << 20];
    FILE *f = fopen(base, "rb");
    ASSERT_TRUE(f);
    size_t n = fread(d, 1, sizeof d, f);
    fclose(f);
    ASSERT_TRUE(n > 100 && n < sizeof d);
    teai_kl_base b;
    struct {
        const char *what;
        size_t at, len; /* cut to len, or poke 0xff at at */
    } cases[] = {{"truncated", 0, n - 13}, {"header only", 0, 20}, {"magic", 0, n},
                 {"n_ctx", 9, n},          {"n_vocab", 15, n},     {"token id", 23, n},
                 {"trailer", n - 1, n}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t save = 0;
        size_t at = cases[i].at;
        if (cases[i].len == n) save = d[at], d[at] = 0xff;
        ASSERT_EQ(put(bad, d, cases[i].len), 0);
        if (cases[i].len == n) d[at] = save;
        int rc = teai_kl_base_open(bad, &b, &err);
        if (rc != TEAI_EFORMAT || strchr(err.msg, '\n')) {
            TEST_FAIL_AT("%s: status %d (%s)", cases[i].what, rc, err.msg);
            return;
        }
    }
    /* a bad row is found when its chunk is read */
    memcpy(d + 20 + 4 * 32, "\xff\xff\xff\xff", 4); /* chunk 1 row 0 scale: NaN */
    ASSERT_EQ(put(bad, d, n), 0);
    p.kl_base_out = NULL;
    p.kl_base = bad;
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "chunk 1 position 0") != NULL);
    p.kl_base = "/nonexistent/base.kl";
    ASSERT_EQ(teai_ppl_run(&p, &r, &err), TEAI_ENOTFOUND);
}

int main(void) {
    RUN_TEST(test_nll_by_hand);
    RUN_TEST(test_estimate_by_hand);
    RUN_TEST(test_percentiles);
    RUN_TEST(test_kl_positions);
    if (setup_files() != 0) {
        fprintf(stderr, "cannot synthesize the test model\n");
        return 1;
    }
    RUN_TEST(test_chunking);
    RUN_TEST(test_base_round_trip);
    RUN_TEST(test_interrupted_base);
    RUN_TEST(test_bad_inputs);
    TEST_MAIN_END();
}
