/* The serving figures (figures.h), from serving.csv (teai collate of
 * `teai load`'s logs): serving_curve (latency percentiles against output
 * tokens/s, one line per server label and load mode, one point per level,
 * 95% order-statistic intervals as bars; panels TTFT p50, TTFT p99 and TPOT
 * p99) and latency_breakdown (TTFT and TPOT p50/p90/p95/p99 per label and
 * level as bars, intervals on p50 and p99). Empty cells are not measured:
 * they are left out of the curve and read "not measured" in the bars,
 * never 0. */
#include "plot/plot_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *teai_serving_figure_name(int fig) {
    static const char *const names[TEAI_SFIG_N] = {"serving_curve", "latency_breakdown"};
    return fig >= 0 && fig < TEAI_SFIG_N ? names[fig] : NULL;
}

/* A line of the curve: one server label in one load mode. */
typedef struct sline {
    const char *label, *mode;
    long rows[MAXC]; /* its rows, by level */
    int n;
} sline;

/* The level a row measured: its concurrency or rate (inf: all at once). */
static double level_of(const teai_serving_table *t, long r) {
    const char *mode = teai_serving_table_str(t, r, "mode");
    return teai_serving_table_num(t, r, strcmp(mode, "rate") == 0 ? "rate" : "concurrency");
}

/* Groups the rows into lines (label, mode) in order of first appearance, rows
 * within a line by level (unknown levels last). Returns the lines; rows past
 * MAXS lines or MAXC rows a line are counted in *n_left. */
static int group_lines(const teai_serving_table *t, sline *ls, long *n_left) {
    int n = 0;
    *n_left = 0;
    for (long r = 0; r < teai_serving_table_rows(t); r++) {
        const char *label = teai_serving_table_str(t, r, "label");
        const char *mode = teai_serving_table_str(t, r, "mode");
        int i = 0;
        while (i < n && !(strcmp(ls[i].label, label) == 0 && strcmp(ls[i].mode, mode) == 0)) i++;
        if (i == n) {
            if (n == MAXS) {
                (*n_left)++;
                continue;
            }
            ls[n++] = (sline){label, mode, {0}, 0};
        }
        if (ls[i].n == MAXC) {
            (*n_left)++;
            continue;
        }
        /* insertion by level */
        double lv = level_of(t, r);
        int k = ls[i].n;
        while (k > 0) {
            double prev = level_of(t, ls[i].rows[k - 1]);
            if (!(isnan(prev) || prev > lv)) break;
            ls[i].rows[k] = ls[i].rows[k - 1];
            k--;
        }
        ls[i].rows[k] = r;
        ls[i].n++;
    }
    return n;
}

/* The line's name: the label, with the mode when the label has lines in both. */
static void line_name(const sline *ls, int n, int i, char *out, size_t cap) {
    int both = 0;
    for (int k = 0; k < n; k++)
        if (k != i && strcmp(ls[k].label, ls[i].label) == 0) both = 1;
    if (both)
        snprintf(out, cap, "%s (%s)", *ls[i].label ? ls[i].label : "?", ls[i].mode);
    else
        snprintf(out, cap, "%s", *ls[i].label ? ls[i].label : "?");
}

static void row_level_name(const teai_serving_table *t, long r, char *out, size_t cap) {
    teai_serving_level_name(out, cap, teai_serving_table_str(t, r, "mode"),
                            teai_serving_table_num(t, r, "concurrency"),
                            teai_serving_table_num(t, r, "rate"));
}

static long total_requests(const teai_serving_table *t) {
    long n = 0;
    for (long r = 0; r < teai_serving_table_rows(t); r++) {
        double v = teai_serving_table_num(t, r, "requests");
        if (v > 0) n += (long)v;
    }
    return n;
}

/* ---- serving_curve ------------------------------------------------------------- */

enum { NPANEL = 3 };
static const char *const panel_col[NPANEL] = {"ttft_p50", "ttft_p99", "tpot_p99"};
static const char *const panel_ylabel[NPANEL] = {"TTFT p50 (ms)", "TTFT p99 (ms)", "TPOT p99 (ms)"};

