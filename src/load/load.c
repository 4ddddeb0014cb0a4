/* The load run: one thread, one libcurl multi handle, every request a
 * streamed completion.
 *
 * A level sends requests (closed loop: keep `concurrency` in flight; open
 * loop: at arrival times t_k = t_{k-1} + gap_k, whatever is in flight),
 * waits on the transfers' sockets (epoll on Linux, see drive) until the next
 * arrival, and parses each response's bytes as they come (src/backends/sse.h):
 * the time of every token-bearing chunk is taken in the write callback, so
 * TTFT, each inter-token gap and E2EL are the client's view from the send. A
 * request that ends (done, failed, timed out, cancelled) becomes one
 * "request" line of the log at once; the level's records are then summarized
 * (teai_serving_summarize) and reported. Open-loop levels stop early when
 * saturated (backlog rule in saturated_now); Ctrl-C (p->interrupted) stops
 * sending, cancels what is in flight and ends the log with "interrupted".
 * Connections are kept alive across requests and levels by the multi handle's
 * connection cache, as a real client pool would. */
#include "load_impl.h"

#include "backends/sse.h"
#include "sys/sys.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/epoll.h>
#endif

#define MAX_EVENT    (1u << 20) /* longest SSE event accepted */
#define MAX_ERR_BODY 4096       /* bytes of an error response kept */
#define POLL_MAX_MS  20         /* longest poll: how soon Ctrl-C is seen */

/* ---- one request in flight ---------------------------------------------- */

typedef struct req {
    struct run *run;
    CURL *h;
    char *body; /* the JSON request, owned */
    long index; /* from 0 within the level, warm-up ones first */
    int warmup;
    uint64_t t_send, t_first, t_prev, t_last; /* ns: send, first token, last token, last byte */
    double *itl;                              /* ms, n_itl of them */
    size_t n_itl, cap_itl;
    long n_content;          /* token-bearing chunks */
    long long chunk_tokens;  /* tokens the chunks said they held; -1 once one did not say */
    long long prompt_tokens; /* usage; -1 */
    long long usage_tokens;  /* usage's completion_tokens; -1 */
    long http_status;        /* 0 until the first bytes */
    int n_events, done, finished, failed;
    char err[300];
    teai_buf errbody;
    teai__sse sse;
    teai__oai_chunk chunk;
    char errbuf[CURL_ERROR_SIZE];
} req;

/* The records of one level (itl_ms owned). */
typedef struct level_recs {
    teai_serving_request *r;
    size_t n, cap;
} level_recs;

typedef struct run {
    const teai_load_params *p;
    CURLM *multi;
    struct curl_slist *hdrs;
    char url[1200];     /* the POST endpoint */
    char model[256];    /* the model name asked for */
    FILE *log;          /* the JSON Lines log */
    teai_buf line;      /* scratch for one log line */
    uint64_t t0;        /* run start, ns */
    teai__rng rng;      /* prompts, lengths, arrivals */
    teai__dataset data; /* n == 0: random prompts */
    size_t data_next;   /* next dataset prompt */
    req **live;         /* in flight */
    size_t n_live, cap_live;
    level_recs recs;  /* the current level's records */
    const char *mode; /* the current level */
    double conc, rate;
    int log_failed;
    teai_error log_err;
    int ep;                /* epoll set of the transfers' sockets; -1: curl_multi_poll */
    uint64_t timer_due_ns; /* when libcurl wants its timeout action; 0 none */
} run;

static int stop_asked(const teai_load_params *p) {
    return p->interrupted && p->interrupted();
}

static double ms_between(uint64_t a, uint64_t b) {
    return (double)(b - a) / 1e6;
}

/* ---- the log ------------------------------------------------------------ */

/* A number, or null when not finite (rate: "inf" as a string, as the
 * contract of the log says). */
static int put_num(teai_buf *b, const char *key, double v, const char *fmt) {
    if (teai_buf_printf(b, ",\"%s\":", key) != TEAI_OK) return TEAI_ENOMEM;
    if (isnan(v)) return teai_buf_addstr(b, "null");
    if (isinf(v)) return teai_buf_addstr(b, v > 0 ? "\"inf\"" : "null");
    return teai_buf_printf(b, fmt, v);
}

static int put_str(teai_buf *b, const char *key, const char *s) {
    if (teai_buf_printf(b, ",\"%s\":", key) != TEAI_OK) return TEAI_ENOMEM;
    if (!s) return teai_buf_addstr(b, "null");
    return teai__json_str(b, s, strlen(s), NULL);
}

/* Writes the line in ru->line (a newline added) and flushes it: a log cut
 * by a crash ends at a whole record. */
static void log_line(run *ru) {
    if (ru->log_failed) return;
    if (teai_buf_add(&ru->line, "\n", 1) != TEAI_OK ||
        fwrite(ru->line.data, 1, ru->line.len, ru->log) != ru->line.len || fflush(ru->log) != 0) {
        ru->log_failed = 1;
        teai__fail(&ru->log_err, TEAI_EIO, "%s: write: %s", ru->p->log_path,
                   errno ? strerror(errno) : "out of memory");
    }
}

static void level_keys(run *ru) {
    teai_buf *b = &ru->line;
    put_str(b, "mode", ru->mode);
    put_num(b, "concurrency", ru->conc, "%.0f");
    put_num(b, "rate", ru->rate, "%.6g");
}

