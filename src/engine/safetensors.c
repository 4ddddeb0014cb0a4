/* safetensors reader and streaming writer (see safetensors.h). */
#include "safetensors.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* The reference implementation refuses larger headers (HeaderTooLarge). */
#define ST_MAX_HEADER   100000000u
#define ST_MAX_INDEX    (64u << 20)
#define ST_INDEX_NAME   "model.safetensors.index.json"
#define ST_SINGLE_NAME  "model.safetensors"
#define ST_JSON_INT_MAX 9007199254740992.0 /* 2^53: larger JSON integers lose digits */

/* ---- dtypes ------------------------------------------------------------ */

static const struct {
    const char *name;
    size_t size;
} st_dtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
    {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
    {"F32", 4},  {"I64", 8}, {"U64", 8}, {"F64", 8},
};

size_t teai_st_dtype_size(const char *dtype) {
    if (!dtype) return 0;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (strcmp(st_dtypes[i].name, dtype) == 0) return st_dtypes[i].size;
    return 0;
}

int teai_st_dtype_to_type(const char *dtype) {
    if (!dtype) return -1;
    if (strcmp(dtype, "F32") == 0) return TEAI_TYPE_F32;
    if (strcmp(dtype, "F16") == 0) return TEAI_TYPE_F16;
    if (strcmp(dtype, "BF16") == 0) return TEAI_TYPE_BF16;
    return -1;
}

const char *teai_st_type_to_dtype(teai_type t) {
    switch (t) {
        case TEAI_TYPE_F32:
            return "F32";
        case TEAI_TYPE_F16:
            return "F16";
        case TEAI_TYPE_BF16:
            return "BF16";
        default:
            return NULL;
    }
}

/* A shard name from an index must stay inside the index's folder. */
static int shard_name_ok(const char *s) {
    if (!*s || s[0] == '/') return 0;
    for (const char *p = s; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        p += n + (slash ? 1 : 0);
        if (slash && !*p) return 0;
    }
    return 1;
}

/* elements * dtype size; 0 on overflow (a real size of 0 is reported via ok). */
static int tensor_nbytes(const int64_t *shape, int n_dims, size_t esize, uint64_t *out) {
    uint64_t n = 1;
    for (int i = 0; i < n_dims; i++)
        if (shape[i] < 0 || !teai__mul_ok(n, (uint64_t)shape[i], &n)) return 0;
    return teai__mul_ok(n, esize, out);
}

/* ---- reader ------------------------------------------------------------ */

typedef struct st_file {
    char *path;
    teai__map map; /* owned when map.data != NULL */
} st_file;

typedef struct st_kv {
    char *key, *value;
} st_kv;

struct teai_st {
    st_file *files;
    int64_t n_files;
    teai_st_tensor *tensors;
    int64_t n_tensors, cap_tensors;
    teai_st_tensor **by_name; /* sorted by name, for teai_st_find */
    st_kv *meta;
    int64_t n_meta;
};

