/* One GB/s for every backend (docs/metrics.md): the native and llamacpp backends,
 * run on the same synthesized file (tied and untied output layer, a head
 * size the file sets), report the same bytes per decode step (both with an
 * f16 KV cache, the default of each), so at the same tokens/s their GB/s
 * agree; and llamacpp leaves enqueue_latency_ms empty
 * (its graph is built inside llama_decode) while native's is the time before
 * its first kernel, inside the step. */
#include "backends/backend.h"
#include "test_util.h"

#include <unistd.h>

enum { VOCAB = 512, DIM = 256, LAYERS = 4, HEADS = 8, KV_HEADS = 2, HEAD_DIM = 64, FFN = 1024 };
enum { N_PROMPT = 4, N_GEN = 4 };

typedef struct steps {
    int n;
    uint64_t bytes[N_GEN + 1];
    double total_ms[N_GEN + 1], enqueue_ms[N_GEN + 1];
} steps;

static int on_event(void *ud, const teai_event *ev) {
    steps *s = ud;
    if (ev->kind == TEAI_EV_TOKEN && s->n <= N_GEN) {
        s->bytes[s->n] = ev->bytes_moved;
        s->total_ms[s->n] = ev->total_ms;
        s->enqueue_ms[s->n] = ev->enqueue_ms;
        s->n++;
    }
    return 0;
}

static int run_backend(const char *name, const char *model, steps *s, uint64_t *param_bytes) {
    const char *why = NULL;
    const teai_backend_ops *ops = teai_backend_find(name, &why);
    if (!ops) {
        fprintf(stderr, "%s: %s\n", name, why);
        return -1;
    }
    teai_backend_config cfg = {0};
    cfg.model = model;
    cfg.quantize = "default";
    cfg.n_threads = 1;
    cfg.n_ctx = 64;
    cfg.seed = 42;
    cfg.llama_cpp_dir = getenv("TEAI_LLAMA_LIBDIR");
    teai_backend_info info = {0};
    teai_backend *be = NULL;
    teai_error err = {0};
    int rc = ops->open(&cfg, &be, &info, &err);
    if (!rc) {
        teai_run_params rp = {0};
        rp.prompt_tokens = N_PROMPT;
        rp.n_gen = N_GEN;
        rp.seed = 42;
        memset(s, 0, sizeof *s);
        rc = ops->run(be, &rp, on_event, s, &err);
        ops->close(be);
    }
    if (rc) fprintf(stderr, "%s on %s: %s\n", name, model, err.msg);
    *param_bytes = info.param_bytes;
    return rc;
}

static void check(int tied) {
    char path[4200];
    test_tmp_path(path, sizeof path, tied ? "gbs-tied.gguf" : "gbs-untied.gguf");
    teai_synth_params p = teai_synth_default_params();
    ASSERT_EQ(teai_synth_shape("tiny", &p.hp), TEAI_OK);
    p.hp.n_vocab = VOCAB, p.hp.dim = DIM, p.hp.n_layers = LAYERS, p.hp.n_heads = HEADS;
    p.hp.n_kv_heads = KV_HEADS, p.hp.head_dim = HEAD_DIM, p.hp.ffn_dim = FFN;
    p.hp.tied_output = tied;
    p.type = "q8_0";
    p.n_threads = 1;
    teai_error err = {0};
    ASSERT_EQ(teai_model_synth(&p, path, &err), TEAI_OK);

    steps nat, lla;
    uint64_t nat_params = 0, lla_params = 0;
    int rc_n = run_backend("native", path, &nat, &nat_params);
    int rc_l = run_backend("llamacpp", path, &lla, &lla_params);
    teai_decode_shape shape;
    int rc_s = teai_decode_shape_from_file(path, &shape, &err);
    unlink(path);
    ASSERT_EQ(rc_n, 0);
    ASSERT_EQ(rc_l, 0);
    ASSERT_EQ(rc_s, 0);
    ASSERT_EQ(nat.n, N_GEN);
    ASSERT_EQ(lla.n, N_GEN);
    ASSERT_EQ(nat_params, lla_params); /* param_throughput_gb_s agrees too */
    ASSERT_EQ(nat_params, shape.param_bytes);
    uint64_t kv_row = KV_HEADS * HEAD_DIM; /* K (or V) elements per position per layer */
    for (int i = 0; i < N_GEN; i++) {
        int pos = N_PROMPT + i; /* tokens already cached at decode step i + 1 */
        uint64_t rows = (uint64_t)LAYERS * 2 * (uint64_t)(pos + 2); /* K and V rows moved */
        /* the same weights and the same f16 KV cache */
        ASSERT_EQ(nat.bytes[i], lla.bytes[i]);
        ASSERT_EQ(lla.bytes[i], shape.weight_bytes + rows * kv_row * 2);
        /* the same tokens/s gives the same GB/s within 1% */
        double sec = 0.01, gbs_n = (double)nat.bytes[i] / 1e9 / sec,
               gbs_l = (double)lla.bytes[i] / 1e9 / sec;
        ASSERT_TRUE(fabs(gbs_n - gbs_l) <= 0.01 * gbs_l);
        ASSERT_TRUE(isnan(lla.enqueue_ms[i]));
        ASSERT_TRUE(nat.enqueue_ms[i] >= 0 && nat.enqueue_ms[i] <= nat.total_ms[i]);
    }
    printf("%s: bytes per step native %llu, llamacpp %llu (%.3f%% apart)\n",
           tied ? "tied" : "untied", (unsigned long long)nat.bytes[N_GEN - 1],
           (unsigned long long)lla.bytes[N_GEN - 1],
           100.0 * ((double)nat.bytes[N_GEN - 1] / (double)lla.bytes[N_GEN - 1] - 1));
}

static void test_tied(void) {
    check(1);
}

static void test_untied(void) {
    check(0);
}

int main(void) {
    const char *dir = getenv("TEAI_LLAMA_LIBDIR");
    if (!dir || !*dir) test_skip_llama("TEAI_LLAMA_LIBDIR not set (llama.cpp not provisioned)");
    RUN_TEST(test_tied);
    RUN_TEST(test_untied);
    TEST_MAIN_END();
}
