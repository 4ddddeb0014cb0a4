/* Weight formats and dot kernels (src/engine/quant_*.c: types, codecs, references, dispatch; the
 * AVX2, AVX-512 and NEON kernels).
 *
 * Tolerances (stated once, used throughout):
 * - dot kernels: two computations of one dot product (SIMD vs scalar
 *   reference, reference vs dequantize-then-dot in double) agree within
 *   DOT_RTOL * sum_i |w_i x_i| + DOT_ATOL. The bound scales with the
 *   magnitude of the terms, not with the (possibly cancelling) result; one
 *   wrong element of an 8192-long row moves the result by about
 *   1/8192 = 1.2e-4 of that sum, well above DOT_RTOL.
 * - round trips: per-format bounds on |x - dequantize(quantize(x))| written at
 *   each test, in units of the block's own scale where the format has one. */
#include "quant.h"
#include "quant_simd.h"
#include "test_util.h"
#include "util.h"

#include <stdint.h>

#define DOT_RTOL 1e-5
#define DOT_ATOL 1e-6

static const teai_type all_types[] = {
    TEAI_TYPE_F32,  TEAI_TYPE_F16,  TEAI_TYPE_BF16, TEAI_TYPE_Q8_0, TEAI_TYPE_Q4_0,
    TEAI_TYPE_Q4_K, TEAI_TYPE_Q6_K, TEAI_TYPE_I8,   TEAI_TYPE_NF4,
};
#define N_TYPES ((int)(sizeof all_types / sizeof *all_types))

/* ---- deterministic random data ---------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng_u32(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static float rng_uniform(void) { /* [0, 1) */
    return (float)(rng_u32() >> 8) / 16777216.0f;
}

static float rng_gauss(void) { /* approximately N(0, 1): sum of 4 uniforms */
    float s = rng_uniform() + rng_uniform() + rng_uniform() + rng_uniform();
    return (s - 2.0f) * 1.7320508f;
}

/* Weight-like data: gaussian with a per-64 magnitude that varies over 3
 * decades and an occasional outlier, as in trained matrices. */
static void fill_weights(float *x, int64_t n, float scale) {
    float mag = scale;
    for (int64_t i = 0; i < n; i++) {
        if (i % 64 == 0) mag = scale * powf(10.0f, -1.5f + 2.0f * rng_uniform());
        x[i] = mag * rng_gauss();
        if (rng_u32() % 997 == 0) x[i] *= 8.0f;
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* A quantized row of n random weights of type t (caller frees). */
static uint8_t *make_row(teai_type t, int64_t n, float *src_out) {
    float *src = src_out ? src_out : xmalloc((size_t)n * sizeof(float));
    fill_weights(src, n, 1.0f);
    uint8_t *row = xmalloc(teai_type_row_size(t, n));
    teai__quantize_row(t, src, row, n);
    if (!src_out) free(src);
    return row;
}

/* sum_i w_i x_i and sum_i |w_i x_i| in double from the dequantized row. */
static void dot_exact(teai_type t, const void *row, const float *x, int64_t n, double *dot,
                      double *mag) {
    float *w = xmalloc((size_t)n * sizeof(float));
    teai__dequantize_row(t, row, w, n);
    double s = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)w[i] * x[i];
        m += fabs((double)w[i] * x[i]);
    }
    free(w);
    *dot = s;
    *mag = m;
}

/* max |x[i]|. (A plain compare: an fmax reduction here crashes GCC 12's
 * aarch64 vectorizer, which scripts/test-neon.sh uses.) */
static double max_abs(const float *x, int64_t n) {
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > m) m = a;
    }
    return m;
}

/* ---- type table ---------------------------------------------------------- */

static void test_type_names(void) {
    static const char *names[] = {"f32",  "f16",  "bf16", "q8_0", "q4_0",
                                  "q4_k", "q6_k", "int8", "nf4"};
    for (int i = 0; i < N_TYPES; i++) {
        ASSERT_STREQ(teai_type_name(all_types[i]), names[i]);
        teai_type got = TEAI_TYPE_F32;
        ASSERT_EQ(teai_type_from_name(names[i], &got), TEAI_OK);
        ASSERT_EQ(got, all_types[i]);
        ASSERT_TRUE(teai_type_is_known((uint32_t)all_types[i]));
    }
    {
        teai_type got = TEAI_TYPE_F32;
        ASSERT_EQ(teai_type_from_name("Q4_K", &got), TEAI_OK);
        ASSERT_EQ(got, TEAI_TYPE_Q4_K);
    }
    {
        teai_type got = TEAI_TYPE_F32;
        ASSERT_EQ(teai_type_from_name("BF16", &got), TEAI_OK);
        ASSERT_EQ(got, TEAI_TYPE_BF16);
    }
    ASSERT_EQ(teai_type_from_name("q4_1", NULL), TEAI_ENOTFOUND);
    ASSERT_EQ(teai_type_from_name("q4", NULL), TEAI_ENOTFOUND);
    ASSERT_EQ(teai_type_from_name("q4_k_m", NULL), TEAI_ENOTFOUND);
    ASSERT_EQ(teai_type_from_name("", NULL), TEAI_ENOTFOUND);
    ASSERT_EQ(teai_type_from_name(NULL, NULL), TEAI_ENOTFOUND);
    ASSERT_TRUE(teai_type_name((teai_type)3) == NULL); /* GGUF Q4_1: not supported */
    ASSERT_TRUE(!teai_type_is_known(3));
    ASSERT_TRUE(!teai_type_is_known(999));
    ASSERT_TRUE(!teai_type_is_known(0xffffffffu));
}

static void test_row_sizes(void) {
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_F32), 1);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_Q8_0), 32);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_Q4_0), 32);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_Q4_K), 256);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_Q6_K), 256);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_I8), 1);
    ASSERT_EQ(teai_type_block_size(TEAI_TYPE_NF4), 64);
    ASSERT_EQ(teai_type_block_size((teai_type)3), 0);

    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q4_K, 256), 144);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q6_K, 256), 210);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q8_0, 32), 34);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q4_0, 32), 18);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_NF4, 64), 34);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q4_K, 4096), 16 * 144);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q6_K, 4096), 16 * 210);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_F32, 7), 28);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_F16, 7), 14);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_BF16, 7), 14);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_I8, 4096), 4100);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_I8, 0), 4);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q4_K, 0), 0);
    /* not a whole number of blocks, negative, unknown, overflowing */
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q4_K, 300), 0);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_Q8_0, 33), 0);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_F32, -4), 0);
    ASSERT_EQ(teai_type_row_size((teai_type)3, 32), 0);
    ASSERT_EQ(teai_type_row_size(TEAI_TYPE_F32, INT64_MAX), 0);
}

/* ---- dequantization of hand-built blocks ---------------------------------- */

static void expect_values(const float *got, const float *want, int n, const char *what) {
    for (int i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            TEST_FAIL_AT("%s: element %d: got %.9g, want %.9g", what, i, (double)got[i],
                         (double)want[i]);
            return;
        }
    }
}

static void test_known_q8_0(void) {
    teai__block_q8_0 b;
    b.d = 0x3800;                                                 /* 0.5 */
    for (int j = 0; j < 32; j++) b.qs[j] = (int8_t)(8 * j - 128); /* -128, -120, ..., 120 */
    float y[32], want[32];
    for (int j = 0; j < 32; j++) want[j] = (float)(4 * j - 64);
    teai__dequantize_row(TEAI_TYPE_Q8_0, &b, y, 32);
    expect_values(y, want, 32, "q8_0");
    /* literal spot checks of the layout: d first, then qs[0..31] in order */
    uint8_t raw[34] = {0x00, 0x3c}; /* d = 1.0 */
    for (int j = 0; j < 32; j++) raw[2 + j] = (uint8_t)(j == 0 ? 0x80 : j == 31 ? 0x7f : j);
    teai__dequantize_row(TEAI_TYPE_Q8_0, raw, y, 32);
    ASSERT_TRUE(y[0] == -128.0f);
    ASSERT_TRUE(y[1] == 1.0f);
    ASSERT_TRUE(y[17] == 17.0f);
    ASSERT_TRUE(y[31] == 127.0f);
}

static void test_known_q4_0(void) {
    /* d = 2.0; byte j = (j) | (15 - j) << 4: element j = 2*(j - 8),
     * element j + 16 = 2*(7 - j). */
    uint8_t raw[18] = {0x00, 0x40};
    for (int j = 0; j < 16; j++) raw[2 + j] = (uint8_t)(j | ((15 - j) << 4));
    static const float want[32] = {-16, -14, -12, -10, -8, -6, -4,  -2,  0,   2,  4,
                                   6,   8,   10,  12,  14, 14, 12,  10,  8,   6,  4,
                                   2,   0,   -2,  -4,  -6, -8, -10, -12, -14, -16};
    float y[32];
    teai__dequantize_row(TEAI_TYPE_Q4_0, raw, y, 32);
    expect_values(y, want, 32, "q4_0");
}

