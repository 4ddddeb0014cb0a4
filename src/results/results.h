/* Raw benchmark logs and their collation into CSVs (docs/log-format.md).
 *
 * A teai log is a header of "key: value" lines, then a JSON-Lines body, one
 * object per event, every line handed to the kernel with one write(2) as it is
 * produced, so a run that is interrupted (or killed) leaves what it measured.
 * docs/log-format.md describes the format, the CSV columns and how every log
 * dialect maps onto them; collation also reads the original scripts' dialects
 * (docs/log-format.md §2). Library code: never prints; notes go through a callback.
 *
 * One teai_log may be written from two threads: the runner's and the sensor
 * sampler's (teai_log_sample); the writer serializes its lines. */
#ifndef TEAI_RESULTS_H
#define TEAI_RESULTS_H

#include "base/base.h"
#include "teai/engine.h"

#include <stddef.h>
#include <stdint.h>

/* ---- names -------------------------------------------------------------- */

/* Longest prefix teai_log_prefix writes, NUL included. */
#define TEAI_LOG_PREFIX_MAX 72

/* The log file-name prefix of a backend (docs/log-format.md §1), written into out: "" for
 * tinygrad, "llamacpp_" for llamacpp and llama-bench, "mlc_" for mlc and
 * mlc_llm, "<backend>_" for any other name ("native_", "openai_").
 * TEAI_EINVAL when backend is empty, longer than 63 bytes or has a byte
 * outside [A-Za-z0-9._-] (or starts with '.'); TEAI_ERANGE when cap is too
 * small (TEAI_LOG_PREFIX_MAX always suffices). */
int teai_log_prefix(const char *backend, char *out, size_t cap);

/* The CSV a backend's rows are collated into, without ".csv" (docs/log-format.md §3):
 * "tinygrad"; "llamacpp" for llamacpp and llama-bench; "mlc_llm" for mlc and
 * mlc_llm; the name itself otherwise, with bytes outside [A-Za-z0-9._-]
 * replaced by '_' (and a leading '.' too; "unknown" when empty or NULL);
 * "accuracy_backend" and "samples_backend" for backends named "accuracy" and
 * "samples", whose names collate's accuracy.csv and samples.csv hold.
 * TEAI_ERANGE when cap is too small (64 always suffices). */
int teai_log_csv_name(const char *backend, char *out, size_t cap);

/* ---- writing a log ------------------------------------------------------- */

typedef struct teai_log teai_log;

/* A header field. Keys are [A-Za-z0-9._-]+; "format" is reserved (teai writes
 * it). Values are one line: no '\n' or '\r'; a NULL value is written empty.
 * Leading and trailing blanks of values are not kept by the readers. */
typedef struct teai_kv {
    const char *key;
    const char *value;
} teai_kv;

/* Creates dir (and its parents, if needed) and
 *   dir/<prefix><hostname>_<size>_<quantize>_seed<seed>_uuid<uuid>.txt
 * (never replacing an existing file), with prefix from teai_log_prefix(backend),
 * writes the header (the kvs in the order given, then "format: teai-log 1")
 * and returns the open log in *out. The bench command passes, in this order:
 * platform, release, device, username, hostname, size, quantize, seed, uuid,
 * backend, backend_version, model, model_bytes, model_sha256, synthetic,
 * weight_format, bits_per_weight, threads, prompt_tokens, n_gen, repetitions,
 * warmup, cpu, cpu_features, n_cpus, ram_bytes, gpu, teai_version,
 * teai_commit, compiler, cflags, start_time (RFC 3339), then the device's:
 * membw_gb_s, energy_source, sensors, sample_hz, cooldown, duration_s,
 * machine, device_name
 * (docs/log-format.md says what each holds; "" unknown or off).
 * Required: platform, release, device, username, hostname, size, quantize,
 * seed, uuid and backend; the five that form the file name must be non-empty
 * and free of '/'. TEAI_EINVAL names the offending key; TEAI_EIO when the
 * directory or file cannot be created. */
