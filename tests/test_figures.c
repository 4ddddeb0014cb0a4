/* The named figures (src/plot/figures.c): backend_comparison built from a
 * small hand-written collated CSV, rendered to PNG and probed by pixel: the
 * taller bar has the faster backend's colour; pareto from the same kind of
 * CSV and an accuracy.csv: points where their speed and accuracy put them,
 * the frontier drawn between the two undominated ones; teai_figures_load
 * and what the dataset keeps for the report's setup slide; the device
 * figures: the roofline's measured roof, energy_per_token (and its skip
 * without an energy sensor), thermal_timeline from samples.csv. Needs cairo
 * (skipped else). */
#include "test_util.h"

#include <stdio.h>

#if TEAI_HAVE_CAIRO
#include "plot/figures.h"
#include "results/results.h"

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

/* A fresh directory dir (test_tmp_path of name) and its bench.csv (path in
 * csv), opened for writing with the header line written; NULL on failure. */
static FILE *new_bench_csv(const char *name, char *dir, size_t dir_cap, char *csv, size_t csv_cap,
                           const char *header) {
    test_tmp_path(dir, dir_cap, name);
    if (test_system("rm -rf '%s' && mkdir -p '%s'", dir, dir) != 0) return NULL;
    snprintf(csv, csv_cap, "%s/bench.csv", dir);
    FILE *f = fopen(csv, "w");
    if (f) fputs(header, f);
    return f;
}

