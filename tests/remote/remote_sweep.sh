#!/bin/sh
# teai device add/list/check/remove and teai remote sweep over a loopback
# OpenSSH server: the device binary is put into a separate workdir, the model
# copied there (by hash; a second call copies nothing), the sweep runs there
# with its progress shown as [NAME] lines, each log comes back into the local
# output folder, and collate gives the device's name and architecture.
set -u
NAME=remote_sweep
. "$(dirname "$0")/../lib_cli.sh"
. "$(dirname "$0")/sshd.sh"
sshd_start

BIN=$(device_binary x86_64)
if [ -z "$BIN" ]; then
    echo "note: no static x86_64 device binary in ${TEAI_DEVICE_DIR:-?}; using $T"
    BIN=$T
fi
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"

# the list: empty, add, a duplicate refused, list, a comment kept on save
expect 0 "$T" device list
grep -q "no devices" "$D/out" || fail "empty list: $(cat "$D/out")"
expect 0 "$T" device add box ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/dev box"
expect 2 "$T" device add box ssh://teai-loop
grep -q "device 'box' exists" "$D/err" || fail "duplicate: $(cat "$D/err")"
expect 2 "$T" device add 'bad name' ssh://teai-loop
expect 2 "$T" device add ok2 http://teai-loop
grep -q "expected ssh://" "$D/err" || fail "bad url: $(cat "$D/err")"
printf '# my devices\n\n' | cat - "$TEAI_CONFIG_DIR/devices" >"$D/dl" && cp "$D/dl" "$TEAI_CONFIG_DIR/devices"
expect 0 "$T" device add spare adb://XYZ --exec-prefix "qemu-aarch64 -cpu max"
grep -q '^# my devices$' "$TEAI_CONFIG_DIR/devices" || fail "comment lost: $(cat "$TEAI_CONFIG_DIR/devices")"
grep -q '^spare adb://XYZ exec-prefix="qemu-aarch64 -cpu max"$' "$TEAI_CONFIG_DIR/devices" ||
    fail "quoted value: $(cat "$TEAI_CONFIG_DIR/devices")"
expect 0 "$T" device list
grep -q "^box  *ssh://teai-loop  *$D/dev box" "$D/out" || fail "list: $(cat "$D/out")"
grep -q "^spare  *adb://XYZ  */data/local/tmp/teai  *exec-prefix=" "$D/out" || fail "list: $(cat "$D/out")"
expect 0 "$T" device remove spare
expect 3 "$T" device remove spare
grep -q "spare" "$TEAI_CONFIG_DIR/devices" && fail "removed device still listed"
# a malformed line: FILE:LINE
cp "$TEAI_CONFIG_DIR/devices" "$D/good"
echo 'x ssh://h nokey' >>"$TEAI_CONFIG_DIR/devices"
expect 3 "$T" device list
grep -q "devices:4: 'nokey': expected key=value" "$D/err" || fail "bad line: $(cat "$D/err")"
cp "$D/good" "$TEAI_CONFIG_DIR/devices"

# check: reachable, its architecture and memory; no teai there yet
expect 0 "$T" device check box
grep -q "reachable" "$D/out" && grep -q "architecture  $(uname -m)" "$D/out" &&
    grep -q "RAM  " "$D/out" && grep -q "free disk" "$D/out" && grep -q "teai  *none" "$D/out" ||
    fail "check: $(cat "$D/out")"

# the sweep there
O=$D/local
t0=$(date +%s)
expect 0 "$T" remote box --device-binary "$BIN" sweep -m "$M" --quantize default,int8 -n 3 \
    --repetitions 1 --warmup 0 --output-dir "$O"
echo "remote sweep: $(($(date +%s) - t0)) s"
cp "$D/out" "$D/out1"
cp "$D/err" "$D/err1"
grep -q "^teai remote: box: 2 logs fetched into $O$" "$D/out1" || fail "summary: $(cat "$D/out1")"
grep -q "^\[box\] copying" "$D/err1" || fail "no copy progress: $(cat "$D/err1")"
grep -q "^\[box\] " "$D/out1" || fail "no sweep output: $(cat "$D/out1")"
[ "$(ls "$O"/*.txt 2>/dev/null | wc -l)" -eq 2 ] || fail "local logs: $(ls -a "$O")"
ls -a "$O" | grep -q '\.part$' && fail "a partial file left: $(ls -a "$O")"
[ -x "$D/dev box/bin/teai" ] || fail "no binary in the workdir"
ls "$D/dev box/files/"*-tiny.gguf >/dev/null 2>&1 || fail "no model copy: $(ls "$D/dev box/files")"
for L in "$O"/*.txt; do
    tail -n 1 "$L" | grep -q '"status":"ok"' || fail "$L does not end ok"
    grep -q "^device_name: box$" "$L" || fail "$L: no device_name"
    cmp -s "$L" "$D/dev box/runs/"*/"$(basename "$L")" || fail "$L differs from the device's"
done
expect 0 "$T" collate --dir "$O"
# machine and device_name columns hold this machine's architecture and the device
# machine and device_name are the last columns (a quoted field before them
# holds commas; the lines end in CRLF)
head -n 1 "$O/native.csv" | tr -d '\r' | grep -q ',machine,device_name$' ||
    fail "columns: $(head -n 1 "$O/native.csv")"
for r in 2 3; do
    row=$(sed -n "${r}p" "$O/native.csv" | tr -d '\r')
    case $row in *",$(uname -m),box") ;; *) fail "machine, device_name: $row" ;; esac
done

# check again: the binary there, its hash and teai probe's output
expect 0 "$T" device check box
grep -q "sha256 $(sha256sum "$BIN" | cut -c1-64)" "$D/out" || fail "check hash: $(cat "$D/out")"
grep -q "teai " "$D/out" || fail "check version: $(cat "$D/out")"

# again: nothing copied, both configurations skipped there, nothing new fetched
expect 0 "$T" remote box --device-binary "$BIN" sweep -m "$M" --quantize default,int8 -n 3 \
    --repetitions 1 --warmup 0 --output-dir "$O"
grep -q "copying" "$D/err" && fail "copied again: $(cat "$D/err")"
grep -q "2 skipped" "$D/out" || fail "not skipped: $(cat "$D/out")"
grep -q "^teai remote: box: 0 logs fetched" "$D/out" || fail "second summary: $(cat "$D/out")"
[ "$(ls "$O"/*.txt | wc -l)" -eq 2 ] || fail "logs after the second call: $(ls "$O")"

# a resumed model copy: half of it there as .part, the rest appended
rm -f "$D/dev box/files/"*
H=$(sha256sum "$M" | cut -c1-16)
head -c 1000 "$M" >"$D/dev box/files/$H-tiny.gguf.part"
expect 0 "$T" remote box --device-binary "$BIN" bench -m "$M" -n 2 --repetitions 1 --warmup 0 \
    --output-dir "$D/b"
grep -q "resumed" "$D/err" || fail "not resumed: $(cat "$D/err")"
cmp -s "$M" "$D/dev box/files/$H-tiny.gguf" || fail "resumed copy differs"
[ "$(ls "$D/b"/*.txt 2>/dev/null | wc -l)" -eq 1 ] || fail "bench log: $(ls "$D/b")"
finish
