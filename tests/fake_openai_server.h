/* A tiny OpenAI-compatible HTTP server for tests, with injected faults.
 *
 * Header-only (static functions): each test executable is built from one
 * test_*.c file, so the tests that need it include it. One thread serves one
 * connection at a time on 127.0.0.1 and an ephemeral port:
 *   GET  /v1/models               {"data":[{"id":"fake-model",...}]}
 *   POST /v1/completions          a stream in the configured mode
 *   POST /v1/chat/completions     the same, as chat chunks
 * Responses use HTTP/1.1 chunked encoding (as llama-server does) and close
 * the connection, so a cut stream is visible to the client. The last request
 * (path, Authorization header, body) is kept for assertions.
 *
 *   fake_server s;
 *   fake_server_init(&s);            // FAKE_NORMAL, 5 tokens, usage + timings
 *   s.mode = FAKE_DROP; s.drop_after = 3;
 *   if (fake_server_start(&s) != 0) ...;
 *   ... http://127.0.0.1:<s.port> ...
 *   fake_server_stop(&s);
 */
#ifndef TEAI_FAKE_OPENAI_SERVER_H
#define TEAI_FAKE_OPENAI_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum fake_mode {
    FAKE_NORMAL,       /* one token per chunk, finish chunk, usage, [DONE] */
    FAKE_DROP,         /* close after drop_after content chunks, mid chunked body */
    FAKE_DROP_CLEAN,   /* same, but an unframed body ending in a clean close */
    FAKE_MALFORMED,    /* SSE event number bad_chunk (from 1) is broken JSON */
    FAKE_HTTP500,      /* 500 with {"error":{"message":"model exploded",...}} */
    FAKE_STREAM_ERROR, /* an {"error":...} event after drop_after chunks */
    FAKE_NOT_SSE       /* 200 with a plain JSON completion (a server ignoring "stream") */
} fake_mode;

typedef struct fake_server {
    /* configuration (set before fake_server_start) */
    fake_mode mode;
    int n_tokens;           /* tokens to generate */
    int per_chunk;          /* tokens per chunk */
    int say_counts;         /* chunks carry logprobs entries (one per token, with ids) */
    int usage;              /* the final chunk carries usage */
    int timings;            /* ... and llama-server's "timings" */
    int delay_first_ms;     /* before the first event */
    int delay_between_ms;   /* between events */
    int drop_after;         /* FAKE_DROP*, FAKE_STREAM_ERROR: content chunks sent first */
    int bad_chunk;          /* FAKE_MALFORMED */
    int crlf;               /* end SSE lines with CRLF */
    int comments;           /* send ": keep-alive" comments between events */
    int split;              /* > 0: write each event in pieces of this many bytes */
    int models_status;      /* status of GET /v1/models (200) */
    int hold_after_done_ms; /* keep the connection open this long after [DONE] */
    int empty_error_body;   /* FAKE_HTTP500 without a body */
    /* state */
    int port;
    int listen_fd;
    pthread_t thread;
    pthread_mutex_t mu;
    int stop;
    int n_requests;
    char last_path[128];
    char last_auth[256];
    char *last_body;
} fake_server;

static inline void fake_server_init(fake_server *s) {
    memset(s, 0, sizeof *s);
    s->mode = FAKE_NORMAL;
    s->n_tokens = 5;
    s->per_chunk = 1;
    s->usage = 1;
    s->timings = 1;
    s->drop_after = 3;
    s->bad_chunk = 3;
    s->models_status = 200;
    s->listen_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
}