static int serving_curve(const teai_serving_table *t, const char *path, teai_plot_format format,
                         const teai_plot_params *params, char *msg, size_t cap) {
    sline ls[MAXS];
    long n_left;
    int nl = group_lines(t, ls, &n_left);
    teai_chart_point pts[NPANEL][MAXS][MAXC]; /* 64 KiB */
    char names[MAXS][160], lvnames[MAXS][MAXC][32];
    teai_chart_xy_series xy[NPANEL][MAXS];
    teai_chart charts[NPANEL];
    int n_charts = 0;
    long n_points = 0;
    /* the finding: the highest output throughput any level reached */
    double best_x = -1;
    int best_l = -1, best_k = -1;
    for (int i = 0; i < nl; i++) {
        line_name(ls, nl, i, names[i], sizeof names[i]);
        for (int k = 0; k < ls[i].n; k++) {
            row_level_name(t, ls[i].rows[k], lvnames[i][k], sizeof lvnames[i][k]);
            double x = teai_serving_table_num(t, ls[i].rows[k], "output_throughput");
            if (x > best_x) best_x = x, best_l = i, best_k = k;
        }
    }
    for (int p = 0; p < NPANEL; p++) {
        int ns = 0, n_here = 0;
        char col[64], clo[64], chi[64];
        snprintf(col, sizeof col, "%s_ms", panel_col[p]);
        snprintf(clo, sizeof clo, "%s_lo_ms", panel_col[p]);
        snprintf(chi, sizeof chi, "%s_hi_ms", panel_col[p]);
        for (int i = 0; i < nl; i++) {
            int np = 0;
            for (int k = 0; k < ls[i].n; k++) {
                long r = ls[i].rows[k];
                double x = teai_serving_table_num(t, r, "output_throughput");
                double y = teai_serving_table_num(t, r, col);
                if (!isfinite(x) || !isfinite(y)) continue; /* not measured: no point */
                pts[p][i][np++] = (teai_chart_point){x,
                                                     y,
                                                     NAN,
                                                     NAN,
                                                     teai_serving_table_num(t, r, clo),
                                                     teai_serving_table_num(t, r, chi),
                                                     lvnames[i][k]};
            }
            if (np) xy[p][ns++] = (teai_chart_xy_series){names[i], pts[p][i], (size_t)np, 1};
            n_here += np;
        }
        if (!ns) continue;
        n_points += n_here;
        teai_chart c = teai_chart_init(TEAI_CHART_XY);
        c.x_label = "Output throughput (tokens/s)";
        c.y_label = panel_ylabel[p];
        c.xy = xy[p];
        c.n_xy = (size_t)ns;
        charts[n_charts++] = c;
    }
    if (!n_charts)
        return teai__plot_say(msg, cap, 0,
                              "serving.csv has no level with both an output throughput and a "
                              "latency percentile (every request failed?)");
    char sub[512];
    snprintf(sub, sizeof sub,
             "one line per server and load mode, one point per level (%ld rows, %ld requests); "
             "bars: 95%% distribution-free intervals of the percentile%s",
             teai_serving_table_rows(t), total_requests(t),
             n_left ? "; some rows left out (too many lines or levels)" : "");
    charts[0].title = "Latency against output throughput under load";
    charts[0].subtitle = sub;
    teai_plot_params pp = params ? *params : teai_plot_default_params();
    pp.height *= n_charts > 1 ? 1.0 + 0.35 * (n_charts - 1) : 1.0; /* room for each panel */
    char err[512];
    int st = teai_chart_write_stack(charts, n_charts, path, format, &pp, err, sizeof err);
    if (st < 0) return teai__plot_say(msg, cap, st, "%s", err);
    if (best_l >= 0) {
        long r = ls[best_l].rows[best_k];
        char a[40], b[40];
        double ttft = teai_serving_table_num(t, r, "ttft_p99_ms");
        double tpot = teai_serving_table_num(t, r, "tpot_p99_ms");
        if (isnan(ttft))
            snprintf(a, sizeof a, "not measured");
        else
            snprintf(a, sizeof a, "%.4g ms", ttft);
        if (isnan(tpot))
            snprintf(b, sizeof b, "not measured");
        else
            snprintf(b, sizeof b, "%.4g ms", tpot);
        return teai__plot_say(msg, cap, 1,
                              "Highest output throughput: %s at %s, %.4g tokens/s, with TTFT p99 "
                              "%s and TPOT p99 %s.",
                              names[best_l], lvnames[best_l][best_k], best_x, a, b);
    }
    return teai__plot_say(msg, cap, 1, "%ld levels drawn.", n_points);
}

/* ---- latency_breakdown --------------------------------------------------------- */

static const char *const pct_name[4] = {"p50", "p90", "p95", "p99"};

