/* Serving statistics (analysis/serving.h) against values computed by hand:
 * the order-statistic intervals of quantiles (textbook ranks), a level's
 * summary with and without SLOs (warm-up left out, errors counted, TPOT
 * missing for one-token answers), the load-log reader (a garbage line, an
 * unknown type, a torn last line: noted and skipped), and serving.csv
 * (columns, empty cells for what was not measured, RFC 4180 quoting). */
#include "test_util.h"

#ifdef TEAI_HAVE_ANALYSIS
#include "analysis/serving.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Notes collected by the callback. */
typedef struct notes {
    int n;
    char last[512];
    int torn;
} notes;

static void on_note(void *ud, const char *line) {
    notes *ns = ud;
    ns->n++;
    snprintf(ns->last, sizeof ns->last, "%s", line);
    if (strstr(line, "torn last line")) ns->torn++;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Median of 20 values: ranks (6, 15), coverage 0.9586 (the textbook
 * distribution-free interval, e.g. Conover's table: n = 20 -> r = 6). */
static void test_quantile_interval(void) {
    double x[1000];
    for (int i = 0; i < 1000; i++) x[i] = i + 1; /* x_(r) = r */
    double lo, hi;
    teai_quantile_interval(x, 20, 0.5, &lo, &hi);
    ASSERT_NEAR(lo, 6, 0);
    ASSERT_NEAR(hi, 15, 0);
    /* n = 100: the median's ranks (40, 61), as in the published tables */
    teai_quantile_interval(x, 100, 0.5, &lo, &hi);
    ASSERT_NEAR(lo, 40, 0);
    ASSERT_NEAR(hi, 61, 0);
    /* n = 6: P(B = 0) = 1/64 <= 0.025, so (x_(1), x_(6)), coverage 62/64 */
    teai_quantile_interval(x, 6, 0.5, &lo, &hi);
    ASSERT_NEAR(lo, 1, 0);
    ASSERT_NEAR(hi, 6, 0);
    /* n = 5: P(B = 0) = 1/32 > 0.025: no interval on either side */
    teai_quantile_interval(x, 5, 0.5, &lo, &hi);
    ASSERT_TRUE(isnan(lo) && isnan(hi));
    /* p99 of 100 values: a lower bound alone (rank 97, one-sided), which is
     * not an interval: none */
    teai_quantile_interval(x, 100, 0.99, &lo, &hi);
    ASSERT_TRUE(isnan(lo) && isnan(hi));
    /* p99 of 1000: ranks (983, 997) */
    teai_quantile_interval(x, 1000, 0.99, &lo, &hi);
    ASSERT_NEAR(lo, 983, 0);
    ASSERT_NEAR(hi, 997, 0);
    teai_quantile_interval(x, 0, 0.5, &lo, &hi);
    ASSERT_TRUE(isnan(lo) && isnan(hi));
}

/* Four measured requests and one warm-up:
 *   A  start 0.0  ttft 100  e2el 300  5 tokens  tpot 50   itl 40 60 50 50
 *   B  start 0.5  ttft 200  e2el 500  4 tokens  tpot 100  itl 100 100 100
 *   C  start 1.0  ttft 50   e2el 50   1 token   no tpot
 *   D  start 1.5  HTTP 503 after 20 ms
 *   W  warm-up (left out everywhere)
 * duration = 0 -> max(0.3, 1.0, 1.05, 1.52) = 1.52 s. */
static void fill_requests(teai_serving_request *r) {
    static const double itl_a[4] = {40, 60, 50, 50}, itl_b[3] = {100, 100, 100};
    memset(r, 0, sizeof *r * 5);
    r[0] = (teai_serving_request){0.0, 100, 50, 300, itl_a, 4, 10, 5, 200, 1, 0};
    r[1] = (teai_serving_request){0.5, 200, 100, 500, itl_b, 3, 10, 4, 200, 1, 0};
    r[2] = (teai_serving_request){1.0, 50, NAN, 50, NULL, 0, 10, 1, 200, 1, 0};
    r[3] = (teai_serving_request){1.5, NAN, NAN, 20, NULL, 0, -1, -1, 503, 0, 0};
    r[4] = (teai_serving_request){-5, 1, 1, 1000, itl_a, 4, 1000, 1000, 200, 1, 1};
}

static void test_summarize(void) {
    teai_serving_request r[5];
    fill_requests(r);
    teai_serving_summary s;
    teai_error err = {0};
    ASSERT_EQ(teai_serving_summarize(r, 5, NULL, &s, &err), TEAI_OK);
    ASSERT_EQ(s.requests, 4);
    ASSERT_EQ(s.ok, 3);
    ASSERT_EQ(s.errors, 1);
    ASSERT_NEAR(s.error_rate, 0.25, 1e-15);
    ASSERT_NEAR(s.duration_s, 1.52, 1e-12);
    ASSERT_NEAR(s.request_throughput, 3 / 1.52, 1e-12);
    ASSERT_NEAR(s.output_throughput, 10 / 1.52, 1e-12); /* 5 + 4 + 1 tokens */
    ASSERT_NEAR(s.input_throughput, 30 / 1.52, 1e-12);
    ASSERT_EQ(s.good, 3);
    ASSERT_TRUE(isnan(s.goodput) && isnan(s.slo_attainment)); /* no SLO: not measured */
    /* TTFT {50, 100, 200}: p50 100; p90 h = 1.8 -> 100 + 0.8 * 100; p99 h = 1.98 */
    ASSERT_EQ(s.ttft.n, 3);
    ASSERT_NEAR(s.ttft.mean, 350.0 / 3, 1e-12);
    ASSERT_NEAR(s.ttft.p[0], 100, 1e-12);
    ASSERT_NEAR(s.ttft.p[1], 180, 1e-12);
    ASSERT_NEAR(s.ttft.p[2], 190, 1e-12);
    ASSERT_NEAR(s.ttft.p[3], 198, 1e-12);
    ASSERT_TRUE(isnan(s.ttft.lo[0]) && isnan(s.ttft.hi[3])); /* 3 values: no interval */
    /* TPOT {50, 100} (C has one token: none) */
    ASSERT_EQ(s.tpot.n, 2);
    ASSERT_NEAR(s.tpot.p[0], 75, 1e-12);
    /* ITL {40, 50, 50, 60, 100, 100, 100}: the warm-up's gaps left out */
    ASSERT_EQ(s.itl.n, 7);
    ASSERT_NEAR(s.itl.p[0], 60, 1e-12);
    ASSERT_NEAR(s.itl.mean, 500.0 / 7, 1e-12);
    /* E2EL of ok requests {50, 300, 500} (D's 20 ms is an error's) */
    ASSERT_EQ(s.e2el.n, 3);
    ASSERT_NEAR(s.e2el.p[0], 300, 1e-12);

    /* SLOs ttft <= 150, tpot <= 60: A good, B's TTFT too slow, C good (no
     * TPOT to miss), D an error: good 2, goodput 2 / 1.52, attainment 2/4 */
    teai_serving_slo slo = {150, 60, NAN};
    ASSERT_EQ(teai_serving_summarize(r, 5, &slo, &s, &err), TEAI_OK);
    ASSERT_EQ(s.good, 2);
    ASSERT_NEAR(s.goodput, 2 / 1.52, 1e-12);
    ASSERT_NEAR(s.slo_attainment, 0.5, 1e-15);
    /* e2el <= 400 alone: B (500) misses it */
    teai_serving_slo slo2 = {0, -1, 400};
    ASSERT_EQ(teai_serving_summarize(r, 5, &slo2, &s, &err), TEAI_OK);
    ASSERT_EQ(s.good, 2);
    /* every SLO unset: no goodput */
    teai_serving_slo none = {0, NAN, -3};
    ASSERT_EQ(teai_serving_summarize(r, 5, &none, &s, &err), TEAI_OK);
    ASSERT_TRUE(isnan(s.goodput));

    /* nothing measured: zero counts, NANs, never 0 for a latency */
    ASSERT_EQ(teai_serving_summarize(r + 4, 1, &slo, &s, &err), TEAI_OK);
    ASSERT_EQ(s.requests, 0);
    ASSERT_TRUE(isnan(s.duration_s) && isnan(s.request_throughput) && isnan(s.ttft.p[0]) &&
                isnan(s.ttft.mean) && isnan(s.error_rate));
    ASSERT_EQ(teai_serving_summarize(NULL, 0, NULL, &s, &err), TEAI_OK);
    ASSERT_EQ(s.ttft.n, 0);
}

/* Twenty ok requests with TTFT 1..20 ms: the p50 interval is (6, 15). */
static void test_summarize_intervals(void) {
    teai_serving_request r[20];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 20; i++) {
        r[i].start_s = 0;
        r[i].ttft_ms = 20 - i; /* out of order: the summary sorts */
        r[i].tpot_ms = NAN;
        r[i].e2el_ms = 1000;
        r[i].prompt_tokens = r[i].completion_tokens = -1;
        r[i].ok = 1;
    }
    teai_serving_summary s;
    teai_error err = {0};
    ASSERT_EQ(teai_serving_summarize(r, 20, NULL, &s, &err), TEAI_OK);
    ASSERT_NEAR(s.ttft.p[0], 10.5, 1e-12);
    ASSERT_NEAR(s.ttft.lo[0], 6, 0);
    ASSERT_NEAR(s.ttft.hi[0], 15, 0);
    ASSERT_TRUE(isnan(s.tpot.p[0]));
    ASSERT_TRUE(isnan(s.output_throughput)); /* no token counts reported */
    ASSERT_NEAR(s.duration_s, 1, 1e-12);
}

static const char *log_text =
    "{\"type\":\"run\",\"schema\":1,\"teai_version\":\"0.1.0\",\"label\":\"srv \\\"A\\\", "
    "\\u00e9\",\"base_url\":\"http://127.0.0.1:8080\",\"model_name\":\"m\",\"endpoint\":"
    "\"completions\",\"arrival\":\"\",\"burstiness\":null,\"started\":\"2026-12-03T16:00:00Z\","
    "\"host\":\"h\",\"seed\":1,\"input_len\":\"8\",\"output_len\":\"4\",\"dataset\":null,"
    "\"slo\":{\"ttft_ms\":150,\"tpot_ms\":60,\"e2el_ms\":null},\"future\":[1,{\"x\":2}]}\n"
    /* level c=1: A and B of fill_requests */
    "{\"type\":\"request\",\"mode\":\"concurrency\",\"concurrency\":1,\"rate\":null,\"index\":0,"
    "\"warmup\":false,\"start_s\":0,\"ttft_ms\":100,\"tpot_ms\":50,\"e2el_ms\":300,"
    "\"itl_ms\":[40,60,50,50],\"prompt_tokens\":10,\"completion_tokens\":5,\"http_status\":200,"
    "\"ok\":true,\"error\":\"\"}\n"
    "this is not JSON\n"
    "{\"type\":\"request\",\"mode\":\"concurrency\",\"concurrency\":1,\"rate\":null,\"index\":1,"
    "\"warmup\":false,\"start_s\":0.5,\"ttft_ms\":200,\"tpot_ms\":100,\"e2el_ms\":500,"
    "\"itl_ms\":[100, 100 ,1e2],\"prompt_tokens\":10,\"completion_tokens\":4,\"http_status\":200,"
    "\"ok\":true,\"error\":\"\"}\n"
    "{\"type\":\"level\",\"mode\":\"concurrency\",\"concurrency\":1,\"rate\":null,\"requests\":2,"
    "\"saturated\":false,\"stopped\":\"\"}\n"
    "{\"type\":\"heartbeat\",\"t\":3}\n"
    "\n"
    /* level rate inf: one error */
    "{\"type\":\"request\",\"mode\":\"rate\",\"concurrency\":null,\"rate\":\"inf\",\"index\":0,"
    "\"warmup\":false,\"start_s\":2,\"ttft_ms\":null,\"tpot_ms\":null,\"e2el_ms\":20,"
    "\"itl_ms\":[],\"prompt_tokens\":null,\"completion_tokens\":null,\"http_status\":503,"
    "\"ok\":false,\"error\":\"HTTP 503: server_busy\"}\n"
    "{\"type\":\"level\",\"mode\":\"rate\",\"concurrency\":null,\"rate\":\"inf\",\"requests\":1,"
    "\"saturated\":true,\"stopped\":\"latency grew\"}\n"
    "{\"type\":\"request\",\"mode\":\"rate\",\"conc"; /* torn: the run was killed */

static void test_run_read(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "load-a.jsonl");
    write_text(path, log_text);
    notes ns = {0};
    teai_serving_run *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_serving_run_read(path, on_note, &ns, &r, &err), TEAI_OK);
    ASSERT_EQ(ns.n, 2); /* the garbage line and the torn one */
    ASSERT_EQ(ns.torn, 1);
    ASSERT_TRUE(strstr(ns.last, ":10:") != NULL); /* names the line */
    ASSERT_STREQ(r->label, "srv \"A\", \xc3\xa9");
    ASSERT_STREQ(r->endpoint, "completions");
    ASSERT_STREQ(r->status, ""); /* no end line */
    ASSERT_TRUE(isnan(r->burstiness));
    ASSERT_NEAR(r->slo.ttft_ms, 150, 0);
    ASSERT_NEAR(r->slo.tpot_ms, 60, 0);
    ASSERT_TRUE(isnan(r->slo.e2el_ms));
    ASSERT_EQ(r->n_levels, 2);
    const teai_serving_level *l = &r->levels[0];
    ASSERT_STREQ(l->mode, "concurrency");
    ASSERT_NEAR(l->concurrency, 1, 0);
    ASSERT_TRUE(isnan(l->rate));
    ASSERT_EQ(l->n_req, 2);
    ASSERT_EQ(l->saturated, 0);
    ASSERT_EQ(l->req[1].n_itl, 3);
    ASSERT_NEAR(l->req[1].itl_ms[2], 100, 0);
    ASSERT_NEAR(l->req[0].itl_ms[1], 60, 0);
    ASSERT_EQ(l->req[0].completion_tokens, 5);
    teai_serving_summary s;
    ASSERT_EQ(teai_serving_summarize(l->req, l->n_req, &r->slo, &s, &err), TEAI_OK);
    ASSERT_EQ(s.good, 1); /* B's TTFT misses 150 ms */
    ASSERT_NEAR(s.duration_s, 1, 1e-12);
    ASSERT_NEAR(s.itl.p[0], 60, 1e-12); /* {40,50,50,60,100,100,100} */
    double *v;
    size_t n;
    ASSERT_EQ(teai_serving_values(l, TEAI_SERVING_ITL, &v, &n, &err), TEAI_OK);
    ASSERT_EQ(n, 7);
    free(v);
    ASSERT_EQ(teai_serving_values(l, TEAI_SERVING_TTFT, &v, &n, &err), TEAI_OK);
    ASSERT_EQ(n, 2);
    ASSERT_NEAR(v[1], 200, 0);
    free(v);
    l = &r->levels[1];
    ASSERT_STREQ(l->mode, "rate");
    ASSERT_TRUE(isinf(l->rate));
    ASSERT_EQ(l->saturated, 1);
    ASSERT_EQ(l->n_req, 1);
    ASSERT_EQ(l->req[0].http_status, 503);
    ASSERT_EQ(l->req[0].ok, 0);
    ASSERT_EQ(l->req[0].completion_tokens, -1);
    teai_serving_run_free(r);

    /* not a load log: no run line first */
    write_text(path, "{\"build_commit\":\"abc\",\"n_prompt\":512}\n");
    ASSERT_EQ(teai_serving_run_read(path, on_note, &ns, &r, &err), TEAI_EFORMAT);
    ASSERT_TRUE(r == NULL);
    write_text(path, "");
    ASSERT_EQ(teai_serving_run_read(path, on_note, &ns, &r, &err), TEAI_EFORMAT);
    unlink(path);
    ASSERT_EQ(teai_serving_run_read(path, on_note, &ns, &r, &err), TEAI_ENOTFOUND);
}

