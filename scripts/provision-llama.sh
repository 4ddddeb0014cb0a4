#!/bin/sh
# Provisions llama.cpp for teai's comparison tests, into the user's cache
# (never into the repository). See docs/llama-cpp.md.
#
#   scripts/provision-llama.sh          sources + prebuilt libraries + headers
#   scripts/provision-llama.sh --build  also build llama-bench, llama-quantize,
#                                       llama-server, ... and the RPC worker
#                                       ggml-rpc-server (GGML_RPC=ON; also
#                                       linked as rpc-server) from the sources
#                                       (about 8 minutes on 2 cores)
#   scripts/provision-llama.sh --amx-probe  only say whether AMX runs here and
#                                       how --build would compile (no download)
#
# llama.cpp comes from the npm package node-llama-cpp@3.22.1, which ships the
# llama.cpp v0.5.0 sources as a git bundle; the prebuilt libraries come from
# @node-llama-cpp/<platform>@3.22.1. Layout, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/teai/llama.cpp:
#   npm/      the two npm tarballs
#   src/      git clone of the bundle (models/ggml-vocab-*.gguf test vectors)
#   install/  include/llama.h + ggml headers, lib/libllama.so ..., VERSION
#   build/    --build only: bin/llama-bench ..., bin/ggml-rpc-server;
#             AMX.txt, the AMX decision; BUILD_OK, what was built
#   VERSION   what is there (written last; its presence means "done")
# If TEAI_LLAMA_CPP names your own llama.cpp install, the script only checks it.
# The last line printed is the install path.
#
# --build compiles for this CPU (GGML_NATIVE=ON). Where the CPU advertises AMX
# (amx_tile in /proc/cpuinfo) a probe, compiled and run in a child process,
# asks the kernel for the tile state (arch_prctl ARCH_REQ_XCOMP_PERM) and runs
# ldtilecfg + tilezero; if that fails (VMs that advertise AMX without granting
# it: llama.cpp's AMX kernels then trap), the build has AMX off
# (-mno-amx-tile -mno-amx-int8 -mno-amx-bf16). TEAI_ASSUME_AMX_UNUSABLE=1
# takes that path on any machine. The decision is printed and kept in
# build/AMX.txt. teai makes the same check when it picks one of the prebuilt
# CPU variants (and TEAI_LLAMA_CPU_VARIANT=haswell names one).
set -eu

NLC_VERSION=3.22.1
BUILD_TARGETS=${LLAMA_BUILD_TARGETS:-"llama-bench llama-quantize llama-server llama-cli llama-completion llama-perplexity llama-tokenize ggml-rpc-server"}

do_build=0
amx_only=0
for arg in "$@"; do
    case $arg in
    --build) do_build=1 ;;
    --amx-probe) amx_only=1 ;;
    -h | --help)
        sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "provision-llama: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

say() { echo "provision-llama: $*"; }
die() {
    echo "provision-llama: error: $*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

os=$(uname -s)
soext=so
[ "$os" = Darwin ] && soext=dylib

# An install is usable when it has include/llama.h and lib/libllama.*.
check_install() {
    dir=$1
    [ -f "$dir/include/llama.h" ] || return 1
    for f in "$dir/lib/libllama.$soext" "$dir"/lib/libllama.*"$soext" "$dir/lib/libllama.$soext".*; do
        [ -e "$f" ] && return 0
    done
    return 1
}

# ---- the user's own llama.cpp ------------------------------------------------
if [ -n "${TEAI_LLAMA_CPP:-}" ]; then
    if check_install "$TEAI_LLAMA_CPP"; then
        say "using TEAI_LLAMA_CPP (not provisioning)"
        echo "$TEAI_LLAMA_CPP"
        exit 0
    fi
    die "TEAI_LLAMA_CPP=$TEAI_LLAMA_CPP has no include/llama.h and lib/libllama.$soext (unset it to provision a copy)"
fi

# ---- which prebuilt package fits this host ----------------------------------
arch=$(uname -m)
plat=
case $os:$arch in
Linux:x86_64 | Linux:amd64) plat=linux-x64 ;;
Linux:aarch64 | Linux:arm64) plat=linux-arm64 ;;
Linux:armv7l) plat=linux-armv7l ;;
Linux:riscv64) plat=linux-riscv64 ;;
Darwin:arm64) plat=mac-arm64-metal ;;
Darwin:x86_64) plat=mac-x64 ;;
esac
host="$os $arch"
# Termux runs on Android's libc: the glibc-linked Linux packages do not load there.
if [ -n "${TERMUX_VERSION:-}" ] || [ "$(uname -o 2>/dev/null || true)" = Android ]; then
    plat=
    host="Android (Termux) $arch"
