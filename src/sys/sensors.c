/* The device's sensors (sensors.h, docs/sensors.md). teai_sensors_open walks
 * the kernel's folders under the root once, reads every file it finds once
 * (that is the desc's value or why), and keeps what feeds the readings:
 * the energy source, temperatures, clocks, throttle counters, batteries and
 * /proc's load files. teai_sensors_read then reads only those. On the
 * kernel's own file systems (sysfs, procfs) a file stays open and is read
 * again with pread at offset 0, which makes the kernel produce a fresh
 * value; anywhere else (a test's fake tree) it is opened for every read, so
 * a file replaced or removed between reads is seen as such. A read that
 * fails or holds garbage is NAN in that reading, never a crash; the file is
 * tried again next time. The contents are parsed by sensors_parse.c. */
#include "sys/sensors.h"

#include "sensors_impl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

#define SYSFS_MAGIC_ 0x62656572
#define PROC_MAGIC_  0x9fa0

const char *teai_sysfs_root(void) {
    const char *r = getenv("TEAI_SYSFS_ROOT");
    return r && r[0] ? r : "/";
}

const char *teai_sensor_kind_name(teai_sensor_kind k) {
    static const char *const names[] = {"energy", "power",    "battery", "temperature",
                                        "clock",  "throttle", "load"};
    return (unsigned)k < TEAI_SENSOR_N_KINDS ? names[k] : "?";
}

