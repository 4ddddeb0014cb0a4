/* The openai backend: any OpenAI-compatible server (llama-server, mlc_llm
 * serve, vLLM, Ollama, tinygrad's llama3.py --port), driven over HTTP with
 * streaming (server-sent events). docs/openai-backend.md says what each
 * reported number is and where it comes from.
 *
 * The client sees chunks, not decode steps: every number here is either
 * measured on arrival (t_ms, TTFT, the time between chunks) or copied from
 * what the server said (usage, llama-server's "timings"). Nothing else is
 * filled in: enqueue time is NAN, a chunk's token count is -1 unless the
 * server says it. */
#include "backends/backend.h"
#include "backends/sse.h"
#include "base/base.h"

#include <curl/curl.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>

#define OAI_DEFAULT_TIMEOUT_S 300.0
#define OAI_MAX_BODY          ((size_t)1 << 20) /* error bodies and /v1/models kept */
#define OAI_MAX_EVENT         ((size_t)4 << 20) /* longest SSE event accepted */

struct teai_backend {
    char *base_url; /* no trailing "/" or "/v1" */
    char *api_key;  /* NULL = no Authorization header */
    char *model;    /* "model" field of requests */
    int chat;
    double timeout_s;
    uint64_t seed;
    float temperature;
    int n_vocab; /* from /v1/models (llama-server's meta); -1 unknown */
};

/* ---- small helpers ----------------------------------------------------- */

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void) {
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* What went wrong with a transfer that did not complete, in a few words:
 * "connection refused", "timed out after 0.5 s". */
static void curl_problem(CURL *h, CURLcode rc, const char *errbuf, double timeout_s, char *out,
                         size_t cap) {
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            snprintf(out, cap, "timed out after %g s", timeout_s);
            return;
        case CURLE_COULDNT_CONNECT:
            if (os_errno == ECONNREFUSED) {
                snprintf(out, cap, "connection refused");
                return;
            }
            break;
        case CURLE_COULDNT_RESOLVE_HOST:
            snprintf(out, cap, "cannot resolve the host name");
            return;
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
            snprintf(out, cap, "connection dropped");
            return;
        default:
            break;
    }
    if (os_errno) {
        char e[128];
        if (strerror_r((int)os_errno, e, sizeof e) != 0)
            snprintf(e, sizeof e, "errno %ld", os_errno);
        if (e[0] >= 'A' && e[0] <= 'Z') e[0] = (char)(e[0] - 'A' + 'a');
        snprintf(out, cap, "%s", e);
    } else if (errbuf && errbuf[0]) {
        snprintf(out, cap, "%s", errbuf);
    } else {
        snprintf(out, cap, "%s", curl_easy_strerror(rc));
    }
}

/* The easy handle for one request, with the options every request shares. */
static CURL *request_new(const teai_backend *b, const char *url, struct curl_slist *hdrs,
                         char *errbuf) {
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: thread-safe */
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(b->timeout_s * 1000.0 + 0.5));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(b->timeout_s * 1000.0 + 0.5));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "teai/" TEAI_VERSION);
    return h;
}

/* Common headers; "Expect:" stops curl from waiting a second for a
 * "100 Continue" that most servers never send (it would land in TTFT). */
static struct curl_slist *headers_new(const teai_backend *b, int post) {
    struct curl_slist *h = NULL, *t;
    const char *fixed[] = {"Accept: text/event-stream, application/json",
                           "Expect:", post ? "Content-Type: application/json" : NULL};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        if (!fixed[i]) continue;
        if (!(t = curl_slist_append(h, fixed[i]))) goto oom;
        h = t;
    }
    if (b->api_key && b->api_key[0]) {
        teai_buf a;
        teai_buf_init(&a, 0);
        int rc = teai_buf_printf(&a, "Authorization: Bearer %s", b->api_key);
        t = rc == TEAI_OK ? curl_slist_append(h, a.data) : NULL;
        teai_buf_free(&a);
        if (!t) goto oom;
        h = t;
    }
    return h;
oom:
    curl_slist_free_all(h);
    return NULL;
}

