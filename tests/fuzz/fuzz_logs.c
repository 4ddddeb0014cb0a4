/* Fuzz target: every log dialect reader over arbitrary bytes, then the CSV
 * writer over whatever they accepted (the speed rows and samples.csv's). The bytes are read as they
 * are (the dialect detection picks), and again behind a first line that makes each dialect's reader
 * take them: teai-log, MLC, llama-bench, tinygrad. */
#include "results/results_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ud, const char *line) {
    if (!line || !*line) abort(); /* notes are one non-empty line */
    (void)ud;
}

static void check(const char *bytes, size_t n) {
    teai_log_rows *r = NULL;
    teai_error err = {0};
    int rc =
        teai_log_read_mem(bytes, n, "fuzz_host_1B_nf4_seed1_uuid0.txt", ignore, NULL, &r, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || r || err.status != rc || !err.msg[0]) abort();
        return;
    }
    if (!teai_log_rows_csv(r)[0] || !teai_log_rows_format(r)[0]) abort();
    long rows = teai_log_rows_count(r);
    for (long i = 0; i < rows; i++)
        for (int c = 0; c < TEAI_CSV_N_COLS; c++) {
            size_t len;
            const char *s = teai_log_rows_cell(r, i, c, &len);
            if (!s || s[len] != '\0') abort();
        }
    long samples = teai_log_rows_sample_count(r);
    for (long i = 0; i < samples; i++)
        for (int c = 0; c < TEAI_SAMPLE_N_COLS; c++) {
            size_t len;
            const char *s = teai_log_rows_sample_cell(r, i, c, &len);
            if (!s || s[len] != '\0') abort();
        }
    teai_buf csv;
    teai_buf_init(&csv, 0);
    if (teai__csv_header(&csv) != TEAI_OK || teai__csv_rows(&csv, r) != TEAI_OK) abort();
    if (teai__csv_sample_header(&csv) != TEAI_OK || teai__csv_sample_rows(&csv, r) != TEAI_OK)
        abort();
    teai_buf_free(&csv);
    teai_log_rows_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const first[] = {
        "",
        "backend: native\nformat: teai-log 1\n",
        "framework: mlc_llm\n",
        "uuid: x\n{\"avg_ts\": 1}\n",
        "seed: 1\nenqueue in 1.0 ms\n",
    };
    for (size_t i = 0; i < sizeof first / sizeof *first; i++) {
        size_t k = strlen(first[i]);
        char *buf = malloc(k + size ? k + size : 1); /* exact: overreads are caught */
        if (!buf) return 0;
        memcpy(buf, first[i], k);
        if (size) memcpy(buf + k, data, size);
        check(buf, k + size); /* exactly k + size bytes: no NUL at the end */
        free(buf);
    }
    return 0;
}
