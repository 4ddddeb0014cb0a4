/* Chart helpers with no drawing: colours, box statistics, tick steps,
 * defaults; the module's message helper (plot_impl.h). */
#include "plot/chart.h"
#include "plot/plot_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int teai__plot_say(char *msg, size_t cap, int ret, const char *fmt, ...) {
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return ret;
}

teai_chart teai_chart_init(teai_chart_kind kind) {
    teai_chart c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.ref_y = NAN;
    return c;
}

teai_plot_params teai_plot_default_params(void) {
    teai_plot_params p = {.width = 1000, .height = 600, .scale = 1};
    return p;
}

int teai_plot_format_from_path(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot) return TEAI_EINVAL;
    if (strcasecmp(dot, ".png") == 0) return TEAI_PLOT_PNG;
    if (strcasecmp(dot, ".svg") == 0) return TEAI_PLOT_SVG;
    if (strcasecmp(dot, ".pdf") == 0) return TEAI_PLOT_PDF;
    return TEAI_EINVAL;
}

/* Okabe-Ito colours (distinguishable with colour-blindness) for the known
 * backends, then a tab10-like palette for the rest. Yellow is left out: it
 * does not read on white. */
static const struct {
    const char *name;
    unsigned rgb;
} fixed_colors[] = {
    {"native", 0x0072B2},   {"llamacpp", 0xE69F00}, {"llama-bench", 0xD55E00},
    {"tinygrad", 0x009E73}, {"mlc_llm", 0xCC79A7},  {"openai", 0x56B4E9},
};

static const unsigned palette[] = {0x9467BD, 0x8C564B, 0x17BECF, 0xBCBD22,
                                   0x7F7F7F, 0xE377C2, 0x2CA02C, 0xD62728};

static void hex_rgb(unsigned hex, double rgb[3]) {
    rgb[0] = ((hex >> 16) & 0xff) / 255.0;
    rgb[1] = ((hex >> 8) & 0xff) / 255.0;
    rgb[2] = (hex & 0xff) / 255.0;
}

void teai_chart_color(const char *name, double rgb[3]) {
    if (!name || !*name) {
        hex_rgb(0x7F7F7F, rgb);
        return;
    }
    for (size_t i = 0; i < sizeof fixed_colors / sizeof fixed_colors[0]; i++) {
        if (strcmp(name, fixed_colors[i].name) == 0) {
            hex_rgb(fixed_colors[i].rgb, rgb);
            return;
        }
    }
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 16777619u;
    hex_rgb(palette[h % (sizeof palette / sizeof palette[0])], rgb);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile p of sorted s (n > 0), R type 7. */
static double quantile(const double *s, size_t n, double p) {
    double pos = p * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n) return s[n - 1];
    return s[i] + (pos - (double)i) * (s[i + 1] - s[i]);
}

int teai_box_stats_compute(const double *v, size_t n, teai_box_stats *out) {
    memset(out, 0, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += isfinite(v[i]) ? 1 : 0;
    if (m == 0) return TEAI_EINVAL;
    double *s = malloc(m * sizeof *s);
    if (!s) return TEAI_ENOMEM;
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) s[m++] = v[i];
    qsort(s, m, sizeof *s, cmp_double);
    out->n = m;
    out->q1 = quantile(s, m, 0.25);
    out->median = quantile(s, m, 0.5);
    out->q3 = quantile(s, m, 0.75);
    double iqr = out->q3 - out->q1;
    double lo_fence = out->q1 - 1.5 * iqr, hi_fence = out->q3 + 1.5 * iqr;
    out->whisker_lo = out->q1;
    out->whisker_hi = out->q3;
    for (size_t i = 0; i < m; i++) {
        if (s[i] < lo_fence || s[i] > hi_fence) {
            out->n_outliers++;
            continue;
        }
        if (s[i] < out->whisker_lo) out->whisker_lo = s[i];
        if (s[i] > out->whisker_hi) out->whisker_hi = s[i];
    }
    free(s);
    return TEAI_OK;
}

int teai_chart_ticks(double lo, double hi, int target, double *first, double *step) {
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) return 0;
    if (target < 2) target = 2;
    double raw = (hi - lo) / target;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag, nice;
    if (f <= 1.5)
        nice = 1;
    else if (f <= 3)
        nice = 2;
    else if (f <= 7)
        nice = 5;
    else
        nice = 10;
    double st = nice * mag;
    double t0 = floor(lo / st + 1e-9) * st;
    int count = (int)ceil((hi - t0) / st - 1e-9) + 1;
    *first = t0;
    *step = st;
    return count;
}
