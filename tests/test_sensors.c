/* The device's sensors (src/sys/sensors.h): fake sysfs trees laid out under
 * $TEAI_TEST_TMP (a phone battery, a RAPL laptop with a counter wrap, a
 * board with thermal zones, clocks and throttle counters, a machine with
 * nothing, garbage in every file, files vanishing between reads), expected
 * values worked out by hand; the energy over a window; the real machine's
 * /proc and background load with a competing busy process; read bandwidth
 * and its host cache; the peak resident set; the parsers. */
#include "base/base.h"
#include "sys/sensors.h"
#include "sys/sensors_impl.h"
#include "test_util.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Writes root/rel with content (n bytes; -1: strlen), making its folders. */
static void put(const char *root, const char *rel, const char *content, long n) {
    char path[1024], dir[1024];
    snprintf(path, sizeof path, "%s%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    teai_error err = {0};
    if (teai__mkdirs(dir, &err) != TEAI_OK) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    size_t len = n < 0 ? strlen(content) : (size_t)n;
    if (len && fwrite(content, 1, len, f) != len) abort();
    fclose(f);
}

static void rm(const char *root, const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s", root, rel);
    unlink(path);
}

static const char *fresh_root(char *buf, size_t cap, const char *name) {
    test_tmp_path(buf, cap, name);
    test_system("rm -rf '%s'", buf);
    teai_error err = {0};
    if (teai__mkdirs(buf, &err) != TEAI_OK) abort();
    return buf;
}

/* The desc named name, NULL when none. */
static const teai_sensor_desc *find(const teai_sensors *s, const char *name) {
    for (int i = 0; i < teai_sensors_count(s); i++)
        if (strcmp(teai_sensors_get(s, i)->name, name) == 0) return teai_sensors_get(s, i);
    return NULL;
}

#define PS "/sys/class/power_supply/"

/* (a) A phone: discharging with the current negative in uA, voltage in uV. */
static void test_phone_battery(void) {
    char root[512];
    fresh_root(root, sizeof root, "phone");
    put(root, PS "battery/type", "Battery\n", -1);
    put(root, PS "battery/status", "Discharging\n", -1);
    put(root, PS "battery/current_now", "-1250000\n", -1); /* -1.25 A */
    put(root, PS "battery/voltage_now", "3850000\n", -1);  /* 3.85 V */
    put(root, PS "usb/type", "USB\n", -1);                 /* not a battery */
    put(root, PS "usb/online", "1\n", -1);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    ASSERT_STREQ(teai_sensors_energy_source(s), "battery:battery");
    ASSERT_EQ(teai_sensors_energy_is_counter(s), 0);
    const teai_sensor_desc *d = find(s, "battery:battery");
    ASSERT_TRUE(d && d->available && d->used);
    ASSERT_TRUE(find(s, "battery:usb") == NULL);
    /* 1.25 A x 3.85 V = 4.8125 W, the sign of the current ignored */
    ASSERT_NEAR(d->value, 4.8125, 1e-9);
    teai_sensor_reading r[3];
    teai_sensors_read(s, &r[0]);
    ASSERT_NEAR(r[0].power_w, 4.8125, 1e-9);
    ASSERT_EQ(r[0].charging, 0);
    ASSERT_TRUE(isnan(r[0].energy_j));
    ASSERT_TRUE(strstr(teai_sensors_summary(s), "battery=battery:battery") != NULL);
    put(root, PS "battery/current_now", "-2000000\n", -1); /* 2 A x 3.85 V = 7.7 W */
    teai_sensors_read(s, &r[1]);
    ASSERT_NEAR(r[1].power_w, 7.7, 1e-9);
    /* energy by the trapezoid between the two readings */
    ASSERT_NEAR(teai_energy_between(r, 2, r[0].t_s, r[1].t_s),
                0.5 * (4.8125 + 7.7) * (r[1].t_s - r[0].t_s), 1e-9);
    /* plugged in: not the device's draw */
    put(root, PS "battery/status", "Charging\n", -1);
    teai_sensors_read(s, &r[2]);
    ASSERT_TRUE(isnan(r[2].power_w));
    ASSERT_EQ(r[2].charging, 1);
    ASSERT_TRUE(isnan(teai_energy_between(r, 3, r[0].t_s, r[2].t_s)));
    teai_sensors_close(s);

    /* power_now (uW) wins over current x voltage; Full is on external power */
    put(root, PS "battery/status", "Discharging\n", -1);
    put(root, PS "battery/power_now", "-6500000\n", -1);
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    teai_sensors_read(s, &r[0]);
    ASSERT_NEAR(r[0].power_w, 6.5, 1e-9);
    put(root, PS "battery/status", "Full\n", -1);
    teai_sensors_read(s, &r[0]);
    ASSERT_EQ(r[0].charging, 1);
    ASSERT_TRUE(isnan(r[0].power_w));
    teai_sensors_close(s);

    /* charging at open: found, flagged, no power */
    put(root, PS "battery/status", "Charging\n", -1);
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    d = find(s, "battery:battery");
    ASSERT_TRUE(d && d->available && isnan(d->value) && strstr(d->why, "Charging"));
    teai_sensors_close(s);
}

#define RAPL "/sys/class/powercap/"

/* (b) A laptop: package-0 with core and dram subdomains, psys beside; the
 * package counter wraps between two reads. */
static void test_rapl_laptop(void) {
    char root[512];
    fresh_root(root, sizeof root, "laptop");
    put(root, RAPL "intel-rapl/enabled", "1\n", -1); /* the control type, not a domain */
    put(root, RAPL "intel-rapl:0/name", "package-0\n", -1);
    put(root, RAPL "intel-rapl:0/max_energy_range_uj", "262143328850\n", -1);
    put(root, RAPL "intel-rapl:0/energy_uj", "262142000000\n", -1);
    put(root, RAPL "intel-rapl:0:0/name", "core\n", -1);
    put(root, RAPL "intel-rapl:0:0/max_energy_range_uj", "262143328850\n", -1);
    put(root, RAPL "intel-rapl:0:0/energy_uj", "100\n", -1);
    put(root, RAPL "intel-rapl:0:1/name", "dram\n", -1);
    put(root, RAPL "intel-rapl:0:1/max_energy_range_uj", "65712999613\n", -1);
    put(root, RAPL "intel-rapl:0:1/energy_uj", "1000000\n", -1);
    put(root, RAPL "intel-rapl:1/name", "psys\n", -1);
    put(root, RAPL "intel-rapl:1/max_energy_range_uj", "262143328850\n", -1);
    put(root, RAPL "intel-rapl:1/energy_uj", "5\n", -1);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    ASSERT_STREQ(teai_sensors_energy_source(s), "rapl:package-0+package-0/dram");
    ASSERT_EQ(teai_sensors_energy_is_counter(s), 1);
    const teai_sensor_desc *core = find(s, "rapl:package-0/core");
    const teai_sensor_desc *psys = find(s, "rapl:psys");
    const teai_sensor_desc *pkg = find(s, "rapl:package-0");
    ASSERT_TRUE(core && core->available && !core->used);
    ASSERT_TRUE(psys && psys->available && !psys->used);
    ASSERT_TRUE(pkg && pkg->used && strstr(pkg->info, "262143 J"));
    ASSERT_NEAR(pkg->value, 262142.0, 1e-6);
    ASSERT_STREQ(teai_sensors_missing(s, TEAI_SENSOR_ENERGY), "");
    teai_sensor_reading r[3];
    teai_sensors_read(s, &r[0]);
    ASSERT_NEAR(r[0].energy_j, 0.0, 1e-9); /* J since open */
    ASSERT_TRUE(isnan(r[0].power_w));
    /* +1 J on the package, +0.5 J on dram, core's 1000 J not added */
    put(root, RAPL "intel-rapl:0/energy_uj", "262143000000\n", -1);
    put(root, RAPL "intel-rapl:0:1/energy_uj", "1500000\n", -1);
    put(root, RAPL "intel-rapl:0:0/energy_uj", "1000000100\n", -1);
    teai_sensors_read(s, &r[1]);
    ASSERT_NEAR(r[1].energy_j, 1.5, 1e-9);
    /* the package wraps: 262143328850 - 262143000000 + 500000 uJ = 0.82885 J;
     * dram +2 J */
    put(root, RAPL "intel-rapl:0/energy_uj", "500000\n", -1);
    put(root, RAPL "intel-rapl:0:1/energy_uj", "3500000\n", -1);
    teai_sensors_read(s, &r[2]);
    ASSERT_NEAR(r[2].energy_j, 1.5 + 0.82885 + 2.0, 1e-9);
    ASSERT_NEAR(teai_energy_between(r, 3, r[1].t_s, r[2].t_s), 2.82885, 1e-9);
    ASSERT_NEAR(teai_energy_between(r, 3, r[0].t_s, r[2].t_s), 4.32885, 1e-9);
    /* halfway between readings 1 and 2: half of that step, interpolated */
    double mid = 0.5 * (r[1].t_s + r[2].t_s);
    ASSERT_NEAR(teai_energy_between(r, 3, r[1].t_s, mid), 0.5 * 2.82885, 1e-6);
    /* outside the readings: unknown */
    ASSERT_TRUE(isnan(teai_energy_between(r, 3, r[0].t_s - 1, r[2].t_s)));
    teai_sensors_close(s);

    /* root-only energy_uj (Linux 5.10 on): found, unavailable, said why */
    if (geteuid() != 0) {
        char path[1024];
        snprintf(path, sizeof path, "%s" RAPL "intel-rapl:0/energy_uj", root);
        chmod(path, 0);
        ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
        pkg = find(s, "rapl:package-0");
        ASSERT_TRUE(pkg && !pkg->available);
        ASSERT_STREQ(pkg->why, "permission denied");
        /* no package: no dram alone; psys is not a source, nor is core */
        ASSERT_STREQ(teai_sensors_energy_source(s), "");
        teai_sensors_close(s);
        chmod(path, 0644);
    }
}

#define CPU "/sys/devices/system/cpu/"

static void board_tree(const char *root) {
    put(root, "/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n", -1);
    put(root, "/sys/class/thermal/thermal_zone0/temp", "45000\n", -1);
    put(root, "/sys/class/thermal/thermal_zone1/type", "gpu-thermal\n", -1);
    put(root, "/sys/class/thermal/thermal_zone1/temp", "52000\n", -1);
    put(root, "/sys/class/thermal/thermal_zone2/type", "broken\n", -1);
    put(root, "/sys/class/thermal/thermal_zone2/temp", "200000\n", -1);
    static const char *const khz[] = {"1800000\n", "1800000\n", "2400000\n", "2400000\n"};
    for (int c = 0; c < 4; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, CPU "cpu%d/cpufreq/scaling_cur_freq", c);
        put(root, rel, khz[c], -1);
        snprintf(rel, sizeof rel, CPU "cpu%d/cpufreq/scaling_governor", c);
        put(root, rel, "schedutil\n", -1);
        snprintf(rel, sizeof rel, CPU "cpu%d/topology/physical_package_id", c);
        put(root, rel, "0\n", -1);
    }
    put(root, CPU "cpu0/thermal_throttle/core_throttle_count", "3\n", -1);
    put(root, CPU "cpu0/thermal_throttle/package_throttle_count", "1\n", -1);
    put(root, CPU "cpu1/thermal_throttle/core_throttle_count", "0\n", -1);
    put(root, CPU "cpu1/thermal_throttle/package_throttle_count", "1\n", -1); /* same package */
    put(root, CPU "online", "0-3\n", -1);
}

