/* What the slides of `teai report` say, computed from the data read once
 * (teai_figures_load): title, setup, the figures and the skipped ones, the
 * decode summary, the serving slides (serving.csv), the accuracy tables and
 * the methodology (report.h). */
#include "report/report_impl.h"

#include "base/base.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TABLE_ROWS_PER_SLIDE 12

/* ---- the deck ---------------------------------------------------------------- */

static char *vfmt(const char *fmt, va_list ap) {
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return strdup(buf);
}

static teai__slide *deck_add(teai__deck *d, int kind, const char *title) {
    if (d->oom) return NULL;
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 16;
        teai__slide *ns = realloc(d->s, (size_t)nc * sizeof *ns);
        if (!ns) {
            d->oom = 1;
            return NULL;
        }
        d->s = ns, d->cap = nc;
    }
    teai__slide *s = &d->s[d->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->title = strdup(title);
    if (!s->title) d->oom = 1;
    return s;
}

static void slide_item(teai__deck *d, teai__slide *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slide_item(teai__deck *d, teai__slide *s, const char *fmt, ...) {
    if (!s || d->oom) return;
    if (s->n_items == s->cap_items) {
        int nc = s->cap_items ? s->cap_items * 2 : 16;
        char **ni = realloc(s->items, (size_t)nc * sizeof *ni);
        if (!ni) {
            d->oom = 1;
            return;
        }
        s->items = ni, s->cap_items = nc;
    }
    va_list ap;
    va_start(ap, fmt);
    char *p = vfmt(fmt, ap);
    va_end(ap);
    if (!p) {
        d->oom = 1;
        return;
    }
    s->items[s->n_items++] = p;
}

void teai__deck_free(teai__deck *d) {
    for (int i = 0; i < d->n; i++) {
        teai__slide *s = &d->s[i];
        free(s->title), free(s->sub), free(s->png), free(s->png_name);
        free(s->png2), free(s->png2_name);
        for (int k = 0; k < s->n_items; k++) free(s->items[k]);
        free(s->items);
    }
    free(d->s);
}

/* ---- what the slides say ------------------------------------------------------ */

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void fmt_num(char *out, size_t cap, double v) {
    if (isnan(v))
        snprintf(out, cap, "n/a");
    else
        snprintf(out, cap, "%.1f", v);
}

/* The columns the setup slide lists, tracked when the CSVs are read. */
enum {
    SU_HOST,
    SU_DEVICE,
    SU_BACKEND,
    SU_VERSION,
    SU_MODEL,
    SU_WEIGHTS,
    SU_SYNTHETIC,
    SU_TEAI,
    SU_N
};
static const char *const setup_cols[SU_N] = {"hostname",        "device",      "backend",
                                             "backend_version", "model",       "weight_format",
                                             "synthetic",       "teai_version"};

/* dir/serving.csv into out (cap bytes); 1 when it exists. */
static int serving_csv(const teai_report_opts *o, char *out, size_t cap) {
    struct stat sb;
    int n = snprintf(out, cap, "%s/serving.csv", o->dir);
    return n > 0 && (size_t)n < cap && stat(out, &sb) == 0 && S_ISREG(sb.st_mode);
}

int teai__report_read(const teai_report_opts *o, teai_figures_data *fd, teai_error *err) {
    int st = teai_figures_load(o->dir, setup_cols, SU_N, o->note, o->ud, fd, err);
    char sp[4096];
    if (st == TEAI_ENOTFOUND && serving_csv(o, sp, sizeof sp)) {
        /* serving benchmarks alone: the report is about them */
        teai__notef(o->note, o->ud, "%s; the report has the serving slides only", err->msg);
        memset(fd, 0, sizeof *fd);
        return TEAI_OK;
    }
    return st;
}

static void add_setup(teai__deck *d, const teai_dataset *ds) {
    static const char *const hdr[SU_N] = {"host",  "device",  "backend",   "version",
                                          "model", "weights", "synthetic", "teai"};
    teai__slide *s = NULL;
    int n = teai_dataset_n_setups(ds);
    for (int t = 0; t < n; t++) {
        if (t % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE, t ? "Setup (continued)" : "Setup");
            if (!s) return;
            s->ncols = SU_N;
            for (int k = 0; k < SU_N; k++) slide_item(d, s, "%s", hdr[k]);
        }
        for (int k = 0; k < SU_N; k++) {
            const char *x = teai_dataset_setup(ds, t, k);
            if (k == SU_MODEL) x = base_name(x);
            if (k == SU_SYNTHETIC)
                x = !strcmp(x, "1") ? "yes (random weights)" : !strcmp(x, "0") ? "no" : "?";
            slide_item(d, s, "%s", *x ? x : "-");
        }
    }
    if (!n) {
        s = deck_add(d, SL_BULLETS, "Setup");
        slide_item(d, s, "The CSVs carry no setup columns.");
    }
}

/* The figures' data set's group columns (teai_figures_open). */
enum { FK_HOST, FK_DEV, FK_SIZE, FK_QUANT, FK_BACKEND, FK_MACH, FK_NAME };

/* The label of group g's device among dv[0..nd) (teai_dataset_devices);
 * its host name when not found. */
