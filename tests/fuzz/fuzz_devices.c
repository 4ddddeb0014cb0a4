/* Fuzz target: the device list a user edits (~/.config/teai/devices, read
 * by teai_devices_load) and the key=value lines a device's info script
 * prints (teai_remote_info_line), over arbitrary bytes. A list that loads
 * must save and load again to the same devices with the same options; an
 * info line must leave sizes that are -1 or counts, and a hash that is ""
 * or 64 hex digits. */
#include "fuzz_tmp.h"
#include "remote/remote.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "name url options" of every device, one line each, into b */
static int describe(const teai_devices *l, teai_buf *b) {
    for (int i = 0; i < teai_devices_count(l); i++) {
        const teai_device *d = teai_devices_at(l, i);
        if (teai_buf_printf(b, "%s %s ", d->name, d->url) || teai_device_options(d, b) ||
            teai_buf_add(b, "\n", 1))
            return -1;
    }
    return 0;
}

static void info_lines(const uint8_t *data, size_t size) {
    teai_remote_info in;
    memset(&in, 0, sizeof in);
    in.disk_free_kb = in.mem_total_kb = in.mem_avail_kb = -1;
    char line[4096];
    size_t k = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n' || k + 1 == sizeof line) {
            line[k] = '\0';
            teai_remote_info_line(&in, line);
            k = 0;
        } else if (data[i]) {
            line[k++] = (char)data[i];
        }
    }
    if (in.disk_free_kb < -1 || in.mem_total_kb < -1 || in.mem_avail_kb < -1) abort();
    size_t h = strlen(in.bin_sha256);
    if (h != 0 && h != 64) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 16)) return 0;
    info_lines(data, size);
    const char *path = fuzz_tmp_path("fuzz_devices", ".txt");
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    if (f) ok = fclose(f) == 0 && ok;
    if (!ok) return 0;
    teai_devices *l = NULL;
    teai_error err = {0};
    int st = teai_devices_load(path, &l, &err);
    if (st != TEAI_OK) {
        if (!err.msg[0]) abort(); /* a refusal says why */
        return 0;
    }
    teai_buf before, after;
    teai_buf_init(&before, 0);
    teai_buf_init(&after, 0);
    int described = describe(l, &before) == 0;
    if (described && teai_devices_save(l, &err) == TEAI_OK) {
        teai_devices *again = NULL;
        if (teai_devices_load(path, &again, &err) != TEAI_OK) abort(); /* it wrote it */
        if (teai_devices_count(again) != teai_devices_count(l)) abort();
        if (describe(again, &after) == 0 &&
            (before.len != after.len ||
             (before.len && memcmp(before.data, after.data, before.len) != 0)))
            abort();
        teai_devices_free(again);
    }
    teai_buf_free(&before);
    teai_buf_free(&after);
    teai_devices_free(l);
    return 0;
}
