/* Tokenizers of the built-in engine (internal API; the public calls are in
 * include/teai/engine.h). Two kinds, as llama.cpp names them in GGUF:
 *   "gpt2"  byte-level BPE with merge ranks, pre-tokenized by the Llama 3,
 *           Qwen2 or GPT-2 split regex (hand-written matchers);
 *   "llama" SentencePiece BPE: spaces become "▁", adjacent pieces merge by
 *           highest score, unknown bytes fall back to <0xXX> tokens.
 * Sources: GGUF tokenizer.ggml.* keys, or a Hugging Face tokenizer.json (+
 * tokenizer_config.json). Both can also be written.
 *
 * A teai_tokenizer is immutable once built: any number of threads may
 * tokenize with it at once. Owned by the caller; free with
 * teai__tokenizer_free(). */
#ifndef TEAI_TOKENIZER_H
#define TEAI_TOKENIZER_H

#include "gguf.h"
#include "teai/engine.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

/* Token types: GGUF tokenizer.ggml.token_type numbering. */
typedef enum teai__token_type {
    TEAI__TOKEN_UNDEFINED = 0,
    TEAI__TOKEN_NORMAL = 1,
    TEAI__TOKEN_UNKNOWN = 2,
    TEAI__TOKEN_CONTROL = 3,      /* special: BOS, EOS, <|eot_id|>, ... */
    TEAI__TOKEN_USER_DEFINED = 4, /* added tokens matched in text even without parse_special */
    TEAI__TOKEN_UNUSED = 5,
    TEAI__TOKEN_BYTE = 6 /* <0xXX> byte fallback */
} teai__token_type;

/* Reads the tokenizer.ggml.* keys of a GGUF file: model, pre, tokens, scores,
 * token_type, merges, bos/eos/eot/eom/unknown/padding ids, add_bos_token,
 * add_eos_token, add_space_prefix. (tokenizer.chat_template is not read.)
 * TEAI_EFORMAT names the key at fault; TEAI_EUNSUPPORTED for tokenizer
 * models or pre-tokenizers teai does not implement. */
int teai__tokenizer_from_gguf(const teai_gguf *g, teai_tokenizer **out, teai_error *err);

/* Reads dir/tokenizer.json and, when present, dir/tokenizer_config.json
 * (bos/eos tokens, add_bos_token, add_eos_token, chat_template). Supports BPE
 * models: byte-level (ByteLevel pre-tokenizer with the Llama 3, Qwen2 or GPT-2
 * split regex) and SentencePiece-style (byte_fallback, "▁" via Metaspace or
 * the Prepend/Replace normalizers). TEAI_EUNSUPPORTED "built without cJSON"
 * when teai was built without cJSON. */
int teai__tokenizer_from_hf(const char *dir, teai_tokenizer **out, teai_error *err);
/* Same over memory: tokenizer.json text (json, len bytes) and optional
 * tokenizer_config.json text (config may be NULL); name is used in messages. */
int teai__tokenizer_from_hf_mem(const char *json, size_t len, const char *config, size_t config_len,
                                const char *name, teai_tokenizer **out, teai_error *err);

/* Sets the tokenizer.ggml.* keys on a GGUF writer so that llama.cpp (and
 * teai__tokenizer_from_gguf) load the same tokenizer: model, pre, tokens,
 * token_type, scores ("llama" only), merges ("gpt2" only), special ids,
 * add_bos_token, add_eos_token, add_space_prefix ("llama" only). */
int teai__tokenizer_write_gguf(const teai_tokenizer *tok, teai_gguf_writer *w);

/* Writes dir/tokenizer.json and dir/tokenizer_config.json (each through a
 * temporary file and rename); teai__tokenizer_from_hf reads them back into a
 * tokenizer that gives the same ids for any text. chat_template may be NULL.
 * Does not need cJSON. */
int teai__tokenizer_write_hf(const teai_tokenizer *tok, const char *dir, const char *chat_template,
                             teai_error *err);

/* A small byte-level vocabulary for synthesized models without a real one:
 * "gpt2" model, pre "llama-bpe"; ids 0..255 are the bytes (GPT-2
 * byte-to-unicode strings), then 16 merged tokens ("Ġt", "he", "in", ...),
 * then <|begin_of_text|> (BOS), <|end_of_text|> (EOS), <|eot_id|>,
 * <|start_header_id|>, <|end_header_id|> (CONTROL), then
 * <|reserved_special_token_N|> (CONTROL) up to exactly n_vocab tokens.
 * Any byte string round-trips. TEAI_EINVAL unless n_vocab >= 300. */
int teai__tokenizer_new_bytes(int n_vocab, teai_tokenizer **out, teai_error *err);

void teai__tokenizer_free(teai_tokenizer *tok);

/* ---- inspection -------------------------------------------------------- */

/* Stored text of a token (byte-level strings as in the vocabulary, "▁" for
 * spaces in SentencePiece ones), or NULL when id is out of range. */
const char *teai__tokenizer_token_text(const teai_tokenizer *tok, int32_t id);
/* teai__token_type of id; -1 when out of range. */
int teai__tokenizer_token_type(const teai_tokenizer *tok, int32_t id);
float teai__tokenizer_token_score(const teai_tokenizer *tok, int32_t id);
/* Number of BPE merges ("gpt2"; 0 for "llama"). */
int teai__tokenizer_n_merges(const teai_tokenizer *tok);
/* Special ids beyond BOS/EOS; -1 when absent. */
int32_t teai__tokenizer_eot(const teai_tokenizer *tok);
int32_t teai__tokenizer_unk(const teai_tokenizer *tok);
int32_t teai__tokenizer_pad(const teai_tokenizer *tok);
/* Whether tokenize(add_bos=1) prepends BOS / appends EOS. */
int teai__tokenizer_adds_bos(const teai_tokenizer *tok);
int teai__tokenizer_adds_eos(const teai_tokenizer *tok);
/* chat_template read from tokenizer_config.json by teai__tokenizer_from_hf;
 * NULL otherwise. Owned by the tokenizer. */
const char *teai__tokenizer_chat_template(const teai_tokenizer *tok);

/* Text of ids[0..n) appended to out: the pieces concatenated, where the
 * SentencePiece leading space (add_space_prefix) is dropped from the first
 * piece that is not a control token, so decode(tokenize(text)) == text.
 * Control tokens are rendered only with render_special. */
int teai__tokenizer_decode(const teai_tokenizer *tok, const int32_t *ids, int n, int render_special,
                           teai_buf *out);

#endif
