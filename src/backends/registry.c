/* The backends teai knows, and which of them this build has. */
#include "backends/backend.h"

#include <string.h>

extern const teai_backend_ops teai__backend_native;
#if TEAI_HAVE_LLAMA
extern const teai_backend_ops teai__backend_llamacpp;
#endif
#if TEAI_HAVE_CURL
extern const teai_backend_ops teai__backend_openai;
#endif
extern const teai_backend_ops teai__backend_llama_bench;
extern const teai_backend_ops teai__backend_tinygrad;

static const char *const names[] = {"native", "llamacpp", "llama-bench",
                                    "openai", "tinygrad", NULL};

const char *const *teai_backend_names(void) {
    return names;
}

const teai_backend_ops *teai_backend_find(const char *name, const char **why) {
    static const char *none = "";
    if (why) *why = none;
    if (strcmp(name, "native") == 0) return &teai__backend_native;
    if (strcmp(name, "llamacpp") == 0) {
#if TEAI_HAVE_LLAMA
        return &teai__backend_llamacpp;
#else
        if (why)
            *why = "built without llama.cpp's llama.h (run scripts/provision-llama.sh, or "
                   "configure with -DTEAI_LLAMA_CPP=DIR, then rebuild)";
        return NULL;
#endif
    }
    if (strcmp(name, "openai") == 0) {
#if TEAI_HAVE_CURL
        return &teai__backend_openai;
#else
        if (why)
            *why = "built without libcurl (install libcurl4-openssl-dev, then rebuild; the "
                   "openai backend also needs cJSON: libcjson-dev)";
        return NULL;
#endif
    }
    if (strcmp(name, "llama-bench") == 0) return &teai__backend_llama_bench;
    if (strcmp(name, "tinygrad") == 0) return &teai__backend_tinygrad;
    if (why) *why = "unknown backend (native, llamacpp, llama-bench, openai, tinygrad)";
    return NULL;
}
