/* The HTTP/1.1 transport of `teai serve`: one thread runs a poll() loop over
 * nonblocking sockets (no FD_SETSIZE bound); requests are parsed by
 * http_parse.c; generation runs on the scheduler's thread (sched.c), whose
 * events (text, the end, an error) are queued on the request's job under a
 * lock and wake the loop through a pipe; the loop turns them into JSON and
 * writes them: a whole response with Content-Length, or a stream of
 * server-sent events in chunked encoding.
 *
 * Defences (docs/serve.md "Connections and limits"): a connection limit and
 * a per-address limit (past them the oldest connection that has not sent a
 * whole request head is closed for the new one, else the new one gets 503
 * or 429); a request head must arrive within header_timeout_s of the
 * connection (or of its first byte on a kept-alive connection); a body
 * within idle_timeout_s; an idle kept-alive connection is closed after
 * idle_timeout_s; a client that reads nothing for SRV_STALL_S gives its
 * generation up. Every error the server sends, the parser's included, is
 * OpenAI-shaped JSON with one status line. Log lines escape control
 * characters (teai__escape_ctl_str), so nothing a client sends can forge
 * one. A client that leaves is noticed by a read of 0 bytes or a failed
 * write; its request is cancelled in the scheduler at once. */
#include "server/http.h"
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SRV_READ_CHUNK   16384 /* bytes read from a socket at once */
#define SRV_IN_MAX       65536 /* bytes read ahead (pipelined) while a request is served */
#define SRV_STALL_S      15    /* a response whose client reads nothing for this long ends */
#define SRV_LINGER_MS    2000  /* after an error reply: what the client still sends is read */
#define SRV_DRAIN_MS     10000 /* how long a stop waits for running requests to end */
#define SRV_ACCEPT_BURST 64    /* connections accepted per loop turn */
#define SRV_FD_RESERVE   32    /* open files kept for everything but connections */
#define SRV_MS           1000000ull

#ifdef MSG_NOSIGNAL
#define SRV_SEND_FLAGS MSG_NOSIGNAL /* a client that left is EPIPE, not SIGPIPE */
#else
#define SRV_SEND_FLAGS 0
#endif

enum { C_READ, C_JOB, C_SEND, C_LINGER };

typedef struct conn conn;

/* A generation request from submission to its final event. The scheduler
 * thread writes evq, final and final_ev (under s->mu); everything else
 * belongs to the loop. */
typedef struct job {
    teai_server *s;
    teai__srv_request req;
    uint64_t id;
    int chat, stream;
    char cid[48];
    teai__srv_meta meta;
    teai_buf evq;             /* TEXT events: {int32 token, uint32 len} + len bytes each */
    int final, ready, oom;    /* under s->mu */
    teai__srv_event final_ev; /* DONE or ERROR; its text is not kept */
    int started;              /* a TEXT event came (it holds a slot) */
    int n_text;               /* TEXT events passed on */
    int head_sent;            /* stream: the 200 and its headers went out */
    teai_buf text;            /* not streamed: the text so far */
} job;

struct conn {
    int fd;
    int state;
    int dead;
    teai__http_parser p;
    teai_buf in; /* bytes read, from in_off not yet parsed */
    size_t in_off;
    teai_buf out; /* bytes to send, from out_off */
    size_t out_off;
    int close_after; /* close once out is sent */
    int unread;      /* the client may still send a body we will not read: linger */
    int got_head;    /* the current request's head is complete */
    int http10;      /* the current request is HTTP/1.0: no chunked stream */
    int peer_eof;    /* the client sent its last byte (shut its side) */
    int n_req;       /* request heads received */
    teai__srv_endpoint ep;
    uint64_t t_idle;     /* since when it waits for a request (accept or last response) */
    uint64_t t_deadline; /* the head or body must be complete by then */
    uint64_t t_progress; /* the last time a byte of out went */
    uint64_t t_req;      /* the current request's head came */
    int req_started;     /* a byte of the current request came */
    unsigned char addr[16];
    int alen;
    char addr_str[48];
    char what[240]; /* "POST /v1/completions", escaped: the log lines' subject */
    job *job;
};

struct teai_server {
    teai__srv_sched *sched;
    teai_server_params p; /* the strings point to the copies below */
    char *host, *api_key, *model_id;
    char fingerprint[64];
    int lfd, port;
    int wake[2]; /* pipe: the scheduler's events and a stop wake the loop */
    atomic_int wake_pending;
    atomic_int stop_req;
    pthread_t th;
    int th_started;
    pthread_mutex_t mu; /* guards the jobs' event queues */
    /* the loop's own */
    conn **conns;
    int n_conns, cap_conns;
    struct pollfd *pfd;
    conn **pconn;
    int cap_pfd;
    int stopping;
    uint64_t t_drain_end, t_accept_pause;
    uint64_t next_id;
    int n_jobs, n_started;                  /* /health's running and waiting */
    int max_conns;                          /* max_connections, within the open-file limit */
    long n_refused, n_evicted, n_timed_out; /* since the last note about them */
    uint64_t t_limits_note;
};

/* ---- logging ------------------------------------------------------------ */

