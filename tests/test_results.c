/* The teai log: writer -> reader round trip of every field (NAN -> empty
 * cell, text with quotes, commas, newlines and invalid UTF-8), the file name,
 * refused headers, the device-state events (rep_sensors, cooldown, samples;
 * garbage in them; samples written from a second thread), what a killed run
 * leaves (a cut last line is skipped and reported as file:line; a real
 * kill -9 leaves only complete lines), and the header-only reader (the
 * header and how the log ended). */
#include "results/results_impl.h"
#include "test_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

typedef struct notes {
    char text[8192];
    int n;
} notes;

static void take_note(void *ud, const char *line) {
    notes *n = ud;
    size_t len = strlen(n->text);
    snprintf(n->text + len, sizeof n->text - len, "%s\n", line);
    n->n++;
}

/* The header the bench command writes (results.h), with the given backend. */
#define N_KV 32
static void bench_header(teai_kv kv[N_KV], const char *backend) {
    static const char *const keys[N_KV] = {"platform",
                                           "release",
                                           "device",
                                           "username",
                                           "hostname",
                                           "size",
                                           "quantize",
                                           "seed",
                                           "uuid",
                                           "backend",
                                           "backend_version",
                                           "model",
                                           "model_bytes",
                                           "model_sha256",
                                           "synthetic",
                                           "weight_format",
                                           "bits_per_weight",
                                           "threads",
                                           "prompt_tokens",
                                           "n_gen",
                                           "repetitions",
                                           "warmup",
                                           "cpu",
                                           "cpu_features",
                                           "n_cpus",
                                           "ram_bytes",
                                           "gpu",
                                           "teai_version",
                                           "teai_commit",
                                           "compiler",
                                           "cflags",
                                           "start_time"};
    static const char *const values[N_KV] = {"Linux",
                                             "6.1.0",
                                             "Xeon, 2.2GHz",
                                             "alice",
                                             "host1",
                                             "1B",
                                             "nf4",
                                             "42",
                                             "0badf00d",
                                             NULL,
                                             "teai 0.1.0",
                                             "/m/tiny.gguf",
                                             "1048576",
                                             "ab12",
                                             "1",
                                             "nf4",
                                             "4.5",
                                             "2",
                                             "7",
                                             "2",
                                             "2",
                                             "1",
                                             "Xeon \"Gold\"",
                                             "avx2 fma",
                                             "2",
                                             "8335089664",
                                             "",
                                             "0.1.0",
                                             "0123456789ab",
                                             "GNU 12.2.0",
                                             "-O3",
                                             "2026-11-27T03:10:00Z"};
    for (int i = 0; i < N_KV; i++) {
        kv[i].key = keys[i];
        kv[i].value = i == 9 ? backend : values[i];
    }
}

static const char *tmp_dir(char *buf, size_t cap, const char *name) {
    test_tmp_path(buf, cap, name);
    test_system("rm -rf '%s'", buf);
    return buf;
}

/* The row with this repetition and step, or -1. */
static long find_row(const teai_log_rows *r, long long rep, long long step) {
    for (long i = 0; i < teai_log_rows_count(r); i++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%lld", rep);
        snprintf(b, sizeof b, "%lld", step);
        if (strcmp(teai_log_rows_cell(r, i, TEAI_COL_REPETITION, NULL), a) == 0 &&
            strcmp(teai_log_rows_cell(r, i, TEAI_COL_STEP, NULL), b) == 0)
            return i;
    }
    return -1;
}

#define CELL(r, row, col) teai_log_rows_cell((r), (row), TEAI_COL_##col, NULL)

/* not inlined: GCC 12 then takes the pointer it returns for one into its own
 * local (a false -Wdangling-pointer) */
__attribute__((noinline)) static char *slurp(const char *path, size_t *len) {
    char *data = NULL;
    teai_error err;
    if (teai__read_file(path, (size_t)1 << 30, &data, len, &err) != TEAI_OK) return NULL;
    return data;
}

/* ---- names -------------------------------------------------------------- */

