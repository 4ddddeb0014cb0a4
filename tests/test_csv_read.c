/* The streaming RFC 4180 reader: quoting, CRLF/LF, any bytes, records that
 * straddle the reader's chunks, and errors as file:line. */
#include "results/results.h"
#include "test_util.h"

#include <unistd.h>

static int read_all(const char *data, size_t len, char out[][64], int max, int *nrec,
                    teai_error *err) {
    teai_csv_reader *r;
    int st = teai_csv_open_mem(data, len, "t.csv", &r, err);
    if (st) return st;
    const teai_csv_field *f;
    int nf, k = 0;
    *nrec = 0;
    while ((st = teai_csv_next(r, &f, &nf, err)) == 1) {
        (*nrec)++;
        for (int i = 0; i < nf && k < max; i++, k++) {
            size_t n = f[i].len < 63 ? f[i].len : 63;
            memcpy(out[k], f[i].p, n);
            out[k][n] = '\0';
        }
        if (k < max) snprintf(out[k++], 64, "|");
    }
    teai_csv_close(r);
    return st;
}

static void test_quoting(void) {
    const char d[] = "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"l1\nl2\"\r\n,,\n";
    char o[32][64];
    int n;
    teai_error err = {0};
    ASSERT_EQ(read_all(d, sizeof d - 1, o, 32, &n, &err), 0);
    ASSERT_EQ(n, 3);
    ASSERT_STREQ(o[0], "a");
    ASSERT_STREQ(o[2], "c");
    ASSERT_STREQ(o[3], "|");
    ASSERT_STREQ(o[4], "x,1");
    ASSERT_STREQ(o[5], "say \"hi\"");
    ASSERT_STREQ(o[6], "l1\nl2");
    ASSERT_STREQ(o[8], "");
    ASSERT_STREQ(o[10], "");
    ASSERT_STREQ(o[11], "|");
}

static void test_no_final_newline_and_nul(void) {
    const char d[] = "1,\"a\0b\"\r\n2,x";
    teai_csv_reader *r;
    teai_error err = {0};
    ASSERT_EQ(teai_csv_open_mem(d, sizeof d - 1, "t.csv", &r, &err), 0);
    const teai_csv_field *f;
    int nf;
    ASSERT_EQ(teai_csv_next(r, &f, &nf, &err), 1);
    ASSERT_EQ(nf, 2);
    ASSERT_EQ(f[1].len, 3);
    ASSERT_TRUE(memcmp(f[1].p, "a\0b", 3) == 0);
    ASSERT_EQ(teai_csv_next(r, &f, &nf, &err), 1);
    ASSERT_EQ(teai_csv_line(r), 2);
    ASSERT_STREQ(f[1].p, "x");
    ASSERT_EQ(teai_csv_next(r, &f, &nf, &err), 0);
    teai_csv_close(r);
}

static void test_errors(void) {
    char o[8][64];
    int n;
    teai_error err = {0};
    const char a[] = "a,b\n1,\"unterminated\n";
    ASSERT_EQ(read_all(a, sizeof a - 1, o, 8, &n, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "t.csv:2:") != NULL);
    const char b[] = "a\n\n\"x\"y,1\n";
    ASSERT_EQ(read_all(b, sizeof b - 1, o, 8, &n, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "t.csv:3: bytes after a closing quote") != NULL);
    teai_csv_reader *r;
    ASSERT_EQ(teai_csv_open("/nonexistent/x.csv", &r, &err), TEAI_ENOTFOUND);
}

/* A file much larger than one chunk, with quoted newlines everywhere, read
 * back exactly. */
static void test_big_file(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "big.csv");
    FILE *fp = fopen(path, "wb");
    ASSERT_TRUE(fp != NULL);
    const long rows = 60000;
    for (long i = 0; i < rows; i++)
        fprintf(fp, "%ld,\"t,%ld\n\"\"q\"\"\",%s\r\n", i, i * 7, i % 3 ? "plain" : "");
    fclose(fp);
    teai_csv_reader *r;
    teai_error err = {0};
    ASSERT_EQ(teai_csv_open(path, &r, &err), 0);
    const teai_csv_field *f;
    int nf, st;
    long i = 0;
    while ((st = teai_csv_next(r, &f, &nf, &err)) == 1) {
        char want[64];
        snprintf(want, sizeof want, "t,%ld\n\"q\"", i * 7);
        if (nf != 3 || strtol(f[0].p, NULL, 10) != i || strcmp(f[1].p, want) ||
            strcmp(f[2].p, i % 3 ? "plain" : "") || teai_csv_line(r) != 2 * i + 1) {
            TEST_FAIL_AT("row %ld: %d fields, '%s' '%s' line %ld", i, nf, f[0].p, f[1].p,
                         teai_csv_line(r));
            teai_csv_close(r);
            return;
        }
        i++;
    }
    teai_csv_close(r);
    unlink(path);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(i, rows);
}

int main(void) {
    RUN_TEST(test_quoting);
    RUN_TEST(test_no_final_newline_and_nul);
    RUN_TEST(test_errors);
    RUN_TEST(test_big_file);
    TEST_MAIN_END();
}
