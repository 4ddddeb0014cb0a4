/* Drawing a teai_chart onto a cairo_t: layout (title, subtitle, legend, axes
 * with nice ticks), then the bars, boxes or points. All sizes derive from the
 * base font size f, itself a fraction of the chart's rectangle, so a chart
 * reads the same at any size. Margins come from measured text (cairo
 * extents), never fixed widths: the subtitle wraps to the width, the y label
 * fits the plot's height, the reference label avoids the data (ref_place). */
#include "plot/chart.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct axis {
    double lo, hi; /* data range shown */
    int log;       /* log10 scale */
} axis;

typedef struct ctx {
    cairo_t *cr;
    const teai_chart *ch;
    double x, y, w, h;     /* whole chart rectangle */
    double px, py, pw, ph; /* plot area */
    double f;              /* base font size */
    axis ax, ay;
    double ref[4];          /* the reference label's box {x0, y0, x1, y1}, NAN = none */
    double ref_fs;          /* its font size */
    int ref_margin;         /* 1: the label sits in a right margin taken from the plot */
    teai_chart_layout *lay; /* filled when non-NULL (teai__chart_layout) */
    char *err;
    size_t errcap;
} ctx;

#define LEGEND_MAX 64
#define WRAP_LINES 4   /* the most lines a subtitle or y label is wrapped into */
#define WRAP_CAP   512 /* bytes of one wrapped line */
#define CHART_PI   3.14159265358979323846

