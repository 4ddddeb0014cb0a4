/* The subprocess runner (src/backends/subprocess.c) and the two backends on
 * it: tinygrad against a stand-in llama3.py (tests/fixtures/fake_tinygrad),
 * llama-bench against a stand-in script (tests/fixtures/fake_llama_bench)
 * and, with --real-llama-bench (ctest: test_llama_bench_real), the real
 * llama-bench on a synthesized model. */
#include "backends/backend.h"
#include "base/proc.h"
#include "test_util.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const teai_backend_ops teai__backend_tinygrad;
extern const teai_backend_ops teai__backend_llama_bench;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *source_dir(void) {
    const char *s = getenv("TEAI_SOURCE_DIR");
    if (!s || !*s) test_skip("TEAI_SOURCE_DIR is not set (run through ctest)");
    return s;
}

/* ---- the runner --------------------------------------------------------- */

typedef struct lines {
    int n;
    int stream[16];
    char text[16][128];
    int stop_after; /* > 0: ask to stop after this many lines */
} lines;

static int collect_line(void *ud, int stream, const char *line) {
    lines *l = ud;
    if (l->n < 16) {
        l->stream[l->n] = stream;
        snprintf(l->text[l->n], sizeof l->text[0], "%s", line);
    }
    l->n++;
    return l->stop_after > 0 && l->n >= l->stop_after;
}

/* Index of the k-th line (from 0) of stream, or -1. */
static int nth_line(const lines *l, int stream, int k) {
    for (int i = 0; i < l->n && i < 16; i++)
        if (l->stream[i] == stream && k-- == 0) return i;
    return -1;
}

static void test_proc_lines(void) {
    const char *argv[] = {"sh", "-c",
                          "echo a; echo b >&2; printf 'c\\r\\nx\\ry\\n'; echo \"$TEAI_T\"; "
                          "printf tail",
                          NULL};
    const char *env[] = {"TEAI_T=from env", NULL};
    teai__proc_params p = {.argv = argv, .env = env};
    lines l = {0};
    teai__proc_result res;
    teai_error err = {0};
    ASSERT_EQ(teai__proc_run(&p, collect_line, &l, &res, &err), TEAI_OK);
    ASSERT_EQ(res.exit_code, 0);
    ASSERT_EQ(l.n, 6);
    /* stdout lines in order; stderr comes through its own pipe, in its own order */
    static const char *const want[] = {"a", "c", "y", "from env", "tail"};
    for (int k = 0; k < 5; k++) {
        int i = nth_line(&l, TEAI__STDOUT, k);
        ASSERT_TRUE(i >= 0);
        ASSERT_STREQ(l.text[i], want[k]); /* "\r\n" ends a line; "x\ry" shows as y */
    }
    int e = nth_line(&l, TEAI__STDERR, 0);
    ASSERT_TRUE(e >= 0);
    ASSERT_STREQ(l.text[e], "b");
    ASSERT_STREQ(res.last_err, "b");
}

static void test_proc_exit_status(void) {
    const char *argv[] = {"sh", "-c", "echo first >&2; echo 'it broke' >&2; exit 3", NULL};
    teai__proc_params p = {.argv = argv};
    teai__proc_result res;
    teai_error err = {0};
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_EIO);
    ASSERT_EQ(res.exit_code, 3);
    ASSERT_STREQ(err.msg, "exit status 3: it broke");

    const char *argv2[] = {"teai-no-such-program", NULL};
    p.argv = argv2;
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_ENOTFOUND);
    ASSERT_STREQ(err.msg, "teai-no-such-program: not found in PATH");
    const char *argv3[] = {"/nonexistent/prog", NULL};
    p.argv = argv3;
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_ENOTFOUND);

    const char *argv4[] = {"sh", "-c", "echo dying >&2; kill -SEGV $$", NULL};
    p.argv = argv4;
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_EIO);
    ASSERT_EQ(res.term_signal, 11);
    ASSERT_EQ(res.exit_code, -1);
    ASSERT_TRUE(strstr(err.msg, "killed by signal 11") != NULL);
    ASSERT_TRUE(strstr(err.msg, "dying") != NULL);
}

/* The child's peak resident set comes back from wait4: a shell that holds
 * 32 MiB in a variable peaks above that; one that does nothing stays below
 * it, yet above zero. */
