/* teai bench: one configuration on one backend, into a raw log (DESIGN §3). */
#include "analysis/analysis.h"
#include "backends/backend.h"
#include "bench.h"
#include "cli.h"
#include "results/results.h"
#include "sys/sys.h"

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
    "  --quantize Q         default, int8, nf4, float16 (default: default); for llama.cpp\n"
    "                       backends the GGUF type: default Q6_K, int8 Q8_0, nf4 Q4_K_M, float16 "
    "F16\n"
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
    "  -t, --threads N      threads (default: all cores)\n"
    "  -c, --ctx N          context length (default: enough for the prompt and tokens)\n"
    "  --temp T             sampling temperature (default 0: greedy)\n"
    "  --output-dir DIR     where logs go (default benchmark_output)\n"
    "  --llama-cpp DIR      llama.cpp install or build (llamacpp, llama-bench)\n"
    "  --base-url URL --api-key K --model-name M --chat   (openai)\n"
    "  --backend-name NAME  name the log and CSV after NAME (e.g. mlc_llm, tinygrad)\n"
    "  --tinygrad DIR [--python P]                          (tinygrad)\n"
    "  -q, --quiet          no progress display\n";

void bench_defaults(bench_opts *o) {
    memset(o, 0, sizeof *o);
    o->backend = "native";
    o->size = "1B";
    o->quantize = "default";
    o->seed = 42;
    o->n_gen = 20;
    o->repetitions = 3;
    o->warmup = 1;
    o->output_dir = "benchmark_output";
    o->prompt = "The quick brown fox jumps over the lazy dog, and then it";
}

int bench_parse(const char *cmd, int argc, char **argv, bench_opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long l;
        double d;
        if (cli_is(a, NULL, "--synthetic"))
            o->synthetic = 1;
        else if (cli_is(a, NULL, "--chat"))
            o->chat = 1;
        else if (cli_is(a, "-q", "--quiet"))
            o->quiet = 1;
        else if (cli_is(a, NULL, "--force"))
            o->force = 1;
        else if (cli_is(a, NULL, "--dry-run"))
            o->dry_run = 1;
        else if (cli_is(a, NULL, "--make-missing"))
            o->make_missing = 1;
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
                                               NULL};
            int known = 0;
            for (int k = 0; with_value[k]; k++) known |= strcmp(a, with_value[k]) == 0;
            if (!known) return cli_usage_error(cmd, "unknown argument '%s'", a);
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (cli_is(a, NULL, "--backend"))
                o->backend = v;
            else if (cli_is(a, NULL, "--size"))
                o->size = v;
            else if (cli_is(a, NULL, "--quantize"))
                o->quantize = v;
            else if (cli_is(a, "-m", "--model"))
                o->model = v;
            else if (cli_is(a, "-p", "--prompt"))
                o->prompt = v;
            else if (cli_is(a, NULL, "--prompt-file"))
                o->prompt_file = v;
            else if (cli_is(a, NULL, "--output-dir"))
                o->output_dir = v;
            else if (cli_is(a, NULL, "--llama-cpp"))
                o->llama_cpp = v;
            else if (cli_is(a, NULL, "--base-url"))
                o->base_url = v;
            else if (cli_is(a, NULL, "--api-key"))
                o->api_key = v;
            else if (cli_is(a, NULL, "--model-name"))
                o->model_name = v;
            else if (cli_is(a, NULL, "--backend-name"))
                o->backend_name = v;
            else if (cli_is(a, NULL, "--tinygrad"))
                o->tinygrad = v;
            else if (cli_is(a, NULL, "--python"))
                o->python = v;
            else if (cli_is(a, NULL, "--seed")) {
                if (cli_u64(cmd, a, v, &o->seed)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--temp")) {
                if (cli_float(cmd, a, v, 0, 100, &d)) return CLI_EXIT_USAGE;
                o->temperature = (float)d;
            } else {
                long lo = 0, hi = 1 << 24;
                if (cli_is(a, "-t", "--threads") || cli_is(a, NULL, "--repetitions")) lo = 1;
                if (cli_int(cmd, a, v, lo, hi, &l)) return CLI_EXIT_USAGE;
                if (cli_is(a, "-n", NULL))
                    o->n_gen = (int)l;
                else if (cli_is(a, NULL, "--prompt-tokens"))
                    o->prompt_tokens = (int)l;
                else if (cli_is(a, NULL, "--repetitions"))
                    o->repetitions = (int)l;
                else if (cli_is(a, NULL, "--warmup"))
                    o->warmup = (int)l;
                else if (cli_is(a, "-t", "--threads"))
                    o->threads = (int)l;
                else
                    o->ctx = (int)l;
            }
        }
    }
    if (teai_quantize_from_name(o->quantize, NULL) != TEAI_OK)
        return cli_usage_error(cmd, "unknown quantization '%s' (default, int8, nf4, float16)",
                               o->quantize);
    return CLI_EXIT_OK;
}

