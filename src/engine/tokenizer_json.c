/* Hugging Face tokenizer.json (+ tokenizer_config.json) reader.
 *
 * Recognized: model.type "BPE" with
 *  - byte-level: a ByteLevel pre-tokenizer, split by the Llama 3, Qwen2 or
 *    GPT-2 regex (a Split step or ByteLevel's own use_regex);
 *  - SentencePiece style: byte_fallback, spaces to "▁" through Metaspace or
 *    the Prepend("▁") + Replace(" ", "▁") normalizers (Llama 2, TinyLlama).
 *    Such vocabularies are encoded as llama.cpp encodes "llama" GGUF ones
 *    (merge by score); each token's score is minus the rank of the first
 *    merge producing it, which keeps the merge order.
 * The NFC normalizer (Qwen2) is accepted and not applied, as llama.cpp does.
 * Anything else is TEAI_EUNSUPPORTED naming the part. */
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if TEAI_HAVE_CJSON

#include <cjson/cJSON.h>

/* tokenizer.json of Llama 3 is ~9 MB; allow generous headroom. */
#define MAX_JSON_BYTES ((size_t)512 << 20)

typedef struct rd {
    const char *name;
    teai_error *err;
} rd;

static const cJSON *get(const cJSON *obj, const char *key) {
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* Optional string member: NULL when absent or null; TEAI_EFORMAT otherwise. */
static int opt_str(rd *r, const cJSON *obj, const char *where, const char *key, const char **out) {
    const cJSON *v = get(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return TEAI_OK;
    if (!cJSON_IsString(v) || !v->valuestring)
        return teai__fail(r->err, TEAI_EFORMAT, "%s: %s%s: expected a string", r->name, where, key);
    *out = v->valuestring;
    return TEAI_OK;
}

/* Optional bool member; *out unchanged when absent or null. */
static int opt_bool(rd *r, const cJSON *obj, const char *where, const char *key, int *out) {
    const cJSON *v = get(obj, key);
    if (!v || cJSON_IsNull(v)) return TEAI_OK;
    if (!cJSON_IsBool(v))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: %s%s: expected true or false", r->name, where,
                          key);
    *out = cJSON_IsTrue(v);
    return TEAI_OK;
}

/* A string from the file, fit for a one-line message. */
typedef struct shown {
    char s[200];
} shown;

static shown show(const char *s) {
    shown o;
    teai__tok_show(s, strlen(s), o.s, sizeof o.s);
    return o;
}

/* A token id: an integral number in [0, 2^24). */
static int get_id(const cJSON *v, int32_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d < (double)TEAI__MAX_VOCAB) || d != (double)(int32_t)d) return 0;
    *out = (int32_t)d;
    return 1;
}

/* A special token in tokenizer_config.json: "text" or {"content": "text"}. */
static const char *token_content(const cJSON *v) {
    if (cJSON_IsString(v)) return v->valuestring;
    const cJSON *c = get(v, "content");
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* The steps of a normalizer / pre-tokenizer / post-processor: the item, or
 * the items of a Sequence (one level; nested Sequences are flattened). */
typedef struct steps {
    const cJSON *v[16];
    int n;
} steps;

static int collect(rd *r, const cJSON *item, const char *what, const char *list_key, steps *s,
                   int depth) {
    if (!item || cJSON_IsNull(item)) return TEAI_OK;
    const char *type = NULL;
    if (!cJSON_IsObject(item) || opt_str(r, item, what, "type", &type) || !type)
        return teai__fail(r->err, TEAI_EFORMAT, "%s: %s: expected an object with a \"type\"",
                          r->name, what);
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = get(item, list_key);
        if (!cJSON_IsArray(list))
            return teai__fail(r->err, TEAI_EFORMAT, "%s: %s.%s: expected an array", r->name, what,
                              list_key);
        if (depth > 4)
            return teai__fail(r->err, TEAI_EUNSUPPORTED, "%s: %s: Sequence nested too deep",
                              r->name, what);
        const cJSON *e;
        cJSON_ArrayForEach(e, list) {
            int rc = collect(r, e, what, list_key, s, depth + 1);
            if (rc) return rc;
        }
        return TEAI_OK;
    }
    if (s->n == (int)(sizeof s->v / sizeof *s->v))
        return teai__fail(r->err, TEAI_EUNSUPPORTED, "%s: %s: more than 16 steps", r->name, what);
    s->v[s->n++] = item;
    return TEAI_OK;
}

