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