/* One log line, every control character in it escaped. */
static void note(teai_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(teai_server *s, const char *fmt, ...) {
    if (!s->p.log) return;
    char line[1024], esc[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->p.log(s->p.log_ud, teai__escape_ctl_str(esc, sizeof esc, line));
}

/* ---- small things --------------------------------------------------------- */

static void wake(teai_server *s) {
    if (atomic_exchange(&s->wake_pending, 1)) return;
    char c = 1;
    ssize_t r = write(s->wake[1], &c, 1);
    (void)r; /* full: the loop is woken anyway */
}

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* "cmpl-<24 hex>", unique within the process. */
static void new_id(teai_server *s, const char *prefix, char *out, size_t cap) {
    uint64_t n = ++s->next_id;
    uint64_t x = teai__now_ns() ^ (n * 0x9e3779b97f4a7c15ull);
    x ^= x >> 31, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 29;
    snprintf(out, cap, "%s-%016llx%08llx", prefix, (unsigned long long)x,
             (unsigned long long)(n & 0xffffffffu));
}

/* ---- the scheduler's events (its thread) ---------------------------------- */

typedef struct ev_rec {
    int32_t token;
    uint32_t len;
} ev_rec;

static void on_event(void *ud, const teai__srv_event *ev) {
    job *j = ud;
    teai_server *s = j->s;
    pthread_mutex_lock(&s->mu);
    if (ev->kind == TEAI__SRV_EV_TEXT) {
        ev_rec r = {ev->token, (uint32_t)ev->len};
        if (teai_buf_add(&j->evq, &r, sizeof r) || teai_buf_add(&j->evq, ev->text, ev->len))
            j->oom = 1;
    } else {
        j->final_ev = *ev;
        j->final_ev.text = NULL;
        j->final_ev.len = 0;
        j->final = 1;
    }
    j->ready = 1;
    pthread_mutex_unlock(&s->mu);
    wake(s);
}

/* ---- output ----------------------------------------------------------------- */

static void job_free(teai_server *s, job *j) {
    if (!j) return;
    s->n_jobs--;
    if (j->started) s->n_started--;
    teai__srv_request_free(&j->req);
    teai_buf_free(&j->evq);
    teai_buf_free(&j->text);
    free(j);
}

/* Cancels c's job in the scheduler (no event comes after) and frees it. */
static void job_drop(teai_server *s, conn *c) {
    if (!c->job) return;
    teai__srv_sched_cancel(s->sched, c->job->id);
    job_free(s, c->job);
    c->job = NULL;
}

static void conn_close(teai_server *s, conn *c) {
    if (c->dead) return;
    job_drop(s, c);
    close(c->fd);
    c->fd = -1;
    c->dead = 1;
}

/* Sends what it can of c->out; closes c when the client is gone. */
static void flush_out(teai_server *s, conn *c);

static int out_add(conn *c, const void *p, size_t n) {
    return teai_buf_add(&c->out, p, n);
}

/* The status line and headers of a whole JSON response, then json. */
static int put_response(teai_server *s, conn *c, int status, const char *json, const char *hname,
                        const char *hvalue) {
    (void)s;
    size_t n = strlen(json);
    int rc = teai_buf_printf(&c->out,
                             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n",
                             status, teai__http_reason(status), n);
    if (!rc && hname) rc = teai_buf_printf(&c->out, "%s: %s\r\n", hname, hvalue);
    if (!rc)
        rc = teai_buf_printf(&c->out, "Connection: %s\r\n\r\n",
                             c->close_after ? "close" : "keep-alive");
    if (!rc) rc = out_add(c, json, n);
    return rc;
}

/* The request is answered: c waits for its bytes to go, then for the next
 * request (or closes). */
static void request_done(teai_server *s, conn *c) {
    c->state = C_SEND;
    c->got_head = 0;
    c->req_started = 0;
    teai__http_reset(&c->p);
    if (s->stopping) c->close_after = 1;
    flush_out(s, c);
}

/* A whole JSON response (json malloc'd, freed here). */
static void respond(teai_server *s, conn *c, int status, char *json, const char *hname,
                    const char *hvalue) {
    static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\","
                              "\"param\":null,\"code\":null}}";
    if (!json) status = 500, c->close_after = 1;
    if (put_response(s, c, status, json ? json : oom, hname, hvalue)) {
        free(json);
        conn_close(s, c);
        return;
    }
    free(json);
    request_done(s, c);
}

/* An error response, logged with what the request was. */
static void respond_error(teai_server *s, conn *c, const teai__srv_error *e) {
    const char *hname = NULL, *hvalue = NULL;
    if (e->http == 401) hname = "WWW-Authenticate", hvalue = "Bearer";
    if (e->http == 503 || e->http == 429) hname = "Retry-After", hvalue = "1";
    if (e->http == 405) hname = "Allow", hvalue = teai__srv_method(c->ep);
    note(s, "%s %d %s", c->what[0] ? c->what : c->addr_str, e->http, e->message);
    respond(s, c, e->http, teai__srv_error_json(e), hname, hvalue);
}

static void fail(teai_server *s, conn *c, int http, const char *type, const char *code,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void fail(teai_server *s, conn *c, int http, const char *type, const char *code,
                 const char *fmt, ...) {
    teai__srv_error e;
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    teai__srv_fail(&e, http, type, NULL, code, "%s", msg);
    respond_error(s, c, &e);
}

/* One chunk of a chunked body (HTTP/1.1), or the bytes as they are (1.0). */
static int put_chunk(conn *c, const char *data, size_t n) {
    if (c->http10) return out_add(c, data, n);
    int rc = teai_buf_printf(&c->out, "%zx\r\n", n);
    if (!rc) rc = out_add(c, data, n);
    if (!rc) rc = out_add(c, "\r\n", 2);
    return rc;
}

/* "data: <json>\n\n" as one chunk (json malloc'd, freed here). */
static int put_event(conn *c, char *json) {
    if (!json) return TEAI_ENOMEM;
    size_t n = strlen(json);
    int rc = c->http10 ? 0 : teai_buf_printf(&c->out, "%zx\r\n", n + 8);
    if (!rc) rc = out_add(c, "data: ", 6);
    if (!rc) rc = out_add(c, json, n);
    if (!rc) rc = c->http10 ? out_add(c, "\n\n", 2) : out_add(c, "\n\n\r\n", 4);
    free(json);
    return rc;
}

static int put_stream_head(conn *c, job *j) {
    int rc = teai_buf_printf(&c->out,
                             "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n%s\r\n",
                             c->http10 ? "Connection: close\r\n"
                             : c->close_after
                                 ? "Transfer-Encoding: chunked\r\nConnection: close\r\n"
                                 : "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n");
    if (c->http10) c->close_after = 1; /* a stream without chunks ends when the connection does */
    j->head_sent = 1;
    if (!rc && j->chat) /* the assistant's turn opens first */
        rc = put_event(c,
                       teai__srv_chunk_json(1, &j->meta, "", 0, -1, 1, TEAI__SRV_RUNNING, NULL, 0));
    return rc;
}

static int put_stream_end(conn *c) {
    return c->http10 ? 0 : out_add(c, "0\r\n\r\n", 5);
}

static void log_done(teai_server *s, conn *c, const job *j, const teai__srv_event *ev) {
    note(s, "%s 200 %s%s: %d prompt + %d tokens (%s) in %.0f ms, prefill %.1f ms", c->what,
         j->stream ? "stream " : "", j->cid, ev->prompt_tokens, ev->completion_tokens,
         ev->finish == TEAI__SRV_FINISH_STOP ? "stop" : "length",
         (double)(teai__now_ns() - c->t_req) / 1e6, ev->prompt_ms);
}

/* The job's new events into c->out; the final one ends the request. */
static void job_pump(teai_server *s, conn *c) {
    job *j = c->job;
    teai_buf q;
    pthread_mutex_lock(&s->mu);
    q = j->evq;
    teai_buf_init(&j->evq, 0);
    int fin = j->final, oom = j->oom;
    teai__srv_event ev = j->final_ev;
    j->ready = 0;
    pthread_mutex_unlock(&s->mu);
    int rc = oom ? TEAI_ENOMEM : TEAI_OK;
    for (size_t at = 0; !rc && at + sizeof(ev_rec) <= q.len;) {
        ev_rec r;
        memcpy(&r, q.data + at, sizeof r);
        const char *text = q.data + at + sizeof r;
        at += sizeof r + r.len;
        if (!j->started) j->started = 1, s->n_started++;
        j->n_text++;
        if (!j->stream) {
            rc = teai_buf_add(&j->text, text, r.len);
            continue;
        }
        if (!j->head_sent) rc = put_stream_head(c, j);
        if (!rc)
            rc = put_event(c, teai__srv_chunk_json(j->chat, &j->meta, text, r.len, r.token, 0,
                                                   TEAI__SRV_RUNNING, NULL, 0));
    }
    teai_buf_free(&q);
    if (rc) {
        note(s, "%s %s: out of memory; the connection is closed", c->what, j->cid);
        conn_close(s, c);
        return;
    }
    if (!fin) {
        flush_out(s, c);
        return;
    }
    /* the final event: the scheduler is done with the job */
    if (ev.kind == TEAI__SRV_EV_DONE) {
        teai__srv_usage u = {ev.prompt_tokens, ev.completion_tokens, ev.prompt_ms, ev.predicted_ms};
        log_done(s, c, j, &ev);
        if (!j->stream) {
            char *json = teai__srv_response_json(
                j->chat, &j->meta, j->text.data ? j->text.data : "", j->text.len, ev.finish, &u);
            job_free(s, j);
            c->job = NULL;
            respond(s, c, 200, json, NULL, NULL);
            return;
        }
        if (!j->head_sent) rc = put_stream_head(c, j);
        if (!rc)
            rc = put_event(c, teai__srv_chunk_json(j->chat, &j->meta, j->chat ? NULL : "", 0, -1, 0,
                                                   ev.finish, &u, 0));
        if (!rc && j->req.include_usage)
            rc = put_event(c, teai__srv_chunk_json(j->chat, &j->meta, NULL, 0, -1, 0,
                                                   TEAI__SRV_RUNNING, &u, 1));
        if (!rc) rc = put_chunk(c, "data: [DONE]\n\n", 14);
    } else if (!j->head_sent) { /* an error before the stream began: a plain error reply */
        teai__srv_error e = ev.error;
        job_free(s, j);
        c->job = NULL;
        respond_error(s, c, &e);
        return;
    } else { /* a stream cut: its last event is the error, with the same code as a reply */
        note(s, "%s %s: stream ended by an error (%d %s): %s", c->what, j->cid, ev.error.http,
             ev.error.code[0] ? ev.error.code : ev.error.type, ev.error.message);
        rc = put_event(c, teai__srv_error_json(&ev.error));
    }
    if (!rc) rc = put_stream_end(c);
    job_free(s, j);
    c->job = NULL;
    if (rc) {
        conn_close(s, c);
        return;
    }
    request_done(s, c);
}

/* ---- requests ---------------------------------------------------------------- */

static int body_declared(const teai__http_parser *p) {
    return p->chunked || p->content_length > 0;
}

static void answer_health(teai_server *s, conn *c) {
    char json[160];
    snprintf(json, sizeof json, "{\"status\":\"%s\",\"busy\":%d,\"waiting\":%d}",
             s->stopping ? "stopping" : "ok", s->n_started, s->n_jobs - s->n_started);
    respond(s, c, s->stopping ? 503 : 200, strdup(json), s->stopping ? "Retry-After" : NULL, "1");
}

static void start_job(teai_server *s, conn *c) {
    teai__srv_error e;
    if (s->stopping) {
        fail(s, c, 503, "unavailable_error", "shutting_down", "the server is shutting down");
        return;
    }
    job *j = calloc(1, sizeof *j);
    if (!j) {
        fail(s, c, 500, "server_error", NULL, "out of memory");
        return;
    }
    j->s = s;
    j->chat = c->ep == TEAI__SRV_CHAT;
    teai_buf_init(&j->evq, 0);
    teai_buf_init(&j->text, 0);
    s->n_jobs++;
    if (teai__srv_request_parse(c->p.body.data ? c->p.body.data : "", c->p.body.len, j->chat,
                                s->p.max_tokens, &j->req, &e)) {
        job_free(s, j);
        respond_error(s, c, &e);
        return;
    }
    j->stream = j->req.stream;
    new_id(s, j->chat ? "chatcmpl" : "cmpl", j->cid, sizeof j->cid);
    j->meta = (teai__srv_meta){j->cid, s->model_id, (long long)time(NULL), s->fingerprint};
    c->job = j; /* before submit: its events may come at once */
    if (teai__srv_sched_submit(s->sched, &j->req, s->p.max_tokens, on_event, j, &j->id, &e)) {
        c->job = NULL;
        job_free(s, j);
        respond_error(s, c, &e);
        return;
    }
    c->state = C_JOB;
    teai_buf_free(&c->p.body); /* the request keeps what it needs */
}

/* The head is in: refuse what can be refused before the body comes. */
static void on_head(teai_server *s, conn *c) {
    teai__http_parser *p = &c->p;
    char target[200];
    c->got_head = 1;
    c->n_req++;
    c->t_req = teai__now_ns();
    c->t_deadline = c->t_req + (uint64_t)s->p.idle_timeout_s * 1000 * SRV_MS;
    c->http10 = p->minor == 0;
    c->close_after = !p->keep_alive;
    snprintf(c->what, sizeof c->what, "%.20s %s", p->method,
             teai__escape_ctl_str(target, sizeof target, p->target));
    c->ep = teai__srv_route(p->target);
    if (body_declared(p)) c->unread = 1; /* until the body is read */
    if (s->stopping) {
        c->close_after = 1;
        fail(s, c, 503, "unavailable_error", "shutting_down", "the server is shutting down");
        return;
    }
    if (c->ep != TEAI__SRV_HEALTH &&
        !teai__srv_auth_ok(teai__http_header(p, "Authorization"), s->api_key)) {
        if (body_declared(p)) c->close_after = 1;
        fail(s, c, 401, "authentication_error", "invalid_api_key",
             "invalid or missing API key (send 'Authorization: Bearer KEY')");
        return;
    }
    if (c->ep == TEAI__SRV_NONE) {
        if (body_declared(p)) c->close_after = 1;
        fail(s, c, 404, "not_found_error", "not_found",
             "no such endpoint: %s (this server has GET /health, GET /v1/models, "
             "POST /v1/completions, POST /v1/chat/completions)",
             target);
        return;
    }
    if (strcmp(p->method, teai__srv_method(c->ep)) != 0) {
        if (body_declared(p)) c->close_after = 1;
        fail(s, c, 405, "invalid_request_error", "method_not_allowed", "%s takes %s, not %.20s",
             target, teai__srv_method(c->ep), p->method);
        return;
    }
    if (p->expect_continue && body_declared(p) && !c->http10 &&
        c->in.len == c->in_off) /* the client waits for this before it sends the body */
        out_add(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void on_request(teai_server *s, conn *c) {
    c->unread = 0;
    switch (c->ep) {
        case TEAI__SRV_HEALTH:
            answer_health(s, c);
            return;
        case TEAI__SRV_MODELS:
            respond(s, c, 200,
                    teai__srv_models_json(teai__srv_sched_model(s->sched), s->model_id,
                                          teai__srv_sched_n_ctx(s->sched), (long long)time(NULL)),
                    NULL, NULL);
            return;
        default:
            start_job(s, c);
            return;
    }
}

/* Parses what was read, request by request, while c is free to take one. */
static void process_input(teai_server *s, conn *c) {
    while (!c->dead && c->state == C_READ) {
        size_t avail = c->in.len - c->in_off, used = 0;
        if (avail == 0 && !c->got_head) break;
        if (avail && !c->req_started) { /* the head's clock starts with its first byte */
            c->req_started = 1;
            uint64_t lim = teai__now_ns() + (uint64_t)s->p.header_timeout_s * 1000 * SRV_MS;
            if (c->t_deadline == 0 || lim < c->t_deadline) c->t_deadline = lim;
        }
        teai__http_state st = teai__http_feed(&c->p, c->in.data + c->in_off, avail, &used);
        c->in_off += used;
        if (st == TEAI__HTTP_MORE) break;
        if (st == TEAI__HTTP_HEAD) {
            on_head(s, c);
            continue;
        }
        if (st == TEAI__HTTP_DONE) {
            on_request(s, c);
            continue;
        }
        /* malformed or over a limit: one JSON error, then the connection closes */
        teai__srv_error e;
        const char *type = c->p.status == 413   ? "invalid_request_error"
                           : c->p.status == 501 ? "not_implemented_error"
                                                : "invalid_request_error";
        teai__srv_fail(&e, c->p.status, type, NULL, c->p.code, "%s", c->p.msg);
        c->close_after = 1;
        c->unread = 1;
        c->ep = TEAI__SRV_NONE;
        if (!c->got_head && c->p.method) { /* the request line was read */
            char target[200];
            snprintf(c->what, sizeof c->what, "%.20s %s", c->p.method,
                     teai__escape_ctl_str(target, sizeof target, c->p.target));
        } else if (!c->got_head) {
            snprintf(c->what, sizeof c->what, "request from %s", c->addr_str);
        }
        respond_error(s, c, &e);
    }
    if (!c->dead && c->in_off == c->in.len) c->in.len = c->in_off = 0;
    if (!c->dead && c->in_off > SRV_IN_MAX / 2) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
}

static void start_linger(teai_server *s, conn *c) {
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    c->t_deadline = teai__now_ns() + SRV_LINGER_MS * SRV_MS;
    if (s->stopping && c->t_deadline > s->t_drain_end) c->t_deadline = s->t_drain_end;
}

static void flush_out(teai_server *s, conn *c) {
    if (!c->t_progress) c->t_progress = teai__now_ns(); /* the stall clock starts */
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, SRV_SEND_FLAGS);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->t_progress = teai__now_ns();
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        if (c->job)
            note(s, "%s %s: the client left after %d tokens", c->what, c->job->cid, c->job->n_text);
        conn_close(s, c);
        return;
    }
    if (c->dead) return;
    c->out.len = c->out_off = 0;
    c->t_progress = 0; /* nothing pending */
    if (c->state != C_SEND) return;
    if (c->close_after) {
        if (c->unread) {
            start_linger(s, c);
        } else {
            shutdown(c->fd, SHUT_WR);
            conn_close(s, c);
        }
        return;
    }
    c->state = C_READ; /* kept alive: the next request (the loop parses what came) */
    c->t_idle = teai__now_ns();
    c->t_deadline = 0;
}

/* ---- reading ------------------------------------------------------------------ */

static void on_readable(teai_server *s, conn *c) {
    char buf[SRV_READ_CHUNK];
    for (int turns = 0; turns < 4 && !c->dead; turns++) {
        size_t room = sizeof buf;
        if (c->state != C_READ && c->state != C_LINGER) { /* read ahead, bounded */
            size_t have = c->in.len - c->in_off;
            if (have >= SRV_IN_MAX) return;
            if (room > SRV_IN_MAX - have) room = SRV_IN_MAX - have;
        }
        ssize_t n = recv(c->fd, buf, room, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n == 0 && c->state == C_SEND) { /* half closed: the answer still goes out */
            c->close_after = 1;
            c->peer_eof = 1;
            return;
        }
        if (n <= 0) { /* closed or reset */
            if (c->job)
                note(s, "%s %s: the client left after %d tokens", c->what, c->job->cid,
                     c->job->n_text);
            conn_close(s, c);
            return;
        }
        if (c->state == C_LINGER) continue; /* dropped */
        if (teai_buf_add(&c->in, buf, (size_t)n)) {
            conn_close(s, c);
            return;
        }
        if (c->state == C_READ) process_input(s, c);
        if ((size_t)n < room) return;
    }
}

/* ---- connections and limits ------------------------------------------------ */

/* An open connection that may be closed for a newcomer: it has not sent a
 * whole request head and owes nothing. */
static int evictable(const conn *c) {
    return !c->dead && c->state == C_READ && !c->got_head && c->out.len == c->out_off;
}

/* The evictable connection idle the longest, from addr when alen > 0. */
static conn *oldest_idle(teai_server *s, const unsigned char *addr, int alen) {
    conn *best = NULL;
    for (int i = 0; i < s->n_conns; i++) {
        conn *c = s->conns[i];
        if (!evictable(c)) continue;
        if (alen && (c->alen != alen || memcmp(c->addr, addr, (size_t)alen) != 0)) continue;
        if (!best || c->t_idle < best->t_idle) best = c;
    }
    return best;
}

/* A short JSON refusal written straight to a new socket, which is then closed. */
static void refuse(int fd, int status, const char *code, const char *msg) {
    teai__srv_error e;
    teai__srv_fail(&e, status, status == 429 ? "rate_limit_error" : "unavailable_error", NULL, code,
                   "%s", msg);
    char *json = teai__srv_error_json(&e);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Retry-After: 1\r\nConnection: close\r\n\r\n",
                     status, teai__http_reason(status), json ? strlen(json) : 0);
    ssize_t r = send(fd, head, (size_t)n, SRV_SEND_FLAGS);
    if (r == n && json) r = send(fd, json, strlen(json), SRV_SEND_FLAGS);
    (void)r;
    free(json);
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void addr_of(const struct sockaddr_storage *ss, unsigned char *addr, int *alen, char *str,
                    size_t cap) {
    *alen = 0;
    str[0] = '\0';
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        memcpy(addr, &a->sin_addr, 4);
        *alen = 4;
        inet_ntop(AF_INET, &a->sin_addr, str, (socklen_t)cap);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) { /* the IPv4 client it is */
            memcpy(addr, a->sin6_addr.s6_addr + 12, 4);
            *alen = 4;
            inet_ntop(AF_INET, addr, str, (socklen_t)cap);
        } else {
            memcpy(addr, &a->sin6_addr, 16);
            *alen = 16;
            inet_ntop(AF_INET6, &a->sin6_addr, str, (socklen_t)cap);
        }
    }
}

static void accept_some(teai_server *s) {
    for (int k = 0; k < SRV_ACCEPT_BURST; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(s->lfd, (struct sockaddr *)&ss, &sl);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* out of files: the queue waits a moment instead of a busy loop */
                s->t_accept_pause = teai__now_ns() + 100 * SRV_MS;
                s->n_refused++;
            }
            return;
        }
        if (set_nonblock(fd) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* a token goes at once */
        unsigned char addr[16];
        int alen;
        char str[48];
        addr_of(&ss, addr, &alen, str, sizeof str);
        int same = 0, live = 0;
        for (int i = 0; i < s->n_conns; i++) {
            const conn *o = s->conns[i];
            if (o->dead) continue;
            live++;
            if (alen && o->alen == alen && memcmp(o->addr, addr, (size_t)alen) == 0) same++;
        }
        if (same >= s->p.max_per_ip) {
            conn *v = oldest_idle(s, addr, alen);
            if (!v) {
                s->n_refused++;
                refuse(fd, 429, "too_many_connections",
                       "too many connections from your address; retry later");
                continue;
            }
            conn_close(s, v);
            s->n_evicted++;
            live--;
        }
        if (live >= s->max_conns) {
            conn *v = oldest_idle(s, NULL, 0);
            if (!v) {
                s->n_refused++;
                refuse(fd, 503, "server_busy", "the server has too many connections; retry later");
                continue;
            }
            conn_close(s, v);
            s->n_evicted++;
        }
        if (s->n_conns == s->cap_conns) {
            int cap = s->cap_conns ? 2 * s->cap_conns : 64;
            conn **nc = realloc(s->conns, (size_t)cap * sizeof *nc);
            if (!nc) {
                close(fd);
                return;
            }
            s->conns = nc;
            s->cap_conns = cap;
        }
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->state = C_READ;
        teai__http_init(&c->p, s->p.max_head, s->p.max_body);
        teai_buf_init(&c->in, SRV_IN_MAX + SRV_READ_CHUNK);
        teai_buf_init(&c->out, 0);
        memcpy(c->addr, addr, sizeof addr);
        c->alen = alen;
        snprintf(c->addr_str, sizeof c->addr_str, "%s", str[0] ? str : "?");
        c->t_idle = teai__now_ns();
        /* a new connection has header_timeout_s for its first head, from now */
        c->t_deadline = c->t_idle + (uint64_t)s->p.header_timeout_s * 1000 * SRV_MS;
        s->conns[s->n_conns++] = c;
    }
}

