/* Read bandwidth of this machine: threads sum disjoint parts of a buffer much
 * larger than the caches, with the widest loads the compiler emits. Prints
 * best and median GB/s (1e9 bytes/s) over the passes.
 *   teai-membw [THREADS] [MIB] [PASSES]   (defaults: all cores, 1024, 15) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct part {
    const uint64_t *p;
    size_t n;
    uint64_t sum;
    pthread_barrier_t *bar;
    int passes;
    double *secs; /* written by thread 0 */
} part;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 256-byte steps into four independent vector accumulators, so the loop is
 * bound by loads, not by the xors. */
typedef uint64_t v4 __attribute__((vector_size(32)));
static uint64_t sum_words(const uint64_t *p, size_t n) {
    v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const v4 *v = (const v4 *)p;
    size_t nv = n / 4;
    for (size_t i = 0; i + 8 <= nv; i += 8) {
        a0 ^= v[i] ^ v[i + 4];
        a1 ^= v[i + 1] ^ v[i + 5];
        a2 ^= v[i + 2] ^ v[i + 6];
        a3 ^= v[i + 3] ^ v[i + 7];
    }
    v4 a = a0 ^ a1 ^ a2 ^ a3;
    return a[0] ^ a[1] ^ a[2] ^ a[3];
}

static void *worker(void *arg) {
    part *w = arg;
    for (int r = 0; r < w->passes; r++) {
        pthread_barrier_wait(w->bar);
        double t0 = now_s();
        w->sum += sum_words(w->p, w->n);
        pthread_barrier_wait(w->bar);
        if (w->secs) w->secs[r] = now_s() - t0;
    }
    return NULL;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = argc > 1 ? atoi(argv[1]) : (int)(cpus > 0 ? cpus : 1);
    size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 1024;
    int passes = argc > 3 ? atoi(argv[3]) : 15;
    if (nt < 1 || nt > 1024 || mib < 64 || passes < 1 || passes > 1000) {
        fprintf(stderr, "usage: teai-membw [THREADS] [MIB >= 64] [PASSES]\n");
        return 2;
    }
    size_t words = mib * 1024 * 1024 / 8;
    uint64_t *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, words * 8) != 0) {
        fprintf(stderr, "teai-membw: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < words; i++) buf[i] = i * 0x9E3779B97F4A7C15ull;
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nt);
    double *secs = calloc((size_t)passes, sizeof *secs);
    part *parts = calloc((size_t)nt, sizeof *parts);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!secs || !parts || !th) return 1;
    size_t per = words / (size_t)nt / 8 * 8;
    for (int i = 0; i < nt; i++) {
        parts[i] = (part){buf + (size_t)i * per, per, 0, &bar, passes, i == 0 ? secs : NULL};
        if (i > 0) pthread_create(&th[i], NULL, worker, &parts[i]);
    }
    worker(&parts[0]);
    uint64_t sum = parts[0].sum;
    for (int i = 1; i < nt; i++) {
        pthread_join(th[i], NULL);
        sum ^= parts[i].sum;
    }
    double bytes = (double)per * 8.0 * nt;
    qsort(secs, (size_t)passes, sizeof *secs, cmp_d);
    printf(
        "threads %d  buffer %zu MiB  passes %d  best %.1f GB/s  median %.1f GB/s  (check %llx)\n",
        nt, mib, passes, bytes / secs[0] / 1e9, bytes / secs[passes / 2] / 1e9,
        (unsigned long long)(sum & 0xff));
    free(secs);
    free(parts);
    free(th);
    free(buf);
    return 0;
}
