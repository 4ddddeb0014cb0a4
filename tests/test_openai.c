/* The openai backend: the SSE and chunk parsers on bytes, then the backend
 * against a fake server (tests/fake_openai_server.h) in every fault mode:
 * normal, several tokens per chunk, dropped connection, malformed chunk,
 * slow server and timeout, HTTP 500, error inside the stream, no listener,
 * a caller that stops the run. */
#include "test_util.h"

#include "backends/backend.h"
#include "backends/sse.h"
#include "fake_openai_server.h"

#include <stdint.h>
#include <time.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* ---- SSE framing ------------------------------------------------------- */

typedef struct sse_log {
    char buf[4096]; /* events as "<event>|<data>;" */
    size_t len;
    int n;
    int stop_at; /* return 1 at this event (from 1); 0 never */
} sse_log;

static int sse_rec(void *ud, const char *event, const char *data, size_t len) {
    sse_log *l = ud;
    l->n++;
    int w = snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s|%.*s;", event, (int)len, data);
    if (w > 0 && (size_t)w < sizeof l->buf - l->len) l->len += (size_t)w;
    return l->stop_at && l->n == l->stop_at;
}

/* Feeds text in pieces of `piece` bytes (0 = all at once). */
static int sse_run(const char *text, size_t n, size_t piece, sse_log *l, int *pending) {
    teai__sse s;
    teai__sse_init(&s, 0);
    memset(l, 0, sizeof *l);
    int rc = 0;
    if (!piece) piece = n ? n : 1;
    for (size_t off = 0; off < n && rc == 0; off += piece)
        rc = teai__sse_feed(&s, text + off, n - off < piece ? n - off : piece, sse_rec, l);
    if (pending) *pending = teai__sse_pending(&s);
    teai__sse_free(&s);
    return rc;
}

static const char k_stream[] = "\xef\xbb\xbf"
                               "data: a\n\n"
                               "data: b\r\n\r\n"
                               ": comment\n\n"
                               "data:c\rdata: d\r\r"
                               "event: error\nid: 7\nretry: 10\ndata:  x\n\n"
                               "data\n\n"
                               "data: {\"k\": 1}\r\n"
                               "data: [DONE]\r\n\r\n"
                               "\n\n"
                               "data: unfinished\n";
static const char k_events[] = "|a;|b;|c\nd;error| x;|;|{\"k\": 1}\n[DONE];";

static void test_sse_framing(void) {
    sse_log l;
    int pending = 0;
    ASSERT_EQ(sse_run(k_stream, sizeof k_stream - 1, 0, &l, &pending), 0);
    ASSERT_STREQ(l.buf, k_events);
    ASSERT_EQ(l.n, 6);
    ASSERT_EQ(pending, 1); /* "data: unfinished" never got its blank line */
}

static void test_sse_any_split(void) {
    /* one byte at a time, and every cut into two reads, give the same events */
    sse_log l;
    ASSERT_EQ(sse_run(k_stream, sizeof k_stream - 1, 1, &l, NULL), 0);
    ASSERT_STREQ(l.buf, k_events);
    for (size_t cut = 1; cut < sizeof k_stream - 1; cut++) {
        teai__sse s;
        teai__sse_init(&s, 0);
        memset(&l, 0, sizeof l);
        ASSERT_EQ(teai__sse_feed(&s, k_stream, cut, sse_rec, &l), 0);
        ASSERT_EQ(teai__sse_feed(&s, k_stream + cut, sizeof k_stream - 1 - cut, sse_rec, &l), 0);
        teai__sse_free(&s);
        if (strcmp(l.buf, k_events) != 0) {
            TEST_FAIL_AT("cut at %zu: \"%s\"", cut, l.buf);
            return;
        }
    }
}

