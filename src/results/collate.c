/* teai collate (step 3 of the pipeline, docs/architecture.md): every *.txt
 * log in a directory -> one CSV per backend, and their sensor samples ->
 * samples.csv, rebuilt from scratch each time, so the result depends only on
 * the logs: logs in byte order of their names, rows in the order each log's
 * reader gives. Likewise every verifiers results file (*.json) -> one
 * accuracy.csv, its rows sorted (read_verifiers.c). */
#include "results/results_impl.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct csv_out {
    char name[64];
    teai_buf text;
    long n_rows;
    int n_logs;
} csv_out;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_out(const void *a, const void *b) {
    return strcmp(((const csv_out *)a)->name, ((const csv_out *)b)->name);
}

/* Why the entry path (which stat(2) could not follow, errno e, or which is
 * not a regular file) cannot be read. */
static const char *why_unreadable(const char *path, int e, int stat_ok, char *buf, size_t cap) {
    struct stat l;
    int link = lstat(path, &l) == 0 && S_ISLNK(l.st_mode);
    if (stat_ok)
        snprintf(buf, cap, "not a regular file");
    else if (link && e == ELOOP)
        snprintf(buf, cap, "symbolic link loop (%s)", strerror(e));
    else if (link && e == ENOENT)
        snprintf(buf, cap, "dangling symbolic link (%s)", strerror(e));
    else
        snprintf(buf, cap, "%s", strerror(e));
    return buf;
}

/* The sorted names of the regular files in dir whose names end in ext
 * (".txt"; hidden ones skipped). Entries that are not regular files, or
 * cannot be followed (dangling or looping symbolic links), are noted one per
 * line ("dir/x.txt: dangling symbolic link (...), skipped") and counted in
 * *n_unreadable. */
static int list_files(const char *dir, const char *ext, char ***names_out, int *n_out,
                      teai_note_fn fn, void *ud, int *n_unreadable, teai_error *err) {
    size_t ext_len = strlen(ext);
    *names_out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return teai__fail(err, errno == ENOENT || errno == ENOTDIR ? TEAI_ENOTFOUND : TEAI_EIO,
                          "%s: %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0, rc = TEAI_OK;
    struct dirent *e;
    while (rc == TEAI_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= ext_len || e->d_name[0] == '.' || strcmp(e->d_name + len - ext_len, ext) != 0)
            continue;
        teai_buf path;
        teai_buf_init(&path, 0);
        struct stat st;
        if (teai_buf_printf(&path, "%s/%s", dir, e->d_name) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        } else if (stat(path.data, &st) != 0 || !S_ISREG(st.st_mode)) {
            int stat_errno = errno, stat_ok = stat(path.data, &st) == 0;
            char why[128];
            (*n_unreadable)++;
            teai__notef(fn, ud, "%s: %s, skipped", path.data,
                        why_unreadable(path.data, stat_errno, stat_ok, why, sizeof why));
        } else {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **p = realloc(names, sizeof *p * (size_t)cap);
                if (!p)
                    rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
                else
                    names = p;
            }
            if (rc == TEAI_OK && !(names[n++] = strdup(e->d_name)))
                rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        }
        teai_buf_free(&path);
    }
    closedir(d);
    if (rc != TEAI_OK) {
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        return rc;
    }
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    *names_out = names;
    *n_out = n;
    return TEAI_OK;
}

static csv_out *find_out(csv_out **outs, int *n, int *cap, const char *name) {
    for (int i = 0; i < *n; i++)
        if (strcmp((*outs)[i].name, name) == 0) return &(*outs)[i];
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        csv_out *p = realloc(*outs, sizeof *p * (size_t)c);
        if (!p) return NULL;
        *outs = p;
        *cap = c;
    }
    csv_out *o = &(*outs)[(*n)++];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    teai_buf_init(&o->text, 0);
    if (teai__csv_header(&o->text) != TEAI_OK) {
        (*n)--;
        teai_buf_free(&o->text);
        return NULL;
    }
    return o;
}

