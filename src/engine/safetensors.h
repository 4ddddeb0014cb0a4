/* safetensors reader (mmap, tensors used in place) and streaming writer.
 *
 * Format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON
 *   {"__metadata__": {"format": "pt"},
 *    "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 * (padded with spaces), then the data section; offsets are relative to its start.
 * Shapes are row-major, outermost first (PyTorch order): a Linear weight of
 * out x in features is shape [out, in], in contiguous.
 *
 * A model may be one file, or shards listed by model.safetensors.index.json
 * ({"weight_map": {"<tensor>": "<shard file>"}}); teai_st_open takes either,
 * or a folder holding one of them. The reader needs cJSON: built without it,
 * every open returns TEAI_EUNSUPPORTED. The writer does not. */
#ifndef TEAI_SAFETENSORS_H
#define TEAI_SAFETENSORS_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

#define TEAI_ST_MAX_DIMS 8

typedef struct teai_st_tensor {
    char *name;
    char dtype[8];                   /* "F32", "F16", "BF16", "I8", ... as in the file */
    int n_dims;                      /* 0 for a scalar */
    int64_t shape[TEAI_ST_MAX_DIMS]; /* outermost first; unused entries 0 */
    const void *data;                /* in the mapping; may be unaligned for the dtype */
    uint64_t nbytes;                 /* elements * dtype size */
    const char *file;                /* path of the file holding it (owned by the teai_st) */
    uint64_t file_offset;            /* byte offset of data within that file */
} teai_st_tensor;

typedef struct teai_st teai_st;

/* Opens and validates a .safetensors file, a model.safetensors.index.json with
 * its shards, or a folder holding model.safetensors.index.json or
 * model.safetensors. Every header, dtype, shape and offset is checked against
 * the file before this returns. Errors: TEAI_ENOTFOUND (file, shard or folder
 * contents missing), TEAI_EFORMAT (malformed), TEAI_EUNSUPPORTED (a dtype teai
 * cannot hold, more than TEAI_ST_MAX_DIMS dims, built without cJSON),
 * TEAI_EIO, TEAI_ENOMEM. Free with teai_st_close(). */
int teai_st_open(const char *path, teai_st **out, teai_error *err);
/* One file's bytes from a caller-owned buffer that must outlive the object;
 * name is used in messages and as the tensors' file. */
int teai_st_open_mem(const void *data, size_t size, const char *name, teai_st **out,
                     teai_error *err);
void teai_st_close(teai_st *st); /* NULL is a no-op */

/* Tensors in file order (shards sorted by name, then by data offset). */
int64_t teai_st_n_tensors(const teai_st *st);
const teai_st_tensor *teai_st_tensor_at(const teai_st *st, int64_t i);   /* NULL out of range */
const teai_st_tensor *teai_st_find(const teai_st *st, const char *name); /* NULL if absent */
/* "__metadata__" of the first file: value of key, or NULL. Owned by st. */
const char *teai_st_metadata(const teai_st *st, const char *key);
int64_t teai_st_n_files(const teai_st *st); /* 1, or the number of shards */

/* Bytes per element of a safetensors dtype name, or 0 if teai cannot hold it. */
size_t teai_st_dtype_size(const char *dtype);
/* TEAI_TYPE_F32 / F16 / BF16 for "F32" / "F16" / "BF16", else -1. */
int teai_st_dtype_to_type(const char *dtype);
/* "F32" / "F16" / "BF16" for those teai types, else NULL. */
const char *teai_st_type_to_dtype(teai_type t);

/* ---- writer ----------------------------------------------------------
 * Streaming: declare tensors and metadata, then begin() writes the header into
 * a temporary file next to path, write_data() appends the data section in
 * declaration order (once per tensor with exactly its bytes, or in smaller
 * pieces), and finish() checks every declared byte arrived, syncs and renames
 * the file into place. Any failure, or free() before finish(), leaves no file
 * at path and removes the temporary one. */

typedef struct teai_st_writer teai_st_writer;

teai_st_writer *teai_st_writer_new(void);    /* NULL on out of memory */
void teai_st_writer_free(teai_st_writer *w); /* NULL is a no-op */

/* "__metadata__" entry, e.g. ("format", "pt"); replaces an earlier value. */
int teai_st_writer_set_metadata(teai_st_writer *w, const char *key, const char *value);
/* Declares the next tensor. TEAI_EINVAL for an unknown dtype, a name used
 * twice or "__metadata__", n_dims outside 0..TEAI_ST_MAX_DIMS, a negative dim,
 * or a call after begin(); TEAI_ERANGE if its size overflows. */
int teai_st_writer_add_tensor(teai_st_writer *w, const char *name, const char *dtype, int n_dims,
                              const int64_t *shape, teai_error *err);
/* Bytes of the data section declared so far. */
uint64_t teai_st_writer_data_size(const teai_st_writer *w);
int teai_st_writer_begin(teai_st_writer *w, const char *path, teai_error *err);
int teai_st_writer_write_data(teai_st_writer *w, const void *data, uint64_t nbytes,
                              teai_error *err);
int teai_st_writer_finish(teai_st_writer *w, teai_error *err);

/* Writes model.safetensors.index.json at path for n tensors: names[i] lives in
 * shard files[i] (a file name next to the index). total_size is the bytes of
 * all tensor data. Entries are written sorted by name, as transformers does. */
int teai_st_write_index(const char *path, int64_t n, const char *const *names,
                        const char *const *files, uint64_t total_size, teai_error *err);

#endif
