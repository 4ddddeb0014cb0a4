/* Internal helpers shared by the engine: error reporting, file mapping,
 * growable buffers, fp16/bf16 conversion. Not part of the public API. */
#ifndef TEAI_UTIL_H
#define TEAI_UTIL_H

#include "teai/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sets err (when non-NULL) to status and a printf-style message; returns status. */
int teai__fail(teai_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A read-only mapping of a whole file. */
typedef struct teai__map {
    const uint8_t *data;
    size_t size;
} teai__map;

int teai__map_file(const char *path, teai__map *map, teai_error *err);
/* As teai__map_file; populate 0 maps pages in on first touch (a file that is
 * converted piece by piece and then dropped: teai__drop_pages). */
int teai__map_file_ex(const char *path, int populate, teai__map *map, teai_error *err);
/* Length of the well-formed UTF-8 sequence at s (n bytes left: no overlongs,
 * surrogates or code points past U+10FFFF), 0 if there is none. */
size_t teai__utf8_seq(const unsigned char *s, size_t n);
/* Where s[0..n) is not well-formed (teai__utf8_seq 0): the bytes one U+FFFD
 * replaces, i.e. the maximal subpart of an ill-formed sequence (Unicode 3.9,
 * as Python's "replace" and WHATWG decoders do): a lead byte and the
 * continuation bytes that could still complete it, or 1. *cut (may be NULL)
 * is 1 when those bytes run to the end of s: a sequence cut short, which more
 * bytes could complete. */
size_t teai__utf8_bad_len(const unsigned char *s, size_t n, int *cut);
/* Creates dir and its missing parents (mkdir -p). TEAI_EIO names the part
 * that could not be made or is not a directory. */
int teai__mkdirs(const char *dir, teai_error *err);
/* Gives the whole pages inside [p, p + n) of a read-only file mapping back to
 * the kernel (they stay in the page cache): the resident set shrinks. */
void teai__drop_pages(const void *p, size_t n);
void teai__unmap(teai__map *map);

/* Reads a whole file into a NUL-terminated malloc'd buffer of at most max_bytes.
 * The caller frees *out. */
int teai__read_file(const char *path, size_t max_bytes, char **out, size_t *len, teai_error *err);

/* Growable byte buffer with a size cap (curl's dynbuf). */
typedef struct teai_buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    size_t max; /* hard limit; 0 = 1 GiB */
} teai_buf;

void teai_buf_init(teai_buf *b, size_t max);
int teai_buf_add(teai_buf *b, const void *data, size_t n); /* TEAI_ENOMEM past max */
int teai_buf_addstr(teai_buf *b, const char *s);
int teai_buf_printf(teai_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void teai_buf_free(teai_buf *b);

/* Appends s[0..n) to b as well-formed UTF-8: each ill-formed part
 * (teai__utf8_bad_len bytes: overlongs, surrogates, stray or cut-short
 * sequences, bytes past U+10FFFF) becomes one U+FFFD; everything else, NULs
 * included, is copied. *n_bad (may be NULL) gets the replacements made. The
 * one sanitizer for every text teai writes into a file meant to be read as
 * UTF-8 (CSV, JSON). TEAI_ENOMEM. */
int teai__utf8_sanitize(teai_buf *b, const char *s, size_t n, size_t *n_bad);

/* Overflow-checked size arithmetic: returns 0 on overflow. */
static inline int teai__mul_ok(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* IEEE half and bfloat16 conversions (round to nearest even). */
float teai__fp16_to_f32(uint16_t h);
uint16_t teai__f32_to_fp16(float f);
static inline float teai__bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
uint16_t teai__f32_to_bf16(float f);

/* Monotonic clock in nanoseconds. */
uint64_t teai__now_ns(void);
/* Number of online CPUs (>= 1). */
int teai__n_cpus(void);

#endif