static void test_sse_limits(void) {
    teai__sse s;
    sse_log l;
    memset(&l, 0, sizeof l);
    teai__sse_init(&s, 16);
    ASSERT_EQ(teai__sse_feed(&s, "data: 0123456789abcdef\n\n", 24, sse_rec, &l), TEAI_ERANGE);
    teai__sse_free(&s);
    /* many short data lines add up to one event */
    teai__sse_init(&s, 16);
    ASSERT_EQ(teai__sse_feed(&s, "data: 0123456\ndata: 0123456\ndata: x\n\n", 37, sse_rec, &l),
              TEAI_ERANGE);
    teai__sse_free(&s);
    /* the callback stops the parse with its own value */
    ASSERT_EQ(sse_run("data: 1\n\ndata: 2\n\ndata: 3\n\n", 27, 0, &l, NULL), 0);
    ASSERT_EQ(l.n, 3);
    teai__sse_init(&s, 0);
    memset(&l, 0, sizeof l);
    l.stop_at = 2;
    ASSERT_EQ(teai__sse_feed(&s, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27, sse_rec, &l), 1);
    ASSERT_EQ(l.n, 2);
    teai__sse_free(&s);
}

/* ---- chunk JSON ---------------------------------------------------------- */

#if TEAI_HAVE_CJSON
static int parse(const char *json, int chat, teai__oai_chunk *c) {
    teai_error err = {0};
    int rc = teai__oai_chunk_parse(json, strlen(json), chat, c, &err);
    if (rc != TEAI_OK && !err.msg[0]) return 1000; /* a failure must say why */
    return rc;
}
#endif

