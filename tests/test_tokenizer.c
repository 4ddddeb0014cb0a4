/* Tokenizers: llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf
 * with .inp/.out, as tests/test-tokenizer-0.cpp uses them: no BOS, no
 * special-token parsing), decoding, special tokens, BOS, the tokenizer.json
 * and GGUF round trips, the byte-level vocabulary, and bad input. */
#include "gguf.h"
#include "test_util.h"
#include "tokenizer.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* ---- vector files ----------------------------------------------------- */

typedef struct vectors {
    char *inp_data;
    char **inp; /* NUL-terminated inputs (may contain NUL? no: text files) */
    size_t *inp_len;
    int32_t **ids; /* expected ids */
    int *n_ids;
    int n;
} vectors;

static void vectors_free(vectors *v) {
    for (int i = 0; i < v->n; i++) free(v->ids[i]);
    free(v->ids);
    free(v->n_ids);
    free(v->inp);
    free(v->inp_len);
    free(v->inp_data);
    memset(v, 0, sizeof *v);
}

/* Reads X.inp / X.out; returns 0 on success. */
static int vectors_read(const char *gguf_path, vectors *v) {
    char p[4200];
    char *out_data = NULL;
    size_t inp_len = 0, out_len = 0;
    memset(v, 0, sizeof *v);
    snprintf(p, sizeof p, "%s.inp", gguf_path);
    if (teai__read_file(p, 1 << 26, &v->inp_data, &inp_len, NULL)) return -1;
    snprintf(p, sizeof p, "%s.out", gguf_path);
    if (teai__read_file(p, 1 << 26, &out_data, &out_len, NULL)) return -1;

    static const char sep[] = "\n__ggml_vocab_test__\n";
    size_t seplen = sizeof sep - 1;
    size_t cap = 16;
    v->inp = malloc(cap * sizeof *v->inp);
    v->inp_len = malloc(cap * sizeof *v->inp_len);
    size_t pos = 0;
    while (pos < inp_len) {
        char *next = NULL;
        for (size_t k = pos; k + seplen <= inp_len; k++)
            if (memcmp(v->inp_data + k, sep, seplen) == 0) {
                next = v->inp_data + k;
                break;
            }
        size_t end = next ? (size_t)(next - v->inp_data) : inp_len;
        if ((size_t)v->n == cap) {
            cap *= 2;
            v->inp = realloc(v->inp, cap * sizeof *v->inp);
            v->inp_len = realloc(v->inp_len, cap * sizeof *v->inp_len);
        }
        v->inp[v->n] = v->inp_data + pos;
        v->inp_len[v->n] = end - pos;
        v->inp_data[end] = '\0';
        v->n++;
        if (!next) break;
        pos = end + seplen;
    }

    v->ids = calloc((size_t)v->n + 1, sizeof *v->ids);
    v->n_ids = calloc((size_t)v->n + 1, sizeof *v->n_ids);
    char *s = out_data;
    int line = 0;
    while (*s && line < v->n) {
        char *eol = strchr(s, '\n');
        if (eol) *eol = '\0';
        int cnt = 0;
        int32_t *ids = malloc((strlen(s) / 2 + 2) * sizeof *ids);
        char *q = s;
        for (;;) {
            while (*q == ' ') q++;
            if (!*q) break;
            char *e;
            long x = strtol(q, &e, 10);
            if (e == q) break;
            ids[cnt++] = (int32_t)x;
            q = e;
        }
        v->ids[line] = ids;
        v->n_ids[line] = cnt;
        line++;
        if (!eol) break;
        s = eol + 1;
    }
    free(out_data);
    if (line != v->n) {
        fprintf(stderr, "%s: %d inputs but %d outputs\n", gguf_path, v->n, line);
        return -1;
    }
    return 0;
}

static int32_t *tokenize(const teai_tokenizer *t, const char *s, size_t n, int bos, int special,
                         int *n_out) {
    int need = 0;
    int rc = teai_tokenize(t, s, n, bos, special, NULL, 0, &need);
    if (rc != TEAI_OK && rc != TEAI_ERANGE) return NULL;
    int32_t *ids = malloc(((size_t)need + 1) * sizeof *ids);
    rc = teai_tokenize(t, s, n, bos, special, ids, need, n_out);
    if (rc != TEAI_OK) {
        free(ids);
        return NULL;
    }
    return ids;
}

