/* teai collate: raw logs -> per-backend CSVs (DESIGN §1 step 3, §4). */
#include "cli.h"
#include "results/results.h"

#include <stdio.h>

int cmd_collate(int argc, char **argv); /* also in cli.h */

static const char *help =
    "usage: teai collate [--dir DIR]\n"
    "\n"
    "Rebuilds DIR/<backend>.csv (tinygrad.csv, llamacpp.csv, mlc_llm.csv, native.csv,\n"
    "openai.csv, ...) from every *.txt log in DIR: teai's own logs and the original\n"
    "scripts' tinygrad, llama-bench (JSONL) and MLC logs, told apart by content.\n"
    "The first 16 columns are the seed's; docs/log-format.md lists the others.\n"
    "Running it twice gives the same files; each is written to a temporary file\n"
    "and renamed. Corrupt lines, and files that are not logs or cannot be read,\n"
    "are reported on stderr and skipped: collation goes on.\n"
    "\n"
    "  --dir DIR   directory of logs and CSVs (default: benchmark_output)\n"
    "\n"
    "exit codes: 0 done (even with skipped files), 1 a CSV could not be written,\n"
    "            2 bad command line, 3 DIR missing or not a directory\n";

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai collate: %s\n", line);
}

int cmd_collate(int argc, char **argv) {
    const char *cmd = "collate", *dir = "benchmark_output";
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    if (!*dir) return cli_usage_error(cmd, "--dir is empty");
    teai_error err = {0};
    teai_collate_report rep;
    int st = teai_collate(dir, print_note, NULL, &rep, &err);
    if (st != TEAI_OK) {
        /* a missing directory is bad input; anything else (writing) failed */
        int code = st == TEAI_ENOTFOUND ? CLI_EXIT_INPUT : CLI_EXIT_FAIL;
        cli_fail(cmd, &err, st);
        return code;
    }
    fprintf(stderr,
            "teai collate: %d log%s, %ld rows in %d CSV file%s; skipped: %d not logs, "
            "%d unreadable, %d bad lines\n",
            rep.n_logs, rep.n_logs == 1 ? "" : "s", rep.n_rows, rep.n_csv,
            rep.n_csv == 1 ? "" : "s", rep.n_skipped, rep.n_unreadable, rep.n_bad_lines);
    return CLI_EXIT_OK;
}
