/* teai load: a load generator for any OpenAI-compatible server (src/load,
 * docs/load.md). Parses the command line, runs the levels, prints one line
 * per level and where the log went. */
#include "cli.h"

#include <stdio.h>

#if TEAI_HAVE_LOAD
#include "base/base.h"
#include "load/load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static const char *help =
    "usage: teai load --base-url URL (--concurrency N,... | --rate R,... | --find-max-rate)\n"
    "                 [options]\n"
    "\n"
    "Sends streamed completions to an OpenAI-compatible server (llama-server, vLLM,\n"
    "teai serve, ...) level by level and measures each request: TTFT, TPOT, every\n"
    "inter-token gap, end-to-end latency, tokens, status (docs/load.md).\n"
    "\n"
    "  --base-url URL        the server, e.g. http://127.0.0.1:8080 (a trailing /v1 is fine)\n"
    "  --api-key KEY         sent as 'Authorization: Bearer KEY'\n"
    "  --model-name NAME     the model field (default: the first id of /v1/models)\n"
    "  --endpoint E          completions (default) or chat\n"
    "  --concurrency N,...   closed loop: N requests in flight, the next sent when one ends\n"
    "  --rate R,...          open loop: R requests/s (inf: all at once)\n"
    "  --arrival A           poisson (default), gamma or constant arrivals\n"
    "  --burstiness B        gamma shape (default 1 = Poisson; < 1 burstier)\n"
    "  --requests N          measured requests per level (default 100)\n"
    "  --duration S          or: send for S seconds per level\n"
    "  --warmup N            requests sent first at each level, left out (default 0)\n"
    "  --input-len SPEC      prompt tokens: N, uniform:MIN:MAX or normal:MEAN:SD (default 128)\n"
    "  --output-len SPEC     max_tokens, the same forms (default 128); ignore_eos is asked\n"
    "  --dataset FILE        JSONL prompts {\"prompt\": TEXT, \"output_len\": N (optional)}\n"
    "  --slo LIST            ttft=MS,tpot=MS,e2el=MS: goodput and SLO attainment\n"
    "  --find-max-rate       search the highest rate whose requests meet the SLOs (>= 90%)\n"
    "  --seed S              prompts, lengths and arrivals (default 1)\n"
    "  --timeout S           per request (default 600)\n"
    "  --label NAME          the server's name in the log (default: HOST:PORT of the URL)\n"
    "  --out DIR             where the log goes (default logs): DIR/load-LABEL-TIME.jsonl\n"
    "  -q, --quiet           no line per level\n"
    "\n"
    "Exit: 0 the run completed (failed requests are data), 1 no request succeeded or the\n"
    "server was unreachable, 2 bad command line, 3 bad dataset, 130 Ctrl-C (the log ends\n"
    "with status \"interrupted\").\n";

#define MAX_LEVELS 64

typedef struct load_opts {
    teai_load_params p;
    double conc[MAX_LEVELS], rate[MAX_LEVELS];
    const char *out_dir, *label;
    int quiet, requests_given;
} load_opts;

/* "1,2,4" into v (at most MAX_LEVELS); rate lists take "inf". */
static int parse_list(const char *opt, const char *s, int rate, double *v, size_t *n) {
    const char *cmd = "load";
    *n = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char tmp[64];
        if (len == 0 || len >= sizeof tmp || *n == MAX_LEVELS)
            return cli_usage_error(cmd, "%s: expected a list of numbers like 1,2,4, not '%s'", opt,
                                   s);
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        double x;
        if (rate && strcmp(tmp, "inf") == 0)
            x = INFINITY;
        else if (rate ? cli_float(cmd, opt, tmp, 1e-6, 1e9, &x)
                      : cli_float(cmd, opt, tmp, 1, 100000, &x))
            return CLI_EXIT_USAGE;
        if (!rate && x != floor(x))
            return cli_usage_error(cmd, "%s: '%s' is not a whole number", opt, tmp);
        v[(*n)++] = x;
        if (!comma) return 0;
        p = comma + 1;
    }
}