static const char *group_device(const teai_dataset *ds, int g, const teai_device *dv, int nd) {
    const char *name = teai_dataset_key(ds, g, FK_NAME);
    for (int i = 0; i < nd; i++) {
        if (*dv[i].name || *name) {
            if (!strcmp(dv[i].name, name)) return dv[i].label;
        } else if (!strcmp(dv[i].hostname, teai_dataset_key(ds, g, FK_HOST)) &&
                   !strcmp(dv[i].device, teai_dataset_key(ds, g, FK_DEV)) &&
                   !strcmp(dv[i].machine, teai_dataset_key(ds, g, FK_MACH))) {
            return dv[i].label;
        }
    }
    return teai_dataset_key(ds, g, FK_HOST);
}

/* The summary table from the figures' dataset (grouped by hostname, device,
 * size, quantize, backend: read once for the whole report). */
static int add_summary(teai__deck *d, const teai_dataset *ds, const teai_device *dv, int nd,
                       teai_error *err) {
    static const int key_of_column[4] = {FK_BACKEND, -1, FK_SIZE, FK_QUANT}; /* -1: device */
    teai__slide *s = NULL;
    int row = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        const double *v = teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &n);
        if (!n) continue;
        teai_stats stt;
        if (teai_stats_compute(v, n, TEAI_SEED_DEFAULT, 0, &stt))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        if (row % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE,
                         row ? "Summary: decode throughput (continued)"
                             : "Summary: decode throughput");
            if (!s) break;
            s->ncols = 7;
            slide_item(d, s, "backend");
            slide_item(d, s, "device");
            slide_item(d, s, "size");
            slide_item(d, s, "quantization");
            slide_item(d, s, "decode tokens/s (mean)");
            slide_item(d, s, "95%% CI");
            slide_item(d, s, "n (tokens)");
        }
        row++;
        char m[64], lo[64], hi[64];
        fmt_num(m, sizeof m, stt.mean);
        fmt_num(lo, sizeof lo, stt.ci_lo);
        fmt_num(hi, sizeof hi, stt.ci_hi);
        for (int k = 0; k < 4; k++) {
            const char *key = key_of_column[k] < 0 ? group_device(ds, g, dv, nd)
                                                   : teai_dataset_key(ds, g, key_of_column[k]);
            slide_item(d, s, "%s", *key ? key : "-");
        }
        slide_item(d, s, "%s", m);
        if (isnan(stt.ci_lo))
            slide_item(d, s, "none (n < 2)");
        else
            slide_item(d, s, "%s - %s", lo, hi);
        slide_item(d, s, "%ld", stt.n);
    }
    return TEAI_OK;
}

/* ---- energy and heat, devices ------------------------------------------------- */

/* Mean and 95% CI of metric m of group g as "3.1 (2.9-3.3)", "3.1 (n=1)"
 * or "-"; digits significant. TEAI_ENOMEM. */
static int stat_cell(const teai_dataset *ds, int g, int m, char *out, size_t cap) {
    size_t n;
    const double *v = teai_dataset_values(ds, g, m, &n);
    teai_stats st;
    if (!n) {
        snprintf(out, cap, "-");
        return TEAI_OK;
    }
    if (teai_stats_compute(v, n, TEAI_SEED_DEFAULT, 0, &st)) return TEAI_ENOMEM;
    if (isfinite(st.ci_lo))
        snprintf(out, cap, "%.3g (%.3g-%.3g)", st.mean, st.ci_lo, st.ci_hi);
    else
        snprintf(out, cap, "%.3g (n=%ld)", st.mean, st.n);
    return TEAI_OK;
}

/* 1 if some CSV read has column name. */
static int has_column(const teai_dataset *ds, const char *name) {
    for (int i = 0; i < teai_dataset_n_csv_cols(ds); i++)
        if (!strcmp(teai_dataset_csv_col(ds, i, NULL), name)) return 1;
    return 0;
}

/* "Energy and heat": per configuration J/token and decode W (mean, 95% CI
 * over repetitions), max temperature, and how many repetitions were
 * throttled, noisy or charging; when no energy was measured, says so. */
