/* The pareto figure: an accuracy metric (or KL divergence) from
 * accuracy.csv against decode tokens/s, one point per backend x quantization
 * (x size), joined on backend + size + quantization with the speed data of
 * the device the other figures use; the Pareto frontier drawn through the
 * points no other point beats (see figures.h, docs/plots.md). */
#include "plot/plot_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int teai_accuracy_lower_is_better(const char *m) {
    static const char *const lower[] = {"kl_divergence", "kl", "ppl", "perplexity", "nll", "loss"};
    if (!m) return 0;
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        if (!strcmp(m, lower[i])) return 1;
    size_t n = strlen(m);
    return n > 5 && !strcmp(m + n - 5, "_loss");
}

#define MAXP (MAXS * MAXC) /* points */

/* One configuration: its latest accuracy result and its decode speed. */
typedef struct ppoint {
    char join[64];       /* teai_log_csv_name of the backend */
    const char *backend; /* the speed data's backend name (colour, legend) */
    const char *size, *quant, *stamp;
    long row; /* in the accuracy rows */
    double y, y_lo, y_hi, n_eval;
    double x, x_lo, x_hi;
    long n_tok;
    int frontier;
    char label[96], name[128];
} ppoint;

typedef struct pset {
    ppoint p[MAXP];
    int n;
    int n_sizes;
} pset;

/* The dataset groups of dev/size/quant whose backend joins with `join`;
 * their decode values pooled into *p (p->v NULL when none); *backend gets the
 * first group's backend name. */
static int join_pool(const teai_dataset *ds, const teai__fig_device *dev, const char *size,
                     const char *quant, const char *join, teai__pool *p, const char **backend) {
    *p = (teai__pool){0};
    *backend = NULL;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        if (!teai__fig_on_device(ds, g, dev) || strcmp(size, teai_dataset_key(ds, g, K_SIZE)) ||
            strcmp(quant, teai_dataset_key(ds, g, K_QUANT)))
            continue;
        char jb[64];
        const char *b = teai_dataset_key(ds, g, K_BACKEND);
        if (teai_log_csv_name(b, jb, sizeof jb) || strcmp(jb, join)) continue;
        size_t n;
        const double *x = teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &n);
        if (!n) continue;
        if (!*backend) *backend = b;
        if (teai__pool_add(p, x, n)) return TEAI_ENOMEM;
    }
    return TEAI_OK;
}

/* The points of env:metric that join with speed data on dev; with stats
 * (speed CIs, labels) only when full is set. */
