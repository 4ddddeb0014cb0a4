/* Accuracy results (results.h): verifiers results files (docs/log-format.md §5, JSON
 * lists of evaluated configurations) -> rows of accuracy.csv, the CSV text,
 * and accuracy.csv read back for the figures and the report.
 *
 * A row holds TEAI_ACC_N_COLS malloc'd cells (NULL = empty). Numbers are
 * written with teai__fmt_num (shortest round trip), so the same file always
 * gives the same bytes. Nothing is invented: a number a record does not
 * carry (missing, null, not a number) is an empty cell. */
#include "results/results_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const acc_names[TEAI_ACC_N_COLS] = {
#define TEAI__ACC_NAME(id, name) name,
    TEAI_ACC_COLUMNS(TEAI__ACC_NAME)
#undef TEAI__ACC_NAME
};

const char *teai_acc_column_name(int col) {
    return col >= 0 && col < TEAI_ACC_N_COLS ? acc_names[col] : NULL;
}

typedef struct acc_row {
    char *cell[TEAI_ACC_N_COLS];
} acc_row;

struct teai_acc_rows {
    acc_row *rows;
    long n, cap;
};

teai_acc_rows *teai_acc_rows_new(void) {
    return calloc(1, sizeof(teai_acc_rows));
}

static void row_free(acc_row *r) {
    for (int c = 0; c < TEAI_ACC_N_COLS; c++) free(r->cell[c]);
}

void teai_acc_rows_free(teai_acc_rows *r) {
    if (!r) return;
    for (long i = 0; i < r->n; i++) row_free(&r->rows[i]);
    free(r->rows);
    free(r);
}

long teai_acc_rows_count(const teai_acc_rows *r) {
    return r ? r->n : 0;
}

const char *teai_acc_rows_cell(const teai_acc_rows *r, long row, int col) {
    if (!r || row < 0 || row >= r->n || col < 0 || col >= TEAI_ACC_N_COLS) return "";
    const char *s = r->rows[row].cell[col];
    return s ? s : "";
}

double teai_acc_rows_num(const teai_acc_rows *r, long row, int col) {
    const char *s = teai_acc_rows_cell(r, row, col);
    if (!*s) return NAN;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v) ? v : (double)NAN;
}

/* A new row (all cells empty) at the end; NULL when out of memory. */
static acc_row *row_add(teai_acc_rows *r) {
    if (r->n == r->cap) {
        long nc = r->cap ? r->cap * 2 : 32;
        acc_row *p = realloc(r->rows, (size_t)nc * sizeof *p);
        if (!p) return NULL;
        r->rows = p, r->cap = nc;
    }
    acc_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    return row;
}

/* Sets a cell to s[0..n) (n 0: empty). TEAI_ENOMEM. */
static int cell_set(acc_row *row, int col, const char *s, size_t n) {
    free(row->cell[col]);
    row->cell[col] = NULL;
    if (!s || !n) return TEAI_OK;
    char *p = malloc(n + 1);
    if (!p) return TEAI_ENOMEM;
    memcpy(p, s, n);
    p[n] = '\0';
    row->cell[col] = p;
    return TEAI_OK;
}

static int cell_str(acc_row *row, int col, const char *s) {
    return cell_set(row, col, s, s ? strlen(s) : 0);
}

static int cell_num(acc_row *row, int col, double v) {
    char buf[TEAI__NUM_MAX];
    size_t n = teai__fmt_num(buf, v); /* 0 for NAN: empty */
    return cell_set(row, col, buf, n);
}

/* ---- sorting ----------------------------------------------------------------- */

