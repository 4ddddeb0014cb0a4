/* Task data sets: JSON Lines, one example per line (task.h). */
#include "eval/task.h"

#include "base/base.h"

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const env_names[] = {"gsm8k", "reverse_text", "wordle"};

const char *teai_task_env_name(teai_task_env env) {
    return (unsigned)env < 3 ? env_names[env] : "?";
}

int teai_task_env_from_name(const char *name) {
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, env_names[i]) == 0) return i;
    return -1;
}

void teai_task_example_free(teai_task_example *ex) {
    if (!ex) return;
    free(ex->input);
    free(ex->reference);
    ex->input = ex->reference = NULL;
}

void teai_task_examples_free(teai_task_example *ex, int n) {
    for (int i = 0; ex && i < n; i++) teai_task_example_free(&ex[i]);
    free(ex);
}

#if TEAI_HAVE_CJSON

/* The string value of the first of keys present in o; NULL when none is.
 * *which names the key found (or the first key when none). */
static const cJSON *field(const cJSON *o, const char *const *keys, const char **which) {
    *which = keys[0];
    for (int i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
        if (v) {
            *which = keys[i];
            return v;
        }
    }
    return NULL;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

int teai_task_parse_line(teai_task_env env, const char *line, size_t len, teai_task_example *ex,
                         teai_error *err) {
    memset(ex, 0, sizeof *ex);
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
        i++;
    if (i == len) return TEAI_ENOTFOUND;
    if (len > TEAI_TASK_LINE_MAX)
        return teai__fail(err, TEAI_EFORMAT, "line longer than %d bytes", TEAI_TASK_LINE_MAX);
    if (memchr(line, '\0', len)) return teai__fail(err, TEAI_EFORMAT, "NUL byte in the line");
    for (size_t k = 0; k < len;) {
        size_t n = teai__utf8_seq((const unsigned char *)line + k, len - k);
        if (!n) return teai__fail(err, TEAI_EFORMAT, "invalid UTF-8 at byte %zu", k + 1);
        k += n;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!o) {
        size_t at = end && end >= line && end <= line + len ? (size_t)(end - line) : 0;
        return teai__fail(err, TEAI_EFORMAT, "not JSON (near byte %zu)", at + 1);
    }
    for (const char *p = end; p && p < line + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(o);
            return teai__fail(err, TEAI_EFORMAT, "text after the JSON object");
        }
    int rc = TEAI_OK;
    const char *key = NULL;
    if (!cJSON_IsObject(o)) {
        rc = teai__fail(err, TEAI_EFORMAT, "not a JSON object");
        goto done;
    }
    if (env == TEAI_TASK_GSM8K) {
        static const char *const qk[] = {"question", NULL}, *const ak[] = {"answer", NULL};
        const cJSON *q = field(o, qk, &key);
        if (!cJSON_IsString(q) || !q->valuestring[0]) {
            rc = teai__fail(err, TEAI_EFORMAT, "no \"question\" string");
            goto done;
        }
        const cJSON *a = field(o, ak, &key);
        char ref[96];
        if (cJSON_IsNumber(a)) {
            char num[64];
            snprintf(num, sizeof num, "%.15g", a->valuedouble);
            if (!teai_gsm8k_normalize(num, strlen(num), ref, sizeof ref)) {
                rc = teai__fail(err, TEAI_EFORMAT, "\"answer\" %s is not a plain number", num);
                goto done;
            }
        } else if (!cJSON_IsString(a)) {
            rc = teai__fail(err, TEAI_EFORMAT, "no \"answer\" string");
            goto done;
        } else if (!teai_gsm8k_reference(a->valuestring, ref, sizeof ref)) {
            rc = teai__fail(err, TEAI_EFORMAT,
                            "\"answer\" has no final number (\"... #### 42\" or a number)");
            goto done;
        }
        ex->input = dup_str(q->valuestring);
        ex->reference = dup_str(ref);
    } else if (env == TEAI_TASK_REVERSE_TEXT) {
        static const char *const tk[] = {"text", "prompt", "question", NULL};
        const cJSON *t = field(o, tk, &key);
        if (!cJSON_IsString(t)) {
            rc = teai__fail(err, TEAI_EFORMAT, "no \"text\" string (or \"prompt\", \"question\")");
            goto done;
        }
        size_t n = strlen(t->valuestring), cps = 0;
        for (size_t k = 0; k < n; k++) cps += ((unsigned char)t->valuestring[k] & 0xc0) != 0x80;
        if (cps == 0) {
            rc = teai__fail(err, TEAI_EFORMAT, "\"%s\" is empty", key);
            goto done;
        }
        if (cps > TEAI_TASK_TEXT_MAX) {
            rc = teai__fail(err, TEAI_EFORMAT, "\"%s\" is longer than %d characters", key,
                            TEAI_TASK_TEXT_MAX);
            goto done;
        }
        ex->input = dup_str(t->valuestring);
        ex->reference = malloc(n + 1);
        if (ex->reference) teai_utf8_reverse(t->valuestring, ex->reference, n + 1);
    } else if (env == TEAI_TASK_WORDLE) {
        static const char *const wk[] = {"answer", "word", NULL};
        const cJSON *w = field(o, wk, &key);
        char word[6];
        if (!cJSON_IsString(w)) {
            rc = teai__fail(err, TEAI_EFORMAT, "no \"answer\" string (the secret word)");
            goto done;
        }
        /* the secret word may be written "[crane]", as TextArena does */
        char wrapped[64];
        if (strlen(w->valuestring) > 32 ||
            (snprintf(wrapped, sizeof wrapped, "<guess>%s</guess>", w->valuestring),
             !teai_wordle_parse_guess(wrapped, word))) {
            rc = teai__fail(err, TEAI_EFORMAT, "\"%s\" is not a 5-letter word", key);
            goto done;
        }
        ex->input = dup_str("");
        ex->reference = dup_str(word);
    } else {
        rc = teai__fail(err, TEAI_EINVAL, "unknown environment %d", (int)env);
        goto done;
    }
    if (!ex->input || !ex->reference) {
        teai_task_example_free(ex);
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
done:
    cJSON_Delete(o);
    return rc;
}

#else /* !TEAI_HAVE_CJSON: a build without cJSON (a static device build) */

int teai_task_parse_line(teai_task_env env, const char *line, size_t len, teai_task_example *ex,
                         teai_error *err) {
    (void)env, (void)line, (void)len;
    memset(ex, 0, sizeof *ex);
    return teai__fail(err, TEAI_EUNSUPPORTED, "task data sets need cJSON (install libcjson-dev)");
}

#endif

int teai_task_load(teai_task_env env, const char *path, int n_max, teai_task_example **out, int *n,
                   teai_error *err) {
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return teai__fail(err, TEAI_ENOTFOUND, "%s: cannot open (%s)", path, strerror(errno));
    teai_task_example *ex = NULL;
    int count = 0, cap = 0, lineno = 0, rc = TEAI_OK;
    teai_buf line;
    teai_buf_init(&line, (size_t)TEAI_TASK_LINE_MAX + 2);
    int c = 0;
    while (rc == TEAI_OK && (n_max <= 0 || count < n_max) && c != EOF) {
        line.len = 0;
        int too_long = 0;
        while ((c = getc(f)) != EOF && c != '\n') {
            char ch = (char)c;
            if (line.len > (size_t)TEAI_TASK_LINE_MAX)
                too_long = 1;
            else if (teai_buf_add(&line, &ch, 1) != TEAI_OK)
                too_long = 1;
        }
        if (c == EOF && line.len == 0) break;
        lineno++;
        if (too_long) {
            rc = teai__fail(err, TEAI_EFORMAT, "%s:%d: line longer than %d bytes", path, lineno,
                            TEAI_TASK_LINE_MAX);
            break;
        }
        teai_task_example e;
        teai_error lerr = {0};
        int st = teai_task_parse_line(env, line.len ? line.data : "", line.len, &e, &lerr);
        if (st == TEAI_ENOTFOUND) continue;
        if (st != TEAI_OK) {
            rc = teai__fail(err, st, "%s:%d: %s", path, lineno, lerr.msg);
            break;
        }
        e.line = lineno;
        if (count == cap) {
            int ncap = cap ? 2 * cap : 64;
            teai_task_example *p = realloc(ex, sizeof *p * (size_t)ncap);
            if (!p) {
                teai_task_example_free(&e);
                rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
                break;
            }
            ex = p, cap = ncap;
        }
        ex[count++] = e;
    }
    if (rc == TEAI_OK && ferror(f))
        rc = teai__fail(err, TEAI_EIO, "%s: read error after line %d", path, lineno);
    fclose(f);
    teai_buf_free(&line);
    if (rc == TEAI_OK && count == 0)
        rc = teai__fail(err, TEAI_EFORMAT, "%s: no examples (the file is empty)", path);
    if (rc != TEAI_OK) {
        teai_task_examples_free(ex, count);
        return rc;
    }
    *out = ex;
    *n = count;
    return TEAI_OK;
}
