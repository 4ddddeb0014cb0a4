/* Chart primitives on cairo (docs/plots.md): a chart is described by data
 * (a teai_chart), then drawn in one call, either into a file (PNG, SVG, PDF;
 * written to a temporary file and renamed) or onto a caller's cairo_t (so the
 * PDF report can place a chart on a page). Three kinds:
 *
 *   TEAI_CHART_BARS  grouped bars with error bars, y axis from 0;
 *   TEAI_CHART_BOXES one box plot per distribution (Tukey: box = quartiles,
 *                    whiskers to the last value within 1.5 IQR, outliers as
 *                    points, "n=<count>" under every label);
 *   TEAI_CHART_XY    points with x/y error bars and labels, optionally joined,
 *                    linear or log axes, plus "roofline" lines y = min(k*x, cap).
 *
 * Honesty rules: every axis that carries numbers needs a label with its unit
 * (TEAI_EINVAL otherwise); error bars are drawn whenever bounds are given; a
 * bar chart's y axis always includes 0; a missing value (NAN) is drawn as
 * "n/a", never as a zero bar. Colours follow the series name
 * (teai_chart_color), so one backend has one colour in every figure.
 * Text is measured with cairo and kept inside the rectangle: a long
 * subtitle wraps (smaller, up to four lines), a y label longer than the plot
 * is high shrinks or takes two lines and the left margin makes room for it,
 * and the reference line's label goes where it touches no bar, error bar or
 * box (else into a right margin).
 *
 * Library code: never prints. Errors are negative teai_status values; when
 * err is non-NULL a one-line detail ("plots/a.png: No such file or
 * directory") is written into it. The chart only borrows the caller's arrays
 * and strings during the call. */
#ifndef TEAI_PLOT_CHART_H
#define TEAI_PLOT_CHART_H

#include "teai/engine.h"

#include <cairo.h>
#include <stddef.h>
#include <stdio.h>

typedef enum teai_chart_kind {
    TEAI_CHART_BARS = 0,
    TEAI_CHART_BOXES = 1,
    TEAI_CHART_XY = 2,
} teai_chart_kind;

/* One bar series: one value per category (n_categories of them). */
typedef struct teai_chart_series {
    const char *name;     /* legend entry; picks the colour */
    const double *values; /* (n_categories,) bar heights; NAN = not measured */
    const double *lo;     /* (n_categories,) lower CI bound or NULL; NAN = none */
    const double *hi;     /* (n_categories,) upper CI bound or NULL; NAN = none */
} teai_chart_series;

/* One distribution for a box plot: raw samples, drawn left to right. */
typedef struct teai_chart_dist {
    const char *label;    /* x label, "n=<count>" is added under it */
    const char *series;   /* colour and legend name; NULL = colour by label */
    const double *values; /* (n,) raw samples, any order; NANs are skipped */
    size_t n;
} teai_chart_dist;

/* One point of an XY chart. Bounds are NAN when absent. */
typedef struct teai_chart_point {
    double x, y;
    double x_lo, x_hi; /* x error bar, or NAN */
    double y_lo, y_hi; /* y error bar, or NAN */
    const char *label; /* drawn next to the point, or NULL */
} teai_chart_point;

typedef struct teai_chart_xy_series {
    const char *name; /* legend entry; picks the colour */
    const teai_chart_point *points;
    size_t n;
    int connect; /* 1: join the points in order with a line; 2: the line only, no markers */
} teai_chart_xy_series;

/* A line y = min(k * x, y_cap) over the whole x range (a roofline: k is a
 * bandwidth, y_cap a compute peak; y_cap = INFINITY for a plain slope); with
 * inverse set, y = min(k / x, y_cap) (a bandwidth roof over bytes per item:
 * k GB/s over x GB per token gives tokens/s; a straight line on log-log
 * axes, and the y axis reaches up to it over the x range). */
typedef struct teai_chart_slope {
    double k;
    double y_cap;
    const char *label; /* written along the line, or NULL */
    int inverse;
} teai_chart_slope;

/* A stretch of the x axis shaded across the plot (XY charts), e.g. where a
 * device throttled; the subtitle says what the shading means. */
typedef struct teai_chart_band {
    double x0, x1;
} teai_chart_band;

typedef struct teai_chart {
    teai_chart_kind kind;
    const char *title;    /* top line, or NULL */
    const char *subtitle; /* second line, e.g. sample sizes and what bars mean */
    const char *x_label;  /* with unit; required for XY, optional otherwise */
    const char *y_label;  /* with unit, e.g. "Decode throughput (tokens/s)"; required */

    /* TEAI_CHART_BARS */
    const char *const *categories; /* (n_categories,) x labels */
    size_t n_categories;
    const teai_chart_series *series; /* (n_series,) */
    size_t n_series;
    double ref_y;          /* horizontal reference line, or NAN (also for BOXES) */
    const char *ref_label; /* its label, or NULL */
    /* sparse: a category shows only its series with a value, side by side
     * and centred (one bar per category when each has one, e.g. each
     * device's best configuration coloured by its backend); a category with
     * none says na_text. Otherwise every series has a slot in every
     * category and a NAN one says na_text. */
    int sparse;
    const char *na_text;          /* what a missing value says; NULL: "n/a" */
    const char *const *cat_notes; /* (n_categories,) a second line under each label, or NULL */

    /* TEAI_CHART_BOXES */
    const teai_chart_dist *dists; /* (n_dists,) */
    size_t n_dists;

    /* TEAI_CHART_XY */
    const teai_chart_xy_series *xy; /* (n_xy,) */
    size_t n_xy;
    const teai_chart_slope *slopes; /* (n_slopes,) */
    size_t n_slopes;
    const teai_chart_band *bands; /* (n_bands,) drawn behind the points */
    size_t n_bands;
    int x_log, y_log; /* non-zero: log10 axis (all values must be > 0) */
} teai_chart;

