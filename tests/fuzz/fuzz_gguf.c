/* Fuzz target: the GGUF reader over arbitrary bytes, then every accessor on
 * whatever it accepted, and the layout it promises (tensor data aligned,
 * inside the file, no two tensors' data overlapping). */
#include "gguf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    teai_gguf *g = NULL;
    teai_error err;
    if (teai_gguf_open_mem(data, size, "fuzz.gguf", &g, &err) != TEAI_OK) return 0;
    volatile double sink = 0;
    for (int64_t i = 0; i < teai_gguf_n_kv(g); i++) {
        const teai_gguf_kv *kv = teai_gguf_kv_at(g, i);
        int64_t v;
        double f;
        teai_gguf_str s;
        if (teai_gguf_kv_int(kv, &v) == TEAI_OK) sink += (double)v;
        if (teai_gguf_kv_float(kv, &f) == TEAI_OK) sink += f;
        if (teai_gguf_kv_str(kv, &s) == TEAI_OK && s.len) sink += s.ptr[s.len - 1];
        if (kv->type == TEAI_GGUF_ARRAY)
            for (uint64_t j = 0; j < kv->arr_n && j < 64; j++) {
                if (kv->arr_type == TEAI_GGUF_STRING) {
                    if (kv->arr_strs[j].len) sink += kv->arr_strs[j].ptr[kv->arr_strs[j].len - 1];
                } else {
                    sink += teai_gguf_arr_float(kv, j) + (double)teai_gguf_arr_int(kv, j);
                }
            }
    }
    /* what was accepted: each tensor's data aligned, inside the input, and
     * overlapping no other tensor's */
    uint64_t aln = teai_gguf_alignment(g);
    const uint8_t *base = data, *end = data + size;
    for (int64_t i = 0; i < teai_gguf_n_tensors(g); i++) {
        const teai_gguf_tensor *t = teai_gguf_tensor_at(g, i);
        if (t->offset % aln) abort();
        if (!t->data) continue;
        const uint8_t *p = t->data;
        if (p < base || t->nbytes > (uint64_t)(end - p) || (uint64_t)(p - base) % aln) abort();
        if (t->nbytes) sink += p[t->nbytes - 1];
        for (int64_t j = 0; j < i && i < 256; j++) {
            const teai_gguf_tensor *u = teai_gguf_tensor_at(g, j);
            if (u->data && t->offset < u->offset + u->nbytes && u->offset < t->offset + t->nbytes)
                abort();
        }
    }
    (void)sink;
    teai_gguf_close(g);
    return 0;
}
