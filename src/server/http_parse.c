/* HTTP/1.1 requests, incrementally (http.h): the head is gathered whole (at
 * most max_head bytes) and then parsed in place; the body is framed by
 * Content-Length or by chunks, decoded into p->body (at most max_body).
 *
 * Strict where leniency lets one request be read two ways (request
 * smuggling): both Content-Length and Transfer-Encoding, two different
 * Content-Lengths, a folded header line, a blank before the colon, a bare
 * CR, any transfer coding but "chunked" are refused. Blank lines before a
 * request are skipped, as RFC 9112 allows. */
#include "server/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { P_HEAD, P_BODY, P_CHUNK_SIZE, P_CHUNK_DATA, P_CHUNK_END, P_TRAILER, P_DONE, P_ERROR };

void teai__http_init(teai__http_parser *p, size_t max_head, size_t max_body) {
    memset(p, 0, sizeof *p);
    p->max_head = max_head;
    p->max_body = max_body;
    p->content_length = -1;
    teai_buf_init(&p->head_, max_head + 1);
    teai_buf_init(&p->body, max_body);
}

void teai__http_reset(teai__http_parser *p) {
    size_t mh = p->max_head, mb = p->max_body;
    teai__http_free(p);
    teai__http_init(p, mh, mb);
}

void teai__http_free(teai__http_parser *p) {
    teai_buf_free(&p->head_);
    teai_buf_free(&p->body);
}

int teai__http_started(const teai__http_parser *p) {
    return p->phase_ != P_HEAD || p->head_.len > 0;
}

static teai__http_state fail(teai__http_parser *p, int status, const char *code, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));
static teai__http_state fail(teai__http_parser *p, int status, const char *code, const char *fmt,
                             ...) {
    p->phase_ = P_ERROR;
    p->status = status;
    snprintf(p->code, sizeof p->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    return TEAI__HTTP_ERROR;
}

/* RFC 9110 tchar: the characters of a method or a header name. */
static int is_tchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Splits the comma-separated list value and says whether token is in it. */
static int has_token(const char *value, const char *token) {
    size_t tl = strlen(token);
    for (const char *v = value; *v;) {
        while (*v == ' ' || *v == '\t' || *v == ',') v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m > 0 && (v[m - 1] == ' ' || v[m - 1] == '\t')) m--;
        if (m == tl && strncasecmp(v, token, tl) == 0) return 1;
        v += n;
    }
    return 0;
}

const char *teai__http_header(const teai__http_parser *p, const char *name) {
    for (int i = 0; i < p->n_headers; i++)
        if (strcasecmp(p->headers[i].name, name) == 0) return p->headers[i].value;
    return NULL;
}

