/* The device's own sensors (docs/sensors.md): energy and power, temperature,
 * CPU clocks and throttling, battery state, and the background load of other
 * processes, read from the kernel's files.
 *
 * Every path is read under a root, $TEAI_SYSFS_ROOT (default "/"), so a test
 * can lay out the files of a phone, a laptop or a board. A file that is
 * missing, unreadable or holds garbage makes its sensor unavailable (said
 * so, with why), never a crash and never a made-up value: an unavailable
 * reading is NAN (or -1 for a flag).
 *
 * Also here: the machine's read bandwidth (the kernel of bench/membw.c),
 * cached per host, and the peak resident set of one repetition. */
#ifndef TEAI_SENSORS_H
#define TEAI_SENSORS_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* The root every sensor path is read under: $TEAI_SYSFS_ROOT when set and
 * not empty, else "/". */
const char *teai_sysfs_root(void);

typedef enum teai_sensor_kind {
    TEAI_SENSOR_ENERGY,   /* cumulative energy counter: RAPL powercap domain, hwmon energy*_input */
    TEAI_SENSOR_POWER,    /* instantaneous power: hwmon power*_input / power*_average */
    TEAI_SENSOR_BATTERY,  /* power_supply battery: power_now, or current_now x voltage_now */
    TEAI_SENSOR_TEMP,     /* thermal_zone*, hwmon temp*_input */
    TEAI_SENSOR_CLOCK,    /* cpufreq scaling_cur_freq of one CPU (and the governor) */
    TEAI_SENSOR_THROTTLE, /* x86 thermal_throttle core/package counters */
    TEAI_SENSOR_LOAD,     /* /proc/stat, /proc/pressure/cpu, /proc/loadavg */
    TEAI_SENSOR_N_KINDS
} teai_sensor_kind;

/* "energy", "power", "battery", "temperature", "clock", "throttle", "load". */
const char *teai_sensor_kind_name(teai_sensor_kind k);

/* One sensor found under the root. */
typedef struct teai_sensor_desc {
    teai_sensor_kind kind;
    char name[96];    /* "rapl:package-0", "rapl:package-0/dram", "hwmon:k10temp/Tctl",
                         "battery:BAT0", "thermal:x86_pkg_temp", "cpufreq:cpu0",
                         "throttle:cpu0/core", "proc:stat", "proc:pressure/cpu", ... */
    char path[512];   /* the file read, as under the root ("/sys/class/...") */
    int available;    /* 1: a valid value was read when the sensors were opened */
    double value;     /* that value in unit (energy: J of the counter; battery: W drawn,
                         NAN while charging); NAN when unavailable */
    const char *unit; /* "J", "W", "C", "MHz", "count", "%" */
    char why[128];    /* unavailable: "permission denied", "not a number: \"abc\"", ... */
    char info[64];    /* more about it, "" none: clock: the governor ("schedutil");
                         RAPL: the counter's range ("wraps at 262143 J") */
    int used;         /* 1: it feeds the readings (energy: it is, or is part of, the
                         energy source) */
} teai_sensor_desc;

typedef struct teai_sensors teai_sensors;

/* Finds the sensors under root (NULL: teai_sysfs_root()). Never fails for
 * missing sensors (a machine with none has none); TEAI_ENOMEM only. */
int teai_sensors_open(const char *root, teai_sensors **out, teai_error *err);
void teai_sensors_close(teai_sensors *s);

int teai_sensors_count(const teai_sensors *s);
const teai_sensor_desc *teai_sensors_get(const teai_sensors *s, int i);
/* When no sensor of kind k is available: why, in a phrase naming the places
 * looked ("no /sys/class/powercap/intel-rapl:*, no hwmon energy*_input"),
 * or, when some were found but none could be read, the first one's why
 * ("rapl:package-0: permission denied"); "" when one is available. */
const char *teai_sensors_missing(const teai_sensors *s, teai_sensor_kind k);

/* The source of the energy figures, chosen once at open, first of: the RAPL
 * package domains with their dram subdomains (summed), hwmon energy
 * counters, a battery, hwmon power. "rapl:package-0+package-0/dram",
 * "battery:BAT0", ...; "" when there is none. */
const char *teai_sensors_energy_source(const teai_sensors *s);
/* 1 when the energy source is a counter (energy_j below), 0 when it is a
 * power reading (power_w below), -1 when there is none. */
