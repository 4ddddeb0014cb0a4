/* GGUF reader: the file is mapped read-only and tensors are used in place.
 * Every count, length, shape and offset is checked against the file before it
 * is trusted, so a truncated or corrupt file gives a one-line error. */
#include "gguf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GGUF_MAGIC       0x46554747u /* "GGUF" little-endian */
#define GGUF_DEFAULT_ALN 32
#define GGUF_MAX_DIMS    4

struct teai_gguf {
    char *path;
    teai__map map; /* owned mapping (unused for open_mem) */
    const uint8_t *base;
    uint64_t size;
    uint32_t version;
    uint64_t alignment;
    uint64_t data_start;
    int64_t n_kv;
    teai_gguf_kv *kv;
    int64_t n_tensors;
    teai_gguf_tensor *tensors;
};

/* A bounds-checked cursor over the file. */
typedef struct cursor {
    const uint8_t *p;
    uint64_t pos, size;
    const char *path;
    teai_error *err;
} cursor;

static int need(cursor *c, uint64_t n, const char *what) {
    if (n > c->size - c->pos)
        return teai__fail(c->err, TEAI_EFORMAT, "%s: truncated at byte %llu reading %s", c->path,
                          (unsigned long long)c->pos, what);
    return TEAI_OK;
}

static int rd(cursor *c, void *out, uint64_t n, const char *what) {
    int rc = need(c, n, what);
    if (rc) return rc;
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
    return TEAI_OK;
}

static int rd_str(cursor *c, teai_gguf_str *s, const char *what) {
    uint64_t len;
    int rc = rd(c, &len, 8, what);
    if (rc) return rc;
    if ((rc = need(c, len, what))) return rc;
    s->ptr = (const char *)c->p + c->pos;
    s->len = len;
    c->pos += len;
    return TEAI_OK;
}

static char *dup_str(teai_gguf_str s) {
    char *d = malloc(s.len + 1);
    if (!d) return NULL;
    memcpy(d, s.ptr, s.len);
    d[s.len] = '\0';
    return d;
}

uint64_t teai__gguf_vtype_size(teai_gguf_vtype t) {
    switch (t) {
        case TEAI_GGUF_UINT8:
        case TEAI_GGUF_INT8:
        case TEAI_GGUF_BOOL:
            return 1;
        case TEAI_GGUF_UINT16:
        case TEAI_GGUF_INT16:
            return 2;
        case TEAI_GGUF_UINT32:
        case TEAI_GGUF_INT32:
        case TEAI_GGUF_FLOAT32:
            return 4;
        case TEAI_GGUF_UINT64:
        case TEAI_GGUF_INT64:
        case TEAI_GGUF_FLOAT64:
            return 8;
        default:
            return 0;
    }
}