void teai_st_close(teai_st *st) {
    if (!st) return;
    for (int64_t i = 0; i < st->n_files; i++) {
        teai__unmap(&st->files[i].map);
        free(st->files[i].path);
    }
    for (int64_t i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    for (int64_t i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->files);
    free(st->tensors);
    free(st->by_name);
    free(st->meta);
    free(st);
}

int64_t teai_st_n_tensors(const teai_st *st) {
    return st ? st->n_tensors : 0;
}

int64_t teai_st_n_files(const teai_st *st) {
    return st ? st->n_files : 0;
}

const teai_st_tensor *teai_st_tensor_at(const teai_st *st, int64_t i) {
    if (!st || i < 0 || i >= st->n_tensors) return NULL;
    return &st->tensors[i];
}

const teai_st_tensor *teai_st_find(const teai_st *st, const char *name) {
    if (!st || !name || !st->by_name) return NULL;
    int64_t lo = 0, hi = st->n_tensors;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->by_name[mid]->name, name);
        if (c == 0) return st->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *teai_st_metadata(const teai_st *st, const char *key) {
    if (!st || !key) return NULL;
    for (int64_t i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

#if TEAI_HAVE_CJSON

/* In the format, but packed below one byte per element: teai cannot hold them. */
static const char *const st_subbyte_dtypes[] = {"F4", "F6_E2M3", "F6_E3M2"};

/* "[2, 3]" into buf, for messages. */
static const char *shape_str(const int64_t *shape, int n_dims, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n_dims && k < cap; i++) {
        int w = snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "[", (long long)shape[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
    if (k < cap) snprintf(buf + k, cap - k, "%s", n_dims ? "]" : "[]");
    return buf;
}

static int json_u64(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= ST_JSON_INT_MAX)) return 0; /* also NaN */
    uint64_t u = (uint64_t)d;
    if ((double)u != d) return 0;
    *out = u;
    return 1;
}

static int cmp_tensor_offset(const void *a, const void *b) {
    const teai_st_tensor *x = a, *y = b;
    if (x->file_offset != y->file_offset) return x->file_offset < y->file_offset ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_tensor_name(const void *a, const void *b) {
    const teai_st_tensor *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int add_meta(teai_st *st, const char *file, const cJSON *meta, teai_error *err) {
    if (!cJSON_IsObject(meta))
        return teai__fail(err, TEAI_EFORMAT, "%s: __metadata__ is not an object", file);
    int n = cJSON_GetArraySize(meta);
    st->meta = calloc((size_t)n + 1, sizeof *st->meta);
    if (!st->meta) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", file);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, meta) {
        if (!cJSON_IsString(kv) || !kv->string)
            return teai__fail(err, TEAI_EFORMAT, "%s: __metadata__ value of %s is not a string",
                              file, kv->string ? kv->string : "?");
        st_kv *m = &st->meta[st->n_meta];
        m->key = strdup(kv->string);
        m->value = strdup(kv->valuestring);
        st->n_meta++;
        if (!m->key || !m->value) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", file);
    }
    return TEAI_OK;
}

/* Validates one tensor entry against a data section of dsize bytes at
 * data_start (file offset) and appends it. */
static int add_tensor_entry(teai_st *st, const st_file *sf, const cJSON *e, const uint8_t *base,
                            uint64_t data_start, uint64_t dsize, teai_error *err) {
    const char *file = sf->path, *name = e->string;
    if (!cJSON_IsObject(e))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: entry is not an object", file, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: missing dtype", file, name);
    size_t esize = teai_st_dtype_size(dt->valuestring);
    if (!esize) {
        for (size_t i = 0; i < sizeof st_subbyte_dtypes / sizeof *st_subbyte_dtypes; i++)
            if (strcmp(dt->valuestring, st_subbyte_dtypes[i]) == 0)
                return teai__fail(err, TEAI_EUNSUPPORTED,
                                  "%s: tensor %s: dtype %s is not supported", file, name,
                                  dt->valuestring);
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: unknown dtype \"%.16s\"", file, name,
                          dt->valuestring);
    }
    if (!cJSON_IsArray(sh))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: missing shape", file, name);
    int n_dims = cJSON_GetArraySize(sh);
    if (n_dims > TEAI_ST_MAX_DIMS)
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: tensor %s: %d dimensions (teai holds up to %d)", file, name, n_dims,
                          TEAI_ST_MAX_DIMS);
    int64_t shape[TEAI_ST_MAX_DIMS] = {0};
    int d = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, sh) {
        uint64_t u;
        if (!json_u64(v, &u))
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: tensor %s: shape[%d] is not a non-negative integer", file, name,
                              d);
        shape[d++] = (int64_t)u;
    }
    uint64_t begin, end;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !json_u64(off->child, &begin) ||
        !json_u64(off->child->next, &end))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: data_offsets must be [begin, end]",
                          file, name);
    if (begin > end)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: data_offsets begin %llu is after end %llu", file, name,
                          (unsigned long long)begin, (unsigned long long)end);
    if (end > dsize)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: data_offsets past end of file (end %llu, data section "
                          "%llu bytes)",
                          file, name, (unsigned long long)end, (unsigned long long)dsize);
    char sbuf[160];
    uint64_t nbytes;
    if (!tensor_nbytes(shape, n_dims, esize, &nbytes))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: shape %s overflows", file, name,
                          shape_str(shape, n_dims, sbuf, sizeof sbuf));
    if (nbytes != end - begin)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: shape %s of %s needs %llu bytes, data_offsets span %llu",
                          file, name, shape_str(shape, n_dims, sbuf, sizeof sbuf), dt->valuestring,
                          (unsigned long long)nbytes, (unsigned long long)(end - begin));

    if (st->n_tensors == st->cap_tensors) {
        int64_t cap = st->cap_tensors ? st->cap_tensors * 2 : 64;
        teai_st_tensor *p = realloc(st->tensors, (size_t)cap * sizeof *p);
        if (!p) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", file);
        st->tensors = p;
        st->cap_tensors = cap;
    }
    teai_st_tensor *t = &st->tensors[st->n_tensors];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name))) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", file);
    st->n_tensors++;
    snprintf(t->dtype, sizeof t->dtype, "%s", dt->valuestring);
    t->n_dims = n_dims;
    memcpy(t->shape, shape, sizeof shape);
    t->data = base + begin;
    t->nbytes = nbytes;
    t->file = sf->path;
    t->file_offset = data_start + begin;
    return TEAI_OK;
}

