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
