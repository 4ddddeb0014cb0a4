/* The vocabulary object: construction, text lookup, special-token splitting,
 * and the public tokenize / token-to-piece calls. The encoders are in
 * tokenizer_bpe.c and tokenizer_spm.c, the readers and writers in
 * tokenizer_gguf.c and tokenizer_json*.c, the synthetic vocabulary in
 * tokenizer_bytes.c. */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int teai__ids_push(teai__ids *ids, int32_t id) {
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 64;
        int32_t *v = realloc(ids->v, cap * sizeof *v);
        if (!v) return TEAI_ENOMEM;
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return TEAI_OK;
}

static uint64_t hash_bytes(const char *s, size_t n) {
    return teai__fnv1a(s, n);
}

static uint32_t pow2_at_least(uint64_t n) {
    uint64_t p = 16;
    while (p < n) p <<= 1;
    return (uint32_t)p;
}

int teai__tok_alloc(int32_t n_vocab, teai__tok_kind kind, teai_tokenizer **out) {
    *out = NULL;
    if (n_vocab <= 0 || n_vocab > TEAI__MAX_VOCAB) return TEAI_EINVAL;
    teai_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return TEAI_ENOMEM;
    t->kind = kind;
    t->n_vocab = n_vocab;
    t->off = calloc((size_t)n_vocab, sizeof *t->off);
    t->len = calloc((size_t)n_vocab, sizeof *t->len);
    t->score = calloc((size_t)n_vocab, sizeof *t->score);
    t->type = malloc((size_t)n_vocab);
    t->arena_cap = (size_t)n_vocab * 8 + 64;
    t->arena = malloc(t->arena_cap);
    if (!t->off || !t->len || !t->score || !t->type || !t->arena) {
        teai__tokenizer_free(t);
        return TEAI_ENOMEM;
    }
    memset(t->type, TEAI__TOKEN_NORMAL, (size_t)n_vocab);
    /* Offset 0 holds "", the text of ids not set yet. */
    t->arena[0] = '\0';
    t->arena_len = 1;
    t->bos = t->eos = t->eot = t->eom = t->unk = t->pad = -1;
    for (int i = 0; i < 256; i++) t->byte_tok[i] = -1;
    snprintf(t->pre_name, sizeof t->pre_name, "default");
    *out = t;
    return TEAI_OK;
}

int teai__tok_set_text(teai_tokenizer *t, int32_t id, const char *s, size_t n) {
    char empty[32];
    if (id < 0 || id >= t->n_vocab) return TEAI_EINVAL;
    if (n == 0) {
        n = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%d]", (int)id);
        s = empty;
    }
    if (n > UINT32_MAX - t->arena_len - 1) return TEAI_ENOMEM;
    if (t->arena_len + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap;
        while (cap < t->arena_len + n + 1) cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a) return TEAI_ENOMEM;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, s, n);
    t->arena[t->arena_len + n] = '\0';
    t->off[id] = (uint32_t)t->arena_len;
    t->len[id] = (uint32_t)n;
    t->arena_len += n + 1;
    return TEAI_OK;
}

int teai__tok_index(teai_tokenizer *t) {
    uint32_t size = pow2_at_least((uint64_t)t->n_vocab * 2);
    free(t->ht);
    t->ht = malloc((size_t)size * sizeof *t->ht);
    if (!t->ht) return TEAI_ENOMEM;
    memset(t->ht, 0xff, (size_t)size * sizeof *t->ht);
    t->ht_mask = size - 1;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *s = teai__tok_text(t, id);
        uint32_t n = t->len[id];
        uint32_t h = (uint32_t)hash_bytes(s, n) & t->ht_mask;
        for (;;) {
            int32_t o = t->ht[h];
            if (o < 0) {
                t->ht[h] = id;
                break;
            }
            if (t->len[o] == n && memcmp(teai__tok_text(t, o), s, n) == 0) {
                t->ht[h] = id; /* duplicate text: the later id wins */
                break;
            }
            h = (h + 1) & t->ht_mask;
        }
    }
    return TEAI_OK;
}

int32_t teai__tok_lookup(const teai_tokenizer *t, const char *s, size_t n) {
    if (!t->ht) return -1;
    uint32_t h = (uint32_t)hash_bytes(s, n) & t->ht_mask;
    for (;;) {
        int32_t id = t->ht[h];
        if (id < 0) return -1;
        if (t->len[id] == n && memcmp(teai__tok_text(t, id), s, n) == 0) return id;
        h = (h + 1) & t->ht_mask;
    }
}

