/* Server-sent events framing and OpenAI streaming chunks (see sse.h). */
#include "backends/sse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#define SSE_DEFAULT_MAX ((size_t)16 << 20)

/* ---- event-stream framing -------------------------------------------- */

void teai__sse_init(teai__sse *s, size_t max_event) {
    memset(s, 0, sizeof *s);
    s->max_event = max_event ? max_event : SSE_DEFAULT_MAX;
    /* the caps are checked before adding; +2 leaves room for the "\n" */
    teai_buf_init(&s->line, s->max_event + 2);
    teai_buf_init(&s->data, s->max_event + 2);
}

void teai__sse_free(teai__sse *s) {
    teai_buf_free(&s->line);
    teai_buf_free(&s->data);
}

int teai__sse_pending(const teai__sse *s) {
    return s->has_data || s->line.len > 0;
}

static void buf_clear(teai_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

/* One finished line (without its end), per the WHATWG "interpret a line". */
static int sse_line(teai__sse *s, teai__sse_fn fn, void *ud) {
    const char *l = s->line.data ? s->line.data : "";
    size_t n = s->line.len;
    int rc = 0;
    if (n == 0) { /* blank line: dispatch */
        if (s->has_data) {
            size_t len = s->data.len - 1; /* drop the last data line's "\n" */
            s->data.data[len] = '\0';
            rc = fn(ud, s->event, s->data.data, len);
        }
        buf_clear(&s->data);
        s->has_data = 0;
        s->event[0] = '\0';
        return rc;
    }
    if (l[0] == ':') { /* comment (servers send ": ping" keep-alives) */
        buf_clear(&s->line);
        return 0;
    }
    const char *colon = memchr(l, ':', n);
    size_t name_len = colon ? (size_t)(colon - l) : n;
    const char *value = colon ? colon + 1 : l + n;
    size_t value_len = (size_t)(l + n - value);
    if (value_len && value[0] == ' ') value++, value_len--;
    if (name_len == 4 && memcmp(l, "data", 4) == 0) {
        if (s->data.len + value_len + 1 > s->max_event)
            rc = TEAI_ERANGE;
        else if (teai_buf_add(&s->data, value, value_len) != TEAI_OK ||
                 teai_buf_add(&s->data, "\n", 1) != TEAI_OK)
            rc = TEAI_ENOMEM;
        else
            s->has_data = 1;
    } else if (name_len == 5 && memcmp(l, "event", 5) == 0) {
        size_t k = value_len < sizeof s->event - 1 ? value_len : sizeof s->event - 1;
        memcpy(s->event, value, k);
        s->event[k] = '\0';
    } /* "id", "retry" and unknown fields are ignored */
    buf_clear(&s->line);
    return rc;
}

int teai__sse_feed(teai__sse *s, const char *buf, size_t n, teai__sse_fn fn, void *ud) {
    static const char bom[3] = {'\xef', '\xbb', '\xbf'};
    size_t i = 0;
    while (!s->started && i < n) { /* a leading UTF-8 BOM is not part of the stream */
        if (buf[i] == bom[s->bom]) {
            i++;
            if (++s->bom == 3) s->started = 1;
            continue;
        }
        s->started = 1;
        if (s->bom && teai_buf_add(&s->line, bom, s->bom) != TEAI_OK) return TEAI_ENOMEM;
    }
    while (i < n) {
        if (s->after_cr) {
            s->after_cr = 0;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }
        /* the span up to the next line end */
        size_t j = i;
        while (j < n && buf[j] != '\n' && buf[j] != '\r') j++;
        if (j > i) {
            if (s->line.len + (j - i) > s->max_event) return TEAI_ERANGE;
            if (teai_buf_add(&s->line, buf + i, j - i) != TEAI_OK) return TEAI_ENOMEM;
        }
        if (j == n) break;
        s->after_cr = buf[j] == '\r';
        i = j + 1;
        int rc = sse_line(s, fn, ud);
        if (rc) return rc;
    }
    return 0;
}

/* ---- OpenAI streaming chunks ------------------------------------------ */

void teai__oai_chunk_init(teai__oai_chunk *c) {
    memset(c, 0, sizeof *c);
    teai_buf_init(&c->text, 0);
    c->n_tokens = -1;
    c->token = -1;
    c->prompt_tokens = c->completion_tokens = -1;
    c->prompt_n = c->prompt_ms = c->predicted_n = c->predicted_ms = c->cache_n = NAN;
}

void teai__oai_chunk_free(teai__oai_chunk *c) {
    teai_buf_free(&c->text);
}

#if TEAI_HAVE_CJSON

static void copy_msg(char *out, size_t cap, const char *s) {
    snprintf(out, cap, "%s", s);
    for (char *p = out; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r') *p = ' ';
}

/* Parses exactly len bytes as one JSON value (surrounding whitespace allowed). */
static cJSON *parse_exact(const char *data, size_t len) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (!root) return NULL;
    for (const char *p = end; p < data + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

/* A count from usage: a non-negative whole number, or -1. */
static long long count_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 1e15) || d != floor(d)) return -1;
    return (long long)d;
}