/* snprintf where cutting the text short is fine (names, phrases). */
__attribute__((format(printf, 3, 4))) static void putf(char *dst, size_t cap, const char *fmt,
                                                       ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* ---- files ---------------------------------------------------------------- */

typedef struct sfile {
    char *abs; /* root + path; NULL: no such file */
    int fd;    /* -1: closed */
    int keep;  /* 1: on sysfs/procfs, kept open between reads */
} sfile;

static void why_errno(int e, char *why, size_t cap) {
    if (e == EACCES || e == EPERM)
        putf(why, cap, "permission denied");
    else if (e == ENOENT)
        putf(why, cap, "no such file");
    else
        putf(why, cap, "read: %s", strerror(e));
}

/* Reads the file into buf (cap bytes, NUL-terminated); its length, or -1
 * with why. */
static long sfile_read(sfile *f, char *buf, size_t cap, char *why, size_t why_cap) {
    if (!f->abs) {
        putf(why, why_cap, "no such file");
        return -1;
    }
    if (f->fd < 0) {
        f->fd = open(f->abs, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) {
            why_errno(errno, why, why_cap);
            return -1;
        }
        f->keep = 0;
#if defined(__linux__)
        struct statfs sf;
        if (fstatfs(f->fd, &sf) == 0 &&
            ((long)sf.f_type == SYSFS_MAGIC_ || (long)sf.f_type == PROC_MAGIC_))
            f->keep = 1;
#endif
    }
    ssize_t r = pread(f->fd, buf, cap - 1, 0);
    int e = errno;
    if (r < 0 || !f->keep) {
        close(f->fd);
        f->fd = -1;
    }
    if (r < 0) {
        why_errno(e, why, why_cap);
        return -1;
    }
    buf[r] = '\0';
    if (memchr(buf, '\0', (size_t)r)) {
        putf(why, why_cap, "binary content");
        return -1;
    }
    return (long)r;
}

static void sfile_close(sfile *f) {
    if (f->fd >= 0) close(f->fd);
    free(f->abs);
    f->abs = NULL;
    f->fd = -1;
}

/* ---- sensors -------------------------------------------------------------- */

typedef struct sensor {
    teai_sensor_desc d;
    sfile f;                                   /* the value's file */
    uint64_t max_range;                        /* energy counters: wrap point in uJ, 0 unknown */
    uint64_t last;                             /* energy counters: the last value read, uJ */
    double acc_j;                              /* energy counters: J gained since open */
    int broken;                                /* energy counters: went back with no range known */
    int is_package;                            /* RAPL: a package domain (top level, "package-N") */
    sfile bstatus, bpower, bcurrent, bvoltage; /* batteries */
} sensor;

struct teai_sensors {
    char *root;
    sensor *v;
    int n, cap;
    char missing[TEAI_SENSOR_N_KINDS][192];
    char source[512];
    int source_counter; /* 1 counter, 0 power, -1 none */
    int *src;           /* indices of the source's sensors */
    int n_src;
    int i_stat, i_psi, i_load;
    long tck;
    char summary[2048];
};

static void trim_copy(char *dst, size_t cap, const char *src) {
    putf(dst, cap, "%s", src);
}

static sensor *add(teai_sensors *s, teai_sensor_kind k, const char *name, const char *rel,
                   const char *unit) {
    if (s->n == s->cap) {
        int nc = s->cap ? s->cap * 2 : 32;
        sensor *nv = realloc(s->v, (size_t)nc * sizeof *nv);
        if (!nv) return NULL;
        s->v = nv;
        s->cap = nc;
    }
    sensor *x = &s->v[s->n++];
    memset(x, 0, sizeof *x);
    x->f.fd = x->bstatus.fd = x->bpower.fd = x->bcurrent.fd = x->bvoltage.fd = -1;
    x->d.kind = k;
    trim_copy(x->d.name, sizeof x->d.name, name);
    trim_copy(x->d.path, sizeof x->d.path, rel);
    x->d.unit = unit;
    x->d.value = NAN;
    return x;
}

/* root + rel as a malloc'd path ("/" root: rel itself). */
static char *join_root(const char *root, const char *rel) {
    size_t a = strlen(root), b = strlen(rel);
    while (a > 1 && root[a - 1] == '/') a--;
    if (a == 1 && root[0] == '/') a = 0;
    char *p = malloc(a + b + 1);
    if (!p) return NULL;
    memcpy(p, root, a);
    memcpy(p + a, rel, b + 1);
    return p;
}

/* Sets f to the file root + rel, when it exists (it may still be unreadable). */
static int sfile_set(teai_sensors *s, sfile *f, const char *rel) {
    f->fd = -1;
    f->abs = join_root(s->root, rel);
    if (!f->abs) return -1;
    struct stat st;
    if (stat(f->abs, &st) != 0) {
        free(f->abs);
        f->abs = NULL;
    }
    return 0;
}

/* Reads a short word file (name, type, status, label) at root + rel; 0 ok. */
static int read_word(teai_sensors *s, const char *rel, char *out, size_t cap) {
    sfile f = {0};
    if (sfile_set(s, &f, rel) != 0) return -1;
    char buf[256], why[128];
    long n = sfile_read(&f, buf, sizeof buf, why, sizeof why);
    int rc = n >= 0 ? teai__sensor_parse_word(buf, (size_t)n, out, cap, why, sizeof why) : -1;
    sfile_close(&f);
    return rc;
}

/* Reads an integer file; 0 ok, -1 with why. */
static int read_int(sfile *f, int64_t *v, char *why, size_t why_cap) {
    char buf[128];
    long n = sfile_read(f, buf, sizeof buf, why, why_cap);
    if (n < 0) return -1;
    return teai__sensor_parse_int(buf, (size_t)n, v, why, why_cap);
}

/* ---- one sensor's value ---------------------------------------------------- */

/* Energy counter: reads uJ. */
static int read_energy_uj(sensor *x, uint64_t *uj, char *why, size_t cap) {
    int64_t v = 0;
    if (read_int(&x->f, &v, why, cap) != 0) return -1;
    if (v < 0) {
        putf(why, cap, "negative: %lld", (long long)v);
        return -1;
    }
    if (x->max_range && (uint64_t)v > x->max_range) {
        putf(why, cap, "out of range: %lld uJ past max_energy_range_uj", (long long)v);
        return -1;
    }
    *uj = (uint64_t)v;
    return 0;
}

static int read_power_w(sensor *x, double *w, char *why, size_t cap) {
    int64_t v = 0;
    if (read_int(&x->f, &v, why, cap) != 0) return -1;
    if (v < 0 || v > 1000000000LL) {
        putf(why, cap, "out of range: %lld uW", (long long)v);
        return -1;
    }
    *w = (double)v / 1e6;
    return 0;
}

static int read_temp_c(sensor *x, double *c, char *why, size_t cap) {
    char buf[128];
    long n = sfile_read(&x->f, buf, sizeof buf, why, cap);
    if (n < 0) return -1;
    return teai__sensor_parse_millic(buf, (size_t)n, c, why, cap);
}

static int read_clock_mhz(sensor *x, double *mhz, char *why, size_t cap) {
    int64_t v = 0;
    if (read_int(&x->f, &v, why, cap) != 0) return -1;
    if (v <= 0 || v > 100000000LL) {
        putf(why, cap, "out of range: %lld kHz", (long long)v);
        return -1;
    }
    *mhz = (double)v / 1000.0;
    return 0;
}

static int read_count(sensor *x, double *n, char *why, size_t cap) {
    int64_t v = 0;
    if (read_int(&x->f, &v, why, cap) != 0) return -1;
    if (v < 0) {
        putf(why, cap, "negative: %lld", (long long)v);
        return -1;
    }
    *n = (double)v;
    return 0;
}

/* Battery: *charging from status (teai__battery_status), *w drawn (NAN and
 * why unless discharging). -1 when the status cannot be read. */
static int read_battery(sensor *x, int *charging, double *w, char *why, size_t cap) {
    char buf[128], st[64];
    *w = NAN;
    *charging = -1;
    long n = sfile_read(&x->bstatus, buf, sizeof buf, why, cap);
    if (n < 0 || teai__sensor_parse_word(buf, (size_t)n, st, sizeof st, why, cap) != 0) {
        char inner[128];
        putf(inner, sizeof inner, "%s", why);
        putf(why, cap, "status: %s", inner);
        return -1;
    }
    teai__battery_raw b = {0};
    b.status = teai__battery_status(st);
    *charging = b.status;
    if (b.status != 0) {
        putf(why, cap, b.status == 1 ? "%s: not the device's draw" : "status %s", st);
        return 0;
    }
    char w1[128];
    b.have_power = x->bpower.abs && read_int(&x->bpower, &b.power_uw, w1, sizeof w1) == 0;
    if (!b.have_power) {
        b.have_current = read_int(&x->bcurrent, &b.current_ua, w1, sizeof w1) == 0;
        if (b.have_current)
            b.have_voltage = read_int(&x->bvoltage, &b.voltage_uv, w1, sizeof w1) == 0;
        if (!b.have_current || !b.have_voltage) {
            putf(why, cap, "%s: %s", b.have_current ? "voltage_now" : "current_now", w1);
            return 0;
        }
    }
    double p = NAN;
    if (teai__battery_power_w(&b, &p, why, cap) == 0) *w = p;
    return 0;
}

/* The desc's value at open. */
static void first_read(sensor *x) {
    teai_sensor_desc *d = &x->d;
    char *why = d->why;
    size_t cap = sizeof d->why;
    double v = NAN;
    int ok = -1;
    switch (d->kind) {
        case TEAI_SENSOR_ENERGY: {
            uint64_t uj = 0;
            ok = read_energy_uj(x, &uj, why, cap);
            if (ok == 0) {
                x->last = uj;
                v = (double)uj / 1e6;
            }
            break;
        }
        case TEAI_SENSOR_POWER:
            ok = read_power_w(x, &v, why, cap);
            break;
        case TEAI_SENSOR_TEMP:
            ok = read_temp_c(x, &v, why, cap);
            break;
        case TEAI_SENSOR_CLOCK:
            ok = read_clock_mhz(x, &v, why, cap);
            break;
        case TEAI_SENSOR_THROTTLE:
            ok = read_count(x, &v, why, cap);
            break;
        case TEAI_SENSOR_BATTERY: {
            int ch = -1;
            ok = read_battery(x, &ch, &v, why, cap);
            /* usable when its status says where the power goes, and it gives W
             * when discharging */
            if (ok == 0 && ch == 0 && isnan(v)) ok = -1;
            if (ok == 0 && ch == -1) ok = -1;
            if (ok == 0 && !isnan(v)) why[0] = '\0';
            break;
        }
        case TEAI_SENSOR_LOAD: {
            char buf[4096];
            long n = sfile_read(&x->f, buf, sizeof buf, why, cap);
            if (n < 0) break;
            if (strstr(d->name, "stat")) {
                uint64_t busy = 0, total = 0;
                ok = teai__parse_proc_stat(buf, (size_t)n, &busy, &total, why, cap);
                if (ok == 0) v = total ? 100.0 * (double)busy / (double)total : 0.0;
                snprintf(d->info, sizeof d->info, "all CPUs busy since boot");
            } else if (strstr(d->name, "pressure")) {
                uint64_t tot = 0;
                ok = teai__parse_psi(buf, (size_t)n, &tot, &v, why, cap);
                snprintf(d->info, sizeof d->info, "some, avg10");
            } else {
                ok = teai__parse_loadavg(buf, (size_t)n, &v, why, cap);
                snprintf(d->info, sizeof d->info, "1-minute load average");
            }
            break;
        }
        default:
            break;
    }
    d->available = ok == 0;
    d->value = ok == 0 ? v : NAN;
    if (ok == 0 && d->kind != TEAI_SENSOR_BATTERY) why[0] = '\0';
    if (ok != 0 && !why[0]) putf(why, cap, "unreadable");
    d->used = d->available && d->kind != TEAI_SENSOR_ENERGY && d->kind != TEAI_SENSOR_POWER;
}

/* ---- discovery ------------------------------------------------------------ */

/* Natural order: "thermal_zone2" before "thermal_zone10". */
static int natcmp(const char *a, const char *b) {
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y) return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_names(const void *a, const void *b) {
    return natcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in root + rel starting with prefix, in natural order; *n 0 when
 * the folder is missing. The caller frees with free_names. */
static char **list_dir(teai_sensors *s, const char *rel, const char *prefix, int *n) {
    *n = 0;
    char *abs = join_root(s->root, rel);
    if (!abs) return NULL;
    DIR *d = opendir(abs);
    free(abs);
    if (!d) return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *e;
    size_t pl = strlen(prefix);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, pl) != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) break;
            v = nv;
        }
        v[*n] = strdup(e->d_name);
        if (!v[*n]) break;
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof *v, cmp_names);
    return v;
}

