#include "lib/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/backtrace.h"
#include "lib/console.h"

static unsigned panics_started, panics_done;

unsigned panic_count(void)
{
	return __atomic_load_n(&panics_started, __ATOMIC_ACQUIRE);
}

void panic_enter(void)
{
	if (percpu_ready()) {
		if (this_cpu()->panicking)
			return;
		this_cpu()->panicking = true;
	}
	__atomic_add_fetch(&panics_started, 1, __ATOMIC_ACQ_REL);
}

bool panic_in_progress(void)
{
	return __atomic_load_n(&panics_started, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&panics_done, __ATOMIC_ACQUIRE);
}

static __attribute__((noreturn)) void vpanic_at(uint64_t rip, uint64_t rbp, const char *fmt,
                                                va_list ap)
{
	char line[CONSOLE_LINE_MAX];
	uint32_t cpu = this_cpu_index_safe();
	int n = snprintf(line, sizeof(line), "umbra: panic on cpu %u: ", cpu);

	irq_disable();
	panic_enter();
	if (n > 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n < 0 || (size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	backtrace_print(rip, rbp);
	console_write_emergency(line, (size_t)n);
	__atomic_add_fetch(&panics_done, 1, __ATOMIC_ACQ_REL);

	/* The boot CPU owns the run: it ends it. Any other CPU just stops. */
	if (cpu == 0)
		platform_exit(UMBRA_EXIT_ERROR);
	cpu_halt_forever();
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic_at(0, (uint64_t)__builtin_frame_address(0), fmt, ap);
}

void panic_at(uint64_t rip, uint64_t rbp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic_at(rip, rbp, fmt, ap);
}
