/* Chart primitives (src/plot): render known charts, decode the PNGs and probe
 * pixels for the order and heights of bars and the median of a box; check the
 * SVG/PDF magic, the atomic write and the errors. With TEAI_PLOT_EXAMPLES=dir
 * the example charts are also written there for a look by eye. */
#include "plot/chart.h"
#include "test_util.h"

#include <cairo.h>
#include <dirent.h>
#include <unistd.h>

/* ---- fixtures -------------------------------------------------------------- */

static const char *const cats[] = {"qwen2.5-0.5b", "qwen2.5-1.5b", "llama-3.2-3b"};
static const double nat_v[] = {10, 20, 40}, nat_lo[] = {9, 18.5, 37}, nat_hi[] = {11, 21, 43};
static const double llm_v[] = {15, 30, 5}, llm_lo[] = {14, 28, 4.5}, llm_hi[] = {16.5, 31, 5.5};

static teai_chart bar_chart(teai_chart_series *s) {
    teai_chart c = teai_chart_init(TEAI_CHART_BARS);
    s[0] = (teai_chart_series){"native", nat_v, nat_lo, nat_hi};
    s[1] = (teai_chart_series){"llamacpp", llm_v, llm_lo, llm_hi};
    c.title = "Decode throughput by model";
    c.subtitle = "mean of n=10 runs per bar; whiskers: 95% CI; Q4_0, 8 threads";
    c.y_label = "Decode throughput (tokens/s)";
    c.categories = cats;
    c.n_categories = 3;
    c.series = s;
    c.n_series = 2;
    c.ref_y = 25;
    c.ref_label = "target 25 tokens/s";
    return c;
}

/* q1 = 10, median = 20, q3 = 50, 200 an outlier (fence 110). */
static const double box_a[] = {50, 0, 10, 200, 20, 10, 40, 20, 50};
/* q1 = 40, median = 50, q3 = 60. */
static const double box_b[] = {30, 40, 50, 60, 70};

static teai_chart box_chart(teai_chart_dist *d) {
    teai_chart c = teai_chart_init(TEAI_CHART_BOXES);
    d[0] = (teai_chart_dist){"native", "native", box_a, 9};
    d[1] = (teai_chart_dist){"llama.cpp", "llamacpp", box_b, 5};
    c.title = "Per-token latency";
    c.subtitle = "decode, qwen2.5-0.5b Q4_0; box: quartiles, whiskers: 1.5 IQR";
    c.y_label = "Latency (ms/token)";
    c.dists = d;
    c.n_dists = 2;
    return c;
}

static const teai_chart_point roof_pts[] = {
    {0.5, 40, NAN, NAN, 36, 44, "Q4_0"},
    {1.0, 70, 0.9, 1.1, 65, 74, "Q8_0"},
    {0.25, 20, NAN, NAN, 18, 21, "F16"},
};
static const teai_chart_point roof_pts2[] = {
    {0.5, 12, NAN, NAN, 11, 13, "Q4_0"},
    {1.0, 22, NAN, NAN, 20, 23, "Q8_0"},
};

static teai_chart roof_chart(teai_chart_xy_series *xs, teai_chart_slope *sl) {
    teai_chart c = teai_chart_init(TEAI_CHART_XY);
    xs[0] = (teai_chart_xy_series){"native", roof_pts, 3, 0};
    xs[1] = (teai_chart_xy_series){"llamacpp", roof_pts2, 2, 1};
    sl[0] = (teai_chart_slope){100, 500, "DRAM 100 GB/s", 0};
    sl[1] = (teai_chart_slope){20, INFINITY, "20 GB/s", 0};
    c.title = "Roofline";
    c.subtitle = "decode; n=5 runs per point";
    c.x_label = "Arithmetic intensity (FLOP/byte)";
    c.y_label = "Performance (GFLOP/s)";
    c.xy = xs;
    c.n_xy = 2;
    c.slopes = sl;
    c.n_slopes = 2;
    c.x_log = c.y_log = 1;
    return c;
}

