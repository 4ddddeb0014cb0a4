/* Task environments through a backend (issue: accuracy and serving): gsm8k,
 * reverse_text and wordle, scored the way the original workflow's
 * verifiers_sweep.py did (docs/eval-task.md says where teai differs).
 *
 * One evaluation = the first N examples of a JSONL data set x R rollouts,
 * each rollout one generation (gsm8k, reverse_text) or one game of up to six
 * turns (wordle) through any text backend (native, llamacpp, openai). Every
 * rollout becomes one line of a per-example JSONL file; the summary (mean
 * reward, its standard error and 95% CI, env-specific metrics) is appended
 * to the seed-shaped results file of eval.h.
 *
 * The scoring pieces (data set lines, answer extraction, LCS ratio, Wordle
 * feedback) are exposed for tests and the fuzz target. Library code: never
 * prints. */
#ifndef TEAI_EVAL_TASK_H
#define TEAI_EVAL_TASK_H

#include "backends/backend.h"
#include "eval/eval.h"

#include <stddef.h>
#include <stdint.h>

typedef enum teai_task_env {
    TEAI_TASK_GSM8K = 0,
    TEAI_TASK_REVERSE_TEXT = 1,
    TEAI_TASK_WORDLE = 2
} teai_task_env;

const char *teai_task_env_name(teai_task_env env); /* "gsm8k", "reverse_text", "wordle" */
int teai_task_env_from_name(const char *name);     /* -1 when unknown */

/* ---- data sets ------------------------------------------------------------ */

#define TEAI_TASK_LINE_MAX (1 << 20) /* bytes of one JSONL line */
#define TEAI_TASK_TEXT_MAX 4096      /* code points of a reverse_text text (the LCS bound) */

/* One example, its strings malloc'd (teai_task_example_free). */
typedef struct teai_task_example {
    char *input;     /* gsm8k: the question; reverse_text: the text; wordle: "" */
    char *reference; /* gsm8k: the final number, normalized (teai_gsm8k_normalize);
                        reverse_text: the text reversed by code points;
                        wordle: the secret word, 5 lowercase ASCII letters */
    int line;        /* line of the file, from 1 */
} teai_task_example;

/* Parses one JSONL line of env's data set (no newline needed):
 *   gsm8k:        {"question": "...", "answer": "... #### 42"} (an answer without
 *                 "####" must be a number itself)
 *   reverse_text: {"text": "..."}, or "prompt" or "question" for the text
 *   wordle:       {"answer": "crane"} (or "word"), 5 ASCII letters
 * Other keys are ignored. TEAI_ENOTFOUND for a blank line (nothing to read);
 * TEAI_EFORMAT with err saying what is wrong (without file:line, which the
 * caller adds); TEAI_ENOMEM. On success *ex is filled (ex->line = 0). */
int teai_task_parse_line(teai_task_env env, const char *line, size_t len, teai_task_example *ex,
                         teai_error *err);
void teai_task_example_free(teai_task_example *ex);

/* Reads the first n_max examples (0: all) of the JSONL file. Blank lines are
 * skipped; the first malformed line stops the load with TEAI_EFORMAT and err
 * "path:line: what" (an evaluation on a silently thinned data set would not
 * compare with others). TEAI_ENOTFOUND when the file cannot be opened,
 * TEAI_EFORMAT when it holds no example. *out (teai_task_examples_free). */
int teai_task_load(teai_task_env env, const char *path, int n_max, teai_task_example **out, int *n,
                   teai_error *err);
void teai_task_examples_free(teai_task_example *ex, int n);

/* ---- gsm8k ------------------------------------------------------------------ */

/* The canonical form of a number: '$', ',' and spaces dropped, a trailing '.'
 * dropped, leading zeros and a zero fraction removed ("$1,200.00" -> "1200",
 * "-0.50" -> "-0.5", "007" -> "7"). 1 on success, 0 when s[0..len) is not a
 * number (out is then ""). */
