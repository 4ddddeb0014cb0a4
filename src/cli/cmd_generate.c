/* teai generate: stream text from the built-in engine. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *help =
    "usage: teai generate -m MODEL [options]\n"
    "\n"
    "Generates text with the built-in engine, streaming it to stdout.\n"
    "\n"
    "  -m, --model MODEL   " CLI_HELP_MODEL "\n"
    "  -p, --prompt TEXT   prompt (default: \"Once upon a time\")\n"
    "  -n, --n-predict N   tokens to generate (default 32)\n"
    "  --quantize Q        " CLI_HELP_QUANTIZE "\n"
    "                      " CLI_HELP_QUANTIZE_GGUF "\n"
    "  --seed S            sampling seed (default 42)\n"
    "  -t, --threads N     " CLI_HELP_THREADS "\n"
    "  --cache-type T      " CLI_HELP_CACHE_TYPE "\n"
    "  --no-repack         " CLI_HELP_NO_REPACK "\n"
    "  --nf4-exact         " CLI_HELP_NF4_EXACT "\n"
    "  --temp T            temperature; 0 = greedy (default 0.8)\n"
    "  --top-k K           top-k, 0 = off (default 40)\n"
    "  --top-p P           top-p, 1 = off (default 0.95)\n"
    "  -c, --ctx N         context length (default: min(model, 4096))\n"
    "  --chat              wrap the prompt in the model's chat template\n"
    "  --no-bos            do not prepend the BOS token\n"
    "  --ignore-eos        keep generating past end-of-generation tokens\n"
    "  --timing            per-token timing lines on stderr, in the seed's format:\n"
    "                        enqueue in <ms> ms\n"
    "                        total <ms> ms, <tok/s> tok/s, <GB/s> GB/s, param <GB/s> GB/s\n"
    "  --ids               print the generated token ids (one line) instead of text,\n"
    "                      and the prompt's ids on stderr (\"prompt ids: 1 2 3\")\n";

typedef struct gen_opts {
    cli_model_opts m; /* -m, --quantize, -t, --cache-type, --no-repack, --nf4-exact */
    const char *prompt;
    long n_predict, ctx;
    teai_sampler_params sp;
    int chat, bos, ignore_eos, timing, ids;
} gen_opts;

static int parse(int argc, char **argv, gen_opts *o) {
    const char *cmd = "generate";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        double d;
        long l;
        int shared = cli_model_opt(cmd, argc, argv, &i, &o->m);
        if (shared < 0) return CLI_EXIT_USAGE;
        if (shared) continue;
        if (cli_is(a, NULL, "--chat"))
            o->chat = 1;
        else if (cli_is(a, NULL, "--no-bos"))
            o->bos = 0;
        else if (cli_is(a, NULL, "--ignore-eos"))
            o->ignore_eos = 1;
        else if (cli_is(a, NULL, "--timing"))
            o->timing = 1;
        else if (cli_is(a, NULL, "--ids"))
            o->ids = 1;
        else if (cli_is(a, "-p", "--prompt") || cli_is(a, "-n", "--n-predict") ||
                 cli_is(a, NULL, "--seed") || cli_is(a, NULL, "--temp") ||
                 cli_is(a, NULL, "--top-k") || cli_is(a, NULL, "--top-p") ||
                 cli_is(a, "-c", "--ctx")) {
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (cli_is(a, "-p", "--prompt"))
                o->prompt = v;
            else if (cli_is(a, "-n", "--n-predict")) {
                if (cli_int(cmd, a, v, 0, 1 << 24, &o->n_predict)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--seed")) {
                if (cli_u64(cmd, a, v, &o->sp.seed)) return CLI_EXIT_USAGE;
            } else if (cli_is(a, NULL, "--temp")) {
                if (cli_float(cmd, a, v, 0, 100, &d)) return CLI_EXIT_USAGE;
                o->sp.temperature = (float)d;
            } else if (cli_is(a, NULL, "--top-k")) {
                if (cli_int(cmd, a, v, 0, 1 << 24, &l)) return CLI_EXIT_USAGE;
                o->sp.top_k = (int)l;
            } else if (cli_is(a, NULL, "--top-p")) {
                if (cli_float(cmd, a, v, 0, 1, &d)) return CLI_EXIT_USAGE;
                o->sp.top_p = (float)d;
            } else if (cli_is(a, "-c", "--ctx")) {
                if (cli_int(cmd, a, v, 1, 1 << 22, &o->ctx)) return CLI_EXIT_USAGE;
            }
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", a);
        }
    }
    if (!o->m.model) return cli_usage_error(cmd, "-m MODEL is required");
    return CLI_EXIT_OK;
}

