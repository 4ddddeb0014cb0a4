/* Which llama.cpp CPU variant teai loads (src/backends/ggml_cpu.c): the one
 * TEAI_LLAMA_CPU_VARIANT names; where AMX is advertised but unusable
 * (forced here with TEAI_ASSUME_AMX_UNUSABLE=1, so that any machine tests
 * it) the best-scoring variant without AMX; else ggml's own choice. Checked
 * on the function and end to end through `teai bench --backend llamacpp`,
 * whose log names the variant in backend_version. */
#include "backends/ggml_cpu.h"
#include "sys/sys.h"
#include "test_util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <unistd.h>

static const char *g_libdir, *g_bin, *g_self;
static int g_has_variants = 1;

/* The best-scoring libggml-cpu-*.so in the folder (skipping `except` when
 * given), as ggml's own ggml_backend_load_best() finds it, into name. */
static int best_variant(const char *except, char *name, size_t cap) {
    DIR *d = opendir(g_libdir);
    if (!d) return -1;
    int best = 0;
    name[0] = '\0';
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "libggml-cpu-", 12) != 0 || n < 16 ||
            strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char v[128];
        snprintf(v, sizeof v, "%.*s", (int)(n - 15), e->d_name + 12);
        if (except && strcmp(v, except) == 0) continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", g_libdir, e->d_name);
        void *h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
        if (!h) continue;
        int (*score)(void);
        *(void **)&score = dlsym(h, "ggml_backend_score");
        int s = score ? score() : 0;
        dlclose(h);
        if (s > best) best = s, snprintf(name, cap, "%s", v);
    }
    closedir(d);
    return best;
}

static void test_named_variant(void) {
    char path[4200], why[160], want[4200];
    teai_error err = {0};
    setenv("TEAI_LLAMA_CPU_VARIANT", "haswell", 1);
    int rc = teai__ggml_cpu_choose(g_libdir, path, sizeof path, why, sizeof why, &err);
    unsetenv("TEAI_LLAMA_CPU_VARIANT");
    ASSERT_EQ(rc, TEAI_OK);
    snprintf(want, sizeof want, "%s/libggml-cpu-haswell.so", g_libdir);
    ASSERT_STREQ(path, want);
    ASSERT_TRUE(strncmp(why, "cpu=haswell ", 12) == 0);

    setenv("TEAI_LLAMA_CPU_VARIANT", "no-such-cpu", 1);
    rc = teai__ggml_cpu_choose(g_libdir, path, sizeof path, why, sizeof why, &err);
    unsetenv("TEAI_LLAMA_CPU_VARIANT");
    ASSERT_EQ(rc, TEAI_ENOTFOUND);
    ASSERT_STREQ(path, "");
    ASSERT_TRUE(strstr(err.msg, "libggml-cpu-no-such-cpu.so") != NULL);
    ASSERT_TRUE(strstr(err.msg, "TEAI_LLAMA_CPU_VARIANT") != NULL);
}

/* No override: ggml chooses unless AMX is advertised but unusable. */
static void test_default(void) {
    char path[4200], why[160];
    teai_error err = {0};
    const char *amx = NULL;
    teai_amx_state s = teai_cpu_amx(&amx);
    printf("    AMX %s\n", amx);
    ASSERT_EQ(teai__ggml_cpu_choose(g_libdir, path, sizeof path, why, sizeof why, &err), TEAI_OK);
    if (s != TEAI_AMX_UNUSABLE) {
        ASSERT_STREQ(path, "");
    } else if (g_has_variants) {
        ASSERT_TRUE(path[0] != '\0');
        ASSERT_TRUE(strstr(path, "sapphirerapids") == NULL);
    } else {
        ASSERT_STREQ(path, ""); /* one CPU backend, built for this machine */
    }
}

/* This program run again with TEAI_ASSUME_AMX_UNUSABLE=1 (the AMX answer is
 * kept per process): it prints what teai__ggml_cpu_choose() chose. The
 * choice must be the best variant other than sapphirerapids, and, where the
 * CPU has no AMX, ggml's own choice too. */
static void test_assume_amx_unusable(void) {
    char best_all[128], best_no_amx[128];
    ASSERT_TRUE(best_variant(NULL, best_all, sizeof best_all) > 0);
    ASSERT_TRUE(best_variant("sapphirerapids", best_no_amx, sizeof best_no_amx) > 0);
    printf("    ggml's choice: %s; without AMX: %s\n", best_all, best_no_amx);
    char cmd[8400], out[8400] = "", want[4200];
    snprintf(cmd, sizeof cmd, "TEAI_ASSUME_AMX_UNUSABLE=1 '%s' --choose 2>&1", g_self);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ASSERT_EQ(pclose(p), 0);
    printf("    chosen: %s", out);
    snprintf(want, sizeof want, "%s/libggml-cpu-%s.so\ncpu=%s (AMX assumed unusable", g_libdir,
             best_no_amx, best_no_amx);
    ASSERT_TRUE(strncmp(out, want, strlen(want)) == 0);
    if (teai_cpu_amx(NULL) == TEAI_AMX_ABSENT) ASSERT_STREQ(best_no_amx, best_all);
}

