/* teai viz: the seed's visualize_benchmarks.py in the terminal: a comparison
 * table, bars of decode tokens/s with their 95% CI, and speedups.
 * Built when the analysis library is linked (TEAI_HAVE_ANALYSIS). */
#ifdef TEAI_HAVE_ANALYSIS
#include "analysis/analysis.h"
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cmd_viz(int argc, char **argv); /* also in cli.h */

static const char *help =
    "usage: teai viz [--dir DIR] [--ascii] [--width N]\n"
    "\n"
    "Shows the collated CSVs in DIR (default benchmark_output) in the terminal:\n"
    "a table of decode tokens/s per backend, device, size and quantization, a bar\n"
    "chart of the mean with its 95% CI, and speedups between backends (ratio of\n"
    "means, bootstrap CI, Mann-Whitney p). Only measured decode rows count. A device\n"
    "is its name from teai device (device_name) when set, else its host name (and\n"
    "architecture: two devices on one host stay apart).\n"
    "\n"
    "  --ascii     '#' bars and no colour (colour is also off when NO_COLOR is set\n"
    "              or stdout is not a terminal)\n"
    "  --width N   line width (default: the terminal's, else $COLUMNS, else 80)\n"
    "\n"
    "exit codes: 0 done, 1 failed, 2 bad command line, 3 DIR missing or no data\n";

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai viz: %s\n", line);
}

static int term_width(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    char *end;
    long v = c ? strtol(c, &end, 10) : 0;
    if (c && *c && !*end && v >= 20 && v <= 1000) return (int)v;
    return 80;
}

/* Group g's device as viz names it (columns hostname, machine, device_name
 * first): device_name when set, else the host name, with "/machine" when
 * another group on that host has another machine. */
static void device_of(const teai_dataset *ds, int g, char *out, size_t cap) {
    const char *host = teai_dataset_key(ds, g, 0), *mach = teai_dataset_key(ds, g, 1);
    const char *name = teai_dataset_key(ds, g, 2);
    if (*name) {
        snprintf(out, cap, "%s", name);
        return;
    }
    int twin = 0;
    for (int e = 0; e < teai_dataset_n_groups(ds) && !twin; e++)
        twin = !*teai_dataset_key(ds, e, 2) && !strcmp(host, teai_dataset_key(ds, e, 0)) &&
               strcmp(mach, teai_dataset_key(ds, e, 1));
    if (twin && *mach)
        snprintf(out, cap, "%s/%s", host, mach);
    else
        snprintf(out, cap, "%s", host);
}

/* A bar of `len` eighths of a cell. */
static void bar(double cells, int ascii) {
    static const char *const part[8] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    long eighths = lround(cells * 8);
    if (ascii) {
        for (long i = 0; i < (eighths + 4) / 8; i++) putchar('#');
        return;
    }
    for (long i = 0; i < eighths / 8; i++) fputs("█", stdout);
    fputs(part[eighths % 8], stdout);
}

/* The group's flagged repetitions: "none of 3", "1 of 3 (1 noisy)", or
 * "unknown" when its logs carry no device state (older logs, other tools). */
static void flags_of(const teai_dataset *ds, int g, char *out, size_t cap) {
    teai_group_info gi;
    if (teai_dataset_group_info(ds, g, &gi) != TEAI_OK || gi.flag_known == 0) {
        snprintf(out, cap, "unknown");
        return;
    }
    if (!gi.flagged) {
        snprintf(out, cap, "none of %ld", gi.flag_known);
        return;
    }
    int n = snprintf(out, cap, "%ld of %ld (", gi.flagged, gi.flag_known);
    const char *sep = "";
    const struct {
        long k;
        const char *name;
    } f[] = {{gi.noisy, "noisy"}, {gi.throttled, "throttled"}, {gi.charging, "charging"}};
    for (size_t i = 0; i < 3 && n > 0 && (size_t)n < cap; i++)
        if (f[i].k) {
            n += snprintf(out + n, cap - (size_t)n, "%s%ld %s", sep, f[i].k, f[i].name);
            sep = ", ";
        }
    if (n > 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, ")");
}

