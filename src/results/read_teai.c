/* The teai-log dialect (docs/log-format.md): the header, "format: teai-log 1",
 * then one JSON event per line. Token events become rows (step >= 1); each
 * repetition gets a step-0 row from its prefill, tokens, summary and
 * rep_sensors events (and the cooldown before it); raw llama-bench lines
 * become rows as in a llama-bench log; sample lines become rows of
 * samples.csv. A log without an "end" event (killed) is read up to its last
 * complete line, status "incomplete". */
#include "results/results_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TEAI_HAVE_CJSON

/* rep_sensors fields and the step-0 columns they fill; flag: 0/1 only. */
static const struct {
    const char *key;
    int col, flag;
} sensor_fields[] = {
    {"prefill_j", TEAI_COL_PREFILL_ENERGY_J, 0},
    {"decode_j", TEAI_COL_DECODE_ENERGY_J, 0},
    {"prefill_w", TEAI_COL_PREFILL_POWER_W, 0},
    {"decode_w", TEAI_COL_DECODE_POWER_W, 0},
    {"j_per_token", TEAI_COL_J_PER_TOKEN, 0},
    {"tokens_per_j", TEAI_COL_TOKENS_PER_J, 0},
    {"temp_max_c", TEAI_COL_TEMP_MAX_C, 0},
    {"clock_min_mhz", TEAI_COL_CLOCK_MIN_MHZ, 0},
    {"clock_mean_mhz", TEAI_COL_CLOCK_MEAN_MHZ, 0},
    {"throttled", TEAI_COL_THROTTLED, 1},
    {"other_cpu_pct", TEAI_COL_OTHER_CPU_PCT, 0},
    {"noisy", TEAI_COL_NOISY, 1},
    {"charging", TEAI_COL_CHARGING, 1},
    {"peak_rss_mb", TEAI_COL_RUN_PEAK_RSS_MB, 0},
};
#define N_SENSOR_FIELDS ((int)(sizeof sensor_fields / sizeof *sensor_fields))

/* sample fields and their samples.csv columns (t_ms, rep, warmup and phase
 * are read apart); kind: 0 number, 1 flag 0/1, 2 count (integer >= 0) */
static const struct {
    const char *key;
    int col, kind;
} sample_fields[] = {
    {"tokens", TEAI_SCOL_TOKENS, 2},
    {"energy_j", TEAI_SCOL_ENERGY_J, 0},
    {"power_w", TEAI_SCOL_POWER_W, 0},
    {"temp_c", TEAI_SCOL_TEMP_C, 0},
    {"clock_mhz", TEAI_SCOL_CLOCK_MHZ, 0},
    {"clock_mean_mhz", TEAI_SCOL_CLOCK_MEAN_MHZ, 0},
    {"throttle_count", TEAI_SCOL_THROTTLE_COUNT, 0},
    {"charging", TEAI_SCOL_CHARGING, 1},
    {"other_cpu_pct", TEAI_SCOL_OTHER_CPU_PCT, 0},
    {"psi_some_pct", TEAI_SCOL_PSI_SOME_PCT, 0},
    {"load1", TEAI_SCOL_LOAD1, 0},
};

/* What one repetition's events said, for its step-0 row. */
typedef struct rep_acc {
    long long rep;
    int ran;    /* 0 when only a cooldown before it was logged: no row */
    int warmup; /* -1 unknown */
    int has_prefill;
    long long prefill_tokens; /* -1 unknown */
    double prefill_ms, ttft_ms;
    teai_buf text; /* the first token's text, then every token's */
    int has_text;
    long n_events; /* token events */
    long long sum_tokens;
    int tokens_unknown; /* an event without n_tokens */
    double sum_total, sum_enq, last_t;
    long n_total, n_enq;
    int has_summary;
    long long s_n_prompt, s_n_gen; /* -1 unknown */
    double s_prefill_tok_s, s_decode_tok_s, s_ttft_ms, s_p50, s_p90, s_p99;
    double sensors[N_SENSOR_FIELDS]; /* the rep_sensors event's; NAN unknown */
    double cooldown_ms;              /* the cooldown event's waited_ms */
} rep_acc;