static void test_known_q4_k(void) {
    /* d = 1.0, dmin = 0.5; sub-block scales and mins chosen so that every
     * high-bit field of the 6-bit packing is used, with different high bits
     * for scales and mins:
     *   sc = {1, 2, 3, 4, 17, 33, 63, 5}, m = {0, 1, 2, 3, 52, 8, 23, 47}
     * packed by hand: bytes 0..3 = sc[0..3] | (sc[4..7] >> 4) << 6,
     * bytes 4..7 = m[0..3] | (m[4..7] >> 4) << 6,
     * bytes 8..11 = (sc[4..7] & 15) | (m[4..7] & 15) << 4. */
    static const uint8_t scales[12] = {0x41, 0x82, 0xc3, 0x04, 0xc0, 0x01,
                                       0x42, 0x83, 0x41, 0x81, 0x7f, 0xf5};
    static const int sc[8] = {1, 2, 3, 4, 17, 33, 63, 5}, m[8] = {0, 1, 2, 3, 52, 8, 23, 47};
    uint8_t raw[144] = {0x00, 0x3c, 0x00, 0x38};
    memcpy(raw + 4, scales, 12);
    for (int k = 0; k < 128; k++) raw[16 + k] = (uint8_t)(k * 7 + 3);
    float y[256];
    teai__dequantize_row(TEAI_TYPE_Q4_K, raw, y, 256);
    /* literal spot checks */
    ASSERT_TRUE(y[0] == 3.0f);     /* qs[0] = 3: low 3, sub-block 0: 1*3 - 0.5*0 */
    ASSERT_TRUE(y[32] == -0.5f);   /* high nibble of qs[0] = 0, sub-block 1: 2*0 - 0.5*1 */
    ASSERT_TRUE(y[200] == 681.5f); /* qs[104] = 0xdb: low 11, sub-block 6: 63*11 - 0.5*23 */
    ASSERT_TRUE(y[255] == 11.5f);  /* qs[127] = 0x7c: high 7, sub-block 7: 5*7 - 0.5*47 */
    /* every element: qs[32p + l] holds element 64p + l (low), 64p + 32 + l (high) */
    float want[256];
    for (int p = 0; p < 4; p++) {
        for (int l = 0; l < 32; l++) {
            int q = raw[16 + 32 * p + l];
            want[64 * p + l] = (float)(sc[2 * p] * (q & 15)) - 0.5f * (float)m[2 * p];
            want[64 * p + 32 + l] = (float)(sc[2 * p + 1] * (q >> 4)) - 0.5f * (float)m[2 * p + 1];
        }
    }
    expect_values(y, want, 256, "q4_k");
}

static void test_known_q6_k(void) {
    /* ql[k] = k, qh[k] = 37k mod 256, scales[k] = k - 8, d = 0.25. */
    uint8_t raw[210];
    for (int k = 0; k < 128; k++) raw[k] = (uint8_t)k;
    for (int k = 0; k < 64; k++) raw[128 + k] = (uint8_t)(k * 37);
    for (int k = 0; k < 16; k++) raw[192 + k] = (uint8_t)(int8_t)(k - 8);
    raw[208] = 0x00;
    raw[209] = 0x34; /* 0.25 */
    float y[256];
    teai__dequantize_row(TEAI_TYPE_Q6_K, raw, y, 256);
    /* e = 0: ql[0] = 0, qh[0] = 0 -> q = 0 - 32; scale[0] = -8: 0.25*-8*-32 */
    ASSERT_TRUE(y[0] == 64.0f);
    /* e = 100 = 96 + 4: q = (ql[36] >> 4) | (qh[4] >> 6) << 4 = 2 | 2 << 4 = 34 -> 2;
     * scale[6] = -2: 0.25*-2*2 */
    ASSERT_TRUE(y[100] == -1.0f);
    /* e = 177 = 128 + 32 + 17: q = (ql[64+49] & 15) | (qh[32+17] >> 2 & 3) << 4
     * = 1 | 1 << 4 = 17 -> -15; scale[8+3] = 3: 0.25*3*-15 */
    ASSERT_TRUE(y[177] == -11.25f);
    /* e = 212 = 128 + 64 + 20: q = (ql[64+20] >> 4) | (qh[32+20] >> 4 & 3) << 4
     * = 5 | 0 = 5 -> -27; scale[8+5] = 5: 0.25*5*-27 */
    ASSERT_TRUE(y[212] == -33.75f);
    /* every element, from the layout written out in quant_simd.h */
    float want[256];
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = raw + 64 * h, *qh = raw + 128 + 32 * h;
        for (int l = 0; l < 32; l++) {
            int q[4] = {(ql[l] & 15) | (qh[l] & 3) << 4, (ql[l + 32] & 15) | (qh[l] >> 2 & 3) << 4,
                        (ql[l] >> 4) | (qh[l] >> 4 & 3) << 4,
                        (ql[l + 32] >> 4) | (qh[l] >> 6) << 4};
            for (int k = 0; k < 4; k++) {
                int e = 128 * h + 32 * k + l;
                want[e] = 0.25f * (float)((int8_t)raw[192 + e / 16]) * (float)(q[k] - 32);
            }
        }
    }
    expect_values(y, want, 256, "q6_k");
}

static void test_known_nf4(void) {
    /* absmax = 2.0; byte j = (j & 15) | (15 - (j & 15)) << 4 */
    uint8_t raw[34] = {0x00, 0x40};
    for (int j = 0; j < 32; j++) raw[2 + j] = (uint8_t)((j & 15) | ((15 - (j & 15)) << 4));
    float y[64];
    teai__dequantize_row(TEAI_TYPE_NF4, raw, y, 64);
    ASSERT_TRUE(y[0] == -2.0f);                         /* code 0 */
    ASSERT_TRUE(y[7] == 0.0f);                          /* code 7 */
    ASSERT_TRUE(y[9] == 2.0f * 0.16093020141124725f);   /* code 9 */
    ASSERT_TRUE(y[31] == 2.0f);                         /* byte 31 low nibble: code 15 */
    ASSERT_TRUE(y[32] == 2.0f);                         /* byte 0 high nibble: code 15 */
    ASSERT_TRUE(y[35] == 2.0f * 0.44070982933044434f);  /* byte 3 high: code 12 */
    ASSERT_TRUE(y[63] == -2.0f);                        /* byte 31 high: code 0 */
    ASSERT_TRUE(y[44] == 2.0f * -0.39491748809814453f); /* byte 12 high: code 3 */
}

static void test_known_i8(void) {
    /* scale 0.5 (fp16 0x3800, little-endian), two zero bytes, int8 data */
    uint8_t raw[9] = {0x00, 0x38, 0, 0, 0x81, 0x00, 0x01, 0x7f, 0xff};
    static const float want[5] = {-63.5f, 0.0f, 0.5f, 63.5f, -0.5f};
    float y[5];
    teai__dequantize_row(TEAI_TYPE_I8, raw, y, 5);
    expect_values(y, want, 5, "int8");
    float x[5] = {-3.0f, 0.0f, 1.0f, 3.0f, -1.0f}, src[5];
    uint8_t q[9];
    teai__quantize_row(TEAI_TYPE_I8, x, q, 5);
    ASSERT_EQ(teai__load_u16(q), teai__f32_to_fp16(3.0f / 127.0f));
    ASSERT_EQ(q[2], 0);
    ASSERT_EQ(q[3], 0);
    ASSERT_EQ((int8_t)q[4], -127);
    ASSERT_EQ((int8_t)q[7], 127);
    ASSERT_EQ((int8_t)q[5], 0);
    ASSERT_EQ((int8_t)q[6], 42); /* 1/(3/127) = 42.33 */
    teai__dequantize_row(TEAI_TYPE_I8, q, src, 5);
    ASSERT_NEAR(src[3], 3.0f, 3.0 / 127 * 1e-3 + 2e-3);
}

/* ---- round trips ------------------------------------------------------------ */

static void test_roundtrip_plain(void) {
    enum { N = 4096 };
    static float x[N], y[N];
    static uint8_t buf[N * 4];
    fill_weights(x, N, 1.0f);
    teai__quantize_row(TEAI_TYPE_F32, x, buf, N);
    teai__dequantize_row(TEAI_TYPE_F32, buf, y, N);
    ASSERT_TRUE(memcmp(x, y, sizeof x) == 0);
    /* f16: relative error <= 2^-11 (values here are in the normal half range) */
    teai__quantize_row(TEAI_TYPE_F16, x, buf, N);
    teai__dequantize_row(TEAI_TYPE_F16, buf, y, N);
    for (int i = 0; i < N; i++) ASSERT_NEAR(y[i], x[i], fabs(x[i]) * 0x1p-11 + 0x1p-24);
    /* bf16: relative error <= 2^-8 */
    teai__quantize_row(TEAI_TYPE_BF16, x, buf, N);
    teai__dequantize_row(TEAI_TYPE_BF16, buf, y, N);
    for (int i = 0; i < N; i++) ASSERT_NEAR(y[i], x[i], fabs(x[i]) * 0x1p-8);
}