int teai_log_open(const char *dir, const teai_kv *kvs, int n_kv, teai_log **out, teai_error *err);
/* The file's path ("dir/name.txt"); valid until teai_log_close. */
const char *teai_log_path(const teai_log *log);
/* The message of the first failed write ("path: why"; "" when none). */
const char *teai_log_error(const teai_log *log);

/* Body events; each is one JSON line written with one write(2) (no user-space
 * buffering, so a crash loses nothing already returned). rep is the repetition
 * index, warmup 1 marks warm-up repetitions (excluded from statistics). NAN
 * (or infinite) times are written as null: unknown, never invented. Strings
 * may hold any bytes: text that is not valid UTF-8 is written with U+FFFD in
 * "text" and the exact bytes in "text_hex" (docs/log-format.md).
 * Each returns TEAI_OK, TEAI_EIO (see teai_log_error) or TEAI_ENOMEM. */

/* Model load time and peak resident set size after loading. */
int teai_log_load(teai_log *log, double load_ms, double peak_rss_mb);
/* Prompt processing of one repetition: n_prompt tokens (-1 unknown) in
 * prefill_ms; ttft_ms from the request to the first token; the first token's
 * id (-1 unknown) and text (NULL unknown). */
int teai_log_prefill(teai_log *log, int rep, int warmup, int n_prompt, double prefill_ms,
                     double ttft_ms, int32_t first_token, const char *first_text);

/* One decode step, or one streamed chunk of n_tokens tokens (docs/metrics.md).
 * (The typedef is not teai_log_token: C gives a typedef and a function one
 * name space; `struct teai_log_token` works too.) */
typedef struct teai_log_token {
    int rep, warmup;
    int step;         /* >= 1: decoded tokens (the prefill's first token is step 0's) */
    int32_t token;    /* id; -1 unknown (text-only streams) */
    const char *text; /* its text, any bytes; NULL = unknown */
    int n_tokens;     /* tokens in this event (chunk); -1 unknown */
    double total_ms;  /* step wall time; NAN unknown */
    double enqueue_ms;
    double t_ms;                 /* arrival time since the repetition started */
    double mem_gb_s, param_gb_s; /* 1e9 bytes/s; NAN unknown */
} teai_log_tok;
int teai_log_token(teai_log *log, const teai_log_tok *t);

/* A backend's own output line, kept verbatim (escaped) in the log. Lines that
 * are llama-bench JSON objects (they have "samples_ns" or "avg_ts") are
 * collated into rows exactly as a llama-bench log would be; other raw lines
 * (tinygrad's text) are kept but give no rows: the backend reports those
 * measurements as token events. */
int teai_log_raw(teai_log *log, int rep, const char *line);

/* Per-repetition summary (statistics over its tokens); NAN/-1 unknown. */
typedef struct teai_log_summary {
    int rep, warmup;
    int n_prompt, n_gen;
    double prefill_tok_s, decode_tok_s, ttft_ms;
    double p50_ms, p90_ms, p99_ms; /* step latency percentiles */
} teai_log_summary;
int teai_log_summary_event(teai_log *log, const teai_log_summary *s);

/* What the sensors said over one repetition (docs/metrics.md, energy and
 * device state), written as the "rep_sensors" event right after its
 * summary. NAN / -1: unknown (no such sensor, or it could not be read). */
typedef struct teai_log_rep_sensors {
    int rep, warmup;
    double prefill_j, decode_j; /* energy over each phase, J */
    double prefill_s, decode_s; /* the phases' windows the energy covers, s */
    double prefill_w, decode_w; /* mean power: energy / window, W */
    double j_per_token;         /* decode_j / decoded tokens */
    double tokens_per_j;        /* decoded tokens / decode_j */
    double temp_max_c;          /* hottest reading in the repetition */
    double clock_min_mhz, clock_mean_mhz;
    int throttled;        /* 1 clock dropped or throttle counters rose, 0 not, -1 unknown */
    double other_cpu_pct; /* other processes' share of all CPUs' time, % */
    int noisy;            /* 1 other_cpu_pct above the threshold, 0 not, -1 unknown */
    int charging;         /* 1 charging / external power, 0 on battery, -1 no battery */
    double peak_rss_mb;   /* the repetition's peak resident set (in-process: teai's;
                             subprocess: its child's), MiB; NAN remote/unknown */
} teai_log_rep_sensors;
int teai_log_rep_sensors_event(teai_log *log, const teai_log_rep_sensors *s);