typedef struct teai_state {
    teai__reader *rd;
    rep_acc *reps;
    int n_reps, cap_reps, last;
    long long lb_index; /* llama-bench tests seen in raw lines */
    teai_buf scratch;   /* decoded *_hex strings */
    int saw_end;
} teai_state;

static rep_acc *find_rep(teai_state *s, long long rep) {
    if (s->last < s->n_reps && s->reps[s->last].rep == rep) return &s->reps[s->last];
    for (int i = 0; i < s->n_reps; i++)
        if (s->reps[i].rep == rep) return &s->reps[s->last = i];
    if (s->n_reps == s->cap_reps) {
        int cap = s->cap_reps ? s->cap_reps * 2 : 8;
        rep_acc *p = realloc(s->reps, sizeof *p * (size_t)cap);
        if (!p) return NULL;
        s->reps = p;
        s->cap_reps = cap;
    }
    rep_acc *a = &s->reps[s->last = s->n_reps++];
    memset(a, 0, sizeof *a);
    a->rep = rep;
    a->warmup = -1;
    a->prefill_tokens = a->s_n_prompt = a->s_n_gen = -1;
    a->prefill_ms = a->ttft_ms = a->last_t = NAN;
    a->s_prefill_tok_s = a->s_decode_tok_s = a->s_ttft_ms = NAN;
    a->s_p50 = a->s_p90 = a->s_p99 = NAN;
    for (int i = 0; i < N_SENSOR_FIELDS; i++) a->sensors[i] = NAN;
    a->cooldown_ms = NAN;
    teai_buf_init(&a->text, 0);
    return a;
}

/* A string field: the exact bytes of key_hex when present, else key's
 * string. 0 when absent or null. */
static int get_str(teai_state *s, const cJSON *o, const char *key, const char **p, size_t *n) {
    char hex_key[32];
    snprintf(hex_key, sizeof hex_key, "%s_hex", key);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, hex_key);
    if (cJSON_IsString(h) && h->valuestring) {
        s->scratch.len = 0;
        if (teai__hex_decode(&s->scratch, h->valuestring, strlen(h->valuestring)) == TEAI_OK) {
            *p = s->scratch.data;
            *n = s->scratch.len;
            return 1;
        }
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring) return 0;
    *p = v->valuestring;
    *n = strlen(v->valuestring);
    return 1;
}

static long long get_rep(const cJSON *o) {
    return teai__jint(o, "rep", -1000000000, 1000000000, NULL);
}

static int get_warmup(const cJSON *o) {
    int ok;
    long long w = teai__jint(o, "warmup", 0, 1, &ok);
    return ok ? (int)w : -1;
}

static long long get_count(const cJSON *o, const char *key) {
    int ok;
    long long v = teai__jint(o, key, 0, 1000000000000LL, &ok);
    return ok ? v : -1;
}

static int on_prefill(teai_state *s, const cJSON *o) {
    rep_acc *a = find_rep(s, get_rep(o));
    if (!a) return TEAI_ENOMEM;
    int w = get_warmup(o);
    if (w > a->warmup) a->warmup = w;
    a->ran = 1;
    a->has_prefill = 1;
    a->prefill_tokens = get_count(o, "n_prompt");
    a->prefill_ms = teai__jnum(o, "prefill_ms");
    a->ttft_ms = teai__jnum(o, "ttft_ms");
    const char *p;
    size_t n;
    if (!get_str(s, o, "text", &p, &n)) return TEAI_OK;
    a->has_text = 1;
    /* the first token's text comes before the decoded tokens' */
    teai_buf t;
    teai_buf_init(&t, 0);
    int rc = teai_buf_add(&t, p, n);
    if (rc == TEAI_OK) rc = teai_buf_add(&t, a->text.data ? a->text.data : "", a->text.len);
    if (rc != TEAI_OK) {
        teai_buf_free(&t);
        return rc;
    }
    teai_buf_free(&a->text);
    a->text = t;
    return TEAI_OK;
}

