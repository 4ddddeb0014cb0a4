/* The runner's defaults and its open backend (bench.h): the backend opened
 * once on its model, with what every log of it says about the model and the
 * host, read once. */
#include "bench/bench_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

teai_bench_params teai_bench_default_params(void) {
    teai_bench_params p;
    memset(&p, 0, sizeof p);
    p.backend = "native";
    p.size = "1B";
    p.quantize = "default";
    p.seed = 42;
    p.n_gen = 20;
    p.repetitions = 3;
    p.warmup = 1;
    p.output_dir = "benchmark_output";
    p.prompt = "The quick brown fox jumps over the lazy dog, and then it";
    p.sample_hz = 10;
    p.cooldown = TEAI_COOLDOWN_NONE;
    p.cooldown_margin_c = 2;
    p.cooldown_max_s = 120;
    p.noise_threshold_pct = 10;
    return p;
}

void teai_bench_backend_config(const teai_bench_params *p, const char *model,
                               teai_backend_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->model = model;
    cfg->size = p->size;
    cfg->quantize = p->quantize;
    cfg->n_threads = p->threads;
    cfg->seed = p->seed;
    cfg->temperature = p->temperature;
    cfg->cache_type = p->cache_type;
    cfg->no_repack = p->no_repack;
    cfg->nf4_exact = p->nf4_exact;
    cfg->llama_cpp_dir = p->llama_cpp;
    cfg->base_url = p->base_url;
    cfg->api_key = p->api_key;
    cfg->model_name = p->model_name;
    cfg->chat = p->chat;
    cfg->tinygrad_dir = p->tinygrad;
    cfg->python = p->python;
    /* room for the prompt (a text prompt is taken to fit in 512 tokens) and the tokens */
    int need = (p->prompt_tokens > 0 ? p->prompt_tokens : 512) + p->n_gen + 16;
    cfg->n_ctx = p->ctx > 0 ? p->ctx : (need < 1024 ? 1024 : need);
}

int teai_bench_open(const teai_bench_params *p, const teai_bench_model *model, teai_bench **out,
                    teai_error *err) {
    const char *why = NULL;
    *out = NULL;
    const teai_backend_ops *ops = teai_backend_find(p->backend, &why);
    if (!ops) return teai__fail(err, TEAI_EINVAL, "backend %s: %s", p->backend, why);
    teai_bench *b = calloc(1, sizeof *b);
    if (!b) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    b->ops = ops;
    teai_host_read(&b->host);
    const char *path = model && model->path[0] ? model->path : NULL;
    if (path) {
        b->has_model = 1;
        b->synthetic = model->synthetic;
        snprintf(b->model, sizeof b->model, "%s", path);
        if (teai_file_sha256(path, b->sha) != 0) b->sha[0] = '\0';
        FILE *mf = fopen(path, "rb");
        if (mf && fseek(mf, 0, SEEK_END) == 0)
            snprintf(b->model_bytes, sizeof b->model_bytes, "%ld", ftell(mf));
        if (mf) fclose(mf);
    }
    teai_backend_config cfg;
    teai_bench_backend_config(p, path, &cfg);
    b->n_ctx = cfg.n_ctx;
    b->info.bits_per_weight = NAN;
    b->info.load_ms = NAN;
    int st = ops->open(&cfg, &b->be, &b->info, err);
    if (st) {
        free(b);
        return st;
    }
    *out = b;
    return TEAI_OK;
}

void teai_bench_close(teai_bench *b) {
    if (!b) return;
    b->ops->close(b->be);
    free(b);
}
