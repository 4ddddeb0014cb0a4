/* Collated CSV rows -> per-group samples, and comparisons (analysis.h). */
#include "analysis/analysis_impl.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec;

typedef struct group {
    char *key[TEAI_GROUP_MAX_COLS];
    long rows;
    long run_rates; /* DECODE_TOK_S values from rows of several tokens */
    dvec m[TEAI_M_N];
    long reps, flag_known, throttled, noisy, charging, flagged, excluded;
    double membw, duration;        /* highest seen; NAN none */
    char *energy_source, *sensors; /* first non-empty; NULL none */
} group;

struct teai_dataset {
    int n_cols;
    char *cols[TEAI_GROUP_MAX_COLS];
    group *g;
    int n, cap;
    int *order; /* groups sorted by key */
    int *hash;  /* open addressing: group index + 1, 0 empty; hcap slots */
    size_t hcap;
    long warmup_rows;        /* rows with warmup == 1, of all rows added */
    char **csv_cols;         /* (n_csv_cols,) header names, in the order first seen */
    unsigned char *csv_used; /* (n_csv_cols,) 1: a row has a value there */
    int n_csv_cols, cap_csv_cols;
    /* teai_dataset_track_setup: the distinct combinations of the setup
     * columns, kept as the groups (with no values) of a second data set */
    teai_dataset *setup;
    int exclude_flagged; /* teai_dataset_exclude_flagged */
    /* teai_dataset_allow_missing: group column k may be absent from a CSV */
    unsigned char optional[TEAI_GROUP_MAX_COLS];
};

static const char *const metric_names[TEAI_M_N] = {"decode_tokens_per_sec",
                                                   "token_latency_ms",
                                                   "ttft_ms",
                                                   "prefill_tokens_per_sec",
                                                   "memory_throughput_gb_s",
                                                   "param_throughput_gb_s",
                                                   "joules_per_token",
                                                   "tokens_per_joule",
                                                   "decode_power_w",
                                                   "prefill_power_w",
                                                   "temp_max_c",
                                                   "clock_min_mhz",
                                                   "other_cpu_pct",
                                                   "run_peak_rss_mb",
                                                   "cooldown_ms",
                                                   "membw_pct",
                                                   "gb_per_token",
                                                   "peak_rss_mb"};
static const char *const metric_labels[TEAI_M_N] = {
    "decode tokens/s",      "per-token latency",    "time to first token", "prefill tokens/s",
    "memory throughput",    "parameter throughput", "energy per token",    "tokens per joule",
    "decode power",         "prefill power",        "max temperature",     "min clock",
    "other processes' CPU", "peak RSS (rep)",       "cool-down wait",      "of measured bandwidth",
    "bytes per token",      "peak RSS (load)"};
static const char *const metric_units[TEAI_M_N] = {
    "tokens/s", "ms", "ms",  "tokens/s", "GB/s", "GB/s", "J/token", "tokens/J", "W",
    "W",        "°C", "MHz", "%",        "MiB",  "ms",   "%",       "GB/token", "MiB"};

const char *teai_metric_name(int m) {
    return m >= 0 && m < TEAI_M_N ? metric_names[m] : NULL;
}
const char *teai_metric_label(int m) {
    return m >= 0 && m < TEAI_M_N ? metric_labels[m] : NULL;
}
const char *teai_metric_unit(int m) {
    return m >= 0 && m < TEAI_M_N ? metric_units[m] : NULL;
}

