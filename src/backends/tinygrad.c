/* The tinygrad backend: tinygrad's examples/llama3.py in benchmark mode as a
 * subprocess, its printed timings parsed (docs/backends.md).
 *
 * Command: <python> <dir>/examples/llama3.py [--model M] --size S
 * [--quantize Q] --seed N --temperature T --benchmark, with PYTHONPATH=<dir>
 * (llama3.py imports tinygrad and extra/ from the checkout) and
 * PYTHONUNBUFFERED=1 (lines arrive as they are printed).
 *
 * In benchmark mode llama3.py prefills a fixed prompt ("Hello.") and decodes
 * a fixed number of tokens (20), each timed by two nested tinygrad Timing
 * blocks, then prints the whole text generated so far:
 *
 *     enqueue in  12.34 ms[, <GOPS and GB when DEBUG is set>]
 *     total  45.67 ms, 21.90 tok/s, 1.23 GB/s, param 2.34 GB/s
 *     <generated text, possibly several lines>
 *
 * Each pair gives one TOKEN event (enqueue_ms and total_ms as printed; the
 * bytes moved are GB/s x time, so that they give the printed GB/s back); its
 * text is what the following text lines add to the previous ones, so the
 * event is sent when the next timing line (or the end) arrives. Every line,
 * stdout and stderr, is also sent as RAW. No PREFILL: llama3.py does not time
 * its prefill. The prompt and n_gen of teai_run_params are not llama3.py
 * options and are not used. */
#include "backends/backend.h"
#include "base/proc.h"
#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct teai_backend {
    char python[4096]; /* resolved interpreter path */
    char script[4096]; /* <dir>/examples/llama3.py */
    char pythonpath[8192];
    char *model; /* NULL: llama3.py downloads its default for the size */
    char size[16];
    const char *quantize; /* NULL for "default" (the flag is omitted) */
    char seed[24], temperature[32];
    double timeout_s;
    uint64_t peak_rss; /* the last run's child: peak resident set, bytes; 0 unknown */
};

/* ---- version: the checkout's git commit ---------------------------------- */

static int read_first_line(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *ok = fgets(buf, (int)cap, f);
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* "git <12 hex>" from <dir>/.git (a folder, or a file naming one), or "". */
static void git_version(const char *dir, char *out, size_t cap) {
    char gitdir[4096], head[512], path[4096 + 512 + 16], hash[128] = "";
    out[0] = '\0';
    snprintf(gitdir, sizeof gitdir, "%s/.git", dir);
    struct stat st;
    if (stat(gitdir, &st) != 0) return;
    if (S_ISREG(st.st_mode)) { /* worktree or submodule: "gitdir: <path>" */
        char line[4096];
        if (read_first_line(gitdir, line, sizeof line) || strncmp(line, "gitdir: ", 8) != 0) return;
        if (line[8] == '/')
            snprintf(gitdir, sizeof gitdir, "%s", line + 8);
        else
            snprintf(gitdir, sizeof gitdir, "%s/%s", dir, line + 8);
    }
    snprintf(path, sizeof path, "%s/HEAD", gitdir);
    if (read_first_line(path, head, sizeof head)) return;
    if (strncmp(head, "ref: ", 5) != 0) {
        snprintf(hash, sizeof hash, "%.100s", head);
    } else {
        snprintf(path, sizeof path, "%s/%s", gitdir, head + 5);
        if (read_first_line(path, hash, sizeof hash)) {
            hash[0] = '\0';
            snprintf(path, sizeof path, "%s/packed-refs", gitdir);
            FILE *f = fopen(path, "r");
            char line[1024];
            size_t rl = strlen(head + 5);
            while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\r\n")] = '\0';
                char *sp = strchr(line, ' ');
                if (sp && strlen(sp + 1) == rl && strcmp(sp + 1, head + 5) == 0) {
                    snprintf(hash, sizeof hash, "%.*s", (int)(sp - line), line);
                    break;
                }
            }
            if (f) fclose(f);
        }
    }
    if (strlen(hash) >= 12) snprintf(out, cap, "git %.12s", hash);
}

