/* Read bandwidth of this machine (sensors.h): threads sum disjoint parts of
 * a buffer much larger than the caches, with the widest loads the CPU has,
 * between barriers, so one pass is timed from the first thread's start to
 * the last one's end. And the per-host cache of those figures
 * (hostcache.c's format, docs/sensors.md). */
#include "sys/sensors.h"

#include "sensors_impl.h"
#include "sys/sys.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 256-byte steps into four independent vector accumulators, so the loop is
 * bound by loads, not by the xors. */
typedef uint64_t v4 __attribute__((vector_size(32)));
#define SUM_WORDS_BODY                                                                             \
    v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                                                     \
    const v4 *v = (const v4 *)p;                                                                   \
    size_t nv = n / 4;                                                                             \
    for (size_t i = 0; i + 8 <= nv; i += 8) {                                                      \
        a0 ^= v[i] ^ v[i + 4];                                                                     \
        a1 ^= v[i + 1] ^ v[i + 5];                                                                 \
        a2 ^= v[i + 2] ^ v[i + 6];                                                                 \
        a3 ^= v[i + 3] ^ v[i + 7];                                                                 \
    }                                                                                              \
    v4 a = a0 ^ a1 ^ a2 ^ a3;                                                                      \
    return a[0] ^ a[1] ^ a[2] ^ a[3];

/* Not instrumented by the sanitizers: their checks on each load would
 * measure the build, not the memory. */
#if defined(__GNUC__) || defined(__clang__)
#define MEMBW_KERNEL __attribute__((no_sanitize("address", "undefined")))
#else
#define MEMBW_KERNEL
#endif

MEMBW_KERNEL static uint64_t sum_words_generic(const uint64_t *p, size_t n){SUM_WORDS_BODY}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
MEMBW_KERNEL __attribute__((target("avx2"))) static uint64_t
    sum_words_avx2(const uint64_t *p, size_t n) {
    SUM_WORDS_BODY
}
#endif

typedef uint64_t (*sum_fn)(const uint64_t *p, size_t n);

static sum_fn pick_sum(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx2")) return sum_words_avx2;
#endif
    return sum_words_generic;
}

/* Held closed until every thread has started (go 1), or opened with go -1
 * when one could not start, so no thread is left waiting at the barrier. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;
} gate;

typedef struct part {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
    sum_fn fn;
    gate *g;
    pthread_barrier_t *bar;
    int passes;
    double *secs; /* written by thread 0 */
} part;

static double now_s(void) {
    return (double)teai__now_ns() / 1e9;
}

static void *worker(void *arg) {
    part *w = arg;
    pthread_mutex_lock(&w->g->mu);
    while (w->g->go == 0) pthread_cond_wait(&w->g->cv, &w->g->mu);
    int go = w->g->go;
    pthread_mutex_unlock(&w->g->mu);
    if (go < 0) return NULL;
    for (int r = 0; r < w->passes; r++) {
        pthread_barrier_wait(w->bar);
        double t0 = now_s();
        w->sum += w->fn(w->p, w->n);
        pthread_barrier_wait(w->bar);
        if (w->secs) w->secs[r] = now_s() - t0;
    }
    return NULL;
}

