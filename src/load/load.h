/* teai load: a load generator for any OpenAI-compatible server (llama-server,
 * vLLM, teai serve, ...). One thread, one event loop on libcurl's multi
 * interface: every request is a streamed completion whose chunks are timed
 * as they arrive, so thousands of concurrent streams cost one core a little.
 *
 * A run is a list of levels: closed loop (a fixed number of streams, the next
 * request sent when one ends) or open loop (requests sent at arrival times
 * drawn from a Poisson, gamma or constant process at a rate, whatever is in
 * flight). Each request ends as one record of a JSON Lines log (docs/load.md:
 * run line, request lines, level lines, end line), flushed as it is written;
 * each level is then summarized with teai_serving_summarize and handed to
 * the caller's callback. The library never prints: the CLI (cmd_load.c) does.
 *
 * Ownership: the caller owns params and every string in them for the run;
 * teai_load_run owns nothing after it returns. */
#ifndef TEAI_LOAD_H
#define TEAI_LOAD_H

#include "analysis/serving.h"
#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* A length in tokens, fixed or drawn per request from a distribution. */
typedef enum teai_load_len_kind {
    TEAI_LOAD_LEN_FIXED,   /* "N": a = N */
    TEAI_LOAD_LEN_UNIFORM, /* "uniform:A:B": integers A..B, each equally likely */
    TEAI_LOAD_LEN_NORMAL   /* "normal:MEAN:SD": rounded, clipped to 1..4*MEAN+1 */
} teai_load_len_kind;

typedef struct teai_load_len {
    teai_load_len_kind kind;
    double a, b;
} teai_load_len;

/* Parses a length spec ("128", "uniform:64:256", "normal:128:32"); every
 * length must come out >= 1 and <= 1,000,000. TEAI_EINVAL saying what is
 * wrong with spec. */
int teai_load_len_parse(const char *spec, teai_load_len *out, teai_error *err);

typedef enum teai_load_arrival {
    TEAI_LOAD_POISSON = 0, /* exponential gaps, mean 1/rate */
    TEAI_LOAD_GAMMA,       /* gamma gaps, shape = burstiness, mean 1/rate */
    TEAI_LOAD_CONSTANT     /* every 1/rate s */
} teai_load_arrival;

/* "poisson", "gamma", "constant". */
const char *teai_load_arrival_name(teai_load_arrival a);

/* What a finished level reports to the caller (mode "concurrency" or "rate"). */
typedef struct teai_load_level_report {
    const char *mode;
    double concurrency;  /* NAN in rate mode */
    double rate;         /* requests/s (INFINITY: all at once); NAN in concurrency mode */
    int saturated;       /* stopped early by the saturation rule (docs/load.md) */
    const char *stopped; /* "", "saturated" or "interrupted" */
    int meets_slo;       /* --find-max-rate's verdict (-1 when no SLO is set) */
    const teai_serving_summary *summ; /* the level's statistics */
} teai_load_level_report;

typedef void (*teai_load_level_fn)(void *ud, const teai_load_level_report *r);

typedef struct teai_load_params {
    const char *base_url;      /* "http://127.0.0.1:8080" (a trailing "/" or "/v1" is dropped) */
    const char *api_key;       /* NULL: no Authorization header */
    const char *model_name;    /* NULL: the first id /v1/models lists ("" if it lists none) */
    int chat;                  /* 1: /v1/chat/completions, 0: /v1/completions */
    const double *concurrency; /* closed-loop levels, streams (n_concurrency of them) */
    size_t n_concurrency;
    const double *rate; /* open-loop levels, requests/s (INFINITY: all at once) */
    size_t n_rate;
    teai_load_arrival arrival; /* TEAI_LOAD_POISSON */
    double burstiness;         /* gamma shape, > 0 (1 = Poisson); default 1 */
    long requests;             /* measured requests per level (default 100); 0 with duration_s */
    double duration_s;         /* > 0: send for this long per level instead of a count */
    long warmup;               /* requests sent first at each level and left out (default 0) */
    teai_load_len input_len;   /* prompt tokens (default 128) */
    teai_load_len output_len;  /* max_tokens (default 128) */
    const char *input_spec, *output_spec; /* as typed, for the log */
    const char *dataset;                  /* JSONL with "prompt" (+ "output_len"); NULL: random */
    teai_serving_slo slo;                 /* <= 0: not set */
    int find_max_rate;                    /* search the highest rate meeting the SLOs */
    double slo_attainment;                /* share of good requests a level needs (0.9) */
    uint64_t seed;                        /* prompts, lengths and arrivals (default 1) */
    double timeout_s;                     /* per request (default 600) */
    const char *label;                    /* the server's name in the log (default host:port) */
    const char *log_path;                 /* the JSON Lines log to write (required) */
    long max_in_flight;                   /* open loop: at most this many (default 4096) */
    int (*interrupted)(void);             /* polled; non-zero stops the run (may be NULL) */
    teai_load_level_fn on_level;          /* after each level (may be NULL) */
    teai_note_fn note;                    /* progress and warnings (may be NULL) */
    void *ud;                             /* for on_level and note */
} teai_load_params;

void teai_load_default_params(teai_load_params *p);

typedef struct teai_load_result {
    int interrupted;      /* the run was stopped; the log ends "interrupted" */
    long requests, ok;    /* measured requests over every level, and those that completed */
    size_t levels;        /* levels run */
    double max_rate;      /* --find-max-rate: the highest rate meeting the SLOs; NAN none */
    char model_name[256]; /* the model asked for */
} teai_load_result;

/* Runs every level and writes the log. TEAI_OK when the run ended (errors of
 * requests are data), TEAI_EINTR when interrupted (log complete, ending
 * "interrupted"), TEAI_EIO when the server cannot be reached at start or the
 * log cannot be written, TEAI_EINVAL for bad params, TEAI_EFORMAT for a bad
 * dataset, TEAI_ENOMEM. res is filled in every case. */
int teai_load_run(const teai_load_params *p, teai_load_result *res, teai_error *err);

#endif
