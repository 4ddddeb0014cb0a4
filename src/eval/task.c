/* One task evaluation (task.h): rollouts through a backend, one JSONL line
 * per rollout, a summary record in the seed-shaped results file. */
#include "eval/task.h"

#include "analysis/analysis.h"
#include "base/base.h"

#if TEAI_HAVE_CJSON
#include <cjson/cJSON.h>
#endif
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

teai_task_config teai_task_default_config(void) {
    teai_task_config c;
    memset(&c, 0, sizeof c);
    c.env = TEAI_TASK_GSM8K;
    c.backend = "native";
    c.bcfg.size = "1B";
    c.bcfg.quantize = "default";
    c.bcfg.seed = 42;
    c.rollouts = 1;
    c.max_tokens = 256;
    c.concurrency = 1;
    c.results_dir = "verifiers_results";
    return c;
}

#if TEAI_HAVE_CJSON

/* Metric names per environment, "reward" first (the record's order). */
static const char *const gsm8k_metrics[] = {"reward", "strict_match", "flexible_match", NULL};
static const char *const reverse_metrics[] = {"reward", "exact_match", NULL};
static const char *const wordle_metrics[] = {"reward", "win", "partial_credit", "turns", NULL};

static const char *const *metric_names(teai_task_env env) {
    return env == TEAI_TASK_GSM8K          ? gsm8k_metrics
           : env == TEAI_TASK_REVERSE_TEXT ? reverse_metrics
                                           : wordle_metrics;
}

static int count_names(const char *const *names) {
    int n = 0;
    while (names[n]) n++;
    return n;
}

/* ---- one generation ------------------------------------------------------ */

/* What every generation shares (read-only while workers run). */
typedef struct gen_ctx {
    const teai_task_config *cfg;
    const teai_backend_ops *ops;
    teai_backend **be;         /* n_be handles (one, or the caller's) */
    int n_be;                  /* rollout r uses be[r % n_be] */
    int is_openai;             /* chat endpoint, seed per handle */
    teai_chat_format chat;     /* native, llamacpp: the model's template (NONE: raw text) */
    const teai_tokenizer *tok; /* end-of-generation ids; NULL when unknown */
} gen_ctx;

/* One generation in progress. */
typedef struct gen_state {
    const gen_ctx *g;
    teai_task_env env;
    teai_buf text;
    int tokens;
    int stopped;   /* we asked the run to stop: end of generation or the answer is complete */
    int cancelled; /* cancel() said stop */
} gen_state;

/* 1 when the answer is complete and generation can stop there; *cut gets
 * the length of the text to keep. */
static int answer_complete(teai_task_env env, const char *text, size_t len, size_t *cut) {
    if (env == TEAI_TASK_GSM8K) {
        /* the "#### N" line is finished */
        for (const char *p = strstr(text, "####"); p; p = strstr(p + 4, "####")) {
            char num[96];
            const char *nl = strchr(p, '\n');
            if (!nl) return 0;
            size_t n = (size_t)(nl - p);
            char line[128];
            if (n >= sizeof line) continue;
            memcpy(line, p, n);
            line[n] = '\0';
            if (teai_gsm8k_extract_strict(line, num, sizeof num)) {
                *cut = (size_t)(nl - text);
                return 1;
            }
        }
        return 0;
    }
    const char *close = env == TEAI_TASK_REVERSE_TEXT ? "</answer>" : "</guess>";
    const char *p = strstr(text, close);
    if (!p) return 0;
    *cut = (size_t)(p - text) + strlen(close);
    (void)len;
    return 1;
}

static int on_event(void *ud, const teai_event *ev) {
    gen_state *st = ud;
    if (ev->kind != TEAI_EV_PREFILL && ev->kind != TEAI_EV_TOKEN) return 0;
    const char *t = ev->text ? ev->text : "";
    st->tokens += ev->n_tokens >= 0 ? ev->n_tokens : t[0] ? 1 : 0;
    if (st->g->tok && ev->token >= 0 && teai_tokenizer_is_eog(st->g->tok, ev->token)) {
        st->stopped = 1;
        return 1;
    }
    if (t[0]) {
        if (teai_buf_addstr(&st->text, t) != TEAI_OK) return 1; /* reported as ENOMEM below */
        size_t cut;
        if ((strchr(t, '>') || strchr(t, '\n')) &&
            answer_complete(st->env, st->text.data, st->text.len, &cut)) {
            st->text.len = cut;
            st->text.data[cut] = '\0';
            st->stopped = 1;
            return 1;
        }
    }
    if (st->g->cfg->cancel && st->g->cfg->cancel(st->g->cfg->ud)) {
        st->cancelled = 1;
        return 1;
    }
    return 0;
}

