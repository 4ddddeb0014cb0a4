/* Which SIMD kernels this build has and which of them this CPU runs.
 * Internal to src/engine (the kernels' dispatch: quant_dispatch.c, and the
 * load-time quantizers with SIMD parts: quant_codec.c).
 *
 * Compiled in: CMake builds *_avx2.c and *_avx512.c on x86_64 only and
 * *_neon.c on aarch64 only; define TEAI_NO_SIMD to use the scalar kernels
 * alone. On x86_64 the CPU is asked once (CPUID) and the environment variable
 * TEAI_SIMD may cap the level: "scalar" (the references only), "avx2" (no
 * AVX-512), anything else or unset: the best the CPU runs. The tests use it to
 * check every level on a machine that has them all. NEON is part of every
 * AArch64 CPU: only the dot-product extension is asked for there (Linux:
 * hwcaps), and TEAI_SIMD=neon leaves it unused. */
#ifndef TEAI_CPU_FEATURES_H
#define TEAI_CPU_FEATURES_H

#if !defined(TEAI_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64))
#define TEAI_QUANT_AVX2 1 /* quant_avx2.c and quant_avx512.c are linked in */
#elif !defined(TEAI_NO_SIMD) && defined(__aarch64__)
#define TEAI_QUANT_NEON 1 /* quant_neon.c is linked in */
#endif

#if TEAI_QUANT_AVX2
/* 1 when the kernels of quant_avx2.c may run: the CPU has AVX2, FMA and
 * F16C, the OS saves the AVX state, and TEAI_SIMD is not "scalar". */
int teai__cpu_has_avx2(void);
/* 1 when the kernels of quant_avx512.c may run as well: AVX-512 F, BW, VL,
 * DQ and VNNI, the OS saves the 512-bit state, and TEAI_SIMD is neither
 * "scalar" nor "avx2". */
int teai__cpu_has_avx512(void);
#endif

#if TEAI_QUANT_NEON
/* 1 when the integer kernels may use sdot (the dot-product extension): the
 * build targets it, or (Linux) the CPU reports it and TEAI_SIMD is not
 * "neon" or "scalar". */
int teai__cpu_has_dotprod(void);
#endif

#endif
