/* teai device: the list of devices teai runs on (add, remove, list) and a
 * look at one of them (check). The list is a text file a user may edit
 * (docs/remote.md). */
#include "cli.h"
#include "remote/remote.h"

#include <stdio.h>
#include <string.h>

static const char *help =
    "usage: teai device add NAME URL [--identity FILE] [--workdir DIR] [--exec-prefix CMD]\n"
    "                       [--ssh-config FILE] [--reserve MB] [--arch ARCH] [--force]\n"
    "       teai device remove NAME\n"
    "       teai device list\n"
    "       teai device check NAME\n"
    "\n"
    "The devices teai remote and teai fleet run on, one a line in a text file\n"
    "($TEAI_CONFIG_DIR/devices, else ~/.config/teai/devices; docs/remote.md).\n"
    "URL is ssh://[user@]host[:port] (the system's ssh; ~/.ssh/config applies:\n"
    "host may be an alias there) or adb://SERIAL (Android through adb).\n"
    "\n"
    "  --identity FILE     ssh -i FILE\n"
    "  --workdir DIR       teai's folder there (default: teai in the login's home;\n"
    "                      adb: /data/local/tmp/teai)\n"
    "  --exec-prefix CMD   put before the device's teai (e.g. \"qemu-aarch64\")\n"
    "  --ssh-config FILE   ssh -F FILE\n"
    "  --reserve MB        free disk to keep for logs when copying (default 64)\n"
    "  --arch ARCH         x86_64, aarch64 or armv7: the device binary to use when\n"
    "                      uname -m there does not tell (a device run through qemu)\n"
    "  --force             replace a device of that name\n"
    "\n"
    "check: reachable or not, architecture, OS, Termux, free disk and RAM, the teai\n"
    "there (its SHA-256 and version), then teai probe run there.\n"
    "\n"
    "exit codes: 0 done (check: reachable), 1 the device cannot be reached or\n"
    "            the list cannot be written, 2 bad command line, 3 unknown device\n"
    "            or a malformed device list\n";

static int load(const char *cmd, teai_devices **l) {
    char path[4096];
    teai_error err = {0};
    int st = teai_devices_path(path, sizeof path, &err);
    if (st == TEAI_OK) st = teai_devices_load(path, l, &err);
    if (st != TEAI_OK) {
        fprintf(stderr, "teai %s: %s\n", cmd, err.msg);
        return CLI_EXIT_INPUT;
    }
    return CLI_EXIT_OK;
}