static void test_chunk_parse(void) {
#if !TEAI_HAVE_CJSON
    printf("  (chunk parser: built without cJSON)\n");
#else
    teai__oai_chunk c;
    teai__oai_chunk_init(&c);
    /* /v1/completions, one token */
    ASSERT_EQ(parse("{\"choices\":[{\"text\":\"Hi\",\"index\":0,\"logprobs\":null,"
                    "\"finish_reason\":null}]}",
                    0, &c),
              TEAI_OK);
    ASSERT_TRUE(c.is_content);
    ASSERT_STREQ(c.text.data, "Hi");
    ASSERT_EQ(c.n_tokens, -1); /* it does not say */
    ASSERT_EQ(c.token, -1);
    ASSERT_EQ(c.finished, 0);
    /* llama-server: a token whose bytes are not printable yet has text "" */
    ASSERT_EQ(parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":null}]}", 0, &c), TEAI_OK);
    ASSERT_TRUE(c.is_content);
    ASSERT_STREQ(c.text.data, "");
    /* ... but its final "" chunk with finish_reason, usage and timings is not */
    ASSERT_EQ(parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":\"length\"}],\"usage\":"
                    "{\"completion_tokens\":5,\"prompt_tokens\":8},\"timings\":{\"cache_n\":0,"
                    "\"prompt_n\":8,\"prompt_ms\":4.787,\"predicted_n\":5,\"predicted_ms\":4.9}}",
                    0, &c),
              TEAI_OK);
    ASSERT_TRUE(!c.is_content);
    ASSERT_TRUE(c.finished);
    ASSERT_EQ(c.prompt_tokens, 8);
    ASSERT_EQ(c.completion_tokens, 5);
    ASSERT_TRUE(c.has_timings);
    ASSERT_NEAR(c.prompt_ms, 4.787, 1e-9);
    ASSERT_NEAR(c.prompt_n, 8, 0);
    ASSERT_NEAR(c.predicted_n, 5, 0);
    /* chat: role chunk (content null or ""), content, finish-only, usage-only */
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}", 1, &c),
              TEAI_OK);
    ASSERT_TRUE(!c.is_content);
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", 1, &c),
              TEAI_OK);
    ASSERT_TRUE(!c.is_content);
    ASSERT_EQ(
        parse("{\"choices\":[{\"delta\":{\"content\":\" s\"},\"finish_reason\":null}]}", 1, &c),
        TEAI_OK);
    ASSERT_TRUE(c.is_content);
    ASSERT_STREQ(c.text.data, " s");
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}", 1, &c), TEAI_OK);
    ASSERT_TRUE(!c.is_content && c.finished);
    ASSERT_EQ(
        parse("{\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":29}}", 1, &c),
        TEAI_OK);
    ASSERT_TRUE(!c.is_content);
    ASSERT_EQ(c.prompt_tokens, 29);
    ASSERT_EQ(c.has_timings, 0);
    ASSERT_TRUE(isnan(c.prompt_ms));
    /* reasoning models */
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}", 1, &c), TEAI_OK);
    ASSERT_TRUE(c.is_content);
    ASSERT_STREQ(c.text.data, "hm");
    /* counts the chunk states: logprobs entries (with ids), id arrays */
    ASSERT_EQ(parse("{\"choices\":[{\"text\":\"ab\",\"logprobs\":{\"content\":[{\"id\":7,"
                    "\"token\":\"a\"},{\"id\":8,\"token\":\"b\"}]}}]}",
                    0, &c),
              TEAI_OK);
    ASSERT_EQ(c.n_tokens, 2);
    ASSERT_EQ(c.token, -1);
    ASSERT_EQ(
        parse("{\"choices\":[{\"text\":\"a\",\"logprobs\":{\"content\":[{\"id\":7}]}}]}", 0, &c),
        TEAI_OK);
    ASSERT_EQ(c.n_tokens, 1);
    ASSERT_EQ(c.token, 7);
    ASSERT_EQ(
        parse("{\"choices\":[{\"text\":\"a\",\"logprobs\":{\"tokens\":[\"a\",\"b\",\"c\"]}}]}", 0,
              &c),
        TEAI_OK);
    ASSERT_EQ(c.n_tokens, 3);
    ASSERT_EQ(parse("{\"choices\":[{\"text\":\"\",\"token_ids\":[42]}]}", 0, &c), TEAI_OK);
    ASSERT_EQ(c.n_tokens, 1);
    ASSERT_EQ(c.token, 42);
    ASSERT_EQ(parse("{\"content\":\"x\",\"tokens\":[1,2],\"choices\":[{\"text\":\"x\"}]}", 0, &c),
              TEAI_OK);
    ASSERT_EQ(c.n_tokens, 2);
    /* errors: in-stream error object; malformed data says why */
    ASSERT_EQ(parse("{\"error\":{\"message\":\"out of\\nmemory\",\"code\":500}}", 0, &c), TEAI_OK);
    ASSERT_TRUE(c.is_error);
    ASSERT_STREQ(c.error_msg, "out of memory");
    ASSERT_EQ(parse("{\"error\":\"busy\"}", 0, &c), TEAI_OK);
    ASSERT_STREQ(c.error_msg, "busy");
    ASSERT_EQ(parse("{\"choices\":[{\"text\": oops", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":[]} trailing", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("[1,2]", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":{}}", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":[5]}", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":[{\"text\":5}]}", 0, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":{\"content\":[]}}]}", 1, &c), TEAI_EFORMAT);
    ASSERT_EQ(parse("{\"choices\":[{\"delta\":7}]}", 1, &c), TEAI_EFORMAT);
    /* extras of the wrong type are ignored, not invented */
    ASSERT_EQ(parse("{\"choices\":[],\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":1.5},"
                    "\"timings\":{\"prompt_ms\":\"fast\"}}",
                    0, &c),
              TEAI_OK);
    ASSERT_EQ(c.prompt_tokens, -1);
    ASSERT_EQ(c.completion_tokens, -1);
    ASSERT_TRUE(isnan(c.prompt_ms));
    teai__oai_chunk_free(&c);

    char msg[64];
    const char *b1 = "{\"error\":{\"message\":\"model exploded\",\"code\":500}}";
    ASSERT_EQ(teai__oai_error_message(b1, strlen(b1), msg, sizeof msg), 1);
    ASSERT_STREQ(msg, "model exploded");
    const char *b2 = "{\"detail\":\"Not Found\"}";
    ASSERT_EQ(teai__oai_error_message(b2, strlen(b2), msg, sizeof msg), 1);
    ASSERT_STREQ(msg, "Not Found");
    ASSERT_EQ(teai__oai_error_message("<html>", 6, msg, sizeof msg), 0);
#endif
}

/* ---- the backend against the fake server ------------------------------- */

#define MAX_EV 64

typedef struct rec_event {
    teai_event ev;
    char text[64];
} rec_event;

