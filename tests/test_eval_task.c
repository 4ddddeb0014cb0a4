/* Task evaluations (src/eval/task.h): the extractors, the LCS ratio, Wordle
 * feedback, data set lines, and whole evaluations through the openai backend
 * against a scripted server whose answers are right for some examples and
 * wrong for others, so the rewards, their mean and standard error are known
 * exactly. */
#include "eval/task.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a scripted OpenAI-compatible server ----------------------------------- */

/* Returns the reply to a chat request with this user message and seed, or
 * NULL to answer 500. */
typedef const char *(*script_fn)(void *ud, const char *user, long long seed);

typedef struct script_server {
    script_fn fn;
    void *ud;
    int port, listen_fd, stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_t handlers[512];
    int n_handlers, n_requests, max_in_flight, in_flight;
} script_server;

typedef struct conn {
    script_server *s;
    int fd;
} conn;

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

static void send_event(int fd, const char *data) {
    char head[] = "data: ";
    send_all(fd, head, strlen(head));
    send_all(fd, data, strlen(data));
    send_all(fd, "\n\n", 2);
}

static void *handle(void *arg) {
    conn *c = arg;
    script_server *s = c->s;
    size_t cap = 1 << 17, len = 0, want = 0;
    char *req = malloc(cap + 1), *body = NULL;
    while (req) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) break;
        ssize_t r = recv(c->fd, req + len, cap - len, 0);
        if (r <= 0) break;
        len += (size_t)r;
        req[len] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (!end) continue;
        body = end + 4;
        const char *cl = strstr(req, "Content-Length:");
        if (!cl) cl = strstr(req, "content-length:");
        want = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
        if ((size_t)(req + len - body) >= want || len == cap) break;
    }
    pthread_mutex_lock(&s->mu);
    s->n_requests++;
    if (++s->in_flight > s->max_in_flight) s->max_in_flight = s->in_flight;
    pthread_mutex_unlock(&s->mu);
    if (body && strncmp(req, "GET /v1/models", 14) == 0) {
        const char *j =
            "{\"object\":\"list\",\"data\":[{\"id\":\"scripted\",\"object\":\"model\"}]}";
        char h[256];
        int n = snprintf(h, sizeof h,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         "%zu\r\nConnection: close\r\n\r\n",
                         strlen(j));
        send_all(c->fd, h, (size_t)n);
        send_all(c->fd, j, strlen(j));
    } else if (body && strncmp(req, "POST /v1/chat/completions", 25) == 0) {
        cJSON *o = cJSON_Parse(body);
        const cJSON *msgs = cJSON_GetObjectItem(o, "messages");
        const cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
        const cJSON *content = cJSON_GetObjectItem(last, "content");
        const cJSON *seed = cJSON_GetObjectItem(o, "seed");
        usleep(20000); /* long enough for concurrent requests to overlap */
        pthread_mutex_lock(&s->mu);
        const char *reply =
            cJSON_IsString(content)
                ? s->fn(s->ud, content->valuestring, seed ? (long long)seed->valuedouble : -1)
                : NULL;
        pthread_mutex_unlock(&s->mu);
        if (!reply) {
            const char *j = "{\"error\":{\"message\":\"scripted failure\",\"code\":500}}";
            char h[256];
            int n = snprintf(h, sizeof h,
                             "HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                             "application/json\r\nContent-Length: %zu\r\nConnection: "
                             "close\r\n\r\n",
                             strlen(j));
            send_all(c->fd, h, (size_t)n);
            send_all(c->fd, j, strlen(j));
        } else {
            const char *h = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                            "Connection: close\r\n\r\n";
            send_all(c->fd, h, strlen(h));
            size_t n = strlen(reply);
            for (size_t i = 0; i < n; i += 3) { /* 3-byte chunks, as tokens would come */
                char piece[4] = {0};
                memcpy(piece, reply + i, n - i < 3 ? n - i : 3);
                cJSON *ch = cJSON_CreateObject(), *choices = cJSON_AddArrayToObject(ch, "choices");
                cJSON *c0 = cJSON_CreateObject();
                cJSON_AddItemToArray(choices, c0);
                cJSON_AddNumberToObject(c0, "index", 0);
                cJSON *delta = cJSON_AddObjectToObject(c0, "delta");
                cJSON_AddStringToObject(delta, "content", piece);
                cJSON_AddNullToObject(c0, "finish_reason");
                char *txt = cJSON_PrintUnformatted(ch);
                send_event(c->fd, txt);
                cJSON_free(txt);
                cJSON_Delete(ch);
            }
            send_event(c->fd,
                       "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
            send_event(c->fd, "[DONE]");
        }
        cJSON_Delete(o);
    }
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    pthread_mutex_unlock(&s->mu);
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    free(req);
    free(c);
    return NULL;
}