static int fail(ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, int status, const char *fmt, ...) {
    if (c->err && c->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errcap, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* ---- text ---------------------------------------------------------------- */

static void font(ctx *c, double size, int bold) {
    cairo_select_font_face(c->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->cr, size);
}

static double text_w(ctx *c, const char *s, double size, int bold) {
    cairo_text_extents_t te;
    font(c, size, bold);
    cairo_text_extents(c->cr, s, &te);
    return te.x_advance;
}

/* Height of the font's box (ascent + descent) at size. */
static double text_h(ctx *c, double size, int bold) {
    cairo_font_extents_t fe;
    font(c, size, bold);
    cairo_font_extents(c->cr, &fe);
    return fe.ascent + fe.descent;
}

/* Greedy word wrap of s at spaces into lines no wider than maxw (a single
 * word wider than maxw gets a line of its own). Stores the first WRAP_LINES
 * lines in out; returns how many lines s needs. */
static int wrap(ctx *c, const char *s, double size, int bold, double maxw,
                char out[WRAP_LINES][WRAP_CAP]) {
    const char *ls = NULL; /* the current line: ll bytes from ls */
    size_t ll = 0;
    char cand[WRAP_CAP];
    int n = 0;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        size_t wl = strcspn(s, " ");
        if (!ls) {
            ls = s, ll = wl;
        } else {
            size_t cl = (size_t)(s + wl - ls);
            snprintf(cand, sizeof cand, "%.*s", (int)cl, ls);
            if (text_w(c, cand, size, bold) > maxw) {
                if (n < WRAP_LINES) snprintf(out[n], WRAP_CAP, "%.*s", (int)ll, ls);
                n++;
                ls = s, ll = wl;
            } else {
                ll = cl;
            }
        }
        s += wl;
    }
    if (ls) {
        if (n < WRAP_LINES) snprintf(out[n], WRAP_CAP, "%.*s", (int)ll, ls);
        n++;
    }
    return n;
}

/* Draws s anchored at (x, y): ha 0 = left .. 1 = right, va 0 = top .. 1 =
 * bottom of the font's box; angle in radians around the anchor. */
static void text_at(ctx *c, const char *s, double x, double y, double size, int bold, double ha,
                    double va, double angle) {
    cairo_font_extents_t fe;
    cairo_text_extents_t te;
    font(c, size, bold);
    cairo_font_extents(c->cr, &fe);
    cairo_text_extents(c->cr, s, &te);
    cairo_save(c->cr);
    cairo_translate(c->cr, x, y);
    cairo_rotate(c->cr, angle);
    cairo_move_to(c->cr, -ha * te.x_advance, fe.ascent - va * (fe.ascent + fe.descent));
    cairo_show_text(c->cr, s);
    cairo_restore(c->cr);
}

/* A tick label: decimals from the step, k/M/G/T/P for large magnitudes, and
 * powers of ten ("2e+44") beyond them or for tiny steps. */
static void fmt_num(char *buf, size_t cap, double v, double step) {
    static const char *suffix[] = {"", "k", "M", "G", "T", "P"};
    double a = fabs(v), scale = 1;
    int si = 0;
    if (fabs(v) < step * 1e-6) v = 0, a = 0;
    if (a >= 1e19 || (step > 0 && step < 1e-6) || step >= 1e19) {
        /* significant digits from the step: 1.5e+44 and 2e+44 stay apart */
        int digits = step > 0 && a > 0 ? (int)ceil(log10(a / step) - 1e-9) + 1 : 1;
        if (digits < 1) digits = 1;
        if (digits > 6) digits = 6;
        if (a == 0)
            snprintf(buf, cap, "0");
        else
            snprintf(buf, cap, "%.*g", digits, v);
        return;
    }
    while (a / scale >= 1e4 && si < 5) scale *= 1e3, si++;
    double st = step / scale;
    int dec = st > 0 && st < 1 ? (int)ceil(-log10(st) - 1e-9) : 0;
    if (dec > 6) dec = 6;
    snprintf(buf, cap, "%.*f%s", dec, v / scale, suffix[si]);
}

/* ---- mapping ------------------------------------------------------------- */

static double tr(const axis *a, double v) {
    return a->log ? log10(v) : v;
}

static double map_x(const ctx *c, double v) {
    return c->px + c->pw * (tr(&c->ax, v) - tr(&c->ax, c->ax.lo)) /
                       (tr(&c->ax, c->ax.hi) - tr(&c->ax, c->ax.lo));
}

static double map_y(const ctx *c, double v) {
    return c->py + c->ph -
           c->ph * (tr(&c->ay, v) - tr(&c->ay, c->ay.lo)) /
               (tr(&c->ay, c->ay.hi) - tr(&c->ay, c->ay.lo));
}

/* Widens [lo, hi] to nice tick bounds (linear) or whole decades (log). */
static void nice_range(axis *a, double lo, double hi, int pad) {
    if (a->log) {
        lo = floor(log10(lo) + 1e-9);
        hi = ceil(log10(hi) - 1e-9);
        if (hi <= lo) hi = lo + 1;
        a->lo = pow(10, lo);
        a->hi = pow(10, hi);
        return;
    }
    if (!(hi > lo)) {
        double d = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
        lo -= d, hi += d;
    }
    if (pad) {
        /* Padding never takes an axis of non-negative data below 0. */
        double d = (hi - lo) * 0.05;
        lo = lo >= 0 && lo - d < 0 ? 0 : lo - d;
        hi += d;
    }
    double t0, st;
    int n = teai_chart_ticks(lo, hi, 6, &t0, &st);
    a->lo = t0;
    a->hi = t0 + (n - 1) * st;
}

/* Tick values of an axis into t (at most cap); returns the count. */
static int axis_ticks(const axis *a, double *t, int cap, double *step) {
    int n = 0;
    if (a->log) {
        int d0 = (int)lround(log10(a->lo)), d1 = (int)lround(log10(a->hi));
        int every = (d1 - d0) > 8 ? 2 : 1;
        for (int d = d0; d <= d1 && n < cap; d += every) t[n++] = pow(10, d);
        *step = 0;
        return n;
    }
    double t0, st;
    int m = teai_chart_ticks(a->lo, a->hi, 6, &t0, &st);
    for (int i = 0; i < m && n < cap; i++) {
        double v = t0 + i * st;
        if (v >= a->lo - st * 1e-6 && v <= a->hi + st * 1e-6) t[n++] = v;
    }
    *step = st;
    return n;
}

static void tick_label(char *buf, size_t cap, const axis *a, double v, double step) {
    if (a->log) /* decades: each label's own magnitude sets its decimals (10k, not 10.000k) */
        fmt_num(buf, cap, v, v);
    else
        fmt_num(buf, cap, v, step);
}

/* ---- validation and ranges ------------------------------------------------ */

static int finite_or_nan(double v) {
    return isfinite(v) || isnan(v);
}

static int validate(ctx *c) {
    const teai_chart *ch = c->ch;
    if (!ch->y_label || !*ch->y_label)
        return fail(c, TEAI_EINVAL, "chart: the y axis needs a label with its unit");
    switch (ch->kind) {
        case TEAI_CHART_BARS:
            if (!ch->n_categories || !ch->categories || !ch->n_series || !ch->series)
                return fail(c, TEAI_EINVAL, "bar chart: no categories or no series");
            for (size_t s = 0; s < ch->n_series; s++) {
                if (!ch->series[s].values)
                    return fail(c, TEAI_EINVAL, "bar chart: series %zu has no values", s);
                for (size_t i = 0; i < ch->n_categories; i++)
                    if (!finite_or_nan(ch->series[s].values[i]))
                        return fail(c, TEAI_EINVAL, "bar chart: series %zu: infinite value", s);
            }
            return TEAI_OK;
        case TEAI_CHART_BOXES:
            if (!ch->n_dists || !ch->dists)
                return fail(c, TEAI_EINVAL, "box plot: no distributions");
            return TEAI_OK;
        case TEAI_CHART_XY:
            if (!ch->x_label || !*ch->x_label)
                return fail(c, TEAI_EINVAL, "xy chart: the x axis needs a label with its unit");
            if (!ch->n_xy || !ch->xy) return fail(c, TEAI_EINVAL, "xy chart: no series");
            return TEAI_OK;
    }
    return fail(c, TEAI_EINVAL, "chart: unknown kind %d", (int)ch->kind);
}

typedef struct range {
    double lo, hi;
} range;

static void extend(range *r, double v) {
    if (!isfinite(v)) return;
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

static int ranges(ctx *c) {
    const teai_chart *ch = c->ch;
    range ry = {INFINITY, -INFINITY}, rx = {INFINITY, -INFINITY};
    c->ax.log = ch->kind == TEAI_CHART_XY && ch->x_log;
    c->ay.log = ch->kind == TEAI_CHART_XY && ch->y_log;
    extend(&ry, ch->kind == TEAI_CHART_XY ? NAN : ch->ref_y);
    if (ch->kind == TEAI_CHART_BARS) {
        extend(&ry, 0); /* honesty: bars grow from 0 */
        for (size_t s = 0; s < ch->n_series; s++) {
            const teai_chart_series *se = &ch->series[s];
            for (size_t i = 0; i < ch->n_categories; i++) {
                extend(&ry, se->values[i]);
                if (se->lo) extend(&ry, se->lo[i]);
                if (se->hi) extend(&ry, se->hi[i]);
            }
        }
        if (!(ry.hi > ry.lo)) ry.hi = ry.lo + 1;
        nice_range(&c->ay, ry.lo, ry.hi, 0);
        return TEAI_OK;
    }
    if (ch->kind == TEAI_CHART_BOXES) {
        for (size_t d = 0; d < ch->n_dists; d++)
            for (size_t i = 0; i < ch->dists[d].n; i++) extend(&ry, ch->dists[d].values[i]);
        if (!isfinite(ry.lo)) ry.lo = 0, ry.hi = 1;
        nice_range(&c->ay, ry.lo, ry.hi, 1);
        return TEAI_OK;
    }
    for (size_t s = 0; s < ch->n_xy; s++) {
        for (size_t i = 0; i < ch->xy[s].n; i++) {
            const teai_chart_point *p = &ch->xy[s].points[i];
            double xs[3] = {p->x, p->x_lo, p->x_hi}, ys[3] = {p->y, p->y_lo, p->y_hi};
            for (int k = 0; k < 3; k++) {
                if ((c->ax.log && xs[k] <= 0) || (c->ay.log && ys[k] <= 0))
                    return fail(c, TEAI_EINVAL,
                                "xy chart: series \"%s\" point %zu: value <= 0 "
                                "on a log axis",
                                ch->xy[s].name ? ch->xy[s].name : "", i);
                extend(&rx, xs[k]);
                extend(&ry, ys[k]);
            }
        }
    }
    for (size_t i = 0; i < ch->n_slopes; i++) extend(&ry, ch->slopes[i].y_cap);
    if (!isfinite(rx.lo) || !isfinite(ry.lo))
        return fail(c, TEAI_EINVAL, "xy chart: no finite point");
    for (size_t i = 0; i < ch->n_slopes; i++) /* an inverse roof shows over the points' x */
        if (ch->slopes[i].inverse && rx.lo > 0) {
            extend(&ry, fmin(ch->slopes[i].k / rx.lo, ch->slopes[i].y_cap));
            extend(&ry, fmin(ch->slopes[i].k / rx.hi, ch->slopes[i].y_cap));
        }
    nice_range(&c->ax, rx.lo, rx.hi, 1);
    nice_range(&c->ay, ry.lo, ry.hi, 1);
    return TEAI_OK;
}

/* ---- frame: titles, legend, axes ----------------------------------------- */

static size_t legend_names(const teai_chart *ch, const char **names) {
    size_t n = 0;
    size_t count = ch->kind == TEAI_CHART_BARS    ? ch->n_series
                   : ch->kind == TEAI_CHART_BOXES ? ch->n_dists
                                                  : ch->n_xy;
    for (size_t i = 0; i < count && n < LEGEND_MAX; i++) {
        const char *s = ch->kind == TEAI_CHART_BARS    ? ch->series[i].name
                        : ch->kind == TEAI_CHART_BOXES ? ch->dists[i].series
                                                       : ch->xy[i].name;
        if (!s || !*s) continue;
        size_t j = 0;
        while (j < n && strcmp(names[j], s) != 0) j++;
        if (j == n) names[n++] = s;
    }
    return n;
}

static void set_rgb(cairo_t *cr, const double rgb[3], double k) {
    cairo_set_source_rgb(cr, rgb[0] * k, rgb[1] * k, rgb[2] * k);
}

/* Lays out and draws the legend rows centred at the top (starting at *top);
 * advances *top. */
static void legend(ctx *c, double *top) {
    const char *names[LEGEND_MAX];
    size_t n = legend_names(c->ch, names);
    if (!n) return;
    double fs = c->f * 0.9, sw = fs * 0.9, gap = fs * 0.4, sep = fs * 1.3;
    double maxw = c->w - 2 * c->f;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        double rw = 0;
        while (j < n) {
            double ew = sw + gap + text_w(c, names[j], fs, 0);
            if (j > i && rw + sep + ew > maxw) break;
            rw += (j > i ? sep : 0) + ew;
            j++;
        }
        double x = c->x + (c->w - rw) / 2, yc = *top + fs * 0.7;
        for (size_t k = i; k < j; k++) {
            double rgb[3];
            teai_chart_color(names[k], rgb);
            set_rgb(c->cr, rgb, 1);
            cairo_rectangle(c->cr, x, yc - sw / 2, sw, sw);
            cairo_fill(c->cr);
            cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
            text_at(c, names[k], x + sw + gap, yc, fs, 0, 0, 0.5, 0);
            x += sw + gap + text_w(c, names[k], fs, 0) + sep;
        }
        *top += fs * 1.5;
        i = j;
    }
}

/* Draws the subtitle centred at *top, wrapped to the chart's width: one line
 * at 0.85 f when it fits, else up to 2, 3, 4 lines at smaller sizes (a
 * subtitle lists every backend's n); the rest of a longer one is cut with
 * "...". A line still wider (one long word) is shrunk to fit. Advances *top. */
static void subtitle(ctx *c, double *top) {
    static const double size_k[] = {0.85, 0.85, 0.75, 0.65};
    char lines[WRAP_LINES][WRAP_CAP];
    double avail = c->w - c->f * 1.6, fs = c->f;
    int n = 0;
    for (int k = 0; k < WRAP_LINES; k++) {
        fs = c->f * size_k[k];
        n = wrap(c, c->ch->subtitle, fs, 0, avail, lines);
        if (n <= k + 1) break;
    }
    if (n > WRAP_LINES) { /* cut the last line so that "..." fits */
        char *last = lines[WRAP_LINES - 1], tmp[WRAP_CAP];
        size_t len = strlen(last);
        if (len > WRAP_CAP - 4) len = WRAP_CAP - 4;
        n = WRAP_LINES;
        do {
            snprintf(tmp, sizeof tmp, "%.*s...", (int)len, last);
        } while (len-- > 0 && text_w(c, tmp, fs, 0) > avail);
        memcpy(last, tmp, strlen(tmp) + 1);
    }
    double x0 = c->x + c->w / 2, x1 = x0, y0 = *top;
    cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
    for (int i = 0; i < n; i++) {
        double lw = text_w(c, lines[i], fs, 0), ls = lw > avail ? fs * avail / lw : fs;
        text_at(c, lines[i], c->x + c->w / 2, *top, ls, 0, 0.5, 0, 0);
        lw = text_w(c, lines[i], ls, 0);
        x0 = fmin(x0, c->x + (c->w - lw) / 2), x1 = fmax(x1, c->x + (c->w + lw) / 2);
        *top += fs * (i + 1 < n ? 1.2 : 1.4);
    }
    if (c->lay) {
        double *b = c->lay->subtitle;
        b[0] = x0, b[1] = y0, b[2] = x1, b[3] = y0 + fs * 1.2 * n;
        c->lay->subtitle_lines = n;
    }
}

/* The y label along a plot of height avail: one line at f when it fits,
 * else one line shrunk to no less than 0.75 f, else two lines at 0.85 f (or
 * smaller, so that both fit). Writes the lines, the size and the longest
 * line's length; returns the number of lines. */
static int y_label_fit(ctx *c, double avail, char lines[WRAP_LINES][WRAP_CAP], double *fs,
                       double *len) {
    const char *s = c->ch->y_label;
    double f = c->f, w = text_w(c, s, f, 0);
    int n = 1;
    snprintf(lines[0], WRAP_CAP, "%s", s);
    *fs = f;
    if (w > avail && f * avail / w >= f * 0.75) {
        *fs = f * avail / w;
    } else if (w > avail) {
        *fs = f * 0.85;
        /* two lines of about half the length each */
        double w2 = text_w(c, s, *fs, 0);
        for (double k = 0.55; k < 0.9; k += 0.1)
            if ((n = wrap(c, s, *fs, 0, w2 * k, lines)) <= 2) break;
        if (n > 2) {
            n = 1;
            snprintf(lines[0], WRAP_CAP, "%s", s);
        }
    }
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, text_w(c, lines[i], *fs, 0));
    if (m > avail && m > 0) *fs *= avail / m, m = avail;
    *len = m;
    return n;
}

