/* Byte-level BPE training (teai_tokenizer_train) and the small public calls
 * around a tokenizer of its own: load from / save to a vocabulary GGUF, free.
 *
 * Training: the texts are split by the Llama 3 pre-tokenizer into words;
 * unique words are counted; each word starts as its bytes (ids 0..255).
 * Then, until the vocabulary is full, the most frequent adjacent pair of
 * symbols over all words (weighted by word count; ties: the smaller
 * (left, right)) becomes a new token. Pair counts live in a hash table and an
 * indexed max-heap; each pair keeps a list of the words it occurs in, so a
 * merge rewrites only those words and updates only the counts of the pairs
 * around each occurrence. Everything is ordered by first occurrence in the
 * input or by ids, so the same texts always give the same tokenizer. */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

#define WHAT "tokenizer training"

/* Texts are pre-tokenized in pieces of about this many bytes (the
 * pre-tokenizer needs 14 bytes of memory per byte of text). */
#define CHUNK_BYTES ((size_t)1 << 20)

static uint64_t hash_bytes(const char *s, size_t n) {
    return teai__fnv1a(s, n);
}

/* ---- unique words and their counts ------------------------------------- */

typedef struct word {
    size_t off;    /* bytes in the word arena; later: first symbol in syms */
    uint32_t len;  /* bytes; later: symbols left */
    int64_t count; /* occurrences in the texts */
} word;

typedef struct words {
    char *arena; /* the words' bytes, one after another */
    size_t arena_len, arena_cap;
    word *w; /* [n] in order of first occurrence */
    int32_t n, cap;
    int32_t *ht; /* open addressing over word indexes, -1 empty */
    uint32_t ht_mask;
    const char *text; /* the text being split */
    int rc;
} words;

static int words_grow_ht(words *ws) {
    uint32_t size = ws->ht ? (ws->ht_mask + 1) * 2 : 1024;
    int32_t *ht = malloc((size_t)size * sizeof *ht);
    if (!ht) return TEAI_ENOMEM;
    memset(ht, 0xff, (size_t)size * sizeof *ht);
    for (int32_t i = 0; i < ws->n; i++) {
        uint32_t h = (uint32_t)hash_bytes(ws->arena + ws->w[i].off, ws->w[i].len) & (size - 1);
        while (ht[h] >= 0) h = (h + 1) & (size - 1);
        ht[h] = i;
    }
    free(ws->ht);
    ws->ht = ht;
    ws->ht_mask = size - 1;
    return TEAI_OK;
}

static int words_add(words *ws, const char *s, size_t n) {
    if (n > UINT32_MAX) return TEAI_EINVAL;
    uint32_t h = (uint32_t)hash_bytes(s, n) & ws->ht_mask;
    for (;;) {
        int32_t i = ws->ht[h];
        if (i < 0) break;
        if (ws->w[i].len == n && memcmp(ws->arena + ws->w[i].off, s, n) == 0) {
            ws->w[i].count++;
            return TEAI_OK;
        }
        h = (h + 1) & ws->ht_mask;
    }
    /* a new word */
    if (ws->n == ws->cap) {
        if (ws->cap >= INT32_MAX / 2) return TEAI_ENOMEM;
        int32_t cap = ws->cap ? ws->cap * 2 : 1024;
        word *w = realloc(ws->w, (size_t)cap * sizeof *w);
        if (!w) return TEAI_ENOMEM;
        ws->w = w;
        ws->cap = cap;
    }
    if (ws->arena_len + n > ws->arena_cap) {
        size_t cap = ws->arena_cap ? ws->arena_cap : 65536;
        while (cap < ws->arena_len + n) cap *= 2;
        char *a = realloc(ws->arena, cap);
        if (!a) return TEAI_ENOMEM;
        ws->arena = a;
        ws->arena_cap = cap;
    }
    memcpy(ws->arena + ws->arena_len, s, n);
    ws->w[ws->n] = (word){ws->arena_len, (uint32_t)n, 1};
    ws->arena_len += n;
    ws->ht[h] = ws->n++;
    if ((uint64_t)ws->n * 2 > (uint64_t)ws->ht_mask + 1) return words_grow_ht(ws);
    return TEAI_OK;
}

static int emit_word(void *ctx, size_t start, size_t end) {
    words *ws = ctx;
    return ws->rc = words_add(ws, ws->text + start, end - start);
}

