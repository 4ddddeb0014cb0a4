/* AdamW, the learning-rate schedule and global gradient-norm clipping of
 * `teai model train`. Internal to src/train. */
#ifndef TEAI_TRAIN_OPTIM_H
#define TEAI_TRAIN_OPTIM_H

#include "base/threadpool.h"

#include <stddef.h>

/* The learning rate of optimizer step `step` (0-based: the step that makes
 * the (step+1)-th update): linear warm-up lr*(step+1)/warmup over the first
 * `warmup` steps, then a cosine from lr at step == warmup down to min_lr at
 * step == steps (and min_lr after it). */
double teai__lr_at(int step, int steps, int warmup, double lr, double min_lr);

/* A run of parameters that share their weight-decay rule. */
typedef struct teai__pseg {
    size_t offset, n; /* floats, into the flat arrays */
    int decay;        /* 1: matrices (decoupled weight decay); 0: norm vectors */
} teai__pseg;

typedef struct teai__adamw {
    float lr, beta1, beta2, eps, weight_decay;
    int t;        /* 1-based count of this update, for the bias correction */
    float gscale; /* gradients are multiplied by this first (clipping); 1 = none */
} teai__adamw;

/* One AdamW update of n floats of p from gradients g, moments m and v:
 *   g' = gscale*g;  m = b1*m + (1-b1)*g';  v = b2*v + (1-b2)*g'^2
 *   p -= lr * ( (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + decay*wd*p )
 * Elementwise, so any split of the range gives the same bits. */
void teai__adamw_update(const teai__adamw *a, int decay, float *p, const float *g, float *m,
                        float *v, size_t n);

/* The same over every segment of a model, split over pool (may be NULL). */
void teai__adamw_step(const teai__adamw *a, const teai__pseg *segs, int n_segs, float *p,
                      const float *g, float *m, float *v, teai__pool *pool);

/* The L2 norm of g[0..n), summed in fixed chunks so that the result does not
 * depend on the number of threads in pool (may be NULL). */
double teai__grad_norm(const float *g, size_t n, teai__pool *pool);

/* The factor that brings a gradient of norm `norm` down to `clip`: clip/norm
 * when norm > clip > 0, else 1. */
float teai__clip_scale(double norm, double clip);

#endif
