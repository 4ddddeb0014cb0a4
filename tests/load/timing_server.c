/* A hand-made OpenAI-style streaming server for teai load's tests: each
 * response follows a script, so the client's TTFT, TPOT, ITL and goodput have
 * values known in advance.
 *
 *   timing_server [--ttft-ms T] [--itl-ms I] [--tokens N]
 *                 [--slow-every K --slow-ttft-ms T2]
 *                 [--fault reset|429|503|malformed|refuse --fault-every K]
 *                 [--capacity C] [--lifetime S]
 *
 * Listens on 127.0.0.1, an ephemeral port, printed as "port N" on stdout.
 * A thread per connection (HTTP/1.1 keep-alive). POST /v1/completions and
 * /v1/chat/completions stream: wait T ms, then N tokens (the request's
 * max_tokens unless --tokens), one SSE event each, I ms apart; then a finish
 * chunk, a usage chunk (prompt_tokens = words of the prompt) and [DONE].
 * Requests are numbered from 0 in the order they arrive; request k with
 * k % K == K-1 gets the slow TTFT or the fault:
 *   reset      3 tokens, then a TCP reset (SO_LINGER 0)
 *   429, 503   that status with an OpenAI error body {"error":{"message":"server_busy"}}
 *   malformed  2 tokens, then an event that is not JSON
 *   refuse     the response ends the connection and the server stops
 *              listening: later connections are refused
 * --capacity C serves at most C streams at once, the others wait (a queue
 * that grows when requests come faster than C streams end them).
 * GET /v1/models lists {"id":"timing"}. It exits after S s (default 120) or
 * on SIGTERM/SIGINT, and prints "served R requests, T tokens" on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double g_ttft = 50, g_itl = 10, g_slow_ttft = 0;
static long g_tokens = -1, g_slow_every = 0, g_fault_every = 0;
static const char *g_fault = "";
static atomic_long g_next, g_served, g_tok;
static atomic_int g_listen_fd = -1;
static long g_capacity;
static sem_t g_slots;

static void sleep_ms(double ms) {
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000),
                          (long)((ms - 1000.0 * (double)(long)(ms / 1000)) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A response's bytes wait in the thread's buffer until the next pause (or
 * its end): with no delays a whole stream is one write, and the client, not
 * this server, does most of the work. */
static __thread char t_out[1 << 16];
static __thread size_t t_len;

static int flush_out(int fd) {
    int rc = send_all(fd, t_out, t_len);
    t_len = 0;
    return rc;
}

static int out_add(int fd, const char *p, size_t n) {
    if (t_len + n > sizeof t_out && flush_out(fd)) return -1;
    if (n > sizeof t_out) return send_all(fd, p, n);
    memcpy(t_out + t_len, p, n);
    t_len += n;
    return 0;
}

/* One chunk of the chunked body holding `s`. */
static int send_chunk(int fd, const char *s) {
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%zx\r\n%s\r\n", strlen(s), s);
    return out_add(fd, buf, (size_t)n);
}

/* What was written so far goes out, then ms pass. */
static int pause_ms(int fd, double ms) {
    if (ms <= 0) return 0;
    int rc = flush_out(fd);
    sleep_ms(ms);
    return rc;
}

/* The number after "key": in body, or -1. */
static long json_long(const char *body, const char *key) {
    const char *p = strstr(body, key);
    if (!p) return -1;
    p = strchr(p + strlen(key), ':');
    if (!p) return -1;
    return strtol(p + 1, NULL, 10);
}

/* Words of the string after "key": (the load client sends plain words). */
static long json_words(const char *body, const char *key) {
    const char *p = strstr(body, key);
    if (!p || !(p = strchr(p + strlen(key), '"'))) return 0;
    long n = 1;
    for (p++; *p && *p != '"'; p++) n += *p == ' ';
    return n;
}

static void error_reply(int fd, int status) {
    const char *body = "{\"error\":{\"message\":\"server_busy\",\"type\":\"unavailable\"}}";
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                     "%zu\r\n\r\n%s",
                     status, status == 429 ? "Too Many Requests" : "Service Unavailable",
                     strlen(body), body);
    send_all(fd, buf, (size_t)n);
}