/* One reading of the sensor sampler (thread-safe: the sampler thread writes
 * these while the runner writes its events). t_ms: since the run started;
 * rep: the repetition (-1 before the first); phase: "idle", "cooldown",
 * "prefill", "decode"; tokens: decoded in the run so far; energy_j:
 * cumulative since the run started (counter sources); NAN / -1 unknown. */
typedef struct teai_log_smp {
    double t_ms;
    int rep, warmup;
    const char *phase;
    long tokens;
    double energy_j, power_w, temp_c, clock_mhz, clock_mean_mhz, throttle_count;
    int charging;
    double other_cpu_pct, psi_some_pct, load1;
} teai_log_smp;
int teai_log_sample(teai_log *log, const teai_log_smp *s);

/* A cool-down wait before repetition rep (--cooldown): mode "auto", "seconds"
 * or "temp"; target_c the temperature waited for (NAN: a fixed delay);
 * waited_ms; the hottest temperature at its start and end; reached 1 when the
 * target (or the delay) was reached, 0 when the time limit ended it. */
typedef struct teai_log_cool {
    int rep;
    const char *mode;
    double target_c, waited_ms, temp_start_c, temp_end_c;
    int reached;
} teai_log_cool;
int teai_log_cooldown(teai_log *log, const teai_log_cool *c);

/* The end of a sustained run (--duration): its length and the decode rate
 * over its first first_s and its last last_s seconds (tokens/s; NAN
 * unknown). Readers do not collate it: the samples hold the curve. */
int teai_log_sustained(teai_log *log, double duration_s, double first_s, double first_tok_s,
                       double last_s, double last_tok_s);

/* Ends the log with {"event":"end","status":...,"error":...}: status "ok",
 * "interrupted" or "failed" (error: what failed, may be NULL); fsyncs, closes
 * and frees (always, whatever it returns; NULL log: TEAI_OK). TEAI_EINVAL for
 * another status (the log then ends with "failed" and says so). No other
 * thread may be writing to the log (stop the sampler first). */
int teai_log_close(teai_log *log, const char *status, const char *error, teai_error *err);

/* ---- reading: one log -> CSV rows ------------------------------------- */

/* The CSV columns, in order (docs/log-format.md §3 says what each
 * holds for each dialect). The first 16 are exactly the seed's. */
