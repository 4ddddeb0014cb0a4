/* Accuracy results (src/results/read_verifiers.c, teai_collate_accuracy):
 * teai-shaped and seed-shaped verifiers results files, nulls, malformed input,
 * accuracy.csv written deterministically and read back. */
#include "test_util.h"

#include "results/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if TEAI_HAVE_CJSON

typedef struct notes {
    int n;
    char last[1024];
    char all[8192];
} notes;

static void take_note(void *ud, const char *line) {
    notes *ns = ud;
    ns->n++;
    snprintf(ns->last, sizeof ns->last, "%s", line);
    size_t l = strlen(ns->all);
    snprintf(ns->all + l, sizeof ns->all - l, "%s\n", line);
}

/* The row of (environment, metric, quantization), or -1. */
static long find_row(const teai_acc_rows *r, const char *env, const char *metric,
                     const char *quant) {
    for (long i = 0; i < teai_acc_rows_count(r); i++)
        if (!strcmp(teai_acc_rows_cell(r, i, TEAI_ACC_ENV), env) &&
            !strcmp(teai_acc_rows_cell(r, i, TEAI_ACC_METRIC), metric) &&
            !strcmp(teai_acc_rows_cell(r, i, TEAI_ACC_QUANT), quant))
            return i;
    return -1;
}

static int read_json(const char *text, const char *name, teai_acc_rows *rows, notes *ns, int *n_rec,
                     int *n_bad, teai_error *err) {
    return teai_acc_read_json_mem(text, strlen(text), name, take_note, ns, rows, n_rec, n_bad, err);
}

/* What teai eval writes (src/eval/verifiers_json.c): backend, ci95, stderr, n. */
static const char *teai_json =
    "[\n"
    " {\"quantization\": \"nf4\", \"size\": \"1B\", \"environment\": \"gsm8k\",\n"
    "  \"num_examples\": 50, \"max_tokens\": 256,\n"
    "  \"metrics\": {\"reward\": {\"avg\": 0.42, \"std\": 0.4936, \"stderr\": 0.0698,\n"
    "                           \"ci95\": [0.2832, 0.5568], \"n\": 50},\n"
    "              \"format_reward\": {\"avg\": 1, \"std\": 0, \"stderr\": 0, \"ci95\": [1, 1],\n"
    "                                  \"n\": 50},\n"
    "              \"eval_time_seconds\": 12.5},\n"
    "  \"elapsed_seconds\": 13.25, \"returncode\": 0, \"timestamp\": \"2025-01-02T03:04:05Z\",\n"
    "  \"backend\": \"native\", \"weight_format\": \"nf4 (64-blocks)\", \"model\": \"m.gguf\",\n"
    "  \"rollouts\": 1, \"temperature\": 0, \"seed\": 42, \"examples_file\": null},\n"
    " {\"quantization\": \"float16\", \"size\": \"1B\", \"environment\": \"gsm8k\",\n"
    "  \"num_examples\": 50, \"max_tokens\": 256,\n"
    "  \"metrics\": {\"reward\": {\"avg\": 0.46, \"std\": null, \"stderr\": null,\n"
    "                           \"ci95\": [null, null], \"n\": null},\n"
    "              \"eval_time_seconds\": null},\n"
    "  \"elapsed_seconds\": null, \"returncode\": 0, \"timestamp\": \"2025-01-02T04:00:00Z\",\n"
    "  \"backend\": \"native\", \"weight_format\": \"f16\"}\n"
    "]\n";

