/* Fuzz target: the GGUF tokenizer reader (tokenizer.ggml.* keys) over
 * arbitrary bytes, then tokenizing and decoding a fixed text with whatever
 * it built. Failures must be one-line messages. */
#include "gguf.h"
#include "tokenizer.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char text[] = "Hello world! <s></s><|eot_id|> 'll 123456 \xe2\x96\x81\xff\n\n  x";
    teai_gguf *g = NULL;
    teai_error err = {0};
    if (teai_gguf_open_mem(data, size, "fuzz.gguf", &g, &err) != TEAI_OK) return 0;
    teai_tokenizer *t = NULL;
    memset(&err, 0, sizeof err);
    if (teai__tokenizer_from_gguf(g, &t, &err) != TEAI_OK) {
        if (t || strchr(err.msg, '\n') || err.status >= 0) abort(); /* one-line errors only */
        teai_gguf_close(g);
        return 0;
    }
    for (int special = 0; special < 2; special++) {
        int32_t ids[256];
        int n = 0;
        if (teai_tokenize(t, text, sizeof text - 1, 1, special, ids, 256, &n) != TEAI_OK) continue;
        teai_buf b;
        teai_buf_init(&b, 0);
        teai__tokenizer_decode(t, ids, n, special, &b);
        teai_buf_free(&b);
    }
    teai__tokenizer_free(t);
    teai_gguf_close(g);
    return 0;
}
