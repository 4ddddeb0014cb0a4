/* Accuracy evaluation (issue: accuracy and serving): perplexity and KL
 * divergence of the built-in engine, and task environments (gsm8k,
 * reverse_text, wordle) through any backend. This header holds what every
 * evaluation shares: the seed-shaped results file (docs/log-format.md §5).
 *
 * verifiers_results/<backend>_sweep_<env>_<size>_<timestamp>.json is a JSON
 * list with one object per evaluated configuration:
 *   {"quantization", "size", "environment", "num_examples", "max_tokens",
 *    "metrics": {"<name>": {"avg", "std", "stderr", "ci95": [lo, hi], "n"}, ...,
 *                "eval_time_seconds"},
 *    "elapsed_seconds", "returncode", "timestamp",
 *    teai's additions: "backend", "weight_format", "model", "rollouts",
 *    "temperature", "seed", "examples_file"}
 * Unknown numbers are written as null. Library code: never prints. */
#ifndef TEAI_EVAL_H
#define TEAI_EVAL_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

/* One metric of an evaluation; NAN where unknown (written as null). */
typedef struct teai_eval_metric {
    const char *name; /* "reward", "ppl", "kl_divergence", "top1_agreement", ... */
    double avg, std, stderr_, ci_low, ci_high;
    long n; /* values behind it; -1 unknown */
} teai_eval_metric;

/* A metric with every number unknown. */
teai_eval_metric teai_eval_metric_blank(const char *name);

typedef struct teai_eval_record {
    const char *backend;      /* "native", "llamacpp", "openai", ... */
    const char *size;         /* "1B", ... ("" when unknown) */
    const char *quantization; /* the seed's name: default, int8, nf4, float16 */
    const char *environment;  /* "gsm8k", "reverse_text", "wordle", "perplexity" */
    const char *weight_format;
    const char *model;
    const char *examples_file; /* per-example JSONL, may be NULL */
    const char *timestamp;     /* RFC 3339 UTC; NULL = now */
    int num_examples, max_tokens, rollouts, returncode;
    double temperature;
    uint64_t seed;
    const teai_eval_metric *metrics;
    int n_metrics;
    double eval_time_seconds, elapsed_seconds;
} teai_eval_record;

/* dir/<prefix>sweep_<env>_<size>_<timestamp>.json with the prefix of
 * teai_log_prefix(backend) ("llamacpp_", "native_", "" for tinygrad) and
 * timestamp as YYYYMMDD_HHMMSS (UTC, from t). TEAI_EINVAL for names with
 * '/' or empty ones; TEAI_ERANGE when cap is too small. */
int teai_eval_json_path(const char *dir, const char *backend, const char *env, const char *size,
                        int64_t t, char *out, size_t cap, teai_error *err);

/* Appends r to the JSON list in path (created with its directories when
 * missing), rewriting the file through a temporary file and a rename so a
 * crash leaves the old or the new list, never half of one. TEAI_EFORMAT when
 * the file exists and is not a JSON list; TEAI_EIO on write errors. */
int teai_eval_json_append(const char *path, const teai_eval_record *r, teai_error *err);

#endif
