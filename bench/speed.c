/* Prompt processing and generation speed of the built-in engine, timed the
 * way llama-bench times llama.cpp, so the two can run side by side on the same
 * file (bench/speed.sh):
 *   pp N: N random tokens (the first one BOS) evaluated as one prompt on an
 *         empty context; tokens/s = N / time.
 *   tg N: BOS, then N - 1 more random tokens, one decode step each, from an
 *         empty context; tokens/s = N / time.
 * Each repetition is preceded by one untimed warm-up run, as llama-bench does.
 * Prints one line per repetition ("pp128 t/s 41.2") and, for the load,
 * "load ms 65.0", "rss_mb 1402.3" (peak resident set after loading) and
 * "weight_mb 1252.4" (weights as held in memory); at the end "peak_rss_mb"
 * and "kv_mb" (the KV cache of the context used).
 *   teai-speed -m MODEL [--quantize Q] [-t THREADS] (-p N | -n N) [-r REPS] */
#include "teai/engine.h"

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

int main(int argc, char **argv) {
    const char *model = NULL, *quant = "default";
    int threads = 0, pp = 0, tg = 0, reps = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) break;
        if (!strcmp(a, "-m"))
            model = v;
        else if (!strcmp(a, "--quantize"))
            quant = v;
        else if (!strcmp(a, "-t"))
            threads = atoi(v);
        else if (!strcmp(a, "-p"))
            pp = atoi(v);
        else if (!strcmp(a, "-n"))
            tg = atoi(v);
        else if (!strcmp(a, "-r"))
            reps = atoi(v);
        else
            break;
        i++;
    }
    teai_quantize q = TEAI_QUANTIZE_DEFAULT;
    if (!model || teai_quantize_from_name(quant, &q) != TEAI_OK || (pp > 0) == (tg > 0) || pp < 0 ||
        tg < 0 || reps < 1) {
        fprintf(stderr, "usage: teai-speed -m MODEL [--quantize Q] [-t THREADS] (-p N | -n N) "
                        "[-r REPS]\n");
        return 2;
    }
    teai_error err;
    teai_model_params mp = teai_model_default_params();
    mp.quantize = (teai_quantize)q;
    mp.n_threads = threads;
    teai_model *m = NULL;
    double t0 = now_ms();
    if (teai_model_load(model, &mp, &m, &err) != TEAI_OK) return die(model, &err);
    double load_ms = now_ms() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("load ms %.1f\nrss_mb %.1f\nweights %s\nweight_mb %.1f\n", load_ms,
           (double)ru.ru_maxrss / 1024.0, teai_model_weight_format(m),
           (double)teai_model_param_bytes(m) / (1024.0 * 1024.0));
    int n = pp > 0 ? pp : tg;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n + 16;
    cp.n_threads = threads;
    teai_context *c = NULL;
    if (teai_context_new(m, &cp, &c, &err) != TEAI_OK) return die("context", &err);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    int32_t bos = teai_tokenizer_bos(teai_model_tokenizer(m));
    int32_t *toks = malloc(sizeof *toks * (size_t)n);
    float *logits = malloc(sizeof *logits * (size_t)n_vocab);
    if (!toks || !logits) return 1;
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
        teai_context_reset(c);
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
    double kv = 2.0 * 4.0 * hp->n_layers * (double)cp.n_ctx * hp->n_kv_heads * hp->head_dim;
    printf("peak_rss_mb %.1f\nkv_mb %.1f\n", (double)ru.ru_maxrss / 1024.0, kv / (1024.0 * 1024.0));
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
