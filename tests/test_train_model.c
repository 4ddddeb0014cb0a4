/* The trained llama model (src/train/tmodel*.c and its element-wise ops,
 * src/train/tops.c).
 *
 * - Every op's backward (embedding, RMSNorm, RoPE, attention, SwiGLU,
 *   softmax cross-entropy, a linear layer through teai__sgemm) against
 *   central differences (step 1e-5) of a double-precision forward written
 *   here, on tiny shapes, for the loss sum(c * y) with random c:
 *   max |grad - fd| <= OP_RTOL * max |fd|. The float forward is checked
 *   against the double one too (the same loss within OP_RTOL).
 * - The whole model (dim 16, 2 layers, 4 heads, 2 KV heads, hidden 32,
 *   vocab 11, B 2, T 5; tied and untied): the step's gradient at sampled
 *   parameters of every tensor against central differences of its loss,
 *   computed in float (the model has no double twin) with step 1e-2 and
 *   Richardson extrapolation (4 D(h/2) - D(h)) / 3, which leaves mostly the
 *   loss's float rounding (~1e-7 of 2.4 nats, divided by the step; seen
 *   up to 6e-5 of gradients up to 0.9): per sample
 *   |grad - fd| <= MODEL_RTOL * |fd| + MODEL_ATOL.
 * - The same gradients, loss and logits with pools of 1, 2 and 3 threads,
 *   bit for bit.
 * - The logits equal the engine's on the same weights written as an f32
 *   GGUF (max abs diff < 1e-3; the engine sums in another order).
 * - A one-layer model learns an alternating two-token sequence (Adam, 200
 *   steps): the loss falls below 0.05 nats. */
#include "teai/engine.h"
#include "test_util.h"
#include "tokenizer.h"
#include "train/gemm.h"
#include "train/tmodel.h"
#include "train/tops.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OP_RTOL    1e-3
#define OP_STEP    1e-5
#define MODEL_RTOL 1e-2
#define MODEL_ATOL 1e-4

/* ---- deterministic random data ---------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng_u64(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_uniform(void) { /* [0, 1) */
    return (double)(rng_u64() >> 11) / 9007199254740992.0;
}

static float rng_normal(void) {
    double u1 = rng_uniform() + 1e-12, u2 = rng_uniform();
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

static int rng_int(int n) {
    return (int)(rng_u64() % (uint64_t)n);
}

static float *normals(long n, float sd) {
    float *p = malloc(sizeof(float) * (size_t)n);
    for (long i = 0; i < n; i++) p[i] = sd * rng_normal();
    return p;
}

/* ---- the finite-difference checker --------------------------------------- */

/* loss(ctx, x) in double for inputs x (n) */
typedef double (*loss_fn)(void *ctx, const double *x);

/* Compares grad (n, from the float backward) with central differences of f
 * at x (n); returns max |grad - fd| / max |fd| and prints it when over
 * OP_RTOL. */
static double fd_check(const char *what, loss_fn f, void *ctx, const double *x, int n,
                       const float *grad) {
    double *xd = malloc(sizeof(double) * (size_t)n);
    memcpy(xd, x, sizeof(double) * (size_t)n);
    double max_fd = 0, max_diff = 0;
    for (int i = 0; i < n; i++) {
        xd[i] = x[i] + OP_STEP;
        double lp = f(ctx, xd);
        xd[i] = x[i] - OP_STEP;
        double lm = f(ctx, xd);
        xd[i] = x[i];
        double fd = (lp - lm) / (2 * OP_STEP);
        if (fabs(fd) > max_fd) max_fd = fabs(fd);
        if (fabs(fd - grad[i]) > max_diff) max_diff = fabs(fd - grad[i]);
    }
    free(xd);
    double rel = max_diff / (max_fd > 1e-12 ? max_fd : 1e-12);
    if (!(rel <= OP_RTOL))
        fprintf(stderr, "%s: max |grad - fd| = %.3g, max |fd| = %.3g\n", what, max_diff, max_fd);
    return rel;
}

static double *to_double(const float *a, long n) {
    double *d = malloc(sizeof(double) * (size_t)n);
    for (long i = 0; i < n; i++) d[i] = a[i];
    return d;
}

/* sum(c * y) in double */
static double dotc(const float *c, const float *y, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)c[i] * y[i];
    return s;
}

