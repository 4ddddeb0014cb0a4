/* The plot module's private header: what its files share and nothing
 * outside src/plot may use.
 *
 *   chart_util.c       defaults, colours, box statistics, ticks; teai__plot_say
 *   chart_draw.c       teai_chart_draw: one chart into a rectangle of a cairo_t
 *   chart_write.c      teai_chart_write: one chart into a PNG, SVG or PDF file
 *   figures.c          the speed figures, the figure table, loading the data
 *   figures_accuracy.c pareto: accuracy against decode speed
 *   figures_device.c   roofline and thermal_timeline: measured bandwidth,
 *                      heat and clocks
 *   figures_serving.c  serving_curve and latency_breakdown, from serving.csv
 *
 * The figures share the pooling of dataset groups (grouped by K_HOST ..
 * K_NAME, the columns teai_figures_open groups by), the device they are
 * drawn for, and how a finding prints an interval. */
#ifndef TEAI_PLOT_IMPL_H
#define TEAI_PLOT_IMPL_H

#include "plot/figures.h"

#include <stddef.h>

/* Writes a printf-style message into msg (when msg and cap are non-zero);
 * returns ret. The figures' "say why and return" in one call. */
int teai__plot_say(char *msg, size_t cap, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- shared by the figures ------------------------------------------------ */

/* The dataset's group columns, in teai_figures_open's order: hostname,
 * device, size, quantize, backend, machine, device_name (the last two read
 * "" from CSVs written before they existed). A filter of K_N keys with NULL
 * entries pools over those columns. */
enum { K_HOST, K_DEV, K_SIZE, K_QUANT, K_BACKEND, K_MACH, K_NAME, K_N };
#define MAXC  32   /* categories of one figure */
#define MAXS  12   /* series of one figure */
#define BOOTS 2000 /* bootstrap resamples */

/* Values pooled over several groups; v is malloc'd (free(v)), NULL when n is 0. */
typedef struct teai__pool {
    double *v;
    size_t n, cap;
} teai__pool;

/* Appends x[0..n) to p. TEAI_ENOMEM (p emptied and freed). */
int teai__pool_add(teai__pool *p, const double *x, size_t n);
/* Values of metric m pooled over the groups whose keys match f (NULL = any). */
int teai__fig_pool_get(const teai_dataset *ds, int m, const char *const f[K_N], teai__pool *p);
/* Mean of the pooled values; NAN when there are none. */
double teai__pool_mean(const teai__pool *p);

/* A device as the figures filter by it (analysis.h: device_name when set,
 * else hostname, device and machine); keys borrowed from the data set. */
typedef struct teai__fig_device {
    const char *host, *dev, *mach, *name;
    char label[256]; /* as teai_device's label */
} teai__fig_device;

/* The device with the most values of metric m; 0 when none has any, else 1. */
int teai__fig_device_with_most(const teai_dataset *ds, int m, teai__fig_device *out);
/* The device with the most measured decode values (the one the per-device
 * figures are drawn for); 0 when none has any. */
int teai__fig_primary_device(const teai_dataset *ds, teai__fig_device *out);
/* Sets f's device keys to d's (the others are left as they are). */
void teai__fig_device_filter(const teai__fig_device *d, const char *f[K_N]);
/* Sets d->label from its keys: "NAME (device, machine)" when named, else
 * "device (hostname)", with ", machine" when another unnamed device of ds
 * on that host has that CPU string too. */
void teai__fig_device_label(const teai_dataset *ds, teai__fig_device *d);
/* 1 if group g is on device d. */
int teai__fig_on_device(const teai_dataset *ds, int g, const teai__fig_device *d);
/* Index of s in a[0..n), or -1. */
int teai__fig_find(const char *const *a, int n, const char *s);
/* Appends a printf-style text to the NUL-terminated buf (cut at cap). */
void teai__fig_append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "95% CI lo-hi" at `digits` significant digits, or "no CI, n=<n>" when a
 * bound is not finite (one sample, nothing to resample); n < 0 leaves n out
 * (the caller prints it). Every finding prints its interval through this, so
 * none says "nan". Returns buf. */
const char *teai__fig_ci_text(char *buf, size_t cap, double lo, double hi, int digits, long n);
/* teai_chart_write; 1 when written, else the status with the reason in msg. */
int teai__fig_write_chart(const teai_chart *ch, const char *path, teai_plot_format fmt,
                          const teai_plot_params *pp, char *msg, size_t cap);

/* The pareto figure (figures_accuracy.c), as teai_figure_write_acc. */
int teai__fig_pareto(const teai_dataset *ds, const teai_figure_accuracy *acc, const char *path,
                     teai_plot_format fmt, const teai_plot_params *pp, char *msg, size_t cap);

/* roofline and thermal_timeline (figures_device.c); samples may be NULL
 * (thermal_timeline is then skipped, saying so). */
int teai__fig_roofline(const teai_dataset *ds, const char *path, teai_plot_format fmt,
                       const teai_plot_params *pp, char *msg, size_t cap);
int teai__fig_thermal(const teai_samples *samples, const char *path, teai_plot_format fmt,
                      const teai_plot_params *pp, char *msg, size_t cap);

#endif