typedef struct recorder {
    rec_event ev[MAX_EV]; /* PREFILL and TOKEN events in order */
    int n;
    int n_raw;
    int raw_after_prefill; /* a RAW event came after structured ones */
    int stop_at_raw;       /* return 1 at this RAW event (from 1); 0 never */
    int calls_after_stop;
    int stopped;
} recorder;

static int rec_cb(void *ud, const teai_event *ev) {
    recorder *r = ud;
    if (r->stopped) r->calls_after_stop++;
    if (ev->kind == TEAI_EV_RAW) {
        r->n_raw++;
        if (r->n) r->raw_after_prefill = 1;
        if (r->stop_at_raw && r->n_raw == r->stop_at_raw) r->stopped = 1;
        return r->stopped;
    }
    if (r->n < MAX_EV) {
        r->ev[r->n].ev = *ev;
        snprintf(r->ev[r->n].text, sizeof r->ev[r->n].text, "%s", ev->text ? ev->text : "");
        r->ev[r->n].ev.text = r->ev[r->n].text;
    }
    r->n++;
    return r->stopped;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if TEAI_HAVE_CURL
/* named directly (not through the registry) so the test always links it */
extern const teai_backend_ops teai__backend_openai;
#endif
static const teai_backend_ops *g_ops;

typedef struct fake_run {
    int chat;
    double timeout_s;
    const char *prompt; /* NULL: "hello" */
    int prompt_tokens;
    const char *base_suffix; /* appended to http://127.0.0.1:PORT */
    int open_rc, run_rc;
    teai_error err;
    teai_backend_info info;
    char url[128];
    double elapsed_s;
} fake_run;

/* Opens the backend on s and runs one generation of s->n_tokens tokens. */
static void run_fake(fake_server *s, fake_run *fr, recorder *r) {
    snprintf(fr->url, sizeof fr->url, "http://127.0.0.1:%d%s", s->port,
             fr->base_suffix ? fr->base_suffix : "");
    teai_backend_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = fr->url;
    cfg.api_key = "sk-test";
    cfg.chat = fr->chat;
    cfg.seed = 42;
    cfg.timeout_s = fr->timeout_s > 0 ? fr->timeout_s : 10;
    teai_backend *b = NULL;
    memset(&fr->err, 0, sizeof fr->err);
    fr->run_rc = 1;
    fr->open_rc = g_ops->open(&cfg, &b, &fr->info, &fr->err);
    if (fr->open_rc != TEAI_OK) return;
    teai_run_params p = {.prompt = fr->prompt_tokens ? NULL
                                   : fr->prompt      ? fr->prompt
                                                     : "hello",
                         .prompt_tokens = fr->prompt_tokens,
                         .n_gen = s->n_tokens,
                         .rep = 0};
    double t0 = now_s();
    fr->run_rc = g_ops->run(b, &p, rec_cb, r, &fr->err);
    fr->elapsed_s = now_s() - t0;
    g_ops->close(b);
}

/* Every structured event keeps the backend's promises. */
static int check_events(const recorder *r) {
    double prev = 0;
    for (int i = 0; i < r->n && i < MAX_EV; i++) {
        const teai_event *e = &r->ev[i].ev;
        if (e->kind != (i == 0 ? TEAI_EV_PREFILL : TEAI_EV_TOKEN)) return 0;
        if (!isnan(e->enqueue_ms)) return 0; /* never observable from a client */
        if (!(e->t_ms >= prev)) return 0;    /* monotonic arrival */
        if (i > 0 && (e->step != i || fabs(e->total_ms - (e->t_ms - prev)) > 1e-9)) return 0;
        if (i == 0 && fabs(e->ttft_ms - e->t_ms) > 1e-9) return 0;
        if (e->n_tokens == 0 || e->n_tokens < -1) return 0;
        prev = e->t_ms;
    }
    return 1;
}

#define NEED_BACKEND()                                                                             \
    do {                                                                                           \
        if (!g_ops) return;                                                                        \
    } while (0)

#define START(s)                                                                                   \
    do {                                                                                           \
        if (fake_server_start(&(s)) != 0) {                                                        \
            TEST_FAIL_AT("fake server did not start");                                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static void test_stream_completions(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    char body[4096], path[128], auth[256];
    int n_requests = fake_server_last(&s, path, sizeof path, auth, sizeof auth, body, sizeof body);
    fake_server_stop(&s);
    ASSERT_EQ(fr.open_rc, TEAI_OK);
    ASSERT_STREQ(fr.info.name, "openai");
    ASSERT_EQ(fr.info.memory, TEAI_MEM_REMOTE);
    ASSERT_STREQ(fr.info.version, "fake-model");
    ASSERT_STREQ(fr.info.device, fr.url);
    ASSERT_STREQ(fr.info.weight_format, "F16");
    ASSERT_EQ(fr.info.n_vocab, 32000);
    ASSERT_EQ(fr.info.param_count, 1000);
    ASSERT_NEAR(fr.info.bits_per_weight, 16, 1e-12);
    ASSERT_TRUE(isnan(fr.info.load_ms));
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(n_requests, 2);
    ASSERT_STREQ(path, "/v1/completions");
    ASSERT_STREQ(auth, "Bearer sk-test");
    /* 5 content chunks -> PREFILL + 4 TOKEN; the server's usage (5 tokens in
     * 5 chunks) shows each held one */
    ASSERT_EQ(r.n, 5);
    ASSERT_TRUE(check_events(&r));
    ASSERT_EQ(r.n_raw, 7); /* 5 content + finish/usage + [DONE], as they arrived */
    ASSERT_EQ(r.raw_after_prefill, 0);
    const teai_event *p = &r.ev[0].ev;
    ASSERT_EQ(p->n_prompt, 7);
    ASSERT_NEAR(p->prefill_ms, 12.5, 1e-12); /* llama-style timings */
    ASSERT_TRUE(p->ttft_ms > 0 && p->ttft_ms < 5000);
    ASSERT_STREQ(p->text, "w0 ");
    ASSERT_EQ(p->n_tokens, 1);
    for (int i = 1; i < 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "w%d ", i);
        ASSERT_STREQ(r.ev[i].ev.text, want);
        ASSERT_EQ(r.ev[i].ev.n_tokens, 1);
        ASSERT_EQ(r.ev[i].ev.token, -1);
        ASSERT_EQ(r.ev[i].ev.bytes_moved, 0);
    }
#if TEAI_HAVE_CJSON
    cJSON *j = cJSON_Parse(body);
    ASSERT_TRUE(j != NULL);
    const cJSON *so = cJSON_GetObjectItem(j, "stream_options");
    int ok = cJSON_IsTrue(cJSON_GetObjectItem(j, "stream")) &&
             cJSON_GetObjectItem(j, "max_tokens")->valuedouble == 5 &&
             cJSON_GetObjectItem(j, "temperature")->valuedouble == 0 &&
             cJSON_GetObjectItem(j, "seed")->valuedouble == 42 &&
             strcmp(cJSON_GetObjectItem(j, "model")->valuestring, "fake-model") == 0 &&
             strcmp(cJSON_GetObjectItem(j, "prompt")->valuestring, "hello") == 0 &&
             cJSON_IsTrue(cJSON_GetObjectItem(so, "include_usage"));
    cJSON_Delete(j);
    if (!ok) TEST_FAIL_AT("request body: %s", body);
#endif
}

static void test_stream_chat(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.timings = 0;
    START(s);
    fake_run fr = {.chat = 1, .base_suffix = "/v1/"};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    char body[4096], path[128];
    fake_server_last(&s, path, sizeof path, NULL, 0, body, sizeof body);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_STREQ(path, "/v1/chat/completions"); /* ".../v1/" names the same server */
    ASSERT_EQ(r.n, 5);                          /* the role chunk is not a token */
    ASSERT_TRUE(check_events(&r));
    ASSERT_EQ(r.ev[0].ev.n_prompt, 7); /* usage only: prompt tokens, no prefill time */
    ASSERT_TRUE(isnan(r.ev[0].ev.prefill_ms));
    ASSERT_EQ(r.ev[4].ev.n_tokens, 1);
    ASSERT_STREQ(r.ev[4].ev.text, "w4 ");
    ASSERT_TRUE(strstr(body, "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]") != NULL);
}

static void test_stream_no_usage(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.usage = 0;
    s.timings = 0;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 5);
    ASSERT_TRUE(check_events(&r));
    ASSERT_EQ(r.ev[0].ev.n_prompt, -1);
    ASSERT_TRUE(isnan(r.ev[0].ev.prefill_ms));
    for (int i = 0; i < 5; i++) ASSERT_EQ(r.ev[i].ev.n_tokens, -1); /* nobody said */
}

static void test_stream_multi_token(void) {
    NEED_BACKEND();
    /* chunks that say their tokens (logprobs entries) */
    fake_server s;
    fake_server_init(&s);
    s.n_tokens = 9;
    s.per_chunk = 3;
    s.say_counts = 1;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 3);
    ASSERT_TRUE(check_events(&r));
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(r.ev[i].ev.n_tokens, 3);
        ASSERT_EQ(r.ev[i].ev.token, -1);
    }
    ASSERT_STREQ(r.ev[1].ev.text, "w3 w4 w5 ");
    /* chunks that do not: 9 tokens in 3 chunks, so no chunk's count is known */
    fake_server_init(&s);
    s.n_tokens = 9;
    s.per_chunk = 3;
    START(s);
    memset(&r, 0, sizeof r);
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 3);
    for (int i = 0; i < 3; i++) ASSERT_EQ(r.ev[i].ev.n_tokens, -1);
    /* one token per chunk with ids */
    fake_server_init(&s);
    s.n_tokens = 3;
    s.say_counts = 1;
    START(s);
    memset(&r, 0, sizeof r);
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(r.n, 3);
    for (int i = 0; i < 3; i++) ASSERT_EQ(r.ev[i].ev.token, 100 + i);
}

