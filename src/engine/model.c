/* Model loading: shapes from the file's metadata, weights used in place from
 * the mapping where possible, load-time quantization (teai_quantize, engine.h) otherwise. */
#include "model.h"
#include "model_load.h"
#include "model_write.h" /* the GGUF types' per-tensor choice, shared with model quantize */
#include "quant.h"
#include "base/threadpool.h"
#include "util.h" /* before tokenizer.h, which uses teai_buf */
#include "tokenizer.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* indexed by teai_quantize; from q8_0 on, also the write type names of model_write.c */
static const char *quantize_names[] = {"default", "float16", "int8",   "nf4",
                                       "q8_0",    "q6_k",    "q4_k_m", "q4_0"};
#define N_QUANTIZE ((int)(sizeof quantize_names / sizeof *quantize_names))

const char *teai_quantize_name(teai_quantize q) {
    return (unsigned)q < (unsigned)N_QUANTIZE ? quantize_names[q] : "?";
}

int teai_quantize_from_name(const char *name, teai_quantize *out) {
    int q = -1;
    for (int i = 0; name && i < N_QUANTIZE && q < 0; i++)
        if (strcasecmp(name, quantize_names[i]) == 0) q = i;
    if (name && (strcasecmp(name, "fp16") == 0 || strcasecmp(name, "f16") == 0))
        q = TEAI_QUANTIZE_FLOAT16;
    if (q < 0) return TEAI_ENOTFOUND;
    if (out) *out = (teai_quantize)q;
    return TEAI_OK;
}

teai_model_params teai_model_default_params(void) {
    teai_model_params p = {TEAI_QUANTIZE_DEFAULT, 0, 0, 0, 0};
    return p;
}

const teai_hparams *teai_model_hparams(const teai_model *m) {
    return &m->hp;
}
const teai_tokenizer *teai_model_tokenizer(const teai_model *m) {
    return m->tok;
}
uint64_t teai_model_param_bytes(const teai_model *m) {
    return m->param_bytes;
}
uint64_t teai_model_param_count(const teai_model *m) {
    return m->param_count;
}
const char *teai_model_weight_format(const teai_model *m) {
    return m->weight_format;
}
const char *teai_model_chat_template(const teai_model *m) {
    return m->chat_template;
}

