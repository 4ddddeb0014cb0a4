/* The sensor sampler of a run (bench_impl.h): a thread that reads the
 * sensors every 1/hz seconds, and synchronous readings ("marks") the runner
 * takes at the phases' boundaries (a repetition's start, its prefill event,
 * its last token), all kept in one array in time order and each written to
 * the log as a `sample` line, tagged with the repetition, the phase and the
 * tokens decoded so far in the run, which the runner sets as it goes.
 *
 * One teai_sensors is read by one thread at a time: reading, storing and
 * logging happen under one mutex, so the array and the log's sample lines
 * are both in time order and each reading's interval figures (other
 * processes' CPU share, CPU pressure) are over the interval since the one
 * before it. The thread blocks signals (Ctrl-C reaches the runner's thread)
 * and sleeps on a condition variable, so stopping it is immediate. */
#include "bench/bench_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct teai__sampler {
    teai_sensors *sens; /* borrowed */
    teai_log *log;      /* borrowed; NULL: readings are kept, not logged */
    double hz;          /* 0: no thread */
    uint64_t t0_ns;     /* the run's start: t_ms of the sample lines */
    pthread_mutex_t mu; /* guards everything below, the sensors and the log's sample lines */
    pthread_cond_t cv;
    pthread_t thread;
    int running, stop;
    teai_sensor_reading *r; /* readings base .. base + n - 1 */
    int n, cap;
    long base;        /* absolute index of r[0] (older readings were forgotten) */
    double energy0;   /* energy_j of the first reading with one: the run's zero */
    double clock_max; /* highest clock_mhz read so far; NAN none */
    int write_status; /* the first failed sample write; TEAI_OK */
    int mem_failed;   /* a reading could not be stored */
    atomic_int rep, warmup, phase;
    atomic_long tokens;
};

static const char *const phase_names[] = {"idle", "cooldown", "prefill", "decode"};

/* Reads the sensors, stores the reading and logs it; under s->mu. The
 * stored index in *idx (-1 when it could not be stored). */
static void read_locked(teai__sampler *s, teai_sensor_reading *out, long *idx) {
    teai_sensor_reading rd;
    teai_sensors_read(s->sens, &rd);
    if (out) *out = rd;
    if (idx) *idx = -1;
    const teai_sensor_reading *prev = s->n > 0 ? &s->r[s->n - 1] : NULL;
    teai_log_smp smp;
    memset(&smp, 0, sizeof smp);
    smp.t_ms = (rd.t_s - (double)s->t0_ns / 1e9) * 1e3;
    smp.rep = atomic_load(&s->rep);
    smp.warmup = atomic_load(&s->warmup);
    int ph = atomic_load(&s->phase);
    smp.phase = phase_names[ph >= 0 && ph < 4 ? ph : 0];
    smp.tokens = atomic_load(&s->tokens);
    if (isnan(s->energy0) && !isnan(rd.energy_j)) s->energy0 = rd.energy_j;
    smp.energy_j = rd.energy_j - s->energy0; /* NAN stays NAN */
    smp.power_w = rd.power_w;
    smp.temp_c = rd.temp_c;
    smp.clock_mhz = rd.clock_mhz;
    smp.clock_mean_mhz = rd.clock_mean_mhz;
    smp.throttle_count = rd.throttle_count;
    smp.charging = rd.charging;
    smp.other_cpu_pct = prev ? teai_other_cpu_pct(prev, &rd) : NAN;
    double dt = prev ? rd.t_s - prev->t_s : NAN;
    smp.psi_some_pct =
        prev && dt > 0 ? (rd.psi_some_us - prev->psi_some_us) / (dt * 1e6) * 100.0 : NAN;
    if (smp.psi_some_pct < 0) smp.psi_some_pct = NAN; /* the counter went back: unknown */
    smp.load1 = rd.load1;
    if (!isnan(rd.clock_mhz) && !(rd.clock_mhz <= s->clock_max)) s->clock_max = rd.clock_mhz;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 256;
        teai_sensor_reading *q = realloc(s->r, sizeof *q * (size_t)cap);
        if (q) s->r = q, s->cap = cap;
    }
    if (s->n < s->cap) {
        s->r[s->n] = rd;
        if (idx) *idx = s->base + s->n;
        s->n++;
    } else {
        s->mem_failed = 1;
    }
    if (s->log && s->hz > 0 && s->write_status == TEAI_OK) {
        int rc = teai_log_sample(s->log, &smp);
        if (rc) s->write_status = rc;
    }
}