const char *teai_gguf_vtype_name(teai_gguf_vtype t) {
    static const char *names[] = {"u8",   "i8",  "u16",   "i16", "u32", "i32", "f32",
                                  "bool", "str", "array", "u64", "i64", "f64"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

/* Reads one packed scalar of type t at p into the kv value union. */
static void load_scalar(teai_gguf_kv *kv, teai_gguf_vtype t, const uint8_t *p) {
    switch (t) {
        case TEAI_GGUF_UINT8:
            kv->v.u = p[0];
            break;
        case TEAI_GGUF_BOOL:
            kv->v.u = p[0] != 0;
            break;
        case TEAI_GGUF_INT8:
            kv->v.i = (int8_t)p[0];
            break;
        case TEAI_GGUF_UINT16: {
            uint16_t x;
            memcpy(&x, p, 2);
            kv->v.u = x;
        } break;
        case TEAI_GGUF_INT16: {
            int16_t x;
            memcpy(&x, p, 2);
            kv->v.i = x;
        } break;
        case TEAI_GGUF_UINT32: {
            uint32_t x;
            memcpy(&x, p, 4);
            kv->v.u = x;
        } break;
        case TEAI_GGUF_INT32: {
            int32_t x;
            memcpy(&x, p, 4);
            kv->v.i = x;
        } break;
        case TEAI_GGUF_FLOAT32: {
            float x;
            memcpy(&x, p, 4);
            kv->v.f = x;
        } break;
        case TEAI_GGUF_UINT64:
            memcpy(&kv->v.u, p, 8);
            break;
        case TEAI_GGUF_INT64:
            memcpy(&kv->v.i, p, 8);
            break;
        case TEAI_GGUF_FLOAT64:
            memcpy(&kv->v.f, p, 8);
            break;
        default:
            break;
    }
}

static int read_kv(cursor *c, teai_gguf_kv *kv, int64_t index) {
    teai_gguf_str key;
    uint32_t type;
    int rc = rd_str(c, &key, "key");
    if (rc) return rc;
    if (!(kv->key = dup_str(key)))
        return teai__fail(c->err, TEAI_ENOMEM, "%s: out of memory", c->path);
    if ((rc = rd(c, &type, 4, kv->key))) return rc;
    kv->type = (teai_gguf_vtype)type;
    if (type == TEAI_GGUF_STRING) return rd_str(c, &kv->v.s, kv->key);
    if (type == TEAI_GGUF_ARRAY) {
        uint32_t et;
        uint64_t n;
        if ((rc = rd(c, &et, 4, kv->key)) || (rc = rd(c, &n, 8, kv->key))) return rc;
        kv->arr_type = (teai_gguf_vtype)et;
        kv->arr_n = n;
        if (et == TEAI_GGUF_STRING) {
            /* each string takes at least its 8-byte length */
            if (n > (c->size - c->pos) / 8)
                return teai__fail(c->err, TEAI_EFORMAT,
                                  "%s: key %s: array of %llu strings past end of file", c->path,
                                  kv->key, (unsigned long long)n);
            kv->arr_strs = malloc((n ? n : 1) * sizeof *kv->arr_strs);
            if (!kv->arr_strs) return teai__fail(c->err, TEAI_ENOMEM, "%s: out of memory", c->path);
            for (uint64_t i = 0; i < n; i++)
                if ((rc = rd_str(c, &kv->arr_strs[i], kv->key))) return rc;
            return TEAI_OK;
        }
        uint64_t es = teai__gguf_vtype_size(kv->arr_type), bytes;
        if (!es)
            return teai__fail(c->err, TEAI_EFORMAT, "%s: key %s: unsupported array element type %u",
                              c->path, kv->key, et);
        if (!teai__mul_ok(es, n, &bytes) || (rc = need(c, bytes, kv->key)))
            return rc ? rc
                      : teai__fail(c->err, TEAI_EFORMAT, "%s: key %s: array too large", c->path,
                                   kv->key);
        kv->arr_data = c->p + c->pos;
        c->pos += bytes;
        return TEAI_OK;
    }
    uint64_t es = teai__gguf_vtype_size(kv->type);
    if (!es)
        return teai__fail(c->err, TEAI_EFORMAT, "%s: key %s (#%lld): unknown value type %u",
                          c->path, kv->key, (long long)index, type);
    if ((rc = need(c, es, kv->key))) return rc;
    load_scalar(kv, kv->type, c->p + c->pos);
    c->pos += es;
    return TEAI_OK;
}

static int read_tensor_info(cursor *c, teai_gguf_tensor *t) {
    teai_gguf_str name;
    uint32_t n_dims, type;
    int rc = rd_str(c, &name, "tensor name");
    if (rc) return rc;
    if (!(t->name = dup_str(name)))
        return teai__fail(c->err, TEAI_ENOMEM, "%s: out of memory", c->path);
    if ((rc = rd(c, &n_dims, 4, t->name))) return rc;
    if (n_dims == 0 || n_dims > GGUF_MAX_DIMS)
        return teai__fail(c->err, TEAI_EFORMAT, "%s: tensor %s: %u dimensions (1 to %d allowed)",
                          c->path, t->name, n_dims, GGUF_MAX_DIMS);
    t->n_dims = (int)n_dims;
    for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        uint64_t ne;
        if ((rc = rd(c, &ne, 8, t->name))) return rc;
        if (ne == 0 || ne > ((uint64_t)1 << 40))
            return teai__fail(c->err, TEAI_EFORMAT, "%s: tensor %s: absurd dimension %llu", c->path,
                              t->name, (unsigned long long)ne);
        t->ne[d] = (int64_t)ne;
    }
    if ((rc = rd(c, &type, 4, t->name)) || (rc = rd(c, &t->offset, 8, t->name))) return rc;
    t->type = type;
    return TEAI_OK;
}

static int check_tensor(teai_gguf *g, teai_gguf_tensor *t, teai_error *err) {
    if (t->offset % g->alignment)
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: offset %llu not aligned to %llu",
                          g->path, t->name, (unsigned long long)t->offset,
                          (unsigned long long)g->alignment);
    /* unknown types are kept, without data; teai's own load-time formats
     * (int8, nf4) never appear in files */
    if (!teai_type_is_known(t->type) || t->type == TEAI_TYPE_I8 || t->type == TEAI_TYPE_NF4)
        return TEAI_OK;
    teai_type ty = (teai_type)t->type;
    if (t->ne[0] % teai_type_block_size(ty))
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: row of %lld elements is not a whole number of %s blocks",
                          g->path, t->name, (long long)t->ne[0], teai_type_name(ty));
    uint64_t rows = 1, bytes, row_size = teai_type_row_size(ty, t->ne[0]);
    if (row_size == 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: row of %lld elements is too large",
                          g->path, t->name, (long long)t->ne[0]);
    for (int d = 1; d < GGUF_MAX_DIMS; d++)
        if (!teai__mul_ok(rows, (uint64_t)t->ne[d], &rows))
            return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: size overflows", g->path, t->name);
    if (!teai__mul_ok(rows, row_size, &bytes))
        return teai__fail(err, TEAI_EFORMAT, "%s: tensor %s: size overflows", g->path, t->name);
    uint64_t avail = g->size - g->data_start;
    if (t->offset > avail || bytes > avail - t->offset)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: tensor %s: data (offset %llu, %llu bytes) past end of file", g->path,
                          t->name, (unsigned long long)t->offset, (unsigned long long)bytes);
    t->nbytes = bytes;
    t->data = g->base + g->data_start + t->offset;
    return TEAI_OK;
}