static void test_backend_comparison(void) {
    char dir[512], csv[600], png[600];
    FILE *f = new_bench_csv(
        "figures", dir, sizeof dir, csv, sizeof csv,
        "step,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,"
        "hostname,device,size,quantize,backend,warmup,tokens_in_chunk\n");
    ASSERT_TRUE(f != NULL);
    snprintf(png, sizeof png, "%s/backend_comparison.png", dir);
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

/* Centroid (x, y) of the pixels of colour rgb below row y0 (the legend band
 * above is left out); the count, 0 when none. */
static long centroid(cairo_surface_t *s, const double rgb[3], int y0, double *cx, double *cy) {
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    long n = 0;
    double sx = 0, sy = 0;
    for (int y = y0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (near_colour(d + (size_t)y * (size_t)stride + (size_t)x * 4, rgb))
                n++, sx += x, sy += y;
    *cx = n ? sx / (double)n : NAN;
    *cy = n ? sy / (double)n : NAN;
    return n;
}

/* Speed: native 20 tok/s, llamacpp 10, tinygrad 8 (all 1B int8, host h);
 * accuracy (gsm8k reward): native 0.40, llamacpp 0.70, tinygrad 0.30 (and an
 * older native result, 0.10, that the latest replaces). native and llamacpp
 * are on the frontier; tinygrad is beaten by both. */
static void test_pareto(void) {
    char dir[512], csv[600], acc[600], png[600];
    FILE *f = new_bench_csv(
        "pareto", dir, sizeof dir, csv, sizeof csv,
        "step,total_latency_ms,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n");
    ASSERT_TRUE(f != NULL);
    snprintf(acc, sizeof acc, "%s/accuracy.csv", dir);
    snprintf(png, sizeof png, "%s/pareto.png", dir);
    static const struct {
        const char *b;
        double tps;
    } sp[] = {{"native", 20}, {"llama-bench", 10}, {"tinygrad", 8}};
    for (int k = 0; k < 3; k++)
        for (int i = 1; i <= 12; i++) {
            double t = sp[k].tps * (1 + 0.02 * (i % 3 - 1));
            fprintf(f, "%d,%g,%g,h,cpu,1B,int8,%s,0\n", i, 1000 / t, t, sp[k].b);
        }
    fclose(f);
    f = fopen(acc, "w");
    ASSERT_TRUE(f != NULL);
    fputs("backend,size,quantization,environment,metric,value,stderr,ci_low,ci_high,n,returncode,"
          "timestamp\n"
          "native,1B,int8,gsm8k,reward,0.10,,,,50,0,2024-01-01T00:00:00Z\n"
          "native,1B,int8,gsm8k,reward,0.40,,0.30,0.50,50,0,2025-01-01T00:00:00Z\n"
          "llamacpp,1B,int8,gsm8k,reward,0.70,0.05,,,50,0,2025-01-01T00:00:00Z\n"
          "tinygrad,1B,int8,gsm8k,reward,0.30,,,,50,0,2025-01-01T00:00:00Z\n"
          "native,1B,nf4,gsm8k,reward,0.90,,,,50,0,2025-01-01T00:00:00Z\n"
          "native,1B,int8,perplexity,kl_divergence,0.05,,,,1000,0,2025-01-01T00:00:00Z\n"
          "llamacpp,1B,int8,perplexity,kl_divergence,0.02,,,,1000,0,2025-01-01T00:00:00Z\n"
          "native,1B,int8,wordle,reward,0.2,,,,10,1,2025-01-01T00:00:00Z\n",
          f);
    fclose(f);

    teai_dataset *ds = NULL;
    teai_error err = {0};
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    ASSERT_EQ(nf, 1); /* accuracy.csv is not read as a speed CSV */
    ASSERT_EQ(nb, 0);
    teai_acc_rows *rows = NULL;
    ASSERT_EQ(teai_acc_read_csv(acc, NULL, NULL, &rows, &err), TEAI_OK);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    struct stat sb;

    /* without accuracy results: skipped with the reason, nothing written */
    int r = teai_figure_write(TEAI_FIG_PARETO, ds, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, 0);
    ASSERT_TRUE(strstr(msg, "no accuracy.csv") != NULL);
    ASSERT_TRUE(stat(png, &sb) != 0);
    /* a metric nothing joins with */
    teai_figure_accuracy fa = {rows, "wordle:reward"}; /* its only result failed */
    r = teai_figure_write_acc(TEAI_FIG_PARETO, ds, &fa, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, 0);
    ASSERT_TRUE(strstr(msg, "joins with the speed data") != NULL);
    fa.metric = "gsm8k:format";
    r = teai_figure_write_acc(TEAI_FIG_PARETO, ds, &fa, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, 0);
    ASSERT_TRUE(strstr(msg, "accuracy.csv has no gsm8k:format results") != NULL);
    fa.metric = "reward";
    r = teai_figure_write_acc(TEAI_FIG_PARETO, ds, &fa, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, TEAI_EINVAL);
    ASSERT_TRUE(stat(png, &sb) != 0);

    /* the default metric: gsm8k reward (the task with the most points) */
    fa.metric = NULL;
    r = teai_figure_write_acc(TEAI_FIG_PARETO, ds, &fa, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    printf("pareto: %s\n", msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "native int8 is on the frontier: 2x faster than llama-bench int8") !=
                NULL);
    ASSERT_TRUE(strstr(msg, "-0.3 reward") != NULL);
    ASSERT_TRUE(strstr(msg, "2 of 3 configurations") != NULL);

    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(cairo_image_surface_get_width(s), 1000);
    ASSERT_EQ(cairo_image_surface_get_height(s), 600);
    double cn[3], cl[3], ct[3], cf[3];
    teai_chart_color("native", cn);
    teai_chart_color("llama-bench", cl); /* the speed data's name for llamacpp */
    teai_chart_color("tinygrad", ct);
    teai_chart_color("Pareto frontier", cf);
    double nx, ny, lx, ly, tx, ty, fx, fy;
    int y0 = 150; /* below title, subtitle and legend */
    ASSERT_TRUE(centroid(s, cn, y0, &nx, &ny) > 20);
    ASSERT_TRUE(centroid(s, cl, y0, &lx, &ly) > 20);
    ASSERT_TRUE(centroid(s, ct, y0, &tx, &ty) > 20);
    ASSERT_TRUE(centroid(s, cf, y0, &fx, &fy) > 50); /* the frontier line */
    ASSERT_TRUE(nx > lx + 200);                      /* native is faster */
    ASSERT_TRUE(ny > ly + 100);                      /* and less accurate (lower) */
    ASSERT_TRUE(tx < lx && ty > ny);                 /* tinygrad: slowest and worst */
    ASSERT_TRUE(fx > lx && fx < nx);                 /* the line runs between the two */
    ASSERT_TRUE(fy > ly && fy < ny);
    cairo_surface_destroy(s);

    /* KL divergence: lower is better, so llamacpp (slower, lower KL) and
     * native (faster, higher KL) are both on the frontier */
    fa.metric = "perplexity:kl_divergence";
    r = teai_figure_write_acc(TEAI_FIG_PARETO, ds, &fa, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "native int8 is on the frontier") != NULL);
    ASSERT_TRUE(strstr(msg, "+0.03 kl_divergence") != NULL);
    teai_acc_rows_free(rows);
    teai_dataset_free(ds);
}

/* A log in the original MLC format (tests/fixtures/logs), collated, is in
 * backend_comparison: its bar has mlc_llm's colour at its rate, and the
 * figure's data (the dataset it is drawn from) has its three per-run rates. */
static void test_mlc_in_figures(void) {
    char dir[512], png[600];
    test_tmp_path(dir, sizeof dir, "figures-mlc");
    const char *src = getenv("TEAI_SOURCE_DIR");
    ASSERT_EQ(test_system("rm -rf '%s' && mkdir -p '%s' && cp '%s/tests/fixtures/logs/"
                          "mlc_host1_1B_q4f16_1_seed42_uuidabcdef12.txt' '%s/'",
                          dir, dir, src && *src ? src : ".", dir),
              0);
    teai_error err = {0};
    ASSERT_EQ(teai_collate(dir, NULL, NULL, NULL, &err), TEAI_OK);
    teai_dataset *ds = NULL;
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_n_groups(ds), 1);
    size_t n = 0;
    const double *v = teai_dataset_values(ds, 0, TEAI_M_DECODE_TOK_S, &n);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(teai_dataset_run_rates(ds, 0), 3);
    ASSERT_STREQ(teai_dataset_key(ds, 0, 4), "mlc_llm");
    if (n == 3) ASSERT_NEAR(v[0] + v[1] + v[2], 24.691358024691358 + 25 + 24, 1e-9);
    snprintf(png, sizeof png, "%s/backend_comparison.png", dir);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    int r = teai_figure_write(TEAI_FIG_BACKEND_COMPARISON, ds, png, TEAI_PLOT_PNG, &pp, msg,
                              sizeof msg);
    ASSERT_EQ(r, 1);
    ASSERT_TRUE(strstr(msg, "mlc_llm decodes highest at 1B q4f16_1: 24.56 tokens/s") != NULL);
    teai_dataset_free(ds);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    double cm[3];
    teai_chart_color("mlc_llm", cm);
    ASSERT_TRUE(top_of_colour(s, cm) > 0); /* a bar of mlc_llm's colour */
    cairo_surface_destroy(s);
}