/* "ttft=500,tpot=50,e2el=2000" (milliseconds). */
static int parse_slo(const char *s, teai_serving_slo *slo) {
    for (const char *p = s;;) {
        const char *comma = strchr(p, ','), *eq = strchr(p, '=');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char val[64];
        double *dst = NULL;
        if (eq && eq < p + len) {
            size_t k = (size_t)(eq - p);
            if (k == 4 && memcmp(p, "ttft", 4) == 0) dst = &slo->ttft_ms;
            if (k == 4 && memcmp(p, "tpot", 4) == 0) dst = &slo->tpot_ms;
            if (k == 4 && memcmp(p, "e2el", 4) == 0) dst = &slo->e2el_ms;
        }
        size_t vl = dst ? len - 5 : 0;
        if (!dst || vl == 0 || vl >= sizeof val)
            return cli_usage_error("load", "--slo: expected ttft=MS,tpot=MS,e2el=MS, not '%s'", s);
        memcpy(val, eq + 1, vl);
        val[vl] = '\0';
        if (cli_float("load", "--slo", val, 1e-3, 1e9, dst)) return CLI_EXIT_USAGE;
        if (!comma) return 0;
        p = comma + 1;
    }
}

static int parse(int argc, char **argv, load_opts *o) {
    const char *cmd = "load";
    teai_load_params *p = &o->p;
    teai_error e = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is(a, "-q", "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (cli_is(a, NULL, "--find-max-rate")) {
            p->find_max_rate = 1;
            continue;
        }
        static const char *const with_value[] = {
            "--base-url", "--api-key",   "--model-name", "--endpoint", "--concurrency",
            "--rate",     "--arrival",   "--burstiness", "--requests", "--duration",
            "--warmup",   "--input-len", "--output-len", "--dataset",  "--slo",
            "--seed",     "--timeout",   "--label",      "--out"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known) return cli_usage_error(cmd, "unknown argument '%s'", a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        if (strcmp(a, "--base-url") == 0) {
            if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
                return cli_usage_error(cmd, "--base-url: expected http://HOST:PORT, not '%s'", v);
            p->base_url = v;
        } else if (strcmp(a, "--api-key") == 0) {
            p->api_key = v;
        } else if (strcmp(a, "--model-name") == 0) {
            p->model_name = v;
        } else if (strcmp(a, "--endpoint") == 0) {
            if (strcmp(v, "chat") != 0 && strcmp(v, "completions") != 0)
                return cli_usage_error(cmd, "--endpoint: completions or chat, not '%s'", v);
            p->chat = strcmp(v, "chat") == 0;
        } else if (strcmp(a, "--concurrency") == 0) {
            if (parse_list(a, v, 0, o->conc, &p->n_concurrency)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--rate") == 0) {
            if (parse_list(a, v, 1, o->rate, &p->n_rate)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--arrival") == 0) {
            if (strcmp(v, "poisson") == 0)
                p->arrival = TEAI_LOAD_POISSON;
            else if (strcmp(v, "gamma") == 0)
                p->arrival = TEAI_LOAD_GAMMA;
            else if (strcmp(v, "constant") == 0)
                p->arrival = TEAI_LOAD_CONSTANT;
            else
                return cli_usage_error(cmd, "--arrival: poisson, gamma or constant, not '%s'", v);
        } else if (strcmp(a, "--burstiness") == 0) {
            if (cli_float(cmd, a, v, 0.01, 100, &p->burstiness)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--requests") == 0) {
            if (cli_int(cmd, a, v, 1, 10000000, &p->requests)) return CLI_EXIT_USAGE;
            o->requests_given = 1;
        } else if (strcmp(a, "--duration") == 0) {
            if (cli_float(cmd, a, v, 0.001, 1e7, &p->duration_s)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--warmup") == 0) {
            if (cli_int(cmd, a, v, 0, 1000000, &p->warmup)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--input-len") == 0 || strcmp(a, "--output-len") == 0) {
            int in = a[2] == 'i';
            if (teai_load_len_parse(v, in ? &p->input_len : &p->output_len, &e) != TEAI_OK)
                return cli_usage_error(cmd, "%s: %s", a, e.msg);
            *(in ? &p->input_spec : &p->output_spec) = v;
        } else if (strcmp(a, "--dataset") == 0) {
            p->dataset = v;
        } else if (strcmp(a, "--slo") == 0) {
            if (parse_slo(v, &p->slo)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_u64(cmd, a, v, &p->seed)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--timeout") == 0) {
            if (cli_float(cmd, a, v, 0.001, 86400, &p->timeout_s)) return CLI_EXIT_USAGE;
        } else if (strcmp(a, "--label") == 0) {
            if (!v[0]) return cli_usage_error(cmd, "--label is empty");
            o->label = v;
        } else if (strcmp(a, "--out") == 0) {
            o->out_dir = v;
        }
    }
    if (!p->base_url) return cli_usage_error(cmd, "--base-url is required (teai load --help)");
    if (!p->n_concurrency && !p->n_rate && !p->find_max_rate)
        return cli_usage_error(cmd,
                               "give --concurrency N,... or --rate R,... (or --find-max-rate)");
    if (p->n_concurrency && (p->n_rate || p->find_max_rate))
        return cli_usage_error(cmd, "--concurrency and --rate/--find-max-rate do not go together");
    int any_slo = p->slo.ttft_ms > 0 || p->slo.tpot_ms > 0 || p->slo.e2el_ms > 0;
    if (p->find_max_rate && !any_slo)
        return cli_usage_error(cmd, "--find-max-rate needs --slo ttft=MS,tpot=MS,e2el=MS");
    if (p->find_max_rate && p->n_rate && !(o->rate[0] < INFINITY))
        return cli_usage_error(cmd, "--find-max-rate starts from the first --rate: give a number");
    if (p->duration_s > 0 && o->requests_given)
        return cli_usage_error(cmd, "--requests and --duration do not go together");
    if (p->duration_s > 0) p->requests = 0; /* instead of the default count */
    p->concurrency = o->conc;
    p->rate = o->rate;
    return 0;
}

/* The default label: HOST:PORT of the URL. */
static void label_of(const char *url, char *out, size_t cap) {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n = strcspn(h, "/?#");
    snprintf(out, cap, "%.*s", (int)n, h);
}

/* A label as a file name part: [A-Za-z0-9._-], others '_'. */
static void file_safe(const char *s, char *out, size_t cap) {
    size_t k = 0;
    for (; *s && k + 1 < cap; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
}

static const char *ms(double v, char *buf, size_t cap) {
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, v < 10 ? "%.2f" : v < 1000 ? "%.1f" : "%.0f", v);
    return buf;
}

static void on_level(void *ud, const teai_load_level_report *r) {
    const load_opts *o = ud;
    if (o->quiet) return;
    const teai_serving_summary *s = r->summ;
    char lv[64], a[32], b[32], c[32], d[32], e[32], f[32];
    if (strcmp(r->mode, "concurrency") == 0)
        snprintf(lv, sizeof lv, "concurrency %.0f", r->concurrency);
    else if (isinf(r->rate))
        snprintf(lv, sizeof lv, "rate inf");
    else
        snprintf(lv, sizeof lv, "rate %g/s", r->rate);
    printf("teai load: %s: %ld requests (%ld errors) in %.2f s: %.2f req/s, %.1f tok/s out; "
           "TTFT p50 %s p99 %s ms; TPOT p50 %s p99 %s ms; ITL p99 %s ms; E2EL p50 %s ms",
           lv, s->requests, s->errors, isnan(s->duration_s) ? 0.0 : s->duration_s,
           isnan(s->request_throughput) ? 0.0 : s->request_throughput,
           isnan(s->output_throughput) ? 0.0 : s->output_throughput, ms(s->ttft.p[0], a, sizeof a),
           ms(s->ttft.p[3], b, sizeof b), ms(s->tpot.p[0], c, sizeof c),
           ms(s->tpot.p[3], d, sizeof d), ms(s->itl.p[3], e, sizeof e),
           ms(s->e2el.p[0], f, sizeof f));
    if (!isnan(s->goodput))
        printf("; goodput %.2f req/s (%.0f%% within SLO%s)", s->goodput, 100 * s->slo_attainment,
               r->meets_slo > 0 ? ", met" : "");
    if (r->saturated) printf("; SATURATED, stopped early");
    if (strcmp(r->stopped, "interrupted") == 0) printf("; interrupted");
    putchar('\n');
    fflush(stdout);
}

static void on_note(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai load: %s\n", line);
}

static int interrupted(void) {
    return cli_interrupted();
}

int cmd_load(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    static load_opts o; /* the level lists are large-ish */
    memset(&o, 0, sizeof o);
    teai_load_default_params(&o.p);
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    char label[128], safe[128], stamp[32], dir[1024], path[1200];
    if (o.label)
        snprintf(label, sizeof label, "%s", o.label);
    else
        label_of(o.p.base_url, label, sizeof label);
    file_safe(label, safe, sizeof safe);
    snprintf(dir, sizeof dir, "%s", o.out_dir ? o.out_dir : "logs");
    teai_error err = {0};
    if ((rc = teai__mkdirs(dir, &err)) != TEAI_OK) return cli_fail("load", &err, rc);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    struct stat st;
    snprintf(path, sizeof path, "%s/load-%s-%s.jsonl", dir, safe, stamp);
    for (int k = 2; stat(path, &st) == 0 && k < 1000; k++) /* two runs in one second */
        snprintf(path, sizeof path, "%s/load-%s-%s-%d.jsonl", dir, safe, stamp, k);

    /* each stream holds a socket: lift the soft limit on open files */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (long)rl.rlim_cur - 64 < o.p.max_in_flight)
        o.p.max_in_flight = (long)rl.rlim_cur > 128 ? (long)rl.rlim_cur - 64 : 64;
    for (size_t i = 0; i < o.p.n_concurrency; i++)
        if (o.conc[i] > (double)o.p.max_in_flight)
            return cli_usage_error("load",
                                   "concurrency %.0f: this process may open only %ld "
                                   "sockets (ulimit -n)",
                                   o.conc[i], o.p.max_in_flight);

    o.p.label = label;
    o.p.log_path = path;
    o.p.interrupted = interrupted;
    o.p.on_level = on_level;
    o.p.note = on_note;
    o.p.ud = &o;
    cli_catch_signals();
    teai_load_result res;
    rc = teai_load_run(&o.p, &res, &err);
    int logged = stat(path, &st) == 0; /* a stop before the first request leaves none */
    if ((rc == TEAI_OK || rc == TEAI_EINTR) && logged) {
        if (o.p.find_max_rate) {
            if (isnan(res.max_rate))
                printf("teai load: no rate tried met the SLOs\n");
            else
                printf("teai load: max rate meeting the SLOs: %g req/s\n", res.max_rate);
        }
        printf("teai load: log %s\n", path);
        fflush(stdout);
    }
    if (rc == TEAI_EINTR) {
        fprintf(stderr, "teai load: interrupted; %s\n",
                logged ? "the log holds what was measured" : "nothing was sent");
        return CLI_EXIT_INTERRUPT;
    }
    if (rc == TEAI_EINVAL) return cli_usage_error("load", "%s", err.msg);
    if (rc != TEAI_OK) return cli_fail("load", &err, rc);
    if (res.ok == 0) {
        fprintf(stderr, "teai load: no request succeeded (the log says why: %s)\n", path);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

#else

int cmd_load(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "teai load: built without libcurl (install libcurl4-openssl-dev, then "
                    "rebuild)\n");
    return CLI_EXIT_FAIL;
}

#endif