/* Generates the answer to one user message; *text (malloc'd) and *tokens.
 * TEAI_EINTR when cancelled; another error when the backend failed. */
static int generate(const gen_ctx *g, int rollout, const char *user, char **text, int *tokens,
                    teai_error *err) {
    *text = NULL;
    *tokens = 0;
    const teai_task_config *cfg = g->cfg;
    char *formatted = NULL;
    const char *prompt = user;
    if (!g->is_openai && g->chat != TEAI_CHAT_NONE) {
        teai_chat_msg m = {"user", user};
        int need = teai_chat_apply(g->chat, &m, 1, 1, NULL, 0);
        if (need < 0)
            return teai__fail(err, TEAI_EINVAL,
                              "the prompt cannot be written in the chat template");
        if (!(formatted = malloc((size_t)need + 1)))
            return teai__fail(err, TEAI_ENOMEM, "out of memory");
        teai_chat_apply(g->chat, &m, 1, 1, formatted, (size_t)need + 1);
        prompt = formatted;
    }
    gen_state st;
    memset(&st, 0, sizeof st);
    st.g = g;
    st.env = cfg->env;
    teai_buf_init(&st.text, 0);
    teai_run_params p;
    memset(&p, 0, sizeof p);
    p.prompt = prompt;
    p.parse_special = formatted != NULL; /* the template's markers are special tokens */
    /* in-process backends decode n_gen tokens after the prefill's first one */
    p.n_gen = g->is_openai ? cfg->max_tokens : cfg->max_tokens - 1;
    p.rep = rollout;
    p.seed = cfg->bcfg.seed + (uint64_t)rollout;
    teai_error rerr = {0};
    int rc = g->ops->run(g->be[rollout % g->n_be], &p, on_event, &st, &rerr);
    free(formatted);
    if (st.cancelled) {
        rc = teai__fail(err, TEAI_EINTR, "interrupted");
    } else if (rc == TEAI_EINTR && st.stopped) {
        rc = TEAI_OK;
    } else if (rc == TEAI_EINTR) { /* the callback stopped it for want of memory */
        rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    } else if (rc) {
        *err = rerr;
    }
    if (rc) {
        teai_buf_free(&st.text);
        return rc;
    }
    *tokens = st.tokens;
    if (!st.text.data) {
        st.text.data = malloc(1);
        if (!st.text.data) return teai__fail(err, TEAI_ENOMEM, "out of memory");
        st.text.data[0] = '\0';
    }
    *text = st.text.data;
    return TEAI_OK;
}

/* ---- one rollout ---------------------------------------------------------- */

static double seconds_since(uint64_t t0) {
    return (double)(teai__now_ns() - t0) / 1e9;
}

/* A string item (null for NULL), invalid UTF-8 replaced by U+FFFD: a model's
 * bytes may split a character, and the JSONL must stay readable. */
static cJSON *jstr(const char *s) {
    if (!s) return cJSON_CreateNull();
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = teai__utf8_sanitize(&b, s, strlen(s), NULL);
    cJSON *j = rc ? NULL : cJSON_CreateString(b.data ? b.data : "");
    teai_buf_free(&b);
    return j;
}

/* Runs one rollout of example ex into line (the JSONL object), *reward and
 * mvals (one value per metric). TEAI_OK when scored; TEAI_EINTR when
 * cancelled; another status when generation failed (line says so). */
