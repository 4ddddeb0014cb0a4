#!/bin/sh
# Cross-compiles the weight-format tests (tests/test_quant.c and
# tests/test_quant_multi.c), attention's kernels (tests/test_attention.c) and
# the training GEMM's tests (tests/test_train_gemm.c) for AArch64 and runs them under qemu,
# so the NEON kernels (src/engine/quant_neon.c, src/train/gemm_neon.c) are
# checked against their scalar twins on an x86 machine, with and without the
# dot-product extension.
#
# Needs: gcc-aarch64-linux-gnu and qemu-user (apt-get install -y
# gcc-aarch64-linux-gnu qemu-user). Exits 77 (skipped) when either is missing.
#
# Usage: scripts/test-neon.sh            (from anywhere; builds into a temp dir)
# Environment: CC_AARCH64 (default aarch64-linux-gnu-gcc), QEMU_AARCH64
# (default qemu-aarch64, else qemu-aarch64-static).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC_AARCH64:-aarch64-linux-gnu-gcc}
qemu=${QEMU_AARCH64:-}
if [ -z "$qemu" ]; then
    for q in qemu-aarch64 qemu-aarch64-static; do
        if command -v "$q" >/dev/null 2>&1; then
            qemu=$q
            break
        fi
    done
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP: $cc not found (apt-get install -y gcc-aarch64-linux-gnu)"
    exit 77
fi
if [ -z "$qemu" ] || ! command -v "$qemu" >/dev/null 2>&1; then
    echo "SKIP: qemu-aarch64 not found (apt-get install -y qemu-user)"
    exit 77
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/teai-neon.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

cd "$root"
# Twice: plain ARMv8-A (the integer kernels choose sdot at run time, from the
# kernel's hwcaps) and ARMv8.2-A + dotprod (they always use sdot, vdotq_s32).
# The plain build runs three times: on qemu's default CPU (it has the
# dot-product extension: the sdot forms), with TEAI_SIMD=neon (the vmull_s8 +
# vpadalq_s16 forms), and on a CPU model without the extension (Cortex-A72:
# the run-time check must pick the plain forms, or sdot traps).
for march in armv8-a armv8.2-a+dotprod; do
    echo "== -march=$march"
    for t in test_quant test_quant_multi test_nf4; do
        "$cc" -std=c11 -O2 -static -march="$march" \
            -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Werror \
            -Iinclude -Isrc -Isrc/engine -Itests \
            -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DTEAI_HAVE_CJSON=0 \
            '-DTEAI_VERSION="x"' '-DTEAI_GIT_COMMIT="x"' \
            src/engine/quant_types.c src/engine/quant_codec.c src/engine/quant_ref.c src/engine/quant_dispatch.c \
            src/engine/quant_neon.c src/engine/quant_nf4.c src/engine/quant_nf4_neon.c src/engine/repack.c \
            src/engine/cpu_features.c src/engine/fp16.c src/base/*.c \
            tests/$t.c tests/test_util.c \
            -lm -o "$out/$t"
    done
    for t in test_quant test_quant_multi test_nf4; do
        TEAI_TEST_TMP=$out "$qemu" "$out/$t"
        if [ "$march" = armv8-a ]; then
            echo "== -march=$march, TEAI_SIMD=neon: $t"
            TEAI_SIMD=neon TEAI_TEST_TMP=$out "$qemu" "$out/$t"
            echo "== -march=$march, -cpu cortex-a72 (no dot product): $t"
            TEAI_TEST_TMP=$out "$qemu" -cpu cortex-a72 "$out/$t"
        fi
    done
done
echo "== attention (src/engine/attention_neon.c)"
"$cc" -std=c11 -O2 -static -march=armv8-a -pthread \
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Werror \
    -Iinclude -Isrc -Isrc/engine -Itests -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -Wno-unused-function -DTEAI_HAVE_CJSON=0 '-DTEAI_VERSION="x"' '-DTEAI_GIT_COMMIT="x"' \
    -DTEST_ATTENTION_KERNELS_ONLY \
    $(ls src/engine/*.c | grep -v '_avx2\.c$\|_avx512\.c$') src/base/*.c \
    tests/test_attention.c tests/test_util.c -lm -o "$out/test_attention"
TEAI_TEST_TMP=$out "$qemu" "$out/test_attention"
echo "== training GEMM (src/train/gemm_neon.c)"
"$cc" -std=c11 -O2 -static -march=armv8-a -pthread \
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Werror \
    -Iinclude -Isrc -Isrc/engine -Itests -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    src/train/gemm.c src/train/gemm_neon.c src/base/*.c tests/test_train_gemm.c tests/test_util.c \
    -lm -o "$out/test_train_gemm"
TEAI_TEST_LIGHT=${TEAI_TEST_LIGHT:-1} TEAI_TEST_TMP=$out "$qemu" "$out/test_train_gemm"
