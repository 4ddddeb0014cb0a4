/* The server's parts that need no network (src/server): routes, the API key
 * check, UTF-8 cleaning and stop strings (piecewise equals whole), request
 * validation (each bad field named), and the JSON it sends, read back by
 * teai's own openai client parser. tests/test_server_http.c runs it end to end. */
#include "test_util.h"

#include "backends/sse.h"
#include "results/results_impl.h"
#include "server/server.h"

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void test_routes(void) {
    ASSERT_EQ(teai__srv_route("/v1/completions"), TEAI__SRV_COMPLETIONS);
    ASSERT_EQ(teai__srv_route("/completions"), TEAI__SRV_COMPLETIONS);
    ASSERT_EQ(teai__srv_route("/v1/chat/completions?x=1"), TEAI__SRV_CHAT);
    ASSERT_EQ(teai__srv_route("/v1/models/"), TEAI__SRV_MODELS);
    ASSERT_EQ(teai__srv_route("/health"), TEAI__SRV_HEALTH);
    ASSERT_EQ(teai__srv_route("/v1"), TEAI__SRV_NONE);
    ASSERT_EQ(teai__srv_route("/v1x/models"), TEAI__SRV_NONE);
    ASSERT_EQ(teai__srv_route("/v1/completionsx"), TEAI__SRV_NONE);
    ASSERT_EQ(teai__srv_route(""), TEAI__SRV_NONE);
    ASSERT_STREQ(teai__srv_method(TEAI__SRV_CHAT), "POST");
    ASSERT_STREQ(teai__srv_method(TEAI__SRV_MODELS), "GET");
}

static void test_auth(void) {
    ASSERT_TRUE(teai__srv_auth_ok("Bearer sk-abc", "sk-abc"));
    ASSERT_TRUE(teai__srv_auth_ok("bearer  sk-abc ", "sk-abc"));
    ASSERT_TRUE(!teai__srv_auth_ok("Bearer sk-ab", "sk-abc"));
    ASSERT_TRUE(!teai__srv_auth_ok("Bearer sk-abcd", "sk-abc"));
    ASSERT_TRUE(!teai__srv_auth_ok("Bearer sk-abcsk-abc", "sk-abc")); /* wraps around the key */
    ASSERT_TRUE(!teai__srv_auth_ok("Bearer ", "sk-abc"));
    ASSERT_TRUE(!teai__srv_auth_ok("Basic sk-abc", "sk-abc"));
    ASSERT_TRUE(!teai__srv_auth_ok(NULL, "sk-abc"));
    ASSERT_TRUE(teai__srv_auth_ok(NULL, NULL)); /* no key: no check */
    ASSERT_TRUE(teai__srv_auth_ok("anything", ""));
}

/* clean(s) in one piece, final. */
static void clean_all(const char *s, size_t n, teai_buf *out) {
    size_t used;
    out->len = 0;
    if (teai__srv_utf8_clean(s, n, 1, out, &used) || used != n) abort();
}