/* Bar s of category i: left edge x, width bw (screen). Returns 0 when the
 * bar takes no slot (a sparse chart's missing value beside measured ones). */
static int bar_x(const ctx *c, size_t i, size_t s, double *x, double *bw) {
    const teai_chart *ch = c->ch;
    double slot = c->pw / (double)ch->n_categories;
    if (!ch->sparse) {
        *bw = slot * 0.8 / (double)ch->n_series;
        *x = c->px + slot * (double)i + slot * 0.1 + *bw * (double)s;
        return 1;
    }
    size_t k = 0, at = 0; /* measured series in the category, and s's rank among them */
    for (size_t t = 0; t < ch->n_series; t++)
        if (!isnan(ch->series[t].values[i])) {
            if (t < s) at++;
            k++;
        }
    if (isnan(ch->series[s].values[i]) && (k || s)) return 0; /* the first one says na_text */
    if (!k) k = 1;
    *bw = fmin(slot * 0.8 / (double)k, slot * 0.45);
    *x = c->px + slot * (double)i + (slot - *bw * (double)k) / 2 + *bw * (double)at;
    return 1;
}

static const char *na_text(const ctx *c) {
    return c->ch->na_text && *c->ch->na_text ? c->ch->na_text : "n/a";
}

static int overlaps(const double a[4], double x0, double y0, double x1, double y1) {
    return a[0] < x1 && x0 < a[2] && a[1] < y1 && y0 < a[3];
}

