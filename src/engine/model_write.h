/* Writing whole models (GGUF files, Hugging Face folders) from a source of
 * f32 rows: shared by `model synth`, `model convert` and `model quantize`.
 * Internal. */
#ifndef TEAI_MODEL_WRITE_H
#define TEAI_MODEL_WRITE_H

#include "gguf.h"
#include "teai/engine.h"

/* Where the weights come from. row() writes row r (cols floats) of the tensor
 * called `name` (GGUF naming: "blk.3.attn_q.weight"); vectors are one row.
 * It is called from several threads at once. Rows of llama's attn_q/attn_k
 * are asked in Hugging Face (rotate-half) order unless gguf_order is set. */
typedef struct teai__row_source {
    int (*row)(void *ud, const char *name, int64_t r, int64_t cols, float *dst);
    void *ud;
    int gguf_order;
} teai__row_source;

typedef struct teai__model_desc {
    const teai_hparams *hp;
    const teai_tokenizer *tok;
    const char *chat_template;  /* may be NULL */
    const char *name;           /* general.name */
    const char *shape;          /* teai.synth.shape, or NULL when not synthetic */
    uint64_t seed;              /* teai.synth.seed */
    int rope_freqs_in_source;   /* 1: copy rope_freqs.weight from the source rather than
                                   compute it from hp's llama3 scaling */
    const char *trained_recipe; /* non-NULL: teai.trained = true, teai.trained.recipe = it */
} teai__model_desc;

/* type: f32 f16 bf16 q8_0 q4_0 q4_k q4_k_m q6_k. */
int teai__write_gguf_model(const teai__model_desc *d, const char *type, const teai__row_source *src,
                           int n_threads, const char *path, teai_error *err);
/* dtype: f32 f16 bf16. Writes config.json, generation_config.json,
 * tokenizer.json, tokenizer_config.json and model.safetensors into dir. */
int teai__write_hf_model(const teai__model_desc *d, const char *dtype, const teai__row_source *src,
                         int n_threads, const char *dir, teai_error *err);

/* Checks a type name for writing; returns 1 if known. */
int teai__write_type_ok(const char *type);

/* q4_k_m's mix (llama.cpp's rule): 1 when the weight called `name` of a model
 * of shape hp is stored as q6_k rather than q4_k: the output layer
 * (output.weight, or token_embd.weight when tied) and attn_v / ffn_down in
 * the first and last eighth of the layers and every third layer between.
 * Takes GGUF names ("blk.3.attn_v.weight") and Hugging Face names
 * ("model.layers.3.self_attn.v_proj.weight"). */
int teai__q4_k_m_more_bits(const teai_hparams *hp, const char *name);

/* The storage type of a weight matrix with rows of `cols` under write type
 * `type` (a teai__write_type_ok name; more_bits from teai__q4_k_m_more_bits):
 * what `model quantize` writes, and what load-time GGUF quantization uses.
 * Rows that are not whole blocks fall back to q8_0 (whole blocks of 32) or
 * f16, as llama-quantize does. */
teai_type teai__write_weight_type(const char *type, int more_bits, int64_t cols);

#endif
