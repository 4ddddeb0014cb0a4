/* Load-time GGUF quantization (TEAI_QUANTIZE_Q8_0, _Q6_K, _Q4_K_M, _Q4_0):
 * an f32 model loaded with one of them holds, tensor for tensor, the bytes
 * `teai model quantize` writes for that type (q4_k_m's mix and the fallback
 * for rows that are not whole blocks included), and so gives the same logits
 * to the bit. Also the names, and the per-tensor rule on its own. */
#include "model.h"
#include "model_write.h"
#include "test_util.h"

#include <unistd.h>

static const struct {
    teai_quantize q;
    const char *name;
} gguf_quants[] = {{TEAI_QUANTIZE_Q8_0, "q8_0"},
                   {TEAI_QUANTIZE_Q6_K, "q6_k"},
                   {TEAI_QUANTIZE_Q4_K_M, "q4_k_m"},
                   {TEAI_QUANTIZE_Q4_0, "q4_0"}};
#define N_GGUF ((int)(sizeof gguf_quants / sizeof *gguf_quants))

static const int32_t tokens[] = {1, 17, 300, 42, 99, 256, 7, 8, 123, 64, 65, 66, 5, 480, 3, 200};
#define N_TOKENS ((int)(sizeof tokens / sizeof *tokens))

/* An f32 model: llama, 8 layers (q4_k_m's rule picks layers 0, 3, 6, 7),
 * untied output, every row whole blocks of 256; or (fallback = 1) qwen2 with
 * biases, tied output, 2 layers and ffn_dim 288 (ffn_down's rows are 9
 * blocks of 32: Q8_0 under the k-quants, whole blocks under q4_0/q8_0). */
static int synth(const char *out, int fallback) {
    teai_synth_params p = teai_synth_default_params();
    teai_synth_shape("tiny", &p.hp);
    p.hp.dim = 256, p.hp.n_heads = 4, p.hp.n_kv_heads = 2, p.hp.head_dim = 64;
    if (!fallback) {
        p.hp.n_layers = 8;
        p.hp.ffn_dim = 512;
        p.hp.tied_output = 0;
    } else {
        snprintf(p.hp.arch, sizeof p.hp.arch, "qwen2");
        p.hp.qkv_bias = 1;
        p.hp.rope_style = TEAI_ROPE_NEOX;
        p.hp.n_layers = 2;
        p.hp.ffn_dim = 288;
        p.hp.tied_output = 1;
    }
    p.type = "f32";
    p.seed = 11;
    p.n_threads = 2;
    teai_error err = {0};
    int rc = teai_model_synth(&p, out, &err);
    if (rc) fprintf(stderr, "synth %s: %s\n", out, err.msg);
    return rc;
}

static teai_model *load(const char *path, teai_quantize q) {
    teai_model_params mp = teai_model_default_params();
    mp.quantize = q;
    mp.n_threads = 2;
    mp.no_repack = 1; /* the weights as load-time quantization wrote them */
    teai_model *m = NULL;
    teai_error err = {0};
    if (teai_model_load(path, &mp, &m, &err)) fprintf(stderr, "load %s: %s\n", path, err.msg);
    return m;
}

/* Next-token logits of every token (N_TOKENS, n_vocab), caller frees; NULL on failure. */
static float *logits_all(teai_model *m) {
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 64;
    cp.n_threads = 2;
    teai_context *c = NULL;
    teai_error err = {0};
    int nv = teai_model_hparams(m)->n_vocab;
    float *lg = malloc(sizeof(float) * (size_t)nv * N_TOKENS);
    int rc = lg ? teai_context_new(m, &cp, &c, &err) : TEAI_ENOMEM;
    if (!rc) rc = teai_context_eval_all(c, tokens, N_TOKENS, lg, &err);
    if (rc) {
        fprintf(stderr, "eval: %s\n", err.msg);
        free(lg);
        lg = NULL;
    }
    teai_context_free(c);
    return lg;
}

