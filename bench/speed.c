/* Prompt processing and generation speed of the built-in engine, timed the
 * way llama-bench times llama.cpp, so the two can run side by side on the same
 * file (bench/speed.sh):
 *   pp N: N random tokens (the first one BOS) evaluated as one prompt;
 *         tokens/s = N / time.
 *   tg N: BOS, then N - 1 more random tokens, one decode step each;
 *         tokens/s = N / time.
 *   -d DEPTH (llama-bench's -d): before each timed repetition the context is
 *         emptied and DEPTH random tokens (the first one BOS) are evaluated
 *         into it as one prompt, untimed; pp N or tg N is then timed from
 *         position DEPTH. Without -d (DEPTH 0) the test starts on an empty
 *         context. The context holds DEPTH + N + 16 positions.
 * Each run starts with one untimed warm-up of the test on an empty context,
 * as llama-bench does (its warm-up runs no depth either).
 * Options that reach the engine: --quantize Q (load-time quantization),
 * --cache-type f16|f32|q8_0 (the KV cache, default f16), --no-repack (every
 * weight used in place as stored), --nf4-exact (nf4's exact f32 path).
 * Prints one line per repetition ("pp128 t/s 41.2") and, for the load,
 * "load ms 65.0", "rss_mb 1402.3" (peak resident set after loading) and
 * "weight_mb 1252.4" (weights as held in memory); at the end "peak_rss_mb",
 * "cache_type f16" and "kv_mb" (the KV cache of the context used, in MiB:
 * 2 (K and V) x layers x positions x KV heads x head_dim x bytes per element,
 * 4 for f32, 2 for f16, 34/32 for q8_0); "repack tensors 113 mb 663.2 ms 410.0":
 * the weights given an interleaved copy at load (teai_model_repack_info).
 *   teai-speed -m MODEL [--quantize Q] [--cache-type T] [--no-repack]
 *              [--nf4-exact] [-t THREADS] [-d DEPTH] (-p N | -n N) [-r REPS] */
#include "teai/engine.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static int32_t rand_token(int n_vocab) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (int32_t)(rng % (uint64_t)n_vocab);
}

static int die(const char *what, const teai_error *err) {
    fprintf(stderr, "teai-speed: %s: %s\n", what, err->msg);
    return 1;
}

/* A whole non-negative decimal int, or -1. */
static int parse_count(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX / 4) return -1;
    return (int)v;
}

/* Bytes of one K or V element in the cache (q8_0: 32 int8 and one f16 scale
 * per block of 32). */
static double cache_elem_bytes(teai_cache_type t) {
    switch (t) {
        case TEAI_CACHE_F32:
            return 4.0;
        case TEAI_CACHE_Q8_0:
            return 34.0 / 32.0;
        default:
            return 2.0;
    }
}

static int usage(void) {
    fprintf(stderr, "usage: teai-speed -m MODEL [--quantize Q] [--cache-type f16|f32|q8_0] "
                    "[--no-repack] [--nf4-exact] [-t THREADS] [-d DEPTH] (-p N | -n N) "
                    "[-r REPS]\n");
    return 2;
}

/* Empties the context and, with depth > 0, fills it with depth random tokens
 * (BOS first) as one prompt: the untimed part of a repetition. */
static int fill_depth(teai_context *c, int32_t *toks, int depth, int32_t bos, int n_vocab,
                      float *logits, teai_error *err) {
    teai_context_reset(c);
    if (depth == 0) return TEAI_OK;
    for (int i = 0; i < depth; i++) toks[i] = i == 0 && bos >= 0 ? bos : rand_token(n_vocab);
    return teai_context_eval(c, toks, depth, logits, err);
}

