/* Byte-level BPE training (teai_tokenizer_train): merges learned on tiny
 * corpora worked out by hand, determinism, the round trip of any bytes,
 * save / load of the vocabulary GGUF, compression on English, speed, and bad
 * input. */
#include "gguf.h"
#include "test_util.h"
#include "tokenizer.h"
#include "tokenizer_impl.h"
#include "util.h"

#include <stdint.h>
#include <time.h>

static int light(void) {
    const char *e = getenv("TEAI_TEST_LIGHT");
    return e && e[0] && strcmp(e, "0") != 0;
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)g_rng;
}

/* Pseudo-English: words of one to three syllables (tens of thousands of
 * them), common ones far more often (a skewed draw), in sentences with
 * capitals, commas, numbers and newlines. Returns a malloc'd text of about
 * `bytes` bytes (*len exactly). */
static char *english(size_t bytes, size_t *len) {
    static const char *const syl[] = {
        "the",  "and",  "of",   "to",   "in",  "that", "he",  "shall", "un", "for",  "i",   "his",
        "a",    "lord", "they", "be",   "is",  "him",  "not", "them",  "it", "with", "all", "thou",
        "ing",  "ed",   "er",   "tion", "ly",  "re",   "con", "pro",   "ex", "com",  "de",  "ble",
        "ment", "ness", "ous",  "ful",  "per", "ter",  "ver", "an",    "en", "on",   "or",  "ar",
    };
    size_t ns = sizeof syl / sizeof *syl, cap = bytes + 64, n = 0;
    char *s = malloc(cap);
    int start = 1;
    while (n + 40 < bytes) {
        if (!start) s[n++] = ' ';
        size_t w0 = n;
        int k = 1 + (int)(rnd() % 3);
        if (rnd() % 2) k = 1; /* short words are common */
        for (int j = 0; j < k; j++) {
            /* skew: the min of two uniform draws favors the first syllables */
            size_t a = rnd() % ns, b = rnd() % ns;
            const char *sy = syl[a < b ? a : b];
            size_t l = strlen(sy);
            memcpy(s + n, sy, l);
            n += l;
        }
        if (start && s[w0] >= 'a' && s[w0] <= 'z') s[w0] -= 32;
        start = 0;
        uint32_t r = rnd() % 100;
        if (r < 6) {
            s[n++] = ',';
        } else if (r < 8) {
            n += (size_t)snprintf(s + n, cap - n, " %u", rnd() % 2000);
        } else if (r < 12) {
            s[n++] = rnd() % 3 ? '.' : ';';
            if (rnd() % 3 == 0) {
                s[n++] = '\n';
                start = 1;
            }
        }
    }
    s[n] = '\0';
    *len = n;
    return s;
}

static teai_tokenizer *train1(const char *text, int n_vocab) {
    teai_tokenizer_train_params p = teai_tokenizer_train_default_params();
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    size_t len = strlen(text);
    p.n_vocab = n_vocab;
    int rc = teai_tokenizer_train(&text, &len, 1, &p, &t, &err);
    if (rc) fprintf(stderr, "train: %s\n", err.msg);
    return t;
}

/* ids of text (no BOS); *n set; malloc'd. */
static int32_t *tokenize(const teai_tokenizer *t, const char *s, size_t len, int *n) {
    int cap = (int)len + 8;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    if (teai_tokenize(t, s, len, 0, 0, ids, cap, n) != TEAI_OK) {
        free(ids);
        return NULL;
    }
    return ids;
}

/* decode(tokenize(s)) == s, and with BOS the first id is BOS. */
static int round_trips(const teai_tokenizer *t, const char *s, size_t len) {
    int n = 0;
    int32_t *ids = tokenize(t, s, len, &n);
    if (!ids) return 0;
    char *out = malloc(len + 1);
    size_t o = 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        char piece[512];
        int m = teai_token_to_piece(t, ids[i], 0, piece, sizeof piece);
        if (m < 0 || o + (size_t)m > len) {
            ok = 0;
            break;
        }
        memcpy(out + o, piece, (size_t)m);
        o += (size_t)m;
    }
    ok = ok && o == len && memcmp(out, s, len) == 0;
    free(out);
    free(ids);
    return ok;
}