/* Q8_0: d is absmax/127 to fp16 precision; every |err| <= d/2. */
static void test_roundtrip_q8_0(void) {
    enum { N = 8192 };
    static float x[N], y[N];
    static teai__block_q8_0 b[N / 32];
    fill_weights(x, N, 1.0f);
    teai__quantize_row(TEAI_TYPE_Q8_0, x, b, N);
    teai__dequantize_row(TEAI_TYPE_Q8_0, b, y, N);
    for (int i = 0; i < N / 32; i++) {
        double amax = max_abs(x + 32 * i, 32);
        double d = teai__fp16_to_f32(b[i].d);
        ASSERT_NEAR(d, amax / 127.0, amax / 127.0 * 0x1p-11);
        for (int j = 0; j < 32; j++) ASSERT_NEAR(y[32 * i + j], x[32 * i + j], d / 2 * (1 + 1e-6));
    }
}

/* Q4_0: d = v/-8 for the largest-magnitude v (exact at q = 0, up to fp16
 * rounding of d); |err| <= |d|/2 where x/d <= 7.5, else <= |d| (the clamp at
 * q = 15 on the side opposite to v). */
static void test_roundtrip_q4_0(void) {
    enum { N = 8192 };
    static float x[N], y[N];
    static teai__block_q4_0 b[N / 32];
    fill_weights(x, N, 1.0f);
    teai__quantize_row(TEAI_TYPE_Q4_0, x, b, N);
    teai__dequantize_row(TEAI_TYPE_Q4_0, b, y, N);
    for (int i = 0; i < N / 32; i++) {
        double d = teai__fp16_to_f32(b[i].d), ad = fabs(d);
        ASSERT_TRUE(ad > 0);
        for (int j = 0; j < 32; j++) {
            double xi = x[32 * i + j];
            double tol = (xi / d <= 7.5 ? ad / 2 : ad) * (1 + 1e-6);
            ASSERT_NEAR(y[32 * i + j], xi, tol);
        }
    }
}

/* RMS error of a round trip relative to the RMS of each block, worst block. */
static double worst_block_rel_rms(teai_type t, const float *x, float *y, int64_t n, int bs) {
    uint8_t *q = xmalloc(teai_type_row_size(t, n));
    teai__quantize_row(t, x, q, n);
    teai__dequantize_row(t, q, y, n);
    free(q);
    double worst = 0.0;
    for (int64_t i = 0; i < n; i += bs) {
        double e2 = 0.0, x2 = 0.0;
        for (int j = 0; j < bs; j++) {
            double e = (double)y[i + j] - x[i + j];
            e2 += e * e;
            x2 += (double)x[i + j] * x[i + j];
        }
        if (x2 > 0) worst = fmax(worst, sqrt(e2 / x2));
    }
    return worst;
}

/* RMS error over the whole row relative to the row's RMS. */
static double rel_rms(const float *x, const float *y, int64_t n) {
    double e2 = 0.0, x2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)y[i] - x[i];
        e2 += e * e;
        x2 += (double)x[i] * x[i];
    }
    return sqrt(e2 / x2);
}

/* Q4_K, checked three ways:
 * - each element sits on the stored level nearest to it: |err| <= the error
 *   of every other level d*sc*q - dmin*m, q in 0..15 (a misplaced nibble or
 *   a mis-packed scale breaks this at once);
 * - on single-magnitude data: |err| <= step/2 (step = d*sc) for elements
 *   inside the levels' range, <= 1.5 steps for elements the fit clipped (the
 *   fit may clip by half a step, and rounding sc to 6 bits moves the top
 *   level by up to 15 * 0.5/sc steps);
 * - RMS error: single-magnitude gaussian <= 7.5% of the RMS (4-bit steps over
 *   a ~4 sigma range; ggml's quantize_row_q4_K_ref gives 6.9%, teai 6.9%);
 *   weight-like data (magnitudes varying 100x within a super-block, outliers)
 *   <= 8% over the row and <= 15% in the worst super-block (ggml: 7.2% and
 *   12.9% worst of 1024 blocks). */
static void check_q4_k(const float *x, int64_t n, int uniform) {
    teai__block_q4_k *b = xmalloc(teai_type_row_size(TEAI_TYPE_Q4_K, n));
    float *y = xmalloc((size_t)n * sizeof(float));
    teai__quantize_row(TEAI_TYPE_Q4_K, x, b, n);
    teai__dequantize_row(TEAI_TYPE_Q4_K, b, y, n);
    for (int64_t i = 0; i < n / 256; i++) {
        float d = teai__fp16_to_f32(b[i].d), dmin = teai__fp16_to_f32(b[i].dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            teai__q4k_scale_min(j, b[i].scales, &sc, &m);
            float ds = d * (float)sc, dm = dmin * (float)m;
            for (int l = 0; l < 32; l++) {
                int64_t e = 256 * i + 32 * j + l;
                double err = fabs((double)y[e] - x[e]);
                for (int q = 0; q < 16; q++) {
                    if (!(err <= fabs((double)(ds * (float)q - dm) - x[e]) + 1e-6 * (ds + dm))) {
                        TEST_FAIL_AT("q4_k element %lld: %g -> %g, level %d is nearer",
                                     (long long)e, (double)x[e], (double)y[e], q);
                        goto out;
                    }
                }
                int inside = x[e] >= -dm - ds / 2 && x[e] <= 15 * ds - dm + ds / 2;
                if (uniform && !(err <= (inside ? 0.5 : 1.5) * ds * (1 + 1e-5) + 1e-7)) {
                    TEST_FAIL_AT("q4_k element %lld: |err| %g > %s step %g", (long long)e, err,
                                 inside ? "1/2" : "1.5", (double)ds);
                    goto out;
                }
            }
        }
    }
    double row = rel_rms(x, y, n);
    if (!(row <= (uniform ? 0.075 : 0.08))) TEST_FAIL_AT("q4_k: relative RMS error %g", row);
    if (!uniform) {
        double worst = worst_block_rel_rms(TEAI_TYPE_Q4_K, x, y, n, 256);
        if (!(worst <= 0.15)) TEST_FAIL_AT("q4_k: worst block relative RMS error %g", worst);
    }
out:
    free(b);
    free(y);
}

/* Q6_K, the same three ways: nearest of the 64 levels d*scale*(q - 32);
 * on single-magnitude data |err| <= step/2 inside the levels' range and
 * <= 2 steps where clipped (the largest |x| maps to -32, so an opposite
 * element of similar size can land past +31); RMS error <= 1.9% gaussian
 * (ggml 1.70%, teai 1.70%), weight-like <= 2.1% over the row and <= 4.5% in
 * the worst super-block (ggml 1.84% and 3.5%). */
static void check_q6_k(const float *x, int64_t n, int uniform) {
    teai__block_q6_k *b = xmalloc(teai_type_row_size(TEAI_TYPE_Q6_K, n));
    float *y = xmalloc((size_t)n * sizeof(float));
    teai__quantize_row(TEAI_TYPE_Q6_K, x, b, n);
    teai__dequantize_row(TEAI_TYPE_Q6_K, b, y, n);
    for (int64_t i = 0; i < n / 256; i++) {
        float d = teai__fp16_to_f32(b[i].d);
        for (int k = 0; k < 16; k++) {
            float ds = d * (float)b[i].scales[k];
            for (int l = 0; l < 16; l++) {
                int64_t e = 256 * i + 16 * k + l;
                double err = fabs((double)y[e] - x[e]);
                for (int q = -32; q < 32; q++) {
                    if (!(err <= fabs((double)(ds * (float)q) - x[e]) + 1e-6 * fabs(ds))) {
                        TEST_FAIL_AT("q6_k element %lld: %g -> %g, level %d is nearer",
                                     (long long)e, (double)x[e], (double)y[e], q);
                        goto out;
                    }
                }
                double t = ds != 0.0f ? x[e] / ds : 0.0;
                int inside = t >= -32.5 && t <= 31.5;
                if (uniform && !(err <= (inside ? 0.5 : 2.0) * fabs(ds) * (1 + 1e-5) + 1e-7)) {
                    TEST_FAIL_AT("q6_k element %lld: |err| %g > %s step %g", (long long)e, err,
                                 inside ? "1/2" : "2", fabs(ds));
                    goto out;
                }
            }
        }
    }
    double row = rel_rms(x, y, n);
    if (!(row <= (uniform ? 0.019 : 0.021))) TEST_FAIL_AT("q6_k: relative RMS error %g", row);
    if (!uniform) {
        double worst = worst_block_rel_rms(TEAI_TYPE_Q6_K, x, y, n, 256);
        if (!(worst <= 0.045)) TEST_FAIL_AT("q6_k: worst block relative RMS error %g", worst);
    }
out:
    free(b);
    free(y);
}

