/* The devices of a data set and, per device, its best configuration for
 * decode speed, energy per token and memory (analysis.h). A configuration is
 * (backend, size, quantize) with the values of all its groups on the device
 * pooled (groups may be split further, e.g. by threads). */
#include "analysis/analysis_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The group columns the devices are read from; -1 when not grouped by. */
enum { D_HOST, D_DEV, D_MACH, D_NAME, D_SIZE, D_QUANT, D_BACKEND, D_N };

static const char *key_or_empty(const teai_dataset *ds, int g, int k) {
    return k < 0 ? "" : teai_dataset_key(ds, g, k);
}

/* 1 if group g belongs to device d (by name when d has one). */
static int on_device(const teai_dataset *ds, int g, const int *kc, const teai_device *d) {
    const char *name = key_or_empty(ds, g, kc[D_NAME]);
    if (*d->name || *name) return !strcmp(d->name, name);
    return !strcmp(d->hostname, key_or_empty(ds, g, kc[D_HOST])) &&
           !strcmp(d->device, key_or_empty(ds, g, kc[D_DEV])) &&
           !strcmp(d->machine, key_or_empty(ds, g, kc[D_MACH]));
}

/* 1 if groups a and b have the same configuration. */
static int same_config(const teai_dataset *ds, int a, int b, const int *kc) {
    for (int k = D_SIZE; k <= D_BACKEND; k++)
        if (strcmp(teai_dataset_key(ds, a, kc[k]), teai_dataset_key(ds, b, kc[k]))) return 0;
    return 1;
}

/* The best configuration of device d for metric m (lowest mean with low
 * set); best->backend stays NULL when the device has no value of m. */
static int best_of(const teai_dataset *ds, const int *kc, const teai_device *d, int m, int low,
                   teai_device_best *best) {
    int ng = teai_dataset_n_groups(ds);
    double *pool = NULL;
    size_t cap = 0;
    best->backend = best->size = best->quantize = NULL;
    best->metric = m;
    for (int g = 0; g < ng; g++) {
        size_t n;
        teai_dataset_values(ds, g, m, &n);
        if (!n || !on_device(ds, g, kc, d)) continue;
        int seen = 0; /* pooled with an earlier group already */
        for (int e = 0; e < g && !seen; e++) {
            size_t ne;
            teai_dataset_values(ds, e, m, &ne);
            seen = ne && on_device(ds, e, kc, d) && same_config(ds, e, g, kc);
        }
        if (seen) continue;
        size_t np = 0;
        for (int e = g; e < ng; e++) {
            size_t ne;
            const double *x = teai_dataset_values(ds, e, m, &ne);
            if (!ne || !on_device(ds, e, kc, d) || !same_config(ds, e, g, kc)) continue;
            if (np + ne > cap) {
                size_t nc = (np + ne) * 2;
                double *nv = realloc(pool, nc * sizeof *nv);
                if (!nv) {
                    free(pool);
                    return TEAI_ENOMEM;
                }
                pool = nv, cap = nc;
            }
            memcpy(pool + np, x, ne * sizeof *x);
            np += ne;
        }
        teai_stats st;
        if (teai_stats_compute(pool, np, TEAI_SEED_DEFAULT, TEAI_BOOT_DEFAULT, &st)) {
            free(pool);
            return TEAI_ENOMEM;
        }
        if (!best->backend || (low ? st.mean < best->st.mean : st.mean > best->st.mean)) {
            best->backend = teai_dataset_key(ds, g, kc[D_BACKEND]);
            best->size = teai_dataset_key(ds, g, kc[D_SIZE]);
            best->quantize = teai_dataset_key(ds, g, kc[D_QUANT]);
            best->st = st;
        }
    }
    free(pool);
    return TEAI_OK;
}

void teai_device_label(char *out, size_t cap, const char *name, const char *device,
                       const char *hostname, const char *machine, int with_machine) {
    const char *dev = *device ? device : "?";
    if (*name && *machine)
        snprintf(out, cap, "%s (%s, %s)", name, dev, machine);
    else if (*name)
        snprintf(out, cap, "%s (%s)", name, dev);
    else if (with_machine && *machine)
        snprintf(out, cap, "%s (%s, %s)", dev, hostname, machine);
    else
        snprintf(out, cap, "%s (%s)", dev, hostname);
}

static void make_label(teai_device *d, int with_machine) {
    teai_device_label(d->label, sizeof d->label, d->name, d->device, d->hostname, d->machine,
                      with_machine);
}

int teai_dataset_devices(const teai_dataset *ds, teai_device **out, int *n, teai_error *err) {
    static const char *const names[D_N] = {"hostname", "device",   "machine", "device_name",
                                           "size",     "quantize", "backend"};
    int kc[D_N];
    *out = NULL;
    *n = 0;
    for (int k = 0; k < D_N; k++) {
        kc[k] = -1;
        for (int c = 0; c < teai_dataset_n_cols(ds); c++)
            if (!strcmp(teai_dataset_col(ds, c), names[k])) kc[k] = c;
        if (kc[k] < 0 && k != D_MACH && k != D_NAME)
            return teai__fail(err, TEAI_EINVAL, "devices: the data set is not grouped by '%s'",
                              names[k]);
    }
    int ng = teai_dataset_n_groups(ds), nd = 0;
    teai_device *d = calloc(ng ? (size_t)ng : 1, sizeof *d);
    if (!d) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    for (int g = 0; g < ng; g++) {
        if (!teai_dataset_rows(ds, g)) continue;
        int i = 0;
        while (i < nd && !on_device(ds, g, kc, &d[i])) i++;
        if (i == nd) {
            d[nd].hostname = key_or_empty(ds, g, kc[D_HOST]);
            d[nd].device = key_or_empty(ds, g, kc[D_DEV]);
            d[nd].machine = key_or_empty(ds, g, kc[D_MACH]);
            d[nd].name = key_or_empty(ds, g, kc[D_NAME]);
            nd++;
        }
        size_t nv;
        teai_dataset_values(ds, g, TEAI_M_DECODE_TOK_S, &nv);
        d[i].n_decode += (long)nv;
    }
    for (int i = 0; i < nd; i++) {
        make_label(&d[i], 0);
        for (int j = 0; j < i; j++)
            if (!strcmp(d[i].label, d[j].label)) make_label(&d[i], 1), make_label(&d[j], 1);
    }
    for (int i = 0; i < nd; i++) {
        /* memory: the repetition's peak where the device measured it, else after loading */
        int mem = TEAI_M_RUN_PEAK_RSS_MB;
        teai_device_best probe;
        int st = best_of(ds, kc, &d[i], TEAI_M_RUN_PEAK_RSS_MB, 1, &probe);
        if (!st && !probe.backend) mem = TEAI_M_PEAK_RSS_MB;
        if (!st) st = best_of(ds, kc, &d[i], TEAI_M_DECODE_TOK_S, 0, &d[i].best[TEAI_BEST_SPEED]);
        if (!st) st = best_of(ds, kc, &d[i], TEAI_M_J_PER_TOKEN, 1, &d[i].best[TEAI_BEST_ENERGY]);
        if (!st) st = best_of(ds, kc, &d[i], mem, 1, &d[i].best[TEAI_BEST_MEMORY]);
        if (st) {
            free(d);
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        }
    }
    *out = d;
    *n = nd;
    return TEAI_OK;
}
