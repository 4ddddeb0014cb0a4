#!/bin/sh
# Write errors say what happened: a file teai writes on a full disk fails
# with a line that names the file and the system's reason ("No space left on
# device"), exit 1, and keeps what was measured before. The disk is a small
# tmpfs mounted in a user namespace (unshare -rm), filled by `teai bench`
# itself, then filled up for the other writers: collate's CSV, plot's PNG,
# report's PDF, model synth's GGUF. Standard output on /dev/full, too.
set -u
NAME=cli_write_errors
. "$(dirname "$0")/lib_cli.sh"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
expect 0 "$T" bench -m "$M" -n 4 --repetitions 2 --warmup 0 --output-dir "$D/data" -q
expect 0 "$T" collate --dir "$D/data"

# standard output on a full device: an error, not a silent success
if [ -w /dev/full ]; then
    "$T" model info "$M" >/dev/full 2>"$D/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "stdout on /dev/full: exit $rc (wanted 1)"
    grep -q "^teai model: standard output: write: No space left on device$" "$D/err" ||
        fail "stdout on /dev/full: $(cat "$D/err")"
else
    echo "skip: stdout on a full device: no /dev/full here"
fi

# the full disk: needs a mount namespace of our own
MNT=$D/mnt
mkdir -p "$MNT" "$D/res"
# (a user namespace, or as root a plain mount namespace: a chroot, where
# user namespaces are refused and / is no mount point to make private)
probe='mount --make-rprivate / 2>/dev/null; mount -t tmpfs -o size=16k teai-probe "$1"'
NS="unshare -rm"
if ! $NS sh -c "$probe" sh "$MNT" 2>"$D/err"; then
    NS="unshare -m --propagation unchanged"
    if [ "$(id -u)" -ne 0 ] || ! $NS sh -c "$probe" sh "$MNT" 2>>"$D/err"; then
        [ "$fails" -eq 0 ] || finish
        skip_test "a full disk: cannot mount a tmpfs in a mount namespace (unshare: $(head -n 1 "$D/err"))"
    fi
fi
cat >"$D/inner.sh" <<'EOF'
MNT=$1 D=$2 T=$3 M=$4 R=$2/res
mount --make-rprivate / 2>/dev/null
mount -t tmpfs -o size=32k teai-full "$MNT" || exit 90
trap 'umount "$MNT"' EXIT
mkdir "$MNT/data" && cp "$D"/data/*.txt "$MNT/data/" || exit 91
run() { # run NAME CMD...: exit code and stderr into $R/NAME.rc, $R/NAME.err
    _n=$1
    shift
    "$@" >"$R/$_n.out" 2>"$R/$_n.err"
    echo $? >"$R/$_n.rc"
}
# bench fills the disk itself, token by token
run bench "$T" bench -m "$M" -n 100000 --repetitions 1 --warmup 0 --output-dir "$MNT/out" -q
for f in "$MNT"/out/*.txt; do cp "$f" "$R/bench.log"; echo "$f" >"$R/bench.path"; done
cat /dev/zero >"$MNT/fill" 2>/dev/null # whatever room is left
run collate "$T" collate --dir "$MNT/data"
run plot "$T" plot --dir "$D/data" --output-dir "$MNT/plots"
run report "$T" report --dir "$D/data" -o "$MNT/report.pdf"
run synth "$T" model synth --shape tiny -o "$MNT/model.gguf"
ls "$MNT/data" >"$R/data.ls"
EOF
$NS sh "$D/inner.sh" "$MNT" "$D" "$T" "$M"
rc=$?
[ "$rc" -eq 0 ] || fail "the full-disk script failed ($rc)"

# check NAME COMMAND FILE-PATTERN: exit 1 and a line "teai COMMAND: FILE: ...
# No space left on device"
check() {
    _rc=$(cat "$D/res/$1.rc" 2>/dev/null)
    [ "$_rc" = 1 ] || fail "$1 on a full disk: exit ${_rc:-none} (wanted 1): $(cat "$D/res/$1.err" 2>/dev/null)"
    grep -q "^teai $2: $3: .*No space left on device$" "$D/res/$1.err" ||
        fail "$1 on a full disk: no line naming $3 and the reason: $(cat "$D/res/$1.err" 2>/dev/null)"
}
check bench bench "$MNT/out/native_[^ ]*\.txt"
check collate collate "$MNT/data/native\.csv"
check plot "plot: [a-z_]*" "$MNT/plots/[a-z_]*\.png"
check report report "$MNT/report[^ ]*"
check synth "model synth" "$MNT/model\.gguf"
grep -q "input/output error" "$D"/res/*.err && fail "a write error reported as 'input/output error': $(cat "$D"/res/*.err)"

# what bench measured before the disk filled is in its log: the header,
# the prefill and complete token lines, and stderr says where
L=$D/res/bench.log
[ -f "$L" ] || fail "bench left no log on the full disk"
grep -q '^backend: native$' "$L" || fail "the log lost its header"
[ "$(grep -c '^{"event":"token".*}$' "$L")" -ge 10 ] || fail "the log lost the measured tokens"
grep -q "what was measured before the failed write is in $(cat "$D/res/bench.path")" "$D/res/bench.err" ||
    fail "bench does not say where the measurements are: $(cat "$D/res/bench.err")"
# a CSV that cannot be written leaves no temporary file behind
grep -q 'tmp' "$D/res/data.ls" && fail "collate left a temporary file: $(cat "$D/res/data.ls")"

finish
