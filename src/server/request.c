/* Request bodies of /v1/completions and /v1/chat/completions, checked field
 * by field so that every bad request gets a 400 naming the field; routes and
 * the API key check. */
#include "server/server.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

int teai__srv_fail(teai__srv_error *e, int http, const char *type, const char *param,
                   const char *code, const char *fmt, ...) {
    if (!e) return http == 500 ? TEAI_ENOMEM : TEAI_EINVAL;
    e->http = http;
    snprintf(e->type, sizeof e->type, "%s", type ? type : "invalid_request_error");
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return http == 500 ? TEAI_ENOMEM : TEAI_EINVAL;
}

/* ---- routes and keys --------------------------------------------------- */

teai__srv_endpoint teai__srv_route(const char *path) {
    if (!path) return TEAI__SRV_NONE;
    size_t n = strcspn(path, "?#");
    if (n >= 3 && strncmp(path, "/v1", 3) == 0 && (n == 3 || path[3] == '/')) path += 3, n -= 3;
    while (n > 1 && path[n - 1] == '/') n--; /* "/v1/models/" too */
    static const struct {
        const char *path;
        teai__srv_endpoint ep;
    } routes[] = {{"/health", TEAI__SRV_HEALTH},
                  {"/models", TEAI__SRV_MODELS},
                  {"/completions", TEAI__SRV_COMPLETIONS},
                  {"/chat/completions", TEAI__SRV_CHAT}};
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (strlen(routes[i].path) == n && memcmp(routes[i].path, path, n) == 0)
            return routes[i].ep;
    return TEAI__SRV_NONE;
}

const char *teai__srv_method(teai__srv_endpoint ep) {
    return ep == TEAI__SRV_COMPLETIONS || ep == TEAI__SRV_CHAT ? "POST" : "GET";
}

int teai__srv_auth_ok(const char *header, const char *key) {
    if (!key || !key[0]) return 1;
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) return 0;
    const char *given = header + 7;
    while (*given == ' ') given++;
    size_t gl = strlen(given), kl = strlen(key);
    while (gl > 0 && (given[gl - 1] == ' ' || given[gl - 1] == '\t')) gl--;
    /* every byte of the given value is compared, whatever matched before */
    volatile unsigned diff = gl != kl;
    for (size_t i = 0; i < gl; i++)
        diff |= (unsigned)(unsigned char)given[i] ^ (unsigned char)key[i % kl];
    return diff == 0;
}

/* ---- bodies -------------------------------------------------------------- */

#if TEAI_HAVE_CJSON

static int oom(teai__srv_error *e) {
    return teai__srv_fail(e, 500, "server_error", NULL, NULL, "out of memory");
}

