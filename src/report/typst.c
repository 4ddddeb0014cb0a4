/* The slides of `teai report` as typst source (typst compile <file>): the
 * same titles, bullets, tables and figures as the PDF, one page each; the
 * figures are the PNGs in the folder next to the file. */
#include "report/report_impl.h"

#include <stdio.h>

/* A typst string literal: "..." with \ and " escaped, control bytes as
 * spaces. */
static void typ_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f), fputc(*s, f);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

void teai__report_typst(const teai__deck *d, const teai__page *pg, int paper,
                        const char *fig_folder, FILE *f) {
    fputs("// teai report: the slides of the PDF as typst source (typst compile <this file>)\n", f);
    if (paper)
        fputs("#set page(paper: \"us-letter\", margin: 54pt)\n", f);
    else
        fprintf(f, "#set page(width: %gpt, height: %gpt, margin: 36pt)\n", pg->w, pg->h);
    fputs("#set text(font: \"DejaVu Sans\", size: 12pt)\n\n", f);
    for (int i = 0; i < d->n; i++) {
        const teai__slide *s = &d->s[i];
        if (i) fputs("#pagebreak()\n", f);
        if (s->kind == SL_TITLE) {
            fputs("#v(30%)\n#text(size: 30pt, weight: \"bold\", ", f);
            typ_str(f, s->title);
            fputs(")\n\n", f);
            for (int k = 0; k < s->n_items; k++) {
                fputs("#", f);
                typ_str(f, s->items[k]);
                fputs("\n\n", f);
            }
            continue;
        }
        fputs("#heading(level: 1, ", f);
        typ_str(f, s->title);
        fputs(")\n", f);
        if (s->kind == SL_BULLETS) {
            fputs("#list(\n", f);
            for (int k = 0; k < s->n_items; k++) {
                fputs("  ", f);
                typ_str(f, s->items[k]);
                fputs(",\n", f);
            }
            fputs(")\n", f);
        } else if (s->kind == SL_TABLE) {
            fprintf(f, "#text(size: 9pt, table(columns: %d,\n", s->ncols);
            for (int k = 0; k < s->n_items; k++) {
                fputs(k < s->ncols ? "  strong(" : "  ", f);
                typ_str(f, s->items[k]);
                fputs(k < s->ncols ? "),\n" : ",\n", f);
            }
            fputs("))\n", f);
        } else if (s->kind == SL_FIGURE) {
            if (s->png2_name)
                fprintf(f,
                        "#figure(grid(columns: 2, gutter: 12pt, image(\"%s/%s\", width: "
                        "100%%), image(\"%s/%s\", width: 100%%)), caption: ",
                        fig_folder, s->png_name, fig_folder, s->png2_name);
            else
                fprintf(f, "#figure(image(\"%s/%s\", height: 70%%), caption: ", fig_folder,
                        s->png_name);
            typ_str(f, s->sub ? s->sub : "");
            fputs(")\n", f);
        }
    }
}