/* Where a text can be cut without changing how it splits: after a newline
 * and before a printable ASCII character that is not a space (no match of
 * the Llama 3 regex spans a newline followed by something other than
 * whitespace). Returns the cut at or after `from`, or n if there is none. */
static size_t next_cut(const char *s, size_t n, size_t from) {
    for (size_t i = from < 1 ? 1 : from; i < n; i++)
        if (s[i - 1] == '\n' && s[i] > ' ' && s[i] < 0x7f) return i;
    return n;
}

static int count_words(words *ws, const char *s, size_t n) {
    for (size_t at = 0; at < n;) {
        size_t end = n - at > CHUNK_BYTES ? next_cut(s, n, at + CHUNK_BYTES) : n;
        ws->text = s + at;
        ws->rc = TEAI_OK;
        int rc = teai__pretok_split(TEAI__PRE_LLAMA3, s + at, end - at, emit_word, ws);
        if (rc) return rc;
        at = end;
    }
    return TEAI_OK;
}

/* ---- pairs: counts, an indexed max-heap, and the words they occur in ---- */

typedef struct pair {
    uint64_t key;  /* left << 32 | right */
    int64_t count; /* occurrences, weighted by word count */
    int32_t heap;  /* position in the heap */
    int32_t n_words, cap_words;
    int32_t *words; /* words it was seen in (duplicates and stale ones too) */
} pair;

typedef struct trainer {
    words ws;
    int32_t *syms; /* all words' symbols; word i at ws.w[i].off, ws.w[i].len of them */
    pair *p;
    int32_t n_pairs, cap_pairs;
    int32_t *pht; /* key -> pair index, -1 empty */
    uint32_t pht_mask;
    int32_t *heap;   /* pair indexes; the top is the next merge */
    uint32_t *stamp; /* [n words] last merge that rewrote the word, + 1 */

    /* tokens: raw bytes of each id, and bytes -> id */
    char *tarena;
    size_t tarena_len, tarena_cap;
    size_t *toff;
    uint32_t *tlen;
    int32_t n_tok, cap_tok;
    int32_t *tht;
    uint32_t tht_mask;
    /* merges in order */
    int32_t *ml, *mr;
    int32_t n_merges, cap_merges;
} trainer;