#define ASSERT_LOSS_CLOSE(lf, ld) ASSERT_TRUE(fabs((lf) - (ld)) <= OP_RTOL * (1 + fabs(ld)))

/* ---- RMSNorm -------------------------------------------------------------- */

typedef struct norm_ctx {
    int N, D;
    float eps;
    const float *c;
} norm_ctx;

static double norm_loss(void *vc, const double *x) { /* x = [x (N, D), w (D)] */
    const norm_ctx *c = vc;
    const double *w = x + c->N * c->D;
    double L = 0;
    for (int n = 0; n < c->N; n++) {
        const double *r = x + n * c->D;
        double ss = 0;
        for (int i = 0; i < c->D; i++) ss += r[i] * r[i];
        double rs = 1 / sqrt(ss / c->D + c->eps);
        for (int i = 0; i < c->D; i++) L += c->c[n * c->D + i] * r[i] * rs * w[i];
    }
    return L;
}

static void test_rmsnorm_grad(void) {
    enum { N = 3, D = 8 };
    float *in = normals(N * D + D, 1), *c = normals(N * D, 1);
    for (int i = 0; i < D; i++) in[N * D + i] += 1; /* weights near 1 */
    norm_ctx ctx = {N, D, 1e-5f, c};
    float y[N * D], rstd[N], grad[N * D + D];
    teai__rmsnorm_fwd(NULL, N, D, in, in + N * D, ctx.eps, y, rstd);
    /* dx and dw are added into: start them at 1 and take it off after */
    for (int i = 0; i < N * D + D; i++) grad[i] = 1;
    teai__rmsnorm_bwd(NULL, N, D, in, in + N * D, rstd, c, grad, grad + N * D);
    for (int i = 0; i < N * D + D; i++) grad[i] -= 1;
    double *xd = to_double(in, N * D + D);
    double ld = norm_loss(&ctx, xd);
    ASSERT_LOSS_CLOSE(dotc(c, y, N * D), ld);
    ASSERT_TRUE(fd_check("rmsnorm", norm_loss, &ctx, xd, N * D + D, grad) <= OP_RTOL);
    free(xd);
    free(in);
    free(c);
}

/* ---- RoPE ------------------------------------------------------------------ */

typedef struct rope_ctx {
    int N, T, nh, hd;
    double theta;
    const float *c;
} rope_ctx;

static double rope_loss(void *vc, const double *x) {
    const rope_ctx *c = vc;
    double L = 0;
    for (int n = 0; n < c->N; n++)
        for (int h = 0; h < c->nh; h++) {
            const double *v = x + (n * c->nh + h) * c->hd;
            const float *cc = c->c + (n * c->nh + h) * c->hd;
            for (int i = 0; i < c->hd / 2; i++) {
                double a = (n % c->T) * pow(c->theta, -2.0 * i / c->hd);
                double y0 = v[2 * i] * cos(a) - v[2 * i + 1] * sin(a);
                double y1 = v[2 * i] * sin(a) + v[2 * i + 1] * cos(a);
                L += cc[2 * i] * y0 + cc[2 * i + 1] * y1;
            }
        }
    return L;
}

static void test_rope_grad(void) {
    enum { B = 2, T = 4, N = B * T, NH = 2, HD = 6, W = NH * HD };
    float *x = normals(N * W, 1), *c = normals(N * W, 1), cs[T * HD];
    rope_ctx ctx = {N, T, NH, HD, 10.0, c};
    teai__rope_table(T, HD, (float)ctx.theta, cs);
    float y[N * W], g[N * W];
    memcpy(y, x, sizeof y);
    teai__rope_fwd(NULL, N, T, NH, HD, cs, y);
    memcpy(g, c, sizeof g);
    teai__rope_bwd(NULL, N, T, NH, HD, cs, g);
    double *xd = to_double(x, N * W);
    ASSERT_LOSS_CLOSE(dotc(c, y, N * W), rope_loss(&ctx, xd));
    ASSERT_TRUE(fd_check("rope", rope_loss, &ctx, xd, N * W, g) <= OP_RTOL);
    free(xd);
    free(x);
    free(c);
}

/* ---- attention ------------------------------------------------------------- */

typedef struct attn_ctx {
    int B, T, H, KV, hd;
    const float *c;
} attn_ctx;

