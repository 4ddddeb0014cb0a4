/* teai_train_run: the training loop of `teai model train`, and
 * teai_train_tokenizer. */
#include "optim.h"
#include "train_impl.h"

#include "base/base.h"
#include "sys/sys.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Training tokens per second over the last TPS_WINDOW steps. */
#define TPS_WINDOW 16

typedef struct run {
    const teai_train_params *p;
    teai_train_progress_fn cb;
    void *ud;
    teai_error *err;
    teai__tdata data;
    teai_tokenizer *tok;
    char tok_sha[65], data_sha[65];
    teai__tshape shape;
    teai__ttensor *layout;
    int n_tensors;
    teai__pseg *segs;
    size_t n_params;
    float *params, *grads, *m, *v;
    int32_t *tokens;     /* batch rows of n_ctx+1 */
    uint16_t *piece_len; /* bytes of each token's text, for bits per byte */
    teai__tws *ws;
    teai__pool *pool;
    teai__tlog *log;
    int64_t n_log, cap_log;
    int step; /* optimizer steps done */
    double heldout_loss, heldout_bpb;
    uint64_t t0;
} run;

static char *path_in(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static void report(run *r, const char *phase, double loss, double tps, double eta, int evaluated) {
    if (!r->cb) return;
    teai_train_progress pr = {r->step,
                              r->p->steps,
                              loss,
                              r->heldout_loss,
                              r->heldout_bpb,
                              tps,
                              (double)(teai__now_ns() - r->t0) / 1e9,
                              eta,
                              evaluated,
                              phase};
    r->cb(r->ud, &pr);
}

static int check_params(const teai_train_params *p, teai_error *err) {
#define NEED(c, ...)                                                                               \
    if (!(c)) return teai__fail(err, TEAI_EINVAL, __VA_ARGS__)
    NEED(p->out_dir && p->out_dir[0], "no output folder given");
    NEED(p->n_data > 0 && p->data, "no training text given");
    NEED(p->steps > 0, "steps must be positive (%d)", p->steps);
    NEED(p->batch > 0, "batch must be positive (%d)", p->batch);
    NEED(p->warmup >= 0, "warmup must not be negative (%d)", p->warmup);
    NEED(p->lr > 0 && isfinite(p->lr), "lr must be positive (%g)", (double)p->lr);
    NEED(p->min_lr >= 0 && p->min_lr <= p->lr, "min_lr must lie in [0, lr] (%g)",
         (double)p->min_lr);
    NEED(p->weight_decay >= 0 && isfinite(p->weight_decay), "weight_decay must not be negative");
    NEED(p->beta1 >= 0 && p->beta1 < 1 && p->beta2 >= 0 && p->beta2 < 1,
         "beta1 and beta2 must lie in [0, 1)");
    NEED(p->eps > 0, "eps must be positive");
    NEED(p->clip >= 0, "clip must not be negative (0: no clipping)");
    NEED(p->holdout >= 0 && p->holdout < 1, "holdout must lie in [0, 1) (%g)", p->holdout);
    NEED(p->eval_every > 0, "eval_every must be positive (%d)", p->eval_every);
    NEED(p->eval_batches > 0, "eval_batches must be positive (%d)", p->eval_batches);
    NEED(p->ckpt_every >= 0, "ckpt_every must not be negative (0: only on stop and at the end)");
    NEED(p->tokenizer_path || (p->n_vocab >= 258 && p->n_vocab <= 1 << 20),
         "n_vocab must lie in 258..%d (%d)", 1 << 20, p->n_vocab);
#undef NEED
    return TEAI_OK;
}

/* SHA-256 of a whole file's bytes (not the shared cache: tokenizer.gguf is
 * rewritten in place). */
static int sha_of_file(const char *path, char hex[65], teai_error *err) {
    char *buf = NULL;
    size_t n = 0;
    int rc = teai__read_file(path, (size_t)1 << 31, &buf, &n, err);
    if (rc) return rc;
    teai_sha256_hex(buf, n, hex);
    free(buf);
    return TEAI_OK;
}

/* The data's identity: each file's hash and the held-out share. */
static void data_identity(const teai__tdata *d, double holdout, char hex[65]) {
    teai_buf b;
    teai_buf_init(&b, 0);
    for (int i = 0; i < d->n_files; i++)
        teai_buf_printf(&b, "%s%s\n", d->files[i].sha256, d->files[i].heldout ? " held" : "");
    teai_buf_printf(&b, "holdout %.17g\n", holdout);
    teai_sha256_hex(b.data ? b.data : "", b.len, hex);
    teai_buf_free(&b);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The tokenizer: p->tokenizer_path's, the one a checkpoint in out_dir was
 * made with, or one trained on the training splits. It is saved (or kept)
 * as out_dir/tokenizer.gguf, whose hash identifies it. */
static int get_tokenizer(run *r, int resuming) {
    const teai_train_params *p = r->p;
    int rc;
    char *saved = path_in(p->out_dir, "tokenizer.gguf");
    char *fresh = path_in(p->out_dir, "tokenizer.gguf.new");
    if (!saved || !fresh) {
        rc = teai__fail(r->err, TEAI_ENOMEM, "out of memory");
        goto done;
    }
    if (!p->tokenizer_path && resuming && file_exists(saved)) {
        /* the checkpoint's own: not trained again */
        if ((rc = teai_tokenizer_load(saved, &r->tok, r->err))) goto done;
        rc = sha_of_file(saved, r->tok_sha, r->err);
        goto done;
    }
    if (p->tokenizer_path) {
        if ((rc = teai_tokenizer_load(p->tokenizer_path, &r->tok, r->err))) goto done;
    } else {
        report(r, "tokenizer", NAN, NAN, NAN, 0);
        const char **texts = calloc((size_t)r->data.n_files, sizeof *texts);
        size_t *lens = calloc((size_t)r->data.n_files, sizeof *lens);
        if (!texts || !lens) {
            free(texts), free(lens);
            rc = teai__fail(r->err, TEAI_ENOMEM, "out of memory");
            goto done;
        }
        int nt = 0; /* the training parts only: never the held-out text */
        for (int i = 0; i < r->data.n_files; i++)
            if (r->data.files[i].train_len)
                texts[nt] = r->data.files[i].text, lens[nt++] = r->data.files[i].train_len;
        teai_tokenizer_train_params tp = teai_tokenizer_train_default_params();
        tp.n_vocab = p->n_vocab;
        tp.n_threads = p->n_threads;
        rc = teai_tokenizer_train(texts, lens, nt, &tp, &r->tok, r->err);
        free(texts), free(lens);
        if (rc) goto done;
    }
    /* saved beside the target first: a resumed run checks it against the
     * checkpoint before it replaces the tokenizer that checkpoint was made with */
    if ((rc = teai_tokenizer_save(r->tok, fresh, r->err))) goto done;
    if ((rc = sha_of_file(fresh, r->tok_sha, r->err))) goto done;
done:
    free(saved);
    free(fresh);
    return rc;
}

static int keep_tokenizer(run *r) {
    char *saved = path_in(r->p->out_dir, "tokenizer.gguf");
    char *fresh = path_in(r->p->out_dir, "tokenizer.gguf.new");
    int rc = TEAI_OK;
    if (!saved || !fresh)
        rc = teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    else if (file_exists(fresh) && rename(fresh, saved) != 0)
        rc = teai__fail(r->err, TEAI_EIO, "%s: rename: %s", saved, strerror(errno));
    free(saved);
    free(fresh);
    return rc;
}

static void drop_fresh_tokenizer(run *r) {
    char *fresh = path_in(r->p->out_dir, "tokenizer.gguf.new");
    if (fresh) unlink(fresh);
    free(fresh);
}

static int log_add(run *r, const teai__tlog *row) {
    if (r->n_log == r->cap_log) {
        int64_t nc = r->cap_log ? 2 * r->cap_log : 256;
        teai__tlog *l = realloc(r->log, (size_t)nc * sizeof *l);
        if (!l) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
        r->log = l, r->cap_log = nc;
    }
    r->log[r->n_log++] = *row;
    return TEAI_OK;
}

static int save_checkpoint(run *r) {
    char *path = path_in(r->p->out_dir, "checkpoint.bin");
    if (!path) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    teai__ckpt c = {r->shape,  r->p->seed, r->step, {0},    {0},     r->n_params,
                    r->params, r->m,       r->v,    r->log, r->n_log};
    memcpy(c.tokenizer_sha256, r->tok_sha, 65);
    memcpy(c.data_sha256, r->data_sha, 65);
    int rc = teai__ckpt_write(path, &c, r->err);
    free(path);
    if (rc) return rc;
    path = path_in(r->p->out_dir, "loss.csv");
    if (!path) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    rc = teai__train_write_csv(path, r->log, r->n_log, r->err);
    free(path);
    return rc;
}

/* Loads out_dir/checkpoint.bin into r when it matches this run. TEAI_ENOTFOUND
 * when there is none. */
static int load_checkpoint(run *r) {
    char *path = path_in(r->p->out_dir, "checkpoint.bin");
    if (!path) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    teai__ckpt c;
    int rc = teai__ckpt_read(path, &c, r->err);
    if (rc) {
        free(path);
        return rc;
    }
    const teai__tshape *a = &c.shape, *b = &r->shape;
    struct {
        const char *name;
        long there, here;
    } f[] = {{"dim", a->dim, b->dim},           {"layers", a->n_layers, b->n_layers},
             {"heads", a->n_heads, b->n_heads}, {"kv heads", a->n_kv_heads, b->n_kv_heads},
             {"hidden", a->hidden, b->hidden},  {"vocabulary", a->n_vocab, b->n_vocab},
             {"context", a->n_ctx, b->n_ctx},   {"tied", a->tied, b->tied}};
    for (size_t i = 0; i < sizeof f / sizeof *f && !rc; i++)
        if (f[i].there != f[i].here)
            rc = teai__fail(r->err, TEAI_EINVAL,
                            "%s: made for another shape (%s %ld there, %ld here)", path, f[i].name,
                            f[i].there, f[i].here);
    if (!rc && (a->rope_theta != b->rope_theta || a->norm_eps != b->norm_eps))
        rc = teai__fail(r->err, TEAI_EINVAL,
                        "%s: made for another shape (rope theta %g, norm eps %g there)", path,
                        (double)a->rope_theta, (double)a->norm_eps);
    if (!rc && c.seed != r->p->seed)
        rc = teai__fail(r->err, TEAI_EINVAL, "%s: made with seed %llu, this run has %llu", path,
                        (unsigned long long)c.seed, (unsigned long long)r->p->seed);
    if (!rc && strcmp(c.tokenizer_sha256, r->tok_sha) != 0)
        rc = teai__fail(r->err, TEAI_EINVAL,
                        "%s: made with another tokenizer (sha256 %.12s…, this one %.12s…)", path,
                        c.tokenizer_sha256, r->tok_sha);
    if (!rc && strcmp(c.data_sha256, r->data_sha) != 0)
        rc = teai__fail(r->err, TEAI_EINVAL,
                        "%s: made on other training text or another held-out share", path);
    if (!rc && c.n_params != r->n_params)
        rc = teai__fail(r->err, TEAI_EFORMAT, "%s: %zu parameters, the shape has %zu", path,
                        c.n_params, r->n_params);
    if (!rc && (c.step < 0 || c.step > r->p->steps))
        rc = teai__fail(r->err, TEAI_EINVAL, "%s: at step %lld, past the %d steps asked for", path,
                        (long long)c.step, r->p->steps);
    if (!rc) {
        memcpy(r->params, c.params, r->n_params * sizeof(float));
        memcpy(r->m, c.m, r->n_params * sizeof(float));
        memcpy(r->v, c.v, r->n_params * sizeof(float));
        r->step = (int)c.step;
        /* the log up to the checkpoint's step; the last held-out figures */
        for (int64_t i = 0; i < c.n_log && !rc; i++)
            if (c.log[i].step <= c.step) {
                rc = log_add(r, &c.log[i]);
                if (isfinite(c.log[i].heldout_loss))
                    r->heldout_loss = c.log[i].heldout_loss, r->heldout_bpb = c.log[i].heldout_bpb;
            }
    }
    teai__ckpt_free(&c);
    free(path);
    return rc;
}

/* Held-out loss (nats/token) and bits per byte over the fixed windows:
 * n = eval_batches*batch windows of T+1 tokens (T = n_ctx, or less when the
 * held-out text is shorter) at evenly spaced offsets. bpb = (sum of the
 * windows' CE nats / ln 2) / (UTF-8 bytes of their target tokens). */
static void evaluate(run *r) {
    const teai__tdata *d = &r->data;
    int T = r->shape.n_ctx;
    if (d->n_held < 2) return;
    if (d->n_held - 1 < T) T = (int)(d->n_held - 1);
    int64_t n = (int64_t)r->p->eval_batches * r->p->batch;
    if (n > d->n_held - T) n = d->n_held - T; /* no window twice */
    double nats = 0, bytes = 0, preds = 0;
    for (int64_t w0 = 0; w0 < n; w0 += r->p->batch) {
        int B = (int)(n - w0 < r->p->batch ? n - w0 : r->p->batch);
        for (int b = 0; b < B; b++) {
            int64_t off = teai__data_held_offset(d, (int)(w0 + b), (int)n, T);
            int32_t *row = r->tokens + (size_t)b * (size_t)(T + 1);
            memcpy(row, d->held + off, (size_t)(T + 1) * sizeof *row);
            for (int t = 1; t <= T; t++) bytes += r->piece_len[row[t]];
        }
        double loss =
            teai__tmodel_step(&r->shape, r->params, NULL, r->tokens, B, T, r->ws, r->pool);
        nats += loss * B * T;
        preds += (double)B * T;
    }
    r->heldout_loss = nats / preds;
    r->heldout_bpb = bytes > 0 ? nats / M_LN2 / bytes : NAN;
}

static int setup_model(run *r) {
    enum { MAX_T = 16 + 9 * 256 };
    const teai_train_params *p = r->p;
    r->shape = (teai__tshape){p->dim,        p->n_layers, p->n_heads,
                              p->n_kv_heads, p->hidden,   teai_tokenizer_n_vocab(r->tok),
                              p->n_ctx,      p->tied,     p->rope_theta,
                              p->norm_eps};
    char msg[256] = "";
    if (teai__tshape_check(&r->shape, msg, sizeof msg))
        return teai__fail(r->err, TEAI_EINVAL, "cannot train this shape: %s", msg);
    r->layout = malloc(MAX_T * sizeof *r->layout);
    if (!r->layout) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    r->n_tensors = teai__tmodel_layout(&r->shape, r->layout, MAX_T);
    if (r->n_tensors > MAX_T)
        return teai__fail(r->err, TEAI_EINVAL, "too many layers (%d)", p->n_layers);
    r->segs = malloc((size_t)r->n_tensors * sizeof *r->segs);
    if (!r->segs) return teai__fail(r->err, TEAI_ENOMEM, "out of memory");
    for (int i = 0; i < r->n_tensors; i++) {
        const teai__ttensor *t = &r->layout[i];
        size_t n = (size_t)(t->rows > 0 ? t->rows : 1) * (size_t)t->cols;
        /* weight decay on matrices only, never on the norms' gains */
        r->segs[i] = (teai__pseg){t->offset, n, t->rows > 0};
    }
    r->n_params = teai__tmodel_n_params(&r->shape);
    size_t bytes = r->n_params * sizeof(float);
    r->params = malloc(bytes);
    r->grads = malloc(bytes);
    r->m = calloc(r->n_params, sizeof(float));
    r->v = calloc(r->n_params, sizeof(float));
    r->tokens = malloc((size_t)p->batch * (size_t)(p->n_ctx + 1) * sizeof *r->tokens);
    r->piece_len = calloc((size_t)r->shape.n_vocab, sizeof *r->piece_len);
    r->ws = teai__tws_new(&r->shape, p->batch, p->n_ctx);
    r->pool = teai__pool_new(p->n_threads);
    if (!r->params || !r->grads || !r->m || !r->v || !r->tokens || !r->piece_len || !r->ws ||
        !r->pool)
        return teai__fail(r->err, TEAI_ENOMEM,
                          "out of memory for %zu parameters and a batch of %d x %d tokens",
                          r->n_params, p->batch, p->n_ctx);
    char piece[256];
    for (int id = 0; id < r->shape.n_vocab; id++) {
        int n = teai_token_to_piece(r->tok, id, 0, piece, sizeof piece);
        r->piece_len[id] = (uint16_t)(n > 0 ? n : 0);
    }
    teai__tmodel_init(&r->shape, r->params, p->seed);
    return TEAI_OK;
}

static void run_free(run *r) {
    teai__data_free(&r->data);
    if (r->tok) teai_tokenizer_free(r->tok);
    free(r->layout);
    free(r->segs);
    free(r->params);
    free(r->grads);
    free(r->m);
    free(r->v);
    free(r->tokens);
    free(r->piece_len);
    if (r->ws) teai__tws_free(r->ws);
    if (r->pool) teai__pool_free(r->pool);
    free(r->log);
}

int teai_train_run(const teai_train_params *p, teai_train_progress_fn cb, void *ud,
                   volatile sig_atomic_t *stop, teai_train_result *res, teai_error *err) {
    teai_train_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    res->loss = res->heldout_loss = res->heldout_bpb = NAN;
    int rc = check_params(p, err);
    if (rc) return rc;
    run r;
    memset(&r, 0, sizeof r);
    r.p = p, r.cb = cb, r.ud = ud, r.err = err;
    r.heldout_loss = r.heldout_bpb = NAN;
    r.t0 = teai__now_ns();
    char *ckpt_path = path_in(p->out_dir, "checkpoint.bin");
    char *recipe = NULL;
    if (!ckpt_path) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    int resuming = p->resume && file_exists(ckpt_path);
    if ((rc = teai__mkdirs(p->out_dir, err))) goto out;

    report(&r, "data", NAN, NAN, NAN, 0);
    if ((rc = teai__data_read_split(p->data, p->n_data, p->heldout, p->n_heldout, p->holdout,
                                    &r.data, err)))
        goto out;
    data_identity(&r.data, p->holdout, r.data_sha);
    if ((rc = get_tokenizer(&r, resuming))) goto out;
    report(&r, "data", NAN, NAN, NAN, 0);
    if ((rc = teai__data_tokenize(&r.data, r.tok, err))) goto out;
    if (r.data.n_train < p->n_ctx + 1) {
        rc = teai__fail(err, TEAI_EINVAL,
                        "the training text is too short: %lld tokens, a window of the context "
                        "(%d) + 1 needed",
                        (long long)r.data.n_train, p->n_ctx);
        goto out;
    }
    if ((rc = setup_model(&r))) goto out;
    if (resuming && (rc = load_checkpoint(&r))) goto out;
    if ((rc = keep_tokenizer(&r))) goto out;
    res->n_params = (int64_t)r.n_params;
    res->train_tokens = r.data.n_train;
    res->heldout_tokens = r.data.n_held;

    /* FLOPs per trained token: 6 per parameter (forward 2, backward 4) for
     * the matrix products, plus attention's scores and weighted sum, 4*T*dim
     * per layer forward (counted over the whole window, as is usual, though
     * the causal mask halves it), three times that with the backward pass:
     * 6*n_params + 12*n_layers*n_ctx*dim. */
    double flops_per_token =
        6.0 * (double)r.n_params + 12.0 * p->n_layers * (double)p->n_ctx * (double)p->dim;
    const int T = p->n_ctx, B = p->batch;
    uint64_t t_hist[TPS_WINDOW];
    int64_t tok_hist[TPS_WINDOW];
    int n_hist = 0;
    int64_t tokens_run = 0;
    uint64_t train_ns = 0;
    double loss = NAN, tps = NAN;
    report(&r, "train", loss, tps, NAN, 0);
    while (r.step < p->steps) {
        if (stop && *stop) {
            res->stopped = 1;
            break;
        }
        uint64_t ts = teai__now_ns();
        teai__data_batch(&r.data, p->seed, r.step, B, T, r.tokens);
        memset(r.grads, 0, r.n_params * sizeof(float));
        loss = teai__tmodel_step(&r.shape, r.params, r.grads, r.tokens, B, T, r.ws, r.pool);
        if (!isfinite(loss)) {
            rc = teai__fail(err, TEAI_ERANGE,
                            "the training loss is not finite at step %d (try a lower --lr)",
                            r.step + 1);
            goto out;
        }
        double norm = teai__grad_norm(r.grads, r.n_params, r.pool);
        double lr = teai__lr_at(r.step, p->steps, p->warmup, p->lr, p->min_lr);
        teai__adamw a = {(float)lr,
                         p->beta1,
                         p->beta2,
                         p->eps,
                         p->weight_decay,
                         r.step + 1,
                         teai__clip_scale(norm, p->clip)};
        teai__adamw_step(&a, r.segs, r.n_tensors, r.params, r.grads, r.m, r.v, r.pool);
        r.step++;
        uint64_t te = teai__now_ns();
        train_ns += te - ts;
        tokens_run += (int64_t)B * T;
        /* tokens/s over the last TPS_WINDOW steps of training time */
        t_hist[n_hist % TPS_WINDOW] = train_ns;
        tok_hist[n_hist % TPS_WINDOW] = tokens_run;
        n_hist++;
        int oldest = n_hist > TPS_WINDOW ? n_hist % TPS_WINDOW : 0;
        uint64_t dt = train_ns - (n_hist > TPS_WINDOW ? t_hist[oldest] : 0);
        int64_t dtok = tokens_run - (n_hist > TPS_WINDOW ? tok_hist[oldest] : 0);
        tps = dt ? (double)dtok / ((double)dt / 1e9) : NAN;
        int evaluated = 0;
        if (r.step % p->eval_every == 0 || r.step == p->steps) {
            evaluate(&r);
            evaluated = r.data.n_held >= 2;
        }
        teai__tlog row = {
            r.step, lr, loss, evaluated ? r.heldout_loss : NAN, evaluated ? r.heldout_bpb : NAN,
            tps};
        if ((rc = log_add(&r, &row))) goto out;
        double per_step = isfinite(tps) && tps > 0 ? (double)B * T / tps : 0;
        report(&r, "train", loss, tps, per_step * (p->steps - r.step), evaluated);
        if (p->ckpt_every > 0 && r.step % p->ckpt_every == 0 && r.step < p->steps &&
            (rc = save_checkpoint(&r)))
            goto out;
    }
    res->steps_done = r.step;
    res->train_s = (double)train_ns / 1e9;
    res->tokens_per_s = train_ns ? (double)tokens_run / res->train_s : NAN;
    res->gflops = train_ns ? flops_per_token * (double)tokens_run / res->train_s / 1e9 : NAN;
    res->loss = isfinite(loss) ? loss : (r.n_log ? r.log[r.n_log - 1].loss : NAN);
    /* a resumed run that had nothing left to do still reports its figures */
    if (!res->stopped && !isfinite(r.heldout_loss)) evaluate(&r);
    res->heldout_loss = r.heldout_loss;
    res->heldout_bpb = r.heldout_bpb;
    if ((rc = save_checkpoint(&r))) goto out;
    if (res->stopped) goto out;

    report(&r, "write", res->loss, tps, 0, 0);
    if ((rc = teai__train_recipe(p, &r.shape, &r.data, r.tok_sha, r.heldout_loss, r.heldout_bpb,
                                 &recipe, err)))
        goto out;
    rc = teai__train_write_models(p->out_dir, &r.shape, r.params, r.tok,
                                  p->name ? p->name : "teai-trained", recipe, p->n_threads, err);
out:
    if (rc) drop_fresh_tokenizer(&r);
    free(recipe);
    free(ckpt_path);
    run_free(&r);
    return rc;
}

int teai_train_tokenizer(const char *const *files, int n_files, int n_vocab, int n_threads,
                         const char *out_gguf, teai_error *err) {
    if (n_vocab < 258 || n_vocab > 1 << 20)
        return teai__fail(err, TEAI_EINVAL, "the vocabulary size must lie in 258..%d (%d)", 1 << 20,
                          n_vocab);
    teai__tdata d;
    int rc = teai__data_read(files, n_files, 0, &d, err);
    if (rc) {
        teai__data_free(&d);
        return rc;
    }
    const char **texts = calloc((size_t)n_files, sizeof *texts);
    size_t *lens = calloc((size_t)n_files, sizeof *lens);
    teai_tokenizer *tok = NULL;
    if (!texts || !lens) {
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    } else {
        for (int i = 0; i < n_files; i++) texts[i] = d.files[i].text, lens[i] = d.files[i].bytes;
        teai_tokenizer_train_params tp = teai_tokenizer_train_default_params();
        tp.n_vocab = n_vocab;
        tp.n_threads = n_threads;
        rc = teai_tokenizer_train(texts, lens, n_files, &tp, &tok, err);
        if (!rc) rc = teai_tokenizer_save(tok, out_gguf, err);
    }
    if (tok) teai_tokenizer_free(tok);
    free(texts);
    free(lens);
    teai__data_free(&d);
    return rc;
}
