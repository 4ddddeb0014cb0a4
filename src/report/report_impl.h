/* The report module's private header: the slides as data, shared by the
 * file that fills them (slides.c) and the two that render them (pdf.c,
 * typst.c); report.c runs the three and writes the files.
 *
 * A deck is a list of slides; a slide is a title and, by kind, bullets,
 * table cells (row-major, the first row the header) or a figure (a PNG and
 * its caption; or two PNGs side by side, as the serving slide has). Adding to a deck never fails on
 * the spot: out of memory sets deck.oom and later additions do nothing. */
#ifndef TEAI_REPORT_IMPL_H
#define TEAI_REPORT_IMPL_H

#include "plot/figures.h"
#include "report/report.h"

#include <stdio.h>

enum { SL_TITLE, SL_BULLETS, SL_TABLE, SL_FIGURE };

typedef struct teai__slide {
    int kind;
    char *title;
    char *sub;    /* title slide: subtitle; figure: caption */
    char **items; /* bullets, or table cells row-major (first row = header) */
    int n_items, cap_items;
    int ncols;       /* table */
    char *png;       /* figure: path of the PNG as written */
    char *png_name;  /* figure: file name inside the figures folder */
    char *png2;      /* figure: a second PNG drawn to the right of the first, or NULL */
    char *png2_name; /* its file name inside the figures folder */
} teai__slide;

typedef struct teai__deck {
    teai__slide *s;
    int n, cap;
    int oom;
} teai__deck;

void teai__deck_free(teai__deck *d);

/* Page geometry in points: size, margin, body font size. */
typedef struct teai__page {
    double w, h, m;
    double fs;
} teai__page;

/* Reads o->dir once for the whole report: the speed CSVs with the columns
 * the setup slide lists tracked, and accuracy.csv (teai_figures_load). A
 * folder without speed rows but with a serving.csv reads as fd->ds NULL
 * (TEAI_OK): the report then has the title and the serving slides. */
int teai__report_read(const teai_report_opts *o, teai_figures_data *fd, teai_error *err);

/* Fills d with the slides of the report on fd, writing the figures as PNG
 * into fig_dir; res gets the counts of figures, skipped figures and accuracy
 * tables. TEAI_ENOMEM (err says so); a figure that cannot be drawn is
 * listed among the skipped ones and noted. */
int teai__report_slides(teai__deck *d, const teai_report_opts *o, const teai_figures_data *fd,
                        const char *fig_dir, teai_report_result *res, teai_error *err);

/* Draws the deck as a PDF of pg-sized pages into f; errors name path (the
 * file the user asked for) and the system's reason. TEAI_EIO. */
int teai__report_pdf(const teai__deck *d, const teai__page *pg, FILE *f, const char *path,
                     teai_error *err);

/* Writes the deck as typst source into f; figures are referenced as
 * fig_folder/<png_name>. Write errors show on f (ferror). */
void teai__report_typst(const teai__deck *d, const teai__page *pg, int paper,
                        const char *fig_folder, FILE *f);

#endif
