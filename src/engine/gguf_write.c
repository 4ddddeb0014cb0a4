/* GGUF v3 streaming writer: keys and tensor infos are kept in memory, tensor
 * data is streamed to a temporary file that is renamed into place at the end,
 * so a failed or interrupted write never leaves a partial model behind. */
#include "gguf.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GGUF_ALIGNMENT 32

typedef struct wkv {
    char *key;
    teai_buf value; /* type (u32) followed by the serialized value */
} wkv;

typedef struct wtensor {
    char *name;
    teai_type type;
    int n_dims;
    int64_t ne[4];
    uint64_t nbytes, offset;
} wtensor;

struct teai_gguf_writer {
    wkv *kv;
    int64_t n_kv, cap_kv;
    wtensor *t;
    int64_t n_t, cap_t;
    teai__atomic_file out; /* between begin and finish */
    int64_t next;          /* index of the next tensor whose data is expected */
    uint64_t written;      /* bytes of tensor `next` written so far */
};

teai_gguf_writer *teai_gguf_writer_new(void) {
    return calloc(1, sizeof(teai_gguf_writer));
}

void teai_gguf_writer_free(teai_gguf_writer *w) {
    if (!w) return;
    if (w->out.f) teai__atomic_abort(&w->out);
    for (int64_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        teai_buf_free(&w->kv[i].value);
    }
    for (int64_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->kv);
    free(w->t);
    free(w);
}

/* Returns the slot for key (replacing an existing one), value emptied. */
static teai_buf *slot(teai_gguf_writer *w, const char *key) {
    for (int64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kv[i].key, key) == 0) {
            w->kv[i].value.len = 0;
            return &w->kv[i].value;
        }
    if (w->n_kv == w->cap_kv) {
        int64_t cap = w->cap_kv ? w->cap_kv * 2 : 32;
        wkv *p = realloc(w->kv, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        w->kv = p;
        w->cap_kv = cap;
    }
    wkv *e = &w->kv[w->n_kv];
    if (!(e->key = strdup(key))) return NULL;
    teai_buf_init(&e->value, 0);
    w->n_kv++;
    return &e->value;
}

static int put_u32(teai_buf *b, uint32_t v) {
    return teai_buf_add(b, &v, 4);
}
static int put_u64(teai_buf *b, uint64_t v) {
    return teai_buf_add(b, &v, 8);
}
static int put_str(teai_buf *b, const char *s, uint64_t len) {
    int rc = put_u64(b, len);
    return rc ? rc : teai_buf_add(b, s, (size_t)len);
}

static int set_scalar(teai_gguf_writer *w, const char *key, teai_gguf_vtype t, const void *v,
                      size_t n) {
    teai_buf *b = slot(w, key);
    if (!b) return TEAI_ENOMEM;
    int rc = put_u32(b, t);
    return rc ? rc : teai_buf_add(b, v, n);
}

int teai_gguf_writer_set_u32(teai_gguf_writer *w, const char *key, uint32_t v) {
    return set_scalar(w, key, TEAI_GGUF_UINT32, &v, 4);
}
int teai_gguf_writer_set_i32(teai_gguf_writer *w, const char *key, int32_t v) {
    return set_scalar(w, key, TEAI_GGUF_INT32, &v, 4);
}
int teai_gguf_writer_set_f32(teai_gguf_writer *w, const char *key, float v) {
    return set_scalar(w, key, TEAI_GGUF_FLOAT32, &v, 4);
}
int teai_gguf_writer_set_bool(teai_gguf_writer *w, const char *key, int v) {
    uint8_t b = v ? 1 : 0;
    return set_scalar(w, key, TEAI_GGUF_BOOL, &b, 1);
}
int teai_gguf_writer_set_str(teai_gguf_writer *w, const char *key, const char *v) {
    teai_buf *b = slot(w, key);
    if (!b) return TEAI_ENOMEM;
    int rc = put_u32(b, TEAI_GGUF_STRING);
    return rc ? rc : put_str(b, v, strlen(v));
}