static void test_prefix(void) {
    char p[TEAI_LOG_PREFIX_MAX];
    ASSERT_EQ(teai_log_prefix("tinygrad", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "");
    ASSERT_EQ(teai_log_prefix("llamacpp", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "llamacpp_");
    ASSERT_EQ(teai_log_prefix("llama-bench", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "llamacpp_");
    ASSERT_EQ(teai_log_prefix("mlc", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "mlc_");
    ASSERT_EQ(teai_log_prefix("mlc_llm", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "mlc_");
    ASSERT_EQ(teai_log_prefix("native", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "native_");
    ASSERT_EQ(teai_log_prefix("openai", p, sizeof p), TEAI_OK);
    ASSERT_STREQ(p, "openai_");
    ASSERT_EQ(teai_log_prefix("vllm-2.0", p, sizeof p), TEAI_OK); /* any other name */
    ASSERT_STREQ(p, "vllm-2.0_");
    ASSERT_EQ(teai_log_prefix("a/b", p, sizeof p), TEAI_EINVAL);
    ASSERT_EQ(teai_log_prefix("", p, sizeof p), TEAI_EINVAL);
    ASSERT_EQ(teai_log_prefix(NULL, p, sizeof p), TEAI_EINVAL);
    ASSERT_EQ(teai_log_prefix("..", p, sizeof p), TEAI_EINVAL);
    ASSERT_EQ(teai_log_prefix("native", p, 7), TEAI_ERANGE);
    ASSERT_EQ(teai_log_prefix("native", p, 8), TEAI_OK);

    char c[64];
    ASSERT_EQ(teai_log_csv_name("llama-bench", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "llamacpp");
    ASSERT_EQ(teai_log_csv_name("mlc", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "mlc_llm");
    ASSERT_EQ(teai_log_csv_name("tinygrad", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "tinygrad");
    ASSERT_EQ(teai_log_csv_name("native", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "native");
    ASSERT_EQ(teai_log_csv_name("../x y", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "_._x_y");
    ASSERT_EQ(teai_log_csv_name("", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "unknown");
    /* names collate writes itself */
    ASSERT_EQ(teai_log_csv_name("samples", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "samples_backend");
    ASSERT_EQ(teai_log_csv_name("accuracy", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "accuracy_backend");
    ASSERT_EQ(teai_log_csv_name("samples2", c, sizeof c), TEAI_OK);
    ASSERT_STREQ(c, "samples2");
}

static void test_columns(void) {
    ASSERT_EQ(TEAI_CSV_N_COLS, 78);
    static const char *const seed[16] = {"step",
                                         "enqueue_latency_ms",
                                         "total_latency_ms",
                                         "tokens_per_sec",
                                         "memory_throughput_gb_s",
                                         "param_throughput_gb_s",
                                         "generated_text",
                                         "platform",
                                         "release",
                                         "device",
                                         "username",
                                         "hostname",
                                         "size",
                                         "quantize",
                                         "seed",
                                         "uuid"};
    for (int i = 0; i < 16; i++) ASSERT_STREQ(teai_csv_column_name(i), seed[i]);
    ASSERT_EQ(teai_csv_column_index("log_file"), 56);
    /* 58-72 (1-based): a repetition's device state; 73-76: the log's */
    ASSERT_EQ(teai_csv_column_index("prefill_energy_j"), 57);
    ASSERT_EQ(teai_csv_column_index("cooldown_ms"), 71);
    ASSERT_EQ(teai_csv_column_index("energy_source"), 72);
    ASSERT_EQ(teai_csv_column_index("duration_s"), TEAI_CSV_N_COLS - 3);
    ASSERT_EQ(teai_csv_column_index("device_name"), TEAI_CSV_N_COLS - 1);
    ASSERT_EQ(teai_csv_column_index("nope"), -1);
    ASSERT_TRUE(teai_csv_column_name(TEAI_CSV_N_COLS) == NULL);
    ASSERT_EQ(TEAI_SAMPLE_N_COLS, 24);
    ASSERT_STREQ(teai_sample_column_name(0), "log_file");
    ASSERT_EQ(teai_sample_column_index("phase"), TEAI_SCOL_PHASE);
    ASSERT_EQ(teai_sample_column_index("load1"), TEAI_SAMPLE_N_COLS - 1);
    ASSERT_EQ(teai_sample_column_index("step"), -1);
    ASSERT_EQ(teai_sample_column_index(NULL), -1);
    ASSERT_TRUE(teai_sample_column_name(TEAI_SAMPLE_N_COLS) == NULL);
    ASSERT_TRUE(teai_sample_column_name(-1) == NULL);
}

static void test_numbers(void) {
    static const struct {
        double v;
        const char *s;
    } cases[] = {{50, "50"},
                 {44.77, "44.77"},
                 {1000 / 24.07, "41.54549231408392"},
                 {8e8, "800000000"},
                 {0.0001, "0.0001"},
                 {1e-5, "1e-05"},
                 {1.5e16, "1.5e+16"},
                 {0.1 + 0.2, "0.30000000000000004"},
                 {-2.5, "-2.5"}};
    char b[TEAI__NUM_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai__fmt_num(b, cases[i].v);
        ASSERT_STREQ(b, cases[i].s);
    }
    ASSERT_EQ(teai__fmt_num(b, NAN), 0);
    ASSERT_STREQ(b, "");
    ASSERT_EQ(teai__fmt_num(b, INFINITY), 0);
}

/* ---- round trip ----------------------------------------------------------- */

static const char weird[] = "a,b \"q\"\r\nline2\xff\xfe end\t\x01";

/* Writes the round-trip log into dir; its path into path. */
static int write_log(const char *dir, char *path, size_t cap, int close_it) {
    teai_kv kv[N_KV];
    bench_header(kv, "native");
    teai_log *log = NULL;
    teai_error err = {0};
    if (teai_log_open(dir, kv, N_KV, &log, &err) != TEAI_OK) {
        fprintf(stderr, "teai_log_open: %s\n", err.msg);
        return -1;
    }
    snprintf(path, cap, "%s", teai_log_path(log));
    int rc = teai_log_load(log, 12.5, NAN);
    rc = rc ? rc : teai_log_prefill(log, 0, 1, 7, 3.5, 4.25, 100, "Hi");
    teai_log_tok t0 = {0, 1, 1, 101, "x", 1, 10, 0.5, 14.25, 1.5, NAN};
    rc = rc ? rc : teai_log_token(log, &t0);
    teai_log_summary s0 = {0, 1, 7, 1, 2000, 99.5, 4.25, 10, 10, 10};
    rc = rc ? rc : teai_log_summary_event(log, &s0);
    rc = rc ? rc : teai_log_prefill(log, 1, 0, -1, NAN, NAN, -1, NULL);
    teai_log_tok t1 = {1, 0, 1, -1, weird, -1, NAN, NAN, NAN, NAN, NAN};
    rc = rc ? rc : teai_log_token(log, &t1);
    teai_log_tok t2 = {1, 0, 2, 7, "", 2, 40, INFINITY, 60, 2, 3};
    rc = rc ? rc : teai_log_token(log, &t2);
    rc = rc ? rc : teai_log_raw(log, 1, "enqueue in 1.0 ms \xc3");
    teai_log_summary s1 = {1, 0, -1, -1, NAN, NAN, NAN, NAN, NAN, NAN};
    rc = rc ? rc : teai_log_summary_event(log, &s1);
    if (rc != TEAI_OK) return -1;
    if (close_it) return teai_log_close(log, "ok", NULL, &err) == TEAI_OK ? 0 : -1;
    /* end it as a failed run, with an error message that needs escaping */
    return teai_log_close(log, "failed", "deliberately \"failed\"\n", &err) == TEAI_OK ? 0 : -1;
}

/* s sanitized: the expected text (n bytes) and number of replacements. */
static void check_clean(const char *s, size_t n, const char *want, size_t want_n, size_t bad) {
    teai_buf b;
    teai_buf_init(&b, 0);
    size_t n_bad = 99;
    ASSERT_EQ(teai__utf8_sanitize(&b, s, n, &n_bad), TEAI_OK);
    ASSERT_EQ(b.len, want_n);
    ASSERT_TRUE(memcmp(b.data, want, want_n) == 0);
    ASSERT_EQ(n_bad, bad);
    ASSERT_TRUE(teai__utf8_valid(b.data, b.len));
    teai_buf_free(&b);
}
#define CLEAN(s, want, bad) check_clean(s, sizeof s - 1, want, sizeof want - 1, bad)
#define FFFD                "\xef\xbf\xbd"

/* The one sanitizer (engine/util.c): one U+FFFD per maximal ill-formed part,
 * as Python's bytes.decode("utf-8", "replace") gives. */
static void test_utf8_sanitize(void) {
    CLEAN("", "", 0);
    CLEAN("plain ascii, \"quotes\"\r\n", "plain ascii, \"quotes\"\r\n", 0);
    CLEAN("nul\0kept", "nul\0kept", 0);               /* NUL is valid UTF-8 */
    CLEAN("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0); /* valid 4 bytes (U+1F600) */
    CLEAN("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", 0); /* U+10FFFF, the last */
    CLEAN("\xc3\xa9\xe2\x82\xac", "\xc3\xa9\xe2\x82\xac", 0);
    /* overlongs: C0/C1 never lead; E0 80.., F0 80.. are too short forms */
    CLEAN("\xc0\xaf", FFFD FFFD, 2);
    CLEAN("\xe0\x80\xaf", FFFD FFFD FFFD, 3);
    CLEAN("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD, 4);
    /* surrogates (ED A0..BF) and past U+10FFFF (F4 90.., F5..) */
    CLEAN("\xed\xa0\x80", FFFD FFFD FFFD, 3);
    CLEAN("a\xed\xbf\xbfz", "a" FFFD FFFD FFFD "z", 3);
    CLEAN("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4);
    CLEAN("\xf5\x80", FFFD FFFD, 2);
    /* cut short: the lead and its fitting continuation bytes are one part */
    CLEAN("x\xe2\x82", "x" FFFD, 1);
    CLEAN("\xf0\x9f\x98", FFFD, 1);
    CLEAN("\xe2\x82"
          "A",
          FFFD "A", 1);
    CLEAN("\xf0\x9f"
          "\xf0\x9f\x98\x80",
          FFFD "\xf0\x9f\x98\x80", 1);
    /* stray continuation bytes, one each */
    CLEAN("\x80\xbf", FFFD FFFD, 2);
    CLEAN("\xff\xfe", FFFD FFFD, 2);
    int cut = -1;
    ASSERT_EQ(teai__utf8_bad_len((const unsigned char *)"\xe2\x82", 2, &cut), 2);
    ASSERT_EQ(cut, 1);
    ASSERT_EQ(teai__utf8_bad_len((const unsigned char *)"\xe2\x82"
                                                        "A",
                                 3, &cut),
              2);
    ASSERT_EQ(cut, 0);
    ASSERT_EQ(teai__utf8_bad_len((const unsigned char *)"\xed\xa0", 2, &cut), 1);
    ASSERT_EQ(cut, 0);

    /* the CSV field and the JSON string writers go through it */
    teai_buf b;
    teai_buf_init(&b, 0);
    ASSERT_EQ(teai__csv_field(&b, "a,\xff\"", 4), TEAI_OK);
    ASSERT_EQ(b.len, 9);
    ASSERT_TRUE(memcmp(b.data, "\"a," FFFD "\"\"\"", 9) == 0);
    b.len = 0;
    size_t lossy = 0;
    ASSERT_EQ(teai__json_str(&b, "\xe2\x82\n", 3, &lossy), TEAI_OK);
    ASSERT_EQ(lossy, 1);
    ASSERT_EQ(b.len, 7);
    ASSERT_TRUE(memcmp(b.data, "\"" FFFD "\\n\"", 7) == 0);
    teai_buf_free(&b);
}

static void test_round_trip(void) {
    char dir[512], path[1024], want[1200];
    tmp_dir(dir, sizeof dir, "rt/nested");
    ASSERT_EQ(write_log(dir, path, sizeof path, 1), 0);
    snprintf(want, sizeof want, "%s/native_host1_1B_nf4_seed42_uuid0badf00d.txt", dir);
    ASSERT_STREQ(path, want);

    /* the file: header lines, format line, JSON lines, valid UTF-8 throughout */
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data != NULL);
    ASSERT_TRUE(teai__utf8_valid(data, len));
    ASSERT_TRUE(strncmp(data, "platform: Linux\nrelease: 6.1.0\n", 31) == 0);
    ASSERT_TRUE(strstr(data, "\nstart_time: 2026-11-27T03:10:00Z\nformat: teai-log 1\n{") != NULL);
    ASSERT_TRUE(strstr(data, "\"text_hex\":\"612c62202271220d0a6c696e6532fffe20656e640901\"") !=
                NULL);
    ASSERT_TRUE(strstr(data, "\"peak_rss_mb\":null") != NULL);
    ASSERT_TRUE(len > 0 && data[len - 1] == '\n');
    ASSERT_TRUE(strstr(data, "{\"event\":\"end\",\"status\":\"ok\",\"error\":null}\n") != NULL);
    free(data);

    notes n = {{0}, 0};
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_file(path, take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(n.n, 0);
    ASSERT_STREQ(teai_log_rows_format(r), "teai-log 1");
    ASSERT_STREQ(teai_log_rows_csv(r), "native");
    ASSERT_EQ(teai_log_rows_bad_lines(r), 0);
    ASSERT_EQ(teai_log_rows_count(r), 5);
    /* order: repetition, then step */
    static const int order[5][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}};
    for (int i = 0; i < 5; i++) ASSERT_EQ(find_row(r, order[i][0], order[i][1]), i);

    /* header fields on every row, verbatim */
    for (long i = 0; i < 5; i++) {
        ASSERT_STREQ(CELL(r, i, DEVICE), "Xeon, 2.2GHz");
        ASSERT_STREQ(CELL(r, i, UUID), "0badf00d");
        ASSERT_STREQ(CELL(r, i, SEED), "42");
        ASSERT_STREQ(CELL(r, i, BACKEND), "native");
        ASSERT_STREQ(CELL(r, i, BACKEND_VERSION), "teai 0.1.0");
        ASSERT_STREQ(CELL(r, i, MODEL_SHA256), "ab12");
        ASSERT_STREQ(CELL(r, i, SYNTHETIC), "1");
        ASSERT_STREQ(CELL(r, i, BITS_PER_WEIGHT), "4.5");
        ASSERT_STREQ(CELL(r, i, N_PROMPT), "7");
        ASSERT_STREQ(CELL(r, i, N_GEN), "2");
        ASSERT_STREQ(CELL(r, i, CPU), "Xeon \"Gold\"");
        ASSERT_STREQ(CELL(r, i, GPU), "");
        ASSERT_STREQ(CELL(r, i, RAM_BYTES), "8335089664");
        ASSERT_STREQ(CELL(r, i, TEAI_COMMIT), "0123456789ab");
        ASSERT_STREQ(CELL(r, i, START_TIME), "2026-11-27T03:10:00Z");
        ASSERT_STREQ(CELL(r, i, LOAD_MS), "12.5");
        ASSERT_STREQ(CELL(r, i, PEAK_RSS_MB), ""); /* NAN */
        ASSERT_STREQ(CELL(r, i, STATUS), "ok");
        ASSERT_STREQ(CELL(r, i, ERROR), "");
        ASSERT_STREQ(CELL(r, i, SOURCE_FORMAT), "teai-log 1");
        ASSERT_STREQ(CELL(r, i, LOG_FILE), "native_host1_1B_nf4_seed42_uuid0badf00d.txt");
    }
    /* a token with every field known */
    long t = 1;
    ASSERT_STREQ(CELL(r, t, STEP), "1");
    ASSERT_STREQ(CELL(r, t, WARMUP), "1");
    ASSERT_STREQ(CELL(r, t, TOKEN_ID), "101");
    ASSERT_STREQ(CELL(r, t, TOKENS_IN_CHUNK), "1");
    ASSERT_STREQ(CELL(r, t, TOTAL_MS), "10");
    ASSERT_STREQ(CELL(r, t, TOK_S), "100");
    ASSERT_STREQ(CELL(r, t, ENQUEUE_MS), "0.5");
    ASSERT_STREQ(CELL(r, t, T_MS), "14.25");
    ASSERT_STREQ(CELL(r, t, MEM_GB_S), "1.5");
    ASSERT_STREQ(CELL(r, t, PARAM_GB_S), ""); /* NAN */
    ASSERT_STREQ(CELL(r, t, TEXT), "x");
    ASSERT_STREQ(CELL(r, t, PREFILL_MS), ""); /* step 0 only */
    /* its repetition's summary */
    long s = 0;
    ASSERT_STREQ(CELL(r, s, STEP), "0");
    ASSERT_STREQ(CELL(r, s, WARMUP), "1");
    ASSERT_STREQ(CELL(r, s, TEXT), "Hix");
    ASSERT_STREQ(CELL(r, s, TOKENS_IN_CHUNK), "1");
    ASSERT_STREQ(CELL(r, s, TOTAL_MS), "10");
    ASSERT_STREQ(CELL(r, s, TOK_S), "99.5"); /* the summary's decode rate */
    ASSERT_STREQ(CELL(r, s, ENQUEUE_MS), "0.5");
    ASSERT_STREQ(CELL(r, s, PREFILL_TOKENS), "7");
    ASSERT_STREQ(CELL(r, s, PREFILL_MS), "3.5");
    ASSERT_STREQ(CELL(r, s, PREFILL_TOK_S), "2000");
    ASSERT_STREQ(CELL(r, s, TTFT_MS), "4.25");
    ASSERT_STREQ(CELL(r, s, P50_MS), "10");
    ASSERT_STREQ(CELL(r, s, P99_MS), "10");
    ASSERT_STREQ(CELL(r, s, RUN_MS), "14.25");
    ASSERT_STREQ(CELL(r, s, E2E_TOK_S), "140.35087719298247"); /* 2 tokens / 14.25 ms */
    ASSERT_STREQ(CELL(r, s, MEM_GB_S), "");
    ASSERT_STREQ(CELL(r, s, TOKEN_ID), "");
    /* a token where nothing is known but its text, which is not UTF-8 */
    t = 3;
    size_t n_text;
    const char *text = teai_log_rows_cell(r, t, TEAI_COL_TEXT, &n_text);
    ASSERT_EQ(n_text, sizeof weird - 1);
    ASSERT_TRUE(memcmp(text, weird, n_text) == 0);
    ASSERT_STREQ(CELL(r, t, TOKEN_ID), "");
    ASSERT_STREQ(CELL(r, t, TOKENS_IN_CHUNK), "");
    ASSERT_STREQ(CELL(r, t, TOTAL_MS), "");
    ASSERT_STREQ(CELL(r, t, TOK_S), "");
    ASSERT_STREQ(CELL(r, t, ENQUEUE_MS), "");
    ASSERT_STREQ(CELL(r, t, T_MS), "");
    ASSERT_STREQ(CELL(r, t, WARMUP), "0");
    /* a chunk of 2 tokens; enqueue infinite -> unknown */
    t = 4;
    ASSERT_STREQ(CELL(r, t, TEXT), "");
    ASSERT_STREQ(CELL(r, t, TOKENS_IN_CHUNK), "2");
    ASSERT_STREQ(CELL(r, t, TOK_S), "50");
    ASSERT_STREQ(CELL(r, t, ENQUEUE_MS), "");
    ASSERT_STREQ(CELL(r, t, MEM_GB_S), "2");
    ASSERT_STREQ(CELL(r, t, PARAM_GB_S), "3");
    /* the second repetition's summary: the unknowns stay unknown */
    s = 2;
    ASSERT_STREQ(CELL(r, s, WARMUP), "0");
    text = teai_log_rows_cell(r, s, TEAI_COL_TEXT, &n_text);
    ASSERT_EQ(n_text, sizeof weird - 1);
    ASSERT_TRUE(memcmp(text, weird, n_text) == 0);
    ASSERT_STREQ(CELL(r, s, TOKENS_IN_CHUNK), "");
    ASSERT_STREQ(CELL(r, s, TOTAL_MS), "");
    ASSERT_STREQ(CELL(r, s, TOK_S), "");
    ASSERT_STREQ(CELL(r, s, PREFILL_TOKENS), "");
    ASSERT_STREQ(CELL(r, s, PREFILL_MS), "");
    ASSERT_STREQ(CELL(r, s, PREFILL_TOK_S), "");
    ASSERT_STREQ(CELL(r, s, TTFT_MS), "");
    ASSERT_STREQ(CELL(r, s, P50_MS), "");
    ASSERT_STREQ(CELL(r, s, RUN_MS), "60");
    ASSERT_STREQ(CELL(r, s, E2E_TOK_S), "");
    teai_log_rows_free(r);

    /* the same file cannot be created twice (never replaced) */
    teai_kv kv[N_KV];
    bench_header(kv, "native");
    teai_log *log = NULL;
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EIO);
    ASSERT_TRUE(log == NULL);
}

static void test_failed_status(void) {
    char dir[512], path[1024];
    tmp_dir(dir, sizeof dir, "failed");
    ASSERT_EQ(write_log(dir, path, sizeof path, 0), 0);
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_file(path, NULL, NULL, &r, &err), TEAI_OK);
    ASSERT_STREQ(CELL(r, 0, STATUS), "failed");
    ASSERT_STREQ(CELL(r, 0, ERROR), "deliberately \"failed\"\n");
    teai_log_rows_free(r);

    /* an unknown status is refused, and the log still ends, as failed */
    tmp_dir(dir, sizeof dir, "badstatus");
    teai_kv kv[N_KV];
    bench_header(kv, "native");
    teai_log *log = NULL;
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_OK);
    snprintf(path, sizeof path, "%s", teai_log_path(log));
    ASSERT_EQ(teai_log_close(log, "great", NULL, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "great") != NULL);
    ASSERT_EQ(teai_log_read_file(path, NULL, NULL, &r, &err), TEAI_OK);
    ASSERT_EQ(teai_log_rows_count(r), 0);
    teai_log_rows_free(r);
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data && strstr(data, "\"status\":\"failed\"") != NULL);
    free(data);
    ASSERT_EQ(teai_log_close(NULL, "ok", NULL, &err), TEAI_OK);
}

static void test_header_refused(void) {
    char dir[512];
    tmp_dir(dir, sizeof dir, "refused");
    teai_kv kv[N_KV + 1];
    teai_log *log = NULL;
    teai_error err = {0};

    bench_header(kv, "native");
    kv[2].value = "two\nlines";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "device") != NULL);
    kv[2].value = "carriage\rreturn";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EINVAL);

    bench_header(kv, "native");
    ASSERT_EQ(teai_log_open(dir, kv, 8, &log, &err), TEAI_EINVAL); /* no uuid, no backend */
    ASSERT_TRUE(strstr(err.msg, "uuid is missing") != NULL);

    bench_header(kv, "native");
    kv[N_KV].key = "format";
    kv[N_KV].value = "teai-log 2";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV + 1, &log, &err), TEAI_EINVAL);
    kv[N_KV].key = "bad key";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV + 1, &log, &err), TEAI_EINVAL);

    bench_header(kv, "native");
    kv[4].value = "../etc";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "hostname") != NULL);
    kv[4].value = "";
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EINVAL);

    bench_header(kv, "no/slash");
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_EINVAL);
    ASSERT_TRUE(log == NULL);

    /* nothing was created */
    struct stat st;
    ASSERT_TRUE(stat(dir, &st) != 0);
}

/* ---- device state: rep_sensors, cooldown, sample ---------------------------- */

#define SCELL(r, row, col) teai_log_rows_sample_cell((r), (row), TEAI_SCOL_##col, NULL)

/* The bench header plus the sensor keys (values as the runner passes them). */
#define N_SKV (N_KV + 8)
static void sensor_header(teai_kv kv[N_SKV], const char *duration) {
    bench_header(kv, "native");
    static const char *const keys[8] = {"membw_gb_s", "energy_source", "sensors", "sample_hz",
                                        "cooldown",   "duration_s",    "machine", "device_name"};
    const char *values[8] = {"12.75",   "battery BAT0", "battery: BAT0, thermal: 3 zones, cpufreq",
                             "10",      "auto",         duration,
                             "aarch64", "pixel"};
    for (int i = 0; i < 8; i++) kv[N_KV + i] = (teai_kv){keys[i], values[i]};
}

/* One repetition of two tokens (and what the sensors said), the run's
 * samples before and in it, and a second repetition whose sensors knew
 * nothing. */
static int write_sensor_log(const char *dir, char *path, size_t cap) {
    teai_kv kv[N_SKV];
    sensor_header(kv, "300");
    teai_log *log = NULL;
    teai_error err = {0};
    if (teai_log_open(dir, kv, N_SKV, &log, &err) != TEAI_OK) return -1;
    snprintf(path, cap, "%s", teai_log_path(log));
    teai_log_smp idle = {0, -1, 0, "idle", 0, NAN, NAN, 41.5, 2200, 2100, NAN, -1, NAN, NAN, 0.25};
    teai_log_cool cool = {0, "auto", 42.5, 1500, 48, 42.25, 1};
    teai_log_smp dec = {1612.5, 0,      0, "decode", 7,    3.75, 2.5, 47.25,
                        1800,   1750.5, 3, 0,        12.5, 0.5,  1.5};
    teai_log_tok t1 = {0, 0, 1, 11, "B", 1, 25, 0.5, 34, NAN, NAN};
    teai_log_tok t2 = {0, 0, 2, 12, "C", 1, 15, 0.5, 49, NAN, NAN};
    teai_log_summary s0 = {0, 0, 4, 2, 500, 50, 9, NAN, NAN, NAN};
    teai_log_rep_sensors rs0 = {
        0,     0,    1.5,    3.25, 0.008, 0.04, 187.5, 81.25, 1.625, 0.61538461538461542,
        47.25, 1800, 1975.5, 1,    3.5,   0,    0,     30.5};
    teai_log_summary s1 = {1, 0, 4, 0, NAN, NAN, NAN, NAN, NAN, NAN};
    teai_log_rep_sensors rs1 = {1,   0,   NAN, NAN, NAN, NAN, NAN, NAN, NAN,
                                NAN, NAN, NAN, NAN, -1,  NAN, -1,  -1,  NAN};
    int rc = teai_log_sample(log, &idle);
    rc = rc ? rc : teai_log_cooldown(log, &cool);
    rc = rc ? rc : teai_log_prefill(log, 0, 0, 4, 8, 9, 10, "A");
    rc = rc ? rc : teai_log_token(log, &t1);
    rc = rc ? rc : teai_log_sample(log, &dec);
    rc = rc ? rc : teai_log_token(log, &t2);
    rc = rc ? rc : teai_log_summary_event(log, &s0);
    rc = rc ? rc : teai_log_rep_sensors_event(log, &rs0);
    rc = rc ? rc : teai_log_summary_event(log, &s1);
    rc = rc ? rc : teai_log_rep_sensors_event(log, &rs1);
    rc = rc ? rc : teai_log_sustained(log, 300, 30, 50.5, 60, NAN);
    int cl = teai_log_close(log, "ok", NULL, &err);
    return rc == TEAI_OK && cl == TEAI_OK ? 0 : -1;
}

static void test_sensor_events(void) {
    char dir[512], path[1024];
    tmp_dir(dir, sizeof dir, "sensors");
    ASSERT_EQ(write_sensor_log(dir, path, sizeof path), 0);

    /* the lines exactly as docs/log-format.md shows them */
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data != NULL);
    ASSERT_TRUE(strstr(data, "start_time: 2026-11-27T03:10:00Z\nmembw_gb_s: 12.75\n"
                             "energy_source: battery BAT0\n"
                             "sensors: battery: BAT0, thermal: 3 zones, cpufreq\n"
                             "sample_hz: 10\ncooldown: auto\nduration_s: 300\nmachine: aarch64\n"
                             "device_name: pixel\n"
                             "format: teai-log 1\n") != NULL);
    static const char *const lines[] = {
        "{\"event\":\"sample\",\"t_ms\":0,\"rep\":-1,\"warmup\":0,\"phase\":\"idle\",\"tokens\":0,"
        "\"energy_j\":null,\"power_w\":null,\"temp_c\":41.5,\"clock_mhz\":2200,\"clock_mean_mhz\":"
        "2100,\"throttle_count\":null,\"charging\":null,\"other_cpu_pct\":null,\"psi_some_pct\":"
        "null,\"load1\":0.25}\n",
        "{\"event\":\"cooldown\",\"rep\":0,\"mode\":\"auto\",\"target_c\":42.5,\"waited_ms\":1500,"
        "\"temp_start_c\":48,\"temp_end_c\":42.25,\"reached\":1}\n",
        "{\"event\":\"sample\",\"t_ms\":1612.5,\"rep\":0,\"warmup\":0,\"phase\":\"decode\","
        "\"tokens\":"
        "7,\"energy_j\":3.75,\"power_w\":2.5,\"temp_c\":47.25,\"clock_mhz\":1800,\"clock_mean_"
        "mhz\":"
        "1750.5,\"throttle_count\":3,\"charging\":0,\"other_cpu_pct\":12.5,\"psi_some_pct\":0.5,"
        "\"load1\":1.5}\n",
        "{\"event\":\"rep_sensors\",\"rep\":0,\"warmup\":0,\"prefill_j\":1.5,\"decode_j\":3.25,"
        "\"prefill_s\":0.008,\"decode_s\":0.04,\"prefill_w\":187.5,\"decode_w\":81.25,"
        "\"j_per_token\":1.625,\"tokens_per_j\":0.6153846153846154,\"temp_max_c\":47.25,"
        "\"clock_min_mhz\":1800,\"clock_mean_mhz\":1975.5,\"throttled\":1,\"other_cpu_pct\":3.5,"
        "\"noisy\":0,\"charging\":0,\"peak_rss_mb\":30.5}\n",
        "{\"event\":\"rep_sensors\",\"rep\":1,\"warmup\":0,\"prefill_j\":null,\"decode_j\":null,"
        "\"prefill_s\":null,\"decode_s\":null,\"prefill_w\":null,\"decode_w\":null,"
        "\"j_per_token\":null,\"tokens_per_j\":null,\"temp_max_c\":null,\"clock_min_mhz\":null,"
        "\"clock_mean_mhz\":null,\"throttled\":null,\"other_cpu_pct\":null,\"noisy\":null,"
        "\"charging\":null,\"peak_rss_mb\":null}\n",
        "{\"event\":\"sustained\",\"duration_s\":300,\"first_s\":30,\"first_tok_s\":50.5,"
        "\"last_s\":60,\"last_tok_s\":null}\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        if (!strstr(data, lines[i])) fprintf(stderr, "missing: %s", lines[i]);
        ASSERT_TRUE(strstr(data, lines[i]) != NULL);
    }
    free(data);

    notes n = {{0}, 0};
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_file(path, take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(n.n, 0);
    ASSERT_EQ(teai_log_rows_bad_lines(r), 0);
    ASSERT_EQ(teai_log_rows_count(r), 4); /* rep 0: step 0, 1, 2; rep 1: step 0 */
    long s0 = find_row(r, 0, 0), s1 = find_row(r, 1, 0);
    ASSERT_EQ(s0, 0);
    ASSERT_EQ(s1, 3);
    ASSERT_STREQ(CELL(r, s0, PREFILL_ENERGY_J), "1.5");
    ASSERT_STREQ(CELL(r, s0, DECODE_ENERGY_J), "3.25");
    ASSERT_STREQ(CELL(r, s0, PREFILL_POWER_W), "187.5");
    ASSERT_STREQ(CELL(r, s0, DECODE_POWER_W), "81.25");
    ASSERT_STREQ(CELL(r, s0, J_PER_TOKEN), "1.625");
    ASSERT_STREQ(CELL(r, s0, TOKENS_PER_J), "0.6153846153846154");
    ASSERT_STREQ(CELL(r, s0, TEMP_MAX_C), "47.25");
    ASSERT_STREQ(CELL(r, s0, CLOCK_MIN_MHZ), "1800");
    ASSERT_STREQ(CELL(r, s0, CLOCK_MEAN_MHZ), "1975.5");
    ASSERT_STREQ(CELL(r, s0, THROTTLED), "1");
    ASSERT_STREQ(CELL(r, s0, OTHER_CPU_PCT), "3.5");
    ASSERT_STREQ(CELL(r, s0, NOISY), "0");
    ASSERT_STREQ(CELL(r, s0, CHARGING), "0");
    ASSERT_STREQ(CELL(r, s0, RUN_PEAK_RSS_MB), "30.5");
    ASSERT_STREQ(CELL(r, s0, COOLDOWN_MS), "1500");
    ASSERT_STREQ(CELL(r, s0, TOK_S), "50"); /* the rest of step 0 as before */
    /* step >= 1 rows: none of the repetition's columns */
    for (int c = TEAI_COL_PREFILL_ENERGY_J; c <= TEAI_COL_COOLDOWN_MS; c++) {
        ASSERT_STREQ(teai_log_rows_cell(r, 1, c, NULL), "");
        ASSERT_STREQ(teai_log_rows_cell(r, 2, c, NULL), "");
        ASSERT_STREQ(teai_log_rows_cell(r, s1, c, NULL), ""); /* nothing known, no cooldown */
    }
    /* the header's on every row */
    for (long i = 0; i < 4; i++) {
        ASSERT_STREQ(CELL(r, i, ENERGY_SOURCE), "battery BAT0");
        ASSERT_STREQ(CELL(r, i, MEMBW_GB_S), "12.75");
        ASSERT_STREQ(CELL(r, i, SENSORS), "battery: BAT0, thermal: 3 zones, cpufreq");
        ASSERT_STREQ(CELL(r, i, DURATION_S), "300");
        ASSERT_STREQ(CELL(r, i, MACHINE), "aarch64");
        ASSERT_STREQ(CELL(r, i, DEVICE_NAME), "pixel");
    }

    /* the samples, in log order, the log's identity on each */
    ASSERT_EQ(teai_log_rows_sample_count(r), 2);
    for (long i = 0; i < 2; i++) {
        ASSERT_STREQ(SCELL(r, i, LOG_FILE), "native_host1_1B_nf4_seed42_uuid0badf00d.txt");
        ASSERT_STREQ(SCELL(r, i, BACKEND), "native");
        ASSERT_STREQ(SCELL(r, i, HOSTNAME), "host1");
        ASSERT_STREQ(SCELL(r, i, DEVICE), "Xeon, 2.2GHz");
        ASSERT_STREQ(SCELL(r, i, SIZE), "1B");
        ASSERT_STREQ(SCELL(r, i, QUANTIZE), "nf4");
        ASSERT_STREQ(SCELL(r, i, WEIGHT_FORMAT), "nf4");
        ASSERT_STREQ(SCELL(r, i, THREADS), "2");
        ASSERT_STREQ(SCELL(r, i, DURATION_S), "300");
    }
    ASSERT_STREQ(SCELL(r, 0, REPETITION), ""); /* -1: before the first */
    ASSERT_STREQ(SCELL(r, 0, WARMUP), "0");
    ASSERT_STREQ(SCELL(r, 0, PHASE), "idle");
    ASSERT_STREQ(SCELL(r, 0, T_MS), "0");
    ASSERT_STREQ(SCELL(r, 0, TOKENS), "0");
    ASSERT_STREQ(SCELL(r, 0, ENERGY_J), "");
    ASSERT_STREQ(SCELL(r, 0, TEMP_C), "41.5");
    ASSERT_STREQ(SCELL(r, 0, CLOCK_MHZ), "2200");
    ASSERT_STREQ(SCELL(r, 0, CHARGING), "");
    ASSERT_STREQ(SCELL(r, 0, OTHER_CPU_PCT), "");
    ASSERT_STREQ(SCELL(r, 0, LOAD1), "0.25");
    static const char *const want1[TEAI_SAMPLE_N_COLS] = {
        [TEAI_SCOL_REPETITION] = "0",       [TEAI_SCOL_WARMUP] = "0",
        [TEAI_SCOL_PHASE] = "decode",       [TEAI_SCOL_T_MS] = "1612.5",
        [TEAI_SCOL_TOKENS] = "7",           [TEAI_SCOL_ENERGY_J] = "3.75",
        [TEAI_SCOL_POWER_W] = "2.5",        [TEAI_SCOL_TEMP_C] = "47.25",
        [TEAI_SCOL_CLOCK_MHZ] = "1800",     [TEAI_SCOL_CLOCK_MEAN_MHZ] = "1750.5",
        [TEAI_SCOL_THROTTLE_COUNT] = "3",   [TEAI_SCOL_CHARGING] = "0",
        [TEAI_SCOL_OTHER_CPU_PCT] = "12.5", [TEAI_SCOL_PSI_SOME_PCT] = "0.5",
        [TEAI_SCOL_LOAD1] = "1.5"};
    for (int c = TEAI_SCOL_REPETITION; c < TEAI_SAMPLE_N_COLS; c++)
        ASSERT_STREQ(teai_log_rows_sample_cell(r, 1, c, NULL), want1[c]);
    ASSERT_STREQ(teai_log_rows_sample_cell(r, 2, 0, NULL), ""); /* out of range */
    ASSERT_STREQ(teai_log_rows_sample_cell(r, 0, TEAI_SAMPLE_N_COLS, NULL), "");
    teai_log_rows_free(r);
}

/* Garbage in the new events: empty cells and a note each, never a crash;
 * events without a rep (or a sample without t_ms) skipped as bad lines; a
 * repetition known from its rep_sensors alone still has its step-0 row, one
 * with only a cooldown (it never started) has none. */
static void test_sensor_garbage(void) {
    static const char log[] =
        "backend: native\nhostname: h\nmembw_gb_s: \nformat: teai-log 1\n"
        "{\"event\":\"cooldown\",\"rep\":0,\"mode\":\"seconds\",\"waited_ms\":\"long\"}\n"
        "{\"event\":\"rep_sensors\",\"rep\":0,\"warmup\":1,\"prefill_j\":\"1.5\",\"decode_j\":"
        "1e999,"
        "\"decode_w\":-1e999,\"temp_max_c\":1e300,\"throttled\":2,\"noisy\":true,\"charging\":0.5,"
        "\"peak_rss_mb\":[1],\"clock_min_mhz\":{},\"other_cpu_pct\":null}\n"
        "{\"event\":\"rep_sensors\",\"warmup\":0,\"decode_j\":1}\n"
        "{\"event\":\"rep_sensors\",\"rep\":1.5,\"decode_j\":1}\n"
        "{\"event\":\"cooldown\",\"rep\":\"1\",\"waited_ms\":5}\n"
        "{\"event\":\"cooldown\",\"rep\":7,\"waited_ms\":5}\n"
        "{\"event\":\"sample\",\"rep\":-2,\"t_ms\":1}\n"
        "{\"event\":\"sample\",\"rep\":0,\"t_ms\":null}\n"
        "{\"event\":\"sample\",\"rep\":0,\"t_ms\":5,\"phase\":7,\"tokens\":-3,\"energy_j\":\"x\","
        "\"charging\":3,\"load1\":1e999,\"temp_c\":99999}\n"
        "{\"event\":\"sample\",\"rep\":0,\"t_ms\":6,\"phase\":\"\\ufffd\",\"phase_hex\":\"ff\","
        "\"tokens\":2.5}\n"
        "{\"event\":\"end\",\"status\":\"ok\",\"error\":null}\n";
    notes n = {{0}, 0};
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_mem(log, sizeof log - 1, "g.txt", take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(teai_log_rows_bad_lines(r), 5);
    ASSERT_TRUE(strstr(n.text, "g.txt:5: cooldown: \"waited_ms\" is not a finite number, left "
                               "empty\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:6: rep_sensors: \"prefill_j\" is not a finite number") !=
                NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:6: rep_sensors: \"decode_j\" is not a finite number") !=
                NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:6: rep_sensors: \"throttled\" is not 0 or 1, left "
                               "empty\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:6: rep_sensors: \"charging\" is not 0 or 1") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:6: rep_sensors: \"noisy\" is not a finite number") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:7: rep_sensors event without a rep, skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:8: rep_sensors event without a rep, skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:9: cooldown event without a rep, skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:11: sample event without a rep, skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:12: sample event without a t_ms, skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:13: sample: \"phase\" is not a string") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:13: sample: \"tokens\" is not a count") != NULL);
    ASSERT_TRUE(strstr(n.text, "g.txt:14: sample: \"tokens\" is not a count") != NULL);
    ASSERT_TRUE(strstr(n.text, "other_cpu_pct") == NULL); /* null is unknown, not garbage */
    /* rep 0 from its rep_sensors alone; rep 7 had only a cooldown */
    ASSERT_EQ(teai_log_rows_count(r), 1);
    ASSERT_STREQ(CELL(r, 0, REPETITION), "0");
    ASSERT_STREQ(CELL(r, 0, WARMUP), "1");
    ASSERT_STREQ(CELL(r, 0, TOK_S), "");
    ASSERT_STREQ(CELL(r, 0, TEMP_MAX_C), "1e+300"); /* finite: as logged */
    for (int c = TEAI_COL_PREFILL_ENERGY_J; c <= TEAI_COL_DURATION_S; c++)
        if (c != TEAI_COL_TEMP_MAX_C) ASSERT_STREQ(teai_log_rows_cell(r, 0, c, NULL), "");
    ASSERT_EQ(teai_log_rows_sample_count(r), 2);
    ASSERT_STREQ(SCELL(r, 0, T_MS), "5");
    ASSERT_STREQ(SCELL(r, 0, PHASE), "");
    ASSERT_STREQ(SCELL(r, 0, TOKENS), "");
    ASSERT_STREQ(SCELL(r, 0, ENERGY_J), "");
    ASSERT_STREQ(SCELL(r, 0, CHARGING), "");
    ASSERT_STREQ(SCELL(r, 0, LOAD1), "");
    ASSERT_STREQ(SCELL(r, 0, TEMP_C), "99999");
    ASSERT_STREQ(SCELL(r, 0, HOSTNAME), "h");
    ASSERT_STREQ(SCELL(r, 0, DEVICE), "");
    size_t plen = 0;
    ASSERT_STREQ(teai_log_rows_sample_cell(r, 1, TEAI_SCOL_PHASE, &plen), "\xff"); /* exact */
    ASSERT_EQ(plen, 1);
    teai_log_rows_free(r);
}

