/* Whole-model writers: the tensor list of a llama/qwen2 model, the type of
 * each tensor, and streaming the rows from a source into GGUF or safetensors. */
#include "model_write.h"
#include "hf.h"
#include "model.h"
#include "quant.h"
#include "safetensors.h"
#include "base/threadpool.h"
#include "util.h" /* before tokenizer.h, which uses teai_buf */
#include "tokenizer.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct tdesc {
    char name[64];    /* GGUF name */
    char hf_name[96]; /* Hugging Face name, "" when the tensor has none */
    int64_t rows;     /* 0 for a vector */
    int64_t cols;
    int permute_heads; /* llama q/k: heads to permute between layouts (0 = none) */
    int more_bits;     /* q4_k_m: this tensor gets q6_k */
    int computed;      /* rope_freqs: from hparams, not from the source */
} tdesc;

/* The tensors of a model of shape hp, in file order. Returns the count
 * (at most cap). */
static int tensor_list(const teai__model_desc *d, int gguf, tdesc *t, int cap) {
    const teai_hparams *hp = d->hp;
    int n = 0, is_llama = strcmp(hp->arch, "llama") == 0;
    int64_t dim = hp->dim, q_dim = (int64_t)hp->n_heads * hp->head_dim,
            kv_dim = (int64_t)hp->n_kv_heads * hp->head_dim;
#define ADD(gg, hf, r, c)                                                                          \
    do {                                                                                           \
        if (n < cap) {                                                                             \
            memset(&t[n], 0, sizeof t[n]);                                                         \
            snprintf(t[n].name, sizeof t[n].name, "%s", gg);                                       \
            snprintf(t[n].hf_name, sizeof t[n].hf_name, "%s", hf);                                 \
            t[n].rows = r;                                                                         \
            t[n].cols = c;                                                                         \
            t[n].more_bits = r && teai__q4_k_m_more_bits(hp, gg);                                  \
        }                                                                                          \
        n++;                                                                                       \
    } while (0)
    ADD("token_embd.weight", "model.embed_tokens.weight", hp->n_vocab, dim);
    if (gguf && (hp->rope_scale_factor > 0 || d->rope_freqs_in_source)) {
        ADD("rope_freqs.weight", "", 0, hp->head_dim / 2);
        if (n <= cap) t[n - 1].computed = !d->rope_freqs_in_source;
    }
    ADD("output_norm.weight", "model.norm.weight", 0, dim);
    if (!hp->tied_output) ADD("output.weight", "lm_head.weight", hp->n_vocab, dim);
    for (int l = 0; l < hp->n_layers; l++) {
        char g[64], h[96];
#define L(gs, hs, r, c)                                                                            \
    do {                                                                                           \
        snprintf(g, sizeof g, "blk.%d." gs, l);                                                    \
        snprintf(h, sizeof h, "model.layers.%d." hs, l);                                           \
        ADD(g, h, r, c);                                                                           \
    } while (0)
        L("attn_norm.weight", "input_layernorm.weight", 0, dim);
        L("attn_q.weight", "self_attn.q_proj.weight", q_dim, dim);
        if (n <= cap && gguf && is_llama) t[n - 1].permute_heads = hp->n_heads;
        L("attn_k.weight", "self_attn.k_proj.weight", kv_dim, dim);
        if (n <= cap && gguf && is_llama) t[n - 1].permute_heads = hp->n_kv_heads;
        L("attn_v.weight", "self_attn.v_proj.weight", kv_dim, dim);
        if (hp->qkv_bias) {
            L("attn_q.bias", "self_attn.q_proj.bias", 0, q_dim);
            L("attn_k.bias", "self_attn.k_proj.bias", 0, kv_dim);
            L("attn_v.bias", "self_attn.v_proj.bias", 0, kv_dim);
        }
        L("attn_output.weight", "self_attn.o_proj.weight", dim, q_dim);
        L("ffn_norm.weight", "post_attention_layernorm.weight", 0, dim);
        L("ffn_gate.weight", "mlp.gate_proj.weight", hp->ffn_dim, dim);
        L("ffn_up.weight", "mlp.up_proj.weight", hp->ffn_dim, dim);
        L("ffn_down.weight", "mlp.down_proj.weight", dim, hp->ffn_dim);
#undef L
    }
#undef ADD
    return n;
}

