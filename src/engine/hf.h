/* Hugging Face model folders: config.json <-> teai_hparams, the special token
 * ids of generation_config.json, and finding a model a user names
 * ("meta-llama/Llama-3.2-1B") in the hub cache or the seed's models/ folder.
 *
 * Readers need cJSON: built without it they return TEAI_EUNSUPPORTED. The
 * writer and teai_hf_resolve() do not. */
#ifndef TEAI_HF_H
#define TEAI_HF_H

#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

/* Reads dir/config.json (or dir itself when it is a file) of a
 * LlamaForCausalLM ("llama") or Qwen2ForCausalLM ("qwen2") model into *hp.
 * Missing optional keys take transformers' defaults (num_key_value_heads =
 * heads, head_dim = hidden_size / heads, rope_theta 10000, rms_norm_eps 1e-6,
 * tie_word_embeddings false, max_position_embeddings 2048 llama / 32768
 * qwen2). Both get rope_style TEAI_ROPE_NEOX (Hugging Face stores q/k for
 * rotate-half RoPE); qwen2 gets qkv_bias 1. Errors: TEAI_ENOTFOUND (no file),
 * TEAI_EFORMAT (bad JSON, missing or mistyped key, inconsistent shapes),
 * TEAI_ERANGE (a value outside teai's sane bounds), TEAI_EUNSUPPORTED (other
 * architectures, rope_scaling other than llama3, biases teai lacks,
 * quantized checkpoints, sliding-window attention). */
int teai_hf_read_config(const char *dir, teai_hparams *hp, teai_error *err);
/* Same, from len bytes of config.json text; name is used in messages. */
int teai_hf_parse_config(const char *json, size_t len, const char *name, teai_hparams *hp,
                         teai_error *err);

/* Writes dir/config.json and dir/generation_config.json (creating dir if
 * missing) so that teai_hf_read_config gives back *hp exactly (the other
 * rope_* fields must be 0 when rope_scale_factor is) and transformers can
 * load the folder. bos_id / eos_id < 0 are left out.
 * torch_dtype ("bfloat16", "float16", "float32") may be NULL to leave it out.
 * hp must describe Hugging Face layout: rope_style TEAI_ROPE_NEOX (convert q/k
 * weights from GGUF's layout first), qkv_bias 1 for qwen2 and 0 for llama.
 * TEAI_EINVAL / TEAI_ERANGE for hparams teai_hf_read_config would refuse. */
int teai_hf_write_config(const char *dir, const teai_hparams *hp, int bos_id, int eos_id,
                         const char *torch_dtype, teai_error *err);

/* Special token ids: dir/generation_config.json, falling back key by key to
 * dir/config.json. *bos_id = -1 when neither says. eos_token_id may be one id
 * or a list: up to eos_cap ids go to eos_ids and *n_eos is how many there are
 * (TEAI_ERANGE when more than eos_cap). TEAI_ENOTFOUND if neither file exists. */
int teai_hf_generation_config(const char *dir, int32_t *bos_id, int32_t *eos_ids, int eos_cap,
                              int *n_eos, teai_error *err);

/* Turns what a user typed into a path, written NUL-terminated into out:
 *  1. an existing file or folder, as is;
 *  2. "ORG/NAME" (or "NAME"): the Hugging Face hub cache — $HF_HUB_CACHE, else
 *     $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 *     ~/.cache/huggingface/hub — folder models--ORG--NAME/snapshots/<rev>,
 *     <rev> from refs/main, else the most recently modified snapshot;
 *  3. ./models/NAME, ./models/ORG--NAME, ./models/models--ORG--NAME (as in 2).
 * TEAI_ENOTFOUND with every place looked in the message; TEAI_ERANGE when the
 * path does not fit in cap. */
int teai_hf_resolve(const char *spec, char *out, size_t cap, teai_error *err);

#endif
