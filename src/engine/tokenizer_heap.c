/* The binary heap of candidate merges both BPE encoders share. */
#include "tokenizer_impl.h"

#include <stdlib.h>

static int before(const teai__bigram *x, const teai__bigram *y) {
    return x->key < y->key || (x->key == y->key && x->left < y->left);
}

int teai__bigram_push(teai__bigram_heap *h, teai__bigram b) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        teai__bigram *v = realloc(h->v, cap * sizeof *v);
        if (!v) return TEAI_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&b, &h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = b;
    return TEAI_OK;
}

teai__bigram teai__bigram_pop(teai__bigram_heap *h) {
    teai__bigram top = h->v[0];
    teai__bigram last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const teai__bigram *best = &last;
        if (l < n && before(&h->v[l], best)) {
            m = l;
            best = &h->v[l];
        }
        if (r < n && before(&h->v[r], best)) m = r;
        if (m == i) break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (n > 0) h->v[i] = last;
    return top;
}
