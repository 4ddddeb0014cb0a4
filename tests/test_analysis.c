/* Statistics against values computed by hand (and by an independent Python
 * implementation, quoted), and grouping of collated rows: warm-up and step-0
 * rows never enter per-token statistics; the device columns, flags and
 * samples.csv (energy, heat, --exclude-flagged, sustained rates). Needs the analysis library
 * (TEAI_HAVE_ANALYSIS); skipped without it. */
#include "test_util.h"

#ifdef TEAI_HAVE_ANALYSIS
#include "analysis/analysis.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_basic_stats(void) {
    const double x[8] = {2, 4, 4, 4, 5, 5, 7, 9};
    teai_stats s;
    ASSERT_EQ(teai_stats_compute(x, 8, 1, 2000, &s), 0);
    ASSERT_NEAR(s.mean, 5, 1e-12);
    ASSERT_NEAR(s.sd, 2.1380899352993952, 1e-12); /* sqrt(32/7) */
    ASSERT_NEAR(s.median, 4.5, 1e-12);
    ASSERT_NEAR(s.min, 2, 0);
    ASSERT_NEAR(s.max, 9, 0);
    ASSERT_NEAR(s.p90, 7.6, 1e-12);  /* h = 6.3: 7 + 0.3 * (9 - 7) */
    ASSERT_NEAR(s.p99, 8.86, 1e-12); /* h = 6.93 */
    ASSERT_EQ(s.ci_method, TEAI_CI_BOOTSTRAP);
    ASSERT_TRUE(s.ci_lo < 5 && s.ci_hi > 5 && s.ci_lo >= 2 && s.ci_hi <= 9);
    teai_stats t;
    ASSERT_EQ(teai_stats_compute(x, 8, 1, 2000, &t), 0);
    ASSERT_TRUE(t.ci_lo == s.ci_lo && t.ci_hi == s.ci_hi); /* deterministic */
    ASSERT_EQ(teai_stats_compute(x, 1, 1, 2000, &t), 0);
    ASSERT_EQ(t.n, 1);
    ASSERT_TRUE(isnan(t.sd) && isnan(t.ci_lo) && t.median == 2);
    ASSERT_EQ(teai_stats_compute(x, 0, 1, 2000, &t), 0);
    ASSERT_TRUE(isnan(t.mean));
}

/* Bootstrap CI of a large sample ~ mean +- 1.96 sd/sqrt(n); the normal
 * approximation above TEAI_BOOT_MAX_N. */
static void test_ci_scale(void) {
    enum { N = 4000 };
    static double x[N];
    for (int i = 0; i < N; i++) x[i] = (double)(i % 100);
    teai_stats s;
    ASSERT_EQ(teai_stats_compute(x, N, 7, 2000, &s), 0);
    double h = 1.96 * s.sd / sqrt((double)N);
    ASSERT_NEAR(s.ci_hi - s.ci_lo, 2 * h, 0.1 * 2 * h);
    ASSERT_NEAR((s.ci_hi + s.ci_lo) / 2, s.mean, 0.1 * h);
}

static void test_percentile(void) {
    const double x[5] = {10, 20, 30, 40, 50};
    ASSERT_NEAR(teai_percentile_sorted(x, 5, 0.25), 20, 1e-12);
    ASSERT_NEAR(teai_percentile_sorted(x, 5, 0.9), 46, 1e-12);
    ASSERT_NEAR(teai_percentile_sorted(x, 5, 1), 50, 0);
    ASSERT_NEAR(teai_percentile_sorted(x, 1, 0.99), 10, 0);
}

