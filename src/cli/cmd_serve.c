/* teai serve: the built-in engine behind an OpenAI-compatible HTTP API
 * (src/server, docs/serve.md). */
#include "cli.h"

#include <stdio.h>

#if TEAI_HAVE_SERVER
#include "base/base.h"
#include "server/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *help =
    "usage: teai serve -m MODEL [options]\n"
    "\n"
    "Serves the model over HTTP with the OpenAI API: GET /health, GET /v1/models,\n"
    "POST /v1/completions, POST /v1/chat/completions (streamed or not).\n"
    "--parallel N requests generate at once (continuous batching: one forward pass\n"
    "for all of them per token); others wait in a queue.\n"
    "\n"
    "  -m, --model MODEL   " CLI_HELP_MODEL "\n"
    "  --host HOST         address to listen on (default 127.0.0.1)\n"
    "  --port N            port (default 7776; 0 = any free port)\n"
    "  --api-key KEY       require 'Authorization: Bearer KEY' (else 401)\n"
    "  --api-key-file F    the same, the key read from the first line of F\n"
    "  --alias NAME        the model id /v1/models reports (default: the file name)\n"
    "  --quantize Q        " CLI_HELP_QUANTIZE "\n"
    "                      " CLI_HELP_QUANTIZE_GGUF "\n"
    "  -t, --threads N     " CLI_HELP_THREADS "\n"
    "  --cache-type T      " CLI_HELP_CACHE_TYPE "\n"
    "  --no-repack         " CLI_HELP_NO_REPACK "\n"
    "  --nf4-exact         " CLI_HELP_NF4_EXACT "\n"
    "  -c, --ctx N         KV cache in tokens, all slots together (default: min(model,\n"
    "                      4096)); a slot has N / parallel: prompt + max_tokens beyond\n"
    "                      that is a 400\n"
    "  -np, --parallel N   generation slots (default 1)\n"
    "  --max-tokens N      largest max_tokens a request may ask (default 4096; above: 400)\n"
    "  --max-body BYTES    largest request body (default 1048576; above: 413)\n"
    "  --queue N           requests that may wait for a slot (default 8; more: 503)\n"
    "  --max-connections N open connections (default 1024; past it an idle one is closed)\n"
    "  --max-per-ip N      open connections from one address (default 512)\n"
    "  --header-timeout S  seconds a client has to send a request's head (default 10)\n"
    "  --idle-timeout S    seconds an idle connection is kept, and a body may take (default 60)\n"
    "  -q, --quiet         no log line per request on stderr\n"
    "\n"
    "On start it prints 'teai serve: listening on http://HOST:PORT (model ..., weights ...)'\n"
    "on stderr. SIGINT or SIGTERM stops it (a running stream ends with an error event) and\n"
    "it exits 0.\n";

typedef struct serve_opts {
    cli_model_opts m; /* -m, --quantize, -t, --cache-type, --no-repack, --nf4-exact */
    const char *host, *api_key, *api_key_file, *alias;
    long port, ctx, max_tokens, max_body, queue, parallel;
    long max_conns, max_per_ip, header_timeout, idle_timeout;
    int quiet;
} serve_opts;

/* 1 when key has a blank (space, tab, CR, LF) at either end. */
static int key_padded(const char *key) {
    size_t n = strlen(key);
    return n && (strchr(" \t\r\n", key[0]) || strchr(" \t\r\n", key[n - 1]));
}

