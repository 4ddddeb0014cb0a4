/* llref: llama.cpp as a reference for teai's comparison tests.
 *
 * A small wrapper over llama.cpp's C API (include/llama.h of v0.5.0, as
 * provisioned by scripts/provision-llama.sh): load a GGUF, feed tokens, read
 * logits, decode greedily, tokenize. CPU only; one sequence; single-threaded
 * use. Built only with the tests in tests/llama/ (see tests/CMakeLists.txt).
 *
 * Settings (llref_default_params(); see llref.c for why):
 *   - CPU only: n_gpu_layers = 0, and only the CPU backend is loaded.
 *   - The model is read into memory (LLAMA_LOAD_MODE_NONE): no mmap, no lazy
 *     tensors, so a file may be deleted or rewritten once it is open.
 *   - n_batch = n_ubatch = n_ctx: any llref_eval call (at most n_ctx tokens)
 *     is one llama_decode of one micro-batch, one graph, like a whole prompt.
 *   - Flash attention: llama.cpp's default, AUTO, which on the CPU backend
 *     resolves to ON. K/V cache f16 (llama.cpp's default). Weight repacking
 *     for this CPU (use_extra_bufts) on, as llama.cpp's default (it leaves
 *     f32 weights alone). llref_params switches each of these: flash_attn = 0
 *     and kv_f32 = 1 give the plainest attention (f32 K/V, softmax of K.Q).
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative LLREF_E* code on failure; llref_strerror() names it. llama.cpp's
 * own log is silent unless the environment variable LLREF_VERBOSE is set
 * (and not "0"); then it goes to stderr.
 */
#ifndef TEAI_LLREF_H
#define TEAI_LLREF_H

#include <stdint.h>

#define LLREF_EINVAL     (-1) /* bad argument, or a vocab-only handle asked to evaluate */
#define LLREF_ENOMEM     (-2) /* out of memory */
#define LLREF_ENOBACKEND (-3) /* llama.cpp found no CPU backend to load */
#define LLREF_ELOAD      (-4) /* llama.cpp could not load the model or make a context */
#define LLREF_ERANGE     (-5) /* more tokens than the context has room for */
#define LLREF_EDECODE    (-6) /* llama_decode failed */

typedef struct llref llref;

typedef struct llref_params {
    int n_ctx;      /* context length in tokens; also n_batch and n_ubatch (default 512) */
    int n_threads;  /* threads for llama_decode; <= 0: one per online CPU (default 1) */
    int flash_attn; /* -1 auto (default; ON on the CPU), 0 off, 1 on */
    int kv_f32;     /* 1: K/V cache in f32; 0: f16 (default) */
    int repack;     /* 1: repack weights for this CPU's kernels (default); 0: as stored */
} llref_params;

llref_params llref_default_params(void);

/* Loads llama.cpp's backends and silences its log; idempotent, and called by
 * the llref_open* functions if not before. The prebuilt libllama finds its
 * CPU backend (libggml-cpu-<cpu>.so) only when told where: $TEAI_LLAMA_LIBDIR,
 * else the folder libllama was loaded from. 0, or LLREF_ENOBACKEND. */
int llref_init(void);

/* Opens a model for evaluation with llref_default_params() but n_ctx and
 * n_threads. The handle is owned by the caller: llref_close(). */
int llref_open(const char *gguf_path, int n_ctx, int n_threads, llref **out);
int llref_open_params(const char *gguf_path, const llref_params *p, llref **out);

/* Opens only the vocabulary (any GGUF with tokenizer.* keys, such as llama.cpp's
 * models/ggml-vocab-*.gguf): llref_tokenize and llref_n_vocab work, llref_eval*
 * return LLREF_EINVAL. */
int llref_open_vocab(const char *gguf_path, llref **out);

void llref_close(llref *r); /* NULL is fine */

int llref_n_vocab(const llref *r);
int llref_n_ctx(const llref *r);  /* tokens the context holds: the n_ctx asked for */
int llref_n_past(const llref *r); /* tokens in the context: the next token's position */

/* Appends n tokens at positions n_past .. n_past+n-1 (n_past + n <= n_ctx)
 * and writes the logits of the last one: logits_last (n_vocab,). */
int llref_eval(llref *r, const int32_t *tokens, int n, float *logits_last);

/* As llref_eval, with the logits of every token: logits_all (n, n_vocab),
 * row i for tokens[i]. */
int llref_eval_all(llref *r, const int32_t *tokens, int n, float *logits_all);

/* Empties the context (KV cache / memory); the next token is at position 0. */
void llref_reset(llref *r);

/* From an empty context: evaluates prompt (n_prompt >= 1), then n_gen times
 * takes the argmax of the last logits (the lowest id among equal maxima, as
 * llama.cpp's greedy sampler) into out (n_gen,) and feeds it back. Does not
 * stop at end-of-generation tokens. Returns n_gen, or a negative code. */
int llref_greedy(llref *r, const int32_t *prompt, int n_prompt, int n_gen, int32_t *out);

/* Tokenizes text (NUL-terminated) into out (cap,). add_special: add BOS/EOS as
 * the vocabulary says; parse_special: "<s>"-style text becomes special tokens.
 * Returns the number of tokens; if more than cap are needed, -(that number)
 * and out holds nothing useful; LLREF_EINVAL on a bad argument. */
int llref_tokenize(llref *r, const char *text, int add_special, int parse_special, int32_t *out,
                   int cap);

/* The text of one token (special tokens rendered), NUL-terminated in buf
 * (cap,). Returns its length, or a negative code if buf is too small. */
int llref_token_to_piece(llref *r, int32_t token, char *buf, int cap);

const char *llref_strerror(int code);

#endif
