/* The scheduler of `teai serve` (server.h): one thread runs up to n_slots
 * generations at once. Each turn of its loop
 *   admits queued requests into free slots (first come first),
 *   builds one batch: the next token of every generating slot, plus prompt
 *     chunks of the slots still reading their prompts, earliest admitted
 *     first, at most PROMPT_CHUNK prompt tokens in all,
 *   runs the batch through the model without the lock (one forward pass,
 *     teai_context_eval_batch: slot i is the context's sequence i),
 *   samples each slot's token with its own sampler, passes it through the
 *     slot's stop strings and UTF-8 check (teai__srv_text), and emits events.
 * Prompt chunks start at multiples of PROMPT_CHUNK from the prompt's start, as
 * teai_context_eval splits a prompt, so a sequence's logits are those of
 * `teai generate` (the engine makes each row's result independent of the
 * rest of the batch). A cancelled slot is free at once; its rows in a batch
 * that is running are dropped when the batch returns.
 *
 * Locking: mu guards the queue, the slots' owners and the flags; the thread
 * holds it except while the model runs and the slots sample. Events are sent
 * with it held. */
#include "server/server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROMPT_CHUNK TEAI_EVAL_CHUNK /* prompt tokens per batch: teai_context_eval's */

/* A submitted request, queued or in a slot. */
typedef struct job {
    uint64_t id;
    const teai__srv_request *req;
    teai__srv_event_fn fn;
    void *ud;
    int32_t *ids; /* the prompt */
    int n_ids, max_tokens;
    struct job *next; /* queue link */
} job;

typedef enum { SLOT_FREE = 0, SLOT_PROMPT, SLOT_GEN } slot_state;

typedef struct slot {
    job *j; /* NULL: free */
    slot_state st;
    int n_eval;   /* prompt tokens in the cache */
    int n_gen;    /* tokens passed on (end-of-generation not counted) */
    int32_t next; /* GEN: the token sampled, not yet in the cache */
    uint64_t order;
    teai_sampler *smp;
    teai__srv_text text;
    int has_text;
    uint64_t t_admit, t_first; /* ns: admitted, first token sampled */
} slot;

struct teai__srv_sched {
    const teai_model *model;
    teai_context *ctx; /* n_slots sequences, one per slot */
    int n_slots, n_ctx, n_vocab, max_waiting;
    slot *slots;
    job *head, *tail; /* the queue */
    int queued;
    uint64_t next_id, next_order;
    int stopping, quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started;
    /* the scheduler thread's own */
    float *logits;        /* (n_slots, n_vocab) */
    teai_batch_row *rows; /* (teai_context_batch_max) */
    struct plan *plans;   /* (n_slots) */
    teai_buf out;
};

/* ---- events ----------------------------------------------------------- */

static void emit_error(job *j, int http, const char *code, const char *msg) {
    teai__srv_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TEAI__SRV_EV_ERROR;
    ev.token = -1;
    teai__srv_fail(&ev.error, http, http == 503 ? "unavailable_error" : "server_error", NULL, code,
                   "%s", msg);
    j->fn(j->ud, &ev);
}

static void job_free(job *j) {
    if (!j) return;
    free(j->ids);
    free(j);
}

/* Ends slot sl's job (event already sent) and frees the slot. */
static void slot_release(slot *sl) {
    job_free(sl->j);
    sl->j = NULL;
    sl->st = SLOT_FREE;
}

static void slot_fail(slot *sl, int http, const char *code, const char *msg) {
    emit_error(sl->j, http, code, msg);
    slot_release(sl);
}

static void emit_text(slot *sl, const teai_buf *out, int32_t token) {
    teai__srv_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TEAI__SRV_EV_TEXT;
    ev.text = out->len ? out->data : "";
    ev.len = out->len;
    ev.token = token;
    sl->j->fn(sl->j->ud, &ev);
}

