/* teai_log_header_read (what a resumed sweep reads of every log in its
 * folder) on arbitrary file contents: the header is looked for in the first
 * bytes and the end event on the last line, both from untrusted files. */
#include "results/results.h"

#include "fuzz_tmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *g_path = fuzz_tmp_path("fuzz_log_header", ".txt");
    FILE *f = fopen(g_path, "wb"); /* not the atomic write: no fsync per input */
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    teai_log_header *h = NULL;
    teai_error err = {0};
    int rc = teai_log_header_read(g_path, &h, &err);
    if (rc != TEAI_OK) {
        if (h || rc >= 0) abort();
        return 0;
    }
    int n = teai_log_header_count(h);
    if (n < 0) abort();
    for (int i = 0; i < n; i++) {
        const char *k = teai_log_header_key(h, i), *v = teai_log_header_value(h, i);
        if (!k || !v) abort();
        /* the last field of a key is what get returns */
        const char *got = teai_log_header_get(h, k);
        if (!got) abort();
        (void)strlen(got);
    }
    if (teai_log_header_key(h, n) || teai_log_header_value(h, -1)) abort();
    const char *end = teai_log_header_end(h);
    if (end) (void)strlen(end);
    teai_log_header_free(h);
    return 0;
}