/* (c) A board: two zones (and one out of range), four clocks, throttling. */
static void test_board(void) {
    char root[512];
    fresh_root(root, sizeof root, "board");
    board_tree(root);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    const teai_sensor_desc *z2 = find(s, "thermal:broken");
    ASSERT_TRUE(z2 && !z2->available && strstr(z2->why, "out of range"));
    const teai_sensor_desc *c0 = find(s, "cpufreq:cpu0");
    ASSERT_TRUE(c0 && c0->available);
    ASSERT_NEAR(c0->value, 1800.0, 1e-9);
    ASSERT_STREQ(c0->info, "schedutil");
    ASSERT_TRUE(find(s, "throttle:cpu0/package") && !find(s, "throttle:cpu1/package"));
    const char *sum = teai_sensors_summary(s);
    printf("    %s\n", sum);
    ASSERT_TRUE(strstr(sum, "clock=cpufreq(4,schedutil)") != NULL);
    ASSERT_TRUE(strstr(sum, "temperature=thermal:cpu-thermal,thermal:gpu-thermal ") != NULL);
    ASSERT_TRUE(strstr(sum, "energy=none") != NULL);
    ASSERT_EQ(teai_sensors_energy_is_counter(s), -1);
    teai_sensor_reading r;
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.temp_c, 52.0, 1e-9);
    ASSERT_NEAR(r.clock_mhz, 2400.0, 1e-9);
    ASSERT_NEAR(r.clock_mean_mhz, 2100.0, 1e-9);
    ASSERT_NEAR(r.throttle_count, 4.0, 1e-9); /* 3 + 0 + package 1 once */
    ASSERT_EQ(r.charging, -1);
    /* it heats up and throttles */
    put(root, "/sys/class/thermal/thermal_zone0/temp", "81500\n", -1);
    put(root, CPU "cpu2/cpufreq/scaling_cur_freq", "600000\n", -1);
    put(root, CPU "cpu3/cpufreq/scaling_cur_freq", "600000\n", -1);
    put(root, CPU "cpu0/thermal_throttle/core_throttle_count", "5\n", -1);
    put(root, CPU "cpu0/thermal_throttle/package_throttle_count", "2\n", -1);
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.temp_c, 81.5, 1e-9);
    ASSERT_NEAR(r.clock_mhz, 1800.0, 1e-9);
    ASSERT_NEAR(r.clock_mean_mhz, 1200.0, 1e-9);
    ASSERT_NEAR(r.throttle_count, 7.0, 1e-9);
    /* a zone that was out of range at open stays out of the readings */
    put(root, "/sys/class/thermal/thermal_zone2/temp", "99000\n", -1);
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.temp_c, 81.5, 1e-9);
    teai_sensors_close(s);
}

