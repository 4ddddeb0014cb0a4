/* teai engine: the built-in inference engine (public API).
 *
 * Ownership: every object returned through an `**out` parameter is owned by
 * the caller and freed with the matching teai_*_free(). The library never
 * prints and never exits; failures return a negative teai_status and, where a
 * teai_error is passed, a one-line message saying what failed and where
 * ("model.gguf: tensor blk.3.attn_q.weight: offset past end of file").
 */
#ifndef TEAI_ENGINE_H
#define TEAI_ENGINE_H

#include "teai/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tensor types ------------------------------------------------------ */

/* GGUF type numbers where GGUF has the type; teai's own load-time formats
 * (teai_quantize below) use numbers GGUF does not, and never appear in files. */
typedef enum teai_type {
    TEAI_TYPE_F32 = 0,
    TEAI_TYPE_F16 = 1,
    TEAI_TYPE_Q4_0 = 2,
    TEAI_TYPE_Q8_0 = 8,
    TEAI_TYPE_Q4_K = 12,
    TEAI_TYPE_Q6_K = 14,
    TEAI_TYPE_BF16 = 30,
    TEAI_TYPE_I8 = 1000, /* per-row absmax int8, fp16 scale per row */
    TEAI_TYPE_NF4 = 1001 /* NormalFloat-4, blocks of 64, fp16 absmax scale */
} teai_type;

const char *teai_type_name(teai_type t); /* "q4_k"; NULL if unknown */
/* Case-insensitive; TEAI_OK and *out (may be NULL), or TEAI_ENOTFOUND. */
int teai_type_from_name(const char *name, teai_type *out);
int teai_type_is_known(uint32_t t);                /* 1 if teai can read this type */
int64_t teai_type_block_size(teai_type t);         /* elements per block (1 for f32) */
size_t teai_type_row_size(teai_type t, int64_t n); /* bytes of a row of n elements */

/* ---- model ------------------------------------------------------------- */

/* Load-time quantization, named as the original workflow named it
 * (docs/backends.md). */
typedef enum teai_quantize {
    TEAI_QUANTIZE_DEFAULT = 0, /* weights as stored in the file */
    TEAI_QUANTIZE_FLOAT16,     /* fp16 weights */
    TEAI_QUANTIZE_INT8,        /* per-output-row absmax int8, fp16 scale */
    TEAI_QUANTIZE_NF4,         /* NF4 codebook, blocks of 64, fp16 absmax scale */
    /* GGUF types: every weight matrix re-encoded as `teai model quantize`
     * writes that type (same quantizers, same fallbacks for rows that are not
     * whole blocks), so the weights equal those of the quantized file */
    TEAI_QUANTIZE_Q8_0,   /* llama.cpp Q8_0 */
    TEAI_QUANTIZE_Q6_K,   /* llama.cpp Q6_K */
    TEAI_QUANTIZE_Q4_K_M, /* llama.cpp's Q4_K_M mix: Q6_K for the output layer and some
                             attn_v / ffn_down, Q4_K elsewhere */
    TEAI_QUANTIZE_Q4_0    /* llama.cpp Q4_0 */
} teai_quantize;

/* "default", "float16", "int8", "nf4", "q8_0", "q6_k", "q4_k_m", "q4_0" */
const char *teai_quantize_name(teai_quantize q);
/* "fp16" and "f16" too; TEAI_OK and *out (may be NULL), or TEAI_ENOTFOUND. */
int teai_quantize_from_name(const char *name, teai_quantize *out);

typedef enum teai_rope_style {
    TEAI_ROPE_NORM = 0, /* rotate adjacent pairs (llama in GGUF layout) */
    TEAI_ROPE_NEOX = 1  /* rotate halves (qwen2; llama in Hugging Face layout) */
} teai_rope_style;

/* Shapes and constants of a model. */
typedef struct teai_hparams {
    char arch[32];  /* "llama" or "qwen2" */
    char name[128]; /* general.name, may be empty */
    int n_vocab;
    int dim; /* embedding width */
    int n_layers;
    int n_heads;
    int n_kv_heads; /* < n_heads: grouped-query attention */
    int head_dim;   /* dim / n_heads unless the file says otherwise */
    int ffn_dim;
    int ctx_len; /* trained context length */
    float rope_theta;
    float norm_eps;  /* RMSNorm epsilon */
    int tied_output; /* 1: output layer reuses token embeddings */
    int qkv_bias;    /* 1: q/k/v projections have biases (qwen2) */
    teai_rope_style rope_style;
    /* "llama3" RoPE frequency scaling (Llama 3.1/3.2); factor 0 = none. */
    float rope_scale_factor;
    float rope_low_freq_factor;
    float rope_high_freq_factor;
    int rope_orig_ctx;
} teai_hparams;

