/* gsm8k: grade-school math word problems, scored on the final number
 * (task.h). The extraction follows lm-evaluation-harness's two gsm8k
 * filters: "strict-match" takes the number after the first "#### " marker,
 * "flexible-extract" the last number of the text. */
#include "eval/task.h"

#include "base/base.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

int teai_gsm8k_normalize(const char *s, size_t len, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    int neg = 0;
    /* "-$5", "$-5", "-5" */
    for (int k = 0; k < 2 && i < len; k++) {
        if (s[i] == '-' && !neg)
            neg = 1, i++;
        else if (s[i] == '$')
            i++;
    }
    char ip[64], fp[64];
    size_t ni = 0, nf = 0;
    int digits = 0, frac = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (is_digit(c)) {
            digits++;
            if (frac) {
                if (nf + 1 >= sizeof fp) return 0;
                fp[nf++] = c;
            } else {
                if (ni + 1 >= sizeof ip) return 0;
                if (ni || c != '0') ip[ni++] = c; /* leading zeros dropped */
            }
        } else if (c == ',' && !frac && digits && i + 1 < len && is_digit(s[i + 1])) {
            /* a thousands separator sits between digits */
        } else if (c == '.' && !frac) {
            frac = 1;
        } else {
            break;
        }
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    if (!digits || i != len) return 0;
    while (nf && fp[nf - 1] == '0') nf--; /* "42.0" -> "42", "42." -> "42" */
    ip[ni] = fp[nf] = '\0';
    int zero = ni == 0 && nf == 0;
    int n =
        snprintf(out, cap, "%s%s%s%s", neg && !zero ? "-" : "", ni ? ip : "0", nf ? "." : "", fp);
    if (n < 0 || (size_t)n >= cap) {
        if (cap) out[0] = '\0';
        return 0;
    }
    return 1;
}

/* Length of the number-like run at s ([-$0-9.,]), 0 when none starts there. */
static size_t number_run(const char *s) {
    size_t n = 0;
    if (s[n] == '-') n++; /* a sign only in front: "3-4" is two numbers */
    if (s[n] == '$') n++;
    if (n == 1 && s[0] == '$' && s[n] == '-') n++;
    while (s[n] == ',' || s[n] == '.' || is_digit(s[n])) n++;
    return n;
}

/* The number that starts at s (after blanks and an optional ':'), trailing
 * ',' and '.' of the run dropped (sentence punctuation). 1 found. */
static int number_at(const char *s, char *out, size_t cap) {
    while (*s == ' ' || *s == '\t' || *s == ':') s++;
    size_t n = number_run(s);
    while (n && (s[n - 1] == '.' || s[n - 1] == ',')) n--;
    return n && teai_gsm8k_normalize(s, n, out, cap);
}

int teai_gsm8k_reference(const char *answer, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!answer) return 0;
    const char *mark = NULL;
    for (const char *p = strstr(answer, "####"); p; p = strstr(p + 4, "####")) mark = p;
    if (!mark) return teai_gsm8k_normalize(answer, strlen(answer), out, cap);
    mark += 4;
    while (*mark == ' ' || *mark == '\t') mark++;
    size_t n = strlen(mark);
    while (n &&
           (mark[n - 1] == ' ' || mark[n - 1] == '\n' || mark[n - 1] == '\r' || mark[n - 1] == '.'))
        n--;
    return teai_gsm8k_normalize(mark, n, out, cap);
}

/* First occurrence of needle in hay, ASCII case-insensitive. */
static const char *find_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] &&
               tolower((unsigned char)hay[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n) return hay;
    }
    return NULL;
}

int teai_gsm8k_extract_strict(const char *text, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!text) return 0;
    /* the first marker followed by a number: a model that goes on to invent
     * the next question writes its own answer's marker first */
    for (const char *p = strstr(text, "####"); p; p = strstr(p + 4, "####"))
        if (number_at(p + 4, out, cap)) return 1;
    for (const char *p = find_nocase(text, "the answer is"); p;
         p = find_nocase(p + 13, "the answer is"))
        if (number_at(p + 13, out, cap)) return 1;
    for (const char *p = strstr(text, "\\boxed{"); p; p = strstr(p + 7, "\\boxed{")) {
        const char *end = strchr(p + 7, '}');
        if (end && teai_gsm8k_normalize(p + 7, (size_t)(end - (p + 7)), out, cap)) return 1;
    }
    if (cap) out[0] = '\0';
    return 0;
}

int teai_gsm8k_extract_flexible(const char *text, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!text) return 0;
    char cand[96];
    int found = 0;
    for (const char *p = text; *p;) {
        /* "3-4": a dash right after a digit or letter is not a sign */
        size_t n = *p == '-' && p > text && isalnum((unsigned char)p[-1]) ? 0 : number_run(p);
        if (!n) {
            p++;
            continue;
        }
        size_t k = n;
        while (k && (p[k - 1] == '.' || p[k - 1] == ',')) k--;
        /* "1.2.3" is not a number; its parts are not either */
        if (k && teai_gsm8k_normalize(p, k, cand, sizeof cand)) {
            snprintf(out, cap, "%s", cand);
            found = 1;
        }
        p += n;
    }
    return found;
}

char *teai__gsm8k_prompt(const teai_task_example *ex) {
    teai_buf b;
    teai_buf_init(&b, 0);
    if (teai_buf_printf(&b,
                        "Solve the following math word problem. Think step by step, then give "
                        "the final answer on the last line in the form \"#### <number>\" (the "
                        "number only, no units).\n\nQuestion: %s",
                        ex->input) != TEAI_OK) {
        teai_buf_free(&b);
        return NULL;
    }
    return b.data;
}
