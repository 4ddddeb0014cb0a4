/* llref against the real libllama: tokenization against llama.cpp's own test
 * vectors (models/ggml-vocab-*.gguf + .inp/.out in the provisioned sources),
 * and evaluation on a tiny random llama model written with teai's GGUF writer.
 * Skips when the llama.cpp sources are not provisioned. */
#include "gguf.h"
#include "llref.h"
#include "test_util.h"

#include <unistd.h>

static const char *g_src; /* the llama.cpp sources */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* llama.cpp's tokenizer test vectors: the .inp file holds texts separated by
 * "\n__ggml_vocab_test__\n", the .out file one line of token ids per text. */
typedef struct vocab_tests {
    char *inp, *out; /* file contents, cut in place */
    int n;
    char **text;
    char **ids; /* " 9906 1917" */
} vocab_tests;

static void vocab_tests_free(vocab_tests *t) {
    free(t->inp);
    free(t->out);
    free(t->text);
    free(t->ids);
    memset(t, 0, sizeof *t);
}

static int vocab_tests_load(const char *vocab, vocab_tests *t) {
    char path[4200];
    size_t len_inp, len_out;
    memset(t, 0, sizeof *t);
    snprintf(path, sizeof path, "%s/models/ggml-vocab-%s.gguf.inp", g_src, vocab);
    t->inp = read_file(path, &len_inp);
    snprintf(path, sizeof path, "%s/models/ggml-vocab-%s.gguf.out", g_src, vocab);
    t->out = read_file(path, &len_out);
    if (!t->inp || !t->out) goto fail;
    size_t cap = len_out + 1;
    t->text = calloc(cap, sizeof *t->text);
    t->ids = calloc(cap, sizeof *t->ids);
    if (!t->text || !t->ids) goto fail;
    static const char sep[] = "\n__ggml_vocab_test__\n";
    char *p = t->inp, *end = t->inp + len_inp;
    int n_inp = 0;
    while (p < end && n_inp < (int)cap) {
        char *next = strstr(p, sep);
        t->text[n_inp++] = p;
        if (!next) break;
        *next = '\0';
        p = next + sizeof sep - 1;
    }
    int n_out = 0;
    for (char *line = t->out; *line && n_out < (int)cap;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        t->ids[n_out++] = line;
        if (!nl) break;
        line = nl + 1;
    }
    if (n_inp != n_out) goto fail;
    t->n = n_inp;
    return 0;
fail:
    vocab_tests_free(t);
    return -1;
}

/* Parses " 9906 1917" into ids; returns the count, or -1. */
static int parse_ids(const char *s, int32_t *ids, int cap) {
    int n = 0;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s || n == cap) return -1;
        ids[n++] = (int32_t)v;
        s = e;
    }
    return n;
}

static void vocab_path(char *buf, size_t cap, const char *vocab) {
    snprintf(buf, cap, "%s/models/ggml-vocab-%s.gguf", g_src, vocab);
}

static void test_hello_world(void) {
    vocab_tests t;
    ASSERT_EQ(vocab_tests_load("llama-bpe", &t), 0);
    int32_t want[64], got[64];
    int n_want = -1;
    for (int i = 0; i < t.n; i++)
        if (strcmp(t.text[i], "Hello world") == 0) n_want = parse_ids(t.ids[i], want, 64);
    vocab_tests_free(&t);
    ASSERT_EQ(n_want, 2); /* " 9906 1917" */

    char path[4200];
    vocab_path(path, sizeof path, "llama-bpe");
    llref *r;
    ASSERT_EQ(llref_open_vocab(path, &r), 0);
    ASSERT_EQ(llref_n_vocab(r), 128256);
    int n = llref_tokenize(r, "Hello world", 0, 0, got, 64);
    llref_close(r);
    ASSERT_EQ(n, n_want);
    for (int i = 0; i < n; i++) ASSERT_EQ(got[i], want[i]);
}

