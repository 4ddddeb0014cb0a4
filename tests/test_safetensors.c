/* safetensors reader/writer: round trips, shards, and every kind of corrupt file. */
#include "safetensors.h"
#include "test_util.h"
#include "util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[1024];

static const char *tmp(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", g_dir, name);
    return buf;
}

/* Number of files in g_dir whose name contains ".tmp." (left-over temp files). */
static int count_temp_files(void) {
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static int write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static int write_str(const char *path, const char *s) {
    return write_bytes(path, s, strlen(s));
}

/* A file with the given header JSON (no padding) and data_len bytes of data. */
static int write_raw(const char *path, const char *json, size_t data_len) {
    size_t hl = strlen(json), n = 8 + hl + data_len;
    uint8_t *buf = calloc(1, n);
    if (!buf) return -1;
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, json, hl);
    for (size_t i = 0; i < data_len; i++) buf[8 + hl + i] = (uint8_t)i;
    int rc = write_bytes(path, buf, n);
    free(buf);
    return rc;
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Every dtype teai handles, 0..4 dims, a scalar, an empty tensor, chunked writes. */
static void test_round_trip(void) {
    char path[1200];
    tmp(path, sizeof path, "rt.safetensors");
    float f32[6] = {1.5f, -2.0f, 3.25f, 0.0f, -0.125f, 1e-3f};
    uint16_t f16[6], bf16[8];
    for (int i = 0; i < 6; i++) f16[i] = teai__f32_to_fp16(f32[i]);
    for (int i = 0; i < 8; i++) bf16[i] = teai__f32_to_bf16((float)i - 3.5f);
    int8_t i8[24];
    for (int i = 0; i < 24; i++) i8[i] = (int8_t)(i - 12);
    float scalar = 42.0f;

    teai_st_writer *w = teai_st_writer_new();
    teai_error err = {0};
    ASSERT_TRUE(w);
    ASSERT_EQ(teai_st_writer_set_metadata(w, "format", "pt"), TEAI_OK);
    ASSERT_EQ(teai_st_writer_set_metadata(w, "note", "first"), TEAI_OK);
    ASSERT_EQ(teai_st_writer_set_metadata(w, "note", "say \"hi\"\n"), TEAI_OK); /* replaces */
    int64_t s1[] = {6}, s2[] = {2, 3}, s3[] = {2, 2, 2}, s4[] = {1, 2, 3, 4}, s0[] = {0, 4};
    ASSERT_EQ(teai_st_writer_add_tensor(w, "a.f32", "F32", 1, s1, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "b.f16", "F16", 2, s2, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "c.bf16", "BF16", 3, s3, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "d.i8", "I8", 4, s4, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "e.scalar", "F32", 0, NULL, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "f.empty", "F32", 2, s0, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "g \"quoted\"\tname", "U8", 1, s1, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_data_size(w), 24 + 12 + 16 + 24 + 4 + 0 + 6);
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_TRUE(!file_exists(path)); /* only the temp file so far */
    ASSERT_EQ(teai_st_writer_write_data(w, f32, sizeof f32, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, f16, 5, &err), TEAI_OK); /* in pieces */
    ASSERT_EQ(teai_st_writer_write_data(w, (uint8_t *)f16 + 5, 7, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, bf16, sizeof bf16, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, i8, sizeof i8, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, &scalar, 4, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, NULL, 0, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, "abcdef", 6, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_OK);
    teai_st_writer_free(w);
    ASSERT_EQ(count_temp_files(), 0);

    /* Header: 8-byte length, JSON padded with spaces to an 8-byte boundary. */
    char *raw;
    size_t len;
    ASSERT_EQ(teai__read_file(path, 1 << 20, &raw, &len, &err), TEAI_OK);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | (uint8_t)raw[i];
    ASSERT_EQ((8 + hl) % 8, 0);
    ASSERT_EQ(len, 8 + hl + 86);
    ASSERT_EQ(raw[8], '{');
    ASSERT_TRUE(raw[8 + hl - 1] == '}' || raw[8 + hl - 1] == ' ');

    teai_st *st = NULL;
    int rc = teai_st_open(path, &st, &err);
    if (rc != TEAI_OK) free(raw);
    ASSERT_EQ(rc, TEAI_OK);
    ASSERT_EQ(teai_st_n_tensors(st), 7);
    ASSERT_EQ(teai_st_n_files(st), 1);
    ASSERT_STREQ(teai_st_metadata(st, "format"), "pt");
    ASSERT_STREQ(teai_st_metadata(st, "note"), "say \"hi\"\n");
    ASSERT_TRUE(teai_st_metadata(st, "missing") == NULL);
    /* File order (by offset): a, b, c, d, e, then f (0 bytes at 80) before g. */
    static const char *const order[] = {
        "a.f32", "b.f16", "c.bf16", "d.i8", "e.scalar", "f.empty", "g \"quoted\"\tname"};
    for (int i = 0; i < 7; i++) ASSERT_STREQ(teai_st_tensor_at(st, i)->name, order[i]);
    ASSERT_TRUE(teai_st_tensor_at(st, 7) == NULL);
    ASSERT_TRUE(teai_st_tensor_at(st, -1) == NULL);

    const teai_st_tensor *t = teai_st_find(st, "a.f32");
    ASSERT_TRUE(t);
    ASSERT_STREQ(t->dtype, "F32");
    ASSERT_EQ(t->n_dims, 1);
    ASSERT_EQ(t->shape[0], 6);
    ASSERT_EQ(t->nbytes, 24);
    ASSERT_TRUE(memcmp(t->data, f32, 24) == 0);
    ASSERT_EQ(t->file_offset, 8 + hl);
    ASSERT_TRUE(memcmp(raw + t->file_offset, f32, 24) == 0);
    ASSERT_STREQ(t->file, path);

    t = teai_st_find(st, "b.f16");
    ASSERT_TRUE(t && t->n_dims == 2 && t->shape[0] == 2 && t->shape[1] == 3);
    ASSERT_STREQ(t->dtype, "F16");
    ASSERT_TRUE(memcmp(t->data, f16, 12) == 0);
    uint16_t h;
    memcpy(&h, (const uint8_t *)t->data + 2, 2);
    ASSERT_NEAR(teai__fp16_to_f32(h), -2.0, 0);
    ASSERT_EQ(teai_st_dtype_to_type(t->dtype), TEAI_TYPE_F16);

    t = teai_st_find(st, "c.bf16");
    ASSERT_TRUE(t && t->n_dims == 3 && t->nbytes == 16);
    ASSERT_TRUE(memcmp(t->data, bf16, 16) == 0);
    memcpy(&h, (const uint8_t *)t->data + 14, 2);
    ASSERT_NEAR(teai__bf16_to_f32(h), 3.5, 0);

    t = teai_st_find(st, "d.i8");
    ASSERT_TRUE(t && t->n_dims == 4 && t->shape[3] == 4 && t->nbytes == 24);
    ASSERT_TRUE(memcmp(t->data, i8, 24) == 0);
    ASSERT_EQ(teai_st_dtype_to_type(t->dtype), -1);

    t = teai_st_find(st, "e.scalar");
    ASSERT_TRUE(t && t->n_dims == 0 && t->nbytes == 4);
    ASSERT_TRUE(memcmp(t->data, &scalar, 4) == 0);

    t = teai_st_find(st, "f.empty");
    ASSERT_TRUE(t && t->n_dims == 2 && t->shape[0] == 0 && t->nbytes == 0);

    t = teai_st_find(st, "g \"quoted\"\tname");
    ASSERT_TRUE(t && memcmp(t->data, "abcdef", 6) == 0);
    ASSERT_TRUE(teai_st_find(st, "nope") == NULL);
    ASSERT_TRUE(teai_st_find(st, "") == NULL);

    /* The same bytes through the memory entry point. */
    teai_st *m = NULL;
    ASSERT_EQ(teai_st_open_mem(raw, len, "mem.safetensors", &m, &err), TEAI_OK);
    ASSERT_EQ(teai_st_n_tensors(m), 7);
    t = teai_st_find(m, "d.i8");
    ASSERT_TRUE(t && (const char *)t->data == raw + t->file_offset);
    ASSERT_STREQ(t->file, "mem.safetensors");
    teai_st_close(m);
    teai_st_close(st);
    free(raw);
}

static void test_empty_and_folder(void) {
    char path[1400], dir[1200];
    teai_error err = {0};
    /* No tensors, no metadata: "{}" padded to 8 bytes. */
    tmp(path, sizeof path, "empty.safetensors");
    teai_st_writer *w = teai_st_writer_new();
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_OK);
    teai_st_writer_free(w);
    teai_st *st = NULL;
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_OK);
    ASSERT_EQ(teai_st_n_tensors(st), 0);
    ASSERT_TRUE(teai_st_find(st, "x") == NULL);
    ASSERT_TRUE(teai_st_metadata(st, "format") == NULL);
    teai_st_close(st);

    /* A folder with model.safetensors. */
    tmp(dir, sizeof dir, "single");
    ASSERT_EQ(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    w = teai_st_writer_new();
    int64_t shape[] = {2, 2};
    float v[4] = {1, 2, 3, 4};
    ASSERT_EQ(teai_st_writer_add_tensor(w, "w", "F32", 2, shape, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, v, sizeof v, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_OK);
    teai_st_writer_free(w);
    ASSERT_EQ(teai_st_open(dir, &st, &err), TEAI_OK);
    ASSERT_EQ(teai_st_n_tensors(st), 1);
    ASSERT_TRUE(strstr(teai_st_find(st, "w")->file, "single/model.safetensors") != NULL);
    teai_st_close(st);

    /* A folder with nothing in it. */
    tmp(dir, sizeof dir, "nothing");
    ASSERT_EQ(mkdir(dir, 0777), 0);
    ASSERT_EQ(teai_st_open(dir, &st, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(st == NULL);
    ASSERT_TRUE(strstr(err.msg, "nothing") && strstr(err.msg, "model.safetensors"));
    tmp(path, sizeof path, "no-such.safetensors");
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "no-such.safetensors") != NULL);
}

static void test_writer_errors(void) {
    char path[1200];
    teai_error err = {0};
    int64_t shape[] = {4}, big[] = {INT64_MAX, 4}, neg[] = {-1};
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    teai_st_writer *w = teai_st_writer_new();
    ASSERT_EQ(teai_st_writer_add_tensor(w, "x", "F32", 1, shape, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "x", "F32", 1, shape, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "declared twice") != NULL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y", "Q4", 1, shape, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "y") && strstr(err.msg, "Q4"));
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y", "F4", 1, shape, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "__metadata__", "F32", 1, shape, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "", "F32", 1, shape, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y", "F32", 9, nine, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y", "F32", 1, neg, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y", "F32", 2, big, &err), TEAI_ERANGE);
    ASSERT_EQ(teai_st_writer_write_data(w, "abcd", 4, &err), TEAI_EINVAL); /* before begin */

    /* Too much data: refused, and nothing is left behind. */
    tmp(path, sizeof path, "werr.safetensors");
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "z", "F32", 1, shape, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_set_metadata(w, "k", "v"), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_write_data(w, "0123456789abcdefXYZ", 17, &err), TEAI_EINVAL);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_EINVAL);
    teai_st_writer_free(w);
    ASSERT_TRUE(!file_exists(path));
    ASSERT_EQ(count_temp_files(), 0);

    /* Too little data. */
    w = teai_st_writer_new();
    ASSERT_EQ(teai_st_writer_add_tensor(w, "x", "F32", 1, shape, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_add_tensor(w, "y.short", "F32", 1, shape, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_write_data(w, "0123456789abcdefXYZ", 19, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "y.short") && strstr(err.msg, "19 of 32"));
    teai_st_writer_free(w);
    ASSERT_TRUE(!file_exists(path));
    ASSERT_EQ(count_temp_files(), 0);

    /* Freed before finish. */
    w = teai_st_writer_new();
    ASSERT_EQ(teai_st_writer_add_tensor(w, "x", "F32", 1, shape, &err), TEAI_OK);
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_OK);
    ASSERT_EQ(count_temp_files(), 1);
    teai_st_writer_free(w);
    ASSERT_TRUE(!file_exists(path));
    ASSERT_EQ(count_temp_files(), 0);

    /* Into a folder that does not exist. */
    w = teai_st_writer_new();
    tmp(path, sizeof path, "no-dir/x.safetensors");
    ASSERT_EQ(teai_st_writer_begin(w, path, &err), TEAI_EIO);
    ASSERT_TRUE(strstr(err.msg, "no-dir") != NULL);
    ASSERT_EQ(teai_st_writer_finish(w, &err), TEAI_EINVAL);
    teai_st_writer_free(w);
    teai_st_writer_free(NULL);
}

static int write_shard(const char *path, const char *n1, const char *n2, float base,
                       teai_error *err) {
    teai_st_writer *w = teai_st_writer_new();
    int64_t shape[] = {2, 3};
    float v[6];
    for (int i = 0; i < 6; i++) v[i] = base + (float)i;
    int rc = teai_st_writer_set_metadata(w, "format", base < 10 ? "pt" : "other");
    if (!rc) rc = teai_st_writer_add_tensor(w, n1, "F32", 2, shape, err);
    if (!rc) rc = teai_st_writer_add_tensor(w, n2, "F32", 2, shape, err);
    if (!rc) rc = teai_st_writer_begin(w, path, err);
    if (!rc) rc = teai_st_writer_write_data(w, v, sizeof v, err);
    for (int i = 0; i < 6; i++) v[i] = -v[i];
    if (!rc) rc = teai_st_writer_write_data(w, v, sizeof v, err);
    if (!rc) rc = teai_st_writer_finish(w, err);
    teai_st_writer_free(w);
    return rc;
}

static void test_sharded(void) {
    char dir[1200], path[1400], index[1400];
    teai_error err = {0};
    tmp(dir, sizeof dir, "sharded");
    ASSERT_EQ(mkdir(dir, 0777), 0);
    const char *f1 = "model-00001-of-00002.safetensors", *f2 = "model-00002-of-00002.safetensors";
    snprintf(path, sizeof path, "%s/%s", dir, f2); /* written first: order comes from names */
    ASSERT_EQ(write_shard(path, "model.layers.1.w", "lm_head.weight", 100, &err), TEAI_OK);
    snprintf(path, sizeof path, "%s/%s", dir, f1);
    ASSERT_EQ(write_shard(path, "model.embed_tokens.weight", "model.layers.0.w", 0, &err), TEAI_OK);
    const char *names[] = {"model.layers.1.w", "lm_head.weight", "model.embed_tokens.weight",
                           "model.layers.0.w"};
    const char *files[] = {f2, f2, f1, f1};
    snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir);
    ASSERT_EQ(teai_st_write_index(index, 4, names, files, 96, &err), TEAI_OK);

    /* The index is sorted by name, as transformers writes it. */
    char *text;
    ASSERT_EQ(teai__read_file(index, 1 << 20, &text, NULL, &err), TEAI_OK);
    char *a = strstr(text, "lm_head.weight"), *b = strstr(text, "model.layers.1.w");
    int sorted = a && b && a < b && strstr(text, "\"total_size\": 96") != NULL;
    free(text);
    ASSERT_TRUE(sorted);

    for (int pass = 0; pass < 2; pass++) { /* the index itself, then the folder */
        teai_st *st = NULL;
        ASSERT_EQ(teai_st_open(pass ? dir : index, &st, &err), TEAI_OK);
        ASSERT_EQ(teai_st_n_files(st), 2);
        ASSERT_EQ(teai_st_n_tensors(st), 4);
        ASSERT_STREQ(teai_st_tensor_at(st, 0)->name, "model.embed_tokens.weight");
        ASSERT_STREQ(teai_st_tensor_at(st, 1)->name, "model.layers.0.w");
        ASSERT_STREQ(teai_st_tensor_at(st, 2)->name, "model.layers.1.w");
        ASSERT_STREQ(teai_st_tensor_at(st, 3)->name, "lm_head.weight");
        const teai_st_tensor *t = teai_st_find(st, "lm_head.weight");
        ASSERT_TRUE(t && strstr(t->file, f2));
        float v;
        memcpy(&v, (const float *)t->data + 5, 4);
        ASSERT_NEAR(v, -105.0, 0);
        t = teai_st_find(st, "model.layers.0.w");
        ASSERT_TRUE(t && strstr(t->file, f1));
        memcpy(&v, t->data, 4);
        ASSERT_NEAR(v, -0.0, 0);
        ASSERT_STREQ(teai_st_metadata(st, "format"), "pt"); /* first shard's */
        teai_st_close(st);
    }

    /* The index names a tensor in the wrong shard. */
    const char *wrong[] = {f1, f2, f1, f1};
    ASSERT_EQ(teai_st_write_index(index, 4, names, wrong, 96, &err), TEAI_OK);
    teai_st *st = NULL;
    ASSERT_EQ(teai_st_open(index, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "model.layers.1.w") && strstr(err.msg, f1));

    /* A missing shard. */
    const char *f3 = "model-00003-of-00003.safetensors";
    const char *missing[] = {f2, f3, f1, f1};
    ASSERT_EQ(teai_st_write_index(index, 4, names, missing, 96, &err), TEAI_OK);
    ASSERT_EQ(teai_st_open(dir, &st, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(st == NULL);
    ASSERT_TRUE(strstr(err.msg, f3) != NULL);

    /* Shard names that leave the folder are refused, by writer and reader. */
    const char *evil[] = {"../x.safetensors", f2, f1, f1};
    ASSERT_EQ(teai_st_write_index(index, 4, names, evil, 96, &err), TEAI_EINVAL);
    ASSERT_EQ(write_str(index, "{\"weight_map\":{\"a\":\"/etc/passwd\"}}"), 0);
    ASSERT_EQ(teai_st_open(index, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "index.json") && strstr(err.msg, "shard"));
    ASSERT_EQ(write_str(index, "{\"weight_map\":{}}"), 0);
    ASSERT_EQ(teai_st_open(index, &st, &err), TEAI_EFORMAT);
    ASSERT_EQ(write_str(index, "{\"weight_map\":"), 0);
    ASSERT_EQ(teai_st_open(index, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "index.json: not valid JSON") != NULL);

    /* The same tensor in two shards. */
    snprintf(path, sizeof path, "%s/%s", dir, f2);
    ASSERT_EQ(write_shard(path, "model.layers.1.w", "model.layers.0.w", 100, &err), TEAI_OK);
    const char *dup[] = {f2, f2, f1, f1};
    const char *dnames[] = {"model.layers.1.w", "model.layers.0.w", "model.embed_tokens.weight",
                            "model.layers.0.w"};
    ASSERT_EQ(teai_st_write_index(index, 4, dnames, dup, 96, &err), TEAI_OK);
    ASSERT_EQ(teai_st_open(index, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "model.layers.0.w") && strstr(err.msg, "both"));
}

/* One corrupt file: expected status, and the message names the file and
 * contains `what`. */
static void expect_bad(const char *file, const char *json, size_t data_len, int status,
                       const char *what) {
    char path[1200];
    teai_error err = {0};
    tmp(path, sizeof path, file);
    if (write_raw(path, json, data_len) != 0) {
        TEST_FAIL_AT("cannot write %s", path);
        return;
    }
    teai_st *st = (teai_st *)&err; /* must be reset to NULL */
    int rc = teai_st_open(path, &st, &err);
    if (status == TEAI_OK) {
        if (rc != TEAI_OK || st == NULL)
            TEST_FAIL_AT("%s: got %s \"%s\", want ok", file, teai_status_name(rc), err.msg);
    } else if (rc != status || st != NULL || !strstr(err.msg, file) || !strstr(err.msg, what))
        TEST_FAIL_AT("%s: got %s \"%s\", want %s containing \"%s\"", file, teai_status_name(rc),
                     err.msg, teai_status_name(status), what);
    if (rc == TEAI_OK) teai_st_close(st);
}

static void test_corrupt(void) {
    char path[1200];
    teai_error err = {0};
    teai_st *st = NULL;

    /* Truncated header: fewer than 8 bytes. */
    tmp(path, sizeof path, "trunc.safetensors");
    ASSERT_EQ(write_bytes(path, "\x10\0\0\0\0", 5), 0);
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "trunc.safetensors") && strstr(err.msg, "truncated"));
    /* Header length past end of file. */
    uint8_t hdr[24] = {0x00, 0x10, 0, 0, 0, 0, 0, 0, '{', '}'};
    tmp(path, sizeof path, "hlen.safetensors");
    ASSERT_EQ(write_bytes(path, hdr, sizeof hdr), 0);
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "hlen.safetensors") && strstr(err.msg, "past end of file"));
    /* An empty file. */
    tmp(path, sizeof path, "zero.safetensors");
    ASSERT_EQ(write_bytes(path, "", 0), 0);
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "zero.safetensors") != NULL);
    /* A GGUF file by mistake. */
    tmp(path, sizeof path, "x.gguf");
    ASSERT_EQ(write_bytes(path, "GGUF\3\0\0\0\0\0\0\0\0\0\0\0", 16), 0);
    ASSERT_EQ(teai_st_open(path, &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "x.gguf") && strstr(err.msg, "GGUF"));

    const char *ok = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    expect_bad("good.safetensors", ok, 8, TEAI_OK, "");
    expect_bad("badjson.safetensors", "{\"t\":{\"dtype\":\"F32\",", 8, TEAI_EFORMAT,
               "not valid JSON");
    expect_bad("notobj.safetensors", "[1,2]", 0, TEAI_EFORMAT, "not a JSON object");
    expect_bad("trailing.safetensors", "{} x", 0, TEAI_EFORMAT, "after the header");
    expect_bad("baddtype.safetensors",
               "{\"t.w\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, TEAI_EFORMAT,
               "tensor t.w: unknown dtype");
    expect_bad("f4.safetensors",
               "{\"t.w\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 8,
               TEAI_EUNSUPPORTED, "F4");
    expect_bad("nodtype.safetensors", "{\"t.w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
               TEAI_EFORMAT, "missing dtype");
    expect_bad("past.safetensors",
               "{\"model.layers.3.mlp.up_proj.weight\":{\"dtype\":\"F32\",\"shape\":[4],"
               "\"data_offsets\":[0,16]}}",
               8, TEAI_EFORMAT,
               "tensor model.layers.3.mlp.up_proj.weight: data_offsets past end of file");
    expect_bad("mismatch.safetensors",
               "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
               TEAI_EFORMAT, "needs 12 bytes");
    expect_bad("order.safetensors",
               "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8,
               TEAI_EFORMAT, "after end");
    expect_bad("offs.safetensors",
               "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, TEAI_EFORMAT,
               "data_offsets must be");
    expect_bad("negshape.safetensors",
               "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
               TEAI_EFORMAT, "shape[0]");
    expect_bad("fracshape.safetensors",
               "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8,
               TEAI_EFORMAT, "shape[0]");
    expect_bad("overflow.safetensors",
               "{\"t.w\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
               "\"data_offsets\":[0,8]}}",
               8, TEAI_EFORMAT, "overflows");
    expect_bad("dims.safetensors",
               "{\"t.w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
               8, TEAI_EUNSUPPORTED, "9 dimensions");
    expect_bad("dup.safetensors",
               "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
               "\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
               8, TEAI_EFORMAT, "tensor t appears twice");
    expect_bad("meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0, TEAI_EFORMAT,
               "__metadata__");
    expect_bad("entry.safetensors", "{\"t.w\":[1]}", 0, TEAI_EFORMAT, "not an object");

    /* Memory entry point: the name it is given appears in messages. */
    ASSERT_EQ(teai_st_open_mem("abc", 3, "buf.safetensors", &st, &err), TEAI_EFORMAT);
    ASSERT_TRUE(st == NULL && strstr(err.msg, "buf.safetensors"));
    ASSERT_EQ(teai_st_open_mem(NULL, 0, NULL, &st, &err), TEAI_EFORMAT);
}

