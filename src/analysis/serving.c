/* Serving benchmarks (serving.h): the statistics of one level of a load run,
 * the reader of a run's JSON Lines log, and their collation into serving.csv.
 *
 * The log is read with a small strict JSON scanner of its own (cJSON is an
 * optional library, and the log's lines are flat objects of numbers, strings
 * and one array of numbers): each line is checked whole (RFC 8259 grammar,
 * nesting at most 32 deep) and its top-level members are indexed once; a
 * line that does not parse is noted and skipped, never half-read.
 *
 * Definitions (docs/load.md): a level's statistics are over its measured
 * (not warm-up) requests; latencies over the ok ones. duration = first
 * measured send -> last measured completion (start_s + e2el_ms, or start_s
 * when e2el is unknown). Percentiles are type 7; their 95% intervals are the
 * order statistics (x_(j), x_(k)) with j, k from the binomial(n, q)
 * distribution (distribution-free; Hahn & Meeker), NAN where n is too small. */
#include "analysis/serving.h"
#include "analysis/analysis.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- statistics ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* log of the binomial(n, q) probability of i, 0 < q < 1 */
static double log_binom_pmf(size_t n, size_t i, double q) {
    double dn = (double)n, di = (double)i;
    return lgamma(dn + 1) - lgamma(di + 1) - lgamma(dn - di + 1) + di * log(q) +
           (dn - di) * log1p(-q);
}

void teai_quantile_interval(const double *sorted, size_t n, double q, double *lo, double *hi) {
    *lo = NAN, *hi = NAN;
    if (n == 0 || !(q > 0 && q < 1)) return;
    /* B ~ binomial(n, q) counts the values below the q-quantile; with ranks
     * j < k (1-based), P(x_(j) <= xi_q <= x_(k)) >= P(j <= B <= k - 1) =
     * F(k - 1) - F(j - 1). j: the largest with F(j - 1) <= 0.025; k: the
     * smallest with F(k - 1) >= 0.975 (each tail at most 2.5%). */
    const double a = 0.025;
    double cdf = 0; /* F(i) after step i */
    size_t j = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        cdf += exp(log_binom_pmf(n, i, q));
        if (cdf <= a) j = i + 1; /* F(j - 1) <= a with j - 1 = i */
        if (cdf >= 1 - a) {
            k = i + 1;
            break;
        }
    }
    /* both bounds or none: a one-sided bound alone (n = 2, q = 0.99: x_(2)
     * with 98%) may lie on the far side of the type-7 estimate, and reads as
     * an interval it is not */
    if (j >= 1 && k >= 1 && k <= n) *lo = sorted[j - 1], *hi = sorted[k - 1];
}

static const double quantiles[4] = {0.50, 0.90, 0.95, 0.99};

/* Sorts x[0..n) in place and fills d. */
static void dist_of(double *x, size_t n, teai_serving_dist *d) {
    d->n = (long)n;
    d->mean = NAN;
    for (int i = 0; i < 4; i++) d->p[i] = d->lo[i] = d->hi[i] = NAN;
    if (n == 0) return;
    qsort(x, n, sizeof *x, cmp_double);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    d->mean = s / (double)n;
    for (int i = 0; i < 4; i++) {
        d->p[i] = teai_percentile_sorted(x, n, quantiles[i]);
        teai_quantile_interval(x, n, quantiles[i], &d->lo[i], &d->hi[i]);
    }
}

static int slo_set(double v) {
    return v > 0; /* NAN and <= 0: not set */
}

/* An ok request meets the set objectives: a value it lacks fails one, but
 * for TPOT, which a one-token answer does not have (nothing to be slow at). */
static int is_good(const teai_serving_request *q, const teai_serving_slo *slo) {
    if (!q->ok) return 0;
    if (!slo) return 1;
    if (slo_set(slo->ttft_ms) && !(q->ttft_ms <= slo->ttft_ms)) return 0;
    if (slo_set(slo->tpot_ms) && !isnan(q->tpot_ms) && !(q->tpot_ms <= slo->tpot_ms)) return 0;
    if (slo_set(slo->e2el_ms) && !(q->e2el_ms <= slo->e2el_ms)) return 0;
    return 1;
}

int teai_serving_summarize(const teai_serving_request *r, size_t n, const teai_serving_slo *slo,
                           teai_serving_summary *out, teai_error *err) {
    memset(out, 0, sizeof *out);
    int any_slo = slo && (slo_set(slo->ttft_ms) || slo_set(slo->tpot_ms) || slo_set(slo->e2el_ms));
    double t0 = INFINITY, t1 = -INFINITY;
    size_t n_itl = 0;
    long n_out = 0, n_in = 0; /* ok requests that reported their token counts */
    double tok_out = 0, tok_in = 0;
    for (size_t i = 0; i < n; i++) {
        const teai_serving_request *q = &r[i];
        if (q->warmup) continue;
        out->requests++;
        if (q->start_s < t0) t0 = q->start_s;
        double end = q->start_s + (isnan(q->e2el_ms) ? 0 : q->e2el_ms / 1000);
        if (end > t1) t1 = end;
        if (!q->ok) continue;
        out->ok++;
        n_itl += q->n_itl;
        if (q->completion_tokens >= 0) n_out++, tok_out += (double)q->completion_tokens;
        if (q->prompt_tokens >= 0) n_in++, tok_in += (double)q->prompt_tokens;
        if (is_good(q, any_slo ? slo : NULL)) out->good++;
    }
    out->errors = out->requests - out->ok;
    out->error_rate = out->requests ? (double)out->errors / (double)out->requests : NAN;
    out->duration_s = out->requests && t1 > t0 ? t1 - t0 : NAN;
    double d = out->duration_s;
    out->request_throughput = (double)out->ok / d; /* NAN with d */
    out->output_throughput = n_out ? tok_out / d : NAN;
    out->input_throughput = n_in ? tok_in / d : NAN;
    out->goodput = any_slo ? (double)out->good / d : NAN;
    out->slo_attainment =
        any_slo && out->requests ? (double)out->good / (double)out->requests : NAN;

    size_t cap = (size_t)out->ok > n_itl ? (size_t)out->ok : n_itl;
    double *x = malloc(sizeof *x * (cap ? cap : 1));
    if (!x) return teai__fail(err, TEAI_ENOMEM, "serving summary: out of memory");
    for (int m = 0; m < 4; m++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const teai_serving_request *q = &r[i];
            if (q->warmup || !q->ok) continue;
            if (m == 2) {
                for (size_t g = 0; g < q->n_itl; g++)
                    if (!isnan(q->itl_ms[g])) x[k++] = q->itl_ms[g];
                continue;
            }
            double v = m == 0 ? q->ttft_ms : m == 1 ? q->tpot_ms : q->e2el_ms;
            if (!isnan(v)) x[k++] = v;
        }
        teai_serving_dist *dd = m == 0   ? &out->ttft
                                : m == 1 ? &out->tpot
                                : m == 2 ? &out->itl
                                         : &out->e2el;
        dist_of(x, k, dd);
    }
    free(x);
    return TEAI_OK;
}