static void test_proc_peak_rss(void) {
    const char *big[] = {"sh", "-c", "x=$(head -c 33554432 /dev/zero | tr '\\0' a); echo ${#x}",
                         NULL};
    teai__proc_params p = {.argv = big};
    lines l = {0};
    teai__proc_result res;
    teai_error err = {0};
    ASSERT_EQ(teai__proc_run(&p, collect_line, &l, &res, &err), TEAI_OK);
    ASSERT_STREQ(l.text[0], "33554432");
    if (res.peak_rss < (32u << 20))
        TEST_FAIL_AT("peak_rss %llu bytes, wanted at least 32 MiB",
                     (unsigned long long)res.peak_rss);
    const char *small[] = {"sh", "-c", "true", NULL};
    p.argv = small;
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_OK);
    ASSERT_TRUE(res.peak_rss > 0 && res.peak_rss < (32u << 20));
}

/* The callback asks to stop while the child (and its own child, sleep)
 * would run for 30 s more: both are killed at once. */
static void test_proc_stop(void) {
    const char *argv[] = {"sh", "-c", "echo 1; echo 2; sleep 30; echo never", NULL};
    teai__proc_params p = {.argv = argv};
    lines l = {.stop_after = 1};
    teai__proc_result res;
    teai_error err = {0};
    double t0 = now_s();
    ASSERT_EQ(teai__proc_run(&p, collect_line, &l, &res, &err), TEAI_EINTR);
    ASSERT_TRUE(now_s() - t0 < 5);
    ASSERT_EQ(res.stopped, 1);
    ASSERT_EQ(l.n, 1); /* nothing after the stop */
    ASSERT_EQ(res.term_signal, 15);
}

static void test_proc_timeout(void) {
    const char *argv[] = {"sh", "-c", "echo started >&2; sleep 30", NULL};
    teai__proc_params p = {.argv = argv, .timeout_s = 0.5};
    teai__proc_result res;
    teai_error err = {0};
    double t0 = now_s();
    ASSERT_EQ(teai__proc_run(&p, NULL, NULL, &res, &err), TEAI_EIO);
    double dt = now_s() - t0;
    ASSERT_TRUE(dt >= 0.4 && dt < 5);
    ASSERT_EQ(res.timed_out, 1);
    ASSERT_STREQ(err.msg, "timed out after 0.5 s (killed): started");

    /* a child that ignores SIGTERM gets SIGKILL after the grace period */
    const char *argv2[] = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done", NULL};
    teai__proc_params p2 = {.argv = argv2, .kill_grace_s = 0.3};
    lines l = {.stop_after = 1};
    t0 = now_s();
    ASSERT_EQ(teai__proc_run(&p2, collect_line, &l, &res, &err), TEAI_EINTR);
    ASSERT_TRUE(now_s() - t0 < 5);
    ASSERT_EQ(res.term_signal, 9);
}

/* The child exits but leaves a grandchild holding its stdout: the run ends
 * soon after the exit and the grandchild goes with the group. */
static void test_proc_orphan_holds_pipe(void) {
    const char *argv[] = {"sh", "-c", "sleep 30 & echo done", NULL};
    teai__proc_params p = {.argv = argv};
    lines l = {0};
    teai__proc_result res;
    teai_error err = {0};
    double t0 = now_s();
    ASSERT_EQ(teai__proc_run(&p, collect_line, &l, &res, &err), TEAI_OK);
    ASSERT_TRUE(now_s() - t0 < 5);
    ASSERT_EQ(l.n, 1);
    ASSERT_STREQ(l.text[0], "done");
}

/* ---- events ------------------------------------------------------------- */

#define MAX_EV 256

typedef struct rec_event {
    teai_event ev;
    char text[2048];
} rec_event;

typedef struct recorder {
    int n, n_raw, n_prefill, n_token;
    rec_event ev[MAX_EV];
    int stop_at_raw_matching; /* stop when the Nth RAW line containing stop_match arrives */
    const char *stop_match;
    int matched;
    int calls_after_stop;
    int stopped;
} recorder;

