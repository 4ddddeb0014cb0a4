/* teai's activation quantization (teai__quantize_vec) and integer dot kernels
 * (teai__dotq_*) against ggml's own, from the provisioned llama.cpp:
 *
 * - libggml-base.so: quantize_row_q8_0_ref, quantize_row_q8_K_ref,
 *   ggml_fp32_to_fp16_row (exported, but not in the installed headers, so
 *   they are looked up with dlsym);
 * - a CPU backend, libggml-cpu-<variant>.so (optional; haswell, the AVX2
 *   build, on x86-64 CPUs that run it; $TEAI_GGML_CPU names another file):
 *   ggml_get_type_traits_cpu() gives from_float (how llama.cpp quantizes
 *   activations on this CPU) and vec_dot for each weight type.
 *
 * What must hold:
 * - Q8_K: teai's bytes == quantize_row_q8_K_ref's (the x86 and ARM backends
 *   both use the reference) for every vector, including all-zero blocks,
 *   blocks whose largest magnitude is negative, and +-max ties.
 * - Q8_0: teai's bytes == the x86 AVX backend's from_float (teai quantizes as
 *   llama.cpp on x86: q = round-half-even(x * 127/amax)). Against
 *   quantize_row_q8_0_ref (q = roundf(x / d)) the scales are equal and a q
 *   may differ by one step, rarely (near-ties); the test counts them.
 * - F16: teai's bytes == ggml_fp32_to_fp16_row and the backend's from_float.
 * - dotq: teai__dotq_best vs the backend's vec_dot on the same bytes, within
 *   DOTQ_RTOL * sum |terms| (the integer parts are exact; only the float
 *   scaling and summation order differ).
 *
 * Skips (exit 77) when $TEAI_LLAMA_LIBDIR or libggml-base.so is missing. */
#include "quant.h"
#include "quant_simd.h"
#include "test_util.h"
#include "util.h"

#include "ggml-cpu.h"

#include <dlfcn.h>
#include <stdint.h>

#define DOTQ_RTOL 1e-6

typedef void (*quantize_fn)(const float *x, void *y, int64_t k);
typedef void (*f16_row_fn)(const float *x, uint16_t *y, int64_t n);
typedef const struct ggml_type_traits_cpu *(*traits_cpu_fn)(enum ggml_type type);

static quantize_fn g_q8_0_ref, g_q8_k_ref;
static f16_row_fn g_fp32_to_fp16_row;
static traits_cpu_fn g_traits; /* NULL: no CPU backend loaded */
static int g_cpu_is_x86_avx;   /* the loaded backend quantizes Q8_0 as teai does */

/* ---- deterministic random data ---------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rng_u32(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static float rng_gauss(void) { /* approximately N(0, 1) */
    float s = 0.0f;
    for (int i = 0; i < 4; i++) s += (float)(rng_u32() >> 8) / 16777216.0f;
    return (s - 2.0f) * 1.7320508f;
}

static void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* Activation-like data, block by block (blocks of 32 for Q8_0, 256 for
 * Q8_K), with the cases quantizers get wrong: all-zero blocks, a largest
 * element that is negative, +-max ties (negative first), values on exact
 * half steps, one huge and one tiny block. */
static void fill_acts(float *x, int64_t n, int bs) {
    for (int64_t b = 0; b < n / bs; b++) {
        float *v = x + b * bs;
        int kind = (int)(b % 8);
        float mag = kind == 6 ? 3e4f : kind == 7 ? 1e-6f : 1.0f;
        for (int j = 0; j < bs; j++) v[j] = mag * rng_gauss();
        if (kind == 1) memset(v, 0, (size_t)bs * sizeof(float));
        if (kind == 2) v[rng_u32() % (uint32_t)bs] = -8.0f * mag; /* negative max */
        if (kind == 3) {                                          /* +-max tie */
            v[1] = -9.0f;
            v[bs - 2] = 9.0f;
        }
        if (kind == 4) /* amax 127: x*id = x, many exact .5 values */
            for (int j = 0; j < bs; j++)
                v[j] = j == 0 ? 127.0f : (float)((int)(rng_u32() % 200) - 100) + 0.5f;
    }
}

/* ---- loading ggml ---------------------------------------------------------- */