/* Columns in the order rows are compared: the configuration, then time. */
static const int sort_order[TEAI_ACC_N_COLS] = {
    TEAI_ACC_ENV,       TEAI_ACC_METRIC,    TEAI_ACC_BACKEND,       TEAI_ACC_SIZE,
    TEAI_ACC_QUANT,     TEAI_ACC_TIMESTAMP, TEAI_ACC_WEIGHT_FORMAT, TEAI_ACC_SOURCE,
    TEAI_ACC_VALUE,     TEAI_ACC_STD,       TEAI_ACC_STDERR,        TEAI_ACC_CI_LOW,
    TEAI_ACC_CI_HIGH,   TEAI_ACC_N,         TEAI_ACC_NUM_EXAMPLES,  TEAI_ACC_MAX_TOKENS,
    TEAI_ACC_EVAL_TIME, TEAI_ACC_ELAPSED,   TEAI_ACC_RETURNCODE};

static int cmp_row(const void *a, const void *b) {
    const acc_row *x = a, *y = b;
    for (int k = 0; k < TEAI_ACC_N_COLS; k++) {
        int c = sort_order[k];
        int d = strcmp(x->cell[c] ? x->cell[c] : "", y->cell[c] ? y->cell[c] : "");
        if (d) return d;
    }
    return 0;
}

void teai_acc_rows_sort(teai_acc_rows *r) {
    /* rows equal in every column are equal in bytes: qsort's instability
     * cannot change the output */
    if (r && r->n > 1) qsort(r->rows, (size_t)r->n, sizeof *r->rows, cmp_row);
}

/* ---- CSV out ------------------------------------------------------------------- */

int teai_acc_rows_csv(const teai_acc_rows *r, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = TEAI_OK;
    for (int c = 0; c < TEAI_ACC_N_COLS && rc == TEAI_OK; c++) {
        if (c) rc = teai_buf_add(&b, ",", 1);
        if (rc == TEAI_OK) rc = teai_buf_addstr(&b, acc_names[c]);
    }
    if (rc == TEAI_OK) rc = teai_buf_add(&b, "\r\n", 2);
    for (long i = 0; r && i < r->n && rc == TEAI_OK; i++) {
        for (int c = 0; c < TEAI_ACC_N_COLS && rc == TEAI_OK; c++) {
            if (c) rc = teai_buf_add(&b, ",", 1);
            if (rc == TEAI_OK) {
                const char *cell = teai_acc_rows_cell(r, i, c);
                rc = teai__csv_field(&b, cell, strlen(cell));
            }
        }
        if (rc == TEAI_OK) rc = teai_buf_add(&b, "\r\n", 2);
    }
    if (rc == TEAI_OK) rc = teai_buf_add(&b, "", 1) == TEAI_OK ? TEAI_OK : TEAI_ENOMEM; /* NUL */
    if (rc != TEAI_OK) {
        teai_buf_free(&b);
        return TEAI_ENOMEM;
    }
    *out = b.data;
    *len = b.len - 1;
    return TEAI_OK;
}

/* ---- CSV in -------------------------------------------------------------------- */