const char *teai__tok_show(const char *s, size_t n, char *buf, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        uint8_t c = (uint8_t)s[i];
        if (i >= 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
    return buf;
}

int teai__tok_add_merge(teai_tokenizer *t, const char *l, size_t ln, const char *r, size_t rn,
                        const char *what, teai_error *err) {
    char sb[256], stack[256];
    int32_t lid = teai__tok_lookup(t, l, ln);
    if (lid < 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: '%s' is not a token", what,
                          teai__tok_show(l, ln, sb, sizeof sb));
    int32_t rid = teai__tok_lookup(t, r, rn);
    if (rid < 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: '%s' is not a token", what,
                          teai__tok_show(r, rn, sb, sizeof sb));
    char *cat = ln + rn <= sizeof stack ? stack : malloc(ln + rn);
    if (!cat) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", what);
    memcpy(cat, l, ln);
    memcpy(cat + ln, r, rn);
    int32_t res = teai__tok_lookup(t, cat, ln + rn);
    if (res < 0)
        teai__fail(err, TEAI_EFORMAT, "%s: merged text '%s' is not a token", what,
                   teai__tok_show(cat, ln + rn, sb, sizeof sb));
    if (cat != stack) free(cat);
    if (res < 0) return TEAI_EFORMAT;

    int32_t n = t->n_merges;
    if ((n & (n - 1)) == 0) { /* grow at powers of two */
        size_t cap = n ? (size_t)n * 2 : 1;
        if (n >= INT32_MAX / 2) return teai__fail(err, TEAI_EFORMAT, "%s: too many merges", what);
        int32_t *a = realloc(t->merge_left, cap * sizeof *a);
        if (a) t->merge_left = a;
        int32_t *b = realloc(t->merge_right, cap * sizeof *b);
        if (b) t->merge_right = b;
        int32_t *c = realloc(t->merge_result, cap * sizeof *c);
        if (c) t->merge_result = c;
        if (!a || !b || !c) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", what);
    }
    t->merge_left[n] = lid;
    t->merge_right[n] = rid;
    t->merge_result[n] = res;
    t->n_merges = n + 1;
    return TEAI_OK;
}

static int build_merge_table(teai_tokenizer *t) {
    uint32_t size = pow2_at_least((uint64_t)t->n_merges * 2);
    t->mh_key = malloc((size_t)size * sizeof *t->mh_key);
    t->mh_rank = malloc((size_t)size * sizeof *t->mh_rank);
    if (!t->mh_key || !t->mh_rank) return TEAI_ENOMEM;
    memset(t->mh_key, 0xff, (size_t)size * sizeof *t->mh_key);
    t->mh_mask = size - 1;
    for (int32_t i = 0; i < t->n_merges; i++) {
        uint64_t key = (uint64_t)(uint32_t)t->merge_left[i] << 32 | (uint32_t)t->merge_right[i];
        uint32_t h = (uint32_t)teai__hash_pair(key) & t->mh_mask;
        while (t->mh_key[h] != UINT64_MAX && t->mh_key[h] != key) h = (h + 1) & t->mh_mask;
        if (t->mh_key[h] == key) continue; /* a repeated merge keeps its first rank */
        t->mh_key[h] = key;
        t->mh_rank[h] = i;
    }
    return TEAI_OK;
}

/* llama.cpp recognizes some special tokens by their text alone: these end
 * generation, and are made CONTROL when the file says otherwise (which also
 * stops them being split out of text without parse_special). */
static const char *const k_eog_texts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<\xef\xbd\x9c"
    "end\xe2\x96\x81"
    "of\xe2\x96\x81"
    "sentence\xef\xbd\x9c>" /* DeepSeek */,
    "[e~[",
    /* fill-in-the-middle pad / repo / file separator */
    "<|fim_pad|>",
    "<fim-pad>",
    "<fim_pad>",
    "<PAD>",
    "[PAD]",
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
    "<|file_sep|>",
};
/* Fill-in-the-middle prefix / suffix / middle: CONTROL, not end of generation. */
static const char *const k_fim_texts[] = {
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<fim_prefix>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81"
    "begin\xef\xbd\x9c>",
    "<PRE>",
    "\xe2\x96\x81<PRE>",
    "<|code_prefix|>",
    "<|prefix|>",
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<fim_suffix>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81"
    "hole\xef\xbd\x9c>",
    "<SUF>",
    "\xe2\x96\x81<SUF>",
    "<|code_suffix|>",
    "<|suffix|>",
    "<|fim_middle|>",
    "<fim-middle>",
    "<fim_middle>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81"
    "end\xef\xbd\x9c>",
    "<MID>",
    "\xe2\x96\x81<MID>",
    "<|code_middle|>",
    "<|middle|>",
};