static void free_names(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* "intel-rapl:N" (sub -1) or "intel-rapl:N:M"; 0 when name is one. */
static int rapl_ids(const char *name, int *pkg, int *sub) {
    const char *p = name + strlen("intel-rapl:");
    char *end;
    if (!isdigit((unsigned char)*p)) return -1;
    *pkg = (int)strtol(p, &end, 10);
    *sub = -1;
    if (*end == '\0') return 0;
    if (*end != ':' || !isdigit((unsigned char)end[1])) return -1;
    *sub = (int)strtol(end + 1, &end, 10);
    return *end == '\0' ? 0 : -1;
}

static int find_rapl(teai_sensors *s) {
    const char *base = "/sys/class/powercap";
    int n = 0;
    char **names = list_dir(s, base, "intel-rapl:", &n);
    /* packages first, so a subdomain can name its package */
    char pkgname[64][64];
    for (int i = 0; i < 64; i++) pkgname[i][0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            int pkg = 0, sub = -1;
            if (rapl_ids(names[i], &pkg, &sub) != 0 || (sub < 0) != (pass == 0)) continue;
            char rel[512], dname[64] = "";
            putf(rel, sizeof rel, "%s/%s/name", base, names[i]);
            if (read_word(s, rel, dname, sizeof dname) != 0)
                putf(dname, sizeof dname, "%s", names[i]);
            char name[96];
            if (sub < 0) {
                if (pkg >= 0 && pkg < 64) putf(pkgname[pkg], sizeof pkgname[pkg], "%s", dname);
                putf(name, sizeof name, "rapl:%s", dname);
            } else {
                const char *parent =
                    pkg >= 0 && pkg < 64 && pkgname[pkg][0] ? pkgname[pkg] : "package";
                putf(name, sizeof name, "rapl:%s/%s", parent, dname);
            }
            putf(rel, sizeof rel, "%s/%s/energy_uj", base, names[i]);
            sensor *x = add(s, TEAI_SENSOR_ENERGY, name, rel, "J");
            if (!x) goto oom;
            x->is_package = sub < 0 && strncmp(dname, "package-", 8) == 0;
            char rrel[512];
            putf(rrel, sizeof rrel, "%s/%s/max_energy_range_uj", base, names[i]);
            sfile rf = {0};
            int64_t range = 0;
            char why[128];
            if (sfile_set(s, &rf, rrel) != 0 || sfile_set(s, &x->f, rel) != 0) {
                sfile_close(&rf);
                goto oom;
            }
            if (read_int(&rf, &range, why, sizeof why) == 0 && range > 0) {
                x->max_range = (uint64_t)range;
                putf(x->d.info, sizeof x->d.info, "wraps at %.0f J", (double)range / 1e6);
            }
            sfile_close(&rf);
            first_read(x);
        }
    }
    free_names(names, n);
    return 0;
oom:
    free_names(names, n);
    return -1;
}

