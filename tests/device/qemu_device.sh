#!/bin/sh
# A device binary (scripts/build-device.sh ARCH) run under qemu-user as a
# device would run it: static (no program interpreter), for the right
# machine; --version, probe, model info, bench, and sweep with eval ppl on a
# tiny model synthesized by the host's teai. Then the logs are collated on
# the host: the CSV has the same columns as a native run's, the device's
# machine (uname -m there: aarch64, armv7l) and a tokens_per_sec in every
# row; the perplexity records (written without cJSON on the device) read
# back into accuracy.csv.
#
#   tests/device/qemu_device.sh aarch64|armv7   (ctest device_qemu_ARCH)
#
# Environment: TEAI_BIN (the host's teai), TEAI_DEVICE_DIR (where the
# fixture device_build_ARCH put teai-ARCH), TEAI_TEST_TMP.
# Skips (77) naming the package when qemu-user or the build is missing.
set -u
ARCH=${1:?usage: qemu_device.sh aarch64|armv7}
NAME=device_qemu_$ARCH
. "$(dirname "$0")/../lib_cli.sh"

case $ARCH in
# machines: what uname -m says there (the log's machine key), qemu's first
aarch64) qemu_names="qemu-aarch64 qemu-aarch64-static" elf=AArch64 pkg=gcc-aarch64-linux-gnu machines=aarch64 ;;
armv7) qemu_names="qemu-arm qemu-arm-static" elf=ARM pkg=gcc-arm-linux-gnueabihf machines="armv7l armv8l armv7" ;;
*) skip_test "unknown architecture $ARCH" ;;
esac
Q=
for q in $qemu_names; do
    if command -v "$q" >/dev/null 2>&1; then
        Q=$q
        break
    fi
done
[ -n "$Q" ] || skip_test "qemu-user not found (apt-get install qemu-user)"
command -v readelf >/dev/null 2>&1 || skip_test "readelf not found (apt-get install binutils)"
B=${TEAI_DEVICE_DIR:?TEAI_DEVICE_DIR is not set (run through ctest)}/teai-$ARCH
[ -x "$B" ] || skip_test "no $B: device_build_$ARCH was skipped (apt-get install $pkg)"
command -v python3 >/dev/null 2>&1 || skip_test "python3 not found (apt-get install python3): it reads the CSVs"

# Static: no program interpreter (PT_INTERP) and no shared-library needs.
readelf -l "$B" >"$D/phdr" 2>&1 || fail "readelf -l $B: $(head -c 300 "$D/phdr")"
! grep -q INTERP "$D/phdr" || fail "$B has a program interpreter: not static"
! readelf -d "$B" 2>/dev/null | grep -q NEEDED || fail "$B needs shared libraries: $(readelf -d "$B" | grep NEEDED)"
readelf -h "$B" | grep -q "Machine: *$elf" || fail "$B is not an $elf binary: $(readelf -h "$B" | grep Machine)"

# The device's own cache and config, apart from the host's (the host's
# cached bandwidth is not the device's).
export XDG_CACHE_HOME="$D/cache" XDG_CONFIG_HOME="$D/config"
DEV() { "$Q" "$B" "$@"; }

expect 0 DEV --version
grep -q '^teai [0-9]' "$D/out" || fail "--version: $(head -c 200 "$D/out")"
grep -q '^features: static$' "$D/out" || fail "--version: not 'features: static': $(cat "$D/out")"
expect 0 DEV probe --threads 1
grep -q "read bandwidth" "$D/out" || fail "probe measured no bandwidth: $(tail -n 3 "$D/out")"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
expect 0 DEV model info "$M"
grep -qi "llama\|tiny\|layers" "$D/out" || fail "model info says nothing of the model: $(head -c 300 "$D/out")"

# The same bench on the device and natively, into separate folders.
OD=$D/dev OH=$D/host
expect 0 DEV bench --backend native -m "$M" -n 6 --repetitions 2 --warmup 1 -t 1 --output-dir "$OD"
set -- "$OD"/native_*.txt
[ -f "$1" ] || fail "no native_*.txt log from the device in $OD: $(ls "$OD" 2>&1)"
mach=$(sed -n 's/^machine: //p' "$1")
case " $machines " in *" $mach "*) ;; *) mach= ;; esac
[ -n "$mach" ] || fail "device log header machine: $(grep '^machine' "$1")"
tail -n 1 "$1" | grep -q '"status":"ok"' || fail "device log does not end ok: $(tail -n 1 "$1")"
expect 0 "$T" bench --backend native -m "$M" -n 6 --repetitions 2 --warmup 1 -t 1 --output-dir "$OH"