static uint64_t pkey(int32_t l, int32_t r) {
    return (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
}

/* a ranks above b: more frequent, then the smaller key */
static int above(const trainer *t, int32_t a, int32_t b) {
    const pair *x = &t->p[a], *y = &t->p[b];
    return x->count != y->count ? x->count > y->count : x->key < y->key;
}

static void heap_set(trainer *t, int32_t pos, int32_t pi) {
    t->heap[pos] = pi;
    t->p[pi].heap = pos;
}

static void sift_up(trainer *t, int32_t pos) {
    int32_t pi = t->heap[pos];
    while (pos > 0) {
        int32_t up = (pos - 1) / 2;
        if (!above(t, pi, t->heap[up])) break;
        heap_set(t, pos, t->heap[up]);
        pos = up;
    }
    heap_set(t, pos, pi);
}

static void sift_down(trainer *t, int32_t pos) {
    int32_t pi = t->heap[pos];
    for (;;) {
        int32_t c = 2 * pos + 1;
        if (c >= t->n_pairs) break;
        if (c + 1 < t->n_pairs && above(t, t->heap[c + 1], t->heap[c])) c++;
        if (!above(t, t->heap[c], pi)) break;
        heap_set(t, pos, t->heap[c]);
        pos = c;
    }
    heap_set(t, pos, pi);
}

static int grow_pht(trainer *t) {
    uint32_t size = t->pht ? (t->pht_mask + 1) * 2 : 4096;
    int32_t *ht = malloc((size_t)size * sizeof *ht);
    if (!ht) return TEAI_ENOMEM;
    memset(ht, 0xff, (size_t)size * sizeof *ht);
    for (int32_t i = 0; i < t->n_pairs; i++) {
        uint32_t h = (uint32_t)teai__hash_pair(t->p[i].key) & (size - 1);
        while (ht[h] >= 0) h = (h + 1) & (size - 1);
        ht[h] = i;
    }
    free(t->pht);
    t->pht = ht;
    t->pht_mask = size - 1;
    return TEAI_OK;
}

/* Index of pair (l, r), added (count 0, at the bottom of the heap) if new;
 * -1 when out of memory. */
static int32_t pair_get(trainer *t, int32_t l, int32_t r) {
    uint64_t key = pkey(l, r);
    uint32_t h = (uint32_t)teai__hash_pair(key) & t->pht_mask;
    for (;;) {
        int32_t i = t->pht[h];
        if (i < 0) break;
        if (t->p[i].key == key) return i;
        h = (h + 1) & t->pht_mask;
    }
    if (t->n_pairs == t->cap_pairs) {
        if (t->cap_pairs >= INT32_MAX / 2) return -1;
        int32_t cap = t->cap_pairs ? t->cap_pairs * 2 : 4096;
        pair *p = realloc(t->p, (size_t)cap * sizeof *p);
        if (!p) return -1;
        t->p = p;
        int32_t *hp = realloc(t->heap, (size_t)cap * sizeof *hp);
        if (!hp) return -1;
        t->heap = hp;
        t->cap_pairs = cap;
    }
    int32_t i = t->n_pairs++;
    t->p[i] = (pair){key, 0, 0, 0, 0, NULL};
    t->pht[h] = i;
    heap_set(t, i, i); /* count 0: nothing ranks below it */
    if ((uint64_t)t->n_pairs * 2 > (uint64_t)t->pht_mask + 1 && grow_pht(t)) return -1;
    return i;
}

/* Adds delta occurrences of (l, r); with delta > 0 also notes word w. */
static int pair_add(trainer *t, int32_t l, int32_t r, int64_t delta, int32_t w) {
    int32_t i = pair_get(t, l, r);
    if (i < 0) return TEAI_ENOMEM;
    pair *p = &t->p[i];
    p->count += delta;
    if (delta > 0) {
        if (p->n_words > 0 && p->words[p->n_words - 1] == w) {
            /* already noted for this word */
        } else {
            if (p->n_words == p->cap_words) {
                if (p->cap_words >= INT32_MAX / 2) return TEAI_ENOMEM;
                int32_t cap = p->cap_words ? p->cap_words * 2 : 4;
                int32_t *v = realloc(p->words, (size_t)cap * sizeof *v);
                if (!v) return TEAI_ENOMEM;
                p->words = v;
                p->cap_words = cap;
            }
            p->words[p->n_words++] = w;
        }
        sift_up(t, p->heap);
    } else {
        sift_down(t, p->heap);
    }
    return TEAI_OK;
}

/* ---- tokens ------------------------------------------------------------ */

static int grow_tht(trainer *t) {
    uint32_t size = t->tht ? (t->tht_mask + 1) * 2 : 1024;
    int32_t *ht = malloc((size_t)size * sizeof *ht);
    if (!ht) return TEAI_ENOMEM;
    memset(ht, 0xff, (size_t)size * sizeof *ht);
    for (int32_t i = 0; i < t->n_tok; i++) {
        uint32_t h = (uint32_t)hash_bytes(t->tarena + t->toff[i], t->tlen[i]) & (size - 1);
        while (ht[h] >= 0) h = (h + 1) & (size - 1);
        ht[h] = i;
    }
    free(t->tht);
    t->tht = ht;
    t->tht_mask = size - 1;
    return TEAI_OK;
}

/* The token of l's bytes followed by r's: an existing one with those bytes
 * (two merges can make the same text), else a new one. *is_new says which. */
static int token_of_merge(trainer *t, int32_t l, int32_t r, int32_t *id, int *is_new) {
    size_t ln = t->tlen[l], rn = t->tlen[r], n = ln + rn;
    if (n > UINT32_MAX) return TEAI_ENOMEM;
    if (t->tarena_len + n > t->tarena_cap) {
        size_t cap = t->tarena_cap ? t->tarena_cap : 65536;
        while (cap < t->tarena_len + n) cap *= 2;
        char *a = realloc(t->tarena, cap);
        if (!a) return TEAI_ENOMEM;
        t->tarena = a;
        t->tarena_cap = cap;
    }
    char *s = t->tarena + t->tarena_len;
    memcpy(s, t->tarena + t->toff[l], ln);
    memcpy(s + ln, t->tarena + t->toff[r], rn);
    uint32_t h = (uint32_t)hash_bytes(s, n) & t->tht_mask;
    for (;;) {
        int32_t o = t->tht[h];
        if (o < 0) break;
        if (t->tlen[o] == n && memcmp(t->tarena + t->toff[o], s, n) == 0) {
            *id = o;
            *is_new = 0;
            return TEAI_OK;
        }
        h = (h + 1) & t->tht_mask;
    }
    if (t->n_tok == t->cap_tok) {
        int32_t cap = t->cap_tok * 2;
        size_t *o = realloc(t->toff, (size_t)cap * sizeof *o);
        if (!o) return TEAI_ENOMEM;
        t->toff = o;
        uint32_t *ln2 = realloc(t->tlen, (size_t)cap * sizeof *ln2);
        if (!ln2) return TEAI_ENOMEM;
        t->tlen = ln2;
        t->cap_tok = cap;
    }
    *id = t->n_tok++;
    *is_new = 1;
    t->toff[*id] = t->tarena_len;
    t->tlen[*id] = (uint32_t)n;
    t->tarena_len += n;
    t->tht[h] = *id;
    if ((uint64_t)t->n_tok * 2 > (uint64_t)t->tht_mask + 1) return grow_tht(t);
    return TEAI_OK;
}

static int add_merge(trainer *t, int32_t l, int32_t r) {
    if (t->n_merges == t->cap_merges) {
        if (t->cap_merges >= INT32_MAX / 2) return TEAI_ENOMEM;
        int32_t cap = t->cap_merges ? t->cap_merges * 2 : 1024;
        int32_t *a = realloc(t->ml, (size_t)cap * sizeof *a);
        if (!a) return TEAI_ENOMEM;
        t->ml = a;
        int32_t *b = realloc(t->mr, (size_t)cap * sizeof *b);
        if (!b) return TEAI_ENOMEM;
        t->mr = b;
        t->cap_merges = cap;
    }
    t->ml[t->n_merges] = l;
    t->mr[t->n_merges] = r;
    t->n_merges++;
    return TEAI_OK;
}

/* ---- training ---------------------------------------------------------- */

/* Replaces every (a, b) in word w by z, left to right, and updates the
 * counts of the pairs around each occurrence. */
static int merge_word(trainer *t, int32_t w, int32_t a, int32_t b, int32_t z) {
    word *wd = &t->ws.w[w];
    int32_t *s = t->syms + wd->off;
    int64_t c = wd->count;
    uint32_t n = wd->len, j = 0;
    int rc = TEAI_OK;
    for (uint32_t i = 0; i < n && !rc;) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            rc = pair_add(t, a, b, -c, w);
            if (!rc && j > 0) {
                rc = pair_add(t, s[j - 1], a, -c, w);
                if (!rc) rc = pair_add(t, s[j - 1], z, c, w);
            }
            if (!rc && i + 2 < n) {
                rc = pair_add(t, b, s[i + 2], -c, w);
                if (!rc) rc = pair_add(t, z, s[i + 2], c, w);
            }
            s[j++] = z;
            i += 2;
        } else {
            s[j++] = s[i++];
        }
    }
    wd->len = j;
    return rc;
}