static int bad(teai__srv_error *e, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(teai__srv_error *e, const char *param, const char *fmt, ...) {
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return teai__srv_fail(e, 400, "invalid_request_error", param, NULL, "%s", msg);
}

/* A field that is absent or null counts as not given. */
static const cJSON *field(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A whole number in [lo, hi]. */
static int whole(const cJSON *v, double lo, double hi, double *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi) return 0;
    *out = d;
    return 1;
}

static int number_in(const cJSON *o, const char *key, double lo, double hi, float *out,
                     teai__srv_error *e) {
    const cJSON *v = field(o, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return bad(e, key, "'%s' must be a number from %g to %g", key, lo, hi);
    *out = (float)v->valuedouble;
    return 0;
}

/* "prompt": a string, [string], [id, ...] or [[id, ...]]. */
static int parse_prompt(const cJSON *p, teai__srv_request *r, teai__srv_error *e) {
    if (!p) return bad(e, "prompt", "'prompt' is required");
    if (cJSON_IsString(p)) {
        r->prompt = p->valuestring;
        return 0;
    }
    if (!cJSON_IsArray(p)) return bad(e, "prompt", "'prompt' must be a string or an array");
    int n = cJSON_GetArraySize(p);
    if (n == 0) return bad(e, "prompt", "'prompt' is empty");
    const cJSON *first = cJSON_GetArrayItem(p, 0);
    if (cJSON_IsString(first) || cJSON_IsArray(first)) {
        if (n > 1) return bad(e, "prompt", "only one prompt per request is supported (got %d)", n);
        if (cJSON_IsString(first)) {
            r->prompt = first->valuestring;
            return 0;
        }
        p = first; /* [[id, ...]] */
        if ((n = cJSON_GetArraySize(p)) == 0) return bad(e, "prompt", "'prompt' is empty");
    }
    if (!(r->prompt_ids = malloc(sizeof(int32_t) * (size_t)n))) return oom(e);
    int i = 0;
    for (const cJSON *v = p->child; v; v = v->next, i++) {
        double d;
        if (!whole(v, 0, 2147483647.0, &d))
            return bad(e, "prompt",
                       "'prompt' must be text or token ids; element %d is not a token id", i);
        r->prompt_ids[i] = (int32_t)d;
    }
    r->n_prompt_ids = n;
    return 0;
}

/* Joins the text parts of a content array with "\n" (kept in r->texts_). */
static int content_parts(const cJSON *c, int idx, teai__srv_request *r, const char **out,
                         teai__srv_error *e) {
    char param[64];
    snprintf(param, sizeof param, "messages[%d].content", idx);
    teai_buf b;
    teai_buf_init(&b, 0);
    int k = 0;
    for (const cJSON *part = c->child; part; part = part->next, k++) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (!cJSON_IsObject(part) || !cJSON_IsString(type) || strcmp(type->valuestring, "text") ||
            !cJSON_IsString(text)) {
            teai_buf_free(&b);
            return bad(e, param,
                       "%s[%d]: only {\"type\": \"text\", \"text\": ...} parts are supported",
                       param, k);
        }
        if ((k && teai_buf_add(&b, "\n", 1)) || teai_buf_addstr(&b, text->valuestring)) {
            teai_buf_free(&b);
            return oom(e);
        }
    }
    if (teai_buf_add(&b, "", 1)) { /* an empty array is an empty text */
        teai_buf_free(&b);
        return oom(e);
    }
    r->texts_[r->n_texts_++] = b.data;
    *out = b.data;
    return 0;
}

static int parse_messages(const cJSON *m, teai__srv_request *r, teai__srv_error *e) {
    if (!m) return bad(e, "messages", "'messages' is required");
    if (!cJSON_IsArray(m)) return bad(e, "messages", "'messages' must be an array");
    int n = cJSON_GetArraySize(m);
    if (n == 0) return bad(e, "messages", "'messages' is empty");
    if (!(r->msgs = calloc((size_t)n, sizeof *r->msgs)) ||
        !(r->texts_ = calloc((size_t)n, sizeof *r->texts_)))
        return oom(e);
    int i = 0;
    for (const cJSON *msg = m->child; msg; msg = msg->next, i++) {
        char param[64];
        snprintf(param, sizeof param, "messages[%d]", i);
        if (!cJSON_IsObject(msg)) return bad(e, param, "%s must be an object", param);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        const cJSON *content = field(msg, "content");
        snprintf(param, sizeof param, "messages[%d].role", i);
        if (!cJSON_IsString(role)) return bad(e, param, "%s must be a string", param);
        const char *rs = role->valuestring;
        if (strcmp(rs, "developer") == 0) rs = "system"; /* OpenAI's newer name for it */
        if (strcmp(rs, "system") && strcmp(rs, "user") && strcmp(rs, "assistant"))
            return bad(e, param, "%s '%.40s' is not supported (system, user, assistant)", param,
                       role->valuestring);
        r->msgs[i].role = rs;
        snprintf(param, sizeof param, "messages[%d].content", i);
        if (!content) {
            if (strcmp(rs, "assistant")) return bad(e, param, "%s is required", param);
            r->msgs[i].content = "";
        } else if (cJSON_IsString(content)) {
            r->msgs[i].content = content->valuestring;
        } else if (cJSON_IsArray(content)) {
            int rc = content_parts(content, i, r, &r->msgs[i].content, e);
            if (rc) return rc;
        } else {
            return bad(e, param, "%s must be a string or an array of text parts", param);
        }
    }
    r->n_msgs = n;
    return 0;
}

static int parse_stop(const cJSON *s, teai__srv_request *r, teai__srv_error *e) {
    if (!s) return 0;
    if (cJSON_IsString(s)) {
        if (!s->valuestring[0]) return bad(e, "stop", "'stop' must not be empty");
        r->stop[r->n_stop++] = s->valuestring;
        return 0;
    }
    if (!cJSON_IsArray(s)) return bad(e, "stop", "'stop' must be a string or an array of strings");
    if (cJSON_GetArraySize(s) > TEAI__SRV_MAX_STOP)
        return bad(e, "stop", "'stop' holds more than %d strings", TEAI__SRV_MAX_STOP);
    for (const cJSON *v = s->child; v; v = v->next) {
        if (!cJSON_IsString(v) || !v->valuestring[0])
            return bad(e, "stop", "'stop' must hold non-empty strings");
        r->stop[r->n_stop++] = v->valuestring;
    }
    return 0;
}

static int parse_fields(const cJSON *o, int chat, int cap, teai__srv_request *r,
                        teai__srv_error *e) {
    int rc;
    const cJSON *v;
    if ((v = field(o, "model"))) {
        if (!cJSON_IsString(v)) return bad(e, "model", "'model' must be a string");
        r->model = v->valuestring;
    }
    if ((rc = chat ? parse_messages(field(o, "messages"), r, e)
                   : parse_prompt(field(o, "prompt"), r, e)))
        return rc;
    double d;
    const char *mt = field(o, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if ((v = field(o, mt))) {
        if (!whole(v, 1, 2147483647.0, &d))
            return bad(e, mt, "'%s' must be a whole number >= 1", mt);
        if (d > cap) return bad(e, mt, "'%s' is %.0f; this server allows at most %d", mt, d, cap);
        r->max_tokens = (int)d;
    }
    if ((v = field(o, "n")) && (!whole(v, 1, 1, &d)))
        return bad(e, "n", "only n = 1 is supported (one choice per request)");
    if ((rc = number_in(o, "temperature", 0, 100, &r->sp.temperature, e)) ||
        (rc = number_in(o, "top_p", 0, 1, &r->sp.top_p, e)))
        return rc;
    if ((v = field(o, "top_k"))) {
        if (!whole(v, 0, 1 << 24, &d))
            return bad(e, "top_k", "'top_k' must be a whole number from 0 to %d", 1 << 24);
        r->sp.top_k = (int)d;
    }
    if ((v = field(o, "seed"))) {
        if (cJSON_IsNumber(v) && v->valuedouble == -1) {
            r->sp.seed = (uint64_t)teai__now_ns() ^ 0x9e3779b97f4a7c15ull; /* llama-server's -1 */
        } else if (whole(v, 0, 18446744073709549568.0, &d)) {
            r->sp.seed = (uint64_t)d;
        } else {
            return bad(e, "seed", "'seed' must be a whole number >= 0 (or -1: random)");
        }
    }
    if ((rc = parse_stop(field(o, "stop"), r, e))) return rc;
    if ((v = field(o, "stream"))) {
        if (!cJSON_IsBool(v)) return bad(e, "stream", "'stream' must be true or false");
        r->stream = cJSON_IsTrue(v);
    }
    if ((v = field(o, "stream_options"))) {
        if (!cJSON_IsObject(v))
            return bad(e, "stream_options", "'stream_options' must be an object");
        const cJSON *u = field(v, "include_usage");
        if (u && !cJSON_IsBool(u))
            return bad(e, "stream_options.include_usage", "'include_usage' must be true or false");
        r->include_usage = u && cJSON_IsTrue(u);
    }
    return 0;
}

int teai__srv_request_parse(const char *body, size_t len, int chat, int max_tokens_cap,
                            teai__srv_request *req, teai__srv_error *e) {
    memset(req, 0, sizeof *req);
    req->chat = chat;
    req->model = "";
    req->n_prompt_ids = -1;
    req->max_tokens = -1;
    req->sp = teai_sampler_default_params();
    if (!body || len == 0)
        return bad(e, NULL, "the request body is empty (a JSON object is expected)");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) return bad(e, NULL, "the request body is not valid JSON");
    req->json_ = root;
    for (const char *p = end; p < body + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            teai__srv_request_free(req);
            return bad(e, NULL, "the request body is not valid JSON (data after the object)");
        }
    int rc = cJSON_IsObject(root) ? parse_fields(root, chat, max_tokens_cap, req, e)
                                  : bad(e, NULL, "the request body must be a JSON object");
    if (rc) teai__srv_request_free(req);
    return rc;
}

void teai__srv_request_free(teai__srv_request *req) {
    if (!req) return;
    cJSON_Delete(req->json_);
    free(req->prompt_ids);
    free(req->msgs);
    for (int i = 0; i < req->n_texts_; i++) free(req->texts_[i]);
    free(req->texts_);
    int chat = req->chat;
    memset(req, 0, sizeof *req);
    req->chat = chat;
    req->model = "";
    req->n_prompt_ids = -1;
}

#else /* !TEAI_HAVE_CJSON */

int teai__srv_request_parse(const char *body, size_t len, int chat, int max_tokens_cap,
                            teai__srv_request *req, teai__srv_error *e) {
    (void)body, (void)len, (void)max_tokens_cap;
    memset(req, 0, sizeof *req);
    req->chat = chat;
    return teai__srv_fail(e, 500, "server_error", NULL, NULL,
                          "teai was built without cJSON (install libcjson-dev)");
}

void teai__srv_request_free(teai__srv_request *req) {
    if (req) memset(req, 0, sizeof *req);
}

#endif
