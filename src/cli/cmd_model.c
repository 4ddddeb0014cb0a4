/* teai model info|synth|convert|quantize|train|train-tokenizer: the seed's Step 1 without
 * Python, and models trained here (cmd_train.c). */
#include "cli.h"
#include "base/base.h"
#include "engine/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *help =
    "usage: teai model <info|synth|convert|quantize|train|train-tokenizer> ...\n"
    "\n"
    "  teai model info FILE|DIR|ORG/NAME\n"
    "      architecture, shapes, parameter count, tensor types and bytes,\n"
    "      tokenizer and chat template of a GGUF file or Hugging Face folder;\n"
    "      exits non-zero when teai generate would refuse the model\n"
    "  teai model synth --shape SHAPE -o OUT.gguf|OUT-DIR [options]\n"
    "      a random-weight model with the exact shapes of SHAPE:\n"
    "      tiny, llama-3.2-1b, llama-3.2-3b, llama-3.1-8b, qwen2.5-0.5b\n"
    "      --vocab-from FILE.gguf   copy a real tokenizer (e.g. llama.cpp's ggml-vocab-*.gguf);\n"
    "                               the vocabulary size becomes that tokenizer's\n"
    "      --seed S                 weights seed (default 42)\n"
    "      --type T                 f32 f16 bf16 q8_0 q4_0 q4_k q4_k_m q6_k (default f16;\n"
    "                               a folder takes f32, f16 or bf16)\n"
    "      --dim --layers --heads --kv-heads --ffn --vocab-size --ctx N, --rope-theta X,\n"
    "      --tied / --untied        override the shape\n"
    "      -t, --threads N          " CLI_HELP_THREADS "\n"
    "  teai model convert HF-DIR -o OUT.gguf [--type T] [-t N]\n"
    "      a Hugging Face folder (config.json, tokenizer.json, *.safetensors) to GGUF\n"
    "  teai model quantize IN.gguf OUT.gguf TYPE [-t N]\n"
    "      re-encode every weight matrix as TYPE (norms stay f32)\n"
    "  teai model train --data FILE[,FILE...] --out DIR [--preset tiny|micro] [options]\n"
    "      train a small llama on UTF-8 text (teai model train --help)\n"
    "  teai model train-tokenizer --data FILE[,FILE...] --out FILE.gguf [--vocab N]\n"
    "      train a byte-level BPE tokenizer on text\n";

/* A string from a model file as it may be printed: control characters and
 * bad bytes escaped (\xHH), so metadata cannot drive the terminal. */
#define ESC(s) teai__escape_ctl_str((char[512]){0}, 512, (s))

static void print_hparams(const teai_hparams *hp) {
    printf("architecture:  %s\n", ESC(hp->arch));
    if (hp->name[0]) printf("name:          %s\n", ESC(hp->name));
    printf("shape:         dim %d, %d layers, %d heads (%d kv, head size %d), ffn %d, vocab %d\n",
           hp->dim, hp->n_layers, hp->n_heads, hp->n_kv_heads, hp->head_dim, hp->ffn_dim,
           hp->n_vocab);
    printf("context:       %d tokens, rope theta %g%s\n", hp->ctx_len, (double)hp->rope_theta,
           hp->rope_scale_factor > 0 ? ", llama3 rope scaling" : "");
    printf("output:        %s%s\n", hp->tied_output ? "tied to the token embeddings" : "separate",
           hp->qkv_bias ? ", q/k/v biases" : "");
}

static void print_tokenizer(const teai_tokenizer *tok, const char *chat_template) {
    if (!tok) return;
    int32_t bos = teai_tokenizer_bos(tok), eos = teai_tokenizer_eos(tok);
    printf("tokenizer:     %s (pre %s), %d tokens", ESC(teai_tokenizer_model(tok)),
           ESC(teai_tokenizer_pre(tok)), teai_tokenizer_n_vocab(tok));
    if (bos >= 0) printf(", bos %d %s", bos, ESC(teai__tokenizer_token_text(tok, bos)));
    if (eos >= 0) printf(", eos %d %s", eos, ESC(teai__tokenizer_token_text(tok, eos)));
    printf("\n");
    static const char *fmt_names[] = {"unrecognized", "Llama 3", "ChatML"};
    if (chat_template)
        printf("chat template: %s (%zu bytes)\n", fmt_names[teai_chat_detect(chat_template)],
               strlen(chat_template));
    else
        printf("chat template: none\n");
}

