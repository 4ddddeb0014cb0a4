/* Synthesized models: the exact shapes of real ones, random weights, a real or
 * a small byte-level tokenizer. Every row of every tensor has its own seeded
 * generator (seed, tensor name, row), so GGUF and safetensors outputs hold the
 * same weights and rows can be made in any order and in parallel. */
#include "model.h"
#include "model_write.h"
#include "util.h" /* before tokenizer.h, which uses teai_buf */
#include "tokenizer.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const shape_names[] = {"tiny",         "llama-3.2-1b", "llama-3.2-3b",
                                          "llama-3.1-8b", "qwen2.5-0.5b", NULL};

const char *const *teai_synth_shape_names(void) {
    return shape_names;
}

int teai_synth_shape(const char *shape, teai_hparams *hp) {
    memset(hp, 0, sizeof *hp);
    snprintf(hp->arch, sizeof hp->arch, "llama");
    hp->rope_style = TEAI_ROPE_NORM;
    hp->norm_eps = 1e-5f;
    hp->tied_output = 1;
    if (strcmp(shape, "tiny") == 0) {
        hp->n_vocab = 512, hp->dim = 256, hp->n_layers = 4, hp->n_heads = 8, hp->n_kv_heads = 4;
        hp->ffn_dim = 768, hp->ctx_len = 2048, hp->rope_theta = 10000;
    } else if (strcmp(shape, "llama-3.2-1b") == 0 || strcmp(shape, "llama-3.2-3b") == 0 ||
               strcmp(shape, "llama-3.1-8b") == 0) {
        int is1b = strcmp(shape, "llama-3.2-1b") == 0, is3b = strcmp(shape, "llama-3.2-3b") == 0;
        hp->n_vocab = 128256, hp->ctx_len = 131072, hp->rope_theta = 500000;
        hp->dim = is1b ? 2048 : is3b ? 3072 : 4096;
        hp->n_layers = is1b ? 16 : is3b ? 28 : 32;
        hp->n_heads = is1b ? 32 : is3b ? 24 : 32;
        hp->n_kv_heads = 8;
        hp->ffn_dim = is1b || is3b ? 8192 : 14336;
        hp->tied_output = is1b || is3b;
        hp->rope_scale_factor = is1b || is3b ? 32 : 8;
        hp->rope_low_freq_factor = 1, hp->rope_high_freq_factor = 4, hp->rope_orig_ctx = 8192;
    } else if (strcmp(shape, "qwen2.5-0.5b") == 0) {
        snprintf(hp->arch, sizeof hp->arch, "qwen2");
        hp->rope_style = TEAI_ROPE_NEOX;
        hp->n_vocab = 151936, hp->dim = 896, hp->n_layers = 24, hp->n_heads = 14;
        hp->n_kv_heads = 2, hp->ffn_dim = 4864, hp->ctx_len = 32768, hp->rope_theta = 1000000;
        hp->norm_eps = 1e-6f, hp->qkv_bias = 1;
    } else {
        return TEAI_EINVAL;
    }
    hp->head_dim = hp->dim / hp->n_heads;
    return TEAI_OK;
}

teai_synth_params teai_synth_default_params(void) {
    teai_synth_params p;
    memset(&p, 0, sizeof p);
    p.seed = 42;
    p.type = "f16";
    return p;
}

/* ---- the generator ------------------------------------------------------ */

typedef struct gen {
    uint64_t seed;
} gen;

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Row r of tensor name: uniform values with the standard deviation below. */
static int gen_row(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const gen *g = ud;
    uint64_t h = teai__fnv1a(name, strlen(name));
    uint64_t s = mix64(g->seed ^ mix64(h ^ mix64((uint64_t)r + 0x9e3779b97f4a7c15ull)));
    /* standard deviation: projections 2/sqrt(fan_in), so every layer adds
     * more than the token embedding (0.5) to the residual stream and greedy
     * decoding wanders instead of repeating the last token; the output layer
     * 0.5 gives logits of sd 0.5*sqrt(dim): well separated maxima. Norms
     * around 1, biases small. */
    float center = 0, sd;
    if (ends_with(name, "norm.weight"))
        center = 1, sd = 0.1f;
    else if (ends_with(name, ".bias"))
        sd = 0.1f;
    else if (strcmp(name, "token_embd.weight") == 0 || strcmp(name, "output.weight") == 0)
        sd = 0.5f;
    else
        sd = 2.0f / sqrtf((float)cols);
    float a = sd * 1.7320508f; /* uniform on [-a, a] has sd a/sqrt(3) */
    for (int64_t i = 0; i < cols; i++) {
        s += 0x9e3779b97f4a7c15ull;
        uint64_t z = mix64(s);
        float u = (float)(z >> 40) * (1.0f / 16777216.0f); /* [0, 1) */
        dst[i] = center + a * (2 * u - 1);
    }
    return TEAI_OK;
}

/* A template the chat-format detector recognizes, for the vocabulary's style. */
static const char *chat_template_for(const teai_tokenizer *tok) {
    static const char llama3[] =
        "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] "
        "+ '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor "
        "%}{%- if add_generation_prompt %}{{- "
        "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' "
        "}}{%- endif %}";
    static const char chatml[] =
        "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt "
        "%}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
    int n = teai_tokenizer_n_vocab(tok);
    for (int i = 0; i < n; i++) {
        const char *t = teai__tokenizer_token_text(tok, i);
        if (t && strcmp(t, "<|im_start|>") == 0) return chatml;
        if (t && strcmp(t, "<|start_header_id|>") == 0) return llama3;
    }
    return NULL;
}

int teai_model_synth(const teai_synth_params *p, const char *out, teai_error *err) {
    teai_hparams hp = p->hp;
    int rc = teai__hparams_check(&hp, out, err);
    if (rc) return rc;
    teai_tokenizer *tok = NULL;
    if (p->vocab_from) {
        teai_gguf *g = NULL;
        rc = teai_gguf_open(p->vocab_from, &g, err);
        if (!rc) rc = teai__tokenizer_from_gguf(g, &tok, err);
        teai_gguf_close(g);
        if (rc) return rc;
        /* one embedding row per token of the vocabulary: llama.cpp refuses a
         * model whose token count differs from its embedding rows */
        hp.n_vocab = teai_tokenizer_n_vocab(tok);
    } else {
        rc = teai__tokenizer_new_bytes(hp.n_vocab, &tok, err);
        if (rc) return rc;
    }
    gen g = {p->seed};
    teai__row_source src = {gen_row, &g, 0};
    char name[160];
    snprintf(name, sizeof name, "teai synthetic %s", p->shape_name ? p->shape_name : hp.arch);
    teai__model_desc d = {
        &hp, tok, chat_template_for(tok), name, p->shape_name ? p->shape_name : "custom", p->seed,
        0,   NULL};
    const char *type = p->type ? p->type : "f16";
    if (ends_with(out, ".gguf"))
        rc = teai__write_gguf_model(&d, type, &src, p->n_threads, out, err);
    else
        rc = teai__write_hf_model(&d, type, &src, p->n_threads, out, err);
    teai__tokenizer_free(tok);
    return rc;
}