/* Parses one file's header (its bytes are sf's data/size) and appends its
 * tensors; keeps the metadata when want_meta. */
static int parse_file(teai_st *st, const st_file *sf, const uint8_t *data, size_t size,
                      int want_meta, teai_error *err) {
    const char *file = sf->path;
    if (size >= 4 && memcmp(data, "GGUF", 4) == 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: a GGUF file, not safetensors", file);
    if (size < 8)
        return teai__fail(err, TEAI_EFORMAT, "%s: truncated header (%zu bytes, need at least 8)",
                          file, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | data[i];
    if (hlen > size - 8)
        return teai__fail(err, TEAI_EFORMAT, "%s: header length %llu past end of file (%zu bytes)",
                          file, (unsigned long long)hlen, size);
    if (hlen > ST_MAX_HEADER)
        return teai__fail(err, TEAI_EFORMAT, "%s: header length %llu larger than %u bytes", file,
                          (unsigned long long)hlen, ST_MAX_HEADER);
    const char *hdr = (const char *)data + 8;
    if (hlen < 2 || hdr[0] != '{')
        return teai__fail(err, TEAI_EFORMAT, "%s: header is not a JSON object", file);
    if (memchr(hdr, '\0', hlen))
        return teai__fail(err, TEAI_EFORMAT, "%s: header contains a NUL byte", file);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + hlen ? (size_t)(end - hdr) : 0;
        return teai__fail(err, TEAI_EFORMAT, "%s: header is not valid JSON (near byte %zu)", file,
                          at + 8);
    }
    int rc = TEAI_OK;
    /* Anything after the object must be padding. */
    for (const char *p = end; p && p < hdr + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = teai__fail(err, TEAI_EFORMAT, "%s: bytes after the header JSON (at byte %zu)",
                            file, (size_t)(p - hdr) + 8);
            break;
        }
    if (rc == TEAI_OK && !cJSON_IsObject(root))
        rc = teai__fail(err, TEAI_EFORMAT, "%s: header is not a JSON object", file);

    const uint8_t *base = data + 8 + hlen;
    uint64_t dsize = (uint64_t)size - 8 - hlen;
    int64_t first = st->n_tensors;
    const cJSON *e;
    if (rc == TEAI_OK) {
        cJSON_ArrayForEach(e, root) {
            if (!e->string) continue;
            if (strcmp(e->string, "__metadata__") == 0)
                rc = want_meta && !st->meta ? add_meta(st, file, e, err) : TEAI_OK;
            else
                rc = add_tensor_entry(st, sf, e, base, 8 + hlen, dsize, err);
            if (rc != TEAI_OK) break;
        }
    }
    cJSON_Delete(root);
    if (rc == TEAI_OK && st->n_tensors > first)
        qsort(st->tensors + first, (size_t)(st->n_tensors - first), sizeof *st->tensors,
              cmp_tensor_offset);
    return rc;
}

/* Builds the name index and refuses duplicate names. */
static int index_names(teai_st *st, teai_error *err) {
    st->by_name = malloc(((size_t)st->n_tensors + 1) * sizeof *st->by_name);
    if (!st->by_name) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    for (int64_t i = 0; i < st->n_tensors; i++) st->by_name[i] = &st->tensors[i];
    qsort(st->by_name, (size_t)st->n_tensors, sizeof *st->by_name, cmp_tensor_name);
    for (int64_t i = 1; i < st->n_tensors; i++) {
        const teai_st_tensor *a = st->by_name[i - 1], *b = st->by_name[i];
        if (strcmp(a->name, b->name) == 0) {
            if (a->file == b->file)
                return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s appears twice", a->file,
                                  a->name);
            return teai__fail(err, TEAI_EFORMAT, "tensor %s appears in both %s and %s", a->name,
                              a->file, b->file);
        }
    }
    return TEAI_OK;
}

