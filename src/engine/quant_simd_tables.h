/* The kernel table every SIMD level shares (quant_avx2.c, quant_neon.c):
 * included once at the end of each, after its kernels, with TEAI__SIMD_LEVEL
 * naming the level, so the type-to-kernel mapping is written once. Expects
 * the file's static dot_<type>, matvec_q4_k, and dotq_<type> and tile_<type>
 * (TILE_FNS); defines teai__{dot,matvec,dotq,dotq_tile}_<level>. */
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

/* ---- the table --------------------------------------------------------------- */

static const struct simd_kernels {
    teai_type type;
    teai__dot_fn dot;
    teai__dotq_fn dotq;
    teai__dotq_tile_fn tile; /* NULL: teai__matmul_q calls the dotq per vector */
    teai__matvec_fn matvec;  /* NULL: teai__matvec calls the dot per row */
} simd_kernels[] = {
    {TEAI_TYPE_F32, dot_f32, dotq_f32, NULL, NULL},
    {TEAI_TYPE_F16, dot_f16, dotq_f16, tile_f16, NULL},
    {TEAI_TYPE_BF16, dot_bf16, dotq_bf16, NULL, NULL},
    {TEAI_TYPE_Q8_0, dot_q8_0, dotq_q8_0, tile_q8_0, NULL},
    {TEAI_TYPE_Q4_0, dot_q4_0, dotq_q4_0, tile_q4_0, NULL},
    {TEAI_TYPE_Q4_K, dot_q4_k, dotq_q4_k, tile_q4_k, matvec_q4_k},
    {TEAI_TYPE_Q6_K, dot_q6_k, dotq_q6_k, tile_q6_k, NULL},
    {TEAI_TYPE_I8, dot_i8, dotq_i8, tile_i8, NULL},
    {TEAI_TYPE_NF4, dot_nf4, TEAI__LEVEL_FN(teai__dotq_nf4i_), TEAI__LEVEL_FN(teai__tile_nf4i_),
     NULL}, /* the integer path: quant_nf4_<level>.c */
    {TEAI__TYPE_NF4_EXACT, dot_nf4, dotq_nf4, NULL, NULL},
};

/* The entry for type t; an entry of NULLs for a type the table lacks. */
static const struct simd_kernels *simd_find(teai_type t) {
    static const struct simd_kernels none;
    for (size_t i = 0; i < sizeof simd_kernels / sizeof *simd_kernels; i++)
        if (simd_kernels[i].type == t) return &simd_kernels[i];
    return &none;
}

teai__dot_fn TEAI__LEVEL_FN(teai__dot_)(teai_type t) {
    return simd_find(t)->dot;
}

teai__matvec_fn TEAI__LEVEL_FN(teai__matvec_)(teai_type t) {
    return simd_find(t)->matvec;
}

teai__dotq_fn TEAI__LEVEL_FN(teai__dotq_)(teai_type wtype) {
    return simd_find(wtype)->dotq;
}

teai__dotq_tile_fn TEAI__LEVEL_FN(teai__dotq_tile_)(teai_type wtype) {
    return simd_find(wtype)->tile;
}
