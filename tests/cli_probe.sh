#!/bin/sh
# teai probe end to end: the sensors of laid-out devices (a phone battery, a
# RAPL laptop, a throttling board, garbage, nothing) under --root and
# $TEAI_SYSFS_ROOT, this machine's own (no power or thermal sensors here:
# said plainly; /proc load read for real), and the read bandwidth's host
# cache (measured once, then cached; --force and a corrupt cache measure
# again).
set -u
NAME=cli_probe
. "$(dirname "$0")/lib_cli.sh"

expect 0 "$T" probe --help
grep -q "usage: teai probe" "$D/out" || fail "probe --help"
expect 2 "$T" probe --threads 0
expect 2 "$T" probe --frobnicate
expect 2 "$T" probe --root ""

# put FILE VALUE: a sensor file of the fake tree
put() {
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1"
}

# a phone: battery discharging, negative current in uA, voltage in uV
P=$D/phone
put "$P/sys/class/power_supply/battery/type" Battery
put "$P/sys/class/power_supply/battery/status" Discharging
put "$P/sys/class/power_supply/battery/current_now" -400000
put "$P/sys/class/power_supply/battery/voltage_now" 3850000
put "$P/sys/class/thermal/thermal_zone0/type" cpu-0-0-usr
put "$P/sys/class/thermal/thermal_zone0/temp" 41500
put "$P/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq" 1804800
put "$P/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor" schedutil
expect 0 "$T" probe --root "$P" --no-bandwidth
# 0.4 A x 3.85 V = 1.54 W
grep -q "battery  *battery:battery  *1.54 W" "$D/out" || fail "phone: battery power: $(cat "$D/out")"
grep -q "temperature  *thermal:cpu-0-0-usr  *41.50 C" "$D/out" || fail "phone: temperature"
grep -q "clock  *cpufreq:cpu0  *1805 MHz.*schedutil" "$D/out" || fail "phone: clock and governor"
grep -q "^energy source: battery:battery (power readings)" "$D/out" || fail "phone: energy source"
grep -q "^  energy  *none: no /sys/class/powercap" "$D/out" || fail "phone: no RAPL said"
# the same through the environment
TEAI_SYSFS_ROOT=$P expect 0 "$T" probe --no-bandwidth
grep -q "battery:battery  *1.54 W" "$D/out" || fail "TEAI_SYSFS_ROOT not honoured"

# charging: its reading is not the device's draw, so no watts are shown
put "$P/sys/class/power_supply/battery/status" Charging
expect 0 "$T" probe --root "$P" --no-bandwidth
grep -q "battery:battery  *charging or on external power" "$D/out" ||
    fail "charging battery not said so: $(cat "$D/out")"
grep -q "W  */sys/class/power_supply" "$D/out" && fail "charging battery shown with watts"

# a laptop with RAPL: package and dram counted, core inside the package
L=$D/laptop
# (the class folder lists every zone, subdomains too, as the kernel's does)
R=$L/sys/class/powercap
for z in intel-rapl:0:package-0:123456789 intel-rapl:0:0:core:5000000 intel-rapl:0:1:dram:7000000; do
    zone=${z%:*:*}
    rest=${z#"$zone":}
    put "$R/$zone/name" "${rest%:*}"
    put "$R/$zone/energy_uj" "${rest#*:}"
    put "$R/$zone/max_energy_range_uj" 262143328850
done
expect 0 "$T" probe --root "$L" --no-bandwidth
grep -q "^energy source: rapl:package-0.*dram.*(an energy counter)" "$D/out" ||
    fail "laptop: energy source: $(grep 'energy source' "$D/out")"
grep -q "energy source:.*core" "$D/out" && fail "laptop: core subdomain added to the package"

# garbage in every file: unavailable with the reason, never a crash
G=$D/garbage
put "$G/sys/class/power_supply/BAT0/type" Battery
put "$G/sys/class/power_supply/BAT0/status" Discharging
put "$G/sys/class/power_supply/BAT0/power_now" "lots"
put "$G/sys/class/thermal/thermal_zone0/type" soc
put "$G/sys/class/thermal/thermal_zone0/temp" 999999999
put "$G/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq" "-"
put "$G/proc/stat" "cpu garbage"
put "$G/proc/loadavg" ""
expect 0 "$T" probe --root "$G" --no-bandwidth
for s in battery:BAT0 thermal:soc cpufreq:cpu0 proc:stat proc:loadavg; do
    grep -q "$s  *unavailable: " "$D/out" || fail "garbage: $s not unavailable: $(grep "$s" "$D/out")"
done
grep -q "^energy source: none" "$D/out" || fail "garbage: an energy source from garbage"

# nothing at all
mkdir -p "$D/empty"
expect 0 "$T" probe --root "$D/empty" --no-bandwidth
for k in energy power battery temperature clock throttle load; do
    grep -q "^  $k  *none: " "$D/out" || fail "empty root: $k not said missing"
done
grep -q "other processes: unknown" "$D/out" || fail "empty root: background load not unknown"

# this machine (CI and development machines expose no power or thermal
# sensors; /proc/stat exists on every Linux)
expect 0 "$T" probe --no-bandwidth
grep -q "^energy source:" "$D/out" || fail "own machine: no energy source line"
grep -q "load  *proc:stat" "$D/out" || fail "own machine: /proc/stat not read"
grep -q "other processes took [0-9.]*% of the CPUs" "$D/out" || fail "own machine: background load"

# the read bandwidth, cached per host
export XDG_CACHE_HOME=$D/cache
expect 0 "$T" probe --root "$D/empty" -t 1
grep -q "1 thread  *[0-9.]*  *(measured now)" "$D/out" || fail "bandwidth not measured: $(tail -n 2 "$D/out")"
ls "$D/cache/teai/hosts/"* >/dev/null 2>&1 || fail "no host cache file written"
expect 0 "$T" probe --root "$D/empty" -t 1
grep -q "1 thread  *[0-9.]*  *(cached)" "$D/out" || fail "bandwidth not taken from the cache"
expect 0 "$T" probe --root "$D/empty" -t 1 --force
grep -q "(measured now)" "$D/out" || fail "--force did not measure again"
for f in "$D/cache/teai/hosts/"*; do printf 'garbage\n\001\002' >"$f"; done
expect 0 "$T" probe --root "$D/empty" -t 1
grep -q "(measured now)" "$D/out" || fail "a corrupt cache was not measured again"
finish
