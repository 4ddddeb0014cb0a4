/* The trained model's parameters (layout, shape check, initial weights) and
 * its workspace. The step itself is in tmodel_fwd.c and tmodel_bwd.c. */
#include "train/tmodel_impl.h"
#include "train/tops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int teai__tshape_check(const teai__tshape *s, char *msg, size_t cap) {
    const char *why = NULL;
    if (s->dim <= 0 || s->n_layers <= 0 || s->n_heads <= 0 || s->n_kv_heads <= 0 ||
        s->hidden <= 0 || s->n_vocab <= 0 || s->n_ctx <= 0)
        why = "every size must be positive";
    else if (s->dim % s->n_heads != 0)
        why = "dim must be a multiple of n_heads";
    else if ((s->dim / s->n_heads) % 2 != 0)
        why = "head_dim (dim / n_heads) must be even for RoPE";
    else if (s->n_heads % s->n_kv_heads != 0)
        why = "n_heads must be a multiple of n_kv_heads";
    else if (s->n_heads / s->n_kv_heads > 128)
        why = "at most 128 query heads per KV head";
    else if (!(s->rope_theta > 0) || !(s->norm_eps > 0))
        why = "rope_theta and norm_eps must be positive";
    else if ((int64_t)s->n_vocab * s->dim > INT32_MAX || (int64_t)s->hidden * s->dim > INT32_MAX ||
             s->n_layers > 4096 || s->n_ctx > 65536)
        why = "too large";
    if (!why) return 0;
    if (msg && cap) snprintf(msg, cap, "model shape: %s", why);
    return -1;
}

static void put(teai__ttensor *t, int cap, int *n, const char *name, int64_t rows, int64_t cols,
                size_t *off) {
    if (*n < cap) {
        snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
        t[*n].rows = rows;
        t[*n].cols = cols;
        t[*n].offset = *off;
    }
    (*n)++;
    *off += (size_t)(rows ? rows : 1) * (size_t)cols;
}

int teai__tmodel_layout(const teai__tshape *s, teai__ttensor *t, int cap) {
    int n = 0, hd = s->dim / s->n_heads;
    int64_t D = s->dim, qd = (int64_t)s->n_heads * hd, kvd = (int64_t)s->n_kv_heads * hd;
    size_t off = 0;
    put(t, cap, &n, "token_embd.weight", s->n_vocab, D, &off);
    put(t, cap, &n, "output_norm.weight", 0, D, &off);
    if (!s->tied) put(t, cap, &n, "output.weight", s->n_vocab, D, &off);
    for (int l = 0; l < s->n_layers; l++) {
        char name[48];
        static const char *const parts[] = {"attn_norm", "attn_q",      "attn_k",
                                            "attn_v",    "attn_output", "ffn_norm",
                                            "ffn_gate",  "ffn_up",      "ffn_down"};
        int64_t rows[] = {0, qd, kvd, kvd, D, 0, s->hidden, s->hidden, D};
        int64_t cols[] = {D, D, D, D, qd, D, D, D, s->hidden};
        for (int p = 0; p < 9; p++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, parts[p]);
            put(t, cap, &n, name, rows[p], cols[p], &off);
        }
    }
    return n;
}

void teai__tmodel_offsets(const teai__tshape *s, teai__toff *o) {
    size_t D = (size_t)s->dim, hd = D / (size_t)s->n_heads;
    size_t qd = (size_t)s->n_heads * hd, kvd = (size_t)s->n_kv_heads * hd, F = (size_t)s->hidden;
    size_t V = (size_t)s->n_vocab, off = 0;
    o->tok_embd = off, off += V * D;
    o->output_norm = off, off += D;
    if (s->tied) {
        o->output = o->tok_embd;
    } else {
        o->output = off, off += V * D;
    }
    teai__tlayer_off *L = &o->layer0;
    size_t start = off;
    L->attn_norm = off, off += D;
    L->wq = off, off += qd * D;
    L->wk = off, off += kvd * D;
    L->wv = off, off += kvd * D;
    L->wo = off, off += D * qd;
    L->ffn_norm = off, off += D;
    L->w_gate = off, off += F * D;
    L->w_up = off, off += F * D;
    L->w_down = off, off += D * F;
    o->layer_stride = off - start;
}

size_t teai__tmodel_n_params(const teai__tshape *s) {
    teai__toff o;
    teai__tmodel_offsets(s, &o);
    return o.layer0.attn_norm + o.layer_stride * (size_t)s->n_layers;
}