int main(int argc, char **argv) {
    const char *model = NULL, *quant = "default", *cache = "f16";
    int threads = 0, pp = 0, tg = 0, reps = 1, depth = 0, no_repack = 0, nf4_exact = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-repack")) {
            no_repack = 1;
            continue;
        }
        if (!strcmp(a, "--nf4-exact")) {
            nf4_exact = 1;
            continue;
        }
        if (!v) return usage();
        if (!strcmp(a, "-m"))
            model = v;
        else if (!strcmp(a, "--quantize"))
            quant = v;
        else if (!strcmp(a, "--cache-type"))
            cache = v;
        else if (!strcmp(a, "-t"))
            threads = parse_count(v);
        else if (!strcmp(a, "-p"))
            pp = parse_count(v);
        else if (!strcmp(a, "-n"))
            tg = parse_count(v);
        else if (!strcmp(a, "-d"))
            depth = parse_count(v);
        else if (!strcmp(a, "-r"))
            reps = parse_count(v);
        else
            return usage();
        i++;
    }
    teai_quantize q = TEAI_QUANTIZE_DEFAULT;
    teai_cache_type ct = TEAI_CACHE_DEFAULT;
    if (!model || teai_quantize_from_name(quant, &q) != TEAI_OK ||
        teai_cache_type_from_name(cache, &ct) != TEAI_OK || (pp > 0) == (tg > 0) || pp < 0 ||
        tg < 0 || threads < 0 || depth < 0 || reps < 1)
        return usage();
    teai_error err;
    teai_model_params mp = teai_model_default_params();
    mp.quantize = (teai_quantize)q;
    mp.n_threads = threads;
    mp.no_repack = no_repack;
    mp.nf4_exact = nf4_exact;
    teai_model *m = NULL;
    double t0 = now_ms();
    if (teai_model_load(model, &mp, &m, &err) != TEAI_OK) return die(model, &err);
    double load_ms = now_ms() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("load ms %.1f\nrss_mb %.1f\nweights %s\nweight_mb %.1f\n", load_ms,
           (double)ru.ru_maxrss / 1024.0, teai_model_weight_format(m),
           (double)teai_model_param_bytes(m) / (1024.0 * 1024.0));
    uint64_t rp_bytes = 0;
    double rp_ms = 0;
    int rp_n = teai_model_repack_info(m, &rp_bytes, &rp_ms);
    printf("repack tensors %d mb %.1f ms %.1f\n", rp_n, (double)rp_bytes / (1024.0 * 1024.0),
           rp_ms);
    int n = pp > 0 ? pp : tg;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = depth + n + 16;
    cp.n_threads = threads;
    cp.cache_type = (int)ct;
    teai_context *c = NULL;
    if (teai_context_new(m, &cp, &c, &err) != TEAI_OK) return die("context", &err);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    int32_t bos = teai_tokenizer_bos(teai_model_tokenizer(m));
    int32_t *toks = malloc(sizeof *toks * (size_t)(n > depth ? n : depth));
    float *logits = malloc(sizeof *logits * (size_t)n_vocab);
    if (!toks || !logits) return 1;
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up, on an empty context */
        if (fill_depth(c, toks, r >= 0 ? depth : 0, bos, n_vocab, logits, &err) != TEAI_OK)
            return die("depth", &err);
        for (int i = 0; i < n; i++) toks[i] = i == 0 && bos >= 0 ? bos : rand_token(n_vocab);
        double s = now_ms();
        if (pp > 0) {
            if (teai_context_eval(c, toks, n, logits, &err) != TEAI_OK) return die("eval", &err);
        } else {
            for (int i = 0; i < n; i++)
                if (teai_context_eval(c, toks + i, 1, logits, &err) != TEAI_OK)
                    return die("eval", &err);
        }
        double ms = now_ms() - s;
        if (r >= 0) printf("%s%d t/s %.3f\n", pp > 0 ? "pp" : "tg", n, 1e3 * n / ms);
        fflush(stdout);
    }
    getrusage(RUSAGE_SELF, &ru);
    const teai_hparams *hp = teai_model_hparams(m);
    double kv = 2.0 * cache_elem_bytes(ct) * hp->n_layers * (double)cp.n_ctx * hp->n_kv_heads *
                hp->head_dim;
    printf("peak_rss_mb %.1f\ncache_type %s\nkv_mb %.1f\n", (double)ru.ru_maxrss / 1024.0,
           teai_cache_type_name(ct), kv / (1024.0 * 1024.0));
    /* where the resident set is: anonymous (copies, scratch) or file pages */
    FILE *st = fopen("/proc/self/status", "r");
    char line[256];
    while (st && fgets(line, sizeof line, st))
        if (!strncmp(line, "RssAnon:", 8) || !strncmp(line, "RssFile:", 8)) fputs(line, stdout);
    if (st) fclose(st);
    free(toks);
    free(logits);
    teai_context_free(c);
    teai_model_free(m);
    return 0;
}
