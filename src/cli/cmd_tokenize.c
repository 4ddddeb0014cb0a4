/* teai tokenize: token ids of stdin, like llama.cpp's tokenizer tool. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *help =
    "usage: teai tokenize -m MODEL [--bos] [--no-special] < text\n"
    "\n"
    "Reads UTF-8 text on stdin and prints its token ids on one line, space\n"
    "separated. Works on vocabulary-only GGUF files (llama.cpp's ggml-vocab-*.gguf).\n"
    "\n"
    "  -m, --model MODEL   " CLI_HELP_MODEL "\n"
    "  --bos               prepend BOS (when the vocabulary uses one)\n"
    "  --no-special        do not recognize special tokens such as <|eot_id|> in the text\n";

int cmd_tokenize(int argc, char **argv) {
    const char *cmd = "tokenize", *model = NULL;
    int bos = 0, special = 1;
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (cli_is(argv[i], "-m", "--model")) {
            if (!(model = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--bos")) {
            bos = 1;
        } else if (cli_is(argv[i], NULL, "--no-special")) {
            special = 0;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    if (!model) return cli_usage_error(cmd, "-m MODEL is required");
    char path[4096];
    int rc = cli_resolve_model(cmd, model, path, sizeof path);
    if (rc) return rc;

    /* stdin, whole */
    size_t len = 0, cap = 65536;
    char *text = malloc(cap);
    size_t r;
    while (text && (r = fread(text + len, 1, cap - len, stdin)) > 0) {
        len += r;
        if (len == cap) {
            char *p = cap < ((size_t)1 << 30) ? realloc(text, cap *= 2) : NULL;
            if (!p) free(text);
            text = p;
        }
    }
    if (!text) {
        fprintf(stderr, "teai tokenize: input too large or out of memory\n");
        return CLI_EXIT_FAIL;
    }

    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    mp.vocab_only = 1;
    teai_model *m = NULL;
    int st = teai_model_load(path, &mp, &m, &err);
    if (st) {
        free(text);
        return cli_fail(cmd, &err, st);
    }
    const teai_tokenizer *tok = teai_model_tokenizer(m);
    int n = 0, cap_ids = (int)(len < 1000000 ? len : 1000000) + 8;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)cap_ids);
    st = ids ? teai_tokenize(tok, text, len, bos, special, ids, cap_ids, &n) : TEAI_ENOMEM;
    if (st == TEAI_ERANGE) {
        int32_t *p = realloc(ids, sizeof(int32_t) * (size_t)n);
        if (p) ids = p;
        st = p ? teai_tokenize(tok, text, len, bos, special, ids, n, &n) : TEAI_ENOMEM;
    }
    if (st) {
        fprintf(stderr, "teai tokenize: %s\n", teai_status_str(st));
        rc = cli_exit_code(st);
    } else {
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    free(ids);
    free(text);
    teai_model_free(m);
    return rc;
}
