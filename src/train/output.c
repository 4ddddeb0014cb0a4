/* What a training run leaves in out_dir: the model as GGUF (f32, f16) and as
 * a Hugging Face folder, loss.csv, and the recipe recorded in them. */
#include "train_impl.h"

#include "base/base.h"
#include "sys/sys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void teai__train_hparams(const teai__tshape *s, const char *name, teai_hparams *hp) {
    memset(hp, 0, sizeof *hp);
    snprintf(hp->arch, sizeof hp->arch, "llama");
    snprintf(hp->name, sizeof hp->name, "%s", name ? name : "");
    hp->n_vocab = s->n_vocab;
    hp->dim = s->dim;
    hp->n_layers = s->n_layers;
    hp->n_heads = s->n_heads;
    hp->n_kv_heads = s->n_kv_heads;
    hp->head_dim = s->dim / s->n_heads;
    hp->ffn_dim = s->hidden;
    hp->ctx_len = s->n_ctx;
    hp->rope_theta = s->rope_theta;
    hp->norm_eps = s->norm_eps;
    hp->tied_output = s->tied;
    hp->qkv_bias = 0;
    hp->rope_style = TEAI_ROPE_NORM; /* the trainer's q/k rows are in GGUF order */
    /* no llama3 frequency scaling: factor 0 */
}

/* A float for JSON: null when not finite. */
static int json_num(teai_buf *b, double x) {
    return isfinite(x) ? teai_buf_printf(b, "%.9g", x) : teai_buf_addstr(b, "null");
}

int teai__train_recipe(const teai_train_params *p, const teai__tshape *s, const teai__tdata *d,
                       const char *tok_sha256, double heldout_loss, double heldout_bpb, char **out,
                       teai_error *err) {
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = teai_buf_addstr(&b, "{\"data\":[");
    for (int i = 0; i < d->n_files && !rc; i++) {
        const char *path = d->files[i].path, *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        rc = teai_buf_addstr(&b, i ? ",{\"file\":" : "{\"file\":");
        if (!rc) rc = teai__json_str(&b, base, strlen(base), NULL);
        if (!rc)
            rc = teai_buf_printf(&b, ",\"sha256\":\"%s\",\"bytes\":%zu,\"heldout\":%s}",
                                 d->files[i].sha256, d->files[i].bytes,
                                 d->files[i].heldout ? "true" : "false");
    }
    if (!rc)
        rc = teai_buf_printf(
            &b,
            "],\"tokenizer\":{\"n_vocab\":%d,\"sha256\":\"%s\"},"
            "\"shape\":{\"dim\":%d,\"n_layers\":%d,\"n_heads\":%d,\"n_kv_heads\":%d,"
            "\"hidden\":%d,\"n_ctx\":%d,\"tied\":%s,\"rope_theta\":%.9g,\"norm_eps\":%.9g},"
            "\"steps\":%d,\"batch\":%d,\"lr\":%.9g,\"min_lr\":%.9g,\"warmup\":%d,"
            "\"weight_decay\":%.9g,\"clip\":%.9g,\"seed\":%llu,\"holdout\":%.9g,"
            "\"heldout_loss\":",
            s->n_vocab, tok_sha256, s->dim, s->n_layers, s->n_heads, s->n_kv_heads, s->hidden,
            s->n_ctx, s->tied ? "true" : "false", (double)s->rope_theta, (double)s->norm_eps,
            p->steps, p->batch, (double)p->lr, (double)p->min_lr, p->warmup,
            (double)p->weight_decay, (double)p->clip, (unsigned long long)p->seed, p->holdout);
    if (!rc) rc = json_num(&b, heldout_loss);
    if (!rc) rc = teai_buf_addstr(&b, ",\"heldout_bpb\":");
    if (!rc) rc = json_num(&b, heldout_bpb);
    if (!rc) rc = teai_buf_addstr(&b, "}");
    if (rc) {
        teai_buf_free(&b);
        return teai__fail(err, TEAI_ENOMEM, "out of memory writing the recipe");
    }
    *out = b.data;
    return TEAI_OK;
}

/* A CSV field: empty when not finite. */
static void csv_num(FILE *f, double x, const char *fmt) {
    if (isfinite(x)) fprintf(f, fmt, x);
}

int teai__train_write_csv(const char *path, const teai__tlog *log, int64_t n, teai_error *err) {
    teai__atomic_file af;
    int rc = teai__atomic_open(&af, path, err);
    if (rc) return rc;
    fputs("step,lr,loss,heldout_loss,heldout_bpb,tokens_per_s\n", af.f);
    for (int64_t i = 0; i < n; i++) {
        const teai__tlog *l = &log[i];
        fprintf(af.f, "%d,%.6g,", l->step, l->lr);
        csv_num(af.f, l->loss, "%.6f");
        fputc(',', af.f);
        csv_num(af.f, l->heldout_loss, "%.6f");
        fputc(',', af.f);
        csv_num(af.f, l->heldout_bpb, "%.6f");
        fputc(',', af.f);
        csv_num(af.f, l->tokens_per_s, "%.1f");
        fputc('\n', af.f);
    }
    return teai__atomic_commit(&af, err);
}

typedef struct rows_ud {
    const teai__ttensor *t;
    int n;
    const float *params;
} rows_ud;

/* teai_row_fn: the flat tensors are already in GGUF names and row order */
static int row_copy(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const rows_ud *u = ud;
    for (int i = 0; i < u->n; i++) {
        const teai__ttensor *t = &u->t[i];
        if (strcmp(t->name, name) != 0) continue;
        int64_t rows = t->rows > 0 ? t->rows : 1;
        if (r < 0 || r >= rows || cols != t->cols) return TEAI_EINVAL;
        memcpy(dst, u->params + t->offset + (size_t)r * (size_t)cols, (size_t)cols * sizeof(float));
        return TEAI_OK;
    }
    return TEAI_ENOTFOUND;
}

int teai__train_write_models(const char *out_dir, const teai__tshape *s, const float *params,
                             const teai_tokenizer *tok, const char *name, const char *recipe,
                             int n_threads, teai_error *err) {
    enum { MAX_T = 16 + 9 * 256 };
    teai__ttensor *t = malloc(MAX_T * sizeof *t);
    if (!t) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    rows_ud u = {t, teai__tmodel_layout(s, t, MAX_T), params};
    if (u.n > MAX_T) {
        free(t);
        return teai__fail(err, TEAI_EINVAL, "too many layers to write (%d)", s->n_layers);
    }
    teai_hparams hp;
    teai__train_hparams(s, name, &hp);
    teai_model_write_params wp = {&hp, tok, name, recipe, n_threads};
    size_t cap = strlen(out_dir) + 32;
    char *path = malloc(cap);
    int rc = path ? TEAI_OK : teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (!rc) {
        snprintf(path, cap, "%s/model-f32.gguf", out_dir);
        rc = teai_model_write_gguf(&wp, "f32", row_copy, &u, path, err);
    }
    if (!rc) {
        snprintf(path, cap, "%s/model-f16.gguf", out_dir);
        rc = teai_model_write_gguf(&wp, "f16", row_copy, &u, path, err);
    }
    if (!rc) {
        snprintf(path, cap, "%s/hf", out_dir);
        rc = teai_model_write_hf(&wp, "f32", row_copy, &u, path, err);
        /* a build without cJSON writes no Hugging Face folder; the GGUF files stand */
        if (rc == TEAI_EUNSUPPORTED) rc = TEAI_OK;
    }
    free(path);
    free(t);
    return rc;
}