/* Every vector of a vocabulary, tokenized as llama.cpp's test-tokenizer-0
 * does (no special tokens added, none parsed). */
static void check_all_vectors(const char *vocab) {
    vocab_tests t;
    ASSERT_EQ(vocab_tests_load(vocab, &t), 0);
    char path[4200];
    vocab_path(path, sizeof path, vocab);
    llref *r;
    int rc = llref_open_vocab(path, &r);
    if (rc != 0) vocab_tests_free(&t);
    ASSERT_EQ(rc, 0);
    int failures = 0;
    enum { CAP = 4096 };
    int32_t *want = malloc(CAP * sizeof *want), *got = malloc(CAP * sizeof *got);
    for (int i = 0; i < t.n && want && got; i++) {
        int n_want = parse_ids(t.ids[i], want, CAP);
        int n = llref_tokenize(r, t.text[i], 0, 0, got, CAP);
        if (n != n_want || (n > 0 && memcmp(got, want, (size_t)n * sizeof *got) != 0)) {
            if (failures++ < 3)
                fprintf(stderr, "%s: vector %d (\"%.40s\"): %d tokens, want %d\n", vocab, i,
                        t.text[i], n, n_want);
        }
    }
    int n_tests = t.n;
    free(want);
    free(got);
    llref_close(r);
    vocab_tests_free(&t);
    ASSERT_TRUE(n_tests > 10);
    ASSERT_EQ(failures, 0);
}

static void test_vectors_llama_bpe(void) {
    check_all_vectors("llama-bpe");
}

static void test_vectors_llama_spm(void) {
    check_all_vectors("llama-spm");
}

static void test_tokenize_special_and_cap(void) {
    char path[4200];
    vocab_path(path, sizeof path, "llama-spm");
    llref *r;
    ASSERT_EQ(llref_open_vocab(path, &r), 0);
    int32_t ids[16];
    /* SPM llama adds BOS (1). */
    int n = llref_tokenize(r, "Hello world", 1, 0, ids, 16);
    int n_plain = llref_tokenize(r, "Hello world", 0, 0, ids + 8, 8);
    int n_small = llref_tokenize(r, "Hello world", 1, 0, ids, 1);
    int32_t piece_id = ids[8];
    char piece[64];
    int n_piece = llref_token_to_piece(r, piece_id, piece, sizeof piece);
    float logit;
    int rc_eval = llref_eval(r, ids, 1, &logit);
    llref_close(r);
    ASSERT_EQ(n, n_plain + 1);
    ASSERT_EQ(ids[0], 1);
    ASSERT_EQ(n_small, -n); /* too small: minus the count needed */
    ASSERT_TRUE(n_piece > 0);
    ASSERT_STREQ(piece, " Hello");    /* SPM's "\xe2\x96\x81" is a space */
    ASSERT_EQ(rc_eval, LLREF_EINVAL); /* vocab-only handles do not evaluate */
}

/* ---- a tiny random llama model, written with teai's GGUF writer ---------- */

