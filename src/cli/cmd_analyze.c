/* teai analyze: statistics over the collated CSVs (docs/metrics.md, statistics),
 * and two servers compared at one load level from teai load's logs
 * (docs/serving-analysis.md). Built when the analysis library is linked
 * (TEAI_HAVE_ANALYSIS). */
#ifdef TEAI_HAVE_ANALYSIS
#include "analysis/analysis.h"
#include "analysis/serving.h"
#include "cli.h"
#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_analyze(int argc, char **argv); /* also in cli.h */

/* One best configuration: "native 1B q4 30.1 tokens/s (95% CI 30-30.2, n=12)". */
static void best_text(const teai_device_best *b, char *out, size_t cap) {
    if (!b->backend) {
        snprintf(out, cap, "not measured");
        return;
    }
    char ci[96];
    if (isfinite(b->st.ci_lo) && isfinite(b->st.ci_hi))
        snprintf(ci, sizeof ci, "95%% CI %.4g-%.4g", b->st.ci_lo, b->st.ci_hi);
    else
        snprintf(ci, sizeof ci, "no CI");
    snprintf(out, cap, "%s %s %s %.4g %s (%s, n=%ld%s)", b->backend, b->size, b->quantize,
             b->st.mean, teai_metric_unit(b->metric), ci, b->st.n,
             b->metric == TEAI_M_PEAK_RSS_MB ? ", after load" : "");
}

/* With two devices or more in dir (a device: device_name when set, else
 * hostname, device and machine), each one's best configuration for decode
 * speed, J/token and memory (teai_dataset_devices), read apart from the
 * groups asked for. Nothing when there is one device or the read fails. */
static void print_device_best(const char *dir, int excl, int md) {
    static const char *const cols[7] = {"hostname", "device",  "size",       "quantize",
                                        "backend",  "machine", "device_name"};
    teai_dataset *ds;
    teai_device *dv = NULL;
    int nd = 0, nf, nb;
    if (teai_dataset_new(cols, 7, &ds, NULL)) return;
    teai_dataset_exclude_flagged(ds, excl);
    teai_dataset_allow_missing(ds, "machine", NULL);
    teai_dataset_allow_missing(ds, "device_name", NULL);
    if (!teai_dataset_add_dir(ds, dir, NULL, NULL, &nf, &nb, NULL))
        teai_dataset_devices(ds, &dv, &nd, NULL);
    int n_meas = 0;
    for (int i = 0; i < nd; i++) n_meas += dv[i].n_decode > 0;
    if (n_meas >= 2) {
        printf("\n%sBest configuration per device (decode: highest mean tokens/s; energy, "
               "memory: lowest mean)\n",
               md ? "### " : "");
        for (int i = 0; i < nd; i++) {
            if (!dv[i].n_decode) continue;
            char sp[320], en[320], me[320];
            best_text(&dv[i].best[TEAI_BEST_SPEED], sp, sizeof sp);
            best_text(&dv[i].best[TEAI_BEST_ENERGY], en, sizeof en);
            best_text(&dv[i].best[TEAI_BEST_MEMORY], me, sizeof me);
            printf("%s%s: decode %s; energy %s; memory %s\n", md ? "- " : "  ", dv[i].label, sp, en,
                   me);
        }
    }
    free(dv);
    teai_dataset_free(ds);
}

static const char *help =
    "usage: teai analyze [--dir DIR] [--group-by COL,...] [--format text|markdown|csv|json]\n"
    "                    [--compare COL=A,B ...] [--seed N] [--resamples N]\n"
    "                    [--exclude-flagged] [--serving A,B] [--level N]\n"
    "                    [--load-dir LDIR]\n"
    "\n"
    "Reads every *.csv in DIR (teai collate's output) and reports, per group of rows,\n"
    "n, mean, median, sample sd, min, max, p90, p99 and the 95% CI of the mean of:\n"
    "  decode tokens/s, per-token latency (ms), memory and parameter throughput (GB/s)\n"
    "    from decode rows (step >= 1) of measured repetitions (warmup != 1);\n"
    "  time to first token (ms), prefill tokens/s and the peak RSS after loading (MiB)\n"
    "    from their step-0 rows;\n"
    "  where the runs recorded them (teai bench with sensors), per repetition:\n"
    "    energy per token (J/token), tokens per joule, decode and prefill power (W),\n"
    "    max temperature (°C), min clock (MHz), other processes' CPU (%), peak RSS\n"
    "    (MiB), cool-down wait (ms); and per decode row the % of the host's measured\n"
    "    read bandwidth (memory_throughput_gb_s / membw_gb_s x 100).\n"
    "Each group also lists how many repetitions were throttled, noisy (other\n"
    "processes busy) or on a charging battery, the host's sensors and measured\n"
    "bandwidth, and for sustained runs (teai bench --duration; DIR/samples.csv)\n"
    "the decode rate of the first 30 s against the last 60 s.\n"
    "With two devices or more in DIR (a device: its device_name from teai device when\n"
    "set, else hostname, device and machine), the text and markdown reports end with\n"
    "each device's best configuration for decode speed, J/token and peak memory.\n"
    "Percentiles interpolate linearly (type 7, as NumPy); the CI is a percentile\n"
    "bootstrap (--resamples, default 2000, seeded: same output for the same data),\n"
    "or mean +- 1.96 sd/sqrt(n) above 20000 values. Speedups are ratios of mean\n"
    "decode tokens/s with a bootstrap CI and a two-sided Mann-Whitney U test\n"
    "(normal approximation, tie-corrected); p >= 0.05 is reported as not significant.\n"
    "\n"
    "Serving: when LDIR holds teai load logs, two server labels are compared at\n"
    "each level (concurrency or rate) both measured: per-request TTFT, TPOT and\n"
    "end-to-end latency of the measured ok requests (runs of one label and level\n"
    "pooled), medians and p99 with 95% distribution-free intervals (binomial order\n"
    "statistics; none where too few requests), the ratio of medians and a two-sided\n"
    "Mann-Whitney U test. A DIR with load logs and no speed CSVs gets only this.\n"
    "\n"
    "  --dir DIR          CSV directory (default: benchmark_output)\n"
    "  --group-by COLS    CSV columns (default: backend,hostname,size,quantize)\n"
    "  --format F         text (default), markdown, csv (group statistics only), json\n"
    "  --compare COL=A,B  speedup of groups with COL=A over those with COL=B, other\n"
    "                     group columns equal (repeatable; default, when grouping by\n"
    "                     backend: every pair of backends, the faster first)\n"
    "  --exclude-flagged  leave out every row of the repetitions flagged throttled,\n"
    "                     noisy or charging, and say how many\n"
    "  --serving A,B      compare server labels A and B (teai load --label; default:\n"
    "                     every pair of labels)\n"
    "  --level N          only the level with concurrency or rate N (inf: all at once)\n"
    "  --load-dir LDIR    teai load's logs, searched recursively (default: DIR)\n"
    "\n"
    "exit codes: 0 done, 1 failed, 2 bad command line, 3 DIR missing, no CSV,\n"
    "            no data, or a CSV that could not be read (the others are reported)\n";