static void print_ids(const char *what, const int32_t *ids, int n) {
    fprintf(stderr, "  %s:", what);
    for (int i = 0; i < n && i < 40; i++) fprintf(stderr, " %d", (int)ids[i]);
    fprintf(stderr, "\n");
}

/* Runs every vector; returns the number that match. */
static int run_vectors(const teai_tokenizer *t, const vectors *v, const char *label) {
    int ok = 0;
    for (int i = 0; i < v->n; i++) {
        int n = 0;
        int32_t *ids = tokenize(t, v->inp[i], v->inp_len[i], 0, 0, &n);
        int same =
            ids && n == v->n_ids[i] && (n == 0 || memcmp(ids, v->ids[i], (size_t)n * 4) == 0);
        if (same) {
            ok++;
        } else {
            fprintf(stderr, "%s: vector %d '%.60s' differs\n", label, i, v->inp[i]);
            if (ids) print_ids("got     ", ids, n);
            print_ids("expected", v->ids[i], v->n_ids[i]);
        }
        free(ids);
    }
    return ok;
}

static const char *vocab_path(char *buf, size_t cap, const char *name) {
    const char *dir = test_llama_src_dir();
    if (!dir) return NULL;
    snprintf(buf, cap, "%s/models/ggml-vocab-%s.gguf", dir, name);
    return buf;
}

