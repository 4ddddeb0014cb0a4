/* A per-process scratch file for fuzz targets whose parser reads a path:
 * "$TEAI_TEST_TMP/<name>.<pid><ext>" (else under /tmp), removed at exit.
 * One per target process; the path stays valid for the process's life. */
#ifndef TEAI_FUZZ_TMP_H
#define TEAI_FUZZ_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_tmp_buf[256];

static void fuzz_tmp_cleanup(void) {
    if (fuzz_tmp_buf[0]) unlink(fuzz_tmp_buf);
}

static const char *fuzz_tmp_path(const char *name, const char *ext) {
    if (!fuzz_tmp_buf[0]) {
        const char *dir = getenv("TEAI_TEST_TMP");
        snprintf(fuzz_tmp_buf, sizeof fuzz_tmp_buf, "%s/%s.%d%s", dir ? dir : "/tmp", name,
                 (int)getpid(), ext);
        atexit(fuzz_tmp_cleanup);
    }
    return fuzz_tmp_buf;
}

#endif
