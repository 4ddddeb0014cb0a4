/* One interface for every backend teai benchmarks (docs/backends.md): open a model
 * with a config, run one generation while reporting each event with its
 * timestamps, close. The bench command drives every backend the same way and
 * writes what the events say into the raw log.
 *
 * A backend reports only what it measured: a time it cannot observe is NAN
 * (never estimated), a count it does not know is -1. */
#ifndef TEAI_BACKEND_H
#define TEAI_BACKEND_H

#include "teai/engine.h"

#include <math.h>
#include <stdint.h>

typedef struct teai_backend_config {
    const char *model;    /* model file or folder (native, llamacpp, llama-bench) */
    const char *size;     /* the seed's size name: 1B, 3B, 8B, 70B, 405B */
    const char *quantize; /* the seed's name: default, int8, nf4, float16 */
    int n_threads;        /* 0 = all cores */
    int n_ctx;            /* 0 = backend default */
    uint64_t seed;
    float temperature; /* 0 = greedy (the benchmark default) */
    /* native: --cache-type (a teai_cache_type; 0 = f16), --no-repack, --nf4-exact */
    int cache_type;
    int no_repack, nf4_exact;
    /* llamacpp / llama-bench */
    const char *llama_cpp_dir; /* install with lib/ (or bin/ for llama-bench); NULL = default */
    /* openai */
    const char *base_url;   /* e.g. http://127.0.0.1:8080 */
    const char *api_key;    /* may be NULL */
    const char *model_name; /* "model" field of requests; may be NULL */
    int chat;               /* 1: /v1/chat/completions, 0: /v1/completions */
    double timeout_s;       /* limit on one run (openai: per request, 0 = 300 s;
                               subprocess backends: whole run, 0 = none) */
    /* tinygrad */
    const char *tinygrad_dir; /* checkout holding examples/llama3.py */
    const char *python;       /* interpreter; NULL = python3 */
} teai_backend_config;

/* Facts of a run, filled by open, for the log's header (docs/log-format.md).
 * Strings "" when unknown. */
typedef struct teai_backend_info {
    char name[32];          /* "native", "llamacpp", ... (log prefix and CSV name) */
    char version[128];      /* backend version / build commit */
    char device[128];       /* where it computes ("CPU", GPU name, server URL) */
    char weight_format[64]; /* format actually used, e.g. "q4_k+q6_k", "nf4" */
    double bits_per_weight; /* NAN when unknown */
    uint64_t param_bytes;   /* bytes of parameters read per token; 0 when unknown */
    uint64_t param_count;   /* 0 when unknown */
    int n_vocab;            /* -1 when unknown */
    double load_ms;         /* model load time; NAN when not observed */
    int memory;             /* whose memory a run uses: TEAI_MEM_IN_PROCESS (0, teai's),
                               TEAI_MEM_CHILD (a subprocess: ops->child_peak_rss),
                               TEAI_MEM_REMOTE (a server: not observable) */
    int raw_is_data;        /* 1: the RAW lines are the measurements (llama-bench JSONL, collated
                               from the log); PREFILL/TOKEN events restate them for the
                               summary and are not logged again */
} teai_backend_info;

enum { TEAI_MEM_IN_PROCESS = 0, TEAI_MEM_CHILD = 1, TEAI_MEM_REMOTE = 2 };

typedef enum teai_event_kind {
    TEAI_EV_PREFILL, /* the prompt was processed; first token ready */
    TEAI_EV_TOKEN,   /* one decode step (or one streamed chunk) */
    TEAI_EV_RAW /* a backend's own output line to keep in the log (llama-bench JSONL, tinygrad text)
                 */
} teai_event_kind;

typedef struct teai_event {
    teai_event_kind kind;
    /* PREFILL */
    int n_prompt;      /* prompt tokens; -1 unknown */
    double prefill_ms; /* prompt processing time; NAN unknown */
    double ttft_ms;    /* request start -> first token available */
    /* TOKEN: step >= 1 counts decoded tokens (the first token, from the
     * prefill, is step 0's output and is reported in PREFILL's token fields) */
    int step;
    int32_t token;        /* id; -1 unknown (text-only streams) */
    const char *text;     /* its text (UTF-8, may be partial bytes); may be "" */
    int n_tokens;         /* tokens this event carries (a chunk of several: >1; unknown: -1) */
    double total_ms;      /* total_latency_ms (docs/metrics.md); NAN unknown */
    double enqueue_ms;    /* enqueue_latency_ms (docs/metrics.md); NAN unknown */
    uint64_t bytes_moved; /* bytes the step moved (teai_decode_bytes_per_step); 0 unknown */
    double t_ms;          /* arrival time since the run started */
    /* RAW */
    const char *raw; /* one line, no newline */
} teai_event;

/* An event of kind at t_ms with every measurement unknown (NAN, -1, ""):
 * backends fill in only what they observed. */
static inline teai_event teai_event_blank(teai_event_kind kind, double t_ms) {
    teai_event ev = {0};
    ev.kind = kind;
    ev.n_prompt = -1;
    ev.prefill_ms = ev.ttft_ms = ev.total_ms = ev.enqueue_ms = NAN;
    ev.token = -1;
    ev.text = "";
    ev.n_tokens = -1;
    ev.t_ms = t_ms;
    return ev;
}

/* Called for each event; returns non-zero to stop the run (Ctrl-C). */
typedef int (*teai_event_fn)(void *ud, const teai_event *ev);

typedef struct teai_run_params {
    const char *prompt; /* text, or NULL when prompt_tokens is used */
    int prompt_tokens;  /* > 0: a prompt of this many tokens (backend picks ids) */
    int n_gen;          /* tokens to generate */
    int rep;            /* repetition index (for the backend's own logs) */
    uint64_t seed;      /* sampling seed of this run (0: the config's) */
    int parse_special;  /* 1: special tokens written in the prompt (<|eot_id|>, a chat
                           template's markers) are read as those tokens, not as text */
} teai_run_params;

typedef struct teai_backend teai_backend;

typedef struct teai_backend_ops {
    const char *name;
    /* Loads the model; fills info. */
    int (*open)(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                teai_error *err);
    /* One generation from a fresh context: PREFILL, then TOKEN events.
     * TEAI_EINTR when the callback asked to stop (what was reported stands). */
    int (*run)(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
               teai_error *err);
    void (*close)(teai_backend *b);
    /* TEAI_MEM_CHILD backends: the peak resident set of the last run's child
     * process, bytes (its rusage from wait4); 0 unknown. NULL for others. */
    uint64_t (*child_peak_rss)(teai_backend *b);
} teai_backend_ops;

/* The backends compiled in; NULL when name is unknown or disabled (then
 * *why, when non-NULL, says why: e.g. "built without libcurl (install
 * libcurl4-openssl-dev)"). */
const teai_backend_ops *teai_backend_find(const char *name, const char **why);
/* Names of all backends teai knows (compiled in or not), NULL-terminated. */
const char *const *teai_backend_names(void);

#endif
