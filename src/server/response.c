/* The JSON the server sends, in the OpenAI API's shapes (text_completion,
 * chat.completion, chat.completion.chunk, list of models, error), with
 * llama-server's "timings" and "meta" added where teai's own openai client
 * (src/backends/sse.c, openai.c) reads them. Generated text goes through
 * teai__json_str: it may hold NUL bytes, which cJSON strings cannot. */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>

static const char *finish_name(teai__srv_finish f) {
    return f == TEAI__SRV_FINISH_STOP ? "stop" : f == TEAI__SRV_FINISH_LENGTH ? "length" : NULL;
}

/* Adds key: "text" (escaped by teai, kept exactly); 0 on ENOMEM. */
static int add_text(cJSON *o, const char *key, const char *text, size_t len) {
    teai_buf b;
    teai_buf_init(&b, 0);
    int ok = teai__json_str(&b, text ? text : "", text ? len : 0, NULL) == TEAI_OK &&
             cJSON_AddRawToObject(o, key, b.data) != NULL;
    teai_buf_free(&b);
    return ok;
}

static int add_str_or_null(cJSON *o, const char *key, const char *s) {
    return (s && s[0] ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key)) != NULL;
}

/* id, object, created, model, system_fingerprint. */
static cJSON *head(const teai__srv_meta *m, const char *object) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "id", m->id) ||
        !cJSON_AddStringToObject(o, "object", object) ||
        !cJSON_AddNumberToObject(o, "created", (double)m->created) ||
        !cJSON_AddStringToObject(o, "model", m->model) ||
        !cJSON_AddStringToObject(o, "system_fingerprint", m->fingerprint ? m->fingerprint : "")) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int add_usage(cJSON *o, const teai__srv_usage *u) {
    cJSON *us = cJSON_AddObjectToObject(o, "usage");
    return us && cJSON_AddNumberToObject(us, "prompt_tokens", u->prompt_tokens) &&
           cJSON_AddNumberToObject(us, "completion_tokens", u->completion_tokens) &&
           cJSON_AddNumberToObject(us, "total_tokens", u->prompt_tokens + u->completion_tokens);
}

/* llama-server's "timings": prompt_* is the prefill (with the first token's
 * sampling), predicted_* the decode steps that followed. */
static int add_timings(cJSON *o, const teai__srv_usage *u) {
    cJSON *t = cJSON_AddObjectToObject(o, "timings");
    double pn = u->prompt_tokens, gn = u->completion_tokens;
    return t && cJSON_AddNumberToObject(t, "prompt_n", pn) &&
           cJSON_AddNumberToObject(t, "prompt_ms", u->prompt_ms) &&
           cJSON_AddNumberToObject(t, "prompt_per_token_ms", pn > 0 ? u->prompt_ms / pn : 0) &&
           cJSON_AddNumberToObject(t, "prompt_per_second",
                                   u->prompt_ms > 0 ? pn * 1e3 / u->prompt_ms : 0) &&
           cJSON_AddNumberToObject(t, "predicted_n", gn) &&
           cJSON_AddNumberToObject(t, "predicted_ms", u->predicted_ms) &&
           cJSON_AddNumberToObject(t, "predicted_per_token_ms",
                                   gn > 0 ? u->predicted_ms / gn : 0) &&
           cJSON_AddNumberToObject(t, "predicted_per_second",
                                   u->predicted_ms > 0 ? gn * 1e3 / u->predicted_ms : 0);
}

