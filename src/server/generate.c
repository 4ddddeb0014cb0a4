/* The engine behind the server: one model, one inference context, so one
 * generation at a time; the others wait in a bounded first-come queue. A
 * generation runs one token per step, so its caller can stop it between
 * tokens (client gone, server stopping) and stream what each step freed.
 *
 * It follows `teai generate` token for token: the same prompt tokens (BOS,
 * chat template), the same sampler, end-of-generation tokens not counted and
 * not sent, so at temperature 0 both give the same text. */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int teai__srv_engine_init(teai__srv_engine *e, const teai_model *model,
                          const teai_context_params *cp, int max_waiting, teai_error *err) {
    memset(e, 0, sizeof *e);
    e->model = model;
    e->max_waiting = max_waiting < 0 ? 0 : max_waiting;
    e->n_vocab = teai_model_hparams(model)->n_vocab;
    int rc = teai_context_new(model, cp, &e->ctx, err);
    if (rc) return rc;
    e->n_ctx = teai_context_n_ctx(e->ctx);
    pthread_condattr_t ca;
    if (!(e->logits = malloc(sizeof(float) * (size_t)e->n_vocab))) {
        teai_context_free(e->ctx);
        free(e->logits);
        memset(e, 0, sizeof *e);
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    return TEAI_OK;
}

void teai__srv_engine_free(teai__srv_engine *e) {
    if (!e || !e->ctx) return;
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    teai_context_free(e->ctx);
    free(e->logits);
    memset(e, 0, sizeof *e);
}

static void unlink_waiter(teai__srv_engine *e, teai__srv_waiter *w) {
    teai__srv_waiter **p = &e->head, *prev = NULL;
    while (*p && *p != w) prev = *p, p = &(*p)->next;
    if (!*p) return;
    *p = w->next;
    if (e->tail == w) e->tail = prev;
}

int teai__srv_engine_acquire(teai__srv_engine *e, int (*gone)(void *ud), void *ud) {
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        return TEAI_EINTR;
    }
    if (!e->busy && !e->head) {
        e->busy = 1;
        pthread_mutex_unlock(&e->mu);
        return TEAI_OK;
    }
    if (e->waiting >= e->max_waiting) {
        pthread_mutex_unlock(&e->mu);
        return TEAI_ERANGE;
    }
    teai__srv_waiter w = {NULL};
    if (e->tail)
        e->tail->next = &w;
    else
        e->head = &w;
    e->tail = &w;
    e->waiting++;
    int rc;
    for (;;) {
        if (!e->busy && e->head == &w) {
            rc = TEAI_OK;
            e->busy = 1;
            break;
        }
        if (e->stopping || (gone && gone(ud))) {
            rc = TEAI_EINTR;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000L; /* how soon a client that left is noticed */
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    unlink_waiter(e, &w);
    e->waiting--;
    pthread_cond_broadcast(&e->cv); /* the next in line may now be the head */
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void teai__srv_engine_release(teai__srv_engine *e) {
    pthread_mutex_lock(&e->mu);
    e->busy = 0;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* ---- the prompt ------------------------------------------------------- */

static int tokenize(const teai_tokenizer *tok, const char *text, int parse_special, int32_t **ids,
                    int *n) {
    size_t len = strlen(text);
    if (len > (size_t)1 << 30) return TEAI_ERANGE;
    int cap = (int)len + 8, rc;
    *ids = malloc(sizeof(int32_t) * (size_t)cap);
    if (!*ids) return TEAI_ENOMEM;
    rc = teai_tokenize(tok, text, len, 1, parse_special, *ids, cap, n);
    if (rc == TEAI_ERANGE) {
        int32_t *p = realloc(*ids, sizeof(int32_t) * (size_t)*n);
        if (!p) return TEAI_ENOMEM;
        *ids = p;
        rc = teai_tokenize(tok, text, len, 1, parse_special, *ids, *n, n);
    }
    return rc;
}

int teai__srv_prompt(const teai__srv_engine *e, const teai__srv_request *req, int max_tokens_cap,
                     int32_t **ids, int *n_ids, int *max_tokens, teai__srv_error *err) {
    return teai__srv_prompt_ids(e->model, e->n_ctx, req, max_tokens_cap, ids, n_ids, max_tokens,
                                err);
}

int teai__srv_prompt_ids(const teai_model *model, int n_ctx, const teai__srv_request *req,
                         int max_tokens_cap, int32_t **ids, int *n_ids, int *max_tokens,
                         teai__srv_error *err) {
    const teai_tokenizer *tok = teai_model_tokenizer(model);
    int n_vocab = teai_model_hparams(model)->n_vocab;
    *ids = NULL;
    *n_ids = 0;
    int rc = TEAI_OK, n = 0;
    if (req->chat) {
        teai_chat_format fmt = teai_chat_detect(teai_model_chat_template(model));
        if (fmt == TEAI_CHAT_NONE)
            return teai__srv_fail(err, 400, "invalid_request_error", "messages", NULL,
                                  "the model has no chat template teai knows (Llama 3, ChatML); "
                                  "use /v1/completions");
        int len = teai_chat_apply(fmt, req->msgs, req->n_msgs, 1, NULL, 0);
        if (len < 0)
            return teai__srv_fail(err, 400, "invalid_request_error", "messages", NULL,
                                  "the messages cannot be written in the model's chat template");
        char *text = malloc((size_t)len + 1);
        if (!text) return teai__srv_fail(err, 500, "server_error", NULL, NULL, "out of memory");
        teai_chat_apply(fmt, req->msgs, req->n_msgs, 1, text, (size_t)len + 1);
        rc = tokenize(tok, text, 1, ids, &n);
        free(text);
    } else if (req->prompt) {
        rc = tokenize(tok, req->prompt, 0, ids, &n);
    } else {
        n = req->n_prompt_ids;
        if (!(*ids = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1)))) rc = TEAI_ENOMEM;
        for (int i = 0; !rc && i < n; i++) {
            if (req->prompt_ids[i] >= n_vocab) {
                free(*ids);
                *ids = NULL;
                return teai__srv_fail(err, 400, "invalid_request_error", "prompt", NULL,
                                      "prompt token %d is id %d, past the vocabulary of %d tokens",
                                      i, (int)req->prompt_ids[i], n_vocab);
            }
            (*ids)[i] = req->prompt_ids[i];
        }
    }
    if (rc) {
        free(*ids);
        *ids = NULL;
        return rc == TEAI_ENOMEM
                   ? teai__srv_fail(err, 500, "server_error", NULL, NULL, "out of memory")
                   : teai__srv_fail(err, 400, "invalid_request_error",
                                    req->chat ? "messages" : "prompt", NULL,
                                    "cannot tokenize the prompt: %s", teai_status_str(rc));
    }
    const char *param = req->chat ? "messages" : "prompt";
    int fail = 0;
    if (n == 0) {
        fail = teai__srv_fail(err, 400, "invalid_request_error", param, NULL,
                              "the prompt is empty (and the model adds no BOS token)");
    } else if (req->max_tokens > 0 && (long long)n + req->max_tokens > n_ctx) {
        fail = teai__srv_fail(err, 400, "invalid_request_error", "max_tokens",
                              "context_length_exceeded",
                              "this server's context is %d tokens, but %lld were requested "
                              "(%d in the prompt, %d for the completion)",
                              n_ctx, (long long)n + req->max_tokens, n, req->max_tokens);
    } else if (req->max_tokens <= 0 && n >= n_ctx) {
        fail =
            teai__srv_fail(err, 400, "invalid_request_error", param, "context_length_exceeded",
                           "this server's context is %d tokens, but the prompt has %d", n_ctx, n);
    }
    if (fail) {
        free(*ids);
        *ids = NULL;
        return fail;
    }
    *n_ids = n;
    if (req->max_tokens > 0)
        *max_tokens = req->max_tokens;
    else
        *max_tokens = n_ctx - n < max_tokens_cap ? n_ctx - n : max_tokens_cap;
    return TEAI_OK;
}

/* ---- one generation --------------------------------------------------- */

int teai__srv_gen_begin(teai__srv_gen *g, teai__srv_engine *e, const teai__srv_request *req,
                        const int32_t *ids, int n_ids, int max_tokens, teai_error *err) {
    memset(g, 0, sizeof *g);
    g->e = e;
    g->n_prompt = n_ids;
    g->max_tokens = max_tokens;
    teai__srv_text_init(&g->text, req->stop, req->n_stop);
    if (teai_sampler_new(&req->sp, e->n_vocab, &g->smp))
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    teai_context_reset(e->ctx);
    uint64_t t0 = teai__now_ns();
    int rc = teai_context_eval(e->ctx, ids, n_ids, e->logits, err);
    if (rc) return rc;
    g->next = teai_sampler_sample(g->smp, e->logits);
    g->prompt_ms = (double)(teai__now_ns() - t0) / 1e6;
    return TEAI_OK;
}

int teai__srv_gen_step(teai__srv_gen *g, teai_buf *out, int32_t *token, teai_error *err) {
    const teai_tokenizer *tok = teai_model_tokenizer(g->e->model);
    *token = -1;
    if (g->finish != TEAI__SRV_RUNNING) return TEAI_OK;
    if (g->n_gen > 0) { /* a decode step: the last token in, the next one out */
        uint64_t t0 = teai__now_ns();
        int rc = teai_context_eval(g->e->ctx, &g->next, 1, g->e->logits, err);
        if (rc) return rc;
        g->next = teai_sampler_sample(g->smp, g->e->logits);
        g->predicted_ms += (double)(teai__now_ns() - t0) / 1e6;
    }
    int32_t id = g->next;
    if (teai_tokenizer_is_eog(tok, id)) {
        g->finish = TEAI__SRV_FINISH_STOP;
        return teai__srv_text_finish(&g->text, out) ? teai__fail(err, TEAI_ENOMEM, "out of memory")
                                                    : TEAI_OK;
    }
    char piece[512];
    int len = teai_token_to_piece(tok, id, 0, piece, sizeof piece);
    if (teai__srv_text_push(&g->text, piece, len > 0 ? (size_t)len : 0, out))
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    g->n_gen++;
    *token = id;
    if (g->text.stopped) {
        g->finish = TEAI__SRV_FINISH_STOP;
    } else if (g->n_gen >= g->max_tokens) {
        g->finish = TEAI__SRV_FINISH_LENGTH;
        if (teai__srv_text_finish(&g->text, out))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    return TEAI_OK;
}

void teai__srv_gen_free(teai__srv_gen *g) {
    if (!g) return;
    teai_sampler_free(g->smp);
    teai__srv_text_free(&g->text);
    g->smp = NULL;
}