static int record(void *ud, const teai_event *ev) {
    recorder *r = ud;
    if (r->stopped) {
        r->calls_after_stop++;
        return 1;
    }
    if (r->n < MAX_EV) {
        rec_event *e = &r->ev[r->n];
        e->ev = *ev;
        const char *s = ev->kind == TEAI_EV_RAW ? ev->raw : ev->text;
        snprintf(e->text, sizeof e->text, "%s", s ? s : "");
    }
    r->n++;
    if (ev->kind == TEAI_EV_RAW) r->n_raw++;
    if (ev->kind == TEAI_EV_PREFILL) r->n_prefill++;
    if (ev->kind == TEAI_EV_TOKEN) r->n_token++;
    if (r->stop_match && ev->kind == TEAI_EV_RAW && strstr(ev->raw, r->stop_match) &&
        ++r->matched == r->stop_at_raw_matching)
        r->stopped = 1;
    return r->stopped;
}

static const teai_event *nth(const recorder *r, teai_event_kind kind, int k, const char **text) {
    for (int i = 0; i < r->n && i < MAX_EV; i++)
        if (r->ev[i].ev.kind == kind && k-- == 0) {
            if (text) *text = r->ev[i].text;
            return &r->ev[i].ev;
        }
    return NULL;
}

/* ---- tinygrad ------------------------------------------------------------ */

static teai_backend_config tg_config(char *dir, size_t cap) {
    snprintf(dir, cap, "%s/tests/fixtures/fake_tinygrad", source_dir());
    teai_backend_config c = {0};
    c.tinygrad_dir = dir;
    c.python = "sh"; /* the stand-in is a shell script */
    c.size = "8B";
    c.quantize = "nf4";
    c.seed = 7;
    return c;
}

static int tg_run(const teai_backend_config *c, recorder *r, teai_error *err) {
    teai_backend *b;
    teai_backend_info info;
    int rc = teai__backend_tinygrad.open(c, &b, &info, err);
    if (rc) return rc;
    teai_run_params p = {.prompt = "ignored", .n_gen = 20};
    rc = teai__backend_tinygrad.run(b, &p, record, r, err);
    teai__backend_tinygrad.close(b);
    return rc;
}

/* What the stand-in prints for step k (see its header). */
static void tg_expect(int base, int q, int seed, int k, double *total, double *enq,
                      uint64_t *bytes) {
    int tc = base + q + seed % 97 + 7 * k;
    *total = tc / 100.0;
    *enq = (tc / 10) / 100.0;
    *bytes = (uint64_t)llround(((123 + k) / 100.0) * *total * 1e6);
}

static void test_tinygrad_run(void) {
    char dir[4096];
    teai_backend_config c = tg_config(dir, sizeof dir);
    teai_backend *b;
    teai_backend_info info;
    teai_error err = {0};
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_OK);
    ASSERT_STREQ(info.name, "tinygrad");
    ASSERT_STREQ(info.weight_format, "nf4");
    ASSERT_TRUE(isnan(info.load_ms));
    ASSERT_EQ(info.memory, TEAI_MEM_CHILD);
    ASSERT_EQ(teai__backend_tinygrad.child_peak_rss(b), 0); /* no run yet */
    recorder *r = calloc(1, sizeof *r);
    teai_run_params p = {.prompt_tokens = 0, .n_gen = 20};
    int rc = teai__backend_tinygrad.run(b, &p, record, r, &err);
    uint64_t child_rss = teai__backend_tinygrad.child_peak_rss(b);
    teai__backend_tinygrad.close(b);
    ASSERT_TRUE(child_rss > 0); /* the interpreter's own peak */
    if (rc) TEST_FAIL_AT("run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_EQ(r->n_token, 20);
    ASSERT_EQ(r->n_prefill, 0);
    /* seed, ram, tqdm (stderr), 20 x (enqueue, total, text), and from token 5 on the text
     * has two lines */
    ASSERT_EQ(r->n_raw, 3 + 20 * 3 + 16);
    const char *text;
    ASSERT_TRUE(nth(r, TEAI_EV_RAW, 0, &text) != NULL);
    ASSERT_STREQ(text, "seed = 7");
    int found_bar = 0;
    for (int i = 0; i < r->n; i++)
        found_bar |= strcmp(r->ev[i].text, "100%|##########| 13/13 [00:01<00:00, 9.87it/s]") == 0;
    ASSERT_TRUE(found_bar);
    for (int k = 1; k <= 20; k++) {
        const teai_event *ev = nth(r, TEAI_EV_TOKEN, k - 1, &text);
        double total, enq;
        uint64_t bytes;
        tg_expect(9000, 200, 7, k, &total, &enq, &bytes);
        ASSERT_EQ(ev->step, k);
        ASSERT_EQ(ev->n_tokens, 1);
        ASSERT_EQ(ev->token, -1);
        ASSERT_TRUE(ev->total_ms == total); /* exactly as printed */
        ASSERT_TRUE(ev->enqueue_ms == enq);
        ASSERT_EQ(ev->bytes_moved, bytes);
        ASSERT_TRUE(isnan(ev->ttft_ms));
        char want[32];
        snprintf(want, sizeof want, k == 5 ? "\nnl5" : " w%d", k);
        ASSERT_STREQ(text, want);
        if (k > 1) ASSERT_TRUE(ev->t_ms >= nth(r, TEAI_EV_TOKEN, k - 2, NULL)->t_ms);
    }
    free(r);

    /* quantize "default" omits the flag; the size and seed arrive */
    c.quantize = "default";
    c.size = "1B";
    c.seed = 100;
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_OK);
    ASSERT_STREQ(info.weight_format, "");
    r = calloc(1, sizeof *r);
    rc = teai__backend_tinygrad.run(b, &p, record, r, &err);
    teai__backend_tinygrad.close(b);
    ASSERT_EQ(rc, TEAI_OK);
    double total, enq;
    uint64_t bytes;
    tg_expect(1500, 0, 100, 1, &total, &enq, &bytes);
    ASSERT_TRUE(nth(r, TEAI_EV_TOKEN, 0, NULL)->total_ms == total);
    free(r);
}

