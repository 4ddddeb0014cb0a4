/* Hugging Face config.json, generation_config.json and hub-cache lookup (see hf.h). */
#include "hf.h"

#include "safetensors.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#define HF_MAX_CONFIG (16u << 20)
#define HF_NO_CJSON   "built without cJSON (install libcjson-dev)"
/* Refuse configs describing more parameters than this (Llama 3.1 405B has 4e11). */
#define HF_MAX_PARAMS 1e13

/* ---- hparams bounds (shared by reader and writer) ---------------------- */

static const struct {
    const char *key; /* config.json key, for messages */
    size_t off;      /* int field of teai_hparams */
    int lo, hi;
} hf_int_limits[] = {
    {"vocab_size", offsetof(teai_hparams, n_vocab), 1, 1 << 22},
    {"hidden_size", offsetof(teai_hparams, dim), 1, 1 << 17},
    {"num_hidden_layers", offsetof(teai_hparams, n_layers), 1, 1024},
    {"num_attention_heads", offsetof(teai_hparams, n_heads), 1, 4096},
    {"num_key_value_heads", offsetof(teai_hparams, n_kv_heads), 1, 4096},
    {"head_dim", offsetof(teai_hparams, head_dim), 2, 4096},
    {"intermediate_size", offsetof(teai_hparams, ffn_dim), 1, 1 << 20},
    {"max_position_embeddings", offsetof(teai_hparams, ctx_len), 1, 1 << 24},
};

static int float_in(float v, double lo, double hi) {
    return v > lo && v <= hi; /* false for NaN */
}

/* Everything teai_hf_read_config promises about its output; name is the
 * config.json path for messages. */
static int check_hparams(const teai_hparams *hp, const char *name, teai_error *err) {
    int llama = strcmp(hp->arch, "llama") == 0, qwen2 = strcmp(hp->arch, "qwen2") == 0;
    if (!llama && !qwen2)
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: unsupported architecture %.32s (teai runs llama and qwen2)", name,
                          hp->arch);
    for (size_t i = 0; i < sizeof hf_int_limits / sizeof *hf_int_limits; i++) {
        int v;
        memcpy(&v, (const char *)hp + hf_int_limits[i].off, sizeof v);
        if (v < hf_int_limits[i].lo || v > hf_int_limits[i].hi)
            return teai__fail(err, TEAI_ERANGE, "%s: %s %d is out of range (%d..%d)", name,
                              hf_int_limits[i].key, v, hf_int_limits[i].lo, hf_int_limits[i].hi);
    }
    if (hp->n_heads % hp->n_kv_heads != 0)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: num_key_value_heads %d does not divide num_attention_heads %d", name,
                          hp->n_kv_heads, hp->n_heads);
    if (hp->head_dim % 2 != 0)
        return teai__fail(err, TEAI_EFORMAT, "%s: head_dim %d is odd (RoPE rotates pairs)", name,
                          hp->head_dim);
    if (!float_in(hp->rope_theta, 0, 1e12))
        return teai__fail(err, TEAI_ERANGE, "%s: rope_theta %g is out of range", name,
                          (double)hp->rope_theta);
    if (!float_in(hp->norm_eps, 0, 0.5))
        return teai__fail(err, TEAI_ERANGE, "%s: rms_norm_eps %g is out of range", name,
                          (double)hp->norm_eps);
    if (hp->rope_scale_factor != 0) {
        if (!float_in(hp->rope_scale_factor, 0, 1e4))
            return teai__fail(err, TEAI_ERANGE, "%s: rope_scaling factor %g is out of range", name,
                              (double)hp->rope_scale_factor);
        if (!float_in(hp->rope_low_freq_factor, 0, 1e4) ||
            !float_in(hp->rope_high_freq_factor, hp->rope_low_freq_factor, 1e4))
            return teai__fail(err, TEAI_ERANGE,
                              "%s: rope_scaling needs 0 < low_freq_factor < high_freq_factor "
                              "(have %g, %g)",
                              name, (double)hp->rope_low_freq_factor,
                              (double)hp->rope_high_freq_factor);
        if (hp->rope_orig_ctx < 1 || hp->rope_orig_ctx > (1 << 24))
            return teai__fail(err, TEAI_ERANGE,
                              "%s: rope_scaling original_max_position_embeddings %d is out of "
                              "range",
                              name, hp->rope_orig_ctx);
    }
    if (hp->rope_style != TEAI_ROPE_NEOX)
        return teai__fail(err, TEAI_EINVAL,
                          "%s: Hugging Face folders use rotate-half RoPE (TEAI_ROPE_NEOX)", name);
    if (hp->qkv_bias != qwen2)
        return teai__fail(err, TEAI_EINVAL, "%s: %s %s q/k/v biases", name, hp->arch,
                          qwen2 ? "needs" : "has no");
    /* Per layer: q, k, v, o projections and the three FFN matrices. */
    double d = hp->dim, q = (double)hp->n_heads * hp->head_dim;
    double kv = (double)hp->n_kv_heads * hp->head_dim;
    double params = (double)hp->n_layers * (2 * d * q + 2 * d * kv + 3 * d * hp->ffn_dim) +
                    2.0 * hp->n_vocab * d;
    if (params > HF_MAX_PARAMS)
        return teai__fail(err, TEAI_ERANGE, "%s: shapes describe %.3g parameters; refusing", name,
                          params);
    return TEAI_OK;
}

