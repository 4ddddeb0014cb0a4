/* The llama model as trained: parameters in one flat f32 array, forward and
 * backward over a batch of token sequences. Internal to src/train.
 *
 * Tensors carry their GGUF names and GGUF row order (q/k rows with the RoPE
 * pairs interleaved, rotated as llama.cpp's "norm" RoPE: pair (2i, 2i+1) of a
 * head at position p turns by p * theta^(-2i/head_dim)), so a tensor's rows
 * are written to a GGUF file as they are. */
#ifndef TEAI_TRAIN_TMODEL_H
#define TEAI_TRAIN_TMODEL_H

#include "base/threadpool.h"

#include <stddef.h>
#include <stdint.h>

typedef struct teai__tshape {
    int dim; /* model width */
    int n_layers;
    int n_heads;    /* query heads; head_dim = dim / n_heads */
    int n_kv_heads; /* key/value heads (grouped-query attention), divides n_heads */
    int hidden;     /* SwiGLU width */
    int n_vocab;
    int n_ctx; /* longest sequence trained on */
    int tied;  /* 1: the output layer is token_embd (no output.weight) */
    float rope_theta;
    float norm_eps;
} teai__tshape;

typedef struct teai__ttensor {
    char name[48]; /* "token_embd.weight", "blk.0.attn_q.weight", ... */
    int64_t rows;  /* 0 for a vector */
    int64_t cols;
    size_t offset; /* in floats, into the flat parameter array */
} teai__ttensor;

/* The tensors of shape s in GGUF file order: token_embd, output_norm,
 * output (untied only), then per layer attn_norm, attn_q (n_heads*hd, dim),
 * attn_k (n_kv*hd, dim), attn_v (n_kv*hd, dim), attn_output (dim, n_heads*hd),
 * ffn_norm, ffn_gate (hidden, dim), ffn_up (hidden, dim), ffn_down (dim,
 * hidden). Returns the count (at most cap entries are filled). */
int teai__tmodel_layout(const teai__tshape *s, teai__ttensor *t, int cap);
size_t teai__tmodel_n_params(const teai__tshape *s); /* floats */
/* 0 when the shape is trainable, else -1 with why in msg. */
int teai__tshape_check(const teai__tshape *s, char *msg, size_t cap);
/* Initial weights from seed: norms 1, matrices normal(0, 0.02), the output
 * projections of each layer (attn_output, ffn_down) scaled by
 * 1/sqrt(2*n_layers). The same seed gives the same weights. */
void teai__tmodel_init(const teai__tshape *s, float *params, uint64_t seed);

/* Activations and scratch for up to B sequences of up to T tokens. */
typedef struct teai__tws teai__tws;
teai__tws *teai__tws_new(const teai__tshape *s, int B, int T); /* NULL when out of memory */
void teai__tws_free(teai__tws *ws);

/* tokens: B rows of T+1 ids; position t of row b reads tokens[b*(T+1)+t] and
 * predicts tokens[b*(T+1)+t+1]. Runs the forward pass and returns the mean
 * cross-entropy over the B*T predictions, in nats. When grads is not NULL,
 * also runs the backward pass and ADDS d(loss)/d(params) into grads (same
 * layout as params; the caller zeroes it). Results do not depend on the
 * number of threads in pool (NULL: one thread). */
double teai__tmodel_step(const teai__tshape *s, const float *params, float *grads,
                         const int32_t *tokens, int B, int T, teai__tws *ws, teai__pool *pool);
/* The logits (B*T rows of n_vocab) of the last teai__tmodel_step run
 * without gradients; after a step with gradients the same buffer holds
 * d(loss)/d(logits) (the cross-entropy's gradient is made in place). */
const float *teai__tws_logits(const teai__tws *ws);

#endif