/* ---- pixels ---------------------------------------------------------------- */

typedef struct img {
    cairo_surface_t *s;
    int w, h, stride;
    const unsigned char *d;
} img;

static int img_load(img *m, const char *path) {
    m->s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(m->s) != CAIRO_STATUS_SUCCESS) return -1;
    m->w = cairo_image_surface_get_width(m->s);
    m->h = cairo_image_surface_get_height(m->s);
    m->stride = cairo_image_surface_get_stride(m->s);
    m->d = cairo_image_surface_get_data(m->s);
    return 0;
}

static unsigned px(const img *m, int x, int y) {
    const unsigned char *p = m->d + (size_t)y * (size_t)m->stride + (size_t)x * 4;
    return *(const uint32_t *)(const void *)p & 0xffffffu; /* ARGB32 native endian */
}

static int near_rgb(unsigned c, const double rgb[3], double k) {
    int r = (int)((c >> 16) & 0xff), g = (int)((c >> 8) & 0xff), b = (int)(c & 0xff);
    return abs(r - (int)lround(rgb[0] * k * 255)) <= 3 &&
           abs(g - (int)lround(rgb[1] * k * 255)) <= 3 &&
           abs(b - (int)lround(rgb[2] * k * 255)) <= 3;
}

static int distinct_colors(const img *m) {
    static unsigned seen[4096];
    int n = 0;
    for (int y = 0; y < m->h; y += 1)
        for (int x = 0; x < m->w; x += 1) {
            unsigned c = px(m, x, y);
            int j = 0;
            while (j < n && seen[j] != c) j++;
            if (j == n && n < 4096) seen[n++] = c;
        }
    return n;
}

/* Bars found by colour, left to right: per column, the contiguous run of a
 * series colour that ends lowest. */
typedef struct bar {
    int series, x0, x1, bottom, height;
} bar;