# Collated on the host: the same columns; the device's machine and a
# tokens_per_sec in each row.
expect 0 "$T" collate --dir "$OD"
expect 0 "$T" collate --dir "$OH"
[ -s "$OD/native.csv" ] || fail "collate wrote no $OD/native.csv: $(ls "$OD")"
python3 - "$OD/native.csv" "$OH/native.csv" "$machines" >"$D/py" 2>&1 <<'PY' || fail "CSV check: $(cat "$D/py")"
import csv, sys
dev = list(csv.reader(open(sys.argv[1], newline="")))
host = list(csv.reader(open(sys.argv[2], newline="")))
if dev[0] != host[0]:
    sys.exit("columns differ: device %d, host %d" % (len(dev[0]), len(host[0])))
h = dev[0]
for col in ("machine", "tokens_per_sec"):
    if col not in h:
        sys.exit("no column " + col)
rows = dev[1:]
if len(rows) < 2:
    sys.exit("wanted a row per repetition, got %d" % len(rows))
m, t = h.index("machine"), h.index("tokens_per_sec")
for r in rows:
    if r[m] not in sys.argv[3].split():
        sys.exit("machine %r, wanted one of %r" % (r[m], sys.argv[3]))
    if not r[t] or float(r[t]) <= 0:
        sys.exit("tokens_per_sec %r" % r[t])
hm = host[0].index("machine")
if any(r[hm] in sys.argv[3].split() for r in host[1:]):
    sys.exit("the host's rows say %s too" % host[1][hm])
PY

# teai sweep with eval ppl on the device, against a KL base the host made
# (the base's file is the same on every architecture): two configurations
# whose records go into one results file, written without cJSON there (the
# second appended to the first), that the host's collate reads.
awk 'BEGIN { split("the cat sat on a mat and then it slept while dogs ran around the house", w, " ");
  s = 7; for (i = 0; i < 600; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%s ", w[1 + int(s / 65536) % 16] } print "" }' >"$D/text.txt"
expect 0 "$T" eval ppl -m "$M" --quantize float16 --text "$D/text.txt" --ctx 32 --chunks 2 -t 1 --kl-base "$D/base.kl"
OS=$D/sweep
expect 0 DEV sweep -m "$M" --quantize default,q8_0 -n 4 --repetitions 1 --warmup 0 --threads 1 \
    --eval ppl --eval-kl-base "$D/base.kl" --output-dir "$OS"
grep -q "eval ppl: 2 run, 0 skipped (recorded), 0 failed" "$D/out" || fail "device sweep eval ppl: $(tail -n 3 "$D/out")"
set -- "$OS"/verifiers_results/native_sweep_perplexity_1B_*.json
[ $# -eq 1 ] && [ -f "$1" ] || fail "wanted one perplexity results file from the device: $(ls "$OS/verifiers_results" 2>&1)"
python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
assert isinstance(l, list) and [r["quantization"] for r in l] == ["default", "q8_0"], l
for r in l:
    assert r["environment"] == "perplexity" and r["returncode"] == 0, r
    assert set(r["metrics"]) >= {"ppl", "kl_divergence", "top1_agreement", "delta_p"}, r["metrics"]
    assert r["metrics"]["ppl"]["avg"] > 0 and len(r["metrics"]["ppl"]["ci95"]) == 2, r
' "$1" 2>"$D/py" || fail "device perplexity records: $(tail -n 3 "$D/py")"
# again: nothing to do (the logs are complete, the records are read back
# without cJSON and found)
expect 0 DEV sweep -m "$M" --quantize default,q8_0 -n 4 --repetitions 1 --warmup 0 --threads 1 \
    --eval ppl --eval-kl-base "$D/base.kl" --output-dir "$OS"
grep -q "sweep: 2 configurations: 0 run, 2 skipped" "$D/out" || fail "device sweep did not resume: $(tail -n 3 "$D/out")"
grep -q "eval ppl: 0 run, 2 skipped (recorded)" "$D/out" || fail "device sweep ran recorded evaluations again: $(tail -n 3 "$D/out")"
expect 0 "$T" collate --dir "$OS"
[ "$(grep -c 'perplexity' "$OS/accuracy.csv" 2>/dev/null)" -ge 2 ] ||
    fail "accuracy.csv lacks the device's perplexity records: $(head -n 5 "$OS/accuracy.csv" 2>&1)"
grep -q 'kl_divergence' "$OS/accuracy.csv" || fail "accuracy.csv lacks the device's kl_divergence rows"

finish
