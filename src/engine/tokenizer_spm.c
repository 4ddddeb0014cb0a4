/* SentencePiece BPE ("llama" vocabularies), as llama.cpp's
 * llm_tokenizer_spm_session: spaces become "▁" (and one is prepended when
 * asked), the text splits into UTF-8 characters, and any two adjacent
 * symbols whose concatenation is a token merge, highest token score first
 * (leftmost on ties). Symbols left that are not tokens become their bytes'
 * <0xXX> tokens. Cost: O(m log m) for m characters. */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct sym {
    uint32_t start, n; /* bytes of the escaped text; n = 0: merged away */
    int32_t prev, next;
} sym;

typedef struct bigram {
    float score;
    int32_t left, right;
    uint32_t size; /* bytes of left + right when made */
} bigram;

typedef struct session {
    const teai_tokenizer *t;
    const char *text; /* escaped */
    sym *syms;
    bigram *heap;
    size_t heap_n, heap_cap;
} session;

/* Heap order: higher score first, then leftmost. */
static int before(const bigram *a, const bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static int heap_push(session *s, bigram b) {
    if (s->heap_n == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        bigram *h = realloc(s->heap, cap * sizeof *h);
        if (!h) return TEAI_ENOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    size_t i = s->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&b, &s->heap[p])) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = b;
    return TEAI_OK;
}

static bigram heap_pop(session *s) {
    bigram top = s->heap[0];
    bigram last = s->heap[--s->heap_n];
    size_t i = 0, n = s->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const bigram *best = &last;
        if (l < n && before(&s->heap[l], best)) {
            m = l;
            best = &s->heap[l];
        }
        if (r < n && before(&s->heap[r], best)) m = r;
        if (m == i) break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (n > 0) s->heap[i] = last;
    return top;
}

static int add_bigram(session *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return TEAI_OK;
    const sym *l = &s->syms[left], *r = &s->syms[right];
    uint32_t size = l->n + r->n;
    int32_t id = teai__tok_lookup(s->t, s->text + l->start, size);
    if (id < 0) return TEAI_OK;
    return heap_push(s, (bigram){s->t->score[id], left, right, size});
}

static int emit_bytes(const teai_tokenizer *t, const char *p, uint32_t n, teai__ids *out) {
    for (uint32_t j = 0; j < n; j++) {
        int32_t id = t->byte_tok[(uint8_t)p[j]];
        if (id < 0) id = t->unk; /* llama.cpp would throw here */
        if (id >= 0 && teai__ids_push(out, id)) return TEAI_ENOMEM;
    }
    return TEAI_OK;
}

int teai__spm_encode(const teai_tokenizer *t, const char *text, size_t len, int prefix_space,
                     teai__ids *out) {
    static const char ws[3] = {'\xe2', '\x96', '\x81'}; /* U+2581 "▁" */
    size_t n_space = 0;
    for (size_t i = 0; i < len; i++) n_space += text[i] == ' ';
    size_t elen = len + 2 * n_space + (prefix_space ? 3 : 0); /* " " -> 3 bytes */
    if (elen == 0) return TEAI_OK;
    if (elen > UINT32_MAX / 2) return TEAI_ENOMEM;

    session s = {0};
    int rc = TEAI_ENOMEM;
    char *esc = malloc(elen);
    s.syms = malloc(elen * sizeof *s.syms);
    if (!esc || !s.syms) goto done;
    size_t o = 0;
    if (prefix_space) {
        memcpy(esc, ws, 3);
        o = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(esc + o, ws, 3);
            o += 3;
        } else {
            esc[o++] = text[i];
        }
    }
    s.t = t;
    s.text = esc;

    int32_t n_sym = 0;
    for (size_t p = 0; p < elen;) {
        size_t k = (size_t)teai__utf8_len((uint8_t)esc[p]);
        if (k > elen - p) k = elen - p;
        s.syms[n_sym] = (sym){(uint32_t)p, (uint32_t)k, n_sym - 1, -1};
        if (n_sym > 0) s.syms[n_sym - 1].next = n_sym;
        n_sym++;
        p += k;
    }
    for (int32_t i = 1; i < n_sym; i++)
        if (add_bigram(&s, i - 1, i)) goto done;

    while (s.heap_n > 0) {
        bigram b = heap_pop(&s);
        sym *l = &s.syms[b.left], *r = &s.syms[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s.syms[r->next].prev = b.left;
        if (add_bigram(&s, l->prev, b.left) || add_bigram(&s, b.left, l->next)) goto done;
    }

    for (int32_t i = 0; i >= 0; i = s.syms[i].next) {
        const sym *y = &s.syms[i];
        int32_t id = teai__tok_lookup(t, esc + y->start, y->n);
        if (id >= 0) {
            if (teai__ids_push(out, id)) goto done;
        } else if (emit_bytes(t, esc + y->start, y->n, out)) {
            goto done;
        }
    }
    rc = TEAI_OK;
done:
    free(esc);
    free(s.syms);
    free(s.heap);
    return rc;
}
