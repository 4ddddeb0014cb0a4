/* out_dir/checkpoint.bin: everything a stopped run needs to go on exactly as
 * if it had not stopped. Internal to src/train.
 *
 * Layout (little-endian, as the host writes it):
 *   "TEAICKPT" u32 version(1) u32 0
 *   i32 dim n_layers n_heads n_kv_heads hidden n_vocab n_ctx tied
 *   f32 rope_theta norm_eps   u64 seed   i64 step   u64 n_params
 *   char tokenizer_sha256[64] char data_sha256[64]   u64 n_log
 *   f32 params[n_params] m[n_params] v[n_params]
 *   n_log rows of { i32 step, i32 0, f64 lr loss heldout_loss heldout_bpb tokens_per_s }
 *   u64 checksum: FNV-1a (64-bit, over 8-byte words, then the tail bytes) of all before it */
#ifndef TEAI_TRAIN_CHECKPOINT_H
#define TEAI_TRAIN_CHECKPOINT_H

#include "tmodel.h"

#include "teai/status.h"

#include <stddef.h>
#include <stdint.h>

/* One row of loss.csv: the figures after optimizer step `step` (1-based). */
typedef struct teai__tlog {
    int step;
    double lr, loss;
    double heldout_loss, heldout_bpb; /* NAN when not evaluated at this step */
    double tokens_per_s;
} teai__tlog;

typedef struct teai__ckpt {
    teai__tshape shape;
    uint64_t seed;
    int64_t step; /* optimizer steps done */
    char tokenizer_sha256[65], data_sha256[65];
    size_t n_params;
    float *params, *m, *v; /* n_params each */
    teai__tlog *log;
    int64_t n_log;
} teai__ckpt;

/* Writes c to path atomically. TEAI_EIO naming the file. */
int teai__ckpt_write(const char *path, const teai__ckpt *c, teai_error *err);
/* Reads path into c (params, m, v and log malloc'd; teai__ckpt_free).
 * TEAI_ENOTFOUND when absent; TEAI_EFORMAT naming the file for a wrong
 * magic or version, a truncated file or a checksum mismatch. */
int teai__ckpt_read(const char *path, teai__ckpt *c, teai_error *err);
void teai__ckpt_free(teai__ckpt *c);

#endif
