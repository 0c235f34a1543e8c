#include "text/unicode.h"

unsigned a2a_unicode_flags(uint32_t cp) {
    size_t lo = 0, hi = a2a_unicode_n_ranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const a2a_unicode_range *r = &a2a_unicode_ranges[mid];
        if (cp < r->first) hi = mid;
        else if (cp > r->last) lo = mid + 1;
        else return r->flags;
    }
    return 0;
}
