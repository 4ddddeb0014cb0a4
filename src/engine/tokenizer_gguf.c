/* GGUF tokenizer keys (tokenizer.ggml.*): reading them into a tokenizer and
 * writing one back, with llama.cpp's defaults for absent keys. */
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MODEL      "tokenizer.ggml.model"
#define KEY_PRE        "tokenizer.ggml.pre"
#define KEY_TOKENS     "tokenizer.ggml.tokens"
#define KEY_SCORES     "tokenizer.ggml.scores"
#define KEY_TYPES      "tokenizer.ggml.token_type"
#define KEY_MERGES     "tokenizer.ggml.merges"
#define KEY_ADD_BOS    "tokenizer.ggml.add_bos_token"
#define KEY_ADD_EOS    "tokenizer.ggml.add_eos_token"
#define KEY_ADD_PREFIX "tokenizer.ggml.add_space_prefix"

/* "uint32", "array of string": a value's type for messages. The struct is
 * returned by value, so type_name(kv).s lives until the end of the call
 * it is an argument of. */
typedef struct tname {
    char s[48];
} tname;

static tname type_name(const teai_gguf_kv *kv) {
    tname n;
    if (kv->type != TEAI_GGUF_ARRAY)
        snprintf(n.s, sizeof n.s, "%s", teai_gguf_vtype_name(kv->type));
    else
        snprintf(n.s, sizeof n.s, "array of %s", teai_gguf_vtype_name(kv->arr_type));
    return n;
}

static int is_int(teai_gguf_vtype t) {
    return t == TEAI_GGUF_UINT8 || t == TEAI_GGUF_INT8 || t == TEAI_GGUF_UINT16 ||
           t == TEAI_GGUF_INT16 || t == TEAI_GGUF_UINT32 || t == TEAI_GGUF_INT32 ||
           t == TEAI_GGUF_UINT64 || t == TEAI_GGUF_INT64;
}

/* An optional token id key: *id stays as is when absent. */
static int read_id(const teai_gguf *g, const char *name, const char *key, int32_t n_vocab,
                   int32_t *id, teai_error *err) {
    const teai_gguf_kv *kv = teai_gguf_get(g, key);
    int64_t v;
    if (!kv) return TEAI_OK;
    if (!is_int(kv->type) || teai_gguf_kv_int(kv, &v))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected an integer, got %s", name, key,
                          type_name(kv).s);
    if (v < 0 || v >= n_vocab)
        return teai__fail(err, TEAI_EFORMAT,
                          "%s: %s: token id %lld out of range (vocabulary of %d)", name, key,
                          (long long)v, (int)n_vocab);
    *id = (int32_t)v;
    return TEAI_OK;
}

/* An optional bool key: *v stays as is when absent. */
static int read_bool(const teai_gguf *g, const char *name, const char *key, int *v,
                     teai_error *err) {
    const teai_gguf_kv *kv = teai_gguf_get(g, key);
    int64_t x;
    if (!kv) return TEAI_OK;
    if (kv->type == TEAI_GGUF_ARRAY || teai_gguf_kv_int(kv, &x))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected a bool, got %s", name, key,
                          type_name(kv).s);
    *v = x != 0;
    return TEAI_OK;
}

/* Optional numeric array of at least n elements. */
static int check_arr(const teai_gguf_kv *kv, const char *name, const char *key, int want_float,
                     uint64_t n, teai_error *err) {
    if (kv->type != TEAI_GGUF_ARRAY ||
        !(kv->arr_type == TEAI_GGUF_INT32 || (want_float && kv->arr_type == TEAI_GGUF_FLOAT32)))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected array of %s, got %s", name, key,
                          want_float ? "float32" : "int32", type_name(kv).s);
    if (kv->arr_n < n)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: %llu entries for %llu tokens", name, key,
                          (unsigned long long)kv->arr_n, (unsigned long long)n);
    return TEAI_OK;
}