static const char *write_types[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q4_k_m", "q6_k"};

int teai__write_type_ok(const char *type) {
    for (size_t i = 0; i < sizeof write_types / sizeof *write_types; i++)
        if (strcmp(type, write_types[i]) == 0) return 1;
    return 0;
}

/* "blk.<l>.<rest>" or "model.layers.<l>.<rest>": l, and *rest; -1 otherwise. */
static int layer_of(const char *name, const char **rest) {
    static const char *prefixes[] = {"blk.", "model.layers."};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) != 0) continue;
        const char *p = name + n;
        long l = 0;
        if (*p < '0' || *p > '9') return -1;
        while (*p >= '0' && *p <= '9' && l < (1L << 24)) l = l * 10 + (*p++ - '0');
        if (*p != '.') return -1;
        *rest = p + 1;
        return (int)l;
    }
    return -1;
}

int teai__q4_k_m_more_bits(const teai_hparams *hp, const char *name) {
    if (strcmp(name, "output.weight") == 0 || strcmp(name, "lm_head.weight") == 0) return 1;
    if (strcmp(name, "token_embd.weight") == 0 || strcmp(name, "model.embed_tokens.weight") == 0)
        return hp->tied_output; /* the embedding table is the output layer too */
    const char *rest = NULL;
    int l = layer_of(name, &rest);
    if (l < 0 || !(strcmp(rest, "attn_v.weight") == 0 || strcmp(rest, "ffn_down.weight") == 0 ||
                   strcmp(rest, "self_attn.v_proj.weight") == 0 ||
                   strcmp(rest, "mlp.down_proj.weight") == 0))
        return 0;
    /* llama.cpp's Q4_K_M gives attn_v and ffn_down more bits in the first
     * and last eighth of the layers and every third layer between */
    int n8 = hp->n_layers / 8;
    return l < n8 || l >= hp->n_layers - n8 || (l - n8) % 3 == 2;
}

teai_type teai__write_weight_type(const char *type, int more_bits, int64_t cols) {
    teai_type want;
    if (strcmp(type, "q4_k_m") == 0)
        want = more_bits ? TEAI_TYPE_Q6_K : TEAI_TYPE_Q4_K;
    else if (teai_type_from_name(type, &want) != TEAI_OK)
        want = TEAI_TYPE_F32; /* not reached: callers check teai__write_type_ok */
    /* rows that are not whole blocks fall back, as llama-quantize does */
    if (cols % teai_type_block_size(want) == 0) return want;
    if (cols % 32 == 0 && want != TEAI_TYPE_F32 && want != TEAI_TYPE_F16 && want != TEAI_TYPE_BF16)
        return TEAI_TYPE_Q8_0;
    return TEAI_TYPE_F16;
}

/* The storage type of one tensor under the requested file type. */
static teai_type tensor_type(const tdesc *t, const char *type) {
    if (t->rows == 0) return TEAI_TYPE_F32; /* norms, biases, rope factors */
    return teai__write_weight_type(type, t->more_bits, t->cols);
}

/* llama.cpp's general.file_type (enum llama_ftype) for the file type name. */
static int file_type_id(const char *type) {
    static const struct {
        const char *name;
        int id;
    } ids[] = {{"f32", 0},   {"f16", 1},     {"q4_0", 2},  {"q8_0", 7},
               {"q4_k", 15}, {"q4_k_m", 15}, {"q6_k", 18}, {"bf16", 32}};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (strcmp(type, ids[i].name) == 0) return ids[i].id;
    return 1;
}

