/* What the command-line tool and the backends use of the engine beyond the
 * inference API of teai/engine.h: finding a model a user names, what a model
 * file or folder declares (metadata, tensor directory, shapes, tokenizer)
 * without loading its weights, and the kernels' SIMD level. Users:
 * `teai model info`, the model lookup of `teai bench`, the llama-bench
 * backend (a GGUF file's weight format and size) and the native backend (its
 * device name).
 *
 * The one engine header other modules may include besides teai/engine.h
 * (scripts/check-layering.sh); not part of the library's public API. Most
 * functions are the engine's own, declared again here from its internal
 * headers (gguf.h, safetensors.h, hf.h, model.h, tokenizer.h, quant.h);
 * tools.c includes both, so the compiler keeps the two in step. New here:
 * teai_tensor_desc and the three functions that fill it or copy a string. */
#ifndef TEAI_ENGINE_TOOLS_H
#define TEAI_ENGINE_TOOLS_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

/* ---- finding a model ------------------------------------------------- */

/* A file or folder as is; else "ORG/NAME" in the Hugging Face hub cache, then
 * ./models/; the path NUL-terminated into out. TEAI_ENOTFOUND with every
 * place looked in the message; TEAI_ERANGE when the path exceeds cap. */
int teai_hf_resolve(const char *spec, char *out, size_t cap, teai_error *err);

/* ---- a tensor as a file's directory declares it ---------------------- */

typedef struct teai_tensor_desc {
    const char *name;  /* owned by the open file */
    char type[16];     /* GGUF: "q4_k" (teai_type_name), "type<N>" for a type teai
                          cannot read; safetensors: the dtype as written, "BF16" */
    uint64_t elements; /* product of the dimensions (1 for a scalar) */
    uint64_t nbytes;   /* bytes of data in the file */
} teai_tensor_desc;

/* ---- GGUF files: metadata and tensor directory ----------------------- */

typedef struct teai_gguf teai_gguf;
typedef struct teai_gguf_kv teai_gguf_kv;

/* Opens and validates the file (every key, every tensor against the file).
 * Free with teai_gguf_close(). */
int teai_gguf_open(const char *path, teai_gguf **out, teai_error *err);
void teai_gguf_close(teai_gguf *g);
uint32_t teai_gguf_version(const teai_gguf *g);
uint64_t teai_gguf_file_size(const teai_gguf *g);
/* The key, or NULL when absent (a presence test here). */
const teai_gguf_kv *teai_gguf_get(const teai_gguf *g, const char *key);
/* A string key copied NUL-terminated into buf (truncated to cap), "" when absent. */
const char *teai_gguf_get_str(const teai_gguf *g, const char *key, char *buf, size_t cap);
/* A string key whole, in a malloc'ed copy the caller frees; NULL when absent,
 * not a string, or out of memory. */
char *teai_gguf_get_str_dup(const teai_gguf *g, const char *key);
/* An integer or bool key, or def when absent or not numeric. */
int64_t teai_gguf_get_int(const teai_gguf *g, const char *key, int64_t def);
int64_t teai_gguf_n_tensors(const teai_gguf *g);
/* Tensor i of the directory, 0 <= i < teai_gguf_n_tensors(); TEAI_EINVAL otherwise. */
int teai_gguf_tensor_desc(const teai_gguf *g, int64_t i, teai_tensor_desc *out);
/* Shapes from the metadata (general.architecture and <arch>.*). */
int teai__hparams_from_gguf(const teai_gguf *g, teai_hparams *hp, teai_error *err);

/* ---- Hugging Face folders: config.json and safetensors --------------- */

typedef struct teai_st teai_st;

/* dir/config.json into *hp (llama and qwen2; errors as teai_model_load's). */
int teai_hf_read_config(const char *dir, teai_hparams *hp, teai_error *err);
/* A .safetensors file, a shard index, or a folder holding either. Free with
 * teai_st_close(). */
int teai_st_open(const char *path, teai_st **out, teai_error *err);
void teai_st_close(teai_st *st);            /* NULL is a no-op */
int64_t teai_st_n_files(const teai_st *st); /* 1, or the number of shards */
/* Tensor i in file order (shards sorted by name); TEAI_EINVAL past the last. */
int teai_st_tensor_desc(const teai_st *st, int64_t i, teai_tensor_desc *out);

/* ---- tokenizer and model checks -------------------------------------- */

/* The tokenizer of a GGUF file's tokenizer.ggml.* keys, or of a folder's
 * tokenizer.json (+ tokenizer_config.json). Free with teai__tokenizer_free(). */
int teai__tokenizer_from_gguf(const teai_gguf *g, teai_tokenizer **out, teai_error *err);
int teai__tokenizer_from_hf(const char *dir, teai_tokenizer **out, teai_error *err);
void teai__tokenizer_free(teai_tokenizer *tok);
/* Stored text of a token ("<|begin_of_text|>"), NULL when id is out of range. */
const char *teai__tokenizer_token_text(const teai_tokenizer *tok, int32_t id);
/* The chat template a folder's tokenizer_config.json gave, or NULL. Owned
 * by the tokenizer. */
const char *teai__tokenizer_chat_template(const teai_tokenizer *tok);
/* TEAI_OK when teai_model_load would accept path (vocab_only: as a
 * vocabulary), else its error: the same checks of the metadata, the tokenizer
 * and every tensor's presence, type and shape, without reading or converting
 * the weights. */
int teai__model_check(const char *path, int vocab_only, teai_error *err);

/* ---- kernels --------------------------------------------------------- */

/* The SIMD level the kernels run at: "avx512-vnni", "avx2", "neon",
 * "neon-dotprod" or "scalar". */
const char *teai__simd_name(void);

#endif