enum { F_TEXT, F_MD, F_CSV, F_JSON };

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai analyze: %s\n", line);
}

/* Splits "a,b,c" into at most max parts pointing into buf. */
static int split_commas(char *buf, char **parts, int max) {
    int n = 0;
    for (char *p = buf; n < max;) {
        parts[n++] = p;
        char *c = strchr(p, ',');
        if (!c) return n;
        *c = '\0';
        p = c + 1;
    }
    return -1;
}

static void num(char *out, size_t cap, double v) {
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.4g", v);
}

/* Group keys come from CSVs that may not be teai's: printed as valid UTF-8
 * (teai__utf8_sanitize), so the JSON and CSV output parse. */
static const char *utf8_clean(const char *s, teai_buf *b) {
    b->len = 0;
    return teai__utf8_sanitize(b, s, strlen(s), NULL) == TEAI_OK ? b->data : "";
}

static void json_str(const char *raw) {
    teai_buf b;
    teai_buf_init(&b, 0);
    if (teai__json_str(&b, raw, strlen(raw), NULL) == TEAI_OK)
        fwrite(b.data, 1, b.len, stdout);
    else
        fputs("null", stdout);
    teai_buf_free(&b);
}

static void json_num(double v) {
    if (isnan(v) || isinf(v))
        fputs("null", stdout);
    else
        printf("%.17g", v);
}

static void csv_str(const char *raw) {
    teai_buf b;
    teai_buf_init(&b, 0);
    const char *s = utf8_clean(raw, &b);
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
    } else {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"') putchar('"');
            putchar(*s);
        }
        putchar('"');
    }
    teai_buf_free(&b);
}

/* "size=1B quantize=int8": the group's keys other than column skip (-1: all) */
static void group_label(const teai_dataset *ds, int g, int skip, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int k = 0; k < teai_dataset_n_cols(ds) && o < cap; k++) {
        if (k == skip) continue;
        int w = snprintf(out + o, cap - o, "%s%s=%s", o ? " " : "", teai_dataset_col(ds, k),
                         teai_dataset_key(ds, g, k));
        if (w < 0) break;
        o += (size_t)w;
    }
}

static void pvalue(char *out, size_t cap, double p) {
    if (isnan(p))
        snprintf(out, cap, "p unknown");
    else if (p < 0.001)
        snprintf(out, cap, "p < 0.001");
    else
        snprintf(out, cap, "p = %.3f", p);
}

static int col_of(const teai_dataset *ds, const char *name) {
    for (int k = 0; k < teai_dataset_n_cols(ds); k++)
        if (strcmp(teai_dataset_col(ds, k), name) == 0) return k;
    return -1;
}

/* One sentence per comparison (text and markdown). */
static void print_compare(const teai_dataset *ds, int kc, const teai_compare *c) {
    char where[512], lo[32], hi[32], p[32];
    group_label(ds, c->ga, kc, where, sizeof where);
    num(lo, sizeof lo, c->s.ci_lo);
    num(hi, sizeof hi, c->s.ci_hi);
    pvalue(p, sizeof p, c->s.mwu.p);
    printf("%s is %.3gx %s at %s (decode tokens/s; 95%% CI %s-%s), Mann-Whitney %s%s\n",
           teai_dataset_key(ds, c->ga, kc), c->s.ratio, teai_dataset_key(ds, c->gb, kc),
           *where ? where : "the same settings", lo, hi, p,
           c->s.significant ? "" : ": not significant at 5%");
}

/* 1 if run r of samples.csv belongs to group g: equal in every group column
 * samples.csv also has. */
static int run_in_group(const teai_dataset *ds, int g, const teai_sample_run *r) {
    for (int k = 0; k < teai_dataset_n_cols(ds); k++) {
        const char *c = teai_dataset_col(ds, k), *v = NULL;
        if (!strcmp(c, "backend"))
            v = r->backend;
        else if (!strcmp(c, "hostname"))
            v = r->hostname;
        else if (!strcmp(c, "device"))
            v = r->device;
        else if (!strcmp(c, "size"))
            v = r->size;
        else if (!strcmp(c, "quantize"))
            v = r->quantize;
        else if (!strcmp(c, "threads"))
            v = r->threads;
        else if (!strcmp(c, "log_file"))
            v = r->log_file;
        if (v && strcmp(v, teai_dataset_key(ds, g, k))) return 0;
    }
    return 1;
}

/* "2 of 5 repetitions throttled, 1 noisy, 0 charging; 3 left out" */
static void flags_text(const teai_group_info *gi, char *out, size_t cap) {
    snprintf(out, cap, "%ld of %ld repetitions throttled, %ld noisy, %ld charging%s", gi->throttled,
             gi->reps, gi->noisy, gi->charging,
             gi->flag_known < gi->reps ? " (some without sensor data)" : "");
    if (gi->excluded) {
        size_t o = strlen(out);
        snprintf(out + o, cap - o, "; %ld left out (--exclude-flagged)", gi->excluded);
    }
}

