/* teai_decode_bytes_per_step (docs/metrics.md, bytes per decode step) on a tied and
 * an untied synthesized model, against a count made here by hand from the
 * shape: Q8_0 matrices (34 bytes per 32 weights), f32 norms, and a head size
 * the file sets (attention.key_length 64, not embedding / heads = 32). */
#include "teai/engine.h"
#include "test_util.h"

#include <time.h>
#include <unistd.h>

enum { VOCAB = 512, DIM = 256, LAYERS = 4, HEADS = 8, KV_HEADS = 4, HEAD_DIM = 64, FFN = 768 };

static uint64_t q8(uint64_t rows, uint64_t cols) {
    return rows * (cols / 32) * 34;
}

/* The weights a decode step reads, counted from the shape. */
static uint64_t hand_weights(int tied) {
    uint64_t q_dim = HEADS * HEAD_DIM, kv_dim = KV_HEADS * HEAD_DIM;
    uint64_t layer = 2 * 4 * DIM                            /* attn_norm, ffn_norm */
                     + q8(q_dim, DIM) + 2 * q8(kv_dim, DIM) /* q, k, v */
                     + q8(DIM, q_dim)                       /* output projection */
                     + 2 * q8(FFN, DIM) + q8(DIM, FFN);     /* gate, up, down */
    uint64_t w = LAYERS * layer + 4 * DIM;                  /* + output_norm */
    if (tied) return w + q8(VOCAB, DIM);    /* the table, read whole as the output layer */
    return w + q8(1, DIM) + q8(VOCAB, DIM); /* one embedding row + output.weight */
}

static uint64_t hand_params(int tied) {
    return hand_weights(tied) + (tied ? 0 : q8(VOCAB - 1, DIM));
}

/* K and V rows per layer: write one, read pos + 1. */
static uint64_t hand_kv(int pos, uint64_t k_elem_bytes, uint64_t v_elem_bytes) {
    uint64_t kv_dim = KV_HEADS * HEAD_DIM;
    return (uint64_t)LAYERS * kv_dim * (k_elem_bytes + v_elem_bytes) * (uint64_t)(pos + 2);
}

static char g_path[2][4200];

