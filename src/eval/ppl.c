/* An evaluation: perplexity of a text, optionally writing or comparing
 * against reference log-probabilities (ppl.h). The chunk loop follows
 * llama.cpp's perplexity() and kl_divergence() with n_seq = 1. */
#include "eval/ppl.h"

#include "eval/eval.h"

#include "base/base.h"
#include "sys/sys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 128 /* scored positions evaluated per call (the engine's prefill chunk) */

teai_ppl_params teai_ppl_default_params(void) {
    teai_ppl_params p;
    memset(&p, 0, sizeof p);
    p.quantize = TEAI_QUANTIZE_DEFAULT;
    return p;
}

/* 1 when the tokenizer prepends BOS (tokenizing "" gives one token). */
static int adds_bos(const teai_tokenizer *tok) {
    int32_t id[4];
    int n = 0;
    return teai_tokenize(tok, "", 0, 1, 0, id, 4, &n) == TEAI_OK && n == 1 &&
           teai_tokenizer_bos(tok) >= 0;
}

/* Tokenizes text with BOS, as llama-perplexity does after reading -f (which
 * drops one trailing newline). */
static int tokenize(const teai_tokenizer *tok, const char *text, size_t len, int32_t **out, int *n,
                    teai_error *err) {
    if (len > 0 && text[len - 1] == '\n') len--;
    if (len > (size_t)1 << 30) return teai__fail(err, TEAI_ERANGE, "text larger than 1 GiB");
    int cap = (int)len + 8;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)cap);
    if (!ids) return teai__fail(err, TEAI_ENOMEM, "out of memory for %d tokens", cap);
    int rc = teai_tokenize(tok, text, len, 1, 0, ids, cap, n);
    if (rc == TEAI_ERANGE) {
        int32_t *p = realloc(ids, sizeof(int32_t) * (size_t)*n);
        if (!p) {
            free(ids);
            return teai__fail(err, TEAI_ENOMEM, "out of memory for %d tokens", *n);
        }
        ids = p;
        rc = teai_tokenize(tok, text, len, 1, 0, ids, *n, n);
    }
    if (rc != TEAI_OK) {
        free(ids);
        return teai__fail(err, rc, "cannot tokenize the text: %s", teai_status_str(rc));
    }
    *out = ids;
    return TEAI_OK;
}

static void base_meta_text(const teai_ppl_params *p, const teai_model *m, int n_ctx, int n_chunk,
                           char *out, size_t cap) {
    char sha[65] = "", now[40] = "";
    if (p->model_path && teai_file_sha256(p->model_path, sha) != 0) sha[0] = '\0';
    teai_rfc3339_now(now, sizeof now);
    snprintf(out, cap,
             "format: teai-kl-base 1\nmodel: %s\nmodel_sha256: %s\nquantize: %s\n"
             "weight_format: %s\nn_ctx: %d\nn_chunk: %d\ntext: %s\ncreated: %s\n"
             "teai_version: %s\n",
             p->model_path ? p->model_path : "", sha, teai_quantize_name(p->quantize),
             teai_model_weight_format(m), n_ctx, n_chunk, p->text_file ? p->text_file : "", now,
             teai_version());
}

typedef struct run_state {
    teai_model *owned;
    teai_context *ctx;
    teai_kl_base base, out;
    char *text;
    int32_t *tokens, *buf;
    float *logits, *kld_values, *p_diff_values;
    uint16_t *rows;
    void *scratch;
} run_state;

static void run_free(run_state *s) {
    teai_context_free(s->ctx);
    teai_model_free(s->owned);
    teai_kl_base_close(&s->base);
    teai_kl_base_abort(&s->out); /* a no-op once finished */
    free(s->text);
    free(s->tokens);
    free(s->buf);
    free(s->logits);
    free(s->kld_values);
    free(s->p_diff_values);
    free(s->rows);
    free(s->scratch);
}

