/* teai's base library: what every other part of teai builds on. Status
 * codes and errors (teai__fail), growable buffers, files (mapping, reading,
 * mkdir -p, the one atomic write), UTF-8 checking and repair, the one JSON
 * string writer, the clock, the CPU count and the note callback. It depends
 * on nothing else in teai (docs/architecture.md). Not part of the public API. */
#ifndef TEAI_BASE_H
#define TEAI_BASE_H

#include "teai/status.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* Monotonic clock in nanoseconds. */
uint64_t teai__now_ns(void);
/* Number of online CPUs (>= 1). */
int teai__n_cpus(void);

/* FNV-1a (64-bit) of n bytes: for hash tables, not for integrity. */
uint64_t teai__fnv1a(const void *data, size_t n);

/* 1 when s[0..n) is well-formed UTF-8 (teai__utf8_seq over the whole). */
int teai__utf8_valid(const char *s, size_t n);

/* Appends s[0..n) to b for a log line or a terminal: well-formed printable
 * UTF-8 is copied; control characters (C0, DEL, C1 U+0080..U+009F) and
 * bytes that are not well-formed UTF-8 become \xHH (the code point's value
 * for C1), and '\\' becomes "\\\\", so what a client or a file sent can
 * neither end the line (a forged log line) nor drive the terminal (ESC
 * sequences). TEAI_ENOMEM. */
int teai__escape_ctl(teai_buf *b, const char *s, size_t n);
/* The same into out[cap] (NUL-terminated; cut at a whole escape, with "..."
 * when s did not fit); s may be NULL (""). Returns out. */
const char *teai__escape_ctl_str(char *out, size_t cap, const char *s);

/* Appends s[0..n) to b as one JSON string, quotes included: made well-formed
 * UTF-8 first (teai__utf8_sanitize; *n_bad, may be NULL, gets the U+FFFD
 * replacements), then '"' and '\\' escaped, \n \r \t as such and the other
 * control characters (NUL included) as \u00XX. TEAI_ENOMEM. */
int teai__json_str(teai_buf *b, const char *s, size_t n, size_t *n_bad);

/* ---- the one atomic write ----------------------------------------------
 * A file appears whole or not at all: it is written to a temporary file
 * beside the target ("<path>.tmp.<pid>.<n>", created exclusively), flushed,
 * fsync'd and renamed over the target. Errors name the target and the
 * system's reason ("out.csv: write: No space left on device"). */
typedef struct teai__atomic_file {
    FILE *f;   /* write here (or to fileno(f)) between open and commit */
    char *tmp; /* the temporary file's path */
    char *path;
} teai__atomic_file;

/* Creates the temporary file for path. TEAI_EIO, TEAI_ENOMEM. */
int teai__atomic_open(teai__atomic_file *af, const char *path, teai_error *err);
/* Flushes, syncs and closes the file, then renames it over path; a write error
 * seen on f, or one on the way, removes the temporary file and returns
 * TEAI_EIO. af is released either way. */
int teai__atomic_commit(teai__atomic_file *af, teai_error *err);
/* Closes and removes the temporary file; the target stays as it was. */
void teai__atomic_abort(teai__atomic_file *af);
/* The whole of data[0..len) to path, atomically. */
int teai__write_file_atomic(const char *path, const void *data, size_t len, teai_error *err);

/* ---- notes ----------------------------------------------------------------
 * Called with one-line notes ("x.txt:12: bad JSON, skipped", "y.txt: unknown
 * log dialect, skipped", "wrote DIR/native.csv (1234 rows from 3 logs)"). */
typedef void (*teai_note_fn)(void *ud, const char *line);

/* Formats one note and passes it to fn (nothing when fn is NULL). */
void teai__notef(teai_note_fn fn, void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
