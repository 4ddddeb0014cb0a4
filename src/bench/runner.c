/* One configuration's repetitions into a raw log (bench.h). The header says
 * where and on what it ran (host, backend, model, configuration, build, the
 * sensors and the host's measured bandwidth); then every backend event
 * becomes one log line as it comes (prefill, each token, or the backend's
 * own raw lines when those are the measurements), each repetition ends with
 * a summary event and a rep_sensors event, and the log ends with an end
 * event saying how the run ended. The per-token work here (logging, the
 * progress callback) is timed and reported, since it is outside the step
 * the backend measured.
 *
 * The sensors (docs/metrics.md): the sampler (sampler.c) reads them through
 * the run; the runner adds readings at each repetition's start, at its
 * prefill event and at its last token, so the prefill and decode windows
 * are covered exactly, and works out each repetition's energy, heat, clocks,
 * background load and peak memory from the readings in it. Before a
 * repetition it may wait for the device to cool (cooldown); in sustained
 * mode the measured repetitions run back to back until the duration ends. */
#include "analysis/analysis.h"
#include "bench/bench_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUSTAINED_MARGIN 16 /* tokens of context left free when a sustained repetition fills it */
#define MIB              (1024.0 * 1024.0)

typedef struct run_state {
    const teai_bench_params *p;
    teai_bench_result *res;
    teai_log *log;
    const teai_backend_info *info;
    int rep, warmup, tokens, n_prompt;
    int n_gen; /* tokens this repetition decodes */
    double prefill_ms, ttft_ms, decode_ms;
    int decode_tokens;
    double *lat; /* per-token latencies of measured repetitions, ms */
    int n_lat, cap_lat;
    uint64_t overhead_ns; /* time spent in teai's own handling of token events */
    int n_token_events;
    teai_error werr; /* the first failed write */
    /* the sensors */
    const teai_sensors *sens;
    teai__sampler *smp;
    int live; /* the events come as the backend computes (not restated after it ran) */
    long i_start, i_pf, i_end; /* this repetition's boundary readings (-1: none) */
    double t_start, t_pf, t_end;
    int tokens_after_end; /* token events came after the end reading */
    /* sustained mode */
    uint64_t deadline_ns; /* 0: none (yet) */
    int deadline_hit;     /* the deadline stopped the current repetition */
    double *tok_t;        /* measured token events' arrivals (s, teai__now_ns) and tokens */
    int *tok_n, n_tok_t, cap_tok_t;
} run_state;

static int cancelled(const teai_bench_params *p) {
    return p->cancel && p->cancel(p->ud);
}