/* 1 if box b (screen) touches a bar, its error bar or "n/a", or a box plot's
 * whiskers and outliers. */
static int occupied(const ctx *c, const double b[4]) {
    const teai_chart *ch = c->ch;
    double m = c->f * 0.15, y0 = map_y(c, 0);
    if (ch->kind == TEAI_CHART_BARS) {
        for (size_t i = 0; i < ch->n_categories; i++)
            for (size_t s = 0; s < ch->n_series; s++) {
                const teai_chart_series *se = &ch->series[s];
                double x, bw, v = se->values[i], ylo = y0, yhi = y0;
                if (!bar_x(c, i, s, &x, &bw)) continue;
                if (isnan(v)) {
                    ylo -= c->f; /* "n/a" above the axis */
                } else {
                    double e[3] = {v, se->lo ? se->lo[i] : NAN, se->hi ? se->hi[i] : NAN};
                    for (int k = 0; k < 3; k++)
                        if (isfinite(e[k]))
                            ylo = fmin(ylo, map_y(c, e[k])), yhi = fmax(yhi, map_y(c, e[k]));
                }
                if (overlaps(b, x - m, ylo - m, x + bw + m, yhi + m)) return 1;
            }
    } else if (ch->kind == TEAI_CHART_BOXES) {
        double slot = c->pw / (double)ch->n_dists;
        for (size_t d = 0; d < ch->n_dists; d++) {
            const teai_chart_dist *di = &ch->dists[d];
            double xc = c->px + slot * ((double)d + 0.5), lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; di->values && i < di->n; i++)
                if (isfinite(di->values[i]))
                    lo = fmin(lo, di->values[i]), hi = fmax(hi, di->values[i]);
            double ylo = isfinite(hi) ? map_y(c, hi) : c->py + c->ph - c->f;
            double yhi = isfinite(lo) ? map_y(c, lo) : c->py + c->ph;
            if (overlaps(b, xc - slot * 0.25 - m, ylo - c->f * 0.25 - m, xc + slot * 0.25 + m,
                         yhi + c->f * 0.25 + m))
                return 1;
        }
    }
    return 0;
}

