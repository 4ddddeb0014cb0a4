#include "base.h"

#include <stdarg.h>
#include <stdio.h>

void teai__notef(teai_note_fn fn, void *ud, const char *fmt, ...) {
    if (!fn) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fn(ud, line);
}
