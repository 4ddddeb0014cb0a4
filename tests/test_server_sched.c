/* The scheduler of teai serve (src/server/sched.c), driven directly: at
 * temperature 0 every sequence gives the tokens and text of a single-sequence
 * greedy run (what `teai generate` computes: teai_context_eval on the prompt,
 * then one token at a time), whatever else runs beside it and whenever it
 * arrives; a cancel frees the slot at once; a stop ends queued and running
 * requests with shutting_down; a full queue says server_busy. */
#include "server/server.h"
#include "test_util.h"

#include <pthread.h>
#include <time.h>

#define MAX_TOK 512

/* What the events of one request brought. */
typedef struct coll {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    teai_buf text;
    int32_t tok[MAX_TOK];
    int n_tok, n_events, done;
    teai__srv_event final; /* DONE or ERROR (its text pointer not kept) */
} coll;

static void coll_init(coll *c) {
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    teai_buf_init(&c->text, 0);
}

static void coll_free(coll *c) {
    teai_buf_free(&c->text);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

/* Requests between their first and their final event, and the most seen at
 * once (events come from the one scheduler thread). */
static int g_running, g_most_running;

static void on_event(void *ud, const teai__srv_event *ev) {
    coll *c = ud;
    pthread_mutex_lock(&c->mu);
    if (c->n_events == 0 && ev->kind == TEAI__SRV_EV_TEXT && ++g_running > g_most_running)
        g_most_running = g_running;
    if (c->n_events > 0 && ev->kind != TEAI__SRV_EV_TEXT) g_running--;
    c->n_events++;
    if (ev->kind == TEAI__SRV_EV_TEXT) {
        teai_buf_add(&c->text, ev->text, ev->len);
        if (ev->token >= 0 && c->n_tok < MAX_TOK) c->tok[c->n_tok++] = ev->token;
    } else {
        c->final = *ev;
        c->final.text = NULL;
        c->done = 1;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits (at most 120 s) until c is done or has n tokens; 1 when it got there. */
static int coll_wait(coll *c, int n) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 120;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (!c->done && c->n_tok < n && rc == 0) rc = pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    int ok = c->done || c->n_tok >= n;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A completions request for prompt ids (no BOS added), greedy. */
static void make_req(teai__srv_request *r, int32_t *ids, int n, int max_tokens) {
    memset(r, 0, sizeof *r);
    r->model = "";
    r->prompt_ids = ids;
    r->n_prompt_ids = n;
    r->max_tokens = max_tokens;
    r->sp = teai_sampler_default_params();
    r->sp.temperature = 0;
}

/* Prompt i of a test: n ids from a fixed pseudo-random sequence. */
static void make_prompt(int32_t *ids, int n, int n_vocab, unsigned seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (int i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        ids[i] = (int32_t)(3 + (x >> 8) % (uint32_t)(n_vocab - 3));
    }
}

/* The reference: greedy decoding on a single-sequence context, tokens passed
 * on as the server does (end-of-generation ends it, not counted). */
static int greedy_ref(const teai_model *m, int n_ctx, const int32_t *ids, int n, int max_tokens,
                      int32_t *out, teai_buf *text) {
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = 2;
    teai_context *ctx = NULL;
    teai_error err = {0};
    if (teai_context_new(m, &cp, &ctx, &err)) return -1;
    const teai_tokenizer *tok = teai_model_tokenizer(m);
    int n_vocab = teai_model_hparams(m)->n_vocab, n_out = 0;
    float *logits = malloc(sizeof(float) * (size_t)n_vocab);
    teai__srv_text t;
    teai__srv_text_init(&t, NULL, 0);
    int rc = teai_context_eval(ctx, ids, n, logits, &err);
    while (!rc) {
        int32_t id = 0;
        for (int i = 1; i < n_vocab; i++)
            if (logits[i] > logits[id]) id = i;
        if (teai_tokenizer_is_eog(tok, id)) break;
        char piece[512];
        int len = teai_token_to_piece(tok, id, 0, piece, sizeof piece);
        teai__srv_text_push(&t, piece, len > 0 ? (size_t)len : 0, text);
        out[n_out++] = id;
        if (n_out >= max_tokens) break;
        rc = teai_context_eval(ctx, &id, 1, logits, &err);
    }
    teai__srv_text_finish(&t, text);
    teai__srv_text_free(&t);
    free(logits);
    teai_context_free(ctx);
    return rc ? -1 : n_out;
}

static int light(void) {
    const char *v = getenv("TEAI_TEST_LIGHT");
    return v && v[0] == '1';
}

static teai_model *synth_model(const char *type, int n_layers, char *path, size_t cap) {
    char name[64];
    snprintf(name, sizeof name, "sched-%s.gguf", type);
    test_tmp_path(path, cap, name);
    teai_synth_params sp = teai_synth_default_params();
    if (teai_synth_shape("tiny", &sp.hp)) return NULL;
    sp.hp.n_layers = n_layers;
    sp.type = type;
    sp.n_threads = 2;
    teai_error err = {0};
    if (teai_model_synth(&sp, path, &err)) {
        fprintf(stderr, "synth %s: %s\n", type, err.msg);
        return NULL;
    }
    teai_model *m = NULL;
    teai_model_params mp = teai_model_default_params();
    if (teai_model_load(path, &mp, &m, &err)) {
        fprintf(stderr, "load %s: %s\n", path, err.msg);
        return NULL;
    }
    return m;
}

/* Mixed prompt lengths (chunk edges: 1, 128, 129, 300 tokens), arriving at
 * different times, more requests than slots: each equals its greedy run. */
static void check_mixed(const char *type) {
    char path[512];
    teai_model *m = synth_model(type, 2, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    static const int lens_full[] = {5, 130, 1, 300, 17, 129, 64, 128, 2};
    static const int lens_light[] = {5, 130, 1, 17, 129};
    const int *lens = light() ? lens_light : lens_full;
    int n_req = light() ? 5 : 9, n_slots = 4, per_slot = 400, max_tokens = light() ? 12 : 24;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = n_slots * per_slot;
    cp.n_threads = 2;
    teai__srv_sched *s = NULL;
    teai_error err = {0};
    g_running = g_most_running = 0;
    ASSERT_EQ(teai__srv_sched_new(m, &cp, n_slots, 16, &s, &err), TEAI_OK);
    ASSERT_EQ(teai__srv_sched_n_ctx(s), per_slot);
    int32_t ids[9][300];
    teai__srv_request req[9];
    coll c[9];
    uint64_t id[9];
    for (int i = 0; i < n_req; i++) {
        make_prompt(ids[i], lens[i], n_vocab, (unsigned)i + 1);
        make_req(&req[i], ids[i], lens[i], max_tokens);
        coll_init(&c[i]);
    }
    for (int i = 0; i < n_req; i++) {
        teai__srv_error e;
        ASSERT_EQ(teai__srv_sched_submit(s, &req[i], 4096, on_event, &c[i], &id[i], &e), TEAI_OK);
        ASSERT_TRUE(id[i] != 0);
        if (i % 3 == 1) coll_wait(&c[i - 1], 3); /* later arrivals join running ones */
    }
    for (int i = 0; i < n_req; i++) ASSERT_TRUE(coll_wait(&c[i], MAX_TOK + 1));
    int n_full = 0; /* requests that ran to max_tokens (a check that compares something) */
    for (int i = 0; i < n_req; i++) {
        int32_t ref[MAX_TOK];
        teai_buf rt;
        teai_buf_init(&rt, 0);
        int n_ref = greedy_ref(m, per_slot, ids[i], lens[i], max_tokens, ref, &rt);
        ASSERT_TRUE(n_ref >= 0);
        ASSERT_EQ(c[i].final.kind, TEAI__SRV_EV_DONE);
        ASSERT_EQ(c[i].final.prompt_tokens, lens[i]);
        ASSERT_EQ(c[i].final.completion_tokens, n_ref);
        ASSERT_EQ(c[i].final.finish,
                  n_ref == max_tokens ? TEAI__SRV_FINISH_LENGTH : TEAI__SRV_FINISH_STOP);
        ASSERT_EQ(c[i].n_tok, n_ref);
        n_full += n_ref == max_tokens;
        for (int k = 0; k < n_ref; k++)
            if (c[i].tok[k] != ref[k]) {
                TEST_FAIL_AT("%s: request %d (prompt %d): token %d is %d, greedy gives %d", type, i,
                             lens[i], k, (int)c[i].tok[k], (int)ref[k]);
                return;
            }
        ASSERT_EQ(c[i].text.len, rt.len);
        ASSERT_TRUE(rt.len == 0 || memcmp(c[i].text.data, rt.data, rt.len) == 0);
        teai_buf_free(&rt);
    }
    ASSERT_TRUE(n_full >= n_req / 2);
    ASSERT_TRUE(g_most_running >= 2); /* sequences did share batches */
    ASSERT_TRUE(g_most_running <= n_slots);
    teai__srv_sched_free(s);
    for (int i = 0; i < n_req; i++) coll_free(&c[i]);
    teai_model_free(m);
    remove(path);
}

static void test_mixed_f16(void) {
    check_mixed("f16");
}
static void test_mixed_q8_0(void) {
    if (light()) return;
    check_mixed("q8_0");
}
static void test_mixed_q4_k(void) {
    if (light()) return;
    check_mixed("q4_k");
}

/* Cancel mid-generation: the slot goes to the waiting request at once, and
 * the cancelled one hears nothing more. Then the queue limit. */
static void test_cancel_and_busy(void) {
    char path[512];
    teai_model *m = synth_model("f32", 4, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 512;
    cp.n_threads = 1;
    teai__srv_sched *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai__srv_sched_new(m, &cp, 1, 1, &s, &err), TEAI_OK);
    int32_t ids[3][8];
    teai__srv_request r[3];
    coll c[3];
    uint64_t id[3];
    teai__srv_error e;
    for (int i = 0; i < 3; i++) {
        make_prompt(ids[i], 8, n_vocab, 100u + (unsigned)i);
        make_req(&r[i], ids[i], 8, 500);
        coll_init(&c[i]);
    }
    ASSERT_EQ(teai__srv_sched_submit(s, &r[0], 4096, on_event, &c[0], &id[0], &e), TEAI_OK);
    ASSERT_TRUE(coll_wait(&c[0], 2));
    ASSERT_EQ(teai__srv_sched_submit(s, &r[1], 4096, on_event, &c[1], &id[1], &e), TEAI_OK);
    /* one slot taken, one waiting, a queue of one: the third is refused */
    ASSERT_TRUE(teai__srv_sched_submit(s, &r[2], 4096, on_event, &c[2], &id[2], &e) != TEAI_OK);
    ASSERT_EQ(e.http, 503);
    ASSERT_STREQ(e.code, "server_busy");
    ASSERT_EQ(id[2], 0);
    teai__srv_sched_cancel(s, id[0]);
    pthread_mutex_lock(&c[0].mu);
    int events_at_cancel = c[0].n_events, done0 = c[0].done;
    pthread_mutex_unlock(&c[0].mu);
    ASSERT_EQ(done0, 0);
    /* the waiting request runs now, long before the cancelled one would
     * have finished its 500 tokens */
    ASSERT_TRUE(coll_wait(&c[1], 3));
    teai__srv_sched_cancel(s, id[1]);
    teai__srv_sched_cancel(s, id[1]); /* twice, and an unknown id: ignored */
    teai__srv_sched_cancel(s, 987654);
    sleep_ms(50);
    ASSERT_EQ(c[0].n_events, events_at_cancel);
    ASSERT_EQ(c[0].done, 0);
    ASSERT_EQ(c[1].done, 0);
    /* the slot is free again: a new request completes */
    make_req(&r[2], ids[2], 8, 5);
    ASSERT_EQ(teai__srv_sched_submit(s, &r[2], 4096, on_event, &c[2], &id[2], &e), TEAI_OK);
    ASSERT_TRUE(coll_wait(&c[2], MAX_TOK + 1));
    ASSERT_EQ(c[2].final.kind, TEAI__SRV_EV_DONE);
    teai__srv_sched_free(s);
    for (int i = 0; i < 3; i++) coll_free(&c[i]);
    teai_model_free(m);
    remove(path);
}

/* Stop: the running request and the queued one end with 503 shutting_down;
 * the queued one never produced a token; later submissions are refused. */
static void test_stop(void) {
    char path[512];
    teai_model *m = synth_model("f32", 1, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    int n_vocab = teai_model_hparams(m)->n_vocab;
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 1024;
    cp.n_threads = 1;
    teai__srv_sched *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai__srv_sched_new(m, &cp, 2, 4, &s, &err), TEAI_OK);
    ASSERT_EQ(teai__srv_sched_n_ctx(s), 512);
    int32_t ids[4][8];
    teai__srv_request r[4];
    coll c[4];
    uint64_t id[4];
    teai__srv_error e;
    for (int i = 0; i < 4; i++) {
        make_prompt(ids[i], 8, n_vocab, 200u + (unsigned)i);
        make_req(&r[i], ids[i], 8, 500);
        coll_init(&c[i]);
    }
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(teai__srv_sched_submit(s, &r[i], 4096, on_event, &c[i], &id[i], &e), TEAI_OK);
    ASSERT_TRUE(coll_wait(&c[0], 2));
    ASSERT_TRUE(coll_wait(&c[1], 2));
    ASSERT_EQ(c[2].n_events, 0); /* two slots: the third waits */
    teai__srv_sched_stop(s);
    ASSERT_TRUE(teai__srv_sched_submit(s, &r[3], 4096, on_event, &c[3], &id[3], &e) != TEAI_OK);
    ASSERT_STREQ(e.code, "shutting_down");
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(coll_wait(&c[i], MAX_TOK + 1));
        ASSERT_EQ(c[i].final.kind, TEAI__SRV_EV_ERROR);
        ASSERT_EQ(c[i].final.error.http, 503);
        ASSERT_STREQ(c[i].final.error.code, "shutting_down");
    }
    ASSERT_EQ(c[2].n_tok, 0);
    ASSERT_EQ(c[2].n_events, 1);
    teai__srv_sched_free(s);
    ASSERT_EQ(c[3].n_events, 0);
    for (int i = 0; i < 4; i++) coll_free(&c[i]);
    teai_model_free(m);
    remove(path);
}

/* Prompt checks happen at submit: too long for a slot's share of -c. */
static void test_prompt_checks(void) {
    char path[512];
    teai_model *m = synth_model("f32", 1, path, sizeof path);
    ASSERT_TRUE(m != NULL);
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = 256;
    cp.n_threads = 1;
    teai__srv_sched *s = NULL;
    teai_error err = {0};
    ASSERT_EQ(teai__srv_sched_new(m, &cp, 4, 4, &s, &err), TEAI_OK);
    ASSERT_EQ(teai__srv_sched_n_ctx(s), 64);
    ASSERT_TRUE(teai__srv_sched_model(s) == m);
    int32_t ids[60];
    make_prompt(ids, 60, 512, 7);
    teai__srv_request r;
    make_req(&r, ids, 60, 5); /* 65 > 64 */
    coll c;
    coll_init(&c);
    uint64_t id = 1;
    teai__srv_error e;
    ASSERT_TRUE(teai__srv_sched_submit(s, &r, 4096, on_event, &c, &id, &e) != TEAI_OK);
    ASSERT_EQ(e.http, 400);
    ASSERT_STREQ(e.code, "context_length_exceeded");
    ASSERT_EQ(id, 0);
    r.max_tokens = 4; /* 64 fits */
    ASSERT_EQ(teai__srv_sched_submit(s, &r, 4096, on_event, &c, &id, &e), TEAI_OK);
    ASSERT_TRUE(coll_wait(&c, MAX_TOK + 1));
    ASSERT_EQ(c.final.kind, TEAI__SRV_EV_DONE);
    teai__srv_sched_free(s);
    coll_free(&c);
    teai_model_free(m);
    remove(path);
}

/* Not a test: aggregate generation speed through the scheduler, for
 *   test_server_sched --bench MODEL.gguf [THREADS] [TOKENS]
 * K = 1, 4, 8 requests (32-token prompts, TOKENS tokens each, greedy) on
 * --parallel K at once, against the same K one after another on one slot:
 * output tokens (all requests) / wall time from the first submit to the last
 * final event. */
static double bench_run(const teai_model *m, int threads, int k, int parallel, int tokens,
                        int *n_out) {
    teai_context_params cp = teai_context_default_params();
    cp.n_ctx = parallel * (32 + tokens + 8);
    cp.n_threads = threads;
    teai__srv_sched *s = NULL;
    teai_error err = {0};
    if (teai__srv_sched_new(m, &cp, parallel, k, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    int n_vocab = teai_model_hparams(m)->n_vocab;
    int32_t ids[8][32];
    teai__srv_request r[8];
    coll c[8];
    uint64_t id;
    teai__srv_error e;
    for (int i = 0; i < k; i++) {
        make_prompt(ids[i], 32, n_vocab, 300u + (unsigned)i);
        make_req(&r[i], ids[i], 32, tokens);
        coll_init(&c[i]);
    }
    uint64_t t0 = teai__now_ns();
    *n_out = 0;
    for (int i = 0; i < k; i++) {
        if (teai__srv_sched_submit(s, &r[i], tokens, on_event, &c[i], &id, &e)) return -1;
        if (parallel == 1) coll_wait(&c[i], MAX_TOK + 1); /* one after another */
    }
    for (int i = 0; i < k; i++) {
        coll_wait(&c[i], MAX_TOK + 1);
        *n_out += c[i].final.completion_tokens;
    }
    double sec = (double)(teai__now_ns() - t0) / 1e9;
    teai__srv_sched_free(s);
    for (int i = 0; i < k; i++) coll_free(&c[i]);
    return sec;
}

static int bench(const char *path, int threads, int tokens) {
    teai_model *m = NULL;
    teai_error err = {0};
    teai_model_params mp = teai_model_default_params();
    if (teai_model_load(path, &mp, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (tokens > MAX_TOK - 1) tokens = MAX_TOK - 1;
    printf("%s, %d threads, %d tokens per request (%s)\n", path, threads, tokens,
           teai_model_weight_format(m));
    static const int ks[] = {1, 4, 8};
    for (int i = 0; i < 3; i++) {
        int n_seq_out = 0, n_par_out = 0;
        double t_seq = bench_run(m, threads, ks[i], 1, tokens, &n_seq_out);
        double t_par = bench_run(m, threads, ks[i], ks[i], tokens, &n_par_out);
        if (t_seq < 0 || t_par < 0) return 1;
        printf("%d requests (%d and %d tokens out): one at a time %.1f tok/s; "
               "--parallel %d %.1f tok/s (x%.2f)\n",
               ks[i], n_seq_out, n_par_out, n_seq_out / t_seq, ks[i], n_par_out / t_par,
               (n_par_out / t_par) / (n_seq_out / t_seq));
        fflush(stdout);
    }
    teai_model_free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--bench") == 0)
        return bench(argv[2], argc > 3 ? (int)strtol(argv[3], NULL, 10) : 0,
                     argc > 4 ? (int)strtol(argv[4], NULL, 10) : 128);
    RUN_TEST(test_prompt_checks);
    RUN_TEST(test_mixed_f16);
    RUN_TEST(test_mixed_q8_0);
    RUN_TEST(test_mixed_q4_k);
    RUN_TEST(test_cancel_and_busy);
    RUN_TEST(test_stop);
    TEST_MAIN_END();
}