static void test_roundtrip_k_quants(void) {
    enum { N = 16384 };
    static float x[N];
    fill_weights(x, N, 1.0f);
    check_q4_k(x, N, 0);
    check_q6_k(x, N, 0);
    for (int i = 0; i < N; i++) x[i] = 0.05f * rng_gauss();
    check_q4_k(x, N, 1);
    check_q6_k(x, N, 1);
}

/* I8: scale = absmax/127 (fp16), every |err| <= scale/2. */
static void test_roundtrip_i8(void) {
    enum { N = 3001 };
    static float x[N], y[N];
    static uint8_t q[N + 4];
    fill_weights(x, N, 0.02f);
    teai__quantize_row(TEAI_TYPE_I8, x, q, N);
    teai__dequantize_row(TEAI_TYPE_I8, q, y, N);
    double amax = max_abs(x, N);
    double s = teai__fp16_to_f32(teai__load_u16(q));
    ASSERT_NEAR(s, amax / 127, amax / 127 * 0x1p-11);
    for (int i = 0; i < N; i++) ASSERT_NEAR(y[i], x[i], s / 2 * (1 + 1e-6));
}

/* NF4: each element goes to the nearest of the 16 scaled codebook values
 * (checked against all 16), so |err| <= absmax * 0.1520 (half the widest gap,
 * between -1 and -0.6962), plus the fp16 rounding of absmax. */
static void test_roundtrip_nf4(void) {
    enum { N = 8192 };
    static float x[N], y[N];
    static teai__block_nf4 b[N / 64];
    fill_weights(x, N, 1.0f);
    teai__quantize_row(TEAI_TYPE_NF4, x, b, N);
    teai__dequantize_row(TEAI_TYPE_NF4, b, y, N);
    for (int i = 0; i < N / 64; i++) {
        double a = teai__fp16_to_f32(b[i].absmax), amax = max_abs(x + 64 * i, 64);
        ASSERT_NEAR(a, amax, amax * 0x1p-11);
        for (int j = 0; j < 64; j++) {
            double xi = x[64 * i + j], err = fabs(y[64 * i + j] - xi);
            ASSERT_TRUE(err <= a * 0.1520 + amax * 0x1p-11);
            for (int k = 0; k < 16; k++)
                ASSERT_TRUE(err <= fabs(a * teai__nf4_values[k] - xi) + 1e-6 * a);
        }
    }
}

/* Zero, constant and tiny blocks: no division by zero, no NaN, zeros stay
 * exactly zero (NF4 zero is code 7, not code 0 = -1). */
static void test_degenerate_blocks(void) {
    enum { N = 512 };
    static float x[N], y[N];
    static uint8_t buf[N * 4 + 4];
    for (int c = 0; c < 4; c++) {
        for (int i = 0; i < N; i++)
            x[i] = c == 0 ? 0.0f : c == 1 ? -0.5f : c == 2 ? 1e-30f * (float)(i % 7) : 3.0f;
        for (int k = 0; k < N_TYPES; k++) {
            teai_type t = all_types[k];
            teai__quantize_row(t, x, buf, N);
            teai__dequantize_row(t, buf, y, N);
            for (int i = 0; i < N; i++) {
                if (!isfinite(y[i])) {
                    TEST_FAIL_AT("%s case %d: element %d is %g", teai_type_name(t), c, i,
                                 (double)y[i]);
                    return;
                }
                if (c == 0 && y[i] != 0.0f) {
                    TEST_FAIL_AT("%s: zero became %g", teai_type_name(t), (double)y[i]);
                    return;
                }
                /* constants are exact to fp16 precision in every format here */
                if ((c == 1 || c == 3) && fabsf(y[i] - x[i]) > fabsf(x[i]) * 0x1p-8) {
                    TEST_FAIL_AT("%s case %d: %g became %g", teai_type_name(t), c, (double)x[i],
                                 (double)y[i]);
                    return;
                }
            }
        }
    }
    for (int i = 0; i < N; i++) x[i] = 0.0f;
    teai__quantize_row(TEAI_TYPE_NF4, x, buf, 64);
    ASSERT_EQ(buf[2], 0x77);
    ASSERT_EQ(buf[33], 0x77);
}

/* ---- dot kernels ------------------------------------------------------------ */

/* Lengths: 256..8192, odd multiples of the block size, and (for block size
 * 1) lengths that leave every tail length of the SIMD loops. */
static int lengths_for(teai_type t, int64_t *out) {
    int64_t bs = teai_type_block_size(t);
    int n = 0;
    static const int64_t base[] = {256, 512, 2048, 8192};
    for (int i = 0; i < 4; i++) out[n++] = base[i];
    if (bs > 1) {
        static const int64_t odd[] = {1, 3, 5, 17, 33};
        for (int i = 0; i < 5; i++) out[n++] = odd[i] * bs;
    } else {
        static const int64_t tails[] = {1, 7, 8, 9, 31, 33, 39, 63, 1001, 4099};
        for (int i = 0; i < 10; i++) out[n++] = tails[i];
    }
    return n;
}

static int check_dot(const char *what, teai_type t, int64_t n, double got, double want,
                     double mag) {
    double tol = DOT_RTOL * mag + DOT_ATOL;
    if (!(fabs(got - want) <= tol)) {
        TEST_FAIL_AT("%s %s n=%lld: %.9g vs %.9g (|diff| %.3g > tol %.3g)", what, teai_type_name(t),
                     (long long)n, got, want, fabs(got - want), tol);
        return 0;
    }
    return 1;
}

/* dot_ref agrees with dequantize-then-dot (in double). */
static void test_dot_ref_vs_dequant(void) {
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        int64_t lens[20];
        int nl = lengths_for(t, lens);
        for (int li = 0; li < nl; li++) {
            int64_t n = lens[li];
            float *x = xmalloc((size_t)n * sizeof(float));
            fill_weights(x, n, 1.0f);
            uint8_t *row = make_row(t, n, NULL);
            double want, mag;
            dot_exact(t, row, x, n, &want, &mag);
            double got = teai__dot_ref(t)(n, row, x);
            int ok = check_dot("dot_ref", t, n, got, want, mag);
            free(row);
            free(x);
            if (!ok) return;
        }
    }
}

/* dot_best (the SIMD kernel on AVX2 / NEON machines) agrees with dot_ref, at
 * every length, with rows and x at offsets that are not 16-byte aligned: x
 * 4-aligned, rows at their element alignment (f32 4, fp16 fields 2, int8 1). */
static void test_dot_best_vs_ref(void) {
    printf("simd: %s\n", teai__simd_name());
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        teai__dot_fn best = teai__dot_best(t), ref = teai__dot_ref(t);
        ASSERT_TRUE(best && ref);
        /* a SIMD build must really run its SIMD kernel here */
        if (strcmp(teai__simd_name(), "scalar") != 0) ASSERT_TRUE(best != ref);
        int64_t lens[20];
        int nl = lengths_for(t, lens);
        for (int li = 0; li < nl; li++) {
            int64_t n = lens[li];
            size_t rs = teai_type_row_size(t, n);
            float *xbuf = xmalloc(((size_t)n + 1) * sizeof(float));
            uint8_t *rbuf = xmalloc(rs + 4);
            for (int off = 0; off < 2; off++) {
                float *x = xbuf + off;
                size_t align = t == TEAI_TYPE_F32 ? 4 : t == TEAI_TYPE_I8 ? 1 : 2;
                uint8_t *row = rbuf + align * (size_t)off;
                fill_weights(x, n, 1.0f);
                float *src = xmalloc((size_t)n * sizeof(float));
                fill_weights(src, n, 1.0f);
                teai__quantize_row(t, src, row, n);
                free(src);
                double want, mag;
                dot_exact(t, row, x, n, &want, &mag);
                double b = best(n, row, x), r = ref(n, row, x);
                if (!check_dot("dot_best vs dot_ref", t, n, b, r, mag) ||
                    !check_dot("dot_best vs exact", t, n, b, want, mag)) {
                    free(rbuf);
                    free(xbuf);
                    return;
                }
            }
            free(rbuf);
            free(xbuf);
        }
    }
}

/* Hand-built extreme codes (all -128/127, all nibbles 15, every Q6_K code
 * 0 or 63) through both kernels: catches sign and widening mistakes that
 * random data rarely reaches. */
