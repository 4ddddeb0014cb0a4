/* teai's tokenizers against llama.cpp's (libllama through llref) on random
 * text: llama.cpp's vocabulary files (Llama 3, Llama 2, Qwen2, GPT-2), the
 * same read back from tokenizer.json, and the synthetic byte-level
 * vocabulary written to GGUF (which must load in llama.cpp). Every mode:
 * with and without BOS, with and without special-token parsing; and every
 * token's piece. */
#include "gguf.h"
#include "llref.h"
#include "test_util.h"
#include "tokenizer.h"
#include "unicode.h"

#include <stdint.h>

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)g_rng;
}

/* Pieces of text that exercise the pre-tokenizers, SentencePiece spaces,
 * byte fallback and special tokens. */
static const char *const k_pieces[] = {
    "a",
    "b",
    "Z",
    "the",
    " ",
    "  ",
    "   ",
    "      ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    " \n",
    "'s",
    "'T",
    "'ll",
    "'RE",
    "'ve",
    "'",
    "\"",
    "1",
    "23",
    "4567",
    "12345678",
    "!",
    "?",
    ".",
    "...",
    ",",
    "-",
    "_",
    "(",
    ")",
    "<",
    ">",
    "|",
    "\xc3\xa9",
    "\xc3\x84",
    "\xc3\x9f",
    "\xe4\xb8\xad\xe6\x96\x87",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\xf0\x9f\x91\x8d",
    "\xf0\x9f\xa6\x99",
    "\xe2\x80\x8d",
    "\xcc\x81",
    "\xe2\x96\x81",
    "\xc2\xa0",
    "\xe3\x80\x80",
    "\xe2\x80\xa8",
    "\xef\xbb\xbf",
    "<s>",
    "</s>",
    "<unk>",
    "<|eot_id|>",
    "<|begin_of_text|>",
    "<|im_start|>",
    "<|endoftext|>",
    "<0x41>",
    "\xe2\x85\xab",
    "\xc2\xb2",
    "\x01",
    "\x7f",
    "`",
    "~",
    "$",
    "%",
    "^",
    "&",
    "*",
    "+",
    "=",
    "{",
    "}",
    "[",
    "]",
    "\\",
    "/",
    ":",
    ";",
    "@",
    "#",
    " Hello",
    " world",
    "ing",
    "tion",
    "ly",
    "un",
    "re",
    "  x",
    "x  ",
    "hello",
    "theatre",
    "antidisestablishment",
};

/* A random text of pieces and random code points; NUL-free. */
static size_t random_text(char *s, size_t cap) {
    size_t n = 0;
    int k = 1 + (int)(rnd() % 30);
    for (int j = 0; j < k; j++) {
        char cpb[8];
        const char *p = k_pieces[rnd() % (sizeof k_pieces / sizeof *k_pieces)];
        if (rnd() % 4 == 0) {
            uint32_t r = rnd() % 3;
            uint32_t cp = r == 0   ? 0x80 + rnd() % 0x780
                          : r == 1 ? 0x800 + rnd() % 0xF800
                                   : 0x10000 + rnd() % 0x100000;
            /* Code points teai's tables (Unicode 15.0) leave unassigned may be
             * letters in llama.cpp's newer ones: not compared. */
            if ((cp >= 0xD800 && cp < 0xE000) || (teai__uni_flags(cp) & TEAI__UNI_UNDEFINED))
                cp = 'q';
            int m = teai__utf8_encode(cp, cpb);
            cpb[m] = '\0';
            p = cpb;
        }
        size_t l = strlen(p);
        if (n + l + 1 >= cap) break;
        memcpy(s + n, p, l);
        n += l;
    }
    s[n] = '\0';
    return n;
}

/* Compares t with llama.cpp's tokenizer of the GGUF file at path on n_texts
 * random texts in all four modes, and every token's piece. Returns the
 * number of differences (printing the first few). */
