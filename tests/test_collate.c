/* teai collate over hand-written logs of every dialect (tests/fixtures/logs):
 * the CSV header line exactly, row counts and cells per backend, byte-identical
 * reruns, corrupt lines and unknown files reported and skipped, and an output
 * that cannot be written failing cleanly, leaving no partial file; logs with
 * device-state events: their columns and samples.csv, read back by value
 * (and by Python's csv module). */
#include "analysis/analysis.h"
#include "results/results.h"
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

static const char *const header_line =
    "step,enqueue_latency_ms,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,"
    "param_throughput_gb_s,generated_text,platform,release,device,username,hostname,size,"
    "quantize,seed,uuid,backend,backend_version,model,model_bytes,model_sha256,synthetic,"
    "weight_format,bits_per_weight,threads,repetition,warmup,n_prompt,n_gen,token_id,"
    "tokens_in_chunk,t_ms,prefill_tokens,prefill_ms,prefill_tokens_per_sec,ttft_ms,run_ms,"
    "e2e_tokens_per_sec,tokens_per_sec_stddev,p50_latency_ms,p90_latency_ms,p99_latency_ms,"
    "load_ms,peak_rss_mb,cpu,cpu_features,n_cpus,ram_bytes,gpu,teai_version,teai_commit,"
    "compiler,start_time,status,error,source_format,log_file,prefill_energy_j,decode_energy_j,"
    "prefill_power_w,decode_power_w,joules_per_token,tokens_per_joule,temp_max_c,clock_min_mhz,"
    "clock_mean_mhz,throttled,other_cpu_pct,noisy,charging,run_peak_rss_mb,cooldown_ms,"
    "energy_source,membw_gb_s,sensors,duration_s,machine,device_name\r\n";

/* ---- a small RFC 4180 reader, to check what was written ------------------- */

typedef struct csv {
    char *data; /* the file */
    size_t len;
    char **cells; /* rows * n_cols, each malloc'd */
    size_t *lens;
    int n_rows, n_cols; /* n_rows excludes the header */
} csv;

static void csv_free(csv *c) {
    for (int i = 0; c->cells && i < (c->n_rows + 1) * c->n_cols; i++) free(c->cells[i]);
    free(c->cells);
    free(c->lens);
    free(c->data);
    memset(c, 0, sizeof *c);
}

/* Parses data; -1 when it is not well-formed RFC 4180 with CRLF line ends and
 * n_cols fields per line. */
static int csv_parse(csv *c, int n_cols) {
    size_t cap = 64, n = 0;
    c->cells = malloc(sizeof *c->cells * cap);
    c->lens = malloc(sizeof *c->lens * cap);
    c->n_cols = n_cols;
    size_t i = 0;
    int col = 0;
    while (i < c->len) {
        teai_buf f;
        teai_buf_init(&f, 0);
        teai_buf_add(&f, "", 0);
        if (c->data[i] == '"') {
            i++;
            for (;;) {
                if (i >= c->len) {
                    teai_buf_free(&f);
                    return -1;
                }
                if (c->data[i] == '"') {
                    if (i + 1 < c->len && c->data[i + 1] == '"') {
                        teai_buf_add(&f, "\"", 1);
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                teai_buf_add(&f, c->data + i, 1);
                i++;
            }
        } else {
            while (i < c->len && c->data[i] != ',' && c->data[i] != '\r' && c->data[i] != '\n') {
                if (c->data[i] == '"') {
                    teai_buf_free(&f);
                    return -1;
                }
                teai_buf_add(&f, c->data + i, 1);
                i++;
            }
        }
        if (n == cap) {
            cap *= 2;
            c->cells = realloc(c->cells, sizeof *c->cells * cap);
            c->lens = realloc(c->lens, sizeof *c->lens * cap);
        }
        c->cells[n] = f.data;
        c->lens[n++] = f.len;
        col++;
        if (i < c->len && c->data[i] == ',') {
            i++;
            continue;
        }
        if (i + 1 < c->len && c->data[i] == '\r' && c->data[i + 1] == '\n') {
            if (col != n_cols) return -1;
            col = 0;
            i += 2;
            continue;
        }
        return -1;
    }
    if (col != 0) return -1;
    c->n_rows = (int)(n / (size_t)n_cols) - 1;
    return 0;
}

static int csv_load(csv *c, const char *path) {
    memset(c, 0, sizeof *c);
    teai_error err;
    if (teai__read_file(path, (size_t)1 << 30, &c->data, &c->len, &err) != TEAI_OK) return -1;
    return csv_parse(c, TEAI_CSV_N_COLS);
}

/* Cell of data row `row` (0-based) in the named column. */
static const char *cell(const csv *c, int row, const char *name) {
    int col = teai_csv_column_index(name);
    if (col < 0 || row < 0 || row >= c->n_rows) return "(no such cell)";
    return c->cells[(row + 1) * c->n_cols + col];
}

static double num(const csv *c, int row, const char *name) {
    const char *s = cell(c, row, name);
    char *end;
    double v = strtod(s, &end);
    return *s && !*end ? v : NAN;
}

/* ---- set-up ------------------------------------------------------------------ */

typedef struct notes {
    char text[16384];
    int n;
} notes;

static void take_note(void *ud, const char *line) {
    notes *n = ud;
    size_t len = strlen(n->text);
    snprintf(n->text + len, sizeof n->text - len, "%s\n", line);
    n->n++;
}

static const char *fixtures(void) {
    static char buf[1024];
    const char *src = getenv("TEAI_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/tests/fixtures/logs", src && *src ? src : ".");
    return buf;
}

/* A fresh copy of the fixtures in dir. */
static int copy_fixtures(char *dir, size_t cap, const char *name) {
    test_tmp_path(dir, cap, name);
    return test_system("rm -rf '%s' && mkdir -p '%s' && cp '%s'/*.txt '%s'/", dir, dir, fixtures(),
                       dir);
}

static char *slurp(const char *dir, const char *name, size_t *len) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *data = NULL;
    teai_error err;
    if (teai__read_file(path, (size_t)1 << 30, &data, len, &err) != TEAI_OK) return NULL;
    return data;
}

static int leftover_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL) found |= strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return found;
}