/* ---- rows -> encoded chunks, in parallel -------------------------------- */

typedef struct chunk_job {
    const teai__row_source *src;
    const tdesc *t;
    teai_type type;
    const teai_hparams *hp;
    int64_t r0, nrows;
    size_t row_bytes;
    uint8_t *out;
    float *scratch; /* (nth, cols) */
    int status;     /* first failure */
} chunk_job;

/* Source row for output row r, mapping between q/k layouts when needed. */
static int64_t source_row(const tdesc *t, int64_t r, int hd, int gguf_order) {
    if (!t->permute_heads || gguf_order) return r;
    /* out (GGUF) row h*hd + 2i + j holds Hugging Face row h*hd + j*hd/2 + i */
    int64_t h = r / hd, w = r % hd, i = w / 2, j = w % 2;
    return h * hd + j * (hd / 2) + i;
}

static void chunk_task(void *arg, int ith, int nth) {
    chunk_job *j = arg;
    long lo, hi;
    teai__split((long)j->nrows, ith, nth, &lo, &hi);
    float *buf = j->scratch + (size_t)ith * (size_t)j->t->cols;
    for (long k = lo; k < hi; k++) {
        int64_t r = j->r0 + k;
        int rc;
        if (j->t->computed) {
            /* rope_freqs: divisors of the unscaled frequencies (llama.cpp convention) */
            teai_hparams plain = *j->hp;
            plain.rope_scale_factor = 0;
            float *scaled = malloc(sizeof(float) * (size_t)j->t->cols);
            if (!scaled) {
                j->status = TEAI_ENOMEM;
                return;
            }
            teai__rope_inv_freq(&plain, buf);
            teai__rope_inv_freq(j->hp, scaled);
            for (int64_t i = 0; i < j->t->cols; i++) buf[i] /= scaled[i];
            free(scaled);
            rc = TEAI_OK;
        } else {
            int64_t sr = source_row(j->t, r, j->hp->head_dim, j->src->gguf_order);
            rc = j->src->row(j->src->ud, j->t->name, sr, j->t->cols, buf);
        }
        if (rc) {
            j->status = rc;
            return;
        }
        teai__quantize_row(j->type, buf, j->out + (size_t)k * j->row_bytes, j->t->cols);
    }
}

/* Streams tensor t through emit(), in chunks of rows. */
typedef int (*emit_fn)(void *ud, const void *data, uint64_t n, teai_error *err);

static int stream_tensor(const tdesc *t, teai_type type, const teai_hparams *hp,
                         const teai__row_source *src, teai__pool *pool, emit_fn emit, void *ud,
                         const char *path, teai_error *err) {
    int64_t rows = t->rows ? t->rows : 1;
    size_t row_bytes = teai_type_row_size(type, t->cols);
    int64_t per = (int64_t)((16u << 20) / row_bytes);
    if (per < 1) per = 1;
    if (per > rows) per = rows;
    uint8_t *out = malloc(row_bytes * (size_t)per);
    float *scratch = malloc(sizeof(float) * (size_t)t->cols * (size_t)teai__pool_size(pool));
    int rc = TEAI_OK;
    if (!out || !scratch) rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    for (int64_t r0 = 0; r0 < rows && !rc; r0 += per) {
        int64_t n = rows - r0 < per ? rows - r0 : per;
        chunk_job j = {src, t, type, hp, r0, n, row_bytes, out, scratch, TEAI_OK};
        teai__pool_run(pool, chunk_task, &j);
        if (j.status)
            rc = teai__fail(err, j.status, "%s: tensor %s: cannot read its source rows", path,
                            t->name);
        else
            rc = emit(ud, out, row_bytes * (uint64_t)n, err);
    }
    free(out);
    free(scratch);
    return rc;
}