/* The sampler thread writes samples while the runner writes its tokens:
 * every line is complete JSON, none lost, none mixed. */
typedef struct sampler_arg {
    teai_log *log;
    int n, failed;
} sampler_arg;

static void *sampler_main(void *p) {
    sampler_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        teai_log_smp s = {i * 100.0, i / 50,  0,   i % 2 ? "decode" : "prefill",
                          i,         0.5 * i, 2.5, 45,
                          1800,      1700,    0,   0,
                          1,         0.25,    0.5};
        if (teai_log_sample(a->log, &s) != TEAI_OK) a->failed++;
    }
    return NULL;
}

static void test_concurrent_samples(void) {
    char dir[512], path[1024];
    tmp_dir(dir, sizeof dir, "threads");
    teai_kv kv[N_KV];
    bench_header(kv, "native");
    teai_log *log = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_OK);
    snprintf(path, sizeof path, "%s", teai_log_path(log));
    enum { N_SAMPLES = 3000, N_TOKENS = 3000 };
    sampler_arg a = {log, N_SAMPLES, 0};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, sampler_main, &a), 0);
    char text[200];
    memset(text, 'z', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    int failed = 0;
    for (int i = 1; i <= N_TOKENS; i++) {
        teai_log_tok t = {0, 0, i, i, text, 1, 1.5, 0.25, i * 1.5, NAN, NAN};
        failed += teai_log_token(log, &t) != TEAI_OK;
    }
    pthread_join(th, NULL);
    ASSERT_EQ(failed, 0);
    ASSERT_EQ(a.failed, 0);
    ASSERT_EQ(teai_log_close(log, "ok", NULL, &err), TEAI_OK);

    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data != NULL);
    const char *fmt = strstr(data, "format: teai-log 1\n");
    size_t at = fmt ? (size_t)(fmt - data) + strlen("format: teai-log 1\n") : len;
    int n_sample = 0, n_token = 0, n_other = 0, n_bad = fmt ? 0 : 1;
    while (at < len) {
        const char *p = data + at;
        const char *nl = memchr(p, '\n', len - at);
        if (!nl) {
            n_bad++; /* a cut last line */
            break;
        }
        cJSON *o = teai__json_line(p, (size_t)(nl - p));
        const cJSON *ev = o ? cJSON_GetObjectItemCaseSensitive(o, "event") : NULL;
        if (!cJSON_IsString(ev))
            n_bad++;
        else if (strcmp(ev->valuestring, "sample") == 0)
            n_sample++;
        else if (strcmp(ev->valuestring, "token") == 0)
            n_token++;
        else
            n_other++;
        cJSON_Delete(o);
        at = (size_t)(nl - data) + 1;
    }
    free(data);
    ASSERT_EQ(n_bad, 0);
    ASSERT_EQ(n_sample, N_SAMPLES);
    ASSERT_EQ(n_token, N_TOKENS);
    ASSERT_EQ(n_other, 1); /* end */

    teai_log_rows *r = NULL;
    ASSERT_EQ(teai_log_read_file(path, NULL, NULL, &r, &err), TEAI_OK);
    ASSERT_EQ(teai_log_rows_bad_lines(r), 0);
    ASSERT_EQ(teai_log_rows_count(r), N_TOKENS + 1);
    ASSERT_EQ(teai_log_rows_sample_count(r), N_SAMPLES);
    /* the sampler's own order is kept */
    ASSERT_STREQ(SCELL(r, N_SAMPLES - 1, T_MS), "299900");
    ASSERT_STREQ(SCELL(r, N_SAMPLES - 1, TOKENS), "2999");
    teai_log_rows_free(r);
}