/* ---- tests ------------------------------------------------------------------- */

static const char *const csv_names[] = {"llamacpp.csv", "mlc_llm.csv", "native.csv", "openai.csv",
                                        "tinygrad.csv"};

static void test_collate_fixtures(void) {
    char dir[512], path[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "collate"), 0);
    notes n = {{0}, 0};
    teai_collate_report rep;
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, take_note, &n, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_logs, 6);
    ASSERT_EQ(rep.n_skipped, 1);
    ASSERT_EQ(rep.n_unreadable, 0);
    ASSERT_EQ(rep.n_bad_lines, 2);
    ASSERT_EQ(rep.n_csv, 5);
    ASSERT_EQ(rep.n_rows, 32);
    /* corrupt lines as file:line, the unknown file listed */
    ASSERT_TRUE(strstr(n.text, "llamacpp_host1_1B_nf4_seed42_uuid1234abcd.txt:11: bad JSON, "
                               "skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "openai_host1_1B_default_seed1_uuid00000001.txt:38: bad JSON "
                               "(last line cut short), skipped\n") != NULL);
    ASSERT_TRUE(strstr(n.text, "notes.txt: unknown log dialect, skipped\n") != NULL);
    snprintf(path, sizeof path, "wrote %s/native.csv (7 rows from 1 log)\n", dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);
    ASSERT_TRUE(!leftover_tmp(dir));
    ASSERT_EQ(rep.n_sample_logs, 0);
    ASSERT_EQ(rep.n_sample_rows, 0);
    ASSERT_TRUE(strstr(n.text, "samples.csv") == NULL);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    struct stat st;
    ASSERT_TRUE(stat(path, &st) != 0); /* no samples: not written */

    csv c;
    static const int rows[] = {11, 6, 7, 3, 5};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, csv_names[i]);
        ASSERT_EQ(csv_load(&c, path), 0);
        ASSERT_TRUE(strncmp(c.data, header_line, strlen(header_line)) == 0);
        if (c.n_rows != rows[i]) fprintf(stderr, "%s\n", csv_names[i]);
        ASSERT_EQ(c.n_rows, rows[i]);
        /* logs without device-state events or header keys: those cells empty,
         * every line the old one with 19 empty fields added */
        for (int r = 0; r < c.n_rows; r++)
            for (int col = TEAI_COL_PREFILL_ENERGY_J; col < TEAI_CSV_N_COLS; col++)
                ASSERT_STREQ(cell(&c, r, teai_csv_column_name(col)), "");
        csv_free(&c);
    }

    /* tinygrad: a row per token, step 0 first; text byte for byte */
    snprintf(path, sizeof path, "%s/tinygrad.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    for (int r = 0; r < 5; r++) {
        char want[16];
        snprintf(want, sizeof want, "%d", r);
        ASSERT_STREQ(cell(&c, r, "step"), want);
        ASSERT_STREQ(cell(&c, r, "hostname"), "host1");
        ASSERT_STREQ(cell(&c, r, "uuid"), "uuid864c4aef");
        ASSERT_STREQ(cell(&c, r, "quantize"), "int8");
        ASSERT_STREQ(cell(&c, r, "backend"), "tinygrad");
        ASSERT_STREQ(cell(&c, r, "source_format"), "tinygrad");
        ASSERT_STREQ(cell(&c, r, "load_ms"), "3.81");
        ASSERT_STREQ(cell(&c, r, "warmup"), ""); /* the seed did not say */
        ASSERT_STREQ(cell(&c, r, "status"), "");
    }
    ASSERT_STREQ(cell(&c, 1, "enqueue_latency_ms"), "21.9");
    ASSERT_STREQ(cell(&c, 1, "total_latency_ms"), "44.77");
    ASSERT_STREQ(cell(&c, 1, "tokens_per_sec"), "22.34");
    ASSERT_STREQ(cell(&c, 1, "memory_throughput_gb_s"), "80.11");
    ASSERT_STREQ(cell(&c, 1, "param_throughput_gb_s"), "33.6");
    ASSERT_STREQ(cell(&c, 1, "generated_text"), "Hello");
    ASSERT_STREQ(cell(&c, 2, "generated_text"), "Hello, \"world\"");
    /* the CSV is UTF-8: the stray byte is U+FFFD there (the log keeps it) */
    ASSERT_STREQ(cell(&c, 3, "generated_text"), "Hello, \"world\"\nand a second line\xef\xbf\xbd");
    ASSERT_STREQ(cell(&c, 0, "generated_text"), "Hello, \"world\"\nand a second line\xef\xbf\xbd!");
    ASSERT_NEAR(num(&c, 0, "total_latency_ms"), (44.77 + 24.07 + 24.16 + 24.08) / 4, 1e-9);
    ASSERT_NEAR(num(&c, 0, "tokens_per_sec"), 4000 / (44.77 + 24.07 + 24.16 + 24.08), 1e-9);
    ASSERT_NEAR(num(&c, 0, "enqueue_latency_ms"), (21.90 + 1.26 + 1.20 + 1.16) / 4, 1e-9);
    ASSERT_STREQ(cell(&c, 0, "tokens_in_chunk"), "4");
    ASSERT_STREQ(cell(&c, 0, "memory_throughput_gb_s"), ""); /* not averaged: not measured */
    csv_free(&c);

    /* llama.cpp: the teai log (raw llama-bench lines) first, by file name */
    snprintf(path, sizeof path, "%s/llamacpp.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_STREQ(cell(&c, 0, "source_format"), "teai-log 1");
    ASSERT_STREQ(cell(&c, 0, "step"), "0");
    ASSERT_STREQ(cell(&c, 0, "tokens_per_sec"), "20");
    ASSERT_STREQ(cell(&c, 0, "tokens_per_sec_stddev"), "2.5");
    ASSERT_STREQ(cell(&c, 0, "total_latency_ms"), "50"); /* 800 ms / 16 tokens */
    ASSERT_STREQ(cell(&c, 0, "run_ms"), "800");
    ASSERT_STREQ(cell(&c, 0, "device"), "Intel(R) Xeon(R) CPU @ 2.20GHz"); /* the header's */
    ASSERT_STREQ(cell(&c, 0, "backend"), "llama-bench");
    ASSERT_STREQ(cell(&c, 0, "status"), "ok");
    ASSERT_STREQ(cell(&c, 3, "step"), "3");
    ASSERT_STREQ(cell(&c, 3, "total_latency_ms"), "900");
    ASSERT_STREQ(cell(&c, 3, "tokens_per_sec"), "17.77777777777778");
    ASSERT_STREQ(cell(&c, 3, "tokens_in_chunk"), "16");
    /* the header left it empty; llama-bench's sizes tell it */
    ASSERT_NEAR(num(&c, 3, "bits_per_weight"), 1021800000 * 8.0 / 1235814432, 1e-12);
    /* the seed's llama-bench log: 5 samples + summary, then the prompt test */
    ASSERT_STREQ(cell(&c, 4, "source_format"), "llama-bench-jsonl");
    ASSERT_STREQ(cell(&c, 4, "step"), "0");
    ASSERT_STREQ(cell(&c, 4, "repetition"), "0");
    ASSERT_STREQ(cell(&c, 4, "tokens_per_sec"), "50");
    ASSERT_STREQ(cell(&c, 4, "total_latency_ms"), "20");
    ASSERT_STREQ(cell(&c, 4, "warmup"), "0");
    ASSERT_STREQ(cell(&c, 4, "n_gen"), "20");
    ASSERT_STREQ(cell(&c, 4, "uuid"), "uuid1234abcd");
    ASSERT_STREQ(cell(&c, 4, "backend"), "llama-bench");
    ASSERT_STREQ(cell(&c, 4, "backend_version"), "b6a0c2a");
    ASSERT_STREQ(cell(&c, 4, "cpu"), "AMD EPYC 7B13");
    ASSERT_STREQ(cell(&c, 4, "model"), "llama 1B Q4_K - Medium");
    ASSERT_STREQ(cell(&c, 4, "model_bytes"), "800000000");
    ASSERT_STREQ(cell(&c, 4, "bits_per_weight"), "5");
    ASSERT_STREQ(cell(&c, 4, "threads"), "8");
    ASSERT_STREQ(cell(&c, 4, "device"), "CPU");
    ASSERT_STREQ(cell(&c, 5, "step"), "1");
    ASSERT_STREQ(cell(&c, 5, "total_latency_ms"), "390");
    ASSERT_STREQ(cell(&c, 5, "tokens_per_sec"), "51.28205128205128");
    ASSERT_STREQ(cell(&c, 9, "step"), "5");
    ASSERT_STREQ(cell(&c, 10, "step"), "0");
    ASSERT_STREQ(cell(&c, 10, "repetition"), "1");
    ASSERT_STREQ(cell(&c, 10, "tokens_per_sec"), ""); /* a prompt test decodes nothing */
    ASSERT_STREQ(cell(&c, 10, "prefill_tokens"), "512");
    ASSERT_STREQ(cell(&c, 10, "prefill_ms"), "1024");
    ASSERT_STREQ(cell(&c, 10, "prefill_tokens_per_sec"), "500");
    csv_free(&c);

    /* MLC: per run a step-0 summary (end-to-end rate) and one chunk row of
     * `tokens` decoded tokens with the run's rate, as llama-bench's samples */
    snprintf(path, sizeof path, "%s/mlc_llm.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_STREQ(cell(&c, 0, "step"), "0");
    ASSERT_STREQ(cell(&c, 0, "tokens_per_sec"), "");
    ASSERT_STREQ(cell(&c, 0, "e2e_tokens_per_sec"), "24.691358024691358");
    ASSERT_STREQ(cell(&c, 0, "run_ms"), "810");
    ASSERT_STREQ(cell(&c, 1, "step"), "1");
    ASSERT_STREQ(cell(&c, 1, "repetition"), "0");
    ASSERT_STREQ(cell(&c, 1, "tokens_in_chunk"), "20");
    ASSERT_STREQ(cell(&c, 1, "total_latency_ms"), "810");
    ASSERT_STREQ(cell(&c, 1, "tokens_per_sec"), "24.691358024691358");
    ASSERT_STREQ(cell(&c, 4, "step"), "0");
    ASSERT_STREQ(cell(&c, 4, "repetition"), "2");
    ASSERT_STREQ(cell(&c, 4, "tokens_in_chunk"), "18");
    ASSERT_STREQ(cell(&c, 5, "step"), "1");
    ASSERT_STREQ(cell(&c, 5, "tokens_per_sec"), "24");
    ASSERT_STREQ(cell(&c, 5, "total_latency_ms"), "750");
    ASSERT_STREQ(cell(&c, 5, "backend"), "mlc_llm");
    ASSERT_STREQ(cell(&c, 5, "device"), "metal");
    ASSERT_STREQ(cell(&c, 5, "status"), "ok");
    ASSERT_STREQ(cell(&c, 5, "source_format"), "mlc");
    csv_free(&c);

    /* native: warm-up marked, NULs empty, text with quotes/commas/newlines/bytes */
    snprintf(path, sizeof path, "%s/native.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_STREQ(cell(&c, 0, "warmup"), "1");
    ASSERT_STREQ(cell(&c, 2, "warmup"), "1");
    ASSERT_STREQ(cell(&c, 3, "warmup"), "0");
    ASSERT_STREQ(cell(&c, 0, "generated_text"), "ABC");
    ASSERT_STREQ(cell(&c, 0, "tokens_per_sec"), "50");
    ASSERT_STREQ(cell(&c, 0, "total_latency_ms"), "20");
    ASSERT_STREQ(cell(&c, 0, "prefill_tokens_per_sec"), "500");
    ASSERT_STREQ(cell(&c, 0, "load_ms"), "12.5");
    ASSERT_STREQ(cell(&c, 3, "step"), "0");
    ASSERT_STREQ(cell(&c, 3, "repetition"), "1");
    ASSERT_STREQ(cell(&c, 3, "generated_text"), "Hi, \"there\"\n\xef\xbf\xbd!");
    ASSERT_STREQ(cell(&c, 3, "tokens_per_sec"), "75");
    ASSERT_STREQ(cell(&c, 3, "p50_latency_ms"), "10");
    ASSERT_STREQ(cell(&c, 3, "p90_latency_ms"), "20.5");
    ASSERT_STREQ(cell(&c, 3, "ttft_ms"), "5");
    ASSERT_STREQ(cell(&c, 4, "generated_text"), ", \"there\"\n");
    ASSERT_STREQ(cell(&c, 4, "enqueue_latency_ms"), "");
    ASSERT_STREQ(cell(&c, 4, "memory_throughput_gb_s"), "");
    ASSERT_STREQ(cell(&c, 4, "tokens_per_sec"), "100");
    ASSERT_STREQ(cell(&c, 5, "generated_text"), "\xef\xbf\xbd");
    ASSERT_STREQ(cell(&c, 5, "tokens_per_sec"), "48.78048780487805");
    ASSERT_STREQ(cell(&c, 6, "token_id"), "23");
    ASSERT_STREQ(cell(&c, 6, "model_sha256"),
                 "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
    ASSERT_STREQ(cell(&c, 6, "status"), "ok");
    ASSERT_STREQ(cell(&c, 6, "gpu"), "");
    csv_free(&c);

    /* openai: killed mid-line -> incomplete, complete lines kept */
    snprintf(path, sizeof path, "%s/openai.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    for (int r = 0; r < 3; r++) ASSERT_STREQ(cell(&c, r, "status"), "incomplete");
    ASSERT_STREQ(cell(&c, 0, "generated_text"), "The quick brown fox");
    ASSERT_STREQ(cell(&c, 0, "ttft_ms"), "120");
    ASSERT_STREQ(cell(&c, 0, "tokens_per_sec"), ""); /* a chunk of unknown size */
    ASSERT_STREQ(cell(&c, 1, "tokens_per_sec"), "50");
    ASSERT_STREQ(cell(&c, 1, "token_id"), "");
    ASSERT_STREQ(cell(&c, 2, "tokens_in_chunk"), "");
    ASSERT_STREQ(cell(&c, 2, "tokens_per_sec"), "");
    csv_free(&c);
}

static void test_idempotent(void) {
    char dir[512];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "again"), 0);
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, NULL, NULL, NULL, &err), TEAI_OK);
    char *first[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) ASSERT_TRUE((first[i] = slurp(dir, csv_names[i], &len[i])));
    teai_collate_report rep;
    ASSERT_EQ(teai_collate(dir, NULL, NULL, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_rows, 32);
    for (int i = 0; i < 5; i++) {
        size_t n;
        char *again = slurp(dir, csv_names[i], &n);
        ASSERT_TRUE(again != NULL);
        ASSERT_EQ(n, len[i]);
        ASSERT_TRUE(memcmp(again, first[i], n) == 0);
        free(again);
        free(first[i]);
    }
}

static void test_unwritable(void) {
    char dir[512], path[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "unwritable"), 0);
    /* the CSV's name is taken by a directory: the rename cannot happen */
    snprintf(path, sizeof path, "%s/native.csv", dir);
    ASSERT_EQ(mkdir(path, 0755), 0);
    teai_error err = {0};
    int rc = teai_collate(dir, NULL, NULL, NULL, &err);
    ASSERT_EQ(rc, TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "native.csv") != NULL);
    ASSERT_TRUE(!leftover_tmp(dir));
    struct stat st;
    ASSERT_TRUE(stat(path, &st) == 0 && S_ISDIR(st.st_mode));

    /* a directory this user cannot write to (not meaningful as root) */
    if (geteuid() != 0) {
        ASSERT_EQ(copy_fixtures(dir, sizeof dir, "readonly"), 0);
        ASSERT_EQ(chmod(dir, 0555), 0);
        rc = teai_collate(dir, NULL, NULL, NULL, &err);
        chmod(dir, 0755);
        ASSERT_EQ(rc, TEAI_EIO);
        snprintf(path, sizeof path, "%s/llamacpp.csv", dir);
        ASSERT_TRUE(stat(path, &st) != 0);
        ASSERT_TRUE(!leftover_tmp(dir));
    }

    test_tmp_path(dir, sizeof dir, "no-such-dir");
    ASSERT_EQ(teai_collate(dir, NULL, NULL, NULL, &err), TEAI_ENOTFOUND);
}

