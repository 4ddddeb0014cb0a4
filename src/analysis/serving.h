/* Serving benchmarks (teai load): the per-request records a load run writes
 * (JSON Lines, one file per run), the statistics of one level (a concurrency
 * or an arrival rate), and their collation into serving.csv.
 *
 * One definition for every figure: `teai load` prints its summary, searches
 * --find-max-rate and collate writes serving.csv through
 * teai_serving_summarize, so a level reads the same everywhere. docs/load.md
 * gives the log format and the definitions. */
#ifndef TEAI_ANALYSIS_SERVING_H
#define TEAI_ANALYSIS_SERVING_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* One request as measured by the client. Times in milliseconds; NAN where
 * not observed (no token came: ttft, tpot, itl; fewer than 2 tokens: tpot). */
typedef struct teai_serving_request {
    double start_s;       /* when it was sent, seconds since the run started */
    double ttft_ms;       /* send -> first token-bearing chunk */
    double tpot_ms;       /* (e2el - ttft) / (completion_tokens - 1) */
    double e2el_ms;       /* send -> last byte of the response */
    const double *itl_ms; /* gaps between token-bearing chunks (n_itl of them) */
    size_t n_itl;
    long prompt_tokens, completion_tokens; /* from usage; -1 when not reported */
    int http_status;                       /* 0 when no response came */
    int ok;                                /* completed: status 200, a whole stream, no error */
    int warmup;                            /* warm-up requests are left out of every statistic */
} teai_serving_request;

/* Service-level objectives; a field <= 0 (or NAN) is not set. A request is
 * "good" when ok and every set objective holds (<=). */
typedef struct teai_serving_slo {
    double ttft_ms, tpot_ms, e2el_ms;
} teai_serving_slo;

/* A latency distribution: percentiles p50, p90, p95, p99 (type-7, as
 * teai_percentile_sorted) with 95% intervals from the order statistics
 * (binomial, distribution-free), and the mean. NAN when n == 0; an interval
 * bound NAN where n is too small to give one. */
typedef struct teai_serving_dist {
    long n;
    double mean;
    double p[4], lo[4], hi[4]; /* [0] p50, [1] p90, [2] p95, [3] p99 */
} teai_serving_dist;

typedef struct teai_serving_summary {
    long requests;             /* measured (not warm-up) requests */
    long ok, errors;           /* requests = ok + errors */
    double error_rate;         /* errors / requests */
    double duration_s;         /* first measured send -> last measured completion */
    double request_throughput; /* ok / duration_s, requests/s */
    double output_throughput;  /* completion tokens of ok requests / duration_s, tokens/s */
    double input_throughput;   /* prompt tokens of ok requests / duration_s, tokens/s */
    long good;                 /* ok requests meeting every set SLO (= ok without SLOs) */
    double goodput;            /* good / duration_s, requests/s; NAN without any SLO */
    double slo_attainment;     /* good / requests; NAN without any SLO */
    teai_serving_dist ttft, tpot, itl, e2el; /* over ok requests (itl: every gap) */
} teai_serving_summary;

/* Summarizes the records of one level (warm-up ones skipped). slo may be
 * NULL. TEAI_ENOMEM or TEAI_OK; no request gives zero counts and NANs. */
int teai_serving_summarize(const teai_serving_request *r, size_t n, const teai_serving_slo *slo,
                           teai_serving_summary *out, teai_error *err);

/* 95% distribution-free interval of the q-quantile (0..1) of sorted x[0..n):
 * order statistics (x_(j), x_(k)), j the largest rank with P(B <= j - 1) <=
 * 2.5% and k the smallest with P(B <= k - 1) >= 97.5%, B ~ binomial(n, q).
 * Both NAN when n is too small for either bound (the median needs n >= 6,
 * p99 n >= 368). */
void teai_quantile_interval(const double *sorted, size_t n, double q, double *lo, double *hi);

/* ---- a load run's log (JSON Lines, docs/load.md) ------------------------ */

/* One level of a run. */
typedef struct teai_serving_level {
    char mode[16];      /* "concurrency" or "rate" */
    double concurrency; /* closed loop: streams; NAN in rate mode */
    double rate;        /* open loop: requests/s (inf = all at once); NAN in concurrency mode */
    int saturated;      /* the run stopped this level early: latency grew without bound */
    teai_serving_request *req; /* itl_ms point into the level's own storage */
    size_t n_req;
} teai_serving_level;