static teai_st *st_new(int64_t n_files) {
    teai_st *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->files = calloc((size_t)n_files, sizeof *st->files);
    if (!st->files) {
        free(st);
        return NULL;
    }
    return st;
}

static int open_single(const char *path, teai_st **out, teai_error *err) {
    teai_st *st = st_new(1);
    if (!st) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    st->n_files = 1;
    st_file *sf = &st->files[0];
    int rc = (sf->path = strdup(path)) ? TEAI_OK
                                       : teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    if (rc == TEAI_OK) rc = teai__map_file(path, &sf->map, err);
    if (rc == TEAI_OK) rc = parse_file(st, sf, sf->map.data, sf->map.size, 1, err);
    if (rc == TEAI_OK) rc = index_names(st, err);
    if (rc != TEAI_OK) {
        teai_st_close(st);
        return rc;
    }
    *out = st;
    return TEAI_OK;
}

static int open_index(const char *path, teai_st **out, teai_error *err) {
    char *text = NULL;
    size_t len = 0;
    int rc = teai__read_file(path, ST_MAX_INDEX, &text, &len, err);
    if (rc != TEAI_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return teai__fail(err, TEAI_EFORMAT, "%s: not valid JSON", path);

    const char **names = NULL;
    int64_t n_names = 0;
    teai_st *st = NULL;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    int n_entries = cJSON_IsObject(map) ? cJSON_GetArraySize(map) : 0;
    if (!cJSON_IsObject(map))
        rc = teai__fail(err, TEAI_EFORMAT, "%s: no weight_map object", path);
    else if (n_entries == 0)
        rc = teai__fail(err, TEAI_EFORMAT, "%s: weight_map is empty", path);
    else if (!(names = malloc((size_t)n_entries * sizeof *names)))
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);

    /* Distinct shard names, sorted (model-00001-of-... first). */
    const cJSON *e;
    if (rc == TEAI_OK) {
        cJSON_ArrayForEach(e, map) {
            if (!cJSON_IsString(e) || !shard_name_ok(e->valuestring)) {
                rc = teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: bad shard file name", path,
                                e->string ? e->string : "?");
                break;
            }
            int64_t k = 0;
            while (k < n_names && strcmp(names[k], e->valuestring) != 0) k++;
            if (k == n_names) names[n_names++] = e->valuestring;
        }
    }
    if (rc == TEAI_OK) {
        qsort(names, (size_t)n_names, sizeof *names, cmp_str);
        if (!(st = st_new(n_names))) rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    for (int64_t i = 0; rc == TEAI_OK && i < n_names; i++) {
        st_file *sf = &st->files[i];
        size_t n = dir_len + strlen(names[i]) + 1;
        if (!(sf->path = malloc(n))) {
            rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
            break;
        }
        st->n_files++;
        snprintf(sf->path, n, "%.*s%s", (int)dir_len, path, names[i]);
        struct stat sb;
        if (stat(sf->path, &sb) != 0) {
            rc = teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: shard %s: %s",
                            path, sf->path, strerror(errno));
            break;
        }
        rc = teai__map_file(sf->path, &sf->map, err);
        if (rc == TEAI_OK) rc = parse_file(st, sf, sf->map.data, sf->map.size, i == 0, err);
    }
    if (rc == TEAI_OK) rc = index_names(st, err);
    /* Every tensor the index names must be in the shard it names. */
    if (rc == TEAI_OK) {
        cJSON_ArrayForEach(e, map) {
            const teai_st_tensor *t = teai_st_find(st, e->string);
            const char *tf = t ? t->file + dir_len : NULL;
            if (!t || strcmp(tf, e->valuestring) != 0) {
                rc = teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: not in shard %s%s%s", path,
                                e->string, e->valuestring, t ? ", found in " : "", t ? tf : "");
                break;
            }
        }
    }
    free(names);
    cJSON_Delete(root);
    if (rc != TEAI_OK) {
        teai_st_close(st);
        return rc;
    }
    *out = st;
    return TEAI_OK;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int teai_st_open(const char *path, teai_st **out, teai_error *err) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        if (ends_with(path, ".json")) return open_index(path, out, err);
        return open_single(path, out, err);
    }
    size_t n = strlen(path) + sizeof ST_INDEX_NAME + 2;
    char *p = malloc(n);
    if (!p) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    const char *sep = ends_with(path, "/") ? "" : "/";
    int rc;
    snprintf(p, n, "%s%s%s", path, sep, ST_INDEX_NAME);
    if (stat(p, &sb) == 0) {
        rc = open_index(p, out, err);
    } else {
        snprintf(p, n, "%s%s%s", path, sep, ST_SINGLE_NAME);
        if (stat(p, &sb) == 0)
            rc = open_single(p, out, err);
        else
            rc = teai__fail(err, TEAI_ENOTFOUND, "%s: no %s or %s in this folder", path,
                            ST_SINGLE_NAME, ST_INDEX_NAME);
    }
    free(p);
    return rc;
}