static void *accept_loop(void *arg) {
    script_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        struct pollfd p = {s->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        conn *c = malloc(sizeof *c);
        c->s = s;
        c->fd = fd;
        pthread_mutex_lock(&s->mu);
        int slot = s->n_handlers < 512 ? s->n_handlers++ : -1;
        pthread_mutex_unlock(&s->mu);
        if (slot < 0 || pthread_create(&s->handlers[slot], NULL, handle, c) != 0) {
            close(fd);
            free(c);
        }
    }
    return NULL;
}

static int server_start(script_server *s, script_fn fn, void *ud) {
    memset(s, 0, sizeof *s);
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_init(&s->mu, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->listen_fd, 64) != 0 || getsockname(s->listen_fd, (struct sockaddr *)&a, &al))
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->thread, NULL, accept_loop, s);
}

static void server_stop(script_server *s) {
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->n_handlers; i++) pthread_join(s->handlers[i], NULL);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->mu);
}

/* ---- helpers ------------------------------------------------------------------ */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = getc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static cJSON *read_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return cJSON_Parse(buf);
}

/* The JSONL line of (example, rollout), parsed (cJSON_Delete), or NULL. */
static cJSON *jsonl_find(const char *path, int example, int rollout) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char line[1 << 18];
    cJSON *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        cJSON *o = cJSON_Parse(line);
        if (cJSON_GetObjectItem(o, "example")->valueint == example &&
            cJSON_GetObjectItem(o, "rollout")->valueint == rollout)
            found = o;
        else
            cJSON_Delete(o);
    }
    fclose(f);
    return found;
}

static double mean_of(const double *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s / n;
}

