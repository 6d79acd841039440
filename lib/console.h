/*
 * The hypervisor console: whole lines, serialised across CPUs, sent to every
 * sink (COM1, port 0xE9 and the screen). Formatting is newlib's vsnprintf.
 */
#ifndef LIB_CONSOLE_H
#define LIB_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define CONSOLE_LINE_MAX 512

void console_init(void);
void console_write(const char *s, size_t len);
int console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_vprintf(const char *fmt, va_list ap);
/*
 * Debug-level lines ("umbra: debug: ..."): what a guest did that hardware
 * ignores too. Printed only after console_set_debug(true) (`debug=1` on
 * Umbra's command line).
 */
void console_set_debug(bool on);
int console_debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For panics: never waits forever for a lock another CPU may hold. */
void console_write_emergency(const char *s, size_t len);
int console_printf_emergency(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