static void test_dot_extreme_codes(void) {
    enum { N = 512 };
    static float x[N];
    static uint8_t row[N * 4 + 4];
    for (int i = 0; i < N; i++) x[i] = (float)((i % 13) - 6) * 0.25f;
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        size_t rs = teai_type_row_size(t, N);
        for (int pat = 0; pat < 3; pat++) {
            uint8_t fill = pat == 0 ? 0xff : pat == 1 ? 0x80 : 0x00;
            memset(row, fill, rs);
            /* keep fp16 scale fields finite: 0x3c00 = 1.0 where the format has them */
            if (t == TEAI_TYPE_F16 || t == TEAI_TYPE_BF16) {
                for (int i = 0; i < N; i++) {
                    uint16_t v = pat == 0 ? 0xbc00 : pat == 1 ? 0x3c00 : 0x0000;
                    if (t == TEAI_TYPE_BF16) v = pat == 0 ? 0xbf80 : pat == 1 ? 0x3f80 : 0;
                    memcpy(row + 2 * i, &v, 2);
                }
            } else if (t == TEAI_TYPE_F32) {
                for (int i = 0; i < N; i++) {
                    float v = pat == 0 ? -1.0f : pat == 1 ? 1.0f : 0.0f;
                    memcpy(row + 4 * i, &v, 4);
                }
            } else if (t == TEAI_TYPE_I8) {
                row[0] = 0x00, row[1] = 0x3c, row[2] = row[3] = 0;
            } else {
                size_t bb = teai_type_row_size(t, teai_type_block_size(t));
                size_t dpos = t == TEAI_TYPE_Q6_K ? 208 : 0;
                for (size_t b = 0; b < rs / bb; b++) {
                    row[b * bb + dpos] = 0x00, row[b * bb + dpos + 1] = 0x3c;
                    if (t == TEAI_TYPE_Q4_K) row[b * bb + 2] = 0x00, row[b * bb + 3] = 0x38;
                    if (t == TEAI_TYPE_Q6_K) memset(row + b * bb + 192, pat == 2 ? 0x81 : 0x7f, 16);
                }
            }
            double want, mag;
            dot_exact(t, row, x, N, &want, &mag);
            double b = teai__dot_best(t)(N, row, x), r = teai__dot_ref(t)(N, row, x);
            if (!check_dot("extreme best", t, N, b, want, mag) ||
                !check_dot("extreme ref", t, N, r, want, mag))
                return;
        }
    }
}

/* teai__matvec over rows r0..r1 equals per-row dots and leaves the other
 * outputs alone; includes a Q4_K width past the matvec's stack buffer. */
static void test_matvec(void) {
    static const struct {
        int64_t rows, cols, r0, r1;
    } shapes[] = {{13, 512, 3, 11}, {7, 2048, 0, 7}, {5, 256, 4, 5}, {4, 1024, 2, 2}};
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        for (int s = 0; s < 4; s++) {
            int64_t rows = shapes[s].rows, cols = shapes[s].cols;
            size_t rs = teai_type_row_size(t, cols);
            uint8_t *W = xmalloc(rs * (size_t)rows);
            float *src = xmalloc((size_t)cols * sizeof(float));
            float *x = xmalloc((size_t)cols * sizeof(float));
            float *y = xmalloc((size_t)rows * sizeof(float));
            for (int64_t r = 0; r < rows; r++) {
                fill_weights(src, cols, 1.0f);
                teai__quantize_row(t, src, W + (size_t)r * rs, cols);
                y[r] = -12345.0f;
            }
            fill_weights(x, cols, 1.0f);
            teai__matvec(t, W, rs, cols, shapes[s].r0, shapes[s].r1, x, y);
            int ok = 1;
            for (int64_t r = 0; r < rows && ok; r++) {
                if (r < shapes[s].r0 || r >= shapes[s].r1) {
                    if (y[r] != -12345.0f) {
                        TEST_FAIL_AT("%s: matvec wrote row %lld outside [%lld, %lld)",
                                     teai_type_name(t), (long long)r, (long long)shapes[s].r0,
                                     (long long)shapes[s].r1);
                        ok = 0;
                    }
                    continue;
                }
                double want, mag;
                dot_exact(t, W + (size_t)r * rs, x, cols, &want, &mag);
                double d = teai__dot_best(t)(cols, W + (size_t)r * rs, x);
                ok = check_dot("matvec vs dot_best", t, cols, y[r], d, mag) &&
                     check_dot("matvec vs exact", t, cols, y[r], want, mag);
            }
            free(W);
            free(src);
            free(x);
            free(y);
            if (!ok) return;
        }
    }
    /* Q4_K wider than the matvec's precomputed sums (4096 sub-blocks of 32). */
    int64_t cols = 513 * 256;
    size_t rs = teai_type_row_size(TEAI_TYPE_Q4_K, cols);
    uint8_t *W = xmalloc(rs * 2);
    float *src = xmalloc((size_t)cols * sizeof(float)), *x = xmalloc((size_t)cols * sizeof(float));
    float y[2];
    for (int r = 0; r < 2; r++) {
        fill_weights(src, cols, 1.0f);
        teai__quantize_row(TEAI_TYPE_Q4_K, src, W + (size_t)r * rs, cols);
    }
    fill_weights(x, cols, 1.0f);
    teai__matvec(TEAI_TYPE_Q4_K, W, rs, cols, 0, 2, x, y);
    for (int r = 0; r < 2; r++) {
        double want, mag;
        dot_exact(TEAI_TYPE_Q4_K, W + (size_t)r * rs, x, cols, &want, &mag);
        if (!check_dot("wide matvec", TEAI_TYPE_Q4_K, cols, y[r], want, mag)) break;
    }
    free(W);
    free(src);
    free(x);
}

/* ---- quantized activations (teai__quantize_vec, teai__dotq_*) ---------------
 * Tolerance: the integer part of every dotq kernel is exact, only the float
 * scaling and accumulation differ; two computations agree within
 * DOTQ_RTOL * sum_i |w_i x_i| + DOT_ATOL, |terms| from the dequantized row
 * and activation vector. */

#define DOTQ_RTOL 1e-6

/* The activation vector xq as f32 (n,). */
static void dequant_vec(teai_type wt, const void *xq, float *xd, int64_t n) {
    const uint8_t *p = xq;
    switch ((int)teai__vec_type(wt)) {
        case TEAI_TYPE_Q8_0: {
            int64_t nb = (n + 31) / 32;
            float *tmp = xmalloc((size_t)nb * 32 * sizeof(float));
            teai__dequantize_row(TEAI_TYPE_Q8_0, xq, tmp, nb * 32);
            memcpy(xd, tmp, (size_t)n * sizeof(float));
            free(tmp);
            break;
        }
        case (int)TEAI__TYPE_Q8_K:
            for (int64_t i = 0; i < n; i++) {
                const uint8_t *b = p + TEAI__Q8K_BYTES * (i / 256);
                xd[i] = teai__load_f32(b + TEAI__Q8K_D) * (float)(int8_t)b[TEAI__Q8K_QS + i % 256];
            }
            break;
        case TEAI_TYPE_F16:
            teai__dequantize_row(TEAI_TYPE_F16, xq, xd, n);
            break;
        default:
            memcpy(xd, xq, (size_t)n * sizeof(float));
            break;
    }
}

/* sum_i w_i x_i and sum_i |w_i x_i| in double, from the dequantized row and
 * activation vector. */
static void dotq_exact(teai_type t, const void *row, const void *xq, int64_t n, double *dot,
                       double *mag) {
    float *w = xmalloc((size_t)n * sizeof(float)), *x = xmalloc((size_t)n * sizeof(float));
    teai__dequantize_row(t, row, w, n);
    if (t == TEAI_TYPE_NF4) /* the integer path's codebook (quant_simd.h) */
        for (int64_t i = 0; i < n; i++) {
            const teai__block_nf4 *b = (const teai__block_nf4 *)row + i / 64;
            int j = (int)(i % 64), c = j < 32 ? b->qs[j] & 15 : b->qs[j - 32] >> 4;
            w[i] = teai__fp16_to_f32(teai__load_u16(&b->absmax)) * (float)teai__nf4_i8[c] / 127.0f;
        }
    dequant_vec(t, xq, x, n);
    double s = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)w[i] * x[i];
        m += fabs((double)w[i] * x[i]);
    }
    free(w);
    free(x);
    *dot = s;
    *mag = m;
}

static int check_dotq(const char *what, teai_type t, int64_t n, double got, double want,
                      double mag) {
    double tol = DOTQ_RTOL * mag + DOT_ATOL;
    if (!(fabs(got - want) <= tol)) {
        TEST_FAIL_AT("%s %s n=%lld: %.9g vs %.9g (|diff| %.3g > tol %.3g)", what, teai_type_name(t),
                     (long long)n, got, want, fabs(got - want), tol);
        return 0;
    }
    return 1;
}