/* ---- running ----------------------------------------------------------- */

typedef struct run_state {
    const bench_opts *o;
    teai_log *log;
    const teai_backend_info *info;
    int rep, warmup, tokens, n_prompt;
    double prefill_ms, ttft_ms, decode_ms;
    int decode_tokens;
    double *lat; /* per-token latencies of measured repetitions */
    int n_lat, cap_lat;
    int write_failed, interactive;
    uint64_t overhead_ns; /* time spent in teai's own handling of token events */
    int n_token_events;
    teai_error werr;
    uint64_t t_last_draw;
} run_state;

static void progress(run_state *s, int done) {
    if (s->o->quiet || !s->interactive) return;
    uint64_t now = cli_now_ns();
    if (!done && now - s->t_last_draw < 100000000ull) return;
    s->t_last_draw = now;
    int total = s->o->n_gen, width = 30, fill = total ? s->tokens * width / total : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double tps = s->decode_ms > 0 ? s->decode_tokens * 1000.0 / s->decode_ms : 0;
    fprintf(stderr, "\r%s %d/%d [%s] %d/%d tokens, %.2f tok/s   ",
            s->warmup ? "warm-up" : "repetition",
            s->warmup ? s->rep + 1 : s->rep - s->o->warmup + 1,
            s->warmup ? s->o->warmup : s->o->repetitions, bar, s->tokens, total, tps);
    if (done) fputc('\n', stderr);
}

/* Keeps the first failed write's message: the log writer's own, which names
 * the file and the system's reason ("...: write: No space left on device"). */
static void log_failed(run_state *s, int rc) {
    if (s->write_failed) return;
    s->write_failed = 1;
    const char *why = teai_log_error(s->log);
    if (why[0])
        snprintf(s->werr.msg, sizeof s->werr.msg, "%s", why);
    else
        snprintf(s->werr.msg, sizeof s->werr.msg, "%s: cannot write the log (%s)",
                 teai_log_path(s->log), teai_status_str(rc));
    s->werr.status = rc;
}

static int on_event(void *ud, const teai_event *ev) {
    run_state *s = ud;
    uint64_t t_in = cli_now_ns();
    int rc = TEAI_OK;
    switch (ev->kind) {
        case TEAI_EV_PREFILL:
            s->n_prompt = ev->n_prompt;
            s->prefill_ms = ev->prefill_ms;
            s->ttft_ms = ev->ttft_ms;
            if (!s->info->raw_is_data)
                rc = teai_log_prefill(s->log, s->rep, s->warmup, ev->n_prompt, ev->prefill_ms,
                                      ev->ttft_ms, ev->token, ev->text ? ev->text : "");
            break;
        case TEAI_EV_TOKEN: {
            int n = ev->n_tokens > 0 ? ev->n_tokens : 1;
            s->tokens += n;
            double sec = ev->total_ms / 1e3;
            teai_log_tok t = {s->rep,
                              s->warmup,
                              ev->step,
                              ev->token,
                              ev->text ? ev->text : "",
                              ev->n_tokens,
                              ev->total_ms,
                              ev->enqueue_ms,
                              ev->t_ms,
                              ev->bytes_moved && sec > 0 ? (double)ev->bytes_moved / 1e9 / sec
                                                         : NAN,
                              s->info->param_bytes && sec > 0 && ev->n_tokens == 1
                                  ? (double)s->info->param_bytes / 1e9 / sec
                                  : NAN};
            if (!s->info->raw_is_data) rc = teai_log_token(s->log, &t);
            if (!isnan(ev->total_ms)) {
                s->decode_ms += ev->total_ms;
                s->decode_tokens += ev->n_tokens > 0 ? ev->n_tokens : 0;
                if (!s->warmup && ev->n_tokens == 1) {
                    if (s->n_lat == s->cap_lat) {
                        int cap = s->cap_lat ? 2 * s->cap_lat : 256;
                        double *p = realloc(s->lat, sizeof(double) * (size_t)cap);
                        if (p) s->lat = p, s->cap_lat = cap;
                    }
                    if (s->n_lat < s->cap_lat) s->lat[s->n_lat++] = ev->total_ms;
                }
            }
            progress(s, 0);
            s->overhead_ns += cli_now_ns() - t_in;
            s->n_token_events++;
            break;
        }
        case TEAI_EV_RAW:
            rc = teai_log_raw(s->log, s->rep, ev->raw ? ev->raw : "");
            break;
    }
    if (rc) {
        log_failed(s, rc);
        return 1;
    }
    return cli_interrupted();
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void mean_sd(const double *v, int n, double *mean, double *sd) {
    double s = 0, ss = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) s += v[i], k++;
    *mean = k ? s / k : NAN;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = k > 1 ? sqrt(ss / (k - 1)) : NAN;
}