static void test_mann_whitney(void) {
    /* {1,2,3} vs {4,5,6}: U = 0, sigma^2 = 9/12*7, z = 4/sqrt(5.25),
     * p = 0.0809 (scipy mannwhitneyu, method="asymptotic": 0.08085) */
    const double a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    teai_mwu m;
    ASSERT_EQ(teai_mann_whitney(a, 3, b, 3, &m), 0);
    ASSERT_NEAR(m.u, 0, 0);
    ASSERT_NEAR(m.p, 0.0808555983700523, 1e-9);
    ASSERT_TRUE(m.z < 0);
    /* with ties: mid-ranks 1, 3, 3, 3, 5.5, 5.5, 7..11; R1 = 22.5, U1 = 7.5,
     * tie term 24 + 6; p = 0.196082 (independent Python implementation) */
    const double c[5] = {1, 2, 2, 3, 7}, d[6] = {2, 3, 4, 5, 6, 8};
    ASSERT_EQ(teai_mann_whitney(c, 5, d, 6, &m), 0);
    ASSERT_NEAR(m.u, 7.5, 1e-12);
    ASSERT_NEAR(m.p, 0.19608211502511325, 1e-9);
    const double e[3] = {1, 1, 1};
    ASSERT_EQ(teai_mann_whitney(e, 3, e, 3, &m), 0);
    ASSERT_TRUE(isnan(m.p)); /* all tied: no test */
}

static void test_speedup(void) {
    double a[40], b[40];
    for (int i = 0; i < 40; i++) a[i] = 12 + (i % 5) * 0.1, b[i] = 10 + (i % 5) * 0.1;
    teai_speedup s;
    ASSERT_EQ(teai_speedup_compute(a, 40, b, 40, 3, 2000, &s), 0);
    ASSERT_NEAR(s.ratio, 12.2 / 10.2, 1e-12);
    ASSERT_TRUE(s.ci_lo < s.ratio && s.ratio < s.ci_hi && s.ci_hi - s.ci_lo < 0.05);
    ASSERT_TRUE(s.significant && s.mwu.p < 0.001);
    ASSERT_EQ(teai_speedup_compute(a, 40, a, 40, 3, 2000, &s), 0);
    ASSERT_NEAR(s.ratio, 1, 1e-12);
    ASSERT_TRUE(!s.significant);
}

static void test_dataset(void) {
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "analysis_dir");
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/native.csv", dir);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fputs("step,total_latency_ms,tokens_per_sec,backend,hostname,size,quantize,warmup,"
          "tokens_in_chunk,ttft_ms,generated_text\r\n",
          f);
    fputs("0,,999,native,h,1B,int8,1,,500,\r\n", f);        /* warm-up summary */
    fputs("1,1,1000,native,h,1B,int8,1,1,,\"x,y\"\r\n", f); /* warm-up step */
    fputs("0,,20,native,h,1B,int8,0,,30,\r\n", f);          /* summary */
    fputs("1,50,20,native,h,1B,int8,0,1,,\"a\nb\"\r\n", f);
    fputs("2,100,20,native,h,1B,int8,0,2,,c\r\n", f); /* chunk of 2: 50 ms a token */
    fputs("1,40,25,llamacpp,h,1B,int8,0,1,,\r\n", f);
    fputs("broken,row\r\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/empty.csv", dir);
    f = fopen(path, "wb");
    fclose(f);
    const char *cols[4] = {"backend", "hostname", "size", "quantize"};
    teai_dataset *ds;
    teai_error err = {0};
    ASSERT_EQ(teai_dataset_new(cols, 4, &ds, &err), 0);
    int nf, nb;
    ASSERT_EQ(teai_dataset_add_dir(ds, dir, NULL, NULL, &nf, &nb, &err), 0);
    ASSERT_EQ(nf, 1);
    ASSERT_EQ(nb, 1); /* empty.csv */
    ASSERT_EQ(teai_dataset_n_groups(ds), 2);
    ASSERT_STREQ(teai_dataset_key(ds, 0, 0), "llamacpp");
    ASSERT_STREQ(teai_dataset_key(ds, 1, 0), "native");
    size_t n;
    const double *v = teai_dataset_values(ds, 1, TEAI_M_DECODE_TOK_S, &n);
    ASSERT_EQ(n, 2);
    ASSERT_NEAR(v[0] + v[1], 40, 0);
    v = teai_dataset_values(ds, 1, TEAI_M_TOKEN_MS, &n);
    ASSERT_EQ(n, 2);
    ASSERT_NEAR(v[1], 50, 0);
    v = teai_dataset_values(ds, 1, TEAI_M_TTFT_MS, &n);
    ASSERT_EQ(n, 1);
    ASSERT_NEAR(v[0], 30, 0);
    teai_compare *c;
    int nc;
    ASSERT_EQ(teai_dataset_compare(ds, "backend", NULL, NULL, 1, 500, &c, &nc, &err), 0);
    ASSERT_EQ(nc, 1);
    ASSERT_STREQ(teai_dataset_key(ds, c[0].ga, 0), "llamacpp"); /* faster first */
    ASSERT_NEAR(c[0].s.ratio, 1.25, 1e-12);
    free(c);
    ASSERT_EQ(teai_dataset_compare(ds, "nope", NULL, NULL, 1, 500, &c, &nc, &err), TEAI_EINVAL);
    teai_dataset_free(ds);
    test_system("rm -rf '%s'", dir);
}