typedef struct teai_model teai_model;
typedef struct teai_tokenizer teai_tokenizer;

typedef struct teai_model_params {
    teai_quantize quantize; /* default TEAI_QUANTIZE_DEFAULT */
    int n_threads;          /* threads for load-time quantization; 0 = all cores */
    int vocab_only;         /* 1: load only the tokenizer (vocabulary GGUF files) */
    int no_repack;          /* 1: every weight used in place, as stored; 0 (default): Q4_0 and
                               Q4_K matrices get an interleaved copy at load where the CPU's
                               kernels run faster on it (teai_model_repack_info) */
    int nf4_exact;          /* 1: nf4 weights against f32 activations with the f32 codebook (the
                               exact path); 0 (default): the integer path (int8 codebook, int8
                               activations) */
} teai_model_params;

teai_model_params teai_model_default_params(void);

/* Loads a GGUF file or a Hugging Face folder (config.json + *.safetensors).
 * Free with teai_model_free(). */
int teai_model_load(const char *path, const teai_model_params *params, teai_model **out,
                    teai_error *err);
void teai_model_free(teai_model *model);

const teai_hparams *teai_model_hparams(const teai_model *model);
/* The model's tokenizer; owned by the model. */
const teai_tokenizer *teai_model_tokenizer(const teai_model *model);
/* Total bytes of parameters as held in memory after load-time quantization. */
uint64_t teai_model_param_bytes(const teai_model *model);
uint64_t teai_model_param_count(const teai_model *model);
/* Weight matrices given an interleaved copy at load (teai_model_params.no_repack):
 * returns how many; *bytes (may be NULL) the copies' bytes, *ms (may be NULL)
 * the milliseconds spent making them. 0 with no_repack or where the CPU has no
 * kernels for them. */
int teai_model_repack_info(const teai_model *model, uint64_t *bytes, double *ms);
/* Weight format actually used, e.g. "q4_k+q6_k", "nf4", "f16". Owned by the model. */
const char *teai_model_weight_format(const teai_model *model);
/* Chat template text from the file, or NULL. Owned by the model. */
const char *teai_model_chat_template(const teai_model *model);

/* ---- inference context ---------------------------------------------- */

typedef struct teai_context teai_context;

typedef struct teai_context_params {
    int n_ctx;      /* KV cache length in tokens, all sequences together;
                       0 = min(model ctx_len, 4096) */
    int n_threads;  /* 0 = all cores */
    int n_seq;      /* sequences, each with its own KV cache of n_ctx / n_seq
                       positions (teai_context_eval_batch); 0 = 1 */
    int cache_type; /* teai_cache_type of the K and V cache; 0 = TEAI_CACHE_F16 */
} teai_context_params;

/* The KV cache's element type (--cache-type). */
typedef enum teai_cache_type {
    TEAI_CACHE_DEFAULT = 0, /* f16 */
    TEAI_CACHE_F16,
    TEAI_CACHE_F32,
    TEAI_CACHE_Q8_0
} teai_cache_type;

/* "f16", "f32", "q8_0" (and "default") into *out; TEAI_EINVAL otherwise. */
int teai_cache_type_from_name(const char *name, teai_cache_type *out);
/* "f16", "f32", "q8_0"; the default is "f16". */
const char *teai_cache_type_name(teai_cache_type t);
/* The GGUF/ggml type number of a cache type (TEAI_TYPE_F16, TEAI_TYPE_F32,
 * TEAI_TYPE_Q8_0), as teai_decode_bytes_per_step takes it. */
uint32_t teai_cache_type_ggml(teai_cache_type t);

teai_context_params teai_context_default_params(void);

int teai_context_new(const teai_model *model, const teai_context_params *params, teai_context **out,
                     teai_error *err);
void teai_context_free(teai_context *ctx);

/* Runs tokens[0..n) at positions pos..pos+n and appends them to the KV cache.
 * Writes the next-token logits of the last token to `logits` (n_vocab floats)
 * when logits is non-NULL. TEAI_ERANGE if the cache would overflow. */
int teai_context_eval(teai_context *ctx, const int32_t *tokens, int n, float *logits,
                      teai_error *err);
/* As teai_context_eval, writing the next-token logits of every token:
 * logits holds (n, n_vocab) floats, row i for tokens[i] (perplexity). */
int teai_context_eval_all(teai_context *ctx, const int32_t *tokens, int n, float *logits,
                          teai_error *err);