/* Sample standard deviation / sqrt(n). */
static double stderr_of(const double *v, int n) {
    double m = mean_of(v, n), ss = 0;
    for (int i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
    return sqrt(ss / (n - 1)) / sqrt((double)n);
}

static const teai_eval_metric *metric(const teai_task_result *r, const char *name) {
    for (int i = 0; i < r->n_metrics; i++)
        if (strcmp(r->metrics[i].name, name) == 0) return &r->metrics[i];
    return NULL;
}

static teai_task_config openai_config(teai_task_env env, const char *dataset, int port,
                                      const char *dir, char *url, size_t cap) {
    teai_task_config c = teai_task_default_config();
    snprintf(url, cap, "http://127.0.0.1:%d", port);
    c.env = env;
    c.dataset = dataset;
    c.backend = "openai";
    c.bcfg.base_url = url;
    c.bcfg.timeout_s = 30;
    c.results_dir = dir;
    c.max_tokens = 64;
    return c;
}

/* ---- unit tests ------------------------------------------------------------------ */

static void test_gsm8k_normalize(void) {
    char o[64];
    static const char *const cases[][2] = {
        {"42", "42"},  {"$1,200.00", "1200"},  {"-0.50", "-0.5"}, {"007", "7"},
        {"42.", "42"}, {"-$5", "-5"},          {"$-5", "-5"},     {"0.0", "0"},
        {"-0", "0"},   {"3.14159", "3.14159"}, {" 18 ", "18"},    {"1,000,000", "1000000"},
        {".5", "0.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ASSERT_TRUE(teai_gsm8k_normalize(cases[i][0], strlen(cases[i][0]), o, sizeof o));
        ASSERT_STREQ(o, cases[i][1]);
    }
    static const char *const bad[] = {"", "abc", "1.2.3", "12a", "$", "-", ",5", "5,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ASSERT_EQ(teai_gsm8k_normalize(bad[i], strlen(bad[i]), o, sizeof o), 0);
        ASSERT_STREQ(o, "");
    }
}

static void test_gsm8k_extract(void) {
    char o[64];
    ASSERT_TRUE(
        teai_gsm8k_reference("Natalia sold 48/2 = 24 clips.\n48+24 = 72\n#### 72", o, sizeof o));
    ASSERT_STREQ(o, "72");
    ASSERT_TRUE(teai_gsm8k_reference("#### 1,234", o, sizeof o));
    ASSERT_STREQ(o, "1234");
    ASSERT_TRUE(teai_gsm8k_reference("18", o, sizeof o));
    ASSERT_STREQ(o, "18");
    ASSERT_EQ(teai_gsm8k_reference("no number here", o, sizeof o), 0);

    /* strict: the first "#### N", then "The answer is N", then \boxed{N} */
    ASSERT_TRUE(teai_gsm8k_extract_strict("3 + 4 = 7\n#### 7", o, sizeof o));
    ASSERT_STREQ(o, "7");
    ASSERT_TRUE(teai_gsm8k_extract_strict("#### 5\nQuestion: ...\n#### 9", o, sizeof o));
    ASSERT_STREQ(o, "5");
    ASSERT_TRUE(teai_gsm8k_extract_strict("####\n#### $1,000.", o, sizeof o));
    ASSERT_STREQ(o, "1000");
    ASSERT_TRUE(teai_gsm8k_extract_strict("So the answer is: $36.", o, sizeof o));
    ASSERT_STREQ(o, "36");
    ASSERT_TRUE(teai_gsm8k_extract_strict("THE ANSWER IS 12 apples", o, sizeof o));
    ASSERT_STREQ(o, "12");
    ASSERT_TRUE(teai_gsm8k_extract_strict("thus \\boxed{-3.50}", o, sizeof o));
    ASSERT_STREQ(o, "-3.5");
    ASSERT_EQ(teai_gsm8k_extract_strict("It is 12 apples.", o, sizeof o), 0);
    ASSERT_STREQ(o, "");
    ASSERT_EQ(teai_gsm8k_extract_strict("#### many", o, sizeof o), 0);

    /* flexible: the last number */
    ASSERT_TRUE(teai_gsm8k_extract_flexible("He had 3, then 4, so 1,200 in all.", o, sizeof o));
    ASSERT_STREQ(o, "1200");
    ASSERT_TRUE(teai_gsm8k_extract_flexible("#### 6\nbut actually 5", o, sizeof o));
    ASSERT_STREQ(o, "5");
    ASSERT_TRUE(teai_gsm8k_extract_flexible("from 3-4 hours", o, sizeof o));
    ASSERT_STREQ(o, "4");
    ASSERT_TRUE(teai_gsm8k_extract_flexible("costs $-2.50 or v1.2.3", o, sizeof o));
    ASSERT_STREQ(o, "-2.5");
    ASSERT_EQ(teai_gsm8k_extract_flexible("no digits", o, sizeof o), 0);
    ASSERT_EQ(teai_gsm8k_extract_flexible("", o, sizeof o), 0);
}

static void test_lcs_ratio(void) {
    ASSERT_NEAR(teai_lcs_ratio("abc", "abc"), 1.0, 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("", ""), 1.0, 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("abc", ""), 0.0, 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("olle", "olleh"), 8.0 / 9.0, 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("abcd", "bcda"), 0.75, 1e-12); /* difflib: 0.75 too */
    ASSERT_NEAR(teai_lcs_ratio("nothing", "zyx"), 0.0, 1e-12);
    /* symmetric, and over code points: "é" is one character, not two bytes */
    ASSERT_NEAR(teai_lcs_ratio("xaybz", "ab"), teai_lcs_ratio("ab", "xaybz"), 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("\xc3\xa9t\xc3\xa9", "\xc3\xa9t"), 2.0 * 2 / 5, 1e-12);
    ASSERT_NEAR(teai_lcs_ratio("\xc3\xa9", "e"), 0.0, 1e-12);
    /* long inputs stay bounded and exact where cut: 10000 'a' against 3 'a' */
    char *big = malloc(10001);
    memset(big, 'a', 10000);
    big[10000] = '\0';
    ASSERT_NEAR(teai_lcs_ratio(big, "aaa"), 2.0 * 3 / 10003, 1e-12);
    free(big);

    char r[64];
    ASSERT_EQ(teai_utf8_reverse("h\xc3\xa9llo", r, sizeof r), 6);
    ASSERT_STREQ(r, "oll\xc3\xa9h");
    ASSERT_EQ(teai_utf8_reverse("a\xff"
                                "b",
                                r, sizeof r),
              3); /* an invalid byte stays one */
    ASSERT_STREQ(r, "b\xff"
                    "a");
    ASSERT_EQ(teai_utf8_reverse("abc", r, 3), -1);

    char *a = teai_reverse_extract("<think>x</think>\n<answer>\n cba \n</answer>");
    ASSERT_STREQ(a, "cba");
    free(a);
    a = teai_reverse_extract("  plain text \n");
    ASSERT_STREQ(a, "plain text");
    free(a);
    a = teai_reverse_extract("<answer>first</answer><answer>second");
    ASSERT_STREQ(a, "second");
    free(a);
}

static void test_wordle_feedback(void) {
    static const char *const cases[][3] = {
        {"crane", "crane", "GGGGG"}, {"speed", "abide", "XXYXY"}, /* one 'e' in the answer */
        {"babes", "abbey", "YYGGX"}, {"ooooo", "robot", "XGXGX"}, /* greens use copies first */
        {"geese", "those", "XXXGG"}, {"eerie", "lever", "YGYXX"}, /* the last 'e' has none left */
        {"mommy", "mummy", "GXGGG"}, {"crate", "slate", "XXGGG"}, {"allee", "eagle", "YYXYG"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char fb[6];
        teai_wordle_feedback(cases[i][0], cases[i][1], fb);
        if (strcmp(fb, cases[i][2]) != 0)
            TEST_FAIL_AT("guess %s on %s: %s, wanted %s", cases[i][0], cases[i][1], fb,
                         cases[i][2]);
    }
    char g[6];
    ASSERT_TRUE(teai_wordle_parse_guess("I think <guess>[CRANE]</guess>", g));
    ASSERT_STREQ(g, "crane");
    ASSERT_TRUE(teai_wordle_parse_guess("<guess>x</guess> then <guess> slate </guess>", g));
    ASSERT_STREQ(g, "slate");
    ASSERT_TRUE(teai_wordle_parse_guess("my guess is [adieu].", g));
    ASSERT_STREQ(g, "adieu");
    ASSERT_EQ(teai_wordle_parse_guess("<guess>[cranes]</guess>", g), 0);
    ASSERT_EQ(teai_wordle_parse_guess("<guess>cr4ne</guess>", g), 0);
    ASSERT_EQ(teai_wordle_parse_guess("crane", g), 0); /* no tags, no brackets */
    ASSERT_EQ(teai_wordle_parse_guess("[abc]", g), 0);
    ASSERT_STREQ(g, "");
    ASSERT_NEAR(teai_wordle_reward(1, 1), 1.5, 1e-12);
    ASSERT_NEAR(teai_wordle_reward(1, 6), 1.0 + 1.0 / 7, 1e-12);
    ASSERT_NEAR(teai_wordle_reward(0, 6), 0.0, 1e-12);
    ASSERT_NEAR(teai_wordle_partial("GXGYG"), 0.7, 1e-12);
    ASSERT_NEAR(teai_wordle_partial(""), 0.0, 1e-12);
}

static void test_dataset_lines(void) {
    teai_task_example ex;
    teai_error err = {0};
    const char *l = "{\"question\": \"Q?\", \"answer\": \"work\\n#### 1,000\"}";
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_GSM8K, l, strlen(l), &ex, &err), TEAI_OK);
    ASSERT_STREQ(ex.input, "Q?");
    ASSERT_STREQ(ex.reference, "1000");
    teai_task_example_free(&ex);
    l = "{\"question\": \"Q?\", \"answer\": 18}";
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_GSM8K, l, strlen(l), &ex, &err), TEAI_OK);
    ASSERT_STREQ(ex.reference, "18");
    teai_task_example_free(&ex);
    l = "{\"prompt\": \"h\xc3\xa9llo\"}";
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_REVERSE_TEXT, l, strlen(l), &ex, &err), TEAI_OK);
    ASSERT_STREQ(ex.reference, "oll\xc3\xa9h");
    teai_task_example_free(&ex);
    l = "{\"answer\": \"[CRANE]\"}";
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_WORDLE, l, strlen(l), &ex, &err), TEAI_OK);
    ASSERT_STREQ(ex.reference, "crane");
    teai_task_example_free(&ex);
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_WORDLE, "  \r", 3, &ex, &err), TEAI_ENOTFOUND);
    static const struct {
        teai_task_env env;
        const char *line, *msg;
    } bad[] = {
        {TEAI_TASK_GSM8K, "{\"question\": \"Q\"", "not JSON"},
        {TEAI_TASK_GSM8K, "[1, 2]", "not a JSON object"},
        {TEAI_TASK_GSM8K, "{\"question\": \"Q\"} x", "text after"},
        {TEAI_TASK_GSM8K, "{\"answer\": \"#### 4\"}", "no \"question\""},
        {TEAI_TASK_GSM8K, "{\"question\": \"Q\", \"answer\": \"#### many\"}", "no final number"},
        {TEAI_TASK_REVERSE_TEXT, "{\"text\": 5}", "no \"text\""},
        {TEAI_TASK_REVERSE_TEXT, "{\"text\": \"\"}", "empty"},
        {TEAI_TASK_WORDLE, "{\"answer\": \"cranes\"}", "not a 5-letter word"},
        {TEAI_TASK_REVERSE_TEXT, "{\"text\": \"a\xff\"}", "invalid UTF-8 at byte 12"},
        {TEAI_TASK_GSM8K, "{\"question\": \"Q\", \"answer\": 1e300}", "not a plain number"},
        {TEAI_TASK_WORDLE, "{\"word\": \"cr4ne\"}", "not a 5-letter word"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        int rc = teai_task_parse_line(bad[i].env, bad[i].line, strlen(bad[i].line), &ex, &err);
        if (rc != TEAI_EFORMAT || !strstr(err.msg, bad[i].msg))
            TEST_FAIL_AT("%s: status %d, message '%s', wanted '%s'", bad[i].line, rc, err.msg,
                         bad[i].msg);
    }
    /* a text past the LCS bound is refused, not cut */
    size_t n = TEAI_TASK_TEXT_MAX + 1;
    char *big = malloc(n + 32);
    memcpy(big, "{\"text\": \"", 10);
    memset(big + 10, 'a', n);
    memcpy(big + 10 + n, "\"}", 3);
    ASSERT_EQ(teai_task_parse_line(TEAI_TASK_REVERSE_TEXT, big, strlen(big), &ex, &err),
              TEAI_EFORMAT);
    free(big);

    /* loading: blank lines skipped, -n counts examples, the first bad line stops with file:line */
    char path[512];
    test_tmp_path(path, sizeof path, "words.jsonl");
    write_file(path,
               "{\"answer\": \"crane\"}\n\n{\"answer\": \"slate\"}\n{\"answer\": \"oops\"}\n");
    teai_task_example *all = NULL;
    int k = 0;
    ASSERT_EQ(teai_task_load(TEAI_TASK_WORDLE, path, 2, &all, &k, &err), TEAI_OK);
    ASSERT_EQ(k, 2);
    ASSERT_EQ(all[1].line, 3);
    ASSERT_STREQ(all[1].reference, "slate");
    teai_task_examples_free(all, k);
    ASSERT_EQ(teai_task_load(TEAI_TASK_WORDLE, path, 0, &all, &k, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "words.jsonl:4: ") != NULL);
    ASSERT_EQ(k, 0);
    write_file(path, "\n \n");
    ASSERT_EQ(teai_task_load(TEAI_TASK_WORDLE, path, 0, &all, &k, &err), TEAI_EFORMAT);
    ASSERT_EQ(teai_task_load(TEAI_TASK_WORDLE, "/nonexistent/x.jsonl", 0, &all, &k, &err),
              TEAI_ENOTFOUND);
}

