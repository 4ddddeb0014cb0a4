/* The speed figures of `teai plot` and `teai report` (see figures.h), the
 * table that dispatches every figure (pareto: figures_accuracy.c), and
 * reading the data they are drawn from. */
#include "plot/plot_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fig_names[TEAI_FIG_N] = {
    "backend_comparison",  "speedup_comparison",   "summary_stats",
    "quantization_impact", "latency_distribution", "memory_throughput",
    "param_throughput",    "device_comparison",    "roofline",
    "energy_per_token",    "thermal_timeline",     "pareto"};

const char *teai_figure_name(int fig) {
    return fig >= 0 && fig < TEAI_FIG_N ? fig_names[fig] : NULL;
}

/* ---- the data ---------------------------------------------------------------- */

static int figures_open(const char *dir, const char *const *setup_cols, int n_setup,
                        teai_note_fn note, void *ud, teai_dataset **out, int *n_files, int *n_bad,
                        teai_error *err) {
    static const char *const cols[K_N] = {"hostname", "device",  "size",       "quantize",
                                          "backend",  "machine", "device_name"};
    int st = teai_dataset_new(cols, K_N, out, err);
    /* older CSVs lack the columns that tell devices on one host apart */
    if (!st) st = teai_dataset_allow_missing(*out, "machine", err);
    if (!st) st = teai_dataset_allow_missing(*out, "device_name", err);
    if (!st && n_setup > 0) st = teai_dataset_track_setup(*out, setup_cols, n_setup, err);
    if (!st) st = teai_dataset_add_dir(*out, dir, note, ud, n_files, n_bad, err);
    if (st) {
        teai_dataset_free(*out);
        *out = NULL;
    }
    return st;
}

int teai_figures_open(const char *dir, teai_note_fn note, void *ud, teai_dataset **out,
                      int *n_files, int *n_bad, teai_error *err) {
    return figures_open(dir, NULL, 0, note, ud, out, n_files, n_bad, err);
}

int teai_figures_load(const char *dir, const char *const *setup_cols, int n_setup,
                      teai_note_fn note, void *ud, teai_figures_data *out, teai_error *err) {
    memset(out, 0, sizeof *out);
    int st =
        figures_open(dir, setup_cols, n_setup, note, ud, &out->ds, &out->n_files, &out->n_bad, err);
    if (st) return st;
    for (int g = 0; g < teai_dataset_n_groups(out->ds); g++) {
        size_t n;
        teai_dataset_values(out->ds, g, TEAI_M_DECODE_TOK_S, &n);
        out->n_decode += (long)n;
    }
    if (out->n_files == 0 || out->n_decode == 0) {
        st = teai__fail(err, TEAI_ENOTFOUND,
                        "%s: no measured decode rows in its CSVs (%d read, %d unreadable); run "
                        "teai bench, then teai collate --dir %s",
                        dir, out->n_files, out->n_bad, dir);
        teai_figures_data_free(out);
        return st;
    }
    /* accuracy.csv, for pareto: absent is fine (the figure says so) */
    size_t pl = strlen(dir) + sizeof "/accuracy.csv";
    char *path = malloc(pl);
    teai_error ae = {0};
    st = path ? TEAI_OK : teai__fail(&ae, TEAI_ENOMEM, "out of memory");
    if (path) {
        snprintf(path, pl, "%s/accuracy.csv", dir);
        st = teai_acc_read_csv(path, note, ud, &out->acc, &ae);
        free(path);
    }
    if (st == TEAI_ENOMEM) {
        teai_figures_data_free(out);
        return teai__fail(err, st, "%s", ae.msg);
    }
    if (st && st != TEAI_ENOTFOUND) teai__notef(note, ud, "%s, skipped", ae.msg);
    /* samples.csv, for thermal_timeline: absent is fine too */
    pl = strlen(dir) + sizeof "/samples.csv";
    if (!(path = malloc(pl))) {
        teai_figures_data_free(out);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    snprintf(path, pl, "%s/samples.csv", dir);
    st = teai_samples_read(path, note, ud, &out->samples, &ae);
    free(path);
    if (st == TEAI_ENOMEM) {
        teai_figures_data_free(out);
        return teai__fail(err, st, "%s", ae.msg);
    }
    if (st && st != TEAI_ENOTFOUND) teai__notef(note, ud, "%s, skipped", ae.msg);
    return TEAI_OK;
}

void teai_figures_data_free(teai_figures_data *d) {
    teai_acc_rows_free(d->acc);
    teai_samples_free(d->samples);
    teai_dataset_free(d->ds);
    memset(d, 0, sizeof *d);
}

/* ---- helpers shared with figures_accuracy.c (plot_impl.h) -------------------- */

const char *teai__fig_ci_text(char *buf, size_t cap, double lo, double hi, int digits, long n) {
    if (isfinite(lo) && isfinite(hi))
        snprintf(buf, cap, "95%% CI %.*g-%.*g", digits, lo, digits, hi);
    else if (n >= 0)
        snprintf(buf, cap, "no CI, n=%ld", n);
    else
        snprintf(buf, cap, "no CI");
    return buf;
}

/* ", Mann-Whitney p=<p>", or "" when p is not finite. Returns buf. */
static const char *mwu_text(char *buf, size_t cap, double p) {
    if (isfinite(p))
        snprintf(buf, cap, ", Mann-Whitney p=%.2g", p);
    else
        buf[0] = '\0';
    return buf;
}

int teai__pool_add(teai__pool *p, const double *x, size_t n) {
    if (p->n + n > p->cap) {
        size_t cap = (p->n + n) * 2;
        double *nv = realloc(p->v, cap * sizeof *nv);
        if (!nv) {
            free(p->v);
            p->v = NULL, p->n = p->cap = 0;
            return TEAI_ENOMEM;
        }
        p->v = nv, p->cap = cap;
    }
    memcpy(p->v + p->n, x, n * sizeof *x);
    p->n += n;
    return TEAI_OK;
}

/* 1 if group g's keys match f (NULL = any). */
static int group_matches(const teai_dataset *ds, int g, const char *const f[K_N]) {
    for (int k = 0; k < K_N; k++)
        if (f[k] && strcmp(f[k], teai_dataset_key(ds, g, k))) return 0;
    return 1;
}

int teai__fig_pool_get(const teai_dataset *ds, int m, const char *const f[K_N], teai__pool *p) {
    *p = (teai__pool){0};
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        const double *x = teai_dataset_values(ds, g, m, &n);
        if (n && group_matches(ds, g, f) && teai__pool_add(p, x, n)) return TEAI_ENOMEM;
    }
    return TEAI_OK;
}

