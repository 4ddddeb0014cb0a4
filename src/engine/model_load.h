/* Shared by the model loaders (model.c: GGUF, model_hf.c: Hugging Face
 * folders). Internal. */
#ifndef TEAI_MODEL_LOAD_H
#define TEAI_MODEL_LOAD_H

#include "model.h"
#include "base/threadpool.h"

typedef struct teai__load {
    const char *path;
    teai_quantize quantize;
    teai__pool *pool; /* for load-time conversion */
    int check_only;   /* 1: weights are checked, neither read nor converted */
} teai__load;

/* A buffer owned by the model (64-byte aligned), freed with it; NULL on OOM. */
void *teai__model_alloc(teai_model *m, size_t bytes);
/* Takes a weight matrix (rows, cols) stored as `type` at data: in place when
 * the load-time quantization keeps the type, converted otherwise. */
int teai__model_weight(teai_model *m, teai__load *ld, const char *name, teai_type type,
                       const void *data, int64_t rows, int64_t cols, teai__weight *out,
                       teai_error *err);
/* Takes a vector of n elements as f32 (converted when stored otherwise). */
int teai__model_vector(teai_model *m, teai__load *ld, const char *name, teai_type type,
                       const void *data, int64_t n, const float **out, teai_error *err);
/* Computes the byte totals and the weight-format string after loading. */
void teai__model_finish(teai_model *m);

/* Hugging Face folder (config.json, tokenizer.json, *.safetensors). */
int teai__load_hf(teai_model *m, const char *dir, const teai_model_params *p, teai_error *err);
/* Releases the safetensors files behind m (no-op when none). */
void teai__model_close_st(teai_model *m);

#endif