static void progress(run_state *s, teai_bench_stage stage) {
    if (!s->p->progress) return;
    teai_bench_progress pr = {
        stage,     s->res,    s->rep,
        s->warmup, s->tokens, s->decode_ms > 0 ? s->decode_tokens * 1000.0 / s->decode_ms : 0,
        s->n_gen,  NAN};
    if (s->deadline_ns && !s->warmup) {
        uint64_t now = teai__now_ns();
        pr.left_s = now < s->deadline_ns ? (double)(s->deadline_ns - now) / 1e9 : 0;
    }
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

/* A reading now (stored and logged by the sampler): its index, *t its time. */
static long mark(run_state *s, double *t) {
    teai_sensor_reading rd;
    long i = teai__sampler_mark(s->smp, &rd);
    *t = rd.t_s;
    return i;
}

/* Sustained mode: the arrival of n measured tokens. */
static void keep_token_time(run_state *s, int n) {
    if (s->n_tok_t == s->cap_tok_t) {
        int cap = s->cap_tok_t ? 2 * s->cap_tok_t : 1024;
        double *t = realloc(s->tok_t, sizeof *t * (size_t)cap);
        if (t) s->tok_t = t;
        int *k = realloc(s->tok_n, sizeof *k * (size_t)cap);
        if (k) s->tok_n = k;
        if (t && k) s->cap_tok_t = cap;
    }
    if (s->n_tok_t < s->cap_tok_t) {
        s->tok_t[s->n_tok_t] = (double)teai__now_ns() / 1e9;
        s->tok_n[s->n_tok_t++] = n;
    }
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
            if (s->live && s->i_pf < 0) { /* the prefill window ends, the decode window starts */
                teai__sampler_set(s->smp, s->rep, s->warmup, TEAI__PHASE_DECODE);
                s->i_pf = mark(s, &s->t_pf);
            }
            break;
        case TEAI_EV_TOKEN: {
            int n = ev->n_tokens > 0 ? ev->n_tokens : 1;
            s->tokens += n;
            teai__sampler_add_tokens(s->smp, n);
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
            if (s->p->duration_s > 0 && !s->warmup) keep_token_time(s, n);
            progress(s, TEAI_BENCH_TOKEN);
            s->overhead_ns += teai__now_ns() - t_in;
            s->n_token_events++;
            /* the decode window ends at the last token: a reading then, left out of the
             * overhead above (it comes once per repetition) */
            if (s->i_end >= 0)
                s->tokens_after_end = 1;
            else if (s->live && s->tokens >= s->n_gen)
                s->i_end = mark(s, &s->t_end);
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
    /* sustained mode's end: this repetition stops here; checked at tokens only, so a
     * repetition that started before the deadline decodes at least one token */
    if (ev->kind == TEAI_EV_TOKEN && s->deadline_ns && !s->warmup &&
        teai__now_ns() >= s->deadline_ns) {
        s->deadline_hit = 1;
        return 1;
    }
    return cancelled(s->p);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The --cooldown setting as the header gives it: "", "auto", "30s", "45C". */
static void cooldown_text(const teai_bench_params *p, char *buf, size_t cap) {
    switch (p->cooldown) {
        case TEAI_COOLDOWN_AUTO:
            snprintf(buf, cap, "auto");
            break;
        case TEAI_COOLDOWN_SECONDS:
            snprintf(buf, cap, "%gs", p->cooldown_value);
            break;
        case TEAI_COOLDOWN_TEMP:
            snprintf(buf, cap, "%gC", p->cooldown_value);
            break;
        default:
            buf[0] = '\0';
    }
}

/* The device list's name for this device (TEAI_DEVICE_NAME, set by teai
 * remote and teai fleet), or "" when unset or not one printable line. */
static const char *device_name(void) {
    const char *v = getenv("TEAI_DEVICE_NAME");
    if (!v || strlen(v) > 128) return "";
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) return "";
    return v;
}

/* Creates the log with its header (results.h lists the fields in order; the
 * device's keys follow start_time). */
static int open_log(teai_bench *b, const teai_bench_params *p, const char *backend_name,
                    const char *where, const teai_sensors *sens, double membw, teai_log **log,
                    teai_error *err) {
    const teai_backend_info *info = &b->info;
    const teai_host *host = &b->host;
    char start[40], uuid[9], seed[32], threads[16], bpw[32] = "", ptoks[16], ngen[16], reps[16],
                                                    warm[16], ncpu[16], ram[32], bw[32] = "",
                                                    hz[32], cool[48], dur[32] = "";
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
    if (isfinite(membw)) snprintf(bw, sizeof bw, "%.4f", membw);
    snprintf(hz, sizeof hz, "%g", p->sample_hz);
    cooldown_text(p, cool, sizeof cool);
    if (p->duration_s > 0) snprintf(dur, sizeof dur, "%g", p->duration_s);
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
        {"membw_gb_s", bw},
        {"energy_source", teai_sensors_energy_source(sens)},
        {"sensors", teai_sensors_summary(sens)},
        {"sample_hz", hz},
        {"cooldown", cool},
        {"duration_s", dur},
        {"machine", host->machine},
        {"device_name", device_name()},
    };
    return teai_log_open(p->output_dir, kv, (int)(sizeof kv / sizeof *kv), log, err);
}

/* ---- the device over one repetition --------------------------------------------- */

/* The shortest window (all CPUs' time, s) over which other processes'
 * share of the CPUs is judged (docs/metrics.md). */
#define TEAI__NOISE_MIN_CPU_S 0.5

/* The rep_sensors event of the repetition whose boundary readings s holds
 * (docs/metrics.md): energy over the prefill and decode windows, heat,
 * clocks, other processes' CPU share, charging, peak resident set. */
static void rep_sensors(run_state *s, teai_bench *b, int rss_reset_ok, teai_sensor_reading **buf,
                        int *cap, teai_log_rep_sensors *o) {
    memset(o, 0, sizeof *o);
    o->rep = s->rep;
    o->warmup = s->warmup;
    o->prefill_j = o->decode_j = o->prefill_s = o->decode_s = o->prefill_w = o->decode_w = NAN;
    o->j_per_token = o->tokens_per_j = o->temp_max_c = o->clock_min_mhz = o->clock_mean_mhz = NAN;
    o->other_cpu_pct = o->peak_rss_mb = NAN;
    o->throttled = o->noisy = o->charging = -1;
    if (b->info.memory == TEAI_MEM_IN_PROCESS) {
        uint64_t peak = rss_reset_ok ? teai_peak_rss_since_reset() : 0;
        if (peak) o->peak_rss_mb = (double)peak / MIB;
    } else if (b->info.memory == TEAI_MEM_CHILD && b->ops->child_peak_rss) {
        uint64_t peak = b->ops->child_peak_rss(b->be);
        if (peak) o->peak_rss_mb = (double)peak / MIB;
    }
    double clock_max = NAN;
    int n = s->i_start >= 0 && s->i_end >= 0
                ? teai__sampler_range(s->smp, s->i_start, s->i_end, buf, cap, &clock_max)
                : 0;
    if (n < 2) return;
    const teai_sensor_reading *r = *buf;
    if (s->live && s->i_pf >= 0) {
        o->prefill_s = s->t_pf - s->t_start;
        o->decode_s = s->t_end - s->t_pf;
        o->prefill_j = teai_energy_between(r, n, s->t_start, s->t_pf);
        o->decode_j = teai_energy_between(r, n, s->t_pf, s->t_end);
        /* a counter that did not move in the window (one that updates
         * coarsely, as some hwmon counters do each second) says nothing of
         * what was spent: unknown, not 0 J */
        if (teai_sensors_energy_is_counter(s->sens) == 1) {
            if (!(o->prefill_j > 0)) o->prefill_j = NAN;
            if (!(o->decode_j > 0)) o->decode_j = NAN;
        }
        if (o->prefill_s > 0) o->prefill_w = o->prefill_j / o->prefill_s;
        if (o->decode_s > 0) o->decode_w = o->decode_j / o->decode_s;
        if (s->tokens > 0) o->j_per_token = o->decode_j / s->tokens;
        if (o->decode_j > 0) o->tokens_per_j = s->tokens / o->decode_j;
    }
    double clock_sum = 0, thr0 = NAN, thr1 = NAN;
    int n_clock = 0, any_charging = 0, any_battery = 0;
    for (int i = 0; i < n; i++) {
        if (!isnan(r[i].temp_c) && !(r[i].temp_c <= o->temp_max_c)) o->temp_max_c = r[i].temp_c;
        if (!isnan(r[i].clock_mhz)) {
            if (!(r[i].clock_mhz >= o->clock_min_mhz)) o->clock_min_mhz = r[i].clock_mhz;
            clock_sum += r[i].clock_mhz;
            n_clock++;
        }
        if (!isnan(r[i].throttle_count)) {
            if (isnan(thr0)) thr0 = r[i].throttle_count;
            thr1 = r[i].throttle_count;
        }
        any_charging |= r[i].charging == 1;
        any_battery |= r[i].charging >= 0;
    }
    if (n_clock) o->clock_mean_mhz = clock_sum / n_clock;
    int rose = !isnan(thr0) && thr1 > thr0;
    int dropped = n_clock && !isnan(clock_max) && o->clock_min_mhz < 0.85 * clock_max;
    if (n_clock || !isnan(thr0)) o->throttled = rose || dropped;
    /* the flag is about the energy figures: a battery's reading is the
     * device's draw only while it discharges */
    if (strncmp(teai_sensors_energy_source(s->sens), "battery:", 8) == 0)
        o->charging = any_charging ? 1 : any_battery ? 0 : -1;
    /* /proc/stat counts in ticks (10 ms at USER_HZ 100): other processes'
     * share is judged over at least half a CPU-second, where one tick is
     * 2% of it; shorter repetitions leave it unknown */
    if (r[n - 1].cpu_total_s - r[0].cpu_total_s >= TEAI__NOISE_MIN_CPU_S) {
        o->other_cpu_pct = teai_other_cpu_pct(&r[0], &r[n - 1]);
        if (!isnan(o->other_cpu_pct)) o->noisy = o->other_cpu_pct > s->p->noise_threshold_pct;
    }
}

/* ---- cool-down ----------------------------------------------------------------- */

/* Sleeps ms in short slices, checking p->cancel; 1 when it asked to stop. */
static int sleep_cancellable(const teai_bench_params *p, int ms) {
    while (ms > 0) {
        if (cancelled(p)) return 1;
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return cancelled(p);
}

/* The idle temperature --cooldown auto returns to: the mean of the hottest
 * readings over about a second before the first repetition; NAN without a
 * temperature sensor. */
static double idle_baseline(run_state *s) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < 5; i++) {
        if (i && sleep_cancellable(s->p, 250)) break;
        teai_sensor_reading rd;
        teai__sampler_mark(s->smp, &rd);
        if (!isnan(rd.temp_c)) sum += rd.temp_c, n++;
    }
    return n ? sum / n : NAN;
}

