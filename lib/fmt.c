/* Tiny stdio-free formatter: see lib/fmt.h. */
#include "lib/fmt.h"

size_t fmt_print(char *dst, size_t cap, const char *fmt, const uint64_t *nums, const char *str)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	while (*fmt && n + 1 < cap) {
		char tmp[24];
		size_t k = 0;

		if (fmt[0] == '%' && fmt[1] == 's') {
			for (const char *s = str ? str : ""; *s && n + 1 < cap; s++)
				dst[n++] = *s;
			fmt += 2;
			continue;
		}
		if (fmt[0] == '%' && (fmt[1] == 'u' || fmt[1] == 'x') && nums) {
			uint64_t v = *nums++;
			unsigned int base = fmt[1] == 'u' ? 10 : 16;

			/* Digits come out backwards; "x0" reversed is the prefix. */
			do {
				tmp[k++] = "0123456789abcdef"[v % base];
				v /= base;
			} while (v);
			if (base == 16) {
				tmp[k++] = 'x';
				tmp[k++] = '0';
			}
			while (k && n + 1 < cap)
				dst[n++] = tmp[--k];
			fmt += 2;
			continue;
		}
		dst[n++] = *fmt++;
	}
	dst[n] = '\0';
	return n;
}