/* hwmon: energyK_input, powerK_input or powerK_average, tempK_input, each
 * named "hwmon:NAME/LABEL". */
static int find_hwmon(teai_sensors *s) {
    const char *base = "/sys/class/hwmon";
    int n = 0;
    char **dirs = list_dir(s, base, "hwmon", &n);
    for (int i = 0; i < n; i++) {
        char rel[512], hname[64];
        putf(rel, sizeof rel, "%s/%s/name", base, dirs[i]);
        if (read_word(s, rel, hname, sizeof hname) != 0) putf(hname, sizeof hname, "%s", dirs[i]);
        putf(rel, sizeof rel, "%s/%s", base, dirs[i]);
        static const char *const pre[] = {"energy", "power", "temp"};
        for (int k = 0; k < 3; k++) {
            int m = 0;
            char **files = list_dir(s, rel, pre[k], &m);
            for (int j = 0; j < m; j++) {
                const char *f = files[j], *p = f + strlen(pre[k]);
                char *end;
                if (!isdigit((unsigned char)*p)) continue;
                long idx = strtol(p, &end, 10);
                int is_input = strcmp(end, "_input") == 0;
                int is_avg = k == 1 && strcmp(end, "_average") == 0;
                if (!is_input && !is_avg) continue;
                if (is_avg) { /* powerK_average only when there is no powerK_input */
                    char in[64];
                    putf(in, sizeof in, "power%ld_input", idx);
                    int dup = 0;
                    for (int q = 0; q < m; q++) dup |= strcmp(files[q], in) == 0;
                    if (dup) continue;
                }
                char lrel[600], label[64], name[96], frel[600];
                putf(lrel, sizeof lrel, "%s/%s%ld_label", rel, pre[k], idx);
                if (read_word(s, lrel, label, sizeof label) != 0)
                    putf(label, sizeof label, "%s%ld", pre[k], idx);
                putf(name, sizeof name, "hwmon:%s/%s", hname, label);
                putf(frel, sizeof frel, "%s/%s", rel, f);
                static const teai_sensor_kind kinds[] = {TEAI_SENSOR_ENERGY, TEAI_SENSOR_POWER,
                                                         TEAI_SENSOR_TEMP};
                static const char *const units[] = {"J", "W", "C"};
                sensor *x = add(s, kinds[k], name, frel, units[k]);
                if (!x || sfile_set(s, &x->f, frel) != 0) {
                    free_names(files, m);
                    free_names(dirs, n);
                    return -1;
                }
                first_read(x);
            }
            free_names(files, m);
        }
    }
    free_names(dirs, n);
    return 0;
}

static int find_batteries(teai_sensors *s) {
    const char *base = "/sys/class/power_supply";
    int n = 0;
    char **dirs = list_dir(s, base, "", &n);
    for (int i = 0; i < n; i++) {
        char rel[512], type[64], scope[64];
        putf(rel, sizeof rel, "%s/%s/type", base, dirs[i]);
        if (read_word(s, rel, type, sizeof type) != 0 || strcmp(type, "Battery") != 0) continue;
        /* a mouse's or a headset's battery is not the device's */
        putf(rel, sizeof rel, "%s/%s/scope", base, dirs[i]);
        if (read_word(s, rel, scope, sizeof scope) == 0 && strcmp(scope, "Device") == 0) continue;
        char name[96], pr[512], cr[512], vr[512], sr[512];
        putf(name, sizeof name, "battery:%s", dirs[i]);
        putf(pr, sizeof pr, "%s/%s/power_now", base, dirs[i]);
        putf(cr, sizeof cr, "%s/%s/current_now", base, dirs[i]);
        putf(vr, sizeof vr, "%s/%s/voltage_now", base, dirs[i]);
        putf(sr, sizeof sr, "%s/%s/status", base, dirs[i]);
        sensor *x = add(s, TEAI_SENSOR_BATTERY, name, pr, "W");
        if (!x || sfile_set(s, &x->bstatus, sr) != 0 || sfile_set(s, &x->bpower, pr) != 0 ||
            sfile_set(s, &x->bcurrent, cr) != 0 || sfile_set(s, &x->bvoltage, vr) != 0) {
            free_names(dirs, n);
            return -1;
        }
        if (!x->bpower.abs) putf(x->d.path, sizeof x->d.path, "%s", cr);
        first_read(x);
    }
    free_names(dirs, n);
    return 0;
}

static int find_thermal(teai_sensors *s) {
    const char *base = "/sys/class/thermal";
    int n = 0;
    char **dirs = list_dir(s, base, "thermal_zone", &n);
    for (int i = 0; i < n; i++) {
        char rel[512], type[64], name[96];
        putf(rel, sizeof rel, "%s/%s/type", base, dirs[i]);
        if (read_word(s, rel, type, sizeof type) != 0) putf(type, sizeof type, "%s", dirs[i]);
        putf(name, sizeof name, "thermal:%s", type);
        for (int j = 0; j < s->n; j++)
            if (strcmp(s->v[j].d.name, name) == 0) {
                putf(name, sizeof name, "thermal:%s@%s", type, dirs[i] + 8);
                break;
            }
        putf(rel, sizeof rel, "%s/%s/temp", base, dirs[i]);
        sensor *x = add(s, TEAI_SENSOR_TEMP, name, rel, "C");
        if (!x || sfile_set(s, &x->f, rel) != 0) {
            free_names(dirs, n);
            return -1;
        }
        first_read(x);
    }
    free_names(dirs, n);
    return 0;
}

