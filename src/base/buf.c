#include "base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void teai_buf_init(teai_buf *b, size_t max) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : ((size_t)1 << 30);
}

int teai_buf_add(teai_buf *b, const void *data, size_t n) {
    if (n > b->max || b->len > b->max - n) return TEAI_ENOMEM;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return TEAI_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TEAI_OK;
}

int teai_buf_addstr(teai_buf *b, const char *s) {
    return teai_buf_add(b, s, strlen(s));
}

int teai_buf_printf(teai_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return TEAI_EINVAL;
    if ((size_t)n < sizeof small) return teai_buf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return TEAI_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = teai_buf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

void teai_buf_free(teai_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