typedef struct type_count {
    char name[16];
    long count;
    uint64_t bytes, elements;
} type_count;

static void tally(type_count *tc, int *n, const char *name, uint64_t bytes, uint64_t elements) {
    for (int i = 0; i < *n; i++)
        if (strcmp(tc[i].name, name) == 0) {
            tc[i].count++, tc[i].bytes += bytes, tc[i].elements += elements;
            return;
        }
    if (*n >= 32) return;
    snprintf(tc[*n].name, sizeof tc[*n].name, "%s", name);
    tc[*n].count = 1, tc[*n].bytes = bytes, tc[*n].elements = elements;
    (*n)++;
}

static void print_tally(const type_count *tc, int n) {
    uint64_t bytes = 0, elements = 0;
    for (int i = 0; i < n; i++) bytes += tc[i].bytes, elements += tc[i].elements;
    printf("parameters:    %llu (%.3f B), %.3f GB of tensor data\n", (unsigned long long)elements,
           (double)elements / 1e9, (double)bytes / 1e9);
    printf("tensor types:\n");
    for (int i = 0; i < n; i++)
        printf("  %-6s %5ld tensors %12llu bytes  %.2f bits/weight\n", tc[i].name, tc[i].count,
               (unsigned long long)tc[i].bytes,
               tc[i].elements ? 8.0 * (double)tc[i].bytes / (double)tc[i].elements : 0);
}

static int info_gguf(const char *path) {
    teai_error err = {0};
    teai_gguf *g = NULL;
    int rc = teai_gguf_open(path, &g, &err);
    if (rc) return cli_fail("model info", &err, rc);
    printf("file:          %s (GGUF v%u, %.3f GB)\n", ESC(path), teai_gguf_version(g),
           (double)teai_gguf_file_size(g) / 1e9);
    teai_hparams hp;
    if (teai_gguf_n_tensors(g) == 0)
        printf("weights:       none (vocabulary only)\n");
    else if ((rc = teai__hparams_from_gguf(g, &hp, &err)) == TEAI_OK)
        print_hparams(&hp);
    else
        printf("shape:         %s\n", ESC(err.msg));
    if (teai_gguf_get(g, "teai.synthetic")) {
        char shape[64];
        printf("synthetic:     yes (teai model synth, shape %s, seed %lld)\n",
               ESC(teai_gguf_get_str(g, "teai.synth.shape", shape, sizeof shape)),
               (long long)teai_gguf_get_int(g, "teai.synth.seed", 0));
    }
    type_count tc[32];
    int n = 0;
    teai_tensor_desc t;
    for (int64_t i = 0; teai_gguf_tensor_desc(g, i, &t) == TEAI_OK; i++)
        tally(tc, &n, t.type, t.nbytes, t.elements);
    if (n) print_tally(tc, n);
    teai_tokenizer *tok = NULL;
    err.msg[0] = '\0';
    if ((rc = teai__tokenizer_from_gguf(g, &tok, &err)) != TEAI_OK)
        printf("tokenizer:     %s\n", ESC(err.msg));
    char *tmpl = teai_gguf_get_str_dup(g, "tokenizer.chat_template");
    print_tokenizer(tok, tmpl);
    free(tmpl);
    teai__tokenizer_free(tok);
    int vocab_only = teai_gguf_n_tensors(g) == 0;
    teai_gguf_close(g);
    /* what was shown may be readable while the model is not: exit as
     * `teai generate` (or, for a vocabulary, `teai tokenize`) would */
    if ((rc = teai__model_check(path, vocab_only, &err))) return cli_fail("model info", &err, rc);
    return CLI_EXIT_OK;
}

