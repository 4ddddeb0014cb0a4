/* The native backend: teai's built-in engine, in process. A run is a prefill
 * of the prompt (its time is the time to first token) and n_gen decode steps,
 * each timed from the moment the step starts until the new token id is
 * available (docs/metrics.md). End-of-generation tokens do not stop a benchmark. */
#include "backends/backend.h"
#include "backends/prompt.h"
#include "engine/tools.h"
#include "base/base.h"
#include "sys/sys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct teai_backend {
    teai_model *model;
    teai_context *ctx;
    teai_sampler_params sp;
    int n_vocab;
    float *logits;
};

static double ms_since(uint64_t t0) {
    return (double)(teai__now_ns() - t0) / 1e6;
}

static int native_open(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                       teai_error *err) {
    *out = NULL;
    teai_quantize q = TEAI_QUANTIZE_DEFAULT;
    if (teai_quantize_from_name(cfg->quantize ? cfg->quantize : "default", &q) != TEAI_OK)
        return teai__fail(
            err, TEAI_EINVAL,
            "unknown quantization %s (default, float16, int8, nf4, q8_0, q6_k, q4_k_m, q4_0)",
            cfg->quantize);
    teai_backend *b = calloc(1, sizeof *b);
    if (!b) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    teai_model_params mp = teai_model_default_params();
    mp.quantize = (teai_quantize)q;
    mp.n_threads = cfg->n_threads;
    mp.no_repack = cfg->no_repack;
    mp.nf4_exact = cfg->nf4_exact;
    uint64_t t0 = teai__now_ns();
    int rc = teai_model_load(cfg->model, &mp, &b->model, err);
    if (rc) {
        free(b);
        return rc;
    }
    info->load_ms = ms_since(t0);
    const teai_hparams *hp = teai_model_hparams(b->model);
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = cfg->n_ctx;
    cp.n_threads = cfg->n_threads;
    cp.cache_type = cfg->cache_type;
    b->n_vocab = hp->n_vocab;
    b->logits = malloc(sizeof(float) * (size_t)hp->n_vocab);
    if (!b->logits) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (!rc) rc = teai_context_new(b->model, &cp, &b->ctx, err);
    if (rc) {
        teai_model_free(b->model);
        free(b->logits);
        free(b);
        return rc;
    }
    b->sp = teai_sampler_default_params();
    b->sp.temperature = cfg->temperature;
    b->sp.seed = cfg->seed;
    snprintf(info->name, sizeof info->name, "native");
    /* the KV cache type in the header's free-form backend_version:
     * "teai 0.1.0 (abc1234; KV cache f16)" */
    snprintf(info->version, sizeof info->version, "teai %s (%s; KV cache %s)", teai_version(),
             teai_commit(), teai_cache_type_name(teai_context_cache_type(b->ctx)));
    snprintf(info->device, sizeof info->device, "CPU (%s)", teai__simd_name());
    snprintf(info->weight_format, sizeof info->weight_format, "%s",
             teai_model_weight_format(b->model));
    /* the bytes every backend counts for the same file (teai_decode_shape) */
    teai_decode_shape shape;
    teai_decode_shape_from_model(b->model, &shape);
    info->param_bytes = shape.param_bytes;
    info->param_count = teai_model_param_count(b->model);
    info->bits_per_weight = info->param_count ? 8.0 * (double)teai_model_param_bytes(b->model) /
                                                    (double)info->param_count
                                              : NAN;
    info->n_vocab = hp->n_vocab;
    info->memory = TEAI_MEM_IN_PROCESS;
    *out = b;
    return TEAI_OK;
}

static int native_run(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                      teai_error *err) {
    const teai_tokenizer *tok = teai_model_tokenizer(b->model);
    int32_t *ids = NULL;
    int n_prompt = 0;
    int rc = teai__prompt_tokens(tok, b->n_vocab, p, &ids, &n_prompt, err);
    if (rc) return rc;
    if (n_prompt + p->n_gen + 1 > teai_context_n_ctx(b->ctx)) {
        free(ids);
        return teai__fail(err, TEAI_ERANGE,
                          "%d prompt tokens + %d to generate exceed the context of %d tokens",
                          n_prompt, p->n_gen, teai_context_n_ctx(b->ctx));
    }
    teai_sampler *s = NULL;
    teai_sampler_params sp = b->sp;
    if (p->seed) sp.seed = p->seed;
    if (teai_sampler_new(&sp, b->n_vocab, &s)) {
        free(ids);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    teai_context_reset(b->ctx);
    char piece[256];
    uint64_t t_run = teai__now_ns();
    rc = teai_context_eval(b->ctx, ids, n_prompt, b->logits, err);
    double prefill_ms = ms_since(t_run);
    int32_t tokid = rc ? -1 : teai_sampler_sample(s, b->logits);
    if (!rc) {
        int len = teai_token_to_piece(tok, tokid, 0, piece, sizeof piece);
        piece[len > 0 ? len : 0] = '\0';
        teai_event ev = teai_event_blank(TEAI_EV_PREFILL, ms_since(t_run));
        ev.n_prompt = n_prompt;
        ev.prefill_ms = prefill_ms;
        ev.ttft_ms = ms_since(t_run);
        ev.token = tokid;
        ev.text = piece;
        ev.n_tokens = 1;
        if (cb(ud, &ev)) rc = teai__fail(err, TEAI_EINTR, "interrupted after the prefill");
    }
    for (int step = 1; step <= p->n_gen && !rc; step++) {
        uint64_t s0 = teai__now_ns();
        int pos = teai_context_pos(b->ctx);
        rc = teai_context_eval(b->ctx, &tokid, 1, b->logits, err);
        if (rc) break;
        /* enqueue: from the step's start to the engine's first kernel (its
         * argument checks; on a CPU nothing is queued) */
        uint64_t s1 = teai_context_compute_start_ns(b->ctx);
        tokid = teai_sampler_sample(s, b->logits);
        uint64_t s2 = teai__now_ns();
        int len = teai_token_to_piece(tok, tokid, 0, piece, sizeof piece);
        piece[len > 0 ? len : 0] = '\0';
        teai_event ev = teai_event_blank(TEAI_EV_TOKEN, (double)(s2 - t_run) / 1e6);
        ev.step = step;
        ev.token = tokid;
        ev.text = piece;
        ev.n_tokens = 1;
        ev.total_ms = (double)(s2 - s0) / 1e6;
        ev.enqueue_ms = (double)(s1 - s0) / 1e6;
        ev.bytes_moved = teai_context_step_bytes(b->ctx, pos);
        if (cb(ud, &ev)) rc = teai__fail(err, TEAI_EINTR, "interrupted after %d tokens", step);
    }
    teai_sampler_free(s);
    free(ids);
    return rc;
}

static void native_close(teai_backend *b) {
    if (!b) return;
    teai_context_free(b->ctx);
    teai_model_free(b->model);
    free(b->logits);
    free(b);
}

const teai_backend_ops teai__backend_native = {
    .name = "native", .open = native_open, .run = native_run, .close = native_close};