/* The request line "METHOD SP TARGET SP HTTP/1.x", NUL-terminated in place. */
static teai__http_state parse_request_line(teai__http_parser *p, char *line) {
    char *sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line)
        return fail(p, 400, "bad_request", "the request line is not 'METHOD TARGET HTTP/1.1'");
    *sp1 = '\0';
    for (const char *c = line; *c; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(p, 400, "bad_request", "the method has a character a method cannot have");
    if (sp1 - line > 16) return fail(p, 400, "bad_request", "the method is too long");
    char *target = sp1 + 1, *sp2 = strchr(target, ' ');
    if (!sp2)
        return fail(p, 400, "bad_request", "the request line has no HTTP version (HTTP/0.9?)");
    *sp2 = '\0';
    if (!target[0]) return fail(p, 400, "bad_request", "the request target is empty");
    for (const unsigned char *c = (const unsigned char *)target; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f)
            return fail(p, 400, "bad_request",
                        "the request target has a control character, a blank or a byte past "
                        "ASCII (percent-encode it)");
    const char *v = sp2 + 1;
    if (strncmp(v, "HTTP/", 5) != 0)
        return fail(p, 400, "bad_request", "the request line does not end in an HTTP version");
    if (!(v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9' && !v[8]) ||
        v[5] != '1')
        return fail(p, 505, "http_version_not_supported",
                    "this server speaks HTTP/1.0 and HTTP/1.1 only");
    p->method = line;
    p->target = target;
    p->minor = v[7] - '0';
    return TEAI__HTTP_MORE;
}

/* Content-Length: digits only; two of them must agree. */
static teai__http_state content_length(teai__http_parser *p, const char *v) {
    size_t n = strlen(v);
    if (n == 0 || strspn(v, "0123456789") != n)
        return fail(p, 400, "bad_content_length",
                    "Content-Length must be a decimal number of bytes (not negative, no sign)");
    while (n > 1 && *v == '0') v++, n--; /* leading zeros change nothing */
    unsigned long long x = 0;
    if (n > 18)
        x = ~0ull; /* over any limit; no overflow */
    else
        for (size_t i = 0; i < n; i++) x = x * 10 + (unsigned)(v[i] - '0');
    if (p->content_length >= 0 && (unsigned long long)p->content_length != x)
        return fail(p, 400, "bad_content_length", "two different Content-Length headers");
    if (x > p->max_body)
        return fail(p, 413, "request_too_large",
                    "the request body is larger than this server's limit of %zu bytes",
                    p->max_body);
    p->content_length = (long long)x;
    return TEAI__HTTP_MORE;
}

/* The head, whole in head_ (lines end in LF, CR before it allowed). */
static teai__http_state parse_head(teai__http_parser *p) {
    char *s = p->head_.data, *end = s + p->head_.len;
    int first = 1, te = 0;
    const char *conn = NULL;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) break;
        char *line = s;
        size_t len = (size_t)(nl - line);
        if (len && line[len - 1] == '\r') len--;
        line[len] = '\0';
        s = nl + 1;
        if (memchr(line, '\0', len) || memchr(line, '\r', len))
            return fail(p, 400, "bad_request", "a NUL or a bare CR in the request head");
        if (!line[0]) break; /* the blank line that ends the head */
        if (first) {
            first = 0;
            if (parse_request_line(p, line) == TEAI__HTTP_ERROR) return TEAI__HTTP_ERROR;
            continue;
        }
        if (line[0] == ' ' || line[0] == '\t')
            return fail(p, 400, "bad_request", "a folded header line (obsolete; not accepted)");
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
            return fail(p, 400, "bad_request", "a header line without a name and a colon");
        *colon = '\0';
        for (const char *c = line; *c; c++)
            if (!is_tchar((unsigned char)*c))
                return fail(p, 400, "bad_request",
                            "a header name with a character a name cannot have (a blank before "
                            "the colon?)");
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vl = strlen(v);
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) v[--vl] = '\0';
        for (const unsigned char *c = (const unsigned char *)v; *c; c++)
            if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
                return fail(p, 400, "bad_request", "a control character in a header value");
        if (p->n_headers == TEAI__HTTP_MAX_HEADERS)
            return fail(p, 431, "headers_too_large", "more than %d header lines",
                        TEAI__HTTP_MAX_HEADERS);
        p->headers[p->n_headers++] = (teai__http_field){line, v};
        if (strcasecmp(line, "Content-Length") == 0) {
            if (content_length(p, v) == TEAI__HTTP_ERROR) return TEAI__HTTP_ERROR;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            if (te || strcasecmp(v, "chunked") != 0)
                return fail(p, 501, "not_implemented",
                            "Transfer-Encoding: only 'chunked' is supported");
            te = 1;
        } else if (strcasecmp(line, "Connection") == 0) {
            conn = v;
        } else if (strcasecmp(line, "Expect") == 0) {
            p->expect_continue = strcasecmp(v, "100-continue") == 0;
        }
    }
    if (first) return fail(p, 400, "bad_request", "no request line");
    if (te && p->content_length >= 0)
        return fail(p, 400, "bad_request", "both Content-Length and Transfer-Encoding");
    if (te && p->minor == 0)
        return fail(p, 400, "bad_request", "Transfer-Encoding in an HTTP/1.0 request");
    p->chunked = te;
    p->keep_alive =
        p->minor >= 1 ? !(conn && has_token(conn, "close")) : conn && has_token(conn, "keep-alive");
    p->left_ = p->content_length > 0 ? (unsigned long long)p->content_length : 0;
    p->phase_ = te ? P_CHUNK_SIZE : P_BODY;
    return TEAI__HTTP_HEAD;
}

static teai__http_state feed_head(teai__http_parser *p, const char *data, size_t n, size_t *i) {
    while (*i < n) {
        if (p->head_.len == 0 && (data[*i] == '\r' || data[*i] == '\n')) {
            if (++p->skipped_ > p->max_head)
                return fail(p, 400, "bad_request", "blank lines and no request");
            (*i)++;
            continue;
        }
        const char *nl = memchr(data + *i, '\n', n - *i);
        size_t take = nl ? (size_t)(nl - (data + *i)) + 1 : n - *i;
        if (p->head_.len + take > p->max_head)
            return fail(p, 431, "headers_too_large",
                        "the request line and headers are larger than this server's limit of "
                        "%zu bytes",
                        p->max_head);
        if (teai_buf_add(&p->head_, data + *i, take) != TEAI_OK)
            return fail(p, 431, "headers_too_large", "the request head does not fit in memory");
        *i += take;
        if (!nl) break;
        size_t ll = p->head_.len - p->line_start_; /* the line just ended, its LF included */
        if (ll == 1 || (ll == 2 && p->head_.data[p->line_start_] == '\r')) return parse_head(p);
        p->line_start_ = p->head_.len;
    }
    return TEAI__HTTP_MORE;
}

static teai__http_state too_large(teai__http_parser *p) {
    return fail(p, 413, "request_too_large",
                "the request body is larger than this server's limit of %zu bytes", p->max_body);
}

/* A line of the chunked framing (size line or trailer) into line_, at most
 * TEAI__HTTP_MAX_LINE bytes; 1 when it ended (without its CR LF). */
