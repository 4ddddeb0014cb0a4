/* Hugging Face config.json parsing and writing, generation_config.json, and
 * hub-cache / models/ lookup. */
#include "hf.h"
#include "test_util.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[1024];

/* meta-llama/Llama-3.2-1B config.json, as published. */
static const char llama32_1b[] = "{\n"
                                 "  \"architectures\": [\n"
                                 "    \"LlamaForCausalLM\"\n"
                                 "  ],\n"
                                 "  \"attention_bias\": false,\n"
                                 "  \"attention_dropout\": 0.0,\n"
                                 "  \"bos_token_id\": 128000,\n"
                                 "  \"eos_token_id\": 128001,\n"
                                 "  \"head_dim\": 64,\n"
                                 "  \"hidden_act\": \"silu\",\n"
                                 "  \"hidden_size\": 2048,\n"
                                 "  \"initializer_range\": 0.02,\n"
                                 "  \"intermediate_size\": 8192,\n"
                                 "  \"max_position_embeddings\": 131072,\n"
                                 "  \"mlp_bias\": false,\n"
                                 "  \"model_type\": \"llama\",\n"
                                 "  \"num_attention_heads\": 32,\n"
                                 "  \"num_hidden_layers\": 16,\n"
                                 "  \"num_key_value_heads\": 8,\n"
                                 "  \"pretraining_tp\": 1,\n"
                                 "  \"rms_norm_eps\": 1e-05,\n"
                                 "  \"rope_scaling\": {\n"
                                 "    \"factor\": 32.0,\n"
                                 "    \"high_freq_factor\": 4.0,\n"
                                 "    \"low_freq_factor\": 1.0,\n"
                                 "    \"original_max_position_embeddings\": 8192,\n"
                                 "    \"rope_type\": \"llama3\"\n"
                                 "  },\n"
                                 "  \"rope_theta\": 500000.0,\n"
                                 "  \"tie_word_embeddings\": true,\n"
                                 "  \"torch_dtype\": \"bfloat16\",\n"
                                 "  \"transformers_version\": \"4.45.0.dev0\",\n"
                                 "  \"use_cache\": true,\n"
                                 "  \"vocab_size\": 128256\n"
                                 "}\n";

/* Qwen/Qwen2.5-0.5B config.json, as published. */
static const char qwen25_05b[] = "{\n"
                                 "  \"architectures\": [\n"
                                 "    \"Qwen2ForCausalLM\"\n"
                                 "  ],\n"
                                 "  \"attention_dropout\": 0.0,\n"
                                 "  \"bos_token_id\": 151643,\n"
                                 "  \"eos_token_id\": 151643,\n"
                                 "  \"hidden_act\": \"silu\",\n"
                                 "  \"hidden_size\": 896,\n"
                                 "  \"initializer_range\": 0.02,\n"
                                 "  \"intermediate_size\": 4864,\n"
                                 "  \"max_position_embeddings\": 32768,\n"
                                 "  \"max_window_layers\": 24,\n"
                                 "  \"model_type\": \"qwen2\",\n"
                                 "  \"num_attention_heads\": 14,\n"
                                 "  \"num_hidden_layers\": 24,\n"
                                 "  \"num_key_value_heads\": 2,\n"
                                 "  \"rms_norm_eps\": 1e-06,\n"
                                 "  \"rope_theta\": 1000000.0,\n"
                                 "  \"sliding_window\": 32768,\n"
                                 "  \"tie_word_embeddings\": true,\n"
                                 "  \"torch_dtype\": \"bfloat16\",\n"
                                 "  \"transformers_version\": \"4.40.1\",\n"
                                 "  \"use_cache\": true,\n"
                                 "  \"use_mrope\": false,\n"
                                 "  \"use_sliding_window\": false,\n"
                                 "  \"vocab_size\": 151936\n"
                                 "}\n";

