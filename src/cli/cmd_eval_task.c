/* teai eval task: accuracy on a task environment (gsm8k, reverse_text,
 * wordle) through a backend, into the seed-shaped results file
 * (docs/eval-task.md). */
#include "bench.h"
#include "cli.h"
#include "eval/task.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *help =
    "usage: teai eval task --env gsm8k|reverse_text|wordle --dataset FILE.jsonl [options]\n"
    "\n"
    "Runs the first N examples of a JSON Lines data set through a backend, R rollouts\n"
    "each, scores them, and appends the summary to\n"
    "<results-dir>/<backend>_sweep_<env>_<size>_<timestamp>.json, with one line per\n"
    "rollout in a .jsonl file next to it.\n"
    "\n"
    "  --env E              gsm8k ({\"question\", \"answer\": \"... #### 42\"}),\n"
    "                       reverse_text ({\"text\"}), wordle ({\"answer\": \"crane\"})\n"
    "  --dataset FILE       the JSON Lines data set\n"
    "  --backend B          native (default), llamacpp, openai\n"
    "  -m, --model MODEL    model file or folder (native, llamacpp); default: the seed's\n"
    "                       models/ folder, then the Hugging Face cache\n"
    "  --quantize Q         default, int8, nf4, float16 (default: default), or a GGUF type\n"
    "                       q8_0, q6_k, q4_k_m, q4_0\n"
    "  --size S             size name for the results file (default 1B)\n"
    "  -n N                 first N examples (default: all)\n"
    "  --rollouts R         rollouts per example, rollout r sampled with seed + r (default 1)\n"
    "  --max-tokens N       tokens per completion, per turn for wordle (default 256)\n"
    "  --temperature T      sampling temperature (default 0: greedy)\n"
    "  --seed S             sampling seed (default 42)\n"
    "  --concurrency C      openai only: C requests in flight (default 1)\n"
    "  --base-url URL --api-key K --model-name M   (openai; the chat endpoint is used)\n"
    "  --llama-cpp DIR      llama.cpp install or build (llamacpp)\n"
    "  --results-dir DIR    where results go (default verifiers_results)\n"
    "  -t, --threads N      " CLI_HELP_THREADS "\n"
    "  --cache-type T       native: " CLI_HELP_CACHE_TYPE "\n"
    "  --no-repack          native: " CLI_HELP_NO_REPACK "\n"
    "  --nf4-exact          native: " CLI_HELP_NF4_EXACT "\n"
    "  -c, --ctx N          context length (default: the backend's)\n"
    "  --synthetic          no model at hand: a synthesized model of that size (random\n"
    "                       weights: rewards near 0; checks the pipeline only)\n"
    "  -q, --quiet          no progress display\n";

typedef struct progress_ud {
    int interactive, quiet;
    uint64_t t0, last;
} progress_ud;

static int cancel_cb(void *ud) {
    (void)ud;
    return cli_interrupted();
}

static void progress_cb(void *ud, const teai_task_progress *p) {
    progress_ud *u = ud;
    if (u->quiet) return;
    uint64_t now = cli_now_ns();
    int last = p->done == p->total;
    if (u->interactive && !last && now - u->last < 100000000ull) return;
    u->last = now;
    int scored = p->done - p->failed;
    double el = (double)(now - u->t0) / 1e9;
    if (u->interactive)
        fprintf(stderr, "\r%d/%d rollouts, mean reward %.4f%s, %.0f s   %s", p->done, p->total,
                scored ? p->reward_sum / scored : 0.0, p->failed ? " (some failed)" : "", el,
                last ? "\n" : "");
    else
        fprintf(stderr, "[%d/%d] example %d rollout %d: reward %s%.4f\n", p->done, p->total,
                p->example, p->rollout, isnan(p->reward) ? "FAILED " : "",
                isnan(p->reward) ? 0.0 : p->reward);
}

