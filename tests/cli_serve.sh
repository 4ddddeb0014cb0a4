#!/bin/sh
# teai serve's command line: usage errors, a missing model, a port already
# taken, and SIGINT on an idle server (exit 0). The HTTP side is tested by
# tests/test_server_http.c.
set -u
NAME=cli_serve
. "$(dirname "$0")/lib_cli.sh"

has_feature server || skip_test "teai serve missing: teai was built without cJSON (libcjson-dev)"

M=$D/tiny.gguf
expect 0 "$T" model synth --shape tiny --layers 1 -o "$M"
expect 0 "$T" serve --help
grep -q -- "--max-body" "$D/out" || fail "--help lacks --max-body"
expect 2 "$T" serve
expect 2 "$T" serve -m "$M" --port 65536
expect 2 "$T" serve -m "$M" --quantize q9
expect 2 "$T" serve -m "$M" --queue -1
expect 2 "$T" serve -m "$M" --api-key ""
expect 2 "$T" serve -m "$M" --bogus
expect 3 "$T" serve -m "$D/missing.gguf"
grep -q "missing.gguf" "$D/err" || fail "missing model: $(cat "$D/err")"
printf '' >"$D/empty.key"
expect 3 "$T" serve -m "$M" --api-key-file "$D/empty.key"

# an API key with blanks around it could never match: refused at start-up, one line
expect 2 "$T" serve -m "$M" --api-key " secret"
grep -q "api-key begins or ends with a blank" "$D/err" || fail "padded key: $(cat "$D/err")"
[ "$(wc -l <"$D/err")" -le 2 ] || fail "padded key: more than a line: $(cat "$D/err")"
printf 'secret \n' >"$D/padded.key"
expect 3 "$T" serve -m "$M" --api-key-file "$D/padded.key"
grep -q "padded.key: the API key begins or ends with a blank" "$D/err" || fail "padded key file: $(cat "$D/err")"
expect 2 "$T" serve -m "$M" --max-connections 0
expect 2 "$T" serve -m "$M" --max-per-ip x
expect 2 "$T" serve -m "$M" --header-timeout 0
expect 2 "$T" serve -m "$M" --idle-timeout -5

# teai model info prints metadata from the file with control characters escaped
cp "$M" "$D/esc.gguf"
off=$(grep -obUa "teai synthetic tiny" "$D/esc.gguf" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no general.name in the synthesized model"
printf '\033[2Jteai\nforged!!!!' | dd of="$D/esc.gguf" bs=1 seek="$off" conv=notrunc 2>/dev/null
expect 0 "$T" model info "$D/esc.gguf"
grep -q 'name: *\\x1b\[2Jteai\\x0aforged' "$D/out" || fail "model info name: $(cat "$D/out")"
if grep -q "$(printf '\033')" "$D/out"; then fail "model info printed a raw ESC"; fi
grep -q '^forged' "$D/out" && fail "model info printed a forged line"

# an idle server: the startup line, then SIGINT -> exit 0
"$T" serve -m "$M" --port 0 -t 1 2>"$D/s1.err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q "listening on" "$D/s1.err"; do
    sleep 0.1
    i=$((i + 1))
done
line=$(grep "listening on" "$D/s1.err")
echo "$line" | grep -q '^teai serve: listening on http://127.0.0.1:[0-9][0-9]* (model tiny.gguf, weights f16)$' || fail "startup line: $(cat "$D/s1.err")"
port=$(echo "$line" | sed 's/.*127.0.0.1:\([0-9]*\).*/\1/')

# the same port again: a one-line error naming it, exit 1
expect 1 "$T" serve -m "$M" --port "$port"
grep -q "port $port" "$D/err" || fail "port in use: $(cat "$D/err")"

kill -INT $pid
wait $pid
rc=$?
[ "$rc" -eq 0 ] || fail "SIGINT: exit $rc, wanted 0 ($(cat "$D/s1.err"))"
grep -q "stopped" "$D/s1.err" || fail "no 'stopped' line: $(cat "$D/s1.err")"
finish
