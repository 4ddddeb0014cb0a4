/* Shared by `teai bench`, `teai sweep` and `teai eval task`: the options of
 * one configuration, and the runner library (src/bench) driven with the
 * command line's progress display, messages and exit codes. */
#ifndef TEAI_CLI_BENCH_H
#define TEAI_CLI_BENCH_H

#include "bench/bench.h"

#include <stddef.h>

typedef struct bench_opts {
    teai_bench_params p; /* the configuration and where its model comes from */
    int quiet;           /* no progress display and no summary */
    int force, dry_run;  /* sweep only */
} bench_opts;

void bench_defaults(bench_opts *o);
/* Parses bench options (argv[0] is the command); an exit code. */
int bench_parse(const char *cmd, int argc, char **argv, bench_opts *o);
/* Finds (or with --synthetic makes) the model for o, saying what it makes;
 * an empty path when the backend needs none (openai, tinygrad). An exit
 * code; errors printed, listing where it looked. */
int bench_model(const bench_opts *o, teai_bench_model *m);
/* Opens o's backend on m, to run several configurations that differ only in
 * seed, prompt and lengths without reloading (the sweep). An exit code;
 * errors printed. Close with teai_bench_close. */
int bench_open(const bench_opts *o, const teai_bench_model *m, teai_bench **out);
/* Runs o on b into a log, with a progress display on a terminal, then prints
 * the summary (unless o->quiet) or what failed; log_path gets the log's path
 * ("" when none was made). An exit code. */
int bench_session_run(teai_bench *b, const bench_opts *o, char *log_path, size_t log_cap);

#endif