/* A non-negative finite number, or NAN. */
static double number_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || !isfinite(v->valuedouble)) return NAN;
    return v->valuedouble;
}

/* A token id in int32 range, or -1. */
static int32_t id_of(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 2147483647.0) || d != floor(d)) return -1;
    return (int32_t)d;
}

/* The tokens a choice names: an array of ids ("tokens", "token_ids") or the
 * per-token logprobs entries ({"content": [...]} as in chat and llama-server,
 * {"tokens": [...]} as in OpenAI's completions). */
static void token_count(const cJSON *root, const cJSON *ch, teai__oai_chunk *c) {
    static const char *const id_keys[] = {"tokens", "token_ids"};
    const cJSON *holders[2] = {ch, root};
    for (int h = 0; h < 2; h++) {
        for (int k = 0; k < 2; k++) {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(holders[h], id_keys[k]);
            int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
            if (n < 1) continue;
            c->n_tokens = n;
            if (n == 1) c->token = id_of(cJSON_GetArrayItem(a, 0));
            return;
        }
    }
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(ch, "logprobs");
    if (!cJSON_IsObject(lp)) return;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(lp, "content");
    if (!cJSON_IsArray(a)) a = cJSON_GetObjectItemCaseSensitive(lp, "tokens");
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    if (n < 1) return;
    c->n_tokens = n;
    if (n == 1) {
        const cJSON *e = cJSON_GetArrayItem(a, 0);
        if (cJSON_IsObject(e)) c->token = id_of(cJSON_GetObjectItemCaseSensitive(e, "id"));
    }
}

/* A text field: a string is kept, null or absent is none, anything else is an error. */
static int text_field(const cJSON *o, const char *key, teai__oai_chunk *c, int *has,
                      teai_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) return TEAI_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return teai__fail(err, TEAI_EFORMAT, "\"%s\" is not a string", key);
    *has = 1;
    if (teai_buf_addstr(&c->text, v->valuestring) != TEAI_OK)
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    return TEAI_OK;
}