static int run_rollout(const gen_ctx *g, const teai_task_example *ex, int rollout, cJSON *line,
                       double *mvals, teai_error *err) {
    teai_task_env env = g->cfg->env;
    uint64_t t0 = teai__now_ns();
    int rc = TEAI_OK, tokens = 0;
    if (env == TEAI_TASK_GSM8K || env == TEAI_TASK_REVERSE_TEXT) {
        char *user = env == TEAI_TASK_GSM8K ? teai__gsm8k_prompt(ex) : teai__reverse_prompt(ex);
        char *text = NULL;
        rc = user ? generate(g, rollout, user, &text, &tokens, err)
                  : teai__fail(err, TEAI_ENOMEM, "out of memory");
        cJSON_AddItemToObject(line, "prompt", jstr(user));
        cJSON_AddItemToObject(line, "completion", jstr(text));
        if (!rc && env == TEAI_TASK_GSM8K) {
            char strict[96], flex[96];
            int hs = teai_gsm8k_extract_strict(text, strict, sizeof strict);
            int hf = teai_gsm8k_extract_flexible(text, flex, sizeof flex);
            mvals[1] = hs && strcmp(strict, ex->reference) == 0;
            mvals[2] = hf && strcmp(flex, ex->reference) == 0;
            mvals[0] = mvals[1]; /* reward = strict match, as lm-eval's strict-match */
            cJSON_AddItemToObject(line, "extracted", jstr(hs ? strict : NULL));
            cJSON_AddItemToObject(line, "extracted_flexible", jstr(hf ? flex : NULL));
        } else if (!rc) {
            char *ans = teai_reverse_extract(text);
            if (!ans) {
                rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
            } else {
                mvals[0] = teai_lcs_ratio(ans, ex->reference);
                mvals[1] = strcmp(ans, ex->reference) == 0;
                if (isnan(mvals[0])) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
                cJSON_AddItemToObject(line, "extracted", jstr(ans));
                free(ans);
            }
        }
        free(user);
        free(text);
    } else {
        char guesses[TEAI_WORDLE_TURNS][6], fb[TEAI_WORDLE_TURNS][6];
        cJSON *prompts = cJSON_AddArrayToObject(line, "prompt");
        cJSON *completions = cJSON_AddArrayToObject(line, "completion");
        cJSON *parsed = cJSON_AddArrayToObject(line, "extracted");
        cJSON *feedback = cJSON_AddArrayToObject(line, "feedback");
        int turns = 0, won = 0, invalid = 0;
        const char *last_fb = "";
        while (!rc && !won && turns < TEAI_WORDLE_TURNS) {
            char *user =
                teai__wordle_prompt((const char(*)[6])guesses, (const char(*)[6])fb, turns);
            char *text = NULL;
            int tk = 0;
            rc = user ? generate(g, rollout, user, &text, &tk, err)
                      : teai__fail(err, TEAI_ENOMEM, "out of memory");
            tokens += tk;
            cJSON_AddItemToArray(prompts, jstr(user));
            free(user);
            if (rc) break;
            cJSON_AddItemToArray(completions, jstr(text));
            if (teai_wordle_parse_guess(text, guesses[turns])) {
                teai_wordle_feedback(guesses[turns], ex->reference, fb[turns]);
                won = strcmp(guesses[turns], ex->reference) == 0;
                last_fb = fb[turns];
            } else {
                guesses[turns][0] = fb[turns][0] = '\0';
                invalid++;
            }
            cJSON_AddItemToArray(parsed, jstr(guesses[turns][0] ? guesses[turns] : NULL));
            cJSON_AddItemToArray(feedback, jstr(fb[turns][0] ? fb[turns] : NULL));
            free(text);
            turns++;
        }
        if (!rc) {
            mvals[0] = teai_wordle_reward(won, turns);
            mvals[1] = won;
            mvals[2] = teai_wordle_partial(last_fb); /* the last valid guess's */
            mvals[3] = turns;
            cJSON_AddNumberToObject(line, "turns", turns);
            cJSON_AddNumberToObject(line, "invalid_guesses", invalid);
        }
    }
    cJSON_AddItemToObject(line, "reference", jstr(ex->reference));
    const char *const *names = metric_names(env);
    if (!rc) {
        cJSON_AddNumberToObject(line, "reward", mvals[0]);
        cJSON *m = cJSON_AddObjectToObject(line, "metrics");
        for (int k = 1; m && names[k]; k++) cJSON_AddNumberToObject(m, names[k], mvals[k]);
    } else {
        cJSON_AddNullToObject(line, "reward");
        cJSON_AddItemToObject(line, "error", jstr(err->msg));
    }
    cJSON_AddNumberToObject(line, "tokens", tokens);
    cJSON_AddNumberToObject(line, "seconds", seconds_since(t0));
    return rc;
}

/* ---- the workers ------------------------------------------------------------ */