/* cpufreq clocks and thermal_throttle counters of every cpuN. */
static int find_cpus(teai_sensors *s) {
    const char *base = "/sys/devices/system/cpu";
    int n = 0;
    char **dirs = list_dir(s, base, "cpu", &n);
    int seen_pkg[256] = {0};
    for (int i = 0; i < n; i++) {
        const char *c = dirs[i];
        char *end;
        if (!isdigit((unsigned char)c[3])) continue;
        (void)strtol(c + 3, &end, 10);
        if (*end) continue;
        char rel[512], name[96];
        putf(rel, sizeof rel, "%s/%s/cpufreq/scaling_cur_freq", base, c);
        sensor *x = NULL;
        sfile probe = {0};
        if (sfile_set(s, &probe, rel) != 0) goto oom;
        int exists = probe.abs != NULL;
        sfile_close(&probe);
        if (exists) {
            putf(name, sizeof name, "cpufreq:%s", c);
            x = add(s, TEAI_SENSOR_CLOCK, name, rel, "MHz");
            if (!x || sfile_set(s, &x->f, rel) != 0) goto oom;
            char grel[512];
            putf(grel, sizeof grel, "%s/%s/cpufreq/scaling_governor", base, c);
            if (read_word(s, grel, x->d.info, sizeof x->d.info) != 0) x->d.info[0] = '\0';
            first_read(x);
        }
        /* core counter per CPU; the package counter (the same in every CPU
         * of a package) once per package */
        int pkg = 0;
        char prel[512], word[32];
        putf(prel, sizeof prel, "%s/%s/topology/physical_package_id", base, c);
        if (read_word(s, prel, word, sizeof word) == 0) {
            char *pend;
            long v = strtol(word, &pend, 10);
            pkg = pend != word && *pend == '\0' && v >= 0 && v <= 255 ? (int)v : 0;
        }
        static const char *const which[] = {"core", "package"};
        for (int k = 0; k < 2; k++) {
            if (k == 1 && seen_pkg[pkg]) continue;
            putf(rel, sizeof rel, "%s/%s/thermal_throttle/%s_throttle_count", base, c, which[k]);
            sfile f = {0};
            if (sfile_set(s, &f, rel) != 0) goto oom;
            int ex = f.abs != NULL;
            sfile_close(&f);
            if (!ex) continue;
            if (k == 1) seen_pkg[pkg] = 1;
            putf(name, sizeof name, "throttle:%s/%s", c, which[k]);
            x = add(s, TEAI_SENSOR_THROTTLE, name, rel, "count");
            if (!x || sfile_set(s, &x->f, rel) != 0) goto oom;
            first_read(x);
        }
    }
    free_names(dirs, n);
    return 0;
oom:
    free_names(dirs, n);
    return -1;
}

static int find_load(teai_sensors *s) {
    static const char *const rel[] = {"/proc/stat", "/proc/pressure/cpu", "/proc/loadavg"};
    static const char *const name[] = {"proc:stat", "proc:pressure/cpu", "proc:loadavg"};
    static const char *const unit[] = {"%", "%", ""};
    int *idx[] = {&s->i_stat, &s->i_psi, &s->i_load};
    for (int k = 0; k < 3; k++) {
        *idx[k] = -1;
        sfile f = {0};
        if (sfile_set(s, &f, rel[k]) != 0) return -1;
        int ex = f.abs != NULL;
        sfile_close(&f);
        if (!ex) continue;
        sensor *x = add(s, TEAI_SENSOR_LOAD, name[k], rel[k], unit[k]);
        if (!x || sfile_set(s, &x->f, rel[k]) != 0) return -1;
        first_read(x);
        if (x->d.available) *idx[k] = s->n - 1;
    }
    return 0;
}

/* ---- the energy source, missing phrases, summary ---------------------------- */

static int src_add(teai_sensors *s, int i) {
    int *nv = realloc(s->src, (size_t)(s->n_src + 1) * sizeof *nv);
    if (!nv) return -1;
    s->src = nv;
    s->src[s->n_src++] = i;
    s->v[i].d.used = 1;
    size_t len = strlen(s->source);
    const char *nm = s->v[i].d.name;
    if (len == 0)
        putf(s->source, sizeof s->source, "%s", nm);
    else /* "rapl:package-0+package-0/dram": the kind prefix once */
        putf(s->source + len, sizeof s->source - len, "+%s",
             strchr(nm, ':') ? strchr(nm, ':') + 1 : nm);
    return 0;
}

static int contains_ci(const char *h, const char *needle) {
    size_t n = strlen(needle);
    for (; *h; h++)
        if (strncasecmp(h, needle, n) == 0) return 1;
    return 0;
}

