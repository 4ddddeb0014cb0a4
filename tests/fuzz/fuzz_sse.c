/* Fuzz target: the server-sent events parser and the OpenAI chunk parser
 * (src/backends/sse.c) over arbitrary bytes. The input is parsed whole and
 * again cut into reads at sizes taken from its first byte; both must give
 * the same events (framing does not depend on how bytes arrive). Every event
 * goes through the chunk parser as a completion and as a chat chunk, whose
 * output must keep the promises of sse.h.
 *
 * The parsers live in teai_backends: this target needs it linked (its
 * compile definition TEAI_HAVE_CURL, 0 or 1, says it is). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(TEAI_HAVE_CURL)
#include "backends/sse.h"

#include <math.h>
#include <string.h>

typedef struct digest {
    uint64_t h; /* FNV-1a over every event's type and data */
    size_t n;
} digest;

static void mix(digest *d, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) d->h = (d->h ^ b[i]) * 0x100000001b3ull;
}

static void check_chunk(const char *ev, size_t len, int chat) {
    teai__oai_chunk c;
    teai__oai_chunk_init(&c);
    teai_error err = {0};
    int rc = teai__oai_chunk_parse(ev, len, chat, &c, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || err.status != rc || !err.msg[0]) abort();
        if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
    } else {
        if (!c.text.data || c.text.data[c.text.len] != '\0') abort();
        if (c.n_tokens == 0 || c.n_tokens < -1) abort();
        if (c.token < -1) abort();
        if (c.n_tokens >= 1 && !c.is_content) abort();
        if (c.prompt_tokens < -1 || c.completion_tokens < -1) abort();
        if (!c.has_timings && !isnan(c.prompt_ms)) abort();
        if (c.has_timings && !isnan(c.prompt_ms) && !(c.prompt_ms >= 0)) abort();
        if (c.is_error && !memchr(c.error_msg, 0, sizeof c.error_msg)) abort();
        if (memchr(c.error_msg, '\n', strlen(c.error_msg))) abort();
    }
    teai__oai_chunk_free(&c);
}

static int on_event(void *ud, const char *event, const char *ev, size_t len) {
    digest *d = ud;
    if (ev[len] != '\0' || strlen(event) >= 64) abort();
    d->n++;
    mix(d, event, strlen(event) + 1);
    mix(d, ev, len);
    mix(d, "\xff", 1);
    if (d->n <= 64) { /* bound the work per input */
        check_chunk(ev, len, 0);
        check_chunk(ev, len, 1);
    }
    return 0;
}

/* Parses data in reads of the given size (0 = one read); returns the status. */
static int run(const uint8_t *data, size_t size, size_t piece, digest *d, int *pending) {
    teai__sse s;
    teai__sse_init(&s, 4096);
    d->h = 0xcbf29ce484222325ull;
    d->n = 0;
    int rc = 0;
    if (!piece) piece = size ? size : 1;
    for (size_t off = 0; off < size && rc == 0; off += piece)
        rc = teai__sse_feed(&s, (const char *)data + off, size - off < piece ? size - off : piece,
                            on_event, d);
    *pending = teai__sse_pending(&s);
    teai__sse_free(&s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    digest whole, cut;
    int p1, p2;
    int rc1 = run(data, size, 0, &whole, &p1);
    size_t piece = size ? (size_t)data[0] % 7 + 1 : 1;
    int rc2 = run(data, size, piece, &cut, &p2);
    if (rc1 != 0 && rc1 != TEAI_ERANGE) abort();
    if (rc1 != rc2) abort();
    /* an oversized event stops both parses at the same event */
    if (whole.n != cut.n || whole.h != cut.h) abort();
    if (rc1 == 0 && p1 != p2) abort();
    return 0;
}

#else

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int said;
    (void)data, (void)size;
    if (!said++) fprintf(stderr, "fuzz_sse: teai_backends is not linked; nothing is fuzzed\n");
    return 0;
}

#endif
