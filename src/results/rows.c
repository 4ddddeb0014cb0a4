/* teai_log_rows: the CSV cells of one log, and the rows of samples.csv its
 * sample lines give. Cells live in one arena and are addressed by (offset,
 * length), so a header value repeated on every row is stored once. */
#include "results/results_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

teai_log_rows *teai__rows_new(void) {
    teai_log_rows *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    teai_buf_init(&r->arena, 0);
    if (teai_buf_add(&r->arena, "", 1) != TEAI_OK) { /* offset 0: "" */
        free(r);
        return NULL;
    }
    return r;
}

void teai_log_rows_free(teai_log_rows *r) {
    if (!r) return;
    teai_buf_free(&r->arena);
    free(r->cells);
    free(r->keys);
    free(r->samples);
    free(r);
}

long teai__rows_add(teai_log_rows *r, long long rep, long long step) {
    if (r->n_rows == r->cap_rows) {
        long cap = r->cap_rows ? r->cap_rows * 2 : 64;
        if (cap > (1L << 26)) return -1;
        teai__cell *c = realloc(r->cells, sizeof *c * (size_t)cap * TEAI_CSV_N_COLS);
        if (!c) return -1;
        r->cells = c;
        long long *k = realloc(r->keys, sizeof *k * (size_t)cap * 3);
        if (!k) return -1;
        r->keys = k;
        r->cap_rows = cap;
    }
    long i = r->n_rows++;
    memset(r->cells + (size_t)i * TEAI_CSV_N_COLS, 0, sizeof *r->cells * TEAI_CSV_N_COLS);
    r->keys[i * 3] = rep;
    r->keys[i * 3 + 1] = step;
    r->keys[i * 3 + 2] = i;
    return i;
}

static teai__cell *cell_at(teai_log_rows *r, long row, int col) {
    if (col < 0 || col >= TEAI_CSV_N_COLS) return NULL;
    if (row == TEAI__META) return &r->meta[col];
    if (row < 0 || row >= r->n_rows) return NULL;
    return &r->cells[(size_t)row * TEAI_CSV_N_COLS + (size_t)col];
}

/* Stores the n bytes at s in the arena as cell c. */
static int put_cell(teai_log_rows *r, teai__cell *c, const char *s, size_t n) {
    if (n == 0) {
        c->off = c->len = 0;
        return TEAI_OK;
    }
    size_t off = r->arena.len;
    if (n > UINT32_MAX || off > UINT32_MAX - n) return TEAI_ENOMEM;
    int rc = teai_buf_add(&r->arena, s, n);
    if (rc == TEAI_OK) rc = teai_buf_add(&r->arena, "", 1);
    if (rc != TEAI_OK) return rc;
    c->off = (uint32_t)off;
    c->len = (uint32_t)n;
    return TEAI_OK;
}

int teai__rows_set(teai_log_rows *r, long row, int col, const char *s, size_t n) {
    teai__cell *c = cell_at(r, row, col);
    return c ? put_cell(r, c, s, n) : TEAI_EINVAL;
}

int teai__rows_setstr(teai_log_rows *r, long row, int col, const char *s) {
    return teai__rows_set(r, row, col, s, s ? strlen(s) : 0);
}

int teai__rows_setnum(teai_log_rows *r, long row, int col, double v) {
    char num[TEAI__NUM_MAX];
    size_t n = teai__fmt_num(num, v);
    return teai__rows_set(r, row, col, num, n);
}

int teai__rows_setint(teai_log_rows *r, long row, int col, long long v) {
    char num[TEAI__NUM_MAX];
    int n = snprintf(num, sizeof num, "%lld", v);
    return teai__rows_set(r, row, col, num, (size_t)n);
}

long teai__sample_add(teai_log_rows *r) {
    if (r->n_samples == r->cap_samples) {
        long cap = r->cap_samples ? r->cap_samples * 2 : 64;
        if (cap > (1L << 26)) return -1;
        teai__cell *c = realloc(r->samples, sizeof *c * (size_t)cap * TEAI_SAMPLE_N_COLS);
        if (!c) return -1;
        r->samples = c;
        r->cap_samples = cap;
    }
    long i = r->n_samples++;
    memset(r->samples + (size_t)i * TEAI_SAMPLE_N_COLS, 0, sizeof *r->samples * TEAI_SAMPLE_N_COLS);
    return i;
}

int teai__sample_set(teai_log_rows *r, long row, int col, const char *s, size_t n) {
    if (row < 0 || row >= r->n_samples || col < 0 || col >= TEAI_SAMPLE_N_COLS) return TEAI_EINVAL;
    return put_cell(r, &r->samples[(size_t)row * TEAI_SAMPLE_N_COLS + (size_t)col], s, n);
}

int teai__sample_setnum(teai_log_rows *r, long row, int col, double v) {
    char num[TEAI__NUM_MAX];
    size_t n = teai__fmt_num(num, v);
    return teai__sample_set(r, row, col, num, n);
}

int teai__sample_setint(teai_log_rows *r, long row, int col, long long v) {
    char num[TEAI__NUM_MAX];
    int n = snprintf(num, sizeof num, "%lld", v);
    return teai__sample_set(r, row, col, num, (size_t)n);
}

int teai__rows_has(const teai_log_rows *r, long row, int col) {
    teai__cell *c = cell_at((teai_log_rows *)r, row, col);
    return c && c->len > 0;
}

