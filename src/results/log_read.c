/* Reading a log of any dialect: lines, the "key: value" header, dialect
 * detection by content (docs/log-format.md §2), the header -> column mapping, and the
 * entry points. The dialects themselves are in read_*.c. */
#include "results/results_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- columns ---------------------------------------------------------------- */

static const char *const col_names[] = {
#define TEAI__CSV_NAME(id, name) name,
    TEAI_CSV_COLUMNS(TEAI__CSV_NAME)
#undef TEAI__CSV_NAME
};

const char *teai_csv_column_name(int col) {
    return col >= 0 && col < TEAI_CSV_N_COLS ? col_names[col] : NULL;
}

int teai_csv_column_index(const char *name) {
    for (int i = 0; name && i < TEAI_CSV_N_COLS; i++)
        if (strcmp(col_names[i], name) == 0) return i;
    return -1;
}

static const char *const sample_col_names[] = {
#define TEAI__SAMPLE_NAME(id, name) name,
    TEAI_SAMPLE_COLUMNS(TEAI__SAMPLE_NAME)
#undef TEAI__SAMPLE_NAME
};

const char *teai_sample_column_name(int col) {
    return col >= 0 && col < TEAI_SAMPLE_N_COLS ? sample_col_names[col] : NULL;
}

int teai_sample_column_index(const char *name) {
    for (int i = 0; name && i < TEAI_SAMPLE_N_COLS; i++)
        if (strcmp(sample_col_names[i], name) == 0) return i;
    return -1;
}

/* ---- lines -------------------------------------------------------------------- */

int teai__next_line(const teai__reader *rd, size_t *pos, int *line_no, teai__line *ln) {
    if (*pos >= rd->len) return 0;
    const char *p = rd->data + *pos;
    size_t left = rd->len - *pos;
    const char *nl = memchr(p, '\n', left);
    size_t n = nl ? (size_t)(nl - p) : left;
    *pos += n + (nl ? 1 : 0);
    ln->p = p;
    ln->n = n && p[n - 1] == '\r' ? n - 1 : n;
    ln->no = ++*line_no;
    ln->terminated = nl != NULL;
    return 1;
}

static int blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

void teai__trim(const char **p, size_t *n) {
    while (*n && blank(**p)) ++*p, --*n;
    while (*n && blank((*p)[*n - 1])) --*n;
}

