/* The llamacpp backend: llama.cpp's C API in process, timed exactly like the
 * native backend (prefill = time to first token, then n_gen decode steps from
 * step start to token id). teai is compiled against llama.h but loads
 * libllama at run time (dlopen), so teai runs where no llama.cpp is installed
 * and can be pointed at any llama.cpp build of the same API:
 *   cfg->llama_cpp_dir, else $TEAI_LLAMA_CPP, else the copy
 *   scripts/provision-llama.sh made (~/.cache/teai/llama.cpp/install);
 * in each, lib/, the folder itself, or build/bin/ holding libllama. */
#include "backends/backend.h"
#include "backends/ggml_cpu.h"
#include "backends/prompt.h"
#include "base/base.h"

#include <dlfcn.h>
#include <llama.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FN(name) __typeof__(name) *name
typedef struct llama_api {
    void *lib;
    FN(llama_backend_init);
    FN(llama_log_set);
    FN(llama_model_default_params);
    FN(llama_context_default_params);
    FN(llama_model_load_from_file);
    FN(llama_model_free);
    FN(llama_init_from_model);
    FN(llama_free);
    FN(llama_model_get_vocab);
    FN(llama_vocab_n_tokens);
    FN(llama_vocab_bos);
    FN(llama_tokenize);
    FN(llama_token_to_piece);
    FN(llama_batch_get_one);
    FN(llama_decode);
    FN(llama_get_logits_ith);
    FN(llama_get_memory);
    FN(llama_memory_clear);
    FN(llama_model_size);
    FN(llama_model_n_params);
    FN(llama_model_desc);
    FN(llama_model_n_layer);
    FN(llama_model_n_embd);
    FN(llama_model_n_head);
    FN(llama_model_n_head_kv);
    FN(llama_n_ctx);
    void (*load_all_from_path)(const char *dir);
} llama_api;
#undef FN

struct teai_backend {
    llama_api api;
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    int n_vocab, n_batch;
    teai_sampler_params sp;
    teai_decode_shape shape; /* what a decode step moves, from the file's tensors */
    int have_shape;          /* 0: the file's tensors could not be sized: GB/s unknown */
    uint32_t type_k, type_v; /* the KV cache's ggml types (f16 by default) */
};

static void quiet_log(enum ggml_log_level level, const char *text, void *ud) {
    (void)level, (void)text, (void)ud;
}

/* Finds the folder holding libllama.so under one of the candidate roots. */
static int find_libdir(const char *root, char *out, size_t cap) {
    static const char *subs[] = {"lib", "", "build/bin", "bin"};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        char p[4200];
        if (snprintf(out, cap, "%s%s%s", root, subs[i][0] ? "/" : "", subs[i]) >= (int)cap ||
            snprintf(p, sizeof p, "%s/libllama.so", out) >= (int)sizeof p)
            continue; /* too long to be a path */
        if (access(p, R_OK) == 0) return 1;
    }
    return 0;
}

static int locate(const teai_backend_config *cfg, char *libdir, size_t cap, teai_error *err) {
    const char *env = getenv("TEAI_LLAMA_CPP");
    char provisioned[4096];
    const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (cache && *cache)
        snprintf(provisioned, sizeof provisioned, "%s/teai/llama.cpp/install", cache);
    else
        snprintf(provisioned, sizeof provisioned, "%s/.cache/teai/llama.cpp/install",
                 home ? home : "");
    const char *roots[] = {cfg->llama_cpp_dir, env && *env ? env : NULL, provisioned};
    for (int i = 0; i < 3; i++) {
        if (!roots[i]) continue;
        if (find_libdir(roots[i], libdir, cap)) return TEAI_OK;
        if (i < 2) /* a folder the user named must hold it */
            return teai__fail(err, TEAI_ENOTFOUND,
                              "%s: no libllama.so in it, lib/ or build/bin/ (%s)", roots[i],
                              i == 0 ? "--llama-cpp" : "TEAI_LLAMA_CPP");
    }
    return teai__fail(err, TEAI_ENOTFOUND,
                      "no llama.cpp found: give --llama-cpp DIR, set TEAI_LLAMA_CPP, or run "
                      "scripts/provision-llama.sh (looked in %s)",
                      provisioned);
}

