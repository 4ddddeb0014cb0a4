/* Minimal test harness: ASSERT macros that print both sides, an explicit skip
 * code (77, CTest's SKIP_RETURN_CODE), and helpers for temporary files. */
#ifndef TEAI_TEST_UTIL_H
#define TEAI_TEST_UTIL_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP_CODE 77

extern int teai_test_failures;

#define TEST_FAIL_AT(...)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        teai_test_failures++;                                                                      \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            TEST_FAIL_AT("assertion failed: %s", #c);                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            TEST_FAIL_AT("%s == %s: %lld != %lld", #a, #b, va_, vb_);                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                               \
            TEST_FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b, sa_ ? sa_ : "(null)",               \
                         sb_ ? sb_ : "(null)");                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_NEAR(a, b, tol)                                                                     \
    do {                                                                                           \
        double da_ = (double)(a), db_ = (double)(b);                                               \
        if (!(fabs(da_ - db_) <= (tol))) {                                                         \
            TEST_FAIL_AT("|%s - %s| <= %g: %.9g vs %.9g", #a, #b, (double)(tol), da_, db_);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Runs one test function, printing its name. */
#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        int before_ = teai_test_failures;                                                          \
        fn();                                                                                      \
        printf("%s %s\n", teai_test_failures == before_ ? "ok  " : "FAIL", #fn);                   \
        fflush(stdout);                                                                            \
    } while (0)

#define TEST_MAIN_END() return teai_test_failures ? 1 : 0

/* A fresh path under $TEAI_TEST_TMP (or /tmp) ending in `name`; static buffer
 * per call site is not needed: the caller passes buf. */
const char *test_tmp_path(char *buf, size_t cap, const char *name);
/* Prints "SKIP: reason" and exits with TEST_SKIP_CODE. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* 1 when TEAI_REQUIRE_LLAMA=1 (set by .ci/run): llama.cpp must be there, so
 * a test that would skip for its lack fails instead. */
int test_llama_required(void);
/* A skip because llama.cpp (or a part of it: sources, libraries, a built
 * tool) is missing: like test_skip, but under TEAI_REQUIRE_LLAMA=1 prints
 * "FAIL: ..." and exits 1. */
void test_skip_llama(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Directory of the provisioned llama.cpp sources (vocab files), or NULL. */
const char *test_llama_src_dir(void);
/* Runs a shell command, returns its exit status (-1 if it could not run). */
int test_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
