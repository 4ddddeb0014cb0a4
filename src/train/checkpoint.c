/* Writing and reading checkpoint.bin (layout in checkpoint.h). */
#include "checkpoint.h"

#include "base/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CKPT_MAGIC   "TEAICKPT"
#define CKPT_VERSION 1u
#define FNV_OFFSET   0xcbf29ce484222325ull
#define FNV_PRIME    0x100000001b3ull

typedef struct hasher {
    uint64_t h;
    uint8_t tail[8];
    int n_tail; /* bytes waiting to make a word */
} hasher;

static void hash_add(hasher *hs, const void *data, size_t n) {
    const uint8_t *p = data;
    while (n && hs->n_tail) { /* complete a pending word first */
        hs->tail[hs->n_tail++] = *p++, n--;
        if (hs->n_tail == 8) {
            uint64_t w;
            memcpy(&w, hs->tail, 8);
            hs->h = (hs->h ^ w) * FNV_PRIME;
            hs->n_tail = 0;
        }
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        hs->h = (hs->h ^ w) * FNV_PRIME;
    }
    while (n--) hs->tail[hs->n_tail++] = *p++;
}

static uint64_t hash_end(hasher *hs) {
    for (int i = 0; i < hs->n_tail; i++) hs->h = (hs->h ^ hs->tail[i]) * FNV_PRIME;
    hs->n_tail = 0;
    return hs->h;
}

typedef struct wr {
    FILE *f;
    hasher hs;
} wr;

static void put(wr *w, const void *p, size_t n) {
    hash_add(&w->hs, p, n);
    fwrite(p, 1, n, w->f);
}

static void put_i32(wr *w, int32_t x) {
    put(w, &x, 4);
}

int teai__ckpt_write(const char *path, const teai__ckpt *c, teai_error *err) {
    teai__atomic_file af;
    int rc = teai__atomic_open(&af, path, err);
    if (rc) return rc;
    wr w = {af.f, {FNV_OFFSET, {0}, 0}};
    uint32_t ver[2] = {CKPT_VERSION, 0};
    put(&w, CKPT_MAGIC, 8);
    put(&w, ver, sizeof ver);
    const teai__tshape *s = &c->shape;
    int32_t shape[8] = {s->dim,    s->n_layers, s->n_heads, s->n_kv_heads,
                        s->hidden, s->n_vocab,  s->n_ctx,   s->tied};
    put(&w, shape, sizeof shape);
    put(&w, &s->rope_theta, 4);
    put(&w, &s->norm_eps, 4);
    uint64_t np = c->n_params;
    put(&w, &c->seed, 8);
    put(&w, &c->step, 8);
    put(&w, &np, 8);
    put(&w, c->tokenizer_sha256, 64);
    put(&w, c->data_sha256, 64);
    uint64_t nl = (uint64_t)c->n_log;
    put(&w, &nl, 8);
    put(&w, c->params, c->n_params * sizeof(float));
    put(&w, c->m, c->n_params * sizeof(float));
    put(&w, c->v, c->n_params * sizeof(float));
    for (int64_t i = 0; i < c->n_log; i++) {
        const teai__tlog *l = &c->log[i];
        double f[5] = {l->lr, l->loss, l->heldout_loss, l->heldout_bpb, l->tokens_per_s};
        put_i32(&w, l->step);
        put_i32(&w, 0);
        put(&w, f, sizeof f);
    }
    uint64_t sum = hash_end(&w.hs);
    fwrite(&sum, 8, 1, af.f);
    return teai__atomic_commit(&af, err);
}

/* A cursor over the mapped file: take() fails past the end. */
typedef struct rd {
    const uint8_t *p;
    size_t left;
} rd;

static int take(rd *r, void *dst, size_t n) {
    if (r->left < n) return -1;
    memcpy(dst, r->p, n);
    r->p += n, r->left -= n;
    return 0;
}

