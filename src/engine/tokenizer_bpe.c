/* Byte-level BPE ("gpt2" vocabularies): the text is split into words by the
 * pre-tokenizer, each word's bytes become their GPT-2 byte-level characters,
 * and adjacent symbols merge lowest merge rank first (leftmost on ties) until
 * no listed merge applies; llama.cpp's llm_tokenizer_bpe_session.
 * Cost per word: O(m log m) for m bytes (a heap of candidate merges). */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct sym {
    int32_t id;         /* token of this symbol; -1: a byte without a token */
    int32_t prev, next; /* neighbours in the word, -1 at the ends */
    uint32_t n;         /* bytes of the word covered; 0 = merged away */
} sym;

typedef struct session {
    const teai_tokenizer *t;
    teai__ids *out;
    sym *syms;
    size_t syms_cap;
    teai__bigram_heap heap;
    char *enc; /* byte-level encoding of the current word */
    size_t enc_cap;
} session;

/* Rank of merging tokens (l, r), or -1. */
static int32_t merge_rank(const teai_tokenizer *t, int32_t l, int32_t r) {
    if (l < 0 || r < 0 || t->n_merges == 0) return -1;
    uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
    uint32_t i = (uint32_t)teai__hash_pair(key) & t->mh_mask;
    while (t->mh_key[i] != UINT64_MAX) {
        if (t->mh_key[i] == key) return t->mh_rank[i];
        i = (i + 1) & t->mh_mask;
    }
    return -1;
}

static int add_bigram(session *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return TEAI_OK;
    int32_t lid = s->syms[left].id, rid = s->syms[right].id;
    int32_t rank = merge_rank(s->t, lid, rid);
    if (rank < 0) return TEAI_OK;
    return teai__bigram_push(&s->heap, (teai__bigram){rank, left, right, lid, rid});
}

static int encode_word(session *s, const uint8_t *w, size_t n) {
    const teai_tokenizer *t = s->t;
    if (n > INT32_MAX / 2) return TEAI_ENOMEM;

    if (t->ignore_merges) { /* a word that is a token is taken whole */
        if (s->enc_cap < n * 2) {
            char *e = realloc(s->enc, n * 2);
            if (!e) return TEAI_ENOMEM;
            s->enc = e;
            s->enc_cap = n * 2;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            m += (size_t)teai__utf8_encode(teai__byte_to_cp(w[i]), s->enc + m);
        int32_t id = teai__tok_lookup(t, s->enc, m);
        if (id >= 0) return teai__ids_push(s->out, id);
    }

    if (s->syms_cap < n) {
        sym *v = realloc(s->syms, n * sizeof *v);
        if (!v) return TEAI_ENOMEM;
        s->syms = v;
        s->syms_cap = n;
    }
    for (size_t i = 0; i < n; i++)
        s->syms[i] = (sym){t->byte_tok[w[i]], (int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1, 1};
    s->heap.n = 0;
    for (size_t i = 1; i < n; i++)
        if (add_bigram(s, (int32_t)i - 1, (int32_t)i)) return TEAI_ENOMEM;

    while (s->heap.n > 0) {
        teai__bigram b = teai__bigram_pop(&s->heap);
        sym *l = &s->syms[b.left], *r = &s->syms[b.right];
        /* Stale when either side merged since: ids identify the texts. */
        if (l->n == 0 || r->n == 0 || l->id != b.a || r->id != b.b) continue;
        l->id = t->merge_result[(int32_t)b.key];
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s->syms[r->next].prev = b.left;
        if (add_bigram(s, l->prev, b.left) || add_bigram(s, b.left, l->next)) return TEAI_ENOMEM;
    }

    for (int32_t i = 0; i >= 0; i = s->syms[i].next) {
        const sym *y = &s->syms[i];
        if (y->id >= 0) {
            if (teai__ids_push(s->out, y->id)) return TEAI_ENOMEM;
            continue;
        }
        /* A byte whose character is not a token: llama.cpp tries each byte
         * of the character's UTF-8 as a one-byte token, else drops it. */
        char enc[4];
        int k = teai__utf8_encode(teai__byte_to_cp(w[i]), enc);
        for (int j = 0; j < k; j++) {
            int32_t id = teai__tok_lookup(t, enc + j, 1);
            if (id >= 0 && teai__ids_push(s->out, id)) return TEAI_ENOMEM;
        }
    }
    return TEAI_OK;
}

typedef struct word_ctx {
    session *s;
    const char *text;
} word_ctx;

static int on_word(void *ctx, size_t start, size_t end) {
    word_ctx *c = ctx;
    return encode_word(c->s, (const uint8_t *)c->text + start, end - start);
}

int teai__bpe_encode(const teai_tokenizer *t, const char *text, size_t len, teai__ids *out) {
    session s = {0};
    s.t = t;
    s.out = out;
    word_ctx c = {&s, text};
    int rc = teai__pretok_split(t->pre, text, len, on_word, &c);
    free(s.syms);
    free(s.heap.v);
    free(s.enc);
    return rc;
}