/* The data section as llama.cpp's gguf reader requires it: the tensors' data
 * in declaration order, each starting where the one before ends, padded to
 * the alignment. A tensor whose type or shape was changed without moving the
 * offsets after it (its data now overlaps the next, or leaves a gap) is
 * refused, not read as garbage. A tensor of a type teai does not know has no
 * known size: the next one need only start after it. */
static int check_layout(teai_gguf *g, teai_error *err) {
    uint64_t expected = 0; /* where the next tensor's data must start */
    const teai_gguf_tensor *prev = NULL;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const teai_gguf_tensor *t = &g->tensors[i];
        int known = !prev || prev->data;
        if (known ? t->offset < expected : t->offset <= prev->offset) {
            /* name the earlier tensor whose data this one's start falls in */
            const teai_gguf_tensor *o = prev;
            for (int64_t j = 0; j < i; j++) {
                const teai_gguf_tensor *c = &g->tensors[j];
                if (c->offset <= t->offset && t->offset - c->offset < (c->nbytes ? c->nbytes : 1)) {
                    o = c;
                    break;
                }
            }
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: tensor %s: data (offset %llu, %llu bytes) overlaps %s "
                              "(offset %llu): a tensor's type or shape does not match its data",
                              g->path, o->name, (unsigned long long)o->offset,
                              (unsigned long long)o->nbytes, t->name,
                              (unsigned long long)t->offset);
        }
        if (known && t->offset > expected)
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: tensor %s: data at offset %llu, expected %llu after %s: a "
                              "tensor's type or shape does not match its data",
                              g->path, t->name, (unsigned long long)t->offset,
                              (unsigned long long)expected, prev ? prev->name : "the header");
        /* aligned offsets, known data inside the file: no overflow */
        expected = (t->offset + t->nbytes + g->alignment - 1) / g->alignment * g->alignment;
        prev = t;
    }
    return TEAI_OK;
}

