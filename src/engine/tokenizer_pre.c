/* Pre-tokenizers: the split regexes of byte-level BPE vocabularies, as
 * hand-written matchers (ports of llama.cpp's unicode_regex_split_custom_*,
 * which match the regexes below on all inputs its tests cover).
 *
 * Llama 3:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Qwen2: the same with \p{N} (single digits).
 * GPT-2:
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * Matching works on code points; each keeps the byte offset where it starts,
 * so words are emitted as byte ranges of the input (invalid UTF-8 bytes match
 * as U+FFFD and stay as they are). */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

#define OUT_OF_RANGE 0xFFFFFFFFu

typedef struct cps {
    uint32_t *cp; /* [n] code points */
    uint16_t *fl; /* [n] teai__uni_flags */
    size_t *at;   /* [n + 1] byte offset of each code point; at[n] = text length */
    size_t n;
} cps;

/* Code point and flags at pos; out of range gives OUT_OF_RANGE and 0. */
static uint32_t cpt(const cps *c, size_t pos) {
    return pos < c->n ? c->cp[pos] : OUT_OF_RANGE;
}
static unsigned flg(const cps *c, size_t pos) {
    return pos < c->n ? c->fl[pos] : 0;
}

static int is_l(unsigned f) {
    return (f & TEAI__UNI_LETTER) != 0;
}
static int is_n(unsigned f) {
    return (f & TEAI__UNI_NUMBER) != 0;
}
static int is_s(unsigned f) {
    return (f & TEAI__UNI_WHITESPACE) != 0;
}
/* [^\s\p{L}\p{N}] within the text (flags 0 = past the end). */
static int is_other(unsigned f) {
    return f && !(f & (TEAI__UNI_WHITESPACE | TEAI__UNI_LETTER | TEAI__UNI_NUMBER));
}
static uint32_t ascii_lower(uint32_t c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

typedef struct emitter {
    const cps *c;
    size_t prev; /* code point where the next word starts */
    teai__pretok_emit emit;
    void *ctx;
    int rc;
} emitter;

/* Ends the current word at code point `end`; returns its length in code points. */
static size_t add(emitter *e, size_t end) {
    size_t n = end - e->prev;
    if (n > 0 && !e->rc) e->rc = e->emit(e->ctx, e->c->at[e->prev], e->c->at[end]);
    e->prev = end;
    return n;
}

/* The contractions 's 't 're 've 'm 'll 'd at pos; case-insensitive unless
 * `exact`. Returns the match length (0, 2 or 3). */
static size_t contraction(const cps *c, size_t pos, int exact) {
    if (cpt(c, pos) != '\'' || pos + 1 >= c->n) return 0;
    uint32_t a = cpt(c, pos + 1);
    if (!exact) a = ascii_lower(a);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= c->n) return 0;
    uint32_t b = cpt(c, pos + 2);
    if (!exact) b = ascii_lower(b);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* Llama 3 (max_digits 3) and Qwen2 (max_digits 1). */
static void split_llama3(emitter *e, size_t max_digits) {
    const cps *c = e->c;
    for (size_t pos = 0; pos < c->n && !e->rc;) {
        uint32_t cp = cpt(c, pos);
        unsigned f = flg(c, pos);

        /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
        size_t k = contraction(c, pos, 0);
        if (k) {
            pos += add(e, pos + k);
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(cp == '\r' || cp == '\n' || is_n(f))) {
            if (is_l(f) || is_l(flg(c, pos + 1))) {
                pos++;
                while (is_l(flg(c, pos))) pos++;
                add(e, pos);
                continue;
            }
        }
        /* \p{N}{1,3} or \p{N} */
        if (is_n(f)) {
            size_t ini = pos;
            while (is_n(flg(c, pos))) {
                if (++pos - ini >= max_digits) {
                    add(e, pos);
                    ini = pos;
                }
            }
            add(e, pos);
            continue;
        }
        /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
        unsigned f2 = cp == ' ' ? flg(c, pos + 1) : f;
        if (is_other(f2) && f) {
            pos += cp == ' ';
            while (is_other(f2)) f2 = flg(c, ++pos);
            uint32_t c2 = cpt(c, pos);
            while (c2 == '\r' || c2 == '\n') c2 = cpt(c, ++pos);
            add(e, pos);
            continue;
        }
        size_t n_ws = 0, last_rn_end = 0;
        while (is_s(flg(c, pos + n_ws))) {
            uint32_t c2 = cpt(c, pos + n_ws);
            if (c2 == '\r' || c2 == '\n') last_rn_end = pos + n_ws + 1;
            n_ws++;
        }
        /* \s*[\r\n]+ */
        if (last_rn_end > 0) {
            pos = last_rn_end;
            add(e, pos);
            continue;
        }
        /* \s+(?!\S) */
        if (n_ws > 1 && cpt(c, pos + n_ws) != OUT_OF_RANGE) {
            pos += n_ws - 1;
            add(e, pos);
            continue;
        }
        /* \s+ */
        if (n_ws > 0) {
            pos += n_ws;
            add(e, pos);
            continue;
        }
        add(e, ++pos); /* no match: a word of one code point */
    }
}

static void split_gpt2(emitter *e) {
    const cps *c = e->c;
    for (size_t pos = 0; pos < c->n && !e->rc;) {
        uint32_t cp = cpt(c, pos);
        unsigned f = flg(c, pos);

        /* 's|'t|'re|'ve|'m|'ll|'d */
        size_t k = contraction(c, pos, 1);
        if (k) {
            pos += add(e, pos + k);
            continue;
        }
        unsigned f2 = cp == ' ' ? flg(c, pos + 1) : f;
        /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+' */
        if (is_l(f2) || is_n(f2) || is_other(f2)) {
            int (*same)(unsigned) = is_l(f2) ? is_l : is_n(f2) ? is_n : is_other;
            pos += cp == ' ';
            while (same(f2)) f2 = flg(c, ++pos);
            add(e, pos);
            continue;
        }
        size_t n_ws = 0;
        while (is_s(flg(c, pos + n_ws))) n_ws++;
        /* \s+(?!\S) */
        if (n_ws > 1 && cpt(c, pos + n_ws) != OUT_OF_RANGE) {
            pos += n_ws - 1;
            add(e, pos);
            continue;
        }
        /* \s+ */
        if (n_ws > 0) {
            pos += n_ws;
            add(e, pos);
            continue;
        }
        add(e, ++pos);
    }
}

int teai__pretok_split(teai__pre_kind pre, const char *text, size_t len, teai__pretok_emit emit,
                       void *ctx) {
    if (len == 0) return TEAI_OK;
    if (pre == TEAI__PRE_DEFAULT) return emit(ctx, 0, len);
    cps c = {0};
    c.cp = malloc(len * sizeof *c.cp);
    c.fl = malloc(len * sizeof *c.fl);
    c.at = malloc((len + 1) * sizeof *c.at);
    if (!c.cp || !c.fl || !c.at) {
        free(c.cp);
        free(c.fl);
        free(c.at);
        return TEAI_ENOMEM;
    }
    const uint8_t *s = (const uint8_t *)text;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = teai__utf8_decode(s + i, len - i, &cp);
        c.cp[c.n] = cp;
        c.fl[c.n] = (uint16_t)teai__uni_flags(cp);
        c.at[c.n] = i;
        c.n++;
        i += (size_t)k;
    }
    c.at[c.n] = len;

    emitter e = {&c, 0, emit, ctx, TEAI_OK};
    if (pre == TEAI__PRE_GPT2)
        split_gpt2(&e);
    else
        split_llama3(&e, pre == TEAI__PRE_QWEN2 ? 1 : 3);
    free(c.cp);
    free(c.fl);
    free(c.at);
    return e.rc;
}

