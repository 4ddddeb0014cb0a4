#!/bin/sh
# Installs the system packages teai needs that are missing, and nothing else.
#
#   scripts/setup.sh          install what is missing (one line per package)
#   scripts/setup.sh --check  only report; install nothing
#
# Supports Debian/Ubuntu (apt-get), Fedora (dnf), Termux (pkg), macOS (brew).
# Required: a C compiler, cmake, make, pkg-config, git, cJSON headers.
# Optional (installed when possible, never fatal): cairo, DejaVu fonts (plots), libcurl,
# poppler-utils, node + npm (scripts/provision-llama.sh),
# a C++ compiler (provision-llama.sh --build), python3 (the CSV checks),
# the King James Bible's text (bible-kjv: what `make model` trains on),
# clang + libFuzzer and its runtimes (fuzz targets), and on x86_64
# Debian/Ubuntu qemu-user + gcc-aarch64-linux-gnu + gcc-arm-linux-gnueabihf
# and their C libraries (NEON tests, device builds: make device ARCH=...).
# Under Termux also libandroid-spawn (posix_spawn before Android 9).
# Exit status: 0 when every required package is present afterwards, 1 if not,
# 2 on a usage error.
set -eu

check_only=0
for arg in "$@"; do
    case $arg in
    --check) check_only=1 ;;
    -h | --help)
        sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "setup: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

say() { echo "setup: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---- which package manager, and whether we may use it ------------------------
os=$(uname -s)
arch=$(uname -m)
pm=none
if [ -n "${TERMUX_VERSION:-}" ] || { [ -n "${PREFIX:-}" ] && case $PREFIX in *com.termux*) true ;; *) false ;; esac; }; then
    pm=pkg
elif [ "$os" = Darwin ]; then
    have brew && pm=brew
elif have apt-get && have dpkg-query; then
    pm=apt
elif have dnf; then
    pm=dnf
fi

sudo=
if [ "$pm" = apt ] || [ "$pm" = dnf ]; then
    if [ "$(id -u)" != 0 ]; then
        if have sudo; then sudo=sudo; else sudo=NONE; fi
    fi
fi

# Directories searched for headers.
incdirs="/usr/include /usr/local/include"
[ -n "${PREFIX:-}" ] && incdirs="$incdirs $PREFIX/include"
if have cc; then
    ma=$(cc -print-multiarch 2>/dev/null || true)
    [ -n "$ma" ] && incdirs="$incdirs /usr/include/$ma"
fi
if [ "$pm" = brew ]; then
    incdirs="$incdirs $(brew --prefix)/include"
    sdk=$(xcrun --show-sdk-path 2>/dev/null || true)
    [ -n "$sdk" ] && incdirs="$incdirs $sdk/usr/include"
fi

has_header() {
    for d in $incdirs; do
        [ -f "$d/$1" ] && return 0
    done
    return 1
}

# Probe for one need; the first word says how: cmd NAME..., hdr FILE, file PATH...
probe() {
    kind=$1
    shift
    case $kind in
    cmd)
        for c in "$@"; do have "$c" && return 0; done
        return 1
        ;;
    hdr) has_header "$1" ;;
    file)
        for f in "$@"; do [ -f "$f" ] && return 0; done
        return 1
        ;;
    esac
}