void *teai__model_alloc(teai_model *m, size_t bytes) {
    if (m->n_owned == m->cap_owned) {
        int cap = m->cap_owned ? m->cap_owned * 2 : 64;
        void **p = realloc(m->owned, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        m->owned = p;
        m->cap_owned = cap;
    }
    /* 64-byte aligned for SIMD loads */
    void *buf = NULL;
    if (posix_memalign(&buf, 64, bytes ? bytes : 64) != 0) return NULL;
    m->owned[m->n_owned++] = buf;
    return buf;
}

void teai_model_free(teai_model *m) {
    if (!m) return;
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    free(m->rope_inv_freq);
    free(m->chat_template);
    if (m->tok) teai__tokenizer_free(m->tok);
    if (m->gguf) teai_gguf_close(m->gguf);
    teai__model_close_st(m);
    free(m);
}

/* ---- shapes ------------------------------------------------------------ */

int teai__hparams_check(const teai_hparams *hp, const char *what, teai_error *err) {
#define BAD(...) return teai__fail(err, TEAI_EFORMAT, __VA_ARGS__)
    if (hp->n_vocab <= 0 || hp->n_vocab > (1 << 22))
        BAD("%s: absurd vocabulary size %d", what, hp->n_vocab);
    if (hp->dim <= 0 || hp->dim > 65536) BAD("%s: absurd embedding width %d", what, hp->dim);
    if (hp->n_layers <= 0 || hp->n_layers > 1024)
        BAD("%s: absurd layer count %d", what, hp->n_layers);
    if (hp->n_heads <= 0 || hp->n_heads > 1024) BAD("%s: absurd head count %d", what, hp->n_heads);
    if (hp->n_kv_heads <= 0 || hp->n_kv_heads > hp->n_heads || hp->n_heads % hp->n_kv_heads)
        BAD("%s: %d key/value heads do not divide %d heads", what, hp->n_kv_heads, hp->n_heads);
    if (hp->head_dim <= 0 || hp->head_dim > 1024 || hp->head_dim % 2)
        BAD("%s: absurd head size %d", what, hp->head_dim);
    if (hp->ffn_dim <= 0 || hp->ffn_dim > (1 << 20))
        BAD("%s: absurd feed-forward width %d", what, hp->ffn_dim);
    if (hp->ctx_len <= 0 || hp->ctx_len > (1 << 24))
        BAD("%s: absurd context length %d", what, hp->ctx_len);
    if (!(hp->rope_theta > 0) || !isfinite(hp->rope_theta)) BAD("%s: bad rope theta", what);
    if (!(hp->norm_eps > 0) || hp->norm_eps > 1) BAD("%s: bad norm epsilon", what);
    if (hp->rope_scale_factor < 0 || !isfinite(hp->rope_scale_factor))
        BAD("%s: bad rope scaling factor", what);
#undef BAD
    return TEAI_OK;
}

int teai__hparams_from_gguf(const teai_gguf *g, teai_hparams *hp, teai_error *err) {
    const char *path = teai_gguf_path(g);
    char key[160];
    memset(hp, 0, sizeof *hp);
    teai_gguf_get_str(g, "general.architecture", hp->arch, sizeof hp->arch);
    teai_gguf_get_str(g, "general.name", hp->name, sizeof hp->name);
    if (!hp->arch[0]) return teai__fail(err, TEAI_EFORMAT, "%s: no general.architecture", path);
    if (strcmp(hp->arch, "llama") != 0 && strcmp(hp->arch, "qwen2") != 0)
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: unsupported architecture %s (teai runs llama and qwen2)", path,
                          hp->arch);
#define GETI(field, suffix, def)                                                                   \
    do {                                                                                           \
        snprintf(key, sizeof key, "%s." suffix, hp->arch);                                         \
        int64_t v_ = teai_gguf_get_int(g, key, def);                                               \
        hp->field = v_ > INT32_MAX || v_ < INT32_MIN ? -1 : (int)v_;                               \
    } while (0)
    GETI(dim, "embedding_length", 0);
    GETI(n_layers, "block_count", 0);
    GETI(n_heads, "attention.head_count", 0);
    GETI(n_kv_heads, "attention.head_count_kv", hp->n_heads);
    GETI(ffn_dim, "feed_forward_length", 0);
    GETI(ctx_len, "context_length", 2048);
    int default_hd = hp->n_heads > 0 ? hp->dim / hp->n_heads : 0;
    GETI(head_dim, "attention.key_length", default_hd);
    GETI(n_vocab, "vocab_size", 0);
#undef GETI
    snprintf(key, sizeof key, "%s.rope.freq_base", hp->arch);
    hp->rope_theta = (float)teai_gguf_get_float(g, key, 10000.0);
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", hp->arch);
    hp->norm_eps = (float)teai_gguf_get_float(g, key, 1e-5);
    if (hp->n_vocab <= 0) {
        const teai_gguf_kv *toks = teai_gguf_get(g, "tokenizer.ggml.tokens");
        const teai_gguf_tensor *emb = teai_gguf_find_tensor(g, "token_embd.weight");
        if (emb && emb->n_dims == 2)
            hp->n_vocab = (int)emb->ne[1];
        else if (toks && toks->type == TEAI_GGUF_ARRAY && toks->arr_n < (1u << 22))
            hp->n_vocab = (int)toks->arr_n;
    }
    hp->tied_output = teai_gguf_find_tensor(g, "output.weight") == NULL;
    hp->qkv_bias = teai_gguf_find_tensor(g, "blk.0.attn_q.bias") != NULL;
    hp->rope_style = strcmp(hp->arch, "qwen2") == 0 ? TEAI_ROPE_NEOX : TEAI_ROPE_NORM;
    return teai__hparams_check(hp, path, err);
}

void teai__rope_inv_freq(const teai_hparams *hp, float *out) {
    int half = hp->head_dim / 2;
    for (int i = 0; i < half; i++) {
        double freq = pow((double)hp->rope_theta, -2.0 * i / hp->head_dim);
        if (hp->rope_scale_factor > 0) {
            /* Llama 3.1 "llama3" scaling: long wavelengths are slowed down by
             * factor, short ones kept, with a smooth ramp in between. */
            double lo = hp->rope_low_freq_factor, hi = hp->rope_high_freq_factor;
            double orig = hp->rope_orig_ctx, factor = hp->rope_scale_factor;
            double wavelen = 2 * M_PI / freq;
            double lo_wavelen = orig / lo, hi_wavelen = orig / hi;
            if (wavelen > lo_wavelen) {
                freq /= factor;
            } else if (wavelen >= hi_wavelen && hi != lo) {
                double smooth = (orig / wavelen - lo) / (hi - lo);
                freq = (1 - smooth) * freq / factor + smooth * freq;
            }
        }
        out[i] = (float)freq;
    }
}

