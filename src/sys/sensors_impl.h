/* Private to src/sys: the pure parsers behind sensors.h (sensors_parse.c)
 * and the host cache of measured bandwidth (hostcache.c). They take the
 * bytes of a file, never a path, so tests and tests/fuzz/fuzz_sensor_file.c
 * can drive them on any input. A parser that fails returns -1 and writes a
 * short phrase into why (why_cap bytes), e.g. "not a number: \"abc\"". */
#ifndef TEAI_SENSORS_IMPL_H
#define TEAI_SENSORS_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* The whole of s[0..n) as one decimal integer, blanks around it allowed
 * ("42\n", "-1250000"). Fails on empty text, anything else in it, or more
 * than 18 digits ("number too large"). */
int teai__sensor_parse_int(const char *s, size_t n, int64_t *v, char *why, size_t why_cap);

/* The first line of s[0..n), trimmed, into out (cap bytes): printable ASCII
 * only ("Discharging", "schedutil", "package-0", "Package id 0"). Fails on
 * an empty line, other bytes ("not text") or one longer than cap - 1. */
int teai__sensor_parse_word(const char *s, size_t n, char *out, size_t cap, char *why,
                            size_t why_cap);

/* Temperature file content in milli-degrees C to degrees C, -40..150 C
 * ("out of range: 200.0 C (valid -40..150)" otherwise). */
int teai__sensor_parse_millic(const char *s, size_t n, double *c, char *why, size_t why_cap);

/* What a power_supply status says of the battery: 0 discharging, 1 charging
 * or on external power ("Charging", "Full", "Not charging"), -1 unknown
 * ("Unknown", anything else). */
int teai__battery_status(const char *status);

/* The raw readings of one battery; have_* is 0 for a file that is missing or
 * unreadable. Units are the kernel's: uW, uA, uV. */
typedef struct teai__battery_raw {
    int status; /* teai__battery_status */
    int have_power, have_current, have_voltage;
    int64_t power_uw, current_ua, voltage_uv;
} teai__battery_raw;

/* W drawn from the battery: |power_now|, else |current_now| x voltage_now
 * (some phones report the current negative while discharging; the sign is
 * ignored since status says the direction). -1 with why when charging or on
 * external power ("charging"), status unknown, a file is missing, the voltage
 * is not plausibly in uV (1..100 V) or the result is not plausible (over
 * 1000 W). */
int teai__battery_power_w(const teai__battery_raw *b, double *w, char *why, size_t why_cap);

/* The energy a counter gained from prev to cur, in its unit (uJ): cur - prev,
 * or past a wrap (cur < prev) max_range - prev + cur, the counter having
 * wrapped once at max_range (RAPL's max_energy_range_uj). -1 when the counter
 * went back with no range known (max_range 0), or a value is past the range. */
int64_t teai__counter_delta(uint64_t prev, uint64_t cur, uint64_t max_range);

/* /proc/stat's first "cpu " line: busy (user nice system irq softirq steal)
 * and total (busy + idle + iowait) in clock ticks. guest and guest_nice are
 * already inside user and nice. */
int teai__parse_proc_stat(const char *s, size_t n, uint64_t *busy, uint64_t *total, char *why,
                          size_t why_cap);

/* /proc/pressure/cpu: the "some" line's total (us) and avg10 (%). */
int teai__parse_psi(const char *s, size_t n, uint64_t *some_total_us, double *avg10, char *why,
                    size_t why_cap);

/* /proc/loadavg: the 1-minute load. */
int teai__parse_loadavg(const char *s, size_t n, double *load1, char *why, size_t why_cap);

/* /proc/PID/stat: utime + stime + cutime + cstime (fields 14..17: the
 * process and its reaped children) in clock ticks; the command name may
 * hold spaces and parentheses (the last ')' ends it). */
int teai__parse_pid_stat_cpu(const char *s, size_t n, uint64_t *ticks, char *why, size_t why_cap);

/* /proc/self/status: VmHWM in kB. */
int teai__parse_vmhwm_kb(const char *s, size_t n, uint64_t *kb, char *why, size_t why_cap);

/* ---- the host cache (hostcache.c) ---------------------------------------
 * One text file per host name under $XDG_CACHE_HOME/teai/hosts/, lines
 * "key value" (docs/sensors.md):
 *   teai-hostcache 1
 *   cpu <model>
 *   n_cpus <n>
 *   ram_bytes <n>
 *   membw <threads> <best GB/s> <median GB/s> <MiB> <passes> <seconds> <unix time>
 * Unknown keys are skipped (newer writers); a bad line fails the whole file. */
#define TEAI__HOSTCACHE_MAX 512

typedef struct teai__membw_entry {
    int threads;
    double best_gb_s, median_gb_s;
    int mib, passes;
    double seconds;   /* wall time of the measurement */
    int64_t measured; /* unix time */
    double other_pct; /* other processes' share of the CPUs during it, %; NAN unknown */
} teai__membw_entry;

typedef struct teai__hostcache {
    char cpu[256];
    int n_cpus;
    uint64_t ram_bytes;
    int n;
    teai__membw_entry e[TEAI__HOSTCACHE_MAX]; /* sorted by threads, distinct */
} teai__hostcache;

int teai__hostcache_parse(const char *s, size_t n, teai__hostcache *c, char *why, size_t why_cap);
/* Writes c into out (NUL-terminated); -1 when it does not fit. */
int teai__hostcache_format(const teai__hostcache *c, char *out, size_t cap);
/* Adds or replaces the entry of e->threads; -1 when full. */
int teai__hostcache_put(teai__hostcache *c, const teai__membw_entry *e);
const teai__membw_entry *teai__hostcache_get(const teai__hostcache *c, int threads);

#endif
