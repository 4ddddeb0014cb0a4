/* The seed's tinygrad logs (docs/log-format.md §2): the header, then the output of
 * `examples/llama3.py --benchmark`, per decoded token
 *   enqueue in  1.26 ms
 *   total  24.07 ms, 41.55 tok/s, 149.03 GB/s, param 62.50 GB/s
 *   <the text generated so far, possibly several lines>
 * One row per "total" line (step 1, 2, ...), with the enqueue line before it
 * and the text lines after it; then a step-0 row for the run. */
#include "results/results_impl.h"

#include <math.h>

typedef struct tg_state {
    teai__reader *rd;
    long row;       /* the step whose text lines follow; -1 none yet */
    teai_buf text;  /* those lines, joined with "\n" */
    int text_lines; /* how many */
    double enqueue; /* from an "enqueue in" line waiting for its "total"; NAN none */
    long n_steps, n_total, n_enq;
    double sum_total, sum_enq;
} tg_state;

/* The text block of the current step is complete. */
static int close_text(tg_state *s) {
    int rc = TEAI_OK;
    if (s->row >= 0 && s->text_lines)
        rc = teai__rows_set(s->rd->rows, s->row, TEAI_COL_TEXT, s->text.data, s->text.len);
    return rc;
}

static int add_step(tg_state *s, const double *x, int n) {
    teai_log_rows *r = s->rd->rows;
    long row = teai__rows_add(r, 0, s->n_steps + 1);
    if (row < 0) return TEAI_ENOMEM;
    s->n_steps++;
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, s->n_steps);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, 0);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, 1);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_ENQUEUE_MS, s->enqueue);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOTAL_MS, x[0]);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOK_S, x[1]);
    if (rc == TEAI_OK && n >= 4) rc = teai__rows_setnum(r, row, TEAI_COL_MEM_GB_S, x[2]);
    if (rc == TEAI_OK && n >= 4) rc = teai__rows_setnum(r, row, TEAI_COL_PARAM_GB_S, x[3]);
    if (s->enqueue == s->enqueue) s->sum_enq += s->enqueue, s->n_enq++;
    s->sum_total += x[0];
    s->n_total++;
    s->enqueue = NAN;
    s->row = row;
    s->text.len = 0;
    s->text_lines = 0;
    return rc;
}

/* The run's step-0 row: mean step latency, tokens/s over all steps, and the
 * last text block (the whole generated text: tinygrad prints it cumulatively). */
static int add_summary(tg_state *s) {
    if (s->n_steps == 0) return TEAI_OK;
    teai_log_rows *r = s->rd->rows;
    long row = teai__rows_add(r, 0, 0);
    if (row < 0) return TEAI_ENOMEM;
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, 0);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, 0);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, s->n_steps);
    if (rc == TEAI_OK && s->sum_total > 0) {
        rc = teai__rows_setnum(r, row, TEAI_COL_TOTAL_MS, s->sum_total / (double)s->n_total);
        if (rc == TEAI_OK)
            rc = teai__rows_setnum(r, row, TEAI_COL_TOK_S,
                                   (double)s->n_total * 1000.0 / s->sum_total);
    }
    if (rc == TEAI_OK && s->n_enq)
        rc = teai__rows_setnum(r, row, TEAI_COL_ENQUEUE_MS, s->sum_enq / (double)s->n_enq);
    if (rc == TEAI_OK && s->text_lines)
        rc = teai__rows_set(r, row, TEAI_COL_TEXT, s->text.data, s->text.len);
    return rc;
}

int teai__read_tinygrad(teai__reader *rd, teai_error *err) {
    tg_state s = {.rd = rd, .row = -1, .enqueue = NAN};
    teai_buf_init(&s.text, 0);
    size_t pos = rd->body;
    int no = rd->body_line, rc = TEAI_OK;
    teai__line ln;
    while (rc == TEAI_OK && teai__next_line(rd, &pos, &no, &ln)) {
        const char *p = ln.p;
        size_t n = ln.n;
        teai__trim(&p, &n);
        double x[4];
        int k = -1;
        int timing = teai__starts(p, n, "enqueue in") || teai__starts(p, n, "total");
        if (teai__scan(p, n, "enqueue in # ms", x, 1) == 1) {
            rc = close_text(&s);
            s.row = -1;
            s.enqueue = x[0];
        } else if ((k = teai__scan(p, n, "total # ms, # tok/s, # GB/s, param # GB/s", x, 4)) == 4 ||
                   ((k = teai__scan(p, n, "total # ms, # tok/s", x, 2)) == 2 && ln.terminated)) {
            rc = close_text(&s);
            if (rc == TEAI_OK) rc = add_step(&s, x, k);
        } else if (timing && !ln.terminated) {
            teai__bad_line(rd, &ln, "timing line");
        } else if (teai__starts(p, n, "loaded weights in")) {
            if (teai__scan(p, n, "loaded weights in # ms", x, 1) == 1)
                rc = teai__rows_setnum(rd->rows, TEAI__META, TEAI_COL_LOAD_MS, x[0]);
        } else if (s.row >= 0 && !teai__starts(p, n, "output validated")) {
            /* generated text, kept byte for byte (blanks included) */
            if (s.text_lines++) rc = teai_buf_add(&s.text, "\n", 1);
            if (rc == TEAI_OK) rc = teai_buf_add(&s.text, ln.p, ln.n);
        }
    }
    if (rc == TEAI_OK) rc = close_text(&s);
    if (rc == TEAI_OK) rc = add_summary(&s);
    teai_buf_free(&s.text);
    (void)err;
    return rc;
}
