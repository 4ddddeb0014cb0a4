/* Host facts for the raw log's header (docs/log-format.md): what machine, what CPU,
 * how much memory, what build. Everything is read once, locally; a fact that
 * cannot be read is "" (never guessed). */
#ifndef TEAI_SYS_H
#define TEAI_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct teai_host {
    char platform[64]; /* uname sysname: "Linux", "Darwin"; "Android" under Termux */
    char release[128]; /* uname release */
    char machine[32];  /* uname machine: x86_64, aarch64 */
    char device[256];  /* device model (Android ro.product.model, DMI product, or the CPU) */
    char username[64];
    char hostname[128];
    char cpu[256];          /* CPU model name */
    char cpu_features[256]; /* SIMD features teai cares about: "avx2 fma f16c", "neon dotprod" */
    int n_cpus;
    uint64_t ram_bytes; /* 0 unknown */
    char gpu[256];      /* "" when none found */
} teai_host;

/* Fills h; never fails (unknown facts stay ""). */
void teai_host_read(teai_host *h);

/* Build facts of this teai. */
const char *teai_version(void);  /* "0.1.0" */
const char *teai_commit(void);   /* git commit or "unknown" */
const char *teai_compiler(void); /* "GNU 12.2.0" */
const char *teai_cflags(void);

/* Peak resident set size of this process so far, in bytes (0 unknown). */
uint64_t teai_peak_rss(void);
/* Current time as RFC 3339 UTC ("2026-11-27T03:10:00Z") into buf. */
void teai_rfc3339_now(char *buf, int cap);
/* 8 random lowercase hex digits (from /dev/urandom, else time and pid). */
void teai_uuid8(char out[9]);

/* Intel AMX here (src/sys/amx.c): absent (not advertised by the CPU), usable
 * (a probe in a forked child ran tilezero), or advertised but unusable (the
 * kernel refused XTILEDATA, or tilezero trapped). TEAI_ASSUME_AMX_UNUSABLE=1
 * forces "unusable", to test that path on any machine. Probed once per
 * process; *why (optional) gets a static phrase that reads after "AMX "
 * ("advertised, but tilezero trapped (Illegal instruction)"). */
typedef enum teai_amx_state { TEAI_AMX_ABSENT, TEAI_AMX_USABLE, TEAI_AMX_UNUSABLE } teai_amx_state;
teai_amx_state teai_cpu_amx(const char **why);
bool teai_cpu_amx_usable(void); /* teai_cpu_amx() == TEAI_AMX_USABLE */

/* SHA-256 of memory, as 64 lowercase hex digits + NUL. */
void teai_sha256_hex(const void *data, size_t n, char hex[65]);
/* SHA-256 of a file, from a cache (~/.cache/teai/sha256.tsv) keyed by its
 * real path, size and mtime when it has been hashed before. 0, or -1 when the
 * file cannot be read. */
int teai_file_sha256(const char *path, char hex[65]);

#endif
