/* What a device is, in one remote call: a small POSIX sh script prints
 * key=value lines (architecture, OS, Termux, free disk of the workdir's
 * filesystem, RAM, the teai binary there and its SHA-256). */
#include "remote.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sha FILE: its SHA-256 (sha256sum, toybox's, or shasum), "" when none can */
const char teai_remote_sh_sha_fn[] =
    "sha() { for c in sha256sum 'toybox sha256sum' 'shasum -a 256'; do "
    "h=$($c \"$1\" 2>/dev/null) && { echo \"${h%% *}\"; return 0; }; done; echo; }; ";

/* A count of the info script's: decimal digits only (what df and
 * /proc/meminfo print), else -1 (unknown): garbage is never a size. */
static long long count_of(const char *v) {
    long long n = 0;
    if (!*v) return -1;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > (LLONG_MAX - 9) / 10) return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

static int is_sha256(const char *v) {
    size_t n = 0;
    for (; v[n]; n++)
        if (!((v[n] >= '0' && v[n] <= '9') || (v[n] >= 'a' && v[n] <= 'f'))) return 0;
    return n == 64;
}

void teai_remote_info_line(teai_remote_info *in, const char *line) {
    const char *eq = strchr(line, '=');
    if (!eq) return;
    size_t kl = (size_t)(eq - line);
    const char *v = eq + 1;
#define KEY(k) (kl == sizeof k - 1 && memcmp(line, k, kl) == 0)
    if (KEY("arch"))
        snprintf(in->uname_m, sizeof in->uname_m, "%s", v);
    else if (KEY("os"))
        snprintf(in->os, sizeof in->os, "%s", v);
    else if (KEY("android"))
        snprintf(in->android, sizeof in->android, "%s", v);
    else if (KEY("termux"))
        in->termux = strcmp(v, "1") == 0;
    else if (KEY("disk_kb"))
        in->disk_free_kb = count_of(v);
    else if (KEY("mem_total_kb"))
        in->mem_total_kb = count_of(v);
    else if (KEY("mem_avail_kb"))
        in->mem_avail_kb = count_of(v);
    else if (KEY("bin"))
        in->has_bin = strcmp(v, "1") == 0;
    else if (KEY("bin_sha256"))
        snprintf(in->bin_sha256, sizeof in->bin_sha256, "%s", is_sha256(v) ? v : "");
    else if (KEY("ok"))
        in->complete = 1;
#undef KEY
}

static int parse_kv(void *ud, int stream, const char *line) {
    if (stream == TEAI__STDOUT) teai_remote_info_line(ud, line);
    return 0;
}

int teai_remote_info_get(const teai_device *d, teai_remote_info *in, teai__proc_result *res,
                         teai_error *err) {
    memset(in, 0, sizeof *in);
    in->disk_free_kb = in->mem_total_kb = in->mem_avail_kb = -1;
    teai_buf s;
    teai_buf_init(&s, 0);
    int st = teai_buf_addstr(&s, teai_remote_sh_sha_fn);
    st = st ? st : teai_buf_addstr(&s, "W=");
    st = st ? st : teai_sh_quote(&s, teai_device_workdir(d));
    st = st ? st
            : teai_buf_addstr(
                  &s, "; d=$W; while [ ! -d \"$d\" ]; do d=$(dirname \"$d\"); done; "
                      "echo \"arch=$(uname -m)\"; echo \"os=$(uname -sr)\"; "
                      "if command -v getprop >/dev/null 2>&1; then "
                      "echo \"android=$(getprop ro.build.version.release)\"; fi; "
                      "if [ -n \"${TERMUX_VERSION:-}\" ] || [ -d /data/data/com.termux ]; then "
                      "echo termux=1; else echo termux=0; fi; "
                      "df -Pk \"$d\" 2>/dev/null | { read -r _; read -r _ _ _ a _; "
                      "echo \"disk_kb=$a\"; }; "
                      "while read -r k v _; do case $k in MemTotal:) echo \"mem_total_kb=$v\";; "
                      "MemAvailable:) echo \"mem_avail_kb=$v\";; esac; done </proc/meminfo; "
                      "if [ -f \"$W/bin/teai\" ]; then echo bin=1; "
                      "echo \"bin_sha256=$(sha \"$W/bin/teai\")\"; else echo bin=0; fi; echo ok=1");
    if (st) {
        teai_buf_free(&s);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    teai__proc_result local;
    if (!res) res = &local;
    st = teai_remote_sh(d, s.data, 60, parse_kv, in, res, err);
    teai_buf_free(&s);
    if (st == TEAI_OK && (!in->complete || !in->uname_m[0]))
        st = teai__fail(err, TEAI_EIO, "the device's shell printed no answer");
    return st;
}