typedef struct shared {
    const gen_ctx *g;
    const teai_task_example *ex;
    int rollouts, total, n_metrics;
    pthread_mutex_t mu;
    int next, done, failed;
    int cancelled, write_failed;
    FILE *jsonl;
    const char *jsonl_path;
    double *vals;      /* total x n_metrics */
    unsigned char *ok; /* total: scored */
    double reward_sum;
    teai_error first_err, write_err;
} shared;

static void *worker(void *arg) {
    shared *s = arg;
    const teai_task_config *cfg = s->g->cfg;
    double *mv = malloc(sizeof(double) * (size_t)s->n_metrics);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->cancelled || s->write_failed || s->next >= s->total || !mv;
        int idx = stop ? -1 : s->next++;
        if (!mv && !s->write_failed) {
            s->write_failed = 1;
            teai__fail(&s->write_err, TEAI_ENOMEM, "out of memory");
        }
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        if (cfg->cancel && cfg->cancel(cfg->ud)) {
            pthread_mutex_lock(&s->mu);
            s->cancelled = 1;
            pthread_mutex_unlock(&s->mu);
            break;
        }
        int e = idx / s->rollouts, r = idx % s->rollouts;
        cJSON *line = cJSON_CreateObject();
        if (line) {
            cJSON_AddNumberToObject(line, "example", e);
            cJSON_AddNumberToObject(line, "line", s->ex[e].line);
            cJSON_AddNumberToObject(line, "rollout", r);
            cJSON_AddNumberToObject(line, "seed", (double)(cfg->bcfg.seed + (uint64_t)r));
        }
        teai_error err = {0};
        for (int k = 0; k < s->n_metrics; k++) mv[k] = NAN;
        int rc = line ? run_rollout(s->g, &s->ex[e], r, line, mv, &err)
                      : teai__fail(&err, TEAI_ENOMEM, "out of memory");
        char *text = rc == TEAI_EINTR || !line ? NULL : cJSON_PrintUnformatted(line);
        cJSON_Delete(line);
        pthread_mutex_lock(&s->mu);
        if (rc == TEAI_EINTR) {
            s->cancelled = 1;
        } else if (!text) {
            if (!s->write_failed) s->write_err = err.status ? err : s->write_err;
            if (!s->write_failed && !err.status)
                teai__fail(&s->write_err, TEAI_ENOMEM, "out of memory");
            s->write_failed = 1;
        } else {
            if (fputs(text, s->jsonl) < 0 || fputc('\n', s->jsonl) == EOF ||
                fflush(s->jsonl) != 0) {
                if (!s->write_failed)
                    teai__fail(&s->write_err, TEAI_EIO, "%s: cannot write (%s)", s->jsonl_path,
                               strerror(errno));
                s->write_failed = 1;
            }
            s->done++;
            if (rc == TEAI_OK) {
                s->ok[idx] = 1;
                memcpy(s->vals + (size_t)idx * (size_t)s->n_metrics, mv,
                       sizeof(double) * (size_t)s->n_metrics);
                s->reward_sum += mv[0];
            } else {
                if (!s->failed) s->first_err = err;
                s->failed++;
            }
            if (cfg->progress) {
                teai_task_progress p = {s->done, s->total, s->failed,       s->reward_sum,
                                        e,       r,        rc ? NAN : mv[0]};
                cfg->progress(cfg->ud, &p);
            }
        }
        pthread_mutex_unlock(&s->mu);
        cJSON_free(text);
    }
    free(mv);
    return NULL;
}

/* ---- files ------------------------------------------------------------------ */

/* The JSONL next to the results file: <results minus .json>_<quantize>.jsonl
 * (_2, _3, ... when taken). Opens it exclusively. */
static FILE *open_examples(const char *json_path, const char *quant, char *out, size_t cap,
                           teai_error *err) {
    char base[4096];
    size_t n = strlen(json_path);
    if (n >= 5 && strcmp(json_path + n - 5, ".json") == 0) n -= 5;
    if (n >= sizeof base) {
        teai__fail(err, TEAI_ERANGE, "results path too long");
        return NULL;
    }
    memcpy(base, json_path, n);
    base[n] = '\0';
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", base);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (dir[0] && teai__mkdirs(dir, err) != TEAI_OK) return NULL;
    }
    for (int k = 1; k < 1000; k++) {
        char suffix[16] = "";
        if (k > 1) snprintf(suffix, sizeof suffix, "_%d", k);
        int w = snprintf(out, cap, "%s_%s%s.jsonl", base, quant, suffix);
        if (w < 0 || (size_t)w >= cap) {
            teai__fail(err, TEAI_ERANGE, "results path too long");
            return NULL;
        }
        FILE *f = fopen(out, "wx");
        if (f) return f;
        if (errno != EEXIST) {
            teai__fail(err, TEAI_EIO, "%s: cannot create (%s)", out, strerror(errno));
            return NULL;
        }
    }
    teai__fail(err, TEAI_EIO, "%s_%s*.jsonl: too many files", base, quant);
    return NULL;
}

