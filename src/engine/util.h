/* Engine-private helpers: the base library (base/base.h) and IEEE half and
 * bfloat16 conversions. Not part of the public API. */
#ifndef TEAI_UTIL_H
#define TEAI_UTIL_H

#include "base/base.h"
#include "teai/engine.h"

#include <stdint.h>
#include <string.h>

/* IEEE half and bfloat16 conversions (round to nearest even). */
float teai__fp16_to_f32(uint16_t h);
uint16_t teai__f32_to_fp16(float f);
static inline float teai__bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
uint16_t teai__f32_to_bf16(float f);

#endif
