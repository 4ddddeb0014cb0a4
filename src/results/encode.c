/* Text encodings shared by the log writer, the readers and the CSV writer:
 * deterministic numbers, UTF-8 validation, hex, JSON strings of any bytes. */
#include "results/results_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t teai__fmt_num(char out[TEAI__NUM_MAX], double v) {
    out[0] = '\0';
    if (!isfinite(v)) return 0;
    char e[TEAI__NUM_MAX];
    int digits = 1;
    for (; digits <= 17; digits++) { /* the fewest significant digits that read back as v */
        snprintf(e, sizeof e, "%.*e", digits - 1, v);
        if (strtod(e, NULL) == v) break;
    }
    if (digits > 17) digits = 17;
    const char *x = strchr(e, 'e');
    long exp = x ? strtol(x + 1, NULL, 10) : 0;
    int n;
    if (exp >= -4 && exp < 16) /* plain notation, as Python's repr: 50, 0.0001, 41.55 */
        n = snprintf(out, TEAI__NUM_MAX, "%.*f", exp >= digits - 1 ? 0 : (int)(digits - 1 - exp),
                     v);
    else /* 1e-05, 1.5e+16 */
        n = snprintf(out, TEAI__NUM_MAX, "%s", e);
    return n > 0 ? (size_t)n : 0;
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

int teai__json_str_lossy(teai_buf *b, const char *s, size_t n, int *lossy) {
    static const char hex[] = "0123456789abcdef";
    teai_buf clean;
    teai_buf_init(&clean, 0);
    int rc = TEAI_OK;
    *lossy = !teai__utf8_valid(s, n);
    if (*lossy) { /* JSON text is Unicode: the one sanitizer makes it so */
        rc = teai__utf8_sanitize(&clean, s, n, NULL);
        s = clean.data, n = clean.len;
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, "\"", 1);
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n && rc == TEAI_OK; i++) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        rc = teai_buf_add(b, s + run, i - run);
        if (rc != TEAI_OK) break;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = teai_buf_add(b, e, 2);
        } else if (c == '\n') {
            rc = teai_buf_add(b, "\\n", 2);
        } else if (c == '\r') {
            rc = teai_buf_add(b, "\\r", 2);
        } else if (c == '\t') {
            rc = teai_buf_add(b, "\\t", 2);
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = teai_buf_add(b, e, 6);
        }
        run = i + 1;
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, s + run, n - run);
    if (rc == TEAI_OK) rc = teai_buf_add(b, "\"", 1);
    teai_buf_free(&clean);
    return rc;
}

int teai__hex_encode(teai_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    int rc = TEAI_OK;
    char chunk[128];
    size_t k = 0;
    for (size_t i = 0; i < n && rc == TEAI_OK; i++) {
        unsigned c = (unsigned char)s[i];
        chunk[k++] = hex[c >> 4];
        chunk[k++] = hex[c & 15];
        if (k == sizeof chunk) rc = teai_buf_add(b, chunk, k), k = 0;
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, chunk, k);
    return rc;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int teai__hex_decode(teai_buf *b, const char *s, size_t n) {
    if (n % 2) return TEAI_EFORMAT;
    int rc = teai_buf_add(b, "", 0); /* data non-NULL even when empty */
    for (size_t i = 0; i < n && rc == TEAI_OK; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return TEAI_EFORMAT;
        char c = (char)(hi << 4 | lo);
        rc = teai_buf_add(b, &c, 1);
    }
    return rc;
}