/* Three backends, each measuring another configuration: speedup_comparison
 * is skipped saying so, not "only one backend". */
static void test_speedup_needs_shared_config(void) {
    char dir[512], csv[600], png[600];
    FILE *f = new_bench_csv(
        "figures-speedup", dir, sizeof dir, csv, sizeof csv,
        "step,total_latency_ms,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n");
    ASSERT_TRUE(f != NULL);
    static const char *const cfg[3][2] = {
        {"native", "int8"}, {"llamacpp", "nf4"}, {"mlc_llm", "q4f16_1"}};
    for (int b = 0; b < 3; b++)
        for (int i = 1; i <= 4; i++)
            fprintf(f, "%d,100,%d,h,cpu,1B,%s,%s,0\n", i, 10 + i + b, cfg[b][1], cfg[b][0]);
    fclose(f);
    teai_dataset *ds = NULL;
    teai_error err = {0};
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    snprintf(png, sizeof png, "%s/speedup_comparison.png", dir);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    int r = teai_figure_write(TEAI_FIG_SPEEDUP_COMPARISON, ds, png, TEAI_PLOT_PNG, &pp, msg,
                              sizeof msg);
    ASSERT_EQ(r, 0);
    ASSERT_TRUE(strstr(msg, "no configuration measured by two backends") != NULL);
    ASSERT_TRUE(strstr(msg, "only one backend") == NULL);
    ASSERT_TRUE(strstr(msg, "llamacpp") != NULL && strstr(msg, "mlc_llm") != NULL);
    struct stat sb;
    ASSERT_TRUE(stat(png, &sb) != 0);
    teai_dataset_free(ds);
}

static long ink_in(cairo_surface_t *s, const double b[4], const double rgb[3]);

/* Pixels of colour rgb (within 12 per channel) in the whole image. */
static long count_colour(cairo_surface_t *s, const double rgb[3]) {
    double b[4] = {0, 0, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s)};
    return ink_in(s, b, rgb);
}

/* Grey pixels darker than the grid (a line drawn in grey, antialiased) in
 * the box x0..x1, y0..y1. */
static long dark_grey_in(cairo_surface_t *s, int x0, int y0, int x1, int y1) {
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *p = d + (size_t)y * (size_t)stride + (size_t)x * 4;
            n += abs(p[0] - p[1]) < 8 && abs(p[1] - p[2]) < 8 && p[0] < 180;
        }
    return n;
}

/* The roofline: x = GB per decoded token (memory_throughput_gb_s /
 * tokens_per_sec), y = decode tokens/s, the device's measured read
 * bandwidth as the roof y = membw / x. int8: 10 GB/s at 20 tokens/s, 0.5 GB
 * a token, roof 40 / 0.5 = 80 tokens/s: 25 %; nf4: 16 GB/s at 40 tokens/s,
 * 0.4 GB, roof 100: 40 %, the closest. The roof is a grey line across the
 * plot; without membw_gb_s there is none and the subtitle says so. */
static void test_roofline_roof(void) {
    char dir[512], csv[600], png[600];
    long grey_px[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        FILE *f = new_bench_csv(
            pass == 0 ? "figures-roofline" : "figures-roofline-nobw", dir, sizeof dir, csv,
            sizeof csv,
            "step,tokens_per_sec,memory_throughput_gb_s,hostname,device,size,quantize,backend,"
            "warmup,membw_gb_s\n");
        ASSERT_TRUE(f != NULL);
        const char *bw = pass == 0 ? "40" : "";
        for (int i = 1; i <= 4; i++) {
            fprintf(f, "%d,%g,%g,h,cpu,1B,int8,native,0,%s\n", i, 20 + 0.1 * (i % 2),
                    10 + 0.05 * (i % 2), bw);
            fprintf(f, "%d,40,16,h,cpu,1B,nf4,native,0,%s\n", i, bw);
        }
        fclose(f);
        teai_dataset *ds = NULL;
        teai_error err = {0};
        int nf = 0, nb = 0;
        ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
        snprintf(png, sizeof png, "%s/roofline.png", dir);
        teai_plot_params pp = teai_plot_default_params();
        char msg[1024];
        ASSERT_EQ(
            teai_figure_write(TEAI_FIG_ROOFLINE, ds, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg), 1);
        printf("(roofline: %s)\n", msg);
        if (pass == 0) {
            ASSERT_TRUE(
                strstr(msg, "native 1B nf4 decodes at 40% of the roof of cpu (h) (40 GB/s") !=
                NULL);
            ASSERT_TRUE(strstr(msg, "0.4 GB a token at 40 tokens/s") != NULL);
        } else {
            ASSERT_TRUE(strstr(msg, "no device has a measured bandwidth") != NULL);
        }
        teai_dataset_free(ds);
        cairo_surface_t *s = cairo_image_surface_create_from_png(png);
        ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
        grey_px[pass] = dark_grey_in(s, 130, 180, 940, 480); /* inside the plot */
        cairo_surface_destroy(s);
    }
    printf("(roofline: %ld grey pixels in the plot with the roof, %ld without)\n", grey_px[0],
           grey_px[1]);
    ASSERT_TRUE(grey_px[0] > grey_px[1] + 300); /* a line across the plot */
}