static teai_tokenizer *load_vocab(const char *name, teai_gguf **g_out) {
    char p[4200];
    teai_gguf *g = NULL;
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    if (!vocab_path(p, sizeof p, name)) return NULL;
    if (teai_gguf_open(p, &g, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    if (teai__tokenizer_from_gguf(g, &t, &err)) fprintf(stderr, "%s\n", err.msg);
    if (g_out)
        *g_out = g;
    else
        teai_gguf_close(g);
    return t;
}

/* ---- tests --------------------------------------------------------------- */

static void check_vocab_vectors(const char *name) {
    char p[4200];
    vectors v;
    teai_tokenizer *t = load_vocab(name, NULL);
    ASSERT_TRUE(t != NULL);
    vocab_path(p, sizeof p, name);
    ASSERT_EQ(vectors_read(p, &v), 0);
    int ok = run_vectors(t, &v, name);
    printf("  %s: %d/%d vectors match\n", name, ok, v.n);
    int n = v.n;
    vectors_free(&v);
    teai__tokenizer_free(t);
    ASSERT_EQ(ok, n);
}

static void test_vectors_llama_bpe(void) {
    check_vocab_vectors("llama-bpe");
}
static void test_vectors_llama_spm(void) {
    check_vocab_vectors("llama-spm");
}
static void test_vectors_qwen2(void) {
    check_vocab_vectors("qwen2");
}
/* Two more vocabularies of the same kinds: GPT-2's regex, and Phi-3's
 * SentencePiece vocabulary. */
static void test_vectors_gpt2(void) {
    check_vocab_vectors("gpt-2");
}
static void test_vectors_phi3(void) {
    check_vocab_vectors("phi-3");
}

/* decode(encode(text)) == text on every input, both vocabularies. */
static void check_decode(const char *name) {
    char p[4200];
    vectors v;
    teai_tokenizer *t = load_vocab(name, NULL);
    ASSERT_TRUE(t != NULL);
    vocab_path(p, sizeof p, name);
    ASSERT_EQ(vectors_read(p, &v), 0);
    int bad = 0;
    for (int i = 0; i < v.n; i++) {
        for (int bos = 0; bos < 2; bos++) {
            int n = 0;
            int32_t *ids = tokenize(t, v.inp[i], v.inp_len[i], bos, 0, &n);
            teai_buf b;
            teai_buf_init(&b, 0);
            teai__tokenizer_decode(t, ids, n, 0, &b);
            if (b.len != v.inp_len[i] || (b.len && memcmp(b.data, v.inp[i], b.len) != 0)) {
                fprintf(stderr, "%s: decode of vector %d (bos %d) gives '%.60s'\n", name, i, bos,
                        b.data ? b.data : "");
                bad++;
            }
            teai_buf_free(&b);
            free(ids);
        }
    }
    vectors_free(&v);
    teai__tokenizer_free(t);
    ASSERT_EQ(bad, 0);
}

static void test_decode_llama_bpe(void) {
    check_decode("llama-bpe");
}
static void test_decode_llama_spm(void) {
    check_decode("llama-spm");
}

static void test_special_and_bos(void) {
    teai_tokenizer *t = load_vocab("llama-bpe", NULL);
    ASSERT_TRUE(t != NULL);
    const char *s = "Hi<|eot_id|>";
    int n = 0;
    int32_t *ids = tokenize(t, s, strlen(s), 0, 1, &n);
    ASSERT_TRUE(ids != NULL);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ids[1], 128009);
    free(ids);
    ids = tokenize(t, s, strlen(s), 0, 0, &n);
    ASSERT_TRUE(n > 2);
    for (int i = 0; i < n; i++) ASSERT_TRUE(ids[i] != 128009);
    free(ids);
    /* BOS when asked; the Llama 3 vocabulary adds it. */
    ids = tokenize(t, "Hello", 5, 1, 0, &n);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ids[0], 128000);
    ASSERT_EQ(teai_tokenizer_bos(t), 128000);
    ASSERT_EQ(teai_tokenizer_eos(t), 128001);
    free(ids);
    ASSERT_TRUE(teai_tokenizer_is_eog(t, 128009));
    ASSERT_TRUE(teai_tokenizer_is_eog(t, 128001));
    ASSERT_TRUE(!teai_tokenizer_is_eog(t, 128000));
    ASSERT_STREQ(teai_tokenizer_model(t), "gpt2");
    ASSERT_STREQ(teai_tokenizer_pre(t), "llama-bpe");
    /* Pieces: control tokens are empty unless rendered. */
    char buf[64];
    ASSERT_EQ(teai_token_to_piece(t, 128009, 0, buf, sizeof buf), 0);
    ASSERT_EQ(teai_token_to_piece(t, 128009, 1, buf, sizeof buf), 10);
    ASSERT_STREQ(buf, "<|eot_id|>");
    ASSERT_EQ(teai_token_to_piece(t, 128009, 1, buf, 10), TEAI_ERANGE); /* no room for the NUL */
    ASSERT_EQ(teai_token_to_piece(t, -1, 1, buf, sizeof buf), TEAI_EINVAL);
    ASSERT_EQ(teai_token_to_piece(t, teai_tokenizer_n_vocab(t), 1, buf, sizeof buf), TEAI_EINVAL);
    /* The count-only call and a short buffer. */
    int32_t two[2];
    ASSERT_EQ(teai_tokenize(t, "Hello world again", 17, 0, 0, two, 2, &n), TEAI_ERANGE);
    ASSERT_EQ(n, 3);
    teai__tokenizer_free(t);

    t = load_vocab("llama-spm", NULL);
    ASSERT_TRUE(t != NULL);
    ids = tokenize(t, "Hello", 5, 1, 0, &n);
    ASSERT_TRUE(n >= 2);
    ASSERT_EQ(ids[0], 1);
    free(ids);
    ids = tokenize(t, "<s>x", 4, 0, 1, &n);
    ASSERT_TRUE(n >= 2);
    ASSERT_EQ(ids[0], 1);
    free(ids);
    ASSERT_STREQ(teai_tokenizer_model(t), "llama");
    ASSERT_TRUE(teai_tokenizer_is_eog(t, 2));
    ASSERT_EQ(teai_token_to_piece(t, 13, 0, buf, sizeof buf), 1); /* <0x0A> */
    ASSERT_EQ(buf[0], '\n');
    teai__tokenizer_free(t);
}

/* tokenizer.json round trip: same ids as the GGUF tokenizer on all inputs,
 * with and without BOS and special tokens. */