int teai__starts(const char *p, size_t n, const char *s) {
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

/* ---- notes -------------------------------------------------------------------- */

void teai__note(const teai__reader *rd, int line, const char *fmt, ...) {
    if (!rd->note) return;
    char msg[512], out[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(out, sizeof out, "%s:%d: %s", rd->name, line, msg);
    else
        snprintf(out, sizeof out, "%s: %s", rd->name, msg);
    rd->note(rd->ud, out);
}

void teai__bad_line(const teai__reader *rd, const teai__line *ln, const char *why) {
    rd->rows->n_bad_lines++;
    if (!ln->terminated)
        teai__note(rd, ln->no, "%s (last line cut short), skipped", why);
    else
        teai__note(rd, ln->no, "%s, skipped", why);
}

/* ---- the header --------------------------------------------------------------- */

/* "key: value" with key [A-Za-z0-9._-]+ and ':' followed by a blank or the end. */
static int header_line(const char *p, size_t n, teai__hdr *kv) {
    size_t k = 0;
    while (k < n && ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
                     (p[k] >= '0' && p[k] <= '9') || p[k] == '_' || p[k] == '.' || p[k] == '-'))
        k++;
    if (k == 0 || k >= n || p[k] != ':' || (k + 1 < n && !blank(p[k + 1]))) return 0;
    kv->key = p;
    kv->klen = k;
    kv->val = p + k + 1;
    kv->vlen = n - k - 1;
    teai__trim(&kv->val, &kv->vlen);
    return 1;
}

void teai__parse_header(teai__reader *rd) {
    size_t pos = 0;
    int no = 0;
    teai__line ln;
    rd->n_hdr = 0;
    rd->body = 0;
    rd->body_line = 0;
    while (teai__next_line(rd, &pos, &no, &ln)) {
        teai__hdr kv;
        if (!ln.terminated || !header_line(ln.p, ln.n, &kv)) break;
        if (rd->n_hdr < TEAI__MAX_HDR) rd->hdr[rd->n_hdr++] = kv;
        rd->body = pos;
        rd->body_line = no;
        if (kv.klen == 6 && memcmp(kv.key, "format", 6) == 0) break;
    }
}

const char *teai__hdr_get(const teai__reader *rd, const char *key, size_t *len) {
    size_t k = strlen(key);
    for (int i = rd->n_hdr - 1; i >= 0; i--)
        if (rd->hdr[i].klen == k && memcmp(rd->hdr[i].key, key, k) == 0) {
            if (len) *len = rd->hdr[i].vlen;
            return rd->hdr[i].val;
        }
    if (len) *len = 0;
    return NULL;
}

/* Header keys that are log-level columns of the same name. */
static const int same_name[] = {
    TEAI_COL_PLATFORM,
    TEAI_COL_RELEASE,
    TEAI_COL_DEVICE,
    TEAI_COL_USERNAME,
    TEAI_COL_HOSTNAME,
    TEAI_COL_SIZE,
    TEAI_COL_QUANTIZE,
    TEAI_COL_SEED,
    TEAI_COL_UUID,
    TEAI_COL_BACKEND,
    TEAI_COL_BACKEND_VERSION,
    TEAI_COL_MODEL,
    TEAI_COL_MODEL_BYTES,
    TEAI_COL_MODEL_SHA256,
    TEAI_COL_SYNTHETIC,
    TEAI_COL_WEIGHT_FORMAT,
    TEAI_COL_BITS_PER_WEIGHT,
    TEAI_COL_THREADS,
    TEAI_COL_N_GEN,
    TEAI_COL_CPU,
    TEAI_COL_CPU_FEATURES,
    TEAI_COL_N_CPUS,
    TEAI_COL_RAM_BYTES,
    TEAI_COL_GPU,
    TEAI_COL_TEAI_VERSION,
    TEAI_COL_TEAI_COMMIT,
    TEAI_COL_COMPILER,
    TEAI_COL_START_TIME,
    TEAI_COL_ENERGY_SOURCE,
    TEAI_COL_MEMBW_GB_S,
    TEAI_COL_SENSORS,
    TEAI_COL_DURATION_S,
    TEAI_COL_MACHINE,
    TEAI_COL_DEVICE_NAME,
};

/* The seed's file name: <prefix><hostname>_<size>_<quantize>_seed<seed>_uuid<uuid>.txt;
 * fills the fields the header lacks. */
static int fields_from_name(teai__reader *rd, const char *prefix) {
    const char *name = rd->name;
    size_t n = strlen(name);
    if (n > 4 && memcmp(name + n - 4, ".txt", 4) == 0) n -= 4;
    const char *part[5]; /* hostname, size, quantize, seed, uuid */
    size_t plen[5];
    size_t end = n;
    static const char *const marks[] = {"_uuid", "_seed"};
    for (int m = 0; m < 2; m++) { /* uuid, then seed: from the right */
        size_t k = strlen(marks[m]), i = end;
        while (i >= k && memcmp(name + i - k, marks[m], k) != 0) i--;
        if (i < k) return TEAI_OK;
        part[4 - m] = name + i;
        plen[4 - m] = end - i;
        end = i - k;
    }
    for (int m = 2; m >= 1; m--) { /* quantize, size */
        size_t i = end;
        while (i > 0 && name[i - 1] != '_') i--;
        if (i == 0) return TEAI_OK;
        part[m] = name + i;
        plen[m] = end - i;
        end = i - 1;
    }
    part[0] = name;
    plen[0] = end;
    size_t pl = strlen(prefix);
    if (pl && plen[0] > pl && memcmp(name, prefix, pl) == 0) part[0] += pl, plen[0] -= pl;
    static const int cols[5] = {TEAI_COL_HOSTNAME, TEAI_COL_SIZE, TEAI_COL_QUANTIZE, TEAI_COL_SEED,
                                TEAI_COL_UUID};
    for (int i = 0; i < 5; i++) {
        if (teai__rows_has(rd->rows, TEAI__META, cols[i]) || plen[i] == 0) continue;
        int rc = teai__rows_set(rd->rows, TEAI__META, cols[i], part[i], plen[i]);
        if (rc != TEAI_OK) return rc;
    }
    return TEAI_OK;
}

int teai__apply_header(teai__reader *rd, const char *name_prefix) {
    int rc = TEAI_OK;
    for (size_t i = 0; i < sizeof same_name / sizeof *same_name && rc == TEAI_OK; i++) {
        size_t n;
        const char *v = teai__hdr_get(rd, teai_csv_column_name(same_name[i]), &n);
        if (v) rc = teai__rows_set(rd->rows, TEAI__META, same_name[i], v, n);
    }
    size_t n;
    const char *v = teai__hdr_get(rd, "prompt_tokens", &n);
    if (v && rc == TEAI_OK) rc = teai__rows_set(rd->rows, TEAI__META, TEAI_COL_N_PROMPT, v, n);
    if (name_prefix && rc == TEAI_OK) rc = fields_from_name(rd, name_prefix);
    return rc;
}

/* ---- scanning text lines ----------------------------------------------------- */

static int digit(char c) {
    return c >= '0' && c <= '9';
}

int teai__scan(const char *p, size_t n, const char *pattern, double *nums, int max) {
    size_t i = 0;
    int got = 0;
    for (const char *q = pattern; *q; q++) {
        if (*q == ' ') {
            while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        } else if (*q == '#') {
            size_t s = i, d = 0;
            while (i < n && digit(p[i])) i++, d++;
            if (i < n && p[i] == '.') {
                i++;
                while (i < n && digit(p[i])) i++, d++;
            }
            char buf[64];
            if (d == 0 || i - s >= sizeof buf) return -1;
            memcpy(buf, p + s, i - s);
            buf[i - s] = '\0';
            double v = strtod(buf, NULL);
            if (got < max) nums[got] = v;
            got++;
        } else {
            if (i >= n || p[i] != *q) return -1;
            i++;
        }
    }
    return got;
}

/* ---- dialects ----------------------------------------------------------------- */

typedef enum dialect { D_UNKNOWN, D_TEAI, D_TINYGRAD, D_LLAMABENCH, D_MLC } dialect;

static int has_key(const char *p, size_t n, const char *key) {
    size_t k = strlen(key);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, key, k) == 0) return 1;
    return 0;
}