/* energy_per_token: J/token of the step-0 rows (one per measured
 * repetition), native 2, 3, 4 (mean 3) against llamacpp 5, 6 (5.5); the
 * warm-up repetition (J/token 50) does not count. Without any energy column
 * the figure is skipped with the reason. */
static void test_energy_per_token(void) {
    char dir[512], csv[600], png[600];
    FILE *f = new_bench_csv("figures-energy", dir, sizeof dir, csv, sizeof csv,
                            "step,tokens_per_sec,joules_per_token,energy_source,hostname,device,"
                            "size,quantize,backend,warmup,repetition\n");
    ASSERT_TRUE(f != NULL);
    fputs("0,,50,rapl,h,cpu,1B,int8,native,1,0\n", f);
    static const double jn[3] = {2, 3, 4}, jl[2] = {5, 6};
    for (int r = 0; r < 3; r++) {
        fprintf(f, "0,,%g,rapl,h,cpu,1B,int8,native,0,%d\n1,10,,rapl,h,cpu,1B,int8,native,0,%d\n",
                jn[r], r, r);
        if (r < 2)
            fprintf(
                f,
                "0,,%g,rapl,h,cpu,1B,int8,llamacpp,0,%d\n1,9,,rapl,h,cpu,1B,int8,llamacpp,0,%d\n",
                jl[r], r, r);
    }
    fclose(f);
    teai_figures_data fd;
    teai_error err = {0};
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    snprintf(png, sizeof png, "%s/energy_per_token.png", dir);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_ENERGY_PER_TOKEN, &fd, NULL, png, TEAI_PLOT_PNG, &pp,
                                     msg, sizeof msg),
              1);
    printf("(energy_per_token: %s)\n", msg);
    ASSERT_TRUE(strstr(msg, "native at 1B int8 spends the least energy: 3 J/token") != NULL);
    ASSERT_TRUE(strstr(msg, "n=3") != NULL);
    teai_figures_data_free(&fd);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(cairo_image_surface_get_width(s), 1000);
    double cn[3], cl[3];
    teai_chart_color("native", cn);
    teai_chart_color("llamacpp", cl);
    int yn = top_of_colour(s, cn), yl = top_of_colour(s, cl);
    ASSERT_TRUE(yn > 0 && yl > 0 && yl < yn); /* llamacpp's bar (5.5 J) is the taller */
    cairo_surface_destroy(s);

    /* no energy column at all: skipped, saying why, nothing written */
    ASSERT_EQ(test_system("rm -f '%s'", png), 0);
    f = fopen(csv, "w");
    ASSERT_TRUE(f != NULL);
    fputs("step,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n"
          "1,10,h,cpu,1B,int8,native,0\n",
          f);
    fclose(f);
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_ENERGY_PER_TOKEN, &fd, NULL, png, TEAI_PLOT_PNG, &pp,
                                     msg, sizeof msg),
              0);
    ASSERT_STREQ(msg, "no energy sensor was available (teai probe lists the sensors)");
    struct stat sb;
    ASSERT_TRUE(stat(png, &sb) != 0);
    teai_figures_data_free(&fd);
}

/* device_comparison across devices that share a host name and a CPU string
 * but differ in device_name and machine (an x86-64 and an aarch64 "device"
 * on one host), plus an older CSV without those columns (a third device).
 * Per device the best configuration for decode speed, J/token and memory:
 *   x86: native 1B q4 30 tok/s (q8 25, int8 20); J/token int8 2 (q4 3, q8
 *        4); RSS q4 60 MiB (q8 80, int8 100); the most decode values;
 *   arm: native 1B int8 8 tok/s (llamacpp 5); no energy sensor; RSS
 *        llamacpp 50 (native 70);
 *   old: native 1B int8 12 tok/s; neither energy nor RSS recorded. */
