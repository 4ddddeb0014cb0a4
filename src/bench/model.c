/* The model of a configuration (bench.h): the one given, else the seed's
 * places (models/, then the Hugging Face cache), or a synthesized stand-in
 * of the seed's size, made once and cached. */
#include "bench/bench_impl.h"
#include "engine/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The GGUF type per quantization name (the llama.cpp backends read it): the
 * seed's for its names, the same-named type for the GGUF ones. */
static const char *gguf_suffix(const char *q) {
    static const char *map[][2] = {{"int8", "Q8_0"}, {"nf4", "Q4_K_M"},    {"float16", "F16"},
                                   {"fp16", "F16"},  {"f16", "F16"},       {"q8_0", "Q8_0"},
                                   {"q6_k", "Q6_K"}, {"q4_k_m", "Q4_K_M"}, {"q4_0", "Q4_0"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcasecmp(q, map[i][0]) == 0) return map[i][1];
    return "Q6_K";
}

static int uses_gguf_types(const char *backend) {
    return strcmp(backend, "llamacpp") == 0 || strcmp(backend, "llama-bench") == 0;
}

static const char *synth_shape(const char *size) {
    if (strcmp(size, "1B") == 0) return "llama-3.2-1b";
    if (strcmp(size, "3B") == 0) return "llama-3.2-3b";
    if (strcmp(size, "8B") == 0) return "llama-3.1-8b";
    return NULL;
}

static int exists(const char *path) {
    return access(path, R_OK) == 0;
}

static void lowercase(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/* A synthesized model of p->size in the cache; made when missing. */
static int synthetic_model(const teai_bench_params *p, char *out, size_t cap, teai_error *err) {
    const char *shape = synth_shape(p->size);
    if (!shape)
        return teai__fail(err, TEAI_EINVAL, "--synthetic: no synthesized shape for %s (1B, 3B, 8B)",
                          p->size);
    /* llama.cpp backends read the seed's GGUF type; the native engine reads
     * fp16 weights and quantizes at load time, as the seed's tinygrad did */
    char type[16];
    snprintf(type, sizeof type, "%s",
             uses_gguf_types(p->backend) ? gguf_suffix(p->quantize) : "f16");
    lowercase(type);
    const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[4096], vocab[4200];
    if (cache && *cache)
        snprintf(dir, sizeof dir, "%s/teai", cache);
    else
        snprintf(dir, sizeof dir, "%s/.cache/teai", home ? home : ".");
    snprintf(vocab, sizeof vocab, "%s/llama.cpp/src/models/ggml-vocab-llama-bpe.gguf", dir);
    int real_vocab = exists(vocab);
    int n = snprintf(out, cap, "%s/models/synthetic-%s-%s%s.gguf", dir, shape, type,
                     real_vocab ? "" : "-bytevocab");
    if (n < 0 || (size_t)n >= cap) return teai__fail(err, TEAI_ERANGE, "%s: path too long", dir);
    if (exists(out)) return TEAI_OK;
    char models[4200];
    snprintf(models, sizeof models, "%s/models", dir);
    int rc = teai__mkdirs(models, err);
    if (rc != TEAI_OK) return rc;
    teai_synth_params sp = teai_synth_default_params();
    teai_synth_shape(shape, &sp.hp);
    sp.shape_name = shape;
    sp.type = type;
    sp.vocab_from = real_vocab ? vocab : NULL;
    sp.n_threads = p->threads;
    teai__notef(p->note, p->ud, "synthesizing %s (%s) once, into %s", shape, type, out);
    return teai_model_synth(&sp, out, err);
}

/* 1 if the file is a model teai synthesized (its teai.synthetic key). */
static int is_synthetic(const char *path) {
    teai_gguf *g = NULL;
    if (teai_gguf_open(path, &g, NULL) != TEAI_OK) return 0;
    int yes = teai_gguf_get_int(g, "teai.synthetic", 0) != 0;
    teai_gguf_close(g);
    return yes;
}

/* Makes the seed's GGUF file want from a higher-precision one in models/, as
 * the original workflow's llama-quantize step did. 1 when a source was
 * found (*rc: how making it went), 0 when none was. */
static int make_missing(const teai_bench_params *p, const char *want, int *rc, teai_error *err) {
    static const char *from[] = {"F32", "BF16", "F16", "Q8_0"};
    const char *to = gguf_suffix(p->quantize);
    char src[4096];
    for (size_t i = 0; i < sizeof from / sizeof *from; i++) {
        if (strcmp(from[i], to) == 0) break;
        snprintf(src, sizeof src, "models/Llama-3.2-%s-Instruct-%s.gguf", p->size, from[i]);
        if (!exists(src)) continue;
        char type[16];
        snprintf(type, sizeof type, "%s", to);
        lowercase(type);
        teai__notef(p->note, p->ud, "making %s from %s (teai model quantize)", want, src);
        *rc = teai_model_quantize(src, want, type, p->threads, err);
        return 1;
    }
    return 0;
}

int teai_bench_find_model(const teai_bench_params *p, teai_bench_model *out, teai_error *err) {
    out->path[0] = out->looked[0] = '\0';
    out->synthetic = 0;
    const size_t cap = sizeof out->path;
    if (p->model) {
        int rc = teai_hf_resolve(p->model, out->path, cap, err);
        if (!rc) out->synthetic = is_synthetic(out->path);
        return rc;
    }
    if (strcmp(p->backend, "openai") == 0 || strcmp(p->backend, "tinygrad") == 0)
        return TEAI_OK; /* the server or the script has its own model */
    if (p->synthetic) {
        out->synthetic = 1;
        return synthetic_model(p, out->path, cap, err);
    }
    char cand[4096];
    size_t used = 0;
    /* a candidate: out->path when it exists; else listed in out->looked */
#define TRY(...)                                                                                   \
    do {                                                                                           \
        snprintf(cand, sizeof cand, __VA_ARGS__);                                                  \
        if (exists(cand)) {                                                                        \
            snprintf(out->path, cap, "%s", cand);                                                  \
            return TEAI_OK;                                                                        \
        }                                                                                          \
        used += (size_t)snprintf(out->looked + used,                                               \
                                 used < sizeof out->looked ? sizeof out->looked - used : 0,        \
                                 "\n  %s", cand);                                                  \
    } while (0)
    if (uses_gguf_types(p->backend)) {
        TRY("models/Llama-3.2-%s-Instruct-%s.gguf", p->size, gguf_suffix(p->quantize));
        int rc;
        if (p->make_missing && make_missing(p, cand, &rc, err)) {
            out->looked[0] = '\0';
            if (!rc) snprintf(out->path, cap, "%s", cand);
            return rc;
        }
    } else {
        TRY("models/Llama-3.2-%s-Instruct", p->size);
        TRY("models/Llama-3.2-%s-Instruct-F16.gguf", p->size);
    }
#undef TRY
    char spec[128];
    snprintf(spec, sizeof spec, "meta-llama/Llama-3.2-%s-Instruct", p->size);
    if (!uses_gguf_types(p->backend) && teai_hf_resolve(spec, out->path, cap, NULL) == TEAI_OK) {
        out->looked[0] = '\0';
        return TEAI_OK;
    }
    out->path[0] = '\0';
    used += (size_t)snprintf(out->looked + used,
                             used < sizeof out->looked ? sizeof out->looked - used : 0,
                             "\n  the Hugging Face cache (%s)", spec);
    return teai__fail(err, TEAI_ENOTFOUND, "no %s model of size %s found", p->quantize, p->size);
}