int teai_serving_values(const teai_serving_level *lv, int metric, double **out, size_t *n,
                        teai_error *err) {
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t i = 0; i < lv->n_req; i++) cap += metric == TEAI_SERVING_ITL ? lv->req[i].n_itl : 1;
    double *x = malloc(sizeof *x * (cap ? cap : 1));
    if (!x) return teai__fail(err, TEAI_ENOMEM, "serving values: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < lv->n_req; i++) {
        const teai_serving_request *q = &lv->req[i];
        if (q->warmup || !q->ok) continue;
        if (metric == TEAI_SERVING_ITL) {
            for (size_t g = 0; g < q->n_itl; g++)
                if (!isnan(q->itl_ms[g])) x[k++] = q->itl_ms[g];
            continue;
        }
        double v = metric == TEAI_SERVING_TTFT   ? q->ttft_ms
                   : metric == TEAI_SERVING_TPOT ? q->tpot_ms
                                                 : q->e2el_ms;
        if (!isnan(v)) x[k++] = v;
    }
    *out = x;
    *n = k;
    return TEAI_OK;
}

/* ---- a strict JSON scanner for one line ------------------------------------- */

#define JSON_MAX_DEPTH   32
#define JSON_MAX_MEMBERS 64

typedef struct jmember {
    const char *key; /* raw (escaped) key bytes, between the quotes */
    size_t key_len;
    const char *val; /* the value's first byte */
    const char *val_end;
} jmember;

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* p at '"': the end past the closing quote, NULL when malformed. */
static const char *scan_string(const char *p, const char *e) {
    p++;
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            if (++p >= e) return NULL;
            switch (*p) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't':
                    p++;
                    break;
                case 'u':
                    if (e - p < 5) return NULL;
                    for (int i = 1; i <= 4; i++)
                        if (hex_val(p[i]) < 0) return NULL;
                    p += 5;
                    break;
                default:
                    return NULL;
            }
            continue;
        }
        p++;
    }
    return NULL;
}

static const char *scan_number(const char *p, const char *e) {
    if (p < e && *p == '-') p++;
    if (p >= e) return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9') p++;
    } else {
        return NULL;
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !(*p >= '0' && *p <= '9')) return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !(*p >= '0' && *p <= '9')) return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    return p;
}

static const char *scan_value(const char *p, const char *e, int depth);

/* p at '{' or '['. */
static const char *scan_container(const char *p, const char *e, int depth) {
    if (depth >= JSON_MAX_DEPTH) return NULL;
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = skip_ws(p + 1, e);
    if (p < e && *p == close) return p + 1;
    for (;;) {
        if (obj) {
            if (p >= e || *p != '"' || !(p = scan_string(p, e))) return NULL;
            p = skip_ws(p, e);
            if (p >= e || *p != ':') return NULL;
            p = skip_ws(p + 1, e);
        }
        if (!(p = scan_value(p, e, depth + 1))) return NULL;
        p = skip_ws(p, e);
        if (p >= e) return NULL;
        if (*p == close) return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1, e);
    }
}