static void print_metric(const teai_eval_metric *m) {
    printf("  %-16s %.4f", m->name, m->avg);
    if (!isnan(m->stderr_)) printf(" ± %.4f (stderr)", m->stderr_);
    if (!isnan(m->ci_low)) printf(", 95%% CI [%.4f, %.4f]", m->ci_low, m->ci_high);
    printf(", n = %ld\n", m->n);
}

int cmd_eval_task(int argc, char **argv) {
    const char *cmd = "eval task";
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    teai_task_config cfg = teai_task_default_config();
    bench_opts bo;
    bench_defaults(&bo);
    const char *env = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long l;
        double d;
        if (cli_is(a, NULL, "--synthetic")) {
            bo.p.synthetic = 1;
            continue;
        }
        if (cli_is(a, "-q", "--quiet")) {
            quiet = 1;
            continue;
        }
        if (cli_is(a, NULL, "--no-repack") || cli_is(a, NULL, "--nf4-exact")) {
            if (cli_is(a, NULL, "--no-repack"))
                cfg.bcfg.no_repack = 1;
            else
                cfg.bcfg.nf4_exact = 1;
            continue;
        }
        static const char *with_value[] = {"--env",
                                           "--dataset",
                                           "--backend",
                                           "-m",
                                           "--model",
                                           "--quantize",
                                           "--size",
                                           "-n",
                                           "--rollouts",
                                           "--max-tokens",
                                           "--temperature",
                                           "--seed",
                                           "--concurrency",
                                           "--base-url",
                                           "--api-key",
                                           "--model-name",
                                           "--results-dir",
                                           "-t",
                                           "--threads",
                                           "--llama-cpp",
                                           "-c",
                                           "--ctx",
                                           "--cache-type",
                                           NULL};
        int known = 0;
        for (int k = 0; with_value[k]; k++) known |= strcmp(a, with_value[k]) == 0;
        if (!known) return cli_usage_error(cmd, "unknown argument '%s'", a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        if (cli_is(a, NULL, "--env"))
            env = v;
        else if (cli_is(a, NULL, "--dataset"))
            cfg.dataset = v;
        else if (cli_is(a, NULL, "--backend"))
            cfg.backend = bo.p.backend = v;
        else if (cli_is(a, "-m", "--model"))
            bo.p.model = v;
        else if (cli_is(a, NULL, "--quantize"))
            cfg.bcfg.quantize = bo.p.quantize = v;
        else if (cli_is(a, NULL, "--size"))
            cfg.bcfg.size = bo.p.size = v;
        else if (cli_is(a, NULL, "--cache-type")) {
            if (cli_cache_type(cmd, v, &cfg.bcfg.cache_type)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--base-url"))
            cfg.bcfg.base_url = v;
        else if (cli_is(a, NULL, "--api-key"))
            cfg.bcfg.api_key = v;
        else if (cli_is(a, NULL, "--model-name"))
            cfg.bcfg.model_name = v;
        else if (cli_is(a, NULL, "--results-dir"))
            cfg.results_dir = v;
        else if (cli_is(a, NULL, "--llama-cpp"))
            cfg.bcfg.llama_cpp_dir = bo.p.llama_cpp = v;
        else if (cli_is(a, NULL, "--seed")) {
            if (cli_u64(cmd, a, v, &cfg.bcfg.seed)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--temperature")) {
            if (cli_float(cmd, a, v, 0, 100, &d)) return CLI_EXIT_USAGE;
            cfg.bcfg.temperature = (float)d;
        } else {
            long lo = 0, hi = 1 << 24;
            if (cli_is(a, NULL, "--rollouts") || cli_is(a, NULL, "--max-tokens") ||
                cli_is(a, NULL, "--concurrency") || cli_is(a, "-t", "--threads"))
                lo = 1;
            if (cli_is(a, NULL, "--concurrency")) hi = 1024;
            if (cli_is(a, NULL, "--rollouts")) hi = 1000000;
            if (cli_int(cmd, a, v, lo, hi, &l)) return CLI_EXIT_USAGE;
            if (cli_is(a, "-n", NULL))
                cfg.n_examples = (int)l;
            else if (cli_is(a, NULL, "--rollouts"))
                cfg.rollouts = (int)l;
            else if (cli_is(a, NULL, "--max-tokens"))
                cfg.max_tokens = (int)l;
            else if (cli_is(a, NULL, "--concurrency"))
                cfg.concurrency = (int)l;
            else if (cli_is(a, "-t", "--threads"))
                cfg.bcfg.n_threads = bo.p.threads = (int)l;
            else
                cfg.bcfg.n_ctx = (int)l;
        }
    }
    if (!env) return cli_usage_error(cmd, "--env is required (gsm8k, reverse_text, wordle)");
    int e = teai_task_env_from_name(env);
    if (e < 0)
        return cli_usage_error(cmd, "unknown environment '%s' (gsm8k, reverse_text, wordle)", env);
    cfg.env = (teai_task_env)e;
    if (!cfg.dataset) return cli_usage_error(cmd, "--dataset FILE.jsonl is required");
    int is_openai = strcmp(cfg.backend, "openai") == 0;
    if (strcmp(cfg.backend, "native") && strcmp(cfg.backend, "llamacpp") && !is_openai)
        return cli_usage_error(cmd,
                               "backend '%s' cannot run task evaluations (native, "
                               "llamacpp, openai)",
                               cfg.backend);
    if (cfg.concurrency > 1 && !is_openai)
        return cli_usage_error(cmd, "--concurrency applies to the openai backend only");
    if (cli_quantize(cmd, cfg.bcfg.quantize, NULL)) return CLI_EXIT_USAGE;
    if (is_openai && !cfg.bcfg.base_url)
        return cli_usage_error(cmd, "the openai backend needs --base-url URL");
    if (access(cfg.dataset, R_OK) != 0) {
        fprintf(stderr, "teai %s: %s: cannot read the data set\n", cmd, cfg.dataset);
        return CLI_EXIT_INPUT;
    }
    cli_catch_signals();
    teai_bench_model model = {0};
    int rc;
    if (!is_openai) {
        if ((rc = bench_model(&bo, &model))) return rc;
        cfg.bcfg.model = model.path;
    }
    progress_ud pu = {isatty(2), quiet, cli_now_ns(), 0};
    cfg.cancel = cancel_cb;
    cfg.progress = progress_cb;
    cfg.ud = &pu;
    teai_task_result res;
    teai_error err = {0};
    rc = teai_task_run(&cfg, &res, &err);
    if (rc && rc != TEAI_EINTR) return cli_fail(cmd, &err, rc);
    printf("%s on %s (%s %s%s%s), %d examples x %d rollouts, max %d tokens%s\n", env, cfg.backend,
           cfg.bcfg.size, cfg.bcfg.quantize, res.weight_format[0] ? ", " : "", res.weight_format,
           res.n_examples, cfg.rollouts, cfg.max_tokens,
           model.synthetic ? " (synthesized model: random weights)" : "");
    for (int i = 0; i < res.n_metrics; i++) print_metric(&res.metrics[i]);
    printf("  time:            %.1f s generating and scoring, %.1f s in all\n",
           res.eval_time_seconds, res.elapsed_seconds);
    printf("  results:         %s\n  examples:        %s\n", res.json_path, res.examples_path);
    if (rc == TEAI_EINTR) {
        fprintf(stderr,
                "teai %s: interrupted after %d of %d rollouts; the record says returncode 130\n",
                cmd, res.n_rollouts, res.n_examples * cfg.rollouts);
        return CLI_EXIT_INTERRUPT;
    }
    if (res.n_failed) {
        fprintf(stderr, "teai %s: %d of %d rollouts failed (left out of the metrics): %s\n", cmd,
                res.n_failed, res.n_rollouts, res.first_error.msg);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}