#define TEAI_CSV_COLUMNS(X)                                                                        \
    X(STEP, "step")                                                                                \
    X(ENQUEUE_MS, "enqueue_latency_ms")                                                            \
    X(TOTAL_MS, "total_latency_ms")                                                                \
    X(TOK_S, "tokens_per_sec")                                                                     \
    X(MEM_GB_S, "memory_throughput_gb_s")                                                          \
    X(PARAM_GB_S, "param_throughput_gb_s")                                                         \
    X(TEXT, "generated_text")                                                                      \
    X(PLATFORM, "platform")                                                                        \
    X(RELEASE, "release")                                                                          \
    X(DEVICE, "device")                                                                            \
    X(USERNAME, "username")                                                                        \
    X(HOSTNAME, "hostname")                                                                        \
    X(SIZE, "size")                                                                                \
    X(QUANTIZE, "quantize")                                                                        \
    X(SEED, "seed")                                                                                \
    X(UUID, "uuid")                                                                                \
    X(BACKEND, "backend")                                                                          \
    X(BACKEND_VERSION, "backend_version")                                                          \
    X(MODEL, "model")                                                                              \
    X(MODEL_BYTES, "model_bytes")                                                                  \
    X(MODEL_SHA256, "model_sha256")                                                                \
    X(SYNTHETIC, "synthetic")                                                                      \
    X(WEIGHT_FORMAT, "weight_format")                                                              \
    X(BITS_PER_WEIGHT, "bits_per_weight")                                                          \
    X(THREADS, "threads")                                                                          \
    X(REPETITION, "repetition")                                                                    \
    X(WARMUP, "warmup")                                                                            \
    X(N_PROMPT, "n_prompt")                                                                        \
    X(N_GEN, "n_gen")                                                                              \
    X(TOKEN_ID, "token_id")                                                                        \
    X(TOKENS_IN_CHUNK, "tokens_in_chunk")                                                          \
    X(T_MS, "t_ms")                                                                                \
    X(PREFILL_TOKENS, "prefill_tokens")                                                            \
    X(PREFILL_MS, "prefill_ms")                                                                    \
    X(PREFILL_TOK_S, "prefill_tokens_per_sec")                                                     \
    X(TTFT_MS, "ttft_ms")                                                                          \
    X(RUN_MS, "run_ms")                                                                            \
    X(E2E_TOK_S, "e2e_tokens_per_sec")                                                             \
    X(TOK_S_STDDEV, "tokens_per_sec_stddev")                                                       \
    X(P50_MS, "p50_latency_ms")                                                                    \
    X(P90_MS, "p90_latency_ms")                                                                    \
    X(P99_MS, "p99_latency_ms")                                                                    \
    X(LOAD_MS, "load_ms")                                                                          \
    X(PEAK_RSS_MB, "peak_rss_mb")                                                                  \
    X(CPU, "cpu")                                                                                  \
    X(CPU_FEATURES, "cpu_features")                                                                \
    X(N_CPUS, "n_cpus")                                                                            \
    X(RAM_BYTES, "ram_bytes")                                                                      \
    X(GPU, "gpu")                                                                                  \
    X(TEAI_VERSION, "teai_version")                                                                \
    X(TEAI_COMMIT, "teai_commit")                                                                  \
    X(COMPILER, "compiler")                                                                        \
    X(START_TIME, "start_time")                                                                    \
    X(STATUS, "status")                                                                            \
    X(ERROR, "error")                                                                              \
    X(SOURCE_FORMAT, "source_format")                                                              \
    X(LOG_FILE, "log_file")                                                                        \
    X(PREFILL_ENERGY_J, "prefill_energy_j")                                                        \
    X(DECODE_ENERGY_J, "decode_energy_j")                                                          \
    X(PREFILL_POWER_W, "prefill_power_w")                                                          \
    X(DECODE_POWER_W, "decode_power_w")                                                            \
    X(J_PER_TOKEN, "joules_per_token")                                                             \
    X(TOKENS_PER_J, "tokens_per_joule")                                                            \
    X(TEMP_MAX_C, "temp_max_c")                                                                    \
    X(CLOCK_MIN_MHZ, "clock_min_mhz")                                                              \
    X(CLOCK_MEAN_MHZ, "clock_mean_mhz")                                                            \
    X(THROTTLED, "throttled")                                                                      \
    X(OTHER_CPU_PCT, "other_cpu_pct")                                                              \
    X(NOISY, "noisy")                                                                              \
    X(CHARGING, "charging")                                                                        \
    X(RUN_PEAK_RSS_MB, "run_peak_rss_mb")                                                          \
    X(COOLDOWN_MS, "cooldown_ms")                                                                  \
    X(ENERGY_SOURCE, "energy_source")                                                              \
    X(MEMBW_GB_S, "membw_gb_s")                                                                    \
    X(SENSORS, "sensors")                                                                          \
    X(DURATION_S, "duration_s")                                                                    \
    X(MACHINE, "machine")                                                                          \
    X(DEVICE_NAME, "device_name")

typedef enum teai_csv_col {
#define TEAI__CSV_ENUM(id, name) TEAI_COL_##id,
    TEAI_CSV_COLUMNS(TEAI__CSV_ENUM)
#undef TEAI__CSV_ENUM
        TEAI_CSV_N_COLS
} teai_csv_col;