int cmd_viz(int argc, char **argv) {
    const char *cmd = "viz", *dir = "benchmark_output";
    int ascii = 0;
    long width = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is(argv[i], NULL, "--dir")) {
            if (!(dir = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--ascii")) {
            ascii = 1;
        } else if (cli_is(argv[i], NULL, "--width")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_int(cmd, "--width", v, 40, 1000, &width))
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    if (!width) width = term_width();
    const char *nc = getenv("NO_COLOR");
    int colour = !ascii && !(nc && *nc) && isatty(STDOUT_FILENO);

    /* grouped by device, then setting, so the bars of one quantization sit
     * together; machine and device_name tell devices on one host apart (""
     * in older CSVs) */
    enum { K_HOST, K_MACH, K_NAME, K_SIZE, K_QUANT, K_BACKEND, K_N };
    static const char *const cols[K_N] = {"hostname", "machine",  "device_name",
                                          "size",     "quantize", "backend"};
    teai_error err = {0};
    teai_dataset *ds;
    int st = teai_dataset_new(cols, K_N, &ds, &err), n_files = 0, n_bad = 0;
    if (!st) st = teai_dataset_allow_missing(ds, "machine", &err);
    if (!st) st = teai_dataset_allow_missing(ds, "device_name", &err);
    if (!st) st = teai_dataset_add_dir(ds, dir, print_note, NULL, &n_files, &n_bad, &err);
    if (st) {
        teai_dataset_free(ds);
        cli_fail(cmd, &err, st);
        return st == TEAI_ENOTFOUND ? CLI_EXIT_INPUT : CLI_EXIT_FAIL;
    }
    int ng = teai_dataset_n_groups(ds);
    teai_stats *s = calloc((size_t)(ng ? ng : 1), sizeof *s);
    if (!s) {
        teai_dataset_free(ds);
        fprintf(stderr, "teai viz: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    double top = 0;
    int label_w = 8, n_data = 0;
    for (int g = 0; g < ng; g++) {
        size_t n;
        const double *x = teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &n);
        if (teai_stats_compute(x, n, TEAI_SEED_DEFAULT, TEAI_BOOT_DEFAULT, &s[g])) {
            st = TEAI_ENOMEM;
            break;
        }
        if (n) n_data++;
        double hi = isnan(s[g].ci_hi) ? s[g].mean : s[g].ci_hi;
        if (n && hi > top) top = hi;
        int l = (int)(strlen(teai_dataset_key(ds, g, K_QUANT)) +
                      strlen(teai_dataset_key(ds, g, K_BACKEND)) + 1);
        if (l > label_w) label_w = l;
    }
    if (st || n_data == 0) {
        if (!st) fprintf(stderr, "teai viz: %s: no measured decode rows in the CSVs\n", dir);
        free(s);
        teai_dataset_free(ds);
        return st ? CLI_EXIT_FAIL : CLI_EXIT_INPUT;
    }
    if (label_w > 30) label_w = 30;

    printf("Decode tokens/s (measured repetitions, step >= 1)\n");
    printf("%-12s %-6s %-9s %-12s %9s %9s %9s %9s  %s\n", "device", "size", "quantize", "backend",
           "n", "mean", "median", "sd", "flagged repetitions");
    for (int g = 0; g < ng; g++) {
        if (!s[g].n) continue;
        char flags[96], who[192];
        flags_of(ds, g, flags, sizeof flags);
        device_of(ds, g, who, sizeof who);
        printf("%-12.12s %-6.6s %-9.9s %-12.12s %9ld %9.4g %9.4g %9.4g  %s\n", who,
               teai_dataset_key(ds, g, K_SIZE), teai_dataset_key(ds, g, K_QUANT),
               teai_dataset_key(ds, g, K_BACKEND), s[g].n, s[g].mean, s[g].median, s[g].sd, flags);
    }

    /* bars: label | bar | "mean [lo-hi]" */
    int ci_w = 28, bar_w = (int)width - label_w - ci_w - 3;
    if (bar_w < 10) bar_w = 10;
    static const char *const palette[6] = {"\x1b[34m", "\x1b[32m", "\x1b[33m",
                                           "\x1b[35m", "\x1b[36m", "\x1b[31m"};
    char prev_who[192] = "";
    const char *prev_size = NULL;
    for (int g = 0; g < ng; g++) {
        if (!s[g].n) continue;
        char who[192];
        device_of(ds, g, who, sizeof who);
        const char *size = teai_dataset_key(ds, g, K_SIZE);
        if (!prev_size || strcmp(prev_who, who) || strcmp(prev_size, size))
            printf("\n%s, %s (bars: mean decode tokens/s; [95%% CI])\n", who, size);
        snprintf(prev_who, sizeof prev_who, "%s", who);
        prev_size = size;
        char label[128];
        snprintf(label, sizeof label, "%s %s", teai_dataset_key(ds, g, K_QUANT),
                 teai_dataset_key(ds, g, K_BACKEND));
        printf("%-*.*s |", label_w, label_w, label);
        double cells = top > 0 ? s[g].mean / top * bar_w : 0;
        /* colour by backend name, so one backend keeps its colour everywhere */
        unsigned h = 0;
        for (const char *p = teai_dataset_key(ds, g, K_BACKEND); *p; p++)
            h = h * 31 + (unsigned char)*p;
        if (colour) fputs(palette[h % 6], stdout);
        bar(cells, ascii);
        if (colour) fputs("\x1b[0m", stdout);
        if (s[g].ci_method == TEAI_CI_NONE)
            printf(" %.4g (n=%ld)\n", s[g].mean, s[g].n);
        else
            printf(" %.4g [%.4g-%.4g]\n", s[g].mean, s[g].ci_lo, s[g].ci_hi);
    }

    teai_compare *c = NULL;
    int n_c = 0;
    if (teai_dataset_compare(ds, "backend", NULL, NULL, TEAI_SEED_DEFAULT, TEAI_BOOT_DEFAULT, &c,
                             &n_c, &err) == TEAI_OK) {
        if (n_c) printf("\nSpeedups (ratio of mean decode tokens/s)\n");
        for (int i = 0; i < n_c; i++) {
            const teai_speedup *x = &c[i].s;
            char p[32];
            if (isnan(x->mwu.p))
                snprintf(p, sizeof p, "p unknown");
            else if (x->mwu.p < 0.001)
                snprintf(p, sizeof p, "p < 0.001");
            else
                snprintf(p, sizeof p, "p = %.3f", x->mwu.p);
            char who[192];
            device_of(ds, c[i].ga, who, sizeof who);
            printf("%s is %.3gx %s at %s %s %s (95%% CI %.4g-%.4g), Mann-Whitney %s%s\n",
                   teai_dataset_key(ds, c[i].ga, K_BACKEND), x->ratio,
                   teai_dataset_key(ds, c[i].gb, K_BACKEND), who,
                   teai_dataset_key(ds, c[i].ga, K_SIZE), teai_dataset_key(ds, c[i].ga, K_QUANT),
                   x->ci_lo, x->ci_hi, p, x->significant ? "" : ": not significant at 5%");
        }
        free(c);
    }
    free(s);
    teai_dataset_free(ds);
    return n_bad ? CLI_EXIT_INPUT : CLI_EXIT_OK;
}
#endif
