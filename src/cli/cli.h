/* Shared by the subcommands: argument helpers, exit codes, errors. Only the
 * command-line tool prints and exits. */
#ifndef TEAI_CLI_H
#define TEAI_CLI_H

#include "teai/engine.h"

#include <stdint.h>

/* Exit codes (documented in README and `teai --help`). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,       /* the run failed (I/O, memory, internal) */
    CLI_EXIT_USAGE = 2,      /* bad command line */
    CLI_EXIT_INPUT = 3,      /* bad input: missing, malformed or unsupported file */
    CLI_EXIT_INTERRUPT = 130 /* stopped by Ctrl-C (SIGINT) or SIGTERM */
};

/* Exit code for an engine status. */
int cli_exit_code(int status);
/* Prints "teai <cmd>: <message>" for a failed call and returns its exit code. */
int cli_fail(const char *cmd, const teai_error *err, int status);
/* Prints "teai <cmd>: <message>" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 if arg is the short or long option (short may be NULL). */
int cli_is(const char *arg, const char *short_name, const char *long_name);
/* The value after option argv[*i] (advancing *i), or NULL with an error printed. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);
/* Parses numbers; print an error and return non-zero when malformed or out of range. */
int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
int cli_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
/* 1 if --help or -h is among the arguments. */
int cli_wants_help(int argc, char **argv);

/* ---- options the engine's commands share -------------------------------
 * -m/--model, --quantize, -t/--threads, --cache-type, --no-repack and
 * --nf4-exact are spelled, described and checked
 * here once: a command's option loop offers each argument to cli_model_opt
 * first, and its help lines take these descriptions (each command aligns
 * its own column). */
#define CLI_HELP_MODEL    "GGUF file, Hugging Face folder, or ORG/NAME in the HF cache"
#define CLI_HELP_QUANTIZE "load-time quantization: default, float16, int8, nf4,"
/* its second line: the GGUF types, weights as `teai model quantize` writes them */
#define CLI_HELP_QUANTIZE_GGUF "or a GGUF type: q8_0, q6_k, q4_k_m, q4_0"
#define CLI_HELP_THREADS       "threads (default: all cores)"
#define CLI_HELP_CACHE_TYPE    "KV cache type: f16 (default), f32, q8_0"
#define CLI_HELP_NO_REPACK     "keep Q4_0/Q4_K weights as stored (no repacked copy at load)"
#define CLI_HELP_NF4_EXACT     "nf4 weights through the exact f32 path, not the integer one"

typedef struct cli_model_opts {
    const char *model;      /* -m, --model MODEL, as typed (cli_resolve_model finds it) */
    teai_quantize quantize; /* --quantize Q; TEAI_QUANTIZE_DEFAULT unless given */
    long threads;           /* -t, --threads N, 1..1024; 0 (all cores) unless given */
    int cache_type;         /* --cache-type T: a teai_cache_type; TEAI_CACHE_DEFAULT (f16) */
    int no_repack;          /* --no-repack: teai_model_params.no_repack */
    int nf4_exact;          /* --nf4-exact: teai_model_params.nf4_exact */
} cli_model_opts;

/* When argv[*i] is one of the options above: takes its value (advancing *i)
 * into o and returns 1, or prints the error and returns -1. 0 for any other
 * argument. */
int cli_model_opt(const char *cmd, int argc, char **argv, int *i, cli_model_opts *o);
/* The quantization named s into *out (NULL: only check it); else prints
 * "unknown quantization 's' (default, float16, int8, nf4)" and returns
 * CLI_EXIT_USAGE. */
int cli_quantize(const char *cmd, const char *s, teai_quantize *out);
/* The KV cache type named s into *out; else prints "unknown KV cache type
 * 's' (f16, f32, q8_0)" and returns CLI_EXIT_USAGE. */
int cli_cache_type(const char *cmd, const char *s, int *out);
/* Copies the options into the engine's parameters (either may be NULL). */
void cli_model_apply(const cli_model_opts *o, teai_model_params *mp, teai_context_params *cp);
/* A thread count, 1..1024, for option opt; non-zero with the error printed. */
int cli_threads(const char *cmd, const char *opt, const char *s, long *out);

/* Ctrl-C handling: after cli_catch_signals(), cli_interrupted() turns 1 on SIGINT/SIGTERM. */
void cli_catch_signals(void);
int cli_interrupted(void);

/* Resolves a model argument (file, folder or ORG/NAME in the Hugging Face
 * cache) into out; prints the error and returns an exit code on failure. */
int cli_resolve_model(const char *cmd, const char *spec, char *out, size_t cap);

/* Monotonic clock, nanoseconds. */
uint64_t cli_now_ns(void);

int cmd_model(int argc, char **argv);
int cmd_model_train(int argc, char **argv);           /* cmd_train.c */
int cmd_model_train_tokenizer(int argc, char **argv); /* cmd_train.c */
int cmd_generate(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_collate(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_viz(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_eval_ppl(int argc, char **argv);  /* cmd_eval_ppl.c */
int cmd_eval_task(int argc, char **argv); /* cmd_eval_task.c */
int cmd_serve(int argc, char **argv);
int cmd_load(int argc, char **argv);   /* cmd_load.c */
int cmd_device(int argc, char **argv); /* cmd_device.c */
int cmd_remote(int argc, char **argv); /* cmd_remote.c */
int cmd_fleet(int argc, char **argv);  /* cmd_fleet.c */

#endif
