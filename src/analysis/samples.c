/* samples.csv -> runs of sensor readings, and what is computed from them:
 * the start and end decode rates of a sustained run, tokens/s over time and
 * the samples that show throttling (analysis.h). */
#include "analysis/analysis_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read, by name. */
enum {
    S_LOG_FILE,
    S_BACKEND,
    S_HOSTNAME,
    S_DEVICE,
    S_SIZE,
    S_QUANTIZE,
    S_THREADS, /* the text columns end here */
    S_DURATION,
    S_WARMUP,
    S_PHASE,
    S_T_MS,
    S_TOKENS,
    S_TEMP,
    S_CLOCK,
    S_THROTTLE,
    S_POWER,
    S_N
};
#define N_TEXT (S_THREADS + 1)
static const char *const s_names[S_N] = {"log_file", "backend",   "hostname",       "device",
                                         "size",     "quantize",  "threads",        "duration_s",
                                         "warmup",   "phase",     "t_ms",           "tokens",
                                         "temp_c",   "clock_mhz", "throttle_count", "power_w"};

enum { V_T, V_TOKENS, V_TEMP, V_CLOCK, V_THROTTLE, V_POWER, V_N }; /* the number arrays */

typedef struct run {
    teai_sample_run pub;
    char *text[N_TEXT];
    double *v[V_N];
    int *warmup;
    unsigned char *running;
    long cap;
} run;

struct teai_samples {
    run *r;
    int n, cap;
};

void teai_samples_free(teai_samples *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        for (int k = 0; k < N_TEXT; k++) free(s->r[i].text[k]);
        for (int k = 0; k < V_N; k++) free(s->r[i].v[k]);
        free(s->r[i].warmup);
        free(s->r[i].running);
    }
    free(s->r);
    free(s);
}

int teai_samples_n_runs(const teai_samples *s) {
    return s ? s->n : 0;
}

const teai_sample_run *teai_samples_run(const teai_samples *s, int i) {
    return s && i >= 0 && i < s->n ? &s->r[i].pub : NULL;
}

static char *dup_field(const teai_csv_field *f) {
    char *d = malloc(f->len + 1);
    if (d) memcpy(d, f->p, f->len), d[f->len] = '\0';
    return d;
}

/* The run of log file f, added when new (runs are mostly consecutive). */
static run *find_run(teai_samples *s, const teai_csv_field *const *tf, int last) {
    if (last >= 0 && strlen(s->r[last].text[S_LOG_FILE]) == tf[S_LOG_FILE]->len &&
        !memcmp(s->r[last].text[S_LOG_FILE], tf[S_LOG_FILE]->p, tf[S_LOG_FILE]->len))
        return &s->r[last];
    for (int i = 0; i < s->n; i++)
        if (strlen(s->r[i].text[S_LOG_FILE]) == tf[S_LOG_FILE]->len &&
            !memcmp(s->r[i].text[S_LOG_FILE], tf[S_LOG_FILE]->p, tf[S_LOG_FILE]->len))
            return &s->r[i];
    if (s->n == s->cap) {
        int nc = s->cap ? s->cap * 2 : 8;
        run *nr = realloc(s->r, (size_t)nc * sizeof *nr);
        if (!nr) return NULL;
        s->r = nr, s->cap = nc;
    }
    run *r = &s->r[s->n];
    memset(r, 0, sizeof *r);
    r->pub.duration_s = NAN;
    for (int k = 0; k < N_TEXT; k++)
        if (!(r->text[k] = dup_field(tf[k]))) {
            for (int j = 0; j < k; j++) free(r->text[j]);
            return NULL;
        }
    s->n++;
    return r;
}

static int run_grow(run *r) {
    if (r->pub.n < r->cap) return TEAI_OK;
    long nc = r->cap ? r->cap * 2 : 256;
    for (int k = 0; k < V_N; k++) {
        double *nv = realloc(r->v[k], (size_t)nc * sizeof *nv);
        if (!nv) return TEAI_ENOMEM;
        r->v[k] = nv;
    }
    int *nw = realloc(r->warmup, (size_t)nc * sizeof *nw);
    if (!nw) return TEAI_ENOMEM;
    r->warmup = nw;
    unsigned char *nr = realloc(r->running, (size_t)nc);
    if (!nr) return TEAI_ENOMEM;
    r->running = nr;
    r->cap = nc;
    return TEAI_OK;
}

