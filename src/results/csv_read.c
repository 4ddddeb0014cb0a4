/* A streaming RFC 4180 reader (results.h): the raw bytes are read in chunks
 * into `buf`; each record is parsed from `buf` into `obuf` (fields unquoted
 * and NUL-terminated), so a record cut by the end of a chunk is simply parsed
 * again once more input is in. Memory: about three times the longest record,
 * at least one chunk. */
#include "results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK      (1u << 20)
#define MAX_RECORD (256u << 20)

struct teai_csv_reader {
    int fd;    /* -1 for memory input (then all of it is in buf) */
    int eof;   /* no more input beyond buf[end] */
    char *buf; /* raw bytes buf[beg..end) not yet parsed; cap bytes */
    size_t cap, beg, end;
    char *obuf; /* the current record's fields, unquoted; ocap bytes */
    size_t ocap;
    teai_csv_field *f; /* fcap entries */
    size_t *foff;      /* field offsets into obuf while parsing */
    int fcap;
    long line;     /* line on which the next record starts */
    long rec_line; /* line of the last record returned */
    char name[256];
};

static teai_csv_reader *reader_new(const char *name) {
    teai_csv_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->fd = -1;
    r->line = 1;
    snprintf(r->name, sizeof r->name, "%s", name ? name : "csv");
    return r;
}

int teai_csv_open(const char *path, teai_csv_reader **out, teai_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return teai__fail(err, e == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(e));
    }
    const char *base = strrchr(path, '/');
    teai_csv_reader *r = reader_new(base ? base + 1 : path);
    if (!r || !(r->buf = malloc(CHUNK))) {
        close(fd);
        free(r);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    r->fd = fd;
    r->cap = CHUNK;
    *out = r;
    return TEAI_OK;
}

int teai_csv_open_mem(const void *data, size_t len, const char *name, teai_csv_reader **out,
                      teai_error *err) {
    *out = NULL;
    teai_csv_reader *r = reader_new(name);
    if (!r || !(r->buf = malloc(len ? len : 1))) {
        free(r);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name ? name : "csv");
    }
    if (len) memcpy(r->buf, data, len);
    r->cap = len ? len : 1;
    r->end = len;
    r->eof = 1;
    *out = r;
    return TEAI_OK;
}

void teai_csv_close(teai_csv_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->buf);
    free(r->obuf);
    free(r->f);
    free(r->foff);
    free(r);
}

long teai_csv_line(const teai_csv_reader *r) {
    return r->rec_line;
}

/* Moves the unparsed bytes to the front, grows buf when a record fills it,
 * and reads more. Sets eof at the end of the file. */
static int refill(teai_csv_reader *r, teai_error *err) {
    if (r->fd < 0) {
        r->eof = 1;
        return TEAI_OK;
    }
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->end == r->cap) {
        if (r->cap >= MAX_RECORD)
            return teai__fail(err, TEAI_ERANGE, "%s:%ld: record longer than %u MiB", r->name,
                              r->line, MAX_RECORD >> 20);
        char *nb = realloc(r->buf, r->cap * 2);
        if (!nb) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", r->name);
        r->buf = nb;
        r->cap *= 2;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return teai__fail(err, TEAI_EIO, "%s: %s", r->name, strerror(errno));
        if (n == 0) r->eof = 1;
        r->end += (size_t)n;
        return TEAI_OK;
    }
}

static int push_field(teai_csv_reader *r, int nf, size_t off) {
    if (nf == r->fcap) {
        int nc = r->fcap ? r->fcap * 2 : 64;
        size_t *no = realloc(r->foff, (size_t)nc * sizeof *no);
        if (!no) return TEAI_ENOMEM;
        r->foff = no;
        teai_csv_field *nf2 = realloc(r->f, (size_t)nc * sizeof *nf2);
        if (!nf2) return TEAI_ENOMEM;
        r->f = nf2;
        r->fcap = nc;
    }
    r->foff[nf] = off;
    return TEAI_OK;
}

static long count_nl(const char *p, size_t n) {
    long c = 0;
    const char *e = p + n;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) c++, p++;
    return c;
}

