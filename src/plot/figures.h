/* The named figures of `teai plot` and `teai report` (docs/plots.md), built
 * on the chart primitives (chart.h) from the collated CSVs (analysis.h). Every figure
 * shows 95% confidence intervals or distributions, carries units on its axes
 * and sample sizes in its subtitle, colours series by backend
 * (teai_chart_color), and compares configurations measured on one device
 * (the device with the most measured rows; a device is its device_name when
 * set, else hostname, device and machine: analysis.h) except
 * device_comparison (per device its best configuration for decode speed,
 * J/token and memory, "not measured" where a device has no value) and
 * roofline.
 * Per-token statistics use only measured decode rows (step >= 1, no
 * warm-up); the dataset API keeps step-0 summary rows apart.
 *
 * The device figures (docs/metrics.md, energy and device state):
 * energy_per_token (J/token per backend x size and quantization, 95% CIs
 * over repetitions; skipped when no energy sensor was available),
 * thermal_timeline (tokens/s and temperature against time from
 * samples.csv, throttled stretches shaded) and roofline (decode tokens/s
 * against GB read per token, each device's measured read bandwidth as its
 * roof).
 *
 * pareto also needs accuracy results (accuracy.csv, results.h): accuracy or
 * KL divergence against decode tokens/s, one point per backend x quantization
 * (x size), joined on backend + size + quantization.
 *
 * Library code: never prints. Cairo only (compiled when cairo is found). */
#ifndef TEAI_PLOT_FIGURES_H
#define TEAI_PLOT_FIGURES_H

#include "analysis/analysis.h"
#include "analysis/serving.h"
#include "plot/chart.h"

#include <stddef.h>

typedef enum teai_figure {
    TEAI_FIG_BACKEND_COMPARISON = 0,
    TEAI_FIG_SPEEDUP_COMPARISON,
    TEAI_FIG_SUMMARY_STATS,
    TEAI_FIG_QUANTIZATION_IMPACT,
    TEAI_FIG_LATENCY_DISTRIBUTION,
    TEAI_FIG_MEMORY_THROUGHPUT,
    TEAI_FIG_PARAM_THROUGHPUT,
    TEAI_FIG_DEVICE_COMPARISON,
    TEAI_FIG_ROOFLINE,
    TEAI_FIG_ENERGY_PER_TOKEN,
    TEAI_FIG_THERMAL_TIMELINE,
    TEAI_FIG_PARETO,
    TEAI_FIG_N
} teai_figure;

/* "backend_comparison", ... (the file name without extension); NULL when out
 * of range. */
const char *teai_figure_name(int fig);

/* A data set grouped the way the figures need it (hostname, device, size,
 * quantize, backend, machine, device_name; the last two read "" from CSVs
 * that lack them), filled from every *.csv in dir but accuracy.csv,
 * samples.csv and serving.csv;
 * arguments and errors as teai_dataset_add_dir. */
int teai_figures_open(const char *dir, teai_note_fn note, void *ud, teai_dataset **out,
                      int *n_files, int *n_bad, teai_error *err);

/* The data the figures are drawn from, read once from a folder. */
typedef struct teai_figures_data {
    teai_dataset *ds;      /* the speed CSVs, as teai_figures_open reads them */
    teai_acc_rows *acc;    /* dir/accuracy.csv; NULL when absent or unreadable (noted) */
    teai_samples *samples; /* dir/samples.csv; NULL when absent or unreadable (noted) */
    int n_files, n_bad;    /* speed CSVs read, and those that could not be read */
    long n_decode;         /* measured decode tokens/s values over all groups */
} teai_figures_data;

/* Reads dir's speed CSVs (teai_figures_open; with n_setup > 0 also tracking
 * setup_cols, teai_dataset_track_setup), its accuracy.csv and samples.csv,
 * which may be missing. TEAI_ENOTFOUND when dir cannot be listed or no CSV has a measured
 * decode row (err: "DIR: no measured decode rows in its CSVs (N read, M
 * unreadable); run teai bench, then teai collate --dir DIR"), TEAI_ENOMEM,
 * TEAI_EINVAL for an unknown setup column: *out is then empty. Otherwise
 * free it with teai_figures_data_free. */