static void emit_done(slot *sl, teai__srv_finish finish) {
    teai__srv_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TEAI__SRV_EV_DONE;
    ev.token = -1;
    ev.finish = finish;
    ev.prompt_tokens = sl->j->n_ids;
    ev.completion_tokens = sl->n_gen;
    uint64_t now = teai__now_ns();
    ev.prompt_ms = (double)(sl->t_first - sl->t_admit) / 1e6;
    ev.predicted_ms = (double)(now - sl->t_first) / 1e6;
    sl->j->fn(sl->j->ud, &ev);
    slot_release(sl);
}

/* Passes on a sampled token as `teai generate` does: end of generation,
 * a stop string or max_tokens ends the job. */
static void pass_token(teai__srv_sched *s, slot *sl, int32_t id) {
    const teai_tokenizer *tok = teai_model_tokenizer(s->model);
    s->out.len = 0;
    if (teai_tokenizer_is_eog(tok, id)) {
        if (teai__srv_text_finish(&sl->text, &s->out)) {
            slot_fail(sl, 500, NULL, "out of memory");
            return;
        }
        if (s->out.len) emit_text(sl, &s->out, -1);
        emit_done(sl, TEAI__SRV_FINISH_STOP);
        return;
    }
    char piece[512];
    int len = teai_token_to_piece(tok, id, 0, piece, sizeof piece);
    if (teai__srv_text_push(&sl->text, piece, len > 0 ? (size_t)len : 0, &s->out)) {
        slot_fail(sl, 500, NULL, "out of memory");
        return;
    }
    sl->n_gen++;
    teai__srv_finish fin = TEAI__SRV_RUNNING;
    if (sl->text.stopped) {
        fin = TEAI__SRV_FINISH_STOP;
    } else if (sl->n_gen >= sl->j->max_tokens) {
        fin = TEAI__SRV_FINISH_LENGTH;
        if (teai__srv_text_finish(&sl->text, &s->out)) {
            slot_fail(sl, 500, NULL, "out of memory");
            return;
        }
    }
    emit_text(sl, &s->out, id);
    if (fin != TEAI__SRV_RUNNING)
        emit_done(sl, fin);
    else
        sl->next = id, sl->st = SLOT_GEN;
}

/* ---- the loop ----------------------------------------------------------- */

static int admit(teai__srv_sched *s, slot *sl, int idx) {
    job *j = s->head;
    s->head = j->next;
    if (!s->head) s->tail = NULL;
    s->queued--;
    j->next = NULL;
    teai_sampler_free(sl->smp);
    sl->smp = NULL;
    if (sl->has_text) teai__srv_text_free(&sl->text);
    teai__srv_text_init(&sl->text, j->req->stop, j->req->n_stop);
    sl->has_text = 1;
    sl->j = j;
    sl->st = SLOT_PROMPT;
    sl->n_eval = sl->n_gen = 0;
    sl->next = -1;
    sl->order = s->next_order++;
    sl->t_admit = teai__now_ns();
    sl->t_first = sl->t_admit;
    teai_context_seq_reset(s->ctx, idx);
    if (teai_sampler_new(&j->req->sp, s->n_vocab, &sl->smp)) {
        slot_fail(sl, 500, NULL, "out of memory");
        return -1;
    }
    return 0;
}

/* What one batch holds for a slot. */
typedef struct plan {
    uint64_t id;   /* the owner when planned (a cancel may free the slot meanwhile) */
    int n;         /* rows */
    int logits;    /* its row of logits in the output, -1 none */
    int32_t token; /* sampled from them */
} plan;

/* Ends every queued and running request with shutting_down. */
static void fail_all(teai__srv_sched *s) {
    while (s->head) {
        job *j = s->head;
        s->head = j->next;
        emit_error(j, 503, "shutting_down", "the server is shutting down");
        job_free(j);
    }
    s->tail = NULL;
    s->queued = 0;
    for (int i = 0; i < s->n_slots; i++)
        if (s->slots[i].j)
            slot_fail(&s->slots[i], 503, "shutting_down",
                      "the server is shutting down; the generation was stopped");
}

/* The next batch into s->rows and pl: every generating slot's next token,
 * then prompt chunks, earliest admitted first, while they fit in
 * PROMPT_CHUNK rows together (the first always does). A chunk is what
 * teai_context_eval would run: PROMPT_CHUNK tokens from a multiple of it, or
 * the prompt's rest. Returns the rows. */