/* Whether two tokenizers have the same tokens, types, merges and specials. */
static int same_vocab(const teai_tokenizer *a, const teai_tokenizer *b) {
    int n = teai_tokenizer_n_vocab(a);
    if (n != teai_tokenizer_n_vocab(b) ||
        teai__tokenizer_n_merges(a) != teai__tokenizer_n_merges(b))
        return 0;
    if (teai_tokenizer_bos(a) != teai_tokenizer_bos(b) ||
        teai_tokenizer_eos(a) != teai_tokenizer_eos(b) ||
        teai__tokenizer_adds_bos(a) != teai__tokenizer_adds_bos(b))
        return 0;
    if (strcmp(teai_tokenizer_model(a), teai_tokenizer_model(b)) != 0 ||
        strcmp(teai_tokenizer_pre(a), teai_tokenizer_pre(b)) != 0)
        return 0;
    for (int32_t i = 0; i < n; i++)
        if (strcmp(teai__tokenizer_token_text(a, i), teai__tokenizer_token_text(b, i)) != 0 ||
            teai__tokenizer_token_type(a, i) != teai__tokenizer_token_type(b, i))
            return 0;
    return 1;
}

/* ---- tests ------------------------------------------------------------- */

/* One word "aaabdaaabac": pairs aa 4, ab 2, bd da ba ac 1. Merge aa
 * ("aaab" -> aa a b) gives Za 2, ab 2: the tie goes to (a, b) (97 < 256);
 * then (aa, ab) 2; then all pairs are 1 and (a, c) has the smallest ids. */
static void test_tiny_merges(void) {
    teai_tokenizer *t = train1("aaabdaaabac", 262);
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(teai_tokenizer_n_vocab(t), 262);
    ASSERT_EQ(teai__tokenizer_n_merges(t), 4);
    ASSERT_STREQ(teai__tokenizer_token_text(t, 256), "aa");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 257), "ab");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 258), "aaab");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 259), "ac");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 260), "<|begin_of_text|>");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 261), "<|end_of_text|>");
    ASSERT_EQ(teai__tokenizer_token_type(t, 97), 1);
    ASSERT_EQ(teai__tokenizer_token_type(t, 258), 1);
    ASSERT_EQ(teai__tokenizer_token_type(t, 260), 3);
    ASSERT_EQ(teai__tokenizer_token_type(t, 261), 3);
    ASSERT_EQ(teai_tokenizer_bos(t), 260);
    ASSERT_EQ(teai_tokenizer_eos(t), 261);
    ASSERT_STREQ(teai_tokenizer_model(t), "gpt2");
    ASSERT_STREQ(teai_tokenizer_pre(t), "llama-bpe");
    /* byte tokens in the GPT-2 alphabet: space is "Ġ", newline "Ċ" */
    ASSERT_STREQ(teai__tokenizer_token_text(t, ' '), "\xc4\xa0");
    ASSERT_STREQ(teai__tokenizer_token_text(t, '\n'), "\xc4\x8a");

    /* add_bos: BOS first; the word is now 3 tokens */
    int32_t ids[16];
    int n = 0;
    ASSERT_EQ(teai_tokenize(t, "aaabdaaabac", 11, 1, 0, ids, 16, &n), TEAI_OK);
    ASSERT_EQ(n, 5);
    ASSERT_EQ(ids[0], 260);
    ASSERT_EQ(ids[1], 258);
    ASSERT_EQ(ids[2], 'd');
    ASSERT_EQ(ids[3], 258);
    ASSERT_EQ(ids[4], 259);
    teai_tokenizer_free(t);
}

/* Word counts weigh pairs, spaces belong to the next word, and training
 * stops when no pair is left. Words: "ab" 1, " ab" 2, " cd" 2. Pairs: ab 3,
 * " a" 2, " c" 2, cd 2. ab first; then ties of 2: " c" (32, 99) < " ab"
 * (32, 256) < cd (99, 100); then " ab", then " cd" (257, 100). */
