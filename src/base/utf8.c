#include "base.h"

/* Bytes of the sequence lead byte c starts (0: it starts none) and the range
 * its second byte must fall in (Unicode Table 3-7: no overlongs, surrogates or
 * code points past U+10FFFF). */
static size_t utf8_lead(unsigned c, unsigned *lo, unsigned *hi) {
    *lo = 0x80, *hi = 0xbf;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return 2;
    if (c == 0xe0) return *lo = 0xa0, 3;
    if (c == 0xed) return *hi = 0x9f, 3;
    if (c >= 0xe1 && c <= 0xef) return 3;
    if (c == 0xf0) return *lo = 0x90, 4;
    if (c == 0xf4) return *hi = 0x8f, 4;
    if (c >= 0xf1 && c <= 0xf3) return 4;
    return 0;
}

/* Bytes at s (n left) that begin the sequence: the lead byte and the
 * continuation bytes that fit it, at most its length. */
static size_t utf8_prefix(const unsigned char *s, size_t n, size_t *len) {
    unsigned lo, hi;
    *len = n ? utf8_lead(s[0], &lo, &hi) : 0;
    if (!*len) return 0;
    size_t k = 1;
    while (k < *len && k < n && s[k] >= (k == 1 ? lo : 0x80) && s[k] <= (k == 1 ? hi : 0xbf)) k++;
    return k;
}

size_t teai__utf8_seq(const unsigned char *s, size_t n) {
    size_t len, k = utf8_prefix(s, n, &len);
    return k && k == len ? len : 0;
}

size_t teai__utf8_bad_len(const unsigned char *s, size_t n, int *cut) {
    size_t len, k = utf8_prefix(s, n, &len);
    if (cut) *cut = k > 0 && k < len && k == n;
    return k ? k : n ? 1 : 0;
}

int teai__utf8_sanitize(teai_buf *b, const char *s, size_t n, size_t *n_bad) {
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0, run = 0; /* run: start of the bytes not yet copied */
    int rc = teai_buf_add(b, "", 0);
    for (size_t i = 0; i < n && rc == TEAI_OK;) {
        size_t k = teai__utf8_seq(u + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        rc = teai_buf_add(b, s + run, i - run);
        if (rc == TEAI_OK) rc = teai_buf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
        i += teai__utf8_bad_len(u + i, n - i, NULL);
        run = i;
        bad++;
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, s + run, n - run);
    if (n_bad) *n_bad = rc == TEAI_OK ? bad : 0;
    return rc;
}

int teai__utf8_valid(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = teai__utf8_seq(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* One piece of an escaped text: the bytes of the sequence at u (n left) as
 * they are to be written, into piece[8]; *used gets the bytes consumed. */
static size_t escape_one(const unsigned char *u, size_t n, char piece[8], size_t *used) {
    static const char hex[] = "0123456789abcdef";
    size_t k = teai__utf8_seq(u, n);
    unsigned v = u[0];
    if (k == 2 && u[0] == 0xc2 && u[1] < 0xa0) v = u[1]; /* C1: U+0080..U+009F */
    int esc = !k || v < 0x20 || v == 0x7f || (k == 2 && u[0] == 0xc2 && u[1] < 0xa0);
    *used = k ? k : 1;
    if (v == '\\') {
        memcpy(piece, "\\\\", 2);
        return 2;
    }
    if (!esc) {
        memcpy(piece, u, k);
        return k;
    }
    piece[0] = '\\', piece[1] = 'x', piece[2] = hex[v >> 4], piece[3] = hex[v & 15];
    return 4;
}

int teai__escape_ctl(teai_buf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    int rc = teai_buf_add(b, "", 0);
    for (size_t i = 0; i < n && rc == TEAI_OK;) {
        char piece[8];
        size_t used, len = escape_one(u + i, n - i, piece, &used);
        rc = teai_buf_add(b, piece, len);
        i += used;
    }
    return rc;
}

const char *teai__escape_ctl_str(char *out, size_t cap, const char *s) {
    if (!cap) return out;
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u), total = 0, o = 0, used;
    char piece[8];
    for (size_t i = 0; i < n; i += used) total += escape_one(u + i, n - i, piece, &used);
    /* when it does not all fit, whole pieces up to room for "..." */
    size_t room = total < cap ? cap - 1 : cap >= 4 ? cap - 4 : 0;
    for (size_t i = 0; i < n; i += used) {
        size_t len = escape_one(u + i, n - i, piece, &used);
        if (o + len > room) break;
        memcpy(out + o, piece, len);
        o += len;
    }
    if (total >= cap && cap >= 4) memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
    return out;
}