static int plan_batch(teai__srv_sched *s, plan *pl) {
    int n = 0, n_out = 0, prompt_rows = 0;
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        pl[i] = (plan){0, 0, -1, -1};
        if (sl->j && sl->st == SLOT_GEN) {
            s->rows[n++] = (teai_batch_row){sl->next, i, 1};
            pl[i] = (plan){sl->j->id, 1, n_out++, -1};
        }
    }
    for (;;) {
        int q = -1;
        for (int i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (sl->j && sl->st == SLOT_PROMPT && !pl[i].n &&
                (q < 0 || sl->order < s->slots[q].order))
                q = i;
        }
        if (q < 0) break;
        slot *sl = &s->slots[q];
        int k = sl->j->n_ids - sl->n_eval; /* the rest, or a chunk of it */
        if (k > PROMPT_CHUNK) k = PROMPT_CHUNK;
        if (prompt_rows + k > PROMPT_CHUNK) break;
        prompt_rows += k;
        for (int t = 0; t < k; t++)
            s->rows[n++] = (teai_batch_row){sl->j->ids[sl->n_eval + t], q, 0};
        int last = sl->n_eval + k == sl->j->n_ids;
        if (last) s->rows[n - 1].logits = 1;
        pl[q] = (plan){sl->j->id, k, last ? n_out++ : -1, -1};
    }
    return n;
}

static void *sched_main(void *arg) {
    teai__srv_sched *s = arg;
    plan *pl = s->plans;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->stopping) {
            fail_all(s);
            if (s->quit) break;
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        for (int i = 0; i < s->n_slots && s->head; i++)
            if (!s->slots[i].j) admit(s, &s->slots[i], i);
        int n = plan_batch(s, pl);
        if (!n) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        /* the rows are the thread's own copy: a cancel meanwhile frees the
         * job, and its results are dropped below */
        pthread_mutex_unlock(&s->mu);
        teai_error err = {0};
        int rc = teai_context_eval_batch(s->ctx, s->rows, n, s->logits, &err);
        /* sampling too runs without the lock (at 128k tokens of vocabulary it
         * takes milliseconds per slot): a slot's sampler changes only here,
         * at admission, and a cancel leaves it alone */
        for (int i = 0; !rc && i < s->n_slots; i++)
            if (pl[i].logits >= 0)
                pl[i].token = teai_sampler_sample(
                    s->slots[i].smp, s->logits + (size_t)pl[i].logits * (size_t)s->n_vocab);
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (!pl[i].n || !sl->j || sl->j->id != pl[i].id) continue; /* cancelled meanwhile */
            if (rc) {
                slot_fail(sl, 500, NULL, "the engine failed");
                continue;
            }
            if (sl->st == SLOT_PROMPT) sl->n_eval += pl[i].n;
            if (pl[i].logits < 0) continue;
            if (sl->st == SLOT_PROMPT) sl->t_first = teai__now_ns();
            pass_token(s, sl, pl[i].token);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- the API ------------------------------------------------------------ */

int teai__srv_sched_new(const teai_model *model, const teai_context_params *cp, int n_slots,
                        int max_waiting, teai__srv_sched **out, teai_error *err) {
    *out = NULL;
    if (n_slots < 1) return teai__fail(err, TEAI_EINVAL, "server: %d slots (at least 1)", n_slots);
    teai__srv_sched *s = calloc(1, sizeof *s);
    if (!s) return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    s->model = model;
    s->n_slots = n_slots;
    s->max_waiting = max_waiting < 0 ? 0 : max_waiting;
    s->n_vocab = teai_model_hparams(model)->n_vocab;
    s->next_id = 1;
    teai_buf_init(&s->out, 0);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->slots = calloc((size_t)n_slots, sizeof *s->slots);
    s->plans = calloc((size_t)n_slots, sizeof *s->plans);
    s->logits = malloc(sizeof(float) * (size_t)n_slots * (size_t)s->n_vocab);
    if (!s->slots || !s->plans || !s->logits) {
        teai__srv_sched_free(s);
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    }
    teai_context_params p = cp ? *cp : teai_context_default_params();
    p.n_seq = n_slots; /* -c is the budget of all slots together */
    int rc = teai_context_new(model, &p, &s->ctx, err);
    if (rc) {
        teai__srv_sched_free(s);
        return rc;
    }
    s->n_ctx = teai_context_n_ctx(s->ctx);
    s->rows = malloc(sizeof *s->rows * (size_t)teai_context_batch_max(s->ctx));
    if (!s->rows) {
        teai__srv_sched_free(s);
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    }
    if (pthread_create(&s->th, NULL, sched_main, s)) {
        teai__srv_sched_free(s);
        return teai__fail(err, TEAI_EIO, "server: cannot start the scheduler thread");
    }
    s->started = 1;
    *out = s;
    return TEAI_OK;
}

void teai__srv_sched_free(teai__srv_sched *s) {
    if (!s) return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        s->quit = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->th, NULL);
    }
    while (s->head) { /* only when the thread never ran */
        job *j = s->head;
        s->head = j->next;
        job_free(j);
    }
    for (int i = 0; s->slots && i < s->n_slots; i++) {
        job_free(s->slots[i].j);
        teai_sampler_free(s->slots[i].smp);
        if (s->slots[i].has_text) teai__srv_text_free(&s->slots[i].text);
    }
    teai_context_free(s->ctx);
    free(s->rows);
    free(s->plans);
    free(s->slots);
    free(s->logits);
    teai_buf_free(&s->out);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