static int on_token(teai_state *s, const cJSON *o, const teai__line *ln) {
    teai_log_rows *r = s->rd->rows;
    int ok;
    long long step = teai__jint(o, "step", 1, 1000000000, &ok);
    if (!ok) {
        teai__bad_line(s->rd, ln, "token event without a step >= 1");
        return TEAI_OK;
    }
    long long rep = get_rep(o), token = get_count(o, "token"), n_tok = get_count(o, "n_tokens");
    int w = get_warmup(o);
    double total = teai__jnum(o, "total_ms"), enq = teai__jnum(o, "enqueue_ms");
    double t = teai__jnum(o, "t_ms");
    long row = teai__rows_add(r, rep, step);
    rep_acc *a = find_rep(s, rep);
    if (row < 0 || !a) return TEAI_ENOMEM;
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, step);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, rep);
    if (rc == TEAI_OK && w >= 0) rc = teai__rows_setint(r, row, TEAI_COL_WARMUP, w);
    if (rc == TEAI_OK && token >= 0) rc = teai__rows_setint(r, row, TEAI_COL_TOKEN_ID, token);
    if (rc == TEAI_OK && n_tok >= 0)
        rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, n_tok);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOTAL_MS, total);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_ENQUEUE_MS, enq);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_T_MS, t);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_MEM_GB_S, teai__jnum(o, "mem_gb_s"));
    if (rc == TEAI_OK)
        rc = teai__rows_setnum(r, row, TEAI_COL_PARAM_GB_S, teai__jnum(o, "param_gb_s"));
    if (rc == TEAI_OK && n_tok > 0 && total > 0)
        rc = teai__rows_setnum(r, row, TEAI_COL_TOK_S, (double)n_tok * 1000.0 / total);
    const char *p;
    size_t n;
    if (rc == TEAI_OK && get_str(s, o, "text", &p, &n)) {
        rc = teai__rows_set(r, row, TEAI_COL_TEXT, p, n);
        if (rc == TEAI_OK) rc = teai_buf_add(&a->text, p, n);
        a->has_text = 1;
    }
    if (w > a->warmup) a->warmup = w;
    a->ran = 1;
    a->n_events++;
    if (n_tok >= 0)
        a->sum_tokens += n_tok;
    else
        a->tokens_unknown = 1;
    if (isfinite(total)) a->sum_total += total, a->n_total++;
    if (isfinite(enq)) a->sum_enq += enq, a->n_enq++;
    if (isfinite(t) && !(t <= a->last_t)) a->last_t = t;
    return rc;
}

static int on_summary(teai_state *s, const cJSON *o) {
    rep_acc *a = find_rep(s, get_rep(o));
    if (!a) return TEAI_ENOMEM;
    int w = get_warmup(o);
    if (w > a->warmup) a->warmup = w;
    a->ran = 1;
    a->has_summary = 1;
    a->s_n_prompt = get_count(o, "n_prompt");
    a->s_n_gen = get_count(o, "n_gen");
    a->s_prefill_tok_s = teai__jnum(o, "prefill_tok_s");
    a->s_decode_tok_s = teai__jnum(o, "decode_tok_s");
    a->s_ttft_ms = teai__jnum(o, "ttft_ms");
    a->s_p50 = teai__jnum(o, "p50_ms");
    a->s_p90 = teai__jnum(o, "p90_ms");
    a->s_p99 = teai__jnum(o, "p99_ms");
    return TEAI_OK;
}

/* A number of the sensor events: NAN when absent or null; a value that is not
 * a finite number (a string, 1e999) is noted and NAN. */
static double noted_num(const teai_state *s, const cJSON *o, const teai__line *ln,
                        const char *event, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) return NAN;
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) return v->valuedouble;
    teai__note(s->rd, ln->no, "%s: \"%s\" is not a finite number, left empty", event, key);
    return NAN;
}

