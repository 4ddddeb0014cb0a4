/* Perplexity and KL divergence of the built-in engine, computed the way
 * llama.cpp's llama-perplexity does (tools/perplexity/perplexity.cpp:
 * perplexity() and kl_divergence()), so the numbers of the two tools can be
 * compared. User documentation: docs/eval-ppl.md.
 *
 * Chunking (llama-perplexity's): the text is tokenized once with BOS; it is
 * cut into n_chunks chunks of n_ctx tokens (at most n_tokens / n_ctx, and the
 * text must hold at least 2 * n_ctx tokens). Each chunk is evaluated from an
 * empty KV cache with its first token replaced by BOS (when the vocabulary
 * adds one); the first half (first = n_ctx / 2 tokens) is context only, and
 * positions [first, n_ctx - 1) are scored: their logits predict the next
 * token, so n_ctx - 1 - first tokens are scored per chunk.
 *
 * Library code: never prints. Progress goes through a callback. */
#ifndef TEAI_EVAL_PPL_H
#define TEAI_EVAL_PPL_H

#include "teai/engine.h"

#include <stdint.h>
#include <stdio.h>

#define TEAI_PPL_DEFAULT_CTX 512 /* llama-perplexity's default -c */

/* ---- per-position arithmetic (ppl_math.c) ------------------------------ */

/* uint16 units of one stored row of log-probabilities, as llama.cpp lays it
 * out: [scale f32][min_log_prob f32][n_vocab uint16][pad to even]. */
static inline int64_t teai_kl_row_units(int n_vocab) {
    return 2 * (((int64_t)n_vocab + 1) / 2) + 4;
}

/* -log softmax(logits)[tok], llama.cpp's results-path formula
 * (logits[tok] - max) - log(sum exp(logits - max)), in its precision. */
double teai_ppl_nll(const float *logits, int n_vocab, int tok);

/* Quantizes log softmax(logits) into row (teai_kl_row_units(n_vocab) units)
 * exactly as llama.cpp's --kl-divergence-base writer, and returns -log p(tok)
 * in that writer's (float) precision. */
double teai_kl_quantize_row(const float *logits, int n_vocab, int tok, uint16_t *row);

/* Running sums of llama.cpp's kl_divergence_result. */
typedef struct teai_kl_acc {
    double sum_nll, sum_nll2, sum_nll_base, sum_nll_base2, sum_nll_nll_base;
    double sum_kld, sum_kld2, sum_p_diff, sum_p_diff2, sum_p_diff4;
    float max_p_diff;
    long n_same_top, count;
} teai_kl_acc;

/* Compares one position: logits (n_vocab,) of this run against base (a row
 * as written by teai_kl_quantize_row), the correct next token tok. Adds to
 * acc and returns the position's KL divergence; *p_diff gets p(tok) - p_base(tok).
 * The run's log-probabilities are rounded to the stored grid the way the base
 * was (see docs/eval-ppl.md), so a run against its own base gives exactly 0.
 * scratch holds 2 * n_vocab floats + teai_kl_row_units(n_vocab) uint16. */
double teai_kl_position(const float *logits, int n_vocab, const uint16_t *base, int tok,
                        teai_kl_acc *acc, float *p_diff, void *scratch);
size_t teai_kl_scratch_bytes(int n_vocab);

/* llama.cpp's mean_and_uncertainty: mean of sum/count and its standard
 * error sqrt(var / (count - 1)); the error is 0 for count <= 10. */
void teai_ppl_mean_err(double sum, double sum2, long count, double *mean, double *err);

/* Interpolated percentile of sorted values (llama.cpp's lambda), fraction 0..1. */
float teai_kl_percentile(const float *sorted, long n, float fraction);
/* Median of sorted values, as llama.cpp takes it. */
float teai_kl_median(const float *sorted, long n);

/* The summary lines of llama-perplexity's KL section. */
typedef struct teai_kl_summary {
    long n; /* positions compared */
    double ppl, ppl_err, ppl_base, ppl_base_err, cor;
    double ln_ratio, ln_ratio_err, ratio, ratio_err, diff, diff_err;
    double kld, kld_err, kld_std;
    /* max, 99.9, 99, 95, 90, median, 10, 5, 1, 0.1 %, min */
    double kld_pct[11];
    double dp, dp_err, dp_std; /* Δp as a fraction (not %) */
    /* max, 99.9, 99, 95, 90, 75, median, 25, 10, 5, 1, 0.1 %, min */
    double dp_pct[13];
    double rms_dp, rms_dp_err;
    double same_top, same_top_err; /* fraction 0..1 */
} teai_kl_summary;

/* Fills s from acc; the percentiles from kld_values and p_diff_values (n of
 * each, sorted here in place; NULL or n == 0 leaves them NAN). */
void teai_kl_summarize(const teai_kl_acc *acc, float *kld_values, float *p_diff_values, long n,
                       teai_kl_summary *s);

/* ---- reference log-probabilities file (kl_base.c) ---------------------- */

/* llama.cpp's --kl-divergence-base layout, which teai writes and reads, with
 * a trailer of teai's own (docs/eval-ppl.md):
 *   "_logits_" | n_ctx u32 | n_vocab i32 | n_chunk i32 | tokens i32 (n_chunk*n_ctx)
 *   | per chunk, per scored position: one row (teai_kl_row_units uint16)
 *   | optional trailer: metadata text ("key: value\n" lines) | its length u32
 *   | "TEAIKLB1"
 * All numbers little-endian. llama-perplexity --kl-divergence reads teai's
 * files (it ignores the trailer) and teai reads llama-perplexity's. */