static int device_add(int argc, char **argv) {
    const char *cmd = "device add";
    enum { N_OPT = 6 };
    const char *name = NULL, *url = NULL, *opt[N_OPT] = {0};
    static const char *const keys[N_OPT] = {"identity",   "workdir", "exec-prefix",
                                            "ssh-config", "reserve", "arch"};
    static const char *const flags[N_OPT] = {"--identity",   "--workdir", "--exec-prefix",
                                             "--ssh-config", "--reserve", "--arch"};
    int force = 0;
    for (int i = 1; i < argc; i++) {
        int k = -1;
        for (int j = 0; j < N_OPT; j++)
            if (strcmp(argv[i], flags[j]) == 0) k = j;
        if (k >= 0) {
            if (!(opt[k] = cli_value(cmd, argc, argv, &i))) return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else if (!url) {
            url = argv[i];
        } else {
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!name || !url) return cli_usage_error(cmd, "expected NAME URL");
    teai_device d;
    teai_error err = {0};
    if (teai_device_init(&d, name, url, &err) != TEAI_OK)
        return cli_usage_error(cmd, "%s", err.msg);
    for (int k = 0; k < N_OPT; k++)
        if (opt[k] && teai_device_set(&d, keys[k], opt[k], &err) != TEAI_OK) {
            teai_device_clear(&d);
            return cli_usage_error(cmd, "%s", err.msg);
        }
    teai_devices *l = NULL;
    int rc = load(cmd, &l);
    if (rc == CLI_EXIT_OK) {
        int st = teai_devices_put(l, &d, force, &err);
        if (st != TEAI_OK) {
            fprintf(stderr, "teai %s: %s (--force replaces it; %s)\n", cmd, err.msg,
                    teai_devices_file(l));
            rc = CLI_EXIT_USAGE;
        } else if ((st = teai_devices_save(l, &err)) != TEAI_OK) {
            rc = cli_fail(cmd, &err, st);
        } else {
            printf("device %s: %s (in %s)\n", d.name, d.url, teai_devices_file(l));
        }
    }
    teai_devices_free(l);
    teai_device_clear(&d);
    return rc;
}

static int device_remove(int argc, char **argv) {
    const char *cmd = "device remove";
    if (argc != 2) return cli_usage_error(cmd, "expected NAME");
    teai_devices *l = NULL;
    int rc = load(cmd, &l);
    if (rc != CLI_EXIT_OK) return rc;
    teai_error err = {0};
    int st = teai_devices_remove(l, argv[1], &err);
    if (st != TEAI_OK) {
        fprintf(stderr, "teai %s: unknown device '%s' (%s)\n", cmd, argv[1], teai_devices_file(l));
        rc = CLI_EXIT_INPUT;
    } else if ((st = teai_devices_save(l, &err)) != TEAI_OK) {
        rc = cli_fail(cmd, &err, st);
    }
    teai_devices_free(l);
    return rc;
}

static int device_list(int argc, char **argv) {
    (void)argv;
    if (argc != 1) return cli_usage_error("device list", "no arguments expected");
    teai_devices *l = NULL;
    int rc = load("device list", &l);
    if (rc != CLI_EXIT_OK) return rc;
    int n = teai_devices_count(l);
    if (n == 0) {
        printf("no devices (teai device add NAME ssh://host; %s)\n", teai_devices_file(l));
    } else {
        printf("%-16s %-32s %-24s %s\n", "name", "url", "workdir", "options");
        teai_buf o;
        teai_buf_init(&o, 0);
        for (int i = 0; i < n; i++) {
            const teai_device *d = teai_devices_at(l, i);
            if (!d->name[0]) continue;
            o.len = 0;
            if (o.data) o.data[0] = '\0';
            teai_device d2 = *d;
            d2.workdir = ""; /* shown in its own column */
            teai_device_options(&d2, &o);
            printf("%-16s %-32s %-24s %s\n", d->name, d->url, teai_device_workdir(d),
                   o.len ? o.data : "");
        }
        teai_buf_free(&o);
    }
    teai_devices_free(l);
    return CLI_EXIT_OK;
}

static int show_line(void *ud, int stream, const char *line) {
    (void)stream;
    printf("  %s%s\n", (const char *)ud, line);
    fflush(stdout);
    return 0;
}

static int device_check(int argc, char **argv) {
    const char *cmd = "device check";
    if (argc != 2) return cli_usage_error(cmd, "expected NAME");
    teai_devices *l = NULL;
    int rc = load(cmd, &l);
    if (rc != CLI_EXIT_OK) return rc;
    const teai_device *d = teai_devices_find(l, argv[1]);
    if (!d) {
        fprintf(stderr, "teai %s: unknown device '%s' (teai device list; %s)\n", cmd, argv[1],
                teai_devices_file(l));
        teai_devices_free(l);
        return CLI_EXIT_INPUT;
    }
    teai_remote_info in;
    teai__proc_result res;
    teai_error err = {0};
    int st = teai_remote_info_get(d, &in, &res, &err);
    if (st != TEAI_OK) {
        fprintf(stderr, "teai %s: %s (%s): cannot connect: %s\n", cmd, d->name, d->url,
                res.last_err[0] ? res.last_err : err.msg);
        teai_devices_free(l);
        return CLI_EXIT_FAIL;
    }
    const char *arch = d->arch[0] ? d->arch : teai_remote_arch(in.uname_m);
    printf("device %s (%s): reachable\n", d->name, d->url);
    printf("  architecture  %s%s%s%s\n", in.uname_m, arch ? "" : " (no device build for it)",
           d->arch[0] ? ", device binary " : "", d->arch);
    printf("  os            %s%s%s%s\n", in.os, in.android[0] ? ", Android " : "", in.android,
           in.termux ? ", Termux" : "");
    if (in.disk_free_kb >= 0)
        printf("  free disk     %lld MB in %s\n", in.disk_free_kb / 1024, teai_device_workdir(d));
    if (in.mem_total_kb >= 0)
        printf("  RAM           %lld MB, %lld MB available\n", in.mem_total_kb / 1024,
               in.mem_avail_kb >= 0 ? in.mem_avail_kb / 1024 : 0);
    if (d->exec_prefix[0]) printf("  exec prefix   %s\n", d->exec_prefix);
    if (!in.has_bin) {
        printf("  teai          none in %s/bin (teai remote puts it there)\n",
               teai_device_workdir(d));
        teai_devices_free(l);
        return CLI_EXIT_OK;
    }
    printf("  teai          %s/bin/teai, sha256 %s\n", teai_device_workdir(d),
           in.bin_sha256[0] ? in.bin_sha256 : "(no sha256 tool there)");
    fflush(stdout);
    teai_buf s;
    teai_buf_init(&s, 0);
    int e = teai_buf_addstr(&s, "cd ");
    e = e ? e : teai_sh_quote(&s, teai_device_workdir(d));
    e = e ? e
          : teai_buf_printf(&s, " && %s%sbin/teai --version && %s%sbin/teai probe", d->exec_prefix,
                            d->exec_prefix[0] ? " " : "", d->exec_prefix,
                            d->exec_prefix[0] ? " " : "");
    if (e) {
        teai_buf_free(&s);
        teai_devices_free(l);
        return CLI_EXIT_FAIL;
    }
    st = teai_remote_sh(d, s.data, 300, show_line, "", &res, &err);
    teai_buf_free(&s);
    if (st != TEAI_OK)
        fprintf(stderr, "teai %s: %s: the teai there does not run: %s\n", cmd, d->name, err.msg);
    teai_devices_free(l);
    return st == TEAI_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_device(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0) return device_add(argc - 1, argv + 1);
    if (strcmp(sub, "remove") == 0) return device_remove(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return device_list(argc - 1, argv + 1);
    if (strcmp(sub, "check") == 0) return device_check(argc - 1, argv + 1);
    return cli_usage_error("device", "unknown subcommand '%s' (add, remove, list, check)", sub);
}
