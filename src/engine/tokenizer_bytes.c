/* The synthetic byte-level vocabulary for models made without a real one
 * (teai model synth): Llama 3's format, so llama.cpp loads it too. */
#include "tokenizer_impl.h"
#include "unicode.h"

#include <stdio.h>
#include <string.h>

int teai__tokenizer_new_bytes(int n_vocab, teai_tokenizer **out, teai_error *err) {
    /* Common English pairs, in rank order; each part is a byte or an earlier merge. */
    static const char *const merges[][2] = {
        {"\xc4\xa0", "t"}, {"h", "e"},          {"i", "n"}, {"r", "e"},
        {"o", "n"},        {"\xc4\xa0t", "he"}, {"e", "r"}, {"\xc4\xa0", "a"},
        {"a", "t"},        {"e", "n"},          {"o", "r"}, {"\xc4\xa0", "s"},
        {"\xc4\xa0", "w"}, {"\xc4\xa0", "o"},   {"n", "d"}, {"e", "s"},
    };
    static const char *const specials[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
                                           "<|start_header_id|>", "<|end_header_id|>"};
    const int n_merges = (int)(sizeof merges / sizeof *merges);
    const int n_specials = (int)(sizeof specials / sizeof *specials);
    *out = NULL;
    if (n_vocab < 300 || n_vocab > TEAI__MAX_VOCAB)
        return teai__fail(err, TEAI_EINVAL,
                          "byte-level vocabulary: n_vocab %d out of range (300..%d)", n_vocab,
                          TEAI__MAX_VOCAB);
    teai_tokenizer *t;
    if (teai__tok_alloc(n_vocab, TEAI__TOK_BPE, &t))
        return teai__fail(err, TEAI_ENOMEM, "byte-level vocabulary: out of memory");
    int rc = TEAI_OK;
    int32_t id = 0;
    for (int b = 0; b < 256 && !rc; b++, id++) {
        char s[4];
        int n = teai__utf8_encode(teai__byte_to_cp((uint8_t)b), s);
        rc = teai__tok_set_text(t, id, s, (size_t)n);
    }
    for (int i = 0; i < n_merges && !rc; i++, id++) {
        char s[32];
        int n = snprintf(s, sizeof s, "%s%s", merges[i][0], merges[i][1]);
        rc = teai__tok_set_text(t, id, s, (size_t)n);
    }
    for (int i = 0; i < n_specials && !rc; i++, id++) {
        rc = teai__tok_set_text(t, id, specials[i], strlen(specials[i]));
        t->type[id] = TEAI__TOKEN_CONTROL;
    }
    for (int k = 0; id < n_vocab && !rc; k++, id++) {
        char s[48];
        int n = snprintf(s, sizeof s, "<|reserved_special_token_%d|>", k);
        rc = teai__tok_set_text(t, id, s, (size_t)n);
        t->type[id] = TEAI__TOKEN_CONTROL;
    }
    if (!rc) rc = teai__tok_index(t);
    for (int i = 0; i < n_merges && !rc; i++)
        rc = teai__tok_add_merge(t, merges[i][0], strlen(merges[i][0]), merges[i][1],
                                 strlen(merges[i][1]), "byte-level vocabulary: merge", err);
    if (rc) {
        teai__tokenizer_free(t);
        return rc == TEAI_ENOMEM ? teai__fail(err, rc, "byte-level vocabulary: out of memory") : rc;
    }
    int32_t first_special = 256 + n_merges;
    t->bos = first_special;
    t->eos = first_special + 1;
    t->eot = first_special + 2;
    t->add_bos = 1;
    t->ignore_merges = 1;
    teai__tok_set_pre(t, "llama-bpe");
    rc = teai__tok_finish(t, "byte-level vocabulary", err);
    if (rc) {
        teai__tokenizer_free(t);
        return rc;
    }
    *out = t;
    return TEAI_OK;
}