int teai_sensors_energy_is_counter(const teai_sensors *s);
/* One line for the log's header: every kind with what feeds it, or "none":
 * "energy=rapl:package-0 power=none battery=none temperature=thermal:x86_pkg_temp
 * clock=cpufreq(2) throttle=none load=proc:stat,proc:pressure/cpu,proc:loadavg" */
const char *teai_sensors_summary(const teai_sensors *s);

/* One reading of every sensor. Thread-safe against nothing: one thread reads
 * one teai_sensors at a time. */
typedef struct teai_sensor_reading {
    double t_s;            /* CLOCK_MONOTONIC seconds at the read (teai__now_ns) */
    double energy_j;       /* counter source: J since teai_sensors_open, wrap-arounds
                              (max_energy_range_uj) unwound; NAN otherwise or unreadable */
    double power_w;        /* power source: W drawn now, >= 0 (battery: NAN unless
                              discharging); NAN otherwise or unreadable */
    double temp_c;         /* hottest valid temperature, deg C; NAN none */
    double clock_mhz;      /* highest current clock over the CPUs, MHz; NAN none */
    double clock_mean_mhz; /* mean over the CPUs that report one; NAN none */
    double throttle_count; /* sum of the throttle counters; NAN none */
    int charging;          /* 1: a battery is charging or on external power (Charging,
                              Full, Not charging), 0: discharging, -1: no battery/unknown */
    double cpu_busy_s;     /* /proc/stat, all CPUs: busy time (user nice system irq softirq
                              steal), s; NAN unreadable */
    double cpu_total_s;    /* /proc/stat, all CPUs: busy + idle + iowait, s; NAN */
    double self_cpu_s;     /* CPU time of this process and its children (live ones
                              included: /proc/self/task/x/children), s, from the real
                              /proc (not under the root); NAN unknown */
    double psi_some_us;    /* /proc/pressure/cpu "some" total, us; NAN absent */
    double load1;          /* /proc/loadavg, 1-minute; NAN */
} teai_sensor_reading;

/* Reads every sensor into *r; never fails (what cannot be read is NAN/-1). */
void teai_sensors_read(teai_sensors *s, teai_sensor_reading *r);

/* Energy in J spent over [t0, t1] (seconds, as t_s) from n readings sorted
 * by time: for a counter source the difference of energy_j interpolated
 * linearly at t0 and t1; for a power source the integral of power_w by the
 * trapezoid rule over the readings inside [t0, t1], with power interpolated
 * at the ends. NAN when the readings do not cover [t0, t1] or a value needed
 * is NAN. */
double teai_energy_between(const teai_sensor_reading *r, int n, double t0, double t1);

/* Share, in percent of all CPUs' time, that processes other than this one
 * (and its children) took between readings a and b: (busy - self) / total,
 * clamped at 0; NAN when unknown. */
double teai_other_cpu_pct(const teai_sensor_reading *a, const teai_sensor_reading *b);

/* ---- read bandwidth ------------------------------------------------------ */

/* Read bandwidth with `threads` threads summing disjoint parts of a buffer
 * of mib MiB (much larger than the caches), `passes` times: the best and the
 * median pass, 1e9 bytes/s. TEAI_ENOMEM, TEAI_EINVAL (threads < 1, mib < 1,
 * passes < 1). */
int teai_membw_measure(int threads, size_t mib, int passes, double *best_gb_s, double *median_gb_s,
                       teai_error *err);

/* The measured read bandwidth (best GB/s) of this host at `threads` threads,
 * from the host cache ($XDG_CACHE_HOME/teai/hosts/<hostname>.<machine>, else
 * ~/.cache/teai/hosts/), measured and stored there when missing, when the
 * cached entry was measured on another CPU or RAM size, or with force. The
 * cache file is written atomically; an unreadable or corrupt one is measured
 * anew. *measured is set to 1 when it measured now. A cache that cannot be
 * written is an error (TEAI_EIO naming the file), with *gb_s set all the
 * same. */
int teai_membw_cached(int threads, int force, double *gb_s, int *measured, teai_error *err);

/* ---- memory -------------------------------------------------------------- */

/* Resets the kernel's peak resident set of this process (VmHWM, by writing 5
 * to /proc/self/clear_refs), so teai_peak_rss_since_reset gives one
 * repetition's peak. 0, or -1 where the kernel cannot. */
int teai_peak_rss_reset(void);
/* VmHWM of /proc/self/status in bytes (the peak since the last reset); 0
 * unknown. */
uint64_t teai_peak_rss_since_reset(void);

#endif
