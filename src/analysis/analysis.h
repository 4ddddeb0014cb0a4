/* Statistics behind `teai analyze`, `teai viz` and the figures: summary
 * statistics with a bootstrap confidence interval, the Mann-Whitney U test,
 * speedups with confidence intervals, and the grouping of collated CSV rows
 * (docs/log-format.md) into the samples they are computed on.
 *
 * Definitions:
 * - sd is the sample standard deviation (n - 1 in the denominator).
 * - Percentiles interpolate linearly between order statistics: for sorted
 *   x[0..n-1] and p in [0,1], h = (n-1)p, P = x[floor h] + (h - floor h) *
 *   (x[floor h + 1] - x[floor h]) (Hyndman-Fan type 7, NumPy's default,
 *   Excel's PERCENTILE.INC). median = P(0.5).
 * - The 95% CI of the mean is the percentile bootstrap (n_boot resamples,
 *   the 2.5th and 97.5th percentiles of the resampled means), deterministic
 *   for a seed. Above TEAI_BOOT_MAX_N values it is the normal approximation
 *   mean +- 1.96 sd / sqrt(n) (the bootstrap converges to it; resampling a
 *   million values 2000 times would take minutes). ci_method says which.
 * - Per-token samples within one repetition are not independent; the CI is
 *   that of the pooled per-token sample, which is narrower than a CI over
 *   repetitions would be.
 * Library code: never prints. */
#ifndef TEAI_ANALYSIS_H
#define TEAI_ANALYSIS_H

#include "results/results.h"

#include <stddef.h>
#include <stdint.h>

#define TEAI_BOOT_DEFAULT 2000
#define TEAI_BOOT_MAX_N   20000
#define TEAI_SEED_DEFAULT 42

/* ---- statistics over one sample ------------------------------------------ */

typedef enum teai_ci_method {
    TEAI_CI_NONE = 0,      /* n < 2: no interval */
    TEAI_CI_BOOTSTRAP = 1, /* percentile bootstrap */
    TEAI_CI_NORMAL = 2     /* mean +- 1.96 sd/sqrt(n) (n > TEAI_BOOT_MAX_N) */
} teai_ci_method;

typedef struct teai_stats {
    long n;
    double mean, median, sd, min, max, p90, p99; /* NAN when n == 0 (sd: n < 2) */
    double ci_lo, ci_hi;                         /* 95% CI of the mean; NAN when none */
    teai_ci_method ci_method;
} teai_stats;

/* x: n values (NANs must already be left out); not modified. n_boot <= 0
 * means TEAI_BOOT_DEFAULT. TEAI_ENOMEM, else TEAI_OK (n == 0 gives n 0 and
 * NANs). */
int teai_stats_compute(const double *x, size_t n, uint64_t seed, int n_boot, teai_stats *out);
/* Type-7 percentile of sorted x[0..n-1], p in [0,1]; NAN when n == 0. */
double teai_percentile_sorted(const double *x, size_t n, double p);
/* Mean and sample sd of the values of x[0..n) that are not NAN (*mean NAN
 * when none is, *sd NAN when fewer than two are): the summary of a few runs,
 * without teai_stats_compute's CI. */
void teai_mean_sd(const double *x, size_t n, double *mean, double *sd);

/* Mann-Whitney U test of a against b: U of a (U1 = R1 - n1(n1+1)/2, R1 the
 * sum of a's mid-ranks), z from the normal approximation with the tie
 * correction sigma^2 = n1 n2 / 12 * ((N+1) - sum(t^3 - t) / (N(N-1))) and a
 * continuity correction of 0.5 towards the mean (as scipy's mannwhitneyu with
 * method="asymptotic"), p two-sided. p NAN when either sample is empty or all
 * values tie. */
typedef struct teai_mwu {
    double u, z, p;
} teai_mwu;
int teai_mann_whitney(const double *a, size_t na, const double *b, size_t nb, teai_mwu *out);

/* Speedup of a over b: mean(a) / mean(b) (for rates such as tokens/s; pass the
 * samples the other way round for latencies), its 95% CI (percentile
 * bootstrap, a and b resampled independently; the delta method when either
 * has more than TEAI_BOOT_MAX_N values) and the Mann-Whitney p.
 * significant: 1 when p < 0.05, 0 when not (or unknown). */
typedef struct teai_speedup {
    double ratio, ci_lo, ci_hi;
    teai_mwu mwu;
    int significant;
    teai_ci_method ci_method;
} teai_speedup;
int teai_speedup_compute(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                         int n_boot, teai_speedup *out);

/* ---- grouping collated rows ---------------------------------------------- */

