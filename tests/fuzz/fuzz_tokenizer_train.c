/* Fuzz target: the byte-level BPE trainer (src/engine/tokenizer_train.c) on
 * arbitrary bytes, which is what a user's "text" may be. Training either
 * fails with a message or gives a tokenizer that encodes the same bytes back
 * exactly (every byte has a token, so any input round-trips), the same
 * tokenizer each time. */
#include "teai/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The ids of text, decoded piece by piece back into out; the byte count. */
static long round_trip(const teai_tokenizer *tok, const char *text, size_t n, int32_t *ids,
                       char *out, int *n_ids) {
    if (teai_tokenize(tok, text, n, 0, 0, ids, (int)n + 1, n_ids) != TEAI_OK) return -1;
    long len = 0;
    for (int i = 0; i < *n_ids; i++) {
        char piece[256];
        int k = teai_token_to_piece(tok, ids[i], 0, piece, sizeof piece);
        if (k < 0 || k > (int)sizeof piece || (size_t)(len + k) > n) return -1;
        memcpy(out + len, piece, (size_t)k);
        len += k;
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 4096) return 0;
    /* the first byte picks the vocabulary size: 258 .. 513 */
    teai_tokenizer_train_params p = teai_tokenizer_train_default_params();
    p.n_vocab = 258 + data[0];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    teai_tokenizer *a = NULL, *b = NULL;
    teai_error err = {0};
    int rc = teai_tokenizer_train(&text, &n, 1, &p, &a, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || !err.msg[0] || a) abort();
        return 0;
    }
    if (teai_tokenizer_n_vocab(a) > p.n_vocab || teai_tokenizer_n_vocab(a) < 258) abort();
    int32_t *ia = malloc(sizeof(int32_t) * (n + 1)), *ib = malloc(sizeof(int32_t) * (n + 1));
    char *out = malloc(n + 1);
    if (ia && ib && out) {
        int na = 0, nb = 0;
        long len = round_trip(a, text, n, ia, out, &na);
        if (len != (long)n || memcmp(out, text, n) != 0) abort();
        if (teai_tokenizer_train(&text, &n, 1, &p, &b, &err) != TEAI_OK) abort();
        if (round_trip(b, text, n, ib, out, &nb) != (long)n || na != nb ||
            memcmp(ia, ib, sizeof(int32_t) * (size_t)na) != 0)
            abort();
    }
    free(ia), free(ib), free(out);
    teai_tokenizer_free(a);
    teai_tokenizer_free(b);
    return 0;
}