static void test_stream_pieces(void) {
    NEED_BACKEND();
    /* events split across reads, CRLF, keep-alive comments */
    fake_server s;
    fake_server_init(&s);
    s.split = 5;
    s.crlf = 1;
    s.comments = 1;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 5);
    ASSERT_TRUE(check_events(&r));
    ASSERT_STREQ(r.ev[3].ev.text, "w3 ");
    ASSERT_EQ(r.ev[0].ev.n_prompt, 7);
}

static void expect_msg(const teai_error *err, const char *part) {
    static char shown[sizeof err->msg];
    if (strcmp(shown, err->msg) != 0) { /* each message once, for the reader of the log */
        printf("  message: %s\n", err->msg);
        snprintf(shown, sizeof shown, "%s", err->msg);
    }
    if (!strstr(err->msg, part)) TEST_FAIL_AT("message \"%s\" lacks \"%s\"", err->msg, part);
}

static void test_dropped(void) {
    NEED_BACKEND();
    for (int clean = 0; clean < 2; clean++) {
        fake_server s;
        fake_server_init(&s);
        s.mode = clean ? FAKE_DROP_CLEAN : FAKE_DROP;
        s.drop_after = 3;
        START(s);
        fake_run fr = {0};
        recorder r = {0};
        run_fake(&s, &fr, &r);
        fake_server_stop(&s);
        ASSERT_EQ(fr.open_rc, TEAI_OK);
        ASSERT_EQ(fr.run_rc, TEAI_EIO);
        ASSERT_EQ(fr.err.status, TEAI_EIO);
        expect_msg(&fr.err, fr.url);
        expect_msg(&fr.err, "connection dropped");
        expect_msg(&fr.err, "; 3 chunks of text (token counts unreported) had arrived");
        ASSERT_EQ(r.n, 3); /* what arrived stands: PREFILL + 2 TOKEN */
        ASSERT_TRUE(check_events(&r));
        ASSERT_EQ(r.ev[0].ev.n_prompt, -1);
        ASSERT_STREQ(r.ev[2].ev.text, "w2 ");
    }
}

