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

typedef struct session {
    const teai_tokenizer *t;
    const char *text; /* escaped */
    sym *syms;
    teai__bigram_heap heap;
} session;

static int add_bigram(session *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return TEAI_OK;
    const sym *l = &s->syms[left], *r = &s->syms[right];
    uint32_t size = l->n + r->n;
    int32_t id = teai__tok_lookup(s->t, s->text + l->start, size);
    if (id < 0) return TEAI_OK;
    /* the highest score pops first: key = -score */
    return teai__bigram_push(
        &s->heap, (teai__bigram){-(double)s->t->score[id], left, right, (int32_t)size, 0});
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

    while (s.heap.n > 0) {
        teai__bigram b = teai__bigram_pop(&s.heap);
        sym *l = &s.syms[b.left], *r = &s.syms[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != (uint32_t)b.a) continue; /* stale */
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
    free(s.heap.v);
    return rc;
}