static int choose_source(teai_sensors *s) {
    s->source_counter = -1;
    /* 1: RAPL packages, each with its dram */
    for (int i = 0; i < s->n; i++) {
        sensor *p = &s->v[i];
        if (p->d.kind != TEAI_SENSOR_ENERGY || !p->is_package || !p->d.available) continue;
        if (src_add(s, i) != 0) return -1;
        char pre[128];
        putf(pre, sizeof pre, "%s/", p->d.name);
        for (int j = 0; j < s->n; j++) {
            sensor *q = &s->v[j];
            size_t pl = strlen(pre);
            if (q->d.kind == TEAI_SENSOR_ENERGY && q->d.available &&
                strncmp(q->d.name, pre, pl) == 0 && strcmp(q->d.name + pl, "dram") == 0)
                if (src_add(s, j) != 0) return -1;
        }
    }
    if (s->n_src) {
        s->source_counter = 1;
        return 0;
    }
    /* 2: hwmon energy: the socket/package counters (amd_energy's Esocket*),
     * else the first one, so per-core counters are not added to them */
    int first = -1;
    for (int i = 0; i < s->n; i++) {
        sensor *p = &s->v[i];
        if (p->d.kind != TEAI_SENSOR_ENERGY || !p->d.available || strncmp(p->d.name, "hwmon:", 6))
            continue;
        if (first < 0) first = i;
        if (contains_ci(p->d.name, "socket") || contains_ci(p->d.name, "package"))
            if (src_add(s, i) != 0) return -1;
    }
    if (!s->n_src && first >= 0 && src_add(s, first) != 0) return -1;
    if (s->n_src) {
        s->source_counter = 1;
        return 0;
    }
    /* 3: a battery; 4: hwmon power */
    static const teai_sensor_kind kinds[] = {TEAI_SENSOR_BATTERY, TEAI_SENSOR_POWER};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < s->n; i++)
            if (s->v[i].d.kind == kinds[k] && s->v[i].d.available) {
                if (src_add(s, i) != 0) return -1;
                s->source_counter = 0;
                return 0;
            }
    return 0;
}

static void set_missing(teai_sensors *s) {
    static const char *const none[] = {
        "no /sys/class/powercap/intel-rapl:*, no hwmon energy*_input",
        "no hwmon power*_input or power*_average",
        "no battery in /sys/class/power_supply",
        "no /sys/class/thermal/thermal_zone*, no hwmon temp*_input",
        "no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq",
        "no /sys/devices/system/cpu/cpu*/thermal_throttle",
        "no /proc/stat, /proc/pressure/cpu or /proc/loadavg"};
    for (int k = 0; k < TEAI_SENSOR_N_KINDS; k++) {
        int found = 0, avail = 0, first = -1;
        for (int i = 0; i < s->n; i++)
            if ((int)s->v[i].d.kind == k) {
                found++;
                if (s->v[i].d.available) avail++;
                if (first < 0 && !s->v[i].d.available) first = i;
            }
        char *m = s->missing[k];
        size_t cap = sizeof s->missing[k];
        if (avail)
            m[0] = '\0';
        else if (!found)
            putf(m, cap, "%s", none[k]);
        else if (found == 1)
            putf(m, cap, "%s: %s", s->v[first].d.name, s->v[first].d.why);
        else
            putf(m, cap, "%s: %s (and %d more unreadable)", s->v[first].d.name, s->v[first].d.why,
                 found - 1);
    }
}

/* Appends to the summary, blanks in names as '_' so the line splits at spaces. */
static void sum_add(teai_sensors *s, const char *t) {
    size_t len = strlen(s->summary);
    for (; *t && len + 1 < sizeof s->summary; t++) s->summary[len++] = *t == ' ' ? '_' : *t;
    s->summary[len] = '\0';
}

static void set_summary(teai_sensors *s) {
    s->summary[0] = '\0';
    for (int k = 0; k < TEAI_SENSOR_N_KINDS; k++) {
        size_t len = strlen(s->summary);
        if (k && len + 1 < sizeof s->summary) memcpy(s->summary + len, " ", 2);
        sum_add(s, teai_sensor_kind_name((teai_sensor_kind)k));
        sum_add(s, "=");
        int shown = 0;
        if (k == TEAI_SENSOR_ENERGY) {
            sum_add(s, s->source[0] ? s->source : "none");
            continue;
        }
        if (k == TEAI_SENSOR_CLOCK || k == TEAI_SENSOR_THROTTLE) {
            int cnt = 0;
            char govs[128] = "";
            for (int i = 0; i < s->n; i++) {
                teai_sensor_desc *d = &s->v[i].d;
                if ((int)d->kind != k || !d->used) continue;
                cnt++;
                if (d->info[0] && !strstr(govs, d->info) &&
                    strlen(govs) + strlen(d->info) + 2 < sizeof govs) {
                    if (govs[0]) strcat(govs, "/");
                    strcat(govs, d->info);
                }
            }
            char t[192];
            if (!cnt)
                putf(t, sizeof t, "none");
            else if (k == TEAI_SENSOR_CLOCK)
                putf(t, sizeof t, govs[0] ? "cpufreq(%d,%s)" : "cpufreq(%d)", cnt, govs);
            else
                putf(t, sizeof t, "thermal_throttle(%d)", cnt);
            sum_add(s, t);
            continue;
        }
        for (int i = 0; i < s->n; i++) {
            teai_sensor_desc *d = &s->v[i].d;
            if ((int)d->kind != k || !d->available) continue;
            if (shown++) sum_add(s, ",");
            sum_add(s, d->name);
        }
        if (!shown) sum_add(s, "none");
    }
}

/* ---- open/close ------------------------------------------------------------ */

int teai_sensors_open(const char *root, teai_sensors **out, teai_error *err) {
    *out = NULL;
    teai_sensors *s = calloc(1, sizeof *s);
    if (!s) return teai__fail(err, TEAI_ENOMEM, "sensors: out of memory");
    s->root = strdup(root ? root : teai_sysfs_root());
    s->tck = sysconf(_SC_CLK_TCK);
    if (s->tck <= 0) s->tck = 100;
    if (!s->root || find_rapl(s) != 0 || find_hwmon(s) != 0 || find_batteries(s) != 0 ||
        find_thermal(s) != 0 || find_cpus(s) != 0 || find_load(s) != 0 || choose_source(s) != 0) {
        teai_sensors_close(s);
        return teai__fail(err, TEAI_ENOMEM, "sensors: out of memory");
    }
    set_missing(s);
    set_summary(s);
    *out = s;
    return TEAI_OK;
}

