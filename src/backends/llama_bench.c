/* The llama-bench backend: llama.cpp's own benchmark tool as a subprocess,
 * the seed's way of measuring llama.cpp (docs/backends.md).
 *
 * One run is `llama-bench -m MODEL -p <n_prompt> -n <n_gen> -t <threads> -r 1
 * -o jsonl`: a pp test (prompt processing) and a tg test (generation), each
 * printed as one JSON object. Every such line is kept verbatim (TEAI_EV_RAW)
 * for the collator; besides, a pp line gives a PREFILL event (prefill_ms =
 * avg_ns / 1e6) and each sample of a tg line a TOKEN event carrying the whole
 * chunk of n_gen tokens: llama-bench does not time single tokens, so none is
 * split out. The tg test starts from an empty context, not after the prompt;
 * llama-bench's prompt tokens are random ids, whatever the prompt text. */
#include "backends/backend.h"
#include "backends/prompt.h"
#include "base/proc.h"
#include "engine/tools.h"
#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

struct teai_backend {
    char bin[4096];
    char *model;
    int n_threads;     /* > 0 */
    double timeout_s;  /* per run; 0 = no limit */
    teai_model *vocab; /* loaded on first use, to count a text prompt's tokens */
    uint64_t peak_rss; /* the last run's child: peak resident set, bytes; 0 unknown */
};

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* cfg->llama_cpp_dir may be an install (bin/llama-bench), the folder of the
 * binary, or the binary itself; unset, the copy scripts/provision-llama.sh
 * --build makes, then llama-bench in PATH. */
static int find_binary(const char *dir, char *bin, size_t cap, teai_error *err) {
    if (dir && *dir) {
        if (teai__is_executable(dir)) {
            snprintf(bin, cap, "%s", dir);
            return TEAI_OK;
        }
        snprintf(bin, cap, "%s/bin/llama-bench", dir);
        if (teai__is_executable(bin)) return TEAI_OK;
        snprintf(bin, cap, "%s/llama-bench", dir);
        if (teai__is_executable(bin)) return TEAI_OK;
        return teai__fail(err, TEAI_ENOTFOUND,
                          "llama-bench: no llama-bench in %s (looked for %s/bin/llama-bench and "
                          "%s/llama-bench)",
                          dir, dir, dir);
    }
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char def[4096];
    if (cache && *cache)
        snprintf(def, sizeof def, "%s/teai/llama.cpp/build/bin/llama-bench", cache);
    else
        snprintf(def, sizeof def, "%s/.cache/teai/llama.cpp/build/bin/llama-bench",
                 home ? home : "");
    if (teai__is_executable(def)) {
        snprintf(bin, cap, "%s", def);
        return TEAI_OK;
    }
    if (teai__which("llama-bench", bin, cap) == TEAI_OK) return TEAI_OK;
    return teai__fail(err, TEAI_ENOTFOUND,
                      "llama-bench: %s: not found, nor llama-bench in PATH (build it with "
                      "scripts/provision-llama.sh --build, or give the llama.cpp folder)",
                      def);
}

/* ---- probes filling teai_backend_info ------------------------------------ */

typedef struct probe {
    char version[128];
    char devices[128];
    int in_devices; /* past "Available devices:" */
} probe;