static void check_hf_roundtrip(const char *name) {
#if !TEAI_HAVE_CJSON
    printf("  (skipped: built without cJSON)\n");
    return;
#else
    char p[4200], dir[4200];
    vectors v;
    teai_error err = {0};
    teai_tokenizer *t = load_vocab(name, NULL), *u = NULL;
    ASSERT_TRUE(t != NULL);
    snprintf(dir, sizeof dir, "hf-%s", name);
    test_tmp_path(p, sizeof p, dir);
    snprintf(dir, sizeof dir, "%s", p);
    const char *tmpl = "{{ messages }}";
    ASSERT_EQ(teai__tokenizer_write_hf(t, dir, tmpl, &err), TEAI_OK);
    int rc = teai__tokenizer_from_hf(dir, &u, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_STREQ(teai__tokenizer_chat_template(u), tmpl);
    ASSERT_EQ(teai_tokenizer_n_vocab(u), teai_tokenizer_n_vocab(t));
    ASSERT_EQ(teai_tokenizer_bos(u), teai_tokenizer_bos(t));
    ASSERT_EQ(teai_tokenizer_eos(u), teai_tokenizer_eos(t));
    ASSERT_STREQ(teai_tokenizer_model(u), teai_tokenizer_model(t));
    ASSERT_STREQ(teai_tokenizer_pre(u), teai_tokenizer_pre(t));
    vocab_path(p, sizeof p, name);
    ASSERT_EQ(vectors_read(p, &v), 0);
    int bad = 0;
    for (int i = 0; i < v.n; i++) {
        for (int mode = 0; mode < 3; mode++) {
            int na = 0, nb = 0;
            int32_t *a = tokenize(t, v.inp[i], v.inp_len[i], mode == 1, mode == 2, &na);
            int32_t *b = tokenize(u, v.inp[i], v.inp_len[i], mode == 1, mode == 2, &nb);
            if (!a || !b || na != nb || (na && memcmp(a, b, (size_t)na * 4) != 0)) {
                fprintf(stderr, "%s: tokenizer.json gives other ids for vector %d (mode %d)\n",
                        name, i, mode);
                if (a) print_ids("gguf", a, na);
                if (b) print_ids("json", b, nb);
                bad++;
            }
            free(a);
            free(b);
        }
    }
    /* Runs of spaces: SentencePiece merges of equal score ("▁▁", "▁▁▁▁", ...)
     * must keep their order through the merges list. */
    for (int k = 1; k <= 40 && !bad; k++) {
        char sp[64];
        memset(sp, ' ', (size_t)k);
        memcpy(sp + k, "x y", 4);
        int na = 0, nb = 0;
        int32_t *a = tokenize(t, sp, (size_t)k + 3, 0, 0, &na);
        int32_t *b = tokenize(u, sp, (size_t)k + 3, 0, 0, &nb);
        if (!a || !b || na != nb || memcmp(a, b, (size_t)na * 4) != 0) bad++;
        free(a);
        free(b);
    }
    /* Also a text with special tokens in it. */
    const char *s = "<|begin_of_text|><s> x <|im_start|>user\n</s>\tŌ<|eot_id|>";
    for (int sp = 0; sp < 2; sp++) {
        int na = 0, nb = 0;
        int32_t *a = tokenize(t, s, strlen(s), 1, sp, &na);
        int32_t *b = tokenize(u, s, strlen(s), 1, sp, &nb);
        if (!a || !b || na != nb || memcmp(a, b, (size_t)na * 4) != 0) bad++;
        free(a);
        free(b);
    }
    vectors_free(&v);
    teai__tokenizer_free(t);
    teai__tokenizer_free(u);
    test_system("rm -rf '%s'", dir);
    ASSERT_EQ(bad, 0);
#endif
}

static void test_hf_roundtrip_llama_bpe(void) {
    check_hf_roundtrip("llama-bpe");
}
static void test_hf_roundtrip_llama_spm(void) {
    check_hf_roundtrip("llama-spm");
}
static void test_hf_roundtrip_qwen2(void) {
    check_hf_roundtrip("qwen2");
}

/* Writes the tokenizer keys of t into a tensor-less GGUF file at path. */
static int write_tok_gguf(const teai_tokenizer *t, const char *path, teai_error *err) {
    teai_gguf_writer *w = teai_gguf_writer_new();
    if (!w) return TEAI_ENOMEM;
    int rc = teai_gguf_writer_set_str(w, "general.architecture", "llama");
    if (!rc) rc = teai__tokenizer_write_gguf(t, w);
    if (!rc) rc = teai_gguf_writer_begin(w, path, err);
    if (!rc) rc = teai_gguf_writer_finish(w, err);
    teai_gguf_writer_free(w);
    return rc;
}

static void check_gguf_roundtrip(const char *name) {
    char p[4200];
    vectors v;
    teai_error err = {0};
    teai_gguf *g = NULL;
    teai_tokenizer *t = load_vocab(name, NULL), *u = NULL;
    ASSERT_TRUE(t != NULL);
    char fname[64];
    snprintf(fname, sizeof fname, "rt-%s.gguf", name);
    test_tmp_path(p, sizeof p, fname);
    ASSERT_EQ(write_tok_gguf(t, p, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_open(p, &g, &err), TEAI_OK);
    ASSERT_EQ(teai__tokenizer_from_gguf(g, &u, &err), TEAI_OK);
    teai_gguf_close(g);
    remove(p);
    vocab_path(p, sizeof p, name);
    ASSERT_EQ(vectors_read(p, &v), 0);
    int ok = run_vectors(u, &v, name);
    int n = v.n;
    vectors_free(&v);
    ASSERT_EQ(teai_tokenizer_n_vocab(u), teai_tokenizer_n_vocab(t));
    ASSERT_EQ(teai__tokenizer_n_merges(u), teai__tokenizer_n_merges(t));
    teai__tokenizer_free(t);
    teai__tokenizer_free(u);
    ASSERT_EQ(ok, n);
}

static void test_gguf_roundtrip(void) {
    check_gguf_roundtrip("llama-bpe");
    check_gguf_roundtrip("llama-spm");
}

static uint64_t rng_state = 0x1234567887654321ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void test_byte_vocab(void) {
    teai_error err = {0};
    teai_tokenizer *t = NULL;
    ASSERT_EQ(teai__tokenizer_new_bytes(299, &t, &err), TEAI_EINVAL);
    ASSERT_TRUE(t == NULL);
    ASSERT_TRUE(strstr(err.msg, "n_vocab") != NULL);
    for (int nv = 300; nv <= 5000; nv += 4700) {
        ASSERT_EQ(teai__tokenizer_new_bytes(nv, &t, &err), TEAI_OK);
        ASSERT_EQ(teai_tokenizer_n_vocab(t), nv);
        ASSERT_STREQ(teai__tokenizer_token_text(t, nv - 1) ? "x" : NULL, "x");
        ASSERT_TRUE(teai__tokenizer_token_text(t, nv) == NULL);
        int32_t bos = teai_tokenizer_bos(t);
        ASSERT_STREQ(teai__tokenizer_token_text(t, bos), "<|begin_of_text|>");
        ASSERT_STREQ(teai__tokenizer_token_text(t, teai_tokenizer_eos(t)), "<|end_of_text|>");
        /* random bytes, invalid UTF-8 included, round-trip */
        for (int iter = 0; iter < 200; iter++) {
            char s[256];
            size_t n = rnd() % sizeof s;
            for (size_t i = 0; i < n; i++)
                s[i] = iter < 100 ? (char)rnd() : "the in re t\n"[rnd() % 12];
            int nid = 0;
            int32_t *ids = tokenize(t, s, n, 1, 0, &nid);
            ASSERT_TRUE(ids != NULL);
            ASSERT_EQ(ids[0], bos);
            for (int i = 0; i < nid; i++) ASSERT_TRUE(ids[i] >= 0 && ids[i] < nv);
            teai_buf b;
            teai_buf_init(&b, 0);
            ASSERT_EQ(teai__tokenizer_decode(t, ids, nid, 0, &b), TEAI_OK);
            ASSERT_EQ(b.len, n);
            ASSERT_TRUE(n == 0 || memcmp(b.data, s, n) == 0);
            teai_buf_free(&b);
            free(ids);
        }
        /* merges apply: " the" is one token */
        int nid = 0;
        int32_t *ids = tokenize(t, " the", 4, 0, 0, &nid);
        ASSERT_EQ(nid, 1);
        ASSERT_STREQ(teai__tokenizer_token_text(t, ids[0]), "\xc4\xa0the");
        free(ids);
        /* special tokens parse */
        ids = tokenize(t, "<|eot_id|>", 10, 0, 1, &nid);
        ASSERT_EQ(nid, 1);
        ASSERT_TRUE(teai_tokenizer_is_eog(t, ids[0]));
        free(ids);
        /* written to GGUF, read back the same */
        char p[4200];
        teai_gguf *g = NULL;
        teai_tokenizer *u = NULL;
        test_tmp_path(p, sizeof p, "bytes.gguf");
        ASSERT_EQ(write_tok_gguf(t, p, &err), TEAI_OK);
        ASSERT_EQ(teai_gguf_open(p, &g, &err), TEAI_OK);
        ASSERT_EQ(teai__tokenizer_from_gguf(g, &u, &err), TEAI_OK);
        teai_gguf_close(g);
        remove(p);
        ASSERT_EQ(teai_tokenizer_n_vocab(u), nv);
        ASSERT_STREQ(teai_tokenizer_pre(u), "llama-bpe");
        teai__tokenizer_free(u);
        teai__tokenizer_free(t);
        t = NULL;
    }
}

/* A GGUF with the tokenizer keys of `base` and one change. */
typedef void (*mutator)(teai_gguf_writer *w);

static int load_mutated(mutator m, teai_error *err) {
    teai_tokenizer *t = NULL, *u = NULL;
    teai_gguf *g = NULL;
    char p[4200];
    int rc = teai__tokenizer_new_bytes(300, &t, err);
    if (rc) return rc;
    teai_gguf_writer *w = teai_gguf_writer_new();
    teai__tokenizer_write_gguf(t, w);
    m(w);
    test_tmp_path(p, sizeof p, "bad.gguf");
    rc = teai_gguf_writer_begin(w, p, err);
    if (!rc) rc = teai_gguf_writer_finish(w, err);
    teai_gguf_writer_free(w);
    teai__tokenizer_free(t);
    if (rc) return 1000;
    rc = teai_gguf_open(p, &g, err);
    if (rc) return 1001;
    rc = teai__tokenizer_from_gguf(g, &u, err);
    teai_gguf_close(g);
    remove(p);
    teai__tokenizer_free(u);
    return rc;
}

static void m_model(teai_gguf_writer *w) {
    teai_gguf_writer_set_str(w, "tokenizer.ggml.model", "bert");
}
static void m_model_type(teai_gguf_writer *w) {
    teai_gguf_writer_set_u32(w, "tokenizer.ggml.model", 3);
}
static void m_tokens_type(teai_gguf_writer *w) {
    uint32_t x[4] = {1, 2, 3, 4};
    teai_gguf_writer_set_arr(w, "tokenizer.ggml.tokens", TEAI_GGUF_UINT32, x, 4);
}
static void m_types_short(teai_gguf_writer *w) {
    int32_t x[4] = {1, 1, 1, 1};
    teai_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", TEAI_GGUF_INT32, x, 4);
}
static void m_types_bad(teai_gguf_writer *w) {
    int32_t x[300];
    for (int i = 0; i < 300; i++) x[i] = i == 7 ? 42 : 1;
    teai_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", TEAI_GGUF_INT32, x, 300);
}
static void m_merge_unknown(teai_gguf_writer *w) {
    teai_gguf_str s[2] = {{"h e", 3}, {"zz q", 4}};
    teai_gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", s, 2);
}
static void m_merge_nospace(teai_gguf_writer *w) {
    teai_gguf_str s[1] = {{"he", 2}};
    teai_gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", s, 1);
}
static void m_bos_range(teai_gguf_writer *w) {
    teai_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 300);
}
static void m_pre(teai_gguf_writer *w) {
    teai_gguf_writer_set_str(w, "tokenizer.ggml.pre", "deepseek-coder");
}
static void m_scores(teai_gguf_writer *w) {
    teai_gguf_writer_set_str(w, "tokenizer.ggml.scores", "x");
}

static void test_bad_gguf(void) {
    static const struct {
        mutator m;
        int status;
        const char *needle;
    } cases[] = {
        {m_model, TEAI_EUNSUPPORTED, "tokenizer.ggml.model"},
        {m_model_type, TEAI_EFORMAT, "tokenizer.ggml.model"},
        {m_tokens_type, TEAI_EFORMAT, "tokenizer.ggml.tokens"},
        {m_types_short, TEAI_EFORMAT, "tokenizer.ggml.token_type"},
        {m_types_bad, TEAI_EFORMAT, "tokenizer.ggml.token_type[7]"},
        {m_merge_unknown, TEAI_EFORMAT, "tokenizer.ggml.merges[1]"},
        {m_merge_nospace, TEAI_EFORMAT, "tokenizer.ggml.merges[0]"},
        {m_bos_range, TEAI_EFORMAT, "tokenizer.ggml.bos_token_id"},
        {m_pre, TEAI_EUNSUPPORTED, "tokenizer.ggml.pre"},
        {m_scores, TEAI_EFORMAT, "tokenizer.ggml.scores"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai_error err = {0};
        int rc = load_mutated(cases[i].m, &err);
        if (rc != cases[i].status || !strstr(err.msg, cases[i].needle) || strchr(err.msg, '\n'))
            fprintf(stderr, "case %zu: rc %d, message '%s'\n", i, rc, err.msg);
        ASSERT_EQ(rc, cases[i].status);
        ASSERT_TRUE(strstr(err.msg, cases[i].needle) != NULL);
        ASSERT_TRUE(strchr(err.msg, '\n') == NULL);
    }
}

static void test_bad_json(void) {
#if !TEAI_HAVE_CJSON
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai__tokenizer_from_hf_mem("{}", 2, NULL, 0, "x", &t, &err), TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "cJSON") != NULL);
#else
    static const struct {
        const char *json;
        int status;
        const char *needle;
    } cases[] = {
        {"{", TEAI_EFORMAT, "invalid JSON"},
        {"[]", TEAI_EFORMAT, "object"},
        {"{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", TEAI_EUNSUPPORTED, "model.type"},
        {"{\"model\":{\"type\":\"BPE\"}}", TEAI_EFORMAT, "model.vocab"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":5},\"merges\":[]},"
         "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
         TEAI_EFORMAT, "model.vocab"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":\"x\"},\"merges\":[]},"
         "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
         TEAI_EFORMAT, "model.vocab"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a c\"]},"
         "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
         TEAI_EFORMAT, "model.merges[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a b\"]},"
         "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
         TEAI_EFORMAT, "model.merges[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[7]},"
         "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
         TEAI_EFORMAT, "model.merges[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":"
         "\"Whitespace\"}}",
         TEAI_EUNSUPPORTED, "pre_tokenizer"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":\"Split\","
         "\"pattern\":{\"Regex\":\"\\\\d+\"}}}",
         TEAI_EUNSUPPORTED, "Split pattern"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", TEAI_EUNSUPPORTED, "neither"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"byte_fallback\":true},"
         "\"added_tokens\":[{\"id\":-3,\"content\":\"x\"}]}",
         TEAI_EFORMAT, "added_tokens[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"byte_fallback\":true,\"unk_token\":"
         "\"<unk>\"}}",
         TEAI_EFORMAT, "unk_token"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai_tokenizer *t = NULL;
        teai_error err = {0};
        int rc = teai__tokenizer_from_hf_mem(cases[i].json, strlen(cases[i].json), NULL, 0,
                                             "tokenizer.json", &t, &err);
        if (rc != cases[i].status || !strstr(err.msg, cases[i].needle))
            fprintf(stderr, "json case %zu: rc %d, message '%s'\n", i, rc, err.msg);
        ASSERT_EQ(rc, cases[i].status);
        ASSERT_TRUE(t == NULL);
        ASSERT_TRUE(strstr(err.msg, cases[i].needle) != NULL);
    }
    /* A minimal valid SentencePiece-style file with a config. */
    const char *json =
        "{\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"unk_token\":\"<unk>\","
        "\"vocab\":{\"<unk>\":0,\"<s>\":1,\"</s>\":2,\"\\u2581\":3,\"a\":4,\"b\":5,\"\\u2581a\":6,"
        "\"ab\":7,\"\\u2581ab\":8},\"merges\":[\"\\u2581 a\",\"a b\",\"\\u2581a b\"]},"
        "\"added_tokens\":[{\"id\":1,\"content\":\"<s>\",\"special\":true},"
        "{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
        "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":"
        "\"\\u2581\"},{\"type\":\"Replace\",\"pattern\":{\"String\":\" "
        "\"},\"content\":\"\\u2581\"}]}}";
    const char *cfg = "{\"add_bos_token\":true,\"bos_token\":{\"content\":\"<s>\"},\"eos_token\":"
                      "\"</s>\",\"chat_template\":[{\"name\":\"tool\",\"template\":\"T\"},"
                      "{\"name\":\"default\",\"template\":\"D\"}]}";
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    int rc = teai__tokenizer_from_hf_mem(json, strlen(json), cfg, strlen(cfg), "mini", &t, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_STREQ(teai__tokenizer_chat_template(t), "D");
    int n = 0;
    int32_t *ids = tokenize(t, "ab ab b", 7, 1, 0, &n);
    ASSERT_EQ(n, 5); /* <s> ▁ab ▁ab ▁ b */
    ASSERT_EQ(ids[0], 1);
    ASSERT_EQ(ids[1], 8);
    ASSERT_EQ(ids[2], 8);
    ASSERT_EQ(ids[3], 3);
    ASSERT_EQ(ids[4], 5);
    free(ids);
    ids = tokenize(t, "c", 1, 0, 0, &n); /* no <0x63>: unknown */
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ids[1], 0);
    free(ids);
    teai__tokenizer_free(t);
#endif
}

/* Long inputs stay fast (no quadratic blow-up). */
static void test_long_input(void) {
    teai_tokenizer *t = load_vocab("llama-bpe", NULL);
    ASSERT_TRUE(t != NULL);
    size_t n = 1 << 20;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = "The quick brown fox jumps over the lazy dog. 1234\n"[i % 50];
    /* and one long word without spaces or merges that end early */
    memset(s + n / 2, 'a', 100000);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int cnt = 0;
    int32_t *ids = tokenize(t, s, n, 0, 1, &cnt);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    printf("  1 MiB tokenized into %d tokens in %.0f ms\n", cnt, ms);
    ASSERT_TRUE(ids != NULL);
    ASSERT_TRUE(ms < 20000);
    free(ids);
    free(s);
    teai__tokenizer_free(t);
}

/* Without arguments the tests that need nothing; with --llama-vectors (the
 * ctest test test_tokenizer_vectors) those on llama.cpp's vocabularies and
 * test vectors, SKIP (77) naming them when they are not provisioned. */
int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--llama-vectors") != 0) {
        RUN_TEST(test_byte_vocab);
        RUN_TEST(test_bad_gguf);
        RUN_TEST(test_bad_json);
        TEST_MAIN_END();
    }
    if (!test_llama_src_dir())
        test_skip_llama("llama.cpp sources with models/ggml-vocab-*.gguf not found (set "
                        "TEAI_LLAMA_SRC or run scripts/provision-llama.sh)");
    RUN_TEST(test_vectors_llama_bpe);
    RUN_TEST(test_vectors_llama_spm);
    RUN_TEST(test_vectors_qwen2);
    RUN_TEST(test_vectors_gpt2);
    RUN_TEST(test_vectors_phi3);
    RUN_TEST(test_decode_llama_bpe);
    RUN_TEST(test_decode_llama_spm);
    RUN_TEST(test_special_and_bos);
    RUN_TEST(test_hf_roundtrip_llama_bpe);
    RUN_TEST(test_hf_roundtrip_llama_spm);
    RUN_TEST(test_hf_roundtrip_qwen2);
    RUN_TEST(test_gguf_roundtrip);
    RUN_TEST(test_long_input);
    TEST_MAIN_END();
}