static void *sampler_main(void *arg) {
    teai__sampler *s = arg;
    uint64_t period = (uint64_t)(1e9 / s->hz);
    if (period < 1000000) period = 1000000; /* at most 1 kHz */
    uint64_t next = teai__now_ns() + period;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        uint64_t now = teai__now_ns();
        if (now < next) {
            struct timespec ts;
            ts.tv_sec = (time_t)(next / 1000000000ull);
            ts.tv_nsec = (long)(next % 1000000000ull);
            int w = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            if (w != ETIMEDOUT) continue; /* woken (to stop) or spurious: check again */
            if (s->stop) break;
        }
        read_locked(s, NULL, NULL);
        next += period;
        now = teai__now_ns();
        if (next <= now) next = now + period; /* fell behind (a slow read): no burst */
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int teai__sampler_start(teai_sensors *sens, teai_log *log, double hz, uint64_t t0_ns,
                        teai__sampler **out, teai_error *err) {
    *out = NULL;
    teai__sampler *s = calloc(1, sizeof *s);
    if (!s) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    s->sens = sens;
    s->log = log;
    s->hz = hz > 0 ? hz : 0;
    s->t0_ns = t0_ns;
    s->energy0 = NAN;
    s->clock_max = NAN;
    atomic_init(&s->rep, -1);
    atomic_init(&s->warmup, 0);
    atomic_init(&s->phase, TEAI__PHASE_IDLE);
    atomic_init(&s->tokens, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* teai__now_ns's clock */
    int cv_rc = pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (cv_rc) {
        free(s);
        return teai__fail(err, TEAI_ENOMEM, "sensor sampler: cannot make a condition variable");
    }
    pthread_mutex_init(&s->mu, NULL);
    if (s->hz > 0) {
        /* the thread starts with every signal blocked: Ctrl-C goes to the runner */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int rc = pthread_create(&s->thread, NULL, sampler_main, s);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc) {
            pthread_cond_destroy(&s->cv);
            pthread_mutex_destroy(&s->mu);
            free(s);
            return teai__fail(err, TEAI_ENOMEM, "sensor sampler: cannot start its thread (%s)",
                              strerror(rc));
        }
        s->running = 1;
    }
    *out = s;
    return TEAI_OK;
}

void teai__sampler_stop(teai__sampler *s) {
    if (!s) return;
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        s->running = 0;
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->r);
    free(s);
}

void teai__sampler_set(teai__sampler *s, int rep, int warmup, int phase) {
    atomic_store(&s->rep, rep);
    atomic_store(&s->warmup, warmup);
    atomic_store(&s->phase, phase);
}

void teai__sampler_add_tokens(teai__sampler *s, long n) {
    atomic_fetch_add(&s->tokens, n);
}

long teai__sampler_mark(teai__sampler *s, teai_sensor_reading *out) {
    long idx;
    pthread_mutex_lock(&s->mu);
    read_locked(s, out, &idx);
    pthread_mutex_unlock(&s->mu);
    return idx;
}

int teai__sampler_range(teai__sampler *s, long from, long to, teai_sensor_reading **buf, int *cap,
                        double *clock_max) {
    pthread_mutex_lock(&s->mu);
    *clock_max = s->clock_max;
    long i0 = from - s->base, i1 = to - s->base;
    int n = 0;
    if (from >= 0 && to >= from && i0 >= 0 && i1 < s->n) {
        n = (int)(i1 - i0 + 1);
        if (n > *cap) {
            teai_sensor_reading *q = realloc(*buf, sizeof *q * (size_t)n);
            if (q)
                *buf = q, *cap = n;
            else
                n = 0;
        }
        if (n) memcpy(*buf, s->r + i0, sizeof **buf * (size_t)n);
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

void teai__sampler_forget_before(teai__sampler *s, long idx) {
    pthread_mutex_lock(&s->mu);
    long k = idx - s->base;
    if (k > 0 && k <= s->n) {
        memmove(s->r, s->r + k, sizeof *s->r * (size_t)(s->n - k));
        s->n -= (int)k;
        s->base = idx;
    }
    pthread_mutex_unlock(&s->mu);
}

int teai__sampler_write_status(teai__sampler *s) {
    pthread_mutex_lock(&s->mu);
    int rc = s->write_status;
    pthread_mutex_unlock(&s->mu);
    return rc;
}
