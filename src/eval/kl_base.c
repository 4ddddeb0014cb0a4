/* The reference log-probabilities file of a KL-divergence comparison:
 * llama.cpp's --kl-divergence-base layout plus a trailer of teai's own
 * (ppl.h, docs/eval-ppl.md). The reader treats the file as untrusted: every
 * size is checked against the file's length before anything is allocated,
 * and every token id against the vocabulary. */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE   200809L
#include "base/base.h"
#include "eval/ppl.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define LLAMA_MAGIC  "_logits_"
#define TEAI_MAGIC   "TEAIKLB1"
#define HEADER_BYTES 20 /* magic, n_ctx, n_vocab, n_chunk */
#define MAX_CTX      (1 << 22)
#define MAX_VOCAB    (1 << 24)
#define MAX_META     (1 << 20)

static int little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int n_scored(int n_ctx) {
    return n_ctx - 1 - n_ctx / 2;
}

/* Bytes of one chunk's rows; 0 when the sizes are out of range. */
static int64_t chunk_bytes(int n_ctx, int n_vocab) {
    return (int64_t)sizeof(uint16_t) * teai_kl_row_units(n_vocab) * n_scored(n_ctx);
}

void teai_kl_base_close(teai_kl_base *b) {
    if (!b) return;
    if (b->f) fclose(b->f);
    free(b->tokens);
    free(b->meta);
    memset(b, 0, sizeof *b);
}

int teai_kl_base_open(const char *path, teai_kl_base *b, teai_error *err) {
    memset(b, 0, sizeof *b);
    FILE *f = fopen(path, "rb");
    if (!f)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    return teai_kl_base_open_stream(f, path, b, err);
}