static void test_device_comparison(void) {
    char dir[512], csv[600], png[600], old[700];
    FILE *f = new_bench_csv("figures-devices", dir, sizeof dir, csv, sizeof csv,
                            "step,tokens_per_sec,joules_per_token,run_peak_rss_mb,hostname,device,"
                            "machine,device_name,size,quantize,backend,warmup,repetition\n");
    ASSERT_TRUE(f != NULL);
    static const struct {
        const char *mach, *name, *quant, *backend;
        double tok_s, j, rss;
    } cfg[5] = {{"x86_64", "x86", "q4", "native", 30, 3, 60},
                {"x86_64", "x86", "q8", "native", 25, 4, 80},
                {"x86_64", "x86", "int8", "native", 20, 2, 100},
                {"aarch64", "arm", "int8", "native", 8, NAN, 70},
                {"aarch64", "arm", "int8", "llamacpp", 5, NAN, 50}};
    for (int c = 0; c < 5; c++)
        for (int r = 0; r < 3; r++) {
            char j[32] = "";
            if (!isnan(cfg[c].j)) snprintf(j, sizeof j, "%g", cfg[c].j + 0.1 * r);
            fprintf(f, "0,,%s,%g,h,cpu,%s,%s,1B,%s,%s,0,%d\n", j, cfg[c].rss + r, cfg[c].mach,
                    cfg[c].name, cfg[c].quant, cfg[c].backend, r);
            for (int i = 1; i <= 4; i++)
                fprintf(f, "%d,%g,,,h,cpu,%s,%s,1B,%s,%s,0,%d\n", i, cfg[c].tok_s + 0.1 * (i % 3),
                        cfg[c].mach, cfg[c].name, cfg[c].quant, cfg[c].backend, r);
        }
    fclose(f);
    /* an older CSV: no machine, device_name, energy or RSS columns */
    snprintf(old, sizeof old, "%s/old.csv", dir);
    f = fopen(old, "w");
    ASSERT_TRUE(f != NULL);
    fputs("step,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n", f);
    for (int i = 1; i <= 4; i++) fprintf(f, "%d,%g,old,cpu2,1B,int8,native,0\n", i, 12 + 0.1 * i);
    fclose(f);

    /* a group column a CSV lacks: an error unless allowed */
    teai_dataset *ds;
    teai_error err = {0};
    static const char *const cols[2] = {"hostname", "machine"};
    ASSERT_EQ(teai_dataset_new(cols, 2, &ds, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_add_csv(ds, old, NULL, NULL, NULL, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "no column 'machine'") != NULL);
    ASSERT_EQ(teai_dataset_allow_missing(ds, "machine", &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_allow_missing(ds, "device", &err), TEAI_EINVAL);
    ASSERT_EQ(teai_dataset_add_csv(ds, old, NULL, NULL, NULL, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_n_groups(ds), 1);
    ASSERT_STREQ(teai_dataset_key(ds, 0, 1), "");
    teai_dataset_free(ds);

    teai_figures_data fd;
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_EQ(fd.n_files, 2);
    ASSERT_EQ(fd.n_bad, 0);
    teai_device *dv;
    int nd;
    ASSERT_EQ(teai_dataset_devices(fd.ds, &dv, &nd, &err), TEAI_OK);
    ASSERT_EQ(nd, 3);
    int ix = -1, ia = -1, io = -1;
    for (int i = 0; i < nd; i++) {
        if (!strcmp(dv[i].label, "x86 (cpu, x86_64)")) ix = i;
        if (!strcmp(dv[i].label, "arm (cpu, aarch64)")) ia = i;
        if (!strcmp(dv[i].label, "cpu2 (old)")) io = i;
    }
    ASSERT_TRUE(ix >= 0 && ia >= 0 && io >= 0);
    const teai_device_best *b = dv[ix].best;
    ASSERT_STREQ(b[TEAI_BEST_SPEED].backend, "native");
    ASSERT_STREQ(b[TEAI_BEST_SPEED].quantize, "q4");
    ASSERT_EQ(b[TEAI_BEST_SPEED].st.n, 12);
    ASSERT_NEAR(b[TEAI_BEST_SPEED].st.mean, 30.1, 0.05);
    ASSERT_STREQ(b[TEAI_BEST_ENERGY].quantize, "int8");
    ASSERT_NEAR(b[TEAI_BEST_ENERGY].st.mean, 2.1, 1e-9);
    ASSERT_EQ(b[TEAI_BEST_ENERGY].st.n, 3);
    ASSERT_STREQ(b[TEAI_BEST_MEMORY].quantize, "q4");
    ASSERT_EQ(b[TEAI_BEST_MEMORY].metric, TEAI_M_RUN_PEAK_RSS_MB);
    ASSERT_NEAR(b[TEAI_BEST_MEMORY].st.mean, 61, 1e-9);
    b = dv[ia].best;
    ASSERT_STREQ(b[TEAI_BEST_SPEED].backend, "native");
    ASSERT_TRUE(b[TEAI_BEST_ENERGY].backend == NULL); /* no sensor: not measured */
    ASSERT_STREQ(b[TEAI_BEST_MEMORY].backend, "llamacpp");
    b = dv[io].best;
    ASSERT_NEAR(b[TEAI_BEST_SPEED].st.mean, 12.25, 1e-9);
    ASSERT_TRUE(b[TEAI_BEST_ENERGY].backend == NULL && b[TEAI_BEST_MEMORY].backend == NULL);
    free(dv);

    snprintf(png, sizeof png, "%s/device_comparison.png", dir);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_DEVICE_COMPARISON, &fd, NULL, png, TEAI_PLOT_PNG, &pp,
                                     msg, sizeof msg),
              1);
    printf("(device_comparison: %s)\n", msg);
    ASSERT_TRUE(strstr(msg, "fastest device: x86 (cpu, x86_64) with native 1B q4, 30.1") == msg);
    ASSERT_TRUE(strstr(msg, "least energy: x86 (cpu, x86_64) with native 1B int8, 2.1 J/token") !=
                NULL);
    /* the per-device figures use one device: x86 has the most decode values */
    char msg2[1024];
    snprintf(old, sizeof old, "%s/backend_comparison.png", dir);
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_BACKEND_COMPARISON, &fd, NULL, old, TEAI_PLOT_PNG,
                                     &pp, msg2, sizeof msg2),
              1);
    printf("(backend_comparison: %s)\n", msg2);
    ASSERT_TRUE(strstr(msg2, "native decodes highest at 1B q4: 30.1") != NULL);
    teai_figures_data_free(&fd);
    /* three panels (speed, energy, memory); arm's memory bar is llamacpp's
     * colour, the only llamacpp bar */
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(cairo_image_surface_get_height(s), 1200);
    double cl[3];
    teai_chart_color("llamacpp", cl);
    ASSERT_TRUE(top_of_colour(s, cl) > 800); /* in the bottom panel */
    cairo_surface_destroy(s);
}

