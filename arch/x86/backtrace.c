#include "arch/x86/backtrace.h"

#include <stdbool.h>

#include "arch/x86/percpu.h"
#include "lib/console.h"
#include "lib/symbols.h"

extern char __image_start[], __image_end[], __load_end[];

/* A frame may only be read where a stack can be: the image (boot and IST stacks) or this CPU's stack. */
static bool frame_readable(uint64_t rbp)
{
	uint64_t image_lo = (uint64_t)__image_start, image_hi = (uint64_t)__image_end;

	if (rbp & 7)
		return false;
	if (rbp >= image_lo && rbp + 16 <= image_hi)
		return true;
	if (!percpu_ready())
		return false;
	const struct percpu *cpu = this_cpu();

	return cpu->stack_lo && rbp >= cpu->stack_lo && rbp + 16 <= cpu->stack_hi;
}

static void print_frame(int n, uint64_t addr)
{
	struct symtab t = symtab_image();
	uint64_t off = 0;
	const char *name = symtab_lookup(&t, addr, (uint64_t)__load_end, &off);

	if (name)
		console_printf_emergency("umbra:   #%d 0x%lx %s+0x%lx\n", n, addr, name, off);
	else
		console_printf_emergency("umbra:   #%d 0x%lx ?\n", n, addr);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	int n = 0;

	console_printf_emergency("umbra: backtrace on cpu %u:\n", this_cpu_index_safe());
	if (rip)
		print_frame(n++, rip);
	while (n < BACKTRACE_MAX_FRAMES && rbp && frame_readable(rbp)) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t next = frame[0], ret = frame[1];

		if (ret == 0)
			break;
		/* Return addresses point after the call: look up the call itself. */
		print_frame(n++, ret - 1);
		if (next <= rbp)
			break;
		rbp = next;
	}
}
