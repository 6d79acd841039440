/*
 * The hypervisor console: whole lines, serialised across CPUs, sent to every
 * sink (COM1, port 0xE9 and the screen). Formatting is newlib's vsnprintf.
 * The interface lives here so that every layer may print; the platform
 * implements it (arch/x86/console.c).
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
/*
 * A line shown before it ends (an interactive VM's prompt and echo): line
 * holds its len bytes so far, of which `shown` were printed by the last
 * call for this name. If that line is still the console's last, the new
 * bytes continue it; if another line came in between (or shown is 0), the
 * line is printed again whole, "[name] " first. `end`: the line is done
 * (a newline follows); else it stays open, and any whole line printed
 * meanwhile starts on a line of its own.
 */
void console_put_partial(const char *name, const char *line, size_t len, size_t shown, bool end);
/* A byte typed on the console (COM1), or -1 if none is waiting. */
int console_getc(void);
/*
 * COM1 interrupted (or is polled): what it received goes into a buffer
 * console_getc() reads, and notify() is called (set by the one reader;
 * it runs with the interrupt, so it takes no lock the host may hold).
 */
void console_input_irq(void);
void console_set_input_notify(void (*notify)(void));
/* For panics: never waits forever for a lock another CPU may hold. */
void console_write_emergency(const char *s, size_t len);
int console_printf_emergency(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