/* thermal_timeline from samples.csv: a sustained run decoding 10 tokens/s
 * for 60 s, then 5 tokens/s with the clock at 1500 of 2000 MHz (throttled)
 * for 60 s more. The finding gives the first 30 s against the last 60 s and
 * the throttled time; the throttled stretch is shaded. Without samples.csv
 * the figure is skipped, saying so. */
static void test_thermal_timeline(void) {
    char dir[512], csv[600], png[600], path[700];
    FILE *f = new_bench_csv("figures-thermal", dir, sizeof dir, csv, sizeof csv,
                            "step,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n");
    ASSERT_TRUE(f != NULL);
    fputs("1,10,h,cpu,1B,int8,native,0\n", f);
    fclose(f);
    snprintf(png, sizeof png, "%s/thermal_timeline.png", dir);
    teai_figures_data fd;
    teai_error err = {0};
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_TRUE(fd.samples == NULL);
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_THERMAL_TIMELINE, &fd, NULL, png, TEAI_PLOT_PNG, &pp,
                                     msg, sizeof msg),
              0);
    ASSERT_TRUE(strstr(msg, "no samples.csv") != NULL);
    teai_figures_data_free(&fd);

    snprintf(path, sizeof path, "%s/samples.csv", dir);
    f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("log_file,backend,hostname,device,size,quantize,duration_s,repetition,warmup,phase,t_ms,"
          "tokens,temp_c,clock_mhz\n",
          f);
    for (int t = 0; t <= 120; t++)
        fprintf(f, "s.txt,native,h,cpu,1B,int8,120,0,0,decode,%d,%g,%g,%d\n", t * 1000,
                t <= 60 ? 10.0 * t : 600 + 5.0 * (t - 60), 50 + t * 0.2, t <= 60 ? 2000 : 1500);
    fclose(f);
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_TRUE(fd.samples != NULL);
    ASSERT_EQ(teai_figure_write_data(TEAI_FIG_THERMAL_TIMELINE, &fd, NULL, png, TEAI_PLOT_PNG, &pp,
                                     msg, sizeof msg),
              1);
    printf("(thermal_timeline: %s)\n", msg);
    ASSERT_TRUE(strstr(msg, "first 30 s 10 tokens/s, last 60 s 5 tokens/s (-50.0%)") != NULL);
    ASSERT_TRUE(strstr(msg, "up to 74.0 °C") != NULL);
    ASSERT_TRUE(strstr(msg, "throttled for 60 s") != NULL);
    teai_figures_data_free(&fd);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(cairo_image_surface_get_height(s), 600);
    /* the shading: light red over white, in both panels */
    double shade[3] = {1 - 0.14 * (1 - 0.85), 1 - 0.14 * (1 - 0.2), 1 - 0.14 * (1 - 0.1)};
    long shaded = count_colour(s, shade);
    printf("(thermal_timeline: %ld shaded pixels)\n", shaded);
    ASSERT_TRUE(shaded > 10000);
    cairo_surface_destroy(s);
}

/* Non-white pixels within `band` pixels of the image's edge: text cut off by
 * the border (a subtitle wider than the image, a y label longer than the
 * plot is high) leaves some there; a chart that fits leaves none. */
static long edge_ink(cairo_surface_t *s, int band) {
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (x >= band && x < w - band && y >= band && y < h - band) continue;
            const unsigned char *p = d + (size_t)y * (size_t)stride + (size_t)x * 4;
            n += p[0] < 230 || p[1] < 230 || p[2] < 230;
        }
    return n;
}

/* Pixels inside box b of colour rgb. */
static long ink_in(cairo_surface_t *s, const double b[4], const double rgb[3]) {
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    long n = 0;
    for (int y = (int)floor(b[1]); y < (int)ceil(b[3]); y++)
        for (int x = (int)floor(b[0]); x < (int)ceil(b[2]); x++)
            n += near_colour(d + (size_t)y * (size_t)stride + (size_t)x * 4, rgb);
    return n;
}

static int box_inside(const double b[4], double x0, double y0, double x1, double y1) {
    return b[0] >= x0 && b[1] >= y0 && b[2] <= x1 && b[3] <= y1;
}

/* speedup_comparison's chart: a y label longer than the plot is high, a
 * reference line at 1 under tall bars whose error bars cross it. The label is
 * measured and fits left of the plot; the reference label touches no bar and
 * no error bar (checked on the pixels). Then ratios under 1: the label finds
 * a free spot inside the plot. */
