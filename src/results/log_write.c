/* The teai log writer (docs/log-format.md): a header of "key: value" lines,
 * then one JSON object per line. Every line goes to the kernel with one
 * write(2) as soon as it is made, so a killed run leaves complete lines (at
 * worst a cut last line, which the reader skips); close fsyncs. Two threads
 * may write one log (the runner its events, the sensor sampler its samples):
 * a mutex is held from begin() to finish(), over the one line buffer, its
 * write(2) and the error message, so lines never interleave. */
#include "results/results_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct teai_log {
    int fd;
    char *path;
    pthread_mutex_t mu; /* over line, the write and error */
    teai_buf line;      /* the line being made; reused */
    char error[256];    /* the first failure's message; "" none */
};

static const char *const required[] = {"platform", "release",  "device", "username", "hostname",
                                       "size",     "quantize", "seed",   "uuid",     "backend"};

static int key_ok(const char *k) {
    if (!k || !*k) return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static const char *kv_get(const teai_kv *kvs, int n, const char *key) {
    const char *v = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(kvs[i].key, key) == 0) v = kvs[i].value ? kvs[i].value : "";
    return v;
}

/* Keeps the first failure's message "path: what" (mu held, or the log not
 * yet shared), so the text teai_log_error returns never changes under its
 * reader. */
static void set_error(teai_log *log, const char *what) {
    if (!log->error[0]) snprintf(log->error, sizeof log->error, "%s: %s", log->path, what);
}