static void test_vec_type_size(void) {
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_Q8_0), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_Q4_0), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_I8), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_Q4_K), TEAI__TYPE_Q8_K);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_Q6_K), TEAI__TYPE_Q8_K);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_F16), TEAI_TYPE_F16);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_F32), TEAI_TYPE_F32);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_BF16), TEAI_TYPE_F32);
    ASSERT_EQ(teai__vec_type(TEAI_TYPE_NF4), TEAI_TYPE_Q8_0); /* the integer path */
    ASSERT_EQ(teai__vec_type(TEAI__TYPE_NF4_EXACT), TEAI_TYPE_F32);
    ASSERT_EQ((int)teai__vec_type((teai_type)3), -1);
    ASSERT_TRUE(!teai_type_is_known((uint32_t)TEAI__TYPE_Q8_K)); /* never a weight type */

    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q8_0, 4096), 128 * 34);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q4_0, 64), 2 * 34);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q4_K, 4096), 16 * 292);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q6_K, 256), 292);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_I8, 4096), 128 * 34);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_I8, 33), 2 * 34); /* zero-padded last block */
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_I8, 1), 34);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_F16, 7), 14);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_F32, 7), 28);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_BF16, 7), 28);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_NF4, 64), 2 * 34);
    ASSERT_EQ(teai__vec_size(TEAI__TYPE_NF4_EXACT, 64), 256);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q8_0, 33), 0);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_Q4_K, 300), 0);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_F32, -1), 0);
    ASSERT_EQ(teai__vec_size((teai_type)3, 32), 0);
    ASSERT_EQ(teai__vec_size(TEAI_TYPE_F32, INT64_MAX), 0);
}

/* Q8_0 as llama.cpp's x86 backend: id = 127/amax, ties to even (2.5 -> 2,
 * where quantize_row_q8_0_ref's roundf gives 3); a zero block is all zero; a
 * partial last block (I8) is zero-padded. */
static void test_quantize_vec_q8_0(void) {
    float x[96] = {127.0f, 2.5f, -0.5f, 1.5f, -3.5f, 0.5f, -126.5f, 3.25f};
    for (int j = 0; j < 32; j++) x[32 + j] = (float)(j - 16); /* amax 16: id = 7.9375 */
    /* block 2: zeros */
    uint8_t q[3 * 34];
    teai__quantize_vec(TEAI_TYPE_Q8_0, x, q, 96);
    ASSERT_EQ(teai__load_u16(q), 0x3c00); /* d = 127/127 = 1 */
    static const int8_t want0[8] = {127, 2, 0, 2, -4, 0, -126, 3};
    for (int j = 0; j < 8; j++) ASSERT_EQ((int8_t)q[2 + j], want0[j]);
    for (int j = 8; j < 32; j++) ASSERT_EQ(q[2 + j], 0);
    ASSERT_EQ(teai__load_u16(q + 34), teai__f32_to_fp16(16.0f / 127.0f));
    ASSERT_EQ((int8_t)q[36 + 0], -127);
    ASSERT_EQ((int8_t)q[36 + 8], -64);  /* -63.5, even */
    ASSERT_EQ((int8_t)q[36 + 17], 8);   /* 7.9375 */
    ASSERT_EQ((int8_t)q[36 + 24], 64);  /* 63.5, even */
    ASSERT_EQ((int8_t)q[36 + 31], 119); /* 119.0625 */
    ASSERT_EQ(teai__load_u16(q + 68), 0);
    for (int j = 0; j < 32; j++) ASSERT_EQ(q[70 + j], 0);

    /* I8 row of 40: block 1 holds x[32..39] and zeros */
    float y[40];
    for (int j = 0; j < 40; j++) y[j] = j < 32 ? 1.0f : (float)(j - 36); /* -4..3 */
    uint8_t qi[2 * 34];
    memset(qi, 0x55, sizeof qi);
    teai__quantize_vec(TEAI_TYPE_I8, y, qi, 40);
    ASSERT_EQ((int8_t)qi[2], 127);
    ASSERT_EQ(teai__load_u16(qi + 34), teai__f32_to_fp16(4.0f / 127.0f));
    ASSERT_EQ((int8_t)qi[36], -127);
    ASSERT_EQ((int8_t)qi[36 + 2], -64); /* -2 * 31.75 = -63.5, even */
    ASSERT_EQ((int8_t)qi[36 + 7], 95);  /* 3 * 31.75 = 95.25 */
    for (int j = 8; j < 32; j++) ASSERT_EQ(qi[36 + j], 0);
}

/* Q8_K as quantize_row_q8_K_ref: the first element of largest magnitude maps
 * to -127 whatever its sign, ties to even, d = 1/iscale, bsums of 16. */
static void test_quantize_vec_q8_k(void) {
    static float x[3 * 256];
    x[0] = -2.0f, x[1] = 1.0f, x[2] = 0.5f, x[3] = -1.0f, x[16] = 0.25f, x[255] = 2.0f;
    x[256] = 4.0f, x[257] = 2.0f, x[258] = -2.0f, x[259] = -4.0f;
    static uint8_t q[3 * 292];
    memset(q, 0x55, sizeof q);
    teai__quantize_vec(TEAI_TYPE_Q4_K, x, q, 3 * 256);
    /* block 0: max = -2, iscale = 63.5 */
    ASSERT_TRUE(teai__load_f32(q + TEAI__Q8K_D) == 1.0f / 63.5f);
    const int8_t *qs = (const int8_t *)(q + TEAI__Q8K_QS);
    ASSERT_EQ(qs[0], -127);
    ASSERT_EQ(qs[1], 64);  /* 63.5, even */
    ASSERT_EQ(qs[2], 32);  /* 31.75 */
    ASSERT_EQ(qs[3], -64); /* -63.5, even */
    ASSERT_EQ(qs[16], 16); /* 15.875 */
    ASSERT_EQ(qs[255], 127);
    int16_t bs[16];
    memcpy(bs, q + TEAI__Q8K_BSUMS, sizeof bs);
    ASSERT_EQ(bs[0], -127 + 64 + 32 - 64);
    ASSERT_EQ(bs[1], 16);
    ASSERT_EQ(bs[2], 0);
    ASSERT_EQ(bs[15], 127);
    /* block 1: +4 and -4; the first, +4, is max: iscale = -31.75 */
    const uint8_t *b1 = q + 292;
    ASSERT_TRUE(teai__load_f32(b1 + TEAI__Q8K_D) == 1.0f / -31.75f);
    ASSERT_EQ((int8_t)b1[TEAI__Q8K_QS + 0], -127);
    ASSERT_EQ((int8_t)b1[TEAI__Q8K_QS + 1], -64); /* -63.5 */
    ASSERT_EQ((int8_t)b1[TEAI__Q8K_QS + 2], 64);
    ASSERT_EQ((int8_t)b1[TEAI__Q8K_QS + 3], 127);
    memcpy(bs, b1 + TEAI__Q8K_BSUMS, sizeof bs);
    ASSERT_EQ(bs[0], 0);
    /* block 2: zeros, d = 0, bsums 0 */
    const uint8_t *b2 = q + 2 * 292;
    for (int j = 0; j < 292; j++) ASSERT_EQ(b2[j], 0);
}

static void test_quantize_vec_plain(void) {
    float x[5] = {1.0f + 0x1p-11f, 1.0f + 0x3p-11f, -65520.0f, 1e-8f, 0.1f};
    uint8_t h[10];
    teai__quantize_vec(TEAI_TYPE_F16, x, h, 5);
    ASSERT_EQ(teai__load_u16(h), 0x3c00);     /* tie to even */
    ASSERT_EQ(teai__load_u16(h + 2), 0x3c02); /* tie to even, upwards */
    ASSERT_EQ(teai__load_u16(h + 4), 0xfc00); /* rounds to -inf, as F16C */
    ASSERT_EQ(teai__load_u16(h + 6), 0x0000); /* below half the smallest subnormal */
    ASSERT_EQ(teai__load_u16(h + 8), 0x2e66);
    float f[5];
    teai__quantize_vec(TEAI_TYPE_BF16, x, f, 5);
    ASSERT_TRUE(memcmp(f, x, sizeof x) == 0);
}

/* n elements of activation-like data (gaussian, some outliers, sometimes a
 * whole block of zeros). */
static void fill_acts(float *x, int64_t n) {
    fill_weights(x, n, 1.0f);
    if (n >= 512 && rng_u32() % 2) memset(x + 256, 0, 256 * sizeof(float));
}

/* A quantized activation vector of x for weight type t (caller frees). */
static uint8_t *make_vec(teai_type t, const float *x, int64_t n, size_t off) {
    uint8_t *buf = xmalloc(teai__vec_size(t, n) + off);
    teai__quantize_vec(t, x, buf + off, n);
    return buf;
}

/* dotq_ref agrees with dequantize(row) . dequantize(xq) in double. */
static void test_dotq_ref_vs_dequant(void) {
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        int64_t lens[20];
        int nl = lengths_for(t, lens);
        for (int li = 0; li < nl; li++) {
            int64_t n = lens[li];
            float *x = xmalloc((size_t)n * sizeof(float));
            fill_acts(x, n);
            uint8_t *row = make_row(t, n, NULL), *xq = make_vec(t, x, n, 0);
            double want, mag;
            dotq_exact(t, row, xq, n, &want, &mag);
            double got = teai__dotq_ref(t)(n, row, xq);
            int ok = check_dotq("dotq_ref", t, n, got, want, mag);
            free(row);
            free(xq);
            free(x);
            if (!ok) return;
        }
    }
}

