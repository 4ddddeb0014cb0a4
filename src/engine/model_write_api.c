/* The public face of the model writers: a row callback in GGUF order (what
 * `teai model train` holds) written as a GGUF file or a Hugging Face folder. */
#include "model_write.h"
#include "util.h"

#include <string.h>

typedef struct rows_ud {
    teai_row_fn row;
    void *ud;
    int head_dim;
} rows_ud;

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The Hugging Face folder asks llama's q/k rows in rotate-half order: row
 * h*hd + j*hd/2 + i of it is GGUF row h*hd + 2i + j. */
static int hf_row(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const rows_ud *u = ud;
    if (ends_with(name, ".attn_q.weight") || ends_with(name, ".attn_k.weight")) {
        int64_t hd = u->head_dim, h = r / hd, w = r % hd, j = w / (hd / 2), i = w % (hd / 2);
        r = h * hd + 2 * i + j;
    }
    return u->row(u->ud, name, r, cols, dst);
}

static int check(const teai_model_write_params *p, teai_row_fn row, const char *out,
                 teai_error *err) {
    if (!p || !p->hp || !p->tok || !row)
        return teai__fail(err, TEAI_EINVAL, "%s: model, tokenizer and rows are required",
                          out ? out : "(null)");
    if (strcmp(p->hp->arch, "llama") != 0)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: writing rows of a %s model is unsupported",
                          out, p->hp->arch);
    return TEAI_OK;
}

static teai__model_desc desc_of(const teai_model_write_params *p) {
    teai__model_desc d;
    memset(&d, 0, sizeof d);
    d.hp = p->hp;
    d.tok = p->tok;
    d.name = p->name;
    d.trained_recipe = p->trained_recipe;
    return d;
}

int teai_model_write_gguf(const teai_model_write_params *p, const char *type, teai_row_fn row,
                          void *ud, const char *path, teai_error *err) {
    int rc = check(p, row, path, err);
    if (rc) return rc;
    teai__model_desc d = desc_of(p);
    teai__row_source src = {row, ud, 1};
    return teai__write_gguf_model(&d, type, &src, p->n_threads, path, err);
}

int teai_model_write_hf(const teai_model_write_params *p, const char *dtype, teai_row_fn row,
                        void *ud, const char *dir, teai_error *err) {
    int rc = check(p, row, dir, err);
    if (rc) return rc;
    teai__model_desc d = desc_of(p);
    rows_ud u = {row, ud, p->hp->head_dim};
    teai__row_source src = {hf_row, &u, 0};
    return teai__write_hf_model(&d, dtype, &src, p->n_threads, dir, err);
}