static int read_merges(teai_tokenizer *t, const teai_gguf *g, const char *name, teai_error *err) {
    const teai_gguf_kv *kv = teai_gguf_get(g, KEY_MERGES);
    if (!kv) return teai__fail(err, TEAI_EFORMAT, "%s: %s: missing", name, KEY_MERGES);
    if (kv->type != TEAI_GGUF_ARRAY || kv->arr_type != TEAI_GGUF_STRING)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected array of string, got %s", name,
                          KEY_MERGES, type_name(kv).s);
    if (kv->arr_n > INT32_MAX / 2)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: %llu merges", name, KEY_MERGES,
                          (unsigned long long)kv->arr_n);
    for (uint64_t i = 0; i < kv->arr_n; i++) {
        const char *s = kv->arr_strs[i].ptr;
        size_t n = (size_t)kv->arr_strs[i].len;
        char what[600];
        snprintf(what, sizeof what, "%s: %s[%llu]", name, KEY_MERGES, (unsigned long long)i);
        /* "left right", split at the first space after the first byte */
        const char *sp = n > 1 ? memchr(s + 1, ' ', n - 1) : NULL;
        if (!sp) return teai__fail(err, TEAI_EFORMAT, "%s: no space between the two parts", what);
        size_t ln = (size_t)(sp - s);
        int rc = teai__tok_add_merge(t, s, ln, sp + 1, n - ln - 1, what, err);
        if (rc) return rc;
    }
    return TEAI_OK;
}

