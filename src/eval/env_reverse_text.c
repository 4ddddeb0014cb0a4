/* reverse_text: the model reverses a text character by character; the
 * reward is the LCS ratio of its answer and the reversed text (task.h). */
#include "eval/task.h"

#include "base/base.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the UTF-8 sequence at s (1 for an invalid or truncated one), its
 * code point into *cp (invalid bytes: 0x110000 + byte, never a real one). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp) {
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            n = 0;
            break;
        }
        v = v << 6 | (s[k] & 0x3f);
    }
    if (n == 0) {
        *cp = 0x110000u + c;
        return 1;
    }
    *cp = v;
    return n;
}

int teai_utf8_reverse(const char *s, char *out, size_t cap) {
    size_t len = strlen(s);
    if (cap < len + 1) return -1;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next((const unsigned char *)s + i, &cp);
        if (i + n > len) n = len - i;
        memcpy(out + len - i - n, s + i, n);
        i += n;
    }
    out[len] = '\0';
    return (int)len;
}

/* The code points of s, at most max of them into a malloc'd array; *n the
 * count kept, *total all of them. NULL on ENOMEM. */
static uint32_t *code_points(const char *s, size_t max, size_t *n, size_t *total) {
    size_t len = strlen(s);
    uint32_t *v = malloc(sizeof *v * (len < max ? len + 1 : max + 1));
    if (!v) return NULL;
    *n = *total = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_next((const unsigned char *)s + i, &cp);
        if (*n < max) v[(*n)++] = cp;
        (*total)++;
    }
    return v;
}

double teai_lcs_ratio(const char *a, const char *b) {
    const size_t max = 2 * (size_t)TEAI_TASK_TEXT_MAX;
    size_t na, nb, ta, tb;
    uint32_t *x = code_points(a ? a : "", max, &na, &ta);
    uint32_t *y = code_points(b ? b : "", max, &nb, &tb);
    /* one row over the shorter side: row[j] = LCS(x[0..i), y[0..j)) */
    if (x && y && na < nb) {
        uint32_t *t = x;
        x = y, y = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    uint32_t *row = x && y ? calloc(nb + 1, sizeof *row) : NULL;
    if (!row) {
        free(x), free(y);
        return NAN;
    }
    for (size_t i = 0; i < na; i++) {
        uint32_t diag = 0; /* row[j - 1] of the previous i */
        for (size_t j = 1; j <= nb; j++) {
            uint32_t up = row[j];
            if (x[i] == y[j - 1])
                row[j] = diag + 1;
            else if (row[j - 1] > row[j])
                row[j] = row[j - 1];
            diag = up;
        }
    }
    double lcs = row[nb];
    free(row), free(x), free(y);
    return ta + tb == 0 ? 1.0 : 2.0 * lcs / (double)(ta + tb);
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *teai_reverse_extract(const char *completion) {
    const char *s = completion ? completion : "", *open = NULL;
    for (const char *p = strstr(s, "<answer>"); p; p = strstr(p + 8, "<answer>")) open = p;
    size_t n;
    if (open) {
        s = open + 8;
        const char *close = strstr(s, "</answer>");
        n = close ? (size_t)(close - s) : strlen(s);
    } else {
        n = strlen(s);
    }
    while (n && is_space(*s)) s++, n--;
    while (n && is_space(s[n - 1])) n--;
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

char *teai__reverse_prompt(const teai_task_example *ex) {
    teai_buf b;
    teai_buf_init(&b, 0);
    if (teai_buf_printf(&b,
                        "Reverse the following text character by character, so that its last "
                        "character comes first. Reply with the reversed text only, inside "
                        "<answer>...</answer> tags.\n\nText: %s",
                        ex->input) != TEAI_OK) {
        teai_buf_free(&b);
        return NULL;
    }
    return b.data;
}