static void test_counts_and_ties(void) {
    teai_tokenizer *t = train1("ab ab ab cd cd", 300);
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(teai__tokenizer_n_merges(t), 4);
    ASSERT_EQ(teai_tokenizer_n_vocab(t), 262);
    ASSERT_STREQ(teai__tokenizer_token_text(t, 256), "ab");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 257), "\xc4\xa0"
                                                     "c");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 258), "\xc4\xa0"
                                                     "ab");
    ASSERT_STREQ(teai__tokenizer_token_text(t, 259), "\xc4\xa0"
                                                     "cd");
    ASSERT_EQ(teai_tokenizer_bos(t), 260);
    teai_tokenizer_free(t);

    /* n_vocab 258: bytes and the two control tokens only */
    t = train1("hello hello", 258);
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(teai_tokenizer_n_vocab(t), 258);
    ASSERT_EQ(teai__tokenizer_n_merges(t), 0);
    ASSERT_TRUE(round_trips(t, "hello world", 11));
    teai_tokenizer_free(t);
}

/* Several texts count as one corpus; the same texts give the same tokenizer. */
static void test_determinism(void) {
    size_t la = 0, lb = 0;
    char *a = english(light() ? 20000 : 200000, &la);
    char *b = english(20000, &lb);
    const char *texts[2] = {a, b};
    size_t lens[2] = {la, lb};
    teai_tokenizer_train_params p = teai_tokenizer_train_default_params();
    p.n_vocab = 1000;
    teai_tokenizer *t1 = NULL, *t2 = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_tokenizer_train(texts, lens, 2, &p, &t1, &err), TEAI_OK);
    ASSERT_EQ(teai_tokenizer_train(texts, lens, 2, &p, &t2, &err), TEAI_OK);
    ASSERT_EQ(teai_tokenizer_n_vocab(t1), 1000);
    ASSERT_TRUE(same_vocab(t1, t2));
    /* token texts are distinct */
    for (int32_t i = 256; i < 1000; i++)
        for (int32_t j = 0; j < i; j++)
            if (strcmp(teai__tokenizer_token_text(t1, i), teai__tokenizer_token_text(t1, j)) == 0) {
                TEST_FAIL_AT("tokens %d and %d are both '%s'", (int)j, (int)i,
                             teai__tokenizer_token_text(t1, i));
                goto done;
            }
done:
    teai_tokenizer_free(t1);
    teai_tokenizer_free(t2);
    free(a);
    free(b);
}

/* Any bytes round-trip: seen and unseen text, UTF-8 of all lengths, control
 * characters, invalid UTF-8. */