static int take_line(teai__http_parser *p, const char *data, size_t n, size_t *i, int *over) {
    while (*i < n) {
        char c = data[(*i)++];
        if (c == '\n') {
            if (p->line_len_ && p->line_[p->line_len_ - 1] == '\r') p->line_len_--;
            p->line_[p->line_len_] = '\0';
            return 1;
        }
        if (p->line_len_ + 1 >= sizeof p->line_) {
            *over = 1;
            return 0;
        }
        p->line_[p->line_len_++] = c;
    }
    return 0;
}

/* "1a;name=value": the size in hex, extensions ignored. */
static teai__http_state chunk_size(teai__http_parser *p) {
    const char *s = p->line_;
    size_t nd = 0;
    unsigned long long x = 0;
    for (; (s[nd] >= '0' && s[nd] <= '9') || (s[nd] >= 'a' && s[nd] <= 'f') ||
           (s[nd] >= 'A' && s[nd] <= 'F');
         nd++) {
        if (nd == 15) return too_large(p); /* > 2^60 bytes: no overflow below */
        int d = s[nd] <= '9' ? s[nd] - '0' : (s[nd] | 0x20) - 'a' + 10;
        x = x * 16 + (unsigned)d;
    }
    const char *rest = s + nd;
    while (*rest == ' ' || *rest == '\t') rest++;
    if (nd == 0 || (*rest && *rest != ';'))
        return fail(p, 400, "bad_chunk", "a chunk size is not a hexadecimal number");
    for (const unsigned char *c = (const unsigned char *)rest; *c; c++)
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
            return fail(p, 400, "bad_chunk", "a control character in a chunk extension");
    if (x > p->max_body - p->body.len) return too_large(p);
    p->left_ = x;
    p->phase_ = x ? P_CHUNK_DATA : P_TRAILER;
    return TEAI__HTTP_MORE;
}

static teai__http_state feed_body(teai__http_parser *p, const char *data, size_t n, size_t *i) {
    while (p->phase_ != P_DONE) {
        int over = 0;
        switch (p->phase_) {
            case P_BODY:
            case P_CHUNK_DATA: {
                if (p->left_ == 0) {
                    p->phase_ = p->phase_ == P_BODY ? P_DONE : P_CHUNK_END;
                    p->line_len_ = 0;
                    break;
                }
                if (*i == n) return TEAI__HTTP_MORE;
                size_t take = n - *i < p->left_ ? n - *i : (size_t)p->left_;
                if (p->body.len + take > p->max_body) return too_large(p);
                if (teai_buf_add(&p->body, data + *i, take) != TEAI_OK) return too_large(p);
                *i += take;
                p->left_ -= take;
                break;
            }
            case P_CHUNK_END: /* the CR LF after a chunk's data */
                if (!take_line(p, data, n, i, &over)) {
                    if (over) return fail(p, 400, "bad_chunk", "no CR LF after a chunk's data");
                    return TEAI__HTTP_MORE;
                }
                if (p->line_len_)
                    return fail(p, 400, "bad_chunk", "a chunk's data is longer than its size says");
                p->line_len_ = 0;
                p->phase_ = P_CHUNK_SIZE;
                break;
            case P_CHUNK_SIZE:
                if (!take_line(p, data, n, i, &over)) {
                    if (over) return fail(p, 400, "bad_chunk", "a chunk-size line is too long");
                    return TEAI__HTTP_MORE;
                }
                if (chunk_size(p) == TEAI__HTTP_ERROR) return TEAI__HTTP_ERROR;
                p->line_len_ = 0;
                break;
            case P_TRAILER: /* trailer fields, ignored, up to a blank line */
                if (!take_line(p, data, n, i, &over)) {
                    if (over)
                        return fail(p, 431, "headers_too_large", "a trailer line is too long");
                    return TEAI__HTTP_MORE;
                }
                if (p->line_len_ == 0) {
                    p->phase_ = P_DONE;
                    break;
                }
                p->trailer_len_ += p->line_len_;
                if (p->trailer_len_ > p->max_head)
                    return fail(p, 431, "headers_too_large", "the trailers are too large");
                p->line_len_ = 0;
                break;
            default:
                return fail(p, 400, "bad_request", "parser state lost");
        }
    }
    return TEAI__HTTP_DONE;
}

teai__http_state teai__http_feed(teai__http_parser *p, const char *data, size_t n, size_t *used) {
    size_t i = 0;
    teai__http_state st;
    *used = 0;
    switch (p->phase_) {
        case P_ERROR:
            return TEAI__HTTP_ERROR;
        case P_DONE:
            return TEAI__HTTP_DONE;
        case P_HEAD:
            st = feed_head(p, data, n, &i);
            break;
        default:
            st = feed_body(p, data, n, &i);
            break;
    }
    *used = i;
    return st;
}

const char *teai__http_reason(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Error";
    }
}