static int write_str(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(s), w = fwrite(s, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static int make_dirs(const char *path) {
    return test_system("mkdir -p '%s'", path);
}

static int parse(const char *json, teai_hparams *hp, teai_error *err) {
    return teai_hf_parse_config(json, strlen(json), "config.json", hp, err);
}

/* json with the line containing `key` replaced by `line` (or dropped when
 * line is ""); buf must hold the result. */
static const char *edit(const char *json, const char *key, const char *line, char *buf,
                        size_t cap) {
    const char *at = strstr(json, key);
    if (!at) {
        snprintf(buf, cap, "%s", json);
        return buf;
    }
    while (at > json && at[-1] != '\n') at--;
    const char *end = strchr(at, '\n');
    snprintf(buf, cap, "%.*s%s%s", (int)(at - json), json, line, end + 1);
    return buf;
}

static void test_llama32_1b(void) {
    teai_hparams hp;
    teai_error err = {0};
    ASSERT_EQ(parse(llama32_1b, &hp, &err), TEAI_OK);
    ASSERT_STREQ(hp.arch, "llama");
    ASSERT_STREQ(hp.name, "");
    ASSERT_EQ(hp.dim, 2048);
    ASSERT_EQ(hp.n_layers, 16);
    ASSERT_EQ(hp.n_heads, 32);
    ASSERT_EQ(hp.n_kv_heads, 8);
    ASSERT_EQ(hp.head_dim, 64);
    ASSERT_EQ(hp.ffn_dim, 8192);
    ASSERT_EQ(hp.n_vocab, 128256);
    ASSERT_EQ(hp.ctx_len, 131072);
    ASSERT_NEAR(hp.rope_theta, 500000.0, 0);
    ASSERT_NEAR(hp.norm_eps, 1e-5f, 0);
    ASSERT_EQ(hp.tied_output, 1);
    ASSERT_EQ(hp.qkv_bias, 0);
    ASSERT_EQ(hp.rope_style, TEAI_ROPE_NEOX);
    ASSERT_NEAR(hp.rope_scale_factor, 32.0, 0);
    ASSERT_NEAR(hp.rope_low_freq_factor, 1.0, 0);
    ASSERT_NEAR(hp.rope_high_freq_factor, 4.0, 0);
    ASSERT_EQ(hp.rope_orig_ctx, 8192);

    /* Older transformers: "type" instead of "rope_type", no head_dim. */
    char a[4096], b[4096];
    edit(llama32_1b, "\"rope_type\"", "    \"type\": \"llama3\"\n", a, sizeof a);
    edit(a, "\"head_dim\"", "", b, sizeof b);
    ASSERT_EQ(parse(b, &hp, &err), TEAI_OK);
    ASSERT_EQ(hp.head_dim, 64);
    ASSERT_NEAR(hp.rope_scale_factor, 32.0, 0);

    /* transformers 5: rope_theta and the scaling inside rope_parameters. */
    static const char v5[] =
        "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":2048,\"num_hidden_layers\":16,"
        "\"num_attention_heads\":32,\"num_key_value_heads\":8,\"intermediate_size\":8192,"
        "\"vocab_size\":128256,\"max_position_embeddings\":131072,\"rms_norm_eps\":1e-05,"
        "\"rope_parameters\":{\"rope_theta\":500000.0,\"rope_type\":\"llama3\",\"factor\":32.0,"
        "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
        "\"original_max_position_embeddings\":8192},\"tie_word_embeddings\":true}";
    teai_hparams hp5;
    ASSERT_EQ(parse(v5, &hp5, &err), TEAI_OK);
    ASSERT_EQ(parse(llama32_1b, &hp, &err), TEAI_OK);
    ASSERT_TRUE(memcmp(&hp, &hp5, sizeof hp) == 0);
}

static void test_qwen25_05b(void) {
    teai_hparams hp;
    teai_error err = {0};
    ASSERT_EQ(parse(qwen25_05b, &hp, &err), TEAI_OK);
    ASSERT_STREQ(hp.arch, "qwen2");
    ASSERT_EQ(hp.dim, 896);
    ASSERT_EQ(hp.n_layers, 24);
    ASSERT_EQ(hp.n_heads, 14);
    ASSERT_EQ(hp.n_kv_heads, 2);
    ASSERT_EQ(hp.head_dim, 64);
    ASSERT_EQ(hp.ffn_dim, 4864);
    ASSERT_EQ(hp.n_vocab, 151936);
    ASSERT_EQ(hp.ctx_len, 32768);
    ASSERT_NEAR(hp.rope_theta, 1000000.0, 0);
    ASSERT_NEAR(hp.norm_eps, 1e-6f, 0);
    ASSERT_EQ(hp.tied_output, 1);
    ASSERT_EQ(hp.qkv_bias, 1);
    ASSERT_EQ(hp.rope_style, TEAI_ROPE_NEOX);
    ASSERT_NEAR(hp.rope_scale_factor, 0, 0);
    ASSERT_EQ(hp.rope_orig_ctx, 0);
}

/* Keys left out take transformers' defaults. */
static void test_defaults(void) {
    teai_hparams hp;
    teai_error err = {0};
    static const char minimal[] = "{\"model_type\":\"llama\",\"hidden_size\":64,"
                                  "\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                                  "\"intermediate_size\":128,\"vocab_size\":100,"
                                  "\"num_key_value_heads\":null,\"rope_scaling\":null}";
    ASSERT_EQ(parse(minimal, &hp, &err), TEAI_OK);
    ASSERT_STREQ(hp.arch, "llama");
    ASSERT_EQ(hp.n_kv_heads, 4);
    ASSERT_EQ(hp.head_dim, 16);
    ASSERT_EQ(hp.ctx_len, 2048);
    ASSERT_NEAR(hp.rope_theta, 10000.0, 0);
    ASSERT_NEAR(hp.norm_eps, 1e-6f, 0);
    ASSERT_EQ(hp.tied_output, 0);
    ASSERT_NEAR(hp.rope_scale_factor, 0, 0);

    char buf[4096];
    edit(qwen25_05b, "\"tie_word_embeddings\"", "", buf, sizeof buf);
    char buf2[4096];
    edit(buf, "\"max_position_embeddings\"", "", buf2, sizeof buf2);
    ASSERT_EQ(parse(buf2, &hp, &err), TEAI_OK);
    ASSERT_EQ(hp.tied_output, 0); /* Qwen2Config's default */
    ASSERT_EQ(hp.ctx_len, 32768);

    /* head_dim given where hidden_size is not a multiple of the heads. */
    static const char hd[] = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":100,"
                             "\"head_dim\":32,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                             "\"num_key_value_heads\":2,\"intermediate_size\":128,"
                             "\"vocab_size\":100,\"rope_scaling\":{\"rope_type\":\"default\"}}";
    ASSERT_EQ(parse(hd, &hp, &err), TEAI_OK);
    ASSERT_EQ(hp.head_dim, 32);
    ASSERT_EQ(hp.dim, 100);
    /* _name_or_path, truncated to fit. */
    static const char named[] = "{\"_name_or_path\":\"meta-llama/Llama-3.2-1B\","
                                "\"model_type\":\"qwen2\",\"hidden_size\":64,"
                                "\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                                "\"intermediate_size\":128,\"vocab_size\":100}";
    ASSERT_EQ(parse(named, &hp, &err), TEAI_OK);
    ASSERT_STREQ(hp.name, "meta-llama/Llama-3.2-1B");
    ASSERT_STREQ(hp.arch, "qwen2");
}

/* A config edited one way must fail with status and a message containing what. */
static void expect_bad(const char *json, int status, const char *what) {
    teai_hparams hp;
    teai_error err = {0};
    memset(&hp, 0x55, sizeof hp);
    int rc = parse(json, &hp, &err);
    if (rc != status || !strstr(err.msg, "config.json") || !strstr(err.msg, what))
        TEST_FAIL_AT("got %s \"%s\", want %s containing \"%s\"", teai_status_name(rc), err.msg,
                     teai_status_name(status), what);
    else if (hp.dim != 0 || hp.arch[0] != 0)
        TEST_FAIL_AT("hparams not cleared on failure (%s)", what);
}

static void expect_edit(const char *key, const char *line, int status, const char *what) {
    char buf[4096];
    expect_bad(edit(llama32_1b, key, line, buf, sizeof buf), status, what);
}

static void test_errors(void) {
    teai_error err = {0};
    teai_hparams hp;
    expect_edit("\"LlamaForCausalLM\"", "    \"MistralForCausalLM\"\n", TEAI_EUNSUPPORTED,
                "config.json: unsupported architecture MistralForCausalLM (teai runs llama and "
                "qwen2)");
    ASSERT_EQ(parse("{\"model_type\":\"gemma\"}", &hp, &err), TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "gemma") != NULL);
    expect_bad("{\"hidden_size\":1}", TEAI_EFORMAT, "no architectures or model_type");
    expect_bad("{\"architectures\":\"LlamaForCausalLM\"}", TEAI_EFORMAT, "architectures");
    expect_bad("{\"architectures\": [", TEAI_EFORMAT, "not valid JSON");
    expect_bad("[1]", TEAI_EFORMAT, "not a JSON object");
    expect_bad("", TEAI_EFORMAT, "not valid JSON");
    expect_edit("\"hidden_size\"", "", TEAI_EFORMAT, "missing hidden_size");
    expect_edit("\"vocab_size\"", "  \"vocab_size\": \"big\"\n", TEAI_EFORMAT,
                "vocab_size is not a number");
    expect_edit("\"hidden_size\"", "  \"hidden_size\": 2048.5,\n", TEAI_EFORMAT,
                "hidden_size 2048.5 is not an integer");
    expect_edit("\"hidden_size\"", "  \"hidden_size\": 1e300,\n", TEAI_ERANGE, "hidden_size");
    expect_edit("\"hidden_size\"", "  \"hidden_size\": 1000000,\n", TEAI_ERANGE,
                "hidden_size 1000000 is out of range");
    expect_edit("\"num_hidden_layers\"", "  \"num_hidden_layers\": 0,\n", TEAI_ERANGE,
                "num_hidden_layers 0");
    expect_edit("\"num_key_value_heads\"", "  \"num_key_value_heads\": 5,\n", TEAI_EFORMAT,
                "num_key_value_heads 5 does not divide num_attention_heads 32");
    expect_edit("\"num_key_value_heads\"", "  \"num_key_value_heads\": -8,\n", TEAI_ERANGE,
                "num_key_value_heads -8");
    expect_edit("\"head_dim\"", "  \"head_dim\": 63,\n", TEAI_EFORMAT, "head_dim 63 is odd");
    char buf[4096];
    edit(llama32_1b, "\"head_dim\"", "", buf, sizeof buf);
    char buf2[4096];
    expect_bad(
        edit(buf, "\"num_attention_heads\"", "  \"num_attention_heads\": 30,\n", buf2, sizeof buf2),
        TEAI_EFORMAT, "hidden_size 2048 is not a multiple of num_attention_heads 30");
    expect_edit("\"tie_word_embeddings\"", "  \"tie_word_embeddings\": 1,\n", TEAI_EFORMAT,
                "tie_word_embeddings");
    expect_edit("\"rope_theta\"", "  \"rope_theta\": -1,\n", TEAI_ERANGE, "rope_theta");
    expect_edit("\"rms_norm_eps\"", "  \"rms_norm_eps\": 0,\n", TEAI_ERANGE, "rms_norm_eps");
    expect_edit("\"rope_type\"", "    \"rope_type\": \"yarn\"\n", TEAI_EUNSUPPORTED,
                "rope_scaling type yarn");
    expect_edit("\"rope_type\"", "    \"x\": 1\n", TEAI_EFORMAT, "rope_scaling has no rope_type");
    expect_edit("\"factor\"", "", TEAI_EFORMAT, "missing factor");
    expect_edit("\"high_freq_factor\"", "    \"high_freq_factor\": 0.5,\n", TEAI_ERANGE,
                "low_freq_factor < high_freq_factor");
    expect_edit("\"hidden_act\"", "  \"hidden_act\": \"gelu\",\n", TEAI_EUNSUPPORTED,
                "hidden_act gelu");
    expect_edit("\"attention_bias\"", "  \"attention_bias\": true,\n", TEAI_EUNSUPPORTED,
                "attention_bias");
    expect_edit("\"mlp_bias\"", "  \"mlp_bias\": true,\n", TEAI_EUNSUPPORTED, "mlp_bias");
    expect_edit("\"use_cache\"", "  \"quantization_config\": {\"quant_method\": \"awq\"},\n",
                TEAI_EUNSUPPORTED, "quantized checkpoint (awq)");
    expect_bad(edit(qwen25_05b, "\"use_sliding_window\"", "  \"use_sliding_window\": true,\n", buf,
                    sizeof buf),
               TEAI_EUNSUPPORTED, "use_sliding_window");
    /* Each dimension sane, together absurd. */
    static const char huge[] = "{\"model_type\":\"llama\",\"hidden_size\":131072,"
                               "\"num_hidden_layers\":1024,\"num_attention_heads\":1024,"
                               "\"intermediate_size\":1048576,\"vocab_size\":4194304}";
    expect_bad(huge, TEAI_ERANGE, "parameters; refusing");

    /* Files. */
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/none", g_dir);
    ASSERT_EQ(teai_hf_read_config(dir, &hp, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "none/config.json") != NULL);
}

static void test_write_read(void) {
    teai_error err = {0};
    const char *configs[] = {llama32_1b, qwen25_05b};
    for (int i = 0; i < 2; i++) {
        teai_hparams hp, back;
        ASSERT_EQ(parse(configs[i], &hp, &err), TEAI_OK);
        if (i == 1) snprintf(hp.name, sizeof hp.name, "Qwen/\"Qwen2.5\"-0.5B\\x");
        char dir[1200];
        snprintf(dir, sizeof dir, "%s/written-%d", g_dir, i);
        int bos = i ? 151643 : 128000, eos = i ? 151643 : 128001;
        ASSERT_EQ(teai_hf_write_config(dir, &hp, bos, eos, "bfloat16", &err), TEAI_OK);
        memset(&back, 0x55, sizeof back);
        ASSERT_EQ(teai_hf_read_config(dir, &back, &err), TEAI_OK);
        ASSERT_TRUE(memcmp(&hp, &back, sizeof hp) == 0);
        ASSERT_STREQ(back.name, hp.name);

        int32_t b, e[4];
        int n;
        ASSERT_EQ(teai_hf_generation_config(dir, &b, e, 4, &n, &err), TEAI_OK);
        ASSERT_EQ(b, bos);
        ASSERT_EQ(n, 1);
        ASSERT_EQ(e[0], eos);

        char path[1300], *text;
        snprintf(path, sizeof path, "%s/config.json", dir);
        ASSERT_EQ(teai__read_file(path, 1 << 20, &text, NULL, &err), TEAI_OK);
        char want[4096];
        /* The Llama file is what transformers writes, but for its version line. */
        if (i == 0) edit(llama32_1b, "\"transformers_version\"", "", want, sizeof want);
        int same = i == 1 || strcmp(text, want) == 0;
        int looks = strstr(text, i ? "\"model_type\": \"qwen2\"" : "\"model_type\": \"llama\"") &&
                    strstr(text, "\"torch_dtype\": \"bfloat16\"");
        if (!same) fprintf(stderr, "written:\n%s\nwant:\n%s\n", text, want);
        free(text);
        ASSERT_TRUE(same);
        ASSERT_TRUE(looks);
    }

    /* Odd float values survive; no rope scaling is written as null. */
    teai_hparams hp;
    ASSERT_EQ(parse(qwen25_05b, &hp, &err), TEAI_OK);
    hp.rope_theta = 12345.678f;
    hp.norm_eps = 3.3e-7f;
    hp.tied_output = 0;
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/written-odd", g_dir);
    ASSERT_EQ(teai_hf_write_config(dir, &hp, -1, -1, NULL, &err), TEAI_OK);
    teai_hparams back;
    ASSERT_EQ(teai_hf_read_config(dir, &back, &err), TEAI_OK);
    ASSERT_TRUE(memcmp(&hp, &back, sizeof hp) == 0);
    int32_t b, e[1];
    int n;
    ASSERT_EQ(teai_hf_generation_config(dir, &b, e, 1, &n, &err), TEAI_OK);
    ASSERT_EQ(b, -1);
    ASSERT_EQ(n, 0);

    /* The writer refuses what the reader would refuse. */
    hp.rope_style = TEAI_ROPE_NORM;
    ASSERT_EQ(teai_hf_write_config(dir, &hp, -1, -1, NULL, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "TEAI_ROPE_NEOX") != NULL);
    hp.rope_style = TEAI_ROPE_NEOX;
    hp.qkv_bias = 0;
    ASSERT_EQ(teai_hf_write_config(dir, &hp, -1, -1, NULL, &err), TEAI_EINVAL);
    hp.qkv_bias = 1;
    hp.n_kv_heads = 3;
    ASSERT_EQ(teai_hf_write_config(dir, &hp, -1, -1, NULL, &err), TEAI_EFORMAT);
    hp.n_kv_heads = 2;
    snprintf(hp.arch, sizeof hp.arch, "gemma");
    ASSERT_EQ(teai_hf_write_config(dir, &hp, -1, -1, NULL, &err), TEAI_EUNSUPPORTED);
}

static void test_generation_config(void) {
    teai_error err = {0};
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/gen", g_dir);
    ASSERT_EQ(make_dirs(dir), 0);
    int32_t bos, eos[4];
    int n;
    ASSERT_EQ(teai_hf_generation_config(dir, &bos, eos, 4, &n, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "gen") != NULL);
    /* generation_config.json wins; config.json fills in what it lacks. */
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    ASSERT_EQ(write_str(path, "{\"eos_token_id\": [128001, 128008, 128009], \"top_p\": 0.9}"), 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    ASSERT_EQ(write_str(path, llama32_1b), 0);
    ASSERT_EQ(teai_hf_generation_config(dir, &bos, eos, 4, &n, &err), TEAI_OK);
    ASSERT_EQ(bos, 128000);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(eos[0], 128001);
    ASSERT_EQ(eos[2], 128009);
    ASSERT_EQ(teai_hf_generation_config(dir, &bos, eos, 2, &n, &err), TEAI_ERANGE);
    ASSERT_EQ(n, 3);
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    ASSERT_EQ(write_str(path, "{\"eos_token_id\": [1, \"x\"]}"), 0);
    ASSERT_EQ(teai_hf_generation_config(dir, &bos, eos, 4, &n, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "generation_config.json") && strstr(err.msg, "eos_token_id"));
}

/* Sets a folder's modification time to t seconds after the epoch. */
static int set_mtime(const char *path, time_t t) {
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    return utimensat(AT_FDCWD, path, ts, 0);
}

static void clear_hf_env(void) {
    unsetenv("HF_HUB_CACHE");
    unsetenv("HUGGINGFACE_HUB_CACHE");
    unsetenv("HF_HOME");
    unsetenv("XDG_CACHE_HOME");
}

static void test_resolve_hub(void) {
    teai_error err = {0};
    char hub[1200], repo[1300], p[1400], out[2048];
    snprintf(hub, sizeof hub, "%s/hub", g_dir);
    snprintf(repo, sizeof repo, "%s/models--Org--Name", hub);
    snprintf(p, sizeof p, "%s/snapshots/aaaa", repo);
    ASSERT_EQ(make_dirs(p), 0);
    ASSERT_EQ(set_mtime(p, 1000000), 0);
    snprintf(p, sizeof p, "%s/snapshots/bbbb", repo);
    ASSERT_EQ(make_dirs(p), 0);
    ASSERT_EQ(set_mtime(p, 2000000), 0);
    snprintf(p, sizeof p, "%s/refs", repo);
    ASSERT_EQ(make_dirs(p), 0);
    snprintf(p, sizeof p, "%s/refs/main", repo);
    ASSERT_EQ(write_str(p, "aaaa"), 0); /* huggingface_hub writes no newline */

    clear_hf_env();
    setenv("HF_HUB_CACHE", hub, 1);
    char want[1400];
    snprintf(want, sizeof want, "%s/snapshots/aaaa", repo);
    ASSERT_EQ(teai_hf_resolve("Org/Name", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, want);
    ASSERT_EQ(write_str(p, "bbbb\n"), 0);
    snprintf(want, sizeof want, "%s/snapshots/bbbb", repo);
    ASSERT_EQ(teai_hf_resolve("Org/Name", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, want);

    /* refs/main naming a missing snapshot, then no refs/main: the newest. */
    ASSERT_EQ(write_str(p, "cccc"), 0);
    ASSERT_EQ(teai_hf_resolve("Org/Name", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, want);
    unlink(p);
    snprintf(p, sizeof p, "%s/snapshots/aaaa", repo);
    ASSERT_EQ(set_mtime(p, 3000000), 0);
    snprintf(want, sizeof want, "%s/snapshots/aaaa", repo);
    ASSERT_EQ(teai_hf_resolve("Org/Name", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, want);
    ASSERT_EQ(teai_hf_resolve("Org/Name", out, 8, &err), TEAI_ERANGE);

    /* The other variables, in order. */
    clear_hf_env();
    char home[1300];
    snprintf(home, sizeof home, "%s/hfhome", g_dir);
    snprintf(p, sizeof p, "%s/hub/models--A--B/snapshots/r1", home);
    ASSERT_EQ(make_dirs(p), 0);
    setenv("HF_HOME", home, 1);
    ASSERT_EQ(teai_hf_resolve("A/B", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, p);
    clear_hf_env();
    snprintf(home, sizeof home, "%s/xdg", g_dir);
    snprintf(p, sizeof p, "%s/huggingface/hub/models--A--B/snapshots/r2", home);
    ASSERT_EQ(make_dirs(p), 0);
    setenv("XDG_CACHE_HOME", home, 1);
    ASSERT_EQ(teai_hf_resolve("A/B", out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, p);
    clear_hf_env();
    const char *old_home = getenv("HOME");
    char saved_home[1024];
    snprintf(saved_home, sizeof saved_home, "%s", old_home ? old_home : "");
    snprintf(home, sizeof home, "%s/home", g_dir);
    snprintf(p, sizeof p, "%s/.cache/huggingface/hub/models--gpt2/snapshots/r3", home);
    ASSERT_EQ(make_dirs(p), 0);
    setenv("HOME", home, 1);
    int rc = teai_hf_resolve("gpt2", out, sizeof out, &err); /* no organization */
    if (old_home) setenv("HOME", saved_home, 1);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_STREQ(out, p);
}

static void test_resolve_paths_and_models(void) {
    teai_error err = {0};
    char out[2048], cwd[1024], p[1400];
    clear_hf_env();
    char hub[1200];
    snprintf(hub, sizeof hub, "%s/emptyhub", g_dir);
    setenv("HF_HUB_CACHE", hub, 1);

    /* Existing paths come back as they are, even when they look like ORG/NAME. */
    ASSERT_EQ(teai_hf_resolve(g_dir, out, sizeof out, &err), TEAI_OK);
    ASSERT_STREQ(out, g_dir);
    ASSERT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
    ASSERT_EQ(chdir(g_dir), 0);
    ASSERT_EQ(make_dirs("Org/Local"), 0);
    int rc = teai_hf_resolve("Org/Local", out, sizeof out, &err);
    int ok_local = rc == TEAI_OK && strcmp(out, "Org/Local") == 0;

    /* The seed's models/ folder. */
    ASSERT_EQ(make_dirs("models/Org--Name2"), 0);
    ASSERT_EQ(make_dirs("models/Name3"), 0);
    ASSERT_EQ(make_dirs("models/models--Org--Name4/snapshots/abc"), 0);
    ASSERT_EQ(make_dirs("models/models--Org--Name4/snapshots/old"), 0);
    ASSERT_EQ(set_mtime("models/models--Org--Name4/snapshots/old", 1), 0);
    ASSERT_EQ(make_dirs("models/models--Org--Name4/refs"), 0);
    ASSERT_EQ(write_str("models/models--Org--Name4/refs/main", "old"), 0);
    ASSERT_EQ(write_str("models/tiny.gguf", "GGUF"), 0);
    char r2[2048], r3[2048], r4[2048], r5[2048], r6[2048];
    int rc2 = teai_hf_resolve("Org/Name2", r2, sizeof r2, &err);
    int rc3 = teai_hf_resolve("Org/Name3", r3, sizeof r3, &err);
    int rc4 = teai_hf_resolve("Org/Name4", r4, sizeof r4, &err);
    int rc5 = teai_hf_resolve("tiny.gguf", r5, sizeof r5, &err);
    teai_error nf = {0};
    int rc6 = teai_hf_resolve("Org/Missing", r6, sizeof r6, &nf);
    teai_error nf2 = {0};
    int rc7 = teai_hf_resolve("/no/such/path.gguf", r6, sizeof r6, &nf2);
    teai_error nf3 = {0};
    int rc8 = teai_hf_resolve("", r6, sizeof r6, &nf3);
    ASSERT_EQ(chdir(cwd), 0);

    ASSERT_TRUE(ok_local);
    ASSERT_EQ(rc2, TEAI_OK);
    ASSERT_STREQ(r2, "models/Org--Name2");
    ASSERT_EQ(rc3, TEAI_OK);
    ASSERT_STREQ(r3, "models/Name3");
    ASSERT_EQ(rc4, TEAI_OK);
    ASSERT_STREQ(r4, "models/models--Org--Name4/snapshots/old");
    ASSERT_EQ(rc5, TEAI_OK);
    ASSERT_STREQ(r5, "models/tiny.gguf");

    /* Not found: every place is named. */
    ASSERT_EQ(rc6, TEAI_ENOTFOUND);
    snprintf(p, sizeof p, "%s/models--Org--Missing (HF_HUB_CACHE)", hub);
    ASSERT_TRUE(strstr(nf.msg, "Org/Missing") != NULL);
    ASSERT_TRUE(strstr(nf.msg, p) != NULL);
    ASSERT_TRUE(strstr(nf.msg, "models/Missing;") != NULL);
    ASSERT_TRUE(strstr(nf.msg, "models/Org--Missing;") != NULL);
    ASSERT_TRUE(strstr(nf.msg, "models/models--Org--Missing") != NULL);
    ASSERT_EQ(rc7, TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(nf2.msg, "/no/such/path.gguf") != NULL);
    ASSERT_EQ(rc8, TEAI_EINVAL);
}

static void test_no_cjson(void) {
    teai_hparams hp;
    teai_error err = {0};
    ASSERT_EQ(teai_hf_parse_config("{}", 2, "config.json", &hp, &err), TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "built without cJSON (install libcjson-dev)") != NULL);
}

int main(void) {
    test_tmp_path(g_dir, sizeof g_dir, "hf");
    test_system("rm -rf '%s'", g_dir);
    if (make_dirs(g_dir) != 0) {
        fprintf(stderr, "cannot create %s\n", g_dir);
        return 1;
    }
    RUN_TEST(test_resolve_hub);
    RUN_TEST(test_resolve_paths_and_models);
    if (!TEAI_HAVE_CJSON) {
        RUN_TEST(test_no_cjson);
        if (!teai_test_failures) {
            test_system("rm -rf '%s'", g_dir);
            test_skip("built without cJSON: config.json reading is disabled");
        }
        TEST_MAIN_END();
    }
    RUN_TEST(test_llama32_1b);
    RUN_TEST(test_qwen25_05b);
    RUN_TEST(test_defaults);
    RUN_TEST(test_errors);
    RUN_TEST(test_write_read);
    RUN_TEST(test_generation_config);
    if (!teai_test_failures) test_system("rm -rf '%s'", g_dir);
    TEST_MAIN_END();
}
