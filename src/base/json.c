#include "base.h"

int teai__json_str(teai_buf *b, const char *s, size_t n, size_t *n_bad) {
    static const char hex[] = "0123456789abcdef";
    teai_buf clean;
    teai_buf_init(&clean, 0);
    int rc = TEAI_OK;
    if (n_bad) *n_bad = 0;
    if (!teai__utf8_valid(s, n)) { /* JSON text is Unicode: the one sanitizer makes it so */
        rc = teai__utf8_sanitize(&clean, s, n, n_bad);
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
