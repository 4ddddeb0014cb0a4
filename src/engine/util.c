#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
    int value;
    const char *name;
    const char *text;
} status_table[] = {
#define TEAI__STATUS_ROW(name, value, text) {value, #name, text},
    TEAI_STATUS_LIST(TEAI__STATUS_ROW)
#undef TEAI__STATUS_ROW
};

const char *teai_status_str(int status) {
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].value == status) return status_table[i].text;
    return "unknown error";
}

const char *teai_status_name(int status) {
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].value == status) return status_table[i].name;
    return "TEAI_EUNKNOWN";
}

int teai__fail(teai_error *err, int status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

int teai__map_file(const char *path, teai__map *map, teai_error *err) {
    return teai__map_file_ex(path, 1, map, err);
}

void teai__drop_pages(const void *p, size_t n) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || !p) return;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

int teai__map_file_ex(const char *path, int populate, teai__map *map, teai_error *err) {
    map->data = NULL;
    map->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return teai__fail(err, TEAI_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return teai__fail(err, TEAI_EIO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return teai__fail(err, TEAI_EFORMAT, "%s: empty file", path);
    }
    /* Pages are mapped in now rather than on first touch, so the load time
     * includes reading the file and the first token's time does not. */
    int flags = MAP_SHARED;
#ifdef MAP_POPULATE
    if (populate) flags |= MAP_POPULATE;
#endif
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return teai__fail(err, TEAI_EIO, "%s: mmap: %s", path, strerror(e));
    map->data = p;
    map->size = (size_t)st.st_size;
    return TEAI_OK;
}

void teai__unmap(teai__map *map) {
    if (map->data) munmap((void *)map->data, map->size);
    map->data = NULL;
    map->size = 0;
}

int teai__read_file(const char *path, size_t max_bytes, char **out, size_t *len, teai_error *err) {
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return teai__fail(err, errno == ENOENT ? TEAI_ENOTFOUND : TEAI_EIO, "%s: %s", path,
                          strerror(errno));
    teai_buf b;
    teai_buf_init(&b, max_bytes);
    char chunk[65536];
    size_t r;
    int rc = TEAI_OK;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (teai_buf_add(&b, chunk, r) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ERANGE, "%s: larger than %zu bytes", path, max_bytes);
            break;
        }
    }
    if (rc == TEAI_OK && ferror(f)) rc = teai__fail(err, TEAI_EIO, "%s: read error", path);
    fclose(f);
    if (rc != TEAI_OK) {
        teai_buf_free(&b);
        return rc;
    }
    if (!b.data && teai_buf_add(&b, "", 0) != TEAI_OK) return TEAI_ENOMEM;
    if (!b.data) {
        b.data = calloc(1, 1);
        if (!b.data) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    *out = b.data;
    if (len) *len = b.len;
    return TEAI_OK;
}

void teai_buf_init(teai_buf *b, size_t max) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : ((size_t)1 << 30);
}

int teai_buf_add(teai_buf *b, const void *data, size_t n) {
    if (n > b->max || b->len > b->max - n) return TEAI_ENOMEM;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return TEAI_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TEAI_OK;
}

int teai_buf_addstr(teai_buf *b, const char *s) {
    return teai_buf_add(b, s, strlen(s));
}

int teai_buf_printf(teai_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return TEAI_EINVAL;
    if ((size_t)n < sizeof small) return teai_buf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return TEAI_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = teai_buf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

void teai_buf_free(teai_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

float teai__fp16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: normalize */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t teai__f32_to_fp16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000;
    uint32_t abs = u & 0x7fffffff;
    if (abs >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* overflow to inf */
    if (abs < 0x38800000u) {                                  /* subnormal or zero in half */
        if (abs < 0x33000000u) return (uint16_t)sign;
        uint32_t e = abs >> 23;
        uint32_t man = (abs & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; /* 14..24 */
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
    uint32_t rem = abs & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

uint16_t teai__f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); /* quiet nan */
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

uint64_t teai__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int teai__n_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int teai__mkdirs(const char *dir, teai_error *err) {
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", dir);
    memcpy(p, dir, n + 1);
    int rc = TEAI_OK;
    for (size_t i = 1; i <= n && rc == TEAI_OK; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = teai__fail(err, TEAI_EIO, "%s: %s", p, strerror(errno));
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = teai__fail(err, TEAI_EIO, "%s: not a directory", p);
        p[i] = c;
    }
    free(p);
    return rc;
}

/* Bytes of the sequence lead byte c starts (0: it starts none) and the range
 * its second byte must fall in (Unicode Table 3-7: no overlongs, surrogates or
 * code points past U+10FFFF). */
static size_t utf8_lead(unsigned c, unsigned *lo, unsigned *hi) {
    *lo = 0x80, *hi = 0xbf;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return 2;
    if (c == 0xe0) return *lo = 0xa0, 3;
    if (c == 0xed) return *hi = 0x9f, 3;
    if (c >= 0xe1 && c <= 0xef) return 3;
    if (c == 0xf0) return *lo = 0x90, 4;
    if (c == 0xf4) return *hi = 0x8f, 4;
    if (c >= 0xf1 && c <= 0xf3) return 4;
    return 0;
}

/* Bytes at s (n left) that begin the sequence: the lead byte and the
 * continuation bytes that fit it, at most its length. */
static size_t utf8_prefix(const unsigned char *s, size_t n, size_t *len) {
    unsigned lo, hi;
    *len = n ? utf8_lead(s[0], &lo, &hi) : 0;
    if (!*len) return 0;
    size_t k = 1;
    while (k < *len && k < n && s[k] >= (k == 1 ? lo : 0x80) && s[k] <= (k == 1 ? hi : 0xbf)) k++;
    return k;
}

size_t teai__utf8_seq(const unsigned char *s, size_t n) {
    size_t len, k = utf8_prefix(s, n, &len);
    return k && k == len ? len : 0;
}

size_t teai__utf8_bad_len(const unsigned char *s, size_t n, int *cut) {
    size_t len, k = utf8_prefix(s, n, &len);
    if (cut) *cut = k > 0 && k < len && k == n;
    return k ? k : n ? 1 : 0;
}

int teai__utf8_sanitize(teai_buf *b, const char *s, size_t n, size_t *n_bad) {
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0, run = 0; /* run: start of the bytes not yet copied */
    int rc = teai_buf_add(b, "", 0);
    for (size_t i = 0; i < n && rc == TEAI_OK;) {
        size_t k = teai__utf8_seq(u + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        rc = teai_buf_add(b, s + run, i - run);
        if (rc == TEAI_OK) rc = teai_buf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
        i += teai__utf8_bad_len(u + i, n - i, NULL);
        run = i;
        bad++;
    }
    if (rc == TEAI_OK) rc = teai_buf_add(b, s + run, n - run);
    if (n_bad) *n_bad = rc == TEAI_OK ? bad : 0;
    return rc;
}