int teai_gguf_writer_set_arr(teai_gguf_writer *w, const char *key, teai_gguf_vtype t,
                             const void *data, uint64_t n) {
    uint64_t es = teai__gguf_vtype_size(t), bytes;
    if (!es || !teai__mul_ok(es, n, &bytes)) return TEAI_EINVAL;
    teai_buf *b = slot(w, key);
    if (!b) return TEAI_ENOMEM;
    int rc = put_u32(b, TEAI_GGUF_ARRAY);
    if (!rc) rc = put_u32(b, t);
    if (!rc) rc = put_u64(b, n);
    if (!rc) rc = teai_buf_add(b, data, (size_t)bytes);
    return rc;
}

int teai_gguf_writer_set_arr_str(teai_gguf_writer *w, const char *key, const teai_gguf_str *strs,
                                 uint64_t n) {
    teai_buf *b = slot(w, key);
    if (!b) return TEAI_ENOMEM;
    int rc = put_u32(b, TEAI_GGUF_ARRAY);
    if (!rc) rc = put_u32(b, TEAI_GGUF_STRING);
    if (!rc) rc = put_u64(b, n);
    for (uint64_t i = 0; i < n && !rc; i++) rc = put_str(b, strs[i].ptr, strs[i].len);
    return rc;
}

int teai_gguf_writer_copy_kv(teai_gguf_writer *w, const teai_gguf_kv *kv) {
    switch (kv->type) {
        case TEAI_GGUF_STRING: {
            teai_buf *b = slot(w, kv->key);
            if (!b) return TEAI_ENOMEM;
            int rc = put_u32(b, TEAI_GGUF_STRING);
            return rc ? rc : put_str(b, kv->v.s.ptr, kv->v.s.len);
        }
        case TEAI_GGUF_ARRAY:
            if (kv->arr_type == TEAI_GGUF_STRING)
                return teai_gguf_writer_set_arr_str(w, kv->key, kv->arr_strs, kv->arr_n);
            return teai_gguf_writer_set_arr(w, kv->key, kv->arr_type, kv->arr_data, kv->arr_n);
        default: {
            uint64_t es = teai__gguf_vtype_size(kv->type);
            if (!es) return TEAI_EINVAL;
            /* the union holds the value widened; narrow it back little-endian */
            uint8_t raw[8];
            uint64_t u = kv->v.u;
            if (kv->type == TEAI_GGUF_FLOAT32) {
                float f = (float)kv->v.f;
                memcpy(raw, &f, 4);
            } else if (kv->type == TEAI_GGUF_FLOAT64) {
                memcpy(raw, &kv->v.f, 8);
            } else {
                for (uint64_t i = 0; i < es; i++) raw[i] = (uint8_t)(u >> (8 * i));
            }
            return set_scalar(w, kv->key, kv->type, raw, (size_t)es);
        }
    }
}

int teai_gguf_writer_add_tensor(teai_gguf_writer *w, const char *name, teai_type type, int n_dims,
                                const int64_t *ne) {
    if (w->out.f || n_dims < 1 || n_dims > 4 || !teai_type_is_known((uint32_t)type) ||
        type == TEAI_TYPE_I8 || type == TEAI_TYPE_NF4)
        return TEAI_EINVAL;
    if (ne[0] % teai_type_block_size(type)) return TEAI_EINVAL;
    if (w->n_t == w->cap_t) {
        int64_t cap = w->cap_t ? w->cap_t * 2 : 64;
        wtensor *p = realloc(w->t, (size_t)cap * sizeof *p);
        if (!p) return TEAI_ENOMEM;
        w->t = p;
        w->cap_t = cap;
    }
    wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name))) return TEAI_ENOMEM;
    t->type = type;
    t->n_dims = n_dims;
    uint64_t rows = 1;
    for (int d = 0; d < 4; d++) {
        t->ne[d] = d < n_dims ? ne[d] : 1;
        if (t->ne[d] <= 0) {
            free(t->name);
            return TEAI_EINVAL;
        }
        if (d > 0) rows *= (uint64_t)t->ne[d];
    }
    t->nbytes = rows * teai_type_row_size(type, t->ne[0]);
    w->n_t++;
    return TEAI_OK;
}