static inline void fake_sleep_ms(int ms) {
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Writes all of buf; -1 once the client is gone (no SIGPIPE). */
static inline int fake_send(int fd, const char *buf, size_t n) {
    while (n) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One piece of a chunked body ("<hex>\r\n<data>\r\n"), or raw when !chunked. */
static inline int fake_send_piece(int fd, int chunked, const char *data, size_t n) {
    char head[32];
    if (!chunked) return fake_send(fd, data, n);
    int h = snprintf(head, sizeof head, "%zx\r\n", n);
    if (fake_send(fd, head, (size_t)h) || fake_send(fd, data, n)) return -1;
    return fake_send(fd, "\r\n", 2);
}

/* One SSE event carrying data, as the configured line ends and pieces. */
static inline int fake_send_event(fake_server *s, int fd, int chunked, const char *data) {
    const char *eol = s->crlf ? "\r\n" : "\n";
    size_t cap = strlen(data) + 64;
    char *ev = malloc(cap);
    if (!ev) return -1;
    int n =
        snprintf(ev, cap, "%sdata: %s%s%s", s->comments ? ": keep-alive\n\n" : "", data, eol, eol);
    int rc = 0;
    if (s->split > 0) {
        for (int off = 0; off < n && rc == 0; off += s->split) {
            int k = n - off < s->split ? n - off : s->split;
            rc = fake_send_piece(fd, chunked, ev + off, (size_t)k);
            fake_sleep_ms(1); /* lands in its own read */
        }
    } else {
        rc = fake_send_piece(fd, chunked, ev, (size_t)n);
    }
    free(ev);
    return rc;
}

/* Text of token i (0-based): "w0 ", "w1 ", ... */
static inline void fake_chunk(fake_server *s, int chat, int first, int count, char *out,
                              size_t cap) {
    char text[256] = "", lp[512] = "";
    size_t t = 0, l = 0;
    for (int i = first; i < first + count && t < sizeof text - 16; i++)
        t += (size_t)snprintf(text + t, sizeof text - t, "w%d ", i);
    if (s->say_counts) {
        l = (size_t)snprintf(lp, sizeof lp, "{\"content\":[");
        for (int i = first; i < first + count && l < sizeof lp - 64; i++)
            l += (size_t)snprintf(lp + l, sizeof lp - l,
                                  "%s{\"id\":%d,\"token\":\"w%d \",\"logprob\":-0.5}",
                                  i > first ? "," : "", 100 + i, i);
        snprintf(lp + l, sizeof lp - l, "]}");
    } else {
        snprintf(lp, sizeof lp, "null");
    }
    if (chat)
        snprintf(out, cap,
                 "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"logprobs\":%s,"
                 "\"finish_reason\":null}],\"object\":\"chat.completion.chunk\"}",
                 text, lp);
    else
        snprintf(out, cap,
                 "{\"choices\":[{\"text\":\"%s\",\"index\":0,\"logprobs\":%s,"
                 "\"finish_reason\":null}],\"object\":\"text_completion\"}",
                 text, lp);
}

static inline void fake_stream(fake_server *s, int fd, int chat) {
    char buf[2048];
    int chunked = s->mode != FAKE_DROP_CLEAN;
    const char *head = chunked ? "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
                                 "Connection: close\r\n\r\n"
                               : "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 "Connection: close\r\n\r\n";
    if (fake_send(fd, head, strlen(head))) return;
    fake_sleep_ms(s->delay_first_ms);
    int n_events = 0, n_content = 0;
    if (chat) { /* the role chunk: not a token */
        if (fake_send_event(s, fd, chunked,
                            "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                            "\"content\":null},\"finish_reason\":null}]}"))
            return;
        n_events++;
        fake_sleep_ms(s->delay_between_ms);
    }
    for (int i = 0; i < s->n_tokens; i += s->per_chunk) {
        int k = s->n_tokens - i < s->per_chunk ? s->n_tokens - i : s->per_chunk;
        if ((s->mode == FAKE_DROP || s->mode == FAKE_DROP_CLEAN) && n_content == s->drop_after)
            return; /* closed mid-stream: no terminating chunk */
        if (s->mode == FAKE_STREAM_ERROR && n_content == s->drop_after) {
            fake_send_event(s, fd, chunked,
                            "{\"error\":{\"message\":\"out of KV cache\",\"type\":"
                            "\"server_error\",\"code\":500}}");
            fake_send_piece(fd, 1, "", 0);
            return;
        }
        if (s->mode == FAKE_MALFORMED && n_events + 1 == s->bad_chunk)
            snprintf(buf, sizeof buf, "{\"choices\":[{\"text\": oops");
        else
            fake_chunk(s, chat, i, k, buf, sizeof buf);
        if (fake_send_event(s, fd, chunked, buf)) return;
        n_events++;
        n_content++;
        fake_sleep_ms(s->delay_between_ms);
    }
    /* the finish chunk, then (like llama-server) usage and timings */
    char extra[512] = "";
    if (s->usage)
        snprintf(extra, sizeof extra,
                 ",\"usage\":{\"completion_tokens\":%d,\"prompt_tokens\":7,\"total_tokens\":%d}",
                 s->n_tokens, s->n_tokens + 7);
    if (s->timings) {
        size_t e = strlen(extra);
        snprintf(extra + e, sizeof extra - e,
                 ",\"timings\":{\"cache_n\":0,\"prompt_n\":7,\"prompt_ms\":12.5,"
                 "\"predicted_n\":%d,\"predicted_ms\":40.25}",
                 s->n_tokens);
    }
    if (chat) {
        snprintf(buf, sizeof buf,
                 "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}");
        if (fake_send_event(s, fd, chunked, buf)) return;
        if (extra[0]) {
            snprintf(buf, sizeof buf, "{\"choices\":[]%s}", extra);
            if (fake_send_event(s, fd, chunked, buf)) return;
        }
    } else {
        snprintf(buf, sizeof buf,
                 "{\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,"
                 "\"finish_reason\":\"length\"}]%s}",
                 extra);
        if (fake_send_event(s, fd, chunked, buf)) return;
    }
    if (fake_send_event(s, fd, chunked, "[DONE]")) return;
    fake_sleep_ms(s->hold_after_done_ms);
    if (chunked) fake_send(fd, "0\r\n\r\n", 5);
}

static inline void fake_respond(int fd, const char *status, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, strlen(body));
    if (fake_send(fd, head, (size_t)n) == 0) fake_send(fd, body, strlen(body));
}

/* Reads one request (headers and a Content-Length body); 0 on success. */
static inline int fake_read_request(fake_server *s, int fd) {
    size_t cap = 1 << 16, len = 0;
    char *req = malloc(cap + 1);
    if (!req) return -1;
    char *body = NULL;
    size_t want = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) break;
        ssize_t r = recv(fd, req + len, cap - len, 0);
        if (r <= 0) break;
        len += (size_t)r;
        req[len] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (!end) {
            if (len == cap) break;
            continue;
        }
        body = end + 4;
        if (!want) {
            const char *cl = strstr(req, "Content-Length:");
            if (!cl) cl = strstr(req, "content-length:");
            want = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
        }
        if ((size_t)(req + len - body) >= want || len == cap) break;
    }
    if (!body) {
        free(req);
        return -1;
    }
    body[-2] = '\0'; /* headers end */
    pthread_mutex_lock(&s->mu);
    s->n_requests++;
    const char *sp = strchr(req, ' ');
    size_t k = 0;
    if (sp)
        while (sp[1 + k] && sp[1 + k] != ' ' && k < sizeof s->last_path - 1) k++;
    memcpy(s->last_path, sp ? sp + 1 : "", k);
    s->last_path[k] = '\0';
    s->last_auth[0] = '\0';
    const char *a = strstr(req, "\r\nAuthorization: ");
    if (a) {
        a += 17;
        k = 0;
        while (a[k] && a[k] != '\r' && k < sizeof s->last_auth - 1) k++;
        memcpy(s->last_auth, a, k);
        s->last_auth[k] = '\0';
    }
    free(s->last_body);
    s->last_body = strdup(body);
    pthread_mutex_unlock(&s->mu);
    int post = strncmp(req, "POST ", 5) == 0;
    free(req);
    return post ? 1 : 0;
}