typedef struct row_key {
    long long k[3]; /* repetition, step, creation order: a total order */
    long idx;
} row_key;

static int cmp_rows(const void *a, const void *b) {
    const long long *ka = ((const row_key *)a)->k, *kb = ((const row_key *)b)->k;
    for (int i = 0; i < 3; i++)
        if (ka[i] != kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

/* samples.csv's columns that describe the log: its CSV columns of the same
 * meaning */
static const struct {
    int scol, col;
} sample_meta[] = {
    {TEAI_SCOL_LOG_FILE, TEAI_COL_LOG_FILE},
    {TEAI_SCOL_BACKEND, TEAI_COL_BACKEND},
    {TEAI_SCOL_HOSTNAME, TEAI_COL_HOSTNAME},
    {TEAI_SCOL_DEVICE, TEAI_COL_DEVICE},
    {TEAI_SCOL_SIZE, TEAI_COL_SIZE},
    {TEAI_SCOL_QUANTIZE, TEAI_COL_QUANTIZE},
    {TEAI_SCOL_WEIGHT_FORMAT, TEAI_COL_WEIGHT_FORMAT},
    {TEAI_SCOL_THREADS, TEAI_COL_THREADS},
    {TEAI_SCOL_DURATION_S, TEAI_COL_DURATION_S},
};

int teai__rows_finish(teai_log_rows *r) {
    for (long i = 0; i < r->n_samples; i++) {
        teai__cell *row = r->samples + (size_t)i * TEAI_SAMPLE_N_COLS;
        for (size_t k = 0; k < sizeof sample_meta / sizeof *sample_meta; k++)
            if (row[sample_meta[k].scol].len == 0)
                row[sample_meta[k].scol] = r->meta[sample_meta[k].col];
    }
    for (long i = 0; i < r->n_rows; i++) {
        teai__cell *row = r->cells + (size_t)i * TEAI_CSV_N_COLS;
        for (int c = 0; c < TEAI_CSV_N_COLS; c++)
            if (row[c].len == 0) row[c] = r->meta[c];
    }
    if (r->n_rows < 2) return TEAI_OK;
    /* already in order (the usual case)? */
    int sorted = 1;
    for (long i = 1; i < r->n_rows && sorted; i++) {
        const long long *a = r->keys + (i - 1) * 3, *b = r->keys + i * 3;
        sorted = a[0] < b[0] || (a[0] == b[0] && (a[1] < b[1] || (a[1] == b[1] && a[2] < b[2])));
    }
    if (sorted) return TEAI_OK;
    row_key *idx = malloc(sizeof *idx * (size_t)r->n_rows);
    teai__cell *cells = malloc(sizeof *cells * (size_t)r->n_rows * TEAI_CSV_N_COLS);
    long long *keys = malloc(sizeof *keys * (size_t)r->n_rows * 3);
    if (!idx || !cells || !keys) {
        free(idx), free(cells), free(keys);
        return TEAI_ENOMEM;
    }
    for (long i = 0; i < r->n_rows; i++) {
        memcpy(idx[i].k, r->keys + i * 3, sizeof idx[i].k);
        idx[i].idx = i;
    }
    qsort(idx, (size_t)r->n_rows, sizeof *idx, cmp_rows); /* total order: stable */
    for (long i = 0; i < r->n_rows; i++) {
        memcpy(cells + (size_t)i * TEAI_CSV_N_COLS, r->cells + (size_t)idx[i].idx * TEAI_CSV_N_COLS,
               sizeof *cells * TEAI_CSV_N_COLS);
        memcpy(keys + i * 3, idx[i].k, sizeof idx[i].k);
    }
    free(idx);
    free(r->cells);
    free(r->keys);
    r->cells = cells;
    r->keys = keys;
    r->cap_rows = r->n_rows;
    return TEAI_OK;
}

long teai_log_rows_count(const teai_log_rows *r) {
    return r ? r->n_rows : 0;
}

const char *teai_log_rows_cell(const teai_log_rows *r, long row, int col, size_t *len) {
    if (len) *len = 0;
    if (!r || row < 0 || row >= r->n_rows || col < 0 || col >= TEAI_CSV_N_COLS) return "";
    const teai__cell *c = &r->cells[(size_t)row * TEAI_CSV_N_COLS + (size_t)col];
    if (len) *len = c->len;
    return c->len ? r->arena.data + c->off : "";
}

const char *teai_log_rows_csv(const teai_log_rows *r) {
    return r ? r->csv : "";
}

const char *teai_log_rows_format(const teai_log_rows *r) {
    return r ? r->format : "";
}

int teai_log_rows_bad_lines(const teai_log_rows *r) {
    return r ? r->n_bad_lines : 0;
}

long teai_log_rows_sample_count(const teai_log_rows *r) {
    return r ? r->n_samples : 0;
}

const char *teai_log_rows_sample_cell(const teai_log_rows *r, long row, int col, size_t *len) {
    if (len) *len = 0;
    if (!r || row < 0 || row >= r->n_samples || col < 0 || col >= TEAI_SAMPLE_N_COLS) return "";
    const teai__cell *c = &r->samples[(size_t)row * TEAI_SAMPLE_N_COLS + (size_t)col];
    if (len) *len = c->len;
    return c->len ? r->arena.data + c->off : "";
}
