/* teai_report_write (report.h): reads the folder once, fills the slides
 * (slides.c), writes the figures' PNGs into a temporary folder, the PDF
 * (pdf.c) and the typst source (typst.c) through base's atomic write, and
 * commits them in the order figures folder, typst, PDF, so that a failure
 * leaves no partial file. */
#include "report/report_impl.h"

#include "base/base.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes dir and the files in it (the figures folder has no subfolders). */
static void remove_tree_flat(const char *dir) {
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4096];
        int w = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (w > 0 && (size_t)w < sizeof p) unlink(p);
    }
    closedir(dp);
    rmdir(dir);
}

/* Pushes what af has buffered to the disk now, so that a full disk shows
 * before anything is renamed (teai__atomic_commit does it again, cheaply). */
static int sync_now(teai__atomic_file *af, teai_error *err) {
    errno = 0;
    int e = 0;
    if (fflush(af->f) != 0 || ferror(af->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(af->f)) != 0)
        e = errno;
    return e ? teai__fail(err, TEAI_EIO, "%s: write: %s", af->path, strerror(e)) : TEAI_OK;
}

/* Puts the new figures folder in place of the old one (removed). */
static int swap_figures_dir(const char *tmpdir, const char *dir, teai_error *err) {
    char old[4096 + 16];
    snprintf(old, sizeof old, "%s.oldXXXXXX", dir);
    struct stat sb;
    int had_old = stat(dir, &sb) == 0 && mkdtemp(old) && !rmdir(old) && !rename(dir, old);
    int st = TEAI_OK;
    if (rename(tmpdir, dir)) st = teai__fail(err, TEAI_EIO, "%s: %s", dir, strerror(errno));
    if (had_old) remove_tree_flat(old);
    return st;
}

int teai_report_write(const teai_report_opts *o, teai_report_result *res, teai_error *err) {
    teai_error dummy = {0};
    if (!err) err = &dummy;
    memset(res, 0, sizeof *res);
    if (!o || !o->dir || !o->pdf_path || !*o->pdf_path)
        return teai__fail(err, TEAI_EINVAL, "no folder or output path");

    /* names: stem = pdf_path without ".pdf" */
    char stem[4096];
    size_t pl = strlen(o->pdf_path);
    if (pl >= sizeof stem - 64) return teai__fail(err, TEAI_EINVAL, "output path too long");
    memcpy(stem, o->pdf_path, pl + 1);
    if (pl > 4 && !strcmp(stem + pl - 4, ".pdf")) stem[pl - 4] = 0;
    if (snprintf(res->typ_path, sizeof res->typ_path, "%s.typ", stem) >=
            (int)sizeof res->typ_path ||
        snprintf(res->figures_dir, sizeof res->figures_dir, "%s_figures", stem) >=
            (int)sizeof res->figures_dir)
        return teai__fail(err, TEAI_EINVAL, "output path too long");

    teai_figures_data fd;
    int st = teai__report_read(o, &fd, err);
    if (st) return st;

    teai__deck d = {0};
    teai__atomic_file pdf = {0}, typ = {0};
    char tmpdir[4096 + 16];
    snprintf(tmpdir, sizeof tmpdir, "%s.tmpXXXXXX", res->figures_dir);
    if (!mkdtemp(tmpdir)) {
        st = teai__fail(err, TEAI_EIO, "%s: %s", tmpdir, strerror(errno));
        goto done_nodir;
    }
    st = teai__report_slides(&d, o, &fd, tmpdir, res, err);
    if (st) goto done;

    teai__page pg = o->paper ? (teai__page){612, 792, 54, 12} : (teai__page){960, 540, 36, 16};
    st = teai__atomic_open(&pdf, o->pdf_path, err);
    if (!st) st = teai__report_pdf(&d, &pg, pdf.f, o->pdf_path, err);
    if (!st) st = sync_now(&pdf, err);
    if (!st) st = teai__atomic_open(&typ, res->typ_path, err);
    if (!st) {
        const char *slash = strrchr(res->figures_dir, '/');
        teai__report_typst(&d, &pg, o->paper, slash ? slash + 1 : res->figures_dir, typ.f);
        st = sync_now(&typ, err);
    }
    if (!st) st = swap_figures_dir(tmpdir, res->figures_dir, err);
    if (!st) st = teai__atomic_commit(&typ, err);
    if (!st) st = teai__atomic_commit(&pdf, err);
    if (!st) res->n_pages = d.n;

done:
    if (typ.f) teai__atomic_abort(&typ); /* both are released once committed */
    if (pdf.f) teai__atomic_abort(&pdf);
    remove_tree_flat(tmpdir); /* gone after the swap; cleans up on failure */
done_nodir:
    teai__deck_free(&d);
    teai_figures_data_free(&fd);
    return st;
}