static int load_api(llama_api *a, const char *libdir, teai_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/libllama.so", libdir);
    a->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!a->lib) return teai__fail(err, TEAI_EIO, "%s: %s", path, dlerror());
#define SYM(name)                                                                                  \
    do {                                                                                           \
        if (!(*(void **)&a->name = dlsym(a->lib, #name)))                                          \
            return teai__fail(err, TEAI_EUNSUPPORTED, "%s: no symbol %s (another llama.cpp API?)", \
                              path, #name);                                                        \
    } while (0)
    SYM(llama_backend_init);
    SYM(llama_log_set);
    SYM(llama_model_default_params);
    SYM(llama_context_default_params);
    SYM(llama_model_load_from_file);
    SYM(llama_model_free);
    SYM(llama_init_from_model);
    SYM(llama_free);
    SYM(llama_model_get_vocab);
    SYM(llama_vocab_n_tokens);
    SYM(llama_vocab_bos);
    SYM(llama_tokenize);
    SYM(llama_token_to_piece);
    SYM(llama_batch_get_one);
    SYM(llama_decode);
    SYM(llama_get_logits_ith);
    SYM(llama_get_memory);
    SYM(llama_memory_clear);
    SYM(llama_model_size);
    SYM(llama_model_n_params);
    SYM(llama_model_desc);
    SYM(llama_model_n_layer);
    SYM(llama_model_n_embd);
    SYM(llama_model_n_head);
    SYM(llama_model_n_head_kv);
    SYM(llama_n_ctx);
#undef SYM
    /* the prebuilt libraries load their CPU backend (libggml-cpu-<cpu>.so)
     * only when told where: without it no model loads */
    *(void **)&a->load_all_from_path = dlsym(a->lib, "ggml_backend_load_all_from_path");
    return TEAI_OK;
}

/* Loads ggml's backends from libdir. The prebuilt libraries load their CPU
 * backend (libggml-cpu-<cpu>.so) only when told where: without it no model
 * loads. ggml picks the best-scoring variant by CPUID alone, unless
 * teai__ggml_cpu_choose() names one (TEAI_LLAMA_CPU_VARIANT, or AMX that the
 * CPU advertises but the system does not grant); then only that CPU backend
 * is loaded. variant gets the choice ("cpu=haswell (...)"), "" when ggml
 * chose. */
static int load_backends(const llama_api *a, const char *libdir, char *variant, size_t cap,
                         teai_error *err) {
    char path[4200];
    int rc = teai__ggml_cpu_choose(libdir, path, sizeof path, variant, cap, err);
    if (rc) return rc;
    if (!path[0]) {
        if (a->load_all_from_path) a->load_all_from_path(libdir);
        return TEAI_OK;
    }
    void *(*load)(const char *);
    *(void **)&load = dlsym(a->lib, "ggml_backend_load");
    if (!load)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s/libllama.so: no symbol ggml_backend_load",
                          libdir);
    if (!load(path))
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: ggml cannot load it (%s)", path, variant);
    return TEAI_OK;
}

/* The llama.cpp version from the provisioning record, when there is one. */
static void read_version(const char *libdir, char *out, size_t cap) {
    char path[4200], line[256];
    if (snprintf(out, cap, "llama.cpp (%s)", libdir) >= (int)cap)
        snprintf(out, cap, "llama.cpp"); /* a folder too long to show */
    if (snprintf(path, sizeof path, "%s/../VERSION", libdir) >= (int)sizeof path) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char tag[64] = "", commit[64] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "tag=", 4) == 0) snprintf(tag, sizeof tag, "%.63s", line + 4);
        if (strncmp(line, "commit=", 7) == 0) snprintf(commit, sizeof commit, "%.12s", line + 7);
    }
    fclose(f);
    if (tag[0]) snprintf(out, cap, "llama.cpp %s (%s)", tag, commit);
}

static void llamacpp_close(teai_backend *b) {
    if (!b) return;
    if (b->ctx) b->api.llama_free(b->ctx);
    if (b->model) b->api.llama_model_free(b->model);
    /* the library stays loaded: ggml keeps global state and threads */
    free(b);
}