void teai__permute_qk_rows(const void *in, void *out, int n_head, int hd, size_t row_bytes,
                           int inverse) {
    const uint8_t *src = in;
    uint8_t *dst = out;
    for (int h = 0; h < n_head; h++)
        for (int i = 0; i < hd / 2; i++)
            for (int j = 0; j < 2; j++) {
                size_t gguf_row = (size_t)h * hd + 2 * i + j;
                size_t hf_row = (size_t)h * hd + (size_t)j * (hd / 2) + i;
                size_t from = inverse ? gguf_row : hf_row, to = inverse ? hf_row : gguf_row;
                memcpy(dst + to * row_bytes, src + from * row_bytes, row_bytes);
            }
}

/* ---- weights ----------------------------------------------------------- */

typedef struct convert_job {
    teai_type from, to;
    const uint8_t *src;
    uint8_t *dst;
    size_t src_row, dst_row;
    int64_t rows, cols;
    float *scratch; /* (nth, cols) */
} convert_job;

static void convert_rows(void *arg, int ith, int nth) {
    convert_job *j = arg;
    long lo, hi;
    teai__split((long)j->rows, ith, nth, &lo, &hi);
    float *buf = j->scratch + (size_t)ith * (size_t)j->cols;
    for (long r = lo; r < hi; r++) {
        teai__dequantize_row(j->from, j->src + (size_t)r * j->src_row, buf, j->cols);
        teai__quantize_row(j->to, buf, j->dst + (size_t)r * j->dst_row, j->cols);
    }
}

/* The type weight `name` (rows of cols) stored as `stored` is used in. */
static teai_type target_type(const teai_hparams *hp, teai_quantize q, const char *name,
                             teai_type stored, int64_t cols) {
    teai_type t = stored;
    switch (q) {
        case TEAI_QUANTIZE_Q8_0:
        case TEAI_QUANTIZE_Q6_K:
        case TEAI_QUANTIZE_Q4_K_M:
        case TEAI_QUANTIZE_Q4_0:
            /* as `model quantize` writes it, fallbacks included */
            return teai__write_weight_type(quantize_names[q], teai__q4_k_m_more_bits(hp, name),
                                           cols);
        case TEAI_QUANTIZE_FLOAT16:
            t = TEAI_TYPE_F16;
            break;
        case TEAI_QUANTIZE_INT8:
            t = TEAI_TYPE_I8;
            break;
        case TEAI_QUANTIZE_NF4:
            t = TEAI_TYPE_NF4;
            break;
        default:
            break;
    }
    /* a row that is not whole blocks of the target stays in fp16 */
    if (cols % teai_type_block_size(t)) t = TEAI_TYPE_F16;
    return t;
}

int teai__model_weight(teai_model *m, teai__load *ld, const char *name, teai_type type,
                       const void *data, int64_t rows, int64_t cols, teai__weight *out,
                       teai_error *err) {
    teai_type to = target_type(&m->hp, ld->quantize, name, type, cols);
    out->rows = rows;
    out->cols = cols;
    out->type = to;
    out->row_bytes = teai_type_row_size(to, cols);
    m->param_count += (uint64_t)rows * (uint64_t)cols;
    if (ld->check_only) {
        out->data = NULL;
        return TEAI_OK;
    }
    if (to == type) {
        out->data = data;
        return TEAI_OK;
    }
    m->converted = 1;
    uint8_t *dst = teai__model_alloc(m, out->row_bytes * (size_t)rows);
    float *scratch = malloc(sizeof(float) * (size_t)cols * (size_t)teai__pool_size(ld->pool));
    if (!dst || !scratch) {
        free(scratch);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory converting %s", ld->path, name);
    }
    /* in slices of about 16 MiB of the source, each given back to the kernel
     * once converted: the peak resident set is the converted weights plus one
     * slice, not plus the file */
    size_t src_row = teai_type_row_size(type, cols);
    int64_t slice = (int64_t)((16u << 20) / (src_row ? src_row : 1));
    if (slice < 1) slice = 1;
    for (int64_t r0 = 0; r0 < rows; r0 += slice) {
        int64_t n = rows - r0 < slice ? rows - r0 : slice;
        const uint8_t *src = (const uint8_t *)data + (size_t)r0 * src_row;
        convert_job j = {
            type, to,   src,    dst + (size_t)r0 * out->row_bytes, src_row, out->row_bytes,
            n,    cols, scratch};
        teai__pool_run(ld->pool, convert_rows, &j);
        teai__drop_pages(src, (size_t)n * src_row);
    }
    free(scratch);
    out->data = dst;
    return TEAI_OK;
}