/* Tokenizes the prompt (through the chat template with --chat) into *ids. */
static int prompt_tokens(const gen_opts *o, const teai_model *m, int32_t **ids, int *n) {
    const teai_tokenizer *tok = teai_model_tokenizer(m);
    const char *text = o->prompt;
    char *chat = NULL;
    int parse_special = 0, add_bos = o->bos;
    if (o->chat) {
        teai_chat_format fmt = teai_chat_detect(teai_model_chat_template(m));
        if (fmt == TEAI_CHAT_NONE) {
            fprintf(stderr,
                    "teai generate: --chat: the model has no Llama 3 or ChatML chat template\n");
            return CLI_EXIT_INPUT;
        }
        teai_chat_msg msg = {"user", o->prompt};
        int len = teai_chat_apply(fmt, &msg, 1, 1, NULL, 0);
        if (len < 0 || !(chat = malloc((size_t)len + 1))) return CLI_EXIT_FAIL;
        teai_chat_apply(fmt, &msg, 1, 1, chat, (size_t)len + 1);
        text = chat;
        parse_special = 1;
    }
    int cap = (int)strlen(text) + 8;
    *ids = malloc(sizeof(int32_t) * (size_t)cap);
    int rc = *ids ? teai_tokenize(tok, text, strlen(text), add_bos, parse_special, *ids, cap, n)
                  : TEAI_ENOMEM;
    if (rc == TEAI_ERANGE) {
        int32_t *p = realloc(*ids, sizeof(int32_t) * (size_t)*n);
        if (p) {
            *ids = p;
            rc = teai_tokenize(tok, text, strlen(text), add_bos, parse_special, *ids, *n, n);
        }
    }
    free(chat);
    if (rc) {
        fprintf(stderr, "teai generate: cannot tokenize the prompt: %s\n", teai_status_str(rc));
        return cli_exit_code(rc);
    }
    return CLI_EXIT_OK;
}

static void emit_token(const gen_opts *o, const teai_tokenizer *tok, int32_t id, int first) {
    if (o->ids) {
        printf(first ? "%d" : " %d", id);
    } else {
        char piece[256];
        int len = teai_token_to_piece(tok, id, 0, piece, sizeof piece);
        if (len > 0) fwrite(piece, 1, (size_t)len, stdout);
    }
    fflush(stdout);
}