enum { PARSE_DONE = 1, PARSE_MORE = 2 };

/* Parses one record at buf[beg..end) into obuf. PARSE_MORE when the record
 * may continue past end (and input is not at its end). */
static int parse(teai_csv_reader *r, int *nfields, teai_error *err) {
    const char *b = r->buf;
    size_t p = r->beg, end = r->end, o = 0;
    char *ob = r->obuf;
    long nl = 0;
    int nf = 0;
    size_t lim = 0; /* next '\n' at or after p (end when none); valid when lim > p */
    if (r->line == 1 && p == 0 && end >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) p = 3; /* BOM */
    for (;;) {
        if (push_field(r, nf, o)) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", r->name);
        nf++;
        if (p < end && b[p] == '"') {
            p++;
            for (;;) {
                const char *q = memchr(b + p, '"', end - p);
                if (!q) {
                    if (!r->eof) return PARSE_MORE;
                    return teai__fail(err, TEAI_EFORMAT, "%s:%ld: unterminated quoted field",
                                      r->name, r->line);
                }
                size_t n = (size_t)(q - (b + p));
                memcpy(ob + o, b + p, n);
                nl += count_nl(b + p, n);
                o += n;
                p += n + 1;
                if (p == end && !r->eof) return PARSE_MORE; /* "" cut in two? */
                if (p < end && b[p] == '"') {
                    ob[o++] = '"';
                    p++;
                    continue;
                }
                break;
            }
            ob[o++] = '\0';
            if (p == end) {
                if (!r->eof) return PARSE_MORE;
                break;
            }
            if (b[p] == ',') {
                p++;
                continue;
            }
            if (b[p] == '\n') {
                p++, nl++;
                break;
            }
            if (b[p] == '\r') {
                if (p + 1 == end && !r->eof) return PARSE_MORE;
                if (p + 1 == end) {
                    p++;
                    break;
                }
                if (b[p + 1] == '\n') {
                    p += 2, nl++;
                    break;
                }
            }
            return teai__fail(err, TEAI_EFORMAT, "%s:%ld: bytes after a closing quote", r->name,
                              r->line + nl);
        }
        if (lim <= p) {
            const char *q = memchr(b + p, '\n', end - p);
            lim = q ? (size_t)(q - b) : end;
        }
        const char *c = memchr(b + p, ',', lim - p);
        size_t fe = c ? (size_t)(c - b) : lim;
        if (!c && lim == end && !r->eof) return PARSE_MORE;
        size_t n = fe - p;
        if (!c && n > 0 && b[fe - 1] == '\r') n--; /* CRLF (or a lone CR at EOF) */
        memcpy(ob + o, b + p, n);
        o += n;
        ob[o++] = '\0';
        if (c) {
            p = fe + 1;
            continue;
        }
        if (lim < end) nl++;
        p = lim < end ? lim + 1 : end;
        break;
    }
    for (int i = 0; i < nf; i++) {
        size_t s = r->foff[i], e = i + 1 < nf ? r->foff[i + 1] : o;
        r->f[i].p = ob + s;
        r->f[i].len = e - s - 1;
    }
    r->beg = p;
    r->rec_line = r->line;
    r->line += nl;
    *nfields = nf;
    return PARSE_DONE;
}

int teai_csv_next(teai_csv_reader *r, const teai_csv_field **fields, int *n, teai_error *err) {
    *fields = NULL;
    *n = 0;
    for (;;) {
        if (r->beg == r->end) {
            if (r->eof) return 0;
            int st = refill(r, err);
            if (st) return st;
            continue;
        }
        size_t need = 2 * (r->end - r->beg) + 2; /* unquoted bytes + a NUL per field */
        if (r->ocap < need) {
            char *nb = realloc(r->obuf, need);
            if (!nb) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", r->name);
            r->obuf = nb;
            r->ocap = need;
        }
        int st = parse(r, n, err);
        if (st == PARSE_DONE) {
            *fields = r->f;
            return 1;
        }
        if (st != PARSE_MORE) return st;
        st = refill(r, err);
        if (st) return st;
    }
}