int teai__model_vector(teai_model *m, teai__load *ld, const char *name, teai_type type,
                       const void *data, int64_t n, const float **out, teai_error *err) {
    if (ld->check_only) {
        *out = NULL;
    } else if (type == TEAI_TYPE_F32 && ((uintptr_t)data % sizeof(float)) == 0) {
        *out = data;
    } else {
        float *v = teai__model_alloc(m, sizeof(float) * (size_t)n);
        if (!v) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", ld->path);
        teai__dequantize_row(type, data, v, n);
        *out = v;
    }
    m->param_count += (uint64_t)n;
    return TEAI_OK;
}

static void add_format(char *fmt, size_t cap, teai_type t) {
    const char *name = t == TEAI_TYPE_I8 ? "int8" : teai_type_name(t);
    char tagged[24];
    snprintf(tagged, sizeof tagged, "+%s+", name);
    char padded[80];
    snprintf(padded, sizeof padded, "+%s+", fmt);
    if (strstr(padded, tagged)) return;
    size_t len = strlen(fmt);
    snprintf(fmt + len, cap - len, "%s%s", len ? "+" : "", name);
}

static uint64_t weight_bytes(const teai__weight *w) {
    return w->data ? w->row_bytes * (uint64_t)w->rows : 0;
}

void teai__model_finish(teai_model *m) {
    const teai_hparams *hp = &m->hp;
    uint64_t bytes = weight_bytes(&m->tok_embd) + sizeof(float) * (uint64_t)hp->dim;
    if (!hp->tied_output) bytes += weight_bytes(&m->output);
    m->weight_format[0] = '\0';
    for (int l = 0; l < hp->n_layers; l++) {
        const teai__layer *L = &m->layers[l];
        const teai__weight *ws[] = {&L->wq,     &L->wk,   &L->wv,    &L->wo,
                                    &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof ws / sizeof *ws; i++) {
            bytes += weight_bytes(ws[i]);
            add_format(m->weight_format, sizeof m->weight_format, ws[i]->type);
        }
        bytes += 2 * sizeof(float) * (uint64_t)hp->dim;
        if (L->bq) bytes += sizeof(float) * (uint64_t)(L->wq.rows + L->wk.rows + L->wv.rows);
    }
    add_format(m->weight_format, sizeof m->weight_format, m->output.type);
    m->param_bytes = bytes;
}

/* ---- GGUF -------------------------------------------------------------- */

static int gguf_tensor(teai_model *m, teai__load *ld, const char *name, int required, int64_t ne0,
                       int64_t ne1, const teai_gguf_tensor **out, teai_error *err) {
    const teai_gguf_tensor *t = teai_gguf_find_tensor(m->gguf, name);
    *out = t;
    if (!t)
        return required ? teai__fail(err, TEAI_EFORMAT, "%s: tensor %s missing", ld->path, name)
                        : TEAI_OK;
    if (!t->data)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: tensor %s: unsupported type %u", ld->path,
                          name, t->type);
    int64_t want_dims = ne1 ? 2 : 1;
    if (t->ne[0] != ne0 || (ne1 && t->ne[1] != ne1) || t->ne[2] != 1 || t->ne[3] != 1 ||
        (t->n_dims > want_dims && t->ne[want_dims] != 1))
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: shape [%lld, %lld] where [%lld, %lld] was expected",
                          ld->path, name, (long long)t->ne[0], (long long)t->ne[1], (long long)ne0,
                          (long long)(ne1 ? ne1 : 1));
    return TEAI_OK;
}

static int gguf_weight(teai_model *m, teai__load *ld, const char *name, int64_t rows, int64_t cols,
                       teai__weight *w, teai_error *err) {
    const teai_gguf_tensor *t;
    int rc = gguf_tensor(m, ld, name, 1, cols, rows, &t, err);
    if (rc) return rc;
    return teai__model_weight(m, ld, name, (teai_type)t->type, t->data, rows, cols, w, err);
}