static void trainer_free(trainer *t) {
    free(t->ws.arena);
    free(t->ws.w);
    free(t->ws.ht);
    free(t->syms);
    for (int32_t i = 0; i < t->n_pairs; i++) free(t->p[i].words);
    free(t->p);
    free(t->pht);
    free(t->heap);
    free(t->stamp);
    free(t->tarena);
    free(t->toff);
    free(t->tlen);
    free(t->tht);
    free(t->ml);
    free(t->mr);
}

/* The words' symbols (their bytes), the byte tokens, and the initial pair
 * counts. */
static int trainer_start(trainer *t) {
    size_t total = 0;
    for (int32_t i = 0; i < t->ws.n; i++) total += t->ws.w[i].len;
    t->syms = malloc((total ? total : 1) * sizeof *t->syms);
    t->stamp = calloc((size_t)t->ws.n, sizeof *t->stamp);
    t->cap_tok = 1024;
    t->toff = malloc((size_t)t->cap_tok * sizeof *t->toff);
    t->tlen = malloc((size_t)t->cap_tok * sizeof *t->tlen);
    t->tarena_cap = 65536;
    t->tarena = malloc(t->tarena_cap);
    if (!t->syms || !t->stamp || !t->toff || !t->tlen || !t->tarena || grow_pht(t))
        return TEAI_ENOMEM;
    for (int b = 0; b < 256; b++) {
        t->tarena[b] = (char)b;
        t->toff[b] = (size_t)b;
        t->tlen[b] = 1;
    }
    t->tarena_len = 256;
    t->n_tok = 256;
    if (grow_tht(t)) return TEAI_ENOMEM; /* index the 256 byte tokens */

    size_t o = 0;
    for (int32_t i = 0; i < t->ws.n; i++) {
        word *wd = &t->ws.w[i];
        const uint8_t *bytes = (const uint8_t *)t->ws.arena + wd->off;
        for (uint32_t k = 0; k < wd->len; k++) t->syms[o + k] = bytes[k];
        wd->off = o;
        o += wd->len;
        for (uint32_t k = 0; k + 1 < wd->len; k++) {
            int rc = pair_add(t, bytes[k], bytes[k + 1], wd->count, i);
            if (rc) return rc;
        }
    }
    free(t->ws.arena); /* the symbols replace the bytes */
    t->ws.arena = NULL;
    free(t->ws.ht);
    t->ws.ht = NULL;
    return TEAI_OK;
}