/* ---- paths ---------------------------------------------------------------- */

/* dir/file into out. */
static int join(const char *dir, const char *file, char *out, size_t cap, teai_error *err) {
    size_t n = strlen(dir);
    int w = snprintf(out, cap, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", file);
    if (w < 0 || (size_t)w >= cap) return teai__fail(err, TEAI_ERANGE, "%s: path too long", dir);
    return TEAI_OK;
}

/* ---- config.json reader ------------------------------------------------- */

#if TEAI_HAVE_CJSON

static const cJSON *get(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* obj[key] as a number within [lo, hi] (whole when integer), or def when it
 * is absent or null and not required. */
static int get_num(const cJSON *obj, const char *key, int required, double def, double lo,
                   double hi, int integer, double *out, const char *name, teai_error *err) {
    const cJSON *v = get(obj, key);
    if (!v) {
        if (required) return teai__fail(err, TEAI_EFORMAT, "%s: missing %s", name, key);
        *out = def;
        return TEAI_OK;
    }
    if (!cJSON_IsNumber(v))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s is not a number", name, key);
    double d = v->valuedouble;
    if (!(d >= lo && d <= hi))
        return teai__fail(err, TEAI_ERANGE, "%s: %s %g is out of range", name, key, d);
    if (integer && (double)(int)d != d)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s %g is not an integer", name, key, d);
    *out = d;
    return TEAI_OK;
}

static int get_int(const cJSON *obj, const char *key, int required, int def, int *out,
                   const char *name, teai_error *err) {
    double d = 0;
    int rc = get_num(obj, key, required, def, -2147483648.0, 2147483647.0, 1, &d, name, err);
    if (rc == TEAI_OK) *out = (int)d;
    return rc;
}

static int get_float(const cJSON *obj, const char *key, int required, double def, float *out,
                     const char *name, teai_error *err) {
    double d = 0;
    int rc = get_num(obj, key, required, def, -1e30, 1e30, 0, &d, name, err);
    if (rc == TEAI_OK) *out = (float)d;
    return rc;
}

static int get_bool(const cJSON *obj, const char *key, int def, int *out, const char *name,
                    teai_error *err) {
    const cJSON *v = get(obj, key);
    if (!v) {
        *out = def;
        return TEAI_OK;
    }
    if (!cJSON_IsBool(v))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s is not true or false", name, key);
    *out = cJSON_IsTrue(v);
    return TEAI_OK;
}

static const char *get_str(const cJSON *obj, const char *key) {
    const cJSON *v = get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* rope_scaling (or transformers 5's rope_parameters): "llama3" or nothing. */
static int parse_rope_scaling(const cJSON *rs, teai_hparams *hp, const char *name,
                              teai_error *err) {
    if (!cJSON_IsObject(rs))
        return teai__fail(err, TEAI_EFORMAT, "%s: rope_scaling is not an object", name);
    const char *type = get_str(rs, "rope_type");
    if (!type) type = get_str(rs, "type");
    if (!type) return teai__fail(err, TEAI_EFORMAT, "%s: rope_scaling has no rope_type", name);
    if (strcmp(type, "default") == 0) return TEAI_OK;
    if (strcmp(type, "llama3") != 0)
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: rope_scaling type %.32s is not supported (teai runs llama3 scaling)",
                          name, type);
    int rc = get_float(rs, "factor", 1, 0, &hp->rope_scale_factor, name, err);
    if (rc == TEAI_OK)
        rc = get_float(rs, "low_freq_factor", 1, 0, &hp->rope_low_freq_factor, name, err);
    if (rc == TEAI_OK)
        rc = get_float(rs, "high_freq_factor", 1, 0, &hp->rope_high_freq_factor, name, err);
    if (rc == TEAI_OK)
        rc = get_int(rs, "original_max_position_embeddings", 1, 0, &hp->rope_orig_ctx, name, err);
    if (rc == TEAI_OK && hp->rope_scale_factor == 0)
        rc = teai__fail(err, TEAI_ERANGE, "%s: rope_scaling factor is 0", name);
    return rc;
}

/* Features of the two architectures that teai's forward pass does not have. */
static int refuse_unsupported(const cJSON *root, int llama, const char *name, teai_error *err) {
    const char *act = get_str(root, "hidden_act");
    if (act && strcmp(act, "silu") != 0)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: hidden_act %.32s (teai runs silu)", name,
                          act);
    const cJSON *q = get(root, "quantization_config");
    if (q) {
        const char *method = get_str(q, "quant_method");
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: quantized checkpoint (%.32s); use the unquantized model", name,
                          method ? method : "quantization_config");
    }
    int on = 0, rc = TEAI_OK;
    if (llama) {
        rc = get_bool(root, "attention_bias", 0, &on, name, err);
        if (rc == TEAI_OK && on)
            return teai__fail(err, TEAI_EUNSUPPORTED, "%s: attention_bias is not supported", name);
        if (rc == TEAI_OK) rc = get_bool(root, "mlp_bias", 0, &on, name, err);
        if (rc == TEAI_OK && on)
            return teai__fail(err, TEAI_EUNSUPPORTED, "%s: mlp_bias is not supported", name);
    } else {
        rc = get_bool(root, "use_sliding_window", 0, &on, name, err);
        if (rc == TEAI_OK && on)
            return teai__fail(err, TEAI_EUNSUPPORTED, "%s: use_sliding_window is not supported",
                              name);
    }
    return rc;
}

static int parse_arch(const cJSON *root, teai_hparams *hp, const char *name, teai_error *err) {
    const cJSON *archs = get(root, "architectures");
    const char *arch = NULL;
    if (archs) {
        if (!cJSON_IsArray(archs) || !cJSON_IsString(archs->child))
            return teai__fail(err, TEAI_EFORMAT, "%s: architectures is not a list of names", name);
        arch = archs->child->valuestring;
    } else {
        const char *mt = get_str(root, "model_type");
        if (!mt) return teai__fail(err, TEAI_EFORMAT, "%s: no architectures or model_type", name);
        arch = strcmp(mt, "llama") == 0   ? "LlamaForCausalLM"
               : strcmp(mt, "qwen2") == 0 ? "Qwen2ForCausalLM"
                                          : mt;
    }
    if (strcmp(arch, "LlamaForCausalLM") == 0)
        snprintf(hp->arch, sizeof hp->arch, "llama");
    else if (strcmp(arch, "Qwen2ForCausalLM") == 0)
        snprintf(hp->arch, sizeof hp->arch, "qwen2");
    else
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: unsupported architecture %.64s (teai runs llama and qwen2)", name,
                          arch);
    return TEAI_OK;
}