/* ---- the evaluation ------------------------------------------------------------ */

static int check_config(const teai_task_config *cfg, teai_error *err) {
    if ((unsigned)cfg->env > TEAI_TASK_WORDLE)
        return teai__fail(err, TEAI_EINVAL, "unknown environment %d", (int)cfg->env);
    if (!cfg->dataset || !cfg->dataset[0]) return teai__fail(err, TEAI_EINVAL, "no data set");
    const char *b = cfg->backend ? cfg->backend : "";
    if (strcmp(b, "native") && strcmp(b, "llamacpp") && strcmp(b, "openai"))
        return teai__fail(err, TEAI_EINVAL,
                          "backend '%s' cannot run task evaluations (native, llamacpp, openai)", b);
    if (cfg->rollouts < 1 || cfg->rollouts > 1000000)
        return teai__fail(err, TEAI_EINVAL, "rollouts must be 1 to 1000000");
    if (cfg->max_tokens < 1 || cfg->max_tokens > (1 << 24))
        return teai__fail(err, TEAI_EINVAL, "max tokens must be 1 to %d", 1 << 24);
    if (cfg->n_examples < 0) return teai__fail(err, TEAI_EINVAL, "number of examples < 0");
    if (cfg->concurrency > 1 && strcmp(b, "openai") != 0)
        return teai__fail(err, TEAI_EINVAL,
                          "concurrency applies to the openai backend only (in-process backends "
                          "run one generation at a time)");
    if (cfg->concurrency > 1024) return teai__fail(err, TEAI_EINVAL, "concurrency above 1024");
    if (cfg->ops && (!cfg->be || strcmp(cfg->ops->name, b) != 0))
        return teai__fail(err, TEAI_EINVAL, "the open backend given is not a %s backend", b);
    if (strcmp(b, "openai") != 0 && !cfg->ops && (!cfg->bcfg.model || !cfg->bcfg.model[0]))
        return teai__fail(err, TEAI_EINVAL, "the %s backend needs a model file", b);
    return TEAI_OK;
}

/* Fills metrics from the scored rollouts. */
static int summarize(const shared *s, const char *const *names, teai_task_result *out) {
    int nm = s->n_metrics;
    double *v = malloc(sizeof(double) * (size_t)(s->total ? s->total : 1));
    if (!v) return TEAI_ENOMEM;
    out->n_metrics = nm;
    for (int k = 0; k < nm; k++) {
        size_t n = 0;
        for (int i = 0; i < s->total; i++)
            if (s->ok[i]) v[n++] = s->vals[(size_t)i * (size_t)nm + (size_t)k];
        teai_eval_metric m = teai_eval_metric_blank(names[k]);
        teai_stats st;
        if (n && teai_stats_compute(v, n, TEAI_SEED_DEFAULT, 0, &st) == TEAI_OK) {
            m.avg = st.mean;
            m.std = st.sd;
            m.stderr_ = n > 1 ? st.sd / sqrt((double)n) : NAN;
            m.ci_low = st.ci_lo;
            m.ci_high = st.ci_hi;
        }
        m.n = (long)n;
        out->metrics[k] = m;
    }
    free(v);
    return TEAI_OK;
}