/* Merges until n_tok tokens exist or no pair is left. */
static int trainer_run(trainer *t, int32_t n_tok) {
    while (t->n_tok < n_tok && t->n_pairs > 0) {
        int32_t top = t->heap[0];
        if (t->p[top].count <= 0) break;
        int32_t a = (int32_t)(t->p[top].key >> 32), b = (int32_t)(uint32_t)t->p[top].key;
        int32_t z;
        int is_new;
        int rc = token_of_merge(t, a, b, &z, &is_new);
        if (!rc) rc = add_merge(t, a, b);
        if (rc) return rc;
        uint32_t mark = (uint32_t)t->n_merges; /* stamp of this merge */
        /* Rewriting a word adds only pairs with z, never (a, b), so the list
         * stays as it is; t->p may move (new pairs), hence no pointer into it. */
        int32_t n_words = t->p[top].n_words;
        for (int32_t k = 0; k < n_words; k++) {
            int32_t w = t->p[top].words[k];
            if (t->stamp[w] == mark) continue;
            t->stamp[w] = mark;
            if ((rc = merge_word(t, w, a, b, z))) return rc;
        }
        free(t->p[top].words);
        t->p[top].words = NULL;
        t->p[top].n_words = t->p[top].cap_words = 0;
    }
    return TEAI_OK;
}

/* The tokenizer: byte tokens, merged tokens, then the two control tokens. */
static int build(const trainer *t, teai_tokenizer **out, teai_error *err) {
    int32_t n_vocab = t->n_tok + 2;
    teai_tokenizer *tok = NULL;
    char *buf = NULL;
    int rc = teai__tok_alloc(n_vocab, TEAI__TOK_BPE, &tok);
    size_t cap = 64;
    for (int32_t i = 0; i < t->n_tok; i++)
        if ((size_t)t->tlen[i] * 2 + 64 > cap) cap = (size_t)t->tlen[i] * 2 + 64;
    if (!rc) {
        buf = malloc(cap);
        if (!buf) rc = TEAI_ENOMEM;
    }
    /* GPT-2 byte alphabet: every byte is one code point of 1 or 2 UTF-8 bytes */
    for (int32_t i = 0; i < t->n_tok && !rc; i++) {
        size_t n = 0;
        const uint8_t *s = (const uint8_t *)t->tarena + t->toff[i];
        for (uint32_t k = 0; k < t->tlen[i]; k++)
            n += (size_t)teai__utf8_encode(teai__byte_to_cp(s[k]), buf + n);
        rc = teai__tok_set_text(tok, i, buf, n);
    }
    static const char *const control[2] = {"<|begin_of_text|>", "<|end_of_text|>"};
    for (int k = 0; k < 2 && !rc; k++) {
        rc = teai__tok_set_text(tok, t->n_tok + k, control[k], strlen(control[k]));
        tok->type[t->n_tok + k] = TEAI__TOKEN_CONTROL;
    }
    if (!rc) rc = teai__tok_index(tok);
    if (rc) {
        rc = teai__fail(err, TEAI_ENOMEM, WHAT ": out of memory");
        goto done;
    }
    for (int32_t m = 0; m < t->n_merges && !rc; m++) {
        const char *l = teai__tok_text(tok, t->ml[m]), *r = teai__tok_text(tok, t->mr[m]);
        rc = teai__tok_add_merge(tok, l, tok->len[t->ml[m]], r, tok->len[t->mr[m]], WHAT ": merge",
                                 err);
    }
    if (rc) goto done;
    tok->bos = t->n_tok;
    tok->eos = t->n_tok + 1;
    tok->add_bos = 1;
    tok->ignore_merges = 1; /* as llama.cpp does for llama-bpe */
    teai__tok_set_pre(tok, "llama-bpe");
    rc = teai__tok_finish(tok, WHAT, err);
done:
    free(buf);
    if (rc) {
        teai__tokenizer_free(tok);
        return rc;
    }
    *out = tok;
    return TEAI_OK;
}