static const char *type_of(const cJSON *step) {
    const cJSON *t = get(step, "type");
    return cJSON_IsString(t) ? t->valuestring : "";
}

/* What the normalizer and pre-tokenizer say about the text pipeline. */
typedef struct pipeline {
    int byte_level;   /* ByteLevel pre-tokenizer */
    int pre;          /* teai__pre_kind of the split regex; -1 none */
    int metaspace;    /* spaces become "▁" */
    int prefix_space; /* a "▁" is prepended */
} pipeline;

static const char WS[] = "\xe2\x96\x81"; /* "▁" */

static int read_normalizer(rd *r, const cJSON *root, pipeline *p) {
    steps s = {0};
    int rc = collect(r, get(root, "normalizer"), "normalizer", "normalizers", &s, 0);
    if (rc) return rc;
    for (int i = 0; i < s.n; i++) {
        const char *type = type_of(s.v[i]);
        if (strcmp(type, "Prepend") == 0) {
            const char *pre;
            if ((rc = opt_str(r, s.v[i], "normalizer.Prepend.", "prepend", &pre))) return rc;
            if (!pre || strcmp(pre, WS) != 0)
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: normalizer: Prepend of anything but \"\\u2581\"", r->name);
            p->prefix_space = 1;
        } else if (strcmp(type, "Replace") == 0) {
            const char *from = NULL, *to;
            if ((rc = opt_str(r, get(s.v[i], "pattern"), "normalizer.Replace.pattern.", "String",
                              &from)) ||
                (rc = opt_str(r, s.v[i], "normalizer.Replace.", "content", &to)))
                return rc;
            if (!from || !to || strcmp(from, " ") != 0 || strcmp(to, WS) != 0)
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: normalizer: Replace other than \" \" -> \"\\u2581\"",
                                  r->name);
            p->metaspace = 1;
        } else if (strcmp(type, "NFC") == 0) {
            /* Not applied (llama.cpp does not either); NFC text is unchanged. */
        } else {
            return teai__fail(r->err, TEAI_EUNSUPPORTED, "%s: normalizer: %s is not supported",
                              r->name, show(type).s);
        }
    }
    return TEAI_OK;
}

static int read_pre_tokenizer(rd *r, const cJSON *root, pipeline *p) {
    steps s = {0};
    int rc = collect(r, get(root, "pre_tokenizer"), "pre_tokenizer", "pretokenizers", &s, 0);
    if (rc) return rc;
    for (int i = 0; i < s.n; i++) {
        const cJSON *st = s.v[i];
        const char *type = type_of(st);
        if (strcmp(type, "ByteLevel") == 0) {
            int add_prefix = 0, use_regex = 1;
            if ((rc = opt_bool(r, st, "pre_tokenizer.ByteLevel.", "add_prefix_space",
                               &add_prefix)) ||
                (rc = opt_bool(r, st, "pre_tokenizer.ByteLevel.", "use_regex", &use_regex)))
                return rc;
            if (add_prefix)
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: pre_tokenizer: ByteLevel add_prefix_space is not supported",
                                  r->name);
            if (use_regex) {
                if (p->pre >= 0)
                    return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                      "%s: pre_tokenizer: two split regexes", r->name);
                p->pre = TEAI__PRE_GPT2;
            }
            p->byte_level = 1;
        } else if (strcmp(type, "Split") == 0) {
            const char *regex = NULL, *behavior = NULL;
            int invert = 0;
            if ((rc = opt_str(r, get(st, "pattern"), "pre_tokenizer.Split.pattern.", "Regex",
                              &regex)) ||
                (rc = opt_str(r, st, "pre_tokenizer.Split.", "behavior", &behavior)) ||
                (rc = opt_bool(r, st, "pre_tokenizer.Split.", "invert", &invert)))
                return rc;
            int pre = regex ? teai__pre_from_regex(regex) : -1;
            if (pre < 0)
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: pre_tokenizer: Split pattern %s is not one of the "
                                  "Llama 3, Qwen2 or GPT-2 regexes",
                                  r->name, regex ? show(regex).s : "(not a regex)");
            if (invert || (behavior && strcmp(behavior, "Isolated") != 0))
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: pre_tokenizer: Split behavior other than Isolated", r->name);
            if (p->pre >= 0)
                return teai__fail(r->err, TEAI_EUNSUPPORTED, "%s: pre_tokenizer: two split regexes",
                                  r->name);
            p->pre = pre;
        } else if (strcmp(type, "Metaspace") == 0) {
            const char *repl = NULL, *scheme = NULL;
            int add_prefix = 1;
            if ((rc = opt_str(r, st, "pre_tokenizer.Metaspace.", "replacement", &repl)) ||
                (rc = opt_str(r, st, "pre_tokenizer.Metaspace.", "prepend_scheme", &scheme)) ||
                (rc = opt_bool(r, st, "pre_tokenizer.Metaspace.", "add_prefix_space", &add_prefix)))
                return rc;
            if (repl && strcmp(repl, WS) != 0)
                return teai__fail(r->err, TEAI_EUNSUPPORTED,
                                  "%s: pre_tokenizer: Metaspace replacement other than \"\\u2581\"",
                                  r->name);
            p->metaspace = 1;
            p->prefix_space = scheme ? strcmp(scheme, "never") != 0 : add_prefix;
        } else {
            return teai__fail(r->err, TEAI_EUNSUPPORTED, "%s: pre_tokenizer: %s is not supported",
                              r->name, show(type).s);
        }
    }
    return TEAI_OK;
}

