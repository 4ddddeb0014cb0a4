/* Fuzz target, structure-aware: the fuzz input's bytes choose a small llama or
 * qwen2 model (shapes, each tensor's type, dims, offset, presence and data),
 * which is written as a well-formed GGUF file whose contents may be
 * inconsistent (a tensor of the wrong shape or type, offsets that overlap or
 * leave gaps, data past the end), and the model loader runs on it. A load
 * must either fail with a message naming the file, or give a model that runs
 * two tokens with finite-or-not logits but no out-of-bounds read. */
#include "gguf.h"
#include "quant.h"
#include "teai/engine.h"
#include "util.h"

#include "fuzz_tmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a stream of choices; 0 when spent. */
typedef struct src {
    const uint8_t *p;
    size_t n, at;
} src;

static unsigned take(src *s) {
    return s->at < s->n ? s->p[s->at++] : 0;
}

/* 1 in `in` chance, driven by the input (0 = never once the input is spent) */
static int rare(src *s, unsigned in) {
    unsigned b = take(s);
    return b && b % in == 0;
}

/* v, or now and then a byte of the input instead */
static uint32_t perturb(src *s, int v) {
    return rare(s, 31) ? take(s) : (uint32_t)v;
}

static void put(teai_buf *b, const void *p, size_t n) {
    if (teai_buf_add(b, p, n)) abort();
}
static void put_u32(teai_buf *b, uint32_t v) {
    put(b, &v, 4);
}
static void put_u64(teai_buf *b, uint64_t v) {
    put(b, &v, 8);
}
static void put_str(teai_buf *b, const char *s) {
    put_u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void kv_u32(teai_buf *b, const char *key, uint32_t v) {
    put_str(b, key);
    put_u32(b, TEAI_GGUF_UINT32);
    put_u32(b, v);
}
static void kv_str(teai_buf *b, const char *key, const char *v) {
    put_str(b, key);
    put_u32(b, TEAI_GGUF_STRING);
    put_str(b, v);
}

typedef struct tinfo {
    char name[64];
    uint32_t type, n_dims;
    uint64_t ne[4], offset, nbytes;
} tinfo;

#define MAX_T 64

static const uint32_t types[] = {TEAI_TYPE_F32,  TEAI_TYPE_F16,  TEAI_TYPE_BF16, TEAI_TYPE_Q8_0,
                                 TEAI_TYPE_Q4_0, TEAI_TYPE_Q4_K, TEAI_TYPE_Q6_K};

/* A tensor of (rows, cols) (rows 0: a vector), its type and shape perturbed
 * now and then. */
static void add_t(tinfo *t, int *n, src *s, const char *name, int64_t rows, int64_t cols,
                  uint32_t base_type) {
    if (*n >= MAX_T || rare(s, 29)) return; /* missing */
    tinfo *x = &t[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->type = base_type;
    if (rows && rare(s, 5)) x->type = types[take(s) % (sizeof types / sizeof *types)];
    if (rare(s, 97)) x->type = take(s); /* unknown or teai-only types */
    x->n_dims = rows ? 2 : 1;
    x->ne[0] = (uint64_t)cols;
    x->ne[1] = rows ? (uint64_t)rows : 1;
    x->ne[2] = x->ne[3] = 1;
    if (rare(s, 23)) x->ne[take(s) % 2] += 1 + take(s) % 32; /* wrong shape */
    if (rare(s, 41)) x->n_dims = 1 + take(s) % 4;            /* wrong rank */
    if (rare(s, 61)) {                                       /* transposed */
        uint64_t tmp = x->ne[0];
        x->ne[0] = x->ne[1];
        x->ne[1] = tmp;
    }
}

static uint64_t t_bytes(const tinfo *x) {
    if (!teai_type_is_known(x->type) || x->type == TEAI_TYPE_I8 || x->type == TEAI_TYPE_NF4)
        return 32;
    int64_t bs = teai_type_block_size((teai_type)x->type);
    if (bs <= 0 || (int64_t)x->ne[0] % bs) return 32;
    return teai_type_row_size((teai_type)x->type, (int64_t)x->ne[0]) * x->ne[1] * x->ne[2] *
           x->ne[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *g_path = fuzz_tmp_path("fuzz_model_gguf", ".gguf");
    src s = {data, size, 0};
    /* shapes: small, usually consistent */
    int qwen = take(&s) % 4 == 0;
    int n_heads = 1 << (take(&s) % 3), n_kv = n_heads >> (take(&s) % 2);
    int head_dim = 32 * (1 + (int)(take(&s) % 2));
    int dim = n_heads * head_dim, ffn = 32 * (1 + (int)(take(&s) % 3));
    int n_layers = 1 + (int)(take(&s) % 2), n_vocab = 8 + (int)(take(&s) % 32);
    int tied = take(&s) % 2;
    uint32_t wtype = types[take(&s) % (sizeof types / sizeof *types)];
    /* Q4_K and Q6_K need rows of 256: keep them for matrices whose cols allow */
    tinfo t[MAX_T];
    int nt = 0;
    char name[64];
    const char *arch = qwen ? "qwen2" : "llama";
#define WT(r, c) ((c) % teai_type_block_size((teai_type)wtype) ? TEAI_TYPE_F16 : wtype)
    add_t(t, &nt, &s, "token_embd.weight", n_vocab, dim, WT(n_vocab, dim));
    add_t(t, &nt, &s, "output_norm.weight", 0, dim, TEAI_TYPE_F32);
    if (!tied) add_t(t, &nt, &s, "output.weight", n_vocab, dim, WT(n_vocab, dim));
    for (int l = 0; l < n_layers; l++) {
#define ADD(suffix, r, c, ty)                                                                      \
    (snprintf(name, sizeof name, "blk.%d." suffix, l), add_t(t, &nt, &s, name, r, c, ty))
        ADD("attn_norm.weight", 0, dim, TEAI_TYPE_F32);
        ADD("attn_q.weight", dim, dim, WT(dim, dim));
        ADD("attn_k.weight", n_kv * head_dim, dim, WT(n_kv * head_dim, dim));
        ADD("attn_v.weight", n_kv * head_dim, dim, WT(n_kv * head_dim, dim));
        ADD("attn_output.weight", dim, dim, WT(dim, dim));
        if (qwen) {
            ADD("attn_q.bias", 0, dim, TEAI_TYPE_F32);
            ADD("attn_k.bias", 0, n_kv * head_dim, TEAI_TYPE_F32);
            ADD("attn_v.bias", 0, n_kv * head_dim, TEAI_TYPE_F32);
        }
        ADD("ffn_norm.weight", 0, dim, TEAI_TYPE_F32);
        ADD("ffn_gate.weight", ffn, dim, WT(ffn, dim));
        ADD("ffn_up.weight", ffn, dim, WT(ffn, dim));
        ADD("ffn_down.weight", dim, ffn, WT(dim, ffn));
#undef ADD
    }
#undef WT
    if (rare(&s, 17)) add_t(t, &nt, &s, "rope_freqs.weight", 0, head_dim / 2, TEAI_TYPE_F32);
    if (nt > 1 && rare(&s, 53)) t[nt - 1] = t[take(&s) % (unsigned)(nt - 1)]; /* duplicate */

    /* offsets: llama.cpp's layout, then perturbed */
    uint64_t aln = 32, off = 0;
    for (int i = 0; i < nt; i++) {
        t[i].nbytes = t_bytes(&t[i]);
        t[i].offset = off;
        off = (off + t[i].nbytes + aln - 1) / aln * aln;
    }
    uint64_t data_len = off;
    for (int i = 0; i < nt; i++) {
        if (!rare(&s, 19)) continue;
        switch (take(&s) % 4) {
            case 0:
                t[i].offset = i ? t[i - 1].offset : 64;
                break; /* overlap */
            case 1:
                t[i].offset += aln;
                break; /* gap */
            case 2:
                t[i].offset += 1 + take(&s) % 31;
                break; /* misaligned */
            default:
                t[i].offset = data_len + aln * take(&s);
                break; /* past the end */
        }
    }
    if (rare(&s, 13)) data_len -= take(&s) % (data_len + 1); /* truncated data */

    teai_buf b;
    teai_buf_init(&b, 0);
    int n_kv_keys = 10;
    put_u32(&b, 0x46554747u);
    put_u32(&b, 3);
    put_u64(&b, (uint64_t)nt);
    put_u64(&b, (uint64_t)n_kv_keys);
    kv_str(&b, "general.architecture", arch);
    char key[96];
#define KEY(suffix) (snprintf(key, sizeof key, "%s." suffix, arch), key)
    kv_u32(&b, KEY("embedding_length"), perturb(&s, dim));
    kv_u32(&b, KEY("block_count"), perturb(&s, n_layers));
    kv_u32(&b, KEY("attention.head_count"), perturb(&s, n_heads));
    kv_u32(&b, KEY("attention.head_count_kv"), perturb(&s, n_kv));
    kv_u32(&b, KEY("feed_forward_length"), perturb(&s, ffn));
    kv_u32(&b, KEY("context_length"), 16);
    kv_u32(&b, KEY("vocab_size"), perturb(&s, n_vocab));
#undef KEY
    kv_str(&b, "tokenizer.ggml.model", "llama");
    put_str(&b, "tokenizer.ggml.tokens");
    put_u32(&b, TEAI_GGUF_ARRAY);
    put_u32(&b, TEAI_GGUF_STRING);
    int n_tok = rare(&s, 31) ? n_vocab + 1 : n_vocab;
    put_u64(&b, (uint64_t)n_tok);
    for (int i = 0; i < n_tok; i++) {
        char tok[16];
        snprintf(tok, sizeof tok, i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "t%d", i);
        put_str(&b, tok);
    }
    for (int i = 0; i < nt; i++) {
        put_str(&b, t[i].name);
        put_u32(&b, t[i].n_dims);
        for (uint32_t d = 0; d < t[i].n_dims; d++) put_u64(&b, t[i].ne[d]);
        put_u32(&b, t[i].type);
        put_u64(&b, t[i].offset);
    }
    static const uint8_t zeros[32];
    put(&b, zeros, (aln - b.len % aln) % aln);
    /* the data: the rest of the input, repeated, so weights are arbitrary bytes */
    size_t rest = s.at < s.n ? s.n - s.at : 0;
    uint8_t *d = malloc(data_len ? data_len : 1);
    if (!d) abort();
    for (size_t i = 0; i < data_len; i += rest ? rest : data_len) {
        size_t k = rest && rest < data_len - i ? rest : data_len - i;
        if (rest)
            memcpy(d + i, s.p + s.at, k);
        else
            memset(d + i, 0x3c, k);
    }
    put(&b, d, data_len);
    free(d);
    teai_error err = {0};
    FILE *f = fopen(g_path, "wb"); /* not teai__write_file_atomic: no fsync per input */
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) abort();
    teai_buf_free(&b);

    teai_model_params mp = teai_model_default_params();
    mp.n_threads = 1;
    teai_model *m = NULL;
    int rc = teai_model_load(g_path, &mp, &m, &err);
    if (getenv("TEAI_FUZZ_VERBOSE")) fprintf(stderr, "load: %s\n", rc ? err.msg : "ok");
    if (rc != TEAI_OK) {
        if (m || rc >= 0 || !strstr(err.msg, g_path)) abort();
        return 0;
    }
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 4;
    cp.n_threads = 1;
    teai_context *ctx = NULL;
    if (teai_context_new(m, &cp, &ctx, &err) == TEAI_OK) {
        int nv = teai_model_hparams(m)->n_vocab;
        float *logits = malloc(sizeof(float) * (size_t)nv);
        int32_t toks[2] = {1, nv - 1};
        if (!logits) abort();
        (void)teai_context_eval(ctx, toks, 2, logits, &err);
        free(logits);
        teai_context_free(ctx);
    }
    teai_model_free(m);
    return 0;
}