typedef struct len_id {
    uint32_t len;
    int32_t id;
} len_id;

/* Longest text first, then lowest id. */
static int cmp_len_id(const void *a, const void *b) {
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_id(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static int32_t find_text(const teai_tokenizer *t, const char *s) {
    return teai__tok_lookup(t, s, strlen(s));
}

static int build_special_lists(teai_tokenizer *t) {
    if (t->eot < 0) {
        static const char *const eot_texts[] = {"<|eot_id|>",    "<|im_end|>",    "<|end|>",
                                                "<end_of_turn>", "<|endoftext|>", "<EOT>"};
        for (size_t i = 0; i < sizeof eot_texts / sizeof *eot_texts && t->eot < 0; i++)
            t->eot = find_text(t, eot_texts[i]);
    }
    if (t->eom < 0) t->eom = find_text(t, "<|eom_id|>");
    for (size_t i = 0; i < sizeof k_fim_texts / sizeof *k_fim_texts; i++) {
        int32_t id = find_text(t, k_fim_texts[i]);
        if (id >= 0) t->type[id] = TEAI__TOKEN_CONTROL;
    }
    size_t n_texts = sizeof k_eog_texts / sizeof *k_eog_texts;
    t->eog = malloc((n_texts + 3) * sizeof *t->eog);
    if (!t->eog) return TEAI_ENOMEM;
    int32_t m = 0;
    int32_t fixed[3] = {t->eos, t->eot, t->eom};
    for (int i = 0; i < 3; i++)
        if (fixed[i] >= 0) t->eog[m++] = fixed[i];
    for (size_t i = 0; i < n_texts; i++) {
        int32_t id = find_text(t, k_eog_texts[i]);
        if (id < 0) continue;
        t->eog[m++] = id;
        t->type[id] = TEAI__TOKEN_CONTROL;
    }
    qsort(t->eog, (size_t)m, sizeof *t->eog, cmp_id);
    int32_t u = 0;
    for (int32_t i = 0; i < m; i++)
        if (u == 0 || t->eog[u - 1] != t->eog[i]) t->eog[u++] = t->eog[i];
    t->n_eog = u;

    int32_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        uint8_t ty = t->type[id];
        n += ty == TEAI__TOKEN_CONTROL || ty == TEAI__TOKEN_USER_DEFINED ||
             ty == TEAI__TOKEN_UNKNOWN;
    }
    t->special = malloc(((size_t)n + 1) * sizeof *t->special);
    if (!t->special) return TEAI_ENOMEM;
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        uint8_t ty = t->type[id];
        if (ty == TEAI__TOKEN_CONTROL || ty == TEAI__TOKEN_USER_DEFINED ||
            ty == TEAI__TOKEN_UNKNOWN)
            t->special[n++] = id;
    }
    t->n_special = n;
    len_id *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    if (!tmp) return TEAI_ENOMEM;
    for (int32_t i = 0; i < n; i++) tmp[i] = (len_id){t->len[t->special[i]], t->special[i]};
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_len_id);
    for (int32_t i = 0; i < n; i++) t->special[i] = tmp[i].id;
    free(tmp);
    return TEAI_OK;
}

int teai__tok_finish(teai_tokenizer *t, const char *name, teai_error *err) {
    int32_t *ids[] = {&t->bos, &t->eos, &t->eot, &t->eom, &t->unk, &t->pad};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (*ids[i] < -1 || *ids[i] >= t->n_vocab)
            return teai__fail(err, TEAI_EFORMAT, "%s: special token id %d out of range", name,
                              (int)*ids[i]);
    if (!t->ht && teai__tok_index(t))
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    if (t->kind == TEAI__TOK_BPE && build_merge_table(t))
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    for (int b = 0; b < 256; b++) {
        char s[8];
        if (t->kind == TEAI__TOK_BPE) {
            int n = teai__utf8_encode(teai__byte_to_cp((uint8_t)b), s);
            t->byte_tok[b] = teai__tok_lookup(t, s, (size_t)n);
        } else {
            snprintf(s, sizeof s, "<0x%02X>", b);
            t->byte_tok[b] = find_text(t, s);
            if (t->byte_tok[b] < 0) {
                s[0] = (char)b;
                t->byte_tok[b] = teai__tok_lookup(t, s, 1);
            }
        }
    }
    if (build_special_lists(t)) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    return TEAI_OK;
}

