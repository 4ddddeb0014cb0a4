#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_uint tmp_counter;

int teai__atomic_open(teai__atomic_file *af, const char *path, teai_error *err) {
    af->f = NULL;
    af->tmp = NULL;
    af->path = strdup(path);
    size_t n = strlen(path) + 64;
    af->tmp = malloc(n);
    if (!af->path || !af->tmp) {
        free(af->path), free(af->tmp);
        af->path = af->tmp = NULL;
        return teai__fail(err, TEAI_ENOMEM, "%s: out of memory", path);
    }
    snprintf(af->tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int e = errno;
    if (fd >= 0 && !(af->f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        unlink(af->tmp);
    }
    if (!af->f) {
        int rc = teai__fail(err, TEAI_EIO, "%s: cannot create %s: %s", path, af->tmp, strerror(e));
        free(af->path), free(af->tmp);
        af->path = af->tmp = NULL;
        return rc;
    }
    return TEAI_OK;
}

static void release(teai__atomic_file *af) {
    free(af->path), free(af->tmp);
    af->f = NULL;
    af->path = af->tmp = NULL;
}

void teai__atomic_abort(teai__atomic_file *af) {
    if (af->f) {
        fclose(af->f);
        unlink(af->tmp);
    }
    release(af);
}

int teai__atomic_commit(teai__atomic_file *af, teai_error *err) {
    if (!af->f) return teai__fail(err, TEAI_EINVAL, "atomic write: nothing open");
    int e = 0;
    errno = 0;
    if (fflush(af->f) != 0 || ferror(af->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(af->f)) != 0)
        e = errno;
    if (fclose(af->f) != 0 && !e) e = errno;
    af->f = NULL;
    int rc = TEAI_OK;
    if (e) {
        unlink(af->tmp);
        rc = teai__fail(err, TEAI_EIO, "%s: write: %s", af->path, strerror(e));
    } else if (rename(af->tmp, af->path) != 0) {
        e = errno;
        unlink(af->tmp);
        rc = teai__fail(err, TEAI_EIO, "%s: rename: %s", af->path, strerror(e));
    }
    release(af);
    return rc;
}

int teai__write_file_atomic(const char *path, const void *data, size_t len, teai_error *err) {
    teai__atomic_file af;
    int rc = teai__atomic_open(&af, path, err);
    if (rc != TEAI_OK) return rc;
    if (len && fwrite(data, 1, len, af.f) != len) {
        rc = teai__fail(err, TEAI_EIO, "%s: write: %s", path, strerror(errno));
        teai__atomic_abort(&af);
        return rc;
    }
    return teai__atomic_commit(&af, err);
}
