#include "arch/x86/boot_time.h"

#include "arch/x86/cpu.h"
#include "lib/console.h"

/* The latest VMXON of any CPU (one TSC for all CPUs: Bochs' is global). */
static uint64_t last_vmx_on;
static uint64_t first_entry;

void boot_time_vmx_on(void)
{
	uint64_t now = rdtsc();
	uint64_t seen = __atomic_load_n(&last_vmx_on, __ATOMIC_RELAXED);

	while (seen < now && !__atomic_compare_exchange_n(&last_vmx_on, &seen, now, false,
	                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void boot_time_first_entry(void)
{
	first_entry = rdtsc();
}

/* Printed at the end, not at the entry: the console's wait would delay the guests. */
void boot_time_report(uint32_t vmx_cpus)
{
	if (!first_entry)
		return;
	console_printf(
	        "umbra: boot-time tsc_from_handoff vmx_all=%lu first_entry=%lu vmx_cpus=%u\n",
	        last_vmx_on - boot_tsc_handoff, first_entry - boot_tsc_handoff, vmx_cpus);
}