int teai__tok_set_pre(teai_tokenizer *t, const char *pre_name) {
    static const struct {
        const char *name;
        teai__pre_kind pre;
    } names[] = {
        {"llama3", TEAI__PRE_LLAMA3},
        {"llama-v3", TEAI__PRE_LLAMA3},
        {"llama-bpe", TEAI__PRE_LLAMA3},
        {"falcon3", TEAI__PRE_LLAMA3},
        {"pixtral", TEAI__PRE_LLAMA3},
        {"qwen2", TEAI__PRE_QWEN2},
        {"deepseek-r1-qwen", TEAI__PRE_QWEN2},
        {"stablelm2", TEAI__PRE_QWEN2},
        {"gpt-2", TEAI__PRE_GPT2},
        {"phi-2", TEAI__PRE_GPT2},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strcmp(pre_name, names[i].name) == 0) {
            t->pre = names[i].pre;
            snprintf(t->pre_name, sizeof t->pre_name, "%s", pre_name);
            return TEAI_OK;
        }
    }
    return TEAI_EUNSUPPORTED;
}

void teai__tokenizer_free(teai_tokenizer *t) {
    if (!t) return;
    free(t->arena);
    free(t->off);
    free(t->len);
    free(t->score);
    free(t->type);
    free(t->ht);
    free(t->merge_left);
    free(t->merge_right);
    free(t->merge_result);
    free(t->mh_key);
    free(t->mh_rank);
    free(t->special);
    free(t->eog);
    free(t->chat_template);
    free(t);
}

/* ---- tokenize ---------------------------------------------------------- */

/* A piece of the input: raw text to encode, or one special token. */
typedef struct frag {
    size_t start, len;
    int32_t id; /* -1: raw text */
} frag;

typedef struct frags {
    frag *v;
    size_t n, cap;
} frags;

static int frags_push(frags *f, size_t start, size_t len, int32_t id) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        frag *v = realloc(f->v, cap * sizeof *v);
        if (!v) return TEAI_ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (frag){start, len, id};
    return TEAI_OK;
}

/* First occurrence of needle (nn >= 1 bytes) in hay, or NULL (memmem is a
 * GNU extension). */
static const char *find(const char *hay, size_t hn, const char *needle, size_t nn) {
    if (nn == 0 || hn < nn) return NULL;
    const char *end = hay + (hn - nn) + 1;
    for (const char *p = hay; p < end;) {
        p = memchr(p, (unsigned char)needle[0], (size_t)(end - p));
        if (!p) return NULL;
        if (memcmp(p, needle, nn) == 0) return p;
        p++;
    }
    return NULL;
}

/* Splits the raw fragments on each special token in turn, longest first
 * (llama.cpp's tokenizer_st_partition): without parse_special only
 * USER_DEFINED tokens are split out. */
static int split_special(const teai_tokenizer *t, const char *text, int parse_special, frags *cur) {
    frags next = {0};
    for (int32_t k = 0; k < t->n_special; k++) {
        int32_t sid = t->special[k];
        uint8_t ty = t->type[sid];
        if (!parse_special && (ty == TEAI__TOKEN_CONTROL || ty == TEAI__TOKEN_UNKNOWN)) continue;
        const char *s = teai__tok_text(t, sid);
        size_t sn = t->len[sid];
        int found = 0;
        for (size_t i = 0; i < cur->n && !found; i++)
            found = cur->v[i].id < 0 && find(text + cur->v[i].start, cur->v[i].len, s, sn);
        if (!found) continue;
        next.n = 0;
        for (size_t i = 0; i < cur->n; i++) {
            frag f = cur->v[i];
            if (f.id >= 0) {
                if (frags_push(&next, f.start, f.len, f.id)) goto oom;
                continue;
            }
            size_t pos = f.start, end = f.start + f.len;
            for (;;) {
                const char *m = find(text + pos, end - pos, s, sn);
                if (!m) {
                    if (end > pos && frags_push(&next, pos, end - pos, -1)) goto oom;
                    break;
                }
                size_t at = (size_t)(m - text);
                if (at > pos && frags_push(&next, pos, at - pos, -1)) goto oom;
                if (frags_push(&next, at, sn, sid)) goto oom;
                pos = at + sn;
            }
        }
        frags tmp = *cur;
        *cur = next;
        next = tmp;
    }
    free(next.v);
    return TEAI_OK;
oom:
    free(next.v);
    return TEAI_ENOMEM;
}

