#include "lib/console.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "abi/umbra_abi.h"
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
/* The name whose partial line is open (console_put_partial), or NULL; under console_lock. */
static const char *open_name;

/*
 * Under Umbra (as a guest of itself), COM1 and the debug console are the
 * same console of the VM: each line would come out twice. The debug port
 * alone then, one exit a character where COM1 takes two.
 */
static bool debugcon_only;

static bool under_umbra(void)
{
	struct cpuid_regs r;
	char sig[12];

	if (!(cpuid(1).ecx & (1u << 31)))
		return false;
	r = cpuid(UMBRA_CPUID_SIGNATURE_LEAF);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	return memcmp(sig, UMBRA_CPUID_SIGNATURE, sizeof(sig)) == 0;
}

void console_init(void)
{
	serial_init();
	debugcon_only = under_umbra();
}

static void emit_raw(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!debugcon_only) {
			if (s[i] == '\n')
				serial_putc('\r');
			serial_putc(s[i]);
		}
		outb(DEBUGCON_PORT, (uint8_t)s[i]);
		vga_text_putc(s[i]);
		fb_console_putc(s[i]);
	}
}

/* Whole lines: an open partial line is ended first, so they never share a line. */
static void console_emit(const char *s, size_t len)
{
	if (open_name) {
		emit_raw("\n", 1);
		open_name = NULL;
	}
	emit_raw(s, len);
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

void console_put_partial(const char *name, const char *line, size_t len, size_t shown, bool end)
{
	spin_lock(&console_lock);
	if (open_name != name || shown > len) {
		if (open_name)
			emit_raw("\n", 1);
		emit_raw("[", 1);
		emit_raw(name, strlen(name));
		emit_raw("] ", 2);
		shown = 0;
	}
	emit_raw(line + shown, len - shown);
	if (end)
		emit_raw("\n", 1);
	open_name = end ? NULL : name;
	spin_unlock(&console_lock);
}

/*
 * What COM1 received and nobody has read yet, filled by console_input_irq()
 * (under console_lock): interrupts come only while the host holds no lock
 * (in guest mode, or idle), so the lock is free then.
 */
#define INPUT_RING 4096
static uint8_t input_ring[INPUT_RING];
static uint32_t input_head, input_count;
static void (*input_notify)(void);

void console_set_input_notify(void (*notify)(void))
{
	input_notify = notify;
}

/* Under console_lock: COM1's receiver emptied into the ring (a full ring drops the rest). */
static bool input_drain(void)
{
	bool any = false;
	int c;

	while ((c = serial_getc()) >= 0) {
		any = true;
		if (input_count < INPUT_RING)
			input_ring[(input_head + input_count++) % INPUT_RING] = (uint8_t)c;
	}
	return any;
}

void console_input_irq(void)
{
	bool any;

	spin_lock(&console_lock);
	any = input_drain();
	spin_unlock(&console_lock);
	if (any && input_notify)
		input_notify();
}

int console_getc(void)
{
	int c = -1;

	spin_lock(&console_lock);
	input_drain(); /* polled, when no interrupt is routed */
	if (input_count) {
		c = input_ring[input_head];
		input_head = (input_head + 1) % INPUT_RING;
		input_count--;
	}
	spin_unlock(&console_lock);
	return c;
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
