/* teai fleet sweep --devices a,b,c ...: the same sweep on several devices at
 * once, each through its own `teai remote NAME sweep ...` child (one run at a
 * time per device), one progress line per device, then one collated data set
 * over all of them in the local output folder (docs/remote.md). */
#include "base/proc.h"
#include "cli.h"
#include "results/results.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *help =
    "usage: teai fleet sweep --devices NAME,NAME[,...] [--device-binary-dir DIR] [SWEEP ARGS...]\n"
    "\n"
    "Runs `teai remote NAME sweep SWEEP ARGS` for every device at once (one run at\n"
    "a time on each device), shows one progress line per device, then collates\n"
    "the local output folder (--output-dir of SWEEP ARGS; default benchmark_output)\n"
    "as teai collate does: one data set over all the devices, told apart by their\n"
    "device_name and machine columns. Each device resumes as teai remote does:\n"
    "run the same command again after a failure.\n"
    "\n"
    "  --devices LIST          device names of teai device list, comma-separated\n"
    "  --device-binary-dir DIR the device binaries teai-ARCH (default: as teai remote\n"
    "                          finds them)\n"
    "\n"
    "exit codes: 0 every device done, 1 a device failed (what came was collated),\n"
    "            2 bad command line\n";

#define MAX_DEVICES 32

typedef struct fleet fleet;

typedef struct member {
    fleet *f;
    int idx;
    char name[64];
    char last[200]; /* its latest line, for the progress display */
    char err[640];  /* its latest "teai remote: ..." line */
    int fetched;    /* logs it says it fetched */
    int exit_code;  /* of its teai remote; -1 killed */
    int done;
    int started;       /* its thread runs */
    const char **argv; /* self remote NAME sweep ARGS... NULL */
    pthread_t th;
} member;

struct fleet {
    member m[MAX_DEVICES];
    int n;
    int tty;   /* stderr is a terminal: the lines are redrawn in place */
    int drawn; /* lines drawn so far (tty) */
    pthread_mutex_t mu;
};

/* the block of one line per device, redrawn in place (stderr a terminal) */
static void redraw(fleet *f) {
    if (f->drawn) fprintf(stderr, "\033[%dA", f->drawn);
    for (int i = 0; i < f->n; i++) {
        const member *m = &f->m[i];
        if (m->done && m->exit_code == 0)
            fprintf(stderr, "\r\033[K%-14.14s done, %d log%s fetched\n", m->name, m->fetched,
                    m->fetched == 1 ? "" : "s");
        else
            fprintf(stderr, "\r\033[K%-14.14s %s%.100s\n", m->name, m->done ? "failed: " : "",
                    m->done ? m->err : m->last);
    }
    f->drawn = f->n;
    fflush(stderr);
}

static int on_line(void *ud, int stream, const char *line) {
    (void)stream;
    member *m = ud;
    fleet *f = m->f;
    pthread_mutex_lock(&f->mu);
    /* "[NAME] progress" -> "progress" */
    const char *shown = line;
    size_t nl = strlen(m->name);
    if (line[0] == '[' && strncmp(line + 1, m->name, nl) == 0 && line[nl + 1] == ']' &&
        line[nl + 2] == ' ')
        shown = line + nl + 3;
    snprintf(m->last, sizeof m->last, "%s", shown);
    if (strncmp(line, "teai remote: ", 13) == 0) {
        snprintf(m->err, sizeof m->err, "%s", line);
        const char *p = strstr(line, " log");
        /* "...: N logs fetched into DIR" or "...; N logs fetched into DIR; ..." */
        if (p && strstr(p, " fetched into ")) {
            const char *q = p;
            while (q > line && q[-1] >= '0' && q[-1] <= '9') q--;
            if (q < p) m->fetched = (int)strtol(q, NULL, 10);
        }
    }
    if (f->tty) {
        redraw(f);
    } else {
        if (shown == line)
            fprintf(stderr, "[%s] %s\n", m->name, line);
        else
            fprintf(stderr, "%s\n", line);
        fflush(stderr);
    }
    pthread_mutex_unlock(&f->mu);
    return cli_interrupted();
}

static void *run_member(void *arg) {
    member *m = arg;
    teai__proc_params p = {.argv = m->argv};
    teai__proc_result res;
    teai_error err = {0};
    teai__proc_run(&p, on_line, m, &res, &err);
    pthread_mutex_lock(&m->f->mu);
    m->exit_code = res.exit_code;
    m->done = 1;
    if (res.exit_code != 0 && !m->err[0])
        snprintf(m->err, sizeof m->err, "teai remote %s: %s", m->name, err.msg);
    if (m->f->tty) redraw(m->f);
    pthread_mutex_unlock(&m->f->mu);
    return NULL;
}

static void print_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai fleet: %s\n", line);
}

