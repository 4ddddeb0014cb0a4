#include "backends/prompt.h"
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

void teai__synthetic_prompt(int n_vocab, int32_t bos, int n, int32_t *ids) {
    uint32_t x = 2463534242u;
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        ids[i] = (int32_t)(x % (uint32_t)n_vocab);
    }
    if (n > 0 && bos >= 0) ids[0] = bos;
}

int teai__prompt_tokens(const teai_tokenizer *tok, int n_vocab, const teai_run_params *p,
                        int32_t **ids, int *n, teai_error *err) {
    *ids = NULL;
    *n = 0;
    if (p->prompt_tokens > 0) {
        if (!(*ids = malloc(sizeof(int32_t) * (size_t)p->prompt_tokens)))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        teai__synthetic_prompt(n_vocab, teai_tokenizer_bos(tok), p->prompt_tokens, *ids);
        *n = p->prompt_tokens;
        return TEAI_OK;
    }
    const char *text = p->prompt ? p->prompt : "";
    size_t len = strlen(text);
    int cap = (int)len + 8;
    if (!(*ids = malloc(sizeof(int32_t) * (size_t)cap)))
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    int rc = teai_tokenize(tok, text, len, 1, p->parse_special, *ids, cap, n);
    if (rc == TEAI_ERANGE) {
        int32_t *q = realloc(*ids, sizeof(int32_t) * (size_t)*n);
        if (q) *ids = q;
        rc = q ? teai_tokenize(tok, text, len, 1, p->parse_special, *ids, *n, n) : TEAI_ENOMEM;
    }
    if (!rc && *n == 0) rc = TEAI_EINVAL;
    if (rc) {
        free(*ids);
        *ids = NULL;
        return teai__fail(err, rc, "cannot tokenize the prompt: %s", teai_status_str(rc));
    }
    return TEAI_OK;
}