static double attn_loss(void *vc, const double *x) { /* x = [q, k, v] */
    const attn_ctx *c = vc;
    int N = c->B * c->T, qd = c->H * c->hd, kvd = c->KV * c->hd, group = c->H / c->KV;
    const double *q = x, *k = q + N * qd, *v = k + N * kvd;
    double L = 0, s[64];
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->H; h++)
            for (int i = 0; i < c->T; i++) {
                const double *qi = q + (b * c->T + i) * qd + h * c->hd;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) {
                    const double *kj = k + (b * c->T + j) * kvd + (h / group) * c->hd;
                    double d = 0;
                    for (int e = 0; e < c->hd; e++) d += qi[e] * kj[e];
                    s[j] = d / sqrt((double)c->hd);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j <= i; j++) sum += s[j] = exp(s[j] - mx);
                const float *ci = c->c + (b * c->T + i) * qd + h * c->hd;
                for (int j = 0; j <= i; j++) {
                    const double *vj = v + (b * c->T + j) * kvd + (h / group) * c->hd;
                    for (int e = 0; e < c->hd; e++) L += ci[e] * s[j] / sum * vj[e];
                }
            }
    return L;
}

static void test_attention_grad(void) {
    enum { B = 2, T = 5, H = 4, KV = 2, HD = 4, N = B * T, QD = H * HD, KVD = KV * HD };
    enum { NX = N * QD + 2 * N * KVD };
    float *x = normals(NX, 1), *c = normals(N * QD, 1);
    float *q = x, *k = q + N * QD, *v = k + N * KVD;
    float P[B * H * T * T], o[N * QD], grad[NX];
    float *scratch = malloc(sizeof(float) * (size_t)teai__attn_scratch(T, HD));
    teai__attn_fwd(NULL, B, T, H, KV, HD, q, k, v, P, o, scratch);
    teai__attn_bwd(NULL, B, T, H, KV, HD, q, k, v, P, o, c, grad, grad + N * QD,
                   grad + N * QD + N * KVD, scratch);
    attn_ctx ctx = {B, T, H, KV, HD, c};
    double *xd = to_double(x, NX);
    ASSERT_LOSS_CLOSE(dotc(c, o, N * QD), attn_loss(&ctx, xd));
    /* causal: nothing above the diagonal, rows sum to 1 */
    for (int r = 0; r < B * H * T; r++) {
        double sum = 0;
        for (int j = 0; j < T; j++) {
            if (j > r % T) ASSERT_TRUE(P[r * T + j] == 0);
            sum += P[r * T + j];
        }
        ASSERT_NEAR(sum, 1, 1e-6);
    }
    ASSERT_TRUE(fd_check("attention", attn_loss, &ctx, xd, NX, grad) <= OP_RTOL);
    free(xd);
    free(x);
    free(c);
    free(scratch);
}

/* ---- SwiGLU ----------------------------------------------------------------- */

typedef struct glu_ctx {
    int n;
    const float *c;
} glu_ctx;

static double glu_loss(void *vc, const double *x) { /* x = [g, u] */
    const glu_ctx *c = vc;
    double L = 0;
    for (int i = 0; i < c->n; i++) L += c->c[i] * x[i] / (1 + exp(-x[i])) * x[c->n + i];
    return L;
}

static void test_swiglu_grad(void) {
    enum { n = 12 };
    float *x = normals(2 * n, 2), *c = normals(n, 1), a[n], grad[2 * n];
    teai__swiglu_fwd(NULL, n, x, x + n, a);
    teai__swiglu_bwd(NULL, n, x, x + n, c, grad, grad + n);
    glu_ctx ctx = {n, c};
    double *xd = to_double(x, 2 * n);
    ASSERT_LOSS_CLOSE(dotc(c, a, n), glu_loss(&ctx, xd));
    ASSERT_TRUE(fd_check("swiglu", glu_loss, &ctx, xd, 2 * n, grad) <= OP_RTOL);
    free(xd);
    free(x);
    free(c);
}

/* ---- softmax cross-entropy ------------------------------------------------ */

typedef struct xent_ctx {
    int N, V;
    const int32_t *tg;
} xent_ctx;

static double xent_loss(void *vc, const double *x) {
    const xent_ctx *c = vc;
    double L = 0;
    for (int n = 0; n < c->N; n++) {
        const double *l = x + n * c->V;
        double mx = -INFINITY, s = 0;
        for (int j = 0; j < c->V; j++) mx = l[j] > mx ? l[j] : mx;
        for (int j = 0; j < c->V; j++) s += exp(l[j] - mx);
        L += mx + log(s) - l[c->tg[n]];
    }
    return L / c->N;
}