static int parse_root(const cJSON *root, teai_hparams *hp, const char *name, teai_error *err) {
    if (!cJSON_IsObject(root)) return teai__fail(err, TEAI_EFORMAT, "%s: not a JSON object", name);
    int rc = parse_arch(root, hp, name, err);
    if (rc != TEAI_OK) return rc;
    int llama = strcmp(hp->arch, "llama") == 0;
    if ((rc = refuse_unsupported(root, llama, name, err)) != TEAI_OK) return rc;

    const char *nm = get_str(root, "_name_or_path");
    if (nm) snprintf(hp->name, sizeof hp->name, "%s", nm);
    int head_dim = 0;
    if ((rc = get_int(root, "vocab_size", 1, 0, &hp->n_vocab, name, err)) ||
        (rc = get_int(root, "hidden_size", 1, 0, &hp->dim, name, err)) ||
        (rc = get_int(root, "num_hidden_layers", 1, 0, &hp->n_layers, name, err)) ||
        (rc = get_int(root, "num_attention_heads", 1, 0, &hp->n_heads, name, err)) ||
        (rc = get_int(root, "num_key_value_heads", 0, hp->n_heads, &hp->n_kv_heads, name, err)) ||
        (rc = get_int(root, "head_dim", 0, 0, &head_dim, name, err)) ||
        (rc = get_int(root, "intermediate_size", 1, 0, &hp->ffn_dim, name, err)) ||
        (rc = get_int(root, "max_position_embeddings", 0, llama ? 2048 : 32768, &hp->ctx_len, name,
                      err)) ||
        (rc = get_float(root, "rms_norm_eps", 0, 1e-6, &hp->norm_eps, name, err)) ||
        (rc = get_bool(root, "tie_word_embeddings", 0, &hp->tied_output, name, err)))
        return rc;

    /* transformers 5 moves rope_theta and rope_scaling into rope_parameters. */
    const cJSON *rp = get(root, "rope_parameters");
    if (rp && !cJSON_IsObject(rp))
        return teai__fail(err, TEAI_EFORMAT, "%s: rope_parameters is not an object", name);
    const cJSON *theta_obj = get(root, "rope_theta") || !rp ? root : rp;
    if ((rc = get_float(theta_obj, "rope_theta", 0, 10000.0, &hp->rope_theta, name, err)))
        return rc;
    const cJSON *rs = get(root, "rope_scaling");
    if (!rs) rs = rp;
    if (rs && (rc = parse_rope_scaling(rs, hp, name, err))) return rc;

    if (head_dim) {
        hp->head_dim = head_dim;
    } else if (hp->n_heads > 0) {
        if (hp->dim % hp->n_heads != 0)
            return teai__fail(err, TEAI_EFORMAT,
                              "%s: hidden_size %d is not a multiple of num_attention_heads %d "
                              "(and no head_dim given)",
                              name, hp->dim, hp->n_heads);
        hp->head_dim = hp->dim / hp->n_heads;
    }
    hp->qkv_bias = !llama;
    hp->rope_style = TEAI_ROPE_NEOX;
    return check_hparams(hp, name, err);
}

