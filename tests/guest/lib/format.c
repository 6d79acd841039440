/*
 * A small printf: %d %i %u %x %X %p %s %c %%, the length modifiers h, l,
 * ll and z, the flags '-' and '0', a width (or '*'), and a precision for
 * %s. Unknown conversions are printed as they are, so a mistake shows.
 */
#include "payload.h"

struct out {
	bool serial; /* else into buf */
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->serial)
		serial_putc(c);
	else if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_number(struct out *o, uint64_t v, bool negative, unsigned int base, bool upper,
                       int width, bool left, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + negative;
	if (!left && !zero)
		pad(o, ' ', width - len);
	if (negative)
		put(o, '-');
	if (!left && zero)
		pad(o, '0', width - len);
	while (n)
		put(o, tmp[--n]);
	if (left)
		pad(o, ' ', width - len);
}

static void vformat(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		const char *start = fmt;
		bool left = false, zero = false;
		int width = 0, prec = -1, lng = 0;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
			left |= *fmt == '-';
			zero |= *fmt == '0';
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z' || *fmt == 'h'; fmt++)
			lng += *fmt != 'h';

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);

			put_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, width,
			           left, zero);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);

			put_number(o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left,
			           zero);
			break;
		}
		case 'p':
			put(o, '0');
			put(o, 'x');
			put_number(o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, left,
			           zero);
			break;
		case 'c':
			if (!left)
				pad(o, ' ', width - 1);
			put(o, (char)va_arg(ap, int));
			if (left)
				pad(o, ' ', width - 1);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len] && (prec < 0 || len < prec))
				len++;
			if (!left)
				pad(o, ' ', width - len);
			for (int i = 0; i < len; i++)
				put(o, s[i]);
			if (left)
				pad(o, ' ', width - len);
			break;
		}
		case '%': put(o, '%'); break;
		default:
			/* Unknown or truncated: show the directive itself. */
			while (start <= fmt && *start)
				put(o, *start++);
			if (!*fmt)
				return;
		}
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {false, buf, size, 0};

	vformat(&o, fmt, ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	struct out o = {true, NULL, 0, 0};

	vformat(&o, fmt, ap);
	return (int)o.len;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