static void test_tinygrad_failure(void) {
    char dir[4096];
    teai_backend_config c = tg_config(dir, sizeof dir);
    teai_error err = {0};
    recorder *r = calloc(1, sizeof *r);
    setenv("FAKE_TINYGRAD_FAIL_AT", "5", 1);
    int rc = tg_run(&c, r, &err);
    unsetenv("FAKE_TINYGRAD_FAIL_AT");
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "tinygrad: exit status 1: RuntimeError: fake failure after 5 "
                                "tokens") != NULL);
    ASSERT_EQ(r->n_token, 5); /* what was measured stands */
    const char *text;
    ASSERT_EQ(nth(r, TEAI_EV_TOKEN, 4, &text)->step, 5);
    ASSERT_STREQ(text, "\nnl5");
    free(r);

    /* llama3.py's own argument check: its message comes back */
    r = calloc(1, sizeof *r);
    c.size = "3B";
    ASSERT_EQ(tg_run(&c, r, &err), TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "exit status 2") && strstr(err.msg, "invalid choice: '3B'"));
    ASSERT_EQ(r->n_token, 0);
    free(r);
}

static void test_tinygrad_missing(void) {
    teai_backend_config c = {0};
    teai_backend *b = NULL;
    teai_backend_info info;
    teai_error err = {0};
    c.tinygrad_dir = "/nonexistent/tinygrad";
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_ENOTFOUND);
    ASSERT_STREQ(err.msg, "tinygrad: /nonexistent/tinygrad: no such folder");
    ASSERT_TRUE(b == NULL);

    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests", source_dir()); /* a folder without examples/llama3.py */
    c.tinygrad_dir = dir;
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "/tests/examples/llama3.py: not found") != NULL);

    c = tg_config(dir, sizeof dir);
    c.python = "teai-no-such-python";
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_ENOTFOUND);
    ASSERT_STREQ(err.msg, "tinygrad: teai-no-such-python: not found in PATH");

    c = tg_config(dir, sizeof dir);
    c.quantize = "q4_k";
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_EINVAL);

    c.quantize = NULL;
    c.tinygrad_dir = NULL;
    ASSERT_EQ(teai__backend_tinygrad.open(&c, &b, &info, &err), TEAI_EINVAL);
}

