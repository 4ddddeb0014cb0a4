/* A tokenizer trained by teai (teai_tokenizer_train) and saved as a
 * vocabulary-only GGUF (teai_tokenizer_save) loads in llama.cpp (vocab_only),
 * and llama.cpp gives the same ids and the same pieces: on fixed texts
 * (English, numbers, punctuation, spaces and newlines, UTF-8) and on random
 * ones, with and without BOS. */
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

static int light(void) {
    const char *e = getenv("TEAI_TEST_LIGHT");
    return e && e[0] && strcmp(e, "0") != 0;
}

/* Training text: English-like sentences with numbers, punctuation, runs of
 * spaces and newlines, contractions and a little non-ASCII. */
static char *corpus(size_t bytes, size_t *len) {
    static const char *const w[] = {
        "the",
        "and",
        "of",
        "to",
        "in",
        "that",
        "shall",
        "unto",
        "for",
        "his",
        "a",
        "lord",
        "they",
        "be",
        "is",
        "him",
        "not",
        "them",
        "it",
        "with",
        "all",
        "thou",
        "thy",
        "was",
        "god",
        "which",
        "my",
        "me",
        "said",
        "but",
        "ye",
        "their",
        "have",
        "will",
        "thee",
        "from",
        "as",
        "are",
        "when",
        "this",
        "heaven",
        "earth",
        "light",
        "dark",
        "waters",
        "firmament",
        "evening",
        "morning",
        "it's",
        "they'll",
        "we've",
        "I'm",
        "caf\xc3\xa9",
        "na\xc3\xafve",
        "stra\xc3\x9f"
        "e",
        "\xe4\xb8\xad\xe6\x96\x87",
        "\xd0\xbc\xd0\xb8\xd1\x80",
        "(x)",
        "[1]",
        "--",
        "...",
    };
    size_t nw = sizeof w / sizeof *w, cap = bytes + 64, n = 0;
    char *s = malloc(cap);
    while (n + 40 < bytes) {
        size_t a = rnd() % nw, b = rnd() % nw;
        const char *word = w[a < b ? a : b];
        size_t l = strlen(word);
        memcpy(s + n, word, l);
        n += l;
        if (rnd() % 3 == 0) { /* compounds: thousands of distinct words */
            word = w[rnd() % nw];
            l = strlen(word);
            memcpy(s + n, word, l);
            n += l;
        }
        uint32_t r = rnd() % 100;
        if (r < 5) {
            n += (size_t)snprintf(s + n, cap - n, " %u", rnd() % 100000);
        } else if (r < 10) {
            s[n++] = ",.;:!?"[rnd() % 6];
        } else if (r < 13) {
            s[n++] = '\n';
        } else if (r < 14) {
            memcpy(s + n, "\n\n", 2);
            n += 2;
        } else if (r < 15) {
            memcpy(s + n, "   ", 3);
            n += 3;
        }
        s[n++] = ' ';
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* Same ids from teai and llama.cpp for text s, both BOS modes; and
 * llama.cpp's pieces of those ids are the text again. Returns 1 if equal. */
static int same(const teai_tokenizer *t, llref *r, const char *s, const char *label) {
    static int32_t want[8192], got[8192];
    size_t n = strlen(s);
    for (int add = 0; add < 2; add++) {
        int ng = 0;
        int nw = llref_tokenize(r, s, add, 0, want, 8192);
        int rt = teai_tokenize(t, s, n, add, 0, got, 8192, &ng);
        if (rt != TEAI_OK || nw != ng || memcmp(want, got, (size_t)ng * sizeof *got) != 0) {
            fprintf(stderr, "%s: add_bos %d: '%s' tokenizes differently\n  llama.cpp:", label, add,
                    s);
            for (int q = 0; q < nw && q < 64; q++) fprintf(stderr, " %d", (int)want[q]);
            fprintf(stderr, "\n  teai:     ");
            for (int q = 0; q < ng && q < 64; q++) fprintf(stderr, " %d", (int)got[q]);
            fprintf(stderr, "\n");
            return 0;
        }
        /* detokenize with llama.cpp: the text comes back (BOS renders as its text) */
        char *back = malloc(n + 64);
        size_t o = 0;
        int ok = 1;
        for (int q = add; q < nw && ok; q++) {
            char piece[512];
            int m = llref_token_to_piece(r, want[q], piece, sizeof piece);
            if (m < 0 || o + (size_t)m > n) {
                ok = 0;
                break;
            }
            memcpy(back + o, piece, (size_t)m);
            o += (size_t)m;
        }
        ok = ok && o == n && memcmp(back, s, n) == 0;
        free(back);
        if (!ok) {
            fprintf(stderr, "%s: '%s' does not come back from llama.cpp's pieces\n", label, s);
            return 0;
        }
    }
    return 1;
}

static void test_trained_vocab_in_llama(void) {
    size_t len = 0;
    char *text = corpus(light() ? 100000 : 1000000, &len);
    const char *texts[1] = {text};
    teai_tokenizer_train_params p = teai_tokenizer_train_default_params();
    p.n_vocab = 2048;
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_tokenizer_train(texts, &len, 1, &p, &t, &err), TEAI_OK);
    ASSERT_EQ(teai_tokenizer_n_vocab(t), 2048);
    char path[4200];
    test_tmp_path(path, sizeof path, "trained2048.gguf");
    ASSERT_EQ(teai_tokenizer_save(t, path, &err), TEAI_OK);

    llref *r = NULL;
    int rc = llref_open_vocab(path, &r);
    if (rc) {
        TEST_FAIL_AT("llama.cpp cannot load %s: %s", path, llref_strerror(rc));
        teai_tokenizer_free(t);
        free(text);
        return;
    }
    int bad = 0;
    if (llref_n_vocab(r) != 2048) {
        TEST_FAIL_AT("llama.cpp sees %d tokens", llref_n_vocab(r));
        bad++;
    }
    /* every token's piece (control tokens rendered) */
    for (int32_t id = 0; id < 2048 && !bad; id++) {
        char a[512], b[512];
        int na = llref_token_to_piece(r, id, a, sizeof a);
        int nb = teai_token_to_piece(t, id, 1, b, sizeof b);
        if (na != nb || (na > 0 && memcmp(a, b, (size_t)na) != 0)) {
            TEST_FAIL_AT("piece of %d: '%s' vs llama.cpp '%s'", (int)id, nb >= 0 ? b : "",
                         na >= 0 ? a : "");
            bad++;
        }
    }
    static const char *const fixed[] = {
        "In the beginning God created the heaven and the earth.",
        "And God said, Let there be light: and there was light.",
        "Numbers: 1 12 123 1234 12345 3.14159 -42 +7 1,000,000 2024-06-01",
        "Punctuation!? (parentheses) [brackets] {braces} \"quotes\" 'single' ... --- ;:",
        "   leading spaces, trailing spaces   ",
        "line one\nline two\n\nline four\r\nwindows\ttab\t\tdouble tab\n",
        "\n\n\n   \n \n",
        "it's they'll we've I'm YOU'RE he'D",
        "caf\xc3\xa9 na\xc3\xafve stra\xc3\x9f"
        "e \xc3\x84rger",
        "\xe4\xb8\xad\xe6\x96\x87\xe6\xb5\x8b\xe8\xaf\x95, \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
        "\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80",
        "emoji \xf0\x9f\x91\x8d\xf0\x9f\xa6\x99 ZWJ \xe2\x80\x8d and \xe2\x85\xab \xc2\xb2",
        "words never seen: quixotic zephyr jinx vex",
        "a",
        " ",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed && bad < 3; i++)
        if (!same(t, r, fixed[i], "fixed")) bad++;
    /* random slices of the corpus and random code points */
    int n_random = light() ? 200 : 2000;
    for (int k = 0; k < n_random && bad < 3; k++) {
        char s[1024];
        size_t n = 0;
        if (k % 2 == 0) {
            size_t at = rnd() % (len - 600), l = 1 + rnd() % 500;
            /* whole UTF-8 characters only */
            while ((text[at] & 0xc0) == 0x80) at++;
            while ((text[at + l] & 0xc0) == 0x80) l++;
            memcpy(s, text + at, l);
            n = l;
        } else {
            int m = 1 + (int)(rnd() % 40);
            for (int j = 0; j < m && n + 8 < sizeof s; j++) {
                uint32_t q = rnd() % 8;
                uint32_t cp = q < 4   ? 32 + rnd() % 95
                              : q < 5 ? (uint32_t) "\n\t\r "[rnd() % 4]
                              : q < 6 ? 0x80 + rnd() % 0x780
                              : q < 7 ? 0x800 + rnd() % 0xF800
                                      : 0x10000 + rnd() % 0x100000;
                /* code points teai's tables (Unicode 15.0) leave unassigned may
                 * be letters in llama.cpp's newer ones: not compared */
                if ((cp >= 0xD800 && cp < 0xE000) || (teai__uni_flags(cp) & TEAI__UNI_UNDEFINED))
                    cp = 'q';
                n += (size_t)teai__utf8_encode(cp, s + n);
            }
        }
        s[n] = '\0';
        if (strlen(s) != n) continue; /* NUL inside: llref takes C strings */
        if (!same(t, r, s, "random")) bad++;
    }
    llref_close(r);
    remove(path);
    teai_tokenizer_free(t);
    free(text);
    ASSERT_EQ(bad, 0);
}

int main(void) {
    if (llref_init() != 0) test_skip_llama("llama.cpp's CPU backend could not be loaded");
    RUN_TEST(test_trained_vocab_in_llama);
    TEST_MAIN_END();
}