static void test_utf8(void) {
    teai_buf b;
    teai_buf_init(&b, 0);
    size_t used;
    clean_all("a\xC3\xA9"
              "b\xF0\x9F\x98\x80",
              8, &b);
    ASSERT_EQ(b.len, 8);
    ASSERT_TRUE(memcmp(b.data,
                       "a\xC3\xA9"
                       "b\xF0\x9F\x98\x80",
                       8) == 0);
    clean_all("\xFF", 1, &b);
    ASSERT_STREQ(b.data, "\xEF\xBF\xBD");
    clean_all("\xED\xA0\x80", 3, &b); /* a surrogate: three bad bytes */
    ASSERT_EQ(b.len, 9);
    clean_all("\xC0\xAF", 2, &b); /* overlong */
    ASSERT_EQ(b.len, 6);
    clean_all("x\xE2\x82", 3, &b); /* cut at the end of the text: one bad part */
    ASSERT_STREQ(b.data, "x\xEF\xBF\xBD");
    b.len = 0;
    ASSERT_EQ(teai__srv_utf8_clean("ab\xE2\x82", 4, 0, &b, &used), TEAI_OK);
    ASSERT_EQ(used, 2); /* not final: the start of a character is held */
    ASSERT_STREQ(b.data, "ab");
    b.len = 0;
    ASSERT_EQ(teai__srv_utf8_clean("\xE2\x82"
                                   "A",
                                   3, 0, &b, &used),
              TEAI_OK);
    ASSERT_EQ(used, 3); /* A shows the sequence never completes */
    ASSERT_EQ(b.len, 4);

    /* piecewise == whole, always valid, on random bytes cut at random places */
    char text[600];
    teai_buf whole, parts;
    teai_buf_init(&whole, 0);
    teai_buf_init(&parts, 0);
    static const char *const frag[] = {"a",    "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                       "\xE2", "\x82",     "\xF4\x90",     "\xFF",
                                       "\xC3"};
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 0;
        while (n < sizeof text - 8) {
            const char *f = frag[rnd() % 9];
            if (rnd() % 4 == 0) {
                text[n++] = (char)(rnd() & 0xff);
            } else {
                memcpy(text + n, f, strlen(f));
                n += strlen(f);
            }
        }
        clean_all(text, n, &whole);
        ASSERT_TRUE(teai__utf8_valid(whole.data, whole.len));
        parts.len = 0;
        size_t done = 0, end = 0;
        while (end < n) {
            end += 1 + rnd() % 7;
            if (end > n) end = n;
            ASSERT_EQ(teai__srv_utf8_clean(text + done, end - done, 0, &parts, &used), TEAI_OK);
            ASSERT_TRUE(used <= end - done && end - done - used <= 3);
            done += used;
        }
        ASSERT_EQ(teai__srv_utf8_clean(text + done, n - done, 1, &parts, &used), TEAI_OK);
        ASSERT_EQ(parts.len, whole.len);
        ASSERT_TRUE(memcmp(parts.data, whole.data, whole.len) == 0);
    }
    teai_buf_free(&whole);
    teai_buf_free(&parts);
    teai_buf_free(&b);
}

/* Pushes the pieces (NULL-terminated), then finishes; the text sent. */
static int run_text(const char *const *stop, int n_stop, const char *const *pieces, teai_buf *out,
                    int *stopped) {
    teai__srv_text t;
    teai__srv_text_init(&t, stop, n_stop);
    out->len = 0;
    int rc = 0;
    for (int i = 0; pieces[i] && !t.stopped && !rc; i++)
        rc = teai__srv_text_push(&t, pieces[i], strlen(pieces[i]), out);
    if (!rc) rc = teai__srv_text_finish(&t, out);
    *stopped = t.stopped;
    teai__srv_text_free(&t);
    if (!out->data) teai_buf_add(out, "", 0);
    return rc;
}

static void test_stop_strings(void) {
    teai_buf out;
    teai_buf_init(&out, 0);
    int stopped;
    const char *s1[] = {"END", "xy"};
    const char *p1[] = {"abcE", "N", "Dzzz", NULL};
    ASSERT_EQ(run_text(s1, 2, p1, &out, &stopped), 0);
    ASSERT_STREQ(out.data, "abc");
    ASSERT_TRUE(stopped);
    const char *p2[] = {"ab", "cx", "q", "EN", NULL}; /* starts that never complete are sent */
    ASSERT_EQ(run_text(s1, 2, p2, &out, &stopped), 0);
    ASSERT_STREQ(out.data, "abcxqEN");
    ASSERT_TRUE(!stopped);
    const char *s3[] = {"\xC3\xA9"}; /* a stop string that is one character */
    const char *p3[] = {"caf\xC3", "\xA9 au lait", NULL};
    ASSERT_EQ(run_text(s3, 1, p3, &out, &stopped), 0);
    ASSERT_STREQ(out.data, "caf");
    const char *s4[] = {"lo w", "o"}; /* the earliest match wins */
    const char *p4[] = {"hel", "lo world", NULL};
    ASSERT_EQ(run_text(s4, 2, p4, &out, &stopped), 0);
    ASSERT_STREQ(out.data, "hel");

    /* held text is sent as soon as it cannot begin a stop string */
    teai__srv_text t;
    teai__srv_text_init(&t, s1, 2);
    out.len = 0;
    ASSERT_EQ(teai__srv_text_push(&t, "abE", 3, &out), 0);
    ASSERT_EQ(out.len, 2);
    ASSERT_EQ(teai__srv_text_push(&t, "q", 1, &out), 0);
    ASSERT_EQ(out.len, 4);
    teai__srv_text_free(&t);

    /* random pieces: the text equals the whole text cut at the first stop, cleaned */
    const char *stops[] = {"ab", "\xC3\xA9!", "zzz"};
    static const char alphabet[] = "abz!\xC3\xA9\xE2\x82";
    teai_buf ref;
    teai_buf_init(&ref, 0);
    for (int trial = 0; trial < 300; trial++) {
        char whole[64];
        char pieces[16][8];
        const char *pp[17];
        int np = 0;
        size_t n = 0;
        while (np < 16) {
            int len = (int)(rnd() % 4);
            for (int k = 0; k < len; k++) pieces[np][k] = alphabet[rnd() % (sizeof alphabet - 1)];
            pieces[np][len] = '\0';
            memcpy(whole + n, pieces[np], (size_t)len);
            n += (size_t)len;
            pp[np] = pieces[np];
            np++;
        }
        pp[np] = NULL;
        int ns = 1 + (int)(rnd() % 3);
        size_t cut = n;
        for (int s = 0; s < ns; s++)
            for (size_t i = 0; i + strlen(stops[s]) <= n; i++)
                if (memcmp(whole + i, stops[s], strlen(stops[s])) == 0) {
                    if (i < cut) cut = i;
                    break;
                }
        clean_all(whole, cut, &ref);
        ASSERT_EQ(run_text(stops, ns, pp, &out, &stopped), 0);
        ASSERT_EQ(stopped, cut < n);
        ASSERT_EQ(out.len, ref.len);
        ASSERT_TRUE(ref.len == 0 || memcmp(out.data, ref.data, ref.len) == 0);
    }
    teai_buf_free(&ref);
    teai_buf_free(&out);
}

