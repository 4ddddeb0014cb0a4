#!/bin/sh
# adb:// devices: with the system's adb installed, a device serial that is not
# attached gives one line naming the device, from teai device check and from
# teai remote (the adb server this starts is stopped again). Android devices
# themselves cannot be tested here.
set -u
NAME=remote_adb
. "$(dirname "$0")/../lib_cli.sh"
command -v adb >/dev/null || skip_test "no adb (Debian/Ubuntu: apt-get install adb)"
export TEAI_CONFIG_DIR=$D/config
# the adb server on a port of our own, started before teai runs (a server
# that teai's adb has to start itself can miss its start-up on a busy machine:
# "cannot connect to daemon"; a port another test holds fails the same way),
# stopped at the end
trap 'adb kill-server >/dev/null 2>&1; rm -rf "$D"' EXIT
up=0
for try in 1 2 3 4 5; do
    export ANDROID_ADB_SERVER_PORT=$((30000 + ($$ + 997 * try) % 20000))
    if adb start-server >/dev/null 2>&1; then up=1 && break; fi
done
[ "$up" = 1 ] || fail "adb start-server failed on five ports"
expect 0 "$T" device add phone adb://NOSUCH0123
expect 0 "$T" device list
grep -q "^phone  *adb://NOSUCH0123  */data/local/tmp/teai" "$D/out" || fail "list: $(cat "$D/out")"
expect 1 timeout 60 "$T" device check phone
[ "$(wc -l <"$D/err")" -eq 1 ] || fail "check: wanted one line: $(cat "$D/err")"
grep -q "^teai device check: phone (adb://NOSUCH0123): cannot connect: .*NOSUCH0123" "$D/err" ||
    fail "check: $(cat "$D/err")"
M=$D/m.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
expect 1 timeout 60 "$T" remote phone --device-binary "$T" bench -m "$M" -n 2 --output-dir "$D/o"
[ "$(wc -l <"$D/err")" -eq 1 ] || fail "remote: wanted one line: $(cat "$D/err")"
grep -q "^teai remote: phone (adb://NOSUCH0123): cannot connect: " "$D/err" || fail "remote: $(cat "$D/err")"
finish