static void test_teai_shaped(void) {
    teai_acc_rows *rows = teai_acc_rows_new();
    ASSERT_TRUE(rows != NULL);
    notes ns = {0};
    int n_rec = -1, n_bad = -1;
    teai_error err = {0};
    ASSERT_EQ(read_json(teai_json, "native_sweep_gsm8k_1B_20250102_030405.json", rows, &ns, &n_rec,
                        &n_bad, &err),
              TEAI_OK);
    ASSERT_EQ(n_rec, 2);
    ASSERT_EQ(n_bad, 0);
    ASSERT_EQ(ns.n, 0);
    ASSERT_EQ(teai_acc_rows_count(rows), 3); /* reward, format_reward; reward */
    long r = find_row(rows, "gsm8k", "reward", "nf4");
    ASSERT_TRUE(r >= 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_BACKEND), "native");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_SIZE), "1B");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_WEIGHT_FORMAT), "nf4 (64-blocks)");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_VALUE), "0.42");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_STD), "0.4936");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_STDERR), "0.0698");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_CI_LOW), "0.2832");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_CI_HIGH), "0.5568");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_N), "50");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_NUM_EXAMPLES), "50");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_MAX_TOKENS), "256");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_EVAL_TIME), "12.5");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_ELAPSED), "13.25");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_RETURNCODE), "0");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_TIMESTAMP), "2025-01-02T03:04:05Z");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_SOURCE),
                 "native_sweep_gsm8k_1B_20250102_030405.json");
    ASSERT_NEAR(teai_acc_rows_num(rows, r, TEAI_ACC_VALUE), 0.42, 0);
    /* eval_time_seconds is a column, never a metric */
    ASSERT_TRUE(find_row(rows, "gsm8k", "eval_time_seconds", "nf4") < 0);
    ASSERT_TRUE(find_row(rows, "gsm8k", "format_reward", "nf4") >= 0);

    /* nulls are empty cells, never zeros */
    r = find_row(rows, "gsm8k", "reward", "float16");
    ASSERT_TRUE(r >= 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_VALUE), "0.46");
    static const int empty[] = {TEAI_ACC_STD, TEAI_ACC_STDERR,    TEAI_ACC_CI_LOW, TEAI_ACC_CI_HIGH,
                                TEAI_ACC_N,   TEAI_ACC_EVAL_TIME, TEAI_ACC_ELAPSED};
    for (size_t k = 0; k < sizeof empty / sizeof *empty; k++) {
        ASSERT_STREQ(teai_acc_rows_cell(rows, r, empty[k]), "");
        ASSERT_TRUE(isnan(teai_acc_rows_num(rows, r, empty[k])));
    }
    /* out of range: "" */
    ASSERT_STREQ(teai_acc_rows_cell(rows, 99, TEAI_ACC_VALUE), "");
    ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_N_COLS), "");
    ASSERT_TRUE(teai_acc_column_name(TEAI_ACC_N_COLS) == NULL);
    ASSERT_STREQ(teai_acc_column_name(TEAI_ACC_SOURCE), "source");
    teai_acc_rows_free(rows);
}

/* The seed's verifiers_sweep.py: no backend (it is the file-name prefix),
 * reward {avg, std} only. */
static void test_seed_shaped(void) {
    static const char *seed =
        "[{\"quantization\": \"int8\", \"size\": \"1B\", \"environment\": \"reverse_text\","
        " \"num_examples\": 20, \"max_tokens\": 128,"
        " \"metrics\": {\"reward\": {\"avg\": 0.4, \"std\": 0.49}, \"eval_time_seconds\": 12.0},"
        " \"elapsed_seconds\": 15.5, \"returncode\": 0, \"timestamp\": \"2024-06-01T10:00:00\"}]";
    /* a record lacking environment and size takes them from the name */
    static const char *bare = "[{\"quantization\": \"default\", \"metrics\": {\"reward\": 0.25}}]";
    static const struct {
        const char *name, *json, *backend, *env, *size;
    } cases[] = {
        {"llamacpp_sweep_reverse_text_1B_20240601_100000.json", NULL, "llamacpp", "reverse_text",
         "1B"},
        {"sweep_reverse_text_1B_20240601_100000.json", NULL, "tinygrad", "reverse_text", "1B"},
        {"mlc_sweep_reverse_text_1B_20240601_100000.json", NULL, "mlc_llm", "reverse_text", "1B"},
        {"native_sweep_reverse_text_1B_20240601_100000.json", NULL, "native", "reverse_text", "1B"},
        {"llamacpp_sweep_wordle_3B_20240601_100000.json", "bare", "llamacpp", "wordle", "3B"},
        {"results.json", "bare", "", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai_acc_rows *rows = teai_acc_rows_new();
        notes ns = {0};
        teai_error err = {0};
        int n_rec = 0, n_bad = 0;
        ASSERT_EQ(
            read_json(cases[i].json ? bare : seed, cases[i].name, rows, &ns, &n_rec, &n_bad, &err),
            TEAI_OK);
        ASSERT_EQ(teai_acc_rows_count(rows), 1);
        ASSERT_EQ(n_bad, 0);
        ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_BACKEND), cases[i].backend);
        ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_ENV), cases[i].env);
        ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_SIZE), cases[i].size);
        ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_METRIC), "reward");
        if (cases[i].json) {
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_VALUE), "0.25");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_STD), "");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_RETURNCODE), "");
        } else {
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_VALUE), "0.4");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_STD), "0.49");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_STDERR), "");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_CI_LOW), "");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_N), "");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_EVAL_TIME), "12");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_WEIGHT_FORMAT), "");
            ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_TIMESTAMP), "2024-06-01T10:00:00");
        }
        teai_acc_rows_free(rows);
    }
}