static int add_energy(teai__deck *d, const teai_dataset *ds, const teai_device *dv, int nd,
                      teai_error *err) {
    static const int key_of_column[4] = {FK_BACKEND, -1, FK_SIZE, FK_QUANT}; /* -1: device */
    teai_group_info all;
    teai_dataset_group_info(ds, -1, &all);
    long n_energy = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        teai_dataset_values(ds, g, TEAI_M_J_PER_TOKEN, &n);
        n_energy += (long)n;
    }
    if (!n_energy) {
        teai__slide *s = deck_add(d, SL_BULLETS, "Energy and heat");
        if (!has_column(ds, "joules_per_token"))
            slide_item(d, s,
                       "The CSVs have no energy columns: these runs were recorded without "
                       "teai's sensor readings, so energy, power and temperature are unknown.");
        else if (*all.energy_source)
            slide_item(d, s,
                       "Energy came from %s, but no measured repetition has a value (a charging "
                       "battery gives none): J/token and power are not measured.",
                       all.energy_source);
        else
            slide_item(d, s,
                       "No energy sensor was available on any device (teai probe lists the "
                       "sensors): J/token and power are not measured, not estimated.");
        for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
            teai_group_info gi;
            char t[64];
            size_t n;
            teai_dataset_group_info(ds, g, &gi);
            teai_dataset_values(ds, g, TEAI_M_TEMP_MAX_C, &n);
            if (!n && !gi.flag_known) continue;
            if (stat_cell(ds, g, TEAI_M_TEMP_MAX_C, t, sizeof t))
                return teai__fail(err, TEAI_ENOMEM, "out of memory");
            slide_item(d, s,
                       "%s on %s, %s %s: max temperature %s °C; of %ld repetitions %ld throttled, "
                       "%ld noisy, %ld charging.",
                       teai_dataset_key(ds, g, FK_BACKEND), group_device(ds, g, dv, nd),
                       teai_dataset_key(ds, g, FK_SIZE), teai_dataset_key(ds, g, FK_QUANT), t,
                       gi.reps, gi.throttled, gi.noisy, gi.charging);
        }
        return TEAI_OK;
    }
    teai__slide *s = NULL;
    int row = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        teai_group_info gi;
        teai_dataset_group_info(ds, g, &gi);
        if (!gi.reps) continue;
        if (row % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE, row ? "Energy and heat (continued)" : "Energy and heat");
            if (!s) break;
            static const char *const hdr[10] = {
                "backend",       "device",           "size",
                "quantization",  "J/token (95% CI)", "decode W (95% CI)",
                "max °C (mean)", "throttled",        "noisy",
                "charging"};
            s->ncols = 10;
            for (int k = 0; k < 10; k++) slide_item(d, s, "%s", hdr[k]);
        }
        row++;
        for (int k = 0; k < 4; k++) {
            const char *key = key_of_column[k] < 0 ? group_device(ds, g, dv, nd)
                                                   : teai_dataset_key(ds, g, key_of_column[k]);
            slide_item(d, s, "%s", *key ? key : "-");
        }
        char c[3][96];
        static const int ms[3] = {TEAI_M_J_PER_TOKEN, TEAI_M_DECODE_W, TEAI_M_TEMP_MAX_C};
        for (int k = 0; k < 3; k++) {
            if (stat_cell(ds, g, ms[k], c[k], sizeof c[k]))
                return teai__fail(err, TEAI_ENOMEM, "out of memory");
            slide_item(d, s, "%s", c[k]);
        }
        const long fl[3] = {gi.throttled, gi.noisy, gi.charging};
        for (int k = 0; k < 3; k++)
            if (gi.flag_known)
                slide_item(d, s, "%ld/%ld", fl[k], gi.reps);
            else
                slide_item(d, s, "-");
    }
    return TEAI_OK;
}

/* Per device: a table of what it is (CPU, cores, RAM, OS, architecture,
 * measured read bandwidth, energy source and sensors), then its best
 * configuration for decode speed, energy per token and memory. The device
 * facts come from a second reading of the CSVs grouped by them (a device
 * is device_name when set, else hostname, device and machine: analysis.h). */
enum { DI_HOST, DI_DEV, DI_MACH, DI_NAME, DI_CPU, DI_NCPUS, DI_RAM, DI_PLAT, DI_REL, DI_N };

/* 1 if group g of the device-facts data set is on device d. */
static int info_on_device(const teai_dataset *info, int g, const teai_device *d) {
    const char *name = teai_dataset_key(info, g, DI_NAME);
    if (*d->name || *name) return !strcmp(d->name, name);
    return !strcmp(d->hostname, teai_dataset_key(info, g, DI_HOST)) &&
           !strcmp(d->device, teai_dataset_key(info, g, DI_DEV)) &&
           !strcmp(d->machine, teai_dataset_key(info, g, DI_MACH));
}

static int open_device_info(const teai_report_opts *o, teai_dataset **out, teai_error *err) {
    static const char *const cols[DI_N] = {"hostname",    "device",   "machine",
                                           "device_name", "cpu",      "n_cpus",
                                           "ram_bytes",   "platform", "release"};
    int st = teai_dataset_new(cols, DI_N, out, err), nf, nb;
    for (int k = DI_MACH; k < DI_N && !st; k++) st = teai_dataset_allow_missing(*out, cols[k], err);
    if (!st) st = teai_dataset_add_dir(*out, o->dir, NULL, NULL, &nf, &nb, err);
    if (st) {
        teai_dataset_free(*out);
        *out = NULL;
    }
    return st;
}

/* The first non-empty cell of column k among the device's groups; "" none. */
static const char *info_cell(const teai_dataset *info, const teai_device *d, int k) {
    for (int g = 0; g < teai_dataset_n_groups(info); g++) {
        const char *v = teai_dataset_key(info, g, k);
        if (*v && info_on_device(info, g, d)) return v;
    }
    return "";
}

/* The kinds of sensor a log's "sensors" header found ("energy=rapl
 * temperature=none load=proc:stat,..." -> "energy, load"): the table's
 * short form; "none" when every kind is none. */
static void sensor_kinds(const char *sens, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = sens; *p;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq && !(e - eq - 1 == 4 && !strncmp(eq + 1, "none", 4))) {
            int w = snprintf(out + o, cap - o, "%s%.*s", o ? ", " : "", (int)(eq - p), p);
            if (w > 0 && (size_t)w < cap - o) o += (size_t)w;
        }
        p = e;
    }
    if (!o) snprintf(out, cap, "none");
}

/* "CI lo-hi" at 4 significant digits, or "none (n=1)". */
static void ci_cell(char *out, size_t cap, const teai_stats *st) {
    if (isfinite(st->ci_lo) && isfinite(st->ci_hi))
        snprintf(out, cap, "%.4g - %.4g", st->ci_lo, st->ci_hi);
    else
        snprintf(out, cap, "none (n=%ld)", st->n);
}

