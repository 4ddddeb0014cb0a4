/* Fuzz target: the KL base-file reader (src/eval/kl_base.c) over arbitrary
 * bytes. A file it accepts must have sizes that fit the input, token ids
 * inside the vocabulary, and every chunk must read back or fail cleanly. */
#define _GNU_SOURCE
#include "eval/ppl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    teai_kl_base b;
    teai_error err = {0};
    int rc = teai_kl_base_open_stream(f, "fuzz.kl", &b, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || err.status != rc || !err.msg[0] || b.f || b.tokens) abort();
        return 0;
    }
    int64_t units = teai_kl_row_units(b.n_vocab), n_score = b.n_ctx - 1 - b.n_ctx / 2;
    if (b.n_ctx < 3 || b.n_vocab < 1 || b.n_chunk < 1) abort();
    if ((uint64_t)(4 * (int64_t)b.n_ctx * b.n_chunk + 2 * units * n_score * b.n_chunk) > size)
        abort();
    for (int64_t i = 0; i < (int64_t)b.n_ctx * b.n_chunk; i++)
        if (b.tokens[i] < 0 || b.tokens[i] >= b.n_vocab) abort();
    uint16_t *rows = malloc(sizeof(uint16_t) * (size_t)(units * n_score));
    if (rows) {
        for (int c = 0; c < b.n_chunk; c++)
            if (teai_kl_base_read_chunk(&b, c, rows, &err) != TEAI_OK && !err.msg[0]) abort();
        if (teai_kl_base_read_chunk(&b, b.n_chunk, rows, &err) == TEAI_OK) abort();
    }
    free(rows);
    char v[64];
    teai_kl_base_meta(&b, "model", v, sizeof v);
    teai_kl_base_meta(&b, "n_ctx", v, 1);
    teai_kl_base_close(&b);
    return 0;
}