static char *dupn(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int teai_dataset_new(const char *const *group_cols, int n_cols, teai_dataset **out,
                     teai_error *err) {
    *out = NULL;
    if (n_cols < 1 || n_cols > TEAI_GROUP_MAX_COLS)
        return teai__fail(err, TEAI_EINVAL, "group by 1 to %d columns, not %d", TEAI_GROUP_MAX_COLS,
                          n_cols);
    for (int k = 0; k < n_cols; k++)
        if (teai_csv_column_index(group_cols[k]) < 0)
            return teai__fail(err, TEAI_EINVAL, "unknown column '%s'", group_cols[k]);
    teai_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    ds->n_cols = n_cols;
    for (int k = 0; k < n_cols; k++)
        if (!(ds->cols[k] = dupn(group_cols[k], strlen(group_cols[k])))) {
            teai_dataset_free(ds);
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        }
    *out = ds;
    return TEAI_OK;
}

void teai_dataset_free(teai_dataset *ds) {
    if (!ds) return;
    for (int k = 0; k < ds->n_cols; k++) free(ds->cols[k]);
    for (int i = 0; i < ds->n; i++) {
        for (int k = 0; k < ds->n_cols; k++) free(ds->g[i].key[k]);
        for (int m = 0; m < TEAI_M_N; m++) free(ds->g[i].m[m].v);
        free(ds->g[i].energy_source);
        free(ds->g[i].sensors);
    }
    free(ds->g);
    free(ds->order);
    free(ds->hash);
    for (int i = 0; i < ds->n_csv_cols; i++) free(ds->csv_cols[i]);
    free(ds->csv_cols);
    free(ds->csv_used);
    teai_dataset_free(ds->setup);
    free(ds);
}

int teai_dataset_n_cols(const teai_dataset *ds) {
    return ds->n_cols;
}
const char *teai_dataset_col(const teai_dataset *ds, int k) {
    return k >= 0 && k < ds->n_cols ? ds->cols[k] : NULL;
}
int teai_dataset_n_groups(const teai_dataset *ds) {
    return ds->n;
}
const char *teai_dataset_key(const teai_dataset *ds, int g, int k) {
    if (g < 0 || g >= ds->n || k < 0 || k >= ds->n_cols) return NULL;
    return ds->g[ds->order[g]].key[k];
}
long teai_dataset_rows(const teai_dataset *ds, int g) {
    return g >= 0 && g < ds->n ? ds->g[ds->order[g]].rows : 0;
}
long teai_dataset_run_rates(const teai_dataset *ds, int g) {
    return g >= 0 && g < ds->n ? ds->g[ds->order[g]].run_rates : 0;
}
void teai_dataset_exclude_flagged(teai_dataset *ds, int on) {
    ds->exclude_flagged = on != 0;
}

int teai_dataset_allow_missing(teai_dataset *ds, const char *col, teai_error *err) {
    for (int k = 0; k < ds->n_cols; k++)
        if (!strcmp(ds->cols[k], col)) {
            ds->optional[k] = 1;
            return TEAI_OK;
        }
    return teai__fail(err, TEAI_EINVAL, "'%s' is not a group-by column", col);
}

int teai_dataset_group_info(const teai_dataset *ds, int g, teai_group_info *out) {
    memset(out, 0, sizeof *out);
    out->membw_gb_s = out->duration_s = NAN;
    out->energy_source = out->sensors = "";
    if (g < -1 || g >= ds->n) return TEAI_EINVAL;
    for (int i = g < 0 ? 0 : g; i < (g < 0 ? ds->n : g + 1); i++) {
        const group *p = &ds->g[ds->order[i]];
        out->reps += p->reps, out->flag_known += p->flag_known;
        out->throttled += p->throttled, out->noisy += p->noisy, out->charging += p->charging;
        out->flagged += p->flagged, out->excluded += p->excluded;
        if (!isnan(p->membw) && !(out->membw_gb_s >= p->membw)) out->membw_gb_s = p->membw;
        if (!isnan(p->duration) && !(out->duration_s >= p->duration)) out->duration_s = p->duration;
        if (!*out->energy_source && p->energy_source) out->energy_source = p->energy_source;
        if (!*out->sensors && p->sensors) out->sensors = p->sensors;
    }
    return TEAI_OK;
}

const double *teai_dataset_values(const teai_dataset *ds, int g, int metric, size_t *n) {
    *n = 0;
    if (g < 0 || g >= ds->n || metric < 0 || metric >= TEAI_M_N) return NULL;
    const dvec *v = &ds->g[ds->order[g]].m[metric];
    *n = v->n;
    return v->v;
}

int teai_dataset_track_setup(teai_dataset *ds, const char *const *cols, int n_cols,
                             teai_error *err) {
    teai_dataset *s;
    int st = teai_dataset_new(cols, n_cols, &s, err);
    if (st) return st;
    teai_dataset_free(ds->setup);
    ds->setup = s;
    return TEAI_OK;
}
int teai_dataset_n_setups(const teai_dataset *ds) {
    return ds->setup ? ds->setup->n : 0;
}
const char *teai_dataset_setup(const teai_dataset *ds, int i, int k) {
    return ds->setup ? teai_dataset_key(ds->setup, i, k) : NULL;
}
long teai_dataset_warmup_rows(const teai_dataset *ds) {
    return ds->warmup_rows;
}
int teai_dataset_n_csv_cols(const teai_dataset *ds) {
    return ds->n_csv_cols;
}
const char *teai_dataset_csv_col(const teai_dataset *ds, int i, int *used) {
    if (i < 0 || i >= ds->n_csv_cols) return NULL;
    if (used) *used = ds->csv_used[i];
    return ds->csv_cols[i];
}

static int dvec_push(dvec *d, double x) {
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 256;
        double *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) return TEAI_ENOMEM;
        d->v = nv;
        d->cap = nc;
    }
    d->v[d->n++] = x;
    return TEAI_OK;
}