void teai_sensors_close(teai_sensors *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        sensor *x = &s->v[i];
        sfile_close(&x->f);
        sfile_close(&x->bstatus);
        sfile_close(&x->bpower);
        sfile_close(&x->bcurrent);
        sfile_close(&x->bvoltage);
    }
    free(s->v);
    free(s->src);
    free(s->root);
    free(s);
}

int teai_sensors_count(const teai_sensors *s) {
    return s ? s->n : 0;
}

const teai_sensor_desc *teai_sensors_get(const teai_sensors *s, int i) {
    return s && i >= 0 && i < s->n ? &s->v[i].d : NULL;
}

const char *teai_sensors_missing(const teai_sensors *s, teai_sensor_kind k) {
    return s && (unsigned)k < TEAI_SENSOR_N_KINDS ? s->missing[k] : "";
}

const char *teai_sensors_energy_source(const teai_sensors *s) {
    return s ? s->source : "";
}

int teai_sensors_energy_is_counter(const teai_sensors *s) {
    return s ? s->source_counter : -1;
}

const char *teai_sensors_summary(const teai_sensors *s) {
    return s ? s->summary : "";
}

/* ---- reading ----------------------------------------------------------------- */

/* CPU seconds of this process, its reaped children and its live descendants
 * (their /proc/PID/stat, which holds their own reaped children too), from
 * the real /proc. NAN when getrusage fails. */
static double self_cpu_s(long tck) {
    struct rusage a, b;
    if (getrusage(RUSAGE_SELF, &a) != 0 || getrusage(RUSAGE_CHILDREN, &b) != 0) return NAN;
#define TV(t) ((double)(t).tv_sec + 1e-6 * (double)(t).tv_usec)
    double sec = TV(a.ru_utime) + TV(a.ru_stime) + TV(b.ru_utime) + TV(b.ru_stime);
#undef TV
#if defined(__linux__)
    /* a queue of pids whose live children are still to be listed: this
     * process's threads first, then each child (its main thread) */
    enum { MAXQ = 1024 };
    int q[MAXQ], nq = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return sec;
    char buf[4096], why[64], path[96];
    uint64_t ticks = 0;
    struct dirent *e;
    int self = (int)getpid();
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        putf(path, sizeof path, "/proc/%d/task/%s/children", self, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0) continue;
        buf[r] = '\0';
        for (char *p = buf; *p && nq < MAXQ;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p) break;
            if (pid > 0) q[nq++] = (int)pid;
            p = end;
        }
    }
    closedir(d);
    for (int i = 0; i < nq; i++) {
        putf(path, sizeof path, "/proc/%d/stat", q[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        uint64_t t = 0;
        if (r <= 0 || teai__parse_pid_stat_cpu(buf, (size_t)r, &t, why, sizeof why) != 0) continue;
        ticks += t;
        /* its own live children */
        putf(path, sizeof path, "/proc/%d/task/%d/children", q[i], q[i]);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0) continue;
        buf[r] = '\0';
        for (char *p = buf; *p && nq < MAXQ;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p) break;
            if (pid > 0) q[nq++] = (int)pid;
            p = end;
        }
    }
    sec += (double)ticks / (double)tck;
#endif
    return sec;
}

