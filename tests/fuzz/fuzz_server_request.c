/* Fuzz target: request bodies of `teai serve` (src/server/request.c) for
 * both endpoints, and what the server does with an accepted one without a
 * model: the chat template, the stop-string and UTF-8 text filter, and the
 * JSON chunk it would send, read back by teai's own openai client parser.
 *
 * Input: the first byte picks the endpoint (bit 0: chat) and the cut sizes
 * for the text filter; the rest is the body. Checked: a refused body gets a
 * 400/500 with a message; an accepted one keeps the promises of server.h;
 * the text filter gives the same text whatever the cuts, always valid
 * UTF-8, equal to the whole text cut at its first stop string; the chunk
 * round-trips. */
#include "backends/sse.h"
#include "results/results_impl.h"
#include "server/server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if TEAI_HAVE_CJSON

/* The text filter over s in pieces of 1 + (k % step) bytes. */
static void filter(const teai__srv_request *r, const char *s, size_t n, unsigned step,
                   teai_buf *out, int *stopped) {
    teai__srv_text t;
    teai__srv_text_init(&t, r->stop, r->n_stop);
    out->len = 0;
    size_t off = 0, k = 0;
    while (off < n && !t.stopped) {
        size_t len = 1 + (k++ * 7 + off) % (step ? step : 1);
        if (len > n - off) len = n - off;
        if (teai__srv_text_push(&t, s + off, len, out)) abort();
        off += len;
    }
    if (teai__srv_text_finish(&t, out)) abort();
    *stopped = t.stopped;
    teai__srv_text_free(&t);
    if (teai_buf_add(out, "", 0)) abort();
}

static void check_text(const teai__srv_request *r, const char *s, size_t n, unsigned step) {
    teai_buf a, b, ref;
    teai_buf_init(&a, 0);
    teai_buf_init(&b, 0);
    teai_buf_init(&ref, 0);
    int sa, sb;
    filter(r, s, n, step, &a, &sa);
    filter(r, s, n, 1, &b, &sb);
    if (sa != sb || a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    if (!teai__utf8_valid(a.data, a.len)) abort();
    size_t cut = n;
    for (int i = 0; i < r->n_stop; i++) {
        size_t m = strlen(r->stop[i]);
        for (size_t p = 0; p + m <= n && p < cut; p++)
            if (memcmp(s + p, r->stop[i], m) == 0) {
                cut = p;
                break;
            }
    }
    size_t used;
    if (teai__srv_utf8_clean(s, cut, 1, &ref, &used) || used != cut) abort();
    if (teai_buf_add(&ref, "", 0)) abort();
    if (sa != (cut < n) || ref.len != a.len || memcmp(ref.data, a.data, a.len) != 0) abort();

    /* the chunk the server would send holds exactly that text */
    teai__srv_meta m = {"cmpl-x", "m", 1, "fp"};
    char *json = teai__srv_chunk_json(r->chat, &m, a.data, a.len, 1, 0, TEAI__SRV_RUNNING, NULL, 0);
    if (!json) abort();
    teai__oai_chunk c;
    teai__oai_chunk_init(&c);
    teai_error err = {0};
    if (teai__oai_chunk_parse(json, strlen(json), r->chat, &c, &err) != TEAI_OK) abort();
    /* cJSON strings end at a NUL (U+0000 in the text): compare up to it */
    size_t upto = strlen(a.data);
    if (c.text.len != upto || memcmp(c.text.data, a.data, upto) != 0) abort();
    if (c.n_tokens != 1 || c.token != 1) abort();
    teai__oai_chunk_free(&c);
    free(json);
    teai_buf_free(&a);
    teai_buf_free(&b);
    teai_buf_free(&ref);
}

static void check_request(const teai__srv_request *r, int chat, int cap) {
    if (r->chat != chat) abort();
    if (!r->model) abort();
    if (r->max_tokens != -1 && (r->max_tokens < 1 || r->max_tokens > cap)) abort();
    if (r->n_stop < 0 || r->n_stop > TEAI__SRV_MAX_STOP) abort();
    for (int i = 0; i < r->n_stop; i++)
        if (!r->stop[i] || !r->stop[i][0]) abort();
    if (!(r->sp.temperature >= 0 && r->sp.temperature <= 100)) abort();
    if (!(r->sp.top_p >= 0 && r->sp.top_p <= 1) || r->sp.top_k < 0) abort();
    if (chat) {
        if (r->n_msgs < 1 || !r->msgs) abort();
        for (int i = 0; i < r->n_msgs; i++) {
            const char *role = r->msgs[i].role;
            if (!role || !r->msgs[i].content) abort();
            if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant"))
                abort();
        }
        /* both template formats render it; the length is what was written */
        for (int f = TEAI_CHAT_LLAMA3; f <= TEAI_CHAT_CHATML; f++) {
            int len = teai_chat_apply((teai_chat_format)f, r->msgs, r->n_msgs, 1, NULL, 0);
            if (len < 0) abort();
            char *buf = malloc((size_t)len + 1);
            if (!buf) abort();
            if (teai_chat_apply((teai_chat_format)f, r->msgs, r->n_msgs, 1, buf, (size_t)len + 1) !=
                    len ||
                strlen(buf) > (size_t)len)
                abort();
            free(buf);
        }
    } else if (r->prompt) {
        if (r->n_prompt_ids != -1) abort();
    } else {
        if (r->n_prompt_ids < 1 || !r->prompt_ids) abort();
        for (int i = 0; i < r->n_prompt_ids; i++)
            if (r->prompt_ids[i] < 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const int chat = data[0] & 1, cap = 1 + (data[0] >> 1) * 64;
    const unsigned step = 1 + (data[0] >> 4);
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    /* routes and keys on the same bytes, as a path and a header */
    char line[256];
    size_t n = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, body, n);
    line[n] = '\0';
    teai__srv_endpoint ep = teai__srv_route(line);
    if (ep < TEAI__SRV_NONE || ep > TEAI__SRV_CHAT) abort();
    if (teai__srv_auth_ok(line, "k") && strncasecmp(line, "bearer ", 7) != 0) abort();

    teai__srv_request r;
    teai__srv_error e;
    memset(&e, 0, sizeof e);
    int rc = teai__srv_request_parse(body, len, chat, cap, &r, &e);
    if (rc) {
        if (e.http != 400 && e.http != 500) abort();
        if (!e.message[0] || !memchr(e.message, 0, sizeof e.message)) abort();
        char *json = teai__srv_error_json(&e);
        if (!json) abort();
        char msg[512];
        if (!teai__oai_error_message(json, strlen(json), msg, sizeof msg)) abort();
        free(json);
        if (r.json_ || r.msgs || r.prompt_ids) abort(); /* nothing left behind */
        return 0;
    }
    check_request(&r, chat, cap);
    /* the text filter on the prompt (or the first message) with the request's stops */
    const char *text = chat ? r.msgs[0].content : r.prompt ? r.prompt : body;
    check_text(&r, text, chat || r.prompt ? strlen(text) : len, step);
    teai__srv_request_free(&r);
    return 0;
}

#else

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int said;
    (void)data, (void)size;
    if (!said++) fprintf(stderr, "fuzz_server_request: built without cJSON; nothing is fuzzed\n");
    return 0;
}

#endif
