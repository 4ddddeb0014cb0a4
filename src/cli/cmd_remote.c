/* teai remote NAME sweep|bench ...: the same command run on a device of the
 * device list. The device binary for its architecture is put there when
 * missing or stale (by SHA-256), the files the command names are copied
 * when the device lacks them (resumable), the command runs there with its
 * progress shown here, and its raw logs come into the local output folder
 * as they finish. A dropped connection loses nothing: the next call first
 * fetches what finished, then runs the command again, and the device's
 * sweep skips the configurations that have a complete log (docs/remote.md). */
#include "cli.h"
#include "remote/remote.h"
#include "sys/sys.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *help =
    "usage: teai remote NAME [--device-binary FILE] sweep|bench [ARGS...]\n"
    "\n"
    "Runs teai sweep or teai bench with ARGS on device NAME (teai device list):\n"
    "  1. puts the device binary for its architecture into WORKDIR/bin/teai when\n"
    "     it is missing or differs (SHA-256): --device-binary FILE, else\n"
    "     $TEAI_DEVICE_DIR/teai-ARCH, else device/teai-ARCH beside this teai\n"
    "     (make device ARCH=aarch64 builds it);\n"
    "  2. copies the files ARGS name (-m/--model, --sweep-file, --eval-text,\n"
    "     --eval-kl-base, --eval-dataset) to WORKDIR/files unless there already\n"
    "     (by SHA-256; an interrupted copy resumes where it stopped);\n"
    "  3. runs the command in WORKDIR/runs/ID (ID: from NAME and ARGS: the same\n"
    "     command resumes in the same folder), its progress shown as [NAME] lines;\n"
    "  4. fetches each log as it finishes into the local output folder\n"
    "     (--output-dir DIR of ARGS; default benchmark_output).\n"
    "A dropped connection loses no finished log: run the same command again; it\n"
    "fetches what finished meanwhile, and the sweep there skips configurations\n"
    "whose log is complete.\n"
    "\n"
    "exit codes: 0 done, 1 the device could not be reached, the copy or the\n"
    "            run failed, or the connection was lost (run it again), 2 bad\n"
    "            command line, 3 unknown device or a malformed device list\n";

/* one run: the device, its paths, what was fetched */
typedef struct run_ctx {
    const teai_device *d;
    const char *workdir;
    char run_dir[64]; /* runs/<12 hex>, relative to workdir */
    const char *out;  /* local output folder */
    int n_fetched;    /* files fetched in this call */
    int fetch_failed;
} run_ctx;

static int oom(void) {
    fprintf(stderr, "teai remote: out of memory\n");
    return CLI_EXIT_FAIL;
}

/* "WORKDIR/rel" (rel absolute: itself), quoted for the remote shell, onto b */
static int add_path(teai_buf *b, const char *workdir, const char *rel) {
    if (rel[0] == '/') return teai_sh_quote(b, rel);
    teai_buf p;
    teai_buf_init(&p, 0);
    int st = teai_buf_printf(&p, "%s/%s", workdir, rel);
    st = st ? st : teai_sh_quote(b, p.data);
    teai_buf_free(&p);
    return st;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Fetches the device's file rel (relative to the workdir) into the local
 * output folder: logs beside each other, verifiers results in their folder.
 * Copied to a hidden name, then renamed, so a half-copied file is never
 * read as a log. */
static int fetch(run_ctx *c, const char *rel) {
    char local[PATH_MAX], tmp[PATH_MAX + 16], remote[PATH_MAX];
    const char *name = base_name(rel);
    int in_vr = strstr(rel, "/verifiers_results/") != NULL;
    snprintf(local, sizeof local, "%s%s%s", c->out, in_vr ? "/verifiers_results/" : "/", name);
    if (in_vr) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/verifiers_results", c->out);
        teai_error e = {0};
        if (teai__mkdirs(dir, &e) != TEAI_OK) {
            fprintf(stderr, "teai remote: %s\n", e.msg);
            return -1;
        }
    }
    snprintf(tmp, sizeof tmp, "%.*s.%s.part", (int)(strlen(local) - strlen(name)), local, name);
    if (rel[0] == '/')
        snprintf(remote, sizeof remote, "%s", rel);
    else
        snprintf(remote, sizeof remote, "%s/%s", c->workdir, rel);
    teai__proc_result res;
    teai_error err = {0};
    int st = teai_remote_get(c->d, remote, tmp, &res, &err);
    if (st == TEAI_OK && rename(tmp, local) != 0)
        st = teai__fail(&err, TEAI_EIO, "%s: rename: %s", local, strerror(errno));
    if (st != TEAI_OK) {
        remove(tmp);
        fprintf(stderr, "teai remote: %s: fetching %s: %s\n", c->d->name, rel, err.msg);
        c->fetch_failed++;
        return -1;
    }
    c->n_fetched++;
    return 0;
}