static void log_run_line(run *ru) {
    const teai_load_params *p = ru->p;
    teai_buf *b = &ru->line;
    char started[40], host[256] = "";
    teai_rfc3339_now(started, sizeof started);
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    int rate_mode = p->n_rate > 0 || p->find_max_rate;
    b->len = 0;
    teai_buf_printf(b, "{\"type\":\"run\",\"schema\":1");
    put_str(b, "teai_version", teai_version());
    put_str(b, "label", p->label);
    put_str(b, "base_url", p->base_url);
    put_str(b, "model_name", ru->model);
    put_str(b, "endpoint", p->chat ? "chat" : "completions");
    put_str(b, "arrival", rate_mode ? teai_load_arrival_name(p->arrival) : "");
    put_num(b, "burstiness", rate_mode && p->arrival == TEAI_LOAD_GAMMA ? p->burstiness : NAN,
            "%.6g");
    put_str(b, "started", started);
    put_str(b, "host", host);
    teai_buf_printf(b, ",\"seed\":%llu", (unsigned long long)p->seed);
    put_str(b, "input_len", p->dataset ? NULL : p->input_spec);
    put_str(b, "output_len", p->output_spec);
    put_str(b, "dataset", p->dataset);
    teai_buf_addstr(b, ",\"slo\":{");
    const char *k[3] = {"ttft_ms", "tpot_ms", "e2el_ms"};
    double v[3] = {p->slo.ttft_ms, p->slo.tpot_ms, p->slo.e2el_ms};
    for (int i = 0; i < 3; i++) {
        teai_buf_printf(b, "%s\"%s\":", i ? "," : "", k[i]);
        if (v[i] > 0 && isfinite(v[i]))
            teai_buf_printf(b, "%.6g", v[i]);
        else
            teai_buf_addstr(b, "null");
    }
    teai_buf_addstr(b, "}}");
    log_line(ru);
}

/* ---- request lifecycle ------------------------------------------------------ */

static void req_free(req *q) {
    if (!q) return;
    if (q->h) curl_easy_cleanup(q->h);
    free(q->body);
    free(q->itl);
    teai_buf_free(&q->errbody);
    teai__sse_free(&q->sse);
    teai__oai_chunk_free(&q->chunk);
    free(q);
}

static void req_fail(req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void req_fail(req *q, const char *fmt, ...) {
    if (q->failed) return;
    q->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
}

static long tokens_so_far(const req *q) {
    if (q->usage_tokens >= 0) return (long)q->usage_tokens;
    return q->chunk_tokens >= 0 ? (long)q->chunk_tokens : q->n_content;
}

/* One SSE event of a response. Non-zero stops the parse. */
static int on_event(void *ud, const char *event, const char *data, size_t len) {
    req *q = ud;
    q->n_events++;
    if (q->done || q->failed) return 0;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        q->done = 1; /* the rest of the body (its end) is read, so the connection is kept */
        return 0;
    }
    if (strcmp(event, "error") == 0) {
        teai_buf t;
        teai_buf_init(&t, 0);
        teai__utf8_sanitize(&t, data, len < 200 ? len : 200, NULL);
        for (size_t i = 0; i < t.len; i++)
            if ((unsigned char)t.data[i] < 0x20) t.data[i] = ' ';
        req_fail(q, "server error event %d after %ld tokens: %s", q->n_events, tokens_so_far(q),
                 t.len ? t.data : "");
        teai_buf_free(&t);
        return 1;
    }
    teai_error e = {0};
    int rc = teai__oai_chunk_parse(data, len, q->run->p->chat, &q->chunk, &e);
    if (rc != TEAI_OK) {
        req_fail(q, "malformed SSE event %d: %s", q->n_events, e.msg);
        return 1;
    }
    const teai__oai_chunk *c = &q->chunk;
    if (c->is_error) {
        req_fail(q, "server error after %ld tokens: %s", tokens_so_far(q), c->error_msg);
        return 1;
    }
    if (c->prompt_tokens >= 0) q->prompt_tokens = c->prompt_tokens;
    if (c->completion_tokens >= 0) q->usage_tokens = c->completion_tokens;
    if (c->finished) q->finished = 1;
    if (c->is_content) {
        uint64_t now = q->t_last;
        if (q->n_content == 0) {
            q->t_first = now;
        } else {
            if (q->n_itl == q->cap_itl) {
                size_t cap = q->cap_itl ? q->cap_itl * 2 : 64;
                double *x = realloc(q->itl, cap * sizeof *x);
                if (!x) {
                    req_fail(q, "out of memory");
                    return 1;
                }
                q->itl = x;
                q->cap_itl = cap;
            }
            q->itl[q->n_itl++] = ms_between(q->t_prev, now);
        }
        q->t_prev = now;
        q->n_content++;
        if (c->n_tokens >= 0 && q->chunk_tokens >= 0)
            q->chunk_tokens += c->n_tokens;
        else if (c->n_tokens < 0)
            q->chunk_tokens = -1;
    }
    return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    req *q = ud;
    size_t n = size * nmemb;
    q->t_last = teai__now_ns(); /* every chunk in this read arrived now */
    if (!q->http_status) {
        curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &q->http_status);
        if (!q->http_status) q->http_status = 200;
    }
    if (q->http_status >= 400 || q->http_status < 200) {
        size_t room = MAX_ERR_BODY - q->errbody.len;
        if (teai_buf_add(&q->errbody, ptr, n < room ? n : room) != TEAI_OK) return 0;
        return n;
    }
    if (q->failed) return 0;
    int rc = teai__sse_feed(&q->sse, ptr, n, on_event, q);
    if (rc == 0) return n;
    if (rc == TEAI_ERANGE)
        req_fail(q, "SSE event %d longer than %u bytes", q->n_events + 1, MAX_EVENT);
    if (rc == TEAI_ENOMEM) req_fail(q, "out of memory");
    return 0; /* aborts the transfer */
}

