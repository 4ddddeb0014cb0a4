/* Training a small llama model from text on the CPU: `teai model train` and
 * `teai model train-tokenizer`. The public header of src/train. */
#ifndef TEAI_TRAIN_H
#define TEAI_TRAIN_H

#include "teai/status.h"

#include <signal.h>
#include <stdint.h>

typedef struct teai_train_params {
    /* shape (teai_train_preset fills these) */
    int dim, n_layers, n_heads, n_kv_heads, hidden, n_ctx, tied;
    float rope_theta, norm_eps;
    int n_vocab;                /* of the tokenizer trained here */
    const char *tokenizer_path; /* GGUF whose tokenizer to use; NULL: train one on the data */
    /* data */
    const char *const *data; /* UTF-8 text files */
    int n_data;
    double holdout;             /* share of each file's bytes (its end) held out; default 0.05 */
    const char *const *heldout; /* held-out text files: when given, the data files are
                                   trained on whole and holdout is not used */
    int n_heldout;
    /* optimisation */
    int steps;                                   /* optimizer steps */
    int batch;                                   /* sequences of n_ctx tokens per step */
    int warmup;                                  /* steps of linear warm-up */
    float lr, min_lr;                            /* peak, and the floor of the cosine decay */
    float weight_decay, beta1, beta2, eps, clip; /* AdamW; clip: global gradient norm */
    uint64_t seed;
    int n_threads; /* 0 = all cores */
    /* held-out loss and checkpoints */
    int eval_every;      /* steps between held-out evaluations (and at the end) */
    int eval_batches;    /* batches of the held-out split per evaluation */
    int ckpt_every;      /* steps between checkpoints (and on stop) */
    int resume;          /* 1: continue from out_dir/checkpoint.bin when it exists */
    const char *out_dir; /* model-f32.gguf, model-f16.gguf, hf/, tokenizer.gguf,
                            checkpoint.bin, loss.csv */
    const char *name;    /* general.name; default "teai-trained" */
} teai_train_params;

teai_train_params teai_train_default_params(void); /* preset "tiny" */
/* Sets the shape and schedule of a named preset ("tiny", "micro"); returns 0,
 * or -1 when the name is unknown. */
int teai_train_preset(const char *name, teai_train_params *p);
const char *const *teai_train_preset_names(void); /* NULL-terminated */

typedef struct teai_train_progress {
    int step, steps;     /* steps done, of all */
    double loss;         /* training loss of the last step, nats/token */
    double heldout_loss; /* last held-out loss, nats/token; NAN before the first */
    double heldout_bpb;  /* the same in bits per byte of text; NAN before the first */
    double tokens_per_s; /* training tokens per second over the last steps */
    double elapsed_s, eta_s;
    int evaluated;     /* 1 when this report carries a new held-out figure */
    const char *phase; /* "tokenizer", "data", "train", "write" */
} teai_train_progress;

typedef void (*teai_train_progress_fn)(void *ud, const teai_train_progress *pr);

typedef struct teai_train_result {
    int steps_done;
    int stopped; /* 1: stopped by *stop before the last step (checkpoint saved) */
    double loss, heldout_loss, heldout_bpb;
    double train_s;      /* seconds spent in steps */
    double tokens_per_s; /* training tokens per second, whole run */
    double gflops;       /* model FLOPs per second reached (6 * params * tokens + attention) */
    int64_t n_params;
    int64_t train_tokens, heldout_tokens;
} teai_train_result;

/* Trains as p says and writes the results into p->out_dir. *stop (may be
 * NULL) is polled between steps: when set, a checkpoint is written and the
 * call returns TEAI_OK with res->stopped = 1. */
int teai_train_run(const teai_train_params *p, teai_train_progress_fn cb, void *ud,
                   volatile sig_atomic_t *stop, teai_train_result *res, teai_error *err);

/* Trains only the tokenizer on files and writes it as a vocabulary-only GGUF. */
int teai_train_tokenizer(const char *const *files, int n_files, int n_vocab, int n_threads,
                         const char *out_gguf, teai_error *err);

#endif
