/* The readers of collated CSVs that teai analyze, plot and report trust:
 * one input as a speed CSV (teai_dataset_add_csv: the groups, every
 * metric, the device state, flagged repetitions left out) and as a
 * samples.csv (teai_samples_read: the sustained rates, tokens/s windows and
 * throttled samples). CSVs come from other machines and other tools, so any
 * bytes may be there. */
#include "analysis/analysis.h"

#include "fuzz_tmp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void speed(const char *path, int exclude) {
    static const char *const cols[] = {"backend", "hostname", "size", "quantize"};
    teai_dataset *ds = NULL;
    teai_error err = {0};
    if (teai_dataset_new(cols, 4, &ds, &err) != TEAI_OK) abort();
    teai_dataset_exclude_flagged(ds, exclude);
    long rows = 0;
    (void)teai_dataset_add_csv(ds, path, NULL, NULL, &rows, &err);
    for (int g = 0; g < teai_dataset_n_groups(ds); g++) {
        for (int m = 0; m < TEAI_M_N; m++) {
            size_t n = 0;
            const double *v = teai_dataset_values(ds, g, m, &n);
            for (size_t i = 0; i < n; i++)
                if (!isfinite(v[i])) abort(); /* statistics take finite values only */
        }
        teai_group_info gi;
        if (teai_dataset_group_info(ds, g, &gi) != TEAI_OK) abort();
        if (gi.flagged > gi.reps || gi.noisy > gi.reps || gi.excluded < 0) abort();
        (void)strlen(gi.sensors), (void)strlen(gi.energy_source);
    }
    teai_dataset_free(ds);
}

static void samples(const char *path) {
    teai_samples *s = NULL;
    teai_error err = {0};
    if (teai_samples_read(path, NULL, NULL, &s, &err) != TEAI_OK) {
        if (s) abort();
        return;
    }
    for (int i = 0; i < teai_samples_n_runs(s); i++) {
        const teai_sample_run *r = teai_samples_run(s, i);
        if (!r || r->n < 0) abort();
        teai_sustained su;
        teai_samples_sustained(r, 30, 60, &su);
        double t[64], k[64];
        size_t n = teai_samples_rates(r, 1.0, t, k, 64);
        if (n > 64) abort();
        unsigned char *mark = malloc((size_t)r->n + 1);
        if (!mark) abort();
        long m = teai_samples_throttled(r, mark);
        if (m < 0 || m > r->n) abort();
        free(mark);
    }
    if (teai_samples_run(s, teai_samples_n_runs(s))) abort();
    teai_samples_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path("fuzz_dataset", ".csv");
    FILE *f = fopen(path, "wb"); /* not the atomic write: no fsync per input */
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    speed(path, size & 1);
    samples(path);
    return 0;
}
