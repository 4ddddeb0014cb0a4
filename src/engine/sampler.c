/* Token sampling: greedy, or temperature + top-k + top-p over a softmax, with
 * a seeded generator (xoshiro256**) so a seed reproduces a run exactly. */
#include "teai/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    float logit;
    int32_t id;
} cand;

struct teai_sampler {
    teai_sampler_params p;
    int n_vocab;
    uint64_t s[4];
    cand *cands; /* (n_vocab) */
    float *prob; /* (n_vocab) */
};

teai_sampler_params teai_sampler_default_params(void) {
    teai_sampler_params p = {0.8f, 40, 0.95f, 42};
    return p;
}

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(teai_sampler *s) {
    uint64_t r = rotl(s->s[1] * 5, 7) * 9, t = s->s[1] << 17;
    s->s[2] ^= s->s[0];
    s->s[3] ^= s->s[1];
    s->s[1] ^= s->s[2];
    s->s[0] ^= s->s[3];
    s->s[2] ^= t;
    s->s[3] = rotl(s->s[3], 45);
    return r;
}

int teai_sampler_new(const teai_sampler_params *params, int n_vocab, teai_sampler **out) {
    *out = NULL;
    if (n_vocab <= 0) return TEAI_EINVAL;
    teai_sampler *s = calloc(1, sizeof *s);
    if (!s) return TEAI_ENOMEM;
    s->p = params ? *params : teai_sampler_default_params();
    s->n_vocab = n_vocab;
    uint64_t seed = s->p.seed;
    for (int i = 0; i < 4; i++) s->s[i] = splitmix(&seed);
    s->cands = malloc(sizeof(*s->cands) * (size_t)n_vocab);
    s->prob = malloc(sizeof(float) * (size_t)n_vocab);
    if (!s->cands || !s->prob) {
        teai_sampler_free(s);
        return TEAI_ENOMEM;
    }
    *out = s;
    return TEAI_OK;
}

void teai_sampler_free(teai_sampler *s) {
    if (!s) return;
    free(s->cands);
    free(s->prob);
    free(s);
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Descending logit, then ascending id, so ties break the same way everywhere. */
static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Moves the k best candidates to the front, in order: one pass keeping the k
 * best seen in a heap whose root is the worst of them (O(n log k), where a
 * selection sort took k passes: 6.7 ms per token at a 128k vocabulary and
 * top_k 40), then those k sorted. cand_cmp is a total order, so the result
 * is the same as sorting everything. */
static void heap_down(cand *h, int k, int i) {
    for (;;) {
        int w = i, l = 2 * i + 1, r = l + 1; /* w: the worst of i and its children */
        if (l < k && cand_cmp(&h[l], &h[w]) > 0) w = l;
        if (r < k && cand_cmp(&h[r], &h[w]) > 0) w = r;
        if (w == i) return;
        cand tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void top_k_select(cand *c, int n, int k) {
    for (int i = k / 2 - 1; i >= 0; i--) heap_down(c, k, i);
    for (int j = k; j < n; j++)
        if (cand_cmp(&c[j], &c[0]) < 0) { /* better than the worst kept */
            cand tmp = c[0];
            c[0] = c[j];
            c[j] = tmp;
            heap_down(c, k, 0);
        }
    qsort(c, (size_t)k, sizeof *c, cand_cmp);
}

int32_t teai_sampler_sample(teai_sampler *s, float *logits) {
    int n = s->n_vocab;
    if (s->p.temperature <= 0) return argmax(logits, n);
    cand *c = s->cands;
    for (int i = 0; i < n; i++) {
        c[i].logit = logits[i];
        c[i].id = i;
    }
    int k = s->p.top_k > 0 && s->p.top_k < n ? s->p.top_k : n;
    if (k <= 256)
        top_k_select(c, n, k);
    else
        qsort(c, (size_t)n, sizeof *c, cand_cmp);
    float mx = c[0].logit, sum = 0;
    for (int i = 0; i < k; i++) {
        s->prob[i] = expf((c[i].logit - mx) / s->p.temperature);
        sum += s->prob[i];
    }
    /* top-p: keep the smallest prefix whose probability reaches top_p */
    int keep = k;
    if (s->p.top_p > 0 && s->p.top_p < 1) {
        float cum = 0;
        for (int i = 0; i < k; i++) {
            cum += s->prob[i] / sum;
            if (cum >= s->p.top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    float kept = 0;
    for (int i = 0; i < keep; i++) kept += s->prob[i];
    /* 53 random bits -> uniform in [0, kept) */
    double u = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0) * kept;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
        acc += s->prob[i];
        if (u < acc) return c[i].id;
    }
    return c[keep - 1].id;
}