static void test_malformed(void) {
    teai_acc_rows *rows = teai_acc_rows_new();
    notes ns = {0};
    teai_error err = {0};
    int n_rec = 0, n_bad = 0;
    /* not a list, or not JSON: an error naming the file, nothing appended */
    ASSERT_EQ(read_json("{\"metrics\": {}}", "x.json", rows, &ns, &n_rec, &n_bad, &err),
              TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "x.json") != NULL);
    ASSERT_EQ(
        read_json("[{\"metrics\": {\"reward\": 1}", "y.json", rows, &ns, &n_rec, &n_bad, &err),
        TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "y.json: not JSON") != NULL);
    ASSERT_EQ(read_json("", "z.json", rows, &ns, &n_rec, &n_bad, &err), TEAI_EFORMAT);
    ASSERT_EQ(teai_acc_rows_count(rows), 0);

    /* bad records and metrics are noted and skipped; good ones stay */
    static const char *mixed =
        "[3, {\"environment\": \"gsm8k\"}, {\"environment\": \"gsm8k\", \"metrics\": \"x\"},\n"
        " {\"environment\": \"gsm8k\", \"metrics\": {\"eval_time_seconds\": 3}},\n"
        " {\"environment\": \"gsm8k\", \"quantization\": \"int8\", \"backend\": \"native\",\n"
        "  \"metrics\": {\"reward\": {\"avg\": \"high\", \"ci95\": [0.1], \"n\": 5},\n"
        "              \"format\": \"text\", \"partial\": {\"ci95\": [0.2, null]},\n"
        "              \"missing\": null}}]";
    ns.n = 0;
    ns.all[0] = '\0';
    ASSERT_EQ(read_json(mixed, "m.json", rows, &ns, &n_rec, &n_bad, &err), TEAI_OK);
    ASSERT_EQ(n_rec, 1);
    ASSERT_EQ(n_bad, 5); /* 4 records and the metric "format" */
    ASSERT_TRUE(strstr(ns.all, "m.json: record 1: not an object, skipped") != NULL);
    ASSERT_TRUE(strstr(ns.all, "m.json: record 2: no metrics object, skipped") != NULL);
    ASSERT_TRUE(strstr(ns.all, "m.json: record 3: no metrics object, skipped") != NULL);
    ASSERT_TRUE(strstr(ns.all, "m.json: record 4: no metrics, skipped") != NULL);
    ASSERT_TRUE(strstr(ns.all, "record 5: metric format: neither an object nor a number") != NULL);
    ASSERT_TRUE(strstr(ns.all, "record 5: metric reward: \"avg\" is not a number") != NULL);
    ASSERT_TRUE(strstr(ns.all, "record 5: metric reward: \"ci95\" is not [low, high]") != NULL);
    ASSERT_EQ(teai_acc_rows_count(rows), 3); /* reward, partial, missing */
    long r = find_row(rows, "gsm8k", "reward", "int8");
    ASSERT_TRUE(r >= 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_VALUE), "");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_CI_LOW), "");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_N), "5");
    r = find_row(rows, "gsm8k", "partial", "int8"); /* half an interval is none */
    ASSERT_TRUE(r >= 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_CI_LOW), "");
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_CI_HIGH), "");
    r = find_row(rows, "gsm8k", "missing", "int8");
    ASSERT_TRUE(r >= 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, r, TEAI_ACC_VALUE), "");
    teai_acc_rows_free(rows);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p) p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void put(const char *dir, const char *name, const char *text) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_collate(void) {
    char dir[512], edir[600], csv[700];
    test_tmp_path(dir, sizeof dir, "accuracy");
    mkdir(dir, 0777);
    snprintf(csv, sizeof csv, "%s/accuracy.csv", dir);
    teai_error err = {0};
    teai_acc_report rep;
    notes ns = {0};

    /* no verifiers_results: nothing, silently */
    ASSERT_EQ(teai_collate_accuracy(dir, NULL, take_note, &ns, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.written, 0);
    ASSERT_EQ(ns.n, 0);
    struct stat sb;
    ASSERT_TRUE(stat(csv, &sb) != 0);

    snprintf(edir, sizeof edir, "%s/verifiers_results", dir);
    mkdir(edir, 0777);
    put(edir, "native_sweep_gsm8k_1B_20250102_030405.json", teai_json);
    put(edir, "llamacpp_sweep_gsm8k_1B_20240601_100000.json",
        "[{\"quantization\": \"int8\", \"size\": \"1B\", \"environment\": \"gsm8k\","
        " \"num_examples\": 20, \"max_tokens\": 128,"
        " \"metrics\": {\"reward\": {\"avg\": 0.3, \"std\": 0.46}, \"eval_time_seconds\": 9},"
        " \"elapsed_seconds\": 10, \"returncode\": 0, \"timestamp\": \"2024-06-01T10:00:00\"},"
        " {\"quantization\": \"a,b \\\"q\\\"\", \"size\": \"1B\", \"environment\": \"gsm8k\","
        " \"metrics\": {\"reward\": 0.5}, \"returncode\": 1}]");
    put(edir, "broken.json", "[{\"metrics\": ");
    put(edir, ".hidden.json", "not even json");
    put(edir, "notes.txt", "not a results file");

    ASSERT_EQ(teai_collate_accuracy(dir, NULL, take_note, &ns, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.written, 1);
    ASSERT_EQ(rep.n_files, 2);
    ASSERT_EQ(rep.n_bad_files, 1);
    ASSERT_EQ(rep.n_records, 4);
    ASSERT_EQ(rep.n_rows, 5);
    ASSERT_TRUE(strstr(ns.all, "broken.json: not JSON, skipped") != NULL);
    ASSERT_TRUE(strstr(ns.all, "wrote ") != NULL);
    size_t len1 = 0, len2 = 0;
    char *a = slurp(csv, &len1);
    ASSERT_TRUE(a != NULL);
    static const char *hdr = "backend,size,quantization,weight_format,environment,metric,value,"
                             "std,stderr,ci_low,ci_high,n,num_examples,max_tokens,"
                             "eval_time_seconds,elapsed_seconds,returncode,timestamp,source\r\n";
    ASSERT_TRUE(strncmp(a, hdr, strlen(hdr)) == 0);
    /* a cell with a comma and quotes is quoted (RFC 4180) */
    ASSERT_TRUE(strstr(a, "\"a,b \"\"q\"\"\"") != NULL);
    /* the seed's file has no n: its cells are empty */
    ASSERT_TRUE(strstr(a, "llamacpp,1B,int8,,gsm8k,reward,0.3,0.46,,,,,20,128,9,10,0,"
                          "2024-06-01T10:00:00,llamacpp_sweep_gsm8k_1B_20240601_100000.json\r\n") !=
                NULL);

    /* re-run (files listed in another order by the OS or not): same bytes */
    ASSERT_EQ(teai_collate_accuracy(dir, edir, NULL, NULL, NULL, &err), TEAI_OK);
    char *b = slurp(csv, &len2);
    ASSERT_TRUE(b != NULL);
    ASSERT_EQ(len1, len2);
    ASSERT_TRUE(memcmp(a, b, len1) == 0);
    free(b);

    /* read back: the same cells, in the same (sorted) order */
    teai_acc_rows *rows = NULL;
    ASSERT_EQ(teai_acc_read_csv(csv, NULL, NULL, &rows, &err), TEAI_OK);
    ASSERT_EQ(teai_acc_rows_count(rows), 5);
    char *text = NULL;
    size_t tlen = 0;
    ASSERT_EQ(teai_acc_rows_csv(rows, &text, &tlen), TEAI_OK);
    ASSERT_EQ(tlen, len1);
    ASSERT_TRUE(memcmp(text, a, len1) == 0);
    free(text);
    /* sorted: environment, metric, backend, ...: format_reward before reward,
     * llamacpp before native */
    ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_METRIC), "format_reward");
    ASSERT_STREQ(teai_acc_rows_cell(rows, 1, TEAI_ACC_BACKEND), "llamacpp");
    ASSERT_STREQ(teai_acc_rows_cell(rows, 4, TEAI_ACC_BACKEND), "native");
    teai_acc_rows_free(rows);
    free(a);

    /* a result directory without usable files leaves accuracy.csv alone */
    char e2[700];
    snprintf(e2, sizeof e2, "%s/other", dir);
    mkdir(e2, 0777);
    put(e2, "bad.json", "{}");
    ns.n = 0;
    ASSERT_EQ(teai_collate_accuracy(dir, e2, take_note, &ns, &rep, &err), TEAI_OK);
    ASSERT_EQ(rep.written, 0);
    ASSERT_EQ(rep.n_bad_files, 1);
    ASSERT_TRUE(strstr(ns.last, "accuracy.csv not written") != NULL);
    ASSERT_TRUE(stat(csv, &sb) == 0 && (size_t)sb.st_size == len1);
}