int teai_gsm8k_normalize(const char *s, size_t len, char *out, size_t cap);
/* The reference: the number after the last "####" of a gsm8k answer, or the
 * whole answer when it has no "####". 1 found, 0 not. */
int teai_gsm8k_reference(const char *answer, char *out, size_t cap);
/* Strict extraction: the number right after the first "####" that has one,
 * else after the first "The answer is" (case-insensitive; "is:" and "is $"
 * accepted), else inside the first "\boxed{...}" (lm-evaluation-harness's
 * strict-match takes the first "#### N" too). 1 found, 0 not (out ""). */
int teai_gsm8k_extract_strict(const char *text, char *out, size_t cap);
/* Flexible extraction: the last number anywhere in the text. 1 found, 0 not. */
int teai_gsm8k_extract_flexible(const char *text, char *out, size_t cap);

/* ---- reverse_text ----------------------------------------------------------- */

/* s reversed by UTF-8 code points (invalid bytes count as one code point
 * each). Writes a NUL-terminated string; returns strlen(s), or -1 when cap
 * is too small. */
int teai_utf8_reverse(const char *s, char *out, size_t cap);
/* 2 * LCS(a, b) / (len(a) + len(b)) over code points (1 when both are
 * empty): the scale of Python's difflib.SequenceMatcher.ratio(), which the
 * original used, with the longest common subsequence in place of difflib's
 * matching blocks (never lower than difflib's value; equal for the common
 * cases, see docs/eval-task.md). O(len(a) * len(b)) time and O(len(b))
 * memory; each side is cut to TEAI_TASK_TEXT_MAX * 2 code points for the
 * LCS (the lengths in the denominator stay whole). NAN on ENOMEM. */
double teai_lcs_ratio(const char *a, const char *b);
/* The answer inside the last <answer>...</answer> when there is one, else
 * the whole completion; trimmed of white space. Returns a malloc'd string
 * (NULL on ENOMEM). */
char *teai_reverse_extract(const char *completion);

/* ---- wordle ------------------------------------------------------------------ */

#define TEAI_WORDLE_TURNS 6

/* Feedback on guess for the secret answer (both 5 lowercase letters), by
 * standard Wordle rules: greens first, then yellows left to right, each
 * letter of the answer used at most once (guess "speed" on "abide" gives
 * "XXYXY": only the first 'e' is yellow). out gets 5 letters of 'G' (right
 * place), 'Y' (elsewhere in the word), 'X' (not in it, or no copies left)
 * and a NUL. */
void teai_wordle_feedback(const char *guess, const char *answer, char out[6]);
/* The guess of a reply: the content of the last <guess>...</guess>, brackets
 * and white space around it dropped ("<guess>[crane]</guess>", as TextArena
 * asks, or "<guess>crane</guess>"); without tags, the last "[xxxxx]". Must be
 * 5 ASCII letters; out gets them lowercased. 1 valid, 0 invalid (out ""). */
int teai_wordle_parse_guess(const char *reply, char out[6]);
/* Reward of a game: win + win / (turns + 1) (the original's check_answer and
 * count_turns rewards), 0 for a loss. turns counts invalid guesses too. */
double teai_wordle_reward(int won, int turns);
/* 0.2 per 'G' + 0.1 per 'Y' of a feedback (the original's partial credit);
 * 0 for "" (no valid guess). */
double teai_wordle_partial(const char *feedback);

/* ---- one evaluation ------------------------------------------------------------ */

#define TEAI_TASK_MAX_METRICS 6

typedef struct teai_task_progress {
    int done, total; /* rollouts finished (scored or failed) of all */
    int failed;      /* rollouts whose generation failed */
    double reward_sum;
    int example, rollout; /* the one just finished */
    double reward;        /* its reward; NAN when it failed */
} teai_task_progress;

