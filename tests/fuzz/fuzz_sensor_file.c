/* The sensor file parsers (src/sys/sensors_parse.c) and the host cache's
 * parser (src/sys/hostcache.c) on arbitrary bytes: every file the kernel or
 * a cache folder could hold. A host cache that parses must format and parse
 * back to the same entries. */
#include "sys/sensors_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static teai__hostcache g_a, g_b;
static char g_text[TEAI__HOSTCACHE_MAX * 128 + 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    char why[128], word[64];
    int64_t v = 0;
    double d = 0;
    uint64_t a = 0, b = 0;
    if (teai__sensor_parse_int(s, size, &v, why, sizeof why) != 0 && !why[0]) abort();
    if (teai__sensor_parse_word(s, size, word, sizeof word, why, sizeof why) == 0) {
        if (strlen(word) >= sizeof word) abort();
        (void)teai__battery_status(word);
    }
    if (teai__sensor_parse_millic(s, size, &d, why, sizeof why) == 0 && !(d >= -40 && d <= 150))
        abort();
    if (teai__parse_proc_stat(s, size, &a, &b, why, sizeof why) == 0 && a > b) abort();
    (void)teai__parse_psi(s, size, &a, &d, why, sizeof why);
    (void)teai__parse_loadavg(s, size, &d, why, sizeof why);
    (void)teai__parse_pid_stat_cpu(s, size, &a, why, sizeof why);
    (void)teai__parse_vmhwm_kb(s, size, &a, why, sizeof why);
    /* the battery from the first bytes as numbers */
    if (size >= 25) {
        teai__battery_raw r;
        r.status = (int)(data[0] % 3) - 1;
        r.have_power = data[1] & 1;
        r.have_current = data[1] & 2;
        r.have_voltage = data[1] & 4;
        memcpy(&r.power_uw, data + 1, 8);
        memcpy(&r.current_ua, data + 9, 8);
        memcpy(&r.voltage_uv, data + 17, 8);
        if (teai__battery_power_w(&r, &d, why, sizeof why) == 0 && !(d >= 0 && d <= 1000)) abort();
        uint64_t p, c, m;
        memcpy(&p, data + 1, 8);
        memcpy(&c, data + 9, 8);
        memcpy(&m, data + 17, 8);
        int64_t dl = teai__counter_delta(p, c, m);
        if (dl < -1 || (m && dl >= 0 && (uint64_t)dl > m)) abort();
    }
    if (teai__hostcache_parse(s, size, &g_a, why, sizeof why) != 0) {
        if (!why[0]) abort();
        return 0;
    }
    if (teai__hostcache_format(&g_a, g_text, sizeof g_text) != 0) abort();
    if (teai__hostcache_parse(g_text, strlen(g_text), &g_b, why, sizeof why) != 0) abort();
    if (g_b.n != g_a.n || g_b.n_cpus != g_a.n_cpus || g_b.ram_bytes != g_a.ram_bytes) abort();
    for (int i = 0; i < g_a.n; i++)
        if (g_b.e[i].threads != g_a.e[i].threads || g_b.e[i].mib != g_a.e[i].mib) abort();
    return 0;
}