static int latency_breakdown(const teai_serving_table *t, const char *path, teai_plot_format format,
                             const teai_plot_params *params, char *msg, size_t cap) {
    sline ls[MAXS];
    long n_left;
    int nl = group_lines(t, ls, &n_left);
    /* categories: every (line, level) row, up to MAXC */
    long rows[MAXC];
    char cats[MAXC][32], notes[MAXC][160];
    const char *cat_p[MAXC], *note_p[MAXC];
    int nc = 0;
    for (int i = 0; i < nl; i++) {
        char name[160];
        line_name(ls, nl, i, name, sizeof name);
        for (int k = 0; k < ls[i].n; k++) {
            if (nc == MAXC) {
                n_left++;
                continue;
            }
            rows[nc] = ls[i].rows[k];
            row_level_name(t, rows[nc], cats[nc], sizeof cats[nc]);
            snprintf(notes[nc], sizeof notes[nc], "%s", name);
            cat_p[nc] = cats[nc], note_p[nc] = notes[nc];
            nc++;
        }
    }
    static const char *const metric[2] = {"ttft", "tpot"};
    static const char *const ylabel[2] = {"TTFT (ms)", "TPOT (ms)"};
    double v[2][4][MAXC], lo[2][4][MAXC], hi[2][4][MAXC];
    teai_chart_series ser[2][4];
    teai_chart charts[2];
    int n_charts = 0;
    double worst = -1;
    int worst_c = -1;
    for (int m = 0; m < 2; m++) {
        int any = 0;
        for (int q = 0; q < 4; q++) {
            char col[64], clo[64], chi[64];
            snprintf(col, sizeof col, "%s_%s_ms", metric[m], pct_name[q]);
            snprintf(clo, sizeof clo, "%s_%s_lo_ms", metric[m], pct_name[q]);
            snprintf(chi, sizeof chi, "%s_%s_hi_ms", metric[m], pct_name[q]);
            for (int c = 0; c < nc; c++) {
                v[m][q][c] = teai_serving_table_num(t, rows[c], col);
                /* intervals: p50 and p99 have them in serving.csv */
                lo[m][q][c] = teai_serving_table_num(t, rows[c], clo);
                hi[m][q][c] = teai_serving_table_num(t, rows[c], chi);
                if (!isnan(v[m][q][c])) any = 1;
                if (m == 0 && q == 3 && v[m][q][c] > worst) worst = v[m][q][c], worst_c = c;
            }
            ser[m][q] = (teai_chart_series){pct_name[q], v[m][q], lo[m][q], hi[m][q]};
        }
        if (!any) continue;
        teai_chart c = teai_chart_init(TEAI_CHART_BARS);
        c.y_label = ylabel[m];
        c.categories = cat_p;
        c.n_categories = (size_t)nc;
        c.cat_notes = note_p;
        c.series = ser[m];
        c.n_series = 4;
        c.na_text = "not measured";
        charts[n_charts++] = c;
    }
    if (!n_charts)
        return teai__plot_say(msg, cap, 0,
                              "serving.csv has no TTFT or TPOT percentile (every request failed?)");
    char sub[512];
    snprintf(sub, sizeof sub,
             "percentiles of each level's ok requests (%ld rows, %ld requests); bars on p50 and "
             "p99: 95%% distribution-free intervals%s",
             teai_serving_table_rows(t), total_requests(t),
             n_left ? "; some rows left out (too many levels)" : "");
    charts[0].title = "Latency breakdown per level: TTFT and TPOT percentiles";
    charts[0].subtitle = sub;
    teai_plot_params pp = params ? *params : teai_plot_default_params();
    pp.height *= n_charts > 1 ? 1.4 : 1.0;
    char err[512];
    int st = teai_chart_write_stack(charts, n_charts, path, format, &pp, err, sizeof err);
    if (st < 0) return teai__plot_say(msg, cap, st, "%s", err);
    if (worst_c >= 0)
        return teai__plot_say(msg, cap, 1, "Highest TTFT p99: %.4g ms (p50 %.4g ms) for %s at %s.",
                              worst, v[0][0][worst_c], notes[worst_c], cats[worst_c]);
    return teai__plot_say(msg, cap, 1, "TTFT not measured at any level; TPOT shown.");
}

int teai_serving_figure_write(int fig, const teai_serving_table *t, const char *path,
                              teai_plot_format format, const teai_plot_params *params, char *msg,
                              size_t cap) {
    if (!t || !teai_serving_table_rows(t))
        return teai__plot_say(msg, cap, 0, "no rows in serving.csv (run teai load, then collate)");
    if (fig == TEAI_SFIG_SERVING_CURVE) return serving_curve(t, path, format, params, msg, cap);
    if (fig == TEAI_SFIG_LATENCY_BREAKDOWN)
        return latency_breakdown(t, path, format, params, msg, cap);
    return teai__plot_say(msg, cap, TEAI_EINVAL, "no serving figure %d", fig);
}
