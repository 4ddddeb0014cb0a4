/* Standalone driver for libFuzzer-style targets (LLVMFuzzerTestOneInput), so
 * fuzz targets run under gcc and in `make test` without libFuzzer:
 *   fuzz_x [-seconds=N] [-runs=N] [-seed=N] [CORPUS_DIR_OR_FILE...]
 * Runs every corpus input, then random mutations of them (bit flips, byte
 * sets, inserts, deletes, truncations, splices, interesting integers) until
 * the time or run budget is spent. A crash is the failure signal; under
 * ASan+UBSan every memory or UB error aborts the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    uint8_t *data;
    size_t size;
} input;

static input *g_inputs;
static size_t g_n, g_cap;
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static void add_input(const uint8_t *d, size_t n) {
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 16;
        g_inputs = realloc(g_inputs, g_cap * sizeof *g_inputs);
        if (!g_inputs) abort();
    }
    g_inputs[g_n].data = malloc(n ? n : 1);
    if (!g_inputs[g_n].data) abort();
    if (n) memcpy(g_inputs[g_n].data, d, n);
    g_inputs[g_n].size = n;
    g_n++;
}

static void load_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > (64u << 20)) break;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    add_input(buf, n);
    free(buf);
}

static void load_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        load_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        load_path(p);
    }
    closedir(d);
}

static size_t mutate(uint8_t *buf, size_t n, size_t cap) {
    static const int64_t interesting[] = {
        0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0xffffffff, 64, 4096};
    int rounds = 1 + (int)(rnd() % 4);
    for (int r = 0; r < rounds; r++) {
        switch (rnd() % 8) {
            case 0: /* bit flip */
                if (n) buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 1: /* random byte */
                if (n) buf[rnd() % n] = (uint8_t)rnd();
                break;
            case 2: /* insert bytes */
                if (n < cap) {
                    size_t pos = rnd() % (n + 1), k = 1 + rnd() % 8;
                    if (k > cap - n) k = cap - n;
                    memmove(buf + pos + k, buf + pos, n - pos);
                    for (size_t i = 0; i < k; i++) buf[pos + i] = (uint8_t)rnd();
                    n += k;
                }
                break;
            case 3: /* delete bytes */
                if (n) {
                    size_t pos = rnd() % n, k = 1 + rnd() % 16;
                    if (k > n - pos) k = n - pos;
                    memmove(buf + pos, buf + pos + k, n - pos - k);
                    n -= k;
                }
                break;
            case 4: /* truncate */
                if (n) n = rnd() % n;
                break;
            case 5: { /* interesting integer, 1/2/4/8 bytes little-endian */
                if (!n) break;
                int64_t v = interesting[rnd() % (sizeof interesting / sizeof *interesting)];
                size_t w = (size_t)1 << (rnd() % 4), pos = rnd() % n;
                for (size_t i = 0; i < w && pos + i < n; i++)
                    buf[pos + i] = (uint8_t)(v >> (8 * i));
                break;
            }
            case 6: /* splice from another input */
                if (g_n && n) {
                    const input *o = &g_inputs[rnd() % g_n];
                    if (o->size) {
                        size_t from = rnd() % o->size, to = rnd() % n;
                        size_t k = 1 + rnd() % 64;
                        if (k > o->size - from) k = o->size - from;
                        if (k > n - to) k = n - to;
                        memcpy(buf + to, o->data + from, k);
                    }
                }
                break;
            default: /* duplicate a chunk */
                if (n && n < cap) {
                    size_t pos = rnd() % n, k = 1 + rnd() % 32;
                    if (k > n - pos) k = n - pos;
                    if (k > cap - n) k = cap - n;
                    memmove(buf + pos + k, buf + pos, n - pos);
                    n += k;
                }
                break;
        }
    }
    return n;
}

int main(int argc, char **argv) {
    double seconds = 10;
    long runs = -1;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-seconds=", 9) == 0)
            seconds = strtod(argv[i] + 9, NULL);
        else if (strncmp(argv[i], "-max_total_time=", 16) == 0)
            seconds = strtod(argv[i] + 16, NULL);
        else if (strncmp(argv[i], "-runs=", 6) == 0)
            runs = strtol(argv[i] + 6, NULL, 10);
        else if (strncmp(argv[i], "-seed=", 6) == 0)
            g_rng = strtoull(argv[i] + 6, NULL, 10) | 1;
        else if (argv[i][0] != '-')
            load_path(argv[i]);
    }
    if (g_n == 0) add_input((const uint8_t *)"", 0);
    for (size_t i = 0; i < g_n; i++) LLVMFuzzerTestOneInput(g_inputs[i].data, g_inputs[i].size);

    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) return 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long done = 0;
    for (;; done++) {
        if (runs >= 0 && done >= runs) break;
        if ((done & 63) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            double el = (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec);
            if (runs < 0 && el >= seconds) break;
        }
        const input *src = &g_inputs[rnd() % g_n];
        size_t n = src->size < cap ? src->size : cap;
        memcpy(buf, src->data, n);
        n = mutate(buf, n, cap);
        /* Exact-size heap copy so ASan sees reads past the end. */
        uint8_t *exact = malloc(n ? n : 1);
        if (!exact) return 1;
        memcpy(exact, buf, n);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
        if (n > 16 && n < 256 * 1024 && (rnd() % 64) == 0) add_input(buf, n);
    }
    printf("fuzz: %zu corpus inputs, %ld mutated runs, no crash\n", g_n, done);
    free(buf);
    for (size_t i = 0; i < g_n; i++) free(g_inputs[i].data);
    free(g_inputs);
    return 0;
}
