/* GGUF reader and writer: round trip of every metadata type and of tensors,
 * alignment, and one-line errors for corrupt files. */
#include "gguf.h"
#include "quant.h"
#include "test_util.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

/* Writes a small file with every key type and three tensors; returns 0 on success. */
static int write_sample(const char *path) {
    teai_gguf_writer *w = teai_gguf_writer_new();
    teai_error err = {0};
    int rc = teai_gguf_writer_set_str(w, "general.architecture", "llama");
    rc |= teai_gguf_writer_set_u32(w, "a.u32", 4000000000u);
    rc |= teai_gguf_writer_set_i32(w, "a.i32", -7);
    rc |= teai_gguf_writer_set_f32(w, "a.f32", 1.5f);
    rc |= teai_gguf_writer_set_bool(w, "a.bool", 1);
    int32_t arr[5] = {1, -2, 3, -4, 5};
    rc |= teai_gguf_writer_set_arr(w, "a.arr_i32", TEAI_GGUF_INT32, arr, 5);
    float farr[3] = {0.25f, -1.0f, 3.0f};
    rc |= teai_gguf_writer_set_arr(w, "a.arr_f32", TEAI_GGUF_FLOAT32, farr, 3);
    teai_gguf_str strs[3] = {{"one", 3}, {"", 0}, {"three\n", 6}};
    rc |= teai_gguf_writer_set_arr_str(w, "a.arr_str", strs, 3);
    int64_t ne1[1] = {7}, ne2[2] = {64, 3}, ne3[2] = {32, 2};
    rc |= teai_gguf_writer_add_tensor(w, "v", TEAI_TYPE_F32, 1, ne1);
    rc |= teai_gguf_writer_add_tensor(w, "m", TEAI_TYPE_F16, 2, ne2);
    rc |= teai_gguf_writer_add_tensor(w, "q", TEAI_TYPE_Q8_0, 2, ne3);
    if (rc || teai_gguf_writer_begin(w, path, &err)) return 1;
    float v[7] = {0, 1, 2, 3, 4, 5, 6};
    uint16_t m[192];
    for (int i = 0; i < 192; i++) m[i] = teai__f32_to_fp16((float)i * 0.5f);
    uint8_t q[2 * 34];
    float row[32];
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 32; i++) row[i] = (float)(i - 16) / (r + 1);
        teai__quantize_row(TEAI_TYPE_Q8_0, row, q + 34 * r, 32);
    }
    rc = teai_gguf_writer_write_data(w, v, sizeof v, &err);
    /* in two pieces, to exercise streaming */
    rc |= teai_gguf_writer_write_data(w, m, 100, &err);
    rc |= teai_gguf_writer_write_data(w, (uint8_t *)m + 100, sizeof m - 100, &err);
    rc |= teai_gguf_writer_write_data(w, q, sizeof q, &err);
    rc |= teai_gguf_writer_finish(w, &err);
    teai_gguf_writer_free(w);
    return rc;
}

