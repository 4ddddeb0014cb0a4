/* The host cache's text format (sensors_impl.h, docs/sensors.md): parsed
 * line by line from untrusted bytes, written back in one piece. */
#include "sensors_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "teai-hostcache 1"

static int failf(char *why, size_t cap, int line, const char *msg) {
    if (why && cap) snprintf(why, cap, "line %d: %s", line, msg);
    return -1;
}

/* Splits line[0..n) (no '\n') into at most max fields at spaces, each
 * copied NUL-terminated into f[k] (cap bytes); returns the count, -1 when a
 * field is too long or there are more fields. */
static int split(const char *line, size_t n, char f[][64], int max) {
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && line[i] == ' ') i++;
        if (i >= n) break;
        size_t a = i;
        while (i < n && line[i] != ' ') i++;
        if (k == max || i - a >= 64) return -1;
        memcpy(f[k], line + a, i - a);
        f[k][i - a] = '\0';
        k++;
    }
    return k;
}

static int to_int(const char *s, long long lo, long long hi, long long *v) {
    char *end = NULL;
    if (!s[0] || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-')) return -1;
    long long x = strtoll(s, &end, 10);
    if (*end || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

static int to_pos_double(const char *s, double *v) {
    char *end = NULL;
    if (!s[0] || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.')) return -1;
    double x = strtod(s, &end);
    if (*end || !isfinite(x) || x <= 0 || x > 1e9) return -1;
    *v = x;
    return 0;
}

const teai__membw_entry *teai__hostcache_get(const teai__hostcache *c, int threads) {
    for (int i = 0; i < c->n; i++)
        if (c->e[i].threads == threads) return &c->e[i];
    return NULL;
}

int teai__hostcache_put(teai__hostcache *c, const teai__membw_entry *e) {
    int i = 0;
    while (i < c->n && c->e[i].threads < e->threads) i++;
    if (i < c->n && c->e[i].threads == e->threads) {
        c->e[i] = *e;
        return 0;
    }
    if (c->n == TEAI__HOSTCACHE_MAX) return -1;
    memmove(&c->e[i + 1], &c->e[i], (size_t)(c->n - i) * sizeof c->e[0]);
    c->e[i] = *e;
    c->n++;
    return 0;
}

int teai__hostcache_parse(const char *s, size_t n, teai__hostcache *c, char *why, size_t why_cap) {
    memset(c, 0, sizeof *c);
    c->n_cpus = -1;
    int have_ram = 0, line = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        const char *l = s + i;
        size_t len = e - i;
        i = e + 1;
        line++;
        for (size_t k = 0; k < len; k++)
            if ((unsigned char)l[k] < 0x20 || l[k] == 0x7f)
                return failf(why, why_cap, line, "control character");
        if (line == 1) {
            if (len != strlen(MAGIC) || memcmp(l, MAGIC, len) != 0)
                return failf(why, why_cap, line, "not \"" MAGIC "\"");
            continue;
        }
        if (len == 0) continue;
        if (len > 4 && memcmp(l, "cpu ", 4) == 0) {
            if (len - 4 >= sizeof c->cpu) return failf(why, why_cap, line, "cpu too long");
            memcpy(c->cpu, l + 4, len - 4);
            c->cpu[len - 4] = '\0';
            continue;
        }
        char f[9][64];
        int nf = split(l, len, f, 9);
        if (nf < 1) return failf(why, why_cap, line, "bad line");
        long long v = 0;
        if (strcmp(f[0], "n_cpus") == 0) {
            if (nf != 2 || to_int(f[1], 1, 1 << 20, &v) != 0)
                return failf(why, why_cap, line, "bad n_cpus");
            c->n_cpus = (int)v;
        } else if (strcmp(f[0], "ram_bytes") == 0) {
            if (nf != 2 || to_int(f[1], 0, INT64_MAX, &v) != 0)
                return failf(why, why_cap, line, "bad ram_bytes");
            c->ram_bytes = (uint64_t)v;
            have_ram = 1;
        } else if (strcmp(f[0], "membw") == 0) {
            teai__membw_entry m = {0};
            long long t = 0, mib = 0, passes = 0, when = 0;
            /* the ninth field, other processes' share during the
             * measurement, came later: "-" or absent is unknown */
            m.other_pct = NAN;
            if (nf == 9 && strcmp(f[8], "-") != 0) {
                char *end;
                double o = strtod(f[8], &end);
                if (end == f[8] || *end || !(o >= 0 && o <= 100))
                    return failf(why, why_cap, line, "bad membw line");
                m.other_pct = o;
            }
            if ((nf != 8 && nf != 9) || to_int(f[1], 1, 1 << 20, &t) != 0 ||
                to_pos_double(f[2], &m.best_gb_s) != 0 ||
                to_pos_double(f[3], &m.median_gb_s) != 0 || to_int(f[4], 1, 1 << 30, &mib) != 0 ||
                to_int(f[5], 1, 1 << 20, &passes) != 0 || to_pos_double(f[6], &m.seconds) != 0 ||
                to_int(f[7], 0, INT64_MAX, &when) != 0)
                return failf(why, why_cap, line, "bad membw line");
            if (m.median_gb_s > m.best_gb_s) return failf(why, why_cap, line, "median above best");
            m.threads = (int)t;
            m.mib = (int)mib;
            m.passes = (int)passes;
            m.measured = when;
            if (teai__hostcache_put(c, &m) != 0)
                return failf(why, why_cap, line, "too many membw lines");
        }
        /* other keys: from a newer writer, skipped */
    }
    if (line == 0) return failf(why, why_cap, 1, "empty");
    if (!c->cpu[0] || c->n_cpus < 1 || !have_ram)
        return failf(why, why_cap, line, "cpu, n_cpus or ram_bytes missing");
    return 0;
}

int teai__hostcache_format(const teai__hostcache *c, char *out, size_t cap) {
    size_t k = 0;
    int w = snprintf(out, cap, MAGIC "\ncpu ");
    if (w < 0 || (size_t)w >= cap) return -1;
    k = (size_t)w;
    for (const char *p = c->cpu; *p && k + 1 < cap; p++)
        out[k++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
    if (k + 1 >= cap) return -1;
    out[k] = '\0';
    w = snprintf(out + k, cap - k, "\nn_cpus %d\nram_bytes %" PRIu64 "\n", c->n_cpus, c->ram_bytes);
    if (w < 0 || (size_t)w >= cap - k) return -1;
    k += (size_t)w;
    for (int i = 0; i < c->n; i++) {
        const teai__membw_entry *m = &c->e[i];
        char other[32] = "-";
        if (m->other_pct >= 0 && m->other_pct <= 100)
            snprintf(other, sizeof other, "%.4g", m->other_pct);
        w = snprintf(out + k, cap - k, "membw %d %.6g %.6g %d %d %.6g %lld %s\n", m->threads,
                     m->best_gb_s, m->median_gb_s, m->mib, m->passes, m->seconds,
                     (long long)m->measured, other);
        if (w < 0 || (size_t)w >= cap - k) return -1;
        k += (size_t)w;
    }
    return 0;
}
