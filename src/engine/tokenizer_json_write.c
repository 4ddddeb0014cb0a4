/* Hugging Face tokenizer.json + tokenizer_config.json writer (no cJSON
 * needed). What it writes, tokenizer_json.c reads back into a tokenizer
 * that gives the same ids, and the transformers library loads as a
 * PreTrainedTokenizerFast.
 *
 * SentencePiece ("llama") vocabularies have scores, Hugging Face BPE has
 * merges: the merges are derived as transformers' SentencePieceExtractor
 * does (every split of a token into two tokens, ordered by the merged
 * token's score, then ids). */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* JSON string literal (token texts are UTF-8; anything else would not be
 * JSON and becomes U+FFFD). */
static int jstr(teai_buf *b, const char *s, size_t n) {
    return teai__json_str(b, s, n, NULL);
}

static int jtok(teai_buf *b, const teai_tokenizer *t, int32_t id) {
    if (id < 0) return teai_buf_addstr(b, "null");
    return jstr(b, teai__tok_text(t, id), t->len[id]);
}

/* ---- SentencePiece merges ------------------------------------------------ */

typedef struct spm_merge {
    float score; /* of the merged token */
    int32_t result, left, right;
} spm_merge;

static int cmp_spm_merge(const void *a, const void *b) {
    const spm_merge *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->result != y->result) return x->result < y->result ? -1 : 1;
    if (x->left != y->left) return x->left < y->left ? -1 : 1;
    return (x->right > y->right) - (x->right < y->right);
}

static int spm_merges(const teai_tokenizer *t, spm_merge **out, size_t *n_out) {
    size_t n = 0, cap = 1024;
    spm_merge *v = malloc(cap * sizeof *v);
    if (!v) return TEAI_ENOMEM;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (t->type[id] != TEAI__TOKEN_NORMAL) continue;
        const char *s = teai__tok_text(t, id);
        uint32_t len = t->len[id];
        /* split at every character boundary after the first character */
        for (uint32_t k = (uint32_t)teai__utf8_len((uint8_t)s[0]); k < len;
             k += (uint32_t)teai__utf8_len((uint8_t)s[k])) {
            int32_t l = teai__tok_lookup(t, s, k), r = teai__tok_lookup(t, s + k, len - k);
            if (l < 0 || r < 0) continue;
            if (n == cap) {
                spm_merge *w = realloc(v, cap * 2 * sizeof *v);
                if (!w) {
                    free(v);
                    return TEAI_ENOMEM;
                }
                v = w;
                cap *= 2;
            }
            v[n++] = (spm_merge){t->score[id], id, l, r};
        }
    }
    qsort(v, n, sizeof *v, cmp_spm_merge);
    *out = v;
    *n_out = n;
    return TEAI_OK;
}

/* ---- tokenizer.json ------------------------------------------------------- */

static int is_added(const teai_tokenizer *t, int32_t id) {
    uint8_t ty = t->type[id];
    return ty == TEAI__TOKEN_CONTROL || ty == TEAI__TOKEN_USER_DEFINED || ty == TEAI__TOKEN_UNUSED;
}

static int any_space(const teai_tokenizer *t, const int32_t *l, const int32_t *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memchr(teai__tok_text(t, l[i]), ' ', t->len[l[i]]) ||
            memchr(teai__tok_text(t, r[i]), ' ', t->len[r[i]]))
            return 1;
    return 0;
}

static int write_merges(teai_buf *b, const teai_tokenizer *t, const int32_t *l, const int32_t *r,
                        size_t n) {
    /* "a b" strings unless a part has a space; then ["a", "b"] pairs. */
    int pairs = any_space(t, l, r, n);
    int rc = teai_buf_addstr(b, "[");
    for (size_t i = 0; i < n && !rc; i++) {
        if (i) rc = teai_buf_addstr(b, ",");
        if (rc) break;
        if (pairs) {
            rc = teai_buf_addstr(b, "[");
            if (!rc) rc = jtok(b, t, l[i]);
            if (!rc) rc = teai_buf_addstr(b, ",");
            if (!rc) rc = jtok(b, t, r[i]);
            if (!rc) rc = teai_buf_addstr(b, "]");
        } else {
            size_t ln = t->len[l[i]], rn = t->len[r[i]];
            char stack[256];
            char *s = ln + rn + 1 <= sizeof stack ? stack : malloc(ln + rn + 1);
            if (!s) return TEAI_ENOMEM;
            memcpy(s, teai__tok_text(t, l[i]), ln);
            s[ln] = ' ';
            memcpy(s + ln + 1, teai__tok_text(t, r[i]), rn);
            rc = jstr(b, s, ln + rn + 1);
            if (s != stack) free(s);
        }
    }
    if (!rc) rc = teai_buf_addstr(b, "]");
    return rc;
}

