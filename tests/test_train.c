/* The training driver: AdamW, the schedule, clipping, the data split and
 * batches, checkpoints, resume == uninterrupted, and a short run that learns. */
#include "base/base.h"
#include "base/threadpool.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/data.h"
#include "train/optim.h"
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int light(void) {
    const char *e = getenv("TEAI_TEST_LIGHT");
    return e && e[0] == '1';
}

static void test_adamw_hand(void) {
    /* one weight p = 1, gradients 0.5 then -0.25, b1 0.9, b2 0.95, lr 0.1, wd 0.1:
     * t=1: m = 0.05, v = 0.0125, m^ = 0.5, v^ = 0.25, update 0.5/0.5 = 1
     *      p = 1 - 0.1*(1 + 0.1*1) = 0.89 (0.9 without decay)
     * t=2: m = 0.02, v = 0.015, m^ = 0.02/0.19, v^ = 0.015/0.0975,
     *      update 0.2683710, p = 0.89 - 0.1*(0.2683710 + 0.089) = 0.8542631 */
    teai__adamw a = {0.1f, 0.9f, 0.95f, 1e-8f, 0.1f, 1, 1.0f};
    float p = 1, g = 0.5f, m = 0, v = 0;
    teai__adamw_update(&a, 1, &p, &g, &m, &v, 1);
    ASSERT_NEAR(p, 0.89, 1e-6);
    ASSERT_NEAR(m, 0.05, 1e-7);
    ASSERT_NEAR(v, 0.0125, 1e-7);
    a.t = 2, g = -0.25f;
    teai__adamw_update(&a, 1, &p, &g, &m, &v, 1);
    ASSERT_NEAR(p, 0.8542631, 1e-6);
    /* no decay on a norm vector */
    float q = 1, mq = 0, vq = 0, gq = 0.5f;
    a.t = 1;
    teai__adamw_update(&a, 0, &q, &gq, &mq, &vq, 1);
    ASSERT_NEAR(q, 0.9, 1e-6);
    /* gscale halves the gradient: Adam's update is scale-free at t=1 but m is not */
    float r = 1, mr = 0, vr = 0, gr = 0.5f;
    a.gscale = 0.5f;
    teai__adamw_update(&a, 0, &r, &gr, &mr, &vr, 1);
    ASSERT_NEAR(mr, 0.025, 1e-7);
}

static void test_adamw_segments_threads(void) {
    /* the segment walk over a pool gives the bits of one serial pass */
    enum { N = 10007 };
    float *p1 = malloc(N * 4), *p2 = malloc(N * 4), *g = malloc(N * 4);
    float *m1 = calloc(N, 4), *m2 = calloc(N, 4), *v1 = calloc(N, 4), *v2 = calloc(N, 4);
    ASSERT_TRUE(p1 && p2 && g && m1 && m2 && v1 && v2);
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        p1[i] = p2[i] = (float)(teai__splitmix64(&s) % 1000) / 1000.0f;
        g[i] = (float)(teai__splitmix64(&s) % 2001) / 1000.0f - 1.0f;
    }
    teai__pseg segs[3] = {{0, 5000, 1}, {5000, 7, 0}, {5007, 5000, 1}};
    teai__adamw a = {0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, 3, 0.7f};
    teai__adamw_step(&a, segs, 3, p1, g, m1, v1, NULL);
    teai__pool *pool = teai__pool_new(3);
    ASSERT_TRUE(pool);
    teai__adamw_step(&a, segs, 3, p2, g, m2, v2, pool);
    teai__pool_free(pool);
    ASSERT_TRUE(memcmp(p1, p2, N * 4) == 0 && memcmp(m1, m2, N * 4) == 0);
    /* the norm segment was not decayed: as a plain update without decay */
    uint64_t s2 = 7;
    float q = 0, gq = 0, mq = 0, vq = 0;
    for (int i = 0; i <= 5003; i++) {
        q = (float)(teai__splitmix64(&s2) % 1000) / 1000.0f;
        gq = (float)(teai__splitmix64(&s2) % 2001) / 1000.0f - 1.0f;
    }
    teai__adamw_update(&a, 0, &q, &gq, &mq, &vq, 1);
    ASSERT_TRUE(q == p1[5003]);
    free(p1), free(p2), free(g), free(m1), free(m2), free(v1), free(v2);
}

