/* What train.c and output.c share. Internal to src/train. */
#ifndef TEAI_TRAIN_IMPL_H
#define TEAI_TRAIN_IMPL_H

#include "checkpoint.h"
#include "data.h"
#include "tmodel.h"
#include "train.h"

#include "teai/engine.h"

/* The model's hyperparameters as the engine's writers take them: a llama
 * with GGUF ("norm", adjacent-pair) RoPE, as teai_synth_shape fills a llama. */
void teai__train_hparams(const teai__tshape *s, const char *name, teai_hparams *hp);

/* The recipe (JSON, malloc'd into *out) recorded in the files written. */
int teai__train_recipe(const teai_train_params *p, const teai__tshape *s, const teai__tdata *d,
                       const char *tok_sha256, double heldout_loss, double heldout_bpb, char **out,
                       teai_error *err);

/* out_dir/loss.csv from the log rows. */
int teai__train_write_csv(const char *path, const teai__tlog *log, int64_t n, teai_error *err);

/* model-f32.gguf, model-f16.gguf and hf/ in out_dir. */
int teai__train_write_models(const char *out_dir, const teai__tshape *s, const float *params,
                             const teai_tokenizer *tok, const char *name, const char *recipe,
                             int n_threads, teai_error *err);

#endif