/* Model, text, base and tokens; fills r's sizes. */
static int setup(const teai_ppl_params *p, run_state *s, teai_ppl_result *r, int *n_tokens,
                 const teai_model **model, teai_error *err) {
    int rc;
    if (p->kl_base && p->kl_base_out)
        return teai__fail(err, TEAI_EINVAL, "write a base (--kl-base) or compare (--kl), not both");
    if (!p->text_file && !p->text && !p->kl_base)
        return teai__fail(err, TEAI_EINVAL, "no text to evaluate");
    if (p->n_ctx < 0 || p->n_chunks < 0)
        return teai__fail(err, TEAI_EINVAL, "negative context or chunk count");
    const char *text = p->text;
    size_t text_len = p->text_len;
    if (p->text_file) {
        rc = teai__read_file(p->text_file, (size_t)1 << 30, &s->text, &text_len, err);
        if (rc != TEAI_OK) return rc;
        text = s->text;
    }
    if (p->kl_base) {
        rc = teai_kl_base_open(p->kl_base, &s->base, err);
        if (rc != TEAI_OK) return rc;
        snprintf(r->base_meta, sizeof r->base_meta, "%s", s->base.meta);
    }
    int n_ctx = p->n_ctx ? p->n_ctx : p->kl_base ? s->base.n_ctx : TEAI_PPL_DEFAULT_CTX;
    if (n_ctx < 4) return teai__fail(err, TEAI_EINVAL, "--ctx %d is too small (at least 4)", n_ctx);
    if (p->kl_base && n_ctx != s->base.n_ctx)
        return teai__fail(err, TEAI_EFORMAT, "%s: computed with --ctx %d, this run has --ctx %d",
                          p->kl_base, s->base.n_ctx, n_ctx);
    *model = p->model;
    if (!*model) {
        teai_model_params mp = teai_model_default_params();
        mp.quantize = p->quantize;
        mp.n_threads = p->n_threads;
        mp.no_repack = p->no_repack;
        mp.nf4_exact = p->nf4_exact;
        uint64_t t0 = teai__now_ns();
        rc = teai_model_load(p->model_path, &mp, &s->owned, err);
        if (rc != TEAI_OK) return rc;
        r->load_seconds = (double)(teai__now_ns() - t0) * 1e-9;
        *model = s->owned;
    }
    snprintf(r->weight_format, sizeof r->weight_format, "%s", teai_model_weight_format(*model));
    int n_vocab = teai_model_hparams(*model)->n_vocab;
    if (p->kl_base && s->base.n_vocab != n_vocab)
        return teai__fail(err, TEAI_EFORMAT, "%s: vocabulary of %d tokens, the model has %d",
                          p->kl_base, s->base.n_vocab, n_vocab);
    if (text) {
        rc = tokenize(teai_model_tokenizer(*model), text, text_len, &s->tokens, n_tokens, err);
        if (rc != TEAI_OK) return rc;
        if (*n_tokens < 2 * n_ctx)
            return teai__fail(
                err, TEAI_EFORMAT,
                "%s: %d tokens; perplexity with --ctx %d needs at least %d (2 chunks)",
                p->text_file ? p->text_file : "text", *n_tokens, n_ctx, 2 * n_ctx);
    } else {
        size_t nb = sizeof(int32_t) * (size_t)s->base.n_chunk * (size_t)n_ctx;
        if (!(s->tokens = malloc(nb))) return teai__fail(err, TEAI_ENOMEM, "out of memory");
        memcpy(s->tokens, s->base.tokens, nb);
        *n_tokens = s->base.n_chunk * n_ctx;
    }
    int n_chunk = *n_tokens / n_ctx;
    if (p->n_chunks > 0 && p->n_chunks < n_chunk) n_chunk = p->n_chunks;
    if (p->kl_base) {
        if (p->n_chunks > s->base.n_chunk)
            return teai__fail(err, TEAI_EFORMAT, "%s: has %d chunks, --chunks asks for %d",
                              p->kl_base, s->base.n_chunk, p->n_chunks);
        if (n_chunk > s->base.n_chunk) n_chunk = s->base.n_chunk;
        for (long i = 0; i < (long)n_chunk * n_ctx; i++)
            if (s->tokens[i] != s->base.tokens[i])
                return teai__fail(err, TEAI_EFORMAT,
                                  "%s: made from another text or tokenizer (token %ld is %d there, "
                                  "%d here)",
                                  p->kl_base, i, s->base.tokens[i], s->tokens[i]);
    }
    r->n_ctx = n_ctx, r->n_vocab = n_vocab, r->n_text_tokens = *n_tokens;
    r->n_chunks_planned = n_chunk;
    return TEAI_OK;
}