int teai_st_open_mem(const void *data, size_t size, const char *name, teai_st **out,
                     teai_error *err) {
    *out = NULL;
    if (!name) name = "(memory)";
    if (!data && size) return teai__fail(err, TEAI_EINVAL, "%s: no data", name);
    teai_st *st = st_new(1);
    if (!st) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    st->n_files = 1;
    st_file *sf = &st->files[0];
    int rc = (sf->path = strdup(name)) ? TEAI_OK
                                       : teai__fail(err, TEAI_ENOMEM, "%s: out of memory", name);
    if (rc == TEAI_OK) rc = parse_file(st, sf, data, size, 1, err);
    if (rc == TEAI_OK) rc = index_names(st, err);
    if (rc != TEAI_OK) {
        teai_st_close(st);
        return rc;
    }
    *out = st;
    return TEAI_OK;
}

#else /* !TEAI_HAVE_CJSON */

int teai_st_open(const char *path, teai_st **out, teai_error *err) {
    *out = NULL;
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON (install libcjson-dev)",
                      path);
}

int teai_st_open_mem(const void *data, size_t size, const char *name, teai_st **out,
                     teai_error *err) {
    *out = NULL;
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON (install libcjson-dev)",
                      name ? name : "(memory)");
}

#endif

/* ---- writer ------------------------------------------------------------ */