static void test_malformed(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.mode = FAKE_MALFORMED;
    s.bad_chunk = 3;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EFORMAT);
    expect_msg(&fr.err, fr.url);
    expect_msg(&fr.err, "chunk 3: not valid JSON");
    ASSERT_EQ(r.n, 2); /* chunks 1 and 2 stand */
    ASSERT_TRUE(check_events(&r));
}

static void test_stream_error(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.mode = FAKE_STREAM_ERROR;
    s.drop_after = 2;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EIO);
    expect_msg(&fr.err, "server error in chunk 3: out of KV cache");
    ASSERT_EQ(r.n, 2);
}

static void test_http_500(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.mode = FAKE_HTTP500;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EIO);
    char want[200];
    snprintf(want, sizeof want, "%s/v1/completions: HTTP 500: model exploded", fr.url);
    ASSERT_STREQ(fr.err.msg, want);
    ASSERT_EQ(r.n, 0);
    ASSERT_EQ(r.n_raw, 0);
    /* without a body the status alone is the message */
    fake_server_init(&s);
    s.mode = FAKE_HTTP500;
    s.empty_error_body = 1;
    START(s);
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EIO);
    snprintf(want, sizeof want, "%s/v1/completions: HTTP 500", fr.url);
    ASSERT_STREQ(fr.err.msg, want);
}

