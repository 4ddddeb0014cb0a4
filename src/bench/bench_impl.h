/* Internals of the runner, shared by its files; not part of the API.
 *
 *   session.c  defaults, the backend configuration, open and close
 *   model.c    the model lookup and synthesized stand-ins
 *   runner.c   one configuration's repetitions into a log, and its summary */
#ifndef TEAI_BENCH_IMPL_H
#define TEAI_BENCH_IMPL_H

#include "bench/bench.h"
#include "sys/sys.h"

struct teai_bench {
    const teai_backend_ops *ops;
    teai_backend *be;
    teai_backend_info info;
    teai_host host;   /* read once, at open */
    char model[4096]; /* the model file ("" without one) */
    char sha[65], model_bytes[32];
    int has_model, synthetic;
};

#endif