static const char *scan_literal(const char *p, const char *e, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

static const char *scan_value(const char *p, const char *e, int depth) {
    if (p >= e) return NULL;
    switch (*p) {
        case '{':
        case '[':
            return scan_container(p, e, depth);
        case '"':
            return scan_string(p, e);
        case 't':
            return scan_literal(p, e, "true");
        case 'f':
            return scan_literal(p, e, "false");
        case 'n':
            return scan_literal(p, e, "null");
        default:
            return scan_number(p, e);
    }
}

/* Indexes the members of the object at [p, e) (whitespace around it allowed,
 * nothing else). Returns the number of members indexed (those past
 * JSON_MAX_MEMBERS are checked but not indexed), -1 when it is not one
 * well-formed JSON object. */
static int json_object(const char *p, const char *e, jmember *m, int depth) {
    p = skip_ws(p, e);
    if (p >= e || *p != '{' || depth >= JSON_MAX_DEPTH) return -1;
    int n = 0;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') return skip_ws(p + 1, e) == e ? 0 : -1;
    for (;;) {
        if (p >= e || *p != '"') return -1;
        const char *k = p + 1, *ke = scan_string(p, e);
        if (!ke) return -1;
        p = skip_ws(ke, e);
        if (p >= e || *p != ':') return -1;
        p = skip_ws(p + 1, e);
        const char *v = p;
        if (!(p = scan_value(p, e, depth + 1))) return -1;
        if (n < JSON_MAX_MEMBERS) m[n++] = (jmember){k, (size_t)(ke - 1 - k), v, p};
        p = skip_ws(p, e);
        if (p >= e) return -1;
        if (*p == '}') return skip_ws(p + 1, e) == e ? n : -1;
        if (*p != ',') return -1;
        p = skip_ws(p + 1, e);
    }
}

/* The first member named key (keys are compared as written: the log's keys
 * have no escapes), NULL when absent. */
static const jmember *jget(const jmember *m, int n, const char *key) {
    size_t len = strlen(key);
    for (int i = 0; i < n; i++)
        if (m[i].key_len == len && memcmp(m[i].key, key, len) == 0) return &m[i];
    return NULL;
}

/* A number value as a double; NAN for null, absent, or not a number. The
 * string "inf" reads as infinity (an unbounded arrival rate). */
static double jnum(const jmember *m, int n, const char *key) {
    const jmember *v = jget(m, n, key);
    if (!v) return NAN;
    size_t len = (size_t)(v->val_end - v->val);
    if (len == 5 && memcmp(v->val, "\"inf\"", 5) == 0) return INFINITY;
    char buf[64];
    if (len == 0 || len >= sizeof buf ||
        !(v->val[0] == '-' || (v->val[0] >= '0' && v->val[0] <= '9')))
        return NAN;
    memcpy(buf, v->val, len);
    buf[len] = 0;
    char *end;
    double x = strtod(buf, &end);
    return *end == 0 && isfinite(x) ? x : NAN; /* 1e999: not a measurement */
}

/* 1 true, 0 false, -1 absent or neither. */
static int jbool(const jmember *m, int n, const char *key) {
    const jmember *v = jget(m, n, key);
    if (!v) return -1;
    size_t len = (size_t)(v->val_end - v->val);
    if (len == 4 && memcmp(v->val, "true", 4) == 0) return 1;
    if (len == 5 && memcmp(v->val, "false", 5) == 0) return 0;
    return -1;
}

static void put_utf8(char *out, size_t cap, size_t *k, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 63));
        b[2] = (char)(0x80 | (cp & 63)), n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 63));
        b[2] = (char)(0x80 | (cp >> 6 & 63)), b[3] = (char)(0x80 | (cp & 63)), n = 4;
    }
    if (*k + n >= cap) return; /* cut at a whole character */
    memcpy(out + *k, b, n);
    *k += n;
}

/* A string value decoded into out (cut to cap - 1 bytes at a character
 * boundary; a lone surrogate becomes U+FFFD). 1 when it is a string; 0 (and
 * out "") when absent, null or another type. */