static int find_bars(const img *m, const double (*rgb)[3], int ns, bar *out, int cap) {
    int n = 0, maxbottom = 0;
    for (int x = 0; x < m->w; x++) {
        int best = -1, bottom = -1, height = 0;
        for (int s = 0; s < ns; s++) {
            for (int y = m->h - 1; y >= 0; y--) {
                if (!near_rgb(px(m, x, y), rgb[s], 1)) continue;
                int t = y;
                while (t > 0 && near_rgb(px(m, x, t - 1), rgb[s], 1)) t--;
                if (y - t + 1 > 2 && y > bottom) best = s, bottom = y, height = y - t + 1;
                break;
            }
        }
        if (best < 0) continue;
        if (n > 0 && out[n - 1].series == best && out[n - 1].x1 == x - 1 &&
            abs(out[n - 1].bottom - bottom) <= 1) {
            out[n - 1].x1 = x;
            if (height > out[n - 1].height) out[n - 1].height = height;
        } else if (n < cap) {
            out[n++] = (bar){best, x, x, bottom, height};
        }
        if (bottom > maxbottom) maxbottom = bottom;
    }
    /* Keep only runs standing on the common baseline (drops legend swatches). */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (out[i].bottom >= maxbottom - 2 && out[i].x1 - out[i].x0 > 4) out[k++] = out[i];
    return k;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_ticks_and_colors(void) {
    double t0, st;
    int n = teai_chart_ticks(0, 37, 6, &t0, &st);
    ASSERT_NEAR(t0, 0, 0);
    ASSERT_NEAR(st, 5, 1e-12);
    ASSERT_EQ(n, 9);
    n = teai_chart_ticks(0.013, 0.087, 5, &t0, &st);
    ASSERT_NEAR(st, 0.01, 1e-12);
    ASSERT_TRUE(t0 <= 0.013 && t0 + (n - 1) * st >= 0.087);
    ASSERT_EQ(teai_chart_ticks(1, 1, 5, &t0, &st), 0);

    double a[3], b[3];
    teai_chart_color("native", a);
    ASSERT_NEAR(a[0], 0x00 / 255.0, 1e-9);
    ASSERT_NEAR(a[2], 0xB2 / 255.0, 1e-9);
    teai_chart_color("some-backend", a);
    teai_chart_color("some-backend", b);
    ASSERT_TRUE(a[0] == b[0] && a[1] == b[1] && a[2] == b[2]);

    ASSERT_EQ(teai_plot_format_from_path("x/y.PNG"), TEAI_PLOT_PNG);
    ASSERT_EQ(teai_plot_format_from_path("y.svg"), TEAI_PLOT_SVG);
    ASSERT_EQ(teai_plot_format_from_path("y.pdf"), TEAI_PLOT_PDF);
    ASSERT_EQ(teai_plot_format_from_path("y.jpg"), TEAI_EINVAL);
}

static void test_box_stats(void) {
    teai_box_stats st;
    ASSERT_EQ(teai_box_stats_compute(box_a, 9, &st), TEAI_OK);
    ASSERT_EQ(st.n, 9);
    ASSERT_NEAR(st.q1, 10, 1e-12);
    ASSERT_NEAR(st.median, 20, 1e-12);
    ASSERT_NEAR(st.q3, 50, 1e-12);
    ASSERT_NEAR(st.whisker_lo, 0, 1e-12);
    ASSERT_NEAR(st.whisker_hi, 50, 1e-12);
    ASSERT_EQ(st.n_outliers, 1);
    double nan1[] = {NAN};
    ASSERT_EQ(teai_box_stats_compute(nan1, 1, &st), TEAI_EINVAL);
}

static void test_bar_png(void) {
    char path[512], err[256];
    teai_chart_series s[2];
    teai_chart c = bar_chart(s);
    teai_plot_params p = teai_plot_default_params();
    p.width = 800;
    p.height = 500;
    test_tmp_path(path, sizeof path, "bars.png");
    int rc = teai_chart_write(&c, path, TEAI_PLOT_PNG, &p, err, sizeof err);
    if (rc != TEAI_OK) TEST_FAIL_AT("write: %s", err);
    ASSERT_EQ(rc, TEAI_OK);

    img m;
    ASSERT_EQ(img_load(&m, path), 0);
    ASSERT_EQ(m.w, 800);
    ASSERT_EQ(m.h, 500);
    ASSERT_TRUE(distinct_colors(&m) > 50);

    double rgb[2][3];
    teai_chart_color("native", rgb[0]);
    teai_chart_color("llamacpp", rgb[1]);
    bar bars[16];
    int n = find_bars(&m, (const double(*)[3])rgb, 2, bars, 16);
    ASSERT_EQ(n, 6);
    /* Order: per category, native then llamacpp. */
    const double want[6] = {10, 15, 20, 30, 40, 5};
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(bars[i].series, i % 2);
        if (i) ASSERT_TRUE(bars[i].x0 > bars[i - 1].x1);
    }
    /* Heights proportional to the values (the axis starts at 0). */
    double unit = bars[4].height / 40.0;
    ASSERT_TRUE(bars[4].height > 150);
    for (int i = 0; i < 6; i++) ASSERT_NEAR(bars[i].height, want[i] * unit, 3);
    cairo_surface_destroy(m.s);
    unlink(path);

    /* Scale 2: twice the pixels, same picture. */
    p.scale = 2;
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_PNG, &p, err, sizeof err), TEAI_OK);
    ASSERT_EQ(img_load(&m, path), 0);
    ASSERT_EQ(m.w, 1600);
    ASSERT_EQ(m.h, 1000);
    cairo_surface_destroy(m.s);
    unlink(path);
}

/* A sparse bar chart (device_comparison's panels): each category shows only
 * its measured series, centred in its slot; a category without any says
 * na_text ("not measured") instead of a bar; cat_notes add a second label
 * line (the bottom margin grows). */