static void test_done_ends_stream(void) {
    NEED_BACKEND();
    /* a server that keeps the connection open after [DONE] does not hold the run */
    fake_server s;
    fake_server_init(&s);
    s.hold_after_done_ms = 1500;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 5);
    ASSERT_TRUE(fr.elapsed_s < 1.0);
}

static void test_not_sse(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.mode = FAKE_NOT_SSE;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EFORMAT);
    expect_msg(&fr.err, "no server-sent events");
    ASSERT_EQ(r.n, 0);
}

static void test_slow(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.n_tokens = 4;
    s.delay_first_ms = 150;
    s.delay_between_ms = 60;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_EQ(r.n, 4);
    ASSERT_TRUE(check_events(&r));
    ASSERT_TRUE(r.ev[0].ev.ttft_ms >= 150); /* the server waited that long after its headers */
    /* 60 ms between sends; a late read of one chunk shortens the next gap,
     * so each gap is only bounded loosely, their sum tightly */
    for (int i = 1; i < 4; i++)
        if (!(r.ev[i].ev.total_ms >= 30)) TEST_FAIL_AT("step %d: %g ms", i, r.ev[i].ev.total_ms);
    ASSERT_TRUE(r.ev[3].ev.t_ms - r.ev[0].ev.t_ms >= 150);
}

static void test_timeout(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.delay_first_ms = 1500;
    START(s);
    fake_run fr = {.timeout_s = 0.3};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.open_rc, TEAI_OK);
    ASSERT_EQ(fr.run_rc, TEAI_EIO);
    expect_msg(&fr.err, fr.url);
    expect_msg(&fr.err, "timed out after 0.3 s; no text had arrived");
    ASSERT_TRUE(fr.elapsed_s < 1.2);
    ASSERT_EQ(r.n, 0);
}

static void test_refused(void) {
    NEED_BACKEND();
    int port = fake_free_port();
    ASSERT_TRUE(port > 0);
    char url[64], want[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    teai_backend_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = url;
    cfg.timeout_s = 5;
    teai_backend *b = NULL;
    teai_backend_info info;
    teai_error err = {0};
    ASSERT_EQ(g_ops->open(&cfg, &b, &info, &err), TEAI_EIO);
    ASSERT_TRUE(b == NULL);
    snprintf(want, sizeof want, "%s/v1/models: connection refused", url);
    ASSERT_STREQ(err.msg, want);
    /* no URL at all */
    cfg.base_url = NULL;
    ASSERT_EQ(g_ops->open(&cfg, &b, &info, &err), TEAI_EINVAL);
}

static void test_models_endpoint(void) {
    NEED_BACKEND();
    /* a server without /v1/models still streams; "model" falls back to "default" */
    fake_server s;
    fake_server_init(&s);
    s.models_status = 404;
    START(s);
    fake_run fr = {0};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    char body[4096];
    fake_server_last(&s, NULL, 0, NULL, 0, body, sizeof body);
    fake_server_stop(&s);
    ASSERT_EQ(fr.open_rc, TEAI_OK);
    ASSERT_STREQ(fr.info.version, "");
    ASSERT_EQ(fr.info.n_vocab, -1);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
    ASSERT_TRUE(strstr(body, "\"model\":\"default\"") != NULL);
    /* a server still loading says so */
    fake_server_init(&s);
    s.models_status = 503;
    START(s);
    memset(&r, 0, sizeof r);
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.open_rc, TEAI_EIO);
    expect_msg(&fr.err, "/v1/models: HTTP 503: Loading model");
}

