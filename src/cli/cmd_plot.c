/* teai plot: the named figures (docs/plots.md) as PNG, SVG or PDF files,
 * built from the collated CSVs by the plot module (src/plot, cairo only). */
#include "cli.h"

#include <stdio.h>

int cmd_plot(int argc, char **argv); /* also in cli.h */

#if TEAI_HAVE_CAIRO
#include "plot/figures.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *help =
    "usage: teai plot [--dir DIR] [--output-dir OUT] [--format png|svg|pdf] [--dpi N]\n"
    "                 [--copy-to DIR2] [--accuracy-metric ENV:METRIC]\n"
    "\n"
    "Draws the figures of the collated CSVs in DIR (default benchmark_output) into\n"
    "OUT (default plots): backend_comparison, speedup_comparison, summary_stats,\n"
    "quantization_impact, latency_distribution, memory_throughput, param_throughput,\n"
    "device_comparison, roofline, energy_per_token, thermal_timeline and pareto.\n"
    "Bars and points carry 95% confidence intervals; only measured decode rows (no\n"
    "warm-up) count. A figure the data cannot support is skipped with the reason.\n"
    "Prints one line per file written with its finding.\n"
    "\n"
    "roofline: decode tokens/s against GB read per decoded token, one point per\n"
    "configuration, under each device's measured read bandwidth (membw_gb_s) as\n"
    "its roof. energy_per_token: J/token per backend, size and quantization, over\n"
    "repetitions (needs an energy sensor; teai probe lists them). thermal_timeline:\n"
    "tokens/s and temperature against time from DIR/samples.csv, for sustained runs\n"
    "(teai bench --duration) or else the longest run, throttled stretches shaded.\n"
    "\n"
    "pareto plots accuracy (or KL divergence) from DIR/accuracy.csv (teai eval, then\n"
    "teai collate) against decode tokens/s, one point per backend and quantization,\n"
    "joined on backend + size + quantization, with the Pareto frontier drawn.\n"
    "\n"
    "When DIR holds a serving.csv (teai load, then teai collate), also\n"
    "serving_curve (TTFT p50/p99 and TPOT p99 against output tokens/s, one line per\n"
    "server label, one point per level, with 95% intervals) and latency_breakdown\n"
    "(TTFT and TPOT percentiles per label and level); a folder with only serving.csv\n"
    "gets these two (docs/serving-analysis.md).\n"
    "\n"
    "  --format F    png (default), svg or pdf\n"
    "  --dpi N       PNG resolution; the scale is N/100 (default 100: 1000x600 pixels)\n"
    "  --copy-to D2  also write every figure into D2 (e.g. docs/images)\n"
    "  --accuracy-metric ENV:METRIC\n"
    "                pareto's y axis, e.g. gsm8k:reward or perplexity:kl_divergence\n"
    "                (default: the reward of the task with the most points, else\n"
    "                perplexity:kl_divergence, else perplexity:ppl)\n"
    "\n"
    "exit codes: 0 at least one figure written, 1 failed, 2 bad command line,\n"
    "3 DIR missing or no usable data\n";

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai plot: %s\n", line);
}

static int ensure_dir(const char *dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return 0;
    fprintf(stderr, "teai plot: %s: %s\n", dir, strerror(errno));
    return -1;
}

