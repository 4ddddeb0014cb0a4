/* teai collate: raw logs -> per-backend CSVs (step 3 of the pipeline,
 * docs/architecture.md; the CSVs: docs/log-format.md §3), verifiers
 * results -> accuracy.csv (docs/log-format.md §5), and `teai load`'s logs ->
 * serving.csv (docs/serving-analysis.md). */
#include "analysis/serving.h"
#include "cli.h"
#include "results/results.h"

#include <stdio.h>
#include <sys/stat.h>

int cmd_collate(int argc, char **argv); /* also in cli.h */

static const char *help =
    "usage: teai collate [--dir DIR] [--eval-dir EDIR] [--load-dir LDIR]\n"
    "\n"
    "Rebuilds DIR/<backend>.csv (tinygrad.csv, llamacpp.csv, mlc_llm.csv, native.csv,\n"
    "openai.csv, ...) from every *.txt log in DIR: teai's own logs and the original\n"
    "scripts' tinygrad, llama-bench (JSONL) and MLC logs, told apart by content.\n"
    "The first 16 columns are the seed's; docs/log-format.md lists the others.\n"
    "Running it twice gives the same files; each is written to a temporary file\n"
    "and renamed. Corrupt lines, and files that are not logs or cannot be read,\n"
    "are reported on stderr and skipped: collation goes on.\n"
    "\n"
    "It also rebuilds DIR/accuracy.csv from every *.json verifiers results file in\n"
    "EDIR (teai eval's and the original verifiers_sweep.py's): one row per\n"
    "configuration and metric (gsm8k reward, perplexity kl_divergence, ...), with\n"
    "its 95% CI and n where the results carry them. Without EDIR, nothing is done.\n"
    "\n"
    "And it rebuilds DIR/serving.csv from every `teai load` log (*.jsonl whose first\n"
    "line is a run line) under LDIR and its subfolders: one row per run and level\n"
    "(a concurrency or an arrival rate), with throughput, goodput and TTFT, TPOT,\n"
    "ITL and end-to-end latency percentiles with 95% intervals\n"
    "(docs/serving-analysis.md). Without load logs, nothing is written.\n"
    "\n"
    "  --dir DIR        directory of logs and CSVs (default: benchmark_output)\n"
    "  --eval-dir EDIR  verifiers results (default: DIR/verifiers_results)\n"
    "  --load-dir LDIR  teai load's logs, searched recursively (default: DIR)\n"
    "\n"
    "exit codes: 0 done (even with skipped files), 1 a CSV could not be written,\n"
    "            2 bad command line, 3 DIR (or a given EDIR) missing or not a directory\n";

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai collate: %s\n", line);
}

int cmd_collate(int argc, char **argv) {
    const char *cmd = "collate", *dir = "benchmark_output", *edir = NULL, *ldir = NULL;
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--eval-dir")) {
            if (!(edir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--load-dir")) {
            if (!(ldir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    if (!*dir) return cli_usage_error(cmd, "--dir is empty");
    if (edir && !*edir) return cli_usage_error(cmd, "--eval-dir is empty");
    if (ldir && !*ldir) return cli_usage_error(cmd, "--load-dir is empty");
    /* an --eval-dir the user named must exist (checked before writing
     * anything); the default one may not */
    struct stat sb;
    if (edir && (stat(edir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        fprintf(stderr, "teai collate: --eval-dir %s: not a directory\n", edir);
        return CLI_EXIT_INPUT;
    }
    if (ldir && (stat(ldir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        fprintf(stderr, "teai collate: --load-dir %s: not a directory\n", ldir);
        return CLI_EXIT_INPUT;
    }
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

    teai_acc_report arep;
    st = teai_collate_accuracy(dir, edir, print_note, NULL, &arep, &err);
    if (st != TEAI_OK) {
        cli_fail(cmd, &err, st);
        return CLI_EXIT_FAIL;
    }
    if (arep.n_files || arep.n_bad_files)
        fprintf(stderr,
                "teai collate: %d results file%s, %d record%s, %ld accuracy rows; skipped: %d "
                "unreadable files, %d bad records or metrics\n",
                arep.n_files, arep.n_files == 1 ? "" : "s", arep.n_records,
                arep.n_records == 1 ? "" : "s", arep.n_rows, arep.n_bad_files, arep.n_bad);

    char out[4096];
    if (snprintf(out, sizeof out, "%s/serving.csv", dir) >= (int)sizeof out) {
        fprintf(stderr, "teai collate: %s: path too long\n", dir);
        return CLI_EXIT_FAIL;
    }
    long srows = 0;
    st = teai_serving_collate(ldir ? ldir : dir, out, print_note, NULL, &srows, &err);
    if (st != TEAI_OK) {
        cli_fail(cmd, &err, st);
        return CLI_EXIT_FAIL;
    }
    if (srows) fprintf(stderr, "teai collate: %ld serving rows in %s\n", srows, out);
    return CLI_EXIT_OK;
}