static void test_sparse_bars(void) {
    char path[512], err[256];
    static const double vn[3] = {10, NAN, NAN}, vl[3] = {NAN, 20, NAN};
    static const char *const devs[3] = {"phone", "laptop", "board"};
    static const char *const notes[3] = {"native 1B q4", "llamacpp 1B q8", "not measured"};
    teai_chart_series s[2] = {{"native", vn, NULL, NULL}, {"llamacpp", vl, NULL, NULL}};
    teai_chart c = teai_chart_init(TEAI_CHART_BARS);
    c.title = "Best per device";
    c.y_label = "Decode (tokens/s)";
    c.categories = devs, c.n_categories = 3, c.series = s, c.n_series = 2;
    c.sparse = 1, c.na_text = "not measured";
    teai_plot_params p = teai_plot_default_params();
    teai_chart_layout lay, lay_notes;
    ASSERT_EQ(teai__chart_layout(&c, p.width, p.height, &lay, err, sizeof err), TEAI_OK);
    test_tmp_path(path, sizeof path, "sparse.png");
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_PNG, &p, err, sizeof err), TEAI_OK);
    img m;
    ASSERT_EQ(img_load(&m, path), 0);
    double rgb[2][3];
    teai_chart_color("native", rgb[0]);
    teai_chart_color("llamacpp", rgb[1]);
    bar bars[8];
    ASSERT_EQ(find_bars(&m, (const double(*)[3])rgb, 2, bars, 8), 2);
    double slot = (lay.plot[2] - lay.plot[0]) / 3;
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(bars[i].series, i);
        ASSERT_NEAR((bars[i].x0 + bars[i].x1) / 2.0, lay.plot[0] + slot * (i + 0.5), 2);
    }
    /* "not measured" in the third slot, just above the axis: grey text */
    int grey = 0;
    for (int y = (int)lay.plot[3] - 30; y < (int)lay.plot[3]; y++)
        for (int x = (int)(lay.plot[0] + slot * 2); x < (int)lay.plot[2]; x++) {
            unsigned q = px(&m, x, y);
            int r = (int)((q >> 16) & 0xff), g = (int)((q >> 8) & 0xff), b = (int)(q & 0xff);
            grey += r == g && g == b && r < 200;
        }
    ASSERT_TRUE(grey > 30);
    cairo_surface_destroy(m.s);
    unlink(path);

    /* without sparse the native bar sits left of its slot's centre */
    c.sparse = 0;
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_PNG, &p, err, sizeof err), TEAI_OK);
    ASSERT_EQ(img_load(&m, path), 0);
    ASSERT_EQ(find_bars(&m, (const double(*)[3])rgb, 2, bars, 8), 2);
    ASSERT_TRUE((bars[0].x0 + bars[0].x1) / 2.0 < lay.plot[0] + slot * 0.5 - 20);
    cairo_surface_destroy(m.s);
    unlink(path);

    c.sparse = 1, c.cat_notes = notes;
    ASSERT_EQ(teai__chart_layout(&c, p.width, p.height, &lay_notes, err, sizeof err), TEAI_OK);
    ASSERT_TRUE(lay_notes.plot[3] < lay.plot[3] - 5); /* room for the second line */
}

