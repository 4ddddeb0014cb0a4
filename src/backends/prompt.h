/* Prompts for benchmark runs, the same for every in-process backend. */
#ifndef TEAI_BACKEND_PROMPT_H
#define TEAI_BACKEND_PROMPT_H

#include "backends/backend.h"

#include <stdint.h>

/* A prompt of n token ids for a vocabulary of n_vocab: bos (when >= 0)
 * first, then a fixed pseudo-random sequence, so every backend and every run
 * gets the same ids (as llama-bench's pp tests use random tokens). */
void teai__synthetic_prompt(int n_vocab, int32_t bos, int n, int32_t *ids);

/* The prompt of p through teai's tokenizer (text, with BOS), or the
 * synthetic one of p->prompt_tokens ids. *ids is malloc'd. */
int teai__prompt_tokens(const teai_tokenizer *tok, int n_vocab, const teai_run_params *p,
                        int32_t **ids, int *n, teai_error *err);

#endif