enum { T_EMBD = 64, T_HEAD = 4, T_HEAD_KV = 2, T_FF = 128, T_LAYER = 2, T_CTX = 256 };

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static float frand(void) { /* uniform in [-1, 1) */
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((double)(g_rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

typedef struct tiny_tensor {
    char name[64];
    int n_dims;
    int64_t ne[2];
    float base, scale; /* value = base + scale * U(-1, 1) */
} tiny_tensor;

static int tiny_tensors(int64_t n_vocab, tiny_tensor *t) {
    int n = 0;
    const int64_t n_embd_kv = T_EMBD / T_HEAD * T_HEAD_KV;
#define T_ADD(nm, d, e0, e1, b, s)                                                                 \
    do {                                                                                           \
        snprintf(t[n].name, sizeof t[n].name, "%s", nm);                                           \
        t[n].n_dims = d;                                                                           \
        t[n].ne[0] = e0;                                                                           \
        t[n].ne[1] = e1;                                                                           \
        t[n].base = b;                                                                             \
        t[n].scale = s;                                                                            \
        n++;                                                                                       \
    } while (0)
    T_ADD("token_embd.weight", 2, T_EMBD, n_vocab, 0.0f, 1.0f);
    for (int l = 0; l < T_LAYER; l++) {
        char nm[64];
#define T_BLK(suffix, d, e0, e1, b, s)                                                             \
    do {                                                                                           \
        snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix);                                           \
        T_ADD(nm, d, e0, e1, b, s);                                                                \
    } while (0)
        T_BLK("attn_norm.weight", 1, T_EMBD, 1, 1.0f, 0.1f);
        T_BLK("attn_q.weight", 2, T_EMBD, T_EMBD, 0.0f, 0.2f);
        T_BLK("attn_k.weight", 2, T_EMBD, n_embd_kv, 0.0f, 0.2f);
        T_BLK("attn_v.weight", 2, T_EMBD, n_embd_kv, 0.0f, 0.2f);
        T_BLK("attn_output.weight", 2, T_EMBD, T_EMBD, 0.0f, 0.2f);
        T_BLK("ffn_norm.weight", 1, T_EMBD, 1, 1.0f, 0.1f);
        T_BLK("ffn_gate.weight", 2, T_EMBD, T_FF, 0.0f, 0.2f);
        T_BLK("ffn_up.weight", 2, T_EMBD, T_FF, 0.0f, 0.2f);
        T_BLK("ffn_down.weight", 2, T_FF, T_EMBD, 0.0f, 0.2f);
#undef T_BLK
    }
    T_ADD("output_norm.weight", 1, T_EMBD, 1, 1.0f, 0.1f);
    T_ADD("output.weight", 2, T_EMBD, n_vocab, 0.0f, 0.3f);
#undef T_ADD
    return n;
}

/* Writes a llama-architecture model (f32, random weights) with the vocabulary
 * of models/ggml-vocab-llama-spm.gguf to path. */
static int write_tiny_model(const char *path) {
    char vpath[4200];
    vocab_path(vpath, sizeof vpath, "llama-spm");
    teai_error err = {0, ""};
    teai_gguf *v = NULL;
    teai_gguf_writer *w = teai_gguf_writer_new();
    tiny_tensor *t = calloc(3 + 9 * T_LAYER, sizeof *t);
    float *buf = NULL;
    int rc = -1;
    if (!w || !t || teai_gguf_open(vpath, &v, &err) != TEAI_OK) goto done;
    int64_t n_vocab = 0;
    for (int64_t i = 0; i < teai_gguf_n_kv(v); i++) {
        const teai_gguf_kv *kv = teai_gguf_kv_at(v, i);
        if (strncmp(kv->key, "llama.", 6) == 0 || strcmp(kv->key, "general.file_type") == 0)
            continue;
        if (strcmp(kv->key, "tokenizer.ggml.tokens") == 0) n_vocab = (int64_t)kv->arr_n;
        if (teai_gguf_writer_copy_kv(w, kv) != TEAI_OK) goto done;
    }
    if (n_vocab <= 0) goto done;
    if (teai_gguf_writer_set_str(w, "general.name", "llref-tiny") ||
        teai_gguf_writer_set_u32(w, "general.file_type", 0) ||
        teai_gguf_writer_set_u32(w, "llama.context_length", T_CTX) ||
        teai_gguf_writer_set_u32(w, "llama.embedding_length", T_EMBD) ||
        teai_gguf_writer_set_u32(w, "llama.feed_forward_length", T_FF) ||
        teai_gguf_writer_set_u32(w, "llama.block_count", T_LAYER) ||
        teai_gguf_writer_set_u32(w, "llama.attention.head_count", T_HEAD) ||
        teai_gguf_writer_set_u32(w, "llama.attention.head_count_kv", T_HEAD_KV) ||
        teai_gguf_writer_set_u32(w, "llama.rope.dimension_count", T_EMBD / T_HEAD) ||
        teai_gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f) ||
        teai_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f) ||
        teai_gguf_writer_set_u32(w, "llama.vocab_size", (uint32_t)n_vocab))
        goto done;
    int n = tiny_tensors(n_vocab, t);
    for (int i = 0; i < n; i++)
        if (teai_gguf_writer_add_tensor(w, t[i].name, TEAI_TYPE_F32, t[i].n_dims, t[i].ne))
            goto done;
    if (teai_gguf_writer_begin(w, path, &err) != TEAI_OK) goto done;
    buf = malloc((size_t)(T_EMBD * n_vocab) * sizeof *buf);
    if (!buf) goto done;
    for (int i = 0; i < n; i++) {
        int64_t ne = t[i].ne[0] * t[i].ne[1];
        for (int64_t j = 0; j < ne; j++) buf[j] = t[i].base + t[i].scale * frand();
        if (teai_gguf_writer_write_data(w, buf, (uint64_t)ne * sizeof *buf, &err) != TEAI_OK)
            goto done;
    }
    if (teai_gguf_writer_finish(w, &err) != TEAI_OK) goto done;
    rc = 0;
done:
    if (rc != 0) fprintf(stderr, "write_tiny_model: %s\n", err.msg);
    free(buf);
    free(t);
    teai_gguf_close(v);
    teai_gguf_writer_free(w);
    return rc;
}