/* The callback stops the run while llama3.py would sleep 30 s: killed at once. */
static void test_tinygrad_stop(void) {
    char dir[4096];
    teai_backend_config c = tg_config(dir, sizeof dir);
    teai_error err = {0};
    recorder *r = calloc(1, sizeof *r);
    r->stop_match = "total ";
    r->stop_at_raw_matching = 3;
    setenv("FAKE_TINYGRAD_HANG_AT", "3", 1);
    double t0 = now_s();
    int rc = tg_run(&c, r, &err);
    double dt = now_s() - t0;
    unsetenv("FAKE_TINYGRAD_HANG_AT");
    ASSERT_EQ(rc, TEAI_EINTR);
    ASSERT_TRUE(dt < 5);
    ASSERT_EQ(r->n_token, 2); /* the third was not sent: the callback had asked to stop */
    ASSERT_EQ(r->calls_after_stop, 0);
    free(r);

    /* and a time limit */
    r = calloc(1, sizeof *r);
    c.timeout_s = 1;
    setenv("FAKE_TINYGRAD_HANG_AT", "3", 1);
    t0 = now_s();
    rc = tg_run(&c, r, &err);
    dt = now_s() - t0;
    unsetenv("FAKE_TINYGRAD_HANG_AT");
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "timed out after 1 s") != NULL);
    ASSERT_TRUE(dt < 5);
    ASSERT_EQ(r->n_token, 3);
    free(r);
}

/* ---- llama-bench --------------------------------------------------------- */

/* TMP/bin/llama-bench (the stand-in) and TMP/model.gguf (any file). */
static void fake_install(char *root, size_t cap, char *model, size_t mcap) {
    char tmp[4096];
    test_tmp_path(root, cap, "fake-llama");
    snprintf(tmp, sizeof tmp, "%s/bin", root);
    mkdir(root, 0755);
    mkdir(tmp, 0755);
    snprintf(model, mcap, "%s/model.gguf", root);
    FILE *f = fopen(model, "w");
    if (f) fputs("not really a model\n", f), fclose(f);
    if (test_system("cp '%s/tests/fixtures/fake_llama_bench' '%s/llama-bench' && chmod 755 "
                    "'%s/llama-bench'",
                    source_dir(), tmp, tmp) != 0)
        TEST_FAIL_AT("cannot install the fake llama-bench in %s", tmp);
}

static int lb_run(const teai_backend_config *c, const teai_run_params *p, recorder *r,
                  teai_backend_info *info, teai_error *err) {
    teai_backend *b;
    int rc = teai__backend_llama_bench.open(c, &b, info, err);
    if (rc) return rc;
    rc = teai__backend_llama_bench.run(b, p, record, r, err);
    teai__backend_llama_bench.close(b);
    return rc;
}

