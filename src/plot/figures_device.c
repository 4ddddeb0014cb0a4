/* The figures of what the device did (figures.h): roofline (decode speed
 * against the bytes a token reads, under each device's measured read
 * bandwidth) and thermal_timeline (tokens/s and temperature over a run,
 * throttled stretches shaded). */
#include "plot/plot_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- roofline ------------------------------------------------------------------ */

#define MAXDEV 8 /* roofs of one figure */

/* A roof: one device's read bandwidth as measured with a run's thread
 * count (membw_gb_s), so a device measured at several thread counts has a
 * roof for each, and every configuration is set against its own. */
typedef struct device {
    teai__fig_device id; /* the device (its label names it) */
    double membw;        /* measured read bandwidth, GB/s; NAN none */
} device;

/* The roof of group g (its device and measured bandwidth), added to dv when
 * new and there is room; its index, or nd when there is none. */
static int roof_of(const teai_dataset *ds, int g, device *dv, int *nd, int add) {
    teai_group_info gi;
    double bw =
        !teai_dataset_group_info(ds, g, &gi) && isfinite(gi.membw_gb_s) ? gi.membw_gb_s : NAN;
    int i = 0;
    while (i < *nd && (!teai__fig_on_device(ds, g, &dv[i].id) ||
                       !(dv[i].membw == bw || (isnan(dv[i].membw) && isnan(bw)))))
        i++;
    if (i == *nd && add && *nd < MAXDEV) {
        /* the group's device, labelled as the figures label it */
        teai__fig_device id = {0};
        id.host = teai_dataset_key(ds, g, K_HOST), id.dev = teai_dataset_key(ds, g, K_DEV);
        id.mach = teai_dataset_key(ds, g, K_MACH), id.name = teai_dataset_key(ds, g, K_NAME);
        teai__fig_device_label(ds, &id);
        dv[(*nd)++] = (device){id, bw};
    }
    return i;
}

/* A configuration's point: x the mean GB read per decoded token (per decode
 * row: memory_throughput_gb_s / tokens_per_sec), y the mean decode tokens/s,
 * both with their 95% CIs. */
static int point_of(const teai_dataset *ds, int g, teai_chart_point *p, teai_stats *ty,
                    teai_stats *tx) {
    size_t nx, ny;
    const double *x = teai_dataset_values(ds, g, TEAI_M_GB_PER_TOKEN, &nx);
    const double *y = teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &ny);
    if (!nx || !ny) return 0;
    if (teai_stats_compute(x, nx, TEAI_SEED_DEFAULT, BOOTS, tx) ||
        teai_stats_compute(y, ny, TEAI_SEED_DEFAULT, BOOTS, ty))
        return TEAI_ENOMEM;
    if (!(tx->mean > 0) || !(ty->mean > 0)) return 0;
    p->x = tx->mean, p->y = ty->mean;
    p->x_lo = tx->ci_lo > 0 ? tx->ci_lo : NAN, p->x_hi = tx->ci_hi > 0 ? tx->ci_hi : NAN;
    p->y_lo = ty->ci_lo > 0 ? ty->ci_lo : NAN, p->y_hi = ty->ci_hi > 0 ? ty->ci_hi : NAN;
    return 1;
}