/* "step", "enqueue_latency_ms", ...; NULL out of range. */
const char *teai_csv_column_name(int col);
/* The column with that name, or -1. */
int teai_csv_column_index(const char *name);

/* The rows of one log, ordered by repetition, then step (step 0, the
 * per-repetition summary, first), then order in the log. Cells are bytes
 * (generated_text may hold anything, NULs included). */
typedef struct teai_log_rows teai_log_rows;

/* Reads one log of any known dialect (teai-log, tinygrad text, llama-bench
 * JSONL, MLC; detected by content, never by file name) from memory. name is
 * the log's file name, used for notes, the log_file column and (for the
 * seed's logs only) header fields the header lacks. Corrupt lines are
 * skipped with a note "name:line: why". Returns TEAI_OK with *out set;
 * TEAI_EUNSUPPORTED when the dialect is unknown, or needs cJSON and teai was
 * built without it (err says which); TEAI_ENOMEM. */
int teai_log_read_mem(const void *data, size_t len, const char *name, teai_note_fn note, void *ud,
                      teai_log_rows **out, teai_error *err);
/* Same for a file (the name used is its base name); TEAI_EIO/TEAI_ENOTFOUND/
 * TEAI_ERANGE (over 1 GiB) when it cannot be read. */
int teai_log_read_file(const char *path, teai_note_fn note, void *ud, teai_log_rows **out,
                       teai_error *err);
void teai_log_rows_free(teai_log_rows *r);

long teai_log_rows_count(const teai_log_rows *r);
/* Cell (row, col): its bytes (NUL-terminated too) and length; "" when empty. */
const char *teai_log_rows_cell(const teai_log_rows *r, long row, int col, size_t *len);
/* The CSV the rows belong to (teai_log_csv_name of the log's backend). */
const char *teai_log_rows_csv(const teai_log_rows *r);
/* "teai-log 1", "tinygrad", "llama-bench-jsonl" or "mlc". */
const char *teai_log_rows_format(const teai_log_rows *r);
/* Lines skipped as corrupt or truncated. */
int teai_log_rows_bad_lines(const teai_log_rows *r);

/* The log's "sample" lines as rows of samples.csv (TEAI_SAMPLE_COLUMNS
 * below), in log order, the identity columns from the header: their number
 * (0 for dialects without samples) and cell (row, col) as for
 * teai_log_rows_cell ("" when empty or out of range). */
long teai_log_rows_sample_count(const teai_log_rows *r);
const char *teai_log_rows_sample_cell(const teai_log_rows *r, long row, int col, size_t *len);

/* ---- reading a log's header alone ----------------------------------------- */

/* The "key: value" header of one log, as teai_log_read_file reads it (the
 * leading such lines, up to the first other line, or the "format" line that
 * ends a teai log's header; at most 128 fields), and how the log ended, read
 * from the file's first and last lines only, whatever its length: what a
 * resumed sweep checks for every log in its folder. */
typedef struct teai_log_header teai_log_header;

/* Reads the header and the last line of the log at path into *out (free
 * with teai_log_header_free). A file with no header has 0 fields; a header
 * is looked for in the first MiB. TEAI_ENOTFOUND or TEAI_EIO when the file
 * cannot be read (err names it and why), TEAI_ENOMEM. */
int teai_log_header_read(const char *path, teai_log_header **out, teai_error *err);
void teai_log_header_free(teai_log_header *h);
/* Fields in file order: their number, and the i-th key and value
 * (NUL-terminated; values without leading and trailing blanks); NULL when i
 * is out of range. */
int teai_log_header_count(const teai_log_header *h);
const char *teai_log_header_key(const teai_log_header *h, int i);
const char *teai_log_header_value(const teai_log_header *h, int i);
/* The value of key (the last one when repeated); NULL when absent. */
const char *teai_log_header_get(const teai_log_header *h, const char *key);
/* The status of the "end" event teai_log_close writes ("ok", "interrupted",
 * "failed") when the file's last line is that event, complete; NULL when it
 * is not (a run still going or killed, or a log of another dialect). */
