/* The openai backend against the real llama-server (built by
 * scripts/provision-llama.sh --build) on a synthesized model: both
 * endpoints stream, tokens arrive with arrival times, and the server's own
 * usage and timings land in the PREFILL event. Skipped (77) when
 * llama-server, the teai program or libcurl is missing. */
#include "test_util.h"

#include "fake_openai_server.h" /* fake_free_port, fake_http_status */

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

/* TEAI_HAVE_CURL comes with teai_backends (its include path and libcurl). */
#if TEAI_HAVE_CURL
#include "backends/backend.h"
extern const teai_backend_ops teai__backend_openai;

#define MAX_EV 256

typedef struct recorder {
    teai_event ev[MAX_EV]; /* PREFILL and TOKEN events (text not kept) */
    int n, n_raw;
} recorder;

static int rec_cb(void *ud, const teai_event *ev) {
    recorder *r = ud;
    if (ev->kind == TEAI_EV_RAW)
        r->n_raw++;
    else if (r->n < MAX_EV)
        r->ev[r->n++] = *ev;
    return 0;
}

static pid_t g_server = -1;
static char g_log[512];

static void on_alarm(int sig) {
    (void)sig;
    if (g_server > 0) kill(g_server, SIGKILL);
    static const char msg[] = "test_openai_llama_server: timed out\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

static void print_log_tail(void) {
    FILE *f = fopen(g_log, "r");
    if (!f) return;
    char line[512];
    long n = 0;
    while (fgets(line, sizeof line, f)) n++;
    rewind(f);
    fprintf(stderr, "--- %s (last lines) ---\n", g_log);
    for (long i = 0; fgets(line, sizeof line, f); i++)
        if (i >= n - 20) fputs(line, stderr);
    fclose(f);
}

static void stop_server(void) {
    if (g_server <= 0) return;
    kill(g_server, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(g_server, NULL, WNOHANG) == g_server) {
            g_server = -1;
            return;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    kill(g_server, SIGKILL);
    waitpid(g_server, NULL, 0);
    g_server = -1;
}

/* Starts llama-server on model at port; waits (up to 40 s) for /health. */
static int start_server(const char *server, const char *model, int port) {
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
#endif
        FILE *f = freopen(g_log, "w", stdout);
        if (f) dup2(fileno(stdout), 2);
        execl(server, server, "-m", model, "-c", "512", "-t", "2", "-np", "1", "--host",
              "127.0.0.1", "--port", port_s, (char *)NULL);
        _exit(127);
    }
    g_server = pid;
    for (int i = 0; i < 400; i++) {
        if (fake_http_status(port, "/health", 1000) == 200) return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            g_server = -1;
            return -1;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static char g_url[64];
static teai_backend_info g_info;

static int run_once(int chat, const char *prompt, int prompt_tokens, int rep, int n_gen,
                    recorder *r, teai_error *err) {
    teai_backend_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = g_url;
    cfg.chat = chat;
    cfg.seed = 1;
    cfg.timeout_s = 30;
    teai_backend *b = NULL;
    memset(r, 0, sizeof *r);
    int rc = teai__backend_openai.open(&cfg, &b, &g_info, err);
    if (rc != TEAI_OK) return rc;
    teai_run_params p = {
        .prompt = prompt, .prompt_tokens = prompt_tokens, .n_gen = n_gen, .rep = rep};
    rc = teai__backend_openai.run(b, &p, rec_cb, r, err);
    teai__backend_openai.close(b);
    return rc;
}

static int check_run_(const recorder *r, int n_gen, int all_known);

static void dump(const recorder *r) {
    for (int i = 0; i < r->n; i++)
        fprintf(stderr,
                "  event %d: kind %d step %d n_tokens %d token %d t_ms %.3f total_ms %.3f\n", i,
                (int)r->ev[i].kind, r->ev[i].step, r->ev[i].n_tokens, (int)r->ev[i].token,
                r->ev[i].t_ms, r->ev[i].total_ms);
}

/* The promises every run keeps; all_known: every chunk's count is known. */
static int check_run(const recorder *r, int n_gen, int all_known) {
    int ok = check_run_(r, n_gen, all_known);
    if (!ok) dump(r);
    return ok;
}

static int check_run_(const recorder *r, int n_gen, int all_known) {
    /* a model may end at once (end-of-generation first): no text ever came,
     * so the PREFILL alone reports the prompt, with no TTFT */
    if (r->n == 1 && isnan(r->ev[0].ttft_ms) && isnan(r->ev[0].t_ms) && r->ev[0].n_tokens == -1)
        return r->ev[0].kind == TEAI_EV_PREFILL;
    double prev = 0;
    long long sum = 0;
    for (int i = 0; i < r->n; i++) {
        const teai_event *e = &r->ev[i];
        if (e->kind != (i ? TEAI_EV_TOKEN : TEAI_EV_PREFILL) || !isnan(e->enqueue_ms)) return 0;
        if (!(e->t_ms >= prev) || (i && e->step != i)) return 0;
        if (i && fabs(e->total_ms - (e->t_ms - prev)) > 1e-9) return 0;
        if (all_known && e->n_tokens != 1) return 0;
        sum += e->n_tokens;
        prev = e->t_ms;
    }
    return r->n >= 1 && (!all_known || sum <= n_gen);
}

static void test_completions(void) {
    recorder r;
    teai_error err = {0};
    ASSERT_EQ(run_once(0, "Hello there, how are you", 0, 0, 8, &r, &err), TEAI_OK);
    ASSERT_TRUE(g_info.version[0] != '\0'); /* the server's model id */
    ASSERT_STREQ(g_info.device, g_url);
    ASSERT_TRUE(g_info.n_vocab > 0);
    const teai_event *p = &r.ev[0];
    printf("  completions: %d events, %d raw; n_prompt %d, prefill %.3f ms, ttft %.3f ms\n", r.n,
           r.n_raw, p->n_prompt, p->prefill_ms, p->ttft_ms);
    /* llama-server's /v1/completions sends one chunk per token (an empty
     * text when a token's bytes are not printable yet), and its usage
     * confirms the count */
    ASSERT_TRUE(check_run(&r, 8, 1));
    ASSERT_TRUE(p->n_prompt > 0);
    ASSERT_TRUE(p->prefill_ms > 0); /* from the server's "timings" */
    ASSERT_TRUE(p->ttft_ms > 0 && p->ttft_ms < 30000);
    ASSERT_TRUE(r.n_raw >= r.n + 2); /* + the final chunk and [DONE] */
}

static void test_chat(void) {
    recorder r;
    teai_error err = {0};
    int rc = run_once(1, "Say something.", 0, 0, 8, &r, &err);
    if (rc != TEAI_OK) printf("  %s\n", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    printf("  chat: %d events, n_prompt %d, ttft %.3f ms, first n_tokens %d\n", r.n,
           r.ev[0].n_prompt, r.ev[0].ttft_ms, r.ev[0].n_tokens);
    /* chat chunks skip tokens without text, so counts may be unknown */
    ASSERT_TRUE(check_run(&r, 8, 0));
    ASSERT_TRUE(r.ev[0].n_prompt > 0);
    for (int i = 0; i < r.n; i++) ASSERT_TRUE(r.ev[i].n_tokens == 1 || r.ev[i].n_tokens == -1);
}

static void test_prompt_tokens(void) {
    /* token-id prompts differ per repetition, so the prompt cache cannot
     * shorten the second one (rep 1 happens to draw end-of-generation
     * first on this model: the empty-stream case) */
    for (int rep = 0; rep < 2; rep++) {
        recorder r;
        teai_error err = {0};
        ASSERT_EQ(run_once(0, NULL, 32, rep, 4, &r, &err), TEAI_OK);
        printf("  prompt of 32 ids, rep %d: n_prompt %d, prefill %.3f ms\n", rep, r.ev[0].n_prompt,
               r.ev[0].prefill_ms);
        ASSERT_TRUE(check_run(&r, 4, 1));
        ASSERT_TRUE(r.ev[0].n_prompt >= 31);
        ASSERT_TRUE(r.ev[0].prefill_ms > 0);
    }
}

int main(void) {
    const char *bin = getenv("TEAI_BIN");
    if (!bin || !*bin) test_skip_llama("TEAI_BIN is not set (run through ctest)");
    char server[1024];
    const char *env = getenv("TEAI_LLAMA_SERVER");
    const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (env && *env)
        snprintf(server, sizeof server, "%s", env);
    else if (cache && *cache)
        snprintf(server, sizeof server, "%s/teai/llama.cpp/build/bin/llama-server", cache);
    else
        snprintf(server, sizeof server, "%s/.cache/teai/llama.cpp/build/bin/llama-server",
                 home ? home : "");
    if (access(server, X_OK) != 0)
        test_skip_llama("%s not found (scripts/provision-llama.sh --build makes it)", server);

    char model[512];
    test_tmp_path(model, sizeof model, "oai-tiny.gguf");
    test_tmp_path(g_log, sizeof g_log, "llama-server.log");
    if (test_system("'%s' model synth --shape tiny -o '%s' >/dev/null", bin, model) != 0) {
        fprintf(stderr, "teai model synth failed\n");
        return 1;
    }
    signal(SIGALRM, on_alarm);
    alarm(120);
    int port = fake_free_port();
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%d", port);
    if (port <= 0 || start_server(server, model, port) != 0) {
        fprintf(stderr, "llama-server did not come up on %s\n", g_url);
        print_log_tail();
        stop_server();
        remove(model);
        return 1;
    }
    RUN_TEST(test_completions);
    RUN_TEST(test_chat);
    RUN_TEST(test_prompt_tokens);
    stop_server();
    if (teai_test_failures) print_log_tail();
    remove(model);
    remove(g_log);
    TEST_MAIN_END();
}

#else

int main(void) {
    test_skip_llama(
        "the openai backend is not linked into this test (it needs teai_backends, built "
        "with libcurl)");
}

#endif