static int add_devices(teai__deck *d, const teai_report_opts *o, const teai_device *dv, int nd,
                       teai_error *err) {
    teai_dataset *info = NULL;
    teai_error ie = {0};
    if (open_device_info(o, &info, &ie) == TEAI_ENOMEM)
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    static const char *const hdr[9] = {"device",         "CPU",    "cores",  "RAM", "OS", "machine",
                                       "read bandwidth", "energy", "sensors"};
    teai__slide *s = NULL;
    for (int i = 0; i < nd && !d->oom; i++) {
        if (i % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE, i ? "Devices (continued)" : "Devices");
            if (!s) break;
            s->ncols = 9;
            for (int k = 0; k < 9; k++) slide_item(d, s, "%s", hdr[k]);
        }
        double bw = NAN;
        const char *src = "", *sens = "";
        for (int g = 0; info && g < teai_dataset_n_groups(info); g++) {
            teai_group_info gi;
            if (!info_on_device(info, g, &dv[i]) || teai_dataset_group_info(info, g, &gi)) continue;
            if (isfinite(gi.membw_gb_s) && !(bw >= gi.membw_gb_s)) bw = gi.membw_gb_s;
            if (!*src) src = gi.energy_source;
            if (!*sens) sens = gi.sensors;
        }
        const char *cpu = info ? info_cell(info, &dv[i], DI_CPU) : "";
        const char *ncpu = info ? info_cell(info, &dv[i], DI_NCPUS) : "";
        const char *ram = info ? info_cell(info, &dv[i], DI_RAM) : "";
        const char *plat = info ? info_cell(info, &dv[i], DI_PLAT) : "";
        const char *rel = info ? info_cell(info, &dv[i], DI_REL) : "";
        char rb[64] = "-", bb[64] = "not measured";
        double rv;
        char *end;
        if (*ram && (rv = strtod(ram, &end)) > 0 && !*end)
            snprintf(rb, sizeof rb, "%.1f GiB", rv / (1024.0 * 1024 * 1024));
        if (isfinite(bw)) snprintf(bb, sizeof bb, "%.4g GB/s", bw);
        slide_item(d, s, "%s", dv[i].label);
        slide_item(d, s, "%s", *cpu ? cpu : "-");
        slide_item(d, s, "%s", *ncpu ? ncpu : "-");
        slide_item(d, s, "%s", rb);
        slide_item(d, s, "%s%s%s", *plat ? plat : "-", *rel ? " " : "", rel);
        slide_item(d, s, "%s", *dv[i].machine ? dv[i].machine : "-");
        slide_item(d, s, "%s", bb);
        char kinds[256];
        sensor_kinds(sens, kinds, sizeof kinds);
        slide_item(d, s, "%s", *src ? src : "no energy sensor");
        slide_item(d, s, "%s", *sens ? kinds : "not recorded");
    }
    teai_dataset_free(info);
    /* per device its best configurations */
    static const char *const aim[TEAI_BEST_N] = {"decode speed (highest)", "energy (lowest)",
                                                 "memory (lowest)"};
    static const char *const bh[7] = {"device", "best for", "configuration", "mean",
                                      "95% CI", "n",        "measure"};
    int row = 0;
    for (int i = 0; i < nd && !d->oom; i++) {
        if (!dv[i].n_decode) continue;
        for (int a = 0; a < TEAI_BEST_N; a++, row++) {
            if (row % TABLE_ROWS_PER_SLIDE == 0) {
                s = deck_add(d, SL_TABLE,
                             row ? "Best configuration per device (continued)"
                                 : "Best configuration per device");
                if (!s) break;
                s->ncols = 7;
                for (int k = 0; k < 7; k++) slide_item(d, s, "%s", bh[k]);
            }
            const teai_device_best *b = &dv[i].best[a];
            slide_item(d, s, "%s", dv[i].label);
            slide_item(d, s, "%s", aim[a]);
            if (!b->backend) {
                slide_item(d, s, "not measured");
                slide_item(d, s, "-");
                slide_item(d, s, "-");
                slide_item(d, s, "-");
                slide_item(d, s, "%s",
                           a == TEAI_BEST_ENERGY ? "no energy sensor" : "no peak RSS recorded");
                continue;
            }
            char ci[96];
            ci_cell(ci, sizeof ci, &b->st);
            slide_item(d, s, "%s %s %s", b->backend, b->size, b->quantize);
            slide_item(d, s, "%.4g %s", b->st.mean, teai_metric_unit(b->metric));
            slide_item(d, s, "%s", ci);
            slide_item(d, s, "%ld", b->st.n);
            slide_item(d, s, "%s",
                       b->metric == TEAI_M_DECODE_TOK_S  ? "decode steps"
                       : b->metric == TEAI_M_J_PER_TOKEN ? "repetitions"
                       : b->metric == TEAI_M_PEAK_RSS_MB ? "repetitions, RSS after load"
                                                         : "repetitions, peak RSS");
        }
    }
    if (d->oom) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    return TEAI_OK;
}

/* ---- accuracy (accuracy.csv) ------------------------------------------------ */

/* The row of the latest successful result of the configuration ending at
 * row r (rows sorted: runs of equal environment, metric, backend, size,
 * quantization, by timestamp); -1 when none succeeded. */
static int same_config(const teai_acc_rows *a, long i, long j) {
    static const int cols[5] = {TEAI_ACC_ENV, TEAI_ACC_METRIC, TEAI_ACC_BACKEND, TEAI_ACC_SIZE,
                                TEAI_ACC_QUANT};
    for (int k = 0; k < 5; k++)
        if (strcmp(teai_acc_rows_cell(a, i, cols[k]), teai_acc_rows_cell(a, j, cols[k]))) return 0;
    return 1;
}

