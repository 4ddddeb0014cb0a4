/* Drawing the slides of `teai report` as PDF pages with cairo: a heading
 * band and page number on every slide but the title, bullets word-wrapped to
 * the page, tables scaled down to fit its width, figures (the PNGs the
 * figures wrote; one, or two side by side) scaled into the space above their
 * caption. */
#include "report/report_impl.h"

#include "base/base.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT "DejaVu Sans"

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

static double draw_heading(cairo_t *cr, const teai__page *pg, const char *title, int num,
                           int total) {
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

static void draw_table(cairo_t *cr, const teai__page *pg, const teai__slide *s, double y) {
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

/* One PNG scaled into the box (bx, y, bw, bh), centred across; the height
 * it took, or -1 when it cannot be read. */
static double draw_png(cairo_t *cr, const char *png, double bx, double y, double bw, double bh) {
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return -1;
    }
    double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
    double k = fmin(bw / iw, bh / ih);
    double dx = bx + (bw - iw * k) / 2;
    cairo_save(cr);
    cairo_translate(cr, dx, y);
    cairo_scale(cr, k, k);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return ih * k;
}

/* A figure slide: its PNG (or two side by side) above the caption. */
static int draw_figure(cairo_t *cr, const teai__slide *s, const teai__page *pg, double y) {
    double cap_h = pg->fs * 3.2;
    double bw = pg->w - 2 * pg->m, bh = pg->h - y - pg->m - cap_h;
    double h;
    if (s->png2) {
        double gap = pg->fs, half = (bw - gap) / 2;
        double h1 = draw_png(cr, s->png, pg->m, y, half, bh);
        double h2 = h1 < 0 ? -1 : draw_png(cr, s->png2, pg->m + half + gap, y, half, bh);
        h = h1 < 0 || h2 < 0 ? -1 : fmax(h1, h2);
    } else {
        h = draw_png(cr, s->png, pg->m, y, bw, bh);
    }
    if (h < 0) return -1;
    set_font(cr, pg->fs * 0.9, 0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    draw_wrapped(cr, s->sub ? s->sub : "", pg->m, y + h + pg->fs * 1.3, bw, pg->fs * 1.2);
    return 0;
}

int teai__report_pdf(const teai__deck *d, const teai__page *pg, FILE *f, const char *path,
                     teai_error *err) {
    teai_plot_sink sink = {f, 0};
    cairo_surface_t *sf =
        cairo_pdf_surface_create_for_stream(teai_plot_sink_write, &sink, pg->w, pg->h);
    cairo_t *cr = cairo_create(sf);
    for (int i = 0; i < d->n; i++) {
        const teai__slide *s = &d->s[i];
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
            } else if (s->kind == SL_FIGURE && draw_figure(cr, s, pg, y - pg->fs * 0.5)) {
                cairo_destroy(cr);
                cairo_surface_destroy(sf);
                return teai__fail(err, TEAI_EIO, "%.400s: cannot read the PNG back",
                                  s->png2 ? s->png2 : s->png);
            }
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(sf);
    cairo_status_t cs = cairo_surface_status(sf);
    cairo_surface_destroy(sf);
    if (sink.err) return teai__fail(err, TEAI_EIO, "%.400s: write: %s", path, strerror(sink.err));
    if (cs != CAIRO_STATUS_SUCCESS)
        return teai__fail(err, TEAI_EIO, "%.400s: %s", path, cairo_status_to_string(cs));
    return TEAI_OK;
}