static int stream_body(int fd, int chat, int special, int slow, int refuse, long n, long prompt);

/* Streams one completion; returns 0 to keep the connection, -1 to close it. */
static int stream(int fd, const char *path, const char *body) {
    int chat = strstr(path, "chat") != NULL;
    long k = atomic_fetch_add(&g_next, 1);
    int special = g_fault_every > 0 && k % g_fault_every == g_fault_every - 1;
    int slow = g_slow_every > 0 && k % g_slow_every == g_slow_every - 1;
    long n = g_tokens > 0 ? g_tokens : json_long(body, "\"max_tokens\"");
    if (n < 1) n = 16;
    long prompt = json_words(body, chat ? "\"content\"" : "\"prompt\"");
    if (special && (strcmp(g_fault, "429") == 0 || strcmp(g_fault, "503") == 0)) {
        error_reply(fd, atoi(g_fault));
        atomic_fetch_add(&g_served, 1);
        return 0;
    }
    int refuse = special && strcmp(g_fault, "refuse") == 0;
    if (g_capacity > 0)
        while (sem_wait(&g_slots) != 0 && errno == EINTR) {
        }
    int rc = stream_body(fd, chat, special, slow, refuse, n, prompt);
    if (g_capacity > 0) sem_post(&g_slots);
    return rc;
}

/* The response of stream(), once a slot is free. */
static int stream_body(int fd, int chat, int special, int slow, int refuse, long n, long prompt) {
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      "Transfer-Encoding: chunked\r\nConnection: %s\r\n\r\n",
                      refuse ? "close" : "keep-alive");
    if (out_add(fd, head, (size_t)hn) || pause_ms(fd, slow ? g_slow_ttft : g_ttft)) return -1;
    char ev[512];
    long sent = 0;
    for (long i = 0; i < n; i++) {
        if (i && pause_ms(fd, g_itl)) return -1;
        if (special && strcmp(g_fault, "reset") == 0 && i == 3) {
            flush_out(fd);
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            atomic_fetch_add(&g_served, 1);
            return -1;
        }
        if (special && strcmp(g_fault, "malformed") == 0 && i == 2) {
            send_chunk(fd, "data: {\"choices\": [{\"text\": \"unterminated\n\n");
            out_add(fd, "0\r\n\r\n", 5);
            flush_out(fd);
            atomic_fetch_add(&g_served, 1);
            return 0;
        }
        if (chat)
            snprintf(ev, sizeof ev,
                     "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                     "\"delta\":{\"content\":\" t%ld\"},\"finish_reason\":null}]}\n\n",
                     i);
        else
            snprintf(ev, sizeof ev,
                     "data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,"
                     "\"text\":\" t%ld\",\"finish_reason\":null}]}\n\n",
                     i);
        if (send_chunk(fd, ev)) return -1;
        sent++;
    }
    snprintf(ev, sizeof ev,
             "data: {\"choices\":[{\"index\":0,%s,\"finish_reason\":\"length\"}]}\n\n",
             chat ? "\"delta\":{}" : "\"text\":\"\"");
    send_chunk(fd, ev);
    snprintf(ev, sizeof ev,
             "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
             "\"total_tokens\":%ld}}\n\n",
             prompt, sent, prompt + sent);
    send_chunk(fd, ev);
    send_chunk(fd, "data: [DONE]\n\n");
    if (refuse) { /* before the client has its [DONE] and connects again */
        int l = atomic_exchange(&g_listen_fd, -1);
        if (l >= 0) shutdown(l, SHUT_RDWR), close(l);
    }
    int rc = out_add(fd, "0\r\n\r\n", 5) || flush_out(fd) ? -1 : 0;
    atomic_fetch_add(&g_served, 1);
    atomic_fetch_add(&g_tok, sent);
    return refuse ? -1 : rc;
}