int teai__tokenizer_from_gguf(const teai_gguf *g, teai_tokenizer **out, teai_error *err) {
    const char *name = g ? teai_gguf_path(g) : NULL;
    if (!name) name = "gguf";
    *out = NULL;
    if (!g) return teai__fail(err, TEAI_EINVAL, "tokenizer: no GGUF file");

    const teai_gguf_kv *kv = teai_gguf_get(g, KEY_MODEL);
    teai_gguf_str model;
    if (!kv) return teai__fail(err, TEAI_EFORMAT, "%s: %s: missing", name, KEY_MODEL);
    if (teai_gguf_kv_str(kv, &model))
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected a string, got %s", name, KEY_MODEL,
                          type_name(kv).s);
    teai__tok_kind kind;
    if (model.len == 4 && memcmp(model.ptr, "gpt2", 4) == 0) {
        kind = TEAI__TOK_BPE;
    } else if (model.len == 5 && memcmp(model.ptr, "llama", 5) == 0) {
        kind = TEAI__TOK_SPM;
    } else {
        char sb[200];
        return teai__fail(err, TEAI_EUNSUPPORTED,
                          "%s: %s: tokenizer '%s' is not supported (only gpt2 and llama)", name,
                          KEY_MODEL, teai__tok_show(model.ptr, (size_t)model.len, sb, sizeof sb));
    }

    char pre[64] = "";
    kv = teai_gguf_get(g, KEY_PRE);
    if (kv) {
        teai_gguf_str s;
        if (teai_gguf_kv_str(kv, &s))
            return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected a string, got %s", name, KEY_PRE,
                              type_name(kv).s);
        teai_gguf_get_str(g, KEY_PRE, pre, sizeof pre);
    }

    const teai_gguf_kv *toks = teai_gguf_get(g, KEY_TOKENS);
    if (!toks) return teai__fail(err, TEAI_EFORMAT, "%s: %s: missing", name, KEY_TOKENS);
    if (toks->type != TEAI_GGUF_ARRAY || toks->arr_type != TEAI_GGUF_STRING)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: expected array of string, got %s", name,
                          KEY_TOKENS, type_name(toks).s);
    if (toks->arr_n == 0 || toks->arr_n > (uint64_t)TEAI__MAX_VOCAB)
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: %llu tokens (1..16777216 allowed)", name,
                          KEY_TOKENS, (unsigned long long)toks->arr_n);
    int32_t n_vocab = (int32_t)toks->arr_n;

    const teai_gguf_kv *scores = teai_gguf_get(g, KEY_SCORES);
    if (scores) {
        int rc = check_arr(scores, name, KEY_SCORES, 1, toks->arr_n, err);
        if (rc) return rc;
    }
    const teai_gguf_kv *types = teai_gguf_get(g, KEY_TYPES);
    if (types) {
        int rc = check_arr(types, name, KEY_TYPES, 0, toks->arr_n, err);
        if (rc) return rc;
    }

    teai_tokenizer *t;
    if (teai__tok_alloc(n_vocab, kind, &t))
        return teai__fail(err, TEAI_ENOMEM, "%s: tokenizer: out of memory", name);
    int rc = TEAI_OK;
    if (kind == TEAI__TOK_BPE) {
        if (teai__tok_set_pre(t, pre[0] ? pre : "(none)")) {
            char sb[200];
            rc = teai__fail(err, TEAI_EUNSUPPORTED,
                            "%s: %s: pre-tokenizer '%s' is not supported (llama-bpe, qwen2, gpt-2)",
                            name, KEY_PRE,
                            pre[0] ? teai__tok_show(pre, strlen(pre), sb, sizeof sb) : "(missing)");
            goto fail;
        }
    }
    for (int32_t i = 0; i < n_vocab && !rc; i++) {
        rc = teai__tok_set_text(t, i, toks->arr_strs[i].ptr, (size_t)toks->arr_strs[i].len);
        if (scores) t->score[i] = (float)teai_gguf_arr_float(scores, (uint64_t)i);
        if (types) {
            int64_t ty = teai_gguf_arr_int(types, (uint64_t)i);
            if (ty < TEAI__TOKEN_UNDEFINED || ty > TEAI__TOKEN_BYTE) {
                rc = teai__fail(err, TEAI_EFORMAT, "%s: %s[%d]: %lld is not a token type", name,
                                KEY_TYPES, (int)i, (long long)ty);
                goto fail;
            }
            t->type[i] = (uint8_t)ty;
        }
    }
    if (!rc) rc = teai__tok_index(t);
    if (rc) {
        rc = teai__fail(err, TEAI_ENOMEM, "%s: tokenizer: out of memory", name);
        goto fail;
    }
    if (kind == TEAI__TOK_BPE && (rc = read_merges(t, g, name, err))) goto fail;

    /* llama.cpp's defaults: SentencePiece BOS 1, EOS 2, UNK 0 and adds BOS
     * and a space prefix; Llama 3 adds BOS and keeps whole-token words. */
    if (kind == TEAI__TOK_SPM) {
        t->bos = n_vocab > 1 ? 1 : -1;
        t->eos = n_vocab > 2 ? 2 : -1;
        t->unk = 0;
        t->add_bos = 1;
        t->add_space_prefix = 1;
    } else if (t->pre == TEAI__PRE_LLAMA3) {
        t->add_bos = 1;
        t->ignore_merges = 1;
    }
    if ((rc = read_id(g, name, "tokenizer.ggml.bos_token_id", n_vocab, &t->bos, err)) ||
        (rc = read_id(g, name, "tokenizer.ggml.eos_token_id", n_vocab, &t->eos, err)) ||
        (rc = read_id(g, name, "tokenizer.ggml.eot_token_id", n_vocab, &t->eot, err)) ||
        (rc = read_id(g, name, "tokenizer.ggml.eom_token_id", n_vocab, &t->eom, err)) ||
        (rc = read_id(g, name, "tokenizer.ggml.unknown_token_id", n_vocab, &t->unk, err)) ||
        (rc = read_id(g, name, "tokenizer.ggml.padding_token_id", n_vocab, &t->pad, err)) ||
        (rc = read_bool(g, name, KEY_ADD_BOS, &t->add_bos, err)) ||
        (rc = read_bool(g, name, KEY_ADD_EOS, &t->add_eos, err)))
        goto fail;
    if (kind == TEAI__TOK_SPM &&
        (rc = read_bool(g, name, KEY_ADD_PREFIX, &t->add_space_prefix, err)))
        goto fail;
    if ((rc = teai__tok_finish(t, name, err))) goto fail;
    *out = t;
    return TEAI_OK;
fail:
    teai__tokenizer_free(t);
    return rc;
}

/* ---- writer ------------------------------------------------------------- */