static int gguf_vector(teai_model *m, teai__load *ld, const char *name, int required, int64_t n,
                       const float **v, teai_error *err) {
    const teai_gguf_tensor *t;
    *v = NULL;
    int rc = gguf_tensor(m, ld, name, required, n, 0, &t, err);
    if (rc || !t) return rc;
    return teai__model_vector(m, ld, name, (teai_type)t->type, t->data, n, v, err);
}

static int load_gguf(teai_model *m, const char *path, const teai_model_params *p, teai_error *err) {
    /* converted at load: the file's pages are read as each tensor is converted
     * and given back after, so the resident set stays near the converted size;
     * a vocabulary-only load reads just the pages of the tokenizer */
    int rc = teai_gguf_open_ex(
        path, p->quantize == TEAI_QUANTIZE_DEFAULT && !p->vocab_only && !m->check_only, &m->gguf,
        err);
    if (rc) return rc;
    rc = teai__tokenizer_from_gguf(m->gguf, &m->tok, err);
    if (rc) return rc;
    const teai_gguf_kv *tmpl = teai_gguf_get(m->gguf, "tokenizer.chat_template");
    teai_gguf_str s;
    if (teai_gguf_kv_str(tmpl, &s) == TEAI_OK) {
        m->chat_template = malloc(s.len + 1);
        if (!m->chat_template) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
        memcpy(m->chat_template, s.ptr, s.len);
        m->chat_template[s.len] = '\0';
    }
    if (p->vocab_only) {
        memset(&m->hp, 0, sizeof m->hp);
        teai_gguf_get_str(m->gguf, "general.architecture", m->hp.arch, sizeof m->hp.arch);
        m->hp.n_vocab = teai_tokenizer_n_vocab(m->tok);
        return TEAI_OK;
    }
    if ((rc = teai__hparams_from_gguf(m->gguf, &m->hp, err))) return rc;
    teai_hparams *hp = &m->hp;
    if (teai_tokenizer_n_vocab(m->tok) > hp->n_vocab)
        return teai__fail(err, TEAI_EFORMAT, "%s: tokenizer has %d tokens but the model only %d",
                          path, teai_tokenizer_n_vocab(m->tok), hp->n_vocab);

    teai__load ld = {path, p->quantize, teai__pool_new(p->n_threads), m->check_only};
    if (!ld.pool) return teai__fail(err, TEAI_ENOMEM, "%s: cannot start threads", path);
    m->layers = calloc((size_t)hp->n_layers, sizeof *m->layers);
    m->rope_inv_freq = malloc(sizeof(float) * (size_t)(hp->head_dim / 2));
    if (!m->layers || !m->rope_inv_freq) {
        teai__pool_free(ld.pool);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    int64_t dim = hp->dim, q_dim = (int64_t)hp->n_heads * hp->head_dim,
            kv_dim = (int64_t)hp->n_kv_heads * hp->head_dim;
    rc = gguf_weight(m, &ld, "token_embd.weight", hp->n_vocab, dim, &m->tok_embd, err);
    if (!rc) rc = gguf_vector(m, &ld, "output_norm.weight", 1, dim, &m->out_norm, err);
    if (!rc && !hp->tied_output)
        rc = gguf_weight(m, &ld, "output.weight", hp->n_vocab, dim, &m->output, err);
    if (!rc && hp->tied_output) m->output = m->tok_embd;
    /* RoPE frequencies: a rope_freqs.weight tensor holds llama3 scaling as
     * per-frequency divisors (what llama.cpp's converter writes). */
    const teai_gguf_tensor *ff = NULL;
    if (!rc) rc = gguf_tensor(m, &ld, "rope_freqs.weight", 0, hp->head_dim / 2, 0, &ff, err);
    if (!rc) {
        teai__rope_inv_freq(hp, m->rope_inv_freq);
        if (ff) {
            float *div = malloc(sizeof(float) * (size_t)(hp->head_dim / 2));
            if (!div)
                rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
            else {
                teai__dequantize_row((teai_type)ff->type, ff->data, div, hp->head_dim / 2);
                for (int i = 0; i < hp->head_dim / 2; i++) {
                    if (!(div[i] > 0) || !isfinite(div[i])) {
                        rc = teai__fail(err, TEAI_EFORMAT,
                                        "%s: rope_freqs.weight[%d] is not positive", path, i);
                        break;
                    }
                    m->rope_inv_freq[i] /= div[i];
                }
                free(div);
            }
        }
    }
    char name[96];
    for (int l = 0; l < hp->n_layers && !rc; l++) {
        teai__layer *L = &m->layers[l];
#define N(suffix) (snprintf(name, sizeof name, "blk.%d." suffix, l), name)
        rc = gguf_vector(m, &ld, N("attn_norm.weight"), 1, dim, &L->attn_norm, err);
        if (!rc) rc = gguf_weight(m, &ld, N("attn_q.weight"), q_dim, dim, &L->wq, err);
        if (!rc) rc = gguf_weight(m, &ld, N("attn_k.weight"), kv_dim, dim, &L->wk, err);
        if (!rc) rc = gguf_weight(m, &ld, N("attn_v.weight"), kv_dim, dim, &L->wv, err);
        if (!rc) rc = gguf_weight(m, &ld, N("attn_output.weight"), dim, q_dim, &L->wo, err);
        if (!rc && hp->qkv_bias) {
            rc = gguf_vector(m, &ld, N("attn_q.bias"), 1, q_dim, &L->bq, err);
            if (!rc) rc = gguf_vector(m, &ld, N("attn_k.bias"), 1, kv_dim, &L->bk, err);
            if (!rc) rc = gguf_vector(m, &ld, N("attn_v.bias"), 1, kv_dim, &L->bv, err);
        }
        if (!rc) rc = gguf_vector(m, &ld, N("ffn_norm.weight"), 1, dim, &L->ffn_norm, err);
        if (!rc) rc = gguf_weight(m, &ld, N("ffn_gate.weight"), hp->ffn_dim, dim, &L->w_gate, err);
        if (!rc) rc = gguf_weight(m, &ld, N("ffn_up.weight"), hp->ffn_dim, dim, &L->w_up, err);
        if (!rc) rc = gguf_weight(m, &ld, N("ffn_down.weight"), dim, hp->ffn_dim, &L->w_down, err);
#undef N
    }
    teai__pool_free(ld.pool);
    return rc;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* nf4_exact: every nf4 weight on the exact path (f32 activations, the f32
 * codebook): the same bytes, relabelled with the internal type. */
static void nf4_exact_types(teai_model *m) {
    teai__weight *ws[2] = {&m->tok_embd, &m->output};
    for (int i = 0; i < 2; i++)
        if (ws[i]->type == TEAI_TYPE_NF4) ws[i]->type = TEAI__TYPE_NF4_EXACT;
    for (int l = 0; l < m->hp.n_layers; l++) {
        teai__layer *L = &m->layers[l];
        teai__weight *lw[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof lw / sizeof *lw; i++)
            if (lw[i]->type == TEAI_TYPE_NF4) lw[i]->type = TEAI__TYPE_NF4_EXACT;
    }
}

int teai_model_load(const char *path, const teai_model_params *params, teai_model **out,
                    teai_error *err) {
    *out = NULL;
    teai_model_params p = params ? *params : teai_model_default_params();
    if ((unsigned)p.quantize >= (unsigned)N_QUANTIZE)
        return teai__fail(err, TEAI_EINVAL, "%s: unknown quantization %d", path, (int)p.quantize);
    teai_model *m = calloc(1, sizeof *m);
    if (!m) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    int rc = is_dir(path) ? teai__load_hf(m, path, &p, err) : load_gguf(m, path, &p, err);
    if (rc) {
        teai_model_free(m);
        return rc;
    }
    if (!p.vocab_only && p.nf4_exact) nf4_exact_types(m);
    if (!p.vocab_only) teai__model_finish(m);
    if (!p.vocab_only && !p.no_repack && (rc = teai__model_repack(m, p.n_threads, err))) {
        teai_model_free(m);
        return rc;
    }
    *out = m;
    return TEAI_OK;
}

int teai__model_check(const char *path, int vocab_only, teai_error *err) {
    teai_model_params p = teai_model_default_params();
    p.n_threads = 1;
    p.vocab_only = vocab_only;
    teai_model *m = calloc(1, sizeof *m);
    if (!m) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    m->check_only = 1;
    int rc = is_dir(path) ? teai__load_hf(m, path, &p, err) : load_gguf(m, path, &p, err);
    teai_model_free(m);
    return rc;
}
