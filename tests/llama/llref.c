/* llref: llama.cpp (libllama v0.5.0) as a reference; see llref.h. */
#define _GNU_SOURCE /* dladdr */
#include "llref.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llama.h>

#include "backends/ggml_cpu.h"

struct llref {
    struct llama_model *model;
    struct llama_context *ctx; /* NULL for a vocab-only handle */
    const struct llama_vocab *vocab;
    int n_vocab;
    int n_ctx;
    int n_past;               /* tokens in the context, positions 0 .. n_past-1 */
    struct llama_batch batch; /* room for n_ctx tokens, one sequence */
    float *logits;            /* (n_vocab,) scratch for llref_greedy */
};

static int g_inited;

static int verbose(void) {
    const char *v = getenv("LLREF_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static void log_stderr(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)user;
    fputs(text, stderr);
}

/* llama_log_set(NULL) would mean "to stderr": silence needs a callback. */
static void log_drop(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)text;
    (void)user;
}

/* libggml's functions are called through dlsym: the tests link libllama only,
 * and a linker that does not copy DT_NEEDED entries (GNU ld's default) will
 * not resolve them through it. libllama has loaded libggml, so RTLD_DEFAULT
 * finds them. */
typedef void (*load_all_from_path_fn)(const char *dir);
typedef size_t (*dev_count_fn)(void);
typedef void *(*load_fn)(const char *path);

static void *ggml_sym(const char *name) {
    return dlsym(RTLD_DEFAULT, name);
}

/* The folder libllama.so was loaded from, in buf; NULL if unknown. */
static const char *libllama_dir(char *buf, size_t cap) {
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)&llama_backend_init, &info) || !info.dli_fname) return NULL;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash) return NULL;
    size_t n = (size_t)(slash - info.dli_fname);
    if (n + 1 > cap) return NULL;
    memcpy(buf, info.dli_fname, n);
    buf[n] = '\0';
    return buf;
}

int llref_init(void) {
    if (g_inited) return 0;
    /* Before anything else, so that loading backends is silent too. */
    llama_log_set(verbose() ? log_stderr : log_drop, NULL);
    llama_backend_init();

    load_all_from_path_fn load =
        (load_all_from_path_fn)(uintptr_t)ggml_sym("ggml_backend_load_all_from_path");
    dev_count_fn dev_count = (dev_count_fn)(uintptr_t)ggml_sym("ggml_backend_dev_count");
    if (load) {
        char buf[4096];
        const char *dir = getenv("TEAI_LLAMA_LIBDIR");
        if (!dir || !*dir) dir = libllama_dir(buf, sizeof buf);
        /* the CPU variant teai's llamacpp backend would load (not one whose
         * AMX kernels trap here), or ggml's choice */
        char path[4200] = "", why[160];
        teai_error err = {0};
        if (dir && teai__ggml_cpu_choose(dir, path, sizeof path, why, sizeof why, &err) != 0) {
            fprintf(stderr, "llref: %s\n", err.msg);
            return LLREF_ENOBACKEND;
        }
        load_fn load_one = (load_fn)(uintptr_t)ggml_sym("ggml_backend_load");
        if (path[0] && load_one) {
            printf("llref: llama.cpp CPU backend %s\n", why);
            if (!load_one(path)) return LLREF_ENOBACKEND;
        } else {
            load(dir); /* NULL: ggml's own search (the executable's folder, then cwd) */
        }
    }
    /* A libggml built without GGML_BACKEND_DL has the CPU backend built in. */
    if (dev_count && dev_count() == 0) return LLREF_ENOBACKEND;
    g_inited = 1;
    return 0;
}

llref_params llref_default_params(void) {
    llref_params p;
    p.n_ctx = 512;
    p.n_threads = 1;
    p.flash_attn = -1;
    p.kv_f32 = 0;
    p.repack = 1;
    return p;
}