/* --choose: prints the chosen library and why, on two lines. */
static int choose_main(void) {
    char path[4200], why[160];
    teai_error err = {0};
    if (teai__ggml_cpu_choose(g_libdir, path, sizeof path, why, sizeof why, &err) != 0) {
        printf("error: %s\n", err.msg);
        return 1;
    }
    printf("%s\n%s\n", path, why);
    return 0;
}

/* `teai bench --backend llamacpp` with the environment given; the log's
 * backend_version line into out. Returns teai's exit status. */
static int bench(const char *env, const char *model, const char *dir, char *out, size_t cap) {
    char errf[4200];
    snprintf(errf, sizeof errf, "%s.err", dir);
    int rc = test_system("rm -rf '%s' && %s '%s' bench --backend llamacpp -m '%s' -n 2 "
                         "--repetitions 1 --warmup 0 -t 2 --output-dir '%s' >/dev/null 2>'%s'",
                         dir, env, g_bin, model, dir, errf);
    out[0] = '\0';
    char cmd[8500];
    snprintf(cmd, sizeof cmd,
             "sed -n 's/^backend_version: //p' '%s'/llamacpp_*.txt 2>/dev/null | head -n 1; "
             "cat '%s'",
             dir, errf);
    FILE *p = popen(cmd, "r");
    if (p) {
        size_t n = fread(out, 1, cap - 1, p);
        out[n] = '\0';
        pclose(p);
    }
    return rc;
}

static void test_bench_end_to_end(void) {
    char model[4200], dir[4200], v[2048];
    test_tmp_path(model, sizeof model, "cpuvar-tiny.gguf");
    test_tmp_path(dir, sizeof dir, "cpuvar-out");
    ASSERT_EQ(test_system("'%s' model synth --shape tiny -o '%s' >/dev/null 2>&1", g_bin, model),
              0);
    ASSERT_EQ(bench("TEAI_LLAMA_CPU_VARIANT=haswell", model, dir, v, sizeof v), 0);
    printf("    TEAI_LLAMA_CPU_VARIANT=haswell: %s", v);
    ASSERT_TRUE(strncmp(v, "llama.cpp", 9) == 0 && strstr(v, " cpu=haswell\n") != NULL);

    ASSERT_EQ(bench("TEAI_ASSUME_AMX_UNUSABLE=1", model, dir, v, sizeof v), 0);
    printf("    TEAI_ASSUME_AMX_UNUSABLE=1: %s", v);
    ASSERT_TRUE(strstr(v, " cpu=") != NULL && strstr(v, "sapphirerapids") == NULL);

    ASSERT_TRUE(bench("TEAI_LLAMA_CPU_VARIANT=no-such-cpu", model, dir, v, sizeof v) != 0);
    ASSERT_TRUE(strstr(v, "libggml-cpu-no-such-cpu.so: no such CPU variant") != NULL);
    test_system("rm -rf '%s' '%s.err' '%s'", dir, dir, model);
}

int main(int argc, char **argv) {
    g_self = argv[0];
    g_libdir = getenv("TEAI_LLAMA_LIBDIR");
    g_bin = getenv("TEAI_BIN");
    if (!g_libdir || !*g_libdir)
        test_skip_llama("TEAI_LLAMA_LIBDIR not set (llama.cpp not provisioned)");
    if (!g_bin || !*g_bin) test_skip_llama("TEAI_BIN is not set (run through ctest)");
    if (argc > 1 && strcmp(argv[1], "--choose") == 0) return choose_main();
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/libggml-cpu-haswell.so", g_libdir);
    if (access(probe, R_OK) != 0) {
        /* a llama.cpp built from its sources has one CPU backend, no variants */
        printf("note: %s has no CPU variants (not the prebuilt package); only the default "
               "choice is checked\n",
               g_libdir);
        g_has_variants = 0;
        RUN_TEST(test_default);
        TEST_MAIN_END();
    }
    RUN_TEST(test_named_variant);
    RUN_TEST(test_default);
    RUN_TEST(test_assume_amx_unusable);
    RUN_TEST(test_bench_end_to_end);
    TEST_MAIN_END();
}