/* The samples computed per group (docs/metrics.md says what each means):
 * - DECODE_TOK_S, TOKEN_MS, MEM_GB_S, PARAM_GB_S: rows with step >= 1 and
 *   warmup != 1; TOKEN_MS = total_latency_ms / tokens_in_chunk (1 when
 *   empty), i.e. per-token latency of a streamed chunk;
 * - TTFT_MS, PREFILL_TOK_S: step-0 rows with warmup != 1;
 * - J_PER_TOKEN .. COOLDOWN_MS: the device columns of step-0 rows with
 *   warmup != 1, one value per measured repetition;
 * - BW_PCT: decode rows, memory_throughput_gb_s / membw_gb_s x 100 (the
 *   share of the host's measured read bandwidth the step used);
 * - GB_PER_TOKEN: decode rows, memory_throughput_gb_s / tokens_per_sec (GB
 *   the step moved per decoded token; the roofline's x);
 * - PEAK_RSS_MB: peak_rss_mb (the peak resident set after loading, MiB) of
 *   step-0 rows with warmup != 1, one value per measured repetition (the
 *   memory figure where run_peak_rss_mb is not measured).
 * Empty or non-numeric cells are left out (never read as 0). */
typedef enum teai_metric {
    TEAI_M_DECODE_TOK_S,
    TEAI_M_TOKEN_MS,
    TEAI_M_TTFT_MS,
    TEAI_M_PREFILL_TOK_S,
    TEAI_M_MEM_GB_S,
    TEAI_M_PARAM_GB_S,
    TEAI_M_J_PER_TOKEN,
    TEAI_M_TOKENS_PER_J,
    TEAI_M_DECODE_W,
    TEAI_M_PREFILL_W,
    TEAI_M_TEMP_MAX_C,
    TEAI_M_CLOCK_MIN_MHZ,
    TEAI_M_OTHER_CPU_PCT,
    TEAI_M_RUN_PEAK_RSS_MB,
    TEAI_M_COOLDOWN_MS,
    TEAI_M_BW_PCT,
    TEAI_M_GB_PER_TOKEN,
    TEAI_M_PEAK_RSS_MB,
    TEAI_M_N
} teai_metric;
/* "decode_tokens_per_sec", ...; and the unit ("tokens/s", "ms", "GB/s"). */
const char *teai_metric_name(int m);
const char *teai_metric_label(int m); /* "decode tokens/s", "per-token latency", ... */
const char *teai_metric_unit(int m);

#define TEAI_GROUP_MAX_COLS 12

typedef struct teai_dataset teai_dataset;

/* An empty data set grouped by the named CSV columns (1..TEAI_GROUP_MAX_COLS;
 * TEAI_EINVAL for an unknown column, err naming it). */
int teai_dataset_new(const char *const *group_cols, int n_cols, teai_dataset **out,
                     teai_error *err);
void teai_dataset_free(teai_dataset *ds);
/* From now on, leave out every row of a flagged repetition (its step-0 row
 * has throttled, noisy or charging = 1): its summary and all its decode
 * rows. Rows are matched to their repetition by log_file (else uuid) and
 * repetition. teai_dataset_group_info counts what was left out. */
void teai_dataset_exclude_flagged(teai_dataset *ds, int on);
/* Group column col may be missing from a CSV: its rows then read it as ""
 * (for columns the format gained later, such as machine and device_name, so
 * older CSVs still load). Without it a CSV lacking a group column is
 * TEAI_EFORMAT. TEAI_EINVAL when col is not a group column. */
int teai_dataset_allow_missing(teai_dataset *ds, const char *col, teai_error *err);

/* Adds the rows of one collated CSV (its header line names the columns; a CSV
 * lacking a group column or step is TEAI_EFORMAT). Malformed rows (wrong
 * number of fields) are skipped with a note "file:line: ..."; a CSV that
 * cannot be parsed is TEAI_EFORMAT with err naming file:line (rows read
 * before that stay). *n_rows (may be NULL) gets the rows read. */
int teai_dataset_add_csv(teai_dataset *ds, const char *path, teai_note_fn note, void *ud,
                         long *n_rows, teai_error *err);
/* Adds every *.csv in dir (in byte order of their names) but accuracy.csv,
 * samples.csv and serving.csv, which have their own columns. Unreadable or
 * malformed files are noted and counted in *n_bad; TEAI_ENOTFOUND when dir
 * cannot be listed. *n_files: CSVs read. */
int teai_dataset_add_dir(teai_dataset *ds, const char *dir, teai_note_fn note, void *ud,
                         int *n_files, int *n_bad, teai_error *err);

