/* `teai serve` end to end: the program started on a synthesized model with
 * --port 0, then driven over HTTP with libcurl: /health, /v1/models,
 * completions and chat, streamed and not (at temperature 0 the text equals
 * `teai generate`'s, and a stream's chunks join to the same text), stop
 * strings, every error status, a full queue (503), clients that leave while
 * streaming or queued (their place is freed at once), teai's own openai
 * client (`teai bench --backend openai`, then `teai collate`), and SIGTERM
 * during a stream (exit 0). */
#include "test_util.h"

#if TEAI_HAVE_SERVER && TEAI_HAVE_CURL

#include "backends/sse.h"
#include "results/results_impl.h"
#include "server/server.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "test-key-123"

static const char *g_bin;
static char g_dir[512], g_model[600];
static pid_t g_pid = -1;
static int g_port;
static int g_light;
static char g_base[64];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void kill_server(void) {
    if (g_pid > 0) {
        kill(g_pid, SIGKILL);
        waitpid(g_pid, NULL, 0);
        g_pid = -1;
    }
}

/* Reads a whole file (NUL-terminated, malloc'd). */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    teai_buf b;
    teai_buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) teai_buf_add(&b, tmp, n);
    fclose(f);
    teai_buf_add(&b, "", 0);
    if (len) *len = b.len;
    return b.data;
}

/* Starts `teai serve` with the given extra arguments; reads its port from
 * the "listening on" line of its stderr. */
static int start_server(const char *log, char *const extra[]) {
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)g_bin;
    argv[n++] = "serve";
    argv[n++] = "-m";
    argv[n++] = g_model;
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 0; extra[i] && n < 31; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDWR);
        if (fd < 0 || nul < 0) _exit(126);
        dup2(fd, 2);
        dup2(nul, 1);
        dup2(nul, 0);
        execv(g_bin, argv);
        _exit(127);
    }
    g_pid = pid;
    for (int waited = 0; waited < 120000; waited += 20) {
        char *text = slurp(log, NULL);
        const char *at = text ? strstr(text, "listening on http://127.0.0.1:") : NULL;
        if (at) {
            g_port = atoi(at + strlen("listening on http://127.0.0.1:"));
            free(text);
            snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", g_port);
            return g_port > 0 ? 0 : -1;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "teai serve exited early: %s\n", text ? text : "");
            free(text);
            g_pid = -1;
            return -1;
        }
        free(text);
        sleep_ms(20);
    }
    return -1;
}

/* ---- plain requests ------------------------------------------------------ */

typedef struct resp {
    long status;
    teai_buf body, headers;
    cJSON *json;
    double ms;
} resp;

static size_t to_buf(char *p, size_t size, size_t n, void *ud) {
    return teai_buf_add(ud, p, size * n) == TEAI_OK ? size * n : 0;
}

