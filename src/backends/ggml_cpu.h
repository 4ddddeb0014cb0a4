/* Which of llama.cpp's CPU backend variants to load (libggml-cpu-<variant>.so,
 * one per x86 generation in the prebuilt packages). ggml itself loads the
 * best-scoring one (ggml_backend_load_all_from_path), and its score looks only
 * at CPUID: on a CPU that advertises AMX the system does not grant, it picks
 * sapphirerapids, whose AMX kernels trap. Used by the llamacpp backend and by
 * tests/llama/llref.c; needs no llama.h. */
#ifndef TEAI_BACKENDS_GGML_CPU_H
#define TEAI_BACKENDS_GGML_CPU_H

#include <stddef.h>

#include "teai/engine.h"

/* Chooses the CPU variant in libdir. path gets "" when ggml may choose (no
 * override, and AMX is absent or usable, or libdir has no variants), else the
 * library to load with ggml_backend_load():
 *   - $TEAI_LLAMA_CPU_VARIANT (e.g. "haswell"): libdir/libggml-cpu-haswell.so;
 *   - AMX advertised but unusable (teai_cpu_amx(), TEAI_ASSUME_AMX_UNUSABLE=1
 *     to force): the best-scoring variant built without AMX.
 * why gets one line on the choice (for logs and test output). TEAI_OK, or
 * TEAI_ENOTFOUND when the named variant, or any variant without AMX that runs
 * here, is missing. */
int teai__ggml_cpu_choose(const char *libdir, char *path, size_t path_cap, char *why,
                          size_t why_cap, teai_error *err);

#endif
