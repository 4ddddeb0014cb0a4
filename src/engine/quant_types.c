/* The weight types: one table with a row of traits per type, and every
 * entry point that depends on the type only through it: teai_type_*,
 * teai__dequantize_row, teai__quantize_row, the activation forms
 * (teai__vec_type, teai__vec_size, teai__quantize_vec) and the scalar
 * reference kernels (teai__dot_ref, teai__dotq_ref). The formats themselves:
 * quant_codec.c (conversions), quant_ref.c (kernels), quant_simd.h (layouts). */
#include "quant_impl.h"
#include "repack.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

/* NF4's codebook (quant_simd.h). */
const float teai__nf4_values[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

/* ---- the activation forms -------------------------------------------------- */

/* A form activations take (teai__vec_type): x (n,) f32 -> xq. */
typedef struct act_format {
    teai_type type;     /* TEAI_TYPE_Q8_0, TEAI__TYPE_Q8_K, TEAI_TYPE_F16 or TEAI_TYPE_F32 */
    int64_t block;      /* elements per block */
    size_t block_bytes; /* bytes per block */
    /* x (n,) -> xq, any alignment; simd 0: the scalar code only (the same bits) */
    void (*quantize)(const float *x, void *xq, int64_t n, int simd);
} act_format;

/* One weight type. */
typedef struct type_traits {
    teai_type type;
    const char *name; /* teai_type_name; teai_type_from_name matches it in any case */
    int64_t block;    /* elements per block */
    size_t bytes;     /* bytes per block; I8: per element, plus a 4-byte row header */
    /* one row of n elements (a whole number of blocks) to f32 */
    void (*dequantize)(const void *row, float *y, int64_t n);
    /* one row of n elements from f32; simd 0: the scalar code only (the same bits) */
    void (*quantize)(const float *x, void *row, int64_t n, int simd);
    teai__dot_fn dot_ref;   /* scalar dot with f32 activations */
    teai__dotq_fn dotq_ref; /* scalar dot with activations in form act */
    const act_format *act;  /* the activations' form (llama.cpp's vec_dot_type) */
} type_traits;

static const act_format act_q8_0 = {TEAI_TYPE_Q8_0, TEAI_QK8_0, sizeof(teai__block_q8_0),
                                    teai__quantize_vec_q8_0};
static const act_format act_q8_k = {TEAI__TYPE_Q8_K, TEAI_QK_K, TEAI__Q8K_BYTES,
                                    teai__quantize_vec_q8_k};
static const act_format act_f16 = {TEAI_TYPE_F16, 1, 2, teai__quantize_f16};
static const act_format act_f32 = {TEAI_TYPE_F32, 1, 4, teai__quantize_f32};

/* ---- the type table ---------------------------------------------------------- */

/* Format t's functions, in the order of type_traits: quant_codec.c's, then quant_ref.c's. */
#define QUANT(t) teai__dequantize_##t, teai__quantize_##t, teai__dot_##t##_ref, teai__dotq_##t##_ref

static const type_traits type_table[] = {
    {TEAI_TYPE_F32, "f32", 1, 4, QUANT(f32), &act_f32},
    {TEAI_TYPE_F16, "f16", 1, 2, QUANT(f16), &act_f16},
    {TEAI_TYPE_BF16, "bf16", 1, 2, QUANT(bf16), &act_f32},
    {TEAI_TYPE_Q8_0, "q8_0", TEAI_QK8_0, sizeof(teai__block_q8_0), QUANT(q8_0), &act_q8_0},
    {TEAI_TYPE_Q4_0, "q4_0", TEAI_QK4_0, sizeof(teai__block_q4_0), QUANT(q4_0), &act_q8_0},
    {TEAI_TYPE_Q4_K, "q4_k", TEAI_QK_K, sizeof(teai__block_q4_k), QUANT(q4_k), &act_q8_k},
    {TEAI_TYPE_Q6_K, "q6_k", TEAI_QK_K, sizeof(teai__block_q6_k), QUANT(q6_k), &act_q8_k},
    {TEAI_TYPE_I8, "int8", 1, 1, QUANT(i8), &act_q8_0},
    /* NF4: the integer path (quant_nf4.c) against Q8_0 activations; the
     * exact one, f32 codebook against f32 activations, is the internal
     * TEAI__TYPE_NF4_EXACT with the same bytes (teai_model_params.nf4_exact) */
    {TEAI_TYPE_NF4, "nf4", TEAI_QKNF4, sizeof(teai__block_nf4), teai__dequantize_nf4,
     teai__quantize_nf4, teai__dot_nf4_ref, teai__dotq_nf4i_ref, &act_q8_0},
    {TEAI__TYPE_NF4_EXACT, "nf4", TEAI_QKNF4, sizeof(teai__block_nf4), QUANT(nf4), &act_f32},
};

static const type_traits *type_find(uint32_t t) {
    for (size_t i = 0; i < sizeof type_table / sizeof *type_table; i++)
        if ((uint32_t)type_table[i].type == t) return &type_table[i];
    return NULL;
}

/* ---- teai_type_* (teai/engine.h) --------------------------------------------- */

const char *teai_type_name(teai_type t) {
    const type_traits *ti = type_find((uint32_t)t);
    return ti ? ti->name : NULL;
}

static int ascii_lower(int c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int teai_type_from_name(const char *name, teai_type *out) {
    if (!name) return TEAI_ENOTFOUND;
    for (size_t i = 0; i < sizeof type_table / sizeof *type_table; i++) {
        const char *a = name, *b = type_table[i].name;
        while (*a && ascii_lower((unsigned char)*a) == *b) a++, b++;
        if (!*a && !*b) {
            if (out) *out = type_table[i].type;
            return TEAI_OK;
        }
    }
    return TEAI_ENOTFOUND;
}

/* Every type in the table has kernels, including teai's own I8 and NF4 (which
 * never appear in files, so a reader may reject them separately); the
 * internal TEAI__TYPE_NF4_EXACT is not a type a file or a caller names. */
int teai_type_is_known(uint32_t t) {
    return type_find(t) != NULL && t != (uint32_t)TEAI__TYPE_NF4_EXACT;
}

int64_t teai_type_block_size(teai_type t) {
    const type_traits *ti = type_find((uint32_t)t);
    return ti ? ti->block : 0;
}

/* 0 for an unknown type, a negative n, an n that is not a whole number of
 * blocks, or a size that does not fit in size_t. */
size_t teai_type_row_size(teai_type t, int64_t n) {
    const type_traits *ti = type_find((uint32_t)t);
    if (!ti || n < 0 || n % ti->block != 0) return 0;
    uint64_t bytes;
    if (!teai__mul_ok((uint64_t)(n / ti->block), ti->bytes, &bytes)) return 0;
    if (t == TEAI_TYPE_I8) {
        if (bytes > UINT64_MAX - TEAI_I8_HDR) return 0;
        bytes += TEAI_I8_HDR;
    }
    if (bytes > SIZE_MAX) return 0;
    return (size_t)bytes;
}

/* ---- rows ---------------------------------------------------------------------- */

void teai__dequantize_row(teai_type t, const void *src, float *dst, int64_t n) {
    const type_traits *ti = type_find((uint32_t)t);
    if (ti) ti->dequantize(src, dst, n);
}

void teai__quantize_row(teai_type t, const float *src, void *dst, int64_t n) {
    const type_traits *ti = type_find((uint32_t)t);
    if (ti) ti->quantize(src, dst, n, 1);
}

void teai__quantize_row_ref(teai_type t, const float *src, void *dst, int64_t n) {
    const type_traits *ti = type_find((uint32_t)t);
    if (ti) ti->quantize(src, dst, n, 0);
}

/* ---- activations in the weight type's vec_dot_type ------------------------------ */

teai_type teai__vec_type(teai_type wtype) {
    const type_traits *ti =
        type_find((uint32_t)teai__repack_base(wtype)); /* repacked: as the file type */
    return ti ? ti->act->type : (teai_type)-1;
}

/* n must be a whole number of the activation form's blocks, except where the
 * weight type's blocks are smaller than those (I8 rows of any length): there
 * a last block is zero-padded. */
size_t teai__vec_size(teai_type wtype, int64_t n) {
    const type_traits *ti =
        type_find((uint32_t)teai__repack_base(wtype)); /* repacked: as the file type */
    if (!ti || n < 0) return 0;
    const act_format *a = ti->act;
    if (n % a->block != 0 && ti->block >= a->block) return 0;
    uint64_t bytes;
    if (!teai__mul_ok((uint64_t)(n / a->block + (n % a->block != 0)), a->block_bytes, &bytes))
        return 0;
    return bytes <= SIZE_MAX ? (size_t)bytes : 0;
}

void teai__quantize_vec(teai_type wtype, const float *x, void *xq, int64_t n) {
    const type_traits *ti =
        type_find((uint32_t)teai__repack_base(wtype)); /* repacked: as the file type */
    if (ti) ti->act->quantize(x, xq, n, 1);
}

void teai__quantize_vec_ref(teai_type wtype, const float *x, void *xq, int64_t n) {
    const type_traits *ti =
        type_find((uint32_t)teai__repack_base(wtype)); /* repacked: as the file type */
    if (ti) ti->act->quantize(x, xq, n, 0);
}

/* ---- the scalar reference kernels ------------------------------------------------ */

teai__dot_fn teai__dot_ref(teai_type t) {
    const type_traits *ti = type_find((uint32_t)t);
    return ti ? ti->dot_ref : NULL;
}

teai__dotq_fn teai__dotq_ref(teai_type wtype) {
    const type_traits *ti = type_find((uint32_t)wtype);
    return ti ? ti->dotq_ref : NULL;
}