/* Waits before repetition rep as --cooldown says and logs the wait; 1 when
 * p->cancel stopped it. Without a temperature sensor the auto and
 * temperature modes do not wait (said once: *noted). */
static int cooldown(run_state *s, int rep, int warmup, double baseline, int *noted) {
    const teai_bench_params *p = s->p;
    teai__sampler_set(s->smp, rep, warmup, TEAI__PHASE_COOLDOWN);
    teai_sensor_reading rd;
    teai__sampler_mark(s->smp, &rd);
    double temp_start = rd.temp_c, target = NAN;
    const char *mode = p->cooldown == TEAI_COOLDOWN_AUTO      ? "auto"
                       : p->cooldown == TEAI_COOLDOWN_SECONDS ? "seconds"
                                                              : "temp";
    if (p->cooldown != TEAI_COOLDOWN_SECONDS) {
        if (isnan(temp_start) || (p->cooldown == TEAI_COOLDOWN_AUTO && isnan(baseline))) {
            const char *why = teai_sensors_missing(s->sens, TEAI_SENSOR_TEMP);
            if (!*noted && p->note)
                teai__notef(p->note, p->ud,
                            "--cooldown %s: no temperature reading (%s); not waiting", mode,
                            why[0] ? why : "the sensors gave no valid value");
            *noted = 1;
            return cancelled(p);
        }
        target =
            p->cooldown == TEAI_COOLDOWN_AUTO ? baseline + p->cooldown_margin_c : p->cooldown_value;
    }
    uint64_t t0 = teai__now_ns();
    double limit_s = p->cooldown == TEAI_COOLDOWN_SECONDS ? p->cooldown_value : p->cooldown_max_s;
    int reached = 0, stop = 0;
    double temp = temp_start;
    for (;;) {
        double waited = (double)(teai__now_ns() - t0) / 1e9;
        if (p->cooldown == TEAI_COOLDOWN_SECONDS ? waited >= limit_s : temp <= target) {
            reached = 1;
            break;
        }
        if (waited >= limit_s) break;
        double left_ms = (limit_s - waited) * 1e3;
        if ((stop = sleep_cancellable(p, left_ms < 250 ? (int)left_ms + 1 : 250))) break;
        if (p->cooldown != TEAI_COOLDOWN_SECONDS) {
            teai__sampler_mark(s->smp, &rd);
            if (!isnan(rd.temp_c)) temp = rd.temp_c;
        }
    }
    double waited_ms = (double)(teai__now_ns() - t0) / 1e6;
    teai__sampler_mark(s->smp, &rd);
    teai_log_cool c = {rep, mode, target, waited_ms, temp_start, rd.temp_c, reached};
    int wst = teai_log_cooldown(s->log, &c);
    if (wst) log_failed(s, wst);
    return stop;
}