static int write_post_processor(teai_buf *b, const teai_tokenizer *t) {
    int bos = t->add_bos && t->bos >= 0, eos = t->add_eos && t->eos >= 0;
    if (!bos && !eos) return teai_buf_addstr(b, "null");
    int rc = teai_buf_addstr(b, "{\"type\":\"TemplateProcessing\",\"single\":[");
    for (int pass = 0; pass < 2 && !rc; pass++) { /* single, then pair */
        const char *ids[2] = {"A", "B"};
        for (int k = 0; k < 1 + pass && !rc; k++) {
            if (k) rc = teai_buf_addstr(b, ",");
            if (!rc && bos) {
                rc = teai_buf_addstr(b, "{\"SpecialToken\":{\"id\":");
                if (!rc) rc = jtok(b, t, t->bos);
                if (!rc) rc = teai_buf_printf(b, ",\"type_id\":%d}},", k);
            }
            if (!rc)
                rc = teai_buf_printf(b, "{\"Sequence\":{\"id\":\"%s\",\"type_id\":%d}}", ids[k], k);
            if (!rc && eos) {
                rc = teai_buf_addstr(b, ",{\"SpecialToken\":{\"id\":");
                if (!rc) rc = jtok(b, t, t->eos);
                if (!rc) rc = teai_buf_printf(b, ",\"type_id\":%d}}", k);
            }
        }
        if (!rc) rc = teai_buf_addstr(b, pass == 0 ? "],\"pair\":[" : "],\"special_tokens\":{");
    }
    int32_t sp[2] = {bos ? t->bos : -1, eos ? t->eos : -1};
    if (sp[0] == sp[1]) sp[1] = -1;
    int first = 1;
    for (int k = 0; k < 2 && !rc; k++) {
        if (sp[k] < 0) continue;
        if (!first) rc = teai_buf_addstr(b, ",");
        first = 0;
        if (!rc) rc = jtok(b, t, sp[k]);
        if (!rc) rc = teai_buf_addstr(b, ":{\"id\":");
        if (!rc) rc = jtok(b, t, sp[k]);
        if (!rc) rc = teai_buf_printf(b, ",\"ids\":[%d],\"tokens\":[", (int)sp[k]);
        if (!rc) rc = jtok(b, t, sp[k]);
        if (!rc) rc = teai_buf_addstr(b, "]}");
    }
    if (!rc) rc = teai_buf_addstr(b, "}}");
    return rc;
}