int teai_collate(const char *dir, teai_note_fn fn, void *ud, teai_collate_report *rep,
                 teai_error *err) {
    teai_collate_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    char **names;
    int n_names;
    int rc = list_files(dir, ".txt", &names, &n_names, fn, ud, &rep->n_unreadable, err);
    if (rc != TEAI_OK) return rc;
    csv_out *outs = NULL;
    int n_outs = 0, cap_outs = 0;
    teai_buf path, samples; /* samples: samples.csv's text once a log has some */
    teai_buf_init(&path, 0);
    teai_buf_init(&samples, 0);
    for (int i = 0; i < n_names && rc == TEAI_OK; i++) {
        path.len = 0;
        if (teai_buf_printf(&path, "%s/%s", dir, names[i]) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        teai_log_rows *rows = NULL;
        teai_error e = {0};
        int st = teai_log_read_file(path.data, fn, ud, &rows, &e);
        if (st == TEAI_ENOMEM) {
            rc = teai__fail(err, st, "%s", e.msg[0] ? e.msg : "out of memory");
            break;
        }
        if (st == TEAI_EUNSUPPORTED) {
            rep->n_skipped++;
            teai__notef(fn, ud, "%s, skipped", e.msg);
            continue;
        }
        if (st != TEAI_OK) {
            rep->n_unreadable++;
            teai__notef(fn, ud, "%s, skipped", e.msg[0] ? e.msg : teai_status_str(st));
            continue;
        }
        rep->n_logs++;
        rep->n_bad_lines += teai_log_rows_bad_lines(rows);
        csv_out *o = find_out(&outs, &n_outs, &cap_outs, teai_log_rows_csv(rows));
        if (!o || teai__csv_rows(&o->text, rows) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "%s: out of memory (CSV too large?)", dir);
        } else {
            o->n_rows += teai_log_rows_count(rows);
            o->n_logs++;
        }
        long n_smp = teai_log_rows_sample_count(rows);
        if (rc == TEAI_OK && n_smp > 0) {
            if ((samples.len == 0 && teai__csv_sample_header(&samples) != TEAI_OK) ||
                teai__csv_sample_rows(&samples, rows) != TEAI_OK)
                rc =
                    teai__fail(err, TEAI_ENOMEM, "%s: out of memory (samples.csv too large?)", dir);
            rep->n_sample_logs++;
            rep->n_sample_rows += n_smp;
        }
        teai_log_rows_free(rows);
    }
    if (rc == TEAI_OK && n_outs) qsort(outs, (size_t)n_outs, sizeof *outs, cmp_out);
    for (int i = 0; i < n_outs && rc == TEAI_OK; i++) {
        path.len = 0;
        if (teai_buf_printf(&path, "%s/%s.csv", dir, outs[i].name) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        rc = teai__write_file_atomic(path.data, outs[i].text.data, outs[i].text.len, err);
        if (rc != TEAI_OK) break;
        rep->n_csv++;
        rep->n_rows += outs[i].n_rows;
        teai__notef(fn, ud, "wrote %s (%ld rows from %d log%s)", path.data, outs[i].n_rows,
                    outs[i].n_logs, outs[i].n_logs == 1 ? "" : "s");
    }
    if (rc == TEAI_OK && samples.len) {
        path.len = 0;
        if (teai_buf_printf(&path, "%s/samples.csv", dir) != TEAI_OK)
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        else
            rc = teai__write_file_atomic(path.data, samples.data, samples.len, err);
        if (rc == TEAI_OK)
            teai__notef(fn, ud, "wrote %s (%ld rows from %d log%s)", path.data, rep->n_sample_rows,
                        rep->n_sample_logs, rep->n_sample_logs == 1 ? "" : "s");
    }
    if (rc != TEAI_OK) rep->n_sample_rows = 0; /* samples.csv not written */
    if (rc == TEAI_OK && n_names == 0) teai__notef(fn, ud, "%s: no *.txt logs", dir);
    for (int i = 0; i < n_outs; i++) teai_buf_free(&outs[i].text);
    free(outs);
    for (int i = 0; i < n_names; i++) free(names[i]);
    free(names);
    teai_buf_free(&path);
    teai_buf_free(&samples);
    return rc;
}

/* ---- accuracy.csv ----------------------------------------------------------- */

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

int teai_collate_accuracy(const char *dir, const char *eval_dir, teai_note_fn fn, void *ud,
                          teai_acc_report *rep, teai_error *err) {
    teai_acc_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    teai_buf path;
    teai_buf_init(&path, 0);
    if (!eval_dir) {
        if (teai_buf_printf(&path, "%s/verifiers_results", dir) != TEAI_OK) {
            teai_buf_free(&path);
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        }
    } else if (teai_buf_addstr(&path, eval_dir) != TEAI_OK) {
        teai_buf_free(&path);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    char *edir = strdup(path.data);
    char **names = NULL;
    int n_names = 0;
    teai_error le = {0};
    int rc = edir ? list_files(edir, ".json", &names, &n_names, fn, ud, &rep->n_bad_files, &le)
                  : TEAI_ENOMEM;
    if (rc == TEAI_ENOTFOUND) { /* no results: nothing to collate */
        free(edir);
        teai_buf_free(&path);
        return TEAI_OK;
    }
    if (rc != TEAI_OK) {
        free(edir);
        teai_buf_free(&path);
        return teai__fail(err, rc, "%s", le.msg[0] ? le.msg : "out of memory");
    }
    teai_acc_rows *rows = teai_acc_rows_new();
    if (!rows) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    for (int i = 0; i < n_names && rc == TEAI_OK; i++) {
        path.len = 0;
        if (teai_buf_printf(&path, "%s/%s", edir, names[i]) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
            break;
        }
        char *text = NULL;
        size_t len = 0;
        teai_error e = {0};
        int st = teai__read_file(path.data, (size_t)1 << 30, &text, &len, &e);
        if (st == TEAI_OK) {
            int n_rec = 0, n_bad = 0;
            st = teai_acc_read_json_mem(text, len, names[i], fn, ud, rows, &n_rec, &n_bad, &e);
            free(text);
            rep->n_records += n_rec;
            rep->n_bad += n_bad;
        }
        if (st == TEAI_ENOMEM || st == TEAI_EUNSUPPORTED) {
            rc = teai__fail(err, st, "%s", e.msg[0] ? e.msg : teai_status_str(st));
        } else if (st != TEAI_OK) {
            rep->n_bad_files++;
            teai__notef(fn, ud, "%s, skipped", e.msg[0] ? e.msg : teai_status_str(st));
        } else {
            rep->n_files++;
        }
    }
    if (rc == TEAI_OK && rep->n_files) {
        teai_acc_rows_sort(rows);
        char *csv = NULL;
        size_t len = 0;
        path.len = 0;
        if (teai_acc_rows_csv(rows, &csv, &len) != TEAI_OK ||
            teai_buf_printf(&path, "%s/accuracy.csv", dir) != TEAI_OK) {
            rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
        } else {
            rc = teai__write_file_atomic(path.data, csv, len, err);
        }
        free(csv);
        if (rc == TEAI_OK) {
            rep->written = 1;
            rep->n_rows = teai_acc_rows_count(rows);
            teai__notef(fn, ud, "wrote %s (%ld rows from %d results file%s)", path.data,
                        rep->n_rows, rep->n_files, rep->n_files == 1 ? "" : "s");
        }
    } else if (rc == TEAI_OK && n_names) {
        teai__notef(fn, ud, "%s: no usable results file, accuracy.csv not written", edir);
    }
    teai_acc_rows_free(rows);
    free_names(names, n_names);
    free(edir);
    teai_buf_free(&path);
    return rc;
}
