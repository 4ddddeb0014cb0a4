/* Per-position arithmetic of perplexity and KL divergence, transcribed from
 * llama.cpp's tools/perplexity/perplexity.cpp (log_softmax, its uint16
 * variant, the kl_divergence_result sums and the summary formulas) so that
 * the numbers keep llama-perplexity's precision (float where it uses float). */
#include "eval/ppl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* llama.cpp's nearest_int: round to nearest via the float mantissa. */
static inline int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

double teai_ppl_nll(const float *logits, int n_vocab, int tok) {
    float max_logit = logits[0];
    for (int i = 1; i < n_vocab; ++i) max_logit = fmaxf(max_logit, logits[i]);
    double sum_exp = 0.0;
    for (int i = 0; i < n_vocab; ++i) sum_exp += expf(logits[i] - max_logit);
    /* (float - float) then double: llama.cpp's results_log_softmax */
    return -((double)(logits[tok] - max_logit) - log(sum_exp));
}

double teai_kl_quantize_row(const float *logits, int n_vocab, int tok, uint16_t *row) {
    float max_logit = logits[0], min_logit = logits[0];
    for (int i = 1; i < n_vocab; ++i) {
        max_logit = fmaxf(max_logit, logits[i]);
        min_logit = fminf(min_logit, logits[i]);
    }
    min_logit = fmaxf(min_logit, max_logit - 16);
    double sum_exp = 0.0;
    for (int i = 0; i < n_vocab; ++i) sum_exp += expf(logits[i] - max_logit);
    const float log_sum_exp = (float)log(sum_exp);
    const float min_log_prob = min_logit - max_logit - log_sum_exp;
    const float scale = (max_logit - min_logit) / 65535.f;
    memcpy(row, &scale, sizeof scale);
    memcpy(row + 2, &min_log_prob, sizeof min_log_prob);
    uint16_t *q = row + 4;
    if (scale != 0) {
        const float inv_scale = 1 / scale;
        for (int i = 0; i < n_vocab; ++i)
            q[i] = logits[i] > min_logit
                       ? (uint16_t)nearest_int(inv_scale * (logits[i] - min_logit))
                       : 0;
    } else {
        memset(q, 0, sizeof(uint16_t) * (size_t)n_vocab);
    }
    if (n_vocab % 2) q[n_vocab] = 0; /* the pad unit */
    return max_logit + log_sum_exp - logits[tok];
}

/* Stored log-probabilities of a row, one function for both sides of a
 * comparison so equal rows give bit-equal values. */
static void dequantize_row(const uint16_t *row, int n_vocab, float *out) {
    float scale, min_log_prob;
    memcpy(&scale, row, sizeof scale);
    memcpy(&min_log_prob, row + 2, sizeof min_log_prob);
    const uint16_t *q = row + 4;
    for (int i = 0; i < n_vocab; ++i) out[i] = scale * q[i] + min_log_prob;
}

size_t teai_kl_scratch_bytes(int n_vocab) {
    return sizeof(float) * 2 * (size_t)n_vocab +
           sizeof(uint16_t) * (size_t)teai_kl_row_units(n_vocab);
}

