/* Bytes one decode step moves (memory_throughput_gb_s, docs/metrics.md): one
 * function of a model's tensors, the position and the KV cache's types, used
 * by every backend (engine.h says what is counted and why). The tensor sizes
 * come from ggml's table of block sizes below, so a file of types teai does
 * not run (Q5_K, IQ4_XS, ...) is measured as llama.cpp stores it. */
#include "gguf.h"
#include "model.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* GGUF/ggml type number -> elements per block, bytes per block (ggml 0.25's
 * ggml_blck_size / ggml_type_size, printed from libggml-base). */
static const struct {
    uint32_t type;
    uint32_t block, bytes;
} ggml_types[] = {
    {0, 1, 4},      /* f32 */
    {1, 1, 2},      /* f16 */
    {2, 32, 18},    /* q4_0 */
    {3, 32, 20},    /* q4_1 */
    {6, 32, 22},    /* q5_0 */
    {7, 32, 24},    /* q5_1 */
    {8, 32, 34},    /* q8_0 */
    {9, 32, 36},    /* q8_1 */
    {10, 256, 84},  /* q2_K */
    {11, 256, 110}, /* q3_K */
    {12, 256, 144}, /* q4_K */
    {13, 256, 176}, /* q5_K */
    {14, 256, 210}, /* q6_K */
    {15, 256, 292}, /* q8_K */
    {16, 256, 66},  /* iq2_xxs */
    {17, 256, 74},  /* iq2_xs */
    {18, 256, 98},  /* iq3_xxs */
    {19, 256, 50},  /* iq1_s */
    {20, 32, 18},   /* iq4_nl */
    {21, 256, 110}, /* iq3_s */
    {22, 256, 82},  /* iq2_s */
    {23, 256, 136}, /* iq4_xs */
    {24, 1, 1},     /* i8 */
    {25, 1, 2},     /* i16 */
    {26, 1, 4},     /* i32 */
    {27, 1, 8},     /* i64 */
    {28, 1, 8},     /* f64 */
    {29, 256, 56},  /* iq1_m */
    {30, 1, 2},     /* bf16 */
    {34, 256, 54},  /* tq1_0 */
    {35, 256, 66},  /* tq2_0 */
    {39, 32, 17},   /* mxfp4 */
    {40, 64, 36},   /* nvfp4 */
    {41, 128, 18},  /* q1_0 */
    {42, 64, 18},   /* q2_0 */
};

/* Bytes of a row of n elements of a file type; 0 if unknown or not whole blocks. */
static uint64_t file_row_bytes(uint32_t type, int64_t n) {
    for (size_t i = 0; i < sizeof ggml_types / sizeof *ggml_types; i++)
        if (ggml_types[i].type == type) {
            if (n < 0 || n % ggml_types[i].block) return 0;
            return (uint64_t)(n / ggml_types[i].block) * ggml_types[i].bytes;
        }
    return 0;
}

/* A scalar integer key of the architecture; def when absent. An array (per
 * layer values) is refused: the KV rows would differ by layer. */
static int arch_int(const teai_gguf *g, const char *arch, const char *suffix, int64_t def,
                    int64_t *out, teai_error *err) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    const teai_gguf_kv *kv = teai_gguf_get(g, key);
    *out = def;
    if (!kv) return TEAI_OK;
    if (teai_gguf_kv_int(kv, out) != TEAI_OK || *out < 0 || *out > INT32_MAX)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: %s is not one non-negative integer",
                          teai_gguf_path(g), key);
    return TEAI_OK;
}