static void test_box_png(void) {
    char path[512], err[256];
    teai_chart_dist d[2];
    teai_chart c = box_chart(d);
    teai_plot_params p = teai_plot_default_params();
    p.width = 700;
    p.height = 500;
    test_tmp_path(path, sizeof path, "box.png");
    int rc = teai_chart_write(&c, path, TEAI_PLOT_PNG, &p, err, sizeof err);
    if (rc != TEAI_OK) TEST_FAIL_AT("write: %s", err);
    ASSERT_EQ(rc, TEAI_OK);
    img m;
    ASSERT_EQ(img_load(&m, path), 0);
    ASSERT_EQ(m.w, 700);
    ASSERT_TRUE(distinct_colors(&m) > 50);

    const double want_frac[2] = {(20.0 - 10) / (50 - 10), (50.0 - 40) / (60 - 40)};
    const double want_span[2] = {40, 20};
    double span_px[2];
    for (int b = 0; b < 2; b++) {
        double rgb[3];
        teai_chart_color(b == 0 ? "native" : "llamacpp", rgb);
        /* The widest run of columns holding the fill colour is the box. */
        int bx0 = -1, bx1 = -2, run0 = -1;
        for (int x = 0; x <= m.w; x++) {
            int hit = 0;
            for (int y = 0; x < m.w && y < m.h && !hit; y++) hit = near_rgb(px(&m, x, y), rgb, 1);
            if (hit && run0 < 0) run0 = x;
            if (!hit && run0 >= 0) {
                if (x - 1 - run0 > bx1 - bx0) bx0 = run0, bx1 = x - 1;
                run0 = -1;
            }
        }
        ASSERT_TRUE(bx1 - bx0 > 40);
        /* Up the centre column: the fill from q1 to q3, broken only by the
         * (antialiased) median line, whose centre is the darkness-weighted
         * mean row. */
        int xc = (bx0 + bx1) / 2, bottom = -1, top = -1;
        for (int y = m.h - 1; y >= 0; y--) {
            if (!near_rgb(px(&m, xc, y), rgb, 1)) {
                if (bottom >= 0 && top - y > 8) break;
                continue;
            }
            if (bottom < 0) bottom = y;
            top = y;
        }
        double fill_lum = rgb[0] * 255 + rgb[1] * 255 + rgb[2] * 255, wsum = 0, ysum = 0;
        for (int y = top; y <= bottom && top >= 0; y++) {
            unsigned v = px(&m, xc, y);
            double lum = ((v >> 16) & 0xff) + ((v >> 8) & 0xff) + (v & 0xff);
            double wgt = near_rgb(v, rgb, 1) ? 0 : fmax(0, fill_lum - lum);
            wsum += wgt, ysum += wgt * y;
        }
        int med_n = wsum > 0;
        double med = med_n ? ysum / wsum : 0;
        if (!(bottom > 0 && med_n > 0 && bottom - top > 15))
            TEST_FAIL_AT("box %d: x %d..%d bottom %d top %d", b, bx0, bx1, bottom, top);
        ASSERT_TRUE(bottom > 0 && med_n > 0 && bottom - top > 15);
        ASSERT_NEAR((bottom - med) / (double)(bottom - top), want_frac[b], 3.0 / (bottom - top));
        span_px[b] = bottom - top;
    }
    /* Same y scale for both boxes: box heights follow the IQRs (the fill
     * runs each lose the outline, a pixel or two). */
    ASSERT_NEAR(span_px[0] - span_px[1] * want_span[0] / want_span[1], 0, 4);
    cairo_surface_destroy(m.s);
    unlink(path);
}

static int file_starts_with(const char *path, const char *magic) {
    char buf[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size > 200 && n >= strlen(magic) && memcmp(buf, magic, strlen(magic)) == 0;
}

static void test_svg_pdf(void) {
    char path[512], err[256];
    teai_chart_series s[2];
    teai_chart c = bar_chart(s);
    test_tmp_path(path, sizeof path, "bars.svg");
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_SVG, NULL, err, sizeof err), TEAI_OK);
    ASSERT_TRUE(file_starts_with(path, "<?xml"));
    unlink(path);
    teai_chart_xy_series xs[2];
    teai_chart_slope sl[2];
    teai_chart r = roof_chart(xs, sl);
    test_tmp_path(path, sizeof path, "roof.pdf");
    ASSERT_EQ(teai_chart_write(&r, path, TEAI_PLOT_PDF, NULL, err, sizeof err), TEAI_OK);
    ASSERT_TRUE(file_starts_with(path, "%PDF-"));
    unlink(path);
}

