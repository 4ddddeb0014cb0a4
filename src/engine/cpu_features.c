/* CPU feature detection for the SIMD kernels (cpu_features.h): what the CPU
 * and the OS support, capped by the environment variable TEAI_SIMD, asked
 * once and cached; and the name of the level the kernels use. */
#include "cpu_features.h"

#include "quant.h"

#if TEAI_QUANT_AVX2
#include <cpuid.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The cap TEAI_SIMD sets: 0 scalar, 1 avx2, 2 avx512 (or unset). */
static int simd_cap(void) {
    const char *v = getenv("TEAI_SIMD");
    if (v && strcmp(v, "scalar") == 0) return 0;
    if (v && strcmp(v, "avx2") == 0) return 1;
    return 2;
}

/* AVX2 + FMA + F16C. __builtin_cpu_supports("avx2") also checks that the OS
 * saves the AVX state; F16C comes from CPUID leaf 1 (ECX bit 29) because not
 * every compiler's builtin knows "f16c". */
static int detect_avx2(void) {
    unsigned a, b, c, d;
    if (simd_cap() < 1 || !__get_cpuid(1, &a, &b, &c, &d) || !(c >> 29 & 1)) return 0;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* AVX-512 F/BW/VL/DQ + VNNI (the builtin checks that the OS saves the
 * 512-bit state too). */
static int detect_avx512(void) {
    return simd_cap() >= 2 && detect_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
}

/* Detected once: CPUID can trap to the hypervisor, and the matvec asks on
 * every call. */
static int cached_flag(atomic_int *cached, int (*detect)(void)) {
    int v = atomic_load_explicit(cached, memory_order_relaxed); /* 0 unknown, 1 no, 2 yes */
    if (!v) {
        v = detect() ? 2 : 1;
        atomic_store_explicit(cached, v, memory_order_relaxed);
    }
    return v == 2;
}

int teai__cpu_has_avx2(void) {
    static atomic_int cached;
    return cached_flag(&cached, detect_avx2);
}

int teai__cpu_has_avx512(void) {
    static atomic_int cached;
    return cached_flag(&cached, detect_avx512);
}
#endif

#if TEAI_QUANT_NEON
#if defined(__linux__) && !defined(__ARM_FEATURE_DOTPROD)
#include <sys/auxv.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* sdot: always when the build targets it; else on Linux the kernel's hwcap
 * bit (HWCAP_ASIMDDP, bit 20 of AT_HWCAP), unless TEAI_SIMD=neon (the plain
 * kernels, for the tests). */
int teai__cpu_has_dotprod(void) {
#if defined(__ARM_FEATURE_DOTPROD)
    return 1;
#elif defined(__linux__)
    static atomic_int cached; /* 0: not asked yet, 1: no, 2: yes */
    int v = atomic_load(&cached);
    if (!v) {
        const char *cap = getenv("TEAI_SIMD");
        int has = !(cap && (strcmp(cap, "neon") == 0 || strcmp(cap, "scalar") == 0)) &&
                  (getauxval(AT_HWCAP) >> 20 & 1);
        v = has ? 2 : 1;
        atomic_store(&cached, v);
    }
    return v == 2;
#else
    return 0;
#endif
}
#endif

const char *teai__simd_name(void) {
#if TEAI_QUANT_AVX2
    if (teai__cpu_has_avx512()) return "avx512-vnni"; /* the dotq kernels; the rest AVX2 */
    if (teai__cpu_has_avx2()) return "avx2";
#elif TEAI_QUANT_NEON
    return teai__cpu_has_dotprod() ? "neon-dotprod" : "neon"; /* the integer kernels use sdot */
#endif
    return "scalar";
}