/* Where the reference line's label goes: above the line at its right end,
 * below it, above at the left end, below; the first spot where it touches
 * no data. When none is free, the plot gives up a right margin and the label
 * sits there, level with the line. Sets c->ref (and narrows c->pw). */
static void ref_place(ctx *c) {
    const teai_chart *ch = c->ch;
    c->ref[0] = c->ref[1] = c->ref[2] = c->ref[3] = NAN;
    c->ref_margin = 0;
    if (ch->kind == TEAI_CHART_XY || !isfinite(ch->ref_y) || !ch->ref_label || !*ch->ref_label)
        return;
    double fs = c->f * 0.75, tw = text_w(c, ch->ref_label, fs, 0), th = text_h(c, fs, 0);
    double yy = map_y(c, ch->ref_y), g = c->f * 0.2;
    double xs[2] = {c->px + c->pw - g - tw, c->px + g}, ys[2] = {yy - g - th, yy + g};
    c->ref_fs = fs;
    for (int k = 0; k < 4; k++) {
        double b[4] = {xs[k / 2], ys[k % 2], xs[k / 2] + tw, ys[k % 2] + th};
        if (b[1] < c->py || b[3] > c->py + c->ph || occupied(c, b)) continue;
        memcpy(c->ref, b, sizeof b);
        return;
    }
    c->pw -= tw + c->f * 0.5;
    c->ref_margin = 1;
    c->ref[0] = c->px + c->pw + c->f * 0.3, c->ref[2] = c->ref[0] + tw;
    c->ref[1] = yy - th / 2, c->ref[3] = yy + th / 2;
}

static void frame(ctx *c) {
    const teai_chart *ch = c->ch;
    cairo_t *cr = c->cr;
    double f = c->f, pad = f * 0.8, top = c->y + pad;
    char buf[64];

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, c->x, c->y, c->w, c->h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (ch->title && *ch->title) {
        text_at(c, ch->title, c->x + c->w / 2, top, f * 1.3, 1, 0.5, 0, 0);
        top += f * 1.3 * 1.3;
    }
    if (ch->subtitle && *ch->subtitle) subtitle(c, &top);
    legend(c, &top);
    top += f * 0.5;

    /* Bottom margin: ticks, category labels (two lines for boxes), x label. */
    double ticks[64], step, tf = f * 0.85, maxw = 0;
    double tick = f * 0.35;
    int label_lines = ch->kind == TEAI_CHART_BOXES || ch->cat_notes ? 2 : 1;
    double bottom = pad + tick + tf * 1.25 * label_lines + f * 0.3;
    if (ch->x_label && *ch->x_label) bottom += f * 1.4;
    c->py = top;
    c->ph = c->y + c->h - bottom - top;

    /* Left margin: the y label's lines as measured, then the widest tick label. */
    char yl[WRAP_LINES][WRAP_CAP];
    double yfs, ylen;
    int nyl = y_label_fit(c, c->ph, yl, &yfs, &ylen);
    double ylh = text_h(c, yfs, 0);
    int nt = axis_ticks(&c->ay, ticks, 64, &step);
    for (int i = 0; i < nt; i++) {
        tick_label(buf, sizeof buf, &c->ay, ticks[i], step);
        double tw = text_w(c, buf, tf, 0);
        if (tw > maxw) maxw = tw;
    }
    double left = pad + ylh * nyl + f * 0.2 + maxw + tick + f * 0.3;
    c->px = c->x + left;
    c->pw = c->w - left - pad * 2;
    ref_place(c);

    /* Grid and y ticks. */
    cairo_set_line_width(cr, f * 0.06);
    for (int i = 0; i < nt; i++) {
        double yy = map_y(c, ticks[i]);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, c->px, yy);
        cairo_line_to(cr, c->px + c->pw, yy);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, c->px - tick, yy);
        cairo_line_to(cr, c->px, yy);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, &c->ay, ticks[i], step);
        text_at(c, buf, c->px - tick - f * 0.2, yy, tf, 0, 1, 0.5, 0);
    }
    if (ch->kind == TEAI_CHART_XY) {
        nt = axis_ticks(&c->ax, ticks, 64, &step);
        for (int i = 0; i < nt; i++) {
            double xx = map_x(c, ticks[i]);
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, xx, c->py);
            cairo_line_to(cr, xx, c->py + c->ph);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
            cairo_move_to(cr, xx, c->py + c->ph);
            cairo_line_to(cr, xx, c->py + c->ph + tick);
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, &c->ax, ticks[i], step);
            text_at(c, buf, xx, c->py + c->ph + tick + f * 0.15, tf, 0, 0.5, 0, 0);
        }
    }
    /* Axis lines and labels. */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, f * 0.08);
    cairo_move_to(cr, c->px, c->py);
    cairo_line_to(cr, c->px, c->py + c->ph);
    cairo_line_to(cr, c->px + c->pw, c->py + c->ph);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    for (int i = 0; i < nyl; i++)
        text_at(c, yl[i], c->x + pad + ylh * i, c->py + c->ph / 2, yfs, 0, 0.5, 0, -CHART_PI / 2);
    if (ch->x_label && *ch->x_label)
        text_at(c, ch->x_label, c->px + c->pw / 2, c->y + c->h - pad, f, 0, 0.5, 1, 0);
    if (c->lay) {
        double *b = c->lay->y_label, *pl = c->lay->plot;
        b[0] = c->x + pad, b[2] = b[0] + ylh * nyl;
        b[1] = c->py + c->ph / 2 - ylen / 2, b[3] = c->py + c->ph / 2 + ylen / 2;
        pl[0] = c->px, pl[1] = c->py, pl[2] = c->px + c->pw, pl[3] = c->py + c->ph;
    }
}

