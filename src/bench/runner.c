/* One configuration's repetitions into a raw log (bench.h). The header says
 * where and on what it ran (host, backend, model, configuration, build);
 * then every backend event becomes one log line as it comes (prefill, each
 * token, or the backend's own raw lines when those are the measurements),
 * each repetition ends with a summary event, and the log ends with an end
 * event saying how the run ended. The per-token work here (logging, the
 * progress callback) is timed and reported, since it is outside the step
 * the backend measured. */
#include "analysis/analysis.h"
#include "bench/bench_impl.h"
#include "results/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_state {
    const teai_bench_params *p;
    teai_bench_result *res;
    teai_log *log;
    const teai_backend_info *info;
    int rep, warmup, tokens, n_prompt;
    double prefill_ms, ttft_ms, decode_ms;
    int decode_tokens;
    double *lat; /* per-token latencies of measured repetitions, ms */
    int n_lat, cap_lat;
    uint64_t overhead_ns; /* time spent in teai's own handling of token events */
    int n_token_events;
    teai_error werr; /* the first failed write */
} run_state;

static int cancelled(const teai_bench_params *p) {
    return p->cancel && p->cancel(p->ud);
}

static void progress(run_state *s, teai_bench_stage stage) {
    if (!s->p->progress) return;
    teai_bench_progress pr = {
        stage,     s->res,    s->rep,
        s->warmup, s->tokens, s->decode_ms > 0 ? s->decode_tokens * 1000.0 / s->decode_ms : 0};
    s->p->progress(s->p->ud, &pr);
}

/* Keeps the first failed write's message: the log writer's own, which names
 * the file and the system's reason ("...: write: No space left on device"). */
static void log_failed(run_state *s, int rc) {
    if (s->res->write_failed) return;
    s->res->write_failed = 1;
    const char *why = teai_log_error(s->log);
    if (why[0])
        teai__fail(&s->werr, rc, "%s", why);
    else
        teai__fail(&s->werr, rc, "%s: cannot write the log (%s)", teai_log_path(s->log),
                   teai_status_str(rc));
}

static int on_event(void *ud, const teai_event *ev) {
    run_state *s = ud;
    uint64_t t_in = teai__now_ns();
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
                        double *q = realloc(s->lat, sizeof(double) * (size_t)cap);
                        if (q) s->lat = q, s->cap_lat = cap;
                    }
                    if (s->n_lat < s->cap_lat) s->lat[s->n_lat++] = ev->total_ms;
                }
            }
            progress(s, TEAI_BENCH_TOKEN);
            s->overhead_ns += teai__now_ns() - t_in;
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
    return cancelled(s->p);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Creates the log with its header (results.h lists the fields in order). */
static int open_log(teai_bench *b, const teai_bench_params *p, const char *backend_name,
                    const char *where, teai_log **log, teai_error *err) {
    const teai_backend_info *info = &b->info;
    const teai_host *host = &b->host;
    char start[40], uuid[9], seed[32], threads[16], bpw[32] = "", ptoks[16], ngen[16], reps[16],
                                                    warm[16], ncpu[16], ram[32];
    teai_rfc3339_now(start, sizeof start);
    teai_uuid8(uuid);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
    snprintf(threads, sizeof threads, "%d", p->threads > 0 ? p->threads : host->n_cpus);
    if (!isnan(info->bits_per_weight)) snprintf(bpw, sizeof bpw, "%.4f", info->bits_per_weight);
    snprintf(ptoks, sizeof ptoks, "%d", p->prompt_tokens);
    snprintf(ngen, sizeof ngen, "%d", p->n_gen);
    snprintf(reps, sizeof reps, "%d", p->repetitions);
    snprintf(warm, sizeof warm, "%d", p->warmup);
    snprintf(ncpu, sizeof ncpu, "%d", host->n_cpus);
    snprintf(ram, sizeof ram, "%llu", (unsigned long long)host->ram_bytes);
    teai_kv kv[] = {
        {"platform", host->platform},
        {"release", host->release},
        {"device", host->device},
        {"username", host->username},
        {"hostname", host->hostname},
        {"size", p->size},
        {"quantize", p->quantize},
        {"seed", seed},
        {"uuid", uuid},
        {"backend", backend_name},
        {"backend_version", info->version},
        {"model", where},
        {"model_bytes", b->model_bytes},
        {"model_sha256", b->sha},
        {"synthetic", b->synthetic ? "1" : "0"},
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
    return teai_log_open(p->output_dir, kv, (int)(sizeof kv / sizeof *kv), log, err);
}

/* The summary over the measured repetitions (per-repetition rates after the
 * warm-ups) and the measured steps' latencies (sorted here). */
static void summarize(run_state *s, const double *pf, const double *dec, const double *ttft) {
    const teai_bench_params *p = s->p;
    teai_bench_result *res = s->res;
    size_t first = (size_t)p->warmup, n = (size_t)p->repetitions;
    teai_mean_sd(pf + first, n, &res->prefill_tok_s, &res->prefill_tok_s_sd);
    teai_mean_sd(dec + first, n, &res->decode_tok_s, &res->decode_tok_s_sd);
    teai_mean_sd(ttft + first, n, &res->ttft_ms, &res->ttft_ms_sd);
    qsort(s->lat, (size_t)s->n_lat, sizeof(double), cmp_double);
    res->n_steps = s->n_lat;
    res->p50_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.50);
    res->p90_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.90);
    res->p99_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.99);
    res->mean_step_ms = s->n_lat ? 0 : NAN;
    for (int i = 0; i < s->n_lat; i++) res->mean_step_ms += s->lat[i] / s->n_lat;
    res->overhead_ms =
        s->n_token_events ? (double)s->overhead_ns / 1e6 / s->n_token_events : (double)NAN;
}