static void open_gate(gate *g, int go) {
    pthread_mutex_lock(&g->mu);
    g->go = go;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Keeps the sums alive, so the loads are not optimized away. */
static volatile uint64_t g_membw_check;

int teai_membw_measure(int threads, size_t mib, int passes, double *best_gb_s, double *median_gb_s,
                       teai_error *err) {
    if (threads < 1 || threads > 4096 || mib < 1 || mib > ((size_t)1 << 30) || passes < 1 ||
        passes > 100000)
        return teai__fail(err, TEAI_EINVAL,
                          "read bandwidth: threads %d, %zu MiB, %d passes: each must be >= 1",
                          threads, mib, passes);
    size_t words = mib * 1024 * 1024 / 8;
    size_t per = words / (size_t)threads / 32 * 32; /* whole 256-byte steps */
    if (per == 0)
        return teai__fail(err, TEAI_EINVAL, "read bandwidth: %zu MiB is too small for %d threads",
                          mib, threads);
    uint64_t *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, words * 8) != 0)
        return teai__fail(err, TEAI_ENOMEM, "read bandwidth: cannot allocate %zu MiB", mib);
    for (size_t i = 0; i < words; i++) buf[i] = i * 0x9E3779B97F4A7C15ull;
    double *secs = calloc((size_t)passes, sizeof *secs);
    part *parts = calloc((size_t)threads, sizeof *parts);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    pthread_barrier_t bar;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    int rc = TEAI_OK;
    if (!secs || !parts || !th) {
        rc = teai__fail(err, TEAI_ENOMEM, "read bandwidth: out of memory");
        goto done;
    }
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    sum_fn fn = pick_sum();
    for (int i = 0; i < threads; i++)
        parts[i] =
            (part){buf + (size_t)i * per, per, 0, fn, &g, &bar, passes, i == 0 ? secs : NULL};
    int started = 1;
    for (; started < threads; started++) {
        int e = pthread_create(&th[started], NULL, worker, &parts[started]);
        if (e != 0) {
            rc = teai__fail(err, TEAI_EIO, "read bandwidth: cannot start thread %d of %d: %s",
                            started + 1, threads, strerror(e));
            break;
        }
    }
    open_gate(&g, rc == TEAI_OK ? 1 : -1);
    if (rc == TEAI_OK) worker(&parts[0]);
    uint64_t sum = parts[0].sum;
    for (int i = 1; i < started; i++) {
        pthread_join(th[i], NULL);
        sum ^= parts[i].sum;
    }
    g_membw_check = sum;
    if (rc == TEAI_OK) {
        double bytes = (double)per * 8.0 * threads;
        qsort(secs, (size_t)passes, sizeof *secs, cmp_d);
        if (best_gb_s) *best_gb_s = bytes / secs[0] / 1e9;
        if (median_gb_s) *median_gb_s = bytes / secs[passes / 2] / 1e9;
    }
    pthread_barrier_destroy(&bar);
done:
    free(secs);
    free(parts);
    free(th);
    free(buf);
    return rc;
}

/* ---- the host cache ------------------------------------------------------ */

/* The folder of the host cache files: $XDG_CACHE_HOME/teai/hosts, else
 * $HOME/.cache/teai/hosts. */
static int cache_dir(char *out, size_t cap, teai_error *err) {
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    int w;
    if (x && x[0])
        w = snprintf(out, cap, "%s/teai/hosts", x);
    else if (h && h[0])
        w = snprintf(out, cap, "%s/.cache/teai/hosts", h);
    else
        return teai__fail(err, TEAI_ENOTFOUND,
                          "host cache: neither XDG_CACHE_HOME nor HOME is set");
    if (w < 0 || (size_t)w >= cap) return teai__fail(err, TEAI_EINVAL, "host cache: path too long");
    return TEAI_OK;
}

/* The host name as a file name: [A-Za-z0-9._-] kept, others '_'. */
static void file_name(const char *host, char *out, size_t cap) {
    size_t k = 0;
    for (const char *p = host; *p && k + 1 < cap; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
    if (k == 0 || out[0] == '.') snprintf(out, cap, "unknown-host");
}

/* The size of the largest CPU cache in MiB (cpu0's cache/index*), 0 unknown. */
static size_t llc_mib(void) {
    size_t best_kib = 0;
    for (int i = 0; i < 8; i++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(buf, sizeof buf, f)) {
            char *end = NULL;
            unsigned long long v = strtoull(buf, &end, 10);
            size_t kib = (size_t)v;
            if (end && (*end == 'M')) kib = (size_t)v * 1024;
            if (kib > best_kib) best_kib = kib;
        }
        fclose(f);
    }
    return (best_kib + 1023) / 1024;
}

/* The quick measurement of the cache: 4x the largest cache, at least 256 MiB
 * and at most 2 GiB or an eighth of the RAM; 5 passes. */
static size_t quick_mib(uint64_t ram_bytes) {
    size_t mib = 4 * llc_mib();
    if (mib < 256) mib = 256;
    if (mib > 2048) mib = 2048;
    if (ram_bytes && mib > ram_bytes / 8 / (1024 * 1024))
        mib = (size_t)(ram_bytes / 8 / (1024 * 1024));
    if (mib < 16) mib = 16;
    return mib;
}
#define QUICK_PASSES 5

/* The host's CPU as the cache records it (control characters blanked). */
static void cache_cpu(const teai_host *h, char *out, size_t cap) {
    snprintf(out, cap, "%s", h->cpu[0] ? h->cpu : "unknown");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
}

/* Other processes' share of the CPUs (%) up to which a measurement counts
 * as undisturbed. */
#define MEMBW_QUIET_PCT 10.0
/* How old a disturbed measurement gets before it is tried again, s (so a
 * busy machine does not measure at every run). */
#define MEMBW_RETRY_S 300