static char g_tiny[4200];

static double max_abs_diff(const float *a, const float *b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN wins */
    }
    return m;
}

static void test_eval(void) {
    llref *r;
    ASSERT_EQ(llref_open(g_tiny, 64, 2, &r), 0);
    int nv = llref_n_vocab(r);
    ASSERT_EQ(nv, 32000);
    ASSERT_TRUE(llref_n_ctx(r) >= 64);
    const int32_t prompt[8] = {1, 15043, 3186, 29871, 100, 200, 300, 400};
    float *last = malloc((size_t)nv * sizeof *last);
    float *again = malloc((size_t)nv * sizeof *again);
    float *step = malloc((size_t)nv * sizeof *step);
    float *all = malloc((size_t)(8 * nv) * sizeof *all);
    ASSERT_TRUE(last && again && step && all);
    int rc = llref_eval(r, prompt, 8, last);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(llref_n_past(r), 8);
    int finite = 1;
    for (int i = 0; i < nv; i++) finite &= isfinite(last[i]) != 0;
    ASSERT_TRUE(finite);

    /* Same input from an empty context: the same numbers, bit for bit. */
    llref_reset(r);
    ASSERT_EQ(llref_n_past(r), 0);
    ASSERT_EQ(llref_eval(r, prompt, 8, again), 0);
    ASSERT_TRUE(memcmp(last, again, (size_t)nv * sizeof *last) == 0);

    /* Every position at once; the last row is the last logits. */
    llref_reset(r);
    ASSERT_EQ(llref_eval_all(r, prompt, 8, all), 0);
    ASSERT_NEAR(max_abs_diff(all + 7 * (size_t)nv, last, nv), 0.0, 1e-4);

    /* One token at a time through the KV cache: the same rows. */
    llref_reset(r);
    double worst = 0;
    for (int t = 0; t < 8; t++) {
        ASSERT_EQ(llref_eval(r, &prompt[t], 1, step), 0);
        double d = max_abs_diff(step, all + (size_t)t * (size_t)nv, nv);
        if (!(d <= worst)) worst = d;
    }
    ASSERT_NEAR(worst, 0.0, 1e-3);

    /* Positions continue: 8 more tokens fit in 64, 57 do not. */
    ASSERT_EQ(llref_n_past(r), 8);
    int32_t many[64];
    for (int i = 0; i < 64; i++) many[i] = 100 + i;
    ASSERT_EQ(llref_eval(r, many, 57, step), LLREF_ERANGE);
    ASSERT_EQ(llref_eval(r, many, 56, step), 0);
    ASSERT_EQ(llref_n_past(r), 64);

    free(last);
    free(again);
    free(step);
    free(all);
    llref_close(r);
}