static char *read_prompt_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *p = cap < (64u << 20) ? realloc(buf, (cap *= 2) + 1) : NULL;
            if (!p) free(buf);
            buf = p;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

struct bench_session {
    const teai_backend_ops *ops;
    teai_backend *be;
    teai_backend_info info;
    teai_host host;
    char model[4096];
    char sha[65], model_bytes[32];
    int has_model;
};

int bench_open(const bench_opts *o, const char *model_path, bench_session **out) {
    const char *cmd = "bench", *why = NULL;
    *out = NULL;
    const teai_backend_ops *ops = teai_backend_find(o->backend, &why);
    if (!ops) {
        fprintf(stderr, "teai bench: backend %s: %s\n", o->backend, why);
        return CLI_EXIT_USAGE;
    }
    bench_session *ss = calloc(1, sizeof *ss);
    if (!ss) return CLI_EXIT_FAIL;
    ss->ops = ops;
    teai_host_read(&ss->host);
    if (model_path) {
        ss->has_model = 1;
        snprintf(ss->model, sizeof ss->model, "%s", model_path);
        if (teai_file_sha256(model_path, ss->sha) != 0) ss->sha[0] = '\0';
        FILE *mf = fopen(model_path, "rb");
        if (mf && fseek(mf, 0, SEEK_END) == 0)
            snprintf(ss->model_bytes, sizeof ss->model_bytes, "%ld", ftell(mf));
        if (mf) fclose(mf);
    }
    teai_backend_config cfg = {0};
    cfg.model = model_path;
    cfg.size = o->size;
    cfg.quantize = o->quantize;
    cfg.n_threads = o->threads;
    cfg.seed = o->seed;
    cfg.temperature = o->temperature;
    cfg.llama_cpp_dir = o->llama_cpp;
    cfg.base_url = o->base_url;
    cfg.api_key = o->api_key;
    cfg.model_name = o->model_name;
    cfg.chat = o->chat;
    cfg.tinygrad_dir = o->tinygrad;
    cfg.python = o->python;
    int need = (o->prompt_tokens > 0 ? o->prompt_tokens : 512) + o->n_gen + 16;
    cfg.n_ctx = o->ctx > 0 ? o->ctx : (need < 1024 ? 1024 : need);
    ss->info.bits_per_weight = NAN;
    ss->info.load_ms = NAN;
    teai_error err = {0};
    int st = ops->open(&cfg, &ss->be, &ss->info, &err);
    if (st) {
        free(ss);
        return cli_fail(cmd, &err, st);
    }
    *out = ss;
    return CLI_EXIT_OK;
}

void bench_close(bench_session *ss) {
    if (!ss) return;
    ss->ops->close(ss->be);
    free(ss);
}