static void resp_free(resp *r) {
    teai_buf_free(&r->body);
    teai_buf_free(&r->headers);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* One request; key NULL: no Authorization header. extra_header may be NULL. */
static CURLcode http(const char *method, const char *path, const char *body, size_t blen,
                     const char *key, const char *extra_header, resp *r) {
    memset(r, 0, sizeof *r);
    teai_buf_init(&r->body, 0);
    teai_buf_init(&r->headers, 0);
    CURL *h = curl_easy_init();
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        hd = curl_slist_append(hd, auth);
    }
    hd = curl_slist_append(hd, extra_header ? extra_header : "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)blen);
    }
    if (strcmp(method, body ? "POST" : "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    uint64_t t0 = now_ns();
    CURLcode rc = curl_easy_perform(h);
    r->ms = (double)(now_ns() - t0) / 1e6;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body.len) r->json = cJSON_ParseWithLength(r->body.data, r->body.len);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return rc;
}

static CURLcode post(const char *path, const char *body, resp *r) {
    return http("POST", path, body, strlen(body), KEY, NULL, r);
}

static const cJSON *get(const cJSON *o, const char *path) {
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        if (key[0] >= '0' && key[0] <= '9')
            o = cJSON_GetArrayItem(o, atoi(key));
        else
            o = cJSON_GetObjectItemCaseSensitive(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static const char *str_at(const cJSON *o, const char *path) {
    const cJSON *v = get(o, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *path) {
    const cJSON *v = get(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* ---- streams ------------------------------------------------------------ */

typedef struct stream {
    const char *path;
    char body[512];
    int chat;
    int abort_; /* set (atomically) to make the client leave */
    int chunks; /* content chunks seen (atomic) */
    uint64_t t_first_ns, t_last_ns;
    teai__sse sse;
    teai_buf text;
    int n_events, done, bad_json, bad_utf8, finish_chunks, usage_chunks, role_chunks, errors;
    int token_chunks;
    char finish[16];
    char err_code[40]; /* the error event's code */
    long long completion_tokens;
    long status;
    CURLcode rc;
    pthread_t th;
} stream;

static int on_event(void *ud, const char *event, const char *data, size_t len) {
    stream *s = ud;
    (void)event;
    s->n_events++;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->done = 1;
        return 0;
    }
    cJSON *o = cJSON_ParseWithLength(data, len);
    if (!o) {
        s->bad_json++;
        return 0;
    }
    if (get(o, "error")) {
        s->errors++;
        const char *code = str_at(o, "error.code");
        snprintf(s->err_code, sizeof s->err_code, "%s", code ? code : "");
    }
    const cJSON *c0 = get(o, "choices.0");
    if (get(o, "usage")) {
        s->usage_chunks++;
        s->completion_tokens = (long long)num_at(o, "usage.completion_tokens");
    }
    if (c0) {
        const char *t = s->chat ? str_at(c0, "delta.content") : str_at(c0, "text");
        if (t) {
            if (!teai__utf8_valid(t, strlen(t))) s->bad_utf8++;
            teai_buf_add(&s->text, t, strlen(t));
        }
        if (str_at(c0, "delta.role")) s->role_chunks++;
        if (get(c0, "token_ids")) {
            s->token_chunks++;
            uint64_t t_now = now_ns();
            if (__atomic_add_fetch(&s->chunks, 1, __ATOMIC_SEQ_CST) == 1)
                __atomic_store_n(&s->t_first_ns, t_now, __ATOMIC_SEQ_CST);
            __atomic_store_n(&s->t_last_ns, t_now, __ATOMIC_SEQ_CST);
        }
        const char *f = str_at(c0, "finish_reason");
        if (f) {
            s->finish_chunks++;
            snprintf(s->finish, sizeof s->finish, "%s", f);
        }
    }
    cJSON_Delete(o);
    return 0;
}

static size_t stream_write(char *p, size_t size, size_t n, void *ud) {
    stream *s = ud;
    if (__atomic_load_n(&s->abort_, __ATOMIC_SEQ_CST)) return 0;
    teai__sse_feed(&s->sse, p, size * n, on_event, s);
    return size * n;
}

static int stream_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    stream *s = ud;
    (void)a, (void)b, (void)c, (void)d;
    return __atomic_load_n(&s->abort_, __ATOMIC_SEQ_CST) != 0;
}

static void *stream_run(void *ud) {
    stream *s = ud;
    CURL *h = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s%s", g_base, s->path);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, "Authorization: Bearer " KEY);
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    s->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s->status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static void stream_init(stream *s, int chat, const char *body) {
    memset(s, 0, sizeof *s);
    s->chat = chat;
    s->path = chat ? "/v1/chat/completions" : "/v1/completions";
    snprintf(s->body, sizeof s->body, "%s", body);
    teai__sse_init(&s->sse, 0);
    teai_buf_init(&s->text, 0);
    teai_buf_add(&s->text, "", 0);
}

static void stream_free(stream *s) {
    teai__sse_free(&s->sse);
    teai_buf_free(&s->text);
}

static void stream_start(stream *s) {
    pthread_create(&s->th, NULL, stream_run, s);
}

static void stream_abort(stream *s) {
    __atomic_store_n(&s->abort_, 1, __ATOMIC_SEQ_CST);
}

/* Waits (up to ms) until the stream has n content chunks; 1 if it has. */
static int wait_chunks(stream *s, int n, int ms) {
    for (int t = 0; t < ms; t += 5) {
        if (__atomic_load_n(&s->chunks, __ATOMIC_SEQ_CST) >= n) return 1;
        sleep_ms(5);
    }
    return 0;
}

/* /health's "waiting" (-1 when it cannot be read). */
static int health_waiting(void) {
    resp r;
    http("GET", "/health", NULL, 0, NULL, NULL, &r);
    int w = r.status == 200 ? (int)num_at(r.json, "waiting") : -1;
    resp_free(&r);
    return w;
}

static int wait_waiting(int n, int ms) {
    for (int t = 0; t < ms; t += 20) {
        if (health_waiting() == n) return 1;
        sleep_ms(20);
    }
    return 0;
}

/* ---- the reference: teai generate ---------------------------------------- */

/* `teai generate` output for the prompt (its added final newline dropped),
 * cleaned into valid UTF-8 the way the server must send it. */
static int generate_ref(const char *prompt, int n, int chat, teai_buf *out) {
    char cmd[2048], path[700];
    snprintf(path, sizeof path, "%s/gen.out", g_dir);
    snprintf(cmd, sizeof cmd,
             "'%s' generate -m '%s' -p '%s' -n %d --temp 0 -t 1 %s >'%s' 2>/dev/null", g_bin,
             g_model, prompt, n, chat ? "--chat" : "", path);
    if (test_system("%s", cmd) != 0) return -1;
    size_t len;
    char *raw = slurp(path, &len);
    if (!raw) return -1;
    if (len && raw[len - 1] == '\n') len--;
    size_t used;
    out->len = 0;
    int rc = teai__srv_utf8_clean(raw, len, 1, out, &used);
    teai_buf_add(out, "", 0);
    free(raw);
    return rc;
}

/* ---- the tests ------------------------------------------------------------- */

static int n_tokens(void) {
    return g_light ? 12 : 32;
}

static void test_health_models(void) {
    resp r;
    ASSERT_EQ(http("GET", "/health", NULL, 0, NULL, NULL, &r), CURLE_OK);
    ASSERT_EQ(r.status, 200);
    ASSERT_STREQ(str_at(r.json, "status"), "ok");
    resp_free(&r);
    ASSERT_EQ(http("GET", "/v1/models", NULL, 0, KEY, NULL, &r), CURLE_OK);
    ASSERT_EQ(r.status, 200);
    ASSERT_STREQ(str_at(r.json, "object"), "list");
    ASSERT_STREQ(str_at(r.json, "data.0.id"), "slow.gguf");
    ASSERT_STREQ(str_at(r.json, "data.0.object"), "model");
    ASSERT_EQ(num_at(r.json, "data.0.meta.n_vocab"), 512);
    ASSERT_TRUE(num_at(r.json, "data.0.meta.n_params") > 1e6);
    resp_free(&r);
}

/* Non-streamed equals teai generate; streamed chunks join to the same text. */
static void check_endpoint(int chat) {
    const int n = n_tokens();
    teai_buf ref;
    teai_buf_init(&ref, 0);
    ASSERT_EQ(generate_ref("Hello there", n, chat, &ref), 0);
    char body[512];
    if (chat)
        snprintf(body, sizeof body,
                 "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],"
                 "\"max_tokens\":%d,\"temperature\":0}",
                 n);
    else
        snprintf(body, sizeof body,
                 "{\"model\":\"x\",\"prompt\":\"Hello there\",\"max_tokens\":%d,\"temperature\":0}",
                 n);
    resp r;
    ASSERT_EQ(post(chat ? "/v1/chat/completions" : "/v1/completions", body, &r), CURLE_OK);
    ASSERT_EQ(r.status, 200);
    ASSERT_STREQ(str_at(r.json, "object"), chat ? "chat.completion" : "text_completion");
    ASSERT_TRUE(str_at(r.json, "id") != NULL);
    ASSERT_STREQ(str_at(r.json, "model"), "slow.gguf");
    ASSERT_TRUE(num_at(r.json, "created") > 1e9);
    const char *text = str_at(r.json, chat ? "choices.0.message.content" : "choices.0.text");
    ASSERT_TRUE(text != NULL);
    if (chat) ASSERT_STREQ(str_at(r.json, "choices.0.message.role"), "assistant");
    ASSERT_STREQ(text, ref.data); /* the strong check: same tokens as teai generate */
    int pt = (int)num_at(r.json, "usage.prompt_tokens"),
        ct = (int)num_at(r.json, "usage.completion_tokens");
    ASSERT_TRUE(pt > 1 && ct >= 1 && ct <= n);
    ASSERT_EQ(num_at(r.json, "usage.total_tokens"), pt + ct);
    ASSERT_STREQ(str_at(r.json, "choices.0.finish_reason"), ct == n ? "length" : "stop");
    ASSERT_EQ(num_at(r.json, "timings.prompt_n"), pt);
    ASSERT_EQ(num_at(r.json, "timings.predicted_n"), ct);
    ASSERT_TRUE(num_at(r.json, "timings.prompt_ms") > 0);
    char whole[4096];
    snprintf(whole, sizeof whole, "%s", text);
    char finish[16];
    snprintf(finish, sizeof finish, "%s", str_at(r.json, "choices.0.finish_reason"));
    resp_free(&r);

    /* streamed, with usage */
    body[strlen(body) - 1] = '\0';
    strcat(body, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    stream s;
    stream_init(&s, chat, body);
    stream_run(&s);
    ASSERT_EQ(s.rc, CURLE_OK);
    ASSERT_EQ(s.status, 200);
    ASSERT_TRUE(s.done);
    ASSERT_EQ(s.bad_json, 0);
    ASSERT_EQ(s.bad_utf8, 0);
    ASSERT_EQ(s.errors, 0);
    ASSERT_STREQ(s.text.data, whole);
    ASSERT_EQ(s.token_chunks, ct); /* one chunk per token */
    ASSERT_EQ(s.finish_chunks, 1);
    ASSERT_STREQ(s.finish, finish);
    ASSERT_EQ(s.usage_chunks, 1);
    ASSERT_EQ(s.completion_tokens, ct);
    ASSERT_EQ(s.role_chunks, chat ? 1 : 0);
    stream_free(&s);

    /* a stop string taken from the text: the text ends before its first occurrence */
    size_t len = strlen(whole), at = 0;
    for (size_t i = 2; i < len && !at; i++)
        if (whole[i] > ' ' && whole[i] < 127 && whole[i] != '"' && whole[i] != '\\') at = i;
    if (at) {
        char stop[2] = {whole[at], 0};
        size_t first = strchr(whole, stop[0]) - whole;
        snprintf(
            body, sizeof body,
            "{\"prompt\":\"Hello there\",\"max_tokens\":%d,\"temperature\":0,\"stop\":[\"%s\"]%s}",
            n, stop, "");
        if (chat)
            snprintf(body, sizeof body,
                     "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],"
                     "\"max_tokens\":%d,\"temperature\":0,\"stop\":\"%s\"}",
                     n, stop);
        ASSERT_EQ(post(chat ? "/v1/chat/completions" : "/v1/completions", body, &r), CURLE_OK);
        text = str_at(r.json, chat ? "choices.0.message.content" : "choices.0.text");
        ASSERT_TRUE(text != NULL);
        ASSERT_EQ(strlen(text), first);
        ASSERT_TRUE(strncmp(text, whole, first) == 0);
        ASSERT_STREQ(str_at(r.json, "choices.0.finish_reason"), "stop");
        resp_free(&r);
    }
    teai_buf_free(&ref);
}

static void test_completions(void) {
    check_endpoint(0);
}

static void test_chat(void) {
    check_endpoint(1);
}

typedef struct err_case {
    const char *method, *path, *body, *key;
    long status;
    const char *param, *code;
} err_case;

static void test_errors(void) {
    static const err_case cases[] = {
        {"POST", "/v1/completions", "{\"prompt\": \"hi\",", KEY, 400, NULL, NULL},
        {"POST", "/v1/completions", "{\"max_tokens\": 3}", KEY, 400, "prompt", NULL},
        {"POST", "/v1/chat/completions", "{\"prompt\": \"hi\"}", KEY, 400, "messages", NULL},
        {"POST", "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2049}", KEY, 400,
         "max_tokens", NULL},
        {"POST", "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2048, \"n\": 1}", KEY,
         400, "max_tokens", "context_length_exceeded"},
        {"POST", "/v1/completions", "{\"prompt\": \"hi\", \"n\": 3}", KEY, 400, "n", NULL},
        {"POST", "/v1/completions", "{\"prompt\": \"hi\"}", "wrong-key", 401, NULL,
         "invalid_api_key"},
        {"POST", "/v1/completions", "{\"prompt\": \"hi\"}", NULL, 401, NULL, "invalid_api_key"},
        {"GET", "/v1/models", NULL, "test-key-12", 401, NULL, "invalid_api_key"},
        {"GET", "/v1/nothing", NULL, KEY, 404, NULL, "not_found"},
        {"GET", "/v1/completions", NULL, KEY, 405, NULL, "method_not_allowed"},
        {"DELETE", "/v1/models", NULL, KEY, 405, NULL, "method_not_allowed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const err_case *c = &cases[i];
        resp r;
        CURLcode rc =
            http(c->method, c->path, c->body, c->body ? strlen(c->body) : 0, c->key, NULL, &r);
        const char *param = str_at(r.json, "error.param"), *code = str_at(r.json, "error.code");
        const char *msg = str_at(r.json, "error.message"), *type = str_at(r.json, "error.type");
        int ok = rc == CURLE_OK && r.status == c->status && msg && msg[0] && type &&
                 (c->param ? param && !strcmp(param, c->param)
                           : cJSON_IsNull(get(r.json, "error.param"))) &&
                 (!c->code || (code && !strcmp(code, c->code)));
        if (!ok) {
            TEST_FAIL_AT("case %zu: %s %s: status %ld (wanted %ld): %s", i, c->method, c->path,
                         r.status, c->status, r.body.data ? r.body.data : "(no body)");
            resp_free(&r);
            return;
        }
        if (c->status == 405) ASSERT_TRUE(strstr(r.headers.data, "Allow:") != NULL);
        if (c->status == 401) ASSERT_STREQ(type, "authentication_error");
        resp_free(&r);
    }
    /* bodies over --max-body: refused from Content-Length, or while read (chunked) */
    size_t big = 70000;
    char *b = malloc(big + 1);
    ASSERT_TRUE(b != NULL);
    memset(b, ' ', big);
    memcpy(b, "{\"prompt\": \"", 12);
    memcpy(b + big - 2, "\"}", 2);
    b[big] = '\0';
    resp r;
    ASSERT_EQ(http("POST", "/v1/completions", b, big, KEY, "Expect: 100-continue", &r), CURLE_OK);
    ASSERT_EQ(r.status, 413);
    ASSERT_STREQ(str_at(r.json, "error.code"), "request_too_large");
    resp_free(&r);
    CURLcode rc = http("POST", "/v1/completions", b, big, KEY, "Transfer-Encoding: chunked", &r);
    ASSERT_EQ(rc, CURLE_OK);
    ASSERT_EQ(r.status, 413);
    resp_free(&r);
    free(b);
    /* and the server is still fine */
    ASSERT_EQ(http("GET", "/health", NULL, 0, NULL, NULL, &r), CURLE_OK);
    ASSERT_EQ(r.status, 200);
    resp_free(&r);
}

/* One generation at a time, a queue of one: the third request gets 503; a
 * client that leaves (queued or streaming) frees its place at once. */
static void test_queue(void) {
    const char *long_body = "{\"prompt\": \"Once\", \"max_tokens\": 1900, \"temperature\": 0, "
                            "\"stream\": true}";
    stream a, b, d;
    stream_init(&a, 0, long_body);
    stream_init(&b, 0, long_body);
    stream_init(&d, 0, long_body);
    stream_start(&a);
    ASSERT_TRUE(wait_chunks(&a, 2, 60000)); /* a holds the engine */
    stream_start(&b);
    ASSERT_TRUE(wait_waiting(1, 30000)); /* b waits */
    resp r;
    ASSERT_EQ(post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2}", &r), CURLE_OK);
    ASSERT_EQ(r.status, 503);
    ASSERT_STREQ(str_at(r.json, "error.code"), "server_busy");
    ASSERT_TRUE(strstr(r.headers.data, "Retry-After") != NULL);
    resp_free(&r);

    /* b leaves while queued: its place is free again */
    stream_abort(&b);
    pthread_join(b.th, NULL);
    ASSERT_TRUE(wait_waiting(0, 5000));
    ASSERT_EQ(b.chunks, 0);
    stream_start(&d);
    ASSERT_TRUE(wait_waiting(1, 30000)); /* d could queue: not 503 */

    /* a leaves mid-stream: d starts at once, long before a would have ended */
    ASSERT_TRUE(wait_chunks(&a, 4, 60000));
    uint64_t t0 = now_ns();
    stream_abort(&a);
    pthread_join(a.th, NULL);
    int a_had = a.chunks;
    double per_token_ms = (double)(a.t_last_ns - a.t_first_ns) / 1e6 / (a_had - 1);
    ASSERT_TRUE(wait_chunks(&d, 1, 30000));
    double waited_ms = (double)(__atomic_load_n(&d.t_first_ns, __ATOMIC_SEQ_CST) - t0) / 1e6;
    double a_left_ms = (1900 - a_had) * per_token_ms; /* what a would still have taken */
    printf("  a left after %d chunks (%.2f ms/token, %.0f ms to go); d's first chunk %.1f ms "
           "later\n",
           a_had, per_token_ms, a_left_ms, waited_ms);
    /* d's prefill and a few tokens at most, not the rest of a's generation */
    ASSERT_TRUE(waited_ms < 2000 + 8 * per_token_ms);
    ASSERT_TRUE(waited_ms < a_left_ms);

    /* d leaves too: a short request is served promptly */
    stream_abort(&d);
    pthread_join(d.th, NULL);
    ASSERT_EQ(
        post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2, \"temperature\": 0}", &r),
        CURLE_OK);
    ASSERT_EQ(r.status, 200);
    printf("  the next request: %.1f ms\n", r.ms);
    ASSERT_TRUE(r.ms < 5000);
    resp_free(&r);
    ASSERT_EQ(health_waiting(), 0);
    stream_free(&a);
    stream_free(&b);
    stream_free(&d);
}

/* teai's own openai client against the server: bench writes a log, collate
 * turns it into openai.csv rows with tokens. */
static void test_bench_client(void) {
    char out[700], csv[800];
    snprintf(out, sizeof out, "%s/bench", g_dir);
    int rc = test_system("'%s' bench --backend openai --base-url %s --api-key " KEY
                         " -n 6 --repetitions 1 --warmup 0 --prompt-tokens 16 --output-dir '%s' -q"
                         " >/dev/null 2>'%s/bench.err'",
                         g_bin, g_base, out, g_dir);
    if (rc != 0) {
        char p[800];
        snprintf(p, sizeof p, "%s/bench.err", g_dir);
        char *e = slurp(p, NULL);
        TEST_FAIL_AT("teai bench --backend openai: exit %d: %s", rc, e ? e : "");
        free(e);
        return;
    }
    rc = test_system("'%s' collate --dir '%s' >/dev/null 2>&1", g_bin, out);
    ASSERT_EQ(rc, 0);
    snprintf(csv, sizeof csv, "%s/openai.csv", out);
    char *text = slurp(csv, NULL);
    ASSERT_TRUE(text != NULL);
    /* the rows: a summary (step 0) with prefill facts, then one per token */
    int rows = 0, token_rows = 0;
    const char *line = strchr(text, '\n');
    ASSERT_TRUE(line != NULL);
    ASSERT_TRUE(strncmp(text, "step,enqueue_latency_ms,total_latency_ms,tokens_per_sec,", 56) == 0);
    /* the header names the columns filled from the server's timings */
    ASSERT_TRUE(strstr(text, ",prefill_tokens,") != NULL);
    for (line++; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        rows++;
        if (atoi(line) >= 1) token_rows++;
    }
    printf("  openai.csv: %d rows, %d of them tokens\n", rows, token_rows);
    ASSERT_TRUE(token_rows >= 1 && token_rows <= 6);
    ASSERT_TRUE(strstr(text, ",16,") != NULL); /* 16 prompt tokens, from usage and timings */
    free(text);
}

/* SIGTERM while a stream runs: the stream ends, the server exits 0. */
static void test_sigterm(void) {
    stream a;
    stream_init(&a, 1,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"go\"}], \"max_tokens\": 1900,"
                " \"temperature\": 0, \"stream\": true}");
    stream_start(&a);
    ASSERT_TRUE(wait_chunks(&a, 1, 60000));
    uint64_t t0 = now_ns();
    ASSERT_EQ(kill(g_pid, SIGTERM), 0);
    int st = 0;
    pid_t got = 0;
    for (int t = 0; t < 30000 && got == 0; t += 10) {
        got = waitpid(g_pid, &st, WNOHANG);
        if (!got) sleep_ms(10);
    }
    pthread_join(a.th, NULL);
    ASSERT_EQ(got, g_pid);
    g_pid = -1;
    printf("  stopped in %.0f ms\n", (double)(now_ns() - t0) / 1e6);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_EQ(a.errors, 1); /* the stream says it was cut */
    ASSERT_TRUE(a.chunks < 1900);
    stream_free(&a);
}

/* ---- raw HTTP: what curl would never send --------------------------------- */

/* A TCP connection to the server from the loopback address src (NULL: any);
 * -1 when it cannot be made. */
static int raw_connect(const char *src) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* bounds connect() too */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons((uint16_t)g_port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the server closes or ms pass; returns the bytes in out. */
static void raw_read_all(int fd, teai_buf *out, int ms) {
    uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
    char buf[4096];
    while (now_ns() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((end - now_ns()) / 1000000ull);
        if (poll(&p, 1, left > 0 ? left : 0) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        teai_buf_add(out, buf, (size_t)n);
    }
    teai_buf_add(out, "", 0);
}

/* Sends req on a new connection and reads the reply until the server closes. */
static int raw_exchange(const char *req, size_t len, teai_buf *out, int ms) {
    int fd = raw_connect(NULL);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may refuse before all is sent */
        off += (size_t)n;
    }
    raw_read_all(fd, out, ms);
    close(fd);
    return 0;
}

static int count_str(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

/* Status lines in a reply: "HTTP/1." at its start or a line's. */
static int status_lines(const char *r) {
    return (strncmp(r, "HTTP/1.", 7) == 0) + count_str(r, "\nHTTP/1.");
}

/* A reply that is one JSON error: one status line (status), Content-Type
 * JSON, a Content-Length that matches, and error.code == code. */
static int check_json_error(const char *what, const teai_buf *reply, int status, const char *code) {
    const char *r = reply->data ? reply->data : "";
    char line[32];
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    const char *body = strstr(r, "\r\n\r\n");
    cJSON *j = body ? cJSON_Parse(body + 4) : NULL;
    const char *got = j ? str_at(j, "error.code") : NULL;
    const char *cl = strstr(r, "Content-Length: ");
    int ok = strncmp(r, line, strlen(line)) == 0 && status_lines(r) == 1 &&
             strstr(r, "Content-Type: application/json\r\n") && body && cl && cl < body &&
             (size_t)atol(cl + 16) == strlen(body + 4) && j && got && !strcmp(got, code) &&
             str_at(j, "error.message") && str_at(j, "error.type");
    if (!ok) TEST_FAIL_AT("%s: wanted one JSON %d '%s', got: %.600s", what, status, code, r);
    cJSON_Delete(j);
    return ok;
}

typedef struct raw_case {
    const char *what, *req;
    int status;
    const char *code;
} raw_case;

#define AUTH "Authorization: Bearer " KEY "\r\n"

static void test_http_errors(void) {
    static const raw_case cases[] = {
        {"negative Content-Length",
         "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" AUTH "Content-Length: -1\r\n\r\n", 400,
         "bad_content_length"},
        {"huge Content-Length",
         "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" AUTH
         "Content-Length: 99999999999999999999999999\r\n\r\n",
         413, "request_too_large"},
        {"Content-Length not a number",
         "POST /v1/completions HTTP/1.1\r\n" AUTH "Content-Length: 12abc\r\n\r\n", 400,
         "bad_content_length"},
        {"two Content-Lengths",
         "POST /v1/completions HTTP/1.1\r\n" AUTH "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
         400, "bad_content_length"},
        {"Content-Length and chunked",
         "POST /v1/completions HTTP/1.1\r\n" AUTH
         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         400, "bad_request"},
        {"gzip transfer coding",
         "POST /v1/completions HTTP/1.1\r\n" AUTH "Transfer-Encoding: gzip\r\n\r\n", 501,
         "not_implemented"},
        {"chunk size not hex",
         "POST /v1/completions HTTP/1.1\r\n" AUTH
         "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
         400, "bad_chunk"},
        {"chunk longer than its size",
         "POST /v1/completions HTTP/1.1\r\n" AUTH
         "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
         400, "bad_chunk"},
        {"chunk past the body limit",
         "POST /v1/completions HTTP/1.1\r\n" AUTH
         "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
         413, "request_too_large"},
        {"HTTP/2.0", "GET /health HTTP/2.0\r\n\r\n", 505, "http_version_not_supported"},
        {"bare CR in a header", "GET /health HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400, "bad_request"},
        {"ESC in the path", "GET /he\x1b[31mlth HTTP/1.1\r\n\r\n", 400, "bad_request"},
        {"folded header", "GET /health HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400, "bad_request"},
        {"a TLS hello", "\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03\r\n\r\n", 400, "bad_request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai_buf out;
        teai_buf_init(&out, 0);
        ASSERT_EQ(raw_exchange(cases[i].req, strlen(cases[i].req), &out, 5000), 0);
        int ok = check_json_error(cases[i].what, &out, cases[i].status, cases[i].code);
        teai_buf_free(&out);
        if (!ok) return;
    }
    /* a head over the limit (16 KiB): 431 */
    teai_buf big, out;
    teai_buf_init(&big, 0);
    teai_buf_init(&out, 0);
    teai_buf_addstr(&big, "GET /health HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 20000; i++) teai_buf_add(&big, "a", 1);
    teai_buf_addstr(&big, "\r\n\r\n");
    ASSERT_EQ(raw_exchange(big.data, big.len, &out, 5000), 0);
    ASSERT_TRUE(check_json_error("20000-byte header", &out, 431, "headers_too_large"));
    /* too many header lines: 431 */
    big.len = 0;
    out.len = 0;
    teai_buf_addstr(&big, "GET /health HTTP/1.1\r\n");
    for (int i = 0; i < 80; i++) teai_buf_printf(&big, "X-H%d: %d\r\n", i, i);
    teai_buf_addstr(&big, "\r\n");
    ASSERT_EQ(raw_exchange(big.data, big.len, &out, 5000), 0);
    ASSERT_TRUE(check_json_error("80 headers", &out, 431, "headers_too_large"));
    teai_buf_free(&big);
    teai_buf_free(&out);
}

/* Pipelined requests on one connection, a chunked body, HTTP/1.0. */
static void test_http_framing(void) {
    teai_buf out;
    teai_buf_init(&out, 0);
    const char *two = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(raw_exchange(two, strlen(two), &out, 5000), 0);
    ASSERT_EQ(count_str(out.data, "HTTP/1.1 200 OK\r\n"), 2);
    ASSERT_EQ(count_str(out.data, "\"status\":\"ok\""), 2);
    out.len = 0;
    const char *chunked =
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" AUTH "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
        "f;ext=1\r\n{\"prompt\": \"Hel\r\n"
        "20\r\nlo\", \"max_tokens\": 3, \"seed\": 1}\r\n0\r\nX-Trailer: 1\r\n\r\n";
    ASSERT_EQ(raw_exchange(chunked, strlen(chunked), &out, 30000), 0);
    ASSERT_TRUE(strncmp(out.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_TRUE(strstr(out.data, "\"text_completion\"") != NULL);
    out.len = 0;
    const char *old = "GET /health HTTP/1.0\r\n\r\n"; /* no keep-alive: closed after */
    ASSERT_EQ(raw_exchange(old, strlen(old), &out, 5000), 0);
    ASSERT_TRUE(strstr(out.data, "Connection: close\r\n") != NULL);
    ASSERT_EQ(status_lines(out.data), 1);
    teai_buf_free(&out);
}

/* What a client sends cannot forge a log line or reach the terminal raw. */
static void test_log_escaping(void) {
    char esc[64];
    ASSERT_STREQ(teai__escape_ctl_str(esc, sizeof esc, "a\nb\r\x1b[2J\\"),
                 "a\\x0ab\\x0d\\x1b[2J\\\\");
    ASSERT_STREQ(teai__escape_ctl_str(esc, 8, "0123456789"), "0123...");
    resp r;
    const char *body = "{\"messages\": [{\"role\": \"user\\nteai serve: FORGED\\u001b[2J\", "
                       "\"content\": \"hi\"}], \"max_tokens\": 2}";
    ASSERT_EQ(post("/v1/chat/completions", body, &r), CURLE_OK);
    ASSERT_EQ(r.status, 400);
    ASSERT_STREQ(str_at(r.json, "error.param"), "messages[0].role");
    resp_free(&r);
    sleep_ms(100);
    char log[700];
    snprintf(log, sizeof log, "%s/serve.log", g_dir);
    char *text = slurp(log, NULL);
    ASSERT_TRUE(text != NULL);
    ASSERT_TRUE(strstr(text, "\nteai serve: FORGED") == NULL); /* no forged line */
    ASSERT_TRUE(strstr(text, "\\x0ateai serve: FORGED\\x1b[2J") != NULL);
    ASSERT_TRUE(strchr(text, 0x1b) == NULL);
    free(text);
}

/* ---- floods, slow clients, shutdown (a second server) ---------------------- */

static int is_closed(int fd) {
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

#define FLOOD_PER_ADDR 550 /* from each of two addresses: 1,100 */

/* 1,100 connections that never send a byte, from two addresses: each is
 * held to --max-per-ip (512), both to --max-connections (1024); a normal
 * client still gets /health and a completion at once; the server closes the
 * idle ones after --header-timeout. */
static void test_idle_flood(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * FLOOD_PER_ADDR + 100) {
        printf("  skipped: the open-file limit is %ld\n", (long)rl.rlim_cur);
        return;
    }
    static int fds[2 * FLOOD_PER_ADDR];
    int n = 0;
    uint64_t t0 = now_ns();
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < FLOOD_PER_ADDR; i++) {
            int fd = raw_connect(a ? "127.0.0.3" : "127.0.0.2");
            if (fd < 0) break;
            fds[n++] = fd;
        }
    printf("  %d idle connections in %.0f ms\n", n, (double)(now_ns() - t0) / 1e6);
    ASSERT_EQ(n, 2 * FLOOD_PER_ADDR);
    resp r;
    ASSERT_EQ(http("GET", "/health", NULL, 0, NULL, NULL, &r), CURLE_OK);
    printf("  /health during the flood: %ld in %.1f ms\n", r.status, r.ms);
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.ms < 2000);
    resp_free(&r);
    ASSERT_EQ(post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 3}", &r), CURLE_OK);
    printf("  a completion during the flood: %ld in %.1f ms\n", r.status, r.ms);
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.ms < 10000);
    resp_free(&r);
    int closed = 0;
    for (int i = 0; i < n; i++) closed += is_closed(fds[i]);
    printf("  closed by the server for the limits: %d\n", closed);
    ASSERT_TRUE(closed >= 2 * (FLOOD_PER_ADDR - 512)); /* the per-address limit */
    ASSERT_TRUE(n - closed <= 1024);                   /* the connection limit */
    /* --header-timeout 3: every idle one is closed (without a reply) */
    int all = 0;
    for (int t = 0; t < 8000 && !all; t += 100) {
        sleep_ms(100);
        all = 1;
        for (int i = 0; i < n && all; i++) all = is_closed(fds[i]);
    }
    printf("  all closed %.1f s after they opened\n", (double)(now_ns() - t0) / 1e9);
    ASSERT_TRUE(all);
    char c;
    ASSERT_EQ(recv(fds[n - 1], &c, 1, MSG_DONTWAIT), 0); /* nothing sent: no reply */
    for (int i = 0; i < n; i++) close(fds[i]);
}

/* A head sent a line every 500 ms never completes: 408 and closed after
 * --header-timeout (3 s), counted from the connection. */
static void test_slowloris(void) {
    int fd = raw_connect("127.0.0.4");
    ASSERT_TRUE(fd >= 0);
    uint64_t t0 = now_ns();
    const char *head = "GET /health HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    teai_buf out;
    teai_buf_init(&out, 0);
    for (int i = 0; i < 30; i++) {
        raw_read_all(fd, &out, 500);
        if (out.len > 0) break;
        if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) != 11) break;
    }
    raw_read_all(fd, &out, 3000);
    double s = (double)(now_ns() - t0) / 1e9;
    printf("  slow head cut after %.1f s\n", s);
    ASSERT_TRUE(s > 2.5 && s < 6);
    ASSERT_TRUE(check_json_error("slowloris", &out, 408, "request_timeout"));
    ASSERT_TRUE(is_closed(fd));
    teai_buf_free(&out);
    close(fd);
}

typedef struct plain_req {
    const char *body;
    resp r;
    CURLcode rc;
    pthread_t th;
} plain_req;

static void *plain_run(void *ud) {
    plain_req *p = ud;
    p->rc = post("/v1/completions", p->body, &p->r);
    return NULL;
}

/* SIGTERM with a stream running and a request queued: the stream ends with
 * an error event of code shutting_down, the queued request gets 503
 * shutting_down without ever taking the engine, the server exits 0. */
static void test_shutdown(void) {
    stream a;
    stream_init(&a, 1,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"go\"}], \"max_tokens\": 1900,"
                " \"temperature\": 0, \"stream\": true}");
    stream_start(&a);
    ASSERT_TRUE(wait_chunks(&a, 1, 60000));
    plain_req b = {"{\"prompt\": \"queued\", \"max_tokens\": 1900}", {0}, 0, 0};
    pthread_create(&b.th, NULL, plain_run, &b);
    ASSERT_TRUE(wait_waiting(1, 30000));
    ASSERT_EQ(kill(g_pid, SIGTERM), 0);
    int st = 0;
    pid_t got = 0;
    for (int t = 0; t < 30000 && got == 0; t += 10) {
        got = waitpid(g_pid, &st, WNOHANG);
        if (!got) sleep_ms(10);
    }
    pthread_join(a.th, NULL);
    pthread_join(b.th, NULL);
    ASSERT_EQ(got, g_pid);
    g_pid = -1;
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_EQ(a.errors, 1);
    ASSERT_STREQ(a.err_code, "shutting_down");
    ASSERT_EQ(a.done, 0);
    ASSERT_EQ(b.rc, CURLE_OK);
    ASSERT_EQ(b.r.status, 503);
    ASSERT_STREQ(str_at(b.r.json, "error.code"), "shutting_down");
    const char *msg = str_at(b.r.json, "error.message");
    ASSERT_TRUE(msg && !strstr(msg, "stopped")); /* ended in the queue, not in a slot */
    resp_free(&b.r);
    stream_free(&a);
}

/* A connection from src busy with a request: its head sent (the server's
 * "100 Continue" says it was read), its body not yet; -1 on failure. */
static int raw_busy(const char *src) {
    int fd = raw_connect(src);
    if (fd < 0) return -1;
    const char *head = "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" AUTH
                       "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n";
    teai_buf out;
    teai_buf_init(&out, 0);
    if (send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head))
        for (int t = 0; t < 100 && !strstr(out.data ? out.data : "", "\r\n\r\n"); t++)
            raw_read_all(fd, &out, 100);
    int ok = out.data && strcmp(out.data, "HTTP/1.1 100 Continue\r\n\r\n") == 0;
    teai_buf_free(&out);
    if (!ok) close(fd);
    return ok ? fd : -1;
}

/* A third server, --max-per-ip 2 --max-connections 4: when every connection
 * of an address, or every connection, is busy with a request, a new one gets
 * one JSON 429 (or 503) and is closed; busy ones are never closed for it. */
static void test_conn_limits(void) {
    teai_buf out;
    teai_buf_init(&out, 0);
    int c1 = raw_busy("127.0.0.5"), c2 = raw_busy("127.0.0.5");
    ASSERT_TRUE(c1 >= 0 && c2 >= 0);
    int c3 = raw_connect("127.0.0.5"); /* a third from the address: refused */
    ASSERT_TRUE(c3 >= 0);
    raw_read_all(c3, &out, 5000);
    ASSERT_TRUE(
        check_json_error("third connection from one address", &out, 429, "too_many_connections"));
    ASSERT_TRUE(is_closed(c3));
    close(c3);
    int c4 = raw_busy("127.0.0.6"), c5 = raw_busy("127.0.0.7");
    ASSERT_TRUE(c4 >= 0 && c5 >= 0);
    out.len = 0;
    int c6 = raw_connect("127.0.0.8"); /* a fifth connection: refused */
    ASSERT_TRUE(c6 >= 0);
    raw_read_all(c6, &out, 5000);
    ASSERT_TRUE(check_json_error("fifth connection", &out, 503, "server_busy"));
    close(c6);
    int busy[] = {c1, c2, c4, c5};
    for (int i = 0; i < 4; i++) ASSERT_TRUE(!is_closed(busy[i])); /* none was dropped */
    /* one leaves: a newcomer gets in and is served */
    close(c5);
    resp r;
    int ok = 0;
    for (int t = 0; t < 50 && !ok; t++) { /* until the server has seen c5 go */
        ok = http("GET", "/health", NULL, 0, NULL, NULL, &r) == CURLE_OK && r.status == 200;
        resp_free(&r);
        if (!ok) sleep_ms(20);
    }
    ASSERT_TRUE(ok);
    for (int i = 0; i < 3; i++) close(busy[i]);
    teai_buf_free(&out);
}

int main(void) {
    g_bin = getenv("TEAI_BIN");
    if (!g_bin || !*g_bin) test_skip("TEAI_BIN is not set (run through ctest)");
    const char *light = getenv("TEAI_TEST_LIGHT");
    g_light = light && *light && strcmp(light, "0") != 0;
    test_tmp_path(g_dir, sizeof g_dir, "serve");
    mkdir(g_dir, 0755);
    snprintf(g_model, sizeof g_model, "%s/slow.gguf", g_dir);
    /* slow enough per token that a long stream outlasts the checks around it */
    if (test_system("'%s' model synth --shape tiny --dim 512 --ffn 2048 --layers 8 -o '%s' "
                    ">/dev/null 2>&1",
                    g_bin, g_model) != 0) {
        fprintf(stderr, "cannot synthesize %s\n", g_model);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(kill_server);
    char log[700];
    snprintf(log, sizeof log, "%s/serve.log", g_dir);
    char *args[] = {"--api-key", KEY,     "--queue", "1",          "--max-tokens",
                    "2048",      "--ctx", "2048",    "--max-body", "65536",
                    "-t",        "1",     NULL};
    if (start_server(log, args) != 0) {
        fprintf(stderr, "teai serve did not start\n");
        return 1;
    }
    printf("teai serve on port %d\n", g_port);
    RUN_TEST(test_health_models);
    RUN_TEST(test_completions);
    RUN_TEST(test_chat);
    RUN_TEST(test_errors);
    RUN_TEST(test_queue);
    RUN_TEST(test_http_errors);
    RUN_TEST(test_http_framing);
    RUN_TEST(test_log_escaping);
    RUN_TEST(test_bench_client);
    RUN_TEST(test_sigterm);
    if (teai_test_failures) {
        char *text = slurp(log, NULL);
        fprintf(stderr, "--- server log ---\n%s", text ? text : "");
        free(text);
    }
    kill_server();

    /* a second server: short header timeout, the default connection limits */
    int failures = teai_test_failures;
    snprintf(log, sizeof log, "%s/serve2.log", g_dir);
    char *args2[] = {"--api-key",
                     KEY,
                     "--queue",
                     "1",
                     "--max-tokens",
                     "2048",
                     "--ctx",
                     "2048",
                     "-t",
                     "1",
                     "--header-timeout",
                     "3",
                     "--max-connections",
                     "1024",
                     "--max-per-ip",
                     "512",
                     NULL};
    if (start_server(log, args2) != 0) {
        fprintf(stderr, "teai serve (2) did not start\n");
        return 1;
    }
    RUN_TEST(test_idle_flood);
    RUN_TEST(test_slowloris);
    RUN_TEST(test_shutdown);
    if (teai_test_failures > failures) {
        char *text = slurp(log, NULL);
        fprintf(stderr, "--- server log (2) ---\n%s", text ? text : "");
        free(text);
    }
    kill_server();

    /* a third: tiny connection limits */
    failures = teai_test_failures;
    snprintf(log, sizeof log, "%s/serve3.log", g_dir);
    char *args3[] = {
        "--api-key", KEY, "--queue",      "4", "--max-tokens",      "2048", "--ctx", "2048",
        "-t",        "1", "--max-per-ip", "2", "--max-connections", "4",    NULL};
    if (start_server(log, args3) != 0) {
        fprintf(stderr, "teai serve (3) did not start\n");
        return 1;
    }
    RUN_TEST(test_conn_limits);
    if (teai_test_failures > failures) {
        char *text = slurp(log, NULL);
        fprintf(stderr, "--- server log (3) ---\n%s", text ? text : "");
        free(text);
    }
    kill_server();
    test_system("rm -rf '%s'", g_dir);
    curl_global_cleanup();
    TEST_MAIN_END();
}

#else

int main(void) {
    test_skip("teai serve needs cJSON, and this test libcurl (its client), in this "
              "build");
}

#endif
