/* The benchmark runner behind `teai bench` and `teai sweep`, as a library.
 *
 * One configuration is a backend with its model, a prompt and a generation
 * length, run for `warmup` warm-up repetitions and then `repetitions`
 * measured ones. teai_bench_find_model looks the model up (or synthesizes a
 * stand-in); teai_bench_open opens the backend on it once; teai_bench_run
 * runs one configuration into a new raw log (docs/log-format.md), writing
 * every backend event as one log line as it happens (results' log writer),
 * and summarizes the measured repetitions (analysis' statistics); a sweep
 * runs several configurations that differ in seed, prompt and lengths on one
 * open backend. A run that fails or is stopped still ends its log, saying
 * how it ended.
 *
 * The device is watched through every run (docs/metrics.md): a sampler
 * thread reads the sensors (sys/sensors.h) into the log as `sample` lines,
 * readings taken at each repetition's phase boundaries give its energy per
 * phase, and a `rep_sensors` event after each repetition's summary says
 * what the device did (joules per token, heat, clocks, other processes'
 * CPU share, charging, peak memory). Optionally the runner waits for the
 * device to cool before each repetition (cooldown), or keeps decoding for
 * a set time (sustained mode: duration_s).
 *
 * Library code: never prints or exits. Notes (what is being made, and where),
 * progress and the stop request go through the callbacks in
 * teai_bench_params; errors are statuses with a message in teai_error. */
#ifndef TEAI_BENCH_H
#define TEAI_BENCH_H

#include "backends/backend.h"
#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

typedef struct teai_bench_progress teai_bench_progress;

/* One configuration, and where its model comes from. Strings are borrowed:
 * they must outlive the calls that take the params. */
typedef struct teai_bench_params {
    const char *backend;      /* native (default), llamacpp, llama-bench, openai, tinygrad */
    const char *backend_name; /* names the log and its CSV (e.g. mlc_llm); NULL: the backend's */
    const char *size;         /* the seed's size name: 1B (default), 3B, 8B, 70B, 405B */
    const char *quantize;     /* default (default), int8, nf4, float16 */
    /* the model (teai_bench_find_model) */
    const char *model; /* file, folder or ORG/NAME in the Hugging Face cache; NULL: the
                          seed's models/ folder, then the Hugging Face cache */
    int synthetic;     /* 1 (and no model): a synthesized model of size, made once, cached */
    int make_missing;  /* 1: llama.cpp backends make the seed's missing GGUF file from a
                          higher-precision one in models/ */
    /* the prompt: prompt_tokens > 0, else the text of prompt_file, else prompt */
    const char *prompt;      /* default: a short sentence */
    const char *prompt_file; /* NULL: none */
    int prompt_tokens;       /* 0: none */
    int n_gen;               /* tokens decoded per repetition after the first (default 20) */
    int repetitions;         /* measured repetitions (default 3) */
    int warmup;              /* warm-up repetitions, logged and marked (default 1) */
    int threads;             /* 0: all cores */
    int ctx;                 /* context length; 0: the prompt (512 when it is text) + n_gen
                                + 16, at least 1024 */
    uint64_t seed;           /* sampling seed (default 42) */
    float temperature;       /* 0: greedy (default) */
    int cache_type;          /* native: the KV cache's teai_cache_type (0: f16) */
    int no_repack;           /* native: teai_model_params.no_repack */
    int nf4_exact;           /* native: teai_model_params.nf4_exact */
    const char *output_dir;  /* where logs go (default "benchmark_output") */
    /* backend-specific; NULL: the backend's default */
    const char *llama_cpp;  /* llama.cpp install or build (llamacpp, llama-bench) */
    const char *base_url;   /* openai */
    const char *api_key;    /* openai */
    const char *model_name; /* openai */
    int chat;               /* openai: 1 for the chat endpoint */
    const char *tinygrad;   /* tinygrad: the checkout holding examples/llama3.py */
    const char *python;     /* tinygrad: the interpreter */
    /* the device (docs/metrics.md) */
    double sample_hz;           /* sensor sampler rate, Hz (default 10); 0: no sampler thread
                                   (the phase-boundary readings are still taken) */
    int cooldown;               /* before each repetition: TEAI_COOLDOWN_NONE (default), _AUTO
                                   (back within cooldown_margin_c of the idle temperature taken
                                   at the start), _SECONDS (a fixed delay), _TEMP (down to a
                                   temperature) */
    double cooldown_value;      /* _SECONDS: the delay, s; _TEMP: the temperature, deg C */
    double cooldown_margin_c;   /* _AUTO: the margin, deg C (default 2) */
    double cooldown_max_s;      /* _AUTO, _TEMP: the longest wait, s (default 120) */
    double duration_s;          /* > 0: sustained mode: after the warm-ups, measured
                                   repetitions back to back, each decoding until the context
                                   is full, until this many seconds passed (default 0: off;
                                   repetitions then counts nothing) */
    double noise_threshold_pct; /* a repetition is noisy when other processes took more than
                                   this share of all CPUs' time, % (default 10) */
    /* callbacks, all optional; called on the caller's thread */
    teai_note_fn note; /* "synthesizing ... once, into ...", "making X from Y ..." */
    void (*progress)(void *ud, const teai_bench_progress *p);
    int (*cancel)(void *ud); /* non-zero: stop (Ctrl-C); the log ends "interrupted" */
    void *ud;
} teai_bench_params;

enum { TEAI_COOLDOWN_NONE = 0, TEAI_COOLDOWN_AUTO, TEAI_COOLDOWN_SECONDS, TEAI_COOLDOWN_TEMP };

/* The defaults above, no callbacks. */
teai_bench_params teai_bench_default_params(void);

/* The backend configuration that teai_bench_open opens p's backend with (on
 * model, which may be NULL), for callers that open the backend themselves. */