/* ---- the summary --------------------------------------------------------------- */

/* One repetition's figures, for the run's summary. */
typedef struct rep_result {
    double pf, dec, ttft; /* prefill and decode tok/s, time to the first token (ms) */
    double j_per_token, decode_w, temp_max_c, peak_rss_mb, other_cpu_pct;
    int noisy, throttled, charging;
} rep_result;

static double max_known(double a, double b) {
    return isnan(a) || b > a ? b : a;
}

/* The summary over the measured repetitions first .. first + n - 1 and the
 * measured steps' latencies (sorted here). */
static void summarize(run_state *s, const rep_result *rr, int first, int n) {
    teai_bench_result *res = s->res;
    double *v = malloc(sizeof *v * (size_t)(n > 0 ? 5 * n : 1));
    res->n_measured = n;
    if (v && n > 0) {
        double *pf = v, *dec = v + n, *ttft = v + 2 * n, *jpt = v + 3 * n, *dw = v + 4 * n;
        for (int i = 0; i < n; i++) {
            const rep_result *r = &rr[first + i];
            pf[i] = r->pf, dec[i] = r->dec, ttft[i] = r->ttft;
            jpt[i] = r->j_per_token, dw[i] = r->decode_w;
            res->temp_max_c = max_known(res->temp_max_c, r->temp_max_c);
            res->peak_rss_mb = max_known(res->peak_rss_mb, r->peak_rss_mb);
            res->other_cpu_pct_max = max_known(res->other_cpu_pct_max, r->other_cpu_pct);
            res->n_noisy += r->noisy == 1;
            res->n_throttled += r->throttled == 1;
            res->n_charging += r->charging == 1;
            res->n_noise_known += r->noisy >= 0;
            res->n_throttle_known += r->throttled >= 0;
            res->n_charging_known += r->charging >= 0;
        }
        teai_mean_sd(pf, (size_t)n, &res->prefill_tok_s, &res->prefill_tok_s_sd);
        teai_mean_sd(dec, (size_t)n, &res->decode_tok_s, &res->decode_tok_s_sd);
        teai_mean_sd(ttft, (size_t)n, &res->ttft_ms, &res->ttft_ms_sd);
        teai_mean_sd(jpt, (size_t)n, &res->j_per_token, &res->j_per_token_sd);
        double sd;
        teai_mean_sd(dw, (size_t)n, &res->decode_w, &sd);
    }
    free(v);
    if (s->n_lat) qsort(s->lat, (size_t)s->n_lat, sizeof(double), cmp_double);
    res->n_steps = s->n_lat;
    res->p50_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.50);
    res->p90_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.90);
    res->p99_ms = teai_percentile_sorted(s->lat, (size_t)s->n_lat, 0.99);
    res->mean_step_ms = s->n_lat ? 0 : NAN;
    for (int i = 0; i < s->n_lat; i++) res->mean_step_ms += s->lat[i] / s->n_lat;
    res->overhead_ms =
        s->n_token_events ? (double)s->overhead_ns / 1e6 / s->n_token_events : (double)NAN;
}

