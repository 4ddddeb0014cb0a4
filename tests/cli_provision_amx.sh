#!/bin/sh
# scripts/provision-llama.sh --amx-probe: the AMX decision --build makes
# (README "llama.cpp"): "absent" where the CPU does not advertise AMX,
# "unusable" with AMX off under TEAI_ASSUME_AMX_UNUSABLE=1, and the flags it
# then builds with really turn AMX off in the compilers here.
NAME=cli_provision_amx
. "$(dirname "$0")/lib_cli.sh"
S=${TEAI_SOURCE_DIR:?}/scripts/provision-llama.sh
# nothing is downloaded or written for the probe: an empty cache stays empty
C=$D/cache
mkdir -p "$C"

env -u TEAI_ASSUME_AMX_UNUSABLE -u TEAI_LLAMA_CPP XDG_CACHE_HOME="$C" sh "$S" --amx-probe >"$D/out" 2>"$D/err" ||
    fail "--amx-probe: exit $?: $(cat "$D/err")"
cat "$D/out"
if [ "$(uname -s):$(uname -m)" != Linux:x86_64 ]; then
    grep -q "^provision-llama: AMX absent: not probed" "$D/out" || fail "not x86-64 Linux: $(cat "$D/out")"
elif grep -qw amx_tile /proc/cpuinfo; then
    grep -q "^provision-llama: AMX \(usable\|unusable\): advertised" "$D/out" || fail "amx_tile listed: $(cat "$D/out")"
else
    grep -q "^provision-llama: AMX absent: not advertised by the CPU.*--build: GGML_NATIVE=ON as is" "$D/out" ||
        fail "no amx_tile: $(cat "$D/out")"
fi

TEAI_ASSUME_AMX_UNUSABLE=1 XDG_CACHE_HOME="$C" sh "$S" --amx-probe >"$D/out" 2>"$D/err" ||
    fail "--amx-probe (TEAI_ASSUME_AMX_UNUSABLE=1): exit $?: $(cat "$D/err")"
cat "$D/out"
grep -q "^provision-llama: AMX unusable: assumed unusable (TEAI_ASSUME_AMX_UNUSABLE=1); --build: AMX off (-mno-amx-tile -mno-amx-int8 -mno-amx-bf16;" "$D/out" ||
    fail "TEAI_ASSUME_AMX_UNUSABLE=1: $(cat "$D/out")"
[ -z "$(ls -A "$C")" ] || fail "--amx-probe wrote into the cache: $(ls -A "$C")"

# the flags beat -march (native on an AMX machine; sapphirerapids here), in
# either order, in every compiler here that knows sapphirerapids
flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
for c in cc c++ gcc g++ clang clang++; do
    command -v "$c" >/dev/null 2>&1 || continue
    echo | "$c" -march=sapphirerapids -dM -E -x c - 2>/dev/null | grep -q __AMX_TILE__ || continue
    # shellcheck disable=SC2086
    n=$(echo | "$c" $flags -march=sapphirerapids -dM -E -x c - | grep -c '__AMX')
    [ "$n" -eq 0 ] || fail "$c: $flags -march=sapphirerapids still defines $n __AMX* macros"
done
finish
