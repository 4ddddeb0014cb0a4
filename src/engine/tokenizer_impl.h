/* Private to the tokenizer module (tokenizer*.c): the vocabulary object, its
 * construction steps, and the encoders. Everyone else uses tokenizer.h. */
#ifndef TEAI_TOKENIZER_IMPL_H
#define TEAI_TOKENIZER_IMPL_H

#include "tokenizer.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

/* Largest vocabulary accepted (ids are int32; real ones are < 1M). */
#define TEAI__MAX_VOCAB (1 << 24)

typedef enum teai__tok_kind {
    TEAI__TOK_BPE = 0, /* "gpt2": byte-level BPE with merge ranks */
    TEAI__TOK_SPM = 1  /* "llama": SentencePiece BPE merging by score, byte fallback */
} teai__tok_kind;

typedef enum teai__pre_kind {
    TEAI__PRE_DEFAULT = 0, /* SPM (no pre-tokenizer) */
    TEAI__PRE_LLAMA3,      /* Llama 3 split regex */
    TEAI__PRE_QWEN2,       /* Qwen2: as Llama 3 with single digits */
    TEAI__PRE_GPT2         /* GPT-2 regex */
} teai__pre_kind;

/* A growable array of token ids. */
typedef struct teai__ids {
    int32_t *v;
    size_t n, cap;
} teai__ids;

int teai__ids_push(teai__ids *ids, int32_t id); /* TEAI_ENOMEM */

struct teai_tokenizer {
    teai__tok_kind kind;
    teai__pre_kind pre;
    char pre_name[64]; /* tokenizer.ggml.pre as written to files */
    int32_t n_vocab;

    /* Token texts, NUL-terminated, in one arena: text of id = arena + off[id]. */
    char *arena;
    size_t arena_len, arena_cap;
    uint32_t *off; /* [n_vocab] */
    uint32_t *len; /* [n_vocab] bytes, excluding the NUL */
    float *score;  /* [n_vocab] SPM merge priority (higher merges first) */
    uint8_t *type; /* [n_vocab] teai__token_type */

    /* Text -> id: open addressing over ids, power-of-two size, -1 empty.
     * For duplicate texts the highest id wins (as llama.cpp's map). */
    int32_t *ht;
    uint32_t ht_mask;

    /* BPE merges in rank order, and (left, right) -> rank. */
    int32_t n_merges;
    int32_t *merge_left, *merge_right, *merge_result; /* [n_merges] */
    uint64_t *mh_key;                                 /* left << 32 | right; UINT64_MAX empty */
    int32_t *mh_rank;
    uint32_t mh_mask;

    /* BPE: token of each byte's one-character string; SPM: "<0xXX>" token
     * (or the byte as a one-character token); -1 if none. */
    int32_t byte_tok[256];

    int32_t bos, eos, eot, eom, unk, pad; /* -1 = none */
    int add_bos, add_eos;
    int add_space_prefix; /* SPM: prepend "▁" to text */
    int ignore_merges;    /* BPE: a pre-token word that is a token is not split */

    /* Tokens split out before encoding (CONTROL, USER_DEFINED, UNKNOWN),
     * longest text first, as llama.cpp's special-token cache. */
    int32_t *special;
    int32_t n_special;
    /* End-of-generation tokens, sorted. */
    int32_t *eog;
    int32_t n_eog;

    char *chat_template; /* from tokenizer_config.json; NULL if none */
};

/* ---- construction (tokenizer.c) --------------------------------------
 * teai__tok_alloc -> teai__tok_set_text for every id -> teai__tok_index ->
 * teai__tok_add_merge ... -> teai__tok_finish. Each step reports errors with
 * `name` (file name) in the message. */

int teai__tok_alloc(int32_t n_vocab, teai__tok_kind kind, teai_tokenizer **out);
/* Copies text for id; empty texts become "[EMPTY_<id>]" (llama.cpp). */
int teai__tok_set_text(teai_tokenizer *t, int32_t id, const char *s, size_t n);
/* Builds the text -> id table once all texts are set. */
int teai__tok_index(teai_tokenizer *t);
/* Adds merge of rank t->n_merges; TEAI_EFORMAT naming `what` when a part or
 * the merged text is not in the vocabulary. */
int teai__tok_add_merge(teai_tokenizer *t, const char *l, size_t ln, const char *r, size_t rn,
                        const char *what, teai_error *err);
/* Builds the merge table, byte tokens, special and end-of-generation lists;
 * checks special ids. */
int teai__tok_finish(teai_tokenizer *t, const char *name, teai_error *err);
/* Sets pre and pre_name from a tokenizer.ggml.pre name; TEAI_EUNSUPPORTED
 * for names without a matcher here. */
int teai__tok_set_pre(teai_tokenizer *t, const char *pre_name);

/* Hash of a merge key (left << 32 | right). */
static inline uint64_t teai__hash_pair(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    key ^= key >> 33;
    return key;
}

/* Text from a file, made fit for a one-line message in buf (cap >= 8): at
 * most 40 bytes, control bytes, quotes and backslashes escaped. Returns buf. */
const char *teai__tok_show(const char *s, size_t n, char *buf, size_t cap);

/* id of text, or -1. */
int32_t teai__tok_lookup(const teai_tokenizer *t, const char *s, size_t n);
static inline const char *teai__tok_text(const teai_tokenizer *t, int32_t id) {
    return t->arena + t->off[id];
}

/* ---- encoders -------------------------------------------------------- */

/* A candidate merge of two adjacent symbols, for both encoders' heaps: the
 * smallest key pops first, the leftmost on ties (BPE: the merge rank; SPM:
 * minus the merged token's score). a and b are the encoder's own check that
 * the bigram is not stale (BPE: both token ids; SPM: a = the merged size). */
typedef struct teai__bigram {
    double key;
    int32_t left, right; /* symbol indexes */
    int32_t a, b;
} teai__bigram;

typedef struct teai__bigram_heap {
    teai__bigram *v;
    size_t n, cap;
} teai__bigram_heap;

int teai__bigram_push(teai__bigram_heap *h, teai__bigram b); /* TEAI_ENOMEM */
teai__bigram teai__bigram_pop(teai__bigram_heap *h);         /* h->n > 0 */

/* Byte-level BPE of raw text (no special tokens in it) (tokenizer_bpe.c). */
int teai__bpe_encode(const teai_tokenizer *t, const char *text, size_t len, teai__ids *out);
/* SentencePiece BPE of raw text; prefix_space prepends "▁" (tokenizer_spm.c). */
int teai__spm_encode(const teai_tokenizer *t, const char *text, size_t len, int prefix_space,
                     teai__ids *out);

/* Pre-tokenizer (tokenizer_pre.c): splits text into words with the regex of
 * `pre`, calling emit(ctx, start, end) with byte offsets for each word in
 * order. Invalid UTF-8 bytes count as U+FFFD for matching and are kept. */
/* The Hugging Face split regex of a pre-tokenizer (NULL for DEFAULT), and
 * the pre-tokenizer a regex names (-1 if none matches; both the original
 * (?i:...) form and llama.cpp's (?:'[sS]...) form are recognized). */
const char *teai__pre_regex(teai__pre_kind pre);
int teai__pre_from_regex(const char *regex);
/* GGUF tokenizer.ggml.pre name written for a pre-tokenizer. */
const char *teai__pre_name(teai__pre_kind pre);
typedef int (*teai__pretok_emit)(void *ctx, size_t start, size_t end);
int teai__pretok_split(teai__pre_kind pre, const char *text, size_t len, teai__pretok_emit emit,
                       void *ctx);

#endif