/* The next request body: a prompt (random or from the dataset) and
 * max_tokens with ignore_eos, streamed with usage. NULL on no memory. */
static char *body_new(run *ru) {
    const teai_load_params *p = ru->p;
    teai_buf prompt, b;
    teai_buf_init(&prompt, 0);
    teai_buf_init(&b, 0);
    long out_len = teai__len_draw(&p->output_len, &ru->rng);
    int rc;
    if (ru->data.n) {
        size_t i = ru->data_next++ % ru->data.n;
        if (ru->data.output_len[i] > 0) out_len = ru->data.output_len[i];
        rc = teai_buf_addstr(&prompt, ru->data.prompt[i]);
    } else {
        rc = teai__prompt_random(&prompt, teai__len_draw(&p->input_len, &ru->rng), &ru->rng);
    }
    if (rc == TEAI_OK) rc = teai_buf_addstr(&b, "{\"model\":");
    if (rc == TEAI_OK) rc = teai__json_str(&b, ru->model, strlen(ru->model), NULL);
    if (rc == TEAI_OK)
        rc = teai_buf_addstr(&b, p->chat ? ",\"messages\":[{\"role\":\"user\",\"content\":"
                                         : ",\"prompt\":");
    if (rc == TEAI_OK) rc = teai__json_str(&b, prompt.len ? prompt.data : "", prompt.len, NULL);
    if (rc == TEAI_OK && p->chat) rc = teai_buf_addstr(&b, "}]");
    /* ignore_eos: llama-server and vLLM generate max_tokens whatever the
     * model says; servers that do not know the field ignore it */
    if (rc == TEAI_OK)
        rc = teai_buf_printf(&b,
                             ",\"max_tokens\":%ld,\"ignore_eos\":true,\"stream\":true,"
                             "\"stream_options\":{\"include_usage\":true}}",
                             out_len);
    teai_buf_free(&prompt);
    if (rc != TEAI_OK) {
        teai_buf_free(&b);
        return NULL;
    }
    return b.data; /* handed over */
}

static int live_add(run *ru, req *q) {
    if (ru->n_live == ru->cap_live) {
        size_t cap = ru->cap_live ? ru->cap_live * 2 : 64;
        req **l = realloc(ru->live, cap * sizeof *l);
        if (!l) return TEAI_ENOMEM;
        ru->live = l;
        ru->cap_live = cap;
    }
    ru->live[ru->n_live++] = q;
    return TEAI_OK;
}

static void live_remove(run *ru, req *q) {
    for (size_t i = 0; i < ru->n_live; i++)
        if (ru->live[i] == q) {
            ru->live[i] = ru->live[--ru->n_live];
            return;
        }
}

/* Sends request `index` of the level. */
static int send_one(run *ru, long index, int warmup, teai_error *err) {
    const teai_load_params *p = ru->p;
    req *q = calloc(1, sizeof *q);
    if (!q) return teai__fail(err, TEAI_ENOMEM, "load: out of memory");
    q->run = ru;
    q->index = index;
    q->warmup = warmup;
    q->chunk_tokens = 0;
    q->prompt_tokens = q->usage_tokens = -1;
    teai_buf_init(&q->errbody, MAX_ERR_BODY + 1);
    teai__sse_init(&q->sse, MAX_EVENT);
    teai__oai_chunk_init(&q->chunk);
    q->body = body_new(ru);
    q->h = curl_easy_init();
    if (!q->body || !q->h || live_add(ru, q) != TEAI_OK) {
        req_free(q);
        return teai__fail(err, TEAI_ENOMEM, "load: out of memory");
    }
    CURL *h = q->h;
    long timeout_ms = (long)(p->timeout_s * 1000.0 + 0.5);
    curl_easy_setopt(h, CURLOPT_URL, ru->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, ru->hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_PRIVATE, q);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "teai-load/" TEAI_VERSION);
    q->t_send = teai__now_ns(); /* TTFT includes connecting: the client's view */
    if (curl_multi_add_handle(ru->multi, h) != CURLM_OK) {
        live_remove(ru, q);
        req_free(q);
        return teai__fail(err, TEAI_ENOMEM, "load: cannot add a transfer");
    }
    return TEAI_OK;
}

/* What went wrong with a transfer that ended with cr, in a few words. */
static void transfer_problem(req *q, CURLcode cr) {
    long os_errno = 0, tok = tokens_so_far(q);
    curl_easy_getinfo(q->h, CURLINFO_OS_ERRNO, &os_errno);
    switch (cr) {
        case CURLE_OPERATION_TIMEDOUT:
            req_fail(q, "timed out after %g s (%ld tokens)", q->run->p->timeout_s, tok);
            return;
        case CURLE_COULDNT_CONNECT:
            req_fail(q, "%s", os_errno == ECONNREFUSED ? "connection refused" : "cannot connect");
            return;
        case CURLE_COULDNT_RESOLVE_HOST:
            req_fail(q, "cannot resolve the host name");
            return;
        case CURLE_GOT_NOTHING:
            req_fail(q, "connection closed with no response");
            return;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
            if (os_errno == ECONNRESET || os_errno == EPIPE || q->http_status) {
                req_fail(q, "connection reset after %ld tokens", tok);
                return;
            }
            break;
        case CURLE_PARTIAL_FILE:
            req_fail(q, "connection closed mid-response after %ld tokens", tok);
            return;
        default:
            break;
    }
    req_fail(q, "%s after %ld tokens", q->errbuf[0] ? q->errbuf : curl_easy_strerror(cr), tok);
}