void teai_bench_backend_config(const teai_bench_params *p, const char *model,
                               teai_backend_config *cfg);

/* ---- the model ---------------------------------------------------------- */

typedef struct teai_bench_model {
    char path[4096];   /* "" when the backend brings its own (openai, tinygrad) */
    int synthetic;     /* 1: a model teai synthesized (random weights; the log says so) */
    char looked[8192]; /* after TEAI_ENOTFOUND from the lookup: the places looked in,
                          each "\n  <place>" */
} teai_bench_model;

/* Finds p's model: p->model (resolved like every model argument), else with
 * p->synthetic a synthesized model of p->size in $XDG_CACHE_HOME/teai/models
 * (made when missing, a note saying so), else the seed's file in models/
 * (llama.cpp backends: Llama-3.2-<size>-Instruct-<Q6_K|Q8_0|Q4_K_M|F16>.gguf,
 * made from a higher-precision one with p->make_missing; otherwise the
 * Llama-3.2-<size>-Instruct folder or -F16.gguf file), then the Hugging Face
 * cache. TEAI_ENOTFOUND when there is none (err: "no <quantize> model of size
 * <size> found", out->looked: where it looked), TEAI_EINVAL for a size with
 * no synthesized shape, or the status of a failed resolution, synthesis or
 * quantization. */
int teai_bench_find_model(const teai_bench_params *p, teai_bench_model *out, teai_error *err);

/* ---- running ------------------------------------------------------------- */

/* What a run measured, and how its log ended. */
typedef struct teai_bench_result {
    char log_path[4096]; /* the log ("" when none was opened) */
    const char *backend; /* the backend's name in the log (valid while the session is open) */
    const char *model;   /* the model file, the server's URL, or "" (ditto) */
    const teai_backend_info *info; /* the backend's facts (ditto) */
    const char *status; /* how the log ended: "ok", "interrupted", "failed"; NULL: no log */
    int write_failed;   /* 1: a write to the log failed (err names it and why); the log
                           holds what was measured before */
    /* over the measured repetitions (warm-ups left out): mean and sample sd,
     * NAN when unknown (sd: fewer than two repetitions) */
    double prefill_tok_s, prefill_tok_s_sd;
    double decode_tok_s, decode_tok_s_sd;
    double ttft_ms, ttft_ms_sd;
    /* the latencies of the measured single-token decode steps, ms; NAN when none */
    int n_steps;
    double p50_ms, p90_ms, p99_ms, mean_step_ms;
    /* teai's own time per token event (logging it, the progress callback),
     * outside the measured step, ms; NAN when no token came */
    double overhead_ms;
    /* the device over the measured repetitions (their rep_sensors events);
     * NAN when unknown */
    char energy_source[96]; /* teai_sensors_energy_source(); "" none */
    double membw_gb_s;      /* the host's measured read bandwidth at the run's threads */
    int n_measured;         /* measured repetitions run */
    double j_per_token, j_per_token_sd; /* mean and sd of joules per decoded token */
    double decode_w;                    /* mean decode power, W */
    double temp_max_c;                  /* the hottest reading of any measured repetition, deg C */
    double peak_rss_mb;                 /* the highest repetition peak resident set, MiB */
    int n_noisy, n_throttled, n_charging;                  /* measured repetitions flagged so */
    int n_noise_known, n_throttle_known, n_charging_known; /* ... whose flag is known */
    double other_cpu_pct_max; /* the highest other-processes CPU share of one, % */
    /* sustained mode (NAN otherwise): decoded tokens per wall-clock second
     * over the first first_s and the last last_s seconds of the measured run */
    double sustained_s, first_s, first_tok_s, last_s, last_tok_s;
} teai_bench_result;

/* Progress of a run, passed to p->progress. */
typedef enum teai_bench_stage {
    TEAI_BENCH_STARTED, /* the log is open: res has log_path, backend, model, info */
    TEAI_BENCH_TOKEN,   /* a token event of repetition rep was logged */
    TEAI_BENCH_REP_DONE /* repetition rep ended (however it ended) */
} teai_bench_stage;

struct teai_bench_progress {
    teai_bench_stage stage;
    const teai_bench_result *res; /* the run so far */
    int rep;                      /* 0-based, warm-ups first */
    int warmup;                   /* 1 in a warm-up repetition */
    int tokens;                   /* tokens decoded so far in this repetition */
    int n_gen;                    /* tokens this repetition decodes */
    double left_s;                /* sustained mode: seconds left; NAN otherwise */
    double decode_tok_s;          /* its decode rate so far; 0 before the first timed step */
};

/* An open backend with its model. */
typedef struct teai_bench teai_bench;

/* Opens p's backend on model (NULL, or an empty path: none) and reads the
 * host's facts, for any number of runs. TEAI_EINVAL when the backend is
 * unknown or not built in (err: "backend <name>: <why>"); else the backend's
 * status and message. */
int teai_bench_open(const teai_bench_params *p, const teai_bench_model *model, teai_bench **out,
                    teai_error *err);
/* Runs p (its prompt, lengths, seed, repetitions, output folder and
 * callbacks; the backend fields are the ones b was opened with) into a new
 * log, filling *res. TEAI_OK when every repetition ran and the log closed;
 * TEAI_EINTR when p->cancel stopped it (the log ends "interrupted"); else
 * the status of what failed, err saying what: the prompt file (TEAI_ENOTFOUND,
 * no log), the log's creation (no log), a write to it (res->write_failed),
 * the backend, or closing the log. */
int teai_bench_run(teai_bench *b, const teai_bench_params *p, teai_bench_result *res,
                   teai_error *err);
/* Closes the backend; NULL is fine. */
void teai_bench_close(teai_bench *b);

#endif