static void trim(const char **s, size_t *n) {
    while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

static int probe_line(void *ud, int stream, const char *line) {
    probe *pr = ud;
    const char *s = line;
    size_t n = strlen(line);
    trim(&s, &n);
    if (n > 9 && strncmp(s, "version: ", 9) == 0 && !pr->version[0]) {
        snprintf(pr->version, sizeof pr->version, "%.*s", (int)(n - 9), s + 9);
    } else if (strncmp(s, "Available devices:", 18) == 0) {
        pr->in_devices = 1;
    } else if (pr->in_devices && n && strcmp(s, "(none)") != 0) {
        size_t len = strlen(pr->devices);
        snprintf(pr->devices + len, sizeof pr->devices - len, "%s%.*s", len ? "; " : "", (int)n, s);
    }
    return 0;
}

static int run_probe(const char *bin, const char *arg, probe *pr, teai_error *err) {
    const char *argv[] = {bin, arg, NULL};
    teai__proc_params pp = {.argv = argv, .timeout_s = 60};
    teai__proc_result res;
    int rc = teai__proc_run(&pp, probe_line, pr, &res, err);
    /* an older llama-bench rejects the option (exit 1): then it is simply unknown */
    if (rc == TEAI_EIO && !res.timed_out && res.exit_code > 0 && res.exit_code != 127)
        return TEAI_OK;
    return rc;
}

/* Weight format (tensor types of the matrices, as the native backend names
 * them), parameter count and bytes, read from the GGUF header. Files teai
 * cannot read leave them unknown: llama-bench may still run them. */
static void gguf_facts(const char *path, teai_backend_info *info) {
    teai_gguf *g;
    if (teai_gguf_open(path, &g, NULL) != TEAI_OK) return;
    uint64_t count = 0, bytes = 0;
    static const char *const mats[] = {"attn_q.weight",      "attn_k.weight",   "attn_v.weight",
                                       "attn_output.weight", "ffn_gate.weight", "ffn_up.weight",
                                       "ffn_down.weight"};
    teai_tensor_desc t;
    for (int64_t i = 0; teai_gguf_tensor_desc(g, i, &t) == TEAI_OK; i++) {
        count += t.elements;
        bytes += t.nbytes;
        int is_mat = strcmp(t.name, "output.weight") == 0;
        for (size_t k = 0; k < sizeof mats / sizeof *mats && !is_mat; k++) {
            size_t nl = strlen(t.name), ml = strlen(mats[k]);
            is_mat = strncmp(t.name, "blk.", 4) == 0 && nl > ml &&
                     strcmp(t.name + nl - ml, mats[k]) == 0;
        }
        if (!is_mat) continue;
        const char *name = t.type;
        char tagged[40], padded[80];
        snprintf(tagged, sizeof tagged, "+%s+", name);
        snprintf(padded, sizeof padded, "+%s+", info->weight_format);
        if (strstr(padded, tagged)) continue;
        size_t len = strlen(info->weight_format);
        snprintf(info->weight_format + len, sizeof info->weight_format - len, "%s%s",
                 len ? "+" : "", name);
    }
    teai_gguf_close(g);
    info->param_count = count;
    info->param_bytes = bytes;
    if (count) info->bits_per_weight = 8.0 * (double)bytes / (double)count;
}

static int lb_open(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                   teai_error *err) {
    *out = NULL;
    if (!cfg->model || !*cfg->model)
        return teai__fail(err, TEAI_EINVAL, "llama-bench: no model file given");
    if (!is_file(cfg->model))
        return teai__fail(err, TEAI_ENOTFOUND, "llama-bench: %s: no such model file", cfg->model);
    teai_backend *b = calloc(1, sizeof *b);
    if (!b) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    int rc = find_binary(cfg->llama_cpp_dir, b->bin, sizeof b->bin, err);
    probe pr = {0};
    teai_error perr = {0};
    if (!rc && (run_probe(b->bin, "--version", &pr, &perr) ||
                run_probe(b->bin, "--list-devices", &pr, &perr))) {
        char msg[sizeof perr.msg];
        memcpy(msg, perr.msg, sizeof msg);
        rc = teai__fail(err, perr.status, "llama-bench: %s: %s", b->bin, msg);
    }
    if (!rc && !(b->model = strdup(cfg->model))) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (rc) {
        free(b);
        return rc;
    }
    b->n_threads = cfg->n_threads > 0 ? cfg->n_threads : teai__n_cpus();
    b->timeout_s = cfg->timeout_s;

    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "llama-bench");
    info->raw_is_data = 1; /* its JSONL lines are collated; events restate them */
    snprintf(info->version, sizeof info->version, "%s", pr.version);
    /* llama-bench lists GPUs only; with none it computes on the CPU (an older
     * one without --list-devices leaves it unknown) */
    snprintf(info->device, sizeof info->device, "%s",
             pr.devices[0]   ? pr.devices
             : pr.in_devices ? "CPU"
                             : "");
    info->bits_per_weight = NAN;
    info->n_vocab = -1;
    info->load_ms = NAN; /* loading happens inside each llama-bench run, untimed */
    info->memory = TEAI_MEM_CHILD;
    gguf_facts(cfg->model, info);
    *out = b;
    return TEAI_OK;
}

/* ---- a run ----------------------------------------------------------------- */

typedef struct lb_run {
    teai_event_fn cb;
    void *ud;
    uint64_t t0;
    int n_events;
    int n_samples; /* tg samples reported (TOKEN steps) */
} lb_run;

static double since_ms(uint64_t t0) {
    return (double)(teai__now_ns() - t0) / 1e6;
}