static uint64_t align_up(uint64_t x) {
    return (x + GGUF_ALIGNMENT - 1) / GGUF_ALIGNMENT * GGUF_ALIGNMENT;
}

static int write_all(teai_gguf_writer *w, const void *p, size_t n, teai_error *err) {
    if (n && fwrite(p, 1, n, w->out.f) != n)
        return teai__fail(err, TEAI_EIO, "%s: write: %s", w->out.path, strerror(errno));
    return TEAI_OK;
}

static int write_pad(teai_gguf_writer *w, uint64_t n, teai_error *err) {
    static const uint8_t zeros[GGUF_ALIGNMENT];
    return write_all(w, zeros, (size_t)n, err);
}

int teai_gguf_writer_begin(teai_gguf_writer *w, const char *path, teai_error *err) {
    if (w->out.f) return teai__fail(err, TEAI_EINVAL, "%s: writer already started", path);
    int orc = teai__atomic_open(&w->out, path, err);
    if (orc != TEAI_OK) return orc;

    teai_buf h;
    teai_buf_init(&h, 0);
    int rc = put_u32(&h, 0x46554747u);
    if (!rc) rc = put_u32(&h, 3);
    if (!rc) rc = put_u64(&h, (uint64_t)w->n_t);
    if (!rc) rc = put_u64(&h, (uint64_t)w->n_kv);
    for (int64_t i = 0; i < w->n_kv && !rc; i++) {
        rc = put_str(&h, w->kv[i].key, strlen(w->kv[i].key));
        if (!rc) rc = teai_buf_add(&h, w->kv[i].value.data, w->kv[i].value.len);
    }
    uint64_t off = 0;
    for (int64_t i = 0; i < w->n_t && !rc; i++) {
        wtensor *t = &w->t[i];
        t->offset = off;
        off = align_up(off + t->nbytes);
        rc = put_str(&h, t->name, strlen(t->name));
        if (!rc) rc = put_u32(&h, (uint32_t)t->n_dims);
        for (int d = 0; d < t->n_dims && !rc; d++) rc = put_u64(&h, (uint64_t)t->ne[d]);
        if (!rc) rc = put_u32(&h, (uint32_t)t->type);
        if (!rc) rc = put_u64(&h, t->offset);
    }
    if (rc) {
        teai_buf_free(&h);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    rc = write_all(w, h.data, h.len, err);
    if (!rc) rc = write_pad(w, align_up(h.len) - h.len, err);
    teai_buf_free(&h);
    w->next = 0;
    w->written = 0;
    return rc;
}

int teai_gguf_writer_write_data(teai_gguf_writer *w, const void *data, uint64_t nbytes,
                                teai_error *err) {
    const uint8_t *p = data;
    while (nbytes > 0) {
        if (!w->out.f || w->next >= w->n_t)
            return teai__fail(err, TEAI_EINVAL, "gguf writer: more tensor data than declared");
        wtensor *t = &w->t[w->next];
        uint64_t take = t->nbytes - w->written;
        if (take > nbytes) take = nbytes;
        int rc = write_all(w, p, (size_t)take, err);
        if (rc) return rc;
        p += take;
        nbytes -= take;
        w->written += take;
        if (w->written == t->nbytes) {
            if ((rc = write_pad(w, align_up(t->nbytes) - t->nbytes, err))) return rc;
            w->next++;
            w->written = 0;
        }
    }
    return TEAI_OK;
}

int teai_gguf_writer_finish(teai_gguf_writer *w, teai_error *err) {
    if (!w->out.f) return teai__fail(err, TEAI_EINVAL, "gguf writer: not started");
    if (w->next != w->n_t)
        return teai__fail(err, TEAI_EINVAL, "%s: %lld of %lld tensors written", w->out.path,
                          (long long)w->next, (long long)w->n_t);
    return teai__atomic_commit(&w->out, err);
}
