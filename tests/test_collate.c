/* teai collate over hand-written logs of every dialect (tests/fixtures/logs):
 * the CSV header line exactly, row counts and cells per backend, byte-identical
 * reruns, corrupt lines and unknown files reported and skipped, and an output
 * that cannot be written failing cleanly, leaving no partial file. */
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
    "compiler,start_time,status,error,source_format,log_file\r\n";

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

    csv c;
    static const int rows[] = {11, 6, 7, 3, 5};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, csv_names[i]);
        ASSERT_EQ(csv_load(&c, path), 0);
        ASSERT_TRUE(strncmp(c.data, header_line, strlen(header_line)) == 0);
        if (c.n_rows != rows[i]) fprintf(stderr, "%s\n", csv_names[i]);
        ASSERT_EQ(c.n_rows, rows[i]);
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
    RUN_TEST(test_pp_samples);
    RUN_TEST(test_mlc_analyze);
    RUN_TEST(test_unreadable);
    RUN_TEST(test_cli);
    TEST_MAIN_END();
}