#if TEAI_HAVE_CJSON

typedef struct bad_case {
    int chat;
    const char *body;
    const char *param; /* "" = null */
} bad_case;

static void test_parse_errors(void) {
    static const bad_case cases[] = {
        {0, "", ""},
        {0, "{", ""},
        {0, "[1]", ""},
        {0, "{} x", ""},
        {0, "{\"max_tokens\": 3}", "prompt"},
        {0, "{\"prompt\": 5}", "prompt"},
        {0, "{\"prompt\": []}", "prompt"},
        {0, "{\"prompt\": [\"a\", \"b\"]}", "prompt"},
        {0, "{\"prompt\": [1, -2]}", "prompt"},
        {0, "{\"prompt\": [1, 2.5]}", "prompt"},
        {0, "{\"prompt\": \"x\", \"max_tokens\": 0}", "max_tokens"},
        {0, "{\"prompt\": \"x\", \"max_tokens\": 101}", "max_tokens"},
        {0, "{\"prompt\": \"x\", \"max_tokens\": \"5\"}", "max_tokens"},
        {1,
         "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_completion_tokens\": "
         "500}",
         "max_completion_tokens"},
        {0, "{\"prompt\": \"x\", \"n\": 2}", "n"},
        {0, "{\"prompt\": \"x\", \"temperature\": -1}", "temperature"},
        {0, "{\"prompt\": \"x\", \"temperature\": \"hot\"}", "temperature"},
        {0, "{\"prompt\": \"x\", \"top_p\": 1.5}", "top_p"},
        {0, "{\"prompt\": \"x\", \"top_k\": -3}", "top_k"},
        {0, "{\"prompt\": \"x\", \"seed\": 1.5}", "seed"},
        {0, "{\"prompt\": \"x\", \"stop\": 3}", "stop"},
        {0, "{\"prompt\": \"x\", \"stop\": [\"\"]}", "stop"},
        {0,
         "{\"prompt\": \"x\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
         "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
         "stop"},
        {0, "{\"prompt\": \"x\", \"stream\": 1}", "stream"},
        {0, "{\"prompt\": \"x\", \"stream_options\": {\"include_usage\": \"yes\"}}",
         "stream_options.include_usage"},
        {0, "{\"prompt\": \"x\", \"model\": 7}", "model"},
        {1, "{\"prompt\": \"x\"}", "messages"},
        {1, "{\"messages\": []}", "messages"},
        {1, "{\"messages\": {}}", "messages"},
        {1, "{\"messages\": [3]}", "messages[0]"},
        {1,
         "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"tool\", "
         "\"content\": \"b\"}]}",
         "messages[1].role"},
        {1, "{\"messages\": [{\"content\": \"a\"}]}", "messages[0].role"},
        {1, "{\"messages\": [{\"role\": \"user\"}]}", "messages[0].content"},
        {1, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
         "messages[0].content"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        teai__srv_request r;
        teai__srv_error e;
        memset(&e, 0, sizeof e);
        int rc = teai__srv_request_parse(cases[i].body, strlen(cases[i].body), cases[i].chat, 100,
                                         &r, &e);
        if (rc == 0 || e.http != 400 || strcmp(e.param, cases[i].param) != 0 || !e.message[0] ||
            strcmp(e.type, "invalid_request_error") != 0) {
            TEST_FAIL_AT("case %zu (%s): rc %d, http %d, param '%s' (wanted '%s'), message '%s'", i,
                         cases[i].body, rc, e.http, e.param, cases[i].param, e.message);
            teai__srv_request_free(&r);
            return;
        }
        teai__srv_request_free(&r);
    }
}

static void test_parse_ok(void) {
    teai__srv_request r;
    teai__srv_error e;
    const char *b1 = "{\"model\": \"m\", \"prompt\": \"hi\", \"max_tokens\": 7, \"temperature\": 0,"
                     " \"top_p\": 0.5, \"top_k\": 3, \"seed\": 12345678901, \"stop\": \"\\n\","
                     " \"stream\": true, \"stream_options\": {\"include_usage\": true},"
                     " \"n\": 1, \"frequency_penalty\": 0} \n";
    ASSERT_EQ(teai__srv_request_parse(b1, strlen(b1), 0, 100, &r, &e), 0);
    ASSERT_STREQ(r.model, "m");
    ASSERT_STREQ(r.prompt, "hi");
    ASSERT_EQ(r.max_tokens, 7);
    ASSERT_NEAR(r.sp.temperature, 0, 0);
    ASSERT_NEAR(r.sp.top_p, 0.5, 1e-7);
    ASSERT_EQ(r.sp.top_k, 3);
    ASSERT_EQ(r.sp.seed, 12345678901ull);
    ASSERT_EQ(r.n_stop, 1);
    ASSERT_STREQ(r.stop[0], "\n");
    ASSERT_TRUE(r.stream && r.include_usage);
    teai__srv_request_free(&r);

    const char *b2 = "{\"prompt\": [[5, 6, 7]]}";
    ASSERT_EQ(teai__srv_request_parse(b2, strlen(b2), 0, 100, &r, &e), 0);
    ASSERT_TRUE(r.prompt == NULL);
    ASSERT_EQ(r.n_prompt_ids, 3);
    ASSERT_EQ(r.prompt_ids[2], 7);
    ASSERT_EQ(r.max_tokens, -1);
    teai_sampler_params d = teai_sampler_default_params(); /* absent fields: teai generate's */
    ASSERT_NEAR(r.sp.temperature, d.temperature, 0);
    ASSERT_EQ(r.sp.seed, d.seed);
    ASSERT_TRUE(!r.stream);
    teai__srv_request_free(&r);

    const char *b3 =
        "{\"messages\": [{\"role\": \"developer\", \"content\": \"be brief\"},"
        " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"},"
        " {\"type\": \"text\", \"text\": \"b\"}]}, {\"role\": \"assistant\","
        " \"content\": null}], \"max_completion_tokens\": 9, \"stop\": [\"x\", \"y\"]}";
    ASSERT_EQ(teai__srv_request_parse(b3, strlen(b3), 1, 100, &r, &e), 0);
    ASSERT_EQ(r.n_msgs, 3);
    ASSERT_STREQ(r.msgs[0].role, "system");
    ASSERT_STREQ(r.msgs[1].content, "a\nb");
    ASSERT_STREQ(r.msgs[2].content, "");
    ASSERT_EQ(r.max_tokens, 9);
    ASSERT_EQ(r.n_stop, 2);
    teai__srv_request_free(&r);
}