int teai_task_run(const teai_task_config *cfg, teai_task_result *out, teai_error *err) {
    uint64_t t_start = teai__now_ns();
    memset(out, 0, sizeof *out);
    int rc = check_config(cfg, err);
    if (rc) return rc;
    const char *env_name = teai_task_env_name(cfg->env);
    const char *size = cfg->bcfg.size && cfg->bcfg.size[0] ? cfg->bcfg.size : "1B";
    const char *quant =
        cfg->bcfg.quantize && cfg->bcfg.quantize[0] ? cfg->bcfg.quantize : "default";
    teai_task_example *ex = NULL;
    int n_ex = 0;
    if ((rc = teai_task_load(cfg->env, cfg->dataset, cfg->n_examples, &ex, &n_ex, err))) return rc;

    gen_ctx g;
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    g.is_openai = strcmp(cfg->backend, "openai") == 0;
    teai_backend_info info;
    memset(&info, 0, sizeof info);
    info.bits_per_weight = info.load_ms = NAN;
    teai_model *vocab = NULL;
    int n_open = 0;
    if (cfg->ops) {
        g.ops = cfg->ops;
        g.be = calloc(1, sizeof *g.be);
        if (g.be) g.be[0] = cfg->be, g.n_be = 1;
        if (cfg->info) info = *cfg->info;
    } else {
        const char *why = NULL;
        g.ops = teai_backend_find(cfg->backend, &why);
        if (!g.ops) {
            teai_task_examples_free(ex, n_ex);
            return teai__fail(err, TEAI_EUNSUPPORTED, "backend %s: %s", cfg->backend,
                              why ? why : "not available");
        }
        /* one handle: every backend takes each run's seed (teai_run_params.seed),
         * and the openai backend's run, the one run from several threads,
         * shares no state between requests (one curl handle each) */
        int want = 1;
        g.be = calloc((size_t)want, sizeof *g.be);
        for (int i = 0; g.be && i < want && !rc; i++) {
            teai_backend_config bc = cfg->bcfg;
            bc.chat = g.is_openai;
            bc.seed = cfg->bcfg.seed + (uint64_t)i;
            teai_backend_info bi;
            memset(&bi, 0, sizeof bi);
            bi.bits_per_weight = bi.load_ms = NAN;
            rc = g.ops->open(&bc, &g.be[i], &bi, err);
            if (!rc) {
                n_open++;
                if (i == 0) info = bi;
            }
        }
        g.n_be = n_open;
    }
    if (!g.be && !rc) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (!rc && !g.is_openai && cfg->bcfg.model) {
        /* the chat template and end-of-generation ids, from the model file */
        teai_model_params mp = teai_model_default_params();
        mp.vocab_only = 1;
        teai_error verr = {0};
        if (teai_model_load(cfg->bcfg.model, &mp, &vocab, &verr) == TEAI_OK) {
            g.chat = teai_chat_detect(teai_model_chat_template(vocab));
            g.tok = teai_model_tokenizer(vocab);
        }
    }

    const char *const *names = metric_names(cfg->env);
    shared s;
    memset(&s, 0, sizeof s);
    s.g = &g;
    s.ex = ex;
    s.rollouts = cfg->rollouts;
    s.n_metrics = count_names(names);
    FILE *jsonl = NULL;
    if (!rc) {
        if ((long long)n_ex * cfg->rollouts > 100000000LL)
            rc = teai__fail(err, TEAI_EINVAL, "%d examples x %d rollouts is too many", n_ex,
                            cfg->rollouts);
        s.total = n_ex * cfg->rollouts;
    }
    if (!rc) {
        if (cfg->results_file)
            snprintf(out->json_path, sizeof out->json_path, "%s", cfg->results_file);
        else
            rc = teai_eval_json_path(cfg->results_dir ? cfg->results_dir : "verifiers_results",
                                     info.name[0] ? info.name : cfg->backend, env_name, size,
                                     (int64_t)time(NULL), out->json_path, sizeof out->json_path,
                                     err);
    }
    if (!rc && !(jsonl = open_examples(out->json_path, quant, out->examples_path,
                                       sizeof out->examples_path, err)))
        rc = err->status ? err->status : TEAI_EIO;
    if (!rc) {
        s.vals = malloc(sizeof(double) * (size_t)s.total * (size_t)s.n_metrics);
        s.ok = calloc((size_t)s.total, 1);
        if (!s.vals || !s.ok) rc = teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    uint64_t t_eval = teai__now_ns();
    if (!rc) {
        s.jsonl = jsonl;
        s.jsonl_path = out->examples_path;
        pthread_mutex_init(&s.mu, NULL);
        int nt = g.is_openai && cfg->concurrency > 1 ? cfg->concurrency : 1;
        if (nt > s.total) nt = s.total;
        pthread_t *th = nt > 1 ? calloc((size_t)nt, sizeof *th) : NULL;
        int started = 0;
        for (int i = 0; th && i < nt; i++)
            if (pthread_create(&th[i], NULL, worker, &s) == 0) started++;
        if (started == 0) worker(&s); /* one at a time, in this thread */
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        free(th);
        pthread_mutex_destroy(&s.mu);
    }
    out->eval_time_seconds = seconds_since(t_eval);
    if (jsonl && fclose(jsonl) != 0 && !rc && !s.write_failed) {
        s.write_failed = 1;
        teai__fail(&s.write_err, TEAI_EIO, "%s: cannot write (%s)", out->examples_path,
                   strerror(errno));
    }
    if (!rc && s.write_failed) rc = teai__fail(err, s.write_err.status, "%s", s.write_err.msg);
    if (!rc) rc = summarize(&s, names, out) ? teai__fail(err, TEAI_ENOMEM, "out of memory") : 0;
    if (!rc) {
        out->n_examples = n_ex;
        out->n_rollouts = s.done;
        out->n_failed = s.failed;
        out->interrupted = s.cancelled;
        out->first_error = s.first_err;
        out->returncode = s.cancelled ? 130 : s.failed ? 1 : 0;
        snprintf(out->weight_format, sizeof out->weight_format, "%s", info.weight_format);
        out->elapsed_seconds = seconds_since(t_start);
        teai_eval_record r;
        memset(&r, 0, sizeof r);
        r.backend = info.name[0] ? info.name : cfg->backend;
        r.size = size;
        r.quantization = quant;
        r.environment = env_name;
        r.weight_format = info.weight_format[0] ? info.weight_format : NULL;
        r.model = cfg->bcfg.model        ? cfg->bcfg.model
                  : cfg->bcfg.model_name ? cfg->bcfg.model_name
                  : info.version[0]      ? info.version
                                         : cfg->bcfg.base_url;
        r.examples_file = out->examples_path;
        r.num_examples = n_ex;
        r.max_tokens = cfg->max_tokens;
        r.rollouts = cfg->rollouts;
        r.returncode = out->returncode;
        r.temperature = cfg->bcfg.temperature;
        r.seed = cfg->bcfg.seed;
        r.metrics = out->metrics;
        r.n_metrics = out->n_metrics;
        r.eval_time_seconds = out->eval_time_seconds;
        r.elapsed_seconds = out->elapsed_seconds;
        rc = teai_eval_json_append(out->json_path, &r, err);
        if (!rc && s.cancelled) rc = teai__fail(err, TEAI_EINTR, "interrupted");
    }
    free(s.vals);
    free(s.ok);
    if (!cfg->ops)
        for (int i = 0; i < n_open; i++) g.ops->close(g.be[i]);
    free(g.be);
    teai_model_free(vocab);
    teai_task_examples_free(ex, n_ex);
    return rc;
}

#else /* !TEAI_HAVE_CJSON: a build without cJSON (a static device build) */

int teai_task_run(const teai_task_config *cfg, teai_task_result *out, teai_error *err) {
    (void)cfg;
    memset(out, 0, sizeof *out);
    return teai__fail(err, TEAI_EUNSUPPORTED,
                      "task evaluations need cJSON (install libcjson-dev and build again)");
}

#endif

/* ---- the sweep's resume --------------------------------------------------------- */

int teai_task_results_latest(const char *dir, const char *backend, const char *env,
                             const char *size, char *out, size_t cap) {
    char probe[4096];
    if (teai_eval_json_path(dir, backend, env, size, 0, probe, sizeof probe, NULL) != TEAI_OK)
        return 0;
    /* .../<prefix>sweep_<env>_<size>_19700101_000000.json */
    const size_t stamp = strlen("19700101_000000.json");
    char *base = strrchr(probe, '/');
    base = base ? base + 1 : probe;
    size_t bl = strlen(base);
    if (bl <= stamp) return 0;
    base[bl - stamp] = '\0';
    DIR *d = opendir(dir && *dir ? dir : ".");
    if (!d) return 0;
    char best[512] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        size_t n = strlen(nm), pl = strlen(base);
        if (n != pl + stamp || strncmp(nm, base, pl) != 0 || strcmp(nm + n - 5, ".json") != 0)
            continue;
        int ok = 1;
        for (size_t k = 0; k < 15 && ok; k++) {
            char c = nm[pl + k];
            ok = k == 8 ? c == '_' : c >= '0' && c <= '9';
        }
        if (ok && n < sizeof best && strcmp(nm, best) > 0) snprintf(best, sizeof best, "%s", nm);
    }
    closedir(d);
    if (!best[0]) return 0;
    int w = snprintf(out, cap, "%s/%s", dir && *dir ? dir : ".", best);
    return w > 0 && (size_t)w < cap;
}