static int emit_gguf(void *ud, const void *data, uint64_t n, teai_error *err) {
    return teai_gguf_writer_write_data(ud, data, n, err);
}
static int emit_st(void *ud, const void *data, uint64_t n, teai_error *err) {
    return teai_st_writer_write_data(ud, data, n, err);
}

static tdesc *make_list(const teai__model_desc *d, int gguf, int *n) {
    *n = tensor_list(d, gguf, NULL, 0);
    tdesc *t = calloc((size_t)*n, sizeof *t);
    if (t) tensor_list(d, gguf, t, *n);
    return t;
}

static int set_arch_keys(teai_gguf_writer *w, const teai__model_desc *d, const char *type) {
    const teai_hparams *hp = d->hp;
    char k[128];
    int rc = teai_gguf_writer_set_str(w, "general.architecture", hp->arch);
    if (!rc) rc = teai_gguf_writer_set_str(w, "general.name", d->name ? d->name : hp->name);
    if (!rc) rc = teai_gguf_writer_set_u32(w, "general.file_type", (uint32_t)file_type_id(type));
    if (!rc) rc = teai_gguf_writer_set_u32(w, "general.quantization_version", 2);
#define U32(suffix, v)                                                                             \
    if (!rc) {                                                                                     \
        snprintf(k, sizeof k, "%s." suffix, hp->arch);                                             \
        rc = teai_gguf_writer_set_u32(w, k, (uint32_t)(v));                                        \
    }
#define F32(suffix, v)                                                                             \
    if (!rc) {                                                                                     \
        snprintf(k, sizeof k, "%s." suffix, hp->arch);                                             \
        rc = teai_gguf_writer_set_f32(w, k, (float)(v));                                           \
    }
    U32("context_length", hp->ctx_len);
    U32("embedding_length", hp->dim);
    U32("block_count", hp->n_layers);
    U32("feed_forward_length", hp->ffn_dim);
    U32("attention.head_count", hp->n_heads);
    U32("attention.head_count_kv", hp->n_kv_heads);
    U32("rope.dimension_count", hp->head_dim);
    U32("vocab_size", hp->n_vocab);
    if (hp->head_dim * hp->n_heads != hp->dim) {
        U32("attention.key_length", hp->head_dim);
        U32("attention.value_length", hp->head_dim);
    }
    F32("rope.freq_base", hp->rope_theta);
    F32("attention.layer_norm_rms_epsilon", hp->norm_eps);
#undef U32
#undef F32
    if (!rc && d->shape) {
        rc = teai_gguf_writer_set_bool(w, "teai.synthetic", 1);
        if (!rc) rc = teai_gguf_writer_set_str(w, "teai.synth.shape", d->shape);
        if (!rc) rc = teai_gguf_writer_set_u32(w, "teai.synth.seed", (uint32_t)d->seed);
    }
    if (!rc && d->trained_recipe) {
        rc = teai_gguf_writer_set_bool(w, "teai.trained", 1);
        if (!rc) rc = teai_gguf_writer_set_str(w, "teai.trained.recipe", d->trained_recipe);
    }
    if (!rc) rc = teai__tokenizer_write_gguf(d->tok, w);
    if (!rc && d->chat_template)
        rc = teai_gguf_writer_set_str(w, "tokenizer.chat_template", d->chat_template);
    return rc;
}

