/* Fuzz target: model.safetensors.index.json over arbitrary bytes, in a
 * folder holding two valid shards (model-00001-of-00002.safetensors with
 * tensors a and b, model-00002-of-00002.safetensors with c) and a file that
 * is not a shard (notes.txt). Whatever the index says, the open must either
 * fail with a message naming the index, or give tensors that are each in the
 * shard the index names, inside that shard's data, and found by name. */
#include "safetensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[256], g_index[300];

static void write_shard(const char *name, int n, const char *const *tensors) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    teai_st_writer *w = teai_st_writer_new();
    teai_error err = {0};
    int64_t shape[2] = {2, 3};
    for (int i = 0; i < n; i++)
        if (teai_st_writer_add_tensor(w, tensors[i], "F32", 2, shape, &err)) abort();
    if (teai_st_writer_begin(w, path, &err)) abort();
    float v[6] = {1, 2, 3, 4, 5, 6};
    for (int i = 0; i < n; i++)
        if (teai_st_writer_write_data(w, v, sizeof v, &err)) abort();
    if (teai_st_writer_finish(w, &err)) abort();
    teai_st_writer_free(w);
}

static void cleanup(void) {
    static const char *const files[] = {"model-00001-of-00002.safetensors",
                                        "model-00002-of-00002.safetensors", "notes.txt",
                                        "model.safetensors.index.json"};
    char path[400];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, files[i]);
        unlink(path);
    }
    rmdir(g_dir);
}

static void setup(void) {
    const char *tmp = getenv("TEAI_TEST_TMP");
    snprintf(g_dir, sizeof g_dir, "%s/fuzz_st_index.%d", tmp ? tmp : "/tmp", (int)getpid());
    if (mkdir(g_dir, 0700) != 0) abort();
    atexit(cleanup);
    write_shard("model-00001-of-00002.safetensors", 2, (const char *const[]){"a", "b"});
    write_shard("model-00002-of-00002.safetensors", 1, (const char *const[]){"c"});
    char path[400];
    snprintf(path, sizeof path, "%s/notes.txt", g_dir);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fputs("not a shard\n", f);
    fclose(f);
    snprintf(g_index, sizeof g_index, "%s/model.safetensors.index.json", g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) setup();
    FILE *f = fopen(g_index, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    teai_st *st = NULL;
    teai_error err = {0};
    /* the folder and the index file itself take the same path */
    int rc = teai_st_open((size & 1) ? g_dir : g_index, &st, &err);
    if (rc != TEAI_OK) {
        if (st || rc >= 0 || err.status != rc || !strstr(err.msg, g_dir)) abort();
        return 0;
    }
    int64_t n = teai_st_n_tensors(st), nf = teai_st_n_files(st);
    if (n < 1 || n > 3 || nf < 1 || nf > 2) abort();
    for (int64_t i = 0; i < n; i++) {
        const teai_st_tensor *t = teai_st_tensor_at(st, i);
        if (!t || teai_st_find(st, t->name) != t || t->nbytes != 24) abort();
        const char *want = strcmp(t->name, "c") == 0 ? "model-00002-of-00002.safetensors"
                                                     : "model-00001-of-00002.safetensors";
        const char *slash = strrchr(t->file, '/');
        if (!slash || strcmp(slash + 1, want) != 0) abort();
        float x;
        memcpy(&x, (const uint8_t *)t->data + 20, 4);
        if (x != 6) abort();
    }
    teai_st_close(st);
    return 0;
}