static void test_xent_grad(void) {
    enum { N = 4, V = 7 };
    float *l = normals(N * V, 3);
    l[5] = 40; /* a large logit: the max is taken out first */
    int32_t tg[N] = {0, 6, 3, 3};
    double row[N];
    xent_ctx ctx = {N, V, tg};
    double *xd = to_double(l, N * V);
    double ld = xent_loss(&ctx, xd);
    float keep[N * V];
    memcpy(keep, l, sizeof keep);
    ASSERT_NEAR(teai__xent(NULL, N, V, l, tg, 0, row), ld, 1e-5);
    ASSERT_TRUE(memcmp(keep, l, sizeof keep) == 0); /* grad 0 leaves the logits */
    ASSERT_NEAR(teai__xent(NULL, N, V, l, tg, 1, row), ld, 1e-5);
    ASSERT_TRUE(fd_check("cross-entropy", xent_loss, &ctx, xd, N * V, l) <= OP_RTOL);
    free(xd);
    free(l);
}

/* ---- embedding ---------------------------------------------------------- */

typedef struct embed_ctx {
    int N, D;
    const int32_t *ids;
    const float *c;
} embed_ctx;

static double embed_loss(void *vc, const double *E) {
    const embed_ctx *c = vc;
    double L = 0;
    for (int n = 0; n < c->N; n++)
        for (int i = 0; i < c->D; i++) L += c->c[n * c->D + i] * E[c->ids[n] * c->D + i];
    return L;
}

static void test_embed_grad(void) {
    enum { V = 5, D = 3, N = 6 };
    int32_t ids[N] = {4, 0, 4, 2, 4, 0}; /* repeats add up */
    float *E = normals(V * D, 1), *c = normals(N * D, 1), x[N * D], dE[V * D] = {0};
    teai__embed_fwd(NULL, N, D, ids, E, x);
    teai__embed_bwd(NULL, N, D, ids, c, dE);
    embed_ctx ctx = {N, D, ids, c};
    double *xd = to_double(E, V * D);
    ASSERT_LOSS_CLOSE(dotc(c, x, N * D), embed_loss(&ctx, xd));
    ASSERT_TRUE(fd_check("embedding", embed_loss, &ctx, xd, V * D, dE) <= OP_RTOL);
    free(xd);
    free(E);
    free(c);
}

/* ---- a linear layer y = x W^T through teai__sgemm --------------------------- */

typedef struct lin_ctx {
    int T, in, out;
    const float *c;
} lin_ctx;

static double lin_loss(void *vc, const double *x) { /* x = [X (T, in), W (out, in)] */
    const lin_ctx *c = vc;
    const double *W = x + c->T * c->in;
    double L = 0;
    for (int t = 0; t < c->T; t++)
        for (int o = 0; o < c->out; o++) {
            double y = 0;
            for (int i = 0; i < c->in; i++) y += x[t * c->in + i] * W[o * c->in + i];
            L += c->c[t * c->out + o] * y;
        }
    return L;
}

static void test_linear_grad(void) {
    enum { T = 5, IN = 7, OUT = 3 };
    float *x = normals(T * IN + OUT * IN, 1), *c = normals(T * OUT, 1);
    float *X = x, *W = x + T * IN, y[T * OUT], grad[T * IN + OUT * IN];
    teai__sgemm(0, 1, T, OUT, IN, X, IN, W, IN, 0, y, OUT, NULL);
    teai__sgemm(0, 0, T, IN, OUT, c, OUT, W, IN, 0, grad, IN, NULL); /* dX = dY W */
    memset(grad + T * IN, 0, sizeof(float) * OUT * IN);
    teai__sgemm(1, 0, OUT, IN, T, c, OUT, X, IN, 1, grad + T * IN, IN, NULL); /* dW += dY^T X */
    lin_ctx ctx = {T, IN, OUT, c};
    double *xd = to_double(x, T * IN + OUT * IN);
    ASSERT_LOSS_CLOSE(dotc(c, y, T * OUT), lin_loss(&ctx, xd));
    ASSERT_TRUE(fd_check("linear", lin_loss, &ctx, xd, T * IN + OUT * IN, grad) <= OP_RTOL);
    free(xd);
    free(x);
    free(c);
}