/* Sustained mode: tokens per wall-clock second over the first 30 s and the
 * last 60 s of the measured stretch [t0, t1] (shorter when it was). */
static void sustained_rates(run_state *s, double t0, double t1) {
    teai_bench_result *res = s->res;
    double el = t1 - t0;
    if (!(el > 0)) return;
    res->sustained_s = el;
    res->first_s = el < 30 ? el : 30;
    res->last_s = el < 60 ? el : 60;
    long first = 0, last = 0;
    for (int i = 0; i < s->n_tok_t; i++) {
        if (s->tok_t[i] <= t0 + res->first_s) first += s->tok_n[i];
        if (s->tok_t[i] > t1 - res->last_s) last += s->tok_n[i];
    }
    res->first_tok_s = (double)first / res->first_s;
    res->last_tok_s = (double)last / res->last_s;
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
    res->membw_gb_s = res->j_per_token = res->j_per_token_sd = res->decode_w = NAN;
    res->temp_max_c = res->peak_rss_mb = res->other_cpu_pct_max = NAN;
    res->sustained_s = res->first_s = res->first_tok_s = res->last_s = res->last_tok_s = NAN;
    char *prompt_buf = NULL;
    size_t prompt_len;
    if (p->prompt_file &&
        teai__read_file(p->prompt_file, (size_t)64 << 20, &prompt_buf, &prompt_len, NULL))
        return teai__fail(err, TEAI_ENOTFOUND, "%s: cannot read the prompt file", p->prompt_file);

    /* the sensors, and the host's read bandwidth at the run's thread count */
    teai_error e = {0};
    teai_sensors *sens = NULL;
    int st = teai_sensors_open(NULL, &sens, &e);
    if (st) {
        free(prompt_buf);
        if (err) *err = e;
        return st;
    }
    snprintf(res->energy_source, sizeof res->energy_source, "%s", teai_sensors_energy_source(sens));
    int threads = p->threads > 0 ? p->threads : b->host.n_cpus;
    int measured = 0;
    teai_error me = {0};
    if (teai_membw_cached(threads, 0, &res->membw_gb_s, &measured, &me) != TEAI_OK) {
        res->membw_gb_s = NAN;
        if (p->note) teai__notef(p->note, p->ud, "read bandwidth unknown: %s", me.msg);
    } else if (measured && p->note) {
        teai__notef(p->note, p->ud,
                    "measured this host's read bandwidth at %d thread%s: %.1f GB/s (kept for "
                    "the next runs)",
                    threads, threads == 1 ? "" : "s", res->membw_gb_s);
    }

    teai_log *log = NULL;
    st = open_log(b, p, res->backend, res->model, sens, res->membw_gb_s, &log, &e);
    if (st) {
        teai_sensors_close(sens);
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
    s.sens = sens;
    s.live = !info->raw_is_data;
    s.rep = -1;
    int rc = TEAI_OK;
    const char *status = "ok";
    rep_result *rr = NULL;
    int n_rr = 0, cap_rr = 0;
    teai_sensor_reading *rbuf = NULL;
    int rcap = 0;
    if ((st = teai__sampler_start(sens, log, p->sample_hz, teai__now_ns(), &s.smp, &e))) {
        rc = st;
        status = "failed";
    } else {
        double t;
        mark(&s, &t); /* the run's first reading: the zero of its energy */
    }
    int load_st = teai_log_load(log, info->load_ms, (double)teai_peak_rss() / MIB);
    if (load_st) log_failed(&s, load_st);
    progress(&s, TEAI_BENCH_STARTED);

    int sustained = p->duration_s > 0, noted = 0;
    uint64_t measured_t0 = 0;
    double baseline = NAN;
    if (rc == TEAI_OK && p->cooldown == TEAI_COOLDOWN_AUTO) baseline = idle_baseline(&s);
    int last_n_prompt = p->prompt_tokens > 0 ? p->prompt_tokens : -1;
    for (int r = 0; rc == TEAI_OK && !res->write_failed; r++) {
        int warm = r < p->warmup;
        if (!warm && !sustained && r >= p->warmup + p->repetitions) break;
        if (!warm && s.deadline_ns && teai__now_ns() >= s.deadline_ns) break;
        if (cancelled(p)) {
            status = "interrupted";
            rc = teai__fail(&e, TEAI_EINTR, "interrupted; what was measured is in %s",
                            res->log_path);
            break;
        }
        if (r == cap_rr) {
            int cap = cap_rr ? 2 * cap_rr : 16;
            rep_result *q = realloc(rr, sizeof *q * (size_t)cap);
            if (!q) {
                rc = teai__fail(&e, TEAI_ENOMEM, "out of memory");
                status = "failed";
                break;
            }
            rr = q, cap_rr = cap;
        }
        rep_result *out = &rr[r];
        *out = (rep_result){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, -1, -1, -1};
        /* a cool-down before each repetition (sustained mode: before the first measured) */
        if (p->cooldown != TEAI_COOLDOWN_NONE && (!sustained || warm || r == p->warmup) &&
            cooldown(&s, r, warm, baseline, &noted)) {
            status = "interrupted";
            rc = teai__fail(&e, TEAI_EINTR, "interrupted; what was measured is in %s",
                            res->log_path);
            break;
        }
        if (res->write_failed) break;
        s.rep = r;
        s.warmup = warm;
        s.tokens = s.decode_tokens = 0;
        s.decode_ms = 0;
        s.prefill_ms = s.ttft_ms = NAN;
        s.n_prompt = -1;
        s.n_gen = p->n_gen;
        if (sustained && !warm) {
            /* decode until the context is full (a text prompt's length is known from an
             * earlier repetition; before one, it is taken to be 512 tokens) */
            int np = last_n_prompt > 0 ? last_n_prompt : 512;
            s.n_gen = b->n_ctx - np - SUSTAINED_MARGIN;
            if (s.n_gen < 1) {
                rc = teai__fail(&e, TEAI_EINVAL,
                                "sustained mode: a context of %d tokens leaves no room to "
                                "decode after a prompt of %d (give a larger -c)",
                                b->n_ctx, np);
                status = "failed";
                break;
            }
            if (!s.deadline_ns) {
                measured_t0 = teai__now_ns();
                s.deadline_ns = measured_t0 + (uint64_t)(p->duration_s * 1e9);
            }
        }
        s.i_pf = s.i_end = -1;
        s.tokens_after_end = s.deadline_hit = 0;
        int rss_reset_ok = info->memory == TEAI_MEM_IN_PROCESS && teai_peak_rss_reset() == 0;
        teai__sampler_set(s.smp, r, warm, TEAI__PHASE_PREFILL);
        s.i_start = mark(&s, &s.t_start);
        if (s.i_start >= 0) teai__sampler_forget_before(s.smp, s.i_start);
        teai_run_params rp = {0};
        rp.prompt = p->prompt_tokens > 0 ? NULL : prompt_buf ? prompt_buf : p->prompt;
        rp.prompt_tokens = p->prompt_tokens;
        rp.n_gen = s.n_gen;
        rp.rep = r;
        rp.seed = p->seed;
        st = b->ops->run(b->be, &rp, on_event, &s, &e);
        n_rr = r + 1;
        if (s.i_end < 0 || s.tokens_after_end) s.i_end = mark(&s, &s.t_end);
        teai__sampler_set(s.smp, r, warm, TEAI__PHASE_IDLE);
        if (s.n_prompt > 0) last_n_prompt = s.n_prompt;
        progress(&s, TEAI_BENCH_REP_DONE);
        out->pf = s.n_prompt > 0 && s.prefill_ms > 0 ? s.n_prompt * 1000.0 / s.prefill_ms : NAN;
        out->dec = s.decode_ms > 0 ? s.decode_tokens * 1000.0 / s.decode_ms : NAN;
        out->ttft = s.ttft_ms;
        /* the deadline, not Ctrl-C, stopped it: the run ends here, ok */
        int deadline_end = s.deadline_hit && st == TEAI_EINTR && !cancelled(p);
        if (!st || st == TEAI_EINTR) {
            teai_log_summary sum = {r,       s.warmup, s.n_prompt, s.decode_tokens,
                                    out->pf, out->dec, s.ttft_ms,  NAN,
                                    NAN,     NAN};
            int wst = teai_log_summary_event(log, &sum);
            if (wst) log_failed(&s, wst);
            teai_log_rep_sensors rs;
            rep_sensors(&s, b, rss_reset_ok, &rbuf, &rcap, &rs);
            if (!wst && (wst = teai_log_rep_sensors_event(log, &rs))) log_failed(&s, wst);
            out->j_per_token = rs.j_per_token, out->decode_w = rs.decode_w;
            out->temp_max_c = rs.temp_max_c, out->peak_rss_mb = rs.peak_rss_mb;
            out->other_cpu_pct = rs.other_cpu_pct;
            out->noisy = rs.noisy, out->throttled = rs.throttled, out->charging = rs.charging;
        }
        int sst = teai__sampler_write_status(s.smp);
        if (sst) log_failed(&s, sst);
        if (res->write_failed) break;
        if (deadline_end) break;
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
    if (s.smp) {
        int sst = teai__sampler_write_status(s.smp);
        teai__sampler_stop(s.smp); /* no sample line after the end event */
        if (sst) log_failed(&s, sst);
    }
    if (measured_t0) {
        uint64_t now = teai__now_ns(), end = now < s.deadline_ns ? now : s.deadline_ns;
        sustained_rates(&s, (double)measured_t0 / 1e9, (double)end / 1e9);
        int wst = res->write_failed
                      ? TEAI_OK
                      : teai_log_sustained(log, res->sustained_s, res->first_s, res->first_tok_s,
                                           res->last_s, res->last_tok_s);
        if (wst) log_failed(&s, wst);
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
    summarize(&s, rr, p->warmup, n_rr > p->warmup ? n_rr - p->warmup : 0);
    teai_sensors_close(sens);
    free(rr);
    free(rbuf);
    free(s.lat);
    free(s.tok_t), free(s.tok_n);
    free(prompt_buf);
    if (rc && err) *err = e;
    return rc;
}
