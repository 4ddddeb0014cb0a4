/* The HTTP/1.1 request parser of teai's server transport (http_parse.c),
 * private to src/server (http.c and its tests and fuzz target).
 *
 * Incremental: bytes are fed as they arrive, in pieces of any size; the
 * parser takes what belongs to the current request and leaves the rest (a
 * pipelined next request). It stops once at the end of the head (request
 * line and headers) so that the server can refuse a request (key, route,
 * size) before its body is sent, then reads a body framed by Content-Length
 * or chunked. Everything malformed or over a limit ends in ERROR with the
 * status to send (400, 413, 431, 501, 505), an error code and a one-line
 * message; the connection is then closed, since where the next request
 * would begin is unknown. The same bytes give the same result however they
 * are split (fuzzed: tests/fuzz/fuzz_http_request.c). */
#ifndef TEAI_SERVER_HTTP_H
#define TEAI_SERVER_HTTP_H

#include "base/base.h"

#include <stddef.h>

#define TEAI__HTTP_MAX_HEADERS 64  /* header fields per request (431 past it) */
#define TEAI__HTTP_MAX_LINE    256 /* a chunk-size line (with extensions), bytes */

typedef enum teai__http_state {
    TEAI__HTTP_MORE = 0, /* everything given was taken; more bytes are needed */
    TEAI__HTTP_HEAD,     /* the head is complete (returned once): look at it, then feed on */
    TEAI__HTTP_DONE,     /* the whole request; the bytes not taken belong to the next one */
    TEAI__HTTP_ERROR     /* malformed or over a limit: status, code and msg say which */
} teai__http_state;

typedef struct teai__http_field {
    const char *name,
        *value; /* NUL-terminated, inside the parser; value without surrounding blanks */
} teai__http_field;

typedef struct teai__http_parser {
    size_t max_head; /* request line + headers (+ chunked trailers), bytes; 431 past it */
    size_t max_body; /* body bytes after chunked decoding; 413 past it */

    /* the request, from HEAD on */
    const char *method; /* "GET", "POST", ... as sent */
    const char *target; /* "/v1/completions?x=1": visible ASCII only */
    int minor;          /* HTTP/1.<minor> */
    teai__http_field headers[TEAI__HTTP_MAX_HEADERS];
    int n_headers;
    long long content_length; /* -1 when there is none */
    int chunked;              /* Transfer-Encoding: chunked */
    int keep_alive;           /* the connection may carry another request after this one */
    int expect_continue;      /* Expect: 100-continue */
    teai_buf body;            /* the body as it arrives (decoded), complete at DONE */

    /* on ERROR */
    int status;    /* 400 malformed, 413 body too large, 431 head too large, 501 transfer
                      coding not supported, 505 not HTTP/1.x */
    char code[32]; /* "bad_request", "request_too_large", "headers_too_large", ... */
    char msg[160]; /* one line, what was wrong */

    /* the parser's own */
    int phase_;
    teai_buf head_;
    size_t line_start_, skipped_;
    unsigned long long left_; /* body or chunk bytes still to come */
    char line_[TEAI__HTTP_MAX_LINE];
    size_t line_len_, trailer_len_;
} teai__http_parser;

void teai__http_init(teai__http_parser *p, size_t max_head, size_t max_body);
/* Forgets the request (after DONE) for the next one on the connection. */
void teai__http_reset(teai__http_parser *p);
void teai__http_free(teai__http_parser *p);

/* Feeds data[0..n); *used gets the bytes taken (all of them when MORE; at
 * HEAD and DONE the rest is for after). After ERROR nothing more is taken. */
teai__http_state teai__http_feed(teai__http_parser *p, const char *data, size_t n, size_t *used);
/* 1 once a byte of the request (other than blank lines before it) came. */
int teai__http_started(const teai__http_parser *p);

/* The value of the first header named name (case-insensitive), or NULL. */
const char *teai__http_header(const teai__http_parser *p, const char *name);
/* The reason phrase of a status ("Not Found"); "Error" for one not listed. */
const char *teai__http_reason(int status);

#endif