typedef struct teai_serving_run {
    char path[1024];
    char label[128]; /* the server's label (--label, else the base URL's host:port) */
    char base_url[512];
    char model_name[256];
    char endpoint[16]; /* "completions" or "chat" */
    char arrival[16];  /* "poisson", "gamma", "constant"; "" in concurrency mode */
    double burstiness; /* gamma shape (1 = Poisson); NAN when none */
    char started[40];  /* ISO 8601 UTC */
    char host[128];    /* the machine the client ran on */
    char teai_version[32];
    char status[16]; /* "complete", "interrupted", "" when the end line is missing */
    teai_serving_slo slo;
    teai_serving_level *levels;
    size_t n_levels;
} teai_serving_run;

/* Reads one log. A line that does not parse is skipped with a note (path:
 * line: why); a file with no run line is TEAI_EFORMAT. */
int teai_serving_run_read(const char *path, teai_note_fn note, void *ud, teai_serving_run **out,
                          teai_error *err);
void teai_serving_run_free(teai_serving_run *r);

/* The per-request values of a level (measured ok requests; ITL: every gap
 * of theirs), NANs left out, in record order: what `teai analyze` tests.
 * *out (free()) gets *n values; TEAI_ENOMEM. */
enum { TEAI_SERVING_TTFT, TEAI_SERVING_TPOT, TEAI_SERVING_ITL, TEAI_SERVING_E2EL };
int teai_serving_values(const teai_serving_level *lv, int metric, double **out, size_t *n,
                        teai_error *err);

/* Every load log under logs_dir (*.jsonl whose first line is a run line;
 * subfolders too, at most 8 deep, in byte order of their paths): *out
 * (teai_serving_runs_free) gets *n runs; rel_out (may be NULL) gets each
 * one's path relative to logs_dir (free() each, then the array); both NULL
 * when there is none. Other
 * JSON Lines files are passed over in silence; unreadable ones are noted.
 * TEAI_ENOTFOUND when logs_dir cannot be listed, TEAI_ENOMEM. */
int teai_serving_runs_read(const char *logs_dir, teai_note_fn note, void *ud,
                           teai_serving_run ***out, size_t *n, char ***rel_out, teai_error *err);
void teai_serving_runs_free(teai_serving_run **runs, size_t n);

/* Collation: every *.jsonl load log under logs_dir (recursively) -> one row
 * per (run, level) in out_csv (serving.csv, columns in docs/load.md), written
 * atomically. *n_rows gets the rows written (0: no load logs; no file is
 * written then and TEAI_OK is returned). */
int teai_serving_collate(const char *logs_dir, const char *out_csv, teai_note_fn note, void *ud,
                         long *n_rows, teai_error *err);

/* serving.csv's columns, in order: teai_serving_csv_col writes the name of
 * column i (0 .. teai_serving_csv_n_cols() - 1) into out and returns its
 * length, -1 out of range. */
int teai_serving_csv_n_cols(void);
int teai_serving_csv_col(int i, char *out, size_t cap);

/* serving.csv read back, columns found by name (the figures, the report and
 * `teai analyze` read it). Rows with another number of fields than the
 * header are noted and skipped. TEAI_ENOTFOUND, TEAI_EFORMAT (no header or
 * no label column), TEAI_ENOMEM. */
typedef struct teai_serving_table teai_serving_table;
int teai_serving_table_read(const char *path, teai_note_fn note, void *ud, teai_serving_table **out,
                            teai_error *err);
void teai_serving_table_free(teai_serving_table *t);
long teai_serving_table_rows(const teai_serving_table *t);
int teai_serving_table_col(const teai_serving_table *t, const char *name); /* -1 absent */
/* A cell ("" when the column is absent or row out of range); a cell as a
 * number (NAN when empty or not a number: never 0 for "not measured"; "inf"
 * reads as infinity). */
const char *teai_serving_table_str(const teai_serving_table *t, long row, const char *col);
double teai_serving_table_num(const teai_serving_table *t, long row, const char *col);

/* A level's short name: "c=4" (concurrency) or "2.5 req/s" ("inf req/s"). */
void teai_serving_level_name(char *out, size_t cap, const char *mode, double concurrency,
                             double rate);

#endif
