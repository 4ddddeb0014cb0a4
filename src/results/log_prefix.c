/* Names derived from a backend's name: the log file-name prefix
 * (docs/log-format.md §1) and the CSV its rows are collated into (§3 there). */
#include "results/results_impl.h"

#include <stdio.h>
#include <string.h>

static int name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static int backend_ok(const char *b) {
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > 63 || b[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char(b[i])) return 0;
    return 1;
}

static int put(char *out, size_t cap, const char *a, const char *b) {
    int n = snprintf(out, cap, "%s%s", a, b);
    return n >= 0 && (size_t)n < cap ? TEAI_OK : TEAI_ERANGE;
}

int teai_log_prefix(const char *backend, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!backend_ok(backend)) return TEAI_EINVAL;
    if (strcmp(backend, "tinygrad") == 0) return put(out, cap, "", "");
    if (strcmp(backend, "llamacpp") == 0 || strcmp(backend, "llama-bench") == 0)
        return put(out, cap, "llamacpp_", "");
    if (strcmp(backend, "mlc") == 0 || strcmp(backend, "mlc_llm") == 0)
        return put(out, cap, "mlc_", "");
    return put(out, cap, backend, "_");
}

int teai_log_csv_name(const char *backend, char *out, size_t cap) {
    if (cap) out[0] = '\0';
    if (!backend || !*backend) return put(out, cap, "unknown", "");
    if (strcmp(backend, "llamacpp") == 0 || strcmp(backend, "llama-bench") == 0)
        return put(out, cap, "llamacpp", "");
    if (strcmp(backend, "mlc") == 0 || strcmp(backend, "mlc_llm") == 0)
        return put(out, cap, "mlc_llm", "");
    char clean[64];
    size_t n = strlen(backend);
    if (n > sizeof clean - 1) n = sizeof clean - 1;
    for (size_t i = 0; i < n; i++) clean[i] = name_char(backend[i]) ? backend[i] : '_';
    clean[n] = '\0';
    if (clean[0] == '.') clean[0] = '_';
    /* collate writes accuracy.csv and samples.csv itself */
    if (strcmp(clean, "accuracy") == 0 || strcmp(clean, "samples") == 0)
        return put(out, cap, clean, "_backend");
    return put(out, cap, clean, "");
}