static int tokenizer_json(teai_buf *b, const teai_tokenizer *t) {
    int spm = t->kind == TEAI__TOK_SPM;
    int rc = teai_buf_addstr(b, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                                "\"added_tokens\":[");
    int first = 1;
    for (int32_t id = 0; id < t->n_vocab && !rc; id++) {
        if (!is_added(t, id)) continue;
        rc = teai_buf_printf(b, "%s{\"id\":%d,\"content\":", first ? "" : ",", (int)id);
        first = 0;
        if (!rc) rc = jtok(b, t, id);
        if (!rc)
            rc = teai_buf_printf(b,
                                 ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                                 "\"normalized\":false,\"special\":%s}",
                                 t->type[id] == TEAI__TOKEN_USER_DEFINED ? "false" : "true");
    }
    if (rc) return rc;

    if (spm) {
        rc = teai_buf_addstr(b, "],\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[");
        if (!rc && t->add_space_prefix)
            rc = teai_buf_addstr(b, "{\"type\":\"Prepend\",\"prepend\":\"\xe2\x96\x81\"},");
        if (!rc)
            rc = teai_buf_addstr(b, "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},"
                                    "\"content\":\"\xe2\x96\x81\"}]},\"pre_tokenizer\":null,");
    } else {
        rc = teai_buf_addstr(b, "],\"normalizer\":null,\"pre_tokenizer\":");
        if (!rc && t->pre == TEAI__PRE_GPT2) {
            rc = teai_buf_addstr(b, "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                                    "\"trim_offsets\":true,\"use_regex\":true},");
        } else if (!rc) {
            const char *re = teai__pre_regex(t->pre);
            rc = teai_buf_addstr(b, "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
                                    "\"pattern\":{\"Regex\":");
            if (!rc) rc = jstr(b, re ? re : "", re ? strlen(re) : 0);
            if (!rc)
                rc = teai_buf_addstr(b, "},\"behavior\":\"Isolated\",\"invert\":false},"
                                        "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                                        "\"trim_offsets\":true,\"use_regex\":false}]},");
        }
    }
    if (!rc) rc = teai_buf_addstr(b, "\"post_processor\":");
    if (!rc) rc = write_post_processor(b, t);
    if (!rc && spm)
        rc = teai_buf_addstr(
            b, ",\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\","
               "\"pattern\":{\"String\":\"\xe2\x96\x81\"},\"content\":\" \"},{\"type\":"
               "\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \","
               "\"start\":1,\"stop\":0}]},");
    else if (!rc)
        rc = teai_buf_addstr(b, ",\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
                                "\"trim_offsets\":true,\"use_regex\":true},");
    /* model.unk_token makes its token UNKNOWN when read back; other unk ids
     * go only to tokenizer_config.json. */
    int32_t unk = t->unk >= 0 && t->type[t->unk] == TEAI__TOKEN_UNKNOWN ? t->unk : -1;
    if (!rc) rc = teai_buf_addstr(b, "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":");
    if (!rc) rc = jtok(b, t, unk);
    if (!rc)
        rc = teai_buf_printf(b,
                             ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,"
                             "\"fuse_unk\":%s,\"byte_fallback\":%s,\"ignore_merges\":%s,"
                             "\"vocab\":{",
                             spm ? "true" : "false", spm ? "true" : "false",
                             t->ignore_merges ? "true" : "false");
    /* SentencePiece vocabularies list every token (as Llama 2's file);
     * byte-level ones leave the added tokens out (as Llama 3's). */
    first = 1;
    for (int32_t id = 0; id < t->n_vocab && !rc; id++) {
        if (!spm && is_added(t, id)) continue;
        if (!first) rc = teai_buf_addstr(b, ",");
        first = 0;
        if (!rc) rc = jtok(b, t, id);
        if (!rc) rc = teai_buf_printf(b, ":%d", (int)id);
    }
    if (!rc) rc = teai_buf_addstr(b, "},\"merges\":");
    if (rc) return rc;
    if (spm) {
        spm_merge *m = NULL;
        size_t n = 0;
        rc = spm_merges(t, &m, &n);
        int32_t *l = rc ? NULL : malloc((n + 1) * sizeof *l);
        int32_t *r = rc ? NULL : malloc((n + 1) * sizeof *r);
        if (!rc && (!l || !r)) rc = TEAI_ENOMEM;
        for (size_t i = 0; i < n && !rc; i++) {
            l[i] = m[i].left;
            r[i] = m[i].right;
        }
        if (!rc) rc = write_merges(b, t, l, r, n);
        free(m);
        free(l);
        free(r);
    } else {
        rc = write_merges(b, t, t->merge_left, t->merge_right, (size_t)t->n_merges);
    }
    if (!rc) rc = teai_buf_addstr(b, "}}\n");
    return rc;
}

static int tokenizer_config(teai_buf *b, const teai_tokenizer *t, const char *chat_template) {
    int rc = teai_buf_printf(b, "{\n  \"add_bos_token\": %s,\n  \"add_eos_token\": %s,\n",
                             t->add_bos ? "true" : "false", t->add_eos ? "true" : "false");
    const struct {
        const char *key;
        int32_t id;
    } toks[] = {
        {"bos_token", t->bos}, {"eos_token", t->eos}, {"unk_token", t->unk}, {"pad_token", t->pad}};
    for (size_t i = 0; i < sizeof toks / sizeof *toks && !rc; i++) {
        rc = teai_buf_printf(b, "  \"%s\": ", toks[i].key);
        if (!rc) rc = jtok(b, t, toks[i].id);
        if (!rc) rc = teai_buf_addstr(b, ",\n");
    }
    if (!rc && chat_template) {
        rc = teai_buf_addstr(b, "  \"chat_template\": ");
        if (!rc) rc = jstr(b, chat_template, strlen(chat_template));
        if (!rc) rc = teai_buf_addstr(b, ",\n");
    }
    if (!rc)
        rc = teai_buf_addstr(b, "  \"clean_up_tokenization_spaces\": false,\n"
                                "  \"tokenizer_class\": \"PreTrainedTokenizerFast\"\n}\n");
    return rc;
}

int teai__tokenizer_write_hf(const teai_tokenizer *t, const char *dir, const char *chat_template,
                             teai_error *err) {
    char path[4096];
    if (!t || !dir) return teai__fail(err, TEAI_EINVAL, "tokenizer.json: nothing to write");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return teai__fail(err, TEAI_EIO, "%s: %s", dir, strerror(errno));
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = tokenizer_json(&b, t);
    if (rc) {
        teai_buf_free(&b);
        return teai__fail(err, rc, "%s/tokenizer.json: out of memory", dir);
    }
    if ((size_t)snprintf(path, sizeof path, "%s/tokenizer.json", dir) >= sizeof path) {
        teai_buf_free(&b);
        return teai__fail(err, TEAI_EINVAL, "%s: path too long", dir);
    }
    rc = teai__write_file_atomic(path, b.data, b.len, err);
    b.len = 0;
    if (!rc && tokenizer_config(&b, t, chat_template))
        rc = teai__fail(err, TEAI_ENOMEM, "%s/tokenizer_config.json: out of memory", dir);
    if (!rc) {
        snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
        rc = teai__write_file_atomic(path, b.data, b.len, err);
    }
    teai_buf_free(&b);
    return rc;
}
