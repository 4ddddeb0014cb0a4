/* teai sweep: the cross product of backends x sizes x quantizations x threads
 * x prompt lengths x generation lengths x seeds, each run by the benchmark
 * runner (src/bench) as `teai bench` runs one. Configurations sharing a
 * backend, model and thread count run on one loaded model; complete logs
 * already in the output folder are skipped (resume) unless --force; a failing
 * configuration does not stop the sweep. */
#include "base/base.h"
#include "bench.h"
#include "cli.h"
#include "eval/eval.h"
#include "eval/ppl.h"
#include "eval/task.h"
#include "results/results.h"

#include <dirent.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *help =
    "usage: teai sweep [options]\n"
    "\n"
    "Runs `teai bench` over the cross product of comma-separated lists (as llama-bench\n"
    "does), one raw log per configuration, in an order that loads each model once.\n"
    "Defaults mirror the original workflow: backend native, size 1B, quantizations\n"
    "default,int8,nf4,float16, seed 42, 20 generated tokens.\n"
    "\n"
    "  --backends LIST       native,llamacpp,llama-bench,openai,tinygrad\n"
    "  --sizes LIST          1B,3B,8B,...\n"
    "  --quantize LIST       default,int8,nf4,float16 and the GGUF types q8_0,q6_k,q4_k_m,\n"
    "                        q4_0 (as for teai bench --quantize)\n"
    "  --seeds LIST          42,...\n"
    "  --threads LIST        thread counts (default: all cores)\n"
    "  --prompt-tokens LIST  prompt lengths in tokens (default: the text prompt)\n"
    "  -n LIST               generation lengths (default 20)\n"
    "  --sweep-file F        the same lists from a file: lines 'key = a,b,c' with the keys\n"
    "                        backends, sizes, quantize, seeds, threads, prompt_tokens, n_gen\n"
    "  --dry-run             print the plan (the equivalent teai bench commands) and stop\n"
    "  --force               re-run configurations whose complete logs exist\n"
    "  --eval ENV            after the benchmarks of each backend, size and quantization,\n"
    "                        evaluate its accuracy: gsm8k, reverse_text or wordle (needs\n"
    "                        --eval-dataset FILE.jsonl), or ppl (native only; needs\n"
    "                        --eval-text FILE or --eval-kl-base). Records go to one file per\n"
    "                        backend, env and size in <output-dir>/verifiers_results/\n"
    "                        (docs/eval-task.md); configurations already recorded there are\n"
    "                        skipped (resume)\n"
    "  --eval-kl-base FILE   ppl: compare every configuration against this reference (made\n"
    "                        by teai eval ppl --kl-base): its records add kl_divergence,\n"
    "                        top1_agreement and delta_p; the text and context are the\n"
    "                        base's, so --eval-text may be left out\n"
    "  --eval-n N            first N examples (ppl: chunks; default: all)\n"
    "  --eval-max-tokens N   tokens per completion (default 256)\n"
    "  and every `teai bench` option (-m, --synthetic, --repetitions, --warmup,\n"
    "  --output-dir, --llama-cpp, --base-url, --sample-hz, --cooldown, --duration,\n"
    "  --noise-threshold, --cache-type, --no-repack, --nf4-exact, ...), applied to every\n"
    "  configuration (the native backend's options also to its evaluations)\n";

#define MAX_LIST 32

typedef struct list {
    char *item[MAX_LIST];
    int n;
    char *buf; /* owns the items */
} list;

/* Splits a comma list into l (items are slices of a copy kept in l). */
static int split(const char *cmd, const char *opt, const char *s, list *l) {
    l->n = 0;
    free(l->buf);
    char *copy = strdup(s), *p = copy;
    l->buf = copy;
    if (!copy) return CLI_EXIT_FAIL;
    while (p) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        while (*p == ' ') p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ') p[--len] = '\0';
        if (*p) {
            if (l->n == MAX_LIST)
                return cli_usage_error(cmd, "%s: more than %d items", opt, MAX_LIST);
            l->item[l->n++] = p;
        }
        p = comma ? comma + 1 : NULL;
    }
    if (l->n == 0) return cli_usage_error(cmd, "%s: empty list", opt);
    return CLI_EXIT_OK;
}

typedef struct sweep_lists {
    list backends, sizes, quantize, seeds, threads, prompt_tokens, n_gen;
} sweep_lists;