static void *conn(void *arg) {
    int fd = (int)(long)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval none = {0, 0}; /* not the listening socket's accept timeout */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    char *buf = malloc(1 << 20);
    size_t len = 0;
    while (buf) {
        char *end;
        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
            if (len >= (1 << 20) - 1) goto out;
            ssize_t r = recv(fd, buf + len, (1 << 20) - 1 - len, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) goto out;
            len += (size_t)r;
        }
        *end = '\0';
        size_t hlen = (size_t)(end - buf) + 4;
        long clen = 0;
        for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n"))
            if (strncasecmp(l + 2, "Content-Length:", 15) == 0) clen = strtol(l + 17, NULL, 10);
        if (clen < 0 || hlen + (size_t)clen >= (1 << 20)) goto out;
        while (len < hlen + (size_t)clen) {
            ssize_t r = recv(fd, buf + len, (1 << 20) - 1 - len, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) goto out;
            len += (size_t)r;
        }
        char save = buf[hlen + (size_t)clen];
        buf[hlen + (size_t)clen] = '\0';
        char method[8] = "", path[256] = "";
        sscanf(buf, "%7s %255s", method, path);
        int rc = 0;
        if (strcmp(method, "GET") == 0 && strstr(path, "/models")) {
            const char *b =
                "{\"object\":\"list\",\"data\":[{\"id\":\"timing\",\"object\":\"model\"}]}";
            char h[512];
            int n = snprintf(h, sizeof h,
                             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s",
                             strlen(b), b);
            rc = send_all(fd, h, (size_t)n);
        } else if (strcmp(method, "POST") == 0 && strstr(path, "completions")) {
            rc = stream(fd, path, buf + hlen);
        } else {
            const char *h = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
            rc = send_all(fd, h, strlen(h));
        }
        buf[hlen + (size_t)clen] = save;
        memmove(buf, buf + hlen + clen, len - hlen - (size_t)clen);
        len -= hlen + (size_t)clen;
        if (rc) break;
    }
out:
    free(buf);
    close(fd);
    return NULL;
}

static volatile sig_atomic_t g_stop;
static void on_sig(int s) {
    (void)s;
    g_stop = 1;
}

int main(int argc, char **argv) {
    double lifetime = 120;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--ttft-ms") == 0)
            g_ttft = strtod(v, NULL);
        else if (strcmp(a, "--itl-ms") == 0)
            g_itl = strtod(v, NULL);
        else if (strcmp(a, "--tokens") == 0)
            g_tokens = strtol(v, NULL, 10);
        else if (strcmp(a, "--slow-every") == 0)
            g_slow_every = strtol(v, NULL, 10);
        else if (strcmp(a, "--slow-ttft-ms") == 0)
            g_slow_ttft = strtod(v, NULL);
        else if (strcmp(a, "--fault") == 0)
            g_fault = v;
        else if (strcmp(a, "--fault-every") == 0)
            g_fault_every = strtol(v, NULL, 10);
        else if (strcmp(a, "--lifetime") == 0)
            lifetime = strtod(v, NULL);
        else if (strcmp(a, "--capacity") == 0)
            g_capacity = strtol(v, NULL, 10);
        else {
            fprintf(stderr, "timing_server: unknown option %s\n", a);
            return 2;
        }
    }
    if (g_capacity > 0) sem_init(&g_slots, 0, (unsigned)g_capacity);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (bind(l, (struct sockaddr *)&addr, sizeof addr) || listen(l, 1024) ||
        getsockname(l, (struct sockaddr *)&addr, &alen)) {
        perror("timing_server: listen");
        return 1;
    }
    atomic_store(&g_listen_fd, l);
    printf("port %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!g_stop) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) > lifetime) break;
        int lf = atomic_load(&g_listen_fd);
        if (lf < 0) { /* refusing: wait out the lifetime */
            sleep_ms(50);
            continue;
        }
        struct timeval tv = {0, 100000};
        setsockopt(lf, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int fd = accept(lf, NULL, NULL);
        if (fd < 0) continue;
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 256 * 1024);
        if (pthread_create(&th, &at, conn, (void *)(long)fd) != 0) close(fd);
        pthread_attr_destroy(&at);
    }
    fprintf(stderr, "timing_server: served %ld requests, %ld tokens\n", atomic_load(&g_served),
            atomic_load(&g_tok));
    return 0;
}
