#!/bin/sh
# Builds the device binary: one statically linked teai with what a device
# needs to measure (the engine, model, generate, bench, sweep, probe, eval
# ppl), without cairo, libcurl, the server or llama.cpp: figures and the
# report are made on the host from the logs (docs/device.md).
#
#   scripts/build-device.sh ARCH [OUTDIR]
#
# ARCH: x86_64, aarch64 or armv7. OUTDIR (default <repo>/build/device) gets
# teai-ARCH; its CMake build folder is OUTDIR/build-ARCH (incremental: a
# second call rebuilds only what changed). The binary's path is the last
# line on stdout. An architecture other than this machine's is cross-
# compiled with Debian's cross compiler (cmake/toolchain-ARCH.cmake); when
# that is missing, one line names the package and the exit status is 77.
# Environment: JOBS (default 2), CC_x86_64 / CC_aarch64 / CC_armv7 (the
# compiler to use for that architecture).
# Exit status: 0 built, 2 usage error, 77 no compiler, 1 the build failed.
set -eu

usage() {
    echo "usage: scripts/build-device.sh x86_64|aarch64|armv7 [OUTDIR]" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
arch=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/build/device}
jobs=${JOBS:-2}

case $arch in
x86_64) triple=x86_64-linux-gnu pkg=gcc-x86-64-linux-gnu ;;
aarch64) triple=aarch64-linux-gnu pkg=gcc-aarch64-linux-gnu ;;
armv7) triple=arm-linux-gnueabihf pkg=gcc-arm-linux-gnueabihf ;;
*)
    echo "build-device: unknown architecture '$arch' (x86_64, aarch64 or armv7)" >&2
    exit 2
    ;;
esac

# This machine's architecture, in the same names.
case $(uname -m) in
x86_64 | amd64) host=x86_64 ;;
aarch64 | arm64) host=aarch64 ;;
armv7l | armv8l | armv7) host=armv7 ;;
*) host=other ;;
esac

# The compiler: CC_<arch> if set; on a machine of that architecture the
# native cc; else the cross compiler (with the CMake toolchain file).
eval "cc=\${CC_$arch:-}"
toolchain=
if [ -z "$cc" ]; then
    if [ "$host" = "$arch" ]; then
        cc=cc
        command -v cc >/dev/null 2>&1 || cc=gcc
        command -v "$cc" >/dev/null 2>&1 || cc=clang
    else
        cc=$triple-gcc
    fi
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "build-device: $cc not found (apt-get install $pkg)"
    exit 77
fi
if [ "$host" != "$arch" ]; then
    toolchain=$root/cmake/toolchain-$arch.cmake
fi
# A static binary needs the C library's static archive (libc.a): Debian's
# libc6-dev, the cross compilers' libc6-dev-*-cross (pulled in by them).
if ! printf 'int main(void) { return 0; }\n' | "$cc" -x c -static -o /dev/null - >/dev/null 2>&1; then
    echo "build-device: $cc cannot link a static program (no libc.a; apt-get install $pkg, or libc6-dev for the native compiler)"
    exit 77
fi

# cJSON (Hugging Face folders, tokenizer.json) only where a static libcjson.a
# exists for the target: Debian's libcjson-dev ships the shared library
# alone, so a device build from Debian leaves it out (GGUF models need none).
cjson=OFF
for d in /usr/lib/$triple /usr/$triple/lib; do
    if [ "$host" = "$arch" ] && [ -f "$d/libcjson.a" ] && [ -f /usr/include/cjson/cJSON.h ]; then
        cjson="ON -DCJSON_LIBRARY=$d/libcjson.a"
        break
    fi
done

bdir=$out/build-$arch
mkdir -p "$bdir"
set -- -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
    -DTEAI_STATIC=ON -DTEAI_BUILD_TESTS=OFF -DTEAI_NATIVE=OFF -DTEAI_SANITIZE=OFF \
    -DTEAI_WITH_CAIRO=OFF -DTEAI_WITH_CURL=OFF -DTEAI_WITH_MHD=OFF -DTEAI_WITH_LLAMA=OFF
[ -n "$toolchain" ] && set -- "$@" -DCMAKE_TOOLCHAIN_FILE="$toolchain"
# shellcheck disable=SC2086
set -- "$@" -DTEAI_WITH_CJSON=$cjson
log=$bdir/configure.log
# Configure output goes to configure.log, the compiler's lines to build.log;
# on failure their end is shown. A configured folder is configured again only when the flags change.
flags=$(printf '%s\n' "$@" | grep -v '^-[SB]$' | tr '\n' ' ')
if [ ! -f "$bdir/CMakeCache.txt" ] || [ "$(cat "$bdir/device-flags" 2>/dev/null)" != "$flags" ]; then
    if ! cmake "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "build-device: configuring $arch failed (log: $log)" >&2
        exit 1
    fi
    printf '%s' "$flags" >"$bdir/device-flags"
fi
blog=$bdir/build.log
if ! cmake --build "$bdir" -j "$jobs" --target teai >"$blog" 2>&1; then
    grep -E 'error|Error' "$blog" | tail -n 20 >&2 || tail -n 30 "$blog" >&2
    echo "build-device: building $arch failed (log: $blog)" >&2
    exit 1
fi
# Linker warnings (a static glibc binary calling getpwnam, dlopen, ...) mean a
# call that needs the build machine's shared libraries at run time: say so.
if grep -q 'statically linked applications requires at runtime' "$blog"; then
    grep 'statically linked applications requires at runtime' "$blog" | sort -u >&2
fi

# Stripped, then renamed into place: a reader never sees a half-written file.
strip=strip
[ "$host" != "$arch" ] && command -v "$triple-strip" >/dev/null 2>&1 && strip=$triple-strip
cp "$bdir/teai" "$out/.teai-$arch.tmp"
"$strip" "$out/.teai-$arch.tmp"
mv -f "$out/.teai-$arch.tmp" "$out/teai-$arch"
echo "$out/teai-$arch"