double teai__pool_mean(const teai__pool *p) {
    double s = 0;
    for (size_t i = 0; i < p->n; i++) s += p->v[i];
    return p->n ? s / (double)p->n : NAN;
}

/* ---- devices ------------------------------------------------------------------ */

static teai__fig_device device_of(const teai_dataset *ds, int g) {
    teai__fig_device d;
    memset(&d, 0, sizeof d);
    d.host = teai_dataset_key(ds, g, K_HOST), d.dev = teai_dataset_key(ds, g, K_DEV);
    d.mach = teai_dataset_key(ds, g, K_MACH), d.name = teai_dataset_key(ds, g, K_NAME);
    return d;
}

int teai__fig_on_device(const teai_dataset *ds, int g, const teai__fig_device *d) {
    const char *name = teai_dataset_key(ds, g, K_NAME);
    if (*d->name || *name) return !strcmp(d->name, name);
    return !strcmp(d->host, teai_dataset_key(ds, g, K_HOST)) &&
           !strcmp(d->dev, teai_dataset_key(ds, g, K_DEV)) &&
           !strcmp(d->mach, teai_dataset_key(ds, g, K_MACH));
}

void teai__fig_device_filter(const teai__fig_device *d, const char *f[K_N]) {
    int named = *d->name != '\0';
    f[K_HOST] = named ? NULL : d->host;
    f[K_DEV] = named ? NULL : d->dev;
    f[K_MACH] = named ? NULL : d->mach;
    f[K_NAME] = d->name;
}

void teai__fig_device_label(const teai_dataset *ds, teai__fig_device *d) {
    int twin = 0; /* an unnamed device on the same host with the same CPU, another machine */
    for (int g = 0; g < teai_dataset_n_groups(ds) && !*d->name && !twin; g++)
        twin = !*teai_dataset_key(ds, g, K_NAME) &&
               !strcmp(d->host, teai_dataset_key(ds, g, K_HOST)) &&
               !strcmp(d->dev, teai_dataset_key(ds, g, K_DEV)) &&
               strcmp(d->mach, teai_dataset_key(ds, g, K_MACH));
    teai_device_label(d->label, sizeof d->label, d->name, d->dev, d->host, d->mach, twin);
}

int teai__fig_device_with_most(const teai_dataset *ds, int m, teai__fig_device *out) {
    size_t best_n = 0;
    int best_g = -1;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        teai__fig_device d = device_of(ds, g);
        size_t tot = 0, n;
        int first = 1; /* g is the device's first group: count it once */
        for (int g2 = 0; g2 < g && first; g2++) first = !teai__fig_on_device(ds, g2, &d);
        if (!first) continue;
        for (int g2 = g; g2 < teai_dataset_n_groups(ds); g2++)
            if (teai__fig_on_device(ds, g2, &d)) {
                teai_dataset_values(ds, g2, m, &n);
                tot += n;
            }
        if (tot > best_n) best_g = g, best_n = tot;
    }
    if (best_g < 0) return 0;
    *out = device_of(ds, best_g);
    teai__fig_device_label(ds, out);
    return 1;
}

int teai__fig_primary_device(const teai_dataset *ds, teai__fig_device *out) {
    return teai__fig_device_with_most(ds, TEAI_M_DECODE_TOK_S, out);
}

int teai__fig_find(const char *const *a, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (!strcmp(a[i], s)) return i;
    return -1;
}

void teai__fig_append(char *buf, size_t cap, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

int teai__fig_write_chart(const teai_chart *ch, const char *path, teai_plot_format fmt,
                          const teai_plot_params *pp, char *msg, size_t cap) {
    char err[512] = "";
    int st = teai_chart_write(ch, path, fmt, pp, err, sizeof err);
    if (st) return teai__plot_say(msg, cap, st, "%s", err[0] ? err : "cannot write the chart");
    return 1;
}

/* ---- a grid of (size, quantize) categories x backend series ------------------ */

/* Categories (size, quantize) and series (backend) on one device with data
 * for metric m. */
typedef struct grid {
    teai__fig_device dev;
    int nc, ns;
    const char *size[MAXC], *quant[MAXC], *ser[MAXS];
    char label[MAXC][96];
} grid;

static void grid_make(const teai_dataset *ds, int m, const teai__fig_device *dev, grid *gr) {
    memset(gr, 0, sizeof *gr);
    gr->dev = *dev;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        teai_dataset_values(ds, g, m, &n);
        if (!n || !teai__fig_on_device(ds, g, dev)) continue;
        const char *sz = teai_dataset_key(ds, g, K_SIZE), *q = teai_dataset_key(ds, g, K_QUANT);
        const char *b = teai_dataset_key(ds, g, K_BACKEND);
        int c = -1;
        for (int i = 0; i < gr->nc; i++)
            if (!strcmp(gr->size[i], sz) && !strcmp(gr->quant[i], q)) c = i;
        if (c < 0 && gr->nc < MAXC) {
            c = gr->nc++;
            gr->size[c] = sz, gr->quant[c] = q;
            snprintf(gr->label[c], sizeof gr->label[c], "%s %s", sz, q);
        }
        if (teai__fig_find(gr->ser, gr->ns, b) < 0 && gr->ns < MAXS) gr->ser[gr->ns++] = b;
    }
}

static int cell_pool(const teai_dataset *ds, int m, const grid *gr, int c, int s, teai__pool *p) {
    const char *f[K_N] = {NULL, NULL, gr->size[c], gr->quant[c], gr->ser[s]};
    teai__fig_device_filter(&gr->dev, f);
    return teai__fig_pool_get(ds, m, f, p);
}

/* 1 if cell (c, s) of the grid has values of metric m (cell_pool's n > 0). */
static int cell_has(const teai_dataset *ds, int m, const grid *gr, int c, int s) {
    const char *f[K_N] = {NULL, NULL, gr->size[c], gr->quant[c], gr->ser[s]};
    teai__fig_device_filter(&gr->dev, f);
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        teai_dataset_values(ds, g, m, &n);
        if (n && group_matches(ds, g, f)) return 1;
    }
    return 0;
}

