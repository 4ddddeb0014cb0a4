/* teai report: slides in memory, then drawn with cairo (PDF) and written as
 * typst source (see report.h). */
#include "plot/report.h"

#include "plot/figures.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FONT                 "DejaVu Sans"
#define TABLE_ROWS_PER_SLIDE 12

/* ---- slides ---------------------------------------------------------------- */

enum { SL_TITLE, SL_BULLETS, SL_TABLE, SL_FIGURE };

typedef struct slide {
    int kind;
    char *title;
    char *sub;    /* title slide: subtitle; figure: caption */
    char **items; /* bullets, or table cells row-major (first row = header) */
    int n_items, cap_items;
    int ncols;      /* table */
    char *png;      /* figure: path of the PNG as written */
    char *png_name; /* figure: file name inside the figures folder */
} slide;

typedef struct deck {
    slide *s;
    int n, cap;
    int oom;
} deck;

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

static char *vfmt(const char *fmt, va_list ap) {
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return dup_str(buf);
}

static slide *deck_add(deck *d, int kind, const char *title) {
    if (d->oom) return NULL;
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 16;
        slide *ns = realloc(d->s, (size_t)nc * sizeof *ns);
        if (!ns) {
            d->oom = 1;
            return NULL;
        }
        d->s = ns, d->cap = nc;
    }
    slide *s = &d->s[d->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->title = dup_str(title);
    if (!s->title) d->oom = 1;
    return s;
}

static void slide_item(deck *d, slide *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slide_item(deck *d, slide *s, const char *fmt, ...) {
    if (!s || d->oom) return;
    if (s->n_items == s->cap_items) {
        int nc = s->cap_items ? s->cap_items * 2 : 16;
        char **ni = realloc(s->items, (size_t)nc * sizeof *ni);
        if (!ni) {
            d->oom = 1;
            return;
        }
        s->items = ni, s->cap_items = nc;
    }
    va_list ap;
    va_start(ap, fmt);
    char *p = vfmt(fmt, ap);
    va_end(ap);
    if (!p) {
        d->oom = 1;
        return;
    }
    s->items[s->n_items++] = p;
}

static void deck_free(deck *d) {
    for (int i = 0; i < d->n; i++) {
        slide *s = &d->s[i];
        free(s->title), free(s->sub), free(s->png), free(s->png_name);
        for (int k = 0; k < s->n_items; k++) free(s->items[k]);
        free(s->items);
    }
    free(d->s);
}

/* ---- scanning the CSVs: setup, empty columns, warm-up rows ----------------- */

#define SETUP_COLS 8
static const char *const setup_cols[SETUP_COLS] = {
    "hostname", "device",        "backend",   "backend_version",
    "model",    "weight_format", "synthetic", "teai_version"};

typedef struct scan {
    char **col_names; /* every column seen */
    int *col_used;    /* non-empty in some row */
    int n_cols, cap_cols;
    char **tuples; /* unique setup tuples, fields joined by '\x1f' */
    int n_tuples, cap_tuples;
    long rows, warmup_rows;
    int oom;
} scan;

static int scan_col(scan *sc, const char *name) {
    for (int i = 0; i < sc->n_cols; i++)
        if (!strcmp(sc->col_names[i], name)) return i;
    if (sc->n_cols == sc->cap_cols) {
        int nc = sc->cap_cols ? sc->cap_cols * 2 : 64;
        char **nn = realloc(sc->col_names, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        sc->col_names = nn;
        int *nu = realloc(sc->col_used, (size_t)nc * sizeof *nu);
        if (!nu) return -1;
        sc->col_used = nu, sc->cap_cols = nc;
    }
    char *p = dup_str(name);
    if (!p) return -1;
    sc->col_names[sc->n_cols] = p;
    sc->col_used[sc->n_cols] = 0;
    return sc->n_cols++;
}

static void scan_tuple(scan *sc, const char *t) {
    for (int i = 0; i < sc->n_tuples; i++)
        if (!strcmp(sc->tuples[i], t)) return;
    if (sc->n_tuples == sc->cap_tuples) {
        int nc = sc->cap_tuples ? sc->cap_tuples * 2 : 16;
        char **nt = realloc(sc->tuples, (size_t)nc * sizeof *nt);
        if (!nt) {
            sc->oom = 1;
            return;
        }
        sc->tuples = nt, sc->cap_tuples = nc;
    }
    if (!(sc->tuples[sc->n_tuples] = dup_str(t))) {
        sc->oom = 1;
        return;
    }
    sc->n_tuples++;
}

static void scan_file(scan *sc, const char *path) {
    teai_csv_reader *r = NULL;
    if (teai_csv_open(path, &r, NULL)) return;
    const teai_csv_field *f;
    int n, map[256], setup_idx[SETUP_COLS], warm_idx = -1, nh = 0;
    int st = teai_csv_next(r, &f, &n, NULL);
    if (st == 1) {
        nh = n < 256 ? n : 256;
        for (int i = 0; i < SETUP_COLS; i++) setup_idx[i] = -1;
        for (int i = 0; i < nh; i++) {
            map[i] = scan_col(sc, f[i].p);
            if (map[i] < 0) sc->oom = 1;
            for (int k = 0; k < SETUP_COLS; k++)
                if (!strcmp(f[i].p, setup_cols[k])) setup_idx[k] = i;
            if (!strcmp(f[i].p, "warmup")) warm_idx = i;
        }
        while (!sc->oom && teai_csv_next(r, &f, &n, NULL) == 1) {
            if (n != nh) continue;
            sc->rows++;
            for (int i = 0; i < nh; i++)
                if (map[i] >= 0 && f[i].len) sc->col_used[map[i]] = 1;
            if (warm_idx >= 0 && !strcmp(f[warm_idx].p, "1")) sc->warmup_rows++;
            char t[2048];
            size_t o = 0;
            for (int k = 0; k < SETUP_COLS; k++) {
                const char *v = setup_idx[k] >= 0 ? f[setup_idx[k]].p : "";
                int w = snprintf(t + o, sizeof t - o, "%s%s", k ? "\x1f" : "", v);
                if (w < 0 || (size_t)w >= sizeof t - o) break;
                o += (size_t)w;
            }
            scan_tuple(sc, t);
        }
    }
    teai_csv_close(r);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(scan *sc, const char *dir) {
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".csv") || !strcmp(e->d_name, "accuracy.csv"))
            continue; /* accuracy.csv has its own slides */
        char p[4096];
        int w = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (w > 0 && (size_t)w < sizeof p) scan_file(sc, p);
    }
    closedir(dp);
    if (sc->n_tuples > 1) qsort(sc->tuples, (size_t)sc->n_tuples, sizeof *sc->tuples, cmp_str);
}

