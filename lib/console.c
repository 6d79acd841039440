#include "lib/console.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/fb_console.h"
#include "arch/x86/percpu.h"
#include "arch/x86/serial.h"
#include "arch/x86/vga_text.h"
#include "lib/spinlock.h"

#define DEBUGCON_PORT 0xe9
#define NO_OWNER      UINT32_MAX
/* An emergency writer waits this long (TSC ticks, roughly) for the lock. */
#define EMERGENCY_WAIT_SPINS 10000000

static struct spinlock console_lock = SPINLOCK_INIT;
static volatile uint32_t console_owner = NO_OWNER;

void console_init(void)
{
	serial_init();
}

static void console_emit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		outb(DEBUGCON_PORT, (uint8_t)s[i]);
		vga_text_putc(s[i]);
		fb_console_putc(s[i]);
	}
}

void console_write(const char *s, size_t len)
{
	uint32_t me = this_cpu_index_safe();

	/* A fault while this CPU prints must not deadlock its own report. */
	if (console_owner == me) {
		console_emit(s, len);
		return;
	}
	spin_lock(&console_lock);
	console_owner = me;
	console_emit(s, len);
	console_owner = NO_OWNER;
	spin_unlock(&console_lock);
}

void console_write_emergency(const char *s, size_t len)
{
	uint32_t me = this_cpu_index_safe();
	bool locked = false;

	if (console_owner != me) {
		for (long i = 0; i < EMERGENCY_WAIT_SPINS && !locked; i++) {
			locked = spin_trylock(&console_lock);
			if (!locked)
				cpu_relax();
		}
	}
	if (locked)
		console_owner = me;
	console_emit(s, len);
	if (locked) {
		console_owner = NO_OWNER;
		spin_unlock(&console_lock);
	}
}

int console_printf_emergency(const char *fmt, ...)
{
	char buf[CONSOLE_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	console_write_emergency(buf, (size_t)n);
	return n;
}

int console_vprintf(const char *fmt, va_list ap)
{
	char buf[CONSOLE_LINE_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf)) {
		/* Keep the line ending of a truncated line. */
		n = sizeof(buf) - 1;
		if (fmt[0] && fmt[strlen(fmt) - 1] == '\n')
			buf[n - 1] = '\n';
	}
	console_write(buf, (size_t)n);
	return n;
}

int console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = console_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

static bool debug_on;

void console_set_debug(bool on)
{
	debug_on = on;
}

int console_debugf(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!debug_on)
		return 0;
	va_start(ap, fmt);
	n = console_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