int teai_context_pos(const teai_context *ctx);   /* tokens in sequence 0's KV cache */
int teai_context_n_ctx(const teai_context *ctx); /* positions per sequence */
/* The KV cache's element type (never TEAI_CACHE_DEFAULT: that reads as f16). */
teai_cache_type teai_context_cache_type(const teai_context *ctx);
void teai_context_reset(teai_context *ctx); /* empties every sequence's KV cache */

/* Tokens teai_context_eval runs per forward pass: a prompt goes in chunks of
 * this many from its start. */
#define TEAI_EVAL_CHUNK 128

/* Several sequences in one forward pass (continuous batching). teai_context_eval
 * and teai_context_eval_all run sequence 0. */
typedef struct teai_batch_row {
    int32_t token;
    int seq;    /* 0 .. n_seq-1 */
    int logits; /* 1: write this row's next-token logits */
} teai_batch_row;

/* Runs n rows at once: row i appends rows[i].token to sequence rows[i].seq at
 * that sequence's next position (rows of one sequence in the order given;
 * each attends to its own sequence only). The matmuls take all rows together,
 * so the weights are read once for the batch. The rows that ask for logits
 * get them in logits ((count, n_vocab) floats, in row order) when logits is
 * non-NULL. n <= teai_context_batch_max. TEAI_ERANGE when a sequence's cache
 * would overflow, TEAI_EINVAL for a bad row: then nothing is run.
 *
 * Each row's numbers are those of teai_context_eval on its sequence alone,
 * whatever else the batch holds, when each sequence's rows in a call are what
 * one teai_context_eval chunk runs: one token, or up to TEAI_EVAL_CHUNK
 * consecutive prompt tokens starting at a multiple of it from the sequence's
 * start. F16 on AVX-512, and Q8_0 and Q4_0 on AVX2 alone, need this (their
 * decode kernel sums in another order than their prompt kernel), and there
 * the rows alone of their sequence in a batch take the decode kernel (several
 * at once on AVX2, one by one on AVX-512); the other types give the same
 * numbers for any split. */
int teai_context_eval_batch(teai_context *ctx, const teai_batch_row *rows, int n, float *logits,
                            teai_error *err);
/* Rows per call: TEAI_EVAL_CHUNK, plus n_seq when n_seq > 1. */
int teai_context_batch_max(const teai_context *ctx);
int teai_context_n_seq(const teai_context *ctx);
int teai_context_seq_pos(const teai_context *ctx, int seq); /* tokens in its cache; -1 bad seq */
void teai_context_seq_reset(teai_context *ctx, int seq);    /* empties one sequence's cache */
/* Bytes one decode step at position pos moves (docs/metrics.md):
 * teai_decode_bytes_per_step of the model (teai_decode_shape_from_model)
 * with K and V rows of the context's cache type (teai_cache_type_ggml). */
uint64_t teai_context_step_bytes(const teai_context *ctx, int pos);
/* The clock (CLOCK_MONOTONIC, ns) when the last teai_context_eval* call ran
 * its first kernel (the token-embedding lookup): what it did before that
 * (argument checks) is the engine's work before computing starts. 0 before
 * any call. */
uint64_t teai_context_compute_start_ns(const teai_context *ctx);

/* ---- bytes per decode step (memory_throughput_gb_s, docs/metrics.md) --- *
 * One definition for every backend, so that the same file at the same speed
 * gives the same GB/s:
 *   weights: every tensor of the model read once, whole, except the token
 *     embedding table, of which a step reads one row, unless the output
 *     layer is tied to it (no output.weight tensor), when it is read whole
 *     as the output matrix;
 *   KV cache: a step at position pos (tokens already cached) writes one K
 *     and one V row per layer and reads pos + 1 of each (attention over
 *     positions 0..pos, its own included): (pos + 2) rows of K and of V per
 *     layer, a K row n_kv_heads x head_dim_k elements of the cache's type;
 *   activations are not counted (they stay in the CPU's caches; an estimate
 *     of them would differ between backends).
 * Sizes are the tensors' as stored: block size and bytes per block of each
 * type, as ggml defines them (every GGUF type, not only those teai runs). */
typedef struct teai_decode_shape {
    uint64_t weight_bytes; /* weights one decode step reads (above) */
    uint64_t param_bytes;  /* every parameter tensor, whole */
    int n_layers;
    int n_kv_heads;
    int head_dim_k; /* <arch>.attention.key_length when given, else embedding / heads */
    int head_dim_v; /* <arch>.attention.value_length when given, else embedding / heads */
    int tied_output;
} teai_decode_shape;