int teai__srv_sched_n_ctx(const teai__srv_sched *s) {
    return s->n_ctx;
}

const teai_model *teai__srv_sched_model(const teai__srv_sched *s) {
    return s->model;
}

int teai__srv_sched_submit(teai__srv_sched *s, const teai__srv_request *req, int max_tokens_cap,
                           teai__srv_event_fn fn, void *ud, uint64_t *id, teai__srv_error *e) {
    *id = 0;
    job *j = calloc(1, sizeof *j);
    if (!j) return teai__srv_fail(e, 500, "server_error", NULL, NULL, "out of memory");
    int rc = teai__srv_prompt(s->model, s->n_ctx, req, max_tokens_cap, &j->ids, &j->n_ids,
                              &j->max_tokens, e);
    if (rc) {
        free(j);
        return rc;
    }
    j->req = req, j->fn = fn, j->ud = ud;
    pthread_mutex_lock(&s->mu);
    int free_slots = 0;
    for (int i = 0; i < s->n_slots; i++) free_slots += !s->slots[i].j;
    if (s->stopping) {
        rc = teai__srv_fail(e, 503, "unavailable_error", NULL, "shutting_down",
                            "the server is shutting down");
    } else if (s->queued >= free_slots + s->max_waiting) {
        rc = teai__srv_fail(e, 503, "unavailable_error", NULL, "server_busy",
                            "the server is busy: its queue of waiting requests is full; "
                            "retry later");
    } else {
        j->id = s->next_id++;
        *id = j->id;
        if (s->tail)
            s->tail->next = j;
        else
            s->head = j;
        s->tail = j;
        s->queued++;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc) job_free(j);
    return rc;
}

void teai__srv_sched_cancel(teai__srv_sched *s, uint64_t id) {
    if (!id) return;
    pthread_mutex_lock(&s->mu);
    job **p = &s->head, *prev = NULL;
    while (*p && (*p)->id != id) prev = *p, p = &(*p)->next;
    if (*p) {
        job *j = *p;
        *p = j->next;
        if (s->tail == j) s->tail = prev;
        s->queued--;
        job_free(j);
    } else {
        for (int i = 0; i < s->n_slots; i++)
            if (s->slots[i].j && s->slots[i].j->id == id) {
                /* a batch running now has its own copy of the tokens; its
                 * results for this slot are dropped */
                slot_release(&s->slots[i]);
                break;
            }
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void teai__srv_sched_stop(teai__srv_sched *s) {
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}