int teai_tokenize(const teai_tokenizer *tok, const char *text, size_t len, int add_bos,
                  int parse_special, int32_t *ids, int cap, int *n_out) {
    if (n_out) *n_out = 0;
    if (!tok || (!text && len > 0) || cap < 0 || (!ids && cap > 0)) return TEAI_EINVAL;
    teai__ids out = {0};
    frags fr = {0};
    int rc = TEAI_OK;
    if (len > 0) {
        rc = frags_push(&fr, 0, len, -1);
        if (!rc && tok->n_special > 0) rc = split_special(tok, text, parse_special, &fr);
    }
    if (!rc && add_bos && tok->add_bos && tok->bos >= 0) rc = teai__ids_push(&out, tok->bos);
    int prev_special = 1; /* SentencePiece prefixes "▁" to text at the start and after specials */
    for (size_t i = 0; i < fr.n && !rc; i++) {
        const frag *f = &fr.v[i];
        if (f->id >= 0) {
            rc = teai__ids_push(&out, f->id);
            prev_special = 1;
        } else if (tok->kind == TEAI__TOK_SPM) {
            rc = teai__spm_encode(tok, text + f->start, f->len,
                                  tok->add_space_prefix && prev_special, &out);
            prev_special = 0;
        } else {
            rc = teai__bpe_encode(tok, text + f->start, f->len, &out);
        }
    }
    if (!rc && add_bos && tok->add_eos && tok->eos >= 0) rc = teai__ids_push(&out, tok->eos);
    free(fr.v);
    if (rc) {
        free(out.v);
        return rc;
    }
    if (out.n > (size_t)INT32_MAX) {
        free(out.v);
        return TEAI_ERANGE;
    }
    size_t n_copy = out.n < (size_t)cap ? out.n : (size_t)cap;
    if (n_copy) memcpy(ids, out.v, n_copy * sizeof *ids);
    if (n_out) *n_out = (int)out.n;
    free(out.v);
    return out.n > (size_t)cap ? TEAI_ERANGE : TEAI_OK;
}

/* ---- pieces ------------------------------------------------------------ */

/* Writes the piece of id into dst, which has room for len[id] bytes (no
 * piece is longer than its token text); returns its length. */
static size_t piece_into(const teai_tokenizer *t, int32_t id, int render_special, char *dst) {
    const char *s = teai__tok_text(t, id);
    size_t n = t->len[id];
    switch (t->type[id]) {
        case TEAI__TOKEN_CONTROL:
        case TEAI__TOKEN_UNKNOWN:
            if (!render_special) return 0;
            /* fallthrough */
        case TEAI__TOKEN_USER_DEFINED:
            memcpy(dst, s, n);
            return n;
        case TEAI__TOKEN_BYTE: {
            unsigned v = 0;
            if (n == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>') {
                for (int i = 3; i < 5; i++) {
                    char c = s[i];
                    v = v * 16 + (unsigned)(c >= '0' && c <= '9'   ? c - '0'
                                            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                                   : 0);
                }
                dst[0] = (char)v;
                return 1;
            }
            memcpy(dst, s, n);
            return n;
        }
        case TEAI__TOKEN_NORMAL: {
            size_t o = 0;
            if (t->kind == TEAI__TOK_SPM) {
                for (size_t i = 0; i < n;) {
                    if (i + 3 <= n && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                        dst[o++] = ' ';
                        i += 3;
                    } else {
                        dst[o++] = s[i++];
                    }
                }
                return o;
            }
            for (size_t i = 0; i < n;) {
                uint32_t cp;
                int k = teai__utf8_decode((const uint8_t *)s + i, n - i, &cp);
                int b = k > 1 || (uint8_t)s[i] < 0x80 ? teai__cp_to_byte(cp) : -1;
                if (b >= 0) {
                    dst[o++] = (char)b;
                } else { /* not a byte-level character: keep it as it is */
                    memcpy(dst + o, s + i, (size_t)k);
                    o += (size_t)k;
                }
                i += (size_t)k;
            }
            return o;
        }
        default: /* UNUSED, UNDEFINED: no text, as llama.cpp */
            return 0;
    }
}