/* ---- the whole model ----------------------------------------------------- */

static teai__tshape tiny_shape(int tied) {
    teai__tshape s = {16, 2, 4, 2, 32, 11, 5, tied, 10000.0f, 1e-5f};
    return s;
}

/* Random weights larger than the initial ones, so every path carries a
 * gradient well above the float noise of the loss. */
static float *random_params(const teai__tshape *s, uint64_t seed, float sd) {
    size_t n = teai__tmodel_n_params(s);
    float *p = malloc(sizeof(float) * n);
    teai__tmodel_init(s, p, seed);
    for (size_t i = 0; i < n; i++) p[i] += sd * rng_normal();
    return p;
}

static int32_t *random_tokens(int B, int T, int n_vocab) {
    int32_t *t = malloc(sizeof(int32_t) * (size_t)B * (size_t)(T + 1));
    for (int i = 0; i < B * (T + 1); i++) t[i] = rng_int(n_vocab);
    return t;
}

static void check_model_grad(int tied) {
    teai__tshape s = tiny_shape(tied);
    enum { B = 2, T = 5 };
    char msg[128];
    ASSERT_EQ(teai__tshape_check(&s, msg, sizeof msg), 0);
    size_t np = teai__tmodel_n_params(&s);
    float *p = random_params(&s, 7, 0.3f), *g = calloc(np, sizeof(float));
    int32_t *tok = random_tokens(B, T, s.n_vocab);
    teai__tws *ws = teai__tws_new(&s, B, T);
    ASSERT_TRUE(ws != NULL);
    double loss = teai__tmodel_step(&s, p, g, tok, B, T, ws, NULL);
    ASSERT_TRUE(loss > 0 && loss < 20);
    teai__ttensor t[32];
    int nt = teai__tmodel_layout(&s, t, 32);
    ASSERT_EQ(nt, (tied ? 2 : 3) + 9 * s.n_layers);
    double max_g = 0, worst = 0; /* worst: of |grad - fd| / (its tolerance) */
    enum { PER = 8 };
    int idx[32 * PER];
    double fd[32 * PER];
    for (int i = 0; i < nt; i++)
        for (int r = 0; r < PER; r++) {
            size_t cnt = (size_t)(t[i].rows ? t[i].rows : 1) * (size_t)t[i].cols;
            size_t at = t[i].offset + (size_t)rng_int((int)cnt);
            idx[i * PER + r] = (int)at;
            float keep = p[at];
            double d[2];
            for (int e = 0; e < 2; e++) {
                float h = e == 0 ? 1e-2f : 5e-3f;
                p[at] = keep + h;
                double lp = teai__tmodel_step(&s, p, NULL, tok, B, T, ws, NULL);
                p[at] = keep - h;
                double lm = teai__tmodel_step(&s, p, NULL, tok, B, T, ws, NULL);
                /* the step actually taken, in float */
                d[e] = (lp - lm) / ((double)(keep + h) - (double)(keep - h));
            }
            p[at] = keep;
            fd[i * PER + r] = (4 * d[1] - d[0]) / 3;
            if (fabs(g[at]) > max_g) max_g = fabs(g[at]);
        }
    for (int i = 0; i < nt * PER; i++) {
        double diff = fabs(fd[i] - g[idx[i]]), tol = MODEL_RTOL * fabs(fd[i]) + MODEL_ATOL;
        if (diff / tol > worst) worst = diff / tol;
        if (!(diff <= tol))
            fprintf(stderr, "%s (tied %d): param %d: grad %.6g, fd %.6g\n", t[i / PER].name, tied,
                    idx[i], g[idx[i]], fd[i]);
    }
    ASSERT_TRUE(max_g > 1e-2);
    ASSERT_TRUE(worst <= 1);
    teai__tws_free(ws);
    free(p);
    free(g);
    free(tok);
}

static void test_model_grad_untied(void) {
    check_model_grad(0);
}

static void test_model_grad_tied(void) {
    check_model_grad(1);
}