/* A chart with every field empty and ref_y = NAN. */
teai_chart teai_chart_init(teai_chart_kind kind);

typedef enum teai_plot_format {
    TEAI_PLOT_PNG = 0,
    TEAI_PLOT_SVG = 1,
    TEAI_PLOT_PDF = 2,
} teai_plot_format;

typedef struct teai_plot_params {
    double width;  /* logical width: pixels at scale 1, points for SVG/PDF; default 1000 */
    double height; /* logical height; default 600 */
    double scale;  /* PNG only: pixels per logical unit (2 = "retina"); default 1 */
} teai_plot_params;

teai_plot_params teai_plot_default_params(void);

/* The format a file name asks for (".png", ".svg", ".pdf", any case), or
 * TEAI_EINVAL. */
int teai_plot_format_from_path(const char *path);

/* Draws the chart into the rectangle (x, y, w, h) of cr, in cr's user units
 * (font sizes follow the rectangle's size). Saves and restores cr's state.
 * TEAI_EINVAL for a chart that breaks the rules above, TEAI_ENOMEM, or
 * TEAI_EIO when cairo reports an error. */
int teai_chart_draw(cairo_t *cr, const teai_chart *chart, double x, double y, double w, double h,
                    char *err, size_t errcap);

/* Renders the chart to path atomically (teai__atomic_open: a temporary file
 * beside it, synced and renamed over it), so a failure never leaves a partial
 * file at path. PNG size is round(width * scale) x round(height * scale)
 * pixels. TEAI_EIO (with the path and the system's reason in err) when the
 * file cannot be written. */
int teai_chart_write(const teai_chart *chart, const char *path, teai_plot_format format,
                     const teai_plot_params *params, char *err, size_t errcap);

/* teai_chart_write for n charts stacked top to bottom in one file, each
 * height / n high (a figure of panels sharing an x axis). */
int teai_chart_write_stack(const teai_chart *charts, int n, const char *path,
                           teai_plot_format format, const teai_plot_params *params, char *err,
                           size_t errcap);

/* ---- helpers (public for the figures, the report and tests) -------------- */

/* Where cairo streams a file's bytes (a cairo_write_func_t's closure): f,
 * keeping the first errno of a failed write, since cairo's own status only
 * says "write error". */
typedef struct teai_plot_sink {
    FILE *f;
    int err; /* 0 until a write fails */
} teai_plot_sink;

/* The cairo_write_func_t for a teai_plot_sink. */
cairo_status_t teai_plot_sink_write(void *sink, const unsigned char *data, unsigned int length);

/* The colour of a series, rgb in [0,1]: fixed for "native", "llamacpp",
 * "llama-bench", "tinygrad", "mlc_llm", "openai"; otherwise a palette entry
 * picked by a hash of the name (NULL or "" gives grey). */
void teai_chart_color(const char *name, double rgb[3]);

typedef struct teai_box_stats {
    size_t n;                      /* samples used (NANs skipped) */
    double q1, median, q3;         /* quartiles, linear interpolation (R type 7) */
    double whisker_lo, whisker_hi; /* extreme samples within 1.5 IQR of the box */
    size_t n_outliers;             /* samples outside the whiskers */
} teai_box_stats;

/* Box plot statistics of v (n samples, not modified). TEAI_EINVAL when no
 * finite sample, TEAI_ENOMEM. */
int teai_box_stats_compute(const double *v, size_t n, teai_box_stats *out);

/* "Nice" linear ticks covering [lo, hi]: steps of 1, 2 or 5 x 10^k, about
 * `target` of them. Writes the first tick (<= lo) and the step; returns the
 * number of ticks (the last one >= hi). lo < hi required (else returns 0). */
int teai_chart_ticks(double lo, double hi, int target, double *first, double *step);

/* ---- internal (for tests) ------------------------------------------------ */

/* Where teai_chart_draw puts a chart's text and plot area in a w x h
 * rectangle at (0, 0). Boxes are {x0, y0, x1, y1} in the chart's units; all
 * NAN for an element the chart does not draw. */
typedef struct teai_chart_layout {
    double plot[4];      /* the plot area inside the axes */
    double y_label[4];   /* the rotated y-axis label, all its lines */
    double subtitle[4];  /* the subtitle, all its lines */
    int subtitle_lines;  /* lines the subtitle was wrapped into (0 = none) */
    double ref_label[4]; /* the reference line's label */
    int ref_in_margin;   /* 1: no free spot in the plot, the label is right of it */
} teai_chart_layout;

/* Lays the chart out (and draws it on a scratch surface) as teai_chart_draw
 * would into (0, 0, w, h); same errors. */
int teai__chart_layout(const teai_chart *chart, double w, double h, teai_chart_layout *out,
                       char *err, size_t errcap);

#endif