/* A log that cannot be read at all is reported and skipped; the rest goes on. */
static void test_unreadable(void) {
    if (geteuid() == 0) {
        printf("(root reads every file: unreadable logs not checked)\n");
        return;
    }
    char dir[512], path[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "unreadable"), 0);
    snprintf(path, sizeof path, "%s/mlc_host1_1B_q4f16_1_seed42_uuidabcdef12.txt", dir);
    ASSERT_EQ(chmod(path, 0), 0);
    notes n = {{0}, 0};
    teai_collate_report rep;
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, take_note, &n, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_unreadable, 1);
    ASSERT_EQ(rep.n_logs, 5);
    ASSERT_EQ(rep.n_csv, 4);
    ASSERT_TRUE(strstr(n.text, "mlc_host1_1B_q4f16_1_seed42_uuidabcdef12.txt: Permission denied, "
                               "skipped\n") != NULL);
    struct stat st;
    snprintf(path, sizeof path, "%s/mlc_llm.csv", dir);
    ASSERT_TRUE(stat(path, &st) != 0);
}

/* Dangling and looping symbolic links are named, counted and skipped. */
static void test_symlinks(void) {
    char dir[512], path[1200], target[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "symlinks"), 0);
    snprintf(path, sizeof path, "%s/dangling_host_1B_default_seed1_uuid00000002.txt", dir);
    snprintf(target, sizeof target, "%s/no-such-file", dir);
    ASSERT_EQ(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/loop.txt", dir);
    ASSERT_EQ(symlink(path, path), 0); /* points at itself */
    snprintf(path, sizeof path, "%s/adir.txt", dir);
    ASSERT_EQ(mkdir(path, 0755), 0);
    notes n = {{0}, 0};
    teai_collate_report rep;
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, take_note, &n, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_unreadable, 3);
    ASSERT_EQ(rep.n_logs, 6); /* the rest goes on */
    snprintf(path, sizeof path,
             "%s/dangling_host_1B_default_seed1_uuid00000002.txt: dangling symbolic link (No "
             "such file or directory), skipped\n",
             dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);
    snprintf(path, sizeof path, "%s/loop.txt: symbolic link loop (", dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);
    snprintf(path, sizeof path, "%s/adir.txt: not a regular file, skipped\n", dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);

    /* the command: one line each on stderr, and the count */
    const char *bin = getenv("TEAI_BIN");
    if (!bin || !*bin) {
        printf("(no TEAI_BIN: command not checked)\n");
        return;
    }
    char out[1200];
    snprintf(out, sizeof out, "%s/../%ld-symlinks.err", dir, (long)getpid());
    ASSERT_EQ(test_system("'%s' collate --dir '%s' 2>'%s'", bin, dir, out), 0);
    size_t len;
    char *text = NULL;
    ASSERT_EQ(teai__read_file(out, 1 << 20, &text, &len, &err), TEAI_OK);
    ASSERT_TRUE(strstr(text, "teai collate: ") != NULL);
    ASSERT_TRUE(strstr(text, "dangling symbolic link") != NULL);
    ASSERT_TRUE(strstr(text, "loop.txt: symbolic link loop") != NULL);
    ASSERT_TRUE(strstr(text, "3 unreadable") != NULL);
    free(text);
}