/* ---- the loop ---------------------------------------------------------------------- */

/* When c must have moved on (0: no limit). */
static uint64_t deadline_of(const teai_server *s, const conn *c) {
    if (c->dead) return 0;
    if (c->out_off < c->out.len && c->state != C_LINGER)
        return c->t_progress ? c->t_progress + (uint64_t)SRV_STALL_S * 1000 * SRV_MS : 0;
    switch (c->state) {
        case C_READ:
            if (c->got_head || c->req_started || c->t_deadline) return c->t_deadline;
            return c->t_idle + (uint64_t)s->p.idle_timeout_s * 1000 * SRV_MS;
        case C_LINGER:
            return c->t_deadline;
        default:
            return 0;
    }
}

static void on_timeout(teai_server *s, conn *c) {
    if (c->state == C_READ && (c->req_started || c->got_head)) {
        /* a request begun and not finished in time: 408, then close */
        c->close_after = 1;
        c->unread = 1;
        if (!c->got_head) snprintf(c->what, sizeof c->what, "request from %s", c->addr_str);
        s->n_timed_out++;
        fail(s, c, 408, "invalid_request_error", "request_timeout",
             "the request did not arrive in time (%d s for the head, %d s for the body)",
             s->p.header_timeout_s, s->p.idle_timeout_s);
        if (!c->dead && c->out_off < c->out.len) conn_close(s, c); /* no one reads it */
        return;
    }
    if (c->job)
        note(s, "%s %s: the client read nothing for %d s; the request is cancelled", c->what,
             c->job->cid, SRV_STALL_S);
    if (c->state == C_READ && !c->n_req) s->n_timed_out++; /* never sent a request */
    conn_close(s, c);
}