/* add_bos / add_eos and their tokens from a TemplateProcessing post-processor. */
static void read_post_processor(const cJSON *root, const char **bos, const char **eos, int *found) {
    steps s = {0};
    rd quiet = {"", NULL};
    *bos = *eos = NULL;
    *found = 0;
    if (collect(&quiet, get(root, "post_processor"), "post_processor", "processors", &s, 0)) return;
    for (int i = 0; i < s.n; i++) {
        if (strcmp(type_of(s.v[i]), "TemplateProcessing") != 0) continue;
        const cJSON *single = get(s.v[i], "single");
        if (!cJSON_IsArray(single)) continue;
        *found = 1;
        int seen_seq = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, single) {
            const cJSON *sp = get(e, "SpecialToken");
            const cJSON *id = get(sp, "id");
            if (get(e, "Sequence")) {
                seen_seq = 1;
            } else if (cJSON_IsString(id)) {
                if (!seen_seq && !*bos) *bos = id->valuestring;
                if (seen_seq) *eos = id->valuestring;
            }
        }
    }
}

static int is_byte_token(const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    return strlen(s) == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>' && strchr(hex, s[3]) &&
           strchr(hex, s[4]) && s[3] && s[4];
}

/* Merge i: "left right" or ["left", "right"]. */
static int merge_parts(rd *r, const cJSON *m, int64_t i, const char **l, size_t *ln,
                       const char **rt, size_t *rn) {
    if (cJSON_IsString(m)) {
        const char *s = m->valuestring;
        size_t n = strlen(s);
        const char *sp = n > 1 ? memchr(s + 1, ' ', n - 1) : NULL;
        if (!sp)
            return teai__fail(r->err, TEAI_EFORMAT,
                              "%s: model.merges[%lld]: no space between the "
                              "two parts",
                              r->name, (long long)i);
        *l = s;
        *ln = (size_t)(sp - s);
        *rt = sp + 1;
        *rn = n - *ln - 1;
        return TEAI_OK;
    }
    if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
        cJSON_IsString(m->child->next)) {
        *l = m->child->valuestring;
        *ln = strlen(*l);
        *rt = m->child->next->valuestring;
        *rn = strlen(*rt);
        return TEAI_OK;
    }
    return teai__fail(r->err, TEAI_EFORMAT,
                      "%s: model.merges[%lld]: expected \"a b\" or [\"a\", \"b\"]", r->name,
                      (long long)i);
}