static void test_json(void) {
    teai__srv_meta m = {"cmpl-1", "tiny", 1700000000, "fp"};
    teai__srv_usage u = {5, 3, 1.5, 2.5};
    char *s = teai__srv_response_json(0, &m, "a\0b\xFF", 4, TEAI__SRV_FINISH_LENGTH, &u);
    ASSERT_TRUE(s != NULL);
    ASSERT_TRUE(strstr(s, "\"a\\u0000b\xEF\xBF\xBD\"") != NULL); /* NUL kept, bad byte replaced */
    cJSON *o = cJSON_Parse(s);
    free(s);
    ASSERT_TRUE(o != NULL);
    ASSERT_STREQ(cJSON_GetObjectItem(o, "object")->valuestring, "text_completion");
    cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
    ASSERT_STREQ(cJSON_GetObjectItem(c0, "finish_reason")->valuestring, "length");
    ASSERT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "usage"), "total_tokens")->valuedouble, 8);
    cJSON_Delete(o);

    s = teai__srv_response_json(1, &m, "hi", 2, TEAI__SRV_FINISH_STOP, &u);
    o = cJSON_Parse(s);
    free(s);
    ASSERT_TRUE(o != NULL);
    ASSERT_STREQ(cJSON_GetObjectItem(o, "object")->valuestring, "chat.completion");
    c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
    ASSERT_STREQ(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "message"), "content")->valuestring,
                 "hi");
    ASSERT_STREQ(cJSON_GetObjectItem(c0, "finish_reason")->valuestring, "stop");
    cJSON_Delete(o);

    /* chunks as teai's openai client reads them */
    teai__oai_chunk c;
    teai__oai_chunk_init(&c);
    teai_error err = {0};
    for (int chat = 0; chat <= 1; chat++) {
        s = teai__srv_chunk_json(chat, &m, "tok", 3, 42, 0, TEAI__SRV_RUNNING, NULL, 0);
        ASSERT_EQ(teai__oai_chunk_parse(s, strlen(s), chat, &c, &err), TEAI_OK);
        free(s);
        ASSERT_TRUE(c.is_content && !c.finished);
        ASSERT_EQ(c.n_tokens, 1);
        ASSERT_EQ(c.token, 42);
        ASSERT_STREQ(c.text.data, "tok");
        s = teai__srv_chunk_json(chat, &m, "", 0, 7, 0, TEAI__SRV_RUNNING, NULL, 0);
        ASSERT_EQ(teai__oai_chunk_parse(s, strlen(s), chat, &c, &err), TEAI_OK);
        free(s);
        ASSERT_TRUE(c.is_content); /* a token whose bytes are held back still counts */
        s = teai__srv_chunk_json(chat, &m, chat ? NULL : "", 0, -1, 0, TEAI__SRV_FINISH_LENGTH, &u,
                                 0);
        ASSERT_EQ(teai__oai_chunk_parse(s, strlen(s), chat, &c, &err), TEAI_OK);
        free(s);
        ASSERT_TRUE(c.finished && !c.is_content && c.has_timings);
        ASSERT_NEAR(c.prompt_n, 5, 0);
        ASSERT_NEAR(c.prompt_ms, 1.5, 1e-12);
        ASSERT_NEAR(c.predicted_n, 3, 0);
        s = teai__srv_chunk_json(chat, &m, NULL, 0, -1, 0, TEAI__SRV_RUNNING, &u, 1);
        ASSERT_EQ(teai__oai_chunk_parse(s, strlen(s), chat, &c, &err), TEAI_OK);
        free(s);
        ASSERT_EQ(c.prompt_tokens, 5);
        ASSERT_EQ(c.completion_tokens, 3);
        ASSERT_TRUE(!c.is_content);
    }
    s = teai__srv_chunk_json(1, &m, "", 0, -1, 1, TEAI__SRV_RUNNING, NULL, 0);
    ASSERT_EQ(teai__oai_chunk_parse(s, strlen(s), 1, &c, &err), TEAI_OK);
    ASSERT_TRUE(strstr(s, "\"role\":\"assistant\"") != NULL);
    free(s);
    ASSERT_TRUE(!c.is_content); /* the role chunk is not a token */
    teai__oai_chunk_free(&c);

    teai__srv_error e;
    teai__srv_fail(&e, 400, "invalid_request_error", "max_tokens", "context_length_exceeded",
                   "too long: %d", 5);
    s = teai__srv_error_json(&e);
    char msg[64];
    ASSERT_TRUE(teai__oai_error_message(s, strlen(s), msg, sizeof msg));
    ASSERT_STREQ(msg, "too long: 5");
    o = cJSON_Parse(s);
    free(s);
    cJSON *eo = cJSON_GetObjectItem(o, "error");
    ASSERT_STREQ(cJSON_GetObjectItem(eo, "param")->valuestring, "max_tokens");
    ASSERT_STREQ(cJSON_GetObjectItem(eo, "code")->valuestring, "context_length_exceeded");
    cJSON_Delete(o);
    teai__srv_fail(&e, 404, "not_found_error", NULL, NULL, "x");
    s = teai__srv_error_json(&e);
    ASSERT_TRUE(strstr(s, "\"param\":null") && strstr(s, "\"code\":null"));
    free(s);
}