static int shape_from_gguf(const teai_gguf *g, teai_decode_shape *s, teai_error *err) {
    const char *path = teai_gguf_path(g);
    char arch[64];
    memset(s, 0, sizeof *s);
    if (!teai_gguf_get_str(g, "general.architecture", arch, sizeof arch)[0])
        return teai__fail(err, TEAI_EFORMAT, "%s: no general.architecture", path);
    int64_t n_layers, embd, n_head, n_kv, hd_k, hd_v;
    int rc = arch_int(g, arch, "block_count", 0, &n_layers, err);
    if (!rc) rc = arch_int(g, arch, "embedding_length", 0, &embd, err);
    if (!rc) rc = arch_int(g, arch, "attention.head_count", 0, &n_head, err);
    if (!rc) rc = arch_int(g, arch, "attention.head_count_kv", n_head, &n_kv, err);
    if (!rc) rc = arch_int(g, arch, "attention.key_length", n_head ? embd / n_head : 0, &hd_k, err);
    if (!rc)
        rc = arch_int(g, arch, "attention.value_length", n_head ? embd / n_head : 0, &hd_v, err);
    if (rc) return rc;
    if (n_layers <= 0 || n_kv <= 0 || hd_k <= 0 || hd_v <= 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: no layer count, KV head count or head size",
                          path);
    s->n_layers = (int)n_layers, s->n_kv_heads = (int)n_kv;
    s->head_dim_k = (int)hd_k, s->head_dim_v = (int)hd_v;
    s->tied_output = teai_gguf_find_tensor(g, "output.weight") == NULL;
    uint64_t embd_bytes = 0, embd_row = 0;
    for (int64_t i = 0; i < teai_gguf_n_tensors(g); i++) {
        const teai_gguf_tensor *t = teai_gguf_tensor_at(g, i);
        uint64_t row = file_row_bytes(t->type, t->ne[0]), rows = 1, bytes;
        if (!row)
            return teai__fail(err, TEAI_EUNSUPPORTED, "%s: tensor %s: type %u of unknown size",
                              path, t->name, t->type);
        for (int d = 1; d < 4; d++)
            if (!teai__mul_ok(rows, (uint64_t)t->ne[d], &rows))
                return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: size overflows", path,
                                  t->name);
        if (!teai__mul_ok(rows, row, &bytes) || bytes > UINT64_MAX - s->param_bytes)
            return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: size overflows", path, t->name);
        s->param_bytes += bytes;
        if (strcmp(t->name, "token_embd.weight") == 0) embd_bytes = bytes, embd_row = row;
    }
    /* untied: of the embedding table a step reads the row of its token */
    s->weight_bytes = s->param_bytes - (s->tied_output ? 0 : embd_bytes - embd_row);
    return TEAI_OK;
}

int teai_decode_shape_from_file(const char *path, teai_decode_shape *out, teai_error *err) {
    memset(out, 0, sizeof *out);
    teai_gguf *g = NULL;
    int rc = teai_gguf_open_ex(path, 0, &g, err);
    if (rc) return rc;
    rc = shape_from_gguf(g, out, err);
    teai_gguf_close(g);
    return rc;
}

void teai_decode_shape_from_model(const teai_model *m, teai_decode_shape *s) {
    if (m->gguf && !m->converted && shape_from_gguf(m->gguf, s, NULL) == TEAI_OK) return;
    /* the weights as held: load-time conversion, or a Hugging Face folder */
    const teai_hparams *hp = &m->hp;
    memset(s, 0, sizeof *s);
    s->n_layers = hp->n_layers, s->n_kv_heads = hp->n_kv_heads;
    s->head_dim_k = s->head_dim_v = hp->head_dim;
    s->tied_output = hp->tied_output;
    s->param_bytes = m->param_bytes;
    uint64_t embd = m->tok_embd.row_bytes * (uint64_t)m->tok_embd.rows;
    s->weight_bytes = m->param_bytes - (hp->tied_output ? 0 : embd - m->tok_embd.row_bytes);
}

uint64_t teai_decode_bytes_per_step(const teai_decode_shape *s, uint32_t k_type, uint32_t v_type,
                                    int pos) {
    uint64_t k_row = file_row_bytes(k_type, (int64_t)s->n_kv_heads * s->head_dim_k);
    uint64_t v_row = file_row_bytes(v_type, (int64_t)s->n_kv_heads * s->head_dim_v);
    if (!k_row || !v_row || pos < 0) return 0;
    /* per layer: write the new K and V rows, read pos + 1 of each */
    return s->weight_bytes + (uint64_t)s->n_layers * (k_row + v_row) * ((uint64_t)pos + 2);
}