int teai__fig_roofline(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap) {
    static teai_chart_point pts[MAXS][MAXC];
    static char plab[MAXS][MAXC][400];
    const char *ser[MAXS];
    int np[MAXS] = {0}, ns = 0, nd = 0, st;
    device dv[MAXDEV];
    /* the devices with points, and their roofs */
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        teai_dataset_values(ds, g, TEAI_M_GB_PER_TOKEN, &n);
        if (n) roof_of(ds, g, dv, &nd, 1);
    }
    if (!nd)
        return teai__plot_say(msg, cap, 0,
                              "no decode rows with both memory_throughput_gb_s and tokens_per_sec");
    int n_dev = 0; /* distinct devices among the roofs: points say theirs when several */
    for (int i = 0; i < nd; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= !strcmp(dv[j].id.label, dv[i].id.label);
        n_dev += !seen;
    }
    char best[2048] = "";
    double best_frac = -1;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        int di = roof_of(ds, g, dv, &nd, 0);
        if (di == nd) continue;
        const char *b = teai_dataset_key(ds, g, K_BACKEND);
        int s = teai__fig_find(ser, ns, b);
        if (s < 0 && ns < MAXS) s = ns, ser[ns++] = b;
        if (s < 0 || np[s] >= MAXC) continue;
        teai_chart_point *p = &pts[s][np[s]];
        teai_stats ty, tx;
        if ((st = point_of(ds, g, p, &ty, &tx)) < 0)
            return teai__plot_say(msg, cap, st, "out of memory");
        if (!st) continue;
        char *l = plab[s][np[s]];
        snprintf(l, sizeof plab[0][0], "%s %s%s%s", teai_dataset_key(ds, g, K_SIZE),
                 teai_dataset_key(ds, g, K_QUANT), n_dev > 1 ? " @" : "",
                 n_dev > 1 ? dv[di].id.label : "");
        p->label = l;
        np[s]++;
        /* the configuration closest to its roof */
        double frac = isfinite(dv[di].membw) ? p->y * p->x / dv[di].membw : NAN;
        if (frac > best_frac) {
            char ci[96];
            best_frac = frac;
            snprintf(best, sizeof best,
                     "%s %s decodes at %.0f%% of the roof of %s (%.4g GB/s measured): %.3g GB a "
                     "token at %.4g tokens/s (%s, n=%ld)",
                     b, l, frac * 100, dv[di].id.label, dv[di].membw, p->x, p->y,
                     teai__fig_ci_text(ci, sizeof ci, ty.ci_lo, ty.ci_hi, 4, -1), ty.n);
        } else if (best_frac < 0 && !*best) {
            snprintf(best, sizeof best, "%s %s reads %.3g GB a token at %.4g tokens/s", b, l, p->x,
                     p->y);
        }
    }
    if (best_frac > 1)
        teai__fig_append(best, sizeof best,
                         "; above the roof: the weights stay in the CPU's caches, or the "
                         "bandwidth was measured low (a busy machine: teai probe --force)");
    teai_chart_xy_series xs[MAXS];
    int nx = 0;
    for (int s = 0; s < ns; s++)
        if (np[s]) xs[nx++] = (teai_chart_xy_series){ser[s], pts[s], (size_t)np[s], 0};
    if (!nx)
        return teai__plot_say(msg, cap, 0,
                              "no configuration with positive GB per token and tokens/s");
    teai_chart_slope roofs[MAXDEV];
    char rlab[MAXDEV][320], sub[1024];
    int nr = 0;
    snprintf(sub, sizeof sub,
             "points: configurations, mean with 95%% CIs; line: the device's "
             "read bandwidth measured at the run's threads (tokens/s = GB/s / GB per token)");
    for (int i = 0; i < nd; i++) {
        const char *name = dv[i].id.label;
        int seen = 0; /* said once per device */
        for (int j = 0; j < i; j++) seen |= !strcmp(dv[j].id.label, name) && isnan(dv[j].membw);
        if (!isfinite(dv[i].membw)) {
            if (!seen)
                teai__fig_append(sub, sizeof sub, "; %s: no measured bandwidth, no roof", name);
            continue;
        }
        snprintf(rlab[nr], sizeof rlab[nr], "%s: %.4g GB/s", name, dv[i].membw);
        roofs[nr] = (teai_chart_slope){dv[i].membw, INFINITY, rlab[nr], 1};
        nr++;
    }
    teai_chart ch = teai_chart_init(TEAI_CHART_XY);
    ch.title = "Decode roofline (measured read bandwidth)", ch.subtitle = sub;
    ch.x_label = "Bytes read per decoded token (GB)", ch.y_label = "Decode throughput (tokens/s)";
    ch.xy = xs, ch.n_xy = (size_t)nx, ch.x_log = ch.y_log = 1;
    ch.slopes = roofs, ch.n_slopes = (size_t)nr;
    st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
    if (st == 1)
        teai__plot_say(msg, cap, 1, "%s%s", best,
                       nr ? "" : "; no device has a measured bandwidth (teai probe measures it)");
    return st;
}

/* ---- thermal_timeline ------------------------------------------------------------ */

#define MAXRUNS  6
#define MAXBANDS 64

