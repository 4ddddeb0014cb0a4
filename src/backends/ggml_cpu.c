/* Choosing llama.cpp's CPU backend variant (see ggml_cpu.h). A variant's
 * ggml_backend_score() checks CPUID against the features it was built for
 * (0: does not run here); the highest wins, as in ggml's own
 * ggml_backend_load_best(), except that variants built with AMX are left out
 * when AMX does not run. */
#include "backends/ggml_cpu.h"

#include "base/base.h"
#include "sys/sys.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "libggml-cpu-"
#define SUFFIX ".so"

/* Variants that llama.cpp v0.5.0 builds with AMX_TILE/AMX_INT8
 * (ggml_add_cpu_backend_variant in ggml/src/CMakeLists.txt). */
static int uses_amx(const char *variant) {
    return strcmp(variant, "sapphirerapids") == 0;
}

/* The variant in a file name "libggml-cpu-<variant>.so", or NULL. */
static const char *variant_of(const char *name, char *buf, size_t cap) {
    size_t n = strlen(name), p = strlen(PREFIX), s = strlen(SUFFIX);
    if (n <= p + s || strncmp(name, PREFIX, p) != 0 || strcmp(name + n - s, SUFFIX) != 0)
        return NULL;
    if (n - p - s >= cap) return NULL;
    memcpy(buf, name + p, n - p - s);
    buf[n - p - s] = '\0';
    return buf;
}

/* The variant's own score for this CPU; 0 when it does not run here or does
 * not load. */
static int score_of(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return 0;
    int (*score)(void);
    *(void **)&score = dlsym(h, "ggml_backend_score");
    int s = score ? score() : 0;
    dlclose(h);
    return s;
}

int teai__ggml_cpu_choose(const char *libdir, char *path, size_t path_cap, char *why,
                          size_t why_cap, teai_error *err) {
    path[0] = '\0';
    why[0] = '\0';
    const char *want = getenv("TEAI_LLAMA_CPU_VARIANT");
    if (want && *want) {
        if (snprintf(path, path_cap, "%s/" PREFIX "%s" SUFFIX, libdir, want) >= (int)path_cap ||
            access(path, R_OK) != 0) {
            path[0] = '\0';
            return teai__fail(err, TEAI_ENOTFOUND,
                              "%s/" PREFIX "%s" SUFFIX
                              ": no such CPU variant (TEAI_LLAMA_CPU_VARIANT)",
                              libdir, want);
        }
        snprintf(why, why_cap, "cpu=%s (TEAI_LLAMA_CPU_VARIANT)", want);
        return TEAI_OK;
    }
    const char *amx_why = "";
    if (teai_cpu_amx(&amx_why) != TEAI_AMX_UNUSABLE) return TEAI_OK; /* ggml's choice is safe */

    DIR *d = opendir(libdir);
    if (!d) return TEAI_OK; /* locate() found libllama there: a race; let ggml report it */
    int best = 0, any = 0;
    char best_name[128] = "", name[128], p[4200];
    for (struct dirent *e; (e = readdir(d));) {
        const char *v = variant_of(e->d_name, name, sizeof name);
        if (!v) continue;
        any = 1;
        if (uses_amx(v)) continue;
        if (snprintf(p, sizeof p, "%s/%s", libdir, e->d_name) >= (int)sizeof p) continue;
        int s = score_of(p);
        if (s > best) {
            best = s;
            snprintf(best_name, sizeof best_name, "%s", v);
        }
    }
    closedir(d);
    /* no variants: a build of the sources, which provisioning compiles
     * without AMX when the probe fails */
    if (!any) return TEAI_OK;
    if (!best)
        return teai__fail(err, TEAI_ENOTFOUND, "%s: no CPU variant without AMX runs here (AMX: %s)",
                          libdir, amx_why);
    if (snprintf(path, path_cap, "%s/" PREFIX "%s" SUFFIX, libdir, best_name) >= (int)path_cap) {
        path[0] = '\0';
        return teai__fail(err, TEAI_ENOTFOUND, "%s: path too long", libdir);
    }
    snprintf(why, why_cap, "cpu=%s (AMX %s)", best_name, amx_why);
    return TEAI_OK;
}
