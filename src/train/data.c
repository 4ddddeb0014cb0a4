/* Reading, splitting and tokenizing the training text; batches. */
#include "data.h"

#include "base/base.h"
#include "sys/sys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Text files past this are refused: the tokens of a file are held in memory
 * (4 bytes per byte in the worst case). */
#define DATA_MAX_BYTES ((size_t)2 << 30)

size_t teai__data_split_at(const char *text, size_t n, double holdout) {
    if (holdout <= 0 || n == 0) return n;
    if (holdout >= 1) return 0;
    size_t cut = n - (size_t)((double)n * holdout);
    if (cut >= n) return n;
    /* forward to the start of the next line, if the held-out part has one
     * whose start is not the very end */
    for (size_t i = cut; i < n; i++)
        if (text[i] == '\n' && i + 1 < n) return i + 1;
    /* no line break after the cut: back to one before it, else a UTF-8 boundary */
    for (size_t i = cut; i > 0; i--)
        if (text[i - 1] == '\n') return i;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--;
    return cut;
}

int teai__data_read(const char *const *paths, int n, double holdout, teai__tdata *d,
                    teai_error *err) {
    return teai__data_read_split(paths, n, NULL, 0, holdout, d, err);
}

int teai__data_read_split(const char *const *paths, int n, const char *const *held, int n_held,
                          double holdout, teai__tdata *d, teai_error *err) {
    memset(d, 0, sizeof *d);
    if (n <= 0) return teai__fail(err, TEAI_EINVAL, "no training text given");
    if (n_held < 0) n_held = 0;
    d->files = calloc((size_t)(n + n_held), sizeof *d->files);
    if (!d->files) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    d->n_files = n + n_held;
    for (int i = 0; i < n + n_held; i++) {
        teai__tfile *f = &d->files[i];
        f->heldout = i >= n;
        f->path = f->heldout ? held[i - n] : paths[i];
        struct stat st;
        if (stat(f->path, &st) != 0)
            return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", f->path,
                              strerror(errno));
        if (S_ISDIR(st.st_mode))
            return teai__fail(err, TEAI_EFORMAT, "%s: is a directory, not a text file", f->path);
        int rc = teai__read_file(f->path, DATA_MAX_BYTES, &f->text, &f->bytes, err);
        if (rc) return rc;
        if (f->bytes == 0) return teai__fail(err, TEAI_EFORMAT, "%s: empty file", f->path);
        if (!teai__utf8_valid(f->text, f->bytes)) {
            size_t at = 0;
            while (at < f->bytes) {
                size_t k = teai__utf8_seq((const unsigned char *)f->text + at, f->bytes - at);
                if (!k) break;
                at += k;
            }
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: not UTF-8 text (bad byte 0x%02x at offset %zu)", f->path,
                              (unsigned char)f->text[at], at);
        }
        teai_sha256_hex(f->text, f->bytes, f->sha256);
        f->train_len = f->heldout ? 0
                       : n_held   ? f->bytes
                                  : teai__data_split_at(f->text, f->bytes, holdout);
        d->held_bytes += (int64_t)(f->bytes - f->train_len);
    }
    return TEAI_OK;
}

/* Appends the tokens of text[0..len) to *ids (count *n, capacity *cap). */
static int tokenize_into(const teai_tokenizer *tok, const char *path, const char *text, size_t len,
                         int32_t **ids, int64_t *n, int64_t *cap, teai_error *err) {
    if (len == 0) return TEAI_OK;
    if (len >= (size_t)INT32_MAX - 1)
        return teai__fail(err, TEAI_ERANGE, "%s: too large to tokenize at once", path);
    /* byte-level BPE: at most one token per byte; others retry with the count */
    int want = (int)len + 1;
    for (int tries = 0; tries < 2; tries++) {
        if (*n + want > *cap) {
            int64_t nc = *cap ? *cap : 4096;
            while (nc < *n + want) nc *= 2;
            int32_t *p = realloc(*ids, (size_t)nc * sizeof **ids);
            if (!p) return teai__fail(err, TEAI_ENOMEM, "out of memory tokenizing %s", path);
            *ids = p, *cap = nc;
        }
        int got = 0;
        int rc = teai_tokenize(tok, text, len, 0, 0, *ids + *n, want, &got);
        if (rc == TEAI_OK) {
            *n += got;
            return TEAI_OK;
        }
        if (rc != TEAI_ERANGE) return teai__fail(err, rc, "%s: tokenizing failed", path);
        want = got;
    }
    return teai__fail(err, TEAI_ERANGE, "%s: tokenizing failed", path);
}

int teai__data_tokenize(teai__tdata *d, const teai_tokenizer *tok, teai_error *err) {
    int64_t cap_t = 0, cap_h = 0;
    free(d->train), free(d->held);
    d->train = d->held = NULL;
    d->n_train = d->n_held = 0;
    for (int i = 0; i < d->n_files; i++) {
        teai__tfile *f = &d->files[i];
        int rc =
            tokenize_into(tok, f->path, f->text, f->train_len, &d->train, &d->n_train, &cap_t, err);
        if (!rc)
            rc = tokenize_into(tok, f->path, f->text + f->train_len, f->bytes - f->train_len,
                               &d->held, &d->n_held, &cap_h, err);
        if (rc) return rc;
    }
    return TEAI_OK;
}

void teai__data_free(teai__tdata *d) {
    for (int i = 0; i < d->n_files; i++) free(d->files[i].text);
    free(d->files);
    free(d->train);
    free(d->held);
    memset(d, 0, sizeof *d);
}

uint64_t teai__splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void teai__data_batch(const teai__tdata *d, uint64_t seed, int64_t step, int B, int T,
                      int32_t *out) {
    /* a stream of its own per step: the seed mixed, then the step mixed in */
    uint64_t s = seed ^ 0x7EA1u;
    uint64_t k = teai__splitmix64(&s) ^ (uint64_t)step;
    uint64_t st = teai__splitmix64(&k);
    uint64_t range = (uint64_t)(d->n_train - T); /* offsets 0 .. n_train-(T+1) */
    for (int b = 0; b < B; b++) {
        uint64_t off = teai__splitmix64(&st) % range;
        memcpy(out + (size_t)b * (size_t)(T + 1), d->train + off, (size_t)(T + 1) * sizeof *out);
    }
}

int64_t teai__data_held_offset(const teai__tdata *d, int i, int n_windows, int T) {
    int64_t last = d->n_held - (T + 1);
    if (n_windows <= 1 || last <= 0) return 0;
    return (int64_t)((double)last * (double)i / (double)(n_windows - 1) + 0.5);
}