typedef struct st_wtensor {
    char *name;
    char dtype[8];
    int n_dims;
    int64_t shape[TEAI_ST_MAX_DIMS];
    uint64_t nbytes;
} st_wtensor;

struct teai_st_writer {
    st_wtensor *t;
    int64_t n, cap;
    st_kv *meta;
    int64_t n_meta, cap_meta;
    teai__atomic_file out; /* between begin and finish */
    uint64_t total;        /* bytes of the data section */
    uint64_t written;      /* bytes of it written so far */
    int64_t cur;           /* tensor the next byte belongs to */
    uint64_t cur_end;      /* data offset where tensor cur ends */
    enum { W_DECLARE, W_DATA, W_DONE, W_FAILED } state;
};

teai_st_writer *teai_st_writer_new(void) {
    return calloc(1, sizeof(teai_st_writer));
}

void teai_st_writer_free(teai_st_writer *w) {
    if (!w) return;
    if (w->out.f) teai__atomic_abort(&w->out);
    for (int64_t i = 0; i < w->n; i++) free(w->t[i].name);
    for (int64_t i = 0; i < w->n_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->t);
    free(w->meta);
    free(w);
}

int teai_st_writer_set_metadata(teai_st_writer *w, const char *key, const char *value) {
    if (!w || !key || !value || w->state != W_DECLARE) return TEAI_EINVAL;
    char *v = strdup(value);
    if (!v) return TEAI_ENOMEM;
    for (int64_t i = 0; i < w->n_meta; i++)
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].value);
            w->meta[i].value = v;
            return TEAI_OK;
        }
    if (w->n_meta == w->cap_meta) {
        int64_t cap = w->cap_meta ? w->cap_meta * 2 : 8;
        st_kv *p = realloc(w->meta, (size_t)cap * sizeof *p);
        if (!p) {
            free(v);
            return TEAI_ENOMEM;
        }
        w->meta = p;
        w->cap_meta = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return TEAI_ENOMEM;
    }
    w->meta[w->n_meta].key = k;
    w->meta[w->n_meta].value = v;
    w->n_meta++;
    return TEAI_OK;
}