/* ---- device state: the new columns and samples.csv ------------------------- */

/* A teai log of one repetition with its sensors, a cooldown and samples
 * (n_samples of them, t_ms 0, 100, ...), written by the library's writer. */
static int write_sensor_log(const char *dir, const char *backend, const char *host, int n_samples) {
    teai_kv kv[] = {{"platform", "Linux"},
                    {"release", "6.1"},
                    {"device", "Pixel 7, \"Tensor\""},
                    {"username", "u"},
                    {"hostname", host},
                    {"size", "1B"},
                    {"quantize", "nf4"},
                    {"seed", "1"},
                    {"uuid", "0000beef"},
                    {"backend", backend},
                    {"weight_format", "q4_0"},
                    {"threads", "4"},
                    {"membw_gb_s", "17.5"},
                    {"energy_source", "battery"},
                    {"sensors", "battery: BAT0, thermal: 2 zones"},
                    {"sample_hz", "10"},
                    {"cooldown", "45C"},
                    {"duration_s", ""}};
    teai_log *log = NULL;
    teai_error err = {0};
    if (teai_log_open(dir, kv, (int)(sizeof kv / sizeof *kv), &log, &err) != TEAI_OK) return -1;
    teai_log_cool cool = {0, "temp", 45, 2500.5, 51, 44.75, 1};
    int rc = teai_log_cooldown(log, &cool);
    for (int i = 0; i < n_samples && rc == TEAI_OK; i++) {
        teai_log_smp s = {i * 100.0,     i ? 0 : -1, 0,   i ? "decode" : "cooldown",
                          2 * i,         0.25 * i,   2,   45 + i,
                          1800,          1700,       NAN, 0,
                          i ? 4.5 : NAN, NAN,        0.5};
        rc = teai_log_sample(log, &s);
    }
    teai_log_tok t = {0, 0, 1, 5, "x", 1, 20, 0.5, 30, NAN, NAN};
    if (rc == TEAI_OK) rc = teai_log_prefill(log, 0, 0, 4, 10, 10, 4, "w");
    if (rc == TEAI_OK) rc = teai_log_token(log, &t);
    teai_log_summary s0 = {0, 0, 4, 1, 400, 50, 10, 20, 20, 20};
    if (rc == TEAI_OK) rc = teai_log_summary_event(log, &s0);
    teai_log_rep_sensors rs = {0,  0,  0.05, 0.1,  0.01, 0.02, 5, 5, 0.1,
                               10, 46, 1800, 1750, 0,    2.25, 0, 0, 512.5};
    if (rc == TEAI_OK) rc = teai_log_rep_sensors_event(log, &rs);
    int cl = teai_log_close(log, "ok", NULL, &err);
    return rc == TEAI_OK && cl == TEAI_OK ? 0 : -1;
}