/* From a GGUF file's metadata and tensor directory (no tensor data is read). */
int teai_decode_shape_from_file(const char *path, teai_decode_shape *out, teai_error *err);
/* From a loaded model: for a GGUF file loaded as stored (quantization
 * "default"), exactly teai_decode_shape_from_file of the file; otherwise
 * (load-time conversion, Hugging Face folders) the weights as held in memory. */
void teai_decode_shape_from_model(const teai_model *model, teai_decode_shape *out);
/* Bytes one decode step at position pos moves with a K cache of type k_type
 * and a V cache of v_type (GGUF/ggml type numbers: TEAI_TYPE_F32, TEAI_TYPE_F16,
 * TEAI_TYPE_Q8_0, ...). 0 when a type is unknown or the row is not whole blocks. */
uint64_t teai_decode_bytes_per_step(const teai_decode_shape *shape, uint32_t k_type,
                                    uint32_t v_type, int pos);

/* ---- sampling ------------------------------------------------------- */

typedef struct teai_sampler_params {
    float temperature; /* 0 = greedy (argmax); default 0.8 */
    int top_k;         /* 0 = off; default 40 */
    float top_p;       /* 1 = off; default 0.95 */
    uint64_t seed;     /* default 42 */
} teai_sampler_params;

typedef struct teai_sampler teai_sampler;

teai_sampler_params teai_sampler_default_params(void);
int teai_sampler_new(const teai_sampler_params *params, int n_vocab, teai_sampler **out);
void teai_sampler_free(teai_sampler *s);
/* Picks a token from logits (n_vocab floats; may be modified). */
int32_t teai_sampler_sample(teai_sampler *s, float *logits);

/* ---- tokenizer ------------------------------------------------------ */

/* Tokenizes len bytes of UTF-8 text. add_bos: prepend BOS when the vocabulary
 * uses one; parse_special: recognize special tokens (<|eot_id|> …) in text.
 * Writes up to cap ids; *n_out is the count needed (may exceed cap, then
 * TEAI_ERANGE is returned and the caller retries with a larger buffer). */
int teai_tokenize(const teai_tokenizer *tok, const char *text, size_t len, int add_bos,
                  int parse_special, int32_t *ids, int cap, int *n_out);
/* Bytes of one token as text (byte-fallback tokens give their byte; control
 * tokens give "" unless render_special). Returns bytes written (< cap), or a
 * negative status: TEAI_EINVAL for an id out of range, TEAI_ERANGE when the
 * piece and its NUL do not fit in cap, TEAI_ENOMEM. */
int teai_token_to_piece(const teai_tokenizer *tok, int32_t id, int render_special, char *buf,
                        int cap);
int teai_tokenizer_n_vocab(const teai_tokenizer *tok);
int32_t teai_tokenizer_bos(const teai_tokenizer *tok);            /* -1 if none */
int32_t teai_tokenizer_eos(const teai_tokenizer *tok);            /* -1 if none */
int teai_tokenizer_is_eog(const teai_tokenizer *tok, int32_t id); /* end of generation */
/* "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE), and the
 * pre-tokenizer name ("llama-bpe", "qwen2", "default"). */
const char *teai_tokenizer_model(const teai_tokenizer *tok);
const char *teai_tokenizer_pre(const teai_tokenizer *tok);

/* ---- chat templates ------------------------------------------------- */

typedef struct teai_chat_msg {
    const char *role; /* "system", "user", "assistant" */
    const char *content;
} teai_chat_msg;

typedef enum teai_chat_format {
    TEAI_CHAT_NONE = 0,
    TEAI_CHAT_LLAMA3,
    TEAI_CHAT_CHATML
} teai_chat_format;

/* Recognizes the format from a model's template text (NULL gives NONE). */
teai_chat_format teai_chat_detect(const char *template_text);
/* Formats messages; add_assistant opens the assistant turn. Writes a
 * NUL-terminated string into buf; returns the length needed (excluding NUL),
 * or a negative status (TEAI_EUNSUPPORTED for TEAI_CHAT_NONE). */
int teai_chat_apply(teai_chat_format fmt, const teai_chat_msg *msgs, int n, int add_assistant,
                    char *buf, size_t cap);

/* ---- model files: synthesize, convert, quantize --------------------- */

/* Fills hp with a named shape: "tiny", "llama-3.2-1b", "llama-3.2-3b",
 * "llama-3.1-8b", "qwen2.5-0.5b". TEAI_EINVAL for another name. */
int teai_synth_shape(const char *shape, teai_hparams *hp);
/* Names of the shapes, NULL-terminated. */
const char *const *teai_synth_shape_names(void);

