/* teai eval ppl: perplexity and KL divergence of the built-in engine, printed
 * as llama-perplexity prints them (src/eval/ppl.h, docs/eval-ppl.md). */
#include "cli.h"
#include "eval/eval.h"
#include "eval/ppl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *help =
    "usage: teai eval ppl -m MODEL --text FILE [options]\n"
    "\n"
    "Perplexity of the built-in engine on a text, computed as llama.cpp's llama-perplexity\n"
    "does: chunks of --ctx tokens, the second half of each scored. Ends with\n"
    "  Final estimate: PPL = X +/- Y\n"
    "\n"
    "  -m, --model MODEL     " CLI_HELP_MODEL "\n"
    "  --quantize Q          " CLI_HELP_QUANTIZE "\n"
    "                        " CLI_HELP_QUANTIZE_GGUF "\n"
    "  -f, --text FILE       the text (optional with --kl: the base file holds its tokens)\n"
    "  -c, --ctx N           tokens per chunk (default 512; with --kl the base's)\n"
    "  --chunks N            evaluate at most N chunks (default: all the text holds)\n"
    "  -t, --threads N       " CLI_HELP_THREADS "\n"
    "  --cache-type T        " CLI_HELP_CACHE_TYPE "\n"
    "  --no-repack           " CLI_HELP_NO_REPACK "\n"
    "  --nf4-exact           " CLI_HELP_NF4_EXACT "\n"
    "  --kl-base OUT         save this run's log-probabilities as a KL reference\n"
    "                        (llama-perplexity's --kl-divergence-base layout + a trailer)\n"
    "  --kl BASE             compare this run against a saved reference: KL divergence,\n"
    "                        top-token agreement, change of the correct token's probability\n"
    "  --results-dir DIR     append a record (environment \"perplexity\") to\n"
    "                        DIR/native_sweep_perplexity_<size>_<time>.json\n"
    "  --size S              model size recorded there (e.g. 1B; default none)\n"
    "\n"
    "Exit codes: 0 ok, 1 run failed, 2 bad command line, 3 bad input (missing file, text\n"
    "too short for two chunks, base file corrupt or made for another text, context or\n"
    "vocabulary), 130 interrupted (the estimate so far is printed).\n";

typedef struct ppl_opts {
    cli_model_opts m; /* -m, --quantize, -t, --cache-type, --no-repack, --nf4-exact */
    const char *text, *kl_base_out, *kl_base, *results_dir, *size;
    long ctx, chunks;
} ppl_opts;

static int parse(int argc, char **argv, ppl_opts *o) {
    const char *cmd = "eval ppl";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int shared = cli_model_opt(cmd, argc, argv, &i, &o->m);
        if (shared < 0) return CLI_EXIT_USAGE;
        if (shared) continue;
        if (!(cli_is(a, "-f", "--text") || cli_is(a, "-c", "--ctx") ||
              cli_is(a, NULL, "--chunks") || cli_is(a, NULL, "--kl-base") ||
              cli_is(a, NULL, "--kl") || cli_is(a, NULL, "--results-dir") ||
              cli_is(a, NULL, "--size")))
            return cli_usage_error(cmd, "unknown argument '%s'", a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        if (cli_is(a, "-f", "--text"))
            o->text = v;
        else if (cli_is(a, NULL, "--kl-base"))
            o->kl_base_out = v;
        else if (cli_is(a, NULL, "--kl"))
            o->kl_base = v;
        else if (cli_is(a, NULL, "--results-dir"))
            o->results_dir = v;
        else if (cli_is(a, NULL, "--size"))
            o->size = v;
        else if (cli_is(a, "-c", "--ctx")) {
            if (cli_int(cmd, a, v, 4, 1 << 22, &o->ctx)) return CLI_EXIT_USAGE;
        } else if (cli_int(cmd, a, v, 1, 1L << 30, &o->chunks)) {
            return CLI_EXIT_USAGE;
        }
    }
    if (!o->m.model) return cli_usage_error(cmd, "-m MODEL is required");
    if (!o->text && !o->kl_base) return cli_usage_error(cmd, "--text FILE is required");
    if (o->kl_base && o->kl_base_out)
        return cli_usage_error(cmd, "--kl-base (write a reference) and --kl (compare) exclude "
                                    "each other");
    if (o->size && strchr(o->size, '/')) return cli_usage_error(cmd, "--size: no '/' allowed");
    return CLI_EXIT_OK;
}