static int parse_choice(const cJSON *root, const cJSON *ch, int chat, teai__oai_chunk *c,
                        teai_error *err) {
    if (!cJSON_IsObject(ch)) return teai__fail(err, TEAI_EFORMAT, "choices[0] is not an object");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
    c->finished = fin && !cJSON_IsNull(fin);
    int has_text = 0, has_role = 0, rc;
    if (chat) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
        if (delta && !cJSON_IsNull(delta)) {
            if (!cJSON_IsObject(delta))
                return teai__fail(err, TEAI_EFORMAT, "choices[0].delta is not an object");
            has_role = cJSON_GetObjectItemCaseSensitive(delta, "role") != NULL;
            if ((rc = text_field(delta, "content", c, &has_text, err)) != TEAI_OK) return rc;
            /* reasoning models stream their thinking separately; it is generated text too */
            if (c->text.len == 0 &&
                (rc = text_field(delta, "reasoning_content", c, &has_text, err)) != TEAI_OK)
                return rc;
        }
    } else if ((rc = text_field(ch, "text", c, &has_text, err)) != TEAI_OK) {
        return rc;
    }
    token_count(root, ch, c);
    /* An empty text is a token whose bytes are not yet printable (llama-server
     * sends one per token), unless the chunk is a role or finish marker. */
    c->is_content =
        (has_text && (c->text.len > 0 || (!c->finished && !has_role))) || c->n_tokens >= 1;
    return TEAI_OK;
}

int teai__oai_chunk_parse(const char *data, size_t len, int chat, teai__oai_chunk *c,
                          teai_error *err) {
    teai__oai_chunk_free(c);
    teai__oai_chunk_init(c);
    cJSON *root = parse_exact(data, len);
    if (!root) return teai__fail(err, TEAI_EFORMAT, "not valid JSON");
    int rc = TEAI_OK;
    if (!cJSON_IsObject(root)) {
        rc = teai__fail(err, TEAI_EFORMAT, "not a JSON object");
        goto done;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e && !cJSON_IsNull(e)) {
        const cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
        c->is_error = 1;
        copy_msg(c->error_msg, sizeof c->error_msg,
                 cJSON_IsString(m) && m->valuestring ? m->valuestring : "(no message)");
        goto done;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (choices && !cJSON_IsNull(choices)) {
        if (!cJSON_IsArray(choices)) {
            rc = teai__fail(err, TEAI_EFORMAT, "\"choices\" is not an array");
            goto done;
        }
        /* one prompt, one choice: n is never asked for */
        if (cJSON_GetArraySize(choices) > 0 &&
            (rc = parse_choice(root, cJSON_GetArrayItem(choices, 0), chat, c, err)) != TEAI_OK)
            goto done;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        c->prompt_tokens = count_of(usage, "prompt_tokens");
        c->completion_tokens = count_of(usage, "completion_tokens");
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "timings");
    if (cJSON_IsObject(t)) {
        c->has_timings = 1;
        c->prompt_n = number_of(t, "prompt_n");
        c->prompt_ms = number_of(t, "prompt_ms");
        c->predicted_n = number_of(t, "predicted_n");
        c->predicted_ms = number_of(t, "predicted_ms");
        c->cache_n = number_of(t, "cache_n");
    }
done:
    cJSON_Delete(root);
    if (rc == TEAI_OK && !c->text.data && teai_buf_add(&c->text, "", 0) != TEAI_OK)
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    return rc;
}

int teai__oai_error_message(const char *body, size_t len, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    cJSON *root = parse_exact(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return 0;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *m = NULL;
    if (cJSON_IsString(e))
        m = e;
    else if (cJSON_IsObject(e))
        m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (!m) m = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (!m) m = cJSON_GetObjectItemCaseSensitive(root, "detail"); /* FastAPI (vLLM) */
    int found = cJSON_IsString(m) && m->valuestring && cap > 0;
    if (found) copy_msg(out, cap, m->valuestring);
    cJSON_Delete(root);
    return found;
}

#else /* !TEAI_HAVE_CJSON */

int teai__oai_chunk_parse(const char *data, size_t len, int chat, teai__oai_chunk *c,
                          teai_error *err) {
    (void)data, (void)len, (void)chat;
    teai__oai_chunk_free(c);
    teai__oai_chunk_init(c);
    return teai__fail(err, TEAI_EUNSUPPORTED, "built without cJSON (install libcjson-dev)");
}

int teai__oai_error_message(const char *body, size_t len, char *out, size_t cap) {
    (void)body, (void)len;
    if (cap) out[0] = '\0';
    return 0;
}

#endif
