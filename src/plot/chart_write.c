/* Writing a chart to a PNG, SVG or PDF file through base's one atomic write
 * (teai__atomic_open/commit: a temporary file beside the target, fsync'd and
 * renamed over it), so a reader never sees a partial figure. */
#include "plot/chart.h"

#include "base/base.h"
#include "plot/plot_impl.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

cairo_status_t teai_plot_sink_write(void *closure, const unsigned char *data, unsigned int length) {
    teai_plot_sink *s = closure;
    if (!s->err && length) {
        errno = 0;
        if (fwrite(data, 1, length, s->f) != length) s->err = errno ? errno : EIO;
    }
    return s->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Draws into surf (width x height logical units, scaled by scale) and
 * finishes it; for PNG, streams the image into s. */
static int render(const teai_chart *charts, int n, cairo_surface_t *surf, teai_plot_format format,
                  const teai_plot_params *p, teai_plot_sink *s, const char *path, char *err,
                  size_t cap) {
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, p->scale, p->scale);
    int rc = TEAI_OK;
    if (n > 1) { /* panels on one white page */
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
    }
    for (int i = 0; i < n && rc == TEAI_OK; i++)
        rc = teai_chart_draw(cr, &charts[i], 0, p->height * i / n, p->width, p->height / n, err,
                             cap);
    cairo_destroy(cr);
    if (rc != TEAI_OK) return rc;
    if (format == TEAI_PLOT_PNG) {
        cairo_status_t st = cairo_surface_write_to_png_stream(surf, teai_plot_sink_write, s);
        if (st != CAIRO_STATUS_SUCCESS && !s->err)
            return teai__plot_say(err, cap, TEAI_EIO, "%s: %s", path, cairo_status_to_string(st));
    }
    cairo_surface_finish(surf);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS && !s->err)
        return teai__plot_say(err, cap, TEAI_EIO, "%s: %s", path,
                              cairo_status_to_string(cairo_surface_status(surf)));
    return TEAI_OK;
}

int teai_chart_write(const teai_chart *chart, const char *path, teai_plot_format format,
                     const teai_plot_params *params, char *err, size_t cap) {
    return teai_chart_write_stack(chart, 1, path, format, params, err, cap);
}

int teai_chart_write_stack(const teai_chart *chart, int n, const char *path,
                           teai_plot_format format, const teai_plot_params *params, char *err,
                           size_t cap) {
    teai_plot_params p = params ? *params : teai_plot_default_params();
    if (err && cap) err[0] = '\0';
    if (!chart || n < 1 || !path || !*path)
        return teai__plot_say(err, cap, TEAI_EINVAL, "chart: NULL argument");
    if (format != TEAI_PLOT_PNG && format != TEAI_PLOT_SVG && format != TEAI_PLOT_PDF)
        return teai__plot_say(err, cap, TEAI_EINVAL, "%s: unknown format %d", path, (int)format);
    if (format != TEAI_PLOT_PNG) p.scale = 1;
    if (!(p.width >= 16 && p.height >= 16 && p.width <= 20000 && p.height <= 20000) ||
        !(p.scale > 0 && p.scale <= 16) || !(p.width * p.scale <= 32767) ||
        !(p.height * p.scale <= 32767))
        return teai__plot_say(err, cap, TEAI_EINVAL, "%s: bad size %gx%g at scale %g", path,
                              p.width, p.height, p.scale);

    teai_error e = {0};
    teai__atomic_file af;
    int rc = teai__atomic_open(&af, path, &e);
    if (rc != TEAI_OK) return teai__plot_say(err, cap, rc, "%s", e.msg);
    teai_plot_sink s = {af.f, 0};
    cairo_surface_t *surf;
    if (format == TEAI_PLOT_PNG)
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)lround(p.width * p.scale),
                                          (int)lround(p.height * p.scale));
    else if (format == TEAI_PLOT_SVG)
        surf = cairo_svg_surface_create_for_stream(teai_plot_sink_write, &s, p.width, p.height);
    else
        surf = cairo_pdf_surface_create_for_stream(teai_plot_sink_write, &s, p.width, p.height);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        rc = teai__plot_say(err, cap, TEAI_ENOMEM, "%s: %s", path,
                            cairo_status_to_string(cairo_surface_status(surf)));
    else
        rc = render(chart, n, surf, format, &p, &s, path, err, cap);
    cairo_surface_destroy(surf);
    if (rc == TEAI_OK && s.err)
        rc = teai__plot_say(err, cap, TEAI_EIO, "%s: write: %s", path, strerror(s.err));
    if (rc != TEAI_OK) {
        teai__atomic_abort(&af);
        return rc;
    }
    rc = teai__atomic_commit(&af, &e);
    return rc == TEAI_OK ? rc : teai__plot_say(err, cap, rc, "%s", e.msg);
}