static int acc_ok(const teai_acc_rows *a, long r) {
    const char *rc = teai_acc_rows_cell(a, r, TEAI_ACC_RETURNCODE);
    return !*rc || teai_acc_rows_num(a, r, TEAI_ACC_RETURNCODE) == 0;
}

static void acc_num(char *out, size_t cap, double v) {
    if (isfinite(v))
        snprintf(out, cap, "%.4g", v);
    else
        snprintf(out, cap, "n/a");
}

/* One table per environment: the latest successful result per (metric,
 * backend, size, quantization). */
static void add_accuracy(teai__deck *d, const teai_acc_rows *a, int *n_slides) {
    long n = teai_acc_rows_count(a);
    teai__slide *s = NULL;
    int row = 0;
    char cur_env[256] = "";
    for (long r = 0; r < n && !d->oom; r++) {
        const char *env = teai_acc_rows_cell(a, r, TEAI_ACC_ENV);
        if (r + 1 < n && same_config(a, r, r + 1)) continue; /* not the last of its run */
        long best = -1;
        for (long k = r; k >= 0 && same_config(a, k, r); k--)
            if (acc_ok(a, k)) {
                best = k;
                break;
            }
        if (best < 0) continue;
        int new_env = !s || strcmp(env, cur_env) != 0;
        if (new_env) row = 0;
        snprintf(cur_env, sizeof cur_env, "%s", env);
        if (new_env || row % TABLE_ROWS_PER_SLIDE == 0) {
            char title[256];
            snprintf(title, sizeof title, "Accuracy: %s", *env ? env : "-");
            s = deck_add(d, SL_TABLE, title);
            if (!s) return;
            (*n_slides)++;
            s->ncols = 7;
            static const char *const hdr[7] = {"backend", "size", "quantization", "metric", "value",
                                               "95% CI",  "n"};
            for (int k = 0; k < 7; k++) slide_item(d, s, "%s", hdr[k]);
        }
        row++;
        for (int c = 0; c < 4; c++) {
            static const int cols[4] = {TEAI_ACC_BACKEND, TEAI_ACC_SIZE, TEAI_ACC_QUANT,
                                        TEAI_ACC_METRIC};
            const char *v = teai_acc_rows_cell(a, best, cols[c]);
            slide_item(d, s, "%s", *v ? v : "-");
        }
        double v = teai_acc_rows_num(a, best, TEAI_ACC_VALUE);
        double lo = teai_acc_rows_num(a, best, TEAI_ACC_CI_LOW);
        double hi = teai_acc_rows_num(a, best, TEAI_ACC_CI_HIGH);
        double se = teai_acc_rows_num(a, best, TEAI_ACC_STDERR);
        double nn = teai_acc_rows_num(a, best, TEAI_ACC_N);
        if (!isfinite(nn)) nn = teai_acc_rows_num(a, best, TEAI_ACC_NUM_EXAMPLES);
        char vb[64], lb[64], hb[64];
        acc_num(vb, sizeof vb, v);
        slide_item(d, s, "%s", vb);
        if (!isfinite(lo) || !isfinite(hi)) {
            lo = isfinite(se) && isfinite(v) ? v - 1.96 * se : NAN;
            hi = isfinite(se) && isfinite(v) ? v + 1.96 * se : NAN;
        }
        acc_num(lb, sizeof lb, lo);
        acc_num(hb, sizeof hb, hi);
        if (isfinite(lo) && isfinite(hi))
            slide_item(d, s, "%s - %s", lb, hb);
        else
            slide_item(d, s, "none recorded");
        if (isfinite(nn))
            slide_item(d, s, "%.0f", nn);
        else
            slide_item(d, s, "-");
    }
}

/* How accuracy was measured, from the rows: per environment its metrics,
 * examples and token limit; failed runs left out. */
static void method_accuracy(teai__deck *d, teai__slide *s, const teai_acc_rows *a) {
    long n = teai_acc_rows_count(a);
    long failed = 0;
    for (long r = 0; r < n; r++) failed += !acc_ok(a, r);
    char envs[1500] = "";
    size_t o = 0;
    for (long r = 0; r < n; r++) {
        const char *env = teai_acc_rows_cell(a, r, TEAI_ACC_ENV);
        if (r > 0 && !strcmp(env, teai_acc_rows_cell(a, r - 1, TEAI_ACC_ENV))) continue;
        char metrics[300] = "";
        size_t mo = 0;
        double ex_lo = INFINITY, ex_hi = -INFINITY, mt = NAN;
        long e = r;
        for (; e < n && !strcmp(env, teai_acc_rows_cell(a, e, TEAI_ACC_ENV)); e++) {
            const char *m = teai_acc_rows_cell(a, e, TEAI_ACC_METRIC);
            if (e == r || strcmp(m, teai_acc_rows_cell(a, e - 1, TEAI_ACC_METRIC))) {
                int w = snprintf(metrics + mo, sizeof metrics - mo, "%s%s", mo ? ", " : "", m);
                if (w > 0 && (size_t)w < sizeof metrics - mo) mo += (size_t)w;
            }
            double ex = teai_acc_rows_num(a, e, TEAI_ACC_NUM_EXAMPLES);
            if (isfinite(ex)) ex_lo = fmin(ex_lo, ex), ex_hi = fmax(ex_hi, ex);
            double t = teai_acc_rows_num(a, e, TEAI_ACC_MAX_TOKENS);
            if (isfinite(t)) mt = isfinite(mt) ? fmax(mt, t) : t;
        }
        char ex[64] = "examples not recorded", tk[64] = "";
        if (isfinite(ex_lo) && ex_lo == ex_hi)
            snprintf(ex, sizeof ex, "%.0f examples", ex_lo);
        else if (isfinite(ex_lo))
            snprintf(ex, sizeof ex, "%.0f-%.0f examples", ex_lo, ex_hi);
        if (isfinite(mt)) snprintf(tk, sizeof tk, ", up to %.0f tokens", mt);
        int w = snprintf(envs + o, sizeof envs - o, "%s%s (%s; %s%s)", o ? "; " : "",
                         *env ? env : "?", metrics, ex, tk);
        if (w > 0 && (size_t)w < sizeof envs - o) o += (size_t)w;
    }
    slide_item(d, s,
               "Accuracy (accuracy.csv, collated from the verifiers results of teai eval or "
               "verifiers_sweep.py): %s. Each configuration shows its latest successful result "
               "(%ld failed result rows left out); intervals are the results' own 95%% CIs, or "
               "+-1.96 standard errors, and none where a result carries neither.",
               envs, failed);
    slide_item(d, s,
               "Accuracy and speed are measured in separate runs; the pareto figure joins them "
               "on backend + size + quantization (speed from the device with the most rows).");
}

