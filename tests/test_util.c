#include "test_util.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int teai_test_failures = 0;

const char *test_tmp_path(char *buf, size_t cap, const char *name) {
    const char *dir = getenv("TEAI_TEST_TMP");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(buf, cap, "%s/%ld-%s", dir, (long)getpid(), name);
    return buf;
}

void test_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("SKIP: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(TEST_SKIP_CODE);
}

int test_llama_required(void) {
    const char *v = getenv("TEAI_REQUIRE_LLAMA");
    return v && strcmp(v, "1") == 0;
}

void test_skip_llama(const char *fmt, ...) {
    int required = test_llama_required();
    va_list ap;
    va_start(ap, fmt);
    printf(required ? "FAIL: " : "SKIP: ");
    vprintf(fmt, ap);
    printf(required ? " (TEAI_REQUIRE_LLAMA=1: llama.cpp is required)\n" : "\n");
    va_end(ap);
    exit(required ? 1 : TEST_SKIP_CODE);
}

const char *test_llama_src_dir(void) {
    static char buf[4096];
    const char *env = getenv("TEAI_LLAMA_SRC");
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s", env);
    } else {
        const char *cache = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (cache && *cache)
            snprintf(buf, sizeof buf, "%s/teai/llama.cpp/src", cache);
        else if (home)
            snprintf(buf, sizeof buf, "%s/.cache/teai/llama.cpp/src", home);
        else
            return NULL;
    }
    struct stat st;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/models/ggml-vocab-llama-bpe.gguf", buf);
    if (stat(probe, &st) != 0) return NULL;
    return buf;
}

int test_system(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1) return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