int teai__ckpt_read(const char *path, teai__ckpt *c, teai_error *err) {
    memset(c, 0, sizeof *c);
    struct stat st;
    if (stat(path, &st) != 0)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    teai__map map = {0};
    int rc = teai__map_file(path, &map, err);
    if (rc) return rc;
    rd r = {map.data, map.size};
    char magic[8];
    uint32_t ver[2];
    int32_t shape[8];
    uint64_t np = 0, nl = 0;
    if (map.size < 8 + 8 || take(&r, magic, 8) || memcmp(magic, CKPT_MAGIC, 8) != 0) {
        teai__unmap(&map);
        return teai__fail(err, TEAI_EFORMAT, "%s: not a teai checkpoint", path);
    }
    take(&r, ver, sizeof ver);
    if (ver[0] != CKPT_VERSION) {
        teai__unmap(&map);
        return teai__fail(err, TEAI_EFORMAT, "%s: checkpoint version %u, this teai reads %u", path,
                          ver[0], CKPT_VERSION);
    }
    teai__tshape *s = &c->shape;
    int bad = take(&r, shape, sizeof shape) || take(&r, &s->rope_theta, 4) ||
              take(&r, &s->norm_eps, 4) || take(&r, &c->seed, 8) || take(&r, &c->step, 8) ||
              take(&r, &np, 8) || take(&r, c->tokenizer_sha256, 64) ||
              take(&r, c->data_sha256, 64) || take(&r, &nl, 8);
    c->tokenizer_sha256[64] = c->data_sha256[64] = '\0';
    /* the sizes the header promises must be what the file holds, exactly */
    uint64_t arrays = 0, logs = 0, need = 0;
    if (!bad)
        bad = !teai__mul_ok(np, 12, &arrays) || !teai__mul_ok(nl, 48, &logs) ||
              __builtin_add_overflow(arrays, logs, &need) ||
              __builtin_add_overflow(need, 8, &need) || need != r.left;
    if (bad) {
        teai__unmap(&map);
        return teai__fail(err, TEAI_EFORMAT, "%s: truncated or damaged checkpoint", path);
    }
    hasher hs = {FNV_OFFSET, {0}, 0};
    hash_add(&hs, map.data, map.size - 8);
    uint64_t want, got = hash_end(&hs);
    memcpy(&want, map.data + map.size - 8, 8);
    if (want != got) {
        teai__unmap(&map);
        return teai__fail(err, TEAI_EFORMAT, "%s: checksum mismatch (damaged checkpoint)", path);
    }
    s->dim = shape[0], s->n_layers = shape[1], s->n_heads = shape[2], s->n_kv_heads = shape[3];
    s->hidden = shape[4], s->n_vocab = shape[5], s->n_ctx = shape[6], s->tied = shape[7];
    c->n_params = (size_t)np;
    c->n_log = (int64_t)nl;
    c->params = malloc(c->n_params * sizeof(float) + 1);
    c->m = malloc(c->n_params * sizeof(float) + 1);
    c->v = malloc(c->n_params * sizeof(float) + 1);
    c->log = malloc((size_t)nl * sizeof *c->log + 1);
    if (!c->params || !c->m || !c->v || !c->log) {
        teai__unmap(&map);
        teai__ckpt_free(c);
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory reading the checkpoint", path);
    }
    take(&r, c->params, c->n_params * sizeof(float));
    take(&r, c->m, c->n_params * sizeof(float));
    take(&r, c->v, c->n_params * sizeof(float));
    for (uint64_t i = 0; i < nl; i++) {
        int32_t hd[2] = {0, 0};
        double f[5] = {0};
        take(&r, hd, sizeof hd);
        take(&r, f, sizeof f);
        c->log[i] = (teai__tlog){hd[0], f[0], f[1], f[2], f[3], f[4]};
    }
    teai__unmap(&map);
    return TEAI_OK;
}

void teai__ckpt_free(teai__ckpt *c) {
    free(c->params);
    free(c->m);
    free(c->v);
    free(c->log);
    c->params = c->m = c->v = NULL;
    c->log = NULL;
}