int cmd_plot(int argc, char **argv) {
    const char *cmd = "plot", *dir = "benchmark_output", *out = "plots", *copy = NULL;
    const char *ext = "png", *acc_metric = NULL;
    teai_plot_format fmt = TEAI_PLOT_PNG;
    long dpi = 100;
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--output-dir")) {
            if (!(out = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--copy-to")) {
            if (!(copy = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--accuracy-metric")) {
            if (!(acc_metric = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            const char *colon = strchr(acc_metric, ':');
            if (!colon || colon == acc_metric || !colon[1])
                return cli_usage_error(cmd, "--accuracy-metric must be ENV:METRIC, not '%s'",
                                       acc_metric);
        } else if (cli_is(argv[i], NULL, "--dpi")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_int(cmd, "--dpi", v, 10, 1200, &dpi))
                return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--format")) {
            if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (!strcmp(v, "png"))
                fmt = TEAI_PLOT_PNG, ext = "png";
            else if (!strcmp(v, "svg"))
                fmt = TEAI_PLOT_SVG, ext = "svg";
            else if (!strcmp(v, "pdf"))
                fmt = TEAI_PLOT_PDF, ext = "pdf";
            else
                return cli_usage_error(cmd, "--format must be png, svg or pdf, not '%s'", v);
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }

    teai_error err = {0};
    teai_figures_data fd;
    /* serving.csv stands on its own: without speed rows its figures are
     * still drawn */
    char spath[4096];
    struct stat sb;
    teai_serving_table *stab = NULL;
    if (snprintf(spath, sizeof spath, "%s/serving.csv", dir) < (int)sizeof spath &&
        stat(spath, &sb) == 0) {
        teai_error serr = {0};
        int sst = teai_serving_table_read(spath, print_note, NULL, &stab, &serr);
        if (sst) fprintf(stderr, "teai plot: %s\n", serr.msg);
    }
    int st = teai_figures_load(dir, NULL, 0, print_note, NULL, &fd, &err);
    int have_fd = st == TEAI_OK;
    if (st && !(st == TEAI_ENOTFOUND && stab)) {
        cli_fail(cmd, &err, st);
        teai_serving_table_free(stab);
        return st == TEAI_ENOTFOUND ? CLI_EXIT_INPUT : CLI_EXIT_FAIL;
    }
    if (!have_fd) printf("skipped the speed figures: %s\n", err.msg);
    if (ensure_dir(out) || (copy && ensure_dir(copy))) {
        if (have_fd) teai_figures_data_free(&fd);
        teai_serving_table_free(stab);
        return CLI_EXIT_FAIL;
    }
    teai_plot_params pp = teai_plot_default_params();
    pp.scale = (double)dpi / 100.0;
    int written = 0, failed = 0;
    for (int f = 0; f < TEAI_FIG_N + TEAI_SFIG_N; f++) {
        int serving = f >= TEAI_FIG_N;
        if (serving ? !stab : !have_fd) continue;
        const char *name = serving ? teai_serving_figure_name(f - TEAI_FIG_N) : teai_figure_name(f);
        for (int k = 0; k < (copy ? 2 : 1); k++) {
            char path[4096], msg[1024];
            int n = snprintf(path, sizeof path, "%s/%s.%s", k ? copy : out, name, ext);
            if (n < 0 || (size_t)n >= sizeof path) {
                fprintf(stderr, "teai plot: output path too long\n");
                failed++;
                break;
            }
            int r = serving ? teai_serving_figure_write(f - TEAI_FIG_N, stab, path, fmt, &pp, msg,
                                                        sizeof msg)
                            : teai_figure_write_data(f, &fd, acc_metric, path, fmt, &pp, msg,
                                                     sizeof msg);
            if (r == 1) {
                printf("wrote %s: %s\n", path, msg);
                written++;
            } else if (r == 0) {
                printf("skipped %s: %s\n", name, msg);
                break;
            } else {
                fprintf(stderr, "teai plot: %s: %s\n", name, msg);
                failed++;
                break;
            }
        }
    }
    fflush(stdout);
    if (have_fd) teai_figures_data_free(&fd);
    teai_serving_table_free(stab);
    if (!written) {
        fprintf(stderr, "teai plot: no figure written\n");
        return failed ? CLI_EXIT_FAIL : CLI_EXIT_INPUT;
    }
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

#else /* !TEAI_HAVE_CAIRO */

int cmd_plot(int argc, char **argv) {
    (void)argc, (void)argv;
    fprintf(stderr, "teai plot: built without cairo (install libcairo2-dev)\n");
    return CLI_EXIT_FAIL;
}

#endif