/* ---- killed runs -------------------------------------------------------------- */

static int count_lines(const char *s, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] == '\n';
    return k;
}

/* Offset of needle in s, or 0 when absent. */
__attribute__((noinline)) static size_t offset_of(const char *s, const char *needle) {
    const char *p = strstr(s, needle);
    return p ? (size_t)(p - s) : 0;
}

/* Bytes up to and including the last newline of s, or 0 when none. */
__attribute__((noinline)) static size_t through_last_newline(const char *s) {
    const char *p = strrchr(s, '\n');
    return p ? (size_t)(p - s) + 1 : 0;
}

static void test_cut_last_line(void) {
    char dir[512], path[1024];
    tmp_dir(dir, sizeof dir, "cut");
    ASSERT_EQ(write_log(dir, path, sizeof path, 1), 0);
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data != NULL);
    /* cut in the middle of the last summary line: the end event goes too */
    size_t at = offset_of(data, "{\"event\":\"summary\",\"rep\":1");
    size_t cut = at ? at + 20 : 0;
    int line = count_lines(data, cut) + 1;
    free(data);
    ASSERT_TRUE(cut != 0);
    ASSERT_EQ(truncate(path, (off_t)cut), 0);

    notes n = {{0}, 0};
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_file(path, take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(teai_log_rows_bad_lines(r), 1);
    ASSERT_EQ(n.n, 1);
    char want[256];
    snprintf(want, sizeof want,
             "native_host1_1B_nf4_seed42_uuid0badf00d.txt:%d: bad JSON (last line cut short), "
             "skipped\n",
             line);
    ASSERT_STREQ(n.text, want);
    ASSERT_EQ(teai_log_rows_count(r), 5); /* every complete line is there */
    for (long i = 0; i < 5; i++) ASSERT_STREQ(CELL(r, i, STATUS), "incomplete");
    ASSERT_STREQ(CELL(r, 4, TOKENS_IN_CHUNK), "2");
    teai_log_rows_free(r);

    /* cut just after a newline: nothing to skip, still incomplete */
    data = slurp(path, &len);
    ASSERT_TRUE(data != NULL);
    off_t keep = (off_t)through_last_newline(data);
    free(data);
    ASSERT_TRUE(keep != 0);
    ASSERT_EQ(truncate(path, keep), 0);
    n.text[0] = '\0';
    n.n = 0;
    ASSERT_EQ(teai_log_read_file(path, take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(n.n, 0);
    ASSERT_EQ(teai_log_rows_count(r), 5);
    ASSERT_STREQ(CELL(r, 0, STATUS), "incomplete");
    teai_log_rows_free(r);
}

/* A child writes tokens as fast as it can and is killed with SIGKILL: the log
 * it leaves holds complete lines only. */
static void test_kill9(void) {
    char dir[512], path[1100];
    tmp_dir(dir, sizeof dir, "kill9");
    snprintf(path, sizeof path, "%s/native_host1_1B_nf4_seed42_uuid0badf00d.txt", dir);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        teai_kv kv[N_KV];
        bench_header(kv, "native");
        teai_log *log = NULL;
        teai_error err;
        if (teai_log_open(dir, kv, N_KV, &log, &err) != TEAI_OK) _exit(1);
        char text[300];
        memset(text, 'y', sizeof text - 1);
        text[sizeof text - 1] = '\0';
        for (int i = 1;; i++) {
            teai_log_tok t = {0, 0, i, i, text, 1, 1.5, 0.25, i * 1.5, 1, 2};
            if (teai_log_token(log, &t) != TEAI_OK) _exit(2);
        }
    }
    struct stat st;
    struct timespec nap = {0, 1000000};
    for (int i = 0; i < 5000 && (stat(path, &st) != 0 || st.st_size < (1 << 20)); i++)
        nanosleep(&nap, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data != NULL && len > 1000);
    int complete = data[len - 1] == '\n';
    free(data);
    ASSERT_TRUE(complete);
    notes n = {{0}, 0};
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_log_read_file(path, take_note, &n, &r, &err), TEAI_OK);
    ASSERT_EQ(teai_log_rows_bad_lines(r), 0);
    long rows = teai_log_rows_count(r);
    ASSERT_TRUE(rows > 100);
    ASSERT_STREQ(CELL(r, 0, STATUS), "incomplete");
    ASSERT_STREQ(CELL(r, 0, STEP), "0");
    char want[32];
    snprintf(want, sizeof want, "%ld", rows - 1); /* steps 1..rows-1, none lost */
    ASSERT_STREQ(CELL(r, rows - 1, STEP), want);
    ASSERT_STREQ(CELL(r, 0, TOKENS_IN_CHUNK), want);
    teai_log_rows_free(r);
}