static int set_id(teai_gguf_writer *w, const char *key, int32_t id) {
    return id >= 0 ? teai_gguf_writer_set_u32(w, key, (uint32_t)id) : TEAI_OK;
}

int teai__tokenizer_write_gguf(const teai_tokenizer *t, teai_gguf_writer *w) {
    if (!t || !w) return TEAI_EINVAL;
    int rc = TEAI_OK;
    teai_gguf_str *strs = NULL;
    int32_t *types = NULL;
    char *merge_text = NULL;

    rc = teai_gguf_writer_set_str(w, KEY_MODEL, teai_tokenizer_model(t));
    if (!rc) rc = teai_gguf_writer_set_str(w, KEY_PRE, t->pre_name);

    strs = malloc((size_t)t->n_vocab * sizeof *strs);
    types = malloc((size_t)t->n_vocab * sizeof *types);
    if (!strs || !types) rc = TEAI_ENOMEM;
    for (int32_t i = 0; i < t->n_vocab && !rc; i++) {
        strs[i] = (teai_gguf_str){teai__tok_text(t, i), t->len[i]};
        types[i] = t->type[i];
    }
    if (!rc) rc = teai_gguf_writer_set_arr_str(w, KEY_TOKENS, strs, (uint64_t)t->n_vocab);
    if (!rc)
        rc = teai_gguf_writer_set_arr(w, KEY_TYPES, TEAI_GGUF_INT32, types, (uint64_t)t->n_vocab);
    if (!rc && t->kind == TEAI__TOK_SPM)
        rc = teai_gguf_writer_set_arr(w, KEY_SCORES, TEAI_GGUF_FLOAT32, t->score,
                                      (uint64_t)t->n_vocab);

    if (!rc && t->kind == TEAI__TOK_BPE) {
        /* "left right" strings, packed in one buffer. */
        size_t total = 0;
        for (int32_t i = 0; i < t->n_merges; i++)
            total += t->len[t->merge_left[i]] + t->len[t->merge_right[i]] + 1;
        teai_gguf_str *ms = realloc(strs, ((size_t)t->n_merges + 1) * sizeof *ms);
        merge_text = malloc(total + 1);
        if (ms) strs = ms;
        if (!ms || !merge_text) rc = TEAI_ENOMEM;
        size_t o = 0;
        for (int32_t i = 0; i < t->n_merges && !rc; i++) {
            int32_t l = t->merge_left[i], r = t->merge_right[i];
            strs[i].ptr = merge_text + o;
            memcpy(merge_text + o, teai__tok_text(t, l), t->len[l]);
            o += t->len[l];
            merge_text[o++] = ' ';
            memcpy(merge_text + o, teai__tok_text(t, r), t->len[r]);
            o += t->len[r];
            strs[i].len = t->len[l] + 1 + t->len[r];
        }
        if (!rc) rc = teai_gguf_writer_set_arr_str(w, KEY_MERGES, strs, (uint64_t)t->n_merges);
    }

    if (!rc) rc = set_id(w, "tokenizer.ggml.bos_token_id", t->bos);
    if (!rc) rc = set_id(w, "tokenizer.ggml.eos_token_id", t->eos);
    if (!rc) rc = set_id(w, "tokenizer.ggml.eot_token_id", t->eot);
    if (!rc) rc = set_id(w, "tokenizer.ggml.eom_token_id", t->eom);
    if (!rc) rc = set_id(w, "tokenizer.ggml.unknown_token_id", t->unk);
    if (!rc) rc = set_id(w, "tokenizer.ggml.padding_token_id", t->pad);
    if (!rc) rc = teai_gguf_writer_set_bool(w, KEY_ADD_BOS, t->add_bos);
    if (!rc) rc = teai_gguf_writer_set_bool(w, KEY_ADD_EOS, t->add_eos);
    if (!rc && t->kind == TEAI__TOK_SPM)
        rc = teai_gguf_writer_set_bool(w, KEY_ADD_PREFIX, t->add_space_prefix);
    free(strs);
    free(types);
    free(merge_text);
    return rc;
}