/* The sustained-run line of run r: "first 30 s: X tok/s, last 60 s: Y tok/s
 * (-Z %)"; 0 when its samples cannot give it. */
static int sustained_text(const teai_sample_run *r, char *out, size_t cap) {
    teai_sustained su;
    teai_samples_sustained(r, 30, 60, &su);
    if (!isfinite(su.first_tok_s) || !isfinite(su.last_tok_s)) return 0;
    char ch[48] = "";
    if (isfinite(su.change_pct))
        snprintf(ch, sizeof ch, " (%s%.1f %%)", su.change_pct < 0 ? "\u2212" : "+",
                 fabs(su.change_pct));
    int w = snprintf(
        out, cap, "sustained run %s (%.0f s): first %.0f s: %.4g tok/s, last %.0f s: %.4g tok/s%s",
        r->log_file, r->duration_s, su.first_s, su.first_tok_s, su.last_s, su.last_tok_s, ch);
    if (su.span_s < 90 && w > 0 && (size_t)w < cap)
        snprintf(out + w, cap - (size_t)w, "; the run is %.0f s long, so the windows overlap",
                 su.span_s);
    return 1;
}

/* What a group's rows say about the device (text and markdown): flags,
 * sensors and measured bandwidth, sustained runs. */
static void print_device(const teai_dataset *ds, int g, const teai_samples *smp, int md) {
    teai_group_info gi;
    if (teai_dataset_group_info(ds, g, &gi)) return;
    const char *pre = md ? "- " : "  ";
    char line[1024];
    if (gi.flag_known) {
        flags_text(&gi, line, sizeof line);
        printf("%sflags: %s\n", pre, line);
    }
    if (*gi.sensors || isfinite(gi.membw_gb_s) || *gi.energy_source) {
        char bw[64] = "not measured";
        if (isfinite(gi.membw_gb_s)) snprintf(bw, sizeof bw, "%.4g GB/s", gi.membw_gb_s);
        printf("%sdevice: measured read bandwidth %s; energy from %s; sensors: %s\n", pre, bw,
               *gi.energy_source ? gi.energy_source : "no sensor",
               *gi.sensors ? gi.sensors : "none recorded");
    }
    for (int i = 0; i < teai_samples_n_runs(smp); i++) {
        const teai_sample_run *r = teai_samples_run(smp, i);
        if (isfinite(r->duration_s) && run_in_group(ds, g, r) &&
            sustained_text(r, line, sizeof line))
            printf("%s%s\n", pre, line);
    }
}

/* "left out 3 flagged repetitions (2 noisy, 1 throttled)" */
static void excluded_text(const teai_dataset *ds, char *out, size_t cap) {
    teai_group_info all;
    teai_dataset_group_info(ds, -1, &all);
    snprintf(out, cap, "left out %ld flagged repetition%s", all.excluded,
             all.excluded == 1 ? "" : "s");
    const long n[3] = {all.noisy, all.throttled, all.charging};
    static const char *const what[3] = {"noisy", "throttled", "charging"};
    int any = 0;
    for (int k = 0; k < 3 && all.excluded; k++) {
        if (!n[k]) continue;
        size_t o = strlen(out);
        snprintf(out + o, cap - o, "%s%ld %s", any++ ? ", " : " (", n[k], what[k]);
    }
    if (any) {
        size_t o = strlen(out);
        snprintf(out + o, cap - o, ")");
    }
}

static void json_group_keys(const teai_dataset *ds, int g) {
    for (int k = 0; k < teai_dataset_n_cols(ds); k++) {
        json_str(teai_dataset_col(ds, k));
        putchar(':');
        json_str(teai_dataset_key(ds, g, k));
        putchar(',');
    }
}

/* The JSON arrays "group_info" and "sustained" and, with --exclude-flagged,
 * the object "excluded". */
static void json_device(const teai_dataset *ds, const teai_samples *smp, int excl) {
    fputs(",\"group_info\":[", stdout);
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        teai_group_info gi;
        teai_dataset_group_info(ds, g, &gi);
        printf("%s\n{", g ? "," : "");
        json_group_keys(ds, g);
        printf("\"repetitions\":%ld,\"flags_known\":%ld,\"throttled\":%ld,\"noisy\":%ld,"
               "\"charging\":%ld,\"excluded\":%ld,\"membw_gb_s\":",
               gi.reps, gi.flag_known, gi.throttled, gi.noisy, gi.charging, gi.excluded);
        json_num(gi.membw_gb_s);
        fputs(",\"energy_source\":", stdout);
        json_str(gi.energy_source);
        fputs(",\"sensors\":", stdout);
        json_str(gi.sensors);
        putchar('}');
    }
    fputs("\n],\"sustained\":[", stdout);
    int first = 1;
    for (int i = 0; i < teai_samples_n_runs(smp); i++) {
        const teai_sample_run *r = teai_samples_run(smp, i);
        if (!isfinite(r->duration_s)) continue;
        teai_sustained su;
        teai_samples_sustained(r, 30, 60, &su);
        printf("%s\n{\"log_file\":", first ? "" : ",");
        first = 0;
        json_str(r->log_file);
        const char *const kv[5][2] = {{"backend", r->backend},
                                      {"hostname", r->hostname},
                                      {"device", r->device},
                                      {"size", r->size},
                                      {"quantize", r->quantize}};
        for (int k = 0; k < 5; k++) {
            printf(",\"%s\":", kv[k][0]);
            json_str(kv[k][1]);
        }
        const double v[7] = {r->duration_s, su.span_s,     su.first_s,   su.first_tok_s,
                             su.last_s,     su.last_tok_s, su.change_pct};
        static const char *const names[7] = {"duration_s", "span_s",     "first_s",   "first_tok_s",
                                             "last_s",     "last_tok_s", "change_pct"};
        for (int k = 0; k < 7; k++) {
            printf(",\"%s\":", names[k]);
            json_num(v[k]);
        }
        putchar('}');
    }
    fputs("\n]", stdout);
    if (excl) {
        teai_group_info all;
        teai_dataset_group_info(ds, -1, &all);
        printf(",\"excluded\":{\"repetitions\":%ld,\"throttled\":%ld,\"noisy\":%ld,"
               "\"charging\":%ld}",
               all.excluded, all.throttled, all.noisy, all.charging);
    }
}

