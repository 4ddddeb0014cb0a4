/* Private to src/load: the workload a run sends (workload.c: the seeded
 * random source, lengths, prompts, arrival gaps, the dataset) and the
 * per-request record writer (load.c). Nothing here is seen outside. */
#ifndef TEAI_LOAD_IMPL_H
#define TEAI_LOAD_IMPL_H

#include "load.h"

/* xoshiro256** seeded through splitmix64: the one random source of a run, so
 * a seed gives the same prompts, lengths and arrival times. */
typedef struct teai__rng {
    uint64_t s[4];
} teai__rng;

void teai__rng_seed(teai__rng *r, uint64_t seed);
uint64_t teai__rng_next(teai__rng *r);
double teai__rng_uniform(teai__rng *r); /* (0, 1), never 0 */
double teai__rng_normal(teai__rng *r);  /* standard normal (Box-Muller) */
/* Gamma(shape, 1) (Marsaglia-Tsang; shape < 1 by the boost U^(1/shape)). */
double teai__rng_gamma(teai__rng *r, double shape);

/* One length drawn from l (>= 1). */
long teai__len_draw(const teai_load_len *l, teai__rng *r);

/* Seconds to the next arrival at rate requests/s (0 when rate is infinite). */
double teai__arrival_gap(teai_load_arrival a, double burstiness, double rate, teai__rng *r);

/* A random prompt of about n_tokens tokens: n_tokens words drawn from a list
 * of common English words that BPE vocabularies hold as one token each
 * (" the", " house"), so no two prompts share a prefix a server could cache.
 * Appended to b (plain text, no JSON quoting). */
int teai__prompt_random(teai_buf *b, long n_tokens, teai__rng *r);

/* A dataset: prompts (and optional output lengths, -1 when absent) read
 * from JSON Lines with "prompt" and optional "output_len". */
typedef struct teai__dataset {
    char **prompt;
    long *output_len;
    size_t n;
} teai__dataset;

/* TEAI_EFORMAT naming path:line for a line that is not an object with a
 * string "prompt", an empty file; TEAI_EUNSUPPORTED without cJSON. */
int teai__dataset_read(const char *path, teai__dataset *d, teai_error *err);
void teai__dataset_free(teai__dataset *d);

#endif
