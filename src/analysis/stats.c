/* Summary statistics, bootstrap CIs, Mann-Whitney U, speedups (analysis.h). */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorting and the RNG -------------------------------------------------- */

/* Ascending sort of doubles (no NANs): quicksort with a median-of-three pivot
 * and Hoare partitioning (equal keys split evenly), insertion sort below 16;
 * about twice as fast as qsort with a comparison callback. */
static void sort_doubles(double *x, size_t n) {
    while (n > 16) {
        size_t m = n / 2;
        double a = x[0], b = x[m], c = x[n - 1];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (x[i] < piv) i++;
            while (x[j] > piv) j--;
            if (i >= j) break;
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
            i++, j--;
        }
        /* x[0..j] <= piv <= x[j+1..n-1]; recurse into the smaller part */
        size_t nl = j + 1;
        if (nl < n - nl) {
            sort_doubles(x, nl);
            x += nl;
            n -= nl;
        } else {
            sort_doubles(x + nl, n - nl);
            n = nl;
        }
    }
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        for (; j > 0 && x[j - 1] > v; j--) x[j] = x[j - 1];
        x[j] = v;
    }
}

/* splitmix64: small, fast, and the same sequence on every platform */
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [0, n), n < 2^32 (TEAI_BOOT_MAX_N keeps it far below) */
static size_t rng_index(uint64_t *s, size_t n) {
    return (size_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

double teai_percentile_sorted(const double *x, size_t n, double p) {
    if (n == 0) return NAN;
    if (p <= 0) return x[0];
    if (p >= 1) return x[n - 1];
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    if (lo + 1 >= n) return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Puts the k-th smallest of x[0..n) at x[k], smaller ones before it and
 * larger ones after (Hoare quickselect, median-of-three pivot): O(n). */
static void select_kth(double *x, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t m = lo + (hi - lo) / 2;
        double a = x[lo], b = x[m], c = x[hi];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        for (;;) {
            while (x[i] < piv) i++;
            while (x[j] > piv) j--;
            if (i >= j) break;
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
            i++, j--;
        }
        /* x[lo..j] <= piv <= x[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

/* teai_percentile_sorted's value (type 7) without sorting: x is reordered. */
static double percentile_select(double *x, size_t n, double p) {
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    select_kth(x, n, lo);
    double v = x[lo];
    if (lo + 1 >= n || h == (double)lo) return v;
    double next = x[lo + 1]; /* the smallest of the part above lo */
    for (size_t i = lo + 2; i < n; i++)
        if (x[i] < next) next = x[i];
    return v + (h - (double)lo) * (next - v);
}

static double mean_of(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

static double sd_of(const double *x, size_t n, double mean) {
    if (n < 2) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - mean) * (x[i] - mean);
    return sqrt(s / (double)(n - 1));
}

void teai_mean_sd(const double *x, size_t n, double *mean, double *sd) {
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) s += x[i], k++;
    *mean = k ? s / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
}

/* ---- one sample ------------------------------------------------------------ */

int teai_stats_compute(const double *x, size_t n, uint64_t seed, int n_boot, teai_stats *out) {
    memset(out, 0, sizeof *out);
    out->n = (long)n;
    out->mean = out->median = out->sd = out->min = out->max = out->p90 = out->p99 = NAN;
    out->ci_lo = out->ci_hi = NAN;
    out->ci_method = TEAI_CI_NONE;
    if (n == 0) return TEAI_OK;
    if (n_boot <= 0) n_boot = TEAI_BOOT_DEFAULT;
    double *s = malloc(n * sizeof *s);
    if (!s) return TEAI_ENOMEM;
    memcpy(s, x, n * sizeof *s);
    out->mean = mean_of(x, n);
    out->sd = sd_of(x, n, out->mean);
    out->min = out->max = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < out->min) out->min = x[i];
        if (x[i] > out->max) out->max = x[i];
    }
    /* order statistics by selection: the same values a full sort gives */
    out->median = percentile_select(s, n, 0.5);
    out->p90 = percentile_select(s, n, 0.9);
    out->p99 = percentile_select(s, n, 0.99);
    free(s);
    if (n < 2) return TEAI_OK;
    if (n > TEAI_BOOT_MAX_N) {
        double h = 1.959963984540054 * out->sd / sqrt((double)n);
        out->ci_lo = out->mean - h;
        out->ci_hi = out->mean + h;
        out->ci_method = TEAI_CI_NORMAL;
        return TEAI_OK;
    }
    double *m = malloc((size_t)n_boot * sizeof *m);
    if (!m) return TEAI_ENOMEM;
    uint64_t st = seed;
    for (int b = 0; b < n_boot; b++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += x[rng_index(&st, n)];
        m[b] = sum / (double)n;
    }
    sort_doubles(m, (size_t)n_boot);
    out->ci_lo = teai_percentile_sorted(m, (size_t)n_boot, 0.025);
    out->ci_hi = teai_percentile_sorted(m, (size_t)n_boot, 0.975);
    out->ci_method = TEAI_CI_BOOTSTRAP;
    free(m);
    return TEAI_OK;
}

/* ---- Mann-Whitney U --------------------------------------------------------- */

int teai_mann_whitney(const double *a, size_t na, const double *b, size_t nb, teai_mwu *out) {
    out->u = out->z = out->p = NAN;
    if (na == 0 || nb == 0) return TEAI_OK;
    double *sa = malloc(na * sizeof *sa), *sb = malloc(nb * sizeof *sb);
    if (!sa || !sb) {
        free(sa);
        free(sb);
        return TEAI_ENOMEM;
    }
    memcpy(sa, a, na * sizeof *sa);
    memcpy(sb, b, nb * sizeof *sb);
    sort_doubles(sa, na);
    sort_doubles(sb, nb);
    /* merge the two sorted samples; each run of equal values (t of them,
     * ta from a) takes the mid-rank of the positions it covers */
    double r1 = 0, ties = 0;
    size_t i = 0, j = 0, pos = 0; /* pos: values ranked so far */
    while (i < na || j < nb) {
        double v = i < na && (j >= nb || sa[i] <= sb[j]) ? sa[i] : sb[j];
        size_t ta = 0, tb = 0;
        while (i < na && sa[i] == v) i++, ta++;
        while (j < nb && sb[j] == v) j++, tb++;
        double t = (double)(ta + tb);
        double mid = (double)pos + (t + 1) / 2; /* ranks pos+1 .. pos+t */
        r1 += (double)ta * mid;
        ties += t * t * t - t;
        pos += ta + tb;
    }
    free(sa);
    free(sb);
    double n1 = (double)na, n2 = (double)nb, nn = n1 + n2;
    double u1 = r1 - n1 * (n1 + 1) / 2, mu = n1 * n2 / 2;
    double var = n1 * n2 / 12 * ((nn + 1) - (nn > 1 ? ties / (nn * (nn - 1)) : 0));
    out->u = u1;
    if (!(var > 0)) return TEAI_OK;
    double d = fabs(u1 - mu) - 0.5;
    if (d < 0) d = 0;
    double z = d / sqrt(var);
    out->z = u1 < mu ? -z : z;
    double p = erfc(z / sqrt(2.0));
    out->p = p > 1 ? 1 : p;
    return TEAI_OK;
}

/* ---- speedups --------------------------------------------------------------- */

int teai_speedup_compute(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                         int n_boot, teai_speedup *out) {
    memset(out, 0, sizeof *out);
    out->ratio = out->ci_lo = out->ci_hi = NAN;
    int st = teai_mann_whitney(a, na, b, nb, &out->mwu);
    if (st) return st;
    out->significant = out->mwu.p < 0.05;
    if (na == 0 || nb == 0) return TEAI_OK;
    if (n_boot <= 0) n_boot = TEAI_BOOT_DEFAULT;
    double ma = mean_of(a, na), mb = mean_of(b, nb);
    out->ratio = ma / mb;
    if (na < 2 || nb < 2) return TEAI_OK;
    if (na > TEAI_BOOT_MAX_N || nb > TEAI_BOOT_MAX_N) {
        /* delta method: var(ma/mb) ~ r^2 (var(ma)/ma^2 + var(mb)/mb^2) */
        double sa = sd_of(a, na, ma), sb = sd_of(b, nb, mb);
        double rel = sqrt(sa * sa / (double)na / (ma * ma) + sb * sb / (double)nb / (mb * mb));
        double h = 1.959963984540054 * fabs(out->ratio) * rel;
        out->ci_lo = out->ratio - h;
        out->ci_hi = out->ratio + h;
        out->ci_method = TEAI_CI_NORMAL;
        return TEAI_OK;
    }
    double *r = malloc((size_t)n_boot * sizeof *r);
    if (!r) return TEAI_ENOMEM;
    uint64_t s = seed;
    for (int k = 0; k < n_boot; k++) {
        double sa = 0, sb = 0;
        for (size_t i = 0; i < na; i++) sa += a[rng_index(&s, na)];
        for (size_t i = 0; i < nb; i++) sb += b[rng_index(&s, nb)];
        r[k] = (sa / (double)na) / (sb / (double)nb);
    }
    sort_doubles(r, (size_t)n_boot);
    out->ci_lo = teai_percentile_sorted(r, (size_t)n_boot, 0.025);
    out->ci_hi = teai_percentile_sorted(r, (size_t)n_boot, 0.975);
    out->ci_method = TEAI_CI_BOOTSTRAP;
    free(r);
    return TEAI_OK;
}
