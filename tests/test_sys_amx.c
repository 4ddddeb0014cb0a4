/* teai_cpu_amx (src/sys/amx.c): the AMX probe agrees with what the kernel
 * says of the CPU, and TEAI_ASSUME_AMX_UNUSABLE=1 forces "unusable". */
#include "sys/sys.h"
#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

/* 1 when /proc/cpuinfo's flags list amx_tile, 0 when not, -1 unreadable. */
static int cpuinfo_has_amx(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        found = strstr(line, " amx_tile") != NULL;
        break;
    }
    fclose(f);
    return found;
}

static void test_probe_matches_cpuinfo(void) {
    const char *why = NULL;
    teai_amx_state s = teai_cpu_amx(&why);
    ASSERT_TRUE(why != NULL && why[0] != '\0');
    printf("    AMX: %s\n", why);
    ASSERT_EQ(teai_cpu_amx_usable(), s == TEAI_AMX_USABLE);
    int flag = cpuinfo_has_amx();
#if defined(__x86_64__) && defined(__linux__)
    /* the kernel lists amx_tile from the same CPUID bit, unless it hides it
     * (then the probe may still see it and find it unusable, never usable) */
    if (flag == 0) ASSERT_TRUE(s != TEAI_AMX_USABLE);
    if (flag == 1) ASSERT_TRUE(s != TEAI_AMX_ABSENT);
#else
    (void)flag;
    ASSERT_EQ(s, TEAI_AMX_ABSENT);
#endif
    /* probed once: the same answer again */
    const char *why2 = NULL;
    ASSERT_EQ(teai_cpu_amx(&why2), s);
    ASSERT_TRUE(why2 == why);
}

/* In a child, since the answer is kept per process. */
static void test_assume_unusable(void) {
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        setenv("TEAI_ASSUME_AMX_UNUSABLE", "1", 1);
        const char *why = NULL;
        int ok = teai_cpu_amx(&why) == TEAI_AMX_UNUSABLE && !teai_cpu_amx_usable() &&
                 strstr(why, "TEAI_ASSUME_AMX_UNUSABLE") != NULL;
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

int main(void) {
    RUN_TEST(test_assume_unusable);
    RUN_TEST(test_probe_matches_cpuinfo);
    TEST_MAIN_END();
}