static void free_lists(sweep_lists *L) {
    list *all[] = {&L->backends, &L->sizes,         &L->quantize, &L->seeds,
                   &L->threads,  &L->prompt_tokens, &L->n_gen};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]->buf), all[i]->buf = NULL;
}

static list *list_for(sweep_lists *L, const char *key) {
    static const struct {
        const char *key;
        size_t off;
    } map[] = {{"backends", offsetof(sweep_lists, backends)},
               {"sizes", offsetof(sweep_lists, sizes)},
               {"quantize", offsetof(sweep_lists, quantize)},
               {"seeds", offsetof(sweep_lists, seeds)},
               {"threads", offsetof(sweep_lists, threads)},
               {"prompt_tokens", offsetof(sweep_lists, prompt_tokens)},
               {"n_gen", offsetof(sweep_lists, n_gen)}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(key, map[i].key) == 0) return (list *)((char *)L + map[i].off);
    return NULL;
}

static int read_sweep_file(const char *path, sweep_lists *L) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "teai sweep: %s: cannot open\n", path);
        return CLI_EXIT_INPUT;
    }
    char line[4096];
    int lineno = 0, rc = CLI_EXIT_OK;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n#")] = '\0';
        char *eq = strchr(line, '='), *k = line;
        while (*k == ' ' || *k == '\t') k++;
        if (!*k) continue;
        if (!eq) {
            fprintf(stderr, "teai sweep: %s:%d: expected 'key = a,b,c'\n", path, lineno);
            rc = CLI_EXIT_INPUT;
            break;
        }
        *eq = '\0';
        size_t kl = strlen(k);
        while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t')) k[--kl] = '\0';
        list *l = list_for(L, k);
        if (!l) {
            fprintf(stderr, "teai sweep: %s:%d: unknown key '%s'\n", path, lineno, k);
            rc = CLI_EXIT_INPUT;
            break;
        }
        rc = split("sweep", k, eq + 1, l);
    }
    fclose(f);
    return rc;
}

/* TEAI_ANNOUNCE_LOGS=1 (set by teai remote): each finished log is named on
 * stdout as "teai-log: PATH", so the host fetches it while the sweep goes on. */
static void announce_log(const char *path) {
    const char *a = getenv("TEAI_ANNOUNCE_LOGS");
    if (!path[0] || !a || strcmp(a, "1") != 0) return;
    printf("teai-log: %s\n", path);
    fflush(stdout);
}

/* ---- resume: which configurations already have a complete log ----------- */

/* 1 if the log at path is a complete teai log of configuration o: its
 * header names o's configuration and its last line says it ended ok. */
static int log_matches(const char *path, const bench_opts *o, int threads) {
    teai_log_header *h = NULL;
    if (teai_log_header_read(path, &h, NULL) != TEAI_OK) return 0;
    char want[10][64];
    static const char *const keys[10] = {"backend", "size",      "quantize",      "seed",
                                         "threads", "n_gen",     "prompt_tokens", "repetitions",
                                         "warmup",  "duration_s"};
    snprintf(want[0], 64, "%s", o->p.backend_name ? o->p.backend_name : o->p.backend);
    snprintf(want[1], 64, "%s", o->p.size);
    snprintf(want[2], 64, "%s", o->p.quantize);
    snprintf(want[3], 64, "%llu", (unsigned long long)o->p.seed);
    snprintf(want[4], 64, "%d", threads);
    snprintf(want[5], 64, "%d", o->p.n_gen);
    snprintf(want[6], 64, "%d", o->p.prompt_tokens);
    snprintf(want[7], 64, "%d", o->p.repetitions);
    snprintf(want[8], 64, "%d", o->p.warmup);
    /* sustained or not (a log from before sustained mode has no duration_s: not) */
    want[9][0] = '\0';
    if (o->p.duration_s > 0) snprintf(want[9], 64, "%g", o->p.duration_s);
    const char *end = teai_log_header_end(h);
    int ok = end && strcmp(end, "ok") == 0;
    for (int i = 0; i < 10 && ok; i++) {
        const char *v = teai_log_header_get(h, keys[i]);
        ok = strcmp(v ? v : "", want[i]) == 0;
    }
    teai_log_header_free(h);
    return ok;
}

static int already_done(const bench_opts *o, int threads) {
    DIR *d = opendir(o->p.output_dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", o->p.output_dir, e->d_name);
        found = log_matches(path, o, threads);
    }
    closedir(d);
    return found;
}

