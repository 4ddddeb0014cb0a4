/* The text a model is trained on: files read and checked, split into a
 * training part and a held-out part, tokenized, and cut into batches.
 * Internal to src/train. */
#ifndef TEAI_TRAIN_DATA_H
#define TEAI_TRAIN_DATA_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

typedef struct teai__tfile {
    char *text;       /* the whole file, NUL-terminated */
    size_t bytes;     /* its length */
    size_t train_len; /* text[0..train_len) is trained on, the rest held out */
    const char *path; /* as given (borrowed) */
    int heldout;      /* 1: a held-out file (train_len 0) */
    char sha256[65];  /* of the file's bytes */
} teai__tfile;

typedef struct teai__tdata {
    teai__tfile *files;
    int n_files;
    /* each file's split tokenized on its own (no BOS) and concatenated */
    int32_t *train, *held;
    int64_t n_train, n_held;
    int64_t held_bytes; /* bytes of the held-out text */
} teai__tdata;

/* Reads the files and splits each: the last `holdout` share of its bytes,
 * moved forward to the start of a line (when the file has a line break in
 * that part), is held out. A file that cannot be read, is empty or is not
 * well-formed UTF-8 gives an error naming it (TEAI_ENOTFOUND, TEAI_EIO,
 * TEAI_EFORMAT). */
int teai__data_read(const char *const *paths, int n, double holdout, teai__tdata *d,
                    teai_error *err);
/* The same with held-out files of their own: paths are then trained on whole
 * and held[0..n_held) held out whole (n_held 0: as teai__data_read). */
int teai__data_read_split(const char *const *paths, int n, const char *const *held, int n_held,
                          double holdout, teai__tdata *d, teai_error *err);
/* The split point of a text of n bytes for share `holdout`. */
size_t teai__data_split_at(const char *text, size_t n, double holdout);
/* Tokenizes every file's two parts with tok. */
int teai__data_tokenize(teai__tdata *d, const teai_tokenizer *tok, teai_error *err);
void teai__data_free(teai__tdata *d);

/* The training windows of optimizer step `step`: B rows of T+1 consecutive
 * tokens of the training stream at offsets drawn from a PRNG keyed by
 * (seed, step) alone, so a resumed run draws what an uninterrupted one does.
 * Needs n_train >= T+1. */
void teai__data_batch(const teai__tdata *d, uint64_t seed, int64_t step, int B, int T,
                      int32_t *out);

/* The held-out windows: n_windows rows of T+1 tokens at evenly spaced
 * offsets (the first at 0, the last at the end); needs n_held >= T+1. */
int64_t teai__data_held_offset(const teai__tdata *d, int i, int n_windows, int T);

/* splitmix64: the next value of *state. */
uint64_t teai__splitmix64(uint64_t *state);

#endif
