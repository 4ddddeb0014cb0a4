/* The seed-shaped results file of an evaluation (eval.h, docs/log-format.md §5). */
#include "eval/eval.h"

#include "base/base.h"
#include "results/results.h"

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

teai_eval_metric teai_eval_metric_blank(const char *name) {
    teai_eval_metric m;
    m.name = name;
    m.avg = m.std = m.stderr_ = m.ci_low = m.ci_high = NAN;
    m.n = -1;
    return m;
}

static int name_ok(const char *s) {
    return s && *s && !strchr(s, '/');
}

int teai_eval_json_path(const char *dir, const char *backend, const char *env, const char *size,
                        int64_t t, char *out, size_t cap, teai_error *err) {
    char prefix[TEAI_LOG_PREFIX_MAX];
    if (!name_ok(env) || !name_ok(size))
        return teai__fail(err, TEAI_EINVAL, "environment and size must be non-empty names");
    int rc = teai_log_prefix(backend ? backend : "", prefix, sizeof prefix);
    if (rc != TEAI_OK) return teai__fail(err, rc, "bad backend name '%s'", backend ? backend : "");
    time_t tt = (time_t)t;
    struct tm tm;
    char stamp[32];
    if (!gmtime_r(&tt, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm) == 0)
        return teai__fail(err, TEAI_EINVAL, "bad timestamp %lld", (long long)t);
    int n = snprintf(out, cap, "%s/%ssweep_%s_%s_%s.json", dir && *dir ? dir : ".", prefix, env,
                     size, stamp);
    if (n < 0 || (size_t)n >= cap) return teai__fail(err, TEAI_ERANGE, "results path too long");
    return TEAI_OK;
}

/* ---- writing: one record appended to the list's text (with or without
 * cJSON: a device build has none), so the file keeps what it held */

static int add(teai_buf *b, const char *s) {
    return teai_buf_add(b, s, strlen(s));
}

static int add_key(teai_buf *b, const char *indent, const char *key) {
    int rc = add(b, indent);
    if (rc == TEAI_OK) rc = teai__json_str(b, key, strlen(key), NULL);
    return rc == TEAI_OK ? add(b, ": ") : rc;
}

/* A number in the fewest digits that read back exactly (15, else 17
 * significant digits), or null. */
static int add_num(teai_buf *b, double v) {
    char t[40];
    if (!isfinite(v)) return add(b, "null");
    snprintf(t, sizeof t, "%.15g", v);
    if (strtod(t, NULL) != v) snprintf(t, sizeof t, "%.17g", v);
    return add(b, t);
}

static int add_str(teai_buf *b, const char *s) {
    return s ? teai__json_str(b, s, strlen(s), NULL) : add(b, "null");
}

/* `<indent>"key": value,` (a string, or null) */
static int field_str(teai_buf *b, const char *indent, const char *key, const char *v) {
    int rc = add_key(b, indent, key);
    rc = rc ? rc : add_str(b, v);
    return rc ? rc : add(b, ",");
}

/* `<indent>"key": number,` (null when not finite) */
static int field_num(teai_buf *b, const char *indent, const char *key, double v) {
    int rc = add_key(b, indent, key);
    rc = rc ? rc : add_num(b, v);
    return rc ? rc : add(b, ",");
}