int teai_token_to_piece(const teai_tokenizer *tok, int32_t id, int render_special, char *buf,
                        int cap) {
    if (!tok || !buf || cap <= 0 || id < 0 || id >= tok->n_vocab) return TEAI_EINVAL;
    size_t need = tok->len[id];
    if ((size_t)cap > need) {
        size_t n = piece_into(tok, id, render_special, buf);
        buf[n] = '\0';
        return (int)n;
    }
    char *tmp = malloc(need + 1);
    if (!tmp) return TEAI_ENOMEM;
    size_t n = piece_into(tok, id, render_special, tmp);
    int rc = TEAI_ERANGE;
    if (n < (size_t)cap) {
        memcpy(buf, tmp, n);
        buf[n] = '\0';
        rc = (int)n;
    }
    free(tmp);
    return rc;
}

int teai__tokenizer_decode(const teai_tokenizer *tok, const int32_t *ids, int n, int render_special,
                           teai_buf *out) {
    if (!tok || (!ids && n > 0) || !out) return TEAI_EINVAL;
    int strip = tok->kind == TEAI__TOK_SPM && tok->add_space_prefix;
    for (int i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= tok->n_vocab) return TEAI_ERANGE;
        size_t need = tok->len[id];
        size_t at = out->len;
        /* Reserve room, then write the piece in place. */
        if (need && teai_buf_add(out, teai__tok_text(tok, id), need)) return TEAI_ENOMEM;
        size_t k = piece_into(tok, id, render_special, out->data + at);
        out->len = at + k;
        if (out->data) out->data[out->len] = '\0';
        if (strip && tok->type[id] != TEAI__TOKEN_CONTROL) {
            if (k > 0 && out->data[at] == ' ') {
                memmove(out->data + at, out->data + at + 1, k - 1);
                out->len--;
                out->data[out->len] = '\0';
            }
            strip = 0;
        }
    }
    return TEAI_OK;
}

/* ---- accessors ----------------------------------------------------------- */

int teai_tokenizer_n_vocab(const teai_tokenizer *tok) {
    return tok ? tok->n_vocab : 0;
}
int32_t teai_tokenizer_bos(const teai_tokenizer *tok) {
    return tok ? tok->bos : -1;
}
int32_t teai_tokenizer_eos(const teai_tokenizer *tok) {
    return tok ? tok->eos : -1;
}
int teai_tokenizer_is_eog(const teai_tokenizer *tok, int32_t id) {
    if (!tok || id < 0) return 0;
    return bsearch(&id, tok->eog, (size_t)tok->n_eog, sizeof *tok->eog, cmp_id) != NULL;
}
const char *teai_tokenizer_model(const teai_tokenizer *tok) {
    if (!tok) return "";
    return tok->kind == TEAI__TOK_SPM ? "llama" : "gpt2";
}
const char *teai_tokenizer_pre(const teai_tokenizer *tok) {
    return tok ? tok->pre_name : "";
}

const char *teai__tokenizer_token_text(const teai_tokenizer *tok, int32_t id) {
    if (!tok || id < 0 || id >= tok->n_vocab) return NULL;
    return teai__tok_text(tok, id);
}
int teai__tokenizer_token_type(const teai_tokenizer *tok, int32_t id) {
    if (!tok || id < 0 || id >= tok->n_vocab) return -1;
    return tok->type[id];
}
float teai__tokenizer_token_score(const teai_tokenizer *tok, int32_t id) {
    if (!tok || id < 0 || id >= tok->n_vocab) return 0.0f;
    return tok->score[id];
}
int teai__tokenizer_n_merges(const teai_tokenizer *tok) {
    return tok ? tok->n_merges : 0;
}
int32_t teai__tokenizer_eot(const teai_tokenizer *tok) {
    return tok ? tok->eot : -1;
}
int32_t teai__tokenizer_unk(const teai_tokenizer *tok) {
    return tok ? tok->unk : -1;
}
int32_t teai__tokenizer_pad(const teai_tokenizer *tok) {
    return tok ? tok->pad : -1;
}
int teai__tokenizer_adds_bos(const teai_tokenizer *tok) {
    return tok && tok->add_bos && tok->bos >= 0;
}
int teai__tokenizer_adds_eos(const teai_tokenizer *tok) {
    return tok && tok->add_eos && tok->eos >= 0;
}
const char *teai__tokenizer_chat_template(const teai_tokenizer *tok) {
    return tok ? tok->chat_template : NULL;
}