int teai_kl_base_open_stream(FILE *f, const char *path, teai_kl_base *b, teai_error *err) {
    memset(b, 0, sizeof *b);
    snprintf(b->path, sizeof b->path, "%s", path);
    b->f = f;
    if (!little_endian()) {
        teai_kl_base_close(b);
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: base files are read on little-endian hosts only", path);
    }
    int rc = TEAI_EFORMAT;
    uint8_t h[HEADER_BYTES];
    if (fseeko(b->f, 0, SEEK_END) != 0) goto io;
    int64_t size = (int64_t)ftello(b->f);
    if (size < 0 || fseeko(b->f, 0, SEEK_SET) != 0) goto io;
    if (size < HEADER_BYTES || fread(h, 1, HEADER_BYTES, b->f) != HEADER_BYTES ||
        memcmp(h, LLAMA_MAGIC, 8) != 0) {
        teai__fail(err, rc, "%s: not a file of log-probabilities (no \"_logits_\" header)", path);
        goto fail;
    }
    uint32_t n_ctx = get_u32(h + 8), n_vocab = get_u32(h + 12), n_chunk = get_u32(h + 16);
    if (n_ctx < 3 || n_ctx > MAX_CTX) {
        teai__fail(err, rc, "%s: context of %u tokens out of range (3..%d)", path, n_ctx, MAX_CTX);
        goto fail;
    }
    if (n_vocab < 1 || n_vocab > MAX_VOCAB) {
        teai__fail(err, rc, "%s: vocabulary of %u tokens out of range (1..%d)", path, n_vocab,
                   MAX_VOCAB);
        goto fail;
    }
    if (n_chunk < 1 || n_chunk > (uint32_t)INT32_MAX) {
        teai__fail(err, rc, "%s: %u chunks (wanted at least 1)", path, n_chunk);
        goto fail;
    }
    b->n_ctx = (int)n_ctx, b->n_vocab = (int)n_vocab, b->n_chunk = (int)n_chunk;
    /* size checks before any allocation: tokens, then rows, fit in the file */
    int64_t tok_bytes = 4 * (int64_t)n_ctx * (int64_t)n_chunk;
    int64_t per_chunk = chunk_bytes(b->n_ctx, b->n_vocab);
    if (tok_bytes > size - HEADER_BYTES ||
        (size - HEADER_BYTES - tok_bytes) / per_chunk < (int64_t)n_chunk) {
        teai__fail(err, rc,
                   "%s: truncated: %u chunks of %u tokens with a vocabulary of %u need more than "
                   "its %lld bytes",
                   path, n_chunk, n_ctx, n_vocab, (long long)size);
        goto fail;
    }
    b->rows_offset = HEADER_BYTES + tok_bytes;
    int64_t body = b->rows_offset + per_chunk * (int64_t)n_chunk;
    /* the trailer: nothing (llama.cpp's file), or meta | u32 length | magic */
    int64_t extra = size - body;
    size_t meta_len = 0;
    if (extra > 0) {
        uint8_t t[12];
        if (extra < 12 || fseeko(b->f, size - 12, SEEK_SET) != 0 || fread(t, 1, 12, b->f) != 12 ||
            memcmp(t + 4, TEAI_MAGIC, 8) != 0) {
            teai__fail(err, rc, "%s: %lld unexpected bytes after the log-probabilities", path,
                       (long long)extra);
            goto fail;
        }
        uint32_t len = get_u32(t);
        if ((int64_t)len != extra - 12 || len > MAX_META) {
            teai__fail(err, rc, "%s: trailer says %u bytes of metadata, the file has %lld", path,
                       len, (long long)(extra - 12));
            goto fail;
        }
        meta_len = len;
    }
    b->meta = malloc(meta_len + 1);
    b->tokens = malloc((size_t)tok_bytes);
    if (!b->meta || !b->tokens) {
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (meta_len &&
        (fseeko(b->f, body, SEEK_SET) != 0 || fread(b->meta, 1, meta_len, b->f) != meta_len))
        goto io;
    b->meta[meta_len] = '\0';
    if (fseeko(b->f, HEADER_BYTES, SEEK_SET) != 0 ||
        fread(b->tokens, 1, (size_t)tok_bytes, b->f) != (size_t)tok_bytes)
        goto io;
    for (int64_t i = 0; i < (int64_t)n_ctx * (int64_t)n_chunk; i++)
        if (b->tokens[i] < 0 || b->tokens[i] >= b->n_vocab) {
            teai__fail(err, rc, "%s: token %lld has id %d, outside the vocabulary of %d", path,
                       (long long)i, b->tokens[i], b->n_vocab);
            goto fail;
        }
    return TEAI_OK;
io:
    rc = teai__fail(err, TEAI_EIO, "%s: read error", path);
fail:
    teai_kl_base_close(b);
    return rc;
}

int teai_kl_base_read_chunk(teai_kl_base *b, int c, uint16_t *rows, teai_error *err) {
    if (c < 0 || c >= b->n_chunk)
        return teai__fail(err, TEAI_ERANGE, "%s: no chunk %d (it has %d)", b->path, c + 1,
                          b->n_chunk);
    int64_t per_chunk = chunk_bytes(b->n_ctx, b->n_vocab);
    if (fseeko(b->f, b->rows_offset + per_chunk * c, SEEK_SET) != 0 ||
        fread(rows, 1, (size_t)per_chunk, b->f) != (size_t)per_chunk)
        return teai__fail(err, TEAI_EIO, "%s: cannot read chunk %d", b->path, c + 1);
    int64_t units = teai_kl_row_units(b->n_vocab);
    for (int i = 0; i < n_scored(b->n_ctx); i++) {
        float scale, min_log_prob;
        memcpy(&scale, rows + i * units, sizeof scale);
        memcpy(&min_log_prob, rows + i * units + 2, sizeof min_log_prob);
        if (!isfinite(scale) || scale < 0 || !isfinite(min_log_prob) || min_log_prob > 0)
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: chunk %d position %d: bad row (scale %g, minimum %g)", b->path,
                              c + 1, i, (double)scale, (double)min_log_prob);
    }
    return TEAI_OK;
}

void teai_kl_base_meta(const teai_kl_base *b, const char *key, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!b->meta || !cap) return;
    size_t klen = strlen(key);
    for (const char *line = b->meta; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > klen + 1 && strncmp(line, key, klen) == 0 && line[klen] == ':' &&
            line[klen + 1] == ' ') {
            size_t vlen = len - klen - 2;
            if (vlen >= cap) vlen = cap - 1;
            memcpy(out, line + klen + 2, vlen);
            out[vlen] = '\0';
            return;
        }
        if (!end) break;
        line = end + 1;
    }
}

/* ---- writer ------------------------------------------------------------- */

static void part_path(const teai_kl_base *b, char *out, size_t cap) {
    snprintf(out, cap, "%s.part", b->path);
}

