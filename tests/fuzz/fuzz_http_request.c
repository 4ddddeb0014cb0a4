/* Fuzz target: the HTTP/1.1 request parser of `teai serve`
 * (src/server/http_parse.c), driven as the server drives it: bytes arrive in
 * pieces, each request (pipelined ones too) is parsed to its end, the
 * parser is reset for the next, and parsing stops at the first error.
 *
 * Input: byte 0 picks the piece sizes, byte 1 the limits (small ones, so
 * that 413 and 431 are reached); the rest is what a client sent. Checked:
 * the transcript (heads, bodies, the error) is the same whole and in pieces;
 * the parser takes every byte it is given unless it stops at a head, a
 * request's end or an error; bodies stay within the limit and match their
 * Content-Length; an error has a status the server sends (400, 413, 431,
 * 501, 505), a code and a message; targets are visible ASCII; and the log
 * escaping leaves no control character in what it gives. */
#include "server/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No control character (C0, DEL) and no raw C1 left by the log escaping. */
static void check_escaped(const char *s) {
    char out[300];
    teai__escape_ctl_str(out, sizeof out, s);
    if (strlen(out) >= sizeof out) abort();
    for (const unsigned char *c = (const unsigned char *)out; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) abort();
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0) abort();
    }
    if (!teai__utf8_valid(out, strlen(out))) abort();
}

/* Parses data in pieces of 1 + (k * 7) % step bytes (step 0: whole) into a
 * transcript of what the server would see. */
static void run(const char *data, size_t n, unsigned step, size_t max_head, size_t max_body,
                teai_buf *tr) {
    teai__http_parser p;
    teai__http_init(&p, max_head, max_body);
    teai_buf in; /* what came and was not yet taken */
    teai_buf_init(&in, 0);
    size_t off = 0, k = 0, at = 0;
    int stop = 0;
    while (!stop && (off < n || at < in.len)) {
        if (off < n) {
            size_t len = step ? 1 + (k++ * 7) % step : n - off;
            if (len > n - off) len = n - off;
            if (teai_buf_add(&in, data + off, len)) abort();
            off += len;
        }
        for (;;) { /* as the server: parse what there is until more is needed */
            size_t used = 0, avail = in.len - at;
            teai__http_state st = teai__http_feed(&p, in.data ? in.data + at : "", avail, &used);
            if (used > avail) abort();
            at += used;
            if (st == TEAI__HTTP_MORE) {
                if (used != avail) abort();
                break;
            }
            if (st == TEAI__HTTP_HEAD) {
                for (const unsigned char *c = (const unsigned char *)p.target; *c; c++)
                    if (*c <= 0x20 || *c >= 0x7f) abort();
                if (p.minor < 0 || p.minor > 9 || p.n_headers > TEAI__HTTP_MAX_HEADERS) abort();
                if (p.chunked && p.content_length >= 0) abort();
                if (p.content_length > (long long)max_body) abort();
                check_escaped(p.target);
                const char *auth = teai__http_header(&p, "authorization");
                if (auth) check_escaped(auth);
                teai_buf_printf(tr, "H %s %s 1.%d cl=%lld ch=%d ka=%d ex=%d\n", p.method, p.target,
                                p.minor, p.content_length, p.chunked, p.keep_alive,
                                p.expect_continue);
                continue;
            }
            if (st == TEAI__HTTP_DONE) {
                if (p.body.len > max_body) abort();
                if (!p.chunked &&
                    p.body.len != (size_t)(p.content_length > 0 ? p.content_length : 0))
                    abort();
                teai_buf_printf(
                    tr, "D %zu %016llx\n", p.body.len,
                    (unsigned long long)teai__fnv1a(p.body.data ? p.body.data : "", p.body.len));
                teai__http_reset(&p);
                continue;
            }
            /* ERROR */
            if (p.status != 400 && p.status != 413 && p.status != 431 && p.status != 501 &&
                p.status != 505)
                abort();
            if (!p.code[0] || !p.msg[0]) abort();
            size_t again = 1;
            if (teai__http_feed(&p, "x", 1, &again) != TEAI__HTTP_ERROR || again != 0) abort();
            check_escaped(p.msg);
            teai_buf_printf(tr, "E %d %s\n", p.status, p.code);
            stop = 1;
            break;
        }
    }
    teai__http_free(&p);
    teai_buf_free(&in);
    if (teai_buf_add(tr, "", 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 1 << 16) return 0;
    unsigned step = 1 + data[0] % 23;
    size_t max_head = 64 + (size_t)(data[1] & 0x0f) * 96; /* 64 .. 1504 */
    size_t max_body = (size_t)(data[1] >> 4) * 40;        /* 0 .. 600 */
    const char *req = (const char *)data + 2;
    size_t n = size - 2;
    teai_buf whole, pieces, ones;
    teai_buf_init(&whole, 0);
    teai_buf_init(&pieces, 0);
    teai_buf_init(&ones, 0);
    char raw[256]; /* the escaping on raw bytes too (NULs end it early) */
    size_t rn = n < sizeof raw - 1 ? n : sizeof raw - 1;
    memcpy(raw, req, rn);
    raw[rn] = '\0';
    check_escaped(raw);
    run(req, n, 0, max_head, max_body, &whole);
    run(req, n, step, max_head, max_body, &pieces);
    run(req, n, 1, max_head, max_body, &ones);
    if (whole.len != pieces.len || memcmp(whole.data, pieces.data, whole.len) != 0) abort();
    if (whole.len != ones.len || memcmp(whole.data, ones.data, whole.len) != 0) abort();
    teai_buf_free(&whole);
    teai_buf_free(&pieces);
    teai_buf_free(&ones);
    return 0;
}