/* A category label under the plot, shrunk (to 60%) when wider than slot. */
static void category_label(ctx *c, const char *s, double xc, double yy, double slot) {
    double fs = c->f * 0.85, tw = text_w(c, s, fs, 0);
    if (tw > slot * 0.95) fs *= fmax(0.6, slot * 0.95 / tw);
    cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
    text_at(c, s, xc, yy, fs, 0, 0.5, 0, 0);
}

static void ref_line(ctx *c) {
    const teai_chart *ch = c->ch;
    if (!isfinite(ch->ref_y)) return;
    double yy = map_y(c, ch->ref_y), dash[2] = {c->f * 0.4, c->f * 0.25};
    cairo_save(c->cr);
    cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(c->cr, c->f * 0.08);
    cairo_set_dash(c->cr, dash, 2, 0);
    cairo_move_to(c->cr, c->px, yy);
    cairo_line_to(c->cr, c->px + c->pw, yy);
    cairo_stroke(c->cr);
    cairo_restore(c->cr);
    if (isfinite(c->ref[0])) { /* placed by ref_place, clear of the data */
        cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
        text_at(c, ch->ref_label, c->ref[0], c->ref[1], c->ref_fs, 0, 0, 0, 0);
        if (c->lay) {
            memcpy(c->lay->ref_label, c->ref, sizeof c->ref);
            c->lay->ref_in_margin = c->ref_margin;
        }
    }
}

/* A vertical error bar from y0 to y1 (screen) at x with caps of half-width cw. */
static void vbar(cairo_t *cr, double x, double y0, double y1, double cw) {
    cairo_move_to(cr, x, y0);
    cairo_line_to(cr, x, y1);
    cairo_move_to(cr, x - cw, y0);
    cairo_line_to(cr, x + cw, y0);
    cairo_move_to(cr, x - cw, y1);
    cairo_line_to(cr, x + cw, y1);
    cairo_stroke(cr);
}

static void hbar(cairo_t *cr, double y, double x0, double x1, double cw) {
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    cairo_move_to(cr, x0, y - cw);
    cairo_line_to(cr, x0, y + cw);
    cairo_move_to(cr, x1, y - cw);
    cairo_line_to(cr, x1, y + cw);
    cairo_stroke(cr);
}

/* ---- the three kinds ---------------------------------------------------- */

static void draw_bars(ctx *c) {
    const teai_chart *ch = c->ch;
    cairo_t *cr = c->cr;
    size_t nc = ch->n_categories, ns = ch->n_series;
    double slot = c->pw / (double)nc, y0 = map_y(c, 0);
    for (size_t i = 0; i < nc; i++) {
        for (size_t s = 0; s < ns; s++) {
            const teai_chart_series *se = &ch->series[s];
            double x, bw;
            if (!bar_x(c, i, s, &x, &bw)) continue;
            double xc = x + bw / 2, v = se->values[i], rgb[3];
            if (isnan(v)) {
                const char *na = na_text(c);
                double fs = c->f * 0.7, room = ch->sparse ? slot * 0.9 : bw * 1.1;
                double tw = text_w(c, na, fs, 0);
                if (tw > room) fs *= fmax(0.6, room / tw);
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
                text_at(c, na, xc, y0 - c->f * 0.2, fs, 0, 0.5, 1, 0);
                continue;
            }
            teai_chart_color(se->name, rgb);
            set_rgb(cr, rgb, 1);
            cairo_rectangle(cr, x + bw * 0.04, y0, bw * 0.92, map_y(c, v) - y0);
            cairo_fill(cr);
            double lo = se->lo ? se->lo[i] : NAN, hi = se->hi ? se->hi[i] : NAN;
            if (isfinite(lo) || isfinite(hi)) {
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
                cairo_set_line_width(cr, c->f * 0.09);
                vbar(cr, xc, map_y(c, isfinite(lo) ? lo : v), map_y(c, isfinite(hi) ? hi : v),
                     bw * 0.18);
            }
        }
        category_label(c, ch->categories[i] ? ch->categories[i] : "", c->px + slot * (i + 0.5),
                       c->py + c->ph + c->f * 0.5, slot);
        if (ch->cat_notes && ch->cat_notes[i])
            category_label(c, ch->cat_notes[i], c->px + slot * (i + 0.5),
                           c->py + c->ph + c->f * 0.5 + c->f * 0.85 * 1.25, slot);
    }
    ref_line(c);
}