/* Rows of every group: all rows read. */
static long all_rows(const teai_dataset *ds) {
    long n = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) n += teai_dataset_rows(ds, g);
    return n;
}

static void add_method(teai__deck *d, const teai_dataset *ds, const teai_acc_rows *acc) {
    teai__slide *s = deck_add(d, SL_BULLETS, "Methodology and limitations");
    slide_item(d, s,
               "Warm-up repetitions are excluded from every statistic (%ld warm-up rows of %ld "
               "left out).",
               teai_dataset_warmup_rows(ds), all_rows(ds));
    slide_item(d, s,
               "Decode statistics use the measured per-token rows (step >= 1); the 95%% CIs are "
               "percentile bootstraps over the pooled tokens of all repetitions, so they are "
               "narrower than CIs over repetitions would be (tokens within one repetition are not "
               "independent).");
    int n_syn = 0;
    for (int t = 0; t < teai_dataset_n_setups(ds); t++) {
        if (strcmp(teai_dataset_setup(ds, t, SU_SYNTHETIC), "1")) continue;
        const char *w = teai_dataset_setup(ds, t, SU_WEIGHTS);
        const char *b = teai_dataset_setup(ds, t, SU_BACKEND);
        slide_item(d, s,
                   "Synthetic model (random weights, throughput only, text is meaningless): "
                   "%s (%s) on %s.",
                   base_name(teai_dataset_setup(ds, t, SU_MODEL)), *w ? w : "?", *b ? b : "?");
        n_syn++;
    }
    if (!n_syn) {
        slide_item(d, s, "No synthetic models: every model has real weights.");
    } else {
        /* the models with real weights, once each: what accuracy can be measured on */
        for (int t = 0; t < teai_dataset_n_setups(ds); t++) {
            if (strcmp(teai_dataset_setup(ds, t, SU_SYNTHETIC), "0")) continue;
            const char *m = base_name(teai_dataset_setup(ds, t, SU_MODEL));
            int seen = 0, n = 0;
            for (int u = 0; u < teai_dataset_n_setups(ds); u++) {
                if (strcmp(teai_dataset_setup(ds, u, SU_SYNTHETIC), "0") ||
                    strcmp(base_name(teai_dataset_setup(ds, u, SU_MODEL)), m))
                    continue;
                seen |= u < t;
                n++;
            }
            if (!seen && *m)
                slide_item(d, s, "Model with real weights: %s (%d configuration%s).", m, n,
                           n == 1 ? "" : "s");
        }
    }
    char buf[1500];
    size_t o = 0;
    int n_empty = 0;
    for (int i = 0; i < teai_dataset_n_csv_cols(ds); i++) {
        int used;
        const char *name = teai_dataset_csv_col(ds, i, &used);
        if (used) continue;
        int w = snprintf(buf + o, sizeof buf - o, "%s%s", n_empty ? ", " : "", name);
        if (w < 0 || (size_t)w >= sizeof buf - o) break;
        o += (size_t)w;
        n_empty++;
    }
    if (n_empty)
        slide_item(d, s, "Not measured (empty in every row, not guessed): %s.", buf);
    else
        slide_item(d, s, "Every CSV column holds a value in some row.");
    slide_item(d, s,
               "Figures compare configurations measured on one device (the one with the most "
               "rows), except device_comparison and roofline. A device is the name given in teai "
               "device when it has one, else its host, CPU and architecture.");
    if (has_column(ds, "joules_per_token"))
        slide_item(
            d, s,
            "Energy is integrated from the device's own sensors over each phase (never "
            "estimated); J/token = decode energy / decoded tokens, one value per "
            "repetition, with 95%% CIs over repetitions. A repetition is flagged throttled "
            "(clock below 85%% of the highest so far in the run, or throttle counters rose), noisy "
            "(other processes above the threshold share of CPU) or charging; teai analyze "
            "--exclude-flagged leaves them out.");
    if (acc && teai_acc_rows_count(acc)) method_accuracy(d, s, acc);
}