void teai_sensors_read(teai_sensors *s, teai_sensor_reading *r) {
    char why[128], buf[4096];
    r->t_s = (double)teai__now_ns() / 1e9;
    r->energy_j = r->power_w = r->temp_c = r->clock_mhz = r->clock_mean_mhz = NAN;
    r->throttle_count = r->cpu_busy_s = r->cpu_total_s = r->self_cpu_s = NAN;
    r->psi_some_us = r->load1 = NAN;
    r->charging = -1;
    if (!s) return;

    /* the energy source */
    if (s->source_counter == 1) {
        double sum = 0;
        int ok = 1;
        for (int k = 0; k < s->n_src; k++) {
            sensor *x = &s->v[s->src[k]];
            uint64_t uj = 0;
            if (x->broken || read_energy_uj(x, &uj, why, sizeof why) != 0) {
                ok = 0;
                continue;
            }
            int64_t dlt = teai__counter_delta(x->last, uj, x->max_range);
            if (dlt < 0) { /* went back with no range known: the total is lost */
                x->broken = 1;
                ok = 0;
                continue;
            }
            x->acc_j += (double)dlt / 1e6;
            x->last = uj;
            sum += x->acc_j;
        }
        if (ok) r->energy_j = sum;
    } else if (s->source_counter == 0) {
        sensor *x = &s->v[s->src[0]];
        double w = NAN;
        if (x->d.kind == TEAI_SENSOR_POWER) {
            if (read_power_w(x, &w, why, sizeof why) == 0) r->power_w = w;
        } else {
            int ch = -1;
            if (read_battery(x, &ch, &w, why, sizeof why) == 0 && ch == 0) r->power_w = w;
        }
    }

    int n_clk = 0, thr_ok = 1, n_thr = 0, any_dis = 0, any_chg = 0;
    double clk_sum = 0, thr = 0;
    for (int i = 0; i < s->n; i++) {
        sensor *x = &s->v[i];
        if (!x->d.used) continue;
        double v = NAN;
        switch (x->d.kind) {
            case TEAI_SENSOR_TEMP:
                if (read_temp_c(x, &v, why, sizeof why) == 0 && !(v <= r->temp_c)) r->temp_c = v;
                break;
            case TEAI_SENSOR_CLOCK:
                if (read_clock_mhz(x, &v, why, sizeof why) == 0) {
                    n_clk++;
                    clk_sum += v;
                    if (!(v <= r->clock_mhz)) r->clock_mhz = v;
                }
                break;
            case TEAI_SENSOR_THROTTLE:
                n_thr++;
                if (read_count(x, &v, why, sizeof why) == 0)
                    thr += v;
                else
                    thr_ok = 0;
                break;
            case TEAI_SENSOR_BATTERY: {
                /* its status (the source's was read with its power above: one
                 * more small read, kept simple) */
                int ch = -1;
                char st[64];
                long n = sfile_read(&x->bstatus, buf, sizeof buf, why, sizeof why);
                if (n >= 0 &&
                    teai__sensor_parse_word(buf, (size_t)n, st, sizeof st, why, sizeof why) == 0)
                    ch = teai__battery_status(st);
                if (ch == 0) any_dis = 1;
                if (ch == 1) any_chg = 1;
                break;
            }
            default:
                break;
        }
    }
    if (n_clk) {
        r->clock_mean_mhz = clk_sum / n_clk;
    }
    if (n_thr && thr_ok) r->throttle_count = thr;
    r->charging = any_chg ? 1 : any_dis ? 0 : -1;

    /* load */
    if (s->i_stat >= 0) {
        long n = sfile_read(&s->v[s->i_stat].f, buf, sizeof buf, why, sizeof why);
        uint64_t busy = 0, total = 0;
        if (n >= 0 && teai__parse_proc_stat(buf, (size_t)n, &busy, &total, why, sizeof why) == 0) {
            r->cpu_busy_s = (double)busy / (double)s->tck;
            r->cpu_total_s = (double)total / (double)s->tck;
        }
    }
    if (s->i_psi >= 0) {
        long n = sfile_read(&s->v[s->i_psi].f, buf, sizeof buf, why, sizeof why);
        uint64_t tot = 0;
        double avg = 0;
        if (n >= 0 && teai__parse_psi(buf, (size_t)n, &tot, &avg, why, sizeof why) == 0)
            r->psi_some_us = (double)tot;
    }
    if (s->i_load >= 0) {
        long n = sfile_read(&s->v[s->i_load].f, buf, sizeof buf, why, sizeof why);
        double l = NAN;
        if (n >= 0 && teai__parse_loadavg(buf, (size_t)n, &l, why, sizeof why) == 0) r->load1 = l;
    }
    r->self_cpu_s = self_cpu_s(s->tck);
}

/* ---- energy over a window, other processes' share ---------------------------- */

/* Linear interpolation of field f at t between the readings with a finite
 * f that bracket t; NAN when none do. */
static double interp(const teai_sensor_reading *r, int n, double t, int counter) {
    int lo = -1, hi = -1;
    for (int i = 0; i < n; i++) {
        double v = counter ? r[i].energy_j : r[i].power_w;
        if (!isfinite(v)) {
            if (!counter && r[i].t_s >= t && lo >= 0 && r[lo].t_s < t) return NAN;
            continue;
        }
        if (r[i].t_s <= t) lo = i;
        if (r[i].t_s >= t) {
            hi = i;
            break;
        }
    }
    if (lo < 0 || hi < 0) return NAN;
    double vl = counter ? r[lo].energy_j : r[lo].power_w;
    double vh = counter ? r[hi].energy_j : r[hi].power_w;
    if (hi == lo || r[hi].t_s == r[lo].t_s) return vl;
    /* a power value NAN between lo and hi is a gap, not to be bridged */
    if (!counter)
        for (int i = lo + 1; i < hi; i++)
            if (!isfinite(r[i].power_w)) return NAN;
    double a = (t - r[lo].t_s) / (r[hi].t_s - r[lo].t_s);
    return vl + a * (vh - vl);
}

double teai_energy_between(const teai_sensor_reading *r, int n, double t0, double t1) {
    if (!r || n < 1 || !(t1 >= t0)) return NAN;
    int counter = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(r[i].energy_j)) counter = 1;
    if (counter) {
        double e0 = interp(r, n, t0, 1), e1 = interp(r, n, t1, 1);
        return isfinite(e0) && isfinite(e1) ? e1 - e0 : NAN;
    }
    /* power: trapezoids over t0, the readings strictly inside, t1 */
    double pt = t0, pv = interp(r, n, t0, 0), e = 0;
    if (!isfinite(pv)) return NAN;
    for (int i = 0; i < n; i++) {
        if (!(r[i].t_s > t0 && r[i].t_s < t1)) continue;
        if (!isfinite(r[i].power_w)) return NAN;
        e += 0.5 * (pv + r[i].power_w) * (r[i].t_s - pt);
        pt = r[i].t_s;
        pv = r[i].power_w;
    }
    double v1 = interp(r, n, t1, 0);
    if (!isfinite(v1)) return NAN;
    e += 0.5 * (pv + v1) * (t1 - pt);
    return e;
}

double teai_other_cpu_pct(const teai_sensor_reading *a, const teai_sensor_reading *b) {
    if (!a || !b) return NAN;
    double busy = b->cpu_busy_s - a->cpu_busy_s, total = b->cpu_total_s - a->cpu_total_s;
    double self = b->self_cpu_s - a->self_cpu_s;
    if (!isfinite(busy) || !isfinite(total) || !isfinite(self) || !(total > 0)) return NAN;
    double pct = 100.0 * (busy - self) / total;
    return pct > 0 ? pct : 0;
}
