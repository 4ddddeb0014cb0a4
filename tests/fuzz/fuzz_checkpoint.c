/* Fuzz target: the checkpoint reader of `teai model train`
 * (src/train/checkpoint.c) over arbitrary bytes. Half the inputs get their
 * checksum recomputed first, so the mutations reach the header's sizes
 * behind it; an accepted file must hold exactly the arrays its header
 * promises, and a refused one must say why. */
#include "fuzz_tmp.h"
#include "train/checkpoint.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over 8-byte words, then the tail bytes (checkpoint.h). */
static uint64_t fnv_words(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || size > (1u << 20)) return 0;
    uint8_t *buf = malloc(size);
    if (!buf) return 0;
    memcpy(buf, data, size);
    if (size >= 16 && (data[0] & 1)) {
        uint64_t h = fnv_words(buf, size - 8);
        memcpy(buf + size - 8, &h, 8);
    }
    const char *path = fuzz_tmp_path("fuzz_checkpoint", ".bin");
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, size, f) == size;
    if (f) fclose(f);
    free(buf);
    if (!ok) return 0;
    teai__ckpt c;
    memset(&c, 0, sizeof c);
    teai_error err = {0};
    int rc = teai__ckpt_read(path, &c, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || !err.msg[0] || c.params) abort();
        return 0;
    }
    /* header 8+8+32+8+8+8+8+64+64+8 = 216 bytes, the arrays, the log, the checksum */
    if (216 + 12 * (uint64_t)c.n_params + 48 * (uint64_t)c.n_log + 8 != size) abort();
    if (strlen(c.tokenizer_sha256) > 64 || strlen(c.data_sha256) > 64) abort();
    volatile float sink = 0;
    for (size_t i = 0; i < c.n_params; i++) sink += c.params[i] + c.m[i] + c.v[i];
    for (int64_t i = 0; i < c.n_log; i++) sink += (float)c.log[i].loss;
    (void)sink;
    teai__ckpt_free(&c);
    return 0;
}
