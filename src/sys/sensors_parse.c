/* The pure parsers of sensor files (sensors_impl.h): bytes in, a value or a
 * phrase saying what is wrong out. No file access, no allocation; every
 * scan is bounded by n, so any bytes are safe input. */
#include "sensors_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t cap, const char *msg) {
    if (why && cap) snprintf(why, cap, "%s", msg);
    return -1;
}

static int is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A quoted excerpt of s[0..n) for a message: printable ASCII kept, other
 * bytes as '?', cut at 24 characters. */
static void excerpt(const char *s, size_t n, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < 24; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    if (n > 24 && k + 4 < cap) {
        out[k++] = '.';
        out[k++] = '.';
        out[k++] = '.';
    }
    out[k] = '\0';
}

/* Unsigned decimal at s[*i..n): at most 18 digits; 0 ok, -1 no digit, -2 too long. */
static int scan_u64(const char *s, size_t n, size_t *i, uint64_t *v) {
    size_t j = *i, d = 0;
    uint64_t x = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9') {
        if (++d > 18) return -2;
        x = x * 10 + (uint64_t)(s[j] - '0');
        j++;
    }
    if (d == 0) return -1;
    *i = j;
    *v = x;
    return 0;
}

/* Decimal number with an optional fraction ("0.52", "12"), no sign. */
static int scan_decimal(const char *s, size_t n, size_t *i, double *v) {
    uint64_t ip = 0;
    if (scan_u64(s, n, i, &ip) != 0) return -1;
    double x = (double)ip;
    if (*i < n && s[*i] == '.') {
        size_t j = *i + 1;
        double scale = 0.1;
        int d = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9' && d < 18) {
            x += scale * (s[j] - '0');
            scale *= 0.1;
            j++;
            d++;
        }
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        *i = j;
    }
    *v = x;
    return 0;
}

