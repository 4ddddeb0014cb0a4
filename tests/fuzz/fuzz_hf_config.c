/* Fuzz target: the config.json parser over arbitrary bytes. Whatever it
 * accepts must satisfy the promises of hf.h. */
#include "hf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    teai_hparams hp;
    teai_error err = {0};
    int rc = teai_hf_parse_config((const char *)data, size, "config.json", &hp, &err);
    if (rc != TEAI_OK) {
        if (rc >= 0 || err.status != rc || !err.msg[0] || hp.dim != 0) abort();
        return 0;
    }
    int qwen2 = strcmp(hp.arch, "qwen2") == 0;
    if (!qwen2 && strcmp(hp.arch, "llama") != 0) abort();
    if (hp.dim < 1 || hp.n_layers < 1 || hp.n_heads < 1 || hp.n_kv_heads < 1 || hp.ffn_dim < 1 ||
        hp.n_vocab < 1 || hp.ctx_len < 1 || hp.head_dim < 2 || hp.head_dim % 2)
        abort();
    if (hp.n_heads % hp.n_kv_heads) abort();
    if (!(hp.rope_theta > 0) || !(hp.norm_eps > 0) || hp.rope_style != TEAI_ROPE_NEOX) abort();
    if (hp.qkv_bias != qwen2) abort();
    if (hp.rope_scale_factor != 0 &&
        !(hp.rope_low_freq_factor > 0 && hp.rope_high_freq_factor > hp.rope_low_freq_factor &&
          hp.rope_orig_ctx > 0))
        abort();
    if (memchr(hp.name, 0, sizeof hp.name) == NULL) abort();
    return 0;
}