static int build(rd *r, const cJSON *root, const cJSON *config, teai_tokenizer **out) {
    int rc;
    if (!cJSON_IsObject(root))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: expected a JSON object", r->name);
    const cJSON *model = get(root, "model");
    if (!cJSON_IsObject(model))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: model: missing or not an object", r->name);
    const char *mtype = NULL;
    if ((rc = opt_str(r, model, "model.", "type", &mtype))) return rc;
    if (mtype && strcmp(mtype, "BPE") != 0)
        return teai__fail(r->err, TEAI_EUNSUPPORTED,
                          "%s: model.type: %s tokenizers are not supported (BPE only)", r->name,
                          show(mtype).s);
    const cJSON *vocab = get(model, "vocab");
    if (!cJSON_IsObject(vocab))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: model.vocab: missing or not an object",
                          r->name);
    const cJSON *merges = get(model, "merges");
    if (merges && !cJSON_IsNull(merges) && !cJSON_IsArray(merges))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: model.merges: expected an array", r->name);
    int byte_fallback = 0, ignore_merges = 0;
    const char *unk_text = NULL, *cont = NULL, *suffix = NULL;
    if ((rc = opt_bool(r, model, "model.", "byte_fallback", &byte_fallback)) ||
        (rc = opt_bool(r, model, "model.", "ignore_merges", &ignore_merges)) ||
        (rc = opt_str(r, model, "model.", "unk_token", &unk_text)) ||
        (rc = opt_str(r, model, "model.", "continuing_subword_prefix", &cont)) ||
        (rc = opt_str(r, model, "model.", "end_of_word_suffix", &suffix)))
        return rc;
    if ((cont && *cont) || (suffix && *suffix))
        return teai__fail(r->err, TEAI_EUNSUPPORTED,
                          "%s: model: continuing_subword_prefix / end_of_word_suffix are not "
                          "supported",
                          r->name);
    const cJSON *added = get(root, "added_tokens");
    if (added && !cJSON_IsNull(added) && !cJSON_IsArray(added))
        return teai__fail(r->err, TEAI_EFORMAT, "%s: added_tokens: expected an array", r->name);

    pipeline p = {0, -1, 0, 0};
    if ((rc = read_normalizer(r, root, &p)) || (rc = read_pre_tokenizer(r, root, &p))) return rc;
    teai__tok_kind kind;
    if (p.byte_level) {
        if (p.metaspace || p.prefix_space)
            return teai__fail(r->err, TEAI_EUNSUPPORTED,
                              "%s: pre_tokenizer: ByteLevel together with \"\\u2581\" spaces",
                              r->name);
        if (p.pre < 0)
            return teai__fail(r->err, TEAI_EUNSUPPORTED,
                              "%s: pre_tokenizer: ByteLevel without a split regex", r->name);
        kind = TEAI__TOK_BPE;
    } else if (p.metaspace || byte_fallback) {
        if (p.pre >= 0)
            return teai__fail(r->err, TEAI_EUNSUPPORTED,
                              "%s: pre_tokenizer: a split regex without ByteLevel", r->name);
        kind = TEAI__TOK_SPM;
    } else {
        return teai__fail(r->err, TEAI_EUNSUPPORTED,
                          "%s: neither byte-level (ByteLevel) nor SentencePiece-style "
                          "(byte_fallback, \"\\u2581\") BPE",
                          r->name);
    }

    /* Ids must be 0..n-1, each named by model.vocab or added_tokens. */
    int64_t n_entries = 0;
    int32_t max_id = -1, id;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!get_id(e, &id))
            return teai__fail(r->err, TEAI_EFORMAT,
                              "%s: model.vocab: entry %lld: expected an id "
                              "in 0..16777215",
                              r->name, (long long)n_entries);
        if (id > max_id) max_id = id;
        n_entries++;
    }
    int64_t i = 0;
    cJSON_ArrayForEach(e, added) {
        const cJSON *content = get(e, "content");
        if (!get_id(get(e, "id"), &id) || !cJSON_IsString(content))
            return teai__fail(r->err, TEAI_EFORMAT,
                              "%s: added_tokens[%lld]: expected an id in 0..16777215 and a "
                              "content string",
                              r->name, (long long)i);
        if (id > max_id) max_id = id;
        n_entries++;
        i++;
    }
    if (max_id < 0) return teai__fail(r->err, TEAI_EFORMAT, "%s: model.vocab: empty", r->name);
    if ((int64_t)max_id + 1 > n_entries)
        return teai__fail(r->err, TEAI_EFORMAT,
                          "%s: model.vocab: ids go up to %d but there are only %lld tokens",
                          r->name, (int)max_id, (long long)n_entries);
    int32_t n_vocab = max_id + 1;

    teai_tokenizer *t;
    if (teai__tok_alloc(n_vocab, kind, &t))
        return teai__fail(r->err, TEAI_ENOMEM, "%s: out of memory", r->name);
    uint8_t *have = calloc((size_t)n_vocab, 1);
    if (!have) {
        rc = teai__fail(r->err, TEAI_ENOMEM, "%s: out of memory", r->name);
        goto fail;
    }
    if (kind == TEAI__TOK_BPE) {
        t->pre = (teai__pre_kind)p.pre;
        snprintf(t->pre_name, sizeof t->pre_name, "%s", teai__pre_name(t->pre));
        /* As llama.cpp: Llama 3 keeps whole-token words whatever the file says. */
        t->ignore_merges = ignore_merges || t->pre == TEAI__PRE_LLAMA3;
    } else {
        t->add_space_prefix = p.prefix_space;
    }
    cJSON_ArrayForEach(e, vocab) {
        get_id(e, &id);
        if (!e->string || teai__tok_set_text(t, id, e->string, strlen(e->string))) goto oom;
        have[id] = 1;
        if (kind == TEAI__TOK_SPM && byte_fallback && is_byte_token(e->string))
            t->type[id] = TEAI__TOKEN_BYTE;
    }
    cJSON_ArrayForEach(e, added) {
        const char *content = get(e, "content")->valuestring;
        int special = 0;
        get_id(get(e, "id"), &id);
        if ((rc = opt_bool(r, e, "added_tokens[].", "special", &special))) goto fail;
        if (teai__tok_set_text(t, id, content, strlen(content))) goto oom;
        have[id] = 1;
        t->type[id] = special ? TEAI__TOKEN_CONTROL : TEAI__TOKEN_USER_DEFINED;
    }
    for (id = 0; id < n_vocab; id++) {
        if (!have[id]) {
            rc = teai__fail(r->err, TEAI_EFORMAT, "%s: model.vocab: no token has id %d", r->name,
                            (int)id);
            goto fail;
        }
    }
    if (teai__tok_index(t)) goto oom;
    if (unk_text) {
        t->unk = teai__tok_lookup(t, unk_text, strlen(unk_text));
        if (t->unk < 0) {
            rc = teai__fail(r->err, TEAI_EFORMAT, "%s: model.unk_token: '%s' is not a token",
                            r->name, show(unk_text).s);
            goto fail;
        }
        t->type[t->unk] = TEAI__TOKEN_UNKNOWN;
    }

    i = 0;
    cJSON_ArrayForEach(e, merges) {
        const char *l = NULL, *rt = NULL;
        size_t ln = 0, rn = 0;
        char what[600];
        if ((rc = merge_parts(r, e, i, &l, &ln, &rt, &rn))) goto fail;
        snprintf(what, sizeof what, "%s: model.merges[%lld]", r->name, (long long)i);
        if ((rc = teai__tok_add_merge(t, l, ln, rt, rn, what, r->err))) goto fail;
        i++;
    }
    if (kind == TEAI__TOK_SPM) {
        /* Scores from merge order; merges themselves are not kept. */
        for (id = 0; id < n_vocab; id++)
            t->score[id] = t->type[id] == TEAI__TOKEN_NORMAL ? -(float)(t->n_merges + id) : 0.0f;
        for (int32_t k = t->n_merges - 1; k >= 0; k--) {
            int32_t res = t->merge_result[k];
            if (t->type[res] == TEAI__TOKEN_NORMAL) t->score[res] = -(float)k;
        }
        free(t->merge_left);
        free(t->merge_right);
        free(t->merge_result);
        t->merge_left = t->merge_right = t->merge_result = NULL;
        t->n_merges = 0;
    }

    /* Special tokens and flags: tokenizer_config.json first, then the
     * post-processor, then the usual texts and defaults. */
    const char *bos_text = NULL, *eos_text = NULL;
    /* Defaults as llama.cpp's for GGUF files without add_bos_token. */
    int add_bos = kind == TEAI__TOK_SPM || t->pre == TEAI__PRE_LLAMA3, add_eos = 0, found_pp = 0;
    read_post_processor(root, &bos_text, &eos_text, &found_pp);
    if (found_pp) {
        add_bos = bos_text != NULL;
        add_eos = eos_text != NULL;
    }
    if (!bos_text) bos_text = kind == TEAI__TOK_SPM ? "<s>" : "<|begin_of_text|>";
    if (!eos_text)
        eos_text = kind == TEAI__TOK_SPM                             ? "</s>"
                   : teai__tok_lookup(t, "<|end_of_text|>", 15) >= 0 ? "<|end_of_text|>"
                                                                     : "<|endoftext|>";
    if (config) {
        const cJSON *v;
        if ((v = get(config, "bos_token"))) bos_text = token_content(v); /* null: none */
        if ((v = get(config, "eos_token"))) eos_text = token_content(v);
        if (t->unk < 0 && (v = get(config, "unk_token")) && token_content(v))
            t->unk = teai__tok_lookup(t, token_content(v), strlen(token_content(v)));
        if ((v = get(config, "pad_token")) && token_content(v))
            t->pad = teai__tok_lookup(t, token_content(v), strlen(token_content(v)));
        if ((rc = opt_bool(r, config, "tokenizer_config.json: ", "add_bos_token", &add_bos)) ||
            (rc = opt_bool(r, config, "tokenizer_config.json: ", "add_eos_token", &add_eos)))
            goto fail;
        const cJSON *tmpl = get(config, "chat_template");
        const char *tt = cJSON_IsString(tmpl) ? tmpl->valuestring : NULL;
        if (cJSON_IsArray(tmpl)) { /* [{"name": ..., "template": ...}]: "default", else the first */
            cJSON_ArrayForEach(e, tmpl) {
                const cJSON *nm = get(e, "name"), *tx = get(e, "template");
                if (!cJSON_IsString(tx)) continue;
                if (!tt || (cJSON_IsString(nm) && strcmp(nm->valuestring, "default") == 0))
                    tt = tx->valuestring;
            }
        }
        if (tt && !(t->chat_template = strdup(tt))) goto oom;
    }
    if (bos_text) t->bos = teai__tok_lookup(t, bos_text, strlen(bos_text));
    if (eos_text) t->eos = teai__tok_lookup(t, eos_text, strlen(eos_text));
    t->add_bos = add_bos;
    t->add_eos = add_eos;
    free(have);
    have = NULL;
    if ((rc = teai__tok_finish(t, r->name, r->err))) goto fail;
    *out = t;
    return TEAI_OK;