int teai_bench_run(teai_bench *b, const teai_bench_params *p, teai_bench_result *res,
                   teai_error *err) {
    const teai_backend_info *info = &b->info;
    memset(res, 0, sizeof *res);
    res->backend = p->backend_name ? p->backend_name : info->name;
    res->model = b->has_model ? b->model : p->base_url ? p->base_url : "";
    res->info = info;
    res->prefill_tok_s = res->prefill_tok_s_sd = res->decode_tok_s = res->decode_tok_s_sd = NAN;
    res->ttft_ms = res->ttft_ms_sd = NAN;
    res->p50_ms = res->p90_ms = res->p99_ms = res->mean_step_ms = res->overhead_ms = NAN;
    char *prompt_buf = NULL;
    size_t prompt_len;
    if (p->prompt_file &&
        teai__read_file(p->prompt_file, (size_t)64 << 20, &prompt_buf, &prompt_len, NULL))
        return teai__fail(err, TEAI_ENOTFOUND, "%s: cannot read the prompt file", p->prompt_file);
    teai_log *log = NULL;
    teai_error e = {0};
    int st = open_log(b, p, res->backend, res->model, &log, &e);
    if (st) {
        free(prompt_buf);
        if (err) *err = e;
        return st;
    }
    snprintf(res->log_path, sizeof res->log_path, "%s", teai_log_path(log));

    run_state s = {0};
    s.p = p;
    s.res = res;
    s.log = log;
    s.info = info;
    int load_st = teai_log_load(log, info->load_ms, (double)teai_peak_rss() / (1024.0 * 1024.0));
    if (load_st) log_failed(&s, load_st);
    progress(&s, TEAI_BENCH_STARTED);
    int total = p->warmup + p->repetitions;
    double *pf = calloc((size_t)total + 1, sizeof(double)),
           *dec = calloc((size_t)total + 1, sizeof(double)),
           *ttft = calloc((size_t)total + 1, sizeof(double));
    int rc = TEAI_OK;
    const char *status = "ok";
    if (!pf || !dec || !ttft) {
        rc = teai__fail(&e, TEAI_ENOMEM, "out of memory");
        status = "failed";
    }
    for (int r = 0; r < total && rc == TEAI_OK && !res->write_failed; r++) {
        s.rep = r;
        s.warmup = r < p->warmup;
        s.tokens = s.decode_tokens = 0;
        s.decode_ms = 0;
        s.prefill_ms = s.ttft_ms = NAN;
        s.n_prompt = -1;
        teai_run_params rp = {0};
        rp.prompt = p->prompt_tokens > 0 ? NULL : prompt_buf ? prompt_buf : p->prompt;
        rp.prompt_tokens = p->prompt_tokens;
        rp.n_gen = p->n_gen;
        rp.rep = r;
        rp.seed = p->seed;
        st = b->ops->run(b->be, &rp, on_event, &s, &e);
        progress(&s, TEAI_BENCH_REP_DONE);
        pf[r] = s.n_prompt > 0 && s.prefill_ms > 0 ? s.n_prompt * 1000.0 / s.prefill_ms : NAN;
        dec[r] = s.decode_ms > 0 ? s.decode_tokens * 1000.0 / s.decode_ms : NAN;
        ttft[r] = s.ttft_ms;
        if (!st || st == TEAI_EINTR) {
            teai_log_summary sum = {
                r, s.warmup, s.n_prompt, s.decode_tokens, pf[r], dec[r], s.ttft_ms, NAN, NAN, NAN};
            int wst = teai_log_summary_event(log, &sum);
            if (wst) log_failed(&s, wst);
        }
        if (res->write_failed) break;
        if (st == TEAI_EINTR || cancelled(p)) {
            status = "interrupted";
            rc = teai__fail(&e, TEAI_EINTR, "interrupted; what was measured is in %s",
                            res->log_path);
            break;
        }
        if (st) {
            status = "failed";
            rc = st;
            break;
        }
    }
    if (res->write_failed) { /* in a repetition, or before the first */
        e = s.werr;
        rc = e.status;
        status = "failed";
    }
    teai_error cerr = {0};
    const char *why = strcmp(status, "failed") == 0 ? e.msg : NULL;
    int cst = teai_log_close(log, status, why, &cerr);
    if (cst && rc == TEAI_OK) {
        rc = cst;
        e = cerr;
    }
    res->status = status;
    if (pf && dec && ttft) summarize(&s, pf, dec, ttft);
    free(s.lat);
    free(pf), free(dec), free(ttft);
    free(prompt_buf);
    if (rc && err) *err = e;
    return rc;
}