static inline void fake_serve(fake_server *s, int fd) {
    int post = fake_read_request(s, fd);
    if (post < 0) return;
    char path[128];
    pthread_mutex_lock(&s->mu);
    memcpy(path, s->last_path, sizeof path);
    pthread_mutex_unlock(&s->mu);
    if (!post && strcmp(path, "/v1/models") == 0) {
        if (s->models_status != 200) {
            fake_respond(fd, s->models_status == 404 ? "404 Not Found" : "503 Unavailable",
                         "{\"error\":{\"message\":\"Loading model\",\"code\":503}}");
            return;
        }
        fake_respond(fd, "200 OK",
                     "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\","
                     "\"owned_by\":\"teai-tests\",\"meta\":{\"n_vocab\":32000,\"n_params\":1000,"
                     "\"size\":2000,\"ftype\":\"F16\"}}]}");
        return;
    }
    int chat = strcmp(path, "/v1/chat/completions") == 0;
    if (!post || (!chat && strcmp(path, "/v1/completions") != 0)) {
        fake_respond(fd, "404 Not Found",
                     "{\"error\":{\"message\":\"File Not Found\",\"code\":404}}");
        return;
    }
    if (s->mode == FAKE_HTTP500) {
        fake_respond(fd, "500 Internal Server Error",
                     s->empty_error_body ? ""
                                         : "{\"error\":{\"message\":\"model exploded\",\"type\":"
                                           "\"server_error\",\"code\":500}}");
        return;
    }
    if (s->mode == FAKE_NOT_SSE) {
        fake_respond(fd, "200 OK", "{\"choices\":[{\"text\":\"w0 w1\",\"index\":0}]}");
        return;
    }
    fake_stream(s, fd, chat);
}