oom:
    rc = teai__fail(r->err, TEAI_ENOMEM, "%s: out of memory", r->name);
fail:
    free(have);
    teai__tokenizer_free(t);
    return rc;
}

static int parse(const char *name, const char *what, const char *text, size_t len, cJSON **out,
                 teai_error *err) {
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!*out) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return teai__fail(err, TEAI_EFORMAT, "%s: %s: invalid JSON near byte %zu", name, what, at);
    }
    return TEAI_OK;
}

int teai__tokenizer_from_hf_mem(const char *json, size_t len, const char *config, size_t config_len,
                                const char *name, teai_tokenizer **out, teai_error *err) {
    *out = NULL;
    if (!json) return teai__fail(err, TEAI_EINVAL, "tokenizer.json: no data");
    if (!name) name = "tokenizer.json";
    cJSON *root = NULL, *cfg = NULL;
    int rc = parse(name, "tokenizer.json", json, len, &root, err);
    if (!rc && config) rc = parse(name, "tokenizer_config.json", config, config_len, &cfg, err);
    if (!rc && cfg && !cJSON_IsObject(cfg))
        rc = teai__fail(err, TEAI_EFORMAT, "%s: tokenizer_config.json: expected a JSON object",
                        name);
    if (!rc) {
        rd r = {name, err};
        rc = build(&r, root, cfg, out);
    }
    cJSON_Delete(root);
    cJSON_Delete(cfg);
    return rc;
}