const char *teai_log_header_end(const teai_log_header *h);

/* ---- collation ----------------------------------------------------------- */

typedef struct teai_collate_report {
    int n_logs;         /* logs read */
    int n_skipped;      /* *.txt files of no known dialect (each noted) */
    int n_unreadable;   /* *.txt files that could not be read at all (each noted) */
    int n_bad_lines;    /* corrupt/truncated lines skipped (each noted) */
    int n_csv;          /* CSV files written (samples.csv not counted) */
    long n_rows;        /* rows written in all (samples.csv's not counted) */
    int n_sample_logs;  /* logs that had sample lines */
    long n_sample_rows; /* rows written to samples.csv (0: not written) */
} teai_collate_report;

/* Rebuilds DIR/<csv>.csv from every *.txt log in dir (docs/log-format.md §3): the header
 * line, then the rows of each log, logs in byte order of their file names;
 * then DIR/samples.csv from their sample lines, when any log has some (an
 * existing samples.csv is otherwise left alone).
 * Deterministic: running it twice gives byte-identical files. Each file is
 * written to a temporary name and renamed, so a failure leaves no partial
 * file; CSVs of backends that have no log are left alone. Logs that cannot be
 * read, or are of no known dialect, are noted and skipped: collation goes on.
 * TEAI_ENOTFOUND/TEAI_EIO when dir cannot be listed; TEAI_EIO when a CSV
 * cannot be written (err names it; no further CSV is written); TEAI_ENOMEM.
 * rep may be NULL. */
int teai_collate(const char *dir, teai_note_fn note, void *ud, teai_collate_report *rep,
                 teai_error *err);

/* The columns of DIR/samples.csv: every "sample" line of the teai logs in
 * dir, one row each, with the log's identity (docs/log-format.md §3). */
#define TEAI_SAMPLE_COLUMNS(X)                                                                     \
    X(LOG_FILE, "log_file")                                                                        \
    X(BACKEND, "backend")                                                                          \
    X(HOSTNAME, "hostname")                                                                        \
    X(DEVICE, "device")                                                                            \
    X(SIZE, "size")                                                                                \
    X(QUANTIZE, "quantize")                                                                        \
    X(WEIGHT_FORMAT, "weight_format")                                                              \
    X(THREADS, "threads")                                                                          \
    X(DURATION_S, "duration_s")                                                                    \
    X(REPETITION, "repetition")                                                                    \
    X(WARMUP, "warmup")                                                                            \
    X(PHASE, "phase")                                                                              \
    X(T_MS, "t_ms")                                                                                \
    X(TOKENS, "tokens")                                                                            \
    X(ENERGY_J, "energy_j")                                                                        \
    X(POWER_W, "power_w")                                                                          \
    X(TEMP_C, "temp_c")                                                                            \
    X(CLOCK_MHZ, "clock_mhz")                                                                      \
    X(CLOCK_MEAN_MHZ, "clock_mean_mhz")                                                            \
    X(THROTTLE_COUNT, "throttle_count")                                                            \
    X(CHARGING, "charging")                                                                        \
    X(OTHER_CPU_PCT, "other_cpu_pct")                                                              \
    X(PSI_SOME_PCT, "psi_some_pct")                                                                \
    X(LOAD1, "load1")

typedef enum teai_sample_col {
#define TEAI__SAMPLE_ENUM(id, name) TEAI_SCOL_##id,
    TEAI_SAMPLE_COLUMNS(TEAI__SAMPLE_ENUM)
#undef TEAI__SAMPLE_ENUM
        TEAI_SAMPLE_N_COLS
} teai_sample_col;

/* "log_file", ..., "load1"; NULL out of range. samples.csv is read back with
 * teai_csv_open, its columns found by name. */
const char *teai_sample_column_name(int col);
/* The column with that name, or -1. */
int teai_sample_column_index(const char *name);

/* ---- reading a CSV (RFC 4180) ------------------------------------------------ */

