#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