static void test_collate(void) {
    char dir[512], sub[600], p[700], csv[700];
    test_tmp_path(dir, sizeof dir, "serving-logs");
    snprintf(sub, sizeof sub, "%s/x-host2", dir);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    snprintf(csv, sizeof csv, "%s/serving.csv", dir);
    notes ns = {0};
    teai_error err = {0};
    long rows = -1;
    /* no load logs: nothing written */
    snprintf(p, sizeof p, "%s/llama-bench.jsonl", dir);
    write_text(p, "{\"build_commit\":\"abc\"}\n");
    ASSERT_EQ(teai_serving_collate(dir, csv, on_note, &ns, &rows, &err), TEAI_OK);
    ASSERT_EQ(rows, 0);
    ASSERT_TRUE(access(csv, F_OK) != 0);
    teai_serving_run **runs = (teai_serving_run **)1;
    char **rel = (char **)1;
    size_t n_runs = 9;
    ASSERT_EQ(teai_serving_runs_read(dir, on_note, &ns, &runs, &n_runs, &rel, &err), TEAI_OK);
    ASSERT_TRUE(runs == NULL && rel == NULL && n_runs == 0);

    snprintf(p, sizeof p, "%s/load-a.jsonl", dir);
    write_text(p, log_text);
    snprintf(p, sizeof p, "%s/load-b.jsonl", sub);
    write_text(p, "{\"type\":\"run\",\"label\":\"b\",\"slo\":null}\n"
                  "{\"type\":\"request\",\"mode\":\"concurrency\",\"concurrency\":4,"
                  "\"start_s\":1,\"ttft_ms\":10,\"tpot_ms\":null,\"e2el_ms\":10,\"itl_ms\":[],"
                  "\"completion_tokens\":1,\"ok\":true}\n"
                  "{\"type\":\"end\",\"status\":\"complete\"}\n");
    ASSERT_EQ(teai_serving_collate(dir, csv, on_note, &ns, &rows, &err), TEAI_OK);
    ASSERT_EQ(rows, 3);
    ASSERT_EQ(teai_serving_runs_read(dir, on_note, &ns, &runs, &n_runs, &rel, &err), TEAI_OK);
    ASSERT_EQ(n_runs, 2);
    ASSERT_STREQ(rel[1], "x-host2/load-b.jsonl");
    ASSERT_STREQ(runs[1]->label, "b");
    for (size_t i = 0; i < n_runs; i++) free(rel[i]);
    free(rel);
    teai_serving_runs_free(runs, n_runs);
    teai_serving_table *t = NULL;
    ASSERT_EQ(teai_serving_table_read(csv, on_note, &ns, &t, &err), TEAI_OK);
    ASSERT_EQ(teai_serving_table_rows(t), 3);
    ASSERT_EQ(teai_serving_csv_n_cols(), 28 + 4 * 9);
    char name[64];
    ASSERT_EQ(teai_serving_csv_col(28 + 9 + 8, name, sizeof name), (int)strlen("tpot_p99_hi_ms"));
    ASSERT_STREQ(name, "tpot_p99_hi_ms");
    ASSERT_EQ(teai_serving_table_col(t, "e2el_p99_hi_ms"), 63);
    /* rows: load-a.jsonl's two levels, then x-host2/load-b.jsonl (byte order) */
    ASSERT_STREQ(teai_serving_table_str(t, 0, "label"), "srv \"A\", \xc3\xa9");
    ASSERT_STREQ(teai_serving_table_str(t, 0, "log_file"), "load-a.jsonl");
    ASSERT_STREQ(teai_serving_table_str(t, 0, "concurrency"), "1");
    ASSERT_STREQ(teai_serving_table_str(t, 0, "rate"), ""); /* not measured: empty */
    ASSERT_NEAR(teai_serving_table_num(t, 0, "ttft_p50_ms"), 150, 1e-12);
    ASSERT_NEAR(teai_serving_table_num(t, 0, "goodput"), 1, 1e-12); /* 1 good over 1 s */
    ASSERT_NEAR(teai_serving_table_num(t, 0, "output_throughput"), 9, 1e-12);
    ASSERT_STREQ(teai_serving_table_str(t, 0, "ttft_p50_lo_ms"), "");
    ASSERT_STREQ(teai_serving_table_str(t, 0, "slo_e2el_ms"), "");
    ASSERT_STREQ(teai_serving_table_str(t, 0, "slo_ttft_ms"), "150");
    ASSERT_STREQ(teai_serving_table_str(t, 1, "rate"), "inf");
    ASSERT_STREQ(teai_serving_table_str(t, 1, "saturated"), "1");
    ASSERT_STREQ(teai_serving_table_str(t, 1, "errors"), "1");
    ASSERT_STREQ(teai_serving_table_str(t, 1, "ttft_mean_ms"), ""); /* no ok request */
    ASSERT_STREQ(teai_serving_table_str(t, 1, "error_rate"), "1");
    ASSERT_STREQ(teai_serving_table_str(t, 2, "log_file"), "x-host2/load-b.jsonl");
    ASSERT_STREQ(teai_serving_table_str(t, 2, "status"), "complete");
    ASSERT_STREQ(teai_serving_table_str(t, 2, "goodput"), ""); /* no SLO */
    ASSERT_STREQ(teai_serving_table_str(t, 2, "tpot_p50_ms"), "");
    ASSERT_TRUE(isnan(teai_serving_table_num(t, 2, "tpot_p50_ms")));
    ASSERT_STREQ(teai_serving_table_str(t, 2, "no_such_column"), "");
    teai_serving_table_free(t);
    char lv[32];
    teai_serving_level_name(lv, sizeof lv, "concurrency", 8, NAN);
    ASSERT_STREQ(lv, "c=8");
    teai_serving_level_name(lv, sizeof lv, "rate", NAN, 2.5);
    ASSERT_STREQ(lv, "2.5 req/s");
    unlink(csv);
    unlink(p);
    rmdir(sub);
    snprintf(p, sizeof p, "%s/load-a.jsonl", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/llama-bench.jsonl", dir);
    unlink(p);
    rmdir(dir);
    ASSERT_EQ(teai_serving_collate(dir, csv, on_note, &ns, &rows, &err), TEAI_ENOTFOUND);
}

#if TEAI_HAVE_CAIRO
#include "plot/figures.h"

/* The serving figures from a serving.csv: drawn when a level has a
 * throughput and a percentile; skipped, saying why, when every request
 * failed; a missing cell is no point, not a zero. */
static void test_figures(void) {
    char dir[512], csv[600], png[600];
    test_tmp_path(dir, sizeof dir, "serving-fig");
    mkdir(dir, 0755);
    snprintf(csv, sizeof csv, "%s/serving.csv", dir);
    snprintf(png, sizeof png, "%s/curve.png", dir);
    write_text(csv, "label,mode,concurrency,rate,requests,output_throughput,ttft_p50_ms,"
                    "ttft_p99_ms,tpot_p99_ms\r\n"
                    "a,concurrency,1,,10,50,20,30,10\r\n"
                    "a,concurrency,4,,10,120,60,90,14\r\n"
                    "b,concurrency,4,,10,,70,95,\r\n" /* no throughput: no point */
                    "b,concurrency,1,,10,40,25,35,12\r\n");
    notes ns = {0};
    teai_serving_table *t = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_serving_table_read(csv, on_note, &ns, &t, &err), TEAI_OK);
    char msg[1024];
    teai_plot_params pp = teai_plot_default_params();
    int r = teai_serving_figure_write(TEAI_SFIG_SERVING_CURVE, t, png, TEAI_PLOT_PNG, &pp, msg,
                                      sizeof msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "a at c=4, 120 tokens/s") != NULL); /* the highest throughput */
    ASSERT_TRUE(access(png, F_OK) == 0);
    unlink(png);
    r = teai_serving_figure_write(TEAI_SFIG_LATENCY_BREAKDOWN, t, png, TEAI_PLOT_PNG, &pp, msg,
                                  sizeof msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "95 ms") != NULL); /* b at c=4 has the highest TTFT p99 */
    teai_serving_table_free(t);
    unlink(png);
    write_text(csv, "label,mode,concurrency,rate,requests,output_throughput,ttft_p50_ms\r\n"
                    "dead,rate,,inf,3,,\r\n");
    ASSERT_EQ(teai_serving_table_read(csv, on_note, &ns, &t, &err), TEAI_OK);
    ASSERT_TRUE(isinf(teai_serving_table_num(t, 0, "rate")));
    for (int f = 0; f < TEAI_SFIG_N; f++) {
        r = teai_serving_figure_write(f, t, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
        ASSERT_EQ(r, 0);
        ASSERT_TRUE(strstr(msg, "every request failed") != NULL);
        ASSERT_TRUE(access(png, F_OK) != 0); /* nothing written */
    }
    ASSERT_TRUE(teai_serving_figure_name(TEAI_SFIG_N) == NULL);
    teai_serving_table_free(t);
    unlink(csv);
    rmdir(dir);
}
#endif

int main(void) {
    RUN_TEST(test_quantile_interval);
    RUN_TEST(test_summarize);
    RUN_TEST(test_summarize_intervals);
    RUN_TEST(test_run_read);
    RUN_TEST(test_collate);
#if TEAI_HAVE_CAIRO
    RUN_TEST(test_figures);
#endif
    TEST_MAIN_END();
}
#else
int main(void) {
    test_skip("teai built without the analysis library (TEAI_HAVE_ANALYSIS)");
}
#endif