typedef struct teai_kl_base {
    FILE *f;
    int n_ctx, n_vocab, n_chunk;
    int32_t *tokens;     /* (n_chunk * n_ctx) */
    char *meta;          /* trailer text (NUL-terminated), "" for llama.cpp's files */
    int64_t rows_offset; /* where chunk 0's rows start */
    int writing;
    char path[1024];
} teai_kl_base;

/* Opens and validates a base file: sizes, token ids < n_vocab, the trailer.
 * TEAI_EFORMAT with "path: what" on anything malformed. Free with teai_kl_base_close(). */
int teai_kl_base_open(const char *path, teai_kl_base *b, teai_error *err);
/* The same on an open stream (owned by b from now on, closed even on failure). */
int teai_kl_base_open_stream(FILE *f, const char *path, teai_kl_base *b, teai_error *err);
/* Reads chunk c's rows ((n_ctx - 1 - n_ctx/2) rows) into rows; checks each
 * row's scale and minimum are finite. */
int teai_kl_base_read_chunk(teai_kl_base *b, int c, uint16_t *rows, teai_error *err);
/* A metadata value from the trailer into out ("" when absent). */
void teai_kl_base_meta(const teai_kl_base *b, const char *key, char *out, size_t cap);

/* Creates a base file for n_chunk chunks of tokens (n_chunk * n_ctx). */
int teai_kl_base_create(const char *path, int n_ctx, int n_vocab, int n_chunk,
                        const int32_t *tokens, teai_kl_base *b, teai_error *err);
int teai_kl_base_write_rows(teai_kl_base *b, const uint16_t *rows, int64_t n_rows, teai_error *err);
/* Finishes a written file after n_done chunks (fewer than planned after an
 * interruption: the header and token list are shrunk to match), appends the
 * trailer with meta, and closes it. */
int teai_kl_base_finish(teai_kl_base *b, int n_done, const char *meta, teai_error *err);
void teai_kl_base_close(teai_kl_base *b);
/* Abandons a file being written: closes it and removes its .part file. */
void teai_kl_base_abort(teai_kl_base *b);

/* ---- an evaluation (ppl.c) ---------------------------------------------- */

/* One finished chunk, for printing llama-perplexity's running lines. */
typedef struct teai_ppl_progress {
    int chunk, n_chunks;   /* 1-based index of the chunk just finished, of how many */
    double ppl;            /* exp(mean nll) so far */
    double seconds;        /* wall time of this chunk */
    const teai_kl_acc *kl; /* with a KL base, its running sums; else NULL */
} teai_ppl_progress;

/* Return non-zero to stop at this chunk boundary (the result so far is kept). */
typedef int (*teai_ppl_progress_fn)(void *user, const teai_ppl_progress *p);

typedef struct teai_ppl_params {
    const char *model_path;  /* GGUF file or Hugging Face folder */
    const teai_model *model; /* already loaded: used instead of model_path */
    teai_quantize quantize;  /* load-time quantization (with model_path) */
    const char *text_file;   /* the text; NULL with kl_base: the base's tokens */
    const char *text;        /* or the text itself (text_file NULL) */
    size_t text_len;
    int n_ctx;                /* tokens per chunk; 0 = 512, or the base's with kl_base */
    int n_chunks;             /* 0 = as many as the text holds (or the base has) */
    int n_threads;            /* 0 = all cores */
    int cache_type;           /* teai_cache_type of the KV cache; 0 = f16 */
    int no_repack, nf4_exact; /* teai_model_params' (with model_path) */
    const char *kl_base_out;  /* write reference log-probabilities here */
    const char *kl_base;      /* compare against this base file */
    teai_ppl_progress_fn progress;
    void *user;
} teai_ppl_params;

teai_ppl_params teai_ppl_default_params(void);

typedef struct teai_ppl_result {
    int n_ctx, n_vocab, n_text_tokens;
    int n_chunks_planned, n_chunks; /* chunks asked for, chunks done */
    long n_scored;                  /* tokens scored */
    double nll, nll2;               /* sums over scored tokens */
    double ppl, ppl_err;            /* Final estimate: PPL = ppl +/- ppl_err */
    int has_kl;
    teai_kl_summary kl;
    double load_seconds, eval_seconds;
    char weight_format[64];
    char base_meta[1024]; /* with kl_base: the base file's metadata text */
    int interrupted;      /* the progress callback stopped it */
} teai_ppl_result;

/* Final estimate from sums over count tokens (llama.cpp's end of perplexity()). */
void teai_ppl_estimate(double nll, double nll2, long count, double *ppl, double *err);

/* Runs an evaluation. TEAI_EINTR when the progress callback stopped it: r
 * then holds the estimate of the chunks done (and a base file being written
 * is finished with them). Other errors: TEAI_EINVAL (text too short, ctx too
 * small), TEAI_EFORMAT (bad base file, or one for another text, context or
 * vocabulary), engine errors. */
int teai_ppl_run(const teai_ppl_params *p, teai_ppl_result *r, teai_error *err);

/* Appends the seed-shaped record of a run (eval.h; environment
 * "perplexity", backend "native") to path: metric ppl with its interval
 * symmetric in ln(PPL), and with a KL comparison kl_divergence,
 * top1_agreement and delta_p. returncode: 0, or 130 when interrupted. */
int teai_ppl_append_record(const char *path, const teai_ppl_result *r, const char *model,
                           const char *size, const char *quantization, double elapsed,
                           int returncode, teai_error *err);

#endif