static void test_round_trip(void) {
    size_t len = 0;
    char *corpus = english(50000, &len);
    teai_tokenizer *t = train1(corpus, 700);
    ASSERT_TRUE(t != NULL);
    static const char *const texts[] = {
        "In the beginning God created the heaven and the earth.",
        "Zebras quizzically jumped over 12345 lazy dogs!!! ... ",
        "  leading and trailing spaces   ",
        "tabs\tand\nnewlines\r\n\n\nand more",
        "caf\xc3\xa9 na\xc3\xafve \xc3\x84rger Stra\xc3\x9f"
        "e",
        "\xe4\xb8\xad\xe6\x96\x87\xe6\xb5\x8b\xe8\xaf\x95 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
        "\xd1\x82",
        "emoji \xf0\x9f\x91\x8d\xf0\x9f\xa6\x99 and ZWJ \xe2\x80\x8d",
        "<|begin_of_text|> is text here",
        "it's they'll we'VE I'm",
        "\x01\x02\x7f control",
        "bad \xff\xfe utf-8 \xc3",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (!round_trips(t, texts[i], strlen(texts[i])))
            TEST_FAIL_AT("'%s' does not round-trip", texts[i]);
    /* random bytes */
    for (int k = 0; k < 200; k++) {
        char s[300];
        size_t n = 1 + rnd() % 299;
        for (size_t i = 0; i < n; i++) s[i] = (char)(rnd() % 4 ? 32 + rnd() % 95 : rnd() % 256);
        if (!round_trips(t, s, n)) {
            TEST_FAIL_AT("random bytes %d do not round-trip", k);
            break;
        }
    }
    /* the corpus itself */
    ASSERT_TRUE(round_trips(t, corpus, len));
    teai_tokenizer_free(t);
    free(corpus);
}

/* Random words over a two-letter alphabet: many merges, whose texts may be
 * reached by two routes; still a consistent tokenizer. */
static void test_small_alphabet(void) {
    char s[20000];
    size_t n = 0;
    while (n + 20 < sizeof s) {
        size_t l = 1 + rnd() % 12;
        for (size_t i = 0; i < l; i++) s[n++] = rnd() % 3 ? 'a' : 'b';
        s[n++] = rnd() % 5 ? ' ' : '\n';
    }
    s[n] = '\0';
    teai_tokenizer *t = train1(s, 600);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(teai_tokenizer_n_vocab(t) > 300);
    ASSERT_TRUE(teai__tokenizer_n_merges(t) >= teai_tokenizer_n_vocab(t) - 258);
    ASSERT_TRUE(round_trips(t, s, n));
    teai_tokenizer_free(t);
}

/* Training splits long texts after a newline followed by printable ASCII
 * other than a space: the Llama 3 pre-tokenizer must give the same words
 * for the whole text as for its pieces cut there. */
typedef struct spans {
    size_t *v;
    size_t n, cap;
} spans;

static int collect(void *ctx, size_t start, size_t end) {
    spans *sp = ctx;
    if (sp->n + 2 > sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 256;
        sp->v = realloc(sp->v, sp->cap * sizeof *sp->v);
    }
    sp->v[sp->n++] = start;
    sp->v[sp->n++] = end;
    return 0;
}

static void test_cut_points(void) {
    static const char *const pieces[] = {
        "\n",
        "\n",
        "\r\n",
        "\r",
        " ",
        "  ",
        "\t",
        "a",
        "Bc",
        "word",
        "7",
        "123456",
        "!",
        "...",
        "'s",
        "'",
        "\"",
        "(",
        "\xc2\xa0",
        "\xe3\x80\x80",
        "\xe2\x80\xa8",
        "\xc3\xa9",
        "\xe4\xb8\xad",
        "\xf0\x9f\x91\x8d",
        "_",
        "-",
        "\x0b",
        "\x0c",
    };
    size_t np = sizeof pieces / sizeof *pieces;
    int bad = 0;
    for (int k = 0; k < 3000 && !bad; k++) {
        char s[400];
        size_t n = 0;
        while (n + 8 < sizeof s && rnd() % 40) {
            const char *p = pieces[rnd() % np];
            memcpy(s + n, p, strlen(p));
            n += strlen(p);
        }
        spans whole = {0}, parts = {0};
        teai__pretok_split(TEAI__PRE_LLAMA3, s, n, collect, &whole);
        size_t from = 0;
        for (size_t i = 1; i <= n; i++) {
            if (i < n && !(s[i - 1] == '\n' && s[i] > ' ' && s[i] < 0x7f)) continue;
            size_t before = parts.n;
            teai__pretok_split(TEAI__PRE_LLAMA3, s + from, i - from, collect, &parts);
            for (size_t q = before; q < parts.n; q++) parts.v[q] += from;
            from = i;
        }
        if (whole.n != parts.n ||
            (whole.n && memcmp(whole.v, parts.v, whole.n * sizeof *whole.v) != 0)) {
            TEST_FAIL_AT("text %d splits differently when cut after newlines", k);
            bad = 1;
        }
        free(whole.v);
        free(parts.v);
    }
}

/* save -> load gives the same vocabulary and the same ids. */
static void test_save_load(void) {
    size_t len = 0;
    char *corpus = english(60000, &len);
    teai_tokenizer *t = train1(corpus, 800);
    ASSERT_TRUE(t != NULL);
    char path[4200];
    test_tmp_path(path, sizeof path, "trained.gguf");
    teai_error err = {0};
    ASSERT_EQ(teai_tokenizer_save(t, path, &err), TEAI_OK);

    /* a vocabulary-only GGUF: llama architecture, no tensors */
    teai_gguf *g = NULL;
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    char buf[64];
    ASSERT_STREQ(teai_gguf_get_str(g, "general.architecture", buf, sizeof buf), "llama");
    /* general.name: the file name without folder and extension */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    ASSERT_TRUE(strncmp(teai_gguf_get_str(g, "general.name", buf, sizeof buf), base,
                        strlen(base) - 5) == 0);
    ASSERT_EQ(strlen(buf), strlen(base) - 5);
    ASSERT_STREQ(teai_gguf_get_str(g, "tokenizer.ggml.model", buf, sizeof buf), "gpt2");
    ASSERT_STREQ(teai_gguf_get_str(g, "tokenizer.ggml.pre", buf, sizeof buf), "llama-bpe");
    ASSERT_EQ(teai_gguf_n_tensors(g), 0);
    ASSERT_EQ(teai_gguf_get_int(g, "tokenizer.ggml.bos_token_id", -1), 798);
    ASSERT_EQ(teai_gguf_get_int(g, "tokenizer.ggml.eos_token_id", -1), 799);
    ASSERT_EQ(teai_gguf_get_int(g, "tokenizer.ggml.add_bos_token", -1), 1);
    const teai_gguf_kv *m = teai_gguf_get(g, "tokenizer.ggml.merges");
    ASSERT_TRUE(m != NULL);
    ASSERT_EQ(m->arr_n, (uint64_t)teai__tokenizer_n_merges(t));
    teai_gguf_close(g);

    teai_tokenizer *u = NULL;
    ASSERT_EQ(teai_tokenizer_load(path, &u, &err), TEAI_OK);
    ASSERT_TRUE(same_vocab(t, u));
    static const char *const texts[] = {
        "And God said, Let there be light: and there was light.",
        "numbers 1 22 333 4444 55555, punctuation ?!;: and \"quotes\"",
        "\n\n  spaced   out \t text \r\n",
        "\xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x91\x8d",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        int32_t a[512], b[512];
        int na = 0, nb = 0;
        size_t l = strlen(texts[i]);
        ASSERT_EQ(teai_tokenize(t, texts[i], l, 1, 0, a, 512, &na), TEAI_OK);
        ASSERT_EQ(teai_tokenize(u, texts[i], l, 1, 0, b, 512, &nb), TEAI_OK);
        ASSERT_EQ(na, nb);
        ASSERT_TRUE(memcmp(a, b, (size_t)na * sizeof *a) == 0);
        ASSERT_EQ(a[0], teai_tokenizer_bos(t));
    }
    int na = 0, nb = 0;
    int32_t *a = tokenize(t, corpus, len, &na), *b = tokenize(u, corpus, len, &nb);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(na, nb);
    ASSERT_TRUE(memcmp(a, b, (size_t)na * sizeof *a) == 0);
    free(a);
    free(b);

    /* a save that cannot be done fails with a message */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.gguf", path);
    memset(&err, 0, sizeof err);
    ASSERT_TRUE(teai_tokenizer_save(t, bad, &err) < 0);
    ASSERT_TRUE(err.msg[0] != '\0');
    teai_tokenizer_free(u);
    u = NULL;
    ASSERT_TRUE(teai_tokenizer_load(bad, &u, &err) < 0);
    ASSERT_TRUE(u == NULL);
    remove(path);
    teai_tokenizer_free(t);
    free(corpus);
}

/* Repeated English compresses well: a few bytes per token. */
static void test_compression(void) {
    size_t len = 0;
    char *base = english(3000, &len);
    size_t total = len * 4;
    char *corpus = malloc(total + 1);
    for (int k = 0; k < 4; k++) memcpy(corpus + (size_t)k * len, base, len);
    corpus[total] = '\0';
    teai_tokenizer *t = train1(corpus, 1024);
    ASSERT_TRUE(t != NULL);
    int n = 0;
    int32_t *ids = tokenize(t, corpus, total, &n);
    ASSERT_TRUE(ids != NULL);
    double tpb = (double)n / (double)total;
    printf("  repeated English: %d tokens for %zu bytes (%.3f tokens/byte)\n", n, total, tpb);
    ASSERT_TRUE(tpb < 0.3);
    /* unrelated English still compresses */
    free(ids);
    size_t l2 = 0;
    char *other = english(20000, &l2);
    ids = tokenize(t, other, l2, &n);
    ASSERT_TRUE(ids != NULL);
    tpb = (double)n / (double)l2;
    printf("  other text of the same words: %.3f tokens/byte\n", tpb);
    ASSERT_TRUE(tpb < 0.45);
    free(ids);
    free(other);
    teai_tokenizer_free(t);
    free(corpus);
    free(base);
}

/* 4096 tokens from ~4 MB of English in well under a minute (Release). */
static void test_speed(void) {
    if (light()) {
        printf("  (skipped under TEAI_TEST_LIGHT)\n");
        return;
    }
    size_t len = 0;
    char *corpus = english(4u << 20, &len);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    teai_tokenizer *t = train1(corpus, 4096);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ASSERT_TRUE(t != NULL);
    printf("  4096 tokens from %zu bytes in %.2f s (%d tokens)\n", len, s,
           teai_tokenizer_n_vocab(t));
    ASSERT_TRUE(s < 60);
    teai_tokenizer_free(t);
    free(corpus);
}

static void test_errors(void) {
    teai_tokenizer_train_params p = teai_tokenizer_train_default_params();
    ASSERT_EQ(p.n_vocab, 4096);
    teai_tokenizer *t = (teai_tokenizer *)&p; /* must be set to NULL on failure */
    teai_error err = {0};
    const char *text = "some text";
    size_t len = strlen(text);

    p.n_vocab = 257;
    ASSERT_EQ(teai_tokenizer_train(&text, &len, 1, &p, &t, &err), TEAI_EINVAL);
    ASSERT_TRUE(t == NULL);
    ASSERT_TRUE(strstr(err.msg, "n_vocab 257") != NULL);
    p.n_vocab = 1 << 30;
    memset(&err, 0, sizeof err);
    ASSERT_EQ(teai_tokenizer_train(&text, &len, 1, &p, &t, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "n_vocab") != NULL);

    p.n_vocab = 300;
    const char *empty[2] = {"", ""};
    size_t zero[2] = {0, 0};
    memset(&err, 0, sizeof err);
    ASSERT_EQ(teai_tokenizer_train(empty, zero, 2, &p, &t, &err), TEAI_EINVAL);
    ASSERT_TRUE(t == NULL);
    ASSERT_TRUE(strstr(err.msg, "no text") != NULL);
    memset(&err, 0, sizeof err);
    ASSERT_EQ(teai_tokenizer_train(NULL, NULL, 0, &p, &t, &err), TEAI_EINVAL);
    ASSERT_TRUE(err.msg[0] != '\0');
    ASSERT_EQ(teai_tokenizer_train(NULL, NULL, -1, &p, &t, &err), TEAI_EINVAL);

    /* NULL params: the defaults */
    ASSERT_EQ(teai_tokenizer_train(&text, &len, 1, NULL, &t, &err), TEAI_OK);
    ASSERT_TRUE(teai_tokenizer_n_vocab(t) < 300);
    teai_tokenizer_free(t);
    teai_tokenizer_free(NULL);

    /* load: missing file, a file that is not GGUF */
    char path[4200];
    test_tmp_path(path, sizeof path, "missing.gguf");
    t = NULL;
    memset(&err, 0, sizeof err);
    ASSERT_TRUE(teai_tokenizer_load(path, &t, &err) < 0);
    ASSERT_TRUE(t == NULL && err.msg[0] != '\0');
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fputs("not a gguf file at all, but long enough to have a header", f);
    fclose(f);
    ASSERT_TRUE(teai_tokenizer_load(path, &t, &err) < 0);
    remove(path);
}

int main(void) {
    RUN_TEST(test_tiny_merges);
    RUN_TEST(test_counts_and_ties);
    RUN_TEST(test_determinism);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_small_alphabet);
    RUN_TEST(test_cut_points);
    RUN_TEST(test_save_load);
    RUN_TEST(test_compression);
    RUN_TEST(test_speed);
    RUN_TEST(test_errors);
    TEST_MAIN_END();
}
