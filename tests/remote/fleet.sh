#!/bin/sh
# teai fleet sweep over two devices on a loopback sshd, one x86_64 and one
# aarch64 (its device binary run through qemu-user): a connection killed in
# the middle loses no finished log; the same command again completes both
# devices; the result is one collated data set whose device_comparison
# figure and report show both devices.
set -u
NAME=fleet
. "$(dirname "$0")/../lib_cli.sh"
. "$(dirname "$0")/sshd.sh"
command -v qemu-aarch64 >/dev/null || skip_test "no qemu-aarch64 (Debian/Ubuntu: apt-get install qemu-user)"
BA=$(device_binary aarch64)
[ -n "$BA" ] || skip_test "no aarch64 device binary in ${TEAI_DEVICE_DIR:-?} (make device ARCH=aarch64; needs gcc-aarch64-linux-gnu)"
BX=$(device_binary x86_64)
[ -n "$BX" ] || skip_test "no x86_64 device binary in ${TEAI_DEVICE_DIR:-?} (make device ARCH=x86_64)"
sshd_start

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
expect 0 "$T" device add pc ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/wpc"
expect 0 "$T" device add phone ssh://teai-loop2 --ssh-config "$SSH_CFG" --workdir "$D/wphone" \
    --exec-prefix qemu-aarch64 --arch aarch64
O=$D/set
# 2 configurations a device, each at least a second (a 1 s cool-down)
fleet() {
    "$T" fleet sweep --devices pc,phone -m "$M" --quantize default,int8 -n 4 --repetitions 2 \
        --warmup 1 --cooldown 1 --output-dir "$O"
}
fleet >"$D/out1" 2>"$D/err1" &
fp=$!
wait_logs "$O" 90 || fail "no log within 90 s: $(cat "$D/err1")"
for p in $(sshd_sessions); do kill -9 "$p" 2>/dev/null; done
wait $fp
rc=$?
[ $rc -ne 0 ] || fail "fleet succeeded though the connections were killed: $(cat "$D/out1")"
grep -q "connection lost" "$D/err1" || fail "no connection-lost line: $(tail -n 8 "$D/err1")"
grep -q "^fleet: p[a-z]*: failed (teai remote: p[a-z]*: connection lost" "$D/out1" ||
    fail "no per-device failure line: $(cat "$D/out1")"
# wait for the devices' sweeps to stop (their parent went), then: every
# log finished there is here, whole
wait_gone "bin/teai sweep"
for L in "$D"/wpc/runs/*/*.txt "$D"/wphone/runs/*/*.txt; do
    [ -f "$L" ] || continue
    tail -n 1 "$L" | grep -q '"status":"ok"' || continue
    cmp -s "$L" "$O/$(basename "$L")" || fail "finished log $L lost"
done

# again: both devices complete, one data set
t0=$(date +%s)
fleet >"$D/out" 2>"$D/err"
rc=$?
echo "second fleet call: $(($(date +%s) - t0)) s"
[ $rc -eq 0 ] || fail "second call: exit $rc: $(tail -n 8 "$D/err") $(cat "$D/out")"
grep -q "^fleet: pc: done, [0-9]* logs\? fetched$" "$D/out" && grep -q "^fleet: phone: done" "$D/out" ||
    fail "summary: $(cat "$D/out")"
grep -q "^\[pc\] " "$D/err" && grep -q "^\[phone\] " "$D/err" || fail "no per-device lines: $(cat "$D/err")"
grep -q "teai fleet: collated" "$D/err" || fail "not collated: $(cat "$D/err")"
for dev in pc phone; do
    n=0
    for L in "$O"/*.txt; do
        grep -q "^device_name: $dev$" "$L" && tail -n 1 "$L" | grep -q '"status":"ok"' && n=$((n + 1))
    done
    [ $n -eq 2 ] || fail "$dev: $n complete logs here, wanted 2"
done
tr -d '\r' <"$O/native.csv" | grep -q ',x86_64,pc$' || fail "no pc rows"
tr -d '\r' <"$O/native.csv" | grep -q ',aarch64,phone$' || fail "no phone rows"
if has_feature cairo; then
    expect 0 "$T" plot --dir "$O" --output-dir "$D/plots"
    grep -q "^wrote .*device_comparison.png: fastest device: \(pc\|phone\)" "$D/out" ||
        fail "device_comparison: $(grep device_comparison "$D/out" "$D/err")"
    [ -s "$D/plots/device_comparison.png" ] || fail "no device_comparison.png"
    if command -v pdftotext >/dev/null; then
        expect 0 "$T" report --dir "$O" -o "$D/R.pdf"
        pdftotext -layout "$D/R.pdf" "$D/R.txt" || fail "pdftotext failed"
        grep -q "Device comparison" "$D/R.txt" || fail "report: no device comparison"
        grep -q "^ *pc " "$D/R.txt" && grep -q "^ *phone " "$D/R.txt" ||
            fail "report does not name both devices: $(grep -n 'pc\|phone' "$D/R.txt" | head)"
    else
        echo "skip: report text check: no pdftotext (poppler-utils)"
    fi
else
    echo "skip: figures and report: teai built without cairo"
fi
finish
