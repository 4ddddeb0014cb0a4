/* teai model train | train-tokenizer: train a small llama on text files. */
#include "cli.h"
#include "train/train.h"

#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *train_help =
    "usage: teai model train --data FILE[,FILE...] --out DIR [options]\n"
    "\n"
    "Trains a small llama model from UTF-8 text on the CPU and writes DIR/model-f32.gguf,\n"
    "DIR/model-f16.gguf, DIR/hf/ (Hugging Face folder), DIR/tokenizer.gguf, DIR/loss.csv\n"
    "and DIR/checkpoint.bin. The end of each file (--holdout) is held out to measure the\n"
    "loss and bits per byte on text the model did not train on.\n"
    "\n"
    "  --data FILE[,FILE...]  training text (the option may be repeated)\n"
    "  --out DIR              where the results go\n"
    "  --preset NAME          tiny (default: ~4M parameters, minutes) or micro (seconds)\n"
    "  --dim N --layers N --heads N --kv-heads N --hidden N --ctx N\n"
    "                         override the preset's shape\n"
    "  --vocab N              tokenizer size when one is trained on the data\n"
    "  --untied               a separate output layer (default: tied to the embeddings)\n"
    "  --tokenizer GGUF       use this file's tokenizer instead of training one\n"
    "  --steps N --batch N --warmup N\n"
    "                         optimizer steps, sequences per step, warm-up steps\n"
    "  --lr X --min-lr X      peak learning rate and the end of its cosine decay\n"
    "  --weight-decay X       AdamW weight decay (matrices only; default 0.1)\n"
    "  --clip X               global gradient-norm clip (default 1; 0: none)\n"
    "  --seed N               weights and batches (default 42)\n"
    "  --holdout X            share of each file held out (default 0.05)\n"
    "  --heldout FILE[,FILE...] held-out text of its own (repeatable): the --data files are\n"
    "                         then trained on whole\n"
    "  --eval-every N         steps between held-out evaluations (default 100)\n"
    "  --eval-batches N       batches per evaluation (default 8)\n"
    "  --checkpoint-every N   steps between checkpoints (default 200; 0: only on stop)\n"
    "  --resume               continue from DIR/checkpoint.bin\n"
    "  --name NAME            general.name of the model (default teai-trained)\n"
    "  -t, --threads N        " CLI_HELP_THREADS "\n"
    "\n"
    "Ctrl-C saves a checkpoint and stops (exit 130); --resume continues exactly where it\n"
    "stopped.\n";

static const char *tok_help =
    "usage: teai model train-tokenizer --data FILE[,FILE...] --out FILE.gguf [--vocab N] [-t N]\n"
    "\n"
    "Trains a byte-level BPE tokenizer on UTF-8 text files and writes it as a\n"
    "vocabulary-only GGUF (what teai model train --tokenizer takes).\n"
    "\n"
    "  --data FILE[,FILE...]  text (repeatable; plain FILE arguments too)\n"
    "  --out FILE.gguf        the tokenizer\n"
    "  --vocab N              vocabulary size (default 4096)\n"
    "  -t, --threads N        " CLI_HELP_THREADS "\n";

static volatile sig_atomic_t g_stop;

static void on_stop(int sig) {
    (void)sig;
    g_stop = 1; /* SA_RESETHAND: a second signal ends the process */
}

