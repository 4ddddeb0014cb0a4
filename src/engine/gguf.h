/* GGUF v2/v3 reader (mmap, tensors used in place) and streaming writer.
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md */
#ifndef TEAI_GGUF_H
#define TEAI_GGUF_H

#include "teai/engine.h"

#include <stdint.h>

typedef enum teai_gguf_vtype {
    TEAI_GGUF_UINT8 = 0,
    TEAI_GGUF_INT8 = 1,
    TEAI_GGUF_UINT16 = 2,
    TEAI_GGUF_INT16 = 3,
    TEAI_GGUF_UINT32 = 4,
    TEAI_GGUF_INT32 = 5,
    TEAI_GGUF_FLOAT32 = 6,
    TEAI_GGUF_BOOL = 7,
    TEAI_GGUF_STRING = 8,
    TEAI_GGUF_ARRAY = 9,
    TEAI_GGUF_UINT64 = 10,
    TEAI_GGUF_INT64 = 11,
    TEAI_GGUF_FLOAT64 = 12
} teai_gguf_vtype;

/* A string inside the mapping: NOT NUL-terminated. */
typedef struct teai_gguf_str {
    const char *ptr;
    uint64_t len;
} teai_gguf_str;

typedef struct teai_gguf_kv {
    char *key; /* NUL-terminated copy */
    teai_gguf_vtype type;
    /* scalars (type != ARRAY) */
    union {
        uint64_t u;
        int64_t i;
        double f;
        teai_gguf_str s;
    } v;
    /* arrays (type == ARRAY) */
    teai_gguf_vtype arr_type;
    uint64_t arr_n;
    const uint8_t *arr_data; /* numeric arrays: packed elements in the mapping (unaligned) */
    teai_gguf_str *arr_strs; /* string arrays: arr_n entries (allocated) */
} teai_gguf_kv;

typedef struct teai_gguf_tensor {
    char *name;    /* NUL-terminated copy */
    uint32_t type; /* teai_type number as stored (may be unknown to teai) */
    int n_dims;
    int64_t ne[4];    /* ne[0] = elements per row (contiguous), unused dims = 1 */
    uint64_t offset;  /* from the start of the data section */
    const void *data; /* in the mapping; NULL for unknown types */
    uint64_t nbytes;
} teai_gguf_tensor;

typedef struct teai_gguf teai_gguf;

/* Opens and validates a GGUF file: every key, every tensor's type, shape,
 * offset and size are checked against the file. Free with teai_gguf_close(). */
int teai_gguf_open(const char *path, teai_gguf **out, teai_error *err);
/* populate 0: tensor pages are read on first touch, not at open (a model
 * converted at load, whose file pages are dropped as they are converted). */
int teai_gguf_open_ex(const char *path, int populate, teai_gguf **out, teai_error *err);
/* Same, over a caller-owned memory buffer that must outlive the object. */
int teai_gguf_open_mem(const void *data, size_t size, const char *name, teai_gguf **out,
                       teai_error *err);
void teai_gguf_close(teai_gguf *g);

uint32_t teai_gguf_version(const teai_gguf *g);
const char *teai_gguf_path(const teai_gguf *g);
uint64_t teai_gguf_alignment(const teai_gguf *g);
uint64_t teai_gguf_file_size(const teai_gguf *g);

int64_t teai_gguf_n_kv(const teai_gguf *g);
const teai_gguf_kv *teai_gguf_kv_at(const teai_gguf *g, int64_t i);
const teai_gguf_kv *teai_gguf_get(const teai_gguf *g, const char *key); /* NULL if absent */

/* Typed access; each returns TEAI_OK, or TEAI_EFORMAT when kv is NULL or of
 * another kind. Integers accept any integer or bool type; floats any number. */
int teai_gguf_kv_int(const teai_gguf_kv *kv, int64_t *out);
int teai_gguf_kv_float(const teai_gguf_kv *kv, double *out);
int teai_gguf_kv_str(const teai_gguf_kv *kv, teai_gguf_str *out);
/* Array elements (i < arr_n, numeric arrays). */
int64_t teai_gguf_arr_int(const teai_gguf_kv *kv, uint64_t i);
double teai_gguf_arr_float(const teai_gguf_kv *kv, uint64_t i);
/* Convenience: a NUL-terminated copy of a string key into buf, or "" when absent. */
const char *teai_gguf_get_str(const teai_gguf *g, const char *key, char *buf, size_t cap);
/* Convenience: integer/float value of a key, or def when absent or not numeric. */
int64_t teai_gguf_get_int(const teai_gguf *g, const char *key, int64_t def);
double teai_gguf_get_float(const teai_gguf *g, const char *key, double def);

int64_t teai_gguf_n_tensors(const teai_gguf *g);
const teai_gguf_tensor *teai_gguf_tensor_at(const teai_gguf *g, int64_t i);
const teai_gguf_tensor *teai_gguf_find_tensor(const teai_gguf *g, const char *name);

const char *teai_gguf_vtype_name(teai_gguf_vtype t);
/* Bytes of one scalar of type t; 0 for STRING, ARRAY and unknown types. */
uint64_t teai__gguf_vtype_size(teai_gguf_vtype t);

/* ---- writer ----------------------------------------------------------
 * Streaming: set keys and declare tensors, then begin() writes the header,
 * write_data() streams the tensors' bytes in declaration order (in pieces of
 * any size; padding between tensors is added by the writer), and finish() pads, flushes and renames
 * the temporary file into place. Any failure leaves no file at the destination. */

typedef struct teai_gguf_writer teai_gguf_writer;

teai_gguf_writer *teai_gguf_writer_new(void);    /* NULL on out of memory */
void teai_gguf_writer_free(teai_gguf_writer *w); /* also removes an unfinished temp file */

int teai_gguf_writer_set_u32(teai_gguf_writer *w, const char *key, uint32_t v);
int teai_gguf_writer_set_i32(teai_gguf_writer *w, const char *key, int32_t v);
int teai_gguf_writer_set_f32(teai_gguf_writer *w, const char *key, float v);
int teai_gguf_writer_set_bool(teai_gguf_writer *w, const char *key, int v);
int teai_gguf_writer_set_str(teai_gguf_writer *w, const char *key, const char *v);
/* Numeric array of n elements of type t, packed. */
int teai_gguf_writer_set_arr(teai_gguf_writer *w, const char *key, teai_gguf_vtype t,
                             const void *data, uint64_t n);
int teai_gguf_writer_set_arr_str(teai_gguf_writer *w, const char *key, const teai_gguf_str *strs,
                                 uint64_t n);
/* Copies a key (any type) from a reader; replaces a key of the same name. */
int teai_gguf_writer_copy_kv(teai_gguf_writer *w, const teai_gguf_kv *kv);

int teai_gguf_writer_add_tensor(teai_gguf_writer *w, const char *name, teai_type type, int n_dims,
                                const int64_t *ne);
int teai_gguf_writer_begin(teai_gguf_writer *w, const char *path, teai_error *err);
int teai_gguf_writer_write_data(teai_gguf_writer *w, const void *data, uint64_t nbytes,
                                teai_error *err);
int teai_gguf_writer_finish(teai_gguf_writer *w, teai_error *err);

#endif