typedef struct teai_synth_params {
    teai_hparams hp;        /* the shape (teai_synth_shape, then overrides) */
    const char *shape_name; /* recorded in the file; may be NULL */
    const char *vocab_from; /* GGUF file whose tokenizer to copy; NULL = byte-level vocabulary */
    uint64_t seed;          /* default 42 */
    const char *type;       /* f32 f16 bf16 q8_0 q4_0 q4_k q4_k_m q6_k; default "f16" */
    int n_threads;          /* 0 = all cores */
} teai_synth_params;

teai_synth_params teai_synth_default_params(void);
/* Writes a random-weight model: a GGUF file when out ends in ".gguf", else a
 * Hugging Face folder (config.json, tokenizer.json, model.safetensors; f32,
 * f16 or bf16 only). The same seed gives the same weights in both forms. */
int teai_model_synth(const teai_synth_params *p, const char *out, teai_error *err);
/* Hugging Face folder -> GGUF of the given type (as teai_synth_params.type). */
int teai_model_convert(const char *hf_dir, const char *out_gguf, const char *type, int n_threads,
                       teai_error *err);
/* GGUF -> GGUF with every weight matrix re-encoded as type (norms stay f32). */
int teai_model_quantize(const char *in_gguf, const char *out_gguf, const char *type, int n_threads,
                        teai_error *err);

/* ---- what `teai model train` needs from the engine ------------------------ */

typedef struct teai_tokenizer_train_params {
    int n_vocab;   /* whole vocabulary: 256 byte tokens + merges + 2 control tokens
                      (<|begin_of_text|>, <|end_of_text|>); default 4096 */
    int n_threads; /* 0 = all cores */
} teai_tokenizer_train_params;

teai_tokenizer_train_params teai_tokenizer_train_default_params(void);
/* Trains a byte-level BPE (GPT-2 byte alphabet, llama-bpe pre-tokenizer, the
 * form llama.cpp reads from GGUF) on n_texts UTF-8 texts: the most frequent
 * adjacent pair is merged until n_vocab tokens exist (fewer when the text has
 * no more pairs), ties broken by the lower pair of ids, so the same texts
 * always give the same tokenizer. BOS is <|begin_of_text|>, added by
 * teai_tokenize(add_bos=1). Free the result with teai_tokenizer_free(). */
int teai_tokenizer_train(const char *const *texts, const size_t *lens, int n_texts,
                         const teai_tokenizer_train_params *params, teai_tokenizer **out,
                         teai_error *err);
/* Frees a tokenizer from teai_tokenizer_train() or teai_tokenizer_load()
 * (never one from teai_model_tokenizer(), which the model owns). */
void teai_tokenizer_free(teai_tokenizer *tok);
/* The tokenizer of a GGUF file (a model, or a vocabulary-only file). */
int teai_tokenizer_load(const char *gguf_path, teai_tokenizer **out, teai_error *err);
/* Writes a vocabulary-only GGUF (general.architecture llama, the tokenizer.*
 * keys, no tensors), which llama.cpp opens with vocab_only. Atomic. */
int teai_tokenizer_save(const teai_tokenizer *tok, const char *gguf_path, teai_error *err);

/* Writes row r (cols floats) of the tensor called name (GGUF naming,
 * "blk.3.attn_q.weight", GGUF row order: llama's q/k rows with RoPE pairs
 * interleaved); a vector is row 0. Called from several threads at once.
 * Returns 0, or a negative teai_status to stop the write. */
typedef int (*teai_row_fn)(void *ud, const char *name, int64_t r, int64_t cols, float *dst);

typedef struct teai_model_write_params {
    const teai_hparams *hp;     /* shape; arch "llama" */
    const teai_tokenizer *tok;  /* written into the file / folder */
    const char *name;           /* general.name; NULL = hp->name */
    const char *trained_recipe; /* non-NULL: teai.trained = true and
                                   teai.trained.recipe = this JSON text */
    int n_threads;              /* 0 = all cores */
} teai_model_write_params;

/* A GGUF model from rows (type as teai_synth_params.type). Atomic. */
int teai_model_write_gguf(const teai_model_write_params *p, const char *type, teai_row_fn row,
                          void *ud, const char *path, teai_error *err);
/* A Hugging Face folder (dtype f32, f16 or bf16); the recipe goes into
 * model.safetensors' "__metadata__" as "teai.trained.recipe". */
int teai_model_write_hf(const teai_model_write_params *p, const char *dtype, teai_row_fn row,
                        void *ud, const char *dir, teai_error *err);

#ifdef __cplusplus
}
#endif

#endif