int teai_hf_parse_config(const char *json, size_t len, const char *name, teai_hparams *hp,
                         teai_error *err) {
    if (!name) name = "config.json";
    memset(hp, 0, sizeof *hp);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) return teai__fail(err, TEAI_EFORMAT, "%s: not valid JSON", name);
    teai_hparams tmp = {0};
    int rc = parse_root(root, &tmp, name, err);
    cJSON_Delete(root);
    if (rc == TEAI_OK) *hp = tmp;
    return rc;
}

int teai_hf_read_config(const char *dir, teai_hparams *hp, teai_error *err) {
    char path[4096];
    struct stat sb;
    int rc = TEAI_OK;
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode))
        snprintf(path, sizeof path, "%s", dir);
    else
        rc = join(dir, "config.json", path, sizeof path, err);
    if (rc != TEAI_OK) return rc;
    char *text;
    size_t len;
    if ((rc = teai__read_file(path, HF_MAX_CONFIG, &text, &len, err)) != TEAI_OK) return rc;
    rc = teai_hf_parse_config(text, len, path, hp, err);
    free(text);
    return rc;
}

/* Reads bos/eos keys of one file; absent keys leave the outputs alone
 * (*have_bos / *have_eos say which were found). */
static int read_ids(const char *path, int32_t *bos, int *have_bos, int32_t *eos, int eos_cap,
                    int *n_eos, int *have_eos, teai_error *err) {
    char *text;
    size_t len;
    int rc = teai__read_file(path, HF_MAX_CONFIG, &text, &len, err);
    if (rc != TEAI_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return teai__fail(err, TEAI_EFORMAT, "%s: not a JSON object", path);
    }
    int v;
    if (!*have_bos && get(root, "bos_token_id")) {
        rc = get_int(root, "bos_token_id", 1, 0, &v, path, err);
        if (rc == TEAI_OK && v < 0)
            rc = teai__fail(err, TEAI_EFORMAT, "%s: bad bos_token_id", path);
        if (rc == TEAI_OK) *bos = v, *have_bos = 1;
    }
    const cJSON *e = get(root, "eos_token_id");
    if (rc == TEAI_OK && !*have_eos && e) {
        int n = 0;
        if (cJSON_IsArray(e)) {
            const cJSON *x;
            cJSON_ArrayForEach(x, e) {
                if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble <= INT32_MAX) ||
                    (double)(int32_t)x->valuedouble != x->valuedouble) {
                    rc = teai__fail(err, TEAI_EFORMAT, "%s: bad eos_token_id", path);
                    break;
                }
                if (n < eos_cap) eos[n] = (int32_t)x->valuedouble;
                n++;
            }
        } else {
            rc = get_int(root, "eos_token_id", 1, 0, &v, path, err);
            if (rc == TEAI_OK && v < 0)
                rc = teai__fail(err, TEAI_EFORMAT, "%s: bad eos_token_id", path);
            if (rc == TEAI_OK && eos_cap > 0) eos[0] = v;
            n = 1;
        }
        if (rc == TEAI_OK) *n_eos = n, *have_eos = 1;
    }
    cJSON_Delete(root);
    return rc;
}