int teai_st_writer_add_tensor(teai_st_writer *w, const char *name, const char *dtype, int n_dims,
                              const int64_t *shape, teai_error *err) {
    if (!w || !name || w->state != W_DECLARE)
        return teai__fail(err, TEAI_EINVAL,
                          "safetensors writer: add_tensor needs a name and must come before begin");
    if (!*name || strcmp(name, "__metadata__") == 0)
        return teai__fail(err, TEAI_EINVAL, "safetensors writer: bad tensor name \"%s\"", name);
    size_t esize = teai_st_dtype_size(dtype);
    if (!esize)
        return teai__fail(err, TEAI_EINVAL, "tensor %s: unknown dtype %s", name,
                          dtype ? dtype : "(null)");
    if (n_dims < 0 || n_dims > TEAI_ST_MAX_DIMS || (n_dims && !shape))
        return teai__fail(err, TEAI_EINVAL, "tensor %s: %d dimensions (0..%d allowed)", name,
                          n_dims, TEAI_ST_MAX_DIMS);
    for (int i = 0; i < n_dims; i++)
        if (shape[i] < 0)
            return teai__fail(err, TEAI_EINVAL, "tensor %s: negative dimension", name);
    uint64_t nbytes;
    if (!tensor_nbytes(shape, n_dims, esize, &nbytes) || nbytes > UINT64_MAX - w->total)
        return teai__fail(err, TEAI_ERANGE, "tensor %s: size overflows", name);
    for (int64_t i = 0; i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return teai__fail(err, TEAI_EINVAL, "tensor %s: declared twice", name);
    if (w->n == w->cap) {
        int64_t cap = w->cap ? w->cap * 2 : 64;
        st_wtensor *p = realloc(w->t, (size_t)cap * sizeof *p);
        if (!p) return teai__fail(err, TEAI_ENOMEM, "tensor %s: out of memory", name);
        w->t = p;
        w->cap = cap;
    }
    st_wtensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return teai__fail(err, TEAI_ENOMEM, "tensor %s: out of memory", name);
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->n_dims = n_dims;
    if (n_dims) memcpy(t->shape, shape, (size_t)n_dims * sizeof *shape);
    t->nbytes = nbytes;
    w->total += nbytes;
    w->n++;
    return TEAI_OK;
}

uint64_t teai_st_writer_data_size(const teai_st_writer *w) {
    return w ? w->total : 0;
}

/* The JSON header, padded with spaces so the data section starts at a
 * multiple of 8 bytes from the start of the file. */
static int build_header(const teai_st_writer *w, teai_buf *b) {
    int rc = teai_buf_addstr(b, "{");
    int first = 1;
    if (w->n_meta) {
        rc = rc ? rc : teai_buf_addstr(b, "\"__metadata__\":{");
        for (int64_t i = 0; i < w->n_meta && rc == TEAI_OK; i++) {
            if (i) rc = teai_buf_addstr(b, ",");
            rc = rc ? rc : teai__json_str(b, w->meta[i].key, strlen(w->meta[i].key), NULL);
            rc = rc ? rc : teai_buf_addstr(b, ":");
            rc = rc ? rc : teai__json_str(b, w->meta[i].value, strlen(w->meta[i].value), NULL);
        }
        rc = rc ? rc : teai_buf_addstr(b, "}");
        first = 0;
    }
    uint64_t off = 0;
    for (int64_t i = 0; i < w->n && rc == TEAI_OK; i++) {
        const st_wtensor *t = &w->t[i];
        if (!first) rc = teai_buf_addstr(b, ",");
        first = 0;
        rc = rc ? rc : teai__json_str(b, t->name, strlen(t->name), NULL);
        rc = rc ? rc : teai_buf_printf(b, ":{\"dtype\":\"%s\",\"shape\":[", t->dtype);
        for (int d = 0; d < t->n_dims && rc == TEAI_OK; d++)
            rc = teai_buf_printf(b, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        rc = rc ? rc
                : teai_buf_printf(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                                  (unsigned long long)(off + t->nbytes));
        off += t->nbytes;
    }
    rc = rc ? rc : teai_buf_addstr(b, "}");
    while (rc == TEAI_OK && (8 + b->len) % 8) rc = teai_buf_addstr(b, " ");
    return rc;
}

int teai_st_writer_begin(teai_st_writer *w, const char *path, teai_error *err) {
    if (!w || !path || w->state != W_DECLARE)
        return teai__fail(err, TEAI_EINVAL, "safetensors writer: begin called twice");
    teai_buf b;
    teai_buf_init(&b, ST_MAX_HEADER);
    if (build_header(w, &b) != TEAI_OK || b.len > ST_MAX_HEADER) {
        teai_buf_free(&b);
        return teai__fail(err, TEAI_ERANGE, "%s: header larger than %u bytes", path, ST_MAX_HEADER);
    }
    int rc = teai__atomic_open(&w->out, path, err);
    if (rc == TEAI_OK) {
        uint8_t len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)b.len >> (8 * i));
        if (fwrite(len8, 1, 8, w->out.f) != 8 || fwrite(b.data, 1, b.len, w->out.f) != b.len)
            rc = teai__fail(err, TEAI_EIO, "%s: write failed: %s", w->out.tmp, strerror(errno));
    }
    teai_buf_free(&b);
    w->state = rc == TEAI_OK ? W_DATA : W_FAILED;
    w->cur = 0;
    w->cur_end = w->n ? w->t[0].nbytes : 0;
    return rc;
}