static void scan_free(scan *sc) {
    for (int i = 0; i < sc->n_cols; i++) free(sc->col_names[i]);
    for (int i = 0; i < sc->n_tuples; i++) free(sc->tuples[i]);
    free(sc->col_names), free(sc->col_used), free(sc->tuples);
}

/* Splits a tuple into SETUP_COLS fields (in place). */
static void split_tuple(char *t, const char *out[SETUP_COLS]) {
    for (int k = 0; k < SETUP_COLS; k++) {
        out[k] = t;
        char *sep = t ? strchr(t, '\x1f') : NULL;
        if (sep) {
            *sep = 0;
            t = sep + 1;
        } else {
            t = NULL;
        }
        if (!out[k]) out[k] = "";
    }
}

/* ---- drawing --------------------------------------------------------------- */

typedef struct page {
    double w, h, m; /* size and margin */
    double fs;      /* body font size */
} page;

static void set_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Draws text word-wrapped to width maxw from baseline y; returns the next
 * baseline. */
static double draw_wrapped(cairo_t *cr, const char *text, double x, double y, double maxw,
                           double lh) {
    char line[2048];
    size_t ll = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        size_t wl = (size_t)(e - p);
        char cand[2048];
        int w = snprintf(cand, sizeof cand, "%.*s%s%.*s", (int)ll, line, ll ? " " : "", (int)wl, p);
        if (w < 0 || (size_t)w >= sizeof cand) w = (int)sizeof cand - 1;
        cairo_text_extents_t ext;
        cairo_text_extents(cr, cand, &ext);
        if (ll && ext.x_advance > maxw) {
            cairo_move_to(cr, x, y);
            cairo_show_text(cr, line);
            y += lh;
            ll = (size_t)snprintf(line, sizeof line, "%.*s", (int)wl, p);
        } else {
            memcpy(line, cand, (size_t)w + 1);
            ll = (size_t)w;
        }
        if (ll >= sizeof line) ll = sizeof line - 1;
        p = e;
    }
    if (ll) {
        cairo_move_to(cr, x, y);
        cairo_show_text(cr, line);
        y += lh;
    }
    return y;
}

static double draw_heading(cairo_t *cr, const page *pg, const char *title, int num, int total) {
    cairo_set_source_rgb(cr, 0.13, 0.27, 0.45);
    cairo_rectangle(cr, 0, 0, pg->w, pg->m * 0.25);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    set_font(cr, pg->fs * 1.6, 1);
    double y =
        draw_wrapped(cr, title, pg->m, pg->m + pg->fs * 0.6, pg->w - 2 * pg->m, pg->fs * 1.9);
    char foot[64];
    snprintf(foot, sizeof foot, "%d / %d", num, total);
    set_font(cr, pg->fs * 0.7, 0);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, foot, &ext);
    cairo_move_to(cr, pg->w - pg->m - ext.x_advance, pg->h - pg->m * 0.4);
    cairo_show_text(cr, foot);
    cairo_move_to(cr, pg->m, pg->h - pg->m * 0.4);
    cairo_show_text(cr, "teai report");
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    return y + pg->fs * 0.4;
}

