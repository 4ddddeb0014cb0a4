#!/bin/sh
# teai remote's errors, each one line on stderr naming the device and what
# failed, with a non-zero exit: an unknown device, an unreachable host (a
# closed port), a wrong key, not enough disk (a reserve above the real free
# space df reports there), a device binary that is missing, and one that
# cannot run there (an exec prefix that fails; a binary of another
# architecture, when one is at hand).
set -u
NAME=remote_errors
. "$(dirname "$0")/../lib_cli.sh"
. "$(dirname "$0")/sshd.sh"
sshd_start

BIN=$(device_binary x86_64)
[ -n "$BIN" ] || BIN=$T
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
# one_line CODE DEVICE PATTERN CMD...: exit CODE, one stderr line (besides
# the [DEVICE] progress lines) naming DEVICE matching PATTERN
one_line() {
    _code=$1 _dev=$2 _pat=$3
    shift 3
    expect "$_code" "$@"
    [ "$(grep -vc '^\[' "$D/err")" -eq 1 ] || fail "$* -- wanted one line: $(cat "$D/err")"
    grep -q "$_dev" "$D/err" || fail "$* -- device $_dev not named: $(cat "$D/err")"
    grep -q "$_pat" "$D/err" || fail "$* -- wanted '$_pat': $(cat "$D/err")"
}
sweep() { echo sweep -m "$M" -n 2 --quantize default --repetitions 1 --warmup 0 --output-dir "$D/o"; }

one_line 3 nosuch "unknown device 'nosuch' (teai device list; $TEAI_CONFIG_DIR/devices)" \
    "$T" remote nosuch $(sweep)
one_line 2 "remote" "expected sweep or bench" "$T" remote nosuch generate

# a closed port (1: privileged, nothing listens there)
port=1
expect 0 "$T" device add closed "ssh://127.0.0.1:$port" --ssh-config "$SSH_CFG" --workdir "$D/w"
one_line 1 closed "teai remote: closed (ssh://127.0.0.1:$port): cannot connect: .*refused" \
    "$T" remote closed --device-binary "$BIN" $(sweep)
one_line 1 closed "closed (ssh://127.0.0.1:$port): cannot connect" "$T" device check closed

# a key the server does not know
ssh-keygen -q -t ed25519 -N '' -f "$S/wrong_key" >/dev/null
sed "s|IdentityFile .*|IdentityFile $S/wrong_key|" "$SSH_CFG" >"$S/ssh_config_wrong"
expect 0 "$T" device add wrongkey ssh://teai-loop --ssh-config "$S/ssh_config_wrong" --workdir "$D/w"
one_line 1 wrongkey "cannot connect: .*Permission denied" "$T" remote wrongkey --device-binary "$BIN" $(sweep)

# not enough disk: a reserve above what df says is free there
free_mb=$(($(df -Pk "$D" | awk 'NR==2 {print $4}') / 1024))
expect 0 "$T" device add full ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/wfull" \
    --reserve $((free_mb + 1000))
one_line 1 full "teai remote: full: not enough disk in $D/wfull: [0-9]* MB to copy + $((free_mb + 1000)) MB reserve, [0-9]* MB free" \
    "$T" remote full --device-binary "$BIN" $(sweep)
[ -e "$D/wfull/bin/teai" ] && fail "copied though the disk is full"

# the device binary: missing; one whose run fails there (the exec prefix)
expect 0 "$T" device add box ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/wbox"
one_line 1 box "no .* device binary ($D/nonexistent missing; make device ARCH=" \
    "$T" remote box --device-binary "$D/nonexistent" $(sweep)
expect 0 "$T" device add broken ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$D/wbroken" \
    --exec-prefix false
one_line 1 broken "teai remote: broken: the device binary $BIN cannot run there: exit status 1" \
    "$T" remote broken --device-binary "$BIN" $(sweep)
# another architecture's binary, no qemu in front
other=$(device_binary aarch64)
if [ -n "$other" ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    one_line 1 box "teai remote: box: the device binary $other cannot run there: .*" \
        "$T" remote box --device-binary "$other" $(sweep)
else
    echo "skip: no aarch64 device binary (or binfmt runs it anyway): wrong-architecture case"
fi
[ -d "$D/o" ] && [ -n "$(ls "$D/o")" ] && fail "a failed call left logs: $(ls "$D/o")"
finish
