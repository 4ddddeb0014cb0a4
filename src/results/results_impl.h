/* Internals of the results module, shared by its files; not part of the API.
 *
 *   encode.c        numbers (shortest round trip), UTF-8 checks, hex, JSON strings
 *   log_prefix.c    file-name prefixes and CSV names
 *   log_write.c     the teai log writer
 *   rows.c          teai_log_rows: the cells of one log's CSV rows and samples.csv rows
 *   log_read.c      header parsing, dialect detection, entry points
 *   log_header.c    a log's header and how it ended, without reading its body
 *   read_teai.c     the teai-log dialect
 *   read_tinygrad.c the seed's tinygrad text logs
 *   read_llamabench.c the seed's llama-bench JSONL logs (and raw llama-bench lines)
 *   read_mlc.c      the seed's MLC logs
 *   csv.c           RFC 4180 output (valid UTF-8, also for accuracy.csv)
 *   collate.c       a directory of logs -> one CSV per backend, and samples.csv */
#ifndef TEAI_RESULTS_IMPL_H
#define TEAI_RESULTS_IMPL_H

#include "base/base.h"
#include "results/results.h"

#include <stddef.h>
#include <stdint.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* ---- encode.c ------------------------------------------------------------ */

/* Longest text teai__fmt_num writes, NUL included ("-1.2345678901234567e-308"). */
#define TEAI__NUM_MAX 32

/* The shortest decimal ("%.<p>g", p = 1..17) that reads back as exactly v,
 * like Python's repr without its ".0": 44.77, 1e-05, 41.545492314083922 ->
 * "41.54549231408392". Deterministic for a given double. Returns the length;
 * 0 (and "") for NAN and infinities, which are unknown values. */
size_t teai__fmt_num(char out[TEAI__NUM_MAX], double v);
/* Appends lowercase hex of s[0..n). */
int teai__hex_encode(teai_buf *b, const char *s, size_t n);
/* Decodes hex (even length, [0-9a-fA-F]) into b; TEAI_EFORMAT when malformed. */
int teai__hex_decode(teai_buf *b, const char *s, size_t n);

/* ---- rows.c -------------------------------------------------------------- */

typedef struct teai__cell {
    uint32_t off, len; /* into the arena; len 0 = empty */
} teai__cell;

struct teai_log_rows {
    teai_buf arena;    /* cell bytes, each followed by a NUL; offset 0 is "" */
    teai__cell *cells; /* n_rows * TEAI_CSV_N_COLS */
    long long *keys;   /* 3 per row: repetition, step, order of creation */
    long n_rows, cap_rows;
    teai__cell meta[TEAI_CSV_N_COLS]; /* log-level cells; finish puts them in empty cells */
    teai__cell *samples;              /* n_samples * TEAI_SAMPLE_N_COLS: samples.csv rows */
    long n_samples, cap_samples;
    char csv[64];
    char format[32];
    int n_bad_lines;
};

/* Row index used to address the log-level (meta) cells. */
#define TEAI__META (-1L)

teai_log_rows *teai__rows_new(void);
/* A new empty row; its index, or -1 when out of memory. */
long teai__rows_add(teai_log_rows *r, long long rep, long long step);
/* Cell setters (row TEAI__META: the log-level cell). Setting again replaces.
 * setnum leaves the cell empty for NAN/inf. */
int teai__rows_set(teai_log_rows *r, long row, int col, const char *s, size_t n);
int teai__rows_setstr(teai_log_rows *r, long row, int col, const char *s);
int teai__rows_setnum(teai_log_rows *r, long row, int col, double v);
int teai__rows_setint(teai_log_rows *r, long row, int col, long long v);
/* 1 if the cell holds something. */
int teai__rows_has(const teai_log_rows *r, long row, int col);
/* A new empty samples.csv row; its index, or -1 when out of memory. */
long teai__sample_add(teai_log_rows *r);
/* Its cells (as teai__rows_set*, for samples.csv's columns). */
int teai__sample_set(teai_log_rows *r, long row, int col, const char *s, size_t n);
int teai__sample_setnum(teai_log_rows *r, long row, int col, double v);
int teai__sample_setint(teai_log_rows *r, long row, int col, long long v);
/* Fills empty cells of every row from the meta cells, then sorts the rows by
 * (repetition, step, creation order); fills the samples' identity columns
 * from the meta cells of the same names. */
