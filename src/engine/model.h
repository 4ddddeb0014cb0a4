/* The loaded model: shapes, weights (in the file's mapping where the format
 * allows, or in buffers made at load time), tokenizer. Internal. */
#ifndef TEAI_MODEL_H
#define TEAI_MODEL_H

#include "teai/engine.h"
#include "gguf.h"

#include <stdint.h>

/* A weight matrix W (rows, cols): rows contiguous rows of row_bytes each. */
typedef struct teai__weight {
    teai_type type;
    const void *data;
    int64_t rows, cols;
    size_t row_bytes;
} teai__weight;

typedef struct teai__layer {
    const float *attn_norm;    /* (dim,) */
    teai__weight wq;           /* (n_heads * head_dim, dim) */
    teai__weight wk;           /* (n_kv_heads * head_dim, dim) */
    teai__weight wv;           /* (n_kv_heads * head_dim, dim) */
    teai__weight wo;           /* (dim, n_heads * head_dim) */
    const float *bq, *bk, *bv; /* biases (qwen2), NULL otherwise */
    const float *ffn_norm;     /* (dim,) */
    teai__weight w_gate;       /* (ffn_dim, dim) */
    teai__weight w_up;         /* (ffn_dim, dim) */
    teai__weight w_down;       /* (dim, ffn_dim) */
} teai__layer;

struct teai_model {
    teai_hparams hp;
    teai_tokenizer *tok;
    teai_gguf *gguf;       /* backing file (GGUF), or NULL */
    struct teai_st *st;    /* backing files (safetensors), or NULL */
    teai__weight tok_embd; /* (n_vocab, dim): row t is token t's embedding */
    const float *out_norm; /* (dim,) */
    teai__weight output;   /* (n_vocab, dim); the same data as tok_embd when tied */
    float *rope_inv_freq;  /* (head_dim / 2): theta_i / pos, with llama3 scaling applied */
    teai__layer *layers;   /* (n_layers) */
    void **owned;          /* buffers made at load time, freed with the model */
    int n_owned, cap_owned;
    char weight_format[64];
    char *chat_template;
    uint64_t param_bytes, param_count;
    int converted;  /* 1: some weight was converted at load (not as stored in the file) */
    int check_only; /* 1: loaded by teai__model_check: shapes only, no weights */
    /* repacked copies made at load (repack_model.c): bytes, time, tensors */
    uint64_t repack_bytes;
    double repack_ms;
    int n_repacked;
};

/* Gives the Q4_0 / Q4_K matrices repacked copies where the CPU has kernels
 * for them (repack.h), with n_threads threads (0: all cores). */
int teai__model_repack(teai_model *m, int n_threads, teai_error *err);

/* Tensor names of the GGUF convention, used for every source format. */
#define TEAI__N_LAYER_TENSORS 12

/* Converts a Hugging Face q/k projection (rotate-half RoPE layout) to GGUF's
 * interleaved layout, row by row: out row h*hd + 2i + j = in row h*hd + j*hd/2 + i.
 * inverse = 1 goes the other way. row_bytes per row; n_head heads of hd rows. */
void teai__permute_qk_rows(const void *in, void *out, int n_head, int hd, size_t row_bytes,
                           int inverse);

/* Inverse RoPE frequencies with "llama3" scaling (factor 0 = none), (head_dim/2). */
void teai__rope_inv_freq(const teai_hparams *hp, float *out);

/* Fills hp from a GGUF file's metadata (general.architecture and <arch>.*). */
int teai__hparams_from_gguf(const teai_gguf *g, teai_hparams *hp, teai_error *err);
/* Checks shapes are consistent and within sane bounds. `what` names the source. */
int teai__hparams_check(const teai_hparams *hp, const char *what, teai_error *err);

/* Checks that teai_model_load would accept path (vocab_only: as a vocabulary):
 * the same checks of the metadata, the tokenizer and every tensor's presence,
 * type and shape, without reading or converting the weights (`teai model
 * info`). TEAI_OK, or teai_model_load's error. */
int teai__model_check(const char *path, int vocab_only, teai_error *err);

#endif