/* Prints llama-perplexity's running lines: "[1]x,[2]y," or, with a base,
 * one row of its KL table per chunk. Stops at the chunk boundary on Ctrl-C. */
static int on_chunk(void *user, const teai_ppl_progress *p) {
    (void)user;
    if (!p->kl) {
        printf("[%d]%.4lf,", p->chunk, p->ppl);
    } else {
        if (p->chunk == 1)
            printf("chunk             PPL               ln(PPL(Q)/PPL(base))          KL "
                   "Divergence              Δp RMS            Same top p\n");
        teai_kl_summary s;
        teai_kl_summarize(p->kl, NULL, NULL, 0, &s);
        printf("%4d    %9.4lf ± %9.4lf    %10.5lf ± %10.5lf    %10.5lf ± %10.5lf    %6.3lf ± "
               "%6.3lf %%    %6.3lf ± %6.3lf %%\n",
               p->chunk, s.ppl, s.ppl_err, s.ln_ratio, s.ln_ratio_err, s.kld, s.kld_err,
               100.0 * s.rms_dp, 100.0 * s.rms_dp_err, 100.0 * s.same_top, 100.0 * s.same_top_err);
    }
    fflush(stdout);
    return cli_interrupted();
}

static void print_kl(const teai_kl_summary *s) {
    if (s->n < 100)
        printf("(only %ld positions compared: llama-perplexity prints no statistics below 100)\n",
               s->n);
    printf("====== Perplexity statistics ======\n");
    printf("Mean PPL(Q)                   : %10.6lf ± %10.6lf\n", s->ppl, s->ppl_err);
    printf("Mean PPL(base)                : %10.6lf ± %10.6lf\n", s->ppl_base, s->ppl_base_err);
    printf("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2lf%%\n", 100.0 * s->cor);
    printf("Mean ln(PPL(Q)/PPL(base))     : %10.6lf ± %10.6lf\n", s->ln_ratio, s->ln_ratio_err);
    printf("Mean PPL(Q)/PPL(base)         : %10.6lf ± %10.6lf\n", s->ratio, s->ratio_err);
    printf("Mean PPL(Q)-PPL(base)         : %10.6lf ± %10.6lf\n", s->diff, s->diff_err);
    printf("\n====== KL divergence statistics ======\n");
    printf("Mean    KLD: %10.6lf ± %10.6lf\n", s->kld, s->kld_err);
    static const char *kl_names[11] = {"Maximum KLD", "99.9%   KLD", "99.0%   KLD", "95.0%   KLD",
                                       "90.0%   KLD", "Median  KLD", "10.0%   KLD", " 5.0%   KLD",
                                       " 1.0%   KLD", " 0.1%   KLD", "Minimum KLD"};
    for (int i = 0; i < 11; i++) printf("%s: %10.6f\n", kl_names[i], s->kld_pct[i]);
    printf("\n====== Token probability statistics ======\n");
    printf("Mean    Δp: %6.3lf ± %5.3lf %%\n", 100.0 * s->dp, 100.0 * s->dp_err);
    static const char *dp_names[13] = {"Maximum Δp", "99.9%   Δp", "99.0%   Δp", "95.0%   Δp",
                                       "90.0%   Δp", "75.0%   Δp", "Median  Δp", "25.0%   Δp",
                                       "10.0%   Δp", " 5.0%   Δp", " 1.0%   Δp", " 0.1%   Δp",
                                       "Minimum Δp"};
    for (int i = 0; i < 13; i++) printf("%s: %6.3lf%%\n", dp_names[i], 100.0 * s->dp_pct[i]);
    printf("RMS Δp    : %6.3lf ± %5.3lf %%\n", 100.0 * s->rms_dp, 100.0 * s->rms_dp_err);
    printf("Same top p: %6.3lf ± %5.3lf %%\n", 100.0 * s->same_top, 100.0 * s->same_top_err);
}