static void sweep(teai_server *s) {
    int k = 0;
    for (int i = 0; i < s->n_conns; i++) {
        conn *c = s->conns[i];
        if (c->dead) {
            teai__http_free(&c->p);
            teai_buf_free(&c->in);
            teai_buf_free(&c->out);
            free(c);
            continue;
        }
        s->conns[k++] = c;
    }
    s->n_conns = k;
}

static void begin_stop(teai_server *s) {
    s->stopping = 1;
    s->t_drain_end = teai__now_ns() + SRV_DRAIN_MS * SRV_MS;
    if (s->lfd >= 0) close(s->lfd); /* no new connections */
    s->lfd = -1;
    /* queued requests end with 503 shutting_down and never take a slot;
     * running ones at their next token; their events still come */
    teai__srv_sched_stop(s->sched);
    for (int i = 0; i < s->n_conns; i++) {
        conn *c = s->conns[i];
        if (c->state == C_READ || c->state == C_LINGER)
            conn_close(s, c);
        else
            c->close_after = 1;
    }
}

static void limits_note(teai_server *s, uint64_t now) {
    if (!(s->n_refused || s->n_evicted || s->n_timed_out) || now < s->t_limits_note) return;
    note(s,
         "connections: %ld refused, %ld idle ones closed for newcomers, %ld timed out before a "
         "whole request (limits: %d connections, %d per address, %d s for a head)",
         s->n_refused, s->n_evicted, s->n_timed_out, s->max_conns, s->p.max_per_ip,
         s->p.header_timeout_s);
    s->n_refused = s->n_evicted = s->n_timed_out = 0;
    s->t_limits_note = now + 1000 * SRV_MS; /* at most one such line a second */
}