int teai_membw_cached(int threads, int force, double *gb_s, int *measured, teai_error *err) {
    if (measured) *measured = 0;
    if (threads < 1 || threads > 4096)
        return teai__fail(err, TEAI_EINVAL, "read bandwidth: threads %d: must be 1..4096", threads);
    char dir[1024], name[160], path[1200];
    int rc = cache_dir(dir, sizeof dir, err);
    if (rc != TEAI_OK) return rc;
    teai_host h;
    teai_host_read(&h);
    /* one file per host and architecture: a device binary run through
     * qemu-user on this host measures the emulator, not the host's memory */
    char host_arch[200];
    snprintf(host_arch, sizeof host_arch, "%s.%s", h.hostname,
             h.machine[0] ? h.machine : "unknown");
    file_name(host_arch, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char cpu[256];
    cache_cpu(&h, cpu, sizeof cpu);

    teai__hostcache *c = calloc(1, sizeof *c);
    if (!c) return teai__fail(err, TEAI_ENOMEM, "host cache: out of memory");
    char *text = NULL;
    size_t len = 0;
    char why[128];
    int fresh = 1;
    if (teai__read_file(path, 1 << 20, &text, &len, NULL) == TEAI_OK &&
        teai__hostcache_parse(text, len, c, why, sizeof why) == 0 && strcmp(c->cpu, cpu) == 0 &&
        c->n_cpus == h.n_cpus && c->ram_bytes == h.ram_bytes)
        fresh = 0;
    free(text);
    if (fresh) {
        /* missing, corrupt, or another machine under this name: start anew */
        memset(c, 0, sizeof *c);
        snprintf(c->cpu, sizeof c->cpu, "%s", cpu);
        c->n_cpus = h.n_cpus;
        c->ram_bytes = h.ram_bytes;
    }
    const teai__membw_entry *got = teai__hostcache_get(c, threads);
    /* a figure measured while other processes were busy is too low: it is
     * used, but measured again once it is MEMBW_RETRY_S old, until a quiet
     * measurement (or a higher one) replaces it */
    int disturbed = got && got->other_pct > MEMBW_QUIET_PCT &&
                    (int64_t)time(NULL) - got->measured > MEMBW_RETRY_S;
    if (got && !force && !disturbed) {
        if (gb_s) *gb_s = got->best_gb_s;
        free(c);
        return TEAI_OK;
    }
    teai__membw_entry e = {0};
    e.threads = threads;
    e.mib = (int)quick_mib(h.ram_bytes);
    e.passes = QUICK_PASSES;
    e.other_pct = NAN;
    teai_sensors *load = NULL; /* /proc/stat around the measurement */
    teai_sensor_reading r0, r1;
    if (teai_sensors_open("/", &load, NULL) == TEAI_OK) teai_sensors_read(load, &r0);
    uint64_t t0 = teai__now_ns();
    rc = teai_membw_measure(threads, (size_t)e.mib, e.passes, &e.best_gb_s, &e.median_gb_s, err);
    if (load) {
        teai_sensors_read(load, &r1);
        e.other_pct = teai_other_cpu_pct(&r0, &r1);
        teai_sensors_close(load);
    }
    if (rc != TEAI_OK) {
        free(c);
        return rc;
    }
    e.seconds = (double)(teai__now_ns() - t0) / 1e9;
    if (!(e.seconds > 0)) e.seconds = 1e-6;
    e.measured = (int64_t)time(NULL);
    if (measured) *measured = 1;
    if (disturbed && !force && !(e.other_pct <= MEMBW_QUIET_PCT) &&
        !(e.best_gb_s > got->best_gb_s)) {
        /* busy again, and no higher: the cached figure stands */
        if (gb_s) *gb_s = got->best_gb_s;
        free(c);
        return TEAI_OK;
    }
    if (gb_s) *gb_s = e.best_gb_s;
    if (teai__hostcache_put(c, &e) != 0) {
        free(c);
        return TEAI_OK; /* measured; the cache is full, so it is not kept */
    }
    size_t cap = 512 + (size_t)c->n * 128; /* the header with a cpu of up to 255 bytes */
    char *out = malloc(cap);
    if (!out) {
        free(c);
        return teai__fail(err, TEAI_ENOMEM, "host cache: out of memory");
    }
    if (teai__hostcache_format(c, out, cap) != 0) {
        free(out);
        free(c);
        return teai__fail(err, TEAI_EINVAL, "%s: cache text too long", path);
    }
    rc = teai__mkdirs(dir, err);
    if (rc == TEAI_OK) rc = teai__write_file_atomic(path, out, strlen(out), err);
    free(out);
    free(c);
    return rc;
}
