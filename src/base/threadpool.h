/* A fixed pool of worker threads for data-parallel loops. The caller's thread
 * takes part as worker 0, so a pool of n threads starts n-1 workers. Workers
 * spin briefly between jobs (decode dispatches hundreds of short jobs per
 * token), then sleep on a condition variable. */
#ifndef TEAI_THREADPOOL_H
#define TEAI_THREADPOOL_H

/* fn(arg, ith, nth): do part ith of nth. */
typedef void (*teai__task_fn)(void *arg, int ith, int nth);

typedef struct teai__pool teai__pool;

teai__pool *teai__pool_new(int n_threads); /* NULL on failure; n_threads <= 0: all cores */
void teai__pool_free(teai__pool *pool);
int teai__pool_size(const teai__pool *pool);
/* Runs fn on every thread and returns when all are done. */
void teai__pool_run(teai__pool *pool, teai__task_fn fn, void *arg);

/* Splits [0, n) into nth nearly equal parts; part ith is [*lo, *hi). */
static inline void teai__split(long n, int ith, int nth, long *lo, long *hi) {
    long per = n / nth, rem = n % nth;
    *lo = ith * per + (ith < rem ? ith : rem);
    *hi = *lo + per + (ith < rem ? 1 : 0);
}

#endif