static int tg_open(const teai_backend_config *cfg, teai_backend **out, teai_backend_info *info,
                   teai_error *err) {
    *out = NULL;
    const char *dir = cfg->tinygrad_dir;
    if (!dir || !*dir)
        return teai__fail(err, TEAI_EINVAL,
                          "tinygrad: no tinygrad folder given (the checkout holding "
                          "examples/llama3.py)");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return teai__fail(err, TEAI_ENOTFOUND, "tinygrad: %s: no such folder", dir);
    const char *q = cfg->quantize;
    if (q && strcmp(q, "default") == 0) q = NULL;
    if (q && strcmp(q, "int8") != 0 && strcmp(q, "nf4") != 0 && strcmp(q, "float16") != 0)
        return teai__fail(err, TEAI_EINVAL,
                          "tinygrad: unknown quantization %s (default, int8, nf4, float16)", q);
    teai_backend *b = calloc(1, sizeof *b);
    if (!b) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    int rc = TEAI_OK;
    snprintf(b->script, sizeof b->script, "%s/examples/llama3.py", dir);
    const char *py = cfg->python && *cfg->python ? cfg->python : "python3";
    if (stat(b->script, &st) != 0 || !S_ISREG(st.st_mode))
        rc = teai__fail(err, TEAI_ENOTFOUND, "tinygrad: %s: not found", b->script);
    else if (teai__which(py, b->python, sizeof b->python) != TEAI_OK)
        rc = teai__fail(err, TEAI_ENOTFOUND, "tinygrad: %s: %s", py,
                        strchr(py, '/') ? "not found (or not executable)" : "not found in PATH");
    else if (cfg->model && !(b->model = strdup(cfg->model)))
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (rc) {
        free(b);
        return rc;
    }
    const char *old = getenv("PYTHONPATH");
    snprintf(b->pythonpath, sizeof b->pythonpath, "PYTHONPATH=%s%s%s", dir, old && *old ? ":" : "",
             old && *old ? old : "");
    snprintf(b->size, sizeof b->size, "%s", cfg->size && *cfg->size ? cfg->size : "1B");
    /* kept as literals: the caller's string need not outlive open */
    if (q)
        b->quantize = strcmp(q, "int8") == 0 ? "int8" : strcmp(q, "nf4") == 0 ? "nf4" : "float16";
    snprintf(b->seed, sizeof b->seed, "%llu", (unsigned long long)cfg->seed);
    snprintf(b->temperature, sizeof b->temperature, "%g", (double)cfg->temperature);
    b->timeout_s = cfg->timeout_s;

    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "tinygrad");
    git_version(dir, info->version, sizeof info->version);
    /* tinygrad picks its device at run time (Device.DEFAULT, from the environment) */
    snprintf(info->weight_format, sizeof info->weight_format, "%s", q ? b->quantize : "");
    info->bits_per_weight = NAN;
    info->n_vocab = -1;
    info->load_ms = NAN;
    info->memory = TEAI_MEM_CHILD;
    *out = b;
    return TEAI_OK;
}

/* ---- parsing llama3.py's lines ------------------------------------------- */

#define MANT_MAX ((9007199254740991ull - 9) / 10) /* m * 10 + 9 stays below 2^53 */

/* A decimal as Python's "{:.2f}" prints it, independent of the C locale.
 * Up to 15 significant digits the result is correctly rounded (an exact
 * mantissa divided by an exact power of ten). NULL when s holds none. */
static const char *parse_num(const char *s, double *out) {
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    while (*s == ' ') s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    uint64_t m = 0;
    int any = 0, e10 = 0;
    for (; *s >= '0' && *s <= '9'; s++, any = 1)
        if (m <= MANT_MAX)
            m = m * 10 + (uint64_t)(*s - '0');
        else
            e10++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, any = 1)
            if (m <= MANT_MAX) m = m * 10 + (uint64_t)(*s - '0'), e10--;
    if (!any) return NULL;
    double v = (double)m;
    while (e10 < -22) v /= 1e22, e10 += 22;
    while (e10 > 22) v *= 1e22, e10 -= 22;
    v = e10 < 0 ? v / p10[-e10] : v * p10[e10];
    *out = neg ? -v : v;
    return s;
}

static const char *lit(const char *s, const char *word) {
    size_t n = strlen(word);
    return s && strncmp(s, word, n) == 0 ? s + n : NULL;
}

/* "enqueue in <ms> ms..." */
static int parse_enqueue(const char *line, double *ms) {
    const char *s = lit(line, "enqueue in ");
    if (s) s = parse_num(s, ms);
    return lit(s, " ms") != NULL;
}

/* "total <ms> ms, <t> tok/s, <g> GB/s, param <p> GB/s" (the rates optional) */
static int parse_total(const char *line, double *ms, double *gbs) {
    double toks;
    *gbs = NAN;
    const char *s = lit(line, "total ");
    if (s) s = lit(parse_num(s, ms), " ms");
    if (!s) return 0;
    const char *t = lit(s, ",");
    if (t) t = lit(parse_num(t, &toks), " tok/s,");
    if (t) t = parse_num(t, gbs);
    if (!lit(t, " GB/s")) *gbs = NAN;
    return 1;
}

typedef struct tg_run {
    teai_event_fn cb;
    void *ud;
    uint64_t t0;
    int stopped;         /* the callback asked to stop: no more events */
    int step;            /* TOKEN events sent */
    int n_timed;         /* "total" lines seen */
    double enqueue_ms;   /* from the last "enqueue in" line; NAN if none */
    int pending;         /* a "total" line whose TOKEN waits for its text */
    teai_event tok;      /* that TOKEN */
    teai_buf text, prev; /* text lines after it; the previous step's */
    int text_lines;
    int oom;
} tg_run;

static void send(tg_run *r, const teai_event *ev) {
    if (!r->stopped && r->cb(r->ud, ev)) r->stopped = 1;
}