/* The public view of every run, once the arrays stop moving. */
static void publish(teai_samples *s) {
    for (int i = 0; i < s->n; i++) {
        run *r = &s->r[i];
        teai_sample_run *p = &r->pub;
        p->log_file = r->text[S_LOG_FILE], p->backend = r->text[S_BACKEND];
        p->hostname = r->text[S_HOSTNAME], p->device = r->text[S_DEVICE];
        p->size = r->text[S_SIZE], p->quantize = r->text[S_QUANTIZE];
        p->threads = r->text[S_THREADS];
        p->t_ms = r->v[V_T], p->tokens = r->v[V_TOKENS], p->temp_c = r->v[V_TEMP];
        p->clock_mhz = r->v[V_CLOCK], p->throttle_count = r->v[V_THROTTLE];
        p->power_w = r->v[V_POWER], p->warmup = r->warmup, p->running = r->running;
    }
}

int teai_samples_read(const char *path, teai_note_fn note, void *ud, teai_samples **out,
                      teai_error *err) {
    *out = NULL;
    teai_csv_reader *rd;
    int st = teai_csv_open(path, &rd, err);
    if (st) return st;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const teai_csv_field *f;
    int nf;
    st = teai_csv_next(rd, &f, &nf, err);
    if (st <= 0) {
        teai_csv_close(rd);
        return st < 0 ? st : teai__fail(err, TEAI_EFORMAT, "%s: empty file (no header line)", name);
    }
    int col[S_N], n_hdr = nf;
    for (int c = 0; c < S_N; c++) {
        col[c] = -1;
        for (int i = 0; i < nf && col[c] < 0; i++)
            if (!strcmp(f[i].p, s_names[c])) col[c] = i;
    }
    static const int required[3] = {S_LOG_FILE, S_T_MS, S_TOKENS};
    for (int k = 0; k < 3; k++)
        if (col[required[k]] < 0) {
            teai_csv_close(rd);
            return teai__fail(err, TEAI_EFORMAT, "%s:1: no column '%s' in the header", name,
                              s_names[required[k]]);
        }
    teai_samples *s = calloc(1, sizeof *s);
    if (!s) {
        teai_csv_close(rd);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    static const teai_csv_field none = {"", 0};
    static const int vcol[V_N] = {S_T_MS, S_TOKENS, S_TEMP, S_CLOCK, S_THROTTLE, S_POWER};
    long bad = 0;
    int last = -1;
    while ((st = teai_csv_next(rd, &f, &nf, err)) == 1) {
        if (nf != n_hdr) {
            if (nf == 1 && f[0].len == 0) continue; /* blank line */
            if (++bad <= 5)
                teai__notef(note, ud, "%s:%ld: %d fields, the header has %d; row skipped", name,
                            teai_csv_line(rd), nf, n_hdr);
            continue;
        }
        const teai_csv_field *tf[N_TEXT];
        for (int k = 0; k < N_TEXT; k++) tf[k] = col[k] >= 0 ? &f[col[k]] : &none;
        run *r = find_run(s, tf, last);
        if (!r || run_grow(r)) {
            st = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        last = (int)(r - s->r);
        long i = r->pub.n++;
        for (int k = 0; k < V_N; k++) {
            int c = col[vcol[k]];
            if (c < 0 || !teai__an_num(f[c].p, f[c].len, &r->v[k][i])) r->v[k][i] = NAN;
        }
        double v;
        int c = col[S_WARMUP];
        r->warmup[i] = c >= 0 && teai__an_num(f[c].p, f[c].len, &v) ? (v == 1) : -1;
        c = col[S_PHASE];
        r->running[i] = c >= 0 && (!strcmp(f[c].p, "prefill") || !strcmp(f[c].p, "decode"));
        c = col[S_DURATION];
        if (c >= 0 && teai__an_num(f[c].p, f[c].len, &v) && v > 0) r->pub.duration_s = v;
    }
    teai_csv_close(rd);
    if (bad > 5) teai__notef(note, ud, "%s: %ld malformed rows skipped in all", name, bad);
    if (st < 0) {
        teai_samples_free(s);
        return st;
    }
    publish(s);
    *out = s;
    return TEAI_OK;
}

/* ---- what the samples say ------------------------------------------------------- */

/* The tokens counter at time t (ms), linear between the samples around it;
 * NAN outside the samples with a counter. */
static double tokens_at(const teai_sample_run *r, double t) {
    long prev = -1;
    for (long i = 0; i < r->n; i++) {
        if (!isfinite(r->t_ms[i]) || !isfinite(r->tokens[i])) continue;
        if (r->t_ms[i] == t) return r->tokens[i];
        if (r->t_ms[i] > t) {
            if (prev < 0) return NAN;
            double a = r->t_ms[prev], b = r->t_ms[i];
            return r->tokens[prev] + (r->tokens[i] - r->tokens[prev]) * (t - a) / (b - a);
        }
        prev = i;
    }
    return NAN;
}

void teai_samples_sustained(const teai_sample_run *r, double first_s, double last_s,
                            teai_sustained *out) {
    out->span_s = out->first_s = out->first_tok_s = NAN;
    out->last_s = out->last_tok_s = out->change_pct = NAN;
    double t0 = NAN, t1 = NAN;
    for (long i = 0; i < r->n; i++) {
        if (!r->running[i] || r->warmup[i] == 1 || !isfinite(r->t_ms[i]) || !isfinite(r->tokens[i]))
            continue;
        if (isnan(t0)) t0 = r->t_ms[i];
        t1 = r->t_ms[i];
    }
    if (!(t1 > t0)) return;
    out->span_s = (t1 - t0) / 1000;
    double a = fmin(t0 + first_s * 1000, t1), b = fmax(t1 - last_s * 1000, t0);
    out->first_s = (a - t0) / 1000;
    out->last_s = (t1 - b) / 1000;
    out->first_tok_s = (tokens_at(r, a) - tokens_at(r, t0)) / out->first_s;
    out->last_tok_s = (tokens_at(r, t1) - tokens_at(r, b)) / out->last_s;
    if (out->first_tok_s > 0)
        out->change_pct = (out->last_tok_s - out->first_tok_s) / out->first_tok_s * 100;
}

size_t teai_samples_rates(const teai_sample_run *r, double window_s, double *t_s, double *tok_s,
                          size_t cap) {
    size_t n = 0;
    long a = -1;
    for (long i = 0; i < r->n && n < cap; i++) {
        if (!isfinite(r->t_ms[i]) || !isfinite(r->tokens[i])) continue;
        if (a < 0) {
            a = i;
            continue;
        }
        double dt = (r->t_ms[i] - r->t_ms[a]) / 1000;
        if (dt < window_s) continue;
        t_s[n] = (r->t_ms[i] + r->t_ms[a]) / 2000;
        tok_s[n] = (r->tokens[i] - r->tokens[a]) / dt;
        n++;
        a = i;
    }
    return n;
}

long teai_samples_throttled(const teai_sample_run *r, unsigned char *out) {
    /* top: the highest clock so far, as the repetitions' throttled flag takes it */
    double top = NAN, prev_count = NAN;
    long marked = 0;
    for (long i = 0; i < r->n; i++) {
        double c = r->throttle_count[i];
        if (isfinite(r->clock_mhz[i]) && !(top >= r->clock_mhz[i])) top = r->clock_mhz[i];
        out[i] = (isfinite(r->clock_mhz[i]) && r->clock_mhz[i] < 0.85 * top) ||
                 (isfinite(c) && isfinite(prev_count) && c > prev_count);
        if (isfinite(c)) prev_count = c;
        marked += out[i];
    }
    return marked;
}