static int collect(const teai_dataset *ds, const teai__fig_device *dev, const teai_acc_rows *rows,
                   const char *env, const char *metric, int full, pset *ps) {
    ps->n = 0;
    for (long r = 0; r < teai_acc_rows_count(rows); r++) {
        if (strcmp(teai_acc_rows_cell(rows, r, TEAI_ACC_ENV), env) ||
            strcmp(teai_acc_rows_cell(rows, r, TEAI_ACC_METRIC), metric))
            continue;
        double y = teai_acc_rows_num(rows, r, TEAI_ACC_VALUE);
        const char *rc = teai_acc_rows_cell(rows, r, TEAI_ACC_RETURNCODE);
        if (!isfinite(y) || (*rc && teai_acc_rows_num(rows, r, TEAI_ACC_RETURNCODE) != 0)) continue;
        char join[64];
        if (teai_log_csv_name(teai_acc_rows_cell(rows, r, TEAI_ACC_BACKEND), join, sizeof join))
            continue;
        const char *size = teai_acc_rows_cell(rows, r, TEAI_ACC_SIZE);
        const char *quant = teai_acc_rows_cell(rows, r, TEAI_ACC_QUANT);
        const char *stamp = teai_acc_rows_cell(rows, r, TEAI_ACC_TIMESTAMP);
        int k = 0;
        while (k < ps->n && (strcmp(ps->p[k].join, join) || strcmp(ps->p[k].size, size) ||
                             strcmp(ps->p[k].quant, quant)))
            k++;
        if (k < ps->n) { /* the same configuration again: keep the latest */
            if (strcmp(stamp, ps->p[k].stamp) >= 0) ps->p[k].row = r, ps->p[k].stamp = stamp;
            continue;
        }
        if (ps->n == MAXP) continue;
        teai__pool p;
        const char *b;
        if (join_pool(ds, dev, size, quant, join, &p, &b)) return TEAI_ENOMEM;
        if (!p.n) continue;
        ppoint *q = &ps->p[ps->n++];
        memset(q, 0, sizeof *q);
        snprintf(q->join, sizeof q->join, "%s", join);
        q->backend = b, q->size = size, q->quant = quant, q->stamp = stamp, q->row = r;
        if (full) {
            teai_stats ts;
            int st = teai_stats_compute(p.v, p.n, TEAI_SEED_DEFAULT, BOOTS, &ts);
            if (st) {
                free(p.v);
                return st;
            }
            q->x = ts.mean, q->x_lo = ts.ci_lo, q->x_hi = ts.ci_hi, q->n_tok = ts.n;
        }
        free(p.v);
    }
    if (!full) return TEAI_OK;
    ps->n_sizes = 0;
    for (int i = 0; i < ps->n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= !strcmp(ps->p[j].size, ps->p[i].size);
        ps->n_sizes += !seen;
    }
    for (int i = 0; i < ps->n; i++) {
        ppoint *q = &ps->p[i];
        long r = q->row;
        q->y = teai_acc_rows_num(rows, r, TEAI_ACC_VALUE);
        q->y_lo = teai_acc_rows_num(rows, r, TEAI_ACC_CI_LOW);
        q->y_hi = teai_acc_rows_num(rows, r, TEAI_ACC_CI_HIGH);
        double se = teai_acc_rows_num(rows, r, TEAI_ACC_STDERR);
        if (!isfinite(q->y_lo) || !isfinite(q->y_hi)) {
            q->y_lo = isfinite(se) ? q->y - 1.96 * se : NAN;
            q->y_hi = isfinite(se) ? q->y + 1.96 * se : NAN;
        }
        q->n_eval = teai_acc_rows_num(rows, r, TEAI_ACC_N);
        if (!isfinite(q->n_eval)) q->n_eval = teai_acc_rows_num(rows, r, TEAI_ACC_NUM_EXAMPLES);
        char lab[sizeof q->label], name[sizeof q->name];
        if (snprintf(lab, sizeof lab, "%s%s%s", ps->n_sizes > 1 ? q->size : "",
                     ps->n_sizes > 1 ? " " : "", q->quant) >= (int)sizeof lab)
            lab[sizeof lab - 1] = '\0'; /* cut */
        if (snprintf(name, sizeof name, "%s %s", q->backend, lab) >= (int)sizeof name)
            name[sizeof name - 1] = '\0';
        memcpy(q->label, lab, sizeof lab);
        memcpy(q->name, name, sizeof name);
    }
    return TEAI_OK;
}

/* Marks the points no other point beats: at least as fast and at least as
 * good, and better in one of the two. */
static void mark_frontier(pset *ps, int lower) {
    for (int i = 0; i < ps->n; i++) {
        ppoint *a = &ps->p[i];
        a->frontier = 1;
        for (int j = 0; j < ps->n && a->frontier; j++) {
            const ppoint *b = &ps->p[j];
            if (j == i) continue;
            int as_good = lower ? b->y <= a->y : b->y >= a->y;
            int better = lower ? b->y < a->y : b->y > a->y;
            if (b->x >= a->x && as_good && (b->x > a->x || better)) a->frontier = 0;
        }
    }
}

/* Chooses env:metric: the given one, or the default (see figures.h). */
static int pick_metric(const teai_dataset *ds, const teai__fig_device *dev,
                       const teai_acc_rows *rows, const char *want, char *env, char *metric,
                       size_t cap, pset *ps) {
    if (want && *want) {
        const char *colon = strchr(want, ':');
        if (!colon || colon == want || !colon[1]) return TEAI_EINVAL;
        snprintf(env, cap, "%.*s", (int)(colon - want), want);
        snprintf(metric, cap, "%s", colon + 1);
        return collect(ds, dev, rows, env, metric, 0, ps);
    }
    int best = 0;
    env[0] = metric[0] = '\0';
    for (long r = 0; r < teai_acc_rows_count(rows); r++) {
        const char *e = teai_acc_rows_cell(rows, r, TEAI_ACC_ENV);
        if (strcmp(teai_acc_rows_cell(rows, r, TEAI_ACC_METRIC), "reward") ||
            !strcmp(e, "perplexity") || !strcmp(e, env))
            continue;
        if (r > 0 && !strcmp(e, teai_acc_rows_cell(rows, r - 1, TEAI_ACC_ENV)) &&
            !strcmp("reward", teai_acc_rows_cell(rows, r - 1, TEAI_ACC_METRIC)))
            continue; /* rows are sorted: this environment was counted */
        int st = collect(ds, dev, rows, e, "reward", 0, ps);
        if (st) return st;
        if (ps->n > best) {
            best = ps->n;
            snprintf(env, cap, "%s", e);
            snprintf(metric, cap, "reward");
        }
    }
    static const char *const fallback[] = {"kl_divergence", "ppl"};
    for (int k = 0; k < 2 && !best; k++) {
        int st = collect(ds, dev, rows, "perplexity", fallback[k], 0, ps);
        if (st) return st;
        if (ps->n) {
            best = ps->n;
            snprintf(env, cap, "perplexity");
            snprintf(metric, cap, "%s", fallback[k]);
        }
    }
    ps->n = best; /* the count of the choice, not of the last one tried */
    return TEAI_OK;
}

