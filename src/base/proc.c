/* Child processes for the subprocess backends (subprocess.h): posix_spawn
 * into a new process group, two pipes read with poll(), lines handed to a
 * callback, SIGTERM then SIGKILL to the group when asked to stop, reaped
 * with wait4 to keep the child's peak resident set. */
#include "base/proc.h"
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define LINE_MAX_BYTES (1u << 20)    /* longer lines are cut here */
#define DRAIN_NS       1000000000ull /* after the child exits, how long its pipes may stay open */

int teai__is_executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int teai__which(const char *name, char *buf, size_t cap) {
    if (!name || !*name) return TEAI_ENOTFOUND;
    if (strchr(name, '/')) {
        if (snprintf(buf, cap, "%s", name) >= (int)cap) return TEAI_ENOTFOUND;
        return teai__is_executable(buf) ? TEAI_OK : TEAI_ENOTFOUND;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int w = n ? snprintf(buf, cap, "%.*s/%s", (int)n, p, name) : snprintf(buf, cap, "%s", name);
        if (w > 0 && (size_t)w < cap && teai__is_executable(buf)) return TEAI_OK;
        if (!end) break;
        p = end + 1;
    }
    return TEAI_ENOTFOUND;
}

/* One output stream of the child: its pipe and the line being assembled. */
typedef struct stream {
    int fd;        /* -1 once at end of file */
    int id;        /* TEAI__STDOUT or TEAI__STDERR */
    teai_buf line; /* capped at LINE_MAX_BYTES */
} stream;

typedef struct reader {
    teai__line_fn fn;
    void *ud;
    teai__proc_result *res;
    int stop; /* fn asked to stop: no more lines are delivered */
} reader;

static void emit(reader *r, stream *s) {
    char *line = s->line.data ? s->line.data : (char *)"";
    size_t n = s->line.len;
    s->line.len = 0;
    if (n && line[n - 1] == '\r') line[--n] = '\0';
    char *cr = strrchr(line, '\r');
    if (cr) line = cr + 1;
    if (s->id == TEAI__STDERR) {
        const char *t = line;
        while (*t == ' ' || *t == '\t') t++;
        if (*t) snprintf(r->res->last_err, sizeof r->res->last_err, "%s", line);
    }
    if (!r->stop && r->fn && r->fn(r->ud, s->id, line)) r->stop = 1;
}

/* Appends n bytes read from the child, emitting each complete line. */
static int feed(reader *r, stream *s, const char *data, size_t n) {
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        size_t keep = take;
        if (s->line.len + keep > LINE_MAX_BYTES) keep = LINE_MAX_BYTES - s->line.len;
        if (teai_buf_add(&s->line, data, keep) != TEAI_OK) return TEAI_ENOMEM;
        if (!nl) break;
        emit(r, s);
        data += take + 1;
        n -= take + 1;
    }
    return TEAI_OK;
}

/* Moves a pipe end above the standard descriptors (so dup2 onto 0-2 in the
 * child never meets itself) and marks it close-on-exec. */
static int safe_fd(int fd) {
    if (fd > 2) return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 ? fd : -1;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return nfd;
}