int teai_ppl_run(const teai_ppl_params *p, teai_ppl_result *r, teai_error *err) {
    memset(r, 0, sizeof *r);
    r->ppl = r->ppl_err = NAN;
    run_state s;
    memset(&s, 0, sizeof s);
    const teai_model *m = NULL;
    int n_tokens = 0;
    int rc = setup(p, &s, r, &n_tokens, &m, err);
    if (rc != TEAI_OK) goto done;
    const int n_ctx = r->n_ctx, n_vocab = r->n_vocab, n_chunk = r->n_chunks_planned;
    const int first = n_ctx / 2, n_score = n_ctx - 1 - first;
    const int64_t units = teai_kl_row_units(n_vocab);
    const int kl = p->kl_base != NULL, writing = p->kl_base_out != NULL;

    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = p->n_threads;
    cp.cache_type = p->cache_type;
    if ((rc = teai_context_new(m, &cp, &s.ctx, err)) != TEAI_OK) goto done;
    s.buf = malloc(sizeof(int32_t) * (size_t)n_ctx);
    s.logits = malloc(sizeof(float) * WINDOW * (size_t)n_vocab);
    if (kl || writing) s.rows = malloc(sizeof(uint16_t) * (size_t)units * (size_t)n_score);
    if (kl) {
        size_t nv = (size_t)n_chunk * (size_t)n_score;
        s.kld_values = malloc(sizeof(float) * nv);
        s.p_diff_values = malloc(sizeof(float) * nv);
        s.scratch = malloc(teai_kl_scratch_bytes(n_vocab));
    }
    if (!s.buf || !s.logits || ((kl || writing) && !s.rows) ||
        (kl && (!s.kld_values || !s.p_diff_values || !s.scratch))) {
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory for a vocabulary of %d", n_vocab);
        goto done;
    }
    if (writing &&
        (rc = teai_kl_base_create(p->kl_base_out, n_ctx, n_vocab, n_chunk, s.tokens, &s.out, err)))
        goto done;

    const teai_tokenizer *tok = teai_model_tokenizer(m);
    const int add_bos = adds_bos(tok);
    const int32_t bos = teai_tokenizer_bos(tok);
    teai_kl_acc acc;
    memset(&acc, 0, sizeof acc);
    uint64_t t_start = teai__now_ns();
    for (int c = 0; c < n_chunk; c++) {
        uint64_t t0 = teai__now_ns();
        memcpy(s.buf, s.tokens + (size_t)c * (size_t)n_ctx, sizeof(int32_t) * (size_t)n_ctx);
        if (add_bos) s.buf[0] = bos;
        if (kl && (rc = teai_kl_base_read_chunk(&s.base, c, s.rows, err)) != TEAI_OK) goto done;
        teai_context_reset(s.ctx);
        if ((rc = teai_context_eval(s.ctx, s.buf, first, NULL, err)) != TEAI_OK) goto done;
        for (int pos = first; pos < n_ctx - 1; pos += WINDOW) {
            int w = n_ctx - 1 - pos < WINDOW ? n_ctx - 1 - pos : WINDOW;
            if ((rc = teai_context_eval_all(s.ctx, s.buf + pos, w, s.logits, err)) != TEAI_OK)
                goto done;
            for (int j = 0; j < w; j++) {
                const float *lg = s.logits + (size_t)j * (size_t)n_vocab;
                int row = pos + j - first, next = s.buf[pos + j + 1];
                uint16_t *rw = s.rows ? s.rows + (size_t)row * (size_t)units : NULL;
                double v = writing ? teai_kl_quantize_row(lg, n_vocab, next, rw)
                                   : teai_ppl_nll(lg, n_vocab, next);
                r->nll += v;
                r->nll2 += v * v;
                r->n_scored++;
                if (kl) {
                    size_t at = (size_t)c * (size_t)n_score + (size_t)row;
                    s.kld_values[at] = (float)teai_kl_position(lg, n_vocab, rw, next, &acc,
                                                               &s.p_diff_values[at], s.scratch);
                }
            }
        }
        if (writing && (rc = teai_kl_base_write_rows(&s.out, s.rows, n_score, err)) != TEAI_OK)
            goto done;
        r->n_chunks = c + 1;
        if (p->progress) {
            teai_ppl_progress pr = {c + 1, n_chunk, exp(r->nll / (double)r->n_scored),
                                    (double)(teai__now_ns() - t0) * 1e-9, kl ? &acc : NULL};
            if (p->progress(p->user, &pr)) {
                r->interrupted = c + 1 < n_chunk;
                if (r->interrupted) break;
            }
        }
    }
    r->eval_seconds = (double)(teai__now_ns() - t_start) * 1e-9;
    teai_ppl_estimate(r->nll, r->nll2, r->n_scored, &r->ppl, &r->ppl_err);
    if (kl) {
        r->has_kl = 1;
        teai_kl_summarize(&acc, s.kld_values, s.p_diff_values, acc.count, &r->kl);
    }
    if (writing) {
        char meta[2048];
        base_meta_text(p, m, n_ctx, r->n_chunks, meta, sizeof meta);
        if ((rc = teai_kl_base_finish(&s.out, r->n_chunks, meta, err)) != TEAI_OK) goto done;
    }
    if (r->interrupted)
        rc = teai__fail(err, TEAI_EINTR, "stopped after %d of %d chunks", r->n_chunks, n_chunk);
done:
    run_free(&s);
    return rc;
}

