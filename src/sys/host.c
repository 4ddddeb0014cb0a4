#include "sys/sys.h"

#include "base/base.h"

#include <ctype.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Copies src into dst (cap bytes), cutting what does not fit. */
static void copy(char *dst, size_t cap, const char *src) {
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Trims whitespace at both ends, in place. */
static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* First line of a small file into buf; 0 on success. */
static int read_line(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    char *t = trim(buf);
    memmove(buf, t, strlen(t) + 1);
    return buf[0] ? 0 : -1;
}

/* Android's product model from the build properties, for where getprop
 * cannot be run: Android's shell (adb) without Termux, or a static glibc
 * binary, whose popen needs /bin/sh, which Android lacks. ro.product.model,
 * else the first ro.product.<partition>.model; out untouched when none. */
static void build_prop_model(char *out, size_t cap) {
    static const char *const files[] = {"/system/build.prop", "/vendor/build.prop",
                                        "/product/build.prop"};
    char line[512], other[256] = "";
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        FILE *f = fopen(files[i], "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            char *eq = strchr(line, '=');
            if (!eq || strncmp(line, "ro.product.", 11) != 0) continue;
            *eq = '\0';
            size_t kl = strlen(line);
            const char *v = trim(eq + 1);
            if (!*v || kl < 6 || strcmp(line + kl - 6, ".model") != 0) continue;
            if (strcmp(line, "ro.product.model") == 0) {
                copy(out, cap, v);
                fclose(f);
                return;
            }
            if (!other[0]) copy(other, sizeof other, v);
        }
        fclose(f);
    }
    if (other[0]) copy(out, cap, other);
}

/* Value of "key : value" in /proc/cpuinfo (first match). */
static int cpuinfo(const char *key, char *out, size_t cap) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        copy(out, cap, trim(colon + 1));
        found = 0;
        break;
    }
    fclose(f);
    return found;
}

static int has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n')) return 1;
    return 0;
}

static void cpu_features(teai_host *h) {
    char flags[8192] = "";
    const char *x86[] = {"avx2", "fma", "f16c", "avx512f", "avx512vnni", "avx_vnni", NULL};
    const char *arm[] = {"asimd", "asimddp", "i8mm", "sve", "fphp", NULL};
    const char *const *want = NULL;
    if (cpuinfo("flags", flags, sizeof flags) == 0)
        want = x86;
    else if (cpuinfo("Features", flags, sizeof flags) == 0)
        want = arm;
    if (!want) return;
    for (int i = 0; want[i]; i++) {
        if (!has_word(flags, want[i])) continue;
        size_t len = strlen(h->cpu_features);
        snprintf(h->cpu_features + len, sizeof h->cpu_features - len, "%s%s", len ? " " : "",
                 want[i]);
    }
}

static void gpu(teai_host *h) {
    /* NVIDIA's driver lists its GPUs here; other GPUs by DRM card name */
    char buf[256];
    if (read_line("/proc/driver/nvidia/gpus/0000:00:00.0/information", buf, sizeof buf) == 0) {
        copy(h->gpu, sizeof h->gpu, buf);
        return;
    }
    FILE *p = popen("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null", "r");
    if (p) {
        if (fgets(buf, sizeof buf, p)) copy(h->gpu, sizeof h->gpu, trim(buf));
        pclose(p);
    }
}

/* The user's name. A statically linked glibc binary (a device build) cannot
 * call getpwuid: it loads the NSS modules of the glibc it was built with at
 * run time, which a phone or another distribution lacks; so it takes $USER
 * or $LOGNAME (empty when neither is set). */
static void user_name(char *out, size_t cap) {
#if TEAI_STATIC_LINK
    const char *u = getenv("USER");
    if (!u || !*u) u = getenv("LOGNAME");
    copy(out, cap, u);
#else
    struct passwd *pw = getpwuid(getuid());
    copy(out, cap, pw ? pw->pw_name : getenv("USER"));
#endif
}

void teai_host_read(teai_host *h) {
    memset(h, 0, sizeof *h);
    struct utsname u;
    if (uname(&u) == 0) {
        copy(h->platform, sizeof h->platform, u.sysname);
        copy(h->release, sizeof h->release, u.release);
        copy(h->machine, sizeof h->machine, u.machine);
        copy(h->hostname, sizeof h->hostname, u.nodename);
    }
    if (getenv("TERMUX_VERSION") || access("/system/build.prop", R_OK) == 0)
        copy(h->platform, sizeof h->platform, "Android");
    user_name(h->username, sizeof h->username);
    if (cpuinfo("model name", h->cpu, sizeof h->cpu) != 0 &&
        cpuinfo("Hardware", h->cpu, sizeof h->cpu) != 0)
        cpuinfo("CPU part", h->cpu, sizeof h->cpu);
    cpu_features(h);
    h->n_cpus = teai__n_cpus();
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) h->ram_bytes = (uint64_t)pages * (uint64_t)page;
    /* device: the phone's model, else the machine's DMI product, else the CPU */
    char buf[256];
    FILE *p = getenv("TERMUX_VERSION") ? popen("getprop ro.product.model 2>/dev/null", "r") : NULL;
    if (p) {
        if (fgets(buf, sizeof buf, p)) copy(h->device, sizeof h->device, trim(buf));
        pclose(p);
    }
    if (!h->device[0] && strcmp(h->platform, "Android") == 0)
        build_prop_model(h->device, sizeof h->device);
    if (!h->device[0] && read_line("/sys/class/dmi/id/product_name", buf, sizeof buf) == 0 &&
        strcmp(buf, "Standard PC (i440FX + PIIX, 1996)") != 0 &&
        strcmp(buf, "Google Compute Engine") != 0)
        copy(h->device, sizeof h->device, buf);
    if (!h->device[0]) copy(h->device, sizeof h->device, h->cpu);
    gpu(h);
}

const char *teai_version(void) {
    return TEAI_VERSION;
}
const char *teai_commit(void) {
    return TEAI_GIT_COMMIT;
}
const char *teai_compiler(void) {
    return TEAI_C_COMPILER;
}
const char *teai_cflags(void) {
    return TEAI_C_FLAGS;
}

uint64_t teai_peak_rss(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
#ifdef __APPLE__
    return (uint64_t)ru.ru_maxrss; /* bytes on macOS */
#else
    return (uint64_t)ru.ru_maxrss * 1024; /* kilobytes on Linux */
#endif
}

void teai_rfc3339_now(char *buf, int cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, (size_t)cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void teai_uuid8(char out[9]) {
    unsigned char b[4] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    int ok = fd >= 0 && read(fd, b, 4) == 4;
    if (fd >= 0) close(fd);
    if (!ok) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint32_t v = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_sec;
        memcpy(b, &v, 4);
    }
    snprintf(out, 9, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}
