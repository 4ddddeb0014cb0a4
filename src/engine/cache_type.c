/* The KV cache's element types by name (--cache-type) and as ggml types. */
#include "teai/engine.h"

#include <string.h>

int teai_cache_type_from_name(const char *name, teai_cache_type *out) {
    static const struct {
        const char *name;
        teai_cache_type t;
    } names[] = {{"default", TEAI_CACHE_F16},
                 {"f16", TEAI_CACHE_F16},
                 {"f32", TEAI_CACHE_F32},
                 {"q8_0", TEAI_CACHE_Q8_0}};
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i].name)) {
            *out = names[i].t;
            return TEAI_OK;
        }
    return TEAI_EINVAL;
}

const char *teai_cache_type_name(teai_cache_type t) {
    switch (t) {
        case TEAI_CACHE_F32:
            return "f32";
        case TEAI_CACHE_Q8_0:
            return "q8_0";
        default:
            return "f16";
    }
}

uint32_t teai_cache_type_ggml(teai_cache_type t) {
    switch (t) {
        case TEAI_CACHE_F32:
            return TEAI_TYPE_F32;
        case TEAI_CACHE_Q8_0:
            return TEAI_TYPE_Q8_0;
        default:
            return TEAI_TYPE_F16;
    }
}