int cmd_fleet(int argc, char **argv) {
    const char *cmd = "fleet";
    if (argc < 2 || cli_is(argv[1], "-h", "--help") || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "sweep") != 0)
        return cli_usage_error(cmd, "unknown subcommand '%s' (sweep)", argv[1]);
    const char *devices = NULL, *bin_dir = NULL, *out = "benchmark_output";
    const char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) return CLI_EXIT_FAIL;
    int n_rest = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--devices") == 0) {
            if (!(devices = cli_value(cmd, argc, argv, &i))) goto usage;
        } else if (strcmp(argv[i], "--device-binary-dir") == 0) {
            if (!(bin_dir = cli_value(cmd, argc, argv, &i))) goto usage;
        } else {
            if (strcmp(argv[i], "--output-dir") == 0 && i + 1 < argc) out = argv[i + 1];
            rest[n_rest++] = argv[i];
        }
    }
    if (!devices || !*devices) {
        cli_usage_error(cmd, "--devices NAME,NAME is required");
        goto usage;
    }
    fleet *f = calloc(1, sizeof *f);
    if (!f) {
        free(rest);
        return CLI_EXIT_FAIL;
    }
    pthread_mutex_init(&f->mu, NULL);
    f->tty = isatty(2);
    char self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sn <= 0) {
        fprintf(stderr, "teai fleet: cannot find this program (/proc/self/exe)\n");
        free(f);
        free(rest);
        return CLI_EXIT_FAIL;
    }
    self[sn] = '\0';
    /* the device names, each once */
    const char *s = devices;
    int rc = CLI_EXIT_OK;
    while (*s && rc == CLI_EXIT_OK) {
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof f->m[0].name) {
            rc = cli_usage_error(cmd, "--devices: bad name in '%s'", devices);
        } else if (f->n == MAX_DEVICES) {
            rc = cli_usage_error(cmd, "--devices: more than %d devices", MAX_DEVICES);
        } else {
            member *m = &f->m[f->n];
            memcpy(m->name, s, len);
            m->name[len] = '\0';
            for (int k = 0; k < f->n; k++)
                if (strcmp(f->m[k].name, m->name) == 0)
                    rc = cli_usage_error(cmd, "--devices: '%s' twice", m->name);
            f->n++;
        }
        s += len;
        if (*s == ',') s++;
    }
    for (int i = 0; i < f->n && rc == CLI_EXIT_OK; i++) {
        member *m = &f->m[i];
        m->f = f;
        m->idx = i;
        snprintf(m->last, sizeof m->last, "starting");
        m->argv = calloc((size_t)n_rest + 6, sizeof *m->argv);
        if (!m->argv) {
            rc = CLI_EXIT_FAIL;
            break;
        }
        int k = 0;
        m->argv[k++] = self;
        m->argv[k++] = "remote";
        m->argv[k++] = m->name;
        m->argv[k++] = "sweep";
        for (int j = 0; j < n_rest; j++) m->argv[k++] = rest[j];
        m->argv[k] = NULL;
    }
    if (rc == CLI_EXIT_OK && bin_dir) setenv("TEAI_DEVICE_DIR", bin_dir, 1);
    if (rc == CLI_EXIT_OK) {
        cli_catch_signals();
        pthread_mutex_lock(&f->mu);
        if (f->tty) redraw(f);
        pthread_mutex_unlock(&f->mu);
        for (int i = 0; i < f->n; i++) {
            member *m = &f->m[i];
            m->started = pthread_create(&m->th, NULL, run_member, m) == 0;
            if (!m->started) {
                m->exit_code = -1;
                m->done = 1;
                snprintf(m->err, sizeof m->err, "no thread to run it");
            }
        }
        for (int i = 0; i < f->n; i++)
            if (f->m[i].started) pthread_join(f->m[i].th, NULL);

        /* what came, collated: one data set over every device */
        teai_error err = {0};
        teai_collate_report rep;
        int st = teai_collate(out, print_note, NULL, &rep, &err);
        if (st != TEAI_OK && st != TEAI_ENOTFOUND) {
            cli_fail(cmd, &err, st);
            rc = CLI_EXIT_FAIL;
        } else if (st == TEAI_OK) {
            fprintf(stderr, "teai fleet: collated %d logs (%ld rows) in %s\n", rep.n_logs,
                    rep.n_rows, out);
        }
        int failed = 0;
        for (int i = 0; i < f->n; i++) {
            const member *m = &f->m[i];
            if (m->exit_code == 0) {
                printf("fleet: %s: done, %d log%s fetched\n", m->name, m->fetched,
                       m->fetched == 1 ? "" : "s");
            } else {
                failed++;
                printf("fleet: %s: failed (%s), %d log%s fetched\n", m->name,
                       m->err[0] ? m->err : "no message", m->fetched, m->fetched == 1 ? "" : "s");
            }
        }
        if (cli_interrupted())
            rc = CLI_EXIT_INTERRUPT;
        else if (failed)
            rc = CLI_EXIT_FAIL;
    }
    for (int i = 0; i < f->n; i++) free(f->m[i].argv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    free(rest);
    return rc;
usage:
    free(rest);
    return CLI_EXIT_USAGE;
}