/* The weight matrices of m in GGUF order with their names; returns the count. */
static int weights(const teai_model *m, const teai__weight **w, char (*names)[64], int cap) {
    int n = 0;
#define W(ptr, ...)                                                                                \
    do {                                                                                           \
        if (n < cap) {                                                                             \
            w[n] = (ptr);                                                                          \
            snprintf(names[n], 64, __VA_ARGS__);                                                   \
        }                                                                                          \
        n++;                                                                                       \
    } while (0)
    W(&m->tok_embd, "token_embd.weight");
    if (!m->hp.tied_output) W(&m->output, "output.weight");
    for (int l = 0; l < m->hp.n_layers; l++) {
        const teai__layer *L = &m->layers[l];
        W(&L->wq, "blk.%d.attn_q.weight", l);
        W(&L->wk, "blk.%d.attn_k.weight", l);
        W(&L->wv, "blk.%d.attn_v.weight", l);
        W(&L->wo, "blk.%d.attn_output.weight", l);
        W(&L->w_gate, "blk.%d.ffn_gate.weight", l);
        W(&L->w_up, "blk.%d.ffn_up.weight", l);
        W(&L->w_down, "blk.%d.ffn_down.weight", l);
    }
#undef W
    return n;
}

/* For each GGUF type: f32 file + load-time type == quantized file, per tensor
 * (type, shape, bytes), in the weight format and in the logits. */
static void check_model(int fallback) {
    char f32[512], qf[512];
    test_tmp_path(f32, sizeof f32, "lt-f32.gguf");
    test_tmp_path(qf, sizeof qf, "lt-q.gguf");
    ASSERT_EQ(synth(f32, fallback), 0);
    int saw_fallback = 0, saw_q6 = 0, saw_q4 = 0;
    for (int k = 0; k < N_GGUF; k++) {
        teai_error err = {0};
        ASSERT_EQ(teai_model_quantize(f32, qf, gguf_quants[k].name, 2, &err), TEAI_OK);
        teai_model *a = load(f32, gguf_quants[k].q), *b = load(qf, TEAI_QUANTIZE_DEFAULT);
        ASSERT_TRUE(a && b);
        /* the quantized file is used in place; the load-time model converted */
        ASSERT_EQ(a->converted, 1);
        ASSERT_EQ(b->converted, 0);
        enum { CAP = 128 };
        const teai__weight *wa[CAP], *wb[CAP];
        char na[CAP][64], nb[CAP][64];
        int n = weights(a, wa, na, CAP);
        ASSERT_TRUE(n <= CAP);
        ASSERT_EQ(weights(b, wb, nb, CAP), n);
        int bad = 0;
        for (int i = 0; i < n && !bad; i++) {
            if (wa[i]->type != wb[i]->type || wa[i]->rows != wb[i]->rows ||
                wa[i]->row_bytes != wb[i]->row_bytes ||
                memcmp(wa[i]->data, wb[i]->data, wa[i]->row_bytes * (size_t)wa[i]->rows) != 0) {
                fprintf(stderr, "%s %s: load-time %s, file %s%s\n", gguf_quants[k].name, na[i],
                        teai_type_name(wa[i]->type), teai_type_name(wb[i]->type),
                        wa[i]->type == wb[i]->type ? ", bytes differ" : "");
                bad = 1;
            }
            /* the mix, on its own: q4_k_m's rule and the fallback */
            int blk = (int)teai_type_block_size(wa[i]->type);
            if (wa[i]->cols % 256) saw_fallback += wa[i]->type == TEAI_TYPE_Q8_0;
            if (gguf_quants[k].q == TEAI_QUANTIZE_Q4_K_M && wa[i]->cols % 256 == 0) {
                int more = teai__q4_k_m_more_bits(&a->hp, na[i]);
                saw_q6 += more, saw_q4 += !more;
                if (wa[i]->type != (more ? TEAI_TYPE_Q6_K : TEAI_TYPE_Q4_K)) {
                    fprintf(stderr, "q4_k_m %s: %s\n", na[i], teai_type_name(wa[i]->type));
                    bad = 1;
                }
            }
            if (wa[i]->cols % blk) {
                fprintf(stderr, "%s %s: rows of %lld are not whole blocks of %s\n",
                        gguf_quants[k].name, na[i], (long long)wa[i]->cols,
                        teai_type_name(wa[i]->type));
                bad = 1;
            }
        }
        ASSERT_EQ(bad, 0);
        ASSERT_STREQ(teai_model_weight_format(a), teai_model_weight_format(b));
        const char *fmt = teai_model_weight_format(a);
        if (gguf_quants[k].q == TEAI_QUANTIZE_Q4_K_M)
            ASSERT_TRUE(strstr(fmt, "q4_k") && strstr(fmt, "q6_k"));
        else
            ASSERT_TRUE(strstr(fmt, gguf_quants[k].name) != NULL);
        ASSERT_EQ(teai_model_param_bytes(a), teai_model_param_bytes(b));
        float *la = logits_all(a), *lb = logits_all(b);
        ASSERT_TRUE(la && lb);
        size_t bytes = sizeof(float) * (size_t)a->hp.n_vocab * N_TOKENS;
        int same = memcmp(la, lb, bytes) == 0;
        printf("  %s %s: %d weights identical, format %s, logits %s\n",
               fallback ? "qwen2 tied" : "llama untied", gguf_quants[k].name, n, fmt,
               same ? "identical" : "DIFFER");
        ASSERT_TRUE(same);
        free(la), free(lb);
        teai_model_free(a), teai_model_free(b);
        unlink(qf);
    }
    unlink(f32);
    if (fallback) {
        ASSERT_TRUE(saw_fallback > 0); /* ffn_down went to q8_0 under the k-quants */
    } else {
        ASSERT_EQ(saw_fallback, 0);
        /* output + attn_v/ffn_down of layers 0, 3, 6, 7; token_embd untied: q4_k */
        ASSERT_EQ(saw_q6, 1 + 2 * 4);
        ASSERT_EQ(saw_q4, 2 + 8 * 7 - saw_q6);
    }
}