static void catch_stop(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The list of files, from comma-separated values (the strings are malloc'd). */
typedef struct file_list {
    char **v;
    int n, cap;
} file_list;

static int add_files(file_list *fl, const char *arg) {
    const char *s = arg;
    for (;;) {
        const char *c = strchr(s, ',');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        if (len) {
            if (fl->n == fl->cap) {
                int nc = fl->cap ? 2 * fl->cap : 8;
                char **v = realloc(fl->v, (size_t)nc * sizeof *v);
                if (!v) return -1;
                fl->v = v, fl->cap = nc;
            }
            char *f = malloc(len + 1);
            if (!f) return -1;
            memcpy(f, s, len);
            f[len] = '\0';
            fl->v[fl->n++] = f;
        }
        if (!c) return 0;
        s = c + 1;
    }
}

static void free_files(file_list *fl) {
    for (int i = 0; i < fl->n; i++) free(fl->v[i]);
    free(fl->v);
}

static void fmt_duration(double s, char *buf, size_t cap) {
    if (!isfinite(s) || s < 0) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, cap, "%lds", t);
}

typedef struct show {
    int tty;
    uint64_t last_ns;
    int line_open; /* a \r line is on the terminal */
    unsigned said; /* the phases announced, a bit each */
} show;

static void progress(void *ud, const teai_train_progress *pr) {
    show *s = ud;
    if (strcmp(pr->phase, "train") != 0) {
        static const char *const phases[][2] = {{"data", "reading the text"},
                                                {"tokenizer", "training the tokenizer"},
                                                {"write", "writing the model"}};
        for (unsigned k = 0; k < 3; k++) {
            if (strcmp(pr->phase, phases[k][0]) != 0 || (s->said & (1u << k))) continue;
            s->said |= 1u << k;
            if (s->line_open) fputc('\n', stderr), s->line_open = 0;
            fprintf(stderr, "teai model train: %s\n", phases[k][1]);
        }
        return;
    }
    if (pr->step == 0) return;
    uint64_t now = cli_now_ns();
    int last = pr->step == pr->steps;
    if (s->tty ? !(pr->evaluated || last || now - s->last_ns > 250000000ull) : !pr->evaluated)
        return;
    s->last_ns = now;
    char line[256], eta[32];
    int n = snprintf(line, sizeof line, "step %d/%d loss %.2f", pr->step, pr->steps, pr->loss);
    if (isfinite(pr->heldout_loss) && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " held-out %.2f (%.2f bpb)",
                      pr->heldout_loss, pr->heldout_bpb);
    fmt_duration(pr->eta_s, eta, sizeof eta);
    if (isfinite(pr->tokens_per_s) && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " %.0f tok/s ETA %s", pr->tokens_per_s, eta);
    if (s->tty) {
        fprintf(stderr, "\r%s\033[K", line);
        s->line_open = 1;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

/* The integer options: name, field, minimum, maximum. */
typedef struct int_opt {
    const char *name;
    size_t off;
    long lo, hi;
} int_opt;

#define P_OFF(f) offsetof(teai_train_params, f)
static const int_opt int_opts[] = {
    {"--dim", P_OFF(dim), 8, 1 << 16},
    {"--layers", P_OFF(n_layers), 1, 256},
    {"--heads", P_OFF(n_heads), 1, 4096},
    {"--kv-heads", P_OFF(n_kv_heads), 1, 4096},
    {"--hidden", P_OFF(hidden), 1, 1 << 18},
    {"--ctx", P_OFF(n_ctx), 2, 1 << 16},
    {"--vocab", P_OFF(n_vocab), 258, 1 << 20},
    {"--steps", P_OFF(steps), 1, 100000000},
    {"--batch", P_OFF(batch), 1, 1 << 16},
    {"--warmup", P_OFF(warmup), 0, 100000000},
    {"--eval-every", P_OFF(eval_every), 1, 100000000},
    {"--eval-batches", P_OFF(eval_batches), 1, 1 << 20},
    {"--checkpoint-every", P_OFF(ckpt_every), 0, 100000000},
};

typedef struct float_opt {
    const char *name;
    size_t off;
    double lo, hi;
} float_opt;

static const float_opt float_opts[] = {
    {"--lr", P_OFF(lr), 1e-12, 10},
    {"--min-lr", P_OFF(min_lr), 0, 10},
    {"--weight-decay", P_OFF(weight_decay), 0, 10},
    {"--clip", P_OFF(clip), 0, 1e9},
};

static int file_there(const char *dir, const char *name) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

int cmd_model_train(int argc, char **argv) {
    const char *cmd = "model train";
    if (cli_wants_help(argc, argv)) {
        fputs(train_help, stdout);
        return CLI_EXIT_OK;
    }
    teai_train_params p = teai_train_default_params();
    /* the preset first, whatever its place: the other options override it */
    for (int i = 1; i < argc; i++)
        if (cli_is(argv[i], NULL, "--preset")) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v) return CLI_EXIT_USAGE;
            if (teai_train_preset(v, &p))
                return cli_usage_error(cmd, "unknown preset '%s' (tiny, micro)", v);
        }
    file_list fl = {0}, hl = {0};
    long threads = 0;
    int rc = CLI_EXIT_OK, kv_given = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v;
        if (cli_is(a, NULL, "--untied")) {
            p.tied = 0;
            continue;
        }
        if (cli_is(a, NULL, "--resume")) {
            p.resume = 1;
            continue;
        }
        const int_opt *io = NULL;
        const float_opt *fo = NULL;
        for (size_t k = 0; k < sizeof int_opts / sizeof *int_opts; k++)
            if (strcmp(a, int_opts[k].name) == 0) io = &int_opts[k];
        for (size_t k = 0; k < sizeof float_opts / sizeof *float_opts; k++)
            if (strcmp(a, float_opts[k].name) == 0) fo = &float_opts[k];
        if (!io && !fo && !cli_is(a, NULL, "--preset") && !cli_is(a, NULL, "--data") &&
            !cli_is(a, NULL, "--tokenizer") && !cli_is(a, NULL, "--seed") &&
            !cli_is(a, NULL, "--holdout") && !cli_is(a, NULL, "--heldout") &&
            !cli_is(a, "-o", "--out") && !cli_is(a, NULL, "--name") &&
            !cli_is(a, "-t", "--threads")) {
            rc = cli_usage_error(cmd, "unknown argument '%s'", a);
            break;
        }
        if (!(v = cli_value(cmd, argc, argv, &i))) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        if (io) {
            long x;
            if (cli_int(cmd, a, v, io->lo, io->hi, &x))
                rc = CLI_EXIT_USAGE;
            else
                *(int *)((char *)&p + io->off) = (int)x;
            if (strcmp(a, "--kv-heads") == 0) kv_given = 1;
        } else if (fo) {
            double x;
            if (cli_float(cmd, a, v, fo->lo, fo->hi, &x))
                rc = CLI_EXIT_USAGE;
            else
                *(float *)((char *)&p + fo->off) = (float)x;
        } else if (cli_is(a, NULL, "--heldout")) {
            if (add_files(&hl, v)) {
                fprintf(stderr, "teai %s: out of memory\n", cmd);
                rc = CLI_EXIT_FAIL;
            }
        } else if (cli_is(a, NULL, "--data")) {
            if (add_files(&fl, v)) {
                fprintf(stderr, "teai %s: out of memory\n", cmd);
                rc = CLI_EXIT_FAIL;
            }
        } else if (cli_is(a, NULL, "--tokenizer")) {
            p.tokenizer_path = v;
        } else if (cli_is(a, NULL, "--seed")) {
            if (cli_u64(cmd, a, v, &p.seed)) rc = CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--holdout")) {
            if (cli_float(cmd, a, v, 0, 0.9, &p.holdout)) rc = CLI_EXIT_USAGE;
        } else if (cli_is(a, "-o", "--out")) {
            p.out_dir = v;
        } else if (cli_is(a, NULL, "--name")) {
            p.name = v;
        } else if (cli_is(a, "-t", "--threads")) {
            if (cli_threads(cmd, a, v, &threads)) rc = CLI_EXIT_USAGE;
        }
    }
    if (!rc && !fl.n) rc = cli_usage_error(cmd, "--data FILE is required");
    if (!rc && !p.out_dir) rc = cli_usage_error(cmd, "--out DIR is required");
    /* --heads alone: keep the kv heads a divisor of the heads */
    if (!rc && !kv_given && p.n_kv_heads > p.n_heads) p.n_kv_heads = p.n_heads;
    if (!rc && p.min_lr > p.lr)
        rc = cli_usage_error(cmd, "--min-lr (%g) is above --lr (%g)", (double)p.min_lr,
                             (double)p.lr);
    if (!rc && p.warmup > p.steps) p.warmup = p.steps;
    if (rc) {
        free_files(&fl);
        free_files(&hl);
        return rc;
    }
    p.data = (const char *const *)fl.v;
    p.n_data = fl.n;
    p.heldout = (const char *const *)hl.v;
    p.n_heldout = hl.n;
    p.n_threads = (int)threads;

    show s = {isatty(2), 0, 0, 0};
    catch_stop();
    teai_train_result res;
    teai_error err = {0};
    int st = teai_train_run(&p, progress, &s, &g_stop, &res, &err);
    if (s.line_open) fputc('\n', stderr);
    free_files(&fl);
    free_files(&hl);
    if (st) return cli_fail(cmd, &err, st);
    if (res.stopped) {
        fprintf(stderr, "teai %s: stopped at step %d; resume with --resume\n", cmd, res.steps_done);
        return CLI_EXIT_INTERRUPT;
    }
    printf("parameters:    %lld\n", (long long)res.n_params);
    printf("tokens:        %lld trained on, %lld held out\n", (long long)res.train_tokens,
           (long long)res.heldout_tokens);
    printf("steps:         %d, final training loss %.4f\n", res.steps_done, res.loss);
    if (isfinite(res.tokens_per_s))
        printf("speed:         %.0f tokens/s, %.2f GFLOP/s, %.1f s training\n", res.tokens_per_s,
               res.gflops, res.train_s);
    if (isfinite(res.heldout_loss))
        printf("held-out:      loss %.4f nats/token, %.4f bits/byte\n", res.heldout_loss,
               res.heldout_bpb);
    printf("wrote:         %s/model-f32.gguf, %s/model-f16.gguf,%s %s/tokenizer.gguf,\n"
           "               %s/loss.csv, %s/checkpoint.bin\n",
           p.out_dir, p.out_dir, file_there(p.out_dir, "hf/config.json") ? " hf/," : "", p.out_dir,
           p.out_dir, p.out_dir);
    return CLI_EXIT_OK;
}