static int llamacpp_open(const teai_backend_config *cfg, teai_backend **out,
                         teai_backend_info *info, teai_error *err) {
    *out = NULL;
    char libdir[4096];
    int rc = locate(cfg, libdir, sizeof libdir, err);
    if (rc) return rc;
    teai_backend *b = calloc(1, sizeof *b);
    if (!b) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    llama_api *a = &b->api;
    if ((rc = load_api(a, libdir, err))) {
        free(b);
        return rc;
    }
    if (!getenv("TEAI_LLAMA_VERBOSE")) a->llama_log_set(quiet_log, NULL);
    char cpu_variant[160];
    if ((rc = load_backends(a, libdir, cpu_variant, sizeof cpu_variant, err))) {
        free(b);
        return rc;
    }
    a->llama_backend_init();

    struct llama_model_params mp = a->llama_model_default_params();
    mp.n_gpu_layers = 0;
    uint64_t t0 = teai__now_ns();
    b->model = a->llama_model_load_from_file(cfg->model, mp);
    if (!b->model) {
        llamacpp_close(b);
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: llama.cpp cannot load this model (set "
                          "TEAI_LLAMA_VERBOSE=1 for its log)",
                          cfg->model);
    }
    struct llama_context_params cp = a->llama_context_default_params();
    cp.n_ctx = (uint32_t)(cfg->n_ctx > 0 ? cfg->n_ctx : 4096);
    cp.n_batch = cp.n_ubatch = cp.n_ctx < 512 ? cp.n_ctx : 512;
    int threads = cfg->n_threads > 0 ? cfg->n_threads : teai__n_cpus();
    cp.n_threads = cp.n_threads_batch = threads;
    cp.no_perf = true;
    b->ctx = a->llama_init_from_model(b->model, cp);
    if (!b->ctx) {
        llamacpp_close(b);
        return teai__fail(err, TEAI_ENOMEM, "%s: llama.cpp cannot make a context of %u tokens",
                          cfg->model, cp.n_ctx);
    }
    info->load_ms = (double)(teai__now_ns() - t0) / 1e6;
    b->n_batch = (int)cp.n_batch;
    b->vocab = a->llama_model_get_vocab(b->model);
    b->n_vocab = a->llama_vocab_n_tokens(b->vocab);
    /* bytes per decode step: the one definition every backend uses, with the
     * KV cache types the context was made with (ggml and GGUF type numbers agree) */
    b->have_shape = teai_decode_shape_from_file(cfg->model, &b->shape, NULL) == TEAI_OK;
    b->type_k = (uint32_t)cp.type_k, b->type_v = (uint32_t)cp.type_v;
    b->sp = teai_sampler_default_params();
    b->sp.temperature = cfg->temperature;
    b->sp.seed = cfg->seed;

    snprintf(info->name, sizeof info->name, "llamacpp");
    read_version(libdir, info->version, sizeof info->version);
    if (cpu_variant[0]) { /* what ran is part of the version: "... cpu=haswell" */
        size_t n = strlen(info->version);
        snprintf(info->version + n, sizeof info->version - n, " %.*s",
                 (int)strcspn(cpu_variant, " "), cpu_variant);
    }
    snprintf(info->device, sizeof info->device, "CPU");
    char desc[128] = "";
    a->llama_model_desc(b->model, desc, sizeof desc);
    /* "llama 1B Q4_K - Medium": the weight format is what follows the size */
    const char *fmt = desc;
    for (int sp = 0; sp < 2 && strchr(fmt, ' '); sp++) fmt = strchr(fmt, ' ') + 1;
    snprintf(info->weight_format, sizeof info->weight_format, "%.63s", fmt);
    info->param_bytes = b->have_shape ? b->shape.param_bytes : a->llama_model_size(b->model);
    info->param_count = a->llama_model_n_params(b->model);
    info->bits_per_weight =
        info->param_count ? 8.0 * (double)info->param_bytes / (double)info->param_count : NAN;
    info->n_vocab = b->n_vocab;
    info->memory = TEAI_MEM_IN_PROCESS;
    *out = b;
    return TEAI_OK;
}

/* Runs tokens through llama_decode in batches of at most n_batch. */
static int decode(teai_backend *b, int32_t *ids, int n, teai_error *err) {
    for (int i = 0; i < n; i += b->n_batch) {
        int k = n - i < b->n_batch ? n - i : b->n_batch;
        int rc = b->api.llama_decode(b->ctx, b->api.llama_batch_get_one(ids + i, k));
        if (rc != 0) return teai__fail(err, TEAI_EIO, "llama_decode failed (%d)", rc);
    }
    return TEAI_OK;
}