/* No file named path, and no "<base>.tmp.*" beside it, in dir. */
static int no_leftovers(const char *dir, const char *base) {
    DIR *d = opendir(dir);
    if (!d) return 1;
    struct dirent *e;
    int ok = 1;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, base, strlen(base)) == 0) ok = 0;
    closedir(d);
    return ok;
}

static void test_errors(void) {
    char path[600], err[256], dir[512];
    teai_chart_series s[2];
    teai_chart c = bar_chart(s);
    test_tmp_path(dir, sizeof dir, "no-such-dir");
    snprintf(path, sizeof path, "%s/plots/bars.png", dir);
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_PNG, NULL, err, sizeof err), TEAI_EIO);
    ASSERT_TRUE(strstr(err, path) != NULL);
    ASSERT_TRUE(strstr(err, "No such file") != NULL);
    ASSERT_TRUE(access(path, F_OK) != 0);

    /* A chart that breaks the rules: error, and nothing left behind. */
    const char *tmpdir = getenv("TEAI_TEST_TMP");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    char base[64];
    snprintf(base, sizeof base, "%ld-nolabel.png", (long)getpid());
    snprintf(path, sizeof path, "%s/%s", tmpdir, base);
    c.y_label = NULL;
    ASSERT_EQ(teai_chart_write(&c, path, TEAI_PLOT_PNG, NULL, err, sizeof err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err, "unit") != NULL);
    ASSERT_TRUE(no_leftovers(tmpdir, base));

    teai_chart_xy_series xs[2];
    teai_chart_slope sl[2];
    teai_chart r = roof_chart(xs, sl);
    teai_chart_point bad[] = {{0, 1, NAN, NAN, NAN, NAN, NULL}};
    xs[1] = (teai_chart_xy_series){"x", bad, 1, 0};
    ASSERT_EQ(teai_chart_write(&r, path, TEAI_PLOT_PNG, NULL, err, sizeof err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err, "log") != NULL);
    ASSERT_TRUE(no_leftovers(tmpdir, base));
}

/* Drawing onto a caller's cairo_t stays inside the given rectangle. */
static void test_draw_into_context(void) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1200, 800);
    cairo_t *cr = cairo_create(s);
    teai_chart_dist d[2];
    teai_chart c = box_chart(d);
    char err[256];
    ASSERT_EQ(teai_chart_draw(cr, &c, 600, 400, 600, 400, err, sizeof err), TEAI_OK);
    cairo_surface_flush(s);
    img m = {s, 1200, 800, cairo_image_surface_get_stride(s), cairo_image_surface_get_data(s)};
    const unsigned char *a = m.d + 100 * (size_t)m.stride + 100 * 4;
    ASSERT_EQ(a[3], 0);                      /* outside: untouched (transparent) */
    ASSERT_EQ(px(&m, 1190, 410), 0xffffffu); /* inside: white background */
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

static void write_examples(void) {
    const char *dir = getenv("TEAI_PLOT_EXAMPLES");
    if (!dir || !*dir) return;
    char path[512], err[256];
    teai_chart_series s[2];
    teai_chart_dist d[2];
    teai_chart_xy_series xs[2];
    teai_chart_slope sl[2];
    teai_chart charts[3] = {bar_chart(s), box_chart(d), roof_chart(xs, sl)};
    const char *names[3] = {"bars", "box", "roofline"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/teai-plot-%s.png", dir, names[i]);
        if (teai_chart_write(&charts[i], path, TEAI_PLOT_PNG, NULL, err, sizeof err) != TEAI_OK)
            TEST_FAIL_AT("%s", err);
    }
}

int main(void) {
    RUN_TEST(test_ticks_and_colors);
    RUN_TEST(test_box_stats);
    RUN_TEST(test_bar_png);
    RUN_TEST(test_sparse_bars);
    RUN_TEST(test_box_png);
    RUN_TEST(test_svg_pdf);
    RUN_TEST(test_errors);
    RUN_TEST(test_draw_into_context);
    RUN_TEST(write_examples);
    TEST_MAIN_END();
}
