/* SHA-256 (FIPS 180-4) of files, with a cache keyed by path, size and mtime so
 * a multi-GB model is hashed once. */
#include "sys/sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes so far */
    uint8_t buf[64];
    size_t n; /* bytes in buf */
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

static void block(sha256 *s, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
             g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void init(sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0, s->n = 0;
}

static void update(sha256 *s, const uint8_t *p, size_t n) {
    s->len += n;
    if (s->n) {
        size_t take = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, take);
        s->n += take, p += take, n -= take;
        if (s->n < 64) return; /* the block is still not full: nothing more to do */
        block(s, s->buf);
        s->n = 0;
    }
    for (; n >= 64; p += 64, n -= 64) block(s, p);
    memcpy(s->buf, p, n);
    s->n = n;
}

static void final(sha256 *s, char hex[65]) {
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, lenbe[8];
    update(s, &pad, 1);
    while (s->n != 56) update(s, &zero, 1);
    for (int i = 0; i < 8; i++) lenbe[i] = (uint8_t)(bits >> (56 - 8 * i));
    update(s, lenbe, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

void teai_sha256_hex(const void *data, size_t n, char hex[65]) {
    sha256 s;
    init(&s);
    update(&s, data, n);
    final(&s, hex);
}

static int hash_file(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    sha256 s;
    init(&s);
    static uint8_t buf[1 << 20];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) update(&s, buf, r);
    int bad = ferror(f);
    fclose(f);
    if (bad) return -1;
    final(&s, hex);
    return 0;
}

static void cache_path(char *out, size_t cap) {
    const char *c = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (c && *c)
        snprintf(out, cap, "%s/teai/sha256.tsv", c);
    else
        snprintf(out, cap, "%s/.cache/teai/sha256.tsv", home ? home : ".");
}

int teai_file_sha256(const char *path, char hex[65]) {
    struct stat st;
    char real[4096];
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
    char cache[4096], line[4600];
    cache_path(cache, sizeof cache);
    FILE *f = fopen(cache, "r");
    if (f) { /* lines: sha \t size \t mtime \t path */
        while (fgets(line, sizeof line, f)) {
            char sha[65], p[4096];
            unsigned long long size, mtime;
            line[strcspn(line, "\n")] = '\0';
            if (sscanf(line, "%64[0-9a-f]\t%llu\t%llu\t%4095[^\n]", sha, &size, &mtime, p) == 4 &&
                strcmp(p, real) == 0 && size == (unsigned long long)st.st_size &&
                mtime == (unsigned long long)st.st_mtime) {
                fclose(f);
                memcpy(hex, sha, 65);
                return 0;
            }
        }
        fclose(f);
    }
    if (hash_file(path, hex) != 0) return -1;
    /* append; a lost line only costs a re-hash next time */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cache);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        char *s2 = strrchr(dir, '/');
        if (s2) {
            *s2 = '\0';
            mkdir(dir, 0755);
            *s2 = '/';
        }
        mkdir(dir, 0755);
    }
    if ((f = fopen(cache, "a"))) {
        fprintf(f, "%s\t%llu\t%llu\t%s\n", hex, (unsigned long long)st.st_size,
                (unsigned long long)st.st_mtime, real);
        fclose(f);
    }
    return 0;
}