/* A request's prompt on a synthesized model: ids checked, prompt +
 * max_tokens against a slot's context, max_tokens when absent. Generation
 * and the queue: tests/test_server_sched.c. */
static void test_prompt(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "srv-tiny.gguf");
    teai_synth_params sp = teai_synth_default_params();
    ASSERT_EQ(teai_synth_shape("tiny", &sp.hp), TEAI_OK);
    sp.hp.n_layers = 1;
    teai_error err = {0};
    ASSERT_EQ(teai_model_synth(&sp, path, &err), TEAI_OK);
    teai_model *m = NULL;
    teai_model_params mp = teai_model_default_params();
    ASSERT_EQ(teai_model_load(path, &mp, &m, &err), TEAI_OK);
    int n_vocab = teai_model_hparams(m)->n_vocab;

    teai__srv_request r;
    teai__srv_error se;
    int32_t *ids = NULL;
    int n = 0, mt = 0;
    const char *b = "{\"prompt\": [1, 2, 3], \"max_tokens\": 61}";
    ASSERT_EQ(teai__srv_request_parse(b, strlen(b), 0, 1000, &r, &se), 0);
    ASSERT_EQ(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se), 0); /* 3 + 61 = 64 fits */
    ASSERT_EQ(n, 3);
    ASSERT_EQ(mt, 61);
    free(ids);
    r.max_tokens = 62;
    ASSERT_TRUE(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se) != 0);
    ASSERT_STREQ(se.code, "context_length_exceeded");
    ASSERT_TRUE(ids == NULL);
    r.max_tokens = -1; /* absent: what the context and the cap leave */
    ASSERT_EQ(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se), 0);
    ASSERT_EQ(mt, 61);
    free(ids);
    ASSERT_EQ(teai__srv_prompt(m, 64, &r, 10, &ids, &n, &mt, &se), 0);
    ASSERT_EQ(mt, 10);
    free(ids);
    r.prompt_ids[1] = n_vocab; /* past the vocabulary */
    ASSERT_TRUE(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se) != 0);
    ASSERT_STREQ(se.param, "prompt");
    teai__srv_request_free(&r);

    /* a text prompt: BOS first, as teai generate */
    b = "{\"prompt\": \"Hello\", \"max_tokens\": 8}";
    ASSERT_EQ(teai__srv_request_parse(b, strlen(b), 0, 1000, &r, &se), 0);
    ASSERT_EQ(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se), 0);
    int32_t bos = teai_tokenizer_bos(teai_model_tokenizer(m));
    ASSERT_TRUE(n >= 1);
    if (bos >= 0) ASSERT_EQ(ids[0], bos);
    ASSERT_EQ(mt, 8);
    free(ids);
    teai__srv_request_free(&r);
    /* chat: the model's template, or a 400 when teai knows none */
    b = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    ASSERT_EQ(teai__srv_request_parse(b, strlen(b), 1, 1000, &r, &se), 0);
    if (teai_chat_detect(teai_model_chat_template(m)) == TEAI_CHAT_NONE) {
        ASSERT_TRUE(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se) != 0);
        ASSERT_EQ(se.http, 400);
        ASSERT_STREQ(se.param, "messages");
    } else {
        ASSERT_EQ(teai__srv_prompt(m, 64, &r, 1000, &ids, &n, &mt, &se), 0);
        ASSERT_TRUE(n > 3); /* the template's tokens around "hi" */
        free(ids);
    }
    teai__srv_request_free(&r);

    teai_model_free(m);
    remove(path);
}

#endif

int main(void) {
    RUN_TEST(test_routes);
    RUN_TEST(test_auth);
    RUN_TEST(test_utf8);
    RUN_TEST(test_stop_strings);
#if TEAI_HAVE_CJSON
    RUN_TEST(test_parse_errors);
    RUN_TEST(test_parse_ok);
    RUN_TEST(test_json);
    RUN_TEST(test_prompt);
#else
    printf("cJSON is not built in: request and JSON tests skipped\n");
#endif
    TEST_MAIN_END();
}