/* Sends the waiting TOKEN with the text its step added. */
static void flush_token(tg_run *r) {
    if (!r->pending) return;
    r->pending = 0;
    const char *now = r->text.len ? r->text.data : "";
    const char *prev = r->prev.len ? r->prev.data : "";
    size_t pl = strlen(prev);
    /* llama3.py prints the whole text so far; a line that does not extend
     * the previous one is taken as this token's text */
    r->tok.text = strncmp(now, prev, pl) == 0 ? now + pl : now;
    send(r, &r->tok);
    teai_buf tmp = r->prev;
    r->prev = r->text;
    r->text = tmp;
    r->text.len = 0;
    if (r->text.data) r->text.data[0] = '\0';
    r->text_lines = 0;
}

static int tg_line(void *ud, int stream, const char *line) {
    tg_run *r = ud;
    double t_ms = (double)(teai__now_ns() - r->t0) / 1e6;
    const char *s = line;
    while (*s == ' ') s++;
    double ms, gbs;
    int is_enq = stream == TEAI__STDOUT && parse_enqueue(s, &ms);
    int is_total = !is_enq && stream == TEAI__STDOUT && parse_total(s, &ms, &gbs);
    if (is_enq || is_total) flush_token(r);
    teai_event raw = teai_event_blank(TEAI_EV_RAW, t_ms);
    raw.raw = line;
    send(r, &raw);
    if (is_enq) {
        r->enqueue_ms = ms;
    } else if (is_total) {
        r->n_timed++;
        r->tok = teai_event_blank(TEAI_EV_TOKEN, t_ms);
        r->tok.step = ++r->step;
        r->tok.n_tokens = 1;
        r->tok.total_ms = ms;
        r->tok.enqueue_ms = r->enqueue_ms;
        /* bytes = (bytes/ns) x ns: the printed GB/s back, over the printed time */
        if (isfinite(gbs) && gbs > 0) r->tok.bytes_moved = (uint64_t)llround(gbs * ms * 1e6);
        r->enqueue_ms = NAN;
        r->pending = 1;
    } else if (stream == TEAI__STDOUT && r->pending) {
        if (r->text_lines++ && teai_buf_addstr(&r->text, "\n")) r->oom = 1;
        if (teai_buf_addstr(&r->text, line)) r->oom = 1;
    }
    return r->stopped || r->oom;
}

static int tg_run_fn(teai_backend *b, const teai_run_params *p, teai_event_fn cb, void *ud,
                     teai_error *err) {
    (void)p;
    const char *argv[16];
    int n = 0;
    argv[n++] = b->python;
    argv[n++] = b->script;
    if (b->model) argv[n++] = "--model", argv[n++] = b->model;
    argv[n++] = "--size", argv[n++] = b->size;
    if (b->quantize) argv[n++] = "--quantize", argv[n++] = b->quantize;
    argv[n++] = "--seed", argv[n++] = b->seed;
    argv[n++] = "--temperature", argv[n++] = b->temperature;
    argv[n++] = "--benchmark";
    argv[n] = NULL;
    const char *env[] = {b->pythonpath, "PYTHONUNBUFFERED=1", NULL};
    teai__proc_params pp = {.argv = argv, .env = env, .timeout_s = b->timeout_s};

    tg_run r = {.cb = cb, .ud = ud, .t0 = teai__now_ns(), .enqueue_ms = NAN};
    teai_buf_init(&r.text, 16u << 20);
    teai_buf_init(&r.prev, 16u << 20);
    teai_error perr = {0};
    teai__proc_result pres;
    int rc = teai__proc_run(&pp, tg_line, &r, &pres, &perr);
    b->peak_rss = pres.peak_rss;
    if (!r.stopped) flush_token(&r); /* the last step's text ended with the output */
    teai_buf_free(&r.text);
    teai_buf_free(&r.prev);
    if (r.oom) return teai__fail(err, TEAI_ENOMEM, "tinygrad: out of memory");
    if (r.stopped || rc == TEAI_EINTR)
        return teai__fail(err, TEAI_EINTR, "tinygrad: interrupted after %d tokens (killed)",
                          r.step);
    if (rc) return teai__fail(err, rc, "tinygrad: %s (after %d tokens)", perr.msg, r.step);
    if (r.n_timed == 0)
        return teai__fail(err, TEAI_EFORMAT,
                          "tinygrad: %s printed no timing lines (a llama3.py without "
                          "--benchmark?)",
                          b->script);
    return TEAI_OK;
}

static void tg_close(teai_backend *b) {
    if (!b) return;
    free(b->model);
    free(b);
}

static uint64_t tg_child_peak_rss(teai_backend *b) {
    return b ? b->peak_rss : 0;
}

const teai_backend_ops teai__backend_tinygrad = {.name = "tinygrad",
                                                 .open = tg_open,
                                                 .run = tg_run_fn,
                                                 .close = tg_close,
                                                 .child_peak_rss = tg_child_peak_rss};