fi

TEAI_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/teai
CACHE=$TEAI_CACHE/llama.cpp
SRC=$CACHE/src
INSTALL=$CACHE/install

# The path printed last: the install, or the sources on hosts without one.
result_path() {
    if check_install "$INSTALL"; then echo "$INSTALL"; else echo "$SRC"; fi
}

# Done when VERSION names this node-llama-cpp and what it lists is there.
is_provisioned() {
    [ -f "$CACHE/VERSION" ] || return 1
    grep -qx "source=node-llama-cpp@$NLC_VERSION" "$CACHE/VERSION" || return 1
    [ -f "$SRC/models/ggml-vocab-llama-bpe.gguf" ] || return 1
    if grep -qx "prebuilt=none" "$CACHE/VERSION"; then return 0; fi
    check_install "$INSTALL" && [ -f "$INSTALL/VERSION" ]
}

# ---- AMX: advertised is not always usable -----------------------------------
# Sets amx_state (absent, usable, unusable), amx_why, and amx_cflags (what
# the build adds to CMAKE_C_FLAGS and CMAKE_CXX_FLAGS: "" or the -mno-amx-*).
amx_probe() {
    amx_state=absent amx_cflags=
    amx_why="not advertised by the CPU (no amx_tile in /proc/cpuinfo)"
    if [ "${TEAI_ASSUME_AMX_UNUSABLE:-}" = 1 ]; then
        amx_state=unusable amx_why="assumed unusable (TEAI_ASSUME_AMX_UNUSABLE=1)"
    else
        case $os:$arch in
        Linux:x86_64 | Linux:amd64) ;;
        *)
            amx_why="not probed (not x86-64 Linux)"
            return 0
            ;;
        esac
        grep -qw amx_tile /proc/cpuinfo 2>/dev/null || return 0
        pdir=$(mktemp -d "${TMPDIR:-/tmp}/teai-amx.XXXXXX")
        # exit 0: the tile instructions ran; 2: the kernel refused the tile
        # state; SIGILL: they trapped. Bytes, so no assembler support is needed.
        cat >"$pdir/amx.c" <<'EOF'
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    unsigned char cfg[64] __attribute__((aligned(64)));
    if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */))
        return 2;
    memset(cfg, 0, sizeof cfg);
    cfg[0] = 1;  /* palette 1 */
    cfg[16] = 4; /* tile 0: 4 bytes per row */
    cfg[48] = 1; /* tile 0: 1 row */
    __asm__ volatile(".byte 0xc4, 0xe2, 0x78, 0x49, 0x07\n\t" /* ldtilecfg (%rdi) */
                     ".byte 0xc4, 0xe2, 0x7b, 0x49, 0xc0\n\t" /* tilezero %tmm0 */
                     ".byte 0xc4, 0xe2, 0x78, 0x49, 0xc0\n\t" /* tilerelease */
                     : : "D"(cfg) : "memory");
    return 0;
}
EOF
        cc=cc
        have cc || cc=gcc
        if ! "$cc" -O0 -o "$pdir/amx" "$pdir/amx.c" >"$pdir/log" 2>&1; then
            amx_state=unusable
            amx_why="advertised, but the probe did not compile (treated as unusable): $(head -n 1 "$pdir/log")"
        else
            # in a child shell: a trap kills the probe, not this script (no core file)
            set +e
            (
                ulimit -c 0 2>/dev/null
                exec "$pdir/amx"
            ) >/dev/null 2>&1
            rc=$?
            set -e
            case $rc in
            0) amx_state=usable amx_why="advertised, and the probe ran tilezero" ;;
            2) amx_state=unusable amx_why="advertised, but the kernel refused the tile state (arch_prctl ARCH_REQ_XCOMP_PERM)" ;;
            *) amx_state=unusable amx_why="advertised, but the probe failed (exit $rc; 132 is SIGILL: tilezero trapped)" ;;
            esac
        fi
        rm -rf "$pdir"
    fi
    # without these, -march=native turns AMX on (the GGML_AMX_* options count
    # only without GGML_NATIVE; they are set off too)
    [ "$amx_state" = unusable ] && amx_cflags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    return 0
}