static uint64_t now_ns(void) { /* the engine's clock */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int synth(int tied, const char *path) {
    teai_synth_params p = teai_synth_default_params();
    if (teai_synth_shape("tiny", &p.hp) != TEAI_OK) return -1;
    p.hp.n_vocab = VOCAB, p.hp.dim = DIM, p.hp.n_layers = LAYERS, p.hp.n_heads = HEADS;
    p.hp.n_kv_heads = KV_HEADS, p.hp.head_dim = HEAD_DIM, p.hp.ffn_dim = FFN;
    p.hp.tied_output = tied;
    p.type = "q8_0";
    p.n_threads = 1;
    teai_error err = {0};
    int rc = teai_model_synth(&p, path, &err);
    if (rc) fprintf(stderr, "synth %s: %s\n", path, err.msg);
    return rc;
}

static void check_file(int tied) {
    teai_decode_shape s;
    teai_error err = {0};
    ASSERT_EQ(teai_decode_shape_from_file(g_path[tied], &s, &err), TEAI_OK);
    ASSERT_EQ(s.tied_output, tied);
    ASSERT_EQ(s.n_layers, LAYERS);
    ASSERT_EQ(s.n_kv_heads, KV_HEADS);
    ASSERT_EQ(s.head_dim_k, HEAD_DIM);
    ASSERT_EQ(s.head_dim_v, HEAD_DIM);
    ASSERT_EQ(s.weight_bytes, hand_weights(tied));
    ASSERT_EQ(s.param_bytes, hand_params(tied));
    for (int pos = 0; pos < 300; pos += 37) {
        ASSERT_EQ(teai_decode_bytes_per_step(&s, TEAI_TYPE_F32, TEAI_TYPE_F32, pos),
                  hand_weights(tied) + hand_kv(pos, 4, 4));
        ASSERT_EQ(teai_decode_bytes_per_step(&s, TEAI_TYPE_F16, TEAI_TYPE_F16, pos),
                  hand_weights(tied) + hand_kv(pos, 2, 2));
        /* q8_0 K: 34 bytes per 32 elements; f16 V */
        ASSERT_EQ(teai_decode_bytes_per_step(&s, TEAI_TYPE_Q8_0, TEAI_TYPE_F16, pos),
                  hand_weights(tied) +
                      (uint64_t)LAYERS * (KV_HEADS * HEAD_DIM / 32 * 34 + KV_HEADS * HEAD_DIM * 2) *
                          (uint64_t)(pos + 2));
    }
    ASSERT_EQ(teai_decode_bytes_per_step(&s, 999, TEAI_TYPE_F16, 3), 0); /* unknown type */
    ASSERT_EQ(teai_decode_bytes_per_step(&s, TEAI_TYPE_F16, TEAI_TYPE_F16, -1), 0);
}

static void test_tied_file(void) {
    check_file(1);
}

static void test_untied_file(void) {
    check_file(0);
}

/* The engine, loading the file as stored, counts the same bytes with its
 * KV cache's type (f16 by default, f32 asked for); its enqueue mark falls
 * inside the eval call. */
static void check_engine(int tied, int cache_type) {
    teai_model *m = NULL;
    teai_context *c = NULL;
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    mp.n_threads = 1;
    ASSERT_EQ(teai_model_load(g_path[tied], &mp, &m, &err), TEAI_OK);
    teai_decode_shape s, f;
    teai_decode_shape_from_model(m, &s);
    int rc = teai_decode_shape_from_file(g_path[tied], &f, &err);
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 64, cp.n_threads = 1;
    cp.cache_type = cache_type;
    if (!rc) rc = teai_context_new(m, &cp, &c, &err);
    int32_t tok[3] = {1, 2, 3};
    uint64_t t0 = 0, t1 = 0, t_first = 0, before = 1;
    if (!rc) {
        before = teai_context_compute_start_ns(c); /* 0 before any eval */
        t0 = now_ns();
        rc = teai_context_eval(c, tok, 3, NULL, &err);
        t_first = teai_context_compute_start_ns(c);
        t1 = now_ns();
    }
    uint64_t step3 = c ? teai_context_step_bytes(c, 3) : 0;
    teai_context_free(c);
    teai_model_free(m);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_EQ(before, 0);
    ASSERT_TRUE(t0 <= t_first && t_first <= t1);
    ASSERT_EQ(s.weight_bytes, f.weight_bytes);
    ASSERT_EQ(s.param_bytes, f.param_bytes);
    uint64_t kv_elem = cache_type == TEAI_CACHE_F32 ? 4 : 2;
    ASSERT_EQ(step3, hand_weights(tied) + hand_kv(3, kv_elem, kv_elem));
}

static void test_engine_tied(void) {
    check_engine(1, TEAI_CACHE_DEFAULT);
    check_engine(1, TEAI_CACHE_F32);
}

static void test_engine_untied(void) {
    check_engine(0, TEAI_CACHE_DEFAULT);
    check_engine(0, TEAI_CACHE_F32);
}

/* Converted at load (int8: per-row absmax, one fp16 scale per row), the
 * weights as held are what a step reads. */
static void test_engine_converted(void) {
    teai_model *m = NULL;
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    mp.quantize = TEAI_QUANTIZE_INT8;
    mp.n_threads = 1;
    ASSERT_EQ(teai_model_load(g_path[0], &mp, &m, &err), TEAI_OK);
    teai_decode_shape s;
    teai_decode_shape_from_model(m, &s);
    uint64_t held = teai_model_param_bytes(m);
    size_t row = teai_type_row_size(TEAI_TYPE_I8, DIM);
    teai_model_free(m);
    ASSERT_TRUE(row >= DIM + 2);
    ASSERT_EQ(s.param_bytes, held);
    ASSERT_EQ(s.weight_bytes, held - (uint64_t)row * (VOCAB - 1));
}

static void test_missing_file(void) {
    teai_decode_shape s;
    teai_error err = {0};
    ASSERT_TRUE(teai_decode_shape_from_file("/nonexistent/model.gguf", &s, &err) != TEAI_OK);
    ASSERT_TRUE(strstr(err.msg, "/nonexistent/model.gguf") != NULL);
}

int main(void) {
    test_tmp_path(g_path[0], sizeof g_path[0], "decode-bytes-untied.gguf");
    test_tmp_path(g_path[1], sizeof g_path[1], "decode-bytes-tied.gguf");
    if (synth(0, g_path[0]) || synth(1, g_path[1])) return 1;
    RUN_TEST(test_tied_file);
    RUN_TEST(test_untied_file);
    RUN_TEST(test_engine_tied);
    RUN_TEST(test_engine_untied);
    RUN_TEST(test_engine_converted);
    RUN_TEST(test_missing_file);
    unlink(g_path[0]);
    unlink(g_path[1]);
    TEST_MAIN_END();
}