static void test_llama_bench_fake(void) {
    char root[4096], model[4200], bin[4200];
    fake_install(root, sizeof root, model, sizeof model);
    teai_backend_config c = {0};
    c.model = model;
    c.llama_cpp_dir = root; /* an install: root/bin/llama-bench */
    c.n_threads = 3;
    teai_backend_info info;
    teai_error err = {0};
    teai_run_params p = {.prompt_tokens = 16, .n_gen = 8};
    recorder *r = calloc(1, sizeof *r);
    int rc = lb_run(&c, &p, r, &info, &err);
    if (rc) TEST_FAIL_AT("run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_STREQ(info.name, "llama-bench");
    ASSERT_EQ(info.memory, TEAI_MEM_CHILD);
    ASSERT_STREQ(info.version, "9999 (fake000)");
    ASSERT_STREQ(info.device, "CPU");
    ASSERT_EQ(r->n_raw, 2);
    const char *text;
    ASSERT_TRUE(nth(r, TEAI_EV_RAW, 0, &text) != NULL);
    ASSERT_TRUE(strncmp(text, "{\"build_commit\": \"fake000\"", 26) == 0);
    ASSERT_TRUE(strstr(text, "\"n_threads\": 3,") != NULL);
#if TEAI_HAVE_CJSON
    ASSERT_EQ(r->n_prefill, 1);
    ASSERT_EQ(r->n_token, 1);
    const teai_event *pf = nth(r, TEAI_EV_PREFILL, 0, NULL);
    ASSERT_EQ(pf->n_prompt, 16);
    ASSERT_TRUE(pf->prefill_ms == 16003000 / 1e6);
    ASSERT_TRUE(isnan(pf->ttft_ms));
    const teai_event *tk = nth(r, TEAI_EV_TOKEN, 0, NULL);
    ASSERT_EQ(tk->step, 1);
    ASSERT_EQ(tk->n_tokens, 8); /* one chunk: llama-bench times no single token */
    ASSERT_TRUE(tk->total_ms == 16000000 / 1e6);
    ASSERT_TRUE(isnan(tk->enqueue_ms));
    ASSERT_EQ(tk->token, -1);
#else
    printf("note: built without cJSON: only raw lines checked\n");
#endif
    free(r);

    /* the binary's folder, and the binary itself */
    snprintf(bin, sizeof bin, "%s/bin", root);
    c.llama_cpp_dir = bin;
    teai_backend *b;
    ASSERT_EQ(teai__backend_llama_bench.open(&c, &b, &info, &err), TEAI_OK);
    /* the child's peak resident set, kept from its last run */
    r = calloc(1, sizeof *r);
    ASSERT_EQ(teai__backend_llama_bench.run(b, &p, record, r, &err), TEAI_OK);
    free(r);
    ASSERT_TRUE(teai__backend_llama_bench.child_peak_rss(b) > 0);
    teai__backend_llama_bench.close(b);
    snprintf(bin, sizeof bin, "%s/bin/llama-bench", root);
    c.llama_cpp_dir = bin;
    ASSERT_EQ(teai__backend_llama_bench.open(&c, &b, &info, &err), TEAI_OK);
    teai__backend_llama_bench.close(b);

    /* missing binary, missing model */
    c.llama_cpp_dir = "/nonexistent/llama.cpp";
    ASSERT_EQ(teai__backend_llama_bench.open(&c, &b, &info, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "no llama-bench in /nonexistent/llama.cpp") != NULL);
    c.llama_cpp_dir = root;
    c.model = "/nonexistent/model.gguf";
    ASSERT_EQ(teai__backend_llama_bench.open(&c, &b, &info, &err), TEAI_ENOTFOUND);
    ASSERT_STREQ(err.msg, "llama-bench: /nonexistent/model.gguf: no such model file");
    c.model = model;

    /* a text prompt is counted with teai's tokenizer: this file has none */
    p = (teai_run_params){.prompt = "Hello there", .n_gen = 8};
    r = calloc(1, sizeof *r);
    ASSERT_TRUE(lb_run(&c, &p, r, &info, &err) != TEAI_OK);
    ASSERT_TRUE(strstr(err.msg, "counting the prompt's tokens") != NULL);
    ASSERT_EQ(r->n, 0);
    free(r);
}

static void test_llama_bench_faults(void) {
    char root[4096], model[4200];
    fake_install(root, sizeof root, model, sizeof model);
    teai_backend_config c = {0};
    c.model = model;
    c.llama_cpp_dir = root;
    c.n_threads = 1;
    teai_backend_info info;
    teai_error err = {0};
    teai_run_params p = {.prompt_tokens = 4, .n_gen = 2};

    /* a crash after the pp test: its events stand, the signal is named */
    recorder *r = calloc(1, sizeof *r);
    setenv("FAKE_LLAMA_BENCH_MODE", "crash", 1);
    int rc = lb_run(&c, &p, r, &info, &err);
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "llama-bench: killed by signal 11") != NULL);
    ASSERT_TRUE(strstr(err.msg, "ggml_abort: fake crash") != NULL);
    ASSERT_EQ(r->n_raw, 1);
    ASSERT_EQ(r->n_token, 0);
    free(r);

    /* a hang past the time limit */
    r = calloc(1, sizeof *r);
    setenv("FAKE_LLAMA_BENCH_MODE", "hang", 1);
    c.timeout_s = 1;
    double t0 = now_s();
    rc = lb_run(&c, &p, r, &info, &err);
    double dt = now_s() - t0;
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "llama-bench: timed out after 1 s") != NULL);
    ASSERT_TRUE(dt < 5);
    ASSERT_EQ(r->n_raw, 1);
    free(r);

    /* stopped by the callback during the hang: killed at once */
    r = calloc(1, sizeof *r);
    r->stop_match = "\"n_prompt\": 4,";
    r->stop_at_raw_matching = 1;
    c.timeout_s = 0;
    t0 = now_s();
    rc = lb_run(&c, &p, r, &info, &err);
    dt = now_s() - t0;
    unsetenv("FAKE_LLAMA_BENCH_MODE");
    ASSERT_EQ(rc, TEAI_EINTR);
    ASSERT_TRUE(dt < 5);
    ASSERT_EQ(r->calls_after_stop, 0);
    free(r);

    /* llama-bench's own failure comes back with its last stderr line */
    teai_backend *b;
    ASSERT_EQ(teai__backend_llama_bench.open(&c, &b, &info, &err), TEAI_OK);
    ASSERT_EQ(unlink(model), 0); /* gone between open and run */
    r = calloc(1, sizeof *r);
    rc = teai__backend_llama_bench.run(b, &p, record, r, &err);
    teai__backend_llama_bench.close(b);
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "llama-bench: exit status 1: llama_bench: error: failed to load "
                                "model") != NULL);
    ASSERT_EQ(r->n, 0);
    free(r);
}

