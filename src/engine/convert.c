/* `model convert` (Hugging Face folder -> GGUF) and `model quantize`
 * (GGUF -> GGUF of another type): both stream rows from the source files
 * through the model writer. */
#include "hf.h"
#include "model.h"
#include "model_write.h"
#include "quant.h"
#include "safetensors.h"
#include "util.h" /* before tokenizer.h, which uses teai_buf */
#include "tokenizer.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GGUF tensor name -> Hugging Face name. */
static int hf_name(const char *gguf, char *out, size_t cap) {
    static const struct {
        const char *g, *h;
    } top[] = {{"token_embd.weight", "model.embed_tokens.weight"},
               {"output_norm.weight", "model.norm.weight"},
               {"output.weight", "lm_head.weight"}},
      blk[] = {{"attn_norm.weight", "input_layernorm.weight"},
               {"attn_q.weight", "self_attn.q_proj.weight"},
               {"attn_k.weight", "self_attn.k_proj.weight"},
               {"attn_v.weight", "self_attn.v_proj.weight"},
               {"attn_q.bias", "self_attn.q_proj.bias"},
               {"attn_k.bias", "self_attn.k_proj.bias"},
               {"attn_v.bias", "self_attn.v_proj.bias"},
               {"attn_output.weight", "self_attn.o_proj.weight"},
               {"ffn_norm.weight", "post_attention_layernorm.weight"},
               {"ffn_gate.weight", "mlp.gate_proj.weight"},
               {"ffn_up.weight", "mlp.up_proj.weight"},
               {"ffn_down.weight", "mlp.down_proj.weight"}};
    for (size_t i = 0; i < sizeof top / sizeof *top; i++)
        if (strcmp(gguf, top[i].g) == 0) return snprintf(out, cap, "%s", top[i].h) < (int)cap;
    int layer, used = 0;
    if (sscanf(gguf, "blk.%d.%n", &layer, &used) == 1 && used > 0)
        for (size_t i = 0; i < sizeof blk / sizeof *blk; i++)
            if (strcmp(gguf + used, blk[i].g) == 0)
                return snprintf(out, cap, "model.layers.%d.%s", layer, blk[i].h) < (int)cap;
    return 0;
}

typedef struct st_source {
    const teai_st *st;
} st_source;

static int st_row(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const st_source *s = ud;
    char hf[128];
    const teai_st_tensor *t;
    if (!hf_name(name, hf, sizeof hf) || !(t = teai_st_find(s->st, hf))) {
        /* tied models may carry no lm_head: the output is the embedding table */
        if (strcmp(name, "output.weight") == 0 &&
            (t = teai_st_find(s->st, "model.embed_tokens.weight")))
            ;
        else
            return TEAI_EFORMAT;
    }
    int type = teai_st_dtype_to_type(t->dtype);
    size_t es = teai_st_dtype_size(t->dtype);
    if (type < 0 || (uint64_t)(r + 1) * (uint64_t)cols * es > t->nbytes) return TEAI_EFORMAT;
    teai__dequantize_row((teai_type)type, (const uint8_t *)t->data + (size_t)r * (size_t)cols * es,
                         dst, cols);
    return TEAI_OK;
}

int teai_model_convert(const char *hf_dir, const char *out_gguf, const char *type, int n_threads,
                       teai_error *err) {
    teai_hparams hp;
    teai_tokenizer *tok = NULL;
    teai_st *st = NULL;
    int rc = teai_hf_read_config(hf_dir, &hp, err);
    if (!rc) rc = teai__hparams_check(&hp, hf_dir, err);
    if (!rc) rc = teai__tokenizer_from_hf(hf_dir, &tok, err);
    if (!rc) rc = teai_st_open(hf_dir, &st, err);
    if (!rc && !teai_st_find(st, "lm_head.weight")) hp.tied_output = 1;
    if (!rc) {
        /* GGUF runs llama with interleaved RoPE (the writer permutes q/k) */
        if (strcmp(hp.arch, "llama") == 0) hp.rope_style = TEAI_ROPE_NORM;
        st_source s = {st};
        teai__row_source src = {st_row, &s, 0};
        teai__model_desc d = {&hp, tok, teai__tokenizer_chat_template(tok), hp.name, NULL, 0,
                              0,   NULL};
        rc = teai__write_gguf_model(&d, type ? type : "f16", &src, n_threads, out_gguf, err);
    }
    teai_st_close(st);
    teai__tokenizer_free(tok);
    return rc;
}

/* ---- quantize ------------------------------------------------------------ */

static int gguf_row(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const teai_gguf *g = ud;
    const teai_gguf_tensor *t = teai_gguf_find_tensor(g, name);
    if (!t && strcmp(name, "output.weight") == 0) t = teai_gguf_find_tensor(g, "token_embd.weight");
    if (!t || !t->data || t->ne[0] != cols) return TEAI_EFORMAT;
    size_t row_bytes = teai_type_row_size((teai_type)t->type, cols);
    if ((uint64_t)(r + 1) * row_bytes > t->nbytes) return TEAI_EFORMAT;
    teai__dequantize_row((teai_type)t->type, (const uint8_t *)t->data + (size_t)r * row_bytes, dst,
                         cols);
    return TEAI_OK;
}

int teai_model_quantize(const char *in_gguf, const char *out_gguf, const char *type, int n_threads,
                        teai_error *err) {
    teai_gguf *g = NULL;
    teai_tokenizer *tok = NULL;
    teai_hparams hp;
    int rc = teai_gguf_open(in_gguf, &g, err);
    if (!rc) rc = teai__hparams_from_gguf(g, &hp, err);
    if (!rc) rc = teai__tokenizer_from_gguf(g, &tok, err);
    if (!rc) {
        /* rope_freqs.weight, when present, is copied as it is */
        const teai_gguf_tensor *ff = teai_gguf_find_tensor(g, "rope_freqs.weight");
        teai_gguf_str ts;
        char *chat = NULL;
        if (teai_gguf_kv_str(teai_gguf_get(g, "tokenizer.chat_template"), &ts) == TEAI_OK &&
            (chat = malloc(ts.len + 1))) {
            memcpy(chat, ts.ptr, ts.len);
            chat[ts.len] = '\0';
        }
        char shape[64];
        teai_gguf_get_str(g, "teai.synth.shape", shape, sizeof shape);
        /* a trained model stays marked, with its recipe, in every type */
        char *recipe = NULL;
        if (teai_gguf_kv_str(teai_gguf_get(g, "teai.trained.recipe"), &ts) == TEAI_OK &&
            (recipe = malloc(ts.len + 1))) {
            memcpy(recipe, ts.ptr, ts.len);
            recipe[ts.len] = '\0';
        }
        teai__row_source src = {gguf_row, g, 1};
        teai__model_desc d = {&hp,
                              tok,
                              chat,
                              hp.name,
                              shape[0] ? shape : NULL,
                              (uint64_t)teai_gguf_get_int(g, "teai.synth.seed", 0),
                              ff != NULL,
                              recipe};
        rc = teai__write_gguf_model(&d, type, &src, n_threads, out_gguf, err);
        free(chat);
        free(recipe);
    }
    teai__tokenizer_free(tok);
    teai_gguf_close(g);
    return rc;
}