/* The title slide. */
static void add_title(teai__deck *d, const teai_report_opts *o, const teai_figures_data *fd) {
    teai__slide *s = deck_add(d, SL_TITLE, "teai benchmark report");
    char date[64] = "";
    time_t now = time(NULL);
    struct tm tmv;
    if (gmtime_r(&now, &tmv)) strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tmv);
    if (fd->ds)
        slide_item(d, s, "Data: %s (%d CSV files, %ld rows, %ld measured decode tokens)", o->dir,
                   fd->n_files, all_rows(fd->ds), fd->n_decode);
    else
        slide_item(d, s, "Data: %s (serving.csv: serving benchmarks only)", o->dir);
    slide_item(d, s, "Built by teai on %s", date);
}

/* One slide per figure drawn (PNG in fig_dir), then one listing the
 * figures the data could not support, with the reasons. */
static void add_figures(teai__deck *d, const teai_report_opts *o, const teai_figures_data *fd,
                        const char *fig_dir, teai_report_result *res) {
    teai_plot_params pp = teai_plot_default_params();
    pp.scale = 2;
    char skipped[TEAI_FIG_N][1100];
    int n_skip = 0;
    for (int f = 0; f < TEAI_FIG_N && !d->oom; f++) {
        const char *name = teai_figure_name(f);
        char path[4096 + 64], msg[1024];
        snprintf(path, sizeof path, "%s/%s.png", fig_dir, name);
        int r = teai_figure_write_data(f, fd, o->accuracy_metric, path, TEAI_PLOT_PNG, &pp, msg,
                                       sizeof msg);
        if (r == 1) {
            char title[128];
            snprintf(title, sizeof title, "%s",
                     f == TEAI_FIG_PARETO ? "Accuracy against speed (pareto)" : name);
            for (char *c = title; *c; c++)
                if (*c == '_') *c = ' ';
            title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
            teai__slide *s = deck_add(d, SL_FIGURE, title);
            if (!s) break;
            char pn[128];
            snprintf(pn, sizeof pn, "%s.png", name);
            s->sub = strdup(msg);
            s->png = strdup(path);
            s->png_name = strdup(pn);
            if (!s->sub || !s->png || !s->png_name) d->oom = 1;
            res->n_figures++;
        } else {
            snprintf(skipped[n_skip++], sizeof skipped[0], "%s: %s", name, msg);
            teai__notef(o->note, o->ud, "%s %s: %s", r == 0 ? "skipped" : "failed", name, msg);
        }
    }
    res->n_skipped = n_skip;
    if (n_skip) {
        teai__slide *s = deck_add(d, SL_BULLETS, "Figures the data could not support");
        for (int k = 0; k < n_skip; k++) slide_item(d, s, "%s", skipped[k]);
    }
}

/* ---- serving under load (serving.csv) ------------------------------------------ */

/* A cell of the serving table: the number at `digits` significant digits,
 * "-" when not measured. */
static void srv_num(char *out, size_t cap, double v, int digits) {
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.*g", digits, v);
}

/* "Serving under load": both serving figures on one slide (their findings
 * as the caption), then the table per label and level. Nothing without a
 * serving.csv; a serving.csv that cannot be read is noted. */
