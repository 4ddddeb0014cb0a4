/* The defaults and named presets of `teai model train`. */
#include "train.h"

#include <string.h>

static const char *const preset_names[] = {"tiny", "micro", NULL};

const char *const *teai_train_preset_names(void) {
    return preset_names;
}

int teai_train_preset(const char *name, teai_train_params *p) {
    if (strcmp(name, "tiny") == 0) {
        /* ~4M parameters (1M of them the tied embedding): what two cores
         * train to a readable English model in about ten minutes (2M tokens) */
        p->dim = 256;
        p->n_layers = 4;
        p->n_heads = 8;
        p->n_kv_heads = 4;
        p->hidden = 768;
        p->n_ctx = 128;
        p->tied = 1;
        p->n_vocab = 4096;
        p->steps = 1000;
        p->batch = 16;
        p->warmup = 50;
        p->lr = 2e-3f;
        p->min_lr = 2e-4f;
        return 0;
    }
    if (strcmp(name, "micro") == 0) {
        /* for tests: seconds, not minutes */
        p->dim = 64;
        p->n_layers = 2;
        p->n_heads = 4;
        p->n_kv_heads = 2;
        p->hidden = 256;
        p->n_ctx = 64;
        p->tied = 1;
        p->n_vocab = 512;
        p->steps = 200;
        p->batch = 8;
        p->warmup = 20;
        p->lr = 3e-3f;
        p->min_lr = 3e-4f;
        return 0;
    }
    return -1;
}

teai_train_params teai_train_default_params(void) {
    teai_train_params p;
    memset(&p, 0, sizeof p);
    p.rope_theta = 10000.0f;
    p.norm_eps = 1e-5f;
    p.holdout = 0.05;
    p.weight_decay = 0.1f;
    p.beta1 = 0.9f;
    p.beta2 = 0.95f;
    p.eps = 1e-8f;
    p.clip = 1.0f;
    p.seed = 42;
    p.eval_every = 100;
    p.eval_batches = 8;
    p.ckpt_every = 200;
    p.name = "teai-trained";
    teai_train_preset("tiny", &p);
    return p;
}