int teai__write_gguf_model(const teai__model_desc *d, const char *type, const teai__row_source *src,
                           int n_threads, const char *path, teai_error *err) {
    if (!teai__write_type_ok(type))
        return teai__fail(err, TEAI_EINVAL,
                          "%s: unknown type %s (f32 f16 bf16 q8_0 q4_0 q4_k q4_k_m q6_k)", path,
                          type);
    int n;
    tdesc *t = make_list(d, 1, &n);
    teai_gguf_writer *w = teai_gguf_writer_new();
    teai__pool *pool = teai__pool_new(n_threads);
    int rc = TEAI_OK;
    if (!t || !w || !pool) rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    if (!rc && set_arch_keys(w, d, type))
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    for (int i = 0; i < n && !rc; i++) {
        int64_t ne[2] = {t[i].cols, t[i].rows};
        if (teai_gguf_writer_add_tensor(w, t[i].name, tensor_type(&t[i], type), t[i].rows ? 2 : 1,
                                        ne))
            rc = teai__fail(err, TEAI_EINVAL, "%s: tensor %s: bad shape", path, t[i].name);
    }
    if (!rc) rc = teai_gguf_writer_begin(w, path, err);
    for (int i = 0; i < n && !rc; i++)
        rc = stream_tensor(&t[i], tensor_type(&t[i], type), d->hp, src, pool, emit_gguf, w, path,
                           err);
    if (!rc) rc = teai_gguf_writer_finish(w, err);
    teai_gguf_writer_free(w);
    teai__pool_free(pool);
    free(t);
    return rc;
}

int teai__write_hf_model(const teai__model_desc *d, const char *dtype, const teai__row_source *src,
                         int n_threads, const char *dir, teai_error *err) {
    teai_type type = TEAI_TYPE_F32;
    const char *st_dtype =
        teai_type_from_name(dtype, &type) == TEAI_OK ? teai_st_type_to_dtype(type) : NULL;
    if (!st_dtype)
        return teai__fail(err, TEAI_EINVAL, "%s: safetensors output takes f32, f16 or bf16, not %s",
                          dir, dtype);
    if (src->gguf_order)
        return teai__fail(err, TEAI_EINVAL, "%s: cannot write GGUF-ordered rows as safetensors",
                          dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return teai__fail(err, TEAI_EIO, "%s: %s", dir, strerror(errno));
    /* the folder holds Hugging Face (rotate-half) q/k rows: NEOX RoPE */
    teai_hparams hf = *d->hp;
    hf.rope_style = TEAI_ROPE_NEOX;
    const char *torch_dtype = type == TEAI_TYPE_F32   ? "float32"
                              : type == TEAI_TYPE_F16 ? "float16"
                                                      : "bfloat16";
    int rc = teai_hf_write_config(dir, &hf, teai_tokenizer_bos(d->tok), teai_tokenizer_eos(d->tok),
                                  torch_dtype, err);
    if (!rc) rc = teai__tokenizer_write_hf(d->tok, dir, d->chat_template, err);
    if (rc) return rc;
    int n;
    tdesc *t = make_list(d, 0, &n);
    teai_st_writer *w = teai_st_writer_new();
    teai__pool *pool = teai__pool_new(n_threads);
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!t || !w || !pool) rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    if (!rc) rc = teai_st_writer_set_metadata(w, "format", "pt");
    if (!rc && d->trained_recipe) {
        rc = teai_st_writer_set_metadata(w, "teai.trained", "true");
        if (!rc) rc = teai_st_writer_set_metadata(w, "teai.trained.recipe", d->trained_recipe);
    }
    for (int i = 0; i < n && !rc; i++) {
        int64_t shape[2] = {t[i].rows, t[i].cols};
        teai_type tt = t[i].rows ? type : TEAI_TYPE_F32;
        rc = t[i].rows ? teai_st_writer_add_tensor(w, t[i].hf_name, st_dtype, 2, shape, err)
                       : teai_st_writer_add_tensor(w, t[i].hf_name, teai_st_type_to_dtype(tt), 1,
                                                   shape + 1, err);
    }
    if (!rc) rc = teai_st_writer_begin(w, path, err);
    for (int i = 0; i < n && !rc; i++)
        rc = stream_tensor(&t[i], t[i].rows ? type : TEAI_TYPE_F32, d->hp, src, pool, emit_st, w,
                           path, err);
    if (!rc) rc = teai_st_writer_finish(w, err);
    teai_st_writer_free(w);
    teai__pool_free(pool);
    free(t);
    return rc;
}
