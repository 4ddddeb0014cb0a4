/* Fuzz target: the tokenizer.json reader over arbitrary bytes, then
 * tokenizing and decoding a fixed text (with and without special tokens)
 * with whatever tokenizer it built. The input may carry a
 * tokenizer_config.json after a "\n--config--\n" line. */
#include "tokenizer.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char k_sep[] = "\n--config--\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const texts[] = {
        "Hello world! <s> </s> <|eot_id|> 'll 123456 \xe2\x96\x81 \xf0\x9f\xa6\x99\n\n  x",
        "\xff\xfe invalid \xc3",
        "",
    };
    const char *json = (const char *)data, *config = NULL;
    size_t len = size, config_len = 0;
    for (size_t i = 0; i + sizeof k_sep - 1 <= size; i++) {
        if (memcmp(data + i, k_sep, sizeof k_sep - 1) == 0) {
            len = i;
            config = json + i + sizeof k_sep - 1;
            config_len = size - i - (sizeof k_sep - 1);
            break;
        }
    }
    teai_tokenizer *t = NULL;
    teai_error err = {0};
    if (teai__tokenizer_from_hf_mem(json, len, config, config_len, "fuzz", &t, &err) != TEAI_OK) {
        if (t || strchr(err.msg, '\n') || err.status >= 0) abort(); /* one-line errors only */
        return 0;
    }
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        for (int special = 0; special < 2; special++) {
            int32_t ids[512];
            int n = 0;
            if (teai_tokenize(t, texts[k], strlen(texts[k]), 1, special, ids, 512, &n) != TEAI_OK)
                continue;
            teai_buf b;
            teai_buf_init(&b, 0);
            teai__tokenizer_decode(t, ids, n, special, &b);
            teai_buf_free(&b);
            char piece[64];
            for (int i = 0; i < n; i++) teai_token_to_piece(t, ids[i], 1, piece, sizeof piece);
        }
    }
    teai__tokenizer_free(t);
    return 0;
}