int teai_dataset_n_cols(const teai_dataset *ds);
const char *teai_dataset_col(const teai_dataset *ds, int k); /* group column names */
/* Groups in order of their keys (byte order, column by column). */
int teai_dataset_n_groups(const teai_dataset *ds);
const char *teai_dataset_key(const teai_dataset *ds, int g, int k); /* "" when empty */
long teai_dataset_rows(const teai_dataset *ds, int g);              /* all rows of the group */
/* How many of the group's DECODE_TOK_S values are rates over a chunk of
 * several tokens (tokens_in_chunk > 1), not one step: per-run rates for
 * llama-bench's generation samples and MLC's runs (a whole run's tokens over
 * its time), or a streamed chunk. */
long teai_dataset_run_rates(const teai_dataset *ds, int g);
const double *teai_dataset_values(const teai_dataset *ds, int g, int metric, size_t *n);

/* The device state of a group's measured repetitions (step-0 rows, warmup
 * != 1) and what its logs' headers said (docs/metrics.md). */
typedef struct teai_group_info {
    long reps;                       /* measured repetitions (step-0 rows) */
    long flag_known;                 /* of them, with a throttled, noisy or charging value */
    long throttled, noisy, charging; /* of them, with that flag 1 */
    long flagged;                    /* of them, with any flag 1 */
    long excluded;                   /* flagged ones left out (teai_dataset_exclude_flagged) */
    double membw_gb_s;               /* highest membw_gb_s of its rows; NAN none */
    double duration_s;               /* longest duration_s (sustained runs); NAN none */
    const char *energy_source;       /* first non-empty energy_source; "" none */
    const char *sensors;             /* first non-empty sensors; "" none */
} teai_group_info;
/* g in range: TEAI_OK; g = -1: the sums over all groups (counts; the
 * highest membw and duration; the first strings); else TEAI_EINVAL. */
int teai_dataset_group_info(const teai_dataset *ds, int g, teai_group_info *out);

/* What the rows were measured on, for a report's setup and methodology
 * slides (read in the same pass as the groups):
 * - teai_dataset_track_setup: from now on, also record the distinct
 *   combinations of these columns (1..TEAI_GROUP_MAX_COLS; a CSV lacking one
 *   reads it as ""), e.g. host, device, backend version, model. TEAI_EINVAL
 *   for an unknown column, err naming it. Listed in byte order, column by
 *   column; teai_dataset_setup gives cell k of combination i ("" when empty).
 * - teai_dataset_warmup_rows: rows with warmup == 1 among all rows added
 *   (all rows: the sum of teai_dataset_rows).
 * - teai_dataset_csv_col: the columns named in the headers of the CSVs
 *   added, in the order first seen; *used (may be NULL) is 1 when some row
 *   has a value there. NULL out of range. */
int teai_dataset_track_setup(teai_dataset *ds, const char *const *cols, int n_cols,
                             teai_error *err);
int teai_dataset_n_setups(const teai_dataset *ds);
const char *teai_dataset_setup(const teai_dataset *ds, int i, int k);
long teai_dataset_warmup_rows(const teai_dataset *ds);
int teai_dataset_n_csv_cols(const teai_dataset *ds);
const char *teai_dataset_csv_col(const teai_dataset *ds, int i, int *used);

/* ---- devices: what each one measured best ---------------------------------- */

/* A device is device_name (the user's name for it in `teai device`) when
 * set, else (hostname, device, machine): two devices may share a host name
 * and a CPU string (a phone and an emulated board on one laptop), and are
 * still told apart by their name or architecture. */
enum { TEAI_BEST_SPEED, TEAI_BEST_ENERGY, TEAI_BEST_MEMORY, TEAI_BEST_N };

/* One device's best configuration (backend + size + quantize, its groups
 * pooled) for one aim: SPEED the highest mean decode tokens/s, ENERGY the
 * lowest mean J/token, MEMORY the lowest mean peak RSS (run_peak_rss_mb
 * where the device has it, else peak_rss_mb after loading: metric says
 * which). backend NULL: not measured on this device. */
typedef struct teai_device_best {
    const char *backend, *size, *quantize; /* borrowed from the data set */
    int metric;                            /* teai_metric compared */
    teai_stats st;                         /* of that metric, the configuration pooled */
} teai_device_best;

typedef struct teai_device {
    const char *hostname, *device, *machine, *name; /* borrowed keys; "" none */
    /* "NAME (device, machine)" when named, else "device (hostname)" (with
     * ", machine" when two devices would read the same) */
    char label[256];
    long n_decode; /* measured decode tokens/s values */
    teai_device_best best[TEAI_BEST_N];
} teai_device;