/* The provisioned llama-bench. Its run is a test of its own (ctest's
 * test_llama_bench_real: this program with --real-llama-bench), so that
 * without it ctest reports SKIP with the reason instead of a pass, and
 * under TEAI_REQUIRE_LLAMA=1 (.ci/run) a failure. */
static void find_real_llama_bench(char *bin, size_t cap, const char **teai) {
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache && *cache)
        snprintf(bin, cap, "%s/teai/llama.cpp/build/bin/llama-bench", cache);
    else
        snprintf(bin, cap, "%s/.cache/teai/llama.cpp/build/bin/llama-bench", home ? home : "");
    *teai = getenv("TEAI_BIN");
    if (!*teai || !**teai) test_skip("TEAI_BIN is not set (run through ctest)");
    if (!teai__is_executable(bin))
        test_skip_llama("llama-bench missing: %s is not built (scripts/provision-llama.sh --build)",
                        bin);
}

static void test_llama_bench_real(void) {
    char bin[4096];
    const char *teai;
    find_real_llama_bench(bin, sizeof bin, &teai);
    char model[4096];
    test_tmp_path(model, sizeof model, "lb-tiny.gguf");
    if (test_system("'%s' model synth --shape tiny -o '%s' >/dev/null 2>&1", teai, model) != 0) {
        TEST_FAIL_AT("teai model synth failed");
        return;
    }
    teai_backend_config c = {0};
    c.model = model; /* llama_cpp_dir unset: the provisioned build */
    c.n_threads = 2;
    teai_backend_info info;
    teai_error err = {0};
    teai_run_params p = {.prompt_tokens = 8, .n_gen = 4};
    recorder *r = calloc(1, sizeof *r);
    int rc = lb_run(&c, &p, r, &info, &err);
    if (rc) TEST_FAIL_AT("run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_TRUE(info.version[0] != '\0');
    ASSERT_STREQ(info.weight_format, "f16");
    ASSERT_TRUE(info.param_count > 0 && info.param_bytes > 0);
    ASSERT_EQ(r->n_raw, 2);
#if TEAI_HAVE_CJSON
    ASSERT_EQ(r->n_prefill, 1);
    ASSERT_EQ(r->n_token, 1);
    ASSERT_EQ(nth(r, TEAI_EV_PREFILL, 0, NULL)->n_prompt, 8);
    ASSERT_TRUE(nth(r, TEAI_EV_PREFILL, 0, NULL)->prefill_ms > 0);
    ASSERT_EQ(nth(r, TEAI_EV_TOKEN, 0, NULL)->n_tokens, 4);
    ASSERT_TRUE(nth(r, TEAI_EV_TOKEN, 0, NULL)->total_ms > 0);
#endif
    free(r);

    /* a text prompt, counted with teai's tokenizer of the same file */
    p = (teai_run_params){.prompt = "Hello there", .n_gen = 2};
    r = calloc(1, sizeof *r);
    rc = lb_run(&c, &p, r, &info, &err);
    if (rc) TEST_FAIL_AT("run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
#if TEAI_HAVE_CJSON
    ASSERT_EQ(r->n_prefill, 1);
    ASSERT_TRUE(nth(r, TEAI_EV_PREFILL, 0, NULL)->n_prompt > 1);
#endif
    free(r);
    unlink(model);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--real-llama-bench") == 0) {
        RUN_TEST(test_llama_bench_real);
        TEST_MAIN_END();
    }
    RUN_TEST(test_proc_lines);
    RUN_TEST(test_proc_exit_status);
    RUN_TEST(test_proc_peak_rss);
    RUN_TEST(test_proc_stop);
    RUN_TEST(test_proc_timeout);
    RUN_TEST(test_proc_orphan_holds_pipe);
    RUN_TEST(test_tinygrad_run);
    RUN_TEST(test_tinygrad_failure);
    RUN_TEST(test_tinygrad_missing);
    RUN_TEST(test_tinygrad_stop);
    RUN_TEST(test_llama_bench_fake);
    RUN_TEST(test_llama_bench_faults);
    TEST_MAIN_END();
}