#if !TEAI_HAVE_CJSON
/* Without cJSON the results file is read by a small scanner: a record's
 * top-level strings and numbers, nested values skipped. */
typedef struct rec_keys {
    char env[64], quant[64];
    double n, m, rc;
    int have; /* bits: num_examples, max_tokens, returncode seen */
} rec_keys;

/* The JSON string at text[i] == '"' into out (escapes: the escaped
 * character itself, enough for names); returns the index after it. */
static size_t scan_str(const char *text, size_t len, size_t i, char *out, size_t cap) {
    size_t n = 0;
    for (i++; i < len && text[i] != '"'; i++) {
        if (text[i] == '\\' && i + 1 < len) i++;
        if (n + 1 < cap) out[n++] = text[i];
    }
    out[n] = '\0';
    return i + 1;
}
#endif

int teai_task_results_has(const char *path, const char *env, const char *quantization,
                          int num_examples, int max_tokens) {
#if TEAI_HAVE_CJSON
    char *text = NULL;
    size_t len = 0;
    if (teai__read_file(path, (size_t)256 << 20, &text, &len, NULL) != TEAI_OK) return 0;
    cJSON *list = cJSON_ParseWithLength(text, len);
    free(text);
    int found = 0;
    const cJSON *r, *arr = cJSON_IsArray(list) ? list : (cJSON *)NULL;
    cJSON_ArrayForEach(r, arr) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "environment");
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(r, "quantization");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "num_examples");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "max_tokens");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "returncode");
        if (cJSON_IsString(e) && strcmp(e->valuestring, env) == 0 && cJSON_IsString(q) &&
            strcmp(q->valuestring, quantization) == 0 && cJSON_IsNumber(n) &&
            (num_examples < 0 || n->valuedouble == num_examples) && cJSON_IsNumber(m) &&
            (max_tokens < 0 || m->valuedouble == max_tokens) && cJSON_IsNumber(c) &&
            c->valuedouble == 0)
            found = 1;
    }
    cJSON_Delete(list);
    return found;
