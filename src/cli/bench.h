/* Shared by `teai bench` and `teai sweep`: options of one configuration,
 * model lookup, and running it into a raw log. */
#ifndef TEAI_CLI_BENCH_H
#define TEAI_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_opts {
    const char *backend, *size, *quantize, *model, *prompt, *prompt_file, *output_dir;
    const char *llama_cpp, *base_url, *api_key, *model_name, *backend_name, *tinygrad, *python;
    uint64_t seed;
    int n_gen, prompt_tokens, repetitions, warmup, threads, ctx, chat, quiet, synthetic;
    int force, dry_run; /* sweep only */
    int make_missing;   /* quantize a missing seed GGUF from a higher-precision one */
    float temperature;
} bench_opts;

void bench_defaults(bench_opts *o);
/* Parses bench options (argv[0] is the command); an exit code. */
int bench_parse(const char *cmd, int argc, char **argv, bench_opts *o);
/* Finds (or with --synthetic makes) the model for o; "" when the backend
 * needs none (openai). An exit code; errors list where it looked. */
int bench_model(const bench_opts *o, char *out, size_t cap, int *synthetic);
/* An opened backend with its model, to run several configurations that
 * differ only in seed, prompt and lengths without reloading (the sweep). */
typedef struct bench_session bench_session;
int bench_open(const bench_opts *o, const char *model, bench_session **out);
int bench_session_run(bench_session *s, const bench_opts *o, int synthetic, char *log_path,
                      size_t log_cap);
void bench_close(bench_session *s);
/* Runs o on model into a log; writes its path to log_path. An exit code. */
int bench_run(const bench_opts *o, const char *model, int synthetic, char *log_path,
              size_t log_cap);

#endif
