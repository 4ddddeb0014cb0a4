/* teai bench: one configuration on one backend, into a raw log
 * (benchmark_output/<prefix><hostname>_<size>_<quantize>_seed<seed>_uuid<id>.txt):
 * its options, and the runner library (src/bench) with a progress display. */
#include "bench.h"
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *help =
    "usage: teai bench --backend B [--size 1B] [--quantize Q] [--seed 42] [options]\n"
    "\n"
    "Runs one configuration and writes its raw log into the output folder\n"
    "(benchmark_output/<prefix><hostname>_<size>_<quantize>_seed<seed>_uuid<id>.txt).\n"
    "\n"
    "  --backend B          native (default), llamacpp, llama-bench, openai, tinygrad\n"
    "  --size S             1B, 3B, 8B, 70B, 405B (default 1B)\n"
    "  --quantize Q         default, int8, nf4, float16 (default: default), or a GGUF type\n"
    "                       q8_0, q6_k, q4_k_m, q4_0 (native: re-encoded at load as `teai\n"
    "                       model quantize` writes it); for llama.cpp backends the GGUF\n"
    "                       file type: default Q6_K, int8 Q8_0, nf4 Q4_K_M, float16 F16,\n"
    "                       a GGUF type the same-named one\n"
    "  --seed S             sampling seed (default 42)\n"
    "  -m, --model MODEL    model file or folder; default: the seed's models/ folder, then\n"
    "                       the Hugging Face cache\n"
    "  --make-missing       llama.cpp backends: make the seed's missing GGUF file from a\n"
    "                       higher-precision one in models/ (F32, BF16, F16, Q8_0)\n"
    "  --synthetic          no model at hand: benchmark a synthesized model of that size\n"
    "                       (random weights, exact shapes; made once and cached)\n"
    "  -n N                 tokens to decode per repetition, after the first (default 20)\n"
    "  -p TEXT | --prompt-file F | --prompt-tokens N   the prompt (default: a short sentence)\n"
    "  --repetitions R      measured repetitions (default 3)\n"
    "  --warmup W           warm-up repetitions, run and logged but marked (default 1)\n"
    "  -t, --threads N      " CLI_HELP_THREADS "\n"
    "  --cache-type T       native: " CLI_HELP_CACHE_TYPE "\n"
    "  --no-repack          native: " CLI_HELP_NO_REPACK "\n"
    "  --nf4-exact          native: " CLI_HELP_NF4_EXACT "\n"
    "  -c, --ctx N          context length (default: enough for the prompt and tokens)\n"
    "  --temp T             sampling temperature (default 0: greedy)\n"
    "  --output-dir DIR     where logs go (default benchmark_output)\n"
    "  --llama-cpp DIR      llama.cpp install or build (llamacpp, llama-bench)\n"
    "  --base-url URL --api-key K --model-name M --chat   (openai)\n"
    "  --backend-name NAME  name the log and CSV after NAME (e.g. mlc_llm, tinygrad)\n"
    "  --tinygrad DIR [--python P]                          (tinygrad)\n"
    "  -q, --quiet          no progress display\n"
    "\n"
    "The device (docs/metrics.md): energy, heat, clocks and other processes' load are\n"
    "read through every run and summed up per repetition in the log.\n"
    "  --sample-hz HZ       sensor readings per second while it runs (default 10; 0: only at\n"
    "                       each repetition's start, prefill and last token)\n"
    "  --cooldown MODE      before each repetition wait until the device cooled: auto (back\n"
    "                       within --cooldown-margin of the idle temperature taken at the\n"
    "                       start), SECONDS (a fixed delay: 30, 30s, 2m) or TEMP_C (down to\n"
    "                       a temperature: 45C); default none\n"
    "  --cooldown-margin C  auto's margin, degrees C (default 2)\n"
    "  --cooldown-max T     the longest wait for a temperature, seconds (default 120)\n"
    "  --duration T         sustained mode: after the warm-ups, decode back to back (each\n"
    "                       repetition until the context is full) for T (300, 300s, 5m)\n"
    "  --noise-threshold P  flag a repetition noisy when other processes took more than P%\n"
    "                       of all CPUs' time (default 10)\n";

