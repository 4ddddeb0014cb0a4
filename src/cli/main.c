/* teai: benchmark LLM inference on the devices people own. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"model", cmd_model, "inspect, synthesize, convert and quantize model files"},
    {"generate", cmd_generate, "generate text with the built-in engine"},
    {"tokenize", cmd_tokenize, "print the token ids of text read on stdin"},
    {"bench", cmd_bench, "benchmark one configuration on a backend into a raw log"},
    {"sweep", cmd_sweep, "benchmark the cross product of backends, sizes, quantizations, ..."},
    {"collate", cmd_collate, "rebuild the per-backend CSVs from the raw logs"},
    {"analyze", cmd_analyze, "statistics per group, speedups with confidence intervals"},
    {"viz", cmd_viz, "the benchmark comparison in the terminal"},
    {"plot", cmd_plot, "figures of the collated CSVs (PNG/SVG/PDF)"},
    {"report", cmd_report, "PDF presentation of the collated CSVs"},
    {"eval", cmd_eval, "accuracy: perplexity, KL divergence against a reference, tasks"},
    {"serve", cmd_serve, "the built-in engine behind an OpenAI-compatible HTTP API"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: teai <command> [options]   (teai <command> --help for its options)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nexit codes: 0 success, 1 the run failed, 2 bad command line,\n"
            "            3 bad input (missing, malformed or unsupported file), 130 interrupted\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help") || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (cli_is(argv[1], NULL, "--version")) {
        printf("teai %s (%s)\n", TEAI_VERSION, TEAI_GIT_COMMIT);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "teai: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
