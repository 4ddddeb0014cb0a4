/* Internals of the runner, shared by its files; not part of the API.
 *
 *   session.c  defaults, the backend configuration, open and close
 *   model.c    the model lookup and synthesized stand-ins
 *   runner.c   one configuration's repetitions into a log, and its summary
 *   sampler.c  the sensor sampler thread and the phase-boundary readings */
#ifndef TEAI_BENCH_IMPL_H
#define TEAI_BENCH_IMPL_H

#include "bench/bench.h"
#include "results/results.h"
#include "sys/sensors.h"
#include "sys/sys.h"

struct teai_bench {
    const teai_backend_ops *ops;
    teai_backend *be;
    teai_backend_info info;
    teai_host host;   /* read once, at open */
    char model[4096]; /* the model file ("" without one) */
    char sha[65], model_bytes[32];
    int has_model, synthetic;
    int n_ctx; /* the context the backend was opened with */
};

/* ---- the sensor sampler (sampler.c) ---------------------------------------
 * Readings of one teai_sensors, kept in time order with absolute indices:
 * the sampler thread's (every 1/hz s) and the runner's marks. Each is
 * written to the log as a `sample` line (not with hz 0). */
typedef struct teai__sampler teai__sampler;

enum { TEAI__PHASE_IDLE, TEAI__PHASE_COOLDOWN, TEAI__PHASE_PREFILL, TEAI__PHASE_DECODE };

/* Starts sampling sens (borrowed) at hz into log (borrowed), the sample
 * lines' t_ms counted from t0_ns (teai__now_ns). hz 0: no thread, marks
 * only, nothing logged. TEAI_ENOMEM when the thread cannot start. */
int teai__sampler_start(teai_sensors *sens, teai_log *log, double hz, uint64_t t0_ns,
                        teai__sampler **out, teai_error *err);
/* Stops the thread (at once) and frees; NULL is fine. */
void teai__sampler_stop(teai__sampler *s);
/* What the next readings are tagged with: the repetition (-1 before the
 * first), warm-up mark and phase (TEAI__PHASE_*). Any thread. */
void teai__sampler_set(teai__sampler *s, int rep, int warmup, int phase);
/* Adds n to the tokens decoded in the run. Any thread. */
void teai__sampler_add_tokens(teai__sampler *s, long n);
/* A reading now, stored and logged like the thread's (*out gets it); its
 * index, -1 when it could not be stored (out of memory). */
long teai__sampler_mark(teai__sampler *s, teai_sensor_reading *out);
/* Copies the readings from..to (indices, inclusive) into *buf (grown as
 * needed, *cap its size); their count, 0 when they are not all kept.
 * *clock_max: the highest clock read so far in the run, NAN none. */
int teai__sampler_range(teai__sampler *s, long from, long to, teai_sensor_reading **buf, int *cap,
                        double *clock_max);
/* Drops the readings before index idx (no longer needed). */
void teai__sampler_forget_before(teai__sampler *s, long idx);
/* The status of the first failed sample write; TEAI_OK. */
int teai__sampler_write_status(teai__sampler *s);

#endif
