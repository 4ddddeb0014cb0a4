/* The HTTP transport of `teai serve`, on libmicrohttpd: a thread per
 * connection, so a request may block while it waits for the engine, while
 * it generates, and between the chunks of a stream.
 *
 * A client that leaves is noticed by peeking at its socket (a read of 0
 * bytes: closed) every 50 ms while it waits and before every token, and by
 * libmicrohttpd when a send fails; its place in the queue or the engine is
 * given up at once. */
#include "server/server.h"

#include <microhttpd.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

#define SRV_STREAM_BLOCK 16384 /* bytes MHD asks the stream for at most */
#define SRV_DRAIN_MS     10000 /* how long a stop waits for running requests to end */
#define SRV_IDLE_S       120   /* an idle keep-alive connection is closed after this */
#define SRV_STALL_S      15    /* a stream whose client reads nothing for this long ends */

struct teai_server {
    teai__srv_engine eng;
    teai_server_params p; /* the strings point to the copies below */
    char *host, *api_key, *model_id;
    struct MHD_Daemon *d;
    atomic_int started; /* set once MHD_start_daemon returned: the logger's cue */
    int port;
    char fingerprint[64];
    char start_err[256]; /* libmicrohttpd's words when it cannot start */
    pthread_mutex_t mu;  /* guards what follows */
    uint64_t next_id;
    int n_active; /* generation requests not yet completed (a stop waits for them) */
};

/* Per request: what the first call learned, and the body as it arrives. */
typedef struct conn_state {
    teai__srv_endpoint ep;
    int counted; /* in n_active */
    int too_large;
    teai_buf body;
} conn_state;

/* A generation request, from parsing to its last byte; for a stream, the
 * state of the response callback (freed by libmicrohttpd through job_free). */
typedef struct job {
    teai_server *s;
    teai__srv_request req;
    teai__srv_gen gen;
    int fd;        /* the client's socket, for client_gone */
    int has_slot;  /* holds the engine */
    int has_gen;   /* gen was begun */
    int streaming; /* the stream response was queued */
    char id[48];
    teai__srv_meta meta;
    uint64_t t0_ns;
    teai_buf text; /* text freed by one step */
    teai_buf out;  /* stream bytes not yet handed to MHD */
    size_t off;
    int phase; /* stream: ROLE, TOKENS, TAIL, END */
} job;

enum { PHASE_ROLE, PHASE_TOKENS, PHASE_TAIL, PHASE_END };