# Probes, prints the decision, and writes it into $1 when given.
amx_decide() {
    amx_probe
    if [ -n "$amx_cflags" ]; then
        amx_build="AMX off ($amx_cflags; GGML_AMX_TILE/INT8/BF16=OFF)"
    else
        amx_build="GGML_NATIVE=ON as is"
    fi
    say "AMX $amx_state: $amx_why; --build: $amx_build"
    [ -n "${1:-}" ] || return 0
    {
        echo "amx=$amx_state"
        echo "reason=$amx_why"
        echo "build=$amx_build"
        echo "cflags=$amx_cflags"
    } >"$1"
}

# ---- --build: llama.cpp's tools from the sources ------------------------------
# True when every target of BUILD_TARGETS is an executable in $1/bin.
tools_present() {
    for tp_t in $BUILD_TARGETS; do
        [ -x "$1/bin/$tp_t" ] || return 1
    done
    return 0
}

build_tools() {
    bdir=$CACHE/build
    commit=$(sed -n 's/^commit=//p' "$CACHE/VERSION")
    mkdir -p "$bdir"
    amx_decide "$bdir/AMX.txt"
    # What was built, with which options: a build made before the RPC
    # backend was turned on (no rpc=on) is built again, as is one whose
    # tools are missing.
    stamp="commit=$commit targets=$BUILD_TARGETS rpc=on"
    [ -z "$amx_cflags" ] || stamp="$stamp amx=off"
    if [ -f "$bdir/BUILD_OK" ] && [ "$(cat "$bdir/BUILD_OK")" = "$stamp" ] && tools_present "$bdir"; then
        say "tools already built in $bdir/bin"
        return 0
    fi
    have cmake || die "--build needs cmake (scripts/setup.sh installs it)"
    have c++ || have g++ || have clang++ || die "--build needs a C++ compiler (scripts/setup.sh installs one)"
    jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
    rm -f "$bdir/BUILD_OK"
    log=$bdir/build.log
    if [ -f "$bdir/CMakeCache.txt" ]; then
        say "building $BUILD_TARGETS (only what changed is compiled again; log: $log)"
    else
        say "building $BUILD_TARGETS (about 8 minutes on 2 cores; log: $log)"
    fi
    # No network at build time: the server's web UI is not fetched.
    # GGML_RPC=ON: the RPC backend (libggml-rpc) and its worker, so that
    # llama-server --rpc host:port,... spreads a model over ggml-rpc-server
    # processes (bench/rpc-cluster.sh, docs/distributed.md).
    # The flags are given every time, so that a changed decision replaces the
    # one in CMakeCache.txt (GGML_AMX_* are ignored under GGML_NATIVE).
    amx_opts=
    [ -z "$amx_cflags" ] || amx_opts="-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    if ! cmake -S "$SRC" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_USE_PREBUILT_UI=OFF -DGGML_RPC=ON \
        "-DCMAKE_C_FLAGS=${CFLAGS:-} $amx_cflags" "-DCMAKE_CXX_FLAGS=${CXXFLAGS:-} $amx_cflags" \
        $amx_opts >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "cmake configure failed (log: $log)"
    fi
    # shellcheck disable=SC2086
    if ! cmake --build "$bdir" -j "$jobs" --target $BUILD_TARGETS >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "build failed (log: $log)"
    fi
    # Older llama.cpp (and most guides) call the worker rpc-server.
    if [ -x "$bdir/bin/ggml-rpc-server" ]; then
        ln -sf ggml-rpc-server "$bdir/bin/rpc-server"
    fi
    tools_present "$bdir" || die "the build finished without all of $BUILD_TARGETS in $bdir/bin (log: $log)"
    echo "$stamp" >"$bdir/BUILD_OK"
    say "tools in $bdir/bin"
    # Hosts without a prebuilt package get their install from this build.
    if ! check_install "$INSTALL"; then
        tmpi=$(mktemp -d "$CACHE/.install.XXXXXX")
        mkdir -p "$tmpi/lib"
        cp -P "$bdir"/bin/lib*."$soext"* "$tmpi/lib/" 2>/dev/null ||
            cp -P "$bdir"/lib*/lib*."$soext"* "$tmpi/lib/"
        copy_headers "$SRC" "$tmpi/include"
        { grep -v '^prebuilt=' "$CACHE/VERSION"; echo "prebuilt=none (libraries built from src by --build)"; } >"$tmpi/VERSION"
        rm -rf "$INSTALL"
        mv "$tmpi" "$INSTALL"
        say "libraries from the build installed in $INSTALL"
    fi
}

