/* Whether Intel AMX really runs here. A CPU can advertise AMX (CPUID leaf 7,
 * EDX bit 24; "amx_tile" in /proc/cpuinfo) while the system does not let
 * programs use it: a VM whose hypervisor leaves the tile state out of XCR0,
 * or a kernel that refuses ARCH_REQ_XCOMP_PERM for XTILEDATA. Code built for
 * AMX (llama.cpp's sapphirerapids CPU variant, or -march=native there) then
 * traps on its first tile instruction. The probe asks for the permission and
 * runs ldtilecfg + tilezero + tilerelease in a forked child, so a trap kills
 * only the child; scripts/provision-llama.sh runs the same probe. */
#include "sys/sys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA  18

/* CPUID.(EAX=7,ECX=0):EDX[24] AMX-TILE */
static int amx_advertised(void) {
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (d >> 24) & 1;
}

/* In the child: exit 0 when the tile instructions ran, 2 when the kernel
 * refused the permission; SIGILL when they trap. Only async-signal-safe
 * calls (a multithreaded parent may fork). */
static void probe_child(void) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* a trap here is expected: no core file */
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) _exit(2);
    /* palette 1, tile 0: 1 row of 4 bytes; the rest unused (64-byte config) */
    unsigned char cfg[64] __attribute__((aligned(64)));
    memset(cfg, 0, sizeof cfg);
    cfg[0] = 1;  /* palette */
    cfg[16] = 4; /* colsb[0] (16-bit, little endian) */
    cfg[48] = 1; /* rows[0] */
    /* bytes, so that no assembler support for AMX is needed */
    __asm__ volatile(".byte 0xc4, 0xe2, 0x78, 0x49, 0x07\n\t" /* ldtilecfg (%%rdi) */
                     ".byte 0xc4, 0xe2, 0x7b, 0x49, 0xc0\n\t" /* tilezero %%tmm0 */
                     ".byte 0xc4, 0xe2, 0x78, 0x49, 0xc0\n\t" /* tilerelease */
                     :
                     : "D"(cfg)
                     : "memory");
    _exit(0);
}

static teai_amx_state probe(char *why, size_t cap) {
    const char *assume = getenv("TEAI_ASSUME_AMX_UNUSABLE");
    if (assume && strcmp(assume, "1") == 0) {
        snprintf(why, cap, "assumed unusable (TEAI_ASSUME_AMX_UNUSABLE=1)");
        return TEAI_AMX_UNUSABLE;
    }
    if (!amx_advertised()) {
        snprintf(why, cap, "not advertised by the CPU");
        return TEAI_AMX_ABSENT;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, cap, "advertised, but the probe could not fork (treated as unusable)");
        return TEAI_AMX_UNUSABLE;
    }
    if (pid == 0) probe_child();
    int st = 0;
    pid_t got;
    while ((got = waitpid(pid, &st, 0)) < 0 && errno == EINTR) continue;
    if (got < 0) {
        snprintf(why, cap, "advertised, but the probe was lost (treated as unusable)");
        return TEAI_AMX_UNUSABLE;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        snprintf(why, cap, "advertised, and tilezero ran");
        return TEAI_AMX_USABLE;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
        snprintf(why, cap, "advertised, but the kernel refused XTILEDATA (arch_prctl)");
    else if (WIFSIGNALED(st))
        snprintf(why, cap, "advertised, but tilezero trapped (%s)", strsignal(WTERMSIG(st)));
    else
        snprintf(why, cap, "advertised, but the probe failed (exit %d)", WEXITSTATUS(st));
    return TEAI_AMX_UNUSABLE;
}
#else
static teai_amx_state probe(char *why, size_t cap) {
    const char *assume = getenv("TEAI_ASSUME_AMX_UNUSABLE");
    if (assume && strcmp(assume, "1") == 0) {
        snprintf(why, cap, "assumed unusable (TEAI_ASSUME_AMX_UNUSABLE=1)");
        return TEAI_AMX_UNUSABLE;
    }
    snprintf(why, cap, "not probed (not x86-64 Linux)");
    return TEAI_AMX_ABSENT;
}
#endif

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static teai_amx_state g_state;
static char g_why[128];

static void probe_once(void) {
    g_state = probe(g_why, sizeof g_why);
}

teai_amx_state teai_cpu_amx(const char **why) {
    pthread_once(&g_once, probe_once);
    if (why) *why = g_why;
    return g_state;
}

bool teai_cpu_amx_usable(void) {
    return teai_cpu_amx(NULL) == TEAI_AMX_USABLE;
}
