/* `teai report`: a PDF presentation of the collated CSVs in a folder, drawn
 * with cairo, plus the same content as typst source.
 *
 * Slides: title; setup (hosts, devices, backends and versions, models with
 * weight formats and whether synthetic, teai versions); one slide per figure
 * teai_figure_write produced (its finding as the caption); one slide listing
 * the skipped figures with their reasons; a summary table (decode tokens/s
 * mean, 95% CI and n per backend/device/size/quantization); energy and heat
 * (J/token and decode W with 95% CIs over repetitions, max temperature,
 * throttled/noisy/charging repetitions per configuration, or a plain
 * sentence that no energy was measured); a device table (CPU, cores, RAM,
 * OS, machine, measured read bandwidth, energy source, sensors) and per
 * device its best configuration for decode speed, J/token and memory
 * (teai_dataset_devices; device_comparison is among the figures when there
 * are two devices or more); when dir holds an
 * accuracy.csv (teai collate), a table per evaluation environment (backend,
 * size, quantization, metric, value, 95% CI, n: the latest successful result
 * of each configuration; the pareto figure is among the figures); when dir
 * holds a serving.csv (teai load, then teai collate), "Serving under load":
 * serving_curve and latency_breakdown side by side, then a table per label
 * and level (output tokens/s, requests/s, TTFT p50 with its 95% interval,
 * TTFT p99, TPOT p99, goodput, errors) and how it was measured; methodology
 * and limitations (empty columns, synthetic models, warm-up, pooled CIs, how
 * accuracy was measured). The CSVs are read once (teai_figures_load), and
 * every slide is computed from that data set.
 * Slides are 960x540 pt (16:9), or US letter portrait with paper set.
 *
 * Files: pdf_path; next to it <name>.typ and the folder <name>_figures/ with
 * the figures as PNG (name = pdf_path without ".pdf"). Every file is written
 * to a temporary name and renamed, so a failure leaves no partial file.
 *
 * Module: src/report (report.c writes the files, slides.c says what the
 * slides say, pdf.c draws them, typst.c writes them as typst); it needs
 * cairo and is built only with it.
 *
 * Library code: never prints; notes go to the note callback. */
#ifndef TEAI_REPORT_REPORT_H
#define TEAI_REPORT_REPORT_H

#include "analysis/analysis.h"

#include <stddef.h>

typedef struct teai_report_opts {
    const char *dir;      /* folder with the collated CSVs */
    const char *pdf_path; /* output PDF */
    int paper;            /* non-zero: US letter portrait instead of 16:9 slides */
    teai_note_fn note;    /* unreadable files, skipped figures; may be NULL */
    void *ud;
    const char *accuracy_metric; /* pareto's "ENV:METRIC"; NULL: its default (figures.h) */
} teai_report_opts;

typedef struct teai_report_result {
    int n_pages;            /* pages in the PDF */
    int n_figures;          /* figure slides */
    int n_skipped;          /* figures the data could not support */
    int n_accuracy;         /* accuracy table slides */
    int n_serving;          /* serving slides (figures and tables) */
    char typ_path[4096];    /* the typst source written */
    char figures_dir[4096]; /* the PNG folder written */
} teai_report_result;

/* Writes the report. TEAI_ENOTFOUND when dir cannot be listed or holds
 * neither measured decode rows nor a serving.csv (nothing written), TEAI_EIO when a file cannot be
 * written, TEAI_ENOMEM, TEAI_EINVAL for a bad path; err says what. */
int teai_report_write(const teai_report_opts *opts, teai_report_result *res, teai_error *err);

#endif