/* Split regexes as they appear in tokenizer.json (after JSON unescaping). */
static const char k_llama3[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                               "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
                               "\\s+(?!\\S)|\\s+";
static const char k_qwen2[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                              "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
                              "\\s+(?!\\S)|\\s+";
static const char k_gpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
                             "\\s+(?!\\S)|\\s+";
/* The case-insensitive group as llama.cpp rewrites it. */
static const char k_ci_orig[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
static const char k_ci_llama[] = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

const char *teai__pre_regex(teai__pre_kind pre) {
    switch (pre) {
        case TEAI__PRE_LLAMA3:
            return k_llama3;
        case TEAI__PRE_QWEN2:
            return k_qwen2;
        case TEAI__PRE_GPT2:
            return k_gpt2;
        default:
            return NULL;
    }
}

const char *teai__pre_name(teai__pre_kind pre) {
    switch (pre) {
        case TEAI__PRE_LLAMA3:
            return "llama-bpe";
        case TEAI__PRE_QWEN2:
            return "qwen2";
        case TEAI__PRE_GPT2:
            return "gpt-2";
        default:
            return "default";
    }
}

int teai__pre_from_regex(const char *regex) {
    const teai__pre_kind all[] = {TEAI__PRE_LLAMA3, TEAI__PRE_QWEN2, TEAI__PRE_GPT2};
    size_t n = strlen(regex);
    size_t no = sizeof k_ci_orig - 1, nl = sizeof k_ci_llama - 1;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const char *r = teai__pre_regex(all[i]);
        if (strcmp(regex, r) == 0) return (int)all[i];
        /* llama.cpp's spelling of the case-insensitive group */
        if (strncmp(r, k_ci_orig, no) == 0 && n > nl && strncmp(regex, k_ci_llama, nl) == 0 &&
            strcmp(regex + nl, r + no) == 0)
            return (int)all[i];
    }
    return -1;
}