/* Keeps the first OAI_MAX_BODY bytes of a response. */
static size_t body_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    teai_buf *body = ud;
    size_t n = size * nmemb, room = OAI_MAX_BODY - body->len;
    if (teai_buf_add(body, ptr, n < room ? n : room) != TEAI_OK) return 0;
    return n;
}

/* "URL: HTTP 500: <the server's message or the body's start>" into err. */
static int http_error(teai_error *err, const char *url, long status, const teai_buf *body) {
    char msg[300];
    if (!body->len || !teai__oai_error_message(body->data, body->len, msg, sizeof msg)) {
        copy_str(msg, sizeof msg, body->len ? body->data : "");
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    }
    return teai__fail(err, TEAI_EIO, "%s: HTTP %ld%s%s", url, status, msg[0] ? ": " : "", msg);
}

/* ---- open: GET /v1/models ---------------------------------------------- */

/* Facts from /v1/models: the first model's id, and llama-server's "meta". */
static void models_info(teai_backend *b, const teai_buf *body, teai_backend_info *info) {
    cJSON *root = body->len ? cJSON_ParseWithLength(body->data, body->len) : NULL;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *m = cJSON_IsArray(data) ? cJSON_GetArrayItem(data, 0) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
    if (cJSON_IsString(id) && id->valuestring)
        copy_str(info->version, sizeof info->version, id->valuestring);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m, "meta");
    if (cJSON_IsObject(meta)) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, "n_vocab");
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e8)
            info->n_vocab = b->n_vocab = (int)v->valuedouble;
        v = cJSON_GetObjectItemCaseSensitive(meta, "n_params");
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e16)
            info->param_count = (uint64_t)v->valuedouble;
        v = cJSON_GetObjectItemCaseSensitive(meta, "size");
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e16)
            info->param_bytes = (uint64_t)v->valuedouble;
        v = cJSON_GetObjectItemCaseSensitive(meta, "ftype");
        if (cJSON_IsString(v) && v->valuestring)
            copy_str(info->weight_format, sizeof info->weight_format, v->valuestring);
        if (info->param_count && info->param_bytes)
            info->bits_per_weight = 8.0 * (double)info->param_bytes / (double)info->param_count;
    }
    cJSON_Delete(root);
}

static void backend_free(teai_backend *b) {
    if (!b) return;
    free(b->base_url);
    free(b->api_key);
    free(b->model);
    free(b);
}

static int oai_open(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                    teai_error *err) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    copy_str(info->name, sizeof info->name, "openai");
    info->memory = TEAI_MEM_REMOTE; /* the server's memory is out of sight */
    info->bits_per_weight = NAN;
    info->n_vocab = -1;
    info->load_ms = NAN; /* the server loaded the model before we came */
    if (!cfg->base_url || !cfg->base_url[0])
        return teai__fail(err, TEAI_EINVAL,
                          "openai backend: no server URL (e.g. http://127.0.0.1:8080)");
    if (!(cfg->temperature >= 0) || !isfinite(cfg->temperature))
        return teai__fail(err, TEAI_EINVAL, "openai backend: temperature %g is not >= 0",
                          (double)cfg->temperature);
    if (!(cfg->timeout_s >= 0) || !isfinite(cfg->timeout_s))
        return teai__fail(err, TEAI_EINVAL, "openai backend: timeout %g s is not >= 0",
                          cfg->timeout_s);
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return teai__fail(err, TEAI_EIO, "openai backend: libcurl: %s",
                          curl_easy_strerror(curl_init_rc));

    teai_backend *b = calloc(1, sizeof *b);
    if (!b || !(b->base_url = dup_str(cfg->base_url)) ||
        (cfg->api_key && !(b->api_key = dup_str(cfg->api_key)))) {
        backend_free(b);
        return teai__fail(err, TEAI_ENOMEM, "openai backend: out of memory");
    }
    /* "http://host:8080/", ".../v1" and ".../v1/" all name the same server */
    size_t n = strlen(b->base_url);
    while (n && b->base_url[n - 1] == '/') b->base_url[--n] = '\0';
    if (n >= 3 && strcmp(b->base_url + n - 3, "/v1") == 0) b->base_url[n -= 3] = '\0';
    while (n && b->base_url[n - 1] == '/') b->base_url[--n] = '\0';
    b->chat = cfg->chat;
    b->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : OAI_DEFAULT_TIMEOUT_S;
    if (b->timeout_s > 1e7) b->timeout_s = 1e7; /* ~4 months: fits curl's long milliseconds */
    b->seed = cfg->seed;
    b->temperature = cfg->temperature;
    b->n_vocab = -1;
    copy_str(info->device, sizeof info->device, b->base_url);

    teai_buf url, body;
    teai_buf_init(&url, 0);
    teai_buf_init(&body, OAI_MAX_BODY + 1);
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = headers_new(b, 0);
    CURL *h = NULL;
    int rc = TEAI_OK;
    if (!hdrs || teai_buf_printf(&url, "%s/v1/models", b->base_url) != TEAI_OK ||
        !(h = request_new(b, url.data, hdrs, errbuf))) {
        rc = teai__fail(err, TEAI_ENOMEM, "openai backend: out of memory");
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cr = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK) {
        char what[256];
        curl_problem(h, cr, errbuf, b->timeout_s, what, sizeof what);
        rc = teai__fail(err, TEAI_EIO, "%s: %s", url.data, what);
    } else if (status >= 400 && status != 404 && status != 405 && status != 501) {
        /* a server without /v1/models (404, 405, 501) can still stream completions */
        rc = http_error(err, url.data, status, &body);
    } else if (status < 400) {
        models_info(b, &body, info);
    }
    if (rc == TEAI_OK) {
        const char *model = cfg->model_name && cfg->model_name[0] ? cfg->model_name
                            : info->version[0]                    ? info->version
                                                                  : "default";
        if (!(b->model = dup_str(model))) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
done:
    if (h) curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    teai_buf_free(&url);
    teai_buf_free(&body);
    if (rc != TEAI_OK) {
        backend_free(b);
        return rc;
    }
    *out = b;
    return TEAI_OK;
}