static int info_hf(const char *dir) {
    teai_error err = {0};
    teai_hparams hp;
    int rc = teai_hf_read_config(dir, &hp, &err);
    if (rc) return cli_fail("model info", &err, rc);
    printf("folder:        %s (Hugging Face)\n", ESC(dir));
    print_hparams(&hp);
    teai_st *st = NULL;
    if ((rc = teai_st_open(dir, &st, &err))) return cli_fail("model info", &err, rc);
    type_count tc[32];
    int n = 0;
    teai_tensor_desc t;
    for (int64_t i = 0; teai_st_tensor_desc(st, i, &t) == TEAI_OK; i++)
        tally(tc, &n, t.type, t.nbytes, t.elements);
    printf("files:         %lld safetensors file(s)\n", (long long)teai_st_n_files(st));
    print_tally(tc, n);
    teai_st_close(st);
    teai_tokenizer *tok = NULL;
    if ((rc = teai__tokenizer_from_hf(dir, &tok, &err)) != TEAI_OK)
        printf("tokenizer:     %s\n", ESC(err.msg));
    print_tokenizer(tok, tok ? teai__tokenizer_chat_template(tok) : NULL);
    teai__tokenizer_free(tok);
    if ((rc = teai__model_check(dir, 0, &err))) return cli_fail("model info", &err, rc);
    return CLI_EXIT_OK;
}

static int model_info(int argc, char **argv) {
    if (argc != 2) return cli_usage_error("model info", "expects one FILE|DIR|ORG/NAME");
    char path[4096];
    int rc = cli_resolve_model("model info", argv[1], path, sizeof path);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return info_hf(path);
    return info_gguf(path);
}

static int model_synth(int argc, char **argv) {
    const char *cmd = "model synth", *shape = NULL, *out = NULL;
    teai_synth_params p = teai_synth_default_params();
    /* overrides, applied after the shape; -1 = keep */
    long ov[7] = {-1, -1, -1, -1, -1, -1, -1};
    static const char *ov_names[] = {"--dim", "--layers",     "--heads", "--kv-heads",
                                     "--ffn", "--vocab-size", "--ctx"};
    double theta = -1;
    int tied = -1;
    long threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int k = -1;
        for (int j = 0; j < 7; j++)
            if (strcmp(a, ov_names[j]) == 0) k = j;
        if (cli_is(a, NULL, "--tied")) {
            tied = 1;
            continue;
        }
        if (cli_is(a, NULL, "--untied")) {
            tied = 0;
            continue;
        }
        if (k < 0 && !cli_is(a, NULL, "--shape") && !cli_is(a, "-o", "--output") &&
            !cli_is(a, NULL, "--vocab-from") && !cli_is(a, NULL, "--seed") &&
            !cli_is(a, NULL, "--type") && !cli_is(a, NULL, "--rope-theta") &&
            !cli_is(a, "-t", "--threads"))
            return cli_usage_error(cmd, "unknown argument '%s'", a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        if (k >= 0) {
            if (cli_int(cmd, a, v, 1, 1 << 24, &ov[k])) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--shape"))
            shape = v;
        else if (cli_is(a, "-o", "--output"))
            out = v;
        else if (cli_is(a, NULL, "--vocab-from"))
            p.vocab_from = v;
        else if (cli_is(a, NULL, "--type"))
            p.type = v;
        else if (cli_is(a, NULL, "--seed")) {
            if (cli_u64(cmd, a, v, &p.seed)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--rope-theta")) {
            if (cli_float(cmd, a, v, 1, 1e12, &theta)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, "-t", "--threads")) {
            if (cli_threads(cmd, a, v, &threads)) return CLI_EXIT_USAGE;
        }
    }
    if (!out) return cli_usage_error(cmd, "-o OUT.gguf|OUT-DIR is required");
    if (!shape) shape = "tiny";
    if (teai_synth_shape(shape, &p.hp))
        return cli_usage_error(cmd,
                               "unknown shape '%s' (tiny, llama-3.2-1b, llama-3.2-3b, "
                               "llama-3.1-8b, qwen2.5-0.5b)",
                               shape);
    p.shape_name = shape;
    teai_hparams *hp = &p.hp;
    int *fields[] = {&hp->dim,     &hp->n_layers, &hp->n_heads, &hp->n_kv_heads,
                     &hp->ffn_dim, &hp->n_vocab,  &hp->ctx_len};
    for (int j = 0; j < 7; j++)
        if (ov[j] > 0) *fields[j] = (int)ov[j];
    if (ov[2] > 0 && ov[3] <= 0 && hp->n_kv_heads > hp->n_heads) hp->n_kv_heads = hp->n_heads;
    if (ov[0] > 0 || ov[2] > 0) hp->head_dim = hp->n_heads ? hp->dim / hp->n_heads : 0;
    if (theta > 0) hp->rope_theta = (float)theta;
    if (tied >= 0) hp->tied_output = tied;
    p.n_threads = (int)threads;
    teai_error err = {0};
    int rc = teai_model_synth(&p, out, &err);
    if (rc) return cli_fail(cmd, &err, rc);
    fprintf(stderr, "teai model synth: wrote %s (%s, %s, seed %llu)\n", out, shape, p.type,
            (unsigned long long)p.seed);
    return CLI_EXIT_OK;
}

static int model_convert(int argc, char **argv) {
    const char *cmd = "model convert", *in = NULL, *out = NULL, *type = "f16";
    long threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is(a, "-o", "--output") || cli_is(a, NULL, "--type") ||
            cli_is(a, "-t", "--threads")) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v) return CLI_EXIT_USAGE;
            if (cli_is(a, "-o", "--output"))
                out = v;
            else if (cli_is(a, NULL, "--type"))
                type = v;
            else if (cli_threads(cmd, a, v, &threads))
                return CLI_EXIT_USAGE;
        } else if (a[0] != '-' && !in) {
            in = a;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", a);
        }
    }
    if (!in || !out) return cli_usage_error(cmd, "expects HF-DIR -o OUT.gguf");
    char path[4096];
    int rc = cli_resolve_model(cmd, in, path, sizeof path);
    if (rc) return rc;
    teai_error err = {0};
    if ((rc = teai_model_convert(path, out, type, (int)threads, &err)))
        return cli_fail(cmd, &err, rc);
    fprintf(stderr, "teai model convert: wrote %s (%s)\n", out, type);
    return CLI_EXIT_OK;
}