static void draw_table(cairo_t *cr, const page *pg, const slide *s, double y) {
    int nc = s->ncols, nr = s->n_items / (nc ? nc : 1);
    if (nc <= 0 || nr <= 0) return;
    double fs = pg->fs * 0.8;
    set_font(cr, fs, 0);
    double *cw = calloc((size_t)nc, sizeof *cw);
    if (!cw) return;
    double total = 0;
    for (int c = 0; c < nc; c++) {
        for (int r = 0; r < nr; r++) {
            cairo_text_extents_t ext;
            set_font(cr, fs, r == 0);
            cairo_text_extents(cr, s->items[r * nc + c], &ext);
            if (ext.x_advance > cw[c]) cw[c] = ext.x_advance;
        }
        cw[c] += fs;
        total += cw[c];
    }
    double avail = pg->w - 2 * pg->m, k = total > avail ? avail / total : 1.0;
    fs *= k;
    double rh = fs * 1.7;
    for (int r = 0; r < nr; r++) {
        double x = pg->m;
        if (r == 0) {
            cairo_set_source_rgb(cr, 0.88, 0.91, 0.95);
            cairo_rectangle(cr, pg->m, y, total * k, rh);
            cairo_fill(cr);
        } else if (r % 2 == 0) {
            cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
            cairo_rectangle(cr, pg->m, y, total * k, rh);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        set_font(cr, fs, r == 0);
        for (int c = 0; c < nc; c++) {
            cairo_move_to(cr, x + fs * 0.4, y + rh * 0.7);
            cairo_show_text(cr, s->items[r * nc + c]);
            x += cw[c] * k;
        }
        y += rh;
    }
    free(cw);
}

static int draw_figure(cairo_t *cr, const page *pg, const slide *s, double y) {
    cairo_surface_t *img = cairo_image_surface_create_from_png(s->png);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return -1;
    }
    double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
    double cap_h = pg->fs * 3.2;
    double bw = pg->w - 2 * pg->m, bh = pg->h - y - pg->m - cap_h;
    double k = fmin(bw / iw, bh / ih);
    double dx = pg->m + (bw - iw * k) / 2;
    cairo_save(cr);
    cairo_translate(cr, dx, y);
    cairo_scale(cr, k, k);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    set_font(cr, pg->fs * 0.9, 0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    draw_wrapped(cr, s->sub ? s->sub : "", pg->m, y + ih * k + pg->fs * 1.3, bw, pg->fs * 1.2);
    return 0;
}

/* The PDF's bytes go to fd through this sink, which keeps the system's
 * reason for a failed write (cairo's own status only says "write error"). */
typedef struct pdf_sink {
    int fd;
    int err; /* first errno from write(2), 0 if none */
} pdf_sink;

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int length) {
    pdf_sink *s = closure;
    while (length > 0 && !s->err) {
        ssize_t n = write(s->fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s->err = n < 0 ? errno : EIO;
            break;
        }
        data += n;
        length -= (unsigned)n;
    }
    return s->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Renders the deck into fd; errors name path, the file the user asked for. */
static int render_pdf(const deck *d, const page *pg, int fd, const char *path, teai_error *err) {
    pdf_sink sink = {fd, 0};
    cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(pdf_write, &sink, pg->w, pg->h);
    cairo_t *cr = cairo_create(sf);
    for (int i = 0; i < d->n; i++) {
        const slide *s = &d->s[i];
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        if (s->kind == SL_TITLE) {
            cairo_set_source_rgb(cr, 0.13, 0.27, 0.45);
            cairo_rectangle(cr, 0, pg->h * 0.62, pg->w, pg->h * 0.02);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            set_font(cr, pg->fs * 2.6, 1);
            double y =
                draw_wrapped(cr, s->title, pg->m, pg->h * 0.4, pg->w - 2 * pg->m, pg->fs * 3.0);
            set_font(cr, pg->fs * 1.1, 0);
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            for (int k = 0; k < s->n_items; k++)
                y = draw_wrapped(cr, s->items[k], pg->m, y + pg->fs * 0.2, pg->w - 2 * pg->m,
                                 pg->fs * 1.4);
        } else {
            double y = draw_heading(cr, pg, s->title, i + 1, d->n);
            if (s->kind == SL_BULLETS) {
                set_font(cr, pg->fs, 0);
                for (int k = 0; k < s->n_items; k++) {
                    cairo_move_to(cr, pg->m, y);
                    cairo_show_text(cr, "\xe2\x80\xa2");
                    y = draw_wrapped(cr, s->items[k], pg->m + pg->fs * 1.2, y,
                                     pg->w - 2 * pg->m - pg->fs * 1.2, pg->fs * 1.3) +
                        pg->fs * 0.35;
                }
            } else if (s->kind == SL_TABLE) {
                draw_table(cr, pg, s, y - pg->fs * 0.5);
            } else if (s->kind == SL_FIGURE && draw_figure(cr, pg, s, y - pg->fs * 0.5)) {
                cairo_destroy(cr);
                cairo_surface_destroy(sf);
                snprintf(err->msg, sizeof err->msg, "%.400s: cannot read the PNG back", s->png);
                return TEAI_EIO;
            }
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(sf);
    cairo_status_t cs = cairo_surface_status(sf);
    cairo_surface_destroy(sf);
    if (!sink.err && fsync(fd) != 0) sink.err = errno;
    if (sink.err) {
        snprintf(err->msg, sizeof err->msg, "%.400s: write: %s", path, strerror(sink.err));
        return TEAI_EIO;
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        snprintf(err->msg, sizeof err->msg, "%.400s: %s", path, cairo_status_to_string(cs));
        return TEAI_EIO;
    }
    return TEAI_OK;
}

/* ---- typst ----------------------------------------------------------------- */

/* A typst string literal: "..." with \ and " escaped, control bytes as
 * spaces. */
static void typ_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f), fputc(*s, f);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void render_typ(const deck *d, const page *pg, int paper, const char *fig_folder, FILE *f) {
    fputs("// teai report: the slides of the PDF as typst source (typst compile <this file>)\n", f);
    if (paper)
        fputs("#set page(paper: \"us-letter\", margin: 54pt)\n", f);
    else
        fprintf(f, "#set page(width: %gpt, height: %gpt, margin: 36pt)\n", pg->w, pg->h);
    fputs("#set text(font: \"DejaVu Sans\", size: 12pt)\n\n", f);
    for (int i = 0; i < d->n; i++) {
        const slide *s = &d->s[i];
        if (i) fputs("#pagebreak()\n", f);
        if (s->kind == SL_TITLE) {
            fputs("#v(30%)\n#text(size: 30pt, weight: \"bold\", ", f);
            typ_str(f, s->title);
            fputs(")\n\n", f);
            for (int k = 0; k < s->n_items; k++) {
                fputs("#", f);
                typ_str(f, s->items[k]);
                fputs("\n\n", f);
            }
            continue;
        }
        fputs("#heading(level: 1, ", f);
        typ_str(f, s->title);
        fputs(")\n", f);
        if (s->kind == SL_BULLETS) {
            fputs("#list(\n", f);
            for (int k = 0; k < s->n_items; k++) {
                fputs("  ", f);
                typ_str(f, s->items[k]);
                fputs(",\n", f);
            }
            fputs(")\n", f);
        } else if (s->kind == SL_TABLE) {
            fprintf(f, "#text(size: 9pt, table(columns: %d,\n", s->ncols);
            for (int k = 0; k < s->n_items; k++) {
                fputs(k < s->ncols ? "  strong(" : "  ", f);
                typ_str(f, s->items[k]);
                fputs(k < s->ncols ? "),\n" : ",\n", f);
            }
            fputs("))\n", f);
        } else if (s->kind == SL_FIGURE) {
            fprintf(f, "#figure(image(\"%s/%s\", height: 70%%), caption: ", fig_folder,
                    s->png_name);
            typ_str(f, s->sub ? s->sub : "");
            fputs(")\n", f);
        }
    }
}

/* ---- files ----------------------------------------------------------------- */

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

static int set_err(teai_error *err, int st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(teai_error *err, int st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = st;
    return st;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void fmt_num(char *out, size_t cap, double v) {
    if (isnan(v))
        snprintf(out, cap, "n/a");
    else
        snprintf(out, cap, "%.1f", v);
}

/* ---- building the deck ----------------------------------------------------- */

static void add_setup(deck *d, scan *sc) {
    static const char *const hdr[SETUP_COLS] = {"host",  "device",  "backend",   "version",
                                                "model", "weights", "synthetic", "teai"};
    slide *s = NULL;
    for (int t = 0; t < sc->n_tuples; t++) {
        if (t % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE, t ? "Setup (continued)" : "Setup");
            if (!s) return;
            s->ncols = SETUP_COLS;
            for (int k = 0; k < SETUP_COLS; k++) slide_item(d, s, "%s", hdr[k]);
        }
        char *copy = dup_str(sc->tuples[t]);
        if (!copy) {
            d->oom = 1;
            return;
        }
        const char *v[SETUP_COLS];
        split_tuple(copy, v);
        for (int k = 0; k < SETUP_COLS; k++) {
            const char *x = v[k];
            if (k == 4) x = base_name(x);
            if (k == 6) x = !strcmp(x, "1") ? "yes (random weights)" : !strcmp(x, "0") ? "no" : "?";
            slide_item(d, s, "%s", *x ? x : "-");
        }
        free(copy);
    }
    if (!sc->n_tuples) {
        s = deck_add(d, SL_BULLETS, "Setup");
        slide_item(d, s, "The CSVs carry no setup columns.");
    }
}

/* The summary table from the figures' dataset (grouped by hostname, device,
 * size, quantize, backend: read once for the whole report). */
static int add_summary(deck *d, const teai_dataset *ds, teai_error *err) {
    static const int key_of_column[4] = {4, 0, 2, 3}; /* backend, host, size, quantization */
    slide *s = NULL;
    int row = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        const double *v = teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &n);
        if (!n) continue;
        teai_stats stt;
        if (teai_stats_compute(v, n, TEAI_SEED_DEFAULT, 0, &stt))
            return set_err(err, TEAI_ENOMEM, "out of memory");
        if (row % TABLE_ROWS_PER_SLIDE == 0) {
            s = deck_add(d, SL_TABLE,
                         row ? "Summary: decode throughput (continued)"
                             : "Summary: decode throughput");
            if (!s) break;
            s->ncols = 7;
            slide_item(d, s, "backend");
            slide_item(d, s, "host");
            slide_item(d, s, "size");
            slide_item(d, s, "quantization");
            slide_item(d, s, "decode tokens/s (mean)");
            slide_item(d, s, "95%% CI");
            slide_item(d, s, "n (tokens)");
        }
        row++;
        char m[64], lo[64], hi[64];
        fmt_num(m, sizeof m, stt.mean);
        fmt_num(lo, sizeof lo, stt.ci_lo);
        fmt_num(hi, sizeof hi, stt.ci_hi);
        for (int k = 0; k < 4; k++) {
            const char *key = teai_dataset_key(ds, g, key_of_column[k]);
            slide_item(d, s, "%s", *key ? key : "-");
        }
        slide_item(d, s, "%s", m);
        if (isnan(stt.ci_lo))
            slide_item(d, s, "none (n < 2)");
        else
            slide_item(d, s, "%s - %s", lo, hi);
        slide_item(d, s, "%ld", stt.n);
    }
    return TEAI_OK;
}

/* ---- accuracy (accuracy.csv) ------------------------------------------------ */

/* The row of the latest successful result of the configuration ending at
 * row r (rows sorted: runs of equal environment, metric, backend, size,
 * quantization, by timestamp); -1 when none succeeded. */
static int same_config(const teai_acc_rows *a, long i, long j) {
    static const int cols[5] = {TEAI_ACC_ENV, TEAI_ACC_METRIC, TEAI_ACC_BACKEND, TEAI_ACC_SIZE,
                                TEAI_ACC_QUANT};
    for (int k = 0; k < 5; k++)
        if (strcmp(teai_acc_rows_cell(a, i, cols[k]), teai_acc_rows_cell(a, j, cols[k]))) return 0;
    return 1;
}

static int acc_ok(const teai_acc_rows *a, long r) {
    const char *rc = teai_acc_rows_cell(a, r, TEAI_ACC_RETURNCODE);
    return !*rc || teai_acc_rows_num(a, r, TEAI_ACC_RETURNCODE) == 0;
}

static void acc_num(char *out, size_t cap, double v) {
    if (isfinite(v))
        snprintf(out, cap, "%.4g", v);
    else
        snprintf(out, cap, "n/a");
}

/* One table per environment: the latest successful result per (metric,
 * backend, size, quantization). */
static void add_accuracy(deck *d, const teai_acc_rows *a, int *n_slides) {
    long n = teai_acc_rows_count(a);
    slide *s = NULL;
    int row = 0;
    char cur_env[256] = "";
    for (long r = 0; r < n && !d->oom; r++) {
        const char *env = teai_acc_rows_cell(a, r, TEAI_ACC_ENV);
        if (r + 1 < n && same_config(a, r, r + 1)) continue; /* not the last of its run */
        long best = -1;
        for (long k = r; k >= 0 && same_config(a, k, r); k--)
            if (acc_ok(a, k)) {
                best = k;
                break;
            }
        if (best < 0) continue;
        int new_env = !s || strcmp(env, cur_env) != 0;
        if (new_env) row = 0;
        snprintf(cur_env, sizeof cur_env, "%s", env);
        if (new_env || row % TABLE_ROWS_PER_SLIDE == 0) {
            char title[256];
            snprintf(title, sizeof title, "Accuracy: %s", *env ? env : "-");
            s = deck_add(d, SL_TABLE, title);
            if (!s) return;
            (*n_slides)++;
            s->ncols = 7;
            static const char *const hdr[7] = {"backend", "size", "quantization", "metric", "value",
                                               "95% CI",  "n"};
            for (int k = 0; k < 7; k++) slide_item(d, s, "%s", hdr[k]);
        }
        row++;
        for (int c = 0; c < 4; c++) {
            static const int cols[4] = {TEAI_ACC_BACKEND, TEAI_ACC_SIZE, TEAI_ACC_QUANT,
                                        TEAI_ACC_METRIC};
            const char *v = teai_acc_rows_cell(a, best, cols[c]);
            slide_item(d, s, "%s", *v ? v : "-");
        }
        double v = teai_acc_rows_num(a, best, TEAI_ACC_VALUE);
        double lo = teai_acc_rows_num(a, best, TEAI_ACC_CI_LOW);
        double hi = teai_acc_rows_num(a, best, TEAI_ACC_CI_HIGH);
        double se = teai_acc_rows_num(a, best, TEAI_ACC_STDERR);
        double nn = teai_acc_rows_num(a, best, TEAI_ACC_N);
        if (!isfinite(nn)) nn = teai_acc_rows_num(a, best, TEAI_ACC_NUM_EXAMPLES);
        char vb[64], lb[64], hb[64];
        acc_num(vb, sizeof vb, v);
        slide_item(d, s, "%s", vb);
        if (!isfinite(lo) || !isfinite(hi)) {
            lo = isfinite(se) && isfinite(v) ? v - 1.96 * se : NAN;
            hi = isfinite(se) && isfinite(v) ? v + 1.96 * se : NAN;
        }
        acc_num(lb, sizeof lb, lo);
        acc_num(hb, sizeof hb, hi);
        if (isfinite(lo) && isfinite(hi))
            slide_item(d, s, "%s - %s", lb, hb);
        else
            slide_item(d, s, "none recorded");
        if (isfinite(nn))
            slide_item(d, s, "%.0f", nn);
        else
            slide_item(d, s, "-");
    }
}

/* How accuracy was measured, from the rows: per environment its metrics,
 * examples and token limit; failed runs left out. */
static void method_accuracy(deck *d, slide *s, const teai_acc_rows *a) {
    long n = teai_acc_rows_count(a);
    long failed = 0;
    for (long r = 0; r < n; r++) failed += !acc_ok(a, r);
    char envs[1500] = "";
    size_t o = 0;
    for (long r = 0; r < n; r++) {
        const char *env = teai_acc_rows_cell(a, r, TEAI_ACC_ENV);
        if (r > 0 && !strcmp(env, teai_acc_rows_cell(a, r - 1, TEAI_ACC_ENV))) continue;
        char metrics[300] = "";
        size_t mo = 0;
        double ex_lo = INFINITY, ex_hi = -INFINITY, mt = NAN;
        long e = r;
        for (; e < n && !strcmp(env, teai_acc_rows_cell(a, e, TEAI_ACC_ENV)); e++) {
            const char *m = teai_acc_rows_cell(a, e, TEAI_ACC_METRIC);
            if (e == r || strcmp(m, teai_acc_rows_cell(a, e - 1, TEAI_ACC_METRIC))) {
                int w = snprintf(metrics + mo, sizeof metrics - mo, "%s%s", mo ? ", " : "", m);
                if (w > 0 && (size_t)w < sizeof metrics - mo) mo += (size_t)w;
            }
            double ex = teai_acc_rows_num(a, e, TEAI_ACC_NUM_EXAMPLES);
            if (isfinite(ex)) ex_lo = fmin(ex_lo, ex), ex_hi = fmax(ex_hi, ex);
            double t = teai_acc_rows_num(a, e, TEAI_ACC_MAX_TOKENS);
            if (isfinite(t)) mt = isfinite(mt) ? fmax(mt, t) : t;
        }
        char ex[64] = "examples not recorded", tk[64] = "";
        if (isfinite(ex_lo) && ex_lo == ex_hi)
            snprintf(ex, sizeof ex, "%.0f examples", ex_lo);
        else if (isfinite(ex_lo))
            snprintf(ex, sizeof ex, "%.0f-%.0f examples", ex_lo, ex_hi);
        if (isfinite(mt)) snprintf(tk, sizeof tk, ", up to %.0f tokens", mt);
        int w = snprintf(envs + o, sizeof envs - o, "%s%s (%s; %s%s)", o ? "; " : "",
                         *env ? env : "?", metrics, ex, tk);
        if (w > 0 && (size_t)w < sizeof envs - o) o += (size_t)w;
    }
    slide_item(d, s,
               "Accuracy (accuracy.csv, collated from the verifiers results of teai eval or "
               "verifiers_sweep.py): %s. Each configuration shows its latest successful result "
               "(%ld failed result rows left out); intervals are the results' own 95%% CIs, or "
               "+-1.96 standard errors, and none where a result carries neither.",
               envs, failed);
    slide_item(d, s,
               "Accuracy and speed are measured in separate runs; the pareto figure joins them "
               "on backend + size + quantization (speed from the host with the most rows).");
}

static void add_method(deck *d, const scan *sc, const teai_acc_rows *acc) {
    slide *s = deck_add(d, SL_BULLETS, "Methodology and limitations");
    slide_item(d, s,
               "Warm-up repetitions are excluded from every statistic (%ld warm-up rows of %ld "
               "left out).",
               sc->warmup_rows, sc->rows);
    slide_item(d, s,
               "Decode statistics use the measured per-token rows (step >= 1); the 95%% CIs are "
               "percentile bootstraps over the pooled tokens of all repetitions, so they are "
               "narrower than CIs over repetitions would be (tokens within one repetition are not "
               "independent).");
    int n_syn = 0;
    for (int t = 0; t < sc->n_tuples; t++) {
        char *copy = dup_str(sc->tuples[t]);
        if (!copy) break;
        const char *v[SETUP_COLS];
        split_tuple(copy, v);
        if (!strcmp(v[6], "1")) {
            slide_item(d, s,
                       "Synthetic model (random weights, throughput only, text is meaningless): "
                       "%s (%s) on %s.",
                       base_name(v[4]), *v[5] ? v[5] : "?", *v[2] ? v[2] : "?");
            n_syn++;
        }
        free(copy);
    }
    if (!n_syn) slide_item(d, s, "No synthetic models: every model has real weights.");
    char buf[1500];
    size_t o = 0;
    int n_empty = 0;
    for (int i = 0; i < sc->n_cols; i++) {
        if (sc->col_used[i]) continue;
        int w = snprintf(buf + o, sizeof buf - o, "%s%s", n_empty ? ", " : "", sc->col_names[i]);
        if (w < 0 || (size_t)w >= sizeof buf - o) break;
        o += (size_t)w;
        n_empty++;
    }
    if (n_empty)
        slide_item(d, s, "Not measured (empty in every row, not guessed): %s.", buf);
    else
        slide_item(d, s, "Every CSV column holds a value in some row.");
    slide_item(d, s,
               "Figures compare configurations measured on one host (the one with the most rows), "
               "except device_comparison.");
    if (acc && teai_acc_rows_count(acc)) method_accuracy(d, s, acc);
}

int teai_report_write(const teai_report_opts *o, teai_report_result *res, teai_error *err) {
    teai_error dummy = {0};
    if (!err) err = &dummy;
    memset(res, 0, sizeof *res);
    if (!o || !o->dir || !o->pdf_path || !*o->pdf_path)
        return set_err(err, TEAI_EINVAL, "no folder or output path");

    /* names: stem = pdf_path without ".pdf" */
    char stem[4096];
    size_t pl = strlen(o->pdf_path);
    if (pl >= sizeof stem - 64) return set_err(err, TEAI_EINVAL, "output path too long");
    memcpy(stem, o->pdf_path, pl + 1);
    if (pl > 4 && !strcmp(stem + pl - 4, ".pdf")) stem[pl - 4] = 0;
    if (snprintf(res->typ_path, sizeof res->typ_path, "%s.typ", stem) >=
            (int)sizeof res->typ_path ||
        snprintf(res->figures_dir, sizeof res->figures_dir, "%s_figures", stem) >=
            (int)sizeof res->figures_dir)
        return set_err(err, TEAI_EINVAL, "output path too long");

    teai_dataset *ds = NULL;
    int n_files = 0, n_bad = 0;
    int st = teai_figures_open(o->dir, o->note, o->ud, &ds, &n_files, &n_bad, err);
    if (st) return st;
    long rows = 0;
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        size_t n;
        teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &n);
        rows += (long)n;
    }
    if (n_files == 0 || rows == 0) {
        teai_dataset_free(ds);
        return set_err(err, TEAI_ENOTFOUND,
                       "%s: no measured decode rows in its CSVs (%d read, %d unreadable); run "
                       "teai bench, then teai collate --dir %s",
                       o->dir, n_files, n_bad, o->dir);
    }

    /* accuracy.csv, when collated: the pareto figure and the accuracy tables */
    teai_acc_rows *acc = NULL;
    {
        char ap[4096 + 16];
        teai_error ae = {0};
        snprintf(ap, sizeof ap, "%s/accuracy.csv", o->dir);
        int as = teai_acc_read_csv(ap, o->note, o->ud, &acc, &ae);
        if (as == TEAI_ENOMEM) {
            teai_dataset_free(ds);
            return set_err(err, as, "%s", ae.msg);
        }
        if (as && as != TEAI_ENOTFOUND && o->note) {
            char line[700];
            snprintf(line, sizeof line, "%s, skipped", ae.msg);
            o->note(o->ud, line);
        }
    }
    teai_figure_accuracy fa = {acc, o->accuracy_metric};

    scan sc = {0};
    scan_dir(&sc, o->dir);
    deck d = {0};
    char tmpdir[4096 + 16];
    snprintf(tmpdir, sizeof tmpdir, "%s.tmpXXXXXX", res->figures_dir);
    if (!mkdtemp(tmpdir)) {
        st = set_err(err, TEAI_EIO, "%s: %s", tmpdir, strerror(errno));
        goto done_nodir;
    }

    /* title */
    {
        slide *s = deck_add(&d, SL_TITLE, "teai benchmark report");
        char date[64] = "";
        time_t now = time(NULL);
        struct tm tmv;
        if (gmtime_r(&now, &tmv)) strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tmv);
        slide_item(&d, s, "Data: %s (%d CSV files, %ld rows, %ld measured decode tokens)", o->dir,
                   n_files, sc.rows, rows);
        slide_item(&d, s, "Built by teai on %s", date);
    }
    add_setup(&d, &sc);

    /* figures */
    teai_plot_params pp = teai_plot_default_params();
    pp.scale = 2;
    char skipped[TEAI_FIG_N][1100];
    int n_skip = 0;
    for (int f = 0; f < TEAI_FIG_N && !d.oom; f++) {
        const char *name = teai_figure_name(f);
        char path[4096 + 64], msg[1024];
        snprintf(path, sizeof path, "%s/%s.png", tmpdir, name);
        int r = teai_figure_write_acc(f, ds, &fa, path, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
        if (r == 1) {
            char title[128];
            snprintf(title, sizeof title, "%s",
                     f == TEAI_FIG_PARETO ? "Accuracy against speed (pareto)" : name);
            for (char *c = title; *c; c++)
                if (*c == '_') *c = ' ';
            title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
            slide *s = deck_add(&d, SL_FIGURE, title);
            if (!s) break;
            char pn[128];
            snprintf(pn, sizeof pn, "%s.png", name);
            s->sub = dup_str(msg);
            s->png = dup_str(path);
            s->png_name = dup_str(pn);
            if (!s->sub || !s->png || !s->png_name) d.oom = 1;
            res->n_figures++;
        } else {
            snprintf(skipped[n_skip++], sizeof skipped[0], "%s: %s", name, msg);
            if (o->note) {
                char line[1200];
                snprintf(line, sizeof line, "%s %s: %s", r == 0 ? "skipped" : "failed", name, msg);
                o->note(o->ud, line);
            }
        }
    }
    res->n_skipped = n_skip;
    if (n_skip) {
        slide *s = deck_add(&d, SL_BULLETS, "Figures the data could not support");
        for (int k = 0; k < n_skip; k++) slide_item(&d, s, "%s", skipped[k]);
    }
    st = add_summary(&d, ds, err);
    if (st) goto done;
    if (acc) add_accuracy(&d, acc, &res->n_accuracy);
    add_method(&d, &sc, acc);
    if (d.oom || sc.oom) {
        st = set_err(err, TEAI_ENOMEM, "out of memory");
        goto done;
    }

    page pg = o->paper ? (page){612, 792, 54, 12} : (page){960, 540, 36, 16};

    /* PDF */
    char tmp[4096 + 16];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", o->pdf_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = set_err(err, TEAI_EIO, "%s: cannot create %s: %s", o->pdf_path, tmp, strerror(errno));
        goto done;
    }
    (void)fchmod(fd, 0644); /* mkstemp's 0600 is too narrow for a report */
    st = render_pdf(&d, &pg, fd, o->pdf_path, err);
    if (close(fd) != 0 && !st)
        st = set_err(err, TEAI_EIO, "%s: write: %s", o->pdf_path, strerror(errno));
    if (st) {
        err->status = st;
        unlink(tmp);
        goto done;
    }

    /* typst */
    char ttmp[4096 + 16];
    snprintf(ttmp, sizeof ttmp, "%s.tmpXXXXXX", res->typ_path);
    int tfd = mkstemp(ttmp);
    FILE *tf = tfd >= 0 ? fdopen(tfd, "w") : NULL;
    if (!tf) {
        if (tfd >= 0) close(tfd);
        unlink(tmp);
        st = set_err(err, TEAI_EIO, "%s: %s", res->typ_path, strerror(errno));
        goto done;
    }
    render_typ(&d, &pg, o->paper, base_name(res->figures_dir), tf);
    int terr = fflush(tf) != 0 || ferror(tf) ? (errno ? errno : EIO) : 0;
    if (fclose(tf) != 0 && !terr) terr = errno;
    if (terr) {
        unlink(tmp), unlink(ttmp);
        st = set_err(err, TEAI_EIO, "%s: write: %s", res->typ_path, strerror(terr));
        goto done;
    }

    /* commit: figures folder, typst, PDF */
    {
        char old[4096 + 16];
        snprintf(old, sizeof old, "%s.oldXXXXXX", res->figures_dir);
        struct stat sb;
        int had_old = stat(res->figures_dir, &sb) == 0 && mkdtemp(old) && !rmdir(old) &&
                      !rename(res->figures_dir, old);
        if (rename(tmpdir, res->figures_dir) || rename(ttmp, res->typ_path) ||
            rename(tmp, o->pdf_path)) {
            st = set_err(err, TEAI_EIO, "%s: %s", o->pdf_path, strerror(errno));
            unlink(tmp), unlink(ttmp);
            if (had_old) remove_tree_flat(old);
            goto done;
        }
        if (had_old) remove_tree_flat(old);
    }
    res->n_pages = d.n;
    st = TEAI_OK;

done:
    remove_tree_flat(tmpdir); /* gone after the rename; cleans up on failure */
done_nodir:
    deck_free(&d);
    scan_free(&sc);
    teai_acc_rows_free(acc);
    teai_dataset_free(ds);
    return st;
}