double teai_kl_position(const float *logits, int n_vocab, const uint16_t *base, int tok,
                        teai_kl_acc *kld, float *p_diff_out, void *scratch) {
    float *lp_base = scratch;      /* (n_vocab,) stored log p_base */
    float *lp = lp_base + n_vocab; /* (n_vocab,) this run's log p */
    uint16_t *row = (uint16_t *)(lp + n_vocab);
    dequantize_row(base, n_vocab, lp_base);

    /* this run: its row quantized as the base was, so a position identical
     * to the base compares equal bit for bit (KL exactly 0, the same top
     * token). Below the row's floor of max - 16, where a stored row has lost
     * the value, the exact log-softmax is used, as llama.cpp uses it. */
    float max_logit = logits[0], min_logit = logits[0];
    for (int i = 1; i < n_vocab; ++i) {
        if (logits[i] > max_logit) max_logit = logits[i];
        if (logits[i] < min_logit) min_logit = logits[i];
    }
    const int floored = min_logit < max_logit - 16;
    double sum_exp = 0.0;
    for (int i = 0; i < n_vocab; ++i) sum_exp += expf(logits[i] - max_logit);
    const float log_sum_exp = (float)log(sum_exp);
    teai_kl_quantize_row(logits, n_vocab, tok, row);
    dequantize_row(row, n_vocab, lp);
    const uint16_t *q = row + 4;
    if (floored)
        for (int i = 0; i < n_vocab; ++i)
            if (q[i] == 0) lp[i] = logits[i] - (max_logit + log_sum_exp);
    int imax = 0;
    for (int i = 1; i < n_vocab; ++i)
        if (lp[i] > lp[imax]) imax = i;

    const float nll = -lp[tok];
    kld->sum_nll += nll;
    kld->sum_nll2 += nll * nll;
    const float nll_base = -lp_base[tok];
    kld->sum_nll_base += nll_base;
    kld->sum_nll_base2 += nll_base * nll_base;
    kld->sum_nll_nll_base += nll * nll_base;

    double sum = 0;
    int imax_base = -1;
    float p_log_base_max = 0;
    for (int i = 0; i < n_vocab; ++i) {
        const float p_log_base = lp_base[i];
        if (i == 0 || p_log_base > p_log_base_max) {
            p_log_base_max = p_log_base;
            imax_base = i;
        }
        if (p_log_base > -16.f) {
            const float p_base = expf(p_log_base);
            sum += p_base * (p_log_base - lp[i]);
        }
    }
    kld->sum_kld += sum;
    kld->sum_kld2 += sum * sum;
    ++kld->count;
    if (imax == imax_base) ++kld->n_same_top;

    const float p_base = expf(-nll_base);
    const float p = expf(-nll);
    const float p_diff = p - p_base;
    kld->sum_p_diff += p_diff;
    const double p_diff2 = p_diff * p_diff;
    kld->sum_p_diff2 += p_diff2;
    kld->sum_p_diff4 += p_diff2 * p_diff2;
    if (fabsf(p_diff) > kld->max_p_diff) kld->max_p_diff = fabsf(p_diff);
    if (p_diff_out) *p_diff_out = p_diff;
    return sum;
}

void teai_ppl_mean_err(double sum, double sum2, long count, double *mean, double *err) {
    if (count < 1) {
        *mean = 0, *err = 0;
        return;
    }
    double f = sum / count;
    double df = sum2 / count - f * f;
    *mean = f;
    *err = df > 0 && count > 10 ? sqrt(df / (count - 1)) : 0.;
}

static double covariance(double suma, double sumb, double sumab, long count) {
    if (count < 10) return 0.0;
    double var = sumab / count - (suma / count) * (sumb / count);
    return var / (count - 1);
}

float teai_kl_percentile(const float *values, long n, float fraction) {
    if (n <= 0) return NAN;
    if (fraction <= 0) return values[0];
    if (fraction >= 1) return values[n - 1];
    float p = fraction * (float)(n - 1);
    size_t ip = (size_t)p;
    p -= (float)ip;
    size_t next = ip + 1 < (size_t)n ? ip + 1 : (size_t)n - 1;
    return (1 - p) * values[ip] + p * values[next];
}

