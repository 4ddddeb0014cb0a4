/* Fuzz target: the verifiers results reader (read_verifiers.c) over arbitrary
 * bytes under seed-style and teai-style file names, then accuracy.csv text
 * written from what it accepted and parsed back: every record has every
 * column and every cell comes back byte for byte (quoting is right), ill-formed
 * UTF-8 as U+FFFD. The
 * bytes are also tried as a file name, for the name parser. */
#include "results/results.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ud, const char *line) {
    if (!line || !*line) abort(); /* notes are one non-empty line */
    (void)ud;
}

static void round_trip(const teai_acc_rows *rows) {
    char *csv = NULL;
    size_t len = 0;
    if (teai_acc_rows_csv(rows, &csv, &len) != TEAI_OK) abort();
    teai_csv_reader *rd = NULL;
    teai_error err = {0};
    if (teai_csv_open_mem(csv, len, "accuracy.csv", &rd, &err) != TEAI_OK) abort();
    const teai_csv_field *f;
    int n;
    long row = -1; /* the header first */
    int st;
    while ((st = teai_csv_next(rd, &f, &n, &err)) == 1) {
        if (n != TEAI_ACC_N_COLS) abort();
        for (int c = 0; c < n; c++) {
            const char *want = row < 0 ? teai_acc_column_name(c) : teai_acc_rows_cell(rows, row, c);
            /* CSV cells are written as valid UTF-8 (U+FFFD for ill-formed bytes) */
            teai_buf clean;
            teai_buf_init(&clean, 0);
            if (teai__utf8_sanitize(&clean, want, strlen(want), NULL) != TEAI_OK) abort();
            const char *w = clean.len ? clean.data : "";
            if (f[c].len != clean.len || memcmp(f[c].p, w, f[c].len)) abort();
            teai_buf_free(&clean);
        }
        row++;
    }
    if (st != 0 || row != teai_acc_rows_count(rows)) abort();
    teai_csv_close(rd);
    free(csv);
}

static void check(const char *bytes, size_t n, const char *name) {
    teai_acc_rows *rows = teai_acc_rows_new();
    if (!rows) return;
    teai_error err = {0};
    int n_rec = -1, n_bad = -1;
    int rc = teai_acc_read_json_mem(bytes, n, name, ignore, NULL, rows, &n_rec, &n_bad, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || err.status != rc || !err.msg[0] || teai_acc_rows_count(rows)) abort();
    } else {
        if (n_rec < 0 || n_bad < 0 || n_rec > teai_acc_rows_count(rows)) abort();
        for (long i = 0; i < teai_acc_rows_count(rows); i++) {
            if (!teai_acc_rows_cell(rows, i, TEAI_ACC_METRIC)[0]) abort();
            if (strcmp(teai_acc_rows_cell(rows, i, TEAI_ACC_SOURCE), name)) abort();
        }
        teai_acc_rows_sort(rows);
        round_trip(rows);
    }
    teai_acc_rows_free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {
        "llamacpp_sweep_reverse_text_1B_20240601_100000.json",
        "sweep_gsm8k_3B_20240601_100000.json",
        "native_sweep_perplexity_1B_x_y.json",
        "results.json",
    };
    char *buf = malloc(size ? size : 1); /* exact: overreads are caught */
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) check(buf, size, names[i]);
    free(buf);
    /* the bytes as a file name (up to the first NUL) */
    char name[256];
    size_t k = size < sizeof name - 1 ? size : sizeof name - 1;
    memcpy(name, data, k);
    name[k] = '\0';
    static const char rec[] = "[{\"quantization\": \"nf4\", \"metrics\": {\"reward\": 0.5}}]";
    check(rec, sizeof rec - 1, name);
    return 0;
}