/* Appends a record and writes its log line. Takes q's itl array. */
static void record(run *ru, req *q, uint64_t t_end, int ok) {
    level_recs *L = &ru->recs;
    if (L->n == L->cap) { /* on no memory the log line is still written; the summary lacks it */
        size_t cap = L->cap ? L->cap * 2 : 256;
        teai_serving_request *r = realloc(L->r, cap * sizeof *r);
        if (r) {
            L->r = r;
            L->cap = cap;
        }
    }
    teai_serving_request s;
    memset(&s, 0, sizeof s);
    s.start_s = (double)(q->t_send - ru->t0) / 1e9;
    s.ttft_ms = q->n_content ? ms_between(q->t_send, q->t_first) : NAN;
    /* a failed request has no end-to-end latency */
    s.e2el_ms = ok ? ms_between(q->t_send, q->t_last ? q->t_last : t_end) : NAN;
    s.prompt_tokens = q->prompt_tokens >= 0 ? (long)q->prompt_tokens : -1;
    /* usage when the server reports it, else what the chunks said */
    s.completion_tokens = q->n_content || q->usage_tokens >= 0 ? tokens_so_far(q) : ok ? 0 : -1;
    long ct = s.completion_tokens;
    s.tpot_ms = ok && ct >= 2 && q->n_content ? (s.e2el_ms - s.ttft_ms) / (double)(ct - 1) : NAN;
    s.http_status = (int)q->http_status;
    s.ok = ok;
    s.warmup = q->warmup;
    s.itl_ms = q->itl;
    s.n_itl = q->n_itl;

    teai_buf *b = &ru->line;
    b->len = 0;
    teai_buf_addstr(b, "{\"type\":\"request\"");
    level_keys(ru);
    teai_buf_printf(b, ",\"index\":%ld,\"warmup\":%s", q->index, q->warmup ? "true" : "false");
    put_num(b, "start_s", s.start_s, "%.6f");
    put_num(b, "ttft_ms", s.ttft_ms, "%.3f");
    put_num(b, "tpot_ms", s.tpot_ms, "%.4f");
    put_num(b, "e2el_ms", s.e2el_ms, "%.3f");
    teai_buf_addstr(b, ",\"itl_ms\":[");
    for (size_t i = 0; i < q->n_itl; i++) teai_buf_printf(b, "%s%.3f", i ? "," : "", q->itl[i]);
    teai_buf_addstr(b, "]");
    put_num(b, "prompt_tokens", s.prompt_tokens >= 0 ? (double)s.prompt_tokens : NAN, "%.0f");
    put_num(b, "completion_tokens", ct >= 0 ? (double)ct : NAN, "%.0f");
    teai_buf_printf(b, ",\"http_status\":%d,\"ok\":%s", s.http_status, ok ? "true" : "false");
    put_str(b, "error", ok ? "" : q->err);
    teai_buf_addstr(b, "}");
    log_line(ru);

    if (L->cap > L->n) {
        L->r[L->n++] = s;
        q->itl = NULL; /* the record owns it now */
        q->n_itl = q->cap_itl = 0;
    }
}

/* A transfer ended (cr) at t_end: decide ok or what failed, record it. */
static void finish(run *ru, req *q, CURLcode cr, uint64_t t_end) {
    if (!q->http_status) curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &q->http_status);
    int ok = 0;
    if (q->failed) {
        /* already said: malformed event, server error event, ... */
    } else if (q->http_status >= 400 || (q->http_status && q->http_status < 200)) {
        char msg[200] = "";
        if (q->errbody.len)
            teai__oai_error_message(q->errbody.data, q->errbody.len, msg, sizeof msg);
        for (char *c = msg; *c; c++)
            if ((unsigned char)*c < 0x20) *c = ' ';
        req_fail(q, "HTTP %ld%s%s", q->http_status, msg[0] ? ": " : "", msg);
    } else if (q->done) {
        ok = 1; /* complete, whatever the connection did afterwards */
    } else if (cr != CURLE_OK) {
        transfer_problem(q, cr);
    } else if (q->n_events == 0) {
        char *ct = NULL;
        curl_easy_getinfo(q->h, CURLINFO_CONTENT_TYPE, &ct);
        req_fail(q, "no server-sent events in the response (Content-Type: %s)", ct ? ct : "none");
    } else if (!q->finished) {
        req_fail(q, "stream ended without [DONE] after %ld tokens", tokens_so_far(q));
    } else {
        ok = 1; /* a finish_reason and a clean end, without [DONE] */
    }
    record(ru, q, t_end, ok);
}

/* Reads the transfers that ended; returns how many. */
static long reap(run *ru) {
    long n = 0;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(ru->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        req *q = NULL;
        CURL *h = m->easy_handle;
        CURLcode cr = m->data.result;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&q);
        uint64_t t_end = teai__now_ns();
        curl_multi_remove_handle(ru->multi, h);
        finish(ru, q, cr, t_end);
        live_remove(ru, q);
        req_free(q);
        n++;
    }
    return n;
}

/* Cancels every request in flight, recording each with why. */
static void cancel_all(run *ru, const char *why) {
    uint64_t t = teai__now_ns();
    while (ru->n_live) {
        req *q = ru->live[ru->n_live - 1];
        curl_multi_remove_handle(ru->multi, q->h);
        req_fail(q, "cancelled after %ld tokens: %s", tokens_so_far(q), why);
        finish(ru, q, CURLE_ABORTED_BY_CALLBACK, t);
        ru->n_live--;
        req_free(q);
    }
}

/* ---- the event loop ---------------------------------------------------------- */