int teai_hf_generation_config(const char *dir, int32_t *bos_id, int32_t *eos_ids, int eos_cap,
                              int *n_eos, teai_error *err) {
    *bos_id = -1;
    *n_eos = 0;
    static const char *const files[] = {"generation_config.json", "config.json"};
    int have_bos = 0, have_eos = 0, found = 0;
    for (int i = 0; i < 2; i++) {
        char path[4096];
        struct stat sb;
        int rc = join(dir, files[i], path, sizeof path, err);
        if (rc != TEAI_OK) return rc;
        if (stat(path, &sb) != 0) continue;
        found = 1;
        rc = read_ids(path, bos_id, &have_bos, eos_ids, eos_cap, n_eos, &have_eos, err);
        if (rc != TEAI_OK) return rc;
    }
    if (!found)
        return teai__fail(err, TEAI_ENOTFOUND, "%s: no generation_config.json or config.json", dir);
    if (*n_eos > eos_cap)
        return teai__fail(err, TEAI_ERANGE, "%s: %d eos_token_id values, room for %d", dir, *n_eos,
                          eos_cap);
    return TEAI_OK;
}

#else /* !TEAI_HAVE_CJSON */

int teai_hf_parse_config(const char *json, size_t len, const char *name, teai_hparams *hp,
                         teai_error *err) {
    memset(hp, 0, sizeof *hp);
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: " HF_NO_CJSON, name ? name : "config.json");
}

int teai_hf_read_config(const char *dir, teai_hparams *hp, teai_error *err) {
    memset(hp, 0, sizeof *hp);
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: " HF_NO_CJSON, dir);
}

int teai_hf_generation_config(const char *dir, int32_t *bos_id, int32_t *eos_ids, int eos_cap,
                              int *n_eos, teai_error *err) {
    *bos_id = -1;
    *n_eos = 0;
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: " HF_NO_CJSON, dir);
}

#endif

/* ---- config.json writer ------------------------------------------------ */

/* The shortest decimal that reads back as v, in Python's repr style
 * ("500000.0", "1e-05", "0.02"), as transformers writes numbers. */