/* The device columns of step-0 rows (one value per measured repetition),
 * flags, the share of measured bandwidth and --exclude-flagged, on a
 * hand-written CSV: rep 0 J/token 2, rep 1 (noisy) 3, rep 2 4; a warm-up
 * rep (J/token 100) never counts. samples.csv in the folder is not read as
 * a speed CSV. */
static void test_device_columns(void) {
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "analysis_device");
    test_system("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    snprintf(path, sizeof path, "%s/native.csv", dir);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    /* columns in an order of their own: read by name */
    fputs("backend,step,repetition,warmup,log_file,tokens_per_sec,memory_throughput_gb_s,"
          "joules_per_token,decode_power_w,temp_max_c,throttled,noisy,charging,membw_gb_s,"
          "sensors,energy_source,hostname,size,quantize\n",
          f);
    fputs("native,0,0,1,a.txt,,,100,50,90,0,0,0,40,rapl temp,rapl,h,1B,q\n", f); /* warm-up */
    fputs("native,1,0,1,a.txt,99,99,,,,,,,40,rapl temp,rapl,h,1B,q\n", f);
    static const double jpt[3] = {2, 3, 4}, watts[3] = {10, 12, 14}, temp[3] = {60, 70, 65};
    for (int rep = 0; rep < 3; rep++) {
        fprintf(f, "native,0,%d,0,b.txt,,,%g,%g,%g,0,%d,0,40,rapl temp,rapl,h,1B,q\n", rep,
                jpt[rep], watts[rep], temp[rep], rep == 1);
        for (int step = 1; step <= 2; step++) /* 10 GB/s of 40: 25 % */
            fprintf(f, "native,%d,%d,0,b.txt,%d,10,,,,,,,40,rapl temp,rapl,h,1B,q\n", step, rep,
                    20 + rep);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    f = fopen(path, "wb");
    fputs("log_file,t_ms,tokens\nb.txt,0,0\n", f); /* no 'step': fails if read as speed data */
    fclose(f);

    const char *cols[4] = {"backend", "hostname", "size", "quantize"};
    for (int excl = 0; excl < 2; excl++) {
        teai_dataset *ds;
        teai_error err = {0};
        ASSERT_EQ(teai_dataset_new(cols, 4, &ds, &err), 0);
        teai_dataset_exclude_flagged(ds, excl);
        int nf, nb;
        ASSERT_EQ(teai_dataset_add_dir(ds, dir, NULL, NULL, &nf, &nb, &err), 0);
        ASSERT_EQ(nf, 1);
        ASSERT_EQ(nb, 0); /* samples.csv skipped, not failed */
        ASSERT_EQ(teai_dataset_n_groups(ds), 1);
        size_t n;
        const double *v = teai_dataset_values(ds, 0, TEAI_M_J_PER_TOKEN, &n);
        ASSERT_EQ(n, excl ? 2 : 3);
        teai_stats st;
        ASSERT_EQ(teai_stats_compute(v, n, 1, 2000, &st), 0);
        ASSERT_NEAR(st.mean, 3, 1e-12); /* (2+3+4)/3, and (2+4)/2 */
        ASSERT_TRUE(st.ci_lo >= 2 && st.ci_hi <= 4 && st.ci_lo < 3 && st.ci_hi > 3);
        v = teai_dataset_values(ds, 0, TEAI_M_DECODE_W, &n);
        ASSERT_EQ(n, excl ? 2 : 3);
        ASSERT_NEAR(v[0] + v[n - 1], 24, 1e-12);
        v = teai_dataset_values(ds, 0, TEAI_M_TEMP_MAX_C, &n);
        ASSERT_EQ(n, excl ? 2 : 3);
        /* all the rows of the flagged repetition go: its decode rows too */
        v = teai_dataset_values(ds, 0, TEAI_M_DECODE_TOK_S, &n);
        ASSERT_EQ(n, excl ? 4 : 6);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += v[i];
        ASSERT_NEAR(sum, excl ? 2 * 20 + 2 * 22 : 2 * (20 + 21 + 22), 1e-9);
        v = teai_dataset_values(ds, 0, TEAI_M_BW_PCT, &n);
        ASSERT_EQ(n, excl ? 4 : 6);
        ASSERT_NEAR(v[0], 25, 1e-12);
        v = teai_dataset_values(ds, 0, TEAI_M_GB_PER_TOKEN, &n);
        ASSERT_NEAR(v[0], 10.0 / 20, 1e-12);
        teai_group_info gi;
        ASSERT_EQ(teai_dataset_group_info(ds, 0, &gi), 0);
        ASSERT_EQ(gi.reps, 3);
        ASSERT_EQ(gi.flag_known, 3);
        ASSERT_EQ(gi.noisy, 1);
        ASSERT_EQ(gi.throttled, 0);
        ASSERT_EQ(gi.flagged, 1);
        ASSERT_EQ(gi.excluded, excl ? 1 : 0);
        ASSERT_NEAR(gi.membw_gb_s, 40, 0);
        ASSERT_TRUE(isnan(gi.duration_s));
        ASSERT_STREQ(gi.sensors, "rapl temp");
        ASSERT_STREQ(gi.energy_source, "rapl");
        ASSERT_EQ(teai_dataset_group_info(ds, -1, &gi), 0);
        ASSERT_EQ(gi.excluded, excl ? 1 : 0);
        ASSERT_EQ(teai_dataset_group_info(ds, 1, &gi), TEAI_EINVAL);
        teai_dataset_free(ds);
    }
    test_system("rm -rf '%s'", dir);
}

/* samples.csv: a sustained run decoding 10 tokens/s for its first 60 s and
 * 5 tokens/s after, sampled every second, the clock dropping from 2000 to
 * 1500 MHz (below 0.85 x 2000) at 60 s: first 30 s 10 tokens/s, last 60 s
 * 5 tokens/s (-50 %), samples from 61 s on marked throttled. */
static void test_samples(void) {
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "analysis_samples");
    test_system("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fputs("tokens,phase,t_ms,log_file,backend,duration_s,warmup,temp_c,clock_mhz,repetition\n", f);
    fputs("0,idle,0,s.txt,native,120,,40,2000,\n", f);
    for (int t = 1; t <= 120; t++) {
        double tok = t <= 60 ? 10.0 * t : 600 + 5.0 * (t - 60);
        fprintf(f, "%g,decode,%d,s.txt,native,120,0,%d,%d,0\n", tok, t * 1000, 40 + t / 4,
                t <= 60 ? 2000 : 1500);
    }
    fputs("0,decode,0,other.txt,native,,0,,,0\nbroken\n", f); /* a second run; a bad row */
    fclose(f);
    teai_samples *s;
    teai_error err = {0};
    ASSERT_EQ(teai_samples_read(path, NULL, NULL, &s, &err), 0);
    ASSERT_EQ(teai_samples_n_runs(s), 2);
    const teai_sample_run *r = teai_samples_run(s, 0);
    ASSERT_STREQ(r->log_file, "s.txt");
    ASSERT_STREQ(r->backend, "native");
    ASSERT_STREQ(r->hostname, ""); /* a column the file lacks */
    ASSERT_EQ(r->n, 121);
    ASSERT_NEAR(r->duration_s, 120, 0);
    ASSERT_TRUE(isnan(teai_samples_run(s, 1)->duration_s));
    ASSERT_TRUE(teai_samples_run(s, 2) == NULL);
    teai_sustained su;
    teai_samples_sustained(r, 30, 60, &su);
    ASSERT_NEAR(su.span_s, 119, 1e-9); /* decode samples from 1 s to 120 s */
    ASSERT_NEAR(su.first_tok_s, 10, 1e-9);
    ASSERT_NEAR(su.last_tok_s, 5, 1e-9);
    ASSERT_NEAR(su.change_pct, -50, 1e-9);
    double ts[200], rate[200];
    size_t nr = teai_samples_rates(r, 1.0, ts, rate, 200);
    ASSERT_EQ(nr, 120);
    ASSERT_NEAR(ts[0], 0.5, 1e-12);
    ASSERT_NEAR(rate[10], 10, 1e-9);
    ASSERT_NEAR(rate[100], 5, 1e-9);
    ASSERT_EQ(teai_samples_rates(r, 2.0, ts, rate, 200), 60);
    unsigned char th[121];
    ASSERT_EQ(teai_samples_throttled(r, th), 60);
    ASSERT_TRUE(!th[60] && th[61] && th[120]);
    teai_samples_free(s);

    snprintf(path, sizeof path, "%s/none.csv", dir);
    ASSERT_EQ(teai_samples_read(path, NULL, NULL, &s, &err), TEAI_ENOTFOUND);
    f = fopen(path, "wb");
    fputs("t_ms,tokens\n1,2\n", f);
    fclose(f);
    ASSERT_EQ(teai_samples_read(path, NULL, NULL, &s, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "none.csv:1: no column 'log_file'") != NULL);
    test_system("rm -rf '%s'", dir);
}

static int cmp_dbl_asc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The order statistics of teai_stats_compute equal those of a full sort,
 * exactly, for sizes odd and even, with ties, on random data. */
static void test_order_statistics_match_sort(void) {
    static const size_t sizes[] = {1, 2, 3, 10, 101, 1000, 4097, 30000};
    uint64_t r = 88172645463325252ull;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        double *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s);
        ASSERT_TRUE(x && s);
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            x[i] = (double)(r % 997) / 7.0; /* many ties */
        }
        memcpy(s, x, n * sizeof *s);
        qsort(s, n, sizeof *s, cmp_dbl_asc);
        teai_stats st;
        ASSERT_EQ(teai_stats_compute(x, n, 1, 200, &st), TEAI_OK);
        ASSERT_TRUE(st.min == s[0] && st.max == s[n - 1]);
        ASSERT_TRUE(st.median == teai_percentile_sorted(s, n, 0.5));
        ASSERT_TRUE(st.p90 == teai_percentile_sorted(s, n, 0.9));
        ASSERT_TRUE(st.p99 == teai_percentile_sorted(s, n, 0.99));
        free(x), free(s);
    }
}

int main(void) {
    RUN_TEST(test_order_statistics_match_sort);
    RUN_TEST(test_basic_stats);
    RUN_TEST(test_ci_scale);
    RUN_TEST(test_percentile);
    RUN_TEST(test_mann_whitney);
    RUN_TEST(test_speedup);
    RUN_TEST(test_dataset);
    RUN_TEST(test_device_columns);
    RUN_TEST(test_samples);
    TEST_MAIN_END();
}
#else
int main(void) {
    test_skip("teai built without the analysis library (TEAI_HAVE_ANALYSIS)");
}
#endif
