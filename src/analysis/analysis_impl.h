/* The analysis module's private header: what dataset.c and samples.c share
 * and nothing outside src/analysis may use. */
#ifndef TEAI_ANALYSIS_IMPL_H
#define TEAI_ANALYSIS_IMPL_H

#include "analysis/analysis.h"

#include <stddef.h>

/* A CSV cell as a finite number: 1 with *out set, 0 for an empty cell or
 * other text (never read as 0). */
int teai__an_num(const char *s, size_t len, double *out);

#endif