/* One write(2) of the whole line (looping only on a short write). */
static int put_line(teai_log *log) {
    const char *p = log->line.data;
    size_t n = log->line.len;
    while (n > 0) {
        ssize_t w = write(log->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            char what[160];
            snprintf(what, sizeof what, "write: %s", w < 0 ? strerror(errno) : "no progress");
            set_error(log, what);
            return TEAI_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return TEAI_OK;
}

int teai_log_open(const char *dir, const teai_kv *kvs, int n_kv, teai_log **out, teai_error *err) {
    *out = NULL;
    if (!dir || !*dir) return teai__fail(err, TEAI_EINVAL, "log directory is empty");
    if (n_kv < 0 || (n_kv && !kvs)) return teai__fail(err, TEAI_EINVAL, "bad header fields");
    for (int i = 0; i < n_kv; i++) {
        if (!key_ok(kvs[i].key))
            return teai__fail(err, TEAI_EINVAL, "log header key '%s' is not [A-Za-z0-9._-]+",
                              kvs[i].key ? kvs[i].key : "(null)");
        if (strcmp(kvs[i].key, "format") == 0)
            return teai__fail(err, TEAI_EINVAL, "log header key 'format' is reserved");
        if (kvs[i].value && strpbrk(kvs[i].value, "\r\n"))
            return teai__fail(err, TEAI_EINVAL, "log header %s: value has a line break",
                              kvs[i].key);
    }
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!kv_get(kvs, n_kv, required[i]))
            return teai__fail(err, TEAI_EINVAL, "log header: %s is missing", required[i]);
    static const char *const in_name[] = {"hostname", "size", "quantize", "seed", "uuid"};
    const char *v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = kv_get(kvs, n_kv, in_name[i]);
        if (!*v[i] || strchr(v[i], '/'))
            return teai__fail(err, TEAI_EINVAL, "log header %s: '%s' cannot be part of a file name",
                              in_name[i], v[i]);
    }
    char prefix[TEAI_LOG_PREFIX_MAX];
    const char *backend = kv_get(kvs, n_kv, "backend");
    if (teai_log_prefix(backend, prefix, sizeof prefix) != TEAI_OK)
        return teai__fail(err, TEAI_EINVAL, "log header backend: '%s' is not [A-Za-z0-9._-]+",
                          backend);
    int rc = teai__mkdirs(dir, err);
    if (rc != TEAI_OK) return rc;

    teai_log *log = calloc(1, sizeof *log);
    if (!log) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    log->fd = -1;
    if (pthread_mutex_init(&log->mu, NULL) != 0) {
        free(log);
        return teai__fail(err, TEAI_ENOMEM, "cannot create the log's lock");
    }
    teai_buf_init(&log->line, 0);
    teai_buf path;
    teai_buf_init(&path, 0);
    rc = teai_buf_printf(&path, "%s%s%s%s_%s_%s_seed%s_uuid%s.txt", dir,
                         dir[strlen(dir) - 1] == '/' ? "" : "/", prefix, v[0], v[1], v[2], v[3],
                         v[4]);
    if (rc != TEAI_OK) {
        teai_buf_free(&path);
        pthread_mutex_destroy(&log->mu);
        free(log);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    log->path = path.data;
    log->fd = open(log->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (log->fd < 0) {
        rc = teai__fail(err, TEAI_EIO, "%s: %s", log->path, strerror(errno));
        free(log->path);
        pthread_mutex_destroy(&log->mu);
        free(log);
        return rc;
    }
    for (int i = 0; i < n_kv && rc == TEAI_OK; i++)
        rc = teai_buf_printf(&log->line, "%s: %s\n", kvs[i].key, kvs[i].value ? kvs[i].value : "");
    if (rc == TEAI_OK) rc = teai_buf_addstr(&log->line, "format: teai-log 1\n");
    if (rc != TEAI_OK) {
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    } else if ((rc = put_line(log)) != TEAI_OK) {
        rc = teai__fail(err, rc, "%s", log->error);
    }
    if (rc != TEAI_OK) {
        close(log->fd);
        unlink(log->path);
        free(log->path);
        teai_buf_free(&log->line);
        pthread_mutex_destroy(&log->mu);
        free(log);
        return rc;
    }
    *out = log;
    return TEAI_OK;
}

const char *teai_log_path(const teai_log *log) {
    return log ? log->path : "";
}

const char *teai_log_error(const teai_log *log) {
    if (!log) return "";
    /* the message is set once; the lock orders this read after that write */
    teai_log *l = (teai_log *)log;
    pthread_mutex_lock(&l->mu);
    const char *e = l->error;
    pthread_mutex_unlock(&l->mu);
    return e;
}

/* ---- JSON line building --------------------------------------------------- */

/* Takes the lock that finish() releases: every event is begin ... finish. */
static int begin(teai_log *log, const char *event) {
    pthread_mutex_lock(&log->mu);
    log->line.len = 0;
    return teai_buf_printf(&log->line, "{\"event\":\"%s\"", event);
}

static int add_int(teai_log *log, const char *key, long long v) {
    return teai_buf_printf(&log->line, ",\"%s\":%lld", key, v);
}

/* -1 (or less) is unknown: null */
static int add_count(teai_log *log, const char *key, long long v) {
    return v < 0 ? teai_buf_printf(&log->line, ",\"%s\":null", key) : add_int(log, key, v);
}

/* a 0/1 flag; -1 (or less) is unknown: null */
static int add_flag(teai_log *log, const char *key, int v) {
    return v < 0 ? teai_buf_printf(&log->line, ",\"%s\":null", key) : add_int(log, key, v ? 1 : 0);
}

static int add_num(teai_log *log, const char *key, double v) {
    char num[TEAI__NUM_MAX];
    size_t n = teai__fmt_num(num, v);
    return teai_buf_printf(&log->line, ",\"%s\":%s", key, n ? num : "null");
}

/* "key":"..." and, when the bytes are not UTF-8, "key_hex":"..." too */
static int add_str(teai_log *log, const char *key, const char *s) {
    if (!s) return teai_buf_printf(&log->line, ",\"%s\":null", key);
    size_t n = strlen(s);
    size_t lossy = 0;
    int rc = teai_buf_printf(&log->line, ",\"%s\":", key);
    if (rc == TEAI_OK) rc = teai__json_str(&log->line, s, n, &lossy);
    if (rc == TEAI_OK && lossy) {
        rc = teai_buf_printf(&log->line, ",\"%s_hex\":\"", key);
        if (rc == TEAI_OK) rc = teai__hex_encode(&log->line, s, n);
        if (rc == TEAI_OK) rc = teai_buf_add(&log->line, "\"", 1);
    }
    return rc;
}

/* Ends and writes the line begun by begin(), and releases the lock. */
static int finish(teai_log *log, int rc) {
    if (rc == TEAI_OK) rc = teai_buf_add(&log->line, "}\n", 2);
    if (rc != TEAI_OK) {
        set_error(log, "out of memory");
        rc = TEAI_ENOMEM;
    } else {
        rc = put_line(log);
    }
    pthread_mutex_unlock(&log->mu);
    return rc;
}

int teai_log_load(teai_log *log, double load_ms, double peak_rss_mb) {
    if (!log) return TEAI_EINVAL;
    int rc = begin(log, "load");
    if (rc == TEAI_OK) rc = add_num(log, "load_ms", load_ms);
    if (rc == TEAI_OK) rc = add_num(log, "peak_rss_mb", peak_rss_mb);
    return finish(log, rc);
}

int teai_log_prefill(teai_log *log, int rep, int warmup, int n_prompt, double prefill_ms,
                     double ttft_ms, int32_t first_token, const char *first_text) {
    if (!log) return TEAI_EINVAL;
    int rc = begin(log, "prefill");
    if (rc == TEAI_OK) rc = add_int(log, "rep", rep);
    if (rc == TEAI_OK) rc = add_int(log, "warmup", warmup ? 1 : 0);
    if (rc == TEAI_OK) rc = add_count(log, "n_prompt", n_prompt);
    if (rc == TEAI_OK) rc = add_num(log, "prefill_ms", prefill_ms);
    if (rc == TEAI_OK) rc = add_num(log, "ttft_ms", ttft_ms);
    if (rc == TEAI_OK) rc = add_count(log, "token", first_token);
    if (rc == TEAI_OK) rc = add_str(log, "text", first_text);
    return finish(log, rc);
}

int teai_log_token(teai_log *log, const teai_log_tok *t) {
    if (!log || !t) return TEAI_EINVAL;
    int rc = begin(log, "token");
    if (rc == TEAI_OK) rc = add_int(log, "rep", t->rep);
    if (rc == TEAI_OK) rc = add_int(log, "warmup", t->warmup ? 1 : 0);
    if (rc == TEAI_OK) rc = add_int(log, "step", t->step);
    if (rc == TEAI_OK) rc = add_count(log, "token", t->token);
    if (rc == TEAI_OK) rc = add_count(log, "n_tokens", t->n_tokens);
    if (rc == TEAI_OK) rc = add_num(log, "total_ms", t->total_ms);
    if (rc == TEAI_OK) rc = add_num(log, "enqueue_ms", t->enqueue_ms);
    if (rc == TEAI_OK) rc = add_num(log, "t_ms", t->t_ms);
    if (rc == TEAI_OK) rc = add_num(log, "mem_gb_s", t->mem_gb_s);
    if (rc == TEAI_OK) rc = add_num(log, "param_gb_s", t->param_gb_s);
    if (rc == TEAI_OK) rc = add_str(log, "text", t->text);
    return finish(log, rc);
}

int teai_log_raw(teai_log *log, int rep, const char *line) {
    if (!log) return TEAI_EINVAL;
    int rc = begin(log, "raw");
    if (rc == TEAI_OK) rc = add_int(log, "rep", rep);
    if (rc == TEAI_OK) rc = add_str(log, "line", line ? line : "");
    return finish(log, rc);
}

int teai_log_summary_event(teai_log *log, const teai_log_summary *s) {
    if (!log || !s) return TEAI_EINVAL;
    int rc = begin(log, "summary");
    if (rc == TEAI_OK) rc = add_int(log, "rep", s->rep);
    if (rc == TEAI_OK) rc = add_int(log, "warmup", s->warmup ? 1 : 0);
    if (rc == TEAI_OK) rc = add_count(log, "n_prompt", s->n_prompt);
    if (rc == TEAI_OK) rc = add_count(log, "n_gen", s->n_gen);
    if (rc == TEAI_OK) rc = add_num(log, "prefill_tok_s", s->prefill_tok_s);
    if (rc == TEAI_OK) rc = add_num(log, "decode_tok_s", s->decode_tok_s);
    if (rc == TEAI_OK) rc = add_num(log, "ttft_ms", s->ttft_ms);
    if (rc == TEAI_OK) rc = add_num(log, "p50_ms", s->p50_ms);
    if (rc == TEAI_OK) rc = add_num(log, "p90_ms", s->p90_ms);
    if (rc == TEAI_OK) rc = add_num(log, "p99_ms", s->p99_ms);
    return finish(log, rc);
}

int teai_log_rep_sensors_event(teai_log *log, const teai_log_rep_sensors *s) {
    if (!log || !s) return TEAI_EINVAL;
    int rc = begin(log, "rep_sensors");
    if (rc == TEAI_OK) rc = add_int(log, "rep", s->rep);
    if (rc == TEAI_OK) rc = add_int(log, "warmup", s->warmup ? 1 : 0);
    if (rc == TEAI_OK) rc = add_num(log, "prefill_j", s->prefill_j);
    if (rc == TEAI_OK) rc = add_num(log, "decode_j", s->decode_j);
    if (rc == TEAI_OK) rc = add_num(log, "prefill_s", s->prefill_s);
    if (rc == TEAI_OK) rc = add_num(log, "decode_s", s->decode_s);
    if (rc == TEAI_OK) rc = add_num(log, "prefill_w", s->prefill_w);
    if (rc == TEAI_OK) rc = add_num(log, "decode_w", s->decode_w);
    if (rc == TEAI_OK) rc = add_num(log, "j_per_token", s->j_per_token);
    if (rc == TEAI_OK) rc = add_num(log, "tokens_per_j", s->tokens_per_j);
    if (rc == TEAI_OK) rc = add_num(log, "temp_max_c", s->temp_max_c);
    if (rc == TEAI_OK) rc = add_num(log, "clock_min_mhz", s->clock_min_mhz);
    if (rc == TEAI_OK) rc = add_num(log, "clock_mean_mhz", s->clock_mean_mhz);
    if (rc == TEAI_OK) rc = add_flag(log, "throttled", s->throttled);
    if (rc == TEAI_OK) rc = add_num(log, "other_cpu_pct", s->other_cpu_pct);
    if (rc == TEAI_OK) rc = add_flag(log, "noisy", s->noisy);
    if (rc == TEAI_OK) rc = add_flag(log, "charging", s->charging);
    if (rc == TEAI_OK) rc = add_num(log, "peak_rss_mb", s->peak_rss_mb);
    return finish(log, rc);
}

int teai_log_sample(teai_log *log, const teai_log_smp *s) {
    if (!log || !s) return TEAI_EINVAL;
    int rc = begin(log, "sample");
    if (rc == TEAI_OK) rc = add_num(log, "t_ms", s->t_ms);
    if (rc == TEAI_OK) rc = add_int(log, "rep", s->rep < 0 ? -1 : s->rep);
    if (rc == TEAI_OK) rc = add_int(log, "warmup", s->warmup ? 1 : 0);
    if (rc == TEAI_OK) rc = add_str(log, "phase", s->phase);
    if (rc == TEAI_OK) rc = add_count(log, "tokens", s->tokens);
    if (rc == TEAI_OK) rc = add_num(log, "energy_j", s->energy_j);
    if (rc == TEAI_OK) rc = add_num(log, "power_w", s->power_w);
    if (rc == TEAI_OK) rc = add_num(log, "temp_c", s->temp_c);
    if (rc == TEAI_OK) rc = add_num(log, "clock_mhz", s->clock_mhz);
    if (rc == TEAI_OK) rc = add_num(log, "clock_mean_mhz", s->clock_mean_mhz);
    if (rc == TEAI_OK) rc = add_num(log, "throttle_count", s->throttle_count);
    if (rc == TEAI_OK) rc = add_flag(log, "charging", s->charging);
    if (rc == TEAI_OK) rc = add_num(log, "other_cpu_pct", s->other_cpu_pct);
    if (rc == TEAI_OK) rc = add_num(log, "psi_some_pct", s->psi_some_pct);
    if (rc == TEAI_OK) rc = add_num(log, "load1", s->load1);
    return finish(log, rc);
}

int teai_log_cooldown(teai_log *log, const teai_log_cool *c) {
    if (!log || !c) return TEAI_EINVAL;
    int rc = begin(log, "cooldown");
    if (rc == TEAI_OK) rc = add_int(log, "rep", c->rep);
    if (rc == TEAI_OK) rc = add_str(log, "mode", c->mode);
    if (rc == TEAI_OK) rc = add_num(log, "target_c", c->target_c);
    if (rc == TEAI_OK) rc = add_num(log, "waited_ms", c->waited_ms);
    if (rc == TEAI_OK) rc = add_num(log, "temp_start_c", c->temp_start_c);
    if (rc == TEAI_OK) rc = add_num(log, "temp_end_c", c->temp_end_c);
    if (rc == TEAI_OK) rc = add_flag(log, "reached", c->reached);
    return finish(log, rc);
}

int teai_log_sustained(teai_log *log, double duration_s, double first_s, double first_tok_s,
                       double last_s, double last_tok_s) {
    if (!log) return TEAI_EINVAL;
    int rc = begin(log, "sustained");
    if (rc == TEAI_OK) rc = add_num(log, "duration_s", duration_s);
    if (rc == TEAI_OK) rc = add_num(log, "first_s", first_s);
    if (rc == TEAI_OK) rc = add_num(log, "first_tok_s", first_tok_s);
    if (rc == TEAI_OK) rc = add_num(log, "last_s", last_s);
    if (rc == TEAI_OK) rc = add_num(log, "last_tok_s", last_tok_s);
    return finish(log, rc);
}

int teai_log_close(teai_log *log, const char *status, const char *error, teai_error *err) {
    if (!log) return TEAI_OK;
    int bad_status = !status || (strcmp(status, "ok") != 0 && strcmp(status, "interrupted") != 0 &&
                                 strcmp(status, "failed") != 0);
    char why[160];
    if (bad_status) {
        snprintf(why, sizeof why, "teai_log_close: unknown status '%.64s'", status ? status : "");
        status = "failed";
        error = why;
    }
    int rc = begin(log, "end");
    if (rc == TEAI_OK) rc = teai_buf_printf(&log->line, ",\"status\":\"%s\"", status);
    if (rc == TEAI_OK) rc = add_str(log, "error", error);
    rc = finish(log, rc);
    if (rc != TEAI_OK) teai__fail(err, rc, "%s", log->error);
    if (fsync(log->fd) != 0 && rc == TEAI_OK)
        rc = teai__fail(err, TEAI_EIO, "%s: fsync: %s", log->path, strerror(errno));
    if (close(log->fd) != 0 && rc == TEAI_OK)
        rc = teai__fail(err, TEAI_EIO, "%s: close: %s", log->path, strerror(errno));
    free(log->path);
    teai_buf_free(&log->line);
    pthread_mutex_destroy(&log->mu);
    free(log);
    if (rc == TEAI_OK && bad_status) rc = teai__fail(err, TEAI_EINVAL, "%s", why);
    return rc;
}