static int parse(teai_gguf *g, teai_error *err) {
    cursor c = {g->base, 0, g->size, g->path, err};
    uint32_t magic;
    uint64_t n_tensors, n_kv;
    int rc = rd(&c, &magic, 4, "magic");
    if (rc) return rc;
    if (magic != GGUF_MAGIC)
        return teai__fail(err, TEAI_EFORMAT, "%s: not a GGUF file (bad magic)", g->path);
    if ((rc = rd(&c, &g->version, 4, "version"))) return rc;
    if (g->version < 2 || g->version > 3)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: GGUF version %u (teai reads 2 and 3)",
                          g->path, g->version);
    if ((rc = rd(&c, &n_tensors, 8, "tensor count")) || (rc = rd(&c, &n_kv, 8, "key count")))
        return rc;
    /* every key and tensor info takes at least 12 bytes: refuse counts the file cannot hold */
    if (n_kv > g->size / 12 || n_tensors > g->size / 12)
        return teai__fail(err, TEAI_EFORMAT, "%s: absurd counts (%llu keys, %llu tensors)", g->path,
                          (unsigned long long)n_kv, (unsigned long long)n_tensors);
    g->kv = calloc(n_kv ? n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(n_tensors ? n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", g->path);
    for (uint64_t i = 0; i < n_kv; i++) {
        g->n_kv = (int64_t)i + 1;
        if ((rc = read_kv(&c, &g->kv[i], (int64_t)i))) return rc;
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(g->kv[j].key, g->kv[i].key) == 0)
                return teai__fail(err, TEAI_EFORMAT, "%s: duplicate key %s", g->path, g->kv[i].key);
    }
    g->alignment = GGUF_DEFAULT_ALN;
    const teai_gguf_kv *aln = teai_gguf_get(g, "general.alignment");
    if (aln) {
        int64_t a;
        if (teai_gguf_kv_int(aln, &a) || a <= 0 || (a & (a - 1)) || a > (1 << 20))
            return teai__fail(err, TEAI_EFORMAT, "%s: general.alignment is not a power of two",
                              g->path);
        g->alignment = (uint64_t)a;
    }
    for (uint64_t i = 0; i < n_tensors; i++) {
        g->n_tensors = (int64_t)i + 1;
        if ((rc = read_tensor_info(&c, &g->tensors[i]))) return rc;
    }
    uint64_t start = (c.pos + g->alignment - 1) / g->alignment * g->alignment;
    g->data_start = start > g->size ? g->size : start;
    if (n_tensors && start > g->size)
        return teai__fail(err, TEAI_EFORMAT, "%s: truncated before the tensor data", g->path);
    for (int64_t i = 0; i < g->n_tensors; i++) {
        if ((rc = check_tensor(g, &g->tensors[i], err))) return rc;
    }
    if ((rc = check_layout(g, err))) return rc;
    /* duplicate tensor names would make lookups ambiguous */
    for (int64_t i = 1; i < g->n_tensors; i++)
        for (int64_t j = 0; j < i && g->n_tensors < 4096; j++)
            if (strcmp(g->tensors[i].name, g->tensors[j].name) == 0)
                return teai__fail(err, TEAI_EFORMAT, "%s: duplicate tensor %s", g->path,
                                  g->tensors[i].name);
    return TEAI_OK;
}

static int open_common(teai_gguf *g, teai_gguf **out, teai_error *err) {
    int rc = parse(g, err);
    if (rc) {
        teai_gguf_close(g);
        return rc;
    }
    *out = g;
    return TEAI_OK;
}

int teai_gguf_open(const char *path, teai_gguf **out, teai_error *err) {
    return teai_gguf_open_ex(path, 1, out, err);
}

int teai_gguf_open_ex(const char *path, int populate, teai_gguf **out, teai_error *err) {
    *out = NULL;
    teai_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    int rc = teai__map_file_ex(path, populate, &g->map, err);
    if (rc) {
        teai_gguf_close(g);
        return rc;
    }
    g->base = g->map.data;
    g->size = g->map.size;
    return open_common(g, out, err);
}

int teai_gguf_open_mem(const void *data, size_t size, const char *name, teai_gguf **out,
                       teai_error *err) {
    *out = NULL;
    teai_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(name ? name : "(memory)"))) {
        free(g);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    g->base = data;
    g->size = size;
    return open_common(g, out, err);
}

void teai_gguf_close(teai_gguf *g) {
    if (!g) return;
    for (int64_t i = 0; i < g->n_kv; i++) {
        free(g->kv[i].key);
        free(g->kv[i].arr_strs);
    }
    for (int64_t i = 0; i < g->n_tensors; i++) free(g->tensors[i].name);
    free(g->kv);
    free(g->tensors);
    teai__unmap(&g->map);
    free(g->path);
    free(g);
}

uint32_t teai_gguf_version(const teai_gguf *g) {
    return g->version;
}
const char *teai_gguf_path(const teai_gguf *g) {
    return g->path;
}
uint64_t teai_gguf_alignment(const teai_gguf *g) {
    return g->alignment;
}
uint64_t teai_gguf_file_size(const teai_gguf *g) {
    return g->size;
}
int64_t teai_gguf_n_kv(const teai_gguf *g) {
    return g->n_kv;
}
const teai_gguf_kv *teai_gguf_kv_at(const teai_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_kv ? &g->kv[i] : NULL;
}

const teai_gguf_kv *teai_gguf_get(const teai_gguf *g, const char *key) {
    for (int64_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key && strcmp(g->kv[i].key, key) == 0) return &g->kv[i];
    return NULL;
}