/* ---- the sweep ---------------------------------------------------------- */

/* The device options of p that differ from the defaults, as bench takes
 * them (" --sample-hz 2 --cooldown 45C ..."), for the dry run's commands. */
static void device_opts(const teai_bench_params *p, char *buf, size_t cap) {
    teai_bench_params d = teai_bench_default_params();
    size_t n = 0;
    buf[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < cap) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__);                         \
    } while (0)
    if (p->sample_hz != d.sample_hz) ADD(" --sample-hz %g", p->sample_hz);
    if (p->cooldown == TEAI_COOLDOWN_AUTO) ADD(" --cooldown auto");
    if (p->cooldown == TEAI_COOLDOWN_SECONDS) ADD(" --cooldown %gs", p->cooldown_value);
    if (p->cooldown == TEAI_COOLDOWN_TEMP) ADD(" --cooldown %gC", p->cooldown_value);
    if (p->cooldown != TEAI_COOLDOWN_NONE && p->cooldown_margin_c != d.cooldown_margin_c)
        ADD(" --cooldown-margin %g", p->cooldown_margin_c);
    if (p->cooldown != TEAI_COOLDOWN_NONE && p->cooldown_max_s != d.cooldown_max_s)
        ADD(" --cooldown-max %gs", p->cooldown_max_s);
    if (p->duration_s > 0) ADD(" --duration %gs", p->duration_s);
    if (p->noise_threshold_pct != d.noise_threshold_pct)
        ADD(" --noise-threshold %g", p->noise_threshold_pct);
#undef ADD
}

static long parse_long(const char *s, long lo, long hi, int *bad) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) *bad = 1;
    return v;
}

