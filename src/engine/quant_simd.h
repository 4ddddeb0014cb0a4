/* Block layouts and kernel tables shared by the scalar code (quant_codec.c,
 * quant_ref.c) and the SIMD kernels (quant_avx2.c and quant_avx512.c on
 * x86_64, quant_neon.c on aarch64). Internal to src/engine.
 *
 * The GGUF layouts below are ggml's (ggml-common.h), byte for byte: llama.cpp
 * reads the files teai writes and teai reads llama.cpp's. fp16 fields are IEEE
 * half; read them through teai__load_u16 (memcpy) so that an oddly placed row
 * (an int8 row of odd length) is never read through a misaligned pointer. */
#ifndef TEAI_QUANT_SIMD_H
#define TEAI_QUANT_SIMD_H

#include "quant.h"

#include <stdint.h>
#include <string.h>

#define TEAI_QK8_0  32  /* elements per Q8_0 block */
#define TEAI_QK4_0  32  /* elements per Q4_0 block */
#define TEAI_QK_K   256 /* elements per K-quant super-block */
#define TEAI_QKNF4  64  /* elements per NF4 block */
#define TEAI_I8_HDR 4   /* bytes before the int8 data of an I8 row */

/* Q8_0 (34 bytes): x[i] = d * qs[i]. */
typedef struct teai__block_q8_0 {
    uint16_t d; /* fp16 */
    int8_t qs[TEAI_QK8_0];
} teai__block_q8_0;

/* Q4_0 (18 bytes): x[i] = d * (q[i] - 8); byte j holds element j in its low
 * nibble and element j + 16 in its high nibble. */
typedef struct teai__block_q4_0 {
    uint16_t d; /* fp16 */
    uint8_t qs[TEAI_QK4_0 / 2];
} teai__block_q4_0;

/* Q4_K (144 bytes): 8 sub-blocks of 32, sub-block j has a 6-bit scale sc[j]
 * and a 6-bit min m[j] (packing: teai__q4k_scale_min), x = d*sc*q - dmin*m.
 * qs[32*p + l] holds element 64*p + l (low nibble) and 64*p + 32 + l (high). */
typedef struct teai__block_q4_k {
    uint16_t d;    /* fp16, scale of the sub-block scales */
    uint16_t dmin; /* fp16, scale of the sub-block mins */
    uint8_t scales[12];
    uint8_t qs[TEAI_QK_K / 2];
} teai__block_q4_k;

/* Q6_K (210 bytes): 16 sub-blocks of 16, x = d * scales[i/16] * (q - 32), q in
 * 0..63. For half h (128 elements) and l in 0..31, with L = ql + 64h,
 * H = qh + 32h and e = 128h + l:
 *   q[e]      = (L[l]      & 15) | ((H[l] >> 0 & 3) << 4)
 *   q[e + 32] = (L[l + 32] & 15) | ((H[l] >> 2 & 3) << 4)
 *   q[e + 64] = (L[l]      >> 4) | ((H[l] >> 4 & 3) << 4)
 *   q[e + 96] = (L[l + 32] >> 4) | ((H[l] >> 6 & 3) << 4) */
typedef struct teai__block_q6_k {
    uint8_t ql[TEAI_QK_K / 2];
    uint8_t qh[TEAI_QK_K / 4];
    int8_t scales[TEAI_QK_K / 16];
    uint16_t d; /* fp16 */
} teai__block_q6_k;

/* NF4 (teai's own, 34 bytes): x[i] = absmax * teai__nf4_values[code(i)];
 * byte j (0..31) holds the code of element j in its low nibble and of element
 * j + 32 in its high nibble (the Q4_0 convention, so the kernels split a byte
 * the same way for both). */
typedef struct teai__block_nf4 {
    uint16_t absmax; /* fp16 */
    uint8_t qs[TEAI_QKNF4 / 2];
} teai__block_nf4;

/* I8 (teai's own): a row of n elements is a 4-byte header (fp16 scale =
 * absmax/127, then two zero bytes so the data stay 4-byte aligned) followed by
 * n int8: x[i] = scale * q[i]. Row size 4 + n. */

/* Q8_K (activations only, 292 bytes; ggml's block_q8_K): x[i] = d * qs[i],
 * bsums[k] = sum of qs[16k .. 16k+15]. The kernels read it through byte
 * offsets (TEAI__Q8K_*) and memcpy, never through a pointer to the struct,
 * so that an activation vector may sit at any address. */
typedef struct teai__block_q8_k {
    float d;
    int8_t qs[TEAI_QK_K];
    int16_t bsums[TEAI_QK_K / 16];
} teai__block_q8_k;

#define TEAI__Q8K_D     0   /* byte offset of d */
#define TEAI__Q8K_QS    4   /* byte offset of qs */
#define TEAI__Q8K_BSUMS 260 /* byte offset of bsums */
#define TEAI__Q8K_BYTES 292

