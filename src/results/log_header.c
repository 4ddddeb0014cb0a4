/* A log's header and how it ended, without reading its body (results.h).
 * The header is parsed from the file's first bytes by the log reader's own
 * header parser (teai__parse_header), reading more only while the header
 * runs on; the end event is looked for on the last line, read from the end
 * of the file. A log of any length costs two small reads. */
#include "results/results_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define HEAD_FIRST ((size_t)4096)     /* a teai log's header is about 1 KiB */
#define HEAD_MAX   ((size_t)1 << 20)  /* the header is looked for in the first MiB */
#define TAIL_MAX   ((size_t)64 << 10) /* an end event is far shorter */
#define END_PREFIX "{\"event\":\"end\",\"status\":\""

struct teai_log_header {
    teai_buf text;                                 /* keys and values, each NUL-terminated */
    size_t key[TEAI__MAX_HDR], val[TEAI__MAX_HDR]; /* offsets into text */
    int n;
    char end[16]; /* the end event's status; "" when the last line is not one */
};

/* Reads up to cap bytes at off into buf: the number read (short at the end of
 * the file), or -1 with errno set. */
static ssize_t read_at(int fd, char *buf, size_t cap, off_t off) {
    size_t got = 0;
    while (got < cap) {
        ssize_t r = pread(fd, buf + got, cap - got, off + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* 1 when the header parsed from rd ended inside rd's bytes: at a complete
 * line that is no header line, or at the "format" line. */
static int header_ended(const teai__reader *rd) {
    if (rd->n_hdr > 0) {
        const teai__hdr *last = &rd->hdr[rd->n_hdr - 1];
        if (last->klen == 6 && memcmp(last->key, "format", 6) == 0) return 1;
    }
    return memchr(rd->data + rd->body, '\n', rd->len - rd->body) != NULL;
}

static int add_str(teai_buf *b, const char *p, size_t n, size_t *off) {
    *off = b->len;
    int rc = teai_buf_add(b, p, n);
    return rc == TEAI_OK ? teai_buf_add(b, "", 1) : rc;
}

/* The header from the first bytes of the file (size bytes long), read again
 * with four times as many bytes while it runs on to the end of what was read. */
static int read_head(int fd, size_t size, const char *path, teai_log_header *h, teai_error *err) {
    teai__reader *rd = calloc(1, sizeof *rd);
    if (!rd) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    int rc = TEAI_OK;
    for (size_t cap = HEAD_FIRST;; cap *= 4) {
        size_t want = size < cap ? size : cap;
        char *buf = malloc(want ? want : 1);
        if (!buf) {
            rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
            break;
        }
        ssize_t got = read_at(fd, buf, want, 0);
        if (got < 0) {
            rc = teai__fail(err, TEAI_EIO, "%s: read: %s", path, strerror(errno));
            free(buf);
            break;
        }
        memset(rd, 0, sizeof *rd);
        rd->data = buf;
        rd->len = (size_t)got;
        rd->name = path;
        teai__parse_header(rd);
        if ((size_t)got == want && want < size && cap < HEAD_MAX && !header_ended(rd)) {
            free(buf);
            continue;
        }
        h->n = 0;
        for (int i = 0; i < rd->n_hdr && rc == TEAI_OK; i++) {
            rc = add_str(&h->text, rd->hdr[i].key, rd->hdr[i].klen, &h->key[i]);
            if (rc == TEAI_OK) rc = add_str(&h->text, rd->hdr[i].val, rd->hdr[i].vlen, &h->val[i]);
            if (rc == TEAI_OK) h->n = i + 1;
        }
        if (rc != TEAI_OK) rc = teai__fail(err, rc, "%s: out of memory", path);
        free(buf);
        break;
    }
    free(rd);
    return rc;
}

/* The status of the end event on the last line of the file, when it is one:
 * a complete line (ending in '\n') that starts as teai_log_close writes it. */
static int read_end(int fd, size_t size, const char *path, teai_log_header *h, teai_error *err) {
    size_t want = size < TAIL_MAX ? size : TAIL_MAX;
    if (want == 0) return TEAI_OK;
    char *buf = malloc(want);
    if (!buf) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    ssize_t got = read_at(fd, buf, want, (off_t)(size - want));
    if (got < 0) {
        int rc = teai__fail(err, TEAI_EIO, "%s: read: %s", path, strerror(errno));
        free(buf);
        return rc;
    }
    size_t n = (size_t)got;
    if (n == want && buf[n - 1] == '\n') {
        size_t b = n - 1;
        while (b > 0 && buf[b - 1] != '\n') b--;
        const char *p = buf + b;
        size_t k = n - 1 - b;
        teai__trim(&p, &k);
        size_t pl = strlen(END_PREFIX);
        /* a line that begins before the window is longer than any end event */
        if ((b > 0 || want == size) && teai__starts(p, k, END_PREFIX) && p[k - 1] == '}') {
            size_t s = pl;
            while (s < k && s - pl < sizeof h->end - 1 && p[s] >= 'a' && p[s] <= 'z') s++;
            if (s > pl && s < k && p[s] == '"') {
                memcpy(h->end, p + pl, s - pl);
                h->end[s - pl] = '\0';
            }
        }
    }
    free(buf);
    return TEAI_OK;
}

int teai_log_header_read(const char *path, teai_log_header **out, teai_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    struct stat st;
    int rc = TEAI_OK;
    if (fstat(fd, &st) != 0)
        rc = teai__fail(err, TEAI_EIO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = teai__fail(err, TEAI_EIO, "%s: %s", path,
                        S_ISDIR(st.st_mode) ? "is a folder" : "not a regular file");
    if (rc != TEAI_OK) {
        close(fd);
        return rc;
    }
    teai_log_header *h = calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    teai_buf_init(&h->text, HEAD_MAX * 2);
    size_t size = (size_t)st.st_size;
    rc = read_head(fd, size, path, h, err);
    if (rc == TEAI_OK) rc = read_end(fd, size, path, h, err);
    close(fd);
    if (rc != TEAI_OK) {
        teai_log_header_free(h);
        return rc;
    }
    *out = h;
    return TEAI_OK;
}

void teai_log_header_free(teai_log_header *h) {
    if (!h) return;
    teai_buf_free(&h->text);
    free(h);
}

int teai_log_header_count(const teai_log_header *h) {
    return h ? h->n : 0;
}

const char *teai_log_header_key(const teai_log_header *h, int i) {
    return h && i >= 0 && i < h->n ? h->text.data + h->key[i] : NULL;
}

const char *teai_log_header_value(const teai_log_header *h, int i) {
    return h && i >= 0 && i < h->n ? h->text.data + h->val[i] : NULL;
}

const char *teai_log_header_get(const teai_log_header *h, const char *key) {
    for (int i = h ? h->n - 1 : -1; i >= 0 && key; i--)
        if (strcmp(h->text.data + h->key[i], key) == 0) return h->text.data + h->val[i];
    return NULL;
}

const char *teai_log_header_end(const teai_log_header *h) {
    return h && h->end[0] ? h->end : NULL;
}
