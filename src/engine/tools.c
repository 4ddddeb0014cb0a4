/* The wrappers of engine/tools.h; its other functions live where the engine
 * keeps them, and including their headers here checks the declarations
 * match. */
#include "tools.h"

#include "gguf.h"
#include "hf.h"
#include "model.h"
#include "quant.h"
#include "safetensors.h"
#include "tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *teai_gguf_get_str_dup(const teai_gguf *g, const char *key) {
    teai_gguf_str s;
    if (teai_gguf_kv_str(teai_gguf_get(g, key), &s) != TEAI_OK || s.len >= SIZE_MAX) return NULL;
    char *copy = malloc((size_t)s.len + 1);
    if (!copy) return NULL;
    memcpy(copy, s.ptr, (size_t)s.len);
    copy[s.len] = '\0';
    return copy;
}

int teai_gguf_tensor_desc(const teai_gguf *g, int64_t i, teai_tensor_desc *out) {
    const teai_gguf_tensor *t = teai_gguf_tensor_at(g, i);
    if (!t) return TEAI_EINVAL;
    out->name = t->name;
    /* unused dimensions are 1 */
    out->elements =
        (uint64_t)t->ne[0] * (uint64_t)t->ne[1] * (uint64_t)t->ne[2] * (uint64_t)t->ne[3];
    out->nbytes = t->nbytes;
    const char *name = teai_type_name((teai_type)t->type);
    if (name && teai_type_is_known(t->type))
        snprintf(out->type, sizeof out->type, "%s", name);
    else
        snprintf(out->type, sizeof out->type, "type%u", (unsigned)t->type);
    return TEAI_OK;
}

int teai_st_tensor_desc(const teai_st *st, int64_t i, teai_tensor_desc *out) {
    const teai_st_tensor *t = teai_st_tensor_at(st, i);
    if (!t) return TEAI_EINVAL;
    out->name = t->name;
    out->elements = 1;
    for (int d = 0; d < t->n_dims; d++) out->elements *= (uint64_t)t->shape[d];
    out->nbytes = t->nbytes;
    snprintf(out->type, sizeof out->type, "%s", t->dtype);
    return TEAI_OK;
}
