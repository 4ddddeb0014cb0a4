#!/bin/sh
# A connection dropped in the middle of teai remote sweep (the sshd session
# process killed): the call ends with one line saying so and fetches every
# log the device finished; the device's sweep stops (its parent went) with
# the log it was writing marked interrupted; the next call fetches what is
# new, resumes the sweep, and in the end every configuration has a complete
# log here, the same bytes as there.
set -u
NAME=remote_interrupt
. "$(dirname "$0")/../lib_cli.sh"
. "$(dirname "$0")/sshd.sh"
sshd_start

BIN=$(device_binary x86_64)
[ -n "$BIN" ] || BIN=$T
M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny -o "$M"
W=$D/work
expect 0 "$T" device add box ssh://teai-loop --ssh-config "$SSH_CFG" --workdir "$W"

# 4 configurations of at least a second each (a fixed 1 s cool-down before
# the repetition), so the kill lands while the sweep runs
O=$D/local
run() {
    "$T" remote box --device-binary "$BIN" sweep -m "$M" --quantize default,int8 -n 3,4 \
        --repetitions 1 --warmup 0 --cooldown 1 --output-dir "$O"
}
run >"$D/out1" 2>"$D/err1" &
rp=$!
wait_logs "$O" 60 || fail "no log fetched within 60 s: $(cat "$D/err1")"
sleep 0.3
killed=$(sshd_sessions)
[ -n "$killed" ] || fail "no sshd session to kill"
for p in $killed; do kill -9 "$p" 2>/dev/null; done
wait $rp
rc=$?
[ $rc -ne 0 ] || fail "teai remote succeeded though its connection was killed: $(cat "$D/out1")"
grep -q "teai remote: box: connection lost (.*); [0-9]* logs\? fetched into $O; run the same command again to resume" "$D/err1" ||
    fail "no connection-lost line: $(tail -n 5 "$D/err1")"
grep -c "connection lost" "$D/err1" | grep -qx 1 || fail "more than one line: $(cat "$D/err1")"
# the device's sweep stops with its parent (the session) gone
wait_gone "bin/teai sweep"
pgrep -f "$W.*bin/teai sweep\|bin/teai sweep.*runs/" >/dev/null && fail "the device's sweep still runs"
RD=$(ls -d "$W"/runs/*)
n_ok=0
for L in "$RD"/*.txt; do
    if tail -n 1 "$L" | grep -q '"status":"ok"'; then
        n_ok=$((n_ok + 1))
        # every log finished there is here, whole
        cmp -s "$L" "$O/$(basename "$L")" || fail "finished log $(basename "$L") not fetched whole"
    else
        tail -n 1 "$L" | grep -q '"status":"interrupted"' || fail "$(basename "$L") not marked interrupted: $(tail -n 1 "$L")"
    fi
done
[ $n_ok -lt 4 ] || fail "the kill came after the sweep ended (nothing interrupted)"
echo "after the kill: $n_ok of 4 complete there, $(ls "$O"/*.txt | wc -l) logs here"
ls "$O" | grep -q '\.part$' && fail "partial file left: $(ls -a "$O")"

# the same command again: fetches, resumes, completes
run >"$D/out" 2>"$D/err"
rc=$?
[ $rc -eq 0 ] || fail "second call: exit $rc: $(tail -n 5 "$D/err")"
grep -q "$n_ok skipped" "$D/out" || fail "the sweep did not resume: $(cat "$D/out")"
n_ok=0
for L in "$O"/*.txt; do
    tail -n 1 "$L" | grep -q '"status":"ok"' && n_ok=$((n_ok + 1))
done
[ $n_ok -eq 4 ] || fail "wanted 4 complete logs here, $n_ok: $(ls "$O")"
for L in "$RD"/*.txt; do
    cmp -s "$L" "$O/$(basename "$L")" || fail "$(basename "$L") differs from the device's"
done
expect 0 "$T" collate --dir "$O"

# SIGTERM (or Ctrl-C) to teai remote: it stops ssh, the device's sweep stops
# too, what finished is fetched, exit 130
O2=$D/local2
"$T" remote box --device-binary "$BIN" sweep -m "$M" --quantize default,int8 -n 5,6 \
    --repetitions 1 --warmup 0 --cooldown 1 --output-dir "$O2" >"$D/out3" 2>"$D/err3" &
rp=$!
wait_logs "$O2" 60
kill -TERM $rp
wait $rp
rc=$?
[ $rc -eq 130 ] || fail "SIGTERM: exit $rc: $(tail -n 3 "$D/err3")"
grep -q "^teai remote: box: interrupted; [0-9]* logs\? fetched into $O2; run the same command again to resume$" "$D/err3" ||
    fail "SIGTERM: $(tail -n 3 "$D/err3")"
wait_gone "bin/teai sweep.*-n 5,6" || fail "SIGTERM: the device's sweep still runs"
finish
