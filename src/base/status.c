#include "base.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    int value;
    const char *name;
    const char *text;
} status_table[] = {
#define TEAI__STATUS_ROW(name, value, text) {value, #name, text},
    TEAI_STATUS_LIST(TEAI__STATUS_ROW)
#undef TEAI__STATUS_ROW
};

const char *teai_status_str(int status) {
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].value == status) return status_table[i].text;
    return "unknown error";
}

const char *teai_status_name(int status) {
    for (size_t i = 0; i < sizeof status_table / sizeof *status_table; i++)
        if (status_table[i].value == status) return status_table[i].name;
    return "TEAI_EUNKNOWN";
}

int teai__fail(teai_error *err, int status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}