static void *loop_main(void *arg) {
    teai_server *s = arg;
    for (;;) {
        if (atomic_load(&s->stop_req) && !s->stopping) begin_stop(s);
        uint64_t now = teai__now_ns();
        if (s->stopping) {
            int live = 0;
            for (int i = 0; i < s->n_conns; i++) live += !s->conns[i]->dead;
            if (!live) break;
            if (now >= s->t_drain_end) {
                for (int i = 0; i < s->n_conns; i++) conn_close(s, s->conns[i]);
                break;
            }
        }
        int need = s->n_conns + 2;
        if (need > s->cap_pfd) {
            int cap = need * 2;
            struct pollfd *np = realloc(s->pfd, (size_t)cap * sizeof *np);
            if (np) s->pfd = np;
            conn **pc = np ? realloc(s->pconn, (size_t)cap * sizeof *pc) : NULL;
            if (pc) s->pconn = pc;
            if (!np || !pc) { /* cannot watch them all: drop the newest */
                conn_close(s, s->conns[s->n_conns - 1]);
                sweep(s);
                continue;
            }
            s->cap_pfd = cap;
        }
        int n = 0;
        s->pfd[n++] = (struct pollfd){s->wake[0], POLLIN, 0};
        int lidx = -1;
        if (s->lfd >= 0 && now >= s->t_accept_pause) {
            lidx = n;
            s->pfd[n++] = (struct pollfd){s->lfd, POLLIN, 0};
        }
        uint64_t next = now + 1000 * SRV_MS;
        if (s->stopping && s->t_drain_end < next) next = s->t_drain_end;
        if (s->t_accept_pause > now && s->t_accept_pause < next) next = s->t_accept_pause;
        int first_conn = n;
        for (int i = 0; i < s->n_conns; i++) {
            conn *c = s->conns[i];
            if (c->dead) continue;
            short ev = 0;
            if (c->out_off < c->out.len) ev |= POLLOUT;
            if (!c->peer_eof &&
                (c->state == C_READ || c->state == C_LINGER || c->in.len - c->in_off < SRV_IN_MAX))
                ev |= POLLIN;
            uint64_t d = deadline_of(s, c);
            if (d && d < next) next = d;
            s->pconn[n] = c;
            s->pfd[n++] = (struct pollfd){c->fd, ev, 0};
        }
        int ms = next > now ? (int)((next - now + SRV_MS - 1) / SRV_MS) : 0;
        int r = poll(s->pfd, (nfds_t)n, ms);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && (s->pfd[0].revents & POLLIN)) {
            char drain[256];
            while (read(s->wake[0], drain, sizeof drain) > 0) {
            }
        }
        /* the scheduler's events: clear the flag first, so none is missed */
        atomic_store(&s->wake_pending, 0);
        for (int i = 0; i < s->n_conns; i++) {
            conn *c = s->conns[i];
            if (c->dead || !c->job) continue;
            pthread_mutex_lock(&s->mu);
            int ready = c->job->ready;
            pthread_mutex_unlock(&s->mu);
            if (ready) job_pump(s, c);
        }
        for (int i = first_conn; r > 0 && i < n; i++) {
            conn *c = s->pconn[i];
            short re = s->pfd[i].revents;
            if (c->dead || !re) continue;
            if (re & POLLOUT) flush_out(s, c);
            if (c->dead) continue;
            if (re & POLLIN) {
                on_readable(s, c);
            } else if (re & (POLLHUP | POLLERR)) { /* gone, and nothing left to read */
                if (c->job)
                    note(s, "%s %s: the client left after %d tokens", c->what, c->job->cid,
                         c->job->n_text);
                conn_close(s, c);
            }
        }
        if (r > 0 && lidx >= 0 && (s->pfd[lidx].revents & POLLIN)) accept_some(s);
        /* requests read ahead, now that their connections are free for them */
        for (int i = 0; i < s->n_conns; i++) {
            conn *c = s->conns[i];
            if (!c->dead && c->state == C_READ && c->in_off < c->in.len) process_input(s, c);
        }
        now = teai__now_ns();
        for (int i = 0; i < s->n_conns; i++) {
            conn *c = s->conns[i];
            uint64_t d = deadline_of(s, c);
            if (d && now >= d) on_timeout(s, c);
        }
        limits_note(s, now);
        sweep(s);
    }
    for (int i = 0; i < s->n_conns; i++) conn_close(s, s->conns[i]);
    sweep(s);
    return NULL;
}