static void test_greedy(void) {
    llref *r;
    ASSERT_EQ(llref_open(g_tiny, 64, 1, &r), 0);
    int nv = llref_n_vocab(r);
    const int32_t prompt[4] = {1, 15043, 3186, 29871};
    int32_t a[16], b[16];
    ASSERT_EQ(llref_greedy(r, prompt, 4, 16, a), 16);
    ASSERT_EQ(llref_n_past(r), 4 + 15);
    ASSERT_EQ(llref_greedy(r, prompt, 4, 16, b), 16);
    for (int i = 0; i < 16; i++) ASSERT_EQ(a[i], b[i]);

    /* The first token is the argmax of the prompt's last logits. */
    float *l = malloc((size_t)nv * sizeof *l);
    ASSERT_TRUE(l != NULL);
    llref_reset(r);
    ASSERT_EQ(llref_eval(r, prompt, 4, l), 0);
    int best = 0;
    for (int i = 1; i < nv; i++)
        if (l[i] > l[best]) best = i;
    free(l);
    ASSERT_EQ(a[0], best);
    /* Random weights still give more than one distinct token. */
    int distinct = 0;
    for (int i = 1; i < 16; i++) distinct |= a[i] != a[0];
    ASSERT_TRUE(distinct);
    ASSERT_EQ(llref_greedy(r, prompt, 4, 62, a), LLREF_ERANGE);
    llref_close(r);
}

static void test_params(void) {
    llref_params p = llref_default_params();
    p.n_ctx = 32;
    p.flash_attn = 0;
    p.kv_f32 = 1;
    p.repack = 0;
    llref *r;
    ASSERT_EQ(llref_open_params(g_tiny, &p, &r), 0);
    int nv = llref_n_vocab(r);
    const int32_t prompt[4] = {1, 15043, 3186, 29871};
    float *a = malloc((size_t)nv * sizeof *a), *b = malloc((size_t)nv * sizeof *b);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(llref_eval(r, prompt, 4, a), 0);
    llref_close(r);
    /* Flash attention and the f16 cache change rounding, not the result. */
    ASSERT_EQ(llref_open(g_tiny, 32, 1, &r), 0);
    ASSERT_EQ(llref_eval(r, prompt, 4, b), 0);
    llref_close(r);
    ASSERT_NEAR(max_abs_diff(a, b, nv), 0.0, 3e-2); /* logits are O(1); seen: 3e-3 */
    free(a);
    free(b);
    ASSERT_EQ(llref_open("/nonexistent.gguf", 32, 1, &r), LLREF_ELOAD);
    ASSERT_TRUE(r == NULL);
}

int main(void) {
    g_src = test_llama_src_dir();
    if (!g_src)
        test_skip_llama("llama.cpp sources not provisioned (run scripts/provision-llama.sh)");
    int rc = llref_init();
    if (rc != 0) {
        fprintf(stderr, "llref_init: %s\n", llref_strerror(rc));
        return 1;
    }
    RUN_TEST(test_hello_world);
    RUN_TEST(test_vectors_llama_bpe);
    RUN_TEST(test_vectors_llama_spm);
    RUN_TEST(test_tokenize_special_and_cap);

    test_tmp_path(g_tiny, sizeof g_tiny, "llref-tiny.gguf");
    if (write_tiny_model(g_tiny) != 0) {
        fprintf(stderr, "could not write %s\n", g_tiny);
        return 1;
    }
    RUN_TEST(test_eval);
    RUN_TEST(test_greedy);
    RUN_TEST(test_params);
    unlink(g_tiny);
    TEST_MAIN_END();
}