/* ---- whole evaluations against the scripted server --------------------------------- */

/* gsm8k: right with "####", right with "The answer is", right only for the
 * flexible extraction, and right for the flexible one only after a wrong
 * marker; the first question is answered wrong by rollout 1 (seed 43). */
static const char *gsm8k_script(void *ud, const char *user, long long seed) {
    (void)ud;
    if (strstr(user, "apples")) return seed == 42 ? "3 + 4 = 7\n#### 7\nQuestion: more" : "#### 8";
    if (strstr(user, "books")) return "Three books cost 3 x 12 = 36. The answer is $36.";
    if (strstr(user, "car")) return "It costs 1,200 dollars in total.";
    if (strstr(user, "birds")) return "I guess 6, or maybe 5";
    if (strstr(user, "FAIL")) return NULL;
    return "?";
}

static void test_gsm8k_eval(void) {
    script_server srv;
    ASSERT_EQ(server_start(&srv, gsm8k_script, NULL), 0);
    char dir[512], data[512], url[64];
    test_tmp_path(dir, sizeof dir, "gsm8k_results");
    test_tmp_path(data, sizeof data, "gsm8k.jsonl");
    write_file(
        data,
        "{\"question\": \"Tom has 3 apples and buys 4. How many?\", \"answer\": \"#### 7\"}\n"
        "{\"question\": \"A book costs $12. What do 3 books cost?\", \"answer\": \"#### 36\"}\n"
        "{\"question\": \"What does the car cost?\", \"answer\": \"#### 1,200\"}\n"
        "{\"question\": \"How many birds?\", \"answer\": \"#### 5\"}\n"
        "{\"question\": \"never read\", \"answer\": \"#### 1\"}\n");
    teai_task_config c = openai_config(TEAI_TASK_GSM8K, data, srv.port, dir, url, sizeof url);
    c.n_examples = 4;
    c.rollouts = 2;
    c.concurrency = 3;
    c.bcfg.size = "3B";
    teai_task_result r;
    teai_error err = {0};
    int rc = teai_task_run(&c, &r, &err);
    server_stop(&srv);
    if (rc) TEST_FAIL_AT("teai_task_run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_TRUE(srv.max_in_flight >= 2); /* requests ran in parallel */
    ASSERT_EQ(r.n_examples, 4);
    ASSERT_EQ(r.n_rollouts, 8);
    ASSERT_EQ(r.n_failed, 0);
    ASSERT_EQ(r.returncode, 0);
    ASSERT_EQ(r.n_metrics, 3);
    ASSERT_STREQ(r.metrics[0].name, "reward");
    /* strict per (example, rollout): 1,1 / 1,0 ... in the order e0r0, e0r1, e1r0, ... */
    double strict[8] = {1, 0, 1, 1, 0, 0, 0, 0}, flex[8] = {1, 0, 1, 1, 1, 1, 1, 1};
    const teai_eval_metric *m = metric(&r, "reward");
    ASSERT_NEAR(m->avg, mean_of(strict, 8), 1e-12);
    ASSERT_NEAR(m->avg, 0.375, 1e-12);
    ASSERT_NEAR(m->stderr_, stderr_of(strict, 8), 1e-12);
    ASSERT_NEAR(m->std, stderr_of(strict, 8) * sqrt(8.0), 1e-12);
    ASSERT_EQ(m->n, 8);
    ASSERT_TRUE(m->ci_low <= m->avg && m->avg <= m->ci_high && m->ci_low >= 0 && m->ci_high <= 1);
    ASSERT_NEAR(metric(&r, "strict_match")->avg, 0.375, 1e-12);
    ASSERT_NEAR(metric(&r, "flexible_match")->avg, mean_of(flex, 8), 1e-12);
    ASSERT_NEAR(metric(&r, "flexible_match")->stderr_, stderr_of(flex, 8), 1e-12);

    /* the files: the seed's name and shape, one JSONL line per rollout */
    ASSERT_TRUE(strstr(r.json_path, "/openai_sweep_gsm8k_3B_") != NULL);
    ASSERT_EQ(count_lines(r.examples_path), 8);
    cJSON *list = read_json(r.json_path);
    ASSERT_TRUE(cJSON_IsArray(list) && cJSON_GetArraySize(list) == 1);
    cJSON *rec = cJSON_GetArrayItem(list, 0);
    ASSERT_STREQ(cJSON_GetObjectItem(rec, "environment")->valuestring, "gsm8k");
    ASSERT_STREQ(cJSON_GetObjectItem(rec, "quantization")->valuestring, "default");
    ASSERT_EQ(cJSON_GetObjectItem(rec, "num_examples")->valueint, 4);
    ASSERT_EQ(cJSON_GetObjectItem(rec, "rollouts")->valueint, 2);
    ASSERT_STREQ(cJSON_GetObjectItem(rec, "examples_file")->valuestring, r.examples_path);
    cJSON *metrics = cJSON_GetObjectItem(rec, "metrics");
    ASSERT_STREQ(metrics->child->string, "reward");
    ASSERT_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(metrics, "reward"), "avg")->valuedouble,
                0.375, 1e-12);
    ASSERT_TRUE(cJSON_GetObjectItem(metrics, "eval_time_seconds") != NULL);
    cJSON_Delete(list);
    cJSON *line = jsonl_find(r.examples_path, 0, 0);
    ASSERT_TRUE(line != NULL);
    /* generation stops once the "#### N" line is complete */
    ASSERT_STREQ(cJSON_GetObjectItem(line, "completion")->valuestring, "3 + 4 = 7\n#### 7");
    ASSERT_STREQ(cJSON_GetObjectItem(line, "extracted")->valuestring, "7");
    ASSERT_STREQ(cJSON_GetObjectItem(line, "reference")->valuestring, "7");
    ASSERT_EQ(cJSON_GetObjectItem(line, "seed")->valueint, 42);
    ASSERT_TRUE(strstr(cJSON_GetObjectItem(line, "prompt")->valuestring, "#### <number>") != NULL);
    cJSON_Delete(line);
    line = jsonl_find(r.examples_path, 2, 1);
    ASSERT_TRUE(line != NULL);
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(line, "extracted")));
    ASSERT_STREQ(cJSON_GetObjectItem(line, "extracted_flexible")->valuestring, "1200");
    ASSERT_EQ(cJSON_GetObjectItem(line, "reward")->valueint, 0);
    cJSON_Delete(line);

    /* resume lookups the sweep uses */
    char latest[1024];
    ASSERT_EQ(teai_task_results_latest(dir, "openai", "gsm8k", "3B", latest, sizeof latest), 1);
    ASSERT_STREQ(latest, r.json_path);
    ASSERT_EQ(teai_task_results_latest(dir, "openai", "gsm8k", "1B", latest, sizeof latest), 0);
    ASSERT_EQ(teai_task_results_has(r.json_path, "gsm8k", "default", 4, 64), 1);
    ASSERT_EQ(teai_task_results_has(r.json_path, "gsm8k", "int8", 4, 64), 0);
    ASSERT_EQ(teai_task_results_has(r.json_path, "gsm8k", "default", 5, 64), 0);
}

