#include "arch/x86/smp.h"

#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/phys_mem.h"

/* SDM "MP initialization": INIT, 10 ms, SIPI, 200 us, SIPI. */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200

extern const char ap_trampoline_start[], ap_trampoline_end[];

/* Read by the AP's 64-bit entry (boot/entry.S) before it has a stack. */
volatile uint64_t ap_boot_stack;
volatile uint32_t ap_boot_index;

uint64_t smp_trampoline_size(void)
{
	return (uint64_t)(ap_trampoline_end - ap_trampoline_start);
}

void smp_ap_report_online(void)
{
	__atomic_store_n(&this_cpu()->online, true, __ATOMIC_RELEASE);
}

void smp_ap_park(void)
{
	__atomic_store_n(&this_cpu()->parked, true, __ATOMIC_RELEASE);
}

bool smp_wait_settled(void)
{
	uint64_t deadline = tsc_deadline_us(SMP_SETTLE_TIMEOUT_US);

	for (uint32_t i = 1; i < MAX_CPUS; i++) {
		struct percpu *cpu = &percpu_area[i];

		if (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE))
			continue;
		while (!__atomic_load_n(&cpu->parked, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&cpu->panicking, __ATOMIC_ACQUIRE)) {
			if (rdtsc() >= deadline)
				return false;
			cpu_relax();
		}
	}
	while (panic_in_progress()) {
		if (rdtsc() >= deadline)
			return false;
		cpu_relax();
	}
	return true;
}

static bool wait_online(struct percpu *cpu, uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (rdtsc() < deadline) {
		if (__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
	}
	return __atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE);
}

/* The AP had its INIT (and the 10 ms after it) already when `inited`. */
static bool start_one(uint32_t apic_id, uint8_t sipi_page, bool inited)
{
	uint32_t index = percpu_count;
	uint64_t stack = phys_alloc(CPU_STACK_SIZE / FRAME_SIZE, FRAME_SIZE);

	if (!stack) {
		console_printf("umbra: cpu apic=%u not started: out of memory for its stack\n",
		               apic_id);
		return false;
	}
	struct percpu *cpu = &percpu_area[index];

	cpu->online = false;
	cpu->stack_lo = stack;
	cpu->stack_hi = stack + CPU_STACK_SIZE;
	ap_boot_index = index;
	ap_boot_stack = stack + CPU_STACK_SIZE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (!inited) {
		lapic_send_init(apic_id);
		udelay(INIT_DELAY_US);
	}
	lapic_send_sipi(apic_id, sipi_page);
	udelay(SIPI_DELAY_US);
	if (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
		lapic_send_sipi(apic_id, sipi_page);
		udelay(SIPI_DELAY_US);
	}
	bool ok = wait_online(cpu, SMP_AP_TIMEOUT_US);

	/* A late riser must not take the next AP's stack (entry.S halts on 0). */
	ap_boot_stack = 0;
	if (!ok) {
		console_printf("umbra: cpu apic=%u did not answer INIT-SIPI-SIPI within %u ms; "
		               "booting on without it\n",
		               apic_id, SMP_AP_TIMEOUT_US / 1000);
		return false;
	}
	percpu_count++;
	return true;
}

/*
 * Every AP that has a slot gets its INIT first and all wait the 10 ms
 * together; then each, one at a time, its SIPIs (it takes the one stack and
 * index published). Each AP still sees INIT, 10 ms or more, SIPI, 200 us,
 * SIPI. An AP that gets a slot only because an earlier one failed has its
 * own INIT and wait.
 */
uint32_t smp_start_aps(const uint32_t *apic_ids, uint32_t count, uint64_t trampoline_pa)
{
	uint32_t self = this_cpu()->apic_id;
	bool inited[ACPI_MAX_CPUS] = {false};
	uint32_t slots = percpu_count;

	if (count > ACPI_MAX_CPUS)
		count = ACPI_MAX_CPUS;
	memcpy((void *)trampoline_pa, ap_trampoline_start, smp_trampoline_size());
	for (uint32_t i = 0; i < count && slots < MAX_CPUS; i++) {
		if (apic_ids[i] == self)
			continue;
		lapic_send_init(apic_ids[i]);
		inited[i] = true;
		slots++;
	}
	if (slots > percpu_count)
		udelay(INIT_DELAY_US);
	for (uint32_t i = 0; i < count; i++) {
		if (apic_ids[i] == self)
			continue;
		if (percpu_count >= MAX_CPUS) {
			console_printf("umbra: cpu apic=%u not started: Umbra supports %u CPUs\n",
			               apic_ids[i], MAX_CPUS);
			continue;
		}
		start_one(apic_ids[i], (uint8_t)(trampoline_pa >> 12), inited[i]);
	}
	return percpu_count;
}