/* On Linux the multi handle runs on its socket interface over epoll: a
 * wake-up costs in proportion to the sockets that are ready, not to all the
 * transfers (curl_multi_perform and curl_multi_poll visit every one), which
 * is what keeps hundreds of streams cheap. Elsewhere: curl_multi_poll. */
#if defined(__linux__)
#define LOAD_EPOLL 1

static int on_socket(CURL *e, curl_socket_t fd, int what, void *ud, void *known) {
    (void)e;
    run *ru = ud;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(ru->ep, EPOLL_CTL_DEL, fd, NULL);
        curl_multi_assign(ru->multi, fd, NULL);
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (known || epoll_ctl(ru->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        epoll_ctl(ru->ep, EPOLL_CTL_MOD, fd, &ev);
    if (!known) curl_multi_assign(ru->multi, fd, ru);
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *ud) {
    (void)m;
    run *ru = ud;
    ru->timer_due_ns = timeout_ms < 0 ? 0 : teai__now_ns() + (uint64_t)timeout_ms * 1000000u;
    return 0;
}

static void timer_fire(run *ru) {
    int running;
    if (ru->timer_due_ns && teai__now_ns() >= ru->timer_due_ns) {
        ru->timer_due_ns = 0;
        curl_multi_socket_action(ru->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}
#else
#define LOAD_EPOLL 0
#endif

/* Moves every transfer on: waits up to wait_ms (0: not at all) for activity,
 * then lets libcurl read and write what is ready. */
static void drive(run *ru, double wait_ms) {
    int running;
#if LOAD_EPOLL
    if (ru->ep >= 0) {
        timer_fire(ru);
        if (ru->timer_due_ns) {
            uint64_t now = teai__now_ns();
            double t = ru->timer_due_ns > now ? (double)(ru->timer_due_ns - now) / 1e6 : 0;
            if (t < wait_ms) wait_ms = t;
        }
        struct epoll_event ev[256];
        int n = epoll_wait(ru->ep, ev, 256, wait_ms >= 1 ? (int)wait_ms : 0);
        for (int i = 0; i < n; i++) {
            int f = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(ru->multi, ev[i].data.fd, f, &running);
        }
        timer_fire(ru);
        return;
    }
#endif
    if (wait_ms >= 1) curl_multi_poll(ru->multi, NULL, 0, (int)wait_ms, NULL);
    curl_multi_perform(ru->multi, &running);
}

/* ---- levels ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median E2EL in seconds of the level's completed records; NAN none. */
static double median_e2el_s(const level_recs *L) {
    double *x = malloc((L->n ? L->n : 1) * sizeof *x);
    size_t k = 0;
    if (!x) return NAN;
    for (size_t i = 0; i < L->n; i++)
        if (L->r[i].ok && !isnan(L->r[i].e2el_ms)) x[k++] = L->r[i].e2el_ms / 1000.0;
    double m = NAN;
    if (k) {
        qsort(x, k, sizeof *x, cmp_double);
        m = k % 2 ? x[k / 2] : 0.5 * (x[k / 2 - 1] + x[k / 2]);
    }
    free(x);
    return m;
}

/* The saturation rule (docs/load.md), checked once a second of an open-loop
 * level. With backlog B = requests sent and not yet ended, the level is
 * saturated when
 *   - B rose at each of the last SAT_RISES checks,
 *   - over those SAT_RISES seconds it rose by more than max(SAT_MIN, a
 *     quarter of what was sent in them): requests end at under 3/4 of the
 *     rate they arrive, and
 *   - the level has run for more than twice the median E2EL of the requests
 *     that ended (the elapsed time when none has): past the ramp-up during
 *     which a server that keeps up also shows a growing backlog. */
#define SAT_RISES 5
#define SAT_MIN   8

typedef struct sat_state {
    long backlog[SAT_RISES + 1], sent[SAT_RISES + 1]; /* at the last checks, newest last */
    int n;                                            /* checks so far */
    double next_check_s;
} sat_state;

static int saturated_now(run *ru, sat_state *st, long sent, double elapsed_s) {
    if (elapsed_s < st->next_check_s) return 0;
    st->next_check_s = floor(elapsed_s) + 1.0;
    memmove(st->backlog, st->backlog + 1, SAT_RISES * sizeof *st->backlog);
    memmove(st->sent, st->sent + 1, SAT_RISES * sizeof *st->sent);
    st->backlog[SAT_RISES] = (long)ru->n_live;
    st->sent[SAT_RISES] = sent;
    if (++st->n <= SAT_RISES) return 0;
    for (int i = 1; i <= SAT_RISES; i++)
        if (st->backlog[i] <= st->backlog[i - 1]) return 0;
    long rise = st->backlog[SAT_RISES] - st->backlog[0];
    long arrived = st->sent[SAT_RISES] - st->sent[0];
    if (rise <= SAT_MIN || 4 * rise <= arrived) return 0;
    double m = median_e2el_s(&ru->recs);
    return isnan(m) || elapsed_s > 2.0 * m;
}

static void recs_clear(level_recs *L) {
    for (size_t i = 0; i < L->n; i++) free((void *)L->r[i].itl_ms);
    L->n = 0;
}

/* Runs one level; *stopped gets "", "saturated" or "interrupted". */
static int level_run(run *ru, const char **stopped, teai_error *err) {
    const teai_load_params *p = ru->p;
    int closed = strcmp(ru->mode, "concurrency") == 0;
    long total = p->duration_s > 0 ? -1 : p->warmup + p->requests, sent = 0;
    uint64_t t_level = teai__now_ns();
    double next_arrival = 0; /* s since t_level */
    sat_state sat;
    memset(&sat, 0, sizeof sat);
    sat.next_check_s = 1.0;
    *stopped = "";
    recs_clear(&ru->recs);
    for (;;) {
        if (stop_asked(p)) {
            *stopped = "interrupted";
            cancel_all(ru, "run interrupted");
            break;
        }
        double now_s = (double)(teai__now_ns() - t_level) / 1e9;
        /* warm-up requests are sent whatever the duration */
        int more = total >= 0 ? sent < total : sent < p->warmup || now_s < p->duration_s;
        if (closed) {
            while (more && (double)ru->n_live < ru->conc) {
                int rc = send_one(ru, sent, sent < p->warmup, err);
                if (rc != TEAI_OK) return rc;
                sent++;
                more = total >= 0 ? sent < total : sent < p->warmup || now_s < p->duration_s;
            }
        } else {
            while (more && now_s >= next_arrival) {
                if ((long)ru->n_live >= p->max_in_flight) { /* the client's own bound */
                    *stopped = "saturated";
                    break;
                }
                int rc = send_one(ru, sent, sent < p->warmup, err);
                if (rc != TEAI_OK) return rc;
                sent++;
                next_arrival += teai__arrival_gap(p->arrival, p->burstiness, ru->rate, &ru->rng);
                more = total >= 0 ? sent < total : sent < p->warmup || now_s < p->duration_s;
            }
            if (!**stopped && saturated_now(ru, &sat, sent, now_s)) *stopped = "saturated";
            if (**stopped) {
                cancel_all(ru, "the level saturated");
                break;
            }
        }
        if (!more && ru->n_live == 0) break;
        drive(ru, 0); /* start what was just added, read what is ready */
        reap(ru);
        if (ru->log_failed) {
            cancel_all(ru, "the log cannot be written");
            *err = ru->log_err;
            return TEAI_EIO;
        }
        if (!more && ru->n_live == 0) break;
        /* sleep until the next arrival, a transfer's activity or POLL_MAX_MS */
        double wait_ms = POLL_MAX_MS;
        if (!closed && more) {
            double to_next = (next_arrival - (double)(teai__now_ns() - t_level) / 1e9) * 1000.0;
            if (to_next < wait_ms) wait_ms = to_next;
        }
        if (closed && more && (double)ru->n_live < ru->conc) wait_ms = 0;
        drive(ru, wait_ms);
        reap(ru);
    }
    return TEAI_OK;
}

/* Runs the level (mode, conc, rate), writes its level line and reports it.
 * *pass: the level met the SLOs (find-max-rate's test); -1 without SLOs. */
static int level_do(run *ru, teai_load_result *res, const char *mode, double conc, double rate,
                    int *pass, teai_error *err) {
    const teai_load_params *p = ru->p;
    ru->mode = mode;
    ru->conc = conc;
    ru->rate = rate;
    const char *stopped;
    int rc = level_run(ru, &stopped, err);
    if (rc != TEAI_OK) return rc;
    teai_serving_summary s;
    rc = teai_serving_summarize(ru->recs.r, ru->recs.n, &p->slo, &s, err);
    if (rc != TEAI_OK) return rc;
    int saturated = strcmp(stopped, "saturated") == 0;
    int any_slo = p->slo.ttft_ms > 0 || p->slo.tpot_ms > 0 || p->slo.e2el_ms > 0;
    *pass = !any_slo ? -1 : !saturated && s.requests > 0 && s.slo_attainment >= p->slo_attainment;
    teai_buf *b = &ru->line;
    b->len = 0;
    teai_buf_addstr(b, "{\"type\":\"level\"");
    level_keys(ru);
    teai_buf_printf(b, ",\"requests\":%ld,\"saturated\":%s", s.requests,
                    saturated ? "true" : "false");
    put_str(b, "stopped", stopped);
    if (*pass >= 0) teai_buf_printf(b, ",\"slo_met\":%s", *pass ? "true" : "false");
    teai_buf_addstr(b, "}");
    log_line(ru);
    if (ru->log_failed) {
        *err = ru->log_err;
        return TEAI_EIO;
    }
    res->requests += s.requests;
    res->ok += s.ok;
    res->levels++;
    if (p->on_level) {
        teai_load_level_report r = {mode, conc, rate, saturated, stopped, *pass, &s};
        p->on_level(p->ud, &r);
    }
    if (strcmp(stopped, "interrupted") == 0) return TEAI_EINTR;
    return TEAI_OK;
}

/* --find-max-rate: doubling from the first rate until a level fails (or
 * halving until one passes), then bisection between the highest pass and
 * the lowest fail until they are within 10% (at most FIND_LEVELS levels). */
#define FIND_LEVELS 12

static int find_max_rate(run *ru, teai_load_result *res, teai_error *err) {
    double r = ru->p->n_rate ? ru->p->rate[0] : 1.0, lo = NAN, hi = NAN;
    int pass, rc;
    for (int n = 0; n < FIND_LEVELS && !stop_asked(ru->p); n++) {
        if (!isnan(lo) && !isnan(hi) && hi <= lo * 1.1) break;
        rc = level_do(ru, res, "rate", NAN, r, &pass, err);
        if (rc != TEAI_OK) return rc;
        if (pass) {
            lo = r;
            res->max_rate = r;
        } else {
            hi = r;
        }
        if (isnan(hi))
            r = lo * 2;
        else if (isnan(lo))
            r = hi / 2;
        else
            r = 0.5 * (lo + hi);
        r = floor(r * 1000.0 + 0.5) / 1000.0; /* rates people can type */
        if (!(r > 0.001)) break;
    }
    return TEAI_OK;
}

/* ---- the run ------------------------------------------------------------ */

void teai_load_default_params(teai_load_params *p) {
    memset(p, 0, sizeof *p);
    p->arrival = TEAI_LOAD_POISSON;
    p->burstiness = 1.0;
    p->requests = 100;
    p->input_len = (teai_load_len){TEAI_LOAD_LEN_FIXED, 128, 128};
    p->output_len = (teai_load_len){TEAI_LOAD_LEN_FIXED, 128, 128};
    p->input_spec = p->output_spec = "128";
    p->slo_attainment = 0.9;
    p->seed = 1;
    p->timeout_s = 600;
    p->max_in_flight = 1024;
}

const char *teai_load_arrival_name(teai_load_arrival a) {
    return a == TEAI_LOAD_GAMMA ? "gamma" : a == TEAI_LOAD_CONSTANT ? "constant" : "poisson";
}

/* Lets Ctrl-C end the blocking probe (its timeout may be 30 s). */
static int probe_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a, (void)b, (void)c, (void)d;
    return stop_asked(ud);
}

static size_t models_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    teai_buf *b = ud;
    size_t n = size * nmemb, room = 65536 - b->len;
    teai_buf_add(b, ptr, n < room ? n : room);
    return n;
}

/* GET /v1/models: the server answers at all (else TEAI_EIO), and the first
 * model id when the caller named none. */
static int probe_server(run *ru, const char *base, teai_error *err) {
    const teai_load_params *p = ru->p;
    char url[1200];
    snprintf(url, sizeof url, "%s/v1/models", base);
    CURL *h = curl_easy_init();
    if (!h) return teai__fail(err, TEAI_ENOMEM, "load: out of memory");
    teai_buf body;
    teai_buf_init(&body, 0);
    double t = p->timeout_s < 30 ? p->timeout_s : 30;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, ru->hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(t * 1000));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, models_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, probe_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)p);
    CURLcode cr = curl_easy_perform(h);
    long status = 0, os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    curl_easy_cleanup(h);
    int rc = TEAI_OK;
    if (cr == CURLE_ABORTED_BY_CALLBACK) {
        rc = teai__fail(err, TEAI_EINTR, "%s: interrupted before the first request", base);
    } else if (cr != CURLE_OK) {
        rc = teai__fail(err, TEAI_EIO, "%s: server unreachable: %s", base,
                        cr == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED
                            ? "connection refused"
                            : (errbuf[0] ? errbuf : curl_easy_strerror(cr)));
    } else if (status == 401 || status == 403) {
        rc = teai__fail(err, TEAI_EIO, "%s: HTTP %ld: the server refuses the API key", url, status);
    } else if (!p->model_name && status == 200 && body.len) {
        /* {"data":[{"id":"NAME",...}]}: the first "id" string */
        const char *id = strstr(body.data, "\"id\"");
        const char *q = id ? strchr(id + 4, '"') : NULL;
        const char *e = q ? strchr(q + 1, '"') : NULL;
        if (e && (size_t)(e - q - 1) < sizeof ru->model &&
            !memchr(q + 1, '\\', (size_t)(e - q - 1))) {
            memcpy(ru->model, q + 1, (size_t)(e - q - 1));
            ru->model[e - q - 1] = '\0';
        }
    }
    if (rc == TEAI_OK && status != 200)
        teai__notef(p->note, p->ud, "%s: HTTP %ld (carrying on: the completions may still work)",
                    url, status);
    teai_buf_free(&body);
    return rc;
}