/* ---- dialects from memory -------------------------------------------------- */

static void test_read_mem(void) {
    static const char tg[] = "platform: Linux\nhostname: h\nseed = 42\n"
                             "enqueue in  2.00 ms\n"
                             "total  20.00 ms, 50.00 tok/s, 10.00 GB/s, param 5.00 GB/s\n"
                             "Hi\n"
                             "enqueue in  1.00 ms\n"
                             "total  10.00 ms, 100.00 tok/s, 20.00 GB/s, param 10.00 GB/s\n"
                             "Hi there\n";
    teai_log_rows *r = NULL;
    teai_error err = {0};
    ASSERT_EQ(
        teai_log_read_mem(tg, sizeof tg - 1, "h_1B_nf4_seed3_uuidcafe.txt", NULL, NULL, &r, &err),
        TEAI_OK);
    ASSERT_STREQ(teai_log_rows_format(r), "tinygrad");
    ASSERT_STREQ(teai_log_rows_csv(r), "tinygrad");
    ASSERT_EQ(teai_log_rows_count(r), 3);
    ASSERT_STREQ(CELL(r, 0, STEP), "0");
    ASSERT_STREQ(CELL(r, 0, TOTAL_MS), "15");
    ASSERT_STREQ(CELL(r, 0, ENQUEUE_MS), "1.5");
    ASSERT_STREQ(CELL(r, 0, TOK_S), "66.66666666666667");
    ASSERT_STREQ(CELL(r, 0, TEXT), "Hi there");
    ASSERT_STREQ(CELL(r, 2, TEXT), "Hi there");
    ASSERT_STREQ(CELL(r, 1, PARAM_GB_S), "5");
    /* the header lacks size, quantize, seed, uuid: from the seed's file name */
    ASSERT_STREQ(CELL(r, 1, HOSTNAME), "h");
    ASSERT_STREQ(CELL(r, 1, SIZE), "1B");
    ASSERT_STREQ(CELL(r, 1, QUANTIZE), "nf4");
    ASSERT_STREQ(CELL(r, 1, SEED), "3");
    ASSERT_STREQ(CELL(r, 1, UUID), "cafe");
    teai_log_rows_free(r);

    static const char junk[] = "hello: world\nthis is not a log\n";
    ASSERT_EQ(teai_log_read_mem(junk, sizeof junk - 1, "junk.txt", NULL, NULL, &r, &err),
              TEAI_EUNSUPPORTED);
    ASSERT_STREQ(err.msg, "junk.txt: unknown log dialect");
    ASSERT_TRUE(r == NULL);
    ASSERT_EQ(teai_log_read_mem("", 0, "empty.txt", NULL, NULL, &r, &err), TEAI_EUNSUPPORTED);

    static const char newer[] = "backend: native\nformat: teai-log 2\n{\"event\":\"end\"}\n";
    ASSERT_EQ(teai_log_read_mem(newer, sizeof newer - 1, "n.txt", NULL, NULL, &r, &err),
              TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "teai-log 2") != NULL);
}