static void test_failed_rollouts(void) {
    script_server srv;
    ASSERT_EQ(server_start(&srv, gsm8k_script, NULL), 0);
    char dir[512], data[512], url[64];
    test_tmp_path(dir, sizeof dir, "fail_results");
    test_tmp_path(data, sizeof data, "fail.jsonl");
    write_file(data, "{\"question\": \"3 books?\", \"answer\": \"#### 36\"}\n"
                     "{\"question\": \"FAIL\", \"answer\": \"#### 1\"}\n");
    teai_task_config c = openai_config(TEAI_TASK_GSM8K, data, srv.port, dir, url, sizeof url);
    teai_task_result r;
    teai_error err = {0};
    int rc = teai_task_run(&c, &r, &err);
    server_stop(&srv);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_EQ(r.n_failed, 1);
    ASSERT_EQ(r.returncode, 1);
    ASSERT_TRUE(strstr(r.first_error.msg, "scripted failure") != NULL);
    ASSERT_EQ(metric(&r, "reward")->n, 1);
    ASSERT_NEAR(metric(&r, "reward")->avg, 1.0, 1e-12);
    ASSERT_EQ(count_lines(r.examples_path), 2);
    cJSON *line = jsonl_find(r.examples_path, 1, 0);
    ASSERT_TRUE(line && cJSON_IsNull(cJSON_GetObjectItem(line, "reward")));
    ASSERT_TRUE(strstr(cJSON_GetObjectItem(line, "error")->valuestring, "500") != NULL);
    cJSON_Delete(line);
    cJSON *list = read_json(r.json_path);
    ASSERT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "returncode")->valueint, 1);
    cJSON_Delete(list);
    ASSERT_EQ(teai_task_results_has(r.json_path, "gsm8k", "default", 2, 64), 0);

    /* concurrency is for the openai backend only; in-process backends need a model */
    c.backend = "native";
    c.concurrency = 2;
    c.bcfg.model = "x.gguf";
    ASSERT_EQ(teai_task_run(&c, &r, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "openai") != NULL);
    c.backend = "llama-bench";
    c.concurrency = 1;
    ASSERT_EQ(teai_task_run(&c, &r, &err), TEAI_EINVAL);
}