static void mhd_logger(void *cls, const char *fmt, va_list ap) {
    teai_server *s = cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    if (!atomic_load(&s->started)) { /* still starting: kept for the error message */
        pthread_mutex_lock(&s->mu);
        if (!s->start_err[0]) snprintf(s->start_err, sizeof s->start_err, "%s", msg);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    /* a request this server ended on purpose (the client left) is logged by it */
    if (strncmp(msg, "Application reported internal error", 35) == 0 ||
        strncmp(msg, "Closing connection (application error", 37) == 0)
        return;
    teai__notef(s->p.log, s->p.log_ud, "libmicrohttpd: %s", msg);
}

/* 1 when the peer has closed (or reset) the connection. */
static int client_gone(void *ud) {
    int fd = *(const int *)ud;
    if (fd < 0) return 0;
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) return 1;
    return r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

static int stopping(const teai_server *s) {
    return s->eng.stopping;
}

/* "cmpl-<24 hex>", unique within the process. */
static void new_id(teai_server *s, const char *prefix, char *out, size_t cap) {
    pthread_mutex_lock(&s->mu);
    uint64_t n = ++s->next_id;
    pthread_mutex_unlock(&s->mu);
    uint64_t x = teai__now_ns() ^ (n * 0x9e3779b97f4a7c15ull);
    x ^= x >> 31, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 29;
    snprintf(out, cap, "%s-%016llx%08llx", prefix, (unsigned long long)x,
             (unsigned long long)(n & 0xffffffffu));
}

/* ---- plain responses ------------------------------------------------------ */

/* Queues json (malloc'd; freed here) with the given status. */
static MHD_RESULT send_json(struct MHD_Connection *c, unsigned status, char *json,
                            const char *hname, const char *hvalue) {
    if (!json) return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_COPY);
    free(json);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (hname) MHD_add_response_header(r, hname, hvalue);
    MHD_RESULT ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static MHD_RESULT send_error(teai_server *s, struct MHD_Connection *c, const char *method,
                             const char *url, const teai__srv_error *e) {
    const char *hname = NULL, *hvalue = NULL;
    if (e->http == 401) hname = "WWW-Authenticate", hvalue = "Bearer";
    if (e->http == 503) hname = "Retry-After", hvalue = "1";
    if (e->http == 405) {
        hname = "Allow";
        hvalue = teai__srv_method(teai__srv_route(url));
    }
    teai__notef(s->p.log, s->p.log_ud, "%s %.200s %d %s", method, url, e->http, e->message);
    return send_json(c, (unsigned)e->http, teai__srv_error_json(e), hname, hvalue);
}

static MHD_RESULT fail(teai_server *s, struct MHD_Connection *c, const char *method,
                       const char *url, int http, const char *type, const char *param,
                       const char *code, const char *msg) {
    teai__srv_error e;
    teai__srv_fail(&e, http, type, param, code, "%s", msg);
    return send_error(s, c, method, url, &e);
}

/* ---- generation ------------------------------------------------------------ */

static void job_release(job *j) {
    if (j->has_gen) {
        teai__srv_gen_free(&j->gen);
        j->has_gen = 0;
    }
    if (j->has_slot) {
        teai__srv_engine_release(&j->s->eng);
        j->has_slot = 0;
    }
}

static void job_free(void *cls) {
    job *j = cls;
    if (!j) return;
    if (j->streaming && j->phase != PHASE_END)
        teai__notef(j->s->p.log, j->s->p.log_ud, "stream %s: the client left after %d tokens",
                    j->id, j->gen.n_gen);
    job_release(j);
    teai__srv_request_free(&j->req);
    teai_buf_free(&j->text);
    teai_buf_free(&j->out);
    free(j);
}

static teai__srv_usage usage_of(const job *j) {
    teai__srv_usage u = {j->gen.n_prompt, j->gen.n_gen, j->gen.prompt_ms, j->gen.predicted_ms};
    return u;
}

static void log_done(const job *j, const char *how) {
    teai__notef(j->s->p.log, j->s->p.log_ud,
                "POST /v1/%s 200 %s%s: %d prompt + %d tokens (%s) in %.0f ms, prefill %.1f ms",
                j->req.chat ? "chat/completions" : "completions", j->req.stream ? "stream " : "",
                j->id, j->gen.n_prompt, j->gen.n_gen, how,
                (double)(teai__now_ns() - j->t0_ns) / 1e6, j->gen.prompt_ms);
}

/* Appends "data: <json>\n\n" (json malloc'd, freed here). */
static int sse_add(job *j, char *json) {
    int rc = json ? teai_buf_printf(&j->out, "data: %s\n\n", json) : TEAI_ENOMEM;
    free(json);
    return rc;
}

static int sse_error(job *j, int http, const char *type, const char *msg) {
    teai__srv_error e;
    teai__srv_fail(&e, http, type, NULL, NULL, "%s", msg);
    return sse_add(j, teai__srv_error_json(&e));
}

/* Fills j->out with the next piece of the stream; 0 at its end, -1 when it
 * must be cut (client gone, out of memory). */
static int stream_more(job *j) {
    const int chat = j->req.chat;
    j->out.len = 0;
    j->off = 0;
    switch (j->phase) {
        case PHASE_END:
            return 0;
        case PHASE_ROLE: /* chat: the assistant's turn opens first */
            j->phase = PHASE_TOKENS;
            return sse_add(j, teai__srv_chunk_json(1, &j->meta, "", 0, -1, 1, TEAI__SRV_RUNNING,
                                                   NULL, 0))
                       ? -1
                       : 1;
        case PHASE_TAIL: {
            teai__srv_usage u = usage_of(j);
            int rc = j->req.include_usage
                         ? sse_add(j, teai__srv_chunk_json(chat, &j->meta, NULL, 0, -1, 0,
                                                           TEAI__SRV_RUNNING, &u, 1))
                         : 0;
            if (!rc) rc = teai_buf_addstr(&j->out, "data: [DONE]\n\n");
            j->phase = PHASE_END;
            return rc ? -1 : 1;
        }
        default:
            break;
    }
    if (client_gone(&j->fd)) return -1;
    if (stopping(j->s)) {
        teai__notef(j->s->p.log, j->s->p.log_ud,
                    "stream %s: stopped by the server's shutdown after %d tokens", j->id,
                    j->gen.n_gen);
        j->phase = PHASE_END;
        job_release(j);
        return sse_error(j, 503, "unavailable_error",
                         "the server is shutting down; the generation was stopped")
                   ? -1
                   : 1;
    }
    teai_error err = {0};
    int32_t tok;
    j->text.len = 0;
    int rc = teai__srv_gen_step(&j->gen, &j->text, &tok, &err);
    if (rc) {
        teai__notef(j->s->p.log, j->s->p.log_ud, "stream %s: %s", j->id, err.msg);
        j->phase = PHASE_END;
        job_release(j);
        return sse_error(j, 500, "server_error", err.msg[0] ? err.msg : "generation failed") ? -1
                                                                                             : 1;
    }
    const char *text = j->text.data ? j->text.data : "";
    if (tok >= 0 || j->text.len > 0)
        rc = sse_add(j, teai__srv_chunk_json(chat, &j->meta, text, j->text.len, tok, 0,
                                             TEAI__SRV_RUNNING, NULL, 0));
    if (!rc && j->gen.finish != TEAI__SRV_RUNNING) {
        teai__srv_usage u = usage_of(j);
        rc = sse_add(j, teai__srv_chunk_json(chat, &j->meta, chat ? NULL : "", 0, -1, 0,
                                             j->gen.finish, &u, 0));
        log_done(j, j->gen.finish == TEAI__SRV_FINISH_STOP ? "stop" : "length");
        j->phase = PHASE_TAIL;
        job_release(j); /* the next request may start while the tail is sent */
    }
    return rc ? -1 : 1;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    job *j = cls;
    (void)pos;
    while (j->off == j->out.len) {
        int more = stream_more(j);
        if (more < 0) {
            job_release(j);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (more == 0) {
            job_release(j);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
    }
    size_t n = j->out.len - j->off < max ? j->out.len - j->off : max;
    memcpy(buf, j->out.data + j->off, n);
    j->off += n;
    return (ssize_t)n;
}

static MHD_RESULT generate(teai_server *s, struct MHD_Connection *c, const char *method,
                           const char *url, conn_state *cs) {
    const int chat = cs->ep == TEAI__SRV_CHAT;
    teai__srv_error e;
    job *j = calloc(1, sizeof *j);
    if (!j) return MHD_NO;
    j->s = s;
    j->t0_ns = teai__now_ns();
    teai_buf_init(&j->text, 0);
    teai_buf_init(&j->out, 0);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    j->fd = ci ? ci->connect_fd : -1;
    if (teai__srv_request_parse(cs->body.data, cs->body.len, chat, s->p.max_tokens, &j->req, &e)) {
        job_free(j);
        return send_error(s, c, method, url, &e);
    }
    int32_t *ids = NULL;
    int n_ids = 0, max_tokens = 0;
    if (teai__srv_prompt(&s->eng, &j->req, s->p.max_tokens, &ids, &n_ids, &max_tokens, &e)) {
        job_free(j);
        return send_error(s, c, method, url, &e);
    }
    int rc = teai__srv_engine_acquire(&s->eng, client_gone, &j->fd);
    if (rc) {
        free(ids);
        job_free(j);
        if (rc == TEAI_ERANGE)
            return fail(s, c, method, url, 503, "unavailable_error", NULL, "queue_full",
                        "the server is busy: its queue of waiting requests is full; retry later");
        if (stopping(s))
            return fail(s, c, method, url, 503, "unavailable_error", NULL, "shutting_down",
                        "the server is shutting down");
        teai__notef(s->p.log, s->p.log_ud, "%s %.200s: the client left while queued", method, url);
        return MHD_NO; /* the client is gone: close */
    }
    j->has_slot = 1;
    teai_error err = {0};
    new_id(s, chat ? "chatcmpl" : "cmpl", j->id, sizeof j->id);
    j->meta = (teai__srv_meta){j->id, s->model_id, (long long)time(NULL), s->fingerprint};
    rc = teai__srv_gen_begin(&j->gen, &s->eng, &j->req, ids, n_ids, max_tokens, &err);
    free(ids);
    j->has_gen = 1;
    if (rc) {
        job_free(j);
        return fail(s, c, method, url, 500, "server_error", NULL, NULL,
                    err.msg[0] ? err.msg : "the prompt could not be evaluated");
    }
    if (j->req.stream) {
        j->phase = chat ? PHASE_ROLE : PHASE_TOKENS;
        struct MHD_Response *r = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, SRV_STREAM_BLOCK, stream_read, j, job_free);
        if (!r) {
            job_free(j);
            return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "text/event-stream");
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        MHD_add_response_header(r, "X-Accel-Buffering", "no");
        j->streaming = 1;
        /* the stream holds the engine: a client that stops reading (its socket
         * buffer full) gives it back after SRV_STALL_S, not SRV_IDLE_S */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)SRV_STALL_S);
        MHD_RESULT ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    /* not streamed: generate here, then answer */
    teai_buf all;
    teai_buf_init(&all, 0);
    rc = TEAI_OK;
    int gone = 0, stop = 0;
    while (rc == TEAI_OK && j->gen.finish == TEAI__SRV_RUNNING) {
        if ((gone = client_gone(&j->fd)) || (stop = stopping(s))) break;
        int32_t tok;
        rc = teai__srv_gen_step(&j->gen, &all, &tok, &err);
    }
    MHD_RESULT ret;
    if (gone) {
        teai__notef(s->p.log, s->p.log_ud, "%s %.200s %s: the client left after %d tokens", method,
                    url, j->id, j->gen.n_gen);
        ret = MHD_NO;
    } else if (stop) {
        ret = fail(s, c, method, url, 503, "unavailable_error", NULL, "shutting_down",
                   "the server is shutting down; the generation was stopped");
    } else if (rc) {
        ret = fail(s, c, method, url, 500, "server_error", NULL, NULL,
                   err.msg[0] ? err.msg : "generation failed");
    } else {
        teai__srv_usage u = usage_of(j);
        job_release(j);
        log_done(j, j->gen.finish == TEAI__SRV_FINISH_STOP ? "stop" : "length");
        ret = send_json(c, 200,
                        teai__srv_response_json(chat, &j->meta, all.data ? all.data : "", all.len,
                                                j->gen.finish, &u),
                        NULL, NULL);
    }
    teai_buf_free(&all);
    j->phase = PHASE_END;
    job_free(j);
    return ret;
}

/* ---- requests ---------------------------------------------------------------- */

static MHD_RESULT on_request(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls) {
    teai_server *s = cls;
    conn_state *cs = *con_cls;
    (void)version;
    if (!cs) { /* the headers: route, key, size; GETs are answered now */
        if (!(cs = calloc(1, sizeof *cs))) return MHD_NO;
        teai_buf_init(&cs->body, s->p.max_body);
        *con_cls = cs;
        cs->ep = teai__srv_route(url);
        if (cs->ep != TEAI__SRV_HEALTH &&
            !teai__srv_auth_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                               s->api_key))
            return fail(s, c, method, url, 401, "authentication_error", NULL, "invalid_api_key",
                        "invalid or missing API key (send 'Authorization: Bearer KEY')");
        if (cs->ep == TEAI__SRV_NONE) {
            char msg[400];
            snprintf(msg, sizeof msg,
                     "no such endpoint: %.200s (this server has GET /health, GET /v1/models, "
                     "POST /v1/completions, POST /v1/chat/completions)",
                     url);
            return fail(s, c, method, url, 404, "not_found_error", NULL, "not_found", msg);
        }
        if (strcmp(method, teai__srv_method(cs->ep)) != 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "%.200s takes %s, not %.20s", url, teai__srv_method(cs->ep),
                     method);
            return fail(s, c, method, url, 405, "invalid_request_error", NULL, "method_not_allowed",
                        msg);
        }
        if (cs->ep == TEAI__SRV_HEALTH) {
            pthread_mutex_lock(&s->eng.mu);
            int busy = s->eng.busy, waiting = s->eng.waiting;
            pthread_mutex_unlock(&s->eng.mu);
            char json[160];
            snprintf(json, sizeof json, "{\"status\":\"%s\",\"busy\":%d,\"waiting\":%d}",
                     stopping(s) ? "stopping" : "ok", busy, waiting);
            char *dup = strdup(json);
            return send_json(c, stopping(s) ? 503 : 200, dup, NULL, NULL);
        }
        if (cs->ep == TEAI__SRV_MODELS)
            return send_json(c, 200,
                             teai__srv_models_json(s->eng.model, s->model_id, s->eng.n_ctx,
                                                   (long long)time(NULL)),
                             NULL, NULL);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > s->p.max_body) cs->too_large = 1;
        }
        if (cs->too_large) { /* refused before the body is sent */
            char msg[120];
            snprintf(msg, sizeof msg,
                     "the request body is larger than this server's limit of %zu bytes",
                     s->p.max_body);
            return fail(s, c, method, url, 413, "invalid_request_error", NULL, "request_too_large",
                        msg);
        }
        pthread_mutex_lock(&s->mu);
        s->n_active++;
        cs->counted = 1;
        pthread_mutex_unlock(&s->mu);
        return MHD_YES;
    }
    if (*upload_size) { /* a piece of the body */
        if (!cs->too_large && teai_buf_add(&cs->body, upload, *upload_size) != TEAI_OK)
            cs->too_large = 1; /* the rest is read and dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    if (cs->too_large) {
        char msg[120];
        snprintf(msg, sizeof msg,
                 "the request body is larger than this server's limit of %zu bytes", s->p.max_body);
        return fail(s, c, method, url, 413, "invalid_request_error", NULL, "request_too_large",
                    msg);
    }
    if (stopping(s))
        return fail(s, c, method, url, 503, "unavailable_error", NULL, "shutting_down",
                    "the server is shutting down");
    return generate(s, c, method, url, cs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    teai_server *s = cls;
    conn_state *cs = *con_cls;
    (void)c, (void)toe;
    if (!cs) return;
    if (cs->counted) {
        pthread_mutex_lock(&s->mu);
        s->n_active--;
        pthread_mutex_unlock(&s->mu);
    }
    teai_buf_free(&cs->body);
    free(cs);
    *con_cls = NULL;
}

/* ---- the server ---------------------------------------------------------- */

teai_server_params teai_server_default_params(void) {
    teai_server_params p;
    memset(&p, 0, sizeof p);
    p.host = "127.0.0.1";
    p.port = 7776;
    p.max_body = (size_t)1 << 20;
    p.max_tokens = 4096;
    p.queue = 8;
    p.cp = teai_context_default_params();
    return p;
}

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

static void server_free(teai_server *s) {
    teai__srv_engine_free(&s->eng);
    pthread_mutex_destroy(&s->mu);
    free(s->host);
    free(s->api_key);
    free(s->model_id);
    free(s);
}

int teai_server_start(const teai_model *model, const teai_server_params *p, teai_server **out,
                      teai_error *err) {
    *out = NULL;
    if (!p->host || !p->host[0]) return teai__fail(err, TEAI_EINVAL, "server: no host");
    if (p->port < 0 || p->port > 65535)
        return teai__fail(err, TEAI_EINVAL, "server: port %d is not 0..65535", p->port);
    if (p->max_tokens < 1 || p->max_body < 1 || p->queue < 0)
        return teai__fail(err, TEAI_EINVAL, "server: limits must be positive");
    teai_server *s = calloc(1, sizeof *s);
    if (!s) return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->p = *p;
    s->host = strdup(p->host);
    s->api_key = dup_or_null(p->api_key && p->api_key[0] ? p->api_key : NULL);
    s->model_id = strdup(p->model_id && p->model_id[0] ? p->model_id : "teai");
    if (!s->host || !s->model_id || (p->api_key && p->api_key[0] && !s->api_key)) {
        server_free(s);
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    }
    s->p.host = s->host, s->p.api_key = s->api_key, s->p.model_id = s->model_id;
    snprintf(s->fingerprint, sizeof s->fingerprint, "teai-%s-%s", TEAI_VERSION, TEAI_GIT_COMMIT);
    int rc = teai__srv_engine_init(&s->eng, model, &p->cp, p->queue, err);
    if (rc) {
        server_free(s);
        return rc;
    }

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", p->port);
    int gai = getaddrinfo(p->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        server_free(s);
        return teai__fail(err, TEAI_EINVAL, "server: cannot resolve host '%s': %s", p->host,
                          gai_strerror(gai));
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(flags, (uint16_t)p->port, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, /* first: see its doc */
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SRV_IDLE_S,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    atomic_store(&s->started, 1);
    if (!s->d) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", s->start_err[0] ? s->start_err : "libmicrohttpd failed");
        server_free(s);
        return teai__fail(err, TEAI_EIO, "server: cannot listen on %s port %d: %s", p->host,
                          p->port, msg);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : p->port;
    *out = s;
    return TEAI_OK;
}

int teai_server_port(const teai_server *s) {
    return s->port;
}

void teai_server_stop(teai_server *s) {
    if (!s) return;
    pthread_mutex_lock(&s->eng.mu);
    s->eng.stopping = 1;
    pthread_cond_broadcast(&s->eng.cv);
    pthread_mutex_unlock(&s->eng.mu);
    /* no new connections; the socket stays open until the daemon has stopped
     * (its polling thread may still look at it) */
    MHD_socket lfd = MHD_quiesce_daemon(s->d);
    /* running requests end at their next token; let their last bytes go out */
    for (int waited = 0; waited < SRV_DRAIN_MS; waited += 10) {
        pthread_mutex_lock(&s->mu);
        int n = s->n_active;
        pthread_mutex_unlock(&s->mu);
        if (n == 0) break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->d);
    s->d = NULL;
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    server_free(s);
}