/* r as one JSON object, no trailing newline. */
static int record_text(teai_buf *b, const teai_eval_record *r) {
    char now[32];
    const char *stamp = r->timestamp;
    if (!stamp) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        stamp = now;
    }
    const char *in = "\n\t\t", *in2 = "\n\t\t\t", *in3 = "\n\t\t\t\t";
    int rc = add(b, "\t{");
    rc = rc ? rc : field_str(b, in, "quantization", r->quantization);
    rc = rc ? rc : field_str(b, in, "size", r->size);
    rc = rc ? rc : field_str(b, in, "environment", r->environment);
    rc = rc ? rc : field_num(b, in, "num_examples", r->num_examples);
    rc = rc ? rc : field_num(b, in, "max_tokens", r->max_tokens);
    rc = rc ? rc : add_key(b, in, "metrics");
    rc = rc ? rc : add(b, "{");
    for (int i = 0; !rc && i < r->n_metrics; i++) {
        const teai_eval_metric *m = &r->metrics[i];
        rc = add_key(b, in2, m->name);
        rc = rc ? rc : add(b, "{");
        rc = rc ? rc : field_num(b, in3, "avg", m->avg);
        rc = rc ? rc : field_num(b, in3, "std", m->std);
        rc = rc ? rc : field_num(b, in3, "stderr", m->stderr_);
        rc = rc ? rc : add_key(b, in3, "ci95");
        rc = rc ? rc : add(b, "[");
        rc = rc ? rc : add_num(b, m->ci_low);
        rc = rc ? rc : add(b, ", ");
        rc = rc ? rc : add_num(b, m->ci_high);
        rc = rc ? rc : add(b, "],");
        rc = rc ? rc : add_key(b, in3, "n");
        rc = rc ? rc : add_num(b, m->n >= 0 ? (double)m->n : NAN);
        rc = rc ? rc : add(b, in2);
        rc = rc ? rc : add(b, "},");
    }
    rc = rc ? rc : add_key(b, in2, "eval_time_seconds");
    rc = rc ? rc : add_num(b, r->eval_time_seconds);
    rc = rc ? rc : add(b, in);
    rc = rc ? rc : add(b, "},");
    rc = rc ? rc : field_num(b, in, "elapsed_seconds", r->elapsed_seconds);
    rc = rc ? rc : field_num(b, in, "returncode", r->returncode);
    rc = rc ? rc : field_str(b, in, "timestamp", stamp);
    rc = rc ? rc : field_str(b, in, "backend", r->backend);
    rc = rc ? rc : field_str(b, in, "weight_format", r->weight_format);
    rc = rc ? rc : field_str(b, in, "model", r->model);
    rc = rc ? rc : field_num(b, in, "rollouts", r->rollouts);
    rc = rc ? rc : field_num(b, in, "temperature", r->temperature);
    rc = rc ? rc : field_num(b, in, "seed", (double)r->seed);
    rc = rc ? rc : add_key(b, in, "examples_file");
    rc = rc ? rc : add_str(b, r->examples_file);
    return rc ? rc : add(b, "\n\t}");
}

int teai_eval_json_append(const char *path, const teai_eval_record *r, teai_error *err) {
    char *text = NULL;
    size_t len = 0, close_at = 0;
    int empty = 1;
    teai_error rerr;
    if (access(path, F_OK) == 0) {
        int rc = teai__read_file(path, (size_t)1 << 30, &text, &len, &rerr);
        if (rc != TEAI_OK) return teai__fail(err, rc, "%s", rerr.msg);
        /* the list's brackets: the first and the last character that is not
         * white space; anything between them other than space is an element */
        size_t a = 0, z = len;
        while (a < len && strchr(" \t\r\n", text[a])) a++;
        while (z > a && strchr(" \t\r\n", text[z - 1])) z--;
        int bad = a == len || text[a] != '[' || text[z - 1] != ']' || z - a < 2;
#if TEAI_HAVE_CJSON
        /* with cJSON the whole list is checked, not only its brackets */
        cJSON *list = bad ? NULL : cJSON_ParseWithLength(text, len);
        bad = bad || !cJSON_IsArray(list);
        cJSON_Delete(list);
#endif
        if (bad) {
            free(text);
            return teai__fail(err, TEAI_EFORMAT, "%s: not a JSON list of results", path);
        }
        close_at = z - 1;
        for (size_t k = a + 1; k < close_at && empty; k++)
            empty = strchr(" \t\r\n", text[k]) != NULL;
    } else {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            int rc = teai__mkdirs(dir, err);
            if (rc != TEAI_OK) return rc;
        }
    }
    teai_buf file;
    teai_buf_init(&file, 0);
    int rc = TEAI_OK;
    if (text && !empty) /* the old list up to its last element, then a comma */
        rc = teai_buf_add(&file, text, close_at);
    else
        rc = add(&file, "[");
    while (!rc && file.len && strchr(" \t\r\n", file.data[file.len - 1])) file.len--;
    rc = rc ? rc : add(&file, text && !empty ? ",\n" : "\n");
    rc = rc ? rc : record_text(&file, r);
    rc = rc ? rc : add(&file, "\n]\n");
    free(text);
    rc = rc ? teai__fail(err, TEAI_ENOMEM, "out of memory writing %s", path)
            : teai__write_file_atomic(path, file.data, file.len, err);
    teai_buf_free(&file);
    return rc;
}