static dialect detect(const teai__reader *rd) {
    size_t n;
    const char *v = teai__hdr_get(rd, "format", &n);
    if (v && teai__starts(v, n, "teai-log")) return D_TEAI;
    v = teai__hdr_get(rd, "framework", &n);
    if (v && n == 7 && memcmp(v, "mlc_llm", 7) == 0) return D_MLC;
    size_t pos = rd->body;
    int no = rd->body_line;
    teai__line ln;
    dialect found = D_UNKNOWN;
    while (found == D_UNKNOWN && teai__next_line(rd, &pos, &no, &ln)) {
        const char *p = ln.p;
        size_t k = ln.n;
        teai__trim(&p, &k);
        double x[2];
        if (k == 15 && memcmp(p, "=== Results ===", 15) == 0)
            found = D_MLC;
        else if (k && p[0] == '{' &&
                 (has_key(p, k, "\"avg_ts\"") || has_key(p, k, "\"samples_ns\"") ||
                  has_key(p, k, "\"avg_ns\"")))
            found = D_LLAMABENCH;
        else if (teai__scan(p, k, "enqueue in # ms", x, 2) == 1 ||
                 teai__scan(p, k, "total # ms, # tok/s", x, 2) == 2)
            found = D_TINYGRAD;
    }
    return found;
}

static void basename_of(const char *path, const char **name) {
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
}