int teai_acc_read_csv(const char *path, teai_note_fn note, void *ud, teai_acc_rows **out,
                      teai_error *err) {
    *out = NULL;
    teai_csv_reader *rd = NULL;
    int st = teai_csv_open(path, &rd, err);
    if (st) return st;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    teai_acc_rows *rows = teai_acc_rows_new();
    if (!rows) {
        teai_csv_close(rd);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    const teai_csv_field *f;
    int n, nh = 0, map[TEAI_ACC_N_COLS];
    for (int c = 0; c < TEAI_ACC_N_COLS; c++) map[c] = -1;
    st = teai_csv_next(rd, &f, &n, err);
    if (st == 0) st = teai__fail(err, TEAI_EFORMAT, "%s: empty file", path);
    if (st == 1) {
        nh = n;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < TEAI_ACC_N_COLS; c++)
                if (map[c] < 0 && !strcmp(f[i].p, acc_names[c])) map[c] = i;
        if (map[TEAI_ACC_ENV] < 0 || map[TEAI_ACC_METRIC] < 0 || map[TEAI_ACC_VALUE] < 0)
            st = teai__fail(err, TEAI_EFORMAT,
                            "%s: no environment, metric and value columns (not an accuracy.csv)",
                            path);
    }
    while (st == 1) {
        st = teai_csv_next(rd, &f, &n, err);
        if (st != 1) break;
        if (n != nh) {
            if (n == 1 && f[0].len == 0) continue; /* a blank line */
            teai__notef(note, ud, "%s:%ld: %d fields, header has %d, skipped", base,
                        teai_csv_line(rd), n, nh);
            continue;
        }
        acc_row *row = row_add(rows);
        if (!row) {
            st = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
            break;
        }
        for (int c = 0; c < TEAI_ACC_N_COLS && st == 1; c++)
            if (map[c] >= 0 && cell_set(row, c, f[map[c]].p, strlen(f[map[c]].p)) != TEAI_OK)
                st = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    teai_csv_close(rd);
    if (st != 0) {
        teai_acc_rows_free(rows);
        return st;
    }
    teai_acc_rows_sort(rows);
    *out = rows;
    return TEAI_OK;
}

/* ---- verifiers results (JSON) -------------------------------------------------- */

/* What the file name says: <prefix>sweep_<env>_<size>_<YYYYMMDD>_<HHMMSS>.json.
 * Fields are "" when the name does not follow the pattern. */
typedef struct name_facts {
    char backend[64], env[128], size[64];
} name_facts;

static int all_digits(const char *s, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void parse_name(const char *name, name_facts *nf) {
    memset(nf, 0, sizeof *nf);
    const char *sw = NULL;
    for (const char *p = name; (p = strstr(p, "sweep_")) != NULL; p++)
        if (p == name || p[-1] == '_') {
            sw = p;
            break;
        }
    if (!sw) return;
    size_t plen = (size_t)(sw - name);
    if (plen == 0) {
        snprintf(nf->backend, sizeof nf->backend, "tinygrad");
    } else {
        char pre[64];
        snprintf(pre, sizeof pre, "%.*s", (int)(plen - 1 < 63 ? plen - 1 : 63), name);
        if (*pre && teai_log_csv_name(pre, nf->backend, sizeof nf->backend) != TEAI_OK)
            nf->backend[0] = '\0';
    }
    const char *rest = sw + 6;
    size_t n = strlen(rest);
    if (n > 5 && !strcmp(rest + n - 5, ".json")) n -= 5;
    /* from the right: time, date, size; the environment may hold '_' */
    size_t cut[3], e = n;
    for (int k = 0; k < 3; k++) {
        size_t i = e;
        while (i > 0 && rest[i - 1] != '_') i--;
        if (i == 0) return;
        cut[k] = i - 1; /* the '_' before the part */
        e = i - 1;
    }
    if (!all_digits(rest + cut[0] + 1, n - cut[0] - 1) ||
        !all_digits(rest + cut[1] + 1, cut[0] - cut[1] - 1) || cut[2] == 0)
        return;
    size_t sl = cut[1] - cut[2] - 1;
    if (!sl || sl >= sizeof nf->size || cut[2] >= sizeof nf->env) return;
    memcpy(nf->size, rest + cut[2] + 1, sl);
    nf->size[sl] = '\0';
    memcpy(nf->env, rest, cut[2]);
    nf->env[cut[2]] = '\0';
}

#if TEAI_HAVE_CJSON

typedef struct jctx {
    const char *name;
    teai_note_fn note;
    void *ud;
    int rec; /* 1-based record index, for notes */
} jctx;

/* A string field (a number is written as one); NULL when absent, null or
 * another type. */
static const char *jstr(const cJSON *o, const char *key, char num[TEAI__NUM_MAX]) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v) && v->valuestring) return v->valuestring;
    if (cJSON_IsNumber(v) && teai__fmt_num(num, v->valuedouble)) return num;
    return NULL;
}

/* A number field: NAN when absent or null; a value of another type is noted
 * (and is NAN too: never guessed). */
static double jnum(const jctx *c, const cJSON *o, const char *key, const char *where) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) return NAN;
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) return v->valuedouble;
    teai__notef(c->note, c->ud, "%s: record %d: %s\"%s\" is not a number, left empty", c->name,
                c->rec, where, key);
    return NAN;
}

