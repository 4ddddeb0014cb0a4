/* teai: benchmark LLM inference on the devices people own. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"model", cmd_model, "inspect, synthesize, convert, quantize and train model files"},
    {"generate", cmd_generate, "generate text with the built-in engine"},
    {"tokenize", cmd_tokenize, "print the token ids of text read on stdin"},
    {"bench", cmd_bench, "benchmark one configuration on a backend into a raw log"},
    {"sweep", cmd_sweep, "benchmark the cross product of backends, sizes, quantizations, ..."},
    {"probe", cmd_probe, "list this machine's sensors and measure its read bandwidth"},
    {"collate", cmd_collate, "rebuild the per-backend CSVs from the raw logs"},
    {"analyze", cmd_analyze, "statistics per group, speedups with confidence intervals"},
    {"viz", cmd_viz, "the benchmark comparison in the terminal"},
    {"plot", cmd_plot, "figures of the collated CSVs (PNG/SVG/PDF)"},
    {"report", cmd_report, "PDF presentation of the collated CSVs"},
    {"eval", cmd_eval, "accuracy: perplexity, KL divergence against a reference, tasks"},
    {"serve", cmd_serve, "the built-in engine behind an OpenAI-compatible HTTP API"},
    {"load", cmd_load, "load-test an OpenAI-compatible server: latency under concurrency/rate"},
    {"device", cmd_device, "the devices teai runs on: add, list, check (docs/remote.md)"},
    {"remote", cmd_remote, "run sweep or bench on a device over ssh/adb, logs fetched back"},
    {"fleet", cmd_fleet, "the same sweep on several devices at once, collated into one set"},
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

/* The optional parts compiled into this build, one word each, for people and
 * for the tests (tests/lib_cli.sh has_feature): "features: llamacpp cairo ...";
 * the words missing from the line were left out at configure time. */
static void print_features(void) {
    static const struct {
        const char *name;
        int on;
    } f[] = {
        {"cjson", TEAI_HAVE_CJSON},
        {"curl", TEAI_HAVE_CURL},
        {"llamacpp", TEAI_HAVE_LLAMA},
        {"server", TEAI_HAVE_SERVER},
#if TEAI_HAVE_CAIRO
        {"cairo", 1},
#else
        {"cairo", 0},
#endif
#if defined(TEAI_STATIC_LINK) && TEAI_STATIC_LINK
        {"static", 1},
#else
        {"static", 0},
#endif
    };
    fputs("features:", stdout);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (f[i].on) printf(" %s", f[i].name);
    putchar('\n');
}

/* What a command printed must reach its file: a full disk or a failed
 * device under stdout is an error that says so, not a silent success. */
static int stdout_checked(const char *cmd, int rc) {
    errno = 0;
    int e = fflush(stdout) != 0 || ferror(stdout) ? (errno ? errno : EIO) : 0;
    if (!e) return rc;
    fprintf(stderr, "teai %s: standard output: write: %s\n", cmd, strerror(e));
    return rc ? rc : CLI_EXIT_FAIL;
}

int main(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help") || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (cli_is(argv[1], NULL, "--version")) {
        printf("teai %s (%s)\n", TEAI_VERSION, TEAI_GIT_COMMIT);
        print_features();
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return stdout_checked(argv[1], commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "teai: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