static int compare(const teai_tokenizer *t, const char *path, int n_texts, const char *label) {
    llref *r = NULL;
    int rc = llref_open_vocab(path, &r);
    if (rc) {
        fprintf(stderr, "%s: llama.cpp cannot load %s: %s\n", label, path, llref_strerror(rc));
        return 1;
    }
    int bad = 0;
    int n_vocab = llref_n_vocab(r);
    if (n_vocab != teai_tokenizer_n_vocab(t)) {
        fprintf(stderr, "%s: n_vocab %d vs %d\n", label, teai_tokenizer_n_vocab(t), n_vocab);
        bad++;
    }
    for (int32_t id = 0; id < n_vocab && !bad; id++) {
        char a[512], b[512];
        int na = llref_token_to_piece(r, id, a, sizeof a);
        int nb = teai_token_to_piece(t, id, 1, b, sizeof b);
        if (na != nb || (na > 0 && memcmp(a, b, (size_t)na) != 0)) {
            fprintf(stderr, "%s: piece of %d: '%s' vs llama.cpp '%s'\n", label, (int)id,
                    nb >= 0 ? b : "", na >= 0 ? a : "");
            bad++;
        }
    }
    static int32_t want[8192], got[8192];
    for (int i = 0; i < n_texts; i++) {
        char s[2048];
        size_t n = random_text(s, sizeof s);
        for (int mode = 0; mode < 4; mode++) {
            int add = mode & 1, special = mode >> 1, ng = 0;
            int nw = llref_tokenize(r, s, add, special, want, 8192);
            int rt = teai_tokenize(t, s, n, add, special, got, 8192, &ng);
            if (rt != TEAI_OK || nw != ng || memcmp(want, got, (size_t)ng * 4) != 0) {
                if (bad++ < 3) {
                    fprintf(stderr, "%s: mode %d: '%s' tokenizes differently\n  llama.cpp:", label,
                            mode, s);
                    for (int q = 0; q < nw && q < 64; q++) fprintf(stderr, " %d", (int)want[q]);
                    fprintf(stderr, "\n  teai:     ");
                    for (int q = 0; q < ng && q < 64; q++) fprintf(stderr, " %d", (int)got[q]);
                    fprintf(stderr, "\n");
                }
            }
        }
    }
    llref_close(r);
    return bad;
}

static void check_vocab(const char *name) {
    char path[4200];
    teai_gguf *g = NULL;
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    snprintf(path, sizeof path, "%s/models/ggml-vocab-%s.gguf", test_llama_src_dir(), name);
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    ASSERT_EQ(teai__tokenizer_from_gguf(g, &t, &err), TEAI_OK);
    teai_gguf_close(g);
    int bad = compare(t, path, 3000, name);
#if TEAI_HAVE_CJSON
    /* The same vocabulary through tokenizer.json. */
    char dir[4200], label[64];
    teai_tokenizer *u = NULL;
    snprintf(label, sizeof label, "hf-%s", name);
    test_tmp_path(dir, sizeof dir, label);
    ASSERT_EQ(teai__tokenizer_write_hf(t, dir, NULL, &err), TEAI_OK);
    ASSERT_EQ(teai__tokenizer_from_hf(dir, &u, &err), TEAI_OK);
    bad += compare(u, path, 1000, label);
    teai__tokenizer_free(u);
    test_system("rm -rf '%s'", dir);
#endif
    teai__tokenizer_free(t);
    ASSERT_EQ(bad, 0);
}

static void test_llama_bpe(void) {
    check_vocab("llama-bpe");
}
static void test_llama_spm(void) {
    check_vocab("llama-spm");
}
static void test_qwen2(void) {
    check_vocab("qwen2");
}
static void test_gpt2(void) {
    check_vocab("gpt-2");
}

/* The byte-level vocabulary written to GGUF loads in llama.cpp and
 * tokenizes the same. */
static void test_byte_vocab(void) {
    char path[4200];
    teai_error err = {0};
    teai_tokenizer *t = NULL;
    ASSERT_EQ(teai__tokenizer_new_bytes(512, &t, &err), TEAI_OK);
    test_tmp_path(path, sizeof path, "bytes512.gguf");
    teai_gguf_writer *w = teai_gguf_writer_new();
    ASSERT_TRUE(w != NULL);
    int rc = teai_gguf_writer_set_str(w, "general.architecture", "llama");
    if (!rc) rc = teai__tokenizer_write_gguf(t, w);
    if (!rc) rc = teai_gguf_writer_begin(w, path, &err);
    if (!rc) rc = teai_gguf_writer_finish(w, &err);
    teai_gguf_writer_free(w);
    ASSERT_EQ(rc, TEAI_OK);
    int bad = compare(t, path, 1000, "bytes512");
    remove(path);
    teai__tokenizer_free(t);
    ASSERT_EQ(bad, 0);
}

int main(void) {
    if (!test_llama_src_dir())
        test_skip_llama(
            "llama.cpp sources with models/ggml-vocab-*.gguf not found (set TEAI_LLAMA_SRC "
            "or run scripts/provision-llama.sh)");
    if (llref_init() != 0) test_skip_llama("llama.cpp's CPU backend could not be loaded");
    RUN_TEST(test_llama_bpe);
    RUN_TEST(test_llama_spm);
    RUN_TEST(test_qwen2);
    RUN_TEST(test_gpt2);
    RUN_TEST(test_byte_vocab);
    TEST_MAIN_END();
}