/* Tensor names, shapes, offsets: contiguous, in GGUF order. */
static void test_layout(void) {
    teai__tshape s = {32, 3, 4, 2, 48, 50, 8, 0, 10000.0f, 1e-5f};
    teai__ttensor t[64];
    int n = teai__tmodel_layout(&s, t, 64);
    ASSERT_EQ(n, 3 + 9 * 3);
    ASSERT_STREQ(t[0].name, "token_embd.weight");
    ASSERT_STREQ(t[1].name, "output_norm.weight");
    ASSERT_STREQ(t[2].name, "output.weight");
    ASSERT_STREQ(t[3].name, "blk.0.attn_norm.weight");
    ASSERT_STREQ(t[5].name, "blk.0.attn_k.weight");
    ASSERT_EQ(t[5].rows, 16);
    ASSERT_STREQ(t[29].name, "blk.2.ffn_down.weight");
    ASSERT_EQ(t[29].rows, 32);
    ASSERT_EQ(t[29].cols, 48);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(t[i].offset, off);
        off += (size_t)(t[i].rows ? t[i].rows : 1) * (size_t)t[i].cols;
    }
    ASSERT_EQ(off, teai__tmodel_n_params(&s));
    s.tied = 1;
    ASSERT_EQ(teai__tmodel_layout(&s, t, 2), 2 + 9 * 3); /* the count, past cap */
    char msg[128];
    s.n_kv_heads = 3;
    ASSERT_EQ(teai__tshape_check(&s, msg, sizeof msg), -1);
    ASSERT_TRUE(strstr(msg, "n_kv_heads") != NULL);
    /* the same seed, the same weights; norms 1 */
    s.n_kv_heads = 2;
    size_t np = teai__tmodel_n_params(&s);
    float *a = malloc(sizeof(float) * np), *b = malloc(sizeof(float) * np);
    teai__tmodel_init(&s, a, 5);
    teai__tmodel_init(&s, b, 5);
    ASSERT_TRUE(memcmp(a, b, sizeof(float) * np) == 0);
    ASSERT_EQ(a[t[1].offset], 1);
    teai__tmodel_init(&s, b, 6);
    ASSERT_TRUE(memcmp(a, b, sizeof(float) * np) != 0);
    double ss = 0;
    size_t ne = (size_t)s.n_vocab * (size_t)s.dim;
    for (size_t i = 0; i < ne; i++) ss += (double)a[i] * a[i];
    ASSERT_NEAR(sqrt(ss / (double)ne), 0.02, 0.003);
    free(a);
    free(b);
}

/* ---- thread invariance ---------------------------------------------------- */

static void test_threads(void) {
    teai__tshape s = {32, 2, 4, 2, 48, 37, 16, 0, 10000.0f, 1e-5f};
    enum { B = 3, T = 16 };
    size_t np = teai__tmodel_n_params(&s), nl = (size_t)B * T * (size_t)s.n_vocab;
    float *p = random_params(&s, 11, 0.1f);
    int32_t *tok = random_tokens(B, T, s.n_vocab);
    teai__tws *ws = teai__tws_new(&s, B, T);
    ASSERT_TRUE(ws != NULL);
    float *g1 = calloc(np, sizeof(float)), *l1 = malloc(sizeof(float) * nl);
    double loss1 = teai__tmodel_step(&s, p, NULL, tok, B, T, ws, NULL);
    memcpy(l1, teai__tws_logits(ws), sizeof(float) * nl);
    ASSERT_TRUE(teai__tmodel_step(&s, p, g1, tok, B, T, ws, NULL) == loss1);
    for (int nth = 1; nth <= 3; nth++) {
        teai__pool *pool = teai__pool_new(nth);
        ASSERT_TRUE(pool != NULL);
        float *g = calloc(np, sizeof(float));
        double lo = teai__tmodel_step(&s, p, NULL, tok, B, T, ws, pool);
        int same_logits = memcmp(l1, teai__tws_logits(ws), sizeof(float) * nl) == 0;
        double lg = teai__tmodel_step(&s, p, g, tok, B, T, ws, pool);
        int same_grads = memcmp(g, g1, sizeof(float) * np) == 0;
        free(g);
        teai__pool_free(pool);
        ASSERT_TRUE(lo == loss1 && lg == loss1);
        ASSERT_TRUE(same_logits);
        ASSERT_TRUE(same_grads);
    }
    /* a smaller batch than the workspace's, and bad input */
    ASSERT_TRUE(isfinite(teai__tmodel_step(&s, p, NULL, tok, 2, 8, ws, NULL)));
    ASSERT_TRUE(isnan(teai__tmodel_step(&s, p, NULL, tok, B + 1, T, ws, NULL)));
    tok[3] = s.n_vocab;
    ASSERT_TRUE(isnan(teai__tmodel_step(&s, p, NULL, tok, B, T, ws, NULL)));
    teai__tws_free(ws);
    free(p);
    free(g1);
    free(l1);
    free(tok);
}

