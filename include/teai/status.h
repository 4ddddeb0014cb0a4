/* teai's status codes and error record, shared by every part of teai (the
 * engine's public API, the libraries above it, the command line). A failing
 * call returns a negative teai_status and, where a teai_error is passed, a
 * one-line message saying what failed and where. */
#ifndef TEAI_STATUS_H
#define TEAI_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ------------------------------------------------------ */

#define TEAI_STATUS_LIST(X)                                                                        \
    X(TEAI_OK, 0, "ok")                                                                            \
    X(TEAI_ENOMEM, -1, "out of memory")                                                            \
    X(TEAI_EIO, -2, "input/output error")                                                          \
    X(TEAI_EFORMAT, -3, "malformed file")                                                          \
    X(TEAI_EUNSUPPORTED, -4, "unsupported")                                                        \
    X(TEAI_EINVAL, -5, "invalid argument")                                                         \
    X(TEAI_ENOTFOUND, -6, "not found")                                                             \
    X(TEAI_ERANGE, -7, "out of range")                                                             \
    X(TEAI_EINTR, -8, "interrupted")

typedef enum teai_status {
#define TEAI__STATUS_ENUM(name, value, text) name = value,
    TEAI_STATUS_LIST(TEAI__STATUS_ENUM)
#undef TEAI__STATUS_ENUM
} teai_status;

/* Short description ("malformed file") and constant name ("TEAI_EFORMAT"). */
const char *teai_status_str(int status);
const char *teai_status_name(int status);

/* Filled by a failing call: the status and a one-line message naming the file
 * or object and what is wrong with it. Caller-allocated. */
typedef struct teai_error {
    int status;
    char msg[512];
} teai_error;

#ifdef __cplusplus
}
#endif

#endif