/* (d) Nothing at all: every kind missing, said where it was looked for. */
static void test_nothing(void) {
    char root[512];
    fresh_root(root, sizeof root, "nothing");
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    ASSERT_EQ(teai_sensors_count(s), 0);
    ASSERT_TRUE(teai_sensors_get(s, 0) == NULL);
    ASSERT_STREQ(teai_sensors_energy_source(s), "");
    ASSERT_EQ(teai_sensors_energy_is_counter(s), -1);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_ENERGY), "intel-rapl") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_POWER), "hwmon power") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_BATTERY), "power_supply") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_TEMP), "thermal_zone") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_CLOCK), "scaling_cur_freq") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_THROTTLE), "thermal_throttle") != NULL);
    ASSERT_TRUE(strstr(teai_sensors_missing(s, TEAI_SENSOR_LOAD), "/proc/stat") != NULL);
    ASSERT_STREQ(teai_sensors_summary(s), "energy=none power=none battery=none "
                                          "temperature=none clock=none throttle=none load=none");
    teai_sensor_reading r;
    teai_sensors_read(s, &r);
    ASSERT_TRUE(isnan(r.energy_j) && isnan(r.power_w) && isnan(r.temp_c) && isnan(r.clock_mhz));
    ASSERT_TRUE(isnan(r.clock_mean_mhz) && isnan(r.throttle_count) && isnan(r.cpu_busy_s));
    ASSERT_TRUE(isnan(r.cpu_total_s) && isnan(r.psi_some_us) && isnan(r.load1));
    ASSERT_EQ(r.charging, -1);
    ASSERT_TRUE(r.self_cpu_s >= 0); /* the real process, not under the root */
    teai_sensor_reading r2 = r;
    ASSERT_TRUE(isnan(teai_other_cpu_pct(&r, &r2)));
    teai_sensors_close(s);
}