int teai__tokenizer_from_hf(const char *dir, teai_tokenizer **out, teai_error *err) {
    char path[4096], cpath[4096];
    *out = NULL;
    if (!dir) return teai__fail(err, TEAI_EINVAL, "tokenizer: no folder");
    if ((size_t)snprintf(path, sizeof path, "%s/tokenizer.json", dir) >= sizeof path ||
        (size_t)snprintf(cpath, sizeof cpath, "%s/tokenizer_config.json", dir) >= sizeof cpath)
        return teai__fail(err, TEAI_EINVAL, "%s: path too long", dir);
    char *json = NULL, *config = NULL;
    size_t len = 0, config_len = 0;
    int rc = teai__read_file(path, MAX_JSON_BYTES, &json, &len, err);
    if (rc) return rc;
    if (access(cpath, F_OK) == 0)
        rc = teai__read_file(cpath, MAX_JSON_BYTES, &config, &config_len, err);
    if (!rc) rc = teai__tokenizer_from_hf_mem(json, len, config, config_len, path, out, err);
    free(json);
    free(config);
    return rc;
}

#else /* !TEAI_HAVE_CJSON */

int teai__tokenizer_from_hf_mem(const char *json, size_t len, const char *config, size_t config_len,
                                const char *name, teai_tokenizer **out, teai_error *err) {
    *out = NULL;
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON (install libcjson-dev)",
                      name ? name : "tokenizer.json");
}

int teai__tokenizer_from_hf(const char *dir, teai_tokenizer **out, teai_error *err) {
    *out = NULL;
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON (install libcjson-dev)",
                      dir ? dir : "tokenizer.json");
}

#endif
