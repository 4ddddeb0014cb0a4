/* UTF-8 and Unicode character classes for the tokenizer. */
#include "unicode.h"

int teai__utf8_len(uint8_t lead) {
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[lead >> 4];
}

static int is_cont(uint8_t c) {
    return (c & 0xC0) == 0x80;
}

int teai__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        if (n >= 2 && is_cont(s[1])) {
            *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
            return 2;
        }
    } else if ((c & 0xF0) == 0xE0) {
        if (n >= 3 && is_cont(s[1]) && is_cont(s[2])) {
            *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
            return 3;
        }
    } else if ((c & 0xF8) == 0xF0) {
        if (n >= 4 && is_cont(s[1]) && is_cont(s[2]) && is_cont(s[3])) {
            *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                  ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
            return 4;
        }
    }
    *cp = TEAI__UNI_REPLACEMENT;
    return 1;
}

int teai__utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | ((cp >> 18) & 0x07));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned category_flags(uint32_t cp) {
    if (cp >= 0x110000) return TEAI__UNI_UNDEFINED;
    int lo = 0, hi = teai__uni_n_ranges - 1; /* last range whose first <= cp */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (teai__uni_range_first[mid] <= cp)
            lo = mid;
        else
            hi = mid - 1;
    }
    return teai__uni_range_flags[lo];
}

static int is_space(uint32_t cp) {
    for (int i = 0; i < teai__uni_n_space_ranges; i++) {
        if (cp < teai__uni_space_ranges[i][0]) return 0;
        if (cp <= teai__uni_space_ranges[i][1]) return 1;
    }
    return 0;
}

unsigned teai__uni_flags(uint32_t cp) {
    return category_flags(cp) | (is_space(cp) ? TEAI__UNI_WHITESPACE : 0);
}

/* Bytes that are not printable: 0x00..0x20 (-> U+0100..), 0x7F..0xA0
 * (-> U+0121..) and 0xAD (-> U+0143). */
uint32_t teai__byte_to_cp(uint8_t b) {
    if (b <= 0x20) return 0x100u + b;
    if (b >= 0x7F && b <= 0xA0) return 0x121u + (b - 0x7Fu);
    if (b == 0xAD) return 0x143;
    return b;
}

int teai__cp_to_byte(uint32_t cp) {
    if (cp < 0x100) {
        if (cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return -1;
        return (int)cp;
    }
    if (cp <= 0x120) return (int)(cp - 0x100);
    if (cp <= 0x142) return (int)(cp - 0x121 + 0x7F);
    if (cp == 0x143) return 0xAD;
    return -1;
}
