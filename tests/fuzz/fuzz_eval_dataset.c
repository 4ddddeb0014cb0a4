/* Fuzz target: task data set lines (teai_task_parse_line) and the scoring
 * helpers over arbitrary bytes. The first byte picks the environment; the
 * rest is one JSONL line, and also a model's completion for the extractors.
 * Checks the invariants the evaluation relies on, besides not crashing. */
#include "eval/task.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(teai_task_env env, const char *line, size_t n) {
    teai_task_example ex;
    teai_error err = {0};
    int rc = teai_task_parse_line(env, line, n, &ex, &err);
    if (rc == TEAI_ENOTFOUND) return; /* blank */
    if (rc != TEAI_OK) {
        if (rc >= 0 || err.status != rc || !err.msg[0] || strchr(err.msg, '\n')) abort();
        return;
    }
    if (!ex.input || !ex.reference) abort();
    char buf[128];
    if (env == TEAI_TASK_GSM8K) {
        /* the reference is already canonical */
        if (!teai_gsm8k_normalize(ex.reference, strlen(ex.reference), buf, sizeof buf) ||
            strcmp(buf, ex.reference) != 0)
            abort();
    } else if (env == TEAI_TASK_REVERSE_TEXT) {
        size_t len = strlen(ex.input);
        char *back = malloc(len + 1);
        if (!back || strlen(ex.reference) != len ||
            teai_utf8_reverse(ex.reference, back, len + 1) != (int)len ||
            strcmp(back, ex.input) != 0)
            abort();
        free(back);
        if (teai_lcs_ratio(ex.reference, ex.reference) != 1.0) abort();
    } else {
        if (strlen(ex.reference) != 5) abort();
        for (int i = 0; i < 5; i++)
            if (ex.reference[i] < 'a' || ex.reference[i] > 'z') abort();
    }
    teai_task_example_free(&ex);
}

static void check_text(const char *text) {
    char a[96], b[96], g[6], fb[6];
    if (teai_gsm8k_extract_strict(text, a, sizeof a)) {
        if (!teai_gsm8k_normalize(a, strlen(a), b, sizeof b) || strcmp(a, b) != 0) abort();
    } else if (a[0]) {
        abort();
    }
    if (teai_gsm8k_extract_flexible(text, a, sizeof a)) {
        if (!teai_gsm8k_normalize(a, strlen(a), b, sizeof b) || strcmp(a, b) != 0) abort();
    }
    char *ans = teai_reverse_extract(text);
    if (ans) {
        /* bounded: the LCS runs on at most 2 * TEAI_TASK_TEXT_MAX code points a side */
        double r = teai_lcs_ratio(ans, text);
        if (!(r >= 0 && r <= 1)) abort();
        free(ans);
    }
    if (teai_wordle_parse_guess(text, g)) {
        teai_wordle_feedback(g, "mummy", fb);
        int greens = 0;
        for (int i = 0; i < 5; i++) {
            if (fb[i] != 'G' && fb[i] != 'Y' && fb[i] != 'X') abort();
            greens += fb[i] == 'G';
        }
        if ((greens == 5) != (strcmp(g, "mummy") == 0)) abort();
        if (teai_wordle_partial(fb) > 1.0 + 1e-12) abort();
    } else if (g[0]) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    teai_task_env env = (teai_task_env)(data[0] % 3);
    const char *line = (const char *)data + 1;
    size_t n = size - 1;
    check_line(env, line, n);
    char *text = malloc(n + 1);
    if (!text) return 0;
    memcpy(text, line, n);
    text[n] = '\0';
    check_text(text);
    free(text);
    return 0;
}
