/* teai load against the hand-made timing server (tests/load/timing_server.c),
 * whose scripted delays give TTFT, TPOT, ITL, E2EL and goodput known values;
 * its faults (reset, 429/503, malformed SSE, refused connections); Ctrl-C in
 * the middle of a run; and the pieces of the workload (lengths, arrivals)
 * in-process. Every run is bounded (requests, --timeout, the server's
 * --lifetime) and on loopback. */
#include "test_util.h"

#include "analysis/serving.h"
#include "load/load.h"
#include "load/load_impl.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* lo <= x < hi, printing x when not */
#define ASSERT_IN(x, lo, hi)                                                                       \
    do {                                                                                           \
        double x_ = (x);                                                                           \
        if (!(x_ >= (lo) && x_ < (hi))) {                                                          \
            TEST_FAIL_AT("%s = %.4f, not in [%g, %g)", #x, x_, (double)(lo), (double)(hi));        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static const char *g_bin, *g_server;
static int g_light; /* TEAI_TEST_LIGHT=1 (sanitizers): fewer requests */
/* How much later than scripted a busy machine may deliver (a multiple of the
 * slack each bound names): 2, and 4 under the sanitizers, whose builds run
 * several times slower beside other tests. The lower bounds stay exact: no
 * figure may come out faster than the server's script. */
static double g_slack = 2;

/* ---- helpers ------------------------------------------------------------ */

typedef struct server {
    pid_t pid;
    int port;
} server;

/* Starts the timing server with args (space-separated); reads its port. */
static int server_start(server *s, const char *args) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exec '%s' --lifetime 100 %s", g_server, args);
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    s->port = 0;
    if (!f || fscanf(f, "port %d", &s->port) != 1) s->port = 0;
    if (f) fclose(f);
    return s->port > 0 ? 0 : -1;
}

static void server_stop(server *s) {
    if (s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

/* The one log in dir (load-*.jsonl) into out. */
static int find_log(const char *dir, char *out, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "load-", 5) == 0) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            n++;
        }
    closedir(d);
    return n == 1 ? 0 : -1;
}

static void note_print(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "note: %s\n", line);
}

/* Runs teai load against the server into a fresh folder; returns its exit
 * code and the log's path in log. */
static int run_load(const server *s, const char *name, const char *args, char *log, size_t cap) {
    char dir[512];
    test_tmp_path(dir, sizeof dir, name);
    test_system("rm -rf '%s'", dir);
    int rc = test_system("'%s' load --base-url http://127.0.0.1:%d --out '%s' --timeout 20 %s "
                         ">'%s.out' 2>'%s.err'",
                         g_bin, s->port, dir, args, dir, dir);
    log[0] = '\0';
    if (find_log(dir, log, cap) != 0) log[0] = '\0';
    return rc;
}

/* ---- the workload, in-process ---------------------------------------------- */

static void test_len_specs(void) {
    teai_load_len l;
    teai_error e = {0};
    ASSERT_EQ(teai_load_len_parse("128", &l, &e), TEAI_OK);
    ASSERT_EQ(l.kind, TEAI_LOAD_LEN_FIXED);
    ASSERT_EQ(teai_load_len_parse("uniform:10:20", &l, &e), TEAI_OK);
    teai__rng r;
    teai__rng_seed(&r, 7);
    int seen_lo = 0, seen_hi = 0;
    for (int i = 0; i < 2000; i++) {
        long v = teai__len_draw(&l, &r);
        ASSERT_TRUE(v >= 10 && v <= 20);
        seen_lo |= v == 10;
        seen_hi |= v == 20;
    }
    ASSERT_TRUE(seen_lo && seen_hi);
    ASSERT_EQ(teai_load_len_parse("normal:100:10", &l, &e), TEAI_OK);
    double sum = 0;
    for (int i = 0; i < 4000; i++) sum += (double)teai__len_draw(&l, &r);
    ASSERT_NEAR(sum / 4000, 100, 1.0);
    const char *bad[] = {
        "0",  "-3", "1.5", "abc", "", "uniform:5", "uniform:9:3", "normal:0:1", "uniform:1:2000000",
        "12x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ASSERT_EQ(teai_load_len_parse(bad[i], &l, &e), TEAI_EINVAL);
        ASSERT_TRUE(strstr(e.msg, bad[i]) != NULL);
    }
}