/* ---- numbers ------------------------------------------------------------------ */

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A CSV cell as a finite number; 0 (not a number) for empty or other text.
 * Plain decimals of up to 15 digits take an exact fast path (digits and 10^k
 * are exact doubles, so one division rounds correctly); the rest strtod. */
int teai__an_num(const char *s, size_t len, double *out) {
    if (len == 0 || len > 64) return 0;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') neg = s[0] == '-', i = 1;
    uint64_t mant = 0;
    int digits = 0, frac = 0, dot = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (mant || c != '0') digits++;
            mant = mant * 10 + (uint64_t)(c - '0');
            if (dot) frac++;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (i == len && digits <= 15 && frac <= 22 && len > (size_t)(neg || s[0] == '+') + dot) {
        double v = (double)mant / pow10_tab[frac];
        *out = neg ? -v : v;
        return 1;
    }
    char *end;
    double v = strtod(s, &end); /* cells are NUL-terminated */
    if (end != s + len || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* ---- groups ------------------------------------------------------------------- */

static uint64_t hash_key(const teai_csv_field *const *f, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < n; k++) {
        for (size_t i = 0; i < f[k]->len; i++)
            h = (h ^ (unsigned char)f[k]->p[i]) * 1099511628211ull;
        h = (h ^ 0x1f) * 1099511628211ull;
    }
    return h;
}

static int key_equal(const group *g, const teai_csv_field *const *f, int n) {
    for (int k = 0; k < n; k++)
        if (strlen(g->key[k]) != f[k]->len || memcmp(g->key[k], f[k]->p, f[k]->len)) return 0;
    return 1;
}

static const teai_dataset *sort_ds; /* qsort has no context argument in C11 */
static int cmp_order(const void *pa, const void *pb) {
    const group *a = &sort_ds->g[*(const int *)pa], *b = &sort_ds->g[*(const int *)pb];
    for (int k = 0; k < sort_ds->n_cols; k++) {
        int c = strcmp(a->key[k], b->key[k]);
        if (c) return c;
    }
    return 0;
}

static int rehash(teai_dataset *ds) {
    size_t nc = ds->hcap ? ds->hcap * 2 : 64;
    int *nh = calloc(nc, sizeof *nh);
    if (!nh) return TEAI_ENOMEM;
    for (int i = 0; i < ds->n; i++) {
        const teai_csv_field *fp[TEAI_GROUP_MAX_COLS];
        teai_csv_field fv[TEAI_GROUP_MAX_COLS];
        for (int k = 0; k < ds->n_cols; k++) {
            fv[k].p = ds->g[i].key[k];
            fv[k].len = strlen(ds->g[i].key[k]);
            fp[k] = &fv[k];
        }
        size_t s = (size_t)hash_key(fp, ds->n_cols) & (nc - 1);
        while (nh[s]) s = (s + 1) & (nc - 1);
        nh[s] = i + 1;
    }
    free(ds->hash);
    ds->hash = nh;
    ds->hcap = nc;
    return TEAI_OK;
}

/* The group of a row's key fields, created when new; -1 out of memory. */
static int find_group(teai_dataset *ds, const teai_csv_field *const *f) {
    if ((size_t)(ds->n + 1) * 2 > ds->hcap && rehash(ds)) return -1;
    size_t s = (size_t)hash_key(f, ds->n_cols) & (ds->hcap - 1);
    for (; ds->hash[s]; s = (s + 1) & (ds->hcap - 1))
        if (key_equal(&ds->g[ds->hash[s] - 1], f, ds->n_cols)) return ds->hash[s] - 1;
    if (ds->n == ds->cap) {
        int nc = ds->cap ? ds->cap * 2 : 16;
        group *ng = realloc(ds->g, (size_t)nc * sizeof *ng);
        int *no = realloc(ds->order, (size_t)nc * sizeof *no);
        if (ng) ds->g = ng;
        if (no) ds->order = no;
        if (!ng || !no) return -1;
        ds->cap = nc;
    }
    group *g = &ds->g[ds->n];
    memset(g, 0, sizeof *g);
    g->membw = g->duration = NAN;
    for (int k = 0; k < ds->n_cols; k++)
        if (!(g->key[k] = dupn(f[k]->p, f[k]->len))) {
            for (int j = 0; j < k; j++) free(g->key[j]);
            return -1;
        }
    ds->hash[s] = ds->n + 1;
    return ds->n++;
}

static void sort_groups(teai_dataset *ds) {
    for (int i = 0; i < ds->n; i++) ds->order[i] = i;
    sort_ds = ds;
    if (ds->n > 1) qsort(ds->order, (size_t)ds->n, sizeof *ds->order, cmp_order);
}

/* ---- reading a CSV ---------------------------------------------------------- */

/* The index of header column name in ds->csv_cols, added when new; -1 out
 * of memory. */
static int csv_col(teai_dataset *ds, const char *name) {
    for (int i = 0; i < ds->n_csv_cols; i++)
        if (!strcmp(ds->csv_cols[i], name)) return i;
    if (ds->n_csv_cols == ds->cap_csv_cols) {
        int nc = ds->cap_csv_cols ? ds->cap_csv_cols * 2 : 64;
        char **nn = realloc(ds->csv_cols, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        ds->csv_cols = nn;
        unsigned char *nu = realloc(ds->csv_used, (size_t)nc);
        if (!nu) return -1;
        ds->csv_used = nu;
        ds->cap_csv_cols = nc;
    }
    if (!(ds->csv_cols[ds->n_csv_cols] = dupn(name, strlen(name)))) return -1;
    ds->csv_used[ds->n_csv_cols] = 0;
    return ds->n_csv_cols++;
}

enum {
    C_STEP,
    C_WARMUP,
    C_TOK_S,
    C_TOTAL,
    C_CHUNK,
    C_MEM,
    C_PARAM,
    C_TTFT,
    C_PREFILL,
    C_MEMBW,
    C_THROTTLED, /* the three flags, in this order */
    C_NOISY,
    C_CHARGING,
    C_LOG_FILE, /* a repetition's identity: log_file, uuid, repetition */
    C_UUID,
    C_REP,
    C_DURATION,
    C_ENERGY_SOURCE,
    C_SENSORS,
    C_LOAD_RSS, /* peak_rss_mb: after loading, on every row; taken from step-0 rows */
    C_DEV0      /* then the step-0 device columns of dev_metric[] */
};
/* The step-0 device columns and the metric each fills. */
static const int dev_col[] = {
    TEAI_COL_J_PER_TOKEN,     TEAI_COL_TOKENS_PER_J,    TEAI_COL_DECODE_POWER_W,
    TEAI_COL_PREFILL_POWER_W, TEAI_COL_TEMP_MAX_C,      TEAI_COL_CLOCK_MIN_MHZ,
    TEAI_COL_OTHER_CPU_PCT,   TEAI_COL_RUN_PEAK_RSS_MB, TEAI_COL_COOLDOWN_MS};
static const int dev_metric[] = {TEAI_M_J_PER_TOKEN,   TEAI_M_TOKENS_PER_J,    TEAI_M_DECODE_W,
                                 TEAI_M_PREFILL_W,     TEAI_M_TEMP_MAX_C,      TEAI_M_CLOCK_MIN_MHZ,
                                 TEAI_M_OTHER_CPU_PCT, TEAI_M_RUN_PEAK_RSS_MB, TEAI_M_COOLDOWN_MS};
#define N_DEV ((int)(sizeof dev_col / sizeof dev_col[0]))
#define C_N   (C_DEV0 + N_DEV)

/* ---- flagged repetitions ------------------------------------------------------ */

/* The keys (log_file, uuid, repetition) of the flagged repetitions of one
 * CSV, sorted for bsearch. */
typedef struct keyset {
    char **k;
    size_t n, cap;
} keyset;

static char *rep_key(const teai_csv_field *f, const int *col) {
    const teai_csv_field none = {"", 0};
    const teai_csv_field *a = col[C_LOG_FILE] >= 0 ? &f[col[C_LOG_FILE]] : &none;
    const teai_csv_field *b = col[C_UUID] >= 0 ? &f[col[C_UUID]] : &none;
    const teai_csv_field *c = col[C_REP] >= 0 ? &f[col[C_REP]] : &none;
    char *k = malloc(a->len + b->len + c->len + 3);
    if (!k) return NULL;
    size_t o = 0;
    memcpy(k + o, a->p, a->len), o += a->len, k[o++] = '\x1f';
    memcpy(k + o, b->p, b->len), o += b->len, k[o++] = '\x1f';
    memcpy(k + o, c->p, c->len), o += c->len, k[o] = '\0';
    return k;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keyset_free(keyset *ks) {
    for (size_t i = 0; i < ks->n; i++) free(ks->k[i]);
    free(ks->k);
}

/* 1 if a step-0 row has a flag set to 1; *known: it has any flag value. */
static int row_flags(const teai_csv_field *f, const int *col, int flag[3], int *known) {
    int any = 0;
    *known = 0;
    for (int i = 0; i < 3; i++) {
        double v;
        flag[i] = 0;
        if (col[C_THROTTLED + i] < 0 ||
            !teai__an_num(f[col[C_THROTTLED + i]].p, f[col[C_THROTTLED + i]].len, &v) || v < 0)
            continue;
        *known = 1;
        flag[i] = v == 1;
        any |= flag[i];
    }
    return any;
}

/* A first pass over path: the keys of its flagged step-0 rows. */
static int flagged_reps(const char *path, const int *col, int n_hdr, keyset *ks, teai_error *err) {
    teai_csv_reader *r;
    int st = teai_csv_open(path, &r, err);
    if (st) return st;
    const teai_csv_field *f;
    int nf;
    st = teai_csv_next(r, &f, &nf, err); /* the header */
    while (st == 1 && (st = teai_csv_next(r, &f, &nf, err)) == 1) {
        double step;
        int flag[3], known;
        if (nf != n_hdr || !teai__an_num(f[col[C_STEP]].p, f[col[C_STEP]].len, &step) ||
            step != 0 || !row_flags(f, col, flag, &known))
            continue;
        if (ks->n == ks->cap) {
            size_t nc = ks->cap ? ks->cap * 2 : 64;
            char **nk = realloc(ks->k, nc * sizeof *nk);
            if (!nk) {
                st = TEAI_ENOMEM;
                break;
            }
            ks->k = nk, ks->cap = nc;
        }
        if (!(ks->k[ks->n] = rep_key(f, col))) {
            st = TEAI_ENOMEM;
            break;
        }
        ks->n++;
    }
    teai_csv_close(r);
    if (st == TEAI_ENOMEM) return teai__fail(err, st, "out of memory");
    if (st < 0) return st;
    if (ks->n > 1) qsort(ks->k, ks->n, sizeof *ks->k, cmp_str);
    return TEAI_OK;
}

static int in_keyset(const keyset *ks, const char *key) {
    return ks->n && bsearch(&key, ks->k, ks->n, sizeof *ks->k, cmp_str) != NULL;
}

/* ---- reading a CSV ------------------------------------------------------------ */

static int set_text(char **dst, const teai_csv_field *f) {
    if (*dst || !f->len) return TEAI_OK;
    return (*dst = dupn(f->p, f->len)) ? TEAI_OK : TEAI_ENOMEM;
}

int teai_dataset_add_csv(teai_dataset *ds, const char *path, teai_note_fn note, void *ud,
                         long *n_rows, teai_error *err) {
    int want[C_N] = {TEAI_COL_STEP,       TEAI_COL_WARMUP,          TEAI_COL_TOK_S,
                     TEAI_COL_TOTAL_MS,   TEAI_COL_TOKENS_IN_CHUNK, TEAI_COL_MEM_GB_S,
                     TEAI_COL_PARAM_GB_S, TEAI_COL_TTFT_MS,         TEAI_COL_PREFILL_TOK_S,
                     TEAI_COL_MEMBW_GB_S, TEAI_COL_THROTTLED,       TEAI_COL_NOISY,
                     TEAI_COL_CHARGING,   TEAI_COL_LOG_FILE,        TEAI_COL_UUID,
                     TEAI_COL_REPETITION, TEAI_COL_DURATION_S,      TEAI_COL_ENERGY_SOURCE,
                     TEAI_COL_SENSORS,    TEAI_COL_PEAK_RSS_MB};
    for (int i = 0; i < N_DEV; i++) want[C_DEV0 + i] = dev_col[i];
    if (n_rows) *n_rows = 0;
    teai_csv_reader *r;
    int st = teai_csv_open(path, &r, err);
    if (st) return st;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const teai_csv_field *f;
    int nf;
    st = teai_csv_next(r, &f, &nf, err);
    if (st <= 0) {
        teai_csv_close(r);
        return st < 0 ? st : teai__fail(err, TEAI_EFORMAT, "%s: empty file (no header line)", name);
    }
    int col[C_N], gcol[TEAI_GROUP_MAX_COLS], n_hdr = nf;
    for (int c = 0; c < C_N; c++) col[c] = -1;
    for (int k = 0; k < ds->n_cols; k++) gcol[k] = -1;
    for (int i = 0; i < nf; i++) {
        int id = teai_csv_column_index(f[i].p);
        for (int c = 0; c < C_N; c++)
            if (id == want[c] && col[c] < 0) col[c] = i;
        for (int k = 0; k < ds->n_cols; k++)
            if (strcmp(f[i].p, ds->cols[k]) == 0 && gcol[k] < 0) gcol[k] = i;
    }
    for (int k = 0; k < ds->n_cols; k++)
        if (gcol[k] < 0 && !ds->optional[k]) {
            teai_csv_close(r);
            return teai__fail(err, TEAI_EFORMAT, "%s:1: no column '%s' in the header", name,
                              ds->cols[k]);
        }
    if (col[C_STEP] < 0) {
        teai_csv_close(r);
        return teai__fail(err, TEAI_EFORMAT, "%s:1: no column 'step' in the header", name);
    }
    /* a setup column or an optional group column the CSV lacks */
    static const teai_csv_field no_field = {"", 0};
    /* every header column (cmap: field -> ds->csv_cols), and the setup columns */
    int *cmap = malloc((size_t)nf * sizeof *cmap);
    int scol[TEAI_GROUP_MAX_COLS], n_setup = ds->setup ? ds->setup->n_cols : 0;
    for (int i = 0; cmap && i < nf; i++)
        if ((cmap[i] = csv_col(ds, f[i].p)) < 0) {
            free(cmap);
            cmap = NULL;
        }
    if (!cmap) {
        teai_csv_close(r);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n_setup; k++) {
        scol[k] = -1;
        for (int i = 0; i < nf && scol[k] < 0; i++)
            if (!strcmp(f[i].p, ds->setup->cols[k])) scol[k] = i;
    }
    /* the flagged repetitions to leave out: a first pass, since a
     * repetition's flags are on its step-0 row only */
    keyset ks = {0};
    if (ds->exclude_flagged && (col[C_THROTTLED] >= 0 || col[C_NOISY] >= 0 || col[C_CHARGING] >= 0))
        st = flagged_reps(path, col, n_hdr, &ks, err);
    if (st < 0) {
        keyset_free(&ks);
        teai_csv_close(r);
        free(cmap);
        return st;
    }
    long rows = 0, bad = 0;
    int last = -1, slast = -1; /* the previous row's groups: consecutive rows mostly share them */
    while ((st = teai_csv_next(r, &f, &nf, err)) == 1) {
        if (nf != n_hdr) {
            if (nf == 1 && f[0].len == 0) continue; /* blank line */
            if (++bad <= 5)
                teai__notef(note, ud, "%s:%ld: %d fields, the header has %d; row skipped", name,
                            teai_csv_line(r), nf, n_hdr);
            continue;
        }
        const teai_csv_field *kf[TEAI_GROUP_MAX_COLS];
        for (int k = 0; k < ds->n_cols; k++) kf[k] = gcol[k] >= 0 ? &f[gcol[k]] : &no_field;
        int g = last >= 0 && key_equal(&ds->g[last], kf, ds->n_cols) ? last : find_group(ds, kf);
        if (g < 0) {
            st = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        last = g;
        group *gp = &ds->g[g];
        gp->rows++;
        rows++;
        for (int i = 0; i < nf; i++)
            if (f[i].len) ds->csv_used[cmap[i]] = 1;
        if (n_setup) {
            const teai_csv_field *sf[TEAI_GROUP_MAX_COLS];
            for (int k = 0; k < n_setup; k++) sf[k] = scol[k] >= 0 ? &f[scol[k]] : &no_field;
            int sg = slast >= 0 && key_equal(&ds->setup->g[slast], sf, n_setup)
                         ? slast
                         : find_group(ds->setup, sf);
            if (sg < 0) {
                st = teai__fail(err, TEAI_ENOMEM, "out of memory");
                break;
            }
            slast = sg;
            ds->setup->g[sg].rows++;
        }
        double step, warm = 0, v, chunk;
#define CELL(c) f[col[c]].p, f[col[c]].len
        /* what the log's header said, on every row */
        if (col[C_MEMBW] >= 0 && teai__an_num(CELL(C_MEMBW), &v) && v > 0 && !(gp->membw >= v))
            gp->membw = v;
        if (col[C_DURATION] >= 0 && teai__an_num(CELL(C_DURATION), &v) && v > 0 &&
            !(gp->duration >= v))
            gp->duration = v;
        if ((col[C_ENERGY_SOURCE] >= 0 && set_text(&gp->energy_source, &f[col[C_ENERGY_SOURCE]])) ||
            (col[C_SENSORS] >= 0 && set_text(&gp->sensors, &f[col[C_SENSORS]]))) {
            st = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        if (col[C_WARMUP] >= 0 && !teai__an_num(CELL(C_WARMUP), &warm)) warm = 0;
        ds->warmup_rows += warm == 1;
        if (!teai__an_num(CELL(C_STEP), &step)) continue;
        if (warm == 1) continue; /* warm-up repetitions never enter statistics */
        int flag[3], known, flagged = step == 0 && row_flags(f, col, flag, &known);
        if (step == 0) {
            gp->reps++;
            gp->flag_known += known;
            gp->throttled += flag[0], gp->noisy += flag[1], gp->charging += flag[2];
            gp->flagged += flagged;
        }
        if (ks.n) {
            char *key = rep_key(f, col);
            if (!key) {
                st = teai__fail(err, TEAI_ENOMEM, "out of memory");
                break;
            }
            int skip = in_keyset(&ks, key);
            free(key);
            if (skip) {
                gp->excluded += step == 0;
                continue;
            }
        }
        int e = 0;
        if (step >= 1) {
            if (col[C_CHUNK] < 0 || !teai__an_num(CELL(C_CHUNK), &chunk)) chunk = 1;
            double tok_s = NAN, mem = NAN;
            if (col[C_TOK_S] >= 0 && teai__an_num(CELL(C_TOK_S), &tok_s)) {
                e |= dvec_push(&gp->m[TEAI_M_DECODE_TOK_S], tok_s);
                gp->run_rates += chunk > 1;
            }
            if (col[C_TOTAL] >= 0 && teai__an_num(CELL(C_TOTAL), &v)) {
                if (chunk >= 1) v /= chunk;
                e |= dvec_push(&gp->m[TEAI_M_TOKEN_MS], v);
            }
            if (col[C_MEM] >= 0 && teai__an_num(CELL(C_MEM), &mem))
                e |= dvec_push(&gp->m[TEAI_M_MEM_GB_S], mem);
            if (col[C_PARAM] >= 0 && teai__an_num(CELL(C_PARAM), &v))
                e |= dvec_push(&gp->m[TEAI_M_PARAM_GB_S], v);
            if (isfinite(mem) && col[C_MEMBW] >= 0 && teai__an_num(CELL(C_MEMBW), &v) && v > 0)
                e |= dvec_push(&gp->m[TEAI_M_BW_PCT], mem / v * 100);
            if (isfinite(mem) && tok_s > 0)
                e |= dvec_push(&gp->m[TEAI_M_GB_PER_TOKEN], mem / tok_s);
        } else if (step == 0) {
            if (col[C_TTFT] >= 0 && teai__an_num(CELL(C_TTFT), &v))
                e |= dvec_push(&gp->m[TEAI_M_TTFT_MS], v);
            if (col[C_PREFILL] >= 0 && teai__an_num(CELL(C_PREFILL), &v))
                e |= dvec_push(&gp->m[TEAI_M_PREFILL_TOK_S], v);
            if (col[C_LOAD_RSS] >= 0 && teai__an_num(CELL(C_LOAD_RSS), &v))
                e |= dvec_push(&gp->m[TEAI_M_PEAK_RSS_MB], v);
            for (int i = 0; i < N_DEV; i++)
                if (col[C_DEV0 + i] >= 0 && teai__an_num(CELL(C_DEV0 + i), &v))
                    e |= dvec_push(&gp->m[dev_metric[i]], v);
        }
#undef CELL
        if (e) {
            st = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
    }
    if (bad > 5) teai__notef(note, ud, "%s: %ld malformed rows skipped in all", name, bad);
    keyset_free(&ks);
    teai_csv_close(r);
    free(cmap);
    sort_groups(ds);
    if (ds->setup) sort_groups(ds->setup);
    if (n_rows) *n_rows = rows;
    return st < 0 ? st : TEAI_OK;
}
int teai_dataset_add_dir(teai_dataset *ds, const char *dir, teai_note_fn note, void *ud,
                         int *n_files, int *n_bad, teai_error *err) {
    *n_files = *n_bad = 0;
    DIR *d = opendir(dir);
    if (!d) return teai__fail(err, TEAI_ENOTFOUND, "%s: cannot open the directory", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int st = TEAI_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        /* speed CSVs only: accuracy.csv, samples.csv and serving.csv (teai collate) have
         * their own columns */
        if (l < 5 || strcmp(e->d_name + l - 4, ".csv") || e->d_name[0] == '.' ||
            strcmp(e->d_name, "accuracy.csv") == 0 || strcmp(e->d_name, "samples.csv") == 0 ||
            strcmp(e->d_name, "serving.csv") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = TEAI_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = dupn(e->d_name, l))) {
            st = TEAI_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && st == TEAI_OK; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(pl);
        if (!path) {
            st = TEAI_ENOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, names[i]);
        teai_error e2 = {0};
        long rows;
        int s = teai_dataset_add_csv(ds, path, note, ud, &rows, &e2);
        free(path);
        if (s == TEAI_ENOMEM) {
            st = s;
        } else if (s) {
            teai__notef(note, ud, "%s, skipped%s", e2.msg,
                        rows ? " (the rows before it are kept)" : "");
            (*n_bad)++;
        } else {
            (*n_files)++;
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (st == TEAI_ENOMEM) return teai__fail(err, st, "out of memory");
    return TEAI_OK;
}

/* ---- comparisons ---------------------------------------------------------------- */

int teai_dataset_compare(const teai_dataset *ds, const char *col, const char *a_val,
                         const char *b_val, uint64_t seed, int n_boot, teai_compare **out, int *n,
                         teai_error *err) {
    *out = NULL;
    *n = 0;
    int kc = -1;
    for (int k = 0; k < ds->n_cols; k++)
        if (strcmp(ds->cols[k], col) == 0) kc = k;
    if (kc < 0)
        return teai__fail(err, TEAI_EINVAL, "--compare: '%s' is not a group-by column", col);
    teai_compare *c = NULL;
    int nc = 0, cap = 0;
    for (int i = 0; i < ds->n; i++)
        for (int j = 0; j < ds->n; j++) {
            if (i == j) continue;
            const char *ki = teai_dataset_key(ds, i, kc), *kj = teai_dataset_key(ds, j, kc);
            if (a_val ? strcmp(ki, a_val) || strcmp(kj, b_val) : i > j || !strcmp(ki, kj)) continue;
            int same = 1;
            for (int k = 0; k < ds->n_cols && same; k++)
                if (k != kc && strcmp(teai_dataset_key(ds, i, k), teai_dataset_key(ds, j, k)))
                    same = 0;
            if (!same) continue;
            size_t na, nb;
            const double *a = teai_dataset_values(ds, i, TEAI_M_DECODE_TOK_S, &na);
            const double *b = teai_dataset_values(ds, j, TEAI_M_DECODE_TOK_S, &nb);
            if (!na || !nb) continue;
            if (nc == cap) {
                cap = cap ? cap * 2 : 8;
                teai_compare *nn = realloc(c, (size_t)cap * sizeof *nn);
                if (!nn) {
                    free(c);
                    return teai__fail(err, TEAI_ENOMEM, "out of memory");
                }
                c = nn;
            }
            int ga = i, gb = j;
            teai_speedup s;
            int st = teai_speedup_compute(a, na, b, nb, seed, n_boot, &s);
            if (!st && !a_val && s.ratio < 1) { /* say it as the faster over the slower */
                ga = j, gb = i;
                st = teai_speedup_compute(b, nb, a, na, seed, n_boot, &s);
            }
            if (st) {
                free(c);
                return teai__fail(err, st, "out of memory");
            }
            c[nc].ga = ga;
            c[nc].gb = gb;
            c[nc].s = s;
            nc++;
        }
    *out = c;
    *n = nc;
    return TEAI_OK;
}