/* ---- sync: every file of the run folder there that is missing here, or
 * of another size, is fetched */

typedef struct listing {
    char **rel;
    long long *size;
    int n, cap;
} listing;

static int list_line(void *ud, int stream, const char *line) {
    listing *l = ud;
    if (stream != TEAI__STDOUT || strncmp(line, "file ", 5) != 0) return 0;
    char *end;
    long long sz = strtoll(line + 5, &end, 10);
    if (end == line + 5 || *end != ' ') return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        char **r = realloc(l->rel, (size_t)cap * sizeof *r);
        if (!r) return 1;
        l->rel = r;
        long long *s = realloc(l->size, (size_t)cap * sizeof *s);
        if (!s) return 1;
        l->size = s;
        l->cap = cap;
    }
    size_t n = strlen(end + 1);
    char *p = malloc(n + 1);
    if (!p) return 1;
    memcpy(p, end + 1, n + 1);
    l->rel[l->n] = p;
    l->size[l->n++] = sz;
    return 0;
}

/* Returns 0, or 255 when the connection failed (ssh's code), or -1. */
static int sync_run(run_ctx *c) {
    teai_buf s;
    teai_buf_init(&s, 0);
    int e = teai_buf_addstr(&s, "cd ");
    e = e ? e : add_path(&s, c->workdir, c->run_dir);
    e = e ? e
          : teai_buf_addstr(&s, " 2>/dev/null || exit 0; for f in *.txt verifiers_results/*; do "
                                "[ -f \"$f\" ] && echo \"file $(wc -c <\"$f\") $f\"; done; true");
    if (e) {
        teai_buf_free(&s);
        return -1;
    }
    listing l = {0};
    teai__proc_result res;
    teai_error err = {0};
    int st = teai_remote_sh(c->d, s.data, 120, list_line, &l, &res, &err);
    teai_buf_free(&s);
    int rc = 0;
    if (st != TEAI_OK) {
        rc = res.exit_code == 255 ? 255 : -1;
        if (rc < 0)
            fprintf(stderr, "teai remote: %s: listing %s: %s\n", c->d->name, c->run_dir, err.msg);
    }
    for (int i = 0; i < l.n; i++) {
        if (rc == 0) {
            char local[PATH_MAX];
            int vr = strncmp(l.rel[i], "verifiers_results/", 18) == 0;
            snprintf(local, sizeof local, "%s/%s%s", c->out, vr ? "verifiers_results/" : "",
                     base_name(l.rel[i]));
            struct stat sb;
            if (stat(local, &sb) != 0 || (long long)sb.st_size != l.size[i]) {
                char rel[PATH_MAX];
                snprintf(rel, sizeof rel, "%s/%s", c->run_dir, l.rel[i]);
                if (fetch(c, rel) != 0) rc = -1;
            }
        }
        free(l.rel[i]);
    }
    free(l.rel);
    free(l.size);
    return rc;
}

/* ---- the run's output: progress shown, finished logs fetched ------------- */

static int on_run_line(void *ud, int stream, const char *line) {
    run_ctx *c = ud;
    if (stream == TEAI__STDOUT && strncmp(line, "teai-log: ", 10) == 0) {
        fetch(c, line + 10);
        return 0;
    }
    FILE *f = stream == TEAI__STDERR ? stderr : stdout;
    fprintf(f, "[%s] %s\n", c->d->name, line);
    fflush(f);
    /* Ctrl-C or SIGTERM here: ssh is stopped, and the device's teai with it
     * (TEAI_STOP_WITH_PARENT: its session went) */
    return cli_interrupted();
}

