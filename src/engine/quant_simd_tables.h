/* The kernel tables every SIMD level shares (quant_avx2.c, quant_neon.c):
 * included once at the end of each, after its kernels, with TEAI__SIMD_LEVEL
 * naming the level, so the type-to-kernel mapping is written once. Expects
 * the file's static dot_<type>, matvec_q4_k and dotq_<type> (TILE_FNS). */
#ifndef TEAI__SIMD_LEVEL
#error "define TEAI__SIMD_LEVEL (avx2, neon) before including quant_simd_tables.h"
#endif

#define TEAI__CAT2(a, b)     a##b
#define TEAI__CAT(a, b)      TEAI__CAT2(a, b)
#define TEAI__LEVEL_FN(name) TEAI__CAT(name, TEAI__SIMD_LEVEL)

/* Weight types whose activations stay f32: the f32 kernels above. */
static float dotq_f32(int64_t n, const void *row, const void *xq) {
    return dot_f32(n, row, xq);
}
static float dotq_bf16(int64_t n, const void *row, const void *xq) {
    return dot_bf16(n, row, xq);
}
static float dotq_nf4(int64_t n, const void *row, const void *xq) {
    return dot_nf4(n, row, xq);
}

/* ---- tables ---------------------------------------------------------------- */

teai__dot_fn TEAI__LEVEL_FN(teai__dot_)(teai_type t) {
    switch (t) {
        case TEAI_TYPE_F32:
            return dot_f32;
        case TEAI_TYPE_F16:
            return dot_f16;
        case TEAI_TYPE_BF16:
            return dot_bf16;
        case TEAI_TYPE_Q8_0:
            return dot_q8_0;
        case TEAI_TYPE_Q4_0:
            return dot_q4_0;
        case TEAI_TYPE_Q4_K:
            return dot_q4_k;
        case TEAI_TYPE_Q6_K:
            return dot_q6_k;
        case TEAI_TYPE_I8:
            return dot_i8;
        case TEAI_TYPE_NF4:
            return dot_nf4;
    }
    return NULL;
}

teai__matvec_fn TEAI__LEVEL_FN(teai__matvec_)(teai_type t) {
    return t == TEAI_TYPE_Q4_K ? matvec_q4_k : NULL;
}

teai__dotq_fn TEAI__LEVEL_FN(teai__dotq_)(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_F32:
            return dotq_f32;
        case TEAI_TYPE_F16:
            return dotq_f16;
        case TEAI_TYPE_BF16:
            return dotq_bf16;
        case TEAI_TYPE_Q8_0:
            return dotq_q8_0;
        case TEAI_TYPE_Q4_0:
            return dotq_q4_0;
        case TEAI_TYPE_Q4_K:
            return dotq_q4_k;
        case TEAI_TYPE_Q6_K:
            return dotq_q6_k;
        case TEAI_TYPE_I8:
            return dotq_i8;
        case TEAI_TYPE_NF4:
            return dotq_nf4;
    }
    return NULL;
}

/* F32, BF16, NF4: no tile (teai__matmul_q calls the dotq per vector). */
teai__dotq_tile_fn TEAI__LEVEL_FN(teai__dotq_tile_)(teai_type wtype) {
    switch (wtype) {
        case TEAI_TYPE_F16:
            return tile_f16;
        case TEAI_TYPE_Q8_0:
            return tile_q8_0;
        case TEAI_TYPE_Q4_0:
            return tile_q4_0;
        case TEAI_TYPE_Q4_K:
            return tile_q4_k;
        case TEAI_TYPE_Q6_K:
            return tile_q6_k;
        case TEAI_TYPE_I8:
            return tile_i8;
        default:
            return NULL;
    }
}