/* (e) Garbage in every kind of file. */
static void test_garbage(void) {
    static const struct {
        const char *text;
        long n;
        const char *why; /* part of the expected why */
    } bad[] = {
        {"abc\n", -1, "not a number"},
        {"", 0, "empty"},
        {"99999999999999999999999\n", -1, "too large"},
        {"\x01\x00\xff\xfe", 4, "binary"},
        {"12abc\n", -1, "not a number"},
        {"1.5\n", -1, "not a number"},
        {"\n\n", -1, "empty"},
    };
    int nbad = (int)(sizeof bad / sizeof bad[0]);
    for (int g = 0; g < nbad; g++) {
        char root[512], name[32];
        snprintf(name, sizeof name, "garbage%d", g);
        fresh_root(root, sizeof root, name);
        const char *t = bad[g].text;
        long n = bad[g].n;
        put(root, RAPL "intel-rapl:0/name", "package-0\n", -1);
        put(root, RAPL "intel-rapl:0/energy_uj", t, n);
        put(root, "/sys/class/hwmon/hwmon0/name", "ina226\n", -1);
        put(root, "/sys/class/hwmon/hwmon0/energy1_input", t, n);
        put(root, "/sys/class/hwmon/hwmon0/power1_input", t, n);
        put(root, "/sys/class/hwmon/hwmon0/temp1_input", t, n);
        put(root, PS "BAT0/type", "Battery\n", -1);
        put(root, PS "BAT0/status", "Discharging\n", -1);
        put(root, PS "BAT0/current_now", t, n);
        put(root, PS "BAT0/voltage_now", t, n);
        put(root, "/sys/class/thermal/thermal_zone0/type", "soc\n", -1);
        put(root, "/sys/class/thermal/thermal_zone0/temp", t, n);
        put(root, CPU "cpu0/cpufreq/scaling_cur_freq", t, n);
        put(root, CPU "cpu0/thermal_throttle/core_throttle_count", t, n);
        put(root, "/proc/stat", t, n);
        put(root, "/proc/pressure/cpu", t, n);
        put(root, "/proc/loadavg", t, n);
        teai_sensors *s = NULL;
        teai_error err = {0};
        ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
        ASSERT_EQ(teai_sensors_count(s), 11);
        for (int i = 0; i < teai_sensors_count(s); i++) {
            const teai_sensor_desc *d = teai_sensors_get(s, i);
            if (d->available || !isnan(d->value) || !d->why[0]) {
                TEST_FAIL_AT("garbage %d: %s available %d value %g why \"%s\"", g, d->name,
                             d->available, d->value, d->why);
                return;
            }
            /* the number files say what is wrong with the number */
            if (d->kind != TEAI_SENSOR_LOAD && d->kind != TEAI_SENSOR_BATTERY &&
                !strstr(d->why, bad[g].why)) {
                TEST_FAIL_AT("garbage %d: %s why \"%s\", wanted \"%s\"", g, d->name, d->why,
                             bad[g].why);
                return;
            }
        }
        for (int k = 0; k < TEAI_SENSOR_N_KINDS; k++)
            ASSERT_TRUE(teai_sensors_missing(s, (teai_sensor_kind)k)[0] != '\0');
        ASSERT_STREQ(teai_sensors_energy_source(s), "");
        teai_sensor_reading r;
        teai_sensors_read(s, &r);
        ASSERT_TRUE(isnan(r.energy_j) && isnan(r.power_w) && isnan(r.temp_c));
        ASSERT_TRUE(isnan(r.clock_mhz) && isnan(r.throttle_count) && isnan(r.cpu_busy_s));
        ASSERT_TRUE(isnan(r.psi_some_us) && isnan(r.load1));
        teai_sensors_close(s);
    }

    /* good at open, garbage later: NAN in that reading, back when good again */
    char root[512];
    fresh_root(root, sizeof root, "garbage-later");
    board_tree(root);
    put(root, RAPL "intel-rapl:0/name", "package-0\n", -1);
    put(root, RAPL "intel-rapl:0/max_energy_range_uj", "1000000000\n", -1);
    put(root, RAPL "intel-rapl:0/energy_uj", "1000\n", -1);
    put(root, "/proc/loadavg", "0.52 0.40 0.30 1/123 4567\n", -1);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    teai_sensor_reading r;
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.load1, 0.52, 1e-12);
    put(root, "/sys/class/thermal/thermal_zone0/temp", "-273150\n", -1);
    put(root, "/sys/class/thermal/thermal_zone1/temp", "hot\n", -1);
    for (int c = 0; c < 4; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, CPU "cpu%d/cpufreq/scaling_cur_freq", c);
        put(root, rel, "-5\n", -1);
    }
    put(root, RAPL "intel-rapl:0/energy_uj", "2000000000\n", -1); /* past its range */
    put(root, CPU "cpu1/thermal_throttle/core_throttle_count", "-1\n", -1);
    put(root, "/proc/loadavg", "x y z\n", -1);
    teai_sensors_read(s, &r);
    ASSERT_TRUE(isnan(r.temp_c) && isnan(r.clock_mhz) && isnan(r.clock_mean_mhz));
    ASSERT_TRUE(isnan(r.energy_j) && isnan(r.throttle_count) && isnan(r.load1));
    put(root, RAPL "intel-rapl:0/energy_uj", "3000\n", -1);
    put(root, "/sys/class/thermal/thermal_zone1/temp", "40000\n", -1);
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.energy_j, 0.002, 1e-12);
    ASSERT_NEAR(r.temp_c, 40.0, 1e-12);
    teai_sensors_close(s);
}

/* (f) Files removed between reads: NAN, no crash; back when they return. */
static void test_vanishing(void) {
    char root[512];
    fresh_root(root, sizeof root, "vanish");
    board_tree(root);
    put(root, PS "BAT0/type", "Battery\n", -1);
    put(root, PS "BAT0/status", "Discharging\n", -1);
    put(root, PS "BAT0/power_now", "3000000\n", -1);
    put(root, "/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n", -1);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    teai_sensor_reading r;
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.power_w, 3.0, 1e-12);
    ASSERT_NEAR(r.cpu_busy_s * (double)sysconf(_SC_CLK_TCK), 200.0, 1e-6);
    ASSERT_NEAR(r.cpu_total_s * (double)sysconf(_SC_CLK_TCK), 1000.0, 1e-6);
    test_system("rm -rf '%s/sys' '%s/proc'", root, root);
    teai_sensors_read(s, &r);
    ASSERT_TRUE(isnan(r.power_w) && isnan(r.temp_c) && isnan(r.clock_mhz));
    ASSERT_TRUE(isnan(r.throttle_count) && isnan(r.cpu_busy_s));
    ASSERT_EQ(r.charging, -1);
    teai_sensors_read(s, &r); /* again: still nothing, still no crash */
    ASSERT_TRUE(isnan(r.temp_c));
    board_tree(root);
    put(root, PS "BAT0/status", "Discharging\n", -1);
    put(root, PS "BAT0/power_now", "2500000\n", -1);
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.temp_c, 52.0, 1e-12);
    ASSERT_NEAR(r.power_w, 2.5, 1e-12);
    rm(root, "/sys/class/thermal/thermal_zone1/temp");
    teai_sensors_read(s, &r);
    ASSERT_NEAR(r.temp_c, 45.0, 1e-12); /* the hottest of those left */
    teai_sensors_close(s);
}