/* ---- copying files there --------------------------------------------- */

typedef struct upload {
    const char *local;
    char remote[320]; /* relative to the workdir: files/<16 hex>-<name> */
    char sha[65];
    long long size;
    long long part; /* bytes of remote.part there */
    int have;       /* the complete file is there with this hash */
    int arg;        /* index of the argument it replaces */
} upload;

static int state_line(void *ud, int stream, const char *line) {
    upload *u = ud; /* an array ended by local == NULL */
    if (stream != TEAI__STDOUT) return 0;
    int i;
    char kind[8], hex[65];
    long long v;
    if (sscanf(line, "%7s %d %64s %lld", kind, &i, hex, &v) != 4) return 0;
    for (int k = 0; u[k].local; k++) {
        if (k != i) continue;
        if (strcmp(kind, "full") == 0) u[k].have = strcmp(hex, u[k].sha) == 0;
        if (strcmp(kind, "part") == 0) u[k].part = v;
    }
    return 0;
}

static const char *const file_opts[] = {"-m",          "--model",        "--sweep-file",
                                        "--eval-text", "--eval-kl-base", "--eval-dataset"};

int cmd_remote(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *name = argv[1], *dev_bin = NULL;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--device-binary") == 0) {
            if (!(dev_bin = cli_value("remote", argc, argv, &i))) return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error("remote", "unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc || (strcmp(argv[i], "sweep") != 0 && strcmp(argv[i], "bench") != 0))
        return cli_usage_error("remote", "expected sweep or bench after the device's name");
    const char *sub = argv[i++];
    cli_catch_signals();
    int n_args = argc - i;
    char **args = argv + i;

    /* 1. the device */
    char path[4096];
    teai_error err = {0};
    teai_devices *l = NULL;
    int st = teai_devices_path(path, sizeof path, &err);
    if (st == TEAI_OK) st = teai_devices_load(path, &l, &err);
    if (st != TEAI_OK) {
        fprintf(stderr, "teai remote: %s\n", err.msg);
        return CLI_EXIT_INPUT;
    }
    const teai_device *d = teai_devices_find(l, name);
    if (!d) {
        fprintf(stderr, "teai remote: unknown device '%s' (teai device list; %s)\n", name, path);
        teai_devices_free(l);
        return CLI_EXIT_INPUT;
    }
    const char *W = teai_device_workdir(d);
    int rc = CLI_EXIT_FAIL;
    upload *up = calloc((size_t)n_args + 1, sizeof *up);
    const char **rargs = calloc((size_t)n_args + 1, sizeof *rargs);
    teai_buf s;
    teai_buf_init(&s, 0);
    if (!up || !rargs) {
        rc = oom();
        goto done;
    }

    /* 2. what the device is */
    teai_remote_info in;
    teai__proc_result res;
    if ((st = teai_remote_info_get(d, &in, &res, &err)) != TEAI_OK) {
        fprintf(stderr, "teai remote: %s (%s): cannot connect: %s\n", d->name, d->url,
                res.last_err[0] ? res.last_err : err.msg);
        goto done;
    }
    const char *arch = d->arch[0] ? d->arch : teai_remote_arch(in.uname_m);

    /* 3. the device binary */
    char bin[PATH_MAX];
    if (dev_bin) {
        snprintf(bin, sizeof bin, "%s", dev_bin);
    } else {
        if (!arch) {
            fprintf(stderr, "teai remote: %s: no device build for its architecture '%s'\n", d->name,
                    in.uname_m);
            goto done;
        }
        const char *dd = getenv("TEAI_DEVICE_DIR");
        bin[0] = '\0';
        if (dd && *dd) snprintf(bin, sizeof bin, "%s/teai-%s", dd, arch);
        if (!bin[0] || access(bin, R_OK) != 0) {
            char self[PATH_MAX - 64];
            ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
            if (n > 0) {
                self[n] = '\0';
                char *sl = strrchr(self, '/');
                if (sl) *sl = '\0';
                snprintf(bin, sizeof bin, "%s/device/teai-%s", self, arch);
            }
        }
    }
    if (!bin[0] || access(bin, R_OK) != 0) {
        fprintf(
            stderr,
            "teai remote: %s: no %s device binary (%s missing; make device ARCH=%s builds it)\n",
            d->name, arch ? arch : in.uname_m, bin[0] ? bin : "teai-ARCH", arch ? arch : "...");
        goto done;
    }
    char bin_sha[65];
    struct stat sb;
    if (teai_file_sha256(bin, bin_sha) != 0 || stat(bin, &sb) != 0) {
        fprintf(stderr, "teai remote: %s: cannot read\n", bin);
        goto done;
    }
    int need_bin = !in.has_bin || strcmp(in.bin_sha256, bin_sha) != 0;
    long long to_copy = need_bin ? (long long)sb.st_size : 0;

    /* 4. the files the command names; the arguments rewritten to their copies */
    int n_up = 0;
    const char *out = "benchmark_output";
    int n_r = 0;
    for (int a = 0; a < n_args; a++) {
        if ((strcmp(args[a], "--output-dir") == 0 || strcmp(args[a], "-o") == 0) &&
            a + 1 < n_args) {
            out = args[++a];
            continue;
        }
        rargs[n_r++] = args[a];
        int is_file_opt = 0;
        for (size_t k = 0; k < sizeof file_opts / sizeof *file_opts; k++)
            if (strcmp(args[a], file_opts[k]) == 0) is_file_opt = 1;
        struct stat fb;
        if (!is_file_opt || a + 1 >= n_args || stat(args[a + 1], &fb) != 0 ||
            !S_ISREG(fb.st_mode)) {
            continue;
        }
        upload *u = &up[n_up];
        u->local = args[++a];
        if (teai_file_sha256(u->local, u->sha) != 0) {
            fprintf(stderr, "teai remote: %s: cannot read\n", u->local);
            goto done;
        }
        u->size = (long long)fb.st_size;
        u->arg = n_r;
        snprintf(u->remote, sizeof u->remote, "files/%.16s-%s", u->sha, base_name(u->local));
        rargs[n_r++] = u->remote;
        n_up++;
    }
    if (!*out) {
        rc = cli_usage_error("remote", "--output-dir is empty");
        goto done;
    }

    /* the files' state there, in one call: the workdir's folders made */
    s.len = 0;
    int e = teai_buf_addstr(&s, teai_remote_sh_sha_fn);
    e = e ? e : teai_buf_addstr(&s, "mkdir -p ");
    e = e ? e : add_path(&s, W, "bin");
    e = e ? e : teai_buf_addstr(&s, " ");
    e = e ? e : add_path(&s, W, "files");
    e = e ? e : teai_buf_addstr(&s, " ");
    e = e ? e : add_path(&s, W, "runs");
    e = e ? e : teai_buf_addstr(&s, " || exit 1; ");
    for (int k = 0; k < n_up && !e; k++) {
        e = teai_buf_addstr(&s, "f=");
        e = e ? e : add_path(&s, W, up[k].remote);
        e = e ? e
              : teai_buf_printf(&s,
                                "; [ -f \"$f\" ] && echo \"full %d $(sha \"$f\") 0\"; "
                                "[ -f \"$f.part\" ] && echo \"part %d - $(wc -c <\"$f.part\")\"; ",
                                k, k);
    }
    e = e ? e : teai_buf_addstr(&s, "true");
    if (e) {
        rc = oom();
        goto done;
    }
    if ((st = teai_remote_sh(d, s.data, 600, state_line, up, &res, &err)) != TEAI_OK) {
        fprintf(stderr, "teai remote: %s: cannot prepare %s there: %s\n", d->name, W, err.msg);
        goto done;
    }
    for (int k = 0; k < n_up; k++) {
        if (up[k].part > up[k].size) up[k].part = 0; /* not ours: started over */
        if (!up[k].have) to_copy += up[k].size - up[k].part;
    }
    long long free_mb = in.disk_free_kb >= 0 ? in.disk_free_kb / 1024 : -1;
    long long copy_mb = (to_copy + (1 << 20) - 1) >> 20;
    if (free_mb >= 0 && copy_mb + d->reserve_mb > free_mb) {
        fprintf(stderr,
                "teai remote: %s: not enough disk in %s: %lld MB to copy + %ld MB reserve, %lld "
                "MB free\n",
                d->name, W, copy_mb, d->reserve_mb, free_mb);
        goto done;
    }

    /* the binary: copied beside, made executable, moved into place */
    char rpath[PATH_MAX + 400];
    if (need_bin) {
        fprintf(stderr, "[%s] copying the %s device binary (%lld KB)\n", d->name,
                arch ? arch : in.uname_m, (long long)sb.st_size / 1024);
        snprintf(rpath, sizeof rpath, "%s/bin/teai.part", W);
        if ((st = teai_remote_put(d, bin, rpath, &res, &err)) != TEAI_OK) {
            fprintf(stderr, "teai remote: %s: copying %s: %s\n", d->name, bin, err.msg);
            goto done;
        }
        s.len = 0;
        e = teai_buf_addstr(&s, "cd ");
        e = e ? e : teai_sh_quote(&s, W);
        e = e ? e
              : teai_buf_addstr(&s, " && chmod 755 bin/teai.part && mv -f bin/teai.part bin/teai");
        if (e) {
            rc = oom();
            goto done;
        }
        if ((st = teai_remote_sh(d, s.data, 60, NULL, NULL, &res, &err)) != TEAI_OK) {
            fprintf(stderr, "teai remote: %s: installing bin/teai: %s\n", d->name, err.msg);
            goto done;
        }
    }
    /* it runs there (the right architecture, or the exec prefix that runs it) */
    s.len = 0;
    e = teai_buf_addstr(&s, "cd ");
    e = e ? e : teai_sh_quote(&s, W);
    e = e ? e
          : teai_buf_printf(&s, " && %s%sbin/teai --version", d->exec_prefix,
                            d->exec_prefix[0] ? " " : "");
    if (e) {
        rc = oom();
        goto done;
    }
    if ((st = teai_remote_sh(d, s.data, 120, NULL, NULL, &res, &err)) != TEAI_OK) {
        if (res.exit_code == 255)
            fprintf(stderr, "teai remote: %s (%s): cannot connect: %s\n", d->name, d->url,
                    res.last_err);
        else if (dev_bin)
            fprintf(stderr, "teai remote: %s: the device binary %s cannot run there: %s\n", d->name,
                    bin, err.msg);
        else
            fprintf(stderr, "teai remote: %s: the %s device binary cannot run there: %s\n", d->name,
                    arch ? arch : in.uname_m, err.msg);
        goto done;
    }

    /* the files: appended from where an earlier copy stopped, checked, renamed */
    for (int k = 0; k < n_up; k++) {
        upload *u = &up[k];
        if (u->have) continue;
        fprintf(stderr, "[%s] copying %s (%lld KB%s)\n", d->name, u->local, u->size / 1024,
                u->part ? ", resumed" : "");
        snprintf(rpath, sizeof rpath, "%s/%s.part", W, u->remote);
        if (u->part == 0) {
            s.len = 0;
            e = teai_buf_addstr(&s, ": > ");
            e = e ? e : teai_sh_quote(&s, rpath);
            if (e || teai_remote_sh(d, s.data, 60, NULL, NULL, &res, &err) != TEAI_OK) {
                fprintf(stderr, "teai remote: %s: creating %s: %s\n", d->name, rpath, err.msg);
                goto done;
            }
        }
        if ((st = teai_remote_append(d, u->local, u->part, rpath, &res, &err)) != TEAI_OK) {
            fprintf(stderr, "teai remote: %s: copying %s: %s\n", d->name, u->local,
                    res.exit_code == 255 ? "connection lost (run the same command again to resume)"
                                         : err.msg);
            goto done;
        }
        s.len = 0;
        e = teai_buf_addstr(&s, teai_remote_sh_sha_fn);
        e = e ? e : teai_buf_addstr(&s, "f=");
        e = e ? e : add_path(&s, W, u->remote);
        e = e ? e
              : teai_buf_printf(&s,
                                "; if [ \"$(sha \"$f.part\")\" = %s ]; then mv -f \"$f.part\" "
                                "\"$f\"; else rm -f \"$f.part\"; echo 'sha256 differs' >&2; "
                                "exit 1; fi",
                                u->sha);
        if (e) {
            rc = oom();
            goto done;
        }
        if ((st = teai_remote_sh(d, s.data, 600, NULL, NULL, &res, &err)) != TEAI_OK) {
            fprintf(stderr, "teai remote: %s: checking the copy of %s: %s\n", d->name, u->local,
                    err.msg);
            goto done;
        }
    }

    /* 5. the run folder: the same device and arguments, the same folder */
    teai_buf idb;
    teai_buf_init(&idb, 0);
    e = teai_buf_printf(&idb, "%s\n%s", d->name, sub);
    for (int a = 0; a < n_r && !e; a++) e = teai_buf_printf(&idb, "\n%s", rargs[a]);
    if (e) {
        teai_buf_free(&idb);
        rc = oom();
        goto done;
    }
    char hex[65];
    teai_sha256_hex(idb.data, idb.len, hex);
    teai_buf_free(&idb);
    run_ctx c = {.d = d, .workdir = W, .out = out};
    snprintf(c.run_dir, sizeof c.run_dir, "runs/%.12s", hex);
    if ((st = teai__mkdirs(out, &err)) != TEAI_OK) {
        fprintf(stderr, "teai remote: %s\n", err.msg);
        goto done;
    }
    /* what finished since an earlier call lost its connection */
    int srt = sync_run(&c);
    if (srt == 255) {
        fprintf(stderr, "teai remote: %s (%s): cannot connect (fetching earlier logs)\n", d->name,
                d->url);
        goto done;
    }
    if (c.n_fetched)
        fprintf(stderr, "[%s] %d file%s of an earlier run fetched\n", d->name, c.n_fetched,
                c.n_fetched == 1 ? "" : "s");

    /* 6. the run */
    s.len = 0;
    e = teai_buf_addstr(&s, "cd ");
    e = e ? e : teai_sh_quote(&s, W);
    e = e ? e : teai_buf_addstr(&s, " && TEAI_DEVICE_NAME=");
    e = e ? e : teai_sh_quote(&s, d->name);
    e = e ? e
          : teai_buf_printf(&s,
                            " TEAI_ANNOUNCE_LOGS=1 TEAI_STOP_WITH_PARENT=1 exec %s%sbin/teai %s",
                            d->exec_prefix, d->exec_prefix[0] ? " " : "", sub);
    for (int a = 0; a < n_r && !e; a++) {
        e = teai_buf_addstr(&s, " ");
        e = e ? e : teai_sh_quote(&s, rargs[a]);
    }
    e = e ? e : teai_buf_printf(&s, " --output-dir %s", c.run_dir);
    if (e) {
        rc = oom();
        goto done;
    }
    if (!cli_interrupted()) st = teai_remote_sh(d, s.data, 0, on_run_line, &c, &res, &err);
    int lost = !cli_interrupted() && st != TEAI_OK && res.exit_code == 255;
    /* 7. whatever finished and was not announced (or whose fetch failed) */
    srt = sync_run(&c);
    if (cli_interrupted()) {
        fprintf(stderr,
                "teai remote: %s: interrupted; %d log%s fetched into %s; run the same command "
                "again to resume\n",
                d->name, c.n_fetched, c.n_fetched == 1 ? "" : "s", out);
        rc = CLI_EXIT_INTERRUPT;
        goto done;
    }
    if (lost || srt == 255) {
        fprintf(stderr,
                "teai remote: %s: connection lost (%s); %d log%s fetched into %s; run the same "
                "command again to resume\n",
                d->name, res.last_err[0] ? res.last_err : "ssh exit 255", c.n_fetched,
                c.n_fetched == 1 ? "" : "s", out);
        goto done;
    }
    if (st != TEAI_OK) {
        fprintf(stderr, "teai remote: %s: teai %s failed there (%s); %d log%s fetched into %s\n",
                d->name, sub, err.msg, c.n_fetched, c.n_fetched == 1 ? "" : "s", out);
        goto done;
    }
    printf("teai remote: %s: %d log%s fetched into %s\n", d->name, c.n_fetched,
           c.n_fetched == 1 ? "" : "s", out);
    rc = c.fetch_failed || srt != 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;

done:
    teai_buf_free(&s);
    free(up);
    free(rargs);
    teai_devices_free(l);
    return rc;
}
