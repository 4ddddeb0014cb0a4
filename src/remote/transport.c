/* Commands and copies on a device through the system's programs: OpenSSH's
 * ssh and scp (everything not given here comes from ~/.ssh/config, as ssh
 * reads it) or Android's adb. Each call is one subprocess (base/proc.h). */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

int teai_sh_quote(teai_buf *b, const char *s) {
    int st = teai_buf_addstr(b, "'");
    for (const char *p = s; *p && !st; p++)
        st = *p == '\'' ? teai_buf_addstr(b, "'\\''") : teai_buf_add(b, p, 1);
    return st ? st : teai_buf_addstr(b, "'");
}

const char *teai_remote_arch(const char *m) {
    if (!strcmp(m, "aarch64") || !strcmp(m, "arm64")) return "aarch64";
    if (!strcmp(m, "armv7l") || !strcmp(m, "armv8l") || !strcmp(m, "armv7")) return "armv7";
    if (!strcmp(m, "x86_64") || !strcmp(m, "amd64")) return "x86_64";
    return NULL;
}

/* An argv under construction: fixed room, enough for every command here. */
typedef struct args {
    const char *v[32];
    int n;
    char port[16];
    char target[600]; /* [user@]host, or [user@]host:path for scp */
} args;

static void add(args *a, const char *s) {
    if (a->n < (int)(sizeof a->v / sizeof *a->v) - 1) a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

/* ssh's or scp's options for d (scp spells the port -P) */
static void ssh_opts(args *a, const teai_device *d, int scp) {
    if (d->ssh_config && *d->ssh_config) {
        add(a, "-F");
        add(a, d->ssh_config);
    }
    if (d->identity && *d->identity) {
        add(a, "-i");
        add(a, d->identity);
    }
    if (d->port) {
        snprintf(a->port, sizeof a->port, "%d", d->port);
        add(a, scp ? "-P" : "-p");
        add(a, a->port);
    }
    if (scp) add(a, "-q");
    static const char *const o[] = {"BatchMode=yes", "ConnectTimeout=10", "ServerAliveInterval=5",
                                    "ServerAliveCountMax=3"};
    for (size_t i = 0; i < sizeof o / sizeof *o; i++) {
        add(a, "-o");
        add(a, o[i]);
    }
}

static int set_target(args *a, const teai_device *d, const char *path, teai_error *err) {
    int n = snprintf(a->target, sizeof a->target, "%s%s%s%s%s", d->user, *d->user ? "@" : "",
                     d->host, path ? ":" : "", path ? path : "");
    if (n < 0 || (size_t)n >= sizeof a->target)
        return teai__fail(err, TEAI_EINVAL, "%s: remote path too long", d->name);
    return TEAI_OK;
}

static int run(const args *a, const char *stdin_path, long long off, double timeout_s,
               teai__line_fn fn, void *ud, teai__proc_result *res, teai_error *err) {
    teai__proc_result local;
    teai__proc_params p = {
        .argv = a->v, .timeout_s = timeout_s, .stdin_path = stdin_path, .stdin_offset = off};
    return teai__proc_run(&p, fn, ud, res ? res : &local, err);
}

int teai_remote_sh(const teai_device *d, const char *cmd, double timeout_s, teai__line_fn fn,
                   void *ud, teai__proc_result *res, teai_error *err) {
    args a = {.n = 0};
    if (d->transport == TEAI_TRANSPORT_ADB) {
        add(&a, "adb");
        add(&a, "-s");
        add(&a, d->host);
        add(&a, "shell");
        add(&a, cmd);
    } else {
        add(&a, "ssh");
        ssh_opts(&a, d, 0);
        int st = set_target(&a, d, NULL, err);
        if (st) return st;
        add(&a, a.target);
        add(&a, "--");
        add(&a, cmd);
    }
    return run(&a, NULL, 0, timeout_s, fn, ud, res, err);
}

static int copy(const teai_device *d, const char *local, const char *remote, int put,
                teai__proc_result *res, teai_error *err) {
    args a = {.n = 0};
    if (d->transport == TEAI_TRANSPORT_ADB) {
        add(&a, "adb");
        add(&a, "-s");
        add(&a, d->host);
        add(&a, put ? "push" : "pull");
        add(&a, put ? local : remote);
        add(&a, put ? remote : local);
    } else {
        add(&a, "scp");
        ssh_opts(&a, d, 1);
        int st = set_target(&a, d, remote, err);
        if (st) return st;
        add(&a, put ? local : a.target);
        add(&a, put ? a.target : local);
    }
    return run(&a, NULL, 0, 0, NULL, NULL, res, err);
}

int teai_remote_put(const teai_device *d, const char *local, const char *remote,
                    teai__proc_result *res, teai_error *err) {
    return copy(d, local, remote, 1, res, err);
}

int teai_remote_get(const teai_device *d, const char *remote, const char *local,
                    teai__proc_result *res, teai_error *err) {
    return copy(d, local, remote, 0, res, err);
}

int teai_remote_append(const teai_device *d, const char *local, long long offset,
                       const char *remote, teai__proc_result *res, teai_error *err) {
    if (d->transport == TEAI_TRANSPORT_ADB)
        return teai__fail(err, TEAI_EUNSUPPORTED, "%s: adb cannot append from stdin", d->name);
    teai_buf cmd;
    teai_buf_init(&cmd, 0);
    int st = teai_buf_addstr(&cmd, "cat >> ");
    st = st ? st : teai_sh_quote(&cmd, remote);
    if (st) {
        teai_buf_free(&cmd);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    args a = {.n = 0};
    add(&a, "ssh");
    ssh_opts(&a, d, 0);
    st = set_target(&a, d, NULL, err);
    if (st == TEAI_OK) {
        add(&a, a.target);
        add(&a, "--");
        add(&a, cmd.data);
        st = run(&a, local, offset, 0, NULL, NULL, res, err);
    }
    teai_buf_free(&cmd);
    return st;
}
