#include "cli.h"
#include "engine/tools.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_exit_code(int status) {
    switch (status) {
        case TEAI_OK:
            return CLI_EXIT_OK;
        case TEAI_EINVAL:
            return CLI_EXIT_USAGE;
        case TEAI_EFORMAT:
        case TEAI_ENOTFOUND:
        case TEAI_EUNSUPPORTED:
            return CLI_EXIT_INPUT;
        case TEAI_EINTR:
            return CLI_EXIT_INTERRUPT;
        default:
            return CLI_EXIT_FAIL;
    }
}

int cli_fail(const char *cmd, const teai_error *err, int status) {
    const char *msg = err && err->msg[0] ? err->msg : teai_status_str(status);
    fprintf(stderr, "teai %s: %s\n", cmd, msg);
    return cli_exit_code(status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "teai %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see teai %s --help)\n", cmd);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_is(const char *arg, const char *short_name, const char *long_name) {
    return (short_name && strcmp(arg, short_name) == 0) ||
           (long_name && strcmp(arg, long_name) == 0);
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_usage_error(cmd, "%s takes an integer from %ld to %ld, not '%s'", opt, lo, hi, s);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_u64(const char *cmd, const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        cli_usage_error(cmd, "%s takes a non-negative integer, not '%s'", opt, s);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        cli_usage_error(cmd, "%s takes a number from %g to %g, not '%s'", opt, lo, hi, s);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (cli_is(argv[i], "-h", "--help")) return 1;
    return 0;
}

int cli_quantize(const char *cmd, const char *s, teai_quantize *out) {
    if (teai_quantize_from_name(s, out) == TEAI_OK) return CLI_EXIT_OK;
    return cli_usage_error(
        cmd, "unknown quantization '%s' (default, float16, int8, nf4, q8_0, q6_k, q4_k_m, q4_0)",
        s);
}

int cli_threads(const char *cmd, const char *opt, const char *s, long *out) {
    return cli_int(cmd, opt, s, 1, 1024, out);
}

int cli_cache_type(const char *cmd, const char *s, int *out) {
    teai_cache_type t;
    if (teai_cache_type_from_name(s, &t) == TEAI_OK) {
        if (out) *out = (int)t;
        return CLI_EXIT_OK;
    }
    return cli_usage_error(cmd, "unknown KV cache type '%s' (f16, f32, q8_0)", s);
}

void cli_model_apply(const cli_model_opts *o, teai_model_params *mp, teai_context_params *cp) {
    if (mp) {
        mp->quantize = o->quantize;
        mp->n_threads = (int)o->threads;
        mp->no_repack = o->no_repack;
        mp->nf4_exact = o->nf4_exact;
    }
    if (cp) {
        cp->n_threads = (int)o->threads;
        cp->cache_type = o->cache_type;
    }
}

int cli_model_opt(const char *cmd, int argc, char **argv, int *i, cli_model_opts *o) {
    const char *a = argv[*i], *v;
    if (cli_is(a, NULL, "--no-repack")) {
        o->no_repack = 1;
        return 1;
    }
    if (cli_is(a, NULL, "--nf4-exact")) {
        o->nf4_exact = 1;
        return 1;
    }
    if (!cli_is(a, "-m", "--model") && !cli_is(a, NULL, "--quantize") &&
        !cli_is(a, "-t", "--threads") && !cli_is(a, NULL, "--cache-type"))
        return 0;
    if (!(v = cli_value(cmd, argc, argv, i))) return -1;
    if (cli_is(a, "-m", "--model"))
        o->model = v;
    else if (cli_is(a, NULL, "--quantize")) {
        if (cli_quantize(cmd, v, &o->quantize)) return -1;
    } else if (cli_is(a, NULL, "--cache-type")) {
        if (cli_cache_type(cmd, v, &o->cache_type)) return -1;
    } else if (cli_threads(cmd, a, v, &o->threads))
        return -1;
    return 1;
}

static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig) {
    (void)sig;
    g_interrupted = 1;
}

/* TEAI_STOP_WITH_PARENT=1 (set by teai remote for the command it runs on a
 * device): a thread notices when the process that started teai is gone (the
 * SSH session was killed: teai is re-parented) and stops the run as Ctrl-C
 * would, so the log being written ends with "interrupted". */
static pid_t g_parent;

static void *watch_parent(void *arg) {
    (void)arg;
    while (!g_interrupted) {
        if (getppid() != g_parent) g_interrupted = 1;
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

void cli_catch_signals(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a hang-up (the terminal or SSH session went away) stops the run too,
     * unless it was ignored on purpose (nohup) */
    if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
    /* a closed stdout or stderr (the session that read them is gone) makes
     * writes fail instead of killing teai before it closes its log */
    signal(SIGPIPE, SIG_IGN);
    const char *w = getenv("TEAI_STOP_WITH_PARENT");
    static int watching;
    if (w && strcmp(w, "1") == 0 && !watching) {
        g_parent = getppid();
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (g_parent > 1 && pthread_create(&th, &at, watch_parent, NULL) == 0) watching = 1;
        pthread_attr_destroy(&at);
    }
    /* past a file-size limit (or a full disk) writes fail with an error the
     * caller reports, instead of the process being killed mid-write */
    signal(SIGXFSZ, SIG_IGN);
}

int cli_interrupted(void) {
    return g_interrupted != 0;
}

int cli_resolve_model(const char *cmd, const char *spec, char *out, size_t cap) {
    teai_error err = {0};
    int rc = teai_hf_resolve(spec, out, cap, &err);
    return rc ? cli_fail(cmd, &err, rc) : CLI_EXIT_OK;
}

uint64_t cli_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