/* A streaming CSV reader: one record at a time, in constant memory (a buffer
 * that holds the longest record). Accepts CRLF or LF line ends, quoted fields
 * holding commas, doubled quotes, CR and LF, and any bytes (NULs included);
 * a quote inside an unquoted field is kept as a byte. A record may have any
 * number of fields. Errors name the place: "x.csv:12: unterminated quoted
 * field", "x.csv:7: bytes after a closing quote". */
typedef struct teai_csv_reader teai_csv_reader;

/* One field of the current record: its bytes (unquoted, NUL-terminated) and
 * length. Valid until the next teai_csv_next or teai_csv_close. */
typedef struct teai_csv_field {
    const char *p;
    size_t len;
} teai_csv_field;

/* Opens a file (TEAI_ENOTFOUND, TEAI_EIO) or memory (not copied: data must
 * outlive the reader; name is used in messages). TEAI_ENOMEM. */
int teai_csv_open(const char *path, teai_csv_reader **out, teai_error *err);
int teai_csv_open_mem(const void *data, size_t len, const char *name, teai_csv_reader **out,
                      teai_error *err);
/* Reads the next record: 1 with *fields (n of them, n >= 1) set, 0 at the end
 * of the input, or TEAI_EFORMAT / TEAI_EIO / TEAI_ENOMEM / TEAI_ERANGE (a
 * record over 256 MiB) with err naming file:line. An empty line is a record
 * of one empty field. */
int teai_csv_next(teai_csv_reader *r, const teai_csv_field **fields, int *n, teai_error *err);
/* Line (1-based) on which the last record returned starts. */
long teai_csv_line(const teai_csv_reader *r);
void teai_csv_close(teai_csv_reader *r);

/* ---- accuracy: verifiers results -> accuracy.csv ------------------------- */

/* Accuracy results (docs/log-format.md §5) are JSON lists in
 * verifiers_results/<prefix>sweep_<env>_<size>_<timestamp>.json, one object
 * per evaluated configuration (src/eval/eval.h has teai's shape; the seed's
 * lacks "backend", which then comes from the file-name prefix: "" tinygrad,
 * "llamacpp_" llamacpp, "mlc_" mlc_llm, "<name>_" name). Collation turns
 * them into accuracy.csv, one row per (record, metric); docs/log-format.md
 * describes its columns. Numbers a result does not carry stay empty. */
#define TEAI_ACC_COLUMNS(X)                                                                        \
    X(BACKEND, "backend")                                                                          \
    X(SIZE, "size")                                                                                \
    X(QUANT, "quantization")                                                                       \
    X(WEIGHT_FORMAT, "weight_format")                                                              \
    X(ENV, "environment")                                                                          \
    X(METRIC, "metric")                                                                            \
    X(VALUE, "value")                                                                              \
    X(STD, "std")                                                                                  \
    X(STDERR, "stderr")                                                                            \
    X(CI_LOW, "ci_low")                                                                            \
    X(CI_HIGH, "ci_high")                                                                          \
    X(N, "n")                                                                                      \
    X(NUM_EXAMPLES, "num_examples")                                                                \
    X(MAX_TOKENS, "max_tokens")                                                                    \
    X(EVAL_TIME, "eval_time_seconds")                                                              \
    X(ELAPSED, "elapsed_seconds")                                                                  \
    X(RETURNCODE, "returncode")                                                                    \
    X(TIMESTAMP, "timestamp")                                                                      \
    X(SOURCE, "source")

typedef enum teai_acc_col {
#define TEAI__ACC_ENUM(id, name) TEAI_ACC_##id,
    TEAI_ACC_COLUMNS(TEAI__ACC_ENUM)
#undef TEAI__ACC_ENUM
        TEAI_ACC_N_COLS
} teai_acc_col;

/* "backend", ..., "source"; NULL out of range. */
const char *teai_acc_column_name(int col);

/* Rows of accuracy.csv: TEAI_ACC_N_COLS text cells each. */
typedef struct teai_acc_rows teai_acc_rows;

/* An empty set of rows (NULL when out of memory); free with
 * teai_acc_rows_free (NULL is fine). */