/* ---- bars of a metric's mean per (size quantize) x backend ----------------- */

typedef struct bars {
    double v[MAXS][MAXC], lo[MAXS][MAXC], hi[MAXS][MAXC];
    long n[MAXS];
    teai_chart_series series[MAXS];
    const char *cats[MAXC];
    char sub[512];
    char names[MAXS][96];
} bars;

/* Decode values of series s (on the grid's device, in its categories) that are
 * rates over chunks of several tokens (teai_dataset_run_rates: whole runs for
 * llama-bench samples and MLC runs): marked "chunk rates" in the figures. */
static long run_rates(const teai_dataset *ds, const grid *gr, int s) {
    long n = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        if (!teai__fig_on_device(ds, g, &gr->dev) ||
            strcmp(gr->ser[s], teai_dataset_key(ds, g, K_BACKEND)))
            continue;
        for (int c = 0; c < gr->nc; c++)
            if (!strcmp(gr->size[c], teai_dataset_key(ds, g, K_SIZE)) &&
                !strcmp(gr->quant[c], teai_dataset_key(ds, g, K_QUANT)))
                n += teai_dataset_run_rates(ds, g);
    }
    return n;
}

/* best: the cell with the highest mean (lowest with low set). */
static int bars_fill(const teai_dataset *ds, int m, const grid *gr, int low, bars *b,
                     teai_stats *best, int *best_c, int *best_s) {
    *best_c = *best_s = -1;
    for (int s = 0; s < gr->ns; s++) {
        b->n[s] = 0;
        for (int c = 0; c < gr->nc; c++) {
            teai__pool p;
            teai_stats st;
            if (cell_pool(ds, m, gr, c, s, &p)) return TEAI_ENOMEM;
            int rc = teai_stats_compute(p.v, p.n, TEAI_SEED_DEFAULT, BOOTS, &st);
            free(p.v);
            if (rc) return rc;
            b->v[s][c] = st.n ? st.mean : NAN;
            b->lo[s][c] = st.ci_lo, b->hi[s][c] = st.ci_hi;
            b->n[s] += st.n;
            if (st.n && (*best_c < 0 || (low ? st.mean < best->mean : st.mean > best->mean)))
                *best = st, *best_c = c, *best_s = s;
        }
        long runs = m == TEAI_M_DECODE_TOK_S ? run_rates(ds, gr, s) : 0;
        if (runs && runs == b->n[s])
            snprintf(b->names[s], sizeof b->names[s], "%s (n=%ld chunk rates)", gr->ser[s],
                     b->n[s]);
        else if (runs)
            snprintf(b->names[s], sizeof b->names[s], "%s (n=%ld, %ld chunk rates)", gr->ser[s],
                     b->n[s], runs);
        else
            snprintf(b->names[s], sizeof b->names[s], "%s (n=%ld)", gr->ser[s], b->n[s]);
        b->series[s].name = gr->ser[s];
        b->series[s].values = b->v[s];
        b->series[s].lo = b->lo[s];
        b->series[s].hi = b->hi[s];
    }
    for (int c = 0; c < gr->nc; c++) b->cats[c] = gr->label[c];
    snprintf(b->sub, sizeof b->sub,
             "device %s; bars: mean, error bars: 95%% CI; n:", gr->dev.label);
    for (int s = 0; s < gr->ns; s++)
        teai__fig_append(b->sub, sizeof b->sub, "%s %s", s ? "," : "", b->names[s]);
    return TEAI_OK;
}