static void test_stop(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    s.n_tokens = 20;
    s.delay_between_ms = 100;
    START(s);
    fake_run fr = {0};
    recorder r = {.stop_at_raw = 3};
    run_fake(&s, &fr, &r);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_EINTR);
    ASSERT_TRUE(fr.elapsed_s < 1.0); /* not the 2 s the whole stream takes */
    expect_msg(&fr.err, "stopped by the caller; 2 chunks of text");
    /* what was measured before the stop is still reported */
    ASSERT_EQ(r.n, 2);
    ASSERT_TRUE(check_events(&r));
}

static void test_prompt_tokens(void) {
    NEED_BACKEND();
    fake_server s;
    fake_server_init(&s);
    START(s);
    fake_run fr = {.prompt_tokens = 16};
    recorder r = {0};
    run_fake(&s, &fr, &r);
    char body[4096];
    fake_server_last(&s, NULL, 0, NULL, 0, body, sizeof body);
    fr.chat = 1;
    memset(&r, 0, sizeof r);
    run_fake(&s, &fr, &r);
    char chat_body[4096];
    fake_server_last(&s, NULL, 0, NULL, 0, chat_body, sizeof chat_body);
    fake_server_stop(&s);
    ASSERT_EQ(fr.run_rc, TEAI_OK);
#if TEAI_HAVE_CJSON
    cJSON *j = cJSON_Parse(body);
    const cJSON *pr = cJSON_GetObjectItem(j, "prompt");
    int ok = cJSON_IsArray(pr) && cJSON_GetArraySize(pr) == 16;
    for (int i = 0; ok && i < 16; i++) {
        double id = cJSON_GetArrayItem(pr, i)->valuedouble;
        ok = id >= 4000 && id < 16000; /* n_vocab 32000: ordinary tokens */
    }
    cJSON_Delete(j);
    if (!ok) TEST_FAIL_AT("prompt ids: %s", body);
    j = cJSON_Parse(chat_body);
    const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "messages"), 0);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(m, "content"));
    int words = text && *text ? 1 : 0;
    for (const char *c = text; c && *c; c++) words += *c == ' ';
    cJSON_Delete(j);
    ASSERT_EQ(words, 16);
#endif
}

int main(void) {
    RUN_TEST(test_sse_framing);
    RUN_TEST(test_sse_any_split);
    RUN_TEST(test_sse_limits);
    RUN_TEST(test_chunk_parse);
#if TEAI_HAVE_CURL
    g_ops = &teai__backend_openai;
#else
    printf("SKIP: backend tests: built without libcurl\n");
    TEST_MAIN_END();
#endif
    RUN_TEST(test_stream_completions);
    RUN_TEST(test_stream_chat);
    RUN_TEST(test_stream_no_usage);
    RUN_TEST(test_stream_multi_token);
    RUN_TEST(test_stream_pieces);
    RUN_TEST(test_dropped);
    RUN_TEST(test_malformed);
    RUN_TEST(test_stream_error);
    RUN_TEST(test_http_500);
    RUN_TEST(test_not_sse);
    RUN_TEST(test_done_ends_stream);
    RUN_TEST(test_slow);
    RUN_TEST(test_timeout);
    RUN_TEST(test_refused);
    RUN_TEST(test_models_endpoint);
    RUN_TEST(test_stop);
    RUN_TEST(test_prompt_tokens);
    TEST_MAIN_END();
}