typedef struct teai_task_config {
    teai_task_env env;
    const char *dataset;      /* JSONL */
    const char *backend;      /* "native", "llamacpp", "openai" */
    teai_backend_config bcfg; /* model, size, quantize, threads, seed, temperature, server
                                 fields; the task sets chat (openai) */
    int n_examples;           /* first N examples; 0 = all */
    int rollouts;             /* per example (>= 1); rollout r samples with seed + r */
    int max_tokens;           /* per completion (per turn for wordle) */
    int concurrency;          /* openai only: requests in flight (<= 1: one at a time) */
    const char *results_dir;  /* where a new results file goes (NULL: verifiers_results) */
    const char *results_file; /* non-NULL: append to this file instead (the sweep) */
    /* optional: an open backend of cfg's backend to use instead of opening
     * one (not closed here); the sweep could pass the model it benchmarked */
    const teai_backend_ops *ops;
    teai_backend *be;
    const teai_backend_info *info;
    /* optional callbacks, called from worker threads: progress one call at a
     * time; cancel from any of them at once (it must be safe for that: read a
     * flag) */
    int (*cancel)(void *ud); /* non-zero: stop (Ctrl-C) */
    void (*progress)(void *ud, const teai_task_progress *p);
    void *ud;
} teai_task_config;

teai_task_config teai_task_default_config(void); /* gsm8k, native, 1 rollout, 256 tokens */

typedef struct teai_task_result {
    char json_path[4096];                            /* the results file appended to */
    char examples_path[4096];                        /* the per-example JSONL */
    teai_eval_metric metrics[TEAI_TASK_MAX_METRICS]; /* "reward" first; names are static */
    int n_metrics;
    int n_examples, n_rollouts; /* examples read; rollouts attempted */
    int n_failed;               /* rollouts whose generation failed (left out of the metrics) */
    int interrupted;            /* cancel() stopped it */
    int returncode;             /* as recorded: 0 ok, 1 some rollout failed, 130 interrupted */
    double eval_time_seconds;   /* generating and scoring */
    double elapsed_seconds;     /* all of it, loading included */
    char weight_format[64];
    teai_error first_error; /* the first failed rollout's error (status 0: none) */
} teai_task_result;

/* Runs one evaluation: loads the data set, opens the backend (unless given),
 * runs every rollout, writes the JSONL (line by line, flushed) and appends
 * the record to the results file. A rollout whose generation fails is
 * recorded in the JSONL with its error and left out of the metrics; the
 * record then says returncode 1. Returns TEAI_OK once the record is written
 * (even with failed rollouts; out says how many), TEAI_EINTR when cancelled
 * (the record is written with returncode 130), or an error before anything
 * was generated (bad config, data set, backend) or when writing fails. */
int teai_task_run(const teai_task_config *cfg, teai_task_result *out, teai_error *err);

/* ---- internal: the environments' prompts (task.c drives the episodes) --------- */

/* The user message of a gsm8k or reverse_text example (malloc'd; NULL on ENOMEM). */
char *teai__gsm8k_prompt(const teai_task_example *ex);
char *teai__reverse_prompt(const teai_task_example *ex);
/* The user message of wordle turn n_done + 1: the rules and every earlier
 * guess (5 letters, or "" when invalid) with its feedback (5 of G/Y/X). */
char *teai__wordle_prompt(const char (*guesses)[6], const char (*feedback)[6], int n_done);

/* ---- the sweep's resume --------------------------------------------------------- */

/* The newest existing results file of (backend, env, size) in dir, i.e. the
 * greatest name <prefix>sweep_<env>_<size>_<YYYYMMDD_HHMMSS>.json. 1 found
 * (out filled), 0 none. */
int teai_task_results_latest(const char *dir, const char *backend, const char *env,
                             const char *size, char *out, size_t cap);
/* 1 if the results file at path holds a successful record (returncode 0) of
 * (environment, quantization, num_examples, max_tokens); a negative
 * num_examples or max_tokens matches any. 0 if not or when the file is
 * missing or unreadable. */
int teai_task_results_has(const char *path, const char *env, const char *quantization,
                          int num_examples, int max_tokens);

#endif