static void test_dtypes(void) {
    ASSERT_EQ(teai_st_dtype_size("F32"), 4);
    ASSERT_EQ(teai_st_dtype_size("BF16"), 2);
    ASSERT_EQ(teai_st_dtype_size("F8_E4M3"), 1);
    ASSERT_EQ(teai_st_dtype_size("I64"), 8);
    ASSERT_EQ(teai_st_dtype_size("f32"), 0);
    ASSERT_EQ(teai_st_dtype_size("F4"), 0);
    ASSERT_EQ(teai_st_dtype_size(NULL), 0);
    ASSERT_EQ(teai_st_dtype_to_type("F32"), TEAI_TYPE_F32);
    ASSERT_EQ(teai_st_dtype_to_type("BF16"), TEAI_TYPE_BF16);
    ASSERT_STREQ(teai_st_type_to_dtype(TEAI_TYPE_F16), "F16");
    ASSERT_TRUE(teai_st_type_to_dtype(TEAI_TYPE_Q4_K) == NULL);
}

static void test_no_cjson(void) {
    teai_st *st = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_st_open_mem("x", 1, "m.safetensors", &st, &err), TEAI_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err.msg, "built without cJSON (install libcjson-dev)") != NULL);
}

int main(void) {
    test_tmp_path(g_dir, sizeof g_dir, "safetensors");
    test_system("rm -rf '%s'", g_dir);
    if (mkdir(g_dir, 0777) != 0) {
        fprintf(stderr, "cannot create %s\n", g_dir);
        return 1;
    }
    RUN_TEST(test_dtypes);
    if (!TEAI_HAVE_CJSON) {
        RUN_TEST(test_no_cjson);
        test_system("rm -rf '%s'", g_dir);
        if (teai_test_failures) return 1;
        test_skip("built without cJSON: safetensors reading is disabled");
    }
    RUN_TEST(test_round_trip);
    RUN_TEST(test_empty_and_folder);
    RUN_TEST(test_writer_errors);
    RUN_TEST(test_sharded);
    RUN_TEST(test_corrupt);
    if (!teai_test_failures) test_system("rm -rf '%s'", g_dir);
    TEST_MAIN_END();
}
