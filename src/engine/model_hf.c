/* Loading a Hugging Face folder: config.json for the shapes, tokenizer.json
 * for the vocabulary, *.safetensors for the weights (used in place). Weights
 * keep the Hugging Face (rotate-half) q/k layout and run with NEOX-style RoPE. */
#include "hf.h"
#include "model_load.h"
#include "safetensors.h"
#include "util.h" /* before tokenizer.h, which uses teai_buf */
#include "tokenizer.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

void teai__model_close_st(teai_model *m) {
    teai_st_close(m->st);
    m->st = NULL;
}

/* chat_template from tokenizer_config.json, when there is one. */
static int read_chat_template(teai_model *m, const char *dir, teai_error *err) {
#if TEAI_HAVE_CJSON
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    char *text = NULL;
    int rc = teai__read_file(path, 64u << 20, &text, NULL, NULL);
    if (rc) return TEAI_OK; /* optional file */
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return teai__fail(err, TEAI_EFORMAT, "%s: not valid JSON", path);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "chat_template");
    if (cJSON_IsString(t) && !(m->chat_template = strdup(t->valuestring))) {
        cJSON_Delete(root);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    cJSON_Delete(root);
#else
    (void)m;
    (void)dir;
    (void)err;
#endif
    return TEAI_OK;
}

static int st_tensor(teai_model *m, teai__load *ld, const char *name, int required, int64_t rows,
                     int64_t cols, const teai_st_tensor **out, teai_error *err) {
    const teai_st_tensor *t = teai_st_find(m->st, name);
    *out = t;
    if (!t)
        return required ? teai__fail(err, TEAI_EFORMAT, "%s: tensor %s missing", ld->path, name)
                        : TEAI_OK;
    if (teai_st_dtype_to_type(t->dtype) < 0)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: tensor %s: unsupported dtype %s", t->file,
                          name, t->dtype);
    int ok = rows ? (t->n_dims == 2 && t->shape[0] == rows && t->shape[1] == cols)
                  : (t->n_dims == 1 && t->shape[0] == cols);
    if (!ok)
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: shape does not match config.json",
                          t->file, name);
    return TEAI_OK;
}

static int st_weight(teai_model *m, teai__load *ld, const char *name, int64_t rows, int64_t cols,
                     teai__weight *w, teai_error *err) {
    const teai_st_tensor *t;
    int rc = st_tensor(m, ld, name, 1, rows, cols, &t, err);
    if (rc) return rc;
    return teai__model_weight(m, ld, name, (teai_type)teai_st_dtype_to_type(t->dtype), t->data,
                              rows, cols, w, err);
}

static int st_vector(teai_model *m, teai__load *ld, const char *name, int required, int64_t n,
                     const float **v, teai_error *err) {
    const teai_st_tensor *t;
    *v = NULL;
    int rc = st_tensor(m, ld, name, required, 0, n, &t, err);
    if (rc || !t) return rc;
    return teai__model_vector(m, ld, name, (teai_type)teai_st_dtype_to_type(t->dtype), t->data, n,
                              v, err);
}

int teai__load_hf(teai_model *m, const char *dir, const teai_model_params *p, teai_error *err) {
    int rc = teai__tokenizer_from_hf(dir, &m->tok, err);
    if (!rc) rc = read_chat_template(m, dir, err);
    if (rc) return rc;
    if (p->vocab_only) {
        m->hp.n_vocab = teai_tokenizer_n_vocab(m->tok);
        return TEAI_OK;
    }
    if ((rc = teai_hf_read_config(dir, &m->hp, err))) return rc;
    teai_hparams *hp = &m->hp;
    if ((rc = teai__hparams_check(hp, dir, err))) return rc;
    if (teai_tokenizer_n_vocab(m->tok) > hp->n_vocab)
        return teai__fail(err, TEAI_EFORMAT, "%s: tokenizer has %d tokens but the model only %d",
                          dir, teai_tokenizer_n_vocab(m->tok), hp->n_vocab);
    if ((rc = teai_st_open(dir, &m->st, err))) return rc;

    teai__load ld = {dir, p->quantize, teai__pool_new(p->n_threads), m->check_only};
    m->layers = calloc((size_t)hp->n_layers, sizeof *m->layers);
    m->rope_inv_freq = malloc(sizeof(float) * (size_t)(hp->head_dim / 2));
    if (!ld.pool || !m->layers || !m->rope_inv_freq) {
        teai__pool_free(ld.pool);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", dir);
    }
    teai__rope_inv_freq(hp, m->rope_inv_freq);
    int64_t dim = hp->dim, q_dim = (int64_t)hp->n_heads * hp->head_dim,
            kv_dim = (int64_t)hp->n_kv_heads * hp->head_dim;
    rc = st_weight(m, &ld, "model.embed_tokens.weight", hp->n_vocab, dim, &m->tok_embd, err);
    if (!rc) rc = st_vector(m, &ld, "model.norm.weight", 1, dim, &m->out_norm, err);
    if (!rc && !hp->tied_output && !teai_st_find(m->st, "lm_head.weight"))
        hp->tied_output = 1; /* some exports omit lm_head when tied */
    if (!rc && !hp->tied_output)
        rc = st_weight(m, &ld, "lm_head.weight", hp->n_vocab, dim, &m->output, err);
    if (!rc && hp->tied_output) m->output = m->tok_embd;
    char name[128];
    for (int l = 0; l < hp->n_layers && !rc; l++) {
        teai__layer *L = &m->layers[l];
#define N(suffix) (snprintf(name, sizeof name, "model.layers.%d." suffix, l), name)
        rc = st_vector(m, &ld, N("input_layernorm.weight"), 1, dim, &L->attn_norm, err);
        if (!rc) rc = st_weight(m, &ld, N("self_attn.q_proj.weight"), q_dim, dim, &L->wq, err);
        if (!rc) rc = st_weight(m, &ld, N("self_attn.k_proj.weight"), kv_dim, dim, &L->wk, err);
        if (!rc) rc = st_weight(m, &ld, N("self_attn.v_proj.weight"), kv_dim, dim, &L->wv, err);
        if (!rc) rc = st_weight(m, &ld, N("self_attn.o_proj.weight"), dim, q_dim, &L->wo, err);
        if (!rc && hp->qkv_bias) {
            rc = st_vector(m, &ld, N("self_attn.q_proj.bias"), 1, q_dim, &L->bq, err);
            if (!rc) rc = st_vector(m, &ld, N("self_attn.k_proj.bias"), 1, kv_dim, &L->bk, err);
            if (!rc) rc = st_vector(m, &ld, N("self_attn.v_proj.bias"), 1, kv_dim, &L->bv, err);
        }
        if (!rc)
            rc = st_vector(m, &ld, N("post_attention_layernorm.weight"), 1, dim, &L->ffn_norm, err);
        if (!rc)
            rc = st_weight(m, &ld, N("mlp.gate_proj.weight"), hp->ffn_dim, dim, &L->w_gate, err);
        if (!rc) rc = st_weight(m, &ld, N("mlp.up_proj.weight"), hp->ffn_dim, dim, &L->w_up, err);
        if (!rc)
            rc = st_weight(m, &ld, N("mlp.down_proj.weight"), dim, hp->ffn_dim, &L->w_down, err);
#undef N
    }
    teai__pool_free(ld.pool);
    return rc;
}
