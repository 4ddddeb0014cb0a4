/* teai report: a PDF presentation of the collated CSVs, built by the
 * report module (src/report, cairo only), plus its typst source and the
 * figures as PNG files next to it. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_report(int argc, char **argv); /* also in cli.h */

#if TEAI_HAVE_CAIRO
#include "report/report.h"

static const char *help =
    "usage: teai report [--dir DIR] [-o FILE.pdf] [--paper] [--accuracy-metric ENV:METRIC]\n"
    "\n"
    "Builds a PDF presentation from the collated CSVs in DIR (default\n"
    "benchmark_output): title, setup (hosts, devices, backends, models), one slide\n"
    "per figure with its finding, the figures the data could not support, a summary\n"
    "table (decode tokens/s mean, 95% CI, n), energy and heat (J/token, decode W,\n"
    "max temperature, throttled/noisy/charging repetitions per configuration, or\n"
    "that no energy sensor was available), per device its sensors and measured\n"
    "read bandwidth, and the methodology and limitations.\n"
    "When DIR has an accuracy.csv (teai eval, then teai collate): the pareto figure\n"
    "and a table per evaluation environment (value, 95% CI, n per backend, size\n"
    "and quantization).\n"
    "When DIR has a serving.csv (teai load, then teai collate): a \"Serving under\n"
    "load\" slide with serving_curve and latency_breakdown and a table per server\n"
    "label and level (throughput, TTFT p50/p99, TPOT p99, goodput, errors); a DIR\n"
    "with only serving.csv gets those slides (docs/serving-analysis.md).\n"
    "Also writes FILE.typ (typst source of the same slides) and the figures as PNG\n"
    "in FILE_figures/. Default output: presentation.pdf.\n"
    "\n"
    "  --dir DIR     folder with the collated CSVs (run teai collate first)\n"
    "  -o FILE.pdf   output PDF\n"
    "  --paper       US letter portrait pages instead of 16:9 slides\n"
    "  --accuracy-metric ENV:METRIC\n"
    "                the pareto figure's y axis (as in teai plot)\n"
    "\n"
    "exit codes: 0 written, 1 failed, 2 bad command line, 3 DIR missing or no data\n";

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai report: %s\n", line);
}

int cmd_report(int argc, char **argv) {
    const char *cmd = "report";
    teai_report_opts o = {
        .dir = "benchmark_output", .pdf_path = "presentation.pdf", .note = print_note};
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(o.dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], "-o", "--output")) {
            if (!(o.pdf_path = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--accuracy-metric")) {
            if (!(o.accuracy_metric = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            const char *colon = strchr(o.accuracy_metric, ':');
            if (!colon || colon == o.accuracy_metric || !colon[1])
                return cli_usage_error(cmd, "--accuracy-metric must be ENV:METRIC, not '%s'",
                                       o.accuracy_metric);
        } else if (cli_is(argv[i], NULL, "--paper")) {
            o.paper = 1;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    teai_error err = {0};
    teai_report_result res;
    int st = teai_report_write(&o, &res, &err);
    if (st) {
        if (st == TEAI_ENOTFOUND) {
            fprintf(stderr, "teai report: %s\n", err.msg);
            return CLI_EXIT_INPUT;
        }
        return cli_fail(cmd, &err, st);
    }
    printf("wrote %s (%d pages: %d figures, %d skipped, %d accuracy tables), %s and %s/\n",
           o.pdf_path, res.n_pages, res.n_figures, res.n_skipped, res.n_accuracy, res.typ_path,
           res.figures_dir);
    return CLI_EXIT_OK;
}

#else /* !TEAI_HAVE_CAIRO */

int cmd_report(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "teai report: built without cairo (install libcairo2-dev)\n");
    return CLI_EXIT_FAIL;
}

#endif