static const char *reverse_script(void *ud, const char *user, long long seed) {
    (void)ud, (void)seed;
    if (strstr(user, "Text: abc")) return "<answer>cba</answer> and more";
    if (strstr(user, "Text: hello")) return "<think>hmm</think><answer>olle</answer>";
    if (strstr(user, "Text: xyz")) return "nothing";
    if (strstr(user, "Text: ab"))
        return "<answer>b\xff"
               "a</answer>"; /* not UTF-8 */
    return "";
}

static void test_reverse_eval(void) {
    script_server srv;
    ASSERT_EQ(server_start(&srv, reverse_script, NULL), 0);
    char dir[512], data[512], url[64];
    test_tmp_path(dir, sizeof dir, "reverse_results");
    test_tmp_path(data, sizeof data, "reverse.jsonl");
    write_file(data, "{\"text\": \"abc\"}\n{\"prompt\": \"hello\"}\n{\"question\": \"xyz\"}\n"
                     "{\"text\": \"ab\"}\n");
    teai_task_config c =
        openai_config(TEAI_TASK_REVERSE_TEXT, data, srv.port, dir, url, sizeof url);
    teai_task_result r;
    teai_error err = {0};
    int rc = teai_task_run(&c, &r, &err);
    server_stop(&srv);
    if (rc) TEST_FAIL_AT("teai_task_run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    /* "b\xffa" against "ba": LCS 2 of 3 + 2 code points */
    double want[4] = {1.0, 8.0 / 9.0, 0.0, 0.8}, exact[4] = {1, 0, 0, 0};
    ASSERT_NEAR(metric(&r, "reward")->avg, mean_of(want, 4), 1e-12);
    ASSERT_NEAR(metric(&r, "reward")->stderr_, stderr_of(want, 4), 1e-12);
    ASSERT_NEAR(metric(&r, "exact_match")->avg, mean_of(exact, 4), 1e-12);
    /* the JSONL stays UTF-8: the stray byte is U+FFFD there */
    cJSON *bad = jsonl_find(r.examples_path, 3, 0);
    ASSERT_TRUE(bad != NULL);
    ASSERT_STREQ(cJSON_GetObjectItem(bad, "extracted")->valuestring, "b\xef\xbf\xbd"
                                                                     "a");
    cJSON_Delete(bad);
    cJSON *line = jsonl_find(r.examples_path, 1, 0);
    ASSERT_TRUE(line != NULL);
    ASSERT_STREQ(cJSON_GetObjectItem(line, "extracted")->valuestring, "olle");
    ASSERT_STREQ(cJSON_GetObjectItem(line, "reference")->valuestring, "olleh");
    ASSERT_NEAR(cJSON_GetObjectItem(line, "reward")->valuedouble, 8.0 / 9.0, 1e-12);
    cJSON_Delete(line);
    line = jsonl_find(r.examples_path, 0, 0);
    /* stopped after </answer> */
    ASSERT_STREQ(cJSON_GetObjectItem(line, "completion")->valuestring, "<answer>cba</answer>");
    cJSON_Delete(line);
}

/* wordle, one request at a time: the replies in order. Game 1 wins at once,
 * game 2 in two guesses, game 3 starts with an invalid reply and then
 * guesses "mommy" (4 greens) until it runs out of turns. */
typedef struct queue {
    const char *const *replies;
    int next, n;
    char prompts[16][2048];
} queue;

static const char *queue_script(void *ud, const char *user, long long seed) {
    (void)seed;
    queue *q = ud;
    if (q->next >= q->n) return NULL;
    snprintf(q->prompts[q->next], sizeof q->prompts[0], "%s", user);
    return q->replies[q->next++];
}

static void test_wordle_eval(void) {
    static const char *const replies[] = {
        "<guess>[crane]</guess>",       "<guess>[crate]</guess>",
        "Maybe <guess>slate</guess>!",  "no idea",
        "<guess>[mommy]</guess>",       "<guess>[mommy]</guess>",
        "<guess>[mommy]</guess>",       "<guess>[mommy]</guess>",
        "<guess>[mommy]</guess> extra",
    };
    queue q = {replies, 0, 9, {{0}}};
    script_server srv;
    ASSERT_EQ(server_start(&srv, queue_script, &q), 0);
    char dir[512], data[512], url[64];
    test_tmp_path(dir, sizeof dir, "wordle_results");
    test_tmp_path(data, sizeof data, "wordle.jsonl");
    write_file(data, "{\"answer\": \"crane\"}\n{\"answer\": \"slate\"}\n{\"answer\": \"mummy\"}\n");
    teai_task_config c = openai_config(TEAI_TASK_WORDLE, data, srv.port, dir, url, sizeof url);
    teai_task_result r;
    teai_error err = {0};
    int rc = teai_task_run(&c, &r, &err);
    server_stop(&srv);
    if (rc) TEST_FAIL_AT("teai_task_run: %s", err.msg);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_EQ(q.next, 9);
    double reward[3] = {1.5, 1.0 + 1.0 / 3, 0}, win[3] = {1, 1, 0}, partial[3] = {1, 1, 0.8},
           turns[3] = {1, 2, 6};
    ASSERT_NEAR(metric(&r, "reward")->avg, mean_of(reward, 3), 1e-12);
    ASSERT_NEAR(metric(&r, "reward")->stderr_, stderr_of(reward, 3), 1e-12);
    ASSERT_NEAR(metric(&r, "win")->avg, mean_of(win, 3), 1e-12);
    ASSERT_NEAR(metric(&r, "partial_credit")->avg, mean_of(partial, 3), 1e-12);
    ASSERT_NEAR(metric(&r, "turns")->avg, mean_of(turns, 3), 1e-12);
    /* the second turn's prompt shows the first guess and its feedback */
    ASSERT_TRUE(strstr(q.prompts[2], "Guess 1: C R A T E\nFeedback: X X G G G") != NULL);
    ASSERT_TRUE(strstr(q.prompts[4], "Guess 1: invalid") != NULL);
    ASSERT_TRUE(strstr(q.prompts[4], "You have 5 guesses left") != NULL);
    cJSON *line = jsonl_find(r.examples_path, 2, 0);
    ASSERT_TRUE(line != NULL);
    ASSERT_EQ(cJSON_GetObjectItem(line, "turns")->valueint, 6);
    ASSERT_EQ(cJSON_GetObjectItem(line, "invalid_guesses")->valueint, 1);
    ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(line, "completion")), 6);
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(line, "extracted"), 0)));
    ASSERT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItem(line, "feedback"), 5)->valuestring,
                 "GXGGG");
    ASSERT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItem(line, "completion"), 5)->valuestring,
                 "<guess>[mommy]</guess>");
    cJSON_Delete(line);
}