static void test_llama_untied(void) {
    check_model(0);
}

static void test_qwen2_tied_fallback(void) {
    check_model(1);
}

static void test_names(void) {
    for (int k = 0; k < N_GGUF; k++) {
        teai_quantize q = TEAI_QUANTIZE_DEFAULT;
        ASSERT_STREQ(teai_quantize_name(gguf_quants[k].q), gguf_quants[k].name);
        ASSERT_EQ(teai_quantize_from_name(gguf_quants[k].name, &q), TEAI_OK);
        ASSERT_EQ(q, gguf_quants[k].q);
        char upper[16];
        snprintf(upper, sizeof upper, "%s", gguf_quants[k].name);
        for (char *c = upper; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
        q = TEAI_QUANTIZE_DEFAULT;
        ASSERT_EQ(teai_quantize_from_name(upper, &q), TEAI_OK);
        ASSERT_EQ(q, gguf_quants[k].q);
    }
    ASSERT_EQ(teai_quantize_from_name("q4_k", NULL), TEAI_ENOTFOUND);
    ASSERT_STREQ(teai_quantize_name((teai_quantize)(TEAI_QUANTIZE_Q4_0 + 1)), "?");
    /* past the last: refused at load before the file is opened */
    teai_model_params mp = teai_model_default_params();
    mp.quantize = (teai_quantize)(TEAI_QUANTIZE_Q4_0 + 1);
    teai_model *m = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_model_load("/nonexistent.gguf", &mp, &m, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "unknown quantization") != NULL);
}

/* The rule alone, in both namings (llama.cpp: n_layers 16 -> 0, 1, 4, 7, 10, 13, 14, 15). */
static void test_q4_k_m_rule(void) {
    teai_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.n_layers = 16;
    const int want[16] = {1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1};
    for (int l = 0; l < 16; l++) {
        char g[64], h[96];
        snprintf(g, sizeof g, "blk.%d.ffn_down.weight", l);
        snprintf(h, sizeof h, "model.layers.%d.self_attn.v_proj.weight", l);
        ASSERT_EQ(teai__q4_k_m_more_bits(&hp, g), want[l]);
        ASSERT_EQ(teai__q4_k_m_more_bits(&hp, h), want[l]);
        snprintf(g, sizeof g, "blk.%d.attn_q.weight", l);
        ASSERT_EQ(teai__q4_k_m_more_bits(&hp, g), 0);
    }
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "output.weight"), 1);
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "lm_head.weight"), 1);
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "token_embd.weight"), 0);
    hp.tied_output = 1;
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "token_embd.weight"), 1);
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "model.embed_tokens.weight"), 1);
    ASSERT_EQ(teai__q4_k_m_more_bits(&hp, "blk.x.attn_v.weight"), 0);
    ASSERT_EQ(teai__write_weight_type("q4_k_m", 1, 256), TEAI_TYPE_Q6_K);
    ASSERT_EQ(teai__write_weight_type("q4_k_m", 0, 256), TEAI_TYPE_Q4_K);
    ASSERT_EQ(teai__write_weight_type("q6_k", 0, 288), TEAI_TYPE_Q8_0);
    ASSERT_EQ(teai__write_weight_type("q4_0", 0, 48), TEAI_TYPE_F16);
}

int main(void) {
    RUN_TEST(test_names);
    RUN_TEST(test_q4_k_m_rule);
    RUN_TEST(test_llama_untied);
    RUN_TEST(test_qwen2_tied_fallback);
    TEST_MAIN_END();
}