static int draw_boxes(ctx *c) {
    const teai_chart *ch = c->ch;
    cairo_t *cr = c->cr;
    double slot = c->pw / (double)ch->n_dists, bw = slot * 0.5;
    for (size_t d = 0; d < ch->n_dists; d++) {
        const teai_chart_dist *di = &ch->dists[d];
        double xc = c->px + slot * (d + 0.5), rgb[3];
        char nbuf[48];
        teai_box_stats st;
        int rc = di->values ? teai_box_stats_compute(di->values, di->n, &st) : TEAI_EINVAL;
        if (rc == TEAI_ENOMEM) return fail(c, rc, "box plot: out of memory");
        snprintf(nbuf, sizeof nbuf, "n=%zu", rc == TEAI_OK ? st.n : (size_t)0);
        category_label(c, di->label ? di->label : "", xc, c->py + c->ph + c->f * 0.5, slot);
        category_label(c, nbuf, xc, c->py + c->ph + c->f * 0.5 + c->f * 0.85 * 1.25, slot);
        if (rc != TEAI_OK) {
            cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
            text_at(c, "no data", xc, c->py + c->ph - c->f * 0.2, c->f * 0.7, 0, 0.5, 1, 0);
            continue;
        }
        teai_chart_color(di->series ? di->series : di->label, rgb);
        double yq1 = map_y(c, st.q1), yq3 = map_y(c, st.q3), lw = c->f * 0.08;
        cairo_set_line_width(cr, lw);
        set_rgb(cr, rgb, 0.55);
        vbar(cr, xc, map_y(c, st.whisker_lo), yq1, 0);
        vbar(cr, xc, yq3, map_y(c, st.whisker_hi), 0);
        cairo_move_to(cr, xc - bw * 0.25, map_y(c, st.whisker_lo));
        cairo_line_to(cr, xc + bw * 0.25, map_y(c, st.whisker_lo));
        cairo_move_to(cr, xc - bw * 0.25, map_y(c, st.whisker_hi));
        cairo_line_to(cr, xc + bw * 0.25, map_y(c, st.whisker_hi));
        cairo_stroke(cr);
        cairo_rectangle(cr, xc - bw / 2, yq3, bw, yq1 - yq3);
        set_rgb(cr, rgb, 1);
        cairo_fill_preserve(cr);
        set_rgb(cr, rgb, 0.55);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        cairo_set_line_width(cr, lw * 2.5);
        cairo_move_to(cr, xc - bw / 2, map_y(c, st.median));
        cairo_line_to(cr, xc + bw / 2, map_y(c, st.median));
        cairo_stroke(cr);
        /* Outliers: every sample outside the whiskers, as a hollow circle. */
        set_rgb(cr, rgb, 0.55);
        cairo_set_line_width(cr, lw);
        for (size_t i = 0; i < di->n; i++) {
            double v = di->values[i];
            if (!isfinite(v) || (v >= st.whisker_lo && v <= st.whisker_hi)) continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, xc, map_y(c, v), c->f * 0.22, 0, 2 * CHART_PI);
            cairo_stroke(cr);
        }
    }
    ref_line(c);
    return TEAI_OK;
}

static void draw_slope(ctx *c, const teai_chart_slope *sl) {
    cairo_t *cr = c->cr;
    enum { N = 256 };
    double dx[N], sx[N], sy[N]; /* data x, screen x, screen y */
    double t0 = tr(&c->ax, c->ax.lo), t1 = tr(&c->ax, c->ax.hi);
    for (int i = 0; i < N; i++) {
        double t = t0 + (t1 - t0) * i / (N - 1), x = c->ax.log ? pow(10, t) : t;
        double y = fmin(sl->inverse ? (x > 0 ? sl->k / x : INFINITY) : sl->k * x, sl->y_cap);
        dx[i] = x;
        sx[i] = map_x(c, x);
        sy[i] = c->ay.log && y <= 0 ? c->py + c->ph * 10 : map_y(c, y);
    }
    cairo_save(cr);
    cairo_rectangle(cr, c->px, c->py, c->pw, c->ph);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, c->f * 0.1);
    cairo_move_to(cr, sx[0], sy[0]);
    for (int i = 1; i < N; i++) cairo_line_to(cr, sx[i], sy[i]);
    cairo_stroke(cr);
    if (sl->label && *sl->label) {
        /* Right-aligned above the line, at the end of its visible sloped part
         * (before the ridge of a roofline), where data points rarely are. */
        double m = c->f * 0.5;
        int placed = 0;
        for (int i = N - 1; i > 0 && !placed; i--) {
            if (sy[i] < c->py + m || sy[i] > c->py + c->ph - m || sx[i] > c->px + c->pw - m)
                continue;
            if ((sl->inverse ? sl->k / dx[i] : sl->k * dx[i]) >= sl->y_cap)
                continue; /* on the flat roof */
            double a = atan2(sy[i] - sy[i - 1], sx[i] - sx[i - 1]);
            /* a falling line (a > 0 on screen): the label, right-aligned here, rises to its
             * left; it must not run out of the top of the plot */
            double rise = (double)strlen(sl->label) * c->f * 0.45 * fabs(sin(a)) + c->f;
            if (a > 0 && sy[i] - rise < c->py) continue;
            text_at(c, sl->label, sx[i], sy[i] - c->f * 0.15, c->f * 0.75, 0, 1, 1, a);
            placed = 1;
        }
        /* no room along it: level, under its right end */
        if (!placed && sy[N - 1] > c->py && sy[N - 1] < c->py + c->ph - 2 * m)
            text_at(c, sl->label, c->px + c->pw - m, sy[N - 1] + c->f * 0.3, c->f * 0.75, 0, 1, 0,
                    0);
    }
    cairo_restore(cr);
}