static void fmt_float(float v, char *buf, size_t cap) {
    int p = 1;
    for (; p < 9; p++) {
        snprintf(buf, cap, "%.*e", p - 1, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    snprintf(buf, cap, "%.*e", p - 1, (double)v);
    const char *e = strchr(buf, 'e');
    long exp = e ? strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 16) return;
    int decimals = p - 1 - (int)exp;
    snprintf(buf, cap, "%.*f", decimals > 0 ? decimals : 0, (double)v);
    if (!strchr(buf, '.')) {
        size_t n = strlen(buf);
        if (n + 2 < cap) memcpy(buf + n, ".0", 3);
    }
}

static int add_kv_int(teai_buf *b, const char *key, long long v) {
    return teai_buf_printf(b, "  \"%s\": %lld,\n", key, v);
}

static int add_kv_float(teai_buf *b, const char *indent, const char *key, float v,
                        const char *sep) {
    char num[64];
    fmt_float(v, num, sizeof num);
    return teai_buf_printf(b, "%s\"%s\": %s%s\n", indent, key, num, sep);
}

/* config.json text, keys sorted as transformers writes them. */
static int build_config(const teai_hparams *hp, int bos_id, int eos_id, const char *torch_dtype,
                        teai_buf *b) {
    int llama = strcmp(hp->arch, "llama") == 0;
    int rc = teai_buf_addstr(b, "{\n");
    if (hp->name[0]) {
        char name[sizeof hp->name + 1];
        snprintf(name, sizeof name, "%.*s", (int)sizeof hp->name - 1, hp->name);
        rc = rc ? rc : teai_buf_addstr(b, "  \"_name_or_path\": ");
        rc = rc ? rc : teai__json_str(b, name, strlen(name), NULL);
        rc = rc ? rc : teai_buf_addstr(b, ",\n");
    }
    rc = rc ? rc
            : teai_buf_printf(b, "  \"architectures\": [\n    \"%s\"\n  ],\n",
                              llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM");
    if (llama) rc = rc ? rc : teai_buf_addstr(b, "  \"attention_bias\": false,\n");
    rc = rc ? rc : teai_buf_addstr(b, "  \"attention_dropout\": 0.0,\n");
    if (bos_id >= 0) rc = rc ? rc : add_kv_int(b, "bos_token_id", bos_id);
    if (eos_id >= 0) rc = rc ? rc : add_kv_int(b, "eos_token_id", eos_id);
    rc = rc ? rc : add_kv_int(b, "head_dim", hp->head_dim);
    rc = rc ? rc : teai_buf_addstr(b, "  \"hidden_act\": \"silu\",\n");
    rc = rc ? rc : add_kv_int(b, "hidden_size", hp->dim);
    rc = rc ? rc : teai_buf_addstr(b, "  \"initializer_range\": 0.02,\n");
    rc = rc ? rc : add_kv_int(b, "intermediate_size", hp->ffn_dim);
    rc = rc ? rc : add_kv_int(b, "max_position_embeddings", hp->ctx_len);
    if (!llama) rc = rc ? rc : add_kv_int(b, "max_window_layers", hp->n_layers);
    if (llama) rc = rc ? rc : teai_buf_addstr(b, "  \"mlp_bias\": false,\n");
    rc = rc ? rc : teai_buf_printf(b, "  \"model_type\": \"%s\",\n", llama ? "llama" : "qwen2");
    rc = rc ? rc : add_kv_int(b, "num_attention_heads", hp->n_heads);
    rc = rc ? rc : add_kv_int(b, "num_hidden_layers", hp->n_layers);
    rc = rc ? rc : add_kv_int(b, "num_key_value_heads", hp->n_kv_heads);
    if (llama) rc = rc ? rc : add_kv_int(b, "pretraining_tp", 1);
    rc = rc ? rc : add_kv_float(b, "  ", "rms_norm_eps", hp->norm_eps, ",");
    if (hp->rope_scale_factor != 0) {
        rc = rc ? rc : teai_buf_addstr(b, "  \"rope_scaling\": {\n");
        rc = rc ? rc : add_kv_float(b, "    ", "factor", hp->rope_scale_factor, ",");
        rc = rc ? rc : add_kv_float(b, "    ", "high_freq_factor", hp->rope_high_freq_factor, ",");
        rc = rc ? rc : add_kv_float(b, "    ", "low_freq_factor", hp->rope_low_freq_factor, ",");
        rc = rc ? rc
                : teai_buf_printf(b, "    \"original_max_position_embeddings\": %d,\n",
                                  hp->rope_orig_ctx);
        rc = rc ? rc : teai_buf_addstr(b, "    \"rope_type\": \"llama3\"\n  },\n");
    } else {
        rc = rc ? rc : teai_buf_addstr(b, "  \"rope_scaling\": null,\n");
    }
    rc = rc ? rc : add_kv_float(b, "  ", "rope_theta", hp->rope_theta, ",");
    if (!llama) rc = rc ? rc : add_kv_int(b, "sliding_window", hp->ctx_len);
    rc = rc ? rc
            : teai_buf_printf(b, "  \"tie_word_embeddings\": %s,\n",
                              hp->tied_output ? "true" : "false");
    if (torch_dtype) {
        rc = rc ? rc : teai_buf_addstr(b, "  \"torch_dtype\": ");
        rc = rc ? rc : teai__json_str(b, torch_dtype, strlen(torch_dtype), NULL);
        rc = rc ? rc : teai_buf_addstr(b, ",\n");
    }
    rc = rc ? rc : teai_buf_addstr(b, "  \"use_cache\": true,\n");
    if (!llama) rc = rc ? rc : teai_buf_addstr(b, "  \"use_sliding_window\": false,\n");
    rc = rc ? rc : teai_buf_printf(b, "  \"vocab_size\": %d\n}\n", hp->n_vocab);
    return rc;
}

static int build_generation_config(int bos_id, int eos_id, teai_buf *b) {
    int rc = teai_buf_addstr(b, "{\n  \"_from_model_config\": true");
    if (bos_id >= 0) rc = rc ? rc : teai_buf_printf(b, ",\n  \"bos_token_id\": %d", bos_id);
    if (eos_id >= 0) rc = rc ? rc : teai_buf_printf(b, ",\n  \"eos_token_id\": %d", eos_id);
    rc = rc ? rc : teai_buf_addstr(b, "\n}\n");
    return rc;
}

int teai_hf_write_config(const char *dir, const teai_hparams *hp, int bos_id, int eos_id,
                         const char *torch_dtype, teai_error *err) {
    char path[4096];
    int rc = join(dir, "config.json", path, sizeof path, err);
    if (rc != TEAI_OK) return rc;
    if ((rc = check_hparams(hp, path, err)) != TEAI_OK) return rc;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return teai__fail(err, TEAI_EIO, "%s: %s", dir, strerror(errno));
    teai_buf b;
    teai_buf_init(&b, 0);
    if (build_config(hp, bos_id, eos_id, torch_dtype, &b) != TEAI_OK)
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    if (rc == TEAI_OK) rc = teai__write_file_atomic(path, b.data, b.len, err);
    teai_buf_free(&b);
    if (rc != TEAI_OK) return rc;

    if ((rc = join(dir, "generation_config.json", path, sizeof path, err)) != TEAI_OK) return rc;
    teai_buf_init(&b, 0);
    if (build_generation_config(bos_id, eos_id, &b) != TEAI_OK)
        rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    if (rc == TEAI_OK) rc = teai__write_file_atomic(path, b.data, b.len, err);
    teai_buf_free(&b);
    return rc;
}

/* ---- hub cache lookup -------------------------------------------------- */

/* A Hugging Face repo name part or revision: [A-Za-z0-9._-]+, not "." or "..". */
static int hub_name_ok(const char *s, size_t n) {
    if (n == 0 || n > 96 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Copies s into out; TEAI_ERANGE when it does not fit. */
static int put(char *out, size_t cap, const char *s, teai_error *err) {
    size_t n = strlen(s);
    if (n >= cap) return teai__fail(err, TEAI_ERANGE, "%s: path longer than %zu bytes", s, cap);
    memcpy(out, s, n + 1);
    return TEAI_OK;
}

/* repo/snapshots/<refs/main>, else the newest snapshot, into out (PATH_MAX
 * sized). Returns 1 when found. */
static int find_snapshot(const char *repo, char *out, size_t cap) {
    char path[4096], rev[128];
    if (snprintf(path, sizeof path, "%s/refs/main", repo) >= (int)sizeof path) return 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(rev, 1, sizeof rev - 1, f);
        fclose(f);
        while (n && (rev[n - 1] == '\n' || rev[n - 1] == '\r' || rev[n - 1] == ' ')) n--;
        rev[n] = '\0';
        if (hub_name_ok(rev, n) && snprintf(out, cap, "%s/snapshots/%s", repo, rev) < (int)cap &&
            is_dir(out))
            return 1;
    }
    if (snprintf(path, sizeof path, "%s/snapshots", repo) >= (int)sizeof path) return 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    struct timespec best = {0, 0};
    int found = 0;
    while ((e = readdir(d))) {
        char snap[4096];
        struct stat sb;
        if (e->d_name[0] == '.') continue;
        if (snprintf(snap, sizeof snap, "%s/%s", path, e->d_name) >= (int)sizeof snap) continue;
        if (stat(snap, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        struct timespec t = sb.st_mtim;
        int newer = !found || t.tv_sec > best.tv_sec ||
                    (t.tv_sec == best.tv_sec && t.tv_nsec > best.tv_nsec) ||
                    (t.tv_sec == best.tv_sec && t.tv_nsec == best.tv_nsec &&
                     strcmp(snap, out) > 0); /* ties: deterministic */
        if (newer && strlen(snap) < cap) {
            memcpy(out, snap, strlen(snap) + 1);
            best = t;
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* The hub cache folder and the variable it came from, or NULL. */
static const char *hub_cache_dir(char *buf, size_t cap) {
    const char *v;
    if ((v = getenv("HF_HUB_CACHE")) && *v) {
        snprintf(buf, cap, "%s", v);
        return "HF_HUB_CACHE";
    }
    if ((v = getenv("HUGGINGFACE_HUB_CACHE")) && *v) {
        snprintf(buf, cap, "%s", v);
        return "HUGGINGFACE_HUB_CACHE";
    }
    if ((v = getenv("HF_HOME")) && *v) {
        snprintf(buf, cap, "%s/hub", v);
        return "HF_HOME";
    }
    if ((v = getenv("XDG_CACHE_HOME")) && *v) {
        snprintf(buf, cap, "%s/huggingface/hub", v);
        return "XDG_CACHE_HOME";
    }
    if ((v = getenv("HOME")) && *v) {
        snprintf(buf, cap, "%s/.cache/huggingface/hub", v);
        return "HOME";
    }
    return NULL;
}

int teai_hf_resolve(const char *spec, char *out, size_t cap, teai_error *err) {
    if (!spec || !*spec || !out || !cap)
        return teai__fail(err, TEAI_EINVAL, "model: empty name or no output buffer");
    struct stat sb;
    if (stat(spec, &sb) == 0) return put(out, cap, spec, err);

    /* "ORG/NAME" or "NAME"; anything else is a path that does not exist. */
    const char *slash = strchr(spec, '/');
    const char *org = slash ? spec : "", *name = slash ? slash + 1 : spec;
    size_t org_len = slash ? (size_t)(slash - spec) : 0;
    if ((slash && !hub_name_ok(org, org_len)) || !hub_name_ok(name, strlen(name)))
        return teai__fail(err, TEAI_ENOTFOUND, "%s: no such file or folder", spec);

    char repo[512], cand[4096], found[4096], hub[3072];
    snprintf(repo, sizeof repo, "models--%.*s%s%s", (int)org_len, org, slash ? "--" : "", name);
    teai_buf looked;
    teai_buf_init(&looked, 4096);
    int rc = TEAI_ENOTFOUND;

    const char *why = hub_cache_dir(hub, sizeof hub);
    if (why) {
        snprintf(cand, sizeof cand, "%s/%s", hub, repo);
        if (find_snapshot(cand, found, sizeof found))
            rc = put(out, cap, found, err);
        else
            teai_buf_printf(&looked, "%s (%s); ", cand, why);
    }
    /* The seed's models/ folder. */
    if (rc == TEAI_ENOTFOUND) {
        snprintf(cand, sizeof cand, "models/%s", name);
        if (stat(cand, &sb) == 0)
            rc = put(out, cap, cand, err);
        else
            teai_buf_printf(&looked, "%s; ", cand);
    }
    if (rc == TEAI_ENOTFOUND && slash) {
        snprintf(cand, sizeof cand, "models/%.*s--%s", (int)org_len, org, name);
        if (stat(cand, &sb) == 0)
            rc = put(out, cap, cand, err);
        else
            teai_buf_printf(&looked, "%s; ", cand);
    }
    if (rc == TEAI_ENOTFOUND) {
        snprintf(cand, sizeof cand, "models/%s", repo);
        if (find_snapshot(cand, found, sizeof found))
            rc = put(out, cap, found, err);
        else
            teai_buf_printf(&looked, "%s", cand);
    }
    if (rc == TEAI_ENOTFOUND)
        teai__fail(err, TEAI_ENOTFOUND,
                   "%s: model not found (not a file or folder; looked in %s); download it with "
                   "`huggingface-cli download %s`",
                   spec, looked.data ? looked.data : "", spec);
    teai_buf_free(&looked);
    return rc;
}