/* A device's label into out: "NAME (device, machine)" or "NAME (device)"
 * when named, else "device (hostname)", or "device (hostname, machine)" with
 * with_machine (two unnamed devices that would read the same); "?" for an
 * empty device. */
void teai_device_label(char *out, size_t cap, const char *name, const char *device,
                       const char *hostname, const char *machine, int with_machine);

/* The devices with rows in ds, in order of their first group (byte order of
 * the keys), each with its best configurations (95% CIs: percentile
 * bootstrap, seed TEAI_SEED_DEFAULT). ds must group by hostname, device,
 * size, quantize and backend (TEAI_EINVAL, err naming the column missing);
 * machine and device_name are used when they are group columns, else read
 * as "". *out (free()) gets *n devices, valid while ds lives; TEAI_ENOMEM. */
int teai_dataset_devices(const teai_dataset *ds, teai_device **out, int *n, teai_error *err);

/* ---- samples.csv: the sensor sampler's readings ------------------------------ */

/* DIR/samples.csv (docs/log-format.md §3) read by column name: one run per
 * log_file, its samples in file order. Numbers NAN when empty or not
 * numbers; warmup -1 when empty. */
typedef struct teai_samples teai_samples;

typedef struct teai_sample_run {
    const char *log_file, *backend, *hostname, *device, *size, *quantize, *threads; /* "" none */
    double duration_s;            /* sustained mode's duration; NAN: not a sustained run */
    long n;                       /* samples */
    const double *t_ms;           /* (n,) since the run started */
    const double *tokens;         /* (n,) decoded in the run so far (cumulative) */
    const double *temp_c;         /* (n,) */
    const double *clock_mhz;      /* (n,) highest CPU clock at the reading */
    const double *throttle_count; /* (n,) cumulative throttle events */
    const double *power_w;        /* (n,) */
    const int *warmup;            /* (n,) 1 warm-up, 0 measured, -1 unknown */
    const unsigned char *running; /* (n,) 1: phase "prefill" or "decode" */
} teai_sample_run;

/* TEAI_ENOTFOUND when path does not exist; TEAI_EFORMAT (err: file:line)
 * when it cannot be parsed or lacks log_file, t_ms or tokens; malformed rows
 * are noted and skipped; TEAI_ENOMEM. */
int teai_samples_read(const char *path, teai_note_fn note, void *ud, teai_samples **out,
                      teai_error *err);
void teai_samples_free(teai_samples *s);
int teai_samples_n_runs(const teai_samples *s);
const teai_sample_run *teai_samples_run(const teai_samples *s, int i); /* NULL out of range */

/* Decode rate at the start and the end of a run: the span is from the first
 * to the last sample whose phase is prefill or decode (not warm-up); the
 * first window is its first first_s seconds, the last its last last_s
 * (each cut to the span); a rate is the tokens counter's rise over the
 * window (linear between samples) / the window. NAN where unknown. */
typedef struct teai_sustained {
    double span_s;
    double first_s, first_tok_s;
    double last_s, last_tok_s;
    double change_pct; /* (last - first) / first x 100 */
} teai_sustained;
void teai_samples_sustained(const teai_sample_run *r, double first_s, double last_s,
                            teai_sustained *out);

/* Tokens/s over consecutive windows of at least window_s seconds (from one
 * sample to the first at least window_s later): at most cap of them, the
 * window's middle (s since the run started) in t_s[i], the rate in
 * tok_s[i]. Returns how many. */
size_t teai_samples_rates(const teai_sample_run *r, double window_s, double *t_s, double *tok_s,
                          size_t cap);

/* Per sample, 1 when it shows throttling: clock_mhz below 0.85 x the highest
 * clock_mhz so far in the run, or throttle_count higher than at the sample
 * before (as a repetition's throttled flag, docs/metrics.md). out: (r->n,). Returns how many are
 * marked. */
long teai_samples_throttled(const teai_sample_run *r, unsigned char *out);

/* Comparisons: for every two groups that differ only in column `col`, with
 * values a_val and b_val there (NULL, NULL: every pair of distinct values,
 * the faster of the two first), the speedup of decode tokens/s. */
typedef struct teai_compare {
    int ga, gb; /* groups */
    teai_speedup s;
} teai_compare;
/* *out (free()) gets *n comparisons. TEAI_EINVAL when col is not a group
 * column; TEAI_ENOMEM. */
int teai_dataset_compare(const teai_dataset *ds, const char *col, const char *a_val,
                         const char *b_val, uint64_t seed, int n_boot, teai_compare **out, int *n,
                         teai_error *err);

#endif