static void test_chart_layout_fits(void) {
    static const char *const cats[] = {"1B default", "1B int8"};
    double v[2] = {105, 97}, lo[2] = {61.6, 71}, hi[2] = {209, 129};
    teai_chart_series se = {"native", v, lo, hi};
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = "Decode speedup between backends";
    ch.subtitle = "host vm; ratio of mean decode tokens/s, error bars: 95% bootstrap CI";
    ch.y_label = "Speedup over llamacpp (x, decode tokens/s)";
    ch.categories = cats, ch.n_categories = 2, ch.series = &se, ch.n_series = 1;
    ch.ref_y = 1, ch.ref_label = "llamacpp = 1";
    double blue[3], dark[3] = {0.1, 0.1, 0.1};
    teai_chart_color("native", blue);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) { /* ratios below 1: room above the line at the right */
            v[0] = 0.5, lo[0] = 0.4, hi[0] = 0.6, v[1] = 0.3, lo[1] = 0.25, hi[1] = 0.35;
            ch.y_label = "Decode tokens/s relative to default (x)";
        }
        teai_chart_layout L;
        char err[256];
        ASSERT_EQ(teai__chart_layout(&ch, 1000, 600, &L, err, sizeof err), TEAI_OK);
        ASSERT_TRUE(box_inside(L.y_label, 0, 0, L.plot[0], 600));
        ASSERT_TRUE(box_inside(L.subtitle, 0, 0, 1000, 600));
        ASSERT_EQ(L.subtitle_lines, 1);
        ASSERT_TRUE(isfinite(L.ref_label[0]));
        ASSERT_TRUE(box_inside(L.ref_label, 0, 0, 1000, 600));
        ASSERT_EQ(L.ref_in_margin, pass == 0); /* 105x: no free spot by the line */
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1000, 600);
        cairo_t *cr = cairo_create(s);
        ASSERT_EQ(teai_chart_draw(cr, &ch, 0, 0, 1000, 600, err, sizeof err), TEAI_OK);
        cairo_destroy(cr);
        cairo_surface_flush(s);
        ASSERT_EQ(edge_ink(s, 2), 0);
        ASSERT_EQ(ink_in(s, L.ref_label, blue), 0); /* no bar under the label */
        ASSERT_EQ(ink_in(s, L.ref_label, dark), 0); /* no error bar either */
        cairo_surface_destroy(s);
    }
}

/* backend_comparison's subtitle with twelve backends (its "n:" list) wraps to
 * the chart's width instead of running off both sides. */
static void test_subtitle_wraps(void) {
    char dir[512], csv[600], png[600];
    FILE *f = new_bench_csv(
        "figures-subtitle", dir, sizeof dir, csv, sizeof csv,
        "step,total_latency_ms,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n");
    ASSERT_TRUE(f != NULL);
    for (int b = 0; b < 12; b++)
        for (int i = 1; i <= 3; i++)
            fprintf(f, "%d,100,%d,h,cpu,1B,int8,backend_number_%02d,0\n", i, 10 + i + b, b);
    fclose(f);
    teai_dataset *ds = NULL;
    teai_error err = {0};
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    snprintf(png, sizeof png, "%s/backend_comparison.png", dir);
    teai_plot_params pp = teai_plot_default_params();
    char msg[1024];
    ASSERT_EQ(teai_figure_write(TEAI_FIG_BACKEND_COMPARISON, ds, png, TEAI_PLOT_PNG, &pp, msg,
                                sizeof msg),
              1);
    teai_dataset_free(ds);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    ASSERT_EQ(edge_ink(s, 2), 0);
    cairo_surface_destroy(s);

    /* the same subtitle on a bare chart: two or more lines, inside the width */
    char sub[512] = "host h; bars: mean, error bars: 95% CI; n:";
    for (int b = 0; b < 12; b++) {
        size_t len = strlen(sub);
        snprintf(sub + len, sizeof sub - len, "%s backend_number_%02d (n=3)", b ? "," : "", b);
    }
    static const char *const cats[] = {"1B int8"};
    double v[1] = {1};
    teai_chart_series se = {"native", v, NULL, NULL};
    teai_chart ch = teai_chart_init(TEAI_CHART_BARS);
    ch.title = "t", ch.subtitle = sub, ch.y_label = "Decode throughput (tokens/s)";
    ch.categories = cats, ch.n_categories = 1, ch.series = &se, ch.n_series = 1;
    teai_chart_layout L;
    char e[256];
    ASSERT_EQ(teai__chart_layout(&ch, 1000, 600, &L, e, sizeof e), TEAI_OK);
    ASSERT_TRUE(L.subtitle_lines >= 2);
    ASSERT_TRUE(box_inside(L.subtitle, 0, 0, 1000, L.plot[1]));
}

/* One decode step per backend: no interval can be drawn, and the findings
 * say so ("no CI, n=1") instead of printing "nan-nan". */