static teai_sensor_reading at(double t, double w, double j) {
    teai_sensor_reading r;
    memset(&r, 0, sizeof r);
    r.t_s = t;
    r.power_w = w;
    r.energy_j = j;
    return r;
}

/* (g) The trapezoid rule on a hand-made power series, and a counter. */
static void test_energy_between(void) {
    teai_sensor_reading p[4] = {at(0, 10, NAN), at(1, 20, NAN), at(2, 20, NAN), at(3, 10, NAN)};
    /* whole: 15 + 20 + 15 = 50 J */
    ASSERT_NEAR(teai_energy_between(p, 4, 0, 3), 50.0, 1e-12);
    /* [0.5, 2.5]: ends 15 W; (15+20)/2*0.5 + 20 + (20+15)/2*0.5 = 37.5 J */
    ASSERT_NEAR(teai_energy_between(p, 4, 0.5, 2.5), 37.5, 1e-12);
    /* inside one step: [1.25, 1.75] at 20 W = 10 J */
    ASSERT_NEAR(teai_energy_between(p, 4, 1.25, 1.75), 10.0, 1e-12);
    ASSERT_NEAR(teai_energy_between(p, 4, 2, 2), 0.0, 1e-12);
    ASSERT_TRUE(isnan(teai_energy_between(p, 4, 0, 3.5)));  /* not covered */
    ASSERT_TRUE(isnan(teai_energy_between(p, 4, -0.1, 1))); /* not covered */
    ASSERT_TRUE(isnan(teai_energy_between(p, 4, 2, 1)));    /* backwards */
    ASSERT_TRUE(isnan(teai_energy_between(p, 0, 0, 1)));
    p[1].power_w = NAN; /* a value needed is unknown */
    ASSERT_TRUE(isnan(teai_energy_between(p, 4, 0, 3)));
    ASSERT_TRUE(isnan(teai_energy_between(p, 4, 0.5, 0.9)));
    ASSERT_NEAR(teai_energy_between(p, 4, 2, 3), 15.0, 1e-12);
    /* a counter: the interpolated difference; an unknown reading between
     * the ends does not matter, the counter kept counting */
    teai_sensor_reading c[4] = {at(0, NAN, 0), at(1, NAN, 4), at(2, NAN, NAN), at(4, NAN, 16)};
    ASSERT_NEAR(teai_energy_between(c, 4, 0, 1), 4.0, 1e-12);
    ASSERT_NEAR(teai_energy_between(c, 4, 0.5, 2.5), (4 + 1.5 * 4) - 2.0, 1e-12);
    ASSERT_NEAR(teai_energy_between(c, 4, 1, 4), 12.0, 1e-12);
    ASSERT_TRUE(isnan(teai_energy_between(c, 4, 1, 5)));
}

/* Spins until this process has used `cpu_s` seconds of CPU. */
static void spin(double cpu_s) {
    volatile unsigned long x = 0;
    while ((double)clock() / CLOCKS_PER_SEC < cpu_s)
        for (int i = 0; i < 100000; i++) x += (unsigned long)i;
}

/* (h) This machine: /proc read for real; a busy process that is not ours
 * counts as other processes' load, a busy child of ours does not. */
