/* The named figures (src/plot/figures.c): backend_comparison built from a
 * small hand-written collated CSV, rendered to PNG and probed by pixel: the
 * taller bar has the faster backend's colour. Needs cairo (skipped else). */
#include "test_util.h"

#include <stdio.h>

#if TEAI_HAVE_CAIRO
#include "plot/figures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int near_colour(const unsigned char *p, const double rgb[3]) {
    /* cairo ARGB32, little endian: B G R A */
    int r = (int)lround(rgb[0] * 255), g = (int)lround(rgb[1] * 255), b = (int)lround(rgb[2] * 255);
    return abs(p[2] - r) < 12 && abs(p[1] - g) < 12 && abs(p[0] - b) < 12;
}

/* Rows of the top-most pixel of colour rgb in the image, or -1. */
static int top_of_colour(cairo_surface_t *s, const double rgb[3]) {
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    /* skip the legend band at the top: count only columns with a run of >= 20
     * pixels of the colour (a bar), scanning from the top */
    for (int y = 0; y < h; y++) {
        int run = 0;
        for (int x = 0; x < w; x++) {
            if (near_colour(d + (size_t)y * (size_t)stride + (size_t)x * 4, rgb)) {
                if (++run >= 40) return y;
            } else {
                run = 0;
            }
        }
    }
    return -1;
}

static void test_backend_comparison(void) {
    char dir[512], csv[600], png[600];
    test_tmp_path(dir, sizeof dir, "figures");
    mkdir(dir, 0777);
    snprintf(csv, sizeof csv, "%s/bench.csv", dir);
    snprintf(png, sizeof png, "%s/backend_comparison.png", dir);
    FILE *f = fopen(csv, "w");
    ASSERT_TRUE(f != NULL);
    fputs("step,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,"
          "hostname,device,size,quantize,backend,warmup,tokens_in_chunk\n",
          f);
    for (int rep = 0; rep < 2; rep++) {
        /* a step-0 summary row and a warm-up row that must not count */
        fprintf(f, "0,10,100,,,h,cpu,1B,int8,native,%d,5\n", rep);
        fputs("1,1,1000,1,1,h,cpu,1B,int8,llamacpp,1,1\n", f);
        for (int i = 1; i <= 10; i++) {
            double fast = 10 + 0.1 * (i % 3), slow = 5 + 0.1 * (i % 2);
            fprintf(f, "%d,%g,%g,2,2,h,cpu,1B,int8,native,0,1\n", i, 1000 / fast, fast);
            fprintf(f, "%d,%g,%g,1,1,h,cpu,1B,int8,llamacpp,0,1\n", i, 1000 / slow, slow);
        }
    }
    fclose(f);

    teai_dataset *ds = NULL;
    teai_error err = {0};
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    ASSERT_EQ(nf, 1);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    int r = teai_figure_write(TEAI_FIG_BACKEND_COMPARISON, ds, png, TEAI_PLOT_PNG, &pp, msg,
                              sizeof msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "native decodes") != NULL);
    ASSERT_TRUE(strstr(msg, "faster than llamacpp") != NULL);
    ASSERT_TRUE(strstr(msg, "95% CI") != NULL);

    /* one host: device_comparison is skipped with its reason, nothing written */
    char dev[600];
    snprintf(dev, sizeof dev, "%s/device_comparison.png", dir);
    r = teai_figure_write(TEAI_FIG_DEVICE_COMPARISON, ds, dev, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, 0);
    ASSERT_TRUE(strstr(msg, "one device only") != NULL);
    struct stat sb;
    ASSERT_TRUE(stat(dev, &sb) != 0);
    teai_dataset_free(ds);

    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(cairo_image_surface_get_width(s), 1000);
    ASSERT_EQ(cairo_image_surface_get_height(s), 600);
    double cn[3], cl[3];
    teai_chart_color("native", cn);
    teai_chart_color("llamacpp", cl);
    int yn = top_of_colour(s, cn), yl = top_of_colour(s, cl);
    ASSERT_TRUE(yn > 0);
    ASSERT_TRUE(yl > 0);
    ASSERT_TRUE(yn < yl); /* native's bar is taller (its top is higher up) */
    cairo_surface_destroy(s);
}

int main(void) {
    RUN_TEST(test_backend_comparison);
    TEST_MAIN_END();
}

#else

int main(void) {
    printf("SKIP: built without cairo\n");
    return TEST_SKIP_CODE;
}

#endif
