/* Writing a chart to a PNG, SVG or PDF file: into a temporary file in the
 * target's folder (mkstemp), fsync, then rename(2) over the target (DESIGN
 * §10), so a reader never sees a partial figure. */
#include "plot/chart.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int wfail(char *err, size_t cap, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int wfail(char *err, size_t cap, int status, const char *fmt, ...) {
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return status;
}

static const char *errno_str(int e, char *buf, size_t cap) {
    if (strerror_r(e, buf, cap) != 0) snprintf(buf, cap, "error %d", e);
    return buf;
}

typedef struct sink {
    int fd;
    int err; /* first errno from write(2), 0 if none */
} sink;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length) {
    sink *s = closure;
    while (length > 0 && !s->err) {
        ssize_t n = write(s->fd, data, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            s->err = errno;
            break;
        }
        data += n;
        length -= (unsigned)n;
    }
    return s->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Draws into surf (width x height logical units, scaled by scale) and
 * finishes it; for PNG, streams the image into s. */
static int render(const teai_chart *chart, cairo_surface_t *surf, teai_plot_format format,
                  const teai_plot_params *p, sink *s, const char *path, char *err, size_t cap) {
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, p->scale, p->scale);
    int rc = teai_chart_draw(cr, chart, 0, 0, p->width, p->height, err, cap);
    cairo_destroy(cr);
    if (rc != TEAI_OK) return rc;
    if (format == TEAI_PLOT_PNG) {
        cairo_status_t st = cairo_surface_write_to_png_stream(surf, sink_write, s);
        if (st != CAIRO_STATUS_SUCCESS && !s->err)
            return wfail(err, cap, TEAI_EIO, "%s: %s", path, cairo_status_to_string(st));
    }
    cairo_surface_finish(surf);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS && !s->err)
        return wfail(err, cap, TEAI_EIO, "%s: %s", path,
                     cairo_status_to_string(cairo_surface_status(surf)));
    return TEAI_OK;
}

int teai_chart_write(const teai_chart *chart, const char *path, teai_plot_format format,
                     const teai_plot_params *params, char *err, size_t cap) {
    teai_plot_params p = params ? *params : teai_plot_default_params();
    char eb[128];
    if (err && cap) err[0] = '\0';
    if (!chart || !path || !*path) return wfail(err, cap, TEAI_EINVAL, "chart: NULL argument");
    if (format != TEAI_PLOT_PNG && format != TEAI_PLOT_SVG && format != TEAI_PLOT_PDF)
        return wfail(err, cap, TEAI_EINVAL, "%s: unknown format %d", path, (int)format);
    if (format != TEAI_PLOT_PNG) p.scale = 1;
    if (!(p.width >= 16 && p.height >= 16 && p.width <= 20000 && p.height <= 20000) ||
        !(p.scale > 0 && p.scale <= 16) || !(p.width * p.scale <= 32767) ||
        !(p.height * p.scale <= 32767))
        return wfail(err, cap, TEAI_EINVAL, "%s: bad size %gx%g at scale %g", path, p.width,
                     p.height, p.scale);

    size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
    char *tmp = malloc(n);
    if (!tmp) return wfail(err, cap, TEAI_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    sink s = {.fd = mkstemp(tmp), .err = 0};
    if (s.fd < 0) {
        int e = errno;
        free(tmp);
        return wfail(err, cap, TEAI_EIO, "%s: cannot create: %s", path,
                     errno_str(e, eb, sizeof eb));
    }

    (void)fchmod(s.fd, 0644); /* mkstemp's 0600 is too narrow for a figure */
    cairo_surface_t *surf;
    if (format == TEAI_PLOT_PNG)
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)lround(p.width * p.scale),
                                          (int)lround(p.height * p.scale));
    else if (format == TEAI_PLOT_SVG)
        surf = cairo_svg_surface_create_for_stream(sink_write, &s, p.width, p.height);
    else
        surf = cairo_pdf_surface_create_for_stream(sink_write, &s, p.width, p.height);
    int rc;
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        rc = wfail(err, cap, TEAI_ENOMEM, "%s: %s", path,
                   cairo_status_to_string(cairo_surface_status(surf)));
    else
        rc = render(chart, surf, format, &p, &s, path, err, cap);
    cairo_surface_destroy(surf);

    if (rc == TEAI_OK && !s.err && fsync(s.fd) != 0) s.err = errno;
    if (close(s.fd) != 0 && rc == TEAI_OK && !s.err) s.err = errno;
    if (rc == TEAI_OK && s.err)
        rc = wfail(err, cap, TEAI_EIO, "%s: write: %s", path, errno_str(s.err, eb, sizeof eb));
    if (rc == TEAI_OK && rename(tmp, path) != 0)
        rc = wfail(err, cap, TEAI_EIO, "%s: rename: %s", path, errno_str(errno, eb, sizeof eb));
    if (rc != TEAI_OK) unlink(tmp);
    free(tmp);
    return rc;
}