#if TEAI_HAVE_CJSON
static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* PREFILL for a pp test, one TOKEN per sample of a tg test; 1 = stop. */
static int parse_test(lb_run *r, const char *line, double t_ms) {
    cJSON *o = cJSON_Parse(line);
    if (!o) return 0; /* kept raw; nothing to add */
    double n_prompt = num(o, "n_prompt"), n_gen = num(o, "n_gen"), avg_ns = num(o, "avg_ns");
    double depth = num(o, "n_depth");
    int stop = 0;
    if (!(depth > 0) && n_prompt > 0 && n_gen == 0) {
        teai_event ev = teai_event_blank(TEAI_EV_PREFILL, t_ms);
        ev.n_prompt = (int)n_prompt;
        ev.prefill_ms = avg_ns / 1e6;
        r->n_events++;
        stop = r->cb(r->ud, &ev);
    } else if (!(depth > 0) && n_prompt == 0 && n_gen > 0) {
        const cJSON *samples = cJSON_GetObjectItemCaseSensitive(o, "samples_ns");
        const cJSON *s;
        cJSON_ArrayForEach(s, samples) {
            if (!cJSON_IsNumber(s)) continue;
            teai_event ev = teai_event_blank(TEAI_EV_TOKEN, t_ms);
            ev.step = ++r->n_samples;
            ev.n_tokens = (int)n_gen;
            ev.total_ms = s->valuedouble / 1e6;
            r->n_events++;
            if ((stop = r->cb(r->ud, &ev))) break;
        }
    }
    cJSON_Delete(o);
    return stop;
}
#else
static int parse_test(lb_run *r, const char *line, double t_ms) {
    (void)r, (void)line, (void)t_ms;
    return 0; /* built without cJSON: the raw lines are all there is */
}
#endif

static int lb_line(void *ud, int stream, const char *line) {
    lb_run *r = ud;
    if (stream != TEAI__STDOUT) return 0; /* model loading chatter; the last line names failures */
    while (*line == ' ' || *line == '\t') line++;
    if (*line != '{') return 0;
    double t_ms = since_ms(r->t0);
    teai_event raw = teai_event_blank(TEAI_EV_RAW, t_ms);
    raw.raw = line;
    r->n_events++;
    if (r->cb(r->ud, &raw)) return 1;
    return parse_test(r, line, t_ms);
}

/* llama-bench takes a prompt length; a text prompt is counted with teai's
 * tokenizer of the same file (llama-bench then uses that many random ids). */
static int prompt_length(teai_backend *b, const teai_run_params *p, int *n, teai_error *err) {
    *n = 0;
    if (p->prompt_tokens > 0) {
        *n = p->prompt_tokens;
        return TEAI_OK;
    }
    if (!p->prompt || !*p->prompt) return TEAI_OK;
    if (!b->vocab) {
        teai_model_params mp = teai_model_default_params();
        mp.vocab_only = 1;
        teai_error e = {0};
        if (teai_model_load(b->model, &mp, &b->vocab, &e) != TEAI_OK)
            return teai__fail(err, e.status,
                              "llama-bench: counting the prompt's tokens: %s (give a prompt "
                              "length in tokens instead)",
                              e.msg);
    }
    const teai_tokenizer *tok = teai_model_tokenizer(b->vocab);
    int32_t *ids;
    int rc = teai__prompt_tokens(tok, teai_tokenizer_n_vocab(tok), p, &ids, n, err);
    if (rc == TEAI_OK) free(ids);
    return rc;
}

static int lb_run_fn(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                     teai_error *err) {
    int n_prompt;
    int rc = prompt_length(b, p, &n_prompt, err);
    if (rc) return rc;
    char sp[16], sn[16], st[16];
    snprintf(sp, sizeof sp, "%d", n_prompt);
    snprintf(sn, sizeof sn, "%d", p->n_gen > 0 ? p->n_gen : 0);
    snprintf(st, sizeof st, "%d", b->n_threads);
    const char *argv[] = {b->bin, "-m", b->model, "-p", sp,   "-n",    sn,
                          "-t",   st,   "-r",     "1",  "-o", "jsonl", NULL};
    teai__proc_params pp = {.argv = argv, .timeout_s = b->timeout_s};
    lb_run r = {.cb = cb, .ud = ud, .t0 = teai__now_ns()};
    teai_error perr = {0};
    teai__proc_result pres;
    rc = teai__proc_run(&pp, lb_line, &r, &pres, &perr);
    b->peak_rss = pres.peak_rss;
    if (rc == TEAI_EINTR)
        return teai__fail(err, TEAI_EINTR, "llama-bench: interrupted after %d events (killed)",
                          r.n_events);
    if (rc) return teai__fail(err, rc, "llama-bench: %s", perr.msg);
    return TEAI_OK;
}

static void lb_close(teai_backend *b) {
    if (!b) return;
    teai_model_free(b->vocab);
    free(b->model);
    free(b);
}

static uint64_t lb_child_peak_rss(teai_backend *b) {
    return b ? b->peak_rss : 0;
}

const teai_backend_ops teai__backend_llama_bench = {.name = "llama-bench",
                                                    .open = lb_open,
                                                    .run = lb_run_fn,
                                                    .close = lb_close,
                                                    .child_peak_rss = lb_child_peak_rss};