int bench_session_run(bench_session *ss, const bench_opts *o, int synthetic, char *log_path,
                      size_t log_cap) {
    const char *cmd = "bench";
    const teai_backend_info *info = &ss->info;
    const teai_host *host = &ss->host;
    char *prompt_buf = NULL;
    if (o->prompt_file && !(prompt_buf = read_prompt_file(o->prompt_file))) {
        fprintf(stderr, "teai bench: %s: cannot read the prompt file\n", o->prompt_file);
        return CLI_EXIT_INPUT;
    }
    char start[40], uuid[9], seed[32], threads[16], bpw[32] = "", ptoks[16], ngen[16], reps[16],
                                                    warm[16], ncpu[16], ram[32];
    teai_rfc3339_now(start, sizeof start);
    teai_uuid8(uuid);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    snprintf(threads, sizeof threads, "%d", o->threads > 0 ? o->threads : host->n_cpus);
    if (!isnan(info->bits_per_weight)) snprintf(bpw, sizeof bpw, "%.4f", info->bits_per_weight);
    snprintf(ptoks, sizeof ptoks, "%d", o->prompt_tokens);
    snprintf(ngen, sizeof ngen, "%d", o->n_gen);
    snprintf(reps, sizeof reps, "%d", o->repetitions);
    snprintf(warm, sizeof warm, "%d", o->warmup);
    snprintf(ncpu, sizeof ncpu, "%d", host->n_cpus);
    snprintf(ram, sizeof ram, "%llu", (unsigned long long)host->ram_bytes);
    const char *backend_name = o->backend_name ? o->backend_name : info->name;
    const char *where = ss->has_model ? ss->model : o->base_url ? o->base_url : "";
    teai_kv kv[] = {
        {"platform", host->platform},
        {"release", host->release},
        {"device", host->device},
        {"username", host->username},
        {"hostname", host->hostname},
        {"size", o->size},
        {"quantize", o->quantize},
        {"seed", seed},
        {"uuid", uuid},
        {"backend", backend_name},
        {"backend_version", info->version},
        {"model", where},
        {"model_bytes", ss->model_bytes},
        {"model_sha256", ss->sha},
        {"synthetic", synthetic ? "1" : "0"},
        {"weight_format", info->weight_format},
        {"bits_per_weight", bpw},
        {"threads", threads},
        {"prompt_tokens", ptoks},
        {"n_gen", ngen},
        {"repetitions", reps},
        {"warmup", warm},
        {"cpu", host->cpu},
        {"cpu_features", host->cpu_features},
        {"n_cpus", ncpu},
        {"ram_bytes", ram},
        {"gpu", host->gpu},
        {"teai_version", teai_version()},
        {"teai_commit", teai_commit()},
        {"compiler", teai_compiler()},
        {"cflags", teai_cflags()},
        {"start_time", start},
    };
    teai_log *log = NULL;
    teai_error err = {0};
    int st = teai_log_open(o->output_dir, kv, (int)(sizeof kv / sizeof *kv), &log, &err);
    if (st) {
        free(prompt_buf);
        return cli_fail(cmd, &err, st);
    }
    snprintf(log_path, log_cap, "%s", teai_log_path(log));
    int load_st = teai_log_load(log, info->load_ms, (double)teai_peak_rss() / (1024.0 * 1024.0));
    if (!o->quiet)
        fprintf(stderr, "teai bench: %s on %s (%s, %s), log %s\n", backend_name, where,
                info->weight_format, info->version, teai_log_path(log));

    run_state s = {0};
    s.o = o;
    s.log = log;
    s.info = info;
    s.interactive = isatty(2);
    if (load_st) log_failed(&s, load_st);
    int total = o->warmup + o->repetitions;
    double *pf = calloc((size_t)total, sizeof(double)),
           *dec = calloc((size_t)total, sizeof(double)),
           *ttft = calloc((size_t)total, sizeof(double));
    int rc = CLI_EXIT_OK;
    const char *status = "ok";
    for (int r = 0; r < total && pf && dec && ttft && !s.write_failed; r++) {
        s.rep = r;
        s.warmup = r < o->warmup;
        s.tokens = s.decode_tokens = 0;
        s.decode_ms = 0;
        s.prefill_ms = s.ttft_ms = NAN;
        s.n_prompt = -1;
        teai_run_params rp = {0};
        rp.prompt = o->prompt_tokens > 0 ? NULL : prompt_buf ? prompt_buf : o->prompt;
        rp.prompt_tokens = o->prompt_tokens;
        rp.n_gen = o->n_gen;
        rp.rep = r;
        rp.seed = o->seed;
        st = ss->ops->run(ss->be, &rp, on_event, &s, &err);
        progress(&s, 1);
        pf[r] = s.n_prompt > 0 && s.prefill_ms > 0 ? s.n_prompt * 1000.0 / s.prefill_ms : NAN;
        dec[r] = s.decode_ms > 0 ? s.decode_tokens * 1000.0 / s.decode_ms : NAN;
        ttft[r] = s.ttft_ms;
        if (!st || st == TEAI_EINTR) {
            teai_log_summary sum = {
                r, s.warmup, s.n_prompt, s.decode_tokens, pf[r], dec[r], s.ttft_ms, NAN, NAN, NAN};
            int wst = teai_log_summary_event(log, &sum);
            if (wst) log_failed(&s, wst);
        }
        if (s.write_failed) {
            rc = cli_fail(cmd, &s.werr, s.werr.status);
            status = "failed";
            break;
        }
        if (st == TEAI_EINTR || cli_interrupted()) {
            status = "interrupted";
            rc = CLI_EXIT_INTERRUPT;
            fprintf(stderr, "teai bench: interrupted; what was measured is in %s\n",
                    teai_log_path(log));
            break;
        }
        if (st) {
            status = "failed";
            rc = cli_fail(cmd, &err, st);
            break;
        }
    }
    if (s.write_failed && rc == CLI_EXIT_OK) { /* before the first repetition */
        rc = cli_fail(cmd, &s.werr, s.werr.status);
        status = "failed";
    }
    teai_error cerr = {0};
    const char *why = s.write_failed ? s.werr.msg : strcmp(status, "failed") == 0 ? err.msg : NULL;
    int cst = teai_log_close(log, status, why, &cerr);
    if (cst && rc == CLI_EXIT_OK) rc = cli_fail(cmd, &cerr, cst);
    if (s.write_failed)
        fprintf(stderr, "teai bench: what was measured before the failed write is in %s\n",
                log_path);

    if (rc == CLI_EXIT_OK && !o->quiet) {
        double m, sd, tm, tsd, pm, psd;
        mean_sd(dec + o->warmup, o->repetitions, &m, &sd);
        mean_sd(pf + o->warmup, o->repetitions, &pm, &psd);
        mean_sd(ttft + o->warmup, o->repetitions, &tm, &tsd);
        qsort(s.lat, (size_t)s.n_lat, sizeof(double), cmp_double);
        printf("%s, %s %s (%s), %d repetitions (+%d warm-up), %d tokens each\n", backend_name,
               o->size, o->quantize, info->weight_format, o->repetitions, o->warmup, o->n_gen);
        printf("  prefill:          %.2f ± %.2f tok/s\n", pm, isnan(psd) ? 0 : psd);
        printf("  decode:           %.2f ± %.2f tok/s (mean ± sd over repetitions)\n", m,
               isnan(sd) ? 0 : sd);
        printf("  time to 1st tok:  %.2f ms\n", tm);
        printf("  token latency:    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (n = %d)\n",
               teai_percentile_sorted(s.lat, (size_t)s.n_lat, 0.50),
               teai_percentile_sorted(s.lat, (size_t)s.n_lat, 0.90),
               teai_percentile_sorted(s.lat, (size_t)s.n_lat, 0.99), s.n_lat);
        double per_tok = s.n_token_events ? (double)s.overhead_ns / 1e6 / s.n_token_events : NAN;
        double mean_step = s.n_lat ? 0 : NAN;
        for (int i = 0; i < s.n_lat; i++) mean_step += s.lat[i] / s.n_lat;
        printf("  teai overhead:    %.4f ms per token (%.3f%% of the mean step; logging and "
               "progress, outside the measured step)\n",
               per_tok, 100.0 * per_tok / mean_step);
        printf("  log:              %s\n", log_path);
    }
    free(s.lat);
    free(pf), free(dec), free(ttft);
    free(prompt_buf);
    return rc;
}

int bench_run(const bench_opts *o, const char *model_path, int synthetic, char *log_path,
              size_t log_cap) {
    bench_session *ss = NULL;
    int rc = bench_open(o, model_path, &ss);
    if (rc) return rc;
    rc = bench_session_run(ss, o, synthetic, log_path, log_cap);
    bench_close(ss);
    return rc;
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
    char model[4096] = "";
    int synthetic = 0;
    if ((rc = bench_model(&o, model, sizeof model, &synthetic))) return rc;
    char log_path[4096];
    return bench_run(&o, model[0] ? model : NULL, synthetic, log_path, sizeof log_path);
}