static int write_record(const ppl_opts *o, const teai_ppl_result *r, double elapsed,
                        int returncode) {
    const char *size = o->size ? o->size : "";
    char path[4096];
    teai_error err = {0};
    int rc = teai_eval_json_path(o->results_dir, "native", "perplexity", *size ? size : "unknown",
                                 (int64_t)time(NULL), path, sizeof path, &err);
    if (rc == TEAI_OK)
        rc = teai_ppl_append_record(path, r, o->m.model, size, teai_quantize_name(o->m.quantize),
                                    elapsed, returncode, &err);
    if (rc != TEAI_OK) return cli_fail("eval ppl", &err, rc);
    printf("results: %s\n", path);
    return CLI_EXIT_OK;
}

int cmd_eval_ppl(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    ppl_opts o;
    memset(&o, 0, sizeof o);
    int code = parse(argc, argv, &o);
    if (code != CLI_EXIT_OK) return code;
    char model[4096];
    if ((code = cli_resolve_model("eval ppl", o.m.model, model, sizeof model)) != CLI_EXIT_OK)
        return code;
    o.m.model = model;

    teai_ppl_params p = teai_ppl_default_params();
    p.model_path = model;
    p.quantize = o.m.quantize;
    p.text_file = o.text;
    p.n_ctx = (int)o.ctx;
    p.n_chunks = (int)o.chunks;
    p.n_threads = (int)o.m.threads;
    p.cache_type = o.m.cache_type;
    p.no_repack = o.m.no_repack;
    p.nf4_exact = o.m.nf4_exact;
    p.kl_base_out = o.kl_base_out;
    p.kl_base = o.kl_base;
    p.progress = on_chunk;
    printf("perplexity: %s, quantize %s, %s\n", model, teai_quantize_name(o.m.quantize),
           o.kl_base ? "comparing against the base" : "scoring the second half of each chunk");
    fflush(stdout);
    cli_catch_signals();
    uint64_t t0 = cli_now_ns();
    teai_ppl_result r;
    teai_error err = {0};
    int rc = teai_ppl_run(&p, &r, &err);
    double elapsed = (double)(cli_now_ns() - t0) * 1e-9;
    if (rc != TEAI_OK && rc != TEAI_EINTR) return cli_fail("eval ppl", &err, rc);
    printf("\n");
    if (rc == TEAI_EINTR)
        printf("interrupted after %d of %d chunks\n", r.n_chunks, r.n_chunks_planned);
    printf("perplexity: %d chunks of n_ctx=%d, %ld tokens scored, weight format %s, %.2f s\n",
           r.n_chunks, r.n_ctx, r.n_scored, r.weight_format, r.eval_seconds);
    if (isfinite(r.ppl_err))
        printf("Final estimate: PPL = %.4lf +/- %.5lf\n", r.ppl, r.ppl_err);
    else
        printf("Unexpected negative standard deviation of log(prob)\n");
    if (r.has_kl) {
        printf("\n");
        print_kl(&r.kl);
    }
    if (o.kl_base_out) printf("saved log-probabilities: %s\n", o.kl_base_out);
    fflush(stdout);
    int wrc = o.results_dir ? write_record(&o, &r, elapsed, rc == TEAI_EINTR ? 130 : 0) : 0;
    if (rc == TEAI_EINTR) return CLI_EXIT_INTERRUPT;
    return wrc;
}