static int cancel_after_two(void *ud) {
    int *calls = ud;
    return ++*calls > 2;
}

static void test_cancel(void) {
    script_server srv;
    ASSERT_EQ(server_start(&srv, reverse_script, NULL), 0);
    char dir[512], data[512], url[64];
    test_tmp_path(dir, sizeof dir, "cancel_results");
    test_tmp_path(data, sizeof data, "cancel.jsonl");
    write_file(data, "{\"text\": \"abc\"}\n{\"text\": \"xyz\"}\n{\"text\": \"abc\"}\n");
    teai_task_config c =
        openai_config(TEAI_TASK_REVERSE_TEXT, data, srv.port, dir, url, sizeof url);
    int calls = 0;
    c.cancel = cancel_after_two;
    c.ud = &calls;
    teai_task_result r;
    teai_error err = {0};
    int rc = teai_task_run(&c, &r, &err);
    server_stop(&srv);
    ASSERT_EQ(rc, TEAI_EINTR);
    ASSERT_TRUE(r.interrupted);
    ASSERT_TRUE(r.n_rollouts < 3);
    ASSERT_EQ(count_lines(r.examples_path), r.n_rollouts);
    cJSON *list = read_json(r.json_path);
    ASSERT_EQ(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "returncode")->valueint, 130);
    cJSON_Delete(list);
}

int main(void) {
    RUN_TEST(test_gsm8k_normalize);
    RUN_TEST(test_gsm8k_extract);
    RUN_TEST(test_lcs_ratio);
    RUN_TEST(test_wordle_feedback);
    RUN_TEST(test_dataset_lines);
    RUN_TEST(test_gsm8k_eval);
    RUN_TEST(test_failed_rollouts);
    RUN_TEST(test_reverse_eval);
    RUN_TEST(test_wordle_eval);
    RUN_TEST(test_cancel);
    TEST_MAIN_END();
}