static void test_schedule(void) {
    /* 100 steps, 10 of warm-up, lr 1e-3, floor 1e-4 */
    ASSERT_NEAR(teai__lr_at(0, 100, 10, 1e-3, 1e-4), 1e-4, 1e-12);    /* 1/10 of the peak */
    ASSERT_NEAR(teai__lr_at(9, 100, 10, 1e-3, 1e-4), 1e-3, 1e-12);    /* end of warm-up */
    ASSERT_NEAR(teai__lr_at(10, 100, 10, 1e-3, 1e-4), 1e-3, 1e-12);   /* cosine starts at peak */
    ASSERT_NEAR(teai__lr_at(55, 100, 10, 1e-3, 1e-4), 5.5e-4, 1e-12); /* half way */
    ASSERT_NEAR(teai__lr_at(100, 100, 10, 1e-3, 1e-4), 1e-4, 1e-12);  /* the end: the floor */
    ASSERT_TRUE(teai__lr_at(99, 100, 10, 1e-3, 1e-4) > 1e-4);
    ASSERT_NEAR(teai__lr_at(0, 100, 0, 1e-3, 1e-4), 1e-3, 1e-12); /* no warm-up */
}

static void test_clip(void) {
    float g[2] = {3, 4};
    ASSERT_NEAR(teai__grad_norm(g, 2, NULL), 5.0, 1e-12);
    ASSERT_NEAR(teai__clip_scale(5.0, 1.0), 0.2, 1e-7);
    ASSERT_NEAR(teai__clip_scale(0.5, 1.0), 1.0, 0);
    ASSERT_NEAR(teai__clip_scale(5.0, 0.0), 1.0, 0); /* 0: no clipping */
    /* the same bits with any number of threads */
    enum { N = 100003 };
    float *big = malloc(N * sizeof *big);
    ASSERT_TRUE(big);
    uint64_t s = 1;
    for (int i = 0; i < N; i++) big[i] = (float)(teai__splitmix64(&s) % 1000) / 997.0f - 0.5f;
    double n1 = teai__grad_norm(big, N, NULL);
    teai__pool *pool = teai__pool_new(3);
    ASSERT_TRUE(pool);
    double n3 = teai__grad_norm(big, N, pool);
    teai__pool_free(pool);
    free(big);
    ASSERT_TRUE(memcmp(&n1, &n3, sizeof n1) == 0);
}

static void test_split(void) {
    const char *t = "line one\nline two\nline three\nline four\n"; /* 39 bytes */
    size_t n = strlen(t);
    size_t at = teai__data_split_at(t, n, 0.3); /* cut at 28: the next line starts at 29 */
    ASSERT_EQ(at, 29);
    ASSERT_TRUE(t[at - 1] == '\n');
    ASSERT_EQ(teai__data_split_at(t, n, 0), n);
    /* no line break after the cut: back to the line before it */
    const char *u = "ab\ncdefghijklmnop";
    ASSERT_EQ(teai__data_split_at(u, strlen(u), 0.2), 3);
    /* no line break at all: a UTF-8 boundary */
    const char *w = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"; /* 5 x U+00E9 */
    size_t k = teai__data_split_at(w, 10, 0.35);
    ASSERT_TRUE(k % 2 == 0 && k > 0 && k < 10);
}

static void test_batches(void) {
    teai__tdata d;
    memset(&d, 0, sizeof d);
    int32_t toks[1000];
    for (int i = 0; i < 1000; i++) toks[i] = i;
    d.train = toks, d.n_train = 1000;
    int32_t a[4 * 17], b[4 * 17], c[4 * 17];
    teai__data_batch(&d, 42, 7, 4, 16, a);
    teai__data_batch(&d, 42, 7, 4, 16, b);
    teai__data_batch(&d, 42, 8, 4, 16, c);
    ASSERT_TRUE(memcmp(a, b, sizeof a) == 0);
    ASSERT_TRUE(memcmp(a, c, sizeof a) != 0);
    for (int r = 0; r < 4; r++) /* consecutive tokens inside the stream */
        for (int t = 1; t <= 16; t++) ASSERT_EQ(a[r * 17 + t], a[r * 17] + t);
    teai__data_batch(&d, 43, 7, 4, 16, c); /* another seed, other windows */
    ASSERT_TRUE(memcmp(a, c, sizeof a) != 0);
    /* held-out windows: evenly spaced, first at 0, last at the end */
    d.n_held = 500;
    ASSERT_EQ(teai__data_held_offset(&d, 0, 5, 16), 0);
    ASSERT_EQ(teai__data_held_offset(&d, 4, 5, 16), 500 - 17);
    d.train = NULL;
}