/* ---- the server ------------------------------------------------------------ */

teai_server_params teai_server_default_params(void) {
    teai_server_params p;
    memset(&p, 0, sizeof p);
    p.host = "127.0.0.1";
    p.port = 7776;
    p.max_body = (size_t)1 << 20;
    p.max_tokens = 4096;
    p.queue = 8;
    p.parallel = 1;
    p.max_connections = 1024;
    p.max_per_ip = 512;
    p.header_timeout_s = 10;
    p.idle_timeout_s = 60;
    p.max_head = 16384;
    p.cp = teai_context_default_params();
    return p;
}

static void server_free(teai_server *s) {
    if (s->sched) teai__srv_sched_free(s->sched);
    if (s->lfd >= 0) close(s->lfd);
    if (s->wake[0] >= 0) close(s->wake[0]);
    if (s->wake[1] >= 0) close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
    free(s->conns);
    free(s->pfd);
    free(s->pconn);
    free(s->host);
    free(s->api_key);
    free(s->model_id);
    free(s);
}

/* The open-file limit raised to its hard limit; connections fit under it. */
static int fit_open_files(teai_server *s) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return s->p.max_connections;
    if (rl.rlim_cur != RLIM_INFINITY &&
        (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max)) {
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
    }
    if (rl.rlim_cur == RLIM_INFINITY) return s->p.max_connections;
    long room = (long)rl.rlim_cur - SRV_FD_RESERVE;
    if (room < 1) room = 1;
    if (room < s->p.max_connections) {
        note(s, "--max-connections %d lowered to %ld: the open-file limit is %ld",
             s->p.max_connections, room, (long)rl.rlim_cur);
        return (int)room;
    }
    return s->p.max_connections;
}