static const char *metric_unit(const char *m) {
    if (!strcmp(m, "reward")) return "mean per example";
    if (!strcmp(m, "kl_divergence")) return "nats/token";
    if (!strcmp(m, "ppl")) return "perplexity";
    if (!strcmp(m, "top1_agreement")) return "fraction";
    if (!strcmp(m, "delta_p")) return "probability";
    return "as reported";
}

/* A short list of the configurations in the accuracy rows, for a reason. */
static void list_configs(const teai_acc_rows *rows, char *buf, size_t cap) {
    buf[0] = '\0';
    int n = 0;
    for (long r = 0; r < teai_acc_rows_count(rows) && n < 4; r++) {
        char one[200];
        snprintf(one, sizeof one, "%s %s %s", teai_acc_rows_cell(rows, r, TEAI_ACC_BACKEND),
                 teai_acc_rows_cell(rows, r, TEAI_ACC_SIZE),
                 teai_acc_rows_cell(rows, r, TEAI_ACC_QUANT));
        if (strstr(buf, one)) continue;
        teai__fig_append(buf, cap, "%s%s", n ? ", " : "", one);
        n++;
    }
}

int teai__fig_pareto(const teai_dataset *ds, const teai_figure_accuracy *acc, const char *path,
                     teai_plot_format fmt, const teai_plot_params *pp, char *msg, size_t cap) {
    if (!acc || !acc->rows)
        return teai__plot_say(msg, cap, 0, "no accuracy.csv (run teai eval, then teai collate)");
    const teai_acc_rows *rows = acc->rows;
    if (!teai_acc_rows_count(rows))
        return teai__plot_say(msg, cap, 0, "accuracy.csv has no results");
    teai__fig_device dv;
    const teai__fig_device *dev = &dv;
    if (!teai__fig_primary_device(ds, &dv))
        return teai__plot_say(msg, cap, 0, "no measured decode rows in the CSVs");
    pset *ps = malloc(sizeof *ps);
    if (!ps) return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    char env[128], metric[128], configs[600];
    int st = pick_metric(ds, dev, rows, acc->metric, env, metric, sizeof env, ps);
    if (st == TEAI_EINVAL) {
        free(ps);
        return teai__plot_say(msg, cap, st,
                              "accuracy metric '%s' is not ENV:METRIC (e.g. gsm8k:reward)",
                              acc->metric);
    }
    if (!st && !ps->n) {
        list_configs(rows, configs, sizeof configs);
        free(ps);
        int any = 0;
        for (long r = 0; r < teai_acc_rows_count(rows) && !any && acc->metric && *acc->metric; r++)
            any = !strcmp(teai_acc_rows_cell(rows, r, TEAI_ACC_ENV), env) &&
                  !strcmp(teai_acc_rows_cell(rows, r, TEAI_ACC_METRIC), metric);
        if (acc->metric && *acc->metric && !any)
            return teai__plot_say(msg, cap, 0, "accuracy.csv has no %s results", acc->metric);
        if (acc->metric && *acc->metric)
            return teai__plot_say(
                msg, cap, 0,
                "no %s result joins with the speed data of device %s (join on backend + size "
                "+ quantization; accuracy.csv has %s)",
                acc->metric, dev->label, configs);
        return teai__plot_say(
            msg, cap, 0,
            "no accuracy result joins with the speed data of device %s (join on backend + "
            "size + quantization; accuracy.csv has %s)",
            dev->label, configs);
    }
    if (!st) st = collect(ds, dev, rows, env, metric, 1, ps);
    if (st) {
        free(ps);
        return teai__plot_say(msg, cap, st, "out of memory");
    }
    int lower = teai_accuracy_lower_is_better(metric);
    mark_frontier(ps, lower);

    /* series: the frontier line first (drawn under the points), then one per
     * backend, named as in the other figures so colours agree */
    teai_chart_point *pts = calloc(2 * MAXP, sizeof *pts);
    teai_chart_xy_series xs[MAXS + 1];
    if (!pts) {
        free(ps);
        return teai__plot_say(msg, cap, TEAI_ENOMEM, "out of memory");
    }
    teai_chart_point *fp = pts + MAXP; /* frontier, by x */
    int nf = 0, nx = 0, used = 0;
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].frontier) {
            int k = nf++;
            while (k > 0 && fp[k - 1].x > ps->p[i].x) fp[k] = fp[k - 1], k--;
            fp[k] = (teai_chart_point){ps->p[i].x, ps->p[i].y, NAN, NAN, NAN, NAN, NULL};
        }
    if (nf > 1) xs[nx++] = (teai_chart_xy_series){"Pareto frontier", fp, (size_t)nf, 1};
    const char *ser[MAXS];
    int nser = 0;
    for (int i = 0; i < ps->n; i++)
        if (teai__fig_find(ser, nser, ps->p[i].backend) < 0 && nser < MAXS)
            ser[nser++] = ps->p[i].backend;
    for (int s = 0; s < nser; s++) {
        int start = used;
        for (int i = 0; i < ps->n; i++) {
            const ppoint *q = &ps->p[i];
            if (strcmp(q->backend, ser[s])) continue;
            pts[used++] =
                (teai_chart_point){q->x, q->y, q->x_lo, q->x_hi, q->y_lo, q->y_hi, q->label};
        }
        xs[nx++] = (teai_chart_xy_series){ser[s], pts + start, (size_t)(used - start), 0};
    }

    /* sample sizes */
    long ntok = 0;
    double nmin = INFINITY, nmax = -INFINITY;
    int no_ci = 0;
    for (int i = 0; i < ps->n; i++) {
        ntok += ps->p[i].n_tok;
        if (isfinite(ps->p[i].n_eval)) {
            nmin = fmin(nmin, ps->p[i].n_eval);
            nmax = fmax(nmax, ps->p[i].n_eval);
        }
        no_ci += !isfinite(ps->p[i].y_lo);
    }
    char nbuf[64];
    if (!isfinite(nmin))
        snprintf(nbuf, sizeof nbuf, "n not recorded");
    else if (nmin == nmax)
        snprintf(nbuf, sizeof nbuf, "n=%.0f each", nmin);
    else
        snprintf(nbuf, sizeof nbuf, "n=%.0f-%.0f", nmin, nmax);
    /* one line that fits the chart's width: units and details go to the axes */
    char sub[512], title[256], ylabel[256];
    snprintf(sub, sizeof sub,
             "device %s; %ld tokens, %s; bars: 95%% CI%s; line: frontier, %s is better", dev->label,
             ntok, nbuf,
             no_ci == ps->n ? " (x only)"
             : no_ci        ? " (y partly)"
                            : "",
             lower ? "lower" : "higher");
    if (snprintf(title, sizeof title, "%s %s vs. decode speed", env, metric) >= (int)sizeof title)
        title[sizeof title - 1] = '\0'; /* cut */
    if (snprintf(ylabel, sizeof ylabel, "%s (%s)", metric, metric_unit(metric)) >=
        (int)sizeof ylabel)
        ylabel[sizeof ylabel - 1] = '\0';
    teai_chart ch = teai_chart_init(TEAI_CHART_XY);
    ch.title = title, ch.subtitle = sub;
    ch.x_label = "Decode throughput (tokens/s)", ch.y_label = ylabel;
    ch.xy = xs, ch.n_xy = (size_t)nx;
    st = teai__fig_write_chart(&ch, path, fmt, pp, msg, cap);
    if (st == 1) {
        /* the fastest frontier point against the best one */
        int f = -1, b = -1;
        for (int i = 0; i < ps->n; i++) {
            const ppoint *q = &ps->p[i];
            if (!q->frontier) continue;
            if (f < 0 || q->x > ps->p[f].x) f = i;
            if (b < 0 || (lower ? q->y < ps->p[b].y : q->y > ps->p[b].y)) b = i;
        }
        const ppoint *F = &ps->p[f], *B = &ps->p[b];
        char ci[96];
        teai__fig_ci_text(ci, sizeof ci, F->x_lo, F->x_hi, 4, F->n_tok);
        if (ps->n == 1)
            teai__plot_say(msg, cap, 1,
                           "one configuration joins: %s at %.4g tokens/s (%s) with %s %s %.3g",
                           F->name, F->x, ci, env, metric, F->y);
        else if (f == b)
            teai__plot_say(msg, cap, 1,
                           "%s dominates: fastest (%.4g tokens/s, %s) and best %s %s (%.3g) of %d "
                           "configurations",
                           F->name, F->x, ci, env, metric, F->y, ps->n);
        else
            teai__plot_say(
                msg, cap, 1,
                "%s is on the frontier: %.3gx faster than %s for %+.3g %s (%.3g vs %.3g); %d of "
                "%d configurations on the frontier",
                F->name, F->x / B->x, B->name, F->y - B->y, metric, F->y, B->y, nf, ps->n);
    }
    free(pts);
    free(ps);
    return st;
}