static const char *const sample_header =
    "log_file,backend,hostname,device,size,quantize,weight_format,threads,duration_s,"
    "repetition,warmup,phase,t_ms,tokens,energy_j,power_w,temp_c,clock_mhz,clock_mean_mhz,"
    "throttle_count,charging,other_cpu_pct,psi_some_pct,load1\r\n";

static int csv_load_samples(csv *c, const char *path) {
    memset(c, 0, sizeof *c);
    teai_error err;
    if (teai__read_file(path, (size_t)1 << 30, &c->data, &c->len, &err) != TEAI_OK) return -1;
    return csv_parse(c, TEAI_SAMPLE_N_COLS);
}

static const char *scell(const csv *c, int row, const char *name) {
    int col = teai_sample_column_index(name);
    if (col < 0 || row < 0 || row >= c->n_rows) return "(no such cell)";
    return c->cells[(row + 1) * c->n_cols + col];
}

static void test_sensor_columns(void) {
    char dir[512], path[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "sensors"), 0);
    ASSERT_EQ(write_sensor_log(dir, "native", "phone", 3), 0);
    ASSERT_EQ(write_sensor_log(dir, "samples", "phone", 1), 0); /* a backend named so */
    /* a sample line that says nothing usable, after the end */
    snprintf(path, sizeof path, "%s/native_phone_1B_nf4_seed1_uuid0000beef.txt", dir);
    FILE *f = fopen(path, "a");
    ASSERT_TRUE(f != NULL);
    fputs("{\"event\":\"sample\",\"rep\":0,\"t_ms\":\"soon\"}\n", f);
    ASSERT_EQ(fclose(f), 0);

    notes n = {{0}, 0};
    teai_collate_report rep;
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, take_note, &n, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_logs, 8);
    ASSERT_EQ(rep.n_csv, 6); /* + samples_backend.csv */
    ASSERT_EQ(rep.n_rows, 32 + 2 + 2);
    ASSERT_EQ(rep.n_bad_lines, 2 + 1);
    ASSERT_EQ(rep.n_sample_logs, 2);
    ASSERT_EQ(rep.n_sample_rows, 4);
    ASSERT_TRUE(strstr(n.text, "native_phone_1B_nf4_seed1_uuid0000beef.txt:29: sample event "
                               "without a t_ms, skipped\n") != NULL);
    snprintf(path, sizeof path, "wrote %s/samples.csv (4 rows from 2 logs)\n", dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);
    snprintf(path, sizeof path, "wrote %s/samples_backend.csv (2 rows from 1 log)\n", dir);
    ASSERT_TRUE(strstr(n.text, path) != NULL);
    ASSERT_TRUE(!leftover_tmp(dir));

    /* native.csv: the fixture's log (old: the new columns empty), then this one */
    csv c;
    snprintf(path, sizeof path, "%s/native.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_EQ(c.n_rows, 7 + 2);
    for (int r = 0; r < 7; r++)
        for (int col = TEAI_COL_PREFILL_ENERGY_J; col < TEAI_CSV_N_COLS; col++)
            ASSERT_STREQ(cell(&c, r, teai_csv_column_name(col)), "");
    ASSERT_STREQ(cell(&c, 7, "step"), "0");
    ASSERT_STREQ(cell(&c, 7, "hostname"), "phone");
    ASSERT_STREQ(cell(&c, 7, "prefill_energy_j"), "0.05");
    ASSERT_STREQ(cell(&c, 7, "decode_energy_j"), "0.1");
    ASSERT_STREQ(cell(&c, 7, "prefill_power_w"), "5");
    ASSERT_STREQ(cell(&c, 7, "decode_power_w"), "5");
    ASSERT_STREQ(cell(&c, 7, "joules_per_token"), "0.1");
    ASSERT_STREQ(cell(&c, 7, "tokens_per_joule"), "10");
    ASSERT_STREQ(cell(&c, 7, "temp_max_c"), "46");
    ASSERT_STREQ(cell(&c, 7, "clock_min_mhz"), "1800");
    ASSERT_STREQ(cell(&c, 7, "clock_mean_mhz"), "1750");
    ASSERT_STREQ(cell(&c, 7, "throttled"), "0");
    ASSERT_STREQ(cell(&c, 7, "other_cpu_pct"), "2.25");
    ASSERT_STREQ(cell(&c, 7, "noisy"), "0");
    ASSERT_STREQ(cell(&c, 7, "charging"), "0");
    ASSERT_STREQ(cell(&c, 7, "run_peak_rss_mb"), "512.5");
    ASSERT_STREQ(cell(&c, 7, "cooldown_ms"), "2500.5");
    ASSERT_STREQ(cell(&c, 8, "step"), "1");
    for (int col = TEAI_COL_PREFILL_ENERGY_J; col <= TEAI_COL_COOLDOWN_MS; col++)
        ASSERT_STREQ(cell(&c, 8, teai_csv_column_name(col)), "");
    for (int r = 7; r < 9; r++) {
        ASSERT_STREQ(cell(&c, r, "energy_source"), "battery");
        ASSERT_STREQ(cell(&c, r, "membw_gb_s"), "17.5");
        ASSERT_STREQ(cell(&c, r, "sensors"), "battery: BAT0, thermal: 2 zones");
        ASSERT_STREQ(cell(&c, r, "duration_s"), "");
    }
    csv_free(&c);

    /* samples.csv: logs in byte order of names, lines in order */
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    ASSERT_EQ(csv_load_samples(&c, path), 0);
    ASSERT_TRUE(strncmp(c.data, sample_header, strlen(sample_header)) == 0);
    ASSERT_EQ(c.n_rows, 4);
    for (int r = 0; r < 4; r++) {
        ASSERT_STREQ(scell(&c, r, "log_file"), r < 3
                                                   ? "native_phone_1B_nf4_seed1_uuid0000beef.txt"
                                                   : "samples_phone_1B_nf4_seed1_uuid0000beef.txt");
        ASSERT_STREQ(scell(&c, r, "backend"), r < 3 ? "native" : "samples");
        ASSERT_STREQ(scell(&c, r, "hostname"), "phone");
        ASSERT_STREQ(scell(&c, r, "device"), "Pixel 7, \"Tensor\"");
        ASSERT_STREQ(scell(&c, r, "size"), "1B");
        ASSERT_STREQ(scell(&c, r, "quantize"), "nf4");
        ASSERT_STREQ(scell(&c, r, "weight_format"), "q4_0");
        ASSERT_STREQ(scell(&c, r, "threads"), "4");
        ASSERT_STREQ(scell(&c, r, "duration_s"), "");
        ASSERT_STREQ(scell(&c, r, "warmup"), "0");
        ASSERT_STREQ(scell(&c, r, "clock_mhz"), "1800");
        ASSERT_STREQ(scell(&c, r, "throttle_count"), "");
        ASSERT_STREQ(scell(&c, r, "charging"), "0");
        ASSERT_STREQ(scell(&c, r, "psi_some_pct"), "");
        ASSERT_STREQ(scell(&c, r, "load1"), "0.5");
    }
    ASSERT_STREQ(scell(&c, 0, "repetition"), ""); /* before the first */
    ASSERT_STREQ(scell(&c, 0, "phase"), "cooldown");
    ASSERT_STREQ(scell(&c, 0, "other_cpu_pct"), "");
    ASSERT_STREQ(scell(&c, 2, "repetition"), "0");
    ASSERT_STREQ(scell(&c, 2, "phase"), "decode");
    ASSERT_STREQ(scell(&c, 2, "t_ms"), "200");
    ASSERT_STREQ(scell(&c, 2, "tokens"), "4");
    ASSERT_STREQ(scell(&c, 2, "energy_j"), "0.5");
    ASSERT_STREQ(scell(&c, 2, "power_w"), "2");
    ASSERT_STREQ(scell(&c, 2, "temp_c"), "47");
    ASSERT_STREQ(scell(&c, 2, "clock_mean_mhz"), "1700");
    ASSERT_STREQ(scell(&c, 2, "other_cpu_pct"), "4.5");
    ASSERT_STREQ(scell(&c, 3, "t_ms"), "0");
    csv_free(&c);
    /* the backend named "samples": its own CSV, not samples.csv */
    snprintf(path, sizeof path, "%s/samples_backend.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_EQ(c.n_rows, 2);
    ASSERT_STREQ(cell(&c, 0, "backend"), "samples");
    csv_free(&c);

    /* Python's csv module reads both, every record as long as the header */
    if (test_system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("(no python3: the files were not read with Python's csv module)\n");
    } else {
        ASSERT_EQ(test_system("cd '%s' && python3 -c '"
                              "import csv, sys\n"
                              "for name, n in ((\"samples.csv\", 4), (\"native.csv\", 9)):\n"
                              "    rows = list(csv.DictReader(open(name, newline=\"\", "
                              "encoding=\"utf-8\")))\n"
                              "    assert len(rows) == n, (name, len(rows))\n"
                              "    assert all(None not in r and None not in r.values() "
                              "for r in rows), name\n"
                              "s = list(csv.DictReader(open(\"samples.csv\", newline=\"\")))\n"
                              "assert [float(r[\"t_ms\"]) for r in s] == [0, 100, 200, 0]\n"
                              "assert s[1][\"device\"] == \"Pixel 7, \\\"Tensor\\\"\"\n"
                              "b = list(csv.DictReader(open(\"native.csv\", newline=\"\")))\n"
                              "assert b[7][\"joules_per_token\"] == \"0.1\"\n"
                              "assert b[7][\"sensors\"] == \"battery: BAT0, thermal: 2 zones\"\n"
                              "'",
                              dir),
                  0);
    }

    /* again: byte-identical */
    static const char *const outs[] = {"samples.csv", "native.csv", "samples_backend.csv"};
    char *first[3];
    size_t len[3];
    for (int i = 0; i < 3; i++) ASSERT_TRUE((first[i] = slurp(dir, outs[i], &len[i])));
    ASSERT_EQ(teai_collate(dir, NULL, NULL, &rep, &err), TEAI_OK);
    for (int i = 0; i < 3; i++) {
        size_t k;
        char *again = slurp(dir, outs[i], &k);
        ASSERT_TRUE(again != NULL && k == len[i] && memcmp(again, first[i], k) == 0);
        free(again);
    }

    /* without logs that have samples: samples.csv is left as it was */
    snprintf(path, sizeof path, "%s/native_phone_1B_nf4_seed1_uuid0000beef.txt", dir);
    ASSERT_EQ(unlink(path), 0);
    snprintf(path, sizeof path, "%s/samples_phone_1B_nf4_seed1_uuid0000beef.txt", dir);
    ASSERT_EQ(unlink(path), 0);
    n.text[0] = '\0';
    ASSERT_EQ(teai_collate(dir, take_note, &n, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_sample_rows, 0);
    ASSERT_TRUE(strstr(n.text, "samples.csv") == NULL);
    size_t k;
    char *still = slurp(dir, "samples.csv", &k);
    ASSERT_TRUE(still != NULL && k == len[0] && memcmp(still, first[0], k) == 0);
    free(still);
    for (int i = 0; i < 3; i++) free(first[i]);

    /* samples.csv cannot be written: an error naming it, nothing partial */
    ASSERT_EQ(write_sensor_log(dir, "native", "phone", 2), 0);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    ASSERT_EQ(unlink(path), 0);
    ASSERT_EQ(mkdir(path, 0755), 0);
    ASSERT_EQ(teai_collate(dir, NULL, NULL, &rep, &err), TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "samples.csv") != NULL);
    ASSERT_EQ(rep.n_sample_rows, 0);
    ASSERT_TRUE(!leftover_tmp(dir));
}

/* llama-bench's prompt test: every sample is a prefill measurement (a step-0
 * row each), so the statistics have n = samples, not one mean. */
static void test_pp_samples(void) {
    char dir[512], path[1200];
    test_tmp_path(dir, sizeof dir, "pp-samples");
    ASSERT_EQ(test_system("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    snprintf(path, sizeof path, "%s/llamacpp_h_1B_default_seed1_uuid0000000a.txt", dir);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("platform: Linux\nhostname: h\nsize: 1B\nquantize: default\nseed: 1\n"
          "uuid: uuid0000000a\n"
          "{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ns\": 1000000000, \"avg_ts\": 512.0, "
          "\"stddev_ts\": 50.0, \"samples_ns\": [800000000, 1000000000, 1280000000], "
          "\"samples_ts\": [640.0, 512.0, 400.0]}\n"
          "{\"n_prompt\": 256, \"n_gen\": 0, \"avg_ns\": 500000000, \"avg_ts\": 512.0}\n",
          f);
    ASSERT_EQ(fclose(f), 0);
    teai_collate_report rep;
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, NULL, NULL, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.n_rows, 4); /* 3 samples + the mean of a test without samples */
    csv c;
    snprintf(path, sizeof path, "%s/llamacpp.csv", dir);
    ASSERT_EQ(csv_load(&c, path), 0);
    ASSERT_EQ(c.n_rows, 4);
    static const char *const ms[] = {"800", "1000", "1280", "500"};
    static const char *const ts[] = {"640", "512", "400", "512"};
    for (int r = 0; r < 4; r++) {
        ASSERT_STREQ(cell(&c, r, "step"), "0");
        ASSERT_STREQ(cell(&c, r, "repetition"), r < 3 ? "0" : "1");
        ASSERT_STREQ(cell(&c, r, "prefill_tokens"), r < 3 ? "512" : "256");
        ASSERT_STREQ(cell(&c, r, "prefill_ms"), ms[r]);
        ASSERT_STREQ(cell(&c, r, "prefill_tokens_per_sec"), ts[r]);
        ASSERT_STREQ(cell(&c, r, "tokens_per_sec"), "");
    }
    csv_free(&c);
    /* the statistics see the samples */
    static const char *const cols[] = {"prefill_tokens"};
    teai_dataset *ds;
    ASSERT_EQ(teai_dataset_new(cols, 1, &ds, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_add_csv(ds, path, NULL, NULL, NULL, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_n_groups(ds), 2);
    for (int g = 0; g < 2; g++) {
        size_t n;
        const double *v = teai_dataset_values(ds, g, TEAI_M_PREFILL_TOK_S, &n);
        int is512 = !strcmp(teai_dataset_key(ds, g, 0), "512");
        ASSERT_EQ(n, is512 ? 3 : 1);
        if (is512 && n == 3) ASSERT_NEAR(v[0] + v[1] + v[2], 640 + 512 + 400, 1e-9);
    }
    teai_dataset_free(ds);
}

/* A log in the original MLC format is measured data for teai analyze: its
 * three runs are decode tokens/s values (per-run rates, said so). */
static void test_mlc_analyze(void) {
    const char *bin = getenv("TEAI_BIN");
    if (!bin || !*bin) {
        printf("(no TEAI_BIN: command not checked)\n");
        return;
    }
    char dir[512], out[1200];
    test_tmp_path(dir, sizeof dir, "mlc-analyze");
    ASSERT_EQ(test_system("rm -rf '%s' && mkdir -p '%s' && cp "
                          "'%s'/mlc_host1_1B_q4f16_1_seed42_uuidabcdef12.txt '%s'/",
                          dir, dir, fixtures(), dir),
              0);
    ASSERT_EQ(test_system("'%s' collate --dir '%s' 2>/dev/null", bin, dir), 0);
    snprintf(out, sizeof out, "%s/analyze.out", dir);
    ASSERT_EQ(test_system("'%s' analyze --dir '%s' >'%s' 2>&1", bin, dir, out), 0);
    size_t len;
    char *text = NULL;
    teai_error e;
    ASSERT_EQ(teai__read_file(out, 1 << 20, &text, &len, &e), TEAI_OK);
    ASSERT_TRUE(strstr(text, "backend=mlc_llm") != NULL);
    ASSERT_TRUE(strstr(text, "no measured rows") == NULL);
    const char *d = strstr(text, "decode tokens/s");
    ASSERT_TRUE(d != NULL);
    /* n = 3 runs, mean (24.69 + 25 + 24) / 3 = 24.56 */
    ASSERT_TRUE(d && strstr(d, " 3 ") && strstr(d, "24.56") != NULL);
    ASSERT_TRUE(strstr(text, "3 of the 3 are rates over chunks of several tokens") != NULL);
    free(text);
}

/* The command: exit codes and notes (once main.c knows the command). */
static void test_cli(void) {
    const char *bin = getenv("TEAI_BIN");
    if (!bin || !*bin) {
        printf("(no TEAI_BIN: command not checked)\n");
        return;
    }
    if (test_system("'%s' collate --help >/dev/null 2>&1", bin) != 0) {
        printf("(teai has no collate command yet: not checked)\n");
        return;
    }
    char dir[512], out[1200];
    ASSERT_EQ(copy_fixtures(dir, sizeof dir, "cli"), 0);
    snprintf(out, sizeof out, "%s/../%ld-cli.err", dir, (long)getpid());
    ASSERT_EQ(test_system("'%s' collate --dir '%s' 2>'%s'", bin, dir, out), 0);
    size_t len;
    char *err_text = NULL;
    teai_error e;
    ASSERT_EQ(teai__read_file(out, 1 << 20, &err_text, &len, &e), TEAI_OK);
    int ok = strstr(err_text, "notes.txt: unknown log dialect, skipped") != NULL &&
             strstr(err_text, "6 logs, 32 rows in 5 CSV files") != NULL;
    free(err_text);
    ASSERT_TRUE(ok);
    ASSERT_EQ(test_system("'%s' collate --dir '%s/none' 2>/dev/null", bin, dir), 3);
    ASSERT_EQ(test_system("'%s' collate --frobnicate 2>/dev/null", bin), 2);
    ASSERT_EQ(test_system("'%s' collate --dir 2>/dev/null", bin), 2);
    char path[1200];
    snprintf(path, sizeof path, "%s/tinygrad.csv", dir);
    ASSERT_EQ(unlink(path), 0);
    ASSERT_EQ(mkdir(path, 0755), 0);
    ASSERT_EQ(test_system("'%s' collate --dir '%s' 2>/dev/null", bin, dir), 1);
}

int main(void) {
#if !TEAI_HAVE_CJSON
    test_skip("teai was built without cJSON: its logs cannot be read");
#endif
    RUN_TEST(test_collate_fixtures);
    RUN_TEST(test_idempotent);
    RUN_TEST(test_unwritable);
    RUN_TEST(test_symlinks);
    RUN_TEST(test_sensor_columns);
    RUN_TEST(test_pp_samples);
    RUN_TEST(test_mlc_analyze);
    RUN_TEST(test_unreadable);
    RUN_TEST(test_cli);
    TEST_MAIN_END();
}