#else
    char *text = NULL;
    size_t len = 0;
    if (teai__read_file(path, (size_t)256 << 20, &text, &len, NULL) != TEAI_OK) return 0;
    int found = 0;
    rec_keys r;
    memset(&r, 0, sizeof r);
    char key[32] = "", str[8];   /* str: a value not looked at */
    int depth = 0, want_key = 0; /* depth 1: in the list, 2: in a record */
    for (size_t i = 0; i < len && !found;) {
        char c = text[i];
        if (c == '"') {
            if (depth == 2 && want_key)
                i = scan_str(text, len, i, key, sizeof key), want_key = 0;
            else if (depth == 2 && strcmp(key, "environment") == 0)
                i = scan_str(text, len, i, r.env, sizeof r.env);
            else if (depth == 2 && strcmp(key, "quantization") == 0)
                i = scan_str(text, len, i, r.quant, sizeof r.quant);
            else
                i = scan_str(text, len, i, str, sizeof str);
            continue;
        }
        if (depth == 2 && !want_key && (c == '-' || (c >= '0' && c <= '9'))) {
            char *end;
            double v = strtod(text + i, &end);
            if (strcmp(key, "num_examples") == 0) r.n = v, r.have |= 1;
            if (strcmp(key, "max_tokens") == 0) r.m = v, r.have |= 2;
            if (strcmp(key, "returncode") == 0) r.rc = v, r.have |= 4;
            i = end > text + i ? (size_t)(end - text) : i + 1;
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth == 2 && c == '{') memset(&r, 0, sizeof r), want_key = 1;
        } else if (c == '}' || c == ']') {
            if (depth == 2 && c == '}')
                found = strcmp(r.env, env) == 0 && strcmp(r.quant, quantization) == 0 &&
                        r.have == 7 && (num_examples < 0 || r.n == num_examples) &&
                        (max_tokens < 0 || r.m == max_tokens) && r.rc == 0;
            depth--;
        } else if (c == ',' && depth == 2) {
            want_key = 1;
        }
        i++;
    }
    free(text);
    return found;
#endif
}