/* A metric's bars; the finding names the highest mean. */
static int fig_metric_bars(const teai_dataset *ds, int m, const char *title, const char *ylabel,
                           const char *verb, const char *path, teai_plot_format fmt,
                           const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    int have = teai__fig_primary_device(ds, &dev);
    grid gr;
    if (have) grid_make(ds, m, &dev, &gr);
    if (!have || !gr.nc)
        return teai__plot_say(msg, cap, 0, "no measured %s values in the CSVs",
                              teai_metric_name(m));
    bars *b = calloc(1, sizeof *b);
    if (!b) return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    teai_stats best = {0};
    int bc, bs, st = bars_fill(ds, m, &gr, 0, b, &best, &bc, &bs);
    if (st) {
        free(b);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = title, ch.subtitle = b->sub, ch.y_label = ylabel;
    ch.x_label = "model size and quantization";
    ch.categories = b->cats, ch.n_categories = (size_t)gr.nc;
    ch.series = b->series, ch.n_series = (size_t)gr.ns;
    st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
    char ci[96];
    if (st == 1)
        teai__plot_say(msg, cap, 1, "%s %s highest at %s: %.4g %s (%s, n=%ld)", gr.ser[bs], verb,
                       gr.label[bc], best.mean, teai_metric_unit(m),
                       teai__fig_ci_text(ci, sizeof ci, best.ci_lo, best.ci_hi, 4, -1), best.n);
    free(b);
    return st;
}

/* ---- energy_per_token --------------------------------------------------------- */

/* J/token per (size quantize) x backend, one value per measured repetition;
 * the finding names the lowest mean. */
static int fig_energy(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                      const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    if (!teai__fig_device_with_most(ds, TEAI_M_J_PER_TOKEN, &dev)) {
        teai_group_info all;
        teai_dataset_group_info(ds, -1, &all);
        if (*all.energy_source)
            return teai__plot_say(msg, cap, 0,
                                  "no repetition has a joules_per_token value (energy from %s; a "
                                  "charging battery gives none)",
                                  all.energy_source);
        return teai__plot_say(msg, cap, 0,
                              "no energy sensor was available (teai probe lists the sensors)");
    }
    grid gr;
    grid_make(ds, TEAI_M_J_PER_TOKEN, &dev, &gr);
    bars *b = calloc(1, sizeof *b);
    if (!b) return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    teai_stats best = {0};
    int bc, bs, st = bars_fill(ds, TEAI_M_J_PER_TOKEN, &gr, 1, b, &best, &bc, &bs);
    if (st) {
        free(b);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    const char *src = "";
    for (int g = 0; g < teai_dataset_n_groups(ds) && !*src; g++) {
        teai_group_info gi;
        if (teai__fig_on_device(ds, g, &dev) && !teai_dataset_group_info(ds, g, &gi))
            src = gi.energy_source;
    }
    snprintf(b->sub, sizeof b->sub,
             "device %s, energy from %s; bars: mean over repetitions, error bars: 95%% CI; "
             "repetitions:",
             dev.label, *src ? src : "?");
    for (int s = 0; s < gr.ns; s++)
        teai__fig_append(b->sub, sizeof b->sub, "%s %s %ld", s ? "," : "", gr.ser[s], b->n[s]);
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = "Energy per decoded token", ch.subtitle = b->sub;
    ch.y_label = "Decode energy per token (J/token)";
    ch.x_label = "model size and quantization";
    ch.categories = b->cats, ch.n_categories = (size_t)gr.nc;
    ch.series = b->series, ch.n_series = (size_t)gr.ns;
    st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
    char ci[96];
    if (st == 1)
        teai__plot_say(msg, cap, 1, "%s at %s spends the least energy: %.4g J/token (%s, n=%ld)",
                       gr.ser[bs], gr.label[bc], best.mean,
                       teai__fig_ci_text(ci, sizeof ci, best.ci_lo, best.ci_hi, 4, -1), best.n);
    free(b);
    return st;
}

/* ---- backend_comparison ---------------------------------------------------- */

static int fig_backend(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap) {
    int st = fig_metric_bars(ds, TEAI_M_DECODE_TOK_S, "Decode throughput by backend",
                             "Decode throughput (tokens/s)", "decodes", path, fmt, pp, msg, cap);
    if (st != 1) return st;
    /* finding: the fastest against the runner-up in the category with most backends */
    teai__fig_device dev;
    teai__fig_primary_device(ds, &dev);
    grid gr;
    grid_make(ds, TEAI_M_DECODE_TOK_S, &dev, &gr);
    int best_c = -1, best_k = 0;
    for (int c = 0; c < gr.nc; c++) {
        int k = 0;
        for (int s = 0; s < gr.ns; s++) k += cell_has(ds, TEAI_M_DECODE_TOK_S, &gr, c, s);
        if (k > best_k) best_k = k, best_c = c;
    }
    if (best_k < 2) return 1; /* one backend: keep the highest-mean finding */
    teai__pool p[MAXS];
    double mean[MAXS];
    int a = -1, b = -1;
    for (int s = 0; s < gr.ns; s++) {
        if (cell_pool(ds, TEAI_M_DECODE_TOK_S, &gr, best_c, s, &p[s])) {
            for (int j = 0; j < s; j++) free(p[j].v);
            return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
        }
        mean[s] = p[s].n ? teai__pool_mean(&p[s]) : -1;
        if (mean[s] >= 0 && (a < 0 || mean[s] > mean[a]))
            b = a, a = s;
        else if (mean[s] >= 0 && (b < 0 || mean[s] > mean[b]))
            b = s;
    }
    teai_speedup sp;
    char ci[96], mw[64];
    long nmin = (long)(p[a].n < p[b].n ? p[a].n : p[b].n);
    if (!teai_speedup_compute(p[a].v, p[a].n, p[b].v, p[b].n, TEAI_SEED_DEFAULT, BOOTS, &sp))
        teai__plot_say(msg, cap, 1, "%s decodes %.3gx faster than %s at %s (%s%s)", gr.ser[a],
                       sp.ratio, gr.ser[b], gr.label[best_c],
                       teai__fig_ci_text(ci, sizeof ci, sp.ci_lo, sp.ci_hi, 3, nmin),
                       mwu_text(mw, sizeof mw, sp.mwu.p));
    for (int s = 0; s < gr.ns; s++) free(p[s].v);
    return 1;
}

/* ---- ratio bars: speedup_comparison and quantization_impact ---------------- */

typedef struct ratios {
    int nc, ns;
    char cat[MAXC][96];
    const char *cats[MAXC];
    const char *ser[MAXS];
    double v[MAXS][MAXC], lo[MAXS][MAXC], hi[MAXS][MAXC];
    teai_chart_series series[MAXS];
    char sub[512];
    /* the largest effect, for the finding */
    double best_r, best_lo, best_hi, best_p;
    long best_n; /* the smaller of the two samples */
    int best_c, best_s;
} ratios;

static int ratio_cell(ratios *r, const teai__pool *a, const teai__pool *b, int c, int s) {
    teai_speedup sp;
    if (!a->n || !b->n) return TEAI_OK;
    int st = teai_speedup_compute(a->v, a->n, b->v, b->n, TEAI_SEED_DEFAULT, BOOTS, &sp);
    if (st) return st;
    r->v[s][c] = sp.ratio, r->lo[s][c] = sp.ci_lo, r->hi[s][c] = sp.ci_hi;
    if (r->best_c < 0 || fabs(log(sp.ratio)) > fabs(log(r->best_r)))
        r->best_r = sp.ratio, r->best_lo = sp.ci_lo, r->best_hi = sp.ci_hi, r->best_p = sp.mwu.p,
        r->best_n = (long)(a->n < b->n ? a->n : b->n), r->best_c = c, r->best_s = s;
    return TEAI_OK;
}

static void ratios_init(ratios *r) {
    memset(r, 0, sizeof *r);
    r->best_c = r->best_s = -1;
    for (int s = 0; s < MAXS; s++)
        for (int c = 0; c < MAXC; c++) r->v[s][c] = r->lo[s][c] = r->hi[s][c] = NAN;
}

static int ratios_chart(ratios *r, const char *title, const char *ylabel, const char *ref,
                        const char *path, teai_plot_format fmt, const teai_plot_params *pp,
                        char *msg, size_t cap) {
    for (int s = 0; s < r->ns; s++) {
        r->series[s].name = r->ser[s];
        r->series[s].values = r->v[s], r->series[s].lo = r->lo[s], r->series[s].hi = r->hi[s];
    }
    for (int c = 0; c < r->nc; c++) r->cats[c] = r->cat[c];
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = title, ch.subtitle = r->sub, ch.y_label = ylabel;
    ch.categories = r->cats, ch.n_categories = (size_t)r->nc;
    ch.series = r->series, ch.n_series = (size_t)r->ns;
    ch.ref_y = 1, ch.ref_label = ref;
    return teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
}

/* "a, b, c": the backends with rows in the data (any host, any metric);
 * their number. */
static int backends_in_data(const teai_dataset *ds, char *out, size_t cap) {
    const char *seen[MAXS];
    int n = 0;
    out[0] = '\0';
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        const char *b = teai_dataset_key(ds, g, K_BACKEND);
        if (!teai_dataset_rows(ds, g) || teai__fig_find(seen, n, b) >= 0 || n == MAXS) continue;
        teai__fig_append(out, cap, "%s%s", n ? ", " : "", b);
        seen[n++] = b;
    }
    return n;
}

/* 1 if backend s of the grid (-1: any) has decode values in some (size,
 * quantize) that another backend has too. */
static int shares_config(const teai_dataset *ds, const grid *gr, int s) {
    for (int c = 0; c < gr->nc; c++) {
        int k = 0, mine = s < 0;
        for (int t = 0; t < gr->ns; t++) {
            int has = cell_has(ds, TEAI_M_DECODE_TOK_S, gr, c, t);
            k += has;
            if (t == s && has) mine = 1;
        }
        if (k >= 2 && mine) return 1;
    }
    return 0;
}

static int fig_speedup(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    int have = teai__fig_primary_device(ds, &dev);
    grid gr;
    char names[256];
    int n_all = backends_in_data(ds, names, sizeof names);
    if (have) grid_make(ds, TEAI_M_DECODE_TOK_S, &dev, &gr);
    if (n_all < 2)
        return teai__plot_say(msg, cap, 0, "only one backend (%s) in the data: nothing to compare",
                              n_all ? names : "none");
    if (!have || gr.ns < 2 || !shares_config(ds, &gr, -1))
        return teai__plot_say(
            msg, cap, 0,
            "no configuration measured by two backends: no size and quantization has "
            "decode tokens/s from two backends on device %s (backends in the data: %s)",
            have ? dev.label : "(none)", names);
    /* the reference: llamacpp, else the first backend, that shares a configuration */
    int ref = teai__fig_find(gr.ser, gr.ns, "llamacpp");
    if (ref < 0 || !shares_config(ds, &gr, ref))
        for (ref = 0; ref < gr.ns - 1 && !shares_config(ds, &gr, ref); ref++) continue;
    ratios *r = malloc(sizeof *r);
    if (!r) return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    ratios_init(r);
    int st = TEAI_OK, any = 0;
    for (int s = 0; s < gr.ns; s++)
        if (s != ref) r->ser[r->ns++] = gr.ser[s];
    for (int c = 0; c < gr.nc && !st; c++) {
        teai__pool pr;
        if ((st = cell_pool(ds, TEAI_M_DECODE_TOK_S, &gr, c, ref, &pr))) break;
        if (pr.n) {
            int col = r->nc;
            for (int s = 0, k = 0; s < gr.ns && !st; s++) {
                if (s == ref) continue;
                teai__pool pa;
                if (!(st = cell_pool(ds, TEAI_M_DECODE_TOK_S, &gr, c, s, &pa))) {
                    if (pa.n) any = 1;
                    st = ratio_cell(r, &pa, &pr, col, k);
                    free(pa.v);
                }
                k++;
            }
            snprintf(r->cat[col], sizeof r->cat[col], "%s", gr.label[c]);
            r->nc++;
        }
        free(pr.v);
    }
    if (st) {
        free(r);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    if (!any) {
        free(r);
        return teai__plot_say(
            msg, cap, 0, "no configuration measured by two backends (%s and another)", gr.ser[ref]);
    }
    snprintf(r->sub, sizeof r->sub,
             "device %s; ratio of mean decode tokens/s, error bars: 95%% bootstrap CI", dev.label);
    char ylabel[128], reflabel[64];
    snprintf(ylabel, sizeof ylabel, "Speedup over %s (x, decode tokens/s)", gr.ser[ref]);
    snprintf(reflabel, sizeof reflabel, "%s = 1", gr.ser[ref]);
    st = ratios_chart(r, "Decode speedup between backends", ylabel, reflabel, path, fmt, pp, msg,
                      cap);
    char ci[96], mw[64];
    if (st == 1)
        teai__plot_say(
            msg, cap, 1, "%s decodes %.3gx %s than %s at %s (%s%s)", r->ser[r->best_s],
            r->best_r >= 1 ? r->best_r : 1 / r->best_r, r->best_r >= 1 ? "faster" : "slower",
            gr.ser[ref], r->cat[r->best_c],
            teai__fig_ci_text(ci, sizeof ci, r->best_r >= 1 ? r->best_lo : 1 / r->best_hi,
                              r->best_r >= 1 ? r->best_hi : 1 / r->best_lo, 3, r->best_n),
            mwu_text(mw, sizeof mw, r->best_p));
    free(r);
    return st;
}

static int fig_quant(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                     const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    grid gr;
    if (!teai__fig_primary_device(ds, &dev))
        return teai__plot_say(msg, cap, 0, "no measured decode rows in the CSVs");
    grid_make(ds, TEAI_M_DECODE_TOK_S, &dev, &gr);
    ratios *r = malloc(sizeof *r);
    if (!r) return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    ratios_init(r);
    int st = TEAI_OK, any = 0;
    for (int s = 0; s < gr.ns; s++) r->ser[r->ns++] = gr.ser[s];
    /* each (size, quant != default) against (size, default) of the same backend */
    for (int c = 0; c < gr.nc && !st; c++) {
        if (!strcmp(gr.quant[c], "default")) continue;
        int base = -1;
        for (int j = 0; j < gr.nc; j++)
            if (!strcmp(gr.size[j], gr.size[c]) && !strcmp(gr.quant[j], "default")) base = j;
        if (base < 0) continue;
        int col = r->nc, has = 0;
        for (int s = 0; s < gr.ns && !st; s++) {
            teai__pool pa, pb;
            if ((st = cell_pool(ds, TEAI_M_DECODE_TOK_S, &gr, c, s, &pa))) break;
            if (!(st = cell_pool(ds, TEAI_M_DECODE_TOK_S, &gr, base, s, &pb))) {
                if (pa.n && pb.n) has = 1;
                st = ratio_cell(r, &pa, &pb, col, s);
                free(pb.v);
            }
            free(pa.v);
        }
        if (has) {
            snprintf(r->cat[col], sizeof r->cat[col], "%s", gr.label[c]);
            r->nc++, any = 1;
        }
    }
    if (st) {
        free(r);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    if (!any) {
        free(r);
        return teai__plot_say(
            msg, cap, 0, "no backend measured both the default weights and another quantization");
    }
    snprintf(r->sub, sizeof r->sub,
             "device %s; mean decode tokens/s relative to the same backend's default weights, "
             "error bars: 95%% bootstrap CI",
             dev.label);
    st = ratios_chart(r, "Quantization impact on decode throughput",
                      "Decode tokens/s relative to default (x)", "default = 1", path, fmt, pp, msg,
                      cap);
    char ci[96];
    if (st == 1)
        teai__plot_say(msg, cap, 1, "%s at %s decodes at %.3gx its default-weights rate (%s)",
                       r->ser[r->best_s], r->cat[r->best_c], r->best_r,
                       teai__fig_ci_text(ci, sizeof ci, r->best_lo, r->best_hi, 3, r->best_n));
    free(r);
    return st;
}

/* ---- summary_stats: mean, median and p90 of per-token latency -------------- */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distribution-free 95% CI of the p-quantile of sorted x: order statistics
 * at ranks n p -+ 1.96 sqrt(n p (1 - p)). */
static void quantile_ci(const double *x, size_t n, double p, double *q, double *lo, double *hi) {
    *q = teai_percentile_sorted(x, n, p);
    *lo = *hi = NAN;
    if (n < 2) return;
    double d = 1.96 * sqrt((double)n * p * (1 - p)), c = (double)n * p;
    long l = (long)floor(c - d), h = (long)ceil(c + d);
    if (l < 0) l = 0;
    if (h > (long)n - 1) h = (long)n - 1;
    *lo = x[l], *hi = x[h];
}

static int fig_summary(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    int have = teai__fig_primary_device(ds, &dev);
    grid gr;
    if (have) grid_make(ds, TEAI_M_TOKEN_MS, &dev, &gr);
    if (!have || !gr.nc)
        return teai__plot_say(msg, cap, 0, "no measured per-token latencies in the CSVs");
    enum { NS = 3 };
    static const char *const sname[NS] = {"mean", "median", "p90"};
    double *v = malloc(sizeof(double) * 3 * NS * MAXC * MAXS);
    char(*lab)[128] = malloc(sizeof(char[128]) * MAXC * MAXS);
    const char **cats = malloc(sizeof(char *) * MAXC * MAXS);
    if (!v || !lab || !cats) {
        free(v), free(lab), free(cats);
        return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    }
    double *val[NS], *lo[NS], *hi[NS];
    for (int k = 0; k < NS; k++)
        val[k] = v + (3 * k) * MAXC * MAXS, lo[k] = val[k] + MAXC * MAXS,
        hi[k] = lo[k] + MAXC * MAXS;
    int nc = 0, st = TEAI_OK, bi = -1;
    long ntot = 0, bn = 0;
    double bmed = 0, blo = 0, bhi = 0;
    for (int s = 0; s < gr.ns && !st; s++)
        for (int c = 0; c < gr.nc && !st; c++) {
            teai__pool p;
            teai_stats ts;
            if ((st = cell_pool(ds, TEAI_M_TOKEN_MS, &gr, c, s, &p))) break;
            if (p.n && !(st = teai_stats_compute(p.v, p.n, TEAI_SEED_DEFAULT, BOOTS, &ts))) {
                qsort(p.v, p.n, sizeof *p.v, cmp_dbl);
                val[0][nc] = ts.mean, lo[0][nc] = ts.ci_lo, hi[0][nc] = ts.ci_hi;
                quantile_ci(p.v, p.n, 0.5, &val[1][nc], &lo[1][nc], &hi[1][nc]);
                quantile_ci(p.v, p.n, 0.9, &val[2][nc], &lo[2][nc], &hi[2][nc]);
                snprintf(lab[nc], sizeof lab[nc], "%s %s (n=%zu)", gr.ser[s], gr.label[c], p.n);
                cats[nc] = lab[nc];
                ntot += (long)p.n;
                if (bi < 0 || val[1][nc] < bmed)
                    bi = nc, bmed = val[1][nc], blo = lo[1][nc], bhi = hi[1][nc], bn = (long)p.n;
                nc++;
            }
            free(p.v);
        }
    if (st) {
        free(v), free(lab), free(cats);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    teai_chart_series ser[NS];
    for (int k = 0; k < NS; k++)
        ser[k].name = sname[k], ser[k].values = val[k], ser[k].lo = lo[k], ser[k].hi = hi[k];
    char sub[512];
    snprintf(sub, sizeof sub,
             "device %s; %ld decode steps; 95%% CI (mean: bootstrap, median/p90: ranks)", dev.label,
             ntot);
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = "Per-token latency summary", ch.subtitle = sub;
    ch.y_label = "Per-token latency (ms)", ch.x_label = "backend, size and quantization";
    ch.categories = cats, ch.n_categories = (size_t)nc, ch.series = ser, ch.n_series = NS;
    st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
    char ci[96];
    if (st == 1)
        teai__plot_say(msg, cap, 1, "lowest median per-token latency: %s, %.3g ms (%s)", lab[bi],
                       bmed, teai__fig_ci_text(ci, sizeof ci, blo, bhi, 3, bn));
    free(v), free(lab), free(cats);
    return st;
}

/* ---- latency_distribution: box plots of per-token latency ----------------- */

static int fig_latency(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap) {
    teai__fig_device dev;
    int have = teai__fig_primary_device(ds, &dev);
    grid gr;
    if (have) grid_make(ds, TEAI_M_TOKEN_MS, &dev, &gr);
    if (!have || !gr.nc)
        return teai__plot_say(msg, cap, 0, "no measured per-token latencies in the CSVs");
    teai_chart_dist d[MAXC * MAXS];
    teai__pool p[MAXC * MAXS];
    char lab[MAXC * MAXS][96];
    int nd = 0, st = TEAI_OK, bi = -1;
    teai_box_stats best = {0};
    for (int s = 0; s < gr.ns && !st; s++)
        for (int c = 0; c < gr.nc && !st; c++) {
            if ((st = cell_pool(ds, TEAI_M_TOKEN_MS, &gr, c, s, &p[nd]))) break;
            if (!p[nd].n) {
                free(p[nd].v);
                continue;
            }
            teai_box_stats bs;
            if ((st = teai_box_stats_compute(p[nd].v, p[nd].n, &bs))) {
                free(p[nd].v);
                break;
            }
            if (bi < 0 || bs.median < best.median) bi = nd, best = bs;
            if (snprintf(lab[nd], sizeof lab[nd], "%s %s", gr.ser[s], gr.label[c]) >=
                (int)sizeof lab[nd])
                lab[nd][sizeof lab[nd] - 1] = '\0'; /* a long label is cut */
            d[nd].label = lab[nd], d[nd].series = gr.ser[s];
            d[nd].values = p[nd].v, d[nd].n = p[nd].n;
            nd++;
        }
    if (!st) {
        char sub[512];
        snprintf(sub, sizeof sub,
                 "device %s; decode steps, no warm-up; box: quartiles, whiskers: 1.5 IQR",
                 dev.label);
        teai_chart ch = teai_chart_init(TEAI_CHART_BOXES);
        ch.title = "Per-token latency distribution", ch.subtitle = sub;
        ch.y_label = "Per-token latency (ms)", ch.x_label = "backend, size and quantization";
        ch.dists = d, ch.n_dists = (size_t)nd;
        st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
        if (st == 1)
            teai__plot_say(
                msg, cap, 1,
                "%s has the lowest median per-token latency: %.3g ms (IQR %.3g-%.3g, n=%zu)",
                lab[bi], best.median, best.q1, best.q3, best.n);
    } else {
        teai__plot_say(msg, cap, st, "out of memory");
    }
    for (int i = 0; i < nd; i++) free(p[i].v);
    return st;
}

/* ---- device_comparison ------------------------------------------------------ */

/* One panel of device_comparison: per device the best configuration for one
 * aim (teai_dataset_devices), a bar coloured by its backend, or "not
 * measured". */
typedef struct dpanel {
    const char *ser[MAXS];
    int ns;
    double v[MAXS][MAXC], lo[MAXS][MAXC], hi[MAXS][MAXC];
    teai_chart_series cs[MAXS];
    char note[MAXC][160];
    const char *notes[MAXC];
    int n_measured;
} dpanel;

static void dpanel_fill(dpanel *p, const teai_device *dv, int nd, int aim) {
    memset(p, 0, sizeof *p);
    for (int s = 0; s < MAXS; s++)
        for (int i = 0; i < MAXC; i++) p->v[s][i] = p->lo[s][i] = p->hi[s][i] = NAN;
    for (int i = 0; i < nd; i++) {
        const teai_device_best *b = &dv[i].best[aim];
        p->notes[i] = p->note[i];
        if (!b->backend) {
            snprintf(p->note[i], sizeof p->note[i], "not measured");
            continue;
        }
        int s = teai__fig_find(p->ser, p->ns, b->backend);
        if (s < 0 && p->ns < MAXS) s = p->ns, p->ser[p->ns++] = b->backend;
        if (s < 0) { /* more backends than series: said, not drawn */
            snprintf(p->note[i], sizeof p->note[i], "%s %s %s (not drawn)", b->backend, b->size,
                     b->quantize);
            continue;
        }
        p->v[s][i] = b->st.mean, p->lo[s][i] = b->st.ci_lo, p->hi[s][i] = b->st.ci_hi;
        snprintf(p->note[i], sizeof p->note[i], "%s %s %s, n=%ld%s", b->backend, b->size,
                 b->quantize, b->st.n, b->metric == TEAI_M_PEAK_RSS_MB ? " (after load)" : "");
        p->n_measured++;
    }
    for (int s = 0; s < p->ns; s++)
        p->cs[s] = (teai_chart_series){p->ser[s], p->v[s], p->lo[s], p->hi[s]};
}

/* The device whose best for aim has the highest mean (lowest with low set);
 * -1 when none has one. */
static int dev_leader(const teai_device *dv, int nd, int aim, int low) {
    int k = -1;
    for (int i = 0; i < nd; i++) {
        const teai_device_best *b = &dv[i].best[aim];
        if (b->backend && (k < 0 || (low ? b->st.mean < dv[k].best[aim].st.mean
                                         : b->st.mean > dv[k].best[aim].st.mean)))
            k = i;
    }
    return k;
}

static int fig_device(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                      const teai_plot_params *pp, char *msg, size_t cap) {
    teai_device *dv;
    int nd;
    teai_error e = {0};
    int st = teai_dataset_devices(ds, &dv, &nd, &e);
    if (st) return teai__plot_say(msg, cap, st, "%s", e.msg);
    /* the devices with decode values (at most MAXC, in the data set's order) */
    int n = 0, dropped = 0;
    for (int i = 0; i < nd; i++) {
        if (!dv[i].best[TEAI_BEST_SPEED].backend) continue;
        if (n == MAXC) {
            dropped++;
            continue;
        }
        dv[n++] = dv[i];
    }
    if (n < 2) {
        st = teai__plot_say(msg, cap, 0, "one device only (%s): nothing to compare",
                            n ? dv[0].label : "none");
        free(dv);
        return st;
    }
    static const char *const title[TEAI_BEST_N] = {"Decode throughput: each device's fastest "
                                                   "configuration",
                                                   "Energy per token: each device's most "
                                                   "frugal configuration",
                                                   "Peak memory: each device's smallest "
                                                   "configuration"};
    static const char *const ylabel[TEAI_BEST_N] = {"Decode (tokens/s)", "Energy (J/token)",
                                                    "Peak RSS (MiB)"};
    dpanel *p = malloc(sizeof(dpanel) * TEAI_BEST_N);
    if (!p) {
        free(dv);
        return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    }
    const char *cats[MAXC];
    for (int i = 0; i < n; i++) cats[i] = dv[i].label;
    char sub[TEAI_BEST_N][512];
    teai_chart ch[TEAI_BEST_N];
    int np = 0;
    for (int aim = 0; aim < TEAI_BEST_N; aim++) {
        dpanel_fill(&p[aim], dv, n, aim);
        if (aim && !p[aim].n_measured) continue; /* said in the first panel's subtitle */
        if (aim == TEAI_BEST_SPEED)
            snprintf(sub[aim], sizeof sub[aim],
                     "per device its configuration (backend, size, quantization) with the highest "
                     "mean; bars: mean, error bars: 95%% CI, n: decode steps");
        else if (aim == TEAI_BEST_ENERGY)
            snprintf(sub[aim], sizeof sub[aim],
                     "lowest mean J/token per device, n: measured repetitions; not measured: no "
                     "energy sensor there (never 0)");
        else
            snprintf(sub[aim], sizeof sub[aim],
                     "lowest mean peak resident set per device (the repetition's; \"after load\": "
                     "peak after loading), n: repetitions");
        ch[np] = teai_chart_init(TEAI_CHART_BARS);
        ch[np].title = title[aim], ch[np].subtitle = sub[aim], ch[np].y_label = ylabel[aim];
        ch[np].categories = cats, ch[np].n_categories = (size_t)n;
        ch[np].series = p[aim].cs, ch[np].n_series = (size_t)p[aim].ns;
        ch[np].sparse = 1, ch[np].na_text = "not measured", ch[np].cat_notes = p[aim].notes;
        np++;
    }
    if (!p[TEAI_BEST_ENERGY].n_measured)
        teai__fig_append(sub[0], sizeof sub[0],
                         "; energy per token: not measured on any device (no energy sensor)");
    if (!p[TEAI_BEST_MEMORY].n_measured)
        teai__fig_append(sub[0], sizeof sub[0], "; peak memory: not measured on any device");
    if (dropped) teai__fig_append(sub[0], sizeof sub[0], "; %d more devices not drawn", dropped);
    teai_plot_params tall = pp ? *pp : teai_plot_default_params();
    tall.height *= 1 + 0.5 * (np - 1); /* panels stay readable: each at least half as high */
    tall.height = fmin(tall.height, fmin(20000, 32767 / fmax(tall.scale, 1)));
    char err[512] = "";
    st = teai_chart_write_stack(ch, np, path, fmt, &tall, err, sizeof err);
    if (st) {
        teai__plot_say(msg, cap, st, "%s", err[0] ? err : "cannot write the chart");
    } else {
        char ci[96];
        int f = dev_leader(dv, n, TEAI_BEST_SPEED, 0);
        const teai_device_best *b = &dv[f].best[TEAI_BEST_SPEED];
        teai__plot_say(msg, cap, 1, "fastest device: %s with %s %s %s, %.4g tokens/s (%s)",
                       dv[f].label, b->backend, b->size, b->quantize, b->st.mean,
                       teai__fig_ci_text(ci, sizeof ci, b->st.ci_lo, b->st.ci_hi, 4, b->st.n));
        if ((f = dev_leader(dv, n, TEAI_BEST_ENERGY, 1)) >= 0) {
            b = &dv[f].best[TEAI_BEST_ENERGY];
            teai__fig_append(
                msg, cap, "; least energy: %s with %s %s %s, %.4g J/token (%s)", dv[f].label,
                b->backend, b->size, b->quantize, b->st.mean,
                teai__fig_ci_text(ci, sizeof ci, b->st.ci_lo, b->st.ci_hi, 4, b->st.n));
        }
        st = 1;
    }
    free(p);
    free(dv);
    return st;
}

int teai_figure_write(int fig, const teai_dataset *ds, const char *path, teai_plot_format format,
                      const teai_plot_params *params, char *msg, size_t cap) {
    return teai_figure_write_acc(fig, ds, NULL, path, format, params, msg, cap);
}

static int figure_write(int fig, const teai_dataset *ds, const teai_figure_accuracy *acc,
                        const teai_samples *samples, const char *path, teai_plot_format format,
                        const teai_plot_params *params, char *msg, size_t cap) {
    if (msg && cap) msg[0] = 0;
    if (!ds || !path) return teai__plot_say(msg, cap, TEAI_EINVAL, "no data set or path");
    switch (fig) {
        case TEAI_FIG_BACKEND_COMPARISON:
            return fig_backend(ds, path, format, params, msg, cap);
        case TEAI_FIG_SPEEDUP_COMPARISON:
            return fig_speedup(ds, path, format, params, msg, cap);
        case TEAI_FIG_SUMMARY_STATS:
            return fig_summary(ds, path, format, params, msg, cap);
        case TEAI_FIG_QUANTIZATION_IMPACT:
            return fig_quant(ds, path, format, params, msg, cap);
        case TEAI_FIG_LATENCY_DISTRIBUTION:
            return fig_latency(ds, path, format, params, msg, cap);
        case TEAI_FIG_MEMORY_THROUGHPUT:
            return fig_metric_bars(ds, TEAI_M_MEM_GB_S, "Memory throughput during decode",
                                   "Memory throughput (GB/s)", "moves memory", path, format, params,
                                   msg, cap);
        case TEAI_FIG_PARAM_THROUGHPUT:
            return fig_metric_bars(ds, TEAI_M_PARAM_GB_S, "Parameter throughput during decode",
                                   "Parameter throughput (GB/s)", "reads parameters", path, format,
                                   params, msg, cap);
        case TEAI_FIG_DEVICE_COMPARISON:
            return fig_device(ds, path, format, params, msg, cap);
        case TEAI_FIG_ROOFLINE:
            return teai__fig_roofline(ds, path, format, params, msg, cap);
        case TEAI_FIG_ENERGY_PER_TOKEN:
            return fig_energy(ds, path, format, params, msg, cap);
        case TEAI_FIG_THERMAL_TIMELINE:
            return teai__fig_thermal(samples, path, format, params, msg, cap);
        case TEAI_FIG_PARETO:
            return teai__fig_pareto(ds, acc, path, format, params, msg, cap);
        default:
            return teai__plot_say(msg, cap, TEAI_EINVAL, "unknown figure %d", fig);
    }
}

int teai_figure_write_acc(int fig, const teai_dataset *ds, const teai_figure_accuracy *acc,
                          const char *path, teai_plot_format format, const teai_plot_params *params,
                          char *msg, size_t cap) {
    return figure_write(fig, ds, acc, NULL, path, format, params, msg, cap);
}

int teai_figure_write_data(int fig, const teai_figures_data *fd, const char *acc_metric,
                           const char *path, teai_plot_format format,
                           const teai_plot_params *params, char *msg, size_t cap) {
    teai_figure_accuracy fa = {fd ? fd->acc : NULL, acc_metric};
    return figure_write(fig, fd ? fd->ds : NULL, &fa, fd ? fd->samples : NULL, path, format, params,
                        msg, cap);
}