/* One metric row: the record's cells (copied from tmpl), then the metric's. */
static int metric_row(const jctx *c, teai_acc_rows *rows, const acc_row *tmpl, const cJSON *m,
                      int *n_bad) {
    const char *mname = m->string ? m->string : "";
    double avg = NAN, sd = NAN, se = NAN, lo = NAN, hi = NAN, n = NAN;
    char where[200];
    snprintf(where, sizeof where, "metric %.120s: ", mname);
    if (!*mname) {
        teai__notef(c->note, c->ud, "%s: record %d: a metric without a name, skipped", c->name,
                    c->rec);
        (*n_bad)++;
        return TEAI_OK;
    }
    if (cJSON_IsNumber(m)) {
        avg = isfinite(m->valuedouble) ? m->valuedouble : (double)NAN;
    } else if (cJSON_IsObject(m)) {
        avg = jnum(c, m, cJSON_GetObjectItemCaseSensitive(m, "avg") ? "avg" : "mean", where);
        sd = jnum(c, m, "std", where);
        se = jnum(c, m, "stderr", where);
        n = jnum(c, m, "n", where);
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(m, "ci95");
        if (cJSON_IsArray(ci) && cJSON_GetArraySize(ci) == 2) {
            const cJSON *a = cJSON_GetArrayItem(ci, 0), *b = cJSON_GetArrayItem(ci, 1);
            if (cJSON_IsNumber(a) && isfinite(a->valuedouble)) lo = a->valuedouble;
            if (cJSON_IsNumber(b) && isfinite(b->valuedouble)) hi = b->valuedouble;
        } else if (ci && !cJSON_IsNull(ci)) {
            teai__notef(c->note, c->ud, "%s: record %d: %s\"ci95\" is not [low, high], left empty",
                        c->name, c->rec, where);
        } else {
            lo = jnum(c, m, "ci_low", where);
            hi = jnum(c, m, "ci_high", where);
        }
        if (isfinite(lo) != isfinite(hi) || lo > hi) lo = hi = NAN; /* half an interval */
    } else if (!cJSON_IsNull(m)) {
        teai__notef(c->note, c->ud, "%s: record %d: %sneither an object nor a number, skipped",
                    c->name, c->rec, where);
        (*n_bad)++;
        return TEAI_OK;
    }
    acc_row *row = row_add(rows);
    if (!row) return TEAI_ENOMEM;
    int rc = TEAI_OK;
    for (int k = 0; k < TEAI_ACC_N_COLS && rc == TEAI_OK; k++) rc = cell_str(row, k, tmpl->cell[k]);
    if (rc == TEAI_OK) rc = cell_str(row, TEAI_ACC_METRIC, mname);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_VALUE, avg);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_STD, sd);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_STDERR, se);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_CI_LOW, lo);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_CI_HIGH, hi);
    if (rc == TEAI_OK) rc = cell_num(row, TEAI_ACC_N, n);
    return rc;
}