static void *open_in(const char *dir, const char *file, int flags) {
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (len < 0 || (size_t)len >= sizeof path) return NULL;
    return dlopen(path, flags);
}

static void load_ggml(void) {
    const char *dir = getenv("TEAI_LLAMA_LIBDIR");
    if (!dir || !*dir) test_skip_llama("TEAI_LLAMA_LIBDIR not set (llama.cpp not provisioned)");
    void *base = open_in(dir, "libggml-base.so", RTLD_NOW | RTLD_GLOBAL);
    if (!base) test_skip_llama("cannot load %s/libggml-base.so: %s", dir, dlerror());
    *(void **)&g_q8_0_ref = dlsym(base, "quantize_row_q8_0_ref");
    *(void **)&g_q8_k_ref = dlsym(base, "quantize_row_q8_K_ref");
    *(void **)&g_fp32_to_fp16_row = dlsym(base, "ggml_fp32_to_fp16_row");
    if (!g_q8_0_ref || !g_q8_k_ref || !g_fp32_to_fp16_row)
        test_skip_llama("libggml-base.so lacks quantize_row_q8_0_ref / quantize_row_q8_K_ref");

    const char *variant = getenv("TEAI_GGML_CPU");
    if (!variant || !*variant) {
        variant = NULL;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            variant = "libggml-cpu-haswell.so";
            g_cpu_is_x86_avx = 1;
        }
#endif
    } else {
        g_cpu_is_x86_avx = -1; /* unknown: report, do not require */
    }
    void *cpu = variant ? open_in(dir, variant, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!cpu && variant && test_llama_required())
        test_skip_llama("cannot load %s/%s: %s", dir, variant, dlerror());
    if (!cpu) {
        printf("note: no CPU backend loaded (%s); from_float and vec_dot comparisons skipped\n",
               variant ? dlerror() : "no known variant for this CPU");
        g_cpu_is_x86_avx = 0;
        return;
    }
    void (*cpu_init)(void);
    *(void **)&cpu_init = dlsym(cpu, "ggml_cpu_init");
    *(void **)&g_traits = dlsym(cpu, "ggml_get_type_traits_cpu");
    if (!cpu_init || !g_traits) {
        printf("note: %s lacks ggml_get_type_traits_cpu; comparisons with it skipped\n", variant);
        g_traits = NULL;
        return;
    }
    cpu_init();
    printf("ggml CPU backend: %s\n", variant);
}

/* ---- activation quantization -------------------------------------------- */

/* Index of the first differing byte, or -1. */
static long first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (long)i;
    return -1;
}

static void test_q8_k_vs_ref(void) {
    enum { N = 256 * 64 };
    static float x[N];
    static uint8_t got[N / 256 * 292], want[N / 256 * 292];
    for (int round = 0; round < 20; round++) {
        fill_acts(x, N, 256);
        memset(want, 0, sizeof want); /* ggml leaves bsums of a zero block unwritten */
        g_q8_k_ref(x, want, N);
        teai__quantize_vec(TEAI_TYPE_Q4_K, x, got, N);
        long d = first_diff(got, want, sizeof got);
        if (d >= 0) {
            TEST_FAIL_AT("q8_K round %d: byte %ld (block %ld, offset %ld): teai %d, ggml %d", round,
                         d, d / 292, d % 292, got[d], want[d]);
            return;
        }
        if (g_traits) { /* the backend's from_float (on x86 and ARM: the reference) */
            memset(want, 0, sizeof want);
            g_traits(GGML_TYPE_Q8_K)->from_float(x, want, N);
            d = first_diff(got, want, sizeof got);
            if (d >= 0) {
                TEST_FAIL_AT("q8_K round %d vs from_float: byte %ld differs", round, d);
                return;
            }
        }
    }
}

/* Against quantize_row_q8_0_ref: equal scales, q within one step, and the
 * exact ties (x*id = k + 1/2 with k even) rounded differently. */