static void test_real_machine(void) {
    unsetenv("TEAI_SYSFS_ROOT");
    ASSERT_STREQ(teai_sysfs_root(), "/");
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(NULL, &s, &err), TEAI_OK);
    printf("    this machine: %s\n", teai_sensors_summary(s));
    for (int k = 0; k < TEAI_SENSOR_N_KINDS; k++)
        if (teai_sensors_missing(s, (teai_sensor_kind)k)[0])
            printf("    %s: %s\n", teai_sensor_kind_name((teai_sensor_kind)k),
                   teai_sensors_missing(s, (teai_sensor_kind)k));
    const teai_sensor_desc *st = find(s, "proc:stat"), *la = find(s, "proc:loadavg");
    if (!st || !st->available) test_skip("/proc/stat is not readable here");
    ASSERT_TRUE(la && la->available);
    teai_sensor_reading a, b;
    teai_sensors_read(s, &a);
    ASSERT_TRUE(a.cpu_total_s > 0 && a.cpu_busy_s >= 0 && a.cpu_busy_s <= a.cpu_total_s);
    ASSERT_TRUE(a.load1 >= 0 && a.self_cpu_s >= 0);

    /* a grandchild, reparented once its parent exits: not ours */
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        if (fork() == 0) {
            close(fds[0]);
            usleep(50000); /* its parent has exited and been reaped */
            spin(0.5);
            if (write(fds[1], "x", 1) != 1) _exit(1);
            _exit(0);
        }
        _exit(0);
    }
    close(fds[1]);
    int wst = 0;
    waitpid(pid, &wst, 0);
    teai_sensors_read(s, &a);
    char c;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    close(fds[0]);
    teai_sensors_read(s, &b);
    double other_s = (b.cpu_busy_s - a.cpu_busy_s) - (b.self_cpu_s - a.self_cpu_s);
    double pct = teai_other_cpu_pct(&a, &b);
    printf("    a busy process not ours: other %.2f CPU s, %.1f %% of all CPUs\n", other_s, pct);
    ASSERT_TRUE(other_s >= 0.4);
    ASSERT_TRUE(pct > 0);

    /* a live child of ours: counted as ours (it is still running when b is taken) */
    ASSERT_EQ(pipe(fds), 0);
    teai_sensors_read(s, &a);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        spin(0.5);
        if (write(fds[1], "x", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    close(fds[1]);
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    close(fds[0]);
    teai_sensors_read(s, &b);
    kill(pid, SIGKILL);
    waitpid(pid, &wst, 0);
    double self_s = b.self_cpu_s - a.self_cpu_s;
    printf("    a busy child: self %.2f CPU s, others %.1f %%\n", self_s,
           teai_other_cpu_pct(&a, &b));
    ASSERT_TRUE(self_s >= 0.45);

    /* the cost of one reading here */
    int n = 200;
    uint64_t t0 = teai__now_ns();
    for (int i = 0; i < n; i++) teai_sensors_read(s, &b);
    double us = (double)(teai__now_ns() - t0) / 1e3 / n;
    printf("    one teai_sensors_read here: %.1f us (%.3f %% of a core at 10 Hz)\n", us,
           us * 10 / 1e6 * 100);
    teai_sensors_close(s);
}

/* The cost of one reading on a fake tree of 8 CPUs and 10 zones (every file
 * opened per read, as off sysfs). */
static void test_read_cost_fake(void) {
    char root[512];
    fresh_root(root, sizeof root, "cost");
    for (int c = 0; c < 8; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, CPU "cpu%d/cpufreq/scaling_cur_freq", c);
        put(root, rel, "1800000\n", -1);
        snprintf(rel, sizeof rel, CPU "cpu%d/cpufreq/scaling_governor", c);
        put(root, rel, "schedutil\n", -1);
    }
    for (int z = 0; z < 10; z++) {
        char rel[256], type[32];
        snprintf(rel, sizeof rel, "/sys/class/thermal/thermal_zone%d/type", z);
        snprintf(type, sizeof type, "zone-%d\n", z);
        put(root, rel, type, -1);
        snprintf(rel, sizeof rel, "/sys/class/thermal/thermal_zone%d/temp", z);
        put(root, rel, "41000\n", -1);
    }
    put(root, PS "battery/type", "Battery\n", -1);
    put(root, PS "battery/status", "Discharging\n", -1);
    put(root, PS "battery/current_now", "-1250000\n", -1);
    put(root, PS "battery/voltage_now", "3850000\n", -1);
    put(root, "/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\n", -1);
    put(root, "/proc/loadavg", "0.5 0.4 0.3 1/100 42\n", -1);
    put(root, "/proc/pressure/cpu", "some avg10=1.00 avg60=0.50 avg300=0.10 total=12345\n", -1);
    teai_sensors *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_sensors_open(root, &s, &err), TEAI_OK);
    teai_sensor_reading r;
    int n = 200;
    uint64_t t0 = teai__now_ns();
    for (int i = 0; i < n; i++) teai_sensors_read(s, &r);
    double us = (double)(teai__now_ns() - t0) / 1e3 / n;
    printf("    one teai_sensors_read, 8 CPUs + 10 zones + battery + /proc: %.1f us (%.3f %% of "
           "a core at 10 Hz)\n",
           us, us * 10 / 1e6 * 100);
    ASSERT_NEAR(r.psi_some_us, 12345.0, 1e-9);
    ASSERT_NEAR(r.power_w, 4.8125, 1e-9);
    ASSERT_EQ(r.charging, 0);
    ASSERT_NEAR(r.temp_c, 41.0, 1e-9);
    ASSERT_TRUE(us < 10000); /* far below 1 % of a core at 10 Hz */
    teai_sensors_close(s);
}