int teai_kl_base_create(const char *path, int n_ctx, int n_vocab, int n_chunk,
                        const int32_t *tokens, teai_kl_base *b, teai_error *err) {
    memset(b, 0, sizeof *b);
    if (!little_endian())
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: base files are written on little-endian hosts only", path);
    if (n_ctx < 3 || n_ctx > MAX_CTX || n_vocab < 1 || n_vocab > MAX_VOCAB || n_chunk < 1)
        return teai__fail(err, TEAI_EINVAL, "%s: bad sizes for a base file", path);
    if (strlen(path) + 6 > sizeof b->path)
        return teai__fail(err, TEAI_EINVAL, "%s: path too long", path);
    snprintf(b->path, sizeof b->path, "%s", path);
    char part[sizeof b->path + 8];
    part_path(b, part, sizeof part);
    b->f = fopen(part, "w+b");
    if (!b->f) return teai__fail(err, TEAI_EIO, "%s: cannot create: %s", part, strerror(errno));
    b->n_ctx = n_ctx, b->n_vocab = n_vocab, b->n_chunk = n_chunk, b->writing = 1;
    b->rows_offset = HEADER_BYTES + 4 * (int64_t)n_ctx * n_chunk;
    uint8_t h[HEADER_BYTES];
    memcpy(h, LLAMA_MAGIC, 8);
    put_u32(h + 8, (uint32_t)n_ctx);
    put_u32(h + 12, (uint32_t)n_vocab);
    put_u32(h + 16, (uint32_t)n_chunk);
    size_t nt = (size_t)n_ctx * (size_t)n_chunk;
    if (fwrite(h, 1, sizeof h, b->f) != sizeof h || fwrite(tokens, 4, nt, b->f) != nt) {
        int e = errno;
        teai_kl_base_close(b);
        remove(part);
        return teai__fail(err, TEAI_EIO, "%s: write: %s", part, strerror(e));
    }
    return TEAI_OK;
}

int teai_kl_base_write_rows(teai_kl_base *b, const uint16_t *rows, int64_t n_rows,
                            teai_error *err) {
    size_t n = (size_t)n_rows * (size_t)teai_kl_row_units(b->n_vocab);
    if (fwrite(rows, sizeof(uint16_t), n, b->f) != n)
        return teai__fail(err, TEAI_EIO, "%s.part: write: %s", b->path, strerror(errno));
    return TEAI_OK;
}

/* Moves the rows of n_done chunks down to follow n_done chunks of tokens. */
static int shrink(teai_kl_base *b, int n_done) {
    int64_t src = b->rows_offset, dst = HEADER_BYTES + 4 * (int64_t)b->n_ctx * n_done;
    int64_t left = chunk_bytes(b->n_ctx, b->n_vocab) * n_done;
    uint8_t h[4];
    put_u32(h, (uint32_t)n_done);
    if (fseeko(b->f, 16, SEEK_SET) != 0 || fwrite(h, 1, 4, b->f) != 4) return -1;
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) return -1;
    while (left > 0) {
        size_t n = left < (int64_t)cap ? (size_t)left : cap;
        if (fseeko(b->f, src, SEEK_SET) != 0 || fread(buf, 1, n, b->f) != n ||
            fseeko(b->f, dst, SEEK_SET) != 0 || fwrite(buf, 1, n, b->f) != n) {
            free(buf);
            return -1;
        }
        src += (int64_t)n, dst += (int64_t)n, left -= (int64_t)n;
    }
    free(buf);
    if (fflush(b->f) != 0 || ftruncate(fileno(b->f), (off_t)dst) != 0) return -1;
    return fseeko(b->f, dst, SEEK_SET);
}

int teai_kl_base_finish(teai_kl_base *b, int n_done, const char *meta, teai_error *err) {
    char part[sizeof b->path + 8];
    part_path(b, part, sizeof part);
    int rc = TEAI_OK;
    size_t len = meta ? strlen(meta) : 0;
    uint8_t t[12];
    put_u32(t, (uint32_t)len);
    memcpy(t + 4, TEAI_MAGIC, 8);
    if (n_done < 1 || n_done > b->n_chunk || len > MAX_META)
        rc = teai__fail(err, TEAI_EINVAL, "%s: nothing to write", b->path);
    else if ((n_done < b->n_chunk && shrink(b, n_done) != 0) ||
             (len && fwrite(meta, 1, len, b->f) != len) || fwrite(t, 1, 12, b->f) != 12 ||
             fflush(b->f) != 0)
        rc = teai__fail(err, TEAI_EIO, "%s: write: %s", part, strerror(errno));
    if (fclose(b->f) != 0 && rc == TEAI_OK)
        rc = teai__fail(err, TEAI_EIO, "%s: write: %s", part, strerror(errno));
    b->f = NULL;
    if (rc == TEAI_OK && rename(part, b->path) != 0)
        rc = teai__fail(err, TEAI_EIO, "%s: cannot rename to %s: %s", part, b->path,
                        strerror(errno));
    if (rc != TEAI_OK) remove(part);
    teai_kl_base_close(b);
    return rc;
}

void teai_kl_base_abort(teai_kl_base *b) {
    if (!b || !b->writing) {
        teai_kl_base_close(b);
        return;
    }
    char part[sizeof b->path + 8];
    part_path(b, part, sizeof part);
    teai_kl_base_close(b);
    remove(part);
}