teai_acc_rows *teai_acc_rows_new(void);
void teai_acc_rows_free(teai_acc_rows *r);
long teai_acc_rows_count(const teai_acc_rows *r);
/* Cell (row, col), NUL-terminated; "" when empty or out of range. */
const char *teai_acc_rows_cell(const teai_acc_rows *r, long row, int col);
/* The cell as a number; NAN when empty or not a finite number. */
double teai_acc_rows_num(const teai_acc_rows *r, long row, int col);
/* Sorts the rows by environment, metric, backend, size, quantization,
 * timestamp, then the other columns (byte order): the last row of a run of
 * equal (environment, metric, backend, size, quantization) is the latest
 * result of that configuration. */
void teai_acc_rows_sort(teai_acc_rows *r);

/* Reads one verifiers results file (a JSON list) from memory and appends one
 * row per (record, metric) to rows. name is the file's base name: the source
 * column, and the backend (prefix), environment and size for records lacking
 * them. "eval_time_seconds" in metrics is a column, not a metric; a metric is
 * an object {"avg", "std", "stderr", "ci95": [lo, hi], "n"} (any may be
 * missing or null) or a bare number (its avg). Records that are not objects,
 * or have no metrics, and metrics of another type, are noted ("name: record
 * 3: no metrics object, skipped") and counted in *n_bad (may be NULL);
 * *n_records (may be NULL) gets the records that gave rows. Returns TEAI_OK;
 * TEAI_EFORMAT when the file is not a JSON list (err says why, nothing
 * appended); TEAI_EUNSUPPORTED without cJSON; TEAI_ENOMEM. */
int teai_acc_read_json_mem(const void *data, size_t len, const char *name, teai_note_fn note,
                           void *ud, teai_acc_rows *rows, int *n_records, int *n_bad,
                           teai_error *err);

/* The rows as accuracy.csv text (header line, then the rows in their order;
 * RFC 4180, CRLF) into *out (malloc'd, free()) and *len. TEAI_ENOMEM. */
int teai_acc_rows_csv(const teai_acc_rows *r, char **out, size_t *len);

/* Reads an accuracy.csv back (columns found by their header names; missing
 * ones are empty, unknown ones ignored), sorted with teai_acc_rows_sort.
 * Records with another number of fields than the header are noted
 * ("accuracy.csv:7: 3 fields, header has 19, skipped"). TEAI_ENOTFOUND when
 * the file is absent, TEAI_EFORMAT when it has no "environment", "metric"
 * or "value" column or cannot be parsed (err names file:line), TEAI_EIO,
 * TEAI_ENOMEM. */
int teai_acc_read_csv(const char *path, teai_note_fn note, void *ud, teai_acc_rows **out,
                      teai_error *err);

typedef struct teai_acc_report {
    int n_files;     /* *.json files read as results lists */
    int n_bad_files; /* *.json files unreadable or not a results list (each noted) */
    int n_records;   /* records that gave rows */
    int n_bad;       /* records and metrics skipped (each noted) */
    long n_rows;     /* rows written to accuracy.csv */
    int written;     /* 1 when accuracy.csv was written */
} teai_acc_report;

/* Rebuilds dir/accuracy.csv from every *.json file in eval_dir (NULL:
 * dir/verifiers_results), files in byte order of their names, rows sorted
 * with teai_acc_rows_sort, written through a temporary file and a rename:
 * byte-identical on re-runs. When eval_dir does not exist, or holds no *.json
 * file that is a results list, nothing is written (and no error). Malformed
 * files and records are noted and skipped. TEAI_EIO when eval_dir cannot be
 * listed or accuracy.csv cannot be written, TEAI_EUNSUPPORTED when eval_dir
 * holds *.json files and teai was built without cJSON, TEAI_ENOMEM. rep may
 * be NULL. */
int teai_collate_accuracy(const char *dir, const char *eval_dir, teai_note_fn note, void *ud,
                          teai_acc_report *rep, teai_error *err);

#endif
