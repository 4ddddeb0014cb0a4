/* teai probe: what this machine exposes to a benchmark (docs/sensors.md):
 * which energy, temperature, clock, throttle, battery and load sensors
 * there are, their values now, which are missing and why, the background
 * load over half a second, and the read bandwidth at 1..N threads (cached
 * per host, re-measured with --force). */
#include "cli.h"
#include "sys/sensors.h"
#include "sys/sys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_probe(int argc, char **argv); /* also in cli.h */

static const char *help =
    "usage: teai probe [--force] [--threads N] [--no-bandwidth] [--root DIR]\n"
    "\n"
    "Lists what this machine exposes to a benchmark: energy counters (RAPL,\n"
    "hwmon), power and battery readings, temperatures, CPU clocks and their\n"
    "governor, throttle counters, and the background load (/proc/stat, CPU\n"
    "pressure, load average); each with its value now, or why it is missing or\n"
    "unreadable. Then it measures the read bandwidth at 1..N threads: the roof\n"
    "of the roofline figure, recorded in every benchmark log. Bandwidths are\n"
    "cached per host ($XDG_CACHE_HOME/teai/hosts/, else ~/.cache/teai/hosts/) and\n"
    "measured only when missing or stale (another CPU or RAM size), or with\n"
    "--force.\n"
    "\n"
    "  --force          measure the bandwidths again\n"
    "  -t, --threads N  measure 1..N threads (default: all cores)\n"
    "  --no-bandwidth   list the sensors only\n"
    "  --root DIR       read the sensor files under DIR (default: $TEAI_SYSFS_ROOT,\n"
    "                   else /), e.g. a copy of a phone's /sys and /proc\n"
    "\n"
    "exit codes: 0 done (missing sensors are not an error), 1 a measurement\n"
    "            failed, 2 bad command line, 130 interrupted\n";

/* "45.2 C", "1800 MHz", "12.3456 J": a reading with its unit. */
static void fmt_value(char *buf, size_t cap, double v, const char *unit) {
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (strcmp(unit, "MHz") == 0 || (strcmp(unit, "count") == 0 && v == floor(v)))
        snprintf(buf, cap, "%.0f %s", v, unit);
    else
        snprintf(buf, cap, "%.*f %s", fabs(v) >= 100 ? 1 : 2, v, unit);
}

static void list_sensors(const teai_sensors *s, const char *root) {
    printf("sensors (files under %s):\n", root);
    for (int k = 0; k < TEAI_SENSOR_N_KINDS; k++) {
        const char *kind = teai_sensor_kind_name((teai_sensor_kind)k);
        int found = 0;
        for (int i = 0; i < teai_sensors_count(s); i++) {
            const teai_sensor_desc *d = teai_sensors_get(s, i);
            if ((int)d->kind != k) continue;
            found++;
            char val[48];
            fmt_value(val, sizeof val, d->value, d->unit ? d->unit : "");
            if (d->available && d->kind == TEAI_SENSOR_BATTERY && isnan(d->value))
                printf("  %-12s %-28s charging or on external power: its reading is not the "
                       "device's draw (%s)\n",
                       kind, d->name, d->path);
            else if (d->available)
                printf("  %-12s %-28s %-14s %s%s%s%s\n", kind, d->name, val, d->path,
                       d->info[0] ? " (" : "", d->info, d->info[0] ? ")" : "");
            else
                printf("  %-12s %-28s unavailable: %s (%s)\n", kind, d->name, d->why, d->path);
        }
        if (!found)
            printf("  %-12s none: %s\n", kind, teai_sensors_missing(s, (teai_sensor_kind)k));
    }
    const char *src = teai_sensors_energy_source(s);
    if (src[0])
        printf("energy source: %s (%s): teai bench records joules per token\n", src,
               teai_sensors_energy_is_counter(s) == 1 ? "an energy counter" : "power readings");
    else
        printf("energy source: none: teai bench records no energy on this machine "
               "(the energy columns stay empty)\n");
}

/* Other processes' share of the CPUs, CPU pressure and load average, over
 * half a second of this process sleeping. */
static void background_load(teai_sensors *s) {
    teai_sensor_reading a, b;
    teai_sensors_read(s, &a);
    struct timespec ts = {0, 500000000L};
    nanosleep(&ts, NULL);
    teai_sensors_read(s, &b);
    double other = teai_other_cpu_pct(&a, &b);
    double dt = b.t_s - a.t_s;
    printf("background load over %.1f s: ", dt);
    if (isnan(other))
        printf("other processes: unknown (no /proc/stat)");
    else
        printf("other processes took %.1f%% of the CPUs", other);
    if (!isnan(a.psi_some_us) && !isnan(b.psi_some_us) && dt > 0)
        printf(", CPU pressure (some) %.1f%%", (b.psi_some_us - a.psi_some_us) / (dt * 1e4));
    if (!isnan(b.load1)) printf(", load average %.2f", b.load1);
    putchar('\n');
}

static int bandwidth(int max_threads, int force) {
    printf("read bandwidth (GB/s, 1e9 bytes/s; the best pass, cached per host):\n");
    for (int t = 1; t <= max_threads; t++) {
        if (cli_interrupted()) return CLI_EXIT_INTERRUPT;
        double gb_s = NAN;
        int measured = 0;
        teai_error err = {0};
        int st = teai_membw_cached(t, force, &gb_s, &measured, &err);
        if (st) return cli_fail("probe", &err, st);
        printf("  %3d thread%s %8.2f  (%s)\n", t, t == 1 ? " " : "s", gb_s,
               measured ? "measured now" : "cached");
        fflush(stdout);
    }
    return CLI_EXIT_OK;
}

int cmd_probe(int argc, char **argv) {
    const char *cmd = "probe", *root = NULL;
    int force = 0, no_bw = 0;
    long threads = 0;
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is(argv[i], NULL, "--force")) {
            force = 1;
        } else if (cli_is(argv[i], NULL, "--no-bandwidth")) {
            no_bw = 1;
        } else if (cli_is(argv[i], "-t", "--threads")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_threads(cmd, argv[i - 1], v, &threads))
                return CLI_EXIT_USAGE;
        } else if (cli_is(argv[i], NULL, "--root")) {
            if (!(root = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
            if (!*root) return cli_usage_error(cmd, "--root is empty");
        } else {
            return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
    }
    cli_catch_signals();
    teai_host h;
    teai_host_read(&h);
    printf("host: %s: %s, %d CPUs", h.hostname[0] ? h.hostname : "(unknown)",
           h.cpu[0] ? h.cpu : "unknown CPU", h.n_cpus);
    if (h.ram_bytes) printf(", %.1f GiB RAM", (double)h.ram_bytes / (1024.0 * 1024 * 1024));
    if (h.cpu_features[0]) printf(" (%s)", h.cpu_features);
    putchar('\n');

    teai_sensors *s = NULL;
    teai_error err = {0};
    int st = teai_sensors_open(root, &s, &err);
    if (st) return cli_fail(cmd, &err, st);
    list_sensors(s, root ? root : teai_sysfs_root());
    background_load(s);
    teai_sensors_close(s);
    fflush(stdout);
    if (no_bw) return CLI_EXIT_OK;
    int n = threads > 0 ? (int)threads : (h.n_cpus > 0 ? h.n_cpus : 1);
    return bandwidth(n, force);
}