/* (i) Read bandwidth and its host cache. */
static void test_membw(void) {
    double best = 0, median = 0;
    teai_error err = {0};
    ASSERT_EQ(teai_membw_measure(1, 32, 2, &best, &median, &err), TEAI_OK);
    ASSERT_TRUE(best > 0 && median > 0 && median <= best);
    ASSERT_EQ(teai_membw_measure(2, 32, 3, &best, &median, &err), TEAI_OK);
    ASSERT_TRUE(best > 0);
    ASSERT_EQ(teai_membw_measure(0, 32, 2, &best, &median, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_membw_measure(1, 0, 2, &best, &median, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_membw_measure(1, 32, 0, &best, &median, &err), TEAI_EINVAL);

    char cache[512];
    fresh_root(cache, sizeof cache, "xdg-cache");
    setenv("XDG_CACHE_HOME", cache, 1);
    double gb = 0, gb2 = 0;
    int measured = 0;
    uint64_t t0 = teai__now_ns();
    ASSERT_EQ(teai_membw_cached(1, 0, &gb, &measured, &err), TEAI_OK);
    double secs = (double)(teai__now_ns() - t0) / 1e9;
    ASSERT_EQ(measured, 1);
    ASSERT_TRUE(gb > 0);
    printf("    quick measurement, 1 thread: %.1f GB/s in %.2f s\n", gb, secs);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/teai/hosts", cache);
    /* one file in the folder, read back as cached */
    ASSERT_EQ(test_system("test $(ls '%s' | wc -l) -eq 1", dir), 0);
    ASSERT_EQ(teai_membw_cached(1, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 0);
    ASSERT_NEAR(gb2, gb, 1e-3 * gb);
    ASSERT_EQ(test_system("grep -q '^membw 1 ' '%s'/*", dir), 0);
    /* forced: measured again */
    ASSERT_EQ(teai_membw_cached(1, 1, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 1);
    /* another thread count is added beside */
    ASSERT_EQ(teai_membw_cached(2, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 1);
    ASSERT_EQ(test_system("grep -q '^membw 2 ' '%s'/* && grep -q '^membw 1 ' '%s'/*", dir, dir), 0);
    /* measured while other processes took half the CPUs: a recent figure
     * stands (no measuring at every run of a busy machine), an old one is
     * measured again, and replaced by a quiet or higher figure (this one,
     * 0.001 GB/s, is lower than any machine's) */
    ASSERT_EQ(test_system("for f in '%s'/*; do sed -i \"s/^membw 1 .*/membw 1 0.001 0.001 256 5 1 "
                          "$(date +%%s) 50/\" \"$f\"; done",
                          dir),
              0);
    ASSERT_EQ(teai_membw_cached(1, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 0);
    ASSERT_NEAR(gb2, 0.001, 1e-9);
    ASSERT_EQ(test_system("for f in '%s'/*; do sed -i 's/^membw 1 .*/membw 1 0.001 0.001 256 5 1 "
                          "1000 50/' \"$f\"; done",
                          dir),
              0);
    ASSERT_EQ(teai_membw_cached(1, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 1);
    ASSERT_TRUE(gb2 > 0.001);
    ASSERT_EQ(test_system("! grep -q '^membw 1 0.001 ' '%s'/*", dir), 0);
    /* corrupt: measured anew */
    ASSERT_EQ(test_system("for f in '%s'/*; do printf 'teai-hostcache 1\\nmembw x\\n' > \"$f\"; "
                          "done",
                          dir),
              0);
    ASSERT_EQ(teai_membw_cached(1, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 1);
    /* another machine under this name (other CPU): measured anew */
    ASSERT_EQ(
        test_system("for f in '%s'/*; do sed -i 's/^n_cpus .*/n_cpus 999/' \"$f\"; done", dir), 0);
    ASSERT_EQ(teai_membw_cached(1, 0, &gb2, &measured, &err), TEAI_OK);
    ASSERT_EQ(measured, 1);
    /* a cache folder that cannot be made: the error names it, the figure is there */
    char blocked[600];
    snprintf(blocked, sizeof blocked, "%s/file", cache);
    FILE *f = fopen(blocked, "w");
    ASSERT_TRUE(f != NULL);
    fclose(f);
    setenv("XDG_CACHE_HOME", blocked, 1);
    gb2 = 0;
    ASSERT_TRUE(teai_membw_cached(1, 0, &gb2, &measured, &err) != TEAI_OK);
    ASSERT_TRUE(gb2 > 0 && measured == 1);
    ASSERT_TRUE(strstr(err.msg, "file") != NULL);
    ASSERT_EQ(teai_membw_cached(0, 0, &gb2, &measured, &err), TEAI_EINVAL);
    unsetenv("XDG_CACHE_HOME");
}

/* The host cache format: round trip, and what is refused. */
static void test_hostcache_format(void) {
    teai__hostcache *c = calloc(1, sizeof *c), *d = calloc(1, sizeof *d);
    ASSERT_TRUE(c && d);
    snprintf(c->cpu, sizeof c->cpu, "Intel(R) Xeon(R) CPU @ 2.20GHz");
    c->n_cpus = 8;
    c->ram_bytes = 33554432000ull;
    teai__membw_entry e = {4, 21.5, 20.25, 256, 5, 0.61, 1700000000, 37.5};
    ASSERT_EQ(teai__hostcache_put(c, &e), 0);
    e.threads = 1;
    e.best_gb_s = 9.75;
    e.median_gb_s = 9.5;
    ASSERT_EQ(teai__hostcache_put(c, &e), 0);
    e.best_gb_s = 10.5; /* replaces */
    e.other_pct = NAN;  /* unknown: written "-" */
    ASSERT_EQ(teai__hostcache_put(c, &e), 0);
    ASSERT_EQ(c->n, 2);
    ASSERT_EQ(c->e[0].threads, 1);
    char text[4096], why[128];
    ASSERT_EQ(teai__hostcache_format(c, text, sizeof text), 0);
    ASSERT_EQ(teai__hostcache_parse(text, strlen(text), d, why, sizeof why), 0);
    ASSERT_STREQ(d->cpu, c->cpu);
    ASSERT_EQ(d->n_cpus, 8);
    ASSERT_EQ((long long)d->ram_bytes, 33554432000ll);
    ASSERT_EQ(d->n, 2);
    ASSERT_NEAR(teai__hostcache_get(d, 1)->best_gb_s, 10.5, 1e-9);
    ASSERT_NEAR(teai__hostcache_get(d, 4)->median_gb_s, 20.25, 1e-9);
    ASSERT_TRUE(teai__hostcache_get(d, 3) == NULL);
    ASSERT_NEAR(teai__hostcache_get(d, 4)->other_pct, 37.5, 1e-9);
    ASSERT_TRUE(isnan(teai__hostcache_get(d, 1)->other_pct));
    /* a cache written before the ninth field: the share is unknown */
    const char *old8 = "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 2 9 8 4 5 6 7\n";
    ASSERT_EQ(teai__hostcache_parse(old8, strlen(old8), d, why, sizeof why), 0);
    ASSERT_TRUE(isnan(teai__hostcache_get(d, 2)->other_pct));
    ASSERT_EQ(teai__hostcache_format(c, text, 40), -1); /* does not fit */
    static const char *const bad[] = {
        "",
        "teai-hostcache 2\ncpu x\nn_cpus 1\nram_bytes 1\n",
        "teai-hostcache 1\nn_cpus 1\nram_bytes 1\n",
        "teai-hostcache 1\ncpu x\nn_cpus 0\nram_bytes 1\n",
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes -1\n",
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 1 2 3 4 5 6 7\n", /* median > best */
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 1 nan 1 4 5 6 7\n",
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 1 2 1 4 5 6\n",
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 1 2 1 4 5 6 7 101\n",
        "teai-hostcache 1\ncpu x\nn_cpus 1\nram_bytes 1\nmembw 1 2 1 4 5 6 7 busy\n",
        "teai-hostcache 1\ncpu x\x01\nn_cpus 1\nram_bytes 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (teai__hostcache_parse(bad[i], strlen(bad[i]), d, why, sizeof why) != -1 || !why[0]) {
            TEST_FAIL_AT("bad host cache %zu accepted", i);
            break;
        }
    }
    /* unknown keys from a newer writer are skipped */
    const char *newer = "teai-hostcache 1\ncpu x\nn_cpus 2\nram_bytes 7\nnuma 2\n";
    ASSERT_EQ(teai__hostcache_parse(newer, strlen(newer), d, why, sizeof why), 0);
    free(c);
    free(d);
}

static void test_parsers(void) {
    int64_t v = 0;
    char why[128];
    ASSERT_EQ(teai__sensor_parse_int(" -1250000\n", 10, &v, why, sizeof why), 0);
    ASSERT_EQ(v, -1250000);
    ASSERT_EQ(teai__sensor_parse_int("42", 2, &v, why, sizeof why), 0);
    ASSERT_EQ(v, 42);
    ASSERT_EQ(teai__sensor_parse_int("4 2", 3, &v, why, sizeof why), -1);
    ASSERT_TRUE(strstr(why, "not a number: \"4 2\"") != NULL);
    ASSERT_EQ(teai__sensor_parse_int("-", 1, &v, why, sizeof why), -1);
    ASSERT_EQ(teai__sensor_parse_int("123", 2, &v, why, sizeof why), 0); /* n bounds it */
    ASSERT_EQ(v, 12);
    double c = 0;
    ASSERT_EQ(teai__sensor_parse_millic("-40000", 6, &c, why, sizeof why), 0);
    ASSERT_NEAR(c, -40.0, 1e-12);
    ASSERT_EQ(teai__sensor_parse_millic("150001", 6, &c, why, sizeof why), -1);
    ASSERT_TRUE(strstr(why, "out of range") != NULL);
    char w[16];
    ASSERT_EQ(teai__sensor_parse_word("  Not charging \nx", 17, w, sizeof w, why, sizeof why), 0);
    ASSERT_STREQ(w, "Not charging");
    ASSERT_EQ(teai__battery_status(w), 1);
    ASSERT_EQ(teai__battery_status("Unknown"), -1);
    ASSERT_EQ(teai__sensor_parse_word("0123456789abcdefX", 17, w, sizeof w, why, sizeof why), -1);
    /* battery units and plausibility */
    teai__battery_raw b = {0, 0, 1, 1, 0, -500000, 4200}; /* voltage in mV: refused */
    double p = 0;
    ASSERT_EQ(teai__battery_power_w(&b, &p, why, sizeof why), -1);
    ASSERT_TRUE(strstr(why, "voltage_now") != NULL);
    b.voltage_uv = 4200000;
    ASSERT_EQ(teai__battery_power_w(&b, &p, why, sizeof why), 0);
    ASSERT_NEAR(p, 2.1, 1e-12);
    b.current_ua = 500000000; /* 500 A */
    ASSERT_EQ(teai__battery_power_w(&b, &p, why, sizeof why), -1);
    /* counters */
    ASSERT_EQ(teai__counter_delta(10, 30, 100), 20);
    ASSERT_EQ(teai__counter_delta(90, 5, 100), 15);
    ASSERT_EQ(teai__counter_delta(90, 5, 0), -1);
    ASSERT_EQ(teai__counter_delta(90, 101, 100), -1);
    /* /proc */
    uint64_t busy = 0, total = 0, t = 0;
    const char *stat = "cpu  10 1 5 100 7 2 3 4 9 9\ncpu0 1\n";
    ASSERT_EQ(teai__parse_proc_stat(stat, strlen(stat), &busy, &total, why, sizeof why), 0);
    ASSERT_EQ(busy, 10 + 1 + 5 + 2 + 3 + 4);
    ASSERT_EQ(total, busy + 100 + 7);
    const char *psi = "some avg10=12.50 avg60=3.36 avg300=1.53 total=8894339\nfull avg10=0.00 "
                      "avg60=0.00 avg300=0.00 total=0\n";
    double avg = 0;
    ASSERT_EQ(teai__parse_psi(psi, strlen(psi), &t, &avg, why, sizeof why), 0);
    ASSERT_EQ(t, 8894339);
    ASSERT_NEAR(avg, 12.5, 1e-12);
    const char *pst = "123 (a (b) c) S 1 1 1 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0\n";
    ASSERT_EQ(teai__parse_pid_stat_cpu(pst, strlen(pst), &t, why, sizeof why), 0);
    ASSERT_EQ(t, 250 + 50 + 7 + 3);
    const char *status = "Name:\tx\nVmPeak:\t 100 kB\nVmHWM:\t   2048 kB\n";
    ASSERT_EQ(teai__parse_vmhwm_kb(status, strlen(status), &t, why, sizeof why), 0);
    ASSERT_EQ(t, 2048);
}

static void test_peak_rss(void) {
    if (teai_peak_rss_reset() != 0) test_skip("/proc/self/clear_refs cannot reset VmHWM here");
    uint64_t base = teai_peak_rss_since_reset();
    ASSERT_TRUE(base > 0);
    size_t n = 64u << 20;
    /* mmap, not malloc: given back at munmap, under ASan too */
    char *volatile p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    uint64_t peak = teai_peak_rss_since_reset();
    ASSERT_TRUE(peak >= base + n - (4u << 20));
    munmap(p, n);
    ASSERT_EQ(teai_peak_rss_reset(), 0);
    uint64_t after = teai_peak_rss_since_reset();
    printf("    VmHWM: %llu MiB before, %llu MiB with 64 MiB touched, %llu MiB after reset\n",
           (unsigned long long)(base >> 20), (unsigned long long)(peak >> 20),
           (unsigned long long)(after >> 20));
    ASSERT_TRUE(after + (32u << 20) < peak);
}

int main(void) {
    RUN_TEST(test_parsers);
    RUN_TEST(test_hostcache_format);
    RUN_TEST(test_phone_battery);
    RUN_TEST(test_rapl_laptop);
    RUN_TEST(test_board);
    RUN_TEST(test_nothing);
    RUN_TEST(test_garbage);
    RUN_TEST(test_vanishing);
    RUN_TEST(test_energy_between);
    RUN_TEST(test_read_cost_fake);
    RUN_TEST(test_membw);
    RUN_TEST(test_peak_rss);
    RUN_TEST(test_real_machine); /* may skip: last */
    TEST_MAIN_END();
}