/* dotq_best (the SIMD kernel where there is one) agrees with dotq_ref and
 * with the exact dot, at every length, with rows and activation vectors at
 * addresses that are not 16-byte aligned (rows at their element alignment,
 * activation vectors 2 bytes off, f32 ones 4 bytes off). */
static void test_dotq_best_vs_ref(void) {
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        teai__dotq_fn best = teai__dotq_best(t), ref = teai__dotq_ref(t);
        ASSERT_TRUE(best && ref);
        if (strcmp(teai__simd_name(), "scalar") != 0) ASSERT_TRUE(best != ref);
        int64_t lens[20];
        int nl = lengths_for(t, lens);
        for (int li = 0; li < nl; li++) {
            int64_t n = lens[li];
            size_t rs = teai_type_row_size(t, n);
            float *x = xmalloc((size_t)n * sizeof(float));
            uint8_t *rbuf = xmalloc(rs + 4);
            for (int off = 0; off < 2; off++) {
                size_t align = t == TEAI_TYPE_F32 ? 4 : t == TEAI_TYPE_I8 ? 1 : 2;
                size_t xoff = teai__vec_type(t) == TEAI_TYPE_F32 ? 4 : 2;
                uint8_t *row = rbuf + align * (size_t)off;
                float *src = xmalloc((size_t)n * sizeof(float));
                fill_weights(src, n, 1.0f);
                teai__quantize_row(t, src, row, n);
                free(src);
                fill_acts(x, n);
                uint8_t *xbuf = make_vec(t, x, n, xoff * (size_t)off), *xq = xbuf + xoff * off;
                double want, mag;
                dotq_exact(t, row, xq, n, &want, &mag);
                double b = best(n, row, xq), r = ref(n, row, xq);
                free(xbuf);
                if (!check_dotq("dotq_best vs dotq_ref", t, n, b, r, mag) ||
                    !check_dotq("dotq_best vs exact", t, n, b, want, mag)) {
                    free(rbuf);
                    free(x);
                    return;
                }
            }
            free(rbuf);
            free(x);
        }
    }
}

/* Extreme codes (every weight byte 0xff, 0x80 or 0x00: int8 -128 and -1, all
 * nibbles 15, Q6_K codes 63 and scales -128) against activations at +-127:
 * the int16 steps of maddubs/madd must not saturate. */
static void test_dotq_extreme_codes(void) {
    enum { N = 512 };
    static float x[N];
    static uint8_t row[N * 4 + 4], xq[N * 4];
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        size_t rs = teai_type_row_size(t, N);
        for (int pat = 0; pat < 6; pat++) {
            for (int i = 0; i < N; i++) /* pat 0..2: all +-1 (q = +-127); 3..5: alternating */
                x[i] = pat < 3 ? (pat == 1 ? -1.0f : 1.0f) : (i % 2 ? -1.0f : 1.0f);
            uint8_t fill = pat % 3 == 0 ? 0xff : pat % 3 == 1 ? 0x80 : 0x00;
            memset(row, fill, rs);
            if (t == TEAI_TYPE_F32 || t == TEAI_TYPE_F16 || t == TEAI_TYPE_BF16) {
                teai__quantize_row(t, x, row, N); /* plain formats: the values themselves */
            } else if (t == TEAI_TYPE_I8) {
                row[0] = 0x00, row[1] = 0x3c, row[2] = row[3] = 0;
            } else {
                size_t bb = teai_type_row_size(t, teai_type_block_size(t));
                size_t dpos = t == TEAI_TYPE_Q6_K ? 208 : 0;
                for (size_t b = 0; b < rs / bb; b++) {
                    row[b * bb + dpos] = 0x00, row[b * bb + dpos + 1] = 0x3c;
                    if (t == TEAI_TYPE_Q4_K) row[b * bb + 2] = 0x00, row[b * bb + 3] = 0x38;
                    if (t == TEAI_TYPE_Q6_K) memset(row + b * bb + 192, 0x80, 16);
                }
            }
            teai__quantize_vec(t, x, xq, N);
            double want, mag;
            dotq_exact(t, row, xq, N, &want, &mag);
            double b = teai__dotq_best(t)(N, row, xq), r = teai__dotq_ref(t)(N, row, xq);
            if (!check_dotq("extreme best", t, N, b, want, mag) ||
                !check_dotq("extreme ref", t, N, r, want, mag))
                return;
        }
    }
}

/* teai__matvec_q equals teai__dotq_best bit for bit per row; teai__matmul_q
 * too, or, for types with a register-tile kernel (teai__dotq_rows_best), that
 * kernel's one-row one-vector result bit for bit, which itself agrees with
 * dotq_best to float rounding (it sums the blocks in another order). Both
 * write only rows r0..r1 of each output vector and tile correctly: shapes
 * with more rows and vectors than one tile holds, B not a multiple of 4,
 * padded strides. */
static void test_matvec_matmul_q(void) {
    static const struct {
        int64_t rows, cols, r0, r1;
        int B;
    } shapes[] = {{13, 512, 3, 11, 5},
                  {7, 2048, 0, 7, 32},
                  {5, 256, 4, 5, 3},
                  {4, 1024, 2, 2, 4},
                  {9, 768, 0, 9, 1},
                  {70, 4096, 1, 69, 70},
                  {3, 256, 0, 3, 9},
                  /* an odd number of 32-blocks; int8 rows not whole blocks; rows
                   * wider than the kernels' stack buffers */
                  {5, 96, 0, 5, 3},
                  {3, 100, 0, 3, 5},
                  {3, 16416, 0, 3, 2}};
    for (int k = 0; k < N_TYPES; k++) {
        teai_type t = all_types[k];
        teai__dotq_fn best = teai__dotq_best(t);
        teai__dotq_rows_fn rows_fn = teai__dotq_rows_best(t);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int64_t rows = shapes[s].rows, cols = shapes[s].cols, r0 = shapes[s].r0;
            int64_t r1 = shapes[s].r1;
            int B = shapes[s].B;
            /* widths that are not whole blocks of t (int8 rows may end in a partial block) */
            if (t != TEAI_TYPE_I8 && cols % teai_type_block_size(t) != 0) continue;
            size_t rs = teai_type_row_size(t, cols);
            size_t xs = (teai__vec_size(t, cols) + 63) / 64 * 64 + 64 * (s % 2);
            size_t ys = (size_t)rows + 3;
            uint8_t *W = xmalloc(rs * (size_t)rows), *X = xmalloc(xs * (size_t)B);
            float *src = xmalloc((size_t)cols * sizeof(float));
            float *Y = xmalloc(ys * (size_t)B * sizeof(float));
            for (int64_t r = 0; r < rows; r++) {
                fill_weights(src, cols, 1.0f);
                teai__quantize_row(t, src, W + (size_t)r * rs, cols);
            }
            for (int b = 0; b < B; b++) {
                fill_acts(src, cols);
                teai__quantize_vec(t, src, X + (size_t)b * xs, cols);
            }
            int ok = 1;
            for (int pass = 0; pass < 2 && ok; pass++) { /* 0: matvec of vector 0, 1: matmul */
                for (size_t i = 0; i < ys * (size_t)B; i++) Y[i] = -12345.0f;
                if (pass == 0)
                    teai__matvec_q(t, W, rs, cols, r0, r1, X, Y);
                else
                    teai__matmul_q(t, W, rs, cols, r0, r1, X, xs, B, Y, ys);
                for (int b = 0; b < (pass ? B : 1) && ok; b++) {
                    for (size_t r = 0; r < ys && ok; r++) {
                        float got = Y[(size_t)b * ys + r];
                        int inside = (int64_t)r >= r0 && (int64_t)r < r1;
                        float want =
                            inside ? best(cols, W + r * rs, X + (size_t)b * xs) : -12345.0f;
                        if (inside && pass == 1 && rows_fn) {
                            float tiled;
                            rows_fn(cols, W + r * rs, rs, 1, X + (size_t)b * xs, 0, 1, &tiled);
                            double exact, mag;
                            dotq_exact(t, W + r * rs, X + (size_t)b * xs, cols, &exact, &mag);
                            if (!check_dotq("rows kernel", t, cols, tiled, exact, mag)) ok = 0;
                            want = tiled;
                        }
                        if (memcmp(&got, &want, sizeof got) != 0) {
                            TEST_FAIL_AT("%s %s rows %lld..%lld B=%d: y[%d][%zu] = %.9g, want %.9g",
                                         pass ? "matmul_q" : "matvec_q", teai_type_name(t),
                                         (long long)r0, (long long)r1, B, b, r, (double)got,
                                         (double)want);
                            ok = 0;
                        }
                    }
                }
            }
            free(W);
            free(X);
            free(src);
            free(Y);
            if (!ok) return;
        }
    }
}

/* The F16 row conversions (F16C where the CPU has it) equal the scalar
 * conversions bit for bit, over normal, subnormal, huge and tiny values. */