static int jstr(const jmember *m, int n, const char *key, char *out, size_t cap) {
    out[0] = 0;
    const jmember *v = jget(m, n, key);
    if (!v || v->val[0] != '"') return 0;
    const char *p = v->val + 1, *e = v->val_end - 1; /* scanned: well-formed */
    size_t k = 0;
    while (p < e) {
        if (*p != '\\') {
            if (k + 1 < cap) out[k++] = *p;
            p++;
            continue;
        }
        char c = p[1];
        p += 2;
        unsigned cp = (unsigned char)c;
        switch (c) {
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u':
                cp = (unsigned)(hex_val(p[0]) << 12 | hex_val(p[1]) << 8 | hex_val(p[2]) << 4 |
                                hex_val(p[3]));
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    int h0 = hex_val(p[2]), h1 = hex_val(p[3]), h2 = hex_val(p[4]),
                        h3 = hex_val(p[5]);
                    unsigned lo = (unsigned)(h0 << 12 | h1 << 8 | h2 << 4 | h3);
                    if (h0 >= 0 && h1 >= 0 && h2 >= 0 && h3 >= 0 && lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
                break;
            default:
                break; /* '"', '\\', '/' */
        }
        put_utf8(out, cap, &k, cp);
    }
    out[k] = 0;
    return 1;
}

/* ---- reading a run's log ------------------------------------------------------ */

/* Per-level storage behind the public teai_serving_level. */
typedef struct level_store {
    size_t cap_req;
    double *itl; /* every request's gaps, one after another */
    size_t n_itl, cap_itl;
    size_t *itl_off; /* (n_req,) where each request's gaps start in itl */
} level_store;

typedef struct run_impl {
    teai_serving_run pub; /* first: teai_serving_run_free casts back */
    level_store *ls;
    size_t cap_levels;
} run_impl;

static int same_num(double a, double b) {
    return (isnan(a) && isnan(b)) || a == b;
}

/* The level (mode, concurrency, rate), added when new; NULL on ENOMEM. */
static teai_serving_level *find_level(run_impl *ri, const char *mode, double conc, double rate,
                                      level_store **ls) {
    teai_serving_run *r = &ri->pub;
    for (size_t i = 0; i < r->n_levels; i++) {
        teai_serving_level *l = &r->levels[i];
        if (strcmp(l->mode, mode) == 0 && same_num(l->concurrency, conc) &&
            same_num(l->rate, rate)) {
            *ls = &ri->ls[i];
            return l;
        }
    }
    if (r->n_levels == ri->cap_levels) {
        size_t c = ri->cap_levels ? ri->cap_levels * 2 : 8;
        teai_serving_level *nl = realloc(r->levels, sizeof *nl * c);
        if (!nl) return NULL;
        r->levels = nl;
        level_store *ns = realloc(ri->ls, sizeof *ns * c);
        if (!ns) return NULL;
        ri->ls = ns;
        ri->cap_levels = c;
    }
    teai_serving_level *l = &r->levels[r->n_levels];
    memset(l, 0, sizeof *l);
    snprintf(l->mode, sizeof l->mode, "%s", mode);
    l->concurrency = conc;
    l->rate = rate;
    *ls = &ri->ls[r->n_levels];
    memset(*ls, 0, sizeof **ls);
    r->n_levels++;
    return l;
}

/* Reads the level keys of a request or level line; 0 when mode is not one of
 * the two. */
static int level_key(const jmember *m, int n, char *mode, size_t cap, double *conc, double *rate) {
    jstr(m, n, "mode", mode, cap);
    if (strcmp(mode, "concurrency") != 0 && strcmp(mode, "rate") != 0) return 0;
    *conc = jnum(m, n, "concurrency");
    *rate = jnum(m, n, "rate");
    return 1;
}

/* Adds one request line; 0 ok, 1 bad record (*why set), TEAI_ENOMEM. */
static int add_request(run_impl *ri, const jmember *m, int n, const char **why) {
    char mode[16];
    double conc, rate;
    if (!level_key(m, n, mode, sizeof mode, &conc, &rate)) {
        *why = "request without a mode (concurrency or rate)";
        return 1;
    }
    const jmember *itl = jget(m, n, "itl_ms");
    size_t n_itl = 0;
    if (itl && itl->val[0] == '[') {
        /* scanned: a well-formed array; every element must be a number */
        for (const char *p = itl->val + 1; p < itl->val_end;) {
            p = skip_ws(p, itl->val_end);
            if (*p == ']') break;
            const char *q = scan_number(p, itl->val_end);
            if (!q) {
                *why = "itl_ms is not an array of numbers";
                return 1;
            }
            n_itl++;
            p = skip_ws(q, itl->val_end);
            if (*p == ',') p++;
        }
    } else if (itl && !(itl->val_end - itl->val == 4 && memcmp(itl->val, "null", 4) == 0)) {
        *why = "itl_ms is not an array";
        return 1;
    }
    level_store *ls;
    teai_serving_level *l = find_level(ri, mode, conc, rate, &ls);
    if (!l) return TEAI_ENOMEM;
    if (l->n_req == ls->cap_req) {
        size_t c = ls->cap_req ? ls->cap_req * 2 : 64;
        teai_serving_request *nr = realloc(l->req, sizeof *nr * c);
        if (!nr) return TEAI_ENOMEM;
        l->req = nr;
        size_t *no = realloc(ls->itl_off, sizeof *no * c);
        if (!no) return TEAI_ENOMEM;
        ls->itl_off = no;
        ls->cap_req = c;
    }
    if (ls->n_itl + n_itl > ls->cap_itl) {
        size_t c = ls->cap_itl ? ls->cap_itl : 256;
        while (c < ls->n_itl + n_itl) c *= 2;
        double *ni = realloc(ls->itl, sizeof *ni * c);
        if (!ni) return TEAI_ENOMEM;
        ls->itl = ni;
        ls->cap_itl = c;
    }
    ls->itl_off[l->n_req] = ls->n_itl;
    if (n_itl) {
        for (const char *p = itl->val + 1; p < itl->val_end;) {
            p = skip_ws(p, itl->val_end);
            if (*p == ']') break;
            const char *q = scan_number(p, itl->val_end);
            char buf[64];
            size_t len = (size_t)(q - p);
            double x = NAN;
            if (len < sizeof buf) {
                memcpy(buf, p, len);
                buf[len] = 0;
                x = strtod(buf, NULL);
            }
            if (!isfinite(x)) x = NAN;
            ls->itl[ls->n_itl++] = x;
            p = skip_ws(q, itl->val_end);
            if (*p == ',') p++;
        }
    }
    teai_serving_request *q = &l->req[l->n_req++];
    memset(q, 0, sizeof *q);
    q->start_s = jnum(m, n, "start_s");
    q->ttft_ms = jnum(m, n, "ttft_ms");
    q->tpot_ms = jnum(m, n, "tpot_ms");
    q->e2el_ms = jnum(m, n, "e2el_ms");
    q->n_itl = n_itl;
    double pt = jnum(m, n, "prompt_tokens"), ct = jnum(m, n, "completion_tokens");
    q->prompt_tokens = pt >= 0 && pt < 1e15 ? (long)pt : -1;
    q->completion_tokens = ct >= 0 && ct < 1e15 ? (long)ct : -1;
    double hs = jnum(m, n, "http_status");
    q->http_status = hs >= 0 && hs < 1000 ? (int)hs : 0;
    q->ok = jbool(m, n, "ok") == 1;
    q->warmup = jbool(m, n, "warmup") == 1;
    if (isnan(q->start_s)) q->start_s = 0; /* durations then read from the others */
    return 0;
}

/* Fields of the run line into r. */
static void read_run_line(teai_serving_run *r, const jmember *m, int n) {
    jstr(m, n, "label", r->label, sizeof r->label);
    jstr(m, n, "base_url", r->base_url, sizeof r->base_url);
    jstr(m, n, "model_name", r->model_name, sizeof r->model_name);
    jstr(m, n, "endpoint", r->endpoint, sizeof r->endpoint);
    jstr(m, n, "arrival", r->arrival, sizeof r->arrival);
    r->burstiness = jnum(m, n, "burstiness");
    jstr(m, n, "started", r->started, sizeof r->started);
    jstr(m, n, "host", r->host, sizeof r->host);
    jstr(m, n, "teai_version", r->teai_version, sizeof r->teai_version);
    r->slo.ttft_ms = r->slo.tpot_ms = r->slo.e2el_ms = NAN;
    const jmember *s = jget(m, n, "slo");
    jmember sm[JSON_MAX_MEMBERS];
    int ns;
    if (s && s->val[0] == '{' && (ns = json_object(s->val, s->val_end, sm, 1)) >= 0) {
        r->slo.ttft_ms = jnum(sm, ns, "ttft_ms");
        r->slo.tpot_ms = jnum(sm, ns, "tpot_ms");
        r->slo.e2el_ms = jnum(sm, ns, "e2el_ms");
    }
}

/* One line (without its newline): 0 read or skipped, TEAI_EFORMAT when the
 * first line is not a run line, TEAI_ENOMEM. */
static int read_line(run_impl *ri, const char *p, size_t len, long lineno, int last_torn,
                     teai_note_fn note, void *ud, teai_error *err) {
    const char *path = ri->pub.path;
    jmember m[JSON_MAX_MEMBERS];
    const char *e = p + len;
    if (skip_ws(p, e) == e && lineno > 1) return TEAI_OK; /* blank line */
    int n = json_object(p, e, m, 0);
    char type[16];
    if (n >= 0) jstr(m, n, "type", type, sizeof type);
    if (lineno == 1) {
        if (n < 0 || strcmp(type, "run") != 0)
            return teai__fail(err, TEAI_EFORMAT, "%s:1: not a load log (no run line)", path);
        read_run_line(&ri->pub, m, n);
        return TEAI_OK;
    }
    if (n < 0) {
        teai__notef(note, ud, "%s:%ld: %s, skipped", path, lineno,
                    last_torn ? "torn last line" : "not a JSON object");
        return TEAI_OK;
    }
    if (strcmp(type, "request") == 0) {
        const char *why = NULL;
        int rc = add_request(ri, m, n, &why);
        if (rc == TEAI_ENOMEM) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
        if (rc) teai__notef(note, ud, "%s:%ld: %s, skipped", path, lineno, why);
    } else if (strcmp(type, "level") == 0) {
        char mode[16];
        double conc, rate;
        if (!level_key(m, n, mode, sizeof mode, &conc, &rate)) {
            teai__notef(note, ud, "%s:%ld: level without a mode, skipped", path, lineno);
            return TEAI_OK;
        }
        level_store *ls;
        teai_serving_level *l = find_level(ri, mode, conc, rate, &ls);
        if (!l) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
        l->saturated = jbool(m, n, "saturated") == 1;
    } else if (strcmp(type, "end") == 0) {
        jstr(m, n, "status", ri->pub.status, sizeof ri->pub.status);
    } /* other types: skipped (readers skip what they do not know) */
    return TEAI_OK;
}

int teai_serving_run_read(const char *path, teai_note_fn note, void *ud, teai_serving_run **out,
                          teai_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    run_impl *ri = calloc(1, sizeof *ri);
    if (!ri) {
        fclose(f);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    snprintf(ri->pub.path, sizeof ri->pub.path, "%s", path);
    ri->pub.burstiness = NAN;
    ri->pub.slo.ttft_ms = ri->pub.slo.tpot_ms = ri->pub.slo.e2el_ms = NAN;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = TEAI_OK;
    while (rc == TEAI_OK && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        int torn = len == 0 || line[len - 1] != '\n';
        if (!torn) len--;
        rc = read_line(ri, line, (size_t)len, lineno, torn, note, ud, err);
    }
    if (rc == TEAI_OK && ferror(f)) rc = teai__fail(err, TEAI_EIO, "%s: read error", path);
    if (rc == TEAI_OK && lineno == 0)
        rc = teai__fail(err, TEAI_EFORMAT, "%s: empty, not a load log", path);
    free(line);
    fclose(f);
    if (rc != TEAI_OK) {
        teai_serving_run_free(&ri->pub);
        return rc;
    }
    for (size_t i = 0; i < ri->pub.n_levels; i++) {
        teai_serving_level *l = &ri->pub.levels[i];
        for (size_t k = 0; k < l->n_req; k++)
            l->req[k].itl_ms = l->req[k].n_itl ? ri->ls[i].itl + ri->ls[i].itl_off[k] : NULL;
    }
    *out = &ri->pub;
    return TEAI_OK;
}

void teai_serving_run_free(teai_serving_run *r) {
    if (!r) return;
    run_impl *ri = (run_impl *)r;
    for (size_t i = 0; i < r->n_levels; i++) {
        free(r->levels[i].req);
        free(ri->ls[i].itl);
        free(ri->ls[i].itl_off);
    }
    free(r->levels);
    free(ri->ls);
    free(ri);
}

/* ---- serving.csv ------------------------------------------------------------ */

static const char *const fixed_cols[] = {"label",
                                         "base_url",
                                         "model_name",
                                         "endpoint",
                                         "mode",
                                         "concurrency",
                                         "rate",
                                         "arrival",
                                         "burstiness",
                                         "host",
                                         "started",
                                         "teai_version",
                                         "log_file",
                                         "status",
                                         "saturated",
                                         "requests",
                                         "ok",
                                         "errors",
                                         "error_rate",
                                         "duration_s",
                                         "request_throughput",
                                         "output_throughput",
                                         "input_throughput",
                                         "goodput",
                                         "slo_attainment",
                                         "slo_ttft_ms",
                                         "slo_tpot_ms",
                                         "slo_e2el_ms"};
#define N_FIXED  (sizeof fixed_cols / sizeof fixed_cols[0])
#define N_DIST_C 9
static const char *const dist_names[4] = {"ttft", "tpot", "itl", "e2el"};
static const char *const dist_cols[N_DIST_C] = {"mean", "p50", "p50_lo", "p50_hi", "p90",
                                                "p95",  "p99", "p99_lo", "p99_hi"};

int teai_serving_csv_n_cols(void) {
    return (int)(N_FIXED + 4 * N_DIST_C);
}

int teai_serving_csv_col(int i, char *out, size_t cap) {
    if (i < 0 || i >= teai_serving_csv_n_cols()) return -1;
    if ((size_t)i < N_FIXED) return snprintf(out, cap, "%s", fixed_cols[i]);
    int k = i - (int)N_FIXED;
    return snprintf(out, cap, "%s_%s_ms", dist_names[k / N_DIST_C], dist_cols[k % N_DIST_C]);
}

/* One RFC 4180 field (quoted when it holds a comma, quote, CR or LF; made
 * well-formed UTF-8 first). */
static int csv_field(teai_buf *b, const char *s, int first) {
    int rc = first ? TEAI_OK : teai_buf_add(b, ",", 1);
    teai_buf clean;
    teai_buf_init(&clean, 0);
    size_t n = strlen(s);
    if (rc == TEAI_OK && !teai__utf8_valid(s, n)) {
        rc = teai__utf8_sanitize(&clean, s, n, NULL);
        s = clean.data ? clean.data : "", n = clean.len;
    }
    if (rc == TEAI_OK && strpbrk(s, ",\"\r\n")) {
        rc = teai_buf_add(b, "\"", 1);
        for (size_t i = 0; i < n && rc == TEAI_OK; i++)
            rc = s[i] == '"' ? teai_buf_add(b, "\"\"", 2) : teai_buf_add(b, s + i, 1);
        if (rc == TEAI_OK) rc = teai_buf_add(b, "\"", 1);
    } else if (rc == TEAI_OK) {
        rc = teai_buf_add(b, s, n);
    }
    teai_buf_free(&clean);
    return rc;
}

/* The fewest significant digits that read back as v, in plain notation
 * for exponents -4..15 (as Python's repr, without ".0": 150, 0.0001, 41.55;
 * the results module's CSV numbers read the same); "" for NAN; "inf" for
 * +inf (an unbounded arrival rate). */
static void fmt_num(char *out, size_t cap, double v) {
    if (isnan(v)) {
        snprintf(out, cap, "%s", "");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    char e[40];
    int digits = 1;
    for (; digits <= 17; digits++) {
        snprintf(e, sizeof e, "%.*e", digits - 1, v);
        if (strtod(e, NULL) == v) break;
    }
    if (digits > 17) digits = 17;
    const char *x = strchr(e, 'e');
    long ex = x ? strtol(x + 1, NULL, 10) : 0;
    if (ex >= -4 && ex < 16)
        snprintf(out, cap, "%.*f", ex >= digits - 1 ? 0 : (int)(digits - 1 - ex), v);
    else
        snprintf(out, cap, "%s", e);
}

static int csv_num(teai_buf *b, double v) {
    char s[40];
    fmt_num(s, sizeof s, v);
    return csv_field(b, s, 0);
}

static int csv_row(teai_buf *b, const teai_serving_run *r, const char *log_file,
                   const teai_serving_level *l, const teai_serving_summary *s) {
    int rc = csv_field(b, r->label, 1);
    const char *strs[] = {r->base_url, r->model_name, r->endpoint, l->mode};
    for (int i = 0; i < 4 && rc == TEAI_OK; i++) rc = csv_field(b, strs[i], 0);
    if (rc == TEAI_OK) rc = csv_num(b, l->concurrency);
    if (rc == TEAI_OK) rc = csv_num(b, l->rate);
    if (rc == TEAI_OK) rc = csv_field(b, r->arrival, 0);
    if (rc == TEAI_OK) rc = csv_num(b, r->burstiness);
    const char *strs2[] = {r->host, r->started, r->teai_version, log_file, r->status};
    for (int i = 0; i < 5 && rc == TEAI_OK; i++) rc = csv_field(b, strs2[i], 0);
    const double nums[] = {l->saturated,
                           (double)s->requests,
                           (double)s->ok,
                           (double)s->errors,
                           s->error_rate,
                           s->duration_s,
                           s->request_throughput,
                           s->output_throughput,
                           s->input_throughput,
                           s->goodput,
                           s->slo_attainment,
                           r->slo.ttft_ms > 0 ? r->slo.ttft_ms : NAN,
                           r->slo.tpot_ms > 0 ? r->slo.tpot_ms : NAN,
                           r->slo.e2el_ms > 0 ? r->slo.e2el_ms : NAN};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0] && rc == TEAI_OK; i++)
        rc = csv_num(b, nums[i]);
    const teai_serving_dist *d[4] = {&s->ttft, &s->tpot, &s->itl, &s->e2el};
    for (int m = 0; m < 4 && rc == TEAI_OK; m++) {
        const double v[N_DIST_C] = {d[m]->mean, d[m]->p[0], d[m]->lo[0], d[m]->hi[0], d[m]->p[1],
                                    d[m]->p[2], d[m]->p[3], d[m]->lo[3], d[m]->hi[3]};
        for (int i = 0; i < N_DIST_C && rc == TEAI_OK; i++) rc = csv_num(b, v[i]);
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, "\r\n", 2);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct path_list {
    char **p;
    size_t n, cap;
} path_list;

/* Every *.jsonl under dir (relative paths, "sub/x.jsonl"), hidden entries
 * skipped, at most 8 folders deep; byte order of the names within a folder. */
static int list_jsonl(const char *root, const char *rel, int depth, path_list *pl,
                      teai_note_fn note, void *ud, teai_error *err) {
    teai_buf dir;
    teai_buf_init(&dir, 0);
    int rc = *rel ? teai_buf_printf(&dir, "%s/%s", root, rel) : teai_buf_addstr(&dir, root);
    if (rc != TEAI_OK) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    DIR *d = opendir(dir.data);
    if (!d) {
        int e = errno;
        rc = depth == 0 ? teai__fail(err, e == ENOENT || e == ENOTDIR ? TEAI_ENOTFOUND : TEAI_EIO,
                                     "%s: %s", dir.data, strerror(e))
                        : TEAI_OK;
        if (depth) teai__notef(note, ud, "%s: %s, skipped", dir.data, strerror(e));
        teai_buf_free(&dir);
        return rc;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (rc == TEAI_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, sizeof *nn * cap);
            if (!nn) {
                rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name)))
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == TEAI_OK; i++) {
        teai_buf sub, full;
        teai_buf_init(&sub, 0);
        teai_buf_init(&full, 0);
        if ((*rel ? teai_buf_printf(&sub, "%s/%s", rel, names[i])
                  : teai_buf_addstr(&sub, names[i])) != TEAI_OK ||
            teai_buf_printf(&full, "%s/%s", root, sub.data) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        } else {
            struct stat st;
            size_t len = strlen(names[i]);
            if (stat(full.data, &st) != 0) {
                if (len > 6 && strcmp(names[i] + len - 6, ".jsonl") == 0)
                    teai__notef(note, ud, "%s: %s, skipped", full.data, strerror(errno));
            } else if (S_ISDIR(st.st_mode)) {
                if (depth < 8) rc = list_jsonl(root, sub.data, depth + 1, pl, note, ud, err);
            } else if (S_ISREG(st.st_mode) && len > 6 &&
                       strcmp(names[i] + len - 6, ".jsonl") == 0) {
                if (pl->n == pl->cap) {
                    size_t c = pl->cap ? pl->cap * 2 : 16;
                    char **np = realloc(pl->p, sizeof *np * c);
                    if (!np)
                        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
                    else
                        pl->p = np, pl->cap = c;
                }
                if (rc == TEAI_OK) {
                    pl->p[pl->n++] = sub.data; /* the list owns it now */
                    sub.data = NULL;
                }
            }
        }
        teai_buf_free(&sub);
        teai_buf_free(&full);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    teai_buf_free(&dir);
    return rc;
}

void teai_serving_runs_free(teai_serving_run **runs, size_t n) {
    for (size_t i = 0; i < n; i++) teai_serving_run_free(runs ? runs[i] : NULL);
    free(runs);
}

int teai_serving_runs_read(const char *logs_dir, teai_note_fn note, void *ud,
                           teai_serving_run ***out, size_t *n_out, char ***rel_out,
                           teai_error *err) {
    *out = NULL;
    *n_out = 0;
    if (rel_out) *rel_out = NULL;
    path_list pl = {0};
    int rc = list_jsonl(logs_dir, "", 0, &pl, note, ud, err);
    teai_serving_run **runs = rc == TEAI_OK ? calloc(pl.n ? pl.n : 1, sizeof *runs) : NULL;
    char **rel = rc == TEAI_OK && rel_out ? calloc(pl.n ? pl.n : 1, sizeof *rel) : NULL;
    if (rc == TEAI_OK && (!runs || (rel_out && !rel)))
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", logs_dir);
    size_t n = 0;
    for (size_t i = 0; i < pl.n && rc == TEAI_OK; i++) {
        teai_buf full;
        teai_buf_init(&full, 0);
        if (teai_buf_printf(&full, "%s/%s", logs_dir, pl.p[i]) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        teai_serving_run *r = NULL;
        teai_error e2 = {0};
        int st = teai_serving_run_read(full.data, note, ud, &r, &e2);
        teai_buf_free(&full);
        if (st == TEAI_ENOMEM) {
            rc = teai__fail(err, st, "%s", e2.msg);
        } else if (st == TEAI_EFORMAT) {
            /* another program's JSON Lines (llama-bench's): not a load log */
        } else if (st != TEAI_OK) {
            teai__notef(note, ud, "%s, skipped", e2.msg);
        } else {
            if (rel) rel[n] = pl.p[i], pl.p[i] = NULL; /* the caller owns it now */
            runs[n++] = r;
        }
    }
    for (size_t i = 0; i < pl.n; i++) free(pl.p[i]);
    free(pl.p);
    if (rc != TEAI_OK) {
        teai_serving_runs_free(runs, n);
        if (rel)
            for (size_t i = 0; i < n; i++) free(rel[i]);
        free(rel);
        return rc;
    }
    if (!n) { /* no load log: nothing to free */
        free(runs), free(rel);
        runs = NULL, rel = NULL;
    }
    *out = runs;
    *n_out = n;
    if (rel_out) *rel_out = rel;
    return TEAI_OK;
}

int teai_serving_collate(const char *logs_dir, const char *out_csv, teai_note_fn note, void *ud,
                         long *n_rows, teai_error *err) {
    *n_rows = 0;
    teai_serving_run **runs = NULL;
    char **rel = NULL;
    size_t n = 0;
    int rc = teai_serving_runs_read(logs_dir, note, ud, &runs, &n, &rel, err);
    if (rc != TEAI_OK) return rc;
    teai_buf csv;
    teai_buf_init(&csv, 0);
    for (int i = 0; rc == TEAI_OK && i < teai_serving_csv_n_cols(); i++) {
        char name[64];
        teai_serving_csv_col(i, name, sizeof name);
        rc = csv_field(&csv, name, i == 0);
    }
    if (rc == TEAI_OK) rc = teai_buf_add(&csv, "\r\n", 2);
    if (rc == TEAI_ENOMEM) rc = teai__fail(err, rc, "%s: out of memory", out_csv);
    long rows = 0;
    for (size_t i = 0; i < n && rc == TEAI_OK; i++) {
        const teai_serving_run *r = runs[i];
        for (size_t k = 0; k < r->n_levels && rc == TEAI_OK; k++) {
            teai_serving_summary s;
            const teai_serving_level *l = &r->levels[k];
            rc = teai_serving_summarize(l->req, l->n_req, &r->slo, &s, err);
            if (rc == TEAI_OK) rc = csv_row(&csv, r, rel[i], l, &s);
            if (rc == TEAI_ENOMEM) rc = teai__fail(err, rc, "%s: out of memory", out_csv);
            rows++;
        }
    }
    if (rc == TEAI_OK && rows > 0) rc = teai__write_file_atomic(out_csv, csv.data, csv.len, err);
    if (rc == TEAI_OK) *n_rows = rows;
    for (size_t i = 0; i < n; i++) free(rel[i]);
    free(rel);
    teai_serving_runs_free(runs, n);
    teai_buf_free(&csv);
    return rc;
}

/* ---- reading serving.csv back ------------------------------------------------- */

struct teai_serving_table {
    int n_cols;
    char **cols;  /* (n_cols,) header names */
    char **cells; /* (n_rows * n_cols,) */
    long n_rows, cap_rows;
};

void teai_serving_table_free(teai_serving_table *t) {
    if (!t) return;
    for (int i = 0; i < t->n_cols; i++) free(t->cols[i]);
    for (long i = 0; i < t->n_rows * t->n_cols; i++) free(t->cells[i]);
    free(t->cols);
    free(t->cells);
    free(t);
}

int teai_serving_table_read(const char *path, teai_note_fn note, void *ud, teai_serving_table **out,
                            teai_error *err) {
    *out = NULL;
    teai_csv_reader *rd;
    int rc = teai_csv_open(path, &rd, err);
    if (rc != TEAI_OK) return rc;
    teai_serving_table *t = calloc(1, sizeof *t);
    if (!t) {
        teai_csv_close(rd);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    const teai_csv_field *f;
    int n;
    int got = teai_csv_next(rd, &f, &n, err);
    if (got == 1) {
        t->cols = calloc((size_t)n, sizeof *t->cols);
        if (!t->cols) rc = TEAI_ENOMEM;
        for (int i = 0; i < n && rc == TEAI_OK; i++, t->n_cols++)
            if (!(t->cols[i] = strdup(f[i].p))) rc = TEAI_ENOMEM;
        if (rc == TEAI_OK && teai_serving_table_col(t, "label") < 0)
            rc = teai__fail(err, TEAI_EFORMAT, "%s:1: no label column: not a serving.csv", path);
    } else {
        rc = got < 0 ? got : teai__fail(err, TEAI_EFORMAT, "%s: empty", path);
    }
    while (rc == TEAI_OK && (got = teai_csv_next(rd, &f, &n, err)) == 1) {
        if (n != t->n_cols) {
            if (!(n == 1 && f[0].len == 0))
                teai__notef(note, ud, "%s:%ld: %d fields, header has %d, skipped", path,
                            teai_csv_line(rd), n, t->n_cols);
            continue;
        }
        if (t->n_rows == t->cap_rows) {
            long c = t->cap_rows ? t->cap_rows * 2 : 16;
            char **nc = realloc(t->cells, sizeof *nc * (size_t)c * (size_t)t->n_cols);
            if (!nc) {
                rc = TEAI_ENOMEM;
                break;
            }
            t->cells = nc;
            t->cap_rows = c;
        }
        char **row = t->cells + t->n_rows * t->n_cols;
        int k = 0;
        for (; k < n; k++)
            if (!(row[k] = strdup(f[k].p))) break;
        if (k < n) {
            while (k > 0) free(row[--k]);
            rc = TEAI_ENOMEM;
            break;
        }
        t->n_rows++;
    }
    if (rc == TEAI_OK && got < 0) rc = got;
    if (rc == TEAI_ENOMEM) rc = teai__fail(err, rc, "%s: out of memory", path);
    teai_csv_close(rd);
    if (rc != TEAI_OK) {
        teai_serving_table_free(t);
        return rc;
    }
    *out = t;
    return TEAI_OK;
}

long teai_serving_table_rows(const teai_serving_table *t) {
    return t->n_rows;
}

int teai_serving_table_col(const teai_serving_table *t, const char *name) {
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0) return i;
    return -1;
}

const char *teai_serving_table_str(const teai_serving_table *t, long row, const char *col) {
    int c = teai_serving_table_col(t, col);
    if (c < 0 || row < 0 || row >= t->n_rows) return "";
    return t->cells[row * t->n_cols + c];
}

double teai_serving_table_num(const teai_serving_table *t, long row, const char *col) {
    const char *s = teai_serving_table_str(t, row, col);
    if (!*s) return NAN;
    char *end;
    double x = strtod(s, &end);
    return *end == 0 && !isnan(x) ? x : NAN;
}

void teai_serving_level_name(char *out, size_t cap, const char *mode, double concurrency,
                             double rate) {
    char v[40];
    if (strcmp(mode, "rate") == 0) {
        fmt_num(v, sizeof v, rate);
        snprintf(out, cap, "%s req/s", *v ? v : "?");
    } else {
        fmt_num(v, sizeof v, concurrency);
        snprintf(out, cap, "c=%s", *v ? v : "?");
    }
}
