/*
 * A tiny message formatter for code that must not need stdio (pure modules
 * shared with the host tests, parsers that run before the console exists).
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes fmt into dst[0, cap): "%u" (decimal) and "%x" (hex, with 0x) take
 * the next of nums, "%s" takes str (NULL prints nothing). Any other '%', or
 * "%u"/"%x" when nums is NULL, is copied as is. Always NUL-terminates
 * (truncating) when cap > 0. Returns the length written, NUL excluded.
 */
size_t fmt_print(char *dst, size_t cap, const char *fmt, const uint64_t *nums, const char *str);

#endif