/* A length of time: a number of seconds, or with a unit (30s, 5m, 1h). 0,
 * or -1 when s is not one. */
static int parse_seconds(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return -1;
    double unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1
                  : strcmp(end, "m") == 0                       ? 60
                  : strcmp(end, "h") == 0                       ? 3600
                                                                : -1;
    if (unit < 0) return -1;
    *out = v * unit;
    return 0;
}

/* --cooldown: auto, SECONDS (30, 30s, 2m) or TEMP_C (45C). */
static int parse_cooldown(const char *cmd, const char *v, teai_bench_params *p) {
    char *end;
    size_t n = strlen(v);
    if (strcmp(v, "auto") == 0) {
        p->cooldown = TEAI_COOLDOWN_AUTO;
        return 0;
    }
    if (n > 1 && (v[n - 1] == 'C' || v[n - 1] == 'c')) {
        double t = strtod(v, &end);
        if (end == v + n - 1 && t >= -40 && t <= 150) {
            p->cooldown = TEAI_COOLDOWN_TEMP;
            p->cooldown_value = t;
            return 0;
        }
        return cli_usage_error(cmd, "--cooldown: '%s' is not a temperature from -40C to 150C", v);
    }
    if (parse_seconds(v, &p->cooldown_value) == 0) {
        if (p->cooldown_value > 86400)
            return cli_usage_error(cmd, "--cooldown: '%s' is longer than a day", v);
        p->cooldown = TEAI_COOLDOWN_SECONDS;
        return 0;
    }
    return cli_usage_error(
        cmd, "--cooldown: '%s' is not auto, SECONDS (30, 30s, 2m) or TEMP_C (45C)", v);
}

void bench_defaults(bench_opts *o) {
    memset(o, 0, sizeof *o);
    o->p = teai_bench_default_params();
}