# Copies include/llama.h and the headers it includes, transitively.
copy_headers() {
    ch_src=$1 ch_dst=$2
    mkdir -p "$ch_dst"
    ch_todo="llama.h"
    while [ -n "$ch_todo" ]; do
        # shellcheck disable=SC2086
        set -- $ch_todo
        ch_h=$1
        shift
        ch_todo="$*"
        [ -f "$ch_dst/$ch_h" ] && continue
        if [ -f "$ch_src/include/$ch_h" ]; then
            ch_f=$ch_src/include/$ch_h
        elif [ -f "$ch_src/ggml/include/$ch_h" ]; then
            ch_f=$ch_src/ggml/include/$ch_h
        else
            continue # a system header
        fi
        cp "$ch_f" "$ch_dst/$ch_h"
        ch_todo="$ch_todo $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$ch_f" | tr '\n' ' ')"
    done
}

if [ "$amx_only" = 1 ]; then
    amx_decide
    exit 0
fi

if is_provisioned; then
    [ "$do_build" = 1 ] && build_tools
    say "llama.cpp $(sed -n 's/^tag=//p' "$CACHE/VERSION") is in $CACHE"
    result_path
    exit 0
fi

# ---- provision --------------------------------------------------------------
have git || die "git is missing (scripts/setup.sh installs it)"
have tar || die "tar is missing"
mkdir -p "$CACHE"

# One provisioning at a time; the second waits, then finds the work done.
if have flock; then
    exec 9>"$CACHE/.lock"
    flock 9
    if is_provisioned; then
        [ "$do_build" = 1 ] && build_tools
        say "llama.cpp $(sed -n 's/^tag=//p' "$CACHE/VERSION") is in $CACHE"
        result_path
        exit 0
    fi
fi

