/* Fuzz target: the safetensors header parser over arbitrary bytes. Every
 * tensor it accepts must lie inside the input and be found by name. */
#include "safetensors.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    teai_st *st = NULL;
    teai_error err = {0};
    int rc = teai_st_open_mem(data, size, "fuzz.safetensors", &st, &err);
    if (rc != TEAI_OK) {
        if (st || rc >= 0 || err.status != rc || !err.msg[0]) abort();
        return 0;
    }
    volatile uint8_t sink = 0;
    int64_t n = teai_st_n_tensors(st);
    for (int64_t i = 0; i < n; i++) {
        const teai_st_tensor *t = teai_st_tensor_at(st, i);
        if (!t || teai_st_find(st, t->name) != t) abort();
        const uint8_t *p = t->data;
        if (p < data || t->nbytes > size || p > data + size - t->nbytes) abort();
        if (t->file_offset != (uint64_t)(p - data)) abort();
        if (t->n_dims < 0 || t->n_dims > TEAI_ST_MAX_DIMS) abort();
        if (teai_st_dtype_size(t->dtype) == 0) abort();
        if (t->nbytes) sink ^= (uint8_t)(p[0] ^ p[t->nbytes - 1]);
    }
    (void)teai_st_metadata(st, "format");
    (void)sink;
    teai_st_close(st);
    return 0;
}