int bench_parse(const char *cmd, int argc, char **argv, bench_opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long l;
        double d;
        if (cli_is(a, NULL, "--synthetic"))
            o->p.synthetic = 1;
        else if (cli_is(a, NULL, "--chat"))
            o->p.chat = 1;
        else if (cli_is(a, "-q", "--quiet"))
            o->quiet = 1;
        else if (cli_is(a, NULL, "--force"))
            o->force = 1;
        else if (cli_is(a, NULL, "--dry-run"))
            o->dry_run = 1;
        else if (cli_is(a, NULL, "--make-missing"))
            o->p.make_missing = 1;
        else if (cli_is(a, NULL, "--no-repack"))
            o->p.no_repack = 1;
        else if (cli_is(a, NULL, "--nf4-exact"))
            o->p.nf4_exact = 1;
        else {
            static const char *with_value[] = {"--backend",
                                               "--size",
                                               "--quantize",
                                               "--seed",
                                               "-m",
                                               "--model",
                                               "-n",
                                               "-p",
                                               "--prompt",
                                               "--prompt-file",
                                               "--prompt-tokens",
                                               "--repetitions",
                                               "--warmup",
                                               "-t",
                                               "--threads",
                                               "-c",
                                               "--ctx",
                                               "--temp",
                                               "--output-dir",
                                               "--llama-cpp",
                                               "--base-url",
                                               "--api-key",
                                               "--model-name",
                                               "--backend-name",
                                               "--tinygrad",
                                               "--python",
                                               "--sample-hz",
                                               "--cooldown",
                                               "--cooldown-margin",
                                               "--cooldown-max",
                                               "--duration",
                                               "--noise-threshold",
                                               "--cache-type",
                                               NULL};
            int known = 0;
            for (int k = 0; with_value[k]; k++) known |= strcmp(a, with_value[k]) == 0;
            if (!known) return cli_usage_error(cmd, "unknown argument '%s'", a);
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (cli_is(a, NULL, "--backend"))
                o->p.backend = v;
            else if (cli_is(a, NULL, "--size"))
                o->p.size = v;
            else if (cli_is(a, NULL, "--quantize"))
                o->p.quantize = v;
            else if (cli_is(a, "-m", "--model"))
                o->p.model = v;
            else if (cli_is(a, "-p", "--prompt"))
                o->p.prompt = v;
            else if (cli_is(a, NULL, "--prompt-file"))
                o->p.prompt_file = v;
            else if (cli_is(a, NULL, "--output-dir"))
                o->p.output_dir = v;
            else if (cli_is(a, NULL, "--llama-cpp"))
                o->p.llama_cpp = v;
            else if (cli_is(a, NULL, "--base-url"))
                o->p.base_url = v;
            else if (cli_is(a, NULL, "--api-key"))
                o->p.api_key = v;
            else if (cli_is(a, NULL, "--model-name"))
                o->p.model_name = v;
            else if (cli_is(a, NULL, "--backend-name"))
                o->p.backend_name = v;
            else if (cli_is(a, NULL, "--tinygrad"))
                o->p.tinygrad = v;
            else if (cli_is(a, NULL, "--python"))
                o->p.python = v;
            else if (cli_is(a, NULL, "--cooldown")) {
                if (parse_cooldown(cmd, v, &o->p)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--duration") || cli_is(a, NULL, "--cooldown-max")) {
                double sec;
                if (parse_seconds(v, &sec) || sec <= 0 || sec > 1e7)
                    return cli_usage_error(
                        cmd, "%s: '%s' is not a length of time (300, 300s, 5m, 1h; above 0)", a, v);
                if (cli_is(a, NULL, "--duration"))
                    o->p.duration_s = sec;
                else
                    o->p.cooldown_max_s = sec;
            } else if (cli_is(a, NULL, "--sample-hz")) {
                if (cli_float(cmd, a, v, 0, 1000, &o->p.sample_hz)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--cooldown-margin")) {
                if (cli_float(cmd, a, v, 0, 100, &o->p.cooldown_margin_c)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--noise-threshold")) {
                if (cli_float(cmd, a, v, 0, 100, &o->p.noise_threshold_pct)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--cache-type")) {
                if (cli_cache_type(cmd, v, &o->p.cache_type)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--seed")) {
                if (cli_u64(cmd, a, v, &o->p.seed)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--temp")) {
                if (cli_float(cmd, a, v, 0, 100, &d)) return CLI_EXIT_USAGE;
                o->p.temperature = (float)d;
            } else {
                long lo = 0, hi = 1 << 24;
                if (cli_is(a, "-t", "--threads") || cli_is(a, NULL, "--repetitions")) lo = 1;
                if (cli_int(cmd, a, v, lo, hi, &l)) return CLI_EXIT_USAGE;
                if (cli_is(a, "-n", NULL))
                    o->p.n_gen = (int)l;
                else if (cli_is(a, NULL, "--prompt-tokens"))
                    o->p.prompt_tokens = (int)l;
                else if (cli_is(a, NULL, "--repetitions"))
                    o->p.repetitions = (int)l;
                else if (cli_is(a, NULL, "--warmup"))
                    o->p.warmup = (int)l;
                else if (cli_is(a, "-t", "--threads"))
                    o->p.threads = (int)l;
                else
                    o->p.ctx = (int)l;
            }
        }
    }
    if (cli_quantize(cmd, o->p.quantize, NULL)) return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

/* ---- running: the runner library with a progress display ----------------- */

static void note_bench(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai bench: %s\n", line);
}

static int cancel_bench(void *ud) {
    (void)ud;
    return cli_interrupted();
}

int bench_model(const bench_opts *o, teai_bench_model *m) {
    teai_bench_params p = o->p;
    p.note = note_bench;
    p.ud = NULL;
    teai_error err = {0};
    int st = teai_bench_find_model(&p, m, &err);
    if (st == TEAI_ENOTFOUND && m->looked[0]) {
        fprintf(stderr,
                "teai bench: %s; looked in:%s\nGive -m MODEL, --make-missing to quantize the "
                "seed's file from a higher-precision one in models/, or --synthetic to benchmark "
                "a synthesized model of that size.\n",
                err.msg, m->looked);
        return CLI_EXIT_INPUT;
    }
    return st ? cli_fail("bench", &err, st) : CLI_EXIT_OK;
}

int bench_open(const bench_opts *o, const teai_bench_model *m, teai_bench **out) {
    teai_error err = {0};
    int st = teai_bench_open(&o->p, m, out, &err);
    return st ? cli_fail("bench", &err, st) : CLI_EXIT_OK;
}

typedef struct draw_state {
    const bench_opts *o;
    int interactive;
    uint64_t t_last_draw;
} draw_state;

/* The log's name once it is open; on a terminal, a bar of the repetition's
 * tokens, redrawn at most every 100 ms and once when it ends. */
static void draw(void *ud, const teai_bench_progress *pr) {
    draw_state *d = ud;
    const teai_bench_params *p = &d->o->p;
    if (pr->stage == TEAI_BENCH_STARTED) {
        if (!d->o->quiet)
            fprintf(stderr, "teai bench: %s on %s (%s, %s), log %s\n", pr->res->backend,
                    pr->res->model, pr->res->info->weight_format, pr->res->info->version,
                    pr->res->log_path);
        return;
    }
    if (d->o->quiet || !d->interactive) return;
    int done = pr->stage == TEAI_BENCH_REP_DONE;
    uint64_t now = cli_now_ns();
    if (!done && now - d->t_last_draw < 100000000ull) return;
    d->t_last_draw = now;
    int total = pr->n_gen, width = 30, fill = total ? pr->tokens * width / total : width;
    if (fill > width) fill = width;
    char bar[64], of[32] = "";
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    if (!isnan(pr->left_s))
        snprintf(of, sizeof of, " (%.0f s left)", pr->left_s);
    else
        snprintf(of, sizeof of, "/%d", pr->warmup ? p->warmup : p->repetitions);
    fprintf(stderr, "\r%s %d%s [%s] %d/%d tokens, %.2f tok/s   ",
            pr->warmup ? "warm-up" : "repetition",
            pr->warmup ? pr->rep + 1 : pr->rep - p->warmup + 1, of, bar, pr->tokens, total,
            pr->decode_tok_s);
    if (done) fputc('\n', stderr);
}

/* The device's lines of the summary: energy, heat and memory, the flags,
 * the sustained rates. */
static void print_device(const teai_bench_result *r) {
    if (!isnan(r->j_per_token))
        printf("  energy:           %.4g ± %.2g J/token, decode %.3g W (%s)\n", r->j_per_token,
               isnan(r->j_per_token_sd) ? 0 : r->j_per_token_sd, r->decode_w, r->energy_source);
    else
        printf("  energy:           unknown (%s)\n",
               r->energy_source[0] ? "no reading while decoding" : "no energy sensor");
    char temp[32] = "unknown", rss[32] = "unknown", bw[32] = "unknown";
    if (!isnan(r->temp_max_c)) snprintf(temp, sizeof temp, "%.1f °C", r->temp_max_c);
    if (!isnan(r->peak_rss_mb)) snprintf(rss, sizeof rss, "%.1f MiB", r->peak_rss_mb);
    if (!isnan(r->membw_gb_s)) snprintf(bw, sizeof bw, "%.1f GB/s", r->membw_gb_s);
    printf("  device:           max temperature %s, peak memory %s, measured read bandwidth %s\n",
           temp, rss, bw);
    /* the flags raised, else the ones checked; noise and throttling say when unknown */
    int n = r->n_measured;
    char line[512] = "";
    size_t len = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (len < sizeof line)                                                                     \
            len += (size_t)snprintf(line + len, sizeof line - len, __VA_ARGS__);                   \
    } while (0)
    if (r->n_noisy)
        ADD("%d of %d repetition%s noisy (other processes took %.0f%% of the CPUs)", r->n_noisy, n,
            n == 1 ? "" : "s", r->other_cpu_pct_max);
    if (r->n_throttled) ADD("%s%d of %d throttled", len ? "; " : "", r->n_throttled, n);
    if (r->n_charging)
        ADD("%s%d of %d on a charging battery (no energy figures)", len ? "; " : "", r->n_charging,
            n);
    if (!len) {
        const char *kinds[3] = {r->n_noise_known ? "noisy" : NULL,
                                r->n_throttle_known ? "throttled" : NULL,
                                r->n_charging_known ? "charging" : NULL};
        int k = 0;
        for (int i = 0; i < 3; i++)
            if (kinds[i]) ADD("%s%s", k++ ? " or " : "none of the repetitions ", kinds[i]);
        if (!k) ADD("unknown (no load, clock, throttle or battery sensor here)");
    }
    if ((r->n_noise_known || r->n_throttle_known || r->n_charging_known) &&
        (!r->n_noise_known || !r->n_throttle_known))
        ADD("; %s unknown here", !r->n_noise_known && !r->n_throttle_known ? "noise and throttling"
                                 : !r->n_noise_known                       ? "noise"
                                                                           : "throttling");
#undef ADD
    printf("  flags:            %s\n", line);
    if (!isnan(r->sustained_s))
        printf("  sustained:        %.0f s: first %.0f s: %.2f tok/s, last %.0f s: %.2f tok/s\n",
               r->sustained_s, r->first_s, r->first_tok_s, r->last_s, r->last_tok_s);
}

static void print_summary(const bench_opts *o, const teai_bench_result *r) {
    const teai_bench_params *p = &o->p;
    if (p->duration_s > 0)
        printf("%s, %s %s (%s), sustained for %g s: %d repetitions (+%d warm-up), each until "
               "the context is full\n",
               r->backend, p->size, p->quantize, r->info->weight_format, p->duration_s,
               r->n_measured, p->warmup);
    else
        printf("%s, %s %s (%s), %d repetitions (+%d warm-up), %d tokens each\n", r->backend,
               p->size, p->quantize, r->info->weight_format, p->repetitions, p->warmup, p->n_gen);
    printf("  prefill:          %.2f ± %.2f tok/s\n", r->prefill_tok_s,
           isnan(r->prefill_tok_s_sd) ? 0 : r->prefill_tok_s_sd);
    printf("  decode:           %.2f ± %.2f tok/s (mean ± sd over repetitions)\n", r->decode_tok_s,
           isnan(r->decode_tok_s_sd) ? 0 : r->decode_tok_s_sd);
    printf("  time to 1st tok:  %.2f ms\n", r->ttft_ms);
    printf("  token latency:    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (n = %d)\n", r->p50_ms,
           r->p90_ms, r->p99_ms, r->n_steps);
    printf("  teai overhead:    %.4f ms per token (%.3f%% of the mean step; logging and "
           "progress, outside the measured step)\n",
           r->overhead_ms, 100.0 * r->overhead_ms / r->mean_step_ms);
    print_device(r);
    printf("  log:              %s\n", r->log_path);
}

int bench_session_run(teai_bench *b, const bench_opts *o, char *log_path, size_t log_cap) {
    draw_state d = {o, isatty(2), 0};
    teai_bench_params p = o->p;
    p.progress = draw;
    p.note = note_bench;
    p.cancel = cancel_bench;
    p.ud = &d;
    teai_bench_result res;
    teai_error err = {0};
    int st = teai_bench_run(b, &p, &res, &err);
    snprintf(log_path, log_cap, "%s", res.log_path);
    if (st) {
        int rc = cli_fail("bench", &err, st);
        if (res.write_failed)
            fprintf(stderr, "teai bench: what was measured before the failed write is in %s\n",
                    res.log_path);
        return rc;
    }
    if (!o->quiet) print_summary(o, &res);
    return CLI_EXIT_OK;
}

int cmd_bench(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    bench_opts o;
    bench_defaults(&o);
    int rc = bench_parse("bench", argc, argv, &o);
    if (rc) return rc;
    cli_catch_signals();
    teai_bench_model m;
    if ((rc = bench_model(&o, &m))) return rc;
    teai_bench *b = NULL;
    if ((rc = bench_open(&o, &m, &b))) return rc;
    char log_path[4096];
    rc = bench_session_run(b, &o, log_path, sizeof log_path);
    teai_bench_close(b);
    return rc;
}