static int check_params(const teai_load_params *p, teai_error *err) {
    if (!p->base_url || !p->base_url[0])
        return teai__fail(err, TEAI_EINVAL, "no --base-url (e.g. http://127.0.0.1:8080)");
    if (!p->log_path) return teai__fail(err, TEAI_EINVAL, "no log path");
    if (!p->n_concurrency && !p->n_rate && !p->find_max_rate)
        return teai__fail(err, TEAI_EINVAL, "no levels: give --concurrency or --rate");
    if (p->n_concurrency && (p->n_rate || p->find_max_rate))
        return teai__fail(err, TEAI_EINVAL,
                          "--concurrency and --rate/--find-max-rate do not go together");
    for (size_t i = 0; i < p->n_concurrency; i++)
        if (!(p->concurrency[i] >= 1 && p->concurrency[i] <= 100000))
            return teai__fail(err, TEAI_EINVAL, "concurrency %g is not 1..100000",
                              p->concurrency[i]);
    for (size_t i = 0; i < p->n_rate; i++)
        if (!(p->rate[i] > 0))
            return teai__fail(err, TEAI_EINVAL, "rate %g is not > 0", p->rate[i]);
    if (p->find_max_rate && !(p->slo.ttft_ms > 0 || p->slo.tpot_ms > 0 || p->slo.e2el_ms > 0))
        return teai__fail(err, TEAI_EINVAL, "--find-max-rate needs --slo");
    if (p->find_max_rate && p->n_rate && !(p->rate[0] < INFINITY))
        return teai__fail(err, TEAI_EINVAL, "--find-max-rate starts from a finite --rate");
    if (!(p->burstiness > 0) || !isfinite(p->burstiness))
        return teai__fail(err, TEAI_EINVAL, "burstiness %g is not > 0", p->burstiness);
    if (!(p->requests >= 1) && !(p->duration_s > 0))
        return teai__fail(err, TEAI_EINVAL, "need --requests >= 1 or --duration > 0");
    if (p->warmup < 0) return teai__fail(err, TEAI_EINVAL, "--warmup is negative");
    if (!(p->timeout_s > 0) || p->timeout_s > 86400)
        return teai__fail(err, TEAI_EINVAL, "timeout %g s is not in (0, 86400]", p->timeout_s);
    if (p->max_in_flight < 1) return teai__fail(err, TEAI_EINVAL, "max in flight < 1");
    return TEAI_OK;
}