static char *print(cJSON *o, int ok) {
    char *s = ok && o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

char *teai__srv_error_json(const teai__srv_error *e) {
    cJSON *o = cJSON_CreateObject(), *err = o ? cJSON_AddObjectToObject(o, "error") : NULL;
    int ok = err && cJSON_AddStringToObject(err, "message", e->message) &&
             cJSON_AddStringToObject(err, "type", e->type) &&
             add_str_or_null(err, "param", e->param) && add_str_or_null(err, "code", e->code);
    return print(o, ok);
}

char *teai__srv_response_json(int chat, const teai__srv_meta *m, const char *text, size_t len,
                              teai__srv_finish finish, const teai__srv_usage *u) {
    cJSON *o = head(m, chat ? "chat.completion" : "text_completion");
    cJSON *choices = o ? cJSON_AddArrayToObject(o, "choices") : NULL, *c = cJSON_CreateObject();
    int ok = choices && c && cJSON_AddItemToArray(choices, c);
    if (!ok) cJSON_Delete(c);
    ok = ok && cJSON_AddNumberToObject(c, "index", 0);
    if (chat) {
        cJSON *msg = ok ? cJSON_AddObjectToObject(c, "message") : NULL;
        ok = msg && cJSON_AddStringToObject(msg, "role", "assistant") &&
             add_text(msg, "content", text, len);
    } else {
        ok = ok && add_text(c, "text", text, len);
    }
    ok = ok && cJSON_AddNullToObject(c, "logprobs") &&
         add_str_or_null(c, "finish_reason", finish_name(finish)) && add_usage(o, u) &&
         add_timings(o, u);
    return print(o, ok);
}

char *teai__srv_chunk_json(int chat, const teai__srv_meta *m, const char *text, size_t len,
                           int32_t token, int role, teai__srv_finish finish,
                           const teai__srv_usage *u, int usage_only) {
    cJSON *o = head(m, chat ? "chat.completion.chunk" : "text_completion");
    cJSON *choices = o ? cJSON_AddArrayToObject(o, "choices") : NULL;
    int ok = choices != NULL;
    if (usage_only) return print(o, ok && add_usage(o, u));
    cJSON *c = cJSON_CreateObject();
    if (!(ok = ok && c && cJSON_AddItemToArray(choices, c))) cJSON_Delete(c);
    ok = ok && cJSON_AddNumberToObject(c, "index", 0);
    if (chat) {
        cJSON *delta = ok ? cJSON_AddObjectToObject(c, "delta") : NULL;
        ok = delta && (!role || cJSON_AddStringToObject(delta, "role", "assistant")) &&
             (!text || add_text(delta, "content", text, len));
    } else {
        ok = ok && add_text(c, "text", text, len);
    }
    ok = ok && cJSON_AddNullToObject(c, "logprobs") &&
         add_str_or_null(c, "finish_reason", finish_name(finish));
    if (ok && token >= 0) { /* one token per chunk: clients need not guess the count */
        cJSON *ids = cJSON_AddArrayToObject(c, "token_ids"), *id = cJSON_CreateNumber(token);
        if (!(ok = ids && id && cJSON_AddItemToArray(ids, id))) cJSON_Delete(id);
    }
    if (ok && finish != TEAI__SRV_RUNNING && u) ok = add_timings(o, u);
    return print(o, ok);
}

char *teai__srv_models_json(const teai_model *model, const char *id, int n_ctx, long long created) {
    const teai_hparams *hp = teai_model_hparams(model);
    cJSON *o = cJSON_CreateObject(), *data = o ? cJSON_AddArrayToObject(o, "data") : NULL;
    cJSON *m = cJSON_CreateObject(), *meta = NULL;
    int ok = o && cJSON_AddStringToObject(o, "object", "list") && data && m &&
             cJSON_AddItemToArray(data, m);
    if (!ok) cJSON_Delete(m);
    /* llama-server's "meta", which `teai bench --backend openai` records */
    ok = ok && cJSON_AddStringToObject(m, "id", id) &&
         cJSON_AddStringToObject(m, "object", "model") &&
         cJSON_AddNumberToObject(m, "created", (double)created) &&
         cJSON_AddStringToObject(m, "owned_by", "teai") &&
         (meta = cJSON_AddObjectToObject(m, "meta")) &&
         cJSON_AddNumberToObject(meta, "n_vocab", hp->n_vocab) &&
         cJSON_AddNumberToObject(meta, "n_ctx_train", hp->ctx_len) &&
         cJSON_AddNumberToObject(meta, "n_ctx", n_ctx) &&
         cJSON_AddNumberToObject(meta, "n_embd", hp->dim) &&
         cJSON_AddNumberToObject(meta, "n_params", (double)teai_model_param_count(model)) &&
         cJSON_AddNumberToObject(meta, "size", (double)teai_model_param_bytes(model)) &&
         cJSON_AddStringToObject(meta, "ftype", teai_model_weight_format(model)) &&
         cJSON_AddStringToObject(meta, "arch", hp->arch);
    return print(o, ok);
}

#else /* !TEAI_HAVE_CJSON: the server needs cJSON; these say so by failing */

char *teai__srv_error_json(const teai__srv_error *e) {
    (void)e;
    return NULL;
}
char *teai__srv_response_json(int chat, const teai__srv_meta *m, const char *text, size_t len,
                              teai__srv_finish finish, const teai__srv_usage *u) {
    (void)chat, (void)m, (void)text, (void)len, (void)finish, (void)u;
    return NULL;
}
char *teai__srv_chunk_json(int chat, const teai__srv_meta *m, const char *text, size_t len,
                           int32_t token, int role, teai__srv_finish finish,
                           const teai__srv_usage *u, int usage_only) {
    (void)chat, (void)m, (void)text, (void)len, (void)token, (void)role, (void)finish, (void)u;
    (void)usage_only;
    return NULL;
}
char *teai__srv_models_json(const teai_model *model, const char *id, int n_ctx, long long created) {
    (void)model, (void)id, (void)n_ctx, (void)created;
    return NULL;
}

#endif
