/* Model lookup for `teai bench` (the seed's places, then the Hugging Face
 * cache) and synthesized stand-ins of the seed's sizes, made once and cached. */
#include "bench.h"
#include "cli.h"
#include "engine/gguf.h"
#include "engine/hf.h"
#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The seed's GGUF type per quantization name (DESIGN §6). */
static const char *gguf_suffix(const char *q) {
    if (strcmp(q, "int8") == 0) return "Q8_0";
    if (strcmp(q, "nf4") == 0) return "Q4_K_M";
    if (strcmp(q, "float16") == 0) return "F16";
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

static int exists(const char *p) {
    return access(p, R_OK) == 0;
}

/* A synthesized model of o->size in the cache; made when missing. */
static int synthetic_model(const bench_opts *o, char *out, size_t cap) {
    const char *shape = synth_shape(o->size);
    if (!shape) {
        fprintf(stderr, "teai bench: --synthetic: no synthesized shape for %s (1B, 3B, 8B)\n",
                o->size);
        return CLI_EXIT_USAGE;
    }
    /* llama.cpp backends read the seed's GGUF type; the native engine reads
     * fp16 weights and quantizes at load time, as the seed's tinygrad did */
    char type[16];
    snprintf(type, sizeof type, "%s",
             uses_gguf_types(o->backend) ? gguf_suffix(o->quantize) : "f16");
    for (char *c = type; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[4096], vocab[4200];
    if (cache && *cache)
        snprintf(dir, sizeof dir, "%s/teai", cache);
    else
        snprintf(dir, sizeof dir, "%s/.cache/teai", home ? home : ".");
    snprintf(vocab, sizeof vocab, "%s/llama.cpp/src/models/ggml-vocab-llama-bpe.gguf", dir);
    int real_vocab = exists(vocab);
    snprintf(out, cap, "%s/models/synthetic-%s-%s%s.gguf", dir, shape, type,
             real_vocab ? "" : "-bytevocab");
    if (exists(out)) return CLI_EXIT_OK;
    char models[4200];
    snprintf(models, sizeof models, "%s/models", dir);
    teai_error merr = {0};
    if (teai__mkdirs(models, &merr) != TEAI_OK) return cli_fail("bench", &merr, merr.status);
    teai_synth_params p = teai_synth_default_params();
    teai_synth_shape(shape, &p.hp);
    p.shape_name = shape;
    p.type = type;
    p.vocab_from = real_vocab ? vocab : NULL;
    p.n_threads = o->threads;
    fprintf(stderr, "teai bench: synthesizing %s (%s) once, into %s\n", shape, type, out);
    teai_error err = {0};
    int rc = teai_model_synth(&p, out, &err);
    return rc ? cli_fail("bench", &err, rc) : CLI_EXIT_OK;
}

/* 1 when the file is a model teai synthesized (its teai.synthetic key). */
static int is_synthetic(const char *path) {
    teai_gguf *g = NULL;
    if (teai_gguf_open(path, &g, NULL) != TEAI_OK) return 0;
    int yes = teai_gguf_get_int(g, "teai.synthetic", 0) != 0;
    teai_gguf_close(g);
    return yes;
}

int bench_model(const bench_opts *o, char *out, size_t cap, int *synthetic) {
    *synthetic = 0;
    out[0] = '\0';
    if (o->model) {
        int rc = cli_resolve_model("bench", o->model, out, cap);
        if (!rc) *synthetic = is_synthetic(out);
        return rc;
    }
    if (strcmp(o->backend, "openai") == 0 || strcmp(o->backend, "tinygrad") == 0)
        return CLI_EXIT_OK; /* the server or the script has its own model */
    if (o->synthetic) {
        *synthetic = 1;
        return synthetic_model(o, out, cap);
    }
    char looked[8192] = "", cand[4096];
    size_t used = 0;
#define TRY(...)                                                                                   \
    do {                                                                                           \
        snprintf(cand, sizeof cand, __VA_ARGS__);                                                  \
        if (exists(cand)) {                                                                        \
            snprintf(out, cap, "%s", cand);                                                        \
            return CLI_EXIT_OK;                                                                    \
        }                                                                                          \
        used += (size_t)snprintf(looked + used, used < sizeof looked ? sizeof looked - used : 0,   \
                                 "\n  %s", cand);                                                  \
    } while (0)
    if (uses_gguf_types(o->backend)) {
        TRY("models/Llama-3.2-%s-Instruct-%s.gguf", o->size, gguf_suffix(o->quantize));
        if (o->make_missing) {
            /* make the seed's file from a higher-precision one, as the
             * original workflow's llama-quantize step did */
            static const char *from[] = {"F32", "BF16", "F16", "Q8_0"};
            char want[4096], src[4096];
            snprintf(want, sizeof want, "models/Llama-3.2-%s-Instruct-%s.gguf", o->size,
                     gguf_suffix(o->quantize));
            for (size_t i = 0; i < sizeof from / sizeof *from; i++) {
                if (strcmp(from[i], gguf_suffix(o->quantize)) == 0) break;
                snprintf(src, sizeof src, "models/Llama-3.2-%s-Instruct-%s.gguf", o->size, from[i]);
                if (!exists(src)) continue;
                char type[16];
                snprintf(type, sizeof type, "%s", gguf_suffix(o->quantize));
                for (char *c = type; *c; c++)
                    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
                fprintf(stderr, "teai bench: making %s from %s (teai model quantize)\n", want, src);
                teai_error qerr = {0};
                int rc = teai_model_quantize(src, want, type, o->threads, &qerr);
                if (rc) return cli_fail("bench", &qerr, rc);
                snprintf(out, cap, "%s", want);
                return CLI_EXIT_OK;
            }
        }
    } else {
        TRY("models/Llama-3.2-%s-Instruct", o->size);
        TRY("models/Llama-3.2-%s-Instruct-F16.gguf", o->size);
    }
#undef TRY
    char spec[128];
    snprintf(spec, sizeof spec, "meta-llama/Llama-3.2-%s-Instruct", o->size);
    teai_error err = {0};
    if (!uses_gguf_types(o->backend) && teai_hf_resolve(spec, out, cap, &err) == TEAI_OK)
        return CLI_EXIT_OK;
    fprintf(
        stderr,
        "teai bench: no %s model of size %s found; looked in:%s\n  the Hugging Face cache "
        "(%s)\nGive -m MODEL, --make-missing to quantize the seed's file from a higher-precision "
        "one in models/, or --synthetic to benchmark a synthesized model of that size.\n",
        o->quantize, o->size, looked, spec);
    return CLI_EXIT_INPUT;
}