/* ---- the engine reads the same model ---------------------------------------- */

typedef struct rows {
    const teai__ttensor *t;
    int n;
    const float *p;
} rows;

static int row_of(void *ud, const char *name, int64_t r, int64_t cols, float *dst) {
    const rows *rs = ud;
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->t[i].name, name) == 0) {
            if (cols != rs->t[i].cols) return TEAI_EINVAL;
            memcpy(dst, rs->p + rs->t[i].offset + (size_t)r * (size_t)cols,
                   sizeof(float) * (size_t)cols);
            return 0;
        }
    return TEAI_EINVAL;
}

static void check_engine_logits(int tied) {
    /* the byte-level vocabulary has at least 300 tokens */
    teai__tshape s = {32, 2, 4, 2, 64, 300, 16, tied, 10000.0f, 1e-5f};
    enum { T = 12 };
    float *p = random_params(&s, 3, 0.1f);
    int32_t *tok = random_tokens(1, T, s.n_vocab);
    teai__tws *ws = teai__tws_new(&s, 1, T);
    ASSERT_TRUE(ws != NULL);
    ASSERT_TRUE(isfinite(teai__tmodel_step(&s, p, NULL, tok, 1, T, ws, NULL)));

    teai_hparams hp;
    memset(&hp, 0, sizeof hp);
    snprintf(hp.arch, sizeof hp.arch, "llama");
    hp.n_vocab = s.n_vocab, hp.dim = s.dim, hp.n_layers = s.n_layers;
    hp.n_heads = s.n_heads, hp.n_kv_heads = s.n_kv_heads, hp.head_dim = s.dim / s.n_heads;
    hp.ffn_dim = s.hidden, hp.ctx_len = s.n_ctx, hp.rope_theta = s.rope_theta;
    hp.norm_eps = s.norm_eps, hp.tied_output = tied, hp.rope_style = TEAI_ROPE_NORM;
    teai_tokenizer *vocab = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai__tokenizer_new_bytes(s.n_vocab, &vocab, &err), 0);
    teai__ttensor t[32];
    rows rs = {t, teai__tmodel_layout(&s, t, 32), p};
    teai_model_write_params wp = {&hp, vocab, "tmodel test", NULL, 1};
    char path[512];
    test_tmp_path(path, sizeof path, tied ? "tmodel-tied.gguf" : "tmodel-untied.gguf");
    int rc = teai_model_write_gguf(&wp, "f32", row_of, &rs, path, &err);
    teai__tokenizer_free(vocab);
    if (rc) fprintf(stderr, "write: %s\n", err.msg);
    ASSERT_EQ(rc, 0);
    teai_model *m = NULL;
    teai_context *ctx = NULL;
    rc = teai_model_load(path, NULL, &m, &err);
    if (rc) fprintf(stderr, "load: %s\n", err.msg);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(teai_model_hparams(m)->tied_output, tied);
    teai_context_params cp = {T, 1, 0, TEAI_CACHE_F32};
    ASSERT_EQ(teai_context_new(m, &cp, &ctx, &err), 0);
    float *logits = malloc(sizeof(float) * T * (size_t)s.n_vocab);
    ASSERT_EQ(teai_context_eval_all(ctx, tok, T, logits, &err), 0);
    const float *mine = teai__tws_logits(ws);
    double max_diff = 0, max_abs = 0;
    for (int i = 0; i < T * s.n_vocab; i++) {
        if (fabs(logits[i] - mine[i]) > max_diff) max_diff = fabs(logits[i] - mine[i]);
        if (fabs(mine[i]) > max_abs) max_abs = fabs(mine[i]);
    }
    teai_context_free(ctx);
    teai_model_free(m);
    remove(path);
    free(logits);
    teai__tws_free(ws);
    free(p);
    free(tok);
    ASSERT_TRUE(max_abs > 0.1); /* logits that say something */
    if (!(max_diff < 1e-3)) fprintf(stderr, "max |engine - tmodel| = %g\n", max_diff);
    ASSERT_TRUE(max_diff < 1e-3);
}

static void test_engine_logits_tied(void) {
    check_engine_logits(1);
}

static void test_engine_logits_untied(void) {
    check_engine_logits(0);
}