/* A few KB of English-like text from a small grammar, into path. */
static int write_text(const char *path, int sentences, uint64_t seed) {
    static const char *subj[] = {"the cat",  "a dog",       "the old man", "my sister",
                                 "the bird", "our teacher", "a child",     "the farmer"};
    static const char *verb[] = {"sees",    "likes",   "finds",  "keeps",
                                 "watches", "follows", "paints", "feeds"};
    static const char *obj[] = {"the red ball", "a small house", "the green tree", "the river",
                                "a warm bed",   "the long road", "some bread",     "the moon"};
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    uint64_t s = seed;
    for (int i = 0; i < sentences; i++) {
        fprintf(f, "%s %s %s", subj[teai__splitmix64(&s) % 8], verb[teai__splitmix64(&s) % 8],
                obj[teai__splitmix64(&s) % 8]);
        fputs(i % 4 == 3 ? ".\n" : ". ", f);
    }
    return fclose(f);
}

static teai_train_params small_params(const char *const *data, const char *out, int steps) {
    teai_train_params p = teai_train_default_params();
    teai_train_preset("micro", &p);
    p.dim = 32, p.n_layers = 1, p.n_heads = 2, p.n_kv_heads = 1, p.hidden = 64;
    p.n_ctx = 32, p.n_vocab = 300, p.batch = 4, p.steps = steps, p.warmup = 3;
    p.eval_every = 5, p.eval_batches = 2, p.ckpt_every = 0, p.n_threads = 2;
    p.holdout = 0.1;
    p.data = data, p.n_data = 1, p.out_dir = out;
    return p;
}

typedef struct stop_at {
    volatile sig_atomic_t *flag;
    int at;
    int calls, evaluated;
    double first_heldout;
} stop_at;

static void on_progress(void *ud, const teai_train_progress *pr) {
    stop_at *s = ud;
    s->calls++;
    if (pr->evaluated) {
        s->evaluated++;
        if (isnan(s->first_heldout)) s->first_heldout = pr->heldout_loss;
    }
    if (s->flag && pr->step == s->at) *s->flag = 1;
}

static int read_ckpt(const char *dir, teai__ckpt *c) {
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    teai_error err = {0};
    return teai__ckpt_read(path, c, &err);
}

static void test_resume_bit_exact(void) {
    char text[1024], d1[1024], d2[1024], path[4096];
    test_tmp_path(text, sizeof text, "train_text.txt");
    test_tmp_path(d1, sizeof d1, "train_straight");
    test_tmp_path(d2, sizeof d2, "train_resumed");
    ASSERT_EQ(write_text(text, 150, 1), 0);
    const char *data[1] = {text};
    int steps = light() ? 8 : 20;
    teai_train_params p = small_params(data, d1, steps);
    teai_train_result r1, r2, r3;
    teai_error err = {0};
    int rc = teai_train_run(&p, NULL, NULL, NULL, &r1, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(r1.steps_done, steps);
    ASSERT_EQ(r1.stopped, 0);
    /* the same run, stopped after step steps/2 and resumed (with another thread count) */
    volatile sig_atomic_t stop = 0;
    stop_at sa = {&stop, steps / 2, 0, 0, NAN};
    p.out_dir = d2;
    rc = teai_train_run(&p, on_progress, &sa, &stop, &r2, &err);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(r2.stopped, 1);
    ASSERT_EQ(r2.steps_done, steps / 2);
    snprintf(path, sizeof path, "%s/model-f32.gguf", d2);
    ASSERT_TRUE(access(path, F_OK) != 0); /* no model from a stopped run */
    stop = 0;
    p.resume = 1, p.n_threads = 1;
    rc = teai_train_run(&p, NULL, NULL, &stop, &r3, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(r3.steps_done, steps);
    ASSERT_TRUE(memcmp(&r1.loss, &r3.loss, sizeof r1.loss) == 0);
    ASSERT_TRUE(memcmp(&r1.heldout_loss, &r3.heldout_loss, sizeof r1.heldout_loss) == 0);
    teai__ckpt c1, c3;
    ASSERT_EQ(read_ckpt(d1, &c1), 0);
    ASSERT_EQ(read_ckpt(d2, &c3), 0);
    ASSERT_EQ(c1.step, steps);
    ASSERT_EQ(c1.n_params, c3.n_params);
    int same = memcmp(c1.params, c3.params, c1.n_params * 4) == 0 &&
               memcmp(c1.m, c3.m, c1.n_params * 4) == 0 && memcmp(c1.v, c3.v, c1.n_params * 4) == 0;
    ASSERT_EQ(c1.n_log, steps);
    ASSERT_EQ(c3.n_log, steps);
    for (int i = 0; i < steps; i++) ASSERT_TRUE(c1.log[i].loss == c3.log[i].loss);
    teai__ckpt_free(&c1);
    teai__ckpt_free(&c3);
    ASSERT_TRUE(same);
    /* the model files match too */
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/model-f32.gguf", d1);
    snprintf(b, sizeof b, "%s/model-f32.gguf", d2);
    char *ba = NULL, *bb = NULL;
    size_t na = 0, nb = 0;
    ASSERT_EQ(teai__read_file(a, 1 << 26, &ba, &na, &err), 0);
    ASSERT_EQ(teai__read_file(b, 1 << 26, &bb, &nb, &err), 0);
    int eq = na == nb && memcmp(ba, bb, na) == 0;
    free(ba), free(bb);
    ASSERT_TRUE(eq);

    /* a mismatching run refuses the checkpoint, naming it and the difference */
    p.seed = 43;
    rc = teai_train_run(&p, NULL, NULL, NULL, &r3, &err);
    ASSERT_EQ(rc, TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "checkpoint.bin") && strstr(err.msg, "seed"));
    p.seed = 42, p.dim = 48, p.n_heads = 3;
    rc = teai_train_run(&p, NULL, NULL, NULL, &r3, &err);
    ASSERT_EQ(rc, TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "checkpoint.bin") && strstr(err.msg, "dim 32"));
}