int teai__rows_finish(teai_log_rows *r);

/* ---- log_read.c: what every dialect reader gets ------------------------- */

#define TEAI__MAX_HDR 128

typedef struct teai__hdr {
    const char *key, *val; /* into the log's bytes */
    size_t klen, vlen;
} teai__hdr;

typedef struct teai__line {
    const char *p; /* the line, without "\n" or a final "\r" */
    size_t n;
    int no;         /* 1-based line number */
    int terminated; /* 0 for a last line without "\n" (cut short?) */
} teai__line;

typedef struct teai__reader {
    const char *data; /* the whole log */
    size_t len;
    const char *name; /* file name, for notes and the log_file column */
    teai_note_fn note;
    void *ud;
    teai_log_rows *rows;
    teai__hdr hdr[TEAI__MAX_HDR];
    int n_hdr;
    size_t body;   /* offset of the first line after the header */
    int body_line; /* its line number */
} teai__reader;

/* Fills rd->hdr, n_hdr, body and body_line from rd->data: the leading
 * "key: value" lines, up to the first other line or one cut short (or just
 * after a "format" line, which ends a teai log's header). */
void teai__parse_header(teai__reader *rd);
/* Next line from *pos (advanced); 0 at the end. */
int teai__next_line(const teai__reader *rd, size_t *pos, int *line_no, teai__line *ln);
/* The line without leading and trailing blanks (spaces, tabs, CR). */
void teai__trim(const char **p, size_t *n);
/* 1 if the n bytes at p start with the string s. */
int teai__starts(const char *p, size_t n, const char *s);
/* The header value of key (NULL when absent; the last one when repeated). */
const char *teai__hdr_get(const teai__reader *rd, const char *key, size_t *len);
/* A note "name:line: ..." (line 0: "name: ..."). */
void teai__note(const teai__reader *rd, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Counts a skipped line and notes why. */
void teai__bad_line(const teai__reader *rd, const teai__line *ln, const char *why);
/* Puts the header's fields into the log-level cells; for the seed's logs
 * (prefix: the file-name prefix of the dialect) the fields that form the file
 * name are taken from it when the header lacks them. */
int teai__apply_header(teai__reader *rd, const char *name_prefix);

/* Scans "pattern" over the n bytes at p: ' ' matches blanks (any number), '#'
 * a decimal number ("12", "12.5", ".5"), anything else itself. Numbers go to
 * nums (at most max). Returns how many numbers were read, or -1 when the text
 * does not match; bytes after the pattern are allowed. */
int teai__scan(const char *p, size_t n, const char *pattern, double *nums, int max);

/* ---- the dialect readers: TEAI_OK, TEAI_ENOMEM (or TEAI_EUNSUPPORTED) ------ */

int teai__read_teai(teai__reader *rd, teai_error *err);
int teai__read_tinygrad(teai__reader *rd, teai_error *err);
int teai__read_llamabench(teai__reader *rd, teai_error *err);
int teai__read_mlc(teai__reader *rd, teai_error *err);

#if TEAI_HAVE_CJSON
/* Parses one line as a JSON object (NULL when it is not one). */
cJSON *teai__json_line(const char *p, size_t n);
/* Numbers of a JSON object: NAN (jnum) or 0 (jint, *ok = 0) when absent or
 * not a number; jint also when outside [lo, hi] or not an integer. */
double teai__jnum(const cJSON *o, const char *key);
long long teai__jint(const cJSON *o, const char *key, long long lo, long long hi, int *ok);
/* 1 if o looks like a llama-bench test result. */
int teai__is_llamabench(const cJSON *o);
/* The rows of one llama-bench test (repetition = index). */
int teai__llamabench_rows(teai__reader *rd, const cJSON *o, long long index);
#endif

/* ---- csv.c --------------------------------------------------------------- */

/* Appends one field (RFC 4180 quoting; ill-formed UTF-8 becomes U+FFFD). */
int teai__csv_field(teai_buf *b, const char *s, size_t n);
/* The header line, and the rows of one log, CRLF-terminated (RFC 4180). */
int teai__csv_header(teai_buf *b);
int teai__csv_rows(teai_buf *b, const teai_log_rows *r);
/* The same for samples.csv. */
int teai__csv_sample_header(teai_buf *b);
int teai__csv_sample_rows(teai_buf *b, const teai_log_rows *r);

#endif
