#!/bin/sh
# A device that is aarch64: its entry runs the device binary through
# qemu-user (exec-prefix=qemu-aarch64, arch=aarch64), so the cross-built
# static binary is exercised end to end over ssh: copied by hash, run, its
# logs fetched; the CSV says machine=aarch64 and the device's name.
set -u
NAME=remote_aarch64
. "$(dirname "$0")/../lib_cli.sh"
. "$(dirname "$0")/sshd.sh"
command -v qemu-aarch64 >/dev/null || skip_test "no qemu-aarch64 (Debian/Ubuntu: apt-get install qemu-user)"
BIN=$(device_binary aarch64)
[ -n "$BIN" ] || skip_test "no aarch64 device binary in ${TEAI_DEVICE_DIR:-?} (make device ARCH=aarch64; needs gcc-aarch64-linux-gnu)"
sshd_start

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
expect 0 "$T" device add arm ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/warm" \
    --exec-prefix qemu-aarch64 --arch aarch64
O=$D/local
q=default,int8
[ "${TEAI_TEST_LIGHT:-}" = 1 ] && q=default
nq=$(echo "$q" | tr ',' '\n' | wc -l)
t0=$(date +%s)
# the binary found as teai remote finds it: $TEAI_DEVICE_DIR/teai-aarch64
expect 0 "$T" remote arm sweep -m "$M" --quantize "$q" -n 2 --repetitions 1 --warmup 0 \
    --output-dir "$O"
echo "aarch64 sweep under qemu: $(($(date +%s) - t0)) s"
grep -q "copying the aarch64 device binary" "$D/err" || fail "binary not copied: $(cat "$D/err")"
cmp -s "$BIN" "$D/warm/bin/teai" || fail "the device's binary is not the aarch64 one"
grep -q "^teai remote: arm: $nq logs\? fetched" "$D/out" || fail "summary: $(cat "$D/out")"
for L in "$O"/*.txt; do
    grep -q "^machine: aarch64$" "$L" || fail "$L: machine: $(grep '^machine' "$L")"
    tail -n 1 "$L" | grep -q '"status":"ok"' || fail "$L does not end ok"
done
expect 0 "$T" collate --dir "$O"
n=$(tr -d '\r' <"$O/native.csv" | grep -c ',aarch64,arm$')
[ "$n" -ge "$nq" ] || fail "wanted rows with machine aarch64, device arm: $(tail -n 2 "$O/native.csv")"
expect 0 "$T" device check arm
grep -q "device binary aarch64" "$D/out" && grep -q "sha256 $(sha256sum "$BIN" | cut -c1-64)" "$D/out" ||
    fail "check: $(cat "$D/out")"
finish