/* kind 1: a flag (0 or 1); kind 2: a count (an integer >= 0); else noted, NAN. */
static double noted_kind(const teai_state *s, const cJSON *o, const teai__line *ln,
                         const char *event, const char *key, int kind) {
    double v = noted_num(s, o, ln, event, key);
    if (isnan(v) || kind == 0) return v;
    if (kind == 1 && (v == 0 || v == 1)) return v;
    if (kind == 2 && v >= 0 && v <= 1e15 && v == floor(v)) return v;
    teai__note(s->rd, ln->no, "%s: \"%s\" is not %s, left empty", event, key,
               kind == 1 ? "0 or 1" : "a count");
    return NAN;
}

/* The rep of one of the sensor events (lo: its least value): 1 with *rep
 * set, or 0 when it has none (the line then counts as bad, and is noted). */
static int event_rep(const teai_state *s, const cJSON *o, const teai__line *ln, const char *event,
                     long long lo, long long *rep) {
    int ok;
    *rep = teai__jint(o, "rep", lo, 1000000000, &ok);
    if (!ok) {
        char why[64];
        snprintf(why, sizeof why, "%s event without a rep", event);
        teai__bad_line(s->rd, ln, why);
    }
    return ok;
}

static int on_rep_sensors(teai_state *s, const cJSON *o, const teai__line *ln) {
    long long rep;
    if (!event_rep(s, o, ln, "rep_sensors", -1000000000, &rep)) return TEAI_OK;
    rep_acc *a = find_rep(s, rep);
    if (!a) return TEAI_ENOMEM;
    int w = get_warmup(o);
    if (w > a->warmup) a->warmup = w;
    a->ran = 1;
    for (int i = 0; i < N_SENSOR_FIELDS; i++)
        a->sensors[i] =
            noted_kind(s, o, ln, "rep_sensors", sensor_fields[i].key, sensor_fields[i].flag);
    return TEAI_OK;
}

static int on_cooldown(teai_state *s, const cJSON *o, const teai__line *ln) {
    long long rep;
    if (!event_rep(s, o, ln, "cooldown", -1000000000, &rep)) return TEAI_OK;
    rep_acc *a = find_rep(s, rep);
    if (!a) return TEAI_ENOMEM;
    a->cooldown_ms = noted_num(s, o, ln, "cooldown", "waited_ms");
    return TEAI_OK;
}

/* A row of samples.csv; the log's identity columns come at the end
 * (teai__rows_finish). */
static int on_sample(teai_state *s, const cJSON *o, const teai__line *ln) {
    long long rep;
    if (!event_rep(s, o, ln, "sample", -1, &rep)) return TEAI_OK;
    double t = teai__jnum(o, "t_ms");
    if (!isfinite(t)) {
        teai__bad_line(s->rd, ln, "sample event without a t_ms");
        return TEAI_OK;
    }
    teai_log_rows *r = s->rd->rows;
    long row = teai__sample_add(r);
    if (row < 0) return TEAI_ENOMEM;
    int rc = rep >= 0 ? teai__sample_setint(r, row, TEAI_SCOL_REPETITION, rep) : TEAI_OK;
    int w = get_warmup(o);
    if (rc == TEAI_OK && w >= 0) rc = teai__sample_setint(r, row, TEAI_SCOL_WARMUP, w);
    const char *p;
    size_t n;
    if (rc == TEAI_OK && get_str(s, o, "phase", &p, &n))
        rc = teai__sample_set(r, row, TEAI_SCOL_PHASE, p, n);
    else if (rc == TEAI_OK && cJSON_GetObjectItemCaseSensitive(o, "phase") &&
             !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "phase")))
        teai__note(s->rd, ln->no, "sample: \"phase\" is not a string, left empty");
    if (rc == TEAI_OK) rc = teai__sample_setnum(r, row, TEAI_SCOL_T_MS, t);
    for (size_t i = 0; i < sizeof sample_fields / sizeof *sample_fields && rc == TEAI_OK; i++)
        rc = teai__sample_setnum(
            r, row, sample_fields[i].col,
            noted_kind(s, o, ln, "sample", sample_fields[i].key, sample_fields[i].kind));
    return rc;
}