static int open_model(const char *path, int vocab_only, int repack, llref **out) {
    *out = NULL;
    int rc = llref_init();
    if (rc < 0) return rc;
    llref *r = calloc(1, sizeof *r);
    if (!r) return LLREF_ENOMEM;

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;                 /* CPU only */
    mp.load_mode = LLAMA_LOAD_MODE_NONE; /* read, not mmap */
    mp.lazy_mode = LLAMA_LAZY_MODE_OFF;  /* every tensor read up front */
    mp.use_extra_bufts = repack ? true : false;
    mp.vocab_only = vocab_only ? true : false;
    r->model = llama_model_load_from_file(path, mp);
    if (!r->model) {
        free(r);
        return LLREF_ELOAD;
    }
    r->vocab = llama_model_get_vocab(r->model);
    r->n_vocab = llama_vocab_n_tokens(r->vocab);
    *out = r;
    return 0;
}

int llref_open_vocab(const char *gguf_path, llref **out) {
    if (!gguf_path || !out) return LLREF_EINVAL;
    return open_model(gguf_path, 1, 1, out);
}

int llref_open(const char *gguf_path, int n_ctx, int n_threads, llref **out) {
    llref_params p = llref_default_params();
    p.n_ctx = n_ctx;
    p.n_threads = n_threads;
    return llref_open_params(gguf_path, &p, out);
}

int llref_open_params(const char *gguf_path, const llref_params *p, llref **out) {
    if (!gguf_path || !p || !out || p->n_ctx <= 0) return LLREF_EINVAL;
    if (p->flash_attn < -1 || p->flash_attn > 1) return LLREF_EINVAL;
    llref *r;
    int rc = open_model(gguf_path, 0, p->repack, &r);
    if (rc < 0) {
        *out = NULL;
        return rc;
    }
    int n_threads = p->n_threads;
    if (n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)n : 1;
    }

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)p->n_ctx;
    /* One llama_decode = one micro-batch = one graph, whatever its length:
     * results do not depend on where llama.cpp would have split a prompt. */
    cp.n_batch = (uint32_t)p->n_ctx;
    cp.n_ubatch = (uint32_t)p->n_ctx;
    cp.n_seq_max = 1;
    cp.n_outputs_max = 0; /* = n_batch: llref_eval_all may want every row */
    cp.n_threads = n_threads;
    cp.n_threads_batch = n_threads;
    cp.flash_attn_type = p->flash_attn < 0    ? LLAMA_FLASH_ATTN_TYPE_AUTO
                         : p->flash_attn == 0 ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                              : LLAMA_FLASH_ATTN_TYPE_ENABLED;
    if (p->kv_f32) {
        cp.type_k = GGML_TYPE_F32;
        cp.type_v = GGML_TYPE_F32;
    }
    cp.no_perf = true;
    r->ctx = llama_init_from_model(r->model, cp);
    if (!r->ctx) {
        llref_close(r);
        *out = NULL;
        return LLREF_ELOAD;
    }
    r->n_ctx = (int)llama_n_ctx(r->ctx);
    if ((int)llama_n_batch(r->ctx) < r->n_ctx) r->n_ctx = (int)llama_n_batch(r->ctx);
    r->batch = llama_batch_init(r->n_ctx, 0, 1);
    r->logits = malloc((size_t)r->n_vocab * sizeof *r->logits);
    if (!r->batch.token || !r->logits) {
        llref_close(r);
        *out = NULL;
        return LLREF_ENOMEM;
    }
    *out = r;
    return 0;
}

void llref_close(llref *r) {
    if (!r) return;
    if (r->batch.token) llama_batch_free(r->batch);
    if (r->ctx) llama_free(r->ctx);
    if (r->model) llama_model_free(r->model);
    free(r->logits);
    free(r);
}

int llref_n_vocab(const llref *r) {
    return r ? r->n_vocab : LLREF_EINVAL;
}

int llref_n_ctx(const llref *r) {
    return r ? r->n_ctx : LLREF_EINVAL;
}

int llref_n_past(const llref *r) {
    return r ? r->n_past : LLREF_EINVAL;
}

/* Decodes tokens at positions n_past.., asking for the logits of every token
 * (all) or of the last one only. */