/* splitmix64: a seeded stream of 64-bit values */
static uint64_t next_u64(uint64_t *st) {
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* normal(0, 1) by Box-Muller, in double */
static double next_normal(uint64_t *st) {
    double u1 = ((double)(next_u64(st) >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
    double u2 = (double)(next_u64(st) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* count normals of sd from stream `which` of seed */
static void fill_normal(float *p, size_t count, double sd, uint64_t seed, uint64_t which) {
    /* each tensor its own stream, so one tensor's weights do not depend on
     * the sizes of those before it */
    uint64_t st = seed ^ (0x632be59bd9b4e019ull * (which + 1));
    for (size_t k = 0; k < count; k++) p[k] = (float)(sd * next_normal(&st));
}

static void fill_ones(float *p, size_t count) {
    for (size_t k = 0; k < count; k++) p[k] = 1.0f;
}

void teai__tmodel_init(const teai__tshape *s, float *params, uint64_t seed) {
    teai__toff o;
    teai__tmodel_offsets(s, &o);
    size_t D = (size_t)s->dim, hd = D / (size_t)s->n_heads, F = (size_t)s->hidden;
    size_t qd = (size_t)s->n_heads * hd, kvd = (size_t)s->n_kv_heads * hd, V = (size_t)s->n_vocab;
    double sd = 0.02, sd_out = 0.02 / sqrt(2.0 * s->n_layers);
    fill_normal(params + o.tok_embd, V * D, sd, seed, 0);
    fill_ones(params + o.output_norm, D);
    if (!s->tied) fill_normal(params + o.output, V * D, sd, seed, 1);
    for (int l = 0; l < s->n_layers; l++) {
        float *p = params + (size_t)l * o.layer_stride;
        const teai__tlayer_off *L = &o.layer0;
        uint64_t w = 2 + 8 * (uint64_t)l;
        fill_ones(p + L->attn_norm, D);
        fill_normal(p + L->wq, qd * D, sd, seed, w + 0);
        fill_normal(p + L->wk, kvd * D, sd, seed, w + 1);
        fill_normal(p + L->wv, kvd * D, sd, seed, w + 2);
        fill_normal(p + L->wo, D * qd, sd_out, seed, w + 3);
        fill_ones(p + L->ffn_norm, D);
        fill_normal(p + L->w_gate, F * D, sd, seed, w + 4);
        fill_normal(p + L->w_up, F * D, sd, seed, w + 5);
        fill_normal(p + L->w_down, D * F, sd_out, seed, w + 6);
    }
}

/* ---- workspace ---------------------------------------------------------- */

void teai__tws_free(teai__tws *ws) {
    if (!ws) return;
    free(ws->block);
    free(ws->attn_scratch);
    free(ws);
}

const float *teai__tws_logits(const teai__tws *ws) {
    return ws->logits;
}

teai__tws *teai__tws_new(const teai__tshape *s, int B, int T) {
    if (teai__tshape_check(s, NULL, 0) != 0 || B <= 0 || T <= 0) return NULL;
    teai__tws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->s = *s;
    ws->B = B, ws->T = T;
    ws->head_dim = s->dim / s->n_heads;
    ws->q_dim = s->n_heads * ws->head_dim;
    ws->kv_dim = s->n_kv_heads * ws->head_dim;
    size_t N = (size_t)B * (size_t)T, L = (size_t)s->n_layers, D = (size_t)s->dim;
    size_t qd = (size_t)ws->q_dim, kvd = (size_t)ws->kv_dim, F = (size_t)s->hidden;
    size_t V = (size_t)s->n_vocab, H = (size_t)s->n_heads;
    /* two passes over the same list: sizes first, then pointers */
    struct {
        void **p;
        size_t bytes;
    } a[] = {
        {(void **)&ws->ids, sizeof(int32_t) * N},
        {(void **)&ws->targets, sizeof(int32_t) * N},
        {(void **)&ws->rope_cs, sizeof(float) * (size_t)T * (size_t)ws->head_dim},
        {(void **)&ws->x, sizeof(float) * (L + 1) * N * D},
        {(void **)&ws->h, sizeof(float) * L * N * D},
        {(void **)&ws->xn1, sizeof(float) * L * N * D},
        {(void **)&ws->xn2, sizeof(float) * L * N * D},
        {(void **)&ws->rstd1, sizeof(float) * L * N},
        {(void **)&ws->rstd2, sizeof(float) * L * N},
        {(void **)&ws->q, sizeof(float) * L * N * qd},
        {(void **)&ws->k, sizeof(float) * L * N * kvd},
        {(void **)&ws->v, sizeof(float) * L * N * kvd},
        {(void **)&ws->P, sizeof(float) * L * (size_t)B * H * (size_t)T * (size_t)T},
        {(void **)&ws->ao, sizeof(float) * L * N * qd},
        {(void **)&ws->g, sizeof(float) * L * N * F},
        {(void **)&ws->u, sizeof(float) * L * N * F},
        {(void **)&ws->xnf, sizeof(float) * N * D},
        {(void **)&ws->rstdf, sizeof(float) * N},
        {(void **)&ws->logits, sizeof(float) * N * V},
        {(void **)&ws->row_loss, sizeof(double) * N},
        {(void **)&ws->act, sizeof(float) * N * F},
        {(void **)&ws->dx, sizeof(float) * N * D},
        {(void **)&ws->dxn, sizeof(float) * N * D},
        {(void **)&ws->dq, sizeof(float) * N * qd},
        {(void **)&ws->dao, sizeof(float) * N * qd},
        {(void **)&ws->dk, sizeof(float) * N * kvd},
        {(void **)&ws->dv, sizeof(float) * N * kvd},
        {(void **)&ws->dact, sizeof(float) * N * F},
        {(void **)&ws->dg, sizeof(float) * N * F},
        {(void **)&ws->du, sizeof(float) * N * F},
    };
    size_t total = 0, n = sizeof a / sizeof *a;
    for (size_t i = 0; i < n; i++) total += (a[i].bytes + 63) / 64 * 64;
    if (posix_memalign(&ws->block, 64, total) != 0) {
        free(ws);
        return NULL;
    }
    char *at = ws->block;
    for (size_t i = 0; i < n; i++) {
        *a[i].p = at;
        at += (a[i].bytes + 63) / 64 * 64;
    }
    teai__rope_table(T, ws->head_dim, s->rope_theta, ws->rope_cs);
    return ws;
}
