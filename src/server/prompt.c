/* A request's prompt as token ids, made as `teai generate` makes it (BOS,
 * chat template, special tokens), and checked against a slot's context. */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

static int tokenize(const teai_tokenizer *tok, const char *text, int parse_special, int32_t **ids,
                    int *n) {
    size_t len = strlen(text);
    if (len > (size_t)1 << 30) return TEAI_ERANGE;
    int cap = (int)len + 8, rc;
    *ids = malloc(sizeof(int32_t) * (size_t)cap);
    if (!*ids) return TEAI_ENOMEM;
    rc = teai_tokenize(tok, text, len, 1, parse_special, *ids, cap, n);
    if (rc == TEAI_ERANGE) {
        int32_t *p = realloc(*ids, sizeof(int32_t) * (size_t)*n);
        if (!p) return TEAI_ENOMEM;
        *ids = p;
        rc = teai_tokenize(tok, text, len, 1, parse_special, *ids, *n, n);
    }
    return rc;
}

int teai__srv_prompt(const teai_model *model, int n_ctx, const teai__srv_request *req,
                     int max_tokens_cap, int32_t **ids, int *n_ids, int *max_tokens,
                     teai__srv_error *err) {
    const teai_tokenizer *tok = teai_model_tokenizer(model);
    int n_vocab = teai_model_hparams(model)->n_vocab;
    *ids = NULL;
    *n_ids = 0;
    int rc = TEAI_OK, n = 0;
    if (req->chat) {
        teai_chat_format fmt = teai_chat_detect(teai_model_chat_template(model));
        if (fmt == TEAI_CHAT_NONE)
            return teai__srv_fail(err, 400, "invalid_request_error", "messages", NULL,
                                  "the model has no chat template teai knows (Llama 3, ChatML); "
                                  "use /v1/completions");
        int len = teai_chat_apply(fmt, req->msgs, req->n_msgs, 1, NULL, 0);
        if (len < 0)
            return teai__srv_fail(err, 400, "invalid_request_error", "messages", NULL,
                                  "the messages cannot be written in the model's chat template");
        char *text = malloc((size_t)len + 1);
        if (!text) return teai__srv_fail(err, 500, "server_error", NULL, NULL, "out of memory");
        teai_chat_apply(fmt, req->msgs, req->n_msgs, 1, text, (size_t)len + 1);
        rc = tokenize(tok, text, 1, ids, &n);
        free(text);
    } else if (req->prompt) {
        rc = tokenize(tok, req->prompt, 0, ids, &n);
    } else {
        n = req->n_prompt_ids;
        if (!(*ids = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1)))) rc = TEAI_ENOMEM;
        for (int i = 0; !rc && i < n; i++) {
            if (req->prompt_ids[i] >= n_vocab) {
                free(*ids);
                *ids = NULL;
                return teai__srv_fail(err, 400, "invalid_request_error", "prompt", NULL,
                                      "prompt token %d is id %d, past the vocabulary of %d tokens",
                                      i, (int)req->prompt_ids[i], n_vocab);
            }
            (*ids)[i] = req->prompt_ids[i];
        }
    }
    if (rc) {
        free(*ids);
        *ids = NULL;
        return rc == TEAI_ENOMEM
                   ? teai__srv_fail(err, 500, "server_error", NULL, NULL, "out of memory")
                   : teai__srv_fail(err, 400, "invalid_request_error",
                                    req->chat ? "messages" : "prompt", NULL,
                                    "cannot tokenize the prompt: %s", teai_status_str(rc));
    }
    const char *param = req->chat ? "messages" : "prompt";
    int fail = 0;
    if (n == 0) {
        fail = teai__srv_fail(err, 400, "invalid_request_error", param, NULL,
                              "the prompt is empty (and the model adds no BOS token)");
    } else if (req->max_tokens > 0 && (long long)n + req->max_tokens > n_ctx) {
        fail = teai__srv_fail(err, 400, "invalid_request_error", "max_tokens",
                              "context_length_exceeded",
                              "this server's context is %d tokens, but %lld were requested "
                              "(%d in the prompt, %d for the completion)",
                              n_ctx, (long long)n + req->max_tokens, n, req->max_tokens);
    } else if (req->max_tokens <= 0 && n >= n_ctx) {
        fail =
            teai__srv_fail(err, 400, "invalid_request_error", param, "context_length_exceeded",
                           "this server's context is %d tokens, but the prompt has %d", n_ctx, n);
    }
    if (fail) {
        free(*ids);
        *ids = NULL;
        return fail;
    }
    *n_ids = n;
    if (req->max_tokens > 0)
        *max_tokens = req->max_tokens;
    else
        *max_tokens = n_ctx - n < max_tokens_cap ? n_ctx - n : max_tokens_cap;
    return TEAI_OK;
}