int teai_st_writer_write_data(teai_st_writer *w, const void *data, uint64_t nbytes,
                              teai_error *err) {
    if (!w || w->state != W_DATA)
        return teai__fail(err, TEAI_EINVAL, "safetensors writer: write_data outside begin..finish");
    if (nbytes > w->total - w->written) {
        w->state = W_FAILED;
        return teai__fail(err, TEAI_EINVAL, "%s: %llu bytes of tensor data past the declared %llu",
                          w->out.path, (unsigned long long)(nbytes - (w->total - w->written)),
                          (unsigned long long)w->total);
    }
    if (nbytes && fwrite(data, 1, (size_t)nbytes, w->out.f) != nbytes) {
        w->state = W_FAILED;
        const char *name = w->cur < w->n ? w->t[w->cur].name : "?";
        return teai__fail(err, TEAI_EIO, "%s: tensor %s: write failed: %s", w->out.tmp, name,
                          strerror(errno));
    }
    w->written += nbytes;
    while (w->cur < w->n && w->written >= w->cur_end && w->cur + 1 < w->n) {
        w->cur++;
        w->cur_end += w->t[w->cur].nbytes;
    }
    return TEAI_OK;
}

int teai_st_writer_finish(teai_st_writer *w, teai_error *err) {
    if (!w || w->state != W_DATA)
        return teai__fail(err, TEAI_EINVAL, "safetensors writer: finish without a good begin");
    if (w->written != w->total) {
        w->state = W_FAILED;
        return teai__fail(err, TEAI_EINVAL, "%s: tensor %s: only %llu of %llu data bytes written",
                          w->out.path, w->t[w->cur].name, (unsigned long long)w->written,
                          (unsigned long long)w->total);
    }
    int rc = teai__atomic_commit(&w->out, err);
    w->state = rc == TEAI_OK ? W_DONE : W_FAILED;
    return rc;
}

/* ---- index writer ------------------------------------------------------ */

typedef struct st_pair {
    const char *name, *file;
} st_pair;

static int cmp_pair(const void *a, const void *b) {
    return strcmp(((const st_pair *)a)->name, ((const st_pair *)b)->name);
}

int teai_st_write_index(const char *path, int64_t n, const char *const *names,
                        const char *const *files, uint64_t total_size, teai_error *err) {
    if (n < 0 || (n && (!names || !files)))
        return teai__fail(err, TEAI_EINVAL, "%s: bad index arguments", path);
    st_pair *p = malloc(((size_t)n + 1) * sizeof *p);
    if (!p) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    for (int64_t i = 0; i < n; i++) {
        if (!names[i] || !files[i] || !shard_name_ok(files[i])) {
            free(p);
            return teai__fail(err, TEAI_EINVAL, "%s: entry %lld: bad tensor or shard name", path,
                              (long long)i);
        }
        p[i].name = names[i];
        p[i].file = files[i];
    }
    qsort(p, (size_t)n, sizeof *p, cmp_pair);
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = teai_buf_printf(&b,
                             "{\n  \"metadata\": {\n    \"total_size\": %llu\n  },\n"
                             "  \"weight_map\": {",
                             (unsigned long long)total_size);
    for (int64_t i = 0; i < n && rc == TEAI_OK; i++) {
        rc = teai_buf_addstr(&b, i ? ",\n    " : "\n    ");
        rc = rc ? rc : teai__json_str(&b, p[i].name, strlen(p[i].name), NULL);
        rc = rc ? rc : teai_buf_addstr(&b, ": ");
        rc = rc ? rc : teai__json_str(&b, p[i].file, strlen(p[i].file), NULL);
    }
    rc = rc ? rc : teai_buf_addstr(&b, "\n  }\n}\n");
    free(p);
    if (rc != TEAI_OK) {
        teai_buf_free(&b);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    rc = teai__write_file_atomic(path, b.data, b.len, err);
    teai_buf_free(&b);
    return rc;
}