static int32_t pick(teai_backend *b, teai_sampler *s) {
    return teai_sampler_sample(s, b->api.llama_get_logits_ith(b->ctx, -1));
}

static void piece_of(teai_backend *b, int32_t id, char *buf, int cap) {
    int len = b->api.llama_token_to_piece(b->vocab, id, buf, cap - 1, 0, false);
    buf[len > 0 && len < cap ? len : 0] = '\0';
}

static int llamacpp_run(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                        teai_error *err) {
    llama_api *a = &b->api;
    int32_t *ids = NULL;
    int n_prompt = 0;
    if (p->prompt_tokens > 0) {
        n_prompt = p->prompt_tokens;
        if (!(ids = malloc(sizeof(int32_t) * (size_t)n_prompt)))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        teai__synthetic_prompt(b->n_vocab, a->llama_vocab_bos(b->vocab), n_prompt, ids);
    } else {
        const char *text = p->prompt ? p->prompt : "";
        int len = (int)strlen(text), cap = len + 8;
        if (!(ids = malloc(sizeof(int32_t) * (size_t)cap)))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        n_prompt = a->llama_tokenize(b->vocab, text, len, ids, cap, true, p->parse_special != 0);
        if (n_prompt <= 0) {
            free(ids);
            return teai__fail(err, TEAI_EINVAL, "llama.cpp cannot tokenize the prompt");
        }
    }
    if (n_prompt + p->n_gen + 1 > (int)a->llama_n_ctx(b->ctx)) {
        free(ids);
        return teai__fail(err, TEAI_ERANGE,
                          "%d prompt tokens + %d to generate exceed the context of %u tokens",
                          n_prompt, p->n_gen, a->llama_n_ctx(b->ctx));
    }
    teai_sampler *s = NULL;
    teai_sampler_params sp = b->sp;
    if (p->seed) sp.seed = p->seed;
    if (teai_sampler_new(&sp, b->n_vocab, &s)) {
        free(ids);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    a->llama_memory_clear(a->llama_get_memory(b->ctx), true);
    char piece[256];
    uint64_t t_run = teai__now_ns();
    int rc = decode(b, ids, n_prompt, err);
    double prefill_ms = (double)(teai__now_ns() - t_run) / 1e6;
    int32_t tokid = rc ? -1 : pick(b, s);
    if (!rc) {
        piece_of(b, tokid, piece, sizeof piece);
        double now = (double)(teai__now_ns() - t_run) / 1e6;
        teai_event ev = teai_event_blank(TEAI_EV_PREFILL, now);
        ev.n_prompt = n_prompt;
        ev.prefill_ms = prefill_ms;
        ev.ttft_ms = now;
        ev.token = tokid;
        ev.text = piece;
        ev.n_tokens = 1;
        if (cb(ud, &ev)) rc = teai__fail(err, TEAI_EINTR, "interrupted after the prefill");
    }
    for (int step = 1; step <= p->n_gen && !rc; step++) {
        uint64_t s0 = teai__now_ns();
        int pos = n_prompt + step - 1;
        rc = decode(b, &tokid, 1, err);
        if (rc) break;
        tokid = pick(b, s);
        uint64_t s2 = teai__now_ns();
        piece_of(b, tokid, piece, sizeof piece);
        uint64_t bytes =
            b->have_shape ? teai_decode_bytes_per_step(&b->shape, b->type_k, b->type_v, pos) : 0;
        teai_event ev = teai_event_blank(TEAI_EV_TOKEN, (double)(s2 - t_run) / 1e6);
        ev.step = step;
        ev.token = tokid;
        ev.text = piece;
        ev.n_tokens = 1;
        /* enqueue_ms stays unknown: llama.cpp builds its graph inside
         * llama_decode, out of sight, so the time before computing is not known */
        ev.total_ms = (double)(s2 - s0) / 1e6;
        ev.bytes_moved = bytes;
        if (cb(ud, &ev)) rc = teai__fail(err, TEAI_EINTR, "interrupted after %d tokens", step);
    }
    teai_sampler_free(s);
    free(ids);
    return rc;
}

const teai_backend_ops teai__backend_llamacpp = {
    .name = "llamacpp", .open = llamacpp_open, .run = llamacpp_run, .close = llamacpp_close};