/* Arrival gaps: mean 1/rate; squared coefficient of variation 1 (Poisson),
 * 1/shape (gamma), 0 (constant). */
static void test_arrivals(void) {
    teai__rng r;
    teai__rng_seed(&r, 3);
    const struct {
        teai_load_arrival a;
        double b, cv2;
    } c[] = {{TEAI_LOAD_POISSON, 1, 1},
             {TEAI_LOAD_GAMMA, 0.25, 4},
             {TEAI_LOAD_GAMMA, 4, 0.25},
             {TEAI_LOAD_CONSTANT, 1, 0}};
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        double s = 0, s2 = 0;
        const int n = 40000;
        for (int i = 0; i < n; i++) {
            double g = teai__arrival_gap(c[k].a, c[k].b, 5.0, &r);
            s += g;
            s2 += g * g;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        ASSERT_NEAR(mean, 0.2, 0.2 * 0.04);
        ASSERT_NEAR(var / (mean * mean), c[k].cv2, 0.1 * c[k].cv2 + 1e-9);
    }
    ASSERT_EQ(teai__arrival_gap(TEAI_LOAD_POISSON, 1, INFINITY, &r), 0);
}

static void test_prompts(void) {
    teai__rng r;
    teai__rng_seed(&r, 1);
    teai_buf a, b;
    teai_buf_init(&a, 0);
    teai_buf_init(&b, 0);
    ASSERT_EQ(teai__prompt_random(&a, 50, &r), TEAI_OK);
    ASSERT_EQ(teai__prompt_random(&b, 50, &r), TEAI_OK);
    long words = 1;
    for (size_t i = 0; i < a.len; i++) words += a.data[i] == ' ';
    int differ_early = memcmp(a.data, b.data, 12) != 0;
    teai_buf_free(&a);
    teai_buf_free(&b);
    ASSERT_EQ(words, 50);
    ASSERT_TRUE(differ_early); /* no shared prefix for a cache to hit */
}

/* ---- against the timing server ----------------------------------------------- */

/* TTFT 50 ms, then 20 tokens 10 ms apart; every 4th request waits 200 ms for
 * its first token. Closed loop at 1 and 4 streams, 2 warm-up requests. */
