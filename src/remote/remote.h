/* Devices people own, reached from the host: the device list a user edits
 * (~/.config/teai/devices), and the transports that run commands there and
 * copy files both ways: the system's OpenSSH (ssh, scp; ~/.ssh/config is
 * honoured) or Android's adb. Every remote command is POSIX sh, so Termux,
 * Android's shell (mksh, toybox) and boards run it alike. Library code:
 * nothing is printed; errors say what failed and where. */
#ifndef TEAI_REMOTE_H
#define TEAI_REMOTE_H

#include "base/base.h"
#include "base/proc.h"

#include <stddef.h>

/* ---- the device list ---------------------------------------------------
 * One device a line: `NAME URL [key=value ...]`; keys identity, workdir,
 * exec-prefix, ssh-config, reserve (MB), arch (x86_64, aarch64 or armv7: the
 * architecture of the device binary, when uname -m there does not tell it,
 * as for a device run through qemu-user); a value with blanks is
 * double-quoted ("qemu-aarch64 -cpu max"; \" and \\ inside). `#` starts a
 * comment line; blank lines are kept. NAME is [A-Za-z0-9._-]{1,63}; URL is
 * ssh://[user@]host[:port] or adb://SERIAL. */

#define TEAI_DEVICE_NAME_MAX   64
#define TEAI_DEVICE_RESERVE_MB 64 /* default room left free for logs */

typedef enum teai_transport { TEAI_TRANSPORT_SSH, TEAI_TRANSPORT_ADB } teai_transport;

typedef struct teai_device {
    char name[TEAI_DEVICE_NAME_MAX];
    char *url; /* as written */
    teai_transport transport;
    char *user;        /* ssh: "" = ssh's default */
    char *host;        /* ssh: host name or ~/.ssh/config alias; adb: the serial */
    int port;          /* ssh: 0 = ssh's default */
    char *identity;    /* "" = none given */
    char *workdir;     /* "" = the default (ssh: "teai" in the login's home; adb:
                          /data/local/tmp/teai) */
    char *exec_prefix; /* put before the device's teai ("qemu-aarch64"); "" = none */
    char *ssh_config;  /* ssh -F FILE; "" = ssh's own */
    long reserve_mb;   /* free disk kept for logs; TEAI_DEVICE_RESERVE_MB unless set */
    char arch[16];     /* the device binary's architecture; "" = from uname -m there */
} teai_device;

/* The list as read, lines kept (comments too) so a save changes only the
 * devices' own lines. */
typedef struct teai_devices teai_devices;

/* The list's file: $TEAI_CONFIG_DIR/devices, else
 * ${XDG_CONFIG_HOME:-$HOME/.config}/teai/devices. TEAI_EINVAL when cap is too small. */
int teai_devices_path(char *out, size_t cap, teai_error *err);
/* Reads path; a missing file is an empty list. A bad line fails with
 * TEAI_EFORMAT "FILE:LINE: what". The caller frees *out (teai_devices_free). */
int teai_devices_load(const char *path, teai_devices **out, teai_error *err);
void teai_devices_free(teai_devices *l);
int teai_devices_count(const teai_devices *l);
const teai_device *teai_devices_at(const teai_devices *l, int i);
const teai_device *teai_devices_find(const teai_devices *l, const char *name);
/* Adds (or, with replace, replaces in place) a device; d's strings are
 * copied. An existing name without replace is TEAI_EINVAL "device 'NAME'
 * exists". */
int teai_devices_put(teai_devices *l, const teai_device *d, int replace, teai_error *err);
/* Removes the device's line; TEAI_ENOTFOUND when there is none. */
int teai_devices_remove(teai_devices *l, const char *name, teai_error *err);
/* Writes the list back to the path it was loaded from, atomically (the
 * folder is made when missing). */
int teai_devices_save(const teai_devices *l, teai_error *err);
const char *teai_devices_file(const teai_devices *l);

/* Fills d from NAME and URL (the options left at their defaults); the
 * strings are malloc'd: teai_device_clear frees them. */
int teai_device_init(teai_device *d, const char *name, const char *url, teai_error *err);
void teai_device_clear(teai_device *d);
/* The workdir in effect (the default when none is set). */
const char *teai_device_workdir(const teai_device *d);
/* Sets one key ("identity", "workdir", "exec-prefix", "ssh-config",
 * "reserve", "arch") from its text; TEAI_EINVAL for an unknown key or a bad value. */
int teai_device_set(teai_device *d, const char *key, const char *value, teai_error *err);

/* The device list line's options, "identity=... workdir=..." (quoted where
 * needed), into b. */
int teai_device_options(const teai_device *d, teai_buf *b);

/* ---- running there -------------------------------------------------------- */

/* Appends s to b single-quoted for a POSIX shell ('it'\''s'). */
int teai_sh_quote(teai_buf *b, const char *s);

/* Runs the POSIX sh command line cmd on the device (ssh: `ssh ... host --
 * cmd`; adb: `adb -s SERIAL shell cmd`); fn gets its output lines (see
 * teai__proc_run). timeout_s 0 = none. res->exit_code 255 from ssh means the
 * connection failed or dropped. */
int teai_remote_sh(const teai_device *d, const char *cmd, double timeout_s, teai__line_fn fn,
                   void *ud, teai__proc_result *res, teai_error *err);
/* Copies the local file to the device's path (scp / adb push), or back. */
int teai_remote_put(const teai_device *d, const char *local, const char *remote,
                    teai__proc_result *res, teai_error *err);
int teai_remote_get(const teai_device *d, const char *remote, const char *local,
                    teai__proc_result *res, teai_error *err);
/* Appends local[offset..) to the device's file remote (ssh: `cat >> FILE`
 * with the file as stdin: a resumable upload). adb has no stdin channel:
 * TEAI_EUNSUPPORTED. */
int teai_remote_append(const teai_device *d, const char *local, long long offset,
                       const char *remote, teai__proc_result *res, teai_error *err);

/* ---- a device's state, as one remote call reports it ------------------ */

typedef struct teai_remote_info {
    char uname_m[64];       /* uname -m */
    char os[256];           /* uname -sr */
    char android[64];       /* Android's release when getprop exists; "" otherwise */
    int termux;             /* 1: Termux ($TERMUX_VERSION or /data/data/com.termux) */
    long long disk_free_kb; /* free space of the workdir's filesystem (df -Pk); -1 unknown */
    long long mem_total_kb; /* /proc/meminfo; -1 unknown */
    long long mem_avail_kb;
    int has_bin;         /* WORKDIR/bin/teai exists */
    char bin_sha256[65]; /* its SHA-256; "" when absent or no hasher there */
    int complete;        /* the script ran to its end */
} teai_remote_info;

/* Reads one line the info script printed ("key=value") into in: unknown
 * keys are ignored, a count that is not decimal digits is -1 (unknown), a
 * hash that is not 64 lowercase hex digits is "". The device's output is
 * not trusted (tests/fuzz/fuzz_devices.c). */
void teai_remote_info_line(teai_remote_info *in, const char *line);

/* A sh function `sha FILE` printing the file's SHA-256 (or an empty line):
 * put before a remote script that needs it. */
extern const char teai_remote_sh_sha_fn[];

/* Runs the info script on d. A failure to connect is TEAI_EIO with
 * res->exit_code 255 and err the transport's own last line. */
int teai_remote_info_get(const teai_device *d, teai_remote_info *in, teai__proc_result *res,
                         teai_error *err);

/* A device's uname -m as one of x86_64, aarch64, armv7; NULL when unknown. */
const char *teai_remote_arch(const char *uname_m);

#endif