static inline void *fake_server_main(void *arg) {
    fake_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        struct pollfd p = {s->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fake_serve(s, fd);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

/* A listening socket on 127.0.0.1:0; its port into *port. -1 on failure. */
static inline int fake_listen(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port on 127.0.0.1 where nobody listens (bound, then released). */
static inline int fake_free_port(void) {
    int port = 0, fd = fake_listen(&port);
    if (fd < 0) return -1;
    close(fd);
    return port;
}

static inline int fake_server_start(fake_server *s) {
    s->listen_fd = fake_listen(&s->port);
    if (s->listen_fd < 0) return -1;
    if (pthread_create(&s->thread, NULL, fake_server_main, s) != 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
        return -1;
    }
    return 0;
}

static inline void fake_server_stop(fake_server *s) {
    if (s->listen_fd >= 0) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    free(s->last_body);
    s->last_body = NULL;
    pthread_mutex_destroy(&s->mu);
}

/* Copies what the last request said (any out may be NULL); returns how many
 * requests were served. */
static inline int fake_server_last(fake_server *s, char *path, size_t path_cap, char *auth,
                                   size_t auth_cap, char *body, size_t body_cap) {
    pthread_mutex_lock(&s->mu);
    if (path) snprintf(path, path_cap, "%s", s->last_path);
    if (auth) snprintf(auth, auth_cap, "%s", s->last_auth);
    if (body) snprintf(body, body_cap, "%s", s->last_body ? s->last_body : "");
    int n = s->n_requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Status of GET path on 127.0.0.1:port (0 when nothing answered): a probe
 * for servers that are still starting. */
static inline int fake_http_status(int port, const char *path, int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int status = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        char req[256], resp[64] = "";
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
        struct pollfd p = {fd, POLLIN, 0};
        if (fake_send(fd, req, (size_t)n) == 0 && poll(&p, 1, timeout_ms) > 0) {
            ssize_t r = recv(fd, resp, sizeof resp - 1, 0);
            if (r > 12 && strncmp(resp, "HTTP/1.", 7) == 0) {
                resp[r] = '\0';
                status = (int)strtol(resp + 9, NULL, 10);
            }
        }
    }
    close(fd);
    return status;
}

#endif
