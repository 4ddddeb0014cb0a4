/* Server-sent events (the WHATWG "text/event-stream" format) and the OpenAI
 * streaming chunks they carry, parsed without any network so that tests and
 * the fuzz target can drive them with bytes.
 *
 * The framing parser is incremental: feed it whatever a read returned (an
 * event may be split across reads, lines may end in LF, CRLF or CR, ":"
 * lines are comments) and it calls back once per complete event, that is
 * once per blank line that ends at least one "data:" line. The chunk parser
 * turns one event's data (a JSON object from /v1/completions or
 * /v1/chat/completions) into the facts a benchmark needs: the text, how many
 * tokens the chunk says it carries (-1 when it does not say), usage and
 * llama-server's "timings". It never guesses a count. */
#ifndef TEAI_SSE_H
#define TEAI_SSE_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* ---- event-stream framing -------------------------------------------- */

/* One complete event: data is its "data:" lines joined by "\n" (NUL-terminated,
 * len bytes, may hold NULs from a broken server), event its "event:" field
 * ("" when none). Returns non-zero to stop the parse (teai__sse_feed then
 * returns that value). */
typedef int (*teai__sse_fn)(void *ud, const char *event, const char *data, size_t len);

typedef struct teai__sse {
    teai_buf line;    /* the current, unfinished line */
    teai_buf data;    /* data lines of the current event, each followed by "\n" */
    char event[64];   /* event field of the current event ("" = message) */
    int has_data;     /* a data line was seen since the last dispatch */
    int after_cr;     /* the last byte was CR: an LF next is part of the same line end */
    int started;      /* some byte was seen (a leading UTF-8 BOM is skipped) */
    size_t bom;       /* bytes of the leading BOM matched so far */
    size_t max_event; /* bytes one line or event may hold */
} teai__sse;

/* max_event: the longest line or event accepted (0 = 16 MiB); past it,
 * teai__sse_feed returns TEAI_ERANGE. */
void teai__sse_init(teai__sse *s, size_t max_event);
/* Parses n bytes; calls fn for each event completed by them. Returns 0, fn's
 * non-zero value, TEAI_ERANGE (an event past max_event) or TEAI_ENOMEM. */
int teai__sse_feed(teai__sse *s, const char *buf, size_t n, teai__sse_fn fn, void *ud);
/* At end of stream: 1 if an event was begun and never finished by a blank
 * line (the standard discards it; the caller may call that a cut stream). */
int teai__sse_pending(const teai__sse *s);
void teai__sse_free(teai__sse *s);

/* ---- OpenAI streaming chunks ------------------------------------------ */

/* What one chunk says. Counts are -1 and times NAN where it says nothing. */
typedef struct teai__oai_chunk {
    int is_error; /* {"error": ...}: error_msg says what the server said */
    char error_msg[256];
    int is_content; /* carries generated text or tokens (not a role-only,
                     * finish-only or usage-only chunk) */
    teai_buf text;  /* the generated text ("" when none; NUL-terminated) */
    int n_tokens;   /* tokens the chunk says it carries: length of its
                     * logprobs entries or "tokens"/"token_ids" array; -1 */
    int32_t token;  /* the id when the chunk names exactly one; -1 */
    int finished;   /* finish_reason was set */
    /* "usage" (cumulative when a server sends it on every chunk) */
    long long prompt_tokens, completion_tokens;
    /* llama-server's "timings" (its final chunk) */
    int has_timings;
    double prompt_n, prompt_ms, predicted_n, predicted_ms, cache_n;
} teai__oai_chunk;

void teai__oai_chunk_init(teai__oai_chunk *c);
/* Parses one event's data. chat: 1 for /v1/chat/completions chunks
 * (choices[0].delta.content), 0 for /v1/completions (choices[0].text).
 * TEAI_EFORMAT when the data is not a JSON object or a field has the wrong
 * type (err says which, without naming the stream: the caller adds that);
 * TEAI_EUNSUPPORTED when teai was built without cJSON. Resets c first; the
 * caller frees it with teai__oai_chunk_free. */
int teai__oai_chunk_parse(const char *data, size_t len, int chat, teai__oai_chunk *c,
                          teai_error *err);
void teai__oai_chunk_free(teai__oai_chunk *c);

/* The "message" of an OpenAI-style error body ({"error": {"message": ...}},
 * {"error": "..."} or {"message": ...}) into out; 0 when body says none. */
int teai__oai_error_message(const char *body, size_t len, char *out, size_t cap);

#endif