static int on_raw(teai_state *s, const cJSON *o) {
    const char *p;
    size_t n;
    if (!get_str(s, o, "line", &p, &n)) return TEAI_OK;
    cJSON *lb = teai__json_line(p, n);
    int rc = TEAI_OK;
    if (lb && teai__is_llamabench(lb)) rc = teai__llamabench_rows(s->rd, lb, s->lb_index++);
    cJSON_Delete(lb);
    return rc;
}

static int on_end(teai_state *s, const cJSON *o) {
    teai_log_rows *r = s->rd->rows;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    int rc = teai__rows_setstr(r, TEAI__META, TEAI_COL_STATUS,
                               cJSON_IsString(st) && st->valuestring ? st->valuestring : "");
    const char *p;
    size_t n;
    if (rc == TEAI_OK && get_str(s, o, "error", &p, &n))
        rc = teai__rows_set(r, TEAI__META, TEAI_COL_ERROR, p, n);
    s->saw_end = 1;
    return rc;
}

static int on_load(teai_state *s, const cJSON *o) {
    teai_log_rows *r = s->rd->rows;
    int rc = teai__rows_setnum(r, TEAI__META, TEAI_COL_LOAD_MS, teai__jnum(o, "load_ms"));
    if (rc == TEAI_OK)
        rc = teai__rows_setnum(r, TEAI__META, TEAI_COL_PEAK_RSS_MB, teai__jnum(o, "peak_rss_mb"));
    return rc;
}

/* The step-0 row of one repetition (docs/log-format.md, "step 0"). */
static int summary_row(teai_state *s, rep_acc *a) {
    teai_log_rows *r = s->rd->rows;
    long row = teai__rows_add(r, a->rep, 0);
    if (row < 0) return TEAI_ENOMEM;
    int rc = teai__rows_setint(r, row, TEAI_COL_STEP, 0);
    if (rc == TEAI_OK) rc = teai__rows_setint(r, row, TEAI_COL_REPETITION, a->rep);
    if (rc == TEAI_OK && a->warmup >= 0) rc = teai__rows_setint(r, row, TEAI_COL_WARMUP, a->warmup);
    if (rc == TEAI_OK && a->has_text)
        rc = teai__rows_set(r, row, TEAI_COL_TEXT, a->text.data, a->text.len);
    /* decode figures: from the token events when they say everything */
    int tokens_known = a->n_events > 0 && !a->tokens_unknown;
    int all_timed =
        tokens_known && a->n_total == a->n_events && a->sum_tokens > 0 && a->sum_total > 0;
    if (rc == TEAI_OK && tokens_known)
        rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, a->sum_tokens);
    else if (rc == TEAI_OK && a->s_n_gen >= 0)
        rc = teai__rows_setint(r, row, TEAI_COL_TOKENS_IN_CHUNK, a->s_n_gen);
    if (rc == TEAI_OK && all_timed)
        rc = teai__rows_setnum(r, row, TEAI_COL_TOTAL_MS, a->sum_total / (double)a->sum_tokens);
    double tok_s = a->s_decode_tok_s;
    if (!isfinite(tok_s) && all_timed) tok_s = (double)a->sum_tokens * 1000.0 / a->sum_total;
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TOK_S, tok_s);
    if (rc == TEAI_OK && a->n_enq)
        rc = teai__rows_setnum(r, row, TEAI_COL_ENQUEUE_MS, a->sum_enq / (double)a->n_enq);
    /* prefill figures */
    long long pt = a->prefill_tokens >= 0 ? a->prefill_tokens : a->s_n_prompt;
    if (rc == TEAI_OK && pt >= 0) rc = teai__rows_setint(r, row, TEAI_COL_PREFILL_TOKENS, pt);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_PREFILL_MS, a->prefill_ms);
    double pf = a->s_prefill_tok_s;
    if (!isfinite(pf) && pt > 0 && a->prefill_ms > 0) pf = (double)pt * 1000.0 / a->prefill_ms;
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_PREFILL_TOK_S, pf);
    double ttft = isfinite(a->ttft_ms) ? a->ttft_ms : a->s_ttft_ms;
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_TTFT_MS, ttft);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_P50_MS, a->s_p50);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_P90_MS, a->s_p90);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_P99_MS, a->s_p99);
    /* end to end: the first token (from the prefill) and the decoded ones,
     * over the time from the request to the last token */
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_RUN_MS, a->last_t);
    if (rc == TEAI_OK && a->has_prefill && tokens_known && a->last_t > 0)
        rc = teai__rows_setnum(r, row, TEAI_COL_E2E_TOK_S,
                               (double)(a->sum_tokens + 1) * 1000.0 / a->last_t);
    /* what the sensors said (flags are 0/1, so they print as integers) */
    for (int i = 0; i < N_SENSOR_FIELDS && rc == TEAI_OK; i++)
        rc = teai__rows_setnum(r, row, sensor_fields[i].col, a->sensors[i]);
    if (rc == TEAI_OK) rc = teai__rows_setnum(r, row, TEAI_COL_COOLDOWN_MS, a->cooldown_ms);
    return rc;
}