static void fmt_duration(double s, char *buf, size_t cap) {
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* ---- accuracy evaluation after the benchmarks (--eval) -------------------- */

typedef struct eval_opts {
    const char *env; /* gsm8k, reverse_text, wordle, ppl; NULL: no evaluation */
    const char *dataset, *text;
    const char *kl_base; /* ppl: reference log-probabilities to compare against, or NULL */
    int n, max_tokens;
    int n_examples; /* examples the data set gives with --eval-n (what a record says) */
    int64_t t0;     /* the sweep's start: names new results files */
    int ran, skipped, failed;
} eval_opts;

static int eval_cancel(void *ud) {
    (void)ud;
    return cli_interrupted();
}

static int ppl_cancel(void *ud, const teai_ppl_progress *p) {
    (void)ud, (void)p;
    return cli_interrupted();
}

/* Runs the perplexity evaluation of o into path (the built-in engine). */
static int eval_ppl(const eval_opts *ev, const bench_opts *o, const char *model, int threads,
                    const char *path, char *summary, size_t cap) {
    teai_ppl_params p = teai_ppl_default_params();
    p.model_path = model;
    teai_quantize_from_name(o->p.quantize, &p.quantize); /* checked with the lists */
    p.text_file = ev->text;
    p.kl_base = ev->kl_base;
    p.n_chunks = ev->n;
    p.n_threads = threads;
    p.cache_type = o->p.cache_type;
    p.no_repack = o->p.no_repack;
    p.nf4_exact = o->p.nf4_exact;
    p.progress = ppl_cancel;
    teai_ppl_result r;
    memset(&r, 0, sizeof r);
    teai_error err = {0};
    uint64_t t0 = cli_now_ns();
    int rc = teai_ppl_run(&p, &r, &err);
    if (rc && rc != TEAI_EINTR) return cli_fail("sweep", &err, rc);
    int wrc =
        teai_ppl_append_record(path, &r, model, o->p.size, o->p.quantize,
                               (double)(cli_now_ns() - t0) / 1e9, rc == TEAI_EINTR ? 130 : 0, &err);
    if (wrc) return cli_fail("sweep", &err, wrc);
    int n = snprintf(summary, cap, "ppl %.6g ± %.3g (%ld tokens)", r.ppl, r.ppl_err, r.n_scored);
    if (r.has_kl && n > 0 && (size_t)n < cap)
        snprintf(summary + n, cap - (size_t)n, ", KL %.6g, same top %.2f %%", r.kl.kld,
                 100.0 * r.kl.same_top);
    return rc == TEAI_EINTR ? CLI_EXIT_INTERRUPT : CLI_EXIT_OK;
}

/* The evaluation of configuration o after its benchmarks (model: the one
 * the benchmarks used, an empty path when none was looked up yet). An exit
 * code. */
static int sweep_eval(eval_opts *ev, const bench_opts *o, uint64_t seed, int threads,
                      teai_bench_model *model) {
    const char *cmd = "sweep";
    int is_ppl = strcmp(ev->env, "ppl") == 0;
    const char *env = is_ppl ? "perplexity" : ev->env;
    char label[256];
    snprintf(label, sizeof label, "eval %s: %s %s %s", ev->env, o->p.backend, o->p.size,
             o->p.quantize);
    if (is_ppl ? strcmp(o->p.backend, "native") != 0
               : strcmp(o->p.backend, "native") && strcmp(o->p.backend, "llamacpp") &&
                     strcmp(o->p.backend, "openai")) {
        fprintf(stderr, "[%s] not for this backend (%s), skipped\n", label,
                is_ppl ? "perplexity: native only" : "task environments: native, llamacpp, openai");
        return CLI_EXIT_OK;
    }
    char dir[4096], path[4096];
    snprintf(dir, sizeof dir, "%s/verifiers_results", o->p.output_dir);
    teai_error err = {0};
    if (o->force ||
        !teai_task_results_latest(dir, o->p.backend, env, o->p.size, path, sizeof path)) {
        int rc =
            teai_eval_json_path(dir, o->p.backend, env, o->p.size, ev->t0, path, sizeof path, &err);
        if (rc) return cli_fail(cmd, &err, rc);
    }
    int done =
        !o->force && teai_task_results_has(path, env, o->p.quantize, is_ppl ? -1 : ev->n_examples,
                                           is_ppl ? -1 : ev->max_tokens);
    if (o->dry_run) {
        if (is_ppl)
            printf("%s teai eval ppl -m MODEL --quantize %s%s%s%s%s --results-dir %s\n",
                   done ? "skip (recorded):" : "eval:", o->p.quantize, ev->text ? " --text " : "",
                   ev->text ? ev->text : "", ev->kl_base ? " --kl " : "",
                   ev->kl_base ? ev->kl_base : "", dir);
        else
            printf("%s teai eval task --env %s --dataset %s --backend %s --size %s --quantize %s "
                   "-n %d --max-tokens %d --seed %llu -> %s\n",
                   done ? "skip (recorded):" : "eval:", ev->env, ev->dataset, o->p.backend,
                   o->p.size, o->p.quantize, ev->n_examples, ev->max_tokens,
                   (unsigned long long)seed, path);
        return CLI_EXIT_OK;
    }
    if (done) {
        ev->skipped++;
        fprintf(stderr, "[%s] recorded in %s, skipped\n", label, path);
        return CLI_EXIT_OK;
    }
    int rc;
    if (!model->path[0] && strcmp(o->p.backend, "openai") != 0 && (rc = bench_model(o, model)))
        return rc;
    char summary[256] = "";
    ev->ran++;
    if (is_ppl) {
        rc = eval_ppl(ev, o, model->path, threads, path, summary, sizeof summary);
    } else {
        /* the benchmark's model is loaded again: its session does not lend its backend */
        teai_task_config c = teai_task_default_config();
        c.env = (teai_task_env)teai_task_env_from_name(ev->env);
        c.dataset = ev->dataset;
        c.backend = o->p.backend;
        teai_bench_backend_config(&o->p, model->path[0] ? model->path : NULL, &c.bcfg);
        c.bcfg.n_threads = threads;
        c.bcfg.n_ctx = o->p.ctx; /* the backend's default, not the benchmark's */
        c.bcfg.seed = seed;
        c.n_examples = ev->n;
        c.max_tokens = ev->max_tokens;
        c.results_file = path;
        c.cancel = eval_cancel;
        teai_task_result r;
        rc = teai_task_run(&c, &r, &err);
        if (rc && rc != TEAI_EINTR) {
            rc = cli_fail(cmd, &err, rc);
        } else {
            snprintf(summary, sizeof summary, "reward %.4f ± %.4f (n = %ld)%s", r.metrics[0].avg,
                     isnan(r.metrics[0].stderr_) ? 0.0 : r.metrics[0].stderr_, r.metrics[0].n,
                     r.n_failed ? ", some rollouts FAILED" : "");
            rc = rc == TEAI_EINTR ? CLI_EXIT_INTERRUPT : r.n_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
            if (r.n_failed)
                fprintf(stderr, "teai sweep: %d rollouts failed: %s\n", r.n_failed,
                        r.first_error.msg);
        }
    }
    if (summary[0]) fprintf(stderr, "[%s] %s -> %s\n", label, summary, path);
    return rc;
}

static int run_sweep(int argc, char **argv, sweep_lists *lists) {
    const char *cmd = "sweep";
    sweep_lists *L = lists; /* the caller frees what the lists own */
    const char *defaults[][2] = {
        {"backends", "native"}, {"sizes", "1B"},  {"quantize", "default,int8,nf4,float16"},
        {"seeds", "42"},        {"threads", "0"}, {"prompt_tokens", "0"},
        {"n_gen", "20"}};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        split(cmd, defaults[i][0], defaults[i][1], list_for(L, defaults[i][0]));
    /* list options are taken here; everything else goes to bench_parse */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) return CLI_EXIT_FAIL;
    int nrest = 0, rc = CLI_EXIT_OK;
    rest[nrest++] = argv[0];
    const char *sweep_file = NULL;
    eval_opts ev;
    memset(&ev, 0, sizeof ev);
    ev.max_tokens = 256;
    ev.t0 = (int64_t)time(NULL);
    for (int i = 1; i < argc && !rc; i++) {
        static const char *opts[][2] = {{"--backends", "backends"},
                                        {"--sizes", "sizes"},
                                        {"--quantize", "quantize"},
                                        {"--seeds", "seeds"},
                                        {"--threads", "threads"},
                                        {"--prompt-tokens", "prompt_tokens"},
                                        {"-n", "n_gen"},
                                        {"--backend", "backends"},
                                        {"--size", "sizes"},
                                        {"--seed", "seeds"},
                                        {"-t", "threads"}};
        int taken = 0;
        for (size_t k = 0; k < sizeof opts / sizeof *opts && !taken; k++)
            if (strcmp(argv[i], opts[k][0]) == 0) {
                const char *v = cli_value(cmd, argc, argv, &i);
                rc = v ? split(cmd, argv[i - 1], v, list_for(L, opts[k][1])) : CLI_EXIT_USAGE;
                taken = 1;
            }
        if (taken) continue;
        if (strcmp(argv[i], "--sweep-file") == 0) {
            if (!(sweep_file = cli_value(cmd, argc, argv, &i))) rc = CLI_EXIT_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--eval") == 0 || strcmp(argv[i], "--eval-dataset") == 0 ||
            strcmp(argv[i], "--eval-text") == 0 || strcmp(argv[i], "--eval-kl-base") == 0 ||
            strcmp(argv[i], "--eval-n") == 0 || strcmp(argv[i], "--eval-max-tokens") == 0) {
            const char *opt = argv[i], *v = cli_value(cmd, argc, argv, &i);
            long l = 0;
            if (!v)
                rc = CLI_EXIT_USAGE;
            else if (strcmp(opt, "--eval") == 0)
                ev.env = v;
            else if (strcmp(opt, "--eval-dataset") == 0)
                ev.dataset = v;
            else if (strcmp(opt, "--eval-text") == 0)
                ev.text = v;
            else if (strcmp(opt, "--eval-kl-base") == 0)
                ev.kl_base = v;
            else if (cli_int(cmd, opt, v, strcmp(opt, "--eval-n") == 0 ? 0 : 1, 1 << 24, &l))
                rc = CLI_EXIT_USAGE;
            else if (strcmp(opt, "--eval-n") == 0)
                ev.n = (int)l;
            else
                ev.max_tokens = (int)l;
            continue;
        }
        rest[nrest++] = argv[i];
    }
    bench_opts base;
    bench_defaults(&base);
    if (!rc && sweep_file) rc = read_sweep_file(sweep_file, L);
    if (!rc) rc = bench_parse(cmd, nrest, rest, &base);
    free(rest);
    if (rc) return rc;
    if (ev.env) {
        if (strcmp(ev.env, "ppl") == 0) {
            if (!ev.text && !ev.kl_base)
                return cli_usage_error(cmd, "--eval ppl needs --eval-text FILE or --eval-kl-base "
                                            "FILE");
            if (ev.text && access(ev.text, R_OK) != 0) {
                fprintf(stderr, "teai sweep: %s: cannot read the text\n", ev.text);
                return CLI_EXIT_INPUT;
            }
            if (ev.kl_base) {
                /* read now: a missing or malformed base fails before hours of benchmarks */
                teai_kl_base kb;
                teai_error err = {0};
                int st = teai_kl_base_open(ev.kl_base, &kb, &err);
                if (st) return cli_fail(cmd, &err, st);
                teai_kl_base_close(&kb);
            }
        } else {
            if (ev.kl_base)
                return cli_usage_error(cmd, "--eval-kl-base goes with --eval ppl, not --eval %s",
                                       ev.env);
            int e = teai_task_env_from_name(ev.env);
            if (e < 0)
                return cli_usage_error(
                    cmd, "--eval: unknown '%s' (gsm8k, reverse_text, wordle, ppl)", ev.env);
            if (!ev.dataset)
                return cli_usage_error(cmd, "--eval %s needs --eval-dataset FILE", ev.env);
            /* read now: a bad data set fails before hours of benchmarks */
            teai_task_example *exs = NULL;
            teai_error err = {0};
            int st = teai_task_load((teai_task_env)e, ev.dataset, ev.n, &exs, &ev.n_examples, &err);
            if (st) return cli_fail(cmd, &err, st);
            teai_task_examples_free(exs, ev.n_examples);
        }
    } else if (ev.dataset || ev.text || ev.kl_base) {
        return cli_usage_error(cmd,
                               "--eval-dataset, --eval-text and --eval-kl-base go with --eval ENV");
    }
    int bad = 0;
    for (int i = 0; i < L->quantize.n; i++)
        if (cli_quantize(cmd, L->quantize.item[i], NULL)) return CLI_EXIT_USAGE;
    for (int i = 0; i < L->threads.n; i++) parse_long(L->threads.item[i], 0, 1024, &bad);
    for (int i = 0; i < L->prompt_tokens.n; i++)
        parse_long(L->prompt_tokens.item[i], 0, 1 << 20, &bad);
    for (int i = 0; i < L->n_gen.n; i++) parse_long(L->n_gen.item[i], 0, 1 << 20, &bad);
    for (int i = 0; i < L->seeds.n; i++) parse_long(L->seeds.item[i], 0, 0x7fffffffL, &bad);
    if (bad) return cli_usage_error(cmd, "threads, prompt tokens, lengths and seeds are integers");

    int total = L->backends.n * L->sizes.n * L->quantize.n * L->threads.n * L->prompt_tokens.n *
                L->n_gen.n * L->seeds.n;
    cli_catch_signals();
    int done = 0, ran = 0, skipped = 0, failed = 0;
    char failures[64][256];
    uint64_t t0 = cli_now_ns();
    /* outer loops pick the model (backend, size, quantize) and threads: one
     * load serves every seed, prompt and length below */
    for (int b = 0; b < L->backends.n && !cli_interrupted(); b++)
        for (int s = 0; s < L->sizes.n && !cli_interrupted(); s++)
            for (int q = 0; q < L->quantize.n && !cli_interrupted(); q++)
                for (int t = 0; t < L->threads.n && !cli_interrupted(); t++) {
                    bench_opts o = base;
                    o.p.backend = L->backends.item[b];
                    o.p.size = L->sizes.item[s];
                    o.p.quantize = L->quantize.item[q];
                    o.p.threads = (int)parse_long(L->threads.item[t], 0, 1024, &bad);
                    o.quiet = 1;
                    int threads_key = o.p.threads > 0 ? o.p.threads : teai__n_cpus();
                    teai_bench_model model = {0};
                    int opened = 0, group_rc = CLI_EXIT_OK;
                    teai_bench *ss = NULL;
                    for (int p = 0; p < L->prompt_tokens.n && !cli_interrupted(); p++)
                        for (int g = 0; g < L->n_gen.n && !cli_interrupted(); g++)
                            for (int e = 0; e < L->seeds.n && !cli_interrupted(); e++) {
                                o.p.prompt_tokens =
                                    (int)parse_long(L->prompt_tokens.item[p], 0, 1 << 20, &bad);
                                o.p.n_gen = (int)parse_long(L->n_gen.item[g], 0, 1 << 20, &bad);
                                o.p.seed =
                                    (uint64_t)parse_long(L->seeds.item[e], 0, 0x7fffffffL, &bad);
                                done++;
                                char label[256];
                                snprintf(label, sizeof label, "%s %s %s t%d p%d n%d seed%llu",
                                         o.p.backend, o.p.size, o.p.quantize, threads_key,
                                         o.p.prompt_tokens, o.p.n_gen,
                                         (unsigned long long)o.p.seed);
                                int skip = !base.force && already_done(&o, threads_key);
                                if (base.dry_run) {
                                    /* the whole command: the same configuration when run */
                                    char dev[256];
                                    device_opts(&o.p, dev, sizeof dev);
                                    printf("%s teai bench --backend %s --size %s --quantize %s "
                                           "--seed %llu -t %d -n %d%s%s%s%s --repetitions %d "
                                           "--warmup %d%s --output-dir %s\n",
                                           skip ? "skip (complete log exists):" : "run:",
                                           o.p.backend, o.p.size, o.p.quantize,
                                           (unsigned long long)o.p.seed, threads_key, o.p.n_gen,
                                           o.p.prompt_tokens ? " --prompt-tokens " : "",
                                           o.p.prompt_tokens ? L->prompt_tokens.item[p] : "",
                                           o.p.model       ? " -m "
                                           : o.p.synthetic ? " --synthetic"
                                                           : "",
                                           o.p.model ? o.p.model : "", o.p.repetitions, o.p.warmup,
                                           dev, o.p.output_dir);
                                    continue;
                                }
                                if (skip) {
                                    skipped++;
                                    fprintf(stderr, "[%d/%d] %s: complete log exists, skipped\n",
                                            done, total, label);
                                    continue;
                                }
                                if (!opened) {
                                    opened = 1;
                                    group_rc = bench_model(&o, &model);
                                    if (!group_rc) group_rc = bench_open(&o, &model, &ss);
                                }
                                char log_path[4096] = "";
                                int r = group_rc
                                            ? group_rc
                                            : bench_session_run(ss, &o, log_path, sizeof log_path);
                                if (r == CLI_EXIT_INTERRUPT) break;
                                ran++;
                                double el = (double)(cli_now_ns() - t0) / 1e9;
                                char eta[32];
                                fmt_duration(el / done * (total - done), eta, sizeof eta);
                                if (r) {
                                    if (failed < 64)
                                        snprintf(failures[failed], sizeof failures[failed], "%s",
                                                 label);
                                    failed++;
                                    fprintf(stderr, "[%d/%d] %s: FAILED (ETA %s)\n", done, total,
                                            label, eta);
                                } else {
                                    fprintf(stderr, "[%d/%d] %s: %s (ETA %s)\n", done, total, label,
                                            log_path, eta);
                                }
                                announce_log(log_path);
                            }
                    teai_bench_close(ss);
                    /* after the last thread count: every benchmark of this model is done */
                    if (ev.env && t == L->threads.n - 1 && !cli_interrupted() &&
                        (base.dry_run || !group_rc)) {
                        o.p.threads = (int)parse_long(L->threads.item[t], 0, 1024, &bad);
                        int r = sweep_eval(
                            &ev, &o, (uint64_t)parse_long(L->seeds.item[0], 0, 0x7fffffffL, &bad),
                            o.p.threads, &model);
                        if (r && r != CLI_EXIT_INTERRUPT) {
                            if (failed < 64)
                                snprintf(failures[failed], sizeof failures[0], "eval %s %s %s %s",
                                         ev.env, o.p.backend, o.p.size, o.p.quantize);
                            failed++;
                            ev.failed++;
                        }
                    }
                }
    if (base.dry_run) return CLI_EXIT_OK;
    printf("sweep: %d configurations: %d run, %d skipped (complete logs), %d failed\n", total, ran,
           skipped, failed - ev.failed);
    if (ev.env)
        printf(
            "eval %s: %d run, %d skipped (recorded), %d failed; records in %s/verifiers_results\n",
            ev.env, ev.ran, ev.skipped, ev.failed, base.p.output_dir);
    for (int i = 0; i < failed && i < 64; i++) printf("  failed: %s\n", failures[i]);
    if (cli_interrupted()) {
        fprintf(stderr, "teai sweep: interrupted; re-run the same command to resume\n");
        return CLI_EXIT_INTERRUPT;
    }
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_sweep(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    sweep_lists L;
    memset(&L, 0, sizeof L);
    int rc = run_sweep(argc, argv, &L);
    free_lists(&L);
    return rc;
}
