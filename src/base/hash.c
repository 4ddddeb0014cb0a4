/* FNV-1a, 64-bit: the hash of hash tables (tokenizer vocabularies, merge
 * pairs, word counts), not of anything that must resist an adversary. */
#include "base/base.h"

uint64_t teai__fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}