# Package name of a need for this package manager; empty if it has none.
pkgname() {
    case $pm:$1 in
    apt:cc) echo build-essential ;; dnf:cc) echo gcc ;; pkg:cc) echo clang ;;
    apt:cxx) echo g++ ;; dnf:cxx) echo gcc-c++ ;; pkg:cxx) echo clang ;;
    *:cmake) echo cmake ;;
    *:curlcmd) echo curl ;;
    brew:make) ;; *:make) echo make ;;
    dnf:pkg-config) echo pkgconf-pkg-config ;; *:pkg-config) echo pkg-config ;;
    *:git) echo git ;;
    apt:cjson) echo libcjson-dev ;; dnf:cjson) echo cjson-devel ;; *:cjson) echo cjson ;;
    apt:cairo) echo libcairo2-dev ;; dnf:cairo) echo cairo-devel ;;
    pkg:cairo) echo libcairo ;; brew:cairo) echo cairo ;;
    apt:curl) echo libcurl4-openssl-dev ;; dnf:curl) echo libcurl-devel ;;
    pkg:curl) echo libcurl ;; brew:curl) echo curl ;;
    apt:poppler | dnf:poppler) echo poppler-utils ;; *:poppler) echo poppler ;;
    brew:node) echo node ;; *:node) echo nodejs ;;
    apt:npm | dnf:npm) echo npm ;;
    pkg:npm) echo nodejs ;; brew:npm) echo node ;; # these ship npm with node
    apt:fonts) echo fonts-dejavu-core ;; dnf:fonts) echo dejavu-sans-fonts ;;
    apt:qemu) echo qemu-user ;;
    apt:ssh) echo openssh-client ;; dnf:ssh) echo openssh-clients ;; pkg:ssh) echo openssh ;;
    apt:sshd | dnf:sshd) echo openssh-server ;; pkg:sshd) echo openssh ;;
    apt:adb) echo adb ;; dnf:adb | pkg:adb) echo android-tools ;;
    apt:aarch64-gcc) echo gcc-aarch64-linux-gnu ;;
    apt:aarch64-libc) echo libc6-dev-arm64-cross ;;
    apt:armv7-gcc) echo gcc-arm-linux-gnueabihf ;;
    apt:armv7-libc) echo libc6-dev-armhf-cross ;;
    pkg:android-spawn) echo libandroid-spawn ;;
    apt:python3 | dnf:python3 | brew:python3) echo python3 ;; pkg:python3) echo python ;;
    apt:kjv) echo bible-kjv ;; # the `bible` program; its text is bible-kjv-text
    apt:clang | dnf:clang | pkg:clang) echo clang ;; brew:clang) echo llvm ;;
    apt:libfuzzer) echo "libfuzzer-$llvm-dev" ;; dnf:libfuzzer) echo compiler-rt ;;
    apt:clang-rt) echo "libclang-rt-$llvm-dev" ;; dnf:clang-rt) echo compiler-rt ;;
    esac
}

# The LLVM version of clang (installed, else the one apt would install), for
# the versioned libFuzzer packages; Debian 12 has 14.
llvm=
if have clang; then
    llvm=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
elif [ "$pm" = apt ]; then
    llvm=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
fi
case $llvm in '' | *[!0-9]*) llvm=14 ;; esac

# need NAME required|optional PROBE...
missing_req=
missing_opt=
unavailable=
req_unavailable=0
need() {
    name=$1 level=$2
    shift 2
    if probe "$@"; then
        [ "$check_only" = 1 ] && say "ok       $name"
        return 0
    fi
    p=$(pkgname "$name")
    # A Debian package may be installed while the probe misses it (odd paths).
    if [ -n "$p" ] && [ "$pm" = apt ] &&
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        [ "$check_only" = 1 ] && say "ok       $name ($p)"
        return 0
    fi
    if [ -z "$p" ]; then
        unavailable="$unavailable $name"
        [ "$check_only" = 1 ] && say "missing  $name ($level; no package for $pm here)"
        [ "$level" = required ] && req_unavailable=1
        return 0
    fi
    [ "$check_only" = 1 ] && say "missing  $name ($level; package $p)"
    case $level in
    required) case " $missing_req " in *" $p "*) ;; *) missing_req="$missing_req $p" ;; esac ;;
    *) case " $missing_req $missing_opt " in *" $p "*) ;; *) missing_opt="$missing_opt $p" ;; esac ;;
    esac
}

need cc required cmd cc gcc clang
need cmake required cmd cmake
need make required cmd make gmake
need pkg-config required cmd pkg-config pkgconf
need git required cmd git
need cjson required hdr cjson/cJSON.h
need cxx optional cmd c++ g++ clang++
need cairo optional hdr cairo/cairo.h
need curl optional hdr curl/curl.h
need poppler optional cmd pdftotext
need fonts optional file /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
    /usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf /usr/share/fonts/TTF/DejaVuSans.ttf