static void test_checkpoint_errors(void) {
    char path[4096];
    test_tmp_path(path, sizeof path, "ckpt_rt.bin");
    float params[5] = {1, 2, 3, 4, 5}, m[5] = {0.1f}, v[5] = {0.2f};
    teai__tlog log[2] = {{1, 1e-3, 5.5, NAN, NAN, 100}, {2, 2e-3, 5.0, 4.9, 2.1, 120}};
    teai__ckpt c = {
        {8, 1, 2, 1, 16, 300, 16, 1, 10000.0f, 1e-5f}, 9, 2, {0}, {0}, 5, params, m, v, log, 2};
    memset(c.tokenizer_sha256, 'a', 64);
    memset(c.data_sha256, 'b', 64);
    teai_error err = {0};
    ASSERT_EQ(teai__ckpt_write(path, &c, &err), 0);
    teai__ckpt r;
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), 0);
    int ok = r.shape.dim == 8 && r.shape.n_vocab == 300 && r.seed == 9 && r.step == 2 &&
             r.n_params == 5 && memcmp(r.params, params, sizeof params) == 0 &&
             memcmp(r.v, v, sizeof v) == 0 && r.n_log == 2 && r.log[1].heldout_bpb == 2.1 &&
             isnan(r.log[0].heldout_loss) && r.tokenizer_sha256[0] == 'a' &&
             strlen(r.data_sha256) == 64;
    teai__ckpt_free(&r);
    ASSERT_TRUE(ok);
    /* one flipped bit: the checksum says so */
    char *buf = NULL;
    size_t n = 0;
    ASSERT_EQ(teai__read_file(path, 1 << 20, &buf, &n, &err), 0);
    buf[200] ^= 4;
    ASSERT_EQ(teai__write_file_atomic(path, buf, n, &err), 0);
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "ckpt_rt.bin") && !strchr(err.msg, '\n'));
    /* cut short */
    buf[200] ^= 4;
    ASSERT_EQ(teai__write_file_atomic(path, buf, n - 9, &err), 0);
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "truncated"));
    ASSERT_EQ(teai__write_file_atomic(path, buf, 30, &err), 0);
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), TEAI_EFORMAT);
    ASSERT_EQ(teai__write_file_atomic(path, "hello", 5, &err), 0);
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), TEAI_EFORMAT);
    free(buf);
    unlink(path);
    ASSERT_EQ(teai__ckpt_read(path, &r, &err), TEAI_ENOTFOUND);
}