static int curl_ready(teai_error *err) {
    static int done;
    static CURLcode rc;
    if (!done) { /* one thread: the run is single-threaded by design */
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
    if (rc != CURLE_OK) return teai__fail(err, TEAI_EIO, "libcurl: %s", curl_easy_strerror(rc));
    return TEAI_OK;
}

int teai_load_run(const teai_load_params *p, teai_load_result *res, teai_error *err) {
    memset(res, 0, sizeof *res);
    res->max_rate = NAN;
    int rc = check_params(p, err);
    if (rc != TEAI_OK) return rc;
    if ((rc = curl_ready(err)) != TEAI_OK) return rc;
    run ru;
    memset(&ru, 0, sizeof ru);
    ru.p = p;
    ru.ep = -1;
#if LOAD_EPOLL
    ru.ep = epoll_create1(EPOLL_CLOEXEC); /* -1: curl_multi_poll instead */
#endif
    teai_buf_init(&ru.line, 0);
    teai__rng_seed(&ru.rng, p->seed);
    /* the base URL without a trailing "/" or "/v1" */
    char base[1024];
    snprintf(base, sizeof base, "%s", p->base_url);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') base[--bl] = '\0';
    if (bl >= 3 && strcmp(base + bl - 3, "/v1") == 0) base[bl -= 3] = '\0';
    snprintf(ru.url, sizeof ru.url, "%s/v1/%s", base, p->chat ? "chat/completions" : "completions");
    snprintf(ru.model, sizeof ru.model, "%s", p->model_name ? p->model_name : "");

    const char *fixed[] = {"Content-Type: application/json", "Accept: text/event-stream",
                           "Expect:"};
    for (size_t i = 0; i < 3; i++) {
        struct curl_slist *t = curl_slist_append(ru.hdrs, fixed[i]);
        if (!t) goto oom;
        ru.hdrs = t;
    }
    if (p->api_key && p->api_key[0]) {
        teai_buf a;
        teai_buf_init(&a, 0);
        struct curl_slist *t =
            teai_buf_printf(&a, "Authorization: Bearer %s", p->api_key) == TEAI_OK
                ? curl_slist_append(ru.hdrs, a.data)
                : NULL;
        teai_buf_free(&a);
        if (!t) goto oom;
        ru.hdrs = t;
    }
    if (p->dataset && (rc = teai__dataset_read(p->dataset, &ru.data, err)) != TEAI_OK) goto done;
    if ((rc = probe_server(&ru, base, err)) != TEAI_OK) goto done;
    snprintf(res->model_name, sizeof res->model_name, "%s", ru.model);
    if (!(ru.multi = curl_multi_init())) goto oom;
#if LOAD_EPOLL
    if (ru.ep >= 0) {
        curl_multi_setopt(ru.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(ru.multi, CURLMOPT_SOCKETDATA, &ru);
        curl_multi_setopt(ru.multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(ru.multi, CURLMOPT_TIMERDATA, &ru);
    }
#endif
    /* a connection per stream stays in the cache between requests */
    double most = p->max_in_flight;
    for (size_t i = 0; i < p->n_concurrency; i++)
        if (p->concurrency[i] > most) most = p->concurrency[i];
    curl_multi_setopt(ru.multi, CURLMOPT_MAXCONNECTS, (long)most + 16);
    if (!(ru.log = fopen(p->log_path, "w"))) {
        rc = teai__fail(err, TEAI_EIO, "%s: %s", p->log_path, strerror(errno));
        goto done;
    }
    ru.t0 = teai__now_ns();
    log_run_line(&ru);

    int pass;
    if (p->find_max_rate) {
        rc = find_max_rate(&ru, res, err);
    } else {
        /* a stop between levels starts no further level */
        for (size_t i = 0; rc == TEAI_OK && !stop_asked(p) && i < p->n_concurrency; i++)
            rc = level_do(&ru, res, "concurrency", p->concurrency[i], NAN, &pass, err);
        for (size_t i = 0; rc == TEAI_OK && !stop_asked(p) && i < p->n_rate; i++)
            rc = level_do(&ru, res, "rate", NAN, p->rate[i], &pass, err);
    }
    if (rc == TEAI_OK && stop_asked(p)) rc = TEAI_EINTR;
    if (rc == TEAI_OK || rc == TEAI_EINTR) {
        res->interrupted = rc == TEAI_EINTR;
        ru.line.len = 0;
        teai_buf_printf(&ru.line, "{\"type\":\"end\",\"status\":\"%s\"}",
                        rc == TEAI_EINTR ? "interrupted" : "complete");
        log_line(&ru);
        if (ru.log_failed) {
            *err = ru.log_err;
            rc = TEAI_EIO;
        } else if (rc == TEAI_EINTR) {
            teai__fail(err, TEAI_EINTR, "interrupted");
        }
    }
    goto done;
oom:
    rc = teai__fail(err, TEAI_ENOMEM, "load: out of memory");
done:
    if (ru.multi) {
        cancel_all(&ru, "the run ended");
        curl_multi_cleanup(ru.multi);
    }
    if (ru.ep >= 0) close(ru.ep);
    if (ru.log && fclose(ru.log) != 0 && rc == TEAI_OK)
        rc = teai__fail(err, TEAI_EIO, "%s: close: %s", p->log_path, strerror(errno));
    recs_clear(&ru.recs);
    free(ru.recs.r);
    free(ru.live);
    curl_slist_free_all(ru.hdrs);
    teai_buf_free(&ru.line);
    teai__dataset_free(&ru.data);
    return rc;
}
