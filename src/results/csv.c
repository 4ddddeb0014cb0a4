/* RFC 4180 output (docs/log-format.md §3): CRLF line ends (as the seed's Python csv
 * module wrote them); a field is quoted when it holds a comma, a double quote,
 * CR or LF, with its quotes doubled. Every field is written as well-formed
 * UTF-8 (teai__utf8_sanitize: ill-formed bytes become U+FFFD; NULs are kept),
 * so the file opens with Python's csv module, pandas and spreadsheets even
 * when a byte-level tokenizer split a character between two tokens: the
 * exact bytes stay in the log (text_hex). */
#include "results/results_impl.h"

int teai__csv_field(teai_buf *b, const char *s, size_t n) {
    teai_buf clean;
    teai_buf_init(&clean, 0);
    int rc = TEAI_OK;
    if (!teai__utf8_valid(s, n)) {
        rc = teai__utf8_sanitize(&clean, s, n, NULL);
        s = clean.data, n = clean.len;
    }
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (rc == TEAI_OK && !quote) rc = teai_buf_add(b, s, n);
    if (rc == TEAI_OK && quote) {
        rc = teai_buf_add(b, "\"", 1);
        size_t run = 0;
        for (size_t i = 0; i < n && rc == TEAI_OK; i++) {
            if (s[i] != '"') continue;
            rc = teai_buf_add(b, s + run, i + 1 - run); /* through the quote */
            if (rc == TEAI_OK) rc = teai_buf_add(b, "\"", 1);
            run = i + 1;
        }
        if (rc == TEAI_OK) rc = teai_buf_add(b, s + run, n - run);
        if (rc == TEAI_OK) rc = teai_buf_add(b, "\"", 1);
    }
    teai_buf_free(&clean);
    return rc;
}

/* A header line of n_cols names. */
static int header(teai_buf *b, int n_cols, const char *(*name)(int)) {
    int rc = TEAI_OK;
    for (int c = 0; c < n_cols && rc == TEAI_OK; c++) {
        if (c) rc = teai_buf_add(b, ",", 1);
        if (rc == TEAI_OK) rc = teai_buf_addstr(b, name(c));
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, "\r\n", 2);
    return rc;
}

typedef const char *(*cell_fn)(const teai_log_rows *r, long row, int col, size_t *len);

/* n_rows lines of n_cols fields. */
static int rows(teai_buf *b, const teai_log_rows *r, long n_rows, int n_cols, cell_fn cell) {
    int rc = TEAI_OK;
    for (long i = 0; i < n_rows && rc == TEAI_OK; i++) {
        for (int c = 0; c < n_cols && rc == TEAI_OK; c++) {
            size_t n;
            const char *s = cell(r, i, c, &n);
            if (c) rc = teai_buf_add(b, ",", 1);
            if (rc == TEAI_OK) rc = teai__csv_field(b, s, n);
        }
        if (rc == TEAI_OK) rc = teai_buf_add(b, "\r\n", 2);
    }
    return rc;
}

int teai__csv_header(teai_buf *b) {
    return header(b, TEAI_CSV_N_COLS, teai_csv_column_name);
}

int teai__csv_rows(teai_buf *b, const teai_log_rows *r) {
    return rows(b, r, teai_log_rows_count(r), TEAI_CSV_N_COLS, teai_log_rows_cell);
}

int teai__csv_sample_header(teai_buf *b) {
    return header(b, TEAI_SAMPLE_N_COLS, teai_sample_column_name);
}

int teai__csv_sample_rows(teai_buf *b, const teai_log_rows *r) {
    return rows(b, r, teai_log_rows_sample_count(r), TEAI_SAMPLE_N_COLS, teai_log_rows_sample_cell);
}