/* ---- learning ------------------------------------------------------------ */

/* 0 1 0 1 ... (and 1 0 1 0 ... in the second sequence): each next token is
 * certain, so the loss can go to 0. */
static void test_overfit(void) {
    teai__tshape s = {16, 1, 2, 1, 32, 2, 8, 1, 10000.0f, 1e-5f};
    enum { B = 2, T = 8, STEPS = 200 };
    size_t np = teai__tmodel_n_params(&s);
    float *p = malloc(sizeof(float) * np), *g = malloc(sizeof(float) * np);
    float *m1 = calloc(np, sizeof(float)), *m2 = calloc(np, sizeof(float));
    teai__tmodel_init(&s, p, 1);
    int32_t tok[B * (T + 1)];
    for (int b = 0; b < B; b++)
        for (int t = 0; t <= T; t++) tok[b * (T + 1) + t] = (b + t) % 2;
    teai__tws *ws = teai__tws_new(&s, B, T);
    ASSERT_TRUE(ws != NULL);
    double first = 0, loss = 0;
    const float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f;
    for (int it = 1; it <= STEPS; it++) {
        memset(g, 0, sizeof(float) * np);
        loss = teai__tmodel_step(&s, p, g, tok, B, T, ws, NULL);
        if (it == 1) first = loss;
        float c1 = 1 - powf(b1, (float)it), c2 = 1 - powf(b2, (float)it);
        for (size_t i = 0; i < np; i++) {
            m1[i] = b1 * m1[i] + (1 - b1) * g[i];
            m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
            p[i] -= lr * (m1[i] / c1) / (sqrtf(m2[i] / c2) + 1e-8f);
        }
    }
    teai__tws_free(ws);
    free(p);
    free(g);
    free(m1);
    free(m2);
    ASSERT_TRUE(first > 0.5); /* about log 2 and more: tied embeddings favour repeating */
    if (!(loss < 0.05)) fprintf(stderr, "loss after %d steps: %g\n", STEPS, loss);
    ASSERT_TRUE(loss < 0.05);
}

/* ---- speed (only with TEAI_TMODEL_BENCH=1): the "tiny" preset's step --------- */

static void bench_step(void) {
    teai__tshape s = {256, 4, 8, 4, 768, 4096, 128, 1, 10000.0f, 1e-5f};
    enum { B = 16, T = 128 };
    size_t np = teai__tmodel_n_params(&s);
    float *p = malloc(sizeof(float) * np), *g = calloc(np, sizeof(float));
    teai__tmodel_init(&s, p, 1);
    int32_t *tok = random_tokens(B, T, s.n_vocab);
    teai__tws *ws = teai__tws_new(&s, B, T);
    teai__pool *pool = teai__pool_new(2);
    ASSERT_TRUE(ws && pool);
    teai__tmodel_step(&s, p, g, tok, B, T, ws, pool); /* warm-up */
    enum { REPS = 3 };
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < REPS; r++) teai__tmodel_step(&s, p, g, tok, B, T, ws, pool);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double fb = ((double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec)) / REPS;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < REPS; r++) teai__tmodel_step(&s, p, NULL, tok, B, T, ws, pool);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double f = ((double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec)) / REPS;
    printf("step %zu params, B %d, T %d, 2 threads (%s): forward %.3f s, forward+backward %.3f s\n",
           np, B, T, teai__sgemm_kernel_name(), f, fb);
    teai__pool_free(pool);
    teai__tws_free(ws);
    free(p);
    free(g);
    free(tok);
}

int main(void) {
    RUN_TEST(test_rmsnorm_grad);
    RUN_TEST(test_rope_grad);
    RUN_TEST(test_attention_grad);
    RUN_TEST(test_swiglu_grad);
    RUN_TEST(test_xent_grad);
    RUN_TEST(test_embed_grad);
    RUN_TEST(test_linear_grad);
    RUN_TEST(test_layout);
    RUN_TEST(test_model_grad_untied);
    RUN_TEST(test_model_grad_tied);
    RUN_TEST(test_threads);
    RUN_TEST(test_engine_logits_tied);
    RUN_TEST(test_engine_logits_untied);
    RUN_TEST(test_overfit);
    const char *bench = getenv("TEAI_TMODEL_BENCH");
    if (bench && strcmp(bench, "1") == 0) RUN_TEST(bench_step);
    TEST_MAIN_END();
}