static void draw_xy(ctx *c) {
    const teai_chart *ch = c->ch;
    cairo_t *cr = c->cr;
    double r = c->f * 0.3, cw = c->f * 0.2;
    if (ch->n_bands) {
        cairo_save(cr);
        cairo_rectangle(cr, c->px, c->py, c->pw, c->ph);
        cairo_clip(cr);
        cairo_set_source_rgba(cr, 0.85, 0.2, 0.1, 0.14);
        for (size_t i = 0; i < ch->n_bands; i++) {
            double x0 = map_x(c, ch->bands[i].x0), x1 = map_x(c, ch->bands[i].x1);
            if (!isfinite(x0) || !isfinite(x1)) continue;
            cairo_rectangle(cr, fmin(x0, x1), c->py, fmax(fabs(x1 - x0), c->f * 0.1), c->ph);
        }
        cairo_fill(cr);
        cairo_restore(cr);
    }
    for (size_t i = 0; i < ch->n_slopes; i++) draw_slope(c, &ch->slopes[i]);
    for (size_t s = 0; s < ch->n_xy; s++) {
        const teai_chart_xy_series *se = &ch->xy[s];
        double rgb[3];
        teai_chart_color(se->name, rgb);
        cairo_set_line_width(cr, c->f * 0.1);
        set_rgb(cr, rgb, 1);
        if (se->connect && se->n > 1) {
            for (size_t i = 0; i < se->n; i++) {
                double x = map_x(c, se->points[i].x), y = map_y(c, se->points[i].y);
                if (i == 0)
                    cairo_move_to(cr, x, y);
                else
                    cairo_line_to(cr, x, y);
            }
            cairo_stroke(cr);
        }
        for (size_t i = 0; i < se->n && se->connect != 2; i++) {
            const teai_chart_point *p = &se->points[i];
            double x = map_x(c, p->x), y = map_y(c, p->y);
            set_rgb(cr, rgb, 0.6);
            cairo_set_line_width(cr, c->f * 0.08);
            if (isfinite(p->y_lo) || isfinite(p->y_hi))
                vbar(cr, x, map_y(c, isfinite(p->y_lo) ? p->y_lo : p->y),
                     map_y(c, isfinite(p->y_hi) ? p->y_hi : p->y), cw);
            if (isfinite(p->x_lo) || isfinite(p->x_hi))
                hbar(cr, y, map_x(c, isfinite(p->x_lo) ? p->x_lo : p->x),
                     map_x(c, isfinite(p->x_hi) ? p->x_hi : p->x), cw);
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, r, 0, 2 * CHART_PI);
            set_rgb(cr, rgb, 1);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_set_line_width(cr, c->f * 0.06);
            cairo_stroke(cr);
            if (p->label && *p->label) {
                cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
                text_at(c, p->label, x + r * 1.4, y - r * 0.6, c->f * 0.7, 0, 0, 1, 0);
            }
        }
    }
}

static int draw(cairo_t *cr, const teai_chart *chart, double x, double y, double w, double h,
                teai_chart_layout *lay, char *err, size_t errcap) {
    ctx c = {.cr = cr,
             .ch = chart,
             .x = x,
             .y = y,
             .w = w,
             .h = h,
             .lay = lay,
             .err = err,
             .errcap = errcap};
    c.ref[0] = c.ref[1] = c.ref[2] = c.ref[3] = NAN;
    if (err && errcap) err[0] = '\0';
    if (!cr || !chart) return fail(&c, TEAI_EINVAL, "chart: NULL argument");
    if (!(w > 0) || !(h > 0)) return fail(&c, TEAI_EINVAL, "chart: empty rectangle");
    int rc = validate(&c);
    if (rc == TEAI_OK) rc = ranges(&c);
    if (rc != TEAI_OK) return rc;
    /* Base font: 3% of the short side, a little more for very wide charts. */
    c.f = fmax(6, 0.03 * fmin(w, h * 1.4));

    cairo_save(cr);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_new_path(cr);
    frame(&c);
    if (c.pw <= 0 || c.ph <= 0) {
        cairo_restore(cr);
        return fail(&c, TEAI_EINVAL, "chart: %gx%g is too small for its labels", w, h);
    }
    if (chart->kind == TEAI_CHART_BARS)
        draw_bars(&c);
    else if (chart->kind == TEAI_CHART_BOXES)
        rc = draw_boxes(&c);
    else
        draw_xy(&c);
    cairo_restore(cr);
    if (rc != TEAI_OK) return rc;
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return fail(&c, TEAI_EIO, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    return TEAI_OK;
}

int teai_chart_draw(cairo_t *cr, const teai_chart *chart, double x, double y, double w, double h,
                    char *err, size_t errcap) {
    return draw(cr, chart, x, y, w, h, NULL, err, errcap);
}

int teai__chart_layout(const teai_chart *chart, double w, double h, teai_chart_layout *out,
                       char *err, size_t errcap) {
    if (!out || !(w > 0) || !(h > 0) || w > 1e5 || h > 1e5) {
        if (err && errcap) snprintf(err, errcap, "chart layout: bad argument");
        return TEAI_EINVAL;
    }
    double *boxes[] = {out->plot, out->y_label, out->subtitle, out->ref_label};
    for (size_t i = 0; i < sizeof boxes / sizeof *boxes; i++)
        boxes[i][0] = boxes[i][1] = boxes[i][2] = boxes[i][3] = NAN;
    out->subtitle_lines = out->ref_in_margin = 0;
    cairo_surface_t *sf =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(w), (int)ceil(h));
    cairo_t *cr = cairo_create(sf);
    int rc = draw(cr, chart, 0, 0, w, h, out, err, errcap);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    return rc;
}