int teai_log_read_mem(const void *data, size_t len, const char *name, teai_note_fn note, void *ud,
                      teai_log_rows **out, teai_error *err) {
    *out = NULL;
    if (!name) name = "(log)";
    teai__reader *rd = calloc(1, sizeof *rd);
    if (!rd) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    rd->data = data ? (const char *)data : "";
    rd->len = data ? len : 0;
    rd->name = name;
    rd->note = note;
    rd->ud = ud;
    teai__parse_header(rd);
    dialect d = detect(rd);
    static const char *const formats[] = {"", "teai-log 1", "tinygrad", "llama-bench-jsonl", "mlc"};
    static const char *const backends[] = {"", "", "tinygrad", "llama-bench", "mlc_llm"};
    static const char *const prefixes[] = {"", NULL, "", "llamacpp_", "mlc_"};
    int rc = TEAI_OK;
    if (d == D_UNKNOWN) {
        rc = teai__fail(err, TEAI_EUNSUPPORTED, "%s: unknown log dialect", name);
    } else if (d == D_TEAI) {
        size_t n;
        const char *v = teai__hdr_get(rd, "format", &n);
        if (!(n == 10 && memcmp(v, "teai-log 1", 10) == 0))
            rc = teai__fail(err, TEAI_EUNSUPPORTED,
                            "%s: format '%.*s' is not one this teai reads "
                            "(teai-log 1)",
                            name, (int)(n < 40 ? n : 40), v);
    }
#if !TEAI_HAVE_CJSON
    if (rc == TEAI_OK && d != D_TINYGRAD)
        rc = teai__fail(err, TEAI_EUNSUPPORTED,
                        "%s: reading %s logs needs cJSON, and teai was built without it "
                        "(install libcjson-dev and rebuild)",
                        name, formats[d]);
#endif
    if (rc != TEAI_OK) {
        free(rd);
        return rc;
    }
    rd->rows = teai__rows_new();
    if (!rd->rows) {
        free(rd);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    }
    teai_log_rows *r = rd->rows;
    snprintf(r->format, sizeof r->format, "%s", formats[d]);
    /* the backend: the header's, else the dialect's */
    size_t bn;
    const char *b = teai__hdr_get(rd, "backend", &bn);
    if (!b || !bn) b = teai__hdr_get(rd, "framework", &bn);
    if (!b || !bn) b = backends[d], bn = strlen(b);
    char backend[64];
    snprintf(backend, sizeof backend, "%.*s", (int)(bn < 63 ? bn : 63), b);
    teai_log_csv_name(backend, r->csv, sizeof r->csv);
    char prefix[TEAI_LOG_PREFIX_MAX] = "";
    const char *name_prefix = prefixes[d];
    if (!name_prefix && teai_log_prefix(backend, prefix, sizeof prefix) == TEAI_OK)
        name_prefix = prefix;
    rc = teai__apply_header(rd, name_prefix);
    if (rc == TEAI_OK) rc = teai__rows_setstr(r, TEAI__META, TEAI_COL_BACKEND, backend);
    if (rc == TEAI_OK) rc = teai__rows_setstr(r, TEAI__META, TEAI_COL_SOURCE_FORMAT, formats[d]);
    if (rc == TEAI_OK) rc = teai__rows_setstr(r, TEAI__META, TEAI_COL_LOG_FILE, name);
    if (rc == TEAI_OK) {
        switch (d) {
            case D_TEAI:
                rc = teai__read_teai(rd, err);
                break;
            case D_TINYGRAD:
                rc = teai__read_tinygrad(rd, err);
                break;
            case D_LLAMABENCH:
                rc = teai__read_llamabench(rd, err);
                break;
            case D_MLC:
                rc = teai__read_mlc(rd, err);
                break;
            default:
                break;
        }
    }
    if (rc == TEAI_OK) rc = teai__rows_finish(r);
    if (rc != TEAI_OK) {
        if (rc == TEAI_ENOMEM) teai__fail(err, rc, "%s: out of memory", name);
        teai_log_rows_free(r);
        free(rd);
        return rc;
    }
    free(rd);
    *out = r;
    return TEAI_OK;
}

int teai_log_read_file(const char *path, teai_note_fn note, void *ud, teai_log_rows **out,
                       teai_error *err) {
    *out = NULL;
    char *data;
    size_t len;
    int rc = teai__read_file(path, (size_t)1 << 30, &data, &len, err);
    if (rc != TEAI_OK) return rc;
    const char *name;
    basename_of(path, &name);
    rc = teai_log_read_mem(data, len, name, note, ud, out, err);
    free(data);
    return rc;
}

#if TEAI_HAVE_CJSON
/* ---- JSON helpers shared by the JSON dialects ---------------------------------- */

cJSON *teai__json_line(const char *p, size_t n) {
    const char *q = p;
    size_t k = n;
    teai__trim(&q, &k);
    if (!k || q[0] != '{') return NULL;
    char small[1024], *buf = k < sizeof small ? small : malloc(k + 1);
    if (!buf) return NULL;
    memcpy(buf, q, k);
    buf[k] = '\0';
    /* length k + 1 with the NUL, so that trailing garbage is refused */
    cJSON *o = cJSON_ParseWithLengthOpts(buf, k + 1, NULL, 1);
    if (buf != small) free(buf);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

double teai__jnum(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}

long long teai__jint(const cJSON *o, const char *key, long long lo, long long hi, int *ok) {
    double v = teai__jnum(o, key);
    int good = v == v && v >= (double)lo && v <= (double)hi && v == (double)(long long)v;
    if (ok) *ok = good;
    return good ? (long long)v : 0;
}
#endif