/* ---- serving: two server labels at the same level (teai load's logs) -------------- */

/* A level of a load run: its mode and its concurrency or rate. */
static double srv_level_value(const teai_serving_level *l) {
    return strcmp(l->mode, "rate") == 0 ? l->rate : l->concurrency;
}

static int srv_same_level(const teai_serving_level *l, const char *mode, double v) {
    double x = srv_level_value(l);
    return strcmp(l->mode, mode) == 0 && (x == v || (isnan(x) && isnan(v)));
}

/* One side of a comparison: the per-request values of a label at a level,
 * pooled over its runs (several logs of one label and level are one
 * sample). */
typedef struct srv_side {
    double *v[3]; /* TTFT, TPOT, E2EL of measured ok requests (ms) */
    size_t n[3];
    long ok, requests;
} srv_side;

static const int srv_metric[3] = {TEAI_SERVING_TTFT, TEAI_SERVING_TPOT, TEAI_SERVING_E2EL};
static const char *const srv_metric_name[3] = {"ttft_ms", "tpot_ms", "e2el_ms"};
static const char *const srv_metric_label[3] = {"TTFT", "TPOT", "E2EL"};

static void srv_side_free(srv_side *sd) {
    for (int m = 0; m < 3; m++) free(sd->v[m]);
    memset(sd, 0, sizeof *sd);
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Pools label's requests at (mode, v). TEAI_ENOMEM. */
static int srv_side_get(teai_serving_run *const *runs, size_t nr, const char *label,
                        const char *mode, double v, srv_side *sd) {
    memset(sd, 0, sizeof *sd);
    for (size_t i = 0; i < nr; i++) {
        if (strcmp(runs[i]->label, label) != 0) continue;
        for (size_t k = 0; k < runs[i]->n_levels; k++) {
            const teai_serving_level *l = &runs[i]->levels[k];
            if (!srv_same_level(l, mode, v)) continue;
            for (size_t q = 0; q < l->n_req; q++) {
                if (l->req[q].warmup) continue;
                sd->requests++;
                sd->ok += l->req[q].ok != 0;
            }
            for (int m = 0; m < 3; m++) {
                double *x;
                size_t n;
                if (teai_serving_values(l, srv_metric[m], &x, &n, NULL)) return TEAI_ENOMEM;
                double *grown = realloc(sd->v[m], sizeof *grown * (sd->n[m] + n + 1));
                if (!grown) {
                    free(x);
                    return TEAI_ENOMEM;
                }
                memcpy(grown + sd->n[m], x, sizeof *x * n);
                sd->v[m] = grown;
                sd->n[m] += n;
                free(x);
            }
        }
    }
    for (int m = 0; m < 3; m++)
        if (sd->n[m]) qsort(sd->v[m], sd->n[m], sizeof *sd->v[m], cmp_dbl);
    return TEAI_OK;
}

/* The distinct labels of the runs, in byte order; *n of them (borrowed). */
static int srv_labels(teai_serving_run *const *runs, size_t nr, const char **out, int cap) {
    int n = 0;
    for (size_t i = 0; i < nr; i++) {
        int k = 0;
        while (k < n && strcmp(out[k], runs[i]->label) != 0) k++;
        if (k < n || n == cap) continue;
        /* insertion in byte order */
        k = n++;
        while (k > 0 && strcmp(out[k - 1], runs[i]->label) > 0) out[k] = out[k - 1], k--;
        out[k] = runs[i]->label;
    }
    return n;
}

/* "35.9 (28.8-45)" or "35.9 (no interval)" */
static void srv_q_text(char *out, size_t cap, const double *x, size_t n, double q) {
    if (!n) {
        snprintf(out, cap, "-");
        return;
    }
    double v = teai_percentile_sorted(x, n, q), lo, hi;
    teai_quantile_interval(x, n, q, &lo, &hi);
    if (isnan(lo))
        snprintf(out, cap, "%.4g (no interval)", v);
    else
        snprintf(out, cap, "%.4g (%.4g-%.4g)", v, lo, hi);
}

typedef struct srv_opts {
    const char *a, *b; /* --serving A,B; NULL: every pair of labels */
    int has_level;
    double level; /* --level: only this concurrency or rate */
} srv_opts;

/* One comparison: a against b at one level, every metric. JSON: an object
 * per metric, *first tracking the commas. */
static void srv_compare_one(const char *a, const char *b, const teai_serving_level *lv,
                            const srv_side *sa, const srv_side *sb, int fmt, int *first) {
    char lvname[64];
    teai_serving_level_name(lvname, sizeof lvname, lv->mode, lv->concurrency, lv->rate);
    if (fmt == F_TEXT || fmt == F_MD) {
        printf("\n%s%s (A) against %s (B) at %s (ok/measured requests: %ld/%ld and %ld/%ld)\n",
               fmt == F_MD ? "#### " : "", a, b, lvname, sa->ok, sa->requests, sb->ok,
               sb->requests);
        if (fmt == F_MD) {
            puts("\n| metric | A median (95% interval) | B median (95% interval) | A p99 (95% "
                 "interval) | B p99 (95% interval) | A/B median | Mann-Whitney |");
            puts("|---|---|---|---|---|---|---|");
        } else {
            printf("  %-6s %-26s %-26s %-26s %-26s %-10s %s\n", "metric", "A median ms (95%)",
                   "B median ms (95%)", "A p99 ms (95%)", "B p99 ms (95%)", "A/B median",
                   "Mann-Whitney");
        }
    }
    for (int m = 0; m < 3; m++) {
        const double *x = sa->v[m], *y = sb->v[m];
        size_t nx = sa->n[m], ny = sb->n[m];
        teai_mwu u = {NAN, NAN, NAN};
        if (nx && ny) teai_mann_whitney(x, nx, y, ny, &u);
        double ma = teai_percentile_sorted(x, nx, 0.5), mb = teai_percentile_sorted(y, ny, 0.5);
        double ratio = mb > 0 ? ma / mb : NAN;
        int sig = !isnan(u.p) && u.p < 0.05;
        if (fmt == F_JSON) {
            printf("%s\n{\"a\":", *first ? "" : ",");
            *first = 0;
            json_str(a);
            fputs(",\"b\":", stdout);
            json_str(b);
            printf(",\"mode\":\"%s\",\"level\":", lv->mode);
            double lvv = srv_level_value(lv);
            if (isinf(lvv))
                fputs("\"inf\"", stdout);
            else
                json_num(lvv);
            printf(",\"metric\":\"%s\"", srv_metric_name[m]);
            const double *s2[2] = {x, y};
            const size_t n2[2] = {nx, ny};
            for (int side = 0; side < 2; side++) {
                const char *p = side ? "b" : "a";
                double lo50, hi50, lo99, hi99;
                teai_quantile_interval(s2[side], n2[side], 0.5, &lo50, &hi50);
                teai_quantile_interval(s2[side], n2[side], 0.99, &lo99, &hi99);
                printf(",\"%s_n\":%zu,\"%s_median\":", p, n2[side], p);
                json_num(teai_percentile_sorted(s2[side], n2[side], 0.5));
                printf(",\"%s_median_lo\":", p);
                json_num(lo50);
                printf(",\"%s_median_hi\":", p);
                json_num(hi50);
                printf(",\"%s_p99\":", p);
                json_num(teai_percentile_sorted(s2[side], n2[side], 0.99));
                printf(",\"%s_p99_lo\":", p);
                json_num(lo99);
                printf(",\"%s_p99_hi\":", p);
                json_num(hi99);
            }
            fputs(",\"median_ratio\":", stdout);
            json_num(ratio);
            fputs(",\"mann_whitney_u\":", stdout);
            json_num(u.u);
            fputs(",\"p\":", stdout);
            json_num(u.p);
            printf(",\"significant\":%s}", sig ? "true" : "false");
            continue;
        }
        char t[4][64], r[32], p[32], verdict[96];
        srv_q_text(t[0], sizeof t[0], x, nx, 0.5);
        srv_q_text(t[1], sizeof t[1], y, ny, 0.5);
        srv_q_text(t[2], sizeof t[2], x, nx, 0.99);
        srv_q_text(t[3], sizeof t[3], y, ny, 0.99);
        num(r, sizeof r, ratio);
        pvalue(p, sizeof p, u.p);
        if (isnan(u.p))
            snprintf(verdict, sizeof verdict, "%s", nx && ny ? p : "not measured on both");
        else
            snprintf(verdict, sizeof verdict, "%s%s%s%s", p, sig ? ", " : "",
                     sig ? (ma < mb ? a : b) : ", not significant at 5%", sig ? " lower" : "");
        if (fmt == F_MD)
            printf("| %s ms | %s | %s | %s | %s | %s | %s |\n", srv_metric_label[m], t[0], t[1],
                   t[2], t[3], r, verdict);
        else
            printf("  %-6s %-26s %-26s %-26s %-26s %-10s %s\n", srv_metric_label[m], t[0], t[1],
                   t[2], t[3], r, verdict);
    }
}

/* The serving comparisons: for each pair of labels (o->a, o->b, or every
 * pair in byte order), each level both measured (or o->level). Text and
 * markdown print a section; JSON the elements of an array. Returns the
 * comparisons made, or -1 out of memory. */
static int srv_report(teai_serving_run *const *runs, size_t nr, const srv_opts *o, int fmt) {
    const char *labels[64];
    int nl = srv_labels(runs, nr, labels, 64);
    int made = 0, first = 1;
    if (fmt == F_TEXT || fmt == F_MD)
        printf("\n%sServing under load: per-request TTFT, TPOT and E2EL (ms) of two servers at "
               "one level; medians and p99 with 95%% distribution-free intervals, two-sided "
               "Mann-Whitney U test\n",
               fmt == F_MD ? "### " : "");
    for (int i = 0; i < nl; i++)
        for (int j = i + 1; j < nl; j++) {
            const char *a = labels[i], *b = labels[j];
            if (o->a) {
                if (strcmp(o->a, labels[i]) == 0 && strcmp(o->b, labels[j]) == 0)
                    a = labels[i], b = labels[j];
                else if (strcmp(o->a, labels[j]) == 0 && strcmp(o->b, labels[i]) == 0)
                    a = labels[j], b = labels[i];
                else
                    continue;
            }
            /* the levels of a, once each, in the order of its runs */
            for (size_t ri = 0; ri < nr; ri++) {
                if (strcmp(runs[ri]->label, a) != 0) continue;
                for (size_t k = 0; k < runs[ri]->n_levels; k++) {
                    const teai_serving_level *lv = &runs[ri]->levels[k];
                    double v = srv_level_value(lv);
                    if (o->has_level && !(v == o->level)) continue;
                    int seen = 0; /* an earlier run or level of a had it */
                    for (size_t r2 = 0; r2 <= ri && !seen; r2++) {
                        if (strcmp(runs[r2]->label, a) != 0) continue;
                        size_t lim = r2 == ri ? k : runs[r2]->n_levels;
                        for (size_t k2 = 0; k2 < lim && !seen; k2++)
                            seen = srv_same_level(&runs[r2]->levels[k2], lv->mode, v);
                    }
                    if (seen) continue;
                    srv_side sa, sb;
                    int st = srv_side_get(runs, nr, a, lv->mode, v, &sa);
                    if (!st)
                        st = srv_side_get(runs, nr, b, lv->mode, v, &sb);
                    else
                        memset(&sb, 0, sizeof sb);
                    if (st) {
                        srv_side_free(&sa), srv_side_free(&sb);
                        return -1;
                    }
                    if (sb.requests) {
                        srv_compare_one(a, b, lv, &sa, &sb, fmt, &first);
                        made++;
                    }
                    srv_side_free(&sa), srv_side_free(&sb);
                }
            }
        }
    if (!made && (fmt == F_TEXT || fmt == F_MD)) {
        if (o->a)
            printf("%s'%s' and '%s' have no level in common (or no such labels: %d labels in "
                   "the logs)\n",
                   fmt == F_MD ? "- " : "  ", o->a, o->b, nl);
        else
            printf("%sno two labels measured at the same level (%d label%s in the logs)\n",
                   fmt == F_MD ? "- " : "  ", nl, nl == 1 ? "" : "s");
    }
    return made;
}

/* Reads teai load's logs under ldir (default dir) and prints the serving
 * comparisons (srv_report); standalone: the only output (JSON: its own
 * object), else a section after the speed statistics (JSON: a member of
 * theirs). Returns the comparisons made (0 also when there are no logs), -1
 * on failure (printed), -2 when --serving was given and there are no logs,
 * -3 when nothing is printed (csv after the group statistics). */
static int srv_section(const char *dir, const char *ldir, const srv_opts *so, int fmt,
                       int standalone) {
    teai_serving_run **runs = NULL;
    size_t n_runs = 0;
    teai_error le = {0};
    int ls = teai_serving_runs_read(ldir ? ldir : dir, print_note, NULL, &runs, &n_runs, NULL, &le);
    if (ls && (ls != TEAI_ENOTFOUND || ldir)) {
        cli_fail("analyze", &le, ls);
        return -1;
    }
    if (!n_runs) {
        teai_serving_runs_free(runs, 0);
        if (so->a) {
            fprintf(stderr, "teai analyze: --serving: no teai load logs in %s\n",
                    ldir ? ldir : dir);
            return -2;
        }
        if (standalone && fmt == F_JSON) puts("{\"serving\":[]}");
        return 0;
    }
    if (fmt == F_CSV) {
        if (!standalone) {
            teai_serving_runs_free(runs, n_runs);
            return -3; /* csv: the group statistics only */
        }
        fmt = F_TEXT;
    }
    if (fmt == F_JSON) fputs(standalone ? "{\"serving\":[" : ",\"serving\":[", stdout);
    int made = srv_report(runs, n_runs, so, fmt);
    if (fmt == F_JSON) fputs(standalone ? "\n]}\n" : "\n]", stdout);
    teai_serving_runs_free(runs, n_runs);
    if (made < 0) fprintf(stderr, "teai analyze: out of memory\n");
    return made;
}

int cmd_analyze(int argc, char **argv) {
    const char *cmd = "analyze", *dir = "benchmark_output", *group_by = NULL;
    int fmt = F_TEXT, excl = 0;
    long seed = TEAI_SEED_DEFAULT, n_boot = TEAI_BOOT_DEFAULT;
    const char *compares[16];
    int n_compares = 0;
    const char *ldir = NULL, *serving = NULL;
    srv_opts so = {NULL, NULL, 0, NAN};
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--group-by")) {
            if (!(group_by = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--format")) {
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (!strcmp(v, "text"))
                fmt = F_TEXT;
            else if (!strcmp(v, "markdown"))
                fmt = F_MD;
            else if (!strcmp(v, "csv"))
                fmt = F_CSV;
            else if (!strcmp(v, "json"))
                fmt = F_JSON;
            else
                return cli_usage_error(cmd, "--format: text, markdown, csv or json, not '%s'", v);
        } else if (cli_is(argv[i], NULL, "--compare")) {
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (n_compares == 16) return cli_usage_error(cmd, "at most 16 --compare");
            compares[n_compares++] = v;
        } else if (cli_is(argv[i], NULL, "--exclude-flagged")) {
            excl = 1;
        } else if (cli_is(argv[i], NULL, "--serving")) {
            if (!(serving = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--load-dir")) {
            if (!(ldir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (!*ldir) return cli_usage_error(cmd, "--load-dir is empty");
        } else if (cli_is(argv[i], NULL, "--level")) {
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            char *end;
            so.level = strtod(v, &end);
            if (end == v || *end || !(so.level > 0))
                return cli_usage_error(cmd, "--level: a concurrency or rate > 0, not '%s'", v);
            so.has_level = 1;
        } else if (cli_is(argv[i], NULL, "--seed")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_int(cmd, "--seed", v, 0, 2147483647L, &seed))
                return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--resamples")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_int(cmd, "--resamples", v, 100, 1000000, &n_boot))
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    char sbuf[512];
    if (serving) {
        snprintf(sbuf, sizeof sbuf, "%s", serving);
        char *comma = strchr(sbuf, ',');
        if (!comma || comma == sbuf || !comma[1])
            return cli_usage_error(cmd, "--serving: two labels A,B, not '%s'", serving);
        *comma = '\0';
        so.a = sbuf, so.b = comma + 1;
    }
    char gbuf[512];
    char *gcols[TEAI_GROUP_MAX_COLS];
    snprintf(gbuf, sizeof gbuf, "%s", group_by ? group_by : "backend,hostname,size,quantize");
    int n_g = split_commas(gbuf, gcols, TEAI_GROUP_MAX_COLS);
    if (n_g < 0) return cli_usage_error(cmd, "--group-by: at most %d columns", TEAI_GROUP_MAX_COLS);

    teai_error err = {0};
    teai_dataset *ds;
    int st = teai_dataset_new((const char *const *)gcols, n_g, &ds, &err);
    if (st) return cli_usage_error(cmd, "--group-by: %s", err.msg);
    teai_dataset_exclude_flagged(ds, excl);
    /* columns older CSVs lack: read as "" there (not a group column: no-op) */
    teai_dataset_allow_missing(ds, "machine", NULL);
    teai_dataset_allow_missing(ds, "device_name", NULL);
    int n_files, n_bad;
    st = teai_dataset_add_dir(ds, dir, print_note, NULL, &n_files, &n_bad, &err);
    if (st) {
        teai_dataset_free(ds);
        cli_fail(cmd, &err, st);
        return st == TEAI_ENOTFOUND ? CLI_EXIT_INPUT : CLI_EXIT_FAIL;
    }
    if (n_files == 0 || teai_dataset_n_groups(ds) == 0) {
        teai_dataset_free(ds);
        /* serving benchmarks alone (teai load's logs) are enough */
        int made = srv_section(dir, ldir, &so, fmt, 1);
        if (made > 0 || made == -1) return made > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
        if (made == 0 && !so.a) {
            if (n_files == 0)
                fprintf(stderr, "teai analyze: %s: no readable *.csv (run teai collate first)\n",
                        dir);
            else
                fprintf(stderr, "teai analyze: %s: the CSVs have no data rows\n", dir);
        }
        return CLI_EXIT_INPUT;
    }

    /* samples.csv, for the sustained runs' first/last rates: optional */
    teai_samples *smp = NULL;
    {
        char sp[4096];
        teai_error se = {0};
        snprintf(sp, sizeof sp, "%s/samples.csv", dir);
        int ss = teai_samples_read(sp, print_note, NULL, &smp, &se);
        if (ss && ss != TEAI_ENOTFOUND) print_note(NULL, se.msg);
    }

    /* comparisons: the --compare list, else every pair of backends */
    teai_compare *cmp[16] = {0};
    int n_cmp[16] = {0}, kcol[16], n_sets = 0;
    char cbuf[16][256];
    if (n_compares == 0 && col_of(ds, "backend") >= 0) compares[n_compares++] = "backend";
    for (int c = 0; c < n_compares; c++) {
        snprintf(cbuf[c], sizeof cbuf[c], "%s", compares[c]);
        char *eq = strchr(cbuf[c], '='), *a = NULL, *b = NULL;
        if (eq) {
            *eq = '\0';
            a = eq + 1;
            char *comma = strchr(a, ',');
            if (!comma || strchr(comma + 1, ',')) {
                teai_dataset_free(ds);
                return cli_usage_error(cmd, "--compare: COL=A,B, not '%s'", compares[c]);
            }
            *comma = '\0';
            b = comma + 1;
        }
        st = teai_dataset_compare(ds, cbuf[c], a, b, (uint64_t)seed, (int)n_boot, &cmp[c],
                                  &n_cmp[c], &err);
        kcol[c] = col_of(ds, cbuf[c]);
        n_sets = c + 1;
        if (st) break;
    }
    if (st) {
        for (int c = 0; c < n_sets; c++) free(cmp[c]);
        teai_dataset_free(ds);
        teai_samples_free(smp);
        if (st == TEAI_EINVAL) return cli_usage_error(cmd, "%s", err.msg);
        return cli_fail(cmd, &err, st);
    }

    int nk = teai_dataset_n_cols(ds);
    if (excl) {
        char line[256];
        excluded_text(ds, line, sizeof line);
        if (fmt == F_TEXT || fmt == F_MD)
            printf("%s\n\n", line);
        else if (fmt == F_CSV)
            fprintf(stderr, "teai analyze: %s\n", line);
    }
    if (fmt == F_CSV || fmt == F_MD) {
        if (fmt == F_MD) fputs("| ", stdout);
        for (int k = 0; k < nk; k++)
            printf("%s%s", teai_dataset_col(ds, k), fmt == F_MD ? " | " : ",");
        const char *h = "metric,unit,n,mean,median,sd,min,max,p90,p99,ci95_lo,ci95_hi,ci_method";
        if (fmt == F_CSV) {
            puts(h);
        } else {
            puts("metric | unit | n | mean | median | sd | min | max | p90 | p99 | 95% CI |");
            for (int k = 0; k < nk + 11; k++) fputs(k ? "---|" : "|---|", stdout);
            putchar('\n');
        }
    }
    int srv_rc = 0;
    if (fmt == F_JSON) fputs("{\"groups\":[", stdout);
    int first = 1;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        if (fmt == F_TEXT) {
            char label[512];
            group_label(ds, g, -1, label, sizeof label);
            printf("%s%s (%ld rows)\n", g ? "\n" : "", label, teai_dataset_rows(ds, g));
            printf("  %-22s %-9s %8s %10s %10s %10s %10s %10s %10s %10s  %s\n", "metric", "unit",
                   "n", "mean", "median", "sd", "min", "max", "p90", "p99", "95% CI of mean");
        }
        int any = 0;
        for (int m = 0; m < TEAI_M_N; m++) {
            if (m == TEAI_M_GB_PER_TOKEN) continue; /* the roofline's x: GB/s over tokens/s */
            size_t n;
            const double *x = teai_dataset_values(ds, g, m, &n);
            if (n == 0) continue;
            any = 1;
            teai_stats s;
            if (teai_stats_compute(x, n, (uint64_t)seed, (int)n_boot, &s)) {
                for (int c = 0; c < n_sets; c++) free(cmp[c]);
                teai_dataset_free(ds);
                teai_samples_free(smp);
                fprintf(stderr, "teai analyze: out of memory\n");
                return CLI_EXIT_FAIL;
            }
            const char *meth = s.ci_method == TEAI_CI_BOOTSTRAP ? "bootstrap"
                               : s.ci_method == TEAI_CI_NORMAL  ? "normal"
                                                                : "none";
            double v[9] = {s.mean, s.median, s.sd, s.min, s.max, s.p90, s.p99, s.ci_lo, s.ci_hi};
            if (fmt == F_JSON) {
                printf("%s\n{", first ? "" : ",");
                first = 0;
                for (int k = 0; k < nk; k++) {
                    json_str(teai_dataset_col(ds, k));
                    putchar(':');
                    json_str(teai_dataset_key(ds, g, k));
                    putchar(',');
                }
                printf("\"metric\":\"%s\",\"unit\":\"%s\",\"n\":%ld", teai_metric_name(m),
                       teai_metric_unit(m), s.n);
                static const char *const names[9] = {"mean", "median", "sd",      "min",    "max",
                                                     "p90",  "p99",    "ci95_lo", "ci95_hi"};
                for (int i = 0; i < 9; i++) {
                    printf(",\"%s\":", names[i]);
                    json_num(v[i]);
                }
                printf(",\"ci_method\":\"%s\"}", meth);
            } else if (fmt == F_CSV) {
                for (int k = 0; k < nk; k++) {
                    csv_str(teai_dataset_key(ds, g, k));
                    putchar(',');
                }
                printf("%s,%s,%ld", teai_metric_name(m), teai_metric_unit(m), s.n);
                for (int i = 0; i < 9; i++) {
                    if (isnan(v[i]))
                        fputs(",", stdout);
                    else
                        printf(",%.17g", v[i]);
                }
                printf(",%s\n", meth);
            } else {
                char t[9][32];
                for (int i = 0; i < 9; i++) num(t[i], sizeof t[i], v[i]);
                char ci[80];
                if (s.ci_method == TEAI_CI_NONE)
                    snprintf(ci, sizeof ci, "- (n < 2)");
                else
                    snprintf(ci, sizeof ci, "%s-%s", t[7], t[8]);
                if (fmt == F_TEXT) {
                    printf("  %-22s %-9s %8ld %10s %10s %10s %10s %10s %10s %10s  %s\n",
                           teai_metric_label(m), teai_metric_unit(m), s.n, t[0], t[1], t[2], t[3],
                           t[4], t[5], t[6], ci);
                    long runs = m == TEAI_M_DECODE_TOK_S ? teai_dataset_run_rates(ds, g) : 0;
                    if (runs)
                        printf("  %-22s (%ld of the %ld are rates over chunks of several tokens: "
                               "per-run rates for llama-bench samples and MLC runs)\n",
                               "", runs, s.n);
                } else {
                    fputs("| ", stdout);
                    for (int k = 0; k < nk; k++) printf("%s | ", teai_dataset_key(ds, g, k));
                    printf("%s | %s | %ld | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                           teai_metric_label(m), teai_metric_unit(m), s.n, t[0], t[1], t[2], t[3],
                           t[4], t[5], t[6], ci);
                }
            }
        }
        if (!any && fmt == F_TEXT) puts("  (no measured rows: only warm-up or empty cells)");
        if (fmt == F_TEXT) print_device(ds, g, smp, 0);
    }
    if (fmt == F_MD) {
        int shown = 0;
        for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
            teai_group_info gi;
            teai_dataset_group_info(ds, g, &gi);
            int has = gi.flag_known || *gi.sensors || isfinite(gi.membw_gb_s);
            for (int i = 0; i < teai_samples_n_runs(smp) && !has; i++)
                has = isfinite(teai_samples_run(smp, i)->duration_s) &&
                      run_in_group(ds, g, teai_samples_run(smp, i));
            if (!has) continue;
            if (!shown++) puts("\n### Device state");
            char label[512];
            group_label(ds, g, -1, label, sizeof label);
            printf("\n%s:\n", label);
            print_device(ds, g, smp, 1);
        }
    }
    if (fmt == F_JSON) {
        fputs("\n]", stdout);
        json_device(ds, smp, excl);
        fputs(",\"comparisons\":[", stdout);
        first = 1;
        for (int c = 0; c < n_sets; c++)
            for (int i = 0; i < n_cmp[c]; i++) {
                const teai_compare *x = &cmp[c][i];
                printf("%s\n{\"column\":", first ? "" : ",");
                first = 0;
                json_str(teai_dataset_col(ds, kcol[c]));
                fputs(",\"a\":", stdout);
                json_str(teai_dataset_key(ds, x->ga, kcol[c]));
                fputs(",\"b\":", stdout);
                json_str(teai_dataset_key(ds, x->gb, kcol[c]));
                char where[512];
                group_label(ds, x->ga, kcol[c], where, sizeof where);
                fputs(",\"at\":", stdout);
                json_str(where);
                fputs(",\"metric\":\"decode_tokens_per_sec\",\"speedup\":", stdout);
                json_num(x->s.ratio);
                fputs(",\"ci95_lo\":", stdout);
                json_num(x->s.ci_lo);
                fputs(",\"ci95_hi\":", stdout);
                json_num(x->s.ci_hi);
                fputs(",\"mann_whitney_u\":", stdout);
                json_num(x->s.mwu.u);
                fputs(",\"p\":", stdout);
                json_num(x->s.mwu.p);
                printf(",\"significant\":%s}", x->s.significant ? "true" : "false");
            }
        fputs("\n]", stdout);
        srv_rc = srv_section(dir, ldir, &so, fmt, 0);
        puts("}");
    } else if (fmt != F_CSV) {
        int shown = 0;
        for (int c = 0; c < n_sets; c++)
            for (int i = 0; i < n_cmp[c]; i++) {
                if (!shown++)
                    printf("\n%sSpeedups (ratio of mean decode tokens/s)\n",
                           fmt == F_MD ? "### " : "");
                if (fmt == F_MD) fputs("- ", stdout);
                print_compare(ds, kcol[c], &cmp[c][i]);
            }
    }
    if (fmt == F_TEXT || fmt == F_MD) {
        print_device_best(dir, excl, fmt == F_MD);
        srv_rc = srv_section(dir, ldir, &so, fmt, 0);
    }
    for (int c = 0; c < n_sets; c++) free(cmp[c]);
    teai_dataset_free(ds);
    teai_samples_free(smp);
    if (srv_rc == -1) return CLI_EXIT_FAIL;
    /* --serving that matched nothing is bad input, as without speed rows */
    return n_bad || srv_rc == -2 || (so.a && srv_rc == 0) ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}
#endif