need node optional cmd node nodejs
need npm optional cmd npm
need python3 optional cmd python3
# the King James Bible (public domain): the text `make model` trains on, and
# the held-out text of the demo's and tests' accuracy figures
need kjv optional cmd bible
need clang optional cmd clang
# teai remote and teai fleet drive the system's ssh/scp (and adb for
# adb:// devices); the tests of tests/remote start a loopback sshd
need ssh optional cmd ssh
need sshd optional file /usr/sbin/sshd "${PREFIX:-/usr}/bin/sshd"
need adb optional cmd adb
# the curl program: tests/load reads llama-server's /metrics with it
need curlcmd optional cmd curl
if [ "$pm" = apt ] || [ "$pm" = dnf ]; then
    # clang -fsanitize=fuzzer(,address) links libclang_rt.fuzzer and .asan from
    # the runtimes package, which clang only recommends; libfuzzer-N-dev has
    # libFuzzer.a
    need clang-rt optional file /usr/lib/llvm-"$llvm"/lib/clang/*/lib/linux/libclang_rt.fuzzer-"$arch".a \
        /usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-"$arch".a \
        /usr/lib/clang/*/lib/*/libclang_rt.fuzzer.a /usr/lib64/clang/*/lib/*/libclang_rt.fuzzer.a
    [ "$pm" = apt ] && need libfuzzer optional file /usr/lib/llvm-"$llvm"/lib/libFuzzer.a
fi
if [ "$pm" = apt ] && [ "$arch" = x86_64 ]; then
    need qemu optional cmd qemu-aarch64 qemu-aarch64-static
    need aarch64-gcc optional cmd aarch64-linux-gnu-gcc
    # the cross compiler alone has no C library headers (bits/libc-header-start.h)
    need aarch64-libc optional file /usr/aarch64-linux-gnu/include/stdio.h
    # 32-bit ARM device builds (scripts/build-device.sh armv7)
    need armv7-gcc optional cmd arm-linux-gnueabihf-gcc
    need armv7-libc optional file /usr/arm-linux-gnueabihf/include/stdio.h
fi
if [ "$pm" = pkg ]; then
    # Termux builds for Android API level 24, whose C library has posix_spawn
    # only from level 28 (Android 9); libandroid-spawn provides it before
    need android-spawn required file "${PREFIX:-}/lib/libandroid-spawn.so" "${PREFIX:-}/lib/libandroid-spawn.a"
fi

if [ -z "$missing_req$missing_opt" ] && [ "$req_unavailable" = 0 ]; then
    [ "$check_only" = 1 ] && say "all packages present"
    exit 0
fi

# The command a user would type to install the packages given (with a leading space).
install_cmd() {
    s=
    [ -n "$sudo" ] && s="sudo "
    case $pm in
    apt) echo "${s}apt-get update && ${s}apt-get install -y$*" ;;
    dnf) echo "${s}dnf install -y$*" ;;
    pkg) echo "pkg install -y$*" ;;
    brew) echo "brew install$*" ;;
    *) echo "(install with your package manager:$* )" ;;
    esac
}

hint_unavailable() {
    for n in $unavailable; do
        case $pm:$n in
        brew:cc | brew:cxx | brew:make) say "$n: install Xcode's command line tools: xcode-select --install" ;;
        none:*) say "$n: no supported package manager found (apt-get, dnf, pkg, brew)" ;;
        *) say "$n: no package known for $pm; install it by hand" ;;
        esac
    done
}

if [ "$check_only" = 1 ]; then
    [ -n "$missing_req$missing_opt" ] && say "to install: $(install_cmd "$missing_req$missing_opt")"
    hint_unavailable
    [ -z "$missing_req" ] && [ "$req_unavailable" = 0 ]
    exit $?
fi

if [ "$pm" = none ] || [ "$sudo" = NONE ]; then
    say "cannot install packages here (no supported package manager, or not root and no sudo)"
    [ -n "$missing_req$missing_opt" ] && say "run: $(install_cmd "$missing_req$missing_opt")"
    hint_unavailable
    [ -z "$missing_req" ] && [ "$req_unavailable" = 0 ]
    exit $?
fi

log=$(mktemp "${TMPDIR:-/tmp}/teai-setup.XXXXXX")
trap 'rm -f "$log"' EXIT
updated=0
# Installs the packages given; output goes to $log. Returns the manager's status.
pm_install() {
    case $pm in
    apt)
        if [ "$updated" = 0 ]; then
            $sudo apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
            updated=1
        fi
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1
        ;;
    dnf) $sudo dnf install -y -q "$@" >>"$log" 2>&1 ;;
    pkg) pkg install -y "$@" >>"$log" 2>&1 ;;
    brew) brew install -q "$@" >>"$log" 2>&1 ;;
    esac
}

status=0
if [ -n "$missing_req" ]; then
    for p in $missing_req; do say "installing $p"; done
    # shellcheck disable=SC2086
    if ! pm_install $missing_req; then
        tail -n 20 "$log" >&2
        say "failed to install required packages; run: $(install_cmd "$missing_req")" >&2
        status=1
    fi
fi
if [ -n "$missing_opt" ]; then
    # shellcheck disable=SC2086
    for p in $missing_opt; do say "installing $p (optional)"; done
    # shellcheck disable=SC2086
    if ! pm_install $missing_opt; then
        # One by one, so one unavailable package does not block the others.
        for p in $missing_opt; do
            pm_install "$p" || say "could not install optional $p (skipped; see: $(install_cmd " $p"))"
        done
    fi
fi
if [ "$req_unavailable" = 1 ]; then
    hint_unavailable
    status=1
fi
exit $status
