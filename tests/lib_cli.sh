# Shared by the tests/cli_*.sh tests (sourced, not run): the teai binary in
# $T, a scratch folder $D removed at exit, and the fail/expect helpers.
# The caller sets NAME before sourcing.
T=${TEAI_BIN:?TEAI_BIN is not set (run through ctest)}
D=${TEAI_TEST_TMP:-/tmp}/$NAME.$$
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect CODE CMD...: runs CMD, checks its exit code; output in $D/out, $D/err
expect() {
    want=$1
    shift
    "$@" >"$D/out" 2>"$D/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got (wanted $want): $* -- $(tail -c 400 "$D/err")"
}
# finish: prints the verdict and exits 0 when no check failed
finish() {
    [ "$fails" -eq 0 ] && echo "$NAME: all checks passed"
    [ "$fails" -eq 0 ]
    exit $?
}