static void test_timing(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 50 --itl-ms 10 --slow-every 4 --slow-ttft-ms 200"), 0);
    char log[1024];
    int rc = run_load(&s, "timing",
                      "--concurrency 1,4 --requests 20 --warmup 2 --output-len 20 "
                      "--input-len 32 --slo ttft=150",
                      log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(log[0]);
    teai_serving_run *run = NULL;
    teai_error e = {0};
    ASSERT_EQ(teai_serving_run_read(log, note_print, NULL, &run, &e), TEAI_OK);
    ASSERT_STREQ(run->status, "complete");
    ASSERT_STREQ(run->endpoint, "completions");
    ASSERT_EQ(run->n_levels, 2);
    for (size_t l = 0; l < 2; l++) {
        const teai_serving_level *lv = &run->levels[l];
        ASSERT_NEAR(lv->concurrency, l ? 4 : 1, 0);
        ASSERT_EQ(lv->n_req, 22);
        teai_serving_summary sm;
        ASSERT_EQ(teai_serving_summarize(lv->req, lv->n_req, &run->slo, &sm, &e), TEAI_OK);
        ASSERT_EQ(sm.requests, 20);
        ASSERT_EQ(sm.ok, 20);
        /* 15 fast (50 ms) and 5 slow (200 ms) first tokens; the server's sleeps
         * and loopback add a few ms, a busy machine a few more (the exact
         * relations are checked per request below) */
        ASSERT_IN(sm.ttft.p[0], 50, 50 + 15 * g_slack);
        ASSERT_IN(sm.ttft.p[1], 200, 200 + 15 * g_slack); /* p90: order statistics 18, 19 */
        ASSERT_IN(sm.itl.p[0], 9.9, 10 + 4 * g_slack);
        ASSERT_IN(sm.tpot.p[0], 9.9, 10 + 4 * g_slack);
        ASSERT_IN(sm.e2el.p[0], 50 + 19 * 10, 50 + 19 * 10 + 60 * g_slack);
        ASSERT_EQ(sm.itl.n, 20 * 19);
        /* the SLO ttft <= 150 ms excludes exactly the slow ones: the server's
         * requests 3, 7, ... 19 at 1 stream (5 of the 20 measured); 23, 27, ...
         * 43 at 4 (6, one of which may be the warm-up request 23) */
        long slow = 0;
        for (size_t i = 0; i < lv->n_req; i++)
            slow += !lv->req[i].warmup && lv->req[i].ttft_ms >= 200;
        if (l == 0) ASSERT_EQ(slow, 5);
        ASSERT_TRUE(slow == 5 || (l == 1 && slow == 6));
        ASSERT_EQ(sm.good, 20 - slow);
        ASSERT_NEAR(sm.slo_attainment, (20 - slow) / 20.0, 1e-12);
        for (size_t i = 0; i < lv->n_req; i++) {
            const teai_serving_request *q = &lv->req[i];
            /* E2EL = TTFT + the gaps (the stream's last chunks come with the last token) */
            double gaps = 0;
            for (size_t g = 0; g < q->n_itl; g++) gaps += q->itl_ms[g];
            ASSERT_IN(q->e2el_ms - q->ttft_ms - gaps, -0.01, 2.5 * g_slack);
            ASSERT_NEAR(q->tpot_ms, gaps / 19, 2.5 * g_slack / 19 + 0.01);
            if (lv->req[i].warmup) continue;
            ASSERT_EQ(lv->req[i].completion_tokens, 20);
            ASSERT_EQ(lv->req[i].prompt_tokens, 32); /* the server counts the prompt's words */
            ASSERT_EQ(lv->req[i].http_status, 200);
        }
        if (l == 0) { /* one at a time: the sum of the E2ELs (15 x ~240 ms + 5 x ~390 ms),
                       * and a little between requests */
            double sum = 0;
            for (size_t i = 0; i < lv->n_req; i++)
                if (!lv->req[i].warmup) sum += lv->req[i].e2el_ms / 1000;
            ASSERT_IN(sum, 5.55, 5.55 + 1.05 * g_slack);
            ASSERT_TRUE(sm.duration_s >= sum && sm.duration_s < sum + 0.1 * g_slack);
            ASSERT_NEAR(sm.goodput, 15 / sm.duration_s, 1e-9);
        } else { /* four at a time: about a quarter */
            ASSERT_TRUE(sm.duration_s < 1.5 + 0.7 * g_slack && sm.duration_s > 1.3);
        }
    }
    teai_serving_run_free(run);
}

/* Open loop at constant arrivals: sends 50 ms apart whatever is in flight. */
static void test_open_loop(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 5 --itl-ms 20"), 0);
    char log[1024];
    int rc = run_load(&s, "open",
                      "--rate 20 --arrival constant --requests 20 --output-len 10 --label "
                      "'tim ing'",
                      log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(strstr(log, "load-tim_ing-") != NULL); /* the label, made file-safe */
    teai_serving_run *run = NULL;
    teai_error e = {0};
    ASSERT_EQ(teai_serving_run_read(log, note_print, NULL, &run, &e), TEAI_OK);
    ASSERT_EQ(run->n_levels, 1);
    ASSERT_STREQ(run->arrival, "constant");
    const teai_serving_level *lv = &run->levels[0];
    ASSERT_EQ(lv->n_req, 20);
    ASSERT_NEAR(lv->rate, 20, 0);
    /* requests last ~190 ms: about four in flight at once, sent on the clock */
    double *t = malloc(lv->n_req * sizeof *t);
    ASSERT_TRUE(t != NULL);
    for (size_t i = 0; i < lv->n_req; i++) t[i] = lv->req[i].start_s;
    for (size_t i = 1; i < lv->n_req; i++) /* records come in end order: sort */
        for (size_t j = i; j > 0 && t[j - 1] > t[j]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    /* the schedule is absolute (t_k = k / rate): jitter does not add up */
    double worst = 0, span = t[lv->n_req - 1] - t[0];
    for (size_t i = 1; i < lv->n_req; i++)
        if (fabs(t[i] - t[i - 1] - 0.05) > worst) worst = fabs(t[i] - t[i - 1] - 0.05);
    free(t);
    teai_serving_run_free(run);
    ASSERT_NEAR(span, 19 * 0.05, 0.01 * g_slack);
    ASSERT_TRUE(worst < 0.02 * g_slack);
}

/* A server that can stream one response at a time, asked for 25 a second
 * it can serve 10 of: the backlog grows; the level stops early, saturated. */
static void test_saturation(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 0 --itl-ms 10 --capacity 1"), 0);
    char log[1024];
    uint64_t t0 = teai__now_ns();
    int rc =
        run_load(&s, "sat", "--rate 25 --requests 600 --output-len 10 --seed 5", log, sizeof log);
    double took = (double)(teai__now_ns() - t0) / 1e9;
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    teai_serving_run *run = NULL;
    teai_error e = {0};
    ASSERT_EQ(teai_serving_run_read(log, note_print, NULL, &run, &e), TEAI_OK);
    ASSERT_EQ(run->n_levels, 1);
    int saturated = run->levels[0].saturated;
    size_t n = run->levels[0].n_req;
    teai_serving_run_free(run);
    ASSERT_TRUE(saturated);
    ASSERT_TRUE(n < 300); /* stopped well before its 600 requests (24 s) */
    ASSERT_TRUE(took < 15);
    ASSERT_EQ(test_system("grep -q '\"stopped\":\"saturated\"' '%s'", log), 0);
}

/* The same server, unloaded (5 a second of its 10): never saturated. */
static void test_not_saturated(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 0 --itl-ms 10 --capacity 1"), 0);
    char log[1024];
    int rc =
        run_load(&s, "unsat", "--rate 5 --duration 8 --output-len 10 --seed 5", log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(test_system("grep -q '\"saturated\":false' '%s'", log), 0);
    ASSERT_EQ(test_system("grep -q '\"stopped\":\"\"' '%s'", log), 0);
}

#if TEAI_HAVE_CJSON
/* Counts the request lines of log with ok == want_ok and error containing
 * what (NULL: any). Also checks every line is a JSON object. */
static int count_requests(const char *log, int want_ok, const char *what, int *bad_lines) {
    FILE *f = fopen(log, "r");
    if (!f) return -1;
    char line[65536];
    int n = 0;
    *bad_lines = 0;
    while (fgets(line, sizeof line, f)) {
        cJSON *o = cJSON_Parse(line);
        if (!cJSON_IsObject(o)) (*bad_lines)++;
        const cJSON *t = cJSON_GetObjectItem(o, "type"), *ok = cJSON_GetObjectItem(o, "ok"),
                    *er = cJSON_GetObjectItem(o, "error");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "request") == 0 &&
            cJSON_IsTrue(ok) == want_ok &&
            (!what || (cJSON_IsString(er) && strstr(er->valuestring, what))))
            n++;
        cJSON_Delete(o);
    }
    fclose(f);
    return n;
}

/* Each fault on every 4th of 12 requests: 3 recorded with the error, 9 ok,
 * the run completes (exit 0) and the summary counts the errors. */
static void test_faults(void) {
    const struct {
        const char *fault, *error;
    } c[] = {{"reset", "connection reset after 3 tokens"},
             {"429", "HTTP 429: server_busy"},
             {"503", "HTTP 503: server_busy"},
             {"malformed", "malformed SSE event 3"}};
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        server s;
        char args[200], log[1024], name[64];
        snprintf(args, sizeof args, "--ttft-ms 1 --itl-ms 1 --fault %s --fault-every 4",
                 c[k].fault);
        ASSERT_EQ(server_start(&s, args), 0);
        snprintf(name, sizeof name, "fault-%s", c[k].fault);
        int rc =
            run_load(&s, name, "--concurrency 1 --requests 12 --output-len 8", log, sizeof log);
        server_stop(&s);
        if (rc != 0) fprintf(stderr, "fault %s\n", c[k].fault);
        ASSERT_EQ(rc, 0);
        int bad;
        int n_err = count_requests(log, 0, c[k].error, &bad);
        if (n_err != 3) test_system("grep request '%s' | head -5 >&2", log);
        ASSERT_EQ(n_err, 3);
        ASSERT_EQ(count_requests(log, 1, NULL, &bad), 9);
        ASSERT_EQ(bad, 0);
        char out[1100];
        snprintf(out, sizeof out, "%s", log);
        char *slash = strrchr(out, '/');
        ASSERT_TRUE(slash != NULL);
        *slash = '\0';
        /* the level line printed: 12 requests (3 errors) */
        ASSERT_EQ(test_system("grep -q '12 requests (3 errors)' '%s.out'", out), 0);
    }
}

/* The server stops listening after its 5th request: the rest are refused,
 * each recorded, and the run ends (exit 0: 5 succeeded). */
static void test_refused(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 1 --itl-ms 1 --fault refuse --fault-every 5"), 0);
    char log[1024];
    int rc =
        run_load(&s, "refuse", "--concurrency 1 --requests 10 --output-len 4", log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    int bad;
    ASSERT_EQ(count_requests(log, 1, NULL, &bad), 5);
    ASSERT_EQ(count_requests(log, 0, "connection refused", &bad), 5);
    ASSERT_EQ(bad, 0);
}
/* First tokens after 2 s, --timeout 0.3: every request times out, each
 * logged; none succeeded, so exit 1 (the log is still whole). */
static void test_timeout(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 2000 --itl-ms 1"), 0);
    char log[1024];
    uint64_t t0 = teai__now_ns();
    int rc = run_load(&s, "timeout", "--concurrency 2 --requests 4 --output-len 4 --timeout 0.3",
                      log, sizeof log);
    double took = (double)(teai__now_ns() - t0) / 1e9;
    server_stop(&s);
    ASSERT_EQ(rc, 1);
    ASSERT_TRUE(took < 1.5); /* two rounds of 0.3 s, not of 2 s */
    ASSERT_TRUE(log[0]);
    int bad;
    ASSERT_EQ(count_requests(log, 0, "timed out after 0.3 s (0 tokens)", &bad), 4);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(test_system("tail -n 1 '%s' | grep -q '\"status\":\"complete\"'", log), 0);
}
#endif

/* A server that is not there: one line, exit 1, no log. */
static void test_unreachable(void) {
    server s;
    ASSERT_EQ(server_start(&s, ""), 0);
    server_stop(&s); /* its port is now closed */
    char log[1024], dir[512];
    int rc = run_load(&s, "unreach", "--concurrency 1 --requests 3", log, sizeof log);
    ASSERT_EQ(rc, 1);
    ASSERT_TRUE(log[0] == '\0');
    test_tmp_path(dir, sizeof dir, "unreach");
    ASSERT_EQ(test_system("grep -q 'server unreachable: connection refused' '%s.err'", dir), 0);
    ASSERT_EQ(test_system("test $(wc -l < '%s.err') -eq 1", dir), 0);
}

/* Bad command lines: one line each, exit 2. */
static void test_usage(void) {
    const char *bad[] = {"",
                         "--base-url http://127.0.0.1:1",
                         "--base-url ftp://x --concurrency 1",
                         "--base-url http://127.0.0.1:1 --concurrency 0",
                         "--base-url http://127.0.0.1:1 --concurrency 1.5",
                         "--base-url http://127.0.0.1:1 --rate -1",
                         "--base-url http://127.0.0.1:1 --rate 1 --concurrency 2",
                         "--base-url http://127.0.0.1:1 --rate 1 --input-len uniform:9:1",
                         "--base-url http://127.0.0.1:1 --rate 1 --output-len 0",
                         "--base-url http://127.0.0.1:1 --rate 1 --slo ttft=",
                         "--base-url http://127.0.0.1:1 --rate 1 --slo foo=3",
                         "--base-url http://127.0.0.1:1 --find-max-rate",
                         "--base-url http://127.0.0.1:1 --rate 1 --arrival weibull",
                         "--base-url http://127.0.0.1:1 --rate 1 --endpoint embeddings",
                         "--base-url http://127.0.0.1:1 --rate 1 --bogus",
                         "--base-url http://127.0.0.1:1 --rate 1 --requests 5 --duration 3"};
    char err[512];
    test_tmp_path(err, sizeof err, "usage.err");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = test_system("'%s' load %s >/dev/null 2>'%s'", g_bin, bad[i], err);
        if (rc != 2) fprintf(stderr, "args: %s\n", bad[i]);
        ASSERT_EQ(rc, 2);
        ASSERT_EQ(test_system("test $(wc -l < '%s') -eq 1", err), 0);
    }
    ASSERT_EQ(test_system("'%s' load --help | grep -q -- --find-max-rate", g_bin), 0);
}

/* SIGINT in the middle: exit 130, a valid log ending "interrupted" that
 * holds the requests that ended. */
static void test_interrupt(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 20 --itl-ms 20"), 0);
    char dir[512], log[1024];
    test_tmp_path(dir, sizeof dir, "intr");
    test_system("rm -rf '%s'", dir);
    char url[64], port[16];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    snprintf(port, sizeof port, "%d", s.port);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execl(g_bin, g_bin, "load", "--base-url", url, "--out", dir, "--concurrency", "4",
              "--requests", "1000", "--output-len", "20", (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {1, 200000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGINT);
    int st = 0;
    waitpid(pid, &st, 0);
    server_stop(&s);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 130);
    ASSERT_EQ(find_log(dir, log, sizeof log), 0);
    teai_serving_run *run = NULL;
    teai_error e = {0};
    ASSERT_EQ(teai_serving_run_read(log, note_print, NULL, &run, &e), TEAI_OK);
    ASSERT_STREQ(run->status, "interrupted");
    ASSERT_EQ(run->n_levels, 1);
    size_t n = run->levels[0].n_req, ok = 0;
    for (size_t i = 0; i < n; i++) ok += (size_t)run->levels[0].req[i].ok;
    teai_serving_run_free(run);
    ASSERT_TRUE(ok >= 4 && ok < 100); /* ~1.2 s of 4 streams of 420 ms */
    ASSERT_EQ(test_system(
                  "tail -n 1 '%s' | grep -qx '{\"type\":\"end\",\"status\":\"interrupted\"}'", log),
              0);
}

/* Chat and a dataset with its own output lengths. */
static void test_chat_dataset(void) {
    char data[512];
    test_tmp_path(data, sizeof data, "prompts.jsonl");
    FILE *f = fopen(data, "w");
    ASSERT_TRUE(f != NULL);
    fputs("{\"prompt\": \"one two three\", \"output_len\": 5}\n"
          "{\"prompt\": \"four five\"}\n",
          f);
    fclose(f);
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 1 --itl-ms 1"), 0);
    char log[1024], args[800];
    snprintf(args, sizeof args,
             "--endpoint chat --concurrency 2 --requests 6 --output-len 7 --dataset '%s' "
             "--api-key sekrit --model-name m1",
             data);
    int rc = run_load(&s, "chat", args, log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    teai_serving_run *run = NULL;
    teai_error e = {0};
    ASSERT_EQ(teai_serving_run_read(log, note_print, NULL, &run, &e), TEAI_OK);
    ASSERT_STREQ(run->endpoint, "chat");
    ASSERT_STREQ(run->model_name, "m1");
    long tok[2] = {0, 0};
    for (size_t i = 0; i < run->levels[0].n_req; i++) {
        const teai_serving_request *q = &run->levels[0].req[i];
        ASSERT_TRUE(q->ok);
        ASSERT_TRUE((q->prompt_tokens == 3 && q->completion_tokens == 5) ||
                    (q->prompt_tokens == 2 && q->completion_tokens == 7));
        tok[q->prompt_tokens == 3]++;
    }
    teai_serving_run_free(run);
    ASSERT_EQ(tok[0], 3);
    ASSERT_EQ(tok[1], 3);
    /* a dataset line without a prompt: exit 3 naming the line */
    f = fopen(data, "w");
    ASSERT_TRUE(f != NULL);
    fputs("{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n", f);
    fclose(f);
    ASSERT_EQ(test_system("'%s' load --base-url http://127.0.0.1:1 --concurrency 1 --dataset '%s' "
                          "2>&1 >/dev/null | grep -q 'prompts.jsonl:2:'",
                          g_bin, data),
              0);
    ASSERT_EQ(test_system("'%s' load --base-url http://127.0.0.1:1 --concurrency 1 --dataset '%s' "
                          ">/dev/null 2>&1",
                          g_bin, data),
              3);
    remove(data);
}

/* --find-max-rate against a server of about 10 streams a second (capacity
 * 1, ~100 ms each) and an SLO on E2EL: from 4/s, doubling passes 8 and fails
 * 16; bisection ends between 8 and 12. */
static void test_find_max_rate(void) {
    server s;
    ASSERT_EQ(server_start(&s, "--ttft-ms 0 --itl-ms 10 --capacity 1"), 0);
    char log[1024], dir[512];
    int rc = run_load(&s, "findmax",
                      "--find-max-rate --rate 4 --requests 20 --output-len 10 --slo e2el=300 "
                      "--arrival constant",
                      log, sizeof log);
    server_stop(&s);
    ASSERT_EQ(rc, 0);
    test_tmp_path(dir, sizeof dir, "findmax");
    FILE *f;
    char path[600], line[512];
    snprintf(path, sizeof path, "%s.out", dir);
    f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    double found = NAN;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "teai load: max rate meeting the SLOs: %lf", &found) == 1) break;
    fclose(f);
    ASSERT_TRUE(found >= 8 && found <= 12);
    ASSERT_EQ(test_system("grep -c '\"type\":\"level\"' '%s' | grep -qx '[3-9]'", log), 0);
}

int main(void) {
    g_bin = getenv("TEAI_BIN");
    g_server = getenv("TEAI_TIMING_SERVER");
    const char *light = getenv("TEAI_TEST_LIGHT");
    g_light = light && strcmp(light, "1") == 0;
    if (g_light) g_slack = 4;
    RUN_TEST(test_len_specs);
    RUN_TEST(test_arrivals);
    RUN_TEST(test_prompts);
    if (!g_bin || !g_server)
        test_skip("TEAI_BIN or TEAI_TIMING_SERVER not set (run through ctest)");
    signal(SIGPIPE, SIG_IGN);
    RUN_TEST(test_usage);
    RUN_TEST(test_unreachable);
    RUN_TEST(test_timing);
    RUN_TEST(test_open_loop);
#if TEAI_HAVE_CJSON
    RUN_TEST(test_faults);
    RUN_TEST(test_refused);
    RUN_TEST(test_timeout);
#endif
    RUN_TEST(test_chat_dataset);
    RUN_TEST(test_interrupt);
    RUN_TEST(test_saturation);
    if (!g_light) RUN_TEST(test_not_saturated);
    RUN_TEST(test_find_max_rate);
    const char *tmp = getenv("TEAI_TEST_TMP");
    if (!teai_test_failures && tmp && *tmp) test_system("rm -rf '%s'/%ld-*", tmp, (long)getpid());
    TEST_MAIN_END();
}
