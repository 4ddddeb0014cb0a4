/* Fuzz target: the CSV reader (results.h) over arbitrary bytes. Every record
 * it returns must be well formed (n >= 1, fields NUL-terminated), and the
 * records must survive a round trip: written back as RFC 4180 (every field
 * quoted, CRLF) and read again, they come back byte for byte. */
#include "results/results.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const void *p, size_t n) {
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2 + 64;
        o->p = realloc(o->p, o->cap);
        if (!o->p) abort();
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
}

/* Reads every record of data into one RFC 4180 text (each field quoted);
 * returns the number of records read before the end or an error. */
static long read_all(const void *data, size_t size, out *o, int *status) {
    teai_csv_reader *r = NULL;
    teai_error err = {0};
    if (teai_csv_open_mem(data, size, "fuzz.csv", &r, &err) != TEAI_OK) abort();
    const teai_csv_field *f;
    int n, st;
    long recs = 0;
    while ((st = teai_csv_next(r, &f, &n, &err)) == 1) {
        if (n < 1 || !f) abort();
        for (int i = 0; i < n; i++) {
            if (f[i].p[f[i].len] != '\0') abort();
            if (i) put(o, ",", 1);
            put(o, "\"", 1);
            for (size_t k = 0; k < f[i].len; k++)
                put(o, f[i].p[k] == '"' ? "\"\"" : &f[i].p[k], f[i].p[k] == '"' ? 2 : 1);
            put(o, "\"", 1);
        }
        put(o, "\r\n", 2);
        if (teai_csv_line(r) < 1) abort();
        recs++;
    }
    if (st < 0 && (!err.msg[0] || !strstr(err.msg, "fuzz.csv"))) abort();
    if (st > 1) abort();
    *status = st;
    teai_csv_close(r);
    return recs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    out a = {0}, b = {0};
    int st_a, st_b;
    long na = read_all(data, size, &a, &st_a);
    /* the round trip reads the same records, with no error */
    long nb = read_all(a.p ? a.p : "", a.len, &b, &st_b);
    if (st_b != 0 || nb != na || b.len != a.len || (a.len && memcmp(a.p, b.p, a.len) != 0)) abort();
    free(a.p);
    free(b.p);
    return 0;
}
