# Shared by the tests/cli_*.sh tests (sourced, not run): the teai binary in
# $T, a scratch folder $D removed at exit, the fail/expect helpers, and the
# checks of named prerequisites (skip_test, has_feature, need_llama).
# The caller sets NAME before sourcing.
T=${TEAI_BIN:?TEAI_BIN is not set (run through ctest)}
D=${TEAI_TEST_TMP:-/tmp}/$NAME.$$
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT
# In sanitizer builds a report is a failure whatever exit code the command
# had: ASan and LSan write theirs to files in $D/.sanitizer (log_path, out of
# the tests' sight) that finish fails on; UBSan (which writes to stderr whatever log_path says) exits 198,
# a code no check accepts, and expect looks for its report on stderr.
mkdir -p "$D/.sanitizer"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$D/.sanitizer/report"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}log_path=$D/.sanitizer/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=198"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect CODE CMD...: runs CMD, checks its exit code; output in $D/out, $D/err
expect() {
    want=$1
    shift
    "$@" >"$D/out" 2>"$D/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got (wanted $want): $* -- $(tail -c 400 "$D/err")"
    ! grep -q "runtime error: \|Sanitizer" "$D/err" || fail "sanitizer report: $* -- $(head -c 2000 "$D/err")"
}
# finish: prints the verdict and exits 0 when no check failed and no
# sanitizer reported anything (matched leak suppressions alone are no report)
finish() {
    for _f in "$D"/.sanitizer/report.*; do
        [ -f "$_f" ] && grep -q "ERROR: \|runtime error\|SUMMARY: " "$_f" &&
            fail "sanitizer report ($_f): $(head -c 4000 "$_f")"
    done
    [ "$fails" -eq 0 ] && echo "$NAME: all checks passed"
    [ "$fails" -eq 0 ]
    exit $?
}
# skip_test REASON: the whole test cannot run here (a named prerequisite is
# missing): says so and exits with ctest's skip code (SKIP_RETURN_CODE 77)
skip_test() {
    echo "skip: $*"
    exit 77
}
# has_feature NAME: NAME is compiled into this teai ("features:" line of
# teai --version: cjson curl llamacpp server cairo)
has_feature() {
    "$T" --version 2>/dev/null | grep -q "^features:.* $1\( \|\$\)"
}
# llama_missing: prints why the in-process llamacpp backend cannot run here
# and succeeds; fails (prints nothing) when it can: compiled in, and a
# libllama.so where teai looks for one ($TEAI_LLAMA_CPP, else the copy
# scripts/provision-llama.sh makes).
llama_missing() {
    if ! has_feature llamacpp; then
        echo "teai was built without llama.cpp (scripts/provision-llama.sh, then build again)"
        return 0
    fi
    _root=${TEAI_LLAMA_CPP:-${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp/install}
    for _s in lib . build/bin bin; do
        [ -r "$_root/$_s/libllama.so" ] && return 1
    done
    echo "no libllama.so in $_root (scripts/provision-llama.sh)"
    return 0
}
# need_llama WHAT: succeeds when the llamacpp backend can run WHAT here;
# otherwise prints "skip: WHAT: ..." and fails, or under TEAI_REQUIRE_LLAMA=1
# (.ci/run: the comparisons must run) counts a failure.
need_llama() {
    _why=$(llama_missing) || return 0
    if [ "${TEAI_REQUIRE_LLAMA:-}" = 1 ]; then
        fail "$1: llama.cpp is required (TEAI_REQUIRE_LLAMA=1): $_why"
    else
        echo "skip: $1: $_why"
    fi
    return 1
}
