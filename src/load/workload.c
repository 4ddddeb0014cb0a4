/* What a load run sends: lengths from specs, random prompts, arrival gaps and
 * the JSONL dataset, all from one seeded random source (load_impl.h). */
#include "load_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

/* ---- random source ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void teai__rng_seed(teai__rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t teai__rng_next(teai__rng *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double teai__rng_uniform(teai__rng *r) {
    /* 53 bits, shifted by half a step: strictly inside (0, 1) */
    return ((double)(teai__rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double teai__rng_normal(teai__rng *r) {
    double u = teai__rng_uniform(r), v = teai__rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

double teai__rng_gamma(teai__rng *r, double shape) {
    if (shape < 1.0) /* Gamma(a) = Gamma(a + 1) * U^(1/a) */
        return teai__rng_gamma(r, shape + 1.0) * pow(teai__rng_uniform(r), 1.0 / shape);
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = teai__rng_normal(r), v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = teai__rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
}

/* ---- lengths ------------------------------------------------------------ */

#define LEN_MAX 1000000.0

/* A number in [1, LEN_MAX] (integral when whole) from s[0..n). */
static int len_number(const char *s, size_t n, int whole, double *out) {
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || *end || !isfinite(v) || (whole && v != floor(v))) return 0;
    *out = v;
    return 1;
}

int teai_load_len_parse(const char *spec, teai_load_len *out, teai_error *err) {
    const char *s = spec ? spec : "";
    double a, b;
    if (strncmp(s, "uniform:", 8) == 0 || strncmp(s, "normal:", 7) == 0) {
        int uni = s[0] == 'u';
        const char *p = s + (uni ? 8 : 7), *colon = strchr(p, ':');
        if (!colon || !len_number(p, (size_t)(colon - p), uni, &a) ||
            !len_number(colon + 1, strlen(colon + 1), uni, &b))
            return teai__fail(err, TEAI_EINVAL, "length '%s': expected %s", s,
                              uni ? "uniform:MIN:MAX (whole numbers)" : "normal:MEAN:SD");
        if (uni && !(a >= 1 && b >= a && b <= LEN_MAX))
            return teai__fail(err, TEAI_EINVAL, "length '%s': need 1 <= MIN <= MAX <= %.0f", s,
                              LEN_MAX);
        if (!uni && !(a >= 1 && a <= LEN_MAX && b >= 0 && b <= LEN_MAX))
            return teai__fail(err, TEAI_EINVAL, "length '%s': need 1 <= MEAN <= %.0f, SD >= 0", s,
                              LEN_MAX);
        out->kind = uni ? TEAI_LOAD_LEN_UNIFORM : TEAI_LOAD_LEN_NORMAL;
        out->a = a;
        out->b = b;
        return TEAI_OK;
    }
    if (!len_number(s, strlen(s), 1, &a) || a < 1 || a > LEN_MAX)
        return teai__fail(err, TEAI_EINVAL,
                          "length '%s': expected N (1..%.0f tokens), uniform:MIN:MAX or "
                          "normal:MEAN:SD",
                          s, LEN_MAX);
    out->kind = TEAI_LOAD_LEN_FIXED;
    out->a = out->b = a;
    return TEAI_OK;
}

long teai__len_draw(const teai_load_len *l, teai__rng *r) {
    double v;
    switch (l->kind) {
        case TEAI_LOAD_LEN_UNIFORM:
            v = l->a + (double)(teai__rng_next(r) % (uint64_t)(l->b - l->a + 1));
            break;
        case TEAI_LOAD_LEN_NORMAL:
            v = floor(l->a + l->b * teai__rng_normal(r) + 0.5);
            if (v > 4 * l->a + 1) v = 4 * l->a + 1; /* a long tail stays bounded */
            break;
        default:
            v = l->a;
    }
    if (v < 1) v = 1;
    if (v > LEN_MAX) v = LEN_MAX;
    return (long)v;
}

double teai__arrival_gap(teai_load_arrival a, double burstiness, double rate, teai__rng *r) {
    if (!(rate < INFINITY)) return 0;
    switch (a) {
        case TEAI_LOAD_CONSTANT:
            return 1.0 / rate;
        case TEAI_LOAD_GAMMA: /* mean shape * scale = 1/rate */
            return teai__rng_gamma(r, burstiness) / (burstiness * rate);
        default:
            return -log(teai__rng_uniform(r)) / rate;
    }
}

/* ---- prompts ------------------------------------------------------------ */

/* Common English words that GPT-2, Llama 3, Qwen and Mistral vocabularies
 * hold as one token with their leading space. */
static const char *const WORDS[] = {
    "the",    "of",     "and",    "to",    "in",     "is",    "for",   "that",  "with",  "on",
    "as",     "was",    "by",     "at",    "from",   "his",   "her",   "they",  "this",  "are",
    "have",   "not",    "but",    "had",   "one",    "which", "you",   "were",  "all",   "their",
    "there",  "been",   "has",    "when",  "who",    "will",  "more",  "would", "time",  "new",
    "into",   "year",   "first",  "two",   "some",   "could", "them",  "other", "than",  "then",
    "only",   "its",    "about",  "over",  "also",   "after", "most",  "many",  "made",  "state",
    "before", "city",   "people", "world", "school", "war",   "house", "water", "small", "large",
    "found",  "still",  "long",   "great", "under",  "game",  "part",  "place", "life",  "work",
    "while",  "where",  "since",  "three", "later",  "music", "both",  "film",  "each",  "early",
    "local",  "family", "band",   "high",  "book",   "best",  "group", "team",  "name",  "day",
    "own",    "back",   "area",   "court", "early",  "south", "north", "river", "power", "road",
    "light",  "green",  "black",  "white", "red",    "blue",  "sea",   "land",  "story", "train",
    "field",  "money",  "table",  "paper", "night",  "king",  "bird",  "tree",  "stone", "horse",
    "glass",  "voice",  "dream",  "chair", "cloud",  "snow",  "bread", "fire",  "door",  "wind"};

int teai__prompt_random(teai_buf *b, long n_tokens, teai__rng *r) {
    const size_t n_words = sizeof WORDS / sizeof *WORDS;
    for (long i = 0; i < n_tokens; i++) {
        const char *w = WORDS[teai__rng_next(r) % n_words];
        if ((i && teai_buf_add(b, " ", 1) != TEAI_OK) || teai_buf_addstr(b, w) != TEAI_OK)
            return TEAI_ENOMEM;
    }
    return TEAI_OK;
}

/* ---- dataset ------------------------------------------------------------ */

void teai__dataset_free(teai__dataset *d) {
    for (size_t i = 0; i < d->n; i++) free(d->prompt[i]);
    free(d->prompt);
    free(d->output_len);
    memset(d, 0, sizeof *d);
}

#if TEAI_HAVE_CJSON
int teai__dataset_read(const char *path, teai__dataset *d, teai_error *err) {
    memset(d, 0, sizeof *d);
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = teai__read_file(path, (size_t)1 << 30, &text, &len, err);
    if (rc != TEAI_OK) return rc;
    long line = 0;
    for (char *p = text, *end = text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        char *cur = p;
        p += n + 1;
        while (n && (cur[n - 1] == '\r' || cur[n - 1] == ' ' || cur[n - 1] == '\t')) n--;
        if (n == 0) continue;
        cJSON *o = cJSON_ParseWithLength(cur, n);
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(o, "prompt");
        const cJSON *ol = cJSON_GetObjectItemCaseSensitive(o, "output_len");
        if (!cJSON_IsObject(o) || !cJSON_IsString(pr) || !pr->valuestring ||
            (ol && !cJSON_IsNull(ol) &&
             !(cJSON_IsNumber(ol) && ol->valuedouble >= 1 && ol->valuedouble <= LEN_MAX))) {
            cJSON_Delete(o);
            teai__dataset_free(d);
            free(text);
            return teai__fail(err, TEAI_EFORMAT,
                              "%s:%ld: expected {\"prompt\": TEXT, \"output_len\": N (optional, "
                              "1..%.0f)}",
                              path, line, LEN_MAX);
        }
        if (d->n == cap) {
            cap = cap ? cap * 2 : 64;
            char **np = realloc(d->prompt, cap * sizeof *np);
            if (np) d->prompt = np;
            long *nl2 = np ? realloc(d->output_len, cap * sizeof *nl2) : NULL;
            if (nl2) d->output_len = nl2;
            if (!np || !nl2) {
                cJSON_Delete(o);
                teai__dataset_free(d);
                free(text);
                return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
            }
        }
        d->output_len[d->n] = cJSON_IsNumber(ol) ? (long)ol->valuedouble : -1;
        d->prompt[d->n] = strdup(pr->valuestring);
        cJSON_Delete(o);
        if (!d->prompt[d->n]) {
            teai__dataset_free(d);
            free(text);
            return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
        }
        d->n++;
    }
    free(text);
    if (d->n == 0) return teai__fail(err, TEAI_EFORMAT, "%s: no prompts in the file", path);
    return TEAI_OK;
}
#else
int teai__dataset_read(const char *path, teai__dataset *d, teai_error *err) {
    memset(d, 0, sizeof *d);
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: reading a dataset needs cJSON (libcjson-dev)",
                      path);
}
#endif