int teai__sensor_parse_int(const char *s, size_t n, int64_t *v, char *why, size_t why_cap) {
    size_t a = 0, b = n;
    while (a < b && is_blank(s[a])) a++;
    while (b > a && is_blank(s[b - 1])) b--;
    if (a == b) return fail(why, why_cap, "empty");
    size_t i = a;
    int neg = 0;
    if (s[i] == '-' || s[i] == '+') neg = s[i++] == '-';
    uint64_t x = 0;
    int rc = scan_u64(s, b, &i, &x);
    if (rc == -2) return fail(why, why_cap, "number too large");
    if (rc != 0 || i != b) {
        char ex[40];
        excerpt(s + a, b - a, ex, sizeof ex);
        if (why && why_cap) snprintf(why, why_cap, "not a number: \"%s\"", ex);
        return -1;
    }
    *v = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

int teai__sensor_parse_word(const char *s, size_t n, char *out, size_t cap, char *why,
                            size_t why_cap) {
    size_t a = 0, b = 0;
    while (b < n && s[b] != '\n') b++;
    while (a < b && is_blank(s[a])) a++;
    while (b > a && is_blank(s[b - 1])) b--;
    if (a == b) return fail(why, why_cap, "empty");
    for (size_t i = a; i < b; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return fail(why, why_cap, "not text");
    if (b - a >= cap) return fail(why, why_cap, "too long");
    memcpy(out, s + a, b - a);
    out[b - a] = '\0';
    return 0;
}

int teai__sensor_parse_millic(const char *s, size_t n, double *c, char *why, size_t why_cap) {
    int64_t mc = 0;
    if (teai__sensor_parse_int(s, n, &mc, why, why_cap) != 0) return -1;
    if (mc < -40000 || mc > 150000) {
        if (why && why_cap)
            snprintf(why, why_cap, "out of range: %.1f C (valid -40..150)", (double)mc / 1000.0);
        return -1;
    }
    *c = (double)mc / 1000.0;
    return 0;
}

int teai__battery_status(const char *status) {
    if (strcmp(status, "Discharging") == 0) return 0;
    if (strcmp(status, "Charging") == 0 || strcmp(status, "Full") == 0 ||
        strcmp(status, "Not charging") == 0)
        return 1;
    return -1;
}

int teai__battery_power_w(const teai__battery_raw *b, double *w, char *why, size_t why_cap) {
    if (b->status == 1) return fail(why, why_cap, "charging or on external power");
    if (b->status != 0) return fail(why, why_cap, "status not Discharging");
    double p;
    if (b->have_power) {
        p = fabs((double)b->power_uw) / 1e6;
    } else if (b->have_current && b->have_voltage) {
        if (b->voltage_uv < 1000000 || b->voltage_uv > 100000000) {
            if (why && why_cap)
                snprintf(why, why_cap, "voltage_now %lld not in uV (1..100 V)",
                         (long long)b->voltage_uv);
            return -1;
        }
        p = fabs((double)b->current_ua) * (double)b->voltage_uv / 1e12;
    } else {
        return fail(why, why_cap, "no power_now, no current_now x voltage_now");
    }
    if (!(p <= 1000.0)) {
        if (why && why_cap) snprintf(why, why_cap, "out of range: %.0f W", p);
        return -1;
    }
    *w = p;
    return 0;
}

int64_t teai__counter_delta(uint64_t prev, uint64_t cur, uint64_t max_range) {
    if (max_range && (prev > max_range || cur > max_range)) return -1;
    uint64_t d;
    if (cur >= prev)
        d = cur - prev;
    else if (max_range)
        d = max_range - prev + cur;
    else
        return -1;
    return d > (uint64_t)INT64_MAX ? -1 : (int64_t)d;
}

/* Blanks at s[*i..n) (spaces and tabs only). */
static void skip_sp(const char *s, size_t n, size_t *i) {
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t')) (*i)++;
}

int teai__parse_proc_stat(const char *s, size_t n, uint64_t *busy, uint64_t *total, char *why,
                          size_t why_cap) {
    if (n < 4 || memcmp(s, "cpu ", 4) != 0) return fail(why, why_cap, "no \"cpu \" line first");
    size_t i = 4;
    uint64_t f[8] = {0};
    int k = 0;
    for (; k < 8; k++) {
        skip_sp(s, n, &i);
        if (i >= n || s[i] == '\n') break;
        if (scan_u64(s, n, &i, &f[k]) != 0) return fail(why, why_cap, "bad \"cpu \" line");
    }
    if (k < 4) return fail(why, why_cap, "\"cpu \" line too short");
    /* user nice system idle iowait irq softirq steal */
    uint64_t b = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    *busy = b;
    *total = b + f[3] + f[4];
    return 0;
}

int teai__parse_psi(const char *s, size_t n, uint64_t *some_total_us, double *avg10, char *why,
                    size_t why_cap) {
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        if (e - i >= 5 && memcmp(s + i, "some ", 5) == 0) {
            int have_total = 0, have_avg = 0;
            size_t j = i + 5;
            while (j < e) {
                skip_sp(s, e, &j);
                if (e - j >= 6 && memcmp(s + j, "avg10=", 6) == 0) {
                    j += 6;
                    if (scan_decimal(s, e, &j, avg10) != 0) break;
                    have_avg = 1;
                } else if (e - j >= 6 && memcmp(s + j, "total=", 6) == 0) {
                    j += 6;
                    if (scan_u64(s, e, &j, some_total_us) != 0) break;
                    have_total = 1;
                } else {
                    while (j < e && s[j] != ' ') j++;
                }
            }
            if (have_total && have_avg) return 0;
            return fail(why, why_cap, "bad \"some\" line");
        }
        i = e + 1;
    }
    return fail(why, why_cap, "no \"some\" line");
}

int teai__parse_loadavg(const char *s, size_t n, double *load1, char *why, size_t why_cap) {
    size_t i = 0;
    skip_sp(s, n, &i);
    if (scan_decimal(s, n, &i, load1) != 0 || (i < n && s[i] != ' '))
        return fail(why, why_cap, "not a load average");
    return 0;
}

int teai__parse_pid_stat_cpu(const char *s, size_t n, uint64_t *ticks, char *why, size_t why_cap) {
    size_t close = n;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == ')') {
            close = i - 1;
            break;
        }
    if (close == n) return fail(why, why_cap, "no command name");
    /* after ')': state (field 3), then fields 4..; utime stime cutime
     * cstime are 14..17 */
    size_t i = close + 1;
    uint64_t sum = 0;
    for (int field = 3; field <= 17; field++) {
        skip_sp(s, n, &i);
        if (i >= n) return fail(why, why_cap, "too few fields");
        if (field >= 14) {
            uint64_t t = 0;
            if (scan_u64(s, n, &i, &t) != 0) return fail(why, why_cap, "bad cpu time field");
            sum += t;
        } else {
            while (i < n && s[i] != ' ') i++;
        }
    }
    *ticks = sum;
    return 0;
}

int teai__parse_vmhwm_kb(const char *s, size_t n, uint64_t *kb, char *why, size_t why_cap) {
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        if (e - i > 6 && memcmp(s + i, "VmHWM:", 6) == 0) {
            size_t j = i + 6;
            skip_sp(s, e, &j);
            if (scan_u64(s, e, &j, kb) != 0) return fail(why, why_cap, "bad VmHWM line");
            return 0;
        }
        i = e + 1;
    }
    return fail(why, why_cap, "no VmHWM line");
}