static void test_q8_0_vs_ref(void) {
    enum { N = 32 * 512 };
    static float x[N];
    static uint8_t got[N / 32 * 34], want[N / 32 * 34];
    long qdiff = 0, total = 0, tdiff = 0, ttotal = 0; /* t*: the blocks of exact halves */
    for (int round = 0; round < 20; round++) {
        fill_acts(x, N, 32);
        g_q8_0_ref(x, want, N);
        teai__quantize_vec(TEAI_TYPE_Q8_0, x, got, N);
        for (int b = 0; b < N / 32; b++) {
            const uint8_t *g = got + 34 * b, *w = want + 34 * b;
            if (memcmp(g, w, 2) != 0) {
                TEST_FAIL_AT("q8_0 block %d: scale %04x vs ref %04x", b, teai__load_u16(g),
                             teai__load_u16(w));
                return;
            }
            for (int j = 0; j < 32; j++) {
                int dq = (int8_t)g[2 + j] - (int8_t)w[2 + j];
                if (dq < -1 || dq > 1) {
                    TEST_FAIL_AT("q8_0 block %d element %d: q %d vs ref %d (x = %.9g)", b, j,
                                 (int8_t)g[2 + j], (int8_t)w[2 + j], (double)x[32 * b + j]);
                    return;
                }
                if (b % 8 == 4) {
                    tdiff += dq != 0;
                    ttotal++;
                } else {
                    qdiff += dq != 0;
                    total++;
                }
            }
        }
    }
    printf("q8_0 vs quantize_row_q8_0_ref: %ld of %ld q differ by one step on gaussian data "
           "(127/amax vs 1/d), %ld of %ld on exact halves (ties to even vs away from zero)\n",
           qdiff, total, tdiff, ttotal);
    /* the documented difference: 2.5 -> 2 (x86 backend), 3 (reference) */
    float t[32] = {127.0f, 2.5f};
    g_q8_0_ref(t, want, 32);
    teai__quantize_vec(TEAI_TYPE_Q8_0, t, got, 32);
    ASSERT_EQ((int8_t)got[3], 2);
    ASSERT_EQ((int8_t)want[3], 3);
}

static void test_q8_0_vs_backend(void) {
    if (!g_traits) return;
    enum { N = 32 * 512 };
    static float x[N];
    static uint8_t got[N / 32 * 34], want[N / 32 * 34];
    long diff = 0;
    for (int round = 0; round < 20; round++) {
        fill_acts(x, N, 32);
        g_traits(GGML_TYPE_Q8_0)->from_float(x, want, N);
        teai__quantize_vec(TEAI_TYPE_Q8_0, x, got, N);
        for (size_t i = 0; i < sizeof got; i++) diff += got[i] != want[i];
    }
    if (g_cpu_is_x86_avx == 1) {
        if (diff) TEST_FAIL_AT("q8_0: %ld bytes differ from the x86 backend's from_float", diff);
    } else {
        printf("q8_0: %ld bytes differ from this backend's from_float (not required)\n", diff);
    }
}

static void test_f16(void) {
    enum { N = 4096 };
    static float x[N];
    static uint8_t got[2 * N], want[2 * N];
    fill_acts(x, N, 32);
    x[0] = 1.0f + 0x1p-11f, x[1] = 65519.0f, x[2] = 65520.0f, x[3] = 3e-8f, x[4] = -0.0f;
    teai__quantize_vec(TEAI_TYPE_F16, x, got, N);
    g_fp32_to_fp16_row(x, (uint16_t *)want, N);
    long d = first_diff(got, want, sizeof got);
    if (d >= 0) {
        TEST_FAIL_AT("f16 element %ld (x = %.9g) differs from ggml_fp32_to_fp16_row", d / 2,
                     (double)x[d / 2]);
        return;
    }
    if (g_traits) {
        g_traits(GGML_TYPE_F16)->from_float(x, want, N);
        d = first_diff(got, want, sizeof got);
        if (d >= 0) TEST_FAIL_AT("f16 element %ld differs from the backend's from_float", d / 2);
    }
}

/* ---- dot products --------------------------------------------------------- */