/* Time span of run r's samples, ms (0 when fewer than two). */
static double run_span(const teai_sample_run *r) {
    double lo = INFINITY, hi = -INFINITY;
    for (long i = 0; i < r->n; i++)
        if (isfinite(r->t_ms[i])) lo = fmin(lo, r->t_ms[i]), hi = fmax(hi, r->t_ms[i]);
    return hi > lo ? hi - lo : 0;
}

typedef struct trun {
    const teai_sample_run *r;
    char name[160];
    teai_chart_point *rate, *temp; /* (r->n,) each */
    size_t n_rate, n_temp;
} trun;

int teai__fig_thermal(const teai_samples *samples, const char *path, teai_plot_format fmt,
                      const teai_plot_params *pp, char *msg, size_t cap) {
    if (!samples || !teai_samples_n_runs(samples))
        return teai__plot_say(msg, cap, 0,
                              "no samples.csv in the folder (teai bench records sensor samples, "
                              "teai collate writes samples.csv)");
    trun tr[MAXRUNS];
    int nt = 0, sustained = 1;
    for (int i = 0; i < teai_samples_n_runs(samples) && nt < MAXRUNS; i++)
        if (isfinite(teai_samples_run(samples, i)->duration_s))
            tr[nt++].r = teai_samples_run(samples, i);
    if (!nt) { /* no sustained run: the longest one */
        sustained = 0;
        double best = 0;
        for (int i = 0; i < teai_samples_n_runs(samples); i++) {
            double sp = run_span(teai_samples_run(samples, i));
            if (sp > best) best = sp, tr[0].r = teai_samples_run(samples, i), nt = 1;
        }
        if (!nt) return teai__plot_say(msg, cap, 0, "samples.csv has no run of two samples");
    }
    teai_chart_band bands[MAXBANDS];
    int nb = 0, st = TEAI_OK;
    double throttled_s = 0, temp_max = NAN;
    size_t n_temp_all = 0, n_rate_all = 0;
    int throttle_known = 0; /* some sample has a clock or a throttle counter */
    for (int k = 0; k < nt; k++) {
        const teai_sample_run *r = tr[k].r;
        snprintf(tr[k].name, sizeof tr[k].name, "%s %s %s (%s)", r->backend, r->size, r->quantize,
                 *r->hostname ? r->hostname : "?");
        tr[k].rate = calloc((size_t)r->n + 1, sizeof *tr[k].rate);
        tr[k].temp = calloc((size_t)r->n + 1, sizeof *tr[k].temp);
        double *ts = malloc(((size_t)r->n + 1) * sizeof *ts);
        double *rt = malloc(((size_t)r->n + 1) * sizeof *rt);
        unsigned char *th = malloc((size_t)r->n + 1);
        if (!tr[k].rate || !tr[k].temp || !ts || !rt || !th) {
            free(ts), free(rt), free(th);
            for (int j = 0; j <= k; j++) free(tr[j].rate), free(tr[j].temp);
            return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
        }
        size_t n = teai_samples_rates(r, 1.0, ts, rt, (size_t)r->n);
        for (size_t i = 0; i < n; i++)
            tr[k].rate[i] = (teai_chart_point){ts[i], rt[i], NAN, NAN, NAN, NAN, NULL};
        tr[k].n_rate = n;
        n_rate_all += n;
        tr[k].n_temp = 0;
        for (long i = 0; i < r->n; i++)
            if (isfinite(r->temp_c[i]) && isfinite(r->t_ms[i])) {
                tr[k].temp[tr[k].n_temp++] =
                    (teai_chart_point){r->t_ms[i] / 1000, r->temp_c[i], NAN, NAN, NAN, NAN, NULL};
                if (!(temp_max >= r->temp_c[i])) temp_max = r->temp_c[i];
            }
        n_temp_all += tr[k].n_temp;
        for (long i = 0; i < r->n; i++)
            throttle_known |= isfinite(r->clock_mhz[i]) || isfinite(r->throttle_count[i]);
        /* throttled stretches: from the sample before a marked one to it */
        teai_samples_throttled(r, th);
        for (long i = 1; i < r->n; i++) {
            if (!th[i] || !isfinite(r->t_ms[i]) || !isfinite(r->t_ms[i - 1])) continue;
            double x0 = r->t_ms[i - 1] / 1000, x1 = r->t_ms[i] / 1000;
            throttled_s += k == 0 ? x1 - x0 : 0;
            if (nb && bands[nb - 1].x1 >= x0)
                bands[nb - 1].x1 = fmax(bands[nb - 1].x1, x1);
            else if (nb < MAXBANDS)
                bands[nb++] = (teai_chart_band){x0, x1};
        }
        free(ts), free(rt), free(th);
    }
    if (!n_rate_all) {
        for (int k = 0; k < nt; k++) free(tr[k].rate), free(tr[k].temp);
        return teai__plot_say(msg, cap, 0, "samples.csv has no tokens counter to take rates from");
    }
    teai_chart_xy_series rs[MAXRUNS], tsr[MAXRUNS];
    int nrs = 0, nts = 0;
    for (int k = 0; k < nt; k++) {
        if (tr[k].n_rate)
            rs[nrs++] = (teai_chart_xy_series){tr[k].name, tr[k].rate, tr[k].n_rate, 2};
        if (tr[k].n_temp)
            tsr[nts++] = (teai_chart_xy_series){tr[k].name, tr[k].temp, tr[k].n_temp, 2};
    }
    char sub[768], sub2[256];
    if (sustained)
        snprintf(sub, sizeof sub, "sustained run%s (teai bench --duration)", nt > 1 ? "s" : "");
    else
        snprintf(sub, sizeof sub,
                 "no sustained run (teai bench --duration): the longest run with samples, %s",
                 tr[0].r->log_file);
    if (throttle_known)
        teai__fig_append(sub, sizeof sub,
                         "; tokens/s over ~1 s windows of samples.csv; shaded: throttled (clock "
                         "below 85%% of the highest so far, or throttle counters rose)%s",
                         nb ? "" : ", none seen");
    else
        teai__fig_append(sub, sizeof sub,
                         "; tokens/s over ~1 s windows of samples.csv; throttling unknown (no "
                         "clock or throttle sensor)");
    if (!nts) teai__fig_append(sub, sizeof sub, "; no temperature sensor");
    snprintf(sub2, sizeof sub2, "%s",
             n_temp_all ? "hottest sensor reading at each sample"
                        : "no temperature sensor: no readings");
    teai_chart ch[2];
    ch[0] = teai_chart_init(TEAI_CHART_XY);
    ch[0].title = nts ? "Decode rate and temperature over time" : "Decode rate over time";
    ch[0].subtitle = sub;
    ch[0].x_label = "Time since the run started (s)", ch[0].y_label = "Decode (tokens/s)";
    ch[0].xy = rs, ch[0].n_xy = (size_t)nrs, ch[0].bands = bands, ch[0].n_bands = (size_t)nb;
    ch[1] = teai_chart_init(TEAI_CHART_XY);
    ch[1].subtitle = sub2;
    ch[1].x_label = "Time since the run started (s)", ch[1].y_label = "Temperature (°C)";
    ch[1].xy = tsr, ch[1].n_xy = (size_t)nts, ch[1].bands = bands, ch[1].n_bands = (size_t)nb;
    char err[512] = "";
    st = teai_chart_write_stack(ch, nts ? 2 : 1, path, fmt, pp, err, sizeof err);
    if (st) {
        teai__plot_say(msg, cap, st, "%s", err[0] ? err : "cannot write the chart");
    } else {
        teai_sustained su;
        teai_samples_sustained(tr[0].r, 30, 60, &su);
        char rate[256] = "", tmax[64] = "";
        if (isfinite(su.first_tok_s) && isfinite(su.last_tok_s))
            snprintf(rate, sizeof rate, ": first %.0f s %.4g tokens/s, last %.0f s %.4g tokens/s",
                     su.first_s, su.first_tok_s, su.last_s, su.last_tok_s);
        if (isfinite(su.change_pct))
            teai__fig_append(rate, sizeof rate, " (%+.1f%%)", su.change_pct);
        if (isfinite(temp_max)) snprintf(tmax, sizeof tmax, "; up to %.1f °C", temp_max);
        if (throttle_known)
            teai__plot_say(msg, cap, 1, "%s%s%s; throttled for %.0f s", tr[0].name, rate, tmax,
                           throttled_s);
        else
            teai__plot_say(msg, cap, 1, "%s%s%s; throttling unknown (no clock or throttle sensor)",
                           tr[0].name, rate, tmax);
        st = 1;
    }
    for (int k = 0; k < nt; k++) free(tr[k].rate), free(tr[k].temp);
    return st;
}