static void test_f16_rows(void) {
    enum { N = 4099 }; /* not a multiple of 8: the tail path runs too */
    static float x[N], back[N];
    static uint16_t h[N];
    uint32_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        float mag = (float)ldexp(1.0 + (s >> 8) / 16777216.0, (int)(s % 50) - 30);
        x[i] = (s & 1) ? -mag : mag;
    }
    x[0] = 0, x[1] = -0.0f, x[2] = 65504.0f, x[3] = 65520.0f, x[4] = 1e-8f, x[5] = 6.0e-8f;
    x[6] = 2.9802322e-08f, x[7] = 1e30f;
    teai__quantize_row(TEAI_TYPE_F16, x, h, N);
    for (int i = 0; i < N; i++)
        if (h[i] != teai__f32_to_fp16(x[i])) {
            TEST_FAIL_AT("f32->f16 of %.9g: 0x%04x, scalar 0x%04x", (double)x[i], h[i],
                         teai__f32_to_fp16(x[i]));
            return;
        }
    teai__dequantize_row(TEAI_TYPE_F16, h, back, N);
    for (int i = 0; i < N; i++)
        if (memcmp(&back[i], &(float){teai__fp16_to_f32(h[i])}, 4) != 0) {
            TEST_FAIL_AT("f16->f32 of 0x%04x differs from the scalar conversion", h[i]);
            return;
        }
}

/* axpy_best (attention's weighted sum of values) agrees with the scalar
 * reference at every length and alignment: each element is one multiply-add,
 * so the fused SIMD form may differ by one rounding of a*x[i] at most. */
static void test_axpy_best_vs_ref(void) {
    teai__axpy_fn best = teai__axpy_best(), ref = teai__axpy_ref();
    ASSERT_TRUE(best && ref);
    if (strcmp(teai__simd_name(), "scalar") != 0) ASSERT_TRUE(best != ref);
    for (int64_t n = 0; n <= 70; n++) {
        for (int off = 0; off < 3; off++) {
            float *x = xmalloc(((size_t)n + 3) * sizeof(float));
            float *y0 = xmalloc(((size_t)n + 3) * sizeof(float));
            float *y1 = xmalloc(((size_t)n + 3) * sizeof(float));
            fill_weights(x, n + 3, 1.0f);
            fill_weights(y0, n + 3, 1.0f);
            memcpy(y1, y0, ((size_t)n + 3) * sizeof(float));
            float a = (float)(rng_gauss() * 2.0);
            ref(n, a, x + off, y0 + off);
            best(n, a, x + off, y1 + off);
            for (int64_t i = 0; i < n + 3; i++) {
                int64_t j = i - off;
                if (j < 0 || j >= n) { /* outside the range: untouched */
                    ASSERT_TRUE(y0[i] == y1[i]);
                    continue;
                }
                double tol = 1e-6 * (fabs((double)a * x[i]) + fabs((double)y0[i])) + 1e-30;
                if (fabs((double)y0[i] - (double)y1[i]) > tol)
                    TEST_FAIL_AT("axpy n=%lld i=%lld: %.9g vs scalar %.9g", (long long)n,
                                 (long long)j, (double)y1[i], (double)y0[i]);
            }
            free(x);
            free(y0);
            free(y1);
        }
    }
}

/* The hard cases of the SIMD-vs-scalar conversion tests, by trial: exact
 * ties (k + 0.5; with 127 present an int8 scale is 1), NaN, infinities, an
 * all-zero input. x already holds random data. */
static void add_hard_cases(float *x, int64_t n, int trial, float tie_scale) {
    if (trial % 5 == 1) {
        for (int64_t i = 0; i < n; i++) x[i] = (float)((int)(x[i] * tie_scale)) + 0.5f;
        if (n > 2) x[0] = 127.0f;
    }
    if (trial % 7 == 2 && n > 3) x[n / 2] = NAN;
    if (trial % 11 == 3 && n > 3) x[n / 3] = INFINITY, x[1] = -INFINITY;
    if (trial % 13 == 4) memset(x, 0, (size_t)n * sizeof(float));
}

/* a (SIMD) and b (scalar) are the same len bytes; else fails naming the first
 * byte that differs. */
static void expect_same_bytes(const char *what, teai_type t, int64_t n, int trial, const uint8_t *a,
                              const uint8_t *b, size_t len) {
    if (memcmp(a, b, len) == 0) return;
    size_t k = 0;
    while (a[k] == b[k]) k++;
    TEST_FAIL_AT("%s %s n=%lld trial %d: byte %zu is %u, scalar %u", what, teai_type_name(t),
                 (long long)n, trial, k, a[k], b[k]);
}

/* Load-time int8 and nf4 quantization with their SIMD parts equal the scalar
 * code bit for bit: random rows of every scale, exact ties (k + 0.5 after
 * scaling), NaN, infinities and zeros. */
static void test_quantize_row_best_vs_ref(void) {
    static const teai_type types[] = {TEAI_TYPE_I8, TEAI_TYPE_NF4};
    for (int ti = 0; ti < 2; ti++) {
        teai_type t = types[ti];
        for (int trial = 0; trial < 60; trial++) {
            int64_t n = t == TEAI_TYPE_NF4 ? 64 * (1 + trial % 9) : 1 + trial * 37 % 700;
            float *x = xmalloc((size_t)n * sizeof(float));
            fill_weights(x, n, 1.0f);
            add_hard_cases(x, n, trial, 40.0f);
            size_t rs = teai_type_row_size(t, n);
            uint8_t *a = xmalloc(rs), *b = xmalloc(rs);
            memset(a, 0xAA, rs), memset(b, 0x55, rs);
            teai__quantize_row(t, x, a, n);
            teai__quantize_row_ref(t, x, b, n);
            expect_same_bytes("row of", t, n, trial, a, b, rs);
            free(x), free(a), free(b);
        }
    }
}

/* Activations in each weight type's vec form: the SIMD conversions equal the
 * scalar code bit for bit (random data, ties, NaN, infinities, zero blocks,
 * lengths with a partial last block for I8). */
static void test_quantize_vec_best_vs_ref(void) {
    static const teai_type types[] = {TEAI_TYPE_Q8_0, TEAI_TYPE_I8, TEAI_TYPE_F16, TEAI_TYPE_Q4_K};
    for (int ti = 0; ti < 4; ti++) {
        teai_type t = types[ti];
        for (int trial = 0; trial < 50; trial++) {
            int64_t n = t == TEAI_TYPE_Q4_K ? 256 * (1 + trial % 3)
                        : t == TEAI_TYPE_I8 ? 1 + trial * 29 % 300
                                            : 32 * (1 + trial % 9);
            float *x = xmalloc((size_t)n * sizeof(float));
            fill_acts(x, n);
            add_hard_cases(x, n, trial, 20.0f);
            size_t vs = teai__vec_size(t, n);
            ASSERT_TRUE(vs > 0);
            uint8_t *a = xmalloc(vs), *b = xmalloc(vs);
            memset(a, 0xAA, vs), memset(b, 0x55, vs);
            teai__quantize_vec(t, x, a, n);
            teai__quantize_vec_ref(t, x, b, n);
            expect_same_bytes("vec of", t, n, trial, a, b, vs);
            free(x), free(a), free(b);
        }
    }
}

int main(void) {
    RUN_TEST(test_f16_rows);
    RUN_TEST(test_quantize_vec_best_vs_ref);
    RUN_TEST(test_quantize_row_best_vs_ref);
    RUN_TEST(test_axpy_best_vs_ref);
    RUN_TEST(test_type_names);
    RUN_TEST(test_row_sizes);
    RUN_TEST(test_known_q8_0);
    RUN_TEST(test_known_q4_0);
    RUN_TEST(test_known_q4_k);
    RUN_TEST(test_known_q6_k);
    RUN_TEST(test_known_nf4);
    RUN_TEST(test_known_i8);
    RUN_TEST(test_roundtrip_plain);
    RUN_TEST(test_roundtrip_q8_0);
    RUN_TEST(test_roundtrip_q4_0);
    RUN_TEST(test_roundtrip_k_quants);
    RUN_TEST(test_roundtrip_i8);
    RUN_TEST(test_roundtrip_nf4);
    RUN_TEST(test_degenerate_blocks);
    RUN_TEST(test_dot_ref_vs_dequant);
    RUN_TEST(test_dot_best_vs_ref);
    RUN_TEST(test_dot_extreme_codes);
    RUN_TEST(test_matvec);
    RUN_TEST(test_vec_type_size);
    RUN_TEST(test_quantize_vec_q8_0);
    RUN_TEST(test_quantize_vec_q8_k);
    RUN_TEST(test_quantize_vec_plain);
    RUN_TEST(test_dotq_ref_vs_dequant);
    RUN_TEST(test_dotq_best_vs_ref);
    RUN_TEST(test_dotq_extreme_codes);
    RUN_TEST(test_matvec_matmul_q);
    TEST_MAIN_END();
}