static void test_dotq_vs_vec_dot(void) {
    if (!g_traits) return;
    static const struct {
        teai_type t;
        enum ggml_type g, vg;
    } types[] = {
        {TEAI_TYPE_Q8_0, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0},
        {TEAI_TYPE_Q4_0, GGML_TYPE_Q4_0, GGML_TYPE_Q8_0},
        {TEAI_TYPE_Q4_K, GGML_TYPE_Q4_K, GGML_TYPE_Q8_K},
        {TEAI_TYPE_Q6_K, GGML_TYPE_Q6_K, GGML_TYPE_Q8_K},
        {TEAI_TYPE_F16, GGML_TYPE_F16, GGML_TYPE_F16},
    };
    static const int64_t lens[] = {256, 512, 2048, 4096, 11008};
    for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
        teai_type t = types[k].t;
        const struct ggml_type_traits_cpu *tr = g_traits(types[k].g);
        if (!tr || !tr->vec_dot || tr->vec_dot_type != types[k].vg) {
            TEST_FAIL_AT("%s: ggml's vec_dot_type is not the one teai uses", teai_type_name(t));
            return;
        }
        ASSERT_EQ((int)teai__vec_type(t),
                  types[k].vg == GGML_TYPE_Q8_K ? (int)TEAI__TYPE_Q8_K : (int)types[k].vg);
        double worst = 0.0;
        for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
            int64_t n = lens[li];
            float *w = xmalloc((size_t)n * sizeof(float)), *x = xmalloc((size_t)n * sizeof(float));
            float *wd = xmalloc((size_t)n * sizeof(float)),
                  *xd = xmalloc((size_t)n * sizeof(float));
            uint8_t *row = xmalloc(teai_type_row_size(t, n)), *xq = xmalloc(teai__vec_size(t, n));
            for (int rep = 0; rep < 8; rep++) {
                for (int64_t i = 0; i < n; i++) w[i] = 0.05f * rng_gauss();
                fill_acts(x, n, 256);
                if (t == TEAI_TYPE_F16) /* keep fp16(x) finite */
                    for (int64_t i = 0; i < n; i++) x[i] = fmaxf(-6e4f, fminf(6e4f, x[i]));
                teai__quantize_row(t, w, row, n);
                teai__quantize_vec(t, x, xq, n);
                float s_ggml = 0.0f;
                tr->vec_dot((int)n, &s_ggml, 0, row, 0, xq, 0, 1);
                float s_teai = teai__dotq_best(t)(n, row, xq);
                /* sum |terms| from the dequantized row and activations */
                teai__dequantize_row(t, row, wd, n);
                if (t == TEAI_TYPE_F16) {
                    teai__dequantize_row(TEAI_TYPE_F16, xq, xd, n);
                } else if (teai__vec_type(t) == TEAI_TYPE_Q8_0) {
                    teai__dequantize_row(TEAI_TYPE_Q8_0, xq, xd, n);
                } else {
                    for (int64_t i = 0; i < n; i++) {
                        const uint8_t *b = xq + 292 * (i / 256);
                        xd[i] = teai__load_f32(b) * (float)(int8_t)b[4 + i % 256];
                    }
                }
                double mag = 0.0;
                for (int64_t i = 0; i < n; i++) mag += fabs((double)wd[i] * xd[i]);
                double err = fabs((double)s_teai - s_ggml);
                if (mag > 0 && err / mag > worst) worst = err / mag;
                if (!(err <= DOTQ_RTOL * mag + 1e-6)) {
                    TEST_FAIL_AT("%s n=%lld: teai %.9g, ggml vec_dot %.9g (|diff| %.3g, sum|terms| "
                                 "%.3g)",
                                 teai_type_name(t), (long long)n, (double)s_teai, (double)s_ggml,
                                 err, mag);
                    rep = 8;
                    li = sizeof lens / sizeof *lens;
                }
            }
            free(w);
            free(x);
            free(wd);
            free(xd);
            free(row);
            free(xq);
        }
        printf("%s: teai dotq vs ggml vec_dot: worst |diff| / sum|terms| = %.2g\n",
               teai_type_name(t), worst);
    }
}

int main(void) {
    load_ggml();
    printf("teai simd: %s\n", teai__simd_name());
    RUN_TEST(test_q8_k_vs_ref);
    RUN_TEST(test_q8_0_vs_ref);
    RUN_TEST(test_q8_0_vs_backend);
    RUN_TEST(test_f16);
    RUN_TEST(test_dotq_vs_vec_dot);
    TEST_MAIN_END();
}