static teai_eval_metric metric(const char *name, double avg, double std, double se, long n) {
    teai_eval_metric m = teai_eval_metric_blank(name);
    m.avg = avg, m.std = std, m.stderr_ = se, m.n = n;
    if (isfinite(se)) m.ci_low = avg - 1.96 * se, m.ci_high = avg + 1.96 * se;
    return m;
}

int teai_ppl_append_record(const char *path, const teai_ppl_result *r, const char *model,
                           const char *size, const char *quantization, double elapsed,
                           int returncode, teai_error *err) {
    teai_eval_metric ms[4];
    int n = 0;
    ms[n++] = metric("ppl", r->ppl, NAN, r->ppl_err, r->n_scored);
    if (isfinite(r->ppl_err) && r->ppl > 0) { /* symmetric in ln(PPL), where the error is */
        double rel = r->ppl_err / r->ppl;
        ms[0].ci_low = r->ppl * exp(-1.96 * rel), ms[0].ci_high = r->ppl * exp(1.96 * rel);
    }
    if (r->has_kl) {
        const teai_kl_summary *k = &r->kl;
        ms[n++] = metric("kl_divergence", k->kld, k->kld_std, k->kld_err, k->n);
        ms[n++] = metric("top1_agreement", k->same_top, NAN, k->same_top_err, k->n);
        ms[n++] = metric("delta_p", k->dp, k->dp_std, k->dp_err, k->n);
    }
    teai_eval_record rec;
    memset(&rec, 0, sizeof rec);
    rec.backend = "native";
    rec.size = size ? size : "";
    rec.quantization = quantization;
    rec.environment = "perplexity";
    rec.weight_format = r->weight_format;
    rec.model = model;
    rec.num_examples = r->n_chunks;
    rec.max_tokens = r->n_ctx;
    rec.rollouts = 1;
    rec.returncode = returncode;
    rec.temperature = NAN;
    rec.metrics = ms;
    rec.n_metrics = n;
    rec.eval_time_seconds = r->eval_seconds;
    rec.elapsed_seconds = elapsed;
    return teai_eval_json_append(path, &rec, err);
}