static int model_quantize(int argc, char **argv) {
    const char *cmd = "model quantize", *pos[3] = {NULL, NULL, NULL};
    long threads = 0;
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is(argv[i], "-t", "--threads")) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || cli_threads(cmd, "-t", v, &threads)) return CLI_EXIT_USAGE;
        } else if (n < 3 && argv[i][0] != '-') {
            pos[n++] = argv[i];
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    if (n != 3) return cli_usage_error(cmd, "expects IN.gguf OUT.gguf TYPE");
    char type[16];
    snprintf(type, sizeof type, "%s", pos[2]);
    for (char *c = type; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    teai_error err = {0};
    int rc = teai_model_quantize(pos[0], pos[1], type, (int)threads, &err);
    if (rc) return cli_fail(cmd, &err, rc);
    fprintf(stderr, "teai model quantize: wrote %s (%s)\n", pos[1], type);
    return CLI_EXIT_OK;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    int own_help; /* 1: the subcommand answers --help itself */
} subcommands[] = {
    {"info", model_info, 0},       {"synth", model_synth, 0},
    {"convert", model_convert, 0}, {"quantize", model_quantize, 0},
    {"train", cmd_model_train, 1}, {"train-tokenizer", cmd_model_train_tokenizer, 1},
};

int cmd_model(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++) {
        if (strcmp(argv[1], subcommands[i].name) != 0) continue;
        if (!subcommands[i].own_help && cli_wants_help(argc, argv)) {
            fputs(help, stdout);
            return CLI_EXIT_OK;
        }
        return subcommands[i].fn(argc - 1, argv + 1);
    }
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage_error("model", "unknown subcommand '%s'", argv[1]);
}