static void oai_close(teai_backend *b) {
    backend_free(b);
}

/* ---- the request -------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A prompt of p->prompt_tokens tokens. /v1/completions takes token ids: they
 * are drawn from the lower half of the vocabulary (ordinary tokens, not
 * special ones) when the server said its size, else from 1000..8999, and
 * differ per repetition so a server's prompt cache cannot reuse them.
 * Chat takes text only: that many common words, whose token count only the
 * server's usage tells. */
static cJSON *synthetic_prompt(const teai_backend *b, const teai_run_params *p) {
    static const char *const words[] = {"the",   "time", "people", "water", "light", "world",
                                        "house", "day",  "river",  "stone", "green", "city",
                                        "song",  "road", "garden", "story"};
    uint64_t x = b->seed ^ (0x5851f42d4c957f2dull * (uint64_t)(p->rep + 1));
    if (b->chat) {
        teai_buf t;
        teai_buf_init(&t, 0);
        for (int i = 0; i < p->prompt_tokens; i++) {
            const char *w = words[splitmix64(&x) % (sizeof words / sizeof *words)];
            if (teai_buf_printf(&t, "%s%s", i ? " " : "", w) != TEAI_OK) {
                teai_buf_free(&t);
                return NULL;
            }
        }
        cJSON *s = cJSON_CreateString(t.data ? t.data : "");
        teai_buf_free(&t);
        return s;
    }
    uint64_t lo = 1000, span = 8000;
    if (b->n_vocab > 16) lo = (uint64_t)b->n_vocab / 8, span = (uint64_t)b->n_vocab / 2 - lo;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < p->prompt_tokens; i++) {
        cJSON *id = cJSON_CreateNumber((double)(lo + splitmix64(&x) % span));
        if (!id || !cJSON_AddItemToArray(a, id)) {
            cJSON_Delete(id);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* The JSON body of one streaming request (malloc'd), or NULL on ENOMEM. */
static char *request_body(const teai_backend *b, const teai_run_params *p) {
    char num[64];
    cJSON *o = cJSON_CreateObject(), *opts = NULL;
    int ok = o && cJSON_AddStringToObject(o, "model", b->model);
    cJSON *prompt = p->prompt ? cJSON_CreateString(p->prompt) : synthetic_prompt(b, p);
    int attached = 0;
    if (ok && prompt && b->chat) {
        cJSON *msgs = cJSON_AddArrayToObject(o, "messages"), *m = cJSON_CreateObject();
        if (!msgs || !m || !cJSON_AddItemToArray(msgs, m)) {
            cJSON_Delete(m);
        } else if (cJSON_AddStringToObject(m, "role", "user")) {
            attached = cJSON_AddItemToObject(m, "content", prompt);
        }
    } else if (ok && prompt) {
        attached = cJSON_AddItemToObject(o, "prompt", prompt);
    }
    if (!attached) {
        cJSON_Delete(prompt);
        ok = 0;
    }
    ok = ok && cJSON_AddNumberToObject(o, "max_tokens", p->n_gen);
    /* written as text: a double would round a 64-bit seed and print 0.7f as 0.69999998 */
    snprintf(num, sizeof num, "%.6g", (double)b->temperature);
    ok = ok && cJSON_AddRawToObject(o, "temperature", num);
    snprintf(num, sizeof num, "%" PRIu64, p->seed ? p->seed : b->seed); /* this run's, if set */
    ok = ok && cJSON_AddRawToObject(o, "seed", num);
    ok = ok && cJSON_AddTrueToObject(o, "stream");
    ok = ok && (opts = cJSON_AddObjectToObject(o, "stream_options")) &&
         cJSON_AddTrueToObject(opts, "include_usage");
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* ---- the stream --------------------------------------------------------- */

/* A content chunk, kept until the stream ends (see deliver). */
typedef struct pending {
    double t_ms;     /* arrival since the request started */
    int n_tokens;    /* -1 unknown */
    int32_t token;   /* -1 unknown */
    size_t text_off; /* into run_state.texts (NUL-terminated there) */
} pending;

typedef struct run_state {
    const teai_backend *b;
    const char *url;
    CURL *h;
    teai_event_fn cb;
    void *ud;
    uint64_t t0_ns, now_ns; /* request start; arrival of the bytes being parsed */
    long http_status;       /* 0 until the first body bytes */
    teai_buf errbody;       /* body of an HTTP error */
    teai__sse sse;
    teai__oai_chunk chunk;
    teai_buf raw; /* scratch: one event as one line */
    pending *ev;
    size_t n_ev, cap_ev;
    teai_buf texts;
    int n_chunks; /* SSE events seen ("chunk N" in messages counts from 1) */
    int done;     /* "data: [DONE]" */
    int finished; /* some chunk had a finish_reason */
    int stopped;  /* the callback asked to stop */
    int fail;     /* a stream error (its message in ferr), 0 none */
    teai_error ferr;
    long long prompt_tokens, completion_tokens; /* latest usage; -1 unknown */
    long long prev_completion; /* completion_tokens as of the last content chunk; -1 unknown */
    int has_timings;
    double prompt_n, prompt_ms, predicted_n, predicted_ms;
} run_state;

static int push_pending(run_state *st, const teai__oai_chunk *c, int n_tokens) {
    if (st->n_ev == st->cap_ev) {
        size_t cap = st->cap_ev ? st->cap_ev * 2 : 64;
        pending *e = realloc(st->ev, cap * sizeof *e);
        if (!e) return TEAI_ENOMEM;
        st->ev = e;
        st->cap_ev = cap;
    }
    pending *e = &st->ev[st->n_ev];
    e->t_ms = (double)(st->now_ns - st->t0_ns) / 1e6;
    e->n_tokens = n_tokens;
    e->token = c->token;
    e->text_off = st->texts.len;
    if (teai_buf_add(&st->texts, c->text.data, c->text.len + 1) != TEAI_OK) return TEAI_ENOMEM;
    st->n_ev++;
    return TEAI_OK;
}

/* One server-sent event. Non-zero stops the transfer. */
static int on_event(void *ud, const char *event, const char *data, size_t len) {
    run_state *st = ud;
    st->n_chunks++;
    if (st->done) return 0; /* nothing counts after [DONE] */
    /* the server's own words go to the log as they arrive; this is also
     * where the caller can stop the run */
    st->raw.len = 0;
    if (teai_buf_add(&st->raw, data, len) != TEAI_OK) {
        st->fail = teai__fail(&st->ferr, TEAI_ENOMEM, "%s: out of memory", st->url);
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        if (st->raw.data[i] == '\n' || st->raw.data[i] == '\0') st->raw.data[i] = ' ';
    teai_event rawev = teai_event_blank(TEAI_EV_RAW, (double)(st->now_ns - st->t0_ns) / 1e6);
    rawev.raw = st->raw.data;
    if (st->cb(st->ud, &rawev)) {
        st->stopped = 1;
        return 1;
    }
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        st->done = 1;
        return 1; /* the stream is complete: no need to wait for the server to close */
    }
    if (strcmp(event, "error") == 0) {
        st->fail = teai__fail(&st->ferr, TEAI_EIO, "%s: server error in chunk %d: %.300s", st->url,
                              st->n_chunks, st->raw.data);
        return 1;
    }
    teai_error e = {0};
    teai__oai_chunk *c = &st->chunk;
    int rc = teai__oai_chunk_parse(data, len, st->b->chat, c, &e);
    if (rc != TEAI_OK) {
        st->fail = teai__fail(&st->ferr, rc, "%s: chunk %d: %s", st->url, st->n_chunks, e.msg);
        return 1;
    }
    if (c->is_error) {
        st->fail = teai__fail(&st->ferr, TEAI_EIO, "%s: server error in chunk %d: %s", st->url,
                              st->n_chunks, c->error_msg);
        return 1;
    }
    if (c->prompt_tokens >= 0) st->prompt_tokens = c->prompt_tokens;
    if (c->completion_tokens >= 0) st->completion_tokens = c->completion_tokens;
    if (c->has_timings) {
        st->has_timings = 1;
        st->prompt_n = c->prompt_n;
        st->prompt_ms = c->prompt_ms;
        st->predicted_n = c->predicted_n;
        st->predicted_ms = c->predicted_ms;
    }
    if (c->finished) st->finished = 1;
    if (c->is_content) {
        int n = c->n_tokens;
        /* a server that sends usage on every chunk (vLLM's continuous usage
         * stats) counts the tokens of each by the difference */
        if (n < 0 && c->completion_tokens >= 0 && st->prev_completion >= 0 &&
            c->completion_tokens > st->prev_completion &&
            c->completion_tokens - st->prev_completion < 1000000)
            n = (int)(c->completion_tokens - st->prev_completion);
        st->prev_completion = c->completion_tokens;
        if (push_pending(st, c, n) != TEAI_OK) {
            st->fail = teai__fail(&st->ferr, TEAI_ENOMEM, "%s: out of memory", st->url);
            return 1;
        }
    }
    return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    run_state *st = ud;
    size_t n = size * nmemb;
    st->now_ns = teai__now_ns();
    if (!st->http_status) {
        curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &st->http_status);
        if (!st->http_status) st->http_status = 200;
    }
    if (st->http_status >= 400) return body_write(ptr, size, nmemb, &st->errbody);
    int rc = teai__sse_feed(&st->sse, ptr, n, on_event, st);
    if (rc == 0) return n;
    if (!st->stopped && !st->fail && !st->done)
        st->fail = rc == TEAI_ERANGE
                       ? teai__fail(&st->ferr, TEAI_EFORMAT, "%s: chunk %d: longer than %zu bytes",
                                    st->url, st->n_chunks + 1, (size_t)OAI_MAX_EVENT)
                       : teai__fail(&st->ferr, TEAI_ENOMEM, "%s: out of memory", st->url);
    return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
}

/* "3 tokens had arrived" when every chunk said its count, else "3 chunks of
 * text (token counts unreported) had arrived". */
static void arrived(const run_state *st, char *out, size_t cap) {
    long long sum = 0;
    if (st->n_ev == 0) {
        snprintf(out, cap, "no text had arrived");
        return;
    }
    for (size_t i = 0; i < st->n_ev; i++) {
        if (st->ev[i].n_tokens < 0) {
            snprintf(out, cap, "%zu chunk%s of text (token counts unreported) had arrived",
                     st->n_ev, st->n_ev == 1 ? "" : "s");
            return;
        }
        sum += st->ev[i].n_tokens;
    }
    snprintf(out, cap, "%lld token%s had arrived", sum, sum == 1 ? "" : "s");
}

/* When the server's total says so, each chunk of unknown size held one token:
 * every content chunk holds at least one, so if the unknown chunks are as
 * many as the tokens not otherwise accounted for, each held exactly one. */
static void settle_counts(run_state *st) {
    long long total = st->completion_tokens;
    if (total < 0 && st->has_timings && isfinite(st->predicted_n))
        total = (long long)st->predicted_n;
    if (total < 0) return;
    long long known = 0, unknown = 0;
    for (size_t i = 0; i < st->n_ev; i++) {
        if (st->ev[i].n_tokens < 0)
            unknown++;
        else
            known += st->ev[i].n_tokens;
    }
    if (unknown == 0 || known + unknown != total) return;
    for (size_t i = 0; i < st->n_ev; i++)
        if (st->ev[i].n_tokens < 0) st->ev[i].n_tokens = 1;
}

/* Reports what the stream measured: PREFILL (the first content chunk, with
 * the server's usage and timings, which arrive last), then one TOKEN per
 * later chunk. They are held until the stream ends because those server
 * figures come in its final chunk. With always_prefill, a stream that ended
 * normally without any text still reports its PREFILL. Returns 1 if the
 * callback asked to stop (the remaining events are still reported when
 * keep_going: nothing measured is dropped). */
static int deliver(run_state *st, int always_prefill, int keep_going) {
    int stop = 0;
    settle_counts(st);
    if (st->n_ev == 0 && !always_prefill) return 0;
    const pending *first = st->n_ev ? &st->ev[0] : NULL;
    teai_event ev = teai_event_blank(TEAI_EV_PREFILL, first ? first->t_ms : NAN);
    ev.ttft_ms = first ? first->t_ms : NAN;
    ev.token = first ? first->token : -1;
    ev.text = first ? st->texts.data + first->text_off : "";
    ev.n_tokens = first ? first->n_tokens : -1;
    /* llama-server's prompt_n counts the prompt tokens it actually processed
     * (its prompt cache may have held the rest): the ones prompt_ms covers */
    if (st->has_timings && isfinite(st->prompt_n) && st->prompt_n < 2147483647.0) {
        ev.n_prompt = (int)st->prompt_n;
        ev.prefill_ms = st->prompt_ms;
    } else if (st->prompt_tokens >= 0 && st->prompt_tokens < 2147483647) {
        ev.n_prompt = (int)st->prompt_tokens;
    }
    if (st->cb(st->ud, &ev)) {
        stop = 1;
        if (!keep_going) return 1;
    }
    for (size_t i = 1; i < st->n_ev; i++) {
        const pending *e = &st->ev[i];
        teai_event t = teai_event_blank(TEAI_EV_TOKEN, e->t_ms);
        t.step = (int)i;
        t.token = e->token;
        t.text = st->texts.data + e->text_off;
        t.n_tokens = e->n_tokens;
        t.total_ms = e->t_ms - st->ev[i - 1].t_ms;
        /* enqueue_ms stays unknown: the client cannot see the server's queue */
        if (st->cb(st->ud, &t)) {
            stop = 1;
            if (!keep_going) return 1;
        }
    }
    return stop;
}

static void run_state_free(run_state *st) {
    teai_buf_free(&st->errbody);
    teai__sse_free(&st->sse);
    teai__oai_chunk_free(&st->chunk);
    teai_buf_free(&st->raw);
    teai_buf_free(&st->texts);
    free(st->ev);
}

static int oai_run(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                   teai_error *err) {
    if (p->n_gen < 1) return teai__fail(err, TEAI_EINVAL, "openai backend: n_gen must be >= 1");
    if (!p->prompt && p->prompt_tokens < 1)
        return teai__fail(err, TEAI_EINVAL, "openai backend: no prompt");
    teai_buf url;
    teai_buf_init(&url, 0);
    char *body = request_body(b, p);
    struct curl_slist *hdrs = headers_new(b, 1);
    char errbuf[CURL_ERROR_SIZE];
    run_state st;
    memset(&st, 0, sizeof st);
    st.b = b;
    st.cb = cb;
    st.ud = ud;
    st.prompt_tokens = st.completion_tokens = -1;
    st.prev_completion = 0; /* before the first chunk no token has been generated */
    teai_buf_init(&st.errbody, OAI_MAX_BODY + 1);
    teai__sse_init(&st.sse, OAI_MAX_EVENT);
    teai__oai_chunk_init(&st.chunk);
    teai_buf_init(&st.raw, 0);
    teai_buf_init(&st.texts, 0);
    int rc = TEAI_OK;
    if (!body || !hdrs ||
        teai_buf_printf(&url, "%s/v1/%s", b->base_url,
                        b->chat ? "chat/completions" : "completions") != TEAI_OK ||
        !(st.h = request_new(b, url.data, hdrs, errbuf))) {
        rc = teai__fail(err, TEAI_ENOMEM, "openai backend: out of memory");
        goto done;
    }
    st.url = url.data;
    curl_easy_setopt(st.h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(st.h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(st.h, CURLOPT_WRITEDATA, &st);

    st.t0_ns = teai__now_ns(); /* TTFT includes connecting: a client's view */
    CURLcode cr = curl_easy_perform(st.h);
    char what[256], got[160];
    arrived(&st, got, sizeof got);
    if (!st.http_status) curl_easy_getinfo(st.h, CURLINFO_RESPONSE_CODE, &st.http_status);
    if (st.stopped) {
        deliver(&st, 0, 1);
        rc = teai__fail(err, TEAI_EINTR, "%s: stopped by the caller; %s", st.url, got);
    } else if (st.fail) {
        deliver(&st, 0, 0);
        rc = teai__fail(err, st.fail, "%s", st.ferr.msg);
    } else if (st.http_status >= 400) {
        rc = http_error(err, st.url, st.http_status, &st.errbody);
    } else if (st.done) { /* complete, whatever the connection did afterwards */
        if (deliver(&st, 1, 0))
            rc = teai__fail(err, TEAI_EINTR, "%s: stopped by the caller", st.url);
    } else if (cr != CURLE_OK) {
        curl_problem(st.h, cr, errbuf, b->timeout_s, what, sizeof what);
        deliver(&st, 0, 0);
        if (st.n_chunks == 0 && cr != CURLE_OPERATION_TIMEDOUT)
            rc = teai__fail(err, TEAI_EIO, "%s: %s", st.url, what);
        else
            rc = teai__fail(err, TEAI_EIO, "%s: %s; %s", st.url, what, got);
    } else if (st.n_chunks == 0) {
        char *ct = NULL;
        curl_easy_getinfo(st.h, CURLINFO_CONTENT_TYPE, &ct);
        rc = teai__fail(err, TEAI_EFORMAT,
                        "%s: the response holds no server-sent events (Content-Type: %s); "
                        "does the server stream?",
                        st.url, ct ? ct : "none");
    } else if (!st.finished) {
        deliver(&st, 0, 0);
        rc =
            teai__fail(err, TEAI_EIO,
                       "%s: connection dropped (the stream ended without [DONE]); %s", st.url, got);
    } else if (deliver(&st, 1, 0)) {
        rc = teai__fail(err, TEAI_EINTR, "%s: stopped by the caller", st.url);
    }
done:
    if (st.h) curl_easy_cleanup(st.h);
    curl_slist_free_all(hdrs);
    cJSON_free(body);
    teai_buf_free(&url);
    run_state_free(&st);
    return rc;
}

#else /* !TEAI_HAVE_CJSON: requests and chunks are JSON */

struct teai_backend {
    int unused;
};

static int oai_open(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                    teai_error *err) {
    (void)cfg;
    *out = NULL;
    memset(info, 0, sizeof *info);
    info->memory = TEAI_MEM_REMOTE;
    return teai__fail(err, TEAI_EUNSUPPORTED,
                      "openai backend: built without cJSON (install libcjson-dev, then rebuild)");
}

static int oai_run(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                   teai_error *err) {
    (void)b, (void)p, (void)cb, (void)ud;
    return teai__fail(err, TEAI_EUNSUPPORTED, "openai backend: built without cJSON");
}

static void oai_close(teai_backend *b) {
    free(b);
}

#endif

const teai_backend_ops teai__backend_openai = {
    .name = "openai",
    .open = oai_open,
    .run = oai_run,
    .close = oai_close,
};