static int make_pipe(int p[2]) {
    if (pipe(p) != 0) return -1;
    p[0] = safe_fd(p[0]);
    p[1] = safe_fd(p[1]);
    if (p[0] < 0 || p[1] < 0) {
        if (p[0] >= 0) close(p[0]);
        if (p[1] >= 0) close(p[1]);
        return -1;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* environ with p->env's names replaced; the strings are borrowed. */
static char **build_env(const char *const *set) {
    size_t n_env = 0, n_set = 0;
    while (environ && environ[n_env]) n_env++;
    while (set && set[n_set]) n_set++;
    char **envp = malloc((n_env + n_set + 1) * sizeof *envp);
    if (!envp) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) {
        const char *e = environ[i];
        const char *eq = strchr(e, '=');
        size_t nlen = eq ? (size_t)(eq - e) : strlen(e);
        int replaced = 0;
        for (size_t j = 0; j < n_set && !replaced; j++)
            replaced = strncmp(set[j], e, nlen) == 0 && set[j][nlen] == '=';
        if (!replaced) envp[k++] = (char *)e;
    }
    for (size_t j = 0; j < n_set; j++) envp[k++] = (char *)set[j];
    envp[k] = NULL;
    return envp;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* 1 once the child has ended. It is not reaped: until then its pid, and so
 * its process group id, cannot be reused, and signalling the group is safe. */
static int has_exited(pid_t pid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        if (errno != EINTR) return 1;
    return si.si_pid == pid;
}

/* SIGTERM to the child's group, then SIGKILL after grace_s if the child is
 * still there. */
static void terminate(pid_t pid, double grace_s) {
    kill(-pid, SIGTERM);
    uint64_t until = teai__now_ns() + (uint64_t)(grace_s * 1e9);
    while (!has_exited(pid) && teai__now_ns() < until) sleep_ms(5);
}

int teai__proc_run(const teai__proc_params *p, teai__line_fn fn, void *ud, teai__proc_result *res,
                   teai_error *err) {
    teai__proc_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (!p->argv || !p->argv[0]) return teai__fail(err, TEAI_EINVAL, "no program to run");

    char path[4096];
    if (teai__which(p->argv[0], path, sizeof path) != TEAI_OK) {
        if (strchr(p->argv[0], '/'))
            return teai__fail(err, TEAI_ENOTFOUND, "%s: not found (or not executable)", p->argv[0]);
        return teai__fail(err, TEAI_ENOTFOUND, "%s: not found in PATH", p->argv[0]);
    }

    int in_fd = -1;
    if (p->stdin_path) {
        in_fd = open(p->stdin_path, O_RDONLY | O_CLOEXEC);
        if (in_fd < 0)
            return teai__fail(err, TEAI_EIO, "%s: cannot open (%s)", p->stdin_path,
                              strerror(errno));
        if (lseek(in_fd, (off_t)p->stdin_offset, SEEK_SET) < 0) {
            int e = errno;
            close(in_fd);
            return teai__fail(err, TEAI_EIO, "%s: cannot seek to %lld (%s)", p->stdin_path,
                              p->stdin_offset, strerror(e));
        }
    }
    char **envp = build_env(p->env);
    if (!envp) {
        if (in_fd >= 0) close(in_fd);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    int out[2], errp[2];
    if (make_pipe(out) != 0) {
        if (in_fd >= 0) close(in_fd);
        free(envp);
        return teai__fail(err, TEAI_EIO, "pipe: %s", strerror(errno));
    }
    if (make_pipe(errp) != 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        if (in_fd >= 0) close(in_fd);
        free(envp);
        return teai__fail(err, TEAI_EIO, "pipe: %s", strerror(e));
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    /* a parent that ignores these (SIGPIPE for network code) must not pass that on */
    const int reset[] = {SIGPIPE, SIGINT,  SIGQUIT, SIGTERM, SIGHUP,
                         SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof reset / sizeof *reset; i++) sigaddset(&dfl, reset[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);

    uint64_t t0 = teai__now_ns();
    pid_t pid;
    int se = posix_spawn(&pid, path, &fa, &attr, (char *const *)p->argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(envp);
    close(out[1]);
    close(errp[1]);
    if (in_fd >= 0) close(in_fd);
    if (se != 0) {
        close(out[0]);
        close(errp[0]);
        return teai__fail(err, se == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "cannot run %s: %s", path,
                          strerror(se));
    }

    reader r = {fn, ud, res, 0};
    stream ss[2] = {{.fd = out[0], .id = TEAI__STDOUT}, {.fd = errp[0], .id = TEAI__STDERR}};
    teai_buf_init(&ss[0].line, LINE_MAX_BYTES);
    teai_buf_init(&ss[1].line, LINE_MAX_BYTES);
    uint64_t deadline = p->timeout_s > 0 ? t0 + (uint64_t)(p->timeout_s * 1e9) : 0;
    double grace = p->kill_grace_s > 0 ? p->kill_grace_s : 2.0;
    int status = 0, exited = 0, oom = 0;
    uint64_t exited_at = 0;
    char chunk[65536];

    for (;;) {
        struct pollfd pf[2];
        stream *ps[2];
        int n = 0;
        for (int i = 0; i < 2; i++)
            if (ss[i].fd >= 0) {
                pf[n] = (struct pollfd){.fd = ss[i].fd, .events = POLLIN};
                ps[n++] = &ss[i];
            }
        uint64_t now = teai__now_ns();
        if (deadline && now >= deadline) {
            res->timed_out = 1;
            break;
        }
        if (n == 0) {
            if (has_exited(pid)) break;
            sleep_ms(10); /* output closed; wait for the exit within the time limit */
            continue;
        }
        int wait_ms = 200;
        if (deadline && (deadline - now) / 1000000 < (uint64_t)wait_ms)
            wait_ms = (int)((deadline - now) / 1000000) + 1;
        int pr = poll(pf, (nfds_t)n, wait_ms);
        if (pr < 0 && errno != EINTR) break;
        for (int i = 0; i < n && pr > 0 && !r.stop && !oom; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(ps[i]->fd, chunk, sizeof chunk);
            if (got > 0) {
                if (feed(&r, ps[i], chunk, (size_t)got) != TEAI_OK) oom = 1;
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (ps[i]->line.len) emit(&r, ps[i]); /* an unterminated last line */
                close(ps[i]->fd);
                ps[i]->fd = -1;
            }
        }
        if (r.stop || oom) break;
        if (!exited && (exited = has_exited(pid))) exited_at = teai__now_ns();
        if (exited && teai__now_ns() - exited_at > DRAIN_NS) break; /* a grandchild holds them */
    }

    res->stopped = r.stop;
    if (!has_exited(pid)) terminate(pid, grace);
    kill(-pid, SIGKILL); /* what is left of the group (or stragglers) goes too */
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t reaped;
    while ((reaped = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {
    }
    if (reaped == pid && ru.ru_maxrss > 0) res->peak_rss = (uint64_t)ru.ru_maxrss * 1024; /* KiB */
    res->wall_ms = (double)(teai__now_ns() - t0) / 1e6;
    for (int i = 0; i < 2; i++) {
        if (ss[i].fd >= 0) close(ss[i].fd);
        teai_buf_free(&ss[i].line);
    }
    if (WIFEXITED(status)) res->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) res->term_signal = WTERMSIG(status);

    const char *sep = res->last_err[0] ? ": " : "";
    if (oom) return teai__fail(err, TEAI_ENOMEM, "out of memory reading its output");
    if (r.stop) return teai__fail(err, TEAI_EINTR, "stopped (killed)");
    if (res->timed_out)
        return teai__fail(err, TEAI_EIO, "timed out after %g s (killed)%s%s", p->timeout_s, sep,
                          res->last_err);
    if (res->term_signal)
        return teai__fail(err, TEAI_EIO, "killed by signal %d (%s)%s%s", res->term_signal,
                          strsignal(res->term_signal), sep, res->last_err);
    if (res->exit_code == 127 && !res->last_err[0])
        return teai__fail(err, TEAI_EIO, "%s: could not be executed (exit status 127)", path);
    if (res->exit_code != 0)
        return teai__fail(err, TEAI_EIO, "exit status %d%s%s", res->exit_code, sep, res->last_err);
    return TEAI_OK;
}
