#include "lib/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "lib/console.h"

static unsigned panics;

unsigned panic_count(void)
{
	return __atomic_load_n(&panics, __ATOMIC_ACQUIRE);
}

void panic(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	uint32_t cpu = this_cpu_index_safe();
	int n = snprintf(line, sizeof(line), "umbra: panic on cpu %u: ", cpu);
	va_list ap;

	irq_disable();
	__atomic_add_fetch(&panics, 1, __ATOMIC_ACQ_REL);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	console_write_emergency(line, (size_t)n);

	/* The boot CPU owns the run: it ends it. Any other CPU just stops. */
	if (cpu == 0)
		platform_exit(UMBRA_EXIT_ERROR);
	cpu_halt_forever();
}