/* The rows of one record; *gave = 1 when it gave any. */
static int record_rows(const jctx *c, const name_facts *nf, const cJSON *o, teai_acc_rows *rows,
                       int *gave, int *n_bad) {
    *gave = 0;
    if (!cJSON_IsObject(o)) {
        teai__notef(c->note, c->ud, "%s: record %d: not an object, skipped", c->name, c->rec);
        (*n_bad)++;
        return TEAI_OK;
    }
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(o, "metrics");
    if (!cJSON_IsObject(metrics)) {
        teai__notef(c->note, c->ud, "%s: record %d: no metrics object, skipped", c->name, c->rec);
        (*n_bad)++;
        return TEAI_OK;
    }
    acc_row t;
    memset(&t, 0, sizeof t);
    char num[TEAI__NUM_MAX];
    const char *s;
    int rc = TEAI_OK;
    s = jstr(o, "backend", num);
    rc = cell_str(&t, TEAI_ACC_BACKEND, s && *s ? s : nf->backend);
    s = jstr(o, "size", num);
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_SIZE, s && *s ? s : nf->size);
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_QUANT, jstr(o, "quantization", num));
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_WEIGHT_FORMAT, jstr(o, "weight_format", num));
    s = jstr(o, "environment", num);
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_ENV, s && *s ? s : nf->env);
    if (rc == TEAI_OK) rc = cell_num(&t, TEAI_ACC_NUM_EXAMPLES, jnum(c, o, "num_examples", ""));
    if (rc == TEAI_OK) rc = cell_num(&t, TEAI_ACC_MAX_TOKENS, jnum(c, o, "max_tokens", ""));
    const cJSON *et = cJSON_GetObjectItemCaseSensitive(metrics, "eval_time_seconds");
    double evt = cJSON_IsNumber(et) ? et->valuedouble : jnum(c, o, "eval_time_seconds", "");
    if (rc == TEAI_OK) rc = cell_num(&t, TEAI_ACC_EVAL_TIME, evt);
    if (rc == TEAI_OK) rc = cell_num(&t, TEAI_ACC_ELAPSED, jnum(c, o, "elapsed_seconds", ""));
    if (rc == TEAI_OK) rc = cell_num(&t, TEAI_ACC_RETURNCODE, jnum(c, o, "returncode", ""));
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_TIMESTAMP, jstr(o, "timestamp", num));
    if (rc == TEAI_OK) rc = cell_str(&t, TEAI_ACC_SOURCE, c->name);
    long before = rows->n;
    for (const cJSON *m = metrics->child; m && rc == TEAI_OK; m = m->next) {
        if (m->string && !strcmp(m->string, "eval_time_seconds")) continue;
        rc = metric_row(c, rows, &t, m, n_bad);
    }
    row_free(&t);
    if (rc != TEAI_OK) return rc;
    if (rows->n == before) {
        teai__notef(c->note, c->ud, "%s: record %d: no metrics, skipped", c->name, c->rec);
        (*n_bad)++;
    }
    *gave = rows->n > before;
    return TEAI_OK;
}

int teai_acc_read_json_mem(const void *data, size_t len, const char *name, teai_note_fn note,
                           void *ud, teai_acc_rows *rows, int *n_records, int *n_bad,
                           teai_error *err) {
    int local_bad = 0, local_rec = 0;
    if (!n_bad) n_bad = &local_bad;
    if (!n_records) n_records = &local_rec;
    *n_records = 0;
    *n_bad = 0;
    if (!name) name = "results.json";
    cJSON *list = cJSON_ParseWithLength((const char *)data, len);
    if (!list) return teai__fail(err, TEAI_EFORMAT, "%s: not JSON", name);
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(list);
        return teai__fail(err, TEAI_EFORMAT, "%s: not a JSON list of results", name);
    }
    name_facts nf;
    parse_name(name, &nf);
    jctx c = {name, note, ud, 0};
    long start = rows->n;
    int rc = TEAI_OK;
    for (const cJSON *o = list->child; o && rc == TEAI_OK; o = o->next) {
        c.rec++;
        int gave;
        rc = record_rows(&c, &nf, o, rows, &gave, n_bad);
        *n_records += gave;
    }
    cJSON_Delete(list);
    if (rc != TEAI_OK) {
        while (rows->n > start) row_free(&rows->rows[--rows->n]);
        *n_records = 0;
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    }
    return TEAI_OK;
}

#else /* !TEAI_HAVE_CJSON */

int teai_acc_read_json_mem(const void *data, size_t len, const char *name, teai_note_fn note,
                           void *ud, teai_acc_rows *rows, int *n_records, int *n_bad,
                           teai_error *err) {
    (void)data, (void)len, (void)note, (void)ud, (void)rows, (void)parse_name;
    (void)cell_str, (void)cell_num; /* used by the cJSON reader only */
    if (n_records) *n_records = 0;
    if (n_bad) *n_bad = 0;
    return teai__fail(err, TEAI_EUNSUPPORTED,
                      "%s: reading verifiers results needs cJSON (install libcjson-dev)",
                      name ? name : "results");
}

#endif