int teai__read_teai(teai__reader *rd, teai_error *err) {
    teai_state s = {.rd = rd};
    teai_buf_init(&s.scratch, 0);
    size_t pos = rd->body;
    int no = rd->body_line, rc = TEAI_OK;
    teai__line ln;
    while (rc == TEAI_OK && teai__next_line(rd, &pos, &no, &ln)) {
        const char *p = ln.p;
        size_t n = ln.n;
        teai__trim(&p, &n);
        if (!n) continue;
        cJSON *o = teai__json_line(p, n);
        if (!o) {
            teai__bad_line(rd, &ln, "bad JSON");
            continue;
        }
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
        const char *e = cJSON_IsString(ev) && ev->valuestring ? ev->valuestring : NULL;
        if (!e)
            teai__bad_line(rd, &ln, "not a teai event");
        else if (strcmp(e, "token") == 0)
            rc = on_token(&s, o, &ln);
        else if (strcmp(e, "prefill") == 0)
            rc = on_prefill(&s, o);
        else if (strcmp(e, "summary") == 0)
            rc = on_summary(&s, o);
        else if (strcmp(e, "raw") == 0)
            rc = on_raw(&s, o);
        else if (strcmp(e, "load") == 0)
            rc = on_load(&s, o);
        else if (strcmp(e, "end") == 0)
            rc = on_end(&s, o);
        else if (strcmp(e, "rep_sensors") == 0)
            rc = on_rep_sensors(&s, o, &ln);
        else if (strcmp(e, "cooldown") == 0)
            rc = on_cooldown(&s, o, &ln);
        else if (strcmp(e, "sample") == 0)
            rc = on_sample(&s, o, &ln);
        /* other events: from a newer teai; nothing to collate */
        cJSON_Delete(o);
    }
    for (int i = 0; i < s.n_reps && rc == TEAI_OK; i++)
        if (s.reps[i].ran) rc = summary_row(&s, &s.reps[i]);
    if (rc == TEAI_OK && !s.saw_end)
        rc = teai__rows_setstr(rd->rows, TEAI__META, TEAI_COL_STATUS, "incomplete");
    for (int i = 0; i < s.n_reps; i++) teai_buf_free(&s.reps[i].text);
    free(s.reps);
    teai_buf_free(&s.scratch);
    (void)err;
    return rc;
}

#else

int teai__read_teai(teai__reader *rd, teai_error *err) {
    return teai__fail(err, TEAI_EUNSUPPORTED, "%s: built without cJSON", rd->name);
}

#endif