teai_tokenizer_train_params teai_tokenizer_train_default_params(void) {
    teai_tokenizer_train_params p;
    memset(&p, 0, sizeof p);
    p.n_vocab = 4096;
    p.n_threads = 0; /* training runs on one thread: 4 MB of text take about a second */
    return p;
}

int teai_tokenizer_train(const char *const *texts, const size_t *lens, int n_texts,
                         const teai_tokenizer_train_params *params, teai_tokenizer **out,
                         teai_error *err) {
    teai_tokenizer_train_params def = teai_tokenizer_train_default_params();
    if (!params) params = &def;
    if (!out) return teai__fail(err, TEAI_EINVAL, WHAT ": no place for the result");
    *out = NULL;
    if (params->n_vocab < 258 || params->n_vocab > TEAI__MAX_VOCAB)
        return teai__fail(err, TEAI_EINVAL,
                          WHAT ": n_vocab %d out of range (258..%d: 256 bytes, merges, "
                               "2 control tokens)",
                          params->n_vocab, TEAI__MAX_VOCAB);
    if (n_texts < 0 || (n_texts > 0 && !texts))
        return teai__fail(err, TEAI_EINVAL, WHAT ": %d texts", n_texts);

    trainer t;
    memset(&t, 0, sizeof t);
    int rc = words_grow_ht(&t.ws);
    for (int i = 0; i < n_texts && !rc; i++) {
        if (!texts[i]) continue;
        size_t n = lens ? lens[i] : strlen(texts[i]);
        rc = count_words(&t.ws, texts[i], n);
    }
    if (rc) {
        trainer_free(&t);
        return teai__fail(err, rc == TEAI_ENOMEM ? TEAI_ENOMEM : rc,
                          WHAT ": out of memory counting words");
    }
    if (t.ws.n == 0) {
        trainer_free(&t);
        return teai__fail(err, TEAI_EINVAL, WHAT ": no text to train on (%d texts, all empty)",
                          n_texts);
    }
    rc = trainer_start(&t);
    if (!rc) rc = trainer_run(&t, params->n_vocab - 2);
    if (rc) {
        trainer_free(&t);
        return teai__fail(err, TEAI_ENOMEM, WHAT ": out of memory");
    }
    rc = build(&t, out, err);
    trainer_free(&t);
    return rc;
}

/* ---- files ------------------------------------------------------------- */

void teai_tokenizer_free(teai_tokenizer *tok) {
    teai__tokenizer_free(tok);
}

int teai_tokenizer_load(const char *gguf_path, teai_tokenizer **out, teai_error *err) {
    if (!out) return teai__fail(err, TEAI_EINVAL, "tokenizer load: no place for the result");
    *out = NULL;
    if (!gguf_path) return teai__fail(err, TEAI_EINVAL, "tokenizer load: no path");
    teai_gguf *g = NULL;
    /* tensors (if any) are not touched */
    int rc = teai_gguf_open_ex(gguf_path, 0, &g, err);
    if (rc) return rc;
    rc = teai__tokenizer_from_gguf(g, out, err);
    teai_gguf_close(g);
    return rc;
}

int teai_tokenizer_save(const teai_tokenizer *tok, const char *gguf_path, teai_error *err) {
    if (!tok || !gguf_path)
        return teai__fail(err, TEAI_EINVAL, "tokenizer save: no %s", tok ? "path" : "tokenizer");
    /* general.name: the file's name without folder and ".gguf" */
    char name[256];
    const char *base = strrchr(gguf_path, '/');
    base = base ? base + 1 : gguf_path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".gguf") == 0) n -= 5;
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, base, n);
    name[n] = '\0';

    teai_gguf_writer *w = teai_gguf_writer_new();
    if (!w) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", gguf_path);
    int rc = teai_gguf_writer_set_str(w, "general.architecture", "llama");
    if (!rc) rc = teai_gguf_writer_set_str(w, "general.name", name[0] ? name : "tokenizer");
    if (!rc) rc = teai__tokenizer_write_gguf(tok, w);
    if (rc) {
        teai_gguf_writer_free(w);
        return teai__fail(err, rc, "%s: tokenizer keys: %s", gguf_path, teai_status_str(rc));
    }
    rc = teai_gguf_writer_begin(w, gguf_path, err);
    if (!rc) rc = teai_gguf_writer_finish(w, err);
    teai_gguf_writer_free(w);
    return rc;
}