static int listen_on(teai_server *s, teai_error *err) {
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", s->p.port);
    int gai = getaddrinfo(s->p.host, port, &hints, &ai);
    if (gai != 0 || !ai)
        return teai__fail(err, TEAI_EINVAL, "server: cannot resolve host '%s': %s", s->p.host,
                          gai_strerror(gai));
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1;
    int rc = fd < 0 ? -1 : 0;
    if (!rc) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!rc) rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
    if (!rc) rc = listen(fd, 4096);
    if (!rc) rc = set_nonblock(fd);
    if (!rc) rc = fcntl(fd, F_SETFD, FD_CLOEXEC);
    freeaddrinfo(ai);
    if (rc) {
        int e = errno;
        if (fd >= 0) close(fd);
        return teai__fail(err, TEAI_EIO, "server: cannot listen on %s port %d: %s", s->p.host,
                          s->p.port, strerror(e));
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    s->port = s->p.port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    s->lfd = fd;
    return TEAI_OK;
}

int teai_server_start(const teai_model *model, const teai_server_params *p, teai_server **out,
                      teai_error *err) {
    *out = NULL;
    if (!p->host || !p->host[0]) return teai__fail(err, TEAI_EINVAL, "server: no host");
    if (p->port < 0 || p->port > 65535)
        return teai__fail(err, TEAI_EINVAL, "server: port %d is not 0..65535", p->port);
    if (p->max_tokens < 1 || p->max_body < 1 || p->queue < 0 || p->parallel < 1 ||
        p->max_connections < 1 || p->max_per_ip < 1 || p->header_timeout_s < 1 ||
        p->idle_timeout_s < 1 || p->max_head < 256)
        return teai__fail(err, TEAI_EINVAL, "server: limits must be positive");
    teai_server *s = calloc(1, sizeof *s);
    if (!s) return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = s->wake[0] = s->wake[1] = -1;
    s->p = *p;
    s->host = strdup(p->host);
    s->api_key = p->api_key && p->api_key[0] ? strdup(p->api_key) : NULL;
    s->model_id = strdup(p->model_id && p->model_id[0] ? p->model_id : "teai");
    if (!s->host || !s->model_id || (p->api_key && p->api_key[0] && !s->api_key)) {
        server_free(s);
        return teai__fail(err, TEAI_ENOMEM, "server: out of memory");
    }
    s->p.host = s->host, s->p.api_key = s->api_key, s->p.model_id = s->model_id;
    snprintf(s->fingerprint, sizeof s->fingerprint, "teai-%s-%s", TEAI_VERSION, TEAI_GIT_COMMIT);
    s->max_conns = fit_open_files(s);
    int rc = listen_on(s, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    if (pipe(s->wake) != 0 || set_nonblock(s->wake[0]) || set_nonblock(s->wake[1])) {
        server_free(s);
        return teai__fail(err, TEAI_EIO, "server: pipe: %s", strerror(errno));
    }
    fcntl(s->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(s->wake[1], F_SETFD, FD_CLOEXEC);
    rc = teai__srv_sched_new(model, &p->cp, p->parallel, p->queue, &s->sched, err);
    if (rc) {
        s->sched = NULL;
        server_free(s);
        return rc;
    }
    if (pthread_create(&s->th, NULL, loop_main, s) != 0) {
        server_free(s);
        return teai__fail(err, TEAI_EIO, "server: cannot start its thread");
    }
    s->th_started = 1;
    *out = s;
    return TEAI_OK;
}

int teai_server_port(const teai_server *s) {
    return s->port;
}

void teai_server_stop(teai_server *s) {
    if (!s) return;
    atomic_store(&s->stop_req, 1);
    char c = 1;
    ssize_t r = write(s->wake[1], &c, 1);
    (void)r;
    if (s->th_started) pthread_join(s->th, NULL);
    server_free(s);
}