tmp=$(mktemp -d "$CACHE/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# Finds an npm tarball in $CACHE/npm, or in $TEAI_CACHE/npm (an earlier layout).
find_tgz() {
    for d in "$CACHE/npm" "$TEAI_CACHE/npm"; do
        if [ -s "$d/$1" ]; then
            echo "$d/$1"
            return 0
        fi
    done
    return 1
}

# npm_pack SPEC FILE: downloads SPEC's tarball into $CACHE/npm as FILE.
npm_pack() {
    have npm || die "npm is missing: it fetches llama.cpp from the npm registry (scripts/setup.sh installs it)"
    mkdir -p "$tmp/pack"
    say "npm pack $1"
    if ! (cd "$tmp/pack" && npm pack --silent "$1" >"$tmp/pack.log" 2>&1); then
        return 1
    fi
    [ -s "$tmp/pack/$2" ] || return 1
    mkdir -p "$CACHE/npm"
    mv "$tmp/pack/$2" "$CACHE/npm/$2"
}

main_tgz_name=node-llama-cpp-$NLC_VERSION.tgz
if ! main_tgz=$(find_tgz "$main_tgz_name"); then
    if ! npm_pack "node-llama-cpp@$NLC_VERSION" "$main_tgz_name"; then
        cat "$tmp/pack.log" >&2
        die "could not download node-llama-cpp@$NLC_VERSION from the npm registry"
    fi
    main_tgz=$CACHE/npm/$main_tgz_name
fi

prebuilt=none
plat_tgz=
if [ -n "$plat" ]; then
    plat_tgz_name=node-llama-cpp-$plat-$NLC_VERSION.tgz
    if plat_tgz=$(find_tgz "$plat_tgz_name"); then
        prebuilt="@node-llama-cpp/$plat@$NLC_VERSION"
    elif npm_pack "@node-llama-cpp/$plat@$NLC_VERSION" "$plat_tgz_name"; then
        plat_tgz=$CACHE/npm/$plat_tgz_name
        prebuilt="@node-llama-cpp/$plat@$NLC_VERSION"
    else
        say "no prebuilt package @node-llama-cpp/$plat@$NLC_VERSION; provisioning the sources only"
        plat_tgz=
    fi
else
    say "no prebuilt llama.cpp package for $host; provisioning the sources only"
fi

# Sources: the bundle's HEAD, plus the patches node-llama-cpp applies before it
# builds (so that src/ is what the prebuilt libraries were built from).
tar -xzf "$main_tgz" -C "$tmp" package/llama/gitRelease.bundle \
    package/llama/binariesGithubRelease.json package/llama/patches ||
    die "$main_tgz: not a node-llama-cpp package with llama/gitRelease.bundle"
tag=$(sed -n 's/.*"release"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
    "$tmp/package/llama/binariesGithubRelease.json")
git -c advice.detachedHead=false clone -q "$tmp/package/llama/gitRelease.bundle" "$tmp/src" ||
    die "git clone of the llama.cpp bundle failed"
git -C "$tmp/src" remote remove origin
commit=$(git -C "$tmp/src" rev-parse HEAD)
patches=
for p in "$tmp"/package/llama/patches/*.diff; do
    [ -f "$p" ] || continue
    name=$(basename "$p" .diff)
    if git -C "$tmp/src" apply --ignore-whitespace --check "$p" 2>/dev/null; then
        git -C "$tmp/src" apply --ignore-whitespace "$p"
        patches="$patches $name"
    elif ! git -C "$tmp/src" apply --ignore-whitespace --reverse --check "$p" 2>/dev/null; then
        say "warning: patch $name does not apply to the llama.cpp sources (skipped)"
    fi
done
if [ ! -f "$tmp/src/include/llama.h" ] || [ ! -f "$tmp/src/models/ggml-vocab-llama-bpe.gguf" ]; then
    die "the llama.cpp bundle lacks include/llama.h or models/ggml-vocab-llama-bpe.gguf"
fi

{
    echo "tag=$tag"
    echo "commit=$commit"
    echo "source=node-llama-cpp@$NLC_VERSION"
    echo "patches=$(echo "${patches# }" | tr ' ' ',')"
} >"$tmp/VERSION.common"

# Prebuilt libraries and the headers that match them.
if [ -n "$plat_tgz" ]; then
    tar -xzf "$plat_tgz" -C "$tmp" "package/bins/$plat" ||
        die "$plat_tgz: no bins/$plat in it"
    mkdir -p "$tmp/install/lib"
    for f in "$tmp/package/bins/$plat"/lib*."$soext"; do
        [ -f "$f" ] && cp "$f" "$tmp/install/lib/"
    done
    # Linker names: libllama.v0.5.0.so -> libllama.so, libggml.v0.5.0.so -> libggml.so.
    for f in "$tmp/install/lib"/lib*.v[0-9]*."$soext"; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        ln -s "$b" "$tmp/install/lib/${b%%.v[0-9]*}.$soext"
    done
    # Every llama/ggml library a library needs must be in that folder (their
    # RUNPATH is $ORIGIN); the system ones (libc, libstdc++, ...) are not ours.
    if have readelf; then
        for f in "$tmp/install/lib"/*."$soext"; do
            for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
                case $n in
                libggml* | libllama* | libmtmd*)
                    [ -e "$tmp/install/lib/$n" ] || die "$(basename "$f") needs $n, which is not in the package"
                    ;;
                esac
            done
        done
    fi
    copy_headers "$tmp/src" "$tmp/install/include"
    check_install "$tmp/install" || die "the prebuilt package has no libllama"
    { cat "$tmp/VERSION.common"; echo "prebuilt=$prebuilt"; } >"$tmp/install/VERSION"
fi
{ cat "$tmp/VERSION.common"; echo "prebuilt=$prebuilt"; } >"$tmp/VERSION"

# Move into place: src, then install, then VERSION, which marks the whole as done.
rm -f "$CACHE/VERSION"
[ -e "$SRC" ] && mv "$SRC" "$tmp/old-src"
mv "$tmp/src" "$SRC"
[ -e "$INSTALL" ] && mv "$INSTALL" "$tmp/old-install"
[ -d "$tmp/install" ] && mv "$tmp/install" "$INSTALL"
mv "$tmp/VERSION" "$CACHE/VERSION"
say "llama.cpp $tag ($commit) provisioned in $CACHE"

[ "$do_build" = 1 ] && build_tools
result_path