int teai_figures_load(const char *dir, const char *const *setup_cols, int n_setup,
                      teai_note_fn note, void *ud, teai_figures_data *out, teai_error *err);
void teai_figures_data_free(teai_figures_data *d);

/* Builds figure `fig` from ds (opened with teai_figures_open) and writes it to
 * path with teai_chart_write. Returns 1 when written, with a one-sentence
 * finding computed from the data in msg; 0 when the data cannot support the
 * figure, with the reason in msg (nothing written); a negative teai_status
 * on failure, with the detail in msg. */
int teai_figure_write(int fig, const teai_dataset *ds, const char *path, teai_plot_format format,
                      const teai_plot_params *params, char *msg, size_t cap);

/* What the pareto figure needs beyond the speed data. */
typedef struct teai_figure_accuracy {
    const teai_acc_rows *rows; /* accuracy.csv (teai_acc_read_csv); NULL: pareto is skipped */
    /* "ENV:METRIC" to plot (e.g. "gsm8k:reward", "perplexity:kl_divergence");
     * NULL or "": the reward of the task environment with the most points,
     * else perplexity's kl_divergence, else its ppl */
    const char *metric;
} teai_figure_accuracy;

/* teai_figure_write with accuracy results (acc may be NULL: pareto is then
 * skipped, saying so). Only pareto uses acc. A point is the latest result
 * (by timestamp) of a (backend, size, quantization) with a value and
 * returncode 0 (or none), joined with the decode tokens/s of the same
 * backend (as teai_log_csv_name names it), size and quantization on the device
 * the other figures use. TEAI_EINVAL (msg says why) for a metric that is not
 * "ENV:METRIC". */
int teai_figure_write_acc(int fig, const teai_dataset *ds, const teai_figure_accuracy *acc,
                          const char *path, teai_plot_format format, const teai_plot_params *params,
                          char *msg, size_t cap);

/* teai_figure_write with everything fd holds (accuracy for pareto, samples
 * for thermal_timeline); acc_metric as teai_figure_accuracy.metric. What
 * teai plot and teai report call. */
int teai_figure_write_data(int fig, const teai_figures_data *fd, const char *acc_metric,
                           const char *path, teai_plot_format format,
                           const teai_plot_params *params, char *msg, size_t cap);

/* ---- serving figures (teai load; docs/serving-analysis.md) ----------------
 * From serving.csv (teai_serving_table_read), not from the speed CSVs:
 * serving_curve: latency percentiles (panels TTFT p50, TTFT p99, TPOT p99,
 *   ms) against output tokens/s, one line per server label (and load mode
 *   when a label has both), one point per level, labelled "c=4" or
 *   "2.5 req/s", with the percentiles' 95% order-statistic intervals;
 * latency_breakdown: TTFT and TPOT p50/p90/p95/p99 (ms) as bars per label
 *   and level, intervals on p50 and p99.
 * An empty cell is not measured: no point on the curve, "not measured" in
 * the bars. */
typedef enum teai_serving_figure {
    TEAI_SFIG_SERVING_CURVE = 0,
    TEAI_SFIG_LATENCY_BREAKDOWN,
    TEAI_SFIG_N
} teai_serving_figure;

/* "serving_curve", "latency_breakdown"; NULL out of range. */
const char *teai_serving_figure_name(int fig);
/* As teai_figure_write: 1 written (msg: the finding), 0 the table cannot
 * support it (msg: why; nothing written), negative status on failure. */
int teai_serving_figure_write(int fig, const teai_serving_table *t, const char *path,
                              teai_plot_format format, const teai_plot_params *params, char *msg,
                              size_t cap);

/* 1 if smaller values of this accuracy metric are better (kl_divergence,
 * ppl, perplexity, nll, loss), 0 otherwise (reward, top1_agreement, ...). */
int teai_accuracy_lower_is_better(const char *metric);

#endif