_Static_assert(sizeof(teai__block_q8_k) == TEAI__Q8K_BYTES, "Q8_K block is 292 bytes");
_Static_assert(sizeof(teai__block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(teai__block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(teai__block_q4_k) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(teai__block_q6_k) == 210, "Q6_K block is 210 bytes");
_Static_assert(sizeof(teai__block_nf4) == 34, "NF4 block is 34 bytes");

/* The NormalFloat-4 codebook (QLoRA), ascending; code 7 is exactly 0. */
extern const float teai__nf4_values[16];

/* NF4's integer path (quant_nf4.c): the codebook as int8, round(127 * v)
 * (-127..127), against Q8_0 activations. Per NF4 block i (activation blocks
 * 2i and 2i + 1, scales dy0 and dy1) the exact integer sums
 * s_h = sum_j teai__nf4_i8[code] * q8, and
 *   dot += absmax * (dy_h / 127) * s_h.
 * Kernels: scalar teai__dotq_nf4i_ref; AVX-512 VNNI (quant_nf4_avx512.c:
 * tile, decode matvec and prefill matmul with one chain per product), AVX2
 * and NEON (quant_nf4_avx2.c, quant_nf4_neon.c: the 1..4-vector tile). */
extern const int8_t teai__nf4_i8[16];
float teai__dotq_nf4i_avx512(int64_t n, const void *row, const void *xq);
void teai__rows_nf4i_avx512(int64_t n, const void *W, size_t row_bytes, int nr, const void *xq,
                            size_t xq_stride, int nt, float *out);
void teai__matvec_nf4i_avx512(const void *W, size_t row_bytes, int64_t cols, int64_t r0, int64_t r1,
                              const void *xq, float *y);
void teai__matmul_nf4i_avx512(const void *W, size_t row_bytes, int64_t cols, int64_t r0, int64_t r1,
                              const void *xq, size_t xq_stride, int B, float *y, size_t y_stride);
float teai__dotq_nf4i_avx2(int64_t n, const void *row, const void *xq);
void teai__tile_nf4i_avx2(int64_t n, const void *row, const void *xq, size_t xq_stride, int nt,
                          float *out);
/* NEON: _neon_base without sdot (unless the build targets it), _neon_dp
 * with sdot (quant_neon.c picks it where the CPU has the extension). */
float teai__dotq_nf4i_neon_base(int64_t n, const void *row, const void *xq);
void teai__tile_nf4i_neon_base(int64_t n, const void *row, const void *xq, size_t xq_stride, int nt,
                               float *out);
float teai__dotq_nf4i_neon_dp(int64_t n, const void *row, const void *xq);
void teai__tile_nf4i_neon_dp(int64_t n, const void *row, const void *xq, size_t xq_stride, int nt,
                             float *out);

static inline uint16_t teai__load_u16(const void *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline float teai__load_f32(const void *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}

/* The 8 scales (out[0..7]) and 8 mins (out[8..15]) of a Q4_K block in one
 * go: the same values as teai__q4k_scale_min, with ggml's word arithmetic. */
static inline void teai__q4k_scales_mins(const uint8_t *s, uint8_t out[16]) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t u[4];
    memcpy(u, s, 12);
    u[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);
    uint32_t m03 = u[1] & kmask1;
    u[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);
    u[2] = m03;
    u[0] &= kmask1;
    memcpy(out, u, 16);
}

/* Sub-block j (0..7) of a Q4_K block: 6-bit scale and min (ggml's
 * get_scale_min_k4). Bytes 0..3 hold sc[0..3] in their low 6 bits, bytes 4..7
 * m[0..3]; for j >= 4 the low 4 bits come from byte j+4 (scale: low nibble,
 * min: high nibble) and the top 2 bits from the spare top bits of bytes j-4
 * (scale) and j (min). */
static inline void teai__q4k_scale_min(int j, const uint8_t *s, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
        *m = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/* Row-range matrix-vector product for one type: y[r] = dot(W[r], x), r0 <= r < r1. */
typedef void (*teai__matvec_fn)(const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                                int64_t r1, const float *x, float *y);

/* dotq for one row and nt (1..4) activation vectors at xq + k*xq_stride:
 * out[k] = dotq(row, X_k), each equal bit for bit to the kernel's nt = 1
 * result (the row is unpacked once for all nt). */
typedef void (*teai__dotq_tile_fn)(int64_t n, const void *row, const void *xq, size_t xq_stride,
                                   int nt, float *out);

/* dotq of nr rows (1..TEAI__ROWS_NR, row_bytes apart from W) and nt vectors (1..TEAI__ROWS_NT,
 * xq_stride apart): out[r * nt + k], each bit for bit the (1, 1) result
 * (teai__matmul_q's register tile for prefill; it may differ from the
 * type's dotq in the order of its sums). */
typedef void (*teai__dotq_rows_fn)(int64_t n, const void *W, size_t row_bytes, int nr,
                                   const void *xq, size_t xq_stride, int nt, float *out);
/* The register-tile kernel this CPU runs for wtype; NULL when it has none. */
teai__dotq_rows_fn teai__dotq_rows_best(teai_type wtype);
#define TEAI__ROWS_NR 4
#define TEAI__ROWS_NT 4

/* SIMD kernel tables; NULL where a type has no kernel at that level. Only
 * defined where the file is compiled (quant_avx2.c, quant_avx512.c: x86_64;
 * quant_neon.c: aarch64); quant_dispatch.c calls them only where the CPU
 * runs them. AVX2 and NEON (quant_simd_tables.h): dot and dotq for every
 * type, matvec for Q4_K, tile for F16, Q8_0, Q4_0, Q4_K, Q6_K, I8. */
teai__dot_fn teai__dot_avx2(teai_type t);
teai__matvec_fn teai__matvec_avx2(teai_type t);
teai__dot_fn teai__dot_neon(teai_type t);
teai__matvec_fn teai__matvec_neon(teai_type t);
teai__dotq_fn teai__dotq_avx2(teai_type wtype);
teai__dotq_tile_fn teai__dotq_tile_avx2(teai_type wtype);
teai__dotq_rows_fn teai__dotq_rows_avx2(teai_type wtype); /* Q8_0, Q4_0; else NULL */
/* AVX-512 VNNI: F16, Q8_0, Q4_0, I8, Q4_K, Q6_K, NF4; NULL for F32, BF16. */
teai__dotq_rows_fn teai__dotq_rows_avx512(teai_type wtype);
/* The same types: the rows kernel's (1, 1) case; F16: the decode matvec's
 * sum for one row. */
teai__dotq_fn teai__dotq_avx512(teai_type wtype);
/* Rows r0..r1 of W against one activation vector (decode); AVX-512: F16,
 * Q8_0, Q4_0, I8, else NULL. Q8_0, Q4_0 and int8: bit for bit the rows
 * kernel's (1, 1) results; F16: four FMA chains per row, so its sums run in
 * another order. */
typedef void (*teai__matvec_q_fn)(const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                                  int64_t r1, const void *xq, float *y);
teai__matvec_q_fn teai__matvec_q_avx512(teai_type wtype);
/* Rows r0..r1 of W against B vectors (prefill), bit for bit the rows
 * kernel's (1, 1) results; AVX-512: Q8_0, Q4_0, I8, else NULL. */
typedef void (*teai__matmul_q_fn)(const void *W, size_t row_bytes, int64_t cols, int64_t r0,
                                  int64_t r1, const void *xq, size_t xq_stride, int B, float *y,
                                  size_t y_stride);
teai__matmul_q_fn teai__matmul_q_avx512(teai_type wtype);
/* Rows r0..r1 of W against B decode vectors (teai__matvec_q_multi): each
 * row read once for several vectors, each product teai__matvec_q's bit for
 * bit; AVX-512: F16, else NULL (the others take the matmul or the rows
 * kernel, whose results equal decode's). */
teai__matmul_q_fn teai__matvec_q_multi_avx512(teai_type wtype);
teai__dotq_fn teai__dotq_neon(teai_type wtype);
teai__dotq_tile_fn teai__dotq_tile_neon(teai_type wtype);
void teai__axpy_avx2(int64_t n, float a, const float *x, float *y);
void teai__axpy_neon(int64_t n, float a, const float *x, float *y);
/* Load-time quantization, the per-element parts (quant_codec.c keeps the
 * scales): bit for bit the scalar results. */
float teai__absmax_avx2(const float *x, int64_t n);
void teai__i8_codes_avx2(const float *x, float id, int8_t *q, int64_t n);
void teai__nf4_codes_avx2(const float *x, float ia, const float *mids, uint8_t *qs);
void teai__quantize_vec_q8_0_avx2(const float *x, uint8_t *y, int64_t nb); /* whole blocks */
/* Rows of fp16 <-> f32 with F16C (round to nearest even, as the scalar
 * teai__f32_to_fp16): load-time conversion of whole models. */
void teai__f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n);
void teai__f16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n);

/* One tile entry point and one dotq per type: the inline body with nt fixed. */
#define TILE_FNS(name, body, wtype)                                                                \
    static void tile_##name(int64_t n, const void *row, const void *xq, size_t st, int nt,         \
                            float *out) {                                                          \
        const wtype *w = row;                                                                      \
        const uint8_t *x = xq;                                                                     \
        switch (nt) {                                                                              \
            case 1:                                                                                \
                body(n, w, x, st, 1, out);                                                         \
                break;                                                                             \
            case 2:                                                                                \
                body(n, w, x, st, 2, out);                                                         \
                break;                                                                             \
            case 3:                                                                                \
                body(n, w, x, st, 3, out);                                                         \
                break;                                                                             \
            default:                                                                               \
                body(n, w, x, st, 4, out);                                                         \
                break;                                                                             \
        }                                                                                          \
    }                                                                                              \
    static float dotq_##name(int64_t n, const void *row, const void *xq) {                         \
        float out;                                                                                 \
        body(n, (const wtype *)row, (const uint8_t *)xq, 0, 1, &out);                              \
        return out;                                                                                \
    }

#endif
