/* The fault-resume table of extable.h, gathered by the linker script. */
#include "arch/x86/extable.h"

extern const struct extable_entry __extable_start[], __extable_end[];

uint64_t extable_resume(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->resume;
	return 0;
}