int cmd_model_train_tokenizer(int argc, char **argv) {
    const char *cmd = "model train-tokenizer", *out = NULL;
    if (cli_wants_help(argc, argv)) {
        fputs(tok_help, stdout);
        return CLI_EXIT_OK;
    }
    file_list fl = {0};
    long vocab = 4096, threads = 0;
    int rc = CLI_EXIT_OK;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v;
        if (a[0] != '-') {
            if (add_files(&fl, a)) rc = CLI_EXIT_FAIL;
            continue;
        }
        if (!cli_is(a, NULL, "--data") && !cli_is(a, "-o", "--out") &&
            !cli_is(a, NULL, "--vocab") && !cli_is(a, "-t", "--threads")) {
            rc = cli_usage_error(cmd, "unknown argument '%s'", a);
            break;
        }
        if (!(v = cli_value(cmd, argc, argv, &i))) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        if (cli_is(a, NULL, "--data")) {
            if (add_files(&fl, v)) rc = CLI_EXIT_FAIL;
        } else if (cli_is(a, "-o", "--out")) {
            out = v;
        } else if (cli_is(a, NULL, "--vocab")) {
            if (cli_int(cmd, a, v, 258, 1 << 20, &vocab)) rc = CLI_EXIT_USAGE;
        } else if (cli_threads(cmd, a, v, &threads)) {
            rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == CLI_EXIT_FAIL) fprintf(stderr, "teai %s: out of memory\n", cmd);
    if (!rc && !fl.n) rc = cli_usage_error(cmd, "--data FILE is required");
    if (!rc && !out) rc = cli_usage_error(cmd, "--out FILE.gguf is required");
    if (!rc) {
        teai_error err = {0};
        int st = teai_train_tokenizer((const char *const *)fl.v, fl.n, (int)vocab, (int)threads,
                                      out, &err);
        if (st)
            rc = cli_fail(cmd, &err, st);
        else
            fprintf(stderr, "teai %s: wrote %s (%ld tokens at most, from %d file%s)\n", cmd, out,
                    vocab, fl.n, fl.n == 1 ? "" : "s");
    }
    free_files(&fl);
    return rc;
}