static int parse(int argc, char **argv, serve_opts *o) {
    const char *cmd = "serve";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is(a, "-q", "--quiet")) {
            o->quiet = 1;
            continue;
        }
        int shared = cli_model_opt(cmd, argc, argv, &i, &o->m);
        if (shared < 0) return CLI_EXIT_USAGE;
        if (shared) continue;
        if (!(cli_is(a, NULL, "--host") || cli_is(a, NULL, "--port") ||
              cli_is(a, NULL, "--api-key") || cli_is(a, NULL, "--api-key-file") ||
              cli_is(a, NULL, "--alias") || cli_is(a, "-c", "--ctx") ||
              cli_is(a, NULL, "--max-tokens") || cli_is(a, NULL, "--max-body") ||
              cli_is(a, NULL, "--queue") || cli_is(a, "-np", "--parallel") ||
              cli_is(a, NULL, "--max-connections") || cli_is(a, NULL, "--max-per-ip") ||
              cli_is(a, NULL, "--header-timeout") || cli_is(a, NULL, "--idle-timeout")))
            return cli_usage_error(cmd, "unknown argument '%s'", a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        if (cli_is(a, NULL, "--host"))
            o->host = v;
        else if (cli_is(a, NULL, "--api-key"))
            o->api_key = v;
        else if (cli_is(a, NULL, "--api-key-file"))
            o->api_key_file = v;
        else if (cli_is(a, NULL, "--alias"))
            o->alias = v;
        else if (cli_is(a, NULL, "--port")) {
            if (cli_int(cmd, a, v, 0, 65535, &o->port)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, "-c", "--ctx")) {
            if (cli_int(cmd, a, v, 1, 1 << 22, &o->ctx)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--max-tokens")) {
            if (cli_int(cmd, a, v, 1, 1 << 22, &o->max_tokens)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--max-body")) {
            if (cli_int(cmd, a, v, 64, 1L << 30, &o->max_body)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--queue")) {
            if (cli_int(cmd, a, v, 0, 4096, &o->queue)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, "-np", "--parallel")) {
            if (cli_int(cmd, a, v, 1, 256, &o->parallel)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--max-connections")) {
            if (cli_int(cmd, a, v, 1, 1 << 20, &o->max_conns)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--max-per-ip")) {
            if (cli_int(cmd, a, v, 1, 1 << 20, &o->max_per_ip)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--header-timeout")) {
            if (cli_int(cmd, a, v, 1, 3600, &o->header_timeout)) return CLI_EXIT_USAGE;
        } else if (cli_is(a, NULL, "--idle-timeout")) {
            if (cli_int(cmd, a, v, 1, 86400, &o->idle_timeout)) return CLI_EXIT_USAGE;
        }
    }
    if (!o->m.model) return cli_usage_error(cmd, "-m MODEL is required");
    if (o->api_key && o->api_key_file)
        return cli_usage_error(cmd, "give --api-key or --api-key-file, not both");
    if (o->api_key && !o->api_key[0]) return cli_usage_error(cmd, "--api-key is empty");
    if (o->api_key && key_padded(o->api_key))
        return cli_usage_error(cmd, "--api-key begins or ends with a blank; no client could "
                                    "send it (Authorization values are trimmed)");
    return CLI_EXIT_OK;
}

/* The first line of path, without its line end, into key (malloc'd). */
static int read_key(const char *path, char **key) {
    teai_error err = {0};
    size_t len = 0;
    int rc = teai__read_file(path, 4096, key, &len, &err);
    if (rc) return cli_fail("serve", &err, rc);
    (*key)[strcspn(*key, "\r\n")] = '\0';
    if ((*key)[0] && key_padded(*key)) {
        fprintf(stderr,
                "teai serve: %s: the API key begins or ends with a blank; no client could send it "
                "(Authorization values are trimmed)\n",
                path);
        free(*key);
        *key = NULL;
        return CLI_EXIT_INPUT;
    }
    if (!(*key)[0]) {
        fprintf(stderr, "teai serve: %s: the API key file is empty\n", path);
        free(*key);
        *key = NULL;
        return CLI_EXIT_INPUT;
    }
    return CLI_EXIT_OK;
}

static void log_line(void *ud, const char *line) {
    (void)ud;
    fprintf(stderr, "teai serve: %s\n", line);
}

int cmd_serve(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    serve_opts o = {0};
    o.host = "127.0.0.1";
    o.port = 7776;
    o.max_tokens = 4096;
    o.max_body = 1L << 20;
    o.queue = 8;
    o.parallel = 1;
    teai_server_params dp = teai_server_default_params();
    o.max_conns = dp.max_connections;
    o.max_per_ip = dp.max_per_ip;
    o.header_timeout = dp.header_timeout_s;
    o.idle_timeout = dp.idle_timeout_s;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    char *key = NULL;
    if (o.api_key_file && (rc = read_key(o.api_key_file, &key))) return rc;

    char path[4096];
    if ((rc = cli_resolve_model("serve", o.m.model, path, sizeof path))) {
        free(key);
        return rc;
    }
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    cli_model_apply(&o.m, &mp, NULL);
    teai_model *m = NULL;
    int st = teai_model_load(path, &mp, &m, &err);
    if (st) {
        free(key);
        return cli_fail("serve", &err, st);
    }

    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    teai_server_params sp = teai_server_default_params();
    sp.host = o.host;
    sp.port = (int)o.port;
    sp.api_key = key ? key : o.api_key;
    sp.model_id = o.alias ? o.alias : base;
    sp.max_body = (size_t)o.max_body;
    sp.max_tokens = (int)o.max_tokens;
    sp.queue = (int)o.queue;
    sp.parallel = (int)o.parallel;
    sp.max_connections = (int)o.max_conns;
    sp.max_per_ip = (int)o.max_per_ip;
    sp.header_timeout_s = (int)o.header_timeout;
    sp.idle_timeout_s = (int)o.idle_timeout;
    cli_model_apply(&o.m, NULL, &sp.cp);
    sp.cp.n_ctx = (int)o.ctx;
    sp.log = o.quiet ? NULL : log_line;

    /* the server's threads never take SIGINT/SIGTERM: this thread does */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    signal(SIGPIPE, SIG_IGN); /* a client that left is an error return, not a signal */
    teai_server *srv = NULL;
    st = teai_server_start(m, &sp, &srv, &err);
    cli_catch_signals();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (st) {
        rc = cli_fail("serve", &err, st);
        teai_model_free(m);
        free(key);
        return rc;
    }
    int v6 = strchr(o.host, ':') != NULL;
    fprintf(stderr, "teai serve: listening on http://%s%s%s:%d (model %s, weights %s)\n",
            v6 ? "[" : "", o.host, v6 ? "]" : "", teai_server_port(srv), sp.model_id,
            teai_model_weight_format(m));
    fflush(stderr);
    while (!cli_interrupted()) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "teai serve: shutting down\n");
    teai_server_stop(srv);
    teai_model_free(m);
    free(key);
    fprintf(stderr, "teai serve: stopped\n");
    return CLI_EXIT_OK;
}

#else

int cmd_serve(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "teai serve: built without cJSON (install libcjson-dev)\n");
    return CLI_EXIT_FAIL;
}

#endif