static int decode(llref *r, const int32_t *tokens, int n, int all) {
    if (!r || !r->ctx || !tokens || n <= 0) return LLREF_EINVAL;
    if (n > r->n_ctx - r->n_past) return LLREF_ERANGE;
    struct llama_batch *b = &r->batch;
    b->n_tokens = n;
    for (int i = 0; i < n; i++) {
        b->token[i] = tokens[i];
        b->pos[i] = r->n_past + i;
        b->n_seq_id[i] = 1;
        b->seq_id[i][0] = 0;
        b->logits[i] = (int8_t)(all || i == n - 1);
    }
    if (llama_decode(r->ctx, *b) != 0) return LLREF_EDECODE;
    r->n_past += n;
    return 0;
}

int llref_eval(llref *r, const int32_t *tokens, int n, float *logits_last) {
    if (!logits_last) return LLREF_EINVAL;
    int rc = decode(r, tokens, n, 0);
    if (rc < 0) return rc;
    const float *l = llama_get_logits_ith(r->ctx, -1);
    if (!l) return LLREF_EDECODE;
    memcpy(logits_last, l, (size_t)r->n_vocab * sizeof *l);
    return 0;
}

int llref_eval_all(llref *r, const int32_t *tokens, int n, float *logits_all) {
    if (!logits_all) return LLREF_EINVAL;
    int rc = decode(r, tokens, n, 1);
    if (rc < 0) return rc;
    for (int i = 0; i < n; i++) {
        const float *l = llama_get_logits_ith(r->ctx, i);
        if (!l) return LLREF_EDECODE;
        memcpy(logits_all + (size_t)i * (size_t)r->n_vocab, l, (size_t)r->n_vocab * sizeof *l);
    }
    return 0;
}

void llref_reset(llref *r) {
    if (!r || !r->ctx) return;
    llama_memory_clear(llama_get_memory(r->ctx), true);
    r->n_past = 0;
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

int llref_greedy(llref *r, const int32_t *prompt, int n_prompt, int n_gen, int32_t *out) {
    if (!r || !r->ctx || !prompt || n_prompt <= 0 || n_gen < 0 || (n_gen > 0 && !out))
        return LLREF_EINVAL;
    /* The last generated token is not fed back. */
    if (n_gen > 0 && n_prompt + n_gen - 1 > r->n_ctx) return LLREF_ERANGE;
    llref_reset(r);
    int rc = llref_eval(r, prompt, n_prompt, r->logits);
    if (rc < 0) return rc;
    for (int i = 0; i < n_gen; i++) {
        out[i] = argmax(r->logits, r->n_vocab);
        if (i + 1 < n_gen) {
            rc = llref_eval(r, &out[i], 1, r->logits);
            if (rc < 0) return rc;
        }
    }
    return n_gen;
}

int llref_tokenize(llref *r, const char *text, int add_special, int parse_special, int32_t *out,
                   int cap) {
    if (!r || !text || cap < 0 || (cap > 0 && !out)) return LLREF_EINVAL;
    size_t len = strlen(text);
    if (len > INT32_MAX) return LLREF_EINVAL;
    int32_t n = llama_tokenize(r->vocab, text, (int32_t)len, out, cap, add_special != 0,
                               parse_special != 0);
    if (n == INT32_MIN) return LLREF_EINVAL;
    return n;
}

int llref_token_to_piece(llref *r, int32_t token, char *buf, int cap) {
    if (!r || !buf || cap <= 0 || token < 0 || token >= r->n_vocab) return LLREF_EINVAL;
    int32_t n = llama_token_to_piece(r->vocab, token, buf, cap - 1, 0, true);
    if (n < 0) return LLREF_EINVAL;
    buf[n] = '\0';
    return n;
}

const char *llref_strerror(int code) {
    switch (code) {
        case 0:
            return "ok";
        case LLREF_EINVAL:
            return "invalid argument";
        case LLREF_ENOMEM:
            return "out of memory";
        case LLREF_ENOBACKEND:
            return "llama.cpp has no CPU backend (set TEAI_LLAMA_LIBDIR)";
        case LLREF_ELOAD:
            return "llama.cpp could not load the model (LLREF_VERBOSE=1 shows why)";
        case LLREF_ERANGE:
            return "more tokens than the context holds";
        case LLREF_EDECODE:
            return "llama_decode failed (LLREF_VERBOSE=1 shows why)";
        default:
            return "unknown error";
    }
}