static void add_serving(teai__deck *d, const teai_report_opts *o, const char *fig_dir,
                        teai_report_result *res) {
    char sp[4096];
    if (!serving_csv(o, sp, sizeof sp)) return;
    teai_serving_table *t = NULL;
    teai_error e = {0};
    if (teai_serving_table_read(sp, o->note, o->ud, &t, &e)) {
        teai__notef(o->note, o->ud, "%s: no serving slides", e.msg);
        return;
    }
    long nr = teai_serving_table_rows(t);
    if (!nr) {
        teai__notef(o->note, o->ud, "%s: no rows, no serving slides", sp);
        teai_serving_table_free(t);
        return;
    }
    teai_plot_params pp = teai_plot_default_params();
    pp.scale = 2;
    char path[2][4096 + 64], msg[2][1024], pn[2][64];
    int ok[2];
    for (int f = 0; f < 2; f++) {
        const char *name = teai_serving_figure_name(f);
        snprintf(pn[f], sizeof pn[f], "%s.png", name);
        snprintf(path[f], sizeof path[f], "%s/%s", fig_dir, pn[f]);
        int r = teai_serving_figure_write(f, t, path[f], TEAI_PLOT_PNG, &pp, msg[f], sizeof msg[f]);
        ok[f] = r == 1;
        if (!ok[f]) {
            teai__notef(o->note, o->ud, "%s %s: %s", r == 0 ? "skipped" : "failed", name, msg[f]);
            res->n_skipped++;
        }
    }
    if (ok[0] || ok[1]) {
        teai__slide *s = deck_add(d, SL_FIGURE, "Serving under load");
        if (s) {
            int a = ok[0] ? 0 : 1; /* the first figure drawn */
            char cap[4096];
            snprintf(cap, sizeof cap, "%s%s%s", msg[a], ok[0] && ok[1] ? " " : "",
                     ok[0] && ok[1] ? msg[1] : "");
            s->sub = strdup(cap);
            s->png = strdup(path[a]);
            s->png_name = strdup(pn[a]);
            if (ok[0] && ok[1]) {
                s->png2 = strdup(path[1]);
                s->png2_name = strdup(pn[1]);
                if (!s->png2 || !s->png2_name) d->oom = 1;
            }
            if (!s->sub || !s->png || !s->png_name) d->oom = 1;
            res->n_figures += ok[0] + ok[1];
            res->n_serving++;
        }
    }
    teai__slide *s = NULL;
    for (long r = 0; r < nr && !d->oom; r++) {
        if (r % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE,
                         r ? "Serving under load: per label and level (continued)"
                           : "Serving under load: per label and level");
            if (!s) break;
            res->n_serving++;
            static const char *const head[] = {"label",           "level",         "ok / requests",
                                               "output tokens/s", "requests/s",    "TTFT p50 (ms)",
                                               "95% interval",    "TTFT p99 (ms)", "TPOT p99 (ms)",
                                               "goodput (req/s)", "errors"};
            s->ncols = (int)(sizeof head / sizeof *head);
            for (int k = 0; k < s->ncols; k++) slide_item(d, s, "%s", head[k]);
        }
        const char *label = teai_serving_table_str(t, r, "label");
        char lv[48], c[6][32];
        teai_serving_level_name(lv, sizeof lv, teai_serving_table_str(t, r, "mode"),
                                teai_serving_table_num(t, r, "concurrency"),
                                teai_serving_table_num(t, r, "rate"));
        if (teai_serving_table_num(t, r, "saturated") == 1)
            snprintf(lv + strlen(lv), sizeof lv - strlen(lv), " (saturated)");
        slide_item(d, s, "%s", *label ? label : "-");
        slide_item(d, s, "%s", lv);
        slide_item(d, s, "%s / %s", teai_serving_table_str(t, r, "ok"),
                   teai_serving_table_str(t, r, "requests"));
        srv_num(c[0], sizeof c[0], teai_serving_table_num(t, r, "output_throughput"), 4);
        srv_num(c[1], sizeof c[1], teai_serving_table_num(t, r, "request_throughput"), 3);
        srv_num(c[2], sizeof c[2], teai_serving_table_num(t, r, "ttft_p50_ms"), 4);
        srv_num(c[3], sizeof c[3], teai_serving_table_num(t, r, "ttft_p99_ms"), 4);
        srv_num(c[4], sizeof c[4], teai_serving_table_num(t, r, "tpot_p99_ms"), 4);
        srv_num(c[5], sizeof c[5], teai_serving_table_num(t, r, "goodput"), 3);
        slide_item(d, s, "%s", c[0]);
        slide_item(d, s, "%s", c[1]);
        slide_item(d, s, "%s", c[2]);
        double lo = teai_serving_table_num(t, r, "ttft_p50_lo_ms");
        double hi = teai_serving_table_num(t, r, "ttft_p50_hi_ms");
        if (isnan(lo) || isnan(hi))
            slide_item(d, s, "none (n < 6)");
        else
            slide_item(d, s, "%.4g - %.4g", lo, hi);
        slide_item(d, s, "%s", c[3]);
        slide_item(d, s, "%s", c[4]);
        slide_item(d, s, "%s", teai_serving_table_num(t, r, "goodput") >= 0 ? c[5] : "no SLO");
        double er = teai_serving_table_num(t, r, "error_rate");
        if (isnan(er))
            slide_item(d, s, "%s", teai_serving_table_str(t, r, "errors"));
        else
            slide_item(d, s, "%s (%.3g%%)", teai_serving_table_str(t, r, "errors"), er * 100);
    }
    /* how the numbers were made, so the slide reads alone */
    long slo_rows = 0;
    for (long r = 0; r < nr; r++) slo_rows += !isnan(teai_serving_table_num(t, r, "goodput"));
    s = deck_add(d, SL_BULLETS, "Serving under load: how it was measured");
    if (s) res->n_serving++;
    slide_item(d, s,
               "Per request, as teai load's client saw it: TTFT = send to the first chunk "
               "carrying a token; E2EL = send to the end of the response; TPOT = (E2EL - TTFT) / "
               "(output tokens - 1). Warm-up requests are left out of every number.");
    slide_item(d, s,
               "Throughputs are over the level's duration (first measured send to last measured "
               "completion); goodput counts the ok requests meeting every SLO given to teai load "
               "--slo (%ld of %ld rows had SLOs).",
               slo_rows, nr);
    slide_item(d, s,
               "Percentiles interpolate linearly (type 7); their 95%% intervals are "
               "distribution-free (binomial order statistics) and absent where a level has too "
               "few requests (the median needs 6, p99 368).");
    slide_item(d, s,
               "Requests of one level share the server, so they are not independent draws. "
               "teai analyze --serving A,B compares two servers at one level (Mann-Whitney U on "
               "per-request latencies).");
    teai_serving_table_free(t);
}

int teai__report_slides(teai__deck *d, const teai_report_opts *o, const teai_figures_data *fd,
                        const char *fig_dir, teai_report_result *res, teai_error *err) {
    add_title(d, o, fd);
    if (!fd->ds) { /* serving.csv alone (teai__report_read) */
        add_serving(d, o, fig_dir, res);
        if (d->oom) return teai__fail(err, TEAI_ENOMEM, "out of memory");
        return TEAI_OK;
    }
    add_setup(d, fd->ds);
    add_figures(d, o, fd, fig_dir, res);
    teai_device *dv = NULL;
    int nd = 0;
    int st = teai_dataset_devices(fd->ds, &dv, &nd, err);
    if (!st) st = add_summary(d, fd->ds, dv, nd, err);
    if (!st) st = add_energy(d, fd->ds, dv, nd, err);
    if (!st) st = add_devices(d, o, dv, nd, err);
    free(dv);
    if (st) return st;
    add_serving(d, o, fig_dir, res);
    if (fd->acc) add_accuracy(d, fd->acc, &res->n_accuracy);
    add_method(d, fd->ds, fd->acc);
    if (d->oom) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    return TEAI_OK;
}