static void test_read_csv(void) {
    char dir[512], p[600];
    test_tmp_path(dir, sizeof dir, "accuracy_csv");
    mkdir(dir, 0777);
    teai_error err = {0};
    teai_acc_rows *rows = NULL;
    snprintf(p, sizeof p, "%s/none.csv", dir);
    ASSERT_EQ(teai_acc_read_csv(p, NULL, NULL, &rows, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(rows == NULL);
    /* a speed CSV is not an accuracy.csv */
    put(dir, "speed.csv", "step,tokens_per_sec\r\n1,10\r\n");
    snprintf(p, sizeof p, "%s/speed.csv", dir);
    ASSERT_EQ(teai_acc_read_csv(p, NULL, NULL, &rows, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "not an accuracy.csv") != NULL);
    /* columns by name, in any order; short rows noted and skipped */
    put(dir, "a.csv",
        "metric,value,environment,extra,backend\n"
        "reward,0.5,gsm8k,x,native\n"
        "reward,0.7\n"
        "\n"
        "ppl,12.5,perplexity,y,llamacpp\n");
    snprintf(p, sizeof p, "%s/a.csv", dir);
    notes ns = {0};
    ASSERT_EQ(teai_acc_read_csv(p, take_note, &ns, &rows, &err), TEAI_OK);
    ASSERT_EQ(ns.n, 1);
    ASSERT_TRUE(strstr(ns.last, "a.csv:3: 2 fields, header has 5, skipped") != NULL);
    ASSERT_EQ(teai_acc_rows_count(rows), 2);
    ASSERT_STREQ(teai_acc_rows_cell(rows, 0, TEAI_ACC_ENV), "gsm8k"); /* sorted */
    ASSERT_NEAR(teai_acc_rows_num(rows, 1, TEAI_ACC_VALUE), 12.5, 0);
    ASSERT_STREQ(teai_acc_rows_cell(rows, 1, TEAI_ACC_BACKEND), "llamacpp");
    ASSERT_STREQ(teai_acc_rows_cell(rows, 1, TEAI_ACC_SIZE), "");
    teai_acc_rows_free(rows);
}

int main(void) {
    RUN_TEST(test_teai_shaped);
    RUN_TEST(test_seed_shaped);
    RUN_TEST(test_malformed);
    RUN_TEST(test_collate);
    RUN_TEST(test_read_csv);
    TEST_MAIN_END();
}

#else

int main(void) {
    printf("SKIP: built without cJSON\n");
    return TEST_SKIP_CODE;
}

#endif