float teai_kl_median(const float *v, long n) {
    if (n <= 0) return NAN;
    return n % 2 == 0 ? 0.5f * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

void teai_kl_summarize(const teai_kl_acc *kld, float *kld_values, float *p_diff_values, long n,
                       teai_kl_summary *s) {
    memset(s, 0, sizeof *s);
    s->n = kld->count;
    double lp, lp_err, lb, lb_err;
    teai_ppl_mean_err(kld->sum_nll, kld->sum_nll2, kld->count, &lp, &lp_err);
    s->ppl = exp(lp);
    s->ppl_err = s->ppl * lp_err;
    teai_ppl_mean_err(kld->sum_nll_base, kld->sum_nll_base2, kld->count, &lb, &lb_err);
    s->ppl_base = exp(lb);
    s->ppl_base_err = s->ppl_base * lb_err;
    const double cov =
        covariance(kld->sum_nll, kld->sum_nll_base, kld->sum_nll_nll_base, kld->count);
    s->cor = cov / (lp_err * lb_err);
    s->ln_ratio = lp - lb;
    /* clamped at 0: equal runs give a rounding-negative variance (nan in llama.cpp) */
    s->ln_ratio_err = sqrt(fmax(0.0, lp_err * lp_err + lb_err * lb_err - 2.0 * cov));
    s->ratio = exp(s->ln_ratio);
    s->ratio_err = s->ratio * s->ln_ratio_err;
    const double ppl_cov = s->ppl * s->ppl_base * cov;
    s->diff = s->ppl - s->ppl_base;
    s->diff_err = sqrt(
        fmax(0.0, s->ppl_err * s->ppl_err + s->ppl_base_err * s->ppl_base_err - 2.0 * ppl_cov));

    teai_ppl_mean_err(kld->sum_kld, kld->sum_kld2, kld->count, &s->kld, &s->kld_err);
    s->kld_std = s->kld_err * sqrt((double)kld->count);
    teai_ppl_mean_err(kld->sum_p_diff, kld->sum_p_diff2, kld->count, &s->dp, &s->dp_err);
    s->dp_std = s->dp_err * sqrt((double)kld->count);
    double mse, mse_err;
    teai_ppl_mean_err(kld->sum_p_diff2, kld->sum_p_diff4, kld->count, &mse, &mse_err);
    s->rms_dp = sqrt(mse);
    s->rms_dp_err = s->rms_dp > 0 ? 0.5 / s->rms_dp * mse_err : 0.0;
    s->same_top = kld->count ? 1.0 * kld->n_same_top / kld->count : NAN;
    s->same_top_err =
        kld->count > 1 ? sqrt(s->same_top * (1.0 - s->same_top) / (kld->count - 1)) : NAN;

    static const float kf[11] = {1,      0.999f, 0.990f, 0.950f, 0.900f, -1,
                                 0.100f, 0.050f, 0.010f, 0.001f, 0};
    static const float pf[13] = {1,      0.999f, 0.990f, 0.950f, 0.900f, 0.750f, -1,
                                 0.250f, 0.100f, 0.050f, 0.010f, 0.001f, 0};
    for (int i = 0; i < 11; i++) s->kld_pct[i] = NAN;
    for (int i = 0; i < 13; i++) s->dp_pct[i] = NAN;
    if (!kld_values || !p_diff_values || n <= 0) return;
    qsort(kld_values, (size_t)n, sizeof(float), cmp_float);
    qsort(p_diff_values, (size_t)n, sizeof(float), cmp_float);
    for (int i = 0; i < 11; i++)
        s->kld_pct[i] =
            kf[i] < 0 ? teai_kl_median(kld_values, n) : teai_kl_percentile(kld_values, n, kf[i]);
    for (int i = 0; i < 13; i++)
        s->dp_pct[i] = pf[i] < 0 ? teai_kl_median(p_diff_values, n)
                                 : teai_kl_percentile(p_diff_values, n, pf[i]);
}

void teai_ppl_estimate(double nll, double nll2, long count, double *ppl, double *err) {
    if (count <= 0) {
        *ppl = NAN, *err = NAN;
        return;
    }
    nll2 /= count;
    nll /= count;
    *ppl = exp(nll);
    nll2 -= nll * nll;
    /* llama.cpp prints no estimate for a non-positive variance; NAN says so */
    *err = nll2 > 0 && count > 1 ? sqrt(nll2 / (count - 1)) * *ppl : NAN;
}