static int is_int_type(teai_gguf_vtype t) {
    return t == TEAI_GGUF_UINT8 || t == TEAI_GGUF_INT8 || t == TEAI_GGUF_UINT16 ||
           t == TEAI_GGUF_INT16 || t == TEAI_GGUF_UINT32 || t == TEAI_GGUF_INT32 ||
           t == TEAI_GGUF_UINT64 || t == TEAI_GGUF_INT64 || t == TEAI_GGUF_BOOL;
}
static int is_signed_type(teai_gguf_vtype t) {
    return t == TEAI_GGUF_INT8 || t == TEAI_GGUF_INT16 || t == TEAI_GGUF_INT32 ||
           t == TEAI_GGUF_INT64;
}

int teai_gguf_kv_int(const teai_gguf_kv *kv, int64_t *out) {
    if (!kv || !is_int_type(kv->type)) return TEAI_EFORMAT;
    if (is_signed_type(kv->type)) {
        *out = kv->v.i;
    } else {
        if (kv->v.u > (uint64_t)INT64_MAX) return TEAI_EFORMAT;
        *out = (int64_t)kv->v.u;
    }
    return TEAI_OK;
}

int teai_gguf_kv_float(const teai_gguf_kv *kv, double *out) {
    if (!kv) return TEAI_EFORMAT;
    if (kv->type == TEAI_GGUF_FLOAT32 || kv->type == TEAI_GGUF_FLOAT64) {
        *out = kv->v.f;
        return TEAI_OK;
    }
    int64_t i;
    if (teai_gguf_kv_int(kv, &i)) return TEAI_EFORMAT;
    *out = (double)i;
    return TEAI_OK;
}

int teai_gguf_kv_str(const teai_gguf_kv *kv, teai_gguf_str *out) {
    if (!kv || kv->type != TEAI_GGUF_STRING) return TEAI_EFORMAT;
    *out = kv->v.s;
    return TEAI_OK;
}

int64_t teai_gguf_arr_int(const teai_gguf_kv *kv, uint64_t i) {
    teai_gguf_kv tmp;
    if (!kv || kv->type != TEAI_GGUF_ARRAY || i >= kv->arr_n || !kv->arr_data) return 0;
    uint64_t es = teai__gguf_vtype_size(kv->arr_type);
    memset(&tmp, 0, sizeof tmp);
    tmp.type = kv->arr_type;
    load_scalar(&tmp, kv->arr_type, kv->arr_data + i * es);
    if (kv->arr_type == TEAI_GGUF_FLOAT32 || kv->arr_type == TEAI_GGUF_FLOAT64)
        return (int64_t)tmp.v.f;
    return is_signed_type(kv->arr_type) ? tmp.v.i : (int64_t)tmp.v.u;
}

double teai_gguf_arr_float(const teai_gguf_kv *kv, uint64_t i) {
    if (!kv || kv->type != TEAI_GGUF_ARRAY || i >= kv->arr_n || !kv->arr_data) return 0;
    if (kv->arr_type == TEAI_GGUF_FLOAT32 || kv->arr_type == TEAI_GGUF_FLOAT64) {
        teai_gguf_kv tmp;
        memset(&tmp, 0, sizeof tmp);
        load_scalar(&tmp, kv->arr_type, kv->arr_data + i * teai__gguf_vtype_size(kv->arr_type));
        return tmp.v.f;
    }
    return (double)teai_gguf_arr_int(kv, i);
}

const char *teai_gguf_get_str(const teai_gguf *g, const char *key, char *buf, size_t cap) {
    teai_gguf_str s;
    if (!cap) return buf;
    buf[0] = '\0';
    if (teai_gguf_kv_str(teai_gguf_get(g, key), &s) == TEAI_OK) {
        size_t n = s.len < cap - 1 ? (size_t)s.len : cap - 1;
        memcpy(buf, s.ptr, n);
        buf[n] = '\0';
    }
    return buf;
}

int64_t teai_gguf_get_int(const teai_gguf *g, const char *key, int64_t def) {
    int64_t v;
    return teai_gguf_kv_int(teai_gguf_get(g, key), &v) == TEAI_OK ? v : def;
}

double teai_gguf_get_float(const teai_gguf *g, const char *key, double def) {
    double v;
    return teai_gguf_kv_float(teai_gguf_get(g, key), &v) == TEAI_OK ? v : def;
}

int64_t teai_gguf_n_tensors(const teai_gguf *g) {
    return g->n_tensors;
}
const teai_gguf_tensor *teai_gguf_tensor_at(const teai_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}
const teai_gguf_tensor *teai_gguf_find_tensor(const teai_gguf *g, const char *name) {
    for (int64_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}
