/* Running another program and reading what it prints, line by line (the
 * llama-bench and tinygrad backends drive their engines this way; teai remote
 * drives ssh, scp and adb so).
 *
 * The child runs in its own process group with stdin from /dev/null (or a
 * file, from an offset); stdout
 * and stderr come back through two pipes, one line at a time. Stopping it
 * (the callback asked, or the time limit passed) sends SIGTERM to the whole
 * group, then SIGKILL after a grace period, so a shell script's own children
 * go too. Library code: nothing is printed. */
#ifndef TEAI_BASE_PROC_H
#define TEAI_BASE_PROC_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

enum { TEAI__STDOUT = 1, TEAI__STDERR = 2 };

typedef struct teai__proc_params {
    const char *const *argv; /* NULL-terminated; argv[0] is a path, or a name looked up in PATH */
    const char *const *env;  /* "NAME=value" set in the child's environment (replacing the
                                inherited value); NULL-terminated; NULL = none */
    double timeout_s;        /* stop the child after this long; 0 = no limit */
    double kill_grace_s;     /* SIGTERM -> SIGKILL delay; 0 = 2 s */
    const char *stdin_path;  /* the child's stdin: this file from stdin_offset; NULL = /dev/null */
    long long stdin_offset;
} teai__proc_params;

/* Called for each line the child prints, without its newline. A terminal's
 * view of the line is given: a trailing '\r' is dropped, and a line that
 * rewrites itself with '\r' (progress bars) is reduced to what follows its
 * last '\r'. Lines longer than 1 MiB are cut there (the rest is dropped).
 * Returns non-zero to stop the child. */
typedef int (*teai__line_fn)(void *ud, int stream, const char *line);

typedef struct teai__proc_result {
    int exit_code;      /* 0..255 when it exited; -1 when a signal ended it or it never ran */
    int term_signal;    /* the signal that ended it; 0 if none */
    int timed_out;      /* 1: killed because timeout_s passed */
    int stopped;        /* 1: killed because the callback asked */
    double wall_ms;     /* start to reaping */
    uint64_t peak_rss;  /* the child's peak resident set, bytes: ru_maxrss of its rusage
                           from wait4 (the largest of it and the children it waited for);
                           0 unknown */
    char last_err[256]; /* last non-empty stderr line ("" if none) */
} teai__proc_result;

/* Runs argv[0] to completion, calling fn for each line (fn may be NULL).
 * Returns TEAI_OK when the child exited with status 0. Otherwise err says
 * why, without naming the program (callers prefix it):
 *   TEAI_ENOTFOUND  the program is not there ("python3: not found in PATH")
 *   TEAI_EINTR      fn returned non-zero; the child was killed
 *   TEAI_EIO        it could not start, timed out ("no result after 5 s, killed"),
 *                   exited non-zero ("exit status 2: <last stderr line>") or
 *                   died of a signal ("killed by signal 11 (Segmentation fault): ...")
 * res (may be NULL) is filled in every case. */
int teai__proc_run(const teai__proc_params *p, teai__line_fn fn, void *ud, teai__proc_result *res,
                   teai_error *err);

/* Resolves a program name as execvp would: a name with a '/' is taken as a
 * path; otherwise the first executable file of that name in $PATH. Writes
 * the path to buf and returns 0, or returns TEAI_ENOTFOUND. */
int teai__which(const char *name, char *buf, size_t cap);

/* 1 when path is an existing regular file this process may execute. */
int teai__is_executable(const char *path);

#endif