static void test_bad_data(void) {
    char out[1024], bad[1024], empty[1024];
    test_tmp_path(out, sizeof out, "train_bad");
    test_tmp_path(bad, sizeof bad, "latin1.txt");
    test_tmp_path(empty, sizeof empty, "empty.txt");
    teai_error err = {0};
    ASSERT_EQ(teai__write_file_atomic(bad, "caf\xe9 au lait\n", 13, &err), 0);
    ASSERT_EQ(teai__write_file_atomic(empty, "", 0, &err), 0);
    const char *missing[1] = {"/nonexistent/teai/text.txt"};
    teai_train_params p = small_params(missing, out, 2);
    ASSERT_EQ(teai_train_run(&p, NULL, NULL, NULL, NULL, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "/nonexistent/teai/text.txt"));
    const char *nonutf[1] = {bad};
    p.data = nonutf;
    ASSERT_EQ(teai_train_run(&p, NULL, NULL, NULL, NULL, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "latin1.txt") && strstr(err.msg, "UTF-8"));
    const char *emp[1] = {empty};
    p.data = emp;
    ASSERT_EQ(teai_train_run(&p, NULL, NULL, NULL, NULL, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "empty.txt") && strstr(err.msg, "empty"));
    p.steps = 0;
    ASSERT_EQ(teai_train_run(&p, NULL, NULL, NULL, NULL, &err), TEAI_EINVAL);
    unlink(bad);
    unlink(empty);
}

static void test_micro_learns(void) {
    char text[1024], out[1024];
    test_tmp_path(text, sizeof text, "micro_text.txt");
    test_tmp_path(out, sizeof out, "train_micro");
    ASSERT_EQ(write_text(text, light() ? 150 : 250, 3), 0);
    const char *data[1] = {text};
    teai_train_params p = teai_train_default_params();
    ASSERT_EQ(teai_train_preset("micro", &p), 0);
    p.data = data, p.n_data = 1, p.out_dir = out, p.n_threads = 2;
    p.holdout = 0.1, p.eval_every = 20, p.eval_batches = 2;
    if (light()) p.steps = 40, p.warmup = 5, p.n_ctx = 32;
    stop_at sa = {NULL, 0, 0, 0, NAN};
    teai_train_result r;
    teai_error err = {0};
    int rc = teai_train_run(&p, on_progress, &sa, NULL, &r, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(sa.calls >= p.steps);
    ASSERT_TRUE(sa.evaluated >= 2);
    /* the untrained model's loss is about ln(n_vocab) nats per token */
    double start = log((double)p.n_vocab);
    printf("  micro: %d steps, held-out %.3f nats (%.3f bpb) from ln(V) = %.3f, %.0f tok/s, "
           "%.2f GFLOP/s, %.1f s\n",
           r.steps_done, r.heldout_loss, r.heldout_bpb, start, r.tokens_per_s, r.gflops, r.train_s);
    ASSERT_TRUE(r.heldout_loss < start - (light() ? 1.0 : 2.5));
    ASSERT_TRUE(r.heldout_bpb > 0 && r.heldout_bpb < 8);
    ASSERT_TRUE(r.n_params > 0 && r.tokens_per_s > 0 && r.gflops > 0);
    const char *files[] = {"model-f32.gguf", "model-f16.gguf", "tokenizer.gguf", "loss.csv",
                           "checkpoint.bin"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out, files[i]);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_size == 0) TEST_FAIL_AT("missing %s", path);
    }
}

static void test_train_tokenizer(void) {
    char text[1024], out[1024];
    test_tmp_path(text, sizeof text, "tok_text.txt");
    test_tmp_path(out, sizeof out, "tok_out.gguf");
    ASSERT_EQ(write_text(text, 100, 5), 0);
    const char *data[1] = {text};
    teai_error err = {0};
    ASSERT_EQ(teai_train_tokenizer(data, 1, 300, 1, out, &err), 0);
    teai_tokenizer *tok = NULL;
    ASSERT_EQ(teai_tokenizer_load(out, &tok, &err), 0);
    int nv = teai_tokenizer_n_vocab(tok);
    teai_tokenizer_free(tok);
    ASSERT_TRUE(nv > 258 && nv <= 300);
    ASSERT_EQ(teai_train_tokenizer(data, 1, 10, 1, out, &err), TEAI_EINVAL);
}

int main(void) {
    RUN_TEST(test_adamw_hand);
    RUN_TEST(test_adamw_segments_threads);
    RUN_TEST(test_schedule);
    RUN_TEST(test_clip);
    RUN_TEST(test_split);
    RUN_TEST(test_batches);
    RUN_TEST(test_checkpoint_errors);
    RUN_TEST(test_bad_data);
    RUN_TEST(test_train_tokenizer);
    RUN_TEST(test_resume_bit_exact);
    RUN_TEST(test_micro_learns);
    TEST_MAIN_END();
}