int cmd_generate(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    gen_opts o = {0};
    o.prompt = "Once upon a time";
    o.n_predict = 32;
    o.bos = 1;
    o.sp = teai_sampler_default_params();
    int rc = parse(argc, argv, &o);
    if (rc) return rc;

    char path[4096];
    if ((rc = cli_resolve_model("generate", o.m.model, path, sizeof path))) return rc;
    cli_catch_signals();
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    cli_model_apply(&o.m, &mp, NULL);
    teai_model *m = NULL;
    teai_context *ctx = NULL;
    teai_sampler *smp = NULL;
    int32_t *ids = NULL;
    float *logits = NULL;
    uint64_t t_load = cli_now_ns();
    int st = teai_model_load(path, &mp, &m, &err);
    if (st) return cli_fail("generate", &err, st);
    double load_ms = (double)(cli_now_ns() - t_load) / 1e6;
    const teai_hparams *hp = teai_model_hparams(m);
    const teai_tokenizer *tok = teai_model_tokenizer(m);
    teai_context_params cp = teai_context_default_params();
    cli_model_apply(&o.m, NULL, &cp);
    cp.n_ctx = (int)o.ctx;
    int n_prompt = 0;
    if ((st = teai_context_new(m, &cp, &ctx, &err))) {
        rc = cli_fail("generate", &err, st);
        goto done;
    }
    if ((rc = prompt_tokens(&o, m, &ids, &n_prompt))) goto done;
    if (o.ids) { /* what the engine consumes, comparable with teai tokenize --bos --no-special */
        fputs("prompt ids:", stderr);
        for (int i = 0; i < n_prompt; i++) fprintf(stderr, " %d", ids[i]);
        fputc('\n', stderr);
    }
    if (n_prompt == 0) {
        fprintf(stderr, "teai generate: the prompt is empty (and no BOS token)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (n_prompt + o.n_predict > teai_context_n_ctx(ctx)) {
        fprintf(stderr,
                "teai generate: %d prompt tokens + %ld to generate exceed the context of %d "
                "tokens (use -c)\n",
                n_prompt, o.n_predict, teai_context_n_ctx(ctx));
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    logits = malloc(sizeof(float) * (size_t)hp->n_vocab);
    if (!logits || teai_sampler_new(&o.sp, hp->n_vocab, &smp)) {
        fprintf(stderr, "teai generate: out of memory\n");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (o.timing)
        fprintf(stderr, "model: %s, %s, %.2f GB of weights, loaded in %.0f ms\n", path,
                teai_model_weight_format(m), (double)teai_model_param_bytes(m) / 1e9, load_ms);

    uint64_t t0 = cli_now_ns();
    if ((st = teai_context_eval(ctx, ids, n_prompt, logits, &err))) {
        rc = cli_fail("generate", &err, st);
        goto done;
    }
    int32_t tokid = teai_sampler_sample(smp, logits);
    double prefill_ms = (double)(cli_now_ns() - t0) / 1e6;
    if (o.timing)
        fprintf(stderr, "prefill %d tokens in %.2f ms, %.2f tok/s (time to first token)\n",
                n_prompt, prefill_ms, n_prompt * 1000.0 / prefill_ms);
    int generated = 0;
    double decode_ms = 0;
    teai_decode_shape shape; /* param GB/s: the bytes every backend counts */
    teai_decode_shape_from_model(m, &shape);
    for (;;) {
        if (!o.ignore_eos && teai_tokenizer_is_eog(tok, tokid)) break;
        emit_token(&o, tok, tokid, generated == 0);
        generated++;
        if (generated >= o.n_predict || cli_interrupted()) break;
        /* one decode step: feed the last token, sample the next */
        uint64_t s0 = cli_now_ns();
        int pos = teai_context_pos(ctx);
        if ((st = teai_context_eval(ctx, &tokid, 1, logits, &err))) {
            rc = cli_fail("generate", &err, st);
            goto done;
        }
        /* enqueue: the step's start to the engine's first kernel (same clock) */
        uint64_t s1 = teai_context_compute_start_ns(ctx);
        tokid = teai_sampler_sample(smp, logits);
        uint64_t s2 = cli_now_ns();
        double total = (double)(s2 - s0) / 1e6;
        decode_ms += total;
        if (o.timing) {
            double sec = total / 1e3;
            fprintf(stderr, "enqueue in %.2f ms\n", (double)(s1 - s0) / 1e6);
            fprintf(stderr, "total %.2f ms, %.2f tok/s, %.2f GB/s, param %.2f GB/s\n", total,
                    1.0 / sec, (double)teai_context_step_bytes(ctx, pos) / 1e9 / sec,
                    (double)shape.param_bytes / 1e9 / sec);
        }
    }
    if (o.ids || generated) printf("\n");
    if (o.timing && generated > 1)
        fprintf(stderr, "decode %d tokens in %.2f ms, %.2f tok/s\n", generated - 1, decode_ms,
                (generated - 1) * 1000.0 / decode_ms);
    rc = cli_interrupted() ? CLI_EXIT_INTERRUPT : CLI_EXIT_OK;
    if (rc) fprintf(stderr, "teai generate: interrupted after %d tokens\n", generated);
done:
    free(ids);
    free(logits);
    teai_sampler_free(smp);
    teai_context_free(ctx);
    teai_model_free(m);
    return rc;
}