static void test_round_trip(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "rt.gguf");
    ASSERT_EQ(write_sample(path), 0);
    teai_gguf *g = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_version(g), 3);
    ASSERT_EQ(teai_gguf_n_kv(g), 8);
    char buf[64];
    ASSERT_STREQ(teai_gguf_get_str(g, "general.architecture", buf, sizeof buf), "llama");
    ASSERT_EQ(teai_gguf_get_int(g, "a.u32", 0), 4000000000ll);
    ASSERT_EQ(teai_gguf_get_int(g, "a.i32", 0), -7);
    ASSERT_NEAR(teai_gguf_get_float(g, "a.f32", 0), 1.5, 0);
    ASSERT_EQ(teai_gguf_get_int(g, "a.bool", 0), 1);
    ASSERT_EQ(teai_gguf_get_int(g, "missing", 99), 99);
    const teai_gguf_kv *a = teai_gguf_get(g, "a.arr_i32");
    ASSERT_TRUE(a && a->type == TEAI_GGUF_ARRAY && a->arr_n == 5);
    ASSERT_EQ(teai_gguf_arr_int(a, 3), -4);
    const teai_gguf_kv *f = teai_gguf_get(g, "a.arr_f32");
    ASSERT_NEAR(teai_gguf_arr_float(f, 2), 3.0, 0);
    const teai_gguf_kv *s = teai_gguf_get(g, "a.arr_str");
    ASSERT_TRUE(s && s->arr_type == TEAI_GGUF_STRING && s->arr_n == 3);
    ASSERT_EQ(s->arr_strs[2].len, 6);
    ASSERT_TRUE(memcmp(s->arr_strs[2].ptr, "three\n", 6) == 0);
    ASSERT_EQ(s->arr_strs[1].len, 0);
    ASSERT_EQ(teai_gguf_n_tensors(g), 3);
    const teai_gguf_tensor *v = teai_gguf_find_tensor(g, "v");
    ASSERT_TRUE(v && v->type == TEAI_TYPE_F32 && v->ne[0] == 7 && v->nbytes == 28);
    ASSERT_EQ((uintptr_t)v->data % 32, 0); /* data section aligned in the mapping */
    float x;
    memcpy(&x, (const float *)v->data + 6, 4);
    ASSERT_NEAR(x, 6, 0);
    const teai_gguf_tensor *m = teai_gguf_find_tensor(g, "m");
    ASSERT_TRUE(m && m->ne[0] == 64 && m->ne[1] == 3 && m->offset % 32 == 0);
    uint16_t h;
    memcpy(&h, (const uint8_t *)m->data + 2 * 191, 2);
    ASSERT_NEAR(teai__fp16_to_f32(h), 95.5, 0);
    const teai_gguf_tensor *q = teai_gguf_find_tensor(g, "q");
    ASSERT_TRUE(q && q->nbytes == 68);
    float row[32];
    teai__dequantize_row(TEAI_TYPE_Q8_0, (const uint8_t *)q->data + 34, row, 32);
    ASSERT_NEAR(row[0], -8.0, 0.05);
    /* copy every key into a new writer: identical values */
    teai_gguf_writer *w = teai_gguf_writer_new();
    for (int64_t i = 0; i < teai_gguf_n_kv(g); i++)
        ASSERT_EQ(teai_gguf_writer_copy_kv(w, teai_gguf_kv_at(g, i)), TEAI_OK);
    char path2[512];
    test_tmp_path(path2, sizeof path2, "copy.gguf");
    ASSERT_EQ(teai_gguf_writer_begin(w, path2, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_writer_finish(w, &err), TEAI_OK);
    teai_gguf_writer_free(w);
    teai_gguf *g2 = NULL;
    ASSERT_EQ(teai_gguf_open(path2, &g2, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_get_int(g2, "a.u32", 0), 4000000000ll);
    ASSERT_EQ(teai_gguf_get_int(g2, "a.i32", 0), -7);
    ASSERT_EQ(teai_gguf_arr_int(teai_gguf_get(g2, "a.arr_i32"), 1), -2);
    ASSERT_EQ(teai_gguf_get(g2, "a.arr_str")->arr_strs[0].len, 3);
    teai_gguf_close(g2);
    teai_gguf_close(g);
    unlink(path);
    unlink(path2);
}

/* Loads the sample, corrupts it with fn, and expects status with the file
 * name and `what` in the message. */
static void expect_corrupt(const char *label, size_t truncate_to, long patch_at, uint8_t patch,
                           int status, const char *what) {
    char path[512];
    test_tmp_path(path, sizeof path, "bad.gguf");
    ASSERT_EQ(write_sample(path), 0);
    char *data;
    size_t len;
    teai_error err = {0};
    ASSERT_EQ(teai__read_file(path, 1 << 20, &data, &len, &err), TEAI_OK);
    if (truncate_to) len = truncate_to;
    if (patch_at >= 0) data[patch_at] = (char)patch;
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fwrite(data, 1, len, f);
    fclose(f);
    free(data);
    teai_gguf *g = NULL;
    int rc = teai_gguf_open(path, &g, &err);
    if (rc != status) TEST_FAIL_AT("%s: status %d, expected %d (%s)", label, rc, status, err.msg);
    if (!strstr(err.msg, path) || !strstr(err.msg, what))
        TEST_FAIL_AT("%s: message '%s' lacks the path or '%s'", label, err.msg, what);
    ASSERT_TRUE(g == NULL);
    unlink(path);
}

static void test_corrupt(void) {
    expect_corrupt("magic", 0, 0, 'X', TEAI_EFORMAT, "not a GGUF file");
    expect_corrupt("version", 0, 4, 9, TEAI_EUNSUPPORTED, "version 9");
    expect_corrupt("header", 20, -1, 0, TEAI_EFORMAT, "truncated");
    expect_corrupt("keys", 300, -1, 0, TEAI_EFORMAT, "past end of file");
    /* tensor count byte set huge */
    expect_corrupt("count", 0, 15, 0x7f, TEAI_EFORMAT, "absurd counts");
    /* cut the data section: the last tensor's data is past the end */
    char path[512];
    test_tmp_path(path, sizeof path, "probe.gguf");
    ASSERT_EQ(write_sample(path), 0);
    teai_gguf *g = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    size_t full = (size_t)teai_gguf_file_size(g);
    teai_gguf_close(g);
    unlink(path);
    /* the last 28 bytes are alignment padding: cut into the data itself */
    expect_corrupt("tensor data", full - 40, -1, 0, TEAI_EFORMAT, "tensor q: data");
    /* a missing file */
    ASSERT_EQ(teai_gguf_open("/nonexistent/x.gguf", &g, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "/nonexistent/x.gguf") != NULL);
}

/* Rewrites the tensor info of `name` (n_dims dimensions) in the file at path:
 * its type (when type >= 0) and data offset (when offset >= 0). */
static void patch_tensor(const char *path, const char *name, int n_dims, long type, long offset) {
    char *data;
    size_t len;
    teai_error err = {0};
    ASSERT_EQ(teai__read_file(path, 1 << 20, &data, &len, &err), TEAI_OK);
    /* the tensor info: u64 name length, name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset */
    uint8_t key[64];
    uint64_t n = strlen(name);
    memcpy(key, &n, 8);
    memcpy(key + 8, name, n);
    uint32_t nd = (uint32_t)n_dims;
    memcpy(key + 8 + n, &nd, 4);
    size_t klen = 12 + n, at = 0;
    while (at + klen <= len && memcmp(data + at, key, klen) != 0) at++;
    ASSERT_TRUE(at + klen <= len);
    size_t type_at = at + klen + 8 * (size_t)n_dims;
    if (type >= 0) {
        uint32_t t = (uint32_t)type;
        memcpy(data + type_at, &t, 4);
    }
    if (offset >= 0) {
        uint64_t o = (uint64_t)offset;
        memcpy(data + type_at + 4, &o, 8);
    }
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
}

/* Writes tensors a (f16, [32]) and b (f32, [256]) with zero data. */
static int write_pair(const char *path) {
    teai_gguf_writer *w = teai_gguf_writer_new();
    teai_error err = {0};
    int64_t ne_a[1] = {32}, ne_b[1] = {256};
    int rc = teai_gguf_writer_set_str(w, "general.architecture", "llama");
    rc |= teai_gguf_writer_add_tensor(w, "a", TEAI_TYPE_F16, 1, ne_a);
    rc |= teai_gguf_writer_add_tensor(w, "b", TEAI_TYPE_F32, 1, ne_b);
    static uint8_t zeros[1024];
    if (rc || teai_gguf_writer_begin(w, path, &err)) return 1;
    rc = teai_gguf_writer_write_data(w, zeros, 64, &err);
    rc |= teai_gguf_writer_write_data(w, zeros, 1024, &err);
    rc |= teai_gguf_writer_finish(w, &err);
    teai_gguf_writer_free(w);
    return rc;
}

/* Opens path, expects TEAI_EFORMAT with the path and every string of what[]
 * in the message. */
static void expect_layout_error(const char *label, const char *path, const char *const *what) {
    teai_gguf *g = NULL;
    teai_error err = {0};
    int rc = teai_gguf_open(path, &g, &err);
    if (rc != TEAI_EFORMAT) TEST_FAIL_AT("%s: status %d (%s)", label, rc, err.msg);
    ASSERT_TRUE(g == NULL);
    if (!strstr(err.msg, path)) TEST_FAIL_AT("%s: message '%s' lacks the path", label, err.msg);
    for (; *what; what++)
        if (!strstr(err.msg, *what))
            TEST_FAIL_AT("%s: message '%s' lacks '%s'", label, err.msg, *what);
    unlink(path);
}

/* Tensor data must lie where llama.cpp's reader expects it: in declaration
 * order, each tensor after the one before (aligned), inside the file. */
static void test_layout(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "layout.gguf");
    teai_gguf *g = NULL;
    teai_error err = {0};
    /* the unpatched files open: the layout the writer produces is accepted */
    ASSERT_EQ(write_pair(path), 0);
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_find_tensor(g, "b")->offset, 64);
    teai_gguf_close(g);
    ASSERT_EQ(write_sample(path), 0);
    ASSERT_EQ(teai_gguf_open(path, &g, &err), TEAI_OK);
    ASSERT_EQ(teai_gguf_find_tensor(g, "q")->offset, 416);
    teai_gguf_close(g);

    /* a's type changed f16 -> f32 without moving b: a's 128 bytes run into b */
    ASSERT_EQ(write_pair(path), 0);
    patch_tensor(path, "a", 1, TEAI_TYPE_F32, -1);
    expect_layout_error("type grown", path,
                        (const char *const[]){"tensor a: data", "overlaps b", NULL});
    /* q moved back into m's data */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "q", 2, -1, 64);
    expect_layout_error("offset moved back", path,
                        (const char *const[]){"tensor m: data", "overlaps q", NULL});
    /* two tensors at the same offset */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "q", 2, -1, 32);
    expect_layout_error("same offset", path, (const char *const[]){"overlaps q", NULL});
    /* m's type changed f16 -> q8_0: its data shrinks and leaves a gap before q */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "m", 2, TEAI_TYPE_Q8_0, -1);
    expect_layout_error(
        "type shrunk", path,
        (const char *const[]){"tensor q: data at offset 416, expected 256 after m", NULL});
    /* misaligned */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "q", 2, -1, 420);
    expect_layout_error("misaligned", path,
                        (const char *const[]){"tensor q: offset 420 not aligned to 32", NULL});
    /* out of bounds: an aligned offset past the end of the file */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "q", 2, -1, 1 << 16);
    expect_layout_error("out of bounds", path,
                        (const char *const[]){"tensor q: data", "past end of file", NULL});
    /* an offset near 2^64: no wrap-around */
    ASSERT_EQ(write_sample(path), 0);
    patch_tensor(path, "q", 2, -1, 0x7fffffffffffffe0l);
    expect_layout_error("huge offset", path, (const char *const[]){"past end of file", NULL});
}

int main(void) {
    RUN_TEST(test_round_trip);
    RUN_TEST(test_corrupt);
    RUN_TEST(test_layout);
    TEST_MAIN_END();
}