static void test_findings_without_ci(void) {
    char dir[512], csv[600], png[600];
    FILE *f = new_bench_csv(
        "figures-n1", dir, sizeof dir, csv, sizeof csv,
        "step,total_latency_ms,tokens_per_sec,memory_throughput_gb_s,param_throughput_gb_s,"
        "hostname,device,size,quantize,backend,warmup\n");
    ASSERT_TRUE(f != NULL);
    fputs("1,50,20,3,3,h,cpu,1B,default,native,0\n", f);
    fputs("1,40,25,3,3,h,cpu,1B,int8,native,0\n", f);
    fputs("1,100,10,2,2,h,cpu,1B,default,llamacpp,0\n", f);
    fputs("1,90,11,2,2,h,cpu,1B,int8,llamacpp,0\n", f);
    fclose(f);
    teai_dataset *ds = NULL;
    teai_error err = {0};
    int nf = 0, nb = 0;
    ASSERT_EQ(teai_figures_open(dir, NULL, NULL, &ds, &nf, &nb, &err), TEAI_OK);
    teai_plot_params pp = teai_plot_default_params();
    int drawn = 0;
    for (int fig = 0; fig < TEAI_FIG_N; fig++) {
        char msg[1024] = "";
        snprintf(png, sizeof png, "%s/%s.png", dir, teai_figure_name(fig));
        int r = teai_figure_write(fig, ds, png, TEAI_PLOT_PNG, &pp, msg, sizeof msg);
        printf("(%s: %d: %s)\n", teai_figure_name(fig), r, msg);
        ASSERT_TRUE(r >= 0);
        ASSERT_TRUE(strstr(msg, "nan") == NULL);
        ASSERT_TRUE(strstr(msg, "inf") == NULL);
        if (r == 1) drawn++;
    }
    ASSERT_TRUE(drawn >= 5);
    char msg[1024];
    snprintf(png, sizeof png, "%s/backend_comparison.png", dir);
    ASSERT_EQ(teai_figure_write(TEAI_FIG_BACKEND_COMPARISON, ds, png, TEAI_PLOT_PNG, &pp, msg,
                                sizeof msg),
              1);
    ASSERT_TRUE(strstr(msg, "no CI, n=1") != NULL);
    teai_dataset_free(ds);
}

/* teai_figures_load reads a folder once for the report: the decode count,
 * accuracy.csv, and what the setup and methodology slides list (the setup
 * columns' distinct values, sorted, "" where a CSV lacks one; warm-up rows;
 * the header columns and whether a row has a value in each). */
static void test_figures_load(void) {
    char dir[512], csv[600], path[700];
    FILE *f = new_bench_csv("figures-load", dir, sizeof dir, csv, sizeof csv,
                            "step,tokens_per_sec,hostname,device,size,quantize,backend,warmup,"
                            "model,gpu\n");
    ASSERT_TRUE(f != NULL);
    fputs("1,10,h,cpu,1B,int8,native,1,m/b.gguf,\n", f); /* warm-up: not counted */
    fputs("1,10,h,cpu,1B,int8,native,0,m/b.gguf,\n", f);
    fputs("2,11,h,cpu,1B,int8,native,0,m/b.gguf,\n", f);
    fputs("1,20,h,cpu,1B,int8,llamacpp,0,m/a.gguf,\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/other.csv", dir); /* no model column */
    f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("step,tokens_per_sec,hostname,device,size,quantize,backend,warmup\n"
          "1,30,g,cpu,1B,int8,native,0\n",
          f);
    fclose(f);

    static const char *const setup[2] = {"backend", "model"};
    teai_figures_data fd;
    teai_error err = {0};
    ASSERT_EQ(teai_figures_load(dir, setup, 2, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_EQ(fd.n_files, 2);
    ASSERT_EQ(fd.n_decode, 4L);
    ASSERT_TRUE(fd.acc == NULL); /* no accuracy.csv */
    ASSERT_EQ(teai_dataset_n_setups(fd.ds), 3);
    ASSERT_STREQ(teai_dataset_setup(fd.ds, 0, 0), "llamacpp");
    ASSERT_STREQ(teai_dataset_setup(fd.ds, 0, 1), "m/a.gguf");
    ASSERT_STREQ(teai_dataset_setup(fd.ds, 1, 1), ""); /* other.csv has no model */
    ASSERT_STREQ(teai_dataset_setup(fd.ds, 2, 1), "m/b.gguf");
    ASSERT_EQ(teai_dataset_warmup_rows(fd.ds), 1L);
    ASSERT_EQ(teai_dataset_n_csv_cols(fd.ds), 10);
    int used = -1;
    ASSERT_STREQ(teai_dataset_csv_col(fd.ds, 9, &used), "gpu");
    ASSERT_EQ(used, 0);
    ASSERT_STREQ(teai_dataset_csv_col(fd.ds, 8, &used), "model");
    ASSERT_EQ(used, 1);
    teai_figures_data_free(&fd);

    /* without setup columns nothing is tracked; an empty folder is "no data" */
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_OK);
    ASSERT_EQ(teai_dataset_n_setups(fd.ds), 0);
    teai_figures_data_free(&fd);
    ASSERT_EQ(test_system("rm -f '%s'/*.csv", dir), 0);
    ASSERT_EQ(teai_figures_load(dir, NULL, 0, NULL, NULL, &fd, &err), TEAI_ENOTFOUND);
    ASSERT_TRUE(strstr(err.msg, "no measured decode rows") != NULL);
    ASSERT_TRUE(fd.ds == NULL);
}

int main(void) {
    RUN_TEST(test_backend_comparison);
    RUN_TEST(test_figures_load);
    RUN_TEST(test_pareto);
    RUN_TEST(test_mlc_in_figures);
    RUN_TEST(test_speedup_needs_shared_config);
    RUN_TEST(test_roofline_roof);
    RUN_TEST(test_energy_per_token);
    RUN_TEST(test_thermal_timeline);
    RUN_TEST(test_device_comparison);
    RUN_TEST(test_chart_layout_fits);
    RUN_TEST(test_subtitle_wraps);
    RUN_TEST(test_findings_without_ci);
    TEST_MAIN_END();
}

#else

int main(void) {
    printf("SKIP: built without cairo\n");
    return TEST_SKIP_CODE;
}

#endif