/* ---- the header alone ----------------------------------------------------- */

static int put_file(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* The header and the last line, whatever lies between. */
static void test_header_only(void) {
    char dir[512], path[1024], p2[1100];
    teai_error err = {0};
    teai_log_header *h = NULL;

    /* a complete log: every header field in order, "format" last, ended ok */
    tmp_dir(dir, sizeof dir, "hdr");
    ASSERT_EQ(write_log(dir, path, sizeof path, 1), 0);
    ASSERT_EQ(teai_log_header_read(path, &h, &err), TEAI_OK);
    ASSERT_EQ(teai_log_header_count(h), N_KV + 1);
    ASSERT_STREQ(teai_log_header_key(h, 0), "platform");
    ASSERT_STREQ(teai_log_header_key(h, N_KV), "format");
    ASSERT_STREQ(teai_log_header_value(h, N_KV), "teai-log 1");
    ASSERT_TRUE(teai_log_header_key(h, N_KV + 1) == NULL && teai_log_header_value(h, -1) == NULL);
    ASSERT_STREQ(teai_log_header_get(h, "backend"), "native");
    ASSERT_STREQ(teai_log_header_get(h, "size"), "1B");
    ASSERT_TRUE(teai_log_header_get(h, "framework") == NULL);
    ASSERT_STREQ(teai_log_header_end(h), "ok");
    teai_log_header_free(h);

    /* ended as failed (an error message with a quote and a newline) */
    tmp_dir(dir, sizeof dir, "hdr_failed");
    ASSERT_EQ(write_log(dir, path, sizeof path, 0), 0);
    ASSERT_EQ(teai_log_header_read(path, &h, &err), TEAI_OK);
    ASSERT_STREQ(teai_log_header_end(h), "failed");
    teai_log_header_free(h);

    /* a run still going: no end; then a long body (far past the tail read)
     * and an end as interrupted */
    tmp_dir(dir, sizeof dir, "hdr_running");
    teai_kv kv[N_KV];
    bench_header(kv, "native");
    teai_log *log = NULL;
    ASSERT_EQ(teai_log_open(dir, kv, N_KV, &log, &err), TEAI_OK);
    snprintf(path, sizeof path, "%s", teai_log_path(log));
    ASSERT_EQ(teai_log_prefill(log, 0, 0, 3, 1, 1, 5, "a"), TEAI_OK);
    ASSERT_EQ(teai_log_header_read(path, &h, &err), TEAI_OK);
    ASSERT_EQ(teai_log_header_count(h), N_KV + 1);
    ASSERT_TRUE(teai_log_header_end(h) == NULL);
    teai_log_header_free(h);
    for (int i = 1; i <= 2000; i++) {
        teai_log_tok t = {0, 0, i, 7, "some text of a token", 1, 1, 0.5, i, NAN, NAN};
        ASSERT_EQ(teai_log_token(log, &t), TEAI_OK);
    }
    ASSERT_EQ(teai_log_close(log, "interrupted", NULL, &err), TEAI_OK);
    ASSERT_EQ(teai_log_header_read(path, &h, &err), TEAI_OK);
    ASSERT_STREQ(teai_log_header_get(h, "backend"), "native");
    ASSERT_STREQ(teai_log_header_end(h), "interrupted");
    teai_log_header_free(h);

    /* the end event cut short (a killed write): no end */
    size_t len;
    char *data = slurp(path, &len);
    ASSERT_TRUE(data && len > 2);
    snprintf(p2, sizeof p2, "%s.cut", path);
    ASSERT_EQ(put_file(p2, data, len - 1), 0);
    free(data);
    ASSERT_EQ(teai_log_header_read(p2, &h, &err), TEAI_OK);
    ASSERT_TRUE(teai_log_header_end(h) == NULL);
    teai_log_header_free(h);

    /* a header longer than the first read; blanks trimmed; the last of a
     * repeated key; the body's "key: value"-looking lines are not header */
    teai_buf b;
    teai_buf_init(&b, 0);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(teai_buf_printf(&b, "k%d:  %0100d \r\n", i, i), TEAI_OK);
    ASSERT_EQ(teai_buf_printf(&b, "k5: again\nformat: teai-log 1\nnot: header\n"), TEAI_OK);
    ASSERT_EQ(teai_buf_printf(&b, "{\"event\":\"end\",\"status\":\"ok\",\"error\":null}\n"),
              TEAI_OK);
    snprintf(p2, sizeof p2, "%s/long.txt", dir);
    ASSERT_EQ(put_file(p2, b.data, b.len), 0);
    teai_buf_free(&b);
    ASSERT_EQ(teai_log_header_read(p2, &h, &err), TEAI_OK);
    ASSERT_EQ(teai_log_header_count(h), 102);
    ASSERT_EQ(strlen(teai_log_header_value(h, 99)), 100);
    ASSERT_STREQ(teai_log_header_get(h, "k5"), "again");
    ASSERT_TRUE(teai_log_header_get(h, "not") == NULL);
    ASSERT_STREQ(teai_log_header_end(h), "ok");
    teai_log_header_free(h);

    /* a seed log without a header, an empty file, an end event that is not
     * the last line */
    static const struct {
        const char *name, *text;
    } plain[] = {{"tinygrad.txt", "enqueue in 1.0 ms\ntotal 2.0 ms, 5.0 tok/s\n"},
                 {"empty.txt", ""},
                 {"after.txt", "a: b\n{\"event\":\"end\",\"status\":\"ok\"}\nmore\n"}};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        snprintf(p2, sizeof p2, "%s/%s", dir, plain[i].name);
        ASSERT_EQ(put_file(p2, plain[i].text, strlen(plain[i].text)), 0);
        ASSERT_EQ(teai_log_header_read(p2, &h, &err), TEAI_OK);
        ASSERT_EQ(teai_log_header_count(h), i == 2 ? 1 : 0);
        ASSERT_TRUE(teai_log_header_end(h) == NULL);
        teai_log_header_free(h);
    }

    /* what cannot be read */
    snprintf(p2, sizeof p2, "%s/absent.txt", dir);
    ASSERT_EQ(teai_log_header_read(p2, &h, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(h == NULL && strstr(err.msg, "absent.txt") != NULL);
    ASSERT_EQ(teai_log_header_read(dir, &h, &err), TEAI_EIO);
    ASSERT_TRUE(h == NULL);
    teai_log_header_free(NULL);
}

int main(void) {
#if !TEAI_HAVE_CJSON
    test_skip("teai was built without cJSON: its logs cannot be read");
#endif
    RUN_TEST(test_prefix);
    RUN_TEST(test_columns);
    RUN_TEST(test_numbers);
    RUN_TEST(test_utf8_sanitize);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_failed_status);
    RUN_TEST(test_header_refused);
    RUN_TEST(test_sensor_events);
    RUN_TEST(test_sensor_garbage);
    RUN_TEST(test_concurrent_samples);
    RUN_TEST(test_cut_last_line);
    RUN_TEST(test_kill9);
    RUN_TEST(test_read_mem);
    RUN_TEST(test_header_only);
    TEST_MAIN_END();
}
